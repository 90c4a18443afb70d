"""The contract of ``FakeChromium``, the scripted CDP peer the unit tests stand on."""

from __future__ import annotations

import json
from typing import Any

import pytest
import trio
import trio.testing

from cdpsession import BrowserClosedError
from cdpsession._connection import open_connection
from cdpsession.testing import FakeChromium, ReceivedCommand


def frame(msg_id: int, method: str, params: dict[str, Any] | None = None, sid: str = "") -> bytes:
    msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
    if sid:
        msg["sessionId"] = sid
    return json.dumps(msg).encode()


async def next_message(fake: FakeChromium) -> dict[str, Any]:
    data = await fake.receive()
    assert data is not None
    msg: dict[str, Any] = json.loads(data)
    return msg


async def test_reply_with_a_dict() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.reply("Browser.getVersion", {"product": "Fake/1"})
        await fake.send(frame(1, "Browser.getVersion"))
        assert await next_message(fake) == {"id": 1, "result": {"product": "Fake/1"}}


async def test_reply_dict_is_copied() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        result = {"a": 1}
        fake.reply("A.b", result)
        result["a"] = 2
        await fake.send(frame(1, "A.b"))
        assert await next_message(fake) == {"id": 1, "result": {"a": 1}}


async def test_reply_with_a_handler_gets_params_and_session() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        seen: list[tuple[dict[str, Any], str | None]] = []

        def handler(params: dict[str, Any], session_id: str | None) -> dict[str, Any]:
            seen.append((params, session_id))
            return {"echo": params.get("x"), "sid": session_id}

        fake.reply("Echo.it", handler)
        await fake.send(frame(1, "Echo.it", {"x": 1}))
        await fake.send(frame(2, "Echo.it", {"x": 2}, sid="S1"))
        assert await next_message(fake) == {"id": 1, "result": {"echo": 1, "sid": None}}
        assert await next_message(fake) == {
            "id": 2,
            "result": {"echo": 2, "sid": "S1"},
            "sessionId": "S1",
        }
        assert seen == [({"x": 1}, None), ({"x": 2}, "S1")]


async def test_handler_returning_none_answers_empty_result() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.reply("A.b", lambda _params, _sid: None)
        await fake.send(frame(1, "A.b"))
        assert await next_message(fake) == {"id": 1, "result": {}}


async def test_later_reply_replaces_earlier() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.reply("A.b", {"v": 1})
        fake.reply("A.b", {"v": 2})
        await fake.send(frame(1, "A.b"))
        assert await next_message(fake) == {"id": 1, "result": {"v": 2}}


async def test_fail_answers_a_cdp_error() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.fail("Page.navigate", -32000, "Cannot navigate to invalid URL")
        await fake.send(frame(4, "Page.navigate", {"url": "nope"}))
        await fake.send(frame(5, "Page.navigate", {"url": "nope"}, sid="S2"))
        assert await next_message(fake) == {
            "id": 4,
            "error": {"code": -32000, "message": "Cannot navigate to invalid URL"},
        }
        assert await next_message(fake) == {
            "id": 5,
            "error": {"code": -32000, "message": "Cannot navigate to invalid URL"},
            "sessionId": "S2",
        }


async def test_unknown_method_is_method_not_found() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        await fake.send(frame(1, "No.such"))
        await fake.send(frame(2, "No.such", sid="S3"))
        assert await next_message(fake) == {
            "id": 1,
            "error": {"code": -32601, "message": "'No.such' wasn't found"},
        }
        assert await next_message(fake) == {
            "id": 2,
            "error": {"code": -32601, "message": "'No.such' wasn't found"},
            "sessionId": "S3",
        }


async def test_commands_are_recorded_in_order() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        await fake.send(frame(1, "A.one", {"p": 1}))
        await fake.send(frame(2, "A.two", sid="S1"))
        await fake.send(b'{"id":3,"method":"A.three"}')
        assert fake.commands == [
            ReceivedCommand(1, "A.one", {"p": 1}, None),
            ReceivedCommand(2, "A.two", {}, "S1"),
            ReceivedCommand(3, "A.three", {}, None),
        ]


async def test_hold_and_answer() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.reply("Network.enable", {"ignored": True})
        fake.hold("Network.enable")
        await fake.send(frame(1, "Network.enable", sid="S1"))
        await fake.send(frame(2, "Network.enable"))
        first, second = fake.held("Network.enable")
        assert first == ReceivedCommand(1, "Network.enable", {}, "S1")
        assert second == ReceivedCommand(2, "Network.enable", {}, None)
        assert fake.held("Other.method") == []
        fake.answer(second, {"ok": 2})
        fake.answer(first)
        assert fake.held("Network.enable") == []
        assert await next_message(fake) == {"id": 2, "result": {"ok": 2}}
        assert await next_message(fake) == {"id": 1, "result": {}, "sessionId": "S1"}


async def test_held_is_a_copy() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.hold("A.b")
        await fake.send(frame(1, "A.b"))
        fake.held("A.b").clear()
        assert len(fake.held("A.b")) == 1


async def test_nothing_is_sent_for_a_held_command() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.hold("A.b")
        await fake.send(frame(1, "A.b"))
        fake.emit("Marker.event")
        assert await next_message(fake) == {"method": "Marker.event", "params": {}}


async def test_wait_command_returns_an_earlier_command_at_once() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        await fake.send(frame(1, "A.b", {"n": 1}))
        await fake.send(frame(2, "A.b", {"n": 2}))
        assert await fake.wait_command("A.b") == ReceivedCommand(1, "A.b", {"n": 1}, None)
        assert await fake.wait_command("A.b", 2) == ReceivedCommand(2, "A.b", {"n": 2}, None)


async def test_wait_command_waits_for_a_later_command() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        got: list[ReceivedCommand] = []

        async def waiter() -> None:
            got.append(await fake.wait_command("A.b", 2))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(waiter)
            await trio.testing.wait_all_tasks_blocked()
            await fake.send(frame(1, "A.b"))
            await fake.send(frame(2, "Other.c"))
            await trio.testing.wait_all_tasks_blocked()
            assert got == []
            await fake.send(frame(3, "A.b", {"n": 3}))
        assert got == [ReceivedCommand(3, "A.b", {"n": 3}, None)]


async def test_concurrent_wait_commands_all_wake() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        got: dict[str, ReceivedCommand] = {}

        async def waiter(method: str) -> None:
            got[method] = await fake.wait_command(method)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(waiter, "A.first")
            nursery.start_soon(waiter, "A.second")
            await trio.testing.wait_all_tasks_blocked()
            await fake.send(frame(1, "A.first"))
            await fake.send(frame(2, "A.second"))
        assert got == {
            "A.first": ReceivedCommand(1, "A.first", {}, None),
            "A.second": ReceivedCommand(2, "A.second", {}, None),
        }


async def test_emit_events() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.emit("Page.loadEventFired", {"timestamp": 1.0}, session_id="S1")
        fake.emit("Target.targetCreated")
        assert await next_message(fake) == {
            "method": "Page.loadEventFired",
            "params": {"timestamp": 1.0},
            "sessionId": "S1",
        }
        assert await next_message(fake) == {"method": "Target.targetCreated", "params": {}}


async def test_send_raw_is_verbatim() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.send_raw(b"{bad")
        fake.send_raw(b"\xff")
        assert await fake.receive() == b"{bad"
        assert await fake.receive() == b"\xff"


async def test_disconnect_delivers_queued_frames_then_end_of_stream() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.emit("A.before")
        fake.disconnect()
        fake.disconnect()
        assert fake.closed
        assert await next_message(fake) == {"method": "A.before", "params": {}}
        assert await fake.receive() is None
        assert await fake.receive() is None


async def test_send_after_disconnect_raises() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.disconnect()
        with pytest.raises(BrowserClosedError, match=r"^the fake browser is gone$"):
            await fake.send(frame(1, "A.b"))
        assert fake.commands == []


async def test_aclose_ends_the_stream() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        await fake.aclose()
        assert fake.closed
        assert await fake.receive() is None
        with pytest.raises(BrowserClosedError):
            await fake.send(frame(1, "A.b"))


async def test_fake_through_a_connection() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.reply("Browser.getVersion", {"product": "Fake/1"})
        async with open_connection(fake) as conn:
            assert await conn.call("Browser.getVersion") == {"product": "Fake/1"}
            assert await conn.call("Browser.getVersion", session_id="S1") == {"product": "Fake/1"}
        assert fake.commands == [
            ReceivedCommand(1, "Browser.getVersion", {}, None),
            ReceivedCommand(2, "Browser.getVersion", {}, "S1"),
        ]
        assert fake.closed
