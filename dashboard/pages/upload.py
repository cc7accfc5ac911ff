"""上傳: a school downloads its pre-filled template, uploads its workbook and sees the report at once.

The school is always the viewer's own (from the session): nothing the browser
sends names it.  The size limit is checked here on the decoded bytes
(SAFESCHOOL_MAX_UPLOAD_MB) and, before any of it is read, by Flask's
MAX_CONTENT_LENGTH (set in dashboard.downloads.install_downloads).
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path

import dash
from dash import Input, Output, State, callback, dcc, html

from dashboard import queries
from dashboard.access import Viewer
from dashboard.downloads import annotated_path
from dashboard.i18n import t, to_language_keeping_cell
from dashboard.layout import (
    T,
    column_shown,
    grade_label,
    guarded,
    lang_of,
    page_year,
    paperwork_list,
    sheet_shown,
    viewer_or_refuse,
)
from dashboard.pages._admin import feedback, refusal_for, text_table
from sync import contract
from sync.report import paperwork_lines
from sync.settings import county_today, get_settings
from sync.store import get_engine

dash.register_page(__name__, path="/upload", name="upload", title="學校本質安全考評")
_log = logging.getLogger(__name__)


def school_or_refuse() -> Viewer:
    viewer = viewer_or_refuse()
    if viewer.role != "school" or not viewer.school_code:
        raise queries.Refused("admin.refused_school_only")
    return viewer


def limit_bytes() -> int:
    return int(get_settings().max_upload_mb * 1024 * 1024)


def layout(**_query):
    refused = refusal_for(school_or_refuse)
    if refused is not None:
        return refused
    viewer = school_or_refuse()
    mb = f"{get_settings().max_upload_mb:g}"
    return html.Div([
        html.H1(T("upload.title"), className="h3 mb-3"),
        html.A(T("upload.template"), href=f"/download/template/{viewer.school_code}", id="upload-template",
               className="btn btn-outline-primary mb-3"),
        html.Div(id="upload-shared-note"),
        # A file over the limit is not sent (max_size): assets/34-upload-size.js says why at once, from the
        # template below (the language switch's).  Sent, a 50 MB workbook of photos was a 67 MB request
        # Flask cut off with a bare 413, and the page said nothing (an upload audit).
        dcc.Upload(
            id="upload-workbook", multiple=False, max_size=limit_bytes(),
            children=html.Div(t("upload.drop", mb=mb), id="upload-drop-label"),
            className="border border-2 border-secondary rounded p-4 text-center bg-light mb-3",
            style={"borderStyle": "dashed", "cursor": "pointer"},
        ),
        html.Span(t("upload.too_big", size="{size}", mb=mb), id="upload-too-big-template", hidden=True),
        html.Div(id="upload-too-big-here", hidden=True, role="alert", className="alert alert-danger",
                 **{"data-max-bytes": str(limit_bytes())}),
        # What the upload came to (the report, plain data of the school's own file), kept so the report
        # is drawn again in the language the switch chooses.
        # The store inside the spinner: the seconds of checking and loading are the store's callback, and with
        # the result alone inside nothing showed meanwhile (found by a UX audit: an officer uploaded again).
        dcc.Loading([dcc.Store(id="upload-outcome"), html.Div(id="upload-result")], type="default"),
    ])


@callback(Output("upload-drop-label", "children"), Output("upload-too-big-template", "children"),
          Input("lang-store", "data"))
def drop_label(lang):
    """The drop zone's label, and what a file over the limit is told in the browser, follow the language
    switch (they carry the size limit, so T() cannot)."""
    mb = f"{get_settings().max_upload_mb:g}"
    return t("upload.drop", lang_of(lang), mb=mb), t("upload.too_big", lang_of(lang), size="{size}", mb=mb)


@callback(Output("upload-shared-note", "children"), Input("lang-store", "data"))
def shared_folder_note(lang):
    """Said before the officer picks a file: a school whose workbook comes through the shared folder has
    every upload refused (load_upload), and learnt it only after trying (found by an audit)."""
    lang = lang_of(lang)

    def render():
        viewer = school_or_refuse()
        current = _current_workbook(viewer, lang)
        shared = queries.admin.shared_folder_copy(viewer)
        if shared is None:
            return current
        if queries.admin.uploaded_copy_too(viewer):
            # both refused at every sync: updating either one, as the note said, changed nothing (an audit)
            return html.Div([current, feedback(t("upload.two_files", lang, file=shared), "warning")])
        return html.Div([current, feedback(t("upload.sends_shared", lang, file=shared), "info")])

    return guarded(render, lang)


def _current_workbook(viewer: Viewer, lang: str):
    """The workbook the school's records come from now, when it was loaded and how many rows: the page said
    nothing of it before an upload, and the officer had to find it on the school page (a UX review)."""
    sources = queries.data_state(viewer, viewer.school_code)["sources"]  # the warmed load (warm_school_loads)
    # A file refused since keeps its earlier records, which the score still counts (sync.load): said so, not
    # "nothing loaded" (a diff review); one removed from the inbox before lost them (rows 0) and counts none.
    loaded = next((src for src in sources if src["status"] == "loaded" and src["loaded_at"]), None) or \
        next((src for src in sources if src["status"] == "refused" and src["loaded_at"] and src["rows"]), None)
    if loaded is None:
        return html.P(t("upload.current_none", lang), className="small text-muted", id="upload-current")
    when = t("data.loaded_at", lang, date=loaded["loaded_at"].strftime("%Y-%m-%d %H:%M"), rows=loaded["rows"] or 0)
    key = "upload.current" if loaded["status"] == "loaded" else "upload.current_refused"
    return html.P(t(key, lang, file=loaded["display_name"] or loaded["source_key"], loaded=when),
                  className="small text-muted", id="upload-current")


def _decode(contents: str) -> bytes | None:
    try:
        _, encoded = contents.split(",", 1)
        return base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error, AttributeError):
        return None


def problems_table(problems: list[dict], lang: str):
    columns = [t(k, lang) for k in ("report.level", "report.sheet", "report.row", "report.column", "report.value",
                                    "report.reason")]
    english = lang == "en"
    level_key = {"file": "report.level_file", "note": "report.level_note"}
    rows = [[t(level_key.get(p["level"], "report.level_row"), lang), sheet_shown(p, lang),
             p["row"] or "", column_shown(p, lang), p["value"] or "",
             p["reason_en"] if english else to_language_keeping_cell(p["reason_zh"], lang, p["value"])]
            for p in problems]
    return text_table(columns, rows, "upload-problems", lang, "upload.no_problems", chinese=(4, 5))


def _keep_annotated(viewer: Viewer, data: bytes, report) -> bool:
    """Write the annotated copy the school can download; False when there is nothing to annotate."""
    from sync.report import annotate_workbook

    path = annotated_path(viewer.school_code)
    if not any(p.sheet for p in report.problems):  # nothing to mark in the workbook (an unreadable file)
        path.unlink(missing_ok=True)
        return False
    try:
        annotated = annotate_workbook(data, report)
    except Exception:  # a file too broken to annotate still gets its report table
        _log.exception("could not annotate the upload of %s", viewer.school_code)
        path.unlink(missing_ok=True)
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    # Whole or not at all: a worker killed mid-write left half a workbook to download (an audit).
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    partial.write_bytes(annotated)
    os.replace(partial, path)
    return True


def _score_line(viewer: Viewer, year: int, lang: str):
    result = queries.admin.own_draft_score(viewer, year)
    if result is None or result.get("total") is None:
        return html.P(t("upload.no_score", lang), className="text-muted", id="upload-score")
    line = [t("upload.score", lang, year=year, total=f"{result['total']:.1f}",
              grade=grade_label(result.get("grade"), lang) if result.get("grade") else "–")]
    published = queries.published_total(viewer, year)
    if published is not None:  # the school page shows the frozen result: say why it differs
        line.append(html.Div(t("upload.score_published", lang, year=year, total=f"{published:.1f}"),
                             className="small text-muted fw-normal"))
    return html.P(line, className="fs-5 fw-semibold", id="upload-score")


# As many as the school page's problem list shows: a workbook of 15,000 bad rows gave a table of 30,000
# lines, 10 MB sent to the browser and drawn again at every language switch.  All of them are in the
# marked-up workbook's list.
SHOWN_PROBLEMS = 200

# What an upload can come to, and the values its message takes (show_outcome draws only these).
_OUTCOMES = {"upload.refused": set(), "upload.busy": set(), "upload.wait": set(), "upload.in_progress": set(),
             "upload.empty": set(),
             "upload.loaded_with_problems": {"count"},
             "upload.loaded": {"rows"}, "upload.unreadable": set(), "upload.too_big": {"size", "mb"},
             "upload.refused_shared": {"file"}, "upload.refused_two_files": {"file"}, "upload.refused_not_own": {"code"},
             "upload.refused_bureau": set()}
# Refusals that fixing the file cannot overcome: the banner says what to do instead, and neither the
# file's problems (another school's rows) nor a marked-up copy of it are offered; of another school's
# workbook only the problem that refuses it (its 學校概況's 學校代碼) is listed.
NOT_THIS_WAY = ("upload.refused_shared", "upload.refused_two_files", "upload.refused_not_own", "upload.refused_bureau")
# Outcomes with no problem list: nothing of the file was read, or no fix of it gets it in (another school's
# workbook lists the one problem that refuses it, when there is one).
WITHOUT_PROBLEMS = ("upload.unreadable", "upload.empty", "upload.too_big", "upload.wait", "upload.in_progress",
                    *(key for key in NOT_THIS_WAY if key != "upload.refused_not_own"))


def not_this_way(report, school_code: str, shared_file: str | None, two_files: bool = False) -> tuple[str, dict] | None:
    """The refusal no corrected upload would get past, as sync.upload.load_upload decides it, or None: the
    school sends its workbook through the shared folder (`shared_file`), or the workbook is the bureau's
    or another registered school's (its 學校概況 names another registered code)."""
    from sync.report import BUREAU_WORKBOOK

    if not report.refused:
        return None
    if shared_file:
        return ("upload.refused_two_files" if two_files else "upload.refused_shared"), {"file": shared_file}
    if report.kind == BUREAU_WORKBOOK:
        return "upload.refused_bureau", {}
    if report.for_another_school:
        return "upload.refused_not_own", {"code": str(report.school_code)}
    return None


def _outcome(report, annotated: bool, year: int, school_code: str | None = None,
             shared_file: str | None = None, two_files: bool = False) -> dict:
    """The report as plain data (the school's own file's problems), for the store and the render; for a
    refusal no corrected file gets past (not_this_way), only what to do instead."""
    run = getattr(report, "run", None)
    instead = None if report.busy or school_code is None else not_this_way(report, school_code, shared_file, two_files)
    if instead is not None:
        key, values = instead
        why = [p for p in report.problems if key == "upload.refused_not_own" and _names_another_school(p)]
        return {"status": (key, values, "danger"), "problems": _plain(why), "total": len(why), "annotated": False,
                "year": year}
    if report.busy:
        status = ("upload.wait", {}, "warning")
    elif report.refused:
        status = ("upload.refused", {}, "danger")
    elif run is not None and getattr(run, "status", "") == "busy":
        status = ("upload.busy", {}, "warning")
    elif report.row_problems:
        status = ("upload.loaded_with_problems", {"count": len(report.row_problems)}, "warning")
    else:
        status = ("upload.loaded", {"rows": report.rows_read}, "success")
    # File problems first (they decide), then rows as the report has them, cut to what a page can show.
    first = sorted(report.problems, key=lambda p: p.level != "file")[:SHOWN_PROBLEMS]
    return {"status": status, "problems": _plain(first), "total": len(report.problems), "annotated": annotated,
            "year": year, "paperwork": paperwork_lines(report)[:SHOWN_PROBLEMS]}


def _plain(problems) -> list[dict]:
    return [{"level": p.level, "sheet": p.sheet, "row": p.row, "column": p.column, "value": p.value,
             "reason_zh": p.reason_zh, "reason_en": p.reason_en, "sheet_key": p.sheet_key,
             "column_key": p.column_key} for p in problems]


def _names_another_school(problem) -> bool:
    """The file problem load_upload refuses another school's workbook with: on 學校概況's 學校代碼."""
    return problem.level == "file" and problem.sheet_key == "school" and \
        problem.column == contract.sheet("school").column("school_code").zh


def _too_big(size_bytes: int, year) -> dict:
    return {"status": ("upload.too_big", {"size": f"{size_bytes / 1048576:.1f}", "mb": f"{get_settings().max_upload_mb:g}"},
                       "danger"), "problems": [], "annotated": False, "year": year}


# Beyond this a request is cut off with a bare 413: a workbook with photos may be a few times the limit
# and gets its answer; reading much more to answer politely is not worth a worker (found by an audit).
DRAINED_BYTES = 48 * 1024 * 1024


def answer_oversized_uploads(server) -> None:
    """A workbook far over the limit is refused by Flask (MAX_CONTENT_LENGTH, 413) before the upload
    callback runs, and a bare 413 leaves the school looking at an empty page: answer it as that
    callback would have (only the upload callback carries megabytes), for a school's session."""
    from flask import request
    from werkzeug.exceptions import RequestEntityTooLarge

    @server.errorhandler(RequestEntityTooLarge)
    def _oversized(err):
        try:
            school_or_refuse()
        except queries.Refused:
            return err
        if not request.path.endswith("/_dash-update-component"):
            return err
        length = request.content_length or 0
        if length > DRAINED_BYTES:
            return err
        # Read to the end and dropped, not kept: a server that answers while the browser is still
        # sending resets the connection, and the browser reports a failed request instead of our answer.
        stream = request.environ["wsgi.input"]
        while length > 0:
            chunk = stream.read(min(length, 1 << 20))
            if not chunk:
                break
            length -= len(chunk)
        # base64 in Dash's JSON: 4/3 of the file
        size = int((request.content_length or 0) * 3 / 4)
        return {"multi": True, "response": {"upload-outcome": {"data": _too_big(size, None)}}}


@contextmanager
def one_upload_of_the_school(school_code: str):
    """Yields whether this request is the only upload of the school being loaded now.

    Each upload is checked, synced and scored inside its request (seconds); sync.upload.load_upload takes
    them one after the other, waiting for the school's lock, so six uploads of one school at once held
    every gunicorn worker and /healthz waited 30 s.  Here a second one is refused at once instead: an
    flock()ed file beside the annotated workbooks (every worker sees it), tried once, never waited on."""
    path = annotated_path(school_code).with_name(f".{school_code}.loading")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        except OSError as err:  # a share that keeps no locks (ENOLCK): load_upload's own lock still orders them
            _log.warning("the upload guard of %s could not be taken (%s); going on without it", school_code, err)
        yield True
    finally:
        os.close(fd)  # closing releases the lock


@callback(Output("upload-outcome", "data"), Input("upload-workbook", "contents"),
          State("upload-workbook", "filename"), State("year", "value"), prevent_initial_call=True)
def receive_workbook(contents, filename, year):
    """Check, store and load the school's own workbook; the report is drawn by show_outcome."""
    from sync.upload import load_upload

    try:
        viewer = school_or_refuse()
        year = page_year(year) if year else county_today().year
    except (queries.Refused, ValueError, TypeError):  # show_outcome says why, in the reader's language
        return {"status": None}
    data = _decode(contents or "")
    if not data:
        # an empty file is said to be one (it read "could not be read; choose the file again": an upload audit)
        key = "upload.empty" if data == b"" else "upload.unreadable"
        return {"status": (key, {}, "danger"), "problems": [], "annotated": False, "year": year}
    if len(data) > limit_bytes():
        return _too_big(len(data), year)
    name = Path(str(filename or "upload.xlsx")).name
    with one_upload_of_the_school(viewer.school_code) as first:
        if not first:  # answered at once: six uploads of one school held every worker (found by an audit)
            return {"status": ("upload.in_progress", {}, "warning"), "problems": [], "annotated": False, "year": year}
        report = load_upload(get_engine(), data, name, viewer.school_code, Path(get_settings().inbox),
                             by=viewer.username)
        if report.busy:  # nothing of this upload was kept: the marked-up copy of the last one stays
            return _outcome(report, annotated_path(viewer.school_code).is_file(), year)
        shared = queries.admin.shared_folder_copy(viewer) if report.refused else None
        if not_this_way(report, viewer.school_code, shared) is not None:
            # Not the school's file, or not the school's way in: no marked-up copy of it (the last one stays).
            two = shared is not None and queries.admin.uploaded_copy_too(viewer)
            return _outcome(report, False, year, viewer.school_code, shared, two)
        return _outcome(report, _keep_annotated(viewer, data, report), year, viewer.school_code)


@callback(Output("upload-result", "children"), Input("upload-outcome", "data"), Input("lang-store", "data"),
          prevent_initial_call=True)
def show_outcome(outcome, lang):
    """The report and the new score, in the language chosen now (the switch redraws it)."""
    lang = lang_of(lang)

    def render():
        viewer = school_or_refuse()
        if not outcome or not outcome.get("status"):
            return None
        key, values, colour = outcome["status"]
        if key not in _OUTCOMES or not isinstance(values, dict) or set(values) != _OUTCOMES[key]:
            raise ValueError("an upload outcome this page never stores")  # guarded: a message, not a 500
        parts = [feedback(t(key, lang, **values), colour, "upload-status")]
        if key not in WITHOUT_PROBLEMS and not (key == "upload.refused_not_own" and not outcome["problems"]):  # no "no problems found"
            parts.append(problems_table(outcome["problems"], lang))
        total = int(outcome.get("total") or 0)
        if total > len(outcome["problems"]):
            parts.append(html.P(t("upload.more_problems", lang, shown=len(outcome["problems"]), total=f"{total:,}"),
                                className="small text-muted", id="upload-more-problems"))
        if outcome.get("paperwork") and key not in NOT_THIS_WAY:
            parts.append(paperwork_list(outcome["paperwork"], lang, "upload-paperwork"))
        if outcome["annotated"] and key not in NOT_THIS_WAY:
            parts.append(html.A(t("upload.annotated", lang), href=f"/download/annotated/{viewer.school_code}",
                                id="upload-annotated", className="btn btn-outline-secondary mb-3"))
        if key not in ("upload.unreadable", "upload.too_big", "upload.in_progress"):
            parts.append(_score_line(viewer, page_year(outcome["year"]), lang))
        return html.Div(parts)

    return guarded(render, lang)
