"""The recurrence form writes the RRULE: weekly on some days every N weeks, monthly on the Nth
weekday, until a date or for a number of dates; the time zone is a select."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from node.events import recurrence
from node.models import Event

PARIS = ZoneInfo("Europe/Paris")


def _form(**overrides) -> dict:
    form = {"title": "Petit-déj", "type": "journee_coworking", "description": "",
            "start_at": "2026-12-01T09:00", "end_at": "2026-12-01T10:00", "timezone": "Europe/Paris",
            "venue_id": "", "address": "", "capacity": "", "registration_opens_at": "",
            "registration_closes_at": "", "price_info": "", "audience": "space", "status": "published",
            "rrule": "", "repeat": "none", "repeat_interval": "1", "repeat_end": "never",
            "repeat_until": "", "repeat_count": "", "repeat_nth": "", "repeat_weekday": ""}
    form.update(overrides)
    return form


def _dates(session) -> list[str]:
    event = session.scalar(select(Event).order_by(Event.id.desc()))
    return [o.start_at.astimezone(PARIS).strftime("%a %Y-%m-%d %H:%M") for o in event.occurrences]


def test_weekly_on_two_days_every_two_weeks_until_a_date(portal, manager, session, clock):
    clock.pin(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    portal.login(manager.email)
    response = portal.post("/events/admin/new", _form(
        repeat="weekly", repeat_interval="2", repeat_days=["1", "3"], repeat_end="until",
        repeat_until="2026-12-31"))
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    event = session.scalar(select(Event))
    assert event.rrule == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=20261231T225959Z"
    assert _dates(session) == ["Tue 2026-12-01 09:00", "Thu 2026-12-03 09:00", "Tue 2026-12-15 09:00",
                               "Thu 2026-12-17 09:00", "Tue 2026-12-29 09:00", "Thu 2026-12-31 09:00"]
    # The edit form reads the rule back into the same fields.
    page = portal.get(f"/events/admin/{event.id}/edit").get_data(as_text=True)
    assert '<option value="weekly" selected>' in page and 'value="2026-12-31"' in page
    assert 'name="repeat_days" value="1" checked' in page and 'name="repeat_days" value="3" checked' in page


def test_monthly_on_the_last_friday_for_three_dates(portal, manager, session, clock):
    clock.pin(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    portal.login(manager.email)
    response = portal.post("/events/admin/new", _form(
        start_at="2026-11-27T18:30", end_at="2026-11-27T20:00", repeat="monthly", repeat_nth="-1",
        repeat_weekday="4", repeat_end="count", repeat_count="3"))
    assert response.status_code == 302
    assert _dates(session) == ["Fri 2026-11-27 18:30", "Fri 2026-12-25 18:30", "Fri 2027-01-29 18:30"]
    page = portal.get("/events").get_data(as_text=True)
    assert "Le dernier vendredi de chaque mois" in page and "et 2 autres dates" in page


def test_an_incomplete_recurrence_comes_back_as_typed(portal, manager, session, clock):
    clock.pin(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    portal.login(manager.email)
    response = portal.post("/events/admin/new", _form(repeat="weekly", repeat_end="count", repeat_count="4",
                                                      title="Gardé tel quel"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert session.scalar(select(Event)) is None
    assert 'value="Gardé tel quel"' in page and 'id="repeat_days-error"' in page
    assert "repeat_days" in page and 'value="4"' in page


def test_a_custom_rule_and_api_rules_are_kept(portal, manager, session, clock):
    clock.pin(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    portal.login(manager.email)
    portal.post("/events/admin/new", _form(repeat="custom", rrule="FREQ=DAILY;COUNT=3"))
    event = session.scalar(select(Event))
    assert event.rrule == "FREQ=DAILY;COUNT=3" and len(event.occurrences) == 3
    page = portal.get(f"/events/admin/{event.id}/edit").get_data(as_text=True)
    assert '<option value="custom" selected>' in page and 'value="FREQ=DAILY;COUNT=3"' in page


def test_the_time_zone_is_a_select_with_usual_zones_first(portal, manager):
    portal.login(manager.email)
    page = portal.get("/events/admin/new").get_data(as_text=True)
    usual = page.index('<optgroup label="Fuseaux habituels">')
    assert usual < page.index('value="Europe/Paris" selected') < page.index('<optgroup label="Tous les fuseaux">')
    assert page.index('<optgroup label="Tous les fuseaux">') < page.index('value="Asia/Tokyo"')


def test_rules_read_back_into_the_form():
    repeat = recurrence.Repeat("weekly", (0, 4), 3, count=8)
    assert recurrence.from_rule(recurrence.to_rule(repeat, "UTC"), "UTC") == repeat
    monthly = recurrence.Repeat("monthly", (1,), nth=2, until=date(2027, 6, 30))
    assert recurrence.from_rule(recurrence.to_rule(monthly, "America/Montreal"), "America/Montreal") == monthly
    assert recurrence.from_rule("FREQ=WEEKLY;COUNT=4", "UTC", start_weekday=3).weekdays == (3,)
    for other in ("FREQ=DAILY", "FREQ=MONTHLY;BYMONTHDAY=3", "FREQ=WEEKLY;BYDAY=TU;BYHOUR=9", "nonsense"):
        assert recurrence.from_rule(other, "UTC") is None
