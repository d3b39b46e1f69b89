"""Templates' gettext keeps the request's catalog for the request (a page calls it hundreds of
times), yet a mail rendered in its reader's language inside the same request (``force_locale``)
and a language changed mid-request (``refresh``) are honoured."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale, refresh

from node.i18n import page_translations

PAGE = "{{ _('Sign in') }}"


def test_catalog_kept_per_request_and_locale_forced_in_between(app):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        french = render_template_string(PAGE)
        assert page_translations() is page_translations()  # looked up once
        with force_locale("en"):
            assert render_template_string(PAGE) == "Sign in"
        assert render_template_string(PAGE) == french != "Sign in"


def test_language_changed_mid_request_is_followed(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}) as context:
        assert render_template_string(PAGE) == "Sign in"
        context.session["lang"] = "fr"
        refresh()
        assert render_template_string(PAGE) != "Sign in"
