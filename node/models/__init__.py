"""ORM classes, one module per aggregate. Importing this package registers them all."""

from .auth import ApiToken, Invitation, LoginFailure, PasswordReset
from .base import Base
from .connector import (
    BarterEntry,
    Candidate,
    ConnectorSettings,
    DigestOptOut,
    Need,
    NeedAnswer,
    NetworkAnswer,
    PeerStats,
    QueueItem,
    Referral,
    SiblingNode,
)
from .event import (
    CalendarFeedToken,
    CheckIn,
    Event,
    EventHost,
    EventOccurrence,
    EventVenueRotation,
    Registration,
    Venue,
    WorkshopProposal,
)
from .federation import (
    FederationLock,
    FederationSetting,
    FeedCopy,
    FeedEntry,
    InboxReceipt,
    NodeKey,
    OutboxMessage,
    Peer,
    RateLimitBucket,
    SeenNonce,
)
from .jobs import JobState
from .member import Member, MemberLanguage, MemberSkill
from .network import (
    DirectoryExport,
    Introduction,
    NetworkEntry,
    NetworkEntryConcept,
    NetworkPreference,
)
from .oidc import OidcIdentity
from .regional import (
    RegionalEvent,
    RegionalParticipant,
    RegionalReportCount,
    RegionalSession,
    RemoteRegistration,
)
from .space import Space
from .work import PendingWork

__all__ = [
    "PendingWork",
    "ApiToken",
    "Base",
    "BarterEntry",
    "Candidate",
    "ConnectorSettings",
    "DigestOptOut",
    "NetworkAnswer",
    "Need",
    "NeedAnswer",
    "PeerStats",
    "QueueItem",
    "Referral",
    "SiblingNode",
    "FederationLock",
    "FederationSetting",
    "RateLimitBucket",
    "FeedCopy",
    "FeedEntry",
    "InboxReceipt",
    "NodeKey",
    "OutboxMessage",
    "Peer",
    "SeenNonce",
    "DirectoryExport",
    "Introduction",
    "JobState",
    "Invitation",
    "LoginFailure",
    "Member",
    "MemberLanguage",
    "MemberSkill",
    "NetworkEntry",
    "NetworkEntryConcept",
    "NetworkPreference",
    "OidcIdentity",
    "PasswordReset",
    "Space",
    "CalendarFeedToken",
    "CheckIn",
    "Event",
    "EventHost",
    "EventOccurrence",
    "EventVenueRotation",
    "Registration",
    "Venue",
    "WorkshopProposal",
    "RegionalEvent",
    "RegionalParticipant",
    "RegionalReportCount",
    "RegionalSession",
    "RemoteRegistration",
]
