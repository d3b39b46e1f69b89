"""``python -m bench network --quick``: four real node processes joined through a roster,
every pair peered, changes propagated and the figures printed (a smoke run of the bench)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: The node processes' schedulers wait on timers, which never time out under libfaketime.
pytestmark = pytest.mark.real_timers

ROOT = Path(__file__).resolve().parents[2]


def test_bench_network_quick_runs():
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench", "network", "--quick"], cwd=ROOT, capture_output=True,
        text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "all 6 peerings approved" in done.stdout and "peered with all 3 others" in done.stdout
    result = json.loads(done.stdout.strip().splitlines()[-1])[0]
    assert result["nodes"] == 4
    for kind in ("directory entry", "session change"):
        assert result[kind]["n"] == 2 * 3  # two changes of each kind, each to three peers
    assert result["rss_mb"] > 0 and result["bytes_per_change"] > 0
