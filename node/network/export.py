"""What this node shares with each approved peer about its members (docs/PRIVACY.md).

Only active members who chose ``network_anonymous`` or ``network_named`` are shared, and only
through a whitelist (docs/PROTOCOL.md §6.1). The sharing rule serves the people who chose to be
found:

- A **named** member consented to be identified: one entry with their name, headline and
  exactly the skills they listed, at their space.
- An **anonymous** member is shared as one *fragment* per skill, each under its own pseudonym
  (per peer, per epoch, per skill), so no peer can assemble their skill set — the combination
  that singles a person out. A fragment carries the skill, its level band, languages and
  availability; not the trade group (it would tie a person's fragments together). A skill that
  fewer than k opted-in members of the space hold is *rare here*: its fragment names the city
  (else the region) instead of the space, so the peer's members see "a space in Marseille".

:func:`sync_exports` reconciles the wanted entries with what each peer was sent (the
``network_exports`` rows). What a peer receives gives it no order, time or epoch to link by:
each batch is published in a fresh random order per peer; every entry a peer holds shares one
lease (renewed together), so no lease date tells when a member last changed; at a new
pseudonym epoch every new entry is sent first and every retired one after, each run shuffled.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
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
from .audience import withheld_peers
from .introductions import cancel_incoming_for
from .models import DirectoryExport
from .ranking import ITEM_TYPE, our_locality
from .settings import SHARED_VISIBILITIES, NetworkSettings, settings_of

logger = logging.getLogger(__name__)

MAX_CONCEPTS = 30
#: The ``part`` of a named member's single entry (an anonymous fragment's part is its concept).
WHOLE = ""
#: Why a fragment does not say everything (shown to the member, see :func:`holdings`).
RARE_HERE = "rare_here"

_shuffle = random.SystemRandom().shuffle


@dataclass(frozen=True)
class Draft:
    """One shareable entry of a member (a named member's whole entry, or an anonymous member's
    fragment for one skill), before the per-recipient pseudonym and lease."""

    member_id: int
    part: str
    concepts: tuple[tuple[str, str, bool], ...]  # (concept id, band, generalised)
    languages: tuple[str, ...]
    open_to_help: bool
    open_to_paid: bool
    open_to_barter: bool
    trade_group: str | None
    place_kind: str
    place_value: str
    display_name: str | None = None
    headline: str | None = None
    #: Why this entry says less than the profile (``RARE_HERE``), for the member's own view.
    reasons: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[int, str]:
        return (self.member_id, self.part)

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


def _member_skills(member: Member, thesaurus: Thesaurus) -> dict[str, str]:
    """A member's known concepts with their best level band."""
    best: dict[str, str] = {}
    for skill in member.skills:
        if skill.concept_id and thesaurus.concept(skill.concept_id):
            band = thesaurus.level_band(skill.level)
            best[skill.concept_id] = _band_max(best.get(skill.concept_id, band), band)
    return best


def draft_entries(session: Session, k: int = 3,
                  thesaurus: Thesaurus | None = None) -> dict[tuple[int, str], Draft]:
    """The entries each opted-in member shares, keyed by (member id, part): a named member's
    whole entry (part ``WHOLE``), an anonymous member's fragment per skill (part: the concept)."""
    thesaurus = thesaurus or get_thesaurus()
    space = our_locality(session)
    members = shared_members(session)
    skills = {member.id: _member_skills(member, thesaurus) for member in members}
    holders = Counter(concept for best in skills.values() for concept in best)
    coarse_kind, coarse_value = (("city", space.city) if space.city else
                                 ("region", space.region) if space.region else ("space", space.name))

    drafts: dict[tuple[int, str], Draft] = {}
    for member in members:
        best = skills[member.id]
        if not best:
            continue  # nothing shareable: no entry at all
        common = {
            "member_id": member.id,
            "languages": tuple(sorted(member.language_codes))[:12],
            "open_to_help": member.open_to_help,
            "open_to_paid": member.open_to_paid,
            "open_to_barter": member.open_to_barter,
        }
        if member.visibility == "network_named":
            trade = thesaurus.trade(member.trade_id) if member.trade_id else None
            draft = Draft(
                part=WHOLE,
                concepts=tuple((c, band, False) for c, band in sorted(best.items()))[:MAX_CONCEPTS],
                trade_group=trade.group if trade else None,
                place_kind="space", place_value=space.name,
                display_name=member.display_name, headline=member.headline, **common,
            )
            drafts[draft.key] = draft
            continue
        for concept_id, band in sorted(best.items())[:MAX_CONCEPTS]:
            rare = holders[concept_id] < k
            draft = Draft(
                part=concept_id, concepts=((concept_id, band, False),), trade_group=None,
                place_kind=coarse_kind if rare else "space",
                place_value=coarse_value if rare else space.name,
                reasons=(RARE_HERE,) if rare else (), **common,
            )
            drafts[draft.key] = draft
    return drafts


def _content_hash(content: dict) -> str:
    stable = {k: v for k, v in content.items() if k != "lease_until_ts"}
    return hashlib.sha256(canonical_dumps(to_nfc(stable))).hexdigest()


def alias_for(settings: NetworkSettings, epoch: int, peer_id: str, member_id: int, part: str) -> str:
    """The pseudonym of one entry for one peer: per epoch, per peer, per member and per part
    (a named member's whole entry keeps the member-only input of PROTOCOL §9)."""
    subject = str(member_id) if part == WHOLE else f"{member_id}/{part}"
    return pseudonym(settings.pseudonym_secret, epoch, peer_id, subject)


@dataclass
class ExportReport:
    published: int = 0
    withdrawn: int = 0
    withdrawn_members: set[int] = field(default_factory=set)


def approved_peer_ids(session: Session) -> list[str]:
    return list(session.scalars(select(Peer.node_id).where(Peer.status == APPROVED).order_by(Peer.node_id)))


def _peer_lease(rows: Iterable[DirectoryExport], now: datetime,
                settings: NetworkSettings) -> tuple[datetime, bool]:
    """The lease every entry a peer holds shares, and whether all of them are renewed now
    (none sent yet, the lease nears its end, or the rows disagree)."""
    leases = {row.lease_until for row in rows}
    if len(leases) != 1:
        return now + settings.lease, True
    lease = next(iter(leases))
    if lease - now <= settings.renew_before:
        return now + settings.lease, True
    return lease, False


def sync_exports(session: Session, settings: NetworkSettings, now: datetime | None = None,
                 peers: Iterable[str] | None = None) -> ExportReport:
    """Publish what each approved peer should hold and withdraw what it should not (a peer
    our manager's per-network choice withholds the directory from holds nothing); flushes.

    Unchanged entries are re-published only when the peer's common lease is about to end, and
    then all together; each peer's batch is published in its own random order."""
    now = now or utcnow()
    report = ExportReport()
    peer_ids = list(peers) if peers is not None else approved_peer_ids(session)
    # Not the peers whose every reason to be peered is a network our manager chose to share
    # nothing with (.audience): what they were sent is withdrawn below, like a removed peer's.
    withheld = withheld_peers(session)
    peer_ids = [peer_id for peer_id in peer_ids if peer_id not in withheld]
    sent: dict[str, dict[tuple[int | None, str], DirectoryExport]] = {}
    orphans: list[DirectoryExport] = []  # rows of erased members: only their tombstone is left
    for row in session.scalars(select(DirectoryExport)):
        if row.member_id is None:
            orphans.append(row)
        else:
            sent.setdefault(row.peer_node_id, {})[(row.member_id, row.part)] = row
    if not peer_ids and not sent and not orphans:
        return report
    drafts = draft_entries(session, settings.k)
    epoch = current_epoch(int(now.timestamp() * 1000), settings.epoch_days)
    gone: list[DirectoryExport] = list(orphans)

    for peer_id in peer_ids:
        rows = sent.pop(peer_id, {})
        lease_until, renew_all = _peer_lease(rows.values(), now, settings)
        fresh: list[tuple[DirectoryExport | None, Draft, str, str, dict, str]] = []
        retired: list[str] = []
        for key, draft in drafts.items():
            alias = alias_for(settings, epoch, peer_id, draft.member_id, draft.part)
            local_id = f"directory/{alias}"
            content = draft.content(alias, lease_until)
            digest = _content_hash(content)
            row = rows.pop(key, None)
            if row is not None and row.local_id == local_id and row.content_hash == digest \
                    and not renew_all:
                continue
            if row is not None and row.local_id != local_id:  # new epoch: retire the old id
                retired.append(row.local_id)
            fresh.append((row, draft, local_id, alias, content, digest))
        _shuffle(fresh)
        for row, draft, local_id, alias, content, digest in fresh:
            publish(session, item_type=ITEM_TYPE, local_id=local_id, content=content,
                    recipient=peer_id)
            if row is None:
                row = DirectoryExport(peer_node_id=peer_id, member_id=draft.member_id,
                                      part=draft.part)
                session.add(row)
            row.local_id, row.pseudonym, row.content_hash = local_id, alias, digest
            row.published_at, row.lease_until = now, lease_until
            report.published += 1
        _shuffle(retired)  # after every new entry: nothing pairs an old id with its new one
        for local_id in retired:
            publish(session, item_type=ITEM_TYPE, local_id=local_id, deleted=True,
                    recipient=peer_id)
        gone.extend(rows.values())
    for rows in sent.values():  # peers no longer approved
        gone.extend(rows.values())

    still_shared = {member_id for member_id, _part in drafts}
    _shuffle(gone)
    for row in gone:  # left the network, suspended, erased, a skill removed, or the peer went away
        publish(session, item_type=ITEM_TYPE, local_id=row.local_id, deleted=True,
                recipient=row.peer_node_id)
        if row.member_id is not None and row.member_id not in still_shared:
            report.withdrawn_members.add(row.member_id)
        session.delete(row)
        report.withdrawn += 1
    session.flush()
    if report.published or report.withdrawn:
        logger.info("directory export: %d published, %d withdrawn", report.published,
                    report.withdrawn)
    return report


def peers_holding(session: Session, member: Member) -> list[Peer | str]:
    """The peers that hold a copy of ``member``'s entries (a Peer, or its node id if unknown)."""
    node_ids = session.scalars(select(DirectoryExport.peer_node_id).distinct()
                               .where(DirectoryExport.member_id == member.id)
                               .order_by(DirectoryExport.peer_node_id))
    peers = {p.node_id: p for p in session.scalars(select(Peer))}
    return [peers.get(node_id, node_id) for node_id in node_ids]


@dataclass(frozen=True)
class Holding:
    """What one peer holds about a member: the entries it was sent (as they are now)."""

    peer: Peer | str
    entries: list[Draft]


def holdings(session: Session, member: Member, settings: NetworkSettings | None = None) -> list[Holding]:
    """For the member's own view: per peer, exactly the entries it holds about them and why a
    fragment says less than the profile (the peer's rows whose content is current; an entry
    still to be published at the next reconciliation is shown as it will be sent)."""
    settings = settings or settings_of(session)
    k = settings.k if settings is not None else 3
    rows = list(session.scalars(select(DirectoryExport).where(DirectoryExport.member_id == member.id)
                                .order_by(DirectoryExport.peer_node_id, DirectoryExport.part)))
    if not rows:
        return []
    drafts = {key: d for key, d in draft_entries(session, k).items() if key[0] == member.id}
    peers = {p.node_id: p for p in session.scalars(select(Peer))}
    by_peer: dict[str, list[Draft]] = {}
    for row in rows:
        draft = drafts.get((member.id, row.part))
        if draft is not None:
            by_peer.setdefault(row.peer_node_id, []).append(draft)
    return [Holding(peers.get(node_id, node_id), entries) for node_id, entries in by_peer.items()]


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
