"""Interop with independent implementations (PROTOCOL §2, §5, §5.2):

- a request signed by the ``http-message-signatures`` package (RFC 9421), with our label,
  components and parameters, is accepted by a real node — in the package's parameter order,
  with and without ``alg``;
- the node's own signed requests verify with that package;
- the canonical JSON of the node's items, documents and messages is byte for byte what the
  ``rfc8785`` package (JSON Canonicalization Scheme) writes for them.
"""

from __future__ import annotations

import datetime

import http_message_signatures as hms
import pytest
import requests
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.canonical import canonical_dumps
from federation.httpsig import COVERED_COMPONENTS, sign_request
from federation.messages import FEED_HINT, build_inbox_message
from node.federation import keyring

from .helpers import EVENT, event_content
from .hostile import INBOX, snapshot


def _prepared(sender, receiver, body: bytes) -> requests.PreparedRequest:
    request = requests.Request("POST", receiver.url + INBOX, data=body, headers={
        "Content-Type": "application/json", "Coworknet-Origin": sender.url,
        "Coworknet-Destination": receiver.url})
    return request.prepare()


@pytest.mark.parametrize("include_alg", [False, True])
def test_a_request_signed_by_the_rfc9421_package_is_accepted(live_nodes, include_alg):
    a, b = live_nodes(2, names=["aix", "brest"])
    live_nodes.peer(a, b)
    key = b.runtime.signing_key()
    body = canonical_dumps(build_inbox_message(
        message_type=FEED_HINT, origin=b.url, destination=a.url, content={"latest_seq": 0},
        key=key))
    prepared = _prepared(b, a, body)
    signer = hms.HTTPMessageSigner(
        signature_algorithm=hms.algorithms.ED25519,
        key_resolver=hms.MappingKeyResolver(public_keys={}, private_keys={key.key_id: key.to_pem()}))
    created = datetime.datetime.now(datetime.UTC)
    signer.sign(prepared, key_id=key.key_id, label="cwn", created=created,
                expires=created + datetime.timedelta(seconds=60), nonce="aW50ZXJvcC1ub25jZS0x",
                include_alg=include_alg, covered_component_ids=COVERED_COMPONENTS, body=body)
    # The package's own order of parameters (created, keyid, [alg,] expires, nonce).
    assert prepared.headers["Signature-Input"].startswith('cwn=("@method"')
    response = requests.Session().send(prepared, timeout=10)
    assert response.status_code == 202, response.text
    # The same request again is a replay, as for our own signer.
    again = requests.Session().send(prepared, timeout=10)
    assert again.status_code == 401 and again.json()["error"]["code"] == "replayed_nonce"


def test_a_request_with_another_algorithm_named_is_refused(live_nodes):
    a, b = live_nodes(2, names=["aix", "brest"])
    live_nodes.peer(a, b)
    key = b.runtime.signing_key()
    body = canonical_dumps(build_inbox_message(
        message_type=FEED_HINT, origin=b.url, destination=a.url, content={"latest_seq": 0},
        key=key))
    headers = sign_request("POST", a.url + INBOX, body, b.url, key)
    headers["Signature-Input"] += ';alg="rsa-pss-sha512"'
    headers["Content-Type"] = "application/json"
    before = snapshot(a)
    response = a.post_raw(INBOX, body, headers)
    assert response.status_code == 401 and response.json()["error"]["code"] == "bad_signature"
    assert snapshot(a) == before


def test_the_nodes_signed_requests_verify_with_the_rfc9421_package(live_nodes):
    (a,) = live_nodes(1, names=["aix"])
    key = a.runtime.signing_key()
    destination = "https://brest.example"
    for method, path, body in (("POST", "/federation/v1/inbox", b'{"a":1}'),
                               ("GET", "/federation/v1/feed?after=3&limit=50", b"")):
        headers = sign_request(method, destination + path, body, a.url, key)
        prepared = requests.Request(method, destination + path, headers=headers,
                                    data=body or None).prepare()
        public = Ed25519PublicKey.from_public_bytes(key.public().public_bytes)
        verifier = hms.HTTPMessageVerifier(
            signature_algorithm=hms.algorithms.ED25519,
            key_resolver=hms.MappingKeyResolver(public_keys={key.key_id: public}, private_keys={}))
        (result,) = verifier.verify(prepared, body=body, require_components=COVERED_COMPONENTS)
        assert result.label == "cwn" and result.parameters["keyid"] == key.key_id
        covered = [c for c in result.covered_components if c != '"@signature-params"']
        assert covered == [f'"{c}"' for c in COVERED_COMPONENTS]


def _node_objects(node) -> list[dict]:
    """What the node signs: its document, a feed item with awkward text, an inbox message."""
    awkward = event_content(node.url, title="Atelier « compta » — été 🌞\tété\u00a0\x01\"\\")
    item = node.publish(EVENT, "event/interop", awkward)
    with node.session() as session:
        document = keyring.node_document(session, node.runtime)
    message = build_inbox_message(message_type=FEED_HINT, origin=node.url,
                                  destination="https://brest.example",
                                  content={"latest_seq": 2**53 - 1}, key=node.runtime.signing_key())
    return [document, item, message, {"b": [1, True, None], "a": {"z": "é", "y": "\u2028\x7f"}}]


def test_the_canonical_json_of_the_nodes_objects_is_rfc8785(live_nodes):
    (a,) = live_nodes(1, names=["aix"])
    for obj in _node_objects(a):
        assert canonical_dumps(obj) == rfc8785.dumps(obj)
