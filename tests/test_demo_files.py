"""The demo county on disk (sync.demo.write_demo): byte-stable files, the layout the sync reads,
and mistakes that the sync's own checks (sync.report.check_file) meet exactly as the summary says."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from sync import contract
from sync.demo import build_county, write_demo
from sync.report import check_file

TODAY = date(2026, 11, 28)
SCHOOLS = 60


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("county") / "inbox"
    summary = write_demo(inbox, SCHOOLS, 2026, TODAY)
    return inbox, summary, build_county(SCHOOLS, 2026, TODAY).frames


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def plain_records(records: pd.DataFrame | list[dict], sheet_key: str, with_row_no: bool = True) -> list[tuple]:
    """Records as comparable tuples: the contract's columns (+ row_no), dates as date, blanks as None."""
    frame = pd.DataFrame(records)
    sheet = contract.SHEETS[sheet_key]
    keys = [*sheet.keys] + (["row_no"] if with_row_no else [])
    out = []
    for row in frame.reindex(columns=keys).to_dict("records"):
        line = []
        for key in keys:
            value = row[key]
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                value = None
            elif isinstance(value, pd.Timestamp):
                value = value.date()
            elif sheet_key != "registry" and key != "row_no" and sheet.column(key).kind == contract.MONEY:
                value = round(float(value), 2)
            elif hasattr(value, "item"):
                value = value.item()
            line.append(value)
        out.append(tuple(line))
    return out


def test_rewriting_with_the_same_seed_gives_the_same_bytes_and_leaves_files_untouched(demo, tmp_path):
    inbox, _, _ = demo
    before = {p: os.stat(inbox / p).st_mtime_ns for p in _tree(inbox)}
    write_demo(inbox, SCHOOLS, 2026, TODAY)
    assert {p: os.stat(inbox / p).st_mtime_ns for p in _tree(inbox)} == before  # nothing rewritten
    write_demo(tmp_path / "again", SCHOOLS, 2026, TODAY)
    assert _tree(tmp_path / "again") == _tree(inbox)


def test_another_seed_writes_other_content(demo, tmp_path):
    inbox, _, _ = demo
    write_demo(tmp_path / "other", 8, 99, TODAY)
    ours = _tree(inbox)
    theirs = _tree(tmp_path / "other")
    assert ours["bureau/教體局督查與名冊.xlsx"] != theirs["bureau/教體局督查與名冊.xlsx"]


def test_one_workbook_per_submitted_school_in_its_township_folder_or_its_uploads(demo):
    """Most schools keep theirs in the shared folder by township; every fourth sends it through the
    dashboard (uploads/<code>), so the demo's school accounts can try the upload page too."""
    inbox, summary, frames = demo
    assert (inbox / summary.bureau_file).is_file()
    files = sorted(str(p.relative_to(inbox)) for folder in ("schools", "uploads")
                   for p in (inbox / folder).rglob("*") if p.is_file())
    assert files == sorted(summary.school_files)
    submitted = frames["school"].set_index("school_code")
    assert len(files) == len(submitted) == SCHOOLS - 1
    uploads = [f for f in files if f.startswith("uploads/")]
    assert len(uploads) == (SCHOOLS - 1) // 4
    for rel in files:
        if rel.startswith("uploads/"):
            assert rel.split("/")[1].rsplit(".", 1)[0] in submitted.index
            continue
        _, township, name = rel.split("/")
        code = name.split("-", 1)[0]
        assert submitted.loc[code, "township"] == township
        assert name.rsplit(".", 1)[0] == f"{code}-{submitted.loc[code, 'name']}"
    suffixes = pd.Series([f.rsplit(".", 1)[1] for f in files]).value_counts()
    assert suffixes.get("xls") == 1 and suffixes.get("ods") == 1
    never = summary.never_submitted
    assert len(never) == 1 and not any(f"/{never[0][0]}-" in f for f in files)


def test_every_mistake_meets_the_outcome_the_summary_promises(demo):
    inbox, summary, _ = demo
    registry = set(build_county(SCHOOLS, 2026, TODAY).frames["registry"]["school_code"])
    expected = {m.file: m for m in summary.mistakes}
    assert len(summary.mistakes) == 11
    assert {m.expected for m in summary.mistakes} == {"row refused", "file refused", "read as usual"}
    for rel in [summary.bureau_file, *summary.school_files]:
        report = check_file(inbox / rel, registry=registry, today=TODAY)
        mistake = expected.get(rel)
        if mistake is None or mistake.expected == "read as usual":
            assert not report.problems, (rel, [p.reason_en for p in report.problems])
        elif mistake.expected == "file refused":
            assert report.refused, rel
        else:
            assert not report.refused
            rows = [(p.sheet, p.row) for p in report.problems]
            assert rows == [(mistake.sheet, mistake.row)], (rel, rows)


def test_workbooks_read_back_as_the_records_the_county_holds(demo):
    """Clean workbooks and those with forgivable habits give exactly the generated records."""
    inbox, summary, frames = demo
    habits = {m.file: m for m in summary.mistakes if m.expected == "read as usual"}
    touched = {m.file for m in summary.mistakes} - set(habits)
    checked = 0
    for rel in summary.school_files:
        if rel in touched:
            continue
        report = check_file(inbox / rel, today=TODAY)
        code = report.school_code
        # A title row or blank rows move records down the sheet, so row numbers differ there.
        with_row_no = rel not in habits
        for sheet in contract.SCHOOL_SHEETS:
            want = frames[sheet.key][frames[sheet.key]["school_code"] == code]
            got = report.rows.get(sheet.key, [])
            assert plain_records(got, sheet.key, with_row_no) == plain_records(want, sheet.key, with_row_no), (
                rel, sheet.key)
        checked += 1
    assert checked == len(summary.school_files) - len(touched)


def test_a_clean_demo_workbook_is_exactly_the_filled_template(demo, tmp_path):
    from sync.template import write_template

    inbox, summary, frames = demo
    touched = {m.file for m in summary.mistakes}
    rel = next(f for f in summary.school_files if f not in touched)
    code = rel.split("/")[-1].split("-")[0]
    records = {s.key: frames[s.key][frames[s.key]["school_code"] == code] for s in contract.SCHOOL_SHEETS}
    assert write_template(tmp_path / "same.xlsx", records=records).read_bytes() == (inbox / rel).read_bytes()


def test_the_bureau_workbook_reads_back_as_registry_and_inspections(demo):
    inbox, summary, frames = demo
    report = check_file(inbox / summary.bureau_file, today=TODAY)
    assert report.kind == "bureau_workbook" and not report.problems
    for key in ("registry", "inspections"):
        assert plain_records(report.rows[key], key) == plain_records(frames[key], key), key


def test_a_rerun_removes_workbooks_an_earlier_demo_left_but_nothing_else(tmp_path):
    inbox = tmp_path / "inbox"
    stale = inbox / "schools" / "東河鄉" / "1410200003-舊的名字小學.xlsx"
    own = inbox / "schools" / "東河鄉" / "說明.txt"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    own.write_text("kept")
    summary = write_demo(inbox, 6, 1, TODAY)
    assert not stale.exists() and own.exists()
    assert summary.removed == ["schools/東河鄉/1410200003-舊的名字小學.xlsx"]


def test_summary_lines_name_every_mistake_and_the_special_schools(demo):
    _, summary, _ = demo
    text = "\n".join(summary.lines())
    for mistake in summary.mistakes:
        assert mistake.file in text
    assert summary.never_submitted[0][0] in text
    assert summary.falsification[0] in text and "弄虛作假" in text
