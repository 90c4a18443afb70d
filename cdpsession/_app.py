"""``open_app``: the owner of everything cdpsession starts."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import platformdirs
import trio

from ._errors import BrowserClosedError, CDPSessionError
from ._events import EventEmitter
from ._groups import cancellation_first, unwrap_single
from ._host import HostConfig, open_host, ram_backed_temp_root
from ._launcher import check_extra_args, find_chromium
from ._registry import PARTITIONS_DIR
from ._session import SessionModule

if TYPE_CHECKING:
    from ._host import Host
    from ._session import Session

log = logging.getLogger("cdpsession")


# What navigator.userAgentData reports, so a user-agent override keeps the real client hints
# (Electron keeps them: behaviour #43); without userAgentMetadata Chromium blanks them.
# Read on a WebUI page: about:blank is not a secure context and has no userAgentData.
_CLIENT_HINTS_URL = "chrome://version/"
_CLIENT_HINTS_JS = """(async () => {
  const d = navigator.userAgentData;
  const h = await d.getHighEntropyValues(
      ["architecture", "bitness", "model", "platformVersion", "fullVersionList", "wow64"]);
  return {brands: d.brands, fullVersionList: h.fullVersionList, platform: d.platform,
          platformVersion: h.platformVersion, architecture: h.architecture, model: h.model,
          mobile: d.mobile, bitness: h.bitness, wow64: h.wow64};
})()"""


class App(EventEmitter):
    """A running cdpsession app (Electron's ``app`` as far as sessions go).

    ``app.session`` is Electron's ``session`` module. Event ``session-created``
    ``(session)`` fires for every new session. Made by :func:`open_app`.
    """

    def __init__(
        self,
        nursery: trio.Nursery,
        *,
        user_data_dir: str,
        executable: str,
        headless: bool,
        extra_args: tuple[str, ...],
        launch_timeout: float,
        close_timeout: float,
    ) -> None:
        super().__init__(self._spawn, self._fail)
        self._nursery = nursery
        self.user_data_dir = user_data_dir
        self.executable = executable
        self._headless = headless
        self._extra_args = extra_args
        self._launch_timeout = launch_timeout
        self._close_timeout = close_timeout
        self._ram_dir = ram_backed_temp_root()
        self._hosts: set[Host] = set()
        # Background work and async listeners: cancelled when the app closes (a listener
        # awaiting for ever must not hold the app open).
        self._background_scopes: set[trio.CancelScope] = set()
        # Save paths running downloads hold without a save path of their own: two downloads
        # of one name, in any sessions, get two files.
        self._download_paths: set[str] = set()
        self._closed = False
        self._failed = False
        self._hints: dict[str, Any] | None = None
        self._hints_lock = trio.Lock()
        self.session = SessionModule(self)

    async def _client_hints(self, host: Host, *, shielded: bool = True) -> dict[str, Any]:
        """The browser's own ``userAgentMetadata`` (same for every host of this app).

        Shielded (and bounded): a caller's cancellation landing between creating the hidden
        page and closing it would leave the page (and its renderer) behind. It takes tens of
        milliseconds, once per app. Not while the host starts (``shielded=False``): a
        cancelled start abandons the host, whose targets are no longer set up.
        """
        async with self._hints_lock:
            hints = self._hints
            if hints is None:
                hints = self._hints = await self._read_client_hints_bounded(host, shielded)
            return dict(hints)

    async def _read_client_hints_bounded(self, host: Host, shielded: bool) -> dict[str, Any]:
        hints: dict[str, Any] | None = None
        try:
            with trio.CancelScope(shield=shielded), trio.move_on_after(self._launch_timeout):
                hints = await self._read_client_hints(host)
        except BrowserClosedError:
            await cancellation_first()
            raise
        if hints is None:
            raise CDPSessionError("the browser did not report its client hints in time")
        return hints

    async def _read_client_hints(self, host: Host) -> dict[str, Any]:
        page = await host.create_page(_CLIENT_HINTS_URL, internal=True)
        try:
            reply = await host.call(
                "Runtime.evaluate",
                {"expression": _CLIENT_HINTS_JS, "awaitPromise": True, "returnByValue": True},
                page.session_id,
            )
        finally:
            await host.call("Target.closeTarget", {"targetId": page.target_id})
        value = reply.get("result", {}).get("value")
        if not isinstance(value, dict):
            raise CDPSessionError(f"cannot read the browser's client hints: {reply}")
        # Mandatory in CDP's UserAgentMetadata even where the browser reports nothing.
        hints: dict[str, Any] = {
            "platform": "",
            "platformVersion": "",
            "architecture": "",
            "model": "",
            "mobile": False,
        }
        hints.update({k: v for k, v in value.items() if v is not None})
        return hints

    def _spawn(self, fn: Callable[[], Awaitable[None]]) -> None:
        self._nursery.start_soon(self._background, fn)

    async def _background(self, fn: Callable[[], Awaitable[None]]) -> None:
        scope = trio.CancelScope()
        if self._closed:
            scope.cancel()
        self._background_scopes.add(scope)
        try:
            with scope:
                await fn()
        except trio.Cancelled:
            raise
        except BaseException as exc:
            if self._first_failure(exc):
                raise
        finally:
            self._background_scopes.discard(scope)

    def _fail(self, exc: BaseException) -> None:
        """End the app with a plain listener's exception (called in the order they fail)."""
        if self._first_failure(exc):
            self._nursery.start_soon(_reraise, exc)

    def _first_failure(self, exc: BaseException) -> bool:
        # The first failure of a listener or background task ends the app and comes out of
        # open_app as itself; failures that follow while it ends are logged, not grouped
        # with it (``except SomeError`` around open_app keeps working).
        if self._failed:
            log.error("another listener or task failed as the app ended", exc_info=exc)
            return False
        self._failed = True
        return True

    def _check_open(self) -> None:
        if self._closed:
            raise CDPSessionError("the app is closed")

    async def _start_host(self, session: Session, root: str | None = None) -> Host:
        self._check_open()
        path = session.storage_path
        if path is not None and os.path.dirname(path) == os.path.join(
            self.user_data_dir, PARTITIONS_DIR
        ):
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        config = HostConfig(
            executable=self.executable,
            user_data_dir=path,
            headless=self._headless,
            extra_args=(*self._extra_args, *session._launch_flags()),
            launch_timeout=self._launch_timeout,
            close_timeout=self._close_timeout,
            ram_dir=self._ram_dir,
            root=root,
        )
        host: Host = await self._nursery.start(self._run_host, session, config)
        return host

    async def _run_host(
        self,
        session: Session,
        config: HostConfig,
        task_status: trio.TaskStatus[Host] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        async with open_host(config) as host:
            self._hosts.add(host)
            try:
                await session._install(host)
                host.started.set()
                task_status.started(host)
                await host.stop_requested.wait()
            finally:
                self._hosts.discard(host)
                session._host_gone()

    def _begin_close(self) -> None:
        self._closed = True
        for host in list(self._hosts):
            host.stop_requested.set()
        for scope in list(self._background_scopes):
            scope.cancel()


async def _reraise(exc: BaseException) -> None:
    raise exc


def _default_user_data_dir() -> str:
    return platformdirs.user_data_dir("cdpsession", appauthor=False)


def _prepare_user_data_dir(user_data_dir: str | os.PathLike[str] | None) -> str:
    if user_data_dir is None:
        path = _default_user_data_dir()
    elif isinstance(user_data_dir, str | os.PathLike):
        path = os.fspath(user_data_dir)
        if not isinstance(path, str):
            raise TypeError("user_data_dir must be a str path")
        if not path or "\0" in path:
            raise ValueError(f"user_data_dir {path!r} is not a usable folder name")
    else:
        raise TypeError(f"user_data_dir must be a path or None, not {type(user_data_dir).__name__}")
    path = os.path.abspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"user_data_dir {path!r} exists and is not a folder")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


@contextlib.asynccontextmanager
async def open_app(
    user_data_dir: str | os.PathLike[str] | None = None,
    *,
    chromium: str | os.PathLike[str] | None = None,
    headless: bool = True,
    extra_args: Sequence[str] = (),
    launch_timeout: float = 30.0,
    close_timeout: float = 10.0,
) -> AsyncIterator[App]:
    """Open a cdpsession app; everything it starts is stopped and removed on exit.

    Args:
        user_data_dir: the folder of the default session's profile; ``persist:`` partitions
            live in its ``Partitions/``. None: a per-user folder (platformdirs).
        chromium: the browser executable. None: ``$CDPSESSION_CHROMIUM``, then ``chromium``,
            ``chromium-browser``, ``google-chrome`` on PATH, then Playwright's browsers.
        headless: run without windows (headful needs a display).
        extra_args: more Chromium flags for every host.
        launch_timeout: seconds a browser may take to answer after start.
        close_timeout: seconds a browser gets to close cleanly (writing its profile) before
            it is terminated, then killed.

    Each session's browser starts on its first use. Leaving the block, by any path
    (exception, cancellation, KeyboardInterrupt), closes every browser (``Browser.close``,
    then SIGTERM, then SIGKILL), waits for them and removes every temp folder. An exception
    from an event listener ends the block with that exception.

    Raises:
        LaunchError: no Chromium found.
        TypeError/ValueError: bad arguments.
    """
    executable = find_chromium(chromium)
    extra = check_extra_args(extra_args)
    for name, value in (("launch_timeout", launch_timeout), ("close_timeout", close_timeout)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
    path = _prepare_user_data_dir(user_data_dir)
    with unwrap_single():
        async with trio.open_nursery() as nursery:
            app = App(
                nursery,
                user_data_dir=path,
                executable=executable,
                headless=bool(headless),
                extra_args=extra,
                launch_timeout=float(launch_timeout),
                close_timeout=float(close_timeout),
            )
            try:
                yield app
            finally:
                app._begin_close()
