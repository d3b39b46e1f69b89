"""Write operations that declare no body: nothing, or an empty object, is still fine; any field is
refused before anything changes (it would otherwise be silently ignored)."""

from __future__ import annotations

from datetime import timedelta

from node.models import Registration
from tests.conftest import count_rows


def test_an_empty_body_or_object_is_accepted_and_a_field_refused(app, client, create_member, api_token,
                                                                  session, clock):
    manager = create_member(role="manager")
    headers = api_token(manager)
    start = (clock.now() + timedelta(days=30)).replace(microsecond=0)
    event = client.post("/api/v1/admin/events", headers=headers, json={
        "title": "Apéro", "type": "aperitif", "start_at": start.isoformat(),
        "end_at": (start + timedelta(hours=2)).isoformat(), "status": "published", "audience": "space"}).json
    url = f"/api/v1/events/occurrences/{event['occurrences'][0]['id']}/registration"
    member = api_token(create_member())

    refused = client.post(url, json={"waitlist": True}, headers=member)
    assert refused.status_code == 422 and refused.json["error"]["fields"] == {"waitlist": ["Champ inconnu."]}
    assert client.post(url, data="registration please", headers=member).status_code == 400
    assert count_rows(session, Registration) == 0

    assert client.post(url, headers=member).status_code == 201
    assert client.delete(url, json={}, headers=member).json["status"] == "cancelled"
    assert client.post(url, data=" \n", headers=member).status_code == 201
