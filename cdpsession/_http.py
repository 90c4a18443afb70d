"""``Request`` and ``Response``: the web's Fetch API objects, as ``protocol.handle`` and
``ses.fetch`` use them in Electron (``new Response(body, {status, headers})``).
"""  # noqa: D205

from __future__ import annotations

import http
import json
from collections.abc import Iterable, Mapping
from typing import Any

from ._fetch import is_header_name, is_header_value

__all__ = ["Request", "Response"]


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _headers(value: Any, what: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        items: Iterable[Any] = value.items()
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise TypeError(
            f"{what} headers must be a dict or a list of pairs, not {type(value).__name__}"
        )
    out: list[tuple[str, str]] = []
    for item in items:
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise TypeError(f"{what} headers: {item!r} is not a (name, value) pair")
        name, text = item
        if not isinstance(name, str) or not isinstance(text, str):
            raise TypeError(f"{what} header names and values must be str: {item!r}")
        if not is_header_name(name):
            raise TypeError(f"{what} header name {name!r} is not a valid HTTP header name")
        if not is_header_value(text):
            raise TypeError(f"{what} header {name!r} has a CR, LF or NUL in its value")
        out.append((name, text))
    return out


def _body(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"a body is bytes, str or None, not {type(value).__name__}")


class _Message:
    __slots__ = ("_body", "_headers")

    def __init__(self, body: bytes | None, headers: list[tuple[str, str]]) -> None:
        self._body = body
        self._headers = headers

    @property
    def headers(self) -> dict[str, str]:
        """Header names in lower case, repeated names joined by ``", "`` (as ``Headers``)."""
        out: dict[str, str] = {}
        for name, value in self._headers:
            key = name.lower()
            out[key] = f"{out[key]}, {value}" if key in out else value
        return out

    @property
    def header_list(self) -> list[tuple[str, str]]:
        """The headers as given, in order, repeated names apart."""
        return list(self._headers)

    def header(self, name: str) -> str | None:
        """One header's value (case-insensitive), None when absent."""
        return self.headers.get(name.lower())

    @property
    def body(self) -> bytes | None:
        """The body, None when there is none."""
        return self._body

    def text(self) -> str:
        """The body decoded as UTF-8 (invalid bytes replaced)."""
        return (self._body or b"").decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.text())


class Request(_Message):
    """A request a protocol handler serves (the Fetch API ``Request`` Electron passes).

    Attributes: ``url``, ``method``, ``headers`` (lower-case names), ``referrer``, ``body``.
    """

    __slots__ = ("method", "referrer", "url")

    def __init__(
        self,
        url: str,
        *,
        method: str = "GET",
        headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
        body: bytes | str | None = None,
        referrer: str = "",
    ) -> None:
        super().__init__(_body(body), _headers(headers, "request"))
        self.url = url
        self.method = method
        self.referrer = referrer

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


class Response(_Message):
    """An HTTP response (the Fetch API ``Response``).

    Made by a protocol handler (``Response("hello", headers={"content-type": "text/plain"})``,
    ``Response.error()``), and returned by :meth:`Session.fetch` (then ``url`` and
    ``redirected`` tell where it came from).

    Args:
        body: bytes, str (sent as UTF-8) or None.
        status: the status code (200 to 599).
        status_text: the reason phrase (default: the standard one).
        headers: a dict or a list of ``(name, value)`` pairs.

    Raises:
        TypeError: an argument of the wrong type.
        ValueError: a status outside 200-599.
    """

    __slots__ = ("_error", "redirected", "status", "status_text", "url")

    def __init__(
        self,
        body: bytes | str | None = None,
        *,
        status: int = 200,
        status_text: str | None = None,
        headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
    ) -> None:
        if not isinstance(status, int) or isinstance(status, bool):
            raise TypeError(f"status must be an int, not {type(status).__name__}")
        if not 200 <= status <= 599:
            raise ValueError(f"status must be in the range 200 to 599, not {status}")
        if status_text is not None and not isinstance(status_text, str):
            raise TypeError(f"status_text must be a str, not {type(status_text).__name__}")
        super().__init__(_body(body), _headers(headers, "response"))
        self.status = status
        self.status_text = _phrase(status) if status_text is None else status_text
        self.url = ""
        self.redirected = False
        self._error = False

    @classmethod
    def error(cls) -> Response:
        """A network error (Fetch's ``Response.error()``): the request fails (ERR_FAILED)."""
        response = cls(status=200)
        response.status = 0
        response.status_text = ""
        response._error = True
        return response

    @classmethod
    def _received(
        cls,
        *,
        status: int,
        status_text: str,
        headers: list[tuple[str, str]],
        body: bytes,
        url: str,
        redirected: bool,
    ) -> Response:
        response = cls(body, headers=headers)
        response.status = status
        response.status_text = status_text
        response.url = url
        response.redirected = redirected
        return response

    @property
    def type(self) -> str:
        """``"error"`` for :meth:`error`, else ``"basic"``."""
        return "error" if self._error else "basic"

    @property
    def ok(self) -> bool:
        """Whether the status is 200-299."""
        return 200 <= self.status <= 299

    def __repr__(self) -> str:
        if self._error:
            return "<Response error>"
        return f"<Response {self.status} {self.url or ''}>".replace(" >", ">")
