"""Network search benchmark: our concept index vs a naive ``LIKE`` scan, in the same run.

    python -m bench search                    # 10 000 and 100 000 entries, SQLite
    python -m bench search --sizes 100000,1000000
    python -m bench search --quick            # smoke run (a few seconds)
    python -m bench search --database-url postgresql://postgres@127.0.0.1/cwn_bench
    python -m bench search --database-url … --sizes 1000000 --reuse   # keep the built data

``--reuse`` keeps each size's database between runs (PostgreSQL: ``<database>_<size>``;
SQLite: ``bench_<size>.sqlite3`` in ``--sqlite-dir``, default the system's temporary folder):
a database already holding the size's entries is migrated to the head revision (new indexes),
vacuumed and analysed, and searched as it is, without the minutes of a rebuild; any other is built anew. Without it,
every run drops and builds its databases (SQLite: in a temporary folder removed at the end).

Builds realistic replicated directory entries (3–6 skill concepts each, popular skills more
frequent, French/English languages, availability flags, 60 places; a fifth of them named, with a
French or English headline that the full-text index holds), then runs a fixed set of
queries (one and two words, French and English, with and without accents, with typos and
stopwords, and free-text words of headlines) through :func:`node.network.search.search_network` — the code the portal
and ``/api/v1/search`` run: the top 20, then again with the facet counts (the page a member
waits for; counted over the best-ranked matches up to ``FACET_CAP``), then with facets and a
place filter (a member who clicked a place facet) — and through a naive ranked ``LIKE`` scan
over a text column holding the same labels and headlines (top 20 by the same score).
Prints build time, p50/p95/p99, how many queries had capped facet counts, and the ratios of
the p95s.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from node.db import make_engine
from node.members.textnorm import fold, tokenize
from node.members.thesaurus import get_thesaurus
from node.migrate import upgrade
from node.models import NetworkEntry, NetworkEntryConcept
from node.network.ranking import PROXIMITY_CITY, PROXIMITY_FAR, PROXIMITY_REGION, entry_score
from node.network.search import FACET_CAP, NetworkQuery, search_network

SEED = 20261128
BANDS = ("beginner", "intermediate", "confirmed", "expert")
LANGUAGES = ("fr", "en", "es", "de", "it", "pt", "ar", "nl")
CHUNK = 20_000
#: Share of entries whose member chose ``network_named`` (a name and a headline, free text).
NAMED_SHARE = 0.2
FIRST_NAMES = ("Joana", "Hanneke", "Inès", "Bram", "Léa", "Mathis", "Chloé", "Karim", "Zoé",
               "Noah", "Élodie", "Yanis", "Saskia", "Théo", "Maëlle", "Lucas", "Agnès", "Omar")
HEADLINE_OPENERS = ("Indépendant·e", "Freelance", "Consultante", "Artisan", "Fondatrice",
                    "Studio", "Atelier", "Coach", "Formateur", "Independent")
HEADLINE_TOPICS = ("associations et TPE", "start-up", "collectivités", "bilingue français-anglais",
                   "économie sociale et solidaire", "small businesses", "remote teams",
                   "patrimoine et rénovation", "circuits courts", "open source", "e-commerce",
                   "spectacle vivant", "agriculture biologique", "tourisme durable", "santé au travail")
#: Free-text queries: words that name no skill concept, found in headlines and names.
TEXT_QUERIES = ("associations", "TPE", "bilingue", "economie solidaire", "économie sociale",
                "start-up", "collectivites", "small businesses", "remote", "patrimoine renovation",
                "circuits courts", "open source", "e-commerce", "spectacle vivant",
                "agriculture biologique", "tourisme", "Hanneke", "Joana", "Maëlle", "freelance",
                "atelier patrimoine", "consultante", "independant", "studio")
PLACES = tuple(f"Espace {i}" for i in range(60))
GOALS_MS = {100_000: 20.0, 1_000_000: 50.0}
#: What a member waits for is the page with its facets.
FACET_GOALS_MS = {1_000_000: 50.0}
CONCEPT_GOAL_MS = 10.0


@dataclass
class Timing:
    name: str
    samples: list[float]

    def pct(self, p: float) -> float:
        ordered = sorted(self.samples)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[index]

    def line(self) -> str:
        return (f"{self.name:<22} p50 {self.pct(50):8.2f} ms   p95 {self.pct(95):8.2f} ms   "
                f"p99 {self.pct(99):8.2f} ms   ({len(self.samples)} queries)")


def _typo(word: str, rng: random.Random) -> str:
    """Swap two inner letters, or drop one (a realistic slip of the keyboard)."""
    if len(word) < 6:
        return word
    i = rng.randrange(1, len(word) - 2)
    if rng.random() < 0.5:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word[:i] + word[i + 1:]


def build_queries(count: int = 240) -> list[tuple[str, str]]:
    """(kind, query) pairs: a fixed, seeded mix of the ways members type a skill."""
    thesaurus = get_thesaurus()
    rng = random.Random(SEED)
    concepts = sorted(thesaurus.concepts(), key=lambda c: c.id)
    singles = [c for c in concepts if " " not in c.fr and len(fold(c.fr)) >= 6]
    queries: list[tuple[str, str]] = []
    makers = [
        ("fr", lambda c: c.fr),
        ("en", lambda c: c.en),
        ("fr-no-accents", lambda c: fold(c.fr)),
        ("alias", lambda c: rng.choice(c.aliases) if c.aliases else c.fr),
        ("stopwords", lambda c: rng.choice(("un ", "une ", "la ", "the ", "a ")) + c.fr.lower()),
        ("typo", lambda c: _typo(fold(c.fr), rng)),
        ("two-words", lambda c: f"{c.fr} {rng.choice(singles).fr}"),
        ("free-text", lambda c: rng.choice(TEXT_QUERIES)),
    ]
    while len(queries) < count:
        for kind, make in makers:
            pool = singles if kind == "typo" else concepts
            queries.append((kind, make(rng.choice(pool))))
    return queries[:count]


def _populate(session: Session, size: int, rng: random.Random) -> float:
    """Insert ``size`` replicated entries, their index rows and the naive text table."""
    thesaurus = get_thesaurus()
    concepts = sorted(thesaurus.concepts(), key=lambda c: c.id)
    rng.shuffle(concepts)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(concepts))]
    places = PLACES
    lease = datetime.now(UTC) + timedelta(days=7)
    conn = session.connection()
    conn.execute(text("CREATE TABLE bench_naive (id INTEGER PRIMARY KEY, body TEXT NOT NULL, "
                      "score INTEGER NOT NULL)"))
    started = time.perf_counter()
    entries, index, naive = [], [], []
    for entry_id in range(1, size + 1):
        flags = [rng.random() < 0.4, rng.random() < 0.5, rng.random() < 0.2]
        place = rng.randrange(len(places))
        proximity = (PROXIMITY_CITY if place < 3 else PROXIMITY_REGION if place < 15
                     else PROXIMITY_FAR)
        chosen = {c.id: c for c in rng.choices(concepts, weights, k=rng.randint(3, 6))}
        named = rng.random() < NAMED_SHARE
        name = headline = ""
        if named:
            first = next(iter(chosen.values()))
            name = rng.choice(FIRST_NAMES)
            label = first.fr if rng.random() < 0.6 else first.en
            headline = f"{rng.choice(HEADLINE_OPENERS)} {label.lower()}, {rng.choice(HEADLINE_TOPICS)}"
        entries.append({
            "id": entry_id, "object_id": f"https://peer{place}.example/directory/e{entry_id}",
            "owner": f"https://peer{place}.example", "pseudonym": f"p{entry_id:031d}",
            "is_named": named, "display_name": name, "headline": headline,
            "languages": " " + " ".join(rng.sample(LANGUAGES, rng.randint(1, 3))) + " ",
            "open_to_help": flags[0], "open_to_paid": flags[1], "open_to_barter": flags[2],
            "trade_group": thesaurus.parent_group(next(iter(chosen))).id,
            "place_kind": "space", "place_value": places[place],
            "lease_until": lease, "updated_at": lease,
        })
        best = 0
        for concept in chosen.values():
            band = rng.choice(BANDS)
            score = entry_score(band, available=sum(flags), proximity=proximity, generalised=False)
            best = max(best, score)
            index.append({"concept": concept.id, "score": score, "entry_id": entry_id,
                          "level_band": band, "is_generalised": False,
                          "place_value": places[place]})
        naive.append({"id": entry_id, "score": best, "body": " ".join(
            fold(f"{c.fr} {c.en} {' '.join(c.aliases)}") for c in chosen.values())
            + (" " + fold(f"{name} {headline}") if named else "")})
        if len(entries) >= CHUNK or entry_id == size:
            conn.execute(NetworkEntry.__table__.insert(), entries)
            conn.execute(NetworkEntryConcept.__table__.insert(), index)
            conn.execute(text("INSERT INTO bench_naive (id, body, score) VALUES (:id, :body, :score)"),
                         naive)
            entries, index, naive = [], [], []
    session.commit()
    _settle(session)
    return time.perf_counter() - started


def _settle(session: Session) -> None:
    """What autovacuum does to the tables after a bulk load or a migration's rewrite:
    statistics, and (PostgreSQL) the visibility map that lets index-only scans skip the heap."""
    if session.get_bind().dialect.name == "postgresql":
        tables = [name for name in ("network_entries", "network_entry_concepts",
                                    "network_entry_texts")
                  if inspect(session.connection()).has_table(name)]
        session.commit()
        with session.get_bind().connect() as autocommit:
            autocommit.execution_options(isolation_level="AUTOCOMMIT").execute(
                text(f"VACUUM (ANALYZE) {', '.join(tables)}"))
    else:
        session.execute(text("ANALYZE"))
    session.commit()


def _naive(session: Session, query: str) -> list[int]:
    words = [w for w in tokenize(query)] or [fold(query)]
    where = " AND ".join(f"body LIKE :w{i}" for i in range(len(words)))
    params = {f"w{i}": f"%{w}%" for i, w in enumerate(words)}
    return list(session.execute(
        text(f"SELECT id FROM bench_naive WHERE {where} ORDER BY score DESC, id LIMIT 20"),  # noqa: S608 - bench only, bound values
        params).scalars())


def _built(session: Session, size: int) -> bool:
    """Whether the database already holds this size's bench data (a finished build)."""
    if not inspect(session.connection()).has_table("bench_naive"):
        return False  # never built, or a build interrupted before its naive table
    return session.execute(text("SELECT COUNT(*) FROM network_entries")).scalar_one() == size


def run_size(url: str, size: int, queries: list[tuple[str, str]], reuse: bool = False) -> dict:
    engine = make_engine(url)
    with Session(engine) as session:
        if reuse and _built(session, size):
            build = 0.0
            _settle(session)  # after a migration that rewrote rows
        else:
            session.rollback()
            if reuse:  # a leftover of an interrupted build: start from empty tables
                _empty(session)
            build = _populate(session, size, random.Random(SEED + size))
        ours, concept_only, naive = Timing("ours (top 20)", []), Timing("  one concept", []), \
            Timing("naive LIKE scan", [])
        free_text = Timing("  free text", [])
        faceted = Timing("ours + facets", [])
        faceted_place = Timing("  + facets, one place", [])
        for _kind, query in queries[:5]:  # warm-up: imports, statement caches, page cache
            search_network(session, NetworkQuery(text=query, limit=20))
            _naive(session, query)
        found = 0
        for kind, query in queries:
            started = time.perf_counter()
            result = search_network(session, NetworkQuery(text=query, limit=20), facets=False)
            elapsed = (time.perf_counter() - started) * 1000
            ours.samples.append(elapsed)
            if len(result.concept_ids) == 1 and kind not in ("two-words", "free-text"):
                concept_only.samples.append(elapsed)
            if kind == "free-text":
                free_text.samples.append(elapsed)
            found += bool(result.hits)
        capped = 0
        for _kind, query in queries:
            started = time.perf_counter()
            result = search_network(session, NetworkQuery(text=query, limit=20), facets=True)
            faceted.samples.append((time.perf_counter() - started) * 1000)
            capped += result.facets_capped
        for n, (_kind, query) in enumerate(queries):  # a member who clicked a place facet
            started = time.perf_counter()
            search_network(session, NetworkQuery(text=query, limit=20, place=PLACES[n % len(PLACES)]),
                           facets=True)
            faceted_place.samples.append((time.perf_counter() - started) * 1000)
        for _kind, query in queries:
            started = time.perf_counter()
            _naive(session, query)
            naive.samples.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return {"size": size, "build": build, "ours": ours, "concept": concept_only, "faceted": faceted,
            "faceted_place": faceted_place, "capped": capped, "text": free_text, "naive": naive,
            "found": found}


def _empty(session: Session) -> None:
    """Drop what an interrupted build left, so that :func:`_populate` starts afresh."""
    session.execute(text("DROP TABLE IF EXISTS bench_naive"))
    session.execute(NetworkEntryConcept.__table__.delete())
    session.execute(NetworkEntry.__table__.delete())
    session.commit()


def _database(base_url: str | None, size: int, tmp: Path, reuse: bool = False) -> str:
    if not base_url:
        path = tmp / f"bench_{size}.sqlite3"
        if not reuse:
            path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        from sqlalchemy.engine import make_url

        base = make_url(base_url)
        name = f"{base.database}_{size}"
        admin = make_engine(base.set(database="postgres").render_as_string(hide_password=False),
                            isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": name}).first() is not None
            if not (reuse and exists):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = base.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench search", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated entry counts")
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 000 entries, 35 queries")
    parser.add_argument("--database-url", default=None, help="PostgreSQL server (default SQLite)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep each size's database between runs and search it without "
                             "rebuilding when it already holds the size's entries")
    parser.add_argument("--sqlite-dir", default=None,
                        help="with --reuse on SQLite: where the kept files live "
                             "(default the system's temporary folder)")
    args = parser.parse_args(argv)
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    queries = build_queries(35 if args.quick else max(200, args.queries))
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"network search on {backend}: {len(queries)} queries "
          f"({', '.join(sorted({k for k, _ in queries}))})")
    status = 0
    with tempfile.TemporaryDirectory(prefix="coworknet-bench-") as tmp:
        folder = Path(args.sqlite_dir or tempfile.gettempdir()) if args.reuse else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            url = _database(args.database_url, size, folder, args.reuse)
            report = run_size(url, size, queries, args.reuse)
            ours, naive = report["ours"], report["naive"]
            built = (f"built in {report['build']:.1f} s" if report["build"]
                     else "reused (built before)")
            print(f"\n{size:,} entries: {built}; "
                  f"{report['found']}/{len(queries)} queries found results")
            print(ours.line())
            if report["concept"].samples:
                print(report["concept"].line())
            if report["text"].samples:
                print(report["text"].line())
            print(report["faceted"].line())
            print(report["faceted_place"].line())
            print(f"{'':<22} facet counts capped at {FACET_CAP:,} best matches for "
                  f"{report['capped']}/{len(queries)} queries")
            print(naive.line())
            ratio = naive.pct(95) / max(ours.pct(95), 1e-6)
            print(f"ratio (LIKE p95 / ours p95): {ratio:.1f}x   "
                  f"(p50 {naive.pct(50) / max(ours.pct(50), 1e-6):.1f}x)")
            faceted = report["faceted"]
            print(f"ratio (LIKE p95 / ours + facets p95): "
                  f"{naive.pct(95) / max(faceted.pct(95), 1e-6):.1f}x   "
                  f"(p50 {naive.pct(50) / max(faceted.pct(50), 1e-6):.1f}x)")
            goal = GOALS_MS.get(size)
            if goal is not None:
                verdict = "meets" if ours.pct(95) <= goal else "MISSES"
                print(f"goal p95 <= {goal:.0f} ms: {verdict}")
                if report["concept"].samples:
                    verdict = "meets" if report["concept"].pct(95) <= CONCEPT_GOAL_MS else "MISSES"
                    print(f"goal one concept p95 <= {CONCEPT_GOAL_MS:.0f} ms: {verdict}")
            goal = FACET_GOALS_MS.get(size)
            if goal is not None:
                verdict = "meets" if report["faceted"].pct(95) <= goal else "MISSES"
                print(f"goal with facets p95 <= {goal:.0f} ms: {verdict}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
