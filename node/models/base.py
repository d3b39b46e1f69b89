"""Kept for the Alembic revisions, which name ``node.models.base.UTCDateTime``: the declarative
base and column helpers live in :mod:`node.orm`."""

from ..orm import NAMING_CONVENTION, Base, UTCDateTime, utcnow

__all__ = ["NAMING_CONVENTION", "Base", "UTCDateTime", "utcnow"]
