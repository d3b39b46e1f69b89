"""Member-facing pages: home, directory, profiles, language switch."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import format_date, lazy_gettext, ngettext
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from schemas.members import DirectoryQuerySchema, LanguageFormSchema, ProfileUpdateSchema

from .. import markup
from ..accounts import accounts
from ..connector import connector
from ..db import db
from ..errors import DomainError
from ..events import proposals
from ..federation import peers
from ..http import context
from ..http.forms import form_values, parse, query, show_again
from ..http.security import member_required, public
from ..members import curation, profiles
from ..members.directory import DirectoryQuery, search_members
from ..members.models import CONTACT_KINDS
from ..members.thesaurus import get_thesaurus
from . import home as home_page

bp = Blueprint("portal", __name__)

PROFILE_FLAGS = ("open_to_help", "open_to_paid", "open_to_barter")
CONTACT_LABELS = {
    "email": lazy_gettext("E-mail"), "phone": lazy_gettext("Phone"),
    "website": lazy_gettext("Website"), "linkedin": lazy_gettext("LinkedIn"),
    "mastodon": lazy_gettext("Mastodon"),
}
#: The profile checklist of the home page: what to add, and why it helps.
CHECKLIST_WORDS = {
    "headline": lazy_gettext("A headline: what you do, for whom"),
    "trade": lazy_gettext("Your trade"),
    "skills": lazy_gettext("At least three skills, so that members find you"),
    "bio": lazy_gettext("A few words about you"),
    "languages": lazy_gettext("The languages you work in"),
    "availability": lazy_gettext("What you are open to (helping, paid missions, barter)"),
    "contact": lazy_gettext("A way to reach you, shown to the members"),
    "photo": lazy_gettext("A photo"),
}
#: Where the member stands for each of their next dates (remote ones may wait for the host).
REGISTRATION_WORDS = {
    "confirmed": lazy_gettext("registered"), "offered": lazy_gettext("a seat is free for you: confirm it"),
    "waitlisted": lazy_gettext("on the waitlist"), "pending": lazy_gettext("waiting for the host's answer"),
}
#: A profile's visibility as its owner reads it (the words of the profile form) ...
VISIBILITY_OWN = {
    "space": lazy_gettext("Only the members of my space"),
    "network_anonymous": lazy_gettext("The network, anonymously: skills only, no name"),
    "network_named": lazy_gettext("The network, with my name and headline"),
}
VISIBILITY_EXPLAINED = {
    "space": lazy_gettext("The members of your space see this page. Nothing about you is sent "
                          "to other spaces."),
    "network_anonymous": lazy_gettext("The members of your space see this page. Partner spaces "
                                      "see your skills, levels and languages, never your name."),
    "network_named": lazy_gettext("The members of your space see this page. Partner spaces see "
                                  "your name, headline, skills, levels and languages."),
}
#: ... and as the other members read it.
VISIBILITY_OTHERS = {
    "space": lazy_gettext("the members of this space only"),
    "network_anonymous": lazy_gettext("this space, and the network anonymously (skills only)"),
    "network_named": lazy_gettext("this space, and the network with the name"),
}


def photo_folder() -> Path:
    return Path(current_app.instance_path) / "photos"


@bp.app_template_filter("bio_markdown")
def bio_markdown(text: str) -> Markup:
    """A member's bio (Markdown) as safe HTML: no raw HTML, no headings, links rel=ugc."""
    return Markup(markup.render_markdown(text, headings=False, link_rel=markup.UGC_REL))  # noqa: S704 - sanitised by nh3


@bp.app_template_filter("format_day")
def format_day(moment) -> str:
    """A day in the reader's language: « 4 mai 2026 », "May 4, 2026"."""
    return format_date(moment, "long") if moment else ""


@bp.app_context_processor
def _profile_words() -> dict:
    return {"contact_labels": CONTACT_LABELS, "contact_href": profiles.contact_href}


@bp.route("/")
@public
def home():
    space = context.space()
    waiting = _waiting_for_manager() if g.member is not None and g.member.is_manager else []
    page = home_page.build(
        db.session, g.member, context.now(),
        event_url=lambda event: url_for("events.event_page", event_id=event.id),
        session_url=lambda row: url_for("regional.session_page", session_id=row.id))
    return render_template("home.html", space=space, member_count=accounts.count_active_members(db.session),
                           waiting=waiting, page=page, checklist_words=CHECKLIST_WORDS,
                           registration_labels=REGISTRATION_WORDS, thesaurus=get_thesaurus())


def _waiting_for_manager() -> list[tuple[str, int, str]]:
    """What waits for the manager: (what, how many, where to act), only what is not zero."""
    session = db.session
    signups = accounts.count_members(session, "pending")
    workshops = proposals.count_open(session)
    peerings = peers.count_awaiting_approval(session)
    requests = connector.count_open(session)
    skills = curation.count_unmapped(session)
    rows = [
        (ngettext("%(num)d sign-up to approve", "%(num)d sign-ups to approve", signups), signups,
         url_for("admin.members")),
        (ngettext("%(num)d workshop proposal to review", "%(num)d workshop proposals to review",
                  workshops), workshops, url_for("events.admin")),
        (ngettext("%(num)d peering request", "%(num)d peering requests", peerings), peerings,
         url_for("peers.index")),
        (ngettext("%(num)d open request in the connector queue",
                  "%(num)d open requests in the connector queue", requests), requests,
         url_for("connector_admin.queue")),
        (ngettext("%(num)d free-text skill to curate", "%(num)d free-text skills to curate", skills),
         skills, url_for("curation.index")),
    ]
    return [row for row in rows if row[1]]


@bp.route("/lang", methods=["POST"])
@public
def set_language():
    data = parse(LanguageFormSchema(), form_values(request.form))
    if data["lang"] in current_app.config["LANGUAGES"]:
        session["lang"] = data["lang"]
    target = data["next"] or url_for("portal.home")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("portal.home")
    return redirect(target)


@bp.route("/directory")
@member_required
@query(DirectoryQuerySchema, checkboxes=PROFILE_FLAGS)
def directory(query: dict):
    data = query
    wanted = DirectoryQuery(
        text=data["q"], trade_id=data["trade"] or None, language=data["language"] or None,
        open_to_help=data["open_to_help"], open_to_paid=data["open_to_paid"],
        open_to_barter=data["open_to_barter"], limit=data["limit"], offset=data["offset"],
    )
    members, total = search_members(db.session, wanted, cards=True)
    return render_template("directory.html", members=members, total=total, query=data,
                           thesaurus=get_thesaurus())


@bp.route("/members/<int:member_id>")
@member_required
def member(member_id: int):
    person = accounts.get_member(db.session, member_id)
    if not person.is_active and not g.member.is_manager:
        abort(404)
    return render_template("member.html", person=person, thesaurus=get_thesaurus(),
                           visibility_own=VISIBILITY_OWN, visibility_others=VISIBILITY_OTHERS,
                           visibility_explained=VISIBILITY_EXPLAINED)


@bp.route("/members/<int:member_id>/photo")
@member_required
def photo(member_id: int):
    person = accounts.get_member(db.session, member_id)
    if not person.photo_filename:
        abort(404)
    return send_from_directory(photo_folder(), person.photo_filename, max_age=3600)


@bp.route("/profile", methods=["GET", "POST"])
@member_required
def edit_profile():
    thesaurus = get_thesaurus()
    if request.method == "GET":
        return render_template("profile_edit.html", person=g.member, thesaurus=thesaurus)
    try:
        data = parse(ProfileUpdateSchema(), _profile_values(request.form))
        profiles.update_profile(db.session, g.member, data)
        upload = request.files.get("photo")
        if upload and upload.filename:
            profiles.set_photo(db.session, g.member, upload.read(), photo_folder(),
                               int(current_app.config["PHOTO_MAX_BYTES"]))
        elif request.form.get("remove_photo"):
            profiles.remove_photo(db.session, g.member, photo_folder())
    except DomainError as exc:
        _contact_errors_by_field(exc)
        return show_again(exc, render_template, "profile_edit.html", person=_as_typed(g.member, request.form),
                          thesaurus=thesaurus)
    db.session.commit()
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("portal.member", member_id=g.member.id))


def _profile_values(form: MultiDict) -> dict:
    """The profile form; its skills come as parallel ``skill_label``/``skill_level`` rows."""
    values = form_values(form, checkboxes=PROFILE_FLAGS, lists=("languages",),
                         blank_is_none=("trade_id", "locale"))
    labels, levels = form.getlist("skill_label"), form.getlist("skill_level")
    for name in ("skill_label", "skill_level", "remove_photo"):
        values.pop(name, None)
    if any(f"contact_{kind}" in form for kind in CONTACT_KINDS):
        values["contacts"] = {}
        for kind in CONTACT_KINDS:
            values["contacts"][kind] = values.pop(f"contact_{kind}", "")
            values["contacts"][f"show_{kind}"] = values.pop(f"show_{kind}", "") in ("1", "on")
    values["skills"] = [
        {"label": label, "level": level or "confirme"}
        for label, level in zip(labels, levels + [""] * (len(labels) - len(levels)), strict=False)
        if label.strip()
    ]
    return values


def _as_typed(member, form: MultiDict) -> SimpleNamespace:
    """The profile as the member just typed it, so a rejected form loses none of their input."""
    typed = _profile_values(form)
    values = {name: getattr(member, name) for name in (
        "id", "display_name", "headline", "bio", "trade_id", "visibility", "locale", "photo_filename")}
    values.update({k: v for k, v in typed.items() if k in values and isinstance(v, str | None)})
    values["skills"] = [SimpleNamespace(label=s["label"], level=s["level"]) for s in typed["skills"]]
    values["language_codes"] = list(typed["languages"])
    for flag in PROFILE_FLAGS:
        values[flag] = typed[flag]
    contacts = typed.get("contacts", {})
    values["contacts"] = [SimpleNamespace(kind=kind, value=contacts[kind], is_shown=contacts[f"show_{kind}"])
                          for kind in CONTACT_KINDS if contacts.get(kind)]
    return SimpleNamespace(**values)


def _contact_errors_by_field(exc: DomainError) -> None:
    """A contact's error under the form field that holds it (``contact_phone``)."""
    nested = (exc.fields or {}).pop("contacts", None)
    if isinstance(nested, dict):
        for kind, messages in nested.items():
            exc.fields[f"contact_{kind}"] = messages
