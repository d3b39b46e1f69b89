"""The manager's peers page and the federation commands, against real nodes."""

from __future__ import annotations

from click.testing import CliRunner

from node.accounts import accounts
from node.cli import main, write_instance_config
from node.federation.models import APPROVED, PENDING_APPROVAL, REMOVED, REQUESTED_BY_US
from tests.conftest import MEMBER_PASSWORD, PortalClient
from tests.livenodes import LIVE_SETTINGS

from .helpers import EVENT, copies, counts, event_content, recording_handler, replace_handler


def manager_portal(node, email="cm@example.org", role="manager") -> PortalClient:
    with node.session() as session:
        accounts.create_member(session, node.app.extensions["coworknet.passwords"], email=email,
                               display_name="Inès", password=MEMBER_PASSWORD, role=role)
        session.commit()
    portal = PortalClient(node.client())
    portal.login(email)
    return portal


def test_managers_request_and_approve_peering_from_the_admin_page(live_nodes):
    a, b = live_nodes(2)
    on_a, on_b = manager_portal(a), manager_portal(b)
    response = on_a.post("/admin/peers/request", {"url": b.url + "/", "message": "Bonjour !"})
    assert response.status_code == 302
    assert a.peer_row(b).status == REQUESTED_BY_US
    assert b.peer_row(a).status == PENDING_APPROVAL and b.peer_row(a).message == "Bonjour !"
    page = on_b.get("/admin/peers").get_data(as_text=True)
    assert a.url in page and "Bonjour !" in page

    on_b.post(f"/admin/peers/{b.peer_row(a).id}", {"action": "approve"})
    assert b.peer_row(a).status == APPROVED and a.peer_row(b).status == APPROVED
    page = on_a.get("/admin/peers").get_data(as_text=True)
    assert b.url in page and "approuvé" in page
    b.stop()
    a.sync()
    page = on_a.get("/admin/peers").get_data(as_text=True)
    assert "peer_unavailable" in page and "prochain essai" in page
    b.start()

    on_a.post(f"/admin/peers/{a.peer_row(b).id}", {"action": "remove", "confirm": "1"})
    assert a.peer_row(b).status == REMOVED


def test_peer_forms_are_validated_and_managers_only(live_nodes):
    a, b = live_nodes(2)
    member = manager_portal(a, "m@example.org", role="member")
    assert member.post("/admin/peers/request", {"url": b.url}).status_code == 403
    assert member.get("/admin/peers").status_code == 403
    on_a = manager_portal(a)
    before = counts(a)
    assert on_a.post("/admin/peers/request", {"url": b.url, "role": "x"}).status_code == 422
    assert on_a.post("/admin/peers/request", {"url": "http://10.0.0.1:1"}).status_code == 302
    assert on_a.post("/admin/peers/1", {"action": "explode"}).status_code == 422
    assert counts(a) == before


def _instance(node) -> dict:
    settings = {k: v for k, v in LIVE_SETTINGS.items() if isinstance(v, (str, int, bool))}
    settings.update(DATABASE_URL=node.database_url, BASE_URL=node.url, NODE_NAME=node.name,
                    NODE_CITY=node.name)
    write_instance_config(node.runtime.instance_path, settings)
    return {"COWORKNET_INSTANCE": str(node.runtime.instance_path)}


def test_cli_peer_sync_and_keys(live_nodes, monkeypatch):
    replace_handler(monkeypatch, "feed", EVENT, recording_handler([]))
    a, b = live_nodes(2)
    runner = CliRunner()
    env_a, env_b = _instance(a), _instance(b)

    result = runner.invoke(main, ["peer", "request", b.url], env=env_a)
    assert result.exit_code == 0, result.output
    assert "requested_by_us" in result.output
    result = runner.invoke(main, ["peer", "list"], env=env_b)
    assert a.url in result.output and "pending_approval" in result.output
    assert runner.invoke(main, ["peer", "approve", a.url], env=env_b).exit_code == 0
    assert a.peer_row(b).status == APPROVED

    a.publish(EVENT, "event/1", event_content(a.url))
    result = runner.invoke(main, ["sync", "--once"], env=env_b)
    assert result.exit_code == 0, result.output
    assert f"{a.url}: ok, 1 applied, cursor 1" in result.output
    assert f"Pulling {a.url}" in result.output  # the progress bar's label (no terminal here)
    assert set(copies(b, a)) == {f"{a.url}/event/1"}

    old = a.runtime.signing_key().key_id
    result = runner.invoke(main, ["keys", "rotate"], env=env_a)
    assert result.exit_code == 0 and "New key" in result.output
    assert runner.invoke(main, ["keys", "revoke", a.runtime.signing_key().key_id],
                         env=env_a).exit_code != 0  # the current key: rotate first
    assert runner.invoke(main, ["keys", "revoke", old], env=env_a).exit_code == 0
    assert "revoked=" in runner.invoke(main, ["keys", "list"], env=env_a).output

    assert runner.invoke(main, ["peer", "suspend", b.url], env=env_a).exit_code == 0
    assert runner.invoke(main, ["peer", "remove", "http://nowhere.example"],
                         env=env_a).exit_code != 0
