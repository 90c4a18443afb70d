"""The pipe transport over real OS pipes: framing, partial writes, fairness, closing."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import trio

from cdpsession import BrowserClosedError
from cdpsession._transport import PipeTransport, open_pipe_pair


class Peer:
    """The browser's ends of the two pipes: reads what we send, writes what we receive."""

    def __init__(self, child_read: int, child_write: int) -> None:
        self.read_fd = child_read
        self.write_fd = child_write
        self.inbox = trio.lowlevel.FdStream(child_read)
        self.outbox = trio.lowlevel.FdStream(child_write)

    async def read_frames(self, count: int) -> list[bytes]:
        data = b""
        while data.count(b"\0") < count:
            chunk = await self.inbox.receive_some(1 << 16)
            assert chunk, "the transport closed its end early"
            data += chunk
        frames = data.split(b"\0")
        assert frames[-1] == b""
        return frames[:-1]


@pytest.fixture
async def pipes() -> AsyncIterator[tuple[PipeTransport, Peer]]:
    (child_read, parent_write), (parent_read, child_write) = open_pipe_pair()
    transport = PipeTransport(parent_write, parent_read)
    peer = Peer(child_read, child_write)
    yield transport, peer
    # Each end is closed through its owner (idempotent), never behind its back.
    await transport.aclose()
    await peer.inbox.aclose()
    await peer.outbox.aclose()


async def test_frames_go_out_nul_terminated_in_order(pipes: tuple[PipeTransport, Peer]) -> None:
    transport, peer = pipes
    with trio.fail_after(5):
        for i in range(5):
            await transport.send(b'{"id":%d}' % i)
        assert await peer.read_frames(5) == [b'{"id":%d}' % i for i in range(5)]


async def test_a_frame_bigger_than_the_pipe_never_interleaves_with_others(
    pipes: tuple[PipeTransport, Peer],
) -> None:
    # A pipe holds 64 KiB: the 1 MiB frame is written in parts while 50 small frames are
    # sent concurrently; each frame must arrive whole.
    transport, peer = pipes
    big = b"B" * (1 << 20)
    small = [b"s%03d" % i for i in range(50)]
    got: list[bytes] = []
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:

            async def drain() -> None:
                got.extend(await peer.read_frames(1 + len(small)))

            nursery.start_soon(drain)
            nursery.start_soon(transport.send, big)
            for frame in small:
                nursery.start_soon(transport.send, frame)
    assert sorted(got) == sorted([big, *small])


async def test_a_lone_frame_is_in_the_pipe_when_send_returns(
    pipes: tuple[PipeTransport, Peer],
) -> None:
    transport, peer = pipes
    with trio.fail_after(5):
        await trio.sleep(0.001)  # well apart from any earlier write
        await transport.send(b'{"id":1}')
        # No scheduler round needed: the bytes are there already.
        assert os.read(peer.read_fd, 100) == b'{"id":1}\0'


async def test_a_burst_of_concurrent_frames_goes_out_in_few_writes(
    pipes: tuple[PipeTransport, Peer], monkeypatch: pytest.MonkeyPatch
) -> None:
    transport, peer = pipes
    writes: list[int] = []
    real_write = os.write

    def counting_write(fd: int, data: bytes) -> int:
        if fd == transport._write_fd:
            writes.append(len(data))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", counting_write)
    frames = [b'{"id":%d}' % i for i in range(200)]
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            for frame in frames:
                nursery.start_soon(transport.send, frame)
        got = await peer.read_frames(len(frames))
    assert sorted(got) == sorted(frames)
    # The first frame goes at once, the rest of the burst in one batch.
    assert len(writes) <= 3, writes


async def test_frames_split_across_reads_and_many_in_one_read(
    pipes: tuple[PipeTransport, Peer],
) -> None:
    transport, peer = pipes
    with trio.fail_after(5):
        await peer.outbox.send_all(b'{"a":1}\0{"b"')
        assert await transport.receive() == b'{"a":1}'
        async with trio.open_nursery() as nursery:
            got: list[bytes | None] = []

            async def receive() -> None:
                got.append(await transport.receive())

            nursery.start_soon(receive)
            await trio.sleep(0.05)
            assert got == []  # half a frame: the reader waits for the rest
            await peer.outbox.send_all(b':2}\0{"c":3}\0')
        assert got == [b'{"b":2}']
        assert await transport.receive() == b'{"c":3}'


async def test_end_of_stream_gives_none(pipes: tuple[PipeTransport, Peer]) -> None:
    transport, peer = pipes
    with trio.fail_after(5):
        await peer.outbox.send_all(b"last\0")
        await peer.outbox.aclose()
        assert await transport.receive() == b"last"
        assert await transport.receive() is None
        assert await transport.receive() is None


async def test_a_flood_of_frames_does_not_starve_other_tasks(
    pipes: tuple[PipeTransport, Peer],
) -> None:
    transport, peer = pipes
    frame = b"x" * 1000 + b"\0"
    ticks = 0
    received = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await trio.lowlevel.checkpoint()

    async def flood() -> None:
        for _ in range(2000):
            await peer.outbox.send_all(frame)

    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(flood)
            nursery.start_soon(ticker)
            while received < 2000:
                assert await transport.receive() == b"x" * 1000
                received += 1
            nursery.cancel_scope.cancel()
    # Every read that did not wait is followed by a checkpoint; 2 MB arrive in far more than
    # one read, so the ticker ran many times while frames kept coming.
    assert ticks > 20


async def test_send_after_close_and_to_a_closed_peer_raise_browser_closed(
    pipes: tuple[PipeTransport, Peer],
) -> None:
    transport, peer = pipes
    with trio.fail_after(5):
        await peer.inbox.aclose()  # the browser's read end goes away: EPIPE
        with pytest.raises(BrowserClosedError):
            await transport.send(b"{}")
        await transport.aclose()
        with pytest.raises(BrowserClosedError):
            await transport.send(b"{}")
        assert await transport.receive() is None


async def test_close_wakes_a_waiting_reader(pipes: tuple[PipeTransport, Peer]) -> None:
    transport, _peer = pipes
    got: list[bytes | None] = [b"unset"]
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:

            async def receive() -> None:
                got[0] = await transport.receive()

            nursery.start_soon(receive)
            await trio.sleep(0.05)
            await transport.aclose()
    assert got == [None]


async def test_a_cancelled_sender_never_leaves_half_a_frame(
    pipes: tuple[PipeTransport, Peer],
) -> None:
    # The 1 MiB frame cannot fit in the pipe; its sender is cancelled while the peer is not
    # reading yet. The frame must still go out whole, or the next frame would be corrupted.
    transport, peer = pipes
    big = b"B" * (1 << 20)
    got: list[bytes] = []
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:

            async def drain_later() -> None:
                await trio.sleep(0.2)
                got.extend(await peer.read_frames(2))

            nursery.start_soon(drain_later)
            with trio.move_on_after(0.05):
                await transport.send(big)
            await transport.send(b'{"id":2}')
    assert len(got) == 2
    assert got[0] == big
    assert got[1] == b'{"id":2}'
