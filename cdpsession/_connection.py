"""One CDP connection: a single reader task, commands by id, events routed by session.

Knows nothing of Electron. Guarantees (STYLE.md rule 6):

* When the browser goes away every pending call raises :class:`BrowserClosedError` and every
  event stream ends.
* When a flat session detaches (``Target.detachedFromTarget``), calls pending on it raise
  :class:`TargetClosedError` and streams bound to it end.
* A malformed frame is counted and logged, never fatal to the reader.
* The reader never blocks on a slow subscriber: a stream that falls ``max_buffer`` events
  behind raises :class:`EventOverflowError` at its consumer instead of silently losing events.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, TypeVar

import trio

from ._cdp._command import Command
from ._errors import (
    BrowserClosedError,
    EventOverflowError,
    ProtocolError,
    TargetClosedError,
)
from ._groups import unwrap_single
from ._transport import Transport
from ._wire import Event, MalformedFrameError, Response, decode_frame, encode_request

__all__ = ["ANY_SESSION", "Connection", "EventStream", "open_connection"]

log = logging.getLogger("cdpsession")

R = TypeVar("R")


class _AnySession:
    def __repr__(self) -> str:
        return "ANY_SESSION"


ANY_SESSION: Any = _AnySession()
"""Session filter matching events of every session, the browser's included."""

EventCallback = Callable[[Event], None]


class _Pending:
    __slots__ = ("done", "id", "method", "response", "session_id")

    def __init__(self, msg_id: int, method: str, session_id: str | None) -> None:
        self.id = msg_id
        self.method = method
        self.session_id = session_id
        self.done = trio.Event()
        self.response: Response | BaseException | None = None


class _Listener:
    __slots__ = ("callback", "connection", "methods", "session_id")

    def __init__(
        self,
        connection: Connection,
        callback: EventCallback,
        methods: frozenset[str] | None,
        session_id: Any,
    ) -> None:
        self.connection = connection
        self.callback = callback
        self.methods = methods
        self.session_id = session_id

    def remove(self) -> None:
        """Stop calling this listener; idempotent."""
        self.connection._remove_listener(self)


class EventStream:
    """Events of one subscription, in arrival order; ``async for`` ends when the source ends."""

    def __init__(self, receive: trio.MemoryReceiveChannel[Event | BaseException]) -> None:
        self._receive = receive

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        try:
            item = await self._receive.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            raise StopAsyncIteration from None
        if isinstance(item, BaseException):
            raise item
        return item

    async def receive(self) -> Event:
        """Return the next event.

        Raises:
            BrowserClosedError: the stream ended (browser or session gone).
            EventOverflowError: the consumer fell too far behind.
        """
        try:
            return await self.__anext__()
        except StopAsyncIteration:
            raise BrowserClosedError(
                "the event stream ended: its browser or target went away"
            ) from None


class Connection:
    """A CDP connection over one transport. Made by :func:`open_connection`."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._by_method: dict[str, list[_Listener]] = {}
        self._wildcard: list[_Listener] = []
        self.closed = trio.Event()
        self.close_reason = "the connection to the browser is closed"
        self.malformed_frames = 0
        self._streams: list[tuple[trio.MemorySendChannel[Event | BaseException], Any]] = []
        # The reader is shielded: when the owner's scope is cancelled (an exception or a
        # cancellation leaving ``open_app``), shutdown still needs the connection to send
        # Browser.close.
        self._reader_scope = trio.CancelScope(shield=True)

    # -- commands -------------------------------------------------------------------------

    async def send(self, command: Command[R], session_id: str | None = None) -> R:
        """Send a typed command and return its typed result.

        Raises:
            ProtocolError: Chromium answered with an error.
            BrowserClosedError: the browser went away first.
            TargetClosedError: ``session_id``'s target went away first.
        """
        result: Any = await self.call(command.method, command.params, session_id)
        return result  # type: ignore[no-any-return]

    async def call(
        self, method: str, params: dict[str, Any] | None = None, session_id: str | None = None
    ) -> dict[str, Any]:
        """Send a command by name with wire-format params; return the raw result dict."""
        pending = await self._write(method, params, session_id)
        return await self._collect(pending)

    async def call_many(
        self, calls: Iterable[tuple[str, dict[str, Any] | None]], session_id: str | None = None
    ) -> list[dict[str, Any] | ProtocolError]:
        """Write several commands back to back, then collect every reply.

        Pipelining matters for targets paused at start: a paused service worker answers
        ``Network.enable`` only after ``Runtime.runIfWaitingForDebugger``, so awaiting each
        reply before the next write would deadlock.

        Returns:
            one entry per call, in order: its result, or the :class:`ProtocolError` it got.

        Raises:
            BrowserClosedError: the browser (or the target) went away.
        """
        written: list[_Pending] = []
        try:
            for method, params in calls:
                written.append(await self._write(method, params, session_id))
            out: list[dict[str, Any] | ProtocolError] = []
            for pending in written:
                try:
                    out.append(await self._collect(pending))
                except ProtocolError as exc:
                    out.append(exc)
            return out
        finally:
            for pending in written:
                self._forget(pending)

    async def _write(
        self, method: str, params: dict[str, Any] | None, session_id: str | None
    ) -> _Pending:
        if self.closed.is_set():
            raise BrowserClosedError(self.close_reason)
        msg_id = next(self._ids)
        frame = encode_request(msg_id, method, params, session_id)
        pending = _Pending(msg_id, method, session_id)
        self._pending[msg_id] = pending
        try:
            await self._transport.send(frame)
        except BaseException:
            self._pending.pop(msg_id, None)
            raise
        return pending

    async def _collect(self, pending: _Pending) -> dict[str, Any]:
        try:
            await pending.done.wait()
        finally:
            self._forget(pending)
        response = pending.response
        if isinstance(response, BaseException):
            raise response
        assert response is not None
        return response.unwrap(pending.method)

    def _forget(self, pending: _Pending) -> None:
        # A cancelled call leaves no entry behind; a late reply for it is ignored.
        if self._pending.get(pending.id) is pending:
            del self._pending[pending.id]

    # -- events ---------------------------------------------------------------------------

    def listen(
        self,
        callback: EventCallback,
        *methods: str,
        session_id: Any = ANY_SESSION,
    ) -> _Listener:
        """Call ``callback(event)`` in the reader task for matching events.

        The callback must not block; an exception from it ends the connection's task
        (and so propagates to whoever opened the connection). Returns a handle whose
        ``remove()`` unregisters it.
        """
        listener = _Listener(self, callback, frozenset(methods) or None, session_id)
        if listener.methods is None:
            self._wildcard.append(listener)
        else:
            for method in listener.methods:
                self._by_method.setdefault(method, []).append(listener)
        return listener

    def _remove_listener(self, listener: _Listener) -> None:
        if listener.methods is None:
            with contextlib.suppress(ValueError):
                self._wildcard.remove(listener)
            return
        for method in listener.methods:
            bucket = self._by_method.get(method)
            if bucket is not None:
                with contextlib.suppress(ValueError):
                    bucket.remove(listener)
                if not bucket:
                    del self._by_method[method]

    @contextlib.contextmanager
    def subscribe(
        self, *methods: str, session_id: Any = ANY_SESSION, max_buffer: int = 10_000
    ) -> Iterator[EventStream]:
        """Stream matching events for the duration of the ``with`` block.

        Unknown event names are fine: every event reaches subscribers as it came. Subscribe
        before sending the command that triggers the event, or it may be missed.
        """
        send, receive = trio.open_memory_channel[Event | BaseException](max_buffer + 1)
        overflowed = False

        def deliver(event: Event) -> None:
            nonlocal overflowed
            if overflowed:
                return
            try:
                if send.statistics().current_buffer_used >= max_buffer:
                    overflowed = True
                    send.send_nowait(
                        EventOverflowError(
                            f"more than {max_buffer} unread events on a subscription to "
                            f"{', '.join(methods) or 'all events'}"
                        )
                    )
                    send.close()
                    return
                send.send_nowait(event)
            except (trio.ClosedResourceError, trio.BrokenResourceError):
                pass

        listener = self.listen(deliver, *methods, session_id=session_id)
        entry = (send, session_id)
        self._streams.append(entry)
        if self.closed.is_set():
            # _shut already ended the streams it knew of; this one would wait forever.
            send.close()
        try:
            with receive:
                yield EventStream(receive)
        finally:
            listener.remove()
            with contextlib.suppress(ValueError):
                self._streams.remove(entry)
            send.close()

    async def wait_for_event(
        self,
        method: str,
        *,
        session_id: Any = ANY_SESSION,
        predicate: Callable[[Event], bool] | None = None,
    ) -> Event:
        """Wait for the next matching event (the caller bounds the time)."""
        with self.subscribe(method, session_id=session_id) as stream:
            async for event in stream:
                if predicate is None or predicate(event):
                    return event
        raise BrowserClosedError(self.close_reason)

    # -- the reader -----------------------------------------------------------------------

    async def _reader(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        # A start that is cancelled already must end here: ``started()`` is a no-op in a
        # cancelled ``nursery.start``, which then waits for this task, and a shielded reader
        # would make it wait forever. No checkpoint between this one and the shield.
        await trio.lowlevel.checkpoint_if_cancelled()
        # ``open_connection`` cancels this scope itself once its block is done.
        with self._reader_scope:
            task_status.started()
            await self._read_loop()

    async def _read_loop(self) -> None:
        try:
            while True:
                frame = await self._transport.receive()
                if frame is None:
                    return
                try:
                    msg = decode_frame(frame)
                except MalformedFrameError as exc:
                    self.malformed_frames += 1
                    log.warning("ignoring a malformed CDP frame (%s): %.200r", exc, frame)
                    continue
                if isinstance(msg, Response):
                    pending = self._pending.pop(msg.id, None)
                    if pending is not None:
                        pending.response = msg
                        pending.done.set()
                    continue
                self._dispatch(msg)
        finally:
            self._shut(self.close_reason)

    async def aclose_transport(self) -> None:
        """Close the transport now (the peer sees end of file); the reader then ends."""
        with trio.CancelScope(shield=True):
            await self._transport.aclose()

    def _dispatch(self, event: Event) -> None:
        bucket = self._by_method.get(event.method)
        if bucket:
            for listener in tuple(bucket):
                if listener.session_id is ANY_SESSION or listener.session_id == event.session_id:
                    listener.callback(event)
        for listener in tuple(self._wildcard):
            if listener.session_id is ANY_SESSION or listener.session_id == event.session_id:
                listener.callback(event)
        if event.method == "Target.detachedFromTarget":
            gone = event.params.get("sessionId")
            if isinstance(gone, str):
                self._session_gone(gone)
        elif event.method == "Inspector.targetCrashed" and event.session_id is not None:
            # A crashed target answers nothing more; Chromium detaches it only much later
            # (a crashed service worker: when the browser closes).
            self._session_gone(event.session_id)

    def _session_gone(self, session_id: str) -> None:
        for msg_id, pending in list(self._pending.items()):
            if pending.session_id == session_id:
                del self._pending[msg_id]
                pending.response = TargetClosedError(
                    f"{pending.method}: the target of session {session_id} went away"
                )
                pending.done.set()
        for send, bound in list(self._streams):
            if bound == session_id:
                send.close()

    def _shut(self, reason: str) -> None:
        if self.closed.is_set():
            return
        self.close_reason = reason
        self.closed.set()
        pending, self._pending = self._pending, {}
        for item in pending.values():
            item.response = BrowserClosedError(f"{item.method}: {reason}")
            item.done.set()
        for send, _ in list(self._streams):
            send.close()


@contextlib.asynccontextmanager
async def open_connection(transport: Transport) -> AsyncIterator[Connection]:
    """Run a :class:`Connection` over ``transport`` for the duration of the block.

    The reader runs in a nursery this context manager owns. Leaving the block (normally,
    by exception or by cancellation) stops the reader, fails pending calls and closes the
    transport.
    """
    conn = Connection(transport)
    try:
        with unwrap_single():
            async with trio.open_nursery() as nursery:
                try:
                    # Inside the try: a cancellation that lands while the reader starts must
                    # still end the (shielded) reader, or the nursery would wait for it forever.
                    await nursery.start(conn._reader)
                    yield conn
                finally:
                    # Before the reader's own shutdown, so pending calls learn who closed it.
                    conn._shut("the connection was closed by cdpsession")
                    conn._reader_scope.cancel()
                    nursery.cancel_scope.cancel()
    finally:
        conn._shut("the connection was closed by cdpsession")
        with trio.CancelScope(shield=True):
            await transport.aclose()
