"""ses.protocol and ses.fetch against real Chromium: Electron behaviours #86-#92."""

from __future__ import annotations

import base64
import itertools
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
import trio

import cdpsession
from cdpsession import NetworkError, Request, Response, UnsupportedError

from .conftest import Server

pytestmark = pytest.mark.integration

_names = itertools.count()
_TEXT = "valar morghulis"
# A 1x1 PNG.
_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _fresh(app: cdpsession.App) -> cdpsession.Session:
    return app.session.from_partition(f"protocol-{next(_names)}")


async def _fetch_fails(ses: cdpsession.Session, url: str, **init: Any) -> str:
    with pytest.raises(NetworkError) as info:
        await ses.fetch(url, init or None)
    return info.value.error_text


async def test_b86_register_and_intercept_return_values(app: cdpsession.App) -> None:
    protocol = _fresh(app).protocol
    with trio.fail_after(30):
        assert protocol.is_protocol_registered("sp") is False
        assert await protocol.register_string_protocol("sp", lambda r, cb: cb(""))
        assert await protocol.register_buffer_protocol("sp", lambda r, cb: cb(b"")) is False
        assert protocol.is_protocol_registered("sp") is True
        assert await protocol.unregister_protocol("not-exist") is False
        assert await protocol.unintercept_protocol("http") is False
        assert await protocol.intercept_string_protocol("http", lambda r, cb: cb("x"))
        assert await protocol.intercept_buffer_protocol("http", lambda r, cb: cb(b"")) is False
        assert protocol.is_protocol_intercepted("http") is True
        assert await protocol.unintercept_protocol("http") is True
        assert protocol.is_protocol_intercepted("http") is False
        assert await protocol.unregister_protocol("sp") is True
        assert protocol.is_protocol_registered("sp") is False
    other = app.session.default_session.protocol
    assert other.is_protocol_registered("sp") is False


async def test_b08_partition_protocol_is_its_own(app: cdpsession.App, server: Server) -> None:
    ses = _fresh(app)
    server.html("/", "<img src='sp://fake-host/i.png' onload='document.title=\"loaded\"'>")
    with trio.fail_after(60):
        await ses.protocol.register_buffer_protocol(
            "sp", lambda req, cb: cb({"data": _PNG, "mimeType": "image/png"})
        )
        assert app.session.default_session.protocol.is_protocol_registered("sp") is False
        assert ses.protocol.is_protocol_registered("sp") is True
        page = await ses.open_page(server.url("/"))
        while await page.execute_java_script("document.title") != "loaded":  # noqa: ASYNC110
            await trio.sleep(0.05)
        assert await page.execute_java_script("document.images[0].naturalWidth") == 1


async def test_b87_string_buffer_file_responses(app: cdpsession.App, tmp_path: Path) -> None:
    ses = _fresh(app)
    protocol = ses.protocol
    (tmp_path / "file.txt").write_text(_TEXT)
    calls: list[str] = []

    def twice(request: dict[str, Any], callback: Any) -> None:
        calls.append(request["url"])
        callback(_TEXT)
        callback("ignored")

    with trio.fail_after(60):
        await protocol.register_string_protocol("str", twice)
        response = await ses.fetch("str://fake-host")
        assert response.text() == _TEXT
        assert response.header("access-control-allow-origin") == "*"
        assert response.header("content-type") == "text/html; charset=utf-8"
        await protocol.unregister_protocol("str")
        await protocol.register_string_protocol(
            "str", lambda r, cb: cb({"data": _TEXT, "mimeType": "text/plain"})
        )
        assert (await ses.fetch("str://fake-host")).header("content-type") == (
            "text/plain; charset=utf-8"
        )
        await protocol.unregister_protocol("str")
        await protocol.register_string_protocol("str", lambda r, cb: cb(lambda: None))
        assert await _fetch_fails(ses, "str://fake-host") == "net::ERR_FAILED"
        await protocol.unregister_protocol("str")
        await protocol.register_buffer_protocol("buf", lambda r, cb: cb(_TEXT.encode()))
        buffer = await ses.fetch("buf://fake-host")
        assert buffer.body == _TEXT.encode()
        assert buffer.header("access-control-allow-origin") == "*"
        await protocol.unregister_protocol("buf")
        await protocol.register_buffer_protocol("buf", lambda r, cb: cb(_TEXT))
        assert await _fetch_fails(ses, "buf://fake-host") == "net::ERR_FAILED"
        await protocol.register_file_protocol(
            "fil",
            lambda r, cb: cb(
                {"path": str(tmp_path / "file.txt"), "headers": {"X-Great-Header": "sogreat"}}
            ),
        )
        file_response = await ses.fetch("fil://fake-host")
        assert file_response.text() == _TEXT
        assert file_response.header("x-great-header") == "sogreat"
        assert file_response.header("access-control-allow-origin") == "*"
        assert file_response.header("content-type") == "text/plain"
        await protocol.unregister_protocol("fil")
        await protocol.register_file_protocol("fil", lambda r, cb: cb(str(tmp_path / "none")))
        assert await _fetch_fails(ses, "fil://fake-host") == "net::ERR_FILE_NOT_FOUND"
        await protocol.unregister_protocol("fil")
        await protocol.register_file_protocol("fil", lambda r, cb: cb(3))
        assert await _fetch_fails(ses, "fil://fake-host") == "net::ERR_FAILED"
        await protocol.register_buffer_protocol("empty", lambda r, cb: cb())
        assert await _fetch_fails(ses, "empty://fake-host") == "net::ERR_FAILED"
    assert calls == ["str://fake-host"]


async def test_b87_deferred_callback_and_redirect_in_the_scheme(app: cdpsession.App) -> None:
    ses = _fresh(app)
    seen: list[str] = []

    def later(request: dict[str, Any], callback: Any) -> None:
        seen.append(request["url"])

        async def answer() -> None:
            await trio.sleep(0.05)
            if request["url"] == "sp://fake-host/redirect":
                callback({"statusCode": 302, "headers": {"Location": "sp://fake-host"}})
            else:
                callback("redirected")

        app._spawn(answer)

    with trio.fail_after(30):
        await ses.protocol.register_string_protocol("sp", later)
        response = await ses.fetch("sp://fake-host/redirect")
        with pytest.raises(NetworkError, match="Redirect was cancelled"):
            await ses.fetch("sp://fake-host/redirect", {"redirect": "manual"})
    assert response.text() == "redirected"
    assert response.redirected is True
    del seen[2:]
    assert seen == ["sp://fake-host/redirect", "sp://fake-host"]


async def test_b87_intercepted_http_serves_pages_and_post_data(
    app: cdpsession.App, server: Server
) -> None:
    ses = _fresh(app)
    server.html("/", "<p>real</p>")
    posted: list[bytes] = []

    def serve(request: dict[str, Any], callback: Any) -> None:
        if request["method"] == "POST":
            posted.append(request["uploadData"][0]["bytes"])
            callback({"data": "posted", "mimeType": "text/plain"})
        else:
            callback({"data": "<title>intercepted</title>", "mimeType": "text/html"})

    with trio.fail_after(60):
        await ses.protocol.intercept_string_protocol("http", serve)
        page = await ses.open_page("http://nowhere.invalid/")
        assert await page.execute_java_script("document.title") == "intercepted"
        body = await page.execute_java_script(
            "fetch('/p', {method: 'POST', body: 'a=1'}).then(r => r.text())"
        )
        assert body == "posted"
        await ses.protocol.unintercept_protocol("http")
        await page.load_url(server.url("/"))
        assert await page.execute_java_script("document.body.innerText") == "real"
    assert posted == [b"a=1"]


async def test_b88_handle_custom_https_and_file(app: cdpsession.App, tmp_path: Path) -> None:
    ses = _fresh(app)
    seen: list[str] = []

    def echo(request: Request) -> Response:
        seen.append(request.url)
        return Response("hello " + request.url, headers={"content-type": "text/plain"})

    (tmp_path / "a.html").write_text("<p>on disk</p>")
    with trio.fail_after(60):
        await ses.protocol.handle("test-scheme", echo)
        response = await ses.fetch("test-scheme://foo/")
        assert (response.status, response.text()) == (200, "hello test-scheme://foo/")
        with pytest.raises(ValueError, match=r"^Failed to register protocol: test-scheme$"):
            await ses.protocol.handle("test-scheme", echo)
        assert ses.protocol.is_protocol_handled("test-scheme") is True
        await ses.protocol.unhandle("test-scheme")
        assert await _fetch_fails(ses, "test-scheme://foo/") == "net::ERR_UNKNOWN_URL_SCHEME"
        with pytest.raises(ValueError, match=r"^Failed to unhandle protocol: test-scheme$"):
            await ses.protocol.unhandle("test-scheme")
        await ses.protocol.handle(
            "https",
            lambda req: Response(
                f"<title>{req.url}</title>", headers={"content-type": "text/html"}
            ),
        )
        page = await ses.open_page("https://foo")
        assert await page.execute_java_script("document.title") == "https://foo/"
        assert (await ses.fetch("https://foo")).text() == "<title>https://foo/</title>"
        await ses.protocol.unhandle("https")
        await ses.protocol.handle("file", echo)
        await page.load_url((tmp_path / "a.html").as_uri())
        assert await page.execute_java_script("document.body.innerText") == (
            f"hello {(tmp_path / 'a.html').as_uri()}"
        )
    assert seen[-1] == (tmp_path / "a.html").as_uri()


async def test_b89_handler_responses_and_errors(app: cdpsession.App) -> None:
    ses = _fresh(app)
    answers: dict[str, Any] = {}
    origins: list[str | None] = []

    async def handler(request: Request) -> Any:
        origins.append(request.header("origin"))
        make = answers[request.url.rsplit("/", 1)[1]]
        return make()

    def boom() -> Response:
        raise RuntimeError("handler bug")

    answers.update(
        {
            "error": Response.error,
            "status": lambda: Response(status=[]),  # type: ignore[arg-type]
            "text": lambda: Response(status_text=False),  # type: ignore[arg-type]
            "headers": lambda: Response(headers=False),  # type: ignore[arg-type]
            "body": lambda: Response(body=False),  # type: ignore[arg-type]
            "dict": lambda: {"status": 200},
            "raise": boom,
            "201": lambda: Response(None, status=201),
            "charset": lambda: Response(
                None, headers={"content-type": "text/html; charset=testcharset"}
            ),
            "bytes": lambda: Response(b"\x00\x01binary"),
        }
    )
    with trio.fail_after(30):
        await ses.protocol.handle("test-scheme", handler)
        assert await _fetch_fails(ses, "test-scheme://foo/error") == "net::ERR_FAILED"
        for case in ("status", "text", "headers", "body", "dict", "raise"):
            assert await _fetch_fails(ses, f"test-scheme://foo/{case}") == "net::ERR_UNEXPECTED"
        assert (await ses.fetch("test-scheme://foo/201")).status == 201
        assert (await ses.fetch("test-scheme://foo/charset")).header("content-type") == (
            "text/html; charset=testcharset"
        )
        assert (await ses.fetch("test-scheme://foo/bytes")).body == b"\x00\x01binary"
        await ses.fetch("test-scheme://foo/201", {"headers": {"x-origin": "null"}})
    assert origins[-1] is None


async def test_b90_url_forms(app: cdpsession.App) -> None:
    ses = _fresh(app)
    with trio.fail_after(30):
        await ses.protocol.handle("test-scheme", lambda req: Response(req.url))
        for url in (
            "test-scheme://foo/",
            "test-scheme:///foo",
            "test-scheme://",
            "test-scheme://foo/:30",
        ):
            assert (await ses.fetch(url)).text() == url
        await ses.protocol.handle("http", lambda req: Response(req.url))
        assert (await ses.fetch("http://foo")).text() == "http://foo/"
        assert (await ses.fetch("HTTP://Foo:80/a/../b")).text() == "http://foo/b"


async def test_b91_bypass_custom_protocol_handlers(app: cdpsession.App, server: Server) -> None:
    ses = _fresh(app)
    server.html("/", "<p>real server</p>")
    with trio.fail_after(30):
        await ses.protocol.handle("http", lambda req: Response("intercepted"))
        await ses.protocol.handle("test-scheme", lambda req: Response("custom"))
        assert (await ses.fetch(server.url("/"))).text() == "intercepted"
        bypassed = await ses.fetch(server.url("/"), {"bypassCustomProtocolHandlers": True})
        assert bypassed.text() == "<p>real server</p>"
        assert (
            await _fetch_fails(ses, "test-scheme://foo/", bypassCustomProtocolHandlers=True)
            == "net::ERR_UNKNOWN_URL_SCHEME"
        )
    assert len(server.seen("/")) == 1


async def test_b92_blob_bodies_arrive_as_bytes_and_get_blob_data_is_unsupported(
    app: cdpsession.App, server: Server
) -> None:
    ses = _fresh(app)
    server.html("/", "<p>page</p>")
    server.routes["/post"] = lambda req: (200, [("Content-Type", "text/plain")], req.body)
    uploads: list[list[dict[str, bytes]]] = []
    with trio.fail_after(60):
        page = await ses.open_page(server.url("/"))
        await ses.web_request.on_before_request(
            {"urls": [server.url("/post")]}, lambda d: uploads.append(d["uploadData"])
        )
        echoed = await page.execute_java_script(
            "fetch('/post', {method: 'POST', body: new Blob(['x'.repeat(65537)])})"
            ".then(r => r.text()).then(t => t.length)"
        )
        with pytest.raises(UnsupportedError, match="blob"):
            await ses.get_blob_data("3b9bc1c0-5b3a-4a54-9bb4-2d42b7e0b6f2")
        with pytest.raises(TypeError):
            await ses.get_blob_data(3)  # type: ignore[arg-type]
    assert echoed == 65537
    assert uploads == [[{"bytes": b"x" * 65537}]]


async def test_custom_scheme_subresources_load_and_pages_do_not(
    app: cdpsession.App, server: Server
) -> None:
    ses = _fresh(app)
    server.html(
        "/",
        "<img src='app://assets/i.png'><script src='app://assets/s.js'></script>"
        "<link rel=stylesheet href='app://assets/c.css'>",
    )
    bodies = {
        "app://assets/i.png": (_PNG, "image/png"),
        "app://assets/s.js": (b"window.fromApp = 42", "text/javascript"),
        "app://assets/c.css": (b"body { color: rgb(1, 2, 3) }", "text/css"),
    }

    def serve(request: Request) -> Response:
        body, kind = bodies[request.url]
        return Response(body, headers={"content-type": kind})

    with trio.fail_after(60):
        await ses.protocol.handle("app", serve)
        page = await ses.open_page(server.url("/"))
        state = await page.execute_java_script(
            "new Promise(r => window.onload = r).then(() => 0).catch(() => 0), "
            "[document.images[0].naturalWidth, window.fromApp, "
            "getComputedStyle(document.body).color]"
        )
        with pytest.raises(UnsupportedError, match="app: pages"):
            await page.load_url("app://assets/page.html")
        fetched = await page.execute_java_script(
            "fetch('app://assets/s.js').then(() => 'loaded', e => e.message)"
        )
    assert state == [1, 42, "rgb(1, 2, 3)"]
    assert "Failed to fetch" in fetched or "not supported" in fetched


async def test_fetch_carries_the_sessions_cookies_and_reports_errors(
    app: cdpsession.App, server: Server
) -> None:
    ses = _fresh(app)
    server.routes["/api"] = lambda req: (
        200,
        [("Content-Type", "application/json")],
        json.dumps({"cookie": req.header("cookie"), "body": req.body.decode()}).encode(),
    )
    with trio.fail_after(60):
        await ses.cookies.set({"url": server.url("/"), "name": "wild_cookie", "value": "V"})
        included = await ses.fetch(server.url("/api"), {"credentials": "include"})
        plain = await ses.fetch(server.url("/api"))
        posted = await ses.fetch(
            server.url("/api"), {"method": "post", "body": "hello", "credentials": "omit"}
        )
        refused = await _fetch_fails(ses, "http://127.0.0.1:9/")
        server.routes["/moved"] = lambda _r: (302, [("Location", "/api")], b"")
        for policy, message in (
            ("manual", "Redirect was cancelled"),
            ("error", "Attempted to redirect, but redirect policy was 'error'"),
        ):
            with pytest.raises(NetworkError, match=message):
                await ses.fetch(server.url("/moved"), {"redirect": policy})
        followed = await ses.fetch(server.url("/moved"))
        with pytest.raises(TypeError, match="data: URLs"):
            await ses.fetch("data:text/plain,hi")
        with pytest.raises(TypeError, match="unknown fetch option"):
            await ses.fetch(server.url("/api"), {"credential": "include"})
        with pytest.raises(UnsupportedError, match="Cookie"):
            await ses.fetch(server.url("/api"), {"headers": {"Cookie": "a=b"}})
        with pytest.raises(TypeError, match="GET/HEAD"):
            await ses.fetch(server.url("/api"), {"body": "x"})
    assert included.json() == {"cookie": "wild_cookie=V", "body": ""}
    # Electron's default credentials, "same-origin" without an origin, include cookies.
    assert plain.json() == {"cookie": "wild_cookie=V", "body": ""}
    assert posted.json() == {"cookie": None, "body": "hello"}
    assert [r.method for r in server.seen("/api")] == ["GET", "GET", "POST", "GET"]
    assert (included.status, included.ok, included.url) == (200, True, server.url("/api"))
    assert refused == "net::ERR_UNSAFE_PORT"
    assert (followed.url, followed.redirected) == (server.url("/api"), True)
    assert len(server.seen("/moved")) == 3


async def test_protocol_bad_arguments(app: cdpsession.App) -> None:
    protocol = _fresh(app).protocol
    with pytest.raises(ValueError, match="not a URL scheme"):
        await protocol.handle("Bad Scheme", lambda r: Response())
    with pytest.raises(TypeError, match="scheme must be a str"):
        protocol.is_protocol_handled(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callable"):
        await protocol.handle("x-ok", "nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="served by Chromium"):
        await protocol.handle("data", lambda r: Response())
    with pytest.raises(ValueError, match="intercept"):
        await protocol.register_string_protocol("https", lambda r, cb: cb(""))


async def test_handlers_pass_requests_through_and_odd_statuses(
    app: cdpsession.App, server: Server
) -> None:
    ses = _fresh(app)
    server.html("/", "<title>real</title>")
    headers_seen: list[tuple[str, int]] = []

    async def through(request: Request) -> Response:
        return await ses.fetch(request, {"bypassCustomProtocolHandlers": True})

    with trio.fail_after(60):
        await ses.protocol.handle("http", through)
        page = await ses.open_page(server.url("/"))
        assert await page.execute_java_script("document.title") == "real"
        await ses.protocol.unhandle("http")
        await ses.protocol.intercept_http_protocol("http", lambda req, cb: cb({"url": req["url"]}))
        await page.load_url(server.url("/"))
        assert await page.execute_java_script("document.title") == "real"
        await ses.protocol.unintercept_protocol("http")

        # on_headers_received sees (and may change) what a handler answers.
        def seen_it(details: dict[str, Any]) -> dict[str, Any]:
            headers_seen.append((details["url"], details["statusCode"]))
            return {"responseHeaders": {**details["responseHeaders"], "X-Seen": ["yes"]}}

        await ses.web_request.on_headers_received(seen_it)
        await ses.protocol.handle(
            "https",
            lambda req: Response(
                "x",
                status=599 if req.url.endswith("/odd") else 200,
                headers={"content-type": "text/html"},
            ),
        )
        await page.load_url("https://app.invalid/")
        odd = await page.execute_java_script(
            "fetch('/odd').then(r => [r.status, r.headers.get('x-seen')])"
        )
    assert odd == [599, "yes"]
    assert ("https://app.invalid/odd", 599) in headers_seen


async def test_a_body_too_big_for_cdp_fails_only_its_request(app: cdpsession.App) -> None:
    ses = _fresh(app)
    big = b"x" * (80 * 1024 * 1024)
    with trio.fail_after(90):
        await ses.protocol.handle(
            "https",
            lambda req: Response(
                big if req.url.endswith("/big") else "<p>hi</p>",
                headers={"content-type": "text/html"},
            ),
        )
        page = await ses.open_page("https://app.invalid/")
        outcome = await page.execute_java_script(
            "fetch('/big').then(r => r.arrayBuffer()).then(b => b.byteLength, e => e.message)"
        )
        after = await page.execute_java_script("fetch('/').then(r => r.text())")
    assert "Failed to fetch" in outcome
    assert after == "<p>hi</p>"


def _extension_renderers(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    argv: dict[int, bytes] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv[int(entry)] = f.read()
        except OSError:
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            todo.append(pid)
            if b"--type=renderer" in argv[pid] and b"--extension-process" in argv[pid]:
                found.append(pid)
    return found


async def test_fetch_cookie_watch_and_login_survive_a_crash_of_the_helper_extension(
    app: cdpsession.App, server: Server
) -> None:
    ses = _fresh(app)
    server.html("/", "ok")
    server.routes["/auth"] = lambda req: (
        (200, [("Content-Type", "text/plain")], b"authenticated")
        if req.header("authorization")
        else (401, [("WWW-Authenticate", 'Basic realm="r"')], b"denied")
    )
    changes: list[str] = []
    ses.cookies.on("changed", lambda _e, c, cause, _r: changes.append(f"{c['name']} {cause}"))

    def login(event: cdpsession.Event, *args: Any) -> tuple[str, str]:
        event.prevent_default()
        return ("user", "pw")

    ses.on("login", login)
    with trio.fail_after(60):
        assert (await ses.fetch(server.url("/"))).text() == "ok"
        renderers = _extension_renderers(os.getpid())
        assert renderers
        for pid in renderers:
            os.kill(pid, signal.SIGKILL)
        try:
            first = (await ses.fetch(server.url("/"))).text()
        except NetworkError as exc:  # the worker died under this one
            assert "the helper extension stopped" in str(exc)  # noqa: PT017
            first = "failed"
        assert first in ("ok", "failed")
        assert (await ses.fetch(server.url("/"))).text() == "ok"
        await ses.cookies.set({"url": server.url("/"), "name": "after", "value": "crash"})
        while "after inserted" not in changes:  # noqa: ASYNC110 - events from the browser
            await trio.sleep(0.02)
        page = await ses.open_page(server.url("/auth"))
        assert await page.execute_java_script("document.body.innerText") == "authenticated"


async def test_fetch_and_response_refuse_what_the_web_refuses(
    app: cdpsession.App, server: Server
) -> None:
    ses = _fresh(app)
    server.html("/", "ok")
    for init, message in (
        ({"method": "CONNECT"}, "unsupported"),
        ({"headers": {"X-A": "日本"}}, "latin-1"),
        ({"cache": "only-if-cached"}, "only-if-cached"),
    ):
        with pytest.raises(TypeError, match=message):
            await ses.fetch(server.url("/"), init)
    with pytest.raises(TypeError, match="CR, LF or NUL"):
        Response(headers={"X-R": "a\x00Set-Cookie: injected=1"})
    with pytest.raises(TypeError, match="not a valid HTTP header name"):
        Response(headers={"Bad Name": "x"})


async def test_a_handled_redirect_to_http_says_redirected(
    app: cdpsession.App, server: Server
) -> None:
    ses = _fresh(app)
    server.html("/", "landed")
    with trio.fail_after(30):
        await ses.protocol.handle(
            "go", lambda req: Response(status=302, headers={"location": server.url("/")})
        )
        response = await ses.fetch("go://x/")
    assert (response.text(), response.url, response.redirected) == (
        "landed",
        server.url("/"),
        True,
    )


async def test_fetch_of_a_file_url_that_names_no_regular_file(
    app: cdpsession.App, tmp_path: Any
) -> None:
    ses = _fresh(app)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with trio.fail_after(30):
        assert await _fetch_fails(ses, (tmp_path / "missing").as_uri()) == (
            "net::ERR_FILE_NOT_FOUND"
        )
        assert await _fetch_fails(ses, tmp_path.as_uri()) == "net::ERR_FILE_NOT_FOUND"
        # Its read would wait for a writer for ever.
        assert await _fetch_fails(ses, fifo.as_uri()) == "net::ERR_ACCESS_DENIED"
