"""Cookie rules cdpsession computes itself: validation, URL and filter matching, causes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from cdpsession._cookies import (
    ChangeTracker,
    CookieURL,
    check_cookie_details,
    check_cookie_filter,
    from_cdp,
    matches,
    sent_to,
)

NOW = 1_800_000_000.0


def _entry(**details: Any) -> dict[str, Any]:
    return check_cookie_details(details, now=NOW)


def test_host_cookie_entry_defaults() -> None:
    assert _entry(url="http://127.0.0.1:8000/a/b", name="n", value="v") == {
        "name": "n",
        "value": "v",
        "domain": "127.0.0.1",
        "path": "/a",
        "secure": False,
        "httpOnly": False,
        "sourceScheme": "NonSecure",
        "sourcePort": 8000,
        "sameSite": "Lax",
    }


@pytest.mark.parametrize(
    ("url", "domain", "stored"),
    [
        ("http://sub.example.com", "example.com", ".example.com"),
        ("http://sub.example.com", ".Example.COM", ".example.com"),
        ("http://a.b.example.com", "b.example.com", ".b.example.com"),
        ("http://example.com", "", "example.com"),
        ("http://127.0.0.1", "127.0.0.1", "127.0.0.1"),
        ("http://localhost", "localhost", "localhost"),
        ("http://foo.github.io", "foo.github.io", ".foo.github.io"),
        ("http://[::1]:9/", "", "[::1]"),
        ("http://bücher.example/", "", "xn--bcher-kva.example"),
    ],
)
def test_domain_attribute_is_canonicalized(url: str, domain: str, stored: str) -> None:
    assert _entry(url=url, name="n", domain=domain)["domain"] == stored


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("http://example.com", "other.com"),
        ("http://example.com", "sub.example.com"),
        ("http://x.co.uk", "co.uk"),
        ("http://foo.github.io", "github.io"),
        ("http://127.0.0.1", "0.0.1"),
        ("http://localhost", ".localhost"),
        ("http://example.com", "exa%6dple.com"),
    ],
)
def test_foreign_or_public_domains_are_refused(url: str, domain: str) -> None:
    with pytest.raises(ValueError, match=r"invalid Domain attribute\.$"):
        _entry(url=url, name="n", domain=domain)


def test_non_ascii_domain_names_both_reasons() -> None:
    message = (
        "Failed to set cookie - The cookie was set with an invalid Domain attribute."
        "The cookie was set with a Domain attribute containing non ASCII characters."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        _entry(url="http://example.com", name="n", domain="bücher.example")


def test_same_site_secure_and_expiry() -> None:
    entry = _entry(url="https://e.org", name="n", sameSite="no_restriction")
    assert (entry["sameSite"], entry["secure"], entry["sourceScheme"]) == ("None", True, "Secure")
    assert "sameSite" not in _entry(url="https://e.org", name="n", sameSite="unspecified")
    assert _entry(url="https://e.org", name="n", expirationDate=NOW + 5)["expires"] == NOW + 5
    # Chromium caps a lifetime at 400 days.
    far = _entry(url="https://e.org", name="n", expiration_date=NOW + 10**9)["expires"]
    assert far == NOW + 400 * 24 * 3600


@pytest.mark.parametrize(
    ("details", "error", "message"),
    [
        ({}, ValueError, "^Missing required option 'url'$"),
        ({"url": 1}, TypeError, "'url' must be a str, not int"),
        ({"url": "http://e.com", "secure": 1}, TypeError, "'secure' must be a bool"),
        ({"url": "http://e.com", "expirationDate": "1"}, TypeError, "must be a number"),
        ({"url": "http://e.com", "expirationDate": True}, TypeError, "must be a number"),
        ({"url": "http://e.com", "sameSite": "None"}, ValueError, "Failed to convert 'None'"),
        ({"url": "http://e.com", "sameSite": "lax", "same_site": "lax"}, TypeError, "twice"),
        ({"url": "http://e.com", "name": " lead"}, ValueError, "ASCII control characters$"),
        ({"url": "http://e.com", "name": "a=b"}, ValueError, "ASCII control characters$"),
        ({"url": "http://e.com", "name": "a", "value": "\x7f"}, ValueError, "ASCII control"),
        ({"url": "http://e.com", "name": "a", "path": "/\x01"}, ValueError, "ASCII control"),
        ({"url": "http://e.com", "name": "a", "path": "/a b"}, ValueError, "was malformed"),
        ({"url": "http://e.com", "name": "a", "path": "/" + "p" * 1024}, ValueError, "attribute"),
        ({"url": "http://e.com:99999/", "name": "a"}, ValueError, "invalid Domain"),
        ({"url": "file:///tmp/x", "name": "a"}, ValueError, "does not support cookies"),
        ({"url": "https://e.com", "name": "__Host-a", "path": "/x"}, ValueError, "prefix"),
        ({"url": "https://e.com", "name": "__host-a", "secure": False}, ValueError, "prefix"),
        ({"url": "http://e.com", "name": "a", "secure": True}, ValueError, "was Secure"),
    ],
)
def test_refused_details(details: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        check_cookie_details(details)


def test_details_and_filter_must_be_dicts() -> None:
    with pytest.raises(TypeError, match=r"^details must be a dict, not list$"):
        check_cookie_details([])
    with pytest.raises(TypeError, match=r"^filter must be a dict, not str$"):
        check_cookie_filter("url")
    assert check_cookie_filter(None) == {}
    assert check_cookie_filter({"http_only": True}) == {"httpOnly": True}


def _cookie(**fields: Any) -> dict[str, Any]:
    raw = {"name": "n", "value": "v", "domain": "example.com", "path": "/", "session": True}
    raw.update(fields)
    return from_cdp(raw)


def _url(text: str) -> CookieURL:
    url = CookieURL.parse(text)
    assert url is not None
    return url


@pytest.mark.parametrize(
    ("cookie", "url", "sent"),
    [
        (_cookie(), "http://example.com/any", True),
        (_cookie(), "http://sub.example.com/", False),  # host-only
        (_cookie(domain=".example.com"), "http://sub.example.com/", True),
        (_cookie(domain=".example.com"), "http://example.com/", True),
        (_cookie(domain=".example.com"), "http://otherexample.com/", False),
        (_cookie(path="/a"), "http://example.com/a", True),
        (_cookie(path="/a"), "http://example.com/a/b", True),
        (_cookie(path="/a"), "http://example.com/ab", False),
        (_cookie(path="/a/"), "http://example.com/a/b", True),
        (_cookie(secure=True), "http://example.com/", False),
        (_cookie(secure=True), "https://example.com/", True),
        (_cookie(secure=True), "wss://example.com/", True),
        (_cookie(secure=True, domain="localhost"), "http://localhost/", True),
        (_cookie(secure=True, domain="127.0.0.1"), "http://127.0.0.1/", True),
        (_cookie(), "ftp://example.com/", False),
    ],
)
def test_sent_to(cookie: dict[str, Any], url: str, sent: bool) -> None:
    assert sent_to(cookie, _url(url)) is sent


def test_filters() -> None:
    cookie = _cookie(domain=".example.com", path="/p", httpOnly=True)
    assert matches(cookie, {"domain": "a.b.example.com", "path": "/p", "httpOnly": True})
    assert matches(cookie, {"domain": "EXAMPLE.com"})
    assert not matches(cookie, {"domain": "com"})
    assert not matches(cookie, {"path": "/"})
    assert not matches(cookie, {"session": False})
    assert not matches(cookie, {"name": "other"})


def test_from_cdp_shape() -> None:
    persistent = from_cdp(
        {
            "name": "a",
            "value": "b",
            "domain": ".e.com",
            "path": "/",
            "expires": 5.5,
            "session": False,
            "sameSite": "Strict",
            "secure": True,
            "httpOnly": False,
            "size": 2,
        }
    )
    assert persistent == {
        "name": "a",
        "value": "b",
        "domain": ".e.com",
        "hostOnly": False,
        "path": "/",
        "secure": True,
        "httpOnly": False,
        "session": False,
        "expirationDate": 5.5,
        "sameSite": "strict",
    }
    assert list(persistent) == [
        "name",
        "value",
        "domain",
        "hostOnly",
        "path",
        "secure",
        "httpOnly",
        "session",
        "expirationDate",
        "sameSite",
    ]


def _report(cause: str, removed: bool, value: str = "v", expiry: float | None = None) -> str:
    cookie: dict[str, Any] = {
        "name": "n",
        "value": value,
        "domain": "e.com",
        "hostOnly": True,
        "path": "/",
        "secure": False,
        "httpOnly": False,
        "sameSite": "lax",
        "session": expiry is None,
        "storeId": "0",
    }
    if expiry is not None:
        cookie["expirationDate"] = expiry
    return json.dumps({"cookie": cookie, "cause": cause, "removed": removed})


def _causes(tracker: ChangeTracker, *payloads: str) -> list[tuple[str, str, bool]]:
    out = []
    for payload in payloads:
        change = tracker.classify(payload)
        if change is not None:
            cookie, cause, removed = change
            out.append((cookie["value"], cause, removed))
    return out


def test_causes_derived_from_chrome_cookies_pairs() -> None:
    tracker = ChangeTracker()
    assert _causes(
        tracker,
        _report("explicit", False, "a"),
        _report("overwrite", True, "a"),
        _report("explicit", False, "b"),
        _report("overwrite", True, "b", 10.0),
        _report("explicit", False, "b", 20.0),
        _report("overwrite", True, "b", 20.0),
        _report("explicit", False, "b", 20.0),
        _report("expired_overwrite", True, "b", 20.0),
        _report("explicit", True, "b"),
        _report("evicted", True, "b"),
        _report("expired", True, "b"),
        _report("something_new", True, "b"),
        "not json",
        json.dumps({"cookie": {}}),
    ) == [
        ("a", "inserted", False),
        ("a", "overwrite", True),
        ("b", "inserted", False),
        ("b", "overwrite", True),
        ("b", "inserted-no-value-change-overwrite", False),
        ("b", "overwrite", True),
        ("b", "inserted-no-change-overwrite", False),
        ("b", "expired-overwrite", True),
        ("b", "explicit", True),
        ("b", "evicted", True),
        ("b", "expired", True),
        ("b", "unknown", True),
    ]


def test_muted_insertion_is_not_reported_once() -> None:
    tracker = ChangeTracker()
    cookie = json.loads(_report("explicit", False))["cookie"]
    del cookie["storeId"]
    tracker.mute_inserts([cookie])
    # A removal is never muted; the insertion is, once.
    assert _causes(tracker, _report("explicit", True), _report("explicit", False)) == [
        ("v", "explicit", True)
    ]
    assert _causes(tracker, _report("explicit", True), _report("explicit", False)) == [
        ("v", "explicit", True),
        ("v", "inserted", False),
    ]
    tracker.mute_inserts([cookie], seconds=-1)  # already past its deadline
    assert _causes(tracker, _report("explicit", False)) == [("v", "inserted", False)]


@pytest.mark.parametrize(
    "url",
    [
        "http://256.1.1.1/",
        "http://[fe80::1%25eth0]/",
        "http://a b.com/",
    ],
)
def test_hosts_that_are_no_url_host_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"invalid Domain attribute\.$"):
        _entry(url=url, name="n")


# Each as Chromium 156's URL parser reads it (checked with `new URL()` in a page).
@pytest.mark.parametrize(
    ("url", "host", "path"),
    [
        ("http://example.com\\@evil.com/", "example.com", "/@evil.com/"),
        ("http://fa\u00df.de/", "xn--fa-hia.de", "/"),
        ("http://xn--fa-hia.de/", "xn--fa-hia.de", "/"),
        ("http://a.com./", "a.com.", "/"),
        ("http://127.0.0.1:8/a b/x", "127.0.0.1", "/a%20b/x"),
        ("http://127.0.0.1:8/\u00e9/x", "127.0.0.1", "/%C3%A9/x"),
        ("http://127.0.0.1:8\\a\\b", "127.0.0.1", "/a/b"),
        ("http:example.com", "example.com", "/"),
        ("http://0x7f.1/", "127.0.0.1", "/"),
        ("http://exa%41mple.com/", "exaample.com", "/"),
        ("http://xn--/", "xn--", "/"),
    ],
)
def test_urls_are_read_as_chromium_reads_them(url: str, host: str, path: str) -> None:
    parsed = CookieURL.parse(url)
    assert parsed is not None
    assert (parsed.host, parsed.path) == (host, path)


def test_odd_but_valid_details() -> None:
    assert "sourcePort" not in _entry(url="http://a.example.com:0/", name="n")
    with pytest.raises(ValueError, match=r"ASCII control characters$"):
        _entry(url="http://a.example.com/", name="", value="v=only")
    with pytest.raises(ValueError, match=r"not NaN$"):
        _entry(url="http://e.com/", name="n", expirationDate=float("nan"))
    assert _entry(url="http://e.com/", name="n", expirationDate=float("inf"))["expires"] == (
        NOW + 400 * 24 * 3600
    )
    assert _entry(url="http://e.com/", name="n", expirationDate=10**400)["expires"] == (
        NOW + 400 * 24 * 3600
    )


@pytest.mark.parametrize("expiry", [-1, -1e308, float("-inf"), -(10**400), 0, 0.5])
def test_an_expiry_in_the_past_is_expired_never_a_session_cookie(expiry: float) -> None:
    # CDP stores a negative expiry as a session cookie; Chromium (and Electron) as expired.
    assert _entry(url="http://e.com/", name="n", expirationDate=expiry)["expires"] == 1.0


@pytest.mark.parametrize(
    ("details", "message"),
    [
        ({"name": "a\tb"}, "ASCII control characters"),
        ({"name": "", "value": "__Host-x"}, "prefix"),
        ({"name": "", "value": "__secure-x"}, "prefix"),
        ({"name": "x", "path": "/a;b"}, "malformed"),
        ({"name": "\ud800"}, "not valid Unicode"),
        ({"name": "x", "path": "/\udfff"}, "not valid Unicode"),
    ],
)
def test_details_chromium_refuses(details: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _entry(url="http://a.com/", **details)


def test_url_paths_lose_dot_segments() -> None:
    assert _url("http://h/x/../q/r").path == "/q/r"
    assert _url("http://h/a/./b/").path == "/a/b/"
    assert _url("http://h/../..").path == "/"
    assert sent_to(_cookie(domain="h", path="/q"), _url("http://h/x/../q/r"))


def test_clear_data_origins() -> None:
    from cdpsession._storage import check_clear_data_options  # noqa: PLC0415

    removal, types, _ = check_clear_data_options({"origins": ["HTTPS://A.example.com:443/x"]})
    assert removal == {"since": 0, "origins": ["https://a.example.com"]}
    assert "downloads" not in types
    assert check_clear_data_options({"excludeOrigins": []})[0] == {"since": 0}
    assert check_clear_data_options({"origins": []})[0] == {"since": 0, "origins": []}
    for bad in ("http://256.1.1.1", "http://[fe80::1%25eth0]", "garbage", "file:///x"):
        with pytest.raises(TypeError, match=rf"^Invalid origin: '{re.escape(bad)}'$"):
            check_clear_data_options({"origins": [bad]})


def test_reports_before_the_watch_marker_are_stale() -> None:
    tracker = ChangeTracker()
    tracker.expect_marker("m")

    def marker(removed: bool) -> str:
        info = json.loads(_report("explicit", removed))
        info["cookie"]["name"] = "m"
        return json.dumps(info)

    # A change made before watching started, reported late: dropped, as is the marker.
    assert _causes(tracker, _report("explicit", False), marker(False)) == []
    assert tracker.marker_seen
    assert _causes(
        tracker, _report("explicit", True), marker(True), _report("explicit", False)
    ) == [
        ("v", "explicit", True),
        ("v", "inserted", False),
    ]
    tracker.expect_marker("never")
    tracker.forget_marker()
    assert _causes(tracker, _report("explicit", False)) == [("v", "inserted", False)]
