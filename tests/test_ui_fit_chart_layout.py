"""Charts drawn by plotly.js in Chromium keep their words apart and inside the chart, at the widths the
pages give them.

Found by an audit: on a phone the school page's trend drew its rotated month labels over the legend (the
school's own name), and the trends page's spread plot cut its English category labels (Kindergart…).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from dashboard import figures
from dashboard.i18n import t


def _plotly_js() -> str:
    import plotly

    return (Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js").read_text(encoding="utf-8")


_MEASURE = """() => {
    const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const svg = document.querySelector('#chart .main-svg');
    return {
        chart: box(svg),
        legend: [...document.querySelectorAll('#chart .legend .traces')].map(box),
        ticks: [...document.querySelectorAll('#chart .xtick text')].map(el => ({text: el.textContent, box: box(el)})),
    };
}"""


def _drawn(browser, figure: dict, width: int) -> dict:
    context = browser.new_context(viewport={"width": width + 40, "height": 900})
    page = context.new_page()
    page.set_content(f'<html><head><meta charset="utf-8"><script>{_plotly_js()}</script></head>'
                     f'<body style="margin:0;font-family:Noto Sans CJK SC"><div id="chart" style="width:{width}px"></div>'
                     f'<script>Plotly.newPlot("chart", {json.dumps(figure["data"])}, {json.dumps(figure["layout"])},'
                     '{responsive: true, displayModeBar: false});</script></body></html>')
    page.wait_for_selector("#chart .main-svg")
    measured = page.evaluate(_MEASURE)
    context.close()
    return measured


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("lang", ["zh-Hant", "en"])
def test_on_a_phone_the_school_trend_draws_its_months_clear_of_its_legend(browser, lang):
    months = [f"2026-{m:02d}-28" for m in range(1, 12)]
    lines = {"x": months, "school": [60.0 + m for m in range(11)], "county": [65.0] * 11, "type": [62.0] * 11}
    names = {"school": "城關鎮第一中心小學" if lang != "en" else "Chengguan No.1 Central Primary School",
             "county": t("trend.county", lang), "type": t("type.小學", lang), "axis": t("trend.axis_total", lang)}
    drawn = _drawn(browser, figures.trend_lists(lines, names), 330)
    assert drawn["ticks"] and drawn["legend"]
    clashes = [(tick["text"], legend) for tick in drawn["ticks"] for legend in drawn["legend"] if _overlap(tick["box"], legend)]
    assert not clashes, clashes


def test_the_spread_plot_shows_every_english_category_whole(browser):
    frame = pd.DataFrame({"group": ["Complete secondary school", "Junior secondary school", "Kindergarten",
                                    "Nine-year school", "Primary school"] * 2,
                          "total": [50.0, 60.0, 70.0, 80.0, 90.0, 55.0, 65.0, 75.0, 85.0, 95.0], "name": list("abcdefghij")})
    drawn = _drawn(browser, figures.spread_plot(frame, "County", "-", True, "en"), 690)
    chart = drawn["chart"]
    cut = [tick["text"] for tick in drawn["ticks"]
           if tick["box"][3] > chart[3] + 0.5 or tick["box"][0] < chart[0] - 0.5 or tick["box"][2] > chart[2] + 0.5]
    assert len(drawn["ticks"]) == 6 and not cut, (cut, chart)
