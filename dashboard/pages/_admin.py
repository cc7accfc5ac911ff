"""What the accounts issue's pages share: who may use them, and small table builders.

Every page of issue 6 asks here, on the server, who the viewer is (from the
session) and refuses with a catalogue key when the role is not enough; the
page layout shows the refusal and every callback raises it again, so a
request crafted by hand gets no further than the page would.
"""

from __future__ import annotations

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
    body = html.Tbody([html.Tr([html.Td("" if v is None else str(v)) for v in row]) for row in rows])
    return dbc.Table([head, body], size="sm", hover=True, responsive=True, striped=True, id=element_id,
                     className="small")


def _grid(columns: list[str], rows: list[list], element_id: str, lang: str):
    import dash_ag_grid as dag

    fields = [f"c{i}" for i in range(len(columns))]
    data = [{f: "" if v is None else str(v) for f, v in zip(fields, row, strict=False)} for row in rows]
    defs = [{"field": f, "headerName": name, "wrapText": True, "autoHeight": True, "minWidth": 90}
            for f, name in zip(fields, columns, strict=True)]
    return dag.AgGrid(id=element_id, rowData=data, columnDefs=defs, columnSize="responsiveSizeToFit",
                      defaultColDef={"sortable": True, "resizable": True, "filter": True},
                      dashGridOptions={"localeText": grid_locale(lang), "suppressCellFocus": True,
                                       "pagination": True, "paginationPageSize": 50},
                      style={"height": "560px", "width": "100%"}, className="ag-theme-quartz small")


def feedback(text: str, color: str = "success", element_id: str | None = None):
    kwargs = {"id": element_id} if element_id else {}
    return dbc.Alert(text, color=color, className="my-2", **kwargs)
