"""Request and Response, the Fetch API objects of protocol handlers and ses.fetch."""

from __future__ import annotations

import pytest

from cdpsession import Request, Response


def test_response_defaults_and_phrases() -> None:
    assert (Response().status, Response().status_text, Response().body) == (200, "OK", None)
    assert Response(status=418).status_text == "I'm a Teapot"
    assert Response(status=599).status_text == ""
    assert Response("hé").body == "hé".encode()
    assert Response(b"x", status=201, status_text="Made").status_text == "Made"
    assert Response.error().type == "error"
    assert Response().type == "basic"


def test_headers_joined_case_insensitive_and_kept_in_order() -> None:
    response = Response(headers=[("Set-Thing", "a"), ("set-thing", "b"), ("X", "1")])
    assert response.headers == {"set-thing": "a, b", "x": "1"}
    assert response.header("SET-THING") == "a, b"
    assert response.header("missing") is None
    assert response.header_list == [("Set-Thing", "a"), ("set-thing", "b"), ("X", "1")]
    request = Request("http://a/", method="POST", headers={"A": "b"}, body="x")
    assert (request.body, request.header("a"), request.text()) == (b"x", "b", "x")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"status": "200"}, TypeError),
        ({"status": True}, TypeError),
        ({"status": 99}, ValueError),
        ({"status": 600}, ValueError),
        ({"status_text": 3}, TypeError),
        ({"headers": "x"}, TypeError),
        ({"headers": [("a",)]}, TypeError),
        ({"headers": {"a": 1}}, TypeError),
        ({"body": 3}, TypeError),
    ],
)
def test_bad_response_arguments(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        Response(**kwargs)  # type: ignore[arg-type]


def test_json_and_text() -> None:
    assert Response('{"a": [1]}').json() == {"a": [1]}
    assert Response(b"\xff").text() == "\ufffd"
