"""A confirmation step, without JavaScript, before what cannot easily be undone.

A destructive form carries ``confirm=1`` (the ``confirm_form`` macro of ``macros.html`` renders
it as a ``<details>`` that opens on a confirm button, with an optional reason). A view checks
``confirmed()`` before it changes anything; a request without it (an old page, a crafted
post, a browser that cannot open ``<details>``) is answered with :func:`ask_confirmation`: a
page asking the question, whose form posts the same fields again with ``confirm=1``. CSRF is
checked before either runs; the token is never carried over as a plain field.
"""

from __future__ import annotations

from flask import render_template, request, url_for

#: The field a confirmed form carries; ``form_values`` leaves it out of the data.
CONFIRM_FIELD = "confirm"
#: The fields the confirmation page does not carry over (it writes its own).
#: Never copied into the question's hidden fields: the token (a new one is sent), the answer
#: itself, and any password (asked again on the question when needed, never carried).
_NOT_CARRIED = {"csrf_token", CONFIRM_FIELD, "current_password", "password", "password_confirm"}


def confirmed() -> bool:
    """Whether the submitted form says its sender confirmed."""
    return request.form.get(CONFIRM_FIELD) == "1"


def ask_confirmation(*, question: str, action: str, back: str | None = None,
                     reason: str | None = None, reason_field: str = "reason",
                     reason_required: bool = False, title: str | None = None,
                     password: bool = False) -> str:
    """The page asking to confirm this request: ``question`` in a sentence, ``action`` on the
    button (what happens, e.g. "Cancel the event"); ``reason`` labels a free text sent along
    (``reason_field`` names it); ``password``: the member's current password is asked on it
    (``current_password``), for what cannot be undone. Nothing was changed; the page posts the
    same fields again."""
    carried = [(name, value) for name, value in request.form.items(multi=True)
               if name not in _NOT_CARRIED and name != (reason_field if reason else None)]
    return render_template(
        "confirm.html", question=question, action=action, title=title or action,
        back=back or _same_site_referrer() or url_for("portal.home"), carried=carried,
        post_to=request.path, reason=reason, reason_field=reason_field,
        reason_required=reason_required, reason_value=request.form.get(reason_field, ""),
        password=password,
    )


def _same_site_referrer() -> str | None:
    referrer = request.referrer
    if referrer and referrer.startswith(request.host_url):
        return referrer
    return None
