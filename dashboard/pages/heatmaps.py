"""熱力圖: schools by period for drills, safety classes, training and gate duty; a click opens the school.

Readable at 60 schools and usable at 3,000: the bureau opens on one row per
township or type (the share of its schools that covered each period), and a
group's row opens its schools; school by school, rows are grouped (the group
leads each row label), filtered on groups, worst first if asked, in pages of 60
schools.  A Plotly figure takes no keyboard focus: a table under it says each
row's count in words and opens the group or the school, for a keyboard or a
screen reader (the figure's cells in words beside it, layout.chart_text).
"""

from __future__ import annotations

from functools import lru_cache

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from dashboard import figures, queries
from dashboard.access import current_viewer
from dashboard.i18n import t, to_language
from dashboard.layout import (
    T,
    chart_text,
    data_runs,
    lang_of,
    page_year,
    period_label,
    punctuation,
    type_label,
    viewer_or_refuse,
)

MEASURE_ORDER = ("drills", "drills_kindergarten", "classes", "staff_training", "guard_training", "gate_duty",
                 "guard_drills")


def layout(measure: str | None = None, **_query):
    # A kindergarten's officer opens the measure that applies to it (drills by quarter), not an empty map; the
    # overview's to-do counts open the map of theirs (/heatmaps?measure=classes).
    viewer = current_viewer()
    first = "drills_kindergarten" if queries.own_school_type(viewer) == "幼兒園" else "drills"
    if measure in MEASURE_ORDER:
        first = measure
    bureau = viewer is not None and viewer.is_bureau
    bureau_only = None if bureau else {"display": "none"}  # kept in the page for the callbacks, not shown
    controls = dbc.Row([
        # The bureau opens on its groups (3,000 schools are 50 pages nobody reads); a school sees its own
        # school alone, so it has no choice to make (the server holds it to its school whatever is sent).
        dbc.Col([T("heatmap.view", tag=html.Label, className="small text-muted"),
                 dbc.RadioItems(id="hm-view", value="groups" if bureau else "schools", inline=False,
                                options=[{"label": T("heatmap.view_groups"), "value": "groups"},
                                         {"label": T("heatmap.view_schools"), "value": "schools"}])],
                xs=12, md=2, className="mb-2", style=bureau_only),
        dbc.Col([T("heatmap.measure", tag=html.Label, htmlFor="hm-measure", className="small text-muted"),
                 dcc.Dropdown(id="hm-measure", value=first, clearable=False, searchable=False,
                              options=[{"label": m, "value": m} for m in MEASURE_ORDER])], xs=12, md=3, className="mb-2"),
        # Grouping, filtering and ordering sort many schools: a school's own map has one row, and the controls
        # did nothing there (a UX review).
        dbc.Col([T("heatmap.group_by", tag=html.Label, className="small text-muted"),
                 dbc.RadioItems(id="hm-group-by", value="township", inline=True,
                                options=[{"label": T("trends.by_township"), "value": "township"},
                                         {"label": T("trends.by_type"), "value": "type"}])], xs=12, md=3, className="mb-2",
                style=bureau_only),
        dbc.Col([T("heatmap.filter", tag=html.Label, htmlFor="hm-groups", className="small text-muted"),
                 dcc.Dropdown(id="hm-groups", multi=True, options=[])], xs=12, md=2, className="mb-2",
                style=bureau_only),
        dbc.Col([T("heatmap.order", tag=html.Label, className="small text-muted"),
                 dbc.RadioItems(id="hm-order", value="group", inline=False,
                                options=[{"label": T("heatmap.order_group"), "value": "group"},
                                         {"label": T("heatmap.order_worst"), "value": "worst"}])], xs=12, md=2,
                className="mb-2", style=bureau_only),
    ], className="no-print")
    return html.Div([
        html.H1(id="hm-title", className="h3 mb-3"),
        controls,
        # said aloud when it changes: a keyboard user who opened a group hears how many schools it shows
        html.Div(id="hm-summary", className="small text-muted mb-2", role="status", **{"aria-live": "polite"}),
        # on a phone the map is wider than the screen (720 px, a column a period): said, as nothing showed
        # that it scrolls (a UX review)
        html.Div(T("heatmap.swipe", tag=html.P, className="small text-muted mb-1"), id="hm-swipe",
                 className="d-md-none"),
        dbc.Card(dbc.CardBody([
            dcc.Loading(dcc.Graph(id="hm-figure", config=figures.GRAPH_CONFIG, figure=figures.empty("")),
                        type="dot"),
        ], className="p-1"), className="shadow-sm mb-2 heatmap-card"),
        # Page numbers only: dbc.Pagination's first/previous/next/last buttons carry screen-reader
        # labels in English that no prop translates; the first and last numbers stay on show.
        html.Nav(dbc.Pagination(id="hm-page", max_value=1, active_page=1, fully_expanded=False, first_last=False,
                                previous_next=False, className="justify-content-center mb-1"),
                 id="hm-pager", className="heatmap-pager no-print", **{"aria-label": t("heatmap.pages")}),
        html.P(id="hm-hint", className="small text-muted no-print"),
        html.Div(id="hm-text", className="heatmap-text"),
        dcc.Store(id="hm-opened", data=None),
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
          Output("hm-hint", "children"), Output("hm-text", "children"),
          Input("lang-store", "data"), Input("year", "value"), Input("hm-measure", "value"),
          Input("hm-group-by", "value"), Input("hm-groups", "value"), Input("hm-order", "value"),
          Input("hm-page", "active_page"), Input("hm-view", "value"))
def render_heatmap(lang, year, measure, group_by, groups, order, page, view="schools"):
    """One page of the heatmap: the groups (the bureau's summary) or the schools of the chosen groups, by
    period, coloured by the share held; under it the same rows in words, each opening its group or school."""
    lang = lang_of(lang)
    try:
        viewer = viewer_or_refuse()
        if not year:
            return _nothing(t("heatmap.none", lang))
        # a school's officer sees its own school, whatever view the browser asks for
        by_groups = view == "groups" and viewer.is_bureau
        shown = _rendered(queries.scope_viewer(viewer), page_year(year), str(measure or "drills"), str(group_by),
                          tuple(map(str, groups or ())), str(order or "group"), int(page or 1), lang,
                          by_groups, queries.data_version())
    except (queries.Refused, queries.NotFound) as err:
        return _nothing(t(str(err), lang))
    except (ValueError, TypeError, OverflowError):  # values the page never sends (a year "abc", a dict for a page)
        return _nothing(t("page.bad_request", lang))
    figure, pages, summary, rows = shown
    hint = t("heatmap.click_hint_groups" if by_groups else "heatmap.click_hint", lang)
    if viewer.is_bureau and str(measure or "drills") == "drills":
        # the monthly drills leave the kindergartens out (theirs are by quarter): "44 schools" of 60 read as
        # schools missing (a UX review)
        hint = [hint, " ", t("heatmap.kindergartens_apart", lang)]
    return figure, pages, summary, hint, _text_table(figure, rows, by_groups, lang)


def _nothing(message: str):
    return figures.empty(message), 1, "", "", ""


def _group_label(group_by: str, lang: str):
    return (lambda v: type_label(v, lang)) if group_by == "type" else (lambda v: to_language(str(v), lang))


def _schools_words(n: int, lang: str) -> str:
    return t("trend.schools_one" if n == 1 else "trend.schools_n", lang, n=n)


@lru_cache(maxsize=64)
def _rendered(viewer, year: int, measure: str, group_by: str, groups: tuple, order: str, page: int, lang: str,
              by_groups: bool, version: tuple):
    """One heatmap page per scope (the bureau, or one school) and choice of controls, until the next sync:
    (figure, pages, summary line, the rows in words: label, covered, of, and the group or school to open)."""
    labels = {"empty": t("heatmap.none", lang), "held": t("heatmap.held", lang), "required": t("heatmap.required", lang),
              "not_yet": t("calendar.not_yet", lang), "scale": t("heatmap.scale", lang), **punctuation(lang)}
    cells = queries.heatmap_cells(viewer, year, measure)
    # semesters read as words (2026年秋季學期), not as the stored 2026-autumn
    shown_periods = {p: period_label(p, lang) for p in cells["period"].unique()} if not cells.empty else {}
    if by_groups:
        return _rendered_groups(viewer, year, measure, group_by, groups, order, lang, labels, cells, shown_periods)
    if not cells.empty:
        cells = cells.assign(period=cells["period"].map(shown_periods))
    col = "township" if group_by == "township" else "type"
    chosen = list(groups)
    if lang != "zh-Hant" and not cells.empty:
        named = _group_label(group_by, lang)
        cells = cells.assign(name=cells["name"].map(lambda v: to_language(str(v), lang)), **{col: cells[col].map(named)})
        chosen = [named(g) for g in chosen]
    schools, pages = figures.heatmap_page(cells, group_by, chosen or None, order, page)
    total = cells["school_code"].nunique() if not cells.empty else 0
    summary = t("heatmap.summary", lang, shown=len(schools), total=total, page=min(page, pages), pages=pages)
    overall = None
    rows = []
    every = queries.heatmap_groups(viewer, year, measure, group_by, groups) if total > 1 else None
    # "are drills held every month?": the schools chosen together, on every page, first row; none where the
    # groups chosen hold no school (a filter of another grouping's groups: it was a 500, an audit)
    chosen_rows = every.rows[every.rows["group"].isna()] if every is not None else ()
    if len(chosen_rows):
        # the summary's own row of every school chosen (queries.group_coverage): one figure in both views
        share = every.periods[every.periods["group"].isna()]
        overall = share.set_index(share["period"].map(shown_periods))["share"]
        labels["all"] = t("heatmap.all_schools", lang)
        counts = chosen_rows.iloc[0]
        rows.append({"label": labels["all"], "covered": int(counts["on_track"]), "of": int(counts["with_due"]),
                     "unit": "schools"})
    figure = figures.heatmap(cells, schools, labels, overall)
    if not schools.empty:
        counted = queries.coverage(cells[cells["school_code"].isin(set(schools["school_code"]))], ["school_code"])
        counted = counted.set_index("school_code")
        for code, group, name in zip(schools["school_code"], schools["group"], schools["name"], strict=True):
            rows.append({"label": f"{group} · {name}", "covered": int(counted.at[code, "covered"]),
                         "of": int(counted.at[code, "due"]), "unit": "periods", "school": code})
    return figure, pages, summary, tuple(rows)


def _rendered_groups(viewer, year, measure, group_by, groups, order, lang, labels, cells, shown_periods):
    """The bureau's summary: one row per group, each cell the share of its schools due that covered the period."""
    summary = queries.heatmap_groups(viewer, year, measure, group_by, groups)
    if summary.periods.empty:
        return figures.empty(labels["empty"]), 1, "", ()
    named = _group_label(group_by, lang)
    sizes = dict(zip(summary.rows["group"], summary.rows["schools"], strict=True))
    row_labels = {g: t("heatmap.group_row", lang, group=named(g), schools=_schools_words(int(n), lang))
                  for g, n in sizes.items() if g is not None}
    order_of = figures.group_order(summary.rows, summary.periods, order)
    total = int(summary.rows.loc[summary.rows["group"].isna(), "schools"].iloc[0])
    if total > 1:
        row_labels[None] = t("heatmap.group_row", lang, group=t("heatmap.all_schools", lang),
                             schools=_schools_words(total, lang))
    periods = summary.periods.assign(period=summary.periods["period"].map(shown_periods))
    period_order = list(dict.fromkeys(cells["period"].map(shown_periods)))
    figure = figures.group_heatmap(periods, order_of, row_labels, period_order,
                                   {**labels, "scale": t("heatmap.scale_groups", lang),
                                    "covered_of": t("heatmap.covered_of", lang)})
    counts = summary.rows.set_index(summary.rows["group"].fillna(""))
    rows = [{"label": row_labels[g], "covered": int(counts.at[g if g is not None else "", "on_track"]),
             "of": int(counts.at[g if g is not None else "", "with_due"]), "unit": "schools",
             **({"group": g} if g is not None else {})}
            for g in ([None] if None in row_labels else []) + order_of]
    line = t("heatmap.summary_groups", lang, groups=len(order_of), total=total)
    return figure, 1, line, tuple(rows)


def _text_table(figure: dict, rows: tuple, by_groups: bool, lang: str):
    """The rows of the figure in words, for a keyboard and a screen reader (a Plotly figure takes no focus):
    each row's count ("7 of 9"), a group's button that shows its schools or the school's name as a link to
    its page (checked by the school page as a click on the figure is), then every cell in words
    (layout.chart_text, as every chart on the dashboard has)."""
    if not rows:
        return chart_text(figure, lang)
    head = [html.Th(t("heatmap.col_group" if by_groups else "heatmap.col_school", lang), scope="col"),
            html.Th(t("heatmap.col_groups_covered" if by_groups else "heatmap.col_periods_covered", lang), scope="col")]
    if by_groups:
        head.append(html.Th(t("heatmap.col_open", lang), scope="col"))
    body = []
    for row in rows:
        # "0 of 1 school", not "0 of 1 schools"
        key = f"heatmap.{row['unit']}_of{'_one' if row['of'] == 1 else ''}"
        count = t(key, lang, n=row["covered"], of=row["of"])
        # a township's or a school's name among the row's words, marked as Chinese on an English page; the
        # button's aria-label, an attribute, is read in one voice and stays unmarked
        label = data_runs(row["label"], lang)
        name = dcc.Link(label, href=f"/school/{row['school']}") if "school" in row else label
        cells = [html.Th(name, scope="row", className="fw-normal"), html.Td(count)]
        if by_groups:
            cells.append(html.Td(html.Button(
                t("heatmap.open_group", lang), id={"type": "hm-open-group", "group": row["group"]}, n_clicks=0,
                type="button", className="btn btn-sm btn-outline-primary py-0",
                **{"aria-label": t("heatmap.open_group_named", lang, group=row["label"])}) if "group" in row else ""))
        body.append(html.Tr(cells))
    table = html.Table([
        html.Caption(t("heatmap.table_caption", lang), id="hm-table-caption", tabIndex="-1"),
        html.Thead(html.Tr(head)), html.Tbody(body)], className="table table-sm small align-middle caption-top heatmap-table",
        id="hm-table")
    return html.Div([table, chart_text(figure, lang)])


queries.forget_on_new_data(_rendered.cache_clear)  # keyed on the data version: gone once it changes


@callback(Output("hm-view", "value"), Output("hm-groups", "value", allow_duplicate=True),
          Output("hm-page", "active_page"), Output("hm-opened", "data"),
          Input({"type": "hm-open-group", "group": ALL}, "n_clicks"), Input("hm-figure", "clickData"),
          prevent_initial_call=True)
def open_group(_clicks, click):
    """A group's row chosen (its button in the table, by keyboard or mouse, or a click on its row of the
    figure) shows that group's schools; the bureau's alone (a school has no groups to open)."""
    viewer = viewer_or_refuse()
    nothing = no_update, no_update, no_update, no_update
    if not viewer.is_bureau:
        return nothing
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):
        # Buttons drawn (a new language, a new measure) fire it with no press: only a press opens a group.
        # Its count is read from the buttons sent, not ctx.triggered's value: Dash looks that up under the
        # id written with \u escapes, and the browser names 城關鎮 as it is, so a press read as none.
        buttons = ctx.inputs_list[0] if ctx.inputs_list and isinstance(ctx.inputs_list[0], list) else []
        pressed = next((b.get("value") for b in buttons if isinstance(b, dict) and b.get("id") == trigger), None)
        group = trigger.get("group") if isinstance(pressed, int) and pressed > 0 else None
        opened_by = "keys"
    else:
        points = click.get("points") if isinstance(click, dict) else None
        first = points[0] if isinstance(points, list) and points else None
        data = first.get("customdata") if isinstance(first, dict) else None
        group = data.removeprefix(figures.GROUP_MARK) if isinstance(data, str) and data.startswith(figures.GROUP_MARK) else None
        opened_by = "click"
    if not isinstance(group, str) or not group:
        return nothing
    return "schools", [group], 1, opened_by


@callback(Output("hm-groups", "value", allow_duplicate=True), Input("hm-view", "value"), prevent_initial_call=True)
def back_to_every_group(view):
    """Back to the groups after looking at one group's schools: every group again, not the one opened."""
    viewer_or_refuse()
    return [] if view == "groups" else no_update


# A keyboard user's button is gone once the group's schools are drawn: the focus goes to the table's
# caption (the top of what changed), not back to the top of the document.
clientside_callback(
    """function(_text, opened) {
        if (opened !== 'keys') { return window.dash_clientside.no_update; }
        setTimeout(function() {
            var caption = document.getElementById('hm-table-caption');
            if (caption) { caption.focus(); }
        }, 0);
        return null;
    }""",
    Output("hm-opened", "data", allow_duplicate=True), Input("hm-text", "children"), State("hm-opened", "data"),
    prevent_initial_call=True,
)


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
    if code.startswith(figures.GROUP_MARK):  # a group's row: open_group shows its schools
        return no_update
    return f"/school/{code}"
