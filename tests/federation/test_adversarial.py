"""Hostile and broken requests against a real node: each gets its exact error code and
changes nothing (row counts of every federation table are compared)."""

from __future__ import annotations

import base64
import http.client
import json
import time

import pytest

from federation.canonical import canonical_dumps
from federation.envelope import sign_object, sign_redactable
from federation.feed import FeedPage
from federation.httpsig import sign_request
from federation.keys import SigningKey, now_ms
from federation.messages import FEED_HINT, build_feed_item, build_inbox_message, make_object_id
from node.federation import peers
from node.models import FeedEntry
from tests.livenodes import LiveNetwork

from .helpers import EVENT, copies, counts, event_content

INBOX = "/federation/v1/inbox"
FEED = "/federation/v1/feed"


@pytest.fixture(scope="module")
def trio(tmp_path_factory):
    """a and b are peers; c is peered with b only; d is a stranger. Shared by the module's
    tests: each compares row counts before and after its own request."""
    network = LiveNetwork(tmp_path_factory.mktemp("trio"))
    a, b, c, d = network(4, names=["aix", "brest", "caen", "dax"])
    network.peer(a, b)
    network.peer(b, c)
    a.publish(EVENT, "event/1", event_content(a.url))
    yield a, b, c, d
    network.close()


def unsigned_message(message: dict, signer) -> dict:
    """Re-sign a message changed after signing (the signature is valid, the content is not)."""
    message = {k: v for k, v in message.items() if k != "signatures"}
    return sign_object(message, signer.url, signer.runtime.signing_key())


def hint(sender, receiver, **overrides) -> dict:
    fields = {"message_type": FEED_HINT, "origin": sender.url, "destination": receiver.url,
              "content": {"latest_seq": 0}, "key": sender.runtime.signing_key()}
    fields.update(overrides)
    return build_inbox_message(**fields)


def signed(sender, receiver, path: str, body: bytes, *, method: str = "POST", query: str = "",
           key: SigningKey | None = None, origin: str | None = None, now: int | None = None,
           nonce: str | None = None) -> dict[str, str]:
    url = receiver.url + path + (f"?{query}" if query else "")
    headers = sign_request(method, url, body, origin or sender.url,
                           key or sender.runtime.signing_key(), now=now, nonce=nonce)
    headers["Content-Type"] = "application/json"
    return headers


def post(sender, receiver, body: bytes, **kwargs):
    return receiver.post_raw(INBOX, body, signed(sender, receiver, INBOX, body, **kwargs))


def assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_a_valid_hint_is_accepted_once(trio):
    a, b, _c, _d = trio
    body = canonical_dumps(hint(b, a))
    headers = signed(b, a, INBOX, body)
    response = a.post_raw(INBOX, body, headers)
    assert response.status_code == 202 and response.json() == {"status": "accepted"}
    before = counts(a)
    # The exact same signed request again: a replay.
    assert_refused(a.post_raw(INBOX, body, headers), 401, "replayed_nonce")
    # Also through another worker (a second app on the same database).
    twin = a.twin().test_client()
    replay = twin.post(INBOX, data=body, headers=headers, base_url=a.url)
    assert replay.status_code == 401 and replay.json["error"]["code"] == "replayed_nonce"
    assert counts(a) == before


def _flip(signature_header: str) -> str:
    raw = bytearray(base64.b64decode(signature_header.split(":")[1]))
    raw[0] ^= 1
    return "cwn=:" + base64.b64encode(bytes(raw)).decode() + ":"


def _digest(body: bytes) -> str:
    import hashlib

    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


HOSTILE_CASES = {}


def case(name):
    def register(fn):
        HOSTILE_CASES[name] = fn
        return fn

    return register


@case("bad signature")
def _bad_signature(a, b, c, d):
    body = canonical_dumps(hint(b, a))
    headers = signed(b, a, INBOX, body)
    headers["Signature"] = _flip(headers["Signature"])
    return a.post_raw(INBOX, body, headers), 401, "bad_signature"


@case("tampered body, digest and signature kept")
def _tampered_body(a, b, c, d):
    body = canonical_dumps(hint(b, a))
    headers = signed(b, a, INBOX, body)
    return a.post_raw(INBOX, body.replace(b'"latest_seq":0', b'"latest_seq":9'), headers), \
        401, "bad_signature"


@case("tampered body with a recomputed digest")
def _tampered_digest(a, b, c, d):
    body = canonical_dumps(hint(b, a))
    headers = signed(b, a, INBOX, body)
    evil = body.replace(b'"latest_seq":0', b'"latest_seq":9')
    headers["Content-Digest"] = _digest(evil)
    return a.post_raw(INBOX, evil, headers), 401, "bad_signature"


@case("signature not covering path and digest")
def _partial_components(a, b, c, d):
    body = canonical_dumps(hint(b, a))
    headers = signed(b, a, INBOX, body)
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        '"@path" "@query" "content-digest" ', "")
    return a.post_raw(INBOX, body, headers), 401, "bad_signature"


@case("no signature at all")
def _unsigned(a, b, c, d):
    body = canonical_dumps(hint(b, a))
    return a.post_raw(INBOX, body, {"Content-Type": "application/json"}), 401, "bad_signature"


@case("request for b replayed to a")
def _wrong_destination(a, b, c, d):
    body = canonical_dumps(hint(c, b))
    headers = signed(c, b, INBOX, body)
    return a.post_raw(INBOX, body, headers), 401, "destination_mismatch"


@case("message addressed to another node")
def _message_destination(a, b, c, d):
    body = canonical_dumps(hint(b, c))
    return post(b, a, body), 401, "destination_mismatch"


@case("created too old")
def _too_old(a, b, c, d):
    body = canonical_dumps(hint(b, a))
    return post(b, a, body, now=int(time.time()) - 120), 401, "expired_signature"


@case("created too far ahead")
def _too_new(a, b, c, d):
    body = canonical_dumps(hint(b, a))
    return post(b, a, body, now=int(time.time()) + 120), 401, "expired_signature"


@case("message older than the inbox retention")
def _old_message(a, b, c, d):
    body = canonical_dumps(hint(b, a, origin_ts=now_ms() - 8 * 86_400_000))
    return post(b, a, body), 401, "expired_signature"


@case("unknown key id")
def _unknown_key(a, b, c, d):
    body = canonical_dumps(hint(b, a))
    return post(b, a, body, key=SigningKey.generate()), 401, "unknown_key"


@case("key of another node")
def _other_nodes_key(a, b, c, d):
    body = canonical_dumps(hint(b, a))
    return post(b, a, body, key=c.runtime.signing_key()), 401, "unknown_key"


@case("stranger")
def _stranger(a, b, c, d):
    body = canonical_dumps(hint(d, a))
    return post(d, a, body), 401, "unknown_key"


@case("peer of a peer, not ours")
def _not_our_peer(a, b, c, d):
    body = canonical_dumps(hint(c, a))
    return post(c, a, body), 401, "unknown_key"


@case("message signed by another origin than the request")
def _origin_mismatch(a, b, c, d):
    body = canonical_dumps(hint(c, a))
    return post(b, a, body), 403, "origin_mismatch"


@case("message id owned by another node")
def _foreign_message_id(a, b, c, d):
    message = dict(hint(b, a), id=make_object_id(c.url, "msg/1"))
    return post(b, a, canonical_dumps(unsigned_message(message, b))), 403, "origin_mismatch"


@case("duplicate JSON keys")
def _duplicate_keys(a, b, c, d):
    body = canonical_dumps(hint(b, a)).replace(b'{"latest_seq":0}', b'{"latest_seq":0,"latest_seq":1}')
    return post(b, a, body), 400, "bad_canonical_json"


@case("float")
def _float(a, b, c, d):
    body = canonical_dumps(hint(b, a)).replace(b'"latest_seq":0', b'"latest_seq":0.5')
    return post(b, a, body), 400, "bad_canonical_json"


@case("NaN")
def _nan(a, b, c, d):
    body = canonical_dumps(hint(b, a)).replace(b'"latest_seq":0', b'"latest_seq":NaN')
    return post(b, a, body), 400, "bad_canonical_json"


@case("huge integer")
def _huge(a, b, c, d):
    body = canonical_dumps(hint(b, a)).replace(b'"latest_seq":0', b'"latest_seq":9007199254740993')
    return post(b, a, body), 400, "bad_canonical_json"


@case("deep nesting")
def _deep(a, b, c, d):
    body = b'{"x":' * 100 + b"1" + b"}" * 100
    return post(b, a, body), 400, "bad_canonical_json"


@case("unknown field")
def _unknown_field(a, b, c, d):
    message = hint(b, a)
    message["alg"] = "none"
    return post(b, a, canonical_dumps(message)), 400, "bad_request"


@case("embedded jwk")
def _embedded_jwk(a, b, c, d):
    message = hint(b, a)
    message["jwk"] = {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}
    return post(b, a, canonical_dumps(message)), 400, "bad_request"


@case("alg none: empty signature under a made-up key id")
def _alg_none(a, b, c, d):
    message = hint(b, a)
    message["signatures"] = {b.url: {"none": ""}}
    return post(b, a, canonical_dumps(message)), 400, "bad_request"


@case("wrong content type")
def _wrong_type(a, b, c, d):
    message = hint(b, a)
    message["content"] = {"latest_seq": "1"}
    return post(b, a, canonical_dumps(unsigned_message(message, b))), 400, "bad_request"


@case("oversized body")
def _oversized(a, b, c, d):
    body = b'{"x":"' + b"a" * 1_100_000 + b'"}'
    return post(b, a, body), 413, "payload_too_large"


@case("lying Content-Length")
def _lying_length(a, b, c, d):
    body = canonical_dumps(hint(b, a))
    headers = signed(b, a, INBOX, body)
    headers["Content-Length"] = str(len(body) - 20)
    connection = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
    connection.putrequest("POST", INBOX, skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    connection.send(body)
    raw = connection.getresponse()
    response = _RawResponse(raw.status, raw.read())
    connection.close()
    return response, 401, "bad_signature"


class _RawResponse:
    def __init__(self, status: int, body: bytes) -> None:
        self.status_code, self.text = status, body.decode()

    def json(self) -> dict:
        return json.loads(self.text)


@case("origin spoofed with a trailing dot")
def _trailing_dot(a, b, c, d):
    body = canonical_dumps(hint(b, a))
    headers = signed(b, a, INBOX, body)
    headers["Coworknet-Origin"] = b.url.replace("127.0.0.1", "127.0.0.1.")
    return a.post_raw(INBOX, body, headers), 401, "bad_signature"


@case("origin spoofed in upper case")
def _upper_case(a, b, c, d):
    body = canonical_dumps(hint(b, a))
    headers = signed(b, a, INBOX, body)
    headers["Coworknet-Origin"] = b.url.upper()
    return a.post_raw(INBOX, body, headers), 401, "bad_signature"


@case("origin spoofed with a path")
def _origin_path(a, b, c, d):
    body = canonical_dumps(hint(b, a))
    headers = signed(b, a, INBOX, body)
    headers["Coworknet-Origin"] = b.url + "/evil"
    return a.post_raw(INBOX, body, headers), 401, "bad_signature"


@case("request for c replayed to a, sent by a peer of both")
def _replayed_to_another_peer(a, b, c, d):
    body = canonical_dumps(hint(b, c))
    headers = signed(b, c, INBOX, body)  # b's genuine request to c, captured and sent to a
    return a.post_raw(INBOX, body, headers), 401, "destination_mismatch"


@case("non-NFC string (decomposed e + U+0301)")
def _non_nfc(a, b, c, d):
    body = canonical_dumps(hint(b, a)).replace(
        b'"latest_seq":0', b'"latest_seq":0,"note":"Cafe\xcc\x81"')
    return post(b, a, body), 400, "bad_canonical_json"


@case("alg HS256 field")
def _alg_field(a, b, c, d):
    message = hint(b, a)
    message["alg"] = "HS256"
    return post(b, a, canonical_dumps(message)), 400, "bad_request"


@case("jku field pointing at a key set")
def _jku_field(a, b, c, d):
    message = hint(b, a)
    message["jku"] = "http://127.0.0.1:9/keys.json"
    return post(b, a, canonical_dumps(message)), 400, "bad_request"


@case("embedded public key")
def _embedded_key(a, b, c, d):
    message = hint(b, a)
    message["public_key"] = SigningKey.generate().public().to_b64()
    return post(b, a, canonical_dumps(message)), 400, "bad_request"


@case("HS256 signature keyed with the public key")
def _hs256(a, b, c, d):
    import hashlib
    import hmac

    message = hint(b, a)
    key = b.runtime.signing_key()
    unsigned = {k: v for k, v in message.items() if k != "signatures"}
    mac = hmac.new(key.public().to_b64().encode(), canonical_dumps(unsigned), hashlib.sha256)
    forged = base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()
    message["signatures"] = {b.url: {key.key_id: forged}}
    return post(b, a, canonical_dumps(message)), 401, "bad_signature"


@case("key id pointing to a private address")
def _private_key_id(a, b, c, d):
    body = canonical_dumps(hint(b, a))
    headers = signed(b, a, INBOX, body)
    key_id = b.runtime.signing_key().key_id
    headers["Signature-Input"] = headers["Signature-Input"].replace(
        f'keyid="{key_id}"', 'keyid="http://169.254.169.254/latest/meta-data"')
    return a.post_raw(INBOX, body, headers), 401, "bad_signature"


@case("feed cursor from the future")
def _future_cursor(a, b, c, d):
    headers = signed(b, a, FEED, b"", method="GET", query="after=99&limit=5")
    return a.post_raw(FEED + "?after=99&limit=5", b"", headers, method="GET"), \
        400, "cursor_in_future"


@case("feed query that is not a number")
def _bad_query(a, b, c, d):
    headers = signed(b, a, FEED, b"", method="GET", query="after=-1")
    return a.post_raw(FEED + "?after=-1", b"", headers, method="GET"), 400, "bad_request"


@case("feed query signed for another query")
def _other_query(a, b, c, d):
    headers = signed(b, a, FEED, b"", method="GET", query="after=0")
    return a.post_raw(FEED + "?after=1", b"", headers, method="GET"), 401, "bad_signature"


@case("feed pulled by a stranger")
def _stranger_feed(a, b, c, d):
    headers = signed(d, a, FEED, b"", method="GET")
    return a.post_raw(FEED, b"", headers, method="GET"), 401, "unknown_key"


@pytest.mark.parametrize("name", sorted(HOSTILE_CASES))
def test_hostile_request_is_refused_and_changes_nothing(trio, name):
    a, b, c, d = trio
    before = counts(a)
    response, status, code = HOSTILE_CASES[name](a, b, c, d)
    assert_refused(response, status, code)
    assert counts(a) == before


def test_unapproved_suspended_and_removed_peers_get_403(live_nodes):
    a, b, d = live_nodes(3)
    live_nodes.peer(a, b)
    # d asked a, but a's manager has not approved it yet.
    with d.session() as session:
        peer = peers.request_peering(session, d.runtime, a.url)
        session.commit()
        peers.send_confirmation(session, d.runtime, peer)
        session.commit()
    for sender, action in ((d, None), (b, peers.suspend), (b, peers.remove)):
        if action is not None:
            with a.session() as session:
                action(session, peers.find_peer(session, sender.url))
                session.commit()
        before = counts(a)
        assert_refused(post(sender, a, canonical_dumps(hint(sender, a))), 403, "not_peer")
        headers = signed(sender, a, FEED, b"", method="GET")
        assert_refused(a.post_raw(FEED, b"", headers, method="GET"), 403, "not_peer")
        assert counts(a) == before


def test_peering_request_needs_a_valid_signature(trio):
    a, b, c, d = trio
    body = canonical_dumps(hint(d, a))
    before = counts(a)
    headers = signed(d, a, "/federation/v1/peering", body)
    headers["Signature"] = _flip(headers["Signature"])
    assert_refused(a.post_raw("/federation/v1/peering", body, headers), 401, "bad_signature")
    assert counts(a) == before


def test_hostile_peer_items_claiming_another_owner_are_not_applied(live_nodes):
    a, b, h = live_nodes(3, names=["aix", "brest", "hostile"])
    live_nodes.peer(a, b)
    live_nodes.peer(b, h)
    h_key = h.runtime.signing_key()
    forged = [
        # An item of a's object, "owned" by a, but signed by h.
        build_feed_item(owner=a.url, seq=1, item_type=EVENT, object_id=f"{a.url}/event/9",
                        key=h_key, content=event_content(a.url)),
        # Owned by h but about a's object id.
        sign_redactable({"seq": 1, "type": EVENT, "id": f"{a.url}/event/9", "owner": h.url,
                         "origin_ts": now_ms(), "deleted": True}, h.url, h_key),
    ]
    for item in forged:
        with h.session() as session:
            session.query(FeedEntry).delete()
            session.add(FeedEntry(seq=1, item_type=EVENT, object_id=item["id"], recipient=None,
                                  is_deleted=False, item_json=canonical_dumps(item).decode()))
            session.commit()
        before = counts(b)
        result = [r for r in b.sync() if r.peer == h.url][0]
        assert result.error == "origin_mismatch"
        after = counts(b)
        assert after["feed_copies"] == before["feed_copies"] and copies(b, h) == {}
        assert b.peer_row(h).last_applied_seq == 0


def test_a_page_with_too_many_items_is_refused_and_nothing_applied(live_nodes, monkeypatch):
    """A hostile peer answers 51 genuine, signed items to a request for 50: the reader refuses
    the whole page (PeerError ``peer_error``), applies nothing and keeps its cursor."""
    a, b = live_nodes(2, names=["aix", "hostile"], config={"FEDERATION_PAGE_LIMIT": 50})
    live_nodes.peer(a, b)
    items = [b.publish(EVENT, f"event/{i}", event_content(b.url)) for i in range(51)]
    from node.api import federation as federation_api
    from node.federation import feed as feed_service

    class HostileFeed:
        def __getattr__(self, name):
            return getattr(feed_service, name)

        @staticmethod
        def feed_page(session, reader, after, limit, **_options):
            return FeedPage(items=tuple(items), next_after=items[-1]["seq"], has_more=False)

    monkeypatch.setattr(federation_api, "feed", HostileFeed())
    before = counts(a)
    (result,) = a.sync()
    assert result.error == "peer_error" and result.applied == 0
    assert counts(a)["feed_copies"] == before["feed_copies"] and copies(a, b) == {}
    assert a.peer_row(b).last_applied_seq == 0
    assert a.peer_row(b).last_error == "peer_error: peer sent a malformed feed page"


class _Dribbler:
    """A loopback server that accepts, then sends one byte of a never-ending answer every
    ``interval`` seconds: each read succeeds within the read timeout, the whole never ends."""

    def __init__(self, interval: float = 0.2) -> None:
        import socket
        import threading

        self.interval = interval
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import threading

        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._dribble, args=(conn,), daemon=True).start()

    def _dribble(self, conn) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 900000\r\n\r\n"
        # The body stops well short of its announced length: if the client's deadline ever
        # failed to fire, the test would fail in ~20 s instead of hanging for minutes.
        payload = head + b'{"x":"' + b"a" * 40_000
        try:
            conn.recv(65536)
            for byte in payload:
                if self.stopped.wait(self.interval):
                    break
                conn.sendall(bytes([byte]))
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


@pytest.mark.real_timers
@pytest.mark.parametrize("phase", ["headers", "body"])
def test_a_slow_loris_peer_is_cut_by_the_total_timeout(phase):
    """The read timeout alone never fires against a byte every 0.2 s; the client's total
    deadline does, in the status line/headers as in the body."""
    from federation.client import FederationClient
    from federation.errors import FederationError

    # "body": the head arrives in a few ms, then the 900 kB body would take minutes.
    server = _Dribbler(interval=0.2 if phase == "headers" else 0.0005)
    url = f"http://127.0.0.1:{server.port}"
    client = FederationClient("http://127.0.0.1:1", SigningKey.generate(),
                              allow_loopback_peers=[url], timeout=(1, 1), retries=0,
                              total_timeout=1.5)
    started = time.monotonic()
    try:
        with pytest.raises(FederationError) as refused:
            client.fetch_node_document(url)
    finally:
        elapsed = time.monotonic() - started
        client.close()
        server.close()
    assert refused.value.code == "peer_unavailable"
    assert refused.value.message.endswith("response took too long")
    assert 1.4 < elapsed < 4, elapsed


def peering_attempt(node) -> tuple[int, str, str]:
    response = node.post_raw("/federation/v1/peering", b'{"hello":"x"}',
                             {"Content-Type": "application/json"})
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


@pytest.mark.parametrize("setting, message", [
    ({"FEDERATION_PEERING_RATE_PER_ADDRESS": 2, "FEDERATION_PEERING_RATE_GLOBAL": 50},
     "too many peering requests from this address; try again later"),
    ({"FEDERATION_PEERING_RATE_PER_ADDRESS": 50, "FEDERATION_PEERING_RATE_GLOBAL": 2},
     "too many peering requests; try again later"),
])
def test_peering_requests_are_rate_limited_per_address_and_globally(live_nodes, setting, message):
    (a,) = live_nodes(1, config=setting)
    twin = a.twin()  # another worker on the same database shares the counters
    before = counts(a)
    assert peering_attempt(a)[:2] == (401, "bad_signature")
    response = twin.test_client().post("/federation/v1/peering", data=b"{}",
                                       content_type="application/json",
                                       environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == 401
    assert peering_attempt(a) == (429, "rate_limited", message)
    assert counts(a) == before
