"""Storage, cache and auth-cache clearing (behaviours #26-#33, #62) and durability."""

from __future__ import annotations

import base64
import os
import time
from typing import Any

import pytest
import trio

import cdpsession
from tests.integration.conftest import Request, Server

pytestmark = pytest.mark.integration

PARTITIONS = ["", "persist:storage", "in-memory"]

IDB_PUT = """new Promise((ok, fail) => {
  const open = indexedDB.open('db', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('kv');
  open.onerror = () => fail(open.error);
  open.onsuccess = () => {
    const tx = open.result.transaction('kv', 'readwrite');
    tx.objectStore('kv').put('hello indexeddb', 'k');
    tx.oncomplete = () => { open.result.close(); ok(true); };
  };
})"""
IDB_GET = """new Promise((ok, fail) => {
  const open = indexedDB.open('db', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('kv');
  open.onerror = () => fail(open.error);
  open.onsuccess = () => {
    const req = open.result.transaction('kv').objectStore('kv').get('k');
    req.onsuccess = () => { open.result.close(); ok(req.result ?? null); };
  };
})"""


@pytest.fixture(params=PARTITIONS, ids=["default", "persist", "memory"])
def ses(app: cdpsession.App, request: pytest.FixtureRequest) -> cdpsession.Session:
    session: cdpsession.Session = app.session.from_partition(request.param)
    return session


async def _poll(page: cdpsession.WebContents, js: str, want: Any, timeout: float = 10) -> Any:
    """Evaluate ``js`` until it gives ``want`` (storage clears reach pages asynchronously)."""
    value = None
    with trio.move_on_after(timeout):
        while True:
            try:
                value = await page.execute_java_script(js)
            except cdpsession.JavaScriptError as exc:
                # A clear closes the page's open database connections while it runs.
                value = exc
            if value == want:
                return value
            await trio.sleep(0.05)
    return value


async def test_b26_clear_storage_data_cookies(ses: cdpsession.Session) -> None:
    with trio.fail_after(60):
        await ses.cookies.set({"url": "http://127.0.0.1", "name": "a", "value": "1"})
        await ses.cookies.set({"url": "https://example.com", "name": "b", "value": "2"})
        await ses.clear_storage_data({"storages": ["cookies"]})
        assert await ses.cookies.get({}) == []


async def test_b27_clear_file_origin_local_storage(app: cdpsession.App, tmp_path: Any) -> None:
    page_file = tmp_path / "page.html"
    page_file.write_text("<script>localStorage.setItem('k', 'v')</script>")
    ses = app.session.default_session
    with trio.fail_after(60):
        page = await ses.open_page(page_file.as_uri())
        assert await page.execute_java_script("localStorage.length") == 1
        await ses.clear_storage_data({"origin": "file://", "storages": ["localstorage"]})
        assert await _poll(page, "localStorage.length", 0) == 0
        await page.close()


async def test_b28_no_argument_clears_service_workers_and_names(
    app: cdpsession.App, server: Server
) -> None:
    server.html("/", "<p>sw</p>")
    server.js("/sw.js", "self.addEventListener('fetch', () => {});")
    ses = app.session.from_partition("sw")
    registrations = "navigator.serviceWorker.getRegistrations().then(r => r.length)"
    with trio.fail_after(60):
        page = await ses.open_page(server.url("/"))
        await page.execute_java_script(
            "navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready)"
            ".then(() => true)"
        )
        await page.execute_java_script("localStorage.setItem('k', 'v')")
        assert await page.execute_java_script(registrations) == 1
        # Only unknown names: nothing is cleared.
        await ses.clear_storage_data({"storages": ["nonsense", "websql"]})
        assert await page.execute_java_script("localStorage.length") == 1
        # Names are case-insensitive.
        await ses.clear_storage_data({"storages": ["LocalStorage"], "quotas": ["temporary"]})
        assert await _poll(page, "localStorage.length", 0) == 0
        assert await page.execute_java_script(registrations) == 1
        await ses.clear_storage_data()
        assert await _poll(page, registrations, 0) == 0
        await page.close()


async def test_clear_storage_data_rejects_bad_input(app: cdpsession.App) -> None:
    ses = app.session.default_session
    with pytest.raises(TypeError, match="unknown clear_storage_data option 'storage'"):
        await ses.clear_storage_data({"storage": ["cookies"]})
    with pytest.raises(ValueError, match="is not an origin"):
        await ses.clear_storage_data({"origin": "not a url"})
    with pytest.raises(TypeError, match="storages must be a list of str"):
        await ses.clear_storage_data({"storages": "cookies"})
    with pytest.raises(ValueError, match="unknown quota type 'forever'"):
        await ses.clear_storage_data({"quotas": ["forever"]})


async def test_two_partitions_are_cleared_independently(
    app: cdpsession.App, server: Server
) -> None:
    server.html("/", "<p>p</p>")
    one = app.session.from_partition("persist:one")
    two = app.session.from_partition("two")
    with trio.fail_after(60):
        pages = []
        for ses in (one, two):
            await ses.cookies.set({"url": server.url("/"), "name": "c", "value": "1"})
            page = await ses.open_page(server.url("/"))
            await page.execute_java_script("localStorage.setItem('k', 'v')")
            pages.append(page)
        await one.clear_storage_data()
        await one.clear_data()
        assert await _poll(pages[0], "localStorage.length", 0) == 0
        assert await one.cookies.get({}) == []
        assert await pages[1].execute_java_script("localStorage.getItem('k')") == "v"
        assert len(await two.cookies.get({})) == 1
        for page in pages:
            await page.close()


async def test_b29_clear_data_clears_local_storage(ses: cdpsession.Session, server: Server) -> None:
    server.html("/", "<p>p</p>")
    with trio.fail_after(60):
        page = await ses.open_page(server.url("/"))
        await page.execute_java_script("localStorage.setItem('k', 'hello localstorage')")
        assert await page.execute_java_script("localStorage.length") == 1
        async with trio.open_nursery() as nursery:
            nursery.start_soon(ses.clear_data)
            nursery.start_soon(ses.clear_data)
        assert await _poll(page, "localStorage.length", 0) == 0
        await page.close()


async def test_b30_clear_data_of_one_type(app: cdpsession.App, server: Server) -> None:
    server.html("/", "<p>p</p>")
    ses = app.session.from_partition("persist:types")
    with trio.fail_after(60):
        page = await ses.open_page(server.url("/"))
        await page.execute_java_script("localStorage.setItem('k', 'hello localstorage')")
        assert await page.execute_java_script(IDB_PUT) is True
        assert await page.execute_java_script(IDB_GET) == "hello indexeddb"
        await ses.clear_data({"dataTypes": ["indexedDB"]})
        assert await _poll(page, IDB_GET, None) is None
        assert await page.execute_java_script("localStorage.getItem('k')") == "hello localstorage"
        await page.close()


async def _site_cookies(ses: cdpsession.Session) -> None:
    for url in ("https://example.com", "https://a.b.example.com", "https://example.org"):
        await ses.cookies.set({"url": url, "name": "c", "value": url})


async def test_b31_clear_data_origins_and_exclude_origins(app: cdpsession.App) -> None:
    ses = app.session.from_partition("origins")
    with trio.fail_after(60):
        await _site_cookies(ses)
        await ses.clear_data({"origins": ["https://example.com"]})
        assert [c["value"] for c in await ses.cookies.get({})] == ["https://example.org"]

        await ses.clear_data()
        assert await ses.cookies.get({}) == []
        await _site_cookies(ses)
        await ses.clear_data({"excludeOrigins": ["https://example.com"]})
        kept = sorted(c["value"] for c in await ses.cookies.get({}))
        assert kept == ["https://a.b.example.com", "https://example.com"]

        await ses.clear_data({"dataTypes": ["cookies"], "origins": ["https://a.b.example.com"]})
        assert await ses.cookies.get({}) == []


async def test_b32_clear_data_errors(app: cdpsession.App) -> None:
    ses = app.session.from_partition("errors")
    with pytest.raises(TypeError, match=r"^Cannot provide both 'origins' and 'excludeOrigins'$"):
        await ses.clear_data({"origins": ["https://a.com"], "excludeOrigins": ["https://b.com"]})
    with pytest.raises(TypeError, match=r"^Invalid origin: 'data:text/plain,x'$"):
        await ses.clear_data({"origins": ["data:text/plain,x"]})
    with pytest.raises(ValueError, match="unknown data type 'Cookies'"):
        await ses.clear_data({"dataTypes": ["Cookies"]})
    with pytest.raises(cdpsession.UnsupportedError, match="Background Fetch"):
        await ses.clear_data({"dataTypes": ["backgroundFetch"]})
    with trio.fail_after(60):
        await ses.cookies.set({"url": "https://example.com", "name": "c", "value": "1"})
        # webSQL is gone from Chromium: it maps to nothing and clears nothing.
        await ses.clear_data({"dataTypes": ["webSQL"]})
        assert len(await ses.cookies.get({})) == 1


def _cacheable(body: bytes) -> Any:
    def route(_req: Request) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = [("Content-Type", "application/octet-stream"), ("Cache-Control", "max-age=3600")]
        return 200, headers, body

    return route


async def _cache_size_reaches(ses: cdpsession.Session, minimum: int) -> int:
    # Chromium writes cache entries shortly after the response is read.
    size = 0
    for _ in range(200):
        size = await ses.get_cache_size()
        if size >= minimum:
            break
        await trio.sleep(0.05)
    return size


async def test_b33_cache_size_and_clear_cache(ses: cdpsession.Session, server: Server) -> None:
    body = os.urandom(1 << 20)
    server.routes["/big.bin"] = _cacheable(body)
    server.html("/", "<p>p</p>")
    with trio.fail_after(60):
        assert await ses.get_cache_size() == 0  # no browser yet
        page = await ses.open_page(server.url("/"))
        await page.execute_java_script(
            "fetch('/big.bin').then(r => r.arrayBuffer()).then(b => b.byteLength)"
        )
        full = await _cache_size_reaches(ses, len(body))
        assert full >= len(body)
        # Served from the cache now: the server is not asked again.
        await page.execute_java_script("fetch('/big.bin').then(r => r.arrayBuffer()).then(() => 1)")
        assert len(server.seen("/big.bin")) == 1
        await ses.clear_cache()
        assert await ses.get_cache_size() < full - len(body) // 2
        await page.execute_java_script("fetch('/big.bin').then(r => r.arrayBuffer()).then(() => 1)")
        assert len(server.seen("/big.bin")) == 2
        await ses.clear_code_caches({})
        assert await ses.get_cache_size() < len(body) // 2
        with pytest.raises(cdpsession.UnsupportedError, match="code cache only as a whole"):
            await ses.clear_code_caches({"urls": ["http://127.0.0.1/x.js"]})
        await page.close()


def _basic_auth(req: Request) -> tuple[int, list[tuple[str, str]], bytes]:
    good = "Basic " + base64.b64encode(b"test:test").decode()
    if req.header("authorization") == good:
        return 200, [("Content-Type", "text/plain")], b"authenticated"
    return 401, [("WWW-Authenticate", 'Basic realm="Foo"'), ("Content-Type", "text/plain")], b"no"


async def test_b62_clear_auth_cache_keeps_cookies(ses: cdpsession.Session, server: Server) -> None:
    server.routes["/auth"] = _basic_auth
    # Cookies a server may set but CDP could not set back (a long non-ASCII path, a value
    # that is not UTF-8): clearing the auth cache must not touch any cookie.
    long_path = "/" + "\u00e9" * 500
    server.routes["/odd"] = lambda _req: (
        200,
        [
            ("Content-Type", "text/plain"),
            ("Set-Cookie", f"long=1; Max-Age=600; Path={long_path}".encode().decode("latin-1")),
            ("Set-Cookie", b"lat=caf\xe9; Max-Age=600".decode("latin-1")),
        ],
        b"odd",
    )
    port = server.port
    text = "document.body.textContent"
    changes: list[tuple[str, str, bool]] = []
    ses.cookies.on(
        "changed", lambda _e, c, cause, removed: changes.append((c["name"], cause, removed))
    )
    with trio.fail_after(60):
        await ses.cookies.set({"url": server.url("/"), "name": "keep", "value": "1"})
        keep_expiring = {
            "url": server.url("/"),
            "name": "exp",
            "value": "2",
            "expirationDate": time.time() + 600,
        }
        await ses.cookies.set(keep_expiring)
        page = await ses.open_page(server.url("/odd"))
        before = await ses.cookies.get({})
        assert sorted(c["name"] for c in before) == ["exp", "keep", "lat", "long"]
        # Without credentials the challenge is cancelled: the 401 page (as in Electron).
        await page.load_url(server.url("/auth"))
        assert await page.execute_java_script(text) == "no"
        await page.load_url(f"http://test:test@127.0.0.1:{port}/auth")
        assert await page.execute_java_script(text) == "authenticated"
        await page.load_url(server.url("/auth"))
        assert await page.execute_java_script(text) == "authenticated"
        del changes[:]
        await ses.clear_auth_cache()
        await page.load_url(server.url("/auth"))
        assert await page.execute_java_script(text) == "no"
        await page.close()
        assert await ses.cookies.get({}) == before
        await trio.sleep(0.3)
    assert changes == []


async def _write_site_data(app: cdpsession.App, server: Server, tag: str) -> None:
    for partition in ("", "persist:durable"):
        ses = app.session.from_partition(partition)
        await ses.cookies.set(
            {
                "url": server.url("/"),
                "name": "api",
                "value": tag,
                "expirationDate": time.time() + 600,
            }
        )
        page = await ses.open_page(server.url("/"))
        await page.execute_java_script(
            f"document.cookie = 'page={tag}; max-age=600'; localStorage.setItem('k', '{tag}')"
        )


async def _read_site_data(data_dir: str, server: Server) -> list[tuple[Any, ...]]:
    out = []
    async with cdpsession.open_app(data_dir) as app:
        for partition in ("", "persist:durable"):
            ses = app.session.from_partition(partition)
            cookies = {c["name"]: c["value"] for c in await ses.cookies.get({})}
            page = await ses.open_page(server.url("/"))
            stored = await page.execute_java_script("localStorage.getItem('k')")
            out.append((cookies, stored))
    return out


class _BoomError(Exception):
    pass


@pytest.mark.parametrize("how", ["normal", "exception", "cancelled"])
async def test_cookies_and_local_storage_survive_closing(
    data_dir: str, server: Server, how: str
) -> None:
    server.html("/", "<p>p</p>")
    with trio.fail_after(90):
        if how == "normal":
            async with cdpsession.open_app(data_dir) as app:
                await _write_site_data(app, server, how)
        elif how == "exception":
            with pytest.raises(_BoomError):  # noqa: PT012 - the app must close by the raise
                async with cdpsession.open_app(data_dir) as app:
                    await _write_site_data(app, server, how)
                    raise _BoomError
        else:
            with trio.CancelScope() as scope:
                async with cdpsession.open_app(data_dir) as app:
                    await _write_site_data(app, server, how)
                    scope.cancel()
                    await trio.sleep_forever()
        got = await _read_site_data(data_dir, server)
    assert got == [({"api": how, "page": how}, how)] * 2


async def test_clear_auth_cache_cancelled_or_raced_loses_no_cookie(app: cdpsession.App) -> None:
    ses = app.session.from_partition("auth-race")
    url = "http://127.0.0.1:8/"
    seen: list[tuple[str, str, bool]] = []
    ses.cookies.on(
        "changed", lambda _e, c, cause, removed: seen.append((c["value"], cause, removed))
    )
    with trio.fail_after(60):
        await ses.cookies.set({"url": url, "name": "k", "value": "old"})
        for deadline in (0.0, 0.001, 0.003, 0.006, 0.012):
            with trio.move_on_after(deadline):
                await ses.clear_auth_cache()
            assert [c["value"] for c in await ses.cookies.get({})] == ["old"], deadline
        # A write that lands while the cache is cleared is newer than the saved cookies.
        async with trio.open_nursery() as nursery:
            nursery.start_soon(ses.clear_auth_cache)
            await trio.sleep(0.001)
            await ses.cookies.set({"url": url, "name": "k", "value": "new"})
        assert [c["value"] for c in await ses.cookies.get({})] == ["new"]
        # The change events of that write arrive apart from the call that made it.
        while ("new", "inserted", False) not in seen:  # noqa: ASYNC110 - from the browser
            await trio.sleep(0.01)
        # Nothing stays muted: later changes are all reported.
        del seen[:]
        await ses.cookies.remove(url, "k")
        await ses.cookies.set({"url": url, "name": "k", "value": "again"})
        with trio.move_on_after(5):
            while len(seen) < 2:  # noqa: ASYNC110 - events arrive from the browser
                await trio.sleep(0.01)
    assert seen == [("new", "explicit", True), ("again", "inserted", False)]


async def test_cache_size_of_a_persistent_session_is_read_without_its_browser(
    data_dir: str, server: Server
) -> None:
    body = os.urandom(1 << 20)
    server.routes["/big.bin"] = _cacheable(body)
    server.html("/", "<p>p</p>")
    with trio.fail_after(60):
        async with cdpsession.open_app(data_dir) as app:
            ses = app.session.from_partition("persist:cached")
            page = await ses.open_page(server.url("/"))
            await page.execute_java_script(
                "fetch('/big.bin').then(r => r.arrayBuffer()).then(b => b.byteLength)"
            )
            await _cache_size_reaches(ses, len(body))
        async with cdpsession.open_app(data_dir) as app:
            ses = app.session.from_partition("persist:cached")
            assert await ses.get_cache_size() >= len(body)
            assert ses._host is None


async def test_cancelled_first_use_of_the_helper_extension_leaves_it_working(
    app: cdpsession.App,
) -> None:
    # A session's first use starts its browser and loads the helper extension; cancelled at
    # any point of that, it must neither hang later calls nor leave the cookie watch bound
    # to a replaced worker.
    url = "http://127.0.0.1:8/"
    with trio.fail_after(180):
        for i, deadline in enumerate((0.0, 0.1, 0.2, 0.3, 0.4, 0.6)):
            ses = app.session.from_partition(f"ext-cancel-{i}")
            seen: list[str] = []
            ses.cookies.on("changed", lambda _e, c, cause, _r, seen=seen: seen.append(cause))
            for _ in range(2):
                with trio.move_on_after(deadline):
                    await ses.clear_cache()
            await ses.clear_cache()
            await ses.cookies.set({"url": url, "name": "n", "value": str(i)})
            with trio.move_on_after(5):
                while not seen:  # noqa: ASYNC110 - the event comes from the browser
                    await trio.sleep(0.01)
            assert seen == ["inserted"], deadline
