"""``set_proxy``, ``resolve_proxy`` and ``force_reload_proxy_config`` of one session.

Chromium changes a profile's proxy at run time only through an extension's ``chrome.proxy``
(scope ``regular``: the session's own profile, since every session has its own browser): the
helper extension's ``setProxy``. That API takes one proxy per scheme, so rules with failover
lists or ``direct://`` go to Chromium as a PAC script compiled from them
(:mod:`._proxy_config`). A ``pacScript`` URL is fetched here, always direct, and Chromium gets
the script's text: what ``resolve_proxy`` evaluates (:mod:`._pac`) is then exactly what the
browser runs, and ``file:`` URLs (which Chromium's fetcher refuses) work too. When that fetch
fails, Chromium gets the URL itself (mandatory, as Electron sets it) and refuses traffic
until it can fetch the script, as Electron does.

Name lookups for PAC scripts and PAC fetches go through the session's own host resolver
(``chrome://net-internals``), so ``--host-resolver-rules`` and its cache apply as in the
browser.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import trio

from ._errors import BrowserClosedError, CDPSessionError, UnsupportedError
from ._net_internals import NetworkError
from ._pac import (
    PacFetchError,
    PacScript,
    ascii_script,
    canonical_url,
    fetch_pac,
    pac_url_for,
    resolve_proxy,
)
from ._proxy_config import (
    NotRepresentableError,
    ProxyConfig,
    chrome_proxy_value,
    parse_proxy_config,
    parse_proxy_rules,
)

if TYPE_CHECKING:
    from ._host import Host
    from ._session import Session

__all__ = ["Proxy", "config_from_args"]

log = logging.getLogger("cdpsession")

# Desktops whose own proxy settings (GSettings, KDE's kioslaverc) Chromium reads in system
# mode instead of the environment (base::nix::GetDesktopEnvironment).
_SETTINGS_DESKTOPS = frozenset(
    {"gnome", "unity", "cinnamon", "pantheon", "deepin", "ukui", "kde", "budgie"}
)


def config_from_args(args: Sequence[str]) -> ProxyConfig | None:
    """The proxy config Chromium's own flags in ``args`` give, None when they give none.

    Chromium's order (its command-line pref store): ``--no-proxy-server``, then
    ``--proxy-pac-url``, then ``--proxy-auto-detect``, then ``--proxy-server`` with
    ``--proxy-bypass-list``.

    Raises:
        ValueError: a ``--proxy-server`` or ``--proxy-bypass-list`` value cdpsession cannot
            read (named).
    """
    flags: dict[str, str] = {}
    for arg in args:
        name, _, value = arg.partition("=")
        flags[name.lstrip("-")] = value
    if "no-proxy-server" in flags:
        return ProxyConfig("direct")
    if "proxy-pac-url" in flags:
        return ProxyConfig("pac_script", pac_url=flags["proxy-pac-url"] or None)
    if "proxy-auto-detect" in flags:
        return ProxyConfig("auto_detect")
    if "proxy-server" in flags:
        try:
            rules = parse_proxy_rules(flags["proxy-server"], flags.get("proxy-bypass-list", ""))
        except ValueError as exc:
            raise ValueError(f"open_app(extra_args=...): --proxy-server: {exc}") from None
        return ProxyConfig("fixed_servers", rules=rules)
    return None


def _reads_desktop_settings(env: dict[str, str]) -> bool:
    names = env.get("XDG_CURRENT_DESKTOP", "").lower().split(":")
    names.append(env.get("DESKTOP_SESSION", "").lower())
    if env.get("KDE_FULL_SESSION"):
        names.append("kde")
    return any(name.split("-")[0] in _SETTINGS_DESKTOPS for name in names if name)


# How long set_proxy waits for its PAC script; past that Chromium gets the URL and fetches it
# itself (Electron's setProxy does not wait for the script at all), and resolve_proxy fetches
# it when asked.
_SET_FETCH_BOUND_S = 5.0


class Proxy:
    """The proxy settings of one session and what they resolve to."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._config: ProxyConfig | None = None  # None: never set (Chromium's start-up config)
        self._value: dict[str, Any] | None = None  # what chrome.proxy got, or is to get
        self._script: PacScript | None = None  # the current config's fetched PAC script
        self._lock = trio.Lock()

    @property
    def config(self) -> ProxyConfig:
        """The config in force: the last ``set_proxy``, else Chromium's flags, else system."""
        if self._config is not None:
            return self._config
        return config_from_args(self._session._app._extra_args) or ProxyConfig("system")

    def _environment(self) -> dict[str, str]:
        # What system mode reads: the running browser's environment, fixed at its start.
        host = self._session._host
        return dict(host.environ) if host is not None and host.alive else dict(os.environ)

    # -- name lookups, as the browser makes them ---------------------------------------------

    async def _resolve_name(self, name: str) -> list[str]:
        """Addresses of ``name`` from the session's host resolver; ``[]`` when it has none."""
        try:
            return [str(ipaddress.ip_address(name.strip("[]")))]
        except ValueError:
            pass
        host = await self._session._ensure_host()
        try:
            return await (await host.net_internals()).resolve_host(name)
        except NetworkError:
            return []

    async def _fetch(self, url: str, timeout: float = 30.0) -> PacScript | None:
        try:
            text = await fetch_pac(url, self._resolve_name, timeout=timeout)
        except PacFetchError as exc:
            log.warning("cannot fetch the PAC script: %s", exc)
            return None
        return PacScript.compile(ascii_script(text))

    # -- the browser side -------------------------------------------------------------------

    def _chrome_value(self, config: ProxyConfig, script: PacScript | None) -> dict[str, Any]:
        fetched_by_chromium = (
            config.mode == "pac_script"
            and script is None
            and (config.pac_url or "").partition(":")[0].lower() in ("http", "https")
        )
        if fetched_by_chromium:
            # Not fetched (yet): Chromium fetches it itself, fails as Electron does when it
            # cannot, and tries again later on its own.
            return {
                "mode": "pac_script",
                "pacScript": {"url": config.pac_url, "mandatory": config.pac_mandatory},
            }
        try:
            return chrome_proxy_value(config, None if script is None else script.text)
        except NotRepresentableError as exc:
            raise UnsupportedError("set_proxy with these proxyBypassRules", str(exc)) from None

    async def apply(self, host: Host) -> None:
        """Give a (new) browser the session's proxy settings, when any were set."""
        value = self._value
        if value is None:
            return
        ext = await host.helper_extension()
        reply = await host.call(
            "Runtime.evaluate",
            {
                "expression": f"self.cdpsession.setProxy({json.dumps(value)})",
                "awaitPromise": True,
            },
            ext.worker.session_id,
        )
        details = reply.get("exceptionDetails")
        if details is not None:
            thrown = details.get("exception") or {}
            raise CDPSessionError(
                f"chrome.proxy refused {value!r}: {thrown.get('description') or details}"
            )

    async def _commit(
        self, config: ProxyConfig, value: dict[str, Any], script: PacScript | None
    ) -> None:
        """Make the settings the session's, in cdpsession and in its browser alike.

        After a browser start or relaunch in progress (the session's host lock), which
        applies what is recorded; shielded once begun: a cancellation between the command
        and the record would leave them disagreeing.
        """
        session = self._session
        async with session._host_lock, self._lock:
            with (
                trio.CancelScope(shield=True),
                trio.move_on_after(session._app._launch_timeout) as bound,
            ):
                previous = self._config, self._value, self._script
                self._config, self._value, self._script = config, value, script
                host = session._host
                if host is not None and host.alive:
                    try:
                        await self.apply(host)
                    except BrowserClosedError:
                        pass  # its successor gets them at start
                    except BaseException:
                        self._config, self._value, self._script = previous
                        raise
            if bound.cancelled_caught:
                raise CDPSessionError("chrome.proxy did not answer in time")

    # -- the members ------------------------------------------------------------------------

    async def set(self, options: Any) -> None:
        """``ses.set_proxy(config)``: see :meth:`Session.set_proxy`."""
        config = parse_proxy_config(options)
        script = None
        if config.mode == "pac_script" and config.pac_url is not None:
            script = await self._fetch(config.pac_url, timeout=_SET_FETCH_BOUND_S)
        await self._commit(config, self._chrome_value(config, script), script)

    async def resolve(self, url: Any) -> str:
        """``ses.resolve_proxy(url)``: see :meth:`Session.resolve_proxy`."""
        if not isinstance(url, str):
            raise TypeError(f"url must be a str, not {type(url).__name__}")
        canonical_url(url)  # a bad URL is refused before anything starts
        async with self._lock:
            config, script = self.config, self._script
        env = self._environment()
        if config.mode == "system" and _reads_desktop_settings(env):
            raise UnsupportedError(
                "resolve_proxy in system mode on this desktop",
                "Chromium reads the desktop's own proxy settings (GSettings or KDE) here, "
                "which cdpsession cannot read",
            )
        pac_url = pac_url_for(config, env)
        if pac_url is not None and script is None:
            # Not fetched yet (auto_detect, system, a slow pacScript), or the last try failed.
            script = await self._fetch(pac_url)
            async with self._lock:
                if self.config is config and self._script is None:
                    self._script = script
        return await resolve_proxy(
            config, url, pac_text=script, resolver=self._resolve_name, env=env
        )

    async def force_reload(self) -> None:
        """``ses.force_reload_proxy_config()``: see :meth:`Session.force_reload_proxy_config`."""
        config = self.config
        pac_url = pac_url_for(config, self._environment())
        script = None if pac_url is None else await self._fetch(pac_url)
        if self._config is config and config.mode == "pac_script":
            await self._commit(config, self._chrome_value(config, script), script)
        else:
            async with self._lock:
                if self.config is config:
                    self._script = script
        host = self._session._host
        if host is not None and host.alive:
            # Chromium's own reset: the WPAD or flag-given PAC script is fetched again.
            await (await host.net_internals()).reload_proxy_settings()
