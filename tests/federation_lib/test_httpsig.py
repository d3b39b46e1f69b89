import pytest

from federation.errors import (
    BadSignature,
    DestinationMismatch,
    ExpiredSignature,
    ReplayedNonce,
    UnknownKey,
)
from federation.httpsig import MemoryNonceStore, content_digest, sign_request, verify_request

from .conftest import AIX, FONTAINEBLEAU, T0_S

URL = FONTAINEBLEAU + "/federation/v1/feed?after=5&limit=50"
NONCE = "AAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture
def request_parts(aix_key, add_key):
    add_key(AIX, aix_key)
    body = b'{"x":1}'
    headers = sign_request("POST", URL, body, AIX, aix_key, now=T0_S, nonce=NONCE)
    return {
        "method": "POST",
        "authority": "fontainebleau.example",
        "path": "/federation/v1/feed",
        "query": "after=5&limit=50",
        "headers": headers,
        "body": body,
    }


@pytest.fixture
def verify(lookup_key):
    store = MemoryNonceStore(clock=lambda: T0_S)

    def _verify(parts, **overrides):
        kwargs = {
            "our_node_id": FONTAINEBLEAU,
            "lookup_key": lookup_key,
            "nonce_store": store,
            "now": T0_S,
        }
        kwargs.update(overrides)
        return verify_request(
            parts["method"],
            parts["authority"],
            parts["path"],
            parts["query"],
            parts["headers"],
            parts["body"],
            **kwargs,
        )

    _verify.store = store
    return _verify


def test_known_answer(request_parts):
    headers = request_parts["headers"]
    assert headers == {
        "Content-Digest": "sha-256=:UEG/H3E98gR4Q1PoL2pKU1kxy2Tx9LSlrq/8tyCRiyI=:",
        "Coworknet-Origin": AIX,
        "Coworknet-Destination": FONTAINEBLEAU,
        "Signature-Input": (
            'cwn=("@method" "@authority" "@path" "@query" "content-digest" "coworknet-origin" '
            '"coworknet-destination");created=1700000000;expires=1700000060;'
            'nonce="AAAAAAAAAAAAAAAAAAAAAA";keyid="ed25519:Vkdap1RjR0wChd9d"'
        ),
        "Signature": "cwn=:TtlLG/ju3WNe+Nz5zQqxqa0R/wbQMAj0wV9HIVvaqNOYi7t4lGLaQgL7mKOjP7EnbzY8uehnNXZYqNXkyM8hDA==:",
    }
    assert content_digest(b"") == "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"


def test_valid_request_verifies(request_parts, verify, aix_key):
    result = verify(request_parts)
    assert (result.signer, result.key_id, result.created, result.nonce) == (
        AIX,
        aix_key.key_id,
        T0_S,
        NONCE,
    )


def test_header_names_are_case_insensitive(request_parts, verify):
    request_parts["headers"] = {k.lower(): v for k, v in request_parts["headers"].items()}
    verify(request_parts)


def _set_header(parts, name, value):
    parts["headers"] = dict(parts["headers"], **{name: value})


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda p: p.update(method="PUT"), BadSignature),
        (lambda p: p.update(path="/federation/v1/inbox"), BadSignature),
        (lambda p: p.update(query="after=0&limit=50"), BadSignature),
        (lambda p: p.update(query=""), BadSignature),
        (lambda p: p.update(authority="aix.example"), DestinationMismatch),
        (lambda p: p.update(body=b'{"x":2}'), BadSignature),
        (lambda p: _set_header(p, "Content-Digest", content_digest(b'{"x":2}')), BadSignature),
        (
            lambda p: _set_header(p, "Coworknet-Destination", "https://other.example"),
            DestinationMismatch,
        ),
        (lambda p: _set_header(p, "Coworknet-Origin", FONTAINEBLEAU), UnknownKey),
        (lambda p: _set_header(p, "Coworknet-Origin", "https://AIX.example"), BadSignature),
        (
            lambda p: _set_header(
                p,
                "Signature-Input",
                p["headers"]["Signature-Input"].replace(' "content-digest"', ""),
            ),
            BadSignature,
        ),
        (
            lambda p: _set_header(
                p,
                "Signature-Input",
                p["headers"]["Signature-Input"].replace(
                    "ed25519:Vkdap1RjR0wChd9d", "ed25519:otherkey"
                ),
            ),
            UnknownKey,
        ),
        (
            lambda p: _set_header(
                p,
                "Signature-Input",
                p["headers"]["Signature-Input"].replace("expires=1700000060", "expires=1700000050"),
            ),
            BadSignature,
        ),
        (
            lambda p: _set_header(
                p,
                "Signature-Input",
                p["headers"]["Signature-Input"].replace("expires=1700000060", "expires=1700001000"),
            ),
            ExpiredSignature,
        ),
        (
            lambda p: _set_header(
                p, "Signature-Input", p["headers"]["Signature-Input"].replace("cwn=", "other=")
            ),
            BadSignature,
        ),
        (lambda p: _set_header(p, "Signature", "cwn=:AAAA:"), BadSignature),
        (lambda p: _set_header(p, "Signature", "cwn=garbage"), BadSignature),
        (lambda p: p["headers"].pop("Content-Digest"), BadSignature),
        (lambda p: p["headers"].pop("Coworknet-Origin"), BadSignature),
        (lambda p: p["headers"].pop("Signature"), BadSignature),
    ],
)
def test_tampered_requests_fail(request_parts, verify, mutate, error):
    request_parts["headers"] = dict(request_parts["headers"])
    mutate(request_parts)
    with pytest.raises(error):
        verify(request_parts)
    # Nothing is recorded when a request fails.
    assert verify.store._seen == {}


@pytest.mark.parametrize("now", [T0_S - 61, T0_S + 61, T0_S + 200])
def test_time_window(request_parts, verify, now):
    with pytest.raises(ExpiredSignature):
        verify(request_parts, now=now)


def test_long_lived_signature_refused(aix_key, add_key, verify):
    add_key(AIX, aix_key)
    headers = sign_request("GET", URL, b"", AIX, aix_key, now=T0_S, expires_in=301)
    parts = {
        "method": "GET",
        "authority": "fontainebleau.example",
        "path": "/federation/v1/feed",
        "query": "after=5&limit=50",
        "headers": headers,
        "body": b"",
    }
    with pytest.raises(ExpiredSignature):
        verify(parts)


def test_replayed_nonce(request_parts, verify):
    verify(request_parts)
    with pytest.raises(ReplayedNonce):
        verify(request_parts)


def test_nonce_not_consumed_by_forged_request(request_parts, verify):
    forged = dict(request_parts, body=b'{"x":"evil"}')
    forged["headers"] = dict(
        request_parts["headers"], **{"Content-Digest": content_digest(b'{"x":"evil"}')}
    )
    with pytest.raises(BadSignature):
        verify(forged)
    verify(request_parts)


def test_expired_key_refused(aix_key, add_key, request_parts, verify):
    add_key(AIX, aix_key, valid_from=0, valid_until=T0_S * 1000)
    with pytest.raises(ExpiredSignature):
        verify(request_parts)


def test_duplicate_signature_header_refused(request_parts, verify):
    _set_header(
        request_parts,
        "Signature-Input",
        request_parts["headers"]["Signature-Input"]
        + ", "
        + request_parts["headers"]["Signature-Input"],
    )
    with pytest.raises(BadSignature):
        verify(request_parts)


def test_other_signature_labels_are_ignored(request_parts, verify):
    _set_header(
        request_parts,
        "Signature-Input",
        'other=("@method");created=1;keyid="x", ' + request_parts["headers"]["Signature-Input"],
    )
    _set_header(
        request_parts, "Signature", "other=:AAAA:, " + request_parts["headers"]["Signature"]
    )
    verify(request_parts)
