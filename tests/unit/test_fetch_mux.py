"""The host's shared Fetch interception (FetchMux), driven by FakeChromium (no browser)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
import trio
import trio.lowlevel
import trio.testing

from cdpsession._fetch import Paused, RequestPattern
from cdpsession._host import Host
from cdpsession.testing import FakeChromium

from .fake_host import info, open_fake_host, script

_info = info


class _Consumer:
    def __init__(self, patterns: list[RequestPattern], act: Any = None) -> None:
        self.patterns = patterns
        self.act = act
        self.seen: list[tuple[str, str]] = []

    def fetch_patterns(self) -> Iterable[RequestPattern]:
        return self.patterns

    async def on_paused(self, paused: Paused) -> None:
        self.seen.append((paused.stage, paused.url))
        if self.act is not None:
            self.act(paused)


class _Fake:
    def __init__(self, fake: FakeChromium, host: Host) -> None:
        self.fake = fake
        self.host = host

    def attach(self, session_id: str, info: dict[str, Any], parent: str | None = None) -> None:
        self.fake.emit(
            "Target.attachedToTarget",
            {"sessionId": session_id, "targetInfo": info, "waitingForDebugger": True},
            session_id=parent,
        )

    def detach(self, session_id: str) -> None:
        self.fake.emit("Target.detachedFromTarget", {"sessionId": session_id})

    def sent(self, method: str, session_id: str | None = None) -> list[dict[str, Any]]:
        return [
            c.params
            for c in self.fake.commands
            if c.method == method and (session_id is None or c.session_id == session_id)
        ]

    def pause(self, session_id: str, request_id: str, url: str, **extra: Any) -> None:
        params = {
            "requestId": request_id,
            "request": {"url": url, "method": "GET", "headers": {"Accept": "*/*"}},
            "frameId": "F",
            "resourceType": "XHR",
            **extra,
        }
        self.fake.emit("Fetch.requestPaused", params, session_id=session_id)

    async def answered(self, method: str, count: int = 1) -> list[dict[str, Any]]:
        await self.fake.wait_command(method, count)
        return self.sent(method)


@pytest.fixture
async def mux() -> AsyncIterator[_Fake]:
    fake = FakeChromium()
    script(
        fake,
        [
            "Fetch.enable",
            "Fetch.disable",
            "Fetch.continueRequest",
            "Fetch.continueResponse",
            "Fetch.failRequest",
            "Fetch.fulfillRequest",
        ],
    )
    async with open_fake_host(fake) as host:
        yield _Fake(fake, host)


async def _page(mux: _Fake) -> None:
    """Enable the consumers' patterns, then attach a page (set up with them)."""
    await mux.host.fetch.refresh()
    mux.attach("S-P", _info("P", "page"))
    await mux.host.wait_target("P")


async def test_union_of_patterns_enabled_on_each_target_and_disabled_when_none(
    mux: _Fake,
) -> None:
    host = mux.host
    first = _Consumer([RequestPattern("http://a/*"), RequestPattern("*", "Response")])
    second = _Consumer([RequestPattern("http://a/*"), RequestPattern("*", "Request", "Image")])
    with trio.fail_after(5):
        mux.attach("S-P", _info("P", "page"))
        await host.wait_target("P")
        assert mux.sent("Fetch.enable") == []  # nobody wants anything yet
        host.fetch.add(first)
        host.fetch.add(second)
        await host.fetch.refresh()
        (enable,) = mux.sent("Fetch.enable", "S-P")
        assert enable["patterns"] == [
            {"urlPattern": "*", "requestStage": "Request", "resourceType": "Image"},
            {"urlPattern": "http://a/*", "requestStage": "Request"},
            {"urlPattern": "*", "requestStage": "Response"},
        ]
        await host.fetch.refresh()  # nothing changed: nothing sent
        assert len(mux.sent("Fetch.enable", "S-P")) == 1
        # A new target gets the patterns before it runs.
        mux.attach("S-Q", _info("Q", "page"))
        await host.wait_target("Q")
        q_commands = [c.method for c in mux.fake.commands if c.session_id == "S-Q"]
        assert q_commands.index("Fetch.enable") < q_commands.index(
            "Runtime.runIfWaitingForDebugger"
        )
        host.fetch.remove(first)
        host.fetch.remove(second)
        await host.fetch.refresh()
    assert mux.sent("Fetch.disable", "S-P") == [{}]
    assert mux.sent("Fetch.disable", "S-Q") == [{}]


async def test_a_catch_all_makes_narrower_patterns_of_its_stage_redundant(mux: _Fake) -> None:
    host = mux.host
    host.fetch.add(_Consumer([RequestPattern("http://a/*"), RequestPattern("*")]))
    host.fetch.add(_Consumer([RequestPattern("app:*"), RequestPattern("http://b/*", "Response")]))
    with trio.fail_after(5):
        await host.fetch.refresh()
    assert host.fetch.patterns == (
        RequestPattern("*", "Request"),
        RequestPattern("http://b/*", "Response"),
    )


async def test_a_worker_gets_fetch_on_one_of_its_sessions_then_on_the_next(mux: _Fake) -> None:
    host = mux.host
    host.fetch.add(_Consumer([RequestPattern("*")]))
    with trio.fail_after(5):
        await host.fetch.refresh()
        mux.attach("S-P", _info("P", "page"))
        await host.wait_target("P")
        # The page's attachment of its service worker comes first, then the browser's.
        mux.attach("S-SW1", _info("SW", "service_worker"), parent="S-P")
        await host.wait_target("SW")
        mux.attach("S-SW2", _info("SW", "service_worker"))
        while len([t for t in host.targets.values() if t.target_id == "SW"]) < 2:
            await trio.lowlevel.checkpoint()
        await trio.testing.wait_all_tasks_blocked()
        assert len(mux.sent("Fetch.enable", "S-SW1")) == 1
        assert mux.sent("Fetch.enable", "S-SW2") == []
        # A dedicated worker has no Fetch domain (its page's session pauses its requests).
        mux.attach("S-W", _info("W", "worker"), parent="S-P")
        await host.wait_target("W")
        assert mux.sent("Fetch.enable", "S-W") == []
        mux.detach("S-SW1")
        await mux.fake.wait_command("Fetch.enable", 3)
    assert len(mux.sent("Fetch.enable", "S-SW2")) == 1


async def test_consumers_in_order_then_one_answer(mux: _Fake) -> None:
    host = mux.host

    def change(paused: Paused) -> None:
        paused.set_headers({"X-A": "1"})
        paused.set_url("http://a/changed")

    first = _Consumer([RequestPattern("*")], change)
    second = _Consumer([RequestPattern("*")])
    host.fetch.add(first)
    host.fetch.add(second)
    with trio.fail_after(5):
        await _page(mux)
        mux.pause("S-P", "R1", "http://a/x")
        (answer,) = await mux.answered("Fetch.continueRequest")
    assert first.seen == [("Request", "http://a/x")]
    assert second.seen == [("Request", "http://a/changed")]  # sees the first one's change
    assert answer == {
        "requestId": "R1",
        "url": "http://a/changed",
        "headers": [{"name": "X-A", "value": "1"}],
    }


async def test_a_settled_request_skips_later_consumers(mux: _Fake) -> None:
    host = mux.host
    first = _Consumer([RequestPattern("*")], lambda p: p.fail("BlockedByClient"))
    second = _Consumer([RequestPattern("*")])
    host.fetch.add(first)
    host.fetch.add(second)
    with trio.fail_after(5):
        await _page(mux)
        mux.pause("S-P", "R1", "http://a/x")
        (answer,) = await mux.answered("Fetch.failRequest")
    assert answer == {"requestId": "R1", "errorReason": "BlockedByClient"}
    assert second.seen == []


async def test_fulfill_and_response_stage_answers(mux: _Fake) -> None:
    host = mux.host

    def act(paused: Paused) -> None:
        if paused.stage == "Request":
            paused.fulfill(201, [("Content-Type", "text/plain")], b"hi", "Made")
        else:
            paused.set_response(299, "Patched", [("X-B", "2")])

    host.fetch.add(_Consumer([RequestPattern("*"), RequestPattern("*", "Response")], act))
    with trio.fail_after(5):
        await _page(mux)
        mux.pause("S-P", "R1", "http://a/x")
        mux.pause(
            "S-P",
            "R2",
            "http://a/y",
            responseStatusCode=200,
            responseStatusText="OK",
            responseHeaders=[{"name": "A", "value": "b"}],
        )
        mux.pause("S-P", "R3", "file:///missing", responseErrorReason="Failed")
        (fulfilled,) = await mux.answered("Fetch.fulfillRequest")
        (continued,) = await mux.answered("Fetch.continueResponse")
        (errored,) = await mux.answered("Fetch.continueRequest")
    assert fulfilled["responseCode"] == 201
    assert fulfilled["responsePhrase"] == "Made"
    assert base64.b64decode(fulfilled["body"]) == b"hi"
    assert base64.b64decode(fulfilled["binaryResponseHeaders"]) == b"Content-Type: text/plain"
    assert continued["responseCode"] == 299
    assert continued["responsePhrase"] == "Patched"
    assert base64.b64decode(continued["binaryResponseHeaders"]) == b"X-B: 2"
    # A response that failed (responseErrorReason) can only go on as it is.
    assert errored == {"requestId": "R3"}


async def test_a_failing_consumer_still_answers_and_reports(mux: _Fake) -> None:
    host = mux.host
    failures: list[BaseException] = []
    host.fetch.fail = failures.append

    def boom(_paused: Paused) -> None:
        raise RuntimeError("consumer bug")

    host.fetch.add(_Consumer([RequestPattern("*")], boom))
    with trio.fail_after(5):
        await _page(mux)
        mux.pause("S-P", "R1", "http://a/x")
        (answer,) = await mux.answered("Fetch.failRequest")
    assert answer == {"requestId": "R1", "errorReason": "Failed"}
    assert [str(f) for f in failures] == ["consumer bug"]


async def test_a_request_cut_short_is_failed_never_sent(mux: _Fake) -> None:
    host = mux.host
    started = trio.Event()

    class _Hang:
        def fetch_patterns(self) -> Iterable[RequestPattern]:
            return [RequestPattern("*")]

        async def on_paused(self, paused: Paused) -> None:
            started.set()
            await trio.sleep_forever()

    host.fetch.add(_Hang())
    with trio.fail_after(5):
        await host.fetch.refresh()
        mux.attach("S-P", _info("P", "page"))
        await host.wait_target("P")
        with trio.move_on_after(0.5):
            async with trio.open_nursery() as nursery:
                # The handler runs in the host's nursery: cancel that one's work by hand.
                nursery.start_soon(
                    host.fetch._handle,
                    Paused(
                        host.targets["S-P"], {"requestId": "R9", "request": {"url": "http://a/x"}}
                    ),
                )
                await started.wait()
                nursery.cancel_scope.cancel()
        (answer,) = await mux.answered("Fetch.failRequest")
    assert answer == {"requestId": "R9", "errorReason": "Aborted"}


async def test_hidden_pages_requests_go_on_untouched(mux: _Fake) -> None:
    host = mux.host
    consumer = _Consumer([RequestPattern("*")], lambda p: p.fail("BlockedByClient"))
    host.fetch.add(consumer)
    mux.fake.reply("Target.createTarget", {"targetId": "UTIL"})
    with trio.fail_after(5):
        await host.fetch.refresh()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(host.utility)
            await mux.fake.wait_command("Target.createTarget")
            mux.attach("S-UTIL", _info("UTIL", "page"))
        mux.pause("S-UTIL", "R1", "chrome://net-internals/x")
        (answer,) = await mux.answered("Fetch.continueRequest")
    assert answer == {"requestId": "R1"}
    assert consumer.seen == []


async def test_a_request_of_a_session_already_gone_is_ignored(mux: _Fake) -> None:
    host = mux.host
    consumer = _Consumer([RequestPattern("*")])
    host.fetch.add(consumer)
    with trio.fail_after(5):
        await host.fetch.refresh()
        mux.pause("S-GONE", "R1", "http://a/x")
        await trio.testing.wait_all_tasks_blocked()
    assert consumer.seen == []
    assert mux.sent("Fetch.continueRequest") == []
