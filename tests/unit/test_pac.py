"""resolveProxy computed in Python: fixed rules, PAC scripts in QuickJS, PAC fetching."""

from __future__ import annotations

import datetime
import functools
import json
import logging
import ssl
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio
import trustme
from hypothesis import given, settings
from hypothesis import strategies as st

from cdpsession import CDPSessionError
from cdpsession._pac import (
    WPAD_URL,
    PacFetchError,
    PacScript,
    choose_my_addresses,
    fetch_pac,
    implicitly_bypassed,
    my_ip_addresses,
    pac_url_for,
    parse_pac_result,
    resolve_proxy,
)
from cdpsession._proxy_config import compile_pac, parse_proxy_config, parse_proxy_rules
from cdpsession._url import canonical_url

# Friday 15 March 2024, 13:30:45 at UTC+2 (11:30:45 UTC).
NOW = datetime.datetime(
    2024, 3, 15, 13, 30, 45, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
)
# Friday 15 March 2024, 01:00 at UTC+2: still Thursday the 14th in UTC.
EARLY = datetime.datetime(
    2024, 3, 15, 1, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
)

NAMES = {
    "example.com": ["93.184.216.34", "2606:2800:220:1::1"],
    "v6only.test": ["2001:db8::1"],
    "intranet": ["10.1.2.3"],
    "pac.test": ["127.0.0.1"],
}


class FakeResolver:
    """A name table; records every lookup. ``default`` answers names not in the table."""

    def __init__(self, names: dict[str, list[str]] | None = None, default: Sequence[str] = ()):
        self.names = NAMES if names is None else names
        self.default = list(default)
        self.calls: list[str] = []

    async def __call__(self, name: str) -> list[str]:
        self.calls.append(name)
        return list(self.names.get(name, self.default))


async def my_addresses(ex: bool) -> list[str]:
    return ["192.168.1.20", "2001:db8::20"] if ex else ["192.168.1.20"]


async def no_addresses(ex: bool) -> list[str]:
    return []


async def resolve(
    config: dict[str, Any],
    url: str,
    *,
    pac_text: str | PacScript | None = None,
    env: dict[str, str] | None = None,
) -> str:
    return await resolve_proxy(
        parse_proxy_config(config), url, pac_text=pac_text, resolver=FakeResolver(), env=env or {}
    )


def alerts(caplog: pytest.LogCaptureFixture) -> list[str]:
    prefix = "PAC script alert: "
    messages = [record.getMessage() for record in caplog.records]
    return [m.removeprefix(prefix) for m in messages if m.startswith(prefix)]


async def js(
    caplog: pytest.LogCaptureFixture,
    expression: str,
    *,
    now: datetime.datetime = NOW,
    resolver: FakeResolver | None = None,
    addresses: Any = my_addresses,
) -> Any:
    """The value of ``expression`` evaluated in a PAC script's environment."""
    script = PacScript.compile(
        "function FindProxyForURL(url, host) {\n"
        f"  alert(String(JSON.stringify({expression})));\n"
        "  return 'DIRECT';\n"
        "}"
    )
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="cdpsession"):
        result = await script.find_proxy(
            "http://example.com/",
            resolver or FakeResolver(),
            now=now,
            my_addresses=addresses,
        )
    assert result == "DIRECT"
    (value,) = alerts(caplog)
    return None if value == "undefined" else json.loads(value)


# --- URLs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "spec", "pac_spec"),
    [
        (
            "HTTP://User:Pw@Example.COM:80/a/../b/./c?q=1 2#frag",
            "http://example.com/b/c?q=1%202",
            "http://example.com/b/c?q=1%202",
        ),
        (
            "https://example.com:8443/secret/path?token=1#x",
            "https://example.com:8443/secret/path?token=1",
            "https://example.com:8443/",
        ),
        ("wss://[0:0::1]:443/x", "wss://[::1]/x", "wss://[::1]/"),
        ("http://127.1:8080", "http://127.0.0.1:8080/", "http://127.0.0.1:8080/"),
        (
            "ftp://bücher.example/f",
            "ftp://xn--bcher-kva.example/f",
            "ftp://xn--bcher-kva.example/f",
        ),
        ("http:\\\\example.com\\a\\b", "http://example.com/a/b", "http://example.com/a/b"),
        (" \thttp://exam\nple.com/ü\n", "http://example.com/%C3%BC", "http://example.com/%C3%BC"),
        ("ws://h.test:80/?", "ws://h.test/?", "ws://h.test/?"),
        ("http://h.test:0/", "http://h.test:0/", "http://h.test:0/"),
    ],
)
def test_canonical_url(url: str, spec: str, pac_spec: str) -> None:
    parsed = canonical_url(url)
    assert (parsed.spec, parsed.pac_spec) == (spec, pac_spec)


def test_canonical_url_parts() -> None:
    parsed = canonical_url("https://[::1]:8443/x")
    assert (parsed.scheme, parsed.host, parsed.host_no_brackets) == ("https", "[::1]", "::1")
    assert (parsed.port, parsed.effective_port) == (8443, 8443)
    assert canonical_url("ftp://f.test/").effective_port == 21


@pytest.mark.parametrize(
    "url",
    [
        "example.com",
        "/path",
        "file:///etc/hosts",
        "data:,x",
        "mailto:a@b.test",
        "http://",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "http://example.com:8o/",
        "http://[::1/",
        "http://[::1]x/",
        "http://1.2.3.999/",
    ],
)
def test_invalid_urls_raise(url: str) -> None:
    with pytest.raises(
        ValueError, match=r"^'.*'(: proxies apply to| is not an absolute URL| has an invalid)"
    ):
        canonical_url(url)


async def test_resolving_an_invalid_url_raises() -> None:
    with pytest.raises(ValueError, match="is not an absolute URL"):
        await resolve({}, "example.com")
    with pytest.raises(ValueError, match="has an invalid host"):
        await PacScript.compile(PROXY_EVERYTHING).find_proxy("http://a b/", FakeResolver())


def test_a_non_string_url_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="url must be a str, not bytes"):
        canonical_url(b"http://x/")  # type: ignore[arg-type]


# --- PAC results ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "printed"),
    [
        ("PROXY foopy1 ; proxy foopy2;\t DIRECT", "PROXY foopy1:80;PROXY foopy2:80;DIRECT"),
        (
            "PROXY foopy:10 ; SOCKS5 foopy2 ; SOCKS foopy11 ; PROXY foopy3 ; DIRECT",
            "PROXY foopy:10;SOCKS5 foopy2:1080;SOCKS foopy11:1080;PROXY foopy3:80;DIRECT",
        ),
        ("HTTPS secure:8443;socks4 s4;https h", "HTTPS secure:8443;SOCKS s4:1080;HTTPS h:443"),
        ("direct;PROXY Example.COM:0080", "DIRECT;PROXY example.com:80"),
        ("PROXY [0::1]:3128;PROXY ::1:3129", "PROXY [::1]:3128;PROXY [::1]:3129"),
        ("PROXY p:0", "PROXY p:0"),
        # Invalid elements are skipped (QUIC is unknown to release Chromium); none valid: DIRECT.
        ("QUIC q:443;PROXY p", "PROXY p:80"),
        ("", "DIRECT"),
        (";;", "DIRECT"),
        ("garbage", "DIRECT"),
        ("PROXY", "DIRECT"),
        ("PROXY foo:", "DIRECT"),
        ("PROXY foo bar", "DIRECT"),
        ("PROXY user@h", "DIRECT"),
        ("DIRECT x;SOCKS6 s", "DIRECT"),
    ],
)
def test_pac_results_are_read_and_printed_as_chromium(result: str, printed: str) -> None:
    assert parse_pac_result(result) == printed


# --- fixed rules ------------------------------------------------------------------------------


async def test_b35_fixed_rules_and_loopback() -> None:
    rules = {"proxyRules": "http=myproxy:80"}
    assert await resolve(rules, "http://example.com/") == "PROXY myproxy:80"
    # Loopback is bypassed implicitly, unless <-loopback> removes that.
    assert await resolve(rules, "http://localhost") == "DIRECT"
    with_loopback = {**rules, "proxyBypassRules": "<-loopback>"}
    assert await resolve(with_loopback, "http://localhost") == "PROXY myproxy:80"
    with_local = {**rules, "proxyBypassRules": "<local>"}
    assert await resolve(with_local, "http://example/") == "DIRECT"
    assert await resolve(with_local, "http://example.com/") == "PROXY myproxy:80"


async def test_b37_modes() -> None:
    assert await resolve({"mode": "direct", "proxyRules": "http=myproxy:80"}, "http://a.test/") == (
        "DIRECT"
    )
    fixed = {"mode": "fixed_servers", "proxyRules": "http=myproxy:80"}
    assert await resolve(fixed, "http://a.test/") == "PROXY myproxy:80"
    assert await resolve({"mode": "pac_script"}, "http://a.test/") == "DIRECT"
    # auto_detect without a WPAD script and system without proxy variables resolve direct.
    assert await resolve({"mode": "auto_detect"}, "http://a.test/") == "DIRECT"
    assert await resolve({"mode": "system"}, "http://a.test/") == "DIRECT"
    assert await resolve({}, "http://a.test/") == "DIRECT"


@pytest.mark.parametrize(
    ("rules", "url", "expected"),
    [
        ("http=foopy:80;ftp=foopy2", "http://a.test/", "PROXY foopy:80"),
        ("http=foopy:80;ftp=foopy2", "ftp://a.test/", "PROXY foopy2:80"),
        ("http=foopy:80;ftp=foopy2", "https://a.test/", "DIRECT"),
        ("foopy:80", "https://a.test/", "PROXY foopy:80"),
        ("foopy:80,bar,direct://", "http://a.test/", "PROXY foopy:80;PROXY bar:80;DIRECT"),
        ("socks4://foopy", "wss://a.test/", "SOCKS foopy:1080"),
        ("http=foopy,socks5://bar.com", "http://a.test/", "PROXY foopy:80;SOCKS5 bar.com:1080"),
        ("http=foopy,socks5://bar.com", "https://a.test/", "DIRECT"),
        ("http=foopy,direct://", "http://a.test/", "PROXY foopy:80;DIRECT"),
        ("http=foopy;socks=foopy2", "http://a.test/", "PROXY foopy:80"),
        ("http=foopy;socks=foopy2", "https://a.test/", "SOCKS foopy2:1080"),
        ("http=foopy;socks=foopy2", "ftp://a.test/", "SOCKS foopy2:1080"),
        # WebSockets: the socks list, else https's, else http's (RFC 6455 4.1.3).
        ("http=h;socks=s", "ws://a.test/", "SOCKS s:1080"),
        ("http=h;https=s", "ws://a.test/", "PROXY s:80"),
        ("http=h", "wss://a.test/", "PROXY h:80"),
        ("ftp=f", "ws://a.test/", "DIRECT"),
        ("https=https://[::1]:8443", "https://a.test/", "HTTPS [::1]:8443"),
        ("socks=socks5://s:1", "https://a.test/", "SOCKS5 s:1"),
    ],
)
async def test_scheme_to_proxy_list(rules: str, url: str, expected: str) -> None:
    assert await resolve({"proxyRules": rules}, url) == expected


@pytest.mark.parametrize(
    ("bypass", "url", "bypassed"),
    [
        ("foobar.com", "http://foobar.com/", True),
        ("foobar.com", "http://www.foobar.com/", False),
        ("*foobar.com", "http://www.foobar.com/", True),
        ("*foobar.com", "http://foobar.com/", True),
        ("*.foobar.com", "http://foobar.com/", False),
        ("*.foobar.com", "http://a.b.foobar.com/", True),
        ("*foobar.com:99", "http://www.foobar.com:99/", True),
        ("*foobar.com:99", "http://www.foobar.com/", False),
        ("https://x.*.y.com:99", "https://x.a.y.com:99/", True),
        ("https://x.*.y.com:99", "http://x.a.y.com:99/", False),
        ("https://x.*.y.com:99", "https://x.a.y.com/", False),
        (".google.com", "http://maps.google.com/", True),
        (".google.com", "http://google.com/", False),
        (".com", "https://a.com/", True),
        ("http://.google.com", "http://www.google.com/", True),
        ("http://.google.com", "https://www.google.com/", False),
        ("foo.test:443", "https://foo.test/", True),
        ("foo.test:80", "https://foo.test/", False),
        ("WWW.Example.COM", "http://www.EXAMPLE.com/", True),
        ("?.test", "http://a.test/", True),
        ("?.test", "http://ab.test/", False),
        ("*", "http://anything.test/", True),
        ("192.168.1.1/16", "http://192.168.200.1/", True),
        ("192.168.1.1/16", "http://192.169.0.1/", False),
        ("192.168.1.1/16", "http://[::ffff:192.168.3.4]/", True),
        ("192.168.1.1/16", "http://host.test/", False),
        ("http://192.168.0.0/16", "https://192.168.0.1/", False),
        ("fefe:13::abc/33", "http://[fefe:13:7fff::1]/", True),
        ("fefe:13::abc/33", "http://[fefe:13:8000::1]/", False),
        ("::ffff:0:0/96", "http://10.1.2.3/", True),
        ("0.0.0.0/0", "http://[2001:db8::1]/", False),
        ("10.1.2.3", "http://10.1.2.3:8080/", True),
        ("10.1.2.3:8080", "http://10.1.2.3/", False),
        ("[2001:DB8:0::1]", "http://[2001:db8::1]/", True),
        ("<local>", "http://example/", True),
        ("<local>", "http://example.com/", False),
        ("<local>", "http://[2001:db8::1]/", False),
        ("<local>", "http://10.0.0.1/", False),
    ],
)
async def test_bypass_rules_match_as_chromium(bypass: str, url: str, bypassed: bool) -> None:
    config = {"proxyRules": "foopy", "proxyBypassRules": bypass}
    assert await resolve(config, url) == ("DIRECT" if bypassed else "PROXY foopy:80")


@pytest.mark.parametrize(
    ("bypass", "url", "bypassed"),
    [
        # The IP literal examples are loopback: bypassed anyway unless <-loopback> comes first.
        ("<-loopback>, 127.0.1", "http://127.0.0.1:8080/", True),
        ("<-loopback>, 127.0.1", "http://127.0.0.2/", False),
        ("<-loopback>, [0:0::1]", "http://[::1]/", True),
        ("<-loopback>, http://[::1]:99", "http://[::1]:99/", True),
        ("<-loopback>, http://[::1]:99", "http://[::1]/", False),
        ("<-loopback>, http://[::1]:99", "https://[::1]:99/", False),
        # Later rules win.
        ("<-loopback>, localhost", "http://localhost/", True),
        ("localhost, <-loopback>", "http://localhost/", False),
        ("<local>, <-loopback>", "http://localhost/", False),
    ],
)
async def test_rules_are_evaluated_last_first(bypass: str, url: str, bypassed: bool) -> None:
    config = {"proxyRules": "foopy", "proxyBypassRules": bypass}
    assert await resolve(config, url) == ("DIRECT" if bypassed else "PROXY foopy:80")


IMPLICIT = [
    "http://localhost/",
    "http://LOCALHOST.:8080/",
    "http://a.b.localhost/",
    "http://127.0.0.1/",
    "http://127.255.1.2/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://169.254.1.1/",
    "http://[fe80::1]/",
    "http://[febf::1]/",
    "http://[::ffff:169.254.0.1]/",
]
NOT_IMPLICIT = [
    "http://128.0.0.1/",
    "http://[::2]/",
    "http://localhost.test/",
    "http://mylocalhost/",
    "http://example.com/",
    "http://[fec0::1]/",
    "http://169.255.0.1/",
    "http://[::127.0.0.1]/",
]


@pytest.mark.parametrize("url", IMPLICIT + NOT_IMPLICIT)
async def test_implicit_rules_and_loopback_subtraction(url: str) -> None:
    implicit = url in IMPLICIT
    assert implicitly_bypassed(canonical_url(url)) == implicit
    expected = "DIRECT" if implicit else "PROXY foopy:80"
    assert await resolve({"proxyRules": "foopy"}, url) == expected
    subtracted = {"proxyRules": "foopy", "proxyBypassRules": "<-loopback>"}
    assert await resolve(subtracted, url) == "PROXY foopy:80"


async def test_compiled_pac_runs_with_sanitized_urls_and_plain_hosts() -> None:
    # Chromium gives a compiled script the sanitized URL: the port must survive.
    script = PacScript.compile(compile_pac(parse_proxy_rules("foopy", "*:8443")))
    resolver = FakeResolver()
    assert await script.find_proxy("https://a.test:8443/secret", resolver) == "DIRECT"
    assert await script.find_proxy("https://a.test/secret", resolver) == "PROXY foopy:80"
    assert resolver.calls == []


# --- PAC modes --------------------------------------------------------------------------------

PROXY_EVERYTHING = "function FindProxyForURL(url, host) { return 'PROXY myproxy:8132'; }"


async def test_b36_pac_script_resolves() -> None:
    for config in (
        {"pacScript": "http://127.0.0.1:1/p.pac"},
        {"mode": "pac_script", "pacScript": "http://127.0.0.1:1/p.pac"},
    ):
        assert await resolve(config, "https://google.com", pac_text=PROXY_EVERYTHING) == (
            "PROXY myproxy:8132"
        )


@pytest.mark.parametrize("url", IMPLICIT)
async def test_loopback_never_reaches_a_pac_script(url: str) -> None:
    for config in ({"pacScript": "http://127.0.0.1:1/p.pac"}, {"mode": "auto_detect"}):
        assert await resolve(config, url, pac_text=PROXY_EVERYTHING) == "DIRECT"


async def test_a_failing_mandatory_pac_resolves_empty() -> None:
    # Electron makes its pac_script mandatory: Chromium then fails the lookup (resolveProxy
    # resolves "") instead of going direct, except for the implicit bypasses.
    config = {"pacScript": "http://127.0.0.1:1/p.pac"}
    assert await resolve(config, "http://a.test/", pac_text=None) == ""
    assert await resolve(config, "http://localhost/", pac_text=None) == "DIRECT"
    throwing = "function FindProxyForURL() { throw new Error('no'); }"
    assert await resolve(config, "http://a.test/", pac_text=throwing) == ""
    # Nothing valid in a result is not a failure: it reads as DIRECT.
    nothing = "function FindProxyForURL() { return 'NOTHING'; }"
    assert await resolve(config, "http://a.test/", pac_text=nothing) == "DIRECT"


async def test_auto_detect_falls_back_to_direct() -> None:
    config = {"mode": "auto_detect"}
    assert await resolve(config, "http://a.test/", pac_text=None) == "DIRECT"
    assert await resolve(config, "http://a.test/", pac_text="syntax error (") == "DIRECT"
    assert (
        await resolve(config, "http://a.test/", pac_text=PROXY_EVERYTHING) == "PROXY myproxy:8132"
    )


async def test_system_mode_resolves_from_the_environment() -> None:
    config = {"mode": "system"}
    env = {"http_proxy": "p:3128", "NO_PROXY": "example.com"}
    assert await resolve(config, "http://a.test/", env=env) == "PROXY p:3128"
    assert await resolve(config, "https://a.test/", env=env) == "DIRECT"
    assert await resolve(config, "http://www.example.com/", env=env) == "DIRECT"
    assert await resolve(config, "http://localhost/", env=env) == "DIRECT"
    auto = {"auto_proxy": "http://pac.test/p.pac"}
    assert await resolve(config, "http://a.test/", env=auto, pac_text=PROXY_EVERYTHING) == (
        "PROXY myproxy:8132"
    )
    # The system's PAC script is not mandatory.
    assert await resolve(config, "http://a.test/", env=auto, pac_text=None) == "DIRECT"


def test_pac_url_for() -> None:
    assert pac_url_for(parse_proxy_config({"pacScript": "data:,x"}), {}) == "data:,x"
    assert pac_url_for(parse_proxy_config({"mode": "auto_detect"}), {}) == WPAD_URL
    system = parse_proxy_config({"mode": "system"})
    assert pac_url_for(system, {"auto_proxy": "http://p.test/x.pac"}) == "http://p.test/x.pac"
    assert pac_url_for(system, {"auto_proxy": ""}) == WPAD_URL
    assert pac_url_for(system, {"all_proxy": "p"}) is None
    assert pac_url_for(parse_proxy_config({"proxyRules": "p"}), {}) is None
    assert pac_url_for(parse_proxy_config({"mode": "pac_script"}), {}) is None


async def test_a_script_keeps_its_global_state_between_calls() -> None:
    counter = "var n = 0; function FindProxyForURL() { n += 1; return 'PROXY p' + n; }"
    script = PacScript.compile(counter)
    config = {"pacScript": "http://127.0.0.1:1/p.pac"}
    assert await resolve(config, "http://a.test/", pac_text=script) == "PROXY p1:80"
    assert await resolve(config, "http://a.test/", pac_text=script) == "PROXY p2:80"


@pytest.mark.parametrize(
    ("url", "seen"),
    [
        (
            "https://user:pw@Example.com:8443/secret/path?token=1#frag",
            ["https://example.com:8443/", "example.com"],
        ),
        ("wss://a.test/socket?key", ["wss://a.test/", "a.test"]),
        (
            "http://user:pw@example.com/a/b?c=d#frag",
            ["http://example.com/a/b?c=d", "example.com"],
        ),
        ("ws://[0:0::1]:444/x", ["ws://[::1]:444/x", "::1"]),
    ],
)
async def test_scripts_see_sanitized_urls_and_hosts_without_brackets(
    caplog: pytest.LogCaptureFixture, url: str, seen: list[str]
) -> None:
    script = PacScript.compile(
        "function FindProxyForURL(url, host) { alert(url); alert(host); return 'DIRECT'; }"
    )
    with caplog.at_level(logging.INFO, logger="cdpsession"):
        assert await script.find_proxy(url, FakeResolver()) == "DIRECT"
    assert alerts(caplog) == seen


# --- the PAC environment ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ('shExpMatch("http://home.netscape.com/people/ari/index.html", "*/ari/*")', True),
        ('shExpMatch("http://home.netscape.com/people/montulli/index.html", "*/ari/*")', False),
        ('shExpMatch("a.b", "a?b")', True),
        ('shExpMatch("axb", "a.b")', False),
        ('shExpMatch("www.example.com", "*.example.*")', True),
        ('dnsDomainIs("www.netscape.com", ".netscape.com")', True),
        ('dnsDomainIs("www", ".netscape.com")', False),
        ('dnsDomainIs("www.mcom.com", ".netscape.com")', False),
        ('localHostOrDomainIs("www.netscape.com", "www.netscape.com")', True),
        ('localHostOrDomainIs("www", "www.netscape.com")', True),
        ('localHostOrDomainIs("www.mcom.com", "www.netscape.com")', False),
        ('localHostOrDomainIs("home.netscape.com", "www.netscape.com")', False),
        ('isPlainHostName("www")', True),
        ('isPlainHostName("www.netscape.com")', False),
        ('isPlainHostName("1")', False),
        ('isPlainHostName("::1")', False),
        (
            "(function () { try { isPlainHostName(1); } catch (e) { return e.name + ': ' + "
            "e.message; } })()",
            "TypeError: Requires 1 string parameter",
        ),
        ('dnsDomainLevels("www")', 0),
        ('dnsDomainLevels("www.netscape.com")', 2),
        ('isInNet("10.1.2.3", "10.0.0.0", "255.0.0.0")', True),
        ('isInNet("11.1.2.3", "10.0.0.0", "255.0.0.0")', False),
        ('isInNet("example.com", "93.184.0.0", "255.255.0.0")', True),
        ('isInNet("nowhere.test", "0.0.0.0", "0.0.0.0")', False),
        ('isInNet("10.1.2.3", "10.0.0", "255.0.0.0")', False),
        ('isInNet("300.1.2.3", "0.0.0.0", "0.0.0.0")', False),
        ('isResolvable("example.com")', True),
        ('isResolvable("v6only.test")', False),
        ('isResolvable("nowhere.test")', False),
        ('isResolvableEx("v6only.test")', True),
        ('isResolvableEx("nowhere.test")', False),
        ('dnsResolve("example.com")', "93.184.216.34"),
        ('dnsResolve("v6only.test")', None),
        ('dnsResolve("127.1")', "127.0.0.1"),
        ('dnsResolve("::1")', None),
        ("dnsResolve(5)", None),
        ('dnsResolveEx("example.com")', "93.184.216.34;2606:2800:220:1::1"),
        ('dnsResolveEx("nowhere.test")', ""),
        ('dnsResolveEx("0:0::1")', "::1"),
        ("myIpAddress()", "192.168.1.20"),
        ("myIpAddressEx()", "192.168.1.20;2001:db8::20"),
        (
            'sortIpAddressList("10.2.3.9;2001:4898:28:3:201:2ff:feea:fc14;::1;10.2.3.10;::9")',
            "::1;::9;2001:4898:28:3:201:2ff:feea:fc14;10.2.3.9;10.2.3.10",
        ),
        ('sortIpAddressList(" 10.0.0.2 ; 10.0.0.1 ")', "10.0.0.1;10.0.0.2"),
        ('sortIpAddressList("")', False),
        ('sortIpAddressList(";")', False),
        ('sortIpAddressList("10.0.0.1;foo")', False),
        ("sortIpAddressList(5)", None),
        ('isInNetEx("198.95.249.79", "198.95.249.79/32")', True),
        ('isInNetEx("198.95.6.8", "198.95.0.0/16")', True),
        ('isInNetEx("198.96.6.8", "198.95.0.0/16")', False),
        ('isInNetEx("3ffe:8311:ffff:abcd:1234:dead:beef:101", "3ffe:8311:ffff::/48")', True),
        ('isInNetEx("::ffff:10.0.0.1", "10.0.0.0/8")', True),
        ('isInNetEx("1.2.3.4", "1.2.3.4")', False),
        ("isInNetEx(1, '1.2.3.4/8')", None),
        ('isValidIpAddress("104.16.41.2")', True),
        ('convert_addr("104.16.41.2")', 1745889538),
        ("typeof getClientVersion + typeof FindProxyForURLEx", "undefinedundefined"),
    ],
)
async def test_pac_helpers(caplog: pytest.LogCaptureFixture, expression: str, value: Any) -> None:
    assert await js(caplog, expression) == value


async def test_my_ip_address_without_an_address(caplog: pytest.LogCaptureFixture) -> None:
    assert await js(caplog, "myIpAddress()", addresses=no_addresses) == "127.0.0.1"
    assert await js(caplog, "myIpAddressEx()", addresses=no_addresses) == ""


@pytest.mark.parametrize(
    ("expression", "now", "value"),
    [
        ('weekdayRange("MON", "FRI")', NOW, True),
        ('weekdayRange("FRI")', NOW, True),
        ('weekdayRange("SAT")', NOW, False),
        ('weekdayRange("SAT", "MON")', NOW, False),
        ('weekdayRange("THU", "SUN", "GMT")', NOW, True),
        ('weekdayRange("fri")', NOW, False),
        ("weekdayRange()", NOW, False),
        ('weekdayRange("THU", "GMT")', EARLY, True),
        ('weekdayRange("THU")', EARLY, False),
        ("dateRange(15)", NOW, True),
        ("dateRange(14)", NOW, False),
        ('dateRange("MAR")', NOW, True),
        ('dateRange("APR")', NOW, False),
        ("dateRange(2024)", NOW, True),
        ("dateRange(1, 20)", NOW, True),
        ("dateRange(16, 20)", NOW, False),
        ('dateRange("JAN", "MAR")', NOW, True),
        ('dateRange("APR", "DEC")', NOW, False),
        ('dateRange("NOV", "FEB")', NOW, False),
        ('dateRange(1, "MAR", 2024, 31, "MAR", 2024)', NOW, True),
        ('dateRange(16, "MAR", 2024, 20, "MAR", 2024)', NOW, False),
        ('dateRange("MAR", 2023, "MAR", 2024)', NOW, True),
        ('dateRange(14, "GMT")', EARLY, True),
        ("dateRange(14)", EARLY, False),
        ("timeRange(13)", NOW, True),
        ("timeRange(12)", NOW, False),
        ("timeRange(9, 17)", NOW, True),
        ("timeRange(14, 17)", NOW, False),
        ("timeRange(13, 0, 14, 0)", NOW, True),
        ("timeRange(13, 31, 14, 0)", NOW, False),
        ("timeRange(13, 30, 0, 13, 30, 59)", NOW, True),
        ("timeRange(13, 30, 46, 13, 30, 59)", NOW, False),
        ('timeRange(11, "GMT")', NOW, True),
        ("timeRange(22, 0, 2, 0)", NOW, False),
        ("timeRange(22, 0, 2, 0)", EARLY, True),
        (
            "(function () { try { timeRange(1, 2, 3); } catch (e) { return e; } })()",
            NOW,
            "timeRange: bad number of arguments",
        ),
    ],
)
async def test_date_and_time_ranges_use_the_given_clock(
    caplog: pytest.LogCaptureFixture, expression: str, now: datetime.datetime, value: Any
) -> None:
    assert await js(caplog, expression, now=now) == value


async def test_alerts_are_logged_once_for_the_run_that_counts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    script = PacScript.compile(
        "function FindProxyForURL(url, host) {"
        "  alert('ip ' + (dnsResolve(host) || 'unknown')); alert(); return 'DIRECT'; }"
    )
    with caplog.at_level(logging.INFO, logger="cdpsession"):
        assert await script.find_proxy("http://example.com/", FakeResolver()) == "DIRECT"
    # The first run (before the lookup) is discarded with its alerts.
    assert alerts(caplog) == ["ip 93.184.216.34", "undefined"]


# --- name lookups without threads -------------------------------------------------------------


async def test_a_lookup_reruns_the_script_even_when_it_catches_errors() -> None:
    script = PacScript.compile(
        "function FindProxyForURL(url, host) {\n"
        "  try { var ip = dnsResolve(host); } catch (e) { return 'PROXY caught'; }\n"
        "  return ip ? 'PROXY resolved' : 'PROXY unresolved';\n"
        "}"
    )
    resolver = FakeResolver()
    assert await script.find_proxy("http://example.com/", resolver) == "PROXY resolved:80"
    assert await script.find_proxy("http://nowhere.test/", resolver) == "PROXY unresolved:80"
    assert resolver.calls == ["example.com", "nowhere.test"]


async def test_a_script_that_breaks_on_a_missing_answer_is_rerun() -> None:
    script = PacScript.compile(
        "function FindProxyForURL(url, host) {\n"
        "  var a = dnsResolve(host), b = dnsResolve('intranet'), c = dnsResolve(host);\n"
        "  return 'PROXY ' + a.split('.')[0] + '-' + b.split('.')[1] + ':' + c.split('.')[3];\n"
        "}"
    )
    resolver = FakeResolver()
    assert await script.find_proxy("http://example.com/", resolver) == "PROXY 93-1:34"
    # Each name once, both missed in the same run.
    assert resolver.calls == ["example.com", "intranet"]


async def test_lookups_while_loading_the_script() -> None:
    script = PacScript.compile(
        "var corp = isInNet(myIpAddress(), '192.168.0.0', '255.255.0.0')\n"
        "  && isResolvable('intranet');\n"
        "function FindProxyForURL(url, host) { return corp ? 'PROXY corp' : 'DIRECT'; }"
    )
    assert script.error is None
    resolver = FakeResolver()
    for _ in range(2):
        assert (
            await script.find_proxy("http://a.test/", resolver, my_addresses=my_addresses)
            == "PROXY corp:80"
        )
    assert resolver.calls == ["intranet"]


async def test_names_past_twenty_per_run_fail_as_in_chromium() -> None:
    # Chromium answers 20 distinct names per run; later new names fail, the script goes on.
    everything = FakeResolver(names={}, default=["10.0.0.1"])
    at_once = PacScript.compile(
        "function FindProxyForURL() { var ok = 0;"
        " for (var i = 0; i < 100; i++) if (dnsResolve('n' + i)) ok++;"
        " return 'PROXY p' + ok; }"
    )
    assert await at_once.find_proxy("http://a.test/", everything) == "PROXY p20:80"
    assert sorted(everything.calls) == sorted(f"n{i}" for i in range(20))
    again = FakeResolver(names={}, default=["10.0.0.1"])
    one_by_one = PacScript.compile(
        "function FindProxyForURL() {"
        "  var i = 0; while (dnsResolve('n' + i)) i++; return 'PROXY q' + i; }"
    )
    assert await one_by_one.find_proxy("http://a.test/", again) == "PROXY q20:80"
    assert len(again.calls) == 20


# --- failures ---------------------------------------------------------------------------------


async def test_a_runaway_script_is_interrupted(caplog: pytest.LogCaptureFixture) -> None:
    script = PacScript.compile(
        "function FindProxyForURL(url, host) { while (host == 'loop.test') {} return 'PROXY p'; }",
        time_limit=0.05,
    )
    with caplog.at_level(logging.WARNING, logger="cdpsession"), trio.fail_after(5):
        assert await script.find_proxy("http://loop.test/", FakeResolver()) == "DIRECT"
        assert await script.find_proxy("http://loop.test/", FakeResolver(), mandatory=True) == ""
        assert await script.find_proxy("http://a.test/", FakeResolver()) == "PROXY p:80"
    assert "InternalError: interrupted" in caplog.text


async def test_scripts_out_of_memory_or_stack_fail_and_the_next_call_works() -> None:
    script = PacScript.compile(
        "var n = 0;\n"
        "function FindProxyForURL(url, host) {\n"
        "  n += 1;\n"
        "  if (host == 'big.test') { var a = []; while (true) a.push(new Array(100000)); }\n"
        "  if (host == 'deep.test') { (function f() { f(); })(); }\n"
        "  if (host == 'kept.test') { kept = []; while (true) kept.push({n: kept.length}); }\n"
        "  return 'PROXY p' + n;\n"
        "}",
        memory_limit=16 << 20,
    )
    resolver = FakeResolver()
    assert await script.find_proxy("http://a.test/", resolver) == "PROXY p1:80"
    assert await script.find_proxy("http://deep.test/", resolver) == "DIRECT"
    # A stack overflow leaves the script's state; running out of memory replaces the context
    # (as Chromium reloads the script when its resolver process dies), so the state starts over.
    assert await script.find_proxy("http://a.test/", resolver) == "PROXY p3:80"
    for host in ("big.test", "kept.test"):
        assert await script.find_proxy(f"http://{host}/", resolver) == "DIRECT"
        assert await script.find_proxy("http://a.test/", resolver) == "PROXY p1:80"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "the PAC script is empty"),
        ("function FindProxyForURL(url, host) {", "SyntaxError"),
        ("var x = 1;", "FindProxyForURL is undefined or not a function."),
        ("var FindProxyForURL = 'PROXY p';", "FindProxyForURL is undefined or not a function."),
        ("throw new Error('at load');", "Error: at load"),
    ],
)
async def test_scripts_that_cannot_load(text: str, error: str) -> None:
    script = PacScript.compile(text)
    assert script.error is not None
    assert error in script.error
    assert await script.find_proxy("http://a.test/", FakeResolver()) == "DIRECT"
    assert await script.find_proxy("http://a.test/", FakeResolver(), mandatory=True) == ""


@pytest.mark.parametrize(
    "body",
    [
        "throw new Error('no');",
        "return 5;",
        "return null;",
        "return;",
        "return {};",
        "return new String('PROXY p');",
        "return 'PROXY b\u00fccher';",
        "return String.fromCharCode(0xd800);",
        "return undefinedName;",
    ],
)
async def test_scripts_that_fail_resolve_direct(body: str) -> None:
    script = PacScript.compile(f"function FindProxyForURL(url, host) {{ {body} }}")
    assert script.error is None
    assert await script.find_proxy("http://a.test/", FakeResolver()) == "DIRECT"
    assert await script.find_proxy("http://a.test/", FakeResolver(), mandatory=True) == ""


# --- myIpAddress ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stages", "one", "every"),
    [
        ([["192.168.1.20", "2001:db8::20"]], ["192.168.1.20"], ["192.168.1.20", "2001:db8::20"]),
        # A stage with a candidate ends the search; IPv4 is favoured.
        ([[None, "2001:db8::20"], ["10.0.0.5"]], ["2001:db8::20"], ["2001:db8::20"]),
        (
            [["2001:db8::1", "10.0.0.1", "10.0.0.2"]],
            ["10.0.0.1"],
            ["2001:db8::1", "10.0.0.1", "10.0.0.2"],
        ),
        # Loopback never, link-local only as a last resort (one address, IPv4 first).
        (
            [[None, None], ["127.0.1.1", "fe80::1", "169.254.1.1"], [None, None]],
            ["169.254.1.1"],
            ["169.254.1.1"],
        ),
        ([[None], ["::1"], ["fc00::5", "fc00::5"]], ["fc00::5"], ["fc00::5"]),
        ([[None, None], [], []], [], []),
    ],
)
def test_my_address_choice(
    stages: list[list[str | None]], one: list[str], every: list[str]
) -> None:
    assert choose_my_addresses(stages, ex=False) == one
    assert choose_my_addresses(stages, ex=True) == every


async def test_my_ip_addresses_are_addresses() -> None:
    # Route probes are UDP connects, which send nothing.
    for ex in (False, True):
        found = await my_ip_addresses(FakeResolver(names={}), ex)
        assert all(":" in a or a.count(".") == 3 for a in found)
        assert ex or len(found) <= 1


# --- fetching PAC scripts ---------------------------------------------------------------------


@attrs.define
class PacServer:
    """A loopback HTTP server answering canned responses by path; records request heads."""

    routes: dict[str, bytes] = attrs.field(factory=dict)
    heads: list[bytes] = attrs.field(factory=list)
    port: int = 0

    def url(self, path: str, host: str = "pac.test", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    async def handle(self, stream: trio.abc.Stream) -> None:
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = await stream.receive_some(4096)
                if not chunk:
                    return
                head += chunk
            self.heads.append(head)
            path = head.split(b" ")[1].decode()
            response = self.routes.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            if response == b"HANG":
                await trio.sleep_forever()
            await stream.send_all(response)
        except trio.BrokenResourceError:
            pass
        finally:
            await trio.aclose_forcefully(stream)


def ok(body: bytes, *headers: str) -> bytes:
    lines = ["HTTP/1.1 200 OK", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@pytest.fixture
async def pac_server(nursery: trio.Nursery) -> PacServer:
    server = PacServer()
    listeners = await nursery.start(
        functools.partial(trio.serve_tcp, server.handle, 0, host="127.0.0.1")
    )
    server.port = listeners[0].socket.getsockname()[1]
    return server


async def test_fetch_over_http(pac_server: PacServer) -> None:
    pac_server.routes["/p.pac?x=1"] = ok(b"caf\xe9")
    with trio.fail_after(5):
        assert await fetch_pac(pac_server.url("/p.pac?x=1"), FakeResolver()) == "café"
    head = pac_server.heads[0].decode()
    assert head.startswith("GET /p.pac?x=1 HTTP/1.1\r\n")
    assert f"\r\nHost: pac.test:{pac_server.port}\r\n" in head


@pytest.mark.parametrize(
    ("response", "text"),
    [
        (
            ok("café".encode(), "Content-Type: application/x-ns-proxy-autoconfig; charset=UTF-8"),
            "café",
        ),
        (ok(b"\xff\xfe" + "é!".encode("utf-16-le")), "é!"),
        (ok(b"\xef\xbb\xbfcaf\xc3\xa9"), "café"),
        (ok(b"\x1f\x8b" + b"x", "Content-Encoding: identity"), "\x1f\x8bx"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"4\r\nfunc\r\n6;ext=1\r\ntion()\r\n0\r\n\r\n",
            "function()",
        ),
        (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close", "until close"),
        (b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"after continue"), "after continue"),
    ],
)
async def test_fetched_bodies_are_decoded_as_chromium(
    pac_server: PacServer, response: bytes, text: str
) -> None:
    pac_server.routes["/p.pac"] = response
    with trio.fail_after(5):
        assert await fetch_pac(pac_server.url("/p.pac"), FakeResolver()) == text


async def test_redirects_are_followed(pac_server: PacServer) -> None:
    pac_server.routes["/old"] = b"HTTP/1.1 302 Found\r\nLocation: /new\r\nContent-Length: 0\r\n\r\n"
    pac_server.routes["/new"] = b"HTTP/1.1 301 Moved\r\nLocation: //pac.test:%d/final\r\n\r\n" % (
        pac_server.port
    )
    pac_server.routes["/final"] = ok(b"found")
    pac_server.routes["/loop"] = (
        b"HTTP/1.1 307 Again\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n"
    )
    pac_server.routes["/file"] = (
        b"HTTP/1.1 302 F\r\nLocation: file:///etc/hosts\r\nContent-Length: 0\r\n\r\n"
    )
    with trio.fail_after(5):
        assert await fetch_pac(pac_server.url("/old"), FakeResolver()) == "found"
        with pytest.raises(PacFetchError, match="more than 20 redirects"):
            await fetch_pac(pac_server.url("/loop"), FakeResolver())
        with pytest.raises(PacFetchError, match="unsafe redirect to 'file:///etc/hosts'"):
            await fetch_pac(pac_server.url("/file"), FakeResolver())


async def test_fetch_failures(pac_server: PacServer) -> None:
    pac_server.routes["/big"] = ok(b"x" * 101)
    pac_server.routes["/big-chunked"] = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n"
        + b"x" * 100
        + b"\r\n1\r\nx\r\n0\r\n\r\n"
    )
    pac_server.routes["/no"] = b"HTTP/1.1 204 No Content\r\n\r\n"
    pac_server.routes["/junk"] = b"SPDY/3 200 OK\r\n\r\n"
    pac_server.routes["/br"] = ok(b"x", "Content-Encoding: br")
    resolver = FakeResolver()
    with trio.fail_after(5):
        with pytest.raises(PacFetchError, match="HTTP status 404") as caught:
            await fetch_pac(pac_server.url("/missing"), resolver)
        assert isinstance(caught.value, CDPSessionError)
        assert caught.value.url == pac_server.url("/missing")
        with pytest.raises(PacFetchError, match="HTTP status 204"):
            await fetch_pac(pac_server.url("/no"), resolver)
        for path in ("/big", "/big-chunked"):
            with pytest.raises(PacFetchError, match="larger than 100 bytes"):
                await fetch_pac(pac_server.url(path), resolver, max_bytes=100)
        with pytest.raises(PacFetchError, match="malformed HTTP status line"):
            await fetch_pac(pac_server.url("/junk"), resolver)
        with pytest.raises(PacFetchError, match="unsupported content encoding 'br'"):
            await fetch_pac(pac_server.url("/br"), resolver)
        with pytest.raises(PacFetchError, match="net::ERR_NAME_NOT_RESOLVED"):
            await fetch_pac(pac_server.url("/p.pac", host="nowhere.test"), resolver)


async def test_fetch_from_a_closed_port() -> None:
    listener = (await trio.open_tcp_listeners(0, host="127.0.0.1"))[0]
    port = listener.socket.getsockname()[1]
    await listener.aclose()
    with (
        trio.fail_after(5),
        pytest.raises(PacFetchError, match=r"could not connect to 127\.0\.0\.1"),
    ):
        await fetch_pac(f"http://127.0.0.1:{port}/p.pac", FakeResolver())


async def test_fetch_times_out(pac_server: PacServer) -> None:
    pac_server.routes["/hang"] = b"HANG"
    with trio.fail_after(5), pytest.raises(PacFetchError, match=r"timed out after 0\.2 s"):
        await fetch_pac(pac_server.url("/hang"), FakeResolver(), timeout=0.2)


async def test_fetch_over_https(nursery: trio.Nursery) -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("pac.test").configure_cert(server_context)
    server = PacServer(routes={"/p.pac": ok(b"secure")})
    listeners = await nursery.start(
        functools.partial(
            trio.serve_ssl_over_tcp,
            server.handle,
            0,
            server_context,
            host="127.0.0.1",
            https_compatible=True,
        )
    )
    server.port = listeners[0].transport_listener.socket.getsockname()[1]
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    url = server.url("/p.pac", scheme="https")
    with trio.fail_after(5):
        assert await fetch_pac(url, FakeResolver(), ssl_context=client_context) == "secure"
        # Python's default trust store does not know the test CA.
        with pytest.raises(PacFetchError, match="CERTIFICATE_VERIFY_FAILED"):
            await fetch_pac(url, FakeResolver())


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("data:application/x-ns-proxy-autoconfig;base64,ZnVuY3Rpb24=", "function"),
        ("data:;BASE64,ZnVu Y3Rp\nb24", "function"),
        ("data:,function%20FindProxyForURL()%7B%7D", "function FindProxyForURL(){}"),
        ("data:text/plain;charset=utf-8,caf%C3%A9", "café"),
        ("data:text/plain,caf%E9", "café"),
        ("data:,caf%E9", "caf\ufffd"),
    ],
)
async def test_fetch_data_urls(url: str, text: str) -> None:
    assert await fetch_pac(url, FakeResolver()) == text


async def test_fetch_data_url_failures() -> None:
    with pytest.raises(PacFetchError, match="a data: URL needs a ','"):
        await fetch_pac("data:text/plain", FakeResolver())
    with pytest.raises(PacFetchError, match="invalid base64 data"):
        await fetch_pac("data:;base64,***", FakeResolver())


async def test_fetch_file_urls(tmp_path: Path) -> None:
    pac = tmp_path / "proxy script.pac"
    pac.write_bytes(PROXY_EVERYTHING.encode())
    assert await fetch_pac(pac.as_uri(), FakeResolver()) == PROXY_EVERYTHING
    with pytest.raises(PacFetchError, match="larger than 10 bytes"):
        await fetch_pac(pac.as_uri(), FakeResolver(), max_bytes=10)
    with pytest.raises(PacFetchError, match="No such file or directory"):
        await fetch_pac((tmp_path / "missing.pac").as_uri(), FakeResolver())


# --- fuzzing ----------------------------------------------------------------------------------


@given(st.text(max_size=60))
def test_fuzz_pac_results_read_back_to_themselves(text: str) -> None:
    printed = parse_pac_result(text)
    assert parse_pac_result(printed) == printed


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=40))
async def test_fuzz_any_returned_string_is_read_as_chromium_reads_it(text: str) -> None:
    script = PacScript.compile(f"function FindProxyForURL() {{ return {json.dumps(text)}; }}")
    expected = parse_pac_result(text) if text.isascii() else "DIRECT"
    assert await script.find_proxy("http://a.test/", FakeResolver()) == expected


@given(st.text(max_size=40))
def test_fuzz_urls_raise_only_value_errors(text: str) -> None:
    for url in (text, "http://" + text, "https://h.test" + text):
        try:
            parsed = canonical_url(url)
        except ValueError:
            continue
        assert canonical_url(parsed.spec) == parsed


_URL_HOSTS = st.one_of(
    st.ip_addresses().map(lambda a: f"[{a}]" if a.version == 6 else str(a)),
    st.sampled_from(["localhost", "LocalHost.", "x.localhost", "example", "a.test", "127.1"]),
)
_RULES_SCRIPT = PacScript.compile(compile_pac(parse_proxy_rules("foopy")))


@settings(max_examples=60, deadline=None)
@given(_URL_HOSTS, st.sampled_from(["http", "https", "ws", "wss", "ftp"]))
async def test_fuzz_python_and_compiled_implicit_rules_agree(host: str, scheme: str) -> None:
    url = canonical_url(f"{scheme}://{host}/")
    expected = "DIRECT" if implicitly_bypassed(url) else "PROXY foopy:80"
    assert await _RULES_SCRIPT.find_proxy(url, FakeResolver()) == expected


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(["foopy", "socks5://s", "direct://", "https://h:1"]), min_size=1, max_size=3
    ),
    st.lists(
        st.sampled_from(
            [
                "<local>",
                "<-loopback>",
                "*.test",
                "10.0.0.0/8",
                "[::1]",
                "http://a.test:8080",
                "?",
                ".x",
            ]
        ),
        max_size=4,
    ),
    _URL_HOSTS,
    st.sampled_from(["http", "https", "ws", "ftp"]),
    st.sampled_from(["", ":8080", ":80"]),
)
async def test_fuzz_fixed_rules_always_resolve(
    proxies: list[str], bypass: list[str], host: str, scheme: str, port: str
) -> None:
    config = {"proxyRules": "http=" + ",".join(proxies), "proxyBypassRules": ";".join(bypass)}
    result = await resolve(config, f"{scheme}://{host}{port}/")
    assert result == parse_pac_result(result)
    # http and ws URLs use the http list (ws falls back to it).
    assert result == "DIRECT" or scheme in ("http", "ws")


@pytest.mark.parametrize(
    "body",
    [
        "console.log(host); console.error('x'); return 'PROXY p';",
        "return host.split('.').at(-1) == 'test' && 'ab'.at(-1) == 'b' ? 'PROXY p' : 'DIRECT';",
        "var m = {'a.test': 1}; return Object.hasOwn(m, host) ? 'PROXY p' : 'DIRECT';",
        "return [3, 1, 2].toSorted().at(0) == 1 && [1, 2].findLast((x) => x < 2) == 1"
        " && [1, 2].findLastIndex((x) => x > 5) == -1 && [1, 2].toReversed()[0] == 2"
        " && [1, 2].with(0, 9)[0] == 9 && [1, 2, 3].toSpliced(0, 1).length == 2"
        " && Object.groupBy([1, 2, 3], (x) => x % 2)[1].length == 2 ? 'PROXY p' : 'DIRECT';",
    ],
)
async def test_scripts_have_the_built_ins_chromium_gives_them(body: str) -> None:
    script = PacScript.compile(f"function FindProxyForURL(url, host) {{ {body} }}")
    assert await script.find_proxy("http://a.test/", FakeResolver(names={})) == "PROXY p:80"
