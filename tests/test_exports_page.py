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
