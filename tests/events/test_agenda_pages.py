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
