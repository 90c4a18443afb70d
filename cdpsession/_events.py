"""Electron-style events: ``on/once/off/emit``, an ``Event`` with ``prevent_default()``.

Listeners may be plain or ``async`` functions. Two ways to fire an event:

* ``emit(name, *args)`` for notifications: plain listeners run at once, async ones are
  started in the app's nursery.
* ``await emit_and_wait(name, *args)`` for events with a default action or a decision
  (``will-download``, ``select-*``): every listener runs to completion, async ones awaited,
  in registration order, before the caller goes on to the default action.

A listener's exception is never swallowed: it is raised in the app's nursery, which ends the
``open_app`` block with that exception (the nursery that ran it is the user's own).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import trio

Listener = Callable[..., Any]

__all__ = ["Event", "EventEmitter", "EventWaiter"]


class Event:
    """Electron's event object: the first argument of most session events.

    Mirrors Electron's ``Event`` (``preventDefault``/``defaultPrevented``).
    """

    __slots__ = ("_default_prevented",)

    def __init__(self) -> None:
        self._default_prevented = False

    def prevent_default(self) -> None:
        """Cancel the event's default action (for events that have one)."""
        self._default_prevented = True

    @property
    def default_prevented(self) -> bool:
        """True once ``prevent_default()`` was called."""
        return self._default_prevented

    def __repr__(self) -> str:
        return f"<Event default_prevented={self._default_prevented}>"


class EventWaiter:
    """What ``expect_event`` yields: ``await waiter.value`` gives the event's arguments."""

    def __init__(self) -> None:
        self._done = trio.Event()
        self._args: tuple[Any, ...] = ()

    def _set(self, args: tuple[Any, ...]) -> None:
        if not self._done.is_set():
            self._args = args
            self._done.set()

    @property
    def is_set(self) -> bool:
        """True once the event has fired."""
        return self._done.is_set()

    @property
    async def value(self) -> tuple[Any, ...]:
        """The arguments the event fired with (waits for it)."""
        await self._done.wait()
        return self._args


class EventEmitter:
    """Electron's ``EventEmitter`` surface for cdpsession objects."""

    def __init__(
        self,
        spawn: Callable[[Callable[[], Awaitable[None]]], None],
        fail: Callable[[BaseException], None] | None = None,
    ) -> None:
        # spawn(async_fn) starts a task in the app's nursery; fail(exc) ends the app with a
        # plain listener's exception, in the order listeners failed (default: spawn a task
        # that raises it).
        self._spawn = spawn
        self._fail = fail or (lambda exc: spawn(_raiser(exc)))
        self._listeners: dict[str, list[tuple[Listener, bool]]] = {}

    def on(self, event: str, listener: Listener) -> EventEmitter:
        """Add ``listener`` for ``event`` (Electron ``on``/``addListener``)."""
        _check(event, listener)
        self._listeners.setdefault(event, []).append((listener, False))
        self._listeners_changed(event)
        return self

    add_listener = on

    def once(self, event: str, listener: Listener) -> EventEmitter:
        """Add ``listener`` for the next ``event`` only."""
        _check(event, listener)
        self._listeners.setdefault(event, []).append((listener, True))
        self._listeners_changed(event)
        return self

    def off(self, event: str, listener: Listener) -> EventEmitter:
        """Remove the most recently added registration of ``listener`` for ``event``."""
        entries = self._listeners.get(event, [])
        for i in range(len(entries) - 1, -1, -1):
            if entries[i][0] is listener or entries[i][0] == listener:
                del entries[i]
                break
        if not entries:
            self._listeners.pop(event, None)
        self._listeners_changed(event)
        return self

    remove_listener = off

    def remove_all_listeners(self, event: str | None = None) -> EventEmitter:
        """Remove every listener of ``event``, or of every event."""
        events = list(self._listeners) if event is None else [event]
        for name in events:
            self._listeners.pop(name, None)
            self._listeners_changed(name)
        return self

    def listener_count(self, event: str) -> int:
        """How many listeners ``event`` has."""
        return len(self._listeners.get(event, ()))

    def listeners(self, event: str) -> list[Listener]:
        """The listeners of ``event``, in call order."""
        return [fn for fn, _ in self._listeners.get(event, ())]

    def _take(self, event: str) -> list[Listener]:
        entries = self._listeners.get(event)
        if not entries:
            return []
        fns = [fn for fn, _ in entries]
        remaining = [entry for entry in entries if not entry[1]]
        if len(remaining) != len(entries):
            if remaining:
                self._listeners[event] = remaining
            else:
                del self._listeners[event]
            self._listeners_changed(event)
        return fns

    def _listeners_changed(self, event: str) -> None:
        """Called after ``event`` gained or lost listeners (subclasses start or stop work)."""

    def emit(self, event: str, *args: Any) -> bool:
        """Fire ``event``; return True when it had listeners.

        Plain listeners run now; async ones start in the app's nursery. An exception from
        either is raised in the app's nursery (it ends the ``open_app`` block).
        """
        fns = self._take(event)
        for fn in fns:
            try:
                result = fn(*args)
            except trio.Cancelled:
                raise
            except BaseException as exc:
                # KeyboardInterrupt and SystemExit too: emit may run in the connection's
                # reader task, which must not end with them.
                self._fail(exc)
                continue
            if inspect.isawaitable(result):
                self._spawn(_awaiter(result))
        return bool(fns)

    async def emit_and_wait(self, event: str, *args: Any) -> bool:
        """Fire ``event`` and run every listener to completion, in order.

        Used before a default action, so ``prevent_default()`` in any listener counts.
        A listener's exception propagates to the caller.
        """
        fns = self._take(event)
        for fn in fns:
            result = fn(*args)
            if inspect.isawaitable(result):
                await result
        return bool(fns)

    async def wait_for(
        self, event: str, predicate: Callable[..., bool] | None = None
    ) -> tuple[Any, ...]:
        """Wait for the next ``event`` (matching ``predicate(*args)``); return its arguments."""
        async with self.expect_event(event, predicate) as waiter:
            pass
        return await waiter.value

    @contextlib.asynccontextmanager
    async def expect_event(
        self, event: str, predicate: Callable[..., bool] | None = None
    ) -> AsyncIterator[EventWaiter]:
        """Catch the next ``event`` fired while the block runs (or after it, until it fires).

        Example::

            async with ses.expect_event("will-download") as info:
                await page.execute_java_script("link.click()")
            event, item, web_contents = await info.value

        The listener is registered on entry, so an event fired by the block is never missed;
        leaving the block waits for the event when it has not fired yet.
        """
        waiter = EventWaiter()

        def listener(*args: Any) -> None:
            if not waiter.is_set and (predicate is None or predicate(*args)):
                waiter._set(args)

        self.on(event, listener)
        try:
            yield waiter
            await waiter.value
        finally:
            self.off(event, listener)


def _check(event: str, listener: Listener) -> None:
    if not isinstance(event, str):
        raise TypeError(f"event name must be str, not {type(event).__name__}")
    if not callable(listener):
        raise TypeError(f"listener must be callable, not {type(listener).__name__}")


def _raiser(exc: BaseException) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        raise exc

    return run


def _awaiter(awaitable: Awaitable[Any]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await awaitable

    return run
