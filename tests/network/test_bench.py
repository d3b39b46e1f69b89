"""The search benchmark runs end to end (smoke mode) and prints its baseline ratio."""

from __future__ import annotations

import time

from bench import BENCHMARKS
from bench.__main__ import main


def test_quick_benchmark_prints_percentiles_and_the_like_ratio(capsys):
    assert "search" in BENCHMARKS
    started = time.monotonic()
    assert main(["search", "--quick"]) == 0
    assert time.monotonic() - started < 5
    out = capsys.readouterr().out
    assert "1,000 entries" in out
    for label in ("ours (top 20)", "free text", "+ facets", "naive LIKE scan", "ratio (LIKE p95 / ours p95)"):
        assert label in out


def test_reuse_keeps_the_built_database_and_searches_it_again(capsys, tmp_path):
    args = ["search", "--quick", "--reuse", "--sqlite-dir", str(tmp_path)]
    assert main(args) == 0
    assert "1,000 entries: built in" in capsys.readouterr().out
    kept = tmp_path / "bench_1000.sqlite3"
    assert kept.exists()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "1,000 entries: reused (built before)" in out and "ours (top 20)" in out
