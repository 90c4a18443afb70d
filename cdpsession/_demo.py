"""``cdpsession demo``: partitions, persistence, the user agent, cookies, proxies, on loopback."""

from __future__ import annotations

import http.server
import os
import shutil
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Sequence
from importlib import resources
from typing import Any

import trio

from ._app import open_app

_LABELS = (
    ("default session", ""),
    ("persist:shop", "persist:shop"),
    ("in-memory 'scratch'", "scratch"),
)


_REPORT = b"".join(b"%d,item %d,%d\n" % (i, i, i * 7) for i in range(5000))


class _DemoHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str, str, str]]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        self.seen.append(
            (
                url.path,
                self.headers.get("User-Agent", ""),
                self.headers.get("Accept-Language", ""),
                self.headers.get("X-Demo", ""),
            )
        )
        headers = [("Content-Type", "text/html; charset=utf-8")]
        if url.path == "/set" and "who" in query:
            who = urllib.parse.quote(query["who"][0])
            headers.append(("Set-Cookie", f"who={who}; Max-Age=3600; Path=/; SameSite=Lax"))
        body = resources.files("cdpsession").joinpath("_demo_site/index.html").read_bytes()
        if url.path == "/ads/banner.js":
            body = b"document.title = 'an ad ran'"
            headers = [("Content-Type", "text/javascript")]
        if url.path == "/report.csv":
            body = _REPORT
            headers = [
                ("Content-Type", "text/csv"),
                ("Content-Disposition", 'attachment; filename="report.csv"'),
                ("ETag", '"r1"'),
            ]
        if url.path not in ("/", "/set", "/read", "/ads/banner.js", "/report.csv"):
            self.send_response(404)
            body = b"not found"
        else:
            self.send_response(200)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _DemoProxy(http.server.BaseHTTPRequestHandler):
    """A forward proxy that answers requests itself: the page text names the proxy."""

    protocol_version = "HTTP/1.1"
    name = "proxy"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        body = f"via {self.name}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _serve(handler: type[http.server.BaseHTTPRequestHandler]) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


_READ_JS = "JSON.stringify([document.cookie, localStorage.getItem('who')])"


async def _visit(app: Any, partition: str, url: str) -> tuple[str, str | None]:
    ses = app.session.from_partition(partition)
    page = await ses.open_page(url)
    try:
        import json  # noqa: PLC0415

        cookie, stored = json.loads(await page.execute_java_script(_READ_JS))
        return cookie, stored
    finally:
        await page.close()


async def run_demo(out: Any = None) -> int:
    """Run the demo, print its report, return the process exit code (0: every check held)."""
    import sys  # noqa: PLC0415

    out = out or sys.stdout
    seen: list[tuple[str, str, str, str]] = []
    server = _serve(type("Handler", (_DemoHandler,), {"seen": seen}))
    proxies = [_serve(type("Proxy", (_DemoProxy,), {"name": name})) for name in ("A", "B")]
    port = server.server_address[1]
    base = f"http://127.0.0.1:{port}"
    data_dir = tempfile.mkdtemp(prefix="cdpsession-demo-")
    rows: list[tuple[str, str, str, str]] = []
    checks: list[tuple[str, bool]] = []
    try:
        async with open_app(data_dir) as app:
            for _label, partition in _LABELS:
                tag = partition.replace("persist:", "") or "default"
                ses = app.session.from_partition(partition)
                page = await ses.open_page(f"{base}/set?who={tag}")
                await page.close()
            first = {}
            for label, partition in _LABELS:
                first[partition] = await _visit(app, partition, f"{base}/read")
                cookie, stored = first[partition]
                rows.append(("1st run", label, cookie or "-", stored or "-"))
            ses = app.session.from_partition("persist:shop")
            await ses.set_user_agent("cdpsession-demo/1.0", "en-US,fr,de")
            seen.clear()
            page = await ses.open_page(f"{base}/read")
            ua_page = await page.execute_java_script("navigator.userAgent")
            await page.close()
            ua_server = next((ua, lang) for path, ua, lang, _ in seen if path == "/read")
            cookie_rows, events, cleared = await _cookies_tour(app, base)
            seen.clear()
            blocked, rewritten = await _web_request_tour(app, base)
            header_sent = next((x for path, _, _, x in seen if path == "/read"), "")
            ad_requests = [path for path, *_ in seen if path.startswith("/ads/")]
            download = await _download_tour(app, base, os.path.join(data_dir, "saved"))
        proxy_rows, agreed, latency = await _network_tour(data_dir, port, proxies)
        async with open_app(data_dir) as app:
            second = {}
            for label, partition in _LABELS:
                second[partition] = await _visit(app, partition, f"{base}/read")
                cookie, stored = second[partition]
                rows.append(("after reopen", label, cookie or "-", stored or "-"))
    finally:
        for srv in (server, *proxies):
            srv.shutdown()
            srv.server_close()
        shutil.rmtree(data_dir, ignore_errors=True)

    checks.append(
        (
            "each partition sees only its own cookie",
            [c for c, _ in first.values()] == ["who=default", "who=shop", "who=scratch"],
        )
    )
    checks.append(
        (
            "each partition sees only its own localStorage",
            [s for _, s in first.values()] == ["default", "shop", "scratch"],
        )
    )
    checks.append(
        (
            "default and persist:shop survive closing the app",
            second[""] == first[""] and second["persist:shop"] == first["persist:shop"],
        )
    )
    checks.append(("the in-memory partition starts empty again", second["scratch"] == ("", None)))
    checks.append(("server saw the custom user agent", ua_server[0] == "cdpsession-demo/1.0"))
    checks.append(("page saw the custom user agent", ua_page == "cdpsession-demo/1.0"))
    checks.append(
        ("Accept-Language got Electron's q-weights", ua_server[1] == "en-US,fr;q=0.9,de;q=0.8")
    )

    checks.append(
        (
            "cookies.get lists the API's, the server's and the page's cookies",
            [(name, value) for name, value, *_ in cookie_rows]
            == [("who", "scratch"), ("cart", "3"), ("theme", "dark")],
        )
    )
    checks.append(("cookies 'changed' saw every change, with Electron's causes", events == _EVENTS))
    checks.append(("clear_storage_data removed every cookie", cleared == []))
    checks.append(
        (
            "each proxy switch took effect on the open page",
            [went for _, _, went, _ in proxy_rows]
            == ["direct", "via A", "via B", "direct", "via A"],
        )
    )
    checks.append(
        (
            "resolve_proxy agreed with where each request went",
            agreed,
        )
    )
    checks.append(("network emulation added 300 ms of latency", latency >= 300))
    checks.append(
        (
            "web_request blocked the ad (net::ERR_BLOCKED_BY_CLIENT, never sent)",
            blocked == "net::ERR_BLOCKED_BY_CLIENT" and ad_requests == [],
        )
    )
    checks.append(("web_request added a request header", header_sent == "rewritten"))
    checks.append(("web_request rewrote a response header", rewritten == "cdpsession"))

    state, item_rows, saved_ok = download
    checks.append(("a page's download landed at the chosen save path, byte for byte", saved_ok))
    checks.append(("the download ended 'completed', received == total", state == "completed"))

    _table(out, ("when", "session", "cookie", "localStorage"), rows)
    print(file=out)
    print("cookies of the in-memory 'scratch' session (ses.cookies.get):", file=out)
    _table(out, ("name", "value", "domain", "sameSite", "session"), cookie_rows)
    print("'changed' events, in order:", file=out)
    for line in events:
        print(f"  {line}", file=out)
    print(f"after clear_storage_data({{'storages': ['cookies']}}): {cleared}", file=out)
    print(file=out)
    print("live proxy switches on one open page (ses.set_proxy, then ses.resolve_proxy):", file=out)
    _table(out, ("set_proxy", "url", "the page got", "resolve_proxy"), proxy_rows)
    print(
        f"fetch time under enable_network_emulation({{'latency': 300}}): {latency:.0f} ms", file=out
    )
    print(file=out)
    print("web_request on an in-memory session:", file=out)
    print(f"  {{'urls': ['{base}/ads/*']}} -> cancel: the ad failed with {blocked}", file=out)
    print(f"  on_before_send_headers: the server got X-Demo: {header_sent}", file=out)
    print(f"  on_headers_received: the page got X-Served-By: {rewritten}", file=out)
    print(file=out)
    print("a download from a page's link (will-download, item.set_save_path):", file=out)
    _table(out, ("DownloadItem", "value"), item_rows)
    print(file=out)
    print(f"user agent the server saw:  {ua_server[0]}", file=out)
    print(f"Accept-Language it saw:     {ua_server[1]}", file=out)
    print(file=out)
    _table(out, ("check", "result"), [(name, "ok" if good else "FAILED") for name, good in checks])
    return 0 if all(good for _, good in checks) else 1


_EVENTS = [
    "cart=3 inserted",
    "who=scratch overwrite (removed)",
    "who=scratch inserted-no-value-change-overwrite",
    "theme=dark inserted",
    "cart=3 overwrite (removed)",
    "cart=3 inserted-no-value-change-overwrite",
    "who=scratch explicit (removed)",
    "theme=dark explicit (removed)",
    "cart=3 explicit (removed)",
]


async def _cookies_tour(
    app: Any, base: str
) -> tuple[list[tuple[str, ...]], list[str], list[dict[str, Any]]]:
    """Cookies set by the API, a server and a page; the changed events; a clear."""
    ses = app.session.from_partition("scratch")
    events: list[str] = []
    all_seen = trio.Event()

    def changed(_event: Any, cookie: dict[str, Any], cause: str, removed: bool) -> None:
        gone = " (removed)" if removed else ""
        events.append(f"{cookie['name']}={cookie['value']} {cause}{gone}")
        if len(events) >= len(_EVENTS):
            all_seen.set()

    ses.cookies.on("changed", changed)
    await ses.cookies.set({"url": base, "name": "cart", "value": "3"})
    # The same Set-Cookie again: a later expiry for the same value.
    page = await ses.open_page(f"{base}/set?who=scratch")
    await page.execute_java_script("document.cookie = 'theme=dark; path=/'")
    later = time.time() + 7200
    await ses.cookies.set({"url": base, "name": "cart", "value": "3", "expirationDate": later})
    listed = await ses.cookies.get({"url": base})
    rows: list[tuple[str, ...]] = [
        (c["name"], c["value"], c["domain"], c["sameSite"], str(c["session"])) for c in listed
    ]
    await ses.clear_storage_data({"storages": ["cookies"]})
    with trio.move_on_after(5):
        await all_seen.wait()
    await page.close()
    left: list[dict[str, Any]] = await ses.cookies.get({})
    return rows, events, left


async def _web_request_tour(app: Any, base: str) -> tuple[str, str]:
    """Block a resource and rewrite a request and a response header (ses.web_request)."""
    ses = app.session.from_partition("filtered")
    errors: list[str] = []

    def add_header(details: dict[str, Any]) -> dict[str, Any]:
        return {"requestHeaders": {**details["requestHeaders"], "X-Demo": "rewritten"}}

    def served_by(details: dict[str, Any]) -> dict[str, Any]:
        return {"responseHeaders": {**details["responseHeaders"], "X-Served-By": ["cdpsession"]}}

    await ses.web_request.on_before_request(
        {"urls": [f"{base}/ads/*"]}, lambda d, cb: cb({"cancel": True})
    )
    await ses.web_request.on_error_occurred(lambda d: errors.append(d["error"]))
    await ses.web_request.on_before_send_headers({"urls": [f"{base}/read"]}, add_header)
    await ses.web_request.on_headers_received({"urls": [f"{base}/read"]}, served_by)
    page = await ses.open_page(f"{base}/")
    await page.execute_java_script(
        "new Promise(r => { const s = document.createElement('script');"
        " s.src = '/ads/banner.js'; s.onload = s.onerror = r; document.head.append(s); })"
    )
    rewritten: str = await page.execute_java_script(
        "fetch('/read').then(r => r.headers.get('x-served-by'))"
    )
    await page.close()
    return (errors[0] if errors else "(not blocked)"), rewritten or ""


async def _download_tour(
    app: Any, base: str, folder: str
) -> tuple[str, list[tuple[str, str]], bool]:
    """A page's link downloads a file into a chosen folder; the item's final state."""
    ses = app.session.from_partition("downloads")
    target = os.path.join(folder, "reports", "report.csv")

    def save(_event: Any, item: Any, _web_contents: Any) -> None:
        item.set_save_path(target)

    ses.on("will-download", save)
    page = await ses.open_page(f"{base}/")
    async with ses.expect_event("will-download") as info:
        await page.execute_java_script(
            "const a = document.createElement('a'); a.href = '/report.csv'; a.download = '';"
            " document.body.append(a); a.click();"
        )
    _event, item, web_contents = await info.value
    (_, state) = await item.wait_for("done")
    await page.close()
    with open(target, "rb") as saved:  # noqa: ASYNC230 - a small file, once
        same = saved.read() == _REPORT
    rows = [
        ("get_state()", item.get_state()),
        ("get_filename()", item.get_filename()),
        ("get_mime_type()", item.get_mime_type()),
        (
            "get_received_bytes() / get_total_bytes()",
            f"{item.get_received_bytes()} / {item.get_total_bytes()}",
        ),
        ("get_etag()", item.get_etag()),
        ("get_save_path()", item.get_save_path().replace(folder, "<data>/saved")),
        ("started by", "the page" if web_contents is page else repr(web_contents)),
    ]
    complete = item.get_received_bytes() == item.get_total_bytes() == len(_REPORT)
    return (state if complete else f"{state} (sizes differ)"), rows, same and web_contents is page


async def _network_tour(
    data_dir: str, port: int, proxies: list[http.server.ThreadingHTTPServer]
) -> tuple[list[tuple[str, str, str, str]], bool, float]:
    """Proxy switches on a live page, each checked with resolve_proxy; network emulation."""
    a, b = (f"127.0.0.1:{p.server_address[1]}" for p in proxies)
    expected = {"direct": "DIRECT", "via A": f"PROXY {a}", "via B": f"PROXY {b}"}
    pac = f"function FindProxyForURL(url, host) {{ return 'PROXY {a}; DIRECT'; }}"
    steps: list[tuple[str, dict[str, str], str]] = [
        ("(none)", {}, "http://www.shop.test/read"),
        ("proxyRules: A", {"proxyRules": a}, "http://www.shop.test/read"),
        (
            "http=B, bypass .static.test",
            {"proxyRules": f"http={b}", "proxyBypassRules": ".static.test"},
            "http://www.shop.test/read",
        ),
        (
            "http=B, bypass .static.test",
            {"proxyRules": f"http={b}", "proxyBypassRules": ".static.test"},
            "http://img.static.test/read",
        ),
        ("pacScript (data: URL)", {"pacScript": "data:," + pac}, "http://www.shop.test/read"),
    ]
    rows = []
    # Names under .test reach the demo site when the browser connects to them directly.
    rules = f"--host-resolver-rules=MAP *.test 127.0.0.1:{port}"
    async with open_app(data_dir, extra_args=[rules]) as app:
        ses = app.session.from_partition("proxied")
        page = await ses.open_page()
        for label, config, url in steps:
            if config:
                await ses.set_proxy(config)
            await page.load_url(url)
            text = await page.execute_java_script("document.body.innerText")
            went = text if text.startswith("via ") else "direct"
            rows.append((label, url, went, await ses.resolve_proxy(url)))
        await ses.set_proxy({"mode": "direct"})
        await ses.enable_network_emulation({"latency": 300})
        latency: float = await page.execute_java_script(
            "(async () => { const t = performance.now();"
            " await (await fetch('/read', {cache: 'no-store'})).text();"
            " return performance.now() - t; })()"
        )
    agreed = all(said.split(";")[0] == expected[went] for _, _, went, said in rows)
    return rows, agreed, latency


def _table(out: Any, header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    print(line, file=out)
    print(
        "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |", file=out
    )
    print(line, file=out)
    for row in rows:
        print(
            "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |",
            file=out,
        )
    print(line, file=out)


def main() -> int:
    """Entry point of ``cdpsession demo``."""
    return trio.run(run_demo)
