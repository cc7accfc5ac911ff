"""Inspections (督查) entered in the dashboard: validated against the rubric, every change kept."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from sync import inspections
from sync.errors import UserError
from sync.store import inspection_changes, records, rejected_rows, sources
from tests.conftest import sqlite_only
from tests.test_admin_support import count, make_store, seed_registry

FINDING = {"date": "2026-05-12", "school_code": "S001", "kind": "不定期", "finding": "演練簽到表代簽",
           "deduction": "2.5", "falsification": True, "major_incident": False}


@pytest.fixture
def engine(store_url):
    engine = make_store(store_url)
    seed_registry(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url):
    """Validation happens before the store is touched: one database is enough for those cases."""
    engine = make_store(sqlite_url)
    seed_registry(engine)
    yield engine
    engine.dispose()


def test_a_new_finding_is_stored_under_the_manual_source_with_its_history(engine):
    record_id = inspections.save_inspection(engine, FINDING, by="boss", recompute=False)
    with engine.connect() as conn:
        row = conn.execute(select(records["inspections"]).where(records["inspections"].c.record_id == record_id)).mappings().one()
        source = conn.execute(select(sources).where(sources.c.source_id == row["source_id"])).mappings().one()
        change = conn.execute(select(inspection_changes)).mappings().one()
    assert source["source_key"] == "manual:inspections" and source["kind"] == "manual" and source["rows"] == 1
    assert row["date"] == date(2026, 5, 12) and row["falsification"] is True and float(row["deduction"]) == 2.5
    assert change["changed_by"] == "boss" and change["before"] is None
    assert change["after"]["finding"] == "演練簽到表代簽" and change["after"]["date"] == "2026-05-12"


def test_an_edit_keeps_before_and_after(engine):
    record_id = inspections.save_inspection(engine, FINDING, by="boss", recompute=False)
    inspections.save_inspection(engine, {**FINDING, "deduction": 4, "falsification": False}, by="deputy", record_id=record_id, recompute=False)
    history = inspections.changes(engine, record_id)
    assert len(history) == 2
    latest = history[0]
    assert latest["changed_by"] == "deputy"
    assert latest["before"]["deduction"] == 2.5 and latest["before"]["falsification"] is True
    assert latest["after"]["deduction"] == 4 and latest["after"]["falsification"] is False


def test_removal_keeps_what_was_removed(engine):
    record_id = inspections.save_inspection(engine, FINDING, by="boss", recompute=False)
    inspections.delete_inspection(engine, record_id, by="boss", recompute=False)
    assert count(engine, records["inspections"]) == 0
    latest = inspections.changes(engine, record_id)[0]
    assert latest["after"] is None and latest["before"]["school_code"] == "S001"


def test_a_deleted_findings_number_is_never_given_to_the_next_one(engine):
    """The history of changes is kept by record number: a new finding after a deletion is not the deleted
    one's continuation (SQLite would give the last row's number again; every store here must not)."""
    first = inspections.save_inspection(engine, FINDING, by="boss", recompute=False)
    inspections.delete_inspection(engine, first, by="boss", recompute=False)
    second = inspections.save_inspection(engine, {**FINDING, "school_code": "S002"}, by="boss", recompute=False)
    assert second != first
    assert [c["before"]["school_code"] if c["before"] else None for c in inspections.changes(engine, second)] == [None]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"indicator": "D1", "assessed_points": 9}, "0 至 8"),  # D1 is worth 8 in the rubric
        ({"indicator": "D1", "assessed_points": -1}, "負數"),  # as the workbook's cell is told
        ({"indicator": "Z9", "assessed_points": 1}, "不存在"),
        ({"indicator": "D1", "assessed_points": None}, "須填寫考評得分"),
        ({"assessed_points": 3}, "須選擇指標"),
        ({"school_code": "S999"}, "不在學校名冊"),
        ({"kind": "抽查"}, "類型"),
        ({"date": "12/05/2026"}, "YYYY-MM-DD"),
        ({"deduction": "-1"}, "負數"),
        ({"deduction": "abc"}, "不是數字"),
        ({"deduction": "10000"}, "太大"),  # as the bureau workbook's 扣分 (sync.cells.MAX_POINTS)
        ({"deduction": "−2"}, "負數"),  # a minus sign: not "not a number" (a diff review)
        ({"deduction": "1,5"}, "只填阿拉伯數字"),  # a comma for a point: refused, never read as 15
        # dated as the workbook's 督查記錄 must be (an inspections audit: the page took all three, and 0202
        # made every recompute fail after it)
        ({"date": "2999-01-01"}, "記錄不能是將來的"),
        ({"date": "1999-07-01"}, "早於2000年"),
        ({"date": "0202-07-01"}, "早於2000年"),
    ],
)
def test_a_bad_finding_is_refused_with_a_bilingual_reason_and_nothing_stored(sqlite_engine, change, words):
    """The reason in Chinese (err.zh, the dashboard's Chinese readers) and English (str, the CLI and
    English readers), each on its own: the form shows one language at a time."""
    with pytest.raises(UserError) as err:
        inspections.save_inspection(sqlite_engine, {**FINDING, **change}, by="boss", recompute=False)
    assert words in err.value.zh and str(err.value) != err.value.zh
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in str(err.value).replace("不定期", "").replace("定期", "")
                   .replace("考評", ""))  # the English says it in English (the kinds are the plan's words)
    assert count(sqlite_engine, records["inspections"]) == 0
    assert count(sqlite_engine, inspection_changes) == 0


def test_deductions_in_hundredths_and_full_width_are_kept_as_typed(sqlite_engine):
    """An inspections audit: the page's number box (steps of 0.5) sent nothing for 0.25 or 10.05, and the
    finding was saved without its deduction.  The box is text now; what is typed is kept as the workbook
    keeps it, full-width digits too."""
    for typed, kept in (("0.25", 0.25), ("10.05", 10.05), ("０．５", 0.5), (" 2 ", 2.0), ("扣2分", 2.0)):
        inspections.save_inspection(sqlite_engine, {**FINDING, "deduction": typed}, by="boss", recompute=False)
        assert inspections.list_inspections(sqlite_engine, 2026)[0]["deduction"] == kept  # newest first


def test_assessed_points_at_the_indicator_maximum_are_accepted(engine):
    record_id = inspections.save_inspection(engine, {**FINDING, "indicator": "d1", "assessed_points": "8"}, by="boss", recompute=False)
    row = inspections.list_inspections(engine, 2026)[0]
    assert row["record_id"] == record_id and row["indicator"] == "D1" and row["assessed_points"] == 8


def test_c4_points_for_a_school_below_high_school_level_are_refused_as_in_the_workbook(sqlite_engine):
    """rules.md C4 is high school level only: an 初中's C4 maximum is 0, so 3 points are outside it (as
    the sync refuses them in the bureau workbook); 0 stands."""
    with pytest.raises(UserError) as err:
        inspections.save_inspection(sqlite_engine, {**FINDING, "indicator": "C4", "assessed_points": "3"}, by="boss",
                                    recompute=False)
    assert "初中" in err.value.zh and "C4滿分為0" in err.value.zh and "applies only to" in str(err.value)
    assert count(sqlite_engine, records["inspections"]) == 0
    inspections.save_inspection(sqlite_engine, {**FINDING, "indicator": "c4", "assessed_points": "0"}, by="boss",
                                recompute=False)
    assert [r["assessed_points"] for r in inspections.list_inspections(sqlite_engine, 2026)] == [0]


def test_records_from_the_bureau_workbook_are_not_edited_here(engine):
    with engine.begin() as conn:
        source_id = conn.execute(select(sources.c.source_id).where(sources.c.source_key == "file:bureau.xlsx")).scalar()
        workbook_id = conn.execute(records["inspections"].insert().values(
            source_id=source_id, school_code="S002", date=date(2026, 3, 1), kind="定期")).inserted_primary_key[0]
    with pytest.raises(UserError, match="bureau workbook"):
        inspections.save_inspection(engine, FINDING, by="boss", record_id=workbook_id, recompute=False)
    with pytest.raises(UserError, match="bureau workbook"):
        inspections.delete_inspection(engine, workbook_id, by="boss", recompute=False)
    listed = {r["record_id"]: r["editable"] for r in inspections.list_inspections(engine)}
    assert listed == {workbook_id: False}


def test_list_filters_by_year(engine):
    inspections.save_inspection(engine, FINDING, by="boss", recompute=False)
    inspections.save_inspection(engine, {**FINDING, "date": "2025-11-02"}, by="boss", recompute=False)
    assert [r["date"].year for r in inspections.list_inspections(engine, 2025)] == [2025]
    assert len(inspections.list_inspections(engine)) == 2


@sqlite_only
def test_a_saved_falsification_disqualifies_the_school_in_the_draft_at_once(engine):
    """Veto (5.3, 6.3): saving the finding recomputes the year, so S001 shows 取消資格 straight away."""
    from sync.results import annual_results

    inspections.save_inspection(engine, FINDING, by="boss")
    results = {r["school_code"]: r for r in annual_results(engine, 2026, "draft")}
    assert results["S001"]["qualified"] is False and results["S001"]["rank"] is None
    assert results["S002"]["qualified"] is True


def test_the_page_takes_a_school_as_the_sync_does_one_registered_by_its_code_alone(sqlite_engine):
    """The page checked a finding's school against the registry table alone: a school the bureau workbook
    lists as 0104 and a mapped query as 104 (its zeros lost) was offered twice, and one whose registry row
    was refused for another cell (registered by its code, as the sync takes it) could not be given a
    finding.  The page's list and check are the sync's registry (sync.report.registry_in_store)."""
    with sqlite_engine.begin() as conn:
        bureau = conn.execute(select(sources.c.source_id).where(sources.c.source_key == "file:bureau.xlsx")).scalar_one()
        query = conn.execute(sources.insert().values(source_key="sql:sis:registry", kind="sql", status="loaded",
                                                     first_seen_at=datetime.now())).inserted_primary_key[0]
        conn.execute(records["registry"].insert(), [
            {"source_id": bureau, "row_no": 9, "school_code": "0104", "name": "北關小學", "type": "小學"},
            {"source_id": query, "row_no": 1, "school_code": "104", "name": "北關小學", "type": "小學"}])
        conn.execute(rejected_rows.insert().values(
            source_id=bureau, level="row", sheet="學校名冊", row_no=10, school_code="S009", column="學校類別",
            value="大學", raw={"學校代碼": "S009", "學校類別": "大學"}, reason_zh="類別不對", reason_en="not a type"))
    listed = inspections.registered_schools(sqlite_engine)
    assert "0104" in listed and "104" not in listed and "S009" in listed
    saved = inspections.save_inspection(sqlite_engine, {**FINDING, "school_code": "S009"}, by="boss", recompute=False)
    assert saved is not None
