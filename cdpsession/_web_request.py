"""``ses.web_request``: Electron's ``WebRequest``, on CDP's Fetch and Network domains.

Eight stages, one listener each per session (the last one set wins, ``None`` removes it),
each with an optional filter (``urls`` match patterns, ``excludeUrls``, ``types``):

* request stage, on the host's shared Fetch interception (:mod:`._fetch`): Chromium pauses
  only requests that some listener's patterns may match (Fetch globs written from the match
  patterns, a superset), and Python decides with Chromium's own matching rules. One pause
  runs ``on_before_request`` (cancel: ``Fetch.failRequest(BlockedByClient)``; a
  ``redirectURL``: a ``307 Internal Redirect`` answered with ``Fetch.fulfillRequest``, which
  Chromium follows as Electron does), then ``on_before_send_headers`` (``requestHeaders``
  replace the set: ``Fetch.continueRequest(headers)``), then ``on_send_headers`` with the
  headers that go out; then the session's protocol handlers;
* response stage (a second Fetch pattern): ``on_headers_received`` (``responseHeaders``,
  ``statusLine``: ``Fetch.continueResponse``);
* observers, on ``Network`` events of every page, frame and worker (enabled once one is set):
  ``on_before_redirect`` (``requestWillBeSent`` with a ``redirectResponse``),
  ``on_response_started`` (``responseReceived``), ``on_completed`` (``loadingFinished``),
  ``on_error_occurred`` (``loadingFailed``).
"""

from __future__ import annotations

import base64
import collections
import contextlib
import functools
import inspect
import re
import time
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import trio

from ._callbacks import answer, takes_callback
from ._errors import BrowserClosedError, ProtocolError, UnsupportedError
from ._fetch import RequestPattern, Stage, is_header_name, is_header_value
from ._url_pattern import ALL_URLS, PatternError, URLPattern, parse_pattern

if TYPE_CHECKING:
    from ._fetch import Paused
    from ._host import Host, Target, TargetSetup
    from ._session import Session
    from ._web_contents import WebContents
    from ._wire import Event

__all__ = ["RequestFilter", "WebRequest", "resource_type"]

RESOURCE_TYPES = frozenset(
    {
        "mainFrame",
        "subFrame",
        "stylesheet",
        "script",
        "image",
        "font",
        "object",
        "xhr",
        "ping",
        "cspReport",
        "media",
        "webSocket",
    }
)
# CDP's Network.ResourceType -> Electron's names (extensions' WebRequestResourceType).
_FROM_CDP = {
    "Stylesheet": "stylesheet",
    "Script": "script",
    "Image": "image",
    "Font": "font",
    "Media": "media",
    "TextTrack": "media",
    "XHR": "xhr",
    "Fetch": "xhr",
    "EventSource": "xhr",
    "Ping": "ping",
    "CSPViolationReport": "cspReport",
    "WebSocket": "webSocket",
}
# Electron's names -> the CDP types that may carry them (for Fetch's resourceType filter).
_TO_CDP: dict[str, tuple[str, ...]] = {
    "mainFrame": ("Document",),
    "subFrame": ("Document",),
    "stylesheet": ("Stylesheet",),
    "script": ("Script", "Other"),
    "image": ("Image",),
    "font": ("Font",),
    "object": ("Other",),
    "xhr": ("XHR", "Fetch", "EventSource"),
    "ping": ("Ping",),
    "cspReport": ("CSPViolationReport",),
    "media": ("Media", "TextTrack"),
    "webSocket": ("WebSocket",),
}

_STATUS_LINE = re.compile(r"HTTP/[0-9.]+ ([0-9]{3})(?: (.*))?")

_REQUEST_STAGES = ("on_before_request", "on_before_send_headers", "on_send_headers")
_OBSERVERS = ("on_response_started", "on_before_redirect", "on_completed", "on_error_occurred")
_BLOCKING = frozenset({"on_before_request", "on_before_send_headers", "on_headers_received"})
_MISSING: Any = object()
_IDS_KEPT = 4096


def resource_type(cdp_type: str, frame_id: str, target: Target, headers: dict[str, str]) -> str:
    """Electron's ``resourceType`` of a request CDP describes.

    A document is ``mainFrame`` when it loads into the page's own frame (whose id is the page
    target's id); a service worker's script (sent with ``Service-Worker: script``) is a
    ``script``; what Electron has no name for is ``other``.
    """
    if cdp_type == "Document":
        return "mainFrame" if frame_id == target.root.target_id else "subFrame"
    named = _FROM_CDP.get(cdp_type)
    if named is not None:
        return named
    if any(k.lower() == "service-worker" for k in headers):
        return "script"
    return "other"


class RequestFilter:
    """Electron's ``WebRequestFilter``: ``urls``, ``excludeUrls``, ``types``."""

    def __init__(
        self, urls: list[URLPattern], exclude: list[URLPattern], types: frozenset[str]
    ) -> None:
        self.urls = urls
        self.exclude = exclude
        self.types = types

    @classmethod
    def parse(cls, value: Any) -> RequestFilter:
        """Check ``value`` as Electron does (``None``: every URL).

        Raises:
            TypeError: Electron's texts: ``"Parameter 'filter' must have property 'urls'."``,
                ``"Invalid url pattern <p>: <reason>"`` (the first bad one),
                ``"Invalid type <t>"``; an unknown key.
        """
        if value is None:
            return cls([parse_pattern(ALL_URLS)], [], frozenset())
        if not isinstance(value, dict):
            raise TypeError(f"filter must be a dict, not {type(value).__name__}")
        unknown = set(value) - {"urls", "excludeUrls", "exclude_urls", "types"}
        if unknown:
            raise TypeError(
                f"unknown filter key {sorted(unknown)[0]!r} (known: 'urls', 'excludeUrls', 'types')"
            )
        if "urls" not in value:
            raise TypeError("Parameter 'filter' must have property 'urls'.")
        urls = _strings(value["urls"], "urls")
        if not urls:
            # Electron warns (deprecated) and matches every URL.
            urls = [ALL_URLS]
        exclude = _strings(value.get("excludeUrls", value.get("exclude_urls", [])), "excludeUrls")
        try:
            included = [parse_pattern(p) for p in dict.fromkeys(urls)]
            excluded = [parse_pattern(p) for p in dict.fromkeys(exclude)]
        except PatternError as exc:
            hint = ""
            if exc.reason == "Wrong scheme type." and "://" in exc.pattern:
                scheme = exc.pattern.partition(":")[0]
                hint = (
                    f" (Chromium does not know {scheme}: as a standard scheme; write '{scheme}:*')"
                )
            raise TypeError(str(exc) + hint) from None
        types = _strings(value.get("types", []), "types")
        for kind in types:
            if kind not in RESOURCE_TYPES:
                raise TypeError(f"Invalid type {kind}")
        return cls(included, excluded, frozenset(types))

    def matches(self, url: str, kind: str) -> bool:
        """Electron's ``MatchesRequest``: a ``urls`` pattern, no ``excludeUrls`` one, a type."""
        return (
            (not self.types or kind in self.types)
            and any(p.matches(url) for p in self.urls)
            and not any(p.matches(url) for p in self.exclude)
        )

    def fetch_patterns(self, stage: Stage) -> list[RequestPattern]:
        """Fetch patterns that pause (at least) every request this filter matches."""
        globs = dict.fromkeys(glob for p in self.urls for glob in p.fetch_globs())
        if not self.types:
            return [RequestPattern(glob, stage) for glob in globs]
        kinds = dict.fromkeys(cdp for t in sorted(self.types) for cdp in _TO_CDP[t])
        return [RequestPattern(glob, stage, kind) for glob in globs for kind in kinds]


def _strings(value: Any, what: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise TypeError(f"filter {what!r} must be a list of str, not {type(value).__name__}")
    for item in value:
        if not isinstance(item, str):
            raise TypeError(f"filter {what!r} must hold str, not {type(item).__name__}")
    return list(value)


class _Listener:
    __slots__ = ("filter", "fn", "takes_callback")

    def __init__(self, request_filter: RequestFilter, fn: Callable[..., Any]) -> None:
        self.filter = request_filter
        self.fn = fn
        self.takes_callback = takes_callback(fn, 1)


class _Observed:
    """What the Network domain told of one request so far (for the observer stages)."""

    __slots__ = ("frame_id", "method", "referrer", "response", "target", "type", "url")

    def __init__(self, target: Target, params: dict[str, Any]) -> None:
        request = params.get("request", {})
        self.target = target
        self.url: str = request.get("url", "") + request.get("urlFragment", "")
        self.method: str = request.get("method", "GET")
        self.type = resource_type(
            params.get("type", "Other"),
            params.get("frameId", ""),
            target,
            request.get("headers", {}),
        )
        self.frame_id: str = params.get("frameId", "")
        self.referrer: str = _referrer(request.get("headers", {}))
        self.response: dict[str, Any] | None = None


def _referrer(headers: dict[str, str]) -> str:
    return next((v for k, v in headers.items() if k.lower() == "referer"), "")


class WebRequest:
    """A session's web request listeners (Electron ``ses.webRequest``), ``ses.web_request``.

    Every ``on_*`` method takes ``([filter,] listener)``: ``filter`` is Electron's
    ``{"urls": [...], "excludeUrls": [...], "types": [...]}`` (absent: every request),
    ``listener`` a plain or async function, or None to remove the stage's listener.
    Listeners of the blocking stages get ``(details, callback)`` and answer by calling
    ``callback(response)`` or by returning the response (a listener that takes only
    ``details`` answers by its return value; None leaves the request as it is).
    A listener's exception fails the request (``net::ERR_FAILED``) and is raised out of
    ``open_app``. Not constructed by users.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._listeners: dict[str, _Listener] = {}
        self._ids: collections.OrderedDict[str, int] = collections.OrderedDict()
        self._next_id = 1
        self._observed: dict[str, _Observed] = {}
        self._network_hosts: weakref.WeakSet[Host] = weakref.WeakSet()
        self._network_lock = trio.Lock()
        self._network_workers: set[str] = set()

    def __repr__(self) -> str:
        return f"<WebRequest of {self._session!r}: {sorted(self._listeners)}>"

    # -- the eight stages -----------------------------------------------------------------

    async def on_before_request(self, *args: Any) -> None:
        """Electron ``webRequest.onBeforeRequest([filter, ]listener)``.

        ``details``: ``id``, ``url``, ``method``, ``webContentsId`` and ``webContents`` (for
        a page's requests), ``resourceType``, ``referrer``, ``timestamp`` (ms since the
        epoch), ``uploadData`` (a list of ``{"bytes": ...}``, for requests with a body).
        Response: ``{"cancel": True}`` (the request fails with
        ``net::ERR_BLOCKED_BY_CLIENT``), ``{"redirectURL": url}`` (a ``307 Internal
        Redirect``), ``{}`` (go on). CDP: ``Fetch.requestPaused``, ``Fetch.failRequest``,
        ``Fetch.fulfillRequest``.
        """
        await self._set("on_before_request", args)

    async def on_before_send_headers(self, *args: Any) -> None:
        """Electron ``webRequest.onBeforeSendHeaders([filter, ]listener)``.

        ``details`` adds ``requestHeaders`` (a dict, the headers the page gives; the network
        stack adds its own later, as in Electron). Response: ``{"cancel": True}``,
        ``{"requestHeaders": {...}}`` (the whole new set: names or values that are not
        valid HTTP are dropped), ``{}``. CDP: ``Fetch.continueRequest(headers)``.
        """
        await self._set("on_before_send_headers", args)

    async def on_send_headers(self, *args: Any) -> None:
        """Electron ``webRequest.onSendHeaders([filter, ]listener)``: ``details`` with the
        ``requestHeaders`` that go out (after ``on_before_send_headers``). Observes only;
        the requests it matches are paused briefly to read them (``Fetch.requestPaused``).
        """  # noqa: D205
        await self._set("on_send_headers", args)

    async def on_headers_received(self, *args: Any) -> None:
        """Electron ``webRequest.onHeadersReceived([filter, ]listener)``.

        ``details`` adds ``statusLine`` (``"HTTP/1.1 200 OK"``), ``statusCode``,
        ``responseHeaders`` (name -> list of values, in the server's spelling; Chromium
        withholds ``Set-Cookie`` from clients). Response: ``{"cancel": True}``,
        ``{"responseHeaders": {...}}`` (with ``"statusLine"``: a new status too), ``{}``.
        CDP: the Fetch response stage, ``Fetch.continueResponse``.
        """
        await self._set("on_headers_received", args)

    async def on_response_started(self, *args: Any) -> None:
        """Electron ``webRequest.onResponseStarted([filter, ]listener)``: ``details`` with
        ``statusCode``, ``statusLine``, ``responseHeaders``, ``fromCache``, ``ip``.
        CDP: ``Network.responseReceived``.
        """  # noqa: D205
        await self._set("on_response_started", args)

    async def on_before_redirect(self, *args: Any) -> None:
        """Electron ``webRequest.onBeforeRedirect([filter, ]listener)``: ``details`` with
        ``redirectURL``, ``statusCode``, ``statusLine``, ``responseHeaders``, ``fromCache``,
        ``ip``. CDP: ``Network.requestWillBeSent`` with a ``redirectResponse``.
        """  # noqa: D205
        await self._set("on_before_redirect", args)

    async def on_completed(self, *args: Any) -> None:
        """Electron ``webRequest.onCompleted([filter, ]listener)``: ``details`` with the
        response's fields and ``error`` ``"net::OK"``. CDP: ``Network.loadingFinished``.
        """  # noqa: D205
        await self._set("on_completed", args)

    async def on_error_occurred(self, *args: Any) -> None:
        """Electron ``webRequest.onErrorOccurred([filter, ]listener)``: ``details`` with
        ``error`` (``"net::ERR_BLOCKED_BY_CLIENT"``, ...) and ``fromCache``.
        CDP: ``Network.loadingFailed``.
        """  # noqa: D205
        await self._set("on_error_occurred", args)

    # -- registration ---------------------------------------------------------------------------

    async def _set(self, stage: str, args: tuple[Any, ...]) -> None:
        if len(args) == 1:
            raw_filter, fn = None, args[0]
        elif len(args) == 2:
            raw_filter, fn = args
            if raw_filter is None:
                raw_filter = _MISSING
        else:
            raise TypeError(f"{stage}() takes ([filter,] listener), not {len(args)} arguments")
        if raw_filter is _MISSING:
            raise TypeError("Parameter 'filter' must have property 'urls'.")
        request_filter = RequestFilter.parse(raw_filter)
        if stage in _BLOCKING and "webSocket" in request_filter.types:
            raise UnsupportedError(
                f"web_request.{stage} for WebSocket requests",
                "Chromium's Fetch domain never pauses a WebSocket handshake; the observers "
                "(on_send_headers, on_response_started, on_completed, on_error_occurred) see it",
            )
        if fn is not None and not callable(fn):
            raise TypeError("Must pass null or a Function")
        if fn is None:
            self._listeners.pop(stage, None)
        else:
            self._listeners[stage] = _Listener(request_filter, fn)
        host = self._session._host
        if host is not None and host.alive:
            await self.apply(host)

    async def apply(self, host: Host) -> None:
        """Make ``host`` pause and report what the listeners need (at its start, on change)."""
        host.fetch.add(self)
        # on_send_headers watches too: a WebSocket handshake is only seen on Network.
        if any(stage in self._listeners for stage in (*_OBSERVERS, "on_send_headers")):
            await self._watch_network(host)
        with contextlib.suppress(BrowserClosedError):
            await host.fetch.refresh()

    def fetch_patterns(self) -> Iterable[RequestPattern]:
        """The Fetch patterns of the current listeners (for the host's interception)."""
        for stage, listener in self._listeners.items():
            if stage in _REQUEST_STAGES:
                yield from listener.filter.fetch_patterns("Request")
            elif stage == "on_headers_received":
                yield from listener.filter.fetch_patterns("Response")

    # -- request ids ------------------------------------------------------------------------------

    def _id_for(self, key: str, previous: str | None = None) -> int:
        known = self._ids.get(key)
        if known is not None:
            self._ids.move_to_end(key)
            return known
        if previous is not None and previous in self._ids:
            number = self._ids[previous]
        else:
            number = self._next_id
            self._next_id += 1
        self._ids[key] = number
        if len(self._ids) > _IDS_KEPT:
            self._ids.popitem(last=False)
        return number

    def _paused_id(self, paused: Paused) -> int:
        if paused.network_id is not None:
            return self._id_for(paused.network_id)
        previous = f"fetch:{paused.redirected_from}" if paused.redirected_from else None
        return self._id_for(f"fetch:{paused.request_id}", previous)

    def _web_contents(self, target: Target) -> WebContents | None:
        # A page's frames and dedicated workers belong to it; a service or shared worker
        # belongs to no page, even when attached under one.
        node: Target | None = target
        while node is not None and node.type != "page":
            if node.type in ("service_worker", "shared_worker"):
                return None
            node = node.parent
        host = self._session._host
        if node is None or host is None:
            return None
        return self._session._web_contents_for(host, node)

    def _base_details(
        self, number: int, *, url: str, method: str, kind: str, target: Target, referrer: str
    ) -> dict[str, Any]:
        details: dict[str, Any] = {
            "id": number,
            "url": url,
            "method": method,
            "timestamp": time.time() * 1000,
            "resourceType": kind,
            "referrer": referrer,
        }
        wc = self._web_contents(target)
        if wc is not None:
            details["webContents"] = wc
            details["webContentsId"] = wc.id
        return details

    # -- the paused stages (a Fetch consumer) ---------------------------------------------------

    async def on_paused(self, paused: Paused) -> None:
        """Run the listeners of the stage the request is paused at."""
        if not self._listeners:
            return
        kind = resource_type(paused.resource_type, paused.frame_id, paused.target, paused.headers)
        if paused.stage == "Request":
            await self._request_stage(paused, kind)
        elif paused.error_reason is None:
            await self._response_stage(paused, kind)

    async def _request_stage(self, paused: Paused, kind: str) -> None:
        url = paused.url
        wanted = [
            stage
            for stage in _REQUEST_STAGES
            if stage in self._listeners and self._listeners[stage].filter.matches(url, kind)
        ]
        if not wanted:
            return
        details = self._base_details(
            self._paused_id(paused),
            url=url,
            method=paused.method,
            kind=kind,
            target=paused.target,
            referrer=_referrer(paused.headers),
        )
        if "on_before_request" in wanted:
            upload = await self._upload_data(paused)
            if upload is not None:
                details["uploadData"] = upload
            answer = await self._ask("on_before_request", dict(details), paused)
            if answer is None:
                return
            if answer.get("cancel") is True:
                paused.fail("BlockedByClient")
                return
            redirect = answer.get("redirectURL", answer.get("redirect_url"))
            if isinstance(redirect, str) and redirect and redirect != url:
                paused.fulfill(
                    307, _redirect_headers(redirect, paused.headers), phrase="Internal Redirect"
                )
                return
        if "on_before_send_headers" in wanted:
            answer = await self._ask(
                "on_before_send_headers",
                {**details, "requestHeaders": dict(paused.headers)},
                paused,
            )
            if answer is None:
                return
            if answer.get("cancel") is True:
                paused.fail("BlockedByClient")
                return
            headers = answer.get("requestHeaders", answer.get("request_headers"))
            if isinstance(headers, dict):
                paused.set_headers(_request_headers(headers))
        if "on_send_headers" in wanted:
            self._observe("on_send_headers", {**details, "requestHeaders": dict(paused.headers)})

    async def _response_stage(self, paused: Paused, kind: str) -> None:
        headers = paused.response_headers
        result = await self._headers_received(
            paused, kind, paused.status_code or 0, paused.status_text, headers
        )
        if result is not None and result[2] is not headers:
            paused.set_response(*result)

    async def headers_received_for(
        self, paused: Paused, status: int, phrase: str, headers: list[tuple[str, str]]
    ) -> tuple[int, str, list[tuple[str, str]]] | None:
        """``on_headers_received`` for a response a protocol handler made for ``paused``.

        Returns the status, phrase and headers to answer with; None when the request was
        failed (cancelled, or the listener failed).
        """
        if "on_headers_received" not in self._listeners:
            return status, phrase, headers
        kind = resource_type(paused.resource_type, paused.frame_id, paused.target, paused.headers)
        return await self._headers_received(paused, kind, status, phrase, headers)

    async def _headers_received(
        self,
        paused: Paused,
        kind: str,
        status: int,
        phrase: str,
        headers: list[tuple[str, str]],
    ) -> tuple[int, str, list[tuple[str, str]]] | None:
        # Unchanged: the very ``headers`` list comes back (nothing is sent to Chromium).
        listener = self._listeners.get("on_headers_received")
        if listener is None or not listener.filter.matches(paused.url, kind):
            return status, phrase, headers
        details = self._base_details(
            self._paused_id(paused),
            url=paused.url,
            method=paused.method,
            kind=kind,
            target=paused.target,
            referrer=_referrer(paused.headers),
        )
        details.update(
            statusLine=_status_line(status, phrase),
            statusCode=status,
            responseHeaders=_header_lists(headers),
            fromCache=False,
        )
        answer = await self._ask("on_headers_received", details, paused)
        if answer is None:
            return None
        if answer.get("cancel") is True:
            paused.fail("BlockedByClient")
            return None
        changed = answer.get("responseHeaders", answer.get("response_headers"))
        if not isinstance(changed, dict):
            return status, phrase, headers  # Electron: a statusLine alone changes nothing
        line = answer.get("statusLine", answer.get("status_line"))
        if isinstance(line, str):
            parsed = _STATUS_LINE.fullmatch(line.strip())
            if parsed is not None:
                status, phrase = int(parsed.group(1)), parsed.group(2) or ""
        return status, phrase, _response_headers(changed)

    async def _upload_data(self, paused: Paused) -> list[dict[str, bytes]] | None:
        if not paused.has_post_data:
            return None
        host = self._session._host
        if paused.post_data is None and paused.network_id is not None and host is not None:
            # Fetch left the body out (Chromium does for some bodies): ask Network for it.
            with contextlib.suppress(BrowserClosedError, ProtocolError):
                reply = await host.call(
                    "Network.getRequestPostData",
                    {"requestId": paused.network_id},
                    paused.target.session_id,
                )
                data = reply.get("postData", "")
                paused.post_data = [
                    base64.b64decode(data) if reply.get("base64Encoded") else data.encode()
                ]
        return [{"bytes": chunk} for chunk in paused.post_data or []]

    async def _ask(
        self, stage: str, details: dict[str, Any], paused: Paused | None = None
    ) -> dict[str, Any] | None:
        """Run a blocking stage's listener: its response (``{}``: go on).

        None when the listener failed: ``paused`` is failed (``net::ERR_FAILED``) and the
        exception ends the app.
        """
        listener = self._listeners.get(stage)
        if listener is None:
            return {}
        failure: Exception | None = None
        try:
            args = await answer(listener.fn, (details,), listener.takes_callback)
        except trio.Cancelled:
            raise
        except Exception as exc:
            failure = exc
        else:
            response = args[0] if args else None
            if response is None:
                return {}
            if isinstance(response, dict):
                return response
            failure = TypeError(
                f"a {stage} listener answers with a dict, not {type(response).__name__}"
            )
        if paused is not None:
            paused.fail("Failed")
        self._session._app._fail(failure)
        return None

    async def before_fetch(
        self, url: str, method: str, body: bytes | None
    ) -> tuple[str, str | None]:
        """``on_before_request`` for a :meth:`Session.fetch` that a protocol handler serves.

        Returns ``("cancel", None)``, ``("redirect", url)``, ``("go", None)``, or
        ``("failed", None)`` when the listener failed.
        """
        listener = self._listeners.get("on_before_request")
        if listener is None or not listener.filter.matches(url, "xhr"):
            return "go", None
        details: dict[str, Any] = {
            "id": self._id_for(f"python:{self._next_id}"),
            "url": url,
            "method": method,
            "timestamp": time.time() * 1000,
            "resourceType": "xhr",
            "referrer": "",
        }
        if body is not None:
            details["uploadData"] = [{"bytes": body}]
        response = await self._ask("on_before_request", details)
        if response is None:
            return "failed", None
        if response.get("cancel") is True:
            return "cancel", None
        redirect = response.get("redirectURL", response.get("redirect_url"))
        if isinstance(redirect, str) and redirect and redirect != url:
            return "redirect", redirect
        return "go", None

    def _observe(self, stage: str, details: dict[str, Any]) -> None:
        listener = self._listeners.get(stage)
        if listener is None:
            return
        try:
            result = listener.fn(details)
        except trio.Cancelled:
            raise
        except BaseException as exc:
            self._session._app._fail(exc)
            return
        if inspect.isawaitable(result):

            async def finish() -> None:
                await result

            self._session._app._spawn(finish)

    # -- the observer stages (Network events) -------------------------------------------------

    async def _watch_network(self, host: Host) -> None:
        async with self._network_lock:
            if host in self._network_hosts:
                return
            self._network_hosts.add(host)
            conn = host.connection
            for method, handler in (
                ("Network.requestWillBeSent", self._on_will_be_sent),
                ("Network.responseReceived", self._on_response),
                ("Network.loadingFinished", self._on_finished),
                ("Network.loadingFailed", self._on_failed),
                ("Network.webSocketCreated", self._on_socket_created),
                ("Network.webSocketWillSendHandshakeRequest", self._on_socket_request),
                ("Network.webSocketHandshakeResponseReceived", self._on_socket_response),
                ("Network.webSocketClosed", self._on_socket_closed),
            ):
                conn.listen(functools.partial(handler, host), method)
            host.add_target_hook(_network_hook)
            with contextlib.suppress(BrowserClosedError):
                await host.broadcast(lambda target: [("Network.enable", None)])
        await self.watch_worker(host)

    async def watch_worker(self, host: Host) -> None:
        """Report the helper extension's requests (``Session.fetch``) to the observers too."""
        worker = host.extension_worker()
        if (
            worker is None
            or host not in self._network_hosts
            or worker.session_id in self._network_workers
        ):
            return
        self._network_workers.add(worker.session_id)
        with contextlib.suppress(BrowserClosedError, ProtocolError):
            await host.call("Network.enable", None, worker.session_id)

    def _observed_target(self, host: Host, event: Event) -> Target | None:
        target = host.targets.get(event.session_id or "")
        if target is None or host.hidden(target):
            return None
        return target

    def _on_will_be_sent(self, host: Host, event: Event) -> None:
        target = self._observed_target(host, event)
        if target is None:
            return
        params = event.params
        url = params.get("request", {}).get("url", "")
        if url.startswith(("data:", "blob:")):
            return  # never a network request (Electron's webRequest does not see them)
        request_id = params.get("requestId", "")
        redirect = params.get("redirectResponse")
        seen = self._observed.get(request_id)
        if isinstance(redirect, dict) and seen is not None:
            new_url = params.get("request", {}).get("url", "")
            details = self._observer_details(request_id, seen)
            details.update(_response_fields(redirect), redirectURL=new_url)
            self._fire("on_before_redirect", seen, details)
        self._observed[request_id] = _Observed(target, params)
        if len(self._observed) > _IDS_KEPT:
            # Requests that never finished (their page went away): forget the oldest.
            del self._observed[next(iter(self._observed))]

    def _on_response(self, host: Host, event: Event) -> None:
        seen = self._observed.get(event.params.get("requestId", ""))
        response = event.params.get("response")
        if seen is None or not isinstance(response, dict):
            return
        seen.response = response
        details = self._observer_details(event.params["requestId"], seen)
        details.update(_response_fields(response))
        self._fire("on_response_started", seen, details)

    def _on_finished(self, host: Host, event: Event) -> None:
        request_id = event.params.get("requestId", "")
        seen = self._observed.pop(request_id, None)
        if seen is None:
            return
        details = self._observer_details(request_id, seen)
        if seen.response is not None:
            details.update(_response_fields(seen.response))
        details["error"] = "net::OK"
        self._fire("on_completed", seen, details)

    def _on_failed(self, host: Host, event: Event) -> None:
        request_id = event.params.get("requestId", "")
        seen = self._observed.pop(request_id, None)
        if seen is None:
            return
        details = self._observer_details(request_id, seen)
        details["fromCache"] = bool(seen.response and _from_cache(seen.response))
        details["error"] = _net_error(event.params.get("errorText", ""))
        self._fire("on_error_occurred", seen, details)

    # -- WebSocket handshakes (Fetch never pauses them: observers only) ----------------------

    def _on_socket_created(self, host: Host, event: Event) -> None:
        target = self._observed_target(host, event)
        if target is None:
            return
        params = event.params
        self._observed[params.get("requestId", "")] = _Observed(
            target,
            {"request": {"url": params.get("url", ""), "method": "GET"}, "type": "WebSocket"},
        )

    def _on_socket_request(self, host: Host, event: Event) -> None:
        request_id = event.params.get("requestId", "")
        seen = self._observed.get(request_id)
        if seen is None:
            return
        details = self._observer_details(request_id, seen)
        details["requestHeaders"] = dict(event.params.get("request", {}).get("headers", {}))
        self._fire("on_send_headers", seen, details)

    def _on_socket_response(self, host: Host, event: Event) -> None:
        request_id = event.params.get("requestId", "")
        seen = self._observed.pop(request_id, None)
        response = event.params.get("response")
        if seen is None or not isinstance(response, dict):
            return
        details = self._observer_details(request_id, seen)
        details.update(_response_fields(response))
        self._fire("on_response_started", seen, dict(details))
        # As Electron: the HTTP request of a WebSocket ends with the upgrade.
        details["error"] = "net::ERR_WS_UPGRADE"
        self._fire("on_completed", seen, details)

    def _on_socket_closed(self, host: Host, event: Event) -> None:
        request_id = event.params.get("requestId", "")
        seen = self._observed.pop(request_id, None)
        if seen is None:
            return  # it was upgraded (the HTTP request ended then)
        details = self._observer_details(request_id, seen)
        details.update(fromCache=False, error="net::ERR_CONNECTION_FAILED")
        self._fire("on_error_occurred", seen, details)

    def _observer_details(self, request_id: str, seen: _Observed) -> dict[str, Any]:
        return self._base_details(
            self._id_for(request_id),
            url=seen.url,
            method=seen.method,
            kind=seen.type,
            target=seen.target,
            referrer=seen.referrer,
        )

    def _fire(self, stage: str, seen: _Observed, details: dict[str, Any]) -> None:
        listener = self._listeners.get(stage)
        if listener is not None and listener.filter.matches(seen.url, seen.type):
            self._observe(stage, details)


def _network_hook(setup: TargetSetup) -> None:
    setup.commands.append(("Network.enable", None))


def _redirect_headers(location: str, request_headers: dict[str, str]) -> list[tuple[str, str]]:
    headers = [("Location", location)]
    origin = next((v for k, v in request_headers.items() if k.lower() == "origin"), None)
    if origin is not None:
        # The redirect answers a cross-origin request too (as Chromium's own internal
        # redirects do): without these, CORS would block it before it is followed.
        headers += [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Credentials", "true"),
        ]
    return headers


def _net_error(text: str) -> str:
    # Chromium names a request Fetch failed "net::ERR_BLOCKED_BY_CLIENT.Inspector".
    return text.removesuffix(".Inspector") if text else "net::ERR_FAILED"


def _from_cache(response: dict[str, Any]) -> bool:
    return bool(
        response.get("fromDiskCache")
        or response.get("fromPrefetchCache")
        or response.get("fromEarlyHints")
    )


def _status_line(status: int, text: str) -> str:
    return f"HTTP/1.1 {status} {text}".rstrip() if status else ""


def _response_fields(response: dict[str, Any]) -> dict[str, Any]:
    status = int(response.get("status", 0))
    fields: dict[str, Any] = {
        "statusCode": status,
        "statusLine": _status_line(status, response.get("statusText", "")),
        "responseHeaders": {
            name: str(value).split("\n") for name, value in response.get("headers", {}).items()
        },
        "fromCache": _from_cache(response),
    }
    ip = response.get("remoteIPAddress")
    if ip:
        fields["ip"] = ip
    return fields


def _header_lists(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in headers:
        out.setdefault(name, []).append(value)
    return out


def _header_text(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _request_headers(headers: dict[Any, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers.items():
        text = _header_text(", ".join(value) if isinstance(value, list | tuple) else value)
        if is_header_name(name) and is_header_value(text):
            out[name] = text
    return out


def _response_headers(headers: dict[Any, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, value in headers.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            text = _header_text(item)
            if is_header_name(name) and is_header_value(text):
                out.append((name, text))
    return out
