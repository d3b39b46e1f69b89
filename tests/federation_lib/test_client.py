"""Client tests against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from federation.client import FederationClient, PeerBackoff, is_public_address
from federation.errors import PayloadTooLarge, PeerError, PeerUnavailable, UnsafeAddress
from federation.httpsig import MemoryNonceStore, verify_request
from federation.keys import KeyRecord, build_node_document

from .conftest import AIX

BIG = 5_000


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: PeerServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _json(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        if path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(10):
                chunk = b"x" * 1000
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/no-length":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"[" + b"1," * BIG + b"1]")
            self.close_connection = True
        elif path == "/lying-length":
            self.send_response(200)
            self.send_header("Content-Length", str(10_000_000))
            self.end_headers()
            self.wfile.write(b"{}")
            self.close_connection = True
        elif path.startswith("/redirect/"):
            remaining = int(path.rsplit("/", 1)[1])
            self.send_response(302)
            target = f"/redirect/{remaining - 1}" if remaining > 1 else "/ok"
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/redirect-away":
            self.send_response(307)
            self.send_header("Location", "http://localhost:1/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/flaky":
            self.server.flaky_left -= 1
            if self.server.flaky_left >= 0:
                self._json(503, {"error": {"code": "busy", "message": "later"}})
            else:
                self._json(200, {"ok": True})
        elif path == "/refuse":
            self._json(403, {"error": {"code": "not_peer", "message": "not a peer"}})
        elif path == "/.well-known/coworknet":
            self._json(200, self.server.document)
        elif path == "/federation/v1/feed":
            self._json(
                200, {"items": [], "next_after": 3, "has_more": False, "snapshot_required": False}
            )
        else:
            result = verify_request(
                self.command,
                self.headers["Host"],
                path,
                urlsplit(self.path).query,
                dict(self.headers),
                body,
                our_node_id=self.server.node_id,
                lookup_key=self.server.lookup,
                nonce_store=self.server.nonces,
            )
            self._json(
                202 if self.command == "POST" else 200,
                {"status": "accepted", "signer": result.signer},
            )


class PeerServer(ThreadingHTTPServer):
    daemon_threads = True
    hits: list[str]
    flaky_left: int
    node_id: str
    document: dict
    nonces: MemoryNonceStore

    def lookup(self, signer: str, key_id: str) -> KeyRecord | None:
        return self.keys.get((signer, key_id))


@pytest.fixture
def peer(aix_key, fontainebleau_key) -> Iterator[PeerServer]:
    server = PeerServer(("127.0.0.1", 0), Handler)
    server.hits = []
    server.flaky_left = 0
    server.node_id = f"http://127.0.0.1:{server.server_address[1]}"
    server.nonces = MemoryNonceStore()
    server.keys = {(AIX, aix_key.key_id): KeyRecord.for_key(aix_key)}
    server.document = build_node_document(
        node_id=server.node_id,
        name="F",
        city="Fontainebleau",
        region="IDF",
        signing_key=fontainebleau_key,
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(peer, aix_key) -> Iterator[FederationClient]:
    sleeps: list[float] = []
    instance = FederationClient(
        AIX,
        aix_key,
        allow_loopback_peers={peer.node_id},
        max_body=BIG,
        timeout=(2, 2),
        sleep=sleeps.append,
        rng=lambda low, high: high,
    )
    instance.sleeps = sleeps  # type: ignore[attr-defined]
    yield instance
    instance.close()


def test_signed_get_and_post_verify_on_the_peer(client, peer):
    assert client.get_signed(peer.node_id, "/echo", {"b": "2", "a": "x y"})["signer"] == AIX
    assert client.post_signed(peer.node_id, "/echo", {"hello": "wörld"}) == {
        "status": "accepted",
        "signer": AIX,
    }


def test_fetch_node_document_and_feed(client, peer, fontainebleau_key):
    document = client.fetch_node_document(peer.node_id + "/")
    assert fontainebleau_key.key_id in document["verify_keys"]
    assert client.get_feed(peer.node_id, 0, 50)["next_after"] == 3


@pytest.mark.parametrize("path", ["/chunked", "/no-length", "/lying-length"])
def test_body_cap_does_not_trust_content_length(client, peer, path):
    with pytest.raises(PayloadTooLarge):
        client.get_signed(peer.node_id, path)


def test_redirects_are_limited(client, peer):
    assert client.get_signed(peer.node_id, "/redirect/2")["signer"] == AIX
    with pytest.raises(PeerError):
        client.get_signed(peer.node_id, "/redirect/3")
    with pytest.raises(PeerError):
        client.get_signed(peer.node_id, "/redirect-away")


def test_retries_with_backoff(client, peer):
    peer.flaky_left = 2
    assert client.get_signed(peer.node_id, "/flaky") == {"ok": True}
    assert client.sleeps == [0.5, 1.0]
    peer.flaky_left = 10
    with pytest.raises(PeerUnavailable):
        client.get_signed(peer.node_id, "/flaky")
    assert client.sleeps[2:] == [0.5, 1.0, 2.0]


def test_error_answer_is_not_retried(client, peer):
    with pytest.raises(PeerError) as info:
        client.get_signed(peer.node_id, "/refuse")
    assert info.value.peer_status == 403 and info.value.peer_code == "not_peer"
    assert peer.hits.count("/refuse") == 1


def test_connection_refused_is_retried(aix_key, peer):
    sleeps: list[float] = []
    dead = "http://127.0.0.1:9"
    client = FederationClient(
        AIX, aix_key, allow_loopback_peers={dead}, sleep=sleeps.append, retries=2, timeout=(1, 1)
    )
    with pytest.raises(PeerUnavailable):
        client.get_signed(dead, "/x")
    assert len(sleeps) == 2
    client.close()


def test_private_addresses_are_refused(aix_key, peer):
    client = FederationClient(AIX, aix_key, sleep=lambda s: None)
    with pytest.raises(UnsafeAddress):
        client.get_signed(peer.node_id, "/echo")
    assert peer.hits == []
    resolving = FederationClient(AIX, aix_key, resolver=lambda host, port: ["10.1.2.3"])
    with pytest.raises(UnsafeAddress):
        resolving.get_signed("https://sneaky.example", "/x")
    client.close()
    resolving.close()


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),  # noqa: S104 - an address under test, not a bind
        ("240.0.0.1", False),
    ],
)
def test_is_public_address(address, public):
    assert is_public_address(address) is public


def test_peer_backoff_is_pure_and_serialisable():
    state = PeerBackoff(AIX)
    assert state.is_due(0)
    failed = state.record_failure(
        1_000, "peer_unavailable", base_ms=100, cap_ms=1_000, rng=lambda low, high: high
    )
    assert failed.failures == 1 and failed.next_attempt_at == 1_100
    for _ in range(10):
        failed = failed.record_failure(
            1_000, "peer_unavailable", base_ms=100, cap_ms=1_000, rng=lambda low, high: high
        )
    assert failed.next_attempt_at == 2_000 and not failed.is_due(1_999)
    assert PeerBackoff.from_dict(failed.to_dict()) == failed
    assert failed.record_success() == PeerBackoff(AIX)
