"""``node.orm.among``: a list of ids or keys bound as one parameter (an array on PostgreSQL,
JSON text on SQLite) selects what ``in_()`` selects, with one SQL text whatever the length."""

from __future__ import annotations

from sqlalchemy import event, select

from node.members.models import Member
from node.orm import among


def test_among_selects_what_in_selects_with_one_statement_text(session, create_member):
    people = [create_member(f"among-{n}@example.org", display_name=f"Personne {n}") for n in range(6)]
    ids = [person.id for person in people]
    texts = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        texts.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        for chosen in (ids[:1], ids[1:4], ids, [], [ids[2], 10**9]):
            found = session.scalars(select(Member.id).where(among(Member.id, chosen))).all()
            assert sorted(found) == sorted(i for i in chosen if i in ids)
            names = [f"Personne {ids.index(i)}" for i in chosen if i in ids]
            by_name = session.scalars(select(Member.id).where(among(Member.display_name, names))).all()
            assert sorted(by_name) == sorted(i for i in chosen if i in ids)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # Five lengths, two kinds: two statement texts (the database parses and plans each once).
    assert len(set(texts)) == 2, set(texts)


def test_among_combines_with_other_conditions_and_negation(session, create_member):
    people = [create_member(f"combine-{n}@example.org") for n in range(4)]
    ids = [person.id for person in people]
    people[0].status = "suspended"
    session.flush()
    active = session.scalars(select(Member.id).where(among(Member.id, ids), Member.status == "active")).all()
    assert sorted(active) == ids[1:]
    others = session.scalars(select(Member.id).where(~among(Member.id, ids[:2]), among(Member.id, ids))).all()
    assert sorted(others) == ids[2:]
