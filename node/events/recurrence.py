"""RFC 5545 recurrence rules, expanded in the event's own time zone (DST-correct)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
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


# --- the recurrence form: a few shapes people use, written as an RRULE ---------------------------

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: The Nth weekday of a month: first to fourth, or last (-1).
NTHS = (1, 2, 3, 4, -1)


@dataclass(frozen=True)
class Repeat:
    """What the recurrence form says: weekly on some days every ``interval`` weeks, or monthly on
    the ``nth`` ``weekdays[0]``; ending on a local date (``until``), after ``count`` dates, or
    never (dates are then materialised half a year ahead)."""

    freq: str  # "weekly" or "monthly"
    weekdays: tuple[int, ...]  # 0 = Monday
    interval: int = 1
    nth: int | None = None
    until: date | None = None
    count: int | None = None


def to_rule(repeat: Repeat, tz_name: str) -> str:
    """The RRULE value of ``repeat``; ``until`` is the end of that day in the event's zone."""
    days = ",".join(WEEKDAYS[d] for d in sorted(set(repeat.weekdays)))
    if repeat.freq == "weekly":
        parts = ["FREQ=WEEKLY"]
        if repeat.interval > 1:
            parts.append(f"INTERVAL={repeat.interval}")
        parts.append(f"BYDAY={days}")
    else:
        parts = ["FREQ=MONTHLY"]
        if repeat.interval > 1:
            parts.append(f"INTERVAL={repeat.interval}")
        parts.append(f"BYDAY={repeat.nth}{WEEKDAYS[repeat.weekdays[0]]}")
    if repeat.until is not None:
        last = datetime.combine(repeat.until, time(23, 59, 59), tzinfo=zone(tz_name)).astimezone(UTC)
        parts.append("UNTIL=" + last.strftime("%Y%m%dT%H%M%SZ"))
    elif repeat.count is not None:
        parts.append(f"COUNT={repeat.count}")
    return ";".join(parts)


_NTH_DAY = re.compile(r"^([+-]?\d)(MO|TU|WE|TH|FR|SA|SU)$")


def from_rule(text: str | None, tz_name: str, start_weekday: int | None = None) -> Repeat | None:
    """The form's reading of an RRULE, or None when the rule says more than the form can show
    (then the form keeps the rule as it is, in its advanced field). A weekly rule without days
    repeats on the weekday of the first date, ``start_weekday``."""
    if not text:
        return None
    value = text.strip().upper().removeprefix("RRULE:")
    try:
        parts = dict(part.split("=", 1) for part in value.split(";"))
        interval = int(parts.pop("INTERVAL", "1"))
        count = int(parts.pop("COUNT")) if "COUNT" in parts else None
        until = None
        if "UNTIL" in parts:
            raw = parts.pop("UNTIL")
            moment = datetime.strptime(raw[:15], "%Y%m%dT%H%M%S") if "T" in raw else datetime.strptime(raw, "%Y%m%d")
            until = (moment.replace(tzinfo=UTC).astimezone(zone(tz_name)).date() if raw.endswith("Z")
                     else moment.date())
        freq, byday = parts.pop("FREQ"), parts.pop("BYDAY", "")
        parts.pop("WKST", None)
    except (ValueError, KeyError):
        return None
    if parts or interval < 1 or (count is not None and until is not None):
        return None
    if freq == "WEEKLY" and not byday and start_weekday is not None:
        byday = WEEKDAYS[start_weekday]
    if freq == "WEEKLY" and byday:
        days = byday.split(",")
        if not all(day in WEEKDAYS for day in days):
            return None
        return Repeat("weekly", tuple(sorted(WEEKDAYS.index(day) for day in days)), interval,
                      until=until, count=count)
    found = _NTH_DAY.match(byday) if freq == "MONTHLY" else None
    if found and int(found.group(1)) in NTHS:
        return Repeat("monthly", (WEEKDAYS.index(found.group(2)),), interval, nth=int(found.group(1)),
                      until=until, count=count)
    return None
