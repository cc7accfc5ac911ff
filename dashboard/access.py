"""Who is asking: log-in, sessions, and the viewer every callback must consult (the accounts themselves
are kept by sync.accounts).

Security is server-side.  The browser never tells us which school it is: a
callback or download asks `current_viewer()` (from the Flask-Login session)
and passes the Viewer to the query functions, which filter by it.  Every
request except the log-in page and static assets needs a logged-in, active
account (`install(server)`).

Roles (issue 6): admin = the bureau safety office (everything), leader =
reads everything and exports, school = its own school only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from flask import Flask
from flask_login import LoginManager, UserMixin, current_user
from sqlalchemy import select
from sqlalchemy.engine import Engine

from sync import accounts
from sync.accounts import (  # the pages and the gate ask here; the accounts themselves are sync's
    ROLES,
    account_exists,
)
from sync.settings import county_now
from sync.store import users

# The pages of issue 6 and who sees them in the navbar (each page and callback checks again on the server):
# (catalogue key, path, roles).
ROLE_PAGES = (
    ("nav.upload", "/upload", ("school",)),
    ("nav.exports", "/exports", ROLES),
    # A leader reads everything (issue 6): the findings, what is published and the trail, not changing them.
    ("nav.inspections", "/admin/inspections", ("admin", "leader")),
    ("nav.publish", "/admin/publish", ("admin", "leader")),
    ("nav.users", "/admin/users", ("admin",)),
    ("nav.audit", "/admin/audit", ("admin", "leader")),
)
SESSION_IDLE = timedelta(hours=12)


@dataclass(frozen=True)
class Viewer(UserMixin):
    user_id: int
    username: str
    role: str
    school_code: str | None
    display_name: str | None = None
    epoch: int = 0  # users.session_epoch when the session began

    def get_id(self) -> str:
        # The session names the account and its epoch: log-out and a new password raise the epoch,
        # so a session cookie copied before either is refused (load_viewer).
        return f"{self.user_id}.{self.epoch}"

    @property
    def is_bureau(self) -> bool:
        return self.role in ("admin", "leader")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_see_school(self, school_code: str | None) -> bool:
        """Details of one school (its records, indicators, rejected rows)."""
        return self.is_bureau or (school_code is not None and school_code == self.school_code)


def current_viewer() -> Viewer | None:
    """The logged-in viewer of this request, or None."""
    if current_user and getattr(current_user, "is_authenticated", False) and isinstance(current_user._get_current_object(), Viewer):
        return current_user._get_current_object()
    return None


def _viewer_from_row(row) -> Viewer:
    return Viewer(row.user_id, row.username, row.role, row.school_code, row.display_name, row.session_epoch)


def authenticate(engine: Engine, username: str, password: str) -> Viewer | None:
    """The viewer for a correct user name and password of an active account, else None."""
    row = accounts.check_login(engine, username, password)
    return None if row is None else _viewer_from_row(row)


def end_sessions(engine: Engine, viewer: Viewer) -> None:
    """Log-out: every session of this account ends, a copied cookie included."""
    accounts.end_sessions(engine, viewer.user_id)


# Guessing passwords: after this many failed log-ins of one account from one address within the
# window, that address is refused for that account until the window has passed; after
# MAX_FAILED_FROM_ADDRESS failures of any accounts, the address is refused for every account (trying one
# password on each school's account).  Counted per address so that nobody can lock the bureau out of
# its own accounts by typing wrong passwords from elsewhere; counted in the audit trail, which every
# worker shares.
MAX_FAILED_LOGINS = 10
# High: a county's schools may all reach the bureau through one network exit, and thirty mistyped
# passwords near a deadline must not lock them all out (found by an audit); it still slows spraying.
MAX_FAILED_FROM_ADDRESS = 200
FAILED_LOGIN_WINDOW_MINUTES = 15
# One account guessed at from many addresses (each below the limits above): past this many failures
# of the account within the window, it is let in only from an address it logged in from before
# (KNOWN_ADDRESS_DAYS): the bureau's own offices keep working, the guessers' fresh addresses do not.
MAX_FAILED_OF_ACCOUNT = 50
KNOWN_ADDRESS_DAYS = 90


UNKNOWN_NAME_MARK = "?"


def failed_login_name(engine: Engine, username: str) -> str:
    """The name a failed log-in is recorded and counted under: the account's, or for a name that is no
    account a digest of what was typed (UNKNOWN_NAME_MARK and ten hex digits), so that a password typed
    into the name box is never kept, nor shown to the bureau in the audit trail (found by an audit), and
    one wrong name tried again and again is still counted as one.  Keyed with the session secret (a
    regression audit: an unkeyed digest gave the password back to a word list)."""
    import hashlib
    import hmac

    name = (username or "").strip()[:100]
    if account_exists(engine, name):
        return name
    return UNKNOWN_NAME_MARK + hmac.new(secret_key().encode(), name.encode("utf-8"), hashlib.sha256).hexdigest()[:10]


def too_many_failures(engine: Engine, username: str, address: str | None) -> bool:
    from datetime import timedelta

    from sqlalchemy import func

    from sync.store import audit_log

    since = county_now() - timedelta(minutes=FAILED_LOGIN_WINDOW_MINUTES)
    name, address = failed_login_name(engine, username), address or ""
    failures = select(func.count()).select_from(audit_log).where(
        audit_log.c.action == "login_failed", audit_log.c.at >= since)
    from_here = audit_log.c.detail["from"].as_string() == address
    with engine.connect() as conn:
        from_address = conn.execute(failures.where(from_here)).scalar_one()
        if from_address >= MAX_FAILED_FROM_ADDRESS:
            return True
        if from_address >= MAX_FAILED_LOGINS and \
                conn.execute(failures.where(from_here, audit_log.c.username == name)).scalar_one() >= MAX_FAILED_LOGINS:
            return True
        if conn.execute(failures.where(audit_log.c.username == name)).scalar_one() < MAX_FAILED_OF_ACCOUNT:
            return False
        known = conn.execute(select(func.count()).select_from(audit_log).where(
            audit_log.c.action == "login", audit_log.c.username == name, from_here,
            audit_log.c.at >= county_now() - timedelta(days=KNOWN_ADDRESS_DAYS))).scalar_one()
    return not known


def load_viewer(engine: Engine, user_id: str) -> Viewer | None:
    """The viewer of a session id ("user.epoch"), while the account is active and the epoch current."""
    try:
        key, epoch = (int(part) for part in str(user_id).split("."))
    except (TypeError, ValueError):
        return None
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.user_id == key)).first()
    if row is None or not row.active or row.session_epoch != epoch:
        return None
    return _viewer_from_row(row)


def install(server: Flask, engine_getter) -> LoginManager:
    """Flask-Login on the Dash server; `engine_getter()` returns the store's engine."""
    manager = LoginManager()
    manager.login_view = "login"
    manager.init_app(server)

    @manager.user_loader
    def _load(user_id: str):
        return load_viewer(engine_getter(), user_id)

    return manager


# --- log-in pages and the gate in front of everything else -----------------

# Open without a session: these exact paths, and files under /assets/ (a path that names no file there
# goes through the gate like any other).
_OPEN_PATHS = ("/login", "/favicon.ico", "/healthz")
_API_PREFIXES = ("/_dash-", "/download/", "/export/", "/api/")
_DOWNLOAD_PREFIXES = ("/download/", "/export/")


def _login_page(error_key: str = "", next_url: str = "/", lang: str | None = None) -> str:
    """The log-in form in `lang`, the other two languages a link away.  A Chinese page keeps the English
    beside each label, so an English reader finds the form before the switch.  The dashboard keeps the
    viewer's language in the browser (the navbar's switch, local storage): the page follows it there,
    and a language picked here is kept there, so the dashboard opens in it after log-in."""
    import json
    from html import escape
    from urllib.parse import urlencode

    from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, t

    lang = lang or DEFAULT_LANGUAGE

    def label(key: str) -> str:
        return escape(t(key, lang) if lang == "en" else f"{t(key, lang)} / {t(key, 'en')}")

    alert = f'<div class="alert alert-danger" role="alert">{label(error_key)}</div>' if error_key else ""
    # the page's own language says it is the one chosen (aria-current): in bold alone, a screen reader
    # did not hear it (found by the accessibility audit)
    switch = " · ".join(
        f'<span class="fw-semibold" lang="{code}" aria-current="true">{name}</span>' if code == lang else
        f'<a href="/login?{escape(urlencode({"lang": code, "next": next_url}))}" lang="{code}">{name}</a>'
        for code, name in LANGUAGE_NAMES)
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(t("app.title", lang))}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/00-bootstrap-5.3.3.min.css">
<style>a {{ color: #0a58ca; }}</style>
<script>{_FOLLOW_STORED_LANGUAGE.replace("PAGE_LANGUAGE", lang).replace("KNOWN_LANGUAGES", json.dumps(LANGUAGES))}</script></head>
<body class="bg-light"><main class="container" style="max-width:420px;margin-top:10vh">
<nav class="small text-end mb-3" id="login-languages">{switch}</nav>
<h1 class="h4 mb-1">{escape(t("app.title", lang))}</h1>
<p class="text-muted small">{label("login.subtitle")}</p>
{alert}
<form method="post" action="/login">
<input type="hidden" name="next" value="{escape(next_url)}">
<input type="hidden" name="lang" value="{lang}">
<div class="mb-3"><label class="form-label" for="username">{label("login.username")}</label>
<input class="form-control" id="username" name="username" autocomplete="username" required autofocus></div>
<div class="mb-3"><label class="form-label" for="password">{label("login.password")}</label>
<input class="form-control" id="password" name="password" type="password" autocomplete="current-password" required></div>
<button class="btn btn-primary w-100" id="login-button" type="submit">{label("login.submit")}</button>
</form></main></body></html>"""


# Each language named in itself: whoever reads only one of them finds it.
LANGUAGE_NAMES = (("zh-Hant", "繁體中文"), ("zh-Hans", "简体中文"), ("en", "English"))

# The dashboard's language lives in the browser (dcc.Store "lang-store", local storage, JSON): a page
# asked for in a language (?lang=) keeps it there; a page asked for without one shows the kept one.
_FOLLOW_STORED_LANGUAGE = """(function () {
  var here = "PAGE_LANGUAGE", known = KNOWN_LANGUAGES, query = new URLSearchParams(location.search);
  try {
    if (query.has("lang")) { localStorage.setItem("lang-store", JSON.stringify(here)); return; }
    var kept = JSON.parse(localStorage.getItem("lang-store"));
    if (kept !== here && known.indexOf(kept) >= 0) { query.set("lang", kept); location.replace("/login?" + query); }
  } catch (e) { /* no storage (a locked-down browser): the page stays as asked */ }
})();"""


def _language_asked(value: str | None) -> str:
    from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES

    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def _safe_next(url: str | None) -> str:
    """Only paths on this server: never an open redirect to another host.  Browsers drop tabs and line
    breaks from a URL (/\t/evil.example is //evil.example to them), so any control character or space
    refuses it too."""
    from urllib.parse import urlsplit

    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return "/"
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return "/"
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return "/"
    return url


def from_another_site(own_site_only: bool = False) -> bool:
    """Whether the browser says another site started this request (a form or link on a page elsewhere).

    `Sec-Fetch-Site` (every current browser sends it) is "cross-site" for another site's page, and
    "same-site" for another host of the same site (own_site_only refuses that too); an `Origin` (sent
    with every POST) must name this server.  Its host and port are compared with the Host the request
    came with, not its scheme: behind a reverse proxy that ends TLS the browser's https://host reaches
    the app as http://host, and http and https of one host are one server.  No header (curl, an older
    browser) is not refused: the session cookie is SameSite=Lax besides."""
    from urllib.parse import urlsplit

    from flask import request

    fetched_from = request.headers.get("Sec-Fetch-Site", "").strip().lower()
    if fetched_from == "cross-site" or (own_site_only and fetched_from == "same-site"):
        return True
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    parts = urlsplit(origin.strip())
    return parts.scheme not in ("http", "https") or parts.netloc.lower() != request.host.lower()


def _is_open(path: str) -> bool:
    if path in _OPEN_PATHS:
        return True
    if path.startswith("/assets/"):
        from pathlib import Path

        assets = (Path(__file__).resolve().parent.parent / "assets").resolve()
        asked = (assets / path[len("/assets/"):]).resolve()
        return asked.is_relative_to(assets) and asked.is_file()
    return False


SECRET_KEY_MIN = 16  # characters of SAFESCHOOL_SECRET_KEY (openssl rand -base64 12 gives 16, token_hex(32) 64)
SECRET_KEY_MIN_DISTINCT = 8


def _strong_enough(key: str) -> str:
    """The configured session key, or ConfigError when it could be guessed: it signs every log-in, and with
    it anyone can make a cookie that logs in as any account (SAFESCHOOL_SECRET_KEY=x served the dashboard: a
    deployment audit).  Checked where the key is used, the dashboard, so a sync never stops for it."""
    from sync.errors import ConfigError

    kept = key.strip()
    if len(kept) < SECRET_KEY_MIN or len(set(kept)) < SECRET_KEY_MIN_DISTINCT:
        raise ConfigError(
            f"SAFESCHOOL_SECRET_KEY: {len(kept)} characters, {len(set(kept))} of them different, could be guessed, "
            f"and with it anyone could log in as any account; give at least {SECRET_KEY_MIN} random characters, "
            "e.g. the output of python3 -c 'import secrets; print(secrets.token_hex(32))'",
            f"SAFESCHOOL_SECRET_KEY 只有 {len(kept)} 個字符（{len(set(kept))} 個不同），可被猜出，猜出後任何人都能以任何賬號登錄；"
            f"請給至少 {SECRET_KEY_MIN} 個隨機字符，如 python3 -c 'import secrets; print(secrets.token_hex(32))' 的輸出")
    return key


def secret_key() -> str:
    """SAFESCHOOL_SECRET_KEY, or one generated once and kept beside the data (all workers share it)."""
    import secrets
    from pathlib import Path

    from sync.settings import DEFAULT_DATA_DIR, get_settings

    configured = get_settings().secret_key
    if configured:
        return _strong_enough(configured)
    path = Path(DEFAULT_DATA_DIR) / ".secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    key = path.read_text(encoding="ascii").strip() if path.exists() else None
    if key:
        return key
    # Written whole under a name of its own, then linked into place: two workers starting at once never
    # read a half-written (empty) key, and the first link wins for both.
    draft = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    draft.write_text(secrets.token_hex(32), encoding="ascii")
    draft.chmod(0o600)
    try:
        if key == "":  # an empty key left by an older version: replaced
            os.replace(draft, path)
        else:
            os.link(draft, path)
    except FileExistsError:
        pass  # another worker linked its key first
    finally:
        draft.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()


def install_gate(server: Flask, engine_getter, on_login=None) -> None:
    """Log-in routes, log-out, and a gate that refuses every other request without a session."""
    from flask import jsonify, redirect, request
    from flask_login import login_user, logout_user
    from werkzeug.sansio.utils import host_is_trusted

    from sync.settings import get_settings

    https = get_settings().https
    server.config.update(
        SECRET_KEY=secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SAMESITE="Lax",
        # Over https the cookie never travels in clear; a bureau intranet on plain http would lose every
        # log-in with it, so it is a setting (found by an audit).
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_SECURE=https,
        # A session unused for this long ends (each request renews it): a copied cookie or a shared
        # computer left signed in was good for Flask's 31 days.
        PERMANENT_SESSION_LIFETIME=SESSION_IDLE,
    )
    own_names = get_settings().host_names

    @server.before_request
    def _gate():
        path = request.path
        if own_names and path != "/healthz" and not path.startswith("/assets/") \
                and not host_is_trusted(request.host, own_names):
            # Only the server's own names (SAFESCHOOL_HOSTS): a page elsewhere whose name is made to point
            # at this server (DNS rebinding) was same-origin with it, and could log in and read it (found
            # by an audit).  The health check answers a monitor or a load balancer under any name.
            return "此服務不接受這個主機名 / this server does not answer to that host name\n", 400
        if _is_open(path):
            return None
        if current_viewer() is not None:
            return None
        from dashboard.downloads import wants_page

        # A download link followed after the session ended leads to the log-in page, as any page does.
        if path.startswith(_API_PREFIXES) and not (path.startswith(_DOWNLOAD_PREFIXES) and wants_page()) \
                or request.method != "GET":
            return jsonify({"error": "login required", "error_zh": "請先登錄"}), 401
        return redirect(f"/login?next={request.full_path.rstrip('?')}")

    @server.route("/login", methods=["GET", "POST"], endpoint="login")
    def _login():

        if request.method == "GET":
            return _login_page(next_url=_safe_next(request.args.get("next")),
                               lang=_language_asked(request.args.get("lang")))
        username = request.form.get("username", "")
        next_url = _safe_next(request.form.get("next"))
        lang = _language_asked(request.form.get("lang"))
        if from_another_site():
            # Log-in CSRF: another site's form would sign this browser in to an account of its choosing
            # (whose uploads the victim then makes).  Found by an audit.
            import logging

            logging.getLogger(__name__).warning(
                "a log-in from another site was refused (Origin %r, Sec-Fetch-Site %r, Host %r)",
                request.headers.get("Origin"), request.headers.get("Sec-Fetch-Site"), request.host)
            return _login_page("login.cross_site", next_url, lang), 403
        from sqlalchemy.exc import SQLAlchemyError

        try:
            if too_many_failures(engine_getter(), username, request.remote_addr):
                return _login_page("login.locked", next_url, lang), 429
            viewer = authenticate(engine_getter(), username, request.form.get("password", ""))
            if viewer is None:
                from sync.audit import record

                record(engine_getter(), failed_login_name(engine_getter(), username), "login_failed", None,
                       {"from": request.remote_addr or ""})
                return _login_page("login.failed", next_url, lang), 401
        except SQLAlchemyError as err:  # a bare 500 while the store was down (found by an audit)
            import logging

            from sync.errors import first_line

            logging.getLogger(__name__).error("log-in: the store cannot be reached: %s", first_line(err))
            return _login_page("login.store_down", next_url, lang), 503
        from flask import session

        session.permanent = True  # expires after SESSION_IDLE without a request, not with the browser only
        login_user(viewer)
        if on_login is not None:
            on_login(viewer)
        if next_url == "/" and viewer.role == "school" and viewer.school_code:
            # A school's safety officer comes for its own score and what to do, not the county's overview.
            next_url = f"/school/{quote(viewer.school_code, safe='')}"
        return redirect(next_url)

    @server.route("/logout", endpoint="logout")
    def _logout():
        if from_another_site(own_site_only=True):
            # A link or redirect on another site must not end every session of the account (log-out is a
            # GET: the navbar's link); the viewer stays logged in and lands on the home page.
            return redirect("/")
        viewer = current_viewer()
        if viewer is not None:
            end_sessions(engine_getter(), viewer)
        logout_user()
        return redirect("/login")

    @server.route("/healthz")
    def _health():
        # "ok" only when the store answers (it said ok while every log-in failed on a store that was down),
        # and is at this code's schema: a worker left running while a newer safeschool upgraded the store
        # would go on writing uploads, findings and publications with its older code; a monitor or a load
        # balancer takes it out until it is restarted (found by the deployment audit).
        from sync.migrate import schema_problem

        try:
            problem = schema_problem(engine_getter())
        except Exception:  # noqa: BLE001 - any driver error means the dashboard cannot serve
            return "the store cannot be reached / 無法連接數據庫", 503
        if problem is not None:
            return f"{problem} (restart the dashboard with the store's version / 請用與數據庫相同版本的程序重新啟動)", 503
        return "ok"
