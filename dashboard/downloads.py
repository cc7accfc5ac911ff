"""Download routes: the circular, a school's own table, its template and its annotated workbook.

Every route asks `current_viewer()` (the server session) who is calling and
refuses what that viewer may not have: a school gets only its own files
however the URL is written, and only the bureau (admin, leader) gets the
circular.  The gate in dashboard.access already answers 401 to anyone not
logged in; the checks here are the second line and hold even without it.

`circular_file` and `school_export` are shared with `safeschool export`.
"""

from __future__ import annotations

import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from sqlalchemy.engine import Engine

from dashboard import exports
from sync.errors import UserError
from sync.settings import county_today

CIRCULAR_FORMATS = ("xlsx", "docx", "csv")
SCHOOL_FORMATS = ("xlsx", "csv")
_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")


def circular_results(engine: Engine, year: int, draft: bool,
                     indicators_of: str | None = None) -> tuple[list[dict], exports.Circular]:
    """The results a circular is built from (the active publication, or the draft) and its wording.
    indicators_of: the one school whose indicators are read (sync.results.annual_results)."""
    from sync.results import active_publication, annual_results, draft_as_of, list_publications

    publication = None if draft else active_publication(engine, year)
    if not draft and publication is None and draft_as_of(engine, year) is None:
        # Nothing to publish either: "export a draft" would send the bureau to a second refusal.
        raise UserError(f"{year} has no results, published or draft; sync the schools' workbooks for {year} first "
                        f"(`safeschool score --year {year}` shows what there is)",
                        zh=f"{year}年度沒有任何考評結果（未發布，也沒有草稿）；請先同步學校工作簿")
    if not draft and publication is None:
        raise UserError(f"{year} has not been published yet (the bureau publishes it); a draft can be exported now "
                        "(`safeschool export --draft`, or the draft on the exports page)",
                        zh=f"{year}年度尚未發布（由教體局發布）；現在可以導出草稿")
    # The circular reads a few numbers of each school's indicators (exports.CIRCULAR_INDICATOR_FIELDS); one
    # school's table, all of its own.
    results = annual_results(engine, year, publication="draft" if draft else "active", indicators_of=indicators_of,
                             indicator_fields=None if indicators_of else exports.CIRCULAR_INDICATOR_FIELDS)
    replaces = None
    if publication and publication["version"] > 1:
        earlier = [p for p in list_publications(engine, year) if p["version"] < publication["version"]]
        replaces = earlier[-1]["published_at"] if earlier else None
    return results, circular_of(year, draft, results, publication, replaces)


def circular_of(year: int, draft: bool, results: list[dict], publication: dict | None,
                replaces: datetime | None) -> exports.Circular:
    """The circular's wording for the publication (or the draft): issued the day it was published, and a
    second version naming the day of the one it replaces."""
    issued = publication["published_at"].date() if publication and isinstance(publication["published_at"], datetime) else county_today()
    version = publication["version"] if publication else 1
    replaced = replaces.date() if version > 1 and isinstance(replaces, datetime) else None
    return exports.circular_from_config(year, draft, issued, results, version, replaced)


def publication_files(year: int, results: list[dict], publication: dict, replaces: datetime | None) -> list[dict]:
    """The circular's files a publication keeps (sync.results.publish): each format the exports page
    offers, in the one language its files are written in, named as their download is."""
    circular = circular_of(year, False, results, publication, replaces)
    return [{"format": fmt, "language": exports.FILES_LANGUAGE, "content": exports.circular_bytes(results, circular, fmt),
             "file_name": exports.file_name(year, False, fmt, version=circular.version)} for fmt in CIRCULAR_FORMATS]


class CircularFile(NamedTuple):
    data: bytes
    name: str
    schools: int
    kept: dict | None  # the publication whose kept file it is ({published_at, version}); None: made now


def circular_file(engine: Engine, year: int, draft: bool, fmt: str) -> CircularFile:
    """The circular as the route and `safeschool export` give it: a published year's as kept when it was
    published (the same bytes whatever version runs now); a draft's, or that of a publication made by a
    version that kept no files, made now."""
    from sync.results import kept_circular

    # The kept bytes need no results read (a county's annual rows with their indicators, a second at
    # 3,000 schools): only their count, for the audit line.
    kept = None if draft else kept_circular(engine, year, fmt, exports.FILES_LANGUAGE)
    if kept is not None:
        return CircularFile(kept["content"], kept["file_name"], kept["schools"],
                            {"published_at": kept["published_at"], "version": kept["version"]})
    results, circular = circular_results(engine, year, draft)
    return CircularFile(exports.circular_bytes(results, circular, fmt),
                        exports.file_name(year, draft, fmt, version=circular.version), len(results), None)


def school_export(engine: Engine, year: int, school_code: str, draft: bool) -> tuple[dict, exports.Circular]:
    """A school's result and the publication (or draft) it comes from, which its table names.  Only its own
    indicators are read: every school's, parsed for one school's table, were 60 MB at 1,000 schools held
    by the worker after the download (a scale audit)."""
    results, circular = circular_results(engine, year, draft, indicators_of=school_code)
    for result in results:
        if result.get("school_code") == school_code:
            return result, circular
    raise UserError(f"no {year} result for school {school_code}", zh=f"{year}年度沒有學校 {school_code} 的考評結果")


def wants_page() -> bool:
    """The request comes from a browser following a link (it prefers HTML to JSON)."""
    from flask import request

    # Only an Accept that names text/html itself: curl, wget and python-requests send */*, and get JSON.
    accept = request.accept_mimetypes
    named = {mimetype for mimetype, _quality in accept}
    return "text/html" in named and accept["text/html"] >= accept["application/json"]


def refusal_page(zh: str, en: str) -> str:
    """A refused download as a page a person can read, in both languages, with the way back."""
    from html import escape

    return (
        '<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8"><title>學校本質安全考評</title>'
        '<link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="/assets/00-bootstrap-5.3.3.min.css"></head><body class="p-4">'
        f'<div class="alert alert-warning"><p class="mb-1">{escape(zh)}</p><p class="mb-0" lang="en">{escape(en)}</p></div>'
        '<a class="btn btn-primary" href="/">返回首頁 / Back to the dashboard</a></body></html>'
    )


def annotated_dir() -> Path:
    """Where the last annotated upload of each school is kept (beside the inbox, shared by every worker)."""
    from sync.settings import get_settings

    return Path(get_settings().inbox).resolve().parent / "annotated"


def annotated_path(school_code: str) -> Path:
    if not _CODE.match(school_code or ""):
        raise UserError(f"school code {school_code!r} is not valid", zh=f"學校代碼「{school_code}」無效")
    return annotated_dir() / f"{school_code}.xlsx"


def registry_entry(engine: Engine, school_code: str) -> dict | None:
    """The school's registry entry as the sync checks against it (the bureau workbook's over a query's);
    a school on a registry row refused for another cell is registered, with its code alone."""
    from sync.report import registry_in_store

    registry = registry_in_store(engine) or {}
    if school_code not in registry:
        return None
    entry = registry[school_code] or {}
    return {"school_code": school_code, **{k: entry.get(k) for k in ("name", "type", "township")}}


def template_bytes(engine: Engine, school_code: str) -> bytes:
    """The school workbook template pre-filled with the school's registry entry."""
    from sync.template import write_template

    school = registry_entry(engine, school_code)
    if school is None:
        # the English and the Chinese apart: the refusal shows each in its own paragraph and JSON field
        raise UserError(f"school {school_code} is not in the registry", zh=f"學校代碼 {school_code} 不在學校名冊中")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{school_code}.xlsx"
        write_template(path, school=school)
        return path.read_bytes()


def request_limit() -> int:
    """Largest request body Flask accepts: an upload of the configured size, base64-encoded inside
    Dash's JSON (4/3 of it), plus room for the rest of the request.  Anything bigger is answered
    413 before it is read into memory."""
    from sync.settings import get_settings

    return int(get_settings().max_upload_mb * 1024 * 1024 * 4 / 3) + 1024 * 1024


def install_downloads(server, engine_getter=None) -> None:
    """Register the /download/... routes on the Dash app's Flask server."""
    from flask import Response, abort, jsonify, request

    from dashboard import audit
    from dashboard.access import current_viewer
    from sync.store import get_engine

    engine_of = engine_getter or get_engine
    server.config["MAX_CONTENT_LENGTH"] = request_limit()

    def refuse(status: int, zh: str, en: str):
        # A person who clicked a link reads a page, in Chinese and English (the server does not know the
        # switch's choice), with the way back; a program gets JSON.
        if wants_page():
            return refusal_page(zh, en), status
        return jsonify({"error": en, "error_zh": zh}), status

    def attachment(data: bytes, name: str, mimetype: str) -> Response:
        # content_type, taken as given: a mimetype is given a charset by Flask, and exports.FORMATS names the
        # CSV's own ("text/csv; charset=utf-8; charset=utf-8" it was)
        response = Response(data, content_type=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response

    def viewer_or_401():
        viewer = current_viewer()
        if viewer is None:
            abort(401)
        return viewer

    def draft_asked() -> bool:
        return request.args.get("draft", "").lower() in ("1", "true", "yes")

    def no_such_year(year: int):
        # /download/circular/99999999999999999999.csv was a 500 (SQLite takes no integer that big)
        from dashboard.layout import page_year

        try:
            page_year(year)
        except ValueError:
            return refuse(404, "沒有這個年度", "no such year")
        return None

    @server.route("/download/circular/<int:year>.<fmt>", endpoint="download_circular")
    def _circular(year: int, fmt: str):
        viewer = viewer_or_401()
        if not viewer.is_bureau:
            return refuse(403, "只有教體局賬號可以導出通報", "only bureau accounts export the circular")
        if fmt not in CIRCULAR_FORMATS:
            return refuse(404, "不支持的格式", "unknown format")
        if (refused := no_such_year(year)) is not None:
            return refused
        draft = draft_asked()
        try:
            made = circular_file(engine_of(), year, draft, fmt)
        except UserError as err:
            return refuse(404, err.zh or str(err), str(err))
        audit.record(engine_of(), viewer.username, "export", None,
                     {"what": "circular", "year": year, "format": fmt, "draft": draft, "schools": made.schools,
                      "kept": made.kept is not None})
        return attachment(made.data, made.name, exports.FORMATS[fmt])

    @server.route("/download/school/<code>/<int:year>.<fmt>", endpoint="download_school")
    def _school(code: str, year: int, fmt: str):
        viewer = viewer_or_401()
        if not viewer.can_see_school(code):
            return refuse(403, "只能導出本校資料", "a school exports only its own data")
        if fmt not in SCHOOL_FORMATS:
            return refuse(404, "不支持的格式", "unknown format")
        if (refused := no_such_year(year)) is not None:
            return refused
        draft = draft_asked()
        try:
            result, circular = school_export(engine_of(), year, code, draft)
        except UserError as err:
            return refuse(404, err.zh or str(err), str(err))
        data = exports.school_bytes(result, year, draft, fmt, circular)
        audit.record(engine_of(), viewer.username, "export", code,
                     {"what": "school", "year": year, "format": fmt, "draft": draft})
        return attachment(data, exports.file_name(year, draft, fmt, code, circular.version), exports.FORMATS[fmt])

    @server.route("/download/template/<code>", endpoint="download_template")
    def _template(code: str):
        viewer = viewer_or_401()
        if not viewer.can_see_school(code):
            return refuse(403, "只能下載本校模板", "a school downloads only its own template")
        try:
            data = template_bytes(engine_of(), code)
        except UserError as err:
            return refuse(404, err.zh or str(err), str(err))
        return attachment(data, f"template-{code}.xlsx", exports.FORMATS["xlsx"])

    @server.route("/download/<path:rest>", endpoint="download_unknown")
    def _unknown(rest: str):
        # /download/circular/abc.xlsx matches none of the routes above (a year is digits): without this it
        # fell to the app's own "page not found", a 200 in one language (an audit).
        viewer_or_401()
        return refuse(404, "沒有這個下載（年度要寫成數字，如 2026）", "no such download (a year is written in digits, "
                      "such as 2026)")

    @server.route("/download/annotated/<code>", endpoint="download_annotated")
    def _annotated(code: str):
        viewer = viewer_or_401()
        if not viewer.can_see_school(code):
            return refuse(403, "只能下載本校的標註工作簿", "a school downloads only its own annotated workbook")
        try:
            path = annotated_path(code)
        except UserError as err:
            return refuse(404, err.zh or str(err), str(err))
        if not path.is_file():
            return refuse(404, "尚無標註工作簿，請先上傳", "no annotated workbook yet: upload one first")
        return attachment(path.read_bytes(), f"checked-{code}.xlsx", exports.FORMATS["xlsx"])
