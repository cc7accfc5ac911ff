"""趨勢: the county and each type or township month by month and year on year, the spread, risers and fallers."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, dcc, html

from dashboard import figures, queries
from dashboard.i18n import t, to_language
from dashboard.layout import (
    T,
    chart_text,
    data_shown,
    guarded,
    lang_of,
    page_year,
    type_label,
    viewer_or_refuse,
)


def layout(**_query):
    return html.Div([
        html.H1(id="trends-title", className="h3 mb-3"),
        html.Div([
            T("trends.group_by", className="me-2 text-muted"),
            dbc.RadioItems(id="trends-group", value="type", inline=True,
                           options=[{"label": T("trends.by_type"), "value": "type"},
                                    {"label": T("trends.by_township"), "value": "township"}]),
        ], className="d-flex flex-wrap align-items-center mb-3 no-print"),
        html.Div(id="trends-content", children=dbc.Spinner(color="primary")),
    ], className="trends-page")


dash.register_page(__name__, path="/trends", name="trends", title="學校本質安全考評", layout=layout)


def _labeller(group_by: str, lang: str):
    """A type's or township's name as the reader reads it."""
    return (lambda g: type_label(g, lang)) if group_by == "type" else (lambda g: to_language(str(g), lang))


def _group_label(frame: pd.DataFrame, group_by: str, lang: str) -> pd.DataFrame:
    if "group" not in frame or frame.empty:
        return frame
    label = _labeller(group_by, lang)
    return frame.assign(group=[None if g is None or (isinstance(g, float) and pd.isna(g)) else label(g)
                               for g in frame["group"]])


def movers_table(frame: pd.DataFrame, lang: str, element_id: str, can_open=lambda code: True,
                 empty_key: str = "trends.no_movers"):
    if frame.empty:
        return html.P(t(empty_key, lang), className="text-muted mb-0")
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in ("ranking.school", "ranking.type", "ranking.township",
                                                              "ranking.total", "ranking.change")]))
    body = [html.Tr([
        # the school's name and township, marked as Chinese on an English page
        html.Td(dcc.Link(data_shown(r.name, lang), href=f"/school/{r.school_code}")
                if can_open(r.school_code) else data_shown(r.name, lang)),
        html.Td(type_label(r.type, lang)), html.Td(data_shown(r.township, lang)),
        html.Td(f"{r.total:.1f}"),
        html.Td(f"{r.change:+.1f}", className="text-success" if r.change > 0 else "text-danger"),
    ]) for r in frame.itertuples(index=False)]
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, responsive=True, className="mb-0", id=element_id)


def _graph_card(title: str, figure: dict, element_id: str, width: int, lang: str, note=None):
    return dbc.Col(dbc.Card([dbc.CardHeader(html.H2(title, className="h6 mb-0")),
                             dbc.CardBody([dcc.Graph(figure=figure, id=element_id, config=figures.GRAPH_CONFIG),
                                           note, chart_text(figure, lang)])],
                            className="mb-3 shadow-sm"), lg=width)


@callback(Output("trends-content", "children"), Output("trends-title", "children"), Input("lang-store", "data"), Input("year", "value"),
          Input("trends-group", "value"))
def render_trends(lang, year, group_by):
    lang = lang_of(lang)
    group_by = "township" if group_by == "township" else "type"

    def render():
        viewer = viewer_or_refuse()
        if not year:
            raise queries.NotFound("overview.no_results")
        year_i = page_year(year)
        county = t("trend.county", lang)
        empty = t("trend.none", lang)
        monthly = _group_label(queries.trend_by_month(viewer, year_i, group_by), group_by, lang)
        order = list(map(_labeller(group_by, lang), queries.county_groups(viewer, year_i, group_by)))
        yoy = queries.county_by_month_all_years(viewer)
        annual = _group_label(queries.annual_by_year(viewer, group_by), group_by, lang)
        # A draft year's means are the year so far: said beside the final years' (found by an audit).
        drafts = {y: t("trend.draft_year", lang, year=y) for y in sorted(set(annual["year"]))
                  if not queries.year_status(viewer, int(y)).get("published")}
        spread = _group_label(queries.spread(viewer, year_i, group_by), group_by, lang)
        if viewer.is_bureau:
            spread = spread.assign(name=[to_language(str(n), lang) for n in spread["name"]])
        risers, fallers = queries.risers_fallers(viewer, year_i)
        comparable = not (risers.empty and fallers.empty)  # one list empty: nobody moved that way
        no_movers = "trends.movers_running" if queries.year_status(viewer, year_i)["running"] else "trends.no_movers"
        # A school account in a draft year sees its own row only: an empty list is about it alone.
        no_risers, no_fallers = (("trends.no_risers", "trends.no_fallers") if viewer.is_bureau
                                 else ("trends.not_listed", "trends.not_listed"))
        # A published year beside a draft last year: no rise or fall to show, and why (found by an audit).
        movers_note = None if viewer.is_bureau else html.P(t("trends.movers_both_published", lang),
                                                           className="small text-muted")
        # A school is shown no group of fewer than three schools (queries.privacy), which it was not told: a
        # type missing from its chart read as a type without schools (a UX review).
        small_groups_note = None if viewer.is_bureau else html.P(
            t("trends.small_groups_hidden", lang, least=queries.privacy.MIN_GROUP_FOR_SCHOOLS),
            className="small text-muted mb-0", id="trends-small-groups")
        # the spread of a draft year is the bureau's alone (queries.spread)
        # said of the distribution, not of rankings (a UX review: "other schools' rankings" under two charts
        # of totals read as a mistake)
        spread_empty = t("trends.spread_public_only", lang) if not viewer.is_bureau and spread.empty else empty
        spread_key = None if spread.empty else html.P(t("trends.spread_key", lang), className="small text-muted mb-0",
                                                      id="trends-spread-key")
        return html.Div([
            dbc.Row([
                _graph_card(t("trends.monthly", lang), figures.group_lines(monthly, county, empty, t("trend.axis_total", lang), lang, order),
                            "trend-monthly", 7, lang, small_groups_note),
                _graph_card(t("trends.year_on_year", lang), figures.year_on_year(yoy, t("trends.month", lang), empty, lang),
                            "trend-yoy", 5, lang),
            ]),
            dbc.Row([
                _graph_card(t("trends.annual", lang), figures.annual_bars(annual, county, empty, drafts, lang), "trend-annual", 12, lang),
            ]),
            dbc.Row([
                _graph_card(t("trends.spread", lang), figures.spread_plot(spread, county, spread_empty, viewer.is_bureau, lang, order),
                            "trend-spread", 7, lang, spread_key),
                _graph_card(t("trends.histogram", lang), figures.histogram(spread, t("ranking.total", lang),
                                                                         t("overview.schools", lang), spread_empty),
                            "trend-histogram", 5, lang),
            ]),
            dbc.Row([
                dbc.Col(dbc.Card([dbc.CardHeader(html.H2(t("trends.risers", lang), className="h6 mb-0")),
                                  dbc.CardBody([movers_note, movers_table(risers, lang, "risers-table", viewer.can_see_school,
                                                                            no_risers if comparable else no_movers)])],
                                 className="mb-3 shadow-sm"), lg=6),
                dbc.Col(dbc.Card([dbc.CardHeader(html.H2(t("trends.fallers", lang), className="h6 mb-0")),
                                  dbc.CardBody([movers_note, movers_table(fallers, lang, "fallers-table", viewer.can_see_school,
                                                                            no_fallers if comparable else no_movers)])],
                                 className="mb-3 shadow-sm"), lg=6),
            ]),
        ])

    title = t("trends.title", lang, year=year or "")
    return guarded(render, lang), title
