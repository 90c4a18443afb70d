"""The CDP codec: request encoding and frame decoding, every malformed shape included."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cdpsession import ProtocolError, _wire
from cdpsession._wire import (
    Event,
    MalformedFrameError,
    Response,
    decode_frame,
    encode_request,
)

# -- encode_request ---------------------------------------------------------------------------


def test_encode_request_without_session_is_compact_json() -> None:
    data = encode_request(7, "Page.navigate", {"url": "about:blank"}, None)
    assert data == b'{"id":7,"method":"Page.navigate","params":{"url":"about:blank"}}'


def test_encode_request_with_session_id() -> None:
    data = encode_request(8, "Runtime.enable", None, "S1")
    assert data == b'{"id":8,"method":"Runtime.enable","params":{},"sessionId":"S1"}'


def test_encode_request_params_none_and_empty_are_the_same() -> None:
    assert encode_request(1, "A.b", None, None) == encode_request(1, "A.b", {}, None)
    assert json.loads(encode_request(1, "A.b", None, None)) == {
        "id": 1,
        "method": "A.b",
        "params": {},
    }


def test_encode_request_empty_session_id_is_kept() -> None:
    # Only None means "the browser"; an empty string is a (strange) session id, sent as is.
    assert json.loads(encode_request(1, "A.b", None, ""))["sessionId"] == ""


def test_encode_request_keeps_non_ascii_as_utf8() -> None:
    data = encode_request(2, "Runtime.evaluate", {"expression": "'é€😀'"}, None)
    assert "'é€😀'".encode() in data
    assert b"\\u" not in data
    assert json.loads(data)["params"]["expression"] == "'é€😀'"


@pytest.mark.parametrize(
    "params",
    [
        {"x": object()},
        {"x": {1, 2}},
        {"x": b"bytes"},
        {"x": float("nan")},
        {"x": float("inf")},
        {(1, 2): "tuple key"},
    ],
    ids=["object", "set", "bytes", "nan", "inf", "tuple-key"],
)
def test_encode_request_non_serialisable_params(params: dict[Any, Any]) -> None:
    with pytest.raises(
        ValueError, match=r"^Network\.setCookie: params are not JSON-serialisable: "
    ):
        encode_request(1, "Network.setCookie", params, None)


def test_encode_request_circular_params() -> None:
    params: dict[str, Any] = {}
    params["self"] = params
    with pytest.raises(ValueError, match=r"^A\.b: params are not JSON-serialisable: "):
        encode_request(1, "A.b", params, None)


def test_encode_request_too_deeply_nested_params() -> None:
    params: dict[str, Any] = {}
    inner = params
    for _ in range(100_000):
        inner["x"] = {}
        inner = inner["x"]
    with pytest.raises(ValueError, match=r"^A\.b: params are not JSON-serialisable: "):
        encode_request(1, "A.b", params, None)


def test_encode_request_oversize(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_wire, "MAX_REQUEST_BYTES", 100)
    exact = encode_request(1, "Page.addScriptToEvaluateOnNewDocument", {"source": ""}, None)
    filler = "x" * (100 - len(exact))
    at_limit = encode_request(1, "Page.addScriptToEvaluateOnNewDocument", {"source": filler}, None)
    assert len(at_limit) == 100
    with pytest.raises(ValueError, match=r"^Page\.addScriptToEvaluateOnNewDocument: ") as info:
        encode_request(1, "Page.addScriptToEvaluateOnNewDocument", {"source": filler + "x"}, None)
    assert str(info.value) == (
        "Page.addScriptToEvaluateOnNewDocument: request of 101 bytes exceeds the 100-byte "
        "limit Chromium reads"
    )


def test_encode_request_counts_bytes_not_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_wire, "MAX_REQUEST_BYTES", 60)
    base = len(encode_request(1, "A.b", {"s": ""}, None))
    # 'é' is 2 bytes in UTF-8: as many characters as fit in ASCII overflow in bytes.
    fits = "x" * (60 - base)
    assert len(encode_request(1, "A.b", {"s": fits}, None)) == 60
    with pytest.raises(ValueError, match=r"request of 61 bytes"):
        encode_request(1, "A.b", {"s": fits[:-1] + "é"}, None)


# -- decode_frame: responses ------------------------------------------------------------------


def test_decode_response_with_result() -> None:
    assert decode_frame(b'{"id":3,"result":{"a":1}}') == Response(3, {"a": 1}, None)


def test_decode_response_from_str() -> None:
    assert decode_frame('{"id":3,"result":{"s":"é"}}') == Response(3, {"s": "é"}, None)


def test_decode_response_with_session_id() -> None:
    assert decode_frame(b'{"id":3,"result":{},"sessionId":"S1"}') == Response(3, {}, None)


def test_decode_response_missing_result_is_empty() -> None:
    assert decode_frame(b'{"id":4}') == Response(4, {}, None)


def test_decode_response_null_result_is_empty() -> None:
    assert decode_frame(b'{"id":4,"result":null}') == Response(4, {}, None)


def test_decode_response_with_error() -> None:
    frame = b'{"id":5,"error":{"code":-32000,"message":"No target","data":"T1"}}'
    assert decode_frame(frame) == Response(
        5, None, {"code": -32000, "message": "No target", "data": "T1"}
    )


def test_decode_response_error_wins_over_result() -> None:
    frame = b'{"id":5,"result":{"a":1},"error":{"code":1,"message":"m"}}'
    assert decode_frame(frame) == Response(5, None, {"code": 1, "message": "m"})


def test_decode_response_negative_and_big_ids() -> None:
    assert decode_frame(b'{"id":-1,"result":{}}') == Response(-1, {}, None)
    assert decode_frame(b'{"id":18446744073709551617}') == Response(18446744073709551617, {}, None)


# -- decode_frame: events ---------------------------------------------------------------------


def test_decode_event_without_session() -> None:
    frame = b'{"method":"Target.targetCreated","params":{"targetInfo":{"targetId":"T"}}}'
    assert decode_frame(frame) == Event(
        "Target.targetCreated", {"targetInfo": {"targetId": "T"}}, None
    )


def test_decode_event_with_session() -> None:
    frame = b'{"method":"Page.loadEventFired","params":{"timestamp":1.5},"sessionId":"S9"}'
    assert decode_frame(frame) == Event("Page.loadEventFired", {"timestamp": 1.5}, "S9")


def test_decode_event_missing_params_is_empty() -> None:
    assert decode_frame(b'{"method":"Page.domContentEventFired"}') == Event(
        "Page.domContentEventFired", {}, None
    )


def test_decode_event_null_session_id_is_the_browser() -> None:
    assert decode_frame(b'{"method":"A.b","params":{},"sessionId":null}') == Event("A.b", {}, None)


# -- decode_frame: malformed ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (b"{bad", r"^undecodable frame: "),
        (b"", r"^undecodable frame: "),
        (b'{"id":1} trailing', r"^undecodable frame: "),
        (b"\xff", r"^undecodable frame: "),
        (b'{"method":"A.b","params":{"s":"\xc3"}}', r"^undecodable frame: "),
        (b"[" * 100_000, r"^undecodable frame: "),
        (b'{"id":1,"result":' + b"[" * 100_000 + b"}", r"^undecodable frame: "),
        (b"[1]", r"^frame is not an object: list$"),
        (b'"text"', r"^frame is not an object: str$"),
        (b"1", r"^frame is not an object: int$"),
        (b"null", r"^frame is not an object: NoneType$"),
        (b'{"id":"1","result":{}}', r"^id is not an integer: '1'$"),
        (b'{"id":1.0,"result":{}}', r"^id is not an integer: 1\.0$"),
        (b'{"id":true,"result":{}}', r"^id is not an integer: True$"),
        (b'{"id":null,"result":{}}', r"^id is not an integer: None$"),
        (b'{"id":1,"error":"boom"}', r"^error is not an object$"),
        (b'{"id":1,"error":[1]}', r"^error is not an object$"),
        (b'{"id":1,"result":[1]}', r"^result is not an object$"),
        (b'{"id":1,"result":"ok"}', r"^result is not an object$"),
        (b'{"method":"A.b","params":[1]}', r"^params is not an object$"),
        (b'{"method":"A.b","params":null}', r"^params is not an object$"),
        (b'{"method":"A.b","params":"x"}', r"^params is not an object$"),
        (b"{}", r"^frame has neither id nor method$"),
        (b'{"params":{}}', r"^frame has neither id nor method$"),
        (b'{"method":1,"params":{}}', r"^frame has neither id nor method$"),
        (b'{"method":null}', r"^frame has neither id nor method$"),
        (b'{"method":"A.b","params":{},"sessionId":1}', r"^sessionId is not a string$"),
        (b'{"id":1,"result":{},"sessionId":["S"]}', r"^sessionId is not a string$"),
    ],
)
def test_decode_malformed(frame: bytes, message: str) -> None:
    with pytest.raises(MalformedFrameError, match=message):
        decode_frame(frame)


def test_malformed_frame_error_is_a_value_error() -> None:
    assert issubclass(MalformedFrameError, ValueError)


# -- Response.unwrap --------------------------------------------------------------------------


def test_unwrap_result() -> None:
    assert Response(1, {"a": 1}, None).unwrap("A.b") == {"a": 1}


def test_unwrap_none_result_is_empty() -> None:
    assert Response(1, None, None).unwrap("A.b") == {}


def test_unwrap_error_with_all_fields() -> None:
    response = Response(1, None, {"code": -32000, "message": "No node", "data": "detail"})
    with pytest.raises(ProtocolError) as info:
        response.unwrap("DOM.describeNode")
    err = info.value
    assert (err.method, err.code, err.message, err.data) == (
        "DOM.describeNode",
        -32000,
        "No node",
        "detail",
    )
    assert str(err) == "DOM.describeNode: No node [code -32000] (detail)"


def test_unwrap_error_without_data() -> None:
    with pytest.raises(ProtocolError) as info:
        Response(1, None, {"code": -32601, "message": "'X.y' wasn't found"}).unwrap("X.y")
    err = info.value
    assert (err.method, err.code, err.message, err.data) == (
        "X.y",
        -32601,
        "'X.y' wasn't found",
        None,
    )
    assert str(err) == "X.y: 'X.y' wasn't found [code -32601]"


def test_unwrap_error_of_odd_shape() -> None:
    error: dict[str, Any] = {"code": "nope", "message": 5, "data": {"x": 1}}
    with pytest.raises(ProtocolError) as info:
        Response(1, None, error).unwrap("A.b")
    err = info.value
    assert (err.method, err.code, err.message, err.data) == ("A.b", 0, repr(error), None)


def test_decoded_error_unwraps_to_protocol_error() -> None:
    response = decode_frame(b'{"id":9,"error":{"code":-32602,"message":"Invalid params"}}')
    assert isinstance(response, Response)
    with pytest.raises(ProtocolError, match=r"^Page\.navigate: Invalid params \[code -32602\]$"):
        response.unwrap("Page.navigate")
