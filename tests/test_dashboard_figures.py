"""Figure builders on small frames: what each figure shows, and the heatmap's paging at many schools."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard import figures
from dashboard.i18n import LANGUAGES, catalogue
from dashboard.layout import punctuation

LABELS = {"empty": "nothing", "held": "held", "required": "required", "not_yet": "not yet", "scale": "share"}


def _cells(n_schools: int, periods=("2026-03", "2026-04", "2026-05")) -> pd.DataFrame:
    rows = []
    for i in range(n_schools):
        for j, p in enumerate(periods):
            held = (i + j) % 2
            rows.append({"school_code": f"S{i:04d}", "name": f"學校{i:04d}", "type": "小學" if i % 2 else "初中",
                         "township": ["甲鎮", "乙鄉", "丙鎮"][i % 3], "period": p, "required": 1.0, "held": float(held),
                         "covered": bool(held), "counted": j < 2, "total": 50.0 + i % 50})
    frame = pd.DataFrame(rows)
    frame["value"] = np.where(frame["counted"] | frame["covered"], frame["held"], np.nan)
    return frame


def test_heatmap_page_filters_groups_and_pages_a_thousand_schools():
    cells = _cells(1000)
    schools, pages = figures.heatmap_page(cells, "township", None, "group", 1)
    assert pages == 17 and len(schools) == 60
    assert list(schools["group"]) == sorted(schools["group"])
    last, _ = figures.heatmap_page(cells, "township", None, "group", 99)  # beyond the end: the last page
    assert len(last) == 1000 - 16 * 60
    only, pages = figures.heatmap_page(cells, "township", ["乙鄉"], "group", 1)
    assert set(only["group"]) == {"乙鄉"} and pages == 6


def test_heatmap_page_worst_first_puts_the_lowest_share_on_top():
    cells = _cells(30)
    schools, _ = figures.heatmap_page(cells, "type", None, "worst", 1)
    shares = schools["share"].tolist()
    assert shares == sorted(shares)


def test_heatmap_cells_carry_school_codes_hover_figures_and_blank_future_periods():
    cells = _cells(4)
    schools, _ = figures.heatmap_page(cells, "township", None, "group", 1)
    fig = figures.heatmap(cells, schools, LABELS)
    trace = fig["data"][0]
    assert trace["x"] == ["2026-03", "2026-04", "2026-05"]
    assert len(trace["z"]) == 4 and all(len(row) == 3 for row in trace["z"])
    assert all(row[2] is None or row[2] == 1.0 for row in trace["z"])  # May not due: blank unless covered
    assert [row[0] for row in trace["customdata"]] == list(schools["school_code"])
    assert "held 1 / required 1" in json.dumps(trace["hovertext"], ensure_ascii=False) or "held 0 / required 1" in json.dumps(trace["hovertext"])
    assert trace["colorscale"] == "Cividis"
    assert fig["layout"]["height"] >= figures.HEATMAP_ROW_PX * 4


def test_heatmap_without_rows_says_so():
    fig = figures.heatmap(_cells(1).iloc[0:0], pd.DataFrame(columns=["school_code", "group", "name"]), LABELS)
    assert fig["data"] == [] and fig["layout"]["annotations"][0]["text"] == "nothing"


def test_area_bars_show_points_against_the_maximum():
    areas = {"A": {"points": 12.5, "max": 15}, "B": {"points": 10, "max": 10}, "_meta": {"veto": False}}
    fig = figures.area_bars(areas, {"A": "責任體系", "B": "安全管理機構"}, "points", "max")
    maxima, points = fig["data"]
    assert maxima["x"] == [15.0, 10.0] and points["x"] == [12.5, 10.0]
    assert points["text"] == ["12.5 / 15", "10 / 10"]
    assert points["y"] == ["A 責任體系", "B 安全管理機構"]


def test_drill_calendar_marks_held_missed_and_not_yet():
    frame = pd.DataFrame({"period": ["2026-03", "2026-04", "2026-12"], "required": [1, 1, 1], "held": [2, 0, 0],
                          "covered": [True, False, False], "counted": [True, True, False]})
    fig = figures.drill_calendar(frame, {"held": "H", "missed": "M", "not_yet": "N", "row": "drills", "empty": "-"})
    assert fig["data"][0]["z"] == [[1.0, 0.0, None]]
    assert fig["data"][0]["text"] == [["2/1", "0/1", "0/1"]]


def test_trend_lines_draw_school_county_and_type():
    lines = {"x": ["2026-01-31", "2026-02-28"], "school": [60.0, None], "county": [55.0, 58.0], "type": [57.0, 59.0]}
    fig = figures.trend_lists(lines, {"school": "本校", "county": "全縣", "type": "小學"})
    assert [d["name"] for d in fig["data"]] == ["本校", "全縣", "小學"]
    assert fig["data"][0]["y"] == [60.0, None]
    # each month end labelled by its own month, in digits (no "Mar 2026" tick under February's point)
    assert fig["data"][0]["x"] == ["2026-01", "2026-02"] and fig["layout"]["xaxis"]["type"] == "category"


def test_spread_plot_hides_school_names_unless_asked():
    frame = pd.DataFrame({"group": ["甲", "甲", "乙"], "total": [50.0, 70.0, 90.0], "name": ["a", "b", "c"]})
    public = figures.spread_plot(frame, "全縣", "-", show_points=False)
    bureau = figures.spread_plot(frame, "全縣", "-", show_points=True)
    assert all("hovertext" not in d and d["boxpoints"] is False for d in public["data"])
    by_group = {d["name"]: d for d in bureau["data"]}
    assert by_group["甲"]["hovertext"] == ["a", "b"] and by_group["乙"]["hovertext"] == ["c"]


def test_ranking_filter_model_only_names_chosen_columns():
    assert figures.ranking_filter_model(None, "甲鎮", None) == {
        "township": {"filterType": "text", "type": "equals", "filter": "甲鎮"}}


def test_figures_are_plain_json():
    cells = _cells(3)
    schools, _ = figures.heatmap_page(cells, "type", None, "group", 1)
    for fig in (figures.heatmap(cells, schools, LABELS), figures.empty("x")):
        json.dumps(fig, allow_nan=False)


# --- the catalogue ---------------------------------------------------------------------------

DASHBOARD = Path(__file__).resolve().parent.parent / "dashboard"
MINE = [DASHBOARD / "layout.py", *(DASHBOARD / "pages" / f"{p}.py" for p in ("overview", "school", "trends", "heatmaps")),
        *sorted((DASHBOARD / "queries").glob("*.py"))]


def test_every_label_the_pages_use_is_in_the_catalogue_in_three_languages():
    keys = set()
    for path in MINE:
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r"\b[tT]\(\s*\"([a-z_]+\.[a-z_.0-9]+)\"", text))
        keys |= set(re.findall(r"(?:Refused|NotFound)\(\"([a-z_.]+)\"\)", text))
        keys |= {f"{prefix}.{k}" for prefix, k in re.findall(r"\"(todo\.county|todo|hazards\.status|data\.status)\.([a-z_0-9]+)\"", text)}
    from dashboard.queries import MEASURES

    keys |= {f"heatmap.measure.{m}" for m in MEASURES}
    keys |= {f"area.{a}" for a in "ABCDEFG"} | {f"grade.{g}" for g in ("優秀", "良好", "合格", "不合格")}
    keys |= {f"hazards.status.{s}" for s in ("overdue", "due_soon", "open", "closed_late", "closed_undated", "closed")}
    cat = catalogue()
    missing = sorted(k for k in keys if k not in cat)
    assert not missing, missing
    assert len(keys) > 120
    for key in keys:
        entry = cat[key]
        placeholders = {lang: set(re.findall(r"{(\w+)}", entry[lang])) for lang in LANGUAGES}
        assert len({frozenset(p) for p in placeholders.values()}) == 1, (key, placeholders)


def test_an_empty_list_of_movers_says_nobody_moved_that_way_when_the_other_list_has_schools():
    """退步最大 with nobody worse than last year is not "no comparable result" (there is one)."""
    from dashboard.app import app  # noqa: F401  (pages register themselves on the app)
    from dashboard.pages.trends import movers_table

    empty = pd.DataFrame(columns=["school_code", "name", "type", "township", "total", "change"])
    shown = movers_table(empty, "zh-Hant", "fallers-table", empty_key="trends.no_fallers")
    assert shown.children == "沒有學校比上年度退步。"
    assert movers_table(empty, "zh-Hant", "fallers-table").children == "沒有可比較的上年度結果。"


def test_a_term_week_is_shown_with_its_dates():
    """An officer cannot tell what 2026-W16 is: its Monday to Sunday go beside it."""
    from dashboard.layout import with_week_dates

    assert with_week_dates("缺：2026-W12、2026-W16") == "缺：2026-W12（3月16日–3月22日）、2026-W16（4月13日–4月19日）"
    assert with_week_dates("missing: 2026-W52", "en") == "missing: 2026-W52 (Dec 21–Dec 27)"
    assert with_week_dates("本周（2026-W49）", "zh-Hans") == "本周（2026-W49（11月30日–12月6日））"
    assert with_week_dates("2025-W53 and 2026-12") == "2025-W53 and 2026-12"  # 2025 has no week 53
    # inside Chinese words, which Python's \b takes for one word with the week (found by an audit)
    assert with_week_dates("在2026-W49上一節安全教育課") == "在2026-W49（11月30日–12月6日）上一節安全教育課"
    assert with_week_dates("X2026-W49 2026-W495") == "X2026-W49 2026-W495"


def test_annual_bars_put_the_lagging_group_first_after_the_county():
    """Found by an audit: 'which township lags' had no answer at a glance; the bars now run from the
    county to the lowest mean of the latest year upwards."""
    frame = pd.DataFrame({"year": [2025, 2025, 2025, 2026, 2026, 2026, 2024],
                          "group": [None, "東鄉", "西鄉", None, "東鄉", "西鄉", "北鄉"],
                          "mean": [80.0, 85.0, 75.0, 82.0, 70.0, 90.0, 60.0]})
    fig = figures.annual_bars(frame, "全縣", "none")
    by_year = {trace["name"]: trace["x"] for trace in fig["data"]}
    assert by_year["2026"] == ["全縣", "東鄉", "西鄉"] and by_year["2025"] == ["全縣", "東鄉", "西鄉"]
    assert by_year["2024"] == ["北鄉"]


def test_ten_groups_get_ten_colours():
    frame = pd.DataFrame({"as_of": pd.to_datetime(["2026-01-31"] * 11), "group": [None, *[f"鄉{i}" for i in range(10)]],
                          "mean": [80.0] * 11, "schools": [30] + [3] * 10})
    colours = [trace["line"]["color"] for trace in figures.group_lines(frame, "全縣", "none")["data"][1:]]
    assert len(set(colours)) == 10 and "#000000" not in colours


def test_the_drill_calendar_says_what_its_colours_mean_and_trends_title_their_axis():
    """Found by an audit: dark and light cells with no legend; a 0-100 axis with no unit."""
    periods = [{"period": "2026-03", "covered": True, "counted": True, "held": 1, "required": 1},
               {"period": "2026-04", "covered": False, "counted": True, "held": 0, "required": 1}]
    labels = {"held": "已演練", "missed": "未演練", "not_yet": "未到期", "row": "演練", "empty": "-"}
    fig = figures.drill_calendar_periods(periods, labels)
    legend = fig["layout"]["annotations"][0]["text"]
    assert all(word in legend for word in ("已演練", "未演練", "未到期"))
    colours = dict(fig["data"][0]["colorscale"])
    assert colours[1] in legend and colours[0] in legend
    lines = figures.trend_lists({"x": ["2026-03-31"], "school": [80.0], "county": [70.0], "type": [75.0]},
                                {"axis": "總分（分）"})
    assert lines["layout"]["yaxis"]["title"]["text"] == "總分（分）"


def test_the_heatmaps_row_of_every_school_writes_its_share_in_each_cell():
    """Found by the accessibility audit: the row of all the chosen schools is shades of one scale (62% and
    85% look alike to a colour-blind reader, and a phone has no hover); it writes its share, schools' cells
    (held or not: two colours) stay plain."""
    cells = _cells(4)
    schools, _ = figures.heatmap_page(cells, "township", None, "group", 1)
    # the mean share by period, worked out from _cells: held = (i + j) % 2 over schools i = 0..3, May not due
    overall = pd.Series({"2026-03": 0.5, "2026-04": 0.5, "2026-05": None})
    fig = figures.heatmap(cells, schools, {**LABELS, "all": "every school"}, overall=overall)
    trace = fig["data"][0]
    assert trace["y"][0] == "every school" and trace["texttemplate"] == "%{text}"
    assert trace["text"][0] == ["50%", "50%", ""]
    assert all(cell == "" for row in trace["text"][1:] for cell in row) and len(trace["text"]) == 5


def test_a_chart_says_its_data_in_words_in_the_readers_language():
    """Found by the accessibility audit: a screen reader reads nothing of a Plotly chart; the words beside it
    carry each series' points, a spread's count, lowest, median and highest, a calendar's cells."""
    areas = {"A": {"points": 12.5, "max": 15}, "B": {"points": 10, "max": 10}}
    said = figures.text_alternative(figures.area_bars(areas, {"A": "責任體系", "B": "安全管理機構"}, "得分", "滿分"),
                                    "zh-Hant")
    assert said.startswith("圖表數據：")
    assert "得分：A 責任體系 12.5 / 15、B 安全管理機構 10 / 10" in said and "滿分：A 責任體系 15、B 安全管理機構 10" in said
    # totals 40, 60, 70, 90: the median between the middle two, 65
    spread = figures.spread_plot(pd.DataFrame({"total": [90.0, 40.0, 70.0, 60.0], "group": ["甲"] * 4,
                                               "name": ["a", "b", "c", "d"]}), "全縣", "none", False, "en")
    assert figures.text_alternative(spread, "en") == ("Chart data: 全縣: 4 schools, lowest 40, median 65, highest 90; "
                                                      "甲: 4 schools, lowest 40, median 65, highest 90")
    calendar = figures.drill_calendar_periods([{"period": "2026-03", "covered": True, "counted": True, "held": 1,
                                                "required": 1}], {"row": "演練", "held": "已完成", "missed": "未完成",
                                                                  "not_yet": "未到期", **punctuation("zh-Hans")})
    assert figures.text_alternative(calendar, "zh-Hans") == "图表数据：2026-03 已完成：1/1"
    assert figures.text_alternative(figures.empty("沒有數據"), "zh-Hant") == "沒有數據"
    # read out as Chinese is written (the accessibility walk of this session: 「已演練: 1/1」「(未到期)」)
    labels = {"row": "演練", "held": "已完成", "missed": "未完成", "not_yet": "未到期"}
    pending = [{"period": "2026-12", "covered": False, "counted": False, "held": 0, "required": 1}]
    assert figures.text_alternative(figures.drill_calendar_periods(pending, {**labels, **punctuation("zh-Hant")}),
                                    "zh-Hant") == "圖表數據：2026-12 未到期：0/1"
    assert figures.text_alternative(figures.drill_calendar_periods(pending, {**labels, **punctuation("en")}),
                                    "en") == "Chart data: 2026-12 未到期: 0/1"  # the labels given, as given


def test_a_heatmap_by_group_marks_its_groups_rows_and_puts_the_worst_first():
    """A click on a group's row shows its schools: its customdata is group: and the group (Plotly gives a
    click a cell's plain value alone), which the click that opens a school leaves alone; worst first is the
    lowest share over the year."""
    periods = pd.DataFrame({"group": ["甲鎮", "甲鎮", "乙鄉", "乙鄉", None, None],
                            "period": ["2026-03", "2026-04"] * 3, "schools": [3, 3, 2, 2, 5, 5],
                            "due": [3, 3, 2, 2, 5, 5], "covered": [3, 2, 1, 0, 4, 2],
                            "share": [1.0, 2 / 3, 0.5, 0.0, 0.8, 0.4]})
    rows = pd.DataFrame({"group": ["甲鎮", "乙鄉", None], "schools": [3, 2, 5], "with_due": [3, 2, 5],
                         "on_track": [2, 0, 2]})
    # 甲鎮 5 of 6 school-months, 乙鄉 1 of 4: 乙鄉 first
    assert figures.group_order(rows, periods, "worst") == ["乙鄉", "甲鎮"]
    assert figures.group_order(rows, periods, "group") == sorted(["乙鄉", "甲鎮"])
    labels = {**LABELS, "covered_of": "{covered} of {due} ({share}%)"}
    fig = figures.group_heatmap(periods, ["乙鄉", "甲鎮"], {None: "all (5)", "甲鎮": "甲鎮 (3)", "乙鄉": "乙鄉 (2)"},
                                ["2026-03", "2026-04"], labels)
    trace = fig["data"][0]
    assert trace["y"] == ["all (5)", "乙鄉 (2)", "甲鎮 (3)"]
    assert trace["customdata"] == [["", ""], ["group:乙鄉"] * 2, ["group:甲鎮"] * 2]
    assert trace["text"] == [["80%", "40%"], ["50%", "0%"], ["100%", "67%"]]
    assert trace["hovertext"][2][1] == "甲鎮 (3)<br>2026-04: 2 of 3 (67%)"
    json.dumps(fig, allow_nan=False)


def test_this_weeks_to_do_names_the_weeks_days_not_its_iso_number():
    """Found by this session's walk of the school page: 「本週 2026-W49（11月30日–12月6日） 尚未記錄」 gave an
    official a code to decode; this week and last week are their days."""
    from dashboard.layout import week_days, with_week_dates

    assert week_days("2026-W49") == "11月30日–12月6日" and week_days("2026-W49", "en") == "Nov 30–Dec 6"
    assert week_days("2025-W53") == "2025-W53"  # 2025 has no week 53: left as given, never a wrong date
    assert with_week_dates("2026-W49") == "2026-W49（11月30日–12月6日）"


def test_a_heatmaps_cells_are_written_with_the_readers_punctuation():
    """Its hover and its words for a screen reader: 「2026-03：已完成 1 / 應完成 1（100%）」 in Chinese, written so
    where the cell is made (a pass over the whole text cost 45 ms for a county's 12,000 cells, each render)."""
    cells = pd.DataFrame({"school_code": ["S1"], "period": ["2026-03"], "value": [1.0], "held": [1], "required": [1]})
    schools = pd.DataFrame({"school_code": ["S1"], "group": ["城關"], "name": ["一小"]})
    labels = {"empty": "-", "held": "已完成", "required": "應完成", "not_yet": "未到期", "scale": "x"}
    zh = figures.heatmap(cells, schools, {**labels, **punctuation("zh-Hant")})
    assert figures.text_alternative(zh, "zh-Hant") == "圖表數據：城關 · 一小<br>2026-03：已完成 1 / 應完成 1（100%）".replace("<br>", " ")
    en = figures.heatmap(cells, schools, {**labels, **punctuation("en")})
    assert figures.text_alternative(en, "en").endswith("2026-03: 已完成 1 / 應完成 1 (100%)")


def test_a_group_keeps_its_colour_whichever_groups_are_shown():
    """A UX review: the bureau saw 初中 green and a school, shown fewer groups (none under three schools),
    saw it dark blue: a line took its colour from its place among the lines drawn.  Given every group of
    the grouping (queries.county_groups), each keeps its own."""
    order = ["幼兒園", "小學", "初中", "中職"]

    def frame(groups):
        return pd.DataFrame({"as_of": ["2026-01-31"] * (len(groups) + 1), "group": [None, *groups],
                             "mean": [70.0] * (len(groups) + 1), "schools": [9] * (len(groups) + 1)})

    def colours(groups):
        fig = figures.group_lines(frame(groups), "全縣", "none", order=order)
        return {trace["name"]: trace["line"]["color"] for trace in fig["data"][1:]}

    everyone, fewer = colours(["幼兒園", "小學", "初中", "中職"]), colours(["小學", "初中"])
    assert fewer == {"小學": everyone["小學"], "初中": everyone["初中"]}
    assert len(set(everyone.values())) == 4
    spread = pd.DataFrame({"group": ["初中", "初中", "小學"], "total": [80.0, 82.0, 75.0], "name": ["a", "b", "c"]})
    boxes = {trace["name"]: trace["marker"]["color"] for trace in figures.spread_plot(
        spread, "全縣", "none", False, order=order)["data"][1:]}
    assert boxes == {"小學": everyone["小學"], "初中": everyone["初中"]}
