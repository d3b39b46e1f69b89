"""Only the owner of an object changes it (feed and inbox), and rejected input changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from federation.canonical import canonical_dumps
from federation.envelope import sign_redactable
from federation.keys import now_ms
from node.federation import hooks as federation_hooks
from node.federation import inbox
from node.federation.models import DELIVERY_DEAD
from node.models import (
    Event,
    FeedEntry,
    OutboxMessage,
    RegionalEvent,
    RegionalParticipant,
    RegionalSession,
    Registration,
    RemoteRegistration,
)
from node.regional import regional
from tests.regional.conftest import add_member, call, local, token, wait_delivered

COUNTED = (RegionalEvent, RegionalParticipant, RegionalSession, RemoteRegistration, Event,
           Registration, OutboxMessage, FeedEntry)


def counts(node) -> dict[str, int]:
    with node.session() as session:
        return {m.__name__: session.scalar(select(func.count()).select_from(m)) for m in COUNTED}


def program_titles(week, node) -> dict[str, tuple]:
    return {s["object_id"]: (s["title"], s["starts_at"], s["capacity"], s["status"]) for s in week.program(node)}


def serve_forged_item(node, item_type: str, object_id: str, content: dict) -> None:
    """Put an item on ``node``'s feed, signed by ``node``, for an object id of another node."""
    with node.session() as session:
        entry = FeedEntry(item_type=item_type, object_id=object_id, recipient=None,
                          is_deleted=False, item_json="")
        session.add(entry)
        session.flush()
        item = {"seq": entry.seq, "type": item_type, "id": object_id, "owner": node.url,
                "origin_ts": now_ms(), "deleted": False, "content": content}
        signed = sign_redactable(item, node.url, node.runtime.signing_key())
        entry.item_json = canonical_dumps(signed).decode("utf-8")
        session.commit()


def feed_item_for_an_object_owned_by_another_node_is_rejected(week):
    aix, bleau, calanques = week.nodes
    before = program_titles(week, calanques)
    with aix.session() as session:
        row = regional.session_by_object_id(session, week.sessions["aix"])
        stolen = {**regional.session_content(row), "title": "Hijacked", "capacity": 500}
    serve_forged_item(bleau, "event.session", week.sessions["aix"], stolen)
    (result,) = [r for r in calanques.sync() if r.peer == bleau.url]
    assert result.error == "origin_mismatch"
    assert program_titles(week, calanques) == before


def items_naming_another_owner_in_their_content_fail_the_page(week):
    """PROTOCOL §6.1/§8: an item whose ``host``/``organiser`` is another node fails its page
    with ``origin_mismatch``: nothing of it is applied, the cursor stays."""
    aix, bleau, calanques = week.nodes
    before = program_titles(week, calanques)
    with aix.session() as session:
        row = regional.session_by_object_id(session, week.sessions["aix"])
        content = {**regional.session_content(row), "title": "Fake Aix session"}
        event_content = regional.regional_content(session, regional.by_object_id(
            session, row.regional_event_object_id))
    # Bleau serves, under its own ids, items claiming Aix as host and as organiser (its own
    # node refuses to publish them: they are put on its feed by hand).
    serve_forged_item(bleau, "event.session", f"{bleau.url}/regional-session/999", content)
    serve_forged_item(bleau, "event.regional", f"{bleau.url}/regional/999",
                      {**event_content, "title": "Fake week"})
    cursor = calanques.peer_row(bleau).last_applied_seq
    (result,) = [r for r in calanques.sync() if r.peer == bleau.url]
    assert result.error == "origin_mismatch" and result.applied == 0
    assert calanques.peer_row(bleau).last_applied_seq == cursor
    assert program_titles(week, calanques) == before
    with calanques.session() as session:
        assert session.scalar(select(func.count()).select_from(RegionalEvent)) == 1
        assert session.scalar(select(RegionalSession).where(
            RegionalSession.title == "Fake Aix session")) is None


def inbox_messages_from_a_non_owner_are_refused_and_change_nothing(week):
    aix, bleau, calanques = week.nodes
    alice = token(aix, add_member(aix, "alice@aix.example", "Alice"))
    call(aix, "POST", f"/regional/sessions/{week.session_id_on(aix, week.sessions['bleau'])}/registration",
         alice, {}, expect=201)
    wait_delivered(aix)
    with aix.session() as session:
        key = session.scalar(select(RemoteRegistration.idempotency_key))
        event = session.scalar(select(RegionalEvent))
        event_content, event_id = regional.regional_content(session, event), event.object_id
    before = counts(aix)
    # Calanques pretends to be the host of Bleau's session and cancels Alice's seat.
    with calanques.session() as session:
        federation_hooks.send_inbox_message(session, aix.url, "registration.response", {
            "session_id": week.sessions["bleau"], "idempotency_key": key, "status": "cancelled",
            "position": None})
        # ...and invites Bleau to Aix's event as if it were Aix.
        federation_hooks.send_inbox_message(session, bleau.url, "regional.invitation", {
            **event_content, "regional_event_id": event_id, "organiser_name": "Not me"})
        session.commit()
    inbox.deliver_due(calanques.runtime)
    with calanques.session() as session:
        statuses = session.scalars(select(OutboxMessage.status).where(
            OutboxMessage.message_type.in_(("registration.response", "regional.invitation")))).all()
    assert statuses == [DELIVERY_DEAD, DELIVERY_DEAD]
    assert counts(aix) == before
    assert [r["status"] for r in call(aix, "GET", "/me/regional-registrations", alice).json] == ["confirmed"]


def non_owner_cannot_change_copies_through_the_api(week):
    aix, bleau, _calanques = week.nodes
    before = counts(bleau)
    copy_id = week.session_id_on(bleau, week.sessions["aix"])
    call(bleau, "PATCH", f"/regional/sessions/{copy_id}", week.managers[1], {"capacity": 99}, expect=403)
    call(bleau, "POST", f"/regional/sessions/{copy_id}/cancel", week.managers[1], expect=403)
    call(bleau, "PATCH", f"/regional/{week.regional_on(bleau)}", week.managers[1], {"title": "Mine"}, expect=403)
    call(bleau, "POST", f"/regional/{week.regional_on(bleau)}/invitations", week.managers[1],
         {"node_ids": [aix.url]}, expect=403)
    assert counts(bleau) == before


def invalid_bodies(start: datetime) -> list[tuple[str, dict]]:
    """Bad manager input, around ``start`` (when the week starts)."""
    return [
        ("/regional", {"title": "X", "starts_at": local(start), "ends_at": local(start - timedelta(hours=1))}),
        ("/regional", {"title": " ", "starts_at": local(start), "ends_at": local(start + timedelta(days=1))}),
        ("/regional", {"title": "X", "starts_at": local(start), "ends_at": local(start + timedelta(days=1)),
                       "visibility": "secret"}),
        ("/regional", {"title": "X", "starts_at": local(start), "ends_at": local(start + timedelta(days=1)),
                       "organiser": "http://evil.example"}),
        ("/regional/{rid}/sessions", {"title": "S", "type": "atelier", "start_at": local(start),
                                      "end_at": local(start + timedelta(hours=1)), "capacity": 0}),
        ("/regional/{rid}/sessions", {"title": "S", "type": "rave", "start_at": local(start),
                                      "end_at": local(start + timedelta(hours=1))}),
        ("/regional/{rid}/sessions", {"title": "S", "type": "atelier", "start_at": local(start),
                                      "end_at": local(start - timedelta(hours=1))}),
        ("/regional/{rid}/invitations", {"node_ids": ["http://127.0.0.1:9/not-a-peer"]}),
        ("/regional/{rid}/invitations", {"node_ids": []}),
    ]


def invalid_manager_input_changes_nothing(week):
    aix = week.nodes[0]
    before = counts(aix)
    for path, body in invalid_bodies(week.start):
        response = call(aix, "POST", path.format(rid=week.regional_on(aix)), week.managers[0], body,
                        expect=None)
        assert response.status_code in (400, 422), (path, body, response.json)
        assert counts(aix) == before


def invalid_registration_changes_nothing(week):
    aix = week.nodes[0]
    alice = token(aix, add_member(aix, "alice@aix.example", "Alice"))
    target = week.session_id_on(aix, week.sessions["bleau"])
    before = counts(aix)
    for body in ({"share_email": "perhaps"}, {"email": "alice@elsewhere.example"}):
        assert call(aix, "POST", f"/regional/sessions/{target}/registration", alice, body,
                    expect=None).status_code == 422
    call(aix, "DELETE", f"/regional/sessions/{target}/registration", alice, expect=409)
    call(aix, "POST", "/regional/sessions/9999/registration", alice, {}, expect=404)
    assert counts(aix) == before


def test_only_the_owner_changes_an_object(week):
    """Through the API, the feed (content naming another owner, then an id of another owner:
    that one last, it stops the pull from the forger) and the inbox."""
    non_owner_cannot_change_copies_through_the_api(week)
    items_naming_another_owner_in_their_content_fail_the_page(week)
    inbox_messages_from_a_non_owner_are_refused_and_change_nothing(week)
    feed_item_for_an_object_owned_by_another_node_is_rejected(week)


def test_invalid_input_changes_nothing(week):
    invalid_manager_input_changes_nothing(week)
    invalid_registration_changes_nothing(week)
