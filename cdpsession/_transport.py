"""Transports that carry CDP frames: Chromium's debugging pipe, and a WebSocket.

A transport moves whole frames; it knows nothing of JSON. ``receive()`` returns ``None``
once the peer is gone, and never raises for that.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any, Protocol

import trio

from ._errors import BrowserClosedError

# Chromium sends single messages of up to 256 MiB over WebSocket, and more over the pipe
# (a 300 MiB reply was seen, research/deps.md). Beyond this we give up on the frame.
MAX_FRAME_BYTES = 512 * 1024 * 1024
_READ_CHUNK = 1 << 20


class Transport(Protocol):
    """What a connection needs from a transport."""

    async def send(self, frame: bytes) -> None:
        """Send one frame; raise :class:`BrowserClosedError` when the peer is gone."""
        ...

    async def receive(self) -> bytes | None:
        """Return the next frame, or ``None`` once the peer is gone."""
        ...

    async def aclose(self) -> None:
        """Release the transport; idempotent."""
        ...


class PipeTransport:
    """``--remote-debugging-pipe``: NUL-terminated JSON frames.

    We write what Chromium reads on its fd 3 and read what it writes on its fd 4.
    """

    def __init__(self, write_fd: int, read_fd: int) -> None:
        self._out = trio.lowlevel.FdStream(write_fd)
        self._in = trio.lowlevel.FdStream(read_fd)
        self._buf = bytearray()
        self._scan_from = 0
        self._eof = False
        self._send_lock = trio.Lock()

    async def send(self, frame: bytes) -> None:
        """Write one frame and its NUL terminator."""
        try:
            # One writer at a time, so frames never interleave.
            async with self._send_lock:
                await self._out.send_all(frame + b"\0")
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            raise BrowserClosedError("the browser's debugging pipe is closed") from exc

    async def receive(self) -> bytes | None:
        """Return the next frame without its NUL, or ``None`` at end of stream."""
        while True:
            end = self._buf.find(0, self._scan_from)
            if end >= 0:
                frame = bytes(self._buf[:end])
                del self._buf[: end + 1]
                self._scan_from = 0
                return frame
            if self._eof:
                return None
            self._scan_from = len(self._buf)
            if self._scan_from > MAX_FRAME_BYTES:
                self._eof = True
                return None
            try:
                chunk = await self._in.receive_some(_READ_CHUNK)
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                chunk = b""
            if not chunk:
                self._eof = True
                return None
            self._buf += chunk

    async def aclose(self) -> None:
        """Close both pipe ends."""
        for stream in (self._out, self._in):
            with contextlib.suppress(OSError):
                await stream.aclose()


def open_pipe_pair() -> tuple[tuple[int, int], tuple[int, int]]:
    """Make the two pipes for ``--remote-debugging-pipe``.

    Returns:
        ``((child_read, parent_write), (parent_read, child_write))``: Chromium reads
        commands on ``child_read`` (its fd 3) and writes replies on ``child_write`` (its fd 4).
    """
    child_read, parent_write = os.pipe()
    parent_read, child_write = os.pipe()
    return (child_read, parent_write), (parent_read, child_write)


class WebSocketTransport:
    """A CDP WebSocket (``ws://host:port/devtools/browser/<id>``) via ``websockets``' trio client.

    Made by :func:`open_websocket_transport`, which owns the socket's background task.
    """

    def __init__(self, ws: Any) -> None:
        self._ws = ws

    async def send(self, frame: bytes) -> None:
        """Send one text frame."""
        from websockets.exceptions import ConnectionClosed  # noqa: PLC0415

        try:
            await self._ws.send(frame.decode("utf-8"))
        except (ConnectionClosed, OSError, trio.BrokenResourceError) as exc:
            raise BrowserClosedError("the browser's WebSocket is closed") from exc

    async def receive(self) -> bytes | None:
        """Return the next message, or ``None`` once the socket is closed."""
        from websockets.exceptions import ConnectionClosed  # noqa: PLC0415

        try:
            msg = await self._ws.recv()
        except (ConnectionClosed, OSError, trio.BrokenResourceError):
            return None
        return msg.encode("utf-8") if isinstance(msg, str) else bytes(msg)

    async def aclose(self) -> None:
        """Close the socket (the owning context manager also does)."""
        with trio.CancelScope(shield=True), contextlib.suppress(Exception):
            await self._ws.aclose()


@contextlib.asynccontextmanager
async def open_websocket_transport(url: str) -> AsyncIterator[WebSocketTransport]:
    """Connect to a browser's CDP WebSocket at ``url`` (never through a proxy).

    Raises:
        BrowserClosedError: nothing usable answers at ``url``.
    """
    # Imported here: the pipe path should not pay for websockets at import time.
    from websockets.exceptions import WebSocketException  # noqa: PLC0415
    from websockets.trio.client import connect  # noqa: PLC0415

    try:
        cm = connect(
            url,
            max_size=MAX_FRAME_BYTES,
            compression=None,
            ping_interval=None,
            proxy=None,
            user_agent_header=None,
        )
        ws = await cm.__aenter__()
    except (OSError, WebSocketException, ValueError, trio.TooSlowError) as exc:
        raise BrowserClosedError(f"cannot connect to {url}: {exc}") from exc
    try:
        yield WebSocketTransport(ws)
    finally:
        with trio.CancelScope(shield=True), contextlib.suppress(Exception):
            await cm.__aexit__(None, None, None)
