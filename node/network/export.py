"""What this node shares with each approved peer about its members (docs/PRIVACY.md).

Only active members who chose ``network_anonymous`` or ``network_named`` are shared, and only
through a whitelist: a per-recipient pseudonym, skill concepts with a level band, languages,
availability flags, the trade group and a place; named members add their display name and
headline. Rare values are generalised (rare-skill rule, k = 3): a (concept, place) pair leaves
the node only if at least k opted-in members share it; otherwise the concept becomes its parent
group, or the place is coarsened (space -> city -> region), or the skill is withheld.

:func:`sync_exports` reconciles the wanted entries with what each peer was sent (the
``network_exports`` rows): it publishes new and changed entries, renews leases, re-keys entries
on a new pseudonym epoch and sends tombstones for members who left, were suspended or erased.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from federation.canonical import canonical_dumps, to_nfc
from federation.pseudonyms import current_epoch, pseudonym

from ..domain_events import MembersChanged, PeersChanged
from ..federation.hooks import publish
from ..federation.keyring import RUNTIME_INFO_KEY
from ..federation.models import APPROVED, Peer
from ..federation.registry import HandlerRegistry
from ..members.models import Member, MemberStatus
from ..members.thesaurus import Thesaurus, get_thesaurus
from ..orm import utcnow
from ..uow import Reactions, WorkContext
from . import search as network_search
from .introductions import cancel_incoming_for
from .models import DirectoryExport, NetworkEntry, NetworkEntryConcept
from .ranking import GROUP_PREFIX, ITEM_TYPE, Locality, group_key, our_locality
from .settings import SHARED_VISIBILITIES, NetworkSettings, settings_of

logger = logging.getLogger(__name__)

PLACE_ORDER = ("space", "city", "region")
MAX_CONCEPTS = 30


@dataclass(frozen=True)
class Draft:
    """One member's shareable entry, before the per-recipient pseudonym and lease."""

    member_id: int
    concepts: tuple[tuple[str, str, bool], ...]  # (concept or group id, band, generalised)
    languages: tuple[str, ...]
    open_to_help: bool
    open_to_paid: bool
    open_to_barter: bool
    trade_group: str | None
    place_kind: str
    place_value: str
    display_name: str | None = None
    headline: str | None = None

    def content(self, pseudonym_value: str, lease_until: datetime) -> dict:
        """The wire content (docs/PROTOCOL.md §6.1): the export whitelist, nothing more."""
        content = {
            "pseudonym": pseudonym_value,
            "concepts": [
                {"concept": key, "level_band": band, "generalised": generalised}
                for key, band, generalised in self.concepts
            ],
            "languages": list(self.languages),
            "open_to_help": self.open_to_help,
            "open_to_paid": self.open_to_paid,
            "open_to_barter": self.open_to_barter,
            "trade_group": self.trade_group,
            "place": {"kind": self.place_kind, "value": self.place_value},
            "lease_until_ts": int(lease_until.timestamp() * 1000),
            "named": self.display_name is not None,
        }
        if self.display_name is not None:
            content["display_name"] = self.display_name
            if self.headline:
                content["headline"] = self.headline
        return content


def _band_max(a: str, b: str) -> str:
    order = ("beginner", "intermediate", "confirmed", "expert")
    return a if order.index(a) >= order.index(b) else b


def shared_members(session: Session) -> list[Member]:
    """Members whose profile may leave the node: active, and opted in to the network."""
    return list(session.scalars(
        select(Member)
        .where(Member.status == MemberStatus.ACTIVE, Member.visibility.in_(SHARED_VISIBILITIES))
        .options(selectinload(Member.skills), selectinload(Member.languages))
        .order_by(Member.id)
    ))


def _network_counts(session: Session, space: Locality) -> tuple[Counter, Counter]:
    """How many peers' copies hold each index key in our city and in our region."""
    peers = {p.node_id: p for p in session.scalars(select(Peer))}
    in_city: Counter = Counter()
    in_region: Counter = Counter()
    # Counted by the database, one row per (key, owner, place): the copies are a whole
    # network's directory, read after every round and every profile change.
    rows = session.execute(
        select(NetworkEntryConcept.concept, NetworkEntry.owner, NetworkEntry.place_kind,
               NetworkEntry.place_value, func.count())
        .join(NetworkEntry, NetworkEntry.id == NetworkEntryConcept.entry_id)
        .where(NetworkEntry.owner.is_not(None))
        .group_by(NetworkEntryConcept.concept, NetworkEntry.owner, NetworkEntry.place_kind,
                  NetworkEntry.place_value)
    )
    for key, owner, kind, value, count in rows:
        peer = peers.get(owner)
        city = value if kind == "city" else (peer.city if peer and kind == "space" else "")
        region = value if kind == "region" else (peer.region if peer else "")
        if space.city and city == space.city:
            in_city[key] += count
        if space.region and region == space.region:
            in_region[key] += count
    return in_city, in_region


def draft_entries(session: Session, k: int = 3, thesaurus: Thesaurus | None = None) -> dict[int, Draft]:
    """The entry each opted-in member may share, after the rare-skill rule (k-anonymity)."""
    thesaurus = thesaurus or get_thesaurus()
    space = our_locality(session)
    members = shared_members(session)
    skills: dict[int, dict[str, str]] = {}
    for member in members:
        best: dict[str, str] = {}
        for skill in member.skills:
            if skill.concept_id and thesaurus.concept(skill.concept_id):
                band = thesaurus.level_band(skill.level)
                best[skill.concept_id] = _band_max(best.get(skill.concept_id, band), band)
        skills[member.id] = best
    by_concept = Counter(c for best in skills.values() for c in best)
    by_group = Counter(
        g for best in skills.values() for g in {thesaurus.parent_group(c).id for c in best}
    )
    in_city, in_region = _network_counts(session, space)
    places = {"space": space.name, "city": space.city, "region": space.region}

    drafts: dict[int, Draft] = {}
    for member in members:
        chosen: dict[str, tuple[str, bool]] = {}
        coarsest = 0
        for concept_id, band in sorted(skills[member.id].items()):
            group = group_key(thesaurus.parent_group(concept_id).id)
            ladder = [
                (concept_id, 0, by_concept[concept_id]),
                (group, 0, by_group[group[len(GROUP_PREFIX):]]),
                (concept_id, 1, by_concept[concept_id] + in_city[concept_id]),
                (concept_id, 2, by_concept[concept_id] + in_region[concept_id]),
                (group, 1, by_group[group[len(GROUP_PREFIX):]] + in_city[group]),
                (group, 2, by_group[group[len(GROUP_PREFIX):]] + in_region[group]),
            ]
            for key, place_level, count in ladder:
                if count >= k and places[PLACE_ORDER[place_level]]:
                    previous = chosen.get(key)
                    chosen[key] = (_band_max(previous[0], band) if previous else band,
                                   key.startswith(GROUP_PREFIX))
                    coarsest = max(coarsest, place_level)
                    break
        if not chosen:
            continue  # nothing shareable: no entry at all
        trade = thesaurus.trade(member.trade_id) if member.trade_id else None
        named = member.visibility == "network_named"
        drafts[member.id] = Draft(
            member_id=member.id,
            concepts=tuple(
                (key[len(GROUP_PREFIX):] if generalised else key, band, generalised)
                for key, (band, generalised) in sorted(chosen.items())
            )[:MAX_CONCEPTS],
            languages=tuple(sorted(member.language_codes))[:12],
            open_to_help=member.open_to_help,
            open_to_paid=member.open_to_paid,
            open_to_barter=member.open_to_barter,
            trade_group=trade.group if trade else None,
            place_kind=PLACE_ORDER[coarsest],
            place_value=places[PLACE_ORDER[coarsest]],
            display_name=member.display_name if named else None,
            headline=member.headline if named else None,
        )
    return drafts


def _content_hash(content: dict) -> str:
    stable = {k: v for k, v in content.items() if k != "lease_until_ts"}
    return hashlib.sha256(canonical_dumps(to_nfc(stable))).hexdigest()


@dataclass
class ExportReport:
    published: int = 0
    withdrawn: int = 0
    withdrawn_members: set[int] = field(default_factory=set)


def approved_peer_ids(session: Session) -> list[str]:
    return list(session.scalars(select(Peer.node_id).where(Peer.status == APPROVED).order_by(Peer.node_id)))


def sync_exports(session: Session, settings: NetworkSettings, now: datetime | None = None,
                 peers: Iterable[str] | None = None) -> ExportReport:
    """Publish what each approved peer should hold and withdraw what it should not; flushes.

    Unchanged entries are re-published only when their lease is about to end."""
    now = now or utcnow()
    report = ExportReport()
    peer_ids = list(peers) if peers is not None else approved_peer_ids(session)
    sent = {(row.peer_node_id, row.member_id): row for row in session.scalars(select(DirectoryExport))}
    if not peer_ids and not sent:
        return report
    drafts = draft_entries(session, settings.k)
    epoch = current_epoch(int(now.timestamp() * 1000), settings.epoch_days)
    lease_until = now + settings.lease

    for peer_id in peer_ids:
        for member_id, draft in drafts.items():
            alias = pseudonym(settings.pseudonym_secret, epoch, peer_id, member_id)
            local_id = f"directory/{alias}"
            content = draft.content(alias, lease_until)
            digest = _content_hash(content)
            row = sent.pop((peer_id, member_id), None)
            if row is not None and row.local_id == local_id and row.content_hash == digest \
                    and row.lease_until - now > settings.renew_before:
                continue
            if row is not None and row.local_id != local_id:  # new epoch: retire the old id
                publish(session, item_type=ITEM_TYPE, local_id=row.local_id, deleted=True,
                        recipient=peer_id)
            publish(session, item_type=ITEM_TYPE, local_id=local_id, content=content,
                    recipient=peer_id)
            if row is None:
                row = DirectoryExport(peer_node_id=peer_id, member_id=member_id)
                session.add(row)
            row.local_id, row.pseudonym, row.content_hash = local_id, alias, digest
            row.published_at, row.lease_until = now, lease_until
            report.published += 1

    for row in sent.values():  # left the network, suspended, erased, or the peer went away
        publish(session, item_type=ITEM_TYPE, local_id=row.local_id, deleted=True,
                recipient=row.peer_node_id)
        if row.member_id is not None and row.member_id not in drafts:
            report.withdrawn_members.add(row.member_id)
        session.delete(row)
        report.withdrawn += 1
    session.flush()
    if report.published or report.withdrawn:
        logger.info("directory export: %d published, %d withdrawn", report.published,
                    report.withdrawn)
    return report


def peers_holding(session: Session, member: Member) -> list[Peer | str]:
    """The peers that hold a copy of ``member``'s entry (a Peer, or its node id if unknown)."""
    rows = session.scalars(select(DirectoryExport).where(DirectoryExport.member_id == member.id)
                           .order_by(DirectoryExport.peer_node_id))
    peers = {p.node_id: p for p in session.scalars(select(Peer))}
    return [peers.get(row.peer_node_id, row.peer_node_id) for row in rows]


def upkeep(session: Session, events: list, ctx: WorkContext) -> None:
    """Reaction to ``MembersChanged`` and ``PeersChanged``: refresh the local search entries of
    the members that changed, then publish what each peer should now hold and withdraw what it
    should not (a member who stopped sharing: their pending introductions end)."""
    members: set[int] = set()
    for domain_event in events:
        if isinstance(domain_event, MembersChanged):
            members |= domain_event.member_ids
    if members:
        network_search.refresh_local_entries(session, members)
    settings = settings_of(session)
    if settings is not None and RUNTIME_INFO_KEY in session.info:
        report = sync_exports(session, settings)
        if report.withdrawn_members:
            cancel_incoming_for(session, report.withdrawn_members)


def register_reactions(reactions: Reactions) -> None:
    reactions.on((MembersChanged, PeersChanged), "network.upkeep", upkeep)


def renew_exports(session: Session, now: datetime) -> int:
    """Periodic upkeep, run by the transport after each sync round: renew leases before they
    end and re-apply the rare-skill rule with the copies just received. Drops nothing here."""
    settings = settings_of(session)
    if settings is not None and RUNTIME_INFO_KEY in session.info:
        report = sync_exports(session, settings, now)
        if report.withdrawn_members:
            cancel_incoming_for(session, report.withdrawn_members)
    return 0


def register(registry: HandlerRegistry) -> None:
    """After each sync round, renew our exported entries' leases (a lease expirer's turn)."""
    registry.lease_expirer(renew_exports)
