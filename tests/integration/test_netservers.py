"""The loopback proxy / TLS / PAC / auth servers, checked with plain Python clients."""

from __future__ import annotations

import base64
import hashlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import trustme

from tests.integration.netservers import (
    BasicAuthSite,
    HttpProxy,
    PacServer,
    ProxyRequest,
    Socks5Proxy,
    SocksRequest,
    TlsRequest,
    TlsServer,
    basic_credentials,
    spki_sha256_b64,
)

pytestmark = pytest.mark.integration

TIMEOUT = 5.0
VIA = {
    "content-type": "text/plain",
    "access-control-allow-origin": "*",
    "cache-control": "no-store",
}


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(autouse=True)
def _no_server_threads_left() -> Iterator[None]:
    yield
    left = [t.name for t in threading.enumerate() if t.name.startswith("netservers-")]
    assert left == []


def wait_for(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)


def recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        assert chunk, f"EOF after {data!r}"
        data += chunk
    return data


def read_head(sock: socket.socket) -> bytes:
    """Bytes up to the blank line ending a response head (read one at a time: no overshoot)."""
    data = b""
    while not data.endswith(b"\r\n\r\n"):
        data += recv_exact(sock, 1)
    return data


def read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def parse(raw: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def http_get(port: int, target: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request("GET", target, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def tls_client(
    ca: trustme.CA, version: ssl.TLSVersion, ciphers: str | None = None
) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    context.minimum_version = context.maximum_version = version
    if ciphers is not None:
        context.set_ciphers(ciphers)
    return context


def https_get(port: int, context: ssl.SSLContext, path: str = "/") -> http.client.HTTPResponse:
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=TIMEOUT, context=context)
    conn.request("GET", path, headers={"Connection": "close"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


# --- HTTP proxy ----------------------------------------------------------------------------------


def test_http_proxy_answers_absolute_form_itself() -> None:
    with HttpProxy("p1") as proxy:
        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=TIMEOUT)
        conn.request("GET", "http://site.test:8080/page?q=1")
        first = conn.getresponse()
        first_body = first.read()
        # Same connection: the POST body must be consumed, not taken for the next request.
        conn.request("POST", "http://site.test/form", body=b"a=1&b=2")
        second = conn.getresponse()
        second_body = second.read()
        conn.request("PATCH", "http://other.test/", body=iter([b"x", b"yz"]), encode_chunked=True)
        third_body = conn.getresponse().read()
        conn.close()

    assert (first.status, first_body) == (200, b"via p1 http://site.test:8080/page?q=1")
    assert {k.lower(): v for k, v in first.getheaders()}.items() >= VIA.items()
    assert (second.status, second_body) == (200, b"via p1 http://site.test/form")
    assert third_body == b"via p1 http://other.test/"
    assert [(r.method, r.target) for r in proxy.seen] == [
        ("GET", "http://site.test:8080/page?q=1"),
        ("POST", "http://site.test/form"),
        ("PATCH", "http://other.test/"),
    ]
    assert proxy.seen[1].headers["content-length"] == "7"
    assert proxy.seen[2].headers["transfer-encoding"] == "chunked"


def test_http_proxy_tunnels_connect_to_a_routed_local_server(ca: trustme.CA) -> None:
    with (
        HttpProxy("p1") as proxy,
        TlsServer(versions="tls1.3", ca=ca, hostnames=("secure.test",)) as tls,
    ):
        proxy.tunnels[("secure.test", 443)] = ("127.0.0.1", tls.port)
        context = tls_client(ca, ssl.TLSVersion.TLSv1_3)
        conn = http.client.HTTPSConnection("127.0.0.1", proxy.port, timeout=5, context=context)
        conn.set_tunnel("secure.test", 443)
        conn.request("GET", "/tunnelled")
        response = conn.getresponse()
        body = response.read()
        conn.close()

    assert (response.status, body) == (200, b"tls TLSv1.3 /tunnelled")
    assert [(r.method, r.target) for r in proxy.seen] == [("CONNECT", "secure.test:443")]
    assert tls.seen == [TlsRequest("GET", "/tunnelled", "TLSv1.3", "TLS_AES_256_GCM_SHA384")]


def test_http_proxy_tunnel_keeps_bytes_sent_before_the_200() -> None:
    with HttpProxy("p1") as proxy, PacServer("script") as pac:
        proxy.tunnels[("pac.test", 80)] = ("127.0.0.1", pac.port)
        with connect(proxy.port) as sock:
            sock.sendall(
                b"CONNECT pac.test:80 HTTP/1.1\r\nHost: pac.test:80\r\n\r\n"
                b"GET /proxy.pac HTTP/1.1\r\nHost: pac.test\r\nConnection: close\r\n\r\n"
            )
            established = read_head(sock)
            status, _, body = parse(read_all(sock))

    assert established.startswith(b"HTTP/1.1 200 Connection established\r\n")
    assert (status, body) == ("HTTP/1.1 200 OK", b"script")


def test_http_proxy_answers_502_to_unrouted_or_off_machine_connect() -> None:
    with HttpProxy("p1") as proxy:
        proxy.tunnels[("far.test", 443)] = ("192.0.2.1", 443)
        replies = []
        for target in ["nowhere.test:443", "far.test:443", "[::1]:1"]:
            with connect(proxy.port) as sock:
                sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
                status, _, body = parse(read_head(sock) + sock.recv(4096))
                replies.append((status, body.decode()))

    assert replies == [
        ("HTTP/1.1 502 Bad Gateway", "bad gateway: no tunnel for nowhere.test:443"),
        ("HTTP/1.1 502 Bad Gateway", "bad gateway: refusing to connect off-machine: 192.0.2.1:443"),
        ("HTTP/1.1 502 Bad Gateway", "bad gateway: no tunnel for [::1]:1"),
    ]


def test_http_proxy_demands_basic_credentials(ca: trustme.CA) -> None:
    with (
        HttpProxy("guarded", auth=("user", "s3cret")) as proxy,
        TlsServer(versions="tls1.2", ca=ca, hostnames=("secure.test",)) as tls,
    ):
        proxy.tunnels[("secure.test", 443)] = ("127.0.0.1", tls.port)
        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=TIMEOUT)
        conn.request("GET", "http://site.test/")
        challenge = conn.getresponse()
        challenge.read()
        conn.request("GET", "http://site.test/", headers={"Proxy-Authorization": "Basic eDp5"})
        wrong = conn.getresponse()
        wrong.read()
        good = {"Proxy-Authorization": basic_credentials("user", "s3cret")}
        conn.request("GET", "http://site.test/", headers=good)
        allowed = conn.getresponse()
        allowed_body = allowed.read()
        conn.close()

        context = tls_client(ca, ssl.TLSVersion.TLSv1_2)
        tunnel = http.client.HTTPSConnection("127.0.0.1", proxy.port, timeout=5, context=context)
        tunnel.set_tunnel("secure.test", 443)
        with pytest.raises(OSError, match="407 Proxy Authentication Required"):
            tunnel.request("GET", "/")
        tunnel.close()
        tunnel = http.client.HTTPSConnection("127.0.0.1", proxy.port, timeout=5, context=context)
        tunnel.set_tunnel("secure.test", 443, headers=good)
        tunnel.request("GET", "/t")
        tunnelled = tunnel.getresponse().read()
        tunnel.close()

    assert challenge.status == 407
    assert challenge.getheader("Proxy-Authenticate") == 'Basic realm="guarded"'
    assert wrong.status == 407
    assert (allowed.status, allowed_body) == (200, b"via guarded http://site.test/")
    assert tunnelled == b"tls TLSv1.2 /t"
    assert proxy.auth_challenges == 3
    assert [r.headers.get("proxy-authorization") for r in proxy.seen] == [
        None,
        "Basic eDp5",
        "Basic dXNlcjpzM2NyZXQ=",
        None,
        "Basic dXNlcjpzM2NyZXQ=",
    ]


def test_refusing_proxy_refuses_every_connection() -> None:
    with HttpProxy("dead", refuse=True) as proxy:
        for _ in range(3):
            with pytest.raises(ConnectionRefusedError):
                connect(proxy.port)
        assert proxy.url == f"http://127.0.0.1:{proxy.port}"
    assert proxy.seen == []


# --- SOCKS ---------------------------------------------------------------------------------------


def socks5_connect(port: int, host: str, dport: int) -> tuple[socket.socket, bytes]:
    sock = connect(port)
    sock.sendall(b"\x05\x01\x00")
    assert recv_exact(sock, 2) == b"\x05\x00"
    try:
        ip = ipaddress.ip_address(host)
        address = (b"\x01" if ip.version == 4 else b"\x04") + ip.packed
    except ValueError:
        address = b"\x03" + bytes([len(host)]) + host.encode()
    sock.sendall(b"\x05\x01\x00" + address + dport.to_bytes(2, "big"))
    return sock, recv_exact(sock, 10)


def socks4_connect(port: int, host: str, dport: int) -> tuple[socket.socket, bytes]:
    sock = connect(port)
    try:
        tail = ipaddress.IPv4Address(host).packed + b"me\0"
    except ValueError:
        tail = b"\0\0\0\x01me\0" + host.encode() + b"\0"  # SOCKS4a
    sock.sendall(b"\x04\x01" + dport.to_bytes(2, "big") + tail)
    return sock, recv_exact(sock, 8)


def get_over(sock: socket.socket, path: str) -> tuple[str, dict[str, str], bytes]:
    with sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        return parse(read_all(sock))


def test_socks5_without_a_route_answers_http_itself() -> None:
    with Socks5Proxy("s1") as proxy:
        answers = []
        for host in ["site.test", "10.1.2.3", "::1"]:
            sock, reply = socks5_connect(proxy.port, host, 8080)
            assert reply[:4] == b"\x05\x00\x00\x01"
            answers.append(get_over(sock, "/p?q=1"))

    assert [(status, body) for status, _, body in answers] == [
        ("HTTP/1.1 200 OK", b"via s1 site.test:8080/p?q=1"),
        ("HTTP/1.1 200 OK", b"via s1 10.1.2.3:8080/p?q=1"),
        ("HTTP/1.1 200 OK", b"via s1 [::1]:8080/p?q=1"),
    ]
    assert answers[0][1].items() >= {**VIA, "connection": "close"}.items()
    assert proxy.seen == [
        SocksRequest(5, "site.test", 8080),
        SocksRequest(5, "10.1.2.3", 8080),
        SocksRequest(5, "::1", 8080),
    ]


def test_socks5_tunnels_routed_domain_and_ipv4_targets() -> None:
    with Socks5Proxy("s1") as proxy, PacServer("function FindProxyForURL(){}") as pac:
        proxy.routes[("pac.test", 80)] = ("127.0.0.1", pac.port)
        proxy.routes[("10.9.9.9", 81)] = ("127.0.0.1", pac.port)
        by_name, name_reply = socks5_connect(proxy.port, "pac.test", 80)
        by_ip, ip_reply = socks5_connect(proxy.port, "10.9.9.9", 81)
        name_answer = get_over(by_name, "/proxy.pac")
        ip_answer = get_over(by_ip, "/proxy.pac")

    assert name_reply[:2] == ip_reply[:2] == b"\x05\x00"
    assert name_answer[0] == ip_answer[0] == "HTTP/1.1 200 OK"
    assert name_answer[2] == ip_answer[2] == b"function FindProxyForURL(){}"
    assert pac.fetches == 2
    assert proxy.seen == [SocksRequest(5, "pac.test", 80), SocksRequest(5, "10.9.9.9", 81)]


def test_socks5_refusals() -> None:
    with Socks5Proxy("s1") as proxy, HttpProxy("dead", refuse=True) as dead:
        proxy.routes[("dead.test", 1)] = ("127.0.0.1", dead.port)
        proxy.routes[("far.test", 1)] = ("192.0.2.1", 80)
        refused, refused_reply = socks5_connect(proxy.port, "dead.test", 1)
        refused.close()
        far, far_reply = socks5_connect(proxy.port, "far.test", 1)
        far.close()
        with connect(proxy.port) as sock:
            sock.sendall(b"\x05\x01\x02")  # username/password only
            no_method = read_all(sock)

    assert refused_reply[:2] == b"\x05\x05"
    assert far_reply[:2] == b"\x05\x01"
    assert no_method == b"\x05\xff"


def test_socks4_and_4a() -> None:
    with Socks5Proxy("s4") as proxy, PacServer("pac") as pac:
        proxy.routes[("127.0.0.1", 80)] = ("127.0.0.1", pac.port)
        routed, routed_reply = socks4_connect(proxy.port, "127.0.0.1", 80)
        routed_answer = get_over(routed, "/proxy.pac")
        named, named_reply = socks4_connect(proxy.port, "four.test", 81)
        named_answer = get_over(named, "/x")

    assert routed_reply[:2] == named_reply[:2] == b"\x00\x5a"
    assert routed_answer[2] == b"pac"
    assert named_answer[2] == b"via s4 four.test:81/x"
    assert proxy.seen == [SocksRequest(4, "127.0.0.1", 80), SocksRequest(4, "four.test", 81)]


# --- TLS -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "client", "other"),
    [
        ("tls1.2", ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3),
        ("tls1.3", ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2),
    ],
    ids=["tls1.2", "tls1.3"],
)
def test_tls_server_speaks_only_its_version(
    ca: trustme.CA,
    capfd: pytest.CaptureFixture[str],
    server: str,
    client: ssl.TLSVersion,
    other: ssl.TLSVersion,
) -> None:
    with TlsServer(versions="tls1.2" if server == "tls1.2" else "tls1.3", ca=ca) as tls:
        with pytest.raises(ssl.SSLError):
            https_get(tls.port, tls_client(ca, other))
        wait_for(lambda: len(tls.handshake_errors) == 1)
        # The failed handshake did not take the server down.
        response = https_get(tls.port, tls_client(ca, client), "/after")

    name = "TLSv1.2" if server == "tls1.2" else "TLSv1.3"
    assert response.status == 200
    assert tls.seen[0][:3] == ("GET", "/after", name)
    assert tls.handshake_errors == ["UNSUPPORTED_PROTOCOL"]
    assert capfd.readouterr().err == ""


def test_tls_server_restricted_to_one_cipher(
    ca: trustme.CA, capfd: pytest.CaptureFixture[str]
) -> None:
    with TlsServer(versions="tls1.2", ciphers="AES128-GCM-SHA256", ca=ca) as tls:
        with pytest.raises(ssl.SSLError):
            https_get(
                tls.port, tls_client(ca, ssl.TLSVersion.TLSv1_2, "ECDHE-RSA-AES128-GCM-SHA256")
            )
        wait_for(lambda: len(tls.handshake_errors) == 1)
        https_get(tls.port, tls_client(ca, ssl.TLSVersion.TLSv1_2, "AES128-GCM-SHA256"), "/one")

    assert tls.handshake_errors == ["NO_SHARED_CIPHER"]
    assert tls.seen == [TlsRequest("GET", "/one", "TLSv1.2", "AES128-GCM-SHA256")]
    assert capfd.readouterr().err == ""
    with pytest.raises(ValueError, match=r"TLS 1\.2 only"):
        TlsServer(versions="tls1.3", ciphers="AES128-GCM-SHA256", ca=ca)


def der_element(data: bytes, offset: int) -> tuple[int, int]:
    """(start of contents, end of element) of the DER element at ``offset``."""
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    return start, start + length


def spki_by_hand(cert_pem: bytes) -> str:
    der = ssl.PEM_cert_to_DER_cert(cert_pem.decode())
    tbs, _ = der_element(der, 0)  # Certificate ::= SEQUENCE { tbsCertificate, ... }
    offset, _ = der_element(der, tbs)
    if der[offset] == 0xA0:  # [0] version
        offset = der_element(der, offset)[1]
    for _ in range(5):  # serialNumber, signature, issuer, validity, subject
        offset = der_element(der, offset)[1]
    spki = der[offset : der_element(der, offset)[1]]
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.mark.parametrize("key_type", [trustme.KeyType.RSA, trustme.KeyType.ECDSA])
def test_spki_hash_matches_the_der_walk(ca: trustme.CA, key_type: trustme.KeyType) -> None:
    with TlsServer(versions="tls1.3", ca=ca, key_type=key_type) as tls:
        served = ssl.get_server_certificate(("127.0.0.1", tls.port), timeout=TIMEOUT)
    assert ssl.PEM_cert_to_DER_cert(served) == ssl.PEM_cert_to_DER_cert(tls.cert_pem.decode())
    assert tls.spki == spki_sha256_b64(tls.cert_pem) == spki_by_hand(tls.cert_pem)
    assert len(base64.b64decode(tls.spki)) == 32


# --- PAC and Basic auth --------------------------------------------------------------------------


def test_pac_server_serves_the_current_script_and_counts_fetches() -> None:
    with PacServer() as pac:
        conn = http.client.HTTPConnection("127.0.0.1", pac.port, timeout=TIMEOUT)
        conn.request("GET", "/proxy.pac")
        first = conn.getresponse()
        first_body = first.read().decode()
        pac.script = "function FindProxyForURL(url, host) { return 'PROXY 127.0.0.1:1'; }"
        conn.request("GET", "/proxy.pac")
        second_body = conn.getresponse().read().decode()
        conn.request("GET", "/other")
        missing = conn.getresponse()
        missing.read()
        conn.close()

        assert pac.fetches == 2
        assert pac.url == f"http://127.0.0.1:{pac.port}/proxy.pac"
        data = pac.data_url()

    assert first.getheader("Content-Type") == "application/x-ns-proxy-autoconfig"
    assert first_body == "function FindProxyForURL(url, host) { return 'DIRECT'; }"
    assert second_body == pac.script
    assert missing.status == 404
    prefix = "data:application/x-ns-proxy-autoconfig;base64,"
    assert data.startswith(prefix)
    assert base64.b64decode(data.removeprefix(prefix)).decode() == pac.script


def test_basic_auth_site() -> None:
    with BasicAuthSite("alice", "pw") as site:
        bare = http_get(site.port, "/a")
        conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=TIMEOUT)
        conn.request("GET", "/b")
        challenge = conn.getresponse()
        challenge.read()
        conn.close()
        wrong = http_get(site.port, "/c", {"Authorization": basic_credentials("alice", "no")})
        good = {"Authorization": basic_credentials("alice", "pw")}
        right = http_get(site.port, "/d?x=1", good)
        conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=TIMEOUT)
        conn.request("POST", "/e", body=b"payload", headers=good)
        posted = conn.getresponse().read()
        conn.close()

    assert bare == (401, "authentication required")
    assert challenge.getheader("WWW-Authenticate") == 'Basic realm="site"'
    assert wrong == (401, "authentication required")
    assert right == (200, "authenticated")
    assert posted == b"authenticated"
    assert site.challenges == 3
    assert [(r.method, r.path) for r in site.seen] == [
        ("GET", "/a"),
        ("GET", "/b"),
        ("GET", "/c"),
        ("GET", "/d?x=1"),
        ("POST", "/e"),
    ]


# --- shutdown ------------------------------------------------------------------------------------


def test_close_ends_idle_connections_and_open_tunnels(ca: trustme.CA) -> None:
    tls = TlsServer(versions="tls1.3", ca=ca)
    proxy = HttpProxy("p")
    socks = Socks5Proxy("s")
    site = BasicAuthSite("u", "p")
    proxy.tunnels[("t.test", 443)] = ("127.0.0.1", tls.port)
    socks.routes[("site.test", 80)] = ("127.0.0.1", site.port)

    idle = connect(proxy.port)  # a keep-alive connection with a request already served
    idle.sendall(b"GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n")
    assert parse(read_head(idle) + recv_exact(idle, len(b"via p http://a.test/")))[2] == (
        b"via p http://a.test/"
    )
    tunnel = connect(proxy.port)
    tunnel.sendall(b"CONNECT t.test:443 HTTP/1.1\r\nHost: t.test:443\r\n\r\n")
    assert read_head(tunnel).startswith(b"HTTP/1.1 200 Connection established\r\n")
    tunnel_tls = tls_client(ca, ssl.TLSVersion.TLSv1_3).wrap_socket(
        tunnel, server_hostname="127.0.0.1"
    )
    socks_tunnel, _ = socks5_connect(socks.port, "site.test", 80)
    half_open = connect(tls.port)  # connected, no handshake yet

    started = time.monotonic()
    for server in (proxy, socks, tls, site):
        server.close()
    elapsed = time.monotonic() - started

    assert elapsed < 1.0
    for sock in (idle, socks_tunnel, half_open):
        with sock:
            assert read_all(sock) == b""
    with tunnel_tls:
        assert tunnel_tls.recv(100) == b""
    for server in (proxy, socks, tls, site):
        server.close()  # idempotent
    assert proxy.seen[-1] == ProxyRequest("CONNECT", "t.test:443", proxy.seen[-1].headers)
