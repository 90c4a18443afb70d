"""``ses.protocol``: Electron's ``Protocol`` of a session, on CDP's Fetch domain.

A handled scheme adds a Fetch pattern (``scheme:*``) to the host's shared interception
(:mod:`._fetch`); its requests pause there after ``web_request``'s listeners, and the handler's
response answers them (``Fetch.fulfillRequest``) without the network. ``http``, ``https``
and ``file`` are intercepted fully: page loads, subresources, workers' requests.

Schemes Chromium does not know are another matter: Chromium refuses to navigate to them
(``net::ERR_ABORTED``, before any request exists) and its renderer refuses them to
``fetch()`` and XMLHttpRequest; only subresources (``<img>``, ``<script>``, stylesheets,
fonts, media) reach Fetch and are served. :meth:`Session.fetch` serves them all, and
``WebContents.load_url`` of such a URL raises :class:`UnsupportedError`.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import re
import urllib.parse
import urllib.request
from collections.abc import AsyncIterable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import trio

from ._callbacks import answer, takes_callback
from ._errors import UnsupportedError
from ._fetch import RequestPattern, is_header_name, is_header_value
from ._http import Request, Response
from ._net_fetch import forbidden_header
from ._net_internals import NetworkError

if TYPE_CHECKING:
    from ._fetch import Paused
    from ._host import Host
    from ._session import Session

__all__ = ["Protocol", "check_navigable"]

log = logging.getLogger("cdpsession")

BUILT_IN = frozenset({"http", "https", "file"})
# Schemes Chromium itself serves: registering them could never take effect.
_CHROMIUM_SCHEMES = frozenset(
    {
        "about",
        "blob",
        "chrome",
        "chrome-extension",
        "chrome-untrusted",
        "data",
        "devtools",
        "filesystem",
        "javascript",
        "ws",
        "wss",
    }
)
_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*")
_KINDS = ("string", "buffer", "file", "http", "stream")
# Electron's net error codes -> CDP's Network.ErrorReason (the only failures Fetch can give).
_NET_ERRORS = {
    -2: "Failed",
    -3: "Aborted",
    -7: "TimedOut",
    -10: "AccessDenied",
    -20: "BlockedByClient",
    -27: "BlockedByResponse",
    -100: "ConnectionClosed",
    -101: "ConnectionReset",
    -102: "ConnectionRefused",
    -103: "ConnectionAborted",
    -104: "ConnectionFailed",
    -105: "NameNotResolved",
    -106: "InternetDisconnected",
    -109: "AddressUnreachable",
}
_NET_ERROR_NAMES = {
    -2: "net::ERR_FAILED",
    -3: "net::ERR_ABORTED",
    -6: "net::ERR_FILE_NOT_FOUND",
    -7: "net::ERR_TIMED_OUT",
    -9: "net::ERR_UNEXPECTED",
    -10: "net::ERR_ACCESS_DENIED",
    -20: "net::ERR_BLOCKED_BY_CLIENT",
    -27: "net::ERR_BLOCKED_BY_RESPONSE",
    -100: "net::ERR_CONNECTION_CLOSED",
    -101: "net::ERR_CONNECTION_RESET",
    -102: "net::ERR_CONNECTION_REFUSED",
    -103: "net::ERR_CONNECTION_ABORTED",
    -104: "net::ERR_CONNECTION_FAILED",
    -105: "net::ERR_NAME_NOT_RESOLVED",
    -106: "net::ERR_INTERNET_DISCONNECTED",
    -109: "net::ERR_ADDRESS_UNREACHABLE",
    -300: "net::ERR_INVALID_URL",
}
_ERR_FAILED = -2
_ERR_FILE_NOT_FOUND = -6
_ERR_UNEXPECTED = -9


class _HandlerFailureError(Exception):
    """A handler's answer that fails the request with a net error code."""

    def __init__(self, code: int) -> None:
        super().__init__(_NET_ERROR_NAMES.get(code, f"net::ERROR_{-code}"))
        self.code = code


def _check_scheme(scheme: Any) -> str:
    if not isinstance(scheme, str):
        raise TypeError(f"scheme must be a str, not {type(scheme).__name__}")
    if _SCHEME.fullmatch(scheme) is None:
        raise ValueError(
            f"{scheme!r} is not a URL scheme (lower-case letters, digits, '+', '-', '.', "
            "starting with a letter)"
        )
    return scheme


def _scheme_of(url: str) -> str:
    return url.partition(":")[0].lower()


def check_navigable(session: Session, url: str) -> None:
    """Raise :class:`UnsupportedError` for a page load of a scheme only cdpsession serves."""
    scheme = _scheme_of(url)
    if scheme not in BUILT_IN and session._protocol.is_protocol_handled(scheme):
        raise UnsupportedError(
            f"loading {scheme}: pages",
            "Chromium navigates only to schemes it knows; a custom scheme handled by "
            "ses.protocol serves subresources (<img>, <script>, stylesheets) and "
            "ses.fetch(), not page loads (Chromium aborts them with net::ERR_ABORTED "
            "before any request is made)",
        )


class _Entry:
    __slots__ = ("fn", "intercept", "kind", "takes_callback")

    def __init__(self, kind: str, fn: Callable[..., Any], *, intercept: bool) -> None:
        self.kind = kind  # "handle" or one of _KINDS
        self.fn = fn
        self.intercept = intercept
        self.takes_callback = kind != "handle" and takes_callback(fn, 1)


class Protocol:
    """A session's protocol handlers (Electron ``ses.protocol``).

    ``handle``/``unhandle``/``is_protocol_handled`` (Electron's current API: the handler gets
    a :class:`Request` and returns a :class:`Response`), and the deprecated
    ``register*Protocol``/``intercept*Protocol`` families (the handler gets Electron's
    ``ProtocolRequest`` dict and a ``callback``, or returns the answer). Members that change
    what Chromium pauses are ``async``. Not constructed by users.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._registered: dict[str, _Entry] = {}
        self._intercepted: dict[str, _Entry] = {}

    def __repr__(self) -> str:
        return (
            f"<Protocol of {self._session!r}: {sorted({**self._registered, **self._intercepted})}>"
        )

    # -- Electron's handle() ------------------------------------------------------------------

    async def handle(self, scheme: str, handler: Callable[[Request], Any]) -> None:
        """Serve ``scheme`` with ``handler(request) -> Response`` (Electron ``protocol.handle``).

        ``http``, ``https`` and ``file`` are intercepted; any other scheme is registered.
        The handler may be async; :meth:`Response.error` fails the request
        (``net::ERR_FAILED``); an exception or a returned value that is not a
        :class:`Response` fails it too (Electron's ``net::ERR_UNEXPECTED``; pages see
        ``net::ERR_FAILED``, the only failure Fetch can give) and is logged.
        CDP: ``Fetch.enable`` with ``scheme:*``, ``Fetch.fulfillRequest``.

        Raises:
            ValueError: Electron's ``"Failed to register protocol: <scheme>"`` when the scheme
                is already handled; a scheme Chromium serves itself (``data``, ``ws``, ...).
            TypeError: ``handler`` is not callable.
        """
        scheme = _check_scheme(scheme)
        if not callable(handler):
            raise TypeError("handler must be callable")
        table = self._intercepted if scheme in BUILT_IN else self._registered
        if scheme in table:
            raise ValueError(f"Failed to register protocol: {scheme}")
        self._refuse_chromium_scheme(scheme)
        table[scheme] = _Entry("handle", handler, intercept=scheme in BUILT_IN)
        await self._apply()

    async def unhandle(self, scheme: str) -> None:
        """Stop serving ``scheme`` (Electron ``protocol.unhandle``).

        Raises:
            ValueError: Electron's ``"Failed to unhandle protocol: <scheme>"`` when it is not
                handled.
        """
        scheme = _check_scheme(scheme)
        table = self._intercepted if scheme in BUILT_IN else self._registered
        if table.pop(scheme, None) is None:
            raise ValueError(f"Failed to unhandle protocol: {scheme}")
        await self._apply()

    def is_protocol_handled(self, scheme: str) -> bool:
        """Whether ``scheme`` is handled (Electron ``protocol.isProtocolHandled``)."""
        scheme = _check_scheme(scheme)
        table = self._intercepted if scheme in BUILT_IN else self._registered
        return scheme in table

    # -- the deprecated families ------------------------------------------------------------

    async def register_string_protocol(self, scheme: str, handler: Callable[..., Any]) -> bool:
        """Electron ``registerStringProtocol``: the answer is a str, or ``{"data": str,
        "mimeType", "charset", "statusCode", "headers"}``. False when already registered.
        """  # noqa: D205
        return await self._register("string", scheme, handler)

    async def register_buffer_protocol(self, scheme: str, handler: Callable[..., Any]) -> bool:
        """Electron ``registerBufferProtocol``: bytes, or ``{"data": bytes, ...}``."""
        return await self._register("buffer", scheme, handler)

    async def register_file_protocol(self, scheme: str, handler: Callable[..., Any]) -> bool:
        """Electron ``registerFileProtocol``: a file path, or ``{"path", "headers", ...}``."""
        return await self._register("file", scheme, handler)

    async def register_http_protocol(self, scheme: str, handler: Callable[..., Any]) -> bool:
        """Electron ``registerHttpProtocol``: ``{"url", "method", "referrer", "session",
        "uploadData": {"contentType", "data"}}``, fetched with that session (absent or
        None: this one) and its ``web_request`` listeners.
        """  # noqa: D205
        return await self._register("http", scheme, handler)

    async def register_stream_protocol(self, scheme: str, handler: Callable[..., Any]) -> bool:
        """Electron ``registerStreamProtocol``: the body as bytes, a file object, an
        iterable or async iterable of bytes, or ``{"statusCode", "headers", "data"}``.
        """  # noqa: D205
        return await self._register("stream", scheme, handler)

    async def unregister_protocol(self, scheme: str) -> bool:
        """Electron ``unregisterProtocol``; False when ``scheme`` was not registered."""
        return await self._remove(self._registered, scheme)

    def is_protocol_registered(self, scheme: str) -> bool:
        """Electron ``isProtocolRegistered``."""
        return _check_scheme(scheme) in self._registered

    async def intercept_string_protocol(self, scheme: str, handler: Callable[..., Any]) -> bool:
        """Electron ``interceptStringProtocol``; False when already intercepted."""
        return await self._intercept("string", scheme, handler)

    async def intercept_buffer_protocol(self, scheme: str, handler: Callable[..., Any]) -> bool:
        """Electron ``interceptBufferProtocol``."""
        return await self._intercept("buffer", scheme, handler)

    async def intercept_file_protocol(self, scheme: str, handler: Callable[..., Any]) -> bool:
        """Electron ``interceptFileProtocol``."""
        return await self._intercept("file", scheme, handler)

    async def intercept_http_protocol(self, scheme: str, handler: Callable[..., Any]) -> bool:
        """Electron ``interceptHttpProtocol``."""
        return await self._intercept("http", scheme, handler)

    async def intercept_stream_protocol(self, scheme: str, handler: Callable[..., Any]) -> bool:
        """Electron ``interceptStreamProtocol``."""
        return await self._intercept("stream", scheme, handler)

    async def unintercept_protocol(self, scheme: str) -> bool:
        """Electron ``uninterceptProtocol``; False when ``scheme`` was not intercepted."""
        return await self._remove(self._intercepted, scheme)

    def is_protocol_intercepted(self, scheme: str) -> bool:
        """Electron ``isProtocolIntercepted``."""
        return _check_scheme(scheme) in self._intercepted

    async def _register(self, kind: str, scheme: str, handler: Callable[..., Any]) -> bool:
        return await self._add(kind, scheme, handler, intercept=False)

    async def _intercept(self, kind: str, scheme: str, handler: Callable[..., Any]) -> bool:
        return await self._add(kind, scheme, handler, intercept=True)

    async def _add(
        self, kind: str, scheme: str, handler: Callable[..., Any], *, intercept: bool
    ) -> bool:
        scheme = _check_scheme(scheme)
        if not callable(handler):
            raise TypeError("handler must be callable")
        if not intercept and scheme in BUILT_IN:
            raise ValueError(f"{scheme!r} is built in: intercept it (intercept_*_protocol)")
        self._refuse_chromium_scheme(scheme)
        table = self._intercepted if intercept else self._registered
        if scheme in table:
            return False
        table[scheme] = _Entry(kind, handler, intercept=intercept)
        await self._apply()
        return True

    async def _remove(self, table: dict[str, _Entry], scheme: str) -> bool:
        if table.pop(_check_scheme(scheme), None) is None:
            return False
        await self._apply()
        return True

    @staticmethod
    def _refuse_chromium_scheme(scheme: str) -> None:
        if scheme in _CHROMIUM_SCHEMES:
            raise ValueError(f"{scheme!r} is served by Chromium itself and cannot be handled")

    # -- the host's interception ------------------------------------------------------------

    async def _apply(self) -> None:
        host = self._session._host
        if host is not None and host.alive:
            await self.apply(host)

    async def apply(self, host: Host) -> None:
        """Make ``host`` pause the handled schemes' requests (at its start, on change)."""
        host.fetch.add(self)
        await host.fetch.refresh()

    def fetch_patterns(self) -> Iterable[RequestPattern]:
        """A request-stage pattern per handled scheme."""
        for scheme in sorted({*self._registered, *self._intercepted}):
            yield RequestPattern(f"{scheme}:*", "Request")

    def _entry(self, scheme: str) -> _Entry | None:
        if scheme in BUILT_IN:
            return self._intercepted.get(scheme)
        return self._registered.get(scheme) or self._intercepted.get(scheme)

    async def on_paused(self, paused: Paused) -> None:
        """Serve a paused request of a handled scheme (a Fetch consumer)."""
        if paused.stage != "Request":
            return
        host = self._session._host
        if host is not None and paused.target is host.extension_worker():
            return  # ses.fetch() went through the handlers already
        entry = self._entry(_scheme_of(paused.url))
        if entry is None:
            return
        request = Request(
            paused.url,
            method=paused.method,
            headers=paused.headers,
            body=b"".join(paused.post_data) if paused.post_data else None,
            referrer=next((v for k, v in paused.headers.items() if k.lower() == "referer"), ""),
        )
        try:
            response = await self._serve(entry, request)
        except _HandlerFailureError as failure:
            paused.fail(_NET_ERRORS.get(failure.code, "Failed"))
            return
        # As in Electron, a handler's response goes through on_headers_received too.
        answer = await self._session._web_request.headers_received_for(
            paused, response.status, response.status_text, response.header_list
        )
        if answer is None:
            return  # cancelled, or the listener failed (the request is failed)
        status, phrase, headers = answer
        paused.fulfill(status, headers, response.body or b"", phrase)

    async def serve(self, request: Request) -> Response | None:
        """Answer ``request`` with this session's handler (for :meth:`Session.fetch`).

        Returns None when no handler serves its scheme.

        Raises:
            NetworkError: the handler failed the request (``net::ERR_FAILED`` for
                :meth:`Response.error`, ``net::ERR_UNEXPECTED`` for an exception or a bad
                answer, the code it gave otherwise).
        """
        entry = self._entry(_scheme_of(request.url))
        if entry is None:
            return None
        try:
            return await self._serve(entry, request)
        except _HandlerFailureError as failure:
            raise NetworkError(str(failure), request.url) from None

    async def _serve(self, entry: _Entry, request: Request) -> Response:
        try:
            if entry.kind == "handle":
                return await self._serve_handle(entry, request)
            return await self._serve_callback(entry, request)
        except _HandlerFailureError:
            raise
        except trio.Cancelled:
            raise
        except Exception:
            log.exception("the protocol handler for %s failed", request.url)
            raise _HandlerFailureError(_ERR_UNEXPECTED) from None

    async def _serve_handle(self, entry: _Entry, request: Request) -> Response:
        if request.header("origin") == "null":
            request = Request(
                request.url,
                method=request.method,
                headers=[(k, v) for k, v in request.header_list if k.lower() != "origin"],
                body=request.body,
                referrer=request.referrer,
            )
        (result,) = await answer(entry.fn, (request,), False) or (None,)
        if not isinstance(result, Response):
            log.warning(
                "the protocol handler for %s returned %r, not a Response", request.url, result
            )
            raise _HandlerFailureError(_ERR_UNEXPECTED)
        if result.type == "error":
            raise _HandlerFailureError(_ERR_FAILED)
        if result.header("content-type") is None:
            result = _with_headers(result, [("Content-Type", "text/html")])
        return result

    async def _serve_callback(self, entry: _Entry, request: Request) -> Response:
        details: dict[str, Any] = {
            "url": request.url,
            "referrer": request.referrer,
            "method": request.method,
            "headers": dict(request.header_list),
        }
        if request.body is not None:
            details["uploadData"] = [{"type": "rawData", "bytes": request.body}]
        args = await answer(entry.fn, (details,), entry.takes_callback)
        if not args or args[0] is None:
            raise _HandlerFailureError(_ERR_FAILED)  # callback() with nothing
        value = args[0]
        options: dict[str, Any] = value if isinstance(value, dict) else {}
        if isinstance(options.get("error"), int) and not isinstance(options["error"], bool):
            raise _HandlerFailureError(options["error"])
        if entry.kind == "http":
            return await self._serve_http(request, value)
        # A redirect ({"statusCode": 302, "headers": {"Location": ...}}) may have no data.
        empty: Any = "" if entry.kind == "string" else b""
        data = options.get("data", empty) if isinstance(value, dict) else value
        if entry.kind == "string":
            if not isinstance(data, str):
                raise _HandlerFailureError(_ERR_FAILED)
            body = data.encode(_charset(options))
        elif entry.kind == "buffer":
            if not isinstance(data, bytes | bytearray | memoryview):
                raise _HandlerFailureError(_ERR_FAILED)
            body = bytes(data)
        elif entry.kind == "file":
            path = options.get("path") if isinstance(value, dict) else value
            body = await _read_file(path)
            if "mimeType" not in options and isinstance(path, str):
                options = {**options, "mimeType": mimetypes.guess_type(path)[0] or "text/html"}
        else:  # stream
            body = await _read_stream(data)
        status = options.get("statusCode", 200)
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise _HandlerFailureError(_ERR_FAILED)
        headers = _callback_headers(options.get("headers"))
        names = {name.lower() for name, _ in headers}
        if (
            entry.kind in ("string", "buffer", "file")
            and "access-control-allow-origin" not in names
        ):
            headers.append(("Access-Control-Allow-Origin", "*"))
        if "content-type" not in names and entry.kind != "stream":
            mime = options.get("mimeType", "text/html")
            charset = options.get("charset", "utf-8" if entry.kind == "string" else None)
            headers.append(("Content-Type", f"{mime}; charset={charset}" if charset else mime))
        return Response._received(
            status=status,
            status_text="",
            headers=headers,
            body=body,
            url=request.url,
            redirected=False,
        )

    async def _serve_http(self, request: Request, value: Any) -> Response:
        if not isinstance(value, dict) or not isinstance(value.get("url"), str):
            raise _HandlerFailureError(_ERR_FAILED)
        session = value.get("session") or self._session
        from ._session import Session  # noqa: PLC0415 - a cycle at import time

        if not isinstance(session, Session):
            raise _HandlerFailureError(_ERR_FAILED)
        init: dict[str, Any] = {
            "method": value.get("method", request.method),
            # What the page's request carried that fetch() may not send (Sec-*, Referer,
            # Origin ...) stays behind; Chromium adds its own for the new request.
            "headers": {k: v for k, v in request.header_list if not forbidden_header(k)},
            "bypassCustomProtocolHandlers": True,
        }
        upload = value.get("uploadData")
        if isinstance(upload, dict) and upload.get("data") is not None:
            init["body"] = upload["data"]
            if upload.get("contentType"):
                init["headers"]["Content-Type"] = upload["contentType"]
        elif request.body is not None and init["method"] not in ("GET", "HEAD"):
            init["body"] = request.body
        if value.get("referrer"):
            init["referrer"] = value["referrer"]
        try:
            return await session.fetch(value["url"], init)
        except NetworkError:
            raise _HandlerFailureError(_ERR_FAILED) from None
        except ValueError:
            raise _HandlerFailureError(-300) from None


def _with_headers(response: Response, extra: list[tuple[str, str]]) -> Response:
    out = Response._received(
        status=response.status,
        status_text=response.status_text,
        headers=response.header_list + extra,
        body=response.body or b"",
        url=response.url,
        redirected=response.redirected,
    )
    if response.body is None:
        out._body = None
    return out


def _charset(options: dict[str, Any]) -> str:
    charset = options.get("charset", "utf-8")
    try:
        "".encode(charset)
    except (LookupError, TypeError):
        return "utf-8"
    return str(charset)


def _callback_headers(value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise _HandlerFailureError(_ERR_FAILED)
    out: list[tuple[str, str]] = []
    for name, item in value.items():
        values = item if isinstance(item, list | tuple) else [item]
        for one in values:
            if not isinstance(name, str) or not isinstance(one, str | int | float):
                raise _HandlerFailureError(_ERR_FAILED)
            text = str(one)
            if not is_header_name(name) or not is_header_value(text):
                raise _HandlerFailureError(_ERR_FAILED)
            out.append((name, text))
    return out


async def _read_file(path: Any) -> bytes:
    if isinstance(path, str) and path.startswith("file:"):
        path = urllib.request.url2pathname(urllib.parse.urlsplit(path).path)
    if not isinstance(path, str | os.PathLike) or not os.path.isabs(path):
        raise _HandlerFailureError(_ERR_FAILED)
    try:
        return await trio.Path(path).read_bytes()
    except FileNotFoundError:
        raise _HandlerFailureError(_ERR_FILE_NOT_FOUND) from None
    except OSError:
        raise _HandlerFailureError(_ERR_FAILED) from None


async def _read_stream(data: Any) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    if hasattr(data, "read"):
        chunk = await trio.to_thread.run_sync(data.read)
        return chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
    parts: list[bytes] = []
    if isinstance(data, AsyncIterable):
        async for part in data:
            parts.append(part.encode("utf-8") if isinstance(part, str) else bytes(part))
        return b"".join(parts)
    if isinstance(data, Iterable):
        for part in data:
            parts.append(part.encode("utf-8") if isinstance(part, str) else bytes(part))
        return b"".join(parts)
    raise _HandlerFailureError(_ERR_FAILED)
