"""Re-identification and linkage benchmark of the shared directory: what two colluding peers
can still join, and what content alone singles out.

    python -m bench privacy            # the quality benchmark's population (155 members)
    python -m bench privacy --quick    # a smoke run: the first 30 and 20 members

Each space of ``bench.quality_data`` (Le Phare, 100 members; La Fabrique du Cours, 55) runs a
real node with its members seeded through the portal's own operations; two more real nodes,
P and Q, peer with both and pull their feeds over HTTP, as two colluding peers would. Then it
measures, per space, on what P and Q hold of its **anonymous** entries (named members chose to
be identified):

- **unique by skill alone**: the same, on the skill and its level only — what sharing the
  exact skill costs by itself, which no rule that keeps the skill can lower;
- **unique by content**: the share of entries whose content (skills with level, languages,
  availability, trade group, place — everything but the pseudonym and the lease) no other
  entry of the same space has. P and Q receive the same content for an entry, so exactly these
  entries can be paired one-to-one between the two peers: *linkable between two peers*;
- **paired by feed order**: P and Q pair their entries by position in their feeds (the i-th
  with the i-th); the share of pairs that are the same person's same skill (chance: 1/n);
- **distinct leases**: how many lease dates P holds for the space (1: the lease tells nothing);
- **skills tied together**: the share of anonymous members with two or more skills whose
  fragments P can group as one person from what they have in common (languages, availability
  and place form a signature that only that person's fragments carry);
- **epoch rollover**: at a new pseudonym epoch, P pairs each retired entry with a new one by
  feed order; the share of right pairs (chance: 1/n).

The **baseline**, measured on the same population in the same run, is what whole-profile
entries would give (every skill of a member in one record, as before fragments): its share
unique by content within the space, and every skill of a person tied together. The truth (which entry is
whose) comes from each space's own export table, which never leaves the space.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bench.livenet import BenchNode, peer, start_node
from bench.quality import REGION, Population, seed
from bench.quality_data import SPACE_A, SPACE_B
from node.federation.models import FeedCopy
from node.members.models import Member
from node.members.thesaurus import get_thesaurus
from node.network import export as network_export
from node.network.models import DirectoryExport
from node.network.settings import settings_of
from node.orm import utcnow

SPACES = (("A", "Le Phare", "Marseille", SPACE_A), ("B", "La Fabrique du Cours", "Aix-en-Provence", SPACE_B))


def _content_key(content: dict) -> str:
    return json.dumps({k: v for k, v in content.items() if k not in ("pseudonym", "lease_until_ts")},
                      sort_keys=True)


def held(reader: BenchNode, owner: BenchNode) -> list[tuple[int, bool, str, dict | None]]:
    """(seq, tombstone, pseudonym, content) of ``owner``'s directory items ``reader`` holds,
    in feed order."""
    rows = []
    with reader.session() as session:
        for copy in session.scalars(select(FeedCopy).where(FeedCopy.peer_node_id == owner.url)
                                    .order_by(FeedCopy.seq)):
            if copy.item_type != "directory.entry":
                continue
            item = json.loads(copy.item_json) if copy.item_json else None
            alias = copy.object_id.rsplit("/", 1)[-1]
            rows.append((copy.seq, copy.is_deleted, alias, item["content"] if item else None))
    return rows


def truth(owner: BenchNode) -> dict[tuple[str, str], tuple[int, str]]:
    """(peer, pseudonym) -> (member id, part), from the owner's own export table."""
    with owner.session() as session:
        return {(row.peer_node_id, row.pseudonym): (row.member_id, row.part)
                for row in session.scalars(select(DirectoryExport))}


def whole_profile_uniqueness(owner: BenchNode) -> float:
    """Baseline: the share of anonymous members whose whole shared profile (every skill with its
    level, languages, availability, trade group) is unique within the space."""
    thesaurus = get_thesaurus()
    with owner.session() as session:
        members = [m for m in session.scalars(select(Member)) if m.visibility == "network_anonymous"]
        records = []
        for member in members:
            skills = sorted({(s.concept_id, s.level) for s in member.skills if s.concept_id})
            if not skills:
                continue
            trade = thesaurus.trade(member.trade_id) if member.trade_id else None
            records.append(json.dumps([skills, sorted(member.language_codes), member.open_to_help,
                                       member.open_to_paid, member.open_to_barter,
                                       trade.group if trade else None]))
    counts = Counter(records)
    return sum(counts[r] == 1 for r in records) / len(records) if records else 0.0


def measure_space(owner: BenchNode, p: BenchNode, q: BenchNode) -> dict[str, float]:
    facts = truth(owner)
    at_p = [r for r in held(p, owner) if not r[1] and r[3] and not r[3]["named"]]
    at_q = [r for r in held(q, owner) if not r[1] and r[3] and not r[3]["named"]]
    counts = Counter(_content_key(r[3]) for r in at_p)
    unique = sum(counts[_content_key(r[3])] == 1 for r in at_p)
    skill_of = [json.dumps(r[3]["concepts"], sort_keys=True) for r in at_p]
    skill_counts = Counter(skill_of)
    skill_unique = sum(skill_counts[key] == 1 for key in skill_of)
    # Position pairing: the i-th entry at P with the i-th at Q.
    right = sum(facts.get((p.url, rp[2])) == facts.get((q.url, rq[2])) for rp, rq in zip(at_p, at_q, strict=False))
    leases = {r[3]["lease_until_ts"] for r in at_p}
    # Fragments tied together: group P's fragments by what a person's fragments share.
    groups: dict[str, set[int]] = defaultdict(set)
    owners_of: dict[int, int] = Counter()
    for _seq, _dead, alias, content in at_p:
        member_id = facts[(p.url, alias)][0]
        signature = json.dumps([content["languages"], content["open_to_help"], content["open_to_paid"],
                                content["open_to_barter"], content["place"]], sort_keys=True)
        groups[signature].add(member_id)
        owners_of[member_id] += 1
    several = [m for m, n in owners_of.items() if n >= 2]
    tied = sum(1 for m in several if any(g == {m} for g in groups.values()))
    return {"entries": len(at_p), "unique": unique / len(at_p) if at_p else 0.0,
            "skill_unique": skill_unique / len(at_p) if at_p else 0.0,
            "position": right / len(at_p) if at_p else 0.0, "leases": len(leases),
            "several": len(several), "tied": tied / len(several) if several else 0.0,
            "baseline": whole_profile_uniqueness(owner)}


def measure_rollover(owner: BenchNode, p: BenchNode) -> tuple[int, float]:
    """Move the owner to its next pseudonym epoch, let P pull, and pair P's retired entries
    with its new ones by feed order."""
    facts_before = truth(owner)
    before = max((r[0] for r in held(p, owner)), default=0)
    with owner.session() as session:
        settings = settings_of(session)
        network_export.sync_exports(session, settings,
                                    now=utcnow() + timedelta(days=settings.epoch_days))
        session.commit()
    p.round()
    facts_after = truth(owner)
    fresh = [r for r in held(p, owner) if r[0] > before]
    # Anonymous fragments only (a part): named entries carry the person's name anyway.
    retired = [facts_before.get((p.url, r[2])) for r in fresh if r[1]]
    retired = [fact for fact in retired if fact is not None and fact[1]]
    renewed = [facts_after.get((p.url, r[2])) for r in fresh if not r[1]]
    renewed = [fact for fact in renewed if fact is not None and fact[1]]
    right = sum(a is not None and a == b for a, b in zip(retired, renewed, strict=False))
    return len(retired), (right / len(retired) if retired else 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench privacy", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the first 30 and 20 members only")
    args = parser.parse_args(argv)
    spaces = [(key, space, city, people[:30 if key == "A" else 20] if args.quick else people)
              for key, space, city, people in SPACES]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("node").setLevel(logging.WARNING)
    started = time.perf_counter()
    population = Population()
    with tempfile.TemporaryDirectory(prefix="bench-privacy-") as root:
        owners = [start_node(Path(root), key.lower(), space=space, city=city, region=REGION)
                  for key, space, city, _people in spaces]
        p = start_node(Path(root), "p", space="Le Pont", city="Paris", region="Île-de-France")
        q = start_node(Path(root), "q", space="Quimper", city="Quimper", region="Bretagne")
        try:
            for owner, (key, _space, _city, people) in zip(owners, spaces, strict=True):
                seed(owner, people, key, population)
            for owner in owners:
                peer(owner, p)
                peer(owner, q)
            for _ in range(2):
                for node in (*owners, p, q):
                    node.round()
            print(f"privacy: {len(population.people)} members in two spaces, two colluding peers "
                  f"(set up in {time.perf_counter() - started:.1f} s)")
            print(f"{'space':<22}{'anonymous entries':>18}{'unique by content':>19}"
                  f"{'by skill alone':>16}{'whole profiles':>16}{'paired by order':>17}"
                  f"{'leases':>8}{'skills tied':>13}")
            for owner, (_key, space, _city, _people) in zip(owners, spaces, strict=True):
                f = measure_space(owner, p, q)
                print(f"{space:<22}{f['entries']:>18}{f['unique']:>19.1%}{f['skill_unique']:>16.1%}"
                      f"{f['baseline']:>16.1%}{f['position']:>17.1%}{f['leases']:>8}"
                      f"{f['tied']:>9.1%} of {f['several']}")
            for owner, (_key, space, _city, _people) in zip(owners, spaces, strict=True):
                retired, right = measure_rollover(owner, p)
                print(f"epoch rollover, {space}: {retired} entries retired; pairing by feed order "
                      f"right for {right:.1%} (chance {1 / retired if retired else 0:.1%})")
        finally:
            for node in (*owners, p, q):
                node.close()
    print("unique by content = linkable one-to-one between two peers (they hold the same content); "
          "by skill alone = unique by the skill and its level only (what sharing the skill itself "
          "costs); whole profiles = the same members' whole shared profiles, one record each "
          "(baseline, where every skill of a person is tied together: 100 %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
