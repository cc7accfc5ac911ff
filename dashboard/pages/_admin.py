"""What the accounts issue's pages share: who may use them, and small table builders.

Every page of issue 6 asks here, on the server, who the viewer is (from the
session) and refuses with a catalogue key when the role is not enough; the
page layout shows the refusal and every callback raises it again, so a
request crafted by hand gets no further than the page would.
"""

from __future__ import annotations

import re
from functools import lru_cache

import dash_bootstrap_components as dbc
from dash import html

from dashboard import queries
from dashboard.access import Viewer
from dashboard.i18n import DEFAULT_LANGUAGE, t, to_language
from dashboard.layout import (
    GRID_KEYBOARD,
    T,
    data_runs,
    grid_locale,
    in_chinese,
    lang_of,
    message,
    viewer_or_refuse,
)


def admin_or_refuse() -> Viewer:
    viewer = viewer_or_refuse()
    if not viewer.is_admin:
        raise queries.Refused("admin.refused_admin")
    return viewer


def bureau_or_refuse() -> Viewer:
    viewer = viewer_or_refuse()
    if not viewer.is_bureau:
        raise queries.Refused("refused.bureau_only")
    return viewer


def school_options(lang: str = DEFAULT_LANGUAGE) -> list[dict]:
    """Every registered school for a bureau page's picker, its name in the reader's script (the value stays
    the code): the registry as the sync checks codes against it (queries.registered_schools), one list for
    the accounts, inspections and exports pages (the inspections page read its own and could differ)."""
    return [{"label": f"{code} {to_language(name or '', lang)}".strip(), "value": code}
            for code, name in queries.registered_schools()]


def refusal_for(check, lang=None):
    """The refusal message if `check()` refuses the viewer of this request, else None."""
    try:
        check()
    except queries.Refused as err:
        if lang is None:
            # At layout time the viewer's language is not known yet (it lives in the browser): a label
            # that follows the language switch, like the page's other labels.
            return dbc.Alert(T(str(err)), color="danger", className="my-3")
        return message(str(err), lang_of(lang), "danger")
    return None


# A plain table up to this many rows; beyond it a grid that draws only the rows in view (300 findings
# as 3,000 Dash components took the browser 14 s to draw, and again at every language switch) and
# can be sorted and filtered.
PLAIN_TABLE_ROWS = 40


def text_table(columns: list[str], rows: list[list], element_id: str, lang: str, empty_key: str = "audit.none",
               chinese: tuple[int, ...] = ()):
    """A table whose every cell is given to the browser as text, so a name like <script> shows as typed.
    `chinese`: the columns (by position) of data in Chinese (schools' names, townships, findings), whose
    Chinese is marked as such on an English page (layout.data_runs)."""
    if not rows:
        return html.P(t(empty_key, lang), className="text-muted", id=element_id)
    if len(rows) > PLAIN_TABLE_ROWS:
        return _grid(columns, rows, element_id, lang, chinese)
    head = html.Thead(html.Tr([html.Th(c) for c in columns]))
    body = html.Tbody([html.Tr([_cell("" if v is None else str(v), lang if i in chinese else None)
                                for i, v in enumerate(row)]) for row in rows])
    return dbc.Table([head, body], size="sm", hover=True, responsive=True, striped=True, id=element_id,
                     className="small")


# A cell of several lines (a change of a finding, field by field) shows them as lines.
_LINES = {"whiteSpace": "pre-line"}


def _cell(text: str, lang: str | None = None):
    shown = data_runs(text, lang) if lang else text
    return html.Td(shown, style=_LINES) if "\n" in text else html.Td(shown)


# A number as a table shows it (no leading zero: a school code 0123 stays text)
_NUMBER = re.compile(r"^-?(?:0|[1-9]\d*)(?:\.(\d+))?$")
# A whole number this long is a code (學校代碼 has ten digits), not an amount: text, left-aligned and sorted as
# text (right-aligned as a number it read as a figure, its filter button alone at the cell's left edge).
_CODE_DIGITS = 6
# A file's path (schools/北塬鄉/1410200001-….xlsx, "#161 bureau/教體局督查與名冊.xlsx"): one line, the whole
# of it on hover (wrapped in a 90 px column it made every row 3 to 5 lines tall; found by an audit).
_PATH = re.compile(r"(?:^|\s)[^\s/]+(?:/[^\s/]+)+$")
_NARROW = set("ijlftr .,:;()'-|")
# A CJK character (or full-width sign) on its own, a closing sign kept with it; or a run of other letters.
_TOKEN = re.compile(r"\s*(?:[\u2e80-\uffff][）」』，、。：；！？]?|[^\s\u2e80-\uffff]+)")


def text_px(text: str) -> int:
    """About how wide text is in a grid's 14 px font, a little on the generous side (Segoe UI on the
    bureau's Windows, Arial-like fonts elsewhere): a CJK character 14.5 px, a capital 9.5, a digit 8, a
    narrow letter or a space 4.2, any other letter 7.4; the middle dot as a CJK character (a Chinese page's
    font draws 「·」 full width: 「校區 · 人數」 broke as 「校區 · 人／數」)."""
    width = 0.0
    for ch in str(text):
        width += (14.5 if ord(ch) >= 0x2E80 or ch == "·" else 9.5 if ch.isupper() else 8.0 if ch.isdigit()
                  else 4.2 if ch in _NARROW else 7.4)
    return int(width + 0.5)


@lru_cache(maxsize=1024)
def wrapped_px(text: str, lines: int = 2) -> int:
    """The narrowest width at which text wraps onto at most `lines` lines as a browser wraps it: between
    words, and between any two CJK characters (弄虛作假（一票否決） needs no space to break)."""
    tokens = [(m.group().strip(), m.group()[:1].isspace()) for m in _TOKEN.finditer(str(text))]
    widths = [(text_px(tok), spaced) for tok, spaced in tokens if tok]
    if not widths:
        return 0
    for width in range(max(w for w, _ in widths), sum(w for w, _ in widths) + 5 * len(widths) + 1):
        used, line = 1, 0.0
        for w, spaced in widths:
            gap = 4.2 if spaced and line else 0.0
            if line and line + gap + w > width:
                used, line = used + 1, float(w)
            else:
                line += gap + w
        if used <= lines:
            return width
    return text_px(text)


# What a grid draws around a word at 8 px from its edges (10-safeschool.css: .ranking-grid, .admin-grid): a
# cell's padding; a header's padding, filter button and gap.
CELL_PADDING, HEADER_CHROME = 18, 42
# A text column's least room before its words wrap, and most share of the width.
_WRAP_FROM, _WIDEST = 110, 420


def header_px(name: str) -> int:
    """A header's least width: its words on two lines, or on three where two would be wide; never cut (its
    words say what the column is: 「弄虛作假（一票否決）」 read 「弄虛作假…」)."""
    two = wrapped_px(name, 2)
    return (two if two <= 120 else wrapped_px(name, 3)) + HEADER_CHROME


def _grid(columns: list[str], rows: list[list], element_id: str, lang: str, chinese: tuple[int, ...] = ()):
    import dash_ag_grid as dag

    fields = [f"c{i}" for i in range(len(columns))]
    texts = [["" if v is None else str(v) for v in row] for row in rows]
    defs, numeric = [], set()
    for i, (field, name) in enumerate(zip(fields, columns, strict=True)):
        shown = [row[i] for row in texts if i < len(row) and row[i] != ""]
        matches = [_NUMBER.match(x) for x in shown]
        longest = max((max(text_px(line) for line in x.split("\n")) for x in shown), default=0) + CELL_PADDING
        header = header_px(name)
        col = {"field": field, "headerName": name, "headerTooltip": name}
        if shown and all(matches) and not all(m[1] is None and len(x.lstrip("-")) >= _CODE_DIGITS
                                              for m, x in zip(matches, shown, strict=True)):
            # sorted as numbers (as text "100.0" came before "59.7"), shown with the decimals it had
            places = max(len(m[1] or "") for m in matches)
            col.update(type="numericColumn", minWidth=max(header, longest), flex=max(header, longest),
                       valueFormatter={"function": f"params.value == null ? '' : params.value.toFixed({places})"})
            numeric.add(i)
        elif shown and sum(bool(_PATH.search(x)) for x in shown) * 2 > len(shown):
            col.update(minWidth=max(header, min(longest, 160)), flex=min(longest, _WIDEST), tooltipField=field)
        elif longest <= _WRAP_FROM + 30:
            # short words (a date, a status, a code) whole on one line
            col.update(minWidth=max(header, longest), flex=max(header, longest))
        else:
            col.update(minWidth=max(header, _WRAP_FROM), flex=max(header, min(longest, _WIDEST)),
                       wrapText=True, autoHeight=True)
            if any("\n" in x for x in shown):
                col["cellStyle"] = _LINES
        if i in chinese and i not in numeric:
            col.update(in_chinese(lang, runs=True))
        defs.append(col)
    data = [{f: (float(v) if v != "" else None) if i in numeric else v
             for i, (f, v) in enumerate(zip(fields, row, strict=False))} for row in texts]
    # flex: each column's share of the width in proportion to what it holds, never below its header's or
    # its short values' width (sized to fit, every column was squeezed to 90 px alike).
    return dag.AgGrid(id=element_id, rowData=data, columnDefs=defs,
                      defaultColDef={"sortable": True, "resizable": True, "filter": True,
                                     "wrapHeaderText": True, "autoHeaderHeight": True},
                      dashGridOptions={"localeText": grid_locale(lang), "suppressCellFocus": True, **GRID_KEYBOARD,
                                       "pagination": True, "paginationPageSize": 50, "tooltipShowDelay": 300},
                      style={"height": "560px", "width": "100%"}, className="ag-theme-quartz small admin-grid")


def feedback(text: str, color: str = "success", element_id: str | None = None):
    kwargs = {"id": element_id} if element_id else {}
    return dbc.Alert(text, color=color, className="my-2", **kwargs)
