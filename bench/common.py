"""Shared by every Python benchmark client: flags, sizes, /proc memory, samples."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cdpsession._launcher import OFFLINE_SAFE_FLAGS

HERE = os.path.dirname(os.path.abspath(__file__))

# The flags every client passes: cdpsession's own offline-safe set (a closed network needs it;
# see launch/README.md).
FLAGS = ["--headless", *OFFLINE_SAFE_FLAGS]
MARK = "--cdpsession-bench="  # an inert switch marking a launch, so it can be found and killed

N_RTT = 1000  # figure 3
N_FETCH = 500  # figure 4
N_COOKIES = 1000  # figure 5
COOKIE_DOMAINS = 10  # Chromium keeps at most 180 cookies per domain
N_MEMORY = 10  # figure 6
N_SCALE = 20  # figure 7
SETTLE_S = 1.0  # figure 6: pause before each memory reading

pc = time.perf_counter


def chromium() -> str:
    """The browser every client runs: cdpsession's own choice, so all measure the same one."""
    found = os.environ.get("CDPSESSION_CHROMIUM") or shutil.which("chromium")
    if not found:
        sys.exit("no chromium: run scripts/bench (it installs Debian's package)")
    return found


def new_mark() -> str:
    """A launch marker: the harness's run token (``$CDPSESSION_BENCH_RUN``), then a random part.

    The harness kills, by PID, any browser still carrying its run token after a run.
    """
    return MARK + os.environ.get("CDPSESSION_BENCH_RUN", "x") + "-" + secrets.token_hex(6)


def cookie_list(tag: str) -> list[dict[str, Any]]:
    return [
        {
            "name": f"{tag}{i}",
            "value": f"v{i}",
            "domain": f"d{i % COOKIE_DOMAINS}.test",
            "path": "/",
        }
        for i in range(N_COOKIES)
    ]


# -- /proc -------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def _tree(root: int, kids: dict[int, list[int]]) -> list[int]:
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def pss_bytes(roots: list[int]) -> int:
    """Proportional set size summed over the process trees under ``roots``.

    PSS shares each page among the processes that map it, so trees add up honestly.
    """
    kids = _children()
    total = 0
    for root in roots:
        for pid in _tree(root, kids):
            try:
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    for line in f:
                        if line.startswith("Pss:"):
                            total += int(line.split()[1]) * 1024
                            break
            except OSError:
                pass
    return total


def marked_pids(mark: str, *, browsers_only: bool) -> list[int]:
    """Processes whose command line carries ``mark`` (``browsers_only``: no ``--type=`` helpers)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv = f.read()
        except OSError:
            continue
        if mark.encode() in argv and not (browsers_only and b"--type=" in argv):
            out.append(int(d))
    return out


def browser_pids(mark: str) -> list[int]:
    """Browser processes (not renderers, not helpers) whose command line carries ``mark``."""
    return marked_pids(mark, browsers_only=True)


async def fetch_figures(
    s: Samples,
    reps: int,
    plain: Callable[[str], Awaitable[float]],
    intercepted: Callable[[str], Awaitable[float]] | None,
    unmatched: Callable[[str], Awaitable[float]] | None = None,
) -> None:
    """Figure 4: alternate plain and intercepted runs (order flips each rep) after a warm-up.

    Works under trio and asyncio alike (it only awaits). ``intercepted`` None: plain only.
    ``unmatched``: a run with a listener whose filter matches none of the requests.
    """
    pairs = [("p", plain)]
    if intercepted is not None:
        pairs.append(("i", intercepted))
    if unmatched is not None:
        pairs.append(("n", unmatched))
    for key, fn in pairs:
        await fn(f"warm-{key}")
    for i in range(reps * 2):
        order = pairs[::-1] if i % 2 else pairs
        got = {k: await fn(f"{k}{i}-{pc()}") for k, fn in order}
        s.add("fetch_plain_ms", got["p"])
        if "i" in got:
            s.add("fetch_intercept_ms", got["i"])
            s.add("fetch_ratio", got["i"] / got["p"])
        if "n" in got:
            s.add("fetch_unmatched_ms", got["n"])
            s.add("fetch_unmatched_ratio", got["n"] / got["p"])


async def rtt_figures(
    s: Samples,
    reps: int,
    call: Callable[[], Awaitable[object]],
    all_at_once: Callable[[int], Awaitable[None]],
) -> None:
    """Figure 3: ``call()`` N_RTT times in sequence (median per call), then N_RTT at once.

    ``all_at_once(n)`` runs ``call()`` n times concurrently (a nursery, or ``gather``).
    """
    for _ in range(50):
        await call()
    for _ in range(reps):
        times = []
        for _ in range(N_RTT):
            t0 = pc()
            await call()
            times.append(pc() - t0)
        times.sort()
        s.add("rtt_seq_us", times[len(times) // 2] * 1e6)
        t0 = pc()
        await all_at_once(N_RTT)
        s.add("rtt_conc_ms", (pc() - t0) * 1000)


# -- output ------------------------------------------------------------------------------


class Samples:
    """``{figure: [values]}`` plus free-form metadata, written as one JSON file."""

    def __init__(self, tool: str) -> None:
        self.tool = tool
        self.data: dict[str, list[float]] = {}
        self.meta: dict[str, Any] = {}

    def add(self, key: str, value: float) -> None:
        self.data.setdefault(key, []).append(value)

    def dump(self, path: str) -> None:
        with open(path, "w") as f:
            json.dump({"tool": self.tool, "meta": self.meta, "samples": self.data}, f, indent=1)


def client_args() -> argparse.Namespace:
    """The command line every client takes from the harness."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="the loopback server, http://127.0.0.1:PORT")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--out", required=True, help="where the samples go (JSON)")
    ap.add_argument("--skip-heavy", action="store_true", help="leave out figures 6 and 7")
    return ap.parse_args()


def log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)
