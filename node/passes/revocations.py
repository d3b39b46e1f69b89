"""Revocation on the feed: when a member is no longer active, every peer with an agreement
gets a ``pass.revocation`` item naming that member's pseudonym for it and their unexpired
pass ids; it is honoured at the peer's next sync. A member active again: the item is withdrawn.
An erased account leaves its passes without a member (``member_id`` NULL): each unexpired one is
revoked by its own subject and id, then the rows are deleted."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.federation import PASS_REVOCATION

from ..domain_events import MembersChanged
from ..federation import feed
from ..federation.peers import approved_peers
from ..members.models import Member
from ..orm import utcnow
from ..uow import Reactions, WorkContext
from .agreements import list_agreements
from .issuing import subject_for, subject_text, unexpired
from .models import AgreementStatus, IssuedPass, PassRevocation


def _peers(session: Session) -> list[str]:
    agreed = {a.peer_node_id for a in list_agreements(session)
              if a.status in (AgreementStatus.ACTIVE, AgreementStatus.ENDED)}
    return [p.node_id for p in approved_peers(session) if p.node_id in agreed]


def _local_id(subject: str) -> str:
    return f"pass/revocation/{subject}"


def revoke_member(session: Session, member: Member, reason: str) -> int:
    """Publish the member's revocation to every peer with an agreement; returns how many."""
    now = utcnow()
    passes = unexpired(session, member.id, now)
    for row in passes:
        row.revoked = True
    peers = _peers(session)
    for peer in peers:
        subject = subject_text(subject_for(session, member.id, peer, b""))
        ids = [p.pass_id for p in passes if p.host in (None, peer)][:100]
        feed.publish(session, item_type=PASS_REVOCATION, local_id=_local_id(subject),
                     content={"subject": subject, "pass_ids": ids, "reason": reason},
                     recipient=peer)
    session.flush()
    return len(peers)


def reinstate_member(session: Session, member: Member) -> int:
    """Withdraw the member's revocation items (their new passes are good again)."""
    revoked = session.scalar(select(IssuedPass.id).where(IssuedPass.member_id == member.id,
                                                         IssuedPass.revoked.is_(True)).limit(1))
    if revoked is None:
        return 0
    peers = _peers(session)
    for peer in peers:
        subject = subject_text(subject_for(session, member.id, peer, b""))
        feed.publish(session, item_type=PASS_REVOCATION, local_id=_local_id(subject),
                     deleted=True, recipient=peer)
    session.flush()
    return len(peers)


def revoke_erased(session: Session) -> int:
    """Passes whose member's account was erased (the row outlives it, ``member_id`` NULL): each
    unexpired one is revoked on the feed by its own subject and id (the member's pseudonym for
    its host, or the pass's own for a pass valid at any host), to every peer it is valid at;
    then every such row is deleted. Returns how many revocations were published."""
    rows = list(session.scalars(select(IssuedPass).where(IssuedPass.member_id.is_(None))))
    if not rows:
        return 0
    now = utcnow()
    peers = _peers(session)
    published = 0
    for row in rows:
        if row.expires_at > now:
            for peer in peers:
                if row.host in (None, peer):
                    feed.publish(session, item_type=PASS_REVOCATION, local_id=_local_id(row.subject),
                                 content={"subject": row.subject, "pass_ids": [row.pass_id],
                                          "reason": "erased"},
                                 recipient=peer)
                    published += 1
        session.delete(row)
    session.flush()
    return published


def upkeep(session: Session, events: list, ctx: WorkContext) -> None:
    """After members changed: revoke the passes of those no longer active (suspended, or whose
    account was erased), withdraw the revocation of those active again."""
    ids = set().union(*(e.member_ids for e in events if isinstance(e, MembersChanged)))
    revoke_erased(session)
    for member in session.scalars(select(Member).where(Member.id.in_(ids))):
        if member.is_active:
            reinstate_member(session, member)
        elif session.scalar(select(IssuedPass.id).where(IssuedPass.member_id == member.id,
                                                        IssuedPass.revoked.is_(False)).limit(1)):
            revoke_member(session, member, "suspended")


def register_reactions(reactions: Reactions) -> None:
    reactions.on(MembersChanged, "passes.revocations", upkeep)


# --- receiving --------------------------------------------------------------------------------


def on_revocation(session: Session, peer, item: dict) -> None:
    """A peer's ``pass.revocation`` (or its withdrawal): kept per (issuer, subject)."""
    subject = item["id"].rsplit("/", 1)[-1]
    row = session.scalar(select(PassRevocation).where(PassRevocation.issuer == peer.node_id,
                                                      PassRevocation.subject == subject))
    if item.get("deleted") or item.get("redacted") or not item.get("content"):
        if row is not None:
            session.delete(row)
        session.flush()
        return
    content = item["content"]
    if row is None:
        row = PassRevocation(issuer=peer.node_id, subject=content["subject"])
        session.add(row)
    row.pass_ids = " ".join(content["pass_ids"])
    row.reason = content["reason"]
    row.received_at = utcnow()
    session.flush()


def drop_peer(session: Session, peer, started_at) -> int:
    """End of a resync: the peer's revocations not served again are dropped."""
    rows = list(session.scalars(select(PassRevocation).where(
        PassRevocation.issuer == peer.node_id, PassRevocation.received_at < started_at)))
    for row in rows:
        session.delete(row)
    return len(rows)
