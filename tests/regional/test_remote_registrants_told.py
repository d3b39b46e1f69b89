"""A host moves or cancels a session: the members of other spaces registered for it are told by
their own node, once per change, in their language, when it applies the feed item; a change that
touches neither time, room nor status mails nobody."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from federation.keys import now_ms
from node.federation import inbox
from node.federation.models import DELIVERY_PENDING
from node.models import Member, OutboxMessage
from tests.conftest import PortalClient
from tests.regional.conftest import add_member, call, local, token, wait_delivered

PARIS = ZoneInfo("Europe/Paris")
FR_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
FR_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre")
EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")


def in_french(moment: datetime) -> str:
    """``mercredi 2 décembre 2026 à 17:30``, Paris wall-clock time."""
    there = moment.astimezone(PARIS)
    return f"{FR_DAYS[there.weekday()]} {there.day} {FR_MONTHS[there.month - 1]} {there.year} à {there:%H:%M}"


def in_english(moment: datetime) -> str:
    there = moment.astimezone(PARIS)
    return f"{EN_DAYS[there.weekday()]} {there.day} {EN_MONTHS[there.month - 1]} {there.year} at {there:%H:%M}"


def mails(node) -> list:
    return node.app.extensions["coworknet.mail"].outbox


def register_from(week, node, headers, name: str = "bleau") -> None:
    call(node, "POST", f"/regional/sessions/{week.session_id_on(node, week.sessions[name])}/registration",
         headers, {}, expect=201)


def set_locale(node, member_id: int, locale: str) -> None:
    with node.session() as session:
        session.get(Member, member_id).locale = locale
        session.commit()


def registrants(week):
    """Bleau's meetup: a member of Bleau, two of Aix (one reading English), one of Calanques and
    one of Calanques who cancelled again; every mail box empty."""
    aix, bleau, calanques = week.nodes
    register_from(week, bleau, token(bleau, add_member(bleau, "here@bleau.example", "Hélène")))
    register_from(week, aix, token(aix, add_member(aix, "agnes@aix.example", "Agnès")))
    english = add_member(aix, "emma@aix.example", "Emma")
    set_locale(aix, english, "en")
    register_from(week, aix, token(aix, english))
    register_from(week, calanques, token(calanques, add_member(calanques, "cecile@calanques.example", "Cécile")))
    gone = token(calanques, add_member(calanques, "gone@calanques.example", "Gaston"))
    register_from(week, calanques, gone)
    wait_delivered(aix, calanques)
    call(calanques, "DELETE",
         f"/regional/sessions/{week.session_id_on(calanques, week.sessions['bleau'])}/registration", gone)
    wait_delivered(aix, bleau, calanques)
    for node in week.nodes:
        mails(node).clear()


def change_meetup(week, body: dict) -> None:
    bleau = week.nodes[1]
    call(bleau, "PATCH", f"/regional/sessions/{week.session_id_on(bleau, week.sessions['bleau'])}",
         week.managers[1], body)
    wait_delivered(bleau)


def test_new_time_mailed_once_by_each_registrants_own_node_in_their_language(week):
    aix, bleau, calanques = week.nodes
    registrants(week)
    # Paul's registration is still on its way (Bleau was down when he clicked): he is told too.
    bleau.stop()
    paul = token(aix, add_member(aix, "paul@aix.example", "Paul"))
    register_from(week, aix, paul)
    assert aix.runtime.wait_for_background()  # the immediate delivery fails; a retry waits a backoff
    bleau.start()
    assert [r["status"] for r in call(aix, "GET", "/me/regional-registrations", paul).json] == ["pending"]
    moved = week.start + timedelta(days=1, hours=9, minutes=30)
    change_meetup(week, {"start_at": local(moved), "end_at": local(moved + timedelta(hours=2))})
    # The host tells its own member at once, and nobody else.
    assert [(m.to, m.subject) for m in mails(bleau)] == [("here@bleau.example", "Nouvel horaire\u00a0: Meetup freelances")]
    assert mails(aix) == [] and mails(calanques) == []

    week.sync_all()
    assert [(m.to, m.subject) for m in mails(aix)] == [
        ("agnes@aix.example", "Nouvel horaire\u00a0: Meetup freelances"),
        ("emma@aix.example", "New time: Meetup freelances"),
        ("paul@aix.example", "Nouvel horaire\u00a0: Meetup freelances")]
    assert [(m.to, m.subject) for m in mails(calanques)] == [
        ("cecile@calanques.example", "Nouvel horaire\u00a0: Meetup freelances")]
    french = mails(calanques)[0].body
    before = week.start + timedelta(days=1, hours=2)
    assert french.startswith("Bonjour Cécile,\n")
    assert f"aura lieu le {in_french(moved)}" in french and f"prévue le {in_french(before)}" in french
    assert f"{calanques.url}/regional/{week.regional_on(calanques)}#session-" in french
    assert f"now takes place on {in_english(moved)}" in mails(aix)[1].body
    assert len(mails(bleau)) == 1  # the host never mails the others' members

    # Pulling again, or Paul's registration reaching the host, mails nobody.
    week.sync_all()
    assert inbox.deliver_due(aix.runtime, now=now_ms() + 3_600_000) >= 1
    assert [r["status"] for r in call(aix, "GET", "/me/regional-registrations", paul).json] == ["confirmed"]
    week.sync_all()
    assert len(mails(aix)) == 3 and len(mails(calanques)) == 1

    # Aix's portal shows the new time.
    portal = PortalClient(aix.client())
    assert portal.login("agnes@aix.example").status_code == 302
    assert in_french(moved) in portal.get("/regional/mine").get_data(as_text=True)
    program = {s["object_id"]: s for s in week.program(aix)}[week.sessions["bleau"]]
    assert datetime.fromisoformat(program["starts_at"]) == moved


def test_new_room_mailed_once_then_nothing_for_a_description_or_capacity_change(week):
    aix, bleau, calanques = week.nodes
    registrants(week)
    room = call(bleau, "POST", "/admin/venues", week.managers[1], {"name": "Salle Fontaine"}, expect=201).json
    change_meetup(week, {"venue_id": room["id"]})
    week.sync_all()
    assert [(m.to, m.subject) for m in mails(calanques)] == [
        ("cecile@calanques.example", "Nouvelle salle\u00a0: Meetup freelances")]
    assert "Salle Fontaine" in mails(calanques)[0].body
    assert [m.subject for m in mails(aix)] == ["Nouvelle salle\u00a0: Meetup freelances", "New room: Meetup freelances"]
    portal = PortalClient(aix.client())
    assert portal.login("agnes@aix.example").status_code == 302
    assert "Salle Fontaine" in portal.get("/regional/mine").get_data(as_text=True)

    change_meetup(week, {"description": "Apportez vos cartes de visite.", "capacity": 30})
    week.sync_all()
    program = {s["object_id"]: s for s in week.program(aix)}[week.sessions["bleau"]]
    assert program["capacity"] == 30  # the change reached Aix ...
    assert len(mails(aix)) == 2 and len(mails(calanques)) == 1  # ... and mailed nobody


def test_cancellation_told_once_whichever_of_feed_and_answer_arrives_first(week):
    aix, bleau, calanques = week.nodes
    registrants(week)
    # Paul's registration at Calanques has not reached Bleau yet.
    bleau.stop()
    paul = token(calanques, add_member(calanques, "paul@calanques.example", "Paul"))
    register_from(week, calanques, paul)
    assert calanques.runtime.wait_for_background()
    bleau.start()
    # Aix is unreachable when the host cancels: its members learn it from the feed.
    aix.stop()
    call(bleau, "POST", f"/regional/sessions/{week.session_id_on(bleau, week.sessions['bleau'])}/cancel",
         week.managers[1])
    assert bleau.runtime.wait_for_background()
    # Calanques got the host's answer about Cécile at once (an inbox message) and told her.
    assert [(m.to, m.subject) for m in mails(calanques)] == [("cecile@calanques.example", "Annulé\u00a0: Meetup freelances")]
    week.sync_all()
    # The feed tells Paul (pending) and nobody twice.
    assert [(m.to, m.subject) for m in mails(calanques)] == [
        ("cecile@calanques.example", "Annulé\u00a0: Meetup freelances"),
        ("paul@calanques.example", "Annulé\u00a0: Meetup freelances")]
    assert [(m.to, m.subject) for m in mails(aix)] == [
        ("agnes@aix.example", "Annulé\u00a0: Meetup freelances"),
        ("emma@aix.example", "Cancelled: Meetup freelances")]
    assert in_french(week.start + timedelta(days=1, hours=2)) in mails(aix)[0].body
    aix.start()
    # The host's answers reach Aix later and Paul's request reaches the host (cancelled): the
    # registrations are already cancelled, nobody is mailed again.
    with bleau.session() as session:
        late = session.scalars(select(OutboxMessage).where(
            OutboxMessage.destination == aix.url, OutboxMessage.message_type == "registration.response",
            OutboxMessage.status == DELIVERY_PENDING)).all()
        assert len(late) == 2
    inbox.deliver_due(bleau.runtime, now=now_ms() + 3_600_000)
    inbox.deliver_due(calanques.runtime, now=now_ms() + 3_600_000)
    week.sync_all()
    assert len(mails(aix)) == 2 and len(mails(calanques)) == 2
    assert [r["status"] for r in call(calanques, "GET", "/me/regional-registrations", paul).json] == ["cancelled"]
    for node, email in ((aix, "agnes@aix.example"), (calanques, "cecile@calanques.example")):
        with node.session() as session:
            member_id = session.scalar(select(Member.id).where(Member.email == email))
        statuses = call(node, "GET", "/me/regional-registrations", token(node, member_id)).json
        assert [r["status"] for r in statuses] == ["cancelled"]
