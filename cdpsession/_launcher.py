"""Find Chromium, build its command line, start it on the debugging pipe, stop it for sure.

Knows nothing of Electron. Every process started here runs in its own process group
(Ctrl-C in a terminal reaches Python only, which then closes Chromium cleanly), gets a
private ``TMPDIR`` inside a folder this module removes, and is stopped by escalation:
``Browser.close`` (done by the host) -> grace -> SIGTERM -> SIGKILL of the group, then every
straggler of the group by PID.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs
import trio

from ._errors import LaunchError

ENV_CHROMIUM = "CDPSESSION_CHROMIUM"
PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

# Flags every host gets. The first group is required on a closed network (Chromium otherwise
# stalls or floods refused connections at start); the second keeps a profile quiet and
# deterministic. launch/README.md documents each one.
OFFLINE_SAFE_FLAGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
QUIET_PROFILE_FLAGS: tuple[str, ...] = (
    "--no-default-browser-check",
    "--password-store=basic",
    "--use-mock-keychain",
    "--disable-breakpad",
    "--disable-crash-reporter",
)
# Flags cdpsession owns; passing them in extra_args would break the host model.
RESERVED_FLAGS = (
    "--user-data-dir",
    "--remote-debugging-pipe",
    "--remote-debugging-port",
    "--remote-debugging-address",
)


def find_chromium(explicit: str | os.PathLike[str] | None = None) -> str:
    """Locate the Chromium executable.

    Order: ``explicit`` > ``$CDPSESSION_CHROMIUM`` > ``chromium``, ``chromium-browser``,
    ``google-chrome``... on ``PATH`` > Playwright's downloaded browsers.

    Raises:
        LaunchError: nothing executable was found (or an explicit path is not executable).
    """
    if explicit is not None:
        path = os.fspath(explicit)
        if not _is_executable(path):
            raise LaunchError(f"chromium={path!r} is not an executable file")
        return path
    env = os.environ.get(ENV_CHROMIUM)
    if env:
        if not _is_executable(env):
            raise LaunchError(f"${ENV_CHROMIUM}={env!r} is not an executable file")
        return env
    for name in PATH_NAMES:
        found = shutil.which(name)
        if found:
            return found
    playwright = _playwright_chromium()
    if playwright is not None:
        return playwright
    raise LaunchError(
        "no Chromium found: pass chromium=..., set $CDPSESSION_CHROMIUM, put chromium on "
        "PATH, or run launch/install-chromium (Debian: apt-get install -y chromium)"
    )


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _playwright_chromium() -> str | None:
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache/ms-playwright")
    if not root.is_dir():
        return None

    # Newest revision first, by number: "chromium-1200" is newer than "chromium-999".
    def revision(path: Path) -> int:
        tail = path.parent.parent.name.rpartition("-")[2]
        return int(tail) if tail.isdigit() else -1

    candidates = sorted(root.glob("chromium-*/chrome-linux*/chrome"), key=revision, reverse=True)
    for candidate in candidates:
        if _is_executable(str(candidate)):
            return str(candidate)
    return None


def check_extra_args(extra_args: Sequence[str]) -> tuple[str, ...]:
    """Validate user-supplied Chromium flags.

    Raises:
        TypeError: not a sequence of strings (a bare string is refused too).
        ValueError: a flag cdpsession owns (``--user-data-dir``, ``--remote-debugging-*``),
            with one dash or two.
    """
    if isinstance(extra_args, str | bytes) or not isinstance(extra_args, Sequence):
        raise TypeError(f"extra_args must be a sequence of str, not {type(extra_args).__name__}")
    out = []
    for arg in extra_args:
        if not isinstance(arg, str):
            raise TypeError(f"extra_args items must be str, not {type(arg).__name__}")
        name = arg.split("=", 1)[0]
        # Chromium reads "-switch" as "--switch" (base/command_line.h), and the last one wins.
        canonical = "-" + name if name.startswith("-") and not name.startswith("--") else name
        if canonical in RESERVED_FLAGS:
            raise ValueError(f"{name} is set by cdpsession and cannot be passed in extra_args")
        out.append(arg)
    return tuple(out)


def build_argv(
    executable: str,
    user_data_dir: str,
    *,
    headless: bool = True,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The full command line of one host.

    ``--no-startup-window``: the browser starts with no page (and so no renderer process);
    pages, the host's hidden utility page included, are made on demand. Measured here: the
    first CDP reply comes about 80 ms sooner than with a startup ``about:blank``.
    """
    argv = [executable]
    if headless:
        argv.append("--headless")
    argv += OFFLINE_SAFE_FLAGS
    argv += QUIET_PROFILE_FLAGS
    argv += [f"--user-data-dir={user_data_dir}", "--remote-debugging-pipe", "--no-startup-window"]
    argv += extra_args
    return argv


def profile_in_use(user_data_dir: str) -> int | None:
    """Return the PID of a live Chromium holding ``user_data_dir`` on this machine, else None.

    Chromium's ``SingletonLock`` is a symlink to ``<hostname>-<pid>``; a second browser on the
    same folder would wait about 2 s and exit with code 21, so check first.
    """
    try:
        target = os.readlink(os.path.join(user_data_dir, "SingletonLock"))
    except OSError:
        return None
    host, _, pid_text = target.rpartition("-")
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    # A browser that died but is not reaped yet (a zombie) holds nothing.
    return None if _process_state(pid) in ("Z", "X", None) else pid


def _process_state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    return stat[stat.rfind(b")") + 2 :].split(b" ", 1)[0].decode()


class ProfileLock:
    """An exclusive ``flock`` on ``<profile>/cdpsession.lock`` for the life of a host.

    Chromium's own ``SingletonLock`` is checked-then-taken and two browsers starting on one
    folder at the same moment can both get it; cdpsession hosts (of any process on this
    machine) also take this lock first, which the kernel arbitrates. Released when closed, or
    when the process dies.
    """

    def __init__(self, user_data_dir: str) -> None:
        self.path = os.path.join(user_data_dir, "cdpsession.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`LaunchError` naming the folder (never waits)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LaunchError(
                f"the profile folder {os.path.dirname(self.path)!r} is in use by another "
                "cdpsession browser; one profile can be open in one browser process only"
            ) from None
        self._fd = fd

    def release(self) -> None:
        """Drop the lock; idempotent."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@attrs.define
class BrowserProcess:
    """A running Chromium and the pipe ends cdpsession talks to it through."""

    process: trio.Process
    argv: list[str]
    write_fd: int
    read_fd: int
    stderr_path: str
    marker: str | None = None  # a path only this browser's helpers have on their command line

    @property
    def pid(self) -> int:
        """The browser process's PID (also its process group id)."""
        return self.process.pid

    def stderr_tail(self, lines: int = 15) -> str:
        """The last lines Chromium wrote to stderr."""
        try:
            with open(self.stderr_path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - 16384))
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def stop(self, grace: float, *, terminate: bool = True) -> None:
        """Wait up to ``grace`` s for a voluntary exit, then SIGTERM, then SIGKILL the group.

        ``terminate=False`` skips SIGTERM: a browser that never finished starting is killed
        outright (SIGTERM mid-start makes Chromium abort and write a crash dump). Shielded:
        runs to the end even when the caller is cancelled.
        """
        with trio.CancelScope(shield=True):
            if grace > 0:
                with trio.move_on_after(grace):
                    await self.process.wait()
            if self.process.returncode is None and terminate:
                _signal_group(self.pid, signal.SIGTERM)
                with trio.move_on_after(3):
                    await self.process.wait()
            if self.process.returncode is None:
                _signal_group(self.pid, signal.SIGKILL)
                await self.process.wait()
            kill_group_stragglers(self.pid, self.marker)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def group_members(pgid: int, marker: str | None = None) -> list[int]:
    """PIDs of live processes in process group ``pgid`` (read from /proc).

    With ``marker``, also processes whose command line contains it: Chromium's crash handler
    (crashpad) leaves the group and is reparented to init, but names its database, which
    lives in the host's private folder.
    """
    members = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # Fields after the parenthesised command: state ppid pgrp ...
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) <= 2 or fields[0] == b"Z":
            continue
        if int(fields[2]) == pgid or (marker is not None and _cmdline_has(entry, marker)):
            members.append(int(entry))
    return members


def _cmdline_has(pid: str, marker: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return marker.encode() in fh.read()
    except OSError:
        return False


def kill_group_stragglers(pgid: int, marker: str | None = None) -> None:
    """SIGKILL, by PID, what is left of an exited browser: its group, and its helpers."""
    for pid in group_members(pgid, marker):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _child_setup(child_read: int, child_write: int) -> None:
    # Runs in the child between fork and exec. Own process group first, so signals aimed at
    # the terminal's foreground group never reach Chromium; then put the pipe ends on the fds
    # Chromium expects (3: commands in, 4: replies out). Go through fresh fds above 4 first
    # (F_DUPFD takes the lowest free one, so it clobbers nothing, and a pipe end already on
    # 3 or 4 survives until it is copied); those copies close at exec.
    os.setpgrp()
    high_read = fcntl.fcntl(child_read, fcntl.F_DUPFD_CLOEXEC, 5)
    high_write = fcntl.fcntl(child_write, fcntl.F_DUPFD_CLOEXEC, 5)
    os.dup2(high_read, 3)
    os.dup2(high_write, 4)


async def spawn(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    stderr_path: str,
    marker: str | None = None,
) -> BrowserProcess:
    """Start Chromium with its debugging pipe on fds 3/4.

    Raises:
        LaunchError: the executable could not be started.
    """
    child_read, parent_write = os.pipe()
    parent_read, child_write = os.pipe()
    try:
        with open(stderr_path, "wb") as err:  # noqa: ASYNC230 - a local file, opened once per launch
            # close_fds=False: Python's own fds are non-inheritable (PEP 446); only 0-2 and the
            # 3/4 set up in _child_setup are inherited, and close_fds would close 3/4.
            process = await trio.lowlevel.open_process(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                close_fds=False,
                preexec_fn=lambda: _child_setup(child_read, child_write),
                env=dict(env),
            )
    except OSError as exc:
        for fd in (parent_write, parent_read):
            os.close(fd)
        if exc.errno in (errno.ENOENT, errno.EACCES, errno.ENOEXEC):
            raise LaunchError(f"cannot start {argv[0]}: {exc.strerror}", argv=argv) from exc
        raise LaunchError(f"cannot start {argv[0]}: {exc}", argv=argv) from exc
    finally:
        os.close(child_read)
        os.close(child_write)
    return BrowserProcess(process, list(argv), parent_write, parent_read, stderr_path, marker)
