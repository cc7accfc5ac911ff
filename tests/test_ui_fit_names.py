"""What a screen reader says of the dashboard's controls, read from the pages' layouts (no browser).

Found by the accessibility audit: the inspection, publishing and account forms showed a label above each
text box, but none was tied to its box, so a screen reader announced 「編輯文字」 and nothing else.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pytest
from dash import dcc, html

from tests.dashboard_fixtures import as_viewer, dashboard_on_own_store


@pytest.fixture
def app(tmp_path, monkeypatch):
    with dashboard_on_own_store(tmp_path, monkeypatch, with_registry=True) as (app_module, county, _engine):
        yield app_module, county


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and hasattr(child, "to_plotly_json"):
            yield from _walk(child)


def unnamed_text_boxes(layout) -> list[str]:
    """The ids of the text boxes (inputs, text areas) that no label names (html_for) and no aria-label does,
    and of the dropdowns with no label and no placeholder."""
    parts = list(_walk(layout))
    labelled = {getattr(p, "html_for", None) or getattr(p, "htmlFor", None)
                for p in parts if isinstance(p, dbc.Label | html.Label)}
    boxes = [p for p in parts if isinstance(p, dbc.Input | dbc.Textarea | dcc.Input | html.Textarea)
             and getattr(p, "type", None) != "hidden"]
    unnamed = [p.id for p in boxes
               if p.id not in labelled and not getattr(p, "aria-label", None) and not getattr(p, "aria_label", None)]
    # a dropdown shows its value, or its placeholder when empty, which names it; a labelled one reads its
    # label too (assets/32-dropdown-names.js), so one with neither is nameless until a choice is made
    return unnamed + [p.id for p in parts if isinstance(p, dcc.Dropdown) and p.id not in labelled
                      and not getattr(p, "placeholder", None)]


@pytest.mark.parametrize(("page", "role", "boxes"), [
    ("inspections", "admin", {"insp-date", "insp-deduction", "insp-finding", "insp-assessed"}),
    ("publish", "admin", {"pub-note"}),
    ("exports", "admin", set()),
    ("users", "admin", {"users-new-name", "users-new-display", "users-new-password", "users-reset-password"}),
])
def test_every_text_box_of_the_bureau_forms_is_named_by_its_label(app, page, role, boxes):
    import importlib

    app_module, county = app
    module = importlib.import_module(f"dashboard.pages.{page}")
    with as_viewer(app_module, county.users[role]):
        layout = module.layout()
    found = {p.id for p in _walk(layout) if isinstance(p, dbc.Input | dbc.Textarea)}
    assert boxes <= found, found  # the form drawn, not a refusal
    assert unnamed_text_boxes(layout) == []
