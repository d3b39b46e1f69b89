"""``python -m bench faults [--quick] [--only a,c,...]``: the fault-injection scenarios of issue
19 played long on real nodes (``tests/fault/scenarios.py``; the tests run the same scenarios
short). For each: whether both sides of every cross-node object agreed in the end, how many
seconds that took once the fault was over, and the scenario's own figures.

a. 20 members of A register and cancel back to back to a session hosted on B, no fault;
b. A's clock 120 s ahead (its own process under libfaketime) for 30 s, then fixed;
c. host B down for 120 s while members of A and C register and cancel;
d. a lossy proxy (drops, cut answers, delays) between A and B for 60 s with registrations,
   cancellations and directory changes;
e. ``kill -9`` of ``coworknet sync`` in the middle of a pull of 20 000 entries;
f. ``kill -9`` of gunicorn workers (10) during 300 registration requests;
g. 30 regional invitations racing the feed item that carries the same event;
h. 25 members of the host and 25 of another node register at once for 5 seats.

Each scenario runs on SQLite, or PostgreSQL with ``COWORKNET_TEST_DATABASE_URL`` (the live
nodes of the test suite, ``tests/livenodes.py``)."""

from __future__ import annotations

import argparse
import logging
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from tests.fault import scenarios
from tests.livenodes import LiveNetwork

LONG: dict[str, Callable[[LiveNetwork, Path, bool], scenarios.Outcome]] = {
    "a": lambda net, folder, quick: scenarios.toggled_registrations(
        net, _now(), members=20, timeout=30 if quick else 120),
    "b": lambda net, folder, quick: scenarios.clock_skew(
        net, _now(), folder, skew=120, skewed_seconds=3 if quick else 30, timeout=30 if quick else 120),
    "c": lambda net, folder, quick: scenarios.host_down(
        net, _now(), down_seconds=3 if quick else 120, members=4 if quick else 10, timeout=30 if quick else 200),
    "d": lambda net, folder, quick: scenarios.lossy_link(
        net, _now(), lossy_seconds=6 if quick else 60, members=5 if quick else 10, timeout=30 if quick else 200),
    "e": lambda net, folder, quick: scenarios.scheduler_killed(
        net, folder, entries=4000 if quick else 20_000, page=100 if quick else 200,
        resume_timeout=30 if quick else 660, pull_timeout=600),
    "f": lambda net, folder, quick: scenarios.web_worker_killed(
        folder, _now(), members=40 if quick else 300, kills=4 if quick else 10, capacity=10 if quick else 50),
    "g": lambda net, folder, quick: scenarios.invitations_race(net, _now(), events=30, timeout=60),
    "h": lambda net, folder, quick: scenarios.waitlist_positions(
        net, _now(), members=5 if quick else 25, capacity=2 if quick else 5, timeout=60),
}


def _now() -> datetime:
    return datetime.now(UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench faults", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the short versions (as the tests run them)")
    parser.add_argument("--only", default="", help="scenario letters, comma-separated (default: all)")
    args = parser.parse_args(argv)
    for name in ("werkzeug", "node", "federation", "tests"):
        logging.getLogger(name).setLevel(logging.ERROR)
    chosen = [s for s in args.only.split(",") if s] or list(LONG)
    failed = 0
    for letter in chosen:
        with tempfile.TemporaryDirectory(prefix=f"bench-faults-{letter}-") as root:
            network = LiveNetwork(Path(root))
            try:
                outcome = LONG[letter](network, Path(root), args.quick)
            finally:
                network.close()
        failed += outcome.seconds is None
        print(outcome.report(), flush=True)
        for problem in outcome.problems[:10]:
            print("    " + problem, flush=True)
        if len(outcome.problems) > 10:
            print(f"    ... and {len(outcome.problems) - 10} more", flush=True)
    print(f"faults: {len(chosen) - failed} of {len(chosen)} scenarios converged")
    return 0  # a measurement: the figures are the result (the tests assert)
