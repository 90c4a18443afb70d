"""Match patterns as Chromium's URLPattern(SCHEME_ALL) parses and matches them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdpsession._url_pattern import PatternError, parse_pattern


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("*://www.googleapis.com", "Empty path."),
        ("http", "Missing scheme separator."),
        ("http:/example.com/", "Wrong scheme type."),
        ("data://x/", "Wrong scheme type."),
        ("http://", "Host can not be empty."),
        ("http:///path", "Host can not be empty."),
        ("http://*./", "Host can not be empty."),
        ("http://:80/", "Host can not be empty."),
        ("http://foo*.com/", "Invalid host wildcard."),
        ("http://*foo.com/", "Invalid host wildcard."),
        ("http://foo.com:abc/", "Invalid port."),
        ("http://foo.com:70000/", "Invalid port."),
        ("*://foo.com:80/*", "Invalid port."),
        ("http://[::1/", "Invalid host."),
        ("http://[]/", "Host can not be empty."),
        ("http://[::1]x/", "Invalid host."),
        ("http://a b/", "Invalid host."),
    ],
)
def test_parse_errors_name_chromiums_reason(pattern: str, reason: str) -> None:
    with pytest.raises(PatternError) as info:
        parse_pattern(pattern)
    assert str(info.value) == f"Invalid url pattern {pattern}: {reason}"


def test_non_string_pattern_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse_pattern(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "url", "expected"),
    [
        ("<all_urls>", "http://a.com/", True),
        ("<all_urls>", "file:///tmp/x", True),
        ("<all_urls>", "ws://a.com/", True),
        ("<all_urls>", "app://foo/x", True),
        ("*://www.googleapis.com/", "https://www.googleapis.com/", True),
        ("*://www.googleapis.com/", "https://www.googleapis.com/x", False),
        ("*://*/*", "http://a.com/x", True),
        ("*://*/*", "https://a.com/", True),
        ("*://*/*", "ws://a.com/", False),
        ("*://*/*", "file:///x", False),
        ("http://*.example.com/*", "http://example.com/", True),
        ("http://*.example.com/*", "http://a.b.example.com/x?y", True),
        ("http://*.example.com/*", "http://otherexample.com/", False),
        ("http://*.0.0.1/*", "http://127.0.0.1/", False),
        ("http://127.0.0.1/*", "http://127.0.0.1:8000/x", True),
        ("http://127.0.0.1:8000/*", "http://127.0.0.1:8000/x", True),
        ("http://127.0.0.1:8000/*", "http://127.0.0.1:8001/x", False),
        ("http://127.0.0.1:80/*", "http://127.0.0.1/x", True),
        ("http://127.0.0.1:080/*", "http://127.0.0.1/x", False),
        ("http://EXAMPLE.com/*", "http://example.com/", True),
        ("http://example.com./*", "http://example.com/", True),
        ("HTTP://example.com/*", "http://example.com/", False),
        ("http://[::1]/*", "http://[::1]:99/x", True),
        ("http://a.com/foo/*", "http://a.com/foo", True),
        ("http://a.com/foo/*", "http://a.com/foobar", False),
        ("http://a.com/foo", "http://a.com/foo?q", False),
        ("http://a.com/foo*", "http://a.com/foo?q=1", True),
        ("http://a.com/*.png", "http://a.com/x/y.png", True),
        ("http://a.com/a?b", "http://a.com/a?b", True),
        ("http://a.com/a?b", "http://a.com/axb", False),
        ("file:///tmp/*", "file:///tmp/a.html", True),
        ("file://localhost/tmp/*", "file:///tmp/a.html", True),
        ("file://*", "file:///anything", True),
        ("data:*", "data:text/plain,hi", True),
        ("app:*", "app://foo/x", True),
        ("ws://a.com/*", "ws://a.com/socket", True),
        ("http://a.com/*", "https://a.com/", False),
        ("http://xn--fa-hia.de/*", "http://xn--fa-hia.de/", True),
        ("http://faß.de/*", "http://xn--fa-hia.de/", True),
    ],
)
def test_matches_as_chromium(pattern: str, url: str, expected: bool) -> None:
    assert parse_pattern(pattern).matches(url) is expected


def _fetch_glob_matches(glob: str, url: str) -> bool:
    # CDP Fetch urlPattern: '*' any run, '?' one character, backslash escapes the next.
    out = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == "\\" and i + 1 < len(glob):
            out.append(re.escape(glob[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
        i += 1
    return re.fullmatch("".join(out), url, re.DOTALL) is not None


_HOSTS = st.sampled_from(["a.com", "b.a.com", "127.0.0.1", "[::1]", "x.y.z", "*", "*.a.com"])
_PATHS = st.text(alphabet="/ab*?.\\%", max_size=8).map(lambda p: "/" + p)
_URL_HOSTS = st.sampled_from(["a.com", "b.a.com", "c.b.a.com", "127.0.0.1", "[::1]", "x.y.z"])
_URL_PATHS = st.text(alphabet="/ab?.\\%=", max_size=8).map(lambda p: "/" + p)


@given(
    scheme=st.sampled_from(["http", "https", "*", "ws", "file"]),
    host=_HOSTS,
    port=st.sampled_from(["", ":*", ":8000", ":80"]),
    path=_PATHS,
    url_scheme=st.sampled_from(["http", "https", "ws", "file"]),
    url_host=_URL_HOSTS,
    url_port=st.sampled_from(["", ":8000", ":81"]),
    url_path=_URL_PATHS,
)
def test_fetch_globs_cover_every_match(
    scheme: str,
    host: str,
    port: str,
    path: str,
    url_scheme: str,
    url_host: str,
    url_port: str,
    url_path: str,
) -> None:
    try:
        pattern = parse_pattern(f"{scheme}://{host}{port}{path}")
    except PatternError:
        return
    url = f"{url_scheme}://{'' if url_scheme == 'file' else url_host + url_port}{url_path}"
    if pattern.matches(url):
        assert any(_fetch_glob_matches(glob, url) for glob in pattern.fetch_globs()), (
            pattern,
            url,
        )


@given(st.text(max_size=40))
def test_any_text_parses_or_raises_pattern_error(text: str) -> None:
    try:
        pattern = parse_pattern(text)
    except PatternError as exc:
        message = str(exc)
    else:
        assert pattern.fetch_globs()
        pattern.matches("http://a.com/")
        return
    assert message.startswith(f"Invalid url pattern {text}: ")
