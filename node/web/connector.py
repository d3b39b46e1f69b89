"""The community connector in the portal, for members: needs board, introductions asked of
the manager, consent to be introduced, referrals and deals, my barter balance, and the
digest opt-out link (no login)."""

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
from flask_babel import format_timedelta, lazy_gettext
from flask_babel import gettext as _

from schemas.connector import (
    ConsentSchema,
    DealDeclareSchema,
    DigestSubscriptionSchema,
    EmptySchema,
    IntroductionAskSchema,
    NeedAnswerSchema,
    NeedCloseSchema,
    NeedCreateSchema,
    NeedListQuerySchema,
    ReferralCreateSchema,
)

from ..accounts import accounts
from ..connector import barter, connector, digest, ledger, needs
from ..connector import network as connector_network
from ..db import db
from ..http.confirm import ask_confirmation, confirmed
from ..http.context import now, space_tz
from ..http.forms import form_values, parse, query
from ..http.queries import euros
from ..http.security import member_required, public
from ..members.thesaurus import get_thesaurus
from . import dashboard

bp = Blueprint("connector", __name__, url_prefix="/connector")
#: Needs per page of the board (newest first).
NEEDS_PAGE = 30


# --- needs board ------------------------------------------------------------------------------


@bp.route("/needs")
@member_required
@query(NeedListQuerySchema)
def needs_board(query: dict):
    status, page = query["status"], query["page"]
    shown = needs.list_needs(db.session, status=status, limit=NEEDS_PAGE + 1, offset=(page - 1) * NEEDS_PAGE,
                             with_answers=False)
    return render_template(
        "connector/needs.html", needs=shown[:NEEDS_PAGE], more=len(shown) > NEEDS_PAGE, page=page,
        answers=needs.answer_counts(db.session, [need.id for need in shown[:NEEDS_PAGE]]), status=status,
        thesaurus=get_thesaurus(), subscribed=not digest.is_opted_out(db.session, g.member))


@bp.route("/needs", methods=["POST"])
@member_required
def post_need():
    data = parse(NeedCreateSchema(), form_values(request.form))
    need = needs.create_need(db.session, g.member, **data, today=now().astimezone(space_tz()).date())
    db.session.commit()
    flash(_("Your need is posted."), "success")
    return redirect(url_for("connector.need", need_id=need.id))


@bp.route("/needs/<int:need_id>")
@member_required
def need(need_id: int):
    item = needs.get_need(db.session, need_id)
    return render_template(
        "connector/need.html", need=item, suggested=needs.suggested_members(db.session, item),
        thesaurus=get_thesaurus(), members=ledger.active_members(db.session),
    )


@bp.route("/needs/<int:need_id>/answers", methods=["POST"])
@member_required
def answer_need(need_id: int):
    data = parse(NeedAnswerSchema(), form_values(request.form))
    needs.answer_need(db.session, needs.get_need(db.session, need_id), g.member, data["message"])
    db.session.commit()
    flash(_("Your answer is sent."), "success")
    return redirect(url_for("connector.need", need_id=need_id))


@bp.route("/needs/<int:need_id>/close", methods=["POST"])
@member_required
def close_need(need_id: int):
    if not confirmed():
        return ask_confirmation(action=_("Close this need"), back=url_for("connector.need", need_id=need_id),
                                question=_("Close this need? It leaves the board and cannot be reopened."),
                                reason=_("Outcome"), reason_field="outcome", reason_required=True)
    data = parse(NeedCloseSchema(), form_values(request.form))
    needs.close_need(db.session, needs.get_need(db.session, need_id), g.member, data["outcome"])
    db.session.commit()
    flash(_("The need is closed."), "success")
    return redirect(url_for("connector.need", need_id=need_id))


@bp.route("/ask", methods=["POST"])
@member_required
def ask_introduction():
    data = parse(IntroductionAskSchema(), form_values(request.form))
    connector.ask_introduction(db.session, g.member, data["text"])
    db.session.commit()
    flash(_("Your request is with the community manager."), "success")
    return redirect(url_for("connector.needs_board"))


# --- consent ---------------------------------------------------------------------------------


@bp.route("/introductions")
@member_required
def consents():
    return render_template("connector/consents.html",
                           candidates=connector.pending_consents(db.session, g.member),
                           deals=connector.pending_deals(db.session, g.member))


@bp.route("/introductions/<int:candidate_id>", methods=["POST"])
@member_required
def decide(candidate_id: int):
    data = parse(ConsentSchema(), form_values(request.form))
    candidate = connector.get_candidate(db.session, candidate_id)
    result = connector.decide_consent(db.session, candidate, g.member, data["decision"], data["message"])
    if result.response is not None:
        connector_network.send_response(db.session, result)
    db.session.commit()
    flash(_("Thank you, your answer is recorded."), "success")
    return redirect(url_for("connector.consents"))


@bp.route("/introductions/<int:candidate_id>/deal", methods=["POST"])
@member_required
def confirm_deal(candidate_id: int):
    parse(EmptySchema(), form_values(request.form))
    candidate = connector.get_candidate(db.session, candidate_id)
    content = connector.confirm_deal(db.session, candidate, g.member, connector_network.node_id(db.session))
    connector_network.send_deal_confirmation(db.session, candidate, content)
    db.session.commit()
    flash(_("The value is confirmed."), "success")
    return redirect(url_for("connector.consents"))


# --- referrals -------------------------------------------------------------------------------


@bp.route("/referrals")
@member_required
def referrals():
    totals = ledger.space_totals(db.session)
    return render_template(
        "connector/referrals.html", referrals=ledger.referrals_of(db.session, g.member),
        totals=totals, network=ledger.network_totals(db.session, totals),
        parties=ledger.deal_parties, members=ledger.active_members(db.session),
        open_needs=needs.list_needs(db.session, status="open"),
    )


@bp.route("/referrals", methods=["POST"])
@member_required
def create_referral():
    data = parse(ReferralCreateSchema(), form_values(request.form, integers=("referee_id", "need_id")))
    ledger.create_referral(
        db.session, g.member, accounts.get_member(db.session, data["referee_id"]),
        need=needs.get_need(db.session, data["need_id"]) if data["need_id"] else None,
        client=data["client"], note=data["note"],
    )
    db.session.commit()
    flash(_("Your recommendation is recorded."), "success")
    return redirect(url_for("connector.referrals"))


@bp.route("/referrals/<int:referral_id>/acknowledge", methods=["POST"])
@member_required
def acknowledge(referral_id: int):
    parse(EmptySchema(), form_values(request.form))
    ledger.acknowledge(db.session, ledger.get_referral(db.session, referral_id), g.member)
    db.session.commit()
    return redirect(url_for("connector.referrals"))


@bp.route("/referrals/<int:referral_id>/value", methods=["POST"])
@member_required
def declare_value(referral_id: int):
    data = parse(DealDeclareSchema(), form_values(request.form))
    referral = ledger.declare_value(db.session, ledger.get_referral(db.session, referral_id), g.member,
                                    data["amount"])
    if referral.network_answer is not None:
        connector_network.send_deal_declaration(db.session, referral)
    db.session.commit()
    flash(_("The value is declared; the other party will confirm it."), "success")
    return redirect(url_for("connector.referrals"))


@bp.route("/referrals/<int:referral_id>/confirm", methods=["POST"])
@member_required
def confirm_value(referral_id: int):
    parse(EmptySchema(), form_values(request.form))
    ledger.confirm_value(db.session, ledger.get_referral(db.session, referral_id), g.member)
    db.session.commit()
    flash(_("The value is confirmed."), "success")
    return redirect(url_for("connector.referrals"))


# --- barter ----------------------------------------------------------------------------------


@bp.route("/barter")
@member_required
def my_barter():
    entries = barter.history(db.session, member=g.member)
    return render_template("connector/barter_mine.html", entries=entries,
                           balances=barter.balances(db.session, entries))


@bp.route("/digest", methods=["POST"])
@member_required
def digest_subscription():
    data = parse(DigestSubscriptionSchema(), form_values(request.form, checkboxes=("subscribed",)))
    (digest.opt_in if data["subscribed"] else digest.opt_out)(db.session, g.member)
    db.session.commit()
    flash(_("Your digest preference is saved."), "success")
    return redirect(url_for("connector.needs_board"))


# --- digest opt-out (no login) -----------------------------------------------------------------


@bp.route("/digest/stop/<token>", methods=["GET", "POST"])
@public
def digest_opt_out(token: str):
    member = digest.member_for_opt_out(db.session, current_app.config["SECRET_KEY"], token)
    if request.method == "GET":
        return render_template("connector/opt_out.html", member=member,
                               done=digest.is_opted_out(db.session, member))
    parse(EmptySchema(), form_values(request.form))
    digest.opt_out(db.session, member)
    db.session.commit()
    return render_template("connector/opt_out.html", member=member, done=True)


#: Menu entries, added by ``node.web.register_web``.
NAV_ITEMS = (
    ("connector.needs_board", lazy_gettext("Needs"), False),
    ("connector.referrals", lazy_gettext("Referrals"), False),
    ("connector_admin.queue", lazy_gettext("Connector queue"), True),
    ("connector_admin.engagement", lazy_gettext("Engagement"), True),
    ("connector_admin.ledger", lazy_gettext("Business ledger"), True),
    ("connector_admin.barter", lazy_gettext("Barter"), True),
    ("connector_admin.digest", lazy_gettext("Weekly digest"), True),
)


def init_app(app: Flask) -> None:
    """Blueprints and the money filter of the connector."""
    app.register_blueprint(bp)
    app.register_blueprint(dashboard.bp)
    app.jinja_env.filters["euros"] = euros
    app.jinja_env.filters["duration"] = lambda delta: format_timedelta(delta, granularity="minute")
