"""Every setting of a node, in one typed declaration: name, type, default and one line of doc.

:class:`Settings` is the declaration: one field per setting, the setting's name being the field's
name in capitals (``node_name`` is ``NODE_NAME``, given as ``COWORKNET_NODE_NAME`` or
``NODE_NAME = ...`` in the instance's ``coworknet.toml``). :data:`SETTINGS` lists them as
:class:`Setting` records; :func:`node.config.load_config` fills ``app.config`` with
:func:`defaults` first, so code reads ``app.config["NAME"]`` without a default of its own, or
the typed snapshot ``app.extensions["coworknet.settings"]`` (a :class:`Settings`).

``docs/OPERATING.md`` holds :func:`markdown_table`; ``tests/unit/test_settings.py`` checks that
the two agree. Flask-Babel's ``BABEL_DEFAULT_LOCALE`` and ``BABEL_DEFAULT_TIMEZONE`` are not
settings: ``load_config`` copies ``DEFAULT_LOCALE`` and ``DEFAULT_TIMEZONE`` into them.
"""

from __future__ import annotations

import logging
import os
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields

from federation.feed import MAX_PAGE_ITEMS

logger = logging.getLogger(__name__)

#: Where the typed snapshot of an app's settings lives.
EXTENSION_KEY = "coworknet.settings"
ENV_PREFIX = "COWORKNET_"


def _setting(default: object = MISSING, doc: str = "", *,
             factory: Callable[[], object] | None = None, default_doc: str = "",
             env: str = "", secret: bool = False, flask: bool = False) -> typing.Any:
    """A field of :class:`Settings`. ``factory`` computes a default when the app starts
    (``default_doc`` then says what it is); ``env`` replaces ``COWORKNET_<NAME>``; ``secret``
    settings belong in the instance file, never in the environment file; ``flask`` marks a
    key Flask or an extension reads itself."""
    metadata = {"doc": doc, "default_doc": default_doc, "env": env, "secret": secret,
                "flask": flask}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    if isinstance(default, list):
        items = list(default)
        return field(default_factory=lambda: list(items), metadata=metadata)
    return field(default=default, metadata=metadata)


def _verify_worker_default() -> bool:
    return (os.cpu_count() or 1) > 1


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The settings of one node (a snapshot taken when the app is created)."""

    # -- the node and where it keeps its data
    node_name: str = _setting("Coworknet", "The space's name, shown in pages, mails and to peers.")
    node_city: str = _setting("", "The space's city.")
    node_region: str = _setting("", "The space's region (network search can stay within it).")
    base_url: str = _setting("http://127.0.0.1:5000",
                             "The node's public address: its federation id and the links in mails.")
    instance_path: str = _setting(
        "instance", "The instance folder: settings file, node key, photos, SQLite database.",
        env="COWORKNET_INSTANCE", default_doc="`./instance`")
    database_url: str | None = _setting(
        None, "SQLAlchemy URL of the database (PostgreSQL in production).",
        default_doc="SQLite file `coworknet.sqlite3` in the instance folder")
    secret_key: str | None = _setting(
        None, "Signs sessions, forms and opt-out links; at least 32 random characters "
        "(`coworknet init` writes it).", secret=True, flask=True,
        default_doc="none: required, except in debug and tests (random)")
    log_level: str = _setting("INFO", "Level of the node's own log (`DEBUG`, `INFO`, `WARNING`, ...).")
    periodic_jobs: bool = _setting(True, "`coworknet sync` rounds also run the periodic jobs.")
    # -- behind a reverse proxy
    proxy_fix_x_for: int = _setting(
        0, "Proxies trusted for `X-Forwarded-For` (1 behind one Caddy or nginx); 0 trusts none.")
    proxy_fix_x_proto: int = _setting(
        0, "Proxies trusted for `X-Forwarded-Proto`; 0 takes `PROXY_FIX_X_FOR`'s count.")
    proxy_fix_x_host: int = _setting(0, "Proxies trusted for `X-Forwarded-Host`.")
    proxy_fix_x_prefix: int = _setting(0, "Proxies trusted for `X-Forwarded-Prefix`.")
    # -- languages and time
    default_locale: str = _setting("fr", "Language of pages and mails when nobody asked for another.")
    languages: list[str] = _setting(["fr", "en"], "Languages a member can choose.")
    default_timezone: str = _setting("Europe/Paris", "The node's time zone (events, digest day).")
    # -- sessions and requests (read by Flask and Flask-WTF)
    session_cookie_httponly: bool = _setting(True, "Scripts cannot read the session cookie.", flask=True)
    session_cookie_samesite: str | None = _setting("Lax", "The session cookie's `SameSite`.", flask=True)
    session_cookie_name: str = _setting(
        "coworknet_session", "The session cookie's name (nodes sharing a host need their own).",
        flask=True)
    session_cookie_secure: bool = _setting(
        True, "The session cookie goes over HTTPS only.", flask=True,
        default_doc="`true`; `false` in debug and tests unless given")
    permanent_session_lifetime: int = _setting(
        14 * 24 * 3600, "How long a login lasts, in seconds.", flask=True)
    max_content_length: int | None = _setting(
        4 * 1024 * 1024, "Largest request body accepted, in bytes.", flask=True)
    wtf_csrf_time_limit: int | None = _setting(
        None, "Seconds a form's CSRF token stays valid; none: the session's lifetime.", flask=True)
    # -- mail
    mail_backend: str = _setting(
        "file", "How mail leaves: `smtp`, `file` (the instance's outbox), `console` or `memory`.")
    mail_from: str = _setting("Coworknet <no-reply@localhost>", "Sender of the node's mails.")
    smtp_host: str = _setting("localhost", "SMTP server.")
    smtp_port: int = _setting(587, "SMTP port.")
    smtp_username: str = _setting("", "SMTP login; empty: none.")
    smtp_password: str = _setting("", "SMTP password.", secret=True)
    smtp_starttls: bool = _setting(True, "Upgrade the SMTP connection with STARTTLS.")
    # -- accounts
    signup_mode: str = _setting("approval", "`approval`: a manager approves sign-ups; `closed`: invitations only.")
    invitation_ttl_hours: int = _setting(7 * 24, "Hours an invitation link stays valid.")
    password_reset_ttl_minutes: int = _setting(60, "Minutes a password reset link stays valid.")
    login_max_failures: int = _setting(5, "Failed logins of one account before it is throttled.")
    login_failure_window_seconds: int = _setting(15 * 60, "Window the failed logins are counted over, in seconds.")
    login_max_failures_per_ip: int = _setting(30, "Failed logins from one address before it is throttled.")
    photo_max_bytes: int = _setting(2 * 1024 * 1024, "Largest profile photo, in bytes.")
    argon2_time_cost: int = _setting(3, "Argon2id passes of password hashing.")
    argon2_memory_cost: int = _setting(64 * 1024, "Argon2id memory of password hashing, in KiB.")
    argon2_parallelism: int = _setting(2, "Argon2id lanes of password hashing.")
    # -- single sign-on (OpenID Connect)
    oidc_issuer: str = _setting("", "The OpenID Connect provider's issuer URL; empty: no single sign-on.")
    oidc_client_id: str = _setting("", "This node's client id at the provider (required with `OIDC_ISSUER`).")
    oidc_client_secret: str = _setting("", "This node's client secret at the provider.", secret=True)
    oidc_display_name: str = _setting("", "The provider's name on the login page; empty: \"OpenID Connect\".")
    oidc_scopes: str = _setting("openid email profile", "Scopes asked of the provider.")
    # -- events
    event_offer_ttl_hours: float = _setting(
        24, "Hours a seat offered from the waitlist is held (never past the start).")
    event_guest_confirm_hours: float = _setting(
        24, "Hours the confirmation link of a registration without an account stays valid; "
        "an unconfirmed registration holds no seat and is stored nowhere.")
    event_guest_retention_days: int = _setting(
        30, "Days after a date ends that the name and e-mail of people registered without an "
        "account are kept (then erased; their attendance stays, anonymous).")
    event_guest_requests_per_hour: int = _setting(
        10, "Registrations without an account one address may ask for in an hour (and three "
        "confirmation mails to one e-mail address).")
    # -- network directory
    pseudonym_secret: str = _setting(
        "", "Key of the network directory's pseudonyms (32+ characters, `coworknet init` writes "
        "it); empty: the node shares nothing.", secret=True)
    network_k: int = _setting(3, "k of the network directory's k-anonymity.")
    network_introductions_per_day: int = _setting(10, "Introductions a member may ask for a day.")
    network_searches_per_minute: int = _setting(60, "Network searches a member may run a minute.")
    network_facet_cap: int = _setting(500, "Best matches network search's facet counts cover at most.")
    # -- federation
    federation_allow_loopback: bool = _setting(
        False, "Peers may have loopback or private addresses (demos and tests only).")
    federation_client_retries: int = _setting(3, "Retries of a failed request to a peer.")
    federation_page_limit: int = _setting(MAX_PAGE_ITEMS, "Entries per feed page asked of a peer.")
    federation_verify_worker: bool = _setting(
        doc="Long pulls check signatures in a worker process.", factory=_verify_worker_default,
        default_doc="`true` with more than one CPU")
    federation_verify_worker_after: int = _setting(
        1000, "Entries of a pull after which the worker process starts checking signatures.")
    federation_pull_on_hint: bool = _setting(
        True, "A peer's hint that its feed changed makes the scheduler pull it within "
              "`FEDERATION_HINT_POLL_SECONDS` (never inside the web request).")
    federation_hint_poll_seconds: float = _setting(
        0.25, "How often `coworknet sync` looks for peers that sent a hint, in seconds.")
    federation_lease_seconds: float = _setting(
        15.0, "Seconds a scheduler's lease (the round, a job) outlives a holder that stopped "
              "renewing it; a dead holder on the same host frees it at once.")
    federation_pull_max_pages: int = _setting(
        200, "Feed pages read from one peer in one round; the rest waits for the next round.")
    federation_pull_max_seconds: float = _setting(
        120.0, "Seconds one peer's pull may take in one round before it is cut off and backed off.")
    federation_pull_max_resyncs: int = _setting(
        1, "Full resyncs (`snapshot_required`) one peer may ask for in one round.")
    federation_inbox_per_type_per_minute: int = _setting(
        120, "Inbox messages of one type accepted from one peer per minute.")
    federation_hints_per_minute: int = _setting(
        120, "`feed.hint` messages accepted from one peer per minute.")
    federation_seats_per_peer_per_session: int = _setting(
        10, "Seats and waitlist places the people of one peer may hold in one session we host.")
    federation_introductions_per_member_per_peer_day: int = _setting(
        3, "Introduction requests one peer may send to one of our members per day.")
    federation_connector_requests_per_peer_day: int = _setting(
        10, "Connector requests one peer may put in our manager's queue per day.")
    federation_hint_after_commit: bool = _setting(True, "Send peers a hint after a commit that changed the feed.")
    federation_hint_coalesce_seconds: float = _setting(
        0.5, "Least seconds between two hints to one peer: the changes made meanwhile go in one.")
    federation_key_refetch_seconds: int = _setting(
        300, "Least seconds between two fetches of a peer's document on an unknown key.")
    federation_contact_email: str = _setting(
        "", "The node's role address sent to peers with peering requests (set by `coworknet init "
        "--contact-email`); empty: none is sent.")
    federation_peering_rate_per_address: int = _setting(
        10, "Peering requests accepted from one address per 10 minutes.")
    federation_peering_rate_global: int = _setting(100, "Peering requests accepted per 10 minutes.")

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> Settings:
        """The snapshot of ``config`` (a filled ``app.config``). Values are converted to the
        declared ``bool``, ``int``, ``float`` or ``str``; one that does not convert is kept
        as given, with a warning (the call that uses it fails as it always did)."""
        values = {}
        for setting in SETTINGS:
            values[setting.attr] = setting.convert(config[setting.name])
        return cls(**values)


@dataclass(frozen=True)
class Setting:
    """One declared setting."""

    name: str
    attr: str
    type: object
    default: object
    factory: Callable[[], object] | None
    doc: str
    default_doc: str
    env: str
    secret: bool
    flask: bool

    def default_value(self) -> object:
        return self.factory() if self.factory is not None else self.default

    def convert(self, value: object) -> object:
        if self.type not in (bool, int, float, str) or isinstance(value, self.type):
            return value
        try:
            return self.type(value)  # type: ignore[operator]
        except (TypeError, ValueError):
            logger.warning("Setting %s: %r is not a %s", self.name, value,
                           self.type.__name__)  # type: ignore[attr-defined]
            return value


def _declare() -> tuple[Setting, ...]:
    hints = typing.get_type_hints(Settings)
    declared = []
    for item in fields(Settings):
        meta = item.metadata
        factory = None if item.default_factory is MISSING else item.default_factory
        declared.append(Setting(
            name=item.name.upper(), attr=item.name, type=hints[item.name],
            default=None if factory is not None else item.default, factory=factory,
            doc=meta["doc"], default_doc=meta["default_doc"],
            env=meta["env"] or ENV_PREFIX + item.name.upper(), secret=meta["secret"],
            flask=meta["flask"]))
    return tuple(declared)


#: Every setting, in declaration order.
SETTINGS: tuple[Setting, ...] = _declare()
BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


def defaults() -> dict[str, object]:
    """A fresh ``{NAME: default}`` of every setting (computed defaults computed now)."""
    return {setting.name: setting.default_value() for setting in SETTINGS}


def default_of(name: str) -> object:
    """The declared default of ``name``."""
    return BY_NAME[name].default_value()


def shown_default(setting: Setting) -> str:
    """The default as the docs show it."""
    if setting.default_doc:
        return setting.default_doc
    value = setting.default_value()
    if value is None:
        return "none"
    if value == "":
        return "empty"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, list):
        return "`[" + ", ".join(f'"{item}"' for item in value) + "]`"
    return f"`{value}`"


TABLE_HEADER = ("| setting | environment variable | default | what |\n"
                "| --- | --- | --- | --- |\n")


def markdown_table() -> str:
    """The settings table of ``docs/OPERATING.md``."""
    rows = []
    for setting in SETTINGS:
        doc = setting.doc + (" Secret: in `coworknet.toml` only." if setting.secret else "")
        rows.append(f"| `{setting.name}` | `{setting.env}` | {shown_default(setting)} | {doc} |\n")
    return TABLE_HEADER + "".join(rows)
