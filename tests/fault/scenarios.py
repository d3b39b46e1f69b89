"""The fault scenarios of issue 19, each a function of its sizes and durations: the tests run
them short (``tests/fault/``), ``python -m bench faults`` long. Each plays its fault on real
nodes, lets their schedulers run, and ends by measuring how long the nodes took to converge
(:func:`tests.fault.harness.converge`): an :class:`Outcome` with the seconds (None when they
did not converge in time), what still differed, and the scenario's own figures."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from node.events import registrations
from node.federation.models import DELIVERY_DEAD
from node.models import OutboxMessage, Registration, RegionalEvent
from tests.fault.harness import (
    Intent,
    Person,
    Proxied,
    act,
    build_week,
    converge,
    host_counts,
    host_session,
    people,
    registration_path,
    schedulers,
)
from tests.livenodes import LiveNetwork
from tests.regional.conftest import call, local


@dataclass
class Outcome:
    name: str
    seconds: float | None  # to converge once the fault was over; None: not within the timeout
    problems: list[str]
    figures: dict[str, Any] = field(default_factory=dict)

    def report(self) -> str:
        state = f"converged in {self.seconds:.1f} s" if self.seconds is not None else \
            f"NOT converged ({len(self.problems)} problems)"
        extra = ", ".join(f"{k} {v}" for k, v in self.figures.items())
        return f"{self.name}: {state}" + (f"; {extra}" if extra else "")

    def check(self) -> None:
        assert self.seconds is not None, self.report() + "\n  " + "\n  ".join(self.problems[:40])


def _in_parallel(jobs: list, workers: int = 8) -> list:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: job(), jobs))


# --- a. register/cancel toggled back to back, no fault -------------------------------------------

def toggled_registrations(network: LiveNetwork, now: datetime, *, members: int = 20,
                          timeout: float = 30.0, interval: float = 1.0) -> Outcome:
    """``members`` people of A each register to a session hosted on B and cancel at once
    (API, back to back, all at the same time). Ends: everyone cancelled on both sides."""
    week = build_week(network, now, names=("aix", "bleau"))
    aix, bleau = week.nodes
    object_id = host_session(week, bleau, capacity=members * 2)
    path = registration_path(week, aix, object_id)
    crowd = people(aix, members)
    intent = Intent()
    codes: list[tuple[int, int]] = []

    def toggle(person: Person):
        return lambda: (act(person, path, "register"), act(person, path, "cancel"))

    with schedulers(week.nodes, interval):
        codes = _in_parallel([toggle(person) for person in crowd])
        for person in crowd:
            intent.note(person, object_id, wants=False)
        seconds, problems = converge(week.nodes, timeout, intent=intent)
    return Outcome("a. register/cancel toggled", seconds, problems,
                   {"answers": sorted(set(codes)), "host holds": host_counts(bleau)})


# --- c. host down while members of two nodes register and cancel ---------------------------------

def host_down(network: LiveNetwork, now: datetime, *, down_seconds: float = 4.0, members: int = 4,
              timeout: float = 30.0, interval: float = 1.0) -> Outcome:
    """B hosts a session (capacity 3); members of A and C register before, then B goes down
    for ``down_seconds`` while some cancel, others register, others register and cancel.
    Measures the seconds to converge once B is back."""
    week = build_week(network, now)
    aix, bleau, calanques = week.nodes
    object_id = host_session(week, bleau, capacity=3)
    intent = Intent()
    crowds = {node: people(node, members) for node in (aix, calanques)}
    paths = {node: registration_path(week, node, object_id) for node in crowds}
    with schedulers(week.nodes, interval):
        early = [p for crowd in crowds.values() for p in crowd[: members // 2]]
        _in_parallel([lambda p=p: act(p, paths[p.node], "register") for p in early])
        for p in early:
            intent.note(p, object_id, wants=True)
        settled, problems = converge(week.nodes, timeout, intent=intent)
        if settled is None:
            return Outcome("c. host down", None, ["before the outage: " + x for x in problems])
        bleau.stop()
        down_at = time.monotonic()
        moves: list = []
        for crowd in crowds.values():
            for i, p in enumerate(crowd):
                if i < members // 2 and i % 2 == 0:
                    moves.append((p, ["cancel"], False))
                elif i >= members // 2 and i % 2 == 0:
                    moves.append((p, ["register"], True))
                elif i >= members // 2:
                    moves.append((p, ["register", "cancel"], False))
        for p, actions, wants in moves:
            for action in actions:
                act(p, paths[p.node], action)
            intent.note(p, object_id, wants)
        time.sleep(max(0.0, down_seconds - (time.monotonic() - down_at)))
        bleau.start()
        seconds, problems = converge(week.nodes, timeout, intent=intent)
    return Outcome("c. host down", seconds, problems,
                   {"down s": down_seconds, "moves while down": len(moves), "host holds": host_counts(bleau)})


# --- d. a lossy link between A and B -------------------------------------------------------------

def lossy_link(network: LiveNetwork, now: datetime, *, lossy_seconds: float = 10.0, members: int = 6,
               drop: float = 0.2, cut: float = 0.2, delay: float = 0.5, timeout: float = 40.0,
               interval: float = 1.0, seed: int = 19) -> Outcome:
    """A and B behind lossy proxies (drops, answers cut, delays) for ``lossy_seconds`` while
    members of A register and cancel to a session of B, members of B to a session of A, and
    members of both change what they share in the directory. Then a clean link: converge."""
    week = build_week(network, now, names=("aix", "bleau"))
    aix, bleau = week.nodes
    sessions = {bleau: host_session(week, bleau, capacity=members, name="b"),
                aix: host_session(week, aix, capacity=members, name="a", day=2)}
    crowds = {aix: people(aix, members), bleau: people(bleau, members)}
    paths = {aix: registration_path(week, aix, sessions[bleau]),
             bleau: registration_path(week, bleau, sessions[aix])}
    target = {aix: sessions[bleau], bleau: sessions[aix]}
    rng = random.Random(seed)
    intent = Intent()
    holding: dict[tuple[str, int], bool] = {}
    proxies = [Proxied(aix, seed), Proxied(bleau, seed + 1)]
    actions = 0
    errors: list[str] = []
    with schedulers(week.nodes, interval):
        try:
            for proxied in proxies:
                proxied.proxy.set(drop=drop, cut=cut, delay=delay)
            ends = time.monotonic() + lossy_seconds
            while time.monotonic() < ends:
                node = rng.choice([aix, bleau])
                person = rng.choice(crowds[node])
                if rng.random() < 0.3:
                    code = _share(person, rng.random() < 0.6)
                    if code != 200:  # the change is committed whatever the answer says
                        errors.append(f"{node.name}: PATCH /api/v1/me answered {code}")
                else:
                    has = holding.get((node.url, person.member_id), False)
                    code = act(person, paths[node], "cancel" if has else "register")
                    if code in (200, 201):
                        holding[(node.url, person.member_id)] = not has
                        intent.note(person, target[node], not has)
                    else:
                        errors.append(f"{node.name}: {'cancel' if has else 'register'} answered {code}")
                actions += 1
                time.sleep(rng.uniform(0.02, 0.15))
            stats = [vars(p.proxy.stats).copy() for p in proxies]
        finally:
            for proxied in proxies:
                proxied.close()
        seconds, problems = converge(week.nodes, timeout, intent=intent, directory=True)
    if errors:
        seconds, problems = None, errors + problems
    return Outcome("d. lossy link", seconds, problems,
                   {"lossy s": lossy_seconds, "actions": actions,
                    "proxy": {k: sum(s[k] for s in stats) for k in stats[0]}})


def _share(person: Person, shared: bool) -> int:
    """The member shares (anonymously) two skills with the network, or stops sharing; the
    status code of the answer."""
    body = ({"skills": [{"label": "expert-comptable", "level": "expert"},
                        {"label": "traduction", "level": "confirme"}],
             "visibility": "network_anonymous"} if shared else {"visibility": "space"})
    return person.node.client().patch("/api/v1/me", headers=person.headers, json=body).status_code


# --- g. many concurrent deliveries: invitations racing the feed item ------------------------------

def invitations_race(network: LiveNetwork, now: datetime, *, events: int = 30, timeout: float = 40.0,
                     interval: float = 0.5) -> Outcome:
    """A creates ``events`` regional events in a burst, each inviting B at once, while B's
    scheduler pulls A's feed on every hint (the feed item and the invitation both bring the
    event to B). Ends: every invitation arrived, none dead."""
    week = build_week(network, now, names=("aix", "bleau"))
    aix, bleau = week.nodes
    manager_a, manager_b = week.managers
    start = week.start + timedelta(days=10)

    def create(i: int):
        def run():
            created = call(aix, "POST", "/regional", manager_a, {
                "title": f"Semaine {i}", "region": "Provence", "visibility": "public",
                "description": "Une semaine.", "starts_at": local(start + timedelta(days=i)),
                "ends_at": local(start + timedelta(days=i, hours=8))}, expect=201).json
            call(aix, "POST", f"/regional/{created['id']}/invitations", manager_a, {"node_ids": [bleau.url]})
            return created["object_id"]
        return run

    with schedulers(week.nodes, interval):
        object_ids = set(_in_parallel([create(i) for i in range(events)], workers=4))

        def missing() -> list[str]:
            listed = call(bleau, "GET", "/regional", manager_b).json
            invited = {r["object_id"] for r in listed
                       if any(p["status"] == "invited" for p in r["participants"])}
            return [f"{bleau.name}: no invitation for {oid}" for oid in sorted(object_ids - invited)]

        seconds, problems = converge(week.nodes, timeout)
        problems = problems + missing()
        if seconds is not None and problems:
            seconds = None
    with aix.session() as session:
        dead = len(session.scalars(select(OutboxMessage).where(OutboxMessage.status == DELIVERY_DEAD)).all())
    with bleau.session() as session:
        known = len(session.scalars(select(RegionalEvent)).all())
    return Outcome("g. invitations racing the feed", seconds, problems,
                   {"invitations": events, "dead": dead, "events known to B": known - 1})


# --- h. waitlist positions under concurrency ------------------------------------------------------

def waitlist_positions(network: LiveNetwork, now: datetime, *, members: int = 6, capacity: int = 2,
                       timeout: float = 30.0, interval: float = 1.0) -> Outcome:
    """``members`` people of B (the host) and as many of A register at once to a session of
    ``capacity`` seats. The positions told (B's answers; A's view once converged) are the
    positions held at B, and no two people hold one."""
    week = build_week(network, now, names=("aix", "bleau"))
    aix, bleau = week.nodes
    object_id = host_session(week, bleau, capacity=capacity)
    locals_, remotes = people(bleau, members, "l"), people(aix, members, "r")
    paths = {aix: registration_path(week, aix, object_id), bleau: registration_path(week, bleau, object_id)}
    told: dict[int, Any] = {}

    def register(person: Person):
        def run():
            response = person.node.client().post(paths[person.node], headers=person.headers, json={})
            if person.node is bleau and response.status_code == 201:
                told[person.member_id] = (response.json["status"], response.json["position"])
        return run

    intent = Intent()
    with schedulers(week.nodes, interval):
        jobs = [register(p) for pair in zip(locals_, remotes, strict=True) for p in pair]
        _in_parallel(jobs, workers=len(jobs))
        for person in remotes:
            intent.note(person, object_id, True)
        seconds, problems = converge(week.nodes, timeout, intent=intent)
    with bleau.session() as session:
        rows = session.scalars(select(Registration).where(Registration.status.in_(("confirmed", "waitlisted")))).all()
        held = {row.member_id: (row.status, registrations.waitlist_position(session, row))
                for row in rows if row.registrant_kind == "local"}
        positions = [registrations.waitlist_position(session, row) for row in rows if row.status == "waitlisted"]
    for member_id, answer in sorted(told.items()):
        if held.get(member_id) != answer:
            problems.append(f"{bleau.name} member {member_id}: told {answer}, holds {held.get(member_id)}")
    if len(told) != members:
        problems.append(f"only {len(told)} of {members} local registrations answered 201")
    if sorted(positions) != list(range(1, len(positions) + 1)):
        problems.append(f"waitlist positions held: {sorted(positions)}")
    return Outcome("h. waitlist positions", seconds if not problems else None, problems,
                   {"registrations": 2 * members, "seats": capacity, "waitlisted": len(positions)})
