"""Loading without loss, on SQLite and on PostgreSQL: ownership, hash skip, replacement, refusal, removal."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sync.load import run_sync, submission_status
from sync.migrate import upgrade
from sync.store import make_engine, records, rejected_rows, sources, sync_run_sources, sync_runs
from sync.upload import load_upload
from tests.conftest import sqlite_only
from tests.sync_helpers import bureau_book, school_book, write_xls, write_xlsx

TODAY = date(2026, 11, 28)


@pytest.fixture
def inbox(tmp_path):
    box = tmp_path / "inbox"
    (box / "schools").mkdir(parents=True)
    write_xlsx(box / "bureau.xlsx", bureau_book(("1001", "1002", "1003")))
    write_xlsx(box / "schools" / "1001.xlsx", school_book("1001"))
    write_xls(box / "schools" / "1002.xls", school_book("1002", name="東關小學"))
    return box


def _sync(engine, inbox, **kw):
    kw.setdefault("sql_sources", [])
    kw.setdefault("recompute", False)
    return run_sync(engine, inbox, today=TODAY, **kw)


def _actions(summary) -> dict[str, str]:
    return {o.source_key: o.action for o in summary.sources}


def _count(engine, table, **where) -> int:
    q = select(func.count()).select_from(table)
    for k, v in where.items():
        q = q.where(table.c[k] == v)
    with engine.connect() as conn:
        return conn.execute(q).scalar()


def _rows(engine, key, school_code):
    t = records[key]
    with engine.connect() as conn:
        return conn.execute(select(t).where(t.c.school_code == school_code).order_by(t.c.row_no)).mappings().all()


def test_a_first_run_loads_the_registry_first_then_every_school_and_is_recorded(engine, inbox):
    summary = _sync(engine, inbox)
    assert summary.status == "ok", [p.as_text() for o in summary.sources for p in o.problems]
    assert [o.source_key for o in summary.sources][0] == "file:bureau.xlsx"
    assert _actions(summary) == {"file:bureau.xlsx": "loaded", "file:schools/1001.xlsx": "loaded",
                                 "file:schools/1002.xls": "loaded"}
    assert _count(engine, records["drills"]) == 4 and _count(engine, records["registry"]) == 3
    with engine.connect() as conn:
        run = conn.execute(select(sync_runs)).mappings().one()
        lines = conn.execute(select(sync_run_sources)).mappings().all()
        src = conn.execute(select(sources).where(sources.c.source_key == "file:schools/1002.xls")).mappings().one()
    assert run["status"] == "ok" and run["finished_at"] and run["summary"]["rows_added"] == 4 + 29 + 29
    assert {line["action"] for line in lines} == {"loaded"} and len(lines) == 3
    assert (src["kind"], src["school_code"], src["status"], src["rows"]) == ("school_workbook", "1002", "loaded", 29)
    drills = _rows(engine, "drills", "1002")
    assert {d["source_id"] for d in drills} == {src["source_id"]} and [d["row_no"] for d in drills] == [2, 3]


def test_an_unchanged_inbox_is_skipped_and_changes_nothing(engine, inbox):
    _sync(engine, inbox)
    before = [dict(r) for r in _rows(engine, "guards", "1001")]
    summary = _sync(engine, inbox)
    assert set(_actions(summary).values()) == {"skipped"} and summary.status == "ok"
    assert [dict(r) for r in _rows(engine, "guards", "1001")] == before


@sqlite_only
def test_an_edited_calendar_rescores_on_the_next_run_though_no_record_changed(engine, inbox, tmp_path, monkeypatch,
                                                                             request):
    """rules.md: calendars are overridable per year; a bureau that corrects its 2026 terms sees its
    scores follow on the next scheduled run, not only after the next workbook arrives."""
    from sync import results, settings

    _sync(engine, inbox, recompute=True)
    first = {r["school_code"]: r for r in results.annual_results(engine, 2026, "draft")}
    assert first and not results.rubric_changed(engine)
    config = tmp_path / "safeschool.toml"
    config.write_text("[calendar.2026]\nautumn = [2026-09-01, 2026-09-30]\n", encoding="utf-8")
    monkeypatch.setenv("SAFESCHOOL_CONFIG", str(config))
    settings.reset_caches()
    request.addfinalizer(settings.reset_caches)  # the next test reads its own configuration
    assert results.rubric_changed(engine)
    summary = _sync(engine, inbox, recompute=True)
    assert set(_actions(summary).values()) == {"skipped"} and not results.rubric_changed(engine)
    after = {r["school_code"]: r for r in results.annual_results(engine, 2026, "draft")}
    assert after["1001"]["indicators"]["D1"]["detail"] != first["1001"]["indicators"]["D1"]["detail"]


@sqlite_only
def test_a_renamed_area_rescores_on_the_next_run_so_the_circular_prints_the_new_name(engine, inbox, bureau_rubric):
    """The results keep the area names the circular prints (rules.md: results circulated): a bureau that renames
    area G in its rubric sees the draft follow on the next run, not only after a record changes."""
    from sync import results

    _sync(engine, inbox, recompute=True)
    assert not results.rubric_changed(engine)
    bureau_rubric(('name = "經費保障"', 'name = "經費投入"'))
    assert results.rubric_changed(engine)
    _sync(engine, inbox, recompute=True)
    assert not results.rubric_changed(engine)
    [draft] = [r for r in results.annual_results(engine, 2026, "draft") if r["school_code"] == "1001"]
    assert draft["wording"]["areas"]["G"] == "經費投入"


def test_drafts_stored_in_an_earlier_results_format_count_as_made_under_another_rubric(engine, inbox, monkeypatch):
    """An upgrade that adds a field to the results (the school page's "gain") makes the stored drafts
    out of date as a rubric edit does, so the next run rescores them though no record changed (that
    rescoring is pinned by the calendar test above)."""
    from scoring import engine as scoring_engine
    from sync import results

    _sync(engine, inbox, recompute=True)
    drafts = results.annual_results(engine, 2026, "draft")
    assert any(entry.get("gain") for r in drafts for entry in r["indicators"].values())
    assert not results.rubric_changed(engine)
    monkeypatch.setattr(scoring_engine, "JSON_FORMAT", scoring_engine.JSON_FORMAT + 1)
    assert results.rubric_changed(engine)


def test_a_school_whose_type_differs_from_the_registry_is_told_which_one_counts(engine, inbox):
    """data-contract.md: nothing silently fixed.  The registry says 小學, the school's 學校概況 says 高中:
    the evaluation uses the registry's (it decides C4), and the school reads so in a note; when the
    bureau corrects its registry, the workbook is checked again and the note goes."""
    book = school_book("1001")
    book["學校概況"][1][2] = "高中"
    write_xlsx(inbox / "schools" / "1001.xlsx", book)
    summary = _sync(engine, inbox)
    [note] = [p for o in summary.sources if o.source_key.endswith("1001.xlsx") for p in o.problems]
    assert (note.level, note.sheet, note.column, note.value) == ("note", "學校概況", "學校類別", "高中")
    assert "registry, which says '小學'" in note.reason_en and _actions(summary)["file:schools/1001.xlsx"] == "loaded"
    bureau = bureau_book(("1001", "1002", "1003"))
    bureau["學校名冊"][1][2] = "高中"
    write_xlsx(inbox / "bureau.xlsx", bureau)
    again = _sync(engine, inbox)
    assert _actions(again)["file:schools/1001.xlsx"] == "loaded"  # checked again: its registry entry changed
    assert not [p for o in again.sources if o.source_key.endswith("1001.xlsx") for p in o.problems]


def test_a_changed_workbook_replaces_its_records_including_deleted_rows(engine, inbox):
    _sync(engine, inbox)
    other_before = [dict(r) for r in _rows(engine, "drills", "1002")]
    book = school_book("1001")
    del book["應急演練"][2]  # the second drill is deleted in the workbook
    book["保安人員"][2][3] = None  # a guard now hired directly
    write_xlsx(inbox / "schools" / "1001.xlsx", book)
    summary = _sync(engine, inbox)
    changed = next(o for o in summary.sources if o.source_key == "file:schools/1001.xlsx")
    assert (changed.action, changed.rows_removed, changed.rows_added) == ("loaded", 29, 28)
    assert [d["date"] for d in _rows(engine, "drills", "1001")] == [date(2026, 3, 10)]
    assert [g["company"] for g in _rows(engine, "guards", "1001")] == ["平安保安公司", None]
    assert [dict(r) for r in _rows(engine, "drills", "1002")] == other_before
    assert _actions(summary)["file:schools/1002.xls"] == "skipped"


def test_a_refused_file_keeps_its_previous_records_and_is_reported_every_run(engine, inbox):
    _sync(engine, inbox)
    book = school_book("1001")
    del book["保安人員"]
    write_xlsx(inbox / "schools" / "1001.xlsx", book)
    for _ in range(2):
        summary = _sync(engine, inbox)
        assert summary.status == "refused"
        assert _actions(summary)["file:schools/1001.xlsx"] == "refused"
    assert len(_rows(engine, "guards", "1001")) == 2
    with engine.connect() as conn:
        problems = conn.execute(select(rejected_rows)).mappings().all()
        status = conn.execute(select(sources.c.status, sources.c.message)
                              .where(sources.c.source_key == "file:schools/1001.xlsx")).one()
    assert [(p["level"], p["sheet"], p["school_code"]) for p in problems] == [("file", "保安人員", "1001")]
    assert status[0] == "refused" and "保安人員" in status[1]


def test_a_run_names_the_files_it_did_not_load_in_the_history(engine, inbox):
    """Found by an audit: every upload's run read 'some refused' in the history, for another school's file
    nobody named; the official took the school's upload for refused."""
    import dashboard.app  # noqa: F401 - the pages register with the app first
    from dashboard.pages.audit import sync_summary
    from sync.store import sync_runs

    _sync(engine, inbox)
    book = school_book("1001")
    del book["保安人員"]
    write_xlsx(inbox / "schools" / "1001.xlsx", book)
    _sync(engine, inbox)
    with engine.connect() as conn:
        body = conn.execute(select(sync_runs.c.summary).order_by(sync_runs.c.run_id.desc())).scalars().first()
    assert body["not_loaded"] == ["schools/1001.xlsx"]
    assert "未導入的文件：schools/1001.xlsx" in sync_summary(body, "zh-Hant")
    assert "not loaded: schools/1001.xlsx" in sync_summary(body, "en")
    many = {"counts": {"refused": 12}, "not_loaded": [f"s{n}.xlsx" for n in range(10)]}
    assert sync_summary(many, "en").endswith("s9.xlsx and 2 more")


def test_a_refusal_in_the_run_history_gives_each_reason_once_with_where(engine, inbox):
    """Found by an audit: phone numbers in three cells left the history the same sentence three times,
    and nowhere where; the school's office reads that line to find what to fix."""
    book = school_book("1001")
    for row in (1, 2):
        book["應急演練"][row][4] = "138-0013-8000"
    book["保安演練"][1][2] = "139 0013 8000"
    write_xlsx(inbox / "schools" / "1001.xlsx", book)
    summary = _sync(engine, inbox)
    [outcome] = [o for o in summary.sources if o.source_key == "file:schools/1001.xlsx"]
    assert outcome.message.count("looks like a phone number") == 1, outcome.message
    assert "應急演練 row 2" in outcome.message and "應急演練 row 3" in outcome.message
    assert "保安演練 row 2" in outcome.message
    with engine.connect() as conn:
        message = conn.execute(select(sources.c.message).where(
            sources.c.source_key == "file:schools/1001.xlsx")).scalar_one()
    assert message.count("疑似電話號碼") == 1 and "應急演練 第2行" in message and "保安演練 第2行" in message
    # the Chinese line is punctuated as Chinese (its places in full-width brackets), the English one as English
    assert "（應急演練 第2行" in message and "(" not in message, message
    assert " (應急演練 row 2" in outcome.message and "（" not in outcome.message, outcome.message


def test_row_problems_are_kept_with_raw_values_for_the_school_and_the_bureau(engine, inbox):
    book = school_book("1001")
    book["應急演練"][1][6] = 20
    write_xlsx(inbox / "schools" / "1001.xlsx", book)
    summary = _sync(engine, inbox)
    assert summary.status == "ok"
    outcome = next(o for o in summary.sources if o.source_key == "file:schools/1001.xlsx")
    assert (outcome.rows_added, outcome.rows_rejected) == (28, 1)
    with engine.connect() as conn:
        row = conn.execute(select(rejected_rows)).mappings().one()
    assert (row["level"], row["school_code"], row["sheet"], row["row_no"], row["column"], row["value"]) == (
        "row", "1001", "應急演練", 2, "簽到班級數", "20")
    assert row["raw"]["簽到班級數"] == "20" and row["raw"]["演練類型"] == "消防疏散"
    assert "cannot exceed" in row["reason_en"] and row["reason_zh"]


def test_one_school_in_two_files_refuses_both_and_names_both(engine, inbox):
    _sync(engine, inbox)
    write_xlsx(inbox / "copy of 1001.xlsx", school_book("1001"))
    summary = _sync(engine, inbox)
    refused = {o.source_key: o for o in summary.sources if o.action == "refused"}
    assert set(refused) == {"file:schools/1001.xlsx", "file:copy of 1001.xlsx"}
    for o in refused.values():
        assert "schools/1001.xlsx" in o.message and "copy of 1001.xlsx" in o.message
    assert len(_rows(engine, "drills", "1001")) == 2  # the records already loaded stay
    (inbox / "copy of 1001.xlsx").unlink()
    summary = _sync(engine, inbox)
    assert _actions(summary)["file:schools/1001.xlsx"] == "loaded" and summary.status == "ok"


def test_a_vanished_file_takes_its_records_with_it(engine, inbox):
    _sync(engine, inbox)
    (inbox / "schools" / "1002.xls").unlink()
    summary = _sync(engine, inbox)
    gone = next(o for o in summary.sources if o.source_key == "file:schools/1002.xls")
    assert (gone.action, gone.rows_removed) == ("removed", 29)
    assert _rows(engine, "drills", "1002") == [] and len(_rows(engine, "drills", "1001")) == 2
    status = submission_status(engine).set_index("school_code")["status"].to_dict()
    assert status == {"1001": "loaded", "1002": "not submitted", "1003": "not submitted"}


def test_a_bureau_workbook_gone_from_the_inbox_keeps_the_registry_and_findings(engine, inbox):
    """Found by an audit: the bureau workbook moved away for a moment took the registry, every finding
    (vetoes too) and every draft score with it, and told every school its code was not registered.
    With no bureau workbook in the inbox its records stay; a new one in its place replaces them."""
    _sync(engine, inbox)
    registered = _count(engine, records["registry"])
    (inbox / "bureau.xlsx").rename(inbox.parent / "bureau.xlsx")
    for _ in range(2):  # and on the run after
        summary = _sync(engine, inbox)
        gone = next(o for o in summary.sources if o.source_key == "file:bureau.xlsx")
        assert gone.action == "failed" and "registry and inspection findings are kept" in gone.message
        assert _count(engine, records["registry"]) == registered == 3
        assert _actions(summary).get("file:schools/1001.xlsx") == "skipped"
    (inbox.parent / "bureau.xlsx").rename(inbox / "renamed-bureau.xlsx")
    summary = _sync(engine, inbox)
    actions = _actions(summary)
    assert (actions["file:bureau.xlsx"], actions["file:renamed-bureau.xlsx"]) == ("removed", "loaded")
    assert _count(engine, records["registry"]) == 3


def test_a_bureau_workbook_whose_registry_lists_no_school_is_refused(engine, inbox):
    """Found by an audit: loaded, an empty 學校名冊 unregistered every school, and each school's workbook
    was refused in the same run; refused, the previous registry stands."""
    _sync(engine, inbox)
    book = bureau_book(("1001",))
    book["學校名冊"] = book["學校名冊"][:1]  # the header, no school under it
    write_xlsx(inbox / "bureau.xlsx", book)
    summary = _sync(engine, inbox)
    bureau = next(o for o in summary.sources if o.source_key == "file:bureau.xlsx")
    assert bureau.action == "refused" and "lists no school" in bureau.message
    assert _count(engine, records["registry"]) == 3
    assert _actions(summary)["file:schools/1001.xlsx"] == "skipped"


@pytest.mark.parametrize("bureau", ["absent", "refused"])
def test_a_first_run_without_a_registry_blames_no_school_and_loads_them_when_it_comes(engine, inbox, bureau):
    """Found by a held-out county's audit: before the bureau workbook was in (or with it refused for one
    cell), every school was told its code was not registered and to check it.  The schools are told
    their workbook waits for the registry, the run says why; the next run with a registry loads them."""
    original = (inbox / "bureau.xlsx").read_bytes()
    if bureau == "absent":
        (inbox / "bureau.xlsx").unlink()
    else:
        book = bureau_book(("1001", "1002", "1003"))
        book.pop("督查記錄")  # a required sheet missing: the bureau workbook is refused
        write_xlsx(inbox / "bureau.xlsx", book)
    summary = _sync(engine, inbox)
    school = next(o for o in summary.sources if o.source_key == "file:schools/1001.xlsx")
    [problem] = school.problems
    assert school.action == "refused" and "registry is not loaded yet" in problem.reason_en
    assert "學校名冊尚未導入" in problem.reason_zh and "不在教育局的學校名冊中" not in problem.reason_zh
    assert summary.status == "refused" and "registry is not loaded" in summary.message
    with engine.connect() as conn:
        assert "學校名冊尚未導入" in conn.execute(select(sync_runs.c.message)).scalar()
    (inbox / "bureau.xlsx").write_bytes(original)
    summary = _sync(engine, inbox)
    assert summary.status == "ok" and _actions(summary)["file:schools/1001.xlsx"] == "loaded"
    assert len(_rows(engine, "drills", "1001")) == 2


def test_a_workbook_without_an_extension_is_read_and_a_zipped_one_refused_saying_so(engine, inbox):
    """Found by a held-out county's audit: a workbook saved by a chat app without its extension, and one
    sent zipped, were passed over unseen (the schools showed as not submitted with no word why).  The
    first is read by its content, as every workbook is; the archive is refused saying to unpack it.
    Another file without an extension (a note) is still nobody's workbook."""
    import zipfile

    (inbox / "schools" / "1002.xls").rename(inbox / "schools" / "東關小學安全台賬")
    with zipfile.ZipFile(inbox / "1003.zip", "w") as archive:
        archive.writestr("1003.xlsx", write_xlsx(inbox.parent / "1003.xlsx", school_book("1003")).read_bytes())
    (inbox / "README").write_text("放學校工作簿的文件夾")
    summary = _sync(engine, inbox)
    actions = _actions(summary)
    assert actions["file:schools/東關小學安全台賬"] == "loaded" and len(_rows(engine, "drills", "1002")) == 2
    zipped = next(o for o in summary.sources if o.source_key == "file:1003.zip")
    [problem] = zipped.problems
    assert zipped.action == "refused" and "unpack it" in problem.reason_en and "請解壓" in problem.reason_zh
    assert "file:README" not in actions


def test_an_inbox_set_to_a_file_says_so_and_removes_nothing(engine, inbox, tmp_path):
    """A configuration audit: SAFESCHOOL_INBOX naming a file said "not there (is the share mounted?)"."""
    _sync(engine, inbox)
    a_file = tmp_path / "inbox.txt"
    a_file.write_text("x")
    summary = _sync(engine, a_file)
    assert summary.status == "failed" and "is a file, not a folder" in summary.message and "是一個文件" in summary.message
    assert len(_rows(engine, "drills", "1001")) == 2


@pytest.mark.parametrize("how", ["empty", "absent"])
def test_an_unmounted_share_fails_the_run_and_removes_nothing(engine, inbox, how):
    import shutil

    _sync(engine, inbox)
    shutil.rmtree(inbox)
    if how == "empty":
        inbox.mkdir()
    summary = _sync(engine, inbox)
    assert summary.status == "failed" and "mounted" in summary.message and "共享文件夾是否已掛載" in summary.message
    assert len(_rows(engine, "drills", "1001")) == 2
    with engine.connect() as conn:
        assert conn.execute(select(sync_runs.c.status).order_by(sync_runs.c.run_id.desc())).first()[0] == "failed"


def test_a_folder_gone_for_a_run_keeps_its_workbooks_records_and_says_so(engine, inbox):
    """An audit: with schools/ away for one run (a township's share unmounted, a folder moved) every school
    in it was set to 0, the run "ok", and a refused workbook's kept records were lost for good.  A file
    deleted from a folder that is there is still withdrawn."""
    import shutil

    _sync(engine, inbox)
    moved = inbox.parent / "moved"
    shutil.move(inbox / "schools", moved)
    summary = _sync(engine, inbox)
    actions = _actions(summary)
    assert actions["file:schools/1001.xlsx"] == actions["file:schools/1002.xls"] == "failed"
    outcome = next(o for o in summary.sources if o.source_key == "file:schools/1001.xlsx")
    assert "folder schools is no longer in the inbox" in outcome.message and "文件夾 schools" in outcome.message
    assert summary.status != "ok" and len(_rows(engine, "drills", "1001")) == 2
    shutil.move(moved, inbox / "schools")
    assert set(_actions(_sync(engine, inbox)).values()) == {"skipped"}  # back: nothing to reload
    (inbox / "schools" / "1001.xlsx").unlink()
    assert _actions(_sync(engine, inbox))["file:schools/1001.xlsx"] == "removed"
    assert _rows(engine, "drills", "1001") == []


def test_a_renamed_folder_moves_its_schools_records_never_counts_them_twice(engine, inbox):
    """A second audit: with the folder-gone rule alone, schools/ renamed kept the old keys' records beside
    the same workbooks loaded under the new name (every record twice, totals up), and renaming it back
    kept the new ones too.  A school whose workbook is in the inbox under another path has moved."""
    import shutil

    _sync(engine, inbox)
    shutil.move(inbox / "schools", inbox / "schools-2026")
    moved = _actions(_sync(engine, inbox))
    assert moved["file:schools/1001.xlsx"] == moved["file:schools/1002.xls"] == "removed"
    assert moved["file:schools-2026/1001.xlsx"] == "loaded" and len(_rows(engine, "drills", "1001")) == 2
    shutil.move(inbox / "schools-2026", inbox / "schools")
    back = _actions(_sync(engine, inbox))
    assert back["file:schools-2026/1001.xlsx"] == "removed" and back["file:schools/1001.xlsx"] == "loaded"
    assert len(_rows(engine, "drills", "1001")) == 2 and len(_rows(engine, "guards", "1002")) == 2


def test_a_renamed_folder_moves_the_bureau_workbook_too(engine, inbox):
    """The bureau's workbook in a folder renamed: its registry and findings are the new path's alone (kept
    under the old path too, every finding's deduction would count twice)."""
    import shutil

    (inbox / "bureau").mkdir()
    shutil.move(inbox / "bureau.xlsx", inbox / "bureau" / "bureau.xlsx")
    _sync(engine, inbox)
    registered = _count(engine, records["registry"])
    shutil.move(inbox / "bureau", inbox / "bureau-2026")
    moved = _actions(_sync(engine, inbox))
    assert moved["file:bureau/bureau.xlsx"] == "removed" and moved["file:bureau-2026/bureau.xlsx"] == "loaded"
    assert _count(engine, records["registry"]) == registered


def test_a_school_registered_later_is_let_in_without_touching_its_file(engine, inbox):
    write_xlsx(inbox / "1009.xlsx", school_book("1009"))
    first = _sync(engine, inbox)
    assert _actions(first)["file:1009.xlsx"] == "refused"
    write_xlsx(inbox / "bureau.xlsx", bureau_book(("1001", "1002", "1003", "1009")))
    second = _sync(engine, inbox)
    assert _actions(second)["file:1009.xlsx"] == "loaded"
    assert len(_rows(engine, "guards", "1009")) == 2


def test_an_upload_for_another_school_is_refused_and_not_stored(engine, inbox):
    _sync(engine, inbox)
    data = write_xlsx(inbox.parent / "x.xlsx", school_book("1002")).read_bytes()
    report = load_upload(engine, data, "x.xlsx", "1003", inbox, by="school1003", today=TODAY, recompute=False)
    assert report.refused and "not your school '1003'" in report.file_problems[-1].reason_en
    assert report.file_problems[-1].row == 2  # where, as every problem says (an audit: it named no row)
    assert not (inbox / "uploads").exists()


def test_an_upload_is_read_as_the_shared_folder_reads_it(engine, inbox):
    """Found by an audit: the upload refused an .xlsm and a WPS .et the shared folder reads, and told a .csv
    or a .zip only "upload an .xlsx, .xls or .ods" where the sync says what to do (save as .xlsx, unpack)."""
    _sync(engine, inbox)
    data = write_xlsx(inbox.parent / "x.xlsx", school_book("1003")).read_bytes()
    for name, words in (("1003.csv", "save the workbook as .xlsx"), ("1003.zip", "unpack it")):
        report = load_upload(engine, data, name, "1003", inbox, by="school1003", today=TODAY, recompute=False)
        assert report.refused and words in report.problems[0].reason_en
    report = load_upload(engine, data, "1003.xlsm", "1003", inbox, by="school1003", today=TODAY, recompute=False)
    assert not report.refused and report.run.status == "ok" and (inbox / "uploads" / "1003.xlsm").exists()
    assert len(_rows(engine, "drills", "1003")) == 2


def test_an_upload_with_no_extension_is_read_by_its_first_bytes_as_the_shared_folder_reads_it(engine, inbox):
    """A chat app's download (「城關小學安全台賬」, no extension) was refused on upload ("got no extension")
    while the shared folder reads such a file by its first bytes (an upload audit).  A text without one
    is still refused."""
    _sync(engine, inbox)
    for writer, suffix in ((write_xlsx, ".xlsx"), (write_xls, ".xls")):
        data = writer(inbox.parent / f"x{suffix}", school_book("1003")).read_bytes()
        report = load_upload(engine, data, "城關小學安全台賬", "1003", inbox, by="school1003", today=TODAY,
                             recompute=False)
        assert not report.refused and (inbox / "uploads" / f"1003{suffix}").exists(), report.problems
    report = load_upload(engine, "校長：王五".encode(), "notes", "1003", inbox, by="school1003", today=TODAY,
                         recompute=False)
    assert report.refused and "no extension" in report.problems[0].reason_en


def test_an_upload_is_stored_under_uploads_and_loaded_in_an_upload_run(engine, inbox):
    _sync(engine, inbox)
    first = write_xls(inbox.parent / "mine.xls", school_book("1003")).read_bytes()
    report = load_upload(engine, first, "mine.xls", "1003", inbox, by="school1003", today=TODAY, recompute=False)
    assert not report.refused and (inbox / "uploads" / "1003.xls").exists()
    assert report.run.trigger == "upload" and _actions(report.run)["file:uploads/1003.xls"] == "loaded"
    # as a file saved into the shared inbox is (umask 022: 0644), not mkstemp's 0600 (an audit)
    umask = os.umask(0o022)
    os.umask(umask)
    assert (inbox / "uploads" / "1003.xls").stat().st_mode & 0o777 == 0o666 & ~umask
    book = school_book("1003")
    del book["應急演練"][1]
    second = write_xlsx(inbox.parent / "mine.xlsx", book).read_bytes()
    report = load_upload(engine, second, "mine.xlsx", "1003", inbox, by="school1003", today=TODAY, recompute=False)
    # (beside the school's upload lock, a dot file the sync never reads)
    assert sorted(p.name for p in (inbox / "uploads").iterdir()) == [".1003.upload-lock", "1003.xlsx"]
    assert len(_rows(engine, "drills", "1003")) == 1
    assert _actions(report.run)["file:uploads/1003.xls"] == "removed"


def test_an_upload_from_a_school_that_uses_the_shared_folder_is_refused_naming_the_file(engine, inbox):
    _sync(engine, inbox)
    data = write_xlsx(inbox.parent / "x.xlsx", school_book("1001")).read_bytes()
    report = load_upload(engine, data, "x.xlsx", "1001", inbox, by="school1001", today=TODAY, recompute=False)
    assert report.refused and "schools/1001.xlsx" in report.file_problems[0].reason_en


def test_an_upload_with_mistakes_from_a_shared_folder_school_says_first_that_it_cannot_come_in(engine, inbox):
    """Fixing every listed mistake would not get the upload in: that comes first, with the mistakes."""
    _sync(engine, inbox)
    book = school_book("1001")
    book["應急演練"][1][0] = "三月"
    data = write_xlsx(inbox.parent / "x.xlsx", book).read_bytes()
    report = load_upload(engine, data, "x.xlsx", "1001", inbox, by="school1001", today=TODAY, recompute=False)
    assert report.problems[0].level == "file" and "shared folder" in report.problems[0].reason_en
    assert any(p.column == "演練日期" for p in report.problems[1:])


def test_an_upload_the_run_does_not_load_is_not_called_loaded(engine, inbox):
    """The check on the spot passes, but a file for the same school reached the shared folder since the
    last run: the run refuses both, and the school is told so rather than "loaded"."""
    _sync(engine, inbox)
    write_xlsx(inbox / "schools" / "1003-copy.xlsx", school_book("1003"))
    data = write_xlsx(inbox.parent / "x.xlsx", school_book("1003")).read_bytes()
    report = load_upload(engine, data, "x.xlsx", "1003", inbox, by="school1003", today=TODAY, recompute=False)
    assert _actions(report.run)["file:uploads/1003.xlsx"] == "refused"
    assert report.refused and "did not load it" in report.file_problems[-1].reason_en
    assert "1003-copy.xlsx" in report.file_problems[-1].reason_en


def test_the_sync_files_a_workbook_under_the_school_its_own_school_sheet_names(engine, inbox):
    """A second visible 「學校概況表」 naming another school is not the school sheet (match_sheets): the
    sync must not file the workbook under that school and block its own files."""
    book = school_book("1003")
    book["學校概況表"] = [list(book["學校概況"][0]), ["1001", "城關小學", "小學", "城關鎮", "否"]]
    write_xlsx(inbox / "uploads-1003.xlsx", book)
    summary = _sync(engine, inbox)
    assert _actions(summary)["file:schools/1001.xlsx"] == "loaded"
    assert _actions(summary)["file:uploads-1003.xlsx"] == "loaded"


def test_scores_are_recomputed_after_a_run_that_changed_records_only(engine, inbox, monkeypatch):
    from sync import results

    calls = []
    monkeypatch.setattr(results, "recompute", lambda eng, *a, **k: calls.append(eng) or {})
    _sync(engine, inbox, recompute=True)
    _sync(engine, inbox, recompute=True)
    assert len(calls) == 1


@pytest.mark.parametrize("first", ["--no-recompute", "cut short while scoring"])
def test_a_run_whose_records_were_never_scored_is_scored_by_the_next_though_nothing_changed(engine, inbox,
                                                                                           monkeypatch, first):
    """The drafts the dashboard shows follow the records: a run loaded without a recompute, or stopped
    (Ctrl-C, the scheduler stopped, a kill) between storing and scoring, leaves the next run, which finds
    every source unchanged, to recompute; and only that one."""
    from sync import results

    calls = []

    def recompute(eng, *a, **k):
        calls.append(eng)
        if first == "cut short while scoring" and len(calls) == 1:
            raise KeyboardInterrupt
        return {}

    monkeypatch.setattr(results, "recompute", recompute)
    if first == "--no-recompute":
        _sync(engine, inbox, recompute=False)
    else:
        with pytest.raises(KeyboardInterrupt):
            _sync(engine, inbox, recompute=True)
    owed = len(calls)
    again = _sync(engine, inbox, recompute=True)
    assert {o.action for o in again.sources} == {"skipped"} and len(calls) == owed + 1
    _sync(engine, inbox, recompute=True)
    assert len(calls) == owed + 1


def test_a_database_that_is_down_fails_the_run_without_a_traceback(tmp_path, inbox):
    down = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=2")
    summary = run_sync(down, inbox, sql_sources=[], recompute=False)
    assert summary.status == "failed" and "cannot be used" in summary.message


def test_an_upload_over_the_size_limit_is_refused_before_reading(engine, inbox, monkeypatch):
    from sync.settings import reset_caches

    monkeypatch.setenv("SAFESCHOOL_MAX_UPLOAD_MB", "0.001")
    reset_caches()
    data = write_xlsx(inbox.parent / "x.xlsx", school_book("1003")).read_bytes()
    report = load_upload(engine, data, "x.xlsx", "1003", inbox, by="school1003", today=TODAY, recompute=False)
    assert report.refused and "too large" in report.problems[0].reason_en


@pytest.mark.parametrize("name", ["roster.csv", "roster\x00.xlsx.csv", "big.xlsx"])
def test_an_upload_refused_before_the_checks_is_in_the_audit_trail_too(engine, inbox, monkeypatch, name):
    """Found by an audit: a .csv or an oversized upload left no trace of who tried what; a file name with a
    NUL (the browser's to send) is kept printable, as PostgreSQL's JSON refuses a NUL."""
    from sync.settings import reset_caches
    from sync.store import audit_log

    monkeypatch.setenv("SAFESCHOOL_MAX_UPLOAD_MB", "0.001")
    reset_caches()
    data = b"x" * (2000 if name == "big.xlsx" else 10)
    report = load_upload(engine, data, name, "1003", inbox, by="school1003", today=TODAY, recompute=False)
    assert report.refused
    with engine.connect() as conn:
        entry = conn.execute(select(audit_log.c.username, audit_log.c.school_code, audit_log.c.detail)
                             .where(audit_log.c.action == "upload")).one()
    assert entry.username == "school1003" and entry.school_code == "1003" and entry.detail["refused"] is True
    assert entry.detail["filename"] == name.replace("\x00", "?")


def test_a_bureau_workbook_with_a_hidden_school_sheet_is_still_loaded_first(engine, inbox):
    hidden = {"學校概況": [["學校代碼", "學校名稱", "學校類別", "所屬鄉鎮", "寄宿制"]]}
    write_xlsx(inbox / "bureau.xlsx", bureau_book(("1001", "1002", "1003")), hidden=hidden)
    summary = _sync(engine, inbox)
    assert summary.sources[0].source_key == "file:bureau.xlsx" and summary.status == "ok"


@sqlite_only
def test_the_running_years_result_follows_the_day_even_when_no_record_changed(engine, inbox):
    """rules.md: in the running year the evaluation date is today; a quiet store must not keep showing
    the day of the last change (nor be refused at publishing as "still running" after the year)."""
    from datetime import timedelta

    from sync import results

    _sync(engine, inbox, recompute=True)
    later = TODAY + timedelta(days=1)
    summary = run_sync(engine, inbox, sql_sources=[], today=later)
    assert {o.action for o in summary.sources} == {"skipped"}
    assert {r["as_of"] for r in results.annual_results(engine, TODAY.year, "draft")} == {later.isoformat()}


@sqlite_only
def test_a_year_last_scored_before_its_31_december_is_closed_by_the_first_run_of_the_next_year(engine, inbox):
    """Found by an audit: a draft taken on 30 Dec (no run on the 31st) stayed the year's result in January,
    unlike `score` (31 Dec), until some record changed: rules.md, the evaluation date is 31 Dec of the year."""
    from sync import results

    year = TODAY.year
    run_sync(engine, inbox, sql_sources=[], today=date(year, 12, 30))
    assert {r["as_of"] for r in results.annual_results(engine, year, "draft")} == {f"{year}-12-30"}
    summary = run_sync(engine, inbox, sql_sources=[], today=date(year + 1, 1, 2))
    assert {o.action for o in summary.sources} == {"skipped"} and summary.recomputed
    assert {r["as_of"] for r in results.annual_results(engine, year, "draft")} == {f"{year}-12-31"}


@sqlite_only
def test_the_first_runs_of_a_new_year_score_it_though_last_years_draft_was_closed_on_31_december(engine, inbox):
    """README: the first run of a day evaluates the running year on today.  A sync on 31 Dec closed last
    year's draft; every run of January after it found nothing changed and nothing "behind", and the new
    year had no draft at all (the dashboard listed no running year) until some school changed a record."""
    from sync import results

    year = TODAY.year
    run_sync(engine, inbox, sql_sources=[], today=date(year, 12, 31))
    assert {r["as_of"] for r in results.annual_results(engine, year, "draft")} == {f"{year}-12-31"}
    summary = run_sync(engine, inbox, sql_sources=[], today=date(year + 1, 1, 2))
    assert {o.action for o in summary.sources} == {"skipped"} and summary.recomputed
    assert {r["as_of"] for r in results.annual_results(engine, year + 1, "draft")} == {f"{year + 1}-01-02"}


@sqlite_only
def test_a_school_on_a_refused_registry_row_is_still_evaluated_as_its_own_sheet_describes_it(engine, inbox):
    """data-contract.md 2: the registry is the list of schools the bureau expects.  A registry row refused
    for its 學校類別 (九年制, no type of rules.md) keeps the school registered: its workbook is loaded and
    it is scored as its 學校概況 says (小學), not left out of the ranking; a registered school on such a row
    that sent nothing is still listed, as not submitted."""
    from sync import results

    bureau = bureau_book(("1001", "1002", "1003"))
    bureau["學校名冊"][1][2] = "九年制"  # 1001
    bureau["學校名冊"][3][2] = "九年制"  # 1003: no workbook
    write_xlsx(inbox / "bureau.xlsx", bureau)
    summary = _sync(engine, inbox, recompute=True)
    assert _actions(summary)["file:schools/1001.xlsx"] == "loaded"
    rows = {r["school_code"]: r for r in results.annual_results(engine, TODAY.year)}
    assert set(rows) == {"1001", "1002", "1003"}
    assert (rows["1001"]["type"], rows["1001"]["submitted"]) == ("小學", True)
    # the same records and type as 1002; the bureau's finding on 1001 deducts its 1 point (rules.md 督查)
    assert rows["1001"]["total"] == rows["1002"]["total"] - 1
    assert rows["1003"]["submitted"] is False and rows["1003"]["name"] == "1003"  # named by its code
    assert rows["1003"]["type"] is None  # null in the JSON, never NaN
    # and the school can fetch its pre-filled template from the dashboard (its code alone: the row is the bureau's
    # to mend), where it was told it is not in the registry
    import io

    import openpyxl

    from dashboard.downloads import template_bytes

    sheet = openpyxl.load_workbook(io.BytesIO(template_bytes(engine, "1003")))["學校概況"]
    assert sheet["A2"].value == "1003"
    # and the bureau can give it an account (the accounts page lists every registered school once)
    from dashboard.queries import registered_schools

    assert registered_schools(engine) == [("1001", None), ("1002", "學校1002"), ("1003", None)]  # 1001, 1003: refused rows


def test_a_subfolder_that_cannot_be_opened_keeps_its_schools_records(tmp_path):
    """A township's folder whose permissions were changed on the share is not a folder emptied: its
    workbooks' records stay and each is reported as not read.  The folder is given to another user
    (nobody, 0700) and the run is made without the capabilities that let root open any folder (setpriv
    drops DAC override from the bounding set), as a scheduler's service account runs; the checkout
    itself may sit in a folder only root may enter (mktemp -d), which running as nobody could not."""
    import json
    import os
    import shutil
    import subprocess
    import sys
    import tempfile

    from tests.conftest import require

    if shutil.which("setpriv") is None or os.geteuid() != 0:
        require("setpriv", "the sync is run as another user, for whom a folder can be closed; root opens every one")
    work = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        box = work / "inbox"
        for town in ("城關", "東關"):
            (box / town).mkdir(parents=True)
        write_xlsx(box / "bureau.xlsx", bureau_book(("1001", "1002")))
        write_xlsx(box / "城關" / "1001.xlsx", school_book("1001"))
        write_xlsx(box / "東關" / "1002.xlsx", school_book("1002", name="東關小學"))
        url = f"sqlite:///{work / 'store.db'}"
        store = make_engine(url)
        upgrade(store)
        run_sync(store, box, sql_sources=[], today=TODAY, recompute=False)
        before = _count(store, records["drills"], school_code="1001")
        store.dispose()
        for path in [box / "城關", *(box / "城關").rglob("*")]:
            os.chown(path, 65534, 65534)  # nobody's alone now
        (box / "城關").chmod(0o700)
        script = ("import json, sys; from datetime import date; from pathlib import Path; "
                  "from sync.load import run_sync; from sync.store import make_engine; "
                  f"s = run_sync(make_engine({url!r}), Path({str(box)!r}), sql_sources=[], today=date(2026, 11, 28), "
                  "recompute=False); print(json.dumps({o.source_key: [o.action, o.message] for o in s.sources}))")
        done = subprocess.run(["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-c",
                               script], capture_output=True, text=True, cwd=Path(__file__).parent.parent, check=False)
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout.strip().splitlines()[-1])
        assert out["file:城關/1001.xlsx"][0] == "failed" and "could not be opened" in out["file:城關/1001.xlsx"][1]
        assert out["file:東關/1002.xlsx"][0] == "skipped"
        store = make_engine(url)
        assert _count(store, records["drills"], school_code="1001") == before > 0
        store.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)  # root: a closed folder is removed all the same


def test_two_uploads_of_one_school_at_once_are_taken_one_after_the_other(engine, inbox):
    """A double click or two officers: each upload's report is of the file its run loaded, neither
    fails on the other's half-written file, and the school ends with one of the two whole."""
    import threading

    _sync(engine, inbox)
    books = []
    for n in (1, 2):
        book = school_book("1003")
        book["應急演練"] = book["應急演練"][: n + 1]  # one drill, or two
        books.append(write_xlsx(inbox.parent / f"mine{n}.xlsx", book).read_bytes())
    reports, errors = {}, []

    def upload(n: int) -> None:
        try:
            reports[n] = load_upload(engine, books[n - 1], "mine.xlsx", "1003", inbox, by=f"officer{n}",
                                     today=TODAY, recompute=False)
        except Exception as err:  # the test fails on it below, naming it
            errors.append(err)

    for _round in range(4):
        threads = [threading.Thread(target=upload, args=(n,)) for n in (1, 2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert errors == [] and all(not r.refused for r in reports.values())
        assert sorted(p.name for p in (inbox / "uploads").iterdir() if not p.name.startswith(".")) == ["1003.xlsx"]
        assert not list((inbox / "uploads").glob("*.part"))
        assert (inbox / "uploads" / "1003.xlsx").read_bytes() in books
        assert len(_rows(engine, "drills", "1003")) == books.index((inbox / "uploads" / "1003.xlsx").read_bytes()) + 1


def test_an_upload_while_the_schools_previous_one_is_loading_is_told_to_wait(engine, inbox):
    from sync.upload import _school_upload_lock

    _sync(engine, inbox)
    data = write_xlsx(inbox.parent / "x.xlsx", school_book("1003")).read_bytes()
    (inbox / "uploads").mkdir()
    with _school_upload_lock(inbox / "uploads", "1003", wait=0) as held:
        assert held
        report = load_upload(engine, data, "x.xlsx", "1003", inbox, by="officer2", today=TODAY, recompute=False,
                             wait=0.5)
    assert report.refused and report.busy and "another upload of your school" in report.file_problems[-1].reason_en
    assert "另一次上傳" in report.file_problems[-1].reason_zh
    assert not (inbox / "uploads" / "1003.xlsx").exists()
    later = load_upload(engine, data, "x.xlsx", "1003", inbox, by="officer2", today=TODAY, recompute=False)
    assert not later.refused and (inbox / "uploads" / "1003.xlsx").exists()


def test_an_upload_waits_for_a_run_well_inside_the_servers_request_timeout():
    """gunicorn kills a request at its timeout: an upload waiting as long for a run got no answer."""
    from sync.cli_setup import REQUEST_TIMEOUT_SECONDS
    from sync.upload import UPLOAD_WAIT_SECONDS

    assert UPLOAD_WAIT_SECONDS <= REQUEST_TIMEOUT_SECONDS / 2
    procfile = (Path(__file__).resolve().parent.parent / "Procfile").read_text()
    assert f"--timeout {REQUEST_TIMEOUT_SECONDS}" in procfile


def test_spreadsheets_under_other_names_are_read_or_refused_never_passed_over(engine, inbox):
    """Found by an audit: a workbook saved as WPS's .et was read by `sync --check` but passed over unseen
    by the sync (the school showed as not submitted, its old records removed); what the sync cannot read
    (.xlsb, .csv, .numbers) is refused with what to do.  A template (.xltx) is no submission: passed over."""
    _sync(engine, inbox)
    (inbox / "schools" / "1002.xls").rename(inbox / "schools" / "1002.et")  # WPS names its .xls so
    write_xlsx(inbox / "schools" / "1003.xlsx", school_book("1003"))
    write_xlsx(inbox / "schools" / "本校填報模板(2025).xltx", school_book("1003"))  # a filled copy of the template
    for name in ("1004.xlsb", "notes.csv", "1005.numbers"):
        (inbox / "schools" / name).write_bytes(b"PK\x03\x04 not read")
    summary = _sync(engine, inbox)
    actions = _actions(summary)
    assert actions["file:schools/1002.et"] == "loaded" and actions["file:schools/1003.xlsx"] == "loaded"
    assert not any(key.endswith(".xltx") for key in actions)
    assert actions["file:schools/1002.xls"] == "removed" and len(_rows(engine, "drills", "1002")) == 2
    refused = {o.source_key: o.problems[0].reason_en for o in summary.sources if o.action == "refused"}
    assert set(refused) == {"file:schools/1004.xlsb", "file:schools/notes.csv", "file:schools/1005.numbers"}
    assert "save it as .xlsx" in refused["file:schools/1004.xlsb"]
    assert "export it to Excel" in refused["file:schools/1005.numbers"]
    assert "CSV" in refused["file:schools/notes.csv"]


def test_the_times_stored_are_the_countys_wall_clock_not_the_servers(engine, inbox, tmp_path, monkeypatch):
    """Found by an audit: on a UTC server a page dated by the county's day 2026-11-30 said the last sync
    was at 2026-11-29 17:01.  Every stored time is the county's (schedule.timezone), as people read it."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from sync import settings

    config = tmp_path / "safeschool.toml"
    config.write_text('[schedule]\ntimezone = "Pacific/Kiritimati"\n', encoding="utf-8")  # UTC+14
    monkeypatch.setenv("SAFESCHOOL_CONFIG", str(config))
    settings.reset_caches()
    try:
        summary = _sync(engine, inbox)
        county = datetime.now(ZoneInfo("Pacific/Kiritimati")).replace(tzinfo=None)
        with engine.connect() as conn:
            started, finished = conn.execute(select(sync_runs.c.started_at, sync_runs.c.finished_at).where(
                sync_runs.c.run_id == summary.run_id)).one()
            loaded = conn.execute(select(func.max(sources.c.loaded_at))).scalar_one()
        for stored in (started, finished, loaded):
            assert abs(stored - county) < timedelta(minutes=2), (stored, county)
    finally:
        settings.reset_caches()


def test_a_runs_recorded_end_includes_its_recompute(engine, inbox, monkeypatch):
    """Found by an audit: a run of 1 min 42 s was recorded as 14.7 s, its end taken before the recompute."""
    from sync import results
    from sync.settings import county_now

    ended = []
    real = results.recompute

    def recompute_then_note(*args, **kwargs):
        done = real(*args, **kwargs)
        ended.append(county_now())
        return done

    monkeypatch.setattr(results, "recompute", recompute_then_note)
    summary = _sync(engine, inbox, recompute=True)
    assert summary.recomputed and ended
    with engine.connect() as conn:
        finished = conn.execute(select(sync_runs.c.finished_at).where(sync_runs.c.run_id == summary.run_id)).scalar_one()
    assert finished >= ended[0].replace(microsecond=0)


def test_a_store_lost_during_the_recompute_is_said_in_a_line_without_the_sql(engine, inbox, monkeypatch):
    """Found by an audit: a PostgreSQL restart mid-recompute printed, and stored, SQLAlchemy's dump of the SQL."""
    from sqlalchemy.exc import OperationalError

    from sync import results

    def store_gone(*_args, **_kwargs):
        raise OperationalError("SELECT scores.year, scores.kind FROM scores WHERE ...", {"year_1": 2026},
                               Exception("terminating connection due to administrator command"))

    monkeypatch.setattr(results, "recompute", store_gone)
    summary = _sync(engine, inbox, recompute=True)
    assert not summary.recomputed
    assert "terminating connection due to administrator command" in summary.message
    assert "SELECT" not in summary.message and "下次同步重算" in summary.message


def test_the_lines_passed_over_as_paperwork_are_stored_for_the_school_page_not_as_problems(engine, inbox):
    """The school page lists them as the upload does (a record taken for paperwork is never dropped unseen);
    they are no refused row: the run's counts and the re-read of a source with refused rows ignore them.
    A refused file keeps none (nothing of it was read)."""
    book = school_book("1001")
    book["隱患整改"] += [["校長：王五"], ["合計", None, "共1項"]]
    write_xlsx(inbox / "schools" / "1001.xlsx", book)
    refused = school_book("1003")
    refused["隱患整改"].append(["校長：李四"])
    del refused["應急演練"]
    write_xlsx(inbox / "schools" / "1003.xlsx", refused)
    summary = _sync(engine, inbox)
    with engine.connect() as conn:
        stored = conn.execute(select(rejected_rows.c.school_code, rejected_rows.c.sheet, rejected_rows.c.row_no,
                                     rejected_rows.c.value, rejected_rows.c.reason_en)
                              .where(rejected_rows.c.level == "paperwork").order_by(rejected_rows.c.row_no)).all()
    assert [tuple(r) for r in stored] == [("1001", "隱患整改", 3, "校長：王五", "a signature"),
                                          ("1001", "隱患整改", 4, "合計 共1項", "a totals line")]
    assert {o.source_key: o.rows_rejected for o in summary.sources}["file:schools/1001.xlsx"] == 0
    assert _actions(_sync(engine, inbox))["file:schools/1001.xlsx"] == "skipped"  # no refused row to re-read for
