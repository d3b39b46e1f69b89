"""What a refused input is told, in the reader's language.

The schemas (``schemas/``, marshmallow only) and the operations write their messages in English:
marshmallow's own ("Not a valid email address.", "Length must be between 10 and 256."), the
schemas' ("The two passwords differ."), the operations' marked with ``node.errors.N_``. They are
translated here, where they are shown (the error handlers for the API and the pages,
``forms.show_again`` for a form shown again), with one rule for all of them:

1. a message that is a msgid of the catalogs is translated as it is;
2. a message formatted from a template with parameters (marshmallow formats its messages
   before raising) is matched against ``TEMPLATES``; the template is translated and filled with
   the values read back from the message;
3. a field entry that is a code rather than a sentence (``"taken"``, ``"inactive"``: the stable
   identifiers some operations give a field) is shown, on a page, as the error's own message;
   an API client keeps the code.

``tests/unit/test_validation_messages.py`` checks that every default message of marshmallow
is listed here or in a catalog, so an upgrade that rewords one fails there, not in front of a
member.
"""

from __future__ import annotations

import re
from functools import cache

from flask_babel import gettext

from ..errors import N_, DomainError

#: marshmallow's messages that carry a parameter, as templates (``{name}`` is a value read back
#: from the message). Range's are written out for its inclusive and exclusive bounds.
TEMPLATES = (
    N_("Length must be between {min} and {max}."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be {equal}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min} and less than {max}."),
    N_("Must be greater than {min} and less than or equal to {max}."),
    N_("Must be greater than {min} and less than {max}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be less than {max}."),
    N_("Must be one of: {choices}."),
    N_("Must be equal to {other}."),
    N_("One or more of the choices you made was in: {values}."),
    N_("One or more of the choices you made was not in: {choices}."),
    N_("Not a valid {awareness} {obj_type}."),
    N_("Not a valid {obj_type}."),
    N_("\"{input}\" cannot be formatted as a {obj_type}."),
    N_("{input} cannot be formatted as a timedelta."),
    # schemas/common.py require_one_of
    N_("Give at least one of: {names}."),
)

#: marshmallow's messages without a parameter (listed so that the catalog check sees them).
PLAIN = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid input."),
    N_("Invalid input type."),
    N_("Invalid type."),
    N_("Unknown field."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid email address."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid list."),
    N_("Not a valid tuple."),
    N_("Not a valid mapping type."),
    N_("Not a valid URL."),
    N_("Not a valid UUID."),
    N_("Not a valid period of time."),
    N_("Not a valid IP address."),
    N_("Not a valid IP interface."),
    N_("Not a valid IPv4 address."),
    N_("Not a valid IPv4 interface."),
    N_("Not a valid IPv6 address."),
    N_("Not a valid IPv6 interface."),
    N_("String does not match expected pattern."),
    N_("Special numeric values (nan or infinity) are not permitted."),
)

#: Words marshmallow puts into "Not a valid {obj_type}." and its kin.
WORDS = {"datetime": N_("date and time"), "date": N_("date"), "time": N_("time"),
         "aware": N_("time-zone aware"), "naive": N_("naive")}

_CODE = re.compile(r"[a-z][a-z0-9_]*")
_FIELD = re.compile(r"\{(\w+)(?:![rsa])?\}")


@cache
def _patterns() -> tuple[tuple[re.Pattern, str], ...]:
    patterns = []
    for template in TEMPLATES:
        parts, last = [], 0
        for match in _FIELD.finditer(template):
            parts += [re.escape(template[last:match.start()]), f"(?P<{match.group(1)}>.+?)"]
            last = match.end()
        parts.append(re.escape(template[last:]))
        patterns.append((re.compile("".join(parts) + r"\Z", re.DOTALL), template))
    return tuple(patterns)


def template_of(message: str) -> tuple[str, dict[str, str]] | None:
    """The template ``message`` was formatted from, and the values read back from it."""
    for pattern, template in _patterns():
        match = pattern.match(message)
        if match:
            return template, match.groupdict()
    return None


def translate(message: str) -> str:
    """One message of a schema or an operation, in the reader's language."""
    translated = gettext(message)
    if translated != message:
        return translated
    found = template_of(message)
    if found is None:
        return message
    template, values = found
    values = {name: gettext(WORDS[value]) if value in WORDS else value for name, value in values.items()}
    return _FIELD.sub(lambda m: "{" + m.group(1) + "}", gettext(template)).format(**values)


def is_code(entry: object) -> bool:
    """A field entry that is a stable identifier (``"taken"``), not a sentence."""
    return isinstance(entry, str) and bool(_CODE.fullmatch(entry))


def translate_fields(fields: object, *, summary: str | None = None) -> object:
    """The field messages of a rejection (nested as marshmallow nests them: dicts by field
    name or list index, lists of messages) in the reader's language. With ``summary`` (a page),
    a code stands for the error's own message; without it (the API), codes stay as they are."""
    if isinstance(fields, dict):
        return {key: translate_fields(value, summary=summary) for key, value in fields.items()}
    if isinstance(fields, list | tuple):
        return [translate_fields(value, summary=summary) for value in fields]
    if is_code(fields):
        return summary if summary is not None else fields
    if isinstance(fields, str):
        return translate(fields)
    return fields


def error_message(exc: DomainError) -> str:
    """A domain error's message in the reader's language, its parameters filled in."""
    return gettext(exc.message, **exc.params)


def page_errors(exc: DomainError) -> dict:
    """A rejection's field messages as a page shows them under the fields."""
    return translate_fields(exc.fields, summary=error_message(exc))
