"""``python -m bench propagation --quick``: three real nodes, each its own process with its
scheduler, a few changes of each kind, timed with hints and without (a smoke run of the
benchmark; the figures are the full run's, in bench/RESULTS.md)."""

from __future__ import annotations

import re

import pytest

from bench import BENCHMARKS, propagation

pytestmark = pytest.mark.real_timers


def test_bench_propagation_runs_end_to_end(capsys):
    assert BENCHMARKS["propagation"] == "bench.propagation"
    assert propagation.main(["--quick"]) == 0
    output = capsys.readouterr().out
    assert "3 nodes (one process each: web server and scheduler, SQLite)" in output
    assert "still missing" not in output and "no sample" not in output
    for mode in ("with hints", "without hints"):
        for kind in propagation.KINDS:
            line = re.search(rf"{mode}\s+{kind}\s+(\d+) samples\s+p50\s+([\d.]+) s\s+p95\s+([\d.]+) s"
                             rf"\s+max\s+([\d.]+) s", output)
            assert line is not None, (mode, kind)
            assert int(line.group(1)) == 8  # four changes, each reaching both peers
    hinted = re.search(r"with hints\s+(\d+) hints received by the 2 peers for 8 changes", output)
    assert hinted is not None and int(hinted.group(1)) > 0
