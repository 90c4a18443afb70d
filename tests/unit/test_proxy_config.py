"""Electron's setProxy config: validation, Chromium's rule grammars, and what Chromium gets."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdpsession._proxy_config import (
    HostPatternRule,
    IPBlockRule,
    IPHostRule,
    LocalRule,
    NotRepresentableError,
    ProxyConfig,
    ProxyRules,
    ProxyServer,
    SubtractImplicitRule,
    chrome_proxy_value,
    compile_pac,
    needs_compiled_pac,
    pac_unsupported_reason,
    parse_bypass_rules,
    parse_proxy_config,
    parse_proxy_rules,
    parse_proxy_server,
    system_proxy_config,
)
from cdpsession._url import canonical_host

DIRECT = ProxyServer("direct")


def http(host: str, port: int = 80) -> ProxyServer:
    return ProxyServer("http", host, port)


# --- the config -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "mode"),
    [
        ({}, "fixed_servers"),
        (None, "fixed_servers"),
        ({"proxyRules": "foopy"}, "fixed_servers"),
        ({"pacScript": "http://127.0.0.1:1/p.pac"}, "pac_script"),
        # pacScript wins over proxyRules when no mode is given.
        ({"pacScript": "http://127.0.0.1:1/p.pac", "proxyRules": "foopy"}, "pac_script"),
        ({"pacScript": "", "proxyRules": "foopy"}, "fixed_servers"),
        ({"mode": "direct"}, "direct"),
        ({"mode": "auto_detect"}, "auto_detect"),
        ({"mode": "system"}, "system"),
        ({"mode": "fixed_servers", "pacScript": "http://h/p.pac"}, "fixed_servers"),
        ({"mode": None, "proxy_rules": "foopy"}, "fixed_servers"),
    ],
)
def test_mode_is_given_or_decided_as_electron(config: Any, mode: str) -> None:
    assert parse_proxy_config(config).mode == mode


def test_direct_mode_ignores_the_rules_entirely() -> None:
    # {mode: 'direct', proxyRules: ...} is direct (behaviour #37): the rules are not even read.
    assert parse_proxy_config({"mode": "direct", "proxyRules": "not a proxy"}) == ProxyConfig(
        "direct"
    )


def test_pac_script_mode() -> None:
    config = parse_proxy_config({"pac_script": " http://127.0.0.1:8/a.pac "})
    assert config == ProxyConfig(
        "pac_script", pac_url="http://127.0.0.1:8/a.pac", pac_mandatory=True
    )
    # Without a script Chromium falls back to direct (behaviour #37).
    assert parse_proxy_config({"mode": "pac_script"}) == ProxyConfig(
        "pac_script", pac_url=None, pac_mandatory=True
    )


def test_fixed_servers_mode_parses_rules_and_bypass_rules() -> None:
    config = parse_proxy_config(
        {"proxy_rules": "http=myproxy:80", "proxy_bypass_rules": "<local>;*.corp"}
    )
    assert config == ProxyConfig(
        "fixed_servers",
        rules=ProxyRules(
            per_scheme=True,
            http=(http("myproxy"),),
            bypass=(LocalRule(), HostPatternRule("", "*.corp")),
        ),
    )


def test_invalid_mode_has_electrons_message() -> None:
    message = (
        "Invalid mode, must be one of direct, auto_detect, pac_script, fixed_servers or system"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_proxy_config({"mode": "invalid"})


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ([], "config must be a dict, not list"),
        ({"proxy_rule": "x"}, "unknown setProxy config key 'proxy_rule'"),
        ({"proxyRules": "a", "proxy_rules": "b"}, "'proxyRules' is given twice"),
        ({"mode": 1}, "'mode' must be a str, not int"),
        ({"pacScript": b"x"}, "'pacScript' must be a str, not bytes"),
        ({"proxyRules": ["a"]}, "'proxyRules' must be a str, not list"),
        ({"proxyBypassRules": 3}, "'proxyBypassRules' must be a str, not int"),
    ],
)
def test_wrong_types_raise_type_error(config: Any, message: str) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        parse_proxy_config(config)


@pytest.mark.parametrize(
    "url",
    ["p.pac", "/abs/p.pac", "ftp://h/p.pac", "http://", "http://bad host/p", "data:text", "file:x"],
)
def test_invalid_pac_urls_raise(url: str) -> None:
    with pytest.raises(ValueError, match=r"^pacScript: .* is not an absolute URL"):
        parse_proxy_config({"pacScript": url})


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/p.pac", "HTTPS://h.test/x?y", "data:,function", "file:///tmp/p.pac"],
)
def test_valid_pac_urls(url: str) -> None:
    assert parse_proxy_config({"pacScript": url}).pac_url == url


# --- proxyRules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        # The examples of Electron's setProxy documentation.
        (
            "http=foopy:80;ftp=foopy2",
            ProxyRules(per_scheme=True, http=(http("foopy"),), ftp=(http("foopy2"),)),
        ),
        ("foopy:80", ProxyRules(single=(http("foopy"),))),
        ("foopy:80,bar,direct://", ProxyRules(single=(http("foopy"), http("bar"), DIRECT))),
        ("socks4://foopy", ProxyRules(single=(ProxyServer("socks4", "foopy", 1080),))),
        (
            "http=foopy,socks5://bar.com",
            ProxyRules(
                per_scheme=True, http=(http("foopy"), ProxyServer("socks5", "bar.com", 1080))
            ),
        ),
        ("http=foopy,direct://", ProxyRules(per_scheme=True, http=(http("foopy"), DIRECT))),
        (
            "http=foopy;socks=foopy2",
            ProxyRules(
                per_scheme=True,
                http=(http("foopy"),),
                fallback=(ProxyServer("socks4", "foopy2", 1080),),
            ),
        ),
        # Whitespace, case of proxy schemes, empty entries and items, default ports.
        (
            " https = HTTPS://Proxy.Example:8443 , socks://s ;; ",
            ProxyRules(
                per_scheme=True,
                https=(
                    ProxyServer("https", "proxy.example", 8443),
                    ProxyServer("socks5", "s", 1080),
                ),
            ),
        ),
        (
            "socks=socks5://s,http://h",
            ProxyRules(
                per_scheme=True,
                fallback=(
                    ProxyServer("socks5", "s", 1080),
                    http("h"),
                ),
            ),
        ),
        ("[0:0::1]:3128", ProxyRules(single=(http("[::1]", 3128),))),
        ("127.1:00080", ProxyRules(single=(http("127.0.0.1"),))),
        ("bücher.example", ProxyRules(single=(http("xn--bcher-kva.example"),))),
        ("DIRECT://", ProxyRules(single=(DIRECT,))),
        ("", ProxyRules()),
        (" ; ", ProxyRules()),
    ],
)
def test_proxy_rules_grammar(text: str, rules: ProxyRules) -> None:
    assert parse_proxy_rules(text) == rules


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("foo:bar", "'foo:bar' is not a proxy ([scheme://]host[:port])"),
        ("foo:", "'foo:' is not a proxy"),
        ("foo:65536", "'foo:65536' is not a proxy"),
        ("http://h/", "'http://h/' is not a proxy"),
        ("bad host", "'bad host' is not a proxy"),
        ("foo:0", "'foo:0' has port 0"),
        ("quic://q:443", "'quic://q:443' is a QUIC proxy, which release Chromium drops"),
        ("ftp://h", "'ftp://h' has an unknown proxy scheme"),
        ("user:pw@h", "'user:pw@h' has credentials"),
        ("::1", "'::1' has an IPv6 host without brackets"),
        ("::1:8080", "'::1:8080' has an IPv6 host without brackets"),
        ("direct://h", "'direct://h' is not a proxy: direct:// takes no host"),
        ("http=", "'http=' lists no proxy"),
        ("http= , ", "'http= ,' lists no proxy"),
        ("=foo", "'=foo' has no URL scheme before '='"),
        ("HTTP=foo", "unknown URL scheme 'HTTP' in 'HTTP=foo'"),
        ("gopher=foo", "unknown URL scheme 'gopher'"),
        ("http=a=b", "'http=a=b' is not 'scheme=proxies'"),
        ("http=a;http=b", "the URL scheme 'http' is given twice"),
        ("foo;bar", "'bar' is a second list for all URLs"),
        ("http=foo;bar", "'bar' is a second list for all URLs or mixed with 'scheme=' entries"),
        ("foo;http=bar", "'http=bar' is mixed with a list for all URLs"),
    ],
)
def test_malformed_proxy_rules_raise_quoting_the_piece(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^proxyRules: {re.escape(message)}"):
        parse_proxy_rules(text)


def test_lenient_proxy_uris_are_what_chromium_makes_of_them() -> None:
    assert parse_proxy_server("quic://q", strict=False) is None
    assert parse_proxy_server("foo:0", strict=False) == http("foo", 0)
    # url::ParseAuthority splits at the last colon; Chromium brackets the rest.
    assert parse_proxy_server("::1:8080", strict=False) == http("[::1]", 8080)


# --- proxyBypassRules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule", "chromium"),
    [
        # The examples of Electron's setProxy documentation.
        ("foobar.com", HostPatternRule("", "foobar.com"), "foobar.com"),
        ("*foobar.com", HostPatternRule("", "*foobar.com"), "*foobar.com"),
        ("*.foobar.com", HostPatternRule("", "*.foobar.com"), "*.foobar.com"),
        ("*foobar.com:99", HostPatternRule("", "*foobar.com", 99), "*foobar.com:99"),
        ("https://x.*.y.com:99", HostPatternRule("https", "x.*.y.com", 99), "https://x.*.y.com:99"),
        (".google.com", HostPatternRule("", "*.google.com"), "*.google.com"),
        (".com", HostPatternRule("", "*.com"), "*.com"),
        ("http://.google.com", HostPatternRule("http", "*.google.com"), "http://*.google.com"),
        ("127.0.1", IPHostRule("", "127.0.0.1"), "127.0.0.1"),
        ("[0:0::1]", IPHostRule("", "[::1]"), "[::1]"),
        ("[::1]", IPHostRule("", "[::1]"), "[::1]"),
        ("http://[::1]:99", IPHostRule("http", "[::1]", 99), "http://[::1]:99"),
        (
            "192.168.1.1/16",
            IPBlockRule("", ipaddress.IPv4Address("192.168.1.1"), 16),
            "192.168.1.1/16",
        ),
        (
            "fefe:13::abc/33",
            IPBlockRule("", ipaddress.IPv6Address("fefe:13::abc"), 33),
            "fefe:13::abc/33",
        ),
        ("<local>", LocalRule(), "<local>"),
        ("<-loopback>", SubtractImplicitRule(), "<-loopback>"),
        # Case, whitespace, brackets in a block (given to Chromium without them).
        ("  <LOCAL> ", LocalRule(), "<local>"),
        (
            "HTTPS://WWW.Example.COM",
            HostPatternRule("https", "www.example.com"),
            "https://www.example.com",
        ),
        ("[FEFE::1] / 64", IPBlockRule("", ipaddress.IPv6Address("fefe::1"), 64), "fefe::1/64"),
        (
            "ws://10.0.0.0/8",
            IPBlockRule("ws", ipaddress.IPv4Address("10.0.0.0"), 8),
            "ws://10.0.0.0/8",
        ),
        ("*", HostPatternRule("", "*"), "*"),
        ("?.example", HostPatternRule("", "?.example"), "?.example"),
    ],
)
def test_bypass_rule_forms(text: str, rule: Any, chromium: str) -> None:
    assert parse_bypass_rules(text) == (rule,)
    assert rule.to_chromium() == chromium
    # What Chromium reads back from the string we give it is the rule itself.
    assert parse_bypass_rules(chromium, strict=False) == (rule,)


def test_bypass_rules_split_on_commas_and_semicolons_in_order() -> None:
    assert parse_bypass_rules(" a.com ,; <local>;b.com,") == (
        HostPatternRule("", "a.com"),
        LocalRule(),
        HostPatternRule("", "b.com"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("://foo", "'://foo' has an empty scheme"),
        ("http://", "'http://' has no host"),
        ("a b://x", "'a b://x' has an invalid scheme"),
        ("foo:", "'foo:' has an invalid port (1-65535)"),
        ("foo:99999", "'foo:99999' has an invalid port"),
        ("foo:0", "'foo:0' has port 0"),
        ("[::1]:0", "'[::1]:0' has port 0"),
        ("127.0.0.1:0", "'127.0.0.1:0' has port 0"),
        ("foo/bar", "'foo/bar' is not an IP block (IP/prefix-length)"),
        ("1.2.3.4/8/8", "'1.2.3.4/8/8' is not an IP block"),
        ("1.2.3.4/33", "'1.2.3.4/33' has an invalid prefix length (0-32)"),
        ("::/129", "'::/129' has an invalid prefix length (0-128)"),
        ("10/8", "'10/8' needs a dotted-quad IPv4 address (Chromium reads it as 0.0.0.10/...)"),
        (
            "169.254/16",
            "'169.254/16' needs a dotted-quad IPv4 address (Chromium reads it as 169.0.0.254/",
        ),
        ("HTTP://10.0.0.0/8", "'HTTP://10.0.0.0/8' has an upper-case scheme, which Chromium never"),
        ("::1", "'::1' has an IPv6 address without brackets"),
        ("fefe:13::abc", "'fefe:13::abc' has an IPv6 address without brackets"),
        ("bücher.de", "'bücher.de' is not ASCII; write the host in punycode"),
        ("foo bar", "'foo bar' is not a host pattern"),
        ("<locals>", "'<locals>' is not a host pattern"),
    ],
)
def test_malformed_bypass_rules_raise_naming_the_rule(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^proxyBypassRules: {re.escape(message)}"):
        parse_bypass_rules(text)


def test_lenient_bypass_rules_keep_chromiums_readings() -> None:
    # What Chromium does with the rules strict mode refuses: dropped or read literally.
    assert parse_bypass_rules("://x, foo:, 1.2.3.4/33, x:99999", strict=False) == ()
    assert parse_bypass_rules("10/8, 127.0.0.1:0, foo:0, HTTP://1.2.3.4/8", strict=False) == (
        IPBlockRule("", ipaddress.IPv4Address("0.0.0.10"), 8),
        IPHostRule("", "127.0.0.1", 0),
        HostPatternRule("", "foo", 0),
        IPBlockRule("HTTP", ipaddress.IPv4Address("1.2.3.4"), 8),
    )
    # "::1" is split at its last colon: host pattern ":" on port 1, which matches nothing.
    assert parse_bypass_rules("::1", strict=False) == (HostPatternRule("", ":", 1),)


def test_suffix_matching_for_no_proxy() -> None:
    assert parse_bypass_rules("google.com, *.x, .y, 10.0.0.0/8", suffix_matching=True) == (
        HostPatternRule("", "*google.com"),
        HostPatternRule("", "*.x"),
        HostPatternRule("", "*.y"),
        IPBlockRule("", ipaddress.IPv4Address("10.0.0.0"), 8),
    )


# --- hosts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "canonical"),
    [
        ("Example.COM", "example.com"),
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("[0:0::1]", "[::1]"),
        ("[::FFFF:1.2.3.4]", "[::ffff:102:304]"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("ex%41mple.com", "example.com"),
        ("foo_bar.test.", "foo_bar.test."),
        ("a*b", "a%2Ab"),
    ],
)
def test_canonical_host(host: str, canonical: str) -> None:
    assert canonical_host(host) == canonical


@pytest.mark.parametrize(
    "host",
    [
        "",
        "a b",
        "a/b",
        "a#b",
        "1.2.3.256",
        "1.2.3.4.5",
        "09.1",
        "[::1",
        "[1:2]",
        "[::1%eth0]",
        "%zz",
    ],
)
def test_invalid_hosts(host: str) -> None:
    assert canonical_host(host) is None


# --- what Chromium gets -----------------------------------------------------------------------


def test_modes_without_rules_go_to_chromium_as_they_are() -> None:
    for mode in ("direct", "auto_detect", "system"):
        assert chrome_proxy_value(parse_proxy_config({"mode": mode}), None) == {"mode": mode}
    assert chrome_proxy_value(parse_proxy_config({"mode": "pac_script"}), None) == {
        "mode": "direct"
    }
    assert chrome_proxy_value(parse_proxy_config({}), None) == {"mode": "direct"}


def test_pac_script_goes_as_mandatory_data() -> None:
    config = parse_proxy_config({"pacScript": "http://127.0.0.1:1/p.pac"})
    text = "function FindProxyForURL(u, h) { return 'DIRECT'; }"
    assert chrome_proxy_value(config, text) == {
        "mode": "pac_script",
        "pacScript": {"data": text, "mandatory": True},
    }
    # A script that could not be fetched blocks traffic, as Electron's mandatory PAC does.
    failed = chrome_proxy_value(config, None)
    assert failed["pacScript"] == {
        "data": 'throw new Error("cdpsession: the PAC script http://127.0.0.1:1/p.pac could not be '
        'fetched");\n',
        "mandatory": True,
    }


def test_one_proxy_per_list_goes_as_native_fixed_servers() -> None:
    single = parse_proxy_config({"proxyRules": "socks4://foopy", "proxyBypassRules": "<-loopback>"})
    assert chrome_proxy_value(single, None) == {
        "mode": "fixed_servers",
        "rules": {
            "singleProxy": {"scheme": "socks4", "host": "foopy", "port": 1080},
            "bypassList": ["<-loopback>"],
        },
    }
    per_scheme = parse_proxy_config(
        {
            "proxyRules": "http=foopy:80;https=https://[::1]:8443;ftp=foopy2;socks=s",
            "proxyBypassRules": "127.0.1, .google.com, [fefe::]/16, http://[::1]:99",
        }
    )
    assert chrome_proxy_value(per_scheme, None) == {
        "mode": "fixed_servers",
        "rules": {
            "proxyForHttp": {"scheme": "http", "host": "foopy", "port": 80},
            "proxyForHttps": {"scheme": "https", "host": "[::1]", "port": 8443},
            "proxyForFtp": {"scheme": "http", "host": "foopy2", "port": 80},
            "fallbackProxy": {"scheme": "socks4", "host": "s", "port": 1080},
            "bypassList": ["127.0.0.1", "*.google.com", "fefe::/16", "http://[::1]:99"],
        },
    }


def test_failover_lists_go_as_the_compiled_pac_script() -> None:
    rules = parse_proxy_rules("foopy:80,bar,direct://", "<local>")
    assert needs_compiled_pac(rules)
    assert not needs_compiled_pac(parse_proxy_rules("http=a;https=b"))
    assert needs_compiled_pac(parse_proxy_rules("http=direct://"))
    value = chrome_proxy_value(ProxyConfig("fixed_servers", rules=rules), None)
    assert value == {
        "mode": "pac_script",
        "pacScript": {"data": compile_pac(rules), "mandatory": False},
    }
    assert '"single":["PROXY foopy:80","PROXY bar:80","DIRECT"]' in compile_pac(rules)


def test_loopback_subtraction_cannot_go_as_a_pac_script() -> None:
    rules = parse_proxy_rules("foopy,bar", "<-loopback>")
    assert pac_unsupported_reason(rules) is not None
    assert pac_unsupported_reason(parse_proxy_rules("foopy,bar", "<local>")) is None
    with pytest.raises(NotRepresentableError, match="'<-loopback>' needs Chromium's fixed-servers"):
        chrome_proxy_value(ProxyConfig("fixed_servers", rules=rules), None)


# --- system settings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "config"),
    [
        ({}, ProxyConfig("direct")),
        ({"no_proxy": "*"}, ProxyConfig("direct")),
        ({"auto_proxy": ""}, ProxyConfig("auto_detect")),
        (
            {"AUTO_PROXY": "http://pac.test/p.pac"},
            ProxyConfig("pac_script", pac_url="http://pac.test/p.pac"),
        ),
        # Chromium's PAC fetcher refuses file:, so the system's PAC is then direct.
        ({"auto_proxy": "file:///p.pac", "all_proxy": "x"}, ProxyConfig("direct")),
        (
            {"all_proxy": "p:3128"},
            ProxyConfig("fixed_servers", rules=ProxyRules(single=(http("p", 3128),))),
        ),
        # The scheme of the value is dropped (an HTTP proxy), so are credentials and a '/'.
        (
            {"ALL_PROXY": "https://user:pw@p:8443/", "http_proxy": "ignored"},
            ProxyConfig("fixed_servers", rules=ProxyRules(single=(http("p", 8443),))),
        ),
        (
            {"http_proxy": "h", "HTTPS_PROXY": "socks5://s:1", "no_proxy": "google.com,<local>"},
            ProxyConfig(
                "fixed_servers",
                rules=ProxyRules(
                    per_scheme=True,
                    http=(http("h"),),
                    https=(http("s", 1),),
                    bypass=(HostPatternRule("", "*google.com"), LocalRule()),
                ),
            ),
        ),
        (
            {"ftp_proxy": "f:21", "http_proxy": "bad host"},
            ProxyConfig("fixed_servers", rules=ProxyRules(per_scheme=True, ftp=(http("f", 21),))),
        ),
        (
            {"SOCKS_SERVER": "s"},
            ProxyConfig(
                "fixed_servers", rules=ProxyRules(single=(ProxyServer("socks5", "s", 1080),))
            ),
        ),
        (
            {"socks_server": "s:9", "SOCKS_VERSION": "4"},
            ProxyConfig("fixed_servers", rules=ProxyRules(single=(ProxyServer("socks4", "s", 9),))),
        ),
        (
            {"SOCKS_SERVER": "socks4://s"},
            ProxyConfig(
                "fixed_servers", rules=ProxyRules(single=(ProxyServer("socks4", "s", 1080),))
            ),
        ),
    ],
)
def test_system_mode_reads_the_environment_as_chromium(
    env: dict[str, str], config: ProxyConfig
) -> None:
    assert system_proxy_config(env) == config


# --- fuzzing ----------------------------------------------------------------------------------

_GRAMMAR = st.sampled_from(
    [
        *"abcxyz019.:;,=/[]<>@*?- \t",
        *("http", "https", "socks", "socks4", "socks5", "direct", "quic", "://"),
        *("<local>", "<-loopback>", "::1", "127.0.0.1", "10/8", "ftp", "ws"),
    ]
)
_RULE_TEXT = st.one_of(st.text(max_size=40), st.lists(_GRAMMAR, max_size=12).map("".join))


@given(_RULE_TEXT, _RULE_TEXT)
def test_fuzz_rules_raise_only_value_errors(rules: str, bypass: str) -> None:
    try:
        parsed = parse_proxy_rules(rules, bypass)
    except ValueError:
        return
    chrome_proxy_value_or_reason(ProxyConfig("fixed_servers", rules=parsed))


def chrome_proxy_value_or_reason(config: ProxyConfig) -> None:
    try:
        chrome_proxy_value(config, None)
    except NotRepresentableError:
        assert config.rules is not None
        assert pac_unsupported_reason(config.rules) is not None


@given(_RULE_TEXT)
def test_fuzz_strict_bypass_rules_survive_the_trip_through_chromium(text: str) -> None:
    try:
        rules = parse_bypass_rules(text)
    except ValueError:
        return
    # The bypassList we hand Chromium reads back (as Chromium reads it) as the same rules.
    assert parse_bypass_rules(",".join(r.to_chromium() for r in rules), strict=False) == rules


@given(_RULE_TEXT)
def test_fuzz_lenient_parsers_never_raise(text: str) -> None:
    parse_bypass_rules(text, strict=False, suffix_matching=True)
    parse_proxy_server(text, strict=False)
    system_proxy_config({"http_proxy": text, "no_proxy": text})


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "mode",
                "pacScript",
                "pac_script",
                "proxyRules",
                "proxy_rules",
                "proxyBypassRules",
                "x",
            ]
        ),
        st.one_of(
            st.none(), st.integers(), _RULE_TEXT, st.sampled_from(["direct", "system", "data:,x"])
        ),
    )
)
def test_fuzz_config_raises_only_type_or_value_errors(config: dict[str, Any]) -> None:
    try:
        parsed = parse_proxy_config(config)
    except (TypeError, ValueError):
        return
    if parsed.mode != "fixed_servers" or parsed.rules is None:
        chrome_proxy_value(parsed, "function FindProxyForURL() { return 'DIRECT'; }")
    else:
        chrome_proxy_value_or_reason(parsed)
