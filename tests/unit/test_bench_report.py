"""The benchmark table: medians, ranges, ratios and the reasons for missing figures."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))

import report  # lives in bench/, which is not a package


def test_summarize_gives_median_min_max_and_count() -> None:
    cell = report.summarize([5.0, 1.0, 3.0, 9.0])
    assert cell == report.Cell(median=4.0, low=1.0, high=9.0, count=4)
    assert report.summarize([]) is None


def test_ratio_is_ours_over_theirs() -> None:
    ours = report.summarize([90.0])
    theirs = report.summarize([100.0, 120.0, 80.0])
    assert report.ratio(ours, theirs) == 0.9
    assert report.ratio(None, theirs) is None
    assert report.ratio(ours, None) is None


def test_table_rows_cells_ratios_and_missing_reasons() -> None:
    by_tool = {
        "floor": {"rtt_seq_us": [300.0, 250.0, 280.0], "mem_per_context_mb": [40.0]},
        "cdpsession": {"rtt_seq_us": [270.0, 260.0, 250.0]},
        "playwright": {"rtt_seq_us": [500.0], "mem_per_context_mb": [80.0]},
    }
    lines = report.render(by_tool).splitlines()
    assert lines[0] == (
        "| figure | unit | floor | cdpsession | Playwright | cdp/floor | cdp/Playwright | target |"
    )
    assert lines[2] == (
        "| 3. round trip '1+1', sequential (median) | us | 280 (250-300) | 260 (250-270) "
        "| 500 (500-500) | 0.93x | 0.52x | <= 1.15x floor |"
    )
    assert lines[3] == (
        "| 6. PSS per context partition | MB | 40.0 (40.0-40.0) | - [1] | 80.0 (80.0-80.0) "
        "| - | - |  |"
    )
    # Figures nobody measured are left out; the reason for cdpsession's gap is footnoted.
    assert len(lines) == 6
    assert lines[5] == "[1] 6. PSS per context partition: no dense mode yet.  "


def test_every_figure_key_is_unique() -> None:
    keys = [fig.key for fig in report.FIGURES]
    assert len(keys) == len(set(keys))
