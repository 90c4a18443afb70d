"""One Chromium process: its connection, the target fan-out backbone, shared infrastructure.

Knows nothing of Electron. What it gives the concept modules:

* **Target setup hooks.** Browser-level ``Target.setAutoAttach(waitForDebuggerOnStart,
  flatten)``, repeated on every page, frame and worker, catches each target paused before its
  first script. Registered hooks queue the commands that target needs (user agent, emulation,
  shims); the host writes them, then ``Runtime.runIfWaitingForDebugger``, back to back:
  a paused service worker answers ``Network.enable`` only after it resumes.
* **A hidden utility page**, made on first need (at the latest before the user's last page
  closes) and kept open: it keeps the profile's session cookies alive when the user's pages
  are all closed.
* **The helper extension** shipped in the package, loaded on first need with
  ``Extensions.loadUnpacked``, reached through its service worker.
* **A hidden ``chrome://net-internals`` page**, made on first need: the profile's host
  resolver, socket pools and proxy service (:mod:`._net_internals`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import attrs
import trio

from ._cdp._command import Command
from ._cdp.generated import browser, extensions, runtime
from ._cdp.generated import target as cdp_target
from ._connection import Connection, open_connection
from ._errors import (
    BrowserClosedError,
    CDPSessionError,
    LaunchError,
    ProtocolError,
    TargetClosedError,
)
from ._fetch import FetchMux
from ._groups import cancellation_first, unwrap_single
from ._launcher import (
    BrowserProcess,
    ProfileLock,
    build_argv,
    profile_in_use,
    spawn,
)
from ._net_internals import NetInternals
from ._transport import PipeTransport
from ._wire import Event

log = logging.getLogger("cdpsession")
R = TypeVar("R")

HELPER_EXTENSION_DIR = Path(__file__).parent / "_extension"
_EXTENSION_READY_JS = "typeof self.cdpsession === 'object'"

# Targets that get the per-target session state, and that can have children of their own.
STATEFUL_TYPES = frozenset({"page", "iframe", "worker", "shared_worker", "service_worker"})
PARENT_TYPES = frozenset({"page", "iframe", "worker", "shared_worker", "service_worker"})


def _auto_attach() -> Command[cdp_target.SetAutoAttachResult]:
    # Catch every page, frame and worker paused before its first script; the browser's own
    # UI targets are not ours.
    return cdp_target.set_auto_attach(
        auto_attach=True,
        wait_for_debugger_on_start=True,
        flatten=True,
        filter=[
            {"type": "browser", "exclude": True},
            {"type": "tab", "exclude": True},
            {"type": "browser_ui", "exclude": True},
            {},
        ],
    )


@attrs.define(eq=False)
class Target:
    """One attached target (page, out-of-process iframe, worker, service worker ...).

    ``inherited`` is copied from the parent target when there is one, so a page's frames and
    workers see the settings that were current when the page itself was created.
    """

    target_id: str
    session_id: str
    type: str
    url: str
    browser_context_id: str | None
    parent: Target | None
    inherited: dict[str, Any] = attrs.field(factory=dict)
    ready: trio.Event = attrs.field(factory=trio.Event)
    gone: trio.Event = attrs.field(factory=trio.Event)
    internal: bool = False

    @property
    def root(self) -> Target:
        """The top-level target this one descends from (itself when top-level)."""
        node = self
        while node.parent is not None:
            node = node.parent
        return node


class TargetSetup:
    """What a setup hook gets: the target, and a queue of commands to send before it runs."""

    __slots__ = ("commands", "target")

    def __init__(self, target: Target) -> None:
        self.target = target
        self.commands: list[tuple[str, dict[str, Any] | None]] = []

    def add(self, command: Command[Any]) -> None:
        """Queue a command for this target (sent before it resumes, pipelined)."""
        self.commands.append((command.method, command.params))


TargetHook = Callable[[TargetSetup], None]
"""A per-target setup hook: queue commands with ``setup.add``. Must not block."""
TargetListener = Callable[[Target], None]


@attrs.define
class HostConfig:
    """Everything needed to start one host."""

    executable: str
    user_data_dir: str | None  # None: a private temp profile, removed at close
    headless: bool = True
    extra_args: tuple[str, ...] = ()
    launch_timeout: float = 30.0
    close_timeout: float = 10.0
    ram_dir: str | None = None  # where in-memory profiles go (RAM-backed when possible)
    # An existing private folder to run in (a relaunch keeps an in-memory profile); None:
    # a new one. Either way the host removes it when it stops, unless told to keep it.
    root: str | None = None


# A profile with some cache needs room; containers often mount a 64 MiB /dev/shm.
_MIN_RAM_DIR_FREE = 1 << 30


def ram_backed_temp_root(candidate: str = "/dev/shm") -> str:  # noqa: S108 - deliberate
    """A writable RAM-backed folder for in-memory profiles, else the normal temp folder.

    ``/dev/shm`` is used when it is a writable folder with at least 1 GiB free; each profile
    in it is a ``mkdtemp`` folder (mode 0700) removed at close.
    """
    try:
        if os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
            stat = os.statvfs(candidate)
            if stat.f_bavail * stat.f_frsize >= _MIN_RAM_DIR_FREE:
                return candidate
    except OSError:
        pass
    return tempfile.gettempdir()


@attrs.define
class HelperExtension:
    """The loaded helper extension: its id and the session of its service worker."""

    id: str
    worker: Target


class Host:
    """One Chromium process and everything attached to it. Made by :func:`open_host`."""

    def __init__(
        self,
        config: HostConfig,
        browser: BrowserProcess,
        connection: Connection,
        nursery: trio.Nursery,
        user_data_dir: str,
    ) -> None:
        self.config = config
        self.browser = browser
        self.connection = connection
        self.user_data_dir = user_data_dir
        self._nursery = nursery
        self._hooks: list[TargetHook] = []
        self._attach_listeners: list[TargetListener] = []
        self._detach_listeners: list[TargetListener] = []
        self.targets: dict[str, Target] = {}  # by session id
        self._by_target_id: dict[str, Target] = {}
        self._target_waiters: dict[str, trio.Event] = {}
        self.user_agent = ""
        self.product = ""
        self.default_context_id: str | None = None
        self._utility: Target | None = None
        self._utility_lock = trio.Lock()
        self._internal_ids: set[str] = set()
        self._extension: HelperExtension | None = None
        self._extension_lock = trio.Lock()
        self._net_internals: NetInternals | None = None
        self._net_internals_lock = trio.Lock()
        self._bindings: dict[tuple[str, str], trio.Event] = {}
        self.closing = trio.Event()
        self.gone = trio.Event()
        self.stop_requested = trio.Event()
        self.torn_down = trio.Event()  # set once the process is reaped and folders removed
        # Set before stopping to hand the private folder (and an in-memory profile in it)
        # over to a successor instead of removing it.
        self.keep_root = False
        # Set once the host is handed to its session. Before, shielded work is not shielded:
        # a cancelled start abandons the host, whose targets are then no longer set up.
        self.started = trio.Event()
        self.environ: dict[str, str] = {}  # the browser's environment (fixed at its start)
        self._download_dir: str | None = None  # set by open_host
        self.fetch = FetchMux(self)
        self._close_hooks: list[Callable[[], Awaitable[None]]] = []

    # -- registration ---------------------------------------------------------------------

    def add_target_hook(self, hook: TargetHook) -> None:
        """Run ``hook`` for every target attached from now on, before it starts running."""
        self._hooks.append(hook)

    def on_target_attached(self, listener: TargetListener) -> None:
        """Call ``listener(target)`` once a target is set up and running."""
        self._attach_listeners.append(listener)

    def on_target_detached(self, listener: TargetListener) -> None:
        """Call ``listener(target)`` when a target goes away."""
        self._detach_listeners.append(listener)

    def add_close_hook(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run ``hook()`` before ``Browser.close`` (bounded by the close timeout)."""
        self._close_hooks.append(hook)

    def spawn(self, fn: Callable[..., Awaitable[object]], *args: object) -> None:
        """Run ``fn(*args)`` in the host's nursery (cancelled when the host stops)."""
        self._nursery.start_soon(fn, *args)

    @property
    def alive(self) -> bool:
        """True while the browser runs and is not being closed."""
        return not (self.gone.is_set() or self.closing.is_set() or self.connection.closed.is_set())

    # -- commands -------------------------------------------------------------------------

    async def call(
        self, method: str, params: dict[str, Any] | None = None, session_id: str | None = None
    ) -> dict[str, Any]:
        """Send one command by name on this host's connection."""
        return await self.connection.call(method, params, session_id)

    async def send(self, command: Command[R], session_id: str | None = None) -> R:
        """Send one typed command on this host's connection."""
        return await self.connection.send(command, session_id)

    # -- the backbone ---------------------------------------------------------------------

    async def _start(self) -> None:
        conn = self.connection
        conn.listen(self._on_attached, "Target.attachedToTarget")
        conn.listen(self._on_detached, "Target.detachedFromTarget")
        conn.listen(self._on_info_changed, "Target.targetInfoChanged")
        conn.listen(self._on_crashed, "Inspector.targetCrashed")
        # One pipelined batch: the browser starts with no page, so there is nothing to learn
        # before auto-attach starts reporting targets.
        version, contexts, _, _ = _ok(
            await conn.call_many(
                [
                    _pair(browser.get_version()),
                    _pair(cdp_target.get_browser_contexts()),
                    _pair(_auto_attach()),
                    _pair(cdp_target.set_discover_targets(discover=True)),
                ]
            )
        )
        self.user_agent = version.get("userAgent", "")
        self.product = version.get("product", "")
        self.default_context_id = contexts.get("defaultBrowserContextId")

    def _on_attached(self, event: Event) -> None:
        params = event.params
        info = params.get("targetInfo", {})
        session_id = params.get("sessionId")
        if not isinstance(session_id, str) or not isinstance(info, dict):
            return
        parent = self.targets.get(event.session_id) if event.session_id else None
        target = Target(
            target_id=info.get("targetId", ""),
            session_id=session_id,
            type=info.get("type", ""),
            url=info.get("url", ""),
            browser_context_id=info.get("browserContextId"),
            parent=parent,
            inherited=dict(parent.inherited) if parent is not None else {},
        )
        if target.target_id in self._internal_ids:
            target.internal = True
        self.targets[session_id] = target
        self._by_target_id[target.target_id] = target
        self._nursery.start_soon(self._setup_target, target, bool(params.get("waitingForDebugger")))

    async def _setup_target(self, target: Target, waiting: bool) -> None:
        setup = TargetSetup(target)
        if target.type in STATEFUL_TYPES and not target.internal:
            for hook in self._hooks:
                hook(setup)
        if target.type in PARENT_TYPES:
            setup.add(_auto_attach())
        if waiting:
            setup.add(runtime.run_if_waiting_for_debugger())
        try:
            results = await self.connection.call_many(setup.commands, target.session_id)
        except BrowserClosedError:
            return  # the target (or the browser) went away during setup
        for (method, _), result in zip(setup.commands, results, strict=True):
            if isinstance(result, ProtocolError) and not (
                method == "Target.setAutoAttach" and "worker" in target.type
            ):
                # Not fatal for the app (a target may vanish mid-setup), but never silent.
                log.warning("setting up %s %s: %s", target.type, target.url, result)
        target.ready.set()
        waiter = self._target_waiters.pop(target.target_id, None)
        if waiter is not None:
            waiter.set()
        if not target.internal:
            for listener in tuple(self._attach_listeners):
                listener(target)

    def _on_detached(self, event: Event) -> None:
        session_id = event.params.get("sessionId")
        target = self.targets.pop(session_id, None) if isinstance(session_id, str) else None
        if target is None:
            return
        # A service worker can be attached twice (by the browser and by its page): the id
        # stays known while another session of it is still attached.
        if self._by_target_id.get(target.target_id) is target:
            other = next(
                (t for t in self.targets.values() if t.target_id == target.target_id), None
            )
            if other is None:
                del self._by_target_id[target.target_id]
                self._internal_ids.discard(target.target_id)
            else:
                self._by_target_id[target.target_id] = other
        target.gone.set()
        target.ready.set()
        if not target.internal and self.alive:
            for listener in tuple(self._detach_listeners):
                listener(target)

    def _on_crashed(self, event: Event) -> None:
        # The crashed target's session is dead for good: forget it as a detached one, so a
        # helper (the extension's worker) is made again on its next use.
        if event.session_id is not None:
            self._on_detached(
                Event("Target.detachedFromTarget", {"sessionId": event.session_id}, None)
            )

    def _on_info_changed(self, event: Event) -> None:
        info = event.params.get("targetInfo", {})
        target = self._by_target_id.get(info.get("targetId", ""))
        if target is not None and isinstance(info.get("url"), str):
            target.url = info["url"]

    async def wait_target(self, target_id: str) -> Target:
        """Wait until the target with ``target_id`` is attached, set up and running."""
        target = self._by_target_id.get(target_id)
        if target is None:
            await self._target_waiters.setdefault(target_id, trio.Event()).wait()
            target = self._by_target_id.get(target_id)
        if target is not None:
            await target.ready.wait()
        if not self.alive and self.gone.is_set():
            raise BrowserClosedError("the browser went away")
        if target is None or target.gone.is_set():
            raise TargetClosedError(f"target {target_id} went away while starting")
        return target

    def stateful_targets(self) -> list[Target]:
        """The attached targets that carry session state (pages, frames, workers), ours excluded."""
        return [
            t
            for t in self.targets.values()
            if t.type in STATEFUL_TYPES and not t.internal and not t.gone.is_set()
        ]

    async def broadcast(
        self, commands_for: Callable[[Target], list[tuple[str, dict[str, Any] | None]]]
    ) -> None:
        """Send every attached stateful target its commands (pipelined), all at once.

        A target that goes away meanwhile is skipped; a command a target refuses is logged.
        Raises :class:`BrowserClosedError` when the browser itself went away.
        """

        async def one(target: Target) -> None:
            calls = commands_for(target)
            if not calls:
                return
            try:
                results = await self.connection.call_many(calls, target.session_id)
            except TargetClosedError:
                return
            for (method, _), result in zip(calls, results, strict=True):
                if isinstance(result, ProtocolError) and not target.gone.is_set():
                    log.warning("%s on %s %s: %s", method, target.type, target.url, result)

        async with _single_error_nursery() as nursery:
            for target in self.stateful_targets():
                nursery.start_soon(one, target)

    def find_target(self, target_id: str) -> Target | None:
        """The attached target with this id, if any."""
        return self._by_target_id.get(target_id)

    async def create_page(self, url: str = "about:blank", *, internal: bool = False) -> Target:
        """Open a new page target and return it once it is set up (hooks applied, running).

        An ``internal`` page is cdpsession's own: no session state, never a WebContents.
        """
        return await self._create_page(url, internal=internal)

    async def before_closing(self, target: Target) -> None:
        """Call before closing a page: keep the profile open when it is the last one.

        Chromium drops a profile's session cookies when its last page closes: before the
        last page of the user's closes, the hidden utility page is made (and kept for the
        host's lifetime). Made only then, it costs nothing at start.
        """
        others = [
            t
            for t in self.targets.values()
            if t.type == "page" and t is not target and not t.gone.is_set()
        ]
        if not others:
            await self.utility()

    async def _create_page(self, url: str, *, internal: bool) -> Target:
        reply = await self.send(cdp_target.create_target(url=url))
        target_id = reply["targetId"]
        if internal:
            self._internal_ids.add(target_id)
            known = self._by_target_id.get(target_id)
            if known is not None:
                known.internal = True
        return await self.wait_target(target_id)

    # -- shared infrastructure --------------------------------------------------------------

    async def utility(self) -> Target:
        """The hidden blank page of this host, for per-context commands."""
        async with self._utility_lock:
            if self._utility is None or self._utility.gone.is_set():
                self._utility = await self._make_internal(
                    lambda: self._create_page("about:blank", internal=True)
                )
            await self._utility.ready.wait()
            return self._utility

    async def _make_internal(self, make: Callable[[], Awaitable[R]]) -> R:
        """Make one of the host's own hidden pages, shielded and bounded by launch_timeout.

        A caller's cancellation after ``Target.createTarget`` and before the page is recorded
        would leave it (and its renderer) behind, and the next caller would make another.
        """
        made: list[R] = []
        try:
            with (
                trio.CancelScope(shield=self.started.is_set()),
                trio.move_on_after(self.config.launch_timeout),
            ):
                made.append(await make())
        except BrowserClosedError:
            await cancellation_first()
            raise
        if not made:
            raise CDPSessionError(
                f"a hidden page of the browser did not start in {self.config.launch_timeout} s"
            )
        # No checkpoint here: the caller records the page first; a pending cancellation is
        # delivered at its next one.
        return made[0]

    def extension_worker(self) -> Target | None:
        """The helper extension's service worker, once loaded."""
        ext = self._extension
        return ext.worker if ext is not None and not ext.worker.gone.is_set() else None

    def hidden(self, target: Target) -> bool:
        """Whether ``target`` is one of cdpsession's hidden pages (or of their frames).

        The helper extension's worker is not: its requests are the session's own
        (``Session.fetch``).
        """
        return target.root.internal and target is not self.extension_worker()

    @property
    def extension_ready(self) -> bool:
        """Whether the helper extension is loaded and its worker running."""
        ext = self._extension
        return ext is not None and not ext.worker.gone.is_set()

    def preload_extension(self) -> None:
        """Start loading the helper extension in the background (the host's nursery)."""
        self._nursery.start_soon(self._preload_extension)

    async def _preload_extension(self) -> None:
        # Unshielded: cancelled only when the host itself goes away, whose targets are then
        # no longer set up (a shielded load would hold the shutdown up to its bound).
        try:
            await self.helper_extension(shielded=False)
        except BrowserClosedError:
            pass  # the browser went away: nothing to load it into
        except CDPSessionError as exc:
            # The next call that needs it loads it again and raises.
            log.warning("the helper extension did not load: %s", exc)

    async def helper_extension(self, *, shielded: bool = True) -> HelperExtension:
        """Load the package's helper extension on first need; return it with its worker.

        The load is shielded (bounded by ``launch_timeout``): one cut short by a caller's
        cancellation would leave the extension loaded and the next load would replace its
        worker under whoever had bound to it. Not for the background load at the host's
        start (``shielded=False``): cancelled only when the host goes away, whose targets
        are then no longer set up, so a shielded load would only wait for its bound.

        Raises:
            BrowserClosedError: the browser went away.
            CDPSessionError: the extension's worker did not start in time.
        """
        ext = self._extension
        if ext is not None and not ext.worker.gone.is_set():
            return ext
        async with self._extension_lock:
            ext = self._extension
            if ext is not None and not ext.worker.gone.is_set():
                return ext
            self._extension = None
            try:
                with (
                    trio.CancelScope(shield=shielded and self.started.is_set()),
                    trio.move_on_after(self.config.launch_timeout),
                ):
                    self._extension = await self._load_extension()
            except BrowserClosedError:
                await cancellation_first()
                raise
            ext = self._extension
            if ext is None:
                raise CDPSessionError(
                    f"the helper extension did not start within {self.config.launch_timeout} s"
                )
        await trio.lowlevel.checkpoint_if_cancelled()
        return ext

    async def _load_extension(self) -> HelperExtension:
        # A temp copy: Chromium may write into an unpacked extension's folder, and the
        # installed package can be read-only.
        if not self.alive:
            # Its private folder is (being) removed: a copy made now would outlive it.
            raise BrowserClosedError("the browser went away")
        path = os.path.join(self.private_dir, "helper-extension")
        if not await trio.Path(path).is_dir():
            await trio.to_thread.run_sync(shutil.copytree, HELPER_EXTENSION_DIR, path)
        reply = await self.send(extensions.load_unpacked(path=path))
        ext_id = reply["id"]
        prefix = f"chrome-extension://{ext_id}/"
        worker = next(
            (
                t
                for t in self.targets.values()
                if t.type == "service_worker" and t.url.startswith(prefix) and not t.gone.is_set()
            ),
            None,
        )
        if worker is None:
            ev = await self.connection.wait_for_event(
                "Target.attachedToTarget",
                predicate=lambda e: (
                    e.params.get("targetInfo", {}).get("type") == "service_worker"
                    and e.params.get("targetInfo", {}).get("url", "").startswith(prefix)
                ),
            )
            worker = await self.wait_target(ev.params["targetInfo"]["targetId"])
        await worker.ready.wait()
        worker.internal = True
        # Resumed is not yet run: wait until worker.js has defined its API. Poll from here: a
        # promise left pending in the worker before its main script ran was seen to make
        # Chromium abandon the worker's start.
        while True:
            probe = await self.send(
                runtime.evaluate(expression=_EXTENSION_READY_JS, return_by_value=True),
                worker.session_id,
            )
            if probe.get("result", {}).get("value") is True:
                return HelperExtension(ext_id, worker)
            await trio.sleep(0.005)

    async def extension_binding(
        self, name: str, callback: Callable[[str], None]
    ) -> HelperExtension:
        """Route the helper extension's ``self.<name>(payload)`` calls to ``callback(payload)``.

        Loads the extension when needed. Once per name and extension worker: a later call
        waits until the first one has bound it. ``callback`` runs in the connection's reader
        and must not block. CDP: ``Runtime.addBinding`` on the worker.
        """
        ext = await self.helper_extension()
        worker = ext.worker.session_id
        key = (name, worker)
        ready = self._bindings.get(key)
        if ready is not None:
            await ready.wait()
            if key in self._bindings:
                return ext
            return await self.extension_binding(name, callback)  # the first one failed

        def deliver(event: Event) -> None:
            if event.params.get("name") == name:
                callback(str(event.params.get("payload", "")))

        ready = self._bindings[key] = trio.Event()
        listener = self.connection.listen(deliver, "Runtime.bindingCalled", session_id=worker)
        try:
            await self.connection.call_many(
                [("Runtime.enable", None), ("Runtime.addBinding", {"name": name})], worker
            )
        except BaseException:
            listener.remove()
            del self._bindings[key]
            raise
        finally:
            ready.set()
        return ext

    async def net_internals(self) -> NetInternals:
        """The host's hidden ``chrome://net-internals`` page, opened on first need."""
        async with self._net_internals_lock:
            page = self._net_internals
            if page is None or not page.alive:
                page = self._net_internals = await self._make_internal(
                    lambda: NetInternals.open(self)
                )
            return page

    @property
    def private_dir(self) -> str:
        """The folder private to this host (TMPDIR, crash reports, an in-memory profile).

        Removed when the host is closed.
        """
        return os.path.dirname(self.browser.stderr_path)

    @property
    def download_dir(self) -> str:
        """The profile's download folder (private, on disk): files being downloaded."""
        return self._download_dir or os.path.join(self.private_dir, DOWNLOADS_SUBDIR)

    # -- shutdown -------------------------------------------------------------------------

    def _mark_gone(self) -> None:
        """The browser is gone: wake everything that waits on it."""
        self.gone.set()
        self.stop_requested.set()
        for waiter in self._target_waiters.values():
            waiter.set()
        self._target_waiters.clear()
        for target in list(self.targets.values()):
            target.gone.set()
            target.ready.set()

    async def _shutdown(self) -> None:
        """Browser.close -> grace -> SIGTERM -> SIGKILL; shielded."""
        self.closing.set()
        with trio.CancelScope(shield=True):
            # One grace period in all: asking to close and waiting for the exit share it.
            deadline = trio.current_time() + self.config.close_timeout
            if self.browser.process.returncode is None:
                if not self.connection.closed.is_set():
                    await self.fetch.abort_pending(max(0.0, deadline - trio.current_time()))
                    for hook in self._close_hooks:
                        with (
                            trio.move_on_at(min(deadline, trio.current_time() + 2)),
                            contextlib.suppress(CDPSessionError),
                        ):
                            await hook()
                    with (
                        trio.move_on_at(deadline),
                        contextlib.suppress(BrowserClosedError, ProtocolError),
                    ):
                        await self.connection.call("Browser.close")
                else:
                    # No connection to ask on: Chromium also closes cleanly (profile written)
                    # when its debugging pipe reaches end of file.
                    await self.connection.aclose_transport()
            await self.browser.stop(max(0.0, deadline - trio.current_time()))
            self._mark_gone()


DOWNLOADS_SUBDIR = "downloads"


def write_download_prefs(user_data_dir: str, folder: str) -> None:
    """Point the profile's download folder at ``folder``, before the browser starts.

    Chromium reads ``download.default_directory`` only from the profile's ``Preferences``
    (its ``--download-directory`` switch is ignored, and no CDP or extension call sets it);
    downloads are named relative to it by the helper extension and moved on completion.
    ``prompt_for_download`` off: no download ever waits for a dialog. The rest of an
    existing ``Preferences`` is kept; an unreadable one is left for Chromium to handle.
    """
    path = os.path.join(user_data_dir, "Default", "Preferences")
    prefs: dict[str, Any] = {}
    try:
        with open(path, encoding="utf-8") as src:
            loaded = json.load(src)
        if not isinstance(loaded, dict):
            return
        prefs = loaded
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        log.warning("cannot read %s (%s): downloads use Chromium's folder", path, exc)
        return
    download = prefs.get("download")
    if not isinstance(download, dict):
        download = prefs["download"] = {}
    download.update(
        {"default_directory": folder, "prompt_for_download": False, "directory_upgrade": True}
    )
    savefile = prefs.get("savefile")
    if isinstance(savefile, dict):
        savefile["default_directory"] = folder
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".Preferences-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(prefs, out)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise


def _pair(command: Command[Any]) -> tuple[str, dict[str, Any]]:
    return command.method, command.params


def _ok(replies: list[dict[str, Any] | ProtocolError]) -> list[dict[str, Any]]:
    out = []
    for reply in replies:
        if isinstance(reply, ProtocolError):
            raise reply
        out.append(reply)
    return out


async def _watch_process(host: Host) -> None:
    await host.browser.process.wait()
    host._mark_gone()


# Chromium puts its SingletonSocket at $TMPDIR/org.chromium.Chromium.XXXXXX/SingletonSocket;
# a Unix socket path has 107 usable bytes, and cdpsession's own layer adds about 25.
_MAX_TEMP_PARENT = 40


def _temp_parent(preferred: str | None) -> str:
    for candidate in (preferred, tempfile.gettempdir(), "/tmp"):  # noqa: S108 - a fallback parent for mkdtemp
        if candidate and len(candidate) <= _MAX_TEMP_PARENT and os.access(candidate, os.W_OK):
            return candidate
    raise LaunchError(
        f"no temp folder with a path of at most {_MAX_TEMP_PARENT} characters is writable "
        f"(TMPDIR is {tempfile.gettempdir()!r}): Chromium's socket path would be too long"
    )


def _private_env(root: str) -> dict[str, str]:
    env = dict(os.environ)
    env["TMPDIR"] = os.path.join(root, "tmp")
    # Chromium writes crash reports under $XDG_CONFIG_HOME/chromium: keep them private. The
    # user's fontconfig settings, which live there too, are linked in so pages render alike.
    xdg = os.path.join(root, "xdg")
    env["XDG_CONFIG_HOME"] = xdg
    user_config = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    fontconfig = os.path.join(user_config, "fontconfig")
    link = os.path.join(xdg, "fontconfig")
    if os.path.isdir(fontconfig) and not os.path.lexists(link):
        os.symlink(fontconfig, link)
    return env


@contextlib.asynccontextmanager
async def _single_error_nursery() -> AsyncIterator[trio.Nursery]:
    with unwrap_single():
        async with trio.open_nursery() as nursery:
            yield nursery


@contextlib.asynccontextmanager
async def open_host(config: HostConfig) -> AsyncIterator[Host]:
    """Start one Chromium host and stop it (and remove its temp folders) on the way out.

    Raises:
        LaunchError: the profile is in use, Chromium failed to start, or did not answer
            within ``config.launch_timeout``.
    """
    in_memory = config.user_data_dir is None
    root = config.root or tempfile.mkdtemp(
        prefix="cdpsession-", dir=_temp_parent(config.ram_dir if in_memory else None)
    )
    lock: ProfileLock | None = None
    host: Host | None = None
    # Files being downloaded stay off a RAM-backed private folder: a download may be
    # larger than free RAM (and a rename on disk beats a copy from RAM at completion).
    staging = os.path.join(root, DOWNLOADS_SUBDIR)
    own_staging = False
    try:
        on_disk = _temp_parent(None)
        if os.path.dirname(root) != on_disk:
            staging = tempfile.mkdtemp(prefix="cdpsession-dl-", dir=on_disk)
            own_staging = True
        for sub in ("tmp", "xdg"):
            os.makedirs(os.path.join(root, sub), 0o700, exist_ok=True)
        if config.user_data_dir is None:
            user_data_dir = os.path.join(root, "profile")
            os.makedirs(user_data_dir, 0o700, exist_ok=True)
        else:
            user_data_dir = config.user_data_dir
            os.makedirs(user_data_dir, mode=0o700, exist_ok=True)
            lock = ProfileLock(user_data_dir)
            lock.acquire()
            holder = profile_in_use(user_data_dir)
            if holder is not None:
                raise LaunchError(
                    f"the profile folder {user_data_dir!r} is in use by another Chromium "
                    f"(pid {holder}); one profile can be open in one browser process only"
                )
        write_download_prefs(user_data_dir, staging)
        argv = build_argv(
            config.executable,
            user_data_dir,
            headless=config.headless,
            extra_args=config.extra_args,
        )
        env = _private_env(root)
        browser = await spawn(
            argv,
            env=env,
            stderr_path=os.path.join(root, "stderr.log"),
            marker=os.path.join(root, "xdg"),
        )
        started = False
        try:
            async with (
                open_connection(PipeTransport(browser.write_fd, browser.read_fd)) as conn,
                _single_error_nursery() as nursery,
            ):
                host = Host(config, browser, conn, nursery, user_data_dir)
                host.environ = env
                host._download_dir = staging
                nursery.start_soon(_watch_process, host)
                try:
                    with trio.fail_after(config.launch_timeout):
                        await host._start()
                except trio.TooSlowError as exc:
                    raise LaunchError(
                        "Chromium did not answer in time",
                        argv=argv,
                        stderr_tail=browser.stderr_tail(),
                    ) from exc
                except BrowserClosedError as exc:
                    with trio.CancelScope(shield=True), trio.move_on_after(5):
                        await browser.process.wait()
                    rc = browser.process.returncode
                    why = "stopped answering" if rc is None else f"exited with code {rc}"
                    hint = ""
                    if rc == 21:
                        hint = (
                            f" (its profile folder {user_data_dir!r} is in use by another Chromium)"
                        )
                    raise LaunchError(
                        f"Chromium {why}{hint}", argv=argv, stderr_tail=browser.stderr_tail()
                    ) from exc
                started = True
                try:
                    yield host
                finally:
                    await host._shutdown()
                    nursery.cancel_scope.cancel()
        finally:
            # A browser that never finished starting is killed outright: SIGTERM mid-start
            # makes Chromium abort (and write a crash report).
            await browser.stop(0, terminate=started)
    finally:
        if lock is not None:
            lock.release()
        if host is None or not host.keep_root:
            shutil.rmtree(root, ignore_errors=True)
        if own_staging:
            shutil.rmtree(staging, ignore_errors=True)
        if host is not None:
            host.torn_down.set()
