import pytest

from federation.errors import BadRequest
from federation.nodeid import authority_of, normalize_node_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://aix.example", "https://aix.example"),
        ("https://Aix.Example/", "https://aix.example"),
        ("HTTPS://aix.example:443", "https://aix.example"),
        ("http://aix.example:80/", "http://aix.example"),
        ("https://aix.example:8443", "https://aix.example:8443"),
        ("http://127.0.0.1:8001", "http://127.0.0.1:8001"),
        ("http://[::1]:8001/", "http://[::1]:8001"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
    ],
)
def test_normalises(raw, expected):
    assert normalize_node_id(raw) == expected
    assert normalize_node_id(expected) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "mastodon.so/cial",
        "https://mastodon.so/cial",
        "https://aix.example/evil",
        "https://aix.example//",
        "https://aix.example?x=1",
        "https://aix.example?",
        "https://aix.example#frag",
        "https://user@aix.example",
        "https://user:pw@aix.example",
        "ftp://aix.example",
        "https:aix.example",
        "//aix.example",
        "https://",
        "https://aix.example:0",
        "https://aix.example:99999",
        "https://aix.example:+80",
        "https://aix.example.",
        "https://aix..example",
        "https://aix_example.org",
        "https://aix.example\\@evil.example",
        "https://aix.example /",
        "https://127.1",
        "https://0x7f.0.0.1",
        "https://0177.0.0.1",
        "https://[fe80::1%25eth0]",
        "https://aix%2eexample",
        "",
    ],
)
def test_rejects(raw):
    with pytest.raises(BadRequest):
        normalize_node_id(raw)


def test_authority():
    assert authority_of("https://aix.example:443/") == "aix.example"
    assert authority_of("http://127.0.0.1:8001") == "127.0.0.1:8001"
