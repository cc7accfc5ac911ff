"""Figure builders: stored figures in, Plotly figures (plain dicts) out.

Plain dicts, not go.Figure: they skip plotly's validation, which costs more
than the rest of a callback at 1,000 schools.  Every label arrives already in
the viewer's language (callers pass `t`-translated text); colours come from
colour-blind-safe palettes (Okabe-Ito for lines, cividis for heatmaps).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from plotly.colors import get_colorscale, sample_colorscale

from dashboard.i18n import DEFAULT_LANGUAGE, t
from scoring.engine import round_half_up

FONT = '"Noto Sans CJK TC", "Noto Sans CJK SC", "Microsoft JhengHei", "PingFang TC", sans-serif'
# Okabe & Ito: distinguishable with every common colour-vision deficiency.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
# One colour per group of a county (ten townships shared seven colours): Okabe-Ito without its black (the
# county's own line), then Paul Tol's muted colours, also told apart with a colour-vision deficiency.
GROUP_PALETTE = [*PALETTE[:-1], "#332288", "#117733", "#882255", "#999933", "#AA4499", "#44AA99", "#661100"]
HEAT_SCALE = "Cividis"
# Its stops, looked up once: by name, sample_colorscale builds Plotly's whole table of named scales on every
# call (1.5 ms of each school page).
_HEAT_STOPS = get_colorscale(HEAT_SCALE)
GRADE_COLOURS = {"優秀": "#009E73", "良好": "#56B4E9", "合格": "#E69F00", "不合格": "#D55E00"}
GRADE_SHADES = tuple(GRADE_COLOURS.values())  # best to worst


def grade_shade(position: int, bands: int) -> int:
    """Which of the four shades (and the ranking's grade-0..3 classes) the band at `position` of `bands`, best
    first, takes: the best the first, the worst the last, the bands between spread over the middle two."""
    return 0 if bands <= 1 else round(position * (len(GRADE_SHADES) - 1) / (bands - 1))


GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}
HEATMAP_ROW_PX = 22
HEATMAP_PAGE_SIZE = 60
# A group's row in the heatmap by group carries its group after this mark: Plotly hands a click on a heatmap
# only a cell's plain value (a list there reached the server as nothing), and a click on a school's row
# opens the school its customdata names, which a group is not.
GROUP_MARK = "group:"


def _base_layout(**extra) -> dict:
    layout = {
        "font": {"family": FONT, "size": 13},
        "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hoverlabel": {"font": {"family": FONT}},
        # Above the plot: below it, the month labels plotly turns on a phone were drawn over it (found by an
        # audit); plotly makes room for it either way.
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"},
        "colorway": PALETTE,
    }
    layout.update(extra)
    for axis in ("xaxis", "yaxis"):
        # Long labels (English school types, turned months) take the room they need rather than being cut.
        layout[axis] = {"automargin": True, **layout.get(axis, {})}
    return layout


def empty(message: str) -> dict:
    """A blank figure carrying a message (no data yet, nothing to show for this viewer)."""
    return {
        "data": [],
        "layout": _base_layout(
            xaxis={"visible": False}, yaxis={"visible": False}, height=220,
            annotations=[{"text": message, "showarrow": False, "font": {"size": 15, "color": "#6c757d"},
                          "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}],
        ),
    }


def _clean(values) -> list:
    """Values as JSON-safe Python scalars (NaN -> None)."""
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        elif isinstance(v, np.generic):
            out.append(v.item())
        elif isinstance(v, pd.Timestamp):
            out.append(v.strftime("%Y-%m-%d"))
        else:
            out.append(v)
    return out


# --- overview ---------------------------------------------------------------------------


def ranking_filter_model(school_type: str | None, township: str | None, grade: str | None) -> dict:
    """The ranking grid's filter: the grid filters its own rows in the browser, the server only says how."""
    model = {}
    for column, value in (("type", school_type), ("township", township), ("grade", grade)):
        if value:
            model[column] = {"filterType": "text", "type": "equals", "filter": str(value)}
    return model


# --- school page ------------------------------------------------------------------------


def area_bars(areas: dict, area_labels: dict[str, str], points_label: str, max_label: str) -> dict:
    """Points per area against the area's maximum."""
    keys = [a for a in sorted(areas) if a in area_labels]
    if not keys:
        return empty("-")
    names = [f"{a} {area_labels[a]}" for a in keys]
    points = [float(areas[a].get("points") or 0) for a in keys]
    maxima = [float(areas[a].get("max") or 0) for a in keys]
    shares = [p / m if m else 0 for p, m in zip(points, maxima, strict=True)]
    return {
        "data": [
            {"type": "bar", "orientation": "h", "y": names, "x": maxima, "name": max_label,
             "marker": {"color": "#e9ecef"}, "hovertemplate": f"%{{y}}<br>{max_label} %{{x}}<extra></extra>"},
            {"type": "bar", "orientation": "h", "y": names, "x": points, "name": points_label,
             # each bar's colour worked out here: Plotly's bar styling reads numbers for a colour scale as
             # colours ("Invalid color specifier" in the console, and black drawn where a colour was meant)
             "marker": {"color": sample_colorscale(_HEAT_STOPS, shares)},
             "text": [f"{round(p, 1):g} / {round(m, 1):g}" for p, m in zip(points, maxima, strict=True)],
             "textposition": "outside", "cliponaxis": False,
             "hovertemplate": f"%{{y}}<br>{points_label} %{{x}}<extra></extra>"},
        ],
        "layout": _base_layout(barmode="overlay", height=300, margin={"l": 150, "r": 70, "t": 10, "b": 30},
                               yaxis={"autorange": "reversed"}, xaxis={"rangemode": "tozero"}, showlegend=False),
    }


# A trend point is a month end, labelled by its month ("2026-03", as in every language): on a date axis
# March's point sat under the "Apr" tick, in English month names whatever the reader's language.
_MONTH_AXIS = {"type": "category"}


def _months(values) -> list[str]:
    return [str(v)[:7] for v in values]


def trend_lists(lines: dict, names: dict[str, str]) -> dict:
    """Year-to-date total of the school at each month end against the county's and its type's means, from
    plain lists (x, school, county, type) as the school page keeps them."""
    if not lines["x"]:
        return empty(names.get("empty", "-"))
    data = []
    for i, (col, width, dash) in enumerate((("school", 4, "solid"), ("county", 2, "dot"), ("type", 2, "dash"))):
        data.append({"type": "scatter", "mode": "lines+markers", "x": _months(lines["x"]), "y": lines[col],
                     "name": names.get(col, col), "line": {"width": width, "dash": dash, "color": PALETTE[i]},
                     "hovertemplate": "%{x}: %{y}<extra>" + names.get(col, col) + "</extra>"})
    return {"data": data, "layout": _base_layout(height=320, yaxis=_total_axis(names.get("axis")), xaxis=_MONTH_AXIS)}


def _total_axis(title: str | None) -> dict:
    """The 0-100 axis of a total, titled in the reader's language when the caller says how (總分)."""
    return {"range": [0, 100], **({"title": {"text": title}} if title else {})}


_HELD, _MISSED = "#0072B2", "#f9c49a"  # a drill period held, missed (a blank cell: not due yet)


def drill_calendar(frame: pd.DataFrame, labels: dict[str, str]) -> dict:
    """One cell per required drill period: held (dark), missed (light), not due yet (blank)."""
    return drill_calendar_periods(frame.to_dict("records"), labels)


def _int(value) -> int:
    try:
        return 0 if value is None or math.isnan(float(value)) else int(float(value))
    except (TypeError, ValueError):
        return 0


def drill_calendar_periods(periods: list[dict], labels: dict[str, str]) -> dict:
    """drill_calendar from the stored D1 periods as they are (a dozen dicts: plain Python, no frame)."""
    if not periods:
        return empty(labels.get("empty", "-"))
    z, text, hover = [], [], []
    colon = labels.get("colon", ": ")
    for p in periods:
        covered, counted = bool(p.get("covered")), bool(p.get("counted"))
        held, required = _int(p.get("held")), _int(p.get("required"))
        state = labels["held"] if covered else labels["missed"] if counted else labels["not_yet"]
        z.append(1.0 if covered else 0.0 if counted else None)
        text.append(f"{held}/{required}")
        hover.append(f"{p.get('period')}<br>{state}{colon}{held}/{required}")
    return {
        "data": [{"type": "heatmap", "x": _clean(p.get("period") for p in periods), "y": [labels["row"]], "z": [z],
                  "text": [text], "texttemplate": "%{text}", "hovertext": [hover], "hovertemplate": "%{hovertext}<extra></extra>",
                  "colorscale": [[0, _MISSED], [1, _HELD]], "zmin": 0, "zmax": 1, "showscale": False,
                  "xgap": 3, "ygap": 3}],
        "layout": _base_layout(
            height=160, margin={"l": 60, "r": 10, "t": 10, "b": 60}, xaxis={"type": "category"},
            # what the colours say, under the cells (a heatmap without a scale has no legend of its own)
            annotations=[{"xref": "paper", "yref": "paper", "x": 0, "y": -0.62, "xanchor": "left", "showarrow": False,
                          "font": {"size": 12},
                          "text": f"<span style='color:{_HELD}'>■</span> {labels['held']}　"
                                  f"<span style='color:{_MISSED}'>■</span> {labels['missed']}　□ {labels['not_yet']}"}]),
    }


# --- trends -------------------------------------------------------------------------------


def _schools(n, lang: str) -> str:
    """A count of schools in words, in brackets after a mean (「（5所學校）」, " (5 schools)"): n=5 is a
    statistician's shorthand, and English only (found by an audit)."""
    if n is None:
        return ""
    words = t("trend.schools_one" if int(n) == 1 else "trend.schools_n", lang, n=int(n))
    return f" ({words})" if lang == "en" else f"（{words}）"


def _axis(title: str, **extra) -> dict:
    return {"title": {"text": title}, **extra}


def _one_decimal(values) -> list:
    """Bar labels to one decimal each (74 beside 75.8 read as two kinds of figure; rules.md publishes one),
    halves up as every published figure is (77.25 reads 77.3)."""
    return [None if v is None else f"{round_half_up([v])[0]:.1f}" for v in _clean(values)]


def group_colour(group, order: list | tuple | None, shown_at: int) -> str:
    """A group's colour: by its place in `order` (every group of the grouping, queries.county_groups), so that
    a type has one colour whoever looks and whichever groups are hidden; by its place among those shown
    where no order is given or the group is not in it."""
    at = order.index(group) if order is not None and group in order else shown_at
    return GROUP_PALETTE[at % len(GROUP_PALETTE)]


def group_lines(frame: pd.DataFrame, county_label: str, empty_label: str, axis_label: str | None = None,
                lang: str = DEFAULT_LANGUAGE, order: list | None = None) -> dict:
    """County (thick) and each group's mean year-to-date total at each month end; hovering a point says the
    mean and over how many schools, in words.  order: every group's label, for its colour (group_colour)."""
    if frame.empty:
        return empty(empty_label)
    data = []
    county = frame[frame["group"].isna()]
    trace = {"type": "scatter", "mode": "lines+markers", "x": _months(_clean(county["as_of"])), "y": _clean(county["mean"]),
             "name": county_label, "line": {"width": 5, "color": "#000000"},
             "hovertemplate": "%{x}: %{y:.1f}<extra>" + county_label + "</extra>"}
    if "schools" in county:
        trace["customdata"] = [_schools(n, lang) for n in _clean(county["schools"])]
        trace["hovertemplate"] = "%{x}: %{y:.1f}%{customdata}<extra>" + county_label + "</extra>"
    data.append(trace)
    for i, (group, part) in enumerate(frame[frame["group"].notna()].groupby("group", sort=True)):
        data.append({"type": "scatter", "mode": "lines", "x": _months(_clean(part["as_of"])), "y": _clean(part["mean"]),
                     "name": str(group), "line": {"width": 2, "color": group_colour(group, order, i)},
                     "customdata": [_schools(n, lang) for n in _clean(part["schools"])],
                     "hovertemplate": "%{x}: %{y:.1f}%{customdata}<extra>" + str(group) + "</extra>"})
    return {"data": data, "layout": _base_layout(height=380, yaxis=_total_axis(axis_label), xaxis=_MONTH_AXIS)}


def year_on_year(frame: pd.DataFrame, month_label: str, empty_label: str, lang: str = DEFAULT_LANGUAGE) -> dict:
    """County mean at each month end, one line per year."""
    if frame.empty:
        return empty(empty_label)
    data = []
    for i, (year, part) in enumerate(frame.groupby("year", sort=True)):
        data.append({"type": "scatter", "mode": "lines+markers", "x": _clean(part["month"]), "y": _clean(part["mean"]),
                     "name": str(year), "line": {"color": PALETTE[i % len(PALETTE)], "width": 3},
                     "hovertemplate": "%{x}: %{y:.1f}<extra>" + str(year) + "</extra>"})
    return {"data": data, "layout": _base_layout(height=320, yaxis=_axis(t("trend.axis_county_mean", lang), range=[0, 100]),
                                                 xaxis={"title": {"text": month_label}, "dtick": 1, "range": [0.5, 12.5]})}


def annual_bars(frame: pd.DataFrame, county_label: str, empty_label: str, year_names: dict | None = None,
                lang: str = DEFAULT_LANGUAGE) -> dict:
    """Mean annual total per year: county and each group, side by side.  year_names: a year's legend
    entry where it is not the year alone (2026（草稿）, a draft beside final years)."""
    if frame.empty:
        return empty(empty_label)
    # The county first, then the groups from the lowest mean of the latest year: the one that lags is first.
    frame = frame.assign(group=frame["group"].fillna(county_label))
    latest = frame[frame["year"] == frame["year"].max()].set_index("group")["mean"]
    groups = [g for g in dict.fromkeys(frame["group"]) if g != county_label]
    order = [county_label] + sorted(groups, key=lambda g: (g not in latest.index, latest.get(g, 0.0)))
    data = []
    for i, (year, part) in enumerate(frame.groupby("year", sort=True)):
        part = part.set_index("group").reindex([g for g in order if g in set(part["group"])]).reset_index()
        name = (year_names or {}).get(year, str(year))
        data.append({"type": "bar", "x": _clean(part["group"]), "y": _clean(part["mean"]), "name": name,
                     "marker": {"color": PALETTE[i % len(PALETTE)]}, "text": _one_decimal(part["mean"]),
                     "textposition": "outside", "hovertemplate": "%{x}: %{y:.1f}<extra>" + name + "</extra>"})
    return {"data": data, "layout": _base_layout(height=360, barmode="group",
                                                 yaxis=_axis(t("trend.axis_annual_mean", lang), range=[0, 105]))}


def spread_plot(frame: pd.DataFrame, county_label: str, empty_label: str, show_points: bool,
                lang: str = DEFAULT_LANGUAGE, order: list | None = None) -> dict:
    """The spread of the year's totals: a box per group (and the county), with each school as a dot for the bureau."""
    if frame.empty:
        return empty(empty_label)
    data = [{"type": "box", "y": _clean(frame["total"]), "name": county_label, "marker": {"color": "#000000"},
             "boxpoints": False, "boxmean": True}]
    for i, (group, part) in enumerate(frame.groupby("group", sort=True)):
        trace = {"type": "box", "y": _clean(part["total"]), "name": str(group), "boxmean": True,
                 "marker": {"color": group_colour(group, order, i), "size": 5},
                 "boxpoints": "all" if show_points else False, "jitter": 0.4, "pointpos": 0}
        if show_points:
            trace["hovertext"] = _clean(part["name"])
            trace["hovertemplate"] = "%{hovertext}: %{y:.1f}<extra></extra>"
        data.append(trace)
    return {"data": data, "layout": _base_layout(height=380, showlegend=False,
                                                 yaxis=_axis(t("trend.axis_spread", lang), range=[0, 100]))}


def histogram(frame: pd.DataFrame, total_label: str, schools_label: str, empty_label: str) -> dict:
    """How many schools at each total (5-point bins)."""
    if frame.empty:
        return empty(empty_label)
    return {"data": [{"type": "histogram", "x": _clean(frame["total"]), "xbins": {"start": 0, "end": 100, "size": 5},
                      "marker": {"color": PALETTE[0]}}],
            "layout": _base_layout(height=300, bargap=0.05, xaxis={"title": {"text": total_label}, "range": [0, 100]},
                                   yaxis={"title": {"text": schools_label}})}


# --- heatmaps ------------------------------------------------------------------------------


def heatmap_page(cells: pd.DataFrame, group_by: str, groups: list[str] | None, order: str,
                 page: int, page_size: int = HEATMAP_PAGE_SIZE) -> tuple[pd.DataFrame, int]:
    """The schools of one heatmap page: filtered to `groups`, ordered by group then name (or worst first)."""
    col = "township" if group_by == "township" else "type"
    if groups:
        cells = cells[cells[col].isin(groups)]
    schools = cells.groupby("school_code", sort=False).agg(group=(col, "first"), name=("name", "first"),
                                                          share=("value", "mean")).reset_index()
    if order == "worst":
        schools = schools.sort_values(["share", "group", "name"], na_position="last")
    else:
        schools = schools.sort_values(["group", "name"])
    pages = max(1, math.ceil(len(schools) / page_size))
    page = min(max(1, int(page or 1)), pages)
    chosen = schools.iloc[(page - 1) * page_size: page * page_size]
    return chosen, pages


def heatmap(cells: pd.DataFrame, schools: pd.DataFrame, labels: dict[str, str], overall: pd.Series | None = None) -> dict:
    """Schools (rows, grouped) by period (columns): share of the requirement met; click a cell to open the school.
    overall: the mean share of every school chosen, by period, drawn as the first row (labels["all"])."""
    if cells.empty or schools.empty:
        return empty(labels["empty"])
    cells = cells[cells["school_code"].isin(set(schools["school_code"]))]
    periods = list(dict.fromkeys(cells["period"]))
    codes = list(schools["school_code"])
    # Row labels carry the group, so groups read as bands down the left edge.
    row_label = {c: f"{g} · {n}" for c, g, n in zip(schools["school_code"], schools["group"], schools["name"], strict=True)}
    grid = cells.pivot_table(index="school_code", columns="period", values="value", aggfunc="first", dropna=False)
    grid = grid.reindex(index=codes, columns=periods)
    held = cells.pivot_table(index="school_code", columns="period", values="held", aggfunc="first").reindex(index=codes, columns=periods)
    required = cells.pivot_table(index="school_code", columns="period", values="required", aggfunc="first").reindex(index=codes, columns=periods)
    hover, colon, bracketed = [], labels.get("colon", ": "), labels.get("bracketed", " ({})")
    for code in codes:
        row = []
        for p in periods:
            h, r = held.at[code, p], required.at[code, p]
            v = grid.at[code, p]
            state = labels["not_yet"] if pd.isna(v) else f"{round(float(v) * 100)}%"
            row.append(f"{row_label[code]}<br>{p}{colon}{labels['held']} {_num(h)} / {labels['required']} {_num(r)}"
                       + bracketed.format(state))
        hover.append(row)
    z = [_clean(r) for r in grid.to_numpy(dtype="float64").tolist()]
    customdata = [[code] * len(periods) for code in codes]
    y = [row_label[c] for c in codes]
    # A school's cell is one of two colours (held, or not), told apart by any reader; the shares of the row
    # of every school chosen are shades of one scale (62% and 85% alike to a colour-blind reader, or on a
    # phone with no hover), so that row writes its share in the cell (found by the accessibility audit).
    text = [[""] * len(periods) for _ in codes]
    if overall is not None and labels.get("all"):
        shares = overall.reindex(periods)
        z.insert(0, _clean(shares.tolist()))
        text.insert(0, ["" if pd.isna(v) else f"{round(float(v) * 100)}%" for v in shares])
        customdata.insert(0, [""] * len(periods))
        y.insert(0, labels["all"])
        hover.insert(0, [f"{labels['all']}<br>{p}{colon}" + (labels["not_yet"] if pd.isna(v) else f"{round(float(v) * 100)}%")
                         for p, v in zip(periods, shares, strict=True)])
    return _heatmap_figure(periods, y, z, text, hover, customdata, labels)


def _heatmap_figure(x: list, y: list, z: list, text: list, hover: list, customdata: list, labels: dict) -> dict:
    """A heatmap of rows (schools, or groups) by period, each cell's share written in it; the page grows with
    its rows, so no row is squeezed below a readable height."""
    height = max(260, HEATMAP_ROW_PX * len(y) + 140)
    return {
        "data": [{"type": "heatmap", "x": x, "y": y, "z": z,
                  "customdata": customdata, "hovertext": hover, "hovertemplate": "%{hovertext}<extra></extra>",
                  "text": text, "texttemplate": "%{text}", "textfont": {"size": 11},
                  "colorscale": HEAT_SCALE, "zmin": 0, "zmax": 1, "xgap": 1, "ygap": 1,
                  "colorbar": {"title": {"text": labels["scale"]}, "tickformat": ".0%", "len": min(1, 300 / height)}}],
        "layout": _base_layout(height=height, margin={"l": 220, "r": 20, "t": 30, "b": 60},
                               yaxis={"autorange": "reversed", "type": "category", "automargin": True},
                               xaxis={"type": "category", "side": "top"}, plot_bgcolor="#f8f9fa"),
    }


def group_order(rows: pd.DataFrame, periods: pd.DataFrame, order: str) -> list:
    """The groups of a heatmap by group (no row of every school): by name, or worst first (the lowest
    share of periods due covered over the year so far, then by name)."""
    groups = rows[rows["group"].notna()]
    if order != "worst":
        return sorted(groups["group"], key=str)
    sums = periods[periods["group"].notna()].groupby("group")[["covered", "due"]].sum()
    share = (sums["covered"] / sums["due"].where(sums["due"] > 0)).reindex(groups["group"])
    return sorted(groups["group"], key=lambda g: (pd.isna(share.get(g)), share.get(g, 0.0), str(g)))


def group_heatmap(periods: pd.DataFrame, groups: list, row_labels: dict, period_order: list, labels: dict[str, str]) -> dict:
    """Groups (rows) by period (columns): the share of the group's schools due that covered the period,
    written in each cell; the first row every school chosen (row_labels[None]).  A group row's customdata
    is GROUP_MARK and the group as stored: a click shows its schools, and is never taken for a school's."""
    if periods.empty or not groups:
        return empty(labels["empty"])
    rows = [None, *groups] if None in row_labels else list(groups)
    # keyed by plain tuples, every school chosen by None (a frame may hold it as NaN)
    cell = {(None if pd.isna(g) else g, p): (int(c), int(d), None if pd.isna(s) else float(s))
            for g, p, c, d, s in zip(periods["group"], periods["period"], periods["covered"], periods["due"],
                                     periods["share"], strict=True)}
    z, text, hover, customdata = [], [], [], []
    for group in rows:
        z_row, text_row, hover_row = [], [], []
        for p in period_order:
            covered, due, share = cell.get((group, p), (0, 0, None))
            z_row.append(share)
            text_row.append("" if share is None else f"{round(share * 100)}%")
            said = labels["not_yet"] if share is None else labels["covered_of"].format(
                covered=covered, due=due, share=round(share * 100))
            hover_row.append(f"{row_labels[group]}<br>{p}: {said}")
        z.append(z_row)
        text.append(text_row)
        hover.append(hover_row)
        customdata.append([f"{GROUP_MARK}{group}" if group is not None else ""] * len(period_order))
    y = [row_labels[g] for g in rows]
    return _heatmap_figure(list(period_order), y, z, text, hover, customdata, labels)


def _num(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{float(value):g}"


# --- text beside a chart -------------------------------------------------------------------


def _said(value) -> str:
    number = float(value)
    return f"{number:.0f}" if number.is_integer() else f"{round_half_up([number])[0]:.1f}"


def text_alternative(figure: dict, lang: str = DEFAULT_LANGUAGE) -> str:
    """What a chart shows, in words, for whoever cannot see it (a screen reader reads nothing in Plotly's
    drawing; found by the accessibility audit): each series by name with its points (category value, or
    the figure written on the bar), a box or histogram's count, lowest, median and highest, a heatmap's
    cells as their hover says them; a chart with no data its message."""
    colon, sep = (": ", "; ") if lang == "en" else ("：", "；")
    parts = []
    for trace in figure.get("data") or []:
        kind, name = trace.get("type"), str(trace.get("name") or "")
        if kind in ("box", "histogram"):
            values = sorted(float(v) for v in (trace.get("y") if kind == "box" else trace.get("x")) or [] if v is not None)
            if values:
                spread = t("chart.spread", lang, n=len(values), low=_said(values[0]),
                           median=_said(float(np.median(values))), high=_said(values[-1]))
                parts.append(f"{name}{colon}{spread}" if name else spread)
        elif kind == "heatmap":
            rows = trace.get("hovertext") or []
            parts += [re.sub(r"<br>", " ", str(cell)) for row in rows for cell in row if cell]
        else:
            across, up = ("y", "x") if trace.get("orientation") == "h" else ("x", "y")
            written = trace.get("text") if isinstance(trace.get("text"), list) else None
            points = [f"{c} {written[i] if written and written[i] else _said(v)}"
                      for i, (c, v) in enumerate(zip(trace.get(across) or [], trace.get(up) or [], strict=False))
                      if v is not None]
            if points:
                listed = (", " if lang == "en" else "、").join(points)
                parts.append(f"{name}{colon}{listed}" if name else listed)
    if not parts:
        return " ".join(str(a.get("text", "")) for a in (figure.get("layout") or {}).get("annotations") or [])
    return t("chart.data", lang) + sep.join(parts)
