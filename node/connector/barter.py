"""Barter ledger: passes, days or packages exchanged against services, with a member or with
another space (for visiting members). Balances are in units, per counterpart and unit."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..errors import N_, ValidationError
from ..members.models import Member
from .models import BarterEntry


def record_entry(session: Session, recorded_by: Member, *, member: Member | None, peer: str | None,
                 direction: str, unit: str, quantity: int, service: str, occurred_on: date) -> BarterEntry:
    """Record one exchange; the counterpart is exactly one member or one other space."""
    if (member is None) == (not peer):
        raise ValidationError(N_("Choose either a member or another space."),
                              fields={"member_id": ["one_of"], "peer": ["one_of"]})
    if member is not None and not member.is_active:
        raise ValidationError(N_("This member is not active."), fields={"member_id": ["inactive"]})
    entry = BarterEntry(member=member, peer=peer or None, direction=direction, unit=unit,
                        quantity=quantity, service=service, occurred_on=occurred_on,
                        recorded_by_id=recorded_by.id)
    session.add(entry)
    session.flush()
    return entry


def history(session: Session, *, member: Member | None = None, peer: str | None = None) -> list[BarterEntry]:
    statement = select(BarterEntry).options(selectinload(BarterEntry.member))
    if member is not None:
        statement = statement.where(BarterEntry.member_id == member.id)
    if peer is not None:
        statement = statement.where(BarterEntry.peer == peer)
    return list(session.scalars(statement.order_by(BarterEntry.occurred_on.desc(), BarterEntry.id.desc())))


@dataclass(frozen=True)
class Balance:
    counterpart: str  # "member:<id>" or "peer:<node id>"
    label: str
    units: dict[str, int]  # unit -> units the counterpart holds (negative: owes)


def signed(entry: BarterEntry) -> int:
    return entry.quantity if entry.direction == "given" else -entry.quantity


def balances(session: Session, entries: list[BarterEntry] | None = None) -> list[Balance]:
    """Per counterpart and unit: units given by the space minus units received back."""
    entries = entries if entries is not None else history(session)
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    labels: dict[str, str] = {}
    for entry in entries:
        key = f"member:{entry.member_id}" if entry.member_id else f"peer:{entry.peer}"
        labels[key] = entry.member.display_name if entry.member is not None else entry.peer or ""
        totals[key][entry.unit] += signed(entry)
    return [Balance(key, labels[key], dict(units)) for key, units in sorted(totals.items(), key=lambda kv: labels[kv[0]].casefold())]
