"""Chromium's own network-context controls, through ``chrome://net-internals`` in a hidden page.

CDP has no command for a profile's host resolver, socket pools or proxy service. The
net-internals WebUI of the profile does: its message handler calls the profile's
``NetworkContext`` (``ResolveHost``, ``CloseAllConnections``, ``ClearHostCache``,
``ForceReloadProxyConfig``, ``ClearBadProxiesCache``) -- the very calls Electron's session
makes. The page is cdpsession's own (internal: no session state, never a WebContents), made
on first need and kept for the host's lifetime.

Fire-and-forget messages (``chrome.send``) have no reply; each is followed by a
``resolveHost`` round trip, which goes to the same ``NetworkContext`` message pipe and is
answered only after the earlier messages were handled there.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import trio

from ._errors import CDPSessionError

if TYPE_CHECKING:
    from ._host import Host, Target

__all__ = ["NetInternals", "NetworkError"]

_URL = "chrome://net-internals/"
_BRIDGE_JS = """import('chrome://net-internals/browser_bridge.js').then((m) => {
  self.cdpsessionBridge = m.BrowserBridge.getInstance();
  return true;
})"""
# A name every resolver answers at once, without DNS: the barrier after a chrome.send.
_BARRIER_HOST = "localhost"


class NetworkError(CDPSessionError):
    """A network operation failed with one of Chromium's net errors.

    Attributes:
        error_text: Chromium's error, e.g. ``"net::ERR_NAME_NOT_RESOLVED"``.
    """

    def __init__(self, error_text: str, what: str = "") -> None:
        self.error_text = error_text
        super().__init__(f"{error_text} ({what})" if what else error_text)


class NetInternals:
    """The hidden ``chrome://net-internals`` page of one host. Made by :meth:`open`."""

    def __init__(self, host: Host, target: Target) -> None:
        self._host = host
        self.target = target

    @classmethod
    async def open(cls, host: Host) -> NetInternals:
        """Open the page and load its message bridge."""
        target = await host.create_page(_URL, internal=True)
        page = cls(host, target)
        # The page may not have committed chrome://net-internals yet (an import from the
        # initial about:blank fails): retry until the import answers.
        with trio.fail_after(host.config.launch_timeout):
            while True:
                if await page._evaluate(_BRIDGE_JS, raise_js=False) is True:
                    return page
                await trio.sleep(0.01)

    @property
    def alive(self) -> bool:
        """False once the page went away (crashed, closed)."""
        return not self.target.gone.is_set()

    async def _evaluate(self, expression: str, *, raise_js: bool = True) -> Any:
        reply = await self._host.call(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            self.target.session_id,
        )
        details = reply.get("exceptionDetails")
        if details is not None:
            if not raise_js:
                return None
            thrown = details.get("exception") or {}
            raise CDPSessionError(
                f"chrome://net-internals: {thrown.get('description') or details.get('text')}"
            )
        return reply.get("result", {}).get("value")

    async def resolve_host(self, hostname: str) -> list[str]:
        """Resolve ``hostname`` with the profile's own host resolver, in Chromium's order.

        The resolver the browser's requests use: ``--host-resolver-rules``, its cache and
        Chromium's DNS client included.

        Raises:
            NetworkError: Chromium's error, e.g. ``net::ERR_NAME_NOT_RESOLVED``.
        """
        outcome = await self._evaluate(
            f"self.cdpsessionBridge.sendResolveHost({json.dumps(hostname)})"
            ".then((r) => ({ok: r.resolved_addresses}), (e) => ({error: String(e)}))"
        )
        if not isinstance(outcome, dict):
            raise CDPSessionError(f"chrome://net-internals answered {outcome!r}")
        if "error" in outcome:
            error = str(outcome["error"])
            raise NetworkError(error if error.startswith("net::") else f"net::{error}", hostname)
        return [str(address) for address in outcome.get("ok") or []]

    async def _send(self, message: str) -> None:
        await self._evaluate(f"chrome.send({json.dumps(message)})")
        # The barrier: answered once the network context handled the message above.
        await self._evaluate(
            f"self.cdpsessionBridge.sendResolveHost({json.dumps(_BARRIER_HOST)})"
            ".then(() => true, () => true)"
        )

    async def close_all_connections(self) -> None:
        """Close every connection of the profile (``NetworkContext::CloseAllConnections``)."""
        await self._send("flushSocketPools")

    async def clear_host_cache(self) -> None:
        """Empty the profile's host resolver cache (``NetworkContext::ClearHostCache``)."""
        await self._send("clearHostResolverCache")

    async def reload_proxy_settings(self) -> None:
        """``NetworkContext::ForceReloadProxyConfig``: reset the proxy service, refetch WPAD."""
        await self._send("reloadProxySettings")

    async def clear_bad_proxies(self) -> None:
        """Forget which proxies failed recently (``NetworkContext::ClearBadProxiesCache``)."""
        await self._send("clearBadProxies")
