"""``python -m bench pass --quick`` runs: the desk's offline check timed next to a raw Ed25519
verify (the 5 ms target itself is the full benchmark's, on a quiet machine)."""

from __future__ import annotations

import re

from bench import passes


def test_the_pass_benchmark_runs_and_prints_the_ratio(capsys):
    status = passes.main(["--quick"])
    out = capsys.readouterr().out
    assert "200 offline checks" in out
    row = re.search(r"desk check \(keys, agreement, revocations\)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", out)
    assert row, out
    p50, p95, ratio = (float(v) for v in row.groups())
    assert 0 < p50 <= p95 and ratio > 1
    assert status == (0 if p95 <= passes.TARGET_P95_MS else 1)
