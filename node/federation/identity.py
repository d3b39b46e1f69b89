"""The node's own Ed25519 signing key, kept in the instance folder (never in the database)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from federation.keys import SigningKey

logger = logging.getLogger(__name__)

KEY_FILENAME = "node_key.pem"


def key_path(instance_path: Path) -> Path:
    return Path(instance_path) / KEY_FILENAME


def create_node_key(instance_path: Path) -> SigningKey:
    """Generate the node's key pair unless one exists; returns the current key."""
    path = key_path(instance_path)
    if path.exists():
        return load_node_key(instance_path)
    key = SigningKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.to_pem())
    logger.info("node key %s created", key.key_id)
    return key


def load_node_key(instance_path: Path) -> SigningKey:
    return SigningKey.from_pem(key_path(instance_path).read_bytes())
