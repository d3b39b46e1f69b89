"""``python -m bench sync`` keeps working (a tiny run)."""

from __future__ import annotations

import re

from bench import BENCHMARKS
from bench import sync as bench_sync


def test_bench_sync_runs_end_to_end(capsys):
    assert BENCHMARKS["sync"] == "bench.sync"
    assert bench_sync.main(["--quick"]) == 0
    output = capsys.readouterr().out
    assert "initial sync: 60 entries" in output and "incremental sync of 3 changes" in output
    # The verify rate sampled after each page (one page here) and the ratios to both baselines.
    assert "raw Ed25519 verify rate during the sync" in output
    assert "50 verifications timed after the pages" in output
    assert "during the sync (same conditions); quiet machine:" in output
    assert re.search(r"raw Ed25519 verify rate of all \d+ cores at once: [\d,]+/s", output)
    assert "to all cores at once" in output
    # Three pages of 20: the signature worker checked the last two, and its CPU is counted.
    assert "over 3 pages" in output
    worker = re.search(r"its signature worker (\d+) µs \(past the first page\)", output)
    assert worker is not None and int(worker.group(1)) > 0


def test_bench_sync_without_the_worker(capsys):
    assert bench_sync.main(["--quick", "--no-worker"]) == 0
    output = capsys.readouterr().out
    assert "initial sync: 60 entries" in output
    assert "its signature worker 0 µs (none)" in output
