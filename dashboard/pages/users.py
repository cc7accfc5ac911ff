"""賬號: the safety office lists, adds, disables and re-enables accounts (admin only)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard import audit, queries
from dashboard.i18n import t, to_language
from dashboard.layout import T, guarded, lang_of, user_error_text
from dashboard.pages._admin import admin_or_refuse, feedback, refusal_for, school_options, text_table
from sync.accounts import ROLES, create_user, set_active, set_password
from sync.errors import UserError
from sync.store import get_engine

dash.register_page(__name__, path="/admin/users", name="users", title="學校本質安全考評")


def layout(**_query):
    refused = refusal_for(admin_or_refuse)
    if refused is not None:
        return refused
    return html.Div([
        html.H1(T("users.title"), className="h3 mb-3"),
        dbc.Card(dbc.CardBody([
            html.H2(T("users.add"), className="h6"),
            dbc.Row([
                dbc.Col([dbc.Label(T("users.username"), html_for="users-new-name"), dbc.Input(id="users-new-name", autocomplete="off")], md=2),
                dbc.Col([dbc.Label(T("users.role"), html_for="users-new-role"), dcc.Dropdown(
                    id="users-new-role", value="school", clearable=False,
                    options=[{"label": t(f"role.{r}"), "value": r} for r in ROLES])], md=2),
                dbc.Col([dbc.Label(T("users.school"), html_for="users-new-school"), dcc.Dropdown(id="users-new-school", options=school_options(),
                                                                               placeholder=t("choose.school"))], md=3),
                dbc.Col([dbc.Label(T("users.name"), html_for="users-new-display"), dbc.Input(id="users-new-display")], md=2),
                dbc.Col([dbc.Label(T("users.password"), html_for="users-new-password"),
                         dbc.Input(id="users-new-password", type="password", autocomplete="new-password")], md=3),
            ], className="g-2"),
            dbc.Button(T("users.add"), id="users-add", color="primary", className="mt-2", n_clicks=0),
            html.Div(id="users-add-result"),
        ]), className="mb-3 shadow-sm no-print"),
        dbc.Card(dbc.CardBody([
            # what the buttons below act on (a UX review: the card had no heading, the password box stood apart)
            html.H2(T("users.change"), className="h6"),
            html.P(T("users.change_help"), className="small text-muted mb-2"),
            dbc.Row([
                dbc.Col(dcc.Dropdown(id="users-pick", placeholder=t("users.choose")), md=4),
                dbc.Col([dbc.Button(T("users.disable"), id="users-disable", color="danger", outline=True, n_clicks=0,
                                    className="me-2"),
                         dbc.Button(T("users.enable"), id="users-enable", color="secondary", outline=True, n_clicks=0)],
                        md=3),
                # named for a screen reader (a placeholder goes once typing starts)
                dbc.Col([dbc.Label(T("users.new_password"), html_for="users-reset-password", className="visually-hidden"),
                         dbc.InputGroup([
                             dbc.Input(id="users-reset-password", type="password", autocomplete="new-password",
                                       placeholder=t("users.new_password")),
                             dbc.Button(T("users.reset"), id="users-reset", color="dark", outline=True, n_clicks=0),
                         ])], md=5),
            ], className="g-2 mb-2"),
            html.Div(id="users-toggle-result"),
            html.Div(id="users-table"),
        ]), className="shadow-sm"),
    ])


@callback(Output("users-add-result", "children"), Output("users-new-password", "value"),
          Output("users-new-name", "value"), Output("users-new-school", "value"), Output("users-new-display", "value"),
          Input("users-add", "n_clicks"),
          State("users-new-name", "value"), State("users-new-role", "value"), State("users-new-school", "value"),
          State("users-new-display", "value"), State("users-new-password", "value"), State("lang-store", "data"),
          prevent_initial_call=True)
def add_account(_n, username, role, school_code, display_name, password, lang):
    """Create an account; the password field is emptied whatever happens, and once the account is made
    the whole form, so the next account does not inherit this one's school and name."""
    lang = lang_of(lang)
    made = []

    def render():
        viewer = admin_or_refuse()
        try:
            account = create_user(get_engine(), username or "", password or "", role or "",
                                  school_code if role == "school" else None, display_name or None, on_page=True)
        except UserError as err:
            return feedback(user_error_text(err, lang), "danger", "users-add-error")
        made.append(account)
        audit.record(get_engine(), viewer.username, "users", account.school_code,
                     {"change": "add", "username": account.username, "role": account.role})
        return feedback(t("users.added", lang, username=account.username), "success", "users-add-ok")

    result = guarded(render, lang)
    kept = (None, None, None) if made else (no_update, no_update, no_update)
    return (result, "", *kept)


@callback(Output("users-toggle-result", "children"), Output("users-reset-password", "value"),
          Input("users-disable", "n_clicks"), Input("users-enable", "n_clicks"), Input("users-reset", "n_clicks"),
          State("users-pick", "value"), State("users-reset-password", "value"), State("lang-store", "data"),
          prevent_initial_call=True)
def toggle_account(_disable, _enable, _reset, username, password, lang):
    """Disable, re-enable, or give a new password to the chosen account (the password field is emptied)."""
    lang = lang_of(lang)

    def render():
        viewer = admin_or_refuse()
        if not username:  # the button said nothing when no account was chosen (found by an audit)
            return feedback(t("users.choose_first", lang), "warning", "users-choose-first")
        if ctx.triggered_id == "users-reset":
            try:
                set_password(get_engine(), username, password or "")
            except UserError as err:
                return feedback(user_error_text(err, lang), "danger", "users-reset-error")
            audit.record(get_engine(), viewer.username, "users", None, {"change": "reset-password", "username": username})
            return feedback(t("users.password_changed", lang, username=username), "success", "users-reset-ok")
        active = ctx.triggered_id == "users-enable"
        if not active and username == viewer.username:
            return feedback(t("users.not_yourself", lang), "warning")
        try:
            set_active(get_engine(), username, active)
        except UserError as err:
            return feedback(user_error_text(err, lang), "danger")
        audit.record(get_engine(), viewer.username, "users", None,
                     {"change": "enable" if active else "disable", "username": username})
        return feedback(t("users.changed", lang, username=username,
                          state=t("users.active" if active else "users.disabled", lang)), "success")

    return guarded(render, lang), ""


@callback(Output("users-table", "children"), Output("users-pick", "options"),
          Input("lang-store", "data"), Input("users-add-result", "children"), Input("users-toggle-result", "children"))
def render_accounts(lang, _added, _toggled):
    """The account list, refreshed after every change."""
    lang = lang_of(lang)

    refused = refusal_for(admin_or_refuse, lang)
    if refused is not None:
        return refused, []
    accounts = queries.admin.accounts(admin_or_refuse())
    # a school account's school by its name too, as the form's picker names it (the code alone said little)
    schools = {o["value"]: o["label"] for o in school_options(lang)}
    rows = [[a["username"], a.get("display_name") or "", t(f"role.{a['role']}", lang),
             _school_of(a.get("school_code"), schools, lang),
             t("users.active" if a["active"] else "users.disabled", lang),
             a["created_at"].strftime("%Y-%m-%d %H:%M") if a.get("created_at") else ""] for a in accounts]
    # the list's own headers: the form's labels said 「姓名（可選）」「學校（學校賬號）」 over every row
    columns = [t(k, lang) for k in ("users.username", "users.col_name", "users.role", "users.col_school", "users.state",
                                    "users.created")]
    options = [{"label": to_language(a["username"], lang), "value": a["username"]} for a in accounts]
    return text_table(columns, rows, "users-list", lang, "users.none", chinese=(1, 3)), options


def _school_of(code: str | None, schools: dict[str, str], lang: str) -> str:
    """A school account's school by its name; a code the registry no longer holds (a school closed or merged)
    is said to be so, for the account to be disabled: it stayed active, looking like any other."""
    if not code:
        return ""
    said = t("users.not_in_registry", lang)
    return schools.get(code) or (f"{code} ({said})" if lang == "en" else f"{code}（{said}）")


@callback(Output("users-new-role", "options"), Output("users-pick", "placeholder"),
          Output("users-reset-password", "placeholder"), Output("users-new-school", "placeholder"),
          Input("lang-store", "data"))
def form_labels(lang):
    """Role names and placeholders follow the language switch (props, so T() cannot carry them)."""
    lang = lang_of(lang)
    return ([{"label": t(f"role.{r}", lang), "value": r} for r in ROLES], t("users.choose", lang),
            t("users.new_password", lang), t("choose.school", lang))


@callback(Output("users-new-school", "options"), Input("lang-store", "data"))
def school_choices(lang):
    """The school picker's names in the reader's script (Simplified for 简); admins only."""
    refused = refusal_for(admin_or_refuse, lang)
    return [] if refused is not None else school_options(lang_of(lang))
