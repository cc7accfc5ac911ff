"""A published year's circular is the document the bureau circulated, byte for byte (rules.md: "a published
annual evaluation is frozen and does not change when data arrives later").

Found by an audit: re-exporting a published year after an upgrade of safeschool gave a circular whose
A-G points were rounded otherwise and which had new columns, though its totals, grades and ranks were the
frozen ones.  The files are now made once, when the year is published, and kept with the publication;
here the exports code is changed after publishing (a column added, as the upgrade did) and the download
must still be what was kept, while a draft follows the code.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from dashboard import exports
from dashboard.downloads import publication_files
from sync.store import circular_files, publications
from tests.test_security_support import DRAFT_YEAR, PUBLISHED_YEAR, call, client_for, dash_app, response_text

FORMATS = ("xlsx", "docx", "csv")
NEW_COLUMN = "備註"  # what a later version of the exports code adds


@pytest.fixture
def app():
    return dash_app()


def kept_files(engine, year: int) -> dict[str, tuple[str, str, bytes]]:
    """{format: (language, file name, bytes)} kept with the year's active publication."""
    with engine.connect() as conn:
        rows = conn.execute(select(circular_files.c.format, circular_files.c.language, circular_files.c.file_name,
                                   circular_files.c.content).join(publications)
                            .where(publications.c.year == year, publications.c.active.is_(True))).all()
    return {fmt: (language, name, content) for fmt, language, name, content in rows}


def a_later_version_of_the_exports_code(monkeypatch) -> None:
    """The circular's table gains a column, as an upgrade of safeschool gave it."""
    table = exports.circular_table

    def with_a_new_column(results, circular):
        frame = table(results, circular)
        frame[NEW_COLUMN] = "新版"
        return frame

    monkeypatch.setattr(exports, "circular_table", with_a_new_column)


def publish_year(engine, year: int) -> dict:
    from sync.results import publish

    return publish(engine, year, files=publication_files, by="boss", force=True)  # DRAFT_YEAR is the running year: --force


def test_publishing_keeps_each_format_of_the_circular_as_a_download_of_it_gives_it(store):
    engine, _accounts = store
    from dashboard.downloads import circular_results

    done = publish_year(engine, DRAFT_YEAR)
    kept = kept_files(engine, DRAFT_YEAR)
    assert set(kept) == set(FORMATS) and done["files"] == list(FORMATS)
    # the exports page offers the files in Traditional Chinese only, whatever the page's language
    assert {language for language, _name, _data in kept.values()} == {"zh-Hant"}
    assert {fmt: name for fmt, (_l, name, _d) in kept.items()} == {f: f"circular-{DRAFT_YEAR}.{f}" for f in FORMATS}
    # the kept CSV (the one format without a time stamp inside) is the published circular as made at publication
    results, circular = circular_results(engine, DRAFT_YEAR, draft=False)
    assert kept["csv"][2] == exports.circular_bytes(results, circular, "csv")
    assert "草稿" not in kept["csv"][2].decode("utf-8-sig")


def test_a_published_circular_downloads_as_kept_after_the_exports_code_changed_and_a_draft_follows_the_code(
        store, app, monkeypatch):
    engine, accounts = store
    publish_year(engine, DRAFT_YEAR)
    kept = kept_files(engine, DRAFT_YEAR)
    assert NEW_COLUMN not in kept["csv"][2].decode("utf-8-sig")
    a_later_version_of_the_exports_code(monkeypatch)
    leader = client_for(app, accounts["leader"])
    for fmt in FORMATS:
        response = leader.get(f"/download/circular/{DRAFT_YEAR}.{fmt}")
        assert response.status_code == 200, response.data[:200]
        assert response.data == kept[fmt][2], fmt  # the very bytes, not a file made by today's code
        assert f'filename="{kept[fmt][1]}"' in response.headers["Content-Disposition"]
    draft = leader.get(f"/download/circular/{DRAFT_YEAR}.csv?draft=1")
    assert draft.status_code == 200 and NEW_COLUMN in draft.data.decode("utf-8-sig")  # made now, by the code


def test_a_kept_circular_is_served_without_reading_the_years_results_again(store, app, monkeypatch):
    """The kept bytes are the whole answer: the year's annual results (every school's indicators) were read
    and thrown away for the audit line's count of schools, which the publication's rows give."""
    import json

    import sync.results
    from sync.store import audit_log

    engine, accounts = store
    done = publish_year(engine, DRAFT_YEAR)

    def not_again(*_args, **_kwargs):
        raise AssertionError("the results were read again for a kept file")

    monkeypatch.setattr(sync.results, "annual_results", not_again)
    response = client_for(app, accounts["leader"]).get(f"/download/circular/{DRAFT_YEAR}.csv")
    assert response.status_code == 200 and response.data == kept_files(engine, DRAFT_YEAR)["csv"][2]
    with engine.connect() as conn:
        detail = conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "export")).scalars().all()[-1]
    detail = detail if isinstance(detail, dict) else json.loads(detail)
    assert detail["schools"] == done["schools"] > 0 and detail["kept"] is True


def test_safeschool_export_writes_the_kept_file_and_says_so(store, monkeypatch, tmp_path):
    from sync.cli import main

    engine, _accounts = store
    publish_year(engine, DRAFT_YEAR)
    kept = kept_files(engine, DRAFT_YEAR)
    a_later_version_of_the_exports_code(monkeypatch)
    for fmt in FORMATS:
        out = tmp_path / f"out.{fmt}"
        result = CliRunner().invoke(main, ["export", "--year", str(DRAFT_YEAR), "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes() == kept[fmt][2], fmt
        assert "the file kept when version 1 was published" in result.output


@pytest.mark.parametrize("lang, kept_words, made_words", [
    ("zh-Hant", "發布時保存下來的原件", "當時沒有保存通報文件"),
    ("zh-Hans", "发布时保存下来的原件", "当时没有保存通报文件"),
    ("en", "the ones kept when it was published on", "which kept no files"),
])
def test_a_publication_made_before_files_were_kept_is_made_now_and_the_page_says_which(
        store, app, monkeypatch, lang, kept_words, made_words):
    """PUBLISHED_YEAR was published as an older version did it: a publication with no files.  Its circular is
    made now (it still downloads), and the page says so; once a year is published with files, it says those
    are the ones kept, and when."""
    engine, accounts = store
    assert kept_files(engine, PUBLISHED_YEAR) == {}
    a_later_version_of_the_exports_code(monkeypatch)
    made = client_for(app, accounts["leader"]).get(f"/download/circular/{PUBLISHED_YEAR}.csv")
    assert made.status_code == 200 and NEW_COLUMN in made.data.decode("utf-8-sig")

    def links(year: int, who: str = "leader") -> str:
        return response_text(call(client_for(app, accounts[who]), "exp-links.children",
                                  {"year.value": year, "exp-school.value": None, "lang-store.data": lang}))

    assert made_words in links(PUBLISHED_YEAR) and kept_words not in links(PUBLISHED_YEAR)
    published = publish_year(engine, DRAFT_YEAR)
    text = links(DRAFT_YEAR)
    assert kept_words in text and f"{published['published_at']:%Y-%m-%d}" in text and made_words not in text
    assert "exp-kept" not in links(DRAFT_YEAR, "school")  # a school has no circular to download


def test_publishing_again_keeps_the_new_versions_files_and_the_earlier_ones_with_their_version(store, app):
    from sqlalchemy import update

    from sync.store import scores

    engine, accounts = store
    publish_year(engine, DRAFT_YEAR)
    first = kept_files(engine, DRAFT_YEAR)
    with engine.begin() as conn:  # a finding corrects a total after the first publication
        conn.execute(update(scores).where(scores.c.publication_id.is_(None), scores.c.year == DRAFT_YEAR,
                                          scores.c.school_code == "S003").values(total=66.5))
    publish_year(engine, DRAFT_YEAR)
    second = kept_files(engine, DRAFT_YEAR)
    assert second["csv"][1] == f"circular-{DRAFT_YEAR}-v2.csv"
    text = second["csv"][2].decode("utf-8-sig")
    assert "66.5" in text and "本通報為第2版" in text
    leader = client_for(app, accounts["leader"])
    for fmt in FORMATS:
        assert leader.get(f"/download/circular/{DRAFT_YEAR}.{fmt}").data == second[fmt][2]
    with engine.connect() as conn:  # the first version keeps what it circulated, as its scores are kept
        earlier = dict(conn.execute(select(circular_files.c.format, circular_files.c.content).join(publications)
                                    .where(publications.c.year == DRAFT_YEAR, publications.c.version == 1)).all())
    assert earlier == {fmt: data for fmt, (_l, _n, data) in first.items()}


@pytest.mark.parametrize("who, status", [("school", 403), ("other", 403), (None, 401)])
def test_only_the_bureau_downloads_a_kept_circular(store, app, who, status):
    engine, accounts = store
    publish_year(engine, DRAFT_YEAR)
    kept = kept_files(engine, DRAFT_YEAR)
    client = client_for(app, accounts[who] if who else None)
    for fmt in FORMATS:
        response = client.get(f"/download/circular/{DRAFT_YEAR}.{fmt}")
        assert response.status_code == status, fmt
        assert "Content-Disposition" not in response.headers and response.data != kept[fmt][2]


@pytest.mark.parametrize("lang, words", [("zh-Hant", "落款就是「XX縣教育和體育局」"), ("zh-Hans", "落款就是「XX縣教育和體育局」"),
                                         ("en", "keeps the circular's files signed")])
def test_publishing_under_the_placeholder_issuer_is_warned_before_the_files_are_kept_so(
        store, app, tmp_path, monkeypatch, lang, words):
    """The kept files carry the issuer configured when the year is published: one published before
    [circular] issuer is set stays signed by the placeholder (before, the office set it and exported again)."""
    from sync.settings import reset_caches

    _, accounts = store

    def confirmation() -> str:
        return response_text(call(client_for(app, accounts["admin"]), "pub-confirm-body.children",
                                  {"pub-open.n_clicks": 1, "pub-year.value": PUBLISHED_YEAR, "lang-store.data": lang}))

    assert "pub-issuer-warning" in confirmation() and words in confirmation()
    config = tmp_path / "safeschool.toml"
    config.write_text('[circular]\nissuer = "湖濱縣教育和體育局"\n', encoding="utf-8")
    monkeypatch.setenv("SAFESCHOOL_CONFIG", str(config))
    reset_caches()
    try:
        assert "pub-issuer-warning" not in confirmation()
    finally:
        monkeypatch.undo()
        reset_caches()


def test_cli_publish_says_which_files_it_kept_and_warns_of_the_placeholder_issuer(store):
    from sync.cli import main

    result = CliRunner().invoke(main, ["publish", "--year", str(DRAFT_YEAR), "--force"])
    assert result.exit_code == 0, result.output
    assert "its circular kept as xlsx, docx, csv" in result.stdout
    assert "issuer is still the placeholder" in result.stderr


def test_the_store_takes_other_writes_while_the_circular_is_made(store, monkeypatch):
    """A county's Word circular takes seconds to make (20 s for 1,000 schools here): made after the
    publication's first write, the files would hold SQLite's write lock that long, and a school's upload or
    the office's finding meanwhile would wait (and fail past the 30 s busy timeout).  They are made before
    the publication writes anything."""
    import sqlite3

    from sqlalchemy.engine import make_url

    engine, _accounts = store
    made = exports.circular_bytes
    written = []

    def make_and_meanwhile_write(results, circular, fmt):
        other = sqlite3.connect(make_url(str(engine.url)).database, timeout=0.2)
        try:
            other.execute("INSERT INTO audit_log (at, action) VALUES ('2026-11-30 10:00:00', 'login')")
            other.commit()
            written.append(fmt)
        finally:
            other.close()
        return made(results, circular, fmt)

    monkeypatch.setattr(exports, "circular_bytes", make_and_meanwhile_write)
    publish_year(engine, DRAFT_YEAR)
    assert written == list(FORMATS)


def test_a_schools_table_reads_no_other_schools_indicators(store, app):
    """One school's table read and parsed every school's indicators to pick its own (60 MB at 1,000 schools,
    kept by the worker after the download; a scale audit).  Another school's indicators, made unreadable in
    the store here, are never read; the table is the one the school's own result gives."""
    from sqlalchemy import text

    engine, accounts = store
    client = client_for(app, accounts["leader"])
    before = client.get(f"/download/school/S001/{DRAFT_YEAR}.csv?draft=1")
    assert before.status_code == 200 and "D1" in before.data.decode("utf-8-sig")
    with engine.begin() as conn:
        conn.execute(text("UPDATE scores SET indicators = '{not json' WHERE school_code <> 'S001'"))
    after = client.get(f"/download/school/S001/{DRAFT_YEAR}.csv?draft=1")
    assert after.status_code == 200 and after.data == before.data


@pytest.mark.parametrize("lang, words", [
    ("zh-Hant", ["發布前請留意", "1 所學校的工作簿被整個拒收（第一中學）", "1 所學校未提交工作簿（=1+2 小學）",
                 "1 所學校有被拒收的行（<script>"]),
    ("zh-Hans", ["发布前请留意", "1 所学校的工作簿被整个拒收（第一中学）"]),
    ("en", ["Before publishing, note", "1 school(s) whose workbook was refused whole (第一中學)",
            "1 school(s) that sent no workbook (=1+2 小學)", "1 school(s) with rows refused (<script>"]),
])
def test_the_confirmation_names_the_schools_whose_records_the_year_would_be_frozen_without(store, app, lang, words):
    """Publishing freezes the year (rules.md): a school whose workbook was refused whole, never sent, or
    had rows refused is scored on what was accepted, and what it sends later does not change the
    publication.  The office reads which schools before it confirms; a county with nothing outstanding
    is not warned."""
    from datetime import datetime

    from sync.store import rejected_rows, sources

    engine, accounts = store

    def confirmation() -> str:
        return response_text(call(client_for(app, accounts["admin"]), "pub-confirm-body.children",
                                  {"pub-open.n_clicks": 1, "pub-year.value": PUBLISHED_YEAR, "lang-store.data": lang}))

    with engine.begin() as conn:
        ids = {}
        for code, status in (("S001", "refused"), ("S002", "loaded")):
            ids[code] = conn.execute(sources.insert().values(
                source_key=f"file:{code}.xlsx", kind="school_workbook", school_code=code, status=status,
                first_seen_at=datetime(2025, 3, 1), loaded_at=datetime(2025, 3, 1))).inserted_primary_key[0]
        conn.execute(rejected_rows.insert().values(source_id=ids["S002"], school_code="S002", level="row", sheet="應急演練",
                                                   row_no=3, column="演練日期", value="三月", reason_zh="x", reason_en="x"))
    said = confirmation()
    assert "pub-outstanding" in said
    for word in words:
        assert word in said, (word, said)
    with engine.begin() as conn:  # every school's workbook loaded, nothing refused
        conn.execute(rejected_rows.delete())
        conn.execute(sources.update().where(sources.c.kind == "school_workbook").values(status="loaded"))
        conn.execute(sources.insert().values(source_key="file:S003.xlsx", kind="school_workbook", school_code="S003",
                                             status="loaded", first_seen_at=datetime(2025, 3, 1)))
    assert "pub-outstanding" not in confirmation()
