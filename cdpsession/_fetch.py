"""One Fetch interception point per host, shared by every consumer (core).

Knows nothing of Electron. CDP's ``Fetch.enable`` is per target and takes one list of URL
globs: two users of it on one target would replace each other's patterns and race to answer
the same paused request. So a host has one :class:`FetchMux`, and the concept modules that
need interception (web requests, protocol handlers, certificate checks) register
*consumers* with it:

* each consumer names the Fetch patterns it needs (URL globs, a stage, maybe a resource
  type); the mux enables the union of them on every page, frame, service and shared worker
  of the host, before each new one runs, and disables Fetch when nobody needs it: requests
  outside every pattern are never paused;
* each paused request goes to the consumers in the order they registered, in a task of its
  own; a consumer may change the request (URL, method, headers, body) for the next one, or
  settle it (fail, fulfill); the mux then sends the one command that answers it. Whatever
  happens (a consumer's exception, cancellation), a paused request is answered.

Dedicated workers have no Fetch domain: their requests are paused on their page's session.
A service or shared worker is attached once by the browser and again by each of its pages,
and each attachment with Fetch enabled pauses each of its requests: Fetch is enabled on one
attachment of it, the first (usually its page's, which exists before the worker fetches its
main script; the browser's may not yet), and moves to another when that one goes away.
"""

from __future__ import annotations

import base64
import contextlib
import http
import logging
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal, Protocol

import attrs
import trio

from ._errors import BrowserClosedError, ProtocolError

if TYPE_CHECKING:
    from ._host import Host, Target, TargetSetup
    from ._wire import Event

__all__ = [
    "Consumer",
    "FetchMux",
    "Paused",
    "RequestPattern",
    "is_header_name",
    "is_header_value",
]

log = logging.getLogger("cdpsession")

Stage = Literal["Request", "Response"]
_FETCH_TYPES = frozenset({"page", "iframe", "service_worker", "shared_worker"})
_ANSWER_TIMEOUT = 10.0
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Request headers Chromium's Fetch domain refuses to set ("Unsafe header"), and Proxy-*.
_UNSAFE_REQUEST_HEADERS = frozenset(
    {
        "connection",
        "content-length",
        "cookie2",
        "host",
        "keep-alive",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_STATUS_CLASSES = {
    1: "Informational",
    2: "Success",
    3: "Redirection",
    4: "Client Error",
    5: "Server Error",
}


@attrs.frozen
class RequestPattern:
    """One Fetch ``RequestPattern``: a URL glob (``*``, ``?``, backslash escapes), a stage."""

    url: str = "*"
    stage: Stage = "Request"
    resource_type: str | None = None

    def wire(self) -> dict[str, str]:
        out = {"urlPattern": self.url, "requestStage": self.stage}
        if self.resource_type is not None:
            out["resourceType"] = self.resource_type
        return out


class Consumer(Protocol):
    """What the mux asks of a consumer."""

    def fetch_patterns(self) -> Iterable[RequestPattern]:
        """The patterns this consumer needs paused now."""
        ...

    async def on_paused(self, paused: Paused) -> None:
        """Look at (maybe change or settle) one paused request. Must not raise."""
        ...


class Paused:
    """One request paused by Fetch, at its request or its response stage.

    Consumers read the request as the previous consumers left it (``url``, ``method``,
    ``headers``, ``post_data``) and may change it with :meth:`set_url`, :meth:`set_method`,
    :meth:`set_headers`, :meth:`set_post_data` (request stage), :meth:`set_response`
    (response stage), or settle it with :meth:`fail` or :meth:`fulfill`.
    """

    def __init__(self, target: Target, params: dict[str, Any]) -> None:
        request = params.get("request", {})
        self.target = target
        self.request_id: str = params["requestId"]
        self.network_id: str | None = params.get("networkId")
        self.redirected_from: str | None = params.get("redirectedRequestId")
        self.frame_id: str = params.get("frameId", "")
        self.resource_type: str = params.get("resourceType", "Other")
        self.original_url: str = request.get("url", "") + request.get("urlFragment", "")
        self.url = self.original_url
        self.method: str = request.get("method", "GET")
        self.headers: dict[str, str] = dict(request.get("headers", {}))
        self.referrer_policy: str = request.get("referrerPolicy", "")
        entries = request.get("postDataEntries")
        self.post_data: list[bytes] | None = (
            [base64.b64decode(e.get("bytes", "")) for e in entries] if entries is not None else None
        )
        self.has_post_data = bool(request.get("hasPostData")) or entries is not None
        self.error_reason: str | None = params.get("responseErrorReason")
        self.status_code: int | None = params.get("responseStatusCode")
        self.stage: Stage = (
            "Response"
            if self.status_code is not None or self.error_reason is not None
            else "Request"
        )
        self.status_text: str = params.get("responseStatusText", "")
        self.response_headers: list[tuple[str, str]] = [
            (h.get("name", ""), h.get("value", "")) for h in params.get("responseHeaders", [])
        ]
        self._overrides: dict[str, Any] = {}
        self._answer: tuple[str, dict[str, Any]] | None = None

    def __repr__(self) -> str:
        return f"<Paused {self.stage} {self.method} {self.url}>"

    @property
    def settled(self) -> bool:
        """Whether a consumer failed or fulfilled the request."""
        return self._answer is not None

    # -- changes for the next consumer and the browser ------------------------------------

    def set_url(self, url: str) -> None:
        """Send the request to ``url`` instead (unseen by the page)."""
        self.url = url
        self._overrides["url"] = url

    def set_method(self, method: str) -> None:
        """Change the request's method."""
        self.method = method
        self._overrides["method"] = method

    def set_headers(self, headers: dict[str, str]) -> None:
        """Replace the request's headers (the network stack still adds its own).

        Headers Chromium refuses from a client (``Host``, ``Content-Length``,
        ``Connection``, ``Proxy-*`` ...) are dropped, with a warning: Chromium would refuse
        the whole answer.
        """
        kept = {}
        for name, value in headers.items():
            lowered = name.lower()
            if lowered in _UNSAFE_REQUEST_HEADERS or lowered.startswith("proxy-"):
                log.warning("%s: Chromium lets no client set the header %r: dropped", self, name)
            else:
                kept[name] = value
        self.headers = kept
        self._overrides["headers"] = [{"name": k, "value": v} for k, v in kept.items()]

    def set_post_data(self, body: bytes) -> None:
        """Replace the request's body."""
        self.post_data = [body]
        self._overrides["postData"] = base64.b64encode(body).decode("ascii")

    def set_response(self, status: int, phrase: str, headers: list[tuple[str, str]]) -> None:
        """Change the response's status line and headers (response stage)."""
        self.status_code = status
        self.status_text = phrase
        self.response_headers = list(headers)
        self._overrides["responseCode"] = status
        self._overrides["responsePhrase"] = _phrase(status, phrase)
        self._overrides["binaryResponseHeaders"] = _binary_headers(headers)

    # -- settling -----------------------------------------------------------------------------

    def fail(self, reason: str) -> None:
        """Fail the request with a CDP ``Network.ErrorReason`` (``"BlockedByClient"``...)."""
        if self._answer is None:
            self._answer = ("Fetch.failRequest", {"errorReason": reason})

    def fulfill(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes = b"",
        phrase: str | None = None,
    ) -> None:
        """Answer the request with this response instead of the network's."""
        if self._answer is None:
            params: dict[str, Any] = {
                "responseCode": status,
                "responsePhrase": _phrase(status, phrase or ""),
                "binaryResponseHeaders": _binary_headers(headers),
                "body": base64.b64encode(body).decode("ascii"),
            }
            self._answer = ("Fetch.fulfillRequest", params)

    def _command(self) -> tuple[str, dict[str, Any]]:
        if self._answer is not None:
            method, params = self._answer
        elif self.stage == "Response" and self.error_reason is None:
            method = "Fetch.continueResponse"
            params = {
                k: v
                for k, v in self._overrides.items()
                if k in ("responseCode", "responsePhrase", "binaryResponseHeaders")
            }
        else:
            method = "Fetch.continueRequest"
            params = {
                k: v
                for k, v in self._overrides.items()
                if k in ("url", "method", "headers", "postData")
            }
        return method, {"requestId": self.request_id, **params}


def is_header_name(name: object) -> bool:
    """Whether ``name`` is an HTTP token (a valid header name or method)."""
    return isinstance(name, str) and _TOKEN.fullmatch(name) is not None


def is_header_value(value: object) -> bool:
    """Whether ``value`` is a str that cannot end its header line (no CR, LF or NUL)."""
    return isinstance(value, str) and not any(ch in value for ch in "\r\n\0")


def _phrase(status: int, phrase: str) -> str:
    # Chromium refuses a status line with no phrase where it knows none for the code (299,
    # 599, and every HTTP/2 response, which has no phrase at all): give one.
    if phrase and is_header_value(phrase):
        return phrase
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return _STATUS_CLASSES.get(status // 100, "Unknown")


def _binary_headers(headers: list[tuple[str, str]]) -> str:
    # "name: value" lines joined by NUL, as bytes: a header value may hold bytes that are
    # not UTF-8 (latin-1 filenames), which the text form cannot carry. A name or value that
    # could end its line or start another is never written (a header of its own making).
    raw = b"\0".join(
        f"{name}: {value}".encode("utf-8", "surrogateescape")
        for name, value in headers
        if is_header_name(name) and is_header_value(value)
    )
    return base64.b64encode(raw).decode("ascii")


class FetchMux:
    """A host's Fetch interception, shared by its consumers (see the module docstring)."""

    def __init__(self, host: Host) -> None:
        self._host = host
        self._consumers: list[Consumer] = []
        self._patterns: tuple[RequestPattern, ...] = ()
        self._enabled: dict[str, tuple[RequestPattern, ...]] = {}  # by session id
        self._owners: dict[str, str] = {}  # a worker's target id -> its Fetch session id
        self._in_flight: dict[Paused, trio.CancelScope] = {}
        self._drained = trio.Event()
        self._lock = trio.Lock()
        self.fail: Callable[[BaseException], None] | None = None
        host.add_target_hook(self._setup)
        host.on_target_detached(self._forget)
        host.connection.listen(self._on_paused, "Fetch.requestPaused")

    # -- consumers ------------------------------------------------------------------------

    def add(self, consumer: Consumer) -> None:
        """Register ``consumer`` (last in the order); call :meth:`refresh` to apply."""
        if consumer not in self._consumers:
            self._consumers.append(consumer)

    def remove(self, consumer: Consumer) -> None:
        """Unregister ``consumer``; call :meth:`refresh` to apply."""
        with contextlib.suppress(ValueError):
            self._consumers.remove(consumer)

    def _wanted(self) -> tuple[RequestPattern, ...]:
        seen: dict[RequestPattern, None] = {}
        for consumer in self._consumers:
            for pattern in consumer.fetch_patterns():
                seen.setdefault(pattern, None)
        if any(p.url == "*" and p.resource_type is None for p in seen):
            # A catch-all per stage makes every narrower pattern of that stage redundant.
            stages = {p.stage for p in seen if p.url == "*" and p.resource_type is None}
            seen = {p: None for p in seen if p.stage not in stages} | {
                RequestPattern("*", stage): None for stage in sorted(stages)
            }
        return tuple(sorted(seen, key=lambda p: (p.stage, p.url, p.resource_type or "")))

    @property
    def patterns(self) -> tuple[RequestPattern, ...]:
        """The patterns enabled on the host's targets."""
        return self._patterns

    async def refresh(self) -> None:
        """Enable the consumers' current patterns on every target (Fetch off when none).

        Targets attached from now on get them before they run.
        Raises :class:`BrowserClosedError` when the browser went away.
        """
        async with self._lock:
            self._patterns = wanted = self._wanted()
            targets = [
                t for t in self._fetch_targets() if self._enabled.get(t.session_id, ()) != wanted
            ]
            if not targets:
                return

            async def one(target: Target) -> None:
                try:
                    await self._host.connection.call(*_enable(wanted), target.session_id)
                except BrowserClosedError:
                    if self._host.alive:
                        return  # the target went away
                    raise
                except ProtocolError as exc:
                    if not target.gone.is_set():
                        log.warning("Fetch on %s %s: %s", target.type, target.url, exc)
                    return
                self._enabled[target.session_id] = wanted

            async with trio.open_nursery() as nursery:
                for target in targets:
                    nursery.start_soon(one, target)

    def _fetch_targets(self) -> list[Target]:
        host = self._host
        worker = host.extension_worker()
        return [
            t
            for t in host.targets.values()
            if self._takes_fetch(t) and not t.gone.is_set() and (not t.internal or t is worker)
        ]

    def _takes_fetch(self, target: Target) -> bool:
        if target.type in ("page", "iframe"):
            return True
        if target.type not in _FETCH_TYPES:
            return False
        owner = self._owners.setdefault(target.target_id, target.session_id)
        return owner == target.session_id

    def _forget(self, target: Target) -> None:
        self._enabled.pop(target.session_id, None)
        if self._owners.get(target.target_id) != target.session_id:
            return
        del self._owners[target.target_id]
        successor = next(
            (
                t
                for t in self._host.targets.values()
                if t.target_id == target.target_id and not t.gone.is_set()
            ),
            None,
        )
        if successor is not None:
            self._owners[target.target_id] = successor.session_id
            if self._patterns:
                self._host.spawn(self._refresh_quietly)

    async def _refresh_quietly(self) -> None:
        with contextlib.suppress(BrowserClosedError):
            await self.refresh()

    def _setup(self, setup: TargetSetup) -> None:
        target = setup.target
        if self._patterns and self._takes_fetch(target):
            method, params = _enable(self._patterns)
            setup.commands.append((method, params))
            self._enabled[target.session_id] = self._patterns

    # -- paused requests ------------------------------------------------------------------------

    def _on_paused(self, event: Event) -> None:
        target = self._host.targets.get(event.session_id or "")
        if target is None:
            return  # its session is gone: nothing can answer it any more
        paused = Paused(target, event.params)
        if self._host.hidden(target):
            # cdpsession's own hidden pages: no consumer's business.
            self._host.spawn(self._answer, paused)
        else:
            self._host.spawn(self._handle, paused)

    async def _handle(self, paused: Paused) -> None:
        decided = False
        scope = self._in_flight[paused] = trio.CancelScope()
        try:
            with scope:
                for consumer in tuple(self._consumers):
                    if paused.settled:
                        break
                    await consumer.on_paused(paused)
                decided = True
        except Exception as exc:  # a consumer's bug must not leave the request paused
            paused.fail("Failed")
            if self.fail is not None:
                self.fail(exc)
            else:
                log.exception("a Fetch consumer failed on %r", paused)
        finally:
            if not decided:
                # Cut short (the app or the browser is going away): nobody approved the
                # request, so it must not go on to the network.
                paused.fail("Aborted")
            await self._answer(paused)
            del self._in_flight[paused]
            if not self._in_flight:
                self._drained.set()

    async def abort_pending(self, timeout: float) -> None:
        """Fail every request still waiting for a consumer, and wait for the answers.

        For a closing browser: Chromium lets a paused request go on when the DevTools
        session that paused it goes away, so the requests nobody approved are failed
        (``Aborted``) before the browser is asked to close.
        """
        if not self._in_flight:
            return
        self._drained = trio.Event()
        for scope in self._in_flight.values():
            scope.cancel()
        with trio.move_on_after(timeout):
            await self._drained.wait()

    async def _answer(self, paused: Paused) -> None:
        method, params = paused._command()
        session_id = paused.target.session_id
        with trio.CancelScope(shield=True), trio.move_on_after(_ANSWER_TIMEOUT):
            try:
                await self._host.connection.call(method, params, session_id)
            except BrowserClosedError:
                return
            except (ProtocolError, ValueError) as exc:
                # The request went away meanwhile (its page closed), or Chromium refused the
                # answer (ValueError: too big to send). Failing it is the one answer left
                # that cannot be refused, and never lets an unapproved request through.
                if method == "Fetch.failRequest":
                    return
                if "Invalid InterceptionId" not in str(exc):
                    log.warning(
                        "%r: Chromium refused %s (%s): the request fails", paused, method, exc
                    )
                with contextlib.suppress(BrowserClosedError, ProtocolError):
                    await self._host.connection.call(
                        "Fetch.failRequest",
                        {"requestId": paused.request_id, "errorReason": "Failed"},
                        session_id,
                    )


def _enable(patterns: tuple[RequestPattern, ...]) -> tuple[str, dict[str, Any] | None]:
    if not patterns:
        return "Fetch.disable", None
    return "Fetch.enable", {"patterns": [p.wire() for p in patterns]}
