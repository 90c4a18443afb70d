"""web_request's filters, resource types and header checks (pure logic)."""

from __future__ import annotations

from typing import Any

import pytest

from cdpsession._fetch import RequestPattern
from cdpsession._host import Target
from cdpsession._web_request import (
    RequestFilter,
    _request_headers,
    _response_headers,
    resource_type,
)


def _target(kind: str = "page", target_id: str = "MAIN", parent: Target | None = None) -> Target:
    return Target(target_id, f"S-{target_id}", kind, "about:blank", "CTX", parent)


def test_no_filter_matches_every_url_and_type() -> None:
    every = RequestFilter.parse(None)
    assert every.matches("http://a.com/", "xhr")
    assert every.matches("file:///x", "mainFrame")
    assert every.fetch_patterns("Request") == [RequestPattern("*", "Request")]


def test_filter_urls_excludes_and_types() -> None:
    f = RequestFilter.parse(
        {
            "urls": ["http://a.com/filter/*"],
            "excludeUrls": ["http://a.com/filter/skip*"],
            "types": ["xhr", "image"],
        }
    )
    assert f.matches("http://a.com/filter/x", "xhr")
    assert f.matches("http://a.com/filter/x", "image")
    assert not f.matches("http://a.com/filter/x", "script")
    assert not f.matches("http://a.com/filter/skip/1", "xhr")
    assert not f.matches("http://a.com/other", "xhr")
    assert f.fetch_patterns("Request") == [
        # "/filter/*" also matches "/filter" (Chromium's rule): the glob covers both.
        RequestPattern("http://*a.com*/filter*", "Request", kind)
        for kind in ("Image", "XHR", "Fetch", "EventSource")
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({}, "Parameter 'filter' must have property 'urls'."),
        ({"urls": ["http://a"]}, "Invalid url pattern http://a: Empty path."),
        ({"urls": ["<all_urls>"], "types": ["other"]}, "Invalid type other"),
        ({"urls": "http://a/*"}, "filter 'urls' must be a list of str, not str"),
        ({"urls": [3]}, "filter 'urls' must hold str, not int"),
        (
            {"urls": [], "url": []},
            "unknown filter key 'url' (known: 'urls', 'excludeUrls', 'types')",
        ),
        ("http://a/*", "filter must be a dict, not str"),
    ],
)
def test_bad_filters_raise_type_error(value: Any, message: str) -> None:
    with pytest.raises(TypeError) as info:
        RequestFilter.parse(value)
    assert str(info.value) == message


def test_a_custom_scheme_pattern_gets_a_hint() -> None:
    with pytest.raises(TypeError) as info:
        RequestFilter.parse({"urls": ["app://*/*"]})
    assert str(info.value) == (
        "Invalid url pattern app://*/*: Wrong scheme type. (Chromium does not know app: as a "
        "standard scheme; write 'app:*')"
    )
    assert RequestFilter.parse({"urls": ["app:*"]}).matches("app://host/x", "image")


def test_empty_urls_mean_every_url() -> None:
    assert RequestFilter.parse({"urls": []}).matches("https://b.org/x", "font")


def test_resource_types_in_electrons_names() -> None:
    page = _target()
    frame = _target("iframe", "FRAME", parent=page)
    sw = _target("service_worker", "SW")
    assert resource_type("Document", "MAIN", page, {}) == "mainFrame"
    assert resource_type("Document", "CHILD", page, {}) == "subFrame"
    assert resource_type("Document", "FRAME", frame, {}) == "subFrame"
    assert resource_type("Fetch", "MAIN", page, {}) == "xhr"
    assert resource_type("XHR", "MAIN", page, {}) == "xhr"
    assert resource_type("CSPViolationReport", "MAIN", page, {}) == "cspReport"
    assert resource_type("TextTrack", "MAIN", page, {}) == "media"
    assert resource_type("Other", "SW", sw, {"Service-Worker": "script"}) == "script"
    assert resource_type("Other", "MAIN", page, {}) == "other"
    assert resource_type("Manifest", "MAIN", page, {}) == "other"


def test_invalid_headers_are_dropped_valid_ones_kept() -> None:
    assert _request_headers(
        {
            "Invalid Header": "v",
            "Valid-Header": "a\r\nb",
            "X-Good": "good",
            "X-List": ["a", "b"],
            "X-Num": 3,
            "": "empty name",
            "X-Nul": "a\0b",
        }
    ) == {"X-Good": "good", "X-List": "a, b", "X-Num": "3"}
    assert _response_headers(
        {"Set-Thing": ["a", "b"], "Bad Name": ["x"], "X-One": "1", "X-Bad": ["ok", "no\nway"]}
    ) == [("Set-Thing", "a"), ("Set-Thing", "b"), ("X-One", "1"), ("X-Bad", "ok")]
