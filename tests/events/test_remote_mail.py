"""The host mails only its own members: a remote registrant is told by their own node, even when
they shared their e-mail with the host (no second mail)."""

from __future__ import annotations

from node.models import Registration


def test_host_does_not_mail_remote_registrants_on_cancellation(
        client, session, make_event, manager, create_member, api_token, outbox, register_remote):
    event = make_event(audience="network")
    occurrence_id = event.occurrences[0].id
    local = create_member()
    client.post(f"/api/v1/events/occurrences/{occurrence_id}/registration", headers=api_token(local))
    register_remote(occurrence_id)
    outbox.clear()  # their confirmations are not what this test is about
    response = client.post(f"/api/v1/admin/events/{event.id}/cancel", headers=api_token(manager))
    assert response.status_code == 200
    assert [m.to for m in outbox] == [local.email]


def test_host_does_not_mail_a_remote_registrant_offered_a_seat(
        client, session, make_event, create_member, api_token, outbox, register_remote):
    event = make_event(audience="network", capacity=1)
    occurrence_id = event.occurrences[0].id
    local = create_member()
    client.post(f"/api/v1/events/occurrences/{occurrence_id}/registration", headers=api_token(local))
    remote = register_remote(occurrence_id)
    assert remote.status == "waitlisted"
    outbox.clear()  # their confirmations are not what this test is about
    assert client.delete(f"/api/v1/events/occurrences/{occurrence_id}/registration",
                         headers=api_token(local)).status_code in (200, 204)
    session.expire_all()
    assert session.get(Registration, remote.id).status == "offered"
    assert outbox == []
