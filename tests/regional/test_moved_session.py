"""The host moves a session: its own registrants get the new time by mail, a remote registrant
(even one who shared their e-mail) is not mailed by the host."""

from __future__ import annotations

from datetime import timedelta

from tests.regional.conftest import add_member, call, local, token, wait_delivered


def test_host_mails_its_own_registrants_the_new_time_only(week):
    aix, _bleau, calanques = week.nodes
    apero = week.sessions["calanques"]
    here = token(calanques, add_member(calanques, "here@calanques.example", "Ici"))
    call(calanques, "POST", f"/regional/sessions/{week.session_id_on(calanques, apero)}/registration", here, {},
         expect=201)
    visitor = token(aix, add_member(aix, "visitor@aix.example", "Visiteuse"))
    call(aix, "POST", f"/regional/sessions/{week.session_id_on(aix, apero)}/registration", visitor,
         {"share_email": True}, expect=201)
    wait_delivered(aix)
    outbox = calanques.app.extensions["coworknet.mail"].outbox
    outbox.clear()
    moved = week.start + timedelta(days=2, hours=11)
    call(calanques, "PATCH", f"/regional/sessions/{week.session_id_on(calanques, apero)}", week.managers[2],
         {"start_at": local(moved), "end_at": local(moved + timedelta(hours=2))})
    assert [(m.to, m.subject) for m in outbox] == [("here@calanques.example", "Nouvel horaire\u00a0: Apéro des calanques")]
