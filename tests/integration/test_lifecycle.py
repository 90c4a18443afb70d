"""Lifecycle promises of ``open_app`` on real headless Chromium.

Whatever way the block is left (normally, by an exception, by trio cancellation, after the
browser was killed, on Ctrl-C), no Chromium process of it keeps running, no temp folder is
left, persistent partitions keep what they wrote, pending calls fail with
``BrowserClosedError``, and errors come out as single exceptions.

Internals (``ses._host``, ``page._target``) are read here on purpose: a test must know which
processes and folders belong to which host.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio

import cdpsession
from cdpsession._connection import Connection, open_connection
from cdpsession._transport import open_websocket_transport
from tests.conftest import leak_snapshot
from tests.integration.conftest import Server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A close that waits out this grace means Browser.close was never sent (the browser was
# terminated instead); a healthy close takes 0.1-0.4 s here.
CLOSE_TIMEOUT = 2.0
# Random pixels do not compress: a 1500x1500 noise canvas makes a PNG of about 9 MB.
NOISE_JS = """(() => {
  document.body.style.margin = "0";
  const c = document.createElement("canvas");
  c.width = 1500; c.height = 1500;
  document.body.appendChild(c);
  const ctx = c.getContext("2d");
  const img = ctx.createImageData(c.width, c.height);
  const px = new Uint32Array(img.data.buffer);
  for (let i = 0; i < px.length; i++) px[i] = (Math.random() * 0x100000000) | 0xff000000;
  ctx.putImageData(img, 0, 0);
  return px.length;
})()"""


pytestmark = pytest.mark.integration


def _new_leaks(before: set[str], markers: Iterable[str]) -> list[str]:
    """Entries of ``leak_snapshot()`` that are new and name one of ``markers``.

    Other engineers' test runs share this machine: only entries naming this test's folders
    count.
    """
    marks = [m for m in markers if m]
    return sorted(line for line in leak_snapshot() - before if any(m in line for m in marks))


# -- processes ------------------------------------------------------------------------------


@attrs.frozen
class _Proc:
    pid: int
    state: str
    ppid: int
    pgrp: int
    start: int  # clock ticks after boot: tells a reused PID apart


def _stat(pid: int) -> _Proc | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    fields = raw[raw.rfind(b")") + 2 :].split()
    return _Proc(pid, fields[0].decode(), int(fields[1]), int(fields[2]), int(fields[19]))


def _all_procs() -> dict[int, _Proc]:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            proc = _stat(int(entry))
            if proc is not None:
                out[proc.pid] = proc
    return out


def _counts(proc: _Proc) -> bool:
    """Whether ``proc`` is a leftover: running, or a zombie this process failed to reap.

    A zombie whose parent is PID 1 is an orphan the machine's init reaps (here lazily, within
    a couple of seconds); it holds no resources and is no longer ours to wait for.
    """
    return proc.state != "Z" or proc.ppid == os.getpid()


def _still_there(proc: _Proc) -> bool:
    now = _stat(proc.pid)
    return now is not None and now.start == proc.start and _counts(now)


def _group(pgid: int) -> list[_Proc]:
    return [p for p in _all_procs().values() if p.pgrp == pgid and _counts(p)]


def _environ(pid: int) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            raw = fh.read()
    except OSError:
        return {}
    out = {}
    for item in raw.split(b"\0"):
        name, sep, value = item.partition(b"=")
        if sep:
            out[name.decode(errors="replace")] = value.decode(errors="replace")
    return out


def _procs_by_tmpdir(root: str) -> dict[str, list[_Proc]]:
    """Running processes whose TMPDIR is inside ``root``, by TMPDIR.

    Every process of a host inherits its private TMPDIR, also Chromium's crashpad handlers,
    which daemonize out of the browser's process group (own group, parent PID 1).
    """
    prefix = root.rstrip("/") + "/"
    out: dict[str, list[_Proc]] = {}
    for proc in _all_procs().values():
        tmpdir = _environ(proc.pid).get("TMPDIR", "")
        if _counts(proc) and tmpdir.startswith(prefix):
            out.setdefault(tmpdir, []).append(proc)
    return out


CRASH_REPORTS = Path.home() / ".config" / "chromium" / "Crash Reports"


def _take_crash_dumps(marker: str) -> list[str]:
    """Crash dumps Chromium wrote for a browser whose command line names ``marker``.

    Debian's Chromium runs crashpad whatever the flags, with its database in the user's
    home: a dump there is something a run left behind. Found dumps are removed.
    """
    found = []
    for dump in CRASH_REPORTS.glob("*/*.dmp"):
        try:
            data = dump.read_bytes()
        except OSError:
            continue
        if marker.encode() in data:
            found.append(str(dump))
            dump.unlink(missing_ok=True)
            dump.with_suffix(".meta").unlink(missing_ok=True)
    return found


@pytest.fixture(autouse=True)
def _remove_crash_dumps(data_dir: str) -> Iterator[None]:
    """Whatever a test asserts, remove the crash dumps its browsers wrote into $HOME."""
    yield
    _take_crash_dumps(data_dir)


def _my_browsers() -> set[int]:
    """PIDs of Chromium browsers this test process started on the debugging pipe."""
    me = os.getpid()
    out = set()
    for proc in _all_procs().values():
        if proc.ppid != me or not _counts(proc):
            continue
        try:
            with open(f"/proc/{proc.pid}/cmdline", "rb") as fh:
                cmdline = fh.read()
        except OSError:
            continue
        if b"--remote-debugging-pipe" in cmdline:
            out.add(proc.pid)
    return out


def _chromium_temp_entries() -> set[str]:
    """``org.chromium.Chromium.*`` folders in the shared temp folders."""
    out: set[str] = set()
    for root in {tempfile.gettempdir(), "/tmp", "/dev/shm"}:
        with contextlib.suppress(OSError):
            out |= {
                os.path.join(root, name)
                for name in os.listdir(root)
                if name.startswith(("org.chromium.Chromium.", ".org.chromium.Chromium."))
            }
    return out


@attrs.define
class _Footprint:
    """What one host put on the machine, recorded while it runs."""

    label: str
    pid: int
    procs: list[_Proc]
    temp_root: str
    tmpdir: str


def _footprint(ses: cdpsession.Session, label: str) -> _Footprint:
    host = ses._host
    assert host is not None
    assert host.alive
    pid = host.browser.pid
    procs = _all_procs()

    def descends(proc: _Proc) -> bool:
        seen = 0
        while proc.ppid in procs and seen < 64:
            if proc.ppid == pid:
                return True
            proc = procs[proc.ppid]
            seen += 1
        return False

    private = host.private_dir
    tmpdir = os.path.join(private, "tmp")
    tree = [
        p
        for p in procs.values()
        if p.pid == pid
        or p.pgrp == pid
        or descends(p)
        or (_counts(p) and _environ(p.pid).get("TMPDIR") == tmpdir)
    ]
    assert len(tree) > 1, f"{label}: the browser {pid} has no helper processes: {tree}"
    return _Footprint(label, pid, tree, private, tmpdir)


def _leftover_processes(fps: Iterable[_Footprint]) -> list[str]:
    out = []
    for fp in fps:
        seen = set()
        for proc in fp.procs:
            if _still_there(proc):
                seen.add(proc.pid)
                out.append(f"{fp.label}: process {proc.pid} ({_stat(proc.pid)})")
        out += [
            f"{fp.label}: process {p.pid} of group {fp.pid} ({p})"
            for p in _group(fp.pid)
            if p.pid not in seen
        ]
    return out


async def _assert_clean(fps: Iterable[_Footprint]) -> None:
    """No process of these hosts runs and no temp folder of theirs exists."""
    fps = list(fps)
    folders = [fp.temp_root for fp in fps if _exists(fp.temp_root)]
    assert not folders, f"temp folders left behind: {folders}"
    # Stragglers get SIGKILL as the host stops; dying takes the kernel a moment.
    for _ in range(20):
        if not _leftover_processes(fps):
            break
        await trio.sleep(0.05)
    left = _leftover_processes(fps)
    assert not left, f"processes left behind: {left}"


def _exists(path: str) -> bool:
    # Sync on purpose: a stat of a local folder, from tests that poll for it.
    return os.path.exists(path)


def _pid_gone(pid: int) -> bool:
    proc = _stat(pid)
    return proc is None or not _counts(proc)


# -- helpers --------------------------------------------------------------------------------


async def _wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    with trio.move_on_after(timeout):
        for _ in range(100_000):
            if check():
                return
            await trio.sleep(0.02)
    assert check(), f"timed out after {timeout} s waiting for {what}"


async def _read_cookies(data_dir: str, url: str, partitions: Iterable[str]) -> dict[str, str]:
    """``document.cookie`` at ``url`` in each partition of a fresh app on ``data_dir``."""
    out = {}
    async with cdpsession.open_app(data_dir) as app:
        for partition in partitions:
            page = await app.session.from_partition(partition).open_page(url)
            out[partition] = await page.execute_java_script("document.cookie")
    return out


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _remove_tree(path: str) -> list[str]:
    """Remove ``path``; return what it held (empty when it did not exist)."""
    if not os.path.exists(path):
        return []
    held = sorted(str(p) for p in Path(path).rglob("*"))
    shutil.rmtree(path)
    return held


def _log_file(path: Path) -> int:
    """A write-only fd for a child's output (the caller closes it once the child started)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)


def _write_script(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def private_tempdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Route Python's temp folder (where persistent hosts get their temp root) to this test.

    Other test runs on the machine then cannot be mistaken for this test's leftovers. Short
    on purpose: see test_long_temp_folder_still_launches.
    """
    root = tempfile.mkdtemp(prefix="cdps-lc-", dir="/tmp")
    monkeypatch.setattr(tempfile, "tempdir", root)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _cdpsession_folders(root: str) -> list[str]:
    return sorted(n for n in os.listdir(root) if n.startswith("cdpsession-"))


# -- normal exit ----------------------------------------------------------------------------


async def test_normal_exit_stops_every_browser_and_removes_every_folder(
    data_dir: str, server: Server
) -> None:
    server.html("/", "<p>lifecycle</p>")
    url = server.url("/")
    before = leak_snapshot()
    chromium_temp_before = _chromium_temp_entries()
    fps: list[_Footprint] = []
    with trio.fail_after(60):
        async with cdpsession.open_app(data_dir) as app:
            sessions = {
                "": app.session.default_session,
                "persist:keep": app.session.from_partition("persist:keep"),
                "scratch": app.session.from_partition("scratch"),
            }
            for name, ses in sessions.items():
                page = await ses.open_page(url)
                label = name.replace(":", "-") or "default"
                await page.execute_java_script(f"document.cookie = '{label}=1; Max-Age=3600'")
                fp = _footprint(ses, name or "default")
                fps.append(fp)
                # Chromium's own org.chromium.Chromium.* files go to the host's private TMPDIR.
                assert _environ(fp.pid).get("TMPDIR") == fp.tmpdir
                assert any(n.startswith("org.chromium.Chromium.") for n in os.listdir(fp.tmpdir))
            assert len({fp.pid for fp in fps}) == 3
            assert fps[2].temp_root.startswith("/dev/shm/")
        await _assert_clean(fps)
        assert not _new_leaks(before, [data_dir, *(fp.temp_root for fp in fps)])
        assert _chromium_temp_entries() - chromium_temp_before == set()
        cookies = await _read_cookies(data_dir, url, sessions)
    assert cookies == {"": "default=1", "persist:keep": "persist-keep=1", "scratch": ""}


# -- exception and cancellation -------------------------------------------------------------


class _UserError(Exception):
    pass


async def _exit_rounds(
    data_dir: str, url: str, leave: Callable[[trio.CancelScope], Awaitable[None]], rounds: int
) -> tuple[list[float], list[_Footprint], list[BaseException | str]]:
    """Open an app with a persist: and an in-memory session, set a cookie, leave by ``leave``.

    Returns how long each exit took, the hosts' footprints, and what came out of each block
    (the exception, ``"cancelled"`` when the enclosing scope caught its cancellation, or
    ``"normal"``).
    """
    durations: list[float] = []
    fps: list[_Footprint] = []
    outcomes: list[BaseException | str] = []
    for i in range(rounds):
        started = 0.0
        outcome: BaseException | str = "normal"
        try:
            with trio.CancelScope() as scope:
                async with cdpsession.open_app(data_dir, close_timeout=CLOSE_TIMEOUT) as app:
                    for name in ("persist:p", f"mem{i}"):
                        ses = app.session.from_partition(name)
                        page = await ses.open_page(url)
                        await page.execute_java_script(f"document.cookie = 'c{i}=1; Max-Age=3600'")
                        fps.append(_footprint(ses, f"round {i} {name}"))
                    started = trio.current_time()
                    await leave(scope)
            if scope.cancelled_caught:
                outcome = "cancelled"
        except Exception as exc:
            outcome = exc
        durations.append(trio.current_time() - started)
        outcomes.append(outcome)
    return durations, fps, outcomes


def _exit_report(durations: list[float], cookies: str) -> str:
    return (
        f"exit durations {[round(d, 2) for d in durations]} s (close_timeout={CLOSE_TIMEOUT}); "
        f"cookies of persist:p after reopening: {cookies!r}"
    )


async def test_exception_in_body_comes_out_unchanged_and_closes_cleanly(
    data_dir: str, server: Server
) -> None:
    server.html("/", "<p>x</p>")
    url = server.url("/")
    errors = [_UserError(f"mine {i}") for i in range(3)]
    raised = iter(errors)

    async def leave(_scope: trio.CancelScope) -> None:
        raise next(raised)

    before = leak_snapshot()
    with trio.fail_after(60):
        durations, fps, outcomes = await _exit_rounds(data_dir, url, leave, len(errors))
        for got, err in zip(outcomes, errors, strict=True):
            assert got is err
            assert type(got) is _UserError
        await _assert_clean(fps)
        assert not _new_leaks(before, [data_dir, *(fp.temp_root for fp in fps)])
        cookies = (await _read_cookies(data_dir, url, ["persist:p"]))["persist:p"]
    # Leaving by an exception still closes each browser with Browser.close (README): the exit
    # is quick and the persistent partition keeps what was written. Several rounds and two
    # hosts each, because a shutdown that finds its connection already closed depends on the
    # order trio wakes the tasks in.
    dumps = _take_crash_dumps(data_dir)
    report = _exit_report(durations, cookies)
    assert max(durations) < CLOSE_TIMEOUT, report
    assert sorted(cookies.split("; ")) == ["c0=1", "c1=1", "c2=1"], report
    assert dumps == []


async def test_cancelled_block_closes_cleanly_and_keeps_persistent_data(
    data_dir: str, server: Server
) -> None:
    server.html("/", "<p>x</p>")
    url = server.url("/")

    async def leave(scope: trio.CancelScope) -> None:
        scope.cancel()
        await trio.sleep_forever()

    before = leak_snapshot()
    with trio.fail_after(60):
        durations, fps, outcomes = await _exit_rounds(data_dir, url, leave, 3)
        assert outcomes == ["cancelled"] * 3
        await _assert_clean(fps)
        assert not _new_leaks(before, [data_dir, *(fp.temp_root for fp in fps)])
        cookies = (await _read_cookies(data_dir, url, ["persist:p"]))["persist:p"]
    dumps = _take_crash_dumps(data_dir)
    report = _exit_report(durations, cookies)
    assert max(durations) < CLOSE_TIMEOUT, report
    assert sorted(cookies.split("; ")) == ["c0=1", "c1=1", "c2=1"], report
    assert dumps == []


async def test_body_exception_group_and_keyboard_interrupt_come_out_unchanged(
    data_dir: str,
) -> None:
    group = ExceptionGroup("the user's own group", [ValueError("inside")])
    ki = KeyboardInterrupt()

    async def raise_in_block(exc: BaseException) -> None:
        async with cdpsession.open_app(data_dir):
            raise exc

    with trio.fail_after(10):
        with pytest.raises(KeyboardInterrupt) as ki_info:
            await raise_in_block(ki)
        assert ki_info.value is ki
        with pytest.raises(BaseException) as group_info:  # noqa: PT011 - identity checked below
            await raise_in_block(group)
    # The user's group is neither unwrapped nor merged into another. (Its identity cannot
    # survive: trio's cancel scopes split every group that passes through them, and
    # CPython's split() always builds a new group object; the leaves stay the same objects.)
    out = group_info.value
    assert type(out) is ExceptionGroup, f"open_app replaced the user's group with {out!r}"
    assert out.message == "the user's own group"
    assert len(out.exceptions) == 1
    assert out.exceptions[0] is group.exceptions[0]


# -- cancellation while a browser starts ------------------------------------------------------


async def test_cancel_during_launch_leaves_nothing_and_the_session_still_works(
    data_dir: str, server: Server, private_tempdir: str
) -> None:
    server.html("/", "<p>x</p>")
    url = server.url("/")
    deadlines = (0.0, 0.02, 0.1, 0.25, 0.45)
    try:
        await _cancel_launches(data_dir, url, deadlines, private_tempdir)
    finally:
        dumps = _take_crash_dumps(data_dir)
    # Stopping a browser mid-start must not make it crash (and write a dump into $HOME).
    assert dumps == []


async def _cancel_launches(
    data_dir: str, url: str, deadlines: tuple[float, ...], private_tempdir: str
) -> None:
    """Cancel a launch at each deadline; check nothing of an unborn host stays behind."""
    with trio.fail_after(60):
        async with cdpsession.open_app(data_dir, close_timeout=CLOSE_TIMEOUT) as app:
            sessions = []
            for i, deadline in enumerate(deadlines):
                ses = app.session.from_partition(f"persist:c{i}")
                sessions.append(ses)
                started = trio.current_time()
                with trio.move_on_after(deadline):
                    await ses.open_page(url)
                elapsed = trio.current_time() - started
                assert elapsed < deadline + 2.0, f"cancel at {deadline} s took {elapsed:.2f} s"
                live = [s._host for s in sessions if s._host is not None and s._host.alive]
                # Whatever the cancellation interrupted, nothing of a host that did not come
                # up is left: no browser, no helper process, no temp folder.
                assert _my_browsers() == {h.browser.pid for h in live}, f"deadline {deadline}"
                assert _cdpsession_folders(private_tempdir) == sorted(
                    os.path.basename(h.private_dir) for h in live
                ), f"deadline {deadline}"
                live_tmpdirs = {os.path.join(h.private_dir, "tmp") for h in live}

                def only_live(live_tmpdirs: set[str] = live_tmpdirs) -> bool:
                    return set(_procs_by_tmpdir(private_tempdir)) <= live_tmpdirs

                await _wait_until(only_live, 1.0, f"helpers of the launch cancelled at {deadline}")
            # A cancelled launch does not break its session.
            fps = []
            for ses in sessions:
                page = await ses.open_page(url)
                assert await page.execute_java_script("1 + 1") == 2
                fps.append(_footprint(ses, ses.storage_path or ""))
        await _assert_clean(fps)
        assert _procs_by_tmpdir(private_tempdir) == {}
        assert _cdpsession_folders(private_tempdir) == []


async def test_cancel_of_the_whole_app_during_launch_leaves_nothing(
    data_dir: str, server: Server, private_tempdir: str
) -> None:
    server.html("/", "<p>x</p>")
    url = server.url("/")
    late: dict[float, float] = {}
    with trio.fail_after(60):
        for i, deadline in enumerate((0.02, 0.1, 0.25, 0.5, 0.9)):
            folder = os.path.join(data_dir, str(i))
            started = trio.current_time()
            with trio.move_on_after(deadline) as scope:
                async with cdpsession.open_app(folder, close_timeout=CLOSE_TIMEOUT) as app:
                    await app.session.default_session.open_page(url)
                    await trio.sleep_forever()
            late[deadline] = round(trio.current_time() - started - deadline, 2)
            assert scope.cancelled_caught
            assert _my_browsers() == set(), late
            assert _cdpsession_folders(private_tempdir) == [], late

            def no_helpers() -> bool:
                return _procs_by_tmpdir(private_tempdir) == {}

            await _wait_until(no_helpers, 1.0, f"helpers of the app cancelled at {deadline}")
    dumps = _take_crash_dumps(data_dir)
    # Cancellation is honoured promptly on every path: the browser is closed (or, still
    # starting, terminated), not left to the close_timeout grace.
    assert max(late.values()) < CLOSE_TIMEOUT, f"exit this long after the deadline: {late}"
    # Stopping a browser mid-start must not make it crash (and write a dump into $HOME).
    assert dumps == []


# -- a killed browser -----------------------------------------------------------------------


async def test_killed_browser_fails_pending_calls_and_the_session_restarts(
    data_dir: str, server: Server
) -> None:
    server.html("/", "<p>x</p>")
    url = server.url("/")
    before = leak_snapshot()
    fps: list[_Footprint] = []
    destroyed_at_once: list[bool] = []
    with trio.fail_after(60):
        async with cdpsession.open_app(data_dir) as app:
            ses = app.session.default_session
            for cycle in range(2):
                pages = [await ses.open_page(url), await ses.open_page(url)]
                fp = _footprint(ses, f"cycle {cycle}")
                fps.append(fp)
                host = ses._host
                assert host is not None
                errors: list[BaseException] = []

                async def hang(page: cdpsession.WebContents, errors: list[BaseException]) -> None:
                    try:
                        await page.execute_java_script("new Promise(() => {})")
                    except Exception as exc:
                        errors.append(exc)

                async with trio.open_nursery() as nursery:
                    for page in pages:
                        nursery.start_soon(hang, page, errors)
                    conn = host.connection

                    def both_pending(conn: Connection = conn) -> bool:
                        return len(conn._pending) >= 2

                    await _wait_until(both_pending, 5, "pending calls")
                    killed_at = trio.current_time()
                    os.kill(fp.pid, signal.SIGKILL)
                assert trio.current_time() - killed_at < 2
                assert len(errors) == 2
                assert all(isinstance(e, cdpsession.BrowserClosedError) for e in errors), errors
                destroyed_at_once += [page.is_destroyed() for page in pages]
                # The next use of the session starts a new browser.
                try:
                    page = await ses.open_page(url)
                except cdpsession.LaunchError as exc:
                    pytest.fail(f"relaunch after SIGKILL of browser {fp.pid} failed: {exc}")
                assert await page.execute_java_script("document.body.textContent") == "x"
                assert ses._host is not None
                assert ses._host.browser.pid != fp.pid
                # The dead host was torn down while the app goes on.
                assert not _exists(fp.temp_root)
                assert not [p for p in _group(fp.pid) if p.pid != fp.pid]
            fps.append(_footprint(ses, "last"))
        await _assert_clean(fps)
        assert not _new_leaks(before, [data_dir, *(fp.temp_root for fp in fps)])
    # A page whose call just failed with BrowserClosedError is destroyed.
    assert destroyed_at_once == [True] * 4


# -- Ctrl-C and SIGKILL of the Python process ------------------------------------------------

_CHILD_SCRIPT = """
import os, sys, trio, cdpsession

async def main() -> None:
    data_dir, url, ready = sys.argv[1], sys.argv[2], sys.argv[3]
    async with cdpsession.open_app(data_dir) as app:
        ses = app.session.from_partition("persist:keep")
        page = await ses.open_page(url)
        await page.execute_java_script("document.cookie = 'kept=yes; Max-Age=3600'")
        host = ses._host
        with open(ready + ".part", "w") as fh:
            fh.write(f"{host.browser.pid} {host.private_dir}")
        os.rename(ready + ".part", ready)
        await trio.sleep_forever()

trio.run(main)
"""


@attrs.define
class _Child:
    process: trio.Process
    browser_pid: int
    temp_root: str
    stderr_path: Path


async def _start_child(tmp: Path, data_dir: str, url: str) -> _Child:
    script = _write_script(tmp / "child.py", _CHILD_SCRIPT)
    ready = tmp / "ready"
    stderr_path = tmp / "stderr.txt"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    err = _log_file(stderr_path)
    try:
        process = await trio.lowlevel.open_process(
            [sys.executable, script, data_dir, url, str(ready)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )
    finally:
        os.close(err)

    def is_ready() -> bool:
        return ready.exists() or process.poll() is not None

    await _wait_until(is_ready, 30, "the child's ready file")
    assert ready.exists(), f"the child exited: {stderr_path.read_text()}"
    pid_text, temp_root = ready.read_text().split(" ", 1)
    return _Child(process, int(pid_text), temp_root, stderr_path)


async def test_ctrl_c_closes_chromium_cleanly_and_keeps_persistent_data(
    data_dir: str, server: Server, tmp_path: Path
) -> None:
    server.html("/", "<p>x</p>")
    url = server.url("/")
    # Three at once: whether Browser.close is sent depends on trio's scheduling order (see
    # test_exception_in_body_comes_out_unchanged_and_closes_cleanly), so try it three times.
    results: dict[int, str] = {}

    async def one(i: int) -> None:
        folder = os.path.join(data_dir, str(i))
        child = await _start_child(tmp_path / str(i), folder, url)
        group_before = [p.pid for p in _group(child.browser_pid)]
        assert len(group_before) > 1
        started = trio.current_time()
        os.kill(child.process.pid, signal.SIGINT)
        with trio.move_on_after(20):
            await child.process.wait()
        took = trio.current_time() - started
        if child.process.returncode is None:
            child.process.kill()
            await child.process.wait()
        stderr = child.stderr_path.read_text()
        assert child.process.returncode == -signal.SIGINT, stderr
        assert "KeyboardInterrupt" in stderr
        assert stderr.rstrip().splitlines()[-1] == "KeyboardInterrupt", stderr
        await _wait_until(lambda: _pid_gone(child.browser_pid), 2, "the browser to exit")
        assert _group(child.browser_pid) == []
        assert not _exists(child.temp_root)
        cookies = await _read_cookies(folder, url, ["persist:keep"])
        results[i] = f"exit {took:.2f} s after SIGINT, cookies {cookies['persist:keep']!r}"

    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            for i in range(3):
                nursery.start_soon(one, i)
    report = [results[i] for i in sorted(results)]
    assert all(r.endswith("cookies 'kept=yes'") for r in report), report
    assert all(float(r.split()[1]) < 3.0 for r in report), report


async def test_sigkill_of_python_makes_chromium_exit_by_itself(
    data_dir: str, server: Server, tmp_path: Path
) -> None:
    server.html("/", "<p>x</p>")
    url = server.url("/")
    with trio.fail_after(60):
        child = await _start_child(tmp_path, data_dir, url)
        group_before = _group(child.browser_pid)
        assert len(group_before) > 1
        os.kill(child.process.pid, signal.SIGKILL)
        await child.process.wait()
        killed_at = trio.current_time()
        # The browser's pipe closed with its parent: Chromium must leave by itself.
        await _wait_until(lambda: _pid_gone(child.browser_pid), 10, "the orphaned browser to exit")
        await _wait_until(
            lambda: not [p for p in group_before if _still_there(p)], 10, "its helper processes"
        )
        took = trio.current_time() - killed_at
        # A SIGKILLed Python cannot remove its temp folder: report it, then remove it.
        left = _remove_tree(child.temp_root)
        print(f"browser exited {took:.2f} s after SIGKILL; left behind {child.temp_root}: {left}")
        # The profile is usable again at once (a stale SingletonLock is not "in use").
        cookies = await _read_cookies(data_dir, url, ["persist:keep"])
        print(f"cookies after SIGKILL of Python: {cookies}")


# -- a profile already in use ---------------------------------------------------------------


async def _use_default_session(data_dir: str) -> None:
    async with cdpsession.open_app(data_dir) as app:
        await app.session.default_session.open_page()


async def test_profile_in_use_raises_launch_error_naming_the_folder_at_once(
    data_dir: str,
) -> None:
    with trio.fail_after(30):
        async with cdpsession.open_app(data_dir) as first:
            await first.session.default_session.open_page()
            started = trio.current_time()
            with pytest.raises(cdpsession.LaunchError) as info:
                await _use_default_session(data_dir)
            took = trio.current_time() - started
            assert data_dir in str(info.value)
            assert took < 1.0, f"took {took:.2f} s"
            # The first app is unaffected.
            page = await first.session.default_session.open_page()
            assert await page.execute_java_script("1 + 1") == 2


async def test_profile_raced_by_two_apps_fails_one_with_the_folder_named(data_dir: str) -> None:
    # Two apps start the same profile at the same moment: exactly one may get it. Repeated,
    # because the outcome varies: on a busy machine both browsers sometimes come up on the
    # one profile (seen in about 1 round in 5 while other suites ran; rarely on an idle one).
    rounds: list[list[tuple[str, float, int]]] = []

    async def contender(folder: str, gate: trio.Event, out: list[tuple[str, float, int]]) -> None:
        await gate.wait()
        started = trio.current_time()
        try:
            async with cdpsession.open_app(folder) as app:
                ses = app.session.default_session
                await ses.open_page()
                assert ses._host is not None
                out.append(("ok", trio.current_time() - started, ses._host.browser.pid))
                # Long enough for the loser to have given up (or, wrongly, to have come up).
                await trio.sleep(1.2)
        except cdpsession.LaunchError as exc:
            out.append((str(exc), trio.current_time() - started, 0))

    with trio.fail_after(40):
        for i in range(3):
            folder = os.path.join(data_dir, str(i))
            os.mkdir(folder)
            gate = trio.Event()
            out: list[tuple[str, float, int]] = []
            rounds.append(out)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(contender, folder, gate, out)
                nursery.start_soon(contender, folder, gate, out)
                await trio.sleep(0.05)
                gate.set()
    for i, out in enumerate(rounds):
        folder = os.path.join(data_dir, str(i))
        winners = [pid for text, _, pid in out if text == "ok"]
        assert len(winners) == 1, (
            f"round {i}: {len(winners)} browsers (pids {winners}) had {folder} open at once: {out}"
        )
        message, took, _ = next(o for o in out if o[0] != "ok")
        assert folder in message
        assert took < 2.0, out


# -- a listener's exception -----------------------------------------------------------------


async def test_listener_exception_ends_the_block_as_itself(data_dir: str) -> None:
    async def bad_async(_ses: cdpsession.Session) -> None:
        await trio.lowlevel.checkpoint()
        raise ValueError("from an async listener")

    listeners: list[tuple[Callable[[cdpsession.Session], object], type[Exception]]] = [
        (lambda _ses: 1 / 0, ZeroDivisionError),
        (bad_async, ValueError),
    ]
    fps: list[_Footprint] = []
    exits: list[float] = []
    before = leak_snapshot()
    with trio.fail_after(40):
        for listener, expected in listeners:
            reached_after_sleep = False

            async def body(listener: Callable[[cdpsession.Session], object] = listener) -> None:
                nonlocal reached_after_sleep
                async with cdpsession.open_app(data_dir, close_timeout=CLOSE_TIMEOUT) as app:
                    for name in ("", "other"):
                        ses = app.session.from_partition(name)
                        await ses.open_page()
                        fps.append(_footprint(ses, name or "default"))
                    app.on("session-created", listener)
                    app.session.from_partition("x")
                    exits.append(trio.current_time())
                    await trio.sleep(10)
                    reached_after_sleep = True

            with pytest.raises(expected) as info:
                await body()
            exits[-1] = trio.current_time() - exits[-1]
            assert type(info.value) is expected
            assert not reached_after_sleep
        await _assert_clean(fps)
        assert not _new_leaks(before, [data_dir, *(fp.temp_root for fp in fps)])
    assert max(exits) < CLOSE_TIMEOUT, f"exits took {[round(e, 2) for e in exits]} s"


# -- bad arguments and browsers that fail ---------------------------------------------------


async def test_bad_arguments_raise_at_once(data_dir: str, tmp_path: Path) -> None:
    regular_file = tmp_path / "a-file"
    regular_file.write_text("x")
    bad: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"chromium": "/nonexistent"}, cdpsession.LaunchError, "/nonexistent"),
        ({"extra_args": "--foo"}, TypeError, "extra_args"),
        ({"extra_args": ["--user-data-dir=/x"]}, ValueError, "--user-data-dir"),
        ({"launch_timeout": 0}, ValueError, "launch_timeout"),
        ({"close_timeout": -1}, ValueError, "close_timeout"),
        ({"user_data_dir": str(regular_file)}, ValueError, str(regular_file)),
    ]
    with trio.fail_after(10):
        for kwargs, error, text in bad:
            kwargs.setdefault("user_data_dir", data_dir)
            with pytest.raises(error, match=re.escape(text)):
                await _enter_app(kwargs)


async def _enter_app(kwargs: dict[str, Any]) -> None:
    async with cdpsession.open_app(**kwargs):
        pass


async def test_browser_that_exits_at_start_gives_launch_error_with_its_stderr(
    data_dir: str, tmp_path: Path
) -> None:
    fake = _write_script(
        tmp_path / "exits-3",
        '#!/bin/sh\necho "fake-chromium: cannot open display TMPDIR=$TMPDIR" >&2\nexit 3\n',
    )
    with trio.fail_after(15), pytest.raises(cdpsession.LaunchError) as info:
        await _use_default_session_with(data_dir, chromium=fake)
    message = str(info.value)
    assert "exited with code 3" in message
    assert "fake-chromium: cannot open display" in message
    assert info.value.argv[0] == fake
    tmpdir = message.split("TMPDIR=", 1)[1].split(maxsplit=1)[0]
    temp_root = os.path.dirname(tmpdir)
    assert os.path.basename(temp_root).startswith("cdpsession-")
    assert not _exists(temp_root)


async def _use_default_session_with(data_dir: str, **kwargs: Any) -> None:
    async with cdpsession.open_app(data_dir, **kwargs) as app:
        await app.session.default_session.open_page()


async def test_browser_that_never_answers_is_killed_after_launch_timeout(
    data_dir: str, tmp_path: Path
) -> None:
    fake = _write_script(
        tmp_path / "sleeps",
        '#!/bin/sh\necho "pid=$$ TMPDIR=$TMPDIR" >&2\nsleep 60 &\necho "child=$!" >&2\nwait\n',
    )
    started = trio.current_time()
    with trio.fail_after(20), pytest.raises(cdpsession.LaunchError) as info:
        await _use_default_session_with(data_dir, chromium=fake, launch_timeout=1)
    took = trio.current_time() - started
    message = str(info.value)
    assert "did not answer" in message
    pid = int(message.split("pid=", 1)[1].split(maxsplit=1)[0])
    child = int(message.split("child=", 1)[1].split(maxsplit=1)[0])
    tmpdir = message.split("TMPDIR=", 1)[1].split(maxsplit=1)[0]
    assert _pid_gone(pid)
    assert _pid_gone(child)
    assert not _exists(os.path.dirname(tmpdir))
    assert took < 4.0, f"LaunchError came {took:.2f} s after the start (launch_timeout=1)"


async def test_long_temp_folder_still_launches(
    data_dir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # macOS's $TMPDIR is about this long (/var/folders/xx/<28 chars>/T/, 49 characters).
    base = tempfile.mkdtemp(prefix="cdps-lc-", dir="/tmp")
    long_tmp = os.path.join(base, "t" * (49 - len(base) - 1))
    os.mkdir(long_tmp)
    monkeypatch.setattr(tempfile, "tempdir", long_tmp)
    try:
        with trio.fail_after(20):
            async with cdpsession.open_app(data_dir) as app:
                page = await app.session.default_session.open_page()
                assert await page.execute_java_script("1 + 1") == 2
    finally:
        shutil.rmtree(base, ignore_errors=True)
        dumps = _take_crash_dumps(data_dir)
    assert dumps == []


# -- big replies ----------------------------------------------------------------------------


async def _big_screenshot(
    call: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]],
) -> bytes:
    await call(
        "Emulation.setDeviceMetricsOverride",
        {"width": 4000, "height": 4000, "deviceScaleFactor": 1, "mobile": False},
    )
    reply = await call(
        "Runtime.evaluate", {"expression": NOISE_JS, "returnByValue": True, "awaitPromise": True}
    )
    assert reply["result"]["value"] == 1500 * 1500
    shot = await call("Page.captureScreenshot", {"format": "png"})
    return base64.b64decode(shot["data"])


async def test_big_reply_arrives_over_the_pipe(data_dir: str) -> None:
    with trio.fail_after(40):
        async with cdpsession.open_app(data_dir) as app:
            ses = app.session.default_session
            page = await ses.open_page()
            host = ses._host
            assert host is not None
            session_id = page._target.session_id

            async def call(method: str, params: dict[str, Any]) -> dict[str, Any]:
                return await host.call(method, params, session_id)

            png = await _big_screenshot(call)
    assert png[:8] == PNG_SIGNATURE
    assert len(png) > 1_000_000
    assert _png_size(png) == (4000, 4000)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_websocket_transport_big_reply_and_closed_browser(tmp_path: Path) -> None:
    profile = tempfile.mkdtemp(prefix="cdps-ws-test-")
    tmpdir = os.path.join(profile, "tmp")
    os.mkdir(tmpdir)
    argv = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        "about:blank",
    ]
    out = _log_file(tmp_path / "chromium.log")
    try:
        browser = await trio.lowlevel.open_process(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
            env=dict(os.environ, TMPDIR=tmpdir),
        )
    finally:
        os.close(out)
    try:
        with trio.fail_after(60):
            port_file = Path(profile) / "DevToolsActivePort"
            await _wait_until(port_file.exists, 15, "DevToolsActivePort")
            await _wait_until(lambda: len(port_file.read_text().split()) == 2, 5, "its 2 lines")
            port, path = port_file.read_text().split()
            url = f"ws://127.0.0.1:{port}{path}"
            async with (
                open_websocket_transport(url) as transport,
                open_connection(transport) as conn,
            ):
                version = await conn.call("Browser.getVersion")
                assert "Chrome/" in version["product"]
                target = await conn.call("Target.createTarget", {"url": "about:blank"})
                attached = await conn.call(
                    "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
                )
                session_id = attached["sessionId"]

                async def call(method: str, params: dict[str, Any]) -> dict[str, Any]:
                    return await conn.call(method, params, session_id)

                png = await _big_screenshot(call)
                assert png[:8] == PNG_SIGNATURE
                assert len(png) > 1_000_000
                assert _png_size(png) == (4000, 4000)
                await _pending_call_fails_when_killed(conn, session_id, browser)
            with pytest.raises(cdpsession.BrowserClosedError):
                await _connect(url)
        with trio.fail_after(10), pytest.raises(cdpsession.BrowserClosedError):
            await _connect(f"ws://127.0.0.1:{_free_port()}/devtools/browser/none")
    finally:
        with trio.CancelScope(shield=True):
            if browser.returncode is None:
                os.kill(browser.pid, signal.SIGKILL)
                await browser.wait()
            for proc in _group(browser.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
            shutil.rmtree(profile, ignore_errors=True)


async def _connect(url: str) -> None:
    async with open_websocket_transport(url) as transport, open_connection(transport) as conn:
        await conn.call("Browser.getVersion")


async def _pending_call_fails_when_killed(
    conn: Connection, session_id: str, browser: trio.Process
) -> None:
    errors: list[BaseException] = []

    async def hang() -> None:
        try:
            await conn.call(
                "Runtime.evaluate",
                {"expression": "new Promise(() => {})", "awaitPromise": True},
                session_id,
            )
        except cdpsession.BrowserClosedError as exc:
            errors.append(exc)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(hang)
        await _wait_until(lambda: len(conn._pending) == 1, 5, "the pending call")
        os.kill(browser.pid, signal.SIGKILL)
    assert len(errors) == 1
    await browser.wait()


async def test_a_frozen_browser_gets_one_close_timeout_then_sigterm_then_sigkill(
    data_dir: str, server: Server
) -> None:
    # Browser.close and the wait for the exit share one close_timeout: a browser that never
    # answers (SIGSTOP) is terminated after close_timeout, then killed 3 s later. It once
    # waited close_timeout twice.
    server.html("/", "<p>x</p>")
    close_timeout = 2.0
    with trio.fail_after(60):
        async with cdpsession.open_app(data_dir, close_timeout=close_timeout) as app:
            ses = app.session.from_partition("frozen")
            await ses.open_page(server.url("/"))
            fp = _footprint(ses, "frozen")
            os.killpg(fp.pid, signal.SIGSTOP)
            started = trio.current_time()
        elapsed = trio.current_time() - started
    await _assert_clean([fp])
    # close_timeout, then 3 s of SIGTERM grace that a stopped process cannot use.
    assert close_timeout + 3.0 - 0.2 < elapsed < close_timeout + 3.0 + 1.5, elapsed
