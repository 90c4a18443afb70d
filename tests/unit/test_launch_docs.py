"""launch/README.md documents every flag the launcher passes."""

from __future__ import annotations

import os

from cdpsession._launcher import OFFLINE_SAFE_FLAGS, QUIET_PROFILE_FLAGS, RESERVED_FLAGS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_every_launch_flag_is_documented() -> None:
    with open(os.path.join(ROOT, "launch", "README.md"), encoding="utf-8") as fh:
        doc = fh.read()
    for flag in (*OFFLINE_SAFE_FLAGS, *QUIET_PROFILE_FLAGS, *RESERVED_FLAGS):
        assert f"`{flag}`" in doc, flag


def test_offline_flags_match_the_bench_anchor_set() -> None:
    # The flags the bench harness measured Playwright with (shared/bench-anchors/flags.json),
    # less --headless which the launcher adds separately.
    assert set(OFFLINE_SAFE_FLAGS) == {
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    }
