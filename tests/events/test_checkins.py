"""Drop-in check-ins, the engagement summary, and the periodic tick command."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from node.cli import main
from node.cli.events import run_tick
from node.errors import Conflict
from node.events import checkins, registrations
from node.events.registrations import Registrant

PARIS = ZoneInfo("Europe/Paris")


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=PARIS).astimezone(UTC)


def test_half_days_and_days(session, create_member, manager):
    member = create_member()
    row = checkins.check_in(session, member, _at(2, 9), PARIS)
    assert row.period == "morning" and row.day == date(2026, 11, 2)
    with pytest.raises(Conflict):
        checkins.check_in(session, member, _at(2, 10), PARIS)
    assert [r.member_id for r in checkins.who_is_here(session, _at(2, 11), PARIS)] == [member.id]
    checkins.check_out(session, member, _at(2, 17), PARIS)
    assert row.period == "day"
    assert checkins.who_is_here(session, _at(2, 18), PARIS) == []
    afternoon = checkins.check_in(session, member, _at(3, 14), PARIS, recorded_by=manager)
    assert afternoon.period == "afternoon" and afternoon.recorded_by_id == manager.id
    with pytest.raises(Conflict):
        checkins.check_out(session, member, _at(4, 9), PARIS)  # nothing open on the 4th
    session.commit()


def test_attendance_summary(session, create_member, make_event):
    member = create_member()
    checkins.check_in(session, member, _at(2, 9), PARIS)
    checkins.check_out(session, member, _at(2, 18), PARIS)
    checkins.check_in(session, member, _at(5, 14), PARIS)
    # The check-ins are on fixed days, so is "now": the events (a week ahead) count since the 1st.
    now = _at(6, 12)
    attended = make_event(capacity=5, now=now).occurrences[0]
    missed = make_event(capacity=5, title="Formation", now=now).occurrences[0]
    for occurrence, mark in ((attended, "present"), (missed, "no_show")):
        row = registrations.register(session, occurrence.id, Registrant.local(member), now, viewer=member)
        registrations.mark_attendance(session, row.registration, mark)
    session.commit()
    summary = checkins.attendance_summary(session, member.id, date(2026, 11, 1))
    assert (summary.days_at_space, summary.full_days, summary.half_days) == (2, 1, 1)
    assert summary.last_day_at_space == date(2026, 11, 5)
    assert (summary.events_registered, summary.events_attended, summary.no_shows) == (2, 1, 1)
    assert checkins.attendance_summary(session, member.id, date(2026, 11, 4)).days_at_space == 1


def test_tick_expires_offers_and_mails_the_next(app, session, create_member, make_event, outbox, monkeypatch, clock):
    occurrence = make_event(capacity=1).occurrences[0]
    holder, late, next_one = create_member(), create_member(), create_member()
    now = clock.now()
    seat = registrations.register(session, occurrence.id, Registrant.local(holder), now, viewer=holder).registration
    registrations.register(session, occurrence.id, Registrant.local(late), now, viewer=late)
    registrations.register(session, occurrence.id, Registrant.local(next_one), now, viewer=next_one)
    registrations.cancel_registration(session, seat, now, timedelta(hours=24))
    session.commit()
    outbox.clear()  # their confirmations are not what this test is about
    assert run_tick(app, now + timedelta(hours=1)) == 0
    assert run_tick(app, now + timedelta(hours=25)) == 1
    assert [m.to for m in outbox] == [next_one.email]
    assert "confirm" in outbox[0].body.lower() or "confirmez" in outbox[0].body


def test_tick_command_runs(app, monkeypatch):
    monkeypatch.setattr("node.cli.events.create_app", lambda: app)
    result = CliRunner().invoke(main, ["events", "tick"])
    assert result.exit_code == 0, result.output
    assert "0 new seat offer(s)." in result.output
