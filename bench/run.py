"""The benchmark harness: every client on the same Chromium, in one sitting, as ratios.

Starts the loopback server (its own process), then runs each client once per round, rotating
the order, each in a process of its own after the machine has gone quiet; kills by PID any
browser a run left behind; writes ``bench/results/<UTC time>/`` (every run's samples,
``results.json``, ``table.md``) and prints the table.

usage: run.py [--rounds N] [--reps N] [--tools floor,cdpsession,playwright,puppeteer]
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

import common
import report

HERE = common.HERE
QUIET_CPUS = 0.3  # other processes' CPU use (in cores) a run waits to fall under
QUIET_WAIT_S = 30.0
RUN_TIMEOUT_S = 600


def clients() -> dict[str, list[str]]:
    """The command of every client this machine can run."""
    found = {
        "floor": [sys.executable, os.path.join(HERE, "floor.py")],
        "cdpsession": [sys.executable, os.path.join(HERE, "client_cdpsession.py")],
    }
    if importlib.util.find_spec("playwright") is not None:
        found["playwright"] = [sys.executable, os.path.join(HERE, "client_playwright.py")]
    node = shutil.which("node")
    if node and os.path.isdir(os.path.join(HERE, "puppeteer", "node_modules", "puppeteer-core")):
        found["puppeteer"] = [node, os.path.join(HERE, "puppeteer", "bench.js")]
    return found


def _busy_jiffies() -> tuple[int, int]:
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def cpu_in_use(seconds: float = 0.5) -> float:
    """Cores in use by the whole machine over ``seconds``."""
    busy0, total0 = _busy_jiffies()
    time.sleep(seconds)
    busy1, total1 = _busy_jiffies()
    ncpu = os.cpu_count() or 1
    return (busy1 - busy0) / max(1, total1 - total0) * ncpu


def wait_quiet() -> float:
    """Wait (bounded) until the machine is quiet; return the load seen last."""
    deadline = time.monotonic() + QUIET_WAIT_S
    load = cpu_in_use()
    while load > QUIET_CPUS and time.monotonic() < deadline:
        load = cpu_in_use()
    return load


def kill_marked(token: str) -> list[int]:
    """SIGKILL, by PID, every process whose command line carries the run's token."""
    killed = []
    for pid in common.marked_pids(token, browsers_only=False):
        try:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        except OSError:
            pass
    return killed


def run_one(
    tool: str, argv: list[str], base: str, reps: int, out: str, *, heavy: bool
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    token = secrets.token_hex(4)
    mark = common.MARK + token + "-"
    env = dict(os.environ)
    # A TMPDIR per run: what a client or its browsers leave there is counted, then removed.
    # Short (Chromium's socket path in it has a length limit).
    tmp = tempfile.mkdtemp(prefix="cdpbench-run-")
    env["TMPDIR"] = tmp
    env["CDPSESSION_CHROMIUM"] = common.chromium()
    env["CDPSESSION_BENCH_RUN"] = token
    env["CDPSESSION_BENCH_ENV"] = json.dumps(
        {
            "chromium": env["CDPSESSION_CHROMIUM"],
            "flags": common.FLAGS,
            "mark": mark,
            "counts": {
                "rtt": common.N_RTT,
                "fetch": common.N_FETCH,
                "cookies": common.N_COOKIES,
                "cookie_domains": common.COOKIE_DOMAINS,
                "memory": common.N_MEMORY,
                "scale": common.N_SCALE,
                "settle_s": common.SETTLE_S,
            },
        }
    )
    load = wait_quiet()
    t0 = time.monotonic()
    proc = subprocess.run(
        [*argv, "--base", base, "--reps", str(reps), "--out", out]
        + ([] if heavy else ["--skip-heavy"]),
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    info: dict[str, Any] = {
        "tool": tool,
        "seconds": round(time.monotonic() - t0, 1),
        "load_before": round(load, 2),
        "returncode": proc.returncode,
        "killed_after": kill_marked(mark),
        "temp_left": sorted(os.listdir(tmp)),
    }
    shutil.rmtree(tmp, ignore_errors=True)
    if proc.returncode != 0 or not os.path.exists(out):
        return None, info
    with open(out) as f:
        return json.load(f), info


# Folders cdpsession and our own clients make outside a run's TMPDIR (in-memory profiles go
# to /dev/shm); none may outlive a sitting.
_TEMP_PREFIXES = ("cdpbench-", "cdpsession-")
OURS = ("floor", "cdpsession")


def temp_folders() -> set[str]:
    found = set()
    for root in {"/tmp", "/dev/shm", os.environ.get("TMPDIR", "/tmp")}:
        try:
            names = os.listdir(root)
        except OSError:
            continue
        found |= {os.path.join(root, n) for n in names if n.startswith(_TEMP_PREFIXES)}
    return found


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), ""
            )
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = model or platform.machine()
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--tools", default=",".join(report.TOOLS))
    args = ap.parse_args()
    available = clients()
    wanted = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in wanted if t not in report.TOOLS]
    if unknown:
        sys.exit(f"unknown tools {unknown}; choose from {', '.join(report.TOOLS)}")
    tools = [t for t in wanted if t in available]
    for t in wanted:
        if t not in available:
            common.log(f"[bench] {t}: not installed here, skipped")
    started = datetime.datetime.now(datetime.UTC)
    folder = os.path.join(HERE, "results", started.strftime("%Y-%m-%dT%H-%M-%S"))
    os.makedirs(folder)
    temp_before = temp_folders()
    server = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "server.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    assert server.stdin is not None
    try:
        base = f"http://127.0.0.1:{int(server.stdout.readline())}"
        by_tool: dict[str, dict[str, list[float]]] = {t: {} for t in tools}
        runs = []
        meta: dict[str, Any] = {}
        for rnd in range(args.rounds):
            order = tools[rnd % len(tools) :] + tools[: rnd % len(tools)]
            for tool in order:
                common.log(f"[bench] round {rnd + 1}/{args.rounds}: {tool}")
                out = os.path.join(folder, f"run-{rnd}-{tool}.json")
                # Figures 6 and 7 (10 and 20 browsers) once a sitting: they take half a run.
                result, info = run_one(tool, available[tool], base, args.reps, out, heavy=rnd == 0)
                runs.append(info)
                if result is None:
                    common.log(f"[bench] {tool} failed: {info}")
                    continue
                meta.setdefault(tool, result.get("meta", {}))
                for key, values in result["samples"].items():
                    by_tool[tool].setdefault(key, []).extend(values)
    finally:
        server.stdin.close()
        server.wait(10)
    table = report.render(by_tool)
    when = started.strftime("%Y-%m-%d %H:%M UTC")
    loads = [r["load_before"] for r in runs]
    header = (
        f"{when}, {machine()}, {meta.get('floor', {}).get('browser', 'Chromium')}; "
        f"{args.rounds} round(s) x {args.reps} rep(s) (figures 6 and 7: first round only); "
        f"other load at the start of a run: {max(loads, default=0):.2f} cores at most; "
        "medians (min-max) over the sitting.\n\n"
    )
    with open(os.path.join(folder, "results.json"), "w") as f:
        json.dump({"when": when, "machine": machine(), "meta": meta, "runs": runs,
                   "samples": by_tool}, f, indent=1)  # fmt: skip
    with open(os.path.join(folder, "table.md"), "w") as f:
        f.write(header + table)
    print(header + table)
    print(f"samples and table: {folder}")
    failed = [r for r in runs if r["returncode"] != 0]
    left = sorted(temp_folders() - temp_before)
    left += [f"{r['tool']}: {n}" for r in runs if r["tool"] in OURS for n in r["temp_left"]]
    if left:
        common.log(f"[bench] left behind by cdpsession or our clients: {left}")
    peers = sorted(
        {f"{r['tool']}: {n}" for r in runs if r["tool"] not in OURS for n in r["temp_left"]}
    )
    if peers:
        common.log(f"[bench] the peers left (removed): {peers}")
    return 1 if failed or left else 0


if __name__ == "__main__":
    sys.exit(main())
