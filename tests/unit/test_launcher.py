"""Finding Chromium, its command line, profile locks and process groups."""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import trio

from cdpsession import LaunchError
from cdpsession._launcher import (
    ENV_CHROMIUM,
    OFFLINE_SAFE_FLAGS,
    QUIET_PROFILE_FLAGS,
    BrowserProcess,
    build_argv,
    check_extra_args,
    find_chromium,
    group_members,
    kill_group_stragglers,
    profile_in_use,
    spawn,
)


def make_file(path: pathlib.Path, *, executable: bool = True) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755 if executable else 0o644)
    return str(path)


@pytest.fixture
def bare_env(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """No Chromium anywhere: empty PATH dirs, no $CDPSESSION_CHROMIUM, empty Playwright dir."""
    (tmp_path / "bin1").mkdir()
    (tmp_path / "bin2").mkdir()
    (tmp_path / "pw").mkdir()
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin1'}{os.pathsep}{tmp_path / 'bin2'}")
    monkeypatch.delenv(ENV_CHROMIUM, raising=False)
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "pw"))
    return tmp_path


# -- find_chromium ----------------------------------------------------------------------------


def test_explicit_wins_over_everything(
    bare_env: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit = make_file(bare_env / "mine" / "chrome")
    monkeypatch.setenv(ENV_CHROMIUM, make_file(bare_env / "env" / "chrome"))
    make_file(bare_env / "bin1" / "chromium")
    make_file(bare_env / "pw" / "chromium-1200" / "chrome-linux" / "chrome")
    assert find_chromium(explicit) == explicit
    assert find_chromium(pathlib.Path(explicit)) == explicit


def test_env_wins_over_path(bare_env: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = make_file(bare_env / "env" / "chrome")
    monkeypatch.setenv(ENV_CHROMIUM, env)
    make_file(bare_env / "bin1" / "chromium")
    assert find_chromium() == env


def test_empty_env_is_ignored(bare_env: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_CHROMIUM, "")
    found = make_file(bare_env / "bin1" / "chromium")
    assert find_chromium() == found


def test_path_names_in_order(bare_env: pathlib.Path) -> None:
    make_file(bare_env / "bin1" / "chrome")
    make_file(bare_env / "bin1" / "google-chrome")
    assert find_chromium() == str(bare_env / "bin1" / "google-chrome")
    # The name order matters more than the PATH order.
    chromium_browser = make_file(bare_env / "bin2" / "chromium-browser")
    assert find_chromium() == chromium_browser
    chromium = make_file(bare_env / "bin2" / "chromium")
    assert find_chromium() == chromium
    # Within one name, PATH order.
    first = make_file(bare_env / "bin1" / "chromium")
    assert find_chromium() == first


@pytest.mark.parametrize(
    "name", ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"]
)
def test_each_path_name_is_found(bare_env: pathlib.Path, name: str) -> None:
    found = make_file(bare_env / "bin2" / name)
    assert find_chromium() == found


def test_non_executable_on_path_is_skipped(bare_env: pathlib.Path) -> None:
    make_file(bare_env / "bin1" / "chromium", executable=False)
    chrome = make_file(bare_env / "bin2" / "chrome")
    assert find_chromium() == chrome


def test_path_wins_over_playwright(bare_env: pathlib.Path) -> None:
    make_file(bare_env / "pw" / "chromium-1200" / "chrome-linux" / "chrome")
    chrome = make_file(bare_env / "bin2" / "chrome")
    assert find_chromium() == chrome


def test_playwright_browsers(bare_env: pathlib.Path) -> None:
    pw = bare_env / "pw"
    older = make_file(pw / "chromium-1100" / "chrome-linux" / "chrome")
    assert find_chromium() == older
    newer = make_file(pw / "chromium-1200" / "chrome-linux64" / "chrome")
    assert find_chromium() == newer
    # A broken (non-executable) newest download is skipped.
    make_file(pw / "chromium-1300" / "chrome-linux64" / "chrome", executable=False)
    assert find_chromium() == newer
    # Other Playwright browsers are not Chromium builds with a 'chrome' we want.
    make_file(pw / "firefox-1400" / "chrome-linux" / "chrome")
    assert find_chromium() == newer


def test_playwright_revisions_compare_as_numbers(bare_env: pathlib.Path) -> None:
    pw = bare_env / "pw"
    make_file(pw / "chromium-999" / "chrome-linux" / "chrome")
    newest = make_file(pw / "chromium-1200" / "chrome-linux" / "chrome")
    assert find_chromium() == newest


def test_explicit_not_executable(bare_env: pathlib.Path) -> None:
    path = make_file(bare_env / "chrome", executable=False)
    with pytest.raises(LaunchError, match="is not an executable file") as info:
        find_chromium(path)
    assert str(info.value) == f"chromium={path!r} is not an executable file"


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_explicit_not_a_file(bare_env: pathlib.Path, kind: str) -> None:
    make_file(bare_env / "bin1" / "chromium")
    path = str(bare_env / "nothing") if kind == "missing" else str(bare_env / "bin1")
    with pytest.raises(LaunchError) as info:
        find_chromium(path)
    assert str(info.value) == f"chromium={path!r} is not an executable file"


def test_env_not_executable_does_not_fall_back(
    bare_env: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = make_file(bare_env / "env" / "chrome", executable=False)
    monkeypatch.setenv(ENV_CHROMIUM, env)
    make_file(bare_env / "bin1" / "chromium")
    with pytest.raises(LaunchError) as info:
        find_chromium()
    assert str(info.value) == f"$CDPSESSION_CHROMIUM={env!r} is not an executable file"


def test_nothing_found(bare_env: pathlib.Path) -> None:
    make_file(bare_env / "bin1" / "firefox")
    with pytest.raises(LaunchError) as info:
        find_chromium()
    message = str(info.value)
    assert message.startswith("no Chromium found: ")
    assert "launch/install-chromium" in message
    assert "chromium=" in message
    assert "$CDPSESSION_CHROMIUM" in message
    assert info.value.argv == ()
    assert info.value.stderr_tail == ""


def test_nothing_found_without_a_playwright_dir(
    bare_env: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(bare_env / "does-not-exist"))
    with pytest.raises(LaunchError, match=r"^no Chromium found: "):
        find_chromium()


# -- the command line -------------------------------------------------------------------------

EXPECTED_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-default-browser-check",
    "--password-store=basic",
    "--use-mock-keychain",
    "--disable-breakpad",
    "--disable-crash-reporter",
]


def test_build_argv_headless() -> None:
    assert build_argv("/opt/chromium/chrome", "/data/profile") == [
        "/opt/chromium/chrome",
        "--headless",
        *EXPECTED_FLAGS,
        "--user-data-dir=/data/profile",
        "--remote-debugging-pipe",
        "--no-startup-window",
    ]


def test_build_argv_headful_with_extra_args() -> None:
    argv = build_argv(
        "/opt/chromium/chrome",
        "/data/my profile",
        headless=False,
        extra_args=("--lang=fr", "--window-size=800,600"),
    )
    assert argv == [
        "/opt/chromium/chrome",
        *EXPECTED_FLAGS,
        "--user-data-dir=/data/my profile",
        "--remote-debugging-pipe",
        "--no-startup-window",
        "--lang=fr",
        "--window-size=800,600",
    ]


def test_build_argv_has_every_offline_safe_flag() -> None:
    for headless in (True, False):
        argv = build_argv("chrome", "/p", headless=headless, extra_args=["--x"])
        for flag in (*OFFLINE_SAFE_FLAGS, *QUIET_PROFILE_FLAGS):
            assert argv.count(flag) == 1, flag
        assert argv.count("--remote-debugging-pipe") == 1
        assert argv.count("--no-startup-window") == 1
        assert argv[-1] == "--x"


def test_check_extra_args_accepts() -> None:
    assert check_extra_args([]) == ()
    assert check_extra_args(["--lang=fr", "--mute-audio"]) == ("--lang=fr", "--mute-audio")
    assert check_extra_args(("--user-data-dirs-are-fine",)) == ("--user-data-dirs-are-fine",)


@pytest.mark.parametrize(
    ("value", "type_name"),
    [("--lang=fr", "str"), (b"--lang=fr", "bytes"), (None, "NoneType"), ({"--a"}, "set")],
)
def test_check_extra_args_not_a_sequence(value: Any, type_name: str) -> None:
    with pytest.raises(
        TypeError, match=rf"^extra_args must be a sequence of str, not {type_name}$"
    ):
        check_extra_args(value)


@pytest.mark.parametrize(("item", "type_name"), [(1, "int"), (b"--a", "bytes"), (None, "NoneType")])
def test_check_extra_args_item_not_str(item: Any, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"^extra_args items must be str, not {type_name}$"):
        check_extra_args(["--ok", item])


@pytest.mark.parametrize(
    ("arg", "name"),
    [
        ("--user-data-dir=/x", "--user-data-dir"),
        ("--user-data-dir", "--user-data-dir"),
        ("--remote-debugging-pipe", "--remote-debugging-pipe"),
        ("--remote-debugging-pipe=cbor", "--remote-debugging-pipe"),
        ("--remote-debugging-port=0", "--remote-debugging-port"),
        ("--remote-debugging-address=0.0.0.0", "--remote-debugging-address"),
        # Chromium takes one dash as well as two.
        ("-user-data-dir=/x", "-user-data-dir"),
        ("-remote-debugging-port=9222", "-remote-debugging-port"),
    ],
)
def test_check_extra_args_reserved(arg: str, name: str) -> None:
    with pytest.raises(ValueError, match=rf"^{name} is set by cdpsession and cannot be passed"):
        check_extra_args(["--lang=fr", arg])


# -- profile_in_use ---------------------------------------------------------------------------


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def lock(profile: pathlib.Path, target: str) -> None:
    os.symlink(target, profile / "SingletonLock")


def test_profile_in_use_by_a_live_process(tmp_path: pathlib.Path) -> None:
    lock(tmp_path, f"{socket.gethostname()}-{os.getpid()}")
    assert profile_in_use(str(tmp_path)) == os.getpid()


def test_profile_locked_by_a_dead_process(tmp_path: pathlib.Path) -> None:
    lock(tmp_path, f"{socket.gethostname()}-{dead_pid()}")
    assert profile_in_use(str(tmp_path)) is None


def test_profile_locked_on_another_host(tmp_path: pathlib.Path) -> None:
    lock(tmp_path, f"not-{socket.gethostname()}-{os.getpid()}")
    assert profile_in_use(str(tmp_path)) is None


def test_profile_lock_with_a_dashed_hostname(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "build-box-7")
    lock(tmp_path, f"build-box-7-{os.getpid()}")
    assert profile_in_use(str(tmp_path)) == os.getpid()


@pytest.mark.parametrize("suffix", ["", "abc", "-1", "12a"])
def test_profile_lock_with_a_bad_pid(tmp_path: pathlib.Path, suffix: str) -> None:
    lock(tmp_path, f"{socket.gethostname()}-{suffix}")
    assert profile_in_use(str(tmp_path)) is None


def test_profile_not_locked(tmp_path: pathlib.Path) -> None:
    assert profile_in_use(str(tmp_path)) is None
    assert profile_in_use(str(tmp_path / "missing")) is None
    (tmp_path / "SingletonLock").write_text("not a symlink")
    assert profile_in_use(str(tmp_path)) is None


# -- process groups ---------------------------------------------------------------------------


@pytest.fixture
def session_leader() -> Iterator[subprocess.Popen[bytes]]:
    """A `sleep` leading a session and process group of its own; killed and reaped after."""
    proc = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


@pytest.fixture
def group() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Two `sleep` children in a new process group (one may join a group of its own session
    only, hence no new session here); killed and reaped by PID after."""
    leader = subprocess.Popen(["sleep", "30"], process_group=0)
    procs = [leader]
    try:
        procs.append(subprocess.Popen(["sleep", "30"], process_group=leader.pid))
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def test_group_members_of_a_session_leader(session_leader: subprocess.Popen[bytes]) -> None:
    assert os.getpgid(session_leader.pid) == session_leader.pid
    assert group_members(session_leader.pid) == [session_leader.pid]
    assert os.getpid() not in group_members(session_leader.pid)


def test_kill_group_stragglers_of_a_session_leader(
    session_leader: subprocess.Popen[bytes],
) -> None:
    kill_group_stragglers(session_leader.pid)
    assert session_leader.wait() == -signal.SIGKILL
    assert group_members(session_leader.pid) == []
    # Nothing left: a no-op.
    kill_group_stragglers(session_leader.pid)


def test_group_members(group: list[subprocess.Popen[bytes]]) -> None:
    leader, member = group
    assert os.getpgid(member.pid) == leader.pid
    assert sorted(group_members(leader.pid)) == sorted([leader.pid, member.pid])
    assert os.getpid() not in group_members(leader.pid)


def test_group_members_skips_zombies(group: list[subprocess.Popen[bytes]]) -> None:
    leader, member = group
    os.kill(member.pid, signal.SIGKILL)
    # Wait for its death without reaping it: a zombie, which is not a live member.
    os.waitid(os.P_PID, member.pid, os.WEXITED | os.WNOWAIT)
    assert group_members(leader.pid) == [leader.pid]
    assert member.wait() == -signal.SIGKILL


def test_kill_group_stragglers(group: list[subprocess.Popen[bytes]]) -> None:
    leader, member = group
    kill_group_stragglers(leader.pid)
    assert leader.wait() == -signal.SIGKILL
    assert member.wait() == -signal.SIGKILL
    assert group_members(leader.pid) == []


def test_group_members_of_an_empty_group() -> None:
    assert group_members(dead_pid()) == []


# -- spawn ------------------------------------------------------------------------------------


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def _inheritable(fd: int) -> bool:
    try:
        return os.get_inheritable(fd)
    except OSError:
        return False  # the fd listing /proc/self/fd itself, closed by now


async def test_spawn_missing_executable(tmp_path: pathlib.Path) -> None:
    with trio.fail_after(5):
        before = open_fds()
        argv = [str(tmp_path / "no-chromium"), "--headless"]
        with pytest.raises(LaunchError) as info:
            await spawn(argv, env={}, stderr_path=str(tmp_path / "stderr.log"))
        assert str(info.value) == f"cannot start {argv[0]}: No such file or directory"
        assert info.value.argv == tuple(argv)
        assert open_fds() == before


async def test_spawn_not_executable(tmp_path: pathlib.Path) -> None:
    with trio.fail_after(5):
        before = open_fds()
        path = make_file(tmp_path / "chrome", executable=False)
        with pytest.raises(LaunchError, match=r"^cannot start .*: Permission denied$"):
            await spawn([path], env={}, stderr_path=str(tmp_path / "stderr.log"))
        assert open_fds() == before


async def ping_through_fds_3_and_4(browser: BrowserProcess) -> None:
    """Send a line on the child's fd 3; its echo must come back on fd 4; wait for its exit."""
    out = trio.lowlevel.FdStream(browser.write_fd)
    back = trio.lowlevel.FdStream(browser.read_fd)
    await out.send_all(b"ping\n")
    received = b""
    while not received.endswith(b"\n"):
        received += await back.receive_some(100)
    assert received == b"got ping\n"
    assert await browser.process.wait() == 0
    await out.aclose()
    await back.aclose()


@pytest.mark.parametrize("low", [3, 4, 5, 97, 98, 99, 100, 101, 102])
async def test_spawn_wires_fds_3_and_4_wherever_the_pipes_land(
    tmp_path: pathlib.Path, low: int
) -> None:
    # The pipe ends take the lowest free fds: make them land around 3/4 and around the fds
    # the child moves them through. A collision once left Chromium with no reply pipe.
    pad: list[int] = []
    try:
        while (fd := os.open(os.devnull, os.O_RDONLY)) < low:
            pad.append(fd)
        os.close(fd)
        inheritable = {int(n) for n in open_fds() if _inheritable(int(n))}
        with trio.fail_after(5):
            browser = await spawn(
                ["sh", "-c", 'read line <&3; echo "got $line" >&4; ls /proc/$$/fd >&2'],
                env={"PATH": os.environ["PATH"]},
                stderr_path=str(tmp_path / "stderr.log"),
            )
            try:
                await ping_through_fds_3_and_4(browser)
                # Beyond 0-4 the child has only what this process lets every child inherit,
                # and the fd ls itself opens: the copies made on the way are not kept.
                fds = {int(n) for n in browser.stderr_tail().split()}
                assert {0, 1, 2, 3, 4} <= fds
                assert len(fds - {0, 1, 2, 3, 4} - inheritable) <= 1, fds
            finally:
                await browser.stop(0)
    finally:
        for fd in pad:
            os.close(fd)


async def test_spawn_wires_fds_3_and_4_and_its_own_group(tmp_path: pathlib.Path) -> None:
    with trio.fail_after(5):
        script = 'read line <&3; echo "got $line" >&4; echo first >&2; echo last >&2'
        browser = await spawn(
            ["sh", "-c", script],
            env={"PATH": os.environ["PATH"]},
            stderr_path=str(tmp_path / "stderr.log"),
        )
        try:
            assert os.getpgid(browser.pid) == browser.pid
            await ping_through_fds_3_and_4(browser)
            assert browser.stderr_tail() == "first\nlast"
            assert browser.stderr_tail(lines=1) == "last"
        finally:
            await browser.stop(0)
        assert browser.process.returncode == 0
