"""The manager's "Skills to curate" page: free-text skills no concept matches, with how many
members typed each; map one to a concept (for all of them), propose a new concept, undo a
mapping, withdraw a proposal, download the proposals for the thesaurus upstream."""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, lazy_gettext, ngettext
from flask_babel import gettext as _

from schemas.members import ConceptProposalInSchema, SkillMappingInSchema, SkillTagSchema

from ..db import db
from ..errors import DomainError
from ..http.confirm import ask_confirmation, confirmed
from ..http.context import now
from ..http.forms import form_values, parse, show_again
from ..http.security import manager_required
from ..members import curation
from ..members.thesaurus import get_thesaurus
from .nav import add_nav_item

bp = Blueprint("curation", __name__, url_prefix="/admin/skills")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "curation.index", lazy_gettext("Skills to curate"), admin=True,
                 count=lambda _member: curation.unmapped_select())


def _page(typed: dict | None = None, **extra):
    """The page; ``typed`` is a rejected form as it was typed (shown again in its row)."""
    session = db.session
    return render_template(
        "admin/skills.html", unmapped=curation.unmapped_skills(session),
        mappings=curation.list_mappings(session), proposals=curation.list_proposals(session),
        thesaurus=get_thesaurus(), typed=typed or {}, **extra)


@bp.route("")
@manager_required
def index():
    return _page()


def _concept_id(typed: str) -> str:
    """The concept the manager picked: its label in French or English as the picker offers it,
    an alias, or its id. Unknown text is passed on as is, and refused by the operation."""
    thesaurus = get_thesaurus()
    if thesaurus.concept(typed) is not None:
        return typed
    concept = thesaurus.resolve(typed)
    return concept.id if concept is not None else typed


@bp.route("/mappings", methods=["POST"])
@manager_required
def map_skill():
    values = form_values(request.form)
    try:
        data = parse(SkillMappingInSchema(), values)
        result = curation.map_tag(db.session, g.member, data["tag"], _concept_id(data["concept_id"]),
                                  now=now())
    except DomainError as exc:
        return show_again(exc, _page, typed={"form": "map", **values})
    db.session.commit()
    flash(ngettext("“%(tag)s” is now “%(concept)s” for %(num)d member.",
                   "“%(tag)s” is now “%(concept)s” for %(num)d members.",
                   len(result.member_ids), tag=result.tag,
                   concept=get_thesaurus().label(result.concept_id, str(get_locale() or "fr"))), "success")
    return redirect(url_for("curation.index"))


@bp.route("/mappings/undo", methods=["POST"])
@manager_required
def unmap_skill():
    data = parse(SkillTagSchema(), form_values(request.form))
    if not confirmed():
        return ask_confirmation(action=_("Undo the mapping"), back=url_for("curation.index"),
                                question=_("Undo the mapping of “%(tag)s”? The members holding it get "
                                           "it back as free text, unseen by the network search.",
                                           tag=data["tag"]))
    result = curation.unmap_tag(db.session, data["tag"])
    db.session.commit()
    flash(ngettext("The mapping of “%(tag)s” is undone: %(num)d member holds it as free text again.",
                   "The mapping of “%(tag)s” is undone: %(num)d members hold it as free text again.",
                   len(result.member_ids), tag=result.tag), "success")
    return redirect(url_for("curation.index"))


@bp.route("/proposals", methods=["POST"])
@manager_required
def propose():
    values = form_values(request.form)
    try:
        data = parse(ConceptProposalInSchema(), values)
        result = curation.propose_concept(db.session, g.member, data["tag"], data["label_fr"],
                                          data["label_en"], data["group"], now=now())
    except DomainError as exc:
        return show_again(exc, _page, typed={"form": "propose", **values})
    db.session.commit()
    message = (_("The concept “%(label)s” is proposed; download the proposals to send them to "
                 "the thesaurus.", label=result.proposal.label_fr) if result.created
               else _("The proposal “%(label)s” is corrected.", label=result.proposal.label_fr))
    flash(message, "success")
    return redirect(url_for("curation.index"))


@bp.route("/proposals/withdraw", methods=["POST"])
@manager_required
def withdraw():
    data = parse(SkillTagSchema(), form_values(request.form))
    if not confirmed():
        return ask_confirmation(action=_("Withdraw the proposal"), back=url_for("curation.index"),
                                question=_("Withdraw the proposal for “%(tag)s”? Its labels are deleted.",
                                           tag=data["tag"]))
    tag = curation.withdraw_proposal(db.session, data["tag"])
    db.session.commit()
    flash(_("The proposal for “%(tag)s” is withdrawn.", tag=tag), "success")
    return redirect(url_for("curation.index"))


@bp.route("/proposals.json")
@manager_required
def proposals_json():
    body = json.dumps(curation.proposals_document(db.session), ensure_ascii=False, indent=1)
    return Response(body + "\n", mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="concept-proposals.json"'})

