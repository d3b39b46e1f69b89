"""Real nodes served on loopback and Debian's Chromium driven by Playwright.

Every browser test is skipped, with the reason, where ``/usr/bin/chromium`` or Playwright is
missing. Screenshots go to ``test-artifacts/screenshots/`` (kept by CI)."""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from node import create_app
from node.accounts import accounts
from node.cli import initialise_node
from node.db import db
from tests.conftest import MEMBER_PASSWORD, database_url_for
from tests.livenodes import live_nodes  # noqa: F401 - federated journeys

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

try:
    from playwright.sync_api import Page, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None
    Page = object


def pytest_collection_modifyitems(config, items):
    reason = None
    if sync_playwright is None:
        reason = "Playwright is not installed (pip install -e '.[test]')"
    elif not CHROMIUM.exists():
        reason = "no Chromium at /usr/bin/chromium: `apt-get install chromium` to run browser journeys"
    if reason:
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class LiveNode:
    """A node served by werkzeug in a thread, on its own database."""

    slug: str
    app: Flask
    url: str

    def create_member(self, email: str, *, display_name: str, role: str = "member",
                      status: str = "active", password: str = MEMBER_PASSWORD):
        with self.app.app_context():
            member = accounts.create_member(
                db.session, self.app.extensions["coworknet.passwords"], email=email,
                display_name=display_name, password=password, role=role, status=status,
            )
            db.session.commit()
            return member.id

    def member_status(self, email: str) -> str | None:
        with self.app.app_context():
            member = accounts.find_by_email(db.session, email)
            return member.status if member else None

    @property
    def outbox(self) -> list:
        return self.app.extensions["coworknet.mail"].outbox


def start_node(slug: str, name: str, city: str, tmp_dir: Path,
               **extra: object) -> tuple[LiveNode, object]:
    database_url = database_url_for(f"browser_{slug}", tmp_dir)
    server = make_server("127.0.0.1", 0, None, threaded=True)  # app set below, once the port is known
    url = f"http://127.0.0.1:{server.server_port}"
    app = create_app({
        "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_dir / slug), "BASE_URL": url, "NODE_NAME": name, "NODE_CITY": city,
        # Plain HTTP on loopback, several nodes on one host: no Secure flag, one cookie per node.
        "SESSION_COOKIE_SECURE": False, "SESSION_COOKIE_NAME": f"coworknet_{slug}",
        "MAIL_BACKEND": "memory", "FEDERATION_ALLOW_LOOPBACK": True,
        "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8, "ARGON2_PARALLELISM": 1, **extra,
    })
    initialise_node(app)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return LiveNode(slug, app, url), server


@pytest.fixture(scope="session")
def portal_nodes(tmp_path_factory) -> Iterator[dict[str, LiveNode]]:
    """Nodes kept for the whole session (journeys inside one space use fresh emails)."""
    tmp_dir = tmp_path_factory.mktemp("browser-nodes")
    started = [start_node("marseille", "La Coque Bleue", "Marseille", tmp_dir)]
    yield {node.slug: node for node, _server in started}
    for node, server in started:
        server.shutdown()
        server.server_close()
        db.engine(node.app).dispose()


@pytest.fixture(scope="session")
def marseille(portal_nodes) -> LiveNode:
    return portal_nodes["marseille"]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """Factory: a fresh browser profile (its own cookies), French first like our members."""
    contexts = []

    def factory(locale: str = "fr-FR") -> Page:
        # bypass_csp lets the test inject axe-core; the pages themselves keep their CSP.
        context = browser.new_context(locale=locale, bypass_csp=True,
                                      viewport={"width": 1200, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def check_accessibility(page: Page, name: str) -> None:
    """Run axe-core on the current page: no serious or critical violation."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => await axe.run(document, {
             runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
           })"""
    )
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in v["nodes"][:5])
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"accessibility violations on {name}:\n" + "\n".join(bad)


def sign_in(page: Page, node, email: str, password: str = MEMBER_PASSWORD) -> None:
    page.goto(node.url + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


@pytest.fixture(scope="session", autouse=True)
def _no_proxy_for_loopback():
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
