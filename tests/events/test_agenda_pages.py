"""The agenda list comes in pages of ``AGENDA_PAGE`` lines (a series is one line), with links
to the later and earlier ones; a page past the end is simply empty of lines."""

from __future__ import annotations

import re
from datetime import timedelta

from node.web.events import AGENDA_PAGE


def test_the_agenda_is_paged_and_links_its_pages(client, portal, create_member, api_token, clock):
    manager = create_member("gerant@example.org", role="manager")
    headers = api_token(manager)
    start = (clock.now() + timedelta(days=2)).replace(microsecond=0)
    count = AGENDA_PAGE + 5
    for day in range(count):
        when = start + timedelta(days=day % 90, hours=day % 5)
        answer = client.post("/api/v1/admin/events", headers=headers, json={
            "title": f"Atelier {day:02d}", "type": "atelier", "start_at": when.isoformat(),
            "end_at": (when + timedelta(hours=1)).isoformat(), "status": "published", "audience": "public"})
        assert answer.status_code == 201, answer.json
    first = client.get("/events").get_data(as_text=True)
    second = client.get("/events?page=2").get_data(as_text=True)
    shown = [re.findall(r"Atelier \d\d", page) for page in (first, second)]
    assert len(set(shown[0])) == AGENDA_PAGE and len(set(shown[1])) == 5
    assert not set(shown[0]) & set(shown[1])
    assert 'rel="next"' in first and "Événements suivants" in first and 'rel="prev"' not in first
    assert 'rel="prev"' in second and 'href="/events"' in second and 'rel="next"' not in second
    assert client.get("/events?page=9").status_code == 200
    assert client.get("/events?page=0").status_code in (200, 400, 422)


def test_a_series_is_one_line_that_counts_its_later_dates_and_my_seats(client, portal, create_member,
                                                                       api_token, clock):
    manager = create_member("gerante@example.org", role="manager")
    member = create_member("ines@example.org", display_name="Inès")
    start = (clock.now() + timedelta(days=3)).replace(microsecond=0)
    created = client.post("/api/v1/admin/events", headers=api_token(manager), json={
        "title": "Café du mardi", "type": "aperitif", "start_at": start.isoformat(),
        "end_at": (start + timedelta(hours=1)).isoformat(), "status": "published", "audience": "space",
        "rrule": "FREQ=WEEKLY;COUNT=4", "capacity": 10})
    assert created.status_code == 201, created.json
    dates = [occurrence["id"] for occurrence in created.json["occurrences"]]
    for occurrence_id in dates[1:3]:  # the second and third Tuesdays
        answer = client.post(f"/api/v1/events/occurrences/{occurrence_id}/registration",
                             headers=api_token(member), json={})
        assert answer.status_code in (200, 201), answer.json
    portal.login(member.email)
    page = portal.get("/events").get_data(as_text=True)
    line = page.split(f'id="occurrence-{dates[0]}"')[1].split("</li>")[0]
    assert page.count("Café du mardi") == 1 and 'data-dates="4"' in page
    assert "et 3 autres dates" in line and "inscrit·e à 2 d’entre elles" in line
    assert "10 places restantes" in line.replace("\u202f", " ").replace("\xa0", " ")
