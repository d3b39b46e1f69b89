"""Helpers of the hostile-peer tests: a peer's feed filled by hand with items its own node
would refuse to publish, signed inbox messages and requests, and a snapshot of a whole
database to show that a refusal changed nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from federation.canonical import canonical_dumps
from federation.envelope import sign_object, sign_redactable
from federation.httpsig import sign_request
from federation.keys import SigningKey, now_ms
from node.models import Base, FeedEntry

INBOX = "/federation/v1/inbox"
FEED = "/federation/v1/feed"
PEERING = "/federation/v1/peering"

#: Columns of ``peers`` a failed pull is meant to change (its error and backoff are recorded).
PULL_BOOKKEEPING = frozenset({
    "backoff_failures", "next_attempt_ms", "last_error", "last_error_at", "last_success_at",
    "document_fetched_ms", "document_cache_until_ms", "updated_at"})


def snapshot(node) -> dict[str, list[tuple]]:
    """Every row of every table of ``node``'s database (the ``peers`` table without the
    bookkeeping of a failed pull), sorted: equal snapshots mean nothing changed."""
    result: dict[str, list[tuple]] = {}
    with node.session() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns
                       if not (table.name == "peers" and c.name in PULL_BOOKKEEPING)]
            rows = session.execute(select(*columns)).all()
            result[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return result


def signed_item(node, item_type: str, local_id: str, content: dict | None, *, seq: int,
                owner: str | None = None, origin_ts: int | None = None,
                key: SigningKey | None = None) -> dict[str, Any]:
    """An item signed by ``node`` (or ``key``) with no check of its content at all."""
    item: dict[str, Any] = {"seq": seq, "type": item_type, "id": f"{node.url}/{local_id}",
                            "owner": owner or node.url,
                            "origin_ts": now_ms() if origin_ts is None else origin_ts,
                            "deleted": content is None}
    if content is not None:
        item["content"] = content
    return sign_redactable(item, node.url, key or node.runtime.signing_key())


def serve(node, items: list[dict[str, Any]]) -> None:
    """Make ``items`` the whole of ``node``'s feed (each at its own seq)."""
    with node.session() as session:
        session.query(FeedEntry).delete()
        for item in items:
            session.add(FeedEntry(seq=item["seq"], item_type=item["type"], object_id=item["id"],
                                  recipient=None, is_deleted=item["deleted"],
                                  item_json=canonical_dumps(item).decode("utf-8")))
        session.commit()


def message(sender, receiver, message_type: str, content: dict, *, local_id: str,
            origin_ts: int | None = None, key: SigningKey | None = None) -> dict[str, Any]:
    """An inbox message signed by ``sender`` (or ``key``) with no check of its content."""
    body = {"type": message_type, "id": f"{sender.url}/{local_id}", "origin": sender.url,
            "destination": receiver.url,
            "origin_ts": now_ms() if origin_ts is None else origin_ts, "content": content}
    return sign_object(body, sender.url, key or sender.runtime.signing_key())


def signed_headers(sender, receiver, path: str, body: bytes, *, method: str = "POST",
                   query: str = "", key: SigningKey | None = None,
                   content_type: str | None = "application/json") -> dict[str, str]:
    url = receiver.url + path + (f"?{query}" if query else "")
    headers = sign_request(method, url, body, sender.url, key or sender.runtime.signing_key())
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers


def post_message(sender, receiver, signed: dict[str, Any], **kwargs):
    body = canonical_dumps(signed)
    return receiver.post_raw(INBOX, body, signed_headers(sender, receiver, INBOX, body, **kwargs))


def refusal(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]
