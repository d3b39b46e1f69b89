"""Federation under the production server: a node served by gunicorn with three workers on
PostgreSQL peers with a live node (approved with the operator's `coworknet peer approve`);
the same signed request sent many times at once, so that several workers receive it, is
accepted exactly once."""

from __future__ import annotations

import os
import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select, text

from federation.canonical import canonical_dumps
from federation.httpsig import sign_request
from federation.messages import FEED_HINT, build_inbox_message
from node.db import make_engine
from node.federation import peers
from tests.livenodes import LiveNetwork

from .gunicorn_node import (
    Gunicorn,
    coworknet,
    drop_database,
    free_port,
    fresh_database,
    operator_env,
    worker_pids,
)

INBOX = "/federation/v1/inbox"
WORKERS = 3
COPIES = 12

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def federated(tmp_path_factory):
    name = f"coworknet_deploy_fed_{os.getpid()}"
    url = fresh_database(name)
    root = tmp_path_factory.mktemp("deploy-fed")
    port = free_port()
    env = operator_env(root / "instance", WORKERS, COWORKNET_FEDERATION_ALLOW_LOOPBACK="true",
                       COWORKNET_PROXY_FIX_X_FOR="0")
    network = LiveNetwork(tmp_path_factory.mktemp("deploy-fed-live"))
    server = None
    try:
        coworknet(env, "init", "--name", "Le Mas des Platanes", "--city", "Aix-en-Provence",
                  "--url", f"http://127.0.0.1:{port}", "--database-url", url)
        server = Gunicorn(env, port, via_cli=True)  # `coworknet serve`, as in the container
        other = network.add("calanques", {"PSEUDONYM_SECRET": secrets.token_hex(32)})
        with other.session() as session:  # the other space asks to peer ...
            peer = peers.request_peering(session, other.runtime, server.base)
            session.commit()
            peers.send_confirmation(session, other.runtime, peer)
            session.commit()
        # ... and this node's operator approves it from the command line.
        assert "approved" in coworknet(env, "peer", "approve", other.url)
        yield {"server": server, "other": other, "url": url, "env": env}
    finally:
        if server is not None:
            server.stop()
        network.close()
        drop_database(name)


def test_a_signed_request_replayed_to_every_worker_is_accepted_once(federated):
    server, other = federated["server"], federated["other"]
    assert len(worker_pids(server.pid)) == WORKERS
    body = canonical_dumps(build_inbox_message(
        message_type=FEED_HINT, origin=other.url, destination=server.base,
        content={"latest_seq": 0}, key=other.runtime.signing_key()))
    headers = sign_request("POST", server.base + INBOX, body, other.url, other.runtime.signing_key())
    headers["Content-Type"] = "application/json"

    def send(_):
        # One connection per request: gunicorn hands each to whichever worker accepts first.
        response = requests.post(server.base + INBOX, data=body, headers={**headers, "Connection": "close"},
                                 timeout=20)
        return response.status_code, response.json().get("error", {}).get("code")

    with ThreadPoolExecutor(max_workers=COPIES) as pool:
        answers = list(pool.map(send, range(COPIES)))
    assert answers.count((202, None)) == 1, answers
    assert answers.count((401, "replayed_nonce")) == COPIES - 1, answers
    # And later, once more, sequentially.
    assert send(0) == (401, "replayed_nonce")
    engine = make_engine(federated["url"])
    with engine.connect() as conn:
        receipts = conn.execute(select(func.count()).select_from(text("inbox_receipts"))).scalar()
    engine.dispose()
    assert receipts == 1
