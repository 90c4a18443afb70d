"""WebContents against real headless Chromium: loading, scripts, events, closing."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import trio

import cdpsession
from tests.integration.conftest import Request, Server

pytestmark = pytest.mark.integration


Req = Request
Srv = Server


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_open_page_loads_url_and_get_url_is_exact(app: cdpsession.App, server: Srv) -> None:
    server.html("/page", "<title>loaded</title><p id=p>hi</p>")
    with trio.fail_after(30):
        ses = app.session.default_session
        page = await ses.open_page(server.url("/page?q=1"))
        assert page.get_url() == server.url("/page?q=1")
        assert await page.execute_java_script("document.readyState") == "complete"
        assert await page.execute_java_script("document.getElementById('p').textContent") == "hi"
        assert len(server.seen("/page")) == 1

        server.html("/next", "<title>next</title>")
        await page.load_url(server.url("/next"))
        assert page.get_url() == server.url("/next")
        assert await page.execute_java_script("document.title") == "next"


async def test_open_page_without_url_is_about_blank(app: cdpsession.App) -> None:
    with trio.fail_after(30):
        page = await app.session.default_session.open_page()
        assert page.get_url() == "about:blank"
        assert await page.execute_java_script("location.href") == "about:blank"


async def test_load_url_errors(app: cdpsession.App, server: Srv) -> None:
    with trio.fail_after(30):
        page = await app.session.default_session.open_page()
        url = f"http://127.0.0.1:{_closed_port()}/"
        with pytest.raises(cdpsession.NavigationError) as refused:
            await page.load_url(url)
        assert refused.value.error_text == "net::ERR_CONNECTION_REFUSED"
        assert refused.value.url == url
        assert isinstance(refused.value, cdpsession.CDPSessionError)

        # A 404 is a loaded page, not an error.
        await page.load_url(server.url("/missing"))
        assert page.get_url() == server.url("/missing")
        assert await page.execute_java_script("document.body.textContent") == "not found"

        with pytest.raises(TypeError):
            await page.load_url(123)  # type: ignore[arg-type]
        assert page.get_url() == server.url("/missing")

        # The page still works after a failed load.
        server.html("/ok", "<title>ok</title>")
        await page.load_url(server.url("/ok"))
        assert await page.execute_java_script("document.title") == "ok"


async def test_open_page_with_refused_url_raises_navigation_error(app: cdpsession.App) -> None:
    with trio.fail_after(30):
        with pytest.raises(cdpsession.NavigationError) as refused:
            await app.session.default_session.open_page(f"http://127.0.0.1:{_closed_port()}/")
        assert refused.value.error_text == "net::ERR_CONNECTION_REFUSED"


async def test_same_document_navigation_returns(app: cdpsession.App, server: Srv) -> None:
    server.html("/doc", "<script>window.marker = 42;</script>")
    with trio.fail_after(30):
        page = await app.session.default_session.open_page(server.url("/doc"))
        await page.load_url(server.url("/doc#part"))
        assert await page.execute_java_script("location.hash") == "#part"
        assert await page.execute_java_script("window.marker") == 42, "the document was reloaded"
        assert page.get_url() == server.url("/doc#part")
        assert len(server.seen("/doc")) == 1


async def test_execute_java_script_values(app: cdpsession.App, server: Srv) -> None:
    server.html("/", "<title>js</title>")
    with trio.fail_after(30):
        page = await app.session.default_session.open_page(server.url("/"))
        run = page.execute_java_script
        assert await run("1 + 1") == 2
        assert await run("1.5 * 2") == 3
        assert await run("0.25") == 0.25
        assert await run("'a' + 'b'") == "ab"
        assert await run("'é\u2603'") == "é\u2603"
        assert await run("true") is True
        assert await run("null") is None
        assert await run("undefined") is None
        assert await run("[1, 'x', null, [true]]") == [1, "x", None, [True]]
        assert await run("({a: 1, b: {c: [2, 'd']}})") == {"a": 1, "b": {"c": [2, "d"]}}
        assert await run("document.title") == "js"
        assert await run("Promise.resolve(5)") == 5
        assert await run("new Promise((r) => setTimeout(() => r('late'), 50))") == "late"
        assert await run("(async () => { await null; return [1, 2]; })()") == [1, 2]
        assert await run("window.kept = 7; 0") == 0
        assert await run("window.kept") == 7


async def test_execute_java_script_errors(app: cdpsession.App, server: Srv) -> None:
    server.html("/", "<title>js</title>")
    with trio.fail_after(30):
        page = await app.session.default_session.open_page(server.url("/"))
        with pytest.raises(cdpsession.JavaScriptError) as thrown:
            await page.execute_java_script("throw new Error('boom')")
        assert thrown.value.description.startswith("Error: boom")
        assert "boom" in str(thrown.value)
        assert isinstance(thrown.value, cdpsession.CDPSessionError)

        with pytest.raises(cdpsession.JavaScriptError) as rejected:
            await page.execute_java_script("Promise.reject(new TypeError('nope'))")
        assert rejected.value.description.startswith("TypeError: nope")

        with pytest.raises(cdpsession.JavaScriptError) as syntax:
            await page.execute_java_script("this is not javascript")
        assert syntax.value.description.startswith("SyntaxError")

        with pytest.raises(cdpsession.JavaScriptError) as plain:
            await page.execute_java_script("throw 'just a string'")
        assert "just a string" in plain.value.description

        with pytest.raises(TypeError):
            await page.execute_java_script(42)  # type: ignore[arg-type]
        assert await page.execute_java_script("'still alive'") == "still alive"


async def test_did_finish_load_on_load_and_reload(app: cdpsession.App, server: Srv) -> None:
    server.html("/", "<title>load</title>")
    with trio.fail_after(30):
        page = await app.session.default_session.open_page()
        loads: list[Any] = []
        page.on("did-finish-load", lambda *args: loads.append(args))

        async with page.expect_event("did-finish-load") as info:
            await page.load_url(server.url("/"))
        (event,) = await info.value
        assert isinstance(event, cdpsession.Event)

        async with page.expect_event("did-finish-load") as info:
            await page.execute_java_script("location.reload()")
        (event,) = await info.value
        assert isinstance(event, cdpsession.Event)
        assert len(server.seen("/")) == 2
        assert len(loads) == 2
        assert all(len(args) == 1 and isinstance(args[0], cdpsession.Event) for args in loads)


async def test_close_emits_destroyed_once(app: cdpsession.App, server: Srv) -> None:
    server.html("/", "<title>close</title>")
    with trio.fail_after(30):
        ses = app.session.default_session
        page = await ses.open_page(server.url("/"))
        destroyed: list[tuple[Any, ...]] = []
        page.on("destroyed", lambda *args: destroyed.append(args))
        assert page.is_destroyed() is False

        await page.close()
        assert page.is_destroyed() is True
        assert destroyed == [()]

        await page.close()
        await trio.sleep(0.1)
        assert destroyed == [()]

        with pytest.raises(cdpsession.TargetClosedError):
            await page.execute_java_script("1")
        with pytest.raises(cdpsession.TargetClosedError):
            await page.load_url(server.url("/"))
        assert page.get_url() == server.url("/")

        # The session goes on working.
        other = await ses.open_page(server.url("/"))
        assert await other.execute_java_script("document.title") == "close"


async def test_page_closed_by_script_is_destroyed(app: cdpsession.App) -> None:
    with trio.fail_after(30):
        # Chromium lets a script close only a window with one history entry.
        page = await app.session.default_session.open_page()
        async with page.expect_event("destroyed"):
            await page.execute_java_script("setTimeout(() => window.close(), 0); 1")
        assert page.is_destroyed() is True
        with pytest.raises(cdpsession.TargetClosedError):
            await page.execute_java_script("1")


async def test_ids_are_distinct_ints_and_session_is_the_owner(
    app: cdpsession.App, server: Srv
) -> None:
    server.html("/", "<title>ids</title>")
    with trio.fail_after(30):
        ses = app.session.default_session
        pages = [await ses.open_page() for _ in range(3)]
        ids = [p.id for p in pages]
        assert all(type(i) is int for i in ids)
        assert len(set(ids)) == 3
        assert all(p.session is ses for p in pages)
        assert all(isinstance(p, cdpsession.WebContents) for p in pages)


async def test_pages_of_two_sessions_are_independent(app: cdpsession.App, server: Srv) -> None:
    server.html("/", "<title>two</title>")
    with trio.fail_after(60):
        first = app.session.default_session
        second = app.session.from_partition("independent")
        a = await first.open_page(server.url("/"))
        b = await second.open_page(server.url("/"))
        assert a.session is first
        assert b.session is second
        assert a.id != b.id

        await a.execute_java_script("window.mine = 'a'; localStorage.setItem('k', 'a')")
        assert await b.execute_java_script("typeof window.mine") == "undefined"
        assert await b.execute_java_script("localStorage.getItem('k')") is None

        await a.close()
        assert a.is_destroyed() is True
        assert b.is_destroyed() is False
        assert await b.execute_java_script("document.title") == "two"
        server.html("/b2", "<title>b2</title>")
        await b.load_url(server.url("/b2"))
        assert b.get_url() == server.url("/b2")
