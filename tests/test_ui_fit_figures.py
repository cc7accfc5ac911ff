"""The trends page's charts say their figures one way, with their units, in the reader's language.

Found by an audit: the year-mean bars read 「74」「77」「48」 beside 「75.8」; the bar and box charts and
「County, year on year」 had no y-axis title; hovering a line said 「n=5」 in every language.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from dashboard import figures
from dashboard.i18n import LANGUAGES, t

# What the trends page hands these figures, in each language (dashboard/pages/trends.py).
COUNTY = {lang: t("trend.county", lang) for lang in LANGUAGES}
EMPTY = {lang: t("trend.none", lang) for lang in LANGUAGES}
COUNT_WORDS = {"zh-Hant": "（5所學校）", "zh-Hans": "（5所学校）", "en": " (5 schools)"}
UNIT = {"zh-Hant": "（分）", "zh-Hans": "（分）", "en": "(points)"}


def _annual() -> pd.DataFrame:
    return pd.DataFrame({"year": [2025, 2025, 2026, 2026], "group": [None, "東鄉", None, "東鄉"],
                         "mean": [74.0, 48.0, 75.8333, 77.25]})


def _axis_title(fig: dict) -> str:
    return ((fig["layout"].get("yaxis") or {}).get("title") or {}).get("text", "")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_bar_labels_all_have_one_decimal(lang):
    fig = figures.annual_bars(_annual(), COUNTY[lang], EMPTY[lang], lang=lang)
    labels = [label for trace in fig["data"] for label in trace["text"]]
    assert labels and all(re.fullmatch(r"\d+\.\d", str(label)) for label in labels), labels
    assert set(labels) == {"74.0", "48.0", "75.8", "77.3"}  # halves up, as the published figures


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_bar_box_and_year_on_year_charts_title_their_y_axis_with_its_unit(lang):
    spread = pd.DataFrame({"group": ["甲", "甲", "乙"], "total": [50.0, 70.0, 90.0], "name": ["a", "b", "c"]})
    yoy = pd.DataFrame({"year": [2025, 2026], "month": [1, 1], "mean": [70.0, 72.0]})
    for fig in (figures.annual_bars(_annual(), COUNTY[lang], EMPTY[lang], lang=lang),
                figures.spread_plot(spread, COUNTY[lang], EMPTY[lang], show_points=True, lang=lang),
                figures.year_on_year(yoy, t("trends.month", lang), EMPTY[lang], lang=lang)):
        title = _axis_title(fig)
        assert UNIT[lang] in title, (lang, title)
        # in the reader's language: no Chinese on an English chart, no English on a Chinese one
        assert bool(re.search(r"[\u4e00-\u9fff]", title)) == (lang != "en"), (lang, title)
    # the explicit language wins over what the labels suggest
    assert "points" in _axis_title(figures.annual_bars(_annual(), "全縣", "-", lang="en"))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_hovering_a_group_line_says_how_many_schools_in_words(lang):
    frame = pd.DataFrame({"as_of": pd.to_datetime(["2026-01-31", "2026-01-31"]), "group": [None, "東鄉"],
                          "mean": [80.0, 75.8333], "schools": [30, 5]})
    fig = figures.group_lines(frame, COUNTY[lang], EMPTY[lang], t("trend.axis_total", lang), lang=lang)
    group = fig["data"][1]
    assert "n=" not in group["hovertemplate"]
    assert group["customdata"] == [COUNT_WORDS[lang]]
    assert "%{customdata}" in group["hovertemplate"] and "%{y:.1f}" in group["hovertemplate"]
    one = frame.assign(schools=[30, 1])
    assert figures.group_lines(one, COUNTY[lang], EMPTY[lang], lang=lang)["data"][1]["customdata"] == [
        {"zh-Hant": "（1所學校）", "zh-Hans": "（1所学校）", "en": " (1 school)"}[lang]]
