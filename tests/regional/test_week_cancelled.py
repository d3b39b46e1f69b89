"""The organiser cancels the whole Coworking Week, or a host deletes a session, or a request
still on its way meets a cancelled session: every registration ends as cancelled, and each
registrant is mailed exactly once by their own node, in their language (the host's usual
cancellation mail for its own members), suspended members excepted; syncing again sends
nothing."""

from __future__ import annotations

from sqlalchemy import select

from federation.keys import now_ms
from node.events import registrations
from node.federation import inbox
from node.models import Member, RegionalSession, Registration, RemoteRegistration
from tests.regional.conftest import add_member, call, token, wait_delivered
from tests.regional.test_remote_registrants_told import mails, register_from, set_locale


def fr(title: str) -> str:
    return f"Annulé\u00a0: {title}"


def en(title: str) -> str:
    return f"Cancelled: {title}"


COMPTA, MEETUP, APERO = "Atelier compta", "Meetup freelances", "Apéro des calanques"


def person(node, email: str, name: str, locale: str | None = None) -> tuple[int, dict]:
    member_id = add_member(node, email, name)
    if locale:
        set_locale(node, member_id, locale)
    return member_id, token(node, member_id)


def sent(node) -> list[tuple[str, str]]:
    return sorted((m.to, m.subject) for m in mails(node))


def statuses(node, headers) -> list[str]:
    return [r["status"] for r in call(node, "GET", "/me/regional-registrations", headers).json]


def suspend(week, node, member_id: int) -> None:
    call(node, "PATCH", f"/admin/members/{member_id}", week.managers[week.nodes.index(node)],
         {"status": "suspended"})


def remote_status(node, email: str) -> list[str]:
    with node.session() as session:
        return list(session.scalars(select(RemoteRegistration.status).join(
            Member, Member.id == RemoteRegistration.member_id).where(Member.email == email)))


def hosted_statuses(node) -> list[str]:
    """The statuses of the registrations to the sessions this node hosts (any registrant)."""
    with node.session() as session:
        return sorted(session.scalars(select(Registration.status).join(
            RegionalSession, RegionalSession.event_id == Registration.event_id)
            .where(RegionalSession.is_local.is_(True))))


def settle(week) -> None:
    """Deliver whatever waits for a retry, pull every feed, twice."""
    for _ in range(2):
        for node in week.nodes:
            inbox.deliver_due(node.runtime, now=now_ms() + 3_600_000)
        wait_delivered(*week.nodes)
        week.sync_all()
        wait_delivered(*week.nodes)


def test_cancelled_week_tells_every_registrant_once_from_their_own_node(week):
    aix, bleau, calanques = week.nodes
    _ana, ana = person(aix, "ana@aix.example", "Ana")
    susie_id, susie = person(aix, "susie@aix.example", "Susie")
    _alex, alex = person(aix, "alex@aix.example", "Alex")
    _amir, amir = person(aix, "amir@aix.example", "Amir", "en")
    _bruno, bruno = person(bleau, "bruno@bleau.example", "Bruno", "en")
    _berthe, berthe = person(bleau, "berthe@bleau.example", "Berthe")
    _pat, pat = person(bleau, "pat@bleau.example", "Pat")
    _carla, carla = person(calanques, "carla@calanques.example", "Carla")
    sam_id, sam = person(calanques, "sam@calanques.example", "Sam")
    for node, headers in ((aix, ana), (aix, susie), (bleau, bruno), (calanques, sam)):
        register_from(week, node, headers, "aix")
    register_from(week, aix, alex, "bleau")
    register_from(week, bleau, berthe, "bleau")
    register_from(week, calanques, carla, "calanques")  # the one seat
    register_from(week, aix, amir, "calanques")
    wait_delivered(aix, bleau, calanques)
    assert statuses(aix, amir) == ["waitlisted"]

    # The JSON API shows the time zone and the room, as the portal does.
    shown = {s["object_id"]: s for s in week.program(aix)}[week.sessions["bleau"]]
    [mine] = call(aix, "GET", "/me/regional-registrations", alex).json
    assert (mine["timezone"], mine["room"], mine["place"]) == (
        "Europe/Paris", shown["venue_name"], f"{shown['venue_name']}, {shown['venue_city']}")
    assert mine["room"] == "Coworking Bleau"
    described = aix.client().get("/api/v1/openapi.json").json["components"]["schemas"]["MyRegistrationOut"]
    assert {"timezone", "room", "place"} <= set(described["properties"])

    suspend(week, aix, susie_id)
    suspend(week, calanques, sam_id)
    # Pat's registration at Calanques has not reached it yet.
    calanques.stop()
    register_from(week, bleau, pat, "calanques")
    assert bleau.runtime.wait_for_background()
    assert statuses(bleau, pat) == ["pending"]
    for node in week.nodes:
        mails(node).clear()

    call(aix, "POST", f"/regional/{week.regional_on(aix)}/cancel", week.managers[0])
    assert aix.runtime.wait_for_background()
    # The organiser tells its members at once: those of its own session (the usual mail) and
    # those registered at the other spaces; Bleau tells Bruno as soon as Aix's answer arrives.
    assert sent(aix) == [("alex@aix.example", fr(MEETUP)), ("amir@aix.example", en(APERO)),
                         ("ana@aix.example", fr(COMPTA))]
    ana_mail = next(m for m in mails(aix) if m.to == "ana@aix.example")
    assert ana_mail.body.startswith("Bonjour Ana,\n") and f"{aix.url}/events/" in ana_mail.body
    assert sent(bleau) == [("bruno@bleau.example", en(COMPTA))]
    assert mails(bleau)[0].body.startswith("Hello Bruno,\n")
    assert mails(calanques) == []

    # Bleau learns it from the organiser's feed: its session is cancelled, Berthe told by the
    # usual mail, Pat's request (still on its way) ends as cancelled and Pat is told.
    aix.sync()
    bleau.sync()
    assert aix.runtime.wait_for_background() and bleau.runtime.wait_for_background()
    assert sent(bleau) == [("berthe@bleau.example", fr(MEETUP)), ("bruno@bleau.example", en(COMPTA)),
                           ("pat@bleau.example", fr(APERO))]
    assert statuses(bleau, pat) == ["cancelled"]

    # Calanques comes back: Pat's request reaches it before it learns the news, then it does.
    calanques.start()
    settle(week)
    assert sent(calanques) == [("carla@calanques.example", fr(APERO))]
    assert len(mails(aix)) == 3 and len(mails(bleau)) == 3
    for node, headers in ((aix, ana), (aix, alex), (aix, amir), (bleau, bruno), (bleau, berthe),
                          (bleau, pat), (calanques, carla)):
        assert statuses(node, headers) == ["cancelled"], (node.name, headers)
    assert remote_status(calanques, "sam@calanques.example") == ["cancelled"]
    # Every seat and waitlist place on the hosts ended, nobody was offered a seat.
    assert hosted_statuses(aix) == ["cancelled"] * 4  # Ana, Susie, Bruno, Sam
    assert hosted_statuses(bleau) == ["cancelled"] * 2  # Berthe, Alex
    assert hosted_statuses(calanques) == ["cancelled"] * 3  # Carla, Amir, Pat
    for node in week.nodes:
        assert {s["status"] for s in week.program(node)} == {"cancelled"}
        with node.session() as session:
            assert not session.scalars(select(Registration).where(
                Registration.status.in_(registrations.ACTIVE))).all()

    # Pulling and delivering again mails nobody.
    settle(week)
    assert (len(mails(aix)), len(mails(bleau)), len(mails(calanques))) == (3, 3, 1)


def test_a_session_deleted_by_its_host_is_told_once_as_cancelled(week):
    aix, bleau, calanques = week.nodes
    _agnes, agnes = person(aix, "agnes@aix.example", "Agnès")
    _emma, emma = person(aix, "emma@aix.example", "Emma", "en")
    _cecile, cecile = person(calanques, "cecile@calanques.example", "Cécile")
    for node, headers in ((aix, agnes), (aix, emma), (calanques, cecile)):
        register_from(week, node, headers, "bleau")
    wait_delivered(*week.nodes)
    for node in week.nodes:
        mails(node).clear()

    object_id = week.sessions["bleau"]
    bleau.publish("event.session", object_id.removeprefix(bleau.url + "/"), deleted=True)
    week.sync_all()
    wait_delivered(*week.nodes)
    assert sent(aix) == [("agnes@aix.example", fr(MEETUP)), ("emma@aix.example", en(MEETUP))]
    assert sent(calanques) == [("cecile@calanques.example", fr(MEETUP))]
    assert object_id not in {s["object_id"] for s in week.program(aix)}
    assert remote_status(aix, "agnes@aix.example") == ["cancelled"]
    assert remote_status(aix, "emma@aix.example") == ["cancelled"]
    assert remote_status(calanques, "cecile@calanques.example") == ["cancelled"]

    settle(week)
    assert len(mails(aix)) == 2 and len(mails(calanques)) == 1


def test_a_request_reaching_a_cancelled_session_ends_cancelled_with_one_mail(week):
    aix, bleau, calanques = week.nodes
    bleau.stop()
    _paul, paul = person(calanques, "paul@calanques.example", "Paul")
    register_from(week, calanques, paul, "bleau")
    assert calanques.runtime.wait_for_background()
    bleau.start()
    call(bleau, "POST", f"/regional/sessions/{week.session_id_on(bleau, week.sessions['bleau'])}/cancel",
         week.managers[1])
    assert bleau.runtime.wait_for_background()
    assert mails(calanques) == []

    # The request reaches the host before Calanques pulls its feed: the host answers
    # "cancelled" (it keeps no registration), Calanques tells Paul. The host was down a moment
    # ago: a pass that leaves the message queued (behind a probe of the host, or its attempt
    # refused on a loaded machine) is followed by another an hour on, as the scheduler's would.
    for attempt in range(1, 6):
        inbox.deliver_due(calanques.runtime, now=now_ms() + attempt * 3_600_000)
        assert calanques.runtime.wait_for_background()
        if sent(calanques):
            break
    assert sent(calanques) == [("paul@calanques.example", fr(MEETUP))]
    assert statuses(calanques, paul) == ["cancelled"]
    assert hosted_statuses(bleau) == []

    settle(week)
    assert len(mails(calanques)) == 1 and statuses(calanques, paul) == ["cancelled"]
