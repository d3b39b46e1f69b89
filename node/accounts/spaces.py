"""The space this node serves: its one ``spaces`` row."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Space

#: Where a session keeps the space's row once read (``session.info``).
_SPACE_KEY = "coworknet.space"
#: Every page reads it: the statement is built once (a statement is immutable).
_SPACE_ROW = select(Space).limit(1)


def current_space(session: Session, config: Mapping) -> Space:
    """The space's row; before ``coworknet init`` wrote it, an unsaved one built from the
    settings (``NODE_NAME``, ``NODE_CITY``, ``NODE_REGION``, ``BASE_URL``, ``SIGNUP_MODE``)."""
    row = session.info.get(_SPACE_KEY)
    if row is not None and row in session:
        return row  # a page asks several times (title, menu, footer): one read per session
    row = session.scalar(_SPACE_ROW)
    if row is not None:
        session.info[_SPACE_KEY] = row
    if row is None:
        row = Space(
            name=config["NODE_NAME"], city=config["NODE_CITY"], region=config["NODE_REGION"],
            base_url=config["BASE_URL"], signup_mode=config["SIGNUP_MODE"], description="",
            address="", opening_hours="", contact_email="", privacy_notice="", privacy_notice_version=0,
        )
    return row


SETTINGS_FIELDS = ("signup_mode", "description", "address", "opening_hours", "contact_email")


def update_settings(session: Session, space: Space, data: dict, now: datetime) -> Space:
    """Apply the manager's settings of the space. A change of the privacy notice's text makes a
    new version (with its date): sign-ups from then on consent to that version."""
    for name in SETTINGS_FIELDS:
        if name in data:
            setattr(space, name, data[name] or "")
    notice = data.get("privacy_notice")
    if notice is not None and notice != (space.privacy_notice or ""):
        space.privacy_notice = notice
        space.privacy_notice_version = (space.privacy_notice_version or 0) + 1
        space.privacy_notice_updated_at = now
    session.add(space)
    session.flush()
    return space
