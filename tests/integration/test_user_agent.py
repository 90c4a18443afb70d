"""User agent (behaviours #42, #43) against real headless Chromium.

The override must reach every page, out-of-process iframe, dedicated worker and service worker
created after ``set_user_agent``, in both the headers and ``navigator``.
"""

from __future__ import annotations

import pytest
import trio

import cdpsession
from tests.integration.conftest import Request, Server

pytestmark = pytest.mark.integration


UA = "test-agent"
LANGS = "en-US,fr,de"
ACCEPT_LANGUAGE = "en-US,fr;q=0.9,de;q=0.8"
NAVIGATOR_JS = "({ua: navigator.userAgent, langs: navigator.languages})"
OVERRIDDEN = {"ua": UA, "langs": ["en-US", "fr", "de"]}


Req = Request
Srv = Server


def _last(server: Srv, path: str) -> Req:
    seen = server.seen(path)
    assert seen, f"the server never saw {path}"
    return seen[-1]


def _assert_overridden_headers(req: Req) -> None:
    assert req.header("user-agent") == UA, req.path
    assert req.header("accept-language") == ACCEPT_LANGUAGE, req.path


async def test_b42_user_agent_and_accept_language_q_weights(
    app: cdpsession.App, server: Srv
) -> None:
    server.html("/", "<title>ua</title>")
    with trio.fail_after(60):
        ses = app.session.default_session
        original = await ses.get_user_agent()
        assert "HeadlessChrome/" in original or "Chrome/" in original
        assert original != UA

        await ses.set_user_agent(UA, LANGS)
        assert await ses.get_user_agent() == UA

        page = await ses.open_page(server.url("/"))
        _assert_overridden_headers(_last(server, "/"))
        assert await page.execute_java_script(NAVIGATOR_JS) == OVERRIDDEN
        assert await page.execute_java_script("navigator.language") == "en-US"


async def test_b42_user_agent_without_accept_languages(app: cdpsession.App, server: Srv) -> None:
    server.html("/", "<title>ua</title>")
    with trio.fail_after(60):
        ses = app.session.from_partition("ua-only")
        page = await ses.open_page(server.url("/"))
        default_langs = _last(server, "/").header("accept-language")
        await page.close()

        await ses.set_user_agent("only-agent/1.0")
        assert await ses.get_user_agent() == "only-agent/1.0"
        page = await ses.open_page(server.url("/"))
        req = _last(server, "/")
        assert req.header("user-agent") == "only-agent/1.0"
        assert req.header("accept-language") == default_langs
        assert await page.execute_java_script("navigator.userAgent") == "only-agent/1.0"


async def test_b43_user_agent_data_keeps_real_brands_and_platform(
    app: cdpsession.App, server: Srv
) -> None:
    server.html("/", "<title>hints</title>")
    with trio.fail_after(60):
        ses = app.session.default_session
        before = await ses.open_page(server.url("/"))
        hints_js = (
            "({secure: isSecureContext, platform: navigator.userAgentData.platform,"
            " brands: navigator.userAgentData.brands.map((b) => b.brand),"
            " mobile: navigator.userAgentData.mobile})"
        )
        real = await before.execute_java_script(hints_js)
        real_sec_ch_ua = _last(server, "/").header("sec-ch-ua")

        await ses.set_user_agent(UA, LANGS)
        page = await ses.open_page(server.url("/"))
        assert await page.execute_java_script("navigator.userAgent") == UA
        hints = await page.execute_java_script(hints_js)
        assert hints["secure"] is True
        assert isinstance(hints["platform"], str)
        assert hints["platform"] != ""
        assert "Chromium" in hints["brands"]
        assert hints == real
        assert _last(server, "/").header("sec-ch-ua") == real_sec_ch_ua
        full = await page.execute_java_script(
            "navigator.userAgentData.getHighEntropyValues(['fullVersionList'])"
            ".then((h) => h.fullVersionList.map((b) => b.brand))"
        )
        assert "Chromium" in full


async def test_b43_existing_web_contents_keep_their_user_agent(
    app: cdpsession.App, server: Srv
) -> None:
    server.html("/", "<title>old</title>")
    with trio.fail_after(60):
        ses = app.session.default_session
        original = await ses.get_user_agent()
        old = await ses.open_page(server.url("/"))
        assert await old.execute_java_script("navigator.userAgent") == original
        old_langs = await old.execute_java_script("navigator.languages")

        await ses.set_user_agent(UA, LANGS)
        async with old.expect_event("did-finish-load"):
            await old.execute_java_script("location.reload()")
        assert await old.execute_java_script("navigator.userAgent") == original
        assert await old.execute_java_script("navigator.languages") == old_langs
        assert _last(server, "/").header("user-agent") == original

        await old.load_url(server.url("/?again"))
        assert await old.execute_java_script("navigator.userAgent") == original

        new = await ses.open_page(server.url("/"))
        assert await new.execute_java_script(NAVIGATOR_JS) == OVERRIDDEN
        _assert_overridden_headers(_last(server, "/"))


async def test_b42_user_agent_reaches_out_of_process_iframe(
    app: cdpsession.App, server: Srv, other_server: Srv
) -> None:
    frame_url = f"http://localhost:{other_server.port}/frame"
    other_server.html(
        "/frame",
        "<script>parent.postMessage("
        "{ua: navigator.userAgent, langs: navigator.languages}, '*');</script>",
    )
    server.html(
        "/",
        "<script>window.got = new Promise((resolve) =>"
        " addEventListener('message', (e) => resolve(e.data)));</script>"
        f'<iframe src="{frame_url}"></iframe>',
    )
    with trio.fail_after(60):
        ses = app.session.default_session
        await ses.set_user_agent(UA, LANGS)
        page = await ses.open_page(server.url("/"))
        assert await page.execute_java_script("window.got") == OVERRIDDEN
        _assert_overridden_headers(_last(server, "/"))
        _assert_overridden_headers(_last(other_server, "/frame"))

        host = ses._host
        assert host is not None
        frames = [t for t in host.targets.values() if t.type == "iframe"]
        assert [t.url for t in frames] == [frame_url], "the iframe is not out of process"


async def test_b42_user_agent_reaches_dedicated_worker(app: cdpsession.App, server: Srv) -> None:
    server.js(
        "/worker.js",
        """fetch('/from-worker?ua=' + encodeURIComponent(navigator.userAgent))
          .then(() => postMessage({ua: navigator.userAgent, langs: navigator.languages}));""",
    )
    server.routes["/from-worker"] = lambda _req: (200, [("Content-Type", "text/plain")], b"ok")
    server.html(
        "/",
        """<script>
        const w = new Worker('/worker.js');
        window.got = new Promise((resolve) => { w.onmessage = (e) => resolve(e.data); });
        </script>""",
    )
    with trio.fail_after(60):
        ses = app.session.default_session
        await ses.set_user_agent(UA, LANGS)
        page = await ses.open_page(server.url("/"))
        assert await page.execute_java_script("window.got") == OVERRIDDEN
        req = _last(server, "/from-worker")
        _assert_overridden_headers(req)
        assert req.query["ua"] == [UA]
        _assert_overridden_headers(_last(server, "/worker.js"))


async def test_b42_user_agent_reaches_shared_worker(app: cdpsession.App, server: Srv) -> None:
    server.js(
        "/shared.js",
        """onconnect = (e) => {
          const port = e.ports[0];
          fetch('/from-shared').then(() =>
            port.postMessage({ua: navigator.userAgent, langs: navigator.languages}));
        };""",
    )
    server.routes["/from-shared"] = lambda _req: (200, [("Content-Type", "text/plain")], b"ok")
    server.html(
        "/",
        """<script>
        const w = new SharedWorker('/shared.js');
        window.got = new Promise((resolve) => { w.port.onmessage = (e) => resolve(e.data); });
        w.port.start();
        </script>""",
    )
    with trio.fail_after(60):
        ses = app.session.default_session
        await ses.set_user_agent(UA, LANGS)
        page = await ses.open_page(server.url("/"))
        reported = await page.execute_java_script("window.got")
        fetched = _last(server, "/from-shared")
        script = _last(server, "/shared.js")
        seen = {
            "shared fetch user-agent": fetched.header("user-agent"),
            "shared fetch accept-language": fetched.header("accept-language"),
            "shared navigator": reported,
            "shared script user-agent": script.header("user-agent"),
            "shared script accept-language": script.header("accept-language"),
        }
        assert seen == {
            "shared fetch user-agent": UA,
            "shared fetch accept-language": ACCEPT_LANGUAGE,
            "shared navigator": OVERRIDDEN,
            "shared script user-agent": UA,
            "shared script accept-language": ACCEPT_LANGUAGE,
        }


async def test_b42_user_agent_reaches_service_worker(app: cdpsession.App, server: Srv) -> None:
    server.js(
        "/sw.js",
        """self.addEventListener('install', (e) => {
          e.waitUntil(fetch('/from-sw?ua=' + encodeURIComponent(navigator.userAgent)
                            + '&langs=' + encodeURIComponent(navigator.languages.join(','))));
          self.skipWaiting();
        });""",
    )
    server.routes["/from-sw"] = lambda _req: (200, [("Content-Type", "text/plain")], b"ok")
    server.html("/", "<title>sw</title>")
    with trio.fail_after(60):
        ses = app.session.from_partition("sw")
        await ses.set_user_agent(UA, LANGS)
        page = await ses.open_page(server.url("/"))
        state = await page.execute_java_script(
            """navigator.serviceWorker.register('/sw.js')
                 .then(() => navigator.serviceWorker.ready)
                 .then((reg) => reg.active.state)"""
        )
        assert state in ("activating", "activated")
        script = _last(server, "/sw.js")
        fetched = _last(server, "/from-sw")
        seen = {
            "sw fetch user-agent": fetched.header("user-agent"),
            "sw fetch accept-language": fetched.header("accept-language"),
            "sw navigator.userAgent": fetched.query["ua"][0],
            "sw navigator.languages": fetched.query["langs"][0],
            "sw script user-agent": script.header("user-agent"),
            "sw script accept-language": script.header("accept-language"),
        }
        assert seen == {
            "sw fetch user-agent": UA,
            "sw fetch accept-language": ACCEPT_LANGUAGE,
            "sw navigator.userAgent": UA,
            "sw navigator.languages": LANGS,
            "sw script user-agent": UA,
            # The main script is fetched by the browser itself: it carries the process
            # default (--accept-lang), which Chromium expands with base languages.
            "sw script accept-language": "en-US,en;q=0.9,fr;q=0.8,de;q=0.7",
        }


async def test_b42_user_agent_set_after_start_reaches_service_worker_but_not_its_script(
    app: cdpsession.App, server: Srv
) -> None:
    # The documented limit: once the session's browser runs, requests the browser makes on
    # its own keep the previous process default; the worker itself follows the override.
    server.js(
        "/sw.js",
        """self.addEventListener('install', (e) => {
          e.waitUntil(fetch('/from-sw?ua=' + encodeURIComponent(navigator.userAgent)));
          self.skipWaiting();
        });""",
    )
    server.routes["/from-sw"] = lambda _req: (200, [("Content-Type", "text/plain")], b"ok")
    server.html("/", "<title>sw</title>")
    with trio.fail_after(60):
        ses = app.session.from_partition("sw-late")
        default_ua = await ses.get_user_agent()
        await ses.set_user_agent(UA, LANGS)
        page = await ses.open_page(server.url("/"))
        await page.execute_java_script(
            "navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready)"
        )
        fetched = _last(server, "/from-sw")
        assert fetched.query["ua"][0] == UA
        assert fetched.header("user-agent") == UA
        assert fetched.header("accept-language") == ACCEPT_LANGUAGE
        assert _last(server, "/sw.js").header("user-agent") == default_ua


async def test_set_user_agent_bad_input(app: cdpsession.App) -> None:
    with trio.fail_after(30):
        ses = app.session.from_partition("bad-ua")
        with pytest.raises(TypeError):
            await ses.set_user_agent(None)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="user_agent"):
            await ses.set_user_agent("a\r\nb")
        with pytest.raises(ValueError, match="user_agent"):
            await ses.set_user_agent("a\nb")
        with pytest.raises(ValueError, match="accept_languages"):
            await ses.set_user_agent("ok", "en;q=0.5")
        with pytest.raises(ValueError, match="accept_languages"):
            await ses.set_user_agent("ok", "")
        with pytest.raises(ValueError, match="accept_languages"):
            await ses.set_user_agent("ok", "en,,fr")
        with pytest.raises(TypeError):
            await ses.set_user_agent("ok", 5)  # type: ignore[arg-type]
        assert ses._host is None, "bad input must be rejected before starting a browser"


async def test_cancelled_set_user_agent_leaves_no_hidden_page(
    app: cdpsession.App, server: Srv
) -> None:
    # The first override reads the browser's client hints on a hidden chrome://version/
    # page; a caller's timeout landing meanwhile once left that page (and its renderer) open.
    server.html("/", "<p>x</p>")
    with trio.fail_after(60):
        ses = app.session.from_partition("ua-cancel")
        page = await ses.open_page(server.url("/"))
        host = page._host
        for deadline in (0.0, 0.002, 0.01, 0.03):
            with trio.move_on_after(deadline):
                await ses.set_user_agent(UA, LANGS)
        await trio.sleep(0.5)  # anything left would still be listed now
        infos = (await host.call("Target.getTargets"))["targetInfos"]
        pages = sorted(i["url"] for i in infos if i["type"] == "page")
        assert pages == [server.url("/")]
        # The hints were read once, whole, despite the cancellations; the override works.
        await ses.set_user_agent(UA, LANGS)
        other = await ses.open_page(server.url("/"))
        assert await other.execute_java_script(NAVIGATOR_JS) == OVERRIDDEN


async def test_cancelled_first_use_with_a_user_agent_starts_again_quickly(
    app: cdpsession.App, server: Srv
) -> None:
    # The client hints are read while the browser starts; a start cancelled then must not
    # leave the next one waiting for targets the abandoned browser no longer sets up.
    server.html("/", "<p>x</p>")
    ses = app.session.from_partition("ua-first-cancel")
    await ses.set_user_agent(UA, LANGS)
    for deadline in (0.05, 0.15, 0.25, 0.35, 0.5):
        with trio.move_on_after(deadline):
            await ses.open_page(server.url("/"))
    with trio.fail_after(15):
        page = await ses.open_page(server.url("/"))
        assert await page.execute_java_script(NAVIGATOR_JS) == OVERRIDDEN
