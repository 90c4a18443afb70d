"""A Host wired to FakeChromium, started as the real one starts (no browser process)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any

import trio

from cdpsession._connection import open_connection
from cdpsession._host import Host, HostConfig
from cdpsession.testing import FakeChromium


def info(target_id: str, kind: str, url: str = "about:blank") -> dict[str, Any]:
    """A ``TargetInfo`` of the fake browser's one context."""
    return {"targetId": target_id, "type": kind, "url": url, "browserContextId": "CTX"}


def script(fake: FakeChromium, answered: Iterable[str] = ()) -> None:
    """Answer what a host sends at start, and ``answered`` methods with ``{}``."""
    fake.reply("Browser.getVersion", {"userAgent": "Fake UA", "product": "Fake/1"})
    fake.reply(
        "Target.getBrowserContexts", {"browserContextIds": [], "defaultBrowserContextId": "CTX"}
    )
    for method in (
        "Target.setAutoAttach",
        "Target.setDiscoverTargets",
        "Runtime.runIfWaitingForDebugger",
        *answered,
    ):
        fake.reply(method, {})


@contextlib.asynccontextmanager
async def open_fake_host(fake: FakeChromium) -> AsyncIterator[Host]:
    """A started :class:`Host` on ``fake`` (its nursery cancelled on the way out)."""
    async with open_connection(fake) as conn, trio.open_nursery() as nursery:
        no_process: Any = None  # the backbone never touches the process
        host = Host(
            HostConfig(executable="chromium", user_data_dir=None), no_process, conn, nursery, "/x"
        )
        with trio.fail_after(5):
            await host._start()
        yield host
        nursery.cancel_scope.cancel()
