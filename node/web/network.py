"""Network search in the portal: search my space and the peers' copies, ask for an
introduction, answer the requests addressed to me; the managers' view of the flow."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, lazy_gettext, lazy_pgettext
from flask_babel import gettext as _

from schemas.network import (
    IntroductionAcceptSchema,
    IntroductionDeclineSchema,
    IntroductionRequestSchema,
    NetworkSearchQuerySchema,
    RequestsPausedSchema,
)

from ..db import db, share_with_sessions
from ..http.confirm import ask_confirmation, confirmed
from ..http.forms import form_values, parse, query
from ..http.queries import facet_cap, search_query
from ..http.security import manager_required, member_required
from ..members.models import Member
from ..members.thesaurus import get_thesaurus
from ..network import export as network_export
from ..network import introductions
from ..network import search as network_search
from ..network.settings import SETTINGS_INFO_KEY, NetworkSettings
from .nav import add_nav_item

bp = Blueprint("network", __name__)
DIRTY_KEY = "coworknet.network.dirty"
CHECKBOXES = ("open_to_help", "open_to_paid", "open_to_barter")


def handles() -> network_search.Handles:
    return current_app.extensions["coworknet.network.handles"]


@bp.route("/network")
@member_required
@query(NetworkSearchQuerySchema, checkboxes=CHECKBOXES)
def search(query: dict):
    data = query
    current_app.extensions["coworknet.network.limiter"].check(db.session, g.member.id)
    db.session.commit()  # the count is shared by every worker
    result = network_search.search_network(db.session, search_query(data), exclude_member_id=g.member.id,
                                            facet_cap=facet_cap())
    cards = network_search.result_cards(result, handles(), g.member.id, str(get_locale() or "fr"))
    return render_template("network/search.html", query=data, cards=cards, result=result,
                           thesaurus=get_thesaurus())


@bp.route("/network/introductions", methods=["POST"])
@member_required
def ask_introduction():
    data = parse(IntroductionRequestSchema(), form_values(request.form))
    entry_id = handles().open(g.member.id, data["handle"])
    introductions.request_introduction(db.session, g.member, entry_id, data["message"], data["concept"])
    db.session.commit()
    flash(_("Your introduction request was sent. You will see the answer here."), "success")
    return redirect(url_for("network.my_introductions"))


@bp.route("/network/introductions")
@member_required
def my_introductions():
    sent, received = introductions.list_for_member(db.session, g.member)
    return render_template(
        "network/introductions.html", sent=sent, received=received,
        status=introductions.visible_status, paused=introductions.requests_paused(db.session, g.member),
        concept_label=_concept_label,
        holders=network_export.peers_holding(db.session, g.member),
    )


@bp.route("/network/my-entry")
@member_required
def my_entry():
    """What each partner space holds about me, exactly, and why a skill says less."""
    thesaurus = get_thesaurus()
    unshared = [skill.label for skill in g.member.skills if not skill.concept_id]
    return render_template(
        "network/my_entry.html", holdings=network_export.holdings(db.session, g.member),
        unshared=unshared, concept_label=_concept_label, thesaurus=thesaurus,
        rare_here=network_export.RARE_HERE, k=current_app.config["NETWORK_K"],
    )


def _concept_label(concept_id: str) -> str:
    """A skill in the reader's language (a concept id the thesaurus no longer knows: as is)."""
    thesaurus = get_thesaurus()
    return thesaurus.label(concept_id, str(get_locale() or "fr")) if thesaurus.concept(concept_id) else concept_id


@bp.route("/network/introductions/<int:intro_id>/accept", methods=["POST"])
@member_required
def accept(intro_id: int):
    data = parse(IntroductionAcceptSchema(), form_values(request.form, checkboxes=("reveal_email",)))
    introductions.accept_introduction(db.session, g.member, intro_id, reveal_email=data["reveal_email"],
                                      message=data["message"])
    db.session.commit()
    flash(_("Introduction accepted: your contact details were sent."), "success")
    return redirect(url_for("network.my_introductions"))


@bp.route("/network/introductions/<int:intro_id>/decline", methods=["POST"])
@member_required
def decline(intro_id: int):
    if not confirmed():
        return ask_confirmation(action=_("Decline"), back=url_for("network.my_introductions"),
                                question=_("Decline this introduction? The requester will not be told, "
                                           "and this cannot be undone."))
    parse(IntroductionDeclineSchema(), form_values(request.form))
    introductions.decline_introduction(db.session, g.member, intro_id)
    db.session.commit()
    flash(_("Introduction declined. The requester will not be told."), "success")
    return redirect(url_for("network.my_introductions"))


@bp.route("/network/introductions/<int:intro_id>/withdraw", methods=["POST"])
@member_required
def withdraw(intro_id: int):
    if not confirmed():
        return ask_confirmation(action=_("Withdraw"), back=url_for("network.my_introductions"),
                                question=_("Withdraw your introduction request? This cannot be undone."))
    parse(IntroductionDeclineSchema(), form_values(request.form))
    introductions.withdraw_introduction(db.session, g.member, intro_id)
    db.session.commit()
    flash(_("Your request is withdrawn."), "success")
    return redirect(url_for("network.my_introductions"))


@bp.route("/network/pause", methods=["POST"])
@member_required
def pause():
    data = parse(RequestsPausedSchema(), form_values(request.form, checkboxes=("paused",)))
    introductions.set_requests_paused(db.session, g.member, data["paused"])
    db.session.commit()
    return redirect(url_for("network.my_introductions"))


@bp.route("/admin/network")
@manager_required
def admin_flow():
    rows = introductions.list_all(db.session)
    members = {m.id: m for m in db.session.query(Member).filter(Member.id.in_({r.member_id for r in rows}))}
    return render_template("network/admin.html", rows=rows, members=members,
                           status=introductions.visible_status)


# --- wiring ---------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Register the network pages and the menu entries; give the sessions the settings."""
    settings = NetworkSettings.from_config(app.config)
    if settings is not None:  # every session of the app reads them (node.network.settings.settings_of)
        share_with_sessions(app, SETTINGS_INFO_KEY, settings)
    app.extensions["coworknet.network.handles"] = network_search.Handles(app.config["SECRET_KEY"])
    app.extensions["coworknet.network.limiter"] = network_search.SearchLimiter(
        int(app.config["NETWORK_SEARCHES_PER_MINUTE"])
    )
    app.extensions["coworknet.network.facet_cap"] = int(
        app.config["NETWORK_FACET_CAP"]
    )
    app.register_blueprint(bp)
    add_nav_item(app, "network.search", lazy_gettext("Network"))
    add_nav_item(app, "network.my_introductions", lazy_pgettext("menu", "Introductions"),
                 count=introductions.waiting_select)
    add_nav_item(app, "network.admin_flow", lazy_gettext("Introductions"), admin=True)
