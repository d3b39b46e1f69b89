"""What each domain event sets off after its commit: the node's one table of follow-ups.

``create_app`` calls :func:`build` and installs the result on the unit of work (``node.uow``).
Read this list to answer "what happens when I commit this?"; each feature's
``register_reactions`` names its reactions next to the code that carries them out.

=====================  =====================================  ===========================================
event                  reaction                               does, after the commit
=====================  =====================================  ===========================================
MembersChanged,        network.upkeep                         refresh the members' local search entries;
PeersChanged                                                  publish/withdraw each peer's directory copies
FeedPublished          feed.hints                             queue a ``feed.hint`` for the peers concerned
InboxMessageQueued     inbox.deliver_now (nudge)              deliver the queued message on a thread now
EventChanged,          regional.upkeep                        cancel a cancelled joint event's sessions and
RegistrationChanged,                                          registrations; tell remote registrants;
RegionalEventCancelled                                        republish our sessions of changed events
SessionNoticeQueued    regional.notices                       mail our members about joint-event sessions
SeatsOffered           events.offer_mails                     mail our members offered a seat
MailQueued             mail.send_now (nudge)                  send the queued mail on a thread now
MembersChanged         passes.revocations                     publish (or withdraw) the network-pass
                                                              revocations of members (no longer) active
=====================  =====================================  ===========================================
"""

from __future__ import annotations

from .federation import feed
from .network import export as network_export
from .notices import mailer, regional
from .passes import revocations as pass_revocations
from .regional import sync as regional_sync
from .uow import Reactions

#: The features that react to domain events, in the order their reactions are declared.
FEATURES = (network_export, feed, regional_sync, regional, mailer, pass_revocations)


def build() -> Reactions:
    reactions = Reactions()
    for feature in FEATURES:
        feature.register_reactions(reactions)
    return reactions
