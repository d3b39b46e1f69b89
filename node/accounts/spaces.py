"""The space this node serves: its one ``spaces`` row."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Space

#: Where a session keeps the space's row once read (``session.info``).
_SPACE_KEY = "coworknet.space"


def current_space(session: Session, config: Mapping) -> Space:
    """The space's row; before ``coworknet init`` wrote it, an unsaved one built from the
    settings (``NODE_NAME``, ``NODE_CITY``, ``NODE_REGION``, ``BASE_URL``, ``SIGNUP_MODE``)."""
    row = session.info.get(_SPACE_KEY)
    if row is not None and row in session:
        return row  # a page asks several times (title, menu, footer): one read per session
    row = session.scalar(select(Space).limit(1))
    if row is not None:
        session.info[_SPACE_KEY] = row
    if row is None:
        row = Space(
            name=config["NODE_NAME"], city=config["NODE_CITY"], region=config["NODE_REGION"],
            base_url=config["BASE_URL"], signup_mode=config["SIGNUP_MODE"], description="",
        )
    return row
