"""``python -m bench quality`` keeps working: a quick run on two live nodes computes every
metric of every scope (the goals themselves are what the benchmark measures, not asserted)."""

from __future__ import annotations

import re
from collections import Counter

from bench import BENCHMARKS, quality
from bench.quality_data import QUERIES, SPACE_A, SPACE_B


def test_the_population_and_the_queries_are_the_size_the_issue_asks_for():
    assert len(SPACE_A) + len(SPACE_B) >= 150 and len(SPACE_A) != len(SPACE_B)
    assert len(QUERIES) >= 150
    assert {q.category for q in QUERIES} == {
        "exact-fr", "exact-en", "no-accents", "typo", "inclusive", "abbreviation", "related",
        "trade", "need"}
    visibilities = Counter(p.visibility for p in SPACE_A + SPACE_B)
    assert set(visibilities) == {"space", "network_anonymous", "network_named"}
    people = SPACE_A + SPACE_B
    for query in QUERIES:  # every query has someone to find
        assert any(p.labels & query.labels for p in people), query.text


def test_quick_run_scores_every_scope_within_bounds(monkeypatch, capsys):
    assert BENCHMARKS["quality"] == "bench.quality"
    runs = []
    measure = quality.measure
    monkeypatch.setattr(quality, "measure", lambda queries: runs.append(measure(queries))
                        or runs[-1])
    status = quality.main(["--quick", "--check", "--worst", "2"])
    [run] = runs
    assert len(run.queries) == 9 * quality.QUICK_PER_CATEGORY
    for scope in quality.SCOPES:
        scored = run.outcomes[scope]
        assert scored, scope
        for outcome in scored:
            assert outcome.relevant > 0
            assert all(0.0 <= value <= 1.0 for value in outcome.values.values())
        assert all(0.0 <= value <= 1.0 for value in quality.averages(scored).values())
    # The network holds B's entries after the real sync, and some of B's people are found.
    assert any(outcome.found for outcome in run.outcomes["other space"])
    output = capsys.readouterr().out
    for scope in quality.SCOPES:
        assert f"{scope}: {len(run.outcomes[scope])} queries scored" in output
    assert re.search(r"overall\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+\d+", output)
    verdicts = re.findall(r">= [\d.]+: (PASS|FAIL)", output)
    assert len(verdicts) == len(quality.GOALS)
    assert status == (1 if "FAIL" in verdicts else 0)  # --check: non-zero when a goal fails
