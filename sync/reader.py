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
lies (read by its content).  Not forgiven but named: Excel error cells and
formulas saved without a value (calamine reads both as empty; the .xlsx
itself says which they are, and xlrd finds the error cells of an .xls),
empty, password-protected, HTML and CSV files, and zip bombs.
"""

from __future__ import annotations

import html
import io
import re
import struct
import unicodedata
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import python_calamine as calamine

from sync import contract
from sync.cells import (
    _T2S,
    INVISIBLE,
    VOLATILE,
    YES_NO_WORDS,
    ExcelError,
    FormulaWithoutValue,
    MergedNumber,
    VolatileFormula,
    canon,
    display,
    is_empty,
    parse_date,
    without_invisible,
)
from sync.validate import RawRow

# Read by their content (calamine tells .xlsx from .xls by the bytes): WPS's own spreadsheet name (.et)
# holds the same formats.  Templates (.xltx, .xlt, WPS's .ett) are not a school's submission: a blank
# one kept beside the workbook would be refused every run, a filled copy would claim the same school.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".et")
HEADER_SEARCH_ROWS = 30


class UnreadableWorkbook(Exception):
    """The file cannot be opened as a workbook; args[0], args[1] = reason zh, en."""


@dataclass
class RawSheet:
    name: str
    visible: bool
    grid: list[list]  # every row from A1, every cell raw
    # (row, column), 0-based, of cells whose number format shows a unit of 萬 or 千 (0.00"萬元"): the
    # value is in yuan or not as the person meant, which calamine's values alone cannot tell (.xlsx).
    unit_formatted: frozenset = frozenset()
    hidden_columns: frozenset = frozenset()  # 0-based columns an .xlsx hides (<col hidden="1">)
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
    # alone) under the table, "header" (a second header row), "above" (a record-like line above it)
    notes: list[tuple[int, str, str]]
    region: list[tuple[int, list]]  # (row, cells) of every record row under the header (notes left out)


def read_workbook(source: Path | bytes, filename: str = "") -> list[RawSheet]:
    """Every sheet of the workbook, hidden ones included (the caller decides what to use)."""
    package = _Package.of(source)
    unpacked = package.unpacked_size() if package else 0
    if unpacked > MAX_UNPACKED_BYTES:
        raise UnreadableWorkbook(
            f"無法讀取此文件:解壓後有 {unpacked / 1e6:.0f} MB,遠超一個學校工作簿的大小(上限 "
            f"{MAX_UNPACKED_BYTES / 1e6:.0f} MB);請刪除多餘的工作表、圖片或空白行後另存再提交",
            f"the file cannot be read: it unpacks to {unpacked / 1e6:.0f} MB, far beyond any school workbook "
            f"(limit {MAX_UNPACKED_BYTES / 1e6:.0f} MB); remove extra sheets, pictures or empty rows and save again",
        )
    if package is not None:
        _refuse_other_packages(package, source)
    try:
        # Measured (and error cells found) before calamine opens it: calamine lays out an .xls's
        # sheets as it opens the file.
        hidden: dict[str, frozenset] = {}
        unit_cells: dict[str, frozenset] = {}
        errors = _xlsx_error_cells(package, hidden) if package else _xls_error_cells(source, hidden, unit_cells)
        ods_merges, ods_errors = _ods_layout(package, hidden, unit_cells) if package else ({}, {})
        errors = errors or ods_errors
        if package and "xl/workbook.xml" in package.members:
            unit_cells = _xlsx_unit_formatted_cells(package)
        book = open_book(source)
        sheets = []
        for meta in book.sheets_metadata:
            if is_chart(meta):
                continue
            sheet = book.get_sheet_by_name(meta.name)
            grid = sheet.to_python(skip_empty_area=False)
            _put_errors(grid, errors.get(meta.name, ()))
            merged = sheet.merged_cell_ranges or ods_merges.get(meta.name) or ()
            _fill_merged_down(grid, merged)
            sheets.append(RawSheet(meta.name, str(meta.visible).endswith(".Visible"), grid,
                                   unit_cells.get(meta.name, frozenset()), hidden.get(meta.name, frozenset()),
                                   tuple(merged)))
        return sheets
    except UnreadableWorkbook:
        raise
    except Exception as err:  # calamine raises many kinds; all mean "cannot read this file"
        what = _what_it_is(source)
        if what is None and "password" in str(err).lower():  # an .xls saved with a password (BIFF FILEPASS)
            what = _PASSWORD_PROTECTED
        if what is not None:
            raise UnreadableWorkbook("無法讀取此文件:" + what[0], "the file cannot be read: " + what[1]) from None
        reason = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        raise UnreadableWorkbook(
            "無法讀取此文件:它不是 Excel、WPS 或 LibreOffice 保存的工作簿,或文件已損壞;請用 Excel 或 WPS 另存為 .xlsx 後重新提交",
            f"the file cannot be read as a workbook ({reason}); save it as .xlsx in Excel or WPS and send it again",
        ) from None


def is_chart(meta) -> bool:
    """A chart sheet: no cells, never one of the contract's tables (read_workbook and peek skip it alike)."""
    return "Chart" in str(meta.typ)


_ODS_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
# calamine reads content.xml by the literal names (table:table-row, office:value-type), not by their
# namespaces: a row under <table:table-row xmlns:table="urn:other"> is a row to it and none to a reader
# that resolves namespaces; one file measured as empty laid out 90 million cells and aborted the process
# (found by an audit).  So these prefixes must mean what they always mean, and nothing else may stand
# for their namespaces: then a name resolved here is the name calamine matches.
_ODS_PREFIXES = {"table": _ODS_TABLE_NS, "office": _ODS_OFFICE_NS}
_T = _ODS_TABLE_NS + "}"  # expat's "namespace}name"
_O = _ODS_OFFICE_NS + "}"
_ODS_CALC_VALUE_TYPE = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}value-type"
_ODS_NUMBER = "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0}"
_ODS_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_ODS_CELLS = (_T + "table-cell", _T + "covered-table-cell")
# What makes calamine lay a cell out (a value of any kind, or a formula, even with no value-type: found by
# an audit, a formula-only cell repeated across was 90 million cells unmeasured); child elements (a text)
# are counted too, which is more than calamine counts, never less.
_ODS_FILLING = (_O + "value-type", _O + "value", _O + "string-value", _O + "date-value", _O + "time-value",
                _O + "boolean-value", _T + "formula")
_ODS_COUNTS = (_T + "number-columns-repeated", _T + "number-rows-repeated", _T + "number-rows-spanned",
               _T + "number-columns-spanned")
MAX_SHEETS = 250  # a school's workbook has about ten; a million one-cell sheets took calamine a minute


def _ods_layout(z: _Package, hidden: dict | None = None,
                unit_cells: dict | None = None) -> tuple[dict[str, list], dict[str, list[tuple[int, int, ExcelError]]]]:
    """An .ods's cells merged down over rows, by sheet, as calamine gives them for .xlsx and .xls
    (((top, left), (bottom, right)), 0-based), and its error cells (#DIV/0! ...) as _xlsx_error_cells
    gives them: calamine reads neither from an .ods (an error cell is an empty one to it).  Also, as
    for an .xlsx, the columns each table hides (into `hidden`) and the number cells whose style shows
    萬 or 千元 (into `unit_cells`).

    Measures each table's used range on the way (_Extents): a row holding a value, marked as repeated
    a million times, is a million rows to calamine.  Read as a stream (expat, nothing kept but the
    table being read), and anything the measure cannot follow refuses the file: it is never handed to
    calamine unmeasured."""
    if "content.xml" not in z.members:
        return {}, {}
    if "META-INF/manifest.xml" in z.members and b"encryption-data" in z.read("META-INF/manifest.xml"):
        raise UnreadableWorkbook("無法讀取此文件:" + _PASSWORD_PROTECTED[0],  # content.xml is ciphertext, not damaged XML
                                 "the file cannot be read: " + _PASSWORD_PROTECTED[1])
    _refuse_oversized_content(z.members["content.xml"].file_size)
    content = z.read("content.xml")
    # styles.xml is only looked into for the units a number style shows: not read when far too large
    styles_info = z.members.get("styles.xml") if unit_cells is not None else None
    styles = z.read("styles.xml") if styles_info and styles_info.file_size <= MAX_SHEET_PART_BYTES else b""
    words = [w.encode() for w in _UNIT_WORDS_IN_FORMAT]
    with_units = unit_cells is not None and any(w in content or w in styles for w in words)
    try:
        measure = _OdsMeasure(with_units, styles)
        measure.read(content)
    except xml.parsers.expat.ExpatError:
        # A control character in a text, which XML forbids and calamine reads past: measured without it.
        try:
            measure = _OdsMeasure(with_units, styles)
            measure.read(_XML_CONTROL.sub(b" ", content))
        except xml.parsers.expat.ExpatError as err:
            raise _ods_damaged(err.lineno) from None
    for name, columns in measure.hidden.items():
        if hidden is not None:
            hidden[name] = columns
    for name, cells in measure.in_units.items():
        if unit_cells is not None:
            unit_cells[name] = cells
    return measure.merges, measure.errors


def _ods_damaged(line: int) -> UnreadableWorkbook:
    return UnreadableWorkbook(
        f"無法讀取此文件:內容已損壞(content.xml 第 {line} 行),請用 LibreOffice 或 WPS 打開後另存為 .xlsx 再提交",
        f"the file cannot be read: its content is damaged (content.xml line {line}); open it in LibreOffice or "
        "WPS, save it as .xlsx and send it again",
    )


def _refuse_oversized_content(size: int) -> None:
    """An .ods whose content.xml (all its sheets) unpacks beyond MAX_SHEET_PART_BYTES is no school's
    workbook: refused before it is parsed (found by an audit: 432 MB of empty rows, deflated to 1 MB,
    took 3 GB to read)."""
    if size > MAX_SHEET_PART_BYTES:
        raise UnreadableWorkbook(
            f"無法讀取此文件:表格內容(content.xml)解壓後有 {size / 1e6:.0f} MB,遠超任何學校工作簿(上限 "
            f"{MAX_SHEET_PART_BYTES / 1e6:.0f} MB);請刪除表格以外的行、列和單元格後另存再提交",
            f"the file cannot be read: its sheets (content.xml) unpack to {size / 1e6:.0f} MB, far beyond any "
            f"school workbook (limit {MAX_SHEET_PART_BYTES / 1e6:.0f} MB); delete the rows, columns and cells "
            "outside the tables and save again",
        )


def _refuse_many_sheets(count: int) -> None:
    if count > MAX_SHEETS:
        raise UnreadableWorkbook(
            f"無法讀取此文件:它有 {count:,} 個以上的工作表,遠超一個學校工作簿(上限 {MAX_SHEETS});"
            "請刪除多餘的工作表後另存再提交",
            f"the file cannot be read: it has {count:,} sheets or more, far beyond a school workbook (limit "
            f"{MAX_SHEETS}); delete the extra sheets and save again",
        )


class _OdsTable:
    """One table's measure as it is read (rows and cells in document order, as calamine places them)."""

    def __init__(self, name: str):
        self.name = name
        self.found, self.failed, self.r, self.rows, self.columns = [], [], 0, 0, 0
        self.column_styles, self.collapsed, self.in_units = [], set(), set()
        self.row_depth = None  # the depth of the open row, None between rows
        self.row_repeated, self.c, self.filled = 1, 0, False
        self.cell = None  # the open cell's attributes, whether it holds an element, its text (error cells)
        self.cell_depth, self.cell_has_child, self.cell_text = 0, False, []


class _OdsMeasure:
    """content.xml read once by expat, with namespaces resolved and the prefixes calamine matches held
    to their meaning (_ODS_PREFIXES): tables' extents, merges, error cells, hidden columns and the cells
    shown in 萬 or 千元.  Memory stays that of one cell; time is linear in the part."""

    def __init__(self, with_units: bool, styles: bytes):
        self.merges: dict[str, list] = {}
        self.errors: dict[str, list] = {}
        self.hidden: dict[str, frozenset] = {}
        self.in_units: dict[str, frozenset] = {}
        self.extents = _Extents()
        self.tables: list[_OdsTable] = []
        self.sheets, self.depth, self.parser = 0, 0, None
        self.units = _OdsUnitStyles() if with_units else None
        if self.units is not None and styles:
            try:
                self.units.read(styles)
            except xml.parsers.expat.ExpatError:
                pass  # styles.xml only tells units: damaged, no cell is taken for one shown in 萬

    def read(self, content: bytes) -> None:
        self.parser = parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
        parser.StartNamespaceDeclHandler = self.namespace
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.text
        parser.buffer_text = True
        parser.Parse(content, True)

    def namespace(self, prefix: str | None, uri: str | None) -> None:
        expected = _ODS_PREFIXES.get(prefix or "")
        if (expected is not None and uri != expected) or (uri in _ODS_PREFIXES.values() and expected != uri):
            raise UnreadableWorkbook(
                f"無法讀取此文件:內容(content.xml 第 {self.parser.CurrentLineNumber} 行)把名稱前綴「{prefix or ''}」"
                "另作他用,辦公軟件不會這樣保存,各程序讀出的內容會不同;請用 LibreOffice 或 WPS 打開後另存為 .xlsx 再提交",
                f"the file cannot be read: its content (content.xml line {self.parser.CurrentLineNumber}) binds the "
                f"prefix '{prefix or ''}' to another meaning, which no office suite saves and programs read "
                "differently; open it in LibreOffice or WPS, save it as .xlsx and send it again",
            )

    def count(self, attrs: dict, name: str, table: _OdsTable | None) -> int:
        """A repeat or span count: a whole number of 1 or more, else the file is refused.  Found by an
        audit: "many" made the whole book go unmeasured, and "0" made calamine drop a record unseen
        (LibreOffice shows the row)."""
        value = attrs.get(name)
        if value is None:
            return 1
        if value.isascii() and value.isdigit() and len(value) <= 18 and int(value) >= 1:
            return int(value)
        shown, sheet = value[:20], table.name if table else ""
        line = self.parser.CurrentLineNumber
        raise UnreadableWorkbook(
            f"無法讀取此文件:工作表「{sheet}」中的重複或合併次數「{shown}」不是 1 以上的整數(content.xml 第 {line} 行),"
            "辦公軟件不會這樣保存,行或列會被讀丟或讀錯;請用 LibreOffice 或 WPS 打開後另存為 .xlsx 再提交",
            f"the file cannot be read: sheet '{sheet}' holds a repeat or span count '{shown}' that is not a whole "
            f"number of 1 or more (content.xml line {line}), which no office suite saves and which loses or "
            "shifts rows or columns; open it in LibreOffice or WPS, save it as .xlsx and send it again",
        )

    def start(self, name: str, attrs: dict) -> None:
        self.depth += 1
        table = self.tables[-1] if self.tables else None
        if table is not None and table.cell is not None:
            table.cell_has_child = True  # a text, or anything: filled to this measure
        if name == _T + "table":
            self.sheets += 1
            _refuse_many_sheets(self.sheets)
            self.tables.append(_OdsTable(attrs.get(_T + "name") or ""))
        elif table is None:
            if self.units is not None:
                self.units.start(name, attrs)
        elif table.cell is not None:
            pass  # inside a cell: its text
        elif name == _T + "table-column":
            self.column(table, attrs)
        elif name == _T + "table-row":
            if table.row_depth is not None:
                raise _ods_damaged(self.parser.CurrentLineNumber)  # a row in a row: no office suite writes one
            table.row_depth, table.c, table.filled = self.depth, 0, False
            table.row_repeated = self.count(attrs, _T + "number-rows-repeated", table)
        elif name in _ODS_CELLS and table.row_depth is not None:
            table.cell, table.cell_depth, table.cell_has_child, table.cell_text = attrs, self.depth, False, []
        for counted in _ODS_COUNTS:
            if counted in attrs:  # on any element: calamine reads some where this measure does not look
                self.count(attrs, counted, table)

    def column(self, table: _OdsTable, attrs: dict) -> None:
        repeated = self.count(attrs, _T + "number-columns-repeated", table)
        styles = table.column_styles
        if attrs.get(_T + "visibility") == "collapse":
            table.collapsed.update(range(len(styles), min(len(styles) + repeated, _TABLE_WIDTH)))
        styles += [attrs.get(_T + "default-cell-style-name")] * max(0, min(repeated, _TABLE_WIDTH - len(styles)))

    def text(self, data: str) -> None:
        table = self.tables[-1] if self.tables else None
        if table is None:
            if self.units is not None:
                self.units.text(data)
        elif table.cell is not None and table.cell.get(_ODS_CALC_VALUE_TYPE) == "error":
            if sum(map(len, table.cell_text)) < 200:  # an error's text is short: the rest is not kept
                table.cell_text.append(data)

    def end(self, name: str) -> None:
        self.depth -= 1
        table = self.tables[-1] if self.tables else None
        if table is None:
            if self.units is not None:
                self.units.end(name)
        elif table.cell is not None:
            if name in _ODS_CELLS and self.depth == table.cell_depth - 1:
                self.cell_done(table)
        elif name == _T + "table-row" and table.row_depth is not None:
            table.r += table.row_repeated
            if table.filled:
                table.rows = table.r
            table.row_depth = None
        elif name == _T + "table":
            self.tables.pop()
            self.table_done(table)

    def cell_done(self, table: _OdsTable) -> None:
        attrs, r, c = table.cell, table.r, table.c
        across = self.count(attrs, _T + "number-columns-repeated", table)
        if table.cell_has_child or any(key in attrs for key in _ODS_FILLING):
            table.filled, table.columns = True, max(table.columns, c + across)
        if (self.units is not None and attrs.get(_O + "value-type") in ("float", "currency") and self.units.shows_units(
                attrs.get(_T + "style-name") or (table.column_styles[c] if c < len(table.column_styles) else None))
                or attrs.get(_O + "value-type") == "currency" and _foreign(attrs.get(_O + "currency"))):
            table.in_units.update((r, c + dc) for dc in range(min(across, _ERRORS_REPEATED)))
        formula = attrs.get(_T + "formula")
        if formula and VOLATILE.search(formula):  # of:=TODAY(): the day of the last save
            volatile = VolatileFormula("=" + formula.split("=", 1)[-1])
            table.failed.extend((r, c + dc, volatile) for dc in range(min(across, _ERRORS_REPEATED)))
        elif attrs.get(_ODS_CALC_VALUE_TYPE) == "error":  # LibreOffice's failed formula
            # at every place it is repeated to (a formula filled down or across), within reason; put over
            # whatever value is cached beside it (a 0 is no amount: found by an audit)
            error = ExcelError("".join(table.cell_text).strip()[:100] or "#N/A")
            table.failed.extend((r + dr, c + dc, error, True) for dr in range(min(table.row_repeated, _ERRORS_REPEATED))
                                for dc in range(min(across, _ERRORS_REPEATED)))
        down = self.count(attrs, _T + "number-rows-spanned", table)
        if down > 1:
            right = self.count(attrs, _T + "number-columns-spanned", table)
            table.found.append(((r, c), (r + down - 1, c + right - 1)))
        table.c += across
        table.cell = None

    def table_done(self, table: _OdsTable) -> None:
        self.extents.add(table.name, table.rows, table.columns)
        if table.found:
            self.merges[table.name] = table.found
        if table.failed:
            self.errors[table.name] = table.failed
        if table.collapsed:
            self.hidden[table.name] = frozenset(table.collapsed)
        if table.in_units:
            self.in_units[table.name] = frozenset(table.in_units)


class _OdsUnitStyles:
    """The cell styles whose number style writes 萬 or 千元 after the value it shows as stored
    (0.00"萬元" saved by an office suite), from styles.xml and content.xml's own styles; one with a
    display factor shows yuan divided, as asked."""

    def __init__(self):
        self.number_styles: set[str] = set()
        self.data_style: dict[str, str] = {}  # cell style -> its number style
        self.open = None  # [name, text shown, scaled] of the number style being read
        self.in_text = False

    def read(self, data: bytes) -> None:
        parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
        parser.StartElementHandler, parser.EndElementHandler = self.start, self.end
        parser.CharacterDataHandler = self.text
        parser.Parse(data, True)

    def start(self, name: str, attrs: dict) -> None:
        if name in (_ODS_NUMBER + "number-style", _ODS_NUMBER + "currency-style"):
            self.open = [attrs.get(_ODS_STYLE + "name"), [], False]
        elif self.open is not None and name == _ODS_NUMBER + "number":
            self.open[2] = self.open[2] or attrs.get(_ODS_NUMBER + "display-factor") not in (None, "1")
        elif self.open is not None and name == _ODS_NUMBER + "text":
            self.in_text = True
        elif name == _ODS_STYLE + "style" and attrs.get(_ODS_STYLE + "data-style-name"):
            self.data_style[attrs.get(_ODS_STYLE + "name")] = attrs[_ODS_STYLE + "data-style-name"]

    def text(self, data: str) -> None:
        if self.in_text and len(self.open[1]) < 100:
            self.open[1].append(data)

    def end(self, name: str) -> None:
        if name == _ODS_NUMBER + "text":
            self.in_text = False
        elif self.open is not None and name in (_ODS_NUMBER + "number-style", _ODS_NUMBER + "currency-style"):
            name_, shown, scaled = self.open
            if any(w in "".join(shown) for w in _UNIT_WORDS_IN_FORMAT) and not scaled:
                self.number_styles.add(name_)
            self.open = None

    def shows_units(self, cell_style: str | None) -> bool:
        return cell_style is not None and self.data_style.get(cell_style) in self.number_styles


_ERRORS_REPEATED = 100  # rows and columns an error cell is repeated to that are each named (a table's width)
_TABLE_WIDTH = 200  # columns whose hiding or default style is looked at: wider than any table of the contract


# A control character, raw or written as a character reference (&#1;), both of which XML forbids.
_XML_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|&#(?:0*(?:[0-8]|1[1-24-9]|2[0-9]|3[01])|x0*(?:[0-8bcef]|1[0-9a-f]));",
                          re.IGNORECASE)


class _Extents:
    """Rows x columns of each sheet's used range, added up as sheets are measured; too far refuses the file."""

    def __init__(self):
        self.total = 0

    def add(self, sheet: str, rows: int, columns: int, book_only: bool = False) -> None:
        """book_only: `columns` is a count of cells (a sheet within Z99999), for the workbook's total."""
        cells = rows * columns
        self.total += cells
        too_far = not book_only and (cells > MAX_SHEET_CELLS or rows > MAX_SHEET_ROWS)
        if self.total > MAX_BOOK_CELLS and not too_far:
            raise UnreadableWorkbook(
                f"無法讀取此文件:各工作表合計超過 {MAX_BOOK_CELLS:,} 個單元格,遠超一個學校工作簿;"
                "請刪除多餘的工作表後另存再提交",
                f"the file cannot be read: its sheets hold more than {MAX_BOOK_CELLS:,} cells together, far beyond "
                "a school workbook; delete the extra sheets and save again",
            )
        if too_far:
            corner = f"{column_letter(max(columns, 1) - 1)}{rows}"
            raise UnreadableWorkbook(
                f"無法讀取此文件:工作表「{sheet}」的內容延伸到 {corner}({rows:,} 行 × {columns:,} 列),遠超任何表格;"
                "請刪除表格以外的行、列和單元格後另存再提交",
                f"the file cannot be read: sheet '{sheet}' reaches cell {corner} ({rows:,} rows x {columns:,} "
                "columns), far beyond any table; delete the rows, columns and cells outside the table and save again",
            )


# Any cell past column Z or below row 99,999, or a row numbered so: only then are all refs read.
_FAR_REF = re.compile(rb'<(?:c r="(?:[A-Z]{2}|[A-Z]\d{6})|row r="\d{6})')
# A cell with something in it (a value, a formula or inline text): a border or a fill alone on an empty
# cell far away, or a row height down to 1048576, is formatting calamine lays out nothing for.
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"[^<>]*?(?<!/)>\s*<(?:v|f|is)\b')


# Valid SpreadsheetML that Excel itself does not write, but other programs do: elements with a
# namespace prefix (<x:c r="A1">, the .NET Open XML SDK), and cells or rows without their r= address
# (the next column, the next row).  Both are brought to Excel's own spelling, or measured cell by
# cell, before the searches below: unmeasured, one far cell of a 13 KB file aborts the whole sync.
_PREFIXED_ROOT = re.compile(rb"<[A-Za-z_][\w.-]*:worksheet\b")
_ELEMENT_PREFIX = re.compile(rb"<(/?)[A-Za-z_][\w.-]*:(?=[A-Za-z_])")
_R_ATTR = re.compile(rb"""\br\s*=\s*["']([A-Z]{0,3})(\d*)["']""")


def sheet_xml(data: bytes) -> bytes:
    """A sheet part as Excel spells it: element prefixes (<x:c>) taken off."""
    if _PREFIXED_ROOT.search(data, 0, 2000) is None:
        return data
    return _ELEMENT_PREFIX.sub(rb"<\1", data)




def _layout_extent(data: bytes) -> tuple[int, int]:
    """Rows x columns a sheet lays out, cell by cell as a reader places them: a cell without an
    address is the next column, a row without one the next row."""
    rows, columns = 0, 0
    for row, col, _attrs, _body in _placed_cells(data):
        rows, columns = max(rows, row + 1), max(columns, col + 1)
    return rows, columns


def _row_placed(ref, row: int) -> int:
    """A <row>'s 0-based row: its r= address, or the row after the last."""
    return int(ref[2]) - 1 if ref and ref[2] else row + 1


def _cell_placed(ref, row: int, col: int) -> tuple[int, int]:
    """A <c>'s 0-based row and column: its r= address, or the next column of its row."""
    if ref and ref[1]:
        return (int(ref[2]) - 1 if ref[2] else row), _column_index(ref[1].decode())
    return row, col + 1


def _measure_xlsx_sheet(extents: _Extents, sheet: str, data: bytes) -> None:
    cells = data.count(b"<c ")
    # Every cell carries its r= address (what Excel, WPS and LibreOffice write; a row without one takes
    # its cells' row), else each is placed as a reader places it.  Two passes of C over the part.
    if cells != data.count(b'<c r="') or b"<c>" in data or b"<c\n" in data or b"<c\t" in data or b"<c\r" in data:
        rows, columns = _layout_extent(data)
        extents.add(sheet, rows, columns)
        return
    if _FAR_REF.search(data) is None:
        # Within Z99999: the cells it holds count towards the workbook (a thousand sheets that all
        # point at one large part are a thousand times that part to calamine).
        if cells > MAX_BOOK_CELLS // 10:  # many cells: count those with something in them, not styled blanks
            cells = len(_CELL_REF.findall(data))
        extents.add(sheet, 1, cells, book_only=True)
        return
    refs = _CELL_REF.findall(data)
    rows = max([int(r) for _c, r in refs] + [1])
    columns = max([_column_index(c.decode()) + 1 for c, _r in refs] + [1])
    extents.add(sheet, rows, columns)


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


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SNIFF_BYTES = 64 * 1024


def _what_it_is(source: Path | bytes) -> tuple[str, str] | None:
    """What a file that calamine cannot read really is, when that tells the person what to do:
    empty, password-protected, a web page or a text (CSV) file saved under a workbook's name."""
    try:
        if isinstance(source, (bytes, bytearray)):
            head = bytes(source[:_SNIFF_BYTES])
        else:
            with open(source, "rb") as fh:
                head = fh.read(_SNIFF_BYTES)
    except OSError:
        return None
    if not head.strip():
        return ("這是一個空文件(沒有內容),請重新保存工作簿後再提交",
                "the file is empty (no content); save the workbook again and send it")
    for marks, zh, en in _NOT_WORKBOOKS:
        if any(mark in head[:4096] for mark in marks):
            return zh, en
    if head.startswith(_OLE) and "EncryptionInfo".encode("utf-16-le") in _whole(source, head):
        return _PASSWORD_PROTECTED
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: Excel's "Unicode text"
        return ("這是文本文件(Unicode 文本),只是擴展名像工作簿;請用 Excel 或 WPS 打開後另存為 .xlsx 再提交",
                "this is a text file (Unicode text) with a workbook's name; open it in Excel or WPS, save it as "
                ".xlsx and send it again")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml", b"<meta")) or b"<html" in text[:512]:
        return ("這是網頁(HTML)文件,只是擴展名像工作簿;請用 Excel 或 WPS 打開後另存為 .xlsx 再提交",
                "this is a web page (HTML) with a workbook's name; open it in Excel or WPS, save it as .xlsx "
                "and send it again")
    if head.startswith(_OLE):  # the signature alone has no NUL byte, but is no text (found by an audit)
        return None
    if head[:2] in _BIFF_RAW_BOF and head[2:4] in (b"\x04\x00", b"\x06\x00", b"\x08\x00", b"\x10\x00"):
        return ("這是很舊的 Excel 格式(Excel 2.x 至 5.0),系統無法讀取;" + _SAVE_AS_XLSX[0],
                "this is a very old Excel format (Excel 2.x to 5.0), which cannot be read; " + _SAVE_AS_XLSX[1])
    if b"\x00" not in head and not head.startswith(b"PK"):
        return ("這是文本(CSV)文件,只是擴展名像工作簿;請用 Excel 或 WPS 打開後另存為 .xlsx 再提交",
                "this is a text (CSV) file with a workbook's name; open it in Excel or WPS, save it as .xlsx "
                "and send it again")
    return None


# A BIFF2, 3, 4 or 5 worksheet saved as a bare stream (not in an OLE file): its BOF record first.
_BIFF_RAW_BOF = (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08")
_PASSWORD_PROTECTED = ("工作簿設置了打開密碼,系統無法讀取;請在 Excel、WPS 或 LibreOffice 中取消密碼後重新提交",
                       "the workbook is password protected and cannot be read; remove the password in Excel, WPS "
                       "or LibreOffice and send it again")
_SAVE_AS_XLSX = ("請用 Excel 或 WPS 打開後另存為 .xlsx 再提交", "open it in Excel or WPS, save it as .xlsx and send it again")
# What else arrives under a workbook's name, told by its first bytes.
_NOT_WORKBOOKS = (
    ((b"%PDF-",), "這是 PDF 文件,不是工作簿;請提交工作簿本身(.xlsx),不要提交打印或掃描件",
     "this is a PDF, not a workbook; send the workbook itself (.xlsx), not a print or a scan"),
    ((b"MIME-Version:", b"Content-Type: multipart/related"), "這是單個文件網頁(MHT),只是擴展名像工作簿;" + _SAVE_AS_XLSX[0],
     "this is a single-file web page (MHT) with a workbook's name; " + _SAVE_AS_XLSX[1]),
    ((b"urn:schemas-microsoft-com:office:spreadsheet",), "這是 Excel 2003 XML 表格,系統無法直接讀取;" + _SAVE_AS_XLSX[0],
     "this is an Excel 2003 XML spreadsheet, which cannot be read as it is; " + _SAVE_AS_XLSX[1]),
    ((b"\x89PNG", b"\xff\xd8\xff", b"GIF8"), "這是圖片,不是工作簿;請提交工作簿本身(.xlsx)",
     "this is a picture, not a workbook; send the workbook itself (.xlsx)"),
    ((b"word/document.xml",), "這是 Word 文檔,不是工作簿;請把表格填在系統提供的工作簿模板中再提交",
     "this is a Word document, not a workbook; fill in the workbook template and send that"),
)


def _whole(source: Path | bytes, head: bytes) -> bytes:
    """The whole file (an OLE directory, which names the EncryptionInfo stream, may lie near its end)."""
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    try:
        return Path(source).read_bytes()
    except OSError:
        return head


# ---------------------------------------------------------------- formula errors

# Every search over a part's XML is linear in its size: a workbook is hostile input, and a pattern
# that can rescan (a lazy [^>]*? crossing the next "<", an attribute looked for anywhere in a tag of a
# megabyte) took minutes on a 28 KB file, holding the sync's lock meanwhile (found by an audit).  So a
# tag is matched up to its own ">" and never past a "<", and its attributes are looked up one by one.
#
# A row, or a cell and its body, which runs to its own </c>, never past the next cell: a self-closing <c/>
# (valid, and without a body) or an unclosed one must not make each search scan to the end of the sheet.
# Attributes in any order and either quote (valid XML, whatever Excel writes; found by an audit: a
# <c t="e" r="H2"> error passed unseen), and a cell without r= is the next column, as a reader places it.
_ROW_OR_CELL = re.compile(rb'<row\b[^<>]*>|<c\b([^<>]*?)/>|<c\b([^<>]*)>(?:((?:(?!</c>|<c[\s>/]).)*?)</c>)?', re.S)
_ERROR_TYPE = re.compile(rb"""\bt\s*=\s*["']e["']""")
_FORMULA_TAG = re.compile(rb"<f[\s>/]")
_VALUE = re.compile(rb"<v>(.*?)</v>", re.S)
_SHEET_TAG = re.compile(rb"<sheet\b([^<>]*)>")
_RELATIONSHIP_TAG = re.compile(rb"<Relationship\b([^<>]*)>")
_COL_TAG = re.compile(rb"<col\b([^<>]*)>")
_ATTRIBUTES = {name: re.compile(rb"\b" + name + rb"""\s*=\s*(?:"([^"]*)"|'([^']*)')""")
               for name in (b"t", b"s", b"name", b"r:id", b"Id", b"Target", b"hidden", b"min", b"max", b"numFmtId",
                            b"formatCode")}


def _attribute(attrs: bytes, name: bytes) -> bytes | None:
    found = _ATTRIBUTES[name].search(attrs)
    return None if found is None else found[1] if found[1] is not None else found[2]


def _hidden_columns(data: bytes) -> frozenset:
    """0-based columns a sheet part hides, within the width a table could have."""
    out = set()
    for attrs in _COL_TAG.findall(data):
        low, high = _attribute(attrs, b"min"), _attribute(attrs, b"max")
        if _attribute(attrs, b"hidden") in (b"1", b"true") and low and high and low.isdigit() and high.isdigit():
            low, high = int(low), int(high)
            out.update(range(low - 1, min(high, low + 200)))
    return frozenset(out)


def _xlsx_error_cells(z: _Package, hidden: dict | None = None) -> dict[str, list[tuple[int, int, str]]]:
    """Sheet name -> (0-based row, 0-based column, error text) of every cell Excel saved as an error.

    calamine reads a failed formula (#DIV/0!, #N/A) as an empty cell, which would be reported as "must
    be filled in" (or pass unseen in an optional column); the .xlsx itself says which cells failed.
    Only sheets that hold an error cell are parsed; anything unexpected gives {} (no extra check)."""
    try:
        names = z.members
        if "xl/workbook.xml" not in names:
            return {}
        out = {}
        extents = _Extents()
        parts = _xlsx_sheet_parts(z)
        _refuse_many_sheets(len(parts))
        for sheet, part in parts:
            _refuse_oversized_part(sheet, names[part].file_size)
            data = sheet_xml(z.read(part))
            _measure_xlsx_sheet(extents, sheet, data)
            if hidden is not None and b"hidden=" in data:  # hidden columns: the sheet's <cols> (rows say hidden too)
                columns = _hidden_columns(data)
                if columns:
                    hidden[sheet] = columns
            cells = _error_and_formula_cells(data)
            if cells:
                out[sheet] = cells
        return out
    except UnreadableWorkbook:
        raise
    except Exception:  # not a zip, or not the .xlsx layout: calamine reads (or refuses) it as before
        return {}


_NUM_FMT_TAG = re.compile(rb"<numFmt\b([^<>]*)>")
_XF = re.compile(rb"<xf\b([^<>]*)")
_XF_NUM_FMT = re.compile(rb'\bnumFmtId="(\d+)"')
_UNIT_WORDS_IN_FORMAT = ("万", "萬", "千元")


# 0!.0000"萬元" and 0.00,,"百萬" show a value in yuan as ten thousands (the point moved, or thousands
# divided away by each trailing comma): the value stored is yuan, as the contract asks.
_SCALED_FORMAT = re.compile(r'!\.|\\\.|,+(?=["\\;]|$)')


def _shows_another_unit(code: str) -> bool:
    """Whether a number format puts 萬/千元 after the value it shows as stored (0.00"萬元"), or shows it
    in another currency than yuan ($#,##0.00, [$€-407]): 1200.5 shown as $1,200.50 is no amount in yuan
    (found by an audit: an .ods amount in USD was taken as yuan)."""
    if any(word in code for word in _UNIT_WORDS_IN_FORMAT) and _SCALED_FORMAT.search(code) is None:
        return True
    code = _LOCALE_ONLY.sub("", code)  # [$-804]: a language, no currency
    if any(_foreign(symbol) for symbol in _CURRENCY_TAG.findall(code)):
        return True
    return any(symbol in _CURRENCY_TAG.sub("", code) for symbol in _FOREIGN_SYMBOLS)


_LOCALE_ONLY = re.compile(r"\[\$-[^\]]*\]")
_CURRENCY_TAG = re.compile(r"\[\$([^\]\-]+)(?:-[0-9A-Fa-f]+)?\]")
_FOREIGN_SYMBOLS = ("$", "€", "£", "₩", "₹")
_YUAN = {"¥", "￥", "CN¥", "CNY", "RMB", "元", "人民幣", "人民币"}


def _foreign(currency: str | None) -> bool:
    """A currency symbol or ISO code (an .ods cell's office:currency) that is not the yuan's."""
    return bool(currency and currency.strip()) and currency.strip().upper() not in _YUAN


def _xlsx_unit_formatted_cells(z: _Package) -> dict[str, frozenset]:
    """Sheet name -> (row, column) of cells whose number format shows 萬 or 千元 (0.00"萬元").
    Only styles that name such a unit are looked for in the sheets; anything unexpected gives {}."""
    try:
        if "xl/styles.xml" not in z.members:
            return {}
        styles = z.read("xl/styles.xml")
        if not any(word.encode() in styles for word in _UNIT_WORDS_IN_FORMAT + _FOREIGN_SYMBOLS):
            return {}
        unit_formats = {_attribute(attrs, b"numFmtId") for attrs in _NUM_FMT_TAG.findall(styles)
                        if _shows_another_unit(html.unescape((_attribute(attrs, b"formatCode") or b"").decode()))}
        start = styles.find(b"<cellXfs")
        end = styles.find(b"</cellXfs>", start)
        if not unit_formats or start < 0 or end < 0:
            return {}
        styled = {str(i).encode() for i, attrs in enumerate(_XF.findall(styles, start, end))
                  if (m := _XF_NUM_FMT.search(attrs)) and m[1] in unit_formats}
        if not styled:
            return {}
        out = {}
        for sheet, part in _xlsx_sheet_parts(z):
            found = _cells_styled(sheet_xml(z.read(part)), styled)
            if found:
                out[sheet] = found
        return out
    except Exception:  # noqa: BLE001 - not the .xlsx layout: calamine reads or refuses it
        return {}


def _cells_styled(data: bytes, styles: set[bytes]) -> frozenset:
    """(row, column), 0-based, of a sheet part's cells whose style is one of `styles`, their attributes
    in any order or quotes (found by an audit of error cells, which were looked for as Excel spells them)."""
    return frozenset((row, col) for row, col, attrs, _body in _placed_cells(data) if _attribute(attrs, b"s") in styles)


def _xlsx_sheet_parts(z: _Package) -> list[tuple[str, str]]:
    """(sheet name, zip member) of each sheet an .xlsx's workbook.xml lists, where the member exists."""
    rels = z.read("xl/_rels/workbook.xml.rels")
    targets = {_attribute(attrs, b"Id"): _attribute(attrs, b"Target") or b""
               for attrs in _RELATIONSHIP_TAG.findall(rels)}
    parts = []
    for attrs in _SHEET_TAG.findall(z.read("xl/workbook.xml")):
        name, rid = _attribute(attrs, b"name"), _attribute(attrs, b"r:id")
        if name is None or rid is None:
            continue
        target = targets.get(rid, b"").decode()
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        if part in z.members:
            parts.append((html.unescape(name.decode()), part))
    return parts


def measure_before_opening(source: Path | bytes, sheet: str | None = None, package=False) -> _Package | None:
    """Refuse (UnreadableWorkbook) a workbook whose used range would be too large for calamine to lay
    out, before anything opens it; `sheet`: only that sheet of an .xlsx (the sync's peek), `package`:
    the _Package an earlier call returned.  Returns the package (None for an .xls)."""
    if package is False:
        package = _Package.of(source)
        if package is None:
            _xls_error_cells(source)
        else:
            _refuse_other_packages(package, source)
            if "content.xml" in package.members:
                _ods_layout(package)
    if package is not None and sheet is not None and "xl/workbook.xml" in package.members:
        try:
            parts = dict(_xlsx_sheet_parts(package))
        except Exception:  # noqa: BLE001 - not the .xlsx layout: calamine reads or refuses it
            return package
        if sheet in parts:
            _refuse_oversized_part(sheet, package.members[parts[sheet]].file_size)
            _measure_xlsx_sheet(_Extents(), sheet, sheet_xml(package.read(parts[sheet])))
    return package


def _refuse_oversized_part(sheet: str, size: int) -> None:
    """A sheet whose XML alone unpacks beyond MAX_SHEET_PART_BYTES is no school's table (and is not
    measured): refused before calamine lays it out."""
    if size > MAX_SHEET_PART_BYTES:
        raise UnreadableWorkbook(
            f"無法讀取此文件:工作表「{sheet}」解壓後有 {size / 1e6:.0f} MB,遠超任何表格(上限 "
            f"{MAX_SHEET_PART_BYTES / 1e6:.0f} MB);請刪除表格以外的行、列和單元格後另存再提交",
            f"the file cannot be read: sheet '{sheet}' unpacks to {size / 1e6:.0f} MB, far beyond any table "
            f"(limit {MAX_SHEET_PART_BYTES / 1e6:.0f} MB); delete the rows, columns and cells outside the table "
            "and save again",
        )


def _xls_error_cells(source: Path | bytes, hidden: dict | None = None,
                     unit_cells: dict | None = None) -> dict[str, list[tuple[int, int, ExcelError]]]:
    """The same for an .xls: calamine reads its error cells as empty too, and xlrd tells them apart.
    xlrd also reads what calamine does not give: the columns a sheet hides (into `hidden`) and the number
    cells formatted to show 萬 or 千元 (into `unit_cells`), as the .xlsx's XML gives them.

    Not an .xls (no OLE signature) gives {}: calamine reads it by its content or refuses it.  An OLE file
    that xlrd cannot read is refused here (_unreadable_xls): calamine reads past many records xlrd
    rejects, and such a file went to it unmeasured (found by an audit: one short record before a value at
    IV65536, or a FAT chain looping on itself, and calamine aborted the whole process)."""
    import xlrd

    if isinstance(source, (bytes, bytearray)):
        if not bytes(source[:8]) == _OLE:
            return {}
        where = {"file_contents": bytes(source)}
    else:
        with open(source, "rb") as fh:
            if fh.read(8) != _OLE:
                return {}
        where = {"filename": str(source)}
    try:
        options = {"on_demand": True, "logfile": io.StringIO(), "ragged_rows": True}
        try:
            book = xlrd.open_workbook(**where, **options, formatting_info=True)
        except Exception:  # noqa: BLE001 - formats xlrd cannot follow: the cells themselves are still read
            book = xlrd.open_workbook(**where, **options)
        _measure_xls_records(book.mem[book.base:book.base + book.stream_len])
        unit_xfs = {n for n, xf in enumerate(book.xf_list)
                    if _shows_another_unit(getattr(book.format_map.get(xf.format_key), "format_str", "") or "")}
        out = {}
        extents = _Extents()
        for index, name in enumerate(book.sheet_names()):
            sheet = book.sheet_by_index(index)
            extents.add(name, sheet.nrows, sheet.ncols)
            cells, shown_in_units = [], set()
            for r in range(sheet.nrows):
                types = sheet.row_types(r)
                if xlrd.XL_CELL_ERROR in types:
                    cells += [(r, c, ExcelError(xlrd.error_text_from_code.get(sheet.cell_value(r, c), "#N/A")))
                              for c, kind in enumerate(types) if kind == xlrd.XL_CELL_ERROR]
                if unit_xfs and xlrd.XL_CELL_NUMBER in types:
                    shown_in_units.update((r, c) for c, kind in enumerate(types)
                                          if kind == xlrd.XL_CELL_NUMBER and sheet.cell_xf_index(r, c) in unit_xfs)
            if cells:
                out[name] = cells
            if shown_in_units and unit_cells is not None:
                unit_cells[name] = frozenset(shown_in_units)
            columns = frozenset(c for c, info in sheet.colinfo_map.items() if info.hidden and c < _TABLE_WIDTH)
            if columns and hidden is not None:
                hidden[name] = columns
            book.unload_sheet(index)
        return out
    except UnreadableWorkbook:
        raise
    except Exception as err:  # noqa: BLE001 - xlrd raises many kinds (struct.error, AssertionError ...)
        raise _unreadable_xls(source, err) from None


def _unreadable_xls(source: Path | bytes, err: Exception) -> UnreadableWorkbook:
    """Why an OLE file xlrd cannot read is refused: a password, what it really is when that can be told
    (an encrypted .xlsx), else damaged or not an Excel 97-2003 workbook."""
    what = _PASSWORD_PROTECTED if "encrypted" in str(err).lower() else _what_it_is(source)
    if what is not None:
        return UnreadableWorkbook("無法讀取此文件:" + what[0], "the file cannot be read: " + what[1])
    reason = (str(err).splitlines() or [""])[0][:200] or type(err).__name__
    return UnreadableWorkbook(
        "無法讀取此文件:文件已損壞,或不是真正的 Excel 97-2003 工作簿(.xls);請用 Excel 或 WPS 打開後另存為 .xlsx 再提交",
        f"the file cannot be read: it is damaged or not a real Excel 97-2003 workbook (.xls) ({reason}); open it "
        "in Excel or WPS, save it as .xlsx and send it again",
    )


_BIFF_EOF, _BIFF_BOUNDSHEET, _BIFF_DIMENSIONS = 0x000A, 0x0085, 0x0200
_BIFF_MAX_ROWS, _BIFF_MAX_COLUMNS = 65536, 256


def _biff_records(stream, pos: int):
    """(type, payload) of each record of the substream starting at `pos`, to its EOF, as calamine reads
    them (a record running past the stream ends it: calamine refuses the file there)."""
    end = len(stream)
    while pos + 4 <= end:
        kind, size = struct.unpack_from("<HH", stream, pos)
        if pos + 4 + size > end:
            return
        yield kind, stream[pos + 4:pos + 4 + size]
        if kind == _BIFF_EOF:
            return
        pos += 4 + size


def _measure_xls_records(stream) -> None:
    """Refuse an .xls whose records would make calamine reserve memory beyond any sheet before it reads
    a cell: more than MAX_SHEETS sheets (BOUNDSHEET), or a DIMENSIONS record beyond the 65536 x 256 of
    an .xls, inverted, or beyond the cell limits.  Found by an audit: a 14 KB file whose DIMENSIONS claimed
    rows to 2^32 aborted the process (calamine reserves the cells it claims), while xlrd, counting the
    cells themselves, saw 60.  One linear pass over the workbook globals and each sheet's records."""
    sheets = []
    for kind, data in _biff_records(stream, 0):
        if kind == _BIFF_BOUNDSHEET and len(data) >= 8:
            sheets.append((struct.unpack_from("<I", data)[0], _boundsheet_name(data)))
            _refuse_many_sheets(len(sheets))
    extents, claimed = _Extents(), {}
    for pos, name in sheets:
        if pos not in claimed:  # sheets sharing one substream: read once, counted for each
            claimed[pos] = _claimed_extent(stream, pos, name)
        extents.add(name, *claimed[pos])


def _claimed_extent(stream, pos: int, name: str) -> tuple[int, int]:
    """Rows x columns a sheet's DIMENSIONS records claim, as calamine reads them; refused beyond an .xls."""
    rows, columns = 0, 0
    for kind, data in _biff_records(stream, pos):
        if kind != _BIFF_DIMENSIONS or len(data) not in (10, 14):
            continue
        if len(data) == 14:
            first_row, last_row, first_col, last_col = struct.unpack_from("<IIHH", data)
        else:
            first_row, last_row, first_col, last_col = struct.unpack_from("<HHHH", data)
        if last_row == 0 or last_col == 0:  # an empty sheet
            continue
        if not (first_row <= last_row <= _BIFF_MAX_ROWS and first_col <= last_col <= _BIFF_MAX_COLUMNS):
            raise UnreadableWorkbook(
                f"無法讀取此文件:工作表「{name}」記錄的範圍(第 {first_row + 1} 至 {last_row} 行、第 {first_col + 1} 至 "
                f"{last_col} 列)超出 Excel 97-2003 工作表的 65536 行 × 256 列,文件已損壞;請用 Excel 或 WPS 打開後另存為 "
                ".xlsx 再提交",
                f"the file cannot be read: sheet '{name}' claims rows {first_row + 1} to {last_row} and columns "
                f"{first_col + 1} to {last_col}, beyond the 65536 rows x 256 columns of an Excel 97-2003 sheet: the "
                "file is damaged; open it in Excel or WPS, save it as .xlsx and send it again",
            )
        rows, columns = max(rows, last_row), max(columns, last_col)
    return rows, columns


def _boundsheet_name(data: bytes) -> str:
    """A BIFF8 BOUNDSHEET's sheet name (for a message): a byte count, a flag, then Latin-1 or UTF-16."""
    count, wide = data[6], len(data) > 7 and data[7] & 1
    text = data[8:8 + count * 2] if wide else data[8:8 + count]
    return text.decode("utf-16-le" if wide else "latin-1", "replace")


_FORMULA = re.compile(rb"<f\b[^<>]*>([^<]*)</f>")  # a formula's text holds no raw "<" (it is &lt;)
_HAS_VALUE = re.compile(rb"<v(?:\s[^<>]*)?>[^<]")  # openpyxl writes an empty <v></v> for "no value"


def _error_and_formula_cells(data: bytes) -> list[tuple[int, int, str]]:
    """A sheet part's cells Excel saved as an error, then its formulas without a value (one pass over the
    cells, and none for a sheet with neither: the common case)."""
    # A formula is <f> or <f ...>; <formula1> of a data validation (on every template sheet) is not one,
    # and scanning for it was a tenth of the whole sync.
    errors, formulas = _ERROR_TYPE.search(data) is not None, _FORMULA_TAG.search(data) is not None
    if not errors and not formulas:
        return []
    found = _cells_with_body(data)
    out = []
    if errors:
        for row, col, attrs, body in found:
            if _attribute(attrs, b"t") == b"e":
                value = _VALUE.search(body)
                text = html.unescape(value[1].decode()) if value else "#N/A"
                out.append((row, col, ExcelError(text)))
    return out + (_formulas_without_value(found) if formulas else [])


def _placed_cells(data: bytes) -> Iterator[tuple[int, int, bytes, bytes | None]]:
    """(row, column, attributes, body or None) of each cell of a sheet part, 0-based, placed as
    _layout_extent does: by its r= address, or as the next column of its row."""
    row, col = -1, -1
    for m in _ROW_OR_CELL.finditer(data):
        attrs = m[1] if m[1] is not None else m[2]
        ref = _R_ATTR.search(m[0] if attrs is None else attrs)
        if attrs is None:  # <row>
            row, col = _row_placed(ref, row), -1
            continue
        row, col = _cell_placed(ref, row, col)
        yield row, col, attrs, m[3]


def _cells_with_body(data: bytes) -> list[tuple[int, int, bytes, bytes]]:
    return [cell for cell in _placed_cells(data) if cell[3]]


def _formulas_without_value(cells: list[tuple[int, int, bytes, bytes]]) -> list[tuple[int, int, str]]:
    """Of a sheet's cells (_cells_with_body), those with a formula and no <v> (what a program writes when
    it cannot calculate), and those of =TODAY() or =NOW() whatever they hold (the day of the last save,
    not the record's)."""
    out = []
    for row, col, attrs, body in cells:
        if _FORMULA_TAG.search(body) is None:
            continue
        formula = _FORMULA.search(body)
        text = "=" + (html.unescape(formula[1].decode()) if formula else "")
        if VOLATILE.search(text):
            out.append((row, col, VolatileFormula(text)))
            continue
        # t="str" with an empty <v>: Excel calculated an empty text (=IF(A2="","",...)), a real value.
        if _HAS_VALUE.search(body) or b"<is>" in body or _attribute(attrs, b"t") == b"str":
            continue
        out.append((row, col, FormulaWithoutValue(text)))
    return out


def _column_index(letters: str) -> int:
    idx = 0
    for ch in letters:
        idx = idx * 26 + ord(ch) - 64
    return idx - 1


def _put_errors(grid: list[list], errors) -> None:
    for r, c, text, *over in errors:
        # A =TODAY() cell holds a value calamine reads as any date: it is put over it, not only into a blank;
        # so is an error cell of an .ods whatever value it caches (`over`).
        if r < len(grid) and c < len(grid[r]) and (is_empty(grid[r][c]) or text.__class__ is VolatileFormula or over):
            grid[r][c] = text if isinstance(text, ExcelError) else ExcelError(text)


HELD_IN_MEMORY_BYTES = 64_000_000  # a larger file (pictures, a video pasted in) is read from disk
# The used range calamine lays out cell by cell, empty ones included: one value at XFD1048576 of a 13 KB
# file would ask it for 512 GB and abort the whole process (a Rust allocation failure, which no Python
# code can catch).  So the extent of each sheet is read from the file first; a school's sheet has a few
# thousand cells, 100,000 rows of 20 columns are 2 million.
MAX_SHEET_CELLS = 2_000_000
MAX_SHEET_ROWS = 100_000  # each row is checked in Python: a county's largest sheet has a few thousand
MAX_BOOK_CELLS = 6_000_000
MAX_SHEET_PART_BYTES = 100_000_000  # one sheet's XML: 100,000 rows of a wide table unpack to about 20 MB
MAX_UNPACKED_BYTES = 500_000_000  # 100,000 rows of a sheet unpack to about 20 MB


class _Package:
    """An .xlsx or .ods (a zip) held in memory, for the checks calamine cannot make: its unpacked size and
    the error cells.  Members are inflated with zlib straight from the bytes: zipfile's reader costs
    some 35 µs a member, which over a county's 14,000 sheets was most of the error-cell scan."""

    def __init__(self, data: bytes | None, archive: zipfile.ZipFile):
        self.data = data  # None for a file too large to hold: its members are read through zipfile
        self.archive = archive
        self.members = {info.filename: info for info in archive.infolist()}

    @classmethod
    def of(cls, source: Path | bytes) -> _Package | None:
        """The package, or None for anything that is not a readable zip (an .xls, a broken file)."""
        # Any zip, not only one that starts with "PK": a zip bomb behind a few junk bytes is still a zip
        # to calamine, so its size is still checked.  An .xls (OLE) never is one.
        try:
            if not isinstance(source, (bytes, bytearray)) and Path(source).stat().st_size > HELD_IN_MEMORY_BYTES:
                with open(source, "rb") as fh:
                    if fh.read(8) == _OLE:
                        return None
                return cls(None, zipfile.ZipFile(source))
            data = bytes(source) if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
            if data.startswith(_OLE):
                return None
            return cls(data, zipfile.ZipFile(io.BytesIO(data)))
        except Exception:  # noqa: BLE001 - not a zip: calamine reads or refuses it
            return None

    def unpacked_size(self) -> int:
        """What it unpacks to, by its directory.  A small file that unpacks to gigabytes (a zip bomb)
        would take the sync's memory with it."""
        return sum(info.file_size for info in self.members.values())

    def read(self, name: str) -> bytes:
        info = self.members[name]
        off = info.header_offset
        if self.data is None or info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or \
                self.data[off:off + 4] != b"PK\x03\x04":
            return self.archive.read(name)  # encrypted, another method or an odd layout: the slow, sure way
        name_len, extra_len = struct.unpack_from("<HH", self.data, off + 26)
        start = off + 30 + name_len + extra_len
        raw = self.data[start:start + info.compress_size]
        if info.compress_type == zipfile.ZIP_STORED:
            return raw
        # Never more than the directory says: a member lying about its size is cut there.
        return zlib.decompressobj(-zlib.MAX_WBITS).decompress(raw, info.file_size)


def open_book(source: Path | bytes):
    """A calamine workbook for a path or bytes.  A file whose extension lies (an .xls renamed .xlsx,
    which WPS and old systems leave behind) is read by its content: calamine tells the format from the
    bytes when it is given them."""
    if isinstance(source, (bytes, bytearray)):
        return calamine.CalamineWorkbook.from_filelike(io.BytesIO(source))
    try:
        return calamine.CalamineWorkbook.from_path(str(source))
    except Exception as by_name:  # noqa: BLE001 - any reader error: try the content before giving up
        try:
            return calamine.CalamineWorkbook.from_filelike(io.BytesIO(Path(source).read_bytes()))
        except Exception:  # noqa: BLE001 - neither: the reason given is the first, read as the file's own kind
            raise by_name from None


_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def _refuse_other_packages(package: _Package, source: Path | bytes) -> None:
    """A zip is read only as an .xlsx (xl/workbook.xml) or an .ods (content.xml, and the mimetype calamine
    checks): anything else would reach calamine unmeasured.  Found by an audit: a 400-byte .xlsb named
    .xlsx, with one cell at XFD1048576, made calamine ask for 550 GB and abort the whole process."""
    names = package.members
    if "xl/workbook.bin" in names:  # calamine reads an .xlsb by its content, whatever its name
        raise UnreadableWorkbook(
            "無法讀取此文件:這是 Excel 二進制工作簿(.xlsb),系統不接受;" + _SAVE_AS_XLSX[0],
            "the file cannot be read: it is an Excel binary workbook (.xlsb), which is not accepted; " + _SAVE_AS_XLSX[1],
        )
    if "content.xml" in names:
        info = names.get("mimetype")
        mimetype = package.read("mimetype")[:100] if info is not None and info.file_size <= 1000 else b""
        if not mimetype.startswith(_ODS_MIMETYPE):
            shown = mimetype.decode("ascii", "replace").strip()[:60] or "-"
            raise UnreadableWorkbook(
                f"無法讀取此文件:它不是 OpenDocument 電子表格(.ods),其類型標記(mimetype)為「{shown}」;"
                "請用 LibreOffice 或 WPS 打開後另存為 .xlsx 再提交",
                f"the file cannot be read: it is not an OpenDocument spreadsheet (.ods): its mimetype says "
                f"'{shown}'; open it in LibreOffice or WPS, save it as .xlsx and send it again",
            )
        return
    if "xl/workbook.xml" in names:
        return
    what = _what_it_is(source) or (
        "這是一個壓縮包,但不是 .xlsx 或 .ods 工作簿;" + _SAVE_AS_XLSX[0],
        "this is a zip package, but not an .xlsx or .ods workbook; " + _SAVE_AS_XLSX[1])
    raise UnreadableWorkbook("無法讀取此文件:" + what[0], "the file cannot be read: " + what[1])


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
    first = raw.split()
    if len(first) > 1:
        forms.append(canon(first[0]))
    if _LATIN.search(raw) and not raw.isascii():
        # A bilingual heading either way round (學校代碼 School code, School code 學校代碼): each language alone.
        forms.append(canon(_PUNCTUATION.sub("", _LATIN.sub("", raw))))
        forms.append(canon(_PUNCTUATION.sub("", "".join(_LATIN.findall(raw)))))
    return [f for f in dict.fromkeys(forms) if f]


_LATIN = re.compile(r"[A-Za-z][A-Za-z_ ]*")
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
    return None, False


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
    if len(header) > LABEL_MAX:  # a page of text in the first rows is no heading (and OpenCC is slow on it)
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
_SIGNERS = r"(填表|填报|填写|制表|统计|记录|经办|经手|报送|签字|签名|签章|盖章|负责人|审核|审批|校长|副校长|分管|主管|领导|日期)"
_SIGNATURE = re.compile(r"^" + _SIGNERS + r"[^:]{0,4}:")
# A signer's label alone in its cell (校長 | 王五 | 填表人 | 張三): the role and nothing else, so that a value
# that merely starts so (領導小組, 主管部門檢查, 校長帶班, 記錄1, 日期待定) is never taken for one.
_SIGNER_LABEL = re.compile(
    r"^(?:(?:填表|填报|填写|制表|统计|记录|经办|经手|报送|审核|审批)人?|负责人|校长|副校长|分管(?:副)?校长|"
    r"(?:分管|主管)?领导|日期|填表日期|填报日期)(?:\(?(?:签字|签名|签章|盖章)\)?)?:?$")
# (此頁)以下空白: the form's own "nothing below", wherever on the line it is centred.
_NOTHING_BELOW = re.compile(r"^[(]?(此页|本页|本表)?以下(空白|无内容|无正文)[)]?$")
# "單位（蓋章）", "學校(公章)", "校長簽字：": a short line that ends asking for a seal or a signature,
# and the blank date under it ("2026年  月  日", "年 月 日").
_SEAL = re.compile(r"\(?(盖章|公章|印章|签字|签名|签章)\)?:?$")
_SEAL_MAX_LENGTH = 20
_BLANK_DATE = re.compile(r"^(\d{4})?年月日$")
# 合計：1,200.50元, 共計3次, 總計 3 次 (spaces are taken out before it is matched)
_TOTALS_LINE = re.compile(r"^(合计|总计|小计|汇总|共计)[:]?[\d,.]*(元|万元|次|场|人|人次|项|个|天|小时|课时|学时)?$")
_TOTALS = {"合计", "总计", "小计", "汇总", "共计", "合计:", "总计:", "小计:", "汇总:", "共计:"}  # 匯總: a Chinese Excel table's total row
NOTE_MIN_LENGTH = 15


def filled_cells(cells: list) -> list[int]:
    """Indices of the cells that hold something (calamine gives "" for an empty cell)."""
    return [i for i, c in enumerate(cells) if c != "" and c is not None and (c.__class__ is not str or c.strip())]


def _paperwork_form(text: str) -> str:
    """A cell's text as the paperwork patterns are written: Simplified, half-width, no spaces."""
    return _T2S.convert(unicodedata.normalize("NFKC", text).strip()).replace(" ", "").replace("：", ":")


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


def is_note_line(cells: list, first_table_col: int, first: int | None = None,
                 record_cols: frozenset[int] | set[int] = frozenset()) -> bool:
    """A notes, signature or totals line under the table rather than a record (note_kind says which)."""
    return note_kind(cells, first_table_col, first, record_cols) is not None


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
    if kind == "totals":
        # 小計1 | 2026-04-02 | 南門欄杆 | 設施 ...: a hazard the office numbered so, filled like a record; a
        # totals line (合計 | 2026-11-20 | 全年共發現1項...) is one however it is filled.
        return None if _NUMBERED.match(text.strip()) and _fills_a_record(cells, first, record_cols) else kind
    if kind == "note" and first <= first_table_col and _EXAMPLE.match(_T2S.convert(text[:20]).strip()):
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
    if any(_label_like(c) for i, c in enumerate(cells) if i != first):
        return False
    values = [c for c in others if _a_value(c)]
    return len(values) >= 3 or (len(values) >= 2 and any(c.__class__ is not str for c in values))


def _line_text(cells: list) -> str:
    return " ".join(display(cells[i]) for i in filled_cells(cells))[:500]


def column_letter(idx: int) -> str:
    letters = ""
    idx += 1
    while idx:
        idx, rem = divmod(idx - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


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
    headers = {key: (idx + 1, str(header_cells[idx]).strip()) for key, idx in columns.items()}
    names = [
        str(h).strip() if not is_empty(h) else column_letter(i) for i, h in enumerate(header_cells)
    ]
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
        if _only_serial_number(picked, cells):
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


def _date_alone(cells: list, first: int) -> bool:
    """A line that holds a date and nothing else."""
    if _first_filled(cells[first + 1:]) is not None:
        return False
    value, problem = parse_date(cells[first])
    return value is not None and problem is None


# A campus named alone, as a heading over its rows (the 校區 sheet itself lists campuses, so not there).
_CAMPUS_SUBTITLE = re.compile(r"^[\w()（）·]{0,16}(?:校区|分校|本部|校部|园区|院区)[:：]?$")


def _is_campus_subtitle(cells: list, first: int) -> bool:
    # The row's other cells first: a record fills several, and OpenCC (Python, a character at a time)
    # over every record's first cell cost a fifth of a county's checking.
    text = cells[first]
    if len(text) > 24 or _first_filled(cells[first + 1:]) is not None:
        return False
    return _names_a_campus(text)


@lru_cache(maxsize=4096)
def _names_a_campus(text: str) -> bool:
    return _CAMPUS_SUBTITLE.match(_T2S.convert(unicodedata.normalize("NFKC", text).strip())) is not None


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


_INVISIBLE_CHAR = re.compile("[" + "".join(map(chr, INVISIBLE)) + "]")


def _has_invisible(rows: list[list]) -> bool:
    return _INVISIBLE_CHAR.search("".join([c for cells in rows for c in cells if c.__class__ is str])) is not None


def _after_header_rows(spec: contract.Sheet, grid: list[list], header_idx: int) -> int:
    """The first row after the header and any second header row right under it (the English keys,
    or the same names again): a row whose filled cells are, at least half and two or more, column names,
    or are nothing but column names (寄宿生數 alone under a group heading 其中)."""
    r = header_idx + 1
    while r < len(grid):
        filled = filled_cells(grid[r])
        matched = _header_matches(spec, grid[r])
        names_only = bool(filled) and sum(map(len, matched.values())) == len(filled)
        if not filled or not (names_only or len(matched) >= max(2, (len(filled) + 1) // 2)):
            return r
        r += 1
    return r


def _only_serial_number(picked: dict, cells: list) -> bool:
    """A row of a printed form left empty: no contract cell filled, only a serial number (序號 1, 2 ...)
    in a column of its own.  It is a blank row; any other filled cell makes it a record."""
    for v in picked.values():
        if v != "" and v is not None and (v.__class__ is not str or v.strip()):
            return False
    for i in filled_cells(cells):
        c = cells[i]
        if not ((isinstance(c, (int, float)) and not isinstance(c, bool)) or (c.__class__ is str and c.strip().isdigit())):
            return False
    return True


def duplicate_columns(spec: contract.Sheet, table: Table) -> list[tuple[str, list[str]]]:
    matched = _header_matches(spec, table.header_cells)
    return [
        (key, [str(table.header_cells[i]).strip() for i in idxs]) for key, idxs in matched.items() if len(idxs) > 1
    ]
