"""``python -m bench privacy`` keeps working: a quick run on four live nodes (two spaces, two
colluding peers) prints every figure; the figures themselves are what it measures."""

from __future__ import annotations

import re

from bench import BENCHMARKS, privacy


def test_quick_run_prints_every_linkage_figure(capsys):
    assert BENCHMARKS["privacy"] == "bench.privacy"
    assert privacy.main(["--quick"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith(("Le Phare", "La Fabrique"))]
    assert len(rows) == 2
    for row in rows:
        percents = [float(x) for x in re.findall(r"([\d.]+)%", row)]
        assert len(percents) == 5 and all(0 <= p <= 100 for p in percents)
        assert re.search(r"\s1\s", row)  # one lease date per peer for the whole space
    rollovers = re.findall(r"epoch rollover, .*: (\d+) entries retired; pairing by feed order right for ([\d.]+)%", out)
    assert len(rollovers) == 2 and all(int(n) > 0 for n, _ in rollovers)
