"""``ses.cookies`` (behaviours #9-#25) against real headless Chromium and loopback servers."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import trio

import cdpsession
from tests.integration.conftest import Server

pytestmark = pytest.mark.integration

PARTITIONS = ["", "persist:cookies", "in-memory"]
LOCAL = "http://127.0.0.1"


@pytest.fixture(params=PARTITIONS, ids=["default", "persist", "memory"])
def ses(app: cdpsession.App, request: pytest.FixtureRequest) -> cdpsession.Session:
    session: cdpsession.Session = app.session.from_partition(request.param)
    return session


def _fresh(app: cdpsession.App) -> cdpsession.Session:
    return app.session.from_partition(f"fresh-{time.monotonic_ns()}")


def _names(cookies: list[dict[str, Any]]) -> list[str]:
    return sorted(c["name"] for c in cookies)


async def test_b09_set_cookie_header_is_read_back(ses: cdpsession.Session, server: Server) -> None:
    server.html("/", "<p>hi</p>", headers=[("Set-Cookie", "0=0")])
    with trio.fail_after(60):
        page = await ses.open_page(server.url("/"))
        cookies = await ses.cookies.get({"url": LOCAL})
        await page.close()
    assert [(c["name"], c["value"]) for c in cookies] == [("0", "0")]


async def test_b10_expiration_date_round_trips(ses: cdpsession.Session) -> None:
    expiry = float(int(time.time()) + 120)
    with trio.fail_after(60):
        await ses.cookies.set({"url": LOCAL, "name": "p", "value": "1", "expirationDate": expiry})
        await ses.cookies.set({"url": LOCAL, "name": "s", "value": "2"})
        persistent = await ses.cookies.get({"url": LOCAL, "name": "p"})
        session = await ses.cookies.get({"url": LOCAL, "name": "s"})
    assert persistent == [
        {
            "name": "p",
            "value": "1",
            "domain": "127.0.0.1",
            "hostOnly": True,
            "path": "/",
            "secure": False,
            "httpOnly": False,
            "session": False,
            "expirationDate": expiry,
            "sameSite": "lax",
        }
    ]
    assert session[0]["session"] is True
    assert "expirationDate" not in session[0]


async def test_b11_empty_name_and_every_same_site(app: cdpsession.App) -> None:
    ses = _fresh(app)
    url = "https://electronjs.org"
    with trio.fail_after(60):
        await ses.cookies.set({"url": url, "value": "3"})
        (cookie,) = await ses.cookies.get({"url": url})
        assert (cookie["name"], cookie["value"], cookie["sameSite"]) == ("", "3", "lax")
        for same_site in ("unspecified", "no_restriction", "lax", "strict"):
            await ses.cookies.set({"url": url, "name": "s", "value": "v", "sameSite": same_site})
            (got,) = await ses.cookies.get({"url": url, "name": "s"})
            assert got["sameSite"] == same_site
            # Secure defaults to sameSite == no_restriction.
            assert got["secure"] is (same_site == "no_restriction")


@pytest.mark.parametrize(
    ("details", "message"),
    [
        (
            {"url": LOCAL, "name": "a", "value": "v", "sameSite": "garbage"},
            "Failed to convert 'garbage' to an appropriate cookie same site value",
        ),
        (
            {"url": LOCAL, "name": "a", "value": "test;test"},
            "Failed to set cookie - The cookie contains ASCII control characters",
        ),
        (
            {"url": LOCAL, "name": "a", "value": "line\nbreak"},
            "Failed to set cookie - The cookie contains ASCII control characters",
        ),
    ],
)
async def test_b12_value_errors(app: cdpsession.App, details: dict[str, Any], message: str) -> None:
    ses = app.session.default_session
    with trio.fail_after(60), pytest.raises(ValueError, match=re.escape(message)):
        await ses.cookies.set(details)
    assert await ses.cookies.get({}) == []


@pytest.mark.parametrize(
    ("details", "message"),
    [
        (
            {"url": "", "name": "a"},
            "Failed to set cookie - " + "The cookie was set with an invalid Domain attribute.",
        ),
        (
            {"url": "asdf", "name": "a"},
            "Failed to set cookie - " + "The cookie was set with an invalid Domain attribute.",
        ),
        (
            {"url": "https://electronjs.org", "domain": "wssss.iamabaddomain.fun", "name": "a"},
            "The cookie was set with an invalid Domain attribute",
        ),
        ({"name": "a", "value": "b"}, "Missing required option 'url'"),
    ],
)
async def test_b13_url_and_domain_errors(
    app: cdpsession.App, details: dict[str, Any], message: str
) -> None:
    ses = app.session.default_session
    with trio.fail_after(60), pytest.raises(ValueError, match=re.escape(message)):
        await ses.cookies.set(details)
    assert await ses.cookies.get({}) == []


async def test_set_rejects_what_chromium_refuses(app: cdpsession.App) -> None:
    # CDP itself would store all of these; Electron's Chromium refuses them.
    cases: list[tuple[dict[str, Any], str]] = [
        ({"url": "http://example.com", "name": "a", "secure": True}, "was Secure, but the URL"),
        (
            {"url": "https://example.com", "name": "__Host-a", "domain": "example.com"},
            "invalid __Host- or __Secure- prefix",
        ),
        ({"url": "http://example.com", "name": "__Secure-a"}, "invalid __Host- or __Secure-"),
        ({"url": "http://example.com", "name": "a", "path": "nopath"}, "was malformed"),
        ({"url": "ftp://example.com/", "name": "a"}, "scheme that does not support cookies"),
        ({"url": "http://example.com", "name": "", "value": ""}, "contains no content"),
        ({"url": "http://example.com", "name": "a", "value": "x" * 4096}, "size limit"),
        ({"url": "http://localhost", "name": "a", "domain": "localhost2"}, "invalid Domain"),
        ({"url": "http://127.0.0.1", "name": "a", "domain": "127.0.0.2"}, "invalid Domain"),
        ({"url": "http://x.co.uk", "name": "a", "domain": "co.uk"}, "invalid Domain"),
        (
            {
                "url": "http://example.com",
                "name": "a",
                "sameSite": "no_restriction",
                "secure": False,
            },
            "SameSite=None, but it was not Secure",
        ),
    ]
    ses = app.session.default_session
    with trio.fail_after(60):
        for details, message in cases:
            with pytest.raises(ValueError, match=r"^Failed to set cookie - ") as info:
                await ses.cookies.set(details)
            assert message in str(info.value), details
        with pytest.raises(TypeError, match="unknown cookie detail 'expires'"):
            await ses.cookies.set({"url": LOCAL, "name": "a", "expires": 1})
        with pytest.raises(TypeError, match="'httpOnly' must be a bool"):
            await ses.cookies.set({"url": LOCAL, "name": "a", "http_only": "yes"})
        with pytest.raises(TypeError, match="unknown cookie filter key 'names'"):
            await ses.cookies.get({"names": "a"})
        # Secure from a loopback http URL is allowed (a trustworthy origin), as in Chromium.
        await ses.cookies.set({"url": "http://localhost", "name": "ok", "secure": True})
        assert _names(await ses.cookies.get({})) == ["ok"]


async def test_b14_overwrite_remove_and_flush(ses: cdpsession.Session) -> None:
    with trio.fail_after(60):
        await ses.cookies.set({"url": LOCAL, "name": "DidOverwrite", "value": "No"})
        await ses.cookies.set({"url": LOCAL, "name": "DidOverwrite", "value": "Yes"})
        (cookie,) = await ses.cookies.get({"url": LOCAL})
        assert cookie["value"] == "Yes"
        await ses.cookies.remove(LOCAL, "DidOverwrite")
        assert await ses.cookies.get({"url": LOCAL}) == []
        await ses.cookies.remove(LOCAL, "never-there")
        await ses.cookies.flush_store()


async def test_b15_domain_filter_without_url(ses: cdpsession.Session) -> None:
    with trio.fail_after(60):
        await ses.cookies.set({"url": LOCAL, "name": "d", "value": "1"})
        assert _names(await ses.cookies.get({"domain": "127.0.0.1"})) == ["d"]


async def _changes(ses: cdpsession.Session, count: int, action: Any) -> list[tuple[Any, ...]]:
    seen: list[tuple[Any, ...]] = []
    done = trio.Event()

    def listener(
        event: cdpsession.Event, cookie: dict[str, Any], cause: str, removed: bool
    ) -> None:
        seen.append((cookie["name"], cookie["value"], cause, removed))
        if len(seen) >= count:
            done.set()

    ses.cookies.on("changed", listener)
    try:
        await action()
        await done.wait()
        await trio.sleep(0.2)  # nothing more may follow
    finally:
        ses.cookies.off("changed", listener)
    return seen


async def test_b16_set_then_remove_events(ses: cdpsession.Session) -> None:
    async def action() -> None:
        await ses.cookies.set({"url": LOCAL, "name": "foo", "value": "bar"})
        await ses.cookies.remove(LOCAL, "foo")

    with trio.fail_after(60):
        seen = await _changes(ses, 2, action)
    assert seen == [("foo", "bar", "inserted", False), ("foo", "bar", "explicit", True)]


async def test_b17_overwrite_reports_overwrite_then_inserted(ses: cdpsession.Session) -> None:
    with trio.fail_after(60):
        await ses.cookies.set({"url": LOCAL, "name": "foo", "value": "bar"})
        seen = await _changes(
            ses, 2, lambda: ses.cookies.set({"url": LOCAL, "name": "foo", "value": "baz"})
        )
    assert seen == [("foo", "bar", "overwrite", True), ("foo", "baz", "inserted", False)]


async def test_b18_expiry_changes(ses: cdpsession.Session) -> None:
    now = time.time()
    base = {"url": LOCAL, "name": "foo", "value": "bar"}
    with trio.fail_after(60):
        await ses.cookies.set({**base, "expirationDate": now + 120})
        later = await _changes(
            ses, 2, lambda: ses.cookies.set({**base, "expirationDate": now + 240})
        )
        same = await _changes(
            ses, 2, lambda: ses.cookies.set({**base, "expirationDate": now + 240})
        )
        expired = await _changes(
            ses, 1, lambda: ses.cookies.set({**base, "expirationDate": now - 10})
        )
        assert await ses.cookies.get({}) == []
    assert later == [
        ("foo", "bar", "overwrite", True),
        ("foo", "bar", "inserted-no-value-change-overwrite", False),
    ]
    assert same == [
        ("foo", "bar", "overwrite", True),
        ("foo", "bar", "inserted-no-change-overwrite", False),
    ]
    assert expired == [("foo", "bar", "expired-overwrite", True)]


async def test_changes_made_by_pages_are_reported(ses: cdpsession.Session, server: Server) -> None:
    server.html("/set", "<p>set</p>", headers=[("Set-Cookie", "http=1; Path=/")])
    server.html("/", "<p>page</p>")
    with trio.fail_after(60):
        page = await ses.open_page(server.url("/"))
        seen = await _changes(ses, 1, lambda: page.load_url(server.url("/set")))
        js = await _changes(
            ses, 1, lambda: page.execute_java_script("document.cookie = 'js=2; path=/'")
        )
        again = await _changes(
            ses, 2, lambda: page.execute_java_script("document.cookie = 'js=3; path=/'")
        )
        gone = await _changes(
            ses, 1, lambda: page.execute_java_script("document.cookie = 'js=; max-age=0; path=/'")
        )
        await page.close()
    assert seen == [("http", "1", "inserted", False)]
    assert js == [("js", "2", "inserted", False)]
    assert again == [("js", "2", "overwrite", True), ("js", "3", "inserted", False)]
    assert gone == [("js", "3", "expired-overwrite", True)]


async def _count(ses: cdpsession.Session) -> int:
    return len(await ses.cookies.get({"url": "http://foo.bar"}))


async def test_b19_persistent_cookies_survive_restart(data_dir: str) -> None:
    details = {
        "url": "http://foo.bar",
        "name": "persist",
        "value": "yes",
        "expirationDate": time.time() + 60,
        "sameSite": "strict",
    }
    with trio.fail_after(90):
        async with cdpsession.open_app(data_dir) as app:
            ses = app.session.from_partition("persist:ence-test")
            await ses.cookies.remove("http://foo.bar", "persist")
            run1 = [await _count(ses)]
            await ses.cookies.set(details)
            run1 += [await _count(ses), await _count(ses)]
        async with cdpsession.open_app(data_dir) as app:
            ses = app.session.from_partition("persist:ence-test")
            run2 = [await _count(ses)]
            await ses.cookies.set(details)
            run2.append(await _count(ses))
            await ses.cookies.remove("http://foo.bar", "persist")
            run2.append(await _count(ses))
        async with cdpsession.open_app(data_dir) as app:
            run3 = await _count(app.session.from_partition("persist:ence-test"))
    assert "".join(map(str, run1)) == "011"
    assert "".join(map(str, run2)) == "110"
    assert run3 == 0


@pytest.mark.parametrize(
    ("cookie", "filter_domain", "expected"),
    [
        ({"url": "http://example.com", "domain": "example.com"}, "example.com", 1),
        ({"url": "http://example.com", "domain": "example.com"}, "other.com", 0),
        ({"url": "http://example.com", "domain": "Example.com"}, "example.com", 1),
        ({"url": "http://example.com", "domain": ".example.com"}, ".example.com", 1),
    ],
)
async def test_b20_domain_filter(
    app: cdpsession.App, cookie: dict[str, Any], filter_domain: str, expected: int
) -> None:
    ses = _fresh(app)
    with trio.fail_after(60):
        await ses.cookies.set({**cookie, "name": "n", "value": "v"})
        assert len(await ses.cookies.get({"domain": filter_domain})) == expected


@pytest.mark.parametrize(
    ("url", "domain", "filters"),
    [
        ("http://sub.example.com", ".example.com", {"sub.example.com": 1}),
        ("http://sub.example.com", "example.com", {"sub.example.com": 1}),
        (
            "http://a.b.example.com",
            ".example.com",
            {"a.b.example.com": 1, "b.example.com": 1, "example.com": 1, "otherexample.com": 0},
        ),
    ],
)
async def test_b21_parent_domain_cookies(
    app: cdpsession.App, url: str, domain: str, filters: dict[str, int]
) -> None:
    ses = _fresh(app)
    with trio.fail_after(60):
        await ses.cookies.set({"url": url, "domain": domain, "name": "n", "value": "v"})
        (cookie,) = await ses.cookies.get({})
        assert (cookie["domain"], cookie["hostOnly"]) == (".example.com", False)
        got = {f: len(await ses.cookies.get({"domain": f})) for f in filters}
    assert got == filters


async def test_b22_ip_cookie_and_two_domains(app: cdpsession.App) -> None:
    ses = _fresh(app)
    other = _fresh(app)
    with trio.fail_after(60):
        await ses.cookies.set({"url": LOCAL, "domain": "127.0.0.1", "name": "ip", "value": "v"})
        assert len(await ses.cookies.get({"domain": "127.0.0.1"})) == 1
        assert len(await ses.cookies.get({"domain": "127.0.0.2"})) == 0
        (cookie,) = await ses.cookies.get({})
        assert (cookie["domain"], cookie["hostOnly"]) == ("127.0.0.1", True)
        for host in ("example.com", "other.com"):
            await other.cookies.set({"url": f"http://{host}", "domain": host, "name": host})
        assert _names(await other.cookies.get({"domain": "example.com"})) == ["example.com"]
        assert _names(await other.cookies.get({"domain": "other.com"})) == ["other.com"]
        assert len(await other.cookies.get({})) == 2


async def test_b23_boolean_filters(app: cdpsession.App) -> None:
    ses = _fresh(app)
    url = "https://electronjs.org"
    with trio.fail_after(60):
        await ses.cookies.set({"url": url, "name": "secure", "secure": True, "value": "1"})
        await ses.cookies.set({"url": url, "name": "plain", "secure": False, "value": "1"})
        await ses.cookies.set({"url": url, "name": "http", "httpOnly": True, "value": "1"})
        await ses.cookies.set(
            {"url": url, "name": "kept", "value": "1", "expirationDate": time.time() + 10000}
        )
        got = {
            key: (
                _names(await ses.cookies.get({key: True})),
                _names(await ses.cookies.get({key: False})),
            )
            for key in ("secure", "httpOnly", "session")
        }
    assert got == {
        "secure": (["secure"], ["http", "kept", "plain"]),
        "httpOnly": (["http"], ["kept", "plain", "secure"]),
        "session": (["http", "plain", "secure"], ["kept"]),
    }


async def test_b24_set_cookie_header_shape_and_same_site(
    app: cdpsession.App, server: Server
) -> None:
    ses = _fresh(app)
    server.html("/plain", "<p>1</p>", headers=[("Set-Cookie", "foo=bar")])
    server.html("/lax", "<p>2</p>", headers=[("Set-Cookie", "same=site; SameSite=Lax")])
    server.html("/strict", "<p>3</p>", headers=[("Set-Cookie", "strict=s; SameSite=Strict")])
    server.html("/next", "<p>4</p>")
    with trio.fail_after(60):
        page = await ses.open_page(server.url("/plain"))
        assert await ses.cookies.get({}) == [
            {
                "name": "foo",
                "value": "bar",
                "domain": "127.0.0.1",
                "hostOnly": True,
                "path": "/",
                "secure": False,
                "httpOnly": False,
                "session": True,
                "sameSite": "unspecified",
            }
        ]
        await page.load_url(server.url("/lax"))
        await page.load_url(server.url("/strict"))
        got = {c["name"]: c["sameSite"] for c in await ses.cookies.get({})}
        assert got == {"foo": "unspecified", "same": "lax", "strict": "strict"}
        await page.load_url(server.url("/next"))
        await page.close()
    cookie_header = server.seen("/next")[-1].header("cookie") or ""
    assert "same=site" in cookie_header.split("; ")


async def test_b25_api_cookies_reach_requests_and_each_host_keeps_its_own(
    app: cdpsession.App, server: Server
) -> None:
    ses = _fresh(app)
    port = server.port
    server.html("/api", "<p>api</p>")
    server.routes["/hop"] = lambda _r: (302, [("Location", f"http://localhost:{port}/land")], b"")
    server.html("/land", "<p>landed</p>")
    with trio.fail_after(60):
        await ses.cookies.set({"url": server.url("/"), "name": "wild_cookie", "value": "V"})
        await ses.fetch(server.url("/api"), {"credentials": "include"})
        assert server.seen("/api")[-1].header("cookie") == "wild_cookie=V"
        await ses.fetch(server.url("/api"), {"credentials": "omit"})
        assert server.seen("/api")[-1].header("cookie") is None
        for host, value in (("127.0.0.1", "ip"), ("localhost", "name")):
            await ses.cookies.set(
                {
                    "url": f"http://{host}:{port}/",
                    "name": "each",
                    "value": value,
                    "sameSite": "no_restriction",
                }
            )
        landed = await ses.fetch(server.url("/hop"), {"credentials": "include"})
    assert (landed.url, landed.redirected) == (f"http://localhost:{port}/land", True)
    assert "each=ip" in (server.seen("/hop")[-1].header("cookie") or "")
    assert "each=name" in (server.seen("/land")[-1].header("cookie") or "")


async def test_url_filter_matches_what_chromium_sends(app: cdpsession.App, server: Server) -> None:
    ses = _fresh(app)
    base = server.url("")
    server.html("/a/b/page", "<p>page</p>")
    cases: list[dict[str, Any]] = [
        {"name": "root", "path": "/"},
        {"name": "a", "path": "/a"},
        {"name": "ab", "path": "/a/b"},
        {"name": "other", "path": "/other"},
        {"name": "ax", "path": "/ax"},
        {"name": "http_only", "path": "/", "httpOnly": True},
        {"name": "strict", "path": "/", "sameSite": "strict"},
        {"name": "secure_loopback", "path": "/", "secure": True},
    ]
    with trio.fail_after(60):
        for case in cases:
            await ses.cookies.set({"url": base + "/", "value": "v", **case})
        await ses.cookies.set({"url": "http://localhost/", "name": "elsewhere", "value": "v"})
        expected = _names(await ses.cookies.get({"url": base + "/a/b/page"}))
        page = await ses.open_page(server.url("/a/b/page"))
        await page.close()
    sent = server.seen("/a/b/page")[-1].header("cookie") or ""
    assert sorted(part.split("=")[0] for part in sent.split("; ")) == expected
    assert expected == ["a", "ab", "http_only", "root", "secure_loopback", "strict"]


async def test_session_cookies_survive_closing_every_page(
    ses: cdpsession.Session, server: Server
) -> None:
    # Chromium drops a profile's session cookies when its last page closes: the host keeps
    # its hidden utility page open so that Electron's "until the app quits" holds.
    server.html("/", "<p>p</p>", headers=[("Set-Cookie", "from_page=1")])
    with trio.fail_after(60):
        await ses.cookies.set({"url": LOCAL, "name": "from_api", "value": "1"})
        for _ in range(2):
            page = await ses.open_page(server.url("/"))
            await page.close()
        assert ses.get_all_web_contents() == []
        assert _names(await ses.cookies.get({})) == ["from_api", "from_page"]


async def test_an_expiry_in_the_past_removes_the_cookie(ses: cdpsession.Session) -> None:
    changes: list[tuple[str, bool]] = []
    ses.cookies.on("changed", lambda _e, _c, cause, removed: changes.append((cause, removed)))
    with trio.fail_after(30):
        for expiry in (-1, -1e308, float("-inf")):
            await ses.cookies.set({"url": LOCAL, "name": "gone", "value": "1"})
            await ses.cookies.set(
                {"url": LOCAL, "name": "gone", "value": "1", "expirationDate": expiry}
            )
            assert await ses.cookies.get({"name": "gone"}) == []
        with trio.move_on_after(5):
            while len(changes) < 6:  # noqa: ASYNC110 - events come from the browser
                await trio.sleep(0.01)
    assert changes == [("inserted", False), ("expired-overwrite", True)] * 3


async def test_urls_are_read_as_the_browser_reads_them(app: cdpsession.App) -> None:
    ses = _fresh(app)
    with trio.fail_after(30):
        await ses.cookies.set({"url": "http://example.com\\@evil.com/", "name": "a"})
        await ses.cookies.set({"url": "http://fa\u00df.de/", "name": "b"})
        await ses.cookies.set({"url": "http://0x7f.1/", "name": "c"})
        got = {c["name"]: c["domain"] for c in await ses.cookies.get({})}
        assert got == {"a": "example.com", "b": "xn--fa-hia.de", "c": "127.0.0.1"}
        assert [c["name"] for c in await ses.cookies.get({"url": "http://xn--fa-hia.de/"})] == ["b"]


async def test_cookies_chromium_refuses_raise_value_error(app: cdpsession.App) -> None:
    ses = _fresh(app)
    with trio.fail_after(30):
        for details in (
            {"url": LOCAL, "name": "a\tb", "value": "v"},
            {"url": LOCAL, "name": "", "value": "__Host-x"},
            {"url": LOCAL, "name": "x", "value": "v", "path": "/a;b"},
        ):
            with pytest.raises(ValueError, match=r"^Failed to set cookie - "):
                await ses.cookies.set(details)
        assert await ses.cookies.get({}) == []


class _BoomError(Exception):
    pass


async def test_listener_errors_come_out_as_the_first_one(data_dir: str) -> None:
    # An overwrite fires two events; both listeners' calls raise: open_app raises the first.
    with pytest.raises(_BoomError, match="overwrite"):  # noqa: PT012 - the app ends by the raise
        async with cdpsession.open_app(data_dir) as app:
            ses = app.session.from_partition("boom")

            def boom(_e: Any, _c: Any, cause: str, _r: bool) -> None:
                raise _BoomError(cause)

            await ses.cookies.set({"url": LOCAL, "name": "x", "value": "1"})
            ses.cookies.on("changed", boom)
            await ses.cookies.set({"url": LOCAL, "name": "x", "value": "2"})
            await trio.sleep(10)
