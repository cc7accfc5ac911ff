"""Admin pages speak the reader's language: inspection kinds translated, audit details as words."""

from dashboard.app import app  # noqa: F401  (pages register themselves on the app)
from dashboard.layout import inspection_kind_label as _kind_label
from dashboard.pages.audit import _detail


def test_inspection_kinds_are_translated_for_english_readers_and_kept_in_chinese():
    assert _kind_label("不定期", "en") == "unannounced"
    assert _kind_label("不定期", "zh-Hant") == "不定期"
    assert _kind_label("考評", "zh-Hans") == "考评"


def test_an_inspection_kind_the_catalogue_does_not_know_shows_as_stored():
    assert _kind_label("專項", "en") == "專項" and _kind_label("專項", "zh-Hans") == "专项"
    assert _kind_label(None, "en") == ""


def test_audit_details_read_as_key_value_pairs_not_json():
    assert _detail({"year": 2025, "version": 2, "via": "cli"}) == "year: 2025; version: 2; via: cli"
    assert _detail({}) == ""
    assert _detail({"schools": ["S1", "S2"]}) == 'schools: ["S1", "S2"]'


def test_audit_details_are_in_the_readers_words():
    """In Chinese the keys are Chinese too (the trail showed raw English keys to Chinese readers)."""
    assert _detail({"what": "circular", "year": 2026, "draft": True, "spare": 1}, "zh-Hant") == \
        "內容: circular；年度: 2026；草稿: 是；spare: 1"
    assert _detail({"refused": False}, "en") == "refused: no"
    assert _detail({"from": "10.0.0.1", "file": "c.xlsx"}, "zh-Hant") == "來源地址: 10.0.0.1；文件: c.xlsx"
