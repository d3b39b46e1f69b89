"""``python -m bench quality`` keeps working: a quick run on two live nodes computes every
metric of every scope (the goals themselves are what the benchmark measures, not asserted)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from bench import BENCHMARKS, quality
from bench.quality_data import HELDOUT, QUERIES, SPACE_A, SPACE_B

CATEGORIES = {"exact-fr", "exact-en", "no-accents", "typo", "inclusive", "abbreviation",
              "related", "trade", "need"}


def folded(text: str) -> str:
    """Lower-cased, accents dropped: two texts equal under it are the same query."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower())
                   if not unicodedata.combining(c))


def test_the_population_and_the_queries_are_the_size_the_issue_asks_for():
    assert len(SPACE_A) + len(SPACE_B) >= 150 and len(SPACE_A) != len(SPACE_B)
    assert len(QUERIES) >= 150
    assert {q.category for q in QUERIES} == CATEGORIES
    visibilities = Counter(p.visibility for p in SPACE_A + SPACE_B)
    assert set(visibilities) == {"space", "network_anonymous", "network_named"}
    people = SPACE_A + SPACE_B
    for query in QUERIES:  # every query has someone to find
        assert any(p.labels & query.labels for p in people), query.text


def test_the_heldout_queries_are_new_and_each_has_someone_to_find():
    assert len(HELDOUT) >= 80
    assert {q.category for q in HELDOUT} == CATEGORIES
    tuned = {folded(query.text) for query in QUERIES}
    texts = [folded(query.text) for query in HELDOUT]
    assert not tuned & set(texts)  # none repeats a query of the tuning set
    assert len(set(texts)) == len(texts)
    people = SPACE_A + SPACE_B
    for query in HELDOUT:
        assert any(p.labels & query.labels for p in people), query.text


def test_quick_run_scores_every_scope_within_bounds(monkeypatch, capsys):
    assert BENCHMARKS["quality"] == "bench.quality"
    runs = []
    measure = quality.measure
    monkeypatch.setattr(quality, "measure", lambda *args: runs.append(measure(*args))
                        or runs[-1])
    status = quality.main(["--quick", "--check", "--worst", "2"])
    [run] = runs
    assert len(run.queries) == 9 * quality.QUICK_PER_CATEGORY
    assert len(run.heldout) == 9 * quality.QUICK_HELDOUT_PER_CATEGORY
    assert not {q.text for q in run.heldout} & {q.text for q in run.queries}
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
    # The held-out set ran on the same nodes: its figures beside each goal and in its block.
    assert len(re.findall(r": (?:PASS|FAIL) \(held-out: [\d.]+\)", output)) == len(quality.GOALS)
    assert f"held-out ({len(run.heldout)} queries never tuned on)" in output
    for scope in quality.SCOPES:
        assert re.search(rf"  {scope}\s+" + r"[\d.]+\s+" * 5 + r"\d+", output), scope
    assert status == (1 if "FAIL" in verdicts else 0)  # --check: non-zero when a goal fails
