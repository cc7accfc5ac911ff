"""The shell around every page: navbar (pages, year, language, who is signed in), and shared helpers.

Labels that never depend on data are `T(key)` spans: one pattern-matching
callback re-renders all of them when the language changes.  The language
lives in a dcc.Store kept in the browser's local storage; the year in the
navbar's dropdown.  Pages read both as inputs.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import re
from datetime import date, timedelta

import dash_bootstrap_components as dbc
from dash import (
    ALL,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
    no_update,
    page_container,
)

from dashboard import figures, queries
from dashboard.access import LANGUAGE_NAMES, ROLE_PAGES, Viewer, current_viewer
from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalogue, t, to_language
from sync import contract
from sync.cli_scores import FIRST_YEAR
from sync.settings import get_file_config

_log = logging.getLogger(__name__)

LANGUAGE_BUTTONS = (("zh-Hant", "繁"), ("zh-Hans", "简"), ("en", "EN"))
_ids = itertools.count()


def T(key: str, tag=html.Span, **kwargs):
    """A label from the catalogue that follows the language switch."""
    return tag(t(key, DEFAULT_LANGUAGE), id={"type": "t", "key": key, "n": next(_ids)}, **kwargs)


_SEMESTER = re.compile(r"^(\d{4})-(spring|autumn)$")


def period_label(period, lang: str) -> str:
    """A stored period as the viewer reads it: 2026-autumn is 2026年秋季學期 / autumn 2026; others as stored."""
    found = _SEMESTER.match(str(period))
    if not found:
        return str(period)
    return t(f"semester.{found.group(2)}", lang, year=found.group(1))


def lang_of(value) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


_CHINESE = re.compile(r"[\u3400-\u9fff]")


def data_lang(text, lang: str) -> dict[str, str]:
    """The `lang` attribute for data written in Chinese (a school's name, a township) on an English page:
    a screen reader read 城關鎮 with an English voice, letter names or nothing (found by the accessibility
    audit).  Data keeps the Traditional script it is stored in on an English page (i18n.to_language); on a
    Chinese page it is in the page's own language and needs no mark."""
    return {"lang": "zh-Hant"} if lang == "en" and text and _CHINESE.search(str(text)) else {}


def data_text(text, lang: str):
    """`text` as it goes on the page: in a span marked as Chinese where it is Chinese on an English page."""
    marked = data_lang(text, lang)
    return html.Span(text, **marked) if marked else text


def data_shown(value, lang: str):
    """Data as a school or the bureau wrote it (a name, a township, a campus, a finding): in the page's script
    (i18n.to_language) and marked as Chinese on an English page (data_text)."""
    return data_text(to_language("" if value is None else str(value), lang), lang)


def data_option(label: str, value, lang: str) -> dict:
    """A dropdown option whose label is data (a township, a school): on an English page a label marked as
    Chinese (a component then), found by typing as a plain label is ("search")."""
    marked = data_lang(label, lang)
    return {"label": html.Span(label, **marked), "search": label, "value": value} if marked \
        else {"label": label, "value": value}


# A run of Chinese among English words: from a Chinese character to the last one, with the digits and the
# Chinese signs between (城關鎮第2小學, 南校區（北）).  assets/33-data-language.js holds the same pattern.
_CHINESE_RUN = re.compile(r"[\u3400-\u9fff](?:[\u3400-\u9fff\u3000-\u303f\uff00-\uffef0-9]*[\u3400-\u9fff\u3000-\u303f\uff00-\uffef])?")


def data_runs(text, lang: str):
    """English words with data in Chinese among them (「南校區 needs 1 more」, a chart's text alternative, a
    heatmap's row 「城關鎮 (9 schools)」): each Chinese run marked as data_text marks it, the English words
    left to the page's voice.  Marking the whole in Chinese had an English sentence read with a Chinese voice."""
    text = "" if text is None else str(text)
    if not data_lang(text, lang):
        return text
    parts, at = [], 0
    for run in _CHINESE_RUN.finditer(text):
        parts += [text[at:run.start()]] if run.start() > at else []
        parts.append(data_text(run.group(), lang))
        at = run.end()
    return parts + ([text[at:]] if at < len(text) else [])


def in_chinese(lang: str, suffix_field: str | None = None, runs: bool = False) -> dict:
    """On an English page, a grid column of data in Chinese drawn by the DataInChinese renderer
    (assets/33-data-language.js): its value in a span marked lang="zh-Hant", so a screen reader reads it
    with a Chinese voice (an English one read 城關鎮 as letters or not at all: found by the accessibility
    audit), then `suffix_field`'s words (（未提交） in English) unmarked; with `runs`, English words with
    Chinese among them, each Chinese run marked as data_runs marks it.  AG Grid sets no attribute of a cell
    from its column's definition, so a renderer it is."""
    if lang != "en":
        return {}
    params = {"lang": "zh-Hant", **({"suffixField": suffix_field} if suffix_field else {}), **({"runs": True} if runs else {})}
    return {"cellRenderer": "DataInChinese", "cellRendererParams": params}


def grade_label(grade: str | None, lang: str) -> str:
    """rules.md's four bands by the catalogue; a band of a county's own rubric by its name, or its name_en on
    an English page (the Chinese name was shown there)."""
    if not grade:
        return "–"
    if f"grade.{grade}" in _grade_keys():
        return t(f"grade.{grade}", lang)
    if lang == "en":
        from sync.settings import configured_rubric

        english = next((g.name_en for g in configured_rubric().grades if g.name == grade and g.name_en != g.name), None)
        if english:
            return english
    return to_language(grade, lang)


def area_label(area: str, lang: str) -> str:
    """An area's name on the dashboard: the catalogue's short label in each language, unless the configured
    rubric renames the area, when the rubric's name is shown (its name_en on an English page) as the circular
    prints it (the dashboard kept the default's name beside a circular with the bureau's: a rubric audit)."""
    from sync.settings import configured_rubric

    mine, default = configured_rubric().areas.get(area), _default_areas().get(area)
    if mine is not None and default is not None:
        if lang == "en" and mine.name_en != default.name_en:
            return mine.name_en
        if lang != "en" and mine.name != default.name:
            return to_language(mine.name, lang)
    return t(f"area.{area}", lang)


@functools.lru_cache(maxsize=1)
def _default_areas() -> dict:
    from scoring.rubric import load_rubric

    return load_rubric().areas


def _grade_keys() -> set[str]:
    return {f"grade.{g}" for g in queries.GRADES}


def type_label(school_type: str | None, lang: str) -> str:
    if not school_type:
        return "–"
    key = f"type.{school_type}"
    text = t(key, lang)
    return to_language(school_type, lang) if text == key else text


# Not \b: to Python's re a Chinese character is a word character, so 在2026-W49上 had no boundary and its
# week no dates (found by an audit).
_ISO_WEEK = re.compile(r"(?<![\dA-Za-z])(\d{4})-W(\d{2})(?![\dA-Za-z])")


def with_week_dates(text: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A term week as a person finds it in a diary, in the reader's way of writing days:
    2026-W16 → 2026-W16（4月13日–4月19日）, or 2026-W16 (Apr 13–Apr 19) in English."""
    def dated(m: re.Match) -> str:
        days = week_days(m[0], lang)
        if days == m[0]:
            return m[0]
        return f"{m[0]} ({days})" if lang == "en" else f"{m[0]}（{days}）"
    return _ISO_WEEK.sub(dated, text) if "-W" in text else text


def punctuation(lang: str) -> dict[str, str]:
    """The colon and the brackets a figure's hover and words are written with in the reader's language
    (figures.heatmap, drill_calendar_periods): 「2026-12：已完成 0 / 應完成 1（未到期）」 in Chinese."""
    return {"colon": ": ", "bracketed": " ({})"} if lang == "en" else {"colon": "：", "bracketed": "（{}）"}


def week_days(week: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A week's days alone (11月30日–12月6日, Nov 30–Dec 6), where the week is this one or the last and its
    ISO number (2026-W49) would only puzzle (found by this session's walk of the school page); else as given."""
    m = _ISO_WEEK.fullmatch(week)
    try:
        monday = date.fromisocalendar(int(m[1]), int(m[2]), 1) if m else None
    except ValueError:
        monday = None
    if monday is None:
        return week
    sunday = monday + timedelta(days=6)
    if lang == "en":
        return f"{monday:%b} {monday.day}–{sunday:%b} {sunday.day}"
    return f"{monday.month}月{monday.day}日–{sunday.month}月{sunday.day}日"


# Tab leaves a grid; the arrow keys move within it (AG Grid's own).  Where the grid's cells take no focus,
# Tab went round its header row for ever, a keyboard trap: nothing below the grid, nor the navbar again,
# was reachable without a mouse (found by the accessibility audit).  Where they take it, Tab went through
# every cell (60 rows x 16 columns) before leaving.
GRID_KEYBOARD = {"tabToNextHeader": {"function": "false"}, "tabToNextCell": {"function": "false"}}


def paperwork_list(lines: list[dict], lang: str, element_id: str):
    """The lines passed over as paperwork ({sheet, row, text, kind_zh, kind_en}: sync.report.paperwork_lines,
    or as stored), folded: the school looks once that none of them was a record the reader took for a note
    or a signature (an audit found two).  The upload's report and the school page's data state list them alike."""
    items = []
    for line in lines:
        sheet = to_language(str(line.get("sheet") or ""), lang)
        kind = line.get("kind_en") if lang == "en" else to_language(str(line.get("kind_zh") or ""), lang)
        if lang != "en" and str(line.get("text") or "").startswith(str(line.get("kind_zh") or "\0")):
            kind = ""  # 備註：金額單位為元 says what it is: not 「備註：備註：…」 (a UX audit)
        where = f"{sheet} · {t('data.row', lang)} {line.get('row')}" + (
            f" · {kind}{': ' if lang == 'en' else '：'}" if kind else " · ")
        items.append(html.Li([where, data_shown(line.get("text"), lang)]))
    return html.Details([html.Summary(t("upload.paperwork", lang, count=len(lines))),
                         html.Ul(items, className="small mb-0")], id=element_id, className="mb-3")


def grid_locale(lang: str) -> dict[str, str]:
    """AG Grid's own words (filter menus: Contains, Filter..., AND/OR) in the viewer's language; English
    is the grid's own."""
    if lang == "en":
        return {}
    return {key.removeprefix("grid."): t(key, lang) for key in catalogue() if key.startswith("grid.")}


def sheet_shown(problem: dict, lang: str) -> str:
    """The sheet as the workbook names it; in English with the contract's English name beside it (the
    school finds the tab by the Chinese, the reader understands the English).  The upload report and
    the school page's data state name a problem's place alike."""
    name = to_language(problem.get("sheet") or "", lang)
    spec = contract.SHEETS.get(problem.get("sheet_key") or "")
    return f"{name} ({spec.en})" if lang == "en" and name and spec is not None and spec.en else name


def column_shown(problem: dict, lang: str) -> str:
    name = to_language(problem.get("column") or "", lang)
    spec = contract.SHEETS.get(problem.get("sheet_key") or "")
    key = problem.get("column_key")
    if lang != "en" or not name or spec is None or key not in spec.keys:
        return name
    return f"{name} ({spec.column(key).label_en})"


def inspection_kind_label(kind: str | None, lang: str) -> str:
    """定期/不定期/考評 are data in the plan's words; English readers get them translated."""
    key = f"insp.kind.{kind}"
    return t(key, lang) if kind and key in catalogue() else to_language(kind or "", lang)


def user_error_text(err, lang: str) -> str:
    """A UserError in the viewer's language: the catalogue's label when it names one (an error worded for
    the page, dashboard.access), else its Chinese words when it has them, else its English."""
    key = getattr(err, "key", None)
    if isinstance(key, str) and key in catalogue():
        return t(key, lang, **(getattr(err, "values", None) or {}))
    zh = getattr(err, "zh", None)
    if zh and lang != "en":
        return to_language(zh, lang)
    # the command line's English is lower case after its "error:"; a page's message stands as a sentence
    text = str(err)
    return text[:1].upper() + text[1:]


def message(key: str, lang: str, color: str = "warning") -> dbc.Alert:
    """A refusal or an empty state, in the viewer's language."""
    return dbc.Alert(t(key, lang), color=color, className="my-3")


def viewer_or_refuse() -> Viewer:
    viewer = current_viewer()
    if viewer is None:
        raise queries.Refused("refused.login")
    return viewer


# The years a page may ask for: from the first the CLI accepts (sync.cli_scores.FIRST_YEAR) to the last a
# date has.  A year the picker never holds (10**20, 1e30) was a 500 (SQLite takes no integer that big).
LAST_YEAR = date.max.year


def page_year(value) -> int:
    """The year a page sent, as an int; anything the year picker never holds raises ValueError (in
    `guarded`: the page's message)."""
    try:
        year = int(value)
    except (OverflowError, TypeError):  # 1e400 arrives as infinity; {} or [2026] is no number at all
        raise ValueError(f"year {value!r} is not a number of a year") from None
    if isinstance(value, bool) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year {value!r} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return year


def guarded(render, lang: str):
    """Run a page render; a refusal or a missing school becomes a message, never a traceback."""
    try:
        return render()
    except queries.Refused as err:
        refusal = message(str(err), lang, "danger")
        viewer = current_viewer() if str(err) == "refused.other_school" else None
        if viewer is not None and viewer.school_code:
            # the way back to what it may see (a UX review: another school's address left it at a dead end)
            refusal.children = [refusal.children, " ", dcc.Link(t("school.own_page", lang), id="own-school-link",
                                                                href=f"/school/{viewer.school_code}", className="alert-link")]
        return refusal
    except queries.NotFound as err:
        return message(str(err), lang, "secondary")
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError):
        # Only a request the page itself never sends gets here (a year "abc" or 10**20, a dict for a
        # page number, a stored upload report without its fields): a message, not a server error.
        # The log keeps what it was.
        _log.warning("a request with values the page never sends was refused", exc_info=True)
        return message("page.bad_request", lang, "danger")


def status_badge(status: dict, lang: str) -> dbc.Badge:
    if status.get("published"):
        when = status["published_at"].strftime("%Y-%m-%d") if status.get("published_at") else ""
        return dbc.Badge(t("status.published", lang, version=status.get("version") or 1, date=when),
                         color="success", className="ms-2 align-middle", id="year-status")
    return dbc.Badge(t("status.draft", lang, date=status.get("as_of") or "–"), color="warning", text_color="dark",
                     className="ms-2 align-middle", id="year-status")


def chart_text(figure: dict, lang: str) -> html.P:
    """A chart's data in words beside it, for a screen reader alone (figures.text_alternative)."""
    # schools' and townships' names among its words are marked as Chinese on an English page (data_runs)
    return html.P(data_runs(figures.text_alternative(figure, lang), lang), className="visually-hidden chart-text")


def card(title_key: str, body, className: str = "", **kwargs) -> dbc.Card:
    return dbc.Card([dbc.CardHeader(T(title_key, tag=html.H2, className="h6 mb-0")), dbc.CardBody(body)],
                    className=f"mb-3 shadow-sm {className}", **kwargs)


def _nav_links(viewer: Viewer | None) -> list:
    links = [
        dbc.NavItem(dbc.NavLink(T("nav.overview"), href="/", active="exact", id="nav-overview")),
        dbc.NavItem(dbc.NavLink(T("nav.school"), href="/school", active="partial", id="nav-school")),
        dbc.NavItem(dbc.NavLink(T("nav.trends"), href="/trends", active="exact", id="nav-trends")),
        dbc.NavItem(dbc.NavLink(T("nav.heatmaps"), href="/heatmaps", active="exact", id="nav-heatmaps")),
    ]
    # Issue 6's pages, by role (dashboard.access.ROLE_PAGES; each page refuses others on the server too).
    links += [dbc.NavItem(dbc.NavLink(T(key), href=path, active="exact", id=f"nav-{path.rsplit('/', 1)[-1]}"))
              for key, path, roles in ROLE_PAGES if viewer is not None and viewer.role in roles]
    return links


def shell():
    """The page frame for the viewer of this request (the layout function of the app)."""
    viewer = current_viewer()
    years = queries.years(viewer) if viewer is not None else []
    role_key = f"role.{viewer.role}" if viewer else "role.school"
    who = _signed_in_as(viewer)
    year_picker = dcc.Dropdown(
        id="year", options=[{"label": str(y), "value": y} for y in years], value=years[0] if years else None,
        clearable=False, searchable=False, persistence=True, persistence_type="session",
        className="year-picker", style={"minWidth": "6.5rem"},
    )
    lang_buttons = dbc.ButtonGroup(
        # each language named in itself (as the log-in page names them), and 繁 / 简 read as Chinese by a
        # screen reader on an English page (it said the code, zh-Hant).  The chosen one says it is pressed
        # (aria-pressed, mark_language), which is also what draws it filled: it was shown by its fill
        # alone, unheard by a screen reader (found by the accessibility audit).  html.Button, as
        # dbc.Button takes no aria-* attribute.
        [html.Button(html.Span(label, lang=code), id=f"lang-{code}", type="button", n_clicks=0,
                     className="btn btn-outline-light btn-sm", title=dict(LANGUAGE_NAMES)[code],
                     **{"aria-pressed": "true" if code == DEFAULT_LANGUAGE else "false"})
         for code, label in LANGUAGE_BUTTONS],
        className="ms-xl-2 my-2 my-xl-0", id="lang-switch",
    )
    user = html.Span([
        html.Span(who, className="fw-semibold", id="viewer-name", title=viewer.username if viewer else None),
        html.Span([" · ", T(role_key, className="small")], className="viewer-role"),
    ], className="navbar-text text-light ms-2 ms-xl-3 small text-nowrap")
    navbar = dbc.Navbar(
        dbc.Container([
            dbc.NavbarBrand(T("app.title"), href="/", className="fw-bold"),
            # Bootstrap's toggler built here: dbc.NavbarToggler fixes its aria-label in English ("Toggle
            # navigation"); this one is labelled in the reader's language (mark_language).
            html.Button(html.Span(className="navbar-toggler-icon"), id="nav-toggler", n_clicks=0, type="button",
                        className="navbar-toggler", **{"aria-label": t("nav.menu"), "aria-controls": "nav-collapse",
                                                       "aria-expanded": "false"}),
            dbc.Collapse([
                dbc.Nav(_nav_links(viewer), navbar=True, className="me-auto"),
                html.Div([T("nav.year", tag=html.Label, htmlFor="year", className="text-light small me-2 mb-0"), year_picker],
                         className="d-flex align-items-center my-2 my-xl-0"),
                lang_buttons,
                user,
                html.A(T("nav.logout"), href="/logout", className="btn btn-sm btn-outline-light ms-xl-3 my-2 my-xl-0 text-nowrap",
                       id="logout-link"),
            ], id="nav-collapse", navbar=True, is_open=False),
        ], fluid=True),
        color="dark", dark=True, expand="xl", className="no-print mb-3 shadow-sm", sticky="top",
    )
    return html.Div([
        dcc.Store(id="lang-store", storage_type="local", data=DEFAULT_LANGUAGE),
        dcc.Location(id="nav-location", refresh="callback-nav"),
        html.Div(id="lang-sink", hidden=True),
        # the first thing Tab reaches, shown only then: past the navbar's dozen links to the page (a keyboard
        # user tabbed through them on every page; found by the accessibility audit)
        html.A(T("nav.skip"), href="#page-main", id="skip-link",
               className="visually-hidden-focusable btn btn-light position-absolute m-1 top-0 start-0 skip-link"),
        navbar,
        # the page's own content is the document's main landmark (a screen reader's "skip to main"; it had
        # none: found by the accessibility audit)
        dbc.Container(page_container, fluid=True, className="pb-4 page-body", tag="main", id="page-main"),
        # the configured issuer, not a placeholder: every page said XX縣 whatever [circular] issuer named (a
        # deployment audit)
        html.Footer([html.Span(get_file_config().circular.issuer, lang="zh", id="footer-issuer"), " · ",
                     T("footer.note")], className="text-muted small text-center pb-3"),
    ])


@callback(Output("nav-collapse", "is_open"), Output("nav-toggler", "aria-expanded"), Input("nav-toggler", "n_clicks"),
          Input("nav-location", "pathname"), Input("lang-store", "data"), State("nav-collapse", "is_open"),
          prevent_initial_call=True)
def toggle_navbar(n_clicks, _path, _lang, is_open):
    """On a phone the navbar folds into the toggler, and folds again once a page or a language is chosen (it
    stayed open over the page it led to; found by an audit, and for a language by a UX walk); the button
    says which (aria-expanded, for screen readers)."""
    if ctx.triggered_id in ("nav-location", "lang-store"):
        opened = False
    else:
        opened = not is_open if n_clicks else bool(is_open)
    return opened, "true" if opened else "false"


@callback(Output("lang-store", "data"), [Input(f"lang-{code}", "n_clicks") for code, _ in LANGUAGE_BUTTONS],
          prevent_initial_call=True)
def choose_language(*_clicks):
    """A click on 繁 / 简 / EN stores the language in the browser (kept across visits)."""
    chosen = (ctx.triggered_id or "").removeprefix("lang-")
    return chosen if chosen in LANGUAGES else no_update


# The page's own language attribute and the browser tab's title follow the switch (screen readers,
# fonts, a leader's row of tabs).  Dash's pages set the title as a page opens (from `_pages_store`);
# ours runs after it, in the chosen language.
# Each page's tab says which page it is, before the app's name (every tab read 學校本質安全考評 alike: a
# leader with the overview and two schools open, or a screen reader's list of windows, could not tell them
# apart; found by the accessibility audit): 趨勢 · 學校本質安全考評.  A school's pages go by /school until
# the page has read its school, then by the school's name (dashboard.pages.school); a path of no page (the
# 404) gets the app's name alone.
_PAGE_NAMES = (("/", "nav.overview"), ("/school", "nav.school"), ("/trends", "nav.trends"),
               ("/heatmaps", "nav.heatmaps"), *((path, key) for key, path, _roles in ROLE_PAGES))


def tab_title(name: str, lang: str) -> str:
    """A tab's title: what it shows (a page, a school), then the app's name."""
    return f"{name} · {t('app.title', lang)}"


def tab_titles() -> dict[str, dict[str, str]]:
    """The tab's title of each page's path, per language; "" is the app's name alone.  A school's page
    names its school once the page knows it (dashboard.pages.school)."""
    return {code: {"": t("app.title", code), **{path: tab_title(t(key, code), code) for path, key in _PAGE_NAMES}}
            for code in LANGUAGES}


_TAB_TITLES = json.dumps(tab_titles(), ensure_ascii=False)
clientside_callback(
    """function(lang, _page) {
        var titles = TAB_TITLES;
        lang = titles[lang] ? lang : 'zh-Hant';
        document.documentElement.lang = lang;
        var path = window.location.pathname.replace(/\\/+$/, '') || '/';
        var named = titles[lang][path] || (path.indexOf('/school/') === 0 && titles[lang]['/school']) || titles[lang][''];
        setTimeout(function() { document.title = named; }, 0);
        return lang;
    }""".replace("TAB_TITLES", _TAB_TITLES),
    Output("lang-sink", "title"), Input("lang-store", "data"), Input("_pages_store", "data"),
)


@callback([Output(f"lang-{code}", "aria-pressed") for code, _ in LANGUAGE_BUTTONS] + [Output("nav-toggler", "aria-label")],
          Input("lang-store", "data"))
def mark_language(lang):
    """The chosen language's button pressed (to the eye and to a screen reader), and the phone menu's
    button named in that language."""
    lang = lang_of(lang)
    return ["true" if code == lang else "false" for code, _ in LANGUAGE_BUTTONS] + [t("nav.menu", lang)]


def _signed_in_as(viewer: Viewer | None) -> str:
    """Who the navbar says is signed in: the account's own name, else a school's name in the registry (a
    school's log-in is often its code), else the log-in."""
    if viewer is None:
        return ""
    return viewer.display_name or queries.own_school_name(viewer) or viewer.username


@callback(Output("viewer-name", "children"), Input("lang-store", "data"))
def name_viewer(lang):
    """The signed-in name in the chosen script (a school's name as the pickers show it), marked as Chinese
    on an English page."""
    lang = lang_of(lang)
    return data_text(to_language(_signed_in_as(current_viewer()), lang), lang)


@callback(Output({"type": "t", "key": ALL, "n": ALL}, "children"), Input("lang-store", "data"),
          State({"type": "t", "key": ALL, "n": ALL}, "id"))
def translate_labels(lang, ids):
    """Every static label on the page, in the chosen language."""
    lang = lang_of(lang)
    return [t(str(i.get("key", "")) if isinstance(i, dict) else "", lang) for i in ids or []]
