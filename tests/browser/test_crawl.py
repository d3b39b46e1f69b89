"""Every portal page, as a visitor, a member and a manager, in French (and in English), at
1280 px and 390 px, on the three demo spaces (seeded as ``make demo`` does, one federation round
each): no English in the French portal outside names and user content, no French in the
English one, no ISO date and no node URL where a date or a space's name belongs, no 5xx, no
serious or critical axe-core violation, no page wider than a 390 px screen.

The pages are the GET routes of the app's url_map (the API, the federation endpoints and the
static files aside); a path parameter takes a real id of the seeded data (``PARAMETERS``: a
new route with a new parameter name fails until it has its value).

What is not the portal's own text is marked in the templates, and the detector skips it:
``<bdi>`` around what people wrote (a title, a name, a peer's text: ``peer_text`` isolates it
so, and a local event's title is wrapped in it), ``translate="no"`` on what must not be
translated, a ``lang`` of its own (a language's name in that language), ``<code>`` for
technical values (a node's address on the peers page). The vocabulary of the skill thesaurus
(French labels such as "Data scientist") counts as French.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select
from werkzeug.serving import make_server

from node.accounts import accounts
from node.db import db
from node.demo import SEED_FILE, build_nodes
from node.events import proposals
from node.federation import scheduler
from node.federation.keyring import RUNTIME_INFO_KEY
from node.http.security import MANAGER, MEMBER, PUBLIC
from node.models import (
    EventOccurrence,
    Member,
    Need,
    QueueItem,
    RegionalEvent,
    RegionalSession,
    WorkshopProposal,
)
from node.rosters.models import Network as RosterNetwork
from schemas.events import ProposalSchema
from tests.conftest import PG_URL

from .conftest import AXE, CHROMIUM, sync_playwright

try:
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # pragma: no cover - the browser conftest skips the test
    PlaywrightError = Exception

pytestmark = pytest.mark.browser

TRANSLATIONS = Path(__file__).resolve().parents[2] / "node" / "translations"
SKIPPED_PREFIXES = ("/api/", "/federation/", "/.well-known/", "/static/")
WIDTHS = (1280, 390)
ROLES = {PUBLIC: 0, MEMBER: 1, MANAGER: 2}
WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ0-9’']+")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
NODE_URL = re.compile(r"https?://[\w.-]+")  # a host: "https://…" in a help text is no address
FRENCH_DATE = re.compile(r"\b\d{1,2} (janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)(?![a-zé])", re.I)
#: English words that are also French words of the portal (or names): never a finding alone.
HOMOGRAPHS = {"an", "as", "on", "but", "pause", "ours", "or", "pull", "mark", "game", "net", "sites",
              "site", "post", "talk", "tenant", "app", "api", "admin", "meetup", "kib", "mb", "yyyy",
              "ins", "brackets", "cover", "party", "tasting", "moment", "partner", "minimum", "maximum",
              "table", "message", "type", "date", "code", "connector", "job", "jobs", "digest", "mail",
              "mails", "email", "e-mail", "token", "tokens", "ledger", "barter"}
#: Words an untranslated page shows though no msgid holds them (statuses, dates in English).
EXTRA_ENGLISH = {"pending", "accepted", "confirmed", "waitlisted", "declined", "cancelled", "published",
                 "draft", "active", "suspended", "january", "february", "march", "april", "june", "july",
                 "august", "september", "october", "november", "december", "monday", "tuesday",
                 "wednesday", "thursday", "friday", "saturday", "sunday", "the", "and", "of", "your"}

TEXT_JS = """() => {
  const skip = 'script,style,noscript,template,code,pre,kbd,samp,svg,bdi,[translate=no]';
  const page = document.documentElement.lang;
  const foreign = el => { const l = el.closest('[lang]'); return l && l.lang.split('-')[0] !== page; };
  const out = [], attributes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    const el = n.parentElement;
    if (!el || el.closest(skip) || foreign(el)) continue;
    const t = n.textContent.replace(/\\s+/g, ' ').trim();
    if (t) out.push(t);
  }
  for (const el of document.querySelectorAll('[aria-label],[placeholder],[title],img[alt],input[type=submit]')) {
    if (el.closest(skip) || foreign(el)) continue;
    for (const a of ['aria-label', 'placeholder', 'title', 'alt']) { const v = el.getAttribute(a); if (v) attributes.push(v); }
    if (el.type === 'submit' && el.value) out.push(el.value);
  }
  return {texts: out, attributes: attributes};
}"""

AXE_JS = """async () => (await axe.run(document, {runOnly: {type: 'tag',
  values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})).violations
  .filter(v => v.impact === 'serious' || v.impact === 'critical')
  .map(v => `${v.id}: ${v.nodes.slice(0, 3).map(n => n.target[0]).join(', ')}`)"""


def _catalog_words() -> tuple[set[str], set[str]]:
    """English words of the msgids no French translation uses; French translations (whole)."""
    english, french_words, french_phrases = set(), set(), set()
    for po_path in TRANSLATIONS.glob("*/fr/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as handle:
            for message in read_po(handle, locale="fr"):
                if not message.id:
                    continue
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                for text in ids:
                    english |= {w.lower() for w in WORD.findall(PLACEHOLDER.sub(" ", text))}
                for text in strings:
                    french_words |= {w.lower() for w in WORD.findall(PLACEHOLDER.sub(" ", text))}
                    pieces = [p.strip() for p in PLACEHOLDER.split(text)]
                    french_phrases |= {p for p in pieces if len(p) >= 18 and p not in ids}
    english = {w for w in english - french_words - _thesaurus_words() if len(w) > 1} - HOMOGRAPHS
    return english | EXTRA_ENGLISH, french_phrases


def _thesaurus_words() -> set[str]:
    """The French vocabulary of the skill thesaurus and the trades (loanwords included)."""
    data = TRANSLATIONS.parent / "data"
    skills = json.loads((data / "skills.json").read_text(encoding="utf-8"))
    trades = json.loads((data / "trades.json").read_text(encoding="utf-8"))["trades"]
    texts = [item["fr"] for item in [*skills["groups"], *skills["concepts"], *trades]]
    texts += [alias for item in [*skills["groups"], *skills["concepts"]] for alias in item.get("aliases_fr", [])]
    return {word.lower() for text in texts for word in WORD.findall(text)}


def _first(session, statement):
    value = session.scalar(statement.limit(1))
    assert value is not None, f"the demo seeds no row for {statement}"
    return value


def _complete_the_demo(app, member_email: str) -> None:
    """What the demo does not seed and a page shows: a workshop proposal, a pending sign-up."""
    with app.app_context():
        session = db.session
        member = accounts.find_by_email(session, member_email)
        start = datetime.now(UTC).replace(microsecond=0, tzinfo=None) + timedelta(days=20)
        proposals.propose_workshop(session, member, ProposalSchema().load({
            "title": "Atelier d’écriture", "start_at": start.isoformat(),
            "end_at": (start + timedelta(hours=2)).isoformat(), "capacity": 8}), datetime.now(UTC))
        accounts.sign_up(session, app.extensions["coworknet.passwords"], signup_mode="approval",
                         email="nouvelle@example.org", display_name="Sacha N.", password="x" * 12)
        session.commit()


def _parameters(node, member_email: str) -> dict[str, Callable]:
    """A real value for each path parameter of the portal's routes, read from the demo data."""
    def invitation(session):
        manager = _first(session, select(Member).where(Member.role == "manager"))
        _invitation, token = accounts.create_invitation(session, created_by=manager, email=None,
                                                        role="member", ttl_hours=24)
        session.commit()
        return token

    return {
        "member_id": lambda s: _first(s, select(Member.id).where(Member.email != member_email,
                                                                 Member.status == "active")),
        "event_id": lambda s: _first(s, select(EventOccurrence.event_id).order_by(EventOccurrence.id)),
        "occurrence_id": lambda s: _first(s, select(EventOccurrence.id).order_by(EventOccurrence.id)),
        "proposal_id": lambda s: _first(s, select(WorkshopProposal.id)),
        "need_id": lambda s: _first(s, select(Need.id)),
        "item_id": lambda s: _first(s, select(QueueItem.id)),
        "regional_id": lambda s: _first(s, select(RegionalEvent.id)),
        "session_id": lambda s: _first(s, select(RegionalSession.id).order_by(RegionalSession.id)),
        "network_pk": lambda s: _first(s, select(RosterNetwork.id).order_by(RosterNetwork.id)),
        "token": invitation,
    }


#: Pages worth a visit with their query string too.
EXTRA_PAGES = [("/events?view=month", PUBLIC), ("/admin/members?status=pending", MANAGER),
               ("/directory?q=comptable", MEMBER), ("/network?q=traduction", MEMBER)]


def _pages(app, values: dict) -> list[tuple[str, str]]:
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.rule.startswith(SKIPPED_PREFIXES) or rule.endpoint == "static":
            continue
        access = getattr(app.view_functions[rule.endpoint], "access", None)
        missing = set(rule.arguments) - set(values)
        assert not missing, f"{rule.rule}: give the crawl a value for {missing} (PARAMETERS)"
        with app.test_request_context():
            path = app.url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
        pages.append((path, access))
    return pages + EXTRA_PAGES


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory, monkeypatch_module):
    """The three demo spaces, seeded, served, one federation round each."""
    monkeypatch_module.setenv("COWORKNET_ARGON2_TIME_COST", "1")
    monkeypatch_module.setenv("COWORKNET_ARGON2_MEMORY_COST", "16")
    tmp = tmp_path_factory.mktemp("crawl")
    data = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    for spec in data["spaces"]:
        spec["port"] = _free_port()
    (tmp / "spaces.json").write_text(json.dumps(data), encoding="utf-8")
    nodes, data = build_nodes(tmp / "demo", seed_file=tmp / "spaces.json")
    servers = [make_server("127.0.0.1", node.spec["port"], node.app, threaded=True) for node in nodes]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for _round in range(2):
            for node in nodes:
                scheduler.run_round(node.app.extensions[RUNTIME_INFO_KEY], force=True)
        yield nodes, data
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
        for node in nodes:
            node.app.extensions[RUNTIME_INFO_KEY].wait_for_background()
            db.engine(node.app).dispose()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _words(text: str) -> set[str]:
    """The words of ``text``; a token with digits (a pseudonym, a reference) is none."""
    return {token for token in WORD.findall(text) if not any(c.isdigit() for c in token)}


def _findings_fr(texts: list[str], english: set[str], attributes: list[str] = ()) -> list[str]:
    """English words in the text and the attributes people read; ISO dates and node addresses in
    the text (a placeholder may show the form of an address)."""
    found = []
    for text in [*texts, *attributes]:
        words = sorted({w for w in _words(text) if w.lower() in english})
        if words:
            found.append(f"English {words}: {text[:120]!r}")
    for text in texts:
        if ISO_DATE.search(text):
            found.append(f"ISO date: {text[:120]!r}")
        if NODE_URL.search(text):
            found.append(f"URL where a name belongs: {text[:120]!r}")
    return found


def _findings_en(texts: list[str], french: set[str], attributes: list[str] = ()) -> list[str]:
    found = []
    for text in [*texts, *attributes]:
        phrases = [p for p in french if p in text]
        if phrases:
            found.append(f"French {phrases[:2]}: {text[:120]!r}")
    for text in texts:
        if FRENCH_DATE.search(text) or ISO_DATE.search(text):
            found.append(f"date not in English: {text[:120]!r}")
    return found


def _crawl(browser, node, who: tuple[str, str, str] | None, locale: str, width: int,
           pages: list[tuple[str, str]], check: Callable[[list[str], list[str]], list[str]],
           axe: Callable[[str], bool]) -> list[str]:
    level, email, password = who or (PUBLIC, None, None)
    context = browser.new_context(locale=locale, bypass_csp=True, viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = []
    try:
        if email:
            page.goto(node.url + "/login")
            page.fill("#email", email)
            page.fill("#password", password)
            page.locator("main form button[type=submit]").first.click()
            page.wait_for_load_state()
        for path, access in pages:
            if ROLES.get(access, 0) > ROLES[level]:
                continue  # a door this person does not have: the redirect is the login page
            where = f"[{level} {locale} {width}px] {path}"
            try:
                response = page.goto(node.url + path)
            except PlaywrightError as exc:  # a file (calendar, CSV): its status is what counts
                if "Download is starting" not in str(exc):
                    raise
                response = context.request.get(node.url + path)
            status = response.status if response else 0
            if status >= 500:
                problems.append(f"{where}: HTTP {status}")
                continue
            if "text/html" not in (response.headers.get("content-type", "") if response else ""):
                continue
            shown = page.evaluate(TEXT_JS)
            problems += [f"{where}: {finding}" for finding in check(shown["texts"], shown["attributes"])]
            if axe(access):
                page.add_script_tag(path=str(AXE))
                problems += [f"{where}: axe {violation}" for violation in page.evaluate(AXE_JS)]
            if width < 1000:
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                if overflow > 1:
                    problems.append(f"{where}: layout {overflow}px wider than the screen")
    finally:
        context.close()
    return problems


@pytest.mark.skipif(bool(PG_URL), reason="the demo runs on embedded SQLite only")
def test_every_portal_page_speaks_its_language(demo, browser):
    if sync_playwright is None or not CHROMIUM.exists():
        pytest.skip("no Playwright or Chromium")
    nodes, data = demo
    node = nodes[0]
    manager = node.spec["manager"]
    member_email = node.spec["members"][0]["email"]
    people = [None, (MEMBER, member_email, data["member_password"]),
              (MANAGER, manager["email"], manager["password"])]
    with node.app.app_context():
        _complete_the_demo(node.app, member_email)
        values = {name: fn(db.session) for name, fn in _parameters(node, member_email).items()}
        pages = _pages(node.app, values)
    english, french = _catalog_words()
    started = time.monotonic()
    problems: list[str] = []
    # The session's browser (tests/browser/conftest.py): one Playwright per test session.
    # axe-core once per page and width: the visitor on the public pages, the manager on
    # the others (the member sees the same templates with less in them).
    axe_for = {None: lambda access: access == PUBLIC, MEMBER: lambda access: False,
               MANAGER: lambda access: access != PUBLIC}
    for width in WIDTHS:
        # At 390 px the text is the same HTML: the visitor and the manager (every page)
        # are enough for axe-core and the layout.
        for who in (people if width == WIDTHS[0] else (people[0], people[2])):
            problems += _crawl(browser, node, who, "fr-FR", width, pages,
                               lambda texts, attrs: _findings_fr(texts, english, attrs),
                               axe_for[who and who[0]])
    for who in (people[0], people[2]):  # lighter: the visitor and the manager (every page)
        problems += _crawl(browser, node, who, "en-GB", 1280, pages,
                           lambda texts, attrs: _findings_en(texts, french, attrs), lambda access: False)
    print(f"crawled {len(pages)} routes in {time.monotonic() - started:.0f} s")
    # A page wider than a 390 px screen (it scrolls sideways) is a problem like the others.
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(dict.fromkeys(problems))


def test_the_detector_sees_english_iso_dates_and_addresses():
    english, french = _catalog_words()
    assert _findings_fr(["Inscriptions ouvertes", "Data scientist", "Journée pop-up"], english) == []
    assert len(_findings_fr(["0 new seat offer(s).", "le 2026-12-14", "http://127.0.0.1:5002"], english)) == 3
    assert _findings_fr(["is3ka5xzzzmrh5fy · Fontainebleau"], english, ["https://coworking.example.org"]) == []
    assert _findings_en(["Registrations open", "0 mail(s) sent"], french) == []
    assert _findings_en(["lundi 14 déc. 2026"], french)
