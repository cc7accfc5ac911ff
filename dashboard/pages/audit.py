"""審計: who logged in, uploaded, inspected, published and exported, and the sync history (admins only)."""

from __future__ import annotations

import json
from datetime import datetime

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, dcc, html

from dashboard import audit, queries
from dashboard.access import UNKNOWN_NAME_MARK, current_viewer
from dashboard.i18n import bilingual_text, catalogue, t, to_language
from dashboard.layout import T, lang_of, message
from dashboard.pages._admin import bureau_or_refuse, feedback, refusal_for, text_table
from sync.cells import is_missing

dash.register_page(__name__, path="/admin/audit", name="audit", title="學校本質安全考評")


def layout(**_query):
    refused = refusal_for(bureau_or_refuse)
    if refused is not None:
        return refused
    # What the office checks every day first (whose workbook is missing or refused, how the last runs went),
    # then the trail: below the log-ins it was a long scroll away (found by an audit).
    return html.Div([
        html.H1(T("audit.title"), className="h3 mb-3"),
        dbc.Card([dbc.CardHeader(T("audit.submissions", tag=html.H2, className="h6 mb-0")),
                  dbc.CardBody(html.Div(id="audit-submissions"))], className="mb-3 shadow-sm"),
        dbc.Card([dbc.CardHeader(T("audit.syncs", tag=html.H2, className="h6 mb-0")),
                  dbc.CardBody(html.Div(id="audit-syncs"))], className="mb-3 shadow-sm"),
        # the trail under a heading of its own, its filter named (a UX review: it began with a bare dropdown)
        dbc.Card([dbc.CardHeader(T("audit.trail", tag=html.H2, className="h6 mb-0")),
                  dbc.CardBody([
                      dbc.Label(T("audit.filter"), html_for="audit-action", className="small text-muted mb-1"),
                      dcc.Dropdown(id="audit-action", placeholder=t("audit.all"), className="mb-2 no-print",
                                   options=[], style={"maxWidth": "20rem"}),  # the viewer's actions: action_choices
                      html.Div(id="audit-entries")])], className="shadow-sm"),
    ])


def _known(key: str, fallback, lang: str) -> str:
    """The catalogue's label when it has one, else the stored word as it is (a value added later still shows)."""
    return t(key, lang) if key in catalogue() else str(fallback or "")


def sync_summary(summary, lang: str) -> str:
    """A sync run's summary in words: sources per outcome, rows added, removed and refused."""
    if not isinstance(summary, dict) or not summary:
        return _detail(summary, lang)
    parts = []
    counts = summary.get("counts") or {}
    if counts:
        shown = "、" if lang != "en" else ", "
        parts.append(t("audit.sync_sources", lang, counts=shown.join(
            f"{_known(f'sync.action.{k}', k, lang)} {n}" for k, n in counts.items())))
    if "rows_added" in summary:
        parts.append(t("audit.sync_rows", lang, added=summary.get("rows_added", 0),
                       removed=summary.get("rows_removed", 0), rejected=summary.get("rows_rejected", 0)))
    not_loaded = summary.get("not_loaded")
    if isinstance(not_loaded, list) and not_loaded:
        more = sum((summary.get("counts") or {}).get(k, 0) for k in ("refused", "failed")) - len(not_loaded)
        parts.append(t("audit.sync_not_loaded", lang, files=("、" if lang != "en" else ", ").join(map(str, not_loaded)))
                     + (t("audit.sync_more", lang, more=more) if more > 0 else ""))
    return ("；" if lang != "en" else "; ").join(parts) or _detail(summary, lang)


def _detail(detail, lang: str = "en") -> str:
    """An audit row's details as "key: value" pairs in the reader's words: admins read them, they do not
    parse them.  A key the catalogue does not name shows as stored."""
    if not detail:
        return ""
    if not isinstance(detail, dict):
        return json.dumps(detail, ensure_ascii=False)
    words = catalogue()

    def value_text(key, value):
        if isinstance(value, bool):
            return t(f"audit.{str(value).lower()}", lang)
        if key in _WORDED_VALUES and isinstance(value, str):
            # a role or a kind of change in the reader's words (「角色: school」「變更: add」 were raw)
            return _known(_WORDED_VALUES[key].format(value), value, lang)
        return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value

    chinese = lang != "en"
    return ("；" if chinese else "; ").join(
        f"{t(f'audit.key.{key}', lang) if f'audit.key.{key}' in words else key}{'：' if chinese else ': '}"
        f"{value_text(key, value)}" for key, value in detail.items())


# Details whose values are words the code stores (a role, a kind of change, what was exported, how a year was
# published): the catalogue key of each value (「內容: circular」「途徑: cli」 were raw on the Chinese page).
_WORDED_VALUES = {"role": "role.{}", "change": "audit.change.{}", "what": "audit.what.{}", "via": "sync.trigger.{}"}


@callback(Output("audit-entries", "children"), Output("audit-syncs", "children"),
          Input("audit-action", "value"), Input("lang-store", "data"))
def render_trail(action, lang):
    """The newest audit rows (optionally one action) and sync runs."""
    lang = lang_of(lang)
    try:
        viewer = bureau_or_refuse()
    except queries.Refused as err:
        return message(str(err), lang, "danger"), None
    if action is not None and action not in audit.actions_for(viewer):  # only the picker's actions: {} was a 500
        return feedback(t("page.bad_request", lang), "danger"), None
    entries = queries.admin.audit_trail(viewer, action or None)
    rows = [[e["at"].strftime("%Y-%m-%d %H:%M:%S"), _who(e["username"], lang), t(f"action.{e['action']}", lang),
             e["school_code"], _detail(e["detail"], lang)] for e in entries]
    columns = [t(k, lang) for k in ("audit.at", "audit.user", "audit.action", "audit.school", "audit.detail")]
    run_rows = sync_run_rows(queries.admin.sync_runs(viewer), lang)
    run_columns = [t(k, lang) for k in ("audit.started", "audit.trigger", "audit.status", "audit.message",
                                        "audit.detail")]
    return (text_table(columns, rows, "audit-table", lang, chinese=(4,)),
            text_table(run_columns, run_rows, "audit-sync-table", lang))


def _who(username: str | None, lang: str) -> str | None:
    """A failed log-in under a name that is no account is recorded as a digest (access.failed_login_name)."""
    if username and username.startswith(UNKNOWN_NAME_MARK):
        return t("audit.unknown_account", lang, digest=username[len(UNKNOWN_NAME_MARK):])
    return username


def sync_run_rows(runs: list[dict], lang: str) -> list[list]:
    """The sync history's rows; a run's message, stored as "中文 / English", in the reader's language."""
    return [[r["started_at"].strftime("%Y-%m-%d %H:%M:%S"), _known(f"sync.trigger.{r['trigger']}", r["trigger"], lang),
             _known(f"sync.status.{r['status']}", r["status"], lang), bilingual_text(r["message"], lang),
             sync_summary(r["summary"], lang)] for r in runs]


@callback(Output("audit-submissions", "children"), Input("lang-store", "data"))
def render_submissions(lang):
    """Which school's workbook was refused, or never came, and why (the sync runs say how many, not who)."""
    lang = lang_of(lang)
    refused = refusal_for(bureau_or_refuse, lang)
    if refused is not None:
        return refused
    columns = [t(k, lang) for k in ("sub.code", "pub.school", "ranking.township", "sub.status", "sub.file",
                                    "sub.loaded_at", "sub.rows", "sub.rejected", "sub.message")]
    submitted = queries.admin.submissions(bureau_or_refuse())
    return text_table(columns, submission_rows(submitted, lang), "audit-submissions-table", lang,
                      chinese=(1, 2, 4, 8))


def _cell(value) -> str:
    """A stored value as a cell: nothing stored (None, or NaN where a school sent no file) is an empty cell,
    not the word "nan"."""
    return "" if is_missing(value) else str(value)


def submission_rows(listed: list[dict], lang: str) -> list[list]:
    """audit.submissions as the table's rows, in the reader's language (a refusal in English for an English
    reader, from the reasons the sync kept in both)."""
    status_words = {"loaded": "data.status.loaded", "refused": "data.status.refused", "not submitted": "submitted.not"}
    return [[_cell(r["school_code"]), to_language(_cell(r["name"]), lang), to_language(_cell(r["township"]), lang),
             t(status_words.get(r["status"], "data.status.missing"), lang), _cell(r["file"]),
             # NaT (never loaded) is a datetime too, and has no strftime
             r["loaded_at"].strftime("%Y-%m-%d %H:%M") if isinstance(r["loaded_at"], datetime) and pd.notna(r["loaded_at"])
             else "", "" if pd.isna(r["rows"]) else int(r["rows"]), _cell(r["rejected_rows"] or None),
             _cell(r.get("message_en")) if lang == "en" and _cell(r.get("message_en"))
             else bilingual_text(r["message"], lang)]
            for r in listed]


@callback(Output("audit-action", "options"), Output("audit-action", "placeholder"), Input("lang-store", "data"))
def action_choices(lang):
    """The action filter follows the language switch (props, so T() cannot carry them)."""
    lang = lang_of(lang)
    viewer = current_viewer()
    actions = audit.actions_for(viewer) if viewer is not None else audit.ACTIONS  # no session: the gate refuses
    return [{"label": t(f"action.{a}", lang), "value": a} for a in actions], t("audit.all", lang)
