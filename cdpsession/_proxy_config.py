"""Electron's ``ses.setProxy(config)``: the config, its rule grammars, and what Chromium gets.

Electron hands its strings to Chromium's ``net/`` code, which silently drops what it cannot
parse. This module parses them as Chromium does (``ProxyConfig::ProxyRules::ParseFromString``,
``ProxyUriToProxyChain``, ``ProxyBypassRules::ParseFromString`` and
``SchemeHostPortMatcherRule::FromUntrimmedRawString``) but refuses, with a ``ValueError``
quoting the piece, everything Chromium would drop or read in a surprising way, so a typo never
silently sends traffic direct.

The fixed-rules resolution itself (scheme -> proxy list, bypass rules, the implicit loopback
bypass, ``<-loopback>``) has one implementation: JavaScript compiled into a PAC script by
:func:`compile_pac`. Chromium runs that script when its ``chrome.proxy`` API cannot express the
rules (failover lists, ``direct://``), and ``resolve_proxy`` evaluates the same script for
every fixed config, so what ``resolve_proxy`` says is by construction what Chromium does.
"""

from __future__ import annotations

import functools
import importlib.resources
import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Any, Final, Literal

import attrs

from ._options import check_options
from ._url import canonical_host, ip_literal, lower_ascii, parse_ipv6

__all__ = [
    "MODES",
    "BypassRule",
    "HostPatternRule",
    "IPBlockRule",
    "IPHostRule",
    "LocalRule",
    "NotRepresentableError",
    "ProxyConfig",
    "ProxyRules",
    "ProxyServer",
    "SubtractImplicitRule",
    "chrome_proxy_value",
    "compile_pac",
    "needs_compiled_pac",
    "pac_unsupported_reason",
    "parse_bypass_rules",
    "parse_proxy_config",
    "parse_proxy_rules",
    "parse_proxy_server",
    "proxy_from_host_port",
    "system_proxy_config",
]

Mode = Literal["direct", "auto_detect", "pac_script", "fixed_servers", "system"]
MODES: Final[tuple[Mode, ...]] = ("direct", "auto_detect", "pac_script", "fixed_servers", "system")
_INVALID_MODE = (
    "Invalid mode, must be one of direct, auto_detect, pac_script, fixed_servers or system"
)

_CONFIG_KEYS = {
    "mode": "mode",
    "pacScript": "pacScript",
    "pac_script": "pacScript",
    "proxyRules": "proxyRules",
    "proxy_rules": "proxyRules",
    "proxyBypassRules": "proxyBypassRules",
    "proxy_bypass_rules": "proxyBypassRules",
}

# base::TrimWhitespaceASCII's set; HttpUtil::TrimLWS trims only the first two.
_ASCII_SPACE = " \t\n\v\f\r"
_LWS = " \t"

# ProxyServer::GetDefaultPortForScheme, and ProxyServerToPacResultElement's keywords.
_DEFAULT_PORTS = {"http": 80, "https": 443, "socks4": 1080, "socks5": 1080}
_PAC_KEYWORDS = {"http": "PROXY", "https": "HTTPS", "socks4": "SOCKS", "socks5": "SOCKS5"}
# GetSchemeFromUriScheme (case-insensitive). "quic" is only known when Chromium is built with
# enable_quic_proxy_support, which is is_debug: release Chromium drops quic:// proxies.
_URI_SCHEMES = {
    "http": "http",
    "https": "https",
    "socks4": "socks4",
    "socks5": "socks5",
    "socks": "socks5",
}
_RULE_SCHEMES = ("http", "https", "ftp", "socks")

# The characters url::CanonicalizeHost keeps in a host name (kHostCharLookup); '*' is kept
# percent-escaped, a space makes the host invalid.
_SCHEME_RE = re.compile(r"[a-z][a-z0-9+.\-]*\Z")
# What a host pattern may hold in strict mode: host-name characters and the two wildcards.
_PATTERN_RE = re.compile(r"[a-z0-9*?._\-]+\Z")
_DIGITS_RE = re.compile(r"[0-9]+\Z")


class NotRepresentableError(ValueError):
    """Chromium cannot be given these rules faithfully (the reason is the message)."""


# --- proxy servers ---------------------------------------------------------------------------


@attrs.frozen
class ProxyServer:
    """One entry of a proxy list: DIRECT, or a proxy of one scheme at ``host:port``.

    Attributes:
        scheme: ``"direct"``, ``"http"``, ``"https"``, ``"socks4"`` or ``"socks5"`` (the names
            ``chrome.proxy`` uses).
        host: the canonical host, an IPv6 address in brackets; ``""`` for DIRECT.
        port: the port (the scheme's default filled in); 0 for DIRECT.
    """

    scheme: str
    host: str = ""
    port: int = 0

    @property
    def is_direct(self) -> bool:
        return self.scheme == "direct"

    def to_pac(self) -> str:
        """``ProxyServerToPacResultElement``: ``DIRECT``, ``PROXY h:p``, ``SOCKS5 h:p``..."""
        if self.is_direct:
            return "DIRECT"
        return f"{_PAC_KEYWORDS[self.scheme]} {self.host}:{self.port}"

    def to_chrome(self) -> dict[str, Any]:
        """The ``chrome.proxy`` ``ProxyServer`` object."""
        return {"scheme": self.scheme, "host": self.host, "port": self.port}


DIRECT: Final = ProxyServer("direct")


def _split_server_info(text: str) -> tuple[str | None, str | None]:
    """``url::ParseServerInfo``: (host, port) components; None where Chromium resets one."""
    if not text:
        return None, None
    ipv6_end = len(text) if text[0] == "[" else -1
    colon = -1
    for i, char in enumerate(text):
        if char == "]":
            ipv6_end = i
        elif char == ":":
            colon = i
    if colon > ipv6_end:
        return (text[:colon] or None), text[colon + 1 :]
    return text, None


def _split_authority(text: str) -> tuple[bool, str | None, str | None]:
    """``url::ParseAuthority``: (has user info, host, port)."""
    at = text.rfind("@")
    if at != -1:
        host, port = _split_server_info(text[at + 1 :])
        return True, host, port
    host, port = _split_server_info(text)
    return False, host, port


def _parse_port(text: str) -> int | None:
    """``url::ParsePort``: digits only (leading zeros allowed), at most 65535."""
    if not _DIGITS_RE.match(text):
        return None
    value = int(text)
    return value if value <= 0xFFFF else None


def proxy_from_host_port(scheme: str, host_and_port: str) -> ProxyServer | None:
    """``ProxySchemeHostAndPortToProxyServer`` for a known scheme; None where Chromium fails."""
    has_user, host, port_text = _split_authority(host_and_port.strip(_LWS))
    if has_user or not host:
        return None
    if port_text is not None and not port_text:
        return None  # "foo:" (Chromium has always refused it in proxy specifications)
    port = _DEFAULT_PORTS[scheme] if port_text is None else _parse_port(port_text)
    host = host.strip(_ASCII_SPACE)
    if host and host[0] != "[" and ":" in host:
        host = f"[{host}]"
    canonical = canonical_host(host) if host else None
    if port is None or canonical is None:
        return None
    return ProxyServer(scheme, canonical, port)


def _proxy_error(what: str, uri: str, why: str) -> ValueError:
    return ValueError(f"{what}: {uri!r} {why}")


def parse_proxy_server(
    uri: str, default_scheme: str = "http", *, strict: bool = True, what: str = "proxyRules"
) -> ProxyServer | None:
    """``ProxyUriToProxyChain``: ``[scheme://]host[:port]`` or ``direct://``.

    With ``strict`` (the default), what Chromium would drop raises ``ValueError`` (quoting
    ``uri``, prefixed with ``what``), and so do a port 0, an IPv6 host without brackets and a
    ``quic://`` proxy (dropped by release builds of Chromium). Without it, the result is what
    Chromium makes of ``uri`` (None when it drops it).
    """
    text = uri.strip(_LWS)
    sep = text.find("://")
    if sep != -1 and lower_ascii(text[:sep]) == "direct":
        if text[sep + 3 :]:
            if strict:
                raise _proxy_error(what, uri, "is not a proxy: direct:// takes no host")
            return None
        return DIRECT
    scheme = default_scheme
    colon = text.find(":")
    if colon != -1 and text[colon + 1 : colon + 3] == "//":
        name = lower_ascii(text[:colon])
        known = _URI_SCHEMES.get(name)
        if known is None:
            if not strict:
                return None
            if name == "quic":
                raise _proxy_error(what, uri, "is a QUIC proxy, which release Chromium drops")
            raise _proxy_error(
                what, uri, "has an unknown proxy scheme (known: http, https, socks4, socks5, socks)"
            )
        scheme = known
        text = text[colon + 3 :]
    server = proxy_from_host_port(scheme, text)
    if not strict:
        return server
    has_user, host, _ = _split_authority(text.strip(_LWS))
    if has_user:
        raise _proxy_error(what, uri, "has credentials, which Chromium refuses in proxy rules")
    bare = text.strip(_ASCII_SPACE)
    if host and host[0] != "[" and (parse_ipv6(bare) or parse_ipv6(host)):
        raise _proxy_error(what, uri, "has an IPv6 host without brackets (write [::1]:8080)")
    if server is None:
        raise _proxy_error(what, uri, "is not a proxy ([scheme://]host[:port])")
    if server.port == 0:
        raise _proxy_error(what, uri, "has port 0")
    return server


# --- proxy rules ----------------------------------------------------------------------------


@attrs.frozen
class HostPatternRule:
    """``SchemeHostPortMatcherHostnamePatternRule``: a glob on the URL's canonical host.

    ``port`` is -1 for any port; ``scheme`` is ``""`` for any scheme.
    """

    scheme: str
    pattern: str
    port: int = -1

    def to_chromium(self) -> str:
        text = f"{self.scheme}://{self.pattern}" if self.scheme else self.pattern
        return text if self.port == -1 else f"{text}:{self.port}"

    def to_json(self) -> dict[str, Any]:
        return {"t": "host", "s": self.scheme, "p": self.pattern, "port": self.port}


@attrs.frozen
class IPHostRule:
    """``SchemeHostPortMatcherIPHostRule``: one IP address (canonical URL host); port 0 is any."""

    scheme: str
    host: str
    port: int = 0

    def to_chromium(self) -> str:
        text = f"{self.scheme}://{self.host}" if self.scheme else self.host
        return text if self.port == 0 else f"{text}:{self.port}"

    def to_json(self) -> dict[str, Any]:
        return {"t": "ip", "s": self.scheme, "h": self.host, "port": self.port}


@attrs.frozen
class IPBlockRule:
    """``SchemeHostPortMatcherIPBlockRule``: URLs whose host is an IP in ``prefix/bits``.

    An IPv4 URL host matches an IPv6 block through its IPv4-mapped form, and the reverse
    (``IPAddressMatchesPrefix``). Chromium compares ``scheme`` without lower-casing it.
    """

    scheme: str
    prefix: ipaddress.IPv4Address | ipaddress.IPv6Address
    bits: int

    def to_chromium(self) -> str:
        text = f"{self.prefix.compressed}/{self.bits}"
        return f"{self.scheme}://{text}" if self.scheme else text

    def to_json(self) -> dict[str, Any]:
        return {"t": "net", "s": self.scheme, "a": list(self.prefix.packed), "bits": self.bits}


@attrs.frozen
class LocalRule:
    """``<local>``: hosts without a dot that are not IP literals."""

    def to_chromium(self) -> str:
        return "<local>"

    def to_json(self) -> dict[str, Any]:
        return {"t": "local"}


@attrs.frozen
class SubtractImplicitRule:
    """``<-loopback>``: the implicit bypass (localhost, loopback, link-local) no longer applies."""

    def to_chromium(self) -> str:
        return "<-loopback>"

    def to_json(self) -> dict[str, Any]:
        return {"t": "-loopback"}


BypassRule = HostPatternRule | IPHostRule | IPBlockRule | LocalRule | SubtractImplicitRule


@attrs.frozen
class ProxyRules:
    """``ProxyConfig::ProxyRules``: one list for every URL, or lists per URL scheme.

    Attributes:
        per_scheme: True for ``scheme=list`` entries, False for one list for all URLs.
        single: the list for all URLs (not ``per_scheme``); empty: no proxy rules at all.
        http, https, ftp: the lists for those URL schemes.
        fallback: the ``socks=`` list, for every other scheme and for what has no list.
        bypass: the bypass rules, in order (later rules win).
    """

    per_scheme: bool = False
    single: tuple[ProxyServer, ...] = ()
    http: tuple[ProxyServer, ...] = ()
    https: tuple[ProxyServer, ...] = ()
    ftp: tuple[ProxyServer, ...] = ()
    fallback: tuple[ProxyServer, ...] = ()
    bypass: tuple[BypassRule, ...] = ()

    @property
    def empty(self) -> bool:
        """No proxy at all: every URL goes direct (``ProxyRules::empty``)."""
        return not self.per_scheme and not self.single

    def lists(self) -> dict[str, tuple[ProxyServer, ...]]:
        """The non-empty lists by ``chrome.proxy`` field name."""
        if not self.per_scheme:
            return {"singleProxy": self.single} if self.single else {}
        named = {
            "proxyForHttp": self.http,
            "proxyForHttps": self.https,
            "proxyForFtp": self.ftp,
            "fallbackProxy": self.fallback,
        }
        return {name: servers for name, servers in named.items() if servers}


def _parse_proxy_list(text: str, default_scheme: str, entry: str) -> tuple[ProxyServer, ...]:
    # AddProxyURIListToProxyList: ','-separated; Chromium skips empty and invalid items, we
    # skip only empty ones.
    items = [item.strip(_ASCII_SPACE) for item in text.split(",")]
    servers = []
    for item in items:
        if item:
            server = parse_proxy_server(item, default_scheme)
            assert server is not None  # strict parsing raises instead
            servers.append(server)
    if not servers:
        raise ValueError(f"proxyRules: {entry!r} lists no proxy")
    return tuple(servers)


def parse_proxy_rules(text: str, bypass: str = "") -> ProxyRules:
    """Electron's ``proxyRules`` and ``proxyBypassRules``, validated strictly.

    Grammar (``ProxyConfig::ProxyRules::ParseFromString``): ``;``-separated entries, each
    either ``scheme=list`` (``http``, ``https``, ``ftp``, or ``socks`` for everything else,
    whose proxies default to SOCKS4) or a single list for every URL; lists are ``,``-separated
    proxy URIs. ASCII whitespace around every piece and empty entries or items (a trailing
    ``;`` or ``,``) are accepted, as Chromium does.

    Raises:
        ValueError: quoting the piece, for what Chromium would skip or misread: a malformed
            proxy, an unknown URL scheme (Chromium compares them case-sensitively), an empty
            list, a scheme given twice, a bare list mixed with ``scheme=`` entries or a second
            bare list (Chromium ignores all but the first), or an invalid bypass rule.
    """
    single: tuple[ProxyServer, ...] | None = None
    lists: dict[str, tuple[ProxyServer, ...]] = {}
    for raw in text.split(";"):
        entry = raw.strip(_ASCII_SPACE)
        if not entry:
            continue
        if "=" not in entry:
            if single is not None or lists:
                raise ValueError(
                    f"proxyRules: {entry!r} is a second list for all URLs or mixed with "
                    "'scheme=' entries; separate failover proxies with ','"
                )
            single = _parse_proxy_list(entry, "http", entry)
            continue
        name, _, servers = entry.partition("=")
        name = name.strip(_ASCII_SPACE)
        if "=" in servers:
            raise ValueError(f"proxyRules: {entry!r} is not 'scheme=proxies'")
        if not name:
            raise ValueError(f"proxyRules: {entry!r} has no URL scheme before '='")
        if name not in _RULE_SCHEMES:
            raise ValueError(
                f"proxyRules: unknown URL scheme {name!r} in {entry!r} "
                "(known: http, https, ftp, socks)"
            )
        if single is not None:
            raise ValueError(
                f"proxyRules: {entry!r} is mixed with a list for all URLs; "
                "give every list a 'scheme='"
            )
        if name in lists:
            raise ValueError(f"proxyRules: the URL scheme {name!r} is given twice")
        lists[name] = _parse_proxy_list(servers, "socks4" if name == "socks" else "http", entry)
    rules = parse_bypass_rules(bypass)
    if single is not None:
        return ProxyRules(single=single, bypass=rules)
    if lists:
        return ProxyRules(
            per_scheme=True,
            http=lists.get("http", ()),
            https=lists.get("https", ()),
            ftp=lists.get("ftp", ()),
            fallback=lists.get("socks", ()),
            bypass=rules,
        )
    return ProxyRules(bypass=rules)


# --- bypass rules ---------------------------------------------------------------------------


class _DroppedRuleError(Exception):
    """Chromium would drop this bypass rule (the reason for the strict error)."""


def _parse_host_and_port(raw: str) -> tuple[str, int] | None:
    """``net::ParseHostAndPort``: (host without brackets, port or -1)."""
    if not raw:
        return None
    has_user, host, port_text = _split_authority(raw)
    if has_user or not host:
        return None
    port = -1
    if port_text:
        parsed = _parse_port(port_text)
        if parsed is None:
            return None
        port = parsed
    elif port_text is not None:
        return None  # "foo:"
    if host[0] == "[":
        if host[-1] != "]" or parse_ipv6(host[1:-1]) is None:
            return None
        host = host[1:-1]
    return host, port


def _parse_cidr(
    text: str, *, strict: bool
) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    """``ParseCIDRBlock``: ``IP/bits``; strict also takes ``[v6]/bits`` and wants dotted quads."""
    parts = [part.strip(_ASCII_SPACE) for part in text.split("/")]
    if len(parts) != 2:
        raise _DroppedRuleError("is not an IP block (IP/prefix-length)")
    address_text, bits_text = parts
    if strict and address_text[:1] == "[" and address_text[-1:] == "]":
        address_text = address_text[1:-1]
    address = ip_literal(address_text)
    if address is None:
        raise _DroppedRuleError("is not an IP block (IP/prefix-length)")
    if (
        strict
        and address.version == 4
        and not re.fullmatch(r"(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}", address_text)
    ):
        # Chromium reads "10/8" as 0.0.0.10/8 and "169.254/16" as 169.0.0.254/16.
        raise _DroppedRuleError(
            f"needs a dotted-quad IPv4 address (Chromium reads it as {address}/...)"
        )
    if not _DIGITS_RE.match(bits_text) or int(bits_text) > address.max_prefixlen:
        raise _DroppedRuleError(f"has an invalid prefix length (0-{address.max_prefixlen})")
    return address, int(bits_text)


def _parse_bypass_rule(raw_untrimmed: str, *, strict: bool) -> BypassRule:
    """One bypass rule as Chromium parses it.

    Raises ``_DroppedRuleError`` for a rule Chromium would drop, and in strict mode also for
    rules Chromium keeps but that cannot mean what was written (see
    :func:`parse_bypass_rules`).
    """
    raw = raw_untrimmed.strip(_ASCII_SPACE)
    if lower_ascii(raw) == "<local>":
        return LocalRule()
    if lower_ascii(raw) == "<-loopback>":
        return SubtractImplicitRule()
    scheme = ""
    sep = raw.find("://")
    if sep != -1:
        scheme, raw = raw[:sep], raw[sep + 3 :]
        if not scheme:
            raise _DroppedRuleError("has an empty scheme")
        if strict and not _SCHEME_RE.match(lower_ascii(scheme)):
            raise _DroppedRuleError("has an invalid scheme")
    if not raw:
        raise _DroppedRuleError("has no host")
    if "/" in raw:
        if strict and scheme != lower_ascii(scheme):
            raise _DroppedRuleError(
                "has an upper-case scheme, which Chromium never matches in IP blocks"
            )
        prefix, bits = _parse_cidr(raw, strict=strict)
        return IPBlockRule(scheme, prefix, bits)
    scheme = lower_ascii(scheme)
    host_port = _parse_host_and_port(raw)
    if host_port is not None:
        address = ip_literal(host_port[0])
        if address is not None:
            if strict and host_port[1] == 0:
                raise _DroppedRuleError("has port 0")
            if strict and raw[0] != "[" and address.version == 6:
                raise _DroppedRuleError(
                    "has an IPv6 address without brackets (write [::1] or [::1]:80)"
                )
            host = f"[{address.compressed}]" if address.version == 6 else str(address)
            return IPHostRule(scheme, host, max(host_port[1], 0))
    if strict and raw[0] != "[" and raw.count(":") > 1:
        raise _DroppedRuleError("has an IPv6 address without brackets (write [::1] or [::1]:80)")
    port = -1
    colon = raw.rfind(":")
    if colon != -1:
        port_text, raw = raw[colon + 1 :], raw[:colon]
        if not _DIGITS_RE.match(port_text) or int(port_text) > 0xFFFF:
            raise _DroppedRuleError("has an invalid port (1-65535)")
        port = int(port_text)
        if strict and port == 0:
            raise _DroppedRuleError("has port 0")
    pattern = lower_ascii("*" + raw if raw.startswith(".") else raw)
    if strict:
        if not pattern.isascii():
            raise _DroppedRuleError("is not ASCII; write the host in punycode (xn--...)")
        if not _PATTERN_RE.match(pattern):
            raise _DroppedRuleError(
                "is not a host pattern ([scheme://]host[:port], '*' and '?' globs)"
            )
    return HostPatternRule(scheme, pattern, port)


def parse_bypass_rules(
    text: str, *, strict: bool = True, suffix_matching: bool = False
) -> tuple[BypassRule, ...]:
    """Electron's ``proxyBypassRules`` (``ProxyBypassRules::ParseFromString``).

    Rules are separated by ``,`` or ``;`` and trimmed; empty ones are skipped. Forms:
    ``[scheme://]host-pattern[:port]`` (globs ``*`` and ``?``; a leading ``.`` means ``*.``),
    ``[scheme://]IP[:port]`` (IPv6 in brackets), ``IP/prefix-length``, ``<local>`` and
    ``<-loopback>``.

    With ``strict`` (the default) a rule Chromium would drop raises ``ValueError`` naming it,
    and so does a rule Chromium keeps but can never match as written: port 0, an IPv6 address
    without brackets, an IPv4 block not in dotted-quad form (Chromium reads ``10/8`` as
    ``0.0.0.10/8``), an upper-case scheme on an IP block, a non-ASCII or malformed host
    pattern. ``[v6]/bits`` is accepted and given to Chromium without brackets. Without
    ``strict`` the rules are what Chromium makes of ``text``. ``suffix_matching`` prefixes
    ``*`` to every host pattern, as Chromium does for ``no_proxy``.
    """
    rules: list[BypassRule] = []
    for piece in re.split("[,;]", text):
        if not piece.strip(_ASCII_SPACE):
            continue
        try:
            rule = _parse_bypass_rule(piece, strict=strict)
        except _DroppedRuleError as exc:
            if strict:
                raise ValueError(f"proxyBypassRules: {piece.strip(_ASCII_SPACE)!r} {exc}") from None
            continue
        if suffix_matching and isinstance(rule, HostPatternRule) and rule.pattern[:1] != "*":
            rule = HostPatternRule(rule.scheme, "*" + rule.pattern, rule.port)
        rules.append(rule)
    return tuple(rules)


# --- the config -----------------------------------------------------------------------------


@attrs.frozen
class ProxyConfig:
    """A parsed ``ses.setProxy`` config, reduced to what decides proxies.

    Attributes:
        mode: the effective mode.
        pac_url: the PAC script's URL (``pac_script`` mode; None there means no script, which
            Chromium treats as direct).
        rules: the fixed rules (``fixed_servers`` mode), else None.
        pac_mandatory: a failing PAC script blocks instead of falling back to direct. Electron
            sets it for ``pac_script`` mode; the system's PAC (``auto_proxy``) is not mandatory.
    """

    mode: Mode
    pac_url: str | None = None
    rules: ProxyRules | None = None
    pac_mandatory: bool = False


def _optional_str(opts: Mapping[str, Any], key: str) -> str | None:
    value = opts.get(key)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"setProxy config: {key!r} must be a str, not {type(value).__name__}")
    return value


def _check_pac_url(url: str, schemes: tuple[str, ...] = ("http", "https", "data", "file")) -> str:
    text = url.strip(_ASCII_SPACE)
    scheme, sep, rest = text.partition(":")
    scheme = lower_ascii(scheme)
    ok = bool(sep) and scheme in schemes
    if ok and scheme in ("http", "https"):
        authority = re.split(r"[/?#\\]", rest.lstrip("/\\"), maxsplit=1)[0]
        _, host, port = _split_authority(authority)
        ok = host is not None and canonical_host(host) is not None
        ok = ok and (not port or _parse_port(port) is not None)
    elif ok:
        ok = "," in rest if scheme == "data" else rest.startswith("//")
    if not ok:
        names = ", ".join(schemes)
        raise ValueError(f"pacScript: {url!r} is not an absolute URL ({names})")
    return text


def parse_proxy_config(config: Any) -> ProxyConfig:
    """Validate Electron's ``ses.setProxy(config)`` and decide the effective mode.

    Keys ``mode``, ``pacScript``, ``proxyRules``, ``proxyBypassRules`` (or their snake_case
    twins); ``None`` values count as absent. Without ``mode``: ``pac_script`` when
    ``pacScript`` is non-empty (it wins over ``proxyRules``), else ``fixed_servers``. Only what
    the mode uses is parsed: ``{mode: 'direct', proxyRules: ...}`` is direct whatever the
    rules say.

    Raises:
        TypeError: ``config`` is not a dict, a key is unknown, a value is not a str.
        ValueError: Electron's ``Invalid mode, ...``; an invalid ``pacScript`` URL in
            ``pac_script`` mode (Chromium would go direct); malformed rules (see
            :func:`parse_proxy_rules`).
    """
    opts = check_options(config, _CONFIG_KEYS, arg="config", what="setProxy config key")
    mode = _optional_str(opts, "mode")
    pac_url = _optional_str(opts, "pacScript")
    proxy_rules = _optional_str(opts, "proxyRules") or ""
    bypass = _optional_str(opts, "proxyBypassRules") or ""
    if mode is None:
        mode = "pac_script" if pac_url else "fixed_servers"
    if mode not in MODES:
        raise ValueError(_INVALID_MODE)
    if mode == "pac_script":
        # An empty or missing pacScript makes Chromium fall back to direct (behaviour #37).
        url = _check_pac_url(pac_url) if pac_url else None
        return ProxyConfig("pac_script", pac_url=url, pac_mandatory=True)
    if mode == "fixed_servers":
        return ProxyConfig("fixed_servers", rules=parse_proxy_rules(proxy_rules, bypass))
    return ProxyConfig(mode)


# --- system settings (Linux without desktop proxy settings) ---------------------------------


def _getenv(env: Mapping[str, str], name: str) -> str | None:
    # base::Environment::GetVar also tries the name in the other case (HTTP_PROXY).
    if name in env:
        return env[name]
    other = name.upper() if name[0].islower() else name.lower()
    return env.get(other)


def _env_proxy(env: Mapping[str, str], name: str, scheme: str = "http") -> ProxyServer | None:
    value = _getenv(env, name)
    if not value:
        return None
    # FixupProxyHostScheme: a scheme in the value is dropped (so https://p is an HTTP proxy),
    # except socks4:// in SOCKS_SERVER; credentials are dropped; one trailing '/' too.
    if scheme == "socks5" and lower_ascii(value).startswith("socks4://"):
        scheme = "socks4"
    sep = value.find("://")
    if sep != -1:
        value = value[sep + 3 :]
    at = value.find("@")
    if at != -1:
        value = value[at + 1 :]
    if scheme != "http":
        value = f"{scheme}://{value}"
    if value.endswith("/"):
        value = value[:-1]
    return parse_proxy_server(value, "http", strict=False)


def system_proxy_config(env: Mapping[str, str]) -> ProxyConfig:
    """What Chromium's ``system`` mode reads on Linux without desktop settings (the env).

    ``ProxyConfigServiceLinux::Delegate::GetConfigFromEnv``: ``auto_proxy`` (empty:
    auto-detect, else the PAC URL, not mandatory); else ``all_proxy`` (one proxy); else
    ``http_proxy``/``https_proxy``/``ftp_proxy``; else ``SOCKS_SERVER`` (SOCKS5, or SOCKS4 with
    ``SOCKS_VERSION=4``); ``no_proxy`` bypasses with suffix matching. Values Chromium cannot
    parse are ignored, as it does; nothing set is direct.
    """
    auto_proxy = _getenv(env, "auto_proxy")
    if auto_proxy is not None:
        if not auto_proxy:
            return ProxyConfig("auto_detect")
        try:
            # Chromium's PAC fetcher takes only these; any other URL ends up direct.
            url = _check_pac_url(auto_proxy, ("http", "https", "data"))
        except ValueError:
            return ProxyConfig("direct")
        return ProxyConfig("pac_script", pac_url=url)
    rules = ProxyRules()
    every = _env_proxy(env, "all_proxy")
    if every is not None:
        rules = ProxyRules(single=(every,))
    else:
        http, https, ftp = (_env_proxy(env, f"{name}_proxy") for name in ("http", "https", "ftp"))
        if http or https or ftp:
            rules = ProxyRules(
                per_scheme=True,
                http=(http,) if http else (),
                https=(https,) if https else (),
                ftp=(ftp,) if ftp else (),
            )
    if rules.empty:
        version = "socks4" if _getenv(env, "SOCKS_VERSION") == "4" else "socks5"
        socks = _env_proxy(env, "SOCKS_SERVER", version)
        if socks is not None:
            rules = ProxyRules(single=(socks,))
    if rules.empty:
        return ProxyConfig("direct")
    no_proxy = _getenv(env, "no_proxy") or ""
    bypass = parse_bypass_rules(no_proxy, strict=False, suffix_matching=True)
    return ProxyConfig("fixed_servers", rules=attrs.evolve(rules, bypass=bypass))


# --- what Chromium gets ---------------------------------------------------------------------


def needs_compiled_pac(rules: ProxyRules) -> bool:
    """Whether Chromium must get these rules as :func:`compile_pac`'s script.

    The ``chrome.proxy`` API cannot express a list with more than one entry (failover) or
    with ``direct://``.
    """
    return any(len(servers) > 1 or servers[0].is_direct for servers in rules.lists().values())


def pac_unsupported_reason(rules: ProxyRules) -> str | None:
    """Why Chromium cannot run these rules faithfully as a PAC script, None if it can.

    Chromium sends localhost, loopback and link-local URLs direct before it asks a PAC script
    (``ApplyPacBypassRules``), so ``<-loopback>`` only works on the native fixed-servers path.
    """
    if any(isinstance(rule, SubtractImplicitRule) for rule in rules.bypass):
        return (
            "proxyBypassRules '<-loopback>' needs Chromium's fixed-servers path, but these "
            "proxyRules (a failover list or direct://) can only be given to Chromium as a PAC "
            "script, and Chromium sends localhost and loopback URLs direct without asking one"
        )
    return None


def compile_pac(rules: ProxyRules) -> str:
    """A PAC script that resolves exactly as Chromium's fixed-servers path for ``rules``.

    The rules are embedded as JSON data in :data:`_RULES_PAC`; the script applies the bypass
    rules (later ones first), then the implicit rules (honouring ``<-loopback>``), then the
    scheme's proxy list (``MapUrlSchemeToProxyList``). It never fails. Run by Chromium (see
    :func:`pac_unsupported_reason`) or by ``resolve_proxy``.
    """
    data = {
        "perScheme": rules.per_scheme,
        "single": [s.to_pac() for s in rules.single],
        "http": [s.to_pac() for s in rules.http],
        "https": [s.to_pac() for s in rules.https],
        "ftp": [s.to_pac() for s in rules.ftp],
        "fallback": [s.to_pac() for s in rules.fallback],
        "bypass": [rule.to_json() for rule in rules.bypass],
    }
    # ensure_ascii escapes U+2028/U+2029 too, so the JSON is a valid JavaScript literal.
    literal = json.dumps(data, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
    return _RULES_PAC.replace("  /*IP_FUNCTIONS*/\n", ip_functions_js()).replace(
        "/*RULES*/null", literal
    )


@functools.cache
def ip_functions_js() -> str:
    """``_pac_ip.js``: the IP helpers both the PAC library and compiled rules scripts carry."""
    return importlib.resources.files(__package__).joinpath("_pac_ip.js").read_text("utf-8")


# A PAC script that blocks every request: a mandatory PAC script that fails to load makes
# Chromium refuse all traffic (ERR_MANDATORY_PROXY_CONFIGURATION_FAILED), as Electron does
# when its pacScript cannot be fetched.
_FAILED_PAC = "throw new Error(%s);\n"


def chrome_proxy_value(config: ProxyConfig, pac_text: str | None) -> dict[str, Any]:
    """The ``value`` for ``chrome.proxy.settings.set`` that makes Chromium do what Electron does.

    ``pac_text`` is the fetched script in ``pac_script`` mode (None: the fetch failed, and
    Chromium gets a script that fails to load, so the mandatory PAC blocks traffic as in
    Electron). Fixed rules go as ``fixed_servers`` when every list has exactly one proxy,
    else as :func:`compile_pac`'s script.

    Raises:
        NotRepresentableError: the rules need the PAC form but use ``<-loopback>``.
    """
    if config.mode in ("direct", "auto_detect", "system"):
        return {"mode": config.mode}
    if config.mode == "pac_script":
        if config.pac_url is None:
            return {"mode": "direct"}
        if pac_text is None or not pac_text.strip():
            message = json.dumps(
                f"cdpsession: the PAC script {config.pac_url} could not be fetched"
            )
            pac_text = _FAILED_PAC % message
        return {
            "mode": "pac_script",
            "pacScript": {"data": pac_text, "mandatory": config.pac_mandatory},
        }
    rules = config.rules
    assert rules is not None
    if rules.empty:
        return {"mode": "direct"}
    if needs_compiled_pac(rules):
        reason = pac_unsupported_reason(rules)
        if reason is not None:
            raise NotRepresentableError(reason)
        return {"mode": "pac_script", "pacScript": {"data": compile_pac(rules), "mandatory": False}}
    value: dict[str, Any] = {
        name: servers[0].to_chrome() for name, servers in rules.lists().items()
    }
    if rules.bypass:
        value["bypassList"] = [rule.to_chromium() for rule in rules.bypass]
    return {"mode": "fixed_servers", "rules": value}


# The one implementation of fixed-rules resolution (net::ProxyConfig::ProxyRules::Apply with
# ProxyBypassRules::Matches), as a PAC script: FindProxyForURL(url, host) reads the scheme,
# canonical host and effective port from `url` (a canonical URL, as Chromium passes it).
_RULES_PAC: Final = r"""// Generated by cdpsession from Electron's proxyRules and proxyBypassRules.
var FindProxyForURL = (function (rules) {
  "use strict";
  var DEFAULT_PORTS = {http: 80, https: 443, ws: 80, wss: 443, ftp: 21};
  var INCLUDE = 1, EXCLUDE = -1, NO_MATCH = 0;

  function own(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  }

  // scheme://[userinfo@]host[:port]/... -> {scheme, host, port}; host as in the URL (an IPv6
  // address keeps its brackets), port the effective one (-1 when the scheme has none).
  function parseUrl(url) {
    var match = /^([a-zA-Z][a-zA-Z0-9+.\-]*):\/\/([^\/?#]*)/.exec(url);
    if (match === null) {
      return null;
    }
    var scheme = match[1].toLowerCase();
    var authority = match[2];
    authority = authority.slice(authority.lastIndexOf("@") + 1);
    var host = authority;
    var portText = "";
    if (authority.charAt(0) === "[") {
      var close = authority.indexOf("]");
      if (close < 0) {
        return null;
      }
      host = authority.slice(0, close + 1);
      var rest = authority.slice(close + 1);
      if (rest !== "") {
        if (rest.charAt(0) !== ":") {
          return null;
        }
        portText = rest.slice(1);
      }
    } else if (authority.lastIndexOf(":") >= 0) {
      host = authority.slice(0, authority.lastIndexOf(":"));
      portText = authority.slice(authority.lastIndexOf(":") + 1);
    }
    var port = own(DEFAULT_PORTS, scheme) ? DEFAULT_PORTS[scheme] : -1;
    if (portText !== "") {
      if (!/^[0-9]+$/.test(portText)) {
        return null;
      }
      port = parseInt(portText, 10);
    }
    return {scheme: scheme, host: host.toLowerCase(), port: port};
  }

  /*IP_FUNCTIONS*/

  // The IP address a canonical URL host names, as bytes (4 or 16), else null.
  function hostBytes(host) {
    if (host.charAt(0) === "[" && host.charAt(host.length - 1) === "]") {
      return ipv6Bytes(host.slice(1, -1));
    }
    return dottedQuadBytes(host);
  }

  // base::MatchPattern: '*' any run, '?' one character, '\' escapes '*', '?' and '\'.
  function globMatch(text, pattern) {
    var t = 0, p = 0, starP = -1, starT = 0;
    while (t < text.length) {
      var c = pattern.charAt(p);
      var next = pattern.charAt(p + 1);
      var escaped = c === "\\" && next !== "" && "*?\\".indexOf(next) >= 0;
      if (!escaped && c === "*") {
        starP = p++;
        starT = t;
      } else if (p < pattern.length && !escaped && c === "?") {
        p++;
        t++;
      } else if (p < pattern.length && (escaped ? pattern.charAt(p + 1) : c) === text.charAt(t)) {
        p += escaped ? 2 : 1;
        t++;
      } else if (starP >= 0) {
        p = starP + 1;
        t = ++starT;
      } else {
        return false;
      }
    }
    while (pattern.charAt(p) === "*") {
      p++;
    }
    return p === pattern.length;
  }

  // ProxyBypassRules::MatchesImplicitRules: localhost, *.localhost, loopback, link-local.
  function isImplicit(url) {
    var name = url.host.charAt(url.host.length - 1) === "." ? url.host.slice(0, -1) : url.host;
    if (name === "localhost" || name.slice(-10) === ".localhost") {
      return true;
    }
    var b = hostBytes(url.host);
    if (b === null) {
      return false;
    }
    if (b.length === 4) {
      return b[0] === 127 || (b[0] === 169 && b[1] === 254);
    }
    var zeros = 0;
    while (zeros < 10 && b[zeros] === 0) {
      zeros++;
    }
    if (zeros === 10 && b[10] === 255 && b[11] === 255) {
      return b[12] === 127 || (b[12] === 169 && b[13] === 254);
    }
    if (b.slice(0, 15).join(",") === "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0" && b[15] === 1) {
      return true;
    }
    return b[0] === 0xfe && (b[1] & 0xc0) === 0x80;
  }

  function evaluate(rule, url) {
    switch (rule.t) {
      case "host":
        if ((rule.port !== -1 && url.port !== rule.port) || (rule.s && url.scheme !== rule.s)) {
          return NO_MATCH;
        }
        return globMatch(url.host, rule.p) ? INCLUDE : NO_MATCH;
      case "ip":
        if ((rule.port !== 0 && url.port !== rule.port) || (rule.s && url.scheme !== rule.s)) {
          return NO_MATCH;
        }
        return url.host === rule.h ? INCLUDE : NO_MATCH;
      case "net":
        var address = hostBytes(url.host);
        if (address === null || (rule.s && url.scheme !== rule.s)) {
          return NO_MATCH;
        }
        return matchesPrefix(address, rule.a, rule.bits) ? INCLUDE : NO_MATCH;
      case "local":
        return url.host.indexOf(".") < 0 && url.host.charAt(0) !== "[" ? INCLUDE : NO_MATCH;
      case "-loopback":
        return isImplicit(url) ? EXCLUDE : NO_MATCH;
    }
    return NO_MATCH;
  }

  // Later rules override earlier ones; with no decision the implicit rules apply.
  function bypassed(url) {
    for (var i = rules.bypass.length - 1; i >= 0; i--) {
      var result = evaluate(rules.bypass[i], url);
      if (result !== NO_MATCH) {
        return result === INCLUDE;
      }
    }
    return isImplicit(url);
  }

  // ProxyConfig::ProxyRules::MapUrlSchemeToProxyList.
  function listFor(scheme) {
    if (!rules.perScheme) {
      return rules.single;
    }
    if (own({http: 1, https: 1, ftp: 1}, scheme) && rules[scheme].length > 0) {
      return rules[scheme];
    }
    if (scheme === "ws" || scheme === "wss") {
      var order = [rules.fallback, rules.https, rules.http];
      for (var i = 0; i < order.length; i++) {
        if (order[i].length > 0) {
          return order[i];
        }
      }
      return null;
    }
    return rules.fallback.length > 0 ? rules.fallback : null;
  }

  return function FindProxyForURL(url, host) {
    var parsed = parseUrl(String(url));
    if (parsed === null || bypassed(parsed)) {
      return "DIRECT";
    }
    var list = listFor(parsed.scheme);
    return list === null || list.length === 0 ? "DIRECT" : list.join(";");
  };
})(/*RULES*/null);
"""
