"""The circular's files (.xlsx, .docx, .csv) and a school's own table, opened again and read back."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import openpyxl
import pandas as pd
import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from dashboard import exports
from dashboard.exports import Circular, neutralise
from sync.cells import is_missing

INDICATOR_MAX = {"A1": 3, "B2": 4, "D1": 8, "E3": 2}


def _result(code, name, total, grade, rank, qualified=True, ratios=None, township="城關鎮", kind="小學"):
    ratios = ratios or {}
    indicators = {
        ind: {"points": mx * ratios.get(ind, 1.0), "max": mx, "ratio": ratios.get(ind, 1.0), "clause": "4.1",
              "detail": f"{ind} detail", "pending": False, "hint": f"raise {ind}"}
        for ind, mx in INDICATOR_MAX.items()
    }
    areas = {a: {"points": 10.0 + i, "max": 15} for i, a in enumerate("ABCDEFG")}
    return {"school_code": code, "name": name, "type": kind, "township": township, "total": total, "grade": grade,
            "rank": rank, "qualified": qualified, "deduction": 0, "indicators": indicators, "areas": areas,
            "campuses": []}


@pytest.fixture(autouse=True)
def _results_of_the_running_year(monkeypatch):
    """These results are of 2026, while the county's clock is still in it: their tables advise what would
    raise each score (a year over gives no advice), on whatever day the suite runs."""
    monkeypatch.setattr(exports, "county_today", lambda: date(2026, 12, 1))


@pytest.fixture
def results():
    return [
        _result("S003", "第三小學", 71.5, "合格", 3, ratios={"D1": 0.5, "E3": 0.0}),
        _result("S001", "第一中學", 95.0, "優秀", 1),
        _result("S009", "弄虛作假小學", 88.0, "良好", None, qualified=False, ratios={"D1": 0.25}),
        _result("S002", "=HYPERLINK(\"http://x\")", 81.2, "良好", 2, ratios={"E3": 0.5}),
        _result("S004", "<script>alert(1)</script>", 55.0, "不合格", 4, township="＋鎮", ratios={"D1": 0.0}),
    ]


@pytest.fixture
def circular():
    return Circular(year=2026, issued=date(2027, 1, 15), title="關於{year}年度學校本質安全考評結果的通報", issuer="測試縣教體局")


def test_the_method_footnote_names_the_areas_as_the_tables_headers_do():
    """The areas under a bureau's rubric (經費保障 renamed): footnote 1 named the default's seven whatever the
    table's headers said (a rubric audit)."""
    default = exports.footnotes(Circular(year=2026))[0]
    assert "按責任體系、安全管理機構、安全教育培訓、應急演練、專職安保力量、隱患排查整改、經費保障七個方面計分" in default
    renamed = Circular(year=2026, area_names={**exports.AREA_NAMES, "G": "經費投入"})
    assert "隱患排查整改、經費投入七個方面" in exports.footnotes(renamed)[0] and renamed.area_header("G") == "G 經費投入"


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-1", "@SUM(A1)", "＝1", "＋1", "－1", "＠x", "\tx", "\rx"],
)
def test_neutralise_prefixes_every_formula_start_with_a_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["第一中學", "1=1", "", 12.5, -3, None])
def test_neutralise_leaves_plain_text_and_numbers_alone(value):
    assert neutralise(value) == value


def test_circular_table_orders_by_rank_and_puts_disqualified_last(results, circular):
    table = exports.circular_table(results, circular)
    assert list(table["學校名稱"])[:4] == ["第一中學", '=HYPERLINK("http://x")', "第三小學", "<script>alert(1)</script>"]
    last = table.iloc[-1]
    assert last["學校名稱"] == "弄虛作假小學"
    assert last["排名"] == "取消資格"
    assert last["等次"] == "不合格"
    assert last["總分"] is None
    assert list(table["序號"]) == [1, 2, 3, 4, 5]
    assert list(table.columns[:4]) == ["序號", "學校名稱", "類別", "鄉鎮"]
    assert list(table.columns[-3:]) == ["總分", "等次", "排名"]
    assert [c.split()[0] for c in table.columns[4:11]] == list("ABCDEFG")


def test_the_circular_shows_the_deduction_so_its_columns_add_up_to_the_total(circular):
    """Footnote 2: 總分 = the areas' points minus the inspections' deduction; the deduction is shown."""
    result = _result("S001", "第一中學", 81.0, "良好", 1)
    result["deduction"] = 3.0  # this fixture's areas are 10..16 points: 91 in all
    table = exports.circular_table([result], circular)
    row = table.iloc[0]
    areas = sum(row[c] for c in table.columns[4:11])
    assert row["督查扣分"] == 3.0 and list(table.columns[-4:]) == ["督查扣分", "總分", "等次", "排名"]
    assert areas - row["督查扣分"] == 88.0


def test_area_points_round_halves_up_as_the_footnote_and_the_totals_do(circular):
    """Found by an audit: footnote 2 says 四捨五入 and the totals round halves up, but B's 9.25 (3 + 4 +
    2.25) was printed 9.2: round() rounds halves to even."""
    result = _result("S001", "第一中學", 81.0, "良好", 1)
    result["areas"]["B"]["points"], result["areas"]["E"]["points"] = 9.25, 19.25
    row = exports.circular_table([result], circular).iloc[0]
    assert (row["B 安全管理機構"], row["E 專職安保力量"]) == (9.3, 19.3)
    assert "四捨五入至一位小數" in exports.footnotes(circular)[1] and "0.1分" not in exports.footnotes(circular)[1]


def test_a_schools_own_table_says_why_its_points_may_not_add_up_to_its_total(results):
    """An audit: points to two decimals summed to 54.95 under a heading total of 54.9, with no word why."""
    lines = exports.school_heading(results[0], 2026, draft=False)
    assert any("保留兩位小數" in line and "可能略有出入" in line for line in lines)


def test_a_school_that_sent_nothing_is_marked_in_the_circular(circular):
    """Not 0.0 不合格 like a school that did no work: 未提交 beside its name, as on the dashboard."""
    sent, silent = _result("S001", "第一中學", 95.0, "優秀", 1), _result("S005", "第五小學", 0.0, "不合格", 2)
    silent["submitted"] = False
    table = exports.circular_table([sent, silent], circular)
    assert list(table["學校名稱"]) == ["第一中學", "第五小學（未提交）"]
    assert "第五小學（未提交）" in exports.circular_csv([sent, silent], circular).decode("utf-8-sig")


def test_a_long_school_name_wraps_in_the_printed_circular(circular):
    long_name = "城關鎮第一九年一貫制學校附屬實驗幼兒園東校區分部"
    data = exports.circular_xlsx([_result("S001", long_name, 95.0, "優秀", 1)], circular)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    [cell] = [c for row in sheet.iter_rows() for c in row if c.value == long_name]
    assert cell.alignment.wrap_text


def _sheet_rows(data: bytes):
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    return book, sheet, [[c.value for c in row] for row in sheet.iter_rows()]


def test_xlsx_circular_has_title_header_print_setup_and_neutralised_cells(results, circular):
    book, sheet, rows = _sheet_rows(exports.circular_xlsx(results, circular))
    assert rows[0][0] == "關於2026年度學校本質安全考評結果的通報"
    assert "2027年1月15日" in rows[1][0]
    header = rows[2]
    assert header[:4] == ["序號", "學校名稱", "類別", "鄉鎮"] and header[-3:] == ["總分", "等次", "排名"]
    names = [r[1] for r in rows[3:8]]
    assert names[0] == "第一中學"
    # A formula's text printed as registered (no added quote in the official circular), and kept text:
    # a string cell with Excel's quote prefix, so editing it in Excel never makes it a formula.
    assert '=HYPERLINK("http://x")' in names
    hostile = next(c for row in sheet.iter_rows() for c in row if c.value == '=HYPERLINK("http://x")')
    assert hostile.data_type == "s" and hostile.quotePrefix
    with zipfile.ZipFile(io.BytesIO(exports.circular_xlsx(results, circular))) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")
    assert "<script>alert(1)</script>" in names  # written as the literal text
    assert rows[7][-1] == "取消資格" and rows[7][1] == "弄虛作假小學"
    assert rows[3][-3] == pytest.approx(95.0)
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == "9"
    assert sheet.freeze_panes == "A4"
    assert sheet.print_title_rows.replace("$", "") == "1:3"
    assert any("一票否決" in str(r[0]) for r in rows[8:])
    assert any("優秀≥90" in str(r[0]) for r in rows[8:])
    assert sheet["B4"].font.name == exports.BODY_FONT


def test_xlsx_draft_is_marked_in_title_and_watermark_line(results):
    draft = Circular(year=2026, draft=True, issued=date(2026, 12, 1))
    _, sheet, rows = _sheet_rows(exports.circular_xlsx(results, draft))
    assert "草稿" in rows[0][0]
    assert rows[1][0].startswith("草稿")
    assert rows[3][0] == "序號"
    assert sheet.print_title_rows.replace("$", "") == "1:4"


def test_csv_is_utf8_with_bom_and_neutralised(results, circular):
    data = exports.circular_csv(results, circular)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["關於2026年度學校本質安全考評結果的通報"]
    assert rows[1] == ["測試縣教體局　2027年1月15日"]  # who issued it and when, as the xlsx and docx say
    assert rows[2][:2] == ["序號", "學校名稱"]
    flat = [c for row in rows for c in row]
    assert "'=HYPERLINK(\"http://x\")" in flat and "'＋鎮" in flat
    assert not any(c.startswith(("=", "+", "-", "@", "＋")) for c in flat)
    assert rows[-1][1] == "弄虛作假小學" and rows[-1][-1] == "取消資格"


def test_docx_circular_has_summary_table_problems_and_chinese_fonts(results, circular):
    document = Document(io.BytesIO(exports.circular_docx(results, circular)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "關於2026年度學校本質安全考評結果的通報" in text
    assert "草稿" not in text
    assert "參加排名的4所學校中，優秀1所，良好1所，合格1所，不合格1所；另有1所取消考評資格，等次計為不合格。" in text
    assert "弄虛作假小學共1所學校" in text
    # Common problems: D1 is lowest county-wide (mean of 1, 1, .5, .25, 0 = .55), then E3 (.7).
    texts = [p.text for p in document.paragraphs]
    problems = texts[texts.index("二、共性問題") + 1:]
    assert problems[0].startswith("1. D1") and problems[1].startswith("2. E3")
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells][:2] == ["序號", "學校名稱"]
    assert table.rows[1].cells[1].text == "第一中學"
    assert table.rows[-1].cells[-1].text == "取消資格"
    assert any(r.cells[1].text == "<script>alert(1)</script>" for r in table.rows)
    east_asia = {
        run._element.rPr.rFonts.get(qn("w:eastAsia"))
        for p in document.paragraphs for run in p.runs if p.text
    }
    assert east_asia <= {exports.BODY_FONT, exports.HEADING_FONT} and exports.BODY_FONT in east_asia
    normal = document.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia"))
    assert normal == exports.BODY_FONT
    assert table.rows[0]._tr.trPr.xpath("./w:tblHeader")


def test_docx_draft_says_draft(results):
    document = Document(io.BytesIO(exports.circular_docx(results, Circular(year=2026, draft=True))))
    assert "（草稿）" in document.paragraphs[0].text


def test_school_table_lists_every_indicator_with_points_and_hint(results):
    data = exports.school_xlsx(results[0], 2026, draft=False)
    _, _, rows = _sheet_rows(data)
    assert rows[0][0].startswith("第三小學（S003）2026年度")
    header_at = next(i for i, r in enumerate(rows) if r[0] == "指標")
    body = {r[0]: r for r in rows[header_at + 1:]}
    assert set(body) == set(INDICATOR_MAX)
    assert body["D1"][2] == pytest.approx(4.0) and body["D1"][3] == 8
    assert body["D1"][6] == "raise D1"
    # the names the school page shows (scoring's own), not a second list that drifted from them
    assert (body["D1"][1], body["E3"][1]) == ("演練頻次", "保安年齡")


def test_school_csv_neutralises_a_hostile_name(results):
    rows = list(csv.reader(io.StringIO(exports.school_csv(results[3], 2026, draft=True).decode("utf-8-sig"))))
    assert rows[0][0].startswith("'=HYPERLINK")
    assert any(r and r[0].startswith("草稿") for r in rows)


def test_empty_year_still_builds_every_format(circular):
    for fmt in ("xlsx", "docx", "csv"):
        assert exports.circular_bytes([], circular, fmt)


def test_file_names_are_ascii_and_mark_drafts():
    assert exports.file_name(2026, True, "docx") == "circular-2026-draft.docx"
    assert exports.file_name(2026, False, "csv", "S/../1") == "school-S_.._1-2026.csv"


# ---------------------------------------------------------------- found by an audit of the printed files


def test_a_schools_table_rounds_full_marks_as_it_rounds_points(results):
    """C items of a school without C4 are worth 20/17 of theirs: 3.53 of 3.5294 read as above full marks."""
    school = results[1]
    school["indicators"]["C3"] = {"points": 3 * 20 / 17, "max": 3 * 20 / 17, "ratio": 1.0, "clause": "4.3",
                                  "detail": "", "pending": False, "hint": ""}
    row = exports.school_table(school).set_index("指標").loc["C3"]
    assert (row["得分"], row["滿分"]) == (3.53, 3.53)


def test_a_schools_xlsx_fits_the_page_width_and_grows_rows_for_long_text(results):
    school = results[0]
    school["indicators"]["D1"]["detail"] = "缺：" + "、".join(f"2026-W{n:02d}" for n in range(1, 30))
    _, sheet, rows = _sheet_rows(exports.school_xlsx(school, 2026, draft=False))
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth in (None, 1)  # 1 is the default
    assert sheet.page_setup.fitToHeight == 0  # as many pages down as it takes
    d1 = next(i for i, r in enumerate(rows, start=1) if r[0] == "D1")
    a1 = next(i for i, r in enumerate(rows, start=1) if r[0] == "A1")
    assert sheet.row_dimensions[d1].height >= 4 * 13.5 > sheet.row_dimensions[a1].height


def test_the_circulars_xlsx_header_row_has_room_for_its_wrapped_labels(results, circular):
    _, sheet, rows = _sheet_rows(exports.circular_xlsx(results, circular))
    header = next(i for i, r in enumerate(rows, start=1) if r[0] == "序號")
    assert sheet.row_dimensions[header].height >= 27


def test_a_draft_circular_in_word_says_draft_on_every_page_and_numbers_them(results):
    document = Document(io.BytesIO(exports.circular_docx(results, Circular(year=2026, draft=True))))
    section = document.sections[0]
    assert section.header.paragraphs[0].text.startswith("草稿")
    assert 'w:instr="PAGE"' in section.footer._element.xml
    final = Document(io.BytesIO(exports.circular_docx(results, Circular(year=2026))))
    assert "草稿" not in final.sections[0].header.paragraphs[0].text


@pytest.mark.parametrize("fmt", ["xlsx", "docx", "csv"])
def test_a_circular_of_year_to_date_figures_says_as_of_when(results, fmt):
    """Published before 31 Dec (publish --force), the figures are the year so far: the circular says so."""
    for r in results:
        r["as_of"] = "2026-11-29"
    data = exports.circular_bytes(results, Circular(year=2026), fmt)
    if fmt == "xlsx":
        text = " ".join(str(c) for r in _sheet_rows(data)[2] for c in r if c)
    elif fmt == "docx":
        text = " ".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    else:
        text = data.decode("utf-8-sig")
    assert text.count("數據截至2026年11月29日") == 1  # once, under the title (the summary said it again)
    for r in results:
        r["as_of"] = "2026-12-31"
    assert "數據截至" not in exports.circular_bytes(results, Circular(year=2026), "csv").decode("utf-8-sig")


def test_the_summary_counts_the_disqualified_and_the_schools_that_sent_nothing(results, circular):
    """The table grades a disqualified school 不合格: the text says it apart from the ranked 不合格, and
    the schools ranked on 0 points for sending nothing are named as such."""
    results[0]["submitted"] = False
    text = " ".join(exports.circular_summary(results, circular))
    assert "不合格1所；另有1所取消考評資格，等次計為不合格" in text
    # the same words cover a school whose only workbook was refused: neither has records in the store
    assert "1所學校沒有通過校驗的安全工作台賬（未提交，或所交工作簿被退回），按0分計入排名" in text


def test_a_disqualified_school_that_sent_nothing_is_not_said_to_be_ranked(results, circular):
    """5.3, 6.3: a disqualified school has no rank.  The summary said every school that sent nothing was
    "ranked on 0 points", the disqualified among them too (found by an audit of a year whose every school
    was disqualified)."""
    results[2]["submitted"] = False  # S009, disqualified
    text = " ".join(exports.circular_summary(results, circular))
    assert "按0分計入排名" not in text and "另有1所取消考評資格" in text
    results[0]["submitted"] = False  # S003, ranked
    text = " ".join(exports.circular_summary(results, circular))
    assert "1所學校沒有通過校驗的安全工作台賬（未提交，或所交工作簿被退回），按0分計入排名" in text


def test_the_lowest_grades_count_says_how_many_of_it_sent_nothing(results, circular):
    """An audit: 不合格2所 counted a school that sent nothing (ranked on 0 points) without saying so."""
    silent = _result("S005", "第五小學", 0.0, "不合格", 5)
    silent["submitted"] = False
    text = " ".join(exports.circular_summary([*results, silent], circular))
    assert "不合格2所（含未提交的1所）" in text


def test_the_word_circulars_properties_name_its_issuer_and_mark_chinese(results, circular):
    document = Document(io.BytesIO(exports.circular_docx(results, circular)))
    props = document.core_properties
    assert (props.author, props.created.date(), props.title) == ("測試縣教體局", date(2027, 1, 15), circular.heading)
    lang = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(
        qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "zh-CN"


def test_common_problems_leave_out_schools_that_sent_nothing_and_the_disqualified(results):
    """Averages over the ranked schools that sent records: S003 (sent nothing) and S009 (disqualified)
    are left out, so D1's mean is (1 + 1 + 0) / 3 and E3's (1 + .5 + 1) / 3."""
    results[0]["submitted"] = False
    problems = {p["indicator"]: p for p in exports.common_problems(results)}
    assert problems["D1"]["ratio"] == pytest.approx(2 / 3) and problems["D1"]["schools"] == 3
    assert problems["E3"]["ratio"] == pytest.approx(2.5 / 3) and problems["E3"]["schools_short"] == 1


def test_a_schools_own_heading_says_why_it_has_no_rank_or_no_records(results):
    disqualified = {**results[2], "veto": "弄虛作假", "deduction": 2}
    lines = exports.school_heading(disqualified, 2026, draft=False)
    assert "取消資格（弄虛作假）" in lines[1] and "督查扣分 2.0" in lines[1]
    absent = {**results[0], "submitted": False}
    assert "（未提交）" in exports.school_heading(absent, 2026, draft=False)[0]
    assert "督查扣分 0.0" in exports.school_heading(results[1], 2026, draft=False)[1]


def test_the_word_circular_is_signed_at_the_end_as_an_official_notice_is(results, circular):
    paragraphs = [p for p in Document(io.BytesIO(exports.circular_docx(results, circular))).paragraphs if p.text]
    assert [p.text for p in paragraphs[-2:]] == ["測試縣教體局", "2027年1月15日"]
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.RIGHT for p in paragraphs[-2:])
    assert "測試縣教體局　2027年1月15日" not in [p.text for p in paragraphs]


def test_the_common_problems_rate_rounds_halves_up_and_never_reads_100_percent_below_everyone(circular):
    """Held-out county 2 (audit): C4 met at 75% by one high school and 50% by the other averages 62.5%,
    which the circular printed as 62% (Python's round-half-even); the totals round halves up (四捨五入), so
    63%.  A mean of 99.6% with a school short printed 100% beside "1所學校未完全達標": 99%."""
    results = [_result("S001", "第一中學", 95.0, "優秀", 1, ratios={"D1": 0.75}),
               _result("S002", "第二中學", 94.0, "優秀", 2, ratios={"D1": 0.5})]
    results += [_result(f"S1{n:02d}", f"第{n}小學", 90.0, "優秀", 3) for n in range(249)]
    results[2]["indicators"]["E3"]["ratio"] = 0.0  # one school of 251 short: E3's mean is 250/251 = 99.6%
    text = "\n".join(p.text for p in Document(io.BytesIO(exports.circular_docx(results, circular))).paragraphs)
    assert "D1 演練頻次：全縣平均達標率99%" in text  # (0.75 + 0.5 + 249) / 251 = 99.5%: not 100%
    assert "E3 保安年齡：全縣平均達標率99%，1所學校未完全達標" in text
    two = [_result("S001", "第一中學", 95.0, "優秀", 1, ratios={"D1": 0.75}),
           _result("S002", "第二中學", 94.0, "優秀", 2, ratios={"D1": 0.5})]
    text = "\n".join(p.text for p in Document(io.BytesIO(exports.circular_docx(two, circular))).paragraphs)
    assert "D1 演練頻次：全縣平均達標率63%，2所學校未完全達標" in text


def test_a_past_years_school_table_offers_no_ways_to_raise_it(results):
    """Held-out county audit: 3105's table for 2020 still advised 「下一次演練由各參演班級班主任親自簽到…：+0.04」,
    as the school page did before an earlier audit hid it there: nothing done now changes a year that is over."""
    past = exports.county_today().year - 1
    rows = {r[0]: r for r in _sheet_rows(exports.school_xlsx(results[0], past, draft=False))[2]}
    assert rows["D1"][6] in (None, "") and rows["E3"][6] in (None, "")
    assert any(str(r[0]).startswith(f"{past}年度已結束") for r in rows.values())
    csv_text = exports.school_csv(results[0], past, draft=False).decode("utf-8-sig")
    assert "raise D1" not in csv_text
    running = {r[0]: r for r in _sheet_rows(exports.school_xlsx(results[0], past + 1, draft=False))[2]}
    assert running["D1"][6] == "raise D1"


# ---------------------------------------------------------------- found by an audit of the circulated files


def test_a_schools_own_table_names_the_publication_its_figures_are(results):
    """A school holding the table of the first publication could not tell it from the second's (the
    circular says 更正 under its title; the school's table said nothing of which result it was)."""
    first = Circular(year=2026, issued=date(2027, 1, 15), issuer="測試縣教體局")
    second = Circular(year=2026, issued=date(2027, 2, 3), issuer="測試縣教體局", version=2, replaces=date(2027, 1, 15))
    assert "測試縣教體局2027年1月15日發布的考評結果" in exports.school_heading(results[0], 2026, False, first)
    lines = exports.school_heading(results[0], 2026, False, second)
    assert "測試縣教體局2027年2月3日發布的第2版考評結果（更正2027年1月15日發布的第1版，以本版為準）" in lines
    for fmt in ("xlsx", "csv"):
        data = exports.school_bytes(results[0], 2026, False, fmt, second)
        text = (data.decode("utf-8-sig") if fmt == "csv"
                else " ".join(str(c) for row in _sheet_rows(data)[2] for c in row if c))
        assert "發布的第2版考評結果" in text
    # a draft is no publication: it says 草稿, not a date it was never published on
    draft = Circular(year=2026, draft=True, issued=date(2027, 2, 3), issuer="測試縣教體局")
    assert not any("日發布" in line for line in exports.school_heading(results[0], 2026, True, draft))


def test_the_word_circulars_short_words_do_not_break_inside_their_columns(circular):
    """Printed, 取消資格 broke as 取消資/格 in 排名, and 九年一貫制 and 完全中學 as 九年一/貫制 and 完全中/學
    in 類別 (A4 landscape, 9 pt; an audit of the circulated files)."""
    results = [_result("S001", "第一學校", 95.0, "優秀", 1, kind="九年一貫制"),
               _result("S002", "第二學校", 85.0, "良好", 2, kind="完全中學"),
               _result("S009", "第九學校", 88.0, "不合格", None, qualified=False)]
    table = Document(io.BytesIO(exports.circular_docx(results, circular))).tables[0]
    header = [c.text for c in table.rows[0].cells]

    def needs(text: str) -> float:  # a 9-pt Chinese character is 9 pt wide; the cell's margins are 0.19 cm a side
        return len(text) * 9 * 2.54 / 72 + 2 * 0.19

    for row in table.rows[1:]:
        for name, cell, column in zip(header, row.cells, table.columns, strict=True):
            if name in ("類別", "鄉鎮", "等次", "排名"):
                # Word reads the cell's width, LibreOffice the table grid's: both
                assert min(cell.width.cm, column.width.cm) >= needs(cell.text), (name, cell.text)
    assert sum(column.width.cm for column in table.columns) <= 29.7 - 2 * 2.0  # A4 landscape between margins


def test_the_word_circulars_styles_name_their_chinese_font_without_a_theme_font_over_it(results, circular):
    """Word takes a theme font over a named one in the same w:rFonts (ECMA-376 17.3.2.26): the headings' style
    said 黑体 beside python-docx's majorEastAsia, so a heading the office types in Word was in the theme's
    font, not 黑体 (an audit of the circulated files)."""
    document = Document(io.BytesIO(exports.circular_docx(results, circular)))
    for name, font in (("Normal", exports.BODY_FONT), ("Heading 1", exports.HEADING_FONT),
                       ("Heading 2", exports.HEADING_FONT)):
        fonts = document.styles[name].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == font
        assert not [key for key in fonts.attrib if key.endswith("Theme") or key.endswith("theme")], name


def test_a_deduction_in_hundredths_is_printed_as_entered_in_every_format(circular):
    """A finding may take 0.25 or 1.45 points off: the Word circular printed 0.2 and 1.4 (Python's format of
    the binary float), the CSV 0.25 and 1.45 (an audit); then every format 0.3 and 1.5, and a 10.05 beside a
    total of 90.0 (優秀) read 10.1, which a reader's own subtraction makes 89.9 (良好; a later audit).  Each
    format prints the deduction as entered, to two decimals; a whole or one-decimal one keeps one."""
    quarter, hundredths = _result("S001", "第一中學", 94.8, "優秀", 1), _result("S002", "第二中學", 80.1, "良好", 2)
    whole = _result("S003", "第三中學", 70.0, "合格", 3)
    quarter["deduction"], hundredths["deduction"], whole["deduction"] = 0.25, 1.45, 2
    results = [quarter, hundredths, whole]
    table = Document(io.BytesIO(exports.circular_docx(results, circular))).tables[0]
    column = [c.text for c in table.rows[0].cells].index("督查扣分")
    assert [row.cells[column].text for row in table.rows[1:]] == ["0.25", "1.45", "2.0"]
    rows = list(csv.reader(io.StringIO(exports.circular_csv(results, circular).decode("utf-8-sig"))))
    header = next(r for r in rows if r and r[0] == "序號")
    assert [r[header.index("督查扣分")] for r in rows[rows.index(header) + 1:]] == ["0.25", "1.45", "2.0"]
    _, _, sheet = _sheet_rows(exports.circular_xlsx(results, circular))
    header_at = next(i for i, r in enumerate(sheet) if r[0] == "序號")
    assert [r[sheet[header_at].index("督查扣分")] for r in sheet[header_at + 1:header_at + 4]] == [0.25, 1.45, 2.0]
    assert "督查扣分 0.25" in exports.school_heading(quarter, 2026, draft=False)[1]
    assert "督查扣分 2.0" in exports.school_heading(whole, 2026, draft=False)[1]


def test_a_very_long_detail_keeps_its_row_within_the_height_a_spreadsheet_row_can_have(results):
    """E7 lists every guard-semester missed (「缺：付勇（2025年春季學期）、…」): thirty guards asked for a 460-pt
    row, above the 409 pt Excel's rows can be (an audit of the circulated files)."""
    school = results[0]
    school["indicators"]["E3"]["detail"] = "60個應計保安學期中0個達標；缺：" + "、".join(
        f"保安{i:02d}（2025年{term}季學期）" for i in range(30) for term in ("春", "秋"))
    _, sheet, _ = _sheet_rows(exports.school_xlsx(school, 2026, draft=False))
    heights = [d.height for d in sheet.row_dimensions.values() if d.height]
    assert max(heights) <= 409


def test_a_schools_table_gives_wrapped_text_the_rows_it_takes_in_print(results):
    """Opened in LibreOffice (宋体 missing, a Noto CJK face in its place: 14.5 pt a line of 10-pt Chinese) the
    school table cut the last line of every wrapped cell: rows were 13.5 pt a line, 宋体's own (C2's three lines
    of missed weeks in 40.5 pt, a D5 hint's two in 27; an audit of the circulated files)."""
    school = results[0]
    school["indicators"]["D1"]["detail"] = ("36個應計教學周中26個達標；缺：2026-W03、2026-W09、2026-W13、2026-W17、"
                                            "2026-W22、2026-W27、2026-W42、2026-W43、2026-W45、2026-W46")
    school["indicators"]["E3"]["hint"] = "下一次演練由各參演班級班主任親自簽到（並備預案、填寫評定結果）：+0.7"
    _, sheet, rows = _sheet_rows(exports.school_xlsx(school, 2026, draft=False))
    row_of = {r[0]: i + 1 for i, r in enumerate(rows)}
    assert sheet.row_dimensions[row_of["D1"]].height >= 3 * 14.5
    assert sheet.row_dimensions[row_of["E3"]].height >= 2 * 14.5


def test_a_name_stored_with_a_character_xml_cannot_hold_still_exports(circular):
    """The sync now refuses U+FFFF and control characters in a cell, but a store loaded before kept them: a
    school named so stopped the Word circular (python-docx: "All strings must be XML compatible", a 500) and
    made the .xlsx a file Excel repairs. The exports leave the invisible character out (an audit)."""
    results = [_result("S001", "第一\uffff中學", 95.0, "優秀", 1, township="城關\x0b鎮"),
               _result("S009", "第九\ufffe學校", 88.0, "不合格", None, qualified=False)]
    document = Document(io.BytesIO(exports.circular_docx(results, circular)))
    assert document.tables[0].rows[1].cells[1].text == "第一中學"
    assert any("第九學校共1所學校" in p.text for p in document.paragraphs)
    for data in (exports.circular_xlsx(results, circular), exports.school_xlsx(results[0], 2026, draft=False)):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for name in z.namelist():
                text = z.read(name).decode("utf-8")
                assert "\uffff" not in text and "\ufffe" not in text and "\x0b" not in text, name
    assert "\uffff" not in exports.circular_csv(results, circular).decode("utf-8-sig")


def _table_built_cell_by_cell(document, frame: pd.DataFrame):
    """The circular's table as python-docx builds it one cell at a time (what circular_docx did for every row)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Cm

    table = document.add_table(rows=1, cols=len(frame.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, name in zip(table.rows[0].cells, frame.columns, strict=True):
        cell.text = ""
        exports._set_run_font(cell.paragraphs[0].add_run(str(name)), exports.BODY_FONT, 9, True)
    for row in frame.itertuples(index=False):
        for cell, value in zip(table.add_row().cells, row, strict=True):
            text = "" if is_missing(value) else (f"{value:.1f}" if isinstance(value, float) else str(value))
            cell.text = ""
            exports._set_run_font(cell.paragraphs[0].add_run(text), exports.BODY_FONT, 9)
    exports._set_repeat_header(table.rows[0])
    exports._set_column_widths(table, [Cm(w) for w in exports._DOCX_WIDTHS_CM])
    return table


def test_the_word_circulars_table_is_the_one_built_cell_by_cell_and_its_cost_does_not_grow_per_cell(
        results, circular, monkeypatch):
    """Rows after the first are copies of the first with their own texts (3,000 schools' rows built through
    python-docx one cell at a time took 50 s on a busy server; a scale audit): the table's XML is exactly
    the one built cell by cell, texts with spaces and empty cells (a disqualified school's points) included,
    and the per-cell python-docx work no longer grows with the schools."""
    from lxml import etree

    def county(n: int) -> list[dict]:
        return [_result(f"S{i:03d}", f"第{i}學校 {'甲 ' if i % 3 else ''}", 50 + i / 7, "合格", i, qualified=i % 5 != 0)
                for i in range(10, 10 + n)] + results

    many = county(40)
    document = Document(io.BytesIO(exports.circular_docx(many, circular)))
    made = document.tables[0]
    assert len(made.rows) == len(many) + 1
    reference = _table_built_cell_by_cell(document, exports.circular_table(exports.printable(many), circular))
    assert etree.tostring(made._tbl) == etree.tostring(reference._tbl)

    calls = []
    real = exports._set_run_font
    monkeypatch.setattr(exports, "_set_run_font", lambda *a, **k: (calls.append(1), real(*a, **k)))
    exports.circular_docx(many, circular)
    few = len(calls)
    calls.clear()
    exports.circular_docx(county(80), circular)
    assert len(calls) == few  # 40 more schools, not 40 x 14 more cells formatted one by one
