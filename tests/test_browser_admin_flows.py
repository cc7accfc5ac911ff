"""Each role in a real browser: a school uploads, the office publishes and exports, a leader exports.

gunicorn (what `safeschool serve` runs, two workers) serves a small county
loaded the real way: a bureau workbook in the inbox, a sync, the scores.
Downloads are saved and opened again with openpyxl and python-docx.  Any
console error, failed request, HTTP error or JavaScript dialog (a <script>
in a school name that ran) fails the test.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from docx import Document
from playwright.sync_api import expect

from sync.settings import county_today
from tests.browser_support import Watch, dashboard_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "<script>alert(1)</script>"
SCHOOLS = [
    {"school_code": "S001", "name": "第一中學", "type": "初中", "township": "城關鎮"},
    {"school_code": "S002", "name": HOSTILE, "type": "小學", "township": "東鄉"},
    {"school_code": "S003", "name": "=1+2 小學", "type": "小學", "township": "西鄉"},
]
ACCOUNTS = {"admin": ("boss", "admin-pass-1"), "leader": ("chief", "leader-pass-1"), "school": ("S001", "school-pass-1")}
YEAR = county_today().year  # the year the served dashboard runs in: the machine's (UTC) lags on 31 Dec



def _county(folder: Path) -> str:
    """Three registered schools (one named like a script, one like a formula), synced and scored."""
    from sync import results
    from sync.accounts import create_user
    from sync.load import run_sync
    from sync.migrate import upgrade
    from sync.store import make_engine
    from sync.template import write_bureau_workbook

    url = f"sqlite:///{folder / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    inbox = folder / "inbox"
    inbox.mkdir()
    write_bureau_workbook(inbox / "bureau.xlsx", pd.DataFrame(SCHOOLS), pd.DataFrame(
        columns=["date", "school_code", "kind", "finding", "deduction", "falsification", "major_incident",
                 "indicator", "assessed_points"]))
    summary = run_sync(engine, inbox, sql_sources=[], recompute=False)
    assert summary.status == "ok", summary
    results.recompute(engine, years=[YEAR])
    create_user(engine, *ACCOUNTS["admin"], "admin")
    create_user(engine, *ACCOUNTS["leader"], "leader")
    create_user(engine, *ACCOUNTS["school"], "school", "S001")
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-admin")
    url = _county(folder)
    with dashboard_server(url, folder / "inbox", "browser-admin-secret-of-32-characters-or-more") as base:
        yield {"base": base, "folder": folder, "url": url}


def _login(browser, base: str, role: str):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{base}/login")
    page.fill("#username", ACCOUNTS[role][0])
    page.fill("#password", ACCOUNTS[role][1])
    page.click("#login-button")
    page.wait_for_selector(".navbar")
    return page, watch


def _download(page, selector: str) -> bytes:
    with page.expect_download() as info:
        page.click(selector)
    return Path(info.value.path()).read_bytes()


def _bad_workbook(folder: Path, template: bytes) -> Path:
    """The school's downloaded template, filled with one good drill and one on a day that does not exist."""
    from sync.template import write_template

    book = openpyxl.load_workbook(io.BytesIO(template))
    assert any(c.value == "S001" for sheet in book.worksheets for row in sheet.iter_rows() for c in row)
    drills = pd.DataFrame([
        # dated today: a day of the running year already come, whatever day the suite runs (5 March was
        # in the future, and refused, all January and February)
        {"date": county_today().isoformat(), "campus": "本部", "kind": "消防疏散", "has_plan": "是", "evaluation": "良好",
         "classes": 10, "signed_classes": 10, "participants": 400},
        {"date": f"{YEAR}-13-45", "campus": "本部", "kind": "地震", "has_plan": "是", "evaluation": "良好",
         "classes": 10, "signed_classes": 10, "participants": 400},
    ])
    return write_template(folder / "S001-filled.xlsx", school={**SCHOOLS[0], "boarding": "否"}, records={"drills": drills})


def test_a_school_downloads_its_template_uploads_and_sees_the_report(server, browser, tmp_path):
    page, watch = _login(browser, server["base"], "school")
    assert page.locator("#nav-users").count() == 0 and page.locator("#nav-publish").count() == 0
    page.click("#nav-upload")
    page.wait_for_selector("#upload-template")
    template = _download(page, "#upload-template")
    upload = _bad_workbook(tmp_path, template)
    # What Tab reaches is the unseen file input: a screen reader names it by the drop zone's words
    expect(page.get_by_label("拖放或點擊選擇工作簿", exact=False)).to_have_attribute("type", "file")
    page.set_input_files("#upload-workbook input[type=file]", str(upload))
    page.wait_for_selector("#upload-status", timeout=30_000)
    assert "1 行未被接受" in page.inner_text("#upload-status")
    assert "2026-13-45".replace("2026", str(YEAR)) in page.inner_text("#upload-problems")
    assert page.locator("#upload-score").is_visible()
    annotated = openpyxl.load_workbook(io.BytesIO(_download(page, "#upload-annotated")))
    comments = [c.comment.text for sheet in annotated.worksheets for row in sheet.iter_rows() for c in row if c.comment]
    assert any("不存在" in text for text in comments)

    # Over the 10 MB limit the browser sends nothing (a 50 MB workbook of photos was a bare 413 from the
    # server, and the page said nothing: an upload audit): the school reads why, in place of the last report.
    oversized = tmp_path / "S001-with-photos.xlsx"
    oversized.write_bytes(b"PK" + bytes(50 * 1024 * 1024))
    page.set_input_files("#upload-workbook input[type=file]", str(oversized))
    expect(page.locator("#upload-too-big-here")).to_contain_text("文件 50.0 MB 超過上限 10 MB", timeout=10_000)
    expect(page.locator("#upload-result")).to_be_hidden()
    page.click("#lang-en")  # the note follows the language switch (it stayed Chinese: a review)
    expect(page.locator("#upload-too-big-here")).to_contain_text("The file is 50.0 MB, over the 10 MB limit")
    page.click("#lang-zh-Hant")
    expect(page.locator("#upload-too-big-here")).to_contain_text("文件 50.0 MB 超過上限 10 MB")
    # a workbook within the limit takes the report's place again
    page.set_input_files("#upload-workbook input[type=file]", str(upload))
    expect(page.locator("#upload-too-big-here")).to_be_hidden()
    expect(page.locator("#upload-status")).to_contain_text("1 行未被接受", timeout=30_000)

    # A school cannot open the publishing page: the page itself refuses.
    page.goto(f"{server['base']}/admin/publish")
    page.wait_for_selector("text=此內容僅供教體局查看")
    assert page.locator("#pub-confirm").count() == 0
    watch.check()


def test_the_office_records_a_finding_publishes_and_exports_the_circular(server, browser):
    page, watch = _login(browser, server["base"], "admin")

    # An inspection for the school whose name is a script: shown as text, never run.
    page.click("#nav-inspections")
    page.wait_for_selector("#insp-save")
    page.click("#insp-school")
    page.keyboard.type("S002")
    # Pick the option only once the search has narrowed the list (Enter earlier takes the first school).
    page.locator(".dash-dropdown-option", has_text="S002").first.click()
    expect(page.locator("#insp-school")).to_contain_text("S002")
    page.fill("#insp-finding", "演練簽到表代簽")
    # a deduction in hundredths: the number box of step 0.5 sent nothing for it, and the finding was saved
    # without its deduction (an inspections audit)
    page.fill("#insp-deduction", "0.25")
    page.click("#insp-save")
    page.wait_for_selector("#insp-saved, #insp-error", timeout=30_000)
    assert page.locator("#insp-saved").count() == 1, page.inner_text("#insp-result")
    expect(page.locator("#insp-table")).to_contain_text(f"S002 {HOSTILE}", timeout=20_000)
    row = page.locator("#insp-table tr", has_text="演練簽到表代簽").first
    expect(row).to_contain_text("0.25")
    assert "演練簽到表代簽" in page.inner_text("#insp-history-table")

    # Publishing the running year needs the force box and a confirmation that says what changes.
    page.click("#nav-publish")
    page.wait_for_selector("#pub-changed")
    page.check("#pub-force")
    page.click("#pub-open")
    page.wait_for_selector("#pub-modal.show, .modal.show")
    assert "3" in page.inner_text("#pub-confirm-body")
    page.click("#pub-confirm")
    page.wait_for_selector("#pub-done", timeout=30_000)

    page.click("#nav-exports")
    page.wait_for_selector("#exp-circular-xlsx")
    assert "發布時保存下來的原件" in page.inner_text("#exp-kept")  # published here: its files kept with it
    sheet = openpyxl.load_workbook(io.BytesIO(_download(page, "#exp-circular-xlsx"))).worksheets[0]
    assert sheet["A1"].value == f"關於{YEAR}年度學校本質安全考評結果的通報"
    # Published in the running year: a line says the figures are as of today, above the header.
    header = next(row for row in range(1, 8) if sheet.cell(row, 2).value == "學校名稱")
    assert any("數據截至" in str(sheet.cell(row, 1).value) for row in range(2, header))
    # The seeded schools sent no workbooks: the recomputed results mark them 未提交 (exports.NOT_SUBMITTED).
    names = [sheet.cell(row, 2).value.removesuffix("（未提交）") for row in range(header + 1, header + 4)]
    assert set(names) == {"第一中學", HOSTILE, "=1+2 小學"}
    assert sheet.page_setup.orientation == "landscape" and sheet.freeze_panes == f"A{header + 1}"
    document = Document(io.BytesIO(_download(page, "#exp-circular-docx")))
    assert document.paragraphs[0].text == f"關於{YEAR}年度學校本質安全考評結果的通報"
    assert any("參加排名的" in p.text for p in document.paragraphs)
    assert {row.cells[1].text.removesuffix("（未提交）") for row in document.tables[0].rows[1:]} == {
        "第一中學", HOSTILE, "=1+2 小學"}  # Word has no formulas: the name as registered

    page.click("#nav-audit")
    page.wait_for_selector("#audit-table")
    trail = page.inner_text("#audit-table")
    for action in ("登錄", "督查", "發布", "導出"):
        assert action in trail
    watch.check()


def test_a_leader_exports_a_marked_draft_but_cannot_publish(server, browser):
    """A leader reads what is published (issue 6: "reads everything") with no way to publish."""
    page, watch = _login(browser, server["base"], "leader")
    page.click("#nav-publish")
    expect(page.locator("#pub-read-only")).to_contain_text("由教體局安全辦發布")
    expect(page.locator("#pub-current")).to_be_visible()
    expect(page.locator("#pub-open")).to_be_hidden()
    page.click("#nav-exports")
    page.wait_for_selector("#exp-draft-xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(_download(page, "#exp-draft-xlsx"))).worksheets[0]
    assert "草稿" in sheet["A1"].value and sheet["A2"].value.startswith("草稿")
    page.goto(f"{server['base']}/admin/users")
    page.wait_for_selector("text=此頁僅供教體局安全辦使用")
    assert page.locator("#users-add").count() == 0
    watch.check()


def test_a_language_picked_on_the_log_in_page_is_the_dashboards_and_back(server, browser):
    """The log-in page and the navbar's switch keep one choice in the browser: Simplified picked before
    signing in opens the dashboard in Simplified; English picked in the dashboard greets the next log-in."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{server['base']}/login")
    # which language is chosen is heard, not only seen (in bold, or filled: found by the accessibility audit)
    expect(page.locator("#login-languages [aria-current=true]")).to_have_text("繁體中文")
    page.click("#login-languages a[lang=zh-Hans]")
    expect(page.locator("label[for=username]")).to_have_text("账号 / User name")
    expect(page.locator("#login-languages [aria-current=true]")).to_have_text("简体中文")
    page.fill("#username", ACCOUNTS["leader"][0])
    page.fill("#password", ACCOUNTS["leader"][1])
    page.click("#login-button")
    expect(page.locator(".navbar-brand")).to_have_text("学校本质安全考评")
    expect(page.locator("#lang-switch [aria-pressed=true]")).to_have_attribute("id", "lang-zh-Hans")
    page.click("#lang-en")
    expect(page.locator(".navbar-brand")).to_have_text("School Safety Evaluation")
    expect(page.locator("#lang-switch [aria-pressed=true]")).to_have_attribute("id", "lang-en")
    expect(page.locator("#lang-zh-Hans")).to_have_attribute("aria-pressed", "false")
    page.click("text=Sign out")
    expect(page.locator("label[for=username]")).to_have_text("User name")
    expect(page.locator("#login-languages [aria-current=true]")).to_have_text("English")
    assert "lang=en" in page.url
    watch.check()
