"""Query strings and small forms go through schemas too: a bad value is refused, changes nothing."""

from __future__ import annotations


def test_member_list_filters_by_a_known_status_and_refuses_others(portal, create_member):
    create_member("cm@example.org", role="manager")
    create_member("waiting@example.org", display_name="Paula Attente", status="pending")
    create_member("here@example.org", display_name="Arthur Actif")
    portal.login("cm@example.org")
    pending = portal.get("/admin/members?status=pending")
    assert pending.status_code == 200
    html = pending.get_data(as_text=True)
    assert "Paula Attente" in html and "Arthur Actif" not in html
    everyone = portal.get("/admin/members").get_data(as_text=True)
    assert "Paula Attente" in everyone and "Arthur Actif" in everyone
    # A value the page does not know is set aside, said, and the page shows everyone; a
    # parameter it does not know (a shared link's) is ignored.
    refused = portal.get("/admin/members?status=deleted")
    assert refused.status_code == 200
    assert "Paula Attente" in refused.get_data(as_text=True) and "Arthur Actif" in refused.get_data(as_text=True)
    assert "n’a pas été comprise" in refused.get_data(as_text=True)
    active = portal.get("/admin/members?status=active&sort=name&utm_source=newsletter").get_data(as_text=True)
    assert "Arthur Actif" in active and "Paula Attente" not in active


def test_language_switch_accepts_known_locales_only(portal, client):
    response = portal.post("/lang", {"lang": "en", "next": "/directory"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/directory")
    assert 'lang="en"' in portal.get("/").get_data(as_text=True)
    assert portal.post("/lang", {"lang": "de", "next": "/"}).status_code == 422
    assert portal.post("/lang", {"lang": "fr", "next": "//evil.example/"}).headers["Location"] == "/"
    assert 'lang="en"' in portal.get("/").get_data(as_text=True)
