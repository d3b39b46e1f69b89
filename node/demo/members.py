"""Demo: the manager and members of each space, with their profiles."""

from __future__ import annotations

from sqlalchemy import func, select

from ..accounts import accounts
from ..db import db
from ..members import profiles
from ..members.models import Member
from .base import DemoNode


def seed_member_accounts(node: DemoNode, data: dict) -> None:
    """Create the manager and members of a demo space once."""
    app = node.app
    passwords = app.extensions["coworknet.passwords"]
    with app.app_context():
        session = db.session
        if session.scalar(select(func.count()).select_from(Member)):
            return
        manager = node.spec["manager"]
        accounts.create_member(session, passwords, email=manager["email"], display_name=manager["display_name"],
                               password=manager["password"], role="manager")
        for person in node.spec["members"]:
            member = accounts.create_member(
                session, passwords, email=person["email"], display_name=person["display_name"],
                password=data["member_password"],
            )
            profiles.update_profile(session, member, {
                "headline": person.get("headline", ""), "bio": person.get("bio", ""),
                "trade_id": person.get("trade"),
                "skills": [{"label": label, "level": level} for label, level in person.get("skills", [])],
                "languages": person.get("languages", []),
                "open_to_help": person.get("open_to_help", False),
                "open_to_paid": person.get("open_to_paid", False),
                "open_to_barter": person.get("open_to_barter", False),
                "visibility": person.get("visibility", "space"),
            })
        session.commit()


def seed_members(nodes: list[DemoNode], data: dict) -> None:
    for node in nodes:
        seed_member_accounts(node, data)
