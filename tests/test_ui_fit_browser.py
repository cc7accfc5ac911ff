"""The ranking at a bureau office's 1366 x 768 screen, in a real browser, in each language: no header, school
type, grade or rank cut short, and no sideways scroll (found by an audit: 「R.」「Gr…」「vs la…」, 「Excel…」)."""

from __future__ import annotations

import pytest

from tests.browser_support import Watch, dashboard_server
from tests.test_browser_dashboard import SHOTS, _demo_store, _login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-fit")
    store = _demo_store(folder)
    with dashboard_server(store["url"], folder / "inbox", "browser-fit-secret", timeout=60) as base:
        yield {**store, "base": base}


# Every header text and every rank, type and grade cell drawn, wider than its box (cut with an ellipsis).
_CUT = """() => {
    const cut = [];
    const sel = "#ranking-grid .ag-header-cell-text, #ranking-grid .ag-cell[col-id=rank_sort], " +
                "#ranking-grid .ag-cell[col-id=type], #ranking-grid .ag-cell[col-id=grade]";
    for (const el of document.querySelectorAll(sel)) {
        if (el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1)
            cut.push(el.innerText.trim() + ' ' + el.scrollWidth + '>' + el.clientWidth);
    }
    return cut;
}"""


def test_at_1366_no_ranking_header_type_grade_or_rank_is_cut_in_any_language(server, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    watch = Watch(page)
    _login(page, server["base"], "bureau")
    page.wait_for_selector("#ranking-grid .ag-row")
    for lang, overview in (("en", "Overview"), ("zh-Hans", "总览"), ("zh-Hant", "總覽")):
        watch.step = lang
        page.click(f"#lang-{lang}")
        page.wait_for_function(f"document.querySelector('#nav-overview').innerText.includes('{overview}')")
        page.wait_for_function(f"document.querySelector('#overview-content h1').innerText.includes('{overview}')")
        page.wait_for_selector("#ranking-grid .ag-header-cell[col-id='change']")
        page.wait_for_load_state("networkidle")
        cut = page.evaluate(_CUT)
        # the disqualified schools' rank (取消資格 / Disqualified) is in the last rows
        page.evaluate("() => { const api = dash_ag_grid.getApi('ranking-grid');"
                      " api.ensureIndexVisible(api.getDisplayedRowCount() - 1, 'bottom'); }")
        page.wait_for_timeout(300)
        cut += page.evaluate(_CUT)
        assert not cut, (lang, cut)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), lang
        sideways = page.evaluate("() => { const s = document.querySelector('#ranking-grid "
                                 ".ag-body-horizontal-scroll-viewport'); return s.scrollWidth - s.clientWidth; }")
        assert sideways <= 1, (lang, sideways)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"ranking-1366-{lang}.png"), full_page=True)
    watch.check()
    context.close()
