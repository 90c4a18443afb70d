"""One CDP connection over the scripted fake: calls, routing, death, detach, pipelining."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import trio
import trio.testing

from cdpsession import (
    BrowserClosedError,
    CDPSessionError,
    EventOverflowError,
    ProtocolError,
    TargetClosedError,
)
from cdpsession._cdp.generated import browser, target
from cdpsession._connection import ANY_SESSION, Connection, open_connection
from cdpsession._wire import Event
from cdpsession.testing import FakeChromium, ReceivedCommand

CLOSED = "the connection to the browser is closed"


def leaf(exc: BaseException) -> BaseException:
    """The one exception ``exc`` stands for, unwrapping single-exception groups.

    ``open_connection`` is private and runs a nursery; the public edge (``open_app``) unwraps
    the group, so these tests pin the exception itself, not its wrapping.
    """
    while isinstance(exc, BaseExceptionGroup):
        assert len(exc.exceptions) == 1, exc.exceptions
        exc = exc.exceptions[0]
    return exc


async def sync(conn: Connection, fake: FakeChromium) -> None:
    """Return once the reader has handled every frame the fake sent before this call."""
    fake.reply("Test.sync", {})
    await conn.call("Test.sync")


# -- commands ---------------------------------------------------------------------------------


async def test_call_by_name() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.reply("Page.navigate", lambda params, _sid: {"frameId": "F", "url": params["url"]})
        async with open_connection(fake) as conn:
            result = await conn.call("Page.navigate", {"url": "http://a.test/"}, "S1")
            assert result == {"frameId": "F", "url": "http://a.test/"}
            assert await conn.call("Page.navigate", {"url": "x"}) == {"frameId": "F", "url": "x"}
        assert fake.commands == [
            ReceivedCommand(1, "Page.navigate", {"url": "http://a.test/"}, "S1"),
            ReceivedCommand(2, "Page.navigate", {"url": "x"}, None),
        ]


async def test_call_without_params_sends_empty_params() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.reply("Network.enable", {})
        async with open_connection(fake) as conn:
            assert await conn.call("Network.enable") == {}
        assert fake.commands == [ReceivedCommand(1, "Network.enable", {}, None)]


async def test_send_typed_command() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        version = {
            "protocolVersion": "1.3",
            "product": "Fake/1",
            "revision": "r",
            "userAgent": "UA",
            "jsVersion": "1",
        }
        fake.reply("Browser.getVersion", version)
        fake.reply("Target.attachToTarget", {"sessionId": "S7"})
        async with open_connection(fake) as conn:
            got = await conn.send(browser.get_version())
            assert got == version
            assert got["product"] == "Fake/1"
            attached = await conn.send(target.attach_to_target(target_id="T1", flatten=True))
            assert attached == {"sessionId": "S7"}
            await conn.send(browser.get_version(), session_id="S7")
        assert fake.commands == [
            ReceivedCommand(1, "Browser.getVersion", {}, None),
            ReceivedCommand(2, "Target.attachToTarget", {"targetId": "T1", "flatten": True}, None),
            ReceivedCommand(3, "Browser.getVersion", {}, "S7"),
        ]


async def test_protocol_error_fields() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.fail("Page.navigate", -32000, "Cannot navigate to invalid URL")
        async with open_connection(fake) as conn:
            with pytest.raises(ProtocolError) as info:
                await conn.call("Page.navigate", {"url": "nope"})
            err = info.value
            assert (err.method, err.code, err.message, err.data) == (
                "Page.navigate",
                -32000,
                "Cannot navigate to invalid URL",
                None,
            )
            assert str(err) == "Page.navigate: Cannot navigate to invalid URL [code -32000]"
            assert isinstance(err, CDPSessionError)

            with pytest.raises(ProtocolError) as info:
                await conn.send(browser.get_version())
            assert (info.value.method, info.value.code, info.value.message) == (
                "Browser.getVersion",
                -32601,
                "'Browser.getVersion' wasn't found",
            )
            assert conn._pending == {}


async def test_error_data_is_carried() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        async with open_connection(fake) as conn:
            fake.hold("DOM.resolveNode")
            async with trio.open_nursery() as nursery:
                errors: list[ProtocolError] = []

                async def call() -> None:
                    with pytest.raises(ProtocolError) as info:
                        await conn.call("DOM.resolveNode")
                    errors.append(info.value)

                nursery.start_soon(call)
                cmd = await fake.wait_command("DOM.resolveNode")
                fake.send_raw(
                    b'{"id":%d,"error":{"code":-32000,"message":"No node","data":"id 4"}}' % cmd.id
                )
            assert [(e.code, e.message, e.data) for e in errors] == [(-32000, "No node", "id 4")]


async def test_concurrent_calls_are_matched_by_id() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.hold("A.slow")
        fake.reply("A.fast", {"who": "fast"})
        async with open_connection(fake) as conn:
            results: dict[str, dict[str, Any]] = {}

            async def call(method: str) -> None:
                results[method] = await conn.call(method)

            async with trio.open_nursery() as nursery:
                nursery.start_soon(call, "A.slow")
                slow = await fake.wait_command("A.slow")
                nursery.start_soon(call, "A.fast")
                await fake.wait_command("A.fast")
                await trio.testing.wait_all_tasks_blocked()
                assert results == {"A.fast": {"who": "fast"}}
                fake.answer(slow, {"who": "slow"})
            assert results == {"A.fast": {"who": "fast"}, "A.slow": {"who": "slow"}}


# -- events -----------------------------------------------------------------------------------


async def test_events_are_routed_by_session() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        async with open_connection(fake) as conn:
            with (
                conn.subscribe("Page.loadEventFired", session_id="S1") as s1,
                conn.subscribe("Page.loadEventFired", session_id=None) as browser_only,
                conn.subscribe("Page.loadEventFired") as anywhere,
                conn.subscribe(session_id=ANY_SESSION) as everything,
            ):
                fake.emit("Page.loadEventFired", {"n": 1}, session_id="S2")
                fake.emit("Page.loadEventFired", {"n": 2})
                fake.emit("Page.loadEventFired", {"n": 3}, session_id="S1")
                fake.emit("Page.frameNavigated", {"n": 4}, session_id="S1")
                fake.emit("Page.loadEventFired", {"n": 5}, session_id="S1")
                await sync(conn, fake)
                fake.disconnect()
                assert [e async for e in s1] == [
                    Event("Page.loadEventFired", {"n": 3}, "S1"),
                    Event("Page.loadEventFired", {"n": 5}, "S1"),
                ]
                assert [e async for e in browser_only] == [
                    Event("Page.loadEventFired", {"n": 2}, None),
                ]
                assert [e.params["n"] async for e in anywhere] == [1, 2, 3, 5]
                assert [(e.method, e.params["n"]) async for e in everything] == [
                    ("Page.loadEventFired", 1),
                    ("Page.loadEventFired", 2),
                    ("Page.loadEventFired", 3),
                    ("Page.frameNavigated", 4),
                    ("Page.loadEventFired", 5),
                ]


async def test_subscribe_to_several_methods() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        async with open_connection(fake) as conn:
            with conn.subscribe("A.one", "A.two") as stream:
                fake.emit("A.one", {"n": 1})
                fake.emit("A.three", {"n": 2})
                fake.emit("A.two", {"n": 3})
                assert (await stream.receive()).params == {"n": 1}
                assert (await stream.receive()).params == {"n": 3}


async def test_unknown_event_names_reach_subscribers_raw() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        async with open_connection(fake) as conn:
            with conn.subscribe("Nobody.heardOfThis") as stream:
                fake.emit("Nobody.heardOfThis", {"weird": [1, {"x": None}]}, session_id="S1")
                event = await stream.receive()
                assert type(event) is Event
                assert event == Event("Nobody.heardOfThis", {"weird": [1, {"x": None}]}, "S1")


async def test_subscription_ends_when_its_block_ends() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        async with open_connection(fake) as conn:
            with conn.subscribe("A.b") as stream:
                pass
            assert conn._by_method == {}
            assert conn._streams == []
            fake.emit("A.b")
            await sync(conn, fake)
            with pytest.raises(StopAsyncIteration):
                await stream.__anext__()


async def test_listen_callbacks_and_remove() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        async with open_connection(fake) as conn:
            by_method: list[Event] = []
            wildcard: list[Event] = []
            on_s1: list[Event] = []
            handle = conn.listen(by_method.append, "A.one", "A.two")
            every = conn.listen(wildcard.append)
            conn.listen(on_s1.append, session_id="S1")
            fake.emit("A.one", {"n": 1})
            fake.emit("A.three", {"n": 2}, session_id="S1")
            fake.emit("A.two", {"n": 3})
            await sync(conn, fake)
            assert [e.params["n"] for e in by_method] == [1, 3]
            assert [e.params["n"] for e in wildcard] == [1, 2, 3]
            assert on_s1 == [Event("A.three", {"n": 2}, "S1")]

            handle.remove()
            handle.remove()
            every.remove()
            assert "A.one" not in conn._by_method
            assert "A.two" not in conn._by_method
            fake.emit("A.one", {"n": 4})
            fake.emit("A.one", {"n": 5}, session_id="S1")
            await sync(conn, fake)
            assert [e.params["n"] for e in by_method] == [1, 3]
            assert [e.params["n"] for e in wildcard] == [1, 2, 3]
            assert [e.params["n"] for e in on_s1] == [2, 5]


async def test_listener_may_remove_itself_while_dispatching() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        async with open_connection(fake) as conn:
            seen: list[str] = []

            def first(event: Event) -> None:
                seen.append("first")
                handle.remove()

            handle = conn.listen(first, "A.b")
            conn.listen(lambda _e: seen.append("second"), "A.b")
            fake.emit("A.b")
            fake.emit("A.b")
            await sync(conn, fake)
            assert seen == ["first", "second", "second"]


async def test_listener_exception_ends_the_connection_block() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        boom = RuntimeError("listener bug")

        def bad(event: Event) -> None:
            raise boom

        conns: list[Connection] = []

        async def run() -> None:
            async with open_connection(fake) as conn:
                conns.append(conn)
                conn.listen(bad, "A.b")
                fake.emit("A.b")
                await trio.sleep_forever()

        with pytest.raises(BaseException) as info:  # noqa: PT011
            await run()
        assert leaf(info.value) is boom
        assert conns[0].closed.is_set()
        assert fake.closed


async def test_wait_for_event_with_predicate() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        async with open_connection(fake) as conn:
            got: list[Event] = []

            async def wait() -> None:
                got.append(
                    await conn.wait_for_event(
                        "Page.lifecycleEvent",
                        session_id="S1",
                        predicate=lambda e: e.params["name"] == "load",
                    )
                )

            async with trio.open_nursery() as nursery:
                nursery.start_soon(wait)
                await trio.testing.wait_all_tasks_blocked()
                fake.emit("Page.lifecycleEvent", {"name": "load"}, session_id="S2")
                fake.emit("Page.lifecycleEvent", {"name": "init"}, session_id="S1")
                fake.emit("Page.lifecycleEvent", {"name": "load"}, session_id="S1")
                fake.emit("Page.lifecycleEvent", {"name": "load", "late": 1}, session_id="S1")
            assert got == [Event("Page.lifecycleEvent", {"name": "load"}, "S1")]
            assert conn._by_method == {}
            assert conn._streams == []


async def test_wait_for_event_raises_when_the_browser_goes_away() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        async with open_connection(fake) as conn, trio.open_nursery() as nursery:

            async def wait() -> None:
                with pytest.raises(BrowserClosedError, match=rf"^{CLOSED}$"):
                    await conn.wait_for_event("Page.loadEventFired")

            nursery.start_soon(wait)
            await trio.testing.wait_all_tasks_blocked()
            fake.disconnect()


async def test_subscription_overflow() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        async with open_connection(fake) as conn:
            with conn.subscribe("Network.dataReceived", max_buffer=3) as stream:
                for n in range(5):
                    fake.emit("Network.dataReceived", {"n": n})
                await sync(conn, fake)
                assert [(await stream.receive()).params["n"] for _ in range(3)] == [0, 1, 2]
                with pytest.raises(EventOverflowError) as info:
                    await stream.receive()
                assert str(info.value) == (
                    "more than 3 unread events on a subscription to Network.dataReceived"
                )
                with pytest.raises(StopAsyncIteration):
                    await stream.__anext__()
            # The connection itself is unharmed.
            assert await conn.call("Test.sync") == {}


async def test_subscription_within_its_buffer_does_not_overflow() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        async with open_connection(fake) as conn:
            with conn.subscribe(max_buffer=3) as stream:
                for n in range(3):
                    fake.emit("A.b", {"n": n})
                await sync(conn, fake)
                assert [(await stream.receive()).params["n"] for _ in range(3)] == [0, 1, 2]
                for n in range(3, 6):
                    fake.emit("A.b", {"n": n})
                await sync(conn, fake)
                fake.disconnect()
                assert [e.params["n"] async for e in stream] == [3, 4, 5]


async def test_overflow_in_async_for() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        async with open_connection(fake) as conn:
            with conn.subscribe(max_buffer=1) as stream:
                fake.emit("A.b", {"n": 0})
                fake.emit("A.b", {"n": 1})
                await sync(conn, fake)
                seen: list[int] = []

                async def drain() -> None:
                    async for event in stream:
                        seen.append(event.params["n"])

                with pytest.raises(EventOverflowError):
                    await drain()
                assert seen == [0]


# -- malformed frames -------------------------------------------------------------------------


async def test_malformed_frames_are_counted_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="cdpsession")
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.reply("Browser.getVersion", {"product": "Fake/1"})
        async with open_connection(fake) as conn:
            with conn.subscribe() as stream:
                fake.send_raw(b"{bad")
                fake.send_raw(b"[1]")
                fake.send_raw(b"\xff")
                fake.send_raw(b'{"id":true,"result":{}}')
                fake.send_raw(b"[" * 100_000)
                fake.emit("A.after", {"ok": True})
                assert await conn.call("Browser.getVersion") == {"product": "Fake/1"}
                assert await stream.receive() == Event("A.after", {"ok": True}, None)
            assert conn.malformed_frames == 5
            assert not conn.closed.is_set()
    records = [r for r in caplog.records if r.name == "cdpsession"]
    assert [r.levelno for r in records] == [logging.WARNING] * 5
    messages = [r.getMessage() for r in records]
    assert messages[0].startswith("ignoring a malformed CDP frame (undecodable frame: ")
    assert messages[0].endswith("): b'{bad'")
    assert messages[1] == "ignoring a malformed CDP frame (frame is not an object: list): b'[1]'"
    assert messages[2].endswith(r"): b'\xff'")
    assert messages[3] == (
        'ignoring a malformed CDP frame (id is not an integer: True): b\'{"id":true,"result":{}}\''
    )
    # A huge frame is cut in the log.
    assert len(messages[4]) < 400


async def test_reply_for_unknown_id_is_ignored() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        async with open_connection(fake) as conn:
            fake.send_raw(b'{"id":999,"result":{"stray":true}}')
            fake.send_raw(b'{"id":0,"error":{"code":1,"message":"stray"}}')
            await sync(conn, fake)
            assert conn.malformed_frames == 0
            assert conn._pending == {}


# -- the browser goes away --------------------------------------------------------------------


async def test_disconnect_fails_every_pending_call_and_ends_every_stream() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.hold("Page.navigate")
        fake.hold("Runtime.evaluate")
        async with open_connection(fake) as conn:
            errors: list[str] = []
            ended: list[str] = []

            async def call(method: str, session_id: str | None) -> None:
                with pytest.raises(BrowserClosedError) as info:
                    await conn.call(method, session_id=session_id)
                assert type(info.value) is BrowserClosedError
                errors.append(str(info.value))

            async def consume(
                name: str, session_id: Any, *, task_status: trio.TaskStatus[None]
            ) -> None:
                with conn.subscribe(session_id=session_id) as stream:
                    task_status.started()
                    async for _ in stream:
                        pass
                ended.append(name)

            async with trio.open_nursery() as nursery:
                await nursery.start(consume, "all", ANY_SESSION)
                await nursery.start(consume, "S1", "S1")
                await nursery.start(consume, "browser", None)
                nursery.start_soon(call, "Page.navigate", None)
                nursery.start_soon(call, "Runtime.evaluate", "S1")
                await fake.wait_command("Page.navigate")
                await fake.wait_command("Runtime.evaluate")
                assert len(conn._pending) == 2
                fake.disconnect()
            assert sorted(errors) == [
                f"Page.navigate: {CLOSED}",
                f"Runtime.evaluate: {CLOSED}",
            ]
            assert sorted(ended) == ["S1", "all", "browser"]
            assert conn._pending == {}
            assert conn.closed.is_set()
            assert conn.close_reason == CLOSED


async def test_calls_after_close_raise_at_once() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.reply("Browser.getVersion", {})
        async with open_connection(fake) as conn:
            fake.disconnect()
            await conn.closed.wait()
            sent = len(fake.commands)
            with pytest.raises(BrowserClosedError, match=rf"^{CLOSED}$"):
                await conn.call("Browser.getVersion")
            with pytest.raises(BrowserClosedError, match=rf"^{CLOSED}$"):
                await conn.send(browser.get_version())
            with pytest.raises(BrowserClosedError, match=rf"^{CLOSED}$"):
                await conn.call_many([("Browser.getVersion", None)])
            assert len(fake.commands) == sent
            assert conn._pending == {}


async def test_subscribe_after_close_ends_at_once() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        async with open_connection(fake) as conn:
            fake.disconnect()
            await conn.closed.wait()
            with conn.subscribe("A.b") as stream, pytest.raises(BrowserClosedError):
                await stream.receive()
            with pytest.raises(BrowserClosedError):
                await conn.wait_for_event("A.b")


async def test_leaving_the_block_closes_the_transport_and_fails_pending_calls() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.hold("Page.navigate")
        errors: list[BrowserClosedError] = []
        ended: list[bool] = []
        async with trio.open_nursery() as outside, open_connection(fake) as conn:

            async def call() -> None:
                with pytest.raises(BrowserClosedError) as info:
                    await conn.call("Page.navigate")
                errors.append(info.value)

            async def consume(*, task_status: trio.TaskStatus[None]) -> None:
                with conn.subscribe() as stream:
                    task_status.started()
                    async for _ in stream:
                        pass
                ended.append(True)

            outside.start_soon(call)
            await outside.start(consume)
            await fake.wait_command("Page.navigate")
            await trio.testing.wait_all_tasks_blocked()
            assert errors == []
            assert ended == []
            closed_inside = fake.closed
        assert closed_inside is False
        assert fake.closed
        assert conn.closed.is_set()
        assert conn.close_reason == "the connection was closed by cdpsession"
        assert [str(e) for e in errors] == [
            "Page.navigate: the connection was closed by cdpsession"
        ]
        assert ended == [True]
        assert conn._pending == {}
        with pytest.raises(BrowserClosedError, match=r"^the connection was closed by cdpsession$"):
            await conn.call("Page.navigate")


async def test_leaving_the_block_by_exception_closes_the_transport() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        mistake = KeyError("user error")
        with pytest.raises(BaseException) as info:  # noqa: PT011
            async with open_connection(fake) as conn:
                raise mistake
        assert leaf(info.value) is mistake
        assert fake.closed
        assert conn.closed.is_set()
        assert conn.close_reason == "the connection was closed by cdpsession"


async def test_leaving_the_block_by_cancellation_closes_the_transport() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        with trio.CancelScope() as scope:
            async with open_connection(fake) as conn:
                scope.cancel()
                await trio.sleep_forever()
        assert scope.cancelled_caught
        assert fake.closed
        assert conn.closed.is_set()


async def test_opening_in_a_cancelled_scope_returns_at_once() -> None:
    # A cancellation that lands while the reader starts (seen when a launch is cancelled
    # early on a loaded machine) once left the shielded reader waiting for frames forever.
    # The watchdog ends the fake's stream so a regression fails here instead of hanging.
    fake = FakeChromium()
    watchdog_fired = False

    async def watchdog() -> None:
        nonlocal watchdog_fired
        await trio.sleep(5)
        watchdog_fired = True
        fake.disconnect()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(watchdog)
        entered = False
        with trio.CancelScope() as scope:
            scope.cancel()
            async with open_connection(fake):
                entered = True
        nursery.cancel_scope.cancel()
    assert not watchdog_fired
    assert scope.cancelled_caught
    assert not entered
    assert fake.closed


# -- a flat session detaches ------------------------------------------------------------------


async def test_detach_fails_calls_on_that_session_only() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.hold("Runtime.evaluate")
        fake.reply("Page.enable", lambda _p, sid: {"sid": sid})
        async with open_connection(fake) as conn:
            errors: list[BaseException] = []
            results: list[dict[str, Any]] = []
            ended: list[str] = []

            async def call_s1() -> None:
                with pytest.raises(TargetClosedError) as info:
                    await conn.call("Runtime.evaluate", {"expression": "1"}, "S1")
                errors.append(info.value)

            async def call_s2() -> None:
                results.append(await conn.call("Runtime.evaluate", {"expression": "2"}, "S2"))

            async def consume(
                name: str, session_id: Any, *, task_status: trio.TaskStatus[None]
            ) -> None:
                with conn.subscribe(session_id=session_id) as stream:
                    task_status.started()
                    async for _ in stream:
                        pass
                ended.append(name)

            async with trio.open_nursery() as nursery:
                await nursery.start(consume, "S1", "S1")
                nursery.start_soon(call_s1)
                nursery.start_soon(call_s2)
                await fake.wait_command("Runtime.evaluate", 2)
                with conn.subscribe(session_id="S2") as s2_stream:
                    fake.emit("Target.detachedFromTarget", {"sessionId": "S1", "targetId": "T1"})
                    await sync(conn, fake)
                    assert ended == ["S1"]
                    assert [type(e) for e in errors] == [TargetClosedError]
                    assert str(errors[0]) == (
                        "Runtime.evaluate: the target of session S1 went away"
                    )
                    assert isinstance(errors[0], BrowserClosedError)
                    # S2 keeps working: new calls, held calls, its event stream.
                    assert await conn.call("Page.enable", session_id="S2") == {"sid": "S2"}
                    held = {c.session_id: c for c in fake.held("Runtime.evaluate")}
                    fake.answer(held["S2"], {"result": {"value": 2}})
                    # A late answer for the detached session's call is ignored.
                    fake.answer(held["S1"], {"result": {"value": 1}})
                    fake.emit("Page.loadEventFired", {}, session_id="S2")
                    assert await s2_stream.receive() == Event("Page.loadEventFired", {}, "S2")
            assert results == [{"result": {"value": 2}}]
            assert conn._pending == {}
            assert not conn.closed.is_set()


async def test_detach_event_reaches_listeners_before_streams_end() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        async with open_connection(fake) as conn:
            with (
                conn.subscribe("Target.detachedFromTarget") as detaches,
                conn.subscribe(session_id="S1") as s1,
            ):
                fake.emit("Target.detachedFromTarget", {"sessionId": "S1"})
                fake.emit("Target.detachedFromTarget", {"sessionId": 5})
                fake.emit("Target.detachedFromTarget", {})
                await sync(conn, fake)
                assert [e.params async for e in s1] == []
                assert [(await detaches.receive()).params for _ in range(3)] == [
                    {"sessionId": "S1"},
                    {"sessionId": 5},
                    {},
                ]
                assert conn.malformed_frames == 0


# -- pipelining -------------------------------------------------------------------------------


async def test_call_many_writes_everything_before_collecting() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.hold("Network.enable")
        fake.reply("Runtime.runIfWaitingForDebugger", {})
        fake.fail("Page.enable", -32000, "Not allowed")
        async with open_connection(fake) as conn:
            out: list[list[dict[str, Any] | ProtocolError]] = []

            async def run() -> None:
                out.append(
                    await conn.call_many(
                        [
                            ("Network.enable", {"maxTotalBufferSize": 1}),
                            ("Runtime.runIfWaitingForDebugger", None),
                            ("Page.enable", None),
                            ("Nope.missing", {}),
                        ],
                        session_id="SW",
                    )
                )

            async with trio.open_nursery() as nursery:
                nursery.start_soon(run)
                first = await fake.wait_command("Network.enable")
                await fake.wait_command("Nope.missing")
                assert fake.commands == [
                    ReceivedCommand(1, "Network.enable", {"maxTotalBufferSize": 1}, "SW"),
                    ReceivedCommand(2, "Runtime.runIfWaitingForDebugger", {}, "SW"),
                    ReceivedCommand(3, "Page.enable", {}, "SW"),
                    ReceivedCommand(4, "Nope.missing", {}, "SW"),
                ]
                await trio.testing.wait_all_tasks_blocked()
                assert out == []
                fake.answer(first, {"done": True})
            [results] = out
            assert len(results) == 4
            assert results[:2] == [{"done": True}, {}]
            page, missing = results[2], results[3]
            assert isinstance(page, ProtocolError)
            assert (page.method, page.code, page.message) == ("Page.enable", -32000, "Not allowed")
            assert isinstance(missing, ProtocolError)
            assert (missing.method, missing.code) == ("Nope.missing", -32601)
            assert conn._pending == {}


async def test_call_many_of_nothing() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        async with open_connection(fake) as conn:
            assert await conn.call_many([]) == []
            assert fake.commands == []


async def test_call_many_raises_when_the_browser_goes_away() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.hold("A.two")
        fake.reply("A.one", {})
        async with open_connection(fake) as conn:
            async with trio.open_nursery() as nursery:

                async def run() -> None:
                    with pytest.raises(BrowserClosedError, match=rf"^A.two: {CLOSED}$"):
                        await conn.call_many([("A.one", None), ("A.two", None), ("A.one", None)])

                nursery.start_soon(run)
                await fake.wait_command("A.one", 2)
                fake.disconnect()
            assert conn._pending == {}


async def test_call_many_with_bad_params_forgets_what_it_wrote() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.hold("A.one")
        async with open_connection(fake) as conn:
            with pytest.raises(ValueError, match=r"^A\.two: params are not JSON-serialisable"):
                await conn.call_many([("A.one", None), ("A.two", {"x": object()})])
            assert [c.method for c in fake.commands] == ["A.one"]
            assert conn._pending == {}


# -- cancellation -----------------------------------------------------------------------------


async def test_cancelled_call_leaves_nothing_behind() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.hold("Runtime.evaluate")
        fake.reply("Browser.getVersion", {"product": "Fake/1"})
        async with open_connection(fake) as conn:
            scope = trio.CancelScope()
            finished: list[bool] = []

            async def call() -> None:
                with scope:
                    await conn.call("Runtime.evaluate", {"expression": "1"})
                    finished.append(True)

            async with trio.open_nursery() as nursery:
                nursery.start_soon(call)
                held = await fake.wait_command("Runtime.evaluate")
                await trio.testing.wait_all_tasks_blocked()
                assert list(conn._pending) == [held.id]
                scope.cancel()
            assert scope.cancelled_caught
            assert finished == []
            assert conn._pending == {}
            # The late answer is ignored; the next call gets its own answer.
            fake.answer(held, {"result": {"value": "late"}})
            assert await conn.call("Browser.getVersion") == {"product": "Fake/1"}
            assert conn._pending == {}
            assert conn.malformed_frames == 0


async def test_cancelled_call_many_leaves_nothing_behind() -> None:
    with trio.fail_after(5):
        fake = FakeChromium()
        fake.hold("A.one")
        fake.hold("A.two")
        async with open_connection(fake) as conn:
            with trio.CancelScope() as scope:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(conn.call_many, [("A.one", None), ("A.two", None)])
                    await fake.wait_command("A.two")
                    await trio.testing.wait_all_tasks_blocked()
                    assert len(conn._pending) == 2
                    scope.cancel()
            assert scope.cancelled_caught
            assert conn._pending == {}
