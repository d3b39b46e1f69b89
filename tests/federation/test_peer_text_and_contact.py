"""Peer-supplied text shown safely (PROTOCOL §6.4), and the node's contact address
(PRIVACY §2.1): a role address set at ``coworknet init``, never a manager's login."""

from __future__ import annotations

import tomllib

import pytest
from click.testing import CliRunner

from federation.displaytext import clean, confusable_scripts
from federation.messages import EVENT_REGIONAL
from node.cli import main
from node.config import CONFIG_FILENAME
from tests.conftest import MEMBER_PASSWORD

from .helpers import event_content
from .hostile import serve, signed_item
from .test_admin import manager_portal

SPOOFS = {
    "right-to-left override": "Coworking\u202eexe.gpj",
    "left-to-right override": "Cowork\u202ding",
    "right-to-left embedding": "Cowork\u202bing",
    "pop directional formatting": "Cowork\u202cing",
    "first strong isolate": "Cowork\u2068ing",
    "right-to-left isolate": "Cowork\u2067ing",
    "pop directional isolate": "Cowork\u2069ing",
    "right-to-left mark": "Cowork\u200fing",
    "arabic letter mark": "Cowork\u061cing",
    "zero-width space": "Cowork\u200bing",
    "zero-width joiner": "Cowork\u200ding",
    "zero-width non-joiner": "Cowork\u200cing",
    "word joiner": "Cowork\u2060ing",
    "byte order mark": "\ufeffCoworking",
    "soft hyphen": "Cowork\u00ading",
    "escape": "Cowork\x1b[31ming",
    "null": "Cowork\x00ing",
    "delete": "Cowork\x7fing",
    "line separator": "Cowork\u2028ing",
    "paragraph separator": "Cowork\u2029ing",
    "C1 control": "Cowork\x85ing",
}


@pytest.mark.parametrize("case", sorted(SPOOFS))
def test_control_format_and_bidi_characters_are_stripped(case):
    cleaned = clean(SPOOFS[case])
    assert all(ch.isprintable() for ch in cleaned)
    assert "\u202e" not in cleaned and "\u200b" not in cleaned
    assert cleaned.replace("[31m", "") in ("Coworking", "Coworkingexe.gpj")


def test_long_text_keeps_its_lines_and_tabs_and_is_nfc():
    assert clean("Ligne 1\n\tLigne 2\u202e", keep_lines=True) == "Ligne 1\n\tLigne 2"
    assert clean("Ligne 1\nLigne 2") == "Ligne 1Ligne 2"
    assert clean("e\u0301te\u0301") == "été"
    assert clean("La Coque Bleue") == "La Coque Bleue"


@pytest.mark.parametrize(("text", "flagged"), [
    ("La Coque Bleue", False),
    ("Café des Éditeurs", False),               # accented Latin is Latin
    ("Ελληνικό Καφέ", False),                  # Greek alone is a name, not an imitation
    ("Коворкинг Марсель", False),              # Cyrillic alone likewise
    ("La Coque Blеue", True),                  # a Cyrillic е among Latin letters
    ("Соworking Aix", True),                   # Cyrillic С and о
    ("Cοworking Aix", True),                   # a Greek omicron
    ("Ｃoworking", True),                      # a full-width letter
    ("𝐂oworking", True),                       # a mathematical bold letter
])
def test_names_mixing_look_alike_alphabets_are_flagged(text, flagged):
    assert bool(confusable_scripts(text)) is flagged


def test_peers_page_isolates_peer_names_and_warns_of_an_imitation(live_nodes):
    a, b = live_nodes(2, names=["aix", "brest"])
    live_nodes.peer(a, b)
    with a.session() as session:
        from node.federation import peers

        row = peers.get_peer(session, b.url)
        row.name, row.city = clean("La Coque Blеue\u202e"), "Marseille"
        session.commit()
    page = manager_portal(a).get("/admin/peers").get_data(as_text=True)
    assert "<bdi>La Coque Blеue</bdi>" in page and "\u202e" not in page
    assert "data-lookalike" in page and "CYRILLIC" in page


def test_a_peers_event_title_is_cleaned_and_isolated_in_the_program(live_nodes):
    a, b = live_nodes(2, names=["aix", "brest"])
    live_nodes.peer(a, b)
    title = "Atelier \u202eTFAR\u202c compta\u200b"
    serve(b, [signed_item(b, EVENT_REGIONAL, "regional/1",
                          {**event_content(b.url, title=title), "visibility": "public"}, seq=1)])
    (result,) = a.sync()
    assert result.error is None
    with a.session() as session:
        from node.regional import regional

        row_id = regional.by_object_id(session, f"{b.url}/regional/1").id
    page = a.client().get(f"/regional/{row_id}").get_data(as_text=True)
    assert "<h1><bdi>Atelier TFAR compta</bdi></h1>" in page
    assert "\u202e" not in page and "\u200b" not in page


# --- the contact address ----------------------------------------------------------------------


def test_a_node_without_a_contact_address_sends_none_and_its_manager_is_told(live_nodes):
    a, b = live_nodes(2, names=["aix", "brest"])
    live_nodes.peer(a, b)
    assert b.peer_row(a).contact_email == ""
    page = manager_portal(a).get("/admin/peers").get_data(as_text=True)
    assert "data-contact-missing" in page and "FEDERATION_CONTACT_EMAIL" in page


def test_the_role_address_set_at_init_is_the_one_peers_get(live_nodes):
    a, b = live_nodes(2, names=["aix", "brest"],
                      config={"FEDERATION_CONTACT_EMAIL": "contact@aix.example.org"})
    with a.session() as session:  # a manager whose login must not leave the node
        from node.accounts import accounts

        accounts.create_member(session, a.app.extensions["coworknet.passwords"],
                               email="ines.personal@example.org", display_name="Inès",
                               password=MEMBER_PASSWORD, role="manager")
        session.commit()
    live_nodes.peer(a, b)
    assert b.peer_row(a).contact_email == "contact@aix.example.org"
    page = manager_portal(a, "cm2@example.org").get("/admin/peers").get_data(as_text=True)
    assert "data-contact-missing" not in page


def test_init_records_the_contact_address_and_warns_without_one(tmp_path, monkeypatch):
    monkeypatch.setenv("COWORKNET_INSTANCE", str(tmp_path / "with"))
    runner = CliRunner()
    args = ["init", "--name", "Aix", "--city", "Aix", "--url", "https://aix.example"]
    result = runner.invoke(main, [*args, "--contact-email", "contact@aix.example.org"])
    assert result.exit_code == 0, result.output
    settings = tomllib.loads((tmp_path / "with" / CONFIG_FILENAME).read_text())
    assert settings["FEDERATION_CONTACT_EMAIL"] == "contact@aix.example.org"
    assert "Warning" not in result.output

    monkeypatch.setenv("COWORKNET_INSTANCE", str(tmp_path / "without"))
    result = runner.invoke(main, args)
    assert result.exit_code == 0 and "no contact address" in result.output

    monkeypatch.setenv("COWORKNET_INSTANCE", str(tmp_path / "bad"))
    result = runner.invoke(main, [*args, "--contact-email", "not an address"])
    assert result.exit_code != 0 and "--contact-email" in result.output
    assert not (tmp_path / "bad" / CONFIG_FILENAME).exists()
