"""``Session``: Electron's per-partition session object, and the ``session`` module."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import shutil
from typing import TYPE_CHECKING, Any

import trio

from . import _login, _net_fetch, _network, _proxy, _storage
from ._cdp.generated import network, page, runtime
from ._cookies import Cookies
from ._downloads import Downloads
from ._errors import BrowserClosedError, CDPSessionError, UnsupportedError
from ._events import EventEmitter
from ._http import Request, Response
from ._net_internals import NetworkError
from ._protocol import Protocol
from ._registry import (
    check_from_path,
    check_partition,
    check_session_options,
    is_persistent_partition,
    partition_path,
)
from ._web_contents import WebContents
from ._web_request import WebRequest

if TYPE_CHECKING:
    from ._app import App
    from ._host import Host, Target, TargetSetup

log = logging.getLogger("cdpsession")

_TOKEN = object()
_UA_KEY = "cdpsession.user_agent"
_SHIMMED_WORKERS = frozenset({"shared_worker", "service_worker"})


def _worker_ua_shim(user_agent: str) -> str:
    # appVersion is derived from the user agent as Blink does: all after the first "/".
    ua = json.dumps(user_agent)
    return (
        "(() => { const p = Object.getPrototypeOf(navigator); const ua = " + ua + ";"
        " Object.defineProperty(p, 'userAgent', {get: () => ua, configurable: true});"
        " Object.defineProperty(p, 'appVersion',"
        " {get: () => ua.substring(ua.indexOf('/') + 1), configurable: true}); })()"
    )


def _check_header_text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if any(ch in value for ch in "\r\n\0"):
        raise ValueError(f"{name} must not contain CR, LF or NUL")
    return value


def _check_accept_languages(value: Any) -> str:
    text = _check_header_text("accept_languages", value)
    langs = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not lang for lang in langs):
        raise ValueError(f"accept_languages {text!r} is not a comma-separated language list")
    for lang in langs:
        if ";" in lang or " " in lang:
            raise ValueError(
                f"accept_languages takes plain language tags ({lang!r}); "
                "q-weights are generated, as in Electron"
            )
    return ",".join(langs)


class Session(EventEmitter):
    """One partition's session (Electron ``Session``).

    Each partition runs in its own Chromium process (a *host*), started on first use:
    ``persist:`` partitions and the default session on an on-disk profile, any other
    partition on a private in-memory profile removed at close. Not constructed by users:
    get one from ``app.session.from_partition()``, ``default_session`` or ``from_path()``.
    """

    def __init__(
        self,
        token: object,
        app: App,
        partition: str,
        storage_path: str | None,
        options: dict[str, Any],
    ) -> None:
        if token is not _TOKEN:
            raise TypeError(
                "Session objects cannot be created directly; use app.session.from_partition()"
            )
        super().__init__(app._spawn, app._fail)
        self._app = app
        self._partition = partition
        self._storage_path = storage_path
        self._options = options
        self._host: Host | None = None
        self._host_lock = trio.Lock()
        self._user_agent: str | None = None
        self._accept_languages: str | None = None
        self._ua_metadata: dict[str, Any] | None = None
        self._web_contents: dict[str, WebContents] = {}
        self._cookies = Cookies(self)
        self._login = _login.Login(self)
        self._proxy = _proxy.Proxy(self)
        self._web_request = WebRequest(self)
        self._protocol = Protocol(self)
        self._downloads = Downloads(self)
        self._emulation: dict[str, Any] | None = None
        self._emulation_lock = trio.Lock()
        # Per-process settings, as Chromium flags: {"ssl": (...), "ntlm": (...)}.
        self._process_settings: dict[str, tuple[str, ...]] = {}
        self._host_process_flags: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"<Session partition={self._partition!r} persistent={self.is_persistent()}>"

    # -- identity (plain bookkeeping) -----------------------------------------------------

    def is_persistent(self) -> bool:
        """Whether the session keeps its data on disk (Electron ``ses.isPersistent()``)."""
        return self._storage_path is not None

    def get_storage_path(self) -> str | None:
        """The profile folder on disk, None when in memory (Electron ``ses.getStoragePath()``)."""
        return self._storage_path

    @property
    def storage_path(self) -> str | None:
        """Same as :meth:`get_storage_path` (Electron ``ses.storagePath``)."""
        return self._storage_path

    @property
    def cookies(self) -> Cookies:
        """The session's cookies (Electron ``ses.cookies``): one object per session."""
        return self._cookies

    @property
    def web_request(self) -> WebRequest:
        """The session's web request listeners (Electron ``ses.webRequest``)."""
        return self._web_request

    @property
    def protocol(self) -> Protocol:
        """The session's protocol handlers (Electron ``ses.protocol``)."""
        return self._protocol

    # -- the host -------------------------------------------------------------------------

    async def _ensure_host(self) -> Host:
        host = self._host
        if host is not None and host.alive:
            return host
        async with self._host_lock:
            host = self._host
            if host is None or not host.alive:
                if host is not None:
                    # A browser that died: let its teardown finish (reaped, profile lock
                    # released, folders removed) before a new one takes the profile.
                    host.stop_requested.set()
                    await host.torn_down.wait()
                host = await self._start_host()
            return host

    async def _start_host(self, root: str | None = None) -> Host:
        flags = self._process_flags()
        host = await self._app._start_host(self, root=root)
        self._host = host
        self._host_process_flags = flags
        return host

    async def _apply_process_settings(self) -> None:
        """Relaunch a running browser whose per-process settings are out of date.

        The new browser runs on the same profile (an in-memory one included: its folder
        is handed over), and gets the session cookies of the old one: Chromium keeps only
        persistent cookies across a restart. Open pages are closed (``destroyed``).
        """
        async with self._host_lock:
            old = self._host
            if old is None or not old.alive or self._host_process_flags == self._process_flags():
                return
            snapshot: list[dict[str, Any]] = []
            with contextlib.suppress(BrowserClosedError):
                snapshot = (await old.call("Storage.getCookies")).get("cookies", [])
            root = old.private_dir if self._storage_path is None else None
            old.keep_root = root is not None
            old.stop_requested.set()
            # Shielded from here to the restored cookies: stopping part way would lose an
            # in-memory profile (or every session cookie). Bounded: the shutdown by
            # close_timeout (then SIGTERM, SIGKILL), the launch by launch_timeout.
            with trio.CancelScope(shield=True):
                await old.torn_down.wait()
                try:
                    host = await self._start_host(root)
                except BaseException:
                    if root is not None:
                        shutil.rmtree(root, ignore_errors=True)  # the launch failed
                    raise
                with (
                    trio.move_on_after(self._app._launch_timeout),
                    contextlib.suppress(BrowserClosedError),
                ):
                    await _storage.restore_cookies(self, host, snapshot)
            await trio.lowlevel.checkpoint_if_cancelled()

    def _process_flags(self) -> tuple[str, ...]:
        return tuple(
            flag for key in sorted(self._process_settings) for flag in self._process_settings[key]
        )

    def _launch_flags(self) -> list[str]:
        """Per-process flags this session's browser starts with."""
        flags = list(self._process_flags())
        if self._user_agent is not None:
            # Requests the browser makes itself (a service or shared worker's main script)
            # belong to no target, so only the process default reaches them.
            flags.append(f"--user-agent={self._user_agent}")
            if self._accept_languages is not None:
                flags.append(f"--accept-lang={self._accept_languages}")
        return flags

    async def _install(self, host: Host) -> None:
        """Register this session's per-target state on a freshly started host.

        The helper extension starts loading now, in the background, while the first page is
        made; pages send no request before it is ready (:meth:`_settle`): it answers
        authentication challenges (cancelling them when nobody listens for ``login``, as
        Electron does; headless Chromium alone would leave a page's fetch of a 401 URL
        waiting forever).
        """
        host.preload_extension()
        if self._user_agent is not None and self._ua_metadata is None:
            self._ua_metadata = await self._app._client_hints(host, shielded=False)
        host.add_target_hook(self._setup_target)
        host.on_target_attached(self._on_target_attached)
        host.on_target_detached(self._on_target_detached)
        if self._login.wanted():
            await self._login.sync(host)
        await self._downloads.install(host)
        host.spawn(self._bind_downloads, host)
        # Before the first page: its first request is already seen by web_request and the
        # protocol handlers (in that order, as in Electron).
        host.fetch.fail = self._app._fail
        host.fetch.add(self._web_request)
        host.fetch.add(self._protocol)
        await self._web_request.apply(host)
        # Before the first page: its first request already goes where it should.
        await self._proxy.apply(host)
        # Before the first page: a cookie change made by it is seen.
        await self._cookies._settle(host)

    def _setup_target(self, setup: TargetSetup) -> None:
        target = setup.target
        # Settings current when a page (or top-level worker) starts stay with it and its
        # frames and workers: Electron's "existing WebContents keep their UA".
        if target.parent is None and self._user_agent is not None:
            target.inherited[_UA_KEY] = (
                self._user_agent,
                self._accept_languages,
                self._ua_metadata,
            )
        ua = target.inherited.get(_UA_KEY)
        if ua is not None:
            user_agent, accept_languages, metadata = ua
            setup.add(
                network.set_user_agent_override(
                    user_agent=user_agent,
                    accept_language=accept_languages,
                    user_agent_metadata=metadata,
                )
            )
            if target.type in _SHIMMED_WORKERS:
                # Shared and service workers get navigator.userAgent from the process before
                # any CDP override can reach them; define it before their script runs.
                setup.add(runtime.evaluate(expression=_worker_ua_shim(user_agent)))
        if self._options.get("cache") is False:
            # setCacheDisabled only acts while the Network domain is enabled on the target.
            setup.add(network.enable())
            setup.add(network.set_cache_disabled(cache_disabled=True))
        if self._emulation is not None:
            setup.commands.extend(_network.emulation_commands(self._emulation, target.type))
        if target.type == "page":
            setup.add(page.enable())
            setup.add(page.set_lifecycle_events_enabled(enabled=True))

    def _on_target_attached(self, target: Target) -> None:
        host = self._host
        if host is None:
            return
        if target.type == "page":
            self._web_contents_for(host, target)
        elif target.type == "shared_worker" and self._emulation is not None:
            self._app._spawn(lambda: self._emulate_running(host, target))

    def _on_target_detached(self, target: Target) -> None:
        wc = self._web_contents.pop(target.target_id, None)
        if wc is not None:
            wc._on_gone()

    def _web_contents_for(self, host: Host, target: Target) -> WebContents:
        wc = self._web_contents.get(target.target_id)
        if wc is None:
            wc = WebContents(self, host, target)
            self._web_contents[target.target_id] = wc
        return wc

    async def _bind_downloads(self, host: Host) -> None:
        # In the background at start: the helper's download events reach this session.
        try:
            await self._downloads.sync(host)
        except BrowserClosedError:
            pass
        except CDPSessionError as exc:
            log.warning("downloads are not watched: %s", exc)

    def _host_gone(self) -> None:
        self._downloads.host_gone()
        for wc in list(self._web_contents.values()):
            wc._on_gone()
        self._web_contents.clear()

    # -- pages ----------------------------------------------------------------------------

    async def open_page(self, url: str | None = None) -> WebContents:
        """Open a page in this session; load ``url`` when given (waits for its load).

        The page gets the session's state before its first script runs (user agent, ...).
        CDP: ``Target.createTarget``, then the auto-attach setup, then ``Page.navigate``.

        Raises:
            NavigationError: ``url`` failed to load (the page stays open).
        """
        if url is not None and not isinstance(url, str):
            raise TypeError(f"url must be a str or None, not {type(url).__name__}")
        host = await self._ensure_host()
        await self._settle(host)
        target = await host.create_page()
        wc = self._web_contents_for(host, target)
        if url is not None:
            await wc.load_url(url)
        return wc

    def get_all_web_contents(self) -> list[WebContents]:
        """The open pages of this session, oldest first."""
        return sorted(
            (wc for wc in self._web_contents.values() if not wc.is_destroyed()), key=lambda w: w.id
        )

    # -- user agent -------------------------------------------------------------------------

    async def set_user_agent(self, user_agent: str, accept_languages: str | None = None) -> None:
        """Override the user agent and Accept-Language of pages created from now on.

        Electron ``ses.setUserAgent(userAgent[, acceptLanguages])``: existing pages keep
        theirs. Reaches every new page, out-of-process iframe, dedicated, shared and service
        worker (``navigator.userAgent``/``navigator.languages`` and request headers).
        ``accept_languages`` is a plain list (``"en-US,fr,de"``); the header gets Electron's
        q-weights (``en-US,fr;q=0.9,de;q=0.8``). Client hints (``navigator.userAgentData``)
        keep the browser's real values.

        Set before the session's browser starts (before its first page), the user agent also
        becomes the browser's process default (``--user-agent``, ``--accept-lang``), which
        is what requests made by the browser itself carry: the main script of a service or
        shared worker. Their Accept-Language then has Chromium's form, which adds base
        languages (``en-US,en;q=0.9,fr;q=0.8,de;q=0.7``). Set later, those few requests keep
        the previous process default; everything targets do follows the override.
        CDP: ``Network.setUserAgentOverride`` on each target before it runs; on shared and
        service workers also a ``Runtime.evaluate`` that defines ``navigator.userAgent`` and
        ``appVersion`` (Chromium fixes those before any override can reach the worker).

        Raises:
            TypeError: a non-str argument.
            ValueError: CR/LF/NUL in a value, or a malformed language list.
        """
        ua = _check_header_text("user_agent", user_agent)
        langs = None if accept_languages is None else _check_accept_languages(accept_languages)
        host = self._host
        if host is not None and host.alive and self._ua_metadata is None:
            self._ua_metadata = await self._app._client_hints(host)
        self._user_agent = ua
        self._accept_languages = langs

    async def get_user_agent(self) -> str:
        """The session's user agent (Electron ``ses.getUserAgent()``).

        The override when one is set, else the browser's own (``Browser.getVersion``).
        """
        if self._user_agent is not None:
            return self._user_agent
        host = await self._ensure_host()
        return host.user_agent

    # -- authentication ---------------------------------------------------------------------

    def _listeners_changed(self, event: str) -> None:
        if event == "login":
            self._login.changed()

    async def _settle(self, host: Host, *, requests: bool = False) -> None:
        """Let changes made in the background (watchers, interception) reach the browser.

        Called before cdpsession makes a page do something; with ``requests`` (the page may
        send requests now), also wait for the helper extension, which answers
        authentication challenges. No checkpoint when nothing is pending (the hot path of
        ``execute_java_script``).
        """
        if requests and not host.extension_ready:
            await host.helper_extension()
        await self._cookies._settle(host)
        if self._login.pending(host):
            await self._login.sync(host)
        if host.extension_ready and self._downloads.pending(host):
            await self._downloads.sync(host)

    # -- network emulation ------------------------------------------------------------------

    async def enable_network_emulation(self, options: dict[str, Any]) -> None:
        """Emulate a network for the whole session (Electron ``ses.enableNetworkEmulation``).

        ``options``: ``offline`` (default False; requests fail and ``navigator.onLine`` is
        false), ``latency`` (ms of round trip), ``downloadThroughput`` and
        ``uploadThroughput`` (bytes per second); 0 (the default) means no throttling.
        Applies at once to every page, out-of-process iframe, dedicated, shared and service
        worker of the session, and to every one created later. Chromium throttles each of
        them on its own: the throughput is a budget per page or worker, not one shared by
        the whole session as in Electron; and requests no page or worker makes (the
        browser's fetch of a service worker's script) are not throttled. Starts no browser.
        CDP: ``Network.enable``, ``Network.emulateNetworkConditionsByRule`` and
        ``Network.overrideNetworkState`` on each target.

        Raises:
            TypeError: an unknown option or a value of the wrong type.
            ValueError: a negative, infinite or NaN number.
        """
        state = _network.check_emulation_options(options)
        await self._set_emulation(state)

    async def disable_network_emulation(self) -> None:
        """Stop network emulation (Electron ``ses.disableNetworkEmulation()``).

        Every page and worker of the session gets the real network back at once.
        """
        await self._set_emulation(None)

    async def _emulate_running(self, host: Host, target: Target) -> None:
        # A shared worker ignores the network conditions it was given while paused
        # (Chromium 156): give them again now that it runs, unless they changed meanwhile
        # (then the change reached it).
        async with self._emulation_lock:
            state = self._emulation
            if state is not None and not target.gone.is_set():
                commands = _network.emulation_commands(state, target.type)
                with contextlib.suppress(BrowserClosedError):
                    await host.connection.call_many(commands, target.session_id)

    async def _set_emulation(self, state: dict[str, Any] | None) -> None:
        # Serialized: two changes racing to the same target must land in call order.
        async with self._emulation_lock:
            self._emulation = state
            host = self._host
            if host is not None and host.alive:
                await host.broadcast(lambda target: _network.emulation_commands(state, target.type))

    # -- proxy ----------------------------------------------------------------------------------

    async def set_proxy(self, config: dict[str, Any]) -> None:
        """Set the session's proxy (Electron ``ses.setProxy(config)``), at any time.

        ``config``: ``mode`` (``direct``, ``auto_detect``, ``pac_script``, ``fixed_servers``,
        ``system``; absent: ``pac_script`` when ``pacScript`` is given, else
        ``fixed_servers``), ``pacScript`` (an http, https, file or data URL), ``proxyRules``
        (Electron's grammar: ``http=foopy:80;ftp=foopy2``, ``socks5://bar``, failover lists
        such as ``foopy:80,bar,direct://``), ``proxyBypassRules`` (host patterns,
        ``.suffix``, IP literals, CIDR blocks, ``<local>``, ``<-loopback>``; loopback is
        bypassed unless ``<-loopback>`` is given). Takes effect for the session's next
        request, in this session only; open pages keep their pooled connections (as in
        Electron: :meth:`close_all_connections` drops them).

        A ``pacScript`` is fetched at once, always direct, and Chromium runs that text; as in
        Electron it is mandatory: when it cannot be fetched or fails, requests fail
        (``net::ERR_MANDATORY_PROXY_CONFIGURATION_FAILED``) and :meth:`resolve_proxy`
        answers ``""``. Rules with failover lists or ``direct://`` reach Chromium as a PAC
        script made from them, which Chromium does not ask for loopback URLs: with those,
        ``<-loopback>`` raises :class:`UnsupportedError`. CDP has no proxy command: the
        helper extension's ``chrome.proxy.settings.set`` does it (loaded on first need).

        Raises:
            ValueError: Electron's ``"Invalid mode, must be one of direct, auto_detect,
                pac_script, fixed_servers or system"``; a malformed rule, bypass rule or
                ``pacScript`` URL (named). The previous config stays in force.
            TypeError: an unknown key or a value that is not a str.
            UnsupportedError: ``<-loopback>`` with failover rules.
        """
        await self._proxy.set(config)

    async def resolve_proxy(self, url: str) -> str:
        """Where the session sends a request for ``url`` (Electron ``ses.resolveProxy``).

        Electron's strings: ``"DIRECT"``, ``"PROXY host:port"``, ``"HTTPS host:port"``,
        ``"SOCKS host:port"`` (SOCKS4), ``"SOCKS5 host:port"``, failover lists joined by
        ``;`` (``"PROXY foopy:80;PROXY bar:80;DIRECT"``), ``""`` when a mandatory PAC script
        fails. Computed by cdpsession the way Chromium does (CDP has no such command): the
        rules, bypass rules and the implicit loopback bypass; PAC scripts (also WPAD's and
        the system's) run in QuickJS with the standard PAC functions, their name lookups
        answered by the session's own host resolver. Before any :meth:`set_proxy`, the
        config is Chromium's: its ``--proxy-*`` flags in ``open_app(extra_args=...)``, else
        the system's (on Linux without a desktop's settings: ``http_proxy``, ``https_proxy``,
        ``all_proxy``, ``no_proxy``, ``auto_proxy``, ``SOCKS_SERVER``).

        Raises:
            ValueError: ``url`` is not a URL a proxy applies to.
            UnsupportedError: system mode on a desktop whose own proxy settings Chromium reads.
        """
        return await self._proxy.resolve(url)

    async def force_reload_proxy_config(self) -> None:
        """Fetch the PAC script again and reset the proxy service.

        Electron ``ses.forceReloadProxyConfig()``: the ``pacScript`` (or WPAD's, or the
        system's) is fetched again, for the browser and for :meth:`resolve_proxy`; Chromium's
        proxy service is reset (``chrome://net-internals``' "Re-apply settings").
        """
        await self._proxy.force_reload()

    # -- connections --------------------------------------------------------------------------

    async def close_all_connections(self) -> None:
        """Close every connection of the session.

        Electron ``ses.closeAllConnections()``: Chromium's
        ``NetworkContext::CloseAllConnections``, so the next request opens a new connection
        (with the current proxy settings). As in Electron, which makes the same call, an
        HTTP/1.1 response already under way finishes on its connection (seen with
        Chromium 156), which is then not reused. CDP has no command for it: the session's
        own ``chrome://net-internals`` ("Flush socket pools") does it, in a hidden page.
        """
        host = self._host
        if host is not None and host.alive:
            await (await host.net_internals()).close_all_connections()

    async def clear_host_resolver_cache(self) -> None:
        """Empty the session's host resolver cache (Electron ``ses.clearHostResolverCache()``).

        Through the session's hidden ``chrome://net-internals`` page ("Clear host cache",
        ``NetworkContext::ClearHostCache``).
        """
        host = self._host
        if host is not None and host.alive:
            await (await host.net_internals()).clear_host_cache()

    async def resolve_host(
        self, host: str, options: dict[str, Any] | None = None
    ) -> dict[str, list[dict[str, str]]]:
        """Resolve ``host`` as the session's requests would (Electron ``ses.resolveHost``).

        Returns Electron's shape, ``{"endpoints": [{"address": "10.0.0.1", "family":
        "ipv4"}, ...]}``, in Chromium's order. The answer comes from the session's own host
        resolver (its cache, ``--host-resolver-rules`` and secure DNS settings included),
        through its ``chrome://net-internals``. ``options``: ``queryType`` (``"A"`` or
        ``"AAAA"``: the addresses of that family; Chromium asks DNS for both, or only for A
        when the machine has no IPv6 route), ``source`` (``"any"``, ``"system"``, ``"dns"``:
        Chromium's resolver picks), ``cacheUsage`` (``"allowed"``, ``"staleAllowed"``;
        ``"disallowed"`` empties the session's host cache first), ``secureDnsPolicy``
        (``"allow"``).

        Raises:
            NetworkError: Chromium's error, e.g. ``net::ERR_NAME_NOT_RESOLVED`` (also when
                no address of ``queryType`` exists).
            TypeError, ValueError: bad arguments.
            UnsupportedError: ``source`` ``"mdns"`` or ``"localOnly"``, ``secureDnsPolicy``
                ``"disable"``.
        """
        name, opts = _network.check_resolve_host_options(host, options)
        with contextlib.suppress(ValueError):
            # An IPv6 literal, as the resolver takes it in a URL: bracketed, canonical.
            name = f"[{ipaddress.IPv6Address(name.removeprefix('[').removesuffix(']'))}]"
        internals = await (await self._ensure_host()).net_internals()
        if opts["cacheUsage"] == "disallowed":
            await internals.clear_host_cache()
        endpoints = [
            {"address": address, "family": "ipv6" if ":" in address else "ipv4"}
            for address in await internals.resolve_host(name)
        ]
        wanted = {"A": "ipv4", "AAAA": "ipv6"}.get(opts.get("queryType", ""))
        if wanted is not None:
            endpoints = [e for e in endpoints if e["family"] == wanted]
            if not endpoints:
                raise NetworkError("net::ERR_NAME_NOT_RESOLVED", name)
        return {"endpoints": endpoints}

    async def preconnect(self, options: dict[str, Any]) -> None:
        """Open a connection to an origin ahead of time (Electron ``ses.preconnect(options)``).

        ``options``: ``url`` (only its origin counts), ``numSockets`` (Electron: 1 to 6).
        Chromium lets a client preconnect only as a page does, with a
        ``<link rel=preconnect>`` (in the session's hidden blank page here), which opens one
        socket; so ``numSockets`` above 1 raises :class:`UnsupportedError`.

        Raises:
            TypeError: Electron's messages for a missing or invalid ``url`` and for
                ``numSockets`` outside ``[1,6]``.
            ValueError: a URL that is not http or https.
            UnsupportedError: ``numSockets`` above 1.
        """
        origin = _network.check_preconnect_options(options)
        host = await self._ensure_host()
        utility = await host.utility()
        await host.call(
            "Runtime.evaluate", {"expression": _network.preconnect_js(origin)}, utility.session_id
        )

    # -- requests ---------------------------------------------------------------------------

    async def fetch(self, url: str | Request, init: dict[str, Any] | None = None) -> Response:
        """Make a request with this session (Electron ``ses.fetch(input[, init])``).

        ``init``: ``method``, ``headers`` (a dict or pairs), ``body`` (bytes or str),
        ``credentials`` (``"include"``: the session's cookies; ``"same-origin"``, the
        default, means the same here, as in Electron, since the request has no origin;
        ``"omit"``: none), ``redirect`` (``"follow"``; ``"error"`` and ``"manual"`` raise
        :class:`NetworkError` at a redirect, with Electron's messages), ``cache``,
        ``bypassCustomProtocolHandlers``. The request goes through the session's network
        stack: its cookies, proxy, authentication (``login``) and ``web_request``
        listeners; a scheme the session's ``protocol`` handles is answered by its handler
        (after ``on_before_request``), unless ``bypassCustomProtocolHandlers``. It is the
        web's ``fetch()`` run in the helper extension (no CORS applies), so headers the web
        may not set (``Cookie``, ``Origin``, ``Referer``, ``Host``, ...) raise
        :class:`UnsupportedError`. Returns a :class:`Response` with the whole body.

        Raises:
            NetworkError: Chromium's error (``net::ERR_CONNECTION_REFUSED``,
                ``net::ERR_BLOCKED_BY_CLIENT``, ``net::ERR_UNKNOWN_URL_SCHEME`` ...).
            TypeError: a bad argument; ``data:`` and ``blob:`` URLs (as Electron).
            UnsupportedError: a header ``fetch()`` may not set.
        """
        return await _net_fetch.fetch(self, url, init)

    async def get_blob_data(self, identifier: str) -> bytes:
        """Electron ``ses.getBlobData(identifier)``: not possible with Chromium's CDP.

        Electron hands ``blobUUID`` entries in a request's ``uploadData``; Chromium 156's
        Fetch domain reads a blob body itself and gives its bytes in ``uploadData``
        (``{"bytes": ...}``), with no blob identifier to look up later.

        Raises:
            TypeError: ``identifier`` is not a str.
            UnsupportedError: always.
        """
        if not isinstance(identifier, str):
            raise TypeError(f"identifier must be a str, not {type(identifier).__name__}")
        await trio.lowlevel.checkpoint()
        raise UnsupportedError(
            "ses.get_blob_data",
            "Chromium's Fetch domain gives a request's blob parts as bytes in uploadData "
            "(no blobUUID), so there is no blob identifier to read",
        )

    # -- per-process settings ---------------------------------------------------------------

    async def set_ssl_config(self, config: dict[str, Any]) -> None:
        """Set the TLS versions and cipher suites of the session (Electron ``ses.setSSLConfig``).

        ``config``: ``minVersion`` (``tls1``, ``tls1.1``, ``tls1.2``, ``tls1.3``; Chromium
        negotiates nothing below TLS 1.2, so the first three mean TLS 1.2), ``maxVersion``
        (``tls1.2``, ``tls1.3``), ``disabledCipherSuites`` (ints ``0xAABB``; TLS 1.3 suites
        cannot be disabled). A call replaces the whole previous config. Chromium reads these
        only at start (``--ssl-version-min``, ``--ssl-version-max``,
        ``--cipher-suite-blacklist``): set before the session's first use they cost nothing;
        set on a running session they relaunch its browser on the same profile, which
        closes its pages; cookies, session cookies included, storage and cache stay (an
        in-memory session's too).

        Raises:
            TypeError: an unknown key or a wrong type.
            ValueError: an unknown version, ``minVersion`` above ``maxVersion``, a cipher
                suite that is not a 16-bit number.
        """
        self._set_process_setting("ssl", _network.ssl_flags(config))
        await self._apply_process_settings()

    async def allow_ntlm_credentials_for_domains(self, domains: str) -> None:
        """Servers that get integrated authentication (NTLM, Negotiate) without asking.

        Electron ``ses.allowNTLMCredentialsForDomains(domains)``: a comma-separated list of
        host patterns (``"*example.com, *foobar.com"``, ``"*"`` for all). Chromium's
        ``--auth-server-allowlist``, read at start: on a running session this relaunches
        its browser as :meth:`set_ssl_config` does.

        Raises:
            TypeError: ``domains`` is not a str.
        """
        self._set_process_setting("ntlm", _network.ntlm_flags(domains))
        await self._apply_process_settings()

    def _set_process_setting(self, key: str, flags: tuple[str, ...]) -> None:
        if flags:
            self._process_settings[key] = flags
        else:
            self._process_settings.pop(key, None)

    # -- storage and caches -------------------------------------------------------------------

    async def clear_storage_data(self, options: dict[str, Any] | None = None) -> None:
        """Clear stored data of one origin, or of every origin of this session.

        Electron ``ses.clearStorageData([options])``. ``options``: ``origin``
        (``scheme://host:port``; absent: every origin of this session, and nothing of any
        other session), ``storages`` (Electron's names, case-insensitive: ``cookies``,
        ``filesystem``, ``indexdb``, ``localstorage``, ``shadercache``, ``websql``,
        ``serviceworkers``, ``cachestorage``; unknown names are ignored; absent: all),
        ``quotas`` (accepted; Chromium has one quota type). CDP:
        ``Storage.clearDataForOrigin`` on the helper extension's worker.

        Raises:
            TypeError: an unknown key or a wrong type.
            ValueError: ``origin`` is not an origin, an unknown quota type.
        """
        await _storage.clear_storage_data(self, options)

    async def clear_data(self, options: dict[str, Any] | None = None) -> None:
        """Clear browsing data (Electron ``ses.clearData([options])``).

        ``dataTypes`` (case-sensitive: ``cache`` (HTTP cache and Cache Storage),
        ``cookies``, ``downloads``, ``fileSystems``, ``indexedDB``, ``localStorage``,
        ``serviceWorkers``, ``webSQL`` (gone from Chromium: clears nothing),
        ``backgroundFetch``; absent: all), ``origins`` or ``excludeOrigins`` (cookies are
        matched by registrable domain: ``https://a.b.example.com`` covers every
        ``example.com`` cookie; with either, the default types leave out ``downloads``,
        which Chromium cannot filter by origin). Runs Chromium's own remover,
        ``chrome.browsingData.remove``, in the helper extension.

        Raises:
            TypeError: ``"Cannot provide both 'origins' and 'excludeOrigins'"``,
                ``"Invalid origin: '<url>'"``, an unknown key or a wrong type.
            ValueError: an unknown data type.
            UnsupportedError: ``backgroundFetch`` alone (Chromium clears it only with the
                service worker registrations that own it), ``downloads`` with an origin
                filter, ``avoidClosingConnections=True``,
                ``originMatchingMode="origin-in-all-contexts"``.
            ClearDataError: Chromium failed to clear (``failed_data_types``).
        """
        await _storage.clear_data(self, options)

    def flush_storage_data(self) -> None:
        """Electron ``ses.flushStorageData()``: nothing Chromium lets a client do.

        Neither CDP nor an extension can make Chromium write DOM storage now. Chromium
        writes it a few seconds after a change, when the origin's last page closes, and at
        a clean close, which cdpsession does on every way out of ``open_app`` (exception,
        cancellation, Ctrl-C): data written by a page is on disk once ``open_app`` has
        exited. A browser killed from outside may lose the last seconds of writes.
        """

    async def clear_cache(self) -> None:
        """Clear the session's HTTP cache (Electron ``ses.clearCache()``).

        CDP: ``Network.clearBrowserCache`` (on the helper extension's worker); it also
        empties the V8 code cache.
        """
        await _storage.clear_cache(self)

    async def get_cache_size(self) -> int:
        """Bytes the session's HTTP cache takes (Electron ``ses.getCacheSize()``).

        The size of the cache folder of the session's profile on disk, whether its browser
        runs or not (in-memory sessions keep theirs in their RAM-backed temp profile: 0
        before their browser starts).
        """
        host = self._host
        profile = host.user_data_dir if host is not None and host.alive else self._storage_path
        if profile is None:
            await trio.lowlevel.checkpoint()
            return 0
        return await trio.to_thread.run_sync(_storage.folder_size, _storage.cache_folder(profile))

    async def clear_code_caches(self, options: dict[str, Any] | None = None) -> None:
        """Clear the V8 code cache (Electron ``ses.clearCodeCaches(options)``).

        Chromium clears its code cache only with the HTTP cache
        (``Network.clearBrowserCache``), so this empties both.

        Raises:
            UnsupportedError: ``urls`` given (no per-URL clearing in Chromium).
        """
        _storage.check_code_cache_options(options)
        await _storage.clear_cache(self)

    async def clear_auth_cache(self) -> None:
        """Forget cached HTTP authentication (Electron ``ses.clearAuthCache()``).

        Site and proxy credentials alike. Chromium's only way to it is its browsing-data
        remover for cookies (``chrome.browsingData`` in the helper extension); cdpsession
        limits that to the origins of installed hosted apps, which its profiles have none
        of, so no cookie is touched (no ``changed`` event) while the auth cache, which knows
        no origin types, is emptied whole.
        """
        await _storage.clear_auth_cache(self)

    # -- downloads --------------------------------------------------------------------------

    async def set_download_path(self, path: str | os.PathLike[str]) -> None:
        """The folder for downloads given no save path (Electron ``ses.setDownloadPath``).

        No save dialog exists here: a download whose ``will-download`` listeners set no
        save path is written to this folder under its file name (``name (1).ext`` when
        taken). Default ``<user_data_dir>/Downloads``; made when first needed. Applies to
        downloads that start afterwards, from any page of the session.

        Raises:
            TypeError: not a path.
            ValueError: a relative path.
        """
        self._downloads.set_path(path)
        await trio.lowlevel.checkpoint()

    async def download_url(self, url: str, options: dict[str, Any] | None = None) -> None:
        """Start downloading ``url`` (Electron ``ses.downloadURL(url[, options])``).

        ``will-download`` fires once the response starts, with ``web_contents`` None.
        Returns once Chromium took the download. ``options``: ``headers`` (a dict of str).
        ``file:`` URLs and schemes the session's protocol handlers serve are read by
        cdpsession (``ses.fetch``) and written to the save path. CDP:
        ``chrome.downloads.download`` in the helper extension.

        Raises:
            TypeError: ``headers`` not a dict of str ("Invalid value for headers - must be an
                object"), an unknown option.
            ValueError: not an absolute URL, a scheme that cannot be downloaded, a malformed
                header.
            UnsupportedError: a header Chromium lets no download set (Cookie, Referer ...).
        """
        await self._downloads.download_url(url, options, None, "download_url")

    def create_interrupted_download(self, options: dict[str, Any]) -> None:
        """Make an interrupted download to resume (Electron ``ses.createInterruptedDownload``).

        ``options``: ``path`` (the partial file, absolute), ``urlChain``, ``mimeType``,
        ``offset``, ``length``, ``lastModified``, ``eTag``, ``startTime`` (snake_case
        spellings too). ``will-download`` fires with an item in state ``interrupted``;
        its ``resume()`` requests the rest (``Range: bytes=<offset>-`` with ``If-Range``)
        through the session's network stack and appends it to the partial file, or starts
        over when the server sends the whole file. ``can_resume()`` is False without
        ``eTag`` or ``lastModified``.

        Raises:
            TypeError: a wrongly typed or unknown option.
            ValueError: Electron's "Must pass non-empty path, urlChain and length." and
                "Must pass an offset value less than length.", a relative path.
        """
        self._downloads.create_interrupted(options)


def _folder_key(path: str) -> str:
    # One session per folder however it is spelled (symlinks included): two browsers must
    # never share a profile.
    return os.path.realpath(path)


class SessionModule:
    """Electron's ``session`` module, bound to one app: ``app.session``."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._by_partition: dict[str, Session] = {}
        self._by_path: dict[str, Session] = {}

    def from_partition(self, partition: str, options: dict[str, Any] | None = None) -> Session:
        """The session of ``partition``; the same object for the same string.

        Electron ``session.fromPartition(partition[, options])``. ``""`` is the default
        session; ``persist:NAME`` keeps its data in ``<user_data_dir>/Partitions/<NAME,
        escaped>``; any other string is an in-memory session. ``options``
        (``{"cache": False}``) count only when the session is first created. Plain
        bookkeeping: the browser starts on the session's first use.

        Raises:
            TypeError: ``partition`` is not a str; bad options.
            ValueError: NUL in ``partition``; ``"persist:"`` without a name.
        """
        check_partition(partition)
        opts = check_session_options(options)
        self._app._check_open()
        existing = self._by_partition.get(partition)
        if existing is not None:
            return existing
        path = partition_path(self._app.user_data_dir, partition)
        if path is not None and _folder_key(path) in self._by_path:
            session = self._by_path[_folder_key(path)]
        else:
            session = self._create(partition, path, opts)
        self._by_partition[partition] = session
        return session

    @property
    def default_session(self) -> Session:
        """The default session: ``from_partition("")`` (Electron ``session.defaultSession``)."""
        return self.from_partition("")

    def from_path(
        self, path: str | os.PathLike[str], options: dict[str, Any] | None = None
    ) -> Session:
        """The persistent session whose profile is the folder ``path``.

        Electron ``session.fromPath(path[, options])``: keyed by the absolute path;
        ``storage_path`` equals it.

        Raises:
            TypeError: ``"An empty path was specified"``, ``"An absolute path was not provided"``.
        """
        norm = check_from_path(path)
        opts = check_session_options(options)
        self._app._check_open()
        existing = self._by_path.get(_folder_key(norm))
        if existing is not None:
            return existing
        return self._create(None, norm, opts)

    def _create(self, partition: str | None, path: str | None, opts: dict[str, Any]) -> Session:
        name = partition if partition is not None else f"path:{path}"
        session = Session(_TOKEN, self._app, name, path, opts)
        assert (path is not None) == (partition is None or is_persistent_partition(partition))
        if path is not None:
            self._by_path[_folder_key(path)] = session
        self._app.emit("session-created", session)
        return session

    def _all(self) -> list[Session]:
        return list(
            {id(s): s for s in (*self._by_partition.values(), *self._by_path.values())}.values()
        )
