"""RFC 5545 recurrence rules, expanded in the event's own time zone (DST-correct)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr

from ..errors import N_, ValidationError

ALLOWED_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
#: Never materialise more dates than this for one series.
MAX_OCCURRENCES = 200


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``, or a ValidationError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(N_("Unknown time zone."), fields={"timezone": [N_("Unknown time zone.")]}) from None


def parse_rule(text: str, start_at: datetime, tz_name: str) -> rrule:
    """Parse an RRULE value for a series starting at ``start_at`` (UTC) in ``tz_name``."""
    value = text.strip()
    if value.upper().startswith("RRULE:"):
        value = value[6:]
    parts = dict(part.split("=", 1) for part in value.upper().split(";") if "=" in part)
    error = {"rrule": [N_("This is not a valid recurrence rule.")]}
    if parts.get("FREQ") not in ALLOWED_FREQS or "DTSTART" in value.upper():
        raise ValidationError(N_("This is not a valid recurrence rule."), fields=error)
    local_start = start_at.astimezone(zone(tz_name))
    try:
        rule = rrulestr(value, dtstart=local_start)
    except (ValueError, TypeError):
        raise ValidationError(N_("This is not a valid recurrence rule."), fields=error) from None
    if not isinstance(rule, rrule):
        raise ValidationError(N_("This is not a valid recurrence rule."), fields=error)
    return rule


def expand(text: str, start_at: datetime, tz_name: str, until: datetime) -> list[datetime]:
    """UTC start times the rule produces from ``start_at`` up to ``until`` (inclusive).

    The rule runs on local wall-clock time, so a weekly 9:00 stays 9:00 across DST changes."""
    rule = parse_rule(text, start_at, tz_name)
    starts = []
    for local in rule:
        # Wall-clock times that DST skips are normalised through UTC by zoneinfo.
        moment = local.astimezone(UTC)
        if moment > until or len(starts) >= MAX_OCCURRENCES:
            break
        starts.append(moment)
    return starts
