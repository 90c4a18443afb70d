"""Loopback proxies, TLS, PAC and auth servers for the proxy / certificate / login tests.

Every server binds 127.0.0.1 port 0, runs on daemon threads (so it is independent of the trio
loop a test runs in) and never connects anywhere but a loopback address a test named. Proxies
answer requests themselves (``via <name> ...``) instead of forwarding them, so a page's text
tells which proxy carried it; tunnels go only to the local servers a test routes them to.

``close()`` (or leaving the ``with`` block) stops accepting, ends every open connection and
tunnel, and joins every thread the server started, even while a client keeps idle sockets open.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.server
import ipaddress
import socket
import socketserver
import ssl
import sys
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from io import BufferedIOBase
from typing import Any, Literal, NamedTuple, Self

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

__all__ = [
    "BasicAuthSite",
    "HttpProxy",
    "PacServer",
    "ProxyRequest",
    "SiteRequest",
    "Socks5Proxy",
    "SocksRequest",
    "TlsRequest",
    "TlsServer",
    "spki_sha256_b64",
]

VIA_HEADERS = [
    ("Content-Type", "text/plain"),
    ("Access-Control-Allow-Origin", "*"),
    ("Cache-Control", "no-store"),
]
_JOIN_TIMEOUT = 5.0
_POLL_INTERVAL = 0.02  # how long close() may wait for serve_forever to notice


class ProxyRequest(NamedTuple):
    """One request an :class:`HttpProxy` saw (before any auth check)."""

    method: str
    target: str  # absolute URL, or ``host:port`` for CONNECT
    headers: dict[str, str]  # lower-cased names


class SocksRequest(NamedTuple):
    """One CONNECT a :class:`Socks5Proxy` saw."""

    version: int  # 5, or 4 for SOCKS4 and SOCKS4a
    host: str  # IP literal (IPv6 without brackets) or the domain name the client sent
    port: int


class TlsRequest(NamedTuple):
    """One request a :class:`TlsServer` answered, with the negotiated protocol and cipher."""

    method: str
    path: str
    version: str  # as ssl reports it: "TLSv1.2", "TLSv1.3"
    cipher: str  # OpenSSL name, e.g. "AES128-GCM-SHA256"


class SiteRequest(NamedTuple):
    """One request a :class:`BasicAuthSite` saw."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names


def spki_sha256_b64(cert_pem: bytes) -> str:
    """Base64 SHA-256 of a certificate's SubjectPublicKeyInfo.

    The form Chromium's ``--ignore-certificate-errors-spki-list=`` takes.
    """
    cert = x509.load_pem_x509_certificate(cert_pem)
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def basic_credentials(user: str, pw: str) -> str:
    """The ``Basic ...`` value of an ``Authorization`` / ``Proxy-Authorization`` header."""
    return "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode("ascii")


def _matches_basic(value: str | None, expected: str) -> bool:
    if value is None:
        return False
    scheme, _, token = value.strip().partition(" ")
    return scheme.lower() == "basic" and token.strip() == expected.partition(" ")[2]


def _abort(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _loopback_target(target: tuple[str, int]) -> tuple[str, int]:
    """``target`` if it is a loopback IP literal; anything else would leave the machine."""
    host, port = target
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"refusing to connect off-machine: {host}:{port}")
    return host, port


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class _Httpd(socketserver.ThreadingTCPServer):
    """A threaded TCP server whose ``close()`` also ends open connections and joins its threads.

    Each accepted socket is ``dup()``-ed; shutting the duplicate down wakes a handler blocked on
    the socket even after ``ssl`` has taken the original over.
    """

    daemon_threads = True
    block_on_close = False  # close() joins with a timeout instead

    def __init__(
        self,
        label: str,
        make_handler: Callable[[Any, Any, _Httpd], socketserver.BaseRequestHandler],
        *,
        tls: ssl.SSLContext | None = None,
        listen: bool = True,
    ) -> None:
        super().__init__(("127.0.0.1", 0), make_handler, bind_and_activate=False)
        self.label = label
        self.tls = tls
        self.lock = threading.Lock()
        self.errors: list[str] = []  # handler exceptions (clients resetting sockets land here)
        self.tls_errors: list[str] = []  # failed handshakes, by OpenSSL reason
        self._shadows: dict[socket.socket, socket.socket] = {}
        self._adopted: set[socket.socket] = set()
        self._workers: set[threading.Thread] = set()
        self._closing = False
        self._serving: threading.Thread | None = None
        try:
            self.server_bind()
            if listen:
                self.server_activate()
        except BaseException:
            self.socket.close()
            raise
        if listen:
            self._serving = threading.Thread(
                target=self.serve_forever,
                args=(_POLL_INTERVAL,),
                name=f"netservers-{label}-accept",
                daemon=True,
            )
            self._serving.start()

    @property
    def port(self) -> int:
        port: int = self.server_address[1]
        return port

    def spawn(self, target: Callable[..., None], *args: Any) -> threading.Thread | None:
        """Run ``target`` on a tracked daemon thread; ``None`` once closing."""

        def run() -> None:
            try:
                target(*args)
            except Exception as exc:
                self._record_error(exc)
            finally:
                with self.lock:
                    self._workers.discard(thread)

        thread = threading.Thread(target=run, name=f"netservers-{self.label}", daemon=True)
        with self.lock:
            if self._closing:
                return None
            self._workers.add(thread)
        thread.start()
        return thread

    def adopt(self, sock: socket.socket) -> None:
        """Track an outgoing (tunnel) socket so ``close()`` ends it too."""
        with self.lock:
            if not self._closing:
                self._adopted.add(sock)
                return
        _abort(sock)

    def release(self, sock: socket.socket) -> None:
        with self.lock:
            self._adopted.discard(sock)
        sock.close()

    def process_request(self, request: Any, client_address: Any) -> None:
        assert isinstance(request, socket.socket)
        shadow = request.dup()
        with self.lock:
            accepted = not self._closing
            if accepted:
                self._shadows[request] = shadow
        if not accepted:
            shadow.close()
            self.shutdown_request(request)
        elif self.spawn(self.process_request_thread, request, client_address) is None:
            self.shutdown_request(request)

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except ssl.SSLError as exc:
            with self.lock:
                self.tls_errors.append(exc.reason or str(exc))
            return
        except OSError:
            return  # client went away mid-handshake
        try:
            super().finish_request(conn, client_address)
        finally:
            conn.close()

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        with self.lock:
            shadow = self._shadows.pop(request, None)
        if shadow is not None:
            shadow.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if exc is not None:
            self._record_error(exc)

    def _record_error(self, exc: BaseException) -> None:
        with self.lock:
            self.errors.append(repr(exc))

    def close(self) -> None:
        with self.lock:
            if self._closing:
                return
            self._closing = True
        if self._serving is not None:
            self.shutdown()
        self.server_close()
        with self.lock:
            for sock in [*self._shadows.values(), *self._adopted]:
                _abort(sock)
            threads = list(self._workers)
        if self._serving is not None:
            threads.append(self._serving)
        for thread in threads:
            thread.join(_JOIN_TIMEOUT)


class _LoopbackServer:
    """What every server here shares: ``port``, ``close()``, ``with`` support, ``errors``."""

    _httpd: _Httpd

    @property
    def port(self) -> int:
        return self._httpd.port

    @property
    def errors(self) -> list[str]:
        """Handler exceptions, for debugging (clients resetting idle sockets end up here)."""
        with self._httpd.lock:
            return list(self._httpd.errors)

    def close(self) -> None:
        self._httpd.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _read_body(rfile: BufferedIOBase, headers: Mapping[str, str]) -> bytes:
    """The request body, so a kept-alive connection stays in step (Content-Length or chunked)."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks: list[bytes] = []
        while True:
            size = int(rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(rfile.read(size))
            rfile.readline(1024)
    length = int(headers.get("content-length", "0") or "0")
    return rfile.read(length) if length > 0 else b""


def _copy(read: Callable[[int], bytes], dst: socket.socket, src: socket.socket) -> None:
    try:
        while data := read(65536):
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        _abort(src)
        _abort(dst)


def _tunnel(
    httpd: _Httpd,
    client: socket.socket,
    client_read: Callable[[int], bytes],
    upstream: socket.socket,
) -> None:
    """Copy bytes both ways until both directions end; half-closes pass through.

    The client is read through ``client_read`` (its handler's ``rfile.read1``) so bytes the
    request parser already buffered are not lost.
    """
    back = httpd.spawn(_copy, upstream.recv, client, upstream)
    if back is None:
        return
    _copy(client_read, upstream, client)
    back.join()


def _connect_local(httpd: _Httpd, target: tuple[str, int]) -> socket.socket:
    upstream = socket.create_connection(_loopback_target(target), timeout=_JOIN_TIMEOUT)
    upstream.settimeout(None)
    httpd.adopt(upstream)
    return upstream


class _QuietHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def lower_headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}


class HttpProxy(_LoopbackServer):
    """An HTTP forward proxy that answers requests itself and tunnels CONNECT only locally.

    * Absolute-form requests (any method, bodies read and dropped) get 200 ``text/plain``
      ``via <name> <absolute url>``.
    * ``CONNECT host:port`` gets ``200 Connection established`` and a tunnel to
      ``tunnels[(host, port)]`` (a loopback address); any other target gets 502. ``host`` is as
      the client sent it, an IPv6 literal without brackets.
    * With ``auth=(user, pw)``, a request without the matching ``Proxy-Authorization: Basic``
      gets 407 with ``Proxy-Authenticate: Basic realm="<name>"``.
    * With ``refuse=True`` the port is bound but never listened on, so every connection is
      refused (the port stays reserved until ``close()``, so nothing else can take it).
    """

    def __init__(
        self, name: str, *, auth: tuple[str, str] | None = None, refuse: bool = False
    ) -> None:
        self.name = name
        self.tunnels: dict[tuple[str, int], tuple[str, int]] = {}
        self._expected = basic_credentials(*auth) if auth is not None else None
        self._seen: list[ProxyRequest] = []
        self._challenges = 0
        self._httpd = _Httpd(
            f"proxy-{name}", lambda r, a, s: _ProxyHandler(self, r, a, s), listen=not refuse
        )
        self.address = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.address}"

    @property
    def seen(self) -> list[ProxyRequest]:
        with self._httpd.lock:
            return list(self._seen)

    @property
    def auth_challenges(self) -> int:
        """How many 407s were sent."""
        with self._httpd.lock:
            return self._challenges

    def _log(self, request: ProxyRequest) -> None:
        with self._httpd.lock:
            self._seen.append(request)

    def _authorized(self, header: str | None) -> bool:
        if self._expected is None or _matches_basic(header, self._expected):
            return True
        with self._httpd.lock:
            self._challenges += 1
        return False


class _ProxyHandler(_QuietHandler):
    def __init__(self, proxy: HttpProxy, request: Any, client_address: Any, server: _Httpd) -> None:
        self.proxy = proxy
        self.httpd = server
        super().__init__(request, client_address, server)

    def __getattr__(self, name: str) -> Callable[[], None]:
        # http.server dispatches on do_<METHOD>; a proxy answers every method alike.
        if name.startswith("do_"):
            return self.answer
        raise AttributeError(name)

    def admitted(self) -> bool:
        headers = self.lower_headers()
        self.proxy._log(ProxyRequest(self.command, self.path, headers))
        if self.proxy._authorized(headers.get("proxy-authorization")):
            return True
        self.reply(
            407,
            [
                ("Proxy-Authenticate", f'Basic realm="{self.proxy.name}"'),
                ("Content-Type", "text/plain"),
            ],
            b"proxy authentication required",
        )
        return False

    def answer(self) -> None:
        _read_body(self.rfile, self.lower_headers())
        if not self.admitted():
            return
        url = urllib.parse.urlsplit(self.path)
        if not (url.scheme and url.netloc):
            self.reply(400, [("Content-Type", "text/plain")], b"not an absolute-form request")
            return
        self.reply(200, VIA_HEADERS, f"via {self.proxy.name} {self.path}".encode())

    def do_CONNECT(self) -> None:
        if not self.admitted():
            return
        host, _, port_text = self.path.rpartition(":")
        host = host.removeprefix("[").removesuffix("]")
        route = self.proxy.tunnels.get((host, int(port_text))) if port_text.isdigit() else None
        try:
            if route is None:
                raise ValueError(f"no tunnel for {self.path}")
            upstream = _connect_local(self.httpd, route)
        except (OSError, ValueError) as exc:
            self.reply(502, [("Content-Type", "text/plain")], f"bad gateway: {exc}".encode())
            return
        try:
            self.send_response(200, "Connection established")
            self.end_headers()
            self.close_connection = True
            _tunnel(self.httpd, self.connection, self.rfile.read1, upstream)
        finally:
            self.httpd.release(upstream)


class Socks5Proxy(_LoopbackServer):
    """A minimal SOCKS5 (RFC 1928, no auth, CONNECT) and SOCKS4/4a server that stays local.

    A CONNECT to ``(host, port)`` is tunnelled to ``routes[(host, port)]`` (a loopback address).
    With no route the proxy grants the CONNECT and then speaks HTTP/1.1 itself: it reads one
    request and answers 200 ``text/plain`` ``via <name> <host>:<port><path>`` (IPv6 hosts in
    brackets) with ``Connection: close``.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.routes: dict[tuple[str, int], tuple[str, int]] = {}
        self._seen: list[SocksRequest] = []
        self._httpd = _Httpd(f"socks-{name}", lambda r, a, s: _SocksHandler(self, r, a, s))
        self.address = f"127.0.0.1:{self.port}"
        self.url = f"socks5://{self.address}"

    @property
    def seen(self) -> list[SocksRequest]:
        with self._httpd.lock:
            return list(self._seen)

    def _log(self, request: SocksRequest) -> None:
        with self._httpd.lock:
            self._seen.append(request)


class _EofError(Exception):
    pass


class _SocksHandler(socketserver.StreamRequestHandler):
    def __init__(
        self, proxy: Socks5Proxy, request: Any, client_address: Any, server: _Httpd
    ) -> None:
        self.proxy = proxy
        self.httpd = server
        super().__init__(request, client_address, server)

    def exact(self, n: int) -> bytes:
        data = self.rfile.read(n)
        if len(data) != n:
            raise _EofError
        return data

    def cstring(self) -> bytes:
        out = b""
        while (byte := self.exact(1)) != b"\0":
            out += byte
            if len(out) > 255:
                raise _EofError
        return out

    def handle(self) -> None:
        try:
            version = self.exact(1)
            if version == b"\x05":
                self.socks5()
            elif version == b"\x04":
                self.socks4()
        except _EofError:
            pass

    def socks5(self) -> None:
        methods = self.exact(self.exact(1)[0])
        if 0 not in methods:
            self.wfile.write(b"\x05\xff")
            return
        self.wfile.write(b"\x05\x00")
        version, command, _, address_type = self.exact(4)
        if version != 5:
            return
        if address_type == 1:
            host = str(ipaddress.IPv4Address(self.exact(4)))
        elif address_type == 3:
            host = self.exact(self.exact(1)[0]).decode("ascii", "replace")
        elif address_type == 4:
            host = str(ipaddress.IPv6Address(self.exact(16)))
        else:
            self.socks5_reply(8)  # address type not supported
            return
        port = int.from_bytes(self.exact(2), "big")
        self.proxy._log(SocksRequest(5, host, port))
        if command != 1:
            self.socks5_reply(7)  # command not supported
            return
        self.serve(host, port, self.socks5_reply)

    def socks5_reply(self, code: int) -> None:
        bound = socket.inet_aton("127.0.0.1") + self.httpd.port.to_bytes(2, "big")
        self.wfile.write(bytes([5, code, 0, 1]) + bound)

    def socks4(self) -> None:
        command = self.exact(1)[0]
        port = int.from_bytes(self.exact(2), "big")
        ip = self.exact(4)
        self.cstring()  # user id
        if ip[:3] == b"\0\0\0" and ip[3] != 0:  # SOCKS4a: the name follows
            host = self.cstring().decode("ascii", "replace")
        else:
            host = str(ipaddress.IPv4Address(ip))
        self.proxy._log(SocksRequest(4, host, port))
        if command != 1:
            self.socks4_reply(1)
            return
        self.serve(host, port, self.socks4_reply)

    def socks4_reply(self, code: int) -> None:
        # 0x5a granted, 0x5b rejected; success is code 0 in the SOCKS5 numbering used by serve().
        self.wfile.write(bytes([0, 0x5A if code == 0 else 0x5B]) + bytes(6))

    def serve(self, host: str, port: int, reply: Callable[[int], None]) -> None:
        route = self.proxy.routes.get((host, port))
        if route is None:
            reply(0)
            self.speak_http(host, port)
            return
        try:
            upstream = _connect_local(self.httpd, route)
        except ConnectionRefusedError:
            reply(5)  # connection refused
            return
        except (OSError, ValueError):
            reply(1)  # general failure
            return
        try:
            reply(0)
            _tunnel(self.httpd, self.connection, self.rfile.read1, upstream)
        finally:
            self.httpd.release(upstream)

    def speak_http(self, host: str, port: int) -> None:
        parts = self.rfile.readline(65537).decode("latin-1").split()
        if len(parts) != 3:
            return
        method, target, _ = parts
        headers: dict[str, str] = {}
        for _ in range(200):
            line = self.rfile.readline(65537).decode("latin-1").strip()
            if not line:
                break
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        _read_body(self.rfile, headers)
        url = urllib.parse.urlsplit(target)
        path = url.path + (f"?{url.query}" if url.query else "")
        body = f"via {self.proxy.name} {_host_port(host, port)}{path}".encode()
        head = ["HTTP/1.1 200 OK", *(f"{n}: {v}" for n, v in VIA_HEADERS)]
        head += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
        self.wfile.write("\r\n".join(head).encode() + (b"" if method == "HEAD" else body))


class TlsServer(_LoopbackServer):
    """HTTPS on 127.0.0.1 speaking exactly one TLS version, optionally with one cipher list.

    Answers every GET/HEAD 200 ``text/plain`` ``tls <negotiated version> <path>`` (e.g.
    ``tls TLSv1.2 /x``). The leaf is issued by ``ca`` for ``hostnames``, with an RSA key by
    default so RSA-key-exchange ciphers (``"AES128-GCM-SHA256"``) are possible. ``ciphers`` is
    an OpenSSL cipher string and applies to TLS 1.2 only (OpenSSL configures TLS 1.3 suites
    separately and Python's ``ssl`` cannot). Failed handshakes are counted in
    ``handshake_errors`` by OpenSSL reason (``"UNSUPPORTED_PROTOCOL"``, ``"NO_SHARED_CIPHER"``)
    and never printed.
    """

    def __init__(
        self,
        *,
        versions: Literal["tls1.2", "tls1.3"],
        ciphers: str | None = None,
        ca: trustme.CA,
        hostnames: tuple[str, ...] = ("127.0.0.1", "localhost"),
        key_type: trustme.KeyType = trustme.KeyType.RSA,
    ) -> None:
        version = {"tls1.2": ssl.TLSVersion.TLSv1_2, "tls1.3": ssl.TLSVersion.TLSv1_3}[versions]
        if ciphers is not None and versions != "tls1.2":
            raise ValueError("ciphers restricts TLS 1.2 only")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = context.maximum_version = version
        if ciphers is not None:
            context.set_ciphers(ciphers)
        context.set_alpn_protocols(["http/1.1"])
        self.leaf = ca.issue_cert(*hostnames, key_type=key_type)
        self.leaf.configure_cert(context)
        self.cert_pem = self.leaf.cert_chain_pems[0].bytes()
        self.spki = spki_sha256_b64(self.cert_pem)
        self.context = context
        self._seen: list[TlsRequest] = []
        self._httpd = _Httpd(
            f"tls-{versions}", lambda r, a, s: _TlsHandler(self, r, a, s), tls=context
        )
        self.origin = f"https://127.0.0.1:{self.port}"

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"https://{host}:{self.port}{path}"

    @property
    def seen(self) -> list[TlsRequest]:
        with self._httpd.lock:
            return list(self._seen)

    @property
    def handshake_errors(self) -> list[str]:
        with self._httpd.lock:
            return list(self._httpd.tls_errors)

    def _log(self, request: TlsRequest) -> None:
        with self._httpd.lock:
            self._seen.append(request)


class _TlsHandler(_QuietHandler):
    def __init__(self, owner: TlsServer, request: Any, client_address: Any, server: _Httpd) -> None:
        self.owner = owner
        super().__init__(request, client_address, server)

    def do_GET(self) -> None:
        conn = self.connection
        assert isinstance(conn, ssl.SSLSocket)
        version = conn.version() or "?"
        cipher = (conn.cipher() or ("?", "", 0))[0]
        self.owner._log(TlsRequest(self.command, self.path, version, cipher))
        self.reply(200, VIA_HEADERS, f"tls {version} {self.path}".encode())

    def do_HEAD(self) -> None:
        self.do_GET()


class PacServer(_LoopbackServer):
    """Serves the settable ``script`` at ``/proxy.pac`` and counts fetches."""

    def __init__(
        self, script: str = "function FindProxyForURL(url, host) { return 'DIRECT'; }"
    ) -> None:
        self._script = script
        self._fetches = 0
        self._httpd = _Httpd("pac", lambda r, a, s: _PacHandler(self, r, a, s))
        self.url = f"http://127.0.0.1:{self.port}/proxy.pac"

    @property
    def script(self) -> str:
        with self._httpd.lock:
            return self._script

    @script.setter
    def script(self, value: str) -> None:
        with self._httpd.lock:
            self._script = value

    @property
    def fetches(self) -> int:
        with self._httpd.lock:
            return self._fetches

    def data_url(self) -> str:
        """The current script as a ``data:`` URL (no fetch is counted for it)."""
        encoded = base64.b64encode(self.script.encode()).decode("ascii")
        return f"data:application/x-ns-proxy-autoconfig;base64,{encoded}"

    def _fetch(self) -> bytes:
        with self._httpd.lock:
            self._fetches += 1
            return self._script.encode()


class _PacHandler(_QuietHandler):
    def __init__(self, owner: PacServer, request: Any, client_address: Any, server: _Httpd) -> None:
        self.owner = owner
        super().__init__(request, client_address, server)

    def do_GET(self) -> None:
        if urllib.parse.urlsplit(self.path).path != "/proxy.pac":
            self.reply(404, [("Content-Type", "text/plain")], b"not found")
            return
        headers = [
            ("Content-Type", "application/x-ns-proxy-autoconfig"),
            ("Cache-Control", "no-store"),
        ]
        self.reply(200, headers, self.owner._fetch())


class BasicAuthSite(_LoopbackServer):
    """An origin whose every path needs ``Authorization: Basic`` for ``(user, pw)``.

    Otherwise 401 with ``WWW-Authenticate: Basic realm="site"``; with it, 200 ``text/plain``
    ``authenticated``. Any method; request bodies are read and dropped.
    """

    def __init__(self, user: str, pw: str) -> None:
        self._expected = basic_credentials(user, pw)
        self._challenges = 0
        self._seen: list[SiteRequest] = []
        self._httpd = _Httpd("basic-auth", lambda r, a, s: _SiteHandler(self, r, a, s))
        self.origin = f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    @property
    def seen(self) -> list[SiteRequest]:
        with self._httpd.lock:
            return list(self._seen)

    @property
    def challenges(self) -> int:
        """How many 401s were sent."""
        with self._httpd.lock:
            return self._challenges

    def _admit(self, request: SiteRequest) -> bool:
        ok = _matches_basic(request.headers.get("authorization"), self._expected)
        with self._httpd.lock:
            self._seen.append(request)
            self._challenges += not ok
        return ok


class _SiteHandler(_QuietHandler):
    def __init__(
        self, owner: BasicAuthSite, request: Any, client_address: Any, server: _Httpd
    ) -> None:
        self.owner = owner
        super().__init__(request, client_address, server)

    def __getattr__(self, name: str) -> Callable[[], None]:
        # http.server dispatches on do_<METHOD>; every method is guarded alike.
        if name.startswith("do_"):
            return self.answer
        raise AttributeError(name)

    def answer(self) -> None:
        headers = self.lower_headers()
        _read_body(self.rfile, headers)
        if self.owner._admit(SiteRequest(self.command, self.path, headers)):
            self.reply(200, [("Content-Type", "text/plain")], b"authenticated")
        else:
            self.reply(
                401,
                [("WWW-Authenticate", 'Basic realm="site"'), ("Content-Type", "text/plain")],
                b"authentication required",
            )


class DohServer(_LoopbackServer):
    """A DNS-over-HTTPS server (RFC 8484, GET and POST) answering from ``records``.

    ``records`` maps lower-case names to IPv4 addresses (A records, TTL ``ttl``); AAAA and
    other types of a known name get an empty answer, unknown names NXDOMAIN. ``queries`` logs
    ``(name, type)`` of every question. Chromium is pointed at it by its Local State prefs
    (:meth:`local_state`) and trusts its leaf by SPKI hash (``spki``).
    """

    def __init__(self, *, ca: trustme.CA, ttl: int = 300) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.set_alpn_protocols(["http/1.1"])
        leaf = ca.issue_cert("127.0.0.1")
        leaf.configure_cert(context)
        self.spki = spki_sha256_b64(leaf.cert_chain_pems[0].bytes())
        self.records: dict[str, list[str]] = {}
        self.ttl = ttl
        self._queries: list[tuple[str, int]] = []
        self._httpd = _Httpd("doh", lambda r, a, s: _DohHandler(self, r, a, s), tls=context)
        self.template = f"https://127.0.0.1:{self.port}/dns-query{{?dns}}"

    @property
    def queries(self) -> list[tuple[str, int]]:
        with self._httpd.lock:
            return list(self._queries)

    def local_state(self) -> dict[str, Any]:
        """Chromium ``Local State`` prefs that make a profile resolve only through this server."""
        return {"dns_over_https": {"mode": "secure", "templates": self.template}}

    def answer(self, query: bytes) -> bytes:
        """The DNS response to one DNS query message."""
        if len(query) < 12:
            raise ValueError("short DNS message")
        labels, at = [], 12
        while query[at]:
            length = query[at]
            labels.append(query[at + 1 : at + 1 + length].decode("ascii").lower())
            at += 1 + length
        question_end = at + 5
        qtype = int.from_bytes(query[at + 1 : at + 3], "big")
        name = ".".join(labels)
        with self._httpd.lock:
            self._queries.append((name, qtype))
            addresses = list(self.records.get(name, ()))
        known = name in self.records
        answers = [a for a in addresses if qtype == 1]
        flags = 0x8180 if known else 0x8183  # response, recursion; NOERROR or NXDOMAIN
        header = (
            query[:2]
            + flags.to_bytes(2, "big")
            + (1).to_bytes(2, "big")
            + len(answers).to_bytes(2, "big")
            + bytes(4)
        )
        body = b"".join(
            b"\xc0\x0c\x00\x01\x00\x01"
            + self.ttl.to_bytes(4, "big")
            + b"\x00\x04"
            + ipaddress.IPv4Address(a).packed
            for a in answers
        )
        return header + query[12:question_end] + body


class _DohHandler(_QuietHandler):
    def __init__(self, owner: DohServer, request: Any, client_address: Any, server: _Httpd) -> None:
        self.owner = owner
        super().__init__(request, client_address, server)

    def _reply_dns(self, query: bytes) -> None:
        try:
            response = self.owner.answer(query)
        except (ValueError, IndexError, UnicodeDecodeError):
            self.reply(400, [("Content-Type", "text/plain")], b"bad DNS message")
            return
        self.reply(200, [("Content-Type", "application/dns-message")], response)

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("dns", [""])[0]
        self._reply_dns(base64.urlsafe_b64decode(query + "=" * (-len(query) % 4)))

    def do_POST(self) -> None:
        self._reply_dns(_read_body(self.rfile, self.lower_headers()))
