"""Member profiles: edit, skills normalised against the thesaurus, photo, search keys."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..domain_events import MembersChanged
from ..errors import N_, ValidationError
from ..uow import record
from .models import CONTACT_KINDS, Member, MemberContact, MemberLanguage, MemberSkill
from .skillmap import with_local_mappings
from .textnorm import search_keys
from .thesaurus import get_thesaurus

logger = logging.getLogger(__name__)

PROFILE_FIELDS = (
    "display_name", "headline", "bio", "trade_id", "open_to_help", "open_to_paid",
    "open_to_barter", "visibility", "locale",
)
PHOTO_TYPES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}


def refresh_search_keys(member: Member) -> None:
    """Recompute the folded, stemmed words the space directory searches in."""
    thesaurus = get_thesaurus()
    parts = [member.display_name, member.headline, member.bio]
    if member.trade_id and (trade := thesaurus.trade(member.trade_id)):
        parts += [trade.fr, trade.en]
    for skill in member.skills:
        parts.append(skill.label)
        if skill.concept_id and (concept := thesaurus.concept(skill.concept_id)):
            parts += [concept.fr, concept.en]
    keys = sorted(search_keys(" ".join(p for p in parts if p)))
    member.search_keys = " " + " ".join(keys) + " "


def _check_references(data: dict) -> None:
    thesaurus = get_thesaurus()
    errors: dict[str, list[str]] = {}
    if data.get("trade_id") and thesaurus.trade(data["trade_id"]) is None:
        errors["trade_id"] = [N_("Unknown trade.")]
    unknown = [c for c in data.get("languages", []) if thesaurus.language(c) is None]
    if unknown:
        errors["languages"] = [N_("Unknown language code.")]
    if errors:
        raise ValidationError(N_("Some fields are not valid."), fields=errors)


def _normalised_skills(entries: list[dict], trade_id: str | None) -> dict[str, MemberSkill]:
    """Skills as thesaurus concepts; the member's trade picks the sense of a multi-sense word
    ("tournage" of a ceramicist is pottery throwing). Two spellings of one skill become one
    (the highest level kept); a phrase that only contains a concept the member also listed
    ("cuisine provençale" next to "cuisine") stays a skill of its own, as typed."""
    thesaurus = get_thesaurus()
    refs = [(entry, thesaurus.normalize_skill(entry["label"], trade_id)) for entry in entries]
    named = {ref.concept_id for _entry, ref in refs if ref.concept_id and not ref.partial}
    result: dict[str, MemberSkill] = {}
    for entry, ref in refs:
        if not ref.tag and not ref.concept_id:
            continue
        concept_id = ref.concept_id
        if ref.partial and concept_id in named:
            concept_id = None
        key = f"concept:{concept_id}" if concept_id else f"tag:{ref.tag}"
        previous = result.get(key)
        if previous is None or _level_rank(entry["level"]) > _level_rank(previous.level):
            result[key] = MemberSkill(
                skill_key=key, concept_id=concept_id, tag=ref.tag[:120],
                label=entry["label"].strip()[:120], level=entry["level"],
            )
    return result


def _level_rank(level: str) -> int:
    return ("debutant", "confirme", "expert").index(level)


def update_profile(session: Session, member: Member, data: dict) -> Member:
    """Apply a validated profile change (fields absent from ``data`` stay as they are)."""
    _check_references(data)
    for name in PROFILE_FIELDS:
        if name in data:
            setattr(member, name, data[name])
    if "skills" in data:
        wanted = _normalised_skills(data["skills"], member.trade_id)
        wanted = with_local_mappings(session, wanted)  # the manager's mappings (curation)
        current = {skill.skill_key: skill for skill in member.skills}
        for key, skill in current.items():
            if key not in wanted:
                member.skills.remove(skill)
        for key, skill in wanted.items():
            if key in current:
                current[key].level, current[key].label = skill.level, skill.label
            else:
                member.skills.append(skill)
    if "languages" in data:
        wanted_codes = list(dict.fromkeys(data["languages"]))
        member.languages[:] = [
            next((lang for lang in member.languages if lang.code == code), None)
            or MemberLanguage(code=code)
            for code in wanted_codes
        ]
    if "contacts" in data:
        set_contacts(member, data["contacts"])
    refresh_search_keys(member)
    session.flush()
    record(session, MembersChanged(frozenset({member.id})))
    return member


def set_contacts(member: Member, contacts: dict) -> None:
    """Keep the member's contact fields as given (``{"phone": "...", "show_phone": True}``);
    a blank value removes that contact. Contacts stay on the node (never exported)."""
    current = {contact.kind: contact for contact in member.contacts}
    for kind in CONTACT_KINDS:
        value = (contacts.get(kind) or "").strip()
        shown = bool(contacts.get(f"show_{kind}"))
        if not value:
            if kind in current:
                member.contacts.remove(current[kind])
        elif kind in current:
            current[kind].value, current[kind].is_shown = value, shown
        else:
            member.contacts.append(MemberContact(kind=kind, value=value, is_shown=shown))


def contact_href(kind: str, value: str) -> str | None:
    """Where a contact leads: ``mailto:``, ``tel:``, or the web address (a Mastodon handle
    ``@name@server`` to its page on the server). None when no safe link can be made."""
    if kind == "email":
        return f"mailto:{value}"
    if kind == "phone":
        return "tel:" + "".join(ch for ch in value if ch.isdigit() or ch == "+")
    if kind == "mastodon" and not value.startswith(("http://", "https://")):
        name, _, server = value.lstrip("@").partition("@")
        return f"https://{server}/@{name}" if name and server else None
    return value if value.startswith(("http://", "https://")) else None


def profile_checklist(member: Member) -> list[tuple[str, bool]]:
    """What makes a profile useful to the others, each with whether it is done: the names are
    keys the portal words (``photo``, ``headline``, ``bio``, ``trade``, ``skills``,
    ``languages``, ``availability``, ``contact``)."""
    return [
        ("headline", bool(member.headline)),
        ("trade", bool(member.trade_id)),
        ("skills", len(member.skills) >= 3),
        ("bio", bool(member.bio)),
        ("languages", bool(member.languages)),
        ("availability", member.open_to_help or member.open_to_paid or member.open_to_barter),
        ("contact", any(contact.is_shown for contact in member.contacts)),
        ("photo", bool(member.photo_filename)),
    ]


def detect_photo_type(data: bytes) -> str | None:
    for magic, ext in PHOTO_TYPES.items():
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def set_photo(session: Session, member: Member, data: bytes, folder: Path, max_bytes: int) -> str:
    """Store a profile photo after checking its real type and size; replaces the old one."""
    if not data:
        raise ValidationError(N_("The photo is empty."), fields={"photo": ["empty"]})
    if len(data) > max_bytes:
        raise ValidationError(
            N_("The photo is larger than %(size)s KiB."), params={"size": max_bytes // 1024},
            fields={"photo": ["too_large"]},
        )
    ext = detect_photo_type(data)
    if ext is None:
        raise ValidationError(N_("The photo must be a PNG, JPEG or WebP image."), fields={"photo": ["type"]})
    folder.mkdir(parents=True, exist_ok=True)
    filename = f"{member.id}-{secrets.token_hex(8)}.{ext}"
    (folder / filename).write_bytes(data)
    old = member.photo_filename
    member.photo_filename = filename
    session.flush()
    if old:
        (folder / old).unlink(missing_ok=True)
    return filename


def remove_photo(session: Session, member: Member, folder: Path) -> None:
    """Delete the member's photo file and reference."""
    if member.photo_filename:
        (folder / member.photo_filename).unlink(missing_ok=True)
        member.photo_filename = None
        session.flush()


def renormalise_skills(session: Session) -> set[int]:
    """Map every member's skills again, as typed, with the current vocabulary, the member's
    trade and the manager's mappings — after an upgrade brings a larger or corrected thesaurus
    ("Émaillage" once read as e-mailing). Only members whose skills change are touched (as if
    they had saved their profile: MembersChanged, so the peers get the new entries). Returns
    their ids."""
    changed: set[int] = set()
    members = session.scalars(select(Member).options(selectinload(Member.skills)).order_by(Member.id))
    for member in members:
        before = sorted((s.label, s.concept_id or "", s.level) for s in member.skills)
        wanted = _normalised_skills([{"label": s.label, "level": s.level} for s in member.skills],
                                    member.trade_id)
        wanted = with_local_mappings(session, wanted)
        after = sorted((s.label, s.concept_id or "", s.level) for s in wanted.values())
        if after != before:
            update_profile(session, member, {"skills": [{"label": s.label, "level": s.level}
                                                        for s in member.skills]})
            changed.add(member.id)
    return changed
