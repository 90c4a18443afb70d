"""Electron's ``login`` event for site authentication, against real headless Chromium."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import trio

import cdpsession
from tests.integration.conftest import Request, Server

pytestmark = pytest.mark.integration

GOOD = "Basic " + base64.b64encode(b"test:test").decode()


def _protect(server: Server, path: str = "/auth") -> None:
    def route(req: Request) -> tuple[int, list[tuple[str, str]], bytes]:
        if req.header("authorization") == GOOD:
            return 200, [("Content-Type", "text/plain")], b"authenticated"
        return 401, [("WWW-Authenticate", 'Basic realm="site"')], b"denied"

    server.routes[path] = route


async def _body(page: cdpsession.WebContents) -> str:
    text: str = await page.execute_java_script("document.body.innerText")
    return text


async def test_login_listener_answers_a_site_challenge(app: cdpsession.App, server: Server) -> None:
    _protect(server)
    seen: list[tuple[Any, ...]] = []

    def on_login(event: cdpsession.Event, wc: Any, details: Any, info: Any, callback: Any) -> None:
        seen.append((wc, details, info))
        event.prevent_default()
        callback("test", "test")

    with trio.fail_after(60):
        ses = app.session.from_partition("login")
        ses.on("login", on_login)
        page = await ses.open_page(server.url("/auth"))
        assert await _body(page) == "authenticated"
        assert seen == [
            (
                page,
                {"url": server.url("/auth")},
                {
                    "isProxy": False,
                    "scheme": "basic",
                    "host": "127.0.0.1",
                    "port": server.port,
                    "realm": "site",
                },
            )
        ]
        # Chromium caches the credentials: no second challenge.
        await page.load_url(server.url("/auth?again"))
        assert await _body(page) == "authenticated"
        assert len(seen) == 1


async def test_login_answer_by_return_value_and_async_listener(
    app: cdpsession.App, server: Server
) -> None:
    _protect(server)

    async def on_login(*_args: Any) -> tuple[str, str]:
        await trio.sleep(0.01)
        return ("test", "test")

    with trio.fail_after(60):
        ses = app.session.from_partition("login-return")
        ses.once("login", on_login)
        page = await ses.open_page(server.url("/auth"))
        assert await _body(page) == "authenticated"


async def test_login_goes_to_the_session_then_the_page(app: cdpsession.App, server: Server) -> None:
    _protect(server)
    order: list[str] = []
    with trio.fail_after(60):
        ses = app.session.from_partition("login-wc")
        page = await ses.open_page()

        def on_page(event: cdpsession.Event, details: Any, info: Any, callback: Any) -> None:
            order.append(f"page {event.default_prevented}")
            callback("wrong", "wrong")  # too late: the session's listener answered first

        def on_session(event: cdpsession.Event, wc: Any, *args: Any) -> None:
            order.append(f"session {wc is page}")
            event.prevent_default()
            args[-1]("test", "test")

        ses.on("login", on_session)
        page.on("login", on_page)
        await page.load_url(server.url("/auth"))
        assert await _body(page) == "authenticated"
        assert order == ["session True", "page True"]


async def test_login_cancelled_or_not_handled_gives_the_401_page(
    app: cdpsession.App, server: Server
) -> None:
    _protect(server)
    with trio.fail_after(60):
        ses = app.session.from_partition("login-cancel")

        def cancel(event: cdpsession.Event, *args: Any) -> None:
            event.prevent_default()
            args[-1]()

        ses.once("login", cancel)
        page = await ses.open_page(server.url("/auth"))
        assert await _body(page) == "denied"
        assert len(server.seen("/auth")) == 1

        # Not prevented: Electron cancels whatever the callback got.
        ses.once("login", lambda _event, *args: args[-1]("test", "test"))
        await page.load_url(server.url("/auth?2"))
        assert await _body(page) == "denied"


async def test_without_a_login_listener_challenges_are_cancelled(
    app: cdpsession.App, server: Server, other_server: Server
) -> None:
    # As in Electron: no listener, the request gets the 401 response. (Headless Chromium
    # alone fails a navigation and leaves a page's fetch waiting forever.)
    _protect(server)
    _protect(other_server)
    with trio.fail_after(60):
        ses = app.session.from_partition("login-none")
        page = await ses.open_page(server.url("/auth"))
        assert await _body(page) == "denied"
        status = await page.execute_java_script("fetch('/auth?x').then((r) => r.status)")
        assert status == 401

        def on_login(event: cdpsession.Event, *args: Any) -> None:
            event.prevent_default()
            args[-1]("test", "test")

        ses.on("login", on_login)
        await page.load_url(server.url("/auth?later"))
        assert await _body(page) == "authenticated"

        ses.off("login", on_login)
        await page.load_url(other_server.url("/auth"))
        assert await _body(page) == "denied"
        status = await page.execute_java_script("fetch('/auth?y').then((r) => r.status)")
        assert status == 401


async def test_login_for_a_service_worker_request_has_no_web_contents(
    app: cdpsession.App, server: Server
) -> None:
    _protect(server)
    server.js(
        "/sw.js",
        """self.addEventListener('install', () => self.skipWaiting());
        self.addEventListener('message', (e) => e.waitUntil(
          fetch('/auth?sw').then((r) => r.text()).then((t) => e.ports[0].postMessage(t))));""",
    )
    server.html("/", "<title>sw</title>")
    seen: list[Any] = []

    def on_login(event: cdpsession.Event, wc: Any, details: Any, info: Any, cb: Any) -> None:
        seen.append((wc, details["url"]))
        event.prevent_default()
        cb("test", "test")

    with trio.fail_after(60):
        ses = app.session.from_partition("login-sw")
        ses.on("login", on_login)
        page = await ses.open_page(server.url("/"))
        text = await page.execute_java_script(
            """navigator.serviceWorker.register('/sw.js')
              .then(() => navigator.serviceWorker.ready)
              .then((reg) => new Promise((resolve) => {
                const ch = new MessageChannel();
                ch.port1.onmessage = (e) => resolve(e.data);
                reg.active.postMessage('go', [ch.port2]);
              }))"""
        )
        assert text == "authenticated"
        assert seen == [(None, server.url("/auth?sw"))]
