"""Session-wide network emulation (behaviour #54) against real headless Chromium.

Latency is measured inside the page, an out-of-process iframe, a dedicated worker and a
service worker: each is its own CDP target and must be throttled on its own.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import trio

import cdpsession
from tests.integration.conftest import Server

pytestmark = pytest.mark.integration

LATENCY = 300
# How long one fetch of /ping takes, in ms, measured by the code that fetches it.
TIME_FETCH_JS = """async (url) => {
  const t0 = performance.now();
  const r = await fetch(url, {cache: 'no-store'});
  await r.text();
  return performance.now() - t0;
}"""
PAGE_TIME_JS = f"({TIME_FETCH_JS})('/ping?page')"
SITE = f"""<script>
const timeFetch = {TIME_FETCH_JS};
const worker = new Worker('/worker.js');
function ask(target, port) {{
  return new Promise((resolve) => {{
    const ch = new MessageChannel();
    ch.port1.onmessage = (e) => resolve(e.data);
    target.postMessage('time', [ch.port2]);
  }});
}}
window.frameTime = () => new Promise((resolve) => {{
  addEventListener('message', (e) => resolve(e.data), {{once: true}});
  document.querySelector('iframe').contentWindow.postMessage('time', '*');
}});
window.workerTime = () => ask(worker);
window.swReady = navigator.serviceWorker.register('/sw.js')
  .then(() => navigator.serviceWorker.ready);
window.swTime = () => window.swReady.then((reg) => ask(reg.active));
</script>
<iframe src="FRAME"></iframe>"""
WORKER_JS = f"""const timeFetch = {TIME_FETCH_JS};
onmessage = async (e) => e.ports[0].postMessage(await timeFetch('/ping?worker'));"""
SW_JS = f"""const timeFetch = {TIME_FETCH_JS};
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('message', (e) => e.waitUntil(
  timeFetch('/ping?sw').then((ms) => e.ports[0].postMessage(ms))));"""
FRAME_HTML = f"""<script>
const timeFetch = {TIME_FETCH_JS};
addEventListener('message', async () =>
  parent.postMessage(await timeFetch('/ping?frame'), '*'));
</script>"""


def _serve_site(server: Server, other: Server) -> None:
    ping: Any = lambda _req: (  # noqa: E731
        200,
        [("Content-Type", "text/plain"), ("Access-Control-Allow-Origin", "*")],
        b"pong",
    )
    server.routes["/ping"] = ping
    other.routes["/ping"] = ping
    frame = f"http://localhost:{other.port}/frame"
    server.html("/", SITE.replace("FRAME", frame))
    server.js("/worker.js", WORKER_JS)
    server.js("/sw.js", SW_JS)
    other.html("/frame", FRAME_HTML)


async def _times(page: cdpsession.WebContents) -> dict[str, float]:
    out = {}
    for name, js in (
        ("page", PAGE_TIME_JS),
        ("iframe", "frameTime()"),
        ("worker", "workerTime()"),
        ("service worker", "swTime()"),
    ):
        out[name] = await page.execute_java_script(js)
    return out


async def test_b54_network_emulation_reports_connection_info(
    app: cdpsession.App, server: Server
) -> None:
    server.html("/", "<title>net</title>")
    with trio.fail_after(60):
        ses = app.session.default_session
        await ses.enable_network_emulation(
            {"latency": 500, "downloadThroughput": 6400, "uploadThroughput": 6400}
        )
        page = await ses.open_page(server.url("/"))
        info = await page.execute_java_script(
            "({rtt: navigator.connection.rtt, downlink: navigator.connection.downlink,"
            " type: navigator.connection.effectiveType, online: navigator.onLine})"
        )
        assert isinstance(info["rtt"], int | float)
        assert isinstance(info["downlink"], int | float)
        assert info["type"] in ("slow-2g", "2g", "3g", "4g")
        assert info["online"] is True


async def test_latency_reaches_existing_and_new_pages_iframes_and_workers(
    app: cdpsession.App, server: Server, other_server: Server
) -> None:
    _serve_site(server, other_server)
    with trio.fail_after(120):
        ses = app.session.from_partition("latency")
        old = await ses.open_page(server.url("/"))
        await old.execute_java_script("swReady")
        host = ses._host
        assert host is not None
        assert [t.type for t in host.targets.values() if t.type == "iframe"] == ["iframe"]
        before = await _times(old)
        assert all(ms < LATENCY for ms in before.values()), before

        await ses.enable_network_emulation({"latency": LATENCY})
        throttled = await _times(old)
        assert all(ms >= LATENCY for ms in throttled.values()), throttled
        new = await ses.open_page(server.url("/"))
        throttled = await _times(new)
        assert all(ms >= LATENCY for ms in throttled.values()), throttled

        await ses.disable_network_emulation()
        for page in (old, new):
            after = await _times(page)
            assert all(ms < LATENCY for ms in after.values()), after


async def test_offline_fails_requests_and_sets_navigator_online(
    app: cdpsession.App, server: Server
) -> None:
    server.html("/", "<title>net</title>")
    with trio.fail_after(60):
        ses = app.session.from_partition("offline")
        page = await ses.open_page(server.url("/"))
        await ses.enable_network_emulation({"offline": True})
        assert await page.execute_java_script("navigator.onLine") is False
        failed = await page.execute_java_script(
            "fetch('/x', {cache: 'no-store'}).then(() => 'loaded', (e) => e.name)"
        )
        assert failed == "TypeError"
        new = await ses.open_page()
        with pytest.raises(cdpsession.NavigationError) as info:
            await new.load_url(server.url("/"))
        assert info.value.error_text == "net::ERR_INTERNET_DISCONNECTED"

        await ses.disable_network_emulation()
        assert await page.execute_java_script("navigator.onLine") is True
        await new.load_url(server.url("/"))
        assert await new.execute_java_script("document.title") == "net"


async def test_download_throughput_is_throttled(app: cdpsession.App, server: Server) -> None:
    body = b"x" * 65536
    server.routes["/big"] = lambda _req: (200, [("Content-Type", "text/plain")], body)
    server.html("/", "<title>net</title>")
    with trio.fail_after(60):
        ses = app.session.from_partition("throughput")
        await ses.enable_network_emulation({"downloadThroughput": 32768})
        page = await ses.open_page(server.url("/"))
        ms = await page.execute_java_script(f"({TIME_FETCH_JS})('/big')")
        assert ms >= 1500, ms  # 64 KiB at 32 KiB/s: two seconds, less the first burst


async def test_emulation_stays_in_its_session(app: cdpsession.App, server: Server) -> None:
    server.html("/", "<title>net</title>")
    with trio.fail_after(60):
        throttled = app.session.from_partition("slow")
        other = app.session.from_partition("fast")
        await throttled.enable_network_emulation({"offline": True})
        assert throttled._host is None, "a browser is not needed to record the setting"
        page = await other.open_page(server.url("/"))
        assert await page.execute_java_script("navigator.onLine") is True
        slow = await throttled.open_page()
        assert await slow.execute_java_script("navigator.onLine") is False


async def test_network_emulation_bad_input(app: cdpsession.App) -> None:
    ses = app.session.from_partition("bad-net")
    with trio.fail_after(30):
        with pytest.raises(TypeError, match="unknown network emulation option 'latncy'"):
            await ses.enable_network_emulation({"latncy": 5})
        with pytest.raises(TypeError, match="offline must be a bool"):
            await ses.enable_network_emulation({"offline": "yes"})
        with pytest.raises(TypeError, match="latency must be a number"):
            await ses.enable_network_emulation({"latency": "5"})
        with pytest.raises(ValueError, match="downloadThroughput must be a finite number"):
            await ses.enable_network_emulation({"downloadThroughput": -1})
        with pytest.raises(ValueError, match="uploadThroughput must be a finite number"):
            await ses.enable_network_emulation({"upload_throughput": float("nan")})
        with pytest.raises(TypeError):
            await ses.enable_network_emulation(None)  # type: ignore[arg-type]
        assert ses._host is None


async def _wait_for(predicate: Any, timeout: float = 10) -> None:
    with trio.fail_after(timeout):
        while True:
            if predicate():
                return
            await trio.sleep(0.02)


async def test_close_all_connections_drops_every_pooled_socket(
    app: cdpsession.App, server: Server
) -> None:
    release = threading.Event()

    def slow(_req: Any) -> tuple[int, list[tuple[str, str]], bytes]:
        release.wait(30)
        return 200, [("Content-Type", "text/plain")], b"late"

    server.routes["/slow"] = slow
    server.routes["/ping"] = lambda _req: (200, [("Content-Type", "text/plain")], b"pong")
    server.html("/", "<title>net</title>")
    fetch3 = "(async () => { for (const i of [1, 2, 3]) await (await fetch('/ping')).text(); })()"
    try:
        with trio.fail_after(60):
            ses = app.session.from_partition("connections")
            page = await ses.open_page(server.url("/"))
            await page.execute_java_script(fetch3)
            pooled = server.connections
            await page.execute_java_script(fetch3)
            assert server.connections == pooled, "keep-alive sockets are reused"

            await ses.close_all_connections()
            await page.execute_java_script(fetch3)
            assert server.connections == pooled + 1, "one new connection after the flush"

            # A request being answered over HTTP/1.1 finishes on its connection (Chromium
            # fails only HTTP/2 and QUIC requests in flight), which is then not reused.
            await page.execute_java_script(
                "window.slow = fetch('/slow').then((r) => r.text(), (e) => e.name); 0"
            )
            await _wait_for(lambda: server.seen("/slow"))
            before = server.connections
            await ses.close_all_connections()
            release.set()
            assert await page.execute_java_script("window.slow") == "late"
            await page.execute_java_script(fetch3)
            assert server.connections == before + 1
    finally:
        release.set()


async def test_preconnect_opens_one_connection_and_sends_no_request(
    app: cdpsession.App, server: Server
) -> None:
    with trio.fail_after(60):
        ses = app.session.from_partition("preconnect")
        await ses.preconnect({"url": server.url("/some/path?q")})
        await _wait_for(lambda: server.connections == 1)
        await trio.sleep(0.5)  # nothing more comes
        assert server.connections == 1
        assert server.requests == []


async def test_b56_preconnect_argument_errors(app: cdpsession.App) -> None:
    ses = app.session.from_partition("preconnect-errors")
    with trio.fail_after(30):
        for bad in ({"url": ""}, {}, {"url": "not a url"}, {"url": 5}):
            with pytest.raises(
                TypeError, match=r"^Must pass non-empty valid url to session\.preconnect\.$"
            ):
                await ses.preconnect(bad)
        for count in (0, 7):
            with pytest.raises(
                TypeError, match=r"^numSocketsToPreconnect is outside range \[1,6\]$"
            ):
                await ses.preconnect({"url": "http://127.0.0.1:9/", "numSockets": count})
        with pytest.raises(cdpsession.UnsupportedError, match="numSockets=4"):
            await ses.preconnect({"url": "http://127.0.0.1:9/", "numSockets": 4})
        with pytest.raises(ValueError, match="http or https"):
            await ses.preconnect({"url": "ftp://127.0.0.1/"})
        with pytest.raises(TypeError, match="unknown preconnect option"):
            await ses.preconnect({"url": "http://127.0.0.1:9/", "sockets": 1})
        assert ses._host is None


async def test_latency_reaches_a_shared_worker_started_later(
    app: cdpsession.App, server: Server
) -> None:
    server.routes["/ping"] = lambda _req: (200, [("Content-Type", "text/plain")], b"pong")
    server.js(
        "/shared.js",
        f"""const timeFetch = {TIME_FETCH_JS};
        onconnect = (e) => {{ const port = e.ports[0];
          port.onmessage = async () => port.postMessage(await timeFetch('/ping?shared')); }};""",
    )
    server.html("/", "<title>net</title>")
    ask = """(name) => new Promise((resolve) => {
      const w = new SharedWorker('/shared.js', name);
      w.port.onmessage = (e) => resolve(e.data); w.port.start(); w.port.postMessage('go');
    })"""
    with trio.fail_after(60):
        ses = app.session.from_partition("shared-latency")
        page = await ses.open_page(server.url("/"))
        await ses.enable_network_emulation({"latency": LATENCY})
        for name in ("later", "later", "another"):
            await page.execute_java_script(f"({ask})('{name}')")  # it starts; then it is throttled
            ms = await page.execute_java_script(f"({ask})('{name}')")
            assert ms >= LATENCY, (name, ms)


async def test_cancelled_calls_leave_no_hidden_page_behind(
    app: cdpsession.App, server: Server
) -> None:
    server.html("/", "<title>net</title>")
    with trio.fail_after(120):
        ses = app.session.from_partition("cancel-hidden")
        await ses.open_page(server.url("/"))
        host = ses._host
        assert host is not None
        for deadline in (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08):
            with trio.move_on_after(deadline):
                await ses.resolve_host("localhost")
            with trio.move_on_after(deadline):
                await ses.preconnect({"url": server.url("/")})
        await ses.resolve_host("localhost")
        infos = (await host.call("Target.getTargets"))["targetInfos"]
        pages = sorted(i["url"].partition("#")[0] for i in infos if i["type"] == "page")
        assert pages == ["about:blank", "chrome://net-internals/", server.url("/")]
