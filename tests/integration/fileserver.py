"""A loopback file server for download tests: Range/ETag, slow streams, dropped bodies.

Binds 127.0.0.1 port 0; nothing leaves the machine.
"""

from __future__ import annotations

import http.server
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import attrs


@attrs.define
class File:
    """One file the server serves, and how."""

    body: bytes
    mime: str = "application/octet-stream"
    disposition: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    ranges: bool = False  # honour Range / If-Range
    chunk: int = 65536
    delay: float = 0.0  # seconds between chunks
    drop_after: int | None = None  # close the socket after this many body bytes
    auth: str | None = None  # required Authorization value, 401 otherwise
    length: bool = True  # send Content-Length (else the body ends when the socket closes)


@attrs.define
class Seen:
    path: str
    headers: dict[str, str]


class FileServer:
    """Threaded HTTP/1.1 server of :class:`File` routes with a request log."""

    def __init__(self) -> None:
        self.files: dict[str, File] = {}
        self.requests: list[Seen] = []
        self.redirects: dict[str, str] = {}
        # Called before a path is served (a test changes how, between requests); False
        # closes the connection unanswered.
        self.on_request: dict[str, Callable[[], bool | None]] = {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                path = urllib.parse.urlsplit(self.path).path
                server.requests.append(Seen(path, {k.lower(): v for k, v in self.headers.items()}))
                if path in server.on_request and server.on_request[path]() is False:
                    self.close_connection = True  # no answer at all: a server gone
                    return
                if path in server.redirects:
                    self.send_response(302)
                    self.send_header("Location", server.redirects[path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                spec = server.files.get(path)
                if spec is None:
                    self._plain(404, b"not found")
                    return
                if spec.auth is not None and self.headers.get("Authorization") != spec.auth:
                    self._plain(401, b"unauthorized")
                    return
                start = 0
                wanted = self.headers.get("Range")
                validator = self.headers.get("If-Range")
                valid = validator is None or validator in (spec.etag, spec.last_modified)
                if spec.ranges and wanted and wanted.startswith("bytes=") and valid:
                    start = int(wanted[6:].split("-")[0])
                body = spec.body[start:]
                self.send_response(206 if start else 200)
                self.send_header("Content-Type", spec.mime)
                if spec.disposition is not None:
                    self.send_header("Content-Disposition", spec.disposition)
                if spec.etag is not None:
                    self.send_header("ETag", spec.etag)
                if spec.last_modified is not None:
                    self.send_header("Last-Modified", spec.last_modified)
                if spec.ranges:
                    self.send_header("Accept-Ranges", "bytes")
                if start:
                    end = len(spec.body) - 1
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(spec.body)}")
                if spec.length:
                    self.send_header("Content-Length", str(len(body)))
                else:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                sent = 0
                try:
                    for i in range(0, len(body), spec.chunk):
                        part = body[i : i + spec.chunk]
                        if spec.drop_after is not None and sent + len(part) > spec.drop_after:
                            self.wfile.write(part[: max(0, spec.drop_after - sent)])
                            self.wfile.flush()
                            self.close_connection = True
                            return
                        self.wfile.write(part)
                        self.wfile.flush()
                        sent += len(part)
                        if spec.delay:
                            time.sleep(spec.delay)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def _plain(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        self.port = self._httpd.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def add(self, path: str, body: bytes, **how: Any) -> str:
        """Serve ``body`` at ``path``; return its URL."""
        self.files[path] = File(body, **how)
        return self.url(path)

    def seen(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
