"""導出: the circular (bureau) and a school's own indicator table, as links to the checked download routes.

The links only lead to /download/... routes, which check the viewer again on
the server; this page just offers each viewer the files its role may have.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard import queries
from dashboard.access import current_viewer
from dashboard.i18n import t
from dashboard.layout import T, guarded, lang_of, page_year, viewer_or_refuse
from dashboard.pages._admin import feedback, refusal_for, school_options
from sync.settings import PLACEHOLDER_ISSUER

dash.register_page(__name__, path="/exports", name="exports", title="學校本質安全考評")

LABELS = {"xlsx": "Excel (.xlsx)", "docx": "Word (.docx)", "csv": "CSV"}


def publication_line(publication: dict, lang: str):
    """Which publication a published year's files are (after a re-publication the links looked the same as
    before it; the file says 更正 only once opened)."""
    published_at = publication.get("published_at")
    day = f"{published_at:%Y-%m-%d}" if published_at is not None else ""
    return html.P(t("exp.publication", lang, version=publication["version"], date=day), id="exp-publication",
                  className="mb-2")


def kept_line(publication: dict, lang: str):
    """Whether the published circular's files are the ones kept when the year was published, or, for a
    publication made by an earlier version that kept none, made now from the frozen results."""
    if not queries.admin.publication_files_kept(current_viewer(), publication):
        return html.P(t("exp.not_kept", lang), id="exp-kept", className="small text-muted mb-2")
    return html.P(t("exp.kept", lang, date=f"{publication['published_at']:%Y-%m-%d}"), id="exp-kept",
                  className="small mb-2")


def layout(**_query):
    refused = refusal_for(viewer_or_refuse)
    if refused is not None:
        return refused
    viewer = viewer_or_refuse()
    if viewer.is_bureau:
        options, value = school_options(), None
    else:  # a school's own code only; the download route checks it again
        options, value = [{"label": viewer.school_code, "value": viewer.school_code}], viewer.school_code
    school_picker = [dbc.Label(T("exp.choose_school"), html_for="exp-school"),
                     dcc.Dropdown(id="exp-school", options=options, value=value, disabled=not viewer.is_bureau,
                                  placeholder=t("choose.school"), className="mb-2")]
    return html.Div([
        html.H1(T("exp.title"), className="h3 mb-3"),
        html.Div(id="exp-links"),
        # Beside the school's table it picks for, under the county's circular (above it, it read as a choice
        # of the circular's too; a review).  A school has its own code only: 「選擇學校」 over a greyed-out
        # list of one was a control that does nothing (found by a UX walk); kept, hidden, as the links' input.
        html.Div(school_picker, id="exp-school-picker", className="no-print mt-3", style={"maxWidth": "30rem"},
                 hidden=not viewer.is_bureau),
        html.Div(id="exp-school-links"),
    ])


@callback(Output("exp-school", "placeholder"), Input("lang-store", "data"))
def school_placeholder(lang):
    """The picker's placeholder follows the language switch (a prop, so T() cannot carry it)."""
    return t("choose.school", lang_of(lang))


def _links(prefix: str, formats, draft: bool, element: str):
    query = "?draft=1" if draft else ""
    return html.Div([html.A(LABELS[f], href=f"{prefix}.{f}{query}", id=f"{element}-{f}",
                            className="btn btn-outline-primary btn-sm me-2 mb-2") for f in formats])


@callback(Output("exp-links", "children"), Output("exp-school-links", "children"), Input("year", "value"),
          Input("lang-store", "data"), Input("exp-school", "value"))
def render_links(year, lang, chosen_school):
    """The files this viewer may download for the year: the county's (above the school picker) and a
    school's own table (below it)."""
    lang = lang_of(lang)

    def render():
        viewer = viewer_or_refuse()
        if not year:
            return feedback(t("pub.no_years", lang), "secondary"), None
        year_i = page_year(year)
        publication = queries.admin.publication(viewer, year_i)  # read once: the two lines below and the links follow it
        published = publication is not None
        school_code = chosen_school if viewer.is_bureau else viewer.school_code
        parts = [publication_line(publication, lang)] if published else []
        if viewer.is_bureau:
            if circular_issuer_unset():
                # The CLI's export warns; the dashboard's, where the office mostly exports, did not.
                parts.append(feedback(t("exp.issuer_placeholder", lang, issuer=PLACEHOLDER_ISSUER), "warning",
                                      "exp-issuer-warning"))
            parts.append(html.H2(t("exp.circular", lang), className="h6 mt-3"))
            if published:
                parts.append(kept_line(publication, lang))
            parts.append(_links(f"/download/circular/{year_i}", ("xlsx", "docx", "csv"), False, "exp-circular")
                         if published else html.P(t("exp.not_published", lang, year=year_i), className="text-muted"))
            parts.append(html.H2(t("exp.draft", lang), className="h6 mt-3"))
            parts.append(_links(f"/download/circular/{year_i}", ("xlsx", "docx", "csv"), True, "exp-draft"))
        own = []
        if school_code:
            title = "exp.school" if viewer.is_bureau else "exp.own_school"
            own.append(html.H2(f"{t(title, lang)} · {school_code}", className="h6 mt-3"))
            own.append(_links(f"/download/school/{school_code}/{year_i}", ("xlsx", "csv"), not published, "exp-school"))
        if lang != "zh-Hant":  # the files are the bureau's documents, in the plan's own script
            own.append(html.P(t("exp.in_traditional", lang), className="text-muted small mt-2"))
        return html.Div(parts), html.Div(own)

    shown = guarded(render, lang)
    return shown if isinstance(shown, tuple) else (shown, None)  # a refusal: said once, above


def circular_issuer_unset() -> bool:
    """Whether the circular would still be signed by the placeholder issuer ([circular] issuer unset)."""
    from sync.settings import get_file_config

    return get_file_config().circular.issuer == PLACEHOLDER_ISSUER


@callback(Output("exp-school", "options"), Input("lang-store", "data"))
def school_choices(lang):
    """The bureau's school picker with the names in the reader's script (Simplified for 简); a school has
    its own code only (the download route checks it again)."""
    viewer = current_viewer()
    if viewer is None:
        return []
    if not viewer.is_bureau:
        return [{"label": viewer.school_code, "value": viewer.school_code}] if viewer.school_code else []
    return school_options(lang_of(lang))
