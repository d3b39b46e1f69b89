"""Plausibility bounds on the figures a peer sends (PROTOCOL §6.3).

The wire schemas (``schemas.federation``) check that a count is a JSON integer within
±(2^53 − 1); that is a format, not a sanity check: a peer could still announce
9 007 199 254 740 991 cents of business and have it added to the network's totals. Every
number a peer gives us (counts, money, seats, positions, leases, dates) has a bound here,
chosen far above what any coworking space reaches and far below what breaks a sum or a page.
A value out of bounds refuses the whole item or message with ``implausible_value``: a feed
page that holds one fails as a whole (nothing of it applied, the cursor stays), an inbox
message is answered ``400 implausible_value`` and not remembered.

The bounds are named once here and printed in PROTOCOL.md's table, which a test compares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from federation.errors import ImplausibleValue
from schemas.federation import (
    CONNECTOR_DEAL,
    DIRECTORY_ENTRY,
    EVENT_REGIONAL,
    EVENT_SESSION,
    PEER_STATS,
    REGIONAL_INVITATION,
    REGIONAL_REPORT,
    REGISTRATION_RESPONSE,
)

DAY_MS = 86_400_000

#: The most members (active, in the directory, in one segment or regular) one space reports.
MAX_MEMBERS = 100_000
#: The most events one space announces as upcoming.
MAX_EVENTS = 10_000
#: The most referrals or confirmed deals one space counts in a year.
MAX_DEALS = 1_000_000
#: The most business (euro cents) one space counts in a year: 100 million euros.
MAX_BUSINESS_CENTS = 10_000_000_000
#: The most one deal is worth (euro cents): 10 million euros.
MAX_DEAL_CENTS = 1_000_000_000
#: The most seats of one session, and the longest waitlist position.
MAX_SEATS = 10_000
#: The most sessions, registrations, attendances or introductions in one regional report.
MAX_REPORT_COUNT = 1_000_000
#: A directory lease ends at most this long after the item's ``origin_ts`` (a lease "for
#: ever" would keep a copy alive if the tombstone were lost: PROTOCOL §8). The reference node
#: leases for 7 days; the bound leaves room for other policies, never for eternity.
MAX_LEASE_MS = 366 * DAY_MS
#: The longest period one ``peer.stats`` item covers, and the longest event or session.
MAX_PERIOD_DAYS = 366
MAX_EVENT_DAYS = 31

#: (type, field) → the largest value accepted (counts are ≥ 0 by their schemas already).
BOUNDS: dict[tuple[str, str], int] = {
    (PEER_STATS, "members_active"): MAX_MEMBERS,
    (PEER_STATS, "directory_entries"): MAX_MEMBERS,
    (PEER_STATS, "events_upcoming"): MAX_EVENTS,
    (PEER_STATS, "referrals"): MAX_DEALS,
    (PEER_STATS, "deals_confirmed"): MAX_DEALS,
    (PEER_STATS, "business_cents"): MAX_BUSINESS_CENTS,
    (PEER_STATS, "regulars"): MAX_MEMBERS,
    (PEER_STATS, "pass_visits"): MAX_DEALS,
    (PEER_STATS, "segments.*"): MAX_MEMBERS,
    (EVENT_SESSION, "capacity"): MAX_SEATS,
    (EVENT_SESSION, "seats_left"): MAX_SEATS,
    (REGISTRATION_RESPONSE, "position"): MAX_SEATS,
    (CONNECTOR_DEAL, "amount_cents"): MAX_DEAL_CENTS,
    **{(REGIONAL_REPORT, name): MAX_REPORT_COUNT
       for name in ("sessions", "registrations", "remote_registrations", "attendance",
                    "introductions")},
}


def _over(message_type: str, name: str, value: Any) -> None:
    bound = BOUNDS.get((message_type, name))
    if bound is not None and isinstance(value, int) and value > bound:
        raise ImplausibleValue(f"{message_type} {name} is above {bound}")


def _check_bounded_fields(message_type: str, content: Mapping[str, Any]) -> None:
    for name, value in content.items():
        if isinstance(value, Mapping):
            for inner in value.values():
                _over(message_type, f"{name}.*", inner)
        else:
            _over(message_type, name, value)


def _stats(content: Mapping[str, Any], origin_ts: int | None) -> None:
    if content["directory_entries"] > content["members_active"]:
        raise ImplausibleValue("peer.stats directory_entries exceed members_active")
    segments = content.get("segments")
    if segments is not None and sum(segments.values()) > MAX_MEMBERS:
        raise ImplausibleValue("peer.stats segments add up above the bound")
    start, end = _date(content["period_start"]), _date(content["period_end"])
    if end < start or (end - start).days > MAX_PERIOD_DAYS:
        raise ImplausibleValue("peer.stats period is reversed or longer than a year")


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _event(content: Mapping[str, Any], origin_ts: int | None) -> None:
    starts = datetime.fromisoformat(content["starts_at"])
    ends = datetime.fromisoformat(content["ends_at"])
    if (ends - starts).days >= MAX_EVENT_DAYS:
        raise ImplausibleValue("event lasts longer than 31 days")


def _session(content: Mapping[str, Any], origin_ts: int | None) -> None:
    _event(content, origin_ts)
    capacity, left = content.get("capacity"), content.get("seats_left")
    if left is not None and (capacity is None or left > capacity):
        raise ImplausibleValue("event.session seats_left exceed its capacity")


def _entry(content: Mapping[str, Any], origin_ts: int | None) -> None:
    if origin_ts is not None and content["lease_until_ts"] > origin_ts + MAX_LEASE_MS:
        raise ImplausibleValue("directory.entry lease ends more than 366 days after it was signed")


def _report(content: Mapping[str, Any], origin_ts: int | None) -> None:
    if content["remote_registrations"] > content["registrations"]:
        raise ImplausibleValue("regional.report remote_registrations exceed registrations")


_RULES: dict[str, Callable[[Mapping[str, Any], int | None], None]] = {
    PEER_STATS: _stats,
    EVENT_REGIONAL: _event,
    REGIONAL_INVITATION: _event,
    EVENT_SESSION: _session,
    DIRECTORY_ENTRY: _entry,
    REGIONAL_REPORT: _report,
}


def check_plausible(message_type: str, content: Mapping[str, Any],
                    origin_ts: int | None = None) -> None:
    """Raise :class:`ImplausibleValue` when a figure of ``content`` (already valid for its
    schema) is out of bounds; ``origin_ts``: the item's or message's date, against which
    leases and periods are bounded."""
    _check_bounded_fields(message_type, content)
    rule = _RULES.get(message_type)
    if rule is not None:
        rule(content, origin_ts)
