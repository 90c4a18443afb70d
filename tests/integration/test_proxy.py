"""``set_proxy``, ``resolve_proxy``, ``force_reload_proxy_config`` (#35-#39) on real Chromium.

The proxies answer requests themselves (``via <name> <url>``), so a page's text says which
proxy carried it; names under ``.test`` map to the loopback origin server (``direct ...``)
when Chromium connects directly. ``resolve_proxy`` must agree with where Chromium really
sends each request.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import trio

import cdpsession
from tests.integration.conftest import Request, Server
from tests.integration.netservers import HttpProxy, PacServer, Socks5Proxy

pytestmark = pytest.mark.integration

MYPROXY_PAC = "function FindProxyForURL(url, host) { return 'PROXY myproxy:%d'; }"


@pytest.fixture
def origin() -> Iterator[Server]:
    srv = Server()

    def direct(req: Request) -> tuple[int, list[tuple[str, str]], bytes]:
        return 200, [("Content-Type", "text/plain")], f"direct {req.path}".encode()

    for path in ("/", "/a", "/b", "/c", "/d", "/page"):
        srv.routes[path] = direct
    yield srv
    srv.close()


@pytest.fixture
def proxies() -> Iterator[tuple[HttpProxy, HttpProxy]]:
    with HttpProxy("P1") as p1, HttpProxy("P2") as p2:
        yield p1, p2


@pytest.fixture
async def net_app(data_dir: str, origin: Server) -> AsyncIterator[cdpsession.App]:
    # Direct connections to *.test reach the origin server; "wpad" never resolves.
    rules = f"--host-resolver-rules=MAP *.test 127.0.0.1:{origin.port}, MAP wpad ~NOTFOUND"
    async with cdpsession.open_app(data_dir, extra_args=[rules]) as app:
        yield app


@pytest.fixture(autouse=True)
def _no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "auto_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.delenv("SOCKS_SERVER", raising=False)


async def _text(page: cdpsession.WebContents, url: str) -> str:
    """What the page shows at ``url``: a proxy's ``via ...``, ``direct ...``, or the error."""
    try:
        await page.load_url(url)
    except cdpsession.NavigationError as exc:
        return exc.error_text
    text: str = await page.execute_java_script("document.body.innerText")
    return text


# -- resolve_proxy: Electron's own cases ----------------------------------------------------


async def test_b35_rules_and_bypass_rules(app: cdpsession.App) -> None:
    ses = app.session.from_partition("b35")
    with trio.fail_after(30):
        await ses.set_proxy({"proxyRules": "http=myproxy:80"})
        assert await ses.resolve_proxy("http://example.com/") == "PROXY myproxy:80"
        assert await ses.resolve_proxy("http://localhost") == "DIRECT"
        await ses.set_proxy({"proxyRules": "http=myproxy:80", "proxyBypassRules": "<-loopback>"})
        assert await ses.resolve_proxy("http://localhost") == "PROXY myproxy:80"
        await ses.set_proxy({"proxyRules": "http=myproxy:80", "proxyBypassRules": "<local>"})
        assert await ses.resolve_proxy("http://example/") == "DIRECT"
        assert await ses.resolve_proxy("http://example.com/") == "PROXY myproxy:80"
        assert ses._host is None, "fixed rules resolve without a browser"


async def test_b36_pac_script_url(app: cdpsession.App) -> None:
    with PacServer(MYPROXY_PAC % 8132) as pac:
        ses = app.session.from_partition("b36")
        with trio.fail_after(30):
            await ses.set_proxy({"pacScript": pac.url})
            assert await ses.resolve_proxy("https://google.com") == "PROXY myproxy:8132"
            await ses.set_proxy({"mode": "pac_script", "pacScript": pac.url})
            assert await ses.resolve_proxy("https://google.com") == "PROXY myproxy:8132"
            await ses.set_proxy({"pacScript": pac.data_url()})
            assert await ses.resolve_proxy("https://google.com") == "PROXY myproxy:8132"


async def test_b37_modes(net_app: cdpsession.App) -> None:
    ses = net_app.session.from_partition("b37")
    with trio.fail_after(30):
        await ses.set_proxy({"mode": "direct", "proxyRules": "http=myproxy:80"})
        assert await ses.resolve_proxy("http://example.com/") == "DIRECT"
        await ses.set_proxy({"mode": "fixed_servers", "proxyRules": "http=myproxy:80"})
        assert await ses.resolve_proxy("http://example.com/") == "PROXY myproxy:80"
        await ses.set_proxy({"mode": "pac_script"})
        assert await ses.resolve_proxy("http://example.com/") == "DIRECT"
        await ses.set_proxy({"mode": "auto_detect"})  # no WPAD host here
        assert await ses.resolve_proxy("http://example.com/") == "DIRECT"
        await ses.set_proxy({"mode": "system"})  # no proxy in the environment
        assert await ses.resolve_proxy("http://example.com/") == "DIRECT"
        with pytest.raises(
            ValueError,
            match=r"^Invalid mode, must be one of direct, auto_detect, pac_script, "
            r"fixed_servers or system$",
        ):
            await ses.set_proxy({"mode": "invalid"})


async def test_b38_force_reload_fetches_the_pac_script_again(app: cdpsession.App) -> None:
    with PacServer(MYPROXY_PAC % 8132) as pac:
        ses = app.session.from_partition("b38")
        with trio.fail_after(30):
            await ses.set_proxy({"pacScript": pac.url})
            assert await ses.resolve_proxy("http://example.com/") == "PROXY myproxy:8132"
            pac.script = MYPROXY_PAC % 8133
            assert await ses.resolve_proxy("http://example.com/") == "PROXY myproxy:8132"
            await ses.force_reload_proxy_config()
            assert await ses.resolve_proxy("http://example.com/") == "PROXY myproxy:8133"


# -- where Chromium really sends requests ------------------------------------------------------


async def test_live_switch_with_a_page_open(
    net_app: cdpsession.App, proxies: tuple[HttpProxy, HttpProxy]
) -> None:
    p1, p2 = proxies
    ses = net_app.session.from_partition("switch")
    with trio.fail_after(60):
        page = await ses.open_page()
        assert await _text(page, "http://site.test/a") == "direct /a"
        await ses.set_proxy({"proxyRules": p1.address})
        assert await _text(page, "http://site.test/b") == "via P1 http://site.test/b"
        assert await ses.resolve_proxy("http://site.test/b") == f"PROXY {p1.address}"
        await ses.set_proxy({"proxyRules": f"http={p2.address}"})
        assert await _text(page, "http://site.test/c") == "via P2 http://site.test/c"
        await ses.set_proxy({"mode": "direct"})
        assert await _text(page, "http://site.test/d") == "direct /d"


async def test_proxy_set_before_the_first_page_applies_to_it(
    net_app: cdpsession.App, proxies: tuple[HttpProxy, HttpProxy]
) -> None:
    p1, _ = proxies
    ses = net_app.session.from_partition("early")
    with trio.fail_after(60):
        await ses.set_proxy({"proxyRules": p1.address})
        assert ses._host is None
        page = await ses.open_page("http://site.test/a")
        assert await page.execute_java_script("document.body.innerText") == (
            "via P1 http://site.test/a"
        )


async def test_two_partitions_two_proxies_at_once(
    net_app: cdpsession.App, proxies: tuple[HttpProxy, HttpProxy]
) -> None:
    p1, p2 = proxies
    with trio.fail_after(60):
        one = net_app.session.from_partition("one")
        two = net_app.session.from_partition("persist:two")
        await one.set_proxy({"proxyRules": p1.address})
        await two.set_proxy({"proxyRules": p2.address})
        plain = net_app.session.default_session
        pages = [await s.open_page() for s in (one, two, plain)]
        assert [await _text(p, "http://site.test/a") for p in pages] == [
            "via P1 http://site.test/a",
            "via P2 http://site.test/a",
            "direct /a",
        ]


async def test_failover_to_the_second_proxy_then_direct(
    net_app: cdpsession.App, proxies: tuple[HttpProxy, HttpProxy]
) -> None:
    _, p2 = proxies
    with HttpProxy("dead", refuse=True) as dead:
        ses = net_app.session.from_partition("failover")
        with trio.fail_after(60):
            await ses.set_proxy({"proxyRules": f"{dead.address},{p2.address},direct://"})
            assert await ses.resolve_proxy("http://site.test/") == (
                f"PROXY {dead.address};PROXY {p2.address};DIRECT"
            )
            page = await ses.open_page()
            assert await _text(page, "http://site.test/a") == "via P2 http://site.test/a"
            await ses.set_proxy({"proxyRules": f"http={dead.address},direct://"})
            assert await _text(page, "http://site.test/b") == "direct /b"


async def test_socks5_proxy(net_app: cdpsession.App) -> None:
    with Socks5Proxy("S5") as socks:
        ses = net_app.session.from_partition("socks")
        with trio.fail_after(60):
            await ses.set_proxy({"proxyRules": f"socks5://127.0.0.1:{socks.port}"})
            assert await ses.resolve_proxy("http://site.test/") == f"SOCKS5 127.0.0.1:{socks.port}"
            page = await ses.open_page()
            assert await _text(page, "http://site.test/a") == "via S5 site.test:80/a"


async def test_resolve_proxy_agrees_with_routing(
    net_app: cdpsession.App, origin: Server, proxies: tuple[HttpProxy, HttpProxy]
) -> None:
    p1, p2 = proxies
    bypass = "*.skip.test, .bare.test, https://secure.test, *:8123, 127.0.0.0/8, <-loopback>"
    cases = [
        "http://site.test/a",
        "http://a.skip.test/a",
        "http://skip.test/a",
        "http://x.bare.test/a",
        "http://bare.test/a",
        "http://secure.test/a",
        "http://other.test:8123/a",
        f"http://127.0.0.1:{origin.port}/a",
        f"http://localhost:{origin.port}/a",
    ]
    with trio.fail_after(120):
        for rules in (p1.address, f"{p1.address},{p2.address}"):
            ses = net_app.session.from_partition(f"agree-{len(rules)}")
            config: dict[str, Any] = {"proxyRules": rules, "proxyBypassRules": bypass}
            if "," in rules:
                config["proxyBypassRules"] = bypass.replace(", <-loopback>", "")
            await ses.set_proxy(config)
            page = await ses.open_page()
            for url in cases:
                seen = await _text(page, url)
                resolved = await ses.resolve_proxy(url)
                went = "DIRECT" if seen.startswith("direct") or "REFUSED" in seen else "proxy"
                said = "DIRECT" if resolved == "DIRECT" else "proxy"
                assert (url, went) == (url, said), (rules, seen, resolved)


async def test_pac_script_routes_as_resolved(
    net_app: cdpsession.App, proxies: tuple[HttpProxy, HttpProxy]
) -> None:
    p1, p2 = proxies
    script = (
        "function FindProxyForURL(url, host) {"
        f" if (dnsDomainIs(host, '.one.test')) return 'PROXY {p1.address}';"
        f" if (shExpMatch(url, '*/two*')) return 'PROXY {p2.address}; DIRECT';"
        " return 'DIRECT'; }"
    )
    with PacServer(script) as pac:
        for source in (pac.url, pac.data_url()):
            ses = net_app.session.from_partition(f"pac-{source[:4]}")
            with trio.fail_after(60):
                await ses.set_proxy({"pacScript": source})
                page = await ses.open_page()
                assert await _text(page, "http://a.one.test/a") == "via P1 http://a.one.test/a"
                assert await ses.resolve_proxy("http://a.one.test/a") == f"PROXY {p1.address}"
                assert await _text(page, "http://site.test/two") == ("via P2 http://site.test/two")
                assert await ses.resolve_proxy("http://site.test/two") == (
                    f"PROXY {p2.address};DIRECT"
                )
                assert await _text(page, "http://site.test/a") == "direct /a"
                assert await ses.resolve_proxy("http://site.test/a") == "DIRECT"


async def test_unreachable_mandatory_pac_blocks_and_resolves_empty(
    net_app: cdpsession.App,
) -> None:
    with HttpProxy("dead", refuse=True) as dead:
        ses = net_app.session.from_partition("pac-dead")
        with trio.fail_after(60):
            await ses.set_proxy({"pacScript": f"http://{dead.address}/proxy.pac"})
            assert await ses.resolve_proxy("http://site.test/") == ""
            page = await ses.open_page()
            assert await _text(page, "http://site.test/a") == (
                "net::ERR_MANDATORY_PROXY_CONFIGURATION_FAILED"
            )


async def test_b39_proxy_authentication_through_login(net_app: cdpsession.App) -> None:
    with HttpProxy("AUTH", auth=("user", "secret")) as proxy:
        ses = net_app.session.from_partition("proxy-auth")
        seen: list[dict[str, Any]] = []

        def on_login(event: cdpsession.Event, wc: Any, details: Any, info: Any, cb: Any) -> None:
            seen.append(info)
            event.prevent_default()
            cb("user", "secret")

        ses.on("login", on_login)
        with trio.fail_after(60):
            await ses.set_proxy({"proxyRules": proxy.address})
            page = await ses.open_page()
            assert await _text(page, "http://site.test/a") == "via AUTH http://site.test/a"
            assert await _text(page, "http://site.test/b") == "via AUTH http://site.test/b"
            assert seen == [
                {
                    "isProxy": True,
                    "scheme": "basic",
                    "host": "127.0.0.1",
                    "port": proxy.port,
                    "realm": "AUTH",
                }
            ], "answered once, then Chromium reuses the credentials"


async def test_bad_config_keeps_the_previous_one(
    net_app: cdpsession.App, proxies: tuple[HttpProxy, HttpProxy]
) -> None:
    p1, _ = proxies
    ses = net_app.session.from_partition("bad-proxy")
    with trio.fail_after(60):
        await ses.set_proxy({"proxyRules": p1.address})
        for bad, error in (
            ({"proxyRules": "foo:bar"}, ValueError),
            ({"proxyRules": "http=ok:80", "proxyBypassRules": "*.x:99999"}, ValueError),
            ({"pacScript": "not a url"}, ValueError),
            ({"proxy_rules": p1.address, "proxyRules": p1.address}, TypeError),
            ({"proxyRule": p1.address}, TypeError),
            ({"proxyRules": 80}, TypeError),
        ):
            with pytest.raises(error):
                await ses.set_proxy(bad)
        with pytest.raises(cdpsession.UnsupportedError, match="<-loopback>"):
            await ses.set_proxy({"proxyRules": "a:1,b:2", "proxyBypassRules": "<-loopback>"})
        page = await ses.open_page()
        assert await _text(page, "http://site.test/a") == "via P1 http://site.test/a"
        with pytest.raises(ValueError, match="not a url"):
            await ses.resolve_proxy("not a url")


async def test_system_mode_follows_the_environment(
    data_dir: str,
    origin: Server,
    proxies: tuple[HttpProxy, HttpProxy],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p1, _ = proxies
    for name in ("XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", p1.url)
    monkeypatch.setenv("no_proxy", "skip.test")
    rules = f"--host-resolver-rules=MAP *.test 127.0.0.1:{origin.port}"
    async with cdpsession.open_app(data_dir, extra_args=[rules]) as app:
        ses = app.session.from_partition("system")
        with trio.fail_after(60):
            assert await ses.resolve_proxy("http://site.test/") == f"PROXY {p1.address}"
            assert await ses.resolve_proxy("http://a.skip.test/") == "DIRECT"
            page = await ses.open_page()
            assert await _text(page, "http://site.test/a") == "via P1 http://site.test/a"
            assert await _text(page, "http://a.skip.test/a") == "direct /a"
            await ses.set_proxy({"mode": "direct"})
            assert await _text(page, "http://site.test/b") == "direct /b"
            await ses.set_proxy({"mode": "system"})
            assert await _text(page, "http://site.test/c") == "via P1 http://site.test/c"


async def test_flags_given_to_chromium_are_the_starting_config(
    data_dir: str, proxies: tuple[HttpProxy, HttpProxy]
) -> None:
    p1, _ = proxies
    flags = [f"--proxy-server={p1.address}", "--proxy-bypass-list=*.skip.test"]
    async with cdpsession.open_app(data_dir, extra_args=flags) as app:
        ses = app.session.from_partition("flags")
        with trio.fail_after(60):
            assert await ses.resolve_proxy("http://site.test/") == f"PROXY {p1.address}"
            assert await ses.resolve_proxy("http://a.skip.test/") == "DIRECT"
            page = await ses.open_page()
            assert await _text(page, "http://site.test/a") == "via P1 http://site.test/a"


async def test_pac_script_from_a_file_and_its_dns_lookups(
    net_app: cdpsession.App, proxies: tuple[HttpProxy, HttpProxy], tmp_path: Any
) -> None:
    p1, _ = proxies
    # dnsResolve goes through the session's resolver, as in the browser: *.test maps to
    # 127.0.0.1 by the app's --host-resolver-rules.
    pac = tmp_path / "proxy.pac"
    pac.write_text(
        "function FindProxyForURL(url, host) {"
        f" if (dnsResolve(host) == '127.0.0.1' && isResolvable(host)) return 'PROXY {p1.address}';"
        " return 'DIRECT'; }"
    )
    ses = net_app.session.from_partition("pac-file")
    with trio.fail_after(60):
        await ses.set_proxy({"pacScript": pac.as_uri()})
        assert await ses.resolve_proxy("http://site.test/a") == f"PROXY {p1.address}"
        assert await ses.resolve_proxy("http://nowhere.invalid/a") == "DIRECT"
        page = await ses.open_page()
        assert await _text(page, "http://site.test/a") == "via P1 http://site.test/a"

        await ses.set_proxy({"pacScript": (tmp_path / "missing.pac").as_uri()})
        assert await ses.resolve_proxy("http://site.test/a") == ""
        assert await _text(page, "http://site.test/b") == (
            "net::ERR_MANDATORY_PROXY_CONFIGURATION_FAILED"
        )


async def test_cancelled_set_proxy_never_leaves_resolve_proxy_and_chromium_apart(
    net_app: cdpsession.App, proxies: tuple[HttpProxy, HttpProxy]
) -> None:
    p1, p2 = proxies
    ses = net_app.session.from_partition("cancel-proxy")
    with trio.fail_after(120):
        page = await ses.open_page()
        for i, deadline in enumerate((0.0, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016)):
            await ses.set_proxy({"proxyRules": p1.address})
            rules = p2.address if i % 2 else f"{p2.address},direct://"
            with trio.move_on_after(deadline):
                await ses.set_proxy({"proxyRules": rules})
            await ses.close_all_connections()
            went = await _text(page, f"http://site.test/a?{i}")
            said = await ses.resolve_proxy("http://site.test/a")
            via = "P1" if p1.address in said.split(";")[0] else "P2"
            assert went.startswith(f"via {via} "), (deadline, said, went)


async def test_pac_scripts_chromium_would_refuse_as_given(
    net_app: cdpsession.App, proxies: tuple[HttpProxy, HttpProxy]
) -> None:
    # chrome.proxy takes PAC text in ASCII only: cdpsession escapes the rest, and the script
    # means what it meant. An empty script fails, as a mandatory PAC does in Electron.
    p1, _ = proxies
    script = (
        "// (c) M\u00fcller GmbH \U0001f600\n"
        f"function FindProxyForURL(url, host) {{ var who = 'M\u00fcller';"
        f" return who.length > 0 ? 'PROXY {p1.address}' : 'DIRECT'; }}"
    )
    with PacServer(script) as pac:
        ses = net_app.session.from_partition("pac-unicode")
        with trio.fail_after(60):
            page = await ses.open_page()
            await ses.set_proxy({"pacScript": pac.url})
            assert await ses.resolve_proxy("http://site.test/") == f"PROXY {p1.address}"
            assert await _text(page, "http://site.test/a") == "via P1 http://site.test/a"
            pac.script = ""
            await ses.set_proxy({"pacScript": pac.url + "?empty"})
            assert await ses.resolve_proxy("http://site.test/") == ""
            assert await _text(page, "http://site.test/b") == (
                "net::ERR_MANDATORY_PROXY_CONFIGURATION_FAILED"
            )
        fresh = net_app.session.from_partition("pac-unicode-early")
        with trio.fail_after(60):
            pac.script = script
            await fresh.set_proxy({"pacScript": pac.url})
            page = await fresh.open_page()
            assert await _text(page, "http://site.test/c") == "via P1 http://site.test/c"


async def test_a_pac_server_that_never_answers_does_not_hold_set_proxy(
    net_app: cdpsession.App,
) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        ses = net_app.session.from_partition("pac-silent")
        with trio.fail_after(20):
            started = trio.current_time()
            await ses.set_proxy({"pacScript": f"http://127.0.0.1:{silent.getsockname()[1]}/p"})
            assert trio.current_time() - started < 10
            # (Chromium now waits for the script itself, as in Electron: up to 30 s.)
            page = await ses.open_page()
            await ses.set_proxy({"mode": "direct"})
            assert await _text(page, "http://site.test/b") == "direct /b"
    finally:
        silent.close()
