"""Turn the samples of one sitting into the table ``scripts/bench`` prints.

Each cell is the median of every sample a tool gave for a figure in the sitting, with min-max;
ratios divide cdpsession's median by the other tool's. No figure is invented: a tool that did
not measure something shows a dash, and cdpsession's missing figures say which issue brings
them.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

import attrs

TOOLS = ("floor", "cdpsession", "playwright", "puppeteer")
TOOL_NAMES = {
    "floor": "floor",
    "cdpsession": "cdpsession",
    "playwright": "Playwright",
    "puppeteer": "Puppeteer",
}


@attrs.frozen
class Figure:
    key: str
    label: str
    unit: str
    target: str = ""  # the target for cdpsession, in words
    missing: str = ""  # why cdpsession has no sample yet


FIGURES: tuple[Figure, ...] = (
    Figure("launch_ms", "1. cold start: spawn to first CDP reply", "ms", "<= 1.10x floor"),
    Figure(
        "persistent_page_ms",
        "1. cold start: persistent profile + first page loaded",
        "ms",
        "<= 1.10x floor",
    ),
    Figure(
        "partition_page_ms",
        "2. new partition, own browser + page loaded",
        "ms",
        "<= 1.10x floor",
    ),
    Figure(
        "context_page_ms",
        "2. new context partition + page loaded",
        "ms",
        "<= 1.10x floor",
        missing="no dense mode yet (every partition is its own browser)",
    ),
    Figure("rtt_seq_us", "3. round trip '1+1', sequential (median)", "us", "<= 1.15x floor"),
    Figure("rtt_conc_ms", "3. round trip '1+1', 1,000 concurrent", "ms", "<= 1.00x floor"),
    Figure("fetch_plain_ms", "4. page fetching 500 resources, plain", "ms"),
    Figure("fetch_intercept_ms", "4. the same, every request intercepted", "ms"),
    Figure("fetch_ratio", "4. intercepted / plain", "x", "<= 1.47"),
    Figure(
        "fetch_unmatched_ms",
        "4. the same, a web_request filter matching none",
        "ms",
    ),
    Figure("fetch_unmatched_ratio", "4. filter matching none / plain", "x", "<= 1.00"),
    Figure("cookies_set_ms", "5. set 1,000 cookies, one call each", "ms"),
    Figure("cookies_get_ms", "5. read 1,000 cookies back", "ms"),
    Figure("mem_per_browser_mb", "6. PSS per partition with its own browser", "MB"),
    Figure(
        "mem_per_context_mb",
        "6. PSS per context partition",
        "MB",
        missing="no dense mode yet",
    ),
    Figure("scale_ms", "7. 20 partitions at once, each loading a page", "ms"),
)


@attrs.frozen
class Cell:
    median: float
    low: float
    high: float
    count: int


def summarize(samples: Sequence[float]) -> Cell | None:
    """Median, min, max and count of a figure's samples; None when there are none."""
    if not samples:
        return None
    return Cell(statistics.median(samples), min(samples), max(samples), len(samples))


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cell(cell: Cell | None) -> str:
    if cell is None:
        return "-"
    return f"{_number(cell.median)} ({_number(cell.low)}-{_number(cell.high)})"


def ratio(ours: Cell | None, theirs: Cell | None) -> float | None:
    """cdpsession's median over another tool's, None when either is missing."""
    if ours is None or theirs is None or theirs.median == 0:
        return None
    return ours.median / theirs.median


def render(
    by_tool: Mapping[str, Mapping[str, Sequence[float]]],
    tools: Sequence[str] = TOOLS,
) -> str:
    """The table (GitHub markdown) of every figure for every tool that ran."""
    present = [t for t in tools if t in by_tool]
    others = [t for t in present if t != "cdpsession"]
    head = ["figure", "unit", *(TOOL_NAMES[t] for t in present)]
    head += [f"cdp/{TOOL_NAMES[t]}" for t in others if "cdpsession" in present]
    head.append("target")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    notes = []
    for fig in FIGURES:
        cells = {t: summarize(by_tool[t].get(fig.key, [])) for t in present}
        if all(c is None for c in cells.values()):
            continue
        row = [fig.label, fig.unit, *(_cell(cells[t]) for t in present)]
        if "cdpsession" in present:
            for t in others:
                r = ratio(cells["cdpsession"], cells[t])
                row.append("-" if r is None else f"{r:.2f}x")
        row.append(fig.target)
        if "cdpsession" in present and cells["cdpsession"] is None and fig.missing:
            notes.append(f"{fig.label}: {fig.missing}.")
            row[2 + present.index("cdpsession")] = f"- [{len(notes)}]"
        lines.append("| " + " | ".join(row) + " |")
    if notes:
        lines += ["", *(f"[{i}] {note}  " for i, note in enumerate(notes, 1))]
    return "\n".join(lines) + "\n"
