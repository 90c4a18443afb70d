"""The host's target fan-out, driven by FakeChromium (no browser)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio
import trio.testing

from cdpsession import BrowserClosedError
from cdpsession._cdp.generated import network
from cdpsession._host import Host, Target, TargetSetup, ram_backed_temp_root
from cdpsession.testing import FakeChromium

from .fake_host import info, open_fake_host, script


def _info(target_id: str, kind: str, url: str = "about:blank") -> dict[str, Any]:
    return info(target_id, kind, url)


class _Host:
    def __init__(self, fake: FakeChromium, host: Host) -> None:
        self.fake = fake
        self.host = host

    def attach(
        self, session_id: str, info: dict[str, Any], parent: str | None = None, waiting: bool = True
    ) -> None:
        self.fake.emit(
            "Target.attachedToTarget",
            {"sessionId": session_id, "targetInfo": info, "waitingForDebugger": waiting},
            session_id=parent,
        )

    def sent(self, session_id: str) -> list[str]:
        return [c.method for c in self.fake.commands if c.session_id == session_id]


@pytest.fixture
async def fake_host() -> AsyncIterator[_Host]:
    fake = FakeChromium()
    script(fake, ["Network.enable"])
    async with open_fake_host(fake) as host:
        yield _Host(fake, host)


async def test_start_learns_version_and_context_in_one_batch(fake_host: _Host) -> None:
    host = fake_host.host
    assert host.user_agent == "Fake UA"
    assert host.product == "Fake/1"
    assert host.default_context_id == "CTX"
    assert [c.method for c in fake_host.fake.commands] == [
        "Browser.getVersion",
        "Target.getBrowserContexts",
        "Target.setAutoAttach",
        "Target.setDiscoverTargets",
    ]
    auto = next(c for c in fake_host.fake.commands if c.method == "Target.setAutoAttach")
    assert auto.params["waitForDebuggerOnStart"] is True
    assert auto.params["flatten"] is True
    assert {"type": "browser_ui", "exclude": True} in auto.params["filter"]


async def test_hooks_then_auto_attach_then_resume_in_one_pipelined_batch(fake_host: _Host) -> None:
    host, fake = fake_host.host, fake_host.fake
    host.add_target_hook(lambda s: s.add(network.enable()))
    fake.hold("Network.enable")  # a paused worker answers only after it resumes
    with trio.fail_after(5):
        fake_host.attach("SW", _info("T-SW", "service_worker", "http://x/sw.js"))
        await fake.wait_command("Runtime.runIfWaitingForDebugger")
        assert fake_host.sent("SW") == [
            "Network.enable",
            "Target.setAutoAttach",
            "Runtime.runIfWaitingForDebugger",
        ]
        target = host.find_target("T-SW")
        assert target is not None
        assert not target.ready.is_set()
        fake.answer(fake.held("Network.enable")[0])
        await target.ready.wait()


async def test_utility_and_internal_targets_get_no_hooks_and_no_listeners(fake_host: _Host) -> None:
    host = fake_host.host
    hooked: list[str] = []
    attached: list[str] = []
    host.add_target_hook(lambda s: hooked.append(s.target.target_id))
    host.on_target_attached(lambda t: attached.append(t.target_id))
    fake_host.fake.reply("Target.createTarget", {"targetId": "UTIL"})
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(host.utility)
            await fake_host.fake.wait_command("Target.createTarget")
            fake_host.attach("S-UTIL", _info("UTIL", "page"))
        fake_host.attach("S-P", _info("P", "page"))
        await host.wait_target("P")
        utility = await host.utility()  # made once, then kept
    assert utility.target_id == "UTIL"
    assert utility.internal
    assert hooked == ["P"]
    assert attached == ["P"]
    assert [c.method for c in fake_host.fake.commands].count("Target.createTarget") == 1


async def test_children_inherit_a_copy_of_the_parents_settings(fake_host: _Host) -> None:
    host = fake_host.host

    def hook(setup: TargetSetup) -> None:
        if setup.target.parent is None:
            setup.target.inherited["ua"] = "page-ua"

    host.add_target_hook(hook)
    with trio.fail_after(5):
        fake_host.attach("S-P", _info("P", "page"))
        page = await host.wait_target("P")
        fake_host.attach("S-F", _info("F", "iframe"), parent="S-P")
        frame = await host.wait_target("F")
    assert frame.parent is page
    assert frame.root is page
    assert frame.inherited == {"ua": "page-ua"}
    frame.inherited["x"] = 1
    assert "x" not in page.inherited


async def test_detach_notifies_once_and_marks_gone(fake_host: _Host) -> None:
    host, fake = fake_host.host, fake_host.fake
    gone: list[Target] = []
    host.on_target_detached(gone.append)
    with trio.fail_after(5):
        fake_host.attach("S-P", _info("P", "page"))
        page = await host.wait_target("P")
        fake.emit("Target.detachedFromTarget", {"sessionId": "S-P", "targetId": "P"})
        await page.gone.wait()
        fake.emit("Target.detachedFromTarget", {"sessionId": "S-P", "targetId": "P"})
        await trio.testing.wait_all_tasks_blocked()
    assert gone == [page]
    assert host.find_target("P") is None


async def test_url_follows_target_info_changed(fake_host: _Host) -> None:
    host, fake = fake_host.host, fake_host.fake
    with trio.fail_after(5):
        fake_host.attach("S-P", _info("P", "page"))
        page = await host.wait_target("P")
        fake.emit("Target.targetInfoChanged", {"targetInfo": _info("P", "page", "http://a/")})
        await trio.testing.wait_all_tasks_blocked()
    assert page.url == "http://a/"


async def test_wait_target_raises_when_the_browser_goes_away(fake_host: _Host) -> None:
    host = fake_host.host
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:

            async def waiter() -> None:
                with pytest.raises(BrowserClosedError):
                    await host.wait_target("NEVER")

            nursery.start_soon(waiter)
            await trio.testing.wait_all_tasks_blocked()
            host._mark_gone()


def test_ram_dir_falls_back_when_missing_or_small(tmp_path: Any) -> None:
    assert ram_backed_temp_root(str(tmp_path / "missing")) == tempfile.gettempdir()
    # A real folder with room is taken as it is.
    stat = os.statvfs(tmp_path)
    if stat.f_bavail * stat.f_frsize >= 1 << 30:
        assert ram_backed_temp_root(str(tmp_path)) == str(tmp_path)
