"""熱力圖: schools by period for drills, safety classes, training and gate duty; a click opens the school.

Readable at 60 schools and usable at 1,000: rows grouped by township or type
(the group leads each row label), a filter on groups, worst-first ordering,
and pages of 60 schools; the figure grows with the rows it shows.
"""

from __future__ import annotations

from functools import lru_cache

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html, no_update

from dashboard import figures, queries
from dashboard.access import current_viewer
from dashboard.i18n import t, to_language
from dashboard.layout import T, lang_of, page_year, period_label, type_label, viewer_or_refuse

MEASURE_ORDER = ("drills", "drills_kindergarten", "classes", "staff_training", "guard_training", "gate_duty",
                 "guard_drills")


def layout(**_query):
    # A kindergarten's officer opens the measure that applies to it (drills by quarter), not an empty map.
    first = "drills_kindergarten" if queries.own_school_type(current_viewer()) == "幼兒園" else "drills"
    controls = dbc.Row([
        dbc.Col([T("heatmap.measure", tag=html.Label, htmlFor="hm-measure", className="small text-muted"),
                 dcc.Dropdown(id="hm-measure", value=first, clearable=False, searchable=False,
                              options=[{"label": m, "value": m} for m in MEASURE_ORDER])], xs=12, md=4, className="mb-2"),
        dbc.Col([T("heatmap.group_by", tag=html.Label, className="small text-muted"),
                 dbc.RadioItems(id="hm-group-by", value="township", inline=True,
                                options=[{"label": T("trends.by_township"), "value": "township"},
                                         {"label": T("trends.by_type"), "value": "type"}])], xs=12, md=3, className="mb-2"),
        dbc.Col([T("heatmap.filter", tag=html.Label, htmlFor="hm-groups", className="small text-muted"),
                 dcc.Dropdown(id="hm-groups", multi=True, options=[])], xs=12, md=3, className="mb-2"),
        dbc.Col([T("heatmap.order", tag=html.Label, className="small text-muted"),
                 dbc.RadioItems(id="hm-order", value="group", inline=False,
                                options=[{"label": T("heatmap.order_group"), "value": "group"},
                                         {"label": T("heatmap.order_worst"), "value": "worst"}])], xs=12, md=2,
                className="mb-2"),
    ], className="no-print")
    return html.Div([
        html.H1(id="hm-title", className="h3 mb-3"),
        controls,
        html.Div(id="hm-summary", className="small text-muted mb-2"),
        dbc.Card(dbc.CardBody([
            dcc.Loading(dcc.Graph(id="hm-figure", config=figures.GRAPH_CONFIG, figure=figures.empty("")),
                        type="dot"),
        ], className="p-1"), className="shadow-sm mb-2 heatmap-card"),
        # Page numbers only: dbc.Pagination's first/previous/next/last buttons carry screen-reader
        # labels in English that no prop translates; the first and last numbers stay on show.
        html.Nav(dbc.Pagination(id="hm-page", max_value=1, active_page=1, fully_expanded=False, first_last=False,
                                previous_next=False, className="justify-content-center mb-1"),
                 id="hm-pager", className="heatmap-pager no-print", **{"aria-label": t("heatmap.pages")}),
        html.P(T("heatmap.click_hint"), className="small text-muted no-print"),
    ], className="heatmaps-page")


dash.register_page(__name__, path="/heatmaps", name="heatmaps", title="學校本質安全考評", layout=layout)


@callback(Output("hm-measure", "options"), Output("hm-title", "children"), Output("hm-pager", "aria-label"),
          Input("lang-store", "data"), Input("year", "value"))
def label_controls(lang, year):
    lang = lang_of(lang)
    options = [{"label": t(f"heatmap.measure.{m}", lang), "value": m} for m in MEASURE_ORDER]
    return options, t("heatmap.title", lang, year=year or ""), t("heatmap.pages", lang)


@callback(Output("hm-groups", "options"), Output("hm-groups", "placeholder"), Output("hm-groups", "value"),
          Input("lang-store", "data"), Input("year", "value"), Input("hm-group-by", "value"))
def group_options(lang, year, group_by):
    """Townships or types present this year (the filter resets when the grouping changes)."""
    lang = lang_of(lang)
    viewer = viewer_or_refuse()
    try:
        year = page_year(year) if year else None
    except (ValueError, TypeError):  # a year the page never sends (page_year: "abc", 10**20)
        year = None
    if not year:
        return [], t("heatmap.filter_all", lang), []
    col = "township" if group_by == "township" else "type"
    values = sorted({c[col] for c in queries.school_choices(viewer, year) if c[col]})
    label = (lambda v: type_label(v, lang)) if col == "type" else (lambda v: to_language(v, lang))
    return [{"label": label(v), "value": v} for v in values], t("heatmap.filter_all", lang), []


@callback(Output("hm-figure", "figure"), Output("hm-page", "max_value"), Output("hm-summary", "children"),
          Input("lang-store", "data"), Input("year", "value"), Input("hm-measure", "value"),
          Input("hm-group-by", "value"), Input("hm-groups", "value"), Input("hm-order", "value"),
          Input("hm-page", "active_page"))
def render_heatmap(lang, year, measure, group_by, groups, order, page):
    """One page of the heatmap: schools of the chosen groups, by period, coloured by the share held."""
    lang = lang_of(lang)
    try:
        viewer = viewer_or_refuse()
        if not year:
            return figures.empty(t("heatmap.none", lang)), 1, ""
        return _rendered(queries.scope_viewer(viewer), page_year(year), str(measure or "drills"), str(group_by),
                         tuple(map(str, groups or ())), str(order or "group"), int(page or 1), lang,
                         queries.data_version())
    except (queries.Refused, queries.NotFound) as err:
        return figures.empty(t(str(err), lang)), 1, ""
    except (ValueError, TypeError, OverflowError):  # values the page never sends (a year "abc", a dict for a page)
        return figures.empty(t("page.bad_request", lang)), 1, ""


@lru_cache(maxsize=64)
def _rendered(viewer, year: int, measure: str, group_by: str, groups: tuple, order: str, page: int, lang: str,
              version: tuple):
    """One heatmap page per scope (the bureau, or one school) and choice of controls, until the next sync."""
    labels = {"empty": t("heatmap.none", lang), "held": t("heatmap.held", lang), "required": t("heatmap.required", lang),
              "not_yet": t("calendar.not_yet", lang), "scale": t("heatmap.scale", lang)}
    cells = queries.heatmap_cells(viewer, year, measure)
    if not cells.empty:  # semesters read as words (2026年秋季學期), not as the stored 2026-autumn
        shown_periods = {p: period_label(p, lang) for p in cells["period"].unique()}
        cells = cells.assign(period=cells["period"].map(shown_periods))
    col = "township" if group_by == "township" else "type"
    chosen = list(groups)
    if lang != "zh-Hant" and not cells.empty:
        shown = cells[col].map(lambda v: type_label(v, lang) if col == "type" else to_language(str(v), lang))
        cells = cells.assign(name=cells["name"].map(lambda v: to_language(str(v), lang)), **{col: shown})
        chosen = [type_label(g, lang) if col == "type" else to_language(g, lang) for g in chosen]
    schools, pages = figures.heatmap_page(cells, group_by, chosen or None, order, page)
    total = cells["school_code"].nunique() if not cells.empty else 0
    summary = t("heatmap.summary", lang, shown=len(schools), total=total, page=min(page, pages), pages=pages)
    overall = None
    if total > 1:  # "are drills held every month?": the schools chosen together, on every page, first row
        chosen_cells = cells[cells[col].isin(chosen)] if chosen else cells
        overall = chosen_cells.groupby("period", sort=False)["value"].mean()
        labels["all"] = t("heatmap.all_schools", lang)
    return figures.heatmap(cells, schools, labels, overall), pages, summary


queries.forget_on_new_data(_rendered.cache_clear)  # keyed on the data version: gone once it changes


@callback(Output("nav-location", "pathname", allow_duplicate=True), Input("hm-figure", "clickData"),
          prevent_initial_call=True)
def open_school_from_heatmap(click):
    """A click on a cell opens that school's page (if this viewer may see it)."""
    viewer = viewer_or_refuse()
    points = click.get("points") if isinstance(click, dict) else None
    first = points[0] if isinstance(points, list) and points else None
    code = first.get("customdata") if isinstance(first, dict) else None
    if not isinstance(code, str) or not code or not viewer.can_see_school(code):  # "": the row of all schools
        return no_update
    return f"/school/{code}"
