"""The options of the forms' selects (trades, languages, trade groups): every item once, in the
reader's alphabetical order ignoring case, sorted once per process and language."""

from __future__ import annotations

import pytest

from node.members.thesaurus import get_thesaurus


@pytest.mark.parametrize("kind", ["trades", "languages", "groups"])
@pytest.mark.parametrize("locale", ["fr", "en", "en_GB"])
def test_choices_list_every_item_in_the_readers_order(kind, locale):
    thesaurus = get_thesaurus()
    items = {"trades": thesaurus.trades, "languages": thesaurus.languages, "groups": thesaurus.groups}[kind]()
    lang = locale[:2]
    options = thesaurus.choices(kind, locale)
    assert sorted(options) == sorted((getattr(i, "id", None) or i.code, i[lang]) for i in items)
    labels = [label for _, label in options]
    assert labels == sorted(labels, key=str.lower)
    assert thesaurus.choices(kind, locale) is options  # kept, not sorted again


def test_an_item_reads_its_fields_by_name():
    trade = get_thesaurus().trades()[0]
    assert trade["fr"] == trade.fr and trade["id"] == trade.id
    with pytest.raises(KeyError):
        trade["nope"]
