"""Portal pages for events: agenda, event pages, registration, workshop proposals, check-ins,
calendar feeds, and the manager's event admin."""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import get_day_names
from babel.lists import format_list
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
from flask_babel import format_date, get_locale, lazy_gettext, ngettext
from flask_babel import gettext as _
from markupsafe import Markup

from schemas.events import (
    AttendanceSchema,
    AttendanceSheetSchema,
    CheckInSchema,
    CheckOutSchema,
    EventCancelSchema,
    EventCreateSchema,
    EventUpdateSchema,
    GuestRegistrationSchema,
    ListingSchema,
    MemberRegistrationSchema,
    MonthQuerySchema,
    OccurrenceUpdateSchema,
    ProposalDecisionSchema,
    ProposalSchema,
    RecurrenceFormSchema,
    VenueCreateSchema,
)

from ..accounts import accounts
from ..db import db
from ..errors import N_, DomainError, Forbidden, RateLimited
from ..events import checkins, dates, events, guests, ical, proposals, recurrence, registrations
from ..events.access import can_manage
from ..events.models import (
    Event,
    EventOccurrence,
    RegistrationStatus,
    WorkshopProposal,
)
from ..federation import rate_limits
from ..http import context
from ..http.confirm import ask_confirmation, confirmed
from ..http.context import base_url, now, offer_ttl, space_tz
from ..http.forms import form_values, parse, query, show_again
from ..http.messages import error_message, page_errors
from ..http.security import manager_required, member_required, public
from ..members.models import Member
from ..notices import event_mail
from ..notices.requests import notify_change, notify_offers
from ..regional import registration as regional_registration

bp = Blueprint("events", __name__, url_prefix="/events")

TYPE_LABELS = {
    "aperitif": lazy_gettext("Apéritif"), "atelier": lazy_gettext("Workshop"),
    "formation": lazy_gettext("Training"), "debat": lazy_gettext("Debate"),
    "degustation": lazy_gettext("Tasting"), "cinq_a_sept": lazy_gettext("5 à 7"),
    "soiree_jeux": lazy_gettext("Game night"), "conference": lazy_gettext("Talk"),
    "journee_coworking": lazy_gettext("Coworking day"), "autre": lazy_gettext("Other"),
}
STATUS_LABELS = {
    "confirmed": lazy_gettext("confirmed"), "waitlisted": lazy_gettext("on the waitlist"),
    "offered": lazy_gettext("seat offered"), "cancelled": lazy_gettext("cancelled"),
    "expired": lazy_gettext("offer expired"), "present": lazy_gettext("present"),
    "no_show": lazy_gettext("no-show"), "draft": lazy_gettext("draft"),
    "published": lazy_gettext("published"), "pending": lazy_gettext("pending"),
    "changes_requested": lazy_gettext("changes requested"), "approved": lazy_gettext("approved"),
    "declined": lazy_gettext("declined"), "morning": lazy_gettext("morning"),
    "afternoon": lazy_gettext("afternoon"), "day": lazy_gettext("full day"),
}
AUDIENCE_LABELS = {
    "space": lazy_gettext("Members of the space"), "network": lazy_gettext("Open to the network"),
    "public": lazy_gettext("Public"),
}
#: The manager's admin lists events that ended up to this long ago.
ADMIN_PAST = timedelta(days=30)
#: The agenda lists this many dates (a series counts each of its dates, shown folded).
AGENDA_LIMIT = 100
#: Lines of the agenda list per page (a series is one line): a phone screenful or three. The
#: dates of all pages are outlined (ids only) to fold the series; a page loads its own.
AGENDA_PAGE = 30
#: An event page shows this many of its next dates.
EVENT_PAGE_DATES = 12
#: Fields of the event form whose blank means "none".
EVENT_OPTIONAL = ("venue_id", "capacity", "registration_opens_at", "registration_closes_at", "rrule",
                  "repeat_interval", "repeat_nth", "repeat_weekday", "repeat_until", "repeat_count")


# --- helpers ----------------------------------------------------------------------------------

def _local_input(moment: datetime | None, tz_name: str) -> str:
    """A UTC moment as a ``datetime-local`` input value in the event's zone."""
    return moment.astimezone(ZoneInfo(tz_name)).strftime("%Y-%m-%dT%H:%M") if moment else ""


def repeat_words(event: Event) -> str:
    """How a series repeats, in words: "every Tuesday", "every 2 weeks on Monday and Thursday",
    "the last Friday of each month"; "" for a rule the recurrence form does not describe."""
    first = event.start_at.astimezone(ZoneInfo(event.timezone))
    repeat = recurrence.from_rule(event.rrule, event.timezone, first.weekday())
    if repeat is None:
        return ""
    names = get_day_names("wide", locale=get_locale())
    days = format_list([names[d] for d in repeat.weekdays], locale=get_locale())
    if repeat.freq == "weekly":
        if repeat.interval == 1:
            return _("every %(days)s", days=days)
        return ngettext("every %(num)s week on %(days)s", "every %(num)s weeks on %(days)s",
                        repeat.interval, days=days)
    nth = {1: _("the first %(day)s", day=days), 2: _("the second %(day)s", day=days),
           3: _("the third %(day)s", day=days), 4: _("the fourth %(day)s", day=days),
           -1: _("the last %(day)s", day=days)}[repeat.nth]
    if repeat.interval == 1:
        return _("%(nth)s of each month", nth=nth)
    return ngettext("%(nth)s, every %(num)s month", "%(nth)s, every %(num)s months", repeat.interval, nth=nth)


@bp.app_template_filter("event_when")
def event_when(moment: datetime, tz_name: str) -> str:
    return event_mail.format_local(moment, tz_name) if moment else ""


@bp.app_template_filter("event_day")
def event_day(moment: datetime, tz_name: str) -> str:
    """``8 décembre``: the local day of a moment, without the year."""
    return format_date(moment.astimezone(ZoneInfo(tz_name)).date(), _("d MMMM")) if moment else ""


@bp.app_template_filter("event_time")
def event_time(moment: datetime, tz_name: str) -> str:
    return moment.astimezone(ZoneInfo(tz_name)).strftime("%H:%M") if moment else ""


@bp.app_template_filter("markdown")
def markdown_filter(text: str) -> Markup:
    return Markup(events.render_markdown(text))  # noqa: S704 - sanitised by nh3


def translated(labels: dict) -> dict:
    """``labels`` in the page's language, each translated once: for a page that shows one per
    row (shown as the lazy strings are, unescaped: they are our own catalog's words)."""
    return {key: Markup(str(label)) for key, label in labels.items()}  # noqa: S704 - our own catalog


@bp.app_context_processor
def _labels() -> dict:
    return {"event_type_labels": TYPE_LABELS, "event_status_labels": STATUS_LABELS,
            "event_audience_labels": AUDIENCE_LABELS, "local_input": _local_input,
            "repeat_words": repeat_words, "common_zones": COMMON_ZONES, "all_zones": all_zones,
            "weekday_names": weekday_names}


def weekday_names() -> list[str]:
    """Monday to Sunday in the page's language (``lundi``...)."""
    names = get_day_names("wide", locale=get_locale())
    return [names[day] for day in range(7)]


# --- agenda and event pages -------------------------------------------------------------------

@bp.route("")
@public
@query(MonthQuerySchema)
def agenda(query: dict):
    tz = space_tz()
    today = now().astimezone(tz).date()
    if query["view"] == "month":
        year, month = map(int, (query["month"] or today.strftime("%Y-%m")).split("-"))
        grid = events.month_agenda(db.session, g.member, year, month, tz, query["type"])
        return render_template("events/month.html", grid=grid, query=query, today=today)
    start = datetime.combine(today, time(0), tzinfo=tz)
    outline = events.outline_occurrences(db.session, g.member, start=start, end=start + timedelta(days=120),
                                         event_type=query["type"], limit=AGENDA_LIMIT)
    folded = dates.fold_series(outline)
    first = (query["page"] - 1) * AGENDA_PAGE
    lines = dates.agenda_lines(db.session, folded[first:first + AGENDA_PAGE], g.member)
    return render_template("events/agenda.html", lines=lines, query=query,
                           more=len(folded) > first + AGENDA_PAGE, event_type_labels=translated(TYPE_LABELS))


@bp.route("/<int:event_id>")
@public
def event_page(event_id: int):
    return _event_page(events.get_event(db.session, event_id, g.member))


def _event_page(event: Event, **shown):
    """An event with its next dates, their seats, my registration and who is going (listed
    names for members; everyone else counted)."""
    upcoming = [o for o in event.occurrences if o.end_at >= now()][:EVENT_PAGE_DATES] or event.occurrences[-1:]
    views = dates.states(db.session, upcoming, g.member)
    listed = dates.listed_attendees(db.session, [o.id for o in upcoming]) if g.member is not None else {}
    shown.setdefault("guest_values", {})
    return render_template("events/event.html", event=event, views=views, listed=listed,
                           can_manage=can_manage(event, g.member), now=now(), **shown)


def _ics(body: bytes, filename: str) -> Response:
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "private, max-age=300"})


@bp.route("/<int:event_id>.ics")
@public
def event_ics(event_id: int):
    event = events.get_event(db.session, event_id, g.member)
    return _ics(ical.event_ics(event, base_url()), f"event-{event.id}.ics")


@bp.route("/agenda.ics")
@public
def agenda_ics():
    events_ = events.public_events(db.session)
    return _ics(ical.agenda_ics(events_, context.space().name, base_url()), "agenda.ics")


@bp.route("/feed/<token>.ics")
@public
def personal_feed(token: str):
    member = ical.member_for_feed_token(db.session, token)
    rows = registrations.member_registrations(db.session, member, since=now() - timedelta(days=90))
    # Other areas add their entries (``coworknet.personal_calendar``: fn(session, member, base_url)).
    extra = [c for provider in current_app.extensions.get("coworknet.personal_calendar", [])
             for c in provider(db.session, member, base_url())]
    return _ics(ical.personal_ics(rows, _("My events"), base_url(), extra), "my-events.ics")


# --- registration -----------------------------------------------------------------------------

def _back(occurrence: EventOccurrence):
    return redirect(url_for("events.event_page", event_id=occurrence.event_id) + f"#occurrence-{occurrence.id}")


@bp.route("/occurrences/<int:occurrence_id>/register", methods=["POST"])
@member_required
def register(occurrence_id: int):
    occurrence = events.get_occurrence(db.session, occurrence_id, g.member)
    data = parse(MemberRegistrationSchema(), form_values(request.form, checkboxes=("is_listed",)))
    result = registrations.register(db.session, occurrence.id, registrations.Registrant.local(g.member),
                                    now(), viewer=g.member, is_listed=data["is_listed"])
    db.session.commit()
    if result.registration.status == RegistrationStatus.CONFIRMED:
        flash(_("You are registered."), "success")
    else:
        flash(_("The event is full: you are on the waitlist (position %(n)s).",
                n=registrations.waitlist_position(db.session, result.registration)), "success")
    return _back(occurrence)


@bp.route("/occurrences/<int:occurrence_id>/listing", methods=["POST"])
@member_required
def listing(occurrence_id: int):
    occurrence = events.get_occurrence(db.session, occurrence_id, g.member)
    mine = registrations.require_member_registration(db.session, occurrence.id, g.member)
    data = parse(ListingSchema(), form_values(request.form, checkboxes=("is_listed",)))
    registrations.set_listing(db.session, mine, data["is_listed"])
    db.session.commit()
    flash(_("Your name is shown to the other members.") if data["is_listed"]
          else _("Your name is no longer shown; you are counted."), "success")
    return _back(occurrence)


# --- registration without an account (public events) -----------------------------------------

def _guest_limits(email: str) -> None:
    """At most EVENT_GUEST_REQUESTS_PER_HOUR requests an hour from one address, and three
    confirmation mails an hour to one e-mail address (nobody floods a stranger's mailbox)."""
    per_hour = int(current_app.config["EVENT_GUEST_REQUESTS_PER_HOUR"])
    hour = rate_limits.Limit(per_hour, 3_600_000)
    source = rate_limits.address_group(request.remote_addr or "unknown")
    mailbox = hashlib.sha256(email.encode("utf-8")).hexdigest()[:32]
    if (rate_limits.hit(db.session, f"events-guest:{source}", hour) > per_hour
            or rate_limits.hit(db.session, f"events-guest-mail:{mailbox}", rate_limits.Limit(3, 3_600_000)) > 3):
        raise RateLimited(N_("Too many registrations from here; please try again in an hour."))


@bp.route("/occurrences/<int:occurrence_id>/guest", methods=["POST"])
@public
def guest_register(occurrence_id: int):
    values = form_values(request.form)
    try:
        data = parse(GuestRegistrationSchema(), values)
        _guest_limits(data["email"])
        occurrence, token = guests.request_registration(
            db.session, current_app.config["SECRET_KEY"], occurrence_id, data["name"], data["email"], now(),
            timedelta(hours=float(current_app.config["EVENT_GUEST_CONFIRM_HOURS"])))
    except DomainError as exc:
        event = guests.open_occurrence(db.session, occurrence_id, now()).event
        return show_again(exc, _event_page, event, guest_values=values, guest_for=occurrence_id)
    db.session.commit()
    event = occurrence.event
    event_mail.send_guest_confirmation(
        context.mail_sender(), to=data["email"], name=data["name"], title=event.title,
        when=event_mail.format_local(occurrence.start_at, event.timezone),
        link=url_for("events.guest_confirm", token=token, _external=True),
        hours=int(float(current_app.config["EVENT_GUEST_CONFIRM_HOURS"])), locale=str(get_locale()))
    flash(_("Almost done: we sent you an e-mail with a link to confirm your registration. "
            "No seat is held until you confirm."), "success")
    return _back(occurrence)


@bp.route("/guest/confirm/<token>", methods=["GET", "POST"])
@public
def guest_confirm(token: str):
    secret = current_app.config["SECRET_KEY"]
    if request.method == "GET":  # a mail scanner opening the link must not register anyone
        asked = guests.read_request(secret, token, now())
        occurrence = guests.open_occurrence(db.session, asked.occurrence_id, now())
        return render_template("events/guest_confirm.html", asked=asked, occurrence=occurrence,
                               event=occurrence.event, token=token)
    result = guests.confirm_registration(db.session, secret, token, now())
    db.session.commit()
    registration = result.registration
    if result.created:
        event_mail.send_guest_registered(context.mail_sender(), registration, base_url=base_url(),
                                         locale=str(get_locale()))
    return redirect(event_mail.guest_link(base_url(), registration))


@bp.route("/guest/<token>")
@public
def guest_registration(token: str):
    registration = guests.registration_for(db.session, current_app.config["SECRET_KEY"], token, now())
    state = dates.states(db.session, [registration.occurrence], None)[0]
    return render_template("events/guest.html", registration=registration, event=registration.event,
                           occurrence=registration.occurrence, state=state, token=token,
                           position=registrations.waitlist_position(db.session, registration), now=now())


@bp.route("/guest/<token>/cancel", methods=["POST"])
@public
def guest_cancel(token: str):
    registration = guests.registration_for(db.session, current_app.config["SECRET_KEY"], token, now())
    if not confirmed():
        occurrence = registration.occurrence
        return ask_confirmation(
            action=_("Cancel my registration"), back=url_for("events.guest_registration", token=token),
            question=_("Cancel your registration to “%(title)s” on %(when)s? Your seat may go to the "
                       "next person on the waitlist.", title=occurrence.event.title,
                       when=event_when(occurrence.start_at, occurrence.event.timezone)))
    offers = registrations.cancel_registration(db.session, registration, now(), offer_ttl())
    db.session.commit()
    notify_offers(offers)
    flash(_("Your registration is cancelled."), "success")
    return redirect(url_for("events.guest_registration", token=token))


@bp.route("/guest/<token>/confirm-seat", methods=["POST"])
@public
def guest_confirm_seat(token: str):
    registration = guests.registration_for(db.session, current_app.config["SECRET_KEY"], token, now())
    registrations.confirm_offer(db.session, registration, now())
    db.session.commit()
    flash(_("Your seat is confirmed."), "success")
    return redirect(url_for("events.guest_registration", token=token))


@bp.route("/occurrences/<int:occurrence_id>/cancel", methods=["POST"])
@member_required
def cancel(occurrence_id: int):
    occurrence = events.get_occurrence(db.session, occurrence_id, g.member)
    mine = registrations.require_member_registration(db.session, occurrence.id, g.member)
    if not confirmed():
        return ask_confirmation(
            action=_("Cancel my registration"), back=url_for("events.event_page", event_id=occurrence.event_id),
            question=_("Cancel your registration to “%(title)s” on %(when)s? Your seat may go to the "
                       "next person on the waitlist.", title=occurrence.event.title,
                       when=event_when(occurrence.start_at, occurrence.event.timezone)))
    offers = registrations.cancel_registration(db.session, mine, now(), offer_ttl())
    db.session.commit()
    notify_offers(offers)
    flash(_("Your registration is cancelled."), "success")
    return _back(occurrence)


@bp.route("/occurrences/<int:occurrence_id>/confirm", methods=["POST"])
@member_required
def confirm(occurrence_id: int):
    occurrence = events.get_occurrence(db.session, occurrence_id, g.member)
    mine = registrations.require_member_registration(db.session, occurrence.id, g.member)
    registrations.confirm_offer(db.session, mine, now())
    db.session.commit()
    flash(_("Your seat is confirmed."), "success")
    return _back(occurrence)


@bp.route("/mine")
@member_required
def mine():
    rows = registrations.member_registrations(db.session, g.member, since=now())
    positions = {r.id: registrations.waitlist_position(db.session, r) for r in rows}
    elsewhere = [r for r in regional_registration.all_mine(db.session, g.member)
                 if r.is_remote and r.starts_at >= now() and r.status not in ("cancelled", "refused")]
    return render_template("events/mine.html", rows=rows, positions=positions, elsewhere=elsewhere,
                           my_proposals=proposals.list_proposals(db.session, member=g.member),
                           has_feed=ical.has_feed_token(db.session, g.member), feed_url=None)


@bp.route("/mine/feed", methods=["POST"])
@member_required
def regenerate_feed():
    token = ical.regenerate_feed_token(db.session, g.member)
    db.session.commit()
    rows = registrations.member_registrations(db.session, g.member, since=now())
    positions = {r.id: registrations.waitlist_position(db.session, r) for r in rows}
    return render_template("events/mine.html", rows=rows, positions=positions,
                           my_proposals=proposals.list_proposals(db.session, member=g.member), has_feed=True,
                           feed_url=url_for("events.personal_feed", token=token, _external=True))


@bp.route("/mine/feed/revoke", methods=["POST"])
@member_required
def revoke_feed():
    if not confirmed():
        return ask_confirmation(
            action=_("Switch my calendar link off"), back=url_for("events.mine"),
            question=_("Calendars subscribed to your link stop receiving your events. A new link "
                       "can be made later, but it has to be added again everywhere."))
    ical.revoke_feed_token(db.session, g.member)
    db.session.commit()
    flash(_("Your calendar link is switched off."), "success")
    return redirect(url_for("events.mine"))


# --- workshop proposals -----------------------------------------------------------------------

@bp.route("/propose", methods=["GET", "POST"])
@member_required
def propose():
    if request.method == "GET":
        return render_template("events/propose.html", values={}, proposal=None)
    values = form_values(request.form, blank_is_none=("capacity",))
    try:
        proposal = proposals.propose_workshop(db.session, g.member, parse(ProposalSchema(), values), now())
    except DomainError as exc:
        return show_again(exc, render_template, "events/propose.html", values=values, proposal=None)
    db.session.commit()
    flash(_("Thank you! The community manager will look at your proposal."), "success")
    return redirect(url_for("events.proposal_page", proposal_id=proposal.id))


@bp.route("/proposals/<int:proposal_id>", methods=["GET", "POST"])
@member_required
def proposal_page(proposal_id: int):
    proposal = proposals.get_proposal(db.session, proposal_id, g.member)
    if request.method == "GET":
        return render_template("events/propose.html", proposal=proposal, values=None)
    values = form_values(request.form, blank_is_none=("capacity",))
    try:
        proposals.update_proposal(db.session, g.member, proposal, parse(ProposalSchema(), values), now())
    except DomainError as exc:
        return show_again(exc, render_template, "events/propose.html", values=values, proposal=proposal)
    db.session.commit()
    flash(_("Your proposal is sent again."), "success")
    return redirect(url_for("events.proposal_page", proposal_id=proposal.id))


# --- check-ins --------------------------------------------------------------------------------

@bp.route("/here")
@member_required
def here():
    rows = checkins.who_is_here(db.session, now(), space_tz(), include_left=True)
    people = accounts.members_by_id(db.session, (r.member_id for r in rows))
    mine = checkins.today_row(db.session, g.member.id, now(), space_tz())
    members = checkins.active_members(db.session) if g.member.is_manager else []
    return render_template("events/here.html", rows=rows, people=people, mine=mine, members=members)


def _checkin_target(member_id: int | None) -> Member:
    if member_id is None or member_id == g.member.id:
        return g.member
    if not g.member.is_manager:
        raise Forbidden(N_("Only a community manager can do this."))
    return accounts.get_member(db.session, member_id)


@bp.route("/here/checkin", methods=["POST"])
@member_required
def check_in():
    data = parse(CheckInSchema(), form_values(request.form, blank_is_none=("member_id", "period")))
    checkins.check_in(db.session, _checkin_target(data["member_id"]), now(), space_tz(),
                      recorded_by=g.member, period=data["period"])
    db.session.commit()
    flash(_("Checked in. Welcome!"), "success")
    return redirect(url_for("events.here"))


@bp.route("/here/checkout", methods=["POST"])
@member_required
def check_out():
    data = parse(CheckOutSchema(), form_values(request.form, blank_is_none=("member_id",)))
    checkins.check_out(db.session, _checkin_target(data["member_id"]), now(), space_tz(), recorded_by=g.member)
    db.session.commit()
    flash(_("Checked out. See you soon!"), "success")
    return redirect(url_for("events.here"))


# --- manager's admin --------------------------------------------------------------------------

@bp.route("/admin")
@manager_required
def admin():
    return render_template("events/admin/index.html", events=events.list_events_since(db.session, now() - ADMIN_PAST),
                           queue=proposals.list_proposals(db.session, open_only=True),
                           venues=events.list_venues(db.session, active_only=False))


def _event_form(event: Event | None, values: dict | None = None, **extra):
    return render_template("events/admin/form.html", event=event, values=values,
                           venues=events.list_venues(db.session),
                           members=checkins.active_members(db.session), repeat=repeat_values(event) if event else {"repeat": "none"},
                           **extra)


EVENT_LISTS = ("host_ids", "rotation_venue_ids", "repeat_days")
#: Common zones first in the time zone select (the spaces' own), then every zone.
COMMON_ZONES = ("Europe/Paris", "Europe/Brussels", "Europe/Luxembourg", "Europe/Zurich", "Europe/Monaco",
                "America/Montreal", "Indian/Reunion", "America/Martinique", "America/Guadeloupe",
                "America/Cayenne", "Indian/Mayotte", "Pacific/Noumea", "Pacific/Tahiti",
                "Africa/Casablanca", "Africa/Dakar", "Europe/London", "UTC")


def all_zones() -> list[str]:
    """Every IANA zone the system knows, in alphabetical order (cached: read once)."""
    if not _ZONES:
        _ZONES.extend(sorted(available_timezones()))
    return _ZONES


_ZONES: list[str] = []


def _with_rule(values: dict) -> dict:
    """The event fields of a submitted form, with the RRULE the recurrence fields describe
    (a form without them, or "custom", keeps ``rrule`` as typed)."""
    data = {k: v for k, v in values.items() if not k.startswith("repeat")}
    if "repeat" not in values:
        return data
    form = parse(RecurrenceFormSchema(), {k: v for k, v in values.items() if k.startswith("repeat")})
    if form["repeat"] == "none":
        data["rrule"] = None
    elif form["repeat"] in ("weekly", "monthly"):
        weekdays = form["repeat_days"] if form["repeat"] == "weekly" else [form["repeat_weekday"]]
        repeat = recurrence.Repeat(
            form["repeat"], tuple(weekdays), form["repeat_interval"] or 1, nth=form["repeat_nth"],
            until=form["repeat_until"] if form["repeat_end"] == "until" else None,
            count=form["repeat_count"] if form["repeat_end"] == "count" else None)
        data["rrule"] = recurrence.to_rule(repeat, values.get("timezone") or "Europe/Paris")
    return data


def repeat_values(event: Event) -> dict:
    """The recurrence fields of the form for an existing event."""
    if not event.rrule:
        return {"repeat": "none"}
    first = event.start_at.astimezone(ZoneInfo(event.timezone))
    repeat = recurrence.from_rule(event.rrule, event.timezone, first.weekday())
    if repeat is None:
        return {"repeat": "custom"}
    return {"repeat": repeat.freq, "repeat_interval": repeat.interval, "repeat_days": list(repeat.weekdays),
            "repeat_nth": repeat.nth, "repeat_weekday": repeat.weekdays[0],
            "repeat_end": "until" if repeat.until else "count" if repeat.count else "never",
            "repeat_until": repeat.until.isoformat() if repeat.until else "", "repeat_count": repeat.count}


@bp.route("/admin/new", methods=["GET", "POST"])
@manager_required
def admin_new():
    if request.method == "GET":
        return _event_form(None)
    values = form_values(request.form, lists=EVENT_LISTS, blank_is_none=EVENT_OPTIONAL)
    try:
        event = events.create_event(db.session, g.member, parse(EventCreateSchema(), _with_rule(values)), now())
    except DomainError as exc:
        return show_again(exc, _event_form, None, values)
    db.session.commit()
    flash(_("The event is saved."), "success")
    return redirect(url_for("events.event_page", event_id=event.id))


@bp.route("/admin/<int:event_id>/edit", methods=["GET", "POST"])
@member_required
def admin_edit(event_id: int):
    event = events.get_event(db.session, event_id, g.member)
    events.require_manage(event, g.member)  # its hosts or a manager
    if request.method == "GET":
        return _event_form(event)
    values = form_values(request.form, lists=EVENT_LISTS, blank_is_none=EVENT_OPTIONAL)
    try:
        data = parse(EventUpdateSchema(), _with_rule(values))
        if data.get("start_at") and data["start_at"].tzinfo is None and event.start_at < now():
            data.pop("start_at")  # an unchanged start in the past is not a move into the past
        change = events.update_event(db.session, g.member, event, data, now())
    except DomainError as exc:
        return show_again(exc, _event_form, event, values)
    db.session.commit()
    notify_change(change)
    flash(_("The event is saved."), "success")
    return redirect(url_for("events.event_page", event_id=event.id))


@bp.route("/admin/<int:event_id>/cancel", methods=["POST"])
@member_required
def admin_cancel(event_id: int):
    event = events.get_event(db.session, event_id, g.member)
    events.require_manage(event, g.member)
    if not confirmed():
        return ask_confirmation(
            title=_("Cancel the event"), action=_("Cancel the event"),
            question=_("Cancel “%(title)s”? Everyone registered is told by mail, with your word "
                       "if you write one. This cannot be undone.", title=event.title),
            reason=_("Your word to the people registered (optional)"),
            back=url_for("events.event_page", event_id=event.id))
    reason = parse(EventCancelSchema(), form_values(request.form))["reason"]
    told = events.cancel_event(db.session, g.member, event, now(), reason=reason)
    db.session.commit()
    event_mail.notify_cancelled(db.session, context.mail_sender(), told, base_url=base_url(),
                                default_locale=current_app.config["DEFAULT_LOCALE"], reason=reason)
    flash(_("The event is cancelled; registered people are told."), "success")
    return redirect(url_for("events.event_page", event_id=event.id))


def _managed_occurrence(occurrence_id: int) -> EventOccurrence:
    occurrence = events.get_occurrence(db.session, occurrence_id, g.member)
    events.require_manage(occurrence.event, g.member)
    return occurrence


@bp.route("/admin/occurrences/<int:occurrence_id>")
@member_required
def admin_occurrence(occurrence_id: int, values: dict | None = None, errors: dict | None = None):
    occurrence = _managed_occurrence(occurrence_id)
    rows = registrations.attendees(db.session, occurrence.id)
    positions = dates.waitlist_positions(db.session, rows)
    # "Tick everyone" (a link, no JavaScript): every confirmed person shown ticked, to untick
    # the few who did not come before saving.
    tick_all = request.args.get("all") == "1"
    return render_template("events/admin/occurrence.html", occurrence=occurrence, event=occurrence.event,
                           rows=rows, positions=positions, venues=events.list_venues(db.session),
                           values=values, errors=errors, tick_all=tick_all)


@bp.route("/admin/occurrences/<int:occurrence_id>/attendance", methods=["POST"])
@member_required
def admin_attendance_sheet(occurrence_id: int):
    occurrence = _managed_occurrence(occurrence_id)
    data = parse(AttendanceSheetSchema(), form_values(request.form, lists=("present_ids",)))
    present = registrations.record_attendance(db.session, occurrence.id, data["present_ids"])
    db.session.commit()
    flash(ngettext("Attendance saved: %(num)s person present.", "Attendance saved: %(num)s people present.",
                   present), "success")
    return redirect(url_for("events.admin_occurrence", occurrence_id=occurrence.id))


@bp.route("/admin/occurrences/<int:occurrence_id>", methods=["POST"])
@manager_required
def admin_occurrence_update(occurrence_id: int):
    occurrence = _managed_occurrence(occurrence_id)
    values = form_values(request.form, blank_is_none=("venue_id", "capacity"), checkboxes=("is_cancelled",))
    if values["is_cancelled"] and not occurrence.is_cancelled and not confirmed():
        return ask_confirmation(
            action=_("Cancel this date"), back=url_for("events.admin_occurrence", occurrence_id=occurrence.id),
            question=_("Cancel the date of %(when)s? The people registered to it are told.",
                       when=event_when(occurrence.start_at, occurrence.event.timezone)))
    try:
        change = events.update_occurrence(db.session, occurrence, parse(OccurrenceUpdateSchema(), values), now())
    except DomainError as exc:
        db.session.rollback()
        flash(error_message(exc), "error")
        return admin_occurrence(occurrence_id, values, page_errors(exc)), exc.status
    db.session.commit()
    notify_change(change)
    flash(_("This date is saved."), "success")
    return redirect(url_for("events.admin_occurrence", occurrence_id=occurrence.id))


@bp.route("/admin/occurrences/<int:occurrence_id>/attendees.csv")
@member_required
def admin_attendees_csv(occurrence_id: int):
    occurrence = _managed_occurrence(occurrence_id)
    rows = registrations.attendees(db.session, occurrence.id)
    labels = {k: str(v) for k, v in STATUS_LABELS.items()}
    headers = [_("Name"), _("Email"), _("Status"), _("Attendance"), _("Node"), _("Registered at")]
    body = registrations.attendees_csv(rows, ZoneInfo(occurrence.event.timezone), labels, headers)
    stamp = occurrence.start_at.astimezone(ZoneInfo(occurrence.event.timezone)).strftime("%Y-%m-%d")
    return Response(body, mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="attendees-{occurrence.event_id}-{stamp}.csv"'})


@bp.route("/admin/registrations/<int:registration_id>/attendance", methods=["POST"])
@member_required
def admin_attendance(registration_id: int):
    registration = registrations.get_registration(db.session, registration_id)
    occurrence = _managed_occurrence(registration.occurrence_id)
    data = parse(AttendanceSchema(), form_values(request.form, blank_is_none=("attendance",)))
    registrations.mark_attendance(db.session, registration, data["attendance"])
    db.session.commit()
    return redirect(url_for("events.admin_occurrence", occurrence_id=occurrence.id))


def _proposal_form(proposal: WorkshopProposal, author: Member | None, values: dict | None = None, **shown):
    return render_template("events/admin/proposal.html", proposal=proposal, author=author, values=values,
                           venues=events.list_venues(db.session), **shown)


@bp.route("/admin/proposals/<int:proposal_id>", methods=["GET", "POST"])
@manager_required
def admin_proposal(proposal_id: int):
    proposal = proposals.get_proposal(db.session, proposal_id, g.member)
    author = db.session.get(Member, proposal.member_id)
    if request.method == "GET":
        return _proposal_form(proposal, author)
    values = form_values(request.form, blank_is_none=("venue_id",))
    try:
        data = parse(ProposalDecisionSchema(), values)
        proposals.decide_proposal(db.session, g.member, proposal, data["decision"], data["comment"], now(),
                                  audience=data["audience"], venue_id=data["venue_id"])
    except DomainError as exc:
        return show_again(exc, _proposal_form, proposal, author, values)
    db.session.commit()  # the member is notified (workshop.decided), with the comment
    flash(_("Your decision is recorded and the member is told."), "success")
    return redirect(url_for("events.admin"))


@bp.route("/admin/venues", methods=["POST"])
@manager_required
def admin_venue_create():
    values = form_values(request.form, blank_is_none=("capacity",))
    events.create_venue(db.session, parse(VenueCreateSchema(), values))  # refused: the admin page, as typed
    db.session.commit()
    flash(_("The venue is added."), "success")
    return redirect(url_for("events.admin"))


#: Menu entries, added by ``node.web.register_web`` with ``add_nav_item``.
NAV_ITEMS = (
    ("events.agenda", lazy_gettext("Events"), False),
    ("events.here", lazy_gettext("Who is here"), False),
    ("events.admin", lazy_gettext("Events"), True),
)
