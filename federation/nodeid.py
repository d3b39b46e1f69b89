"""Node ids: one strict normalisation of a node's base URL.

A node id *is* its normalised base URL (``https://aix.example`` or ``http://127.0.0.1:8001``).
Every place that compares node ids must go through :func:`normalize_node_id` so that
``https://Aix.Example:443/`` and ``https://aix.example`` are the same node and
``https://aix.example/evil`` is refused instead of silently becoming ``https://aix.example``.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
from urllib.parse import urlsplit

from federation.errors import BadRequest

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_NODE_ID_LENGTH = 255
_LABEL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_ALLOWED_URL_CHARS_RE = re.compile(r"^[\x21-\x7e\u00a0-\U0010ffff]+$")


def _normalize_host(raw_host: str) -> str:
    if not raw_host:
        raise BadRequest("node id has no host")
    if raw_host.startswith("["):
        if not raw_host.endswith("]"):
            raise BadRequest("node id has a malformed IPv6 literal")
        try:
            address = ipaddress.IPv6Address(raw_host[1:-1])
        except ValueError as exc:
            raise BadRequest("node id has an invalid IPv6 literal") from exc
        if address.scope_id:
            raise BadRequest("node id must not carry an IPv6 zone")
        return f"[{address.compressed}]"
    if "%" in raw_host or "[" in raw_host or "]" in raw_host:
        raise BadRequest("node id host contains forbidden characters")
    host = raw_host.lower()
    if host.endswith("."):
        raise BadRequest("node id host must not end with a dot")
    labels = host.split(".")
    ascii_labels = []
    for label in labels:
        if not label:
            raise BadRequest("node id host has an empty label")
        if label.isascii():
            ascii_label = label
        else:
            try:
                ascii_label = label.encode("idna").decode("ascii")
            except UnicodeError as exc:
                raise BadRequest("node id host is not a valid internationalised name") from exc
        if not _LABEL_RE.match(ascii_label):
            raise BadRequest("node id host has an invalid label")
        ascii_labels.append(ascii_label)
    host = ".".join(ascii_labels)
    if len(host) > 253:
        raise BadRequest("node id host is too long")
    # A final all-numeric label means "this is an IPv4 address": only the plain dotted-quad
    # form is accepted, never 127.1, 0x7f.0.0.1 or 0177.0.0.1.
    if ascii_labels[-1].isdigit():
        try:
            address4 = ipaddress.IPv4Address(host)
        except ValueError as exc:
            raise BadRequest("node id host is not a valid IPv4 address") from exc
        return str(address4)
    return host


def normalize_node_id(url: str) -> str:
    """Return the one canonical node id for ``url`` or raise :class:`BadRequest`.

    Accepts only ``http``/``https`` base URLs without userinfo, query, fragment or path
    (a single trailing ``/`` is tolerated and removed).
    """
    if not isinstance(url, str) or not url:
        raise BadRequest("node id must be a non-empty string")
    # Every item of a feed page names its owner: the few node ids seen are parsed once.
    return _normalize_node_id(url)


@functools.lru_cache(maxsize=4096)
def _normalize_node_id(url: str) -> str:
    if len(url) > MAX_NODE_ID_LENGTH:
        raise BadRequest("node id is too long")
    if not _ALLOWED_URL_CHARS_RE.match(url) or "\\" in url:
        raise BadRequest("node id contains whitespace, control or backslash characters")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise BadRequest("node id is not a valid URL") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BadRequest("node id scheme must be http or https")
    if not url[len(parts.scheme) :].startswith("://"):
        raise BadRequest("node id must be an absolute URL")
    if "?" in url or "#" in url:
        raise BadRequest("node id must not have a query or fragment")
    if parts.path not in ("", "/"):
        raise BadRequest("node id must not have a path")
    netloc = parts.netloc
    if "@" in netloc:
        raise BadRequest("node id must not carry user information")
    host_part, port_part = netloc, None
    if netloc.startswith("["):
        closing = netloc.find("]")
        if closing == -1:
            raise BadRequest("node id has a malformed IPv6 literal")
        host_part = netloc[: closing + 1]
        rest = netloc[closing + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise BadRequest("node id has a malformed authority")
            port_part = rest[1:]
    elif ":" in netloc:
        host_part, port_part = netloc.rsplit(":", 1)
    host = _normalize_host(host_part)
    port: int | None = None
    if port_part is not None:
        if not port_part.isascii() or not port_part.isdigit() or len(port_part) > 5:
            raise BadRequest("node id has an invalid port")
        port = int(port_part)
        if not 1 <= port <= 65535:
            raise BadRequest("node id port is out of range")
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def authority_of(node_id: str) -> str:
    """The ``host[:port]`` part of a normalised node id (what ``@authority`` must equal)."""
    return normalize_node_id(node_id).split("://", 1)[1]
