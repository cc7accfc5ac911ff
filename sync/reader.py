"""Reading workbooks as people really keep them.

python-calamine reads .xlsx, .xls and .ods (and tells which sheets are
hidden); every cell comes back raw and sync.cells types it.  The reader finds
each contract sheet by its name (Traditional or Simplified, full-width or
not, the English key, a leading "表3" or "3." numbering), finds the header row
below any title rows (merged or not), maps header cells to the contract's
columns, and hands over the rows under it, leaving out blank rows and the
notes or signature lines people put under a table.  A row that looks like a
record is never left out: it goes on to validation, which reports it.

Also forgiven: a sheet named in an office's words (應急演練記錄, 隱患整改台賬),
a column headed as another sheet heads it (校區名稱 on 應急演練), a second
header row of English keys, rows of a printed form holding only a serial
number, invisible characters pasted from the web, and a file whose extension
lies (read by its content).  Not forgiven but named (sync.formats finds
them in the file before calamine opens it): Excel error cells and formulas
saved without a value, amounts shown in 萬元 or another currency, empty,
password-protected, HTML and CSV files, zip bombs and sheets too large to lay out.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sync import contract
from sync.cells import (
    INVISIBLE,
    INVISIBLE_CHAR,
    YES_NO_WORDS,
    MergedNumber,
    canon,
    display,
    heading,
    is_empty,
    is_placeholder,
    parse_date,
    simplified,
    without_invisible,
)
from sync.formats import (
    PASSWORD_PROTECTED,
    Package,
    UnreadableWorkbook,
    column_letter,
    ods_layout,
    open_book,
    put_errors,
    refuse_unreadable_packages,
    what_it_is,
    xls_error_cells,
    xlsx_error_cells,
    xlsx_unit_formatted_cells,
)
from sync.validate import RawRow

log = logging.getLogger("safeschool.sync")

# Read by their content (calamine tells .xlsx from .xls by the bytes): WPS's own spreadsheet name (.et)
# holds the same formats.  Templates (.xltx, .xlt, WPS's .ett) are not a school's submission: a blank
# one kept beside the workbook would be refused every run, a filled copy would claim the same school.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".et")
HEADER_SEARCH_ROWS = 30


@dataclass
class RawSheet:
    name: str
    visible: bool
    grid: list[list]  # every row from A1, every cell raw
    # (row, column), 0-based, of cells whose number format shows a unit of 萬 or 千 (0.00"萬元"): the
    # value is in yuan or not as the person meant, which calamine's values alone cannot tell (.xlsx).
    unit_formatted: frozenset = frozenset()
    hidden_columns: frozenset = frozenset()  # 0-based columns an .xlsx hides (<col hidden="1">)
    hidden_rows: frozenset = frozenset()  # 0-based rows it hides (by hand, in a collapsed group, filtered out)
    unshown: frozenset = frozenset()  # (row, column), 0-based, of cells whose format shows nothing (;;;)
    # ((top, left), (bottom, right)), 0-based, of each merged range: a rebuilt copy merges them again
    # (the grid holds a merged value in each row it covers, as the person reads it)
    merged: tuple = ()


@dataclass
class Table:
    """A contract sheet located in a workbook sheet."""

    spec: contract.Sheet
    sheet: RawSheet
    header_idx: int  # 0-based row of the header
    columns: dict[str, int]  # column key -> 0-based column
    headers: dict[str, tuple[int, str]]  # column key -> (1-based column, header as written)
    header_cells: list
    rows: list[RawRow]
    # (row, text, kind) lines not read as records: "totals", "signature", "note", "long" (a sentence
    # alone) under the table, "header" (a second header row), "above" (a record-like line above it),
    # "extra" (filled only in columns not read)
    notes: list[tuple[int, str, str]]
    region: list[tuple[int, list]]  # (row, cells) of every record row under the header (notes left out)


def read_workbook(source: Path | bytes, filename: str = "") -> list[RawSheet]:
    """Every sheet of the workbook, hidden ones included (the caller decides what to use)."""
    package = Package.of(source)
    try:
        if package is not None:
            # in the try: a zip whose members are damaged (a bad header, an unknown method) is a damaged
            # file to its sender, not "reading failed (BadZipFile)" (found by a fuzz of damaged uploads)
            refuse_unreadable_packages(package, source)
        # Measured (and error cells found) before calamine opens it: calamine lays out an .xls's
        # sheets as it opens the file.
        hidden: dict[str, frozenset] = {}
        hidden_rows: dict[str, frozenset] = {}
        unit_cells: dict[str, frozenset] = {}
        unshown: dict[str, frozenset] = {}
        errors = (xlsx_error_cells(package, hidden, hidden_rows) if package
                  else xls_error_cells(source, hidden, unit_cells, hidden_rows=hidden_rows, unshown=unshown))
        ods_merges, ods_errors = ods_layout(package, hidden, unit_cells, hidden_rows) if package else ({}, {})
        errors = errors or ods_errors
        if package and "xl/workbook.xml" in package.members:
            unit_cells = xlsx_unit_formatted_cells(package, unshown)
        book = open_book(source)
        sheets = []
        for meta in book.sheets_metadata:
            if is_chart(meta):
                continue
            sheet = book.get_sheet_by_name(meta.name)
            grid = sheet.to_python(skip_empty_area=False)
            put_errors(grid, errors.get(meta.name, ()))
            merged = sheet.merged_cell_ranges or ods_merges.get(meta.name) or ()
            _fill_merged_down(grid, merged)
            sheets.append(RawSheet(meta.name, str(meta.visible).endswith(".Visible"), grid,
                                   unit_cells.get(meta.name, frozenset()), hidden.get(meta.name, frozenset()),
                                   hidden_rows.get(meta.name, frozenset()), unshown.get(meta.name, frozenset()),
                                   tuple(merged)))
        return sheets
    except UnreadableWorkbook:
        raise
    except Exception as err:  # calamine raises many kinds; all mean "cannot read this file"
        what = what_it_is(source)
        if what is None and "password" in str(err).lower():  # an .xls saved with a password (BIFF FILEPASS)
            what = PASSWORD_PROTECTED
        if what is not None:
            raise UnreadableWorkbook("無法讀取此文件:" + what[0], "the file cannot be read: " + what[1]) from None
        # The reader's own words ("Cannot detect file format", "sst", a sheet's name) told the person nothing
        # they could act on (found by the language audit and a fuzz): they are the log's, for the bureau.
        log.info("%s: calamine could not read it: %s", filename or "a workbook", str(err)[:500] or type(err).__name__)
        raise UnreadableWorkbook(
            "無法讀取此文件:它不是 Excel、WPS 或 LibreOffice 保存的工作簿,或文件已損壞;請用 Excel 或 WPS 另存為 .xlsx 後重新提交",
            "the file cannot be read: it is not a workbook saved by Excel, WPS or LibreOffice, or it is damaged; "
            "save it as .xlsx in Excel or WPS and send it again",
        ) from None


def is_chart(meta) -> bool:
    """A chart sheet: no cells, never one of the contract's tables (read_workbook and peek skip it alike)."""
    return "Chart" in str(meta.typ)


def _fill_merged_down(grid: list[list], merged) -> None:
    """A cell merged down over several rows (one 責任人 for three hazards, one 日期 for two gate-duty
    slots) holds its value for each of those rows, as the person reading the sheet sees it; calamine
    gives it to the top row only.  Only down its first column: a merge across columns is one cell's
    value shown wide, not a value of the columns it covers.  A number goes down as a MergedNumber:
    2000 yuan merged over two purchases is not 2000 each, and a count or amount column says so."""
    for (top, col), (bottom, _right) in merged or ():
        if bottom <= top or top >= len(grid) or col >= len(grid[top]):
            continue
        value = grid[top][col]
        if is_empty(value):
            continue
        if value.__class__ in (int, float):
            value = MergedNumber.below(value, top + 1)
        for r in range(top + 1, min(bottom, len(grid) - 1) + 1):
            if col < len(grid[r]) and is_empty(grid[r][col]):
                grid[r][col] = value


# ---------------------------------------------------------------- sheet names

LABEL_MAX = 100  # characters: no sheet name or heading is longer

_NUMBERING = re.compile(r"^(?:(?:附表|表|sheet)?[0-9一二三四五六七八九十]+|第[0-9一二三四五六七八九十]+表)[.、)_\-:]*")
_PARENS = re.compile(r"\(.*?\)|\[.*?\]|【.*?】")


def _label_forms(text: str) -> list[str]:
    """The canonical forms a sheet name or header may be matched by, most literal first."""
    raw = unicodedata.normalize("NFKC", str(text).translate(INVISIBLE)).strip()
    forms = [canon(raw)]
    no_parens = canon(_PARENS.sub("", raw))
    forms.append(no_parens)
    forms.append(_NUMBERING.sub("", no_parens))
    for part in re.split(r"[\n/|]+", raw):
        if part.strip():
            forms.append(canon(_PARENS.sub("", part)))
    if _LATIN.search(raw) and not raw.isascii():
        # A bilingual heading either way round (學校代碼 School code, School code 學校代碼): each language alone.
        # Before the first word alone: in 「classes signed in 簽到班級數」 that word is another column's key
        # (classes), and the sheet had 參演班級數 twice and no 簽到班級數 (found by a twin-county audit).
        forms.append(canon(_PUNCTUATION.sub("", _LATIN.sub("", raw))))
        forms.append(canon(_PUNCTUATION.sub("", "".join(_LATIN.findall(raw)))))
    first = raw.split()
    if len(first) > 1:
        forms.append(canon(first[0]))
    return [f for f in dict.fromkeys(forms) if f]


# An English label's words, its apostrophe and hyphens too (guard's name, one-button alarm): 「guard's name
# 姓名」 left 「'姓名」 behind and matched no column.
_LATIN = re.compile(r"[A-Za-z][A-Za-z_ '’\-]*")
_PUNCTUATION = re.compile(r"[()\[\]{}:/|,;._\-]")


def _names_of(item) -> set[str]:
    en = item.en or item.label_en if isinstance(item, contract.Column) else item.en
    names = {canon(item.zh), canon(item.key), canon(item.key.replace("_", " "))}
    if en:
        names.add(canon(en))
        names.add(canon(en.replace(" ", "_")))
    return names


_SHEET_INDEX: dict[str, str] = {}
for _s in contract.SHEETS.values():
    for _n in _names_of(_s):
        _SHEET_INDEX.setdefault(_n, _s.key)


# What a sheet is called in an office's own words around the contract name: 「2026年」 before it,
# 「記錄」「台賬」「名冊」「登記表」「統計表」「表」 after it (in Simplified, as canon gives them).
_LEDGER = re.compile(r"^(?:\d{4}年度?)?(.+?)(?:记录表|记录|台账|名册|登记表|统计表|一览表|情况表|情况|表)?"
                     r"(?:\d{4}年?度?)?$")  # 安全教育2026, 2026年安全經費: the year around the name


def sheet_key_of(name: str) -> str | None:
    return _sheet_match(name)[0]


@lru_cache(maxsize=4096)  # a county's workbooks carry the same few sheet names, each matched at peek and check
def _sheet_match(name: str) -> tuple[str | None, bool]:
    """(contract sheet key or None, whether the name is the contract's own rather than a ledger form)."""
    if len(name) > LABEL_MAX:
        return None, False
    forms = _label_forms(name)
    for n, form in enumerate(forms):
        if form in _SHEET_INDEX:
            # Only the name as written is the contract's own: 第二校區 or 校區(舊) matched after taking
            # something off never ties with, or wins over, the sheet named 校區.
            return _SHEET_INDEX[form], n == 0
    for form in forms:
        m = _LEDGER.match(form)
        if m and m[1] in _SHEET_INDEX:
            return _SHEET_INDEX[m[1]], False
    for form in forms:
        # A copy of a sheet as LibreOffice and people name it (應急演練_2, 應急演練2): the same table, so a copy
        # holding the records beside the emptied original is said, not passed over (found by a contract audit;
        # 應急演練 (2), Excel's and WPS's copy, is the bracket form above).
        copied = _COPY_NUMBER.sub("", form)
        if copied != form and copied in _SHEET_INDEX:
            return _SHEET_INDEX[copied], False
    return None, False


_COPY_NUMBER = re.compile(r"[\s_\-]*\d{1,2}$")


def match_sheets(sheets: list[RawSheet]) -> tuple[dict[str, RawSheet], list[tuple[str, list[str]]]]:
    """Contract sheet key -> workbook sheet.  A visible sheet wins over a hidden one of the same key;
    two visible sheets for one key are returned as conflicts (key, names)."""
    found: dict[str, list[RawSheet]] = {}
    exact: set[str] = set()
    for sh in sheets:
        key, is_exact = _sheet_match(sh.name)
        if key:
            found.setdefault(key, []).append(sh)
            if is_exact:
                exact.add(sh.name)
    chosen, conflicts = {}, []
    for key, candidates in found.items():
        visible = [s for s in candidates if s.visible]
        pool = visible or candidates
        # 「安全經費」 beside 「安全經費統計表」: the sheet with the contract's own name is the table.
        pool = [s for s in pool if s.name in exact] or pool
        if len(pool) > 1:
            conflicts.append((key, [s.name for s in pool]))
        chosen[key] = pool[0]
    return chosen, conflicts


# ---------------------------------------------------------------- header row

_HEADER_INDEX: dict[str, dict[str, str]] = {
    s.key: {name: c.key for c in s.columns for name in _names_of(c)} for s in contract.SHEETS.values()
}
# Columns that mean the same on every sheet they are on may be headed as another sheet heads them
# (校區名稱 on 應急演練, 日期 for 演練日期, 上崗日期 for 到崗日期).  Not "name" (a school's on one
# sheet, a person's on another) nor anything whose meaning changes between sheets.
# A borrowed heading stands in only for a column the sheet does not head in its own words: beside
# 演練日期, an extra 日期 column (the day the record was filed) is an unknown extra column.
_SHARED_MEANING = ("campus", "date", "kind", "start_date", "end_date", "content")
_BORROWED: dict[str, set[str]] = {s.key: set() for s in contract.SHEETS.values()}
for _key in _SHARED_MEANING:
    _aliases = {canon(c.zh) for s in contract.SHEETS.values() for c in s.columns if c.key == _key}
    for _s in contract.SHEETS.values():
        if _key in _s.keys:
            for _alias in _aliases - _HEADER_INDEX[_s.key].keys():
                _HEADER_INDEX[_s.key][_alias] = _key
                _BORROWED[_s.key].add(_alias)


def column_key_of(spec: contract.Sheet, header) -> str | None:
    if not isinstance(header, str) or is_empty(header):
        return None
    return _column_key(spec.key, header)[0]


@lru_cache(maxsize=65536)
def _column_key(sheet_key: str, header: str) -> tuple[str | None, bool, bool]:
    """(column key or None, whether the heading is borrowed from another sheet, whether it is the
    column's name as written rather than a form with something taken off: 在校學生數（女）)."""
    if len(header) > LABEL_MAX:  # a page of text in the first rows is no heading (nor kept in the cache)
        return None, False, False
    index = _HEADER_INDEX[sheet_key]
    for n, form in enumerate(_label_forms(header)):
        if form in index:
            key = index[form]
            return key, form in _BORROWED[sheet_key], n == 0 or not _qualifies(sheet_key, key, header)
    return None, False, False


# What a bracket or a second word may add to a heading without making it another column: a unit, a
# format, a reminder (在校學生數（人）, 日期(yyyy-mm-dd), 寄宿制(是/否), 校區名稱（必填）).
_UNIT_WORDS = frozenset({"人", "人数", "名", "个", "元", "次", "天", "日", "所", "间", "台", "套", "项", "份", "班", "小时",
                         "学时", "课时", "必填", "选填", "是/否", "是否", "y/n", "yyyy-mm-dd", "年-月-日", "年月日",
                         "小写"})  # 金額（小寫）: the figures, beside 金額（大寫） in capital numerals on finance forms
_BRACKETED = re.compile(r"\((.*?)\)|\[(.*?)\]|【(.*?)】")


def _qualifies(sheet_key: str, key: str, header: str) -> bool:
    """Whether a heading matched to `key` only after something was taken off says more than the column
    (在校學生數（女）, 參演人數 說明: another column) rather than spelling it (在校學生數（人）, Students
    在校學生數, 2.在校學生數)."""
    raw = unicodedata.normalize("NFKC", header)
    for groups in _BRACKETED.findall(raw):
        inner = canon(next((g for g in groups if g), ""))
        if inner and inner not in _UNIT_WORDS:
            return True
    index = _HEADER_INDEX[sheet_key]
    parts = [canon(p) for p in re.split(r"[\s/|]+", _PARENS.sub(" ", raw)) if p.strip()]
    return len(parts) > 1 and any(index.get(p) != key and p not in _UNIT_WORDS for p in parts)


def _header_matches(spec: contract.Sheet, row: list) -> dict[str, list[int]]:
    matched: dict[str, list[int]] = {}
    borrowed: dict[str, list[int]] = {}
    qualified: dict[str, list[int]] = {}
    for i, cell in enumerate(row):
        if cell.__class__ is not str or is_empty(cell):
            continue
        key, is_borrowed, as_written = _column_key(spec.key, cell)
        if key:
            (borrowed if is_borrowed else matched if as_written else qualified).setdefault(key, []).append(i)
    # 在校學生數（女） or 參演人數 說明 beside 在校學生數, 參演人數: the column named as the contract names it
    # is the one read; the qualified one is an unknown extra column, not the same column twice.
    for group in (qualified, borrowed):
        for key, idxs in group.items():
            matched.setdefault(key, idxs)
    return matched


def find_header(spec: contract.Sheet, grid: list[list]) -> tuple[int, dict[str, list[int]]] | None:
    """The row (0-based) among the first rows that names the most contract columns (at least two)."""
    best, best_idx, best_map = 1, None, {}
    for idx, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        matched = _header_matches(spec, row)
        if len(matched) > best:
            best, best_idx, best_map = len(matched), idx, matched
            if best == len(spec.columns):  # every column named: no better row can follow
                break
    if best_idx is None:
        return None
    return best_idx, best_map


# ---------------------------------------------------------------- rows under the header

_NOTE = re.compile(
    r"^(备注|注意|注[:、.\d]|注$|说明|填表|填报|制表|签字|签名|签章|盖章|负责人|审核|审批|联系人|校长签|"
    r"以上|此表|本表|\(?示例\)?|\(?样例\)?|例:|例如)"  # 示例: the form's example row left in
)
_NOTE_ANYWHERE = re.compile(r"^(?:(?:备注|注意|注|说明):|以上|本表|此表)")
_EXAMPLE = re.compile(r"^[(（]?(示例|样例)[)）]?|^例[:：]|^例如")
# Who signs a form, as the paperwork line under it names them (校長：王五, 分管領導：李四, 日期：...).
_SIGNERS = (r"(填表|填报|填写|制表|统计|记录|经办|经手|报送|签字|签名|签章|盖章|负责人|主要负责人|审核|审批|校长|副校长|分管|"
            r"主管|领导|日期|安全员|安全专干|安全干事|安全管理员|学校名称)")
_SIGNATURE = re.compile(r"^" + _SIGNERS + r"[^:]{0,4}:")
# A signer's label alone in its cell (校長 | 王五 | 填表人 | 張三): the role and nothing else, so that a value
# that merely starts so (領導小組, 主管部門檢查, 校長帶班, 記錄1, 日期待定) is never taken for one.
_SIGNER_LABEL = re.compile(
    r"^(?:(?:填表|填报|填写|制表|统计|记录|经办|经手|报送|审核|审批)人?|负责人|校长|副校长|分管(?:副)?校长|"
    r"(?:分管|主管)?领导|日期|填表日期|填报日期)(?:\(?(?:签字|签名|签章|盖章)\)?)?:?$")
# (此頁)以下空白: the form's own "nothing below", wherever on the line it is centred.
_NOTHING_BELOW = re.compile(r"^[(]?(此页|本页|本表)?以下(空白|无内容|无正文)[)]?$")
# A line saying the sheet has nothing to record (無, 本校暫無保安人員, 本年度未發現安全隱患), alone on its
# line where a record would go (found by a contract audit: it was a record refused ten times over, asking
# for a guard the school does not have).  A name alone (孫保安) stays a record to complete.
_NOTHING_HELD = re.compile(
    r"^[(\[【]?(?:本年度|本年|今年|全年|本学年|本学期|上半年|下半年|本月|本季度|本校|本园|本单位|学校|该校|目前|截至目前|至今)*"
    r"(?:暂时|暂|尚|均|仍)?(?:无|没有|未发现|未发生|未开展|未聘用?|未配备|不涉及)([^\d:]{0,20}?)[)\]】]?[.。]?$")
# What follows the negative word names what the sheet records (本校暫無保安人員, 未發現安全隱患), or nothing
# does: 未配備滅火器, 無障礙通道損壞, 無人機安全 are a hazard and a topic begun, records to complete (an audit).
_NOTHING_OF = re.compile(r"保安|门卫|隐患|问题|记录|人员|演练|培训|教育|讲座|家长会|经费|支出|开支|护学|相关|此项|该项|数据"
                         r"|内容|情况|活动|事项|安全办|安全员|专职|责任书|校区|事故|异常")
_NOTHING_MAX_LENGTH = 30


def _nothing_held(plain: str) -> bool:
    said = _NOTHING_HELD.match(plain)
    if said is None:
        return False
    rest = said.group(1).strip(" ,，;；、")
    return not rest or _NOTHING_OF.search(rest) is not None


# "單位（蓋章）", "學校(公章)", "校長簽字：": a short line that ends asking for a seal or a signature,
# and the blank date under it ("2026年  月  日", "年 月 日").
_SEAL = re.compile(r"\(?(盖章|公章|印章|签字|签名|签章)\)?:?$")
_SEAL_MAX_LENGTH = 20
_BLANK_DATE = re.compile(r"^(\d{4})?年月日$")
# 合計：1,200.50元, 共計3次, 總計 3 次, 本頁小計, 全年合計, 合計（元）, 共2次 (spaces are taken out before it is
# matched, full-width brackets made half-width)
_TOTAL_UNITS = r"(元|万元|次|场|人|人次|项|个|天|小时|课时|学时)"
# 2026年合計, 3月小計, 第一季度合計, 上半年合計; 合計金額, 總金額, 累計支出: the period before the word, what
# is totalled after it (found by an audit: each was a record refused as "not a date", noise for the school)
_TOTALS_PERIOD = r"(本页|本月|本年|本学期|本季度|全年|全年度|年度|累计|全校|\d{4}年度?|\d{1,2}月份?|第[一二三四1-4]季度|[上下]半年)"
_TOTALLED = r"(金额|支出|经费|费用|人数|次数)"
_TOTALS_LINE = re.compile(
    r"^(?:" + _TOTALS_PERIOD + r"?(?:(合计|总计|小计|汇总|共计)" + _TOTALLED + r"?|(总|累计)" + _TOTALLED + r")[:]?[\d,.]*"
    r"(?:" + _TOTAL_UNITS + r"|\(" + _TOTAL_UNITS + r"\))?:?|共[\d,.]+" + _TOTAL_UNITS + r")$")
# 匯總: a Chinese Excel table's total row.  Not the English words: a guard named Sum (岑) or a hazard
# numbered TOTAL vanished unseen (found by a regression audit).
_TOTALS = {"合计", "总计", "小计", "汇总", "共计", "合计:", "总计:", "小计:", "汇总:", "共计:"}
NOTE_MIN_LENGTH = 15


def filled_cells(cells: list) -> list[int]:
    """Indices of the cells that hold something (calamine gives "" for an empty cell)."""
    return [i for i, c in enumerate(cells) if c != "" and c is not None and (c.__class__ is not str or c.strip())]


def _paperwork_form(text: str) -> str:
    """A cell's text as the paperwork patterns are written: Simplified, half-width, no spaces."""
    return simplified(unicodedata.normalize("NFKC", text).strip()).replace(" ", "").replace("：", ":")


@lru_cache(maxsize=65536)
def _note_kind(text: str) -> tuple[str, int]:
    """("note" | "signature" | "totals" | "", length) of a cell's text."""
    plain = _paperwork_form(text)
    if plain in _TOTALS or _TOTALS_LINE.match(plain):
        return "totals", len(plain)
    if _SIGNATURE.match(plain) or _BLANK_DATE.match(plain) or _NOTHING_BELOW.match(plain) or (
            len(plain) <= _SEAL_MAX_LENGTH and _SEAL.search(plain)):
        return "signature", len(plain)
    if _NOTE.match(plain.lstrip("(*※[【")):  # （注：本表每月更新）, ※說明：
        return "note", len(plain)
    if len(plain) <= _NOTHING_MAX_LENGTH and (_nothing_held(plain) or is_placeholder(plain)):
        return "nothing", len(plain)
    if _SIGNER_LABEL.match(plain):
        # 校長, 分管領導 alone in a cell: paperwork only on a line of such labels and names (note_kind);
        # anywhere else a value (a hazard's 責任人 is often 校長).
        return "signer", len(plain)
    return "", len(plain)


def _first_filled(cells: list) -> int | None:
    for i, c in enumerate(cells):
        if c != "" and c is not None and (c.__class__ is not str or c.strip()):
            return i
    return None


def note_kind(cells: list, first_table_col: int, first: int | None = None,
              record_cols: frozenset[int] | set[int] = frozenset()) -> str | None:
    """"totals", "signature", "note" or "long" for a line under the table that is not a record; None
    for a record.

    At the left edge of the table: a first cell that starts like a note (備註, 注:, 說明, 填表人, 簽字,
    負責人 ...), or one long text alone (a sentence, not a name or a date: "long").  Anywhere: a
    signature ("審核人:") or a totals cell (合計) as the first filled cell.  But a line that fills two
    more of the table's columns (record_cols) besides its first cell is a record whatever its first
    cell says (a hazard numbered 說明2, a staff member written 審核:王五): a record is never taken
    for a note.  Anything else that is not blank is a record, checked (and reported) like one."""
    first = _first_filled(cells) if first is None else first
    text = cells[first]
    if text.__class__ is not str:
        return None
    kind, length = _note_kind(text[:LABEL_MAX])  # what a line is shows in its start
    if kind and _signed_in_pairs(cells):
        return "signature"  # 校長 | 王五 | 填表人 | 張三: filled like a record, but labels and names
    if kind == "signer":
        kind = ""
    if kind == "nothing":
        return kind if len(filled_cells(cells)) == 1 else None
    if kind == "totals":
        # 小計1 | 2026-04-02 | 南門欄杆 | 設施 ...: a hazard the office numbered so, filled like a record; a
        # totals line (合計 | 2026-11-20 | 全年共發現1項...) is one however it is filled.
        return None if _NUMBERED.match(text.strip()) and _fills_a_record(cells, first, record_cols) else kind
    if kind == "note" and first <= first_table_col and _EXAMPLE.match(simplified(text[:20]).strip()):
        return "example"  # the form's example row, left in: filled like a record, but not one
    if kind and _fills_a_record(cells, first, record_cols):
        return None
    if kind == "signature":
        return kind
    if first > first_table_col:
        # 備註：… written from column B, 以上情況屬實 under the last column: a note when it is labelled (備註：,
        # 注：, 說明：) or a stock phrase, alone on its line; anything else starting right of the table's
        # edge is a record (說明會後的疏散演練 alone is one to fix).
        if kind == "note" and len(filled_cells(cells)) == 1 and _NOTE_ANYWHERE.match(
                _paperwork_form(text).lstrip("(*※[【")):
            return kind
        return None
    if kind == "note":
        return kind
    return "long" if length >= NOTE_MIN_LENGTH and len(filled_cells(cells)) == 1 else None


def _signed_in_pairs(cells: list) -> bool:
    """A line of signature labels, each followed by at most one value (校長： | 王五 | 日期： | 2026-11-29):
    two labels at least, or one that ends with its colon.  One bare word and a value (分管副校長 | 主任)
    may be a record filled in the wrong columns: it stays a record, refused where it is wrong, so the
    school sees it."""
    labels = filled_cells(cells)[0::2]
    if not all(cells[i].__class__ is str and _signer_label(cells[i][:LABEL_MAX]) for i in labels):
        return False
    return len(labels) >= 2 or cells[labels[0]].strip().endswith((":", "："))


@lru_cache(maxsize=4096)
def _signer_label(text: str) -> bool:
    return _SIGNER_LABEL.match(_paperwork_form(text)) is not None


_NUMBERED = re.compile(r"^\D{1,3}\d+$")  # 小計1: a word and a number (not 合計:1200, 合計 1,200.5元)


_LABELLED = re.compile(r"^[^:：]{1,6}[:：]")  # 審核人：李四, 日期：2026-04-20: paperwork, not a value


def _a_value(cell) -> bool:
    """A cell that holds a record's value rather than a line's paperwork (a labelled signature)."""
    if cell.__class__ is not str:
        return cell is not None and cell != ""
    return bool(cell.strip()) and _LABELLED.match(cell.strip()) is None


def _label_like(cell) -> bool:
    """A cell of paperwork: 填表人, 審核人：李四, 校長簽字, 備註 (a label, not a value)."""
    if cell.__class__ is not str or not cell.strip():
        return False
    text = cell.strip()
    return _LABELLED.match(text) is not None or _note_kind(text[:LABEL_MAX])[0] in ("signature", "note", "totals")


def _paperwork_label(cell) -> bool:
    """A signer's label (填表人, 審核人：李四) or a total beside a line's first cell.  Not any text with a colon,
    nor a note's word: 東門：圍墻破損 and 注意：滅火器過期未更換 are hazards' descriptions, 兼職：保衛 a school's
    own remark, and a hazard numbered 說明2 with any of them beside it vanished as a note (found by audits)."""
    return cell.__class__ is str and _note_kind(cell.strip()[:LABEL_MAX])[0] in ("signature", "totals")


def _group_headings(cells: list) -> bool:
    """基本信息 | 在崗情況 | 器械配備 over the header (a two-level heading; pandas writes one for a
    MultiIndex): words only, no digit and no yes/no, where every sheet's record holds a date, a number
    or a yes/no."""
    filled = [c for c in cells if not is_empty(c)]
    return bool(filled) and all(
        c.__class__ is str and not any(ch.isdigit() for ch in c) and c.strip().lower() not in YES_NO_WORDS
        for c in filled)


def _fills_a_record(cells: list, first: int, record_cols) -> bool:
    """A line whose first cell reads like a note or a signature, but which fills the table like a record:
    no other label on the line (填表人 | 張三 | 審核人 | 李四 is paperwork), and two more values of which
    one is a date or a number, or three (說明2 | 2026-03-02 | 消防栓過期 ... is a hazard)."""
    others = [cells[i] for i in record_cols if i != first and i < len(cells)]
    if any(_paperwork_label(c) for i, c in enumerate(cells) if i != first):
        return False
    values = [c for c in others if _a_value(c)]
    return len(values) >= 3 or (len(values) >= 2 and any(c.__class__ is not str for c in values))


def _line_text(cells: list) -> str:
    return " ".join(display(cells[i]) for i in filled_cells(cells))[:500]


def _with_upper_header(spec: contract.Sheet, grid: list[list], header_idx: int, matched: dict) -> list:
    """The header cells, completed from the row above where a two-level header has merged cells
    (姓名 merged over two rows beside 器械配備 over 頭盔, 鋼叉 ...)."""
    cells = list(grid[header_idx])
    if header_idx == 0:
        return cells
    above = grid[header_idx - 1]
    for i, cell in enumerate(above):
        if i < len(cells) and is_empty(cells[i]):
            key = column_key_of(spec, cell)
            if key and key not in matched:
                cells[i] = cell
                matched[key] = [i]
    return cells


def _with_lower_header(spec: contract.Sheet, grid: list[list], header_idx: int, first_record: int,
                       header_cells: list, matched: dict) -> None:
    """Columns named in a second header row under a group heading (班級數 over 參演班級數 |
    簽到班級數) whose other headings are not merged down: taken into the header where the row above
    names no column.  first_record: the row after the header rows (_after_header_rows)."""
    for r in range(header_idx + 1, first_record):
        for i, cell in enumerate(grid[r]):
            key = column_key_of(spec, cell)
            if key is None or key in matched:
                continue
            if i < len(header_cells) and column_key_of(spec, header_cells[i]) is not None:
                continue
            matched[key] = [i]
            header_cells.extend([""] * (i + 1 - len(header_cells)))
            header_cells[i] = cell


def locate_table(spec: contract.Sheet, sheet: RawSheet) -> Table | None:
    """The table of `spec` in `sheet`, or None when no header row can be found.

    Duplicate header cells for one column are returned in `headers` as the first one;
    the caller reports them (see duplicate_columns)."""
    found = find_header(spec, sheet.grid)
    if found is None:
        return None
    header_idx, matched = found
    header_cells = _with_upper_header(spec, sheet.grid, header_idx, matched)
    first_record = _after_header_rows(spec, sheet.grid, header_idx)
    _with_lower_header(spec, sheet.grid, header_idx, first_record, header_cells, matched)
    columns = {key: idxs[0] for key, idxs in matched.items()}
    headers = {key: (idx + 1, heading(header_cells[idx])) for key, idx in columns.items()}
    names = [heading(h) if not is_empty(h) else column_letter(i) for i, h in enumerate(header_cells)]
    first_col = min(columns.values())
    rows, notes, region = [], [], []
    grid = sheet.grid
    # Most sheets hold no invisible character and are as wide as their widest row: their cells are
    # picked as they are, without a call per cell (a county has a million and a half of them).
    below = grid[header_idx + 1:]
    as_read = bool(below) and min(map(len, below)) > max(columns.values()) and not _has_invisible(below)
    picks = list(columns.items())
    record_cols = set(columns.values())
    for r in range(header_idx):
        # A record above the header (a sorted table, a row pasted at the top) is not read: it is shown
        # to the school as such, never dropped unseen.  A title or a subtitle fills fewer of the columns.
        values = sum(1 for i in record_cols if i < len(grid[r]) and _a_value(grid[r][i]))
        # not the upper row of a two-level header, nor paperwork (填報單位 | 城關小學 | 填報日期 | ...)
        if (values >= 2 and not _header_matches(spec, grid[r]) and not any(map(_label_like, grid[r]))
                and not _group_headings(grid[r])):
            notes.append((r + 1, _line_text(grid[r]), "above"))
    for r in range(header_idx + 1, first_record):
        notes.append((r + 1, _line_text(grid[r]), "header"))
    last_kind = None  # what the line above (blanks passed over) was taken for
    moved_under = None  # (row, a column key) of a header again above, its columns in another order
    signature_date = None  # the row of a date alone under a signature, a record if one follows it

    def take(r: int, cells: list) -> None:
        """Row r read as a record (or passed over as a form's empty numbered row)."""
        if as_read:
            picked = {key: cells[i] for key, i in picks}
        else:
            width = len(cells)
            picked = {key: (without_invisible(cells[i]) if i < width else "") for key, i in picks}
        region.append((r + 1, cells))  # looked into for private numbers whatever it turns out to be
        if _only_serial_number(picked, cells, r + 1):
            return
        if all(map(is_empty, picked.values())):
            # Filled only in a column of the school's own (備註 beside an empty line): no record of the
            # contract's, shown as a line not read rather than refused five times over (a contract audit).
            notes.append((r + 1, _line_text(cells), "extra"))
            return
        refused = _under_a_moved_header(spec, moved_under, header_idx + 1) if moved_under else None
        rows.append(RawRow(r + 1, picked, row_cells=cells, names=names, refused_because=refused))

    for r in range(first_record, len(grid)):
        cells = grid[r]
        first = _first_filled(cells)
        if first is None:
            continue
        if last_kind == "signature" and _date_alone(cells, first):
            # 校長：王五, and under it 2026年11月29日: the signature's date, not a record dated so (under
            # 保安演練, whose 校區 and 內容 may be empty, it would count as a guard drill) - when the
            # table ends there.  Records after it (a ledger signed off month by month) make it a record.
            notes.append((r + 1, _line_text(cells), "signature"))
            signature_date = r
            last_kind = None  # one date is the signature's; a second date alone under it is a record
            continue
        last_kind = None
        if _numbered_nothing_below(cells, first):
            notes.append((r + 1, _line_text(cells), "signature"))
            last_kind = "signature"
            continue
        if cells[first].__class__ is str:
            if spec.key != "campuses" and first <= first_col and _is_campus_subtitle(cells, first):
                # 「東區校區」 alone on a line: the office's records grouped by campus, not a record
                notes.append((r + 1, _line_text(cells), "subtitle"))
                continue
            again = _header_again(spec, cells, picks, columns)
            if again is not None:
                # The header printed again mid-table (a form laid out page by page): paperwork, not a
                # record.  In another order (last year's table pasted in with its header), the rows
                # under it cannot be read by this header's columns: each is refused, saying why.
                notes.append((r + 1, _line_text(cells), "header"))
                moved_under = (r + 1, again) if again else None
                continue
            kind = note_kind(cells, first_col, first, record_cols)
            if kind is not None:
                notes.append((r + 1, _line_text(cells), kind))
                last_kind = kind
                continue
        if signature_date is not None:
            notes.remove((signature_date + 1, _line_text(grid[signature_date]), "signature"))
            take(signature_date, grid[signature_date])
            signature_date = None
        take(r, cells)
    return Table(spec, sheet, header_idx, columns, headers, header_cells, rows, notes, region)


def _numbered_nothing_below(cells: list, first: int) -> bool:
    """3 | 以下空白: a printed form's next serial number, then its "nothing below" (found by an audit: it was
    a record refused five times over)."""
    serial = cells[first]
    if not (serial.__class__ is int or serial.__class__ is float or (serial.__class__ is str and serial.strip().isdigit())):
        return False
    after = _first_filled(cells[first + 1:])
    if after is None:
        return False
    text = cells[first + 1 + after]
    return (text.__class__ is str and "以下" in text and _first_filled(cells[first + 2 + after:]) is None
            and _NOTHING_BELOW.match(_paperwork_form(text)) is not None)


def _date_alone(cells: list, first: int) -> bool:
    """A line that holds a date and nothing else."""
    if _first_filled(cells[first + 1:]) is not None:
        return False
    value, problem = parse_date(cells[first])
    return value is not None and problem is None


# A campus named alone, as a heading over its rows (the 校區 sheet itself lists campuses, so not there).
_CAMPUS_SUBTITLE = re.compile(r"^[\w()（）·]{0,16}(?:校区|分校|本部|校部|园区|院区)[:：]?$")


def _is_campus_subtitle(cells: list, first: int) -> bool:
    # The row's other cells first: a record fills several, and converting every record's first cell
    # (when OpenCC was pure Python) cost a fifth of a county's checking.
    text = cells[first]
    if len(text) > 24 or _first_filled(cells[first + 1:]) is not None:
        return False
    return _names_a_campus(text)


@lru_cache(maxsize=4096)
def _names_a_campus(text: str) -> bool:
    return _CAMPUS_SUBTITLE.match(simplified(unicodedata.normalize("NFKC", text).strip())) is not None


def _header_again(spec: contract.Sheet, cells: list, picks: list[tuple[str, int]],
                  columns: dict[str, int]) -> str | None:
    """Whether a row is the table's header again: a row naming half of the table's columns and two at
    least.  None when it is not; "" when each column it names is in its place; else the key of a
    column it names in another place."""
    # Most rows: one look at the first two columns (a pasted header may begin with a column of its own).
    for _key, i in picks[:2]:
        if i < len(cells) and cells[i].__class__ is str and _column_key(spec.key, cells[i])[0] is not None:
            break
    else:
        return None
    named = {key: idxs for key, idxs in _header_matches(spec, cells).items() if key in columns}
    if len(named) < max(2, (len(picks) + 1) // 2):
        return None
    return next((key for key, idxs in named.items() if columns[key] not in idxs), "")


def _under_a_moved_header(spec: contract.Sheet, moved_under: tuple[int, str], header_row: int) -> tuple:
    """The reason a row under a header in another order is refused: (column key, zh, en)."""
    row, key = moved_under
    name = spec.column(key).zh
    return (key, f"此行在第{row}行的表頭之下,該表頭的列順序與第{header_row}行的表頭不同(如「{name}」),無法確定各值屬於哪一列;"
                 f"請把這些記錄按第{header_row}行表頭的列順序填寫,並刪除第{row}行的表頭",
            f"this row is under the header on row {row}, whose columns are in another order than the header on "
            f"row {header_row} (e.g. '{name}'): which value belongs to which column cannot be told; write these "
            f"records in the columns of the header on row {header_row} and delete the header on row {row}")


def _has_invisible(rows: list[list]) -> bool:
    return INVISIBLE_CHAR.search("".join([c for cells in rows for c in cells if c.__class__ is str])) is not None


def _after_header_rows(spec: contract.Sheet, grid: list[list], header_idx: int) -> int:
    """The first row after the header and any second header row right under it (the English keys,
    or the same names again): a row whose filled cells are, at least half and two or more, column names,
    or are nothing but column names (寄宿生數 alone under a group heading 其中)."""
    r = header_idx + 1
    while r < len(grid):
        filled = filled_cells(grid[r])
        matched = _header_matches(spec, grid[r])
        names_only = bool(filled) and sum(map(len, matched.values())) == len(filled)
        if not filled or not (names_only or len(matched) >= max(2, (len(filled) + 1) // 2)
                              or _column_numbers(grid[r], filled, grid[header_idx])):
            return r
        r += 1
    return r


_COLUMN_NUMBER = re.compile(r"^[(\[]?(\d{1,3})[)\]]?$")


def _column_numbers(cells: list, filled: list[int], header: list) -> bool:
    """A row numbering the header's columns, 1 | 2 | 3 ... (（1）, ①), as official forms print under the
    header (欄次): paperwork, not a record.  It was read as one: a second row of 學校概況 refused the whole
    workbook, and 校區 had a campus called 1 (found by a twin-county audit)."""
    if len(filled) < 3:
        return False
    for n, i in enumerate(filled, start=1):
        cell = cells[i]
        if i >= len(header) or is_empty(header[i]):
            return False
        if cell.__class__ is float or cell.__class__ is int:
            if cell != n:
                return False
        elif cell.__class__ is str:
            m = _COLUMN_NUMBER.match(unicodedata.normalize("NFKC", cell).strip())
            if m is None or int(m[1]) != n:
                return False
        else:
            return False
    return True


def _only_serial_number(picked: dict, cells: list, row_no: int) -> bool:
    """A row of a printed form left empty: no contract cell filled, only a serial number (序號 1, 2 ...)
    in a column of its own.  It is a blank row; any other filled cell makes it a record."""
    for v in picked.values():
        if v != "" and v is not None and (v.__class__ is not str or v.strip()):
            return False
    # One number alone, as a form numbers its lines (1, 2, 3 ... under its header: never more than the line's
    # own row number): numbers in two columns of the school's own, or one no form numbers this line with (an
    # invoice's 123456), are something it wrote, shown to it as a line not read (found by a fuzz and an
    # audit: each was passed over unseen).
    filled = filled_cells(cells)
    if len(filled) != 1:
        return False
    c = cells[filled[0]]
    if c.__class__ is str:
        c = int(c.strip()) if c.strip().isdecimal() else None  # not isdigit: int('²') fails
    # a MergedNumber too: the serial number merged down over the form's empty lines
    return isinstance(c, (int, float)) and not isinstance(c, bool) and float(c).is_integer() and 0 < c <= row_no


def duplicate_columns(spec: contract.Sheet, table: Table) -> list[tuple[str, list[str]]]:
    matched = _header_matches(spec, table.header_cells)
    return [
        (key, [heading(table.header_cells[i]) for i in idxs]) for key, idxs in matched.items() if len(idxs) > 1
    ]
