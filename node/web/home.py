"""The home page's contents: for visitors what the space is, what is coming and how to join;
for members what to do next (the profile to complete, their next events, needs they can answer,
people to meet, what is new). Each part is one feature's query; the page runs a fixed number of
queries whatever the size of the space (``tests/home/test_home.py`` counts them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter

from sqlalchemy.orm import Session

from ..connector import needs as connector_needs
from ..events import upcoming
from ..events.models import EventOccurrence
from ..members import profiles
from ..members.models import Member
from ..members.suggestions import PersonToMeet, near_concepts, people_to_meet
from ..regional import regional
from ..regional import registration as regional_registration
from ..regional.models import RegionalEvent

#: How far back "what is new" looks.
RECENT = timedelta(days=14)


@dataclass(frozen=True)
class MyDate:
    """One of the member's next dates, here or at another space of the Coworking Week."""

    starts_at: datetime
    title: str
    status: str
    timezone: str
    url: str


@dataclass
class HomePage:
    events: list[EventOccurrence] = field(default_factory=list)
    seats_left: dict[int, int | None] = field(default_factory=dict)
    regional: RegionalEvent | None = None
    #: What only members see.
    checklist: list[tuple[str, bool]] = field(default_factory=list)
    my_dates: list[MyDate] = field(default_factory=list)
    needs: list = field(default_factory=list)
    people: list[PersonToMeet] = field(default_factory=list)
    #: (when, "event" | "need", the event or need), newest first.
    recent: list[tuple[datetime, str, object]] = field(default_factory=list)

    @property
    def profile_done(self) -> int:
        return sum(done for _name, done in self.checklist)


def build(session: Session, viewer: Member | None, now: datetime, *,
          event_url: Callable, session_url: Callable) -> HomePage:
    """What the home page shows ``viewer`` (None: a visitor) at ``now``; ``event_url(event)``
    and ``session_url(regional_session)`` make the links of the member's next dates."""
    page = HomePage()
    page.events = upcoming.next_occurrences(session, viewer, now, limit=5, public_only=viewer is None)
    page.seats_left = upcoming.seats_left(session, page.events)
    page.regional = regional.next_regional(session, viewer, now)
    if viewer is None:
        return page
    page.checklist = profiles.profile_checklist(viewer)
    page.my_dates = _my_dates(session, viewer, now, event_url, session_url)
    mine = {skill.concept_id for skill in viewer.skills if skill.concept_id}
    page.needs = connector_needs.needs_for_skills(session, viewer, mine | near_concepts(mine), limit=4)
    page.people = people_to_meet(session, viewer, now, limit=4)
    page.recent = _recent(session, viewer, now, page)
    return page


def _my_dates(session: Session, member: Member, now: datetime, event_url, session_url) -> list[MyDate]:
    here = [MyDate(r.occurrence.start_at, r.event.title, r.status, r.event.timezone, event_url(r.event))
            for r in upcoming.my_next_registrations(session, member, now, limit=5)]
    elsewhere = [MyDate(row.starts_at, row.title, mine.status, row.timezone, session_url(row))
                 for row, mine in regional_registration.next_remote(session, member, now, limit=5)]
    return sorted(here + elsewhere, key=lambda d: d.starts_at)[:5]


def _recent(session: Session, viewer: Member, now: datetime, page: HomePage) -> list:
    """Events announced and needs posted lately that the page does not show already."""
    listed_events = {o.event_id for o in page.events}
    listed_needs = {need.id for need, _shared in page.needs}
    items: list[tuple[datetime, str, object]] = [
        (event.created_at, "event", event)
        for event in upcoming.recently_announced(session, viewer, now, since=RECENT, limit=6)
        if event.id not in listed_events]
    items += [(need.created_at, "need", need)
              for need in connector_needs.list_needs(session, status="open", limit=6, with_answers=False)
              if need.id not in listed_needs and need.author_id != viewer.id
              and need.created_at >= now - RECENT]
    return sorted(items, key=itemgetter(0), reverse=True)[:5]
