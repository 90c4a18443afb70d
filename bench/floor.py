"""The floor: the least a Python CDP client can do, as a minimal trio client over the pipe.

One reader task, a dict of pending ids, NUL-delimited JSON on fds 3/4, nothing else: what
any Python client (cdpsession included) costs at best on this machine.

usage: floor.py --base http://127.0.0.1:PORT --reps N --out FILE
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable
from typing import Any

import common
import trio
from common import Samples, log, pc


class Browser:
    def __init__(self, proc: trio.Process, udd: str, w: int, r: int) -> None:
        self.proc = proc
        self.udd = udd
        self.out = trio.lowlevel.FdStream(w)
        self.inp = trio.lowlevel.FdStream(r)
        self.send_lock = trio.Lock()  # one writer at a time: frames must not interleave
        self.next_id = 0
        self.pending: dict[int, list[Any]] = {}
        self.listeners: dict[tuple[str, str | None], list[Callable[[dict[str, Any]], None]]] = {}

    async def read_loop(self) -> None:
        buf = b""
        while chunk := await self.inp.receive_some(1 << 20):
            buf += chunk
            *frames, buf = buf.split(b"\0")
            for frame in frames:
                msg = json.loads(frame)
                if "id" in msg:
                    slot = self.pending.pop(msg["id"])
                    slot.append(msg)
                    slot[0].set()
                else:
                    for cb in self.listeners.get((msg["method"], msg.get("sessionId")), []):
                        cb(msg.get("params", {}))

    async def call(
        self, method: str, params: dict[str, Any] | None = None, sid: str | None = None
    ) -> Any:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if sid:
            msg["sessionId"] = sid
        slot: list[Any] = [trio.Event()]
        self.pending[self.next_id] = slot
        async with self.send_lock:
            await self.out.send_all(json.dumps(msg).encode() + b"\0")
        await slot[0].wait()
        if "error" in slot[1]:
            raise RuntimeError(f"{method}: {slot[1]['error']}")
        return slot[1].get("result", {})

    def on(self, method: str, sid: str | None, cb: Callable[[dict[str, Any]], None]) -> None:
        self.listeners.setdefault((method, sid), []).append(cb)

    async def page(self, context: str | None = None) -> str:
        """A new page target, attached (flat); its session id."""
        params: dict[str, Any] = {"url": "about:blank"}
        if context:
            params["browserContextId"] = context
        target = (await self.call("Target.createTarget", params))["targetId"]
        return await self.attach(target)

    async def attach(self, target: str) -> str:
        reply = await self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        sid: str = reply["sessionId"]
        await self.call("Page.enable", None, sid)
        return sid

    async def goto(self, sid: str, url: str) -> None:
        loaded = trio.Event()
        self.on("Page.loadEventFired", sid, lambda _p: loaded.set())
        await self.call("Page.navigate", {"url": url}, sid)
        await loaded.wait()
        self.listeners.pop(("Page.loadEventFired", sid))


@contextlib.asynccontextmanager
async def launch(udd: str | None = None) -> AsyncIterator[Browser]:
    own = udd is None
    folder = udd or tempfile.mkdtemp(prefix="cdpbench-")
    cmd_r, cmd_w = os.pipe()
    res_r, res_w = os.pipe()

    def fds() -> None:
        # Through fresh fds above 4 first, so a pipe end already on 3 or 4 is not clobbered.
        high_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD_CLOEXEC, 5)
        high_w = fcntl.fcntl(res_w, fcntl.F_DUPFD_CLOEXEC, 5)
        os.dup2(high_r, 3)
        os.dup2(high_w, 4)

    argv = [common.chromium(), *common.FLAGS, common.new_mark(), f"--user-data-dir={folder}"]
    proc = await trio.lowlevel.open_process(
        # No startup page: the least work before the first reply (cdpsession does the same).
        [*argv, "--remote-debugging-pipe", "--no-startup-window"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=fds,
        close_fds=False,  # our fds are non-inheritable (PEP 446); 3/4 must survive exec
    )
    os.close(cmd_r)
    os.close(res_w)
    b = Browser(proc, folder, cmd_w, res_r)
    try:
        async with trio.open_nursery() as n:
            n.start_soon(b.read_loop)
            try:
                yield b
            finally:
                with trio.move_on_after(5) as scope:
                    scope.shield = True
                    with contextlib.suppress(Exception):
                        await b.call("Browser.close")
                    await proc.wait()
                n.cancel_scope.cancel()
    finally:
        with trio.CancelScope(shield=True):
            if proc.returncode is None:
                proc.kill()
            await proc.wait()
            await b.out.aclose()
            await b.inp.aclose()
        if own:
            shutil.rmtree(folder, ignore_errors=True)


async def first_reply() -> float:
    t0 = pc()
    async with launch() as b:
        await b.call("Browser.getVersion")
        return (pc() - t0) * 1000


async def own_process_page(base: str) -> float:
    t0 = pc()
    async with launch() as b:
        await b.goto(await b.page(), base + "/small.html")
        return (pc() - t0) * 1000


async def persistent_page(base: str) -> float:
    udd = tempfile.mkdtemp(prefix="cdpbench-")
    try:
        t0 = pc()
        async with launch(udd) as b:
            await b.goto(await b.page(), base + "/small.html")
            return (pc() - t0) * 1000
    finally:
        shutil.rmtree(udd, ignore_errors=True)


async def main(args: argparse.Namespace) -> None:
    s = Samples("floor")
    base = args.base
    log("[floor] launch")
    for _ in range(args.reps):
        s.add("launch_ms", await first_reply())
        s.add("persistent_page_ms", await persistent_page(base))
        s.add("partition_page_ms", await own_process_page(base))
    async with launch() as b:
        s.meta["browser"] = (await b.call("Browser.getVersion"))["product"]
        log("[floor] contexts")
        for _ in range(args.reps * 2):
            t0 = pc()
            ctx = (await b.call("Target.createBrowserContext"))["browserContextId"]
            await b.goto(await b.page(ctx), base + "/small.html")
            s.add("context_page_ms", (pc() - t0) * 1000)
            await b.call("Target.disposeBrowserContext", {"browserContextId": ctx})
        log("[floor] round trips")
        sid = await b.page()
        await b.goto(sid, base + "/fetch.html")
        expr = {"expression": "1+1", "returnByValue": True}

        async def all_at_once(n: int) -> None:
            async with trio.open_nursery() as nursery:
                for _ in range(n):
                    nursery.start_soon(b.call, "Runtime.evaluate", expr, sid)

        await common.rtt_figures(
            s, args.reps, lambda: b.call("Runtime.evaluate", expr, sid), all_at_once
        )
        log("[floor] fetches")
        isid = await b.page()
        await b.goto(isid, base + "/fetch.html")

        def paused(p: dict[str, Any]) -> None:
            nursery.start_soon(b.call, "Fetch.continueRequest", {"requestId": p["requestId"]}, isid)

        async with trio.open_nursery() as nursery:
            b.on("Fetch.requestPaused", isid, paused)
            await b.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, isid)
            await common.fetch_figures(s, args.reps, lambda tag: run_fetches(b, sid, tag),
                                lambda tag: run_fetches(b, isid, tag))  # fmt: skip
        log("[floor] cookies")
        for r in range(args.reps):
            ctx = (await b.call("Target.createBrowserContext"))["browserContextId"]
            t0 = pc()
            for c in common.cookie_list(f"s{r}x"):
                await b.call("Storage.setCookies", {"cookies": [c], "browserContextId": ctx})
            s.add("cookies_set_ms", (pc() - t0) * 1000)
            t0 = pc()
            got = (await b.call("Storage.getCookies", {"browserContextId": ctx}))["cookies"]
            s.add("cookies_get_ms", (pc() - t0) * 1000)
            assert len(got) == common.N_COOKIES, len(got)
            await b.call("Target.disposeBrowserContext", {"browserContextId": ctx})
    if not args.skip_heavy:
        log("[floor] memory and scale")
        await memory_and_scale(s, base)
    s.dump(args.out)


async def run_fetches(b: Browser, sid: str, tag: str) -> float:
    t0 = pc()
    reply = await b.call(
        "Runtime.evaluate",
        {"expression": f"runFetches({common.N_FETCH}, {tag!r})", "awaitPromise": True,
         "returnByValue": True},
        sid,
    )  # fmt: skip
    assert reply["result"]["value"] == common.N_FETCH, reply
    return (pc() - t0) * 1000


async def memory_and_scale(s: Samples, base: str) -> None:
    # Per browser: N browsers with one loaded page each.
    async with contextlib.AsyncExitStack() as stack:
        pids = []
        for _ in range(common.N_MEMORY):
            b = await stack.enter_async_context(launch())
            await b.goto(await b.page(), base + "/small.html")
            pids.append(b.proc.pid)
        await trio.sleep(common.SETTLE_S)
        s.add("mem_per_browser_mb", common.pss_bytes(pids) / common.N_MEMORY / 2**20)
    # Per context: one browser, N contexts with one loaded page each.
    async with launch() as b:
        await b.goto(await b.page(), base + "/small.html")
        await trio.sleep(common.SETTLE_S)
        before = common.pss_bytes([b.proc.pid])
        for _ in range(common.N_MEMORY):
            ctx = (await b.call("Target.createBrowserContext"))["browserContextId"]
            await b.goto(await b.page(ctx), base + "/small.html")
        await trio.sleep(common.SETTLE_S)
        after = common.pss_bytes([b.proc.pid])
        s.add("mem_per_context_mb", (after - before) / common.N_MEMORY / 2**20)
    # Scale: N_SCALE own-process browsers at once, each loading a page.
    t0 = pc()
    async with trio.open_nursery() as n:
        for _ in range(common.N_SCALE):
            n.start_soon(own_process_page, base)
    s.add("scale_ms", (pc() - t0) * 1000)


if __name__ == "__main__":
    trio.run(main, common.client_args())
