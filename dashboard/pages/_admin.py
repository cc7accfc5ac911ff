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
from dashboard.layout import T, lang_of, message, viewer_or_refuse


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


def text_table(columns: list[str], rows: list[list], element_id: str, lang: str, empty_key: str = "audit.none"):
    """A plain table; every cell is given to React as text, so a name like <script> shows as typed."""
    if not rows:
        return html.P(t(empty_key, lang), className="text-muted", id=element_id)
    head = html.Thead(html.Tr([html.Th(c) for c in columns]))
    body = html.Tbody([html.Tr([html.Td("" if v is None else str(v)) for v in row]) for row in rows])
    return dbc.Table([head, body], size="sm", hover=True, responsive=True, striped=True, id=element_id,
                     className="small")


def feedback(text: str, color: str = "success", element_id: str | None = None):
    kwargs = {"id": element_id} if element_id else {}
    return dbc.Alert(text, color=color, className="my-2", **kwargs)
