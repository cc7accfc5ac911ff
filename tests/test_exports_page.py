"""What the exports page tells the bureau before it circulates a file.

The CLI's export warned while the circular was still signed by the placeholder issuer
(XX縣教育和體育局); the dashboard, where the office mostly exports, said nothing (found by an audit).
"""

from __future__ import annotations

import pytest

from sync.settings import reset_caches
from tests.test_security_support import DRAFT_YEAR, call, client_for, dash_app, response_text


@pytest.fixture
def app():
    return dash_app()


def _links(app, account, lang: str) -> str:
    return response_text(call(client_for(app, account), "exp-links.children",
                              {"year.value": DRAFT_YEAR, "exp-school.value": None, "lang-store.data": lang}))


@pytest.mark.parametrize("lang, words", [("zh-Hant", "發文單位仍是「XX縣教育和體育局」"),
                                         ("zh-Hans", "发文单位仍是「XX縣教育和體育局」"),
                                         ("en", "issuer is still the placeholder")])
def test_the_bureau_is_warned_while_the_circular_is_signed_by_the_placeholder(store, app, lang, words):
    _, accounts = store
    assert words in _links(app, accounts["admin"], lang)


def test_no_warning_once_the_issuer_is_configured(store, app, tmp_path, monkeypatch):
    _, accounts = store
    config = tmp_path / "safeschool.toml"
    config.write_text('[circular]\nissuer = "湖濱縣教育和體育局"\n', encoding="utf-8")
    monkeypatch.setenv("SAFESCHOOL_CONFIG", str(config))
    reset_caches()
    try:
        text = _links(app, accounts["admin"], "zh-Hant")
    finally:
        monkeypatch.undo()
        reset_caches()
    assert "exp-issuer-warning" not in text and "/download/circular/" in text


def test_a_school_is_not_told_about_the_bureaus_configuration(store, app):
    _, accounts = store
    assert "exp-issuer-warning" not in _links(app, accounts["school"], "zh-Hant")


@pytest.mark.parametrize("lang, note", [("zh-Hans", "导出的文件用繁体中文"), ("en", "in Traditional Chinese")])
def test_a_reader_of_another_language_is_told_the_files_are_in_traditional(store, app, lang, note):
    _, accounts = store
    assert note in _links(app, accounts["school"], lang)
    assert "導出的文件用繁體中文" not in _links(app, accounts["school"], "zh-Hant")


@pytest.mark.parametrize("lang, words", [("zh-Hant", "第 1 版，2026-01-10 發布"), ("zh-Hans", "第 1 版，2026-01-10 发布"),
                                         ("en", "version 1, published 2026-01-10")])
def test_the_page_says_which_publication_the_files_of_a_published_year_are(store, app, lang, words):
    """An audit of the circulated files: after a re-publication the page offered 「通報（已發布結果）」 with no
    word of which version (the file says 更正 only once it is opened); the bureau and a school read it now."""
    from tests.test_security_support import PUBLISHED_YEAR

    _, accounts = store
    for who in ("leader", "school"):
        text = response_text(call(client_for(app, accounts[who]), "exp-links.children",
                                  {"year.value": PUBLISHED_YEAR, "exp-school.value": None, "lang-store.data": lang}))
        assert words in text, who
    assert "exp-publication" not in _links(app, accounts["admin"], lang)  # a draft year names no publication


def test_the_files_of_a_second_publication_are_named_for_it(store, app):
    """An audit of the circulated files: the second version downloaded as circular-2025.xlsx, the name the
    first had, so the office's folder held two files of one name (or 「circular-2025 (1).xlsx」) and a school
    could not tell the corrected table from the first by its name."""
    from datetime import datetime

    from sqlalchemy import update

    from sync.store import publications
    from tests.test_admin_support import seed_scores
    from tests.test_security_support import PUBLISHED_YEAR

    engine, accounts = store
    leader, school = client_for(app, accounts["leader"]), client_for(app, accounts["school"])

    def name_of(client, path: str) -> str:
        response = client.get(path)
        assert response.status_code == 200, response.data[:200]
        return response.headers["Content-Disposition"]

    assert f'"circular-{PUBLISHED_YEAR}.docx"' in name_of(leader, f"/download/circular/{PUBLISHED_YEAR}.docx")
    with engine.begin() as conn:
        conn.execute(update(publications).where(publications.c.year == PUBLISHED_YEAR).values(active=False))
        second = conn.execute(publications.insert().values(
            year=PUBLISHED_YEAR, version=2, active=True, published_at=datetime(PUBLISHED_YEAR + 1, 2, 3, 9, 0),
            published_by="admin")).inserted_primary_key[0]
    seed_scores(engine, PUBLISHED_YEAR, (91.0, 80.0, 70.0), publication_id=second)
    for fmt in ("xlsx", "docx", "csv"):
        assert f'"circular-{PUBLISHED_YEAR}-v2.{fmt}"' in name_of(leader, f"/download/circular/{PUBLISHED_YEAR}.{fmt}")
    assert f'"school-S001-{PUBLISHED_YEAR}-v2.csv"' in name_of(school, f"/download/school/S001/{PUBLISHED_YEAR}.csv")
    # a draft is no version of a publication
    assert f'"circular-{PUBLISHED_YEAR}-draft.csv"' in name_of(leader, f"/download/circular/{PUBLISHED_YEAR}.csv?draft=1")


def test_the_school_picker_sits_under_the_county_circular_beside_the_table_it_picks(store, app):
    """A review: the bureau's 「選擇學校」 stood above the county's circular, which it does not change.  It
    now sits between the county's files and the chosen school's table, whose links come below it."""
    import json

    from sqlalchemy import select

    from dashboard import app as app_module
    from dashboard.access import load_viewer
    from dashboard.pages import exports
    from sync.store import users
    from tests.dashboard_fixtures import as_viewer

    engine, accounts = store
    with engine.connect() as conn:
        admin = conn.execute(select(users.c.user_id, users.c.session_epoch)
                             .where(users.c.username == accounts["admin"][0])).one()
    with as_viewer(app_module, load_viewer(engine, f"{admin.user_id}.{admin.session_epoch}")):
        order = [getattr(child, "id", None) for child in exports.layout().children]
    assert order[1:] == ["exp-links", "exp-school-picker", "exp-school-links"]
    answer = json.loads(response_text(call(client_for(app, accounts["admin"]), "exp-links.children",
                                           {"year.value": DRAFT_YEAR, "exp-school.value": "S001",
                                            "lang-store.data": "zh-Hant"})))["response"]
    county, school = json.dumps(answer["exp-links"], ensure_ascii=False), json.dumps(answer["exp-school-links"])
    assert "/download/circular/" in county and "/download/school/" not in county
    assert "/download/school/S001/" in school and "/download/circular/" not in school
