"""insert_rows: many rows at the driver's speed, read back exactly as Core would have
written them (types processed by the columns' own bind processors), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from node.bulk import insert_rows, insertable_columns
from node.models import FeedCopy


def _row(i: int, when: datetime) -> dict:
    return {"peer_node_id": "http://127.0.0.1:5002", "object_id": f"http://127.0.0.1:5002/o/{i}",
            "item_type": "directory.entry", "seq": i, "is_deleted": i % 3 == 0,
            "item_json": None if i % 3 == 0 else '{"é":"Besançon"}', "updated_at": when}


def test_rows_read_back_as_written_by_core(session):
    page_time = datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=UTC)  # one object, many rows
    other = datetime(2026, 3, 29, 3, 0, tzinfo=UTC) + timedelta(hours=2)
    rows = [_row(i, page_time if i < 5 else other) for i in range(1, 8)]
    insert_rows(session, FeedCopy.__table__, rows[:4])
    session.execute(insert(FeedCopy.__table__), rows[4:])  # Core, for comparison
    insert_rows(session, FeedCopy.__table__, [])
    session.commit()
    stored = session.execute(select(
        FeedCopy.object_id, FeedCopy.seq, FeedCopy.is_deleted, FeedCopy.item_json,
        FeedCopy.updated_at).order_by(FeedCopy.seq)).all()
    assert [tuple(r) for r in stored] == [
        (r["object_id"], r["seq"], r["is_deleted"], r["item_json"], r["updated_at"])
        for r in rows]


def test_a_row_missing_or_adding_a_column_is_refused_and_nothing_is_written(session, clock):
    row = _row(1, clock.now())
    assert set(row) == insertable_columns(FeedCopy.__table__)
    for bad in ({k: v for k, v in row.items() if k != "updated_at"}, {**row, "id": 5}):
        with pytest.raises(ValueError, match="must name exactly"):
            insert_rows(session, FeedCopy.__table__, [_row(2, clock.now()), bad])
    session.rollback()
    assert session.scalars(select(FeedCopy)).all() == []


def test_text_that_copy_would_misread_is_stored_as_is(session):
    """PostgreSQL takes the rows through COPY: tabs, newlines, backslashes and a literal
    ``\\N`` must come back as written, and None as NULL."""
    when = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
    texts = ["tab\there", "line\nbreak\r\n", "back\\slash", "\\N", "", None, "€ \u00a0 ﬁ 🙂"]
    rows = [{**_row(i, when), "item_json": text} for i, text in enumerate(texts, start=1)]
    insert_rows(session, FeedCopy.__table__, rows)
    session.commit()
    stored = session.scalars(select(FeedCopy.item_json).order_by(FeedCopy.seq)).all()
    assert stored == texts
