"""What the accounts issue's pages share: who may use them, and small table builders.

Every page of issue 6 asks here, on the server, who the viewer is (from the
session) and refuses with a catalogue key when the role is not enough; the
page layout shows the refusal and every callback raises it again, so a
request crafted by hand gets no further than the page would.
"""

from __future__ import annotations

import re

import dash_bootstrap_components as dbc
from dash import html

from dashboard import queries
from dashboard.access import Viewer
from dashboard.i18n import t
from dashboard.layout import T, grid_locale, lang_of, message, viewer_or_refuse


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


def text_table(columns: list[str], rows: list[list], element_id: str, lang: str, empty_key: str = "audit.none"):
    """A table whose every cell is given to the browser as text, so a name like <script> shows as typed."""
    if not rows:
        return html.P(t(empty_key, lang), className="text-muted", id=element_id)
    if len(rows) > PLAIN_TABLE_ROWS:
        return _grid(columns, rows, element_id, lang)
    head = html.Thead(html.Tr([html.Th(c) for c in columns]))
    body = html.Tbody([html.Tr([_cell("" if v is None else str(v)) for v in row]) for row in rows])
    return dbc.Table([head, body], size="sm", hover=True, responsive=True, striped=True, id=element_id,
                     className="small")


# A cell of several lines (a change of a finding, field by field) shows them as lines.
_LINES = {"whiteSpace": "pre-line"}


def _cell(text: str):
    return html.Td(text, style=_LINES) if "\n" in text else html.Td(text)


# A number as a table shows it (no leading zero: a school code 0123 stays text)
_NUMBER = re.compile(r"^-?(?:0|[1-9]\d*)(?:\.(\d+))?$")


def _grid(columns: list[str], rows: list[list], element_id: str, lang: str):
    import dash_ag_grid as dag

    fields = [f"c{i}" for i in range(len(columns))]
    texts = [["" if v is None else str(v) for v in row] for row in rows]
    defs, numeric = [], set()
    for i, (field, name) in enumerate(zip(fields, columns, strict=True)):
        col = {"field": field, "headerName": name, "wrapText": True, "autoHeight": True, "minWidth": 90}
        shown = [row[i] for row in texts if i < len(row) and row[i] != ""]
        matches = [_NUMBER.match(x) for x in shown]
        if shown and all(matches):
            # sorted as numbers (as text "100.0" came before "59.7"), shown with the decimals it had
            places = max(len(m[1] or "") for m in matches)
            col.update(type="numericColumn", valueFormatter={"function": f"params.value == null ? '' : params.value.toFixed({places})"})
            numeric.add(i)
        elif any("\n" in x for x in shown):
            col["cellStyle"] = _LINES
        defs.append(col)
    data = [{f: (float(v) if v != "" else None) if i in numeric else v
             for i, (f, v) in enumerate(zip(fields, row, strict=False))} for row in texts]
    return dag.AgGrid(id=element_id, rowData=data, columnDefs=defs, columnSize="responsiveSizeToFit",
                      defaultColDef={"sortable": True, "resizable": True, "filter": True},
                      dashGridOptions={"localeText": grid_locale(lang), "suppressCellFocus": True,
                                       "pagination": True, "paginationPageSize": 50},
                      style={"height": "560px", "width": "100%"}, className="ag-theme-quartz small")


def feedback(text: str, color: str = "success", element_id: str | None = None):
    kwargs = {"id": element_id} if element_id else {}
    return dbc.Alert(text, color=color, className="my-2", **kwargs)
