"""Loopback servers and an app fixture for integration tests against real headless Chromium.

Every server binds 127.0.0.1 port 0; nothing leaves the machine.
"""

from __future__ import annotations

import http.server
import threading
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import attrs
import pytest

import cdpsession

pytestmark = pytest.mark.integration

Route = Callable[["Request"], tuple[int, list[tuple[str, str]], bytes]]


@attrs.define
class Request:
    """One request a loopback server saw."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Server:
    """A threaded HTTP server on 127.0.0.1:0 with per-path routes and a request log."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.routes: dict[str, Route] = {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_PUT(self) -> None:
                self._serve("PUT")

            def do_DELETE(self) -> None:
                self._serve("DELETE")

            def _serve(self, method: str) -> None:
                url = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                req = Request(
                    method,
                    url.path,
                    urllib.parse.parse_qs(url.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                server.requests.append(req)
                route = server.routes.get(url.path)
                if route is None:
                    status, headers, body = 404, [("Content-Type", "text/plain")], b"not found"
                else:
                    status, headers, body = route(req)
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(body)

        class Httpd(http.server.ThreadingHTTPServer):
            def process_request(self, request: Any, client_address: Any) -> None:
                server.connections += 1
                super().process_request(request, client_address)

        self.connections = 0  # TCP connections accepted
        self._httpd = Httpd(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        self.port = self._httpd.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def html(self, path: str, body: str, headers: list[tuple[str, str]] | None = None) -> None:
        """Serve ``body`` as HTML at ``path``."""
        data = body.encode()
        extra = headers or []
        self.routes[path] = lambda _req: (200, [("Content-Type", "text/html"), *extra], data)

    def js(self, path: str, body: str) -> None:
        """Serve ``body`` as JavaScript at ``path``."""
        data = body.encode()
        self.routes[path] = lambda _req: (200, [("Content-Type", "text/javascript")], data)

    def seen(self, path: str) -> list[Request]:
        """Requests for ``path`` (favicon requests are never counted by callers)."""
        return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.close()


@pytest.fixture
def other_server() -> Iterator[Server]:
    """A second origin (for cross-origin iframes)."""
    srv = Server()
    yield srv
    srv.close()


@pytest.fixture
async def app(data_dir: str) -> AsyncIterator[cdpsession.App]:
    async with cdpsession.open_app(data_dir) as running:
        yield running
