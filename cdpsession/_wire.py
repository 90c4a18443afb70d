"""CDP message codec: request encoding and incoming frame decoding. No I/O."""

from __future__ import annotations

import json
from typing import Any

import attrs

from ._errors import ProtocolError

# Chromium stops reading its pipe when one request exceeds ~100 MiB
# (research/deps.md, maxsize.py). Refuse such requests instead of hanging.
MAX_REQUEST_BYTES = 100 * 1024 * 1024

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_decoder = json.JSONDecoder()


def encode_request(
    msg_id: int, method: str, params: dict[str, Any] | None, session_id: str | None
) -> bytes:
    """Encode one command as UTF-8 JSON bytes (without a frame delimiter).

    Raises:
        ValueError: params are not JSON-serialisable, or the request exceeds the size
            Chromium will read.
    """
    msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
    if session_id is not None:
        msg["sessionId"] = session_id
    try:
        data = _encoder.encode(msg).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValueError(f"{method}: params are not JSON-serialisable: {exc}") from exc
    if len(data) > MAX_REQUEST_BYTES:
        raise ValueError(
            f"{method}: request of {len(data)} bytes exceeds the {MAX_REQUEST_BYTES}-byte "
            "limit Chromium reads"
        )
    return data


@attrs.frozen
class Response:
    """A reply to a command: exactly one of ``result`` and ``error`` is set."""

    id: int
    result: dict[str, Any] | None
    error: dict[str, Any] | None

    def unwrap(self, method: str) -> dict[str, Any]:
        """Return the result, or raise the error as :class:`ProtocolError`."""
        if self.error is not None:
            err = self.error
            code = err.get("code")
            message = err.get("message")
            data = err.get("data")
            raise ProtocolError(
                method,
                code if isinstance(code, int) else 0,
                message if isinstance(message, str) else repr(err),
                data if isinstance(data, str) else None,
            )
        return self.result if self.result is not None else {}


@attrs.frozen
class Event:
    """An event: its method, params, and the flat session it came from (None: the browser)."""

    method: str
    params: dict[str, Any]
    session_id: str | None


class MalformedFrameError(ValueError):
    """A frame that is not a CDP message (bad JSON, wrong shape)."""


def decode_frame(data: bytes | str) -> Response | Event:
    """Decode one frame Chromium sent.

    Raises:
        MalformedFrameError: the frame is not valid JSON or not a CDP message.
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        msg = _decoder.decode(text)
    # Nesting deeper than Python's recursion limit raises RecursionError, not ValueError.
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedFrameError(f"undecodable frame: {exc}") from None
    if not isinstance(msg, dict):
        raise MalformedFrameError(f"frame is not an object: {type(msg).__name__}")
    session_id = msg.get("sessionId")
    if session_id is not None and not isinstance(session_id, str):
        raise MalformedFrameError("sessionId is not a string")
    if "id" in msg:
        msg_id = msg["id"]
        if not isinstance(msg_id, int) or isinstance(msg_id, bool):
            raise MalformedFrameError(f"id is not an integer: {msg_id!r}")
        error = msg.get("error")
        result = msg.get("result")
        if error is not None:
            if not isinstance(error, dict):
                raise MalformedFrameError("error is not an object")
            return Response(msg_id, None, error)
        if result is not None and not isinstance(result, dict):
            raise MalformedFrameError("result is not an object")
        return Response(msg_id, result if result is not None else {}, None)
    method = msg.get("method")
    if not isinstance(method, str):
        raise MalformedFrameError("frame has neither id nor method")
    params = msg.get("params", {})
    if not isinstance(params, dict):
        raise MalformedFrameError("params is not an object")
    return Event(method, params, session_id)
