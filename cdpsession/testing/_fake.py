"""``FakeChromium``: a scripted CDP peer that plays the browser's side of a transport.

Use it wherever a real browser is not the point: it records every command, answers from
handlers you register (or with an error), pushes events and raw (even malformed) frames on
demand, and can disconnect like a crashing browser::

    fake = FakeChromium()
    fake.reply("Browser.getVersion", {"product": "Fake/1"})
    async with open_connection(fake) as conn:
        assert (await conn.call("Browser.getVersion"))["product"] == "Fake/1"

A command without a handler gets CDP's own "method not found" error (-32601), like a
browser that lacks it. ``hold(method)`` makes a command wait for an explicit answer, for
tests of pipelining, cancellation and death while calls are pending.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
import trio

from .._errors import BrowserClosedError

Handler = Callable[[dict[str, Any], str | None], dict[str, Any] | None]


@attrs.define
class ReceivedCommand:
    """One command the fake received."""

    id: int
    method: str
    params: dict[str, Any]
    session_id: str | None


class FakeChromium:
    """A :class:`~cdpsession._transport.Transport` whose far end is scripted by the test."""

    def __init__(self) -> None:
        self._to_client_send, self._to_client = trio.open_memory_channel[bytes | None](1_000_000)
        self.commands: list[ReceivedCommand] = []
        self._handlers: dict[str, Handler] = {}
        self._held: dict[str, list[ReceivedCommand]] = {}
        self._hold: set[str] = set()
        self._arrived = trio.Event()
        self.closed = False

    # -- scripting --------------------------------------------------------------------------

    def reply(self, method: str, result: dict[str, Any] | Handler) -> None:
        """Answer ``method`` with ``result`` (a dict, or ``fn(params, session_id) -> dict``)."""
        if callable(result):
            self._handlers[method] = result
        else:
            fixed = dict(result)
            self._handlers[method] = lambda _params, _sid: fixed

    def fail(self, method: str, code: int, message: str) -> None:
        """Answer ``method`` with a CDP error."""

        def handler(_params: dict[str, Any], _sid: str | None) -> dict[str, Any]:
            raise _FakeError(code, message)

        self._handlers[method] = handler

    def hold(self, method: str) -> None:
        """Leave ``method`` unanswered until :meth:`answer` (or :meth:`disconnect`)."""
        self._hold.add(method)

    def held(self, method: str) -> list[ReceivedCommand]:
        """The commands of ``method`` still waiting for an answer."""
        return list(self._held.get(method, []))

    def answer(self, command: ReceivedCommand, result: dict[str, Any] | None = None) -> None:
        """Answer a held command."""
        self._held.get(command.method, []).remove(command)
        self._push({"id": command.id, "result": result or {}, **_sid(command.session_id)})

    def emit(
        self, method: str, params: dict[str, Any] | None = None, session_id: str | None = None
    ) -> None:
        """Send an event to the client."""
        self._push({"method": method, "params": params or {}, **_sid(session_id)})

    def send_raw(self, frame: bytes) -> None:
        """Send a raw frame (malformed ones included) to the client."""
        self._to_client_send.send_nowait(frame)

    def disconnect(self) -> None:
        """Go away like a crashed browser: the client's reader sees end of stream."""
        if not self.closed:
            self.closed = True
            self._to_client_send.send_nowait(None)

    async def wait_command(self, method: str, count: int = 1) -> ReceivedCommand:
        """Wait until ``count`` commands of ``method`` arrived; return the last one."""
        while True:
            found = [c for c in self.commands if c.method == method]
            if len(found) >= count:
                return found[count - 1]
            # Replace only a spent event: another task may already wait on the current one.
            if self._arrived.is_set():
                self._arrived = trio.Event()
            await self._arrived.wait()

    def _push(self, msg: dict[str, Any]) -> None:
        self._to_client_send.send_nowait(json.dumps(msg).encode())

    # -- the Transport side -------------------------------------------------------------------

    async def send(self, frame: bytes) -> None:
        """Receive one command from the client and answer it as scripted."""
        await trio.lowlevel.checkpoint()
        if self.closed:
            raise BrowserClosedError("the fake browser is gone")
        msg = json.loads(frame)
        command = ReceivedCommand(
            msg["id"], msg["method"], msg.get("params", {}), msg.get("sessionId")
        )
        self.commands.append(command)
        self._arrived.set()
        if command.method in self._hold:
            self._held.setdefault(command.method, []).append(command)
            return
        handler = self._handlers.get(command.method)
        extra = _sid(command.session_id)
        if handler is None:
            self._push(
                {
                    "id": command.id,
                    "error": {"code": -32601, "message": f"'{command.method}' wasn't found"},
                    **extra,
                }
            )
            return
        try:
            result = handler(command.params, command.session_id)
        except _FakeError as err:
            self._push(
                {"id": command.id, "error": {"code": err.code, "message": err.message}, **extra}
            )
            return
        self._push({"id": command.id, "result": result or {}, **extra})

    async def receive(self) -> bytes | None:
        """Next frame for the client; None once disconnected."""
        if self.closed and self._to_client.statistics().current_buffer_used == 0:
            return None
        return await self._to_client.receive()

    async def aclose(self) -> None:
        """Close the client's side."""
        self.closed = True


class _FakeError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _sid(session_id: str | None) -> dict[str, Any]:
    return {"sessionId": session_id} if session_id is not None else {}
