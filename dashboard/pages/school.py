"""學校: one school's score and what to do next.

/school/<code> (or /school?code=...; /school alone opens a school viewer's own
school and gives the bureau a picker).  The code in the address only says
which page was asked for: every query checks the signed-in viewer, so a
school asking for another school's page gets a refusal, not data.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from urllib.parse import quote

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, clientside_callback, dcc, html, no_update

from dashboard import figures, queries
from dashboard.access import current_viewer
from dashboard.exports import year_is_over
from dashboard.i18n import t, to_language, to_language_keeping_cell
from dashboard.layout import (
    GRID_KEYBOARD,
    area_label,
    chart_text,
    column_shown,
    data_option,
    data_runs,
    data_shown,
    grade_label,
    grid_locale,
    guarded,
    in_chinese,
    inspection_kind_label,
    lang_of,
    page_year,
    paperwork_list,
    period_label,
    punctuation,
    sheet_shown,
    status_badge,
    tab_title,
    type_label,
    viewer_or_refuse,
    week_days,
    with_week_dates,
)
from scoring.engine import deduction_text
from scoring.guards import NO_GUARD_ON_DUTY
from sync import contract
from sync.cells import is_missing
from sync.load import UPLOADS
from sync.settings import county_today

STATUS_COLOURS = {"overdue": "danger", "due_soon": "warning", "open": "secondary", "closed_late": "info",
                  "closed_undated": "info", "closed": "success"}


def layout(school_code: str | None = None, code: str | None = None, **_query):
    asked = school_code or code
    viewer = current_viewer()
    if not asked and viewer is not None and not viewer.is_bureau:
        asked = viewer.school_code
    return html.Div([
        dcc.Store(id="school-code", data=asked),
        html.Div(id="school-picker-row", className="no-print"),
        html.Div(id="school-content", children=dbc.Spinner(color="primary")),
        html.Div(id="school-tab-sink", hidden=True),
    ], className="school-page")


dash.register_page(__name__, path="/school", path_template="/school/<school_code>", name="school",
                   title="學校本質安全考評", layout=layout)


def _fmt(value, digits: int = 1) -> str:
    if is_missing(value):
        return "–"
    return f"{float(value):.{digits}f}".rstrip("0").rstrip(".") if digits else str(int(value))


def _total(value) -> str:
    """A total as rules.md publishes it: one decimal, 100.0 as well as 99.8."""
    if is_missing(value):
        return "–"
    return f"{float(value):.1f}"


def _date(value) -> str:
    if isinstance(value, str):
        return value[:10]
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _section(title: str, body, element_id: str | None = None, className: str = "") -> dict:
    """A titled card (as the dicts Dash sends: eight of them per page, built without component objects)."""
    props = {"className": f"mb-3 shadow-sm {className}".strip()}
    if element_id:
        props["id"] = element_id
    return _node("dash_bootstrap_components", "Card", [
        _node("dash_bootstrap_components", "CardHeader", _node("dash_html_components", "H2", title, className="h6 mb-0")),
        _node("dash_bootstrap_components", "CardBody", body),
    ], **props)


def _head(keys: tuple[str, ...], lang: str) -> dict:
    """A table's header row of catalogue labels."""
    return _node("dash_html_components", "Thead", _node("dash_html_components", "Tr", [
        _node("dash_html_components", "Th", t(k, lang)) for k in keys]))


def _veto_text(result: dict, lang: str) -> str:
    """The veto's reasons in the viewer's language (scoring names them 弄虛作假、重大安全事故)."""
    reason = ((result.get("areas") or {}).get("_meta") or {}).get("veto") or ""
    names = {"弄虛作假": t("veto.falsification", lang), "重大安全事故": t("veto.major_incident", lang)}
    parts = [names.get(part, to_language(part, lang)) for part in reason.split("、") if part]
    return ("; " if lang == "en" else "、").join(parts)


_BADGE_SHADES = ("success", "info", "warning", "danger")  # best to worst, as figures.GRADE_SHADES


def _grade_colour(grade: str | None) -> str:
    """The badge colour of a grade by its place among the rubric's bands (figures.grade_shade, as the overview
    colours them): a bureau that renamed its bands saw every badge grey (an architecture review)."""
    bands = list(queries.grade_names())
    if grade not in bands:
        return "secondary"
    return _BADGE_SHADES[figures.grade_shade(bands.index(grade), len(bands))]


def header(result: dict, status: dict, lang: str, refused_file: bool = False, newer_draft: dict | None = None,
           next_steps=None):
    rank = (t("school.rank_of", lang, rank=result["rank"], of=result["ranked_schools"]) if result["qualified"]
            else t("ranking.disqualified", lang))
    grade_colour = _grade_colour(result["grade"])
    facts = [
        dbc.Col([html.Div(t("school.total", lang), className="text-muted small"),
                 html.Div(_total(result["total"]), className="display-5 fw-bold", id="school-total")], xs=4, md=2),
        dbc.Col([html.Div(t("school.grade", lang), className="text-muted small"),
                 dbc.Badge(grade_label(result["grade"], lang), color=grade_colour, className="fs-5 mt-2",
                           id="school-grade")], xs=4, md=2),
        dbc.Col([html.Div(t("school.rank", lang), className="text-muted small"),
                 html.Div(rank, className="fs-4 fw-semibold mt-1", id="school-rank")], xs=4, md=3),
    ]
    if result["deduction"]:
        facts.append(dbc.Col([html.Div(t("school.deduction", lang), className="text-muted small"),
                              # as the ranking and the circular print it: as entered, to two decimals
                              html.Div(f"−{deduction_text(result['deduction'])}",
                                       className="fs-4 text-danger mt-1")], xs=4, md=2))
    notices = []
    if not result["qualified"]:
        notices.append(dbc.Alert(t("school.veto", lang, reason=_veto_text(result, lang),
                                   grade=grade_label(result["grade"], lang)), color="danger",
                                 className="py-2", id="school-veto"))
    if newer_draft is not None:
        notices.append(dbc.Alert(t("school.newer_draft", lang, draft=draft_text(newer_draft, lang)), color="info",
                                 className="py-2", id="school-newer-draft"))
    if not result.get("submitted", True):
        # A workbook that arrived and was refused as a whole is not "no workbook received".
        said = t("school.refused_not_loaded" if refused_file else "school.not_submitted", lang)
        notices.append(dbc.Alert([html.Div(said), next_steps] if next_steps is not None else said,
                                 color="danger" if refused_file else "secondary", className="py-2",
                                 id="school-not-submitted"))
    elif refused_file:
        # Refused whole, its earlier records kept: the page showed the old score with the refusal said only in
        # the last card (an upload audit).
        notices.append(dbc.Alert([t("school.refused_kept", lang), " ",
                                  html.A(t("school.refused_kept_link", lang), href="#data-state", className="alert-link")],
                                 color="warning", className="py-2", id="school-refused-kept"))
    # the name and township are data in Chinese: marked so on an English page (layout.data_shown)
    title = [data_shown(result["name"], lang), status_badge(status, lang)]
    if not result.get("submitted", True):
        title.append(dbc.Badge(t("submitted.refused" if refused_file else "submitted.not", lang),
                               color="danger" if refused_file else "secondary", className="ms-2 align-middle"))
    return html.Div([
        html.H1(title, className="h3 mb-1", id="school-name"),
        html.Div([f"{type_label(result['type'], lang)} · ", data_shown(result['township'], lang),
                  f" · {t('school.as_of', lang, date=result['as_of'])}"], className="text-muted mb-3"),
        *notices,
        dbc.Row(facts, className="mb-3 g-3"),
    ])


def not_submitted_steps(viewer, code: str, lang: str):
    """What a school with no workbook does next (「未提交」 alone left it with no way forward): a school's
    officer gets the upload page and its pre-filled template; the bureau reads how the school sends one,
    and can download that school's template to send it."""
    template = f"/download/template/{quote(str(code), safe='')}"
    if not viewer.is_bureau:
        return html.Div([
            html.P(t("school.not_submitted_how", lang), className="mb-2 mt-1"),
            html.A(t("school.upload_link", lang), href="/upload", id="school-upload-link",
                   className="btn btn-sm btn-primary me-2 mb-1"),
            html.A(t("upload.template", lang), href=template, id="school-template-link",
                   className="btn btn-sm btn-outline-primary mb-1"),
        ], id="school-next-steps")
    return html.Div([
        html.P(t("school.not_submitted_bureau", lang), className="mb-2 mt-1"),
        html.A(t("school.template_link", lang), href=template, id="school-template-link",
               className="btn btn-sm btn-outline-primary mb-1"),
    ], id="school-next-steps")


# Reasons listed in the notice; the rest are in the data state's list, with their rows.
REASONS_SHOWN = 5


def refused_steps(viewer, state: dict, lang: str):
    """Why the school's workbook was refused and the way forward, in the notice at the top: the reasons
    were in the last card, under a 31-row table of advice for a school with no records (found by an
    audit).  The reasons are the refused file's own (its file-level problems); a school that uploads gets
    the upload page (one that sends through the shared folder corrects the file there)."""
    # in the order the sync found them (the list is newest first)
    reasons = [_refusal_reason(r, lang) for r in reversed(state["refused"]) if r["level"] == "file"]
    if not reasons:  # the file's problems are past the newest the store lists: the refusal's summary, as stored
        reasons = [to_language(src["message"], lang) for src in state["sources"]
                   if src["status"] == "refused" and src["message"]]
    reasons = list(dict.fromkeys(reasons))
    parts = [html.Div(t("school.refused_reasons", lang), className="fw-semibold mt-1"),
             html.Ul([html.Li(reason) for reason in reasons[:REASONS_SHOWN]], className="mb-2",
                     id="school-refusal-reasons")] if reasons else []
    if len(reasons) > REASONS_SHOWN:
        parts.append(html.P(t("school.refused_more", lang, n=len(reasons) - REASONS_SHOWN), className="small mb-2"))
    uploaded = any(src["status"] == "refused" and str(src["source_key"]).startswith(f"file:{UPLOADS}/")
                   for src in state["sources"])
    if not viewer.is_bureau and uploaded:
        parts.append(html.A(t("school.upload_again", lang), href="/upload", id="school-upload-link",
                            className="btn btn-sm btn-primary mb-1"))
    return html.Div(parts, id="school-next-steps")


def _refusal_reason(row: dict, lang: str) -> str:
    """A file-level problem as one line: where (sheet · column, as the data state names them), then why;
    a reason that names its sheet already (缺少工作表「應急演練」) is not told where as well."""
    named = row["sheet"] and f"「{row['sheet']}」" in str(row["reason_zh"])
    where = "" if named else " · ".join(part for part in (sheet_shown(row, lang), column_shown(row, lang)) if part)
    why = row["reason_en"] if lang == "en" else to_language_keeping_cell(str(row["reason_zh"]), lang, row["value"])
    return f"{where}{': ' if lang == 'en' else '：'}{why}" if where else why


def gains_card(rows: list[dict], result: dict, lang: str):
    """The three biggest gains, after what stands before them: a school with no workbook sends it first
    (until then every indicator is scored as having no records); a disqualified school reads that its
    grade and rank do not move this year whatever it adds (found by an audit)."""
    lead = []
    if not result.get("submitted", True):
        lead.append(html.P(t("school.gains_send_workbook", lang), className="fw-semibold mb-2", id="school-gains-send"))
    if not result["qualified"]:
        lead.append(html.P(t("school.gains_disqualified", lang, grade=grade_label(result["grade"], lang)), className="mb-2",
                           id="school-gains-disqualified"))
    title = "school.gains_title" if result["qualified"] else "school.gains_title_reference"
    return _section(t(title, lang), [*lead, biggest_gains(rows, result["indicators"], lang)], "gains-card")


def year_over_note(year: int, status: dict, lang: str):
    """In place of the ways to raise the total, for a year already over: its result stands as published
    (or as computed, not yet published); advice to drill in a month of a frozen year helps nobody."""
    key = "school.year_over_published" if status.get("published") else "school.year_over_computed"
    return dbc.Alert(t(key, lang, year=year), color="secondary", className="py-2", id="school-year-over")


def todo_list(todo: dict, lang: str, refused_rows: str | None = None):
    """待辦: what falls due now, most urgent first.  `refused_rows`: how many rows of the school's workbook
    were refused ("2", or "200+" beyond the rows the page lists), first: a drill in a refused row read as
    「本期的應急演練尚未舉行」 with the reason in the last card of the page (found by a UX walk)."""
    if not todo["running_year"]:
        return html.P(t("todo.past_year", lang), className="text-muted mb-0")
    counts, labels = todo["counts"], todo["labels"]
    items = []
    if refused_rows:
        items.append(("warning", [t("todo.refused_rows", lang, n=refused_rows), " ",
                                  # the item's own dark brown, underlined: the link blue on its yellow was 4.1:1
                                  html.A(t("todo.refused_rows_link", lang), href="#data-state",
                                         className="fw-semibold", style={"color": "inherit"})]))
    if counts["hazards_overdue"]:
        items.append(("danger", t("todo.hazards_overdue", lang, n=counts["hazards_overdue"])))
    if counts["guards_over_age_limit"]:
        items.append(("danger", t("todo.guards_over", lang, n=counts["guards_over_age_limit"], age=todo["guard_age_limit"])))
    if counts["drill_due"]:
        items.append(("warning", t("todo.drill", lang, period=labels["drill_period"])))
    if counts["class_due"]:
        items.append(("warning", t("todo.class", lang, week=week_days(labels["week"], lang))))
    if counts["class_missed"]:
        items.append(("warning", t("todo.class_missed", lang, week=week_days(labels["last_week"], lang))))
    if counts["hazards_due_soon"]:
        items.append(("warning", t("todo.hazards_soon", lang, n=counts["hazards_due_soon"], days=queries.HAZARD_SOON_DAYS)))
    if counts["guards_untrained"]:
        items.append(("info", t("todo.guard_training", lang, n=counts["guards_untrained"], days=f"{todo['guard_training_days']:g}",
                                semester=period_label(labels["semester"], lang))))
    for guard in todo["guards"]:
        if pd.Timestamp(guard["limit_day"]) > pd.Timestamp(county_today()):
            items.append(("info", t("todo.guard_reaching_age_limit", lang, name=to_language(str(guard["name"]), lang),
                                    date=_date(guard["limit_day"]), over=todo["guard_age_limit"] + 1)))
    if not items:
        return dbc.Alert(t("todo.none", lang), color="success", className="mb-0")
    # a guard's name among the English words: marked as Chinese (layout.data_runs)
    return dbc.ListGroup([dbc.ListGroupItem(data_runs(text, lang) if isinstance(text, str) else text, color=colour)
                          for colour, text in items], id="school-todos")


def indicator_rows(indicators: dict, lang: str) -> list[dict]:
    """One row per indicator: points against the maximum, the figures behind them, the clause, how to raise it."""
    en = lang == "en"
    rows = []
    for ind_id in sorted(indicators):
        entry = indicators[ind_id] or {}
        title = entry.get("title_en") if en and entry.get("title_en") else to_language(entry.get("title") or ind_id, lang)
        detail = with_week_dates(entry.get("detail_en") if en and entry.get("detail_en")
                                 else to_language(entry.get("detail") or "", lang), lang)
        hint = with_week_dates(entry.get("hint_en") if en and entry.get("hint_en")
                               else to_language(entry.get("hint") or "", lang), lang)
        if hint and _no_guard_on_record(entry):
            # 「更換超過55周歲的保安」 to a school with no guard on record: the step is to record them.
            promised = _PROMISE.search(hint)
            hint = t("school.hint_no_guards", lang) + (promised[0] if promised else "")
        pending = bool(entry.get("pending"))
        points = t("ind.pending", lang) if pending else _fmt(entry.get("points"), 2)
        if entry.get("assessed_points") is not None:
            points = f"{points} ({t('ind.assessed', lang)}; {t('ind.computed', lang)} {_fmt(entry.get('computed_points'), 2)})"
        short = not pending and bool(entry.get("max")) and (entry.get("points") or 0) < entry.get("max")
        # A pending indicator's max is null (rules.md: left out); what it will count for is its weight.
        most = entry.get("max") if entry.get("max") is not None else entry.get("weight")
        rows.append({"id": ind_id, "title": title, "points": points, "max": _fmt(most, 2), "detail": detail,
                     "clause": entry.get("clause") or "", "hint": hint, "short": short, "pending": pending})
    return rows


# What scoring says of a guard indicator when no guard is on duty on the evaluation date.  Scoring's own
# hint says to record the guards now; a result frozen before it did still advises on guards the school
# does not have (E2, E3, E6), so the page words it in the reader's language either way.
_NO_GUARDS = NO_GUARD_ON_DUTY
# The points a hint promises, at its end (「：+2.0」, ": +2.0").
_PROMISE = re.compile(r"(?:：|: )\+\d+(?:\.\d+)?$")


def _no_guard_on_record(entry: dict) -> bool:
    return entry.get("detail") == _NO_GUARDS[0] or entry.get("detail_en") == _NO_GUARDS[1]


GAINS_SHOWN = 3


def biggest_gains(rows: list[dict], indicators: dict, lang: str):
    """The three things that would add most to the total now, each with what to do: what a school
    officer fixes first (found by an audit: 31 rows, the gains scattered through them).  A gain is what
    the indicator's hint promises (its "gain", from scoring), never points lost to a period already
    closed."""
    gains = []
    for row in rows:
        entry = indicators.get(row["id"]) or {}
        gain = entry["gain"] if "gain" in entry else _gain_in_hint(entry.get("hint_en"))
        if isinstance(gain, (int, float)) and gain > 0:
            gains.append((float(gain), row))
    if not gains:
        return html.P(t("school.gains_none", lang), className="text-muted mb-0", id="school-gains")
    gains.sort(key=lambda item: -item[0])
    items = [dbc.ListGroupItem([html.Div(data_runs(t("school.gain_item", lang, id=row["id"], title=row["title"],
                                                       points=f"{gain:g}"), lang), className="fw-semibold"),
                                html.Div(data_runs(row["hint"], lang), className="small text-muted")])
             for gain, row in gains[:GAINS_SHOWN]]
    return dbc.ListGroup(items, id="school-gains")


# Results frozen before scoring gave "gain" (JSON_FORMAT 1, a year published then) carry it only at the
# end of their hint (": +3.0"); a publication is never recomputed, so it is read from there.
_GAIN_IN_HINT = re.compile(r": \+(\d+(?:\.\d+)?)$")


def _gain_in_hint(hint_en) -> float | None:
    found = _GAIN_IN_HINT.search(str(hint_en or ""))
    return float(found[1]) if found else None


def _wrapped(field: str, header: str, flex: float, min_width: int, **more) -> dict:
    return {"field": field, "headerName": header, "flex": flex, "minWidth": min_width, "wrapText": True,
            "autoHeight": True, "cellClass": "lh-sm py-1", **more}


def indicator_table(rows: list[dict], lang: str):
    """The indicator table as a grid (one component and its rows: cheap to build and to send)."""
    columns = [
        # "Indicator" in English takes more than 指標 (at 76 px it read "Indic...")
        {"field": "id", "headerName": t("ind.id", lang), "width": 104 if lang == "en" else 76, "pinned": "left",
         "cellClass": "fw-semibold"},
        # In English a title with no English one is the Chinese, and a detail or hint names campuses and
        # guards as the school wrote them (「南校區 needs 1 more」): each Chinese run marked as such
        _wrapped("title", t("ind.name", lang), 1.3, 150, **in_chinese(lang, runs=True)),
        {"field": "points", "headerName": t("ind.points", lang), "width": 90, "type": "rightAligned", "wrapText": True,
         "autoHeight": True},
        {"field": "max", "headerName": t("ind.max", lang), "width": 80, "type": "rightAligned"},
        _wrapped("detail", t("ind.detail", lang), 2.2, 220, **in_chinese(lang, runs=True)),
        {"field": "clause", "headerName": t("ind.clause", lang), "width": 86},
        _wrapped("hint", t("ind.hint", lang), 1.8, 180, **in_chinese(lang, runs=True)),
    ]
    return dag.AgGrid(
        id="indicator-table", rowData=rows, columnDefs=columns,
        defaultColDef={"sortable": True, "resizable": True},
        dashGridOptions={"domLayout": "autoHeight", "suppressCellFocus": True, "animateRows": False, **GRID_KEYBOARD,
                         "localeText": grid_locale(lang),
                         "rowClassRules": {"row-short": "params.data.short", "row-pending": "params.data.pending"}},
        style={"height": None, "width": "100%"}, className="ag-theme-quartz indicator-grid",
    )


def indicator_cards(rows: list[dict], lang: str) -> dict:
    """The same rows as cards one under another, for a phone: the grid needs some 880 px across, and a
    school's officer often reads the page on a phone."""
    items = []
    for row in rows:
        body = [
            _node("dash_html_components", "Div", [
                _node("dash_html_components", "Span", data_runs(f"{row['id']} {row['title']}", lang)),
                _node("dash_html_components", "Span", f"{row['points']} / {row['max']}", className="ms-2 text-nowrap"),
            ], className="fw-semibold d-flex justify-content-between"),
            _node("dash_html_components", "Div", data_runs(row["detail"], lang), className="small"),
        ]
        if row["hint"]:
            body.append(_node("dash_html_components", "Div", data_runs(row["hint"], lang), className="small text-primary"))
        body.append(_node("dash_html_components", "Div", f"{t('ind.clause', lang)} {row['clause']}",
                          className="small text-muted"))
        colour = {"color": "warning"} if row["short"] else {"color": "light"} if row["pending"] else {}
        items.append(_node("dash_bootstrap_components", "ListGroupItem", body, **colour))
    return _node("dash_bootstrap_components", "ListGroup", items, id="indicator-cards", flush=True)


def _node(namespace: str, kind: str, children=None, **props) -> dict:
    """One element as the dict Dash sends: table rows are built this way, skipping a component object per cell."""
    return {"props": {"children": children, **props}, "type": kind, "namespace": namespace}


def _td(children, nowrap: bool = False) -> dict:
    # a code or a date kept on one line: on a phone 2026-05-18 broke as 2026- / 05-18 (a UX review)
    if nowrap:
        return _node("dash_html_components", "Td", children, className="text-nowrap")
    return _node("dash_html_components", "Td", children)


def _badge(text: str, colour: str) -> dict:
    return _node("dash_bootstrap_components", "Badge", text, color=colour)


def guards_table(campuses: list[dict], lang: str):
    """Per campus: people, boarders, guards required and on duty, and how many more it needs."""
    if not campuses:
        return html.P(t("school.no_campuses", lang), className="text-muted mb-0")
    # The state second: on a phone the columns after the first two or three are a sideways scroll away.
    head = _head(("guards.campus", "guards.state", "guards.people", "guards.boarders", "guards.required",
                  "guards.active"), lang)
    body = []
    for row in campuses:
        state = (_badge(t("guards.needs", lang, n=row["needs"]), "danger") if row["needs"]
                 else _badge(t("guards.ok", lang), "success"))
        body.append(_node("dash_html_components", "Tr", [
            _td(data_shown(row.get("campus"), lang)), _td(state), _td(row.get("people")),
            _td(row.get("boarders")), _td(row.get("guards_required")), _td(row.get("guards_active"))]))
    return dbc.Table([head, html.Tbody(body)], size="sm", responsive=True, className="mb-0", id="guards-table")


def draft_text(draft: dict, lang: str) -> str:
    """A published year's newer draft as the notice says it: 88.8分、良好, and （取消資格） when it is."""
    said = t("school.draft_result", lang, total=_total(draft["total"]), grade=grade_label(draft["grade"], lang))
    return said if draft["qualified"] else f"{said}{t('school.draft_disqualified', lang)}"


def inspection_table(findings: list[dict], lang: str, published_deduction: float | None = None):
    """The inspectors' findings on the school: what each deduction, assessed mark and veto was for.

    They are the records as they stand: in a published year whose draft has since taken another deduction
    or veto (published_deduction given: the frozen result's), a line says the published result was worked
    out before some of them (an audit: a falsification found since publication was listed under the frozen
    result with nothing said)."""
    since = None if published_deduction is None else html.P(
        t("school.inspections_since", lang, deduction=deduction_text(published_deduction)),
        className="small text-muted", id="inspections-since")
    if not findings:  # a finding deleted since publication leaves the frozen deduction to be explained too
        none = html.P(t("school.inspections_none", lang), className="text-muted mb-0")
        return none if since is None else html.Div([since, none])
    head = _head(("inspections.col.date", "inspections.col.kind", "inspections.col.finding",
                  "inspections.col.deduction", "inspections.col.effect"), lang)
    # rules.md: the latest finding of the year wins; an earlier assessment of the same indicator is said to
    # be replaced (both read alike, 「D1 考評得分 2」 and 「D1 考評得分 5」, with only the 5 counting; an audit)
    latest = {f["indicator"]: i for i, f in enumerate(findings) if f["indicator"] and f["assessed_points"] is not None}
    body = []
    for i, f in enumerate(findings):
        effect = []
        if f["falsification"]:
            effect.append(_badge(t("veto.falsification", lang), "danger"))
        if f["major_incident"]:
            effect.append(_badge(t("veto.major_incident", lang), "danger"))
        if f["indicator"] and f["assessed_points"] is not None:
            effect.append(t("inspections.assessed", lang, indicator=f["indicator"], points=_fmt(f["assessed_points"], 2)))
            if latest[f["indicator"]] != i:
                effect.append(html.Span(t("inspections.replaced", lang), className="text-muted"))
        body.append(_node("dash_html_components", "Tr", [
            _td(_date(f["date"])), _td(inspection_kind_label(f["kind"], lang)),
            _td(data_shown(f["finding"], lang)),
            # each finding's own points as entered, as the header and the circular print them (1.0, 0.25)
            _td(f"−{deduction_text(f['deduction'])}" if f["deduction"] else "–"), _td(effect or "–")]))
    table = dbc.Table([head, html.Tbody(body)], size="sm", responsive=True, className="mb-0", id="inspection-table")
    return table if since is None else html.Div([since, table])


def hazard_table(ledger: list[dict], lang: str):
    if not ledger:
        return html.P(t("hazards.none", lang), className="text-muted mb-0")
    # The status (overdue ...) and the deadline first: on a phone the last columns were a sideways scroll away.
    head = _head(("hazards.id", "hazards.status", "hazards.deadline", "hazards.description", "hazards.found",
                  "hazards.owner", "hazards.closed"), lang)
    body = [_node("dash_html_components", "Tr", [
        _td(str(r["id"]), nowrap=True), _td(_badge(t(f"hazards.status.{r['status']}", lang), STATUS_COLOURS[r["status"]])),
        # the description and the person responsible as the school wrote them: marked as Chinese in English
        _td(_date(r["deadline"]), nowrap=True), _td(data_shown(r["description"], lang)),
        _td(_date(r["found_date"]), nowrap=True),
        _td(data_shown(r["owner"], lang) if isinstance(r["owner"], str) and r["owner"] else "–"),
        _td(_date(r["closed_date"]), nowrap=True),
    ]) for r in ledger]
    return dbc.Table([head, html.Tbody(body)], size="sm", responsive=True, hover=True, className="mb-0",
                     id="hazard-table")


def _row_no(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def data_state_view(state: dict, lang: str):
    en = lang == "en"
    last = state["last_run"]
    parts = [html.P(t("data.last_sync", lang, date=last["finished_at"].strftime("%Y-%m-%d %H:%M") if last else "–"),
                    className="mb-2")]
    if not state["sources"]:
        parts.append(dbc.Alert(t("data.not_submitted", lang), color="warning", className="py-2"))
    if state.get("from_database"):
        sheets = [f"{contract.SHEETS[d['sheet_key']].en if en else to_language(contract.SHEETS[d['sheet_key']].zh, lang)}"
                  f"（{d['source']}）" for d in state["from_database"]]
        parts.append(dbc.Alert(t("data.from_database", lang, sheets=("; " if en else "、").join(sheets)),
                               color="info", className="py-2", id="sheets-from-database"))
    # A file gone from the inbox while another of the school's is loaded was replaced by it (uploads/CODE.xlsx
    # after uploads/CODE.ods): its stored 「其記錄已刪除」 in red read as data lost (found by an audit).
    current = next((src for src in state["sources"] if src["status"] == "loaded"), None)
    for src in state["sources"]:
        status = "replaced" if src["status"] == "missing" and current is not None else src["status"]
        loaded = src["loaded_at"].strftime("%Y-%m-%d %H:%M") if src["loaded_at"] else "–"
        colour = "success" if status == "loaded" else "danger" if status == "refused" else "secondary"
        if status == "replaced":
            said = t("data.replaced", lang, file=current["display_name"] or current["source_key"])
        else:  # a file refused from the start has loaded nothing: 「導入於 –，0 行」 read as a load that happened
            said = (t("data.loaded_at", lang, date=loaded, rows=src["rows"] or 0) if src["loaded_at"]
                    else t("data.never_loaded", lang))
        parts.append(html.Div([
            dbc.Badge(t(f"data.status.{status}", lang) if status in ("loaded", "refused", "missing", "replaced")
                      else status, color=colour, className="me-2"),
            html.Span(src["display_name"] or src["source_key"], className="fw-semibold me-2"),
            html.Span(said, className="small text-muted"),
            # The stored reason is Chinese; in English the same reason is in the table below, in English.
            html.Div(to_language(src["message"], lang), className="small text-danger")
            if src["message"] and not en and status != "replaced" else None,
        ], className="mb-1"))
    refused = state["refused"]
    parts.append(html.H3(t("data.refused_title", lang, n=state["refused_total"]), className="h6 mt-3"))
    if not refused:
        parts.append(html.P(t("data.refused_none", lang), className="text-muted small mb-0"))
    else:
        levels = {"file": "report.level_file", "note": "report.level_note"}
        rows = [{"level": t(levels.get(r["level"], "report.level_row"), lang),
                 "sheet": sheet_shown(r, lang), "row": _row_no(r["row_no"]),
                 "column": column_shown(r, lang), "value": str(r["value"] or ""),
                 "reason": r["reason_en"] if en else to_language_keeping_cell(str(r["reason_zh"]), lang, r["value"])}
                for r in refused]
        columns = [{"field": "level", "headerName": t("report.level", lang), "width": 110},
                   # in English a name and its English beside it (應急演練 (Emergency drills)): wider
                   {"field": "sheet", "headerName": t("data.sheet", lang), "width": 200 if en else 120},
                   {"field": "row", "headerName": t("data.row", lang), "width": 80},
                   {"field": "column", "headerName": t("data.column", lang), "width": 180 if en else 130},
                   # the value refused as the school typed it, and the reason that quotes it: marked in English
                   {"field": "value", "headerName": t("data.value", lang), "width": 140, **in_chinese(lang)},
                   _wrapped("reason", t("data.reason", lang), 2, 220, **in_chinese(lang, runs=True))]
        parts.append(dag.AgGrid(id="refused-table", rowData=rows, columnDefs=columns,
                                defaultColDef={"sortable": True, "resizable": True, "filter": True},
                                dashGridOptions={"domLayout": "autoHeight" if len(rows) <= 12 else "normal",
                                                 "localeText": grid_locale(lang),
                                                 "suppressCellFocus": True, **GRID_KEYBOARD},
                                style={"height": None if len(rows) <= 12 else "360px", "width": "100%"},
                                className="ag-theme-quartz"))
    if state.get("paperwork"):
        parts.append(paperwork_list(state["paperwork"], lang, "school-paperwork"))
    return html.Div(parts)


def refused_row_count(state: dict) -> str | None:
    """The rows of the school's files refused (not a whole file, not a note on content left unread), as the
    to-dos say it: the count the page lists, with a + when it lists only the newest."""
    listed = sum(1 for r in state["refused"] if r.get("level") == "row")
    if not listed:
        return None
    return f"{listed}+" if state["refused_total"] > len(state["refused"]) else str(listed)


@lru_cache(maxsize=256)
def _rendered(viewer, code: str, year: int, lang: str, today: date, version: tuple):
    """A rendered page per scope (the bureau, or one school), school, year, language and day, until the next sync."""
    return render_school(viewer, code, year, lang)


queries.forget_on_new_data(_rendered.cache_clear)  # keyed on the data version: gone once it changes


def render_school(viewer, code: str, year: int, lang: str):
    result = queries.school_result(viewer, code, year)
    status = queries.year_status(viewer, year)
    todo = queries.school_todos(viewer, code, year)
    trend = queries.school_trend_lists(viewer, code, year)
    calendar = sorted((result["indicators"].get("D1") or {}).get("periods") or [], key=lambda p: str(p.get("period")))
    guards = queries.campus_guards(viewer, code, year)
    hazards = queries.hazard_rows(viewer, code, year)
    state = queries.data_state(viewer, code)
    findings = queries.school_inspections(viewer, code, year)
    newer = queries.newer_draft(viewer, code, year)
    refused_file = any(src["status"] == "refused" for src in state["sources"])
    area_labels = {a: area_label(a, lang) for a in queries.AREAS}
    trend_names = {"axis": t("trend.axis_total", lang), "school": to_language(result["name"], lang),
                   "county": t("trend.county_mean", lang),
                   "type": t("trend.type_mean", lang, type=type_label(result["type"], lang)), "empty": t("trend.none", lang)}
    calendar_labels = {"held": t("calendar.held", lang), "missed": t("calendar.missed", lang),
                       "not_yet": t("calendar.not_yet", lang), "row": t("calendar.row", lang),
                       "empty": t("calendar.none", lang), **punctuation(lang)}
    graph = {"config": figures.GRAPH_CONFIG}
    rows = indicator_rows(result["indicators"], lang)  # the gains card and the table read the same rows
    refused_whole = refused_file and not result.get("submitted", True)  # the header's 「整個文件被拒收」
    steps = (refused_steps(viewer, state, lang) if refused_whole
             else not_submitted_steps(viewer, code, lang) if not result.get("submitted", True) else None)
    if todo["running_year"] and refused_whole:
        # Its records are in the refused file: advice for a school with none (31 rows of it) hid the one
        # step that counts, sending the file again, which the notice at the top gives with the reasons.
        gains = None
        rows = [{**row, "hint": ""} for row in rows]
    elif todo["running_year"]:  # as the to-dos: what to do now is for the running year only
        gains = gains_card(rows, result, lang)
    else:
        over = year_is_over(year)
        gains = year_over_note(year, status, lang) if over else None
        if over:
            # nothing is left to do for a year that is over, as its note says: the table offers no hint
            # either (it asked for "the next drill" in 2025, found by an audit)
            rows = [{**row, "hint": ""} for row in rows]
    areas_figure = figures.area_bars(result["areas"], area_labels, t("school.points", lang), t("school.max", lang))
    trend_figure = figures.trend_lists(trend, trend_names)
    calendar_figure = figures.drill_calendar_periods(calendar, calendar_labels)
    return html.Div([
        dcc.Store(id="school-tab-title", data=tab_title(to_language(result["name"], lang), lang)),
        header(result, status, lang, refused_file, newer, steps),
        # nor its to-dos ("this month's drill not held": it may be in the refused file; regression audit)
        None if refused_whole and todo["running_year"] else _section(
            t("todo.title", lang), todo_list(todo, lang, refused_row_count(state)), "todo-card", "border-warning"),
        gains,
        dbc.Row([
            dbc.Col(_section(t("school.areas", lang), [dcc.Graph(figure=areas_figure, id="area-bars", **graph),
                                                       chart_text(areas_figure, lang)]), lg=6),
            dbc.Col(_section(t("school.trend", lang), [dcc.Graph(figure=trend_figure, id="school-trend", **graph),
                                                       chart_text(trend_figure, lang)]), lg=6),
        ]),
        _section(t("school.indicators", lang), [
            _node("dash_html_components", "Div", indicator_table(rows, lang), className="d-none d-md-block d-print-block"),
            _node("dash_html_components", "Div", indicator_cards(rows, lang), className="d-md-none d-print-none"),
        ]),
        _section(t("school.drill_calendar", lang), [dcc.Graph(figure=calendar_figure, id="drill-calendar", **graph),
                                                    chart_text(calendar_figure, lang)]),
        dbc.Row([
            # Side by side only on a wide screen: at 1366 px the guards' 狀態 column was cut off.
            dbc.Col(_section(t("school.guards", lang), guards_table(guards, lang)), xxl=5),
            dbc.Col(_section(t("school.hazards", lang), hazard_table(hazards, lang)), xxl=7),
        ]),
        _section(t("school.inspections", lang), inspection_table(
            findings, lang, result["deduction"] if newer and newer["findings_since"] else None), "inspections-card"),
        _section(t("school.data_state", lang), data_state_view(state, lang), "data-state"),
    ])


@callback(Output("school-content", "children"), Input("lang-store", "data"), Input("year", "value"),
          Input("school-code", "data"))
def render_school_page(lang, year, code):
    """The school's page for the chosen year; refused when the viewer may not see that school."""
    lang = lang_of(lang)

    def render():
        viewer = viewer_or_refuse()
        if not code:
            raise queries.NotFound("school.pick")
        if not year:
            raise queries.NotFound("overview.no_results")
        return _rendered(queries.scope_viewer(viewer), str(code), page_year(year), lang, county_today(), queries.data_version())

    page = guarded(render, lang)
    # A refusal, or the bureau's "choose a school", is a page with a heading too (a screen reader's first
    # stop; it had none: found by the accessibility audit), and a tab named 學校 again (not the school
    # shown before it).
    return html.Div([dcc.Store(id="school-tab-title", data=tab_title(t("nav.school", lang), lang)),
                     html.H1(t("nav.school", lang), className="h3 mb-3", id="school-content-title"), page]) \
        if isinstance(page, dbc.Alert) else page


# The tab names the school shown (every school's tab read 學校 · 學校本質安全考評: a bureau official with
# several schools open, or a screen reader's list of windows, could not tell them apart; found by the
# accessibility audit).  The page's render, always a round trip later than the navbar's title for the
# page (dashboard.layout), has the last word; a change of year or language renders it again.
clientside_callback(
    """function(title) {
        if (title) { setTimeout(function() { document.title = title; }, 0); }
        return title || '';
    }""",
    Output("school-tab-sink", "title"), Input("school-tab-title", "data"),
)


@callback(Output("school-picker-row", "children"), Input("lang-store", "data"), Input("year", "value"),
          Input("school-code", "data"))
def render_picker(lang, year, code):
    """The bureau picks any school; a school viewer has only its own, so no picker."""
    lang = lang_of(lang)
    viewer = current_viewer()
    if viewer is None or not viewer.is_bureau or not year:
        return None
    try:
        year = page_year(year)
    except ValueError:  # a year the picker never holds
        return None
    choices = queries.school_choices(viewer, year)
    options = [data_option(f"{to_language(c['township'] or '', lang)} · {to_language(c['name'], lang)}",
                           c["school_code"], lang) for c in choices]
    return dbc.Row(dbc.Col(dcc.Dropdown(id="school-picker", options=options, value=code,
                                        placeholder=t("school.pick", lang), clearable=False), md=6, lg=4),
                   className="mb-3")


@callback(Output("nav-location", "pathname", allow_duplicate=True), Input("school-picker", "value"),
          prevent_initial_call=True)
def open_picked_school(code):
    viewer = viewer_or_refuse()
    if not code or not viewer.can_see_school(code):
        return no_update
    return f"/school/{code}"
