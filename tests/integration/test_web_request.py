"""ses.web_request against real Chromium: Electron behaviours #74-#85 and the request scope."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import urllib.parse
from typing import Any

import pytest
import trio

import cdpsession
from cdpsession import JavaScriptError

from .conftest import Request, Server

pytestmark = pytest.mark.integration

_names = itertools.count()

# The page's fetch, as Electron's spec fixture pages/fetch.html has it: body and headers back.
_AJAX = """
(url, options) => fetch(url, options).then(async (r) => ({
    data: await r.text(),
    status: r.status,
    statusText: r.statusText,
    headers: Object.fromEntries(r.headers),
}))
"""


def _fresh(app: cdpsession.App) -> cdpsession.Session:
    return app.session.from_partition(f"web-request-{next(_names)}")


def _echo_path(req: Request) -> tuple[int, list[tuple[str, str]], bytes]:
    # As Electron's spec server: the path back, a Custom header, markers for request headers.
    body = req.path
    if req.header("accept") == "*/*;test/header":
        body += "header/received"
    if req.header("origin") == "http://new-origin":
        body += "new/origin"
    return 200, [("Content-Type", "text/plain"), ("Custom", "Header")], body.encode()


def _serve_paths(server: Server, *paths: str) -> None:
    for path in paths:
        server.routes[path] = _echo_path


async def _page(ses: cdpsession.Session, server: Server) -> cdpsession.WebContents:
    server.html("/", "<p>page</p>")
    return await ses.open_page(server.url("/"))


async def _ajax(
    page: cdpsession.WebContents, url: str, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = await page.execute_java_script(
        f"({_AJAX})({json.dumps(url)}, {json.dumps(options or {})})"
    )
    return result


async def _fails(
    page: cdpsession.WebContents, url: str, options: dict[str, Any] | None = None
) -> str:
    with pytest.raises(JavaScriptError) as info:
        await _ajax(page, url, options)
    return str(info.value)


def _cancel(_details: dict[str, Any], callback: Any) -> None:
    callback({"cancel": True})


def _cancel_recording(urls: list[str]) -> Any:
    def listener(details: dict[str, Any], callback: Any) -> None:
        urls.append(details["url"])
        callback({"cancel": True})

    return listener


async def test_b74_cancel_and_url_filters(app: cdpsession.App, server: Server) -> None:
    ses = _fresh(app)
    _serve_paths(server, "/nofilter/test", "/nofilter2/test", "/filter/test")
    errors: list[str] = []
    with trio.fail_after(60):
        page = await _page(ses, server)
        await ses.web_request.on_error_occurred(lambda d: errors.append(d["error"]))
        await ses.web_request.on_before_request(_cancel)
        assert "Failed to fetch" in await _fails(page, server.url("/nofilter/test"))
        assert "Failed to fetch" in await _fails(page, server.url("/nofilter2/test"))
        assert errors[-1] == "net::ERR_BLOCKED_BY_CLIENT"
        await ses.web_request.on_before_request({"urls": [server.url("/filter/*")]}, _cancel)
        assert (await _ajax(page, server.url("/nofilter/test")))["data"] == "/nofilter/test"
        await _fails(page, server.url("/filter/test"))
        await ses.web_request.on_before_request({"urls": ["<all_urls>"]}, _cancel)
        await _fails(page, server.url("/filter/test"))
        await _fails(page, server.url("/nofilter/test"))
        await ses.web_request.on_before_request(None)
        assert (await _ajax(page, server.url("/filter/test")))["data"] == "/filter/test"
    assert server.seen("/nofilter2/test") == []


async def test_b75_exclude_urls_and_types(app: cdpsession.App, server: Server) -> None:
    ses = _fresh(app)
    paths = ("/filter/test", "/filter/exclude1/test", "/filter/exclude2/test", "/nofilter/test")
    _serve_paths(server, *paths, "/exclude/test")
    base = server.url("")
    with trio.fail_after(60):
        page = await _page(ses, server)
        web = ses.web_request
        await web.on_before_request(
            {"urls": [base + "/filter/*"], "excludeUrls": [base + "/filter/test"]}, _cancel
        )
        assert (await _ajax(page, base + "/filter/test"))["data"] == "/filter/test"
        await web.on_before_request(
            {
                "urls": [base + "/filter/*"],
                "excludeUrls": [base + "/filter/exclude1/*", base + "/filter/exclude2/*"],
            },
            _cancel,
        )
        assert (await _ajax(page, base + "/filter/exclude1/test"))["data"] == (
            "/filter/exclude1/test"
        )
        assert (await _ajax(page, base + "/filter/exclude2/test"))["data"] == (
            "/filter/exclude2/test"
        )
        await _fails(page, base + "/filter/test")
        await web.on_before_request({"urls": [base + "/filter/*"], "excludeUrls": []}, _cancel)
        await _fails(page, base + "/filter/test")
        await web.on_before_request({"urls": [base + "/filter/*"], "types": ["xhr"]}, _cancel)
        assert (await _ajax(page, base + "/nofilter/test"))["data"] == "/nofilter/test"
        await _fails(page, base + "/filter/test")
        await web.on_before_request(
            {"urls": [base + "/filter/*"], "types": ["stylesheet"]}, _cancel
        )
        assert (await _ajax(page, base + "/filter/test"))["data"] == "/filter/test"
        await web.on_before_request(
            {
                "urls": [base + "/filter/*"],
                "excludeUrls": [base + "/exclude/*"],
                "types": ["xhr"],
            },
            _cancel,
        )
        assert (await _ajax(page, base + "/exclude/test"))["data"] == "/exclude/test"
        await _fails(page, base + "/filter/test")


async def test_b76_details_of_a_get_and_of_a_post(app: cdpsession.App, server: Server) -> None:
    ses = _fresh(app)
    _serve_paths(server, "/")
    seen: list[dict[str, Any]] = []

    def record(details: dict[str, Any], callback: Any) -> None:
        if not details["url"].endswith("/favicon.ico"):  # headless Chromium's own request
            seen.append(details)
        callback({})

    with trio.fail_after(60):
        page = await _page(ses, server)
        await ses.web_request.on_before_request(record)
        assert (await _ajax(page, server.url("/")))["data"] == "<p>page</p>"
        get = seen[-1]
        body = urllib.parse.urlencode({"name": "post test", "type": "string"})

        def record_and_cancel(details: dict[str, Any], callback: Any) -> None:
            record(details, lambda _: None)
            callback({"cancel": True})

        await ses.web_request.on_before_request(record_and_cancel)
        await _fails(
            page,
            server.url("/"),
            {
                "method": "POST",
                "body": body,
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
        )
        post = seen[-1]
    assert isinstance(get["id"], int)
    assert isinstance(get["timestamp"], float)
    assert get["webContentsId"] == page.id
    assert get["webContents"] is page
    assert get["url"] == server.url("/")
    assert get["method"] == "GET"
    assert get["resourceType"] == "xhr"
    assert get["referrer"] == server.url("/")
    assert "uploadData" not in get
    assert post["method"] == "POST"
    assert len(post["uploadData"]) == 1
    assert urllib.parse.parse_qs(post["uploadData"][0]["bytes"].decode()) == {
        "name": ["post test"],
        "type": ["string"],
    }
    assert server.seen("/")
    assert all(r.method == "GET" for r in server.seen("/"))


async def test_b77_redirect_reports_307_internal_redirect(
    app: cdpsession.App, server: Server, tmp_path: Any
) -> None:
    ses = _fresh(app)
    _serve_paths(server, "/start", "/redirect")
    redirects: list[dict[str, Any]] = []
    file_seen: list[str] = []
    with trio.fail_after(60):
        page = await _page(ses, server)
        target = server.url("/redirect")

        def redirect(details: dict[str, Any], callback: Any) -> None:
            if details["url"] == server.url("/start"):
                callback({"redirectURL": target})
            else:
                callback({})

        await ses.web_request.on_before_request(redirect)
        await ses.web_request.on_before_redirect(redirects.append)
        assert (await _ajax(page, server.url("/start")))["data"] == "/redirect"
        # file:// requests pass through on_before_request and on_before_send_headers too.
        (tmp_path / "blank.html").write_text("<p>file</p>")
        file_url = (tmp_path / "blank.html").as_uri()
        await ses.web_request.on_before_request(_cancel_recording(file_seen))
        with pytest.raises(cdpsession.NavigationError) as info:
            await page.load_url(file_url)
        assert info.value.error_text == "net::ERR_BLOCKED_BY_CLIENT"
    assert server.seen("/start") == []
    (redirected,) = redirects
    assert redirected["statusCode"] == 307
    assert redirected["statusLine"] == "HTTP/1.1 307 Internal Redirect"
    assert redirected["redirectURL"] == target
    assert redirected["url"] == server.url("/start")
    assert redirected["fromCache"] is False
    assert file_seen == [file_url]


async def test_b78_request_headers_seen_and_changed(app: cdpsession.App, server: Server) -> None:
    ses = _fresh(app)
    _serve_paths(server, "/", "/h")
    seen: list[dict[str, str]] = []
    with trio.fail_after(60):
        page = await _page(ses, server)

        def look(details: dict[str, Any], callback: Any) -> None:
            if details["url"] == server.url("/h"):
                seen.append(details["requestHeaders"])
            callback({})

        await ses.web_request.on_before_send_headers(look)
        assert (await _ajax(page, server.url("/h"), {"headers": {"Foo.Bar": "baz"}}))[
            "data"
        ] == "/h"

        def accept(details: dict[str, Any], callback: Any) -> None:
            headers = details["requestHeaders"]
            headers["Accept"] = "*/*;test/header"
            callback({"requestHeaders": headers})

        await ses.web_request.on_before_send_headers(accept)
        assert (await _ajax(page, server.url("/h")))["data"] == "/hheader/received"

        def origin(details: dict[str, Any], callback: Any) -> None:
            headers = details["requestHeaders"]
            headers["Origin"] = "http://new-origin"
            callback({"requestHeaders": headers})

        await ses.web_request.on_before_send_headers(origin)
        assert (await _ajax(page, server.url("/h")))["data"] == "/hnew/origin"
    assert seen[0]["Foo.Bar"] == "baz"


async def test_b79_invalid_headers_dropped_and_whole_set_replaced(
    app: cdpsession.App, server: Server, tmp_path: Any
) -> None:
    ses = _fresh(app)
    _serve_paths(server, "/h")
    sent: list[dict[str, str]] = []
    original: list[dict[str, str]] = []
    with trio.fail_after(60):
        page = await _page(ses, server)

        def invalid(details: dict[str, Any], callback: Any) -> None:
            headers = details["requestHeaders"]
            headers["Invalid Header"] = "valid-value"
            headers["Valid-Header"] = "invalid\r\nvalue"
            headers["X-Good"] = "good-value"
            callback({"requestHeaders": headers})

        await ses.web_request.on_before_send_headers(invalid)
        await ses.web_request.on_send_headers(lambda d: sent.append(d["requestHeaders"]))
        assert (await _ajax(page, server.url("/h")))["data"] == "/h"
        dropped = sent[-1]
        wire = server.seen("/h")[-1]
        await ses.web_request.on_before_send_headers(
            lambda d, cb: cb({"requestHeaders": {"Test": "header"}})
        )
        await _ajax(page, server.url("/h"))
        replaced = sent[-1]
        replaced_wire = server.seen("/h")[-1]

        def keep(details: dict[str, Any], callback: Any) -> None:
            original.append(dict(details["requestHeaders"]))
            callback({})

        await ses.web_request.on_before_send_headers(keep)
        await _ajax(page, server.url("/h"))
        unchanged = sent[-1]
        # And for file://.
        (tmp_path / "blank.html").write_text("<p>file</p>")
        await ses.web_request.on_before_send_headers(
            lambda d, cb: cb({"requestHeaders": {"Test": "header"}})
        )
        await page.load_url((tmp_path / "blank.html").as_uri())
        file_sent = sent[-1]
    assert "Invalid Header" not in dropped
    assert "Valid-Header" not in dropped
    assert dropped["X-Good"] == "good-value"
    assert wire.header("x-good") == "good-value"
    assert wire.header("valid-header") is None
    assert replaced == {"Test": "header"}
    assert replaced_wire.header("test") == "header"
    assert replaced_wire.header("accept") is None  # the page's Accept went with the old set
    assert unchanged == original[-1]
    assert file_sent == {"Test": "header"}


async def test_b80_response_headers_seen_and_changed(app: cdpsession.App, server: Server) -> None:
    ses = _fresh(app)
    _serve_paths(server, "/", "/r")
    disposition = "attachment; filename=aa中aa.txt"
    server.routes["/cd"] = lambda _r: (
        200,
        [("content-disposition", disposition.encode().decode("latin-1"))],
        b"/cd",
    )
    server.routes["/serverRedirect"] = lambda _r: (301, [("Location", server.url("/r"))], b"")
    received: list[dict[str, Any]] = []
    started: list[dict[str, Any]] = []
    completed: list[dict[str, Any]] = []
    with trio.fail_after(60):
        page = await _page(ses, server)
        web = ses.web_request

        def look(details: dict[str, Any], callback: Any) -> None:
            if not details["url"].endswith("/favicon.ico"):  # headless Chromium's own
                received.append(details)
            callback({})

        await web.on_headers_received(look)
        await web.on_response_started(started.append)
        await web.on_completed(completed.append)
        plain = await _ajax(page, server.url("/r"))
        first = received[-1]
        await _ajax(page, server.url("/cd"))
        cd_details = received[-1]
        cd_page = await page.execute_java_script(
            "fetch('/cd').then(r => r.headers.get('content-disposition'))"
        )

        def change(details: dict[str, Any], callback: Any) -> None:
            headers = details["responseHeaders"]
            headers["Custom"] = ["Changed"]
            headers["access-control-allow-origin"] = ["http://new-origin"]
            callback({"responseHeaders": headers})

        await web.on_headers_received(change)
        changed = await _ajax(page, server.url("/r"))
        await web.on_headers_received(
            lambda d, cb: cb(
                {"responseHeaders": d["responseHeaders"], "statusLine": "HTTP/1.1 404 Not Found"}
            )
        )
        status_changed = await _ajax(page, server.url("/r"))
        await web.on_headers_received(lambda d, cb: cb({"statusLine": "HTTP/1.1 404 Not Found"}))
        status_alone = await _ajax(page, server.url("/r"))
        await web.on_headers_received(lambda d, cb: cb({"responseHeaders": d["responseHeaders"]}))
        followed = await _ajax(page, server.url("/serverRedirect"))
    assert first["statusLine"] == "HTTP/1.1 200 OK"
    assert first["statusCode"] == 200
    assert first["responseHeaders"]["Custom"] == ["Header"]
    assert plain["headers"]["custom"] == "Header"
    # Decoded for the listener, untouched for the page.
    assert cd_details["responseHeaders"]["content-disposition"] == [disposition]
    assert cd_page == disposition.encode().decode("latin-1")
    assert changed["headers"]["custom"] == "Changed"
    assert changed["headers"]["access-control-allow-origin"] == "http://new-origin"
    assert status_changed["status"] == 404
    assert status_changed["headers"]["custom"] == "Header"
    assert status_alone["status"] == 200
    assert followed["data"] == "/r"
    assert followed["headers"]["custom"] == "Header"
    r_started = [d for d in started if d["url"] == server.url("/r")]
    assert r_started[0]["statusLine"] == "HTTP/1.1 200 OK"
    assert r_started[0]["statusCode"] == 200
    assert r_started[0]["responseHeaders"]["Custom"] == ["Header"]
    assert r_started[0]["fromCache"] is False
    assert r_started[0]["ip"] == "127.0.0.1"
    r_completed = [d for d in completed if d["url"] == server.url("/r")]
    assert r_completed[0]["statusCode"] == 200
    assert r_completed[0]["statusLine"] == "HTTP/1.1 200 OK"
    assert r_completed[0]["error"] == "net::OK"
    assert r_completed[0]["id"] == r_started[0]["id"]


async def test_b82_filter_and_listener_errors(app: cdpsession.App) -> None:
    web = _fresh(app).web_request
    with pytest.raises(
        TypeError, match=r"^Invalid url pattern \*://www.googleapis.com: Empty path\.$"
    ):
        await web.on_before_request({"urls": ["*://www.googleapis.com"]}, _cancel)
    with pytest.raises(
        TypeError, match=r"^Invalid url pattern http://a\*b/: Invalid host wildcard\.$"
    ):
        await web.on_before_request(
            {"urls": ["*://www.googleapis.com/", "http://a*b/", "nope"]}, _cancel
        )
    await web.on_before_request({"urls": ["*://www.googleapis.com/"]}, _cancel)
    with pytest.raises(TypeError, match=r"^Parameter 'filter' must have property 'urls'\.$"):
        await web.on_before_request({}, _cancel)
    for kind in ("other", "bogus"):
        with pytest.raises(TypeError, match=rf"^Invalid type {kind}$"):
            await web.on_before_request({"urls": ["<all_urls>"], "types": [kind]}, _cancel)
    with pytest.raises(TypeError, match=r"^Must pass null or a Function$"):
        await web.on_completed({"urls": ["<all_urls>"]}, "not a function")
    with pytest.raises(TypeError, match=r"^Must pass null or a Function$"):
        await web.on_completed(42)
    with pytest.raises(TypeError, match="excludeUrls"):
        await web.on_completed({"urls": ["<all_urls>"], "excludeUrls": "http://a/*"}, print)


async def test_b82_empty_urls_match_everything(app: cdpsession.App, server: Server) -> None:
    ses = _fresh(app)
    _serve_paths(server, "/any")
    with trio.fail_after(60):
        page = await _page(ses, server)
        await ses.web_request.on_before_request({"urls": []}, _cancel)
        await _fails(page, server.url("/any"))
    assert server.seen("/any") == []


async def test_b83_session_fetch_hits_on_before_request(
    app: cdpsession.App, server: Server, tmp_path: Any
) -> None:
    ses = _fresh(app)
    _serve_paths(server, "/net")
    (tmp_path / "f.txt").write_text("file text")
    seen: list[str] = []
    with trio.fail_after(60):
        await ses.protocol.handle("test-scheme", lambda req: cdpsession.Response("handled"))
        await ses.web_request.on_before_request(_cancel_recording(seen))
        for url in (server.url("/net"), (tmp_path / "f.txt").as_uri(), "test-scheme://app/x"):
            with pytest.raises(cdpsession.NetworkError) as info:
                await ses.fetch(url)
            assert info.value.error_text == "net::ERR_BLOCKED_BY_CLIENT"
        with pytest.raises(cdpsession.NetworkError):
            await ses.fetch(server.url("/net"), {"bypassCustomProtocolHandlers": True})
        await ses.web_request.on_before_request(None)
        assert (await ses.fetch(server.url("/net"))).text() == "/net"
        assert (await ses.fetch((tmp_path / "f.txt").as_uri())).text() == "file text"
    assert seen == [
        server.url("/net"),
        (tmp_path / "f.txt").as_uri(),
        "test-scheme://app/x",
        server.url("/net"),
    ]
    assert len(server.seen("/net")) == 1


async def test_b84_http_protocol_fetches_through_the_handling_session(
    app: cdpsession.App, server: Server
) -> None:
    ses = _fresh(app)
    other = app.session.default_session
    _serve_paths(server, "/upstream")
    mine: list[str] = []
    theirs: list[str] = []
    with trio.fail_after(60):
        await other.web_request.on_before_request(lambda d: theirs.append(d["url"]))
        await ses.web_request.on_before_request(lambda d: mine.append(d["url"]))
        await ses.protocol.register_http_protocol(
            "forward", lambda req, cb: cb({"url": server.url("/upstream")})
        )
        response = await ses.fetch("forward://x/")
    assert response.text() == "/upstream"
    assert mine == ["forward://x/", server.url("/upstream")]
    assert theirs == []


async def test_requests_of_frames_workers_and_service_workers(
    app: cdpsession.App, server: Server, other_server: Server
) -> None:
    ses = _fresh(app)
    other_ses = _fresh(app)
    server.html(
        "/scope/page",
        f"""<iframe src="{other_server.url("/frame")}"></iframe><script>
        new Worker('/scope/worker.js');
        navigator.serviceWorker.register('/scope/sw.js');
        </script>""",
    )
    other_server.html("/frame", "<script>fetch('/from-frame')</script>")
    server.js("/scope/worker.js", "fetch('/from-worker')")
    server.js(
        "/scope/sw.js",
        "self.addEventListener('install', (e) => e.waitUntil(fetch('/from-sw')));",
    )
    for path in ("/from-worker", "/from-sw"):
        server.html(path, "ok")
    other_server.html("/from-frame", "ok")
    seen: list[tuple[str, str, int | None]] = []
    other_seen: list[str] = []
    with trio.fail_after(60):
        await other_ses.web_request.on_before_request(lambda d: other_seen.append(d["url"]))
        await ses.web_request.on_before_request(
            {"urls": ["http://*/*"]},
            lambda d: seen.append((d["url"], d["resourceType"], d.get("webContentsId"))),
        )
        page = await ses.open_page(server.url("/scope/page"))
        await other_ses.open_page(server.url("/scope/page"))
        wanted = {
            server.url("/from-worker"),
            server.url("/from-sw"),
            other_server.url("/from-frame"),
        }
        while not wanted <= {url for url, _, _ in seen}:  # noqa: ASYNC110 - browser events
            await trio.sleep(0.05)
    by_url = {url: (kind, wc) for url, kind, wc in seen}
    assert by_url[server.url("/scope/page")] == ("mainFrame", page.id)
    assert by_url[other_server.url("/frame")] == ("subFrame", page.id)
    assert by_url[other_server.url("/from-frame")] == ("xhr", page.id)
    assert by_url[server.url("/scope/worker.js")][1] == page.id
    assert by_url[server.url("/from-worker")] == ("xhr", page.id)
    assert by_url[server.url("/scope/sw.js")] == ("script", None)
    assert by_url[server.url("/from-sw")] == ("xhr", None)
    # The other session's listener saw its own page's requests, none of this one's pages.
    assert server.url("/scope/page") in other_seen
    assert len([u for u, _, _ in seen if u == server.url("/scope/page")]) == 1


async def test_b81_websocket_handshakes_reach_the_observers(
    app: cdpsession.App, server: Server
) -> None:
    from websockets.sync.server import ServerConnection, serve  # noqa: PLC0415

    def echo(connection: ServerConnection) -> None:
        for message in connection:
            if message == "foo":
                connection.send("bar")

    ses = _fresh(app)
    sent: list[dict[str, Any]] = []
    started: list[dict[str, Any]] = []
    completed: list[dict[str, Any]] = []
    with serve(echo, "127.0.0.1", 0) as ws_server:
        thread = threading.Thread(target=ws_server.serve_forever, daemon=True)
        thread.start()
        ws_url = f"ws://127.0.0.1:{ws_server.socket.getsockname()[1]}/websocket"
        try:
            with trio.fail_after(60):
                page = await _page(ses, server)
                await ses.web_request.on_send_headers(sent.append)
                await ses.web_request.on_response_started(started.append)
                await ses.web_request.on_completed(completed.append)
                reply = await page.execute_java_script(
                    f"""new Promise((resolve, reject) => {{
                        const ws = new WebSocket({json.dumps(ws_url)});
                        ws.onopen = () => ws.send('foo');
                        ws.onmessage = (e) => {{ resolve(e.data); ws.close(); }};
                        ws.onerror = () => reject(new Error('ws failed'));
                    }})"""
                )
                while not [d for d in completed if d["url"] == ws_url]:  # noqa: ASYNC110
                    await trio.sleep(0.02)
                with pytest.raises(cdpsession.UnsupportedError, match="WebSocket"):
                    await ses.web_request.on_before_request(
                        {"urls": ["<all_urls>"], "types": ["webSocket"]}, _cancel
                    )
        finally:
            ws_server.shutdown()
    assert reply == "bar"
    (ws_sent,) = [d for d in sent if d["url"] == ws_url]
    assert ws_sent["requestHeaders"]["Upgrade"] == "websocket"
    assert ws_sent["resourceType"] == "webSocket"
    assert ws_sent["webContentsId"] == page.id
    (ws_started,) = [d for d in started if d["url"] == ws_url]
    assert ws_started["statusCode"] == 101
    assert ws_started["responseHeaders"]["Connection"] == ["Upgrade"]
    (ws_completed,) = [d for d in completed if d["url"] == ws_url]
    assert ws_completed["error"] == "net::ERR_WS_UPGRADE"
    assert ws_completed["id"] == ws_started["id"] == ws_sent["id"]
    page_completed = [d for d in completed if d["url"] == server.url("/")]
    assert all(d["error"] == "net::OK" for d in page_completed)


class _BoomError(Exception):
    pass


async def test_a_listener_exception_fails_its_request_and_ends_the_app(
    data_dir: str, server: Server
) -> None:
    _serve_paths(server, "/boom")

    def boom(_details: dict[str, Any]) -> None:
        raise _BoomError("listener bug")

    with trio.fail_after(60), pytest.raises(_BoomError):  # noqa: PT012 - the app ends by it
        async with cdpsession.open_app(data_dir) as app:
            ses = _fresh(app)
            page = await _page(ses, server)
            await ses.web_request.on_before_request({"urls": [server.url("/boom")]}, boom)
            await _fails(page, server.url("/boom"))  # the app ends before or after this
            await trio.sleep_forever()
    assert server.seen("/boom") == []


async def test_a_listener_that_never_answers_does_not_hold_the_app(
    data_dir: str, server: Server
) -> None:
    _serve_paths(server, "/held")
    waiting = trio.Event()

    async def never(_details: dict[str, Any], _callback: Any) -> None:
        waiting.set()
        await trio.sleep_forever()

    with trio.fail_after(30):
        async with cdpsession.open_app(data_dir) as app:
            ses = _fresh(app)
            page = await _page(ses, server)
            await ses.web_request.on_before_request({"urls": [server.url("/held")]}, never)
            await page.execute_java_script("fetch('/held'); 1")
            await waiting.wait()
    assert server.seen("/held") == []


def _phraseless_server() -> tuple[socket.socket, str]:
    """A server whose status line has no reason phrase (as every HTTP/2 response)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)

    def serve() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 200\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
                    b"Access-Control-Allow-Origin: *\r\nConnection: close\r\n\r\nok"
                )

    threading.Thread(target=serve, daemon=True).start()
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}/"


async def test_answers_chromium_would_refuse_as_given_still_go_through(
    app: cdpsession.App, server: Server
) -> None:
    ses = _fresh(app)
    _serve_paths(server, "/h")
    sock, phraseless = _phraseless_server()
    try:
        with trio.fail_after(60):
            page = await _page(ses, server)
            await ses.web_request.on_headers_received(
                lambda d: {"responseHeaders": {**d["responseHeaders"], "X-Added": ["1"]}}
            )
            fetched = await ses.fetch(phraseless)
            from_page = await _ajax(page, phraseless)
            await ses.web_request.on_headers_received(
                {"urls": [server.url("/h")]},
                lambda d: {"responseHeaders": d["responseHeaders"], "statusLine": "HTTP/1.1 599"},
            )
            odd_status = await _ajax(page, server.url("/h"))
            await ses.web_request.on_headers_received(None)
            # Headers Chromium lets no client set are dropped; the request goes on.
            await ses.web_request.on_before_send_headers(
                lambda d: {
                    "requestHeaders": {**d["requestHeaders"], "Host": "example.com", "X-Ok": "1"}
                }
            )
            unsafe = await _ajax(page, server.url("/h"))
    finally:
        sock.close()
    assert (fetched.text(), fetched.header("x-added")) == ("ok", "1")
    assert (from_page["status"], from_page["data"]) == (200, "ok")
    assert (odd_status["status"], odd_status["statusText"]) == (599, "Server Error")
    assert unsafe["data"] == "/h"
    wire = server.seen("/h")[-1]
    assert wire.header("x-ok") == "1"
    assert wire.header("host") == f"127.0.0.1:{server.port}"


async def test_listener_styles(app: cdpsession.App, server: Server) -> None:
    ses = _fresh(app)
    _serve_paths(server, "/a", "/b")
    seen: list[str] = []

    def with_default(details: dict[str, Any], log: Any = None) -> None:
        seen.append(details["url"])  # takes no callback: answers by returning None

    async def later(details: dict[str, Any], callback: Any) -> None:
        await trio.sleep(0.01)
        callback({"cancel": details["url"].endswith("/b")})

    with trio.fail_after(30):
        page = await _page(ses, server)
        await ses.web_request.on_before_request({"urls": [server.url("/a")]}, with_default)
        assert (await _ajax(page, server.url("/a")))["data"] == "/a"
        await ses.web_request.on_before_request(later)
        assert (await _ajax(page, server.url("/a")))["data"] == "/a"
        await _fails(page, server.url("/b"))
    assert seen == [server.url("/a")]
