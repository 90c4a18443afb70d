"""``cdpsession demo`` passes every check it prints (it is the README's first command)."""

from __future__ import annotations

import io
import re

import pytest
import trio

from cdpsession._demo import run_demo

pytestmark = pytest.mark.integration


async def test_demo_checks_all_hold() -> None:
    out = io.StringIO()
    with trio.fail_after(180):
        code = await run_demo(out)
    report = out.getvalue()
    assert "FAILED" not in report, report
    assert code == 0
    assert re.search(r"\| resolve_proxy agreed with where each request went +\| ok +\|", report)
    assert re.search(r"\| web_request blocked the ad .* +\| ok +\|", report)
    assert re.search(r"\| web_request rewrote a response header +\| ok +\|", report)
