"""Chromium's URL match patterns (``extensions/common/url_pattern.cc``), as Electron uses them.

Electron's ``WebRequestFilter`` takes patterns such as ``<all_urls>``, ``*://*.example.com/*``
and ``file:///home/*``, parsed by Chromium's ``URLPattern(SCHEME_ALL)``: this module parses
them with the same rules and error texts and matches URLs the same way. It also writes, for
each pattern, a Fetch ``urlPattern`` glob that matches every URL the pattern matches (and maybe
more): what CDP's ``Fetch.enable`` pauses, before Python decides.
"""

from __future__ import annotations

import re
from functools import lru_cache

import attrs

from ._url import canonical_host

__all__ = ["ALL_URLS", "PatternError", "URLPattern", "parse_pattern", "split_url"]

ALL_URLS = "<all_urls>"

# url::IsStandard for Chromium's own schemes (and content's, extensions'); "*" counts as one.
_STANDARD = frozenset(
    {
        "*",
        "http",
        "https",
        "file",
        "ftp",
        "ws",
        "wss",
        "filesystem",
        "chrome",
        "chrome-extension",
        "chrome-untrusted",
        "chrome-error",
        "devtools",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")


class PatternError(ValueError):
    """A pattern Chromium's ``URLPattern::Parse`` refuses; ``reason`` is Chromium's text."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"Invalid url pattern {pattern}: {reason}")
        self.pattern = pattern
        self.reason = reason


@attrs.frozen
class URLPattern:
    """One parsed match pattern (``URLPattern`` with ``SCHEME_ALL``)."""

    text: str
    match_all: bool = False
    scheme: str = "*"
    host: str = ""
    match_subdomains: bool = False
    port: str = "*"
    path: str = "/*"

    def matches(self, url: str) -> bool:
        """Whether ``url`` (canonical, as Chromium reports it) matches, as ``MatchesURL``."""
        parts = split_url(url)
        if parts is None:
            return False
        scheme, host, port, path = parts
        if self.match_all:
            return True
        if self.scheme == "*":
            if scheme not in ("http", "https"):
                return False
        elif scheme != self.scheme:
            return False
        if not path:
            return False
        if self.scheme != "file" and not self._matches_host(host):
            return False
        if self.port != "*" and self.port != str(port):
            return False
        return _path_matches(self.path, path)

    def _matches_host(self, host: str) -> bool:
        test = host.removesuffix(".")
        mine = self.host.removesuffix(".")
        if test == mine or (self.match_subdomains and not mine):
            return True
        if not self.match_subdomains or _is_ip(test):
            return False
        return len(test) > len(mine) + 1 and test.endswith("." + mine)

    def fetch_globs(self) -> list[str]:
        """Fetch ``urlPattern`` globs that together match every URL this pattern matches."""
        if self.match_all:
            return ["*"]
        path = _glob_path(self.path)
        schemes = ("http", "https") if self.scheme == "*" else (self.scheme,)
        if self.scheme == "file":
            return [f"file://*{path}"]
        if self.scheme not in _STANDARD:
            return [f"{self.scheme}:{path}"]
        # "*" before the host covers credentials and subdomains, the one after it a port.
        host = _glob_literal(self.host)
        return [f"{scheme}://*{host}*{path}" for scheme in schemes]


def _is_ip(host: str) -> bool:
    return host.startswith("[") or bool(re.fullmatch(r"[0-9.]+", host))


def _glob_literal(text: str) -> str:
    return re.sub(r"([*?\\])", r"\\\1", text)


def _glob_path(path: str) -> str:
    glob = "*".join(_glob_literal(part) for part in path.split("*"))
    # "/foo/*" also matches the path "/foo" (URLPattern::MatchesPath).
    return glob[:-2] + "*" if glob.endswith("/*") else glob


@lru_cache(maxsize=512)
def _path_regex(path: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in path.split("*")), re.DOTALL)


def _path_matches(pattern: str, path: str) -> bool:
    if pattern == path + "/*":
        return True
    return _path_regex(pattern).fullmatch(path) is not None


@lru_cache(maxsize=4096)
def split_url(url: str) -> tuple[str, str, int, str] | None:
    """``(scheme, host, effective port, path with query)`` of a canonical URL, None if invalid.

    The port is -1 for schemes without one; non-standard schemes have no host and their path is
    everything after ``scheme:`` (as ``GURL`` has it). A fragment is dropped.
    """
    match = _SCHEME.match(url)
    if match is None or url[match.end() : match.end() + 1] != ":":
        return None
    scheme = match.group().lower()
    rest = url[match.end() + 1 :].partition("#")[0]
    if scheme not in _STANDARD or scheme == "filesystem":
        return scheme, "", -1, rest
    if not rest.startswith("//"):
        return None
    authority, slash, path = rest[2:].partition("/")
    path = slash + path
    authority = authority.rpartition("@")[2]
    host, port_text = authority, ""
    if authority.startswith("["):
        close = authority.find("]")
        host, port_text = authority[: close + 1], authority[close + 1 :].removeprefix(":")
    elif ":" in authority:
        host, _, port_text = authority.partition(":")
    port = int(port_text) if port_text.isdigit() else _DEFAULT_PORTS.get(scheme, -1)
    return scheme, host.lower(), port, path or "/"


def parse_pattern(pattern: str) -> URLPattern:
    """Parse a match pattern as ``URLPattern(SCHEME_ALL).Parse`` does.

    Raises:
        TypeError: ``pattern`` is not a str.
        PatternError: Chromium's reasons (``"Empty path."``, ``"Invalid scheme."``, ...).
    """
    if not isinstance(pattern, str):
        raise TypeError(f"a url pattern must be a str, not {type(pattern).__name__}")
    if pattern == ALL_URLS:
        return URLPattern(pattern, match_all=True)
    end = pattern.find("://")
    standard_separator = end != -1
    if end == -1:
        end = pattern.find(":")
    if end == -1:
        raise PatternError(pattern, "Missing scheme separator.")
    scheme = pattern[:end]
    # SCHEME_ALL takes any scheme string; GURL lower-cases it, URLPattern keeps it as given.
    standard = scheme.lower() in _STANDARD
    if standard != standard_separator:
        raise PatternError(pattern, "Wrong scheme type.")
    start = end + (3 if standard else 1)
    if start >= len(pattern):
        raise PatternError(pattern, "Host can not be empty.")
    host = ""
    port = "*"
    subdomains = False
    if not standard:
        path_start = start
    elif scheme.lower() == "file":
        slash = pattern.find("/", start)
        path_start = start - 1 if slash == -1 else slash
    else:
        slash = pattern.find("/", start)
        if slash == start:
            raise PatternError(pattern, "Host can not be empty.")
        if slash == -1:
            raise PatternError(pattern, "Empty path.")
        host_and_port = pattern[start:slash]
        separator = -1
        if not host_and_port.startswith("["):
            separator = host_and_port.find(":")
        else:
            close = host_and_port.find("]")
            if close == -1:
                raise PatternError(pattern, "Invalid host.")
            if close == 1:
                raise PatternError(pattern, "Host can not be empty.")
            if close < len(host_and_port) - 1:
                if host_and_port[close + 1] != ":":
                    raise PatternError(pattern, "Invalid host.")
                separator = close + 1
        if separator != -1:
            port = host_and_port[separator + 1 :]
            if not _valid_port(scheme, port):
                raise PatternError(pattern, "Invalid port.")
            host_and_port = host_and_port[:separator]
        if not host_and_port:
            raise PatternError(pattern, "Host can not be empty.")
        if host_and_port == "*":
            subdomains = True
            host_and_port = ""
        elif host_and_port.startswith("*."):
            if len(host_and_port) == 2:
                raise PatternError(pattern, "Host can not be empty.")
            subdomains = True
            host_and_port = host_and_port[2:]
        host = host_and_port
        path_start = slash
    path = pattern[path_start:]
    if "*" in host:
        raise PatternError(pattern, "Invalid host wildcard.")
    if host:
        canonical = canonical_host(host)
        if canonical is None or "\0" in canonical:
            raise PatternError(pattern, "Invalid host.")
        host = canonical
    return URLPattern(
        pattern,
        scheme=scheme,
        host=host,
        match_subdomains=subdomains,
        port=port,
        path=path,
    )


def _valid_port(scheme: str, port: str) -> bool:
    if port == "*":
        return True
    if scheme.lower() not in _DEFAULT_PORTS:
        return False
    # base::StringToInt: digits with an optional minus sign, nothing else.
    if not re.fullmatch(r"-?[0-9]+", port):
        return False
    return 0 <= int(port) < 65536
