"""The Dash app: pages from dashboard/pages, assets from the top-level assets/, log-in in front.

gunicorn serves `dashboard.app:server` (`safeschool serve`).  Nothing here
loads a resource from outside this server: Bootstrap and our CSS come from
assets/, Dash and Plotly from their installed packages, fonts from the system.
The scheduler never runs here (APScheduler must not run inside gunicorn
workers); the sync has its own process.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import pkgutil
import sys
from pathlib import Path

from dash import Dash

from dashboard import access, layout
from dashboard.i18n import t
from sync.store import get_engine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Dash's scripts in a plain element, not Dash's default <footer>: a second footer was a second "content
# information" landmark beside the page's own (layout.shell), two for a screen reader to tell apart.
INDEX = """<!DOCTYPE html>
<html lang="zh-Hant">
<head>
{%metas%}
<title>{%title%}</title>
{%favicon%}
{%css%}
</head>
<body>
{%app_entry%}
<div hidden>
{%config%}
{%scripts%}
{%renderer%}
</div>
</body>
</html>"""


def create_app() -> Dash:
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",  # the pages are imported below by their package name (never twice under two names)
        assets_folder=str(ROOT / "assets"),
        external_stylesheets=[],
        external_scripts=[],
        serve_locally=True,
        suppress_callback_exceptions=True,
        title=t("app.title"),
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.index_string = INDEX
    _import_pages()
    server = app.server
    access.install(server, get_engine)
    access.install_gate(server, get_engine, on_login=_on_login)
    _install_hardening(app)
    _install_extras(server)
    from dashboard.pages import upload

    upload.answer_oversized_uploads(server)
    app.layout = layout.shell
    _set_up_before_serving(app)
    return app


def _set_up_before_serving(app: Dash) -> None:
    """Do Dash's first-request setup now, in the worker that imports the app, before any request.

    Dash does it in its first request's before_request, marking it done before registering the scripts
    it may serve; under the Procfile's threads a fresh worker's other first requests (a browser loading
    the page's scripts at once after a restart) found none registered and got a 500, 'dash is not a
    registered library', and a page that never drew (found by the deployment audit)."""
    with app.server.test_request_context("/"):
        app._setup_server()  # Dash's own, private: it offers no public way to set up before serving


def _import_pages() -> None:
    """Import every module of dashboard/pages by its package name (each registers its page).

    Dash's own folder scan would import them as `pages.<name>`, a second copy beside
    `dashboard.pages.<name>` once anything imports them properly; so we import them
    here and hand Dash each module's layout as its scan would.
    """
    import dash

    from dashboard import pages

    for info in sorted(pkgutil.iter_modules(pages.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"dashboard.pages.{info.name}")
        entry = dash.page_registry.get(module.__name__)
        if entry is not None and entry.get("layout") is None and hasattr(module, "layout"):
            entry["layout"] = module.layout


def _on_login(viewer: access.Viewer) -> None:
    """After a successful log-in: the audit trail (dashboard.audit, the accounts issue) records it."""
    from dashboard import audit

    audit.record_login(viewer)


# Callback answers and the layout carry school data: no browser or proxy keeps a copy.
_NO_STORE_PATHS = ("/_dash-update-component", "/_dash-layout")


def _install_hardening(app: Dash) -> None:
    """What every response says to the browser, the favicon, and callback requests Dash cannot read.

    Found by an audit: any site could frame the dashboard (clickjacking a publish); /favicon.ico, open
    without a session, was Dash's app shell (its config and versions); a callback body of null, [] or
    {} was a 500 with a traceback.  No Content-Security-Policy for scripts: Dash's renderer runs
    inline scripts of its own."""
    from flask import abort, jsonify, request, send_file

    server = app.server

    @server.after_request
    def _headers(response):
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        if request.path.endswith(_NO_STORE_PATHS):
            response.headers["Cache-Control"] = "no-store"
        return response

    from dash.exceptions import DependencyException

    @server.errorhandler(DependencyException)
    def _no_such_script(_err):
        # Dash's answer to a script address it never registered (/_dash-component-suites/dash/nope.js) was a
        # 500, with the list of every script it serves in the log (found by an adversarial audit).
        return jsonify({"error": "no such file", "error_zh": "沒有這個文件"}), 404

    @server.route("/favicon.ico", endpoint="favicon")
    def _favicon():
        icon = ROOT / "assets" / "favicon.ico"
        if not icon.is_file():
            abort(404)
        return send_file(icon, mimetype="image/x-icon", max_age=86400)

    @server.before_request
    def _callback_body():
        # After the gate (installed first): a request without a session has had its 401.
        if request.method != "POST" or not request.path.endswith("/_dash-update-component"):
            return None
        limit = server.config.get("MAX_CONTENT_LENGTH")
        if limit and (request.content_length or 0) > limit:
            return None  # Flask's 413, answered as the upload page answers it (dashboard.pages.upload)
        try:
            body = request.get_json(silent=True)  # kept by Flask: Dash reads this same parse
        except RecursionError:  # JSON nested deeper than Python parses
            body = None
        if not _callback_body_ok(body, app.callback_map):
            return jsonify({"error": "not a callback request", "error_zh": "不是有效的頁面請求"}), 400
        return None


def _callback_body_ok(body, callbacks: dict) -> bool:
    """Whether `body` is a request Dash's dispatch can read for a callback of this app: the parts it
    reads, each of the kind it reads it as, and the inputs, states and outputs that callback has, in its
    order (Dash set `callbacks` up before this runs).  Anything else was a 500 with a traceback in the
    log, one per request (found by two audits)."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str) \
            or not isinstance(body.get("inputs"), list):
        return False
    spec = callbacks.get(body["output"])
    if spec is None:
        return not callbacks  # an output no callback writes (the map is never empty once Dash is set up)
    if "callback" not in spec:
        return False  # one the browser runs itself (a clientside callback): the server has no function for it
    changed = body.get("changedPropIds", [])
    return (_dependencies_sent(body["inputs"], spec.get("inputs", []))
            and _dependencies_sent(body.get("state", []), spec.get("state", []))
            and _outputs_sent(body.get("outputs"), body["output"])
            and isinstance(changed, list) and all(isinstance(c, str) for c in changed)
            and _router_path_ok(body["inputs"]))


def _dependencies_sent(sent, expected: list[dict]) -> bool:
    """Inputs (or states) as the browser sends them: one per dependency, the same component and property."""
    return isinstance(sent, list) and len(sent) == len(expected) and all(
        _names(item, str(want["id"]), lambda prop, want=want: prop == want["property"])
        for item, want in zip(sent, expected, strict=True))


def _outputs_sent(sent, output_key: str) -> bool:
    """`outputs` as the browser sends them: an object for one output, a list for several (the key
    "..a.children...b.data.."), naming the callback's components."""
    multi = output_key.startswith("..")
    parts = output_key.strip(".").split("...") if multi else [output_key]
    items = sent if multi else [sent]
    return isinstance(items, list) and len(items) == len(parts) and all(
        _names(item, part.rsplit(".", 1)[0], lambda prop: isinstance(prop, str))
        for item, part in zip(items, parts, strict=True))


def _names(item, ident: str, property_ok) -> bool:
    """Whether one sent dependency names component `ident` with a property `property_ok` takes; a
    pattern-matching one (its id a JSON object) as one object or, for ALL, a list of them."""
    if ident.startswith("{"):
        return all(isinstance(i, dict) and isinstance(i.get("id"), dict) and property_ok(i.get("property"))
                   for i in (item if isinstance(item, list) else [item]))
    return isinstance(item, dict) and item.get("id") == ident and property_ok(item.get("property"))


def _router_path_ok(inputs: list[dict]) -> bool:
    """Dash pages' router reads the address as a path on this server: a pathname of null, 5 or "abc" (no
    browser sends one) raised inside Dash."""
    for item in inputs:
        if isinstance(item, dict) and item.get("id") == "_pages_location":
            value = item.get("value")
            if item.get("property") == "pathname" and not (isinstance(value, str) and value.startswith("/")):
                return False
            if item.get("property") == "search" and not (value is None or isinstance(value, str)):
                return False
    return True


def _install_extras(server) -> None:
    """Routes other parts add on this server (downloads of the circular and a school's files), when present."""
    if importlib.util.find_spec("dashboard.downloads") is not None:
        from dashboard import downloads

        downloads.install_downloads(server, get_engine)


def _log_like_the_scheduler() -> None:
    """The web process's own lines with their time, level and worker, as the scheduler's have (gunicorn's
    own access and error lines keep theirs); INFO kept (an audit: they came bare, and info was dropped).
    Nothing is changed where logging was set up before (a test, an embedding server)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s [%(process)d] %(name)s %(levelname)s %(message)s")


def _created_or_said() -> Dash:
    """The app, or one line saying which setting is wrong and gunicorn's boot-error exit (3, which stops its
    master rather than booting the worker again and again): a wrong setting gave a forty-line traceback
    ending in it (a review)."""
    from sync.settings import ConfigError

    try:
        return create_app()
    except ConfigError as err:
        zh = f"{err.zh} / " if getattr(err, "zh", None) else ""
        print(f"safeschool: 配置有誤：{zh}configuration: {err}", file=sys.stderr, flush=True)
        raise SystemExit(3) from None


_log_like_the_scheduler()
app = _created_or_said()
server = app.server

from dashboard import warm  # noqa: E402  (after the app: the warm-up renders its pages)

warm.start_in_gunicorn_worker()
