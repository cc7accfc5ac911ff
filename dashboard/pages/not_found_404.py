"""The page for an address the dashboard does not have, in the viewer's language (Dash's own is English)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.layout import T

dash.register_page(__name__, path="/404", name="not_found", title="學校本質安全考評")


def layout(**_query):
    return dbc.Alert([
        html.H1(T("page.not_found"), className="h4"),
        dcc.Link(T("page.back_to_overview"), href="/", id="not-found-home"),
    ], color="secondary", className="my-3", id="page-not-found")
