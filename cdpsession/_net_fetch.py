"""``Session.fetch``: Electron's ``ses.fetch(url, init)``, a request made by the session.

Schemes the session's ``protocol`` handles are answered by their handler in Python (after the
``on_before_request`` listener, as in Electron). Every other request is the web's ``fetch()``
run in the helper extension's service worker: the session's own network stack, so its
cookies (with ``credentials: "include"``), proxy, authentication, certificate and
``web_request`` listeners apply (the worker's requests pause in Fetch like a page's), and no
CORS check stands in the way (the extension may reach every origin). A failure is read back
from the extension's ``webRequest.onErrorOccurred`` (``fetch()`` itself only says "Failed").
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
import stat
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

import trio

from ._errors import TargetClosedError, UnsupportedError
from ._fetch import is_header_name, is_header_value
from ._http import Request, Response
from ._net_internals import NetworkError
from ._options import check_options
from ._url import canonical_url

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["fetch", "forbidden_header"]

_KEYS = {
    "method": "method",
    "headers": "headers",
    "body": "body",
    "credentials": "credentials",
    "redirect": "redirect",
    "cache": "cache",
    "bypassCustomProtocolHandlers": "bypassCustomProtocolHandlers",
    "bypass_custom_protocol_handlers": "bypassCustomProtocolHandlers",
}
_CREDENTIALS = ("omit", "same-origin", "include")
_REDIRECTS = ("follow", "error", "manual")
_CACHES = ("default", "no-store", "reload", "no-cache", "force-cache", "only-if-cached")
# Request headers the web's fetch() may not set (the Fetch standard's forbidden names).
_FORBIDDEN = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
_MAX_REDIRECTS = 20
_REDIRECTS_STATUS = frozenset({301, 302, 303, 307, 308})
# The methods the Fetch standard upper-cases (PATCH is not among them).
_NORMALIZED = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})


def forbidden_header(name: str) -> bool:
    """Whether the web's ``fetch()`` may not set the request header ``name``."""
    lowered = name.lower()
    return lowered in _FORBIDDEN or lowered.startswith(("proxy-", "sec-"))


def _check(url: Any, init: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(url, Request):
        # A request a handler was given (Electron's net.fetch(request) idiom): the headers
        # Chromium gave it and fetch() may not set (Sec-*, Referer, Origin ...) are its own
        # again when it goes out.
        kept = [(k, v) for k, v in url.header_list if not forbidden_header(k)]
        base: dict[str, Any] = {"method": url.method, "headers": kept}
        if url.body is not None:
            base["body"] = url.body
        url = url.url
    else:
        base = {}
    if not isinstance(url, str):
        raise TypeError(f"url must be a str or a Request, not {type(url).__name__}")
    opts = {**base, **check_options(init, _KEYS, arg="init", what="fetch option")}
    method = opts.get("method", "GET")
    if not isinstance(method, str) or not is_header_name(method):
        raise TypeError(f"'{method}' is not a valid HTTP method.")
    if method.upper() in _NORMALIZED:
        method = method.upper()
    if method.upper() in ("CONNECT", "TRACE", "TRACK"):
        raise TypeError(f"'{method}' HTTP method is unsupported.")
    headers = opts.get("headers") or {}
    pairs = list(headers.items()) if isinstance(headers, dict) else headers
    if not isinstance(pairs, list):
        raise TypeError("init 'headers' must be a dict or a list of pairs")
    for pair in pairs:
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise TypeError(f"init 'headers': {pair!r} is not a (name, value) pair")
        name, value = pair
        if not isinstance(name, str) or not is_header_name(name):
            raise TypeError(f"Invalid header name {name!r}")
        if not isinstance(value, str) or not is_header_value(value):
            raise TypeError(f"Invalid value for header {name!r}")
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise TypeError(
                f"Invalid value for header {name!r}: a header value is bytes (latin-1)"
            ) from None
        if forbidden_header(name):
            raise UnsupportedError(
                f"ses.fetch header {name!r}",
                "the request is the web's fetch() in the helper extension, which may not set "
                "this header (set it with web_request.on_before_send_headers instead)",
            )
    body = opts.get("body")
    if body is not None:
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif isinstance(body, bytes | bytearray | memoryview):
            body = bytes(body)
        else:
            raise TypeError(f"init 'body' must be bytes, str or None, not {type(body).__name__}")
        if method in ("GET", "HEAD"):
            raise TypeError("Request with GET/HEAD method cannot have body.")
    for key, allowed in (
        ("credentials", _CREDENTIALS),
        ("redirect", _REDIRECTS),
        ("cache", _CACHES),
    ):
        if key in opts and opts[key] not in allowed:
            raise TypeError(f"init {key!r} must be one of {', '.join(allowed)}, not {opts[key]!r}")
    if opts.get("cache") == "only-if-cached":
        raise TypeError("'only-if-cached' can be set only with 'same-origin' mode")
    bypass = opts.get("bypassCustomProtocolHandlers", False)
    if not isinstance(bypass, bool):
        raise TypeError("init 'bypassCustomProtocolHandlers' must be a bool")
    return url, {
        "method": method,
        "headers": [(str(k), str(v)) for k, v in pairs],
        "body": body,
        # Electron: "same-origin" (the default) without an origin means "include".
        "credentials": "omit" if opts.get("credentials") == "omit" else "include",
        "redirect": opts.get("redirect", "follow"),
        "cache": opts.get("cache", "default"),
        "bypass": bypass,
    }


def _refused(policy: str, url: str) -> NetworkError:
    # Electron's net.fetch rejects instead of returning the redirect (it has no opaque
    # responses), with these messages.
    if policy == "error":
        return NetworkError(
            "net::ERR_ABORTED", f"Attempted to redirect, but redirect policy was 'error': {url}"
        )
    return NetworkError("net::ERR_ABORTED", f"Redirect was cancelled: {url}")


async def local_file(url: str) -> tuple[str, int]:
    """The path and size of the regular file a ``file:`` URL names.

    Raises:
        NetworkError: Chromium's ``net::ERR_FILE_NOT_FOUND`` (missing, or a folder) or
            ``net::ERR_ACCESS_DENIED`` (unreadable, or a FIFO or device, whose read would
            block or never end).
    """
    path = urllib.request.url2pathname(urllib.parse.urlsplit(url).path)
    try:
        info = await trio.Path(path).stat()
    except FileNotFoundError:
        raise NetworkError("net::ERR_FILE_NOT_FOUND", url) from None
    except OSError:
        raise NetworkError("net::ERR_ACCESS_DENIED", url) from None
    if stat.S_ISDIR(info.st_mode):
        raise NetworkError("net::ERR_FILE_NOT_FOUND", url)
    if not stat.S_ISREG(info.st_mode):
        raise NetworkError("net::ERR_ACCESS_DENIED", url)
    return path, info.st_size


async def _read_file(url: str) -> Response:
    path, _size = await local_file(url)
    try:
        body = await trio.Path(path).read_bytes()
    except FileNotFoundError:
        raise NetworkError("net::ERR_FILE_NOT_FOUND", url) from None
    except OSError:
        raise NetworkError("net::ERR_ACCESS_DENIED", url) from None
    mime = mimetypes.guess_type(path)[0] or "text/plain"
    return Response._received(
        status=200,
        status_text="OK",
        headers=[("content-type", mime)],
        body=body,
        url=url,
        redirected=False,
    )


def _normalized(url: str) -> str:
    """http(s) URLs as Chromium writes them (``http://foo`` is ``http://foo/``)."""
    if _scheme(url) not in ("http", "https"):
        return url
    authority = re.sub(r"^[^:]*:[/\\]*", "", url.strip()).split("/")[0].split("\\")[0]
    if "@" in authority.split("?")[0].split("#")[0]:
        raise TypeError(
            f"Request cannot be constructed from a URL that includes credentials: {url}"
        )
    try:
        return canonical_url(url).spec
    except ValueError as exc:
        raise TypeError(f"Failed to parse URL from {url}: {exc}") from None


def _scheme(url: str) -> str:
    match = re.match(r"\s*([A-Za-z][A-Za-z0-9+.\-]*):", url)
    if match is None:
        raise TypeError(f"Failed to parse URL from {url}")
    return match.group(1).lower()


async def fetch(session: Session, url: Any, init: Any = None) -> Response:
    """Make the request (see :meth:`Session.fetch`)."""
    target, spec = _check(url, init)
    redirected = False
    for _ in range(_MAX_REDIRECTS):
        target = _normalized(target)
        scheme = _scheme(target)
        if scheme in ("data", "blob"):
            raise TypeError(f"{scheme}: URLs are not supported by ses.fetch (as in Electron)")
        handled = not spec["bypass"] and session._protocol._entry(scheme) is not None
        # Handled schemes and files are answered here: Chromium never pauses an extension's
        # file: requests, so on_before_request runs in Python for them.
        if not handled and scheme != "file":
            break
        verdict, where = await session._web_request.before_fetch(
            target, spec["method"], spec["body"]
        )
        if verdict == "cancel":
            raise NetworkError("net::ERR_BLOCKED_BY_CLIENT", target)
        if verdict == "failed":
            raise NetworkError(
                "net::ERR_FAILED", f"{target}: the on_before_request listener failed"
            )
        if verdict == "redirect" and where is not None:
            target = where
            continue
        if not handled:
            return await _read_file(target)
        request = Request(target, method=spec["method"], headers=spec["headers"], body=spec["body"])
        response = await session._protocol.serve(request)
        if response is None:
            break
        location = response.header("location")
        if response.status in _REDIRECTS_STATUS and location:
            if spec["redirect"] != "follow":
                raise _refused(spec["redirect"], target)
            redirected = True
            target = urllib.parse.urljoin(target, location)
            if response.status == 303 or (
                response.status in (301, 302) and spec["method"] == "POST"
            ):
                spec = {**spec, "method": "GET", "body": None}
            continue
        if not response.url:
            response.url = target
        response.redirected = redirected
        return response
    else:
        raise NetworkError("net::ERR_TOO_MANY_REDIRECTS", target)
    if _scheme(target) not in ("http", "https"):
        raise NetworkError("net::ERR_UNKNOWN_URL_SCHEME", target)
    host = await session._ensure_host()
    await session._settle(host, requests=True)
    worker = (await host.helper_extension()).worker
    await session._web_request.watch_worker(host)
    payload = {
        "url": target,
        "method": spec["method"],
        "headers": spec["headers"],
        "credentials": spec["credentials"],
        "redirect": spec["redirect"],
        "cache": spec["cache"],
        "body": None if spec["body"] is None else base64.b64encode(spec["body"]).decode(),
    }
    try:
        reply = await host.call(
            "Runtime.evaluate",
            {
                "expression": f"self.cdpsession.fetch({json.dumps(payload)})",
                "awaitPromise": True,
                "returnByValue": True,
            },
            worker.session_id,
        )
    except TargetClosedError:
        if not host.alive:
            raise
        # The helper extension's worker died under the request (it is made again on the
        # next use); whether the request reached the server is unknown.
        raise NetworkError("net::ERR_FAILED", f"{target}: the helper extension stopped") from None
    result = reply.get("result", {}).get("value")
    if not isinstance(result, dict):
        raise NetworkError("net::ERR_FAILED", f"{target}: {reply.get('exceptionDetails')}")
    if "error" in result:
        raise NetworkError(str(result["error"]), target)
    if result.get("refusedRedirect"):
        raise _refused(spec["redirect"], target)
    return Response._received(
        status=int(result["status"]),
        status_text=str(result["statusText"]),
        headers=[(str(k), str(v)) for k, v in result["headers"]],
        body=base64.b64decode(result["body"]),
        url=str(result["url"]),
        redirected=redirected or bool(result["redirected"]),
    )
