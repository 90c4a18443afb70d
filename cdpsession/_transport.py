"""Transports that carry CDP frames: Chromium's debugging pipe, and a WebSocket.

A transport moves whole frames; it knows nothing of JSON. ``receive()`` returns ``None``
once the peer is gone, and never raises for that.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

import trio

from ._errors import BrowserClosedError

# Chromium sends single messages of up to 256 MiB over WebSocket, and more over the pipe
# (a 300 MiB reply was seen, research/deps.md). Beyond this we give up on the frame.
MAX_FRAME_BYTES = 512 * 1024 * 1024
_READ_CHUNK = 1 << 20
# Writes closer together than this are a burst: gather the next frames into one write.
# A sequential caller waits a whole round trip (hundreds of microseconds) between writes.
_BURST_GAP_S = 50e-6
_PIPE_CLOSED = "the browser's debugging pipe is closed"


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

    The hot path talks to the (non-blocking) fds directly instead of through
    ``FdStream.send_all``/``receive_some``, which each add a scheduler round before trying
    the system call: a frame that fits in the pipe is written at once, and the reader only
    parks when there is nothing to read. The reader still yields after every read that did
    not park, so a flood of frames cannot starve other tasks.
    """

    def __init__(self, write_fd: int, read_fd: int) -> None:
        # FdStream makes the fds non-blocking and owns closing them (waking any waiter).
        self._out = trio.lowlevel.FdStream(write_fd)
        self._in = trio.lowlevel.FdStream(read_fd)
        self._write_fd = write_fd
        self._read_fd = read_fd
        self._buf = bytearray()
        self._scan_from = 0
        self._eof = False
        self._closed = False
        self._send_lock = trio.Lock()
        self._batch: list[bytes] | None = None
        self._last_write = 0.0
        self._parked_since_read = True

    async def send(self, frame: bytes) -> None:
        """Write one frame and its NUL terminator.

        A frame that follows the previous write closely (a burst of concurrent calls) waits
        for one scheduler round, so that the frames the others send meanwhile go out with it
        in one system call; otherwise (a lone or sequential caller) it is written at once.

        Raises:
            BrowserClosedError: the pipe is closed.
        """
        if self._closed:
            raise BrowserClosedError(_PIPE_CLOSED)
        if self._batch is not None:
            self._batch.append(frame)  # written by the task that started the batch
            return
        now = time.perf_counter()
        if now - self._last_write >= _BURST_GAP_S:
            self._last_write = now
            await self._write(frame + b"\0")
            return
        self._batch = [frame]
        # Shielded: the frames of the batch are other callers' too, and must go out.
        with trio.CancelScope(shield=True):
            try:
                await trio.lowlevel.cancel_shielded_checkpoint()  # let the others append
            finally:
                batch, self._batch = self._batch, None
            if self._closed:
                raise BrowserClosedError(_PIPE_CLOSED)
            batch.append(b"")
            self._last_write = time.perf_counter()
            await self._write(b"\0".join(batch))

    async def _write(self, data: bytes) -> None:
        if not self._send_lock.locked():
            # Nobody is mid-frame: try it all now, without a scheduler round.
            try:
                sent = os.write(self._write_fd, data)
            except BlockingIOError:
                sent = 0
            except OSError as exc:
                raise BrowserClosedError(_PIPE_CLOSED) from exc
            if sent == len(data):
                return
            data = data[sent:]
            if sent:
                # Part of a frame is in the pipe: its rest must come next, before any other
                # frame. Take the lock without a checkpoint, so no frame gets between.
                self._send_lock.acquire_nowait()
                try:
                    await self._write_rest(data)
                finally:
                    self._send_lock.release()
                return
        # One writer at a time, so frames never interleave.
        async with self._send_lock:
            await self._write_rest(data)

    async def _write_rest(self, data: bytes) -> None:
        # Shielded: a frame cut short by a cancellation would corrupt every frame after it.
        # It cannot hang: a browser that stops reading is killed at shutdown (EPIPE here).
        try:
            with trio.CancelScope(shield=True):
                await self._out.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            raise BrowserClosedError(_PIPE_CLOSED) from exc

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
            chunk = await self._read_chunk()
            if not chunk:
                self._eof = True
                return None
            self._buf += chunk

    async def _read_chunk(self) -> bytes:
        if not self._parked_since_read:
            # Data kept coming without a pause: let the woken callers run first.
            await trio.lowlevel.checkpoint()
        while True:
            if self._closed:
                return b""
            try:
                chunk = os.read(self._read_fd, _READ_CHUNK)
            except BlockingIOError:
                self._parked_since_read = True
                try:
                    await trio.lowlevel.wait_readable(self._read_fd)
                except (trio.ClosedResourceError, OSError):
                    return b""
                continue
            except OSError:
                return b""
            self._parked_since_read = False
            return chunk

    async def aclose(self) -> None:
        """Close both pipe ends."""
        self._closed = True
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
