"""總覽: the year's headline figures, the county's to-dos (bureau) and the ranking.

The ranking grid gets its rows once per year and language; the type,
township and grade dropdowns only hand the grid a filter model, so filtering
never waits on the server.  A click on a row opens that school's page (the bureau's
any row; a school's only its own, the one row that reads as a link to it).
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
from dashboard.exports import percent_met
from dashboard.i18n import t, to_language
from dashboard.layout import (
    GRID_KEYBOARD,
    area_label,
    card,
    data_option,
    data_text,
    grade_label,
    grid_locale,
    guarded,
    in_chinese,
    lang_of,
    page_year,
    status_badge,
    type_label,
    viewer_or_refuse,
)
from dashboard.pages._admin import CELL_PADDING, HEADER_CHROME, text_px, wrapped_px
from scoring.engine import round_half_up
from sync.contract import SCHOOL_TYPES
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
    # halves up, and never 100% while a school has not drilled (199 of 200 read 100%; an audit)
    share = "–" if head["drill_share"] is None else f"{percent_met(head['drill_share'])}%"
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
        # the emphasis shade: Bootstrap's yellow figure on white was 1.6:1, a number hard to read (an audit)
        stat("overview.overdue_hazards", "–" if head["overdue_hazards"] is None else str(head["overdue_hazards"]),
             color="warning-emphasis"),
        # green only when every school has drilled: 22 % on the 1st of a month read as good news (a UX walk)
        stat("overview.drill_share", share, t(_drill_note(head), lang, month=head["drill_month"]),
             color="success" if head["drill_share"] == 1 else "primary"),
        grades,
    ])


def _drill_note(head: dict) -> str:
    """What the drill share is of (D1, 4.4.1: a drill each term month, a kindergarten's each quarter of a
    semester): in a month that is no term month it is the kindergartens' alone, or nobody's."""
    if head.get("drill_due") is None or head.get("drill_term_month", True):
        return "overview.drill_share_note"
    return "overview.drill_share_kindergartens" if head["drill_due"] else "overview.drill_share_none_due"


def grade_strip(grades: dict[str, int], lang: str):
    """Schools per grade: one stacked bar and a legend with the counts (colour-blind-safe colours)."""
    total = sum(grades.values()) or 1
    colour = _grade_colours(grades)
    bars = [html.Div(title=f"{grade_label(g, lang)} {n}", className="grade-seg",
                     style={"width": f"{100 * n / total:.2f}%", "background": colour[g]})
            for g, n in grades.items() if n]
    legend = [html.Span([html.Span(className="grade-dot", style={"background": colour[g]}),
                         f"{grade_label(g, lang)} ", html.B(str(n))], className="me-2 text-nowrap small d-inline-block")
              for g, n in grades.items()]
    return html.Div([html.Div(bars, className="grade-strip mb-2"), html.Div(legend)], id="grade-strip")


def _grade_colours(grades) -> dict[str, str]:
    """Each band's colour: rules.md's four their own; a county's bands by their place in its rubric, best
    first; a band no longer in the rubric (a year graded under another) grey."""
    bands = queries.grade_names()
    by_name = set(bands) <= set(figures.GRADE_COLOURS)
    return {g: figures.GRADE_COLOURS.get(g, "#999") if by_name or g not in bands
            else figures.GRADE_SHADES[figures.grade_shade(bands.index(g), len(bands))] for g in grades}


def county_todo_card(todo: dict, lang: str):
    """The bureau's view of the to-dos: how many schools owe each duty now."""
    if not todo.get("running_year"):
        return card("todo.county_title", html.P(t("todo.past_year", lang), className="text-muted mb-0"))
    age = todo["guard_age_limit"]
    # A count of schools owing a drill, a class or a training opens the heatmap of it, where they are (a UX
    # review: "47 schools" and no way to see which); hazards and guards' ages have no county map of their own.
    items = [
        ("todo.county.drill", todo["drill_due"], "warning", {}, "drills"),
        ("todo.county.class", todo["class_due"], "warning", {}, "classes"),
        ("todo.county.class_missed", todo["class_missed"], "warning", {}, "classes"),
        ("todo.county.guard_training", todo["guards_untrained"], "info", {}, "guard_training"),
        ("todo.county.hazards_overdue", todo["hazards_overdue"], "danger", {}, None),
        ("todo.county.hazards_soon", todo["hazards_due_soon"], "warning", {"days": queries.HAZARD_SOON_DAYS}, None),
        ("todo.county.guards_reaching_age_limit", todo["guards_reaching_age_limit"], "info",
         {"over": age + 1, "days": queries.GUARD_BIRTHDAY_WARNING_DAYS}, None),
        ("todo.county.guards_over", todo["guards_over_age_limit"], "danger", {"age": age}, None),
    ]
    group = dbc.ListGroup([
        dbc.ListGroupItem([t(key, lang, **values), dbc.Badge(str(n), color=color if n else "light",
                                                             text_color=None if n else "dark", className="ms-2 float-end")],
                          **({"href": f"/heatmaps?measure={measure}", "action": True} if measure and n else {}))
        for key, n, color, values, measure in items
    ], flush=True, id="county-todos")
    return card("todo.county_title", group)


LOWEST_SHOWN = 5


def lowest_card(rows: list[dict], lang: str):
    """The ranked schools at the bottom, each a link to its page: who needs the bureau first, at a glance
    (the ranking opens best first; found by an audit, a leader could not find the worst in 30 s)."""
    ranked = [r for r in rows if r["rank_sort"] < 100000 and r["total"] is not None]
    lowest = sorted(ranked, key=lambda r: (r["total"], r["name"]))[:LOWEST_SHOWN]
    items = [dbc.ListGroupItem([
        html.A([data_text(r["name"], lang), r["not_submitted"] or ""], href=f"/school/{r['school_code']}",
               className="fw-semibold"),
        html.Span(t("overview.lowest_item", lang, rank=r["rank_text"], total=f"{r['total']:.1f}", grade=r["grade"]),
                  className="small text-muted float-end"),
    ]) for r in lowest]
    # Above them, the schools disqualified (一票否決): listed after every ranked school in the grid, they were
    # the bureau's first concern and a long scroll away (found by an audit).
    vetoed = [dbc.ListGroupItem([
        html.A(data_text(r["name"], lang), href=f"/school/{r['school_code']}", className="fw-semibold"),
        html.Span(r["rank_text"], className="small text-danger float-end"),
    ]) for r in rows if r["rank_sort"] >= 100000]
    disqualified = [html.Div(t("overview.disqualified_list", lang), className="small text-muted"),
                    dbc.ListGroup(vetoed, flush=True, id="disqualified-schools", className="mb-2")] if vetoed else []
    return card("overview.lowest_title", [*disqualified, dbc.ListGroup(items, flush=True, id="lowest-schools")])


def _suffix(label: str, lang: str) -> str:
    """A note after a name: full-width brackets in Chinese, a space and brackets in English."""
    return f" ({label})" if lang == "en" else f"（{label}）"


def ranking_rows(frame: pd.DataFrame, lang: str, viewer=None) -> list[dict]:
    """Grid rows: text in the viewer's language, rank text 取消資格 for a disqualified school; `opens`: whether
    a click on the row opens the school for this viewer (a school opens only its own page, and a row it
    cannot open must not read as a link: found by an audit, other schools' names were blue and did nothing)."""
    disqualified, short = t("ranking.disqualified", lang), t("ranking.disqualified_short", lang)
    rank_texts = [disqualified if not q else (str(int(r)) if pd.notna(r) else "–")
                  for q, r in zip(frame["qualified"], frame["rank"], strict=True)]
    codes = frame["school_code"].astype(str)
    rows = pd.DataFrame({
        "school_code": codes,
        "opens": [viewer is not None and viewer.can_see_school(code) for code in codes],
        "rank_sort": frame["position"].astype("int64") + (~frame["qualified"].astype(bool)).astype("int64") * 100000,
        "rank_text": rank_texts,
        # The grid's rank cell: "Disqualified" made the pinned rank column so wide that on a phone the grade
        # beside the total was cut to "Excellen" in English (a UX review); the whole word on hover.
        "rank_cell": [text if q else short for q, text in zip(frame["qualified"], rank_texts, strict=True)],
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
        "deduction": round_half_up(pd.to_numeric(frame["deduction"], errors="coerce"), 2),  # as entered, as the circular
        "total": frame["total"].round(1),
        "grade": frame["grade"].map({g: grade_label(g, lang) for g in frame["grade"].dropna().unique()}).fillna("–"),
        "grade_key": frame["grade"].astype(str),
        "change": frame["change"].round(1),
    })
    return json.loads(rows.to_json(orient="records", force_ascii=False))


# The sort arrow beside the header of the column the ranking opens sorted by; the filter button, of the
# header's chrome, that a column without a filter does not draw.
_SORT_ARROW, _FILTER_BUTTON = 18, 20


def _fit(header: str, values=(), sorted_first: bool = False, filtered: bool = True) -> int:
    """The narrowest a column can be with its header (wrapped between words) and every value whole: the
    grid cut headers and values at 1366 px (「R.」「Gr…」「vs la…」, grade 「Excel…」 read as the Excel program;
    found by an audit), and a column kept at this minimum never cuts them."""
    # two lines at most (a third made the header row taller than two rows); a header of one word (排名,
    # 較上年) on one line, not broken between its characters
    chrome = HEADER_CHROME - (0 if filtered else _FILTER_BUTTON) + (_SORT_ARROW if sorted_first else 0)
    head = wrapped_px(header, 2 if " " in header else 1) + chrome
    cells = max((text_px(v) for v in values if v), default=0) + CELL_PADDING
    return max(head, cells)


def _fitted(column: dict, values=(), sorted_first: bool = False) -> dict:
    width = _fit(column["headerName"], values, sorted_first, column.get("filter", True) is not False)
    return {**column, "minWidth": width, "width": width}


def ranking_columns(lang: str, rows: list[dict] | None = None) -> list[dict]:
    """The ranking's columns, each as wide as its words need in `lang` (rows: the values to fit, beside every
    school type and grade), each header with a tooltip saying what it is.  The school's name reads as a link
    only on a row the viewer can open (`opens`, ranking_rows)."""
    rows = rows or []
    area_names = {a: area_label(a, lang) for a in queries.AREAS}
    types = {type_label(x, lang) for x in SCHOOL_TYPES} | {r.get("type") for r in rows}
    bands = queries.grade_names()
    grades = {grade_label(g, lang) for g in bands}
    townships = {r.get("township") for r in rows} or {"城關鎮鎮"}  # no rows: room for four characters
    numbers = ["100.0"]
    return [
        _fitted({"field": "rank_sort", "headerName": t("ranking.rank", lang), "headerTooltip": t("ranking.rank_tip", lang),
                 "valueFormatter": {"function": "params.data.rank_cell"},
                 "tooltipValueGetter": {"function": "params.data.rank_text"},
                 "pinned": "left", "sort": "asc", "filter": False},
                [t("ranking.disqualified_short", lang), "999"], sorted_first=True),
        {"field": "name", "headerName": t("ranking.school", lang), "headerTooltip": t("ranking.school", lang),
         # 110 px: on a phone, room beside it for the total and grade.  A long name wraps onto a second line
         # rather than being cut: 石橋鎮張莊幼兒園 and 石橋鎮張莊小學 both read 石橋鎮張莊… (a UX review).
         "minWidth": 110, "flex": 2, "pinned": "left", "wrapText": True, "autoHeight": True,
         "cellClass": "ranking-name",
         "valueFormatter": {"function": "params.value + (params.data.not_submitted || '')"},
         # a long name with （未提交） may still be cut on a narrow screen: the whole of it on hover
         "tooltipValueGetter": {"function": "params.value + (params.data.not_submitted || '')"},
         "cellClassRules": {"link-cell": "params.data.opens === true", "not-submitted": "!!params.data.not_submitted"},
         **in_chinese(lang, "not_submitted")},
        # Beside the name: on a phone the total and grade a leader opens the page for were a dozen columns to
        # the right, behind a sideways scroll (found by an audit); the A-G that make it up follow.
        # rules.md: the total is published to one decimal, so 100 reads 100.0 beside 99.8
        _fitted({"field": "total", "headerName": t("ranking.total", lang), "headerTooltip": t("ranking.total_tip", lang),
                 "type": "numericColumn", "cellClass": "fw-bold", "valueFormatter": _ONE_DECIMAL}, ["100.0 "]),
        _fitted({"field": "grade", "headerName": t("ranking.grade", lang), "headerTooltip": t("ranking.grade", lang),
                 "cellClassRules": _grade_classes(bands)}, grades),
        _fitted({"field": "type", "headerName": t("ranking.type", lang), "headerTooltip": t("ranking.type", lang)}, types),
        _fitted({"field": "township", "headerName": t("ranking.township", lang),
                 "headerTooltip": t("ranking.township", lang), **in_chinese(lang)}, townships),
        # one column for both (a column each pushed 較上年 off a 1366 px screen in English); sorts by people
        _fitted({"field": "people", "headerName": t("ranking.campuses_people", lang),
                 "headerTooltip": t("ranking.campuses_people_tip", lang), "type": "numericColumn", "filter": False,
                 "valueFormatter": {"function": "params.value == null ? '–' : params.data.campus_count + ' · ' + "
                                                "Number(params.value).toLocaleString('en')"}}, ["9 · 99,999"]),
        *[_fitted({"field": a, "headerName": a, "headerTooltip": f"{a} {area_names[a]}", "type": "numericColumn",
                   "valueFormatter": _ONE_DECIMAL}, numbers) for a in queries.AREAS],
        # Why A to G do not add up to the total where an inspection took points off (none: –).
        _fitted({"field": "deduction", "headerName": t("ranking.deduction", lang),
                 "headerTooltip": t("ranking.deduction_tip", lang), "type": "numericColumn",
                 "valueFormatter": {"function": "params.value ? '−' + Number(params.value).toFixed("
                                                "Math.round(params.value * 100) % 10 ? 2 : 1) : '–'"},
                 "cellClassRules": {"text-danger": "params.value > 0"}}, ["−10.0"]),
        # Hidden while no school has a change to show (a running year is not compared): a column of "–"
        # said nothing and took the room the names need (a UX review).
        _fitted({"field": "change", "headerName": t("ranking.change", lang), "headerTooltip": t("ranking.change_tip", lang),
                 "type": "numericColumn", "hide": bool(rows) and all(r.get("change") is None for r in rows),
                 "valueFormatter": {"function": "params.value == null ? '–' : (params.value > 0 ? '▲ ' : params.value < 0 ? '▼ ' : '') + Math.abs(params.value).toFixed(1)"},
                 "cellClassRules": {"text-success": "params.value > 0", "text-danger": "params.value < 0"}}, ["▲ 100.0"]),
    ]


_ONE_DECIMAL = {"function": "params.value == null ? '–' : Number(params.value).toFixed(1)"}


def _grade_classes(bands: tuple[str, ...]) -> dict[str, str]:
    """The ranking's grade-0..3 class (assets/10-safeschool.css) of each band, as its colour in the strip."""
    rules: dict[str, list[str]] = {}
    for i, g in enumerate(bands):
        rules.setdefault(f"grade-{figures.grade_shade(i, len(bands))}", []).append(
            f"params.data.grade_key == {json.dumps(g)}")
    return {name: " || ".join(tests) for name, tests in rules.items()}


def _grade_options(rows: list[dict]) -> list[dict]:
    """The grades present, best first (優秀, 良好, 合格, 不合格, then a band of a bureau's own rubric, as
    the ranking meets it), labelled in the viewer's language."""
    labels = {r["grade_key"]: r["grade"] for r in rows if r.get("grade_key")}
    bands = queries.grade_names()
    order = [*[g for g in bands if g in labels], *[g for g in labels if g not in bands]]
    return [{"label": labels[g], "value": labels[g]} for g in order]


def _options(values, label) -> list[dict]:
    return [{"label": label(v), "value": v} for v in sorted({v for v in values if v})]


def _data_options(values, lang: str) -> list[dict]:
    """Options of data in Chinese (townships), each marked as Chinese on an English page (layout.data_option)."""
    return [data_option(value, value, lang) for value in sorted({v for v in values if v})]


def area_key(lang: str):
    """What the columns A-G are, under the ranking (a leader does not find the headers' tooltips)."""
    return html.P("　".join(f"{a} {area_label(a, lang)}" for a in queries.AREAS),
                  className="small text-muted mt-2 mb-0", id="area-key")


def ranking_card(frame: pd.DataFrame, rows: list[dict], lang: str, published: bool, bureau: bool):
    note = None
    if not bureau and not published:
        note = dbc.Alert(t("ranking.draft_own_only", lang), color="info", className="py-2 small")
    filters = dbc.Row([
        dbc.Col(dcc.Dropdown(id="filter-type", options=_options((r["type"] for r in rows), str),
                             placeholder=t("ranking.filter_type", lang)), xs=12, md=4, className="mb-2"),
        dbc.Col(dcc.Dropdown(id="filter-township", options=_data_options((r["township"] for r in rows), lang),
                             placeholder=t("ranking.filter_township", lang)), xs=12, md=4, className="mb-2"),
        dbc.Col(dcc.Dropdown(id="filter-grade", options=_grade_options(rows),
                             placeholder=t("ranking.filter_grade", lang)), xs=12, md=4, className="mb-2"),
    ], className="no-print")
    grid = dag.AgGrid(
        id="ranking-grid",
        rowData=rows,
        columnDefs=ranking_columns(lang, rows),
        # minWidth (each column's, ranking_columns): on a phone the columns keep a readable width and the grid
        # scrolls sideways beside the pinned rank and name (squeezed to fit, every cell read 「幼·」 and the
        # total was gone).  A header of several words wraps onto a second line rather than being cut.
        defaultColDef={"sortable": True, "resizable": True, "filter": True, "suppressHeaderMenuButton": False,
                       "minWidth": 64, "wrapHeaderText": True, "autoHeaderHeight": True},
        getRowId="params.data.school_code",
        # Every column within the card at 1366 px (較上年 was off-screen behind a sideways scroll); wider
        # screens share the room out, never below a column's minimum.
        columnSize="responsiveSizeToFit",
        # The cells take focus (the arrow keys move a keyboard user through the ranking, Enter opens the
        # school: openOnEnter); Tab leaves the grid (GRID_KEYBOARD).
        dashGridOptions={"animateRows": False, "rowHeight": 36, **GRID_KEYBOARD,
                         "tooltipShowDelay": 200, "localeText": grid_locale(lang),
                         # the hand cursor only where a click opens the school
                         "rowClassRules": {"opens-school": "params.data.opens === true"}},
        eventListeners={"cellKeyDown": ["openOnEnter(params, setGridProps)"]},
        style={"height": "min(70vh, 760px)", "width": "100%"},
        className="ag-theme-quartz ranking-grid",
    )
    # Only the bureau opens any row; a school opens its own page from the navbar (the hint promised every
    # school and a click on another did nothing: found by an audit).
    hint = html.Span(t("ranking.click_hint", lang), className="small text-muted ms-2 no-print",
                     id="ranking-hint") if bureau else None
    return dbc.Card([
        dbc.CardHeader(html.Div([html.H2(t("ranking.title", lang), className="h6 mb-0 d-inline"), hint])),
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


queries.forget_on_new_data(_rendered.cache_clear)  # keyed on the data version: gone once it changes


EARLY_MONTHS = 2  # a running year's first months, when most of its periods have not come due


def _render(viewer, year: int, lang: str):
    status = queries.year_status(viewer, int(year))
    if not status["schools"]:
        raise queries.NotFound("overview.no_results")
    head = queries.headline(viewer, int(year))
    frame = queries.ranking(viewer, int(year))
    rows = ranking_rows(frame, lang, viewer)
    title = html.H1([t("overview.title", lang, year=year), status_badge(status, lang)], className="h3 mb-3")
    parts = [title]
    as_of = status.get("as_of")
    if not status["published"] and status["running"] and as_of.month <= EARLY_MONTHS:
        # In January every school was 合格 or 不合格: no drill of the year yet scores D3-D5 at 0, as rules.md
        # says (nothing to measure is never full marks), A5 and G1 wait for the year's letter and funds, and a
        # leader would read it as a county gone bad (a turn-of-the-year audit)
        parts.append(dbc.Alert(t("overview.early_year", lang, date=as_of), color="info", className="py-2 small",
                               id="early-year-note"))
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
