"""One peer's people may hold at most ``FEDERATION_SEATS_PER_PEER_PER_SESSION`` seats and
waitlist places in a session we host (PROTOCOL §10): beyond it a registration is answered
``refused``, nothing is written but the refusal's count, which the manager sees. And a
``registration.request`` without ``action`` registers (PROTOCOL §6.2)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from federation.messages import REGISTRATION_REQUEST
from node.events.models import Registration
from node.federation import rate_limits
from tests.federation.test_hostile_limits import send

ACTIVE = ("confirmed", "waitlisted", "offered")


def registration(week, key: str, name: str, **extra) -> dict:
    return {"session_id": week.sessions["aix"], "idempotency_key": key,
            "display_name": name, **extra}


def held_by(node, origin) -> int:
    with node.session() as session:
        return session.scalar(select(func.count()).select_from(Registration).where(
            Registration.remote_node_id == origin.url, Registration.status.in_(ACTIVE)))


def throttled(node, peer) -> int:
    with node.session() as session:
        return rate_limits.throttles_today(session, [peer.url]).get(peer.url, 0)


def status_of(response) -> str:
    assert response.status_code == 200, response.text
    return response.json()["status"]


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_one_peer_holds_at_most_its_share_of_a_session(week, limit, monkeypatch):
    aix, bleau, calanques = week.nodes
    monkeypatch.setitem(aix.app.config, "FEDERATION_SEATS_PER_PEER_PER_SESSION", limit)
    answers = [status_of(send(bleau, aix, REGISTRATION_REQUEST,
                              registration(week, f"invented-{i:04d}", f"Inventé {i}",
                                           action="register")))
               for i in range(limit + 3)]
    assert answers == ["confirmed"] * limit + ["refused"] * 3
    assert held_by(aix, bleau) == limit
    assert throttled(aix, bleau) == 3
    # A retry of an accepted registration is answered as before, not refused.
    again = send(bleau, aix, REGISTRATION_REQUEST,
                 registration(week, "invented-0000", "Inventé 0", action="register"))
    assert status_of(again) == "confirmed" and held_by(aix, bleau) == limit
    # The other peer's people are not held back.
    other = send(calanques, aix, REGISTRATION_REQUEST,
                 registration(week, "calanques-0001", "Camille", action="register"))
    assert status_of(other) == "confirmed" and throttled(aix, calanques) == 0
    # A cancellation frees a place of that peer's share.
    cancelled = send(bleau, aix, REGISTRATION_REQUEST,
                     registration(week, "invented-0000", "Inventé 0", action="cancel"))
    assert status_of(cancelled) == "cancelled"
    fresh = send(bleau, aix, REGISTRATION_REQUEST,
                 registration(week, "invented-9999", "Inventée 9", action="register"))
    assert status_of(fresh) == "confirmed" and held_by(aix, bleau) == limit


@pytest.mark.parametrize("extra", [{}, {"action": "register"}], ids=["no action", "register"])
def test_a_registration_request_without_action_registers(week, extra):
    aix, bleau, _calanques = week.nodes
    answer = send(bleau, aix, REGISTRATION_REQUEST, registration(week, "spec-follower", "Léa", **extra))
    assert status_of(answer) == "confirmed"
    assert held_by(aix, bleau) == 1
