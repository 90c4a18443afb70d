"""``ses.cookies``: Electron's ``Cookies`` on a session's Chromium profile.

Reads and writes go to the profile's cookie store over CDP (``Storage.getCookies``,
``Storage.setCookies`` on the browser session, ``Network.deleteCookies`` on the helper
extension's worker). CDP's own checks are far laxer than Electron's (it stores a cookie for a
foreign ``Domain``, a ``Secure`` cookie from ``http:``), so ``set`` first validates the
details as Chromium's ``CanonicalCookie::CreateSanitizedCookie`` and ``SetCanonicalCookie``
do for Electron, and fails with Electron's messages. The ``changed`` event comes from the
helper extension's ``chrome.cookies.onChanged``, which sees every change (pages, HTTP, CDP).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import re
import secrets
import time
import urllib.parse
from typing import TYPE_CHECKING, Any

import trio
from publicsuffixlist import PublicSuffixList

from ._errors import BrowserClosedError, ProtocolError
from ._events import Event, EventEmitter, Listener
from ._options import check_options
from ._url import canonical_url, ip_literal

if TYPE_CHECKING:
    from ._host import Host, Target
    from ._session import Session

__all__ = ["Cookies"]

_BINDING = "cdpsessionCookieChanged"
# Where the marker cookie that starts a watch lives: a reserved name no page can have.
_MARKER_DOMAIN = "watch.cdpsession.invalid"
_COOKIE_SCHEMES = frozenset({"http", "https", "ws", "wss"})
_SECURE_SCHEMES = frozenset({"https", "wss"})
# Chromium caps a cookie's lifetime at 400 days (RFC 6265bis).
_MAX_AGE_S = 400 * 24 * 3600
_MAX_NAME_VALUE = 4096
_MAX_ATTRIBUTE = 1024

_SAME_SITE_TO_CDP = {"no_restriction": "None", "lax": "Lax", "strict": "Strict"}
_SAME_SITE_FROM_CDP = {"None": "no_restriction", "Lax": "lax", "Strict": "strict"}

# Electron's texts for Chromium's exclusion reasons, in Chromium's order (the order Electron
# joins them in when several apply).
_INVALID_DOMAIN = "The cookie was set with an invalid Domain attribute."
_DOMAIN_NON_ASCII = "The cookie was set with a Domain attribute containing non ASCII characters."
_SECURE_ONLY = "The cookie was Secure, but the URL was not allowed to access Secure cookies."
_SAMESITE_NONE_INSECURE = "The cookie specified SameSite=None, but it was not Secure."
_FAILURE_TO_STORE = "The cookie was malformed and could not be stored"
_NONCOOKIEABLE_SCHEME = "Attempted to set a cookie from a scheme that does not support cookies."
_INVALID_PREFIX = "The cookie was set with an invalid __Host- or __Secure- prefix."
_NAME_VALUE_SIZE = "The cookie exceeded the name/value pair size limit."
_ATTRIBUTE_SIZE = "Cookie exceeded the attribute size limit."
_DISALLOWED_CHARACTER = "The cookie contains ASCII control characters"
_NO_CONTENT = "The cookie contains no content or only whitespace."
_REASON_ORDER = (
    _SECURE_ONLY,
    _SAMESITE_NONE_INSECURE,
    _FAILURE_TO_STORE,
    _NONCOOKIEABLE_SCHEME,
    _INVALID_DOMAIN,
    _INVALID_PREFIX,
    _NAME_VALUE_SIZE,
    _ATTRIBUTE_SIZE,
    _DOMAIN_NON_ASCII,
    _DISALLOWED_CHARACTER,
    _NO_CONTENT,
)

_FILTER_KEYS = {
    "url": "url",
    "name": "name",
    "domain": "domain",
    "path": "path",
    "secure": "secure",
    "session": "session",
    "httpOnly": "httpOnly",
    "http_only": "httpOnly",
}
_DETAIL_KEYS = {
    "url": "url",
    "name": "name",
    "value": "value",
    "domain": "domain",
    "path": "path",
    "secure": "secure",
    "httpOnly": "httpOnly",
    "http_only": "httpOnly",
    "expirationDate": "expirationDate",
    "expiration_date": "expirationDate",
    "sameSite": "sameSite",
    "same_site": "sameSite",
}
_STR_KEYS = frozenset({"url", "name", "value", "domain", "path", "sameSite"})
_BOOL_KEYS = frozenset({"secure", "session", "httpOnly"})

# Chromium's change causes as chrome.cookies names them -> Electron's names.
_CAUSES = {
    "explicit": "explicit",
    "overwrite": "overwrite",
    "expired": "expired",
    "evicted": "evicted",
    "expired_overwrite": "expired-overwrite",
}

_psl = PublicSuffixList()
log = logging.getLogger("cdpsession")


class CookieURL:
    """The parts of a URL that cookie rules look at, canonicalized as Chromium does."""

    __slots__ = ("host", "is_ip", "path", "port", "scheme")

    def __init__(self, scheme: str, host: str, path: str, *, is_ip: bool, port: int = -1) -> None:
        self.scheme = scheme
        self.host = host
        self.path = path
        self.is_ip = is_ip
        self.port = port

    @classmethod
    def parse(cls, url: str) -> CookieURL | None:
        """None when Chromium would call the URL invalid (no scheme, no host).

        Read as the browser reads it (:func:`~._url.canonical_url`): a backslash is a
        slash, IPv4 addresses in any form, UTS 46 names, a trailing dot kept, the path
        percent-encoded.
        """
        match = re.match(r"\s*([A-Za-z][A-Za-z0-9+.\-]*):", url)
        if match is None:
            return None
        scheme = match.group(1).lower()
        if scheme not in _COOKIE_SCHEMES:
            return cls(scheme, "", "/", is_ip=False)
        try:
            canonical = canonical_url(url)
        except ValueError:
            return None
        host = canonical.host
        is_ip = host.startswith("[") or ip_literal(host) is not None
        return cls(scheme, host, canonical.path, is_ip=is_ip, port=canonical.effective_port)

    @property
    def trustworthy(self) -> bool:
        """May this URL set and read Secure cookies (https, wss, or a loopback host)."""
        if self.scheme in _SECURE_SCHEMES:
            return True
        host = self.host
        if host == "localhost" or host.endswith(".localhost"):
            return True
        if self.is_ip:
            return ipaddress.ip_address(host.strip("[]")).is_loopback
        return False


def _registrable(host: str) -> str:
    """eTLD+1 of ``host`` (private registries included, as Chromium's cookie code); '' if none."""
    if not host or host.startswith("[") or _is_ipv4(host):
        return ""
    return _psl.privatesuffix(host.lstrip(".")) or ""


def _is_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def _cookie_domain(url: CookieURL, domain: str, reasons: list[str]) -> str | None:
    """The stored domain for a cookie set from ``url`` with Domain ``domain``, or None.

    Mirrors Chromium's ``cookie_util::GetCookieDomainWithString``: a domain cookie gets a
    leading dot and must cover the URL's host within the same registrable domain; IP
    addresses and hosts without a registrable domain take host cookies only.
    """
    if not domain or (url.is_ip and domain == url.host):
        return url.host
    if not domain.isascii():
        reasons.append(_DOMAIN_NON_ASCII)
        return None
    if "%" in domain:
        return None
    canon = domain.lower()
    if not canon.strip("."):
        return None
    dotted = canon if canon.startswith(".") else "." + canon
    url_registrable = _registrable(url.host)
    if not url_registrable:
        # As IE and Firefox: a Domain equal to such a host is a host cookie.
        return url.host if canon == url.host else None
    if _registrable(dotted) != url_registrable:
        return None
    if url.host != dotted[1:] and not url.host.endswith(dotted):
        return None
    return dotted


def _default_path(url: CookieURL) -> str:
    # RFC 6265 5.1.4: the URL's directory.
    path = url.path
    if not path.startswith("/"):
        return "/"
    cut = path.rfind("/")
    return "/" if cut == 0 else path[:cut]


def _bad_token(text: str, *, name: bool) -> bool:
    if text != text.strip(" \t"):
        return True
    for ch in text:
        code = ord(ch)
        if (code < 0x20 and ch != "\t") or code == 0x7F or ch == ";" or (name and ch == "="):
            return True
    return False


def _fail(reasons: list[str]) -> ValueError:
    ordered = [r for r in _REASON_ORDER if r in reasons]
    return ValueError("Failed to set cookie - " + "".join(ordered))


def check_cookie_details(details: Any, now: float | None = None) -> dict[str, Any]:
    """Validate Electron ``cookies.set`` details; return the ``Storage.setCookies`` entry.

    Raises ``TypeError`` for a wrong type or unknown key and ``ValueError`` with Electron's
    message for what Chromium would refuse.
    """
    opts = check_options(details, _DETAIL_KEYS, arg="details", what="cookie detail", required=True)
    for key, value in opts.items():
        if key in _STR_KEYS and not isinstance(value, str):
            raise TypeError(f"cookie details: {key!r} must be a str, not {type(value).__name__}")
        if key in _BOOL_KEYS and not isinstance(value, bool):
            raise TypeError(f"cookie details: {key!r} must be a bool, not {type(value).__name__}")
    for key in _STR_KEYS & opts.keys():
        try:
            opts[key].encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"cookie details: {key!r} is not valid Unicode") from None
    expiry = opts.get("expirationDate")
    if expiry is not None and (isinstance(expiry, bool) or not isinstance(expiry, int | float)):
        raise TypeError(
            f"cookie details: 'expirationDate' must be a number, not {type(expiry).__name__}"
        )
    if expiry is not None:
        try:
            expiry = float(expiry)
        except OverflowError:  # an int too big for a float: as far as it goes
            expiry = math.inf if expiry > 0 else -math.inf
        if math.isnan(expiry):
            raise ValueError("cookie details: 'expirationDate' must be a number, not NaN")
    if "url" not in opts:
        raise ValueError("Missing required option 'url'")
    same_site = opts.get("sameSite", "lax")
    if same_site not in ("unspecified", "no_restriction", "lax", "strict"):
        raise ValueError(
            f"Failed to convert '{same_site}' to an appropriate cookie same site value"
        )
    secure = opts.get("secure", same_site == "no_restriction")
    url = CookieURL.parse(opts["url"])
    if url is None:
        raise _fail([_INVALID_DOMAIN])
    name = opts.get("name", "")
    value = opts.get("value", "")
    raw_domain = opts.get("domain", "")
    raw_path = opts.get("path", "")
    reasons: list[str] = []
    if (
        _bad_token(name, name=True)
        or _bad_token(value, name=False)
        or (not name and "=" in value)
        or "\t" in name  # Chromium refuses a tab in a name it is given (not in a value)
    ):
        reasons.append(_DISALLOWED_CHARACTER)
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in raw_path + raw_domain):
        reasons.append(_DISALLOWED_CHARACTER)
    if len(raw_path) > _MAX_ATTRIBUTE or len(raw_domain) > _MAX_ATTRIBUTE:
        reasons.append(_ATTRIBUTE_SIZE)
    if not name and not value:
        reasons.append(_NO_CONTENT)
    if len(name.encode()) + len(value.encode()) > _MAX_NAME_VALUE:
        reasons.append(_NAME_VALUE_SIZE)
    if reasons:
        raise _fail(reasons)
    if url.scheme not in _COOKIE_SCHEMES:
        raise _fail([_NONCOOKIEABLE_SCHEME])
    domain = _cookie_domain(url, raw_domain, reasons)
    if domain is None:
        raise _fail([*reasons, _INVALID_DOMAIN])
    if raw_path:
        safe = urllib.parse.quote(raw_path, safe="/:@!$&'()*+,;=-._~%")
        if not raw_path.startswith("/") or safe != raw_path or ";" in raw_path:
            raise _fail([_FAILURE_TO_STORE])
        path = raw_path
    else:
        path = _default_path(url)
    # A nameless cookie is read by browsers as "value" alone: it may not look prefixed.
    lowered = (name or value).lower()
    if not name and lowered.startswith(("__secure-", "__host-")):
        raise _fail([_INVALID_PREFIX])
    if lowered.startswith("__secure-") and not (secure and url.trustworthy):
        raise _fail([_INVALID_PREFIX])
    if lowered.startswith("__host-") and not (
        secure and url.trustworthy and not raw_domain and path == "/"
    ):
        raise _fail([_INVALID_PREFIX])
    if secure and not url.trustworthy:
        raise _fail([_SECURE_ONLY])
    if same_site == "no_restriction" and not secure:
        raise _fail([_SAMESITE_NONE_INSECURE])
    # No "url" for CDP: it would force Secure on for an https URL.
    entry: dict[str, Any] = {
        "name": name,
        "value": value,
        "domain": domain,
        "path": path,
        "secure": secure,
        "httpOnly": opts.get("httpOnly", False),
        # A Secure cookie from a loopback http URL counts as from a secure origin.
        "sourceScheme": "Secure" if url.scheme in _SECURE_SCHEMES or secure else "NonSecure",
    }
    if 0 < url.port < 65536:
        entry["sourcePort"] = url.port
    if same_site in _SAME_SITE_TO_CDP:
        entry["sameSite"] = _SAME_SITE_TO_CDP[same_site]
    if expiry is not None:
        current = time.time() if now is None else now
        # CDP reads a negative expiry as "a session cookie"; Chromium (and Electron) read
        # it as long expired: the cookie is not stored and replaces an existing one.
        entry["expires"] = max(min(expiry, current + _MAX_AGE_S), 1.0)
    return entry


def check_cookie_filter(value: Any) -> dict[str, Any]:
    """Validate Electron ``cookies.get`` filter keys and types."""
    opts = check_options(value, _FILTER_KEYS, arg="filter", what="cookie filter key")
    for key, item in opts.items():
        if key in _STR_KEYS and not isinstance(item, str):
            raise TypeError(f"cookie filter: {key!r} must be a str, not {type(item).__name__}")
        if key in _BOOL_KEYS and not isinstance(item, bool):
            raise TypeError(f"cookie filter: {key!r} must be a bool, not {type(item).__name__}")
    return opts


def from_cdp(cookie: dict[str, Any]) -> dict[str, Any]:
    """A CDP ``Network.Cookie`` in Electron's ``Cookie`` shape."""
    domain = cookie.get("domain", "")
    out: dict[str, Any] = {
        "name": cookie.get("name", ""),
        "value": cookie.get("value", ""),
        "domain": domain,
        "hostOnly": not domain.startswith("."),
        "path": cookie.get("path", "/"),
        "secure": bool(cookie.get("secure")),
        "httpOnly": bool(cookie.get("httpOnly")),
        "session": bool(cookie.get("session")),
    }
    if not out["session"]:
        out["expirationDate"] = cookie.get("expires")
    out["sameSite"] = _SAME_SITE_FROM_CDP.get(cookie.get("sameSite", ""), "unspecified")
    return out


def from_extension(cookie: dict[str, Any]) -> dict[str, Any]:
    """A ``chrome.cookies.Cookie`` in Electron's ``Cookie`` shape."""
    out: dict[str, Any] = {
        "name": cookie.get("name", ""),
        "value": cookie.get("value", ""),
        "domain": cookie.get("domain", ""),
        "hostOnly": bool(cookie.get("hostOnly")),
        "path": cookie.get("path", "/"),
        "secure": bool(cookie.get("secure")),
        "httpOnly": bool(cookie.get("httpOnly")),
        "session": bool(cookie.get("session")),
    }
    if not out["session"] and "expirationDate" in cookie:
        out["expirationDate"] = cookie["expirationDate"]
    same_site = cookie.get("sameSite", "unspecified")
    out["sameSite"] = same_site if isinstance(same_site, str) else "unspecified"
    return out


def domain_match(cookie_domain: str, host: str) -> bool:
    """Chromium's ``cookie_util::IsDomainMatch``: does ``host`` fall under the cookie domain."""
    if host == cookie_domain:
        return True
    if not cookie_domain.startswith("."):
        return False
    return host == cookie_domain[1:] or host.endswith(cookie_domain)


def _path_match(cookie_path: str, request_path: str) -> bool:
    # RFC 6265 5.1.4.
    if request_path == cookie_path:
        return True
    if not request_path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"


def sent_to(cookie: dict[str, Any], url: CookieURL) -> bool:
    """Would ``cookie`` (Electron shape) be sent to ``url``, HttpOnly and any SameSite included."""
    if url.scheme not in _COOKIE_SCHEMES:
        return False
    if cookie["hostOnly"]:
        if url.host != cookie["domain"]:
            return False
    elif not domain_match(cookie["domain"], url.host):
        return False
    if not _path_match(cookie["path"], url.path):
        return False
    return not (cookie["secure"] and not url.trustworthy)


def matches(cookie: dict[str, Any], flt: dict[str, Any]) -> bool:
    """Electron's ``MatchesCookie``: every filter key given must hold."""
    if "name" in flt and flt["name"] != cookie["name"]:
        return False
    if "path" in flt and flt["path"] != cookie["path"]:
        return False
    # Host names are case-insensitive (Electron compares the filter as given, so an
    # upper-case filter finds nothing there; nobody relies on that).
    if "domain" in flt and not domain_match(cookie["domain"], flt["domain"].lower()):
        return False
    for key in ("secure", "httpOnly", "session"):
        if key in flt and flt[key] != cookie[key]:
            return False
    return True


def _muted_key(cookie: dict[str, Any]) -> str:
    same = {k: v for k, v in cookie.items() if k != "expirationDate"}
    return json.dumps(same, sort_keys=True)


def _identity(cookie: dict[str, Any]) -> tuple[str, str, str]:
    return cookie["name"], cookie["domain"], cookie["path"]


class ChangeTracker:
    """Turns ``chrome.cookies.onChanged`` reports into Electron's ``(cookie, cause, removed)``.

    chrome.cookies reports every insert as ``explicit`` (not removed) and an overwrite as
    the removal of the old cookie (``overwrite``) followed by that insert; Electron names
    the insert after what changed: ``inserted``, ``inserted-no-change-overwrite`` (all the
    same), ``inserted-no-value-change-overwrite`` (same value).
    """

    def __init__(self) -> None:
        self._overwritten: dict[tuple[str, str, str], dict[str, Any]] = {}
        # Cookies cdpsession puts back itself (a relaunch restores the session cookies):
        # their insertion is not a change, until a deadline.
        self._muted: dict[str, float] = {}
        # Reports of changes made before watching started may still arrive after it (the
        # extension hears of a change apart from the command that made it): every report
        # before the insertion of a marker cookie, written when watching starts, is stale.
        self._marker: str | None = None
        self.marker_seen = False

    def expect_marker(self, name: str) -> None:
        """Report nothing until the marker cookie ``name`` is inserted; hide its changes."""
        self._marker = name
        self.marker_seen = False

    def forget_marker(self) -> None:
        """Report every change from now on (the marker never came)."""
        self._marker = None
        self.marker_seen = True

    def mute_inserts(self, cookies: list[dict[str, Any]], seconds: float = 5.0) -> None:
        """Do not report the next insertion of these (Electron-shape) cookies."""
        now = time.monotonic()
        self._muted = {k: t for k, t in self._muted.items() if t > now}
        for cookie in cookies:
            self._muted[_muted_key(cookie)] = now + seconds

    def classify(self, payload: str) -> tuple[dict[str, Any], str, bool] | None:
        """The change a binding payload reports, or None (muted or malformed)."""
        try:
            info = json.loads(payload)
            cookie = from_extension(info["cookie"])
            removed = bool(info["removed"])
            cause = str(info.get("cause", ""))
        except (ValueError, KeyError, TypeError):
            return None
        if self._marker is not None:
            if cookie["name"] == self._marker:
                self.marker_seen = True
                if removed:
                    self._marker = None
                return None
            if not self.marker_seen:
                return None
        if (
            not removed
            and self._muted
            and self._muted.pop(_muted_key(cookie), 0) > time.monotonic()
        ):
            return None
        key = _identity(cookie)
        if removed:
            if cause == "overwrite":
                self._overwritten[key] = cookie
            return cookie, _CAUSES.get(cause, "unknown"), True
        old = self._overwritten.pop(key, None)
        name = "inserted"
        if old is not None:
            if old == cookie:
                name = "inserted-no-change-overwrite"
            elif old["value"] == cookie["value"]:
                name = "inserted-no-value-change-overwrite"
        return cookie, name, False


class Cookies(EventEmitter):
    """A session's cookies (Electron ``Cookies``, ``ses.cookies``).

    Event ``changed`` ``(event, cookie, cause, removed)`` for every change to the session's
    cookie store, whoever made it (``Set-Cookie``, ``document.cookie``, this API), with
    Electron's causes: ``inserted``, ``inserted-no-change-overwrite``,
    ``inserted-no-value-change-overwrite``, ``explicit``, ``overwrite``, ``expired``,
    ``evicted``, ``expired-overwrite``. ``removed`` is False only for the ``inserted*``
    causes; an overwrite reports the old cookie (``overwrite``, removed) and then the new one.
    Watching starts with the first ``changed`` listener (the helper extension's
    ``chrome.cookies.onChanged``, forwarded with ``Runtime.addBinding``); cdpsession's own
    calls on the session wait until it is watching.
    """

    def __init__(self, session: Session) -> None:
        super().__init__(session._app._spawn, session._app._fail)
        self._session = session
        self._watched: Host | None = None
        self._watched_worker: Target | None = None  # the helper's worker that reports them
        self._watch_ready = trio.Event()
        self._marker_seen = trio.Event()
        self._changes = ChangeTracker()

    def __repr__(self) -> str:
        return f"<Cookies of {self._session!r}>"

    # -- the changed event ------------------------------------------------------------------

    def on(self, event: str, listener: Listener) -> Cookies:
        """Add ``listener`` for ``event``; the first ``changed`` listener starts watching."""
        super().on(event, listener)
        self._listening_changed(event)
        return self

    add_listener = on

    def once(self, event: str, listener: Listener) -> Cookies:
        """Add ``listener`` for the next ``event`` only."""
        super().once(event, listener)
        self._listening_changed(event)
        return self

    def _listening_changed(self, event: str) -> None:
        host = self._session._host
        if event == "changed" and host is not None and host.alive and not self._watching(host):
            self._spawn(lambda: self._watch(host))

    def _watching(self, host: Host) -> bool:
        # Watched by this host's helper extension; a worker that crashed (and is made again)
        # reports nothing until watched again.
        worker = self._watched_worker
        return self._watched is host and (worker is None or not worker.gone.is_set())

    async def _watch(self, host: Host) -> None:
        """Forward the host's cookie changes to ``changed`` (once per host and worker)."""
        if self._watching(host):
            await self._watch_ready.wait()
            return
        self._watched = host
        self._watched_worker = None
        ready = self._watch_ready = trio.Event()
        try:
            # Before the binding exists: a stale report may come as soon as it does.
            marker = f"cdpsession-watch-{secrets.token_hex(6)}"
            self._marker_seen = trio.Event()
            self._changes.expect_marker(marker)
            ext = await host.extension_binding(_BINDING, self._on_change)
            self._watched_worker = ext.worker
            await self._skip_stale_reports(host, ext.worker.session_id, marker)
        except BrowserClosedError:
            # The browser went away meanwhile: its successor is watched when it starts.
            self._watched = None
        except BaseException:
            self._watched = None
            raise
        finally:
            ready.set()

    async def _skip_stale_reports(self, host: Host, worker: str, name: str) -> None:
        await host.call(
            "Runtime.evaluate", {"expression": "self.cdpsession.watchCookies()"}, worker
        )
        # A marker cookie on a domain no page has: once its insertion is reported, every
        # report that follows is of a change made after watching started.
        await host.call(
            "Storage.setCookies",
            {"cookies": [{"name": name, "value": "1", "domain": _MARKER_DOMAIN, "path": "/"}]},
        )
        with trio.move_on_after(5) as waited:
            await self._marker_seen.wait()
        if waited.cancelled_caught:
            log.warning("cookie changes: the watch marker was not reported; watching anyway")
            self._changes.forget_marker()
        await host.call("Network.deleteCookies", {"name": name, "domain": _MARKER_DOMAIN}, worker)

    async def _settle(self, host: Host) -> None:
        """Wait until the host is watched when someone listens for ``changed``."""
        if self._watching(host):
            if not self._watch_ready.is_set():  # no checkpoint on the hot path
                await self._watch_ready.wait()
        elif self.listener_count("changed"):
            await self._watch(host)

    def _mute_inserts(self, cdp_cookies: list[dict[str, Any]]) -> None:
        """Do not report the insertion of these cookies (put back by cdpsession, next 5 s)."""
        if self._watched is not None:
            self._changes.mute_inserts([from_cdp(raw) for raw in cdp_cookies])

    def _on_change(self, payload: str) -> None:
        change = self._changes.classify(payload)
        if self._changes.marker_seen:
            self._marker_seen.set()
        if change is not None:
            cookie, cause, removed = change
            self.emit("changed", Event(), cookie, cause, removed)

    # -- members ----------------------------------------------------------------------------

    async def _host(self) -> Host:
        host = await self._session._ensure_host()
        await self._settle(host)
        return host

    async def get(self, filter: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Cookies matching ``filter`` (Electron ``cookies.get(filter)``).

        ``filter`` keys: ``url`` (the cookies that would be sent to it, HttpOnly and every
        SameSite included; empty or absent: every cookie), ``name``, ``domain`` (the
        cookie's domain is the filter's host or a parent of it), ``path``, ``secure``,
        ``session``, ``httpOnly``. Cookies come in Electron's shape (``expirationDate``
        absent for session cookies). CDP: ``Storage.getCookies``.

        Raises:
            TypeError: an unknown filter key or a value of the wrong type.
        """
        flt = check_cookie_filter(filter)
        url = None
        if flt.get("url"):
            url = CookieURL.parse(flt["url"])
            if url is None:
                return []
        host = await self._host()
        reply = await host.call("Storage.getCookies")
        out = []
        for raw in reply.get("cookies", []):
            cookie = from_cdp(raw)
            if (url is None or sent_to(cookie, url)) and matches(cookie, flt):
                out.append(cookie)
        return out

    async def set(self, details: dict[str, Any]) -> None:
        """Set one cookie (Electron ``cookies.set(details)``).

        ``details``: ``url`` (required), ``name``, ``value``, ``domain``, ``path``,
        ``secure`` (default: ``sameSite == "no_restriction"``), ``httpOnly``,
        ``expirationDate`` (seconds since the epoch; absent: a session cookie),
        ``sameSite`` (``unspecified``, ``no_restriction``, ``lax`` (default), ``strict``).
        Checked as Chromium checks Electron's cookies (domain, prefixes, characters, sizes,
        Secure from a trustworthy URL) before ``Storage.setCookies``. Not checked: that a
        non-Secure or non-HttpOnly cookie may not overwrite a Secure or HttpOnly one.

        Raises:
            TypeError: a wrong type or an unknown key.
            ValueError: Electron's message, e.g. ``"Missing required option 'url'"``,
                ``"Failed to set cookie - The cookie was set with an invalid Domain
                attribute."``.
        """
        entry = check_cookie_details(details)
        host = await self._host()
        try:
            await host.call("Storage.setCookies", {"cookies": [entry]})
        except ProtocolError as exc:
            # Chromium refused what the checks above let through: still a bad cookie.
            raise _fail([_FAILURE_TO_STORE]) from exc

    async def remove(self, url: str, name: str) -> None:
        """Remove the cookies named ``name`` that would be sent to ``url``.

        Electron ``cookies.remove(url, name)``; resolves when none matched. CDP:
        ``Storage.getCookies``, then ``Network.deleteCookies`` for each match.
        """
        if not isinstance(url, str):
            raise TypeError(f"url must be a str, not {type(url).__name__}")
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, not {type(name).__name__}")
        target = CookieURL.parse(url)
        if target is None:
            return
        host = await self._host()
        reply = await host.call("Storage.getCookies")
        doomed = [
            c
            for c in (from_cdp(raw) for raw in reply.get("cookies", []))
            if c["name"] == name and sent_to(c, target)
        ]
        if not doomed:
            return
        ext = await host.helper_extension()
        await host.connection.call_many(
            [
                (
                    "Network.deleteCookies",
                    {"name": c["name"], "domain": c["domain"], "path": c["path"]},
                )
                for c in doomed
            ],
            ext.worker.session_id,
        )

    async def flush_store(self) -> None:
        """Electron ``cookies.flushStore()``: what Chromium allows, which is little.

        Chromium offers no way (CDP or extension) to write its cookie database on request:
        it writes changes within 30 seconds and at a clean close, and cdpsession closes
        every browser cleanly on every way out of ``open_app`` (exception, cancellation,
        Ctrl-C). So persistent cookies are on disk once ``open_app`` has exited; a browser
        killed from outside may lose the last 30 seconds. Returns at once; starts no browser.
        """
        await trio.lowlevel.checkpoint()
