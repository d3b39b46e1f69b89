"""``python -m bench quality [--quick] [--heldout] [--check] [--worst 15]``: search quality, measured on
two live nodes with a population written as people fill in their profiles.

Two real nodes (their own SQLite databases in a temporary folder, served over HTTP on
loopback, set up as ``coworknet init`` does) are seeded through the product's own operations
(``create_member`` then ``update_profile``, one commit per member, as a member saving their
profile) with the population of :mod:`bench.quality_data`: Le Phare, Marseille (A, 100
members) and La Fabrique du Cours, Aix-en-Provence (B, 55 members), at the default privacy
settings (k = 3 rare-skill rule; each member's own visibility). The nodes are peered (request,
approval), then run federation rounds in turn until the network is quiet (B takes A's copies
in, so its rare-skill rule counts them, as in a running network), so that A holds B's exported
entries after a real sync. The labelled queries of :mod:`bench.quality_data` are then run in-process on A's
database by a searcher of A (a member with no skills of their own), with the functions the
portal runs:

* **local directory**: ``node.members.directory.search_members`` (the portal's /directory and
  ``/api/v1/members``), 50 results. Relevant: A's members holding one of the query's labels,
  whatever their visibility (the space's directory lists every active member).
* **network**: ``node.network.search.search_network`` (the portal's /network and
  ``/api/v1/search``), 50 results (the API's maximum; the page shows 20), the searcher left
  out. Relevant: A's members with the label (the network search lists the space's own active
  members too) and B's members with the label who share with the network
  (``network_anonymous`` or ``network_named``).
* **other space**: the network hits whose owner is B, in their order. Relevant: B's sharing
  members with the label.

A network hit is mapped to a person for scoring only: a local hit by its ``member_id``, a
copy of B's by (owner, pseudonym) through B's ``network_exports`` rows (the member each
pseudonym was published for). When several hits map to one person, the person counts once,
at the rank of their first hit (the later hits count as irrelevant).

Metrics, per scope, over the queries that have at least one relevant person in that scope
(the others are skipped for that scope, and the count of scored queries is printed):

* **hit@1**: the first result is relevant; **hit@5**: a relevant person in the first five;
* **MRR**: the mean of 1/rank of the first relevant person (0 when none in the 50);
* **recall@50**: the relevant people found in the 50 results, over min(relevant, 50);
* **zero**: the share of those scored queries that returned no result at all in the scope.

Printed per scope, overall and per query category, then the goals (other space hit@1 ≥ 0.90
and recall@50 ≥ 0.85; local directory hit@1 ≥ 0.95) with PASS/FAIL, then the worst queries
of each scope with what came first. The exit status is 0 (a measurement) unless ``--check``
is given: then 1 when a goal fails. ``--quick``: the same population, a few queries of each
category (a smoke run for the test suite).

**Held-out set.** ``QUERIES`` were the thesaurus's and the search's tuning set, so their
figures flatter; ``HELDOUT`` were written afterwards and never tuned on. The default run also
runs them on the same nodes (seeded once) and prints, after the goals, each scope's overall
figures on them, and each goal's held-out value beside it; the goals themselves stay judged
on ``QUERIES``. ``--heldout`` runs ``HELDOUT`` in place of ``QUERIES`` (full tables, goals
and worst queries for it, no second block); ``--quick`` takes one held-out query of each
category for its block.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from bench.livenet import BenchNode, peer, start_node
from bench.quality_data import HELDOUT, QUERIES, SPACE_A, SPACE_B, Person, Query
from node.accounts import accounts
from node.members import profiles
from node.members.directory import DirectoryQuery, search_members
from node.network.models import DirectoryExport, NetworkEntry, NetworkEntryConcept
from node.network.search import NetworkQuery, search_network
from node.network.settings import SHARED_VISIBILITIES

RESULTS = 50
REGION = "Provence-Alpes-Côte d'Azur"
SCOPES = ("local directory", "network", "other space")
#: (scope, metric, threshold): the goals of tracker issue 18.
GOALS = (("other space", "hit@1", 0.90), ("other space", "recall@50", 0.85),
         ("local directory", "hit@1", 0.95))
METRICS = ("hit@1", "hit@5", "MRR", "recall@50", "zero")
QUICK_PER_CATEGORY = 3
#: Held-out queries of each category in a ``--quick`` run's held-out block.
QUICK_HELDOUT_PER_CATEGORY = 1

#: A person of the population: (space "A" or "B", member id on that space's node).
Key = tuple[str, int]


@dataclass
class Scored:
    """One query's outcome in one scope."""

    query: Query
    relevant: int
    first_rank: int | None
    found: int
    returned: int
    first: str  # what came first, for the worst-queries list

    @property
    def values(self) -> dict[str, float]:
        rank = self.first_rank
        return {"hit@1": float(rank == 1), "hit@5": float(rank is not None and rank <= 5),
                "MRR": 1 / rank if rank else 0.0,
                "recall@50": self.found / min(self.relevant, RESULTS),
                "zero": float(self.returned == 0)}


@dataclass
class Population:
    """Who is who on the two nodes (ground truth: never given to the product)."""

    people: dict[Key, Person] = field(default_factory=dict)
    searcher_id: int = 0

    def relevant(self, query: Query, scope: str) -> set[Key]:
        keys = set()
        for key, person in self.people.items():
            if not person.labels & query.labels:
                continue
            shared = person.visibility in SHARED_VISIBILITIES
            if (scope == "local directory" and key[0] == "A") or \
                    (scope == "network" and (key[0] == "A" or shared)) or \
                    (scope == "other space" and key[0] == "B" and shared):
                keys.add(key)
        return keys

    def describe(self, key: Key | None, matched: str = "") -> str:
        if key is None:
            return "(an entry no person maps to)"
        person = self.people[key]
        skills = "; ".join(s.label for s in person.skills)
        seen = f" matched {matched}" if matched else ""
        return f"{person.name} [{key[0]}: {skills}]{seen} = {' '.join(sorted(person.labels))}"


def seed(node: BenchNode, people: Iterable[Person], space: str, population: Population) -> None:
    """Each person signs up and saves their profile (one commit each, as in the portal)."""
    hasher = node.app.extensions["coworknet.passwords"]
    for n, person in enumerate(people):
        with node.session() as session:
            member = accounts.create_member(
                session, hasher, email=f"member{n}@{node.name}.example",
                display_name=person.name, password=f"quality bench passphrase {n}")
            profiles.update_profile(session, member, {
                "trade_id": person.trade or None,
                "skills": [{"label": s.label, "level": s.level} for s in person.skills],
                "languages": list(person.languages),
                "open_to_help": person.open_to_help, "open_to_paid": person.open_to_paid,
                "open_to_barter": person.open_to_barter, "visibility": person.visibility})
            session.commit()
            population.people[(space, member.id)] = person


def add_searcher(node: BenchNode) -> int:
    with node.session() as session:
        member = accounts.create_member(
            session, node.app.extensions["coworknet.passwords"], email="searcher@a.example",
            display_name="Camille Cherche", password=secrets.token_hex(16))
        session.commit()
        return member.id


def rounds(a: BenchNode, b: BenchNode, most: int = 8) -> list[int]:
    """Federation rounds, A then B in turn, until a round of each applies nothing (B's
    rare-skill rule counts A's copies once it holds them, and may then publish again); the
    items each round applied."""
    applied: list[int] = []
    for turn in range(most):
        node = (a, b)[turn % 2]
        applied.append(sum(result.applied for result in node.round().results))
        if len(applied) >= 2 and applied[-1] == applied[-2] == 0:
            break
    return applied


def score(query: Query, ranked: list[tuple[Key | None, str]], relevant: set[Key],
          population: Population) -> Scored:
    """Score a ranked list of (person or None, what matched); a person counts once."""
    seen: set[Key] = set()
    first_rank, found = None, 0
    for rank, (key, _matched) in enumerate(ranked[:RESULTS], 1):
        if key is None or key in seen:
            continue
        seen.add(key)
        if key in relevant:
            found += 1
            first_rank = first_rank or rank
    first = population.describe(*ranked[0]) if ranked else "(no result)"
    return Scored(query, len(relevant), first_rank, found, len(ranked), first)


def run_queries(a: BenchNode, b: BenchNode, queries: list[Query],
                population: Population) -> dict[str, list[Scored]]:
    """Every query, in every scope where it has relevant people."""
    with b.session() as session:  # ground truth: which member each pseudonym stands for
        exported = dict(session.execute(
            select(DirectoryExport.pseudonym, DirectoryExport.member_id)
            .where(DirectoryExport.peer_node_id == a.url)).all())
    outcomes: dict[str, list[Scored]] = {scope: [] for scope in SCOPES}
    unmapped = 0
    with a.session() as session:
        for query in queries:
            members, _total = search_members(session, DirectoryQuery(text=query.text,
                                                                      limit=RESULTS))
            local = [(("A", m.id), "") for m in members]
            result = search_network(session, NetworkQuery(text=query.text, limit=RESULTS),
                                    exclude_member_id=population.searcher_id, facets=False)
            network: list[tuple[Key | None, str]] = []
            other: list[tuple[Key | None, str]] = []
            for hit in result.hits:
                entry = hit.entry
                matched = ",".join(m.key for m in hit.matched)
                if entry.member_id is not None:
                    network.append((("A", entry.member_id), matched))
                    continue
                member_id = exported.get(entry.pseudonym) if entry.owner == b.url else None
                row = (("B", member_id) if member_id is not None else None, matched)
                unmapped += member_id is None
                network.append(row)
                if entry.owner == b.url:
                    other.append(row)
            for scope, ranked in zip(SCOPES, (local, network, other), strict=True):
                relevant = population.relevant(query, scope)
                if relevant:
                    outcomes[scope].append(score(query, ranked, relevant, population))
    if unmapped:  # scored as irrelevant: the ground truth lost track of them
        logging.getLogger(__name__).warning("%d network hits map to no person", unmapped)
    return outcomes


def averages(rows: list[Scored]) -> dict[str, float]:
    return {name: sum(r.values[name] for r in rows) / len(rows) for name in METRICS}


def table(scope: str, rows: list[Scored]) -> list[str]:
    lines = [f"\n{scope}: {len(rows)} queries scored",
             f"  {'':<14}" + "".join(f"{name:>10}" for name in METRICS) + f"{'queries':>9}"]
    groups: dict[str, list[Scored]] = defaultdict(list)
    for row in rows:
        groups[row.query.category].append(row)
    for name, group in [("overall", rows), *groups.items()]:
        values = averages(group)
        lines.append(f"  {name:<14}" + "".join(f"{values[m]:>10.3f}" for m in METRICS)
                     + f"{len(group):>9}")
    return lines


def worst(scope: str, rows: list[Scored], count: int) -> list[str]:
    ordered = sorted(rows, key=lambda r: (r.values["MRR"], r.values["recall@50"]))[:count]
    lines = [f"\nworst {len(ordered)} queries, {scope} (rank of the first relevant person, "
             f"found/relevant; what came first):"]
    for r in ordered:
        rank = r.first_rank or "-"
        lines.append(f"  {r.query.text!r:<30} {r.query.category:<13} rank {rank!s:>2}  "
                     f"{r.found}/{r.relevant}  wanted {' '.join(sorted(r.query.labels))}")
        lines.append(f"  {'':<30} first: {r.first}")
    return lines


def quick_queries(per_category: int = QUICK_PER_CATEGORY,
                  queries: list[Query] = QUERIES) -> list[Query]:
    """The first ``per_category`` queries of each category, in the set's order."""
    taken: dict[str, int] = defaultdict(int)
    chosen = []
    for query in queries:
        taken[query.category] += 1
        if taken[query.category] <= per_category:
            chosen.append(query)
    return chosen


def copies_summary(a: BenchNode, b: BenchNode) -> str:
    """What A holds of B's directory: the entries, the people behind them, and how many of
    their index rows are generalised to a group by B's rare-skill rule."""
    with a.session() as session:
        rows = session.execute(
            select(NetworkEntry.pseudonym, NetworkEntryConcept.is_generalised)
            .join(NetworkEntryConcept, NetworkEntryConcept.entry_id == NetworkEntry.id)
            .where(NetworkEntry.owner == b.url)).all()
        entries = set(session.scalars(select(NetworkEntry.pseudonym)
                                      .where(NetworkEntry.owner == b.url)))
    with b.session() as session:
        people = set(session.scalars(select(DirectoryExport.member_id).where(
            DirectoryExport.peer_node_id == a.url, DirectoryExport.pseudonym.in_(entries))))
    generalised = sum(1 for _pseudonym, flag in rows if flag)
    return (f"A holds {len(entries)} entries of B for {len(people)} people; "
            f"{generalised} of their {len(rows)} skill index rows generalised to a group")


@dataclass
class Measurement:
    """One run: each scope's scored queries (and the held-out set's, when it was run on the
    same nodes), the phases' times, what A holds of B."""

    queries: list[Query]
    outcomes: dict[str, list[Scored]]
    timings: list[tuple[str, float]]
    copies: str
    shared_b: int
    heldout: list[Query] = field(default_factory=list)
    heldout_outcomes: dict[str, list[Scored]] = field(default_factory=dict)

    def goals(self) -> list[tuple[str, str, float, float]]:
        """(scope, metric, value, threshold) of each goal."""
        return [(scope, metric, averages(self.outcomes[scope])[metric]
                 if self.outcomes[scope] else 0.0, threshold)
                for scope, metric, threshold in GOALS]

    def heldout_value(self, scope: str, metric: str) -> float | None:
        """A metric of the held-out set in a scope; None when it was not run or has no query
        scored there."""
        rows = self.heldout_outcomes.get(scope)
        return averages(rows)[metric] if rows else None


def measure(queries: list[Query], heldout: list[Query] | None = None) -> Measurement:
    """Start, seed, peer and sync the two nodes, then run ``queries`` on A, and ``heldout``
    too when given (on the same nodes: seeding is the slow part, queries are cheap)."""
    population = Population()
    timings: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as root:
        started = time.perf_counter()
        a = start_node(Path(root), "a", space="Le Phare", city="Marseille", region=REGION)
        b = start_node(Path(root), "b", space="La Fabrique du Cours", city="Aix-en-Provence",
                       region=REGION)
        try:
            timings.append(("two nodes started", time.perf_counter() - started))
            started = time.perf_counter()
            seed(a, SPACE_A, "A", population)
            seed(b, SPACE_B, "B", population)
            population.searcher_id = add_searcher(a)
            timings.append((f"{len(population.people)} members seeded (one commit each)",
                            time.perf_counter() - started))
            started = time.perf_counter()
            peer(a, b)
            applied = rounds(a, b)
            timings.append((f"peered, {len(applied)} rounds ({'/'.join(map(str, applied))} "
                            f"items applied)", time.perf_counter() - started))
            copies = copies_summary(a, b)
            started = time.perf_counter()
            outcomes = run_queries(a, b, queries, population)
            timings.append((f"{len(queries)} queries x 2 searches",
                            time.perf_counter() - started))
            heldout_outcomes: dict[str, list[Scored]] = {}
            if heldout:
                started = time.perf_counter()
                heldout_outcomes = run_queries(a, b, heldout, population)
                timings.append((f"{len(heldout)} held-out queries x 2 searches",
                                time.perf_counter() - started))
        finally:
            a.close()
            b.close()
    shared = sum(p.visibility in SHARED_VISIBILITIES for k, p in population.people.items()
                 if k[0] == "B")
    return Measurement(queries, outcomes, timings, copies, shared, list(heldout or []),
                       heldout_outcomes)


def heldout_block(run: Measurement) -> list[str]:
    """The held-out set's overall figures per scope: whether the tuning set's gains hold on
    queries nobody tuned on."""
    lines = [f"\nheld-out ({len(run.heldout)} queries never tuned on), overall:",
             f"  {'':<16}" + "".join(f"{name:>10}" for name in METRICS) + f"{'queries':>9}"]
    for scope in SCOPES:
        rows = run.heldout_outcomes.get(scope, [])
        if not rows:
            lines.append(f"  {scope:<16}  (no query scored)")
            continue
        values = averages(rows)
        lines.append(f"  {scope:<16}" + "".join(f"{values[m]:>10.3f}" for m in METRICS)
                     + f"{len(rows):>9}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench quality",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_PER_CATEGORY} queries of each category (a smoke run)")
    parser.add_argument("--heldout", action="store_true",
                        help="run the held-out queries (never tuned on) instead of the main set")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal fails")
    parser.add_argument("--worst", type=int, default=15, help="worst queries listed per scope")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("node").setLevel(logging.WARNING)
    main_set = HELDOUT if args.heldout else QUERIES
    if args.quick:
        run = measure(quick_queries(queries=main_set), None if args.heldout else
                      quick_queries(QUICK_HELDOUT_PER_CATEGORY, HELDOUT))
    else:
        run = measure(main_set, None if args.heldout else HELDOUT)
    print(f"search quality: {len(SPACE_A)} members in A (Le Phare, Marseille), {len(SPACE_B)} "
          f"in B (La Fabrique du Cours, Aix-en-Provence; {run.shared_b} share with the "
          f"network), {len(run.queries)} {'held-out ' if args.heldout else ''}queries, "
          f"{RESULTS} results per search")
    for name, seconds in run.timings:
        print(f"  {name}: {seconds:.1f} s")
    print(f"  {run.copies}")
    for scope in SCOPES:
        print("\n".join(table(scope, run.outcomes[scope])))
    print("\ngoals:")
    failed = False
    for scope, metric, value, threshold in run.goals():
        verdict = "PASS" if value >= threshold else "FAIL"
        failed |= verdict == "FAIL"
        held = run.heldout_value(scope, metric)
        beside = f" (held-out: {held:.3f})" if held is not None else ""
        print(f"  {scope} {metric} {value:.3f} >= {threshold:.2f}: {verdict}{beside}")
    if run.heldout:
        print("\n".join(heldout_block(run)))
    for scope in SCOPES:
        print("\n".join(worst(scope, run.outcomes[scope], args.worst)))
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
