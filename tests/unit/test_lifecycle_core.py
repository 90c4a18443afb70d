"""Core pieces behind the lifecycle guarantees, without a browser."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import trio

from cdpsession import LaunchError
from cdpsession._groups import single_exception, unwrap_single
from cdpsession._host import _MAX_TEMP_PARENT, _temp_parent
from cdpsession._launcher import ProfileLock, group_members, profile_in_use


def test_profile_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    first = ProfileLock(str(tmp_path))
    first.acquire()
    second = ProfileLock(str(tmp_path))
    with pytest.raises(LaunchError, match="is in use by another cdpsession browser") as info:
        second.acquire()
    assert str(tmp_path) in str(info.value)
    first.release()
    first.release()  # idempotent
    second.acquire()
    second.release()


def test_profile_lock_is_released_when_its_process_dies(tmp_path: Path) -> None:
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[2]);"
        "from cdpsession._launcher import ProfileLock;"
        "ProfileLock(sys.argv[1]).acquire(); print('locked', flush=True); time.sleep(60)"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path), root], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(LaunchError):
            ProfileLock(str(tmp_path)).acquire()
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    lock = ProfileLock(str(tmp_path))
    lock.acquire()
    lock.release()


def test_a_zombie_holds_no_profile(tmp_path: Path) -> None:
    # Chromium's SingletonLock names <hostname>-<pid>; a dead but unreaped browser must not
    # count as the holder (that made relaunching after a killed browser fail).
    child = subprocess.Popen(["sleep", "30"])
    try:
        os.symlink(f"{socket.gethostname()}-{child.pid}", tmp_path / "SingletonLock")
        assert profile_in_use(str(tmp_path)) == child.pid
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while profile_in_use(str(tmp_path)) is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        # Still unreaped here (no wait() yet): a zombie.
        with open(f"/proc/{child.pid}/stat") as fh:
            assert fh.read().rsplit(")", 1)[1].split()[0] == "Z"
        assert profile_in_use(str(tmp_path)) is None
    finally:
        child.kill()
        child.wait()


def test_group_members_finds_helpers_by_marker(tmp_path: Path) -> None:
    marker = str(tmp_path / "xdg")
    # A process outside our group that names the marker, like Chromium's crash handler.
    helper = subprocess.Popen(["sh", "-c", "sleep 30", marker], start_new_session=True)
    try:
        # Popen can return before the kernel shows the new program's command line in /proc
        # (seen empty on a loaded machine): wait for it, as a crash handler is long running.
        deadline = time.monotonic() + 5
        while marker.encode() not in Path(f"/proc/{helper.pid}/cmdline").read_bytes():
            assert time.monotonic() < deadline, "the helper never showed its command line"
            time.sleep(0.005)
        assert helper.pid in group_members(os.getpgrp() + 10**7, marker)
        assert helper.pid not in group_members(os.getpgrp() + 10**7)
    finally:
        helper.kill()
        helper.wait()


def test_temp_parent_prefers_a_short_folder(tmp_path: Path) -> None:
    short = tempfile.mkdtemp(prefix="c", dir="/tmp")
    try:
        assert _temp_parent(short) == short
        deep = tmp_path / ("x" * (_MAX_TEMP_PARENT + 5))
        deep.mkdir()
        # Too long for Chromium's socket path: fall back to a short writable folder.
        chosen = _temp_parent(str(deep))
        assert len(chosen) <= _MAX_TEMP_PARENT
        assert chosen != str(deep)
    finally:
        os.rmdir(short)


def test_single_exception_opens_only_the_nurserys_own_level() -> None:
    inner = ValueError("x")
    assert single_exception(ExceptionGroup("n", [inner])) is inner
    users = ExceptionGroup("user", [inner])
    assert single_exception(ExceptionGroup("n", [users])) is users
    assert single_exception(ExceptionGroup("n", [ValueError(), KeyError()])) is None


async def test_unwrap_single_around_a_nursery() -> None:
    async def boom() -> None:
        raise ZeroDivisionError

    async def run() -> None:
        with unwrap_single():
            async with trio.open_nursery() as nursery:
                nursery.start_soon(boom)
                await trio.sleep_forever()

    with pytest.raises(ZeroDivisionError):
        await run()


def test_several_browser_closed_errors_come_out_as_one() -> None:
    # Tasks working side by side all fail when the browser goes away: one fact, one error.
    from cdpsession._errors import BrowserClosedError, TargetClosedError  # noqa: PLC0415
    from cdpsession._groups import unwrap_single  # noqa: PLC0415

    first = BrowserClosedError("gone")
    with pytest.raises(BrowserClosedError) as info, unwrap_single():
        raise ExceptionGroup("tasks", [first, TargetClosedError("page gone")])
    assert info.value is first
    with pytest.raises(ExceptionGroup), unwrap_single():
        raise ExceptionGroup("tasks", [first, ValueError("other")])
