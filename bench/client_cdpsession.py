"""cdpsession's side of the benchmarks, through its public API only.

Figures cdpsession cannot produce yet are left out of its samples (the table shows why):
``context_page_ms`` (no dense mode: every partition is its own browser).

usage: client_cdpsession.py --base http://127.0.0.1:PORT --reps N --out FILE
"""

from __future__ import annotations

import argparse
import importlib.metadata
import itertools
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import common
import trio
from common import Samples, log, pc

import cdpsession

_names = itertools.count()


def partition() -> str:
    """A new in-memory partition name."""
    return f"bench-{next(_names)}"


@asynccontextmanager
async def app(mark: str) -> AsyncIterator[cdpsession.App]:
    folder = tempfile.mkdtemp(prefix="cdpbench-")
    try:
        async with cdpsession.open_app(folder, chromium=common.chromium(), extra_args=[mark]) as a:
            yield a
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def launch(s: Samples) -> None:
    # Spawn to first reply: a session's first use that needs the browser answers from the
    # start-up replies (Browser.getVersion).
    t0 = pc()
    async with app(common.new_mark()) as a:
        await a.session.from_partition(partition()).get_user_agent()
        s.add("launch_ms", (pc() - t0) * 1000)


async def persistent_page(s: Samples, base: str) -> None:
    t0 = pc()
    async with app(common.new_mark()) as a:
        await a.session.from_partition("persist:bench").open_page(base + "/small.html")
        s.add("persistent_page_ms", (pc() - t0) * 1000)


async def main(args: argparse.Namespace) -> None:
    s = Samples("cdpsession")
    s.meta["versions"] = {"cdpsession": importlib.metadata.version("cdpsession")}
    base = args.base
    log("[cdpsession] launch")
    for _ in range(args.reps):
        await launch(s)
        await persistent_page(s, base)
    async with app(common.new_mark()) as a:
        for _ in range(args.reps):
            t0 = pc()
            await a.session.from_partition(partition()).open_page(base + "/small.html")
            s.add("partition_page_ms", (pc() - t0) * 1000)
    # A fresh app, so that no other partition's browser runs beside the measured one.
    async with app(common.new_mark()) as a:
        ses = a.session.from_partition(partition())
        s.meta["browser"] = await ses.get_user_agent()
        log("[cdpsession] round trips")
        page = await ses.open_page(base + "/fetch.html")

        async def all_at_once(n: int) -> None:
            async with trio.open_nursery() as nursery:
                for _ in range(n):
                    nursery.start_soon(page.execute_java_script, "1+1")

        await common.rtt_figures(s, args.reps, lambda: page.execute_java_script("1+1"), all_at_once)
        log("[cdpsession] fetches")

        async def run_fetches(tag: str) -> float:
            t0 = pc()
            got = await page.execute_java_script(f"runFetches({common.N_FETCH}, {tag!r})")
            assert got == common.N_FETCH, got
            return (pc() - t0) * 1000

        def go_on(details: dict[str, object]) -> None:
            return None  # a match-all listener that lets every request go on

        async def with_listener(request_filter: dict[str, object] | None, tag: str) -> float:
            # Set (and removed) outside the timing: only the requests' cost is measured.
            if request_filter is None:
                await ses.web_request.on_before_request(go_on)
            else:
                await ses.web_request.on_before_request(request_filter, go_on)
            try:
                return await run_fetches(tag)
            finally:
                await ses.web_request.on_before_request(None)

        await common.fetch_figures(
            s,
            args.reps,
            run_fetches,
            lambda tag: with_listener(None, tag),
            lambda tag: with_listener({"urls": ["http://unmatched.invalid/*"]}, tag),
        )
        log("[cdpsession] cookies")
        await cookie_figures(s, a, args.reps)
    if not args.skip_heavy:
        log("[cdpsession] memory and scale")
        await memory_and_scale(s, base)
    s.dump(args.out)


async def cookie_figures(s: Samples, a: cdpsession.App, reps: int) -> None:
    # Figure 5: a fresh partition per rep (its browser started first), Electron-style calls.
    for r in range(reps):
        ses = a.session.from_partition(partition())
        await ses.get_user_agent()
        cookies = [
            {"url": f"http://{c['domain']}/", "name": c["name"], "value": c["value"], "path": "/"}
            for c in common.cookie_list(f"s{r}x")
        ]
        t0 = pc()
        for details in cookies:
            await ses.cookies.set(details)
        s.add("cookies_set_ms", (pc() - t0) * 1000)
        t0 = pc()
        got = await ses.cookies.get({})
        s.add("cookies_get_ms", (pc() - t0) * 1000)
        assert len(got) == common.N_COOKIES, len(got)


async def memory_and_scale(s: Samples, base: str) -> None:
    # Figure 6: N in-memory partitions with one loaded page each (each its own browser).
    mark = common.new_mark()
    async with app(mark) as a:
        for _ in range(common.N_MEMORY):
            await a.session.from_partition(partition()).open_page(base + "/small.html")
        await trio.sleep(common.SETTLE_S)
        pids = common.browser_pids(mark)
        assert len(pids) == common.N_MEMORY, pids
        s.add("mem_per_browser_mb", common.pss_bytes(pids) / common.N_MEMORY / 2**20)
    # Figure 7: N_SCALE partitions opened at once, each loading a page.
    async with app(common.new_mark()) as a:
        t0 = pc()
        async with trio.open_nursery() as nursery:
            for _ in range(common.N_SCALE):
                nursery.start_soon(
                    a.session.from_partition(partition()).open_page, base + "/small.html"
                )
        s.add("scale_ms", (pc() - t0) * 1000)


if __name__ == "__main__":
    trio.run(main, common.client_args())
