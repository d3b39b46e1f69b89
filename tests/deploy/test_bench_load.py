"""``python -m bench load --quick`` keeps working: a small node served by gunicorn with the
shipped config, driven at two concurrency levels by signed-in members and API clients, then
the static ceiling; every request kind is sent and none fails. (On PostgreSQL when the suite
runs on it, in a database of its own.)"""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy.engine import make_url

from bench import BENCHMARKS, load

pytestmark = pytest.mark.slow


def test_quick_run_serves_every_kind_of_request_without_an_error(capsys):
    assert BENCHMARKS["load"] == "bench.load"
    args = ["--quick"]
    if pg := os.environ.get("COWORKNET_TEST_DATABASE_URL"):
        base = make_url(pg)
        args += ["--database-url", base.set(database=f"{base.database}_bench_load").render_as_string(False)]
    assert load.main(args) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"^\| (\d+) \| (\d+) \| ([\d.]+) / ([\d.]+) / ([\d.]+) \| (\d+) \| (\d+) \|", out, re.M)
    assert [int(r[0]) for r in rows] == [1, 4]
    for _level, rate, p50, p95, p99, errors, static in rows:
        assert int(rate) > 0 and int(static) > 0
        assert float(p50) <= float(p95) <= float(p99)
        assert errors == "0", out
    kinds = set(re.findall(r"^    (\w+) +\d+  p50", out, re.M))
    assert {"home", "agenda", "event", "directory", "profile", "needs", "network", "register", "cancel",
            "api_events", "api_members"} <= kinds, out
    assert re.search(r"cpu: workers [\d.]+, database (-|[\d.]+), load generator [\d.]+, machine [\d.]+ cores; "
                     r"per request: workers [\d.]+, database (-|[\d.]+), load generator [\d.]+ ms", out)
    assert "goal: no errors: PASS" in out
