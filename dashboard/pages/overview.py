"""總覽: the year's headline figures, the county's to-dos (bureau) and the ranking.

The ranking grid gets its rows once per year and language; the type,
township and grade dropdowns only hand the grid a filter model, so filtering
never waits on the server.  A click on a row opens that school's page.
"""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import Input, Output, callback, dcc, html, no_update

from dashboard import figures, queries
from dashboard.i18n import t, to_language
from dashboard.layout import (
    card,
    grade_label,
    grid_locale,
    guarded,
    lang_of,
    page_year,
    status_badge,
    type_label,
    viewer_or_refuse,
)
from scoring.engine import round_half_up
from sync.settings import county_today


def layout(**_query):
    return html.Div([
        html.Div(id="overview-content", children=dbc.Spinner(color="primary")),
    ], className="overview-page")


dash.register_page(__name__, path="/", name="overview", title="學校本質安全考評", layout=layout)


def headline_cards(head: dict, lang: str) -> dbc.Row:
    def stat(key, value, sub=None, color="primary", element_id=None):
        body = [html.Div(t(key, lang), className="text-muted small"),
                html.Div(value, className=f"display-6 fw-semibold text-{color}", id=element_id or f"stat-{key}")]
        if sub:
            body.append(html.Div(sub, className="small text-muted"))
        return dbc.Col(dbc.Card(dbc.CardBody(body), className="h-100 shadow-sm stat-card"), xs=6, md=4, xl=True,
                       className="mb-3")


    mean = "–" if head["mean"] is None else f"{head['mean']:.1f}"
    share = "–" if head["drill_share"] is None else f"{head['drill_share'] * 100:.0f}%"
    grades = dbc.Col(dbc.Card(dbc.CardBody([
        html.Div(t("overview.per_grade", lang), className="text-muted small mb-2"),
        grade_strip(head["grades"], lang),
    ]), className="h-100 shadow-sm"), xs=12, md=8, xl=3, className="mb-3")
    return dbc.Row([
        stat("overview.schools", str(head["schools"])),
        stat("overview.mean", mean),
        stat("overview.disqualified", str(head["disqualified"]), color="danger"),
        stat("overview.not_submitted", str(head.get("not_submitted", 0)), t("overview.not_submitted_note", lang),
             color="secondary"),
        stat("overview.overdue_hazards", str(head["overdue_hazards"]), color="warning"),
        stat("overview.drill_share", share, t("overview.drill_share_note", lang, month=head["drill_month"]),
             color="success"),
        grades,
    ])


def grade_strip(grades: dict[str, int], lang: str):
    """Schools per grade: one stacked bar and a legend with the counts (colour-blind-safe colours)."""
    total = sum(grades.values()) or 1
    bars = [html.Div(title=f"{grade_label(g, lang)} {n}", className="grade-seg",
                     style={"width": f"{100 * n / total:.2f}%", "background": figures.GRADE_COLOURS.get(g, "#999")})
            for g, n in grades.items() if n]
    legend = [html.Span([html.Span(className="grade-dot", style={"background": figures.GRADE_COLOURS.get(g, "#999")}),
                         f"{grade_label(g, lang)} ", html.B(str(n))], className="me-2 text-nowrap small d-inline-block")
              for g, n in grades.items()]
    return html.Div([html.Div(bars, className="grade-strip mb-2"), html.Div(legend)], id="grade-strip")


def county_todo_card(todo: dict, lang: str):
    """The bureau's view of the to-dos: how many schools owe each duty now."""
    if not todo.get("running_year"):
        return card("todo.county_title", html.P(t("todo.past_year", lang), className="text-muted mb-0"))
    items = [
        ("todo.county.drill", todo["drill_due"], "warning"),
        ("todo.county.class", todo["class_due"], "warning"),
        ("todo.county.guard_training", todo["guards_untrained"], "info"),
        ("todo.county.hazards_overdue", todo["hazards_overdue"], "danger"),
        ("todo.county.hazards_soon", todo["hazards_due_soon"], "warning"),
        ("todo.county.guards_56", todo["guards_turning_56"], "info"),
        ("todo.county.guards_over", todo["guards_over_55"], "danger"),
    ]
    group = dbc.ListGroup([
        dbc.ListGroupItem([t(key, lang), dbc.Badge(str(n), color=color if n else "light", text_color=None if n else "dark",
                                                    className="ms-2 float-end")])
        for key, n, color in items
    ], flush=True, id="county-todos")
    return card("todo.county_title", group)


LOWEST_SHOWN = 5


def lowest_card(rows: list[dict], lang: str):
    """The ranked schools at the bottom, each a link to its page: who needs the bureau first, at a glance
    (the ranking opens best first; found by an audit, a leader could not find the worst in 30 s)."""
    ranked = [r for r in rows if r["rank_sort"] < 100000 and r["total"] is not None]
    lowest = sorted(ranked, key=lambda r: (r["total"], r["name"]))[:LOWEST_SHOWN]
    items = [dbc.ListGroupItem([
        html.A(r["name"] + (r["not_submitted"] or ""), href=f"/school/{r['school_code']}", className="fw-semibold"),
        html.Span(t("overview.lowest_item", lang, rank=r["rank_text"], total=f"{r['total']:.1f}", grade=r["grade"]),
                  className="small text-muted float-end"),
    ]) for r in lowest]
    return card("overview.lowest_title", dbc.ListGroup(items, flush=True, id="lowest-schools"))


def _suffix(label: str, lang: str) -> str:
    """A note after a name: full-width brackets in Chinese, a space and brackets in English."""
    return f" ({label})" if lang == "en" else f"（{label}）"


def ranking_rows(frame: pd.DataFrame, lang: str) -> list[dict]:
    """Grid rows: text in the viewer's language, rank text 取消資格 for a disqualified school."""
    disqualified = t("ranking.disqualified", lang)
    rows = pd.DataFrame({
        "school_code": frame["school_code"].astype(str),
        "rank_sort": frame["position"].astype("int64") + (~frame["qualified"].astype(bool)).astype("int64") * 100000,
        "rank_text": [disqualified if not q else (str(int(r)) if pd.notna(r) else "–")
                      for q, r in zip(frame["qualified"], frame["rank"], strict=True)],
        "name": [to_language(str(n), lang) for n in frame["name"]],
        # 未提交 beside the name (the grid's formatter adds it), in the viewer's language.
        "not_submitted": np.where(frame["submitted"].astype(bool), "", np.where(
            frame["refused"].astype(bool), _suffix(t("submitted.refused", lang), lang),
            _suffix(t("submitted.not", lang), lang))),
        "type": [type_label(x, lang) for x in frame["type"]],
        "township": [to_language(str(x), lang) for x in frame["township"]],
        "campus_count": frame["campus_count"],
        "people": frame["people"],
        # halves up, as the totals and the circular's columns are (9.25 is 9.3)
        **{a: round_half_up(frame[a]) for a in queries.AREAS},
        "deduction": round_half_up(pd.to_numeric(frame["deduction"], errors="coerce")),
        "total": frame["total"].round(1),
        "grade": [grade_label(g, lang) for g in frame["grade"]],
        "grade_key": frame["grade"].astype(str),
        "change": frame["change"].round(1),
    })
    return json.loads(rows.to_json(orient="records", force_ascii=False))


def ranking_columns(lang: str) -> list[dict]:
    area_names = {a: t(f"area.{a}", lang) for a in queries.AREAS}
    return [
        {"field": "rank_sort", "headerName": t("ranking.rank", lang), "valueFormatter": {"function": "params.data.rank_text"},
         "width": 90, "minWidth": 72, "pinned": "left", "sort": "asc", "filter": False},
        {"field": "name", "headerName": t("ranking.school", lang), "minWidth": 150, "flex": 2, "pinned": "left",
         "cellClass": "link-cell",
         "valueFormatter": {"function": "params.value + (params.data.not_submitted || '')"},
         "cellClassRules": {"not-submitted": "!!params.data.not_submitted"}},
        {"field": "type", "headerName": t("ranking.type", lang), "width": 130 if lang == "en" else 110, "minWidth": 80},
        {"field": "township", "headerName": t("ranking.township", lang), "width": 110, "minWidth": 80},
        # one column for both (a column each pushed 較上年 off a 1366 px screen in English); sorts by people
        {"field": "people", "headerName": t("ranking.campuses_people", lang),
         "headerTooltip": t("ranking.campuses_people_tip", lang), "width": 104, "minWidth": 92,
         "type": "numericColumn", "filter": False,
         "valueFormatter": {"function": "params.value == null ? '–' : params.data.campus_count + ' · ' + "
                                        "Number(params.value).toLocaleString('en')"}},
        *[{"field": a, "headerName": a, "headerTooltip": area_names[a], "width": 74, "type": "numericColumn",
           "valueFormatter": _ONE_DECIMAL} for a in queries.AREAS],
        # Why A to G do not add up to the total where an inspection took points off (none: –).
        {"field": "deduction", "headerName": t("ranking.deduction", lang),
         "headerTooltip": t("ranking.deduction_tip", lang), "width": 74, "type": "numericColumn",
         "valueFormatter": {"function": "params.value ? '−' + Number(params.value).toFixed(1) : '–'"},
         "cellClassRules": {"text-danger": "params.value > 0"}},
        # rules.md: the total is published to one decimal, so 100 reads 100.0 beside 99.8
        {"field": "total", "headerName": t("ranking.total", lang), "width": 96, "type": "numericColumn",
         "cellClass": "fw-bold", "valueFormatter": _ONE_DECIMAL},
        {"field": "grade", "headerName": t("ranking.grade", lang), "width": 100, "minWidth": 76,
         "cellClassRules": {f"grade-{i}": f"params.data.grade_key == {json.dumps(g)}" for i, g in enumerate(queries.GRADES)}},
        {"field": "change", "headerName": t("ranking.change", lang), "width": 110, "minWidth": 84, "type": "numericColumn",
         "valueFormatter": {"function": "params.value == null ? '–' : (params.value > 0 ? '▲ ' : params.value < 0 ? '▼ ' : '') + Math.abs(params.value).toFixed(1)"},
         "cellClassRules": {"text-success": "params.value > 0", "text-danger": "params.value < 0"}},
    ]


_ONE_DECIMAL = {"function": "params.value == null ? '–' : Number(params.value).toFixed(1)"}


def _grade_options(rows: list[dict]) -> list[dict]:
    """The grades present, best first (優秀, 良好, 合格, 不合格), labelled in the viewer's language."""
    labels = {r["grade_key"]: r["grade"] for r in rows}
    return [{"label": labels[g], "value": labels[g]} for g in queries.GRADES if g in labels]


def _options(values, label) -> list[dict]:
    return [{"label": label(v), "value": v} for v in sorted({v for v in values if v})]


def area_key(lang: str):
    """What the columns A-G are, under the ranking (a leader does not find the headers' tooltips)."""
    return html.P("　".join(f"{a} {t(f'area.{a}', lang)}" for a in queries.AREAS),
                  className="small text-muted mt-2 mb-0", id="area-key")


def ranking_card(frame: pd.DataFrame, rows: list[dict], lang: str, published: bool, bureau: bool):
    note = None
    if not bureau and not published:
        note = dbc.Alert(t("ranking.draft_own_only", lang), color="info", className="py-2 small")
    filters = dbc.Row([
        dbc.Col(dcc.Dropdown(id="filter-type", options=_options((r["type"] for r in rows), str),
                             placeholder=t("ranking.filter_type", lang)), xs=12, md=4, className="mb-2"),
        dbc.Col(dcc.Dropdown(id="filter-township", options=_options((r["township"] for r in rows), str),
                             placeholder=t("ranking.filter_township", lang)), xs=12, md=4, className="mb-2"),
        dbc.Col(dcc.Dropdown(id="filter-grade", options=_grade_options(rows),
                             placeholder=t("ranking.filter_grade", lang)), xs=12, md=4, className="mb-2"),
    ], className="no-print")
    grid = dag.AgGrid(
        id="ranking-grid",
        rowData=rows,
        columnDefs=ranking_columns(lang),
        # minWidth: on a phone the columns keep a readable width and the grid scrolls sideways beside the
        # pinned rank and name (squeezed to fit, every cell read 「幼·」 and the total was gone).
        defaultColDef={"sortable": True, "resizable": True, "filter": True, "suppressHeaderMenuButton": False,
                       "minWidth": 64},
        getRowId="params.data.school_code",
        # Every column within the card at 1366 px (較上年 was off-screen behind a sideways scroll).
        columnSize="responsiveSizeToFit",
        dashGridOptions={"animateRows": False, "rowHeight": 36, "suppressCellFocus": True,
                         "tooltipShowDelay": 200, "localeText": grid_locale(lang)},
        style={"height": "min(70vh, 760px)", "width": "100%"},
        className="ag-theme-quartz ranking-grid",
    )
    return dbc.Card([
        dbc.CardHeader(html.Div([html.H2(t("ranking.title", lang), className="h6 mb-0 d-inline"),
                                 html.Span(t("ranking.click_hint", lang), className="small text-muted ms-2 no-print")])),
        dbc.CardBody([note, filters, grid, area_key(lang)]),
    ], className="mb-3 shadow-sm")


@callback(Output("overview-content", "children"), Input("lang-store", "data"), Input("year", "value"))
def render_overview(lang, year):
    """The whole overview for the chosen year, in the viewer's language."""
    lang = lang_of(lang)

    def render():
        viewer = viewer_or_refuse()
        if not year:
            raise queries.NotFound("overview.no_results")
        return _rendered(queries.scope_viewer(viewer), page_year(year), lang, county_today(), queries.data_version())

    return guarded(render, lang)


@lru_cache(maxsize=64)
def _rendered(viewer, year: int, lang: str, today: date, version: tuple):
    """The overview per scope (the bureau, or one school), year, language and day, until the next sync."""
    return _render(viewer, year, lang)


def _render(viewer, year: int, lang: str):
    status = queries.year_status(viewer, int(year))
    if not status["schools"]:
        raise queries.NotFound("overview.no_results")
    head = queries.headline(viewer, int(year))
    frame = queries.ranking(viewer, int(year))
    rows = ranking_rows(frame, lang)
    title = html.H1([t("overview.title", lang, year=year), status_badge(status, lang)], className="h3 mb-3")
    parts = [title]
    if not viewer.is_bureau:  # a school's officer would read 43 overdue hazards as the school's own
        parts.append(html.P(t("overview.county_figures", lang), className="text-muted small mb-2",
                            id="county-figures-note"))
    parts.append(headline_cards(head, lang))
    if viewer.is_bureau:
        parts.append(dbc.Row([dbc.Col(county_todo_card(queries.county_todos(viewer, int(year)), lang), lg=6),
                              dbc.Col(lowest_card(rows, lang), lg=6)]))
    parts.append(ranking_card(frame, rows, lang, status["published"], viewer.is_bureau))
    return html.Div(parts)


@callback(Output("ranking-grid", "filterModel"), Input("filter-type", "value"), Input("filter-township", "value"),
          Input("filter-grade", "value"))
def filter_ranking(school_type, township, grade):
    """Filter the ranking by type, township and grade (the grid applies it to the rows it holds)."""
    viewer_or_refuse()
    return figures.ranking_filter_model(school_type, township, grade)


@callback(Output("nav-location", "pathname", allow_duplicate=True), Input("ranking-grid", "cellClicked"),
          prevent_initial_call=True)
def open_school_from_ranking(cell):
    """A click on a ranking row opens that school's page (if this viewer may see it)."""
    viewer = viewer_or_refuse()
    code = cell.get("rowId") if isinstance(cell, dict) else None
    if not isinstance(code, str) or not code or not viewer.can_see_school(code):
        return no_update
    return f"/school/{code}"
