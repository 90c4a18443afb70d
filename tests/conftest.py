"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Every browser this run starts inherits the tag, so the leak check counts only ours.
os.environ.setdefault("CDPSESSION_LEAK_TAG", f"pytest-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def leak_snapshot() -> set[str]:
    """What cdpsession could leave behind right now (scripts/leaks list)."""
    out = subprocess.run(
        ["bash", os.path.join(ROOT, "scripts", "leaks"), "list"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {line for line in out.splitlines() if line.strip()}


@pytest.fixture(scope="session", autouse=True)
def _no_leaks_after_the_suite() -> Iterator[None]:
    """After the whole suite, no Chromium started by it remains and no temp folder is left."""
    before = leak_snapshot()
    yield
    left = leak_snapshot() - before
    if left:
        # What another run was just creating or removing is gone a moment later.
        time.sleep(2)
        left &= leak_snapshot()
    assert not left, f"the test suite left these behind: {sorted(left)}"


@pytest.fixture
def data_dir() -> Iterator[str]:
    """A fresh user_data_dir for one test, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="cdps-test-data-") as path:
        yield path
