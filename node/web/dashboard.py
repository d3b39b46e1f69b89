"""The community manager's connector pages: the queue with escalation, the business ledger,
the barter ledger, the engagement dashboard (SVG charts, CSV) and the weekly digest."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from schemas.connector import (
    BarterCreateSchema,
    CandidateProposeSchema,
    DigestPreviewQuerySchema,
    DigestSettingsSchema,
    EmptySchema,
    EngagementSettingsSchema,
    EscalateSchema,
    MonthQuerySchema,
    QueueQuerySchema,
    QueueStateSchema,
    SiblingSchema,
)

from ..accounts import accounts
from ..connector import barter, connector, digest, engagement, ledger, siblings
from ..connector import network as connector_network
from ..db import db
from ..errors import N_
from ..http import context
from ..http.context import now
from ..http.forms import form_values, parse, query
from ..http.security import manager_required
from ..notices.digest import digest_links, render_digest
from . import charts

bp = Blueprint("connector_admin", __name__, url_prefix="/admin/connector")

# --- queue ------------------------------------------------------------------------------------


@bp.route("/queue")
@manager_required
@query(QueueQuerySchema)
def queue(query: dict):
    state = query["state"]
    items = connector.list_queue(db.session, state=state)
    return render_template("connector/queue.html", items=items, state=state,
                           times=connector.response_times(db.session), states=connector.QUEUE_STATES)


@bp.route("/queue/<int:item_id>")
@manager_required
def queue_item(item_id: int):
    item = connector.get_item(db.session, item_id)
    return render_template("connector/queue_item.html", item=item,
                           suggestions=connector.suggestions(db.session, item),
                           network=connector.network_suggestions(db.session, item),
                           states=connector.QUEUE_STATES, members=ledger.active_members(db.session))


@bp.route("/queue/<int:item_id>/state", methods=["POST"])
@manager_required
def set_state(item_id: int):
    data = parse(QueueStateSchema(), form_values(request.form))
    connector.set_state(db.session, connector.get_item(db.session, item_id), data["state"], data["note"])
    db.session.commit()
    return redirect(url_for("connector_admin.queue_item", item_id=item_id))


@bp.route("/queue/<int:item_id>/candidates", methods=["POST"])
@manager_required
def propose(item_id: int):
    data = parse(CandidateProposeSchema(), form_values(request.form, integers=("member_id",)))
    connector.propose_candidate(db.session, connector.get_item(db.session, item_id),
                                accounts.get_member(db.session, data["member_id"]))
    db.session.commit()
    flash(_("The member is asked for consent."), "success")
    return redirect(url_for("connector_admin.queue_item", item_id=item_id))


@bp.route("/queue/<int:item_id>/escalate", methods=["POST"])
@manager_required
def escalate(item_id: int):
    data = parse(EscalateSchema(), form_values(request.form))
    count = connector_network.escalate(db.session, connector.get_item(db.session, item_id),
                                       data["message"], space_name=context.space().name)
    db.session.commit()
    flash(ngettext("The request is sent to %(num)s space of the network.",
                   "The request is sent to %(num)s spaces of the network.", count), "success")
    return redirect(url_for("connector_admin.queue_item", item_id=item_id))


@bp.route("/answers/<int:answer_id>/referral", methods=["POST"])
@manager_required
def answer_referral(answer_id: int):
    parse(EmptySchema(), form_values(request.form))
    answer = ledger.get_network_answer(db.session, answer_id)
    ledger.create_network_referral(db.session, g.member, answer)
    db.session.commit()
    flash(_("The introduction is recorded as a referral; the deal value can now be declared."), "success")
    return redirect(url_for("connector_admin.queue_item", item_id=answer.item_id))


# --- ledgers ------------------------------------------------------------------------------------


@bp.route("/ledger", endpoint="ledger")
@manager_required
def ledger_page():
    totals = ledger.space_totals(db.session)
    return render_template("connector/ledger.html", referrals=ledger.all_referrals(db.session),
                           totals=totals, network=ledger.network_totals(db.session, totals))


@bp.route("/barter", methods=["GET", "POST"], endpoint="barter")
@manager_required
def barter_page():
    if request.method == "POST":
        data = parse(BarterCreateSchema(), form_values(request.form, integers=("member_id", "quantity")))
        member_id = data.pop("member_id")
        barter.record_entry(db.session, g.member,
                            member=accounts.get_member(db.session, member_id) if member_id else None,
                            **data)
        db.session.commit()
        flash(_("The exchange is recorded."), "success")
        return redirect(url_for("connector_admin.barter"))
    entries = barter.history(db.session)
    return render_template("connector/barter.html", entries=entries, balances=barter.balances(db.session, entries),
                           members=ledger.active_members(db.session), today=now().date())


# --- engagement -----------------------------------------------------------------------------------


def _month_arg(query: dict) -> date:
    month = query["month"]
    return date.fromisoformat(f"{month}-01") if month else now().date().replace(day=1)


SEGMENT_LABELS = {"engaged": N_("engaged"), "occasional": N_("occasional"), "tenant": N_("tenant"),
                  "dormant": N_("dormant")}


@bp.route("/engagement", endpoint="engagement")
@manager_required
@query(MonthQuerySchema)
def engagement_page(query: dict):
    board = engagement.dashboard(db.session, _month_arg(query))
    labels = [format_date(m, "MMM yyyy") for m, _counts in board.trend]
    series = [(_(SEGMENT_LABELS[s]), [counts[s] for _m, counts in board.trend]) for s in engagement.SEGMENTS]
    trend_svg = charts.stacked_bars(
        "trend", _("Segments month by month"),
        ngettext("Members per segment over the last month; the table below gives the figures.",
                 "Members per segment over the last %(num)s months; the table below gives the figures.",
                 len(labels)),
        labels, series)
    goal_svg = charts.progress(
        "goal", _("Membership goal"),
        _("%(members)s members of %(goal)s; %(regulars)s regulars of %(core)s.", members=board.active_members,
          goal=board.goal_members, regulars=board.regulars, core=board.goal_regulars),
        [(_("Members"), board.active_members, board.goal_members),
         (_("Regulars"), board.regulars, board.goal_regulars)])
    return render_template("connector/engagement.html", board=board, trend_svg=trend_svg, goal_svg=goal_svg,
                           labels=labels, segment_labels=SEGMENT_LABELS, segments=engagement.SEGMENTS,
                           siblings=siblings.sibling_figures(db.session), peers=siblings.candidates(db.session),
                           invitations=siblings.invitations(db.session), own=connector_network.stats_content(db.session))


@bp.route("/engagement.csv")
@manager_required
@query(MonthQuerySchema)
def engagement_csv(query: dict):
    board = engagement.dashboard(db.session, _month_arg(query), months=1)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["member_id", "display_name", "score", "segment", *engagement.KINDS, "regular"])
    for row in board.rows:
        writer.writerow([row.member_id, row.display_name, row.score, row.segment,
                         *(row.counts.get(k, 0) for k in engagement.KINDS),
                         int(row.checkins >= board.regular_checkins)])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="engagement-{board.month:%Y-%m}.csv"'})


@bp.route("/goal", methods=["POST"])
@manager_required
def goal():
    data = parse(EngagementSettingsSchema(), form_values(
        request.form, integers=("goal_members", "goal_regulars", "regular_checkins")))
    engagement.update_goal(db.session, **data)
    db.session.commit()
    flash(_("The membership goal is saved."), "success")
    return redirect(url_for("connector_admin.engagement"))


@bp.route("/stats", methods=["POST"])
@manager_required
def publish_stats():
    parse(EmptySchema(), form_values(request.form))
    connector_network.publish_stats(db.session)
    db.session.commit()
    flash(_("Our aggregate figures are published to the approved spaces."), "success")
    return redirect(url_for("connector_admin.engagement"))


@bp.route("/siblings", methods=["POST"])
@manager_required
def sibling():
    data = parse(SiblingSchema(), form_values(request.form, checkboxes=("sibling",)))
    connector_network.mark_sibling(db.session, data["node_id"], data["sibling"])
    db.session.commit()
    return redirect(url_for("connector_admin.engagement"))


# --- digest ---------------------------------------------------------------------------------------


@bp.route("/digest", methods=["GET", "POST"], endpoint="digest")
@manager_required
@query(DigestPreviewQuerySchema, integers=("member_id",))
def digest_page(query: dict):
    if request.method == "POST":
        data = parse(DigestSettingsSchema(), form_values(request.form, checkboxes=("digest_enabled",)))
        digest.set_enabled(db.session, data["digest_enabled"])
        db.session.commit()
        flash(_("The digest setting is saved."), "success")
        return redirect(url_for("connector_admin.digest"))
    members = ledger.active_members(db.session)
    chosen = query["member_id"]
    person = accounts.get_member(db.session, chosen) if chosen is not None else (members[0] if members else None)
    preview = None
    if person is not None:
        preview = render_digest(digest.build_digest(db.session, person), space_name=context.space().name,
                                links=digest_links(), locale=person.locale or current_app.config["DEFAULT_LOCALE"])
    return render_template("connector/digest.html", settings=engagement.get_settings(db.session),
                           members=members, person=person, preview=preview)
