"""督查: the safety office records inspection findings; every change keeps who, when, before and after.

Admins only.  The form writes through sync.inspections (validation against
the rubric, history row, recompute); records that came from the bureau
workbook are listed but can only be changed in the workbook.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import audit, queries
from dashboard.i18n import t, to_language
from dashboard.layout import (
    T,
    guarded,
    inspection_kind_label,
    lang_of,
    message,
    page_year,
    user_error_text,
    viewer_or_refuse,
)
from dashboard.pages._admin import (
    admin_or_refuse,
    bureau_or_refuse,
    feedback,
    refusal_for,
    school_options,
    text_table,
)
from scoring.engine import deduction_text
from sync import contract, inspections
from sync.errors import UserError
from sync.settings import county_today
from sync.store import get_engine

dash.register_page(__name__, path="/admin/inspections", name="inspections", title="學校本質安全考評")

FORM_FIELDS = ("date", "school_code", "kind", "finding", "deduction", "falsification", "major_incident",
               "indicator", "assessed_points")


def indicator_options() -> list[dict]:
    maxima = inspections.indicator_maxima()
    return [{"label": f"{key} (0–{value:g})", "value": key} for key, value in maxima.items()]


def _field(label_key: str, control, md: int = 3):
    # The label names its box or dropdown for a screen reader (html_for; it was only beside it: found by the
    # accessibility audit; a dropdown reads label and value, assets/32-dropdown-names.js).
    return dbc.Col([dbc.Label(T(label_key), html_for=control.id), control], md=md)


def layout(**_query):
    refused = refusal_for(bureau_or_refuse)
    if refused is not None:
        return refused
    # A leader reads the findings; the form is there for the callbacks it feeds, hidden (saving asks
    # admin_or_refuse on the server whatever the page shows).
    editor = viewer_or_refuse().is_admin
    hidden = "" if editor else " d-none"
    form = dbc.Card(dbc.CardBody([
        html.H2(id="insp-form-title", children=t("insp.new"), className="h6"),
        dcc.Store(id="insp-editing"),
        dbc.Row([
            _field("insp.date", dbc.Input(id="insp-date", type="date", value=county_today().isoformat()), 2),
            _field("insp.school", dcc.Dropdown(id="insp-school", options=school_options(),
                                                              placeholder=t("choose.school")), 4),
            _field("insp.kind", dcc.Dropdown(id="insp-kind", options=list(contract.INSPECTION_KINDS),
                                             value=contract.INSPECTION_KINDS[0], clearable=False), 2),
            # Text, checked on the server: a number box of step 0.5 sent nothing for 0.25, 10.05 or -2 (the
            # browser's "invalid"), and the finding was saved without its deduction (an inspections audit).
            # a deduction is written as the points taken off (0.5), as the workbook's 扣分 column is: the list
            # shows 0.5 and the school's page −0.5, and the box did not say which to type (a UX review)
            _field("insp.deduction", dbc.Input(id="insp-deduction", type="text", inputMode="decimal",
                                               placeholder=t("insp.deduction_hint")), 2),
        ], className="g-2"),
        dbc.Row([
            _field("insp.finding", dbc.Textarea(id="insp-finding", rows=2), 12),
        ], className="g-2 mt-1"),
        dbc.Row([
            dbc.Col(dbc.Checkbox(id="insp-falsification", label=t("insp.falsification"), value=False), md=3),
            dbc.Col(dbc.Checkbox(id="insp-major", label=t("insp.major_incident"), value=False), md=3),
            _field("insp.indicator", dcc.Dropdown(id="insp-indicator", options=indicator_options(),
                                                                     placeholder=t("choose.indicator")), 3),
            _field("insp.assessed", dbc.Input(id="insp-assessed", type="text", inputMode="decimal"), 3),
        ], className="g-2 mt-1 align-items-end"),
        html.Div([
            dbc.Button(T("insp.save"), id="insp-save", color="primary", n_clicks=0, className="me-2"),
            # Deleting recomputes every score and may lift a veto: the browser asks first.
            dcc.ConfirmDialogProvider(
                dbc.Button(T("insp.delete"), id="insp-delete", color="danger", outline=True, n_clicks=0,
                           className="me-2", disabled=True),
                id="insp-delete-confirm", message=t("insp.delete_confirm")),
            dbc.Button(T("insp.clear"), id="insp-clear", color="secondary", outline=True, n_clicks=0),
        ], className="mt-3 d-flex flex-wrap align-items-start"),  # one row (the confirm dialog's wrapper is a block)
        dcc.Loading(html.Div(id="insp-result")),
    ]), className="mb-3 shadow-sm no-print" + hidden)
    return html.Div([
        html.H1(T("insp.title"), className="h3 mb-3"),
        form,
        None if editor else dbc.Alert(T("insp.read_only"), color="secondary", id="insp-read-only"),
        dbc.Card(dbc.CardBody([
            dcc.Dropdown(id="insp-pick", placeholder=t("insp.pick"), className="mb-2 no-print" + hidden),
            html.Div(id="insp-list"),
        ]), className="mb-3 shadow-sm"),
        dbc.Card([dbc.CardHeader(T("insp.history", tag=html.H2, className="h6 mb-0")),
                  dbc.CardBody(html.Div(id="insp-history"))], className="shadow-sm"),
    ])


@callback(Output("insp-delete-confirm", "message"), Input("lang-store", "data"))
def delete_question(lang):
    """The browser's "are you sure" in the reader's language."""
    return t("insp.delete_confirm", lang_of(lang))


@callback(Output("insp-result", "children"), Output("insp-editing", "data", allow_duplicate=True),
          Input("insp-save", "n_clicks"), Input("insp-delete-confirm", "submit_n_clicks"),
          State("insp-editing", "data"), State("insp-date", "value"), State("insp-school", "value"),
          State("insp-kind", "value"), State("insp-finding", "value"), State("insp-deduction", "value"),
          State("insp-falsification", "value"), State("insp-major", "value"), State("insp-indicator", "value"),
          State("insp-assessed", "value"), State("lang-store", "data"), prevent_initial_call=True)
def save_finding(_save, _delete, editing, day, school_code, kind, finding, deduction, falsification, major,
                 indicator, assessed, lang):
    """Save (add or change) or delete the finding in the form; the scores are recomputed."""
    lang = lang_of(lang)
    outcome = {"editing": no_update}

    def render():
        viewer = admin_or_refuse()
        engine = get_engine()
        record_id = int(editing) if isinstance(editing, (int, str)) and str(editing).isdigit() else None
        values = dict(zip(FORM_FIELDS, (day, school_code, kind, finding, deduction, falsification, major, indicator,
                                        assessed), strict=True))
        try:
            if ctx.triggered_id == "insp-delete-confirm":
                if record_id is None:
                    return no_update
                inspections.delete_inspection(engine, record_id, by=viewer.username)
                outcome["editing"] = None
                message = t("insp.deleted", lang, id=record_id)
                change = "delete"
            else:
                record_id = inspections.save_inspection(engine, values, by=viewer.username, record_id=record_id)
                outcome["editing"] = record_id
                message = t("insp.saved", lang, id=record_id)
                change = "edit" if editing else "add"
        except UserError as err:
            return feedback(user_error_text(err, lang), "danger", "insp-error")
        audit.record(engine, viewer.username, "inspection", school_code,
                     {"change": change, "record_id": record_id, "falsification": bool(falsification),
                      "major_incident": bool(major)})
        return feedback(message, "success", "insp-saved")

    shown = guarded(render, lang)
    return shown, outcome["editing"]


@callback(Output("insp-editing", "data"), Output("insp-date", "value"), Output("insp-school", "value"),
          Output("insp-kind", "value"), Output("insp-finding", "value"), Output("insp-deduction", "value"),
          Output("insp-falsification", "value"), Output("insp-major", "value"), Output("insp-indicator", "value"),
          Output("insp-assessed", "value"),
          Input("insp-pick", "value"), Input("insp-clear", "n_clicks"), prevent_initial_call=True)
def load_finding(record_id, _clear):
    """Fill the form with a dashboard record to edit it (or empty it for a new one)."""
    try:
        viewer = admin_or_refuse()
    except Exception:
        raise PreventUpdate from None
    if ctx.triggered_id == "insp-clear" or not record_id:
        return None, county_today().isoformat(), None, contract.INSPECTION_KINDS[0], "", None, False, False, None, None
    found = [r for r in queries.admin.inspection_list(viewer) if r["record_id"] == record_id and r["editable"]]
    if not found:
        raise PreventUpdate
    row = found[0]
    return (row["record_id"], row["date"].isoformat() if row["date"] else None, row["school_code"], row["kind"],
            row["finding"] or "", row["deduction"], bool(row["falsification"]), bool(row["major_incident"]),
            row["indicator"], row["assessed_points"])


@callback(Output("insp-form-title", "children"), Output("insp-delete", "disabled"), Input("insp-editing", "data"),
          Input("lang-store", "data"))
def form_title(editing, lang):
    """The form's title, and Delete only while a finding is open (with none it asked "delete this finding?"
    about nothing; found by an audit)."""
    lang = lang_of(lang)
    return (t("insp.edit", lang, id=editing) if editing else t("insp.new", lang)), not editing


def _source_label(row: dict, lang: str) -> str:
    """Where a finding came from: entered on this page, in the reader's words; else the bureau workbook's
    path as it is on disk (converted to Simplified it named a file that does not exist) and its row, where
    someone would look it up (a UX review: "#169 bureau/…" named no line)."""
    if row["editable"]:
        return t("insp.source_manual", lang)
    where = row["source"] or ""
    return f"{where} {t('insp.source_row', lang, row=row['row_no'])}" if row.get("row_no") else where


def _finding_text(row: dict, lang: str) -> str:
    """The finding as written; an inspection that found nothing says so (an empty cell read as missing data:
    a UX review), but not one that took points off, vetoed or assessed without words (a diff review)."""
    if row["finding"]:
        return to_language(row["finding"], lang)
    took_something = row["deduction"] or row["falsification"] or row["major_incident"] or \
        row["assessed_points"] is not None
    return "" if took_something else t("insp.no_finding", lang)


def _yes(value, lang: str) -> str:
    return t("insp.yes", lang) if value else ""


def column_label(key: str, lang: str) -> str:
    """A field of a finding named as the 督查記錄 sheet's column (sync.contract): its Chinese header, in
    Simplified for 简, or its English label."""
    try:
        column = contract.sheet("inspections").column(key)
    except KeyError:
        return key
    return column.label_en if lang == "en" else to_language(column.zh, lang)


def _value_text(key: str, value, lang: str, names: dict[str, str]) -> str:
    """A stored value of a finding as the reader reads it: 是/否, the kind in the reader's words, the school
    with its name, nothing as —."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return t("audit.true" if value else "audit.false", lang)
    if key == "kind":
        return inspection_kind_label(str(value), lang)
    if key == "school_code":
        return f"{value} {to_language(names.get(str(value)) or '', lang)}".strip()
    if isinstance(value, float):
        return f"{value:g}"
    return to_language(str(value), lang)


def _shown(key: str, value) -> bool:
    """Whether a field of an added or deleted finding is worth a line (an empty cell or a 否 is not)."""
    return value not in (None, "", False)


def change_kind(before: dict | None, after: dict | None) -> str:
    return "add" if not before else "delete" if not after else "edit"


def change_lines(before: dict | None, after: dict | None, lang: str, names: dict[str, str] | None = None) -> str:
    """A change of the history as lines a person reads: 「扣分: 1.5 → 2」 per field changed, or each field of
    a finding added or deleted (「發現問題: 消防通道堵塞」), the fields named as the 督查記錄 sheet names them
    (the history showed raw JSON with English keys)."""
    names = names or {}
    before, after = before or {}, after or {}
    keys = [k for k in FORM_FIELDS if k in before or k in after]
    keys += [k for k in {**before, **after} if k not in keys]
    if before and after:
        lines = [f"{column_label(k, lang)}: {_value_text(k, before.get(k), lang, names)} → "
                 f"{_value_text(k, after.get(k), lang, names)}"
                 for k in keys if (before.get(k) or None) != (after.get(k) or None)]
        return "\n".join(lines) if lines else t("insp.no_change", lang)
    shown = after or before
    return "\n".join(f"{column_label(k, lang)}: {_value_text(k, shown.get(k), lang, names)}"
                     for k in keys if _shown(k, shown.get(k))) or "—"


@callback(Output("insp-list", "children"), Output("insp-pick", "options"), Output("insp-history", "children"),
          Input("lang-store", "data"), Input("year", "value"), Input("insp-result", "children"))
def render_findings(lang, year, _saved):
    """The year's inspections (workbook and dashboard) and the change history."""
    lang = lang_of(lang)
    refused = refusal_for(bureau_or_refuse, lang)
    if refused is not None:
        return refused, [], None
    try:
        year = page_year(year) if year else None
    except (ValueError, TypeError):  # a year the picker never holds ("abc", 10**20)
        return message("page.bad_request", lang, "danger"), [], None
    viewer = bureau_or_refuse()
    found = queries.admin.inspection_list(viewer, year)
    names = queries.admin.registry_names(viewer)
    columns = [t(k, lang) for k in ("insp.date", "insp.school", "insp.kind", "insp.finding", "insp.deduction",
                                    "insp.falsification", "insp.major_incident", "insp.indicator", "insp.assessed",
                                    "insp.source")]
    rows = [[r["date"], f"{r['school_code']} {to_language(names.get(r['school_code'], ''), lang)}",
             inspection_kind_label(r["kind"], lang),
             _finding_text(r, lang),
             deduction_text(r["deduction"]) if r["deduction"] else "",
             _yes(r["falsification"], lang),
             _yes(r["major_incident"], lang), r["indicator"], r["assessed_points"],
             f"#{r['record_id']} {_source_label(r, lang)}"] for r in found]
    options = [{"label": f"#{r['record_id']} {r['date']} {r['school_code']} {to_language(r['finding'] or '', lang)}"[:80],
                "value": r["record_id"]} for r in found if r["editable"]]
    history = [[c["changed_at"].strftime("%Y-%m-%d %H:%M:%S"), c["changed_by"], f"#{c['record_id']}",
                t(f"audit.change.{change_kind(c['before'], c['after'])}", lang),
                change_lines(c["before"], c["after"], lang, names)] for c in queries.admin.inspection_history(viewer)]
    history_columns = [t(k, lang) for k in ("insp.changed_at", "insp.changed_by", "insp.title", "insp.change",
                                            "insp.change_detail")]
    return (text_table(columns, rows, "insp-table", lang, "insp.none", chinese=(1, 3)), options,
            text_table(history_columns, history, "insp-history-table", lang, "audit.none", chinese=(4,)))


@callback(Output("insp-pick", "placeholder"), Output("insp-falsification", "label"), Output("insp-major", "label"),
          Output("insp-kind", "options"), Output("insp-school", "placeholder"), Output("insp-indicator", "placeholder"),
          Output("insp-deduction", "placeholder"), Input("lang-store", "data"))
def form_labels(lang):
    """Placeholders, checkbox labels and the kinds follow the language switch (props, so T() cannot carry
    them); a kind's value stays the plan's word (定期/不定期/考評), which is what the store keeps."""
    lang = lang_of(lang)
    kinds = [{"label": inspection_kind_label(k, lang), "value": k} for k in contract.INSPECTION_KINDS]
    return (t("insp.pick", lang), t("insp.falsification", lang), t("insp.major_incident", lang), kinds,
            t("choose.school", lang), t("choose.indicator", lang), t("insp.deduction_hint", lang))


@callback(Output("insp-school", "options"), Input("lang-store", "data"))
def school_choices(lang):
    """The school picker's names in the reader's script (Simplified for 简); admins only."""
    refused = refusal_for(admin_or_refuse, lang)
    return [] if refused is not None else school_options(lang_of(lang))
