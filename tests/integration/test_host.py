"""The host backbone: target hooks before first script, paused workers, shared infrastructure."""

from __future__ import annotations

from typing import Any

import trio

import cdpsession
from cdpsession._cdp.generated import network
from cdpsession._cdp.generated import page as cdp_page
from cdpsession._host import Target, TargetSetup
from tests.integration.conftest import Server


async def test_hook_runs_before_the_pages_first_script(app: cdpsession.App, server: Server) -> None:
    server.html("/", "<script>window.sawHook = window.__hooked === 1;</script>")
    ses = app.session.from_partition("hooks")
    with trio.fail_after(30):
        host = await ses._ensure_host()

        def hook(setup: TargetSetup) -> None:
            if setup.target.type == "page":
                setup.add(
                    cdp_page.add_script_to_evaluate_on_new_document(source="window.__hooked = 1")
                )

        host.add_target_hook(hook)
        page = await ses.open_page(server.url("/"))
        assert await page.execute_java_script("window.sawHook") is True


async def test_paused_service_worker_with_network_enable_does_not_deadlock(
    app: cdpsession.App, server: Server
) -> None:
    # A service worker paused at start answers Network.enable only after it resumes: the
    # host pipelines hook commands with Runtime.runIfWaitingForDebugger, so this must finish.
    server.js("/sw.js", "self.addEventListener('fetch', () => {}); fetch('/from-sw');")
    server.html(
        "/",
        "<script>window.reg = navigator.serviceWorker.register('/sw.js')"
        ".then(() => navigator.serviceWorker.ready).then(() => 'active');</script>",
    )
    ses = app.session.from_partition("sw")
    with trio.fail_after(30):
        host = await ses._ensure_host()
        kinds: list[str] = []

        def hook(setup: TargetSetup) -> None:
            kinds.append(setup.target.type)
            setup.add(network.enable())

        host.add_target_hook(hook)
        page = await ses.open_page(server.url("/"))
        assert await page.execute_java_script("window.reg") == "active"
        # The server runs in a thread: poll its log.
        while not server.seen("/from-sw"):  # noqa: ASYNC110
            await trio.sleep(0.05)
    assert "service_worker" in kinds
    assert "page" in kinds


async def test_helper_extension_loads_once_and_answers(app: cdpsession.App) -> None:
    ses = app.session.from_partition("ext")
    with trio.fail_after(30):
        host = await ses._ensure_host()
        ext = await host.helper_extension()
        again = await host.helper_extension()
        assert again is ext
        assert len(ext.id) == 32
        assert ext.worker.url == f"chrome-extension://{ext.id}/worker.js"
        reply = await host.call(
            "Runtime.evaluate",
            {"expression": "self.cdpsession.version", "returnByValue": True},
            ext.worker.session_id,
        )
        assert reply["result"]["value"] == 1
        # The extension's worker is cdpsession's own: it is no page of the session.
        assert ses.get_all_web_contents() == []


async def test_browser_starts_with_no_page_and_the_utility_page_is_made_hidden(
    app: cdpsession.App, server: Server
) -> None:
    server.html("/", "<p>x</p>")
    ses = app.session.from_partition("util")
    with trio.fail_after(30):
        host = await ses._ensure_host()
        infos = (await host.call("Target.getTargets"))["targetInfos"]
        assert [i for i in infos if i["type"] == "page"] == []
        utility = await host.utility()
        assert utility.internal
        assert utility.url == "about:blank"
        page = await ses.open_page(server.url("/"))
        assert ses.get_all_web_contents() == [page]
        assert (await host.utility()) is utility


async def test_children_inherit_the_settings_of_their_page(
    app: cdpsession.App, server: Server, other_server: Server
) -> None:
    other_server.html("/frame", "<p>frame</p>")
    server.html("/", f'<iframe src="http://localhost:{other_server.port}/frame"></iframe>')
    ses = app.session.from_partition("inherit")
    with trio.fail_after(30):
        host = await ses._ensure_host()
        await ses.set_user_agent("first-agent")
        frames: list[dict[str, Any]] = []
        frame_seen = trio.Event()

        def on_attached(target: Target) -> None:
            if target.type == "iframe":
                frames.append(target.inherited)
                frame_seen.set()

        host.on_target_attached(on_attached)
        page = await ses.open_page(server.url("/"))
        await ses.set_user_agent("second-agent")
        await frame_seen.wait()
        frame_settings = frames[0]
        assert frame_settings["cdpsession.user_agent"][0] == "first-agent"
        frame_request = other_server.seen("/frame")[0]
        assert frame_request.header("user-agent") == "first-agent"
        await page.close()
