"""``resolve_host`` (#40, #41) and ``clear_host_resolver_cache`` with Chromium's own resolver.

The browser resolves through a loopback DNS-over-HTTPS server (its Local State prefs point
there), so every DNS question it asks is counted; ``--host-resolver-rules`` maps the names of
Electron's own tests, as Electron's test runner does.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest
import trio
import trustme

import cdpsession
from tests.integration.netservers import DohServer

pytestmark = pytest.mark.integration

RULES = (
    "--host-resolver-rules=MAP ipv4.localhost2 10.0.0.1, MAP ipv6.localhost2 [::1],"
    " MAP notfound.localhost2 ~NOTFOUND"
)
A = 1


@pytest.fixture
def doh() -> Iterator[DohServer]:
    with DohServer(ca=trustme.CA()) as server:
        server.records["cached.example"] = ["127.0.0.1"]
        server.records["two.example"] = ["127.0.0.2", "127.0.0.3"]
        yield server


@pytest.fixture
async def dns_app(data_dir: str, doh: DohServer) -> AsyncIterator[cdpsession.App]:
    await trio.Path(data_dir, "Local State").write_text(json.dumps(doh.local_state()))
    async with cdpsession.open_app(
        data_dir, extra_args=[RULES, f"--ignore-certificate-errors-spki-list={doh.spki}"]
    ) as app:
        yield app


def _a_queries(doh: DohServer, name: str) -> int:
    return doh.queries.count((name, A))


async def test_b40_resolve_host_follows_the_browsers_rules(dns_app: cdpsession.App) -> None:
    ses = dns_app.session.default_session
    with trio.fail_after(60):
        assert await ses.resolve_host("ipv4.localhost2") == {
            "endpoints": [{"address": "10.0.0.1", "family": "ipv4"}]
        }
        assert await ses.resolve_host("ipv6.localhost2") == {
            "endpoints": [{"address": "::1", "family": "ipv6"}]
        }
        assert await ses.resolve_host("ipv4.localhost2", {"queryType": "A"}) == {
            "endpoints": [{"address": "10.0.0.1", "family": "ipv4"}]
        }


@pytest.mark.parametrize(
    ("host", "options"),
    [
        ("ipv4.localhost2", {"queryType": "AAAA"}),
        ("notfound.localhost2", None),
        ("notfound.localhost2", {"queryType": "A"}),
        ("unknown.example", None),
    ],
)
async def test_b41_resolve_host_errors(
    dns_app: cdpsession.App, host: str, options: dict[str, str] | None
) -> None:
    ses = dns_app.session.default_session
    with trio.fail_after(60), pytest.raises(cdpsession.NetworkError) as failed:
        await ses.resolve_host(host, options)
    assert failed.value.error_text == "net::ERR_NAME_NOT_RESOLVED"
    assert "net::ERR_NAME_NOT_RESOLVED" in str(failed.value)


async def test_resolve_host_uses_dns_and_the_cache_and_clearing_it(
    dns_app: cdpsession.App, doh: DohServer
) -> None:
    ses = dns_app.session.default_session
    with trio.fail_after(60):
        two = await ses.resolve_host("two.example")
        assert sorted(e["address"] for e in two["endpoints"]) == ["127.0.0.2", "127.0.0.3"]
        assert await ses.resolve_host("cached.example") == {
            "endpoints": [{"address": "127.0.0.1", "family": "ipv4"}]
        }
        assert _a_queries(doh, "cached.example") == 1
        await ses.resolve_host("cached.example", {"cacheUsage": "allowed"})
        await ses.resolve_host("cached.example", {"cache_usage": "staleAllowed"})
        assert _a_queries(doh, "cached.example") == 1, "answered from the host cache"

        await ses.clear_host_resolver_cache()
        await ses.resolve_host("cached.example")
        assert _a_queries(doh, "cached.example") == 2
        await ses.resolve_host("cached.example", {"cacheUsage": "disallowed"})
        assert _a_queries(doh, "cached.example") == 3


async def test_resolve_host_literals_and_localhost(app: cdpsession.App) -> None:
    ses = app.session.from_partition("resolve")
    with trio.fail_after(60):
        assert await ses.resolve_host("127.0.0.1") == {
            "endpoints": [{"address": "127.0.0.1", "family": "ipv4"}]
        }
        for literal in ("[::1]", "::1", "0:0::1"):
            assert await ses.resolve_host(literal) == {
                "endpoints": [{"address": "::1", "family": "ipv6"}]
            }
        local = await ses.resolve_host("localhost")
        assert {e["address"] for e in local["endpoints"]} == {"127.0.0.1", "::1"}
        assert await ses.resolve_host("localhost", {"queryType": "A"}) == {
            "endpoints": [{"address": "127.0.0.1", "family": "ipv4"}]
        }


async def test_resolve_host_bad_and_unsupported_options(app: cdpsession.App) -> None:
    ses = app.session.from_partition("resolve-bad")
    with trio.fail_after(30):
        with pytest.raises(TypeError, match="host must be a str"):
            await ses.resolve_host(None)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="queryType must be one of A, AAAA"):
            await ses.resolve_host("localhost", {"queryType": "AAA"})
        with pytest.raises(TypeError, match="unknown resolve_host option"):
            await ses.resolve_host("localhost", {"type": "A"})
        for key, value in (
            ("source", "mdns"),
            ("source", "localOnly"),
            ("secureDnsPolicy", "disable"),
        ):
            with pytest.raises(cdpsession.UnsupportedError, match=value):
                await ses.resolve_host("localhost", {key: value})
        assert ses._host is None
