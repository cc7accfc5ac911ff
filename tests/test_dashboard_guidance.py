"""What a page tells its reader to do next, in the reader's words (found by a UX audit in Chromium).

School pickers in the reader's script, audit details and the inspections' change history as words,
the Accounts page's errors as page instructions (not the CLI's options), no ways to raise the total of a
year already over, a way forward for a school with no workbook, and upload refusals that no corrected
file would get past said as what to do instead.  Each test calls the page's own callbacks.
"""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select, update

from dashboard import queries
from dashboard.i18n import t
from sync import store
from tests.dashboard_fixtures import (
    PASSWORD,
    add_user,
    as_viewer,
    dashboard_on_own_store,
    find_element,
    page_text,
)


@pytest.fixture
def county(tmp_path, monkeypatch):
    """Four schools in a store of the test's own, with the bureau's registry of them: (app, county, engine)."""
    with dashboard_on_own_store(tmp_path, monkeypatch, with_registry=True) as own:
        yield own




# --- 1. school pickers in the reader's script -------------------------------------------------------

def test_school_pickers_of_accounts_inspections_and_exports_name_schools_in_simplified(county):
    """The pickers listed 城關第1學校 to a Simplified reader; the value stays the school code."""
    from dashboard.pages import exports, inspections, users

    app_module, c, _engine = county
    code = c.codes[0]
    simplified = "城关第1学校"
    with as_viewer(app_module, c.users["admin"]):
        pickers = {"users": users.school_choices("zh-Hans"), "inspections": inspections.school_choices("zh-Hans"),
                   "exports": exports.school_choices("zh-Hans")}
        traditional = users.school_choices("zh-Hant")
    for page, options in pickers.items():
        first = next(o for o in options if o["value"] == code)
        assert first["label"] == f"{code} {simplified}", page
        assert not any("學校" in o["label"] for o in options), page
    assert next(o for o in traditional if o["value"] == code)["label"] == f"{code} 城關第1學校"
    with as_viewer(app_module, c.users["school"]):  # a school's export picker: its own code only, as before
        assert exports.school_choices("zh-Hans") == [{"label": code, "value": code}]


# --- 2. audit details and the change history in words ------------------------------------------------

@pytest.mark.parametrize(("lang", "expected", "raw"), [
    ("zh-Hant", "變更：新增；賬號：late；角色：學校安全員", "角色：school"),
    ("zh-Hans", "变更：新增；账号：late；角色：学校安全员", "角色：school"),
    ("en", "change: added; user name: late; role: School safety officer", "role: school"),
])
def test_the_audit_trail_names_roles_and_kinds_of_change_in_the_readers_words(county, lang, expected, raw):
    from dashboard import audit as trail
    from dashboard.pages import audit

    app_module, c, engine = county
    trail.record(engine, "admin", "users", c.codes[0], {"change": "add", "username": "late", "role": "school"})
    trail.record(engine, "admin", "users", None, {"change": "reset-password", "username": "late"})
    with as_viewer(app_module, c.users["admin"]):
        entries, _runs = audit.render_trail(None, lang)
    shown = page_text(entries)
    assert expected in shown and raw not in shown
    assert t("audit.change.reset-password", lang) in shown and "reset-password" not in shown


def test_the_change_history_of_findings_reads_field_before_and_after_as_the_sheet_names_them(county):
    """It showed {"date": ..., "school_code": ...} with the store's English keys."""
    from dashboard.pages import inspections as page
    from sync import inspections

    app_module, c, engine = county
    finding = {"date": f"{c.year}-03-02", "school_code": c.codes[1], "kind": "不定期", "finding": "消防通道堵塞",
               "deduction": 1.5, "falsification": False, "major_incident": False}
    record_id = inspections.save_inspection(engine, finding, by="admin", recompute=False)
    inspections.save_inspection(engine, {**finding, "deduction": 2, "falsification": True}, by="admin",
                                record_id=record_id, recompute=False)
    with as_viewer(app_module, c.users["admin"]):
        shown = {lang: page.render_findings(lang, c.year, None)[2] for lang in ("zh-Hant", "zh-Hans", "en")}
    history = {lang: page_text(tree) for lang, tree in shown.items()}
    # the edit: only what changed, as 「field: before → after」 lines under the 督查記錄 sheet's headers
    assert "扣分: 1.5 → 2\\n弄虛作假: 否 → 是" in history["zh-Hant"]
    assert "扣分: 1.5 → 2\\n弄虚作假: 否 → 是" in history["zh-Hans"]
    assert "deduction: 1.5 → 2\\nfalsification: no → yes" in history["en"]
    # the addition: each field it was given, the school with its name, the kind in the reader's words
    assert f"學校代碼: {c.codes[1]} {c.names[c.codes[1]]}" in history["zh-Hant"] and "發現問題: 消防通道堵塞" in history["zh-Hant"]
    assert "发现问题: 消防通道堵塞" in history["zh-Hans"] and "類型" not in history["zh-Hans"]
    assert "kind: unannounced" in history["en"]
    for text in history.values():
        assert '"school_code"' not in text and "{\\\"date" not in text and '\\"date\\"' not in text
    assert t("audit.change.edit", "zh-Hant") in history["zh-Hant"] and t("audit.change.add", "en") in history["en"]
    cells = [td for tr in shown["zh-Hant"].children[1].children for td in tr.children]
    assert any(getattr(td, "style", None) == {"whiteSpace": "pre-line"} for td in cells)  # the lines show as lines


def test_the_findings_list_says_where_a_workbook_finding_is_and_when_one_found_nothing(county):
    """A UX review: the 來源 cell read "#169 bureau/…" (no line to look up), and an inspection that found
    nothing left its 發現問題 cell empty, which read as missing data."""
    from dashboard.pages import inspections as page
    from sync import inspections

    app_module, c, engine = county
    inspections.save_inspection(engine, {"date": f"{c.year}-03-02", "school_code": c.codes[1], "kind": "定期",
                                         "finding": "", "falsification": False, "major_incident": False},
                                by="admin", recompute=False)
    with as_viewer(app_module, c.users["admin"]):
        listed = {lang: page_text(page.render_findings(lang, c.year, None)[0]) for lang in ("zh-Hant", "en")}
    assert "（未發現問題）" in listed["zh-Hant"] and "(no problem found)" in listed["en"]
    # one that took points off without words is not "no problem found" (a diff review)
    inspections.save_inspection(engine, {"date": f"{c.year}-03-03", "school_code": c.codes[2], "kind": "不定期",
                                         "finding": "", "deduction": 2, "falsification": False,
                                         "major_incident": False}, by="admin", recompute=False)
    with as_viewer(app_module, c.users["admin"]):
        table = page.render_findings("zh-Hant", c.year, None)[0]
    [took] = [row for row in _table_rows(table) if row[0] == f"{c.year}-03-03" and row[1].startswith(c.codes[2])]
    assert "未發現問題" not in " ".join(took) and "2.0" in took
    workbook_rows = [f for f in inspections.list_inspections(engine, c.year) if not f["editable"] and f["row_no"]]
    assert workbook_rows, "the county's bureau workbook holds findings"
    assert f"第{workbook_rows[0]['row_no']}行" in listed["zh-Hant"] and f"row {workbook_rows[0]['row_no']}" in listed["en"]


# --- 3. the Accounts page speaks of the page, not of the command line ---------------------------------

def test_the_accounts_page_says_what_to_do_on_the_page_and_the_cli_keeps_its_options(county):
    from dashboard.pages import users
    from sync.accounts import create_user
    from sync.errors import UserError

    app_module, c, engine = county
    with as_viewer(app_module, c.users["admin"]):
        no_school = page_text(users.add_account(1, "new-school", "school", None, None, "long-enough-1", "en")[0])
        taken = page_text(users.add_account(1, "school1", "school", c.codes[0], None, "long-enough-1", "en")[0])
        taken_hans = page_text(users.add_account(1, "school1", "school", c.codes[0], None, "long-enough-1", "zh-Hans")[0])
        no_role = page_text(users.add_account(1, "new-one", None, None, None, "long-enough-1", "zh-Hant")[0])
    assert "Choose the school of a school account" in no_school and "--school" not in no_school
    assert "請從列表中選擇角色" in no_role and "「」" not in no_role  # was 角色「」不存在 (a review)
    assert "use Reset password below" in taken and "reset-password" not in taken
    assert "请用下方的「重设密码」" in taken_hans
    # the CLI's words stay the CLI's
    with pytest.raises(UserError, match="--school SCHOOL_CODE"):
        create_user(engine, "new-school", "long-enough-1", "school")
    with pytest.raises(UserError, match="use reset-password"):
        create_user(engine, "school1", "long-enough-1", "school", c.codes[0])


# --- 4. a year already over has no "what to do now" --------------------------------------------------

def past_result(c, engine) -> dict:
    from sync.results import annual_results

    return next(r for r in annual_results(engine, c.year - 1, publication="active") if r["school_code"] == c.codes[0])[
        "indicators"]


@pytest.mark.parametrize("lang", ["zh-Hant", "zh-Hans", "en"])
def test_a_past_years_school_page_says_the_year_is_over_instead_of_ways_to_raise_it(county, lang):
    from dashboard.pages import school

    app_module, c, engine = county
    with as_viewer(app_module, c.users["school"]):
        past = school.render_school_page(lang, c.year - 1, c.codes[0])  # published in the fixture
        running = school.render_school_page(lang, c.year, c.codes[0])
    assert find_element(past, "gains-card") is None and find_element(past, "school-gains") is None
    assert t("school.gains_title", lang) not in page_text(past)
    assert page_text(find_element(past, "school-year-over")).count(t("school.year_over_published", lang, year=c.year - 1)) == 1
    assert find_element(running, "gains-card") is not None and find_element(running, "school-year-over") is None
    # nor does its indicator table offer a hint (an audit: 「下一次演練…」 for 2025)
    hints = [row["hint"] for row in school.indicator_rows(past_result(c, engine), lang) if row["hint"]]
    assert hints, "the fixture's past year has hints in its results: the page must be what hides them"
    assert not any(h and h in page_text(past) for h in hints)
    unpublished = school.year_over_note(c.year - 1, {"published": False}, lang)
    assert unpublished.children == t("school.year_over_computed", lang, year=c.year - 1)


# --- 5. a school with no workbook: where to go, and guard hints that fit -------------------------------

def test_a_school_with_no_workbook_is_shown_the_upload_page_and_its_template(county):
    from dashboard.pages import school

    app_module, c, engine = county
    late = add_user(engine, "late", "school", c.not_submitted)
    with as_viewer(app_module, late):
        own = school.render_school_page("zh-Hans", c.year, c.not_submitted)
    with as_viewer(app_module, c.users["admin"]):
        bureau = school.render_school_page("en", c.year, c.not_submitted)
        submitted = school.render_school_page("en", c.year, c.codes[0])
    notice = find_element(own, "school-not-submitted")
    assert find_element(notice, "school-upload-link").href == "/upload"
    template = find_element(notice, "school-template-link").href
    assert template == f"/download/template/{c.not_submitted}"
    assert t("school.not_submitted_how", "zh-Hans") in page_text(notice) and "模板" in page_text(notice)
    # the bureau reads how the school sends one, and gets the school's template, not a link to its own upload
    assert find_element(bureau, "school-upload-link") is None
    assert find_element(find_element(bureau, "school-not-submitted"), "school-template-link").href == template
    assert t("school.not_submitted_bureau", "en") in page_text(bureau)
    assert find_element(submitted, "school-next-steps") is None
    # the link leads to the workbook template, for that school's account
    client = app_module.server.test_client()
    assert client.post("/login", data={"username": "late", "password": PASSWORD}).status_code == 302
    response = client.get(template)
    assert response.status_code == 200 and response.data[:2] == b"PK"


NO_GUARD = {"detail": "評估日無在崗保安", "detail_en": "no guard on duty on the evaluation date"}


def test_guard_hints_of_a_school_with_no_guard_on_record_say_to_record_them(county):
    """「更換超過55周歲的保安」「改由保安公司派遣」 to a school with no guard at all: it has none to replace."""
    from dashboard.pages import school

    app_module, c, engine = county
    code = c.not_submitted
    with engine.begin() as conn:
        row = conn.execute(select(store.scores.c.id, store.scores.c.indicators).where(
            store.scores.c.year == c.year, store.scores.c.school_code == code,
            store.scores.c.kind == "annual")).one()
        indicators = dict(row.indicators)
        indicators["E2"] = {**indicators["E2"], **NO_GUARD, "hint": "改由保安公司派遣保安，不直接聘用社會人員：+2.0",
                            "hint_en": "replace direct hires with company guards: +2.0", "gain": 2.0}
        indicators["E3"] = {**indicators["E3"], **NO_GUARD, "hint": "更換超過55周歲的保安：+2.0",
                            "hint_en": "replace guards over 55: +2.0", "gain": 2.0}
        conn.execute(update(store.scores).where(store.scores.c.id == row.id).values(indicators=indicators))
    queries.clear_caches()
    pages = {}
    with as_viewer(app_module, c.users["admin"]):
        for lang in ("zh-Hant", "zh-Hans", "en"):
            pages[lang] = school.render_school_page(lang, c.year, code)
        with_guards = school.render_school_page("en", c.year, c.codes[0])
    for lang, page in pages.items():
        hints = {row["id"]: row["hint"] for row in find_element(page, "indicator-table").rowData}
        expected = t("school.hint_no_guards", lang) + (": +2.0" if lang == "en" else "：+2.0")
        assert hints["E2"] == hints["E3"] == expected, lang
    en = page_text(pages["en"])
    assert "replace guards over 55" not in en and "replace direct hires" not in en
    assert "更換超過55周歲" not in page_text(pages["zh-Hant"]) and "更换超过55周岁" not in page_text(pages["zh-Hans"])
    # a school with guards on record keeps scoring's own hints
    kept = {row["id"]: row["hint"] for row in find_element(with_guards, "indicator-table").rowData}
    assert t("school.hint_no_guards", "en") not in " ".join(kept.values())


# --- 6. upload refusals no corrected file gets past -----------------------------------------------------

def _upload(upload, year: int, data: bytes, name: str = "mine.xlsx"):
    contents = "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64," + \
        base64.b64encode(data).decode()
    return upload.receive_workbook(contents, name, year)


def _uploading_school(engine, code: str) -> None:
    """The school sends its workbook through the upload page (its source is under uploads/)."""
    with engine.begin() as conn:
        conn.execute(update(store.sources).where(store.sources.c.source_key == f"file:{code}.xlsx").values(
            source_key=f"file:uploads/{code}.xlsx", display_name=f"uploads/{code}.xlsx"))


def _workbook_with_a_bad_drill(engine, code: str, tmp_path) -> bytes:
    """The school's template, pre-filled from the registry, with one drill on a day that does not exist."""
    import pandas as pd

    from dashboard.downloads import registry_entry
    from sync.template import write_template

    path = tmp_path / f"{code}.xlsx"
    write_template(path, school={"school_code": code, **registry_entry(engine, code)}, records={"drills": pd.DataFrame(
        [{"date": "2026-13-40", "kind": "疏散", "has_plan": True, "classes": 10, "signed_classes": 10}])})
    return path.read_bytes()


def test_a_typo_in_the_schools_own_code_is_told_to_check_the_code_not_called_another_schools(county, tmp_path):
    """Found by an audit: the school's own workbook with a digit dropped from its code was headed "this is
    not your school's workbook"; it is refused by the registry's problem, which says to check the code."""
    from dashboard.pages import upload

    app_module, c, engine = county
    own = c.codes[0]
    _uploading_school(engine, own)
    data = _workbook_with_a_bad_drill(engine, own, tmp_path)
    (tmp_path / "typo.xlsx").write_bytes(data)
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "typo.xlsx")
    sheet = wb["學校概況"]
    row = next(r for r in range(1, 10) if str(sheet.cell(r, 1).value or "") == own)
    sheet.cell(row, 1).value = own[:-1]
    wb.save(tmp_path / "typo.xlsx")
    with as_viewer(app_module, c.users["school"]):
        outcome = _upload(upload, c.year, (tmp_path / "typo.xlsx").read_bytes())
        text = page_text(upload.show_outcome(outcome, "en"))
    assert outcome["status"][0] == "upload.refused" and "check the code" in text
    assert t("upload.refused_not_own", "en", code=own[:-1]) not in text


def test_another_schools_workbook_is_refused_with_what_to_do_and_none_of_its_rows(county, tmp_path):
    from dashboard.downloads import annotated_path
    from dashboard.pages import upload
    from sync.report import check_file

    app_module, c, engine = county
    own, other = c.codes[0], c.codes[1]
    _uploading_school(engine, own)
    data = _workbook_with_a_bad_drill(engine, other, tmp_path)
    (tmp_path / "check.xlsx").write_bytes(data)
    assert any(p.sheet == "應急演練" for p in check_file(tmp_path / "check.xlsx").row_problems)  # the other school's row
    with as_viewer(app_module, c.users["school"]):
        outcome = _upload(upload, c.year, data)
        shown = {lang: upload.show_outcome(outcome, lang) for lang in ("zh-Hant", "zh-Hans", "en")}
    for lang, out in shown.items():
        text = page_text(out)
        assert t("upload.refused_not_own", lang, code=other) in page_text(find_element(out, "upload-status"))
        assert t("upload.refused", lang) not in text  # not "fix what the table lists and upload it again"
        assert find_element(out, "upload-annotated") is None
        # the table gives the reason alone, none of the other school's rows
        assert len(find_element(out, "upload-problems").children[1].children) == 1
        assert "演練日期" not in text and "演练日期" not in text and "2026-13-40" not in text
    assert "不是本校代碼" in page_text(shown["zh-Hant"])
    assert not annotated_path(own).exists()  # no marked-up copy of the other school's file was kept


def test_a_school_on_the_shared_folder_is_told_to_update_that_file_not_to_upload_again(county):
    from dashboard.downloads import annotated_path, template_bytes
    from dashboard.pages import upload

    app_module, c, engine = county
    own = c.codes[0]  # the fixture's schools send their workbooks through the shared folder (file:S0001.xlsx)
    annotated_path(own).parent.mkdir(parents=True, exist_ok=True)
    annotated_path(own).write_bytes(b"the marked-up copy of an earlier upload")
    with as_viewer(app_module, c.users["school"]):
        outcome = _upload(upload, c.year, template_bytes(engine, own))
        en = upload.show_outcome(outcome, "en")
        hant = upload.show_outcome(outcome, "zh-Hant")
    banner = page_text(find_element(en, "upload-status"))
    assert t("upload.refused_shared", "en", file=f"{own}.xlsx") in banner and "shared folder" in banner
    assert t("upload.refused", "en") not in page_text(en) and "upload it again" not in banner
    assert "請更新共享文件夾中的該文件" in page_text(find_element(hant, "upload-status"))
    assert find_element(en, "upload-problems") is None and find_element(en, "upload-annotated") is None
    # an upload of the school's own, refused for a row: the table and the marked-up copy as before
    from sync.report import FileReport
    from sync.validate import Problem

    report = FileReport("mine.xlsx")
    report.problems = [Problem("file", "應急演練", None, None, None, "缺少欄", "a column is missing")]
    ordinary = upload._outcome(report, annotated=True, year=c.year, school_code=own)
    with as_viewer(app_module, c.users["school"]):
        out = upload.show_outcome(ordinary, "en")
    assert t("upload.refused", "en") in page_text(out) and find_element(out, "upload-problems") is not None
    assert find_element(out, "upload-annotated") is not None


def test_a_school_on_the_shared_folder_is_told_so_before_it_picks_a_file(county):
    """It learnt that uploads are refused only after uploading (found by an audit)."""
    from dashboard.pages import upload

    app_module, c, _engine = county
    own = c.codes[0]  # sends file:S0001.xlsx through the shared folder
    with as_viewer(app_module, c.users["school"]):
        shown = {lang: page_text(upload.shared_folder_note(lang)) for lang in ("zh-Hant", "zh-Hans", "en")}
    assert t("upload.sends_shared", "en", file=f"{own}.xlsx") in shown["en"]
    assert "請更新共享文件夾中的該文件" in shown["zh-Hant"] and "请更新共享文件夹中的该文件" in shown["zh-Hans"]


def test_a_school_with_an_upload_and_a_shared_folder_file_is_told_the_bureau_must_remove_one(county):
    """An upload audit: a workbook put in the shared folder after an upload, the sync refused both as two
    files of one school, and the page told the school to "update that file there", which loads nothing while
    both are there; every upload was refused besides.  Both notes now say the bureau must remove one."""
    from datetime import datetime

    from dashboard.downloads import template_bytes
    from dashboard.pages import upload
    from sync.store import sources

    app_module, c, engine = county
    own = c.codes[0]  # sends file:S0001.xlsx through the shared folder
    with engine.begin() as conn:
        conn.execute(sources.insert().values(source_key=f"file:uploads/{own}.xlsx", kind="school_workbook",
                                             status="refused", school_code=own, loaded_at=datetime(2026, 11, 30)))
    with as_viewer(app_module, c.users["school"]):
        note = {lang: page_text(upload.shared_folder_note(lang)) for lang in ("zh-Hant", "en")}
        outcome = _upload(upload, c.year, template_bytes(engine, own))
        banner = page_text(find_element(upload.show_outcome(outcome, "en"), "upload-status"))
    assert t("upload.two_files", "en", file=f"{own}.xlsx") in note["en"] and "update that file there" not in note["en"]
    assert "請聯繫教體局安全辦刪除其中一份" in note["zh-Hant"]
    assert t("upload.refused_two_files", "en", file=f"{own}.xlsx") in banner, banner


def test_what_a_file_over_the_limit_is_told_in_the_browser_follows_the_language_switch(county):
    """assets/34-upload-size.js puts the file's size in this template when it refuses to send the file."""
    from dashboard.pages import upload

    label, template = upload.drop_label("en")
    assert template == "The file is {size} MB, over the 10 MB limit; nothing was uploaded. Remove extra sheets or " \
                       "pictures and try again." and "10 MB" in label
    assert upload.drop_label("zh-Hans")[1].startswith("文件 {size} MB 超过上限 10 MB")


def test_a_school_that_uploads_is_not_told_about_the_shared_folder(county):
    """...but is told which workbook its records come from now."""
    from dashboard.pages import upload

    app_module, c, engine = county
    _uploading_school(engine, c.codes[0])
    with as_viewer(app_module, c.users["school"]):
        note = upload.shared_folder_note("zh-Hant")
    assert "共享" not in page_text(note) and "shared" not in page_text(note)
    # what it has now, before it picks a file (a UX review: the page said nothing of the current workbook)
    with engine.connect() as conn:
        rows = conn.execute(select(store.sources.c.rows).where(
            store.sources.c.source_key == f"file:uploads/{c.codes[0]}.xlsx")).scalar_one()
    current = page_text(find_element(note, "upload-current"))
    assert f"本校目前的工作簿：uploads/{c.codes[0]}.xlsx（導入於 " in current and f"，{rows} 行）" in current


def test_an_english_reader_gets_the_sheet_and_column_in_english_beside_the_workbooks_own(county):
    """The English report showed 應急演練 / 參演人數 alone (found by an audit); the Chinese stays, as the
    tab and the header the school looks for say it."""
    from dashboard.pages import upload
    from sync.validate import Problem

    problem = Problem("row", "應急演練", 3, "參演班級數", "-2", "不能小於 0", "cannot be below 0",
                      sheet_key="drills", column_key="classes", col_no=6)
    stranger = Problem("file", "備註", None, "說明", None, "多餘的表", "an extra sheet")
    plain = upload._plain([problem, stranger])
    english = page_text(upload.problems_table(plain, "en"))
    assert "應急演練 (Emergency drills)" in english and "參演班級數 (participating classes)" in english
    assert "備註" in english and "備註 (" not in english  # no English name to give
    hans = page_text(upload.problems_table(plain, "zh-Hans"))
    assert "应急演练" in hans and "Emergency drills" not in hans


# --- 7. a Simplified reason quotes the cell as the workbook holds it ----------------------------------

UNDATED = {"level": "row", "sheet": "應急演練", "row": 3, "row_no": 3, "column": "演練日期", "value": "上週三",
           "reason_zh": "「上週三」不是日期，請寫成 2026-03-05 或 2026年3月5日",
           "reason_en": "'上週三' is not a date; write it like 2026-03-05 or 2026年3月5日",
           "sheet_key": "drills", "column_key": "date"}


def test_a_simplified_reason_converts_its_words_but_not_the_quoted_cell(county):
    """The 简 report read 「「上周三」不是日期」 beside a cell holding 上週三 (found by an audit): the officer
    searching the workbook for 上周三 finds nothing.  The words around the quote are still Simplified, and
    so are the sheet names and Excel's menu words it quotes besides the cell (a regression audit:
    缺少工作表「應急演練」…(应急演练), 「常規」 where a Simplified Excel says 常规)."""
    from dashboard.i18n import bilingual_text, to_language_keeping_cell
    from dashboard.pages import school, upload

    assert to_language_keeping_cell(UNDATED["reason_zh"], "zh-Hans", "上週三") == "「上週三」不是日期，请写成 2026-03-05 或 2026年3月5日"
    assert to_language_keeping_cell(UNDATED["reason_zh"], "zh-Hant", "上週三") == UNDATED["reason_zh"]
    menus = "「一萬元」不是數字；請在「常規」或「數值」格式下填寫「保安人員」表"
    assert to_language_keeping_cell(menus, "zh-Hans", "一萬元") == "「一萬元」不是数字；请在「常规」或「数值」格式下填写「保安人员」表"
    assert to_language_keeping_cell(menus, "zh-Hans", None) == "「一万元」不是数字；请在「常规」或「数值」格式下填写「保安人员」表"
    uploaded = page_text(upload.problems_table([UNDATED], "zh-Hans"))
    missing_sheet = {**UNDATED, "level": "file", "row": None, "row_no": None, "column": None, "value": None,
                     "reason_zh": "缺少工作表「應急演練」，請按模板補上", "column_key": None}
    state = {"last_run": None, "sources": [{"status": "refused", "loaded_at": None, "rows": 0, "display_name": "S1.xlsx",
                                            "source_key": "file:S1.xlsx", "message": "缺少工作表「應急演練」"}],
             "refused_total": 2, "refused": [UNDATED, missing_sheet]}
    on_school_page = page_text(school.data_state_view(state, "zh-Hans"))
    for shown in (uploaded, on_school_page):
        assert "「上週三」不是日期，请写成" in shown and "上周三" not in shown
    assert "「應急演練」" not in on_school_page and "缺少工作表「应急演练」，请按模板补上" in on_school_page
    # the audit page's sync messages (a refusal's reasons) alike
    assert bilingual_text("缺少工作表「應急演練」，請按模板補上", "zh-Hans") == "缺少工作表「应急演练」，请按模板补上"


# --- 8. the school page names a refused row's sheet and column as the upload report does ----------------

def test_an_english_school_page_names_refused_rows_sheet_and_column_as_the_upload_report_does(county):
    """The upload report says 「保安人員 (Security guards)」 / 「出生日期 (birth date)」; the school page's
    list of the same rows said 保安人員 / 出生日期 alone to an English reader (found by an audit)."""
    from dashboard.pages import school

    app_module, c, _engine = county
    with as_viewer(app_module, c.users["school"]):
        state = queries.data_state(queries.scope_viewer(c.users["school"]), c.codes[0])  # the fixture's two rows
    guards = next(r for r in state["refused"] if r["sheet"] == "保安人員")
    assert (guards["sheet_key"], guards["column_key"]) == ("guards", "birth_date")
    rows = {r["sheet"]: r for r in find_element(school.data_state_view(state, "en"), "refused-table").rowData}
    assert rows["保安人員 (Security guards)"]["column"] == "出生日期 (birth date)"
    assert rows["應急演練 (Emergency drills)"]["column"].startswith("演練日期 (")
    hans = {r["sheet"]: r["column"] for r in find_element(school.data_state_view(state, "zh-Hans"), "refused-table").rowData}
    assert hans == {"保安人员": "出生日期", "应急演练": "演练日期"}


# --- 9. a workbook the school replaced is not a file lost ----------------------------------------------

def test_a_workbook_replaced_by_the_schools_new_one_is_shown_as_replaced_not_as_records_deleted(county):
    """After uploads/CODE.xlsx replaced uploads/CODE.ods, the data state showed the .ods as 文件缺失 with
    「文件已不在收件夾中,其記錄已刪除」 in red: to the officer, data lost (found by an audit).  A file gone
    with nothing else of the school loaded still says so."""
    from datetime import datetime

    from dashboard.pages import school

    app_module, c, engine = county
    gone = {"kind": "school_workbook", "status": "missing", "rows": 0, "message": "文件已不在收件夾中,其記錄已刪除",
            "first_seen_at": datetime(2026, 1, 5), "last_seen_at": datetime(2026, 1, 5)}
    with engine.begin() as conn:
        conn.execute(store.sources.insert().values(source_key=f"file:uploads/{c.codes[0]}.ods", school_code=c.codes[0],
                                                   display_name=f"uploads/{c.codes[0]}.ods", **gone))
        conn.execute(update(store.sources).where(store.sources.c.school_code == c.codes[1]).values(**gone))
    queries.clear_caches()
    with as_viewer(app_module, c.users["admin"]):
        replaced = page_text(find_element(school.render_school_page("zh-Hant", c.year, c.codes[0]), "data-state"))
        lost = page_text(find_element(school.render_school_page("zh-Hant", c.year, c.codes[1]), "data-state"))
    assert t("data.replaced", "zh-Hant", file=f"{c.codes[0]}.xlsx") in replaced
    assert "其記錄已刪除" not in replaced and t("data.status.missing", "zh-Hant") not in replaced
    assert "其記錄已刪除" in lost and t("data.status.missing", "zh-Hant") in lost


# --- 10. what to do first: a refused workbook, no workbook, a disqualified school ------------------------

def _refuse_upload(engine, code: str) -> None:
    """The school's uploaded workbook refused whole for a missing sheet (with a bad row beside it)."""
    with engine.begin() as conn:
        conn.execute(update(store.sources).where(store.sources.c.school_code == code).values(
            source_key=f"file:uploads/{code}.xlsx", display_name=f"uploads/{code}.xlsx", status="refused",
            message="缺少工作表「應急演練」，請按模板補上", rows=0, loaded_at=None))
        source = conn.execute(select(store.sources.c.source_id).where(store.sources.c.school_code == code)).scalar_one()
        conn.execute(store.rejected_rows.insert(), [
            {"source_id": source, "school_code": code, "level": "file", "sheet": "應急演練", "row_no": None,
             "column": None, "value": None, "reason_zh": "缺少工作表「應急演練」，請按模板補上", "reason_en": "the sheet 應急演練 is missing; add it as the template has it"},
            {"source_id": source, "school_code": code, "level": "file", "sheet": "學校概況", "row_no": 2,
             "column": "學校代碼", "value": "", "reason_zh": "學校代碼「」為空", "reason_en": "the school code is empty"},
            {"source_id": source, "school_code": code, "level": "row", "sheet": "保安人員", "row_no": 4,
             "column": "出生日期", "value": "上週三", "reason_zh": "「上週三」不是日期", "reason_en": "'上週三' is not a date"}])
    queries.clear_caches()


def test_a_refused_workbook_puts_its_reasons_and_send_it_again_first_and_no_advice_for_an_empty_school(county):
    """Found by an audit: a school whose workbook was refused for one missing sheet read 「E1 填報校區及保安
    人員 +5」 and 31 hints for a school with no records (they are all in the refused file); why it was refused
    was in the last card of the page.  The reasons go in the notice at the top, with the way to send it again."""
    from dashboard.pages import school

    app_module, c, engine = county
    code = c.not_submitted
    _refuse_upload(engine, code)
    officer = add_user(engine, "refused", "school", code)
    with as_viewer(app_module, officer):
        own = school.render_school_page("zh-Hant", c.year, code)
        indicators = queries.school_result(officer, code, c.year)["indicators"]
    with as_viewer(app_module, c.users["admin"]):
        bureau = school.render_school_page("en", c.year, code)
    notice = find_element(own, "school-not-submitted")
    reasons = [li.children for li in find_element(notice, "school-refusal-reasons").children]
    assert reasons == ["缺少工作表「應急演練」，請按模板補上", "學校概況 · 學校代碼：學校代碼「」為空"]
    assert t("school.refused_not_loaded", "zh-Hant") in page_text(notice)
    assert find_element(notice, "school-upload-link").href == "/upload"
    english = find_element(bureau, "school-not-submitted")
    assert "學校概況 (School) · 學校代碼 (school code): the school code is empty" in page_text(english)
    assert "the sheet 應急演練 is missing" in page_text(english)
    assert find_element(bureau, "school-upload-link") is None  # the bureau cannot upload for the school
    # no gains, and no hints in the table, for the records the school did send
    for page, lang in ((own, "zh-Hant"), (bureau, "en")):
        assert find_element(page, "gains-card") is None and t("school.gains_title", lang) not in page_text(page)
        assert find_element(page, "todo-card") is None  # its drills may be in the refused file (regression audit)
        hints = [row["hint"] for row in school.indicator_rows(indicators, lang) if row["hint"]]
        assert hints and not any(h in page_text(page) for h in hints)


def test_a_school_with_no_workbook_reads_send_it_first_above_its_biggest_gains(county):
    from dashboard.pages import school

    app_module, c, _engine = county
    with as_viewer(app_module, c.users["admin"]):
        late = find_element(school.render_school_page("zh-Hans", c.year, c.not_submitted), "gains-card")
        sent = find_element(school.render_school_page("zh-Hans", c.year, c.codes[0]), "gains-card")
    body = late.children[1]["props"]["children"]  # the card's body: what comes first, then the gains
    assert body[0].id == "school-gains-send" and body[0].children == t("school.gains_send_workbook", "zh-Hans")
    # 學校, not 本校: the bureau reads it too (regression audit)
    assert "首先提交学校工作簿" in body[0].children and body[-1].id == "school-gains"
    assert find_element(sent, "school-gains-send") is None


@pytest.mark.parametrize("lang, grade", [("zh-Hant", "不合格"), ("zh-Hans", "不合格"), ("en", "Fail")])
def test_a_disqualified_schools_gains_say_the_grade_stays_fail_and_the_points_are_for_its_reference(county, lang, grade):
    """白水鄉中心幼兒園 (vetoed: 弄虛作假) read 「E1 保安配備人數 +5 分」 with nothing saying that its grade stays
    不合格 and it stays unranked this year whatever it adds (found by an audit)."""
    from dashboard.pages import school

    app_module, c, _engine = county
    with as_viewer(app_module, c.users["admin"]):
        vetoed = school.render_school_page(lang, c.year, c.disqualified)
        qualified = school.render_school_page(lang, c.year, c.codes[0])
    line = find_element(find_element(vetoed, "gains-card"), "school-gains-disqualified")
    assert line.children == t("school.gains_disqualified", lang, grade=grade)
    assert grade in line.children and find_element(vetoed, "school-gains") is not None
    assert find_element(qualified, "school-gains-disqualified") is None
    # its card's title does not promise to raise a total that stays 不合格 (regression audit)
    assert t("school.gains_title_reference", lang) in page_text(vetoed) and t("school.gains_title", lang) not in page_text(vetoed)
    assert t("school.gains_title", lang) in page_text(qualified)


# --- 11. what a busy reader stumbled on in a walk of the demo county in Chromium (UX walk) ----------------

@pytest.mark.parametrize(("lang", "circular", "own_table", "cli"), [
    ("zh-Hant", "內容：通報", "內容：學校指標明細", "途徑：命令列"),
    ("zh-Hans", "内容：通报", "内容：学校指标明细", "途径：命令行"),
    ("en", "what: circular", "what: school's indicator table", "via: command line"),
])
def test_the_audit_trail_says_what_was_exported_and_how_it_was_published_in_the_readers_words(
        county, lang, circular, own_table, cli):
    """The trail read 「內容: circular」「內容: school」「途徑: cli」 on the Chinese page: the words the code
    stores, as 「角色: school」 did before."""
    from dashboard import audit as trail
    from dashboard.pages import audit

    app_module, c, engine = county
    trail.record(engine, "leader", "export", None, {"what": "circular", "year": c.year, "format": "xlsx", "draft": True})
    trail.record(engine, "leader", "export", c.codes[0], {"what": "school", "year": c.year, "format": "csv", "draft": True})
    trail.record(engine, "admin", "publish", None, {"year": c.year, "version": 1, "force": False, "via": "cli"})
    with as_viewer(app_module, c.users["admin"]):
        entries, _runs = audit.render_trail(None, lang)
    shown = page_text(entries)
    assert circular in shown and own_table in shown and cli in shown
    assert lang == "en" or not any(word in shown for word in ("circular", "school", ": cli"))


def test_a_simplified_data_state_says_imported_as_its_badge_does(county):
    """The 简 school page read 「已导入 uploads/S1.xlsx 载入于 …」: two words for one thing, the badge's
    导入 and the line's 载入 (繁: 已導入 … 導入於)."""
    from datetime import datetime

    from dashboard.pages import school

    state = {"last_run": None, "refused_total": 0, "refused": [],
             "sources": [{"status": "loaded", "loaded_at": datetime(2026, 12, 1, 3, 47), "rows": 244,
                          "display_name": "uploads/S1.xlsx", "source_key": "file:uploads/S1.xlsx", "message": None}]}
    shown = page_text(school.data_state_view(state, "zh-Hans"))
    assert "已导入" in shown and "导入于 2026-12-01 03:47，244 行" in shown and "载入" not in shown


def test_an_upload_loaded_with_refused_rows_says_to_fix_them_and_upload_again(county):
    """「工作簿已導入，但有 3 行未被接受（見下表），其餘記錄已計分。」 said what happened, not what to do: the
    refused rows (a drill among them) count for nothing until the workbook comes again with them fixed."""
    from dashboard.pages import upload
    from sync.report import FileReport
    from sync.validate import Problem

    app_module, c, _engine = county
    report = FileReport("mine.xlsx")
    report.problems = [Problem("row", "應急演練", 12, "演練日期", "2026年13月5日", "「2026年13月5日」這一天不存在",
                               "'2026年13月5日' is not a real calendar day")]
    outcome = upload._outcome(report, annotated=True, year=c.year, school_code=c.codes[0])
    with as_viewer(app_module, c.users["school"]):
        banners = {lang: page_text(find_element(upload.show_outcome(outcome, lang), "upload-status"))
                   for lang in ("zh-Hant", "zh-Hans", "en")}
    assert "修改後重新上傳" in banners["zh-Hant"] and "不計分" in banners["zh-Hant"]
    assert "修改后重新上传" in banners["zh-Hans"]
    assert "upload the workbook again" in banners["en"] and "count for nothing" in banners["en"]


def test_a_school_is_not_offered_a_school_picker_it_cannot_use_on_the_exports_page(county):
    """A school's officer saw 「選擇學校」 over a greyed-out list holding its own code: a control that does
    nothing.  The bureau keeps its picker."""
    from dashboard.pages import exports

    app_module, c, _engine = county
    with as_viewer(app_module, c.users["school"]):
        school_page = exports.layout()
    with as_viewer(app_module, c.users["admin"]):
        bureau_page = exports.layout()
    assert find_element(school_page, "exp-school-picker").hidden is True
    assert find_element(school_page, "exp-school").value == c.codes[0]  # the links still follow its own code
    assert not find_element(bureau_page, "exp-school-picker").hidden


def test_the_accounts_list_names_its_columns_and_each_schools_name(county):
    """The list's headers were the form's labels, 「姓名（可選）」「學校（學校賬號）」, and a school account's
    school was its code alone."""
    from dashboard.pages import users

    app_module, c, _engine = county
    with as_viewer(app_module, c.users["admin"]):
        shown = {lang: page_text(users.render_accounts(lang, None, None)[0]) for lang in ("zh-Hant", "zh-Hans", "en")}
    assert "（可選）" not in shown["zh-Hant"] and "（學校賬號）" not in shown["zh-Hant"]
    assert "（可选）" not in shown["zh-Hans"] and "(optional)" not in shown["en"] and "(school accounts)" not in shown["en"]
    school = c.users["school"].school_code
    assert f"{school} {c.names[school]}" in shown["zh-Hant"]


def test_an_account_of_a_school_no_longer_in_the_registry_is_marked_in_the_accounts_list(county):
    """A school closed or merged leaves the registry; its account stayed active, listed by its bare code
    like any other, with nothing to tell the admin to disable it."""
    from dashboard.pages import users
    from sync.accounts import create_user

    app_module, c, engine = county
    create_user(engine, "closed-school", "a-password-of-some-length", "school", "9999999999")
    with as_viewer(app_module, c.users["admin"]):
        shown = {lang: page_text(users.render_accounts(lang, None, None)[0]) for lang in ("zh-Hant", "en")}
    assert "9999999999（不在學校名冊中，可停用此賬號）" in shown["zh-Hant"], shown["zh-Hant"]
    assert "9999999999 (not in the registry: the account may be disabled)" in shown["en"]
    school = c.users["school"].school_code
    assert f"{school} {c.names[school]}" in shown["zh-Hant"] and shown["zh-Hant"].count("不在學校名冊中") == 1


def test_a_schools_to_dos_say_first_that_rows_of_its_workbook_were_refused_and_where_to_see_why(county):
    """After an upload with a mistyped drill date the to-dos read 「本期（2026-Q4）的應急演練尚未舉行」 while
    the drill was in the refused row, whose reason was in the last card of a 4,000 px page.  The to-dos say
    first that rows were refused, that they count for nothing until fixed, and link to the list."""
    from dashboard.pages import school

    app_module, c, _engine = county
    code = c.codes[0]  # the fixture refused two of its rows (a guard's birth date, a drill's date)
    with as_viewer(app_module, c.users["school"]):
        pages = {lang: school.render_school_page(lang, c.year, code) for lang in ("zh-Hant", "zh-Hans", "en")}
        other = school.render_school_page("zh-Hant", c.year, c.codes[2])
    todos = {lang: find_element(page, "school-todos") for lang, page in pages.items()}
    first = {lang: page_text(found.children[0]) for lang, found in todos.items()}
    assert "本校工作簿有 2 行未被接受" in first["zh-Hant"] and "修改前不計分" in first["zh-Hant"]
    assert "本校工作簿有 2 行未被接受" in first["zh-Hans"] and "修改前不计分" in first["zh-Hans"]
    assert "2 rows of your workbook were refused" in first["en"]
    assert all('"href": "#data-state"' in text for text in first.values())
    assert find_element(pages["zh-Hant"], "data-state") is not None  # where the link leads
    assert "行未被接受" not in page_text(find_element(other, "todo-card"))  # a school with none refused


def test_the_audit_trail_and_the_account_controls_say_what_they_are(county):
    """A UX review: the audit page's trail began with a bare 「全部操作」 dropdown under no heading, and the
    Accounts page's second card (disable, enable, reset) had no heading or word on what it acts on."""
    from dashboard.pages import audit, users

    app_module, c, _engine = county
    with as_viewer(app_module, c.users["admin"]):
        trail, accounts = page_text(audit.layout()), page_text(users.layout())
    assert "操作記錄" in trail and "按操作篩選" in trail
    assert "修改所選賬號" in accounts and "先在左邊選擇賬號" in accounts


def _table_rows(table) -> list[list[str]]:
    """The rows of a text_table (an AG Grid's rowData or an html table) as lists of cell texts."""
    grid = find_element(table, "insp-table")
    if getattr(grid, "rowData", None) is not None:
        return [[str(v) for v in row.values()] for row in grid.rowData]
    return [[str(td.children) for td in tr.children] for tr in grid.children[1].children]


def test_the_upload_page_says_a_refused_workbooks_earlier_records_still_count(county):
    """A refused workbook keeps the records loaded before it, which the score counts (sync.load): the upload
    page said "no workbook of the school has been loaded yet" (a diff review)."""
    from dashboard.pages import upload

    app_module, c, engine = county
    _uploading_school(engine, c.codes[0])
    with engine.begin() as conn:
        conn.execute(update(store.sources).where(store.sources.c.source_key == f"file:uploads/{c.codes[0]}.xlsx")
                     .values(status="refused", message="缺少工作表「應急演練」"))
    with as_viewer(app_module, c.users["school"]):
        current = page_text(find_element(upload.shared_folder_note("zh-Hant"), "upload-current"))
    assert f"本校最近提交的工作簿 uploads/{c.codes[0]}.xlsx 被拒收；得分仍按此前導入的記錄計算（導入於 " in current
    assert "還沒有導入成功" not in current


def test_the_upload_page_does_not_promise_records_a_removed_file_took_with_it(county):
    """A file taken out of the inbox lost its records (rows 0) and kept the day it was loaded; sent again and
    refused, the page said the score "still counts the records loaded before" (a review).  It has none."""
    from dashboard.pages import upload

    app_module, c, engine = county
    _uploading_school(engine, c.codes[0])
    with engine.begin() as conn:
        conn.execute(update(store.sources).where(store.sources.c.source_key == f"file:uploads/{c.codes[0]}.xlsx")
                     .values(status="refused", rows=0))
    with as_viewer(app_module, c.users["school"]):
        current = page_text(find_element(upload.shared_folder_note("zh-Hant"), "upload-current"))
    assert "仍按此前導入的記錄計算" not in current and "還沒有導入成功的工作簿" in current


# --- the navbar says whose account is signed in ---------------------------------------------------------

def test_a_school_log_in_without_a_name_of_its_own_is_named_by_its_school_in_the_readers_script(county):
    """A school's log-in is often its code (the demo's are): the navbar said 1410200989 · 學校 to the officer.
    It names the school as the registry does, in Simplified for a Simplified reader, marked as Chinese on an
    English page; an account's own name still comes first, and the bureau's log-ins are named as before."""
    from dashboard import layout

    app_module, c, engine = county
    code = c.codes[1]
    bare = add_user(engine, code, "school", code)
    named = add_user(engine, "officer", "school", code, display_name="王安全")
    name = c.names[code]  # 東河第2學校, as the registry writes it
    assert name.endswith("第2學校")
    with as_viewer(app_module, bare):
        assert find_element(layout.shell(), "viewer-name").children == name
        assert find_element(layout.shell(), "viewer-name").title == code
        assert layout.name_viewer("zh-Hans") == name.replace("學", "学").replace("東", "东").replace("關", "关")
        english = layout.name_viewer("en")
        assert (english.children, english.lang) == (name, "zh-Hant")
    with as_viewer(app_module, named):
        assert layout.name_viewer("zh-Hant") == "王安全"
    with as_viewer(app_module, c.users["leader"]):
        assert layout.name_viewer("zh-Hant") == "leader"
