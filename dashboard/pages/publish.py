"""發布: the safety office freezes a year's results, after seeing what changed since the last publication.

Admins only.  The confirmation (a modal) repeats how many schools the
publication covers and how many changed, and names the schools whose records it would
be frozen without (a workbook refused or not sent, rows refused); publishing again needs the explicit
"force" box (sync.results.publish refuses otherwise and says why).
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import audit, queries
from dashboard.downloads import publication_files
from dashboard.i18n import t, to_language
from dashboard.layout import T, grade_label, guarded, lang_of, page_year, user_error_text, viewer_or_refuse
from dashboard.pages._admin import admin_or_refuse, bureau_or_refuse, feedback, refusal_for, text_table
from sync.cells import is_missing
from sync.errors import UserError
from sync.settings import PLACEHOLDER_ISSUER, get_file_config
from sync.store import get_engine

dash.register_page(__name__, path="/admin/publish", name="publish", title="學校本質安全考評")


def layout(**_query):
    refused = refusal_for(bureau_or_refuse)
    if refused is not None:
        return refused
    viewer = viewer_or_refuse()
    years = queries.admin.draft_years(viewer)
    # A leader sees what is published and what the draft would change; the controls stay for the
    # callbacks, hidden (publishing asks admin_or_refuse on the server whatever the page shows).
    publisher = viewer.is_admin
    hidden = "" if publisher else " d-none"
    return html.Div([
        html.H1(T("pub.title"), className="h3 mb-3"),
        dbc.Row([
            dbc.Col([dbc.Label(T("pub.year"), html_for="pub-year"), dcc.Dropdown(id="pub-year", options=years,
                                                            value=years[0] if years else None, clearable=False)], md=2),
            dbc.Col([dbc.Label(T("pub.note"), html_for="pub-note"), dbc.Input(id="pub-note")], md=6, className=hidden.strip() or None),
        ], className="g-2 mb-2"),
        html.Div(id="pub-running"),
        None if publisher else dbc.Alert(T("pub.read_only"), color="secondary", id="pub-read-only"),
        dbc.Checkbox(id="pub-force", label=t("pub.force"), value=False, className="mb-2" + hidden),
        dbc.Button(T("pub.publish"), id="pub-open", color="primary", n_clicks=0, className="mb-3" + hidden),
        html.Div(id="pub-result"),
        html.Div(id="pub-state"),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle(id="pub-confirm-title")),
            dbc.ModalBody(id="pub-confirm-body"),
            dbc.ModalFooter([
                dbc.Button(T("pub.cancel"), id="pub-cancel", color="secondary", n_clicks=0),
                dbc.Button(T("pub.confirm"), id="pub-confirm", color="danger", n_clicks=0),
            ]),
        ], id="pub-modal", is_open=False),
    ])


def _grade(value, lang: str) -> str:
    """A grade in the viewer's language; nothing for a school without one on that side."""
    return grade_label(value, lang) if isinstance(value, str) and value else ""


def _rank(value, qualified, lang: str) -> str:
    """The rank, 取消資格 for a school the veto takes out, nothing for a school absent on that side."""
    if qualified is not None and not pd.isna(qualified) and not bool(qualified):
        return t("ranking.disqualified", lang)
    if is_missing(value):
        return ""
    return str(int(value))


def _total(value) -> str:
    if is_missing(value):
        return ""
    return f"{float(value):.1f}"


@callback(Output("pub-year", "value"), Input("year", "value"), State("pub-year", "options"))
def follow_the_navbar_year(year, years):
    """The year picked in the navbar, when it has a draft to publish: the page opened on the newest year
    whatever the navbar said (2026 running, while the office came to publish 2025)."""
    if refusal_for(bureau_or_refuse) is not None:
        return no_update
    return year if year in (years or []) else no_update


@callback(Output("pub-state", "children"), Input("pub-year", "value"), Input("lang-store", "data"),
          Input("pub-result", "children"))
def render_state(year, lang, _published):
    """The year's current publication and, school by school, what the draft changes."""
    lang = lang_of(lang)

    def render():
        viewer = bureau_or_refuse()
        if not year:
            return feedback(t("pub.no_years", lang), "secondary")
        publication, diff = queries.admin.publication_state(viewer, page_year(year))
        if publication:
            head = html.P(t("pub.current", lang, version=publication["version"],
                            date=f"{publication['published_at']:%Y-%m-%d %H:%M}", by=publication.get("published_by") or ""),
                          id="pub-current")
            shown = diff[diff["changed"]]
        else:
            head = html.P(t("pub.none", lang), id="pub-current")
            shown = diff
        # A first publication has nothing before it: no "300 of 300 changed", no empty 原 columns.
        summary = html.P(t("pub.changed_count", lang, changed=int(diff["changed"].sum()), total=len(diff))
                         if publication else t("pub.first_count", lang, total=len(diff)),
                         className="fw-semibold", id="pub-changed")
        keys = ("pub.school", "pub.total_before", "pub.total_after", "pub.grade_before", "pub.grade_after",
                "pub.rank_before", "pub.rank_after")
        rows = [[f"{r.school_code} {to_language(str(r.name or ''), lang)}", _total(r.total_before), _total(r.total_after),
                 _grade(r.grade_before, lang), _grade(r.grade_after, lang),
                 _rank(r.rank_before, r.qualified_before, lang), _rank(r.rank_after, r.qualified_after, lang)]
                for r in shown.itertuples(index=False)]
        if not publication:
            keep = [0, 2, 4, 6]
            keys = tuple(keys[i] for i in keep)
            rows = [[row[i] for i in keep] for row in rows]
        columns = [t(k, lang) for k in keys]
        title = html.H2(t("pub.diff" if publication else "pub.diff_first", lang), className="h6 mt-3")
        return html.Div([head, summary, title, text_table(columns, rows, "pub-diff", lang, "pub.no_change", chinese=(0,))])

    return guarded(render, lang)


def running_as_of(viewer, year: int) -> str | None:
    """The day a still running year's draft is computed to; None once the year is over, even with a draft
    computed before its end (publishing brings it to 31 Dec first; the page called such a year still
    running), or when nothing is computed."""
    from sync.results import year_over

    as_of = queries.admin.draft_as_of(viewer, year)
    return None if as_of is None or year_over(year) else str(as_of)


@callback(Output("pub-running", "children"), Input("pub-year", "value"), Input("lang-store", "data"))
def say_the_year_is_running(year, lang):
    """Said before the click: publishing a running year takes the box below ticked (the page asked for a
    confirmation first and refused after it; found by an audit)."""
    lang = lang_of(lang)

    def render():
        viewer = bureau_or_refuse()
        if not year:
            return None
        year_i = page_year(year)
        as_of = running_as_of(viewer, year_i)
        # a leader sees no box to tick (second audit): the same fact, without the step
        key = "pub.running" if viewer.is_admin else "pub.running_read"
        return None if as_of is None else feedback(t(key, lang, year=year_i, as_of=as_of), "info")

    return guarded(render, lang)


@callback(Output("pub-modal", "is_open"), Output("pub-confirm-title", "children"), Output("pub-confirm-body", "children"),
          Output("pub-confirm", "disabled"),
          Input("pub-open", "n_clicks"), Input("pub-cancel", "n_clicks"), State("pub-year", "value"),
          State("pub-force", "value"), State("lang-store", "data"), prevent_initial_call=True)
def ask_to_confirm(_open, _cancel, year, force, lang):
    """The confirmation repeats what will be frozen; for a running year without the box ticked it says
    what to tick instead, and offers nothing to confirm."""
    lang = lang_of(lang)
    if ctx.triggered_id == "pub-cancel" or not year:
        return False, no_update, no_update, no_update
    refused = refusal_for(admin_or_refuse, lang)
    if refused is not None:
        return False, no_update, no_update, no_update
    try:
        year = page_year(year)
    except ValueError:  # a year the picker never holds: nothing to confirm
        return False, no_update, no_update, no_update
    viewer = viewer_or_refuse()
    as_of = running_as_of(viewer, year)
    if as_of is not None and not force:
        return True, t("pub.confirm_title", lang, year=year), feedback(
            t("pub.refused_running", lang, year=year, as_of=as_of), "warning", "pub-tick-first"), True
    publication, diff = queries.admin.publication_state(viewer, year)
    changed = diff[diff["changed"]]
    names = [html.Li(change_line(r, lang)) for r in changed.head(20).itertuples(index=False)]
    more = [html.Li("…")] if len(changed) > 20 else []
    # A first publication has nothing before it: not "60 of 60 different from last time" (found by an audit).
    said = (t("pub.confirm_body", lang, total=len(diff), changed=len(changed)) if publication is not None
            else t("pub.first_count", lang, total=len(diff)) + t("pub.confirm_body_first", lang))
    body = [html.P(said), html.Ul(names + more, className="small mb-0", id="pub-confirm-changes")]
    if get_file_config().circular.issuer == PLACEHOLDER_ISSUER:  # the files the publication keeps would be signed so
        body.append(feedback(t("pub.issuer_placeholder", lang, issuer=PLACEHOLDER_ISSUER), "warning",
                             "pub-issuer-warning"))
    outstanding = audit.outstanding_note(queries.admin.submissions(viewer), lang,
                                         lambda s: to_language(str(s["name"] or s["school_code"]), lang), OUTSTANDING_NAMES)
    if outstanding is not None:
        body.append(feedback(outstanding, "warning", "pub-outstanding"))
    return True, t("pub.confirm_title", lang, year=year), body, False


OUTSTANDING_NAMES = 5  # schools named in each group of the note; the audit page lists them all


def change_line(r, lang: str) -> str:
    """One school in the confirmation: its total before and after and, where that moved, its rank (a
    school whose rank alone changed read 「64.9 → 64.9」; an audit), or 取消資格 where the veto holds it."""
    line = (f"{r.school_code} {to_language(str(r.name or ''), lang)}: {_total(r.total_before) or '–'} → "
            f"{_total(r.total_after) or '–'}")
    before, after = _rank(r.rank_before, r.qualified_before, lang), _rank(r.rank_after, r.qualified_after, lang)
    if before != after:
        return f"{line} ({t('ranking.rank', lang)} {before or '–'} → {after or '–'})"
    return f"{line} ({after})" if after == t("ranking.disqualified", lang) else line


@callback(Output("pub-result", "children"), Output("pub-modal", "is_open", allow_duplicate=True),
          Input("pub-confirm", "n_clicks"), State("pub-year", "value"), State("pub-force", "value"),
          State("pub-note", "value"), State("lang-store", "data"), prevent_initial_call=True)
def publish_year(_confirm, year, force, note, lang):
    """Freeze the draft as the year's publication (sync.results.publish)."""
    from sync.results import publish

    lang = lang_of(lang)

    def render():
        viewer = admin_or_refuse()
        if not year:
            return no_update
        year_i = page_year(year)
        try:
            done = publish(get_engine(), year_i, files=publication_files, by=viewer.username, force=bool(force),
                           note=note or None)
        except UserError as err:
            return feedback(user_error_text(err, lang), "danger", "pub-error")
        audit.record(get_engine(), viewer.username, "publish", None,
                     {"year": year_i, "version": done["version"], "force": bool(force), "schools": done["schools"]})
        return feedback(t("pub.done", lang, year=year, version=done["version"], schools=done["schools"]), "success",
                        "pub-done")

    return guarded(render, lang), False


@callback(Output("pub-force", "label"), Output("pub-force", "className"), Input("lang-store", "data"),
          Input("pub-year", "value"))
def force_label(lang, year=None):
    """What ticking the box does for the year picked: publish it again, publish a running year early, or
    both; one label naming both read as if every publication needed both (a review).  A year over and never
    published needs no box, and shows none (a UX review: an admin could not tell whether to tick it).  It
    follows the language switch too (a prop, so T() cannot carry it)."""
    lang = lang_of(lang)
    shown, hidden = "mb-2", "mb-2 d-none"
    if not year or refusal_for(bureau_or_refuse, lang) is not None:
        return t("pub.force", lang), hidden
    try:
        year_i = page_year(year)
    except ValueError:  # a year the picker never holds
        return t("pub.force", lang), hidden
    viewer = viewer_or_refuse()
    again = queries.admin.publication(viewer, year_i) is not None
    early = running_as_of(viewer, year_i) is not None
    label = t("pub.force" if again == early else "pub.force_again" if again else "pub.force_early", lang)
    return label, shown if viewer.is_admin and (again or early) else hidden
