"""``python -m bench load --pages``: each request kind of the load mix, served in this process
by the node's own app (no gunicorn, no other client): the SQL statements it sends and the CPU
it costs (the best of a few rounds, which a busy machine disturbs least), and the mix's
weighted mean — what one request of the load costs the workers, measured without the noise of
a shared machine. The same seeded node as the load (``--reuse DIR`` to keep it).

It runs as a script of its own (``python bench/load_pages.py INSTANCE PLAN.json WEIGHTS.json``,
which ``python -m bench load --pages`` starts) so that ``--server-root`` can measure another
checkout's code: it imports nothing but that checkout's ``node``."""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import event as sa_event

ROUNDS = 5


def _paths(plan: dict, rng: random.Random) -> dict[str, list[str]]:
    """A few concrete requests per kind (the load draws its events, people and words alike)."""
    events = rng.sample(plan["event_ids"], min(4, len(plan["event_ids"])))
    people = rng.sample(plan["member_ids"], min(4, len(plan["member_ids"])))
    words = rng.sample(plan["skill_words"], min(3, len(plan["skill_words"])))
    return {
        "home": ["/"], "agenda": ["/events"], "event": [f"/events/{e}" for e in events],
        "directory": ["/directory"], "directory_q": ["/directory?" + urlencode({"q": w}) for w in words],
        "profile": [f"/members/{p}" for p in people], "needs": ["/connector/needs"],
        "network": ["/network?" + urlencode({"q": w}) for w in words], "notifications": ["/notifications"],
        "api_events": ["/api/v1/events"], "api_event": [f"/api/v1/events/{e}" for e in events],
        "api_members": ["/api/v1/members"], "api_needs": ["/api/v1/needs"],
        "api_mine": ["/api/v1/me/registrations"],
    }


def measure(instance: Path, plan: dict, weights: dict[str, float]) -> list[str]:
    """Print-ready lines: per kind, statements and CPU ms; then the weighted mean."""
    from node import create_app
    from node.db import db

    app = create_app({"INSTANCE_PATH": str(instance), "LOG_LEVEL": "WARNING"})
    member_id, _email, token = plan["clients"][0]
    client = app.test_client()
    with app.app_context():
        from node.members.models import Member

        member = db.session.get(Member, member_id)
        with client.session_transaction() as cookie:
            cookie["member_id"], cookie["sv"] = member.id, member.session_version
    sent = [0]

    def count(*_args) -> None:
        sent[0] += 1

    engine = db.engine(app)
    sa_event.listen(engine, "before_cursor_execute", count)
    lines, costs = [], {}
    try:
        for kind, paths in _paths(plan, random.Random(5)).items():
            headers = {"Authorization": f"Bearer {token}"} if kind.startswith("api_") else {}
            statements, cpu = [], []
            for path in paths:
                client.get(path, headers=headers)  # what a process reads once
                sent[0] = 0
                status = client.get(path, headers=headers).status_code
                statements.append(sent[0])
                best = float("inf")
                for _ in range(ROUNDS):
                    started = time.process_time()
                    client.get(path, headers=headers)
                    best = min(best, time.process_time() - started)
                cpu.append(best * 1000)
                if status != 200:
                    lines.append(f"    {kind}: {path} answered {status}")
            costs[kind] = sum(cpu) / len(cpu)
            lines.append(f"    {kind:<14} statements {min(statements):4d}–{max(statements):<4d} "
                         f"CPU {costs[kind]:6.1f} ms")
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
        engine.dispose()
    known = {k: w for k, w in weights.items() if k in costs}
    mean = sum(costs[k] * w for k, w in known.items()) / sum(known.values())
    lines.append(f"the mix's weighted mean: {mean:.1f} ms of CPU per request in the app "
                 f"(the cores' limit without the database: {2000 / mean:.0f} requests/s on 2 cores)")
    return lines


if __name__ == "__main__":
    folder, plan_file, weights_file = sys.argv[1:4]
    print("\n".join(measure(Path(folder), json.loads(Path(plan_file).read_text(encoding="utf-8")),
                             json.loads(Path(weights_file).read_text(encoding="utf-8")))), flush=True)
