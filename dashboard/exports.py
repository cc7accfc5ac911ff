"""The circular (通報) and a school's own indicator table, as files.

Pure functions: the annual results (objects as `safeschool score --json`
prints them, plus "areas") go in, bytes come out.  The routes in
dashboard/downloads.py and `safeschool export` decide who may have which
results; nothing here reads the store.

A text cell that starts with = + - @ (half- or full-width), a tab or a
carriage return would be taken for a formula by a spreadsheet (OWASP "CSV
injection").  In CSV it gets a leading single quote (`neutralise`); in .xlsx it
is written as text with Excel's quote prefix (shown as written, and kept text
when someone edits the cell); Word has no formulas, so the official circular
prints every name exactly as registered.  Numbers are written as numbers.
"""

from __future__ import annotations

import copy
import csv
import io
import re
from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd

from scoring.engine import deduction_points, deduction_text, round_half_up
from scoring.registry import all_indicators
from sync.cells import is_missing
from sync.settings import DEFAULT_CIRCULAR_TITLE, PLACEHOLDER_ISSUER, county_today

AREA_IDS = ("A", "B", "C", "D", "E", "F", "G")
# The plan's own names (rules.md); a rubric may rename areas, indicators keep these short names.
AREA_NAMES = {
    "A": "責任體系", "B": "安全管理機構", "C": "安全教育培訓", "D": "應急演練",
    "E": "專職安保力量", "F": "隱患排查整改", "G": "經費保障",
}
# The names the school page shows (scoring's registry), so a circular and a page never call one duty
# by two names.
INDICATOR_NAMES = {ind_id: indicator.title for ind_id, indicator in all_indicators().items()}
DEFAULT_GRADES = ("優秀", "良好", "合格", "不合格")
DISQUALIFIED = "取消資格"
DRAFT_MARK = "草稿"
# The configuration's defaults ([circular] left out), so that a circular made without it says the same.
DEFAULT_TITLE, DEFAULT_ISSUER = DEFAULT_CIRCULAR_TITLE, PLACEHOLDER_ISSUER

# Characters a spreadsheet reads as the start of a formula or a control (OWASP CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "＝", "＋", "－", "＠", "\t", "\r")

CIRCULAR_FIXED = ("序號", "學校名稱", "類別", "鄉鎮")
CIRCULAR_TAIL = ("督查扣分", "總分", "等次", "排名")  # 扣分 shown, so that A-G minus it makes 總分
NOT_SUBMITTED = "（未提交）"
SCHOOL_TABLE_COLUMNS = ("指標", "名稱", "得分", "滿分", "依據條款", "計分依據", "改進建議", "督查評定")

# Eastern fonts named the way Word and WPS on the bureau's PCs know them.
BODY_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"


# What XML cannot hold: control characters, the non-characters U+FFFE/U+FFFF and a lone surrogate.  The sync
# refuses them now; a store loaded before may hold them, and one in a name stopped the Word circular
# (python-docx refuses the string) and made the .xlsx a file Excel repairs.  Invisible: left out.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def printable(value):
    """`value` (a result, its indicators, any text in it) without the characters XML cannot hold."""
    if isinstance(value, str):
        return _NOT_IN_XML.sub("", value) if _NOT_IN_XML.search(value) else value
    if isinstance(value, dict):
        return {key: printable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [printable(item) for item in value]
    return value


def neutralise(value):
    """A text cell a spreadsheet will show as text, never evaluate; other values unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class Circular:
    """What a circular needs besides the results: its wording and whether it is final."""

    year: int
    draft: bool = False
    issued: date = field(default_factory=county_today)
    title: str = DEFAULT_TITLE
    issuer: str = DEFAULT_ISSUER
    grades: tuple[str, ...] = DEFAULT_GRADES
    grade_minimums: tuple[float, ...] = (90, 80, 60, 0)
    area_names: dict[str, str] = field(default_factory=lambda: dict(AREA_NAMES))
    as_of: date | None = None  # the evaluation date of the results, when before 31 Dec
    version: int = 1  # the publication's; a second one corrects the first and says so
    replaces: date | None = None  # the day the version it replaces was published

    @property
    def as_of_line(self) -> str:
        """Year-to-date figures say so (a circular published in November is not the year's)."""
        if self.as_of is None or (self.as_of.month, self.as_of.day) == (12, 31):
            return ""
        return f"數據截至{chinese_day(self.as_of)}（年度未結束，總分按已可考評的分值折算）"

    @property
    def heading(self) -> str:
        text = self.title.format(year=self.year)
        return f"{text}（{DRAFT_MARK}）" if self.draft else text

    @property
    def draft_line(self) -> str:
        return f"{DRAFT_MARK}：未經發布的考評結果，僅供核對，不得外傳" if self.draft else ""

    @property
    def correction_line(self) -> str:
        """A re-published year's circular says which it replaces: schools hold the first one."""
        if self.draft or self.version <= 1:
            return ""
        return f"更正：本通報為第{self.version}版，替代{self._replaced_day}發布的第{self.version - 1}版，以本版為準"

    @property
    def published_line(self) -> str:
        """A school's own table says which publication its figures are: a school holding the first
        version's table could not tell it from the second's (an audit of the circulated files)."""
        if self.draft:
            return ""
        day = chinese_day(self.issued)
        if self.version <= 1:
            return f"{self.issuer}{day}發布的考評結果"
        return (f"{self.issuer}{day}發布的第{self.version}版考評結果"
                f"（更正{self._replaced_day}發布的第{self.version - 1}版，以本版為準）")

    @property
    def _replaced_day(self) -> str:
        return chinese_day(self.replaces) if self.replaces else "此前"

    @property
    def date_line(self) -> str:
        return f"{self.issuer}　{chinese_day(self.issued)}"

    def area_header(self, area: str) -> str:
        return f"{area} {self.area_names.get(area, area)}"


def chinese_day(day: date) -> str:
    """2027年1月15日, as an official notice writes a date (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def evaluation_date_of(results: list[dict]) -> date | None:
    """The evaluation date the results were computed at (each result's "as_of")."""
    days = {str(r.get("as_of")) for r in results if r.get("as_of")}
    try:
        return max(date.fromisoformat(d[:10]) for d in days) if days else None
    except ValueError:
        return None


def circular_from_config(year: int, draft: bool, issued: date | None = None, results: list[dict] = (),
                         version: int = 1, replaces: date | None = None) -> Circular:
    """A Circular worded by the configuration ([circular] title and issuer) and by the grade bands and
    area names the `results` were graded under (the configured rubric's for results stored before they
    were kept): a rubric edited after publication never rewords a frozen year's bands.  version and
    replaces: the publication's, for a correction's line."""
    from sync.settings import configured_rubric, get_file_config

    cfg = get_file_config().circular
    wording = next((r["wording"] for r in results if r.get("wording")), None)
    if wording is None:
        wording = configured_rubric().wording()
    return Circular(
        year=year, draft=draft, issued=issued or county_today(), title=cfg.title, issuer=cfg.issuer,
        grades=tuple(name for name, _min in wording["grades"]),
        grade_minimums=tuple(float(minimum) for _name, minimum in wording["grades"]),
        area_names=dict(wording["areas"]), version=version, replaces=replaces,
    )


# --- the table every format shares ------------------------------------------------

# The fields of a school's indicators the circular reads (an area's points where the row keeps none, the
# common problems): all that is read of them for it (dashboard.downloads.circular_results).
CIRCULAR_INDICATOR_FIELDS = ("points", "ratio", "max", "pending")


def _area_points(result: dict, area: str):
    entry = (result.get("areas") or {}).get(area)
    if entry is None:
        indicators = result.get("indicators") or {}
        points = [v.get("points") for k, v in indicators.items() if k.startswith(area) and v.get("points") is not None]
        return _half_up(sum(points)) if points else None
    points = entry.get("points") if isinstance(entry, dict) else entry
    return None if points is None else _half_up(points)


def _half_up(points) -> float:
    """One decimal, halves up as the footnote says and as the totals are (9.25 is 9.3; round() gave 9.2)."""
    return float(round_half_up(float(points)))


def circular_table(results: list[dict], circular: Circular) -> pd.DataFrame:
    """序號, 學校名稱, 類別, 鄉鎮, A-G, 總分, 等次, 排名: qualified schools by rank, then the disqualified.

    A disqualified school keeps its points for its own page only: the circular
    shows 取消資格 as its rank and 不合格 as its grade, and no points.
    """
    frame = pd.DataFrame(
        {
            "school_code": [r.get("school_code") for r in results],
            # A registered school that sent nothing (or only a refused file) is marked, not shown as a
            # school that did no work.
            "學校名稱": [f"{r.get('name') or ''}{NOT_SUBMITTED if r.get('submitted') is False else ''}"
                      for r in results],
            "類別": [r.get("type") for r in results],
            "鄉鎮": [r.get("township") for r in results],
            "qualified": [bool(r.get("qualified", True)) for r in results],
            "rank_value": [r.get("rank") for r in results],
            "總分": [r.get("total") for r in results],
            "督查扣分": [deduction_points(r.get("deduction")) for r in results],
            "等次": [r.get("grade") for r in results],
            **{circular.area_header(a): [_area_points(r, a) for r in results] for a in AREA_IDS},
        },
    )
    if frame.empty:
        return pd.DataFrame(columns=[*CIRCULAR_FIXED, *[circular.area_header(a) for a in AREA_IDS], *CIRCULAR_TAIL])
    frame["rank_value"] = pd.to_numeric(frame["rank_value"], errors="coerce")
    frame = frame.sort_values(["qualified", "rank_value", "school_code"], ascending=[False, True, True], na_position="last")
    point_columns = [circular.area_header(a) for a in AREA_IDS] + ["督查扣分", "總分"]
    frame[point_columns] = frame[point_columns].astype("object")
    frame.loc[~frame["qualified"], point_columns] = None
    frame["等次"] = frame["等次"].astype("object")
    frame.loc[~frame["qualified"], "等次"] = circular.grades[-1]
    frame["排名"] = frame["rank_value"].astype("object")
    frame.loc[frame["qualified"], "排名"] = frame.loc[frame["qualified"], "rank_value"].map(
        lambda v: None if pd.isna(v) else int(v)
    )
    frame.loc[~frame["qualified"], "排名"] = DISQUALIFIED
    frame["序號"] = range(1, len(frame) + 1)
    columns = [*CIRCULAR_FIXED, *[circular.area_header(a) for a in AREA_IDS], *CIRCULAR_TAIL]
    return frame[columns].reset_index(drop=True)


def footnotes(circular: Circular) -> list[str]:
    bands = []
    for i, (name, minimum) in enumerate(zip(circular.grades, circular.grade_minimums, strict=False)):
        if minimum > 0 or i == 0:
            bands.append(f"{name}≥{minimum:g}")
        else:
            bands.append(f"{name}＜{circular.grade_minimums[i - 1]:g}")
    bands = "，".join(bands)
    # the areas as the table's headers name them (the rubric's the results were graded under): footnote 1
    # named the default's whatever the rubric said (a rubric audit)
    areas = "、".join(circular.area_names.get(a, a) for a in AREA_IDS)
    return [
        "註：1. 考評依據《關於進一步加強學校安全管理提升本質安全的實施方案》，"
        f"按{areas}七個方面計分，滿分100分。",
        "2. 各指標得分＝指標分值×達標比例；考評組評定的指標以評定得分為準；總分為各項得分之和減督查扣分（最低0分），保留一位小數；"
        "各方面得分分別四捨五入至一位小數，其合計與總分（按未經四捨五入的得分計算）可能略有出入；"
        "年度中途的總分按已可考評的分值折算（100×得分÷可考評分值）。",
        f"3. 等次按總分劃分：{bands}；總分相同者排名並列。",
        "4. 經督查確認弄虛作假或造成重大安全影響的學校，實行一票否決，取消本年度考評資格，列於表末。",
    ]


def _text_cells(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.map(neutralise)


# --- .xlsx ---------------------------------------------------------------------------


def circular_xlsx(results: list[dict], circular: Circular) -> bytes:
    """The circular's table ready to print: A4 landscape, frozen header, title rows on every page."""
    import xlsxwriter

    results = printable(results)
    table = circular_table(results, circular)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(f"{circular.year}年度考評結果")
    base = {"font_name": BODY_FONT, "font_size": 10, "valign": "vcenter"}
    title_format = book.add_format({**base, "font_name": HEADING_FONT, "font_size": 16, "bold": True, "align": "center"})
    line_format = book.add_format({**base, "align": "center"})
    draft_format = book.add_format({**base, "align": "center", "bold": True, "font_color": "#C00000"})
    header_format = book.add_format({**base, "bold": True, "align": "center", "border": 1, "text_wrap": True, "bg_color": "#D9E1F2"})
    # quote_prefix: text stays text when someone edits it (=1+2 小學 never becomes 3), shown as written.
    cell_format = book.add_format({**base, "border": 1, "quote_prefix": True})
    name_format = book.add_format({**base, "border": 1, "text_wrap": True, "quote_prefix": True})  # wraps, never cut
    number_format = book.add_format({**base, "border": 1, "num_format": "0.0", "align": "center"})
    deduction_format = book.add_format({**base, "border": 1, "num_format": "0.0#", "align": "center"})
    center_format = book.add_format({**base, "border": 1, "align": "center", "quote_prefix": True})
    note_format = book.add_format({**base, "font_size": 9, "text_wrap": True, "valign": "top"})

    last_col = len(table.columns) - 1
    sheet.merge_range(0, 0, 0, last_col, circular.heading, title_format)
    lines = [(circular.draft_line, draft_format), (circular.correction_line, draft_format), (circular.date_line, line_format),
             (circular.as_of_line, line_format)]
    header_row = 1
    for text, style in lines:
        if text:
            sheet.merge_range(header_row, 0, header_row, last_col, text, style)
            header_row += 1
    sheet.set_row(0, 28)
    sheet.set_row(header_row, 27)  # two lines: 「C 安全教育培訓」 wraps in its column
    for col, name in enumerate(table.columns):
        sheet.write_string(header_row, col, str(name), header_format)
    numeric = {circular.area_header(a) for a in AREA_IDS} | {"督查扣分", "總分"}
    for row_offset, row in enumerate(table.itertuples(index=False), start=header_row + 1):
        for col, (name, value) in enumerate(zip(table.columns, row, strict=True)):
            if is_missing(value):
                sheet.write_blank(row_offset, col, None, cell_format)
            elif name in numeric:
                sheet.write_number(row_offset, col, float(value), deduction_format if name == "督查扣分" else number_format)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(row_offset, col, value, center_format)
            else:
                style = center_format if name in ("排名", "等次", "類別") else name_format if name == "學校名稱" else cell_format
                sheet.write_string(row_offset, col, str(value), style)
    note_row = header_row + len(table) + 2
    for offset, note in enumerate(footnotes(circular)):
        sheet.merge_range(note_row + offset, 0, note_row + offset, last_col, note, note_format)
        sheet.set_row(note_row + offset, 30)

    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 1, 22)
    sheet.set_column(2, 3, 10)
    sheet.set_column(4, 4 + len(AREA_IDS) - 1, 9)
    sheet.set_column(4 + len(AREA_IDS), last_col, 8)
    sheet.freeze_panes(header_row + 1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.repeat_rows(0, header_row)
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    sheet.set_footer("&C第 &P 頁，共 &N 頁")
    book.close()
    return buffer.getvalue()


# --- .csv ----------------------------------------------------------------------------


def circular_csv(results: list[dict], circular: Circular) -> bytes:
    """The same table as CSV (UTF-8 with BOM, so Excel on the bureau's PCs reads the Chinese)."""
    results = printable(results)
    table = _text_cells(circular_table(results, circular))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(circular.heading)])
    for line in (circular.draft_line, circular.correction_line, neutralise(circular.date_line), circular.as_of_line):
        if line:
            writer.writerow([line])
    writer.writerow(table.columns)
    for row in table.itertuples(index=False):
        writer.writerow(["" if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")


# --- .docx ---------------------------------------------------------------------------


def grade_counts(results: list[dict], circular: Circular) -> dict[str, int]:
    qualified = [r for r in results if r.get("qualified", True)]
    counts = pd.Series([r.get("grade") for r in qualified], dtype="object").value_counts()
    return {grade: int(counts.get(grade, 0)) for grade in circular.grades}


def common_problems(results: list[dict], limit: int = 5) -> list[dict]:
    """Indicators with the lowest county-wide compliance (mean ratio over the ranked schools that sent
    their records, where the indicator was measured): a school that sent nothing would make every duty
    look undone, and a disqualified school is not in the evaluation."""
    rows = [
        {"indicator": key, "ratio": value.get("ratio"), "max": value.get("max")}
        for r in results if r.get("qualified", True) and r.get("submitted") is not False
        for key, value in (r.get("indicators") or {}).items()
        if isinstance(value, dict) and value.get("ratio") is not None and not value.get("pending")
    ]
    if not rows:
        return []
    frame = pd.DataFrame(rows)
    frame["ratio"] = pd.to_numeric(frame["ratio"], errors="coerce")
    summary = frame.groupby("indicator").agg(ratio=("ratio", "mean"), schools=("ratio", "size"),
                                             short=("ratio", lambda s: int((s < 1).sum())))
    summary = summary[summary["ratio"] < 1].sort_values(["ratio", "short"], ascending=[True, False]).head(limit)
    return [
        {"indicator": ind, "name": INDICATOR_NAMES.get(ind, ind), "ratio": float(row.ratio),
         "schools_short": int(row.short), "schools": int(row.schools)}
        for ind, row in summary.iterrows()
    ]


def percent_met(ratio: float) -> int:
    """A share (a mean compliance, schools that drilled) as a whole percent: halves up as the totals are
    (62.5% is 63%, where Python's format gave 62%), and never 100% below everyone (99.6% beside
    "1所學校未完全達標" read 100%; held-out county audit).  The circular and the overview print it so."""
    percent = int(round_half_up(ratio * 100, 0))
    return min(percent, 99) if ratio < 1 else percent


def _set_run_font(run, name: str = BODY_FONT, size: float | None = None, bold: bool | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = LATIN_FONT
    r_pr = run._element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)
    if size:
        run.font.size = Pt(size)
    if bold is not None:
        run.bold = bold


def _set_style_font(style, name: str, size: float | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    style.font.name = LATIN_FONT
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)
    # A theme font in the same element wins over a named one (python-docx's headings carry majorEastAsia):
    # without this, what the office types under a heading in Word is in the theme's font, not 黑体.
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    if size:
        style.font.size = Pt(size)


def _paragraph(document, text: str, size: float = 12, bold: bool = False, align=None, font: str = BODY_FONT):
    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    _set_run_font(paragraph.add_run(text), font, size, bold)
    return paragraph


def circular_summary(results: list[dict], circular: Circular) -> list[str]:
    """The summary paragraphs: how many schools, how many per grade, who was disqualified."""
    counts = grade_counts(results, circular)
    disqualified = [r for r in results if not r.get("qualified", True)]
    qualified = len(results) - len(disqualified)
    absent_ranked = sum(1 for r in results if r.get("submitted") is False and r.get("qualified", True)
                        and r.get("grade") == circular.grades[-1])
    # A school that sent nothing is ranked on 0 points: counted in the lowest grade, and said so there.
    per_grade = "，".join(f"{grade}{counts[grade]}所" + (
        f"（含未提交的{absent_ranked}所）" if grade == circular.grades[-1] and absent_ranked else "")
        for grade in circular.grades)
    ranked = f"參加排名的{qualified}所學校中，{per_grade}"
    if disqualified:
        ranked += f"；另有{len(disqualified)}所取消考評資格，等次計為{circular.grades[-1]}"
    # the disqualified are said apart, unranked, whatever they sent
    absent = sum(1 for r in results if r.get("submitted") is False and r.get("qualified", True))
    if absent:
        # "Submitted" is what the store holds: a school whose only workbook was refused has no records
        # either, and the circular must not say it sent nothing (the results keep no refusal to tell).
        ranked += (f"。{absent}所學校沒有通過校驗的安全工作台賬（未提交，或所交工作簿被退回），"
                   f"按0分計入排名（表中標注「未提交」）")
    paragraphs = [
        f"根據《關於進一步加強學校安全管理提升本質安全的實施方案》，{circular.issuer}組織考評組對全縣"
        f"{len(results)}所學校、幼兒園{circular.year}年度本質安全工作進行了考評。現將考評結果通報如下。",
        f"{ranked}。",
    ]
    if disqualified:
        names = "、".join(str(r.get("name") or r.get("school_code")) for r in disqualified)
        paragraphs.append(
            f"{names}共{len(disqualified)}所學校經督查確認存在弄虛作假或造成重大安全影響的情形，"
            f"實行一票否決，取消本年度考評資格。"
        )
    else:
        paragraphs.append("本年度沒有學校被取消考評資格。")
    return paragraphs


def _describe(document, circular: Circular) -> None:
    """The file's own properties say what it is and who issued it (python-docx's template says
    "python-docx", 2013), and its East Asian text is Chinese (the template marks it en-US)."""
    from datetime import datetime

    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    props = document.core_properties
    props.author = props.last_modified_by = circular.issuer
    props.title = circular.heading
    props.created = props.modified = datetime.combine(circular.issued, datetime.min.time())
    props.revision = 1
    props.comments = props.subject = props.keywords = ""
    r_pr = document.styles.element.find(qn("w:docDefaults"))
    r_pr = r_pr.find(qn("w:rPrDefault")).find(qn("w:rPr")) if r_pr is not None else None
    if r_pr is not None:
        lang = r_pr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            r_pr.append(lang)
        lang.set(qn("w:eastAsia"), "zh-CN")


def circular_docx(results: list[dict], circular: Circular) -> bytes:
    """The circular's draft for the office to finish in Word: heading, summary, table, common problems."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, RGBColor

    results = printable(results)
    document = Document()
    _describe(document, circular)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.0))
    for name in ("Normal", "Table Grid"):
        if name in [s.name for s in document.styles]:
            _set_style_font(document.styles[name], BODY_FONT, 12 if name == "Normal" else None)
    for level in (1, 2):
        _set_style_font(document.styles[f"Heading {level}"], HEADING_FONT)
        document.styles[f"Heading {level}"].font.color.rgb = RGBColor(0, 0, 0)  # an official notice is black
    _page_header_and_footer(section, circular)

    title = document.add_heading(level=1)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_run_font(title.add_run(circular.heading), HEADING_FONT, 18, True)
    for line, bold in ((circular.draft_line, True), (circular.correction_line, True), (circular.as_of_line, False)):
        if line:
            _paragraph(document, line, 12, bold, WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, "各學校、幼兒園：", 12)
    for text in circular_summary(results, circular):
        paragraph = _paragraph(document, text, 12)
        paragraph.paragraph_format.first_line_indent = Cm(0.85)

    heading = document.add_heading(level=2)
    _set_run_font(heading.add_run("一、考評結果"), HEADING_FONT, 14, True)
    table_frame = circular_table(results, circular)
    table = document.add_table(rows=1, cols=len(table_frame.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, name in zip(table.rows[0].cells, table_frame.columns, strict=True):
        cell.text = ""
        _set_run_font(cell.paragraphs[0].add_run(str(name)), BODY_FONT, 9, True)
    shown = [deduction_text if name == "督查扣分" else "{:.1f}".format for name in table_frame.columns]
    texts = [["" if is_missing(value) else (show(value) if isinstance(value, float) else str(value))
              for show, value in zip(shown, row, strict=True)] for row in table_frame.itertuples(index=False)]
    if texts:  # the first school's row cell by cell, as python-docx builds it
        for cell, text in zip(table.add_row().cells, texts[0], strict=True):
            cell.text = ""
            _set_run_font(cell.paragraphs[0].add_run(text), BODY_FONT, 9)
    _set_column_widths(table, [Cm(w) for w in _DOCX_WIDTHS_CM])
    # Every other row a copy of that one with its own texts: built cell by cell through python-docx, 3,000
    # schools' rows took 50 s on a busy server (a scale audit; gunicorn gives a request 120 s).
    template = table.rows[1]._tr if texts else None
    for row in texts[1:]:
        tr = copy.deepcopy(template)
        for tc, text in zip(tr.tc_lst, row, strict=True):
            tc.p_lst[0].r_lst[-1].text = text  # python-docx's own run text (spaces kept, as add_run does)
        table._tbl.append(tr)
    _set_repeat_header(table.rows[0])
    for note in footnotes(circular):
        _paragraph(document, note, 9)

    heading = document.add_heading(level=2)
    _set_run_font(heading.add_run("二、共性問題"), HEADING_FONT, 14, True)
    problems = common_problems(results)
    if not problems:
        _paragraph(document, "各項指標全縣均已達標。", 12)
    for number, problem in enumerate(problems, start=1):
        _paragraph(
            document,
            f"{number}. {problem['indicator']} {problem['name']}：全縣平均達標率{percent_met(problem['ratio'])}%，"
            f"{problem['schools_short']}所學校未完全達標。",
            12,
        )
    heading = document.add_heading(level=2)
    _set_run_font(heading.add_run("三、工作要求"), HEADING_FONT, 14, True)
    _paragraph(document, "各學校、幼兒園要對照考評結果和共性問題，逐項整改、逐個銷號，整改情況報局安全辦備案。", 12)
    # Signed at the end, as an official notice is: the issuer, then the date, to the right.
    _paragraph(document, "", 12)
    _paragraph(document, circular.issuer, 12, False, WD_ALIGN_PARAGRAPH.RIGHT)
    issued = circular.issued
    _paragraph(document, chinese_day(issued), 12, False, WD_ALIGN_PARAGRAPH.RIGHT)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# 序號, 學校名稱, 類別, 鄉鎮, A-G, 督查扣分, 總分, 等次, 排名 on A4 landscape (25.7 cm between margins):
# the name gets the room equal columns gave it in three or four lines; 類別 holds 九年一貫制 and 排名 取消資格
# on one line (9 pt, 0.19 cm margins a side: they broke as 九年一/貫制 and 取消資/格; an audit).
_DOCX_WIDTHS_CM = (1.0, 4.6, 2.0, 1.8, *([1.45] * len(AREA_IDS)), 1.4, 1.4, 1.5, 1.7)


def _set_column_widths(table, widths) -> None:
    """Word takes a column's width from each of its cells, LibreOffice from the table grid: both are set."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=False):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width


def _page_header_and_footer(section, circular: Circular) -> None:
    """A draft says so at the top of every page, not only the first; every page is numbered."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    if circular.draft:
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_run_font(header.add_run(circular.draft_line), BODY_FONT, 10, True)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_run_font(footer.add_run("第 "), BODY_FONT, 9)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    footer._p.append(field)
    _set_run_font(footer.add_run(" 頁"), BODY_FONT, 9)


def _set_repeat_header(row) -> None:
    """The table's header row repeats on every printed page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    tr_pr.append(element)


# --- one school's own indicator table ---------------------------------------------


def school_table(result: dict, year: int | None = None) -> pd.DataFrame:
    """指標, 名稱, 得分, 滿分, 依據條款, 計分依據, 改進建議, 督查評定: one row per indicator of one school.

    For a year already over the 改進建議 stay empty, as on the school page: nothing done now changes it
    (its 2020 table advised 「下一次演練…：+0.04」; held-out county audit)."""
    indicators = result.get("indicators") or {}
    advice = year is None or not year_is_over(year)
    rows = [
        {
            "指標": key,
            "名稱": INDICATOR_NAMES.get(key, key),
            "得分": None if value.get("points") is None else round(float(value["points"]), 2),
            # Rounded as 得分 is: 3.53 of 3.5294 read as more than full marks.
            "滿分": None if value.get("max") is None else round(float(value["max"]), 2),
            "依據條款": value.get("clause"),
            "計分依據": "待計（期間未結束）" if value.get("pending") else value.get("detail"),
            "改進建議": value.get("hint") if advice else None,
            "督查評定": None if value.get("assessed_points") is None else value.get("assessed_points"),
        }
        for key, value in sorted(indicators.items())
    ]
    return pd.DataFrame(rows, columns=list(SCHOOL_TABLE_COLUMNS))


def year_is_over(year: int) -> bool:
    """A year before the county's running one: its results stand (the school page says so too)."""
    return year < county_today().year


def school_heading(result: dict, year: int, draft: bool, circular: Circular | None = None) -> list[str]:
    """The lines above a school's own table; `circular`: the publication (or draft) its result comes from."""
    rank = result.get("rank")
    if not result.get("qualified", True):
        place = f"{DISQUALIFIED}（{result['veto']}）" if result.get("veto") else DISQUALIFIED
    else:
        place = f"第{rank}名" if rank else ""
    absent = NOT_SUBMITTED if result.get("submitted") is False else ""
    total = result.get("total")
    lines = [
        f"{result.get('name') or result.get('school_code')}（{result.get('school_code')}）{absent}"
        f"{year}年度本質安全考評指標明細",
        f"總分 {'' if total is None else f'{float(total):.1f}'}　等次 {result.get('grade')}　{place}　"
        f"督查扣分 {deduction_text(result.get('deduction'))}",
    ]
    if circular is not None and not draft and circular.published_line:
        lines.append(circular.published_line)
    lines.append("各指標得分保留兩位小數；總分按未經四捨五入的得分合計、減督查扣分後保留一位小數，與本表得分之和可能略有出入")
    as_of = result.get("as_of")
    if as_of and not str(as_of).endswith("-12-31"):
        lines.append(f"數據截至 {str(as_of)[:10]}（年度未結束，總分按已可考評的分值折算）")
    if year_is_over(year):
        lines.append(f"{year}年度已結束，考評結果以此為準，本表不列改進建議")
    if draft:
        lines.append(f"{DRAFT_MARK}：未經發布的考評結果")
    return lines


def school_xlsx(result: dict, year: int, draft: bool, circular: Circular | None = None) -> bytes:
    import xlsxwriter

    result = printable(result)
    table = school_table(result, year)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("指標明細")
    base = {"font_name": BODY_FONT, "font_size": 10, "valign": "top", "text_wrap": True, "quote_prefix": True}
    bold = book.add_format({**base, "bold": True, "font_size": 12, "text_wrap": False})
    header = book.add_format({**base, "bold": True, "border": 1, "bg_color": "#D9E1F2"})
    cell = book.add_format({**base, "border": 1})
    lines = school_heading(result, year, draft, circular)
    for row, line in enumerate(lines):
        sheet.write_string(row, 0, line, bold)
    start = len(lines) + 1
    for col, name in enumerate(table.columns):
        sheet.write_string(start, col, name, header)
    widths = (6, 16, 7, 7, 9, 48, 40, 9)
    for r, row in enumerate(table.itertuples(index=False), start=start + 1):
        for c, value in enumerate(row):
            if is_missing(value):
                sheet.write_blank(r, c, None, cell)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(r, c, value, cell)
            else:
                sheet.write_string(r, c, str(value), cell)
        # Office suites do not grow a row for wrapped text written by a program: as many lines as the
        # longest cell needs, or the reason and the hint are cut off in print.
        # at most the 409 pt a row of Excel's can be (thirty guards' missed semesters asked for 459)
        lines = max(_wrapped_lines(v, w) for v, w in zip(row, widths, strict=True))
        sheet.set_row(r, min(_MAX_ROW_POINTS, _LINE_POINTS * lines))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(start + 1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)  # every column on one page's width: a hint beside its indicator
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.repeat_rows(start, start)
    sheet.set_footer("&C第 &P 頁，共 &N 頁")
    book.close()
    return buffer.getvalue()


_MAX_ROW_POINTS = 409
# A line of 10-pt Chinese: 13.5 pt in 宋体, 14.5 in the Noto CJK face LibreOffice puts in its place where 宋体 is
# not installed (at 13.5 the last line of every wrapped cell was cut there; an audit).
_LINE_POINTS = 15


def _wrapped_lines(value, width: int) -> int:
    """Lines a cell's text takes in a column `width` characters wide (a Chinese character is two)."""
    if is_missing(value):
        return 1
    text = str(value)
    lines = 0
    for part in text.split("\n"):
        units = sum(2 if ord(ch) > 0x2E7F else 1 for ch in part)
        lines += max(1, -(-units // max(width - 1, 1)))
    return lines


def school_csv(result: dict, year: int, draft: bool, circular: Circular | None = None) -> bytes:
    result = printable(result)
    table = _text_cells(school_table(result, year))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in school_heading(result, year, draft, circular):
        writer.writerow([neutralise(line)])
    writer.writerow(table.columns)
    for row in table.itertuples(index=False):
        writer.writerow(["" if v is None or (isinstance(v, float) and pd.isna(v)) else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")


# The files are the bureau's documents, in the plan's own script whatever the page's language: a
# publication keeps one file per format in it.
FILES_LANGUAGE = "zh-Hant"

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "csv": "text/csv; charset=utf-8"}


def circular_bytes(results: list[dict], circular: Circular, fmt: str) -> bytes:
    if circular.as_of is None:
        circular = replace(circular, as_of=evaluation_date_of(results))
    builders = {"xlsx": circular_xlsx, "docx": circular_docx, "csv": circular_csv}
    return builders[fmt](results, circular)


def school_bytes(result: dict, year: int, draft: bool, fmt: str, circular: Circular | None = None) -> bytes:
    builders = {"xlsx": school_xlsx, "csv": school_csv}
    return builders[fmt](result, year, draft, circular)


def file_name(year: int, draft: bool, fmt: str, school_code: str | None = None, version: int = 1) -> str:
    """ASCII-safe file names: 'circular-2026.xlsx', 'circular-2026-draft.docx', 'school-S001-2026.csv', and
    'circular-2026-v2.xlsx' for a second publication (it had the first's name: two files, one name)."""
    safe_code = re.sub(r"[^A-Za-z0-9_.-]", "_", school_code or "")
    stem = f"school-{safe_code}-{year}" if school_code else f"circular-{year}"
    mark = "-draft" if draft else f"-v{version}" if version > 1 else ""
    return f"{stem}{mark}.{fmt}"
