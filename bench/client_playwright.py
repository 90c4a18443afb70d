"""Playwright for Python (async API) on the same Chromium: never downloads a browser.

usage: client_playwright.py --base http://127.0.0.1:PORT --reps N --out FILE
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import shutil
import tempfile
from typing import Any

import common
from common import Samples, log, pc
from playwright.async_api import Browser, BrowserType, Page, Route, async_playwright


def options(mark: str) -> dict[str, Any]:
    return {"executable_path": common.chromium(), "args": [*common.FLAGS, mark]}


async def partition_page(chromium: BrowserType, base: str) -> float:
    """Figure 2, like for like: a browser of its own, a context, a page loaded."""
    t0 = pc()
    b = await chromium.launch(**options(common.new_mark()))
    try:
        ctx = await b.new_context()
        page = await ctx.new_page()
        await page.goto(base + "/small.html")
        return (pc() - t0) * 1000
    finally:
        await b.close()


async def persistent_page(chromium: BrowserType, base: str) -> float:
    udd = tempfile.mkdtemp(prefix="cdpbench-")
    try:
        t0 = pc()
        ctx = await chromium.launch_persistent_context(udd, **options(common.new_mark()))
        try:
            page = ctx.pages[0] if ctx.pages else await ctx.new_page()
            await page.goto(base + "/small.html")
            return (pc() - t0) * 1000
        finally:
            await ctx.close()
    finally:
        shutil.rmtree(udd, ignore_errors=True)


async def context_page(b: Browser, base: str) -> float:
    t0 = pc()
    ctx = await b.new_context()
    page = await ctx.new_page()
    await page.goto(base + "/small.html")
    ms = (pc() - t0) * 1000
    await ctx.close()
    return ms


async def run_fetches(page: Page, tag: str) -> float:
    t0 = pc()
    got = await page.evaluate("([n, t]) => runFetches(n, t)", [common.N_FETCH, tag])
    assert got == common.N_FETCH, got
    return (pc() - t0) * 1000


async def main(args: argparse.Namespace) -> None:
    s = Samples("playwright")
    s.meta["versions"] = {"playwright": importlib.metadata.version("playwright")}
    base = args.base
    async with async_playwright() as p:
        chromium = p.chromium
        log("[playwright] launch")
        for _ in range(args.reps):
            t0 = pc()
            b = await chromium.launch(**options(common.new_mark()))
            s.add("launch_ms", (pc() - t0) * 1000)
            await b.close()
            s.add("persistent_page_ms", await persistent_page(chromium, base))
            s.add("partition_page_ms", await partition_page(chromium, base))
        b = await chromium.launch(**options(common.new_mark()))
        try:
            s.meta["browser"] = b.version
            for _ in range(args.reps * 2):
                s.add("context_page_ms", await context_page(b, base))
            log("[playwright] round trips")
            ctx = await b.new_context()
            page = await ctx.new_page()
            await page.goto(base + "/fetch.html")

            async def all_at_once(n: int) -> None:
                await asyncio.gather(*(page.evaluate("1+1") for _ in range(n)))

            await common.rtt_figures(s, args.reps, lambda: page.evaluate("1+1"), all_at_once)
            log("[playwright] fetches")
            routed = await ctx.new_page()
            await routed.goto(base + "/fetch.html")

            async def go_on(route: Route) -> None:
                await route.continue_()

            await routed.route("**/*", go_on)
            await common.fetch_figures(
                s,
                args.reps,
                lambda tag: run_fetches(page, tag),
                lambda tag: run_fetches(routed, tag),
            )
            log("[playwright] cookies")
            for r in range(args.reps):
                cctx = await b.new_context()
                t0 = pc()
                for c in common.cookie_list(f"s{r}x"):
                    one: Any = [c]  # plain dicts in Playwright's SetCookieParam shape
                    await cctx.add_cookies(one)
                s.add("cookies_set_ms", (pc() - t0) * 1000)
                t0 = pc()
                got = await cctx.cookies()
                s.add("cookies_get_ms", (pc() - t0) * 1000)
                assert len(got) == common.N_COOKIES, len(got)
                await cctx.close()
        finally:
            await b.close()
        if not args.skip_heavy:
            log("[playwright] memory and scale")
            await memory_and_scale(s, chromium, base)
    s.dump(args.out)


async def memory_and_scale(s: Samples, chromium: BrowserType, base: str) -> None:
    # Figure 6, per browser: N browsers with one loaded page each.
    mark = common.new_mark()
    browsers = []
    try:
        for _ in range(common.N_MEMORY):
            b = await chromium.launch(**options(mark))
            browsers.append(b)
            await (await b.new_page()).goto(base + "/small.html")
        await asyncio.sleep(common.SETTLE_S)
        pids = common.browser_pids(mark)
        assert len(pids) == common.N_MEMORY, pids
        s.add("mem_per_browser_mb", common.pss_bytes(pids) / common.N_MEMORY / 2**20)
    finally:
        for b in browsers:
            await b.close()
    # Figure 6, per context: one browser, N contexts with one loaded page each.
    mark = common.new_mark()
    b = await chromium.launch(**options(mark))
    try:
        await (await b.new_page()).goto(base + "/small.html")
        await asyncio.sleep(common.SETTLE_S)
        before = common.pss_bytes(common.browser_pids(mark))
        for _ in range(common.N_MEMORY):
            await (await (await b.new_context()).new_page()).goto(base + "/small.html")
        await asyncio.sleep(common.SETTLE_S)
        after = common.pss_bytes(common.browser_pids(mark))
        s.add("mem_per_context_mb", (after - before) / common.N_MEMORY / 2**20)
    finally:
        await b.close()
    # Figure 7: N_SCALE browsers at once, each with a context and a loaded page.
    t0 = pc()
    await asyncio.gather(*(partition_page(chromium, base) for _ in range(common.N_SCALE)))
    s.add("scale_ms", (pc() - t0) * 1000)


if __name__ == "__main__":
    asyncio.run(main(common.client_args()))
