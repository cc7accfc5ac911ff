"""What the office formats say beyond the values python-calamine returns, and what must be measured
before calamine opens a file.

calamine reads a failed formula (#DIV/0!, #N/A) and a formula saved without a value as an empty cell,
and cannot tell a number shown as 萬元 or in dollars from one in yuan; the files themselves say so (the
.xlsx's sheet and style XML, an .ods's content.xml, an .xls's BIFF records read by xlrd).  calamine
also lays out a sheet's whole used range in memory and aborts the process (a Rust allocation failure
no Python code can catch) when a few-KB file claims a cell at XFD1048576: every sheet's extent is
measured here first, within MAX_* limits.  Files that are no workbook at all (empty,
password-protected, HTML, CSV, .xlsb, other zips) are named so the person knows what to send instead.
"""

from __future__ import annotations

import html
import io
import itertools
import posixpath
import re
import struct
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import python_calamine as calamine

from sync.cells import (
    VOLATILE,
    ExcelError,
    FormulaWithoutValue,
    TextFormulaAsZero,
    VolatileFormula,
    is_empty,
)


def reader_panicked(err: BaseException) -> bool:
    """python-calamine's Rust panics reach Python as pyo3_runtime.PanicException, a BaseException that
    `except Exception` lets through (found by an audit: a file built to take gigabytes ended a sync so)."""
    return type(err).__name__ == "PanicException"


class UnreadableWorkbook(Exception):
    """The file cannot be opened as a workbook; args[0], args[1] = reason zh, en."""


_ODS_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
# calamine reads content.xml by the literal names (table:table-row, office:value-type), not by their
# namespaces: a row under <table:table-row xmlns:table="urn:other"> is a row to it and none to a reader
# that resolves namespaces; one file measured as empty laid out 90 million cells and aborted the process
# (found by an audit).  So these prefixes must mean what they always mean, and nothing else may stand
# for their namespaces: then a name resolved here is the name calamine matches.
_ODS_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODS_PREFIXES = {"table": _ODS_TABLE_NS, "office": _ODS_OFFICE_NS, "text": _ODS_TEXT_NS}
_T = _ODS_TABLE_NS + "}"  # expat's "namespace}name"
_O = _ODS_OFFICE_NS + "}"
_X = _ODS_TEXT_NS + "}"
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


def ods_layout(z: Package, hidden: dict | None = None, unit_cells: dict | None = None,
               hidden_rows: dict | None = None) -> tuple[dict[str, list], dict[str, list[tuple[int, int, ExcelError]]]]:
    """An .ods's cells merged down over rows, by sheet, as calamine gives them for .xlsx and .xls
    (((top, left), (bottom, right)), 0-based), and its error cells (#DIV/0! ...) as xlsx_error_cells
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
        raise UnreadableWorkbook("無法讀取此文件:" + PASSWORD_PROTECTED[0],  # content.xml is ciphertext, not damaged XML
                                 "the file cannot be read: " + PASSWORD_PROTECTED[1])
    _refuse_oversized_content(z.members["content.xml"].file_size)
    content = z.read("content.xml")
    # styles.xml is only looked into for the units a number style shows: not read when far too large
    styles_info = z.members.get("styles.xml") if unit_cells is not None else None
    # calamine never reads it, so nothing else finds a flipped bit there: a unit taken or lost
    styles = z.read_checked("styles.xml") if styles_info and styles_info.file_size <= MAX_SHEET_PART_BYTES else b""
    # a foreign symbol as the text of a number style (<number:text>$</number:text>): "$" alone is in every
    # content.xml with a formula's $A$1 (a review: the units were read for every such file)
    words = [w.encode() for w in _UNIT_WORDS_IN_FORMAT] + [b">" + symbol.encode() for symbol in _FOREIGN_SYMBOLS]
    # 萬 written as &#33836; is 萬 to expat (an audit): a part with a character reference is read through
    with_units = unit_cells is not None and any(w in content or w in styles for w in [*words, b"&#"])
    names = volatile_names(_ods_named_expressions(content))
    try:
        measure = _OdsMeasure(with_units, styles, names)
        measure.read(content)
    except xml.parsers.expat.ExpatError:
        # A control character in a text, which XML forbids and calamine reads past: measured without it.
        try:
            measure = _OdsMeasure(with_units, styles, names)
            measure.read(_XML_CONTROL.sub(b" ", content))
        except xml.parsers.expat.ExpatError as err:
            raise _ods_damaged(err.lineno) from None
    for name, columns in measure.hidden.items():
        if hidden is not None:
            hidden[name] = columns
    if hidden_rows is not None:
        hidden_rows.update(measure.hidden_rows)
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
        self.column_styles, self.collapsed, self.in_units, self.hidden_rows = [], set(), set(), set()
        self.row_depth = None  # the depth of the open row, None between rows
        self.row_repeated, self.c, self.filled = 1, 0, False
        self.cell = None  # the open cell's attributes, whether it holds an element, its text (error cells)
        self.cell_depth, self.cell_has_child, self.cell_text = 0, False, []
        self.cell_chars = 0  # the open cell's text, which calamine copies to every place it is repeated to

    def mark(self, cells) -> None:
        """Cells named as failed or dated by the day of the save, within MARKED_PER_SHEET in all (a review:
        a 2 KB file of array formulas each spanning 100 x 100 cells asked for gigabytes of them)."""
        self.failed.extend(itertools.islice(cells, max(0, MARKED_PER_SHEET - len(self.failed))))


_ODS_NAMED = re.compile(rb"<table:named-expression\b([^<>]*)>")
_ODS_NAME = re.compile(rb"""\btable:name\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ODS_EXPRESSION = re.compile(rb"""\btable:expression\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _ods_named_expressions(content: bytes) -> dict[tuple[str, None], str]:
    """content.xml's named expressions and their formulas (table:expression="of:TODAY()")."""
    if b"named-expression" not in content:
        return {}
    out = {}
    for attrs in _ODS_NAMED.findall(quoted_gt_escaped(content)):
        name, expression = _ODS_NAME.search(attrs), _ODS_EXPRESSION.search(attrs)
        if name and expression:
            out[html.unescape((name[1] or name[2]).decode("utf-8", "replace")), None] = html.unescape(
                (expression[1] or expression[2]).decode("utf-8", "replace"))
    return out


class _OdsMeasure:
    """content.xml read once by expat, with namespaces resolved and the prefixes calamine matches held
    to their meaning (_ODS_PREFIXES): tables' extents, merges, error cells, hidden columns and the cells
    shown in 萬 or 千元.  Memory stays that of one cell; time is linear in the part."""

    def __init__(self, with_units: bool, styles: bytes, names: VolatileNames | None = None):
        self.names = names  # the named expressions on TODAY() or NOW() (volatile_names)
        self.merges: dict[str, list] = {}
        self.errors: dict[str, list] = {}
        self.hidden: dict[str, frozenset] = {}
        self.hidden_rows: dict[str, frozenset] = {}
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
            if name == _X + "s":
                # <text:s text:c="n"/> is n spaces, written out by calamine: a 3 KB file asked it for a
                # gigabyte and aborted the reading process (found by a fuzz)
                spaces = attrs.get(_X + "c") or "1"
                table.cell_chars += int(spaces) if spaces.isascii() and spaces.isdigit() else 1
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
            if attrs.get(_T + "visibility", "visible") != "visible" and len(table.hidden_rows) < MARKED_PER_SHEET:
                table.hidden_rows.update(range(table.r, table.r + min(table.row_repeated, MARKED_PER_SHEET)))
        elif name in _ODS_CELLS and table.row_depth is not None:
            table.cell, table.cell_depth, table.cell_has_child, table.cell_text = attrs, self.depth, False, []
            table.cell_chars = 0
        for counted in _ODS_COUNTS:
            if counted in attrs:  # on any element: calamine reads some where this measure does not look
                self.count(attrs, counted, table)

    def column(self, table: _OdsTable, attrs: dict) -> None:
        repeated = self.count(attrs, _T + "number-columns-repeated", table)
        styles = table.column_styles
        # "collapse", or "filter" (hidden by a filter: an audit), hides it as Excel's hidden="1" does
        if attrs.get(_T + "visibility", "visible") != "visible":
            table.collapsed.update(range(len(styles), min(len(styles) + repeated, _TABLE_WIDTH)))
        styles += [attrs.get(_T + "default-cell-style-name")] * max(0, min(repeated, _TABLE_WIDTH - len(styles)))

    def text(self, data: str) -> None:
        table = self.tables[-1] if self.tables else None
        if table is None:
            if self.units is not None:
                self.units.text(data)
        elif table.cell is not None:
            table.cell_chars += len(data)
            if table.cell.get(_ODS_CALC_VALUE_TYPE) == "error" and sum(map(len, table.cell_text)) < 200:
                table.cell_text.append(data)  # an error's text is short: the rest is not kept

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
        if table.cell_chars:
            self.extents.add_text(table.cell_chars * across * table.row_repeated)
        if table.cell_has_child or any(key in attrs for key in _ODS_FILLING):
            table.filled, table.columns = True, max(table.columns, c + across)
        if (self.units is not None and attrs.get(_O + "value-type") in ("float", "currency") and self.units.shows_units(
                attrs.get(_T + "style-name") or (table.column_styles[c] if c < len(table.column_styles) else None))
                or attrs.get(_O + "value-type") == "currency" and _foreign(attrs.get(_O + "currency"))
                or attrs.get(_O + "value-type") == "percentage"):  # 100% is the 1 stored (an audit)
            table.in_units.update((r, c + dc) for dc in range(min(across, _ERRORS_REPEATED)))
        formula = attrs.get(_T + "formula")
        if formula and _is_volatile(formula, self.names):  # of:=TODAY(): the day of the last save
            volatile = VolatileFormula("=" + formula.split("=", 1)[-1])
            # in each row it is repeated to, and each cell of an array formula's range (an audit: the
            # range's other cells hold only values)
            down = max(table.row_repeated, self.count(attrs, _T + "number-matrix-rows-spanned", table))
            right = max(across, self.count(attrs, _T + "number-matrix-columns-spanned", table))
            table.mark((r + dr, c + dc, volatile) for dr in range(min(down, _ERRORS_REPEATED))
                       for dc in range(min(right, _ERRORS_REPEATED)))
        elif attrs.get(_ODS_CALC_VALUE_TYPE) == "error":  # LibreOffice's failed formula
            # at every place it is repeated to (a formula filled down or across), within reason; put over
            # whatever value is cached beside it (a 0 is no amount: found by an audit)
            error = ExcelError("".join(table.cell_text).strip()[:100] or "#N/A")
            table.mark((r + dr, c + dc, error, True) for dr in range(min(table.row_repeated, _ERRORS_REPEATED))
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
        if table.hidden_rows:
            self.hidden_rows[table.name] = frozenset(table.hidden_rows)
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
        elif self.open is not None and name in (_ODS_NUMBER + "text", _ODS_NUMBER + "currency-symbol"):
            # the currency's symbol too: a currency cell without its code (office:currency) says it only
            # there (found by an audit: $25,960.30 so written was taken as yuan)
            self.in_text = True
        elif name == _ODS_STYLE + "style" and attrs.get(_ODS_STYLE + "data-style-name"):
            self.data_style[attrs.get(_ODS_STYLE + "name")] = attrs[_ODS_STYLE + "data-style-name"]

    def text(self, data: str) -> None:
        if self.in_text and len(self.open[1]) < 100:
            self.open[1].append(data)

    def end(self, name: str) -> None:
        if name in (_ODS_NUMBER + "text", _ODS_NUMBER + "currency-symbol"):
            self.in_text = False
        elif self.open is not None and name in (_ODS_NUMBER + "number-style", _ODS_NUMBER + "currency-style"):
            name_, shown, scaled = self.open
            shown = "".join(shown)
            # "$"#,##0.00 saved by LibreOffice is the number with a text "$" before it, no currency style
            # (found by an audit: the .xlsx and .xls refused $3,490.59, the .ods took it as yuan)
            if (any(w in shown for w in _UNIT_WORDS_IN_FORMAT) and not scaled
                    or any(symbol in shown for symbol in _FOREIGN_SYMBOLS)):
                self.number_styles.add(name_)
            self.open = None

    def shows_units(self, cell_style: str | None) -> bool:
        return cell_style is not None and self.data_style.get(cell_style) in self.number_styles


_ERRORS_REPEATED = 100  # rows and columns an error cell is repeated to that are each named (a table's width)
MARKED_PER_SHEET = 20_000  # cells of a sheet named so at most: a school's sheet has a few hundred rows
_TABLE_WIDTH = 200  # columns whose hiding or default style is looked at: wider than any table of the contract


# A control character, raw or written as a character reference (&#1;), both of which XML forbids.
_XML_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|&#(?:0*(?:[0-8]|1[1-24-9]|2[0-9]|3[01])|x0*(?:[0-8bcef]|1[0-9a-f]));",
                          re.IGNORECASE)


class _Extents:
    """Rows x columns of each sheet's used range, added up as sheets are measured; too far refuses the file."""

    def __init__(self):
        self.total = 0
        self.text = 0

    def add_text(self, chars: int) -> None:
        """Characters (at most) calamine copies into cells: past MAX_BOOK_TEXT the file is refused."""
        self.text += chars
        if self.text > MAX_BOOK_TEXT:
            raise UnreadableWorkbook(
                f"無法讀取此文件:其中的文字被重複到大量單元格中,展開後超過 {MAX_BOOK_TEXT:,} 個字,遠超一個學校工作簿;"
                "請刪除多餘的工作表或單元格後另存再提交",
                f"the file cannot be read: its text, repeated over its cells, comes to more than {MAX_BOOK_TEXT:,} "
                "characters, far beyond a school workbook; delete the extra sheets or cells and save again",
            )

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


# Any cell past column Z or below row 99,999, or a row numbered so: only then are all refs read.  calamine
# takes an address in either case, and a row of any length (found by a fuzz: r="xfd1048576",
# r="C12345678" and r="C99999999999" went unmeasured, and aborted the reading process).
_FAR_REF = re.compile(rb'<(?:c r="(?:[A-Za-z]{2}|[A-Za-z]\d{6})|row r="\d{6})')
# A cell with something in it (a value, a formula, inline text, or anything else before its end: a comment
# between <c> and <v> hid one far cell): a border or a fill alone on an empty cell far away (<c .../>,
# <c ...></c>), or a row height down to 1048576, is formatting calamine lays out nothing for.
_CELL_REF = re.compile(rb'<c r="([A-Za-z]+)(\d+)"[^<>]*?(?<!/)>(?!\s*</c>)')


# Valid SpreadsheetML that Excel itself does not write, but other programs do: elements with a
# namespace prefix (<x:c r="A1">, the .NET Open XML SDK), and cells or rows without their r= address
# (the next column, the next row).  Both are brought to Excel's own spelling, or measured cell by
# cell, before the searches below: unmeasured, one far cell of a 13 KB file aborts the whole sync.
_ELEMENT_PREFIX = re.compile(rb"<(/?)[A-Za-z_][\w.-]*:(?=[A-Za-z_])")
# An attribute's value holding a raw ">" (no "<" can be in one): the tag regexes ([^<>]*) would stop there.
_QUOTED_GT = re.compile(rb"""=[ \t\r\n]*(?:"[^"<>]*>|'[^'<>]*>)""")
_QUOTED_VALUE = re.compile(rb"""=[ \t\r\n]*(?:"[^"<]*"|'[^'<]*')""")
# A prefix bound to SpreadsheetML's namespace, transitional or strict
_MAIN_PREFIX = re.compile(rb"""xmlns:([A-Za-z_][\w.-]*)\s*=\s*["'](?:http://schemas\.openxmlformats\.org/spreadsheetml/"""
                          rb"""2006/main|http://purl\.oclc\.org/ooxml/spreadsheetml/main)["']""")
_R_ATTR = re.compile(rb"""\br\s*=\s*["']([A-Za-z]*)(\d*)["']""")


def sheet_xml(data: bytes) -> bytes:
    """A sheet part as Excel spells it: the prefixes bound to SpreadsheetML's namespace taken off its
    elements (<x:c> is a <c>), wherever they are declared (found by an audit: <x:row><x:c r="XFD1048576">
    under a plain <worksheet>, or a long comment before <x:worksheet>, reached calamine unmeasured).
    Other namespaces keep theirs: Excel's <xm:f> of a cross-sheet list is no cell formula (a review:
    made one, it sent every cell of a sheet through the formula scan)."""
    prefixes = {m[1] for m in _MAIN_PREFIX.finditer(data)} if b"xmlns:" in data else ()
    if prefixes:
        data = re.sub(rb"<(/?)(?:" + b"|".join(map(re.escape, sorted(prefixes))) + rb"):(?=[A-Za-z_])", rb"<\1",
                      data)
    return quoted_gt_escaped(data)


def unprefixed(data: bytes) -> bytes:
    """A small package part (the workbook, its relationships, the styles) as its tags are searched: element
    prefixes taken off as sheet_xml does a sheet's (<x:sheet> is a <sheet> to calamine), comments taken out
    (a <cellXfs> or an <xf> in a comment put the styles off by one), a ">" inside an attribute's value
    escaped (name="填表>說明" cut the tag short).  Each found by an audit."""
    return quoted_gt_escaped(_without_comments(_ELEMENT_PREFIX.sub(rb"<\1", data)))


def _without_comments(data: bytes) -> bytes:
    """`data` with its comments taken out, an unclosed one to the end (a regex looked for the end of an
    unclosed comment from each one, quadratic: found by a review)."""
    if b"<!--" not in data:
        return data
    kept, at = [], 0
    while (start := data.find(b"<!--", at)) >= 0:
        kept.append(data[at:start])
        end = data.find(b"-->", start + 4)
        if end < 0:
            return b"".join(kept)
        at = end + 3
    kept.append(data[at:])
    return b"".join(kept)


def quoted_gt_escaped(data: bytes) -> bytes:
    """`data` with every ">" inside a quoted attribute value written &gt; (valid XML, which Excel itself
    never writes): the tag searches stop at a raw one.  A part without one is returned as it is: as many
    ">" as "<" (two counts in C) say none is raw outside a tag's end, a comment or CDATA aside."""
    if data.count(b">") == data.count(b"<") or _QUOTED_GT.search(data) is None:
        return data
    return _QUOTED_VALUE.sub(lambda m: m[0].replace(b">", b"&gt;"), data)




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


_SHARED_CELL = re.compile(rb"""<c\b[^<>]*?\bt\s*=\s*["']s["'][^<>]*>\s*<v>\s*(\d+)\s*</v>""")
_SHARED_ITEM = re.compile(rb"<si\b[^<>]*?/>|<si\b.*?</si>", re.S)  # <si/> is an item too (an empty text)
_MARKUP = re.compile(rb"<[^<>]*>")
_SHARED_STRINGS_TYPE = re.compile(rb"""Type\s*=\s*["'][^"']*/sharedStrings["']""")
_STYLES_TYPE = re.compile(rb"""Type\s*=\s*["'][^"']*/styles["']""")


class _SharedText:
    """The text an .xlsx's cells take from its shared-string table, which calamine copies into each cell
    that refers to it: measured against MAX_BOOK_TEXT before calamine opens the file.  Most workbooks are
    passed on a bound (every reference the whole table, then the longest string); only a file past both
    has its references counted one by one.  Every part that could be the table is measured (the one the
    workbook's relationships name, any named *sharedStrings.xml: a small decoy stored first hid the
    real one; found by an audit), the largest count standing."""

    def __init__(self, z: Package):
        self.z = z
        self.parts = sorted({name for name in z.members if name.lower().endswith("sharedstrings.xml")}
                            | _related_shared_strings(z))
        self.size = max((z.members[part].file_size for part in self.parts), default=0)

    @staticmethod
    def references(data: bytes) -> int:
        """At least the shared-string cells of a sheet part (every attribute whose value is s)."""
        return data.count(b'"s"') + data.count(b"'s'")

    def measure(self, extents: _Extents, refs: int, sheet_parts: list[str]) -> None:
        """`refs`: references() over the sheet parts `sheet_parts`, read again only for an exact count."""
        if not self.size or refs * self.size <= MAX_BOOK_TEXT:
            return
        counted = 0
        for part in self.parts:
            _refuse_oversized_part(part, self.z.members[part].file_size)
            items = _SHARED_ITEM.findall(_ELEMENT_PREFIX.sub(rb"<\1", self.z.read(part)))  # <x:si>: an SDK's spelling
            longest = max(map(len, items), default=0)
            if refs * longest <= MAX_BOOK_TEXT:
                continue
            # characters of each item's text (bytes and markup counted 3 to 10 times a Chinese text over)
            lengths = [len(_MARKUP.sub(b"", item).decode("utf-8", "replace")) for item in items]
            most = max(lengths, default=0)
            counted = max(counted, sum(
                sum(lengths[int(i)] if int(i) < len(lengths) else most  # past the table: as the longest
                    for i in _SHARED_CELL.findall(sheet_xml(self.z.read(sheet)))) for sheet in sheet_parts))
        extents.add_text(counted)


def _related_shared_strings(z: Package) -> set[str]:
    """The shared-string part the workbook's relationships name (what calamine reads), if it exists."""
    return set(_related_parts(z, _SHARED_STRINGS_TYPE))


def _related_parts(z: Package, kind: re.Pattern) -> list[str]:
    """The members the workbook's relationships of `kind` name (_STYLES_TYPE, _SHARED_STRINGS_TYPE), as
    calamine finds them; none without the relationships part."""
    try:
        relationships = z.workbook_relationships()
    except KeyError:
        return []
    return [part for attrs in relationships if kind.search(attrs)
            and (part := z.member(_target_part(_attribute(attrs, b"Target") or b""))) is not None]


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


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SNIFF_BYTES = 64 * 1024


def what_it_is(source: Path | bytes) -> tuple[str, str] | None:
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
        return PASSWORD_PROTECTED
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
PASSWORD_PROTECTED = ("工作簿設置了打開密碼,系統無法讀取;請在 Excel、WPS 或 LibreOffice 中取消密碼後重新提交",
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
               for name in (b"t", b"s", b"si", b"ref", b"localSheetId", b"name", b"Id", b"Target", b"hidden", b"min", b"max", b"numFmtId",
                            b"formatCode")}


def _attribute(attrs: bytes, name: bytes) -> bytes | None:
    found = _ATTRIBUTES[name].search(attrs)
    return None if found is None else found[1] if found[1] is not None else found[2]


_ROW_TAG = re.compile(rb"<row\b([^<>]*)>")


def _hidden_rows(data: bytes) -> frozenset:
    """0-based rows a sheet part hides (<row r="5" hidden="1">: by hand, in a collapsed group, or filtered
    out), at most MARKED_PER_SHEET."""
    out, row = set(), -1
    for attrs in _ROW_TAG.findall(data):
        row = _row_placed(_R_ATTR.search(attrs), row)
        if _attribute(attrs, b"hidden") in (b"1", b"true") and len(out) < MARKED_PER_SHEET:
            out.add(row)
    return frozenset(out)


def _hidden_columns(data: bytes) -> frozenset:
    """0-based columns a sheet part hides, within the width a table could have."""
    out = set()
    for attrs in _COL_TAG.findall(data):
        low, high = _attribute(attrs, b"min"), _attribute(attrs, b"max")
        if _attribute(attrs, b"hidden") in (b"1", b"true") and low and high and low.isdigit() and high.isdigit():
            low, high = int(low), int(high)
            out.update(range(low - 1, min(high, low + 200)))
    return frozenset(out)


def xlsx_error_cells(z: Package, hidden: dict | None = None,
                     hidden_rows: dict | None = None) -> dict[str, list[tuple[int, int, str]]]:
    """Sheet name -> (0-based row, 0-based column, error text) of every cell Excel saved as an error.

    calamine reads a failed formula (#DIV/0!, #N/A) as an empty cell, which would be reported as "must
    be filled in" (or pass unseen in an optional column); the .xlsx itself says which cells failed.
    Only sheets that hold an error cell are parsed; anything unexpected gives {} (no extra check)."""
    try:
        names = z.members
        if "xl/workbook.xml" not in names:
            return {}
        out = {}
        extents, shared, refs = _Extents(), _SharedText(z), 0
        for part in shared.parts + [name for name in (xlsx_styles_part(z),) if name is not None]:
            z.read_checked(part)  # kept: the unit formats read the styles again (xlsx_unit_formatted_cells)
        parts = _xlsx_sheet_parts(z)
        _refuse_many_sheets(len(parts))
        volatile = volatile_names(_xlsx_defined_names(z))
        for sheet, part in parts:
            _refuse_oversized_part(sheet, names[part].file_size)
            data = sheet_xml(z.read(part))
            if _SHEET_ROOT.search(data) is None:
                # A sheet pointed at another part (the workbook itself): calamine read it as a blank sheet,
                # and the records of the sheet part no longer pointed at were lost unseen (found by a fuzz)
                raise UnreadableWorkbook(
                    f"無法讀取此文件:已損壞,工作表「{sheet}」指向的不是工作表的內容({part});"
                    "請用 Excel 或 WPS 打開後另存為 .xlsx 再提交",
                    f"the file cannot be read: it is damaged; sheet '{sheet}' points at something that is not a "
                    f"sheet ({part}); open it in Excel or WPS, save it as .xlsx and send it again",
                )
            _measure_xlsx_sheet(extents, sheet, data)
            sheet_refs = shared.references(data)
            if sheet_refs:
                _refuse_unreadable_shared_reference(sheet, data, sheet_refs)
            refs += sheet_refs
            if hidden is not None and b"hidden" in data:  # hidden columns: the sheet's <cols>; and rows
                columns = _hidden_columns(data)
                if columns:
                    hidden[sheet] = columns
                rows = _hidden_rows(data)
                if rows and hidden_rows is not None:
                    hidden_rows[sheet] = rows
            cells = _error_and_formula_cells(data, volatile, sheet)
            if cells:
                out[sheet] = cells
        shared.measure(extents, refs, [part for _sheet, part in parts])
        return out
    except UnreadableWorkbook:
        raise
    except Exception:  # not a zip, or not the .xlsx layout: calamine reads (or refuses) it as before
        return {}


_NUM_FMT_TAG = re.compile(rb"<numFmt\b([^<>]*)>")
_XF = re.compile(rb"<xf\b([^<>]*)")
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
    # a percentage: 1 typed as 100% in a count of people is stored as 1 (found by an audit: A5 scored 1 of 20
    # signed), 0.5 yuan shows 50%; a "%" in quotes or after a backslash is a literal sign, no percentage
    if "%" in _QUOTED_FORMAT_TEXT.sub("", code):
        return True
    return any(symbol in _CURRENCY_TAG.sub("", code) for symbol in _FOREIGN_SYMBOLS)


_LOCALE_ONLY = re.compile(r"\[\$-[^\]]*\]")
_QUOTED_FORMAT_TEXT = re.compile(r'"[^"]*"|\\.')
# Excel's own percentages (0%, 0.00%), which styles.xml names by their number alone
_PERCENT_BUILTIN = re.compile(rb"""numFmtId\s*=\s*["'](?:9|10)["']""")
_CURRENCY_TAG = re.compile(r"\[\$([^\]\-]+)(?:-[0-9A-Fa-f]+)?\]")
_FOREIGN_SYMBOLS = ("$", "€", "£", "₩", "₹")
_YUAN = {"¥", "￥", "CN¥", "CNY", "RMB", "元", "人民幣", "人民币"}


def _foreign(currency: str | None) -> bool:
    """A currency symbol or ISO code (an .ods cell's office:currency) that is not the yuan's."""
    return bool(currency and currency.strip()) and currency.strip().upper() not in _YUAN


def xlsx_unit_formatted_cells(z: Package, unshown: dict | None = None) -> dict[str, frozenset]:
    """Sheet name -> (row, column) of cells whose number format shows 萬 or 千元 (0.00"萬元"), a foreign
    currency or a percentage; and into `unshown`, those whose format shows nothing (;;;: shows_nothing).
    Only styles that name such a format are looked for in the sheets; anything unexpected gives {}."""
    try:
        part = xlsx_styles_part(z)
        if part is None:
            return {}
        styles = z.read(part)
        # 萬 may be written &#33836; (an audit): such a part is read through, html.unescape below
        if (b"&#" not in styles and b"%" not in styles and b";;" not in styles and _PERCENT_BUILTIN.search(styles) is None
                and not any(word.encode() in styles for word in _UNIT_WORDS_IN_FORMAT + _FOREIGN_SYMBOLS)):
            return {}
        styles = unprefixed(styles)  # <x:numFmt>, <x:cellXfs>, <x:xf>: found by an audit, units read as yuan
        codes = {_attribute(attrs, b"numFmtId"): html.unescape((_attribute(attrs, b"formatCode") or b"").decode())
                 for attrs in _NUM_FMT_TAG.findall(styles)}
        unit_formats = {number for number, code in codes.items() if _shows_another_unit(code)}
        unit_formats |= {b"9", b"10"}  # 0% and 0.00%, built in
        blank_formats = {number for number, code in codes.items() if shows_nothing(code)}
        start = styles.find(b"<cellXfs")
        end = styles.find(b"</cellXfs>", start)
        if start < 0 or end < 0:
            return {}
        formats = [_attribute(attrs, b"numFmtId") for attrs in _XF.findall(styles, start, end)]  # any quotes (an audit)
        styled = {i for i, number in enumerate(formats) if number in unit_formats}
        blank = {i for i, number in enumerate(formats) if number in blank_formats}
        if not styled and not blank:
            return {}
        out = {}
        for sheet, part in _xlsx_sheet_parts(z):
            data = sheet_xml(z.read(part))
            found = _cells_styled(data, styled) if styled else frozenset()
            if found:
                out[sheet] = found
            hidden = _cells_styled(data, blank) if blank else frozenset()
            if hidden and unshown is not None:
                unshown[sheet] = hidden
        return out
    except Exception:  # noqa: BLE001 - not the .xlsx layout: calamine reads or refuses it
        return {}


def shows_nothing(code: str) -> bool:
    """Whether a number format shows no number at all (;;; or ;;, whose sections for positive, negative
    and zero are empty): the cell looks empty and holds a value (found by an audit: a whole record so
    formatted looked like a blank line, and was read and scored with nothing said)."""
    sections = _QUOTED_FORMAT_TEXT.sub("x", code).split(";")
    return len(sections) >= 3 and not any(section.strip() for section in sections[:3])


def _cells_styled(data: bytes, styles: set[int]) -> frozenset:
    """(row, column), 0-based, of a sheet part's cells whose style is one of `styles`, their attributes
    in any order or quotes (found by an audit of error cells, which were looked for as Excel spells them),
    s="07" being style 7 as calamine reads it."""
    return frozenset((row, col) for row, col, attrs, _body in _placed_cells(data)
                     if _style_number(_attribute(attrs, b"s")) in styles)


def _style_number(text: bytes | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


# What a workbook's sheet can be (an SDK's prefix too, <x:chartsheet>: sheet_xml takes off a worksheet's only)
_SHEET_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:worksheet|chartsheet|dialogsheet|macrosheet)\b")


def _xlsx_sheet_parts(z: Package) -> list[tuple[str, str]]:
    """(sheet name, zip member) of each sheet an .xlsx's workbook.xml lists, where the member exists.

    Read as any valid writer spells them, as calamine reads them: elements under a prefix (<x:sheet>, the
    .NET SDK's), the relationships' namespace under another prefix than r: (rel:id), a target through
    ./ or ../ (found by an audit: spelt so, no sheet was found, and every check made before calamine
    opens the file, its size among them, was passed over)."""
    targets = {_attribute(attrs, b"Id"): _attribute(attrs, b"Target") or b""
               for attrs in z.workbook_relationships()}
    parts = []
    for attrs in _SHEET_TAG.findall(unprefixed(z.read("xl/workbook.xml"))):
        name, rid = _attribute(attrs, b"name"), _relationship_id(attrs)
        if name is None or rid is None:
            continue
        part = z.member(_target_part(targets.get(rid, b"")))
        if part is not None:
            parts.append((html.unescape(name.decode()), part))
    return parts


_DEFINED_NAME = re.compile(rb"<definedName\b([^<>]*)>([^<]*)</definedName>")


def _xlsx_defined_names(z: Package) -> dict[tuple[str, str | None], str]:
    """The workbook's defined names, each with the sheet it belongs to (localSheetId, else None), and their
    formulas (<definedName name="MyDate">TODAY()</definedName>)."""
    workbook = z.read("xl/workbook.xml")
    if b"definedName" not in workbook:
        return {}
    workbook = unprefixed(workbook)
    sheets = [html.unescape(name.decode("utf-8", "replace")) for attrs in _SHEET_TAG.findall(workbook)
              if (name := _attribute(attrs, b"name")) is not None]
    out = {}
    for attrs, text in _DEFINED_NAME.findall(workbook):
        name, local = _attribute(attrs, b"name"), _attribute(attrs, b"localSheetId")
        if name is None:
            continue
        sheet = sheets[int(local)] if local is not None and local.isdigit() and int(local) < len(sheets) else None
        out[html.unescape(name.decode("utf-8", "replace")), sheet] = html.unescape(text.decode("utf-8", "replace"))
    return out


def _target_part(target: bytes) -> str:
    """The zip member a workbook relationship's Target names."""
    text = target.decode("utf-8", "replace")
    return text.lstrip("/") if text.startswith("/") else posixpath.normpath("xl/" + text)


def xlsx_styles_part(z: Package) -> str | None:
    """The styles part, as the workbook's relationships name it (calamine reads it from there: a styles part
    named otherwise hid its 萬元 formats, found by an audit), else xl/styles.xml."""
    return next(iter(_related_parts(z, _STYLES_TYPE)), None) or z.member("xl/styles.xml")


_RELATIONSHIP_ID = re.compile(rb"""(?:^|\s)[A-Za-z_][\w.-]*:id\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _relationship_id(attrs: bytes) -> bytes | None:
    """A <sheet>'s relationship id, its namespace under whatever prefix the file binds it to (r:id, rel:id):
    the last such attribute, as calamine takes it (an audit: a decoy foo:id before r:id was measured)."""
    found = _RELATIONSHIP_ID.findall(attrs)
    return None if not found else found[-1][0] or found[-1][1]


def measure_before_opening(source: Path | bytes, sheet: str | None = None, package=False) -> Package | None:
    """Refuse (UnreadableWorkbook) a workbook whose used range would be too large for calamine to lay
    out, before anything opens it; `sheet`: only that sheet of an .xlsx (the sync's peek), `package`:
    the Package an earlier call returned.  Returns the package (None for an .xls)."""
    if package is False:
        package = Package.of(source)
        if package is None:
            xls_error_cells(source, formulas=False)  # the peek measures; the check names the formulas
        else:
            _refuse_other_packages(package, source)
            if "content.xml" in package.members:
                ods_layout(package)
    if package is not None and sheet is not None and "xl/workbook.xml" in package.members:
        try:
            parts = dict(_xlsx_sheet_parts(package))
        except Exception:  # noqa: BLE001 - not the .xlsx layout: calamine reads or refuses it
            return package
        if sheet in parts:
            _refuse_oversized_part(sheet, package.members[parts[sheet]].file_size)
            extents, data = _Extents(), sheet_xml(package.read(parts[sheet]))
            _measure_xlsx_sheet(extents, sheet, data)
            shared = _SharedText(package)
            shared.measure(extents, shared.references(data), [parts[sheet]])
    return package


# A shared-text cell whose <v> is not an entry's number: calamine reads -1, abc, 1.9 or " 5 " as entry 0,
# the table's first text, and the cell took a text the school never wrote (found by a fuzz).  Office suites
# write t="s" last, right before the value: that spelling is searched as a literal, in one linear pass;
# a part spelling any of them otherwise has its cells read one by one (a t="s" anywhere in a tag, searched
# with a regex, rescans the tag for each one a hostile tag repeats).
_SHARED_BAD_VALUE = re.compile(rb't="s">\s*<v>(?!\d+</v>)')


def _refuse_unreadable_shared_reference(sheet: str, data: bytes, references: int) -> None:
    """`references`: _SharedText.references(data), at least the part's shared-text cells."""
    if data.count(b't="s">') == references and _SHARED_BAD_VALUE.search(data) is None:
        return
    for row, col, attrs, body in _placed_cells(data):
        if body and _attribute(attrs, b"t") == b"s":
            value = _VALUE.search(body)
            if value is not None and not value[1].isdigit():
                where, shown = f"{column_letter(col)}{row + 1}", value[1][:20].decode("utf-8", "replace")
                raise UnreadableWorkbook(
                    f"無法讀取此文件:已損壞,工作表「{sheet}」的單元格 {where} 引用的文字編號「{shown}」不存在;"
                    "請用 Excel 或 WPS 打開後另存為 .xlsx 再提交",
                    f"the file cannot be read: it is damaged; cell {where} of sheet '{sheet}' refers to text number "
                    f"'{shown}', which the workbook does not hold; open it in Excel or WPS, save it as .xlsx and send "
                    "it again",
                )


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


def xls_error_cells(source: Path | bytes, hidden: dict | None = None, unit_cells: dict | None = None,
                    formulas: bool = True, hidden_rows: dict | None = None,
                    unshown: dict | None = None) -> dict[str, list[tuple[int, int, ExcelError]]]:
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
        stream = book.mem[book.base:book.base + book.stream_len]
        _measure_xls_records(stream)
        formulas = _xls_formula_cells(stream) if formulas else {}
        unit_xfs = {n for n, xf in enumerate(book.xf_list)
                    if _shows_another_unit(getattr(book.format_map.get(xf.format_key), "format_str", "") or "")}
        blank_xfs = {n for n, xf in enumerate(book.xf_list)
                     if shows_nothing(getattr(book.format_map.get(xf.format_key), "format_str", "") or "")}
        out = {}
        extents = _Extents()
        for index, name in enumerate(book.sheet_names()):
            sheet = book.sheet_by_index(index)
            extents.add(name, sheet.nrows, sheet.ncols)
            cells, shown_in_units, not_shown = [], set(), set()
            for r in range(sheet.nrows):
                types = sheet.row_types(r)
                if xlrd.XL_CELL_ERROR in types:
                    cells += [(r, c, ExcelError(xlrd.error_text_from_code.get(sheet.cell_value(r, c), "#N/A")))
                              for c, kind in enumerate(types) if kind == xlrd.XL_CELL_ERROR]
                if unit_xfs and xlrd.XL_CELL_NUMBER in types:
                    shown_in_units.update((r, c) for c, kind in enumerate(types)
                                          if kind == xlrd.XL_CELL_NUMBER and sheet.cell_xf_index(r, c) in unit_xfs)
                if blank_xfs and len(not_shown) < MARKED_PER_SHEET:
                    not_shown.update((r, c) for c, kind in enumerate(types)
                                     if kind not in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK)
                                     and sheet.cell_xf_index(r, c) in blank_xfs)
            cells += formulas.get(name, [])
            if cells:
                out[name] = cells
            if shown_in_units and unit_cells is not None:
                unit_cells[name] = frozenset(shown_in_units)
            columns = frozenset(c for c, info in sheet.colinfo_map.items() if info.hidden and c < _TABLE_WIDTH)
            if columns and hidden is not None:
                hidden[name] = columns
            rows = frozenset(r for r, info in sheet.rowinfo_map.items() if info.hidden)
            if rows and hidden_rows is not None:
                hidden_rows[name] = rows
            if not_shown and unshown is not None:
                unshown[name] = frozenset(not_shown)
            book.unload_sheet(index)
        return out
    except UnreadableWorkbook:
        raise
    except Exception as err:  # noqa: BLE001 - xlrd raises many kinds (struct.error, AssertionError ...)
        raise _unreadable_xls(source, err) from None


def _unreadable_xls(source: Path | bytes, err: Exception) -> UnreadableWorkbook:
    """Why an OLE file xlrd cannot read is refused: a password, what it really is when that can be told
    (an encrypted .xlsx), else damaged or not an Excel 97-2003 workbook."""
    what = PASSWORD_PROTECTED if "encrypted" in str(err).lower() else what_it_is(source)
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


_BIFF_FORMULA, _BIFF_SHARED_FORMULA, _BIFF_ARRAY = 0x0006, 0x04BC, 0x0221
_FORMULA_HEAD = 22  # row, column, format, value (8 bytes), options, cache, token length; then the tokens
_TODAY, _NOW = 221, 74  # their numbers in the .xls function table
_PTG_STR, _PTG_CONCAT, _PTG_ATTR, _PTG_FUNC, _PTG_FUNC_VAR, _PTG_NAME = 0x17, 0x08, 0x19, 0x21, 0x22, 0x23
_BIFF_NAME = 0x0018
# Bytes after each token that has a fixed size (BIFF8); a token of a class (reference, value, array) is
# read by its base (0x20 to 0x3F).  A token not listed (0x18's extended ones) ends the reading of that formula.
_PTG_OPERANDS = {0x01: 4, 0x02: 4, **dict.fromkeys(range(0x03, 0x17), 0), 0x1C: 1, 0x1D: 1, 0x1E: 2, 0x1F: 8,
                 0x20: 7, 0x21: 2, 0x22: 3, 0x23: 4, 0x24: 4, 0x25: 8, 0x26: 6, 0x27: 6, 0x28: 6, 0x29: 2,
                 0x2A: 4, 0x2B: 8, 0x2C: 4, 0x2D: 8, 0x39: 6, 0x3A: 6, 0x3B: 10, 0x3C: 6, 0x3D: 10}


def _xls_formula_cells(stream) -> dict[str, list[tuple[int, int, object]]]:
    """Sheet name -> (row, column, marker) of the .xls formulas whose saved value misleads: one on TODAY()
    or NOW() (VolatileFormula: the day of the last save, as in an .xlsx), and one built of texts whose value
    is saved as the number 0 (TextFormulaAsZero: LibreOffice's way of saving a text formula's result).
    xlrd and calamine give only the saved values (found by an audit: an .xls took =TODAY() as a drill's
    date, and 演練類型 as "0").  Read from the FORMULA records themselves, token by token."""
    # the sheets; each NAME record's tokens and name, in order (ptgName counts them from 1)
    sheets, defined, labels = [], [], []
    for kind, data in _biff_records(stream, 0):
        if kind == _BIFF_BOUNDSHEET and len(data) >= 8:
            sheets.append((struct.unpack_from("<I", data)[0], _boundsheet_name(data)))
        elif kind == _BIFF_NAME and len(data) >= 15:
            # options, shortcut, name length, formula length, ..., then the name (a flags byte, its characters)
            chars, size, wide = data[3], struct.unpack_from("<H", data, 4)[0], data[14] & 1
            start = 15 + chars * (2 if wide else 1)
            defined.append(_formula_tokens(data[start:start + size]))
            labels.append(data[15:start].decode("utf-16-le" if wide else "latin-1", "replace"))
    volatile = _volatile_numbers(defined)
    out: dict[str, list] = {}
    read: dict[int, list] = {}  # sheets sharing one substream: read once
    for pos, name in sheets:
        if pos in read:
            if read[pos]:
                out[name] = read[pos]
            continue
        marked = read[pos] = []
        # (row, column, tokens read, value saved as 0); the formulas cells share, by their top-left cell
        cells, shared = [], {}
        for kind, data in _biff_records(stream, pos):
            if kind == _BIFF_FORMULA and len(data) >= _FORMULA_HEAD:
                size = struct.unpack_from("<H", data, 20)[0]
                tokens = data[_FORMULA_HEAD:_FORMULA_HEAD + size]
                zero = data[12:14] != b"\xff\xff" and struct.unpack_from("<d", data, 6)[0] == 0.0
                # Read token by token only what may matter (a review: every formula of a county cost 45 µs a
                # row): a value saved as 0, a shared formula's cell, TODAY's or NOW's number, a name's token.
                if (zero or tokens[:1] == b"\x01" or b"\xdd\x00" in tokens or b"\x4a\x00" in tokens
                        or volatile and (b"\x23" in tokens or b"\x43" in tokens or b"\x63" in tokens)):
                    cells.append((*struct.unpack_from("<HH", data), _formula_tokens(tokens), zero))
            elif kind in (_BIFF_SHARED_FORMULA, _BIFF_ARRAY) and len(data) >= 10:
                # A formula filled down or across (SHRFMLA: Excel's =TODAY() down a column), or an array
                # formula over a range (ARRAY): each of its cells says only "the formula whose top-left cell
                # is R, C" (ptgExp), which names it whatever other ranges cover the cell (an audit: an
                # overlapping range hid a TODAY()).
                start = 10 if kind == _BIFF_SHARED_FORMULA else 14
                top, _bottom, left, _right = struct.unpack_from("<HHBB", data)
                size = struct.unpack_from("<H", data, start - 2)[0] if len(data) >= start else 0
                shared.setdefault((top, left), _formula_tokens(data[start:start + size]))
        for row, col, (functions, texts, anchor, names), zero in cells:
            if anchor is not None:
                functions, texts, _anchor, names = shared.get(anchor, (functions, texts, None, names))
            if functions & {_TODAY, _NOW} or names & volatile:
                shown = ("=TODAY()" if _TODAY in functions else "=NOW()" if _NOW in functions
                         else "=" + labels[min(names & volatile) - 1])
                marked.append((row, col, VolatileFormula(shown)))
            elif texts and zero:
                marked.append((row, col, TextFormulaAsZero(0.0), True))
        if marked:
            out[name] = marked
    return out


def _volatile_numbers(defined: list[tuple]) -> set[int]:
    """The 1-based numbers of the defined names on TODAY() or NOW(), directly or through another name: one
    walk from those to the names that use them (VolatileNames' for the names an .xls numbers)."""
    volatile = {n for n, (functions, *_rest) in enumerate(defined, 1) if functions & {_TODAY, _NOW}}
    users: dict[int, set[int]] = {}
    for n, (*_rest, names) in enumerate(defined, 1):
        for used in names:
            users.setdefault(used, set()).add(n)
    waiting = list(volatile)
    while waiting:
        for user in users.get(waiting.pop(), ()):
            if user not in volatile:
                volatile.add(user)
                waiting.append(user)
    return volatile


def _formula_tokens(tokens: bytes) -> tuple[set[int], bool, tuple[int, int] | None, set[int]]:
    """The functions a BIFF8 formula calls, whether it is built of texts (a text constant or &), for a cell
    of a shared or array formula (ptgExp) the (row, column) of the formula's top-left cell, and the defined
    names it uses (their 1-based numbers among the NAME records)."""
    functions, texts, names, i = set(), False, set(), 0
    if tokens[:1] == b"\x01":
        return functions, texts, struct.unpack_from("<HH", tokens, 1) if len(tokens) >= 5 else None, names
    while i < len(tokens):
        ptg = tokens[i]
        base = ptg if ptg < 0x20 else (ptg & 0x1F) | 0x20
        if ptg == _PTG_STR:
            if i + 2 >= len(tokens):
                break
            texts = True
            i += 3 + tokens[i + 1] * (2 if tokens[i + 2] & 1 else 1)
            continue
        if ptg == _PTG_ATTR:
            if i + 3 >= len(tokens):
                break
            choose = tokens[i + 1] & 0x04  # tAttrChoose: a jump table follows
            i += 4 + (2 * (struct.unpack_from("<H", tokens, i + 2)[0] + 1) if choose else 0)
            continue
        if base not in _PTG_OPERANDS:
            break
        texts = texts or ptg == _PTG_CONCAT
        if base == _PTG_FUNC and i + 2 < len(tokens):
            functions.add(struct.unpack_from("<H", tokens, i + 1)[0])
        elif base == _PTG_FUNC_VAR and i + 3 < len(tokens):
            functions.add(struct.unpack_from("<H", tokens, i + 2)[0] & 0x7FFF)
        elif base == _PTG_NAME and i + 2 < len(tokens):
            names.add(struct.unpack_from("<H", tokens, i + 1)[0])
        i += 1 + _PTG_OPERANDS[base]
    return functions, texts, None, names


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
    """A BIFF8 BOUNDSHEET's sheet name (for a message, and the key by which the formulas found in its
    records join xlrd's sheets): a byte count, a flag, then Latin-1 or UTF-16."""
    count, wide = data[6], len(data) > 7 and data[7] & 1
    text = data[8:8 + count * 2] if wide else data[8:8 + count]
    return text.decode("utf-16-le" if wide else "latin-1", "replace")


_FORMULA = re.compile(rb"<f\b[^<>]*>([^<]*)</f>")  # a formula's text holds no raw "<" (it is &lt;)
_HAS_VALUE = re.compile(rb"<v(?:\s[^<>]*)?>[^<]")  # openpyxl writes an empty <v></v> for "no value"


def _may_hold_errors(data: bytes) -> bool:
    """Whether a part holds what every t="e" does, a quoted e: _ERROR_TYPE starts with \\b, no literal for
    Python's engine to jump to, and stepped through every byte of every sheet (8 % of a workbook's check);
    these four searches run in C."""
    return b'"e"' in data or b"'e'" in data or b'"e\'' in data or b'\'e"' in data


def _error_and_formula_cells(data: bytes, names: VolatileNames | None = None,
                             sheet: str | None = None) -> list[tuple[int, int, str]]:
    """A sheet part's cells Excel saved as an error, then its formulas without a value (one pass over the
    cells, and none for a sheet with neither: the common case)."""
    # A formula is <f> or <f ...>; <formula1> of a data validation (on every template sheet) is not one,
    # and scanning for it was a tenth of the whole sync.
    errors = _may_hold_errors(data) and _ERROR_TYPE.search(data) is not None
    formulas = _FORMULA_TAG.search(data) is not None
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
    return out + (_formulas_without_value(found, names, sheet) if formulas else [])


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


def _formulas_without_value(cells: list[tuple[int, int, bytes, bytes]], names: VolatileNames | None = None,
                            sheet: str | None = None) -> list[tuple[int, int, str]]:
    """Of a sheet's cells (_cells_with_body), those with a formula and no <v> (what a program writes when
    it cannot calculate), and those of =TODAY() or =NOW() whatever they hold (the day of the last save,
    not the record's)."""
    out = []
    spread = 0  # cells an array formula's range added (MARKED_PER_SHEET)
    shared: dict[bytes | None, str] = {}  # a shared formula's text, by its si
    for row, col, attrs, body in cells:
        if _FORMULA_TAG.search(body) is None:
            continue
        formula = _FORMULA.search(body)
        text = "=" + (html.unescape(formula[1].decode()) if formula else "")
        tag = _FORMULA_ATTRS.search(body)
        kind = _attribute(tag[1], b"t") if tag else None
        if kind == b"shared":
            # Excel fills a formula down as one shared formula: its first cell holds the text, the others
            # <f t="shared" si="0"/> (found by an audit: =TODAY() filled down was named in its first row only)
            si = _attribute(tag[1], b"si")
            if formula and formula[1].strip():
                shared[si] = text
            else:
                text = shared.get(si, text)
        if _is_volatile(text, names, sheet):
            out.append((row, col, VolatileFormula(text)))
            if kind == b"array" and spread < MARKED_PER_SHEET:  # the range's other cells hold only values
                cells_of_range = [(r, c) for r, c in _array_cells(_attribute(tag[1], b"ref")) if (r, c) != (row, col)]
                cells_of_range = cells_of_range[:MARKED_PER_SHEET - spread]
                spread += len(cells_of_range)
                out.extend((r, c, VolatileFormula(text)) for r, c in cells_of_range)
            continue
        # t="str" with an empty <v>: Excel calculated an empty text (=IF(A2="","",...)), a real value.
        if _HAS_VALUE.search(body) or b"<is>" in body or _attribute(attrs, b"t") == b"str":
            continue
        out.append((row, col, FormulaWithoutValue(text)))
    return out


_FORMULA_ATTRS = re.compile(rb"<f\b([^<>]*?)/?>")
_RANGE = re.compile(rb"^\s*([A-Za-z]{1,3})([1-9]\d{0,6})(?::([A-Za-z]{1,3})([1-9]\d{0,6}))?\s*$")


def _array_cells(ref: bytes | None) -> list[tuple[int, int]]:
    """The 0-based cells of an array formula's range (A2:A4), within _ERRORS_REPEATED rows and columns."""
    found = _RANGE.match(ref or b"")
    if found is None:
        return []
    top, left = int(found[2]) - 1, _column_index(found[1].decode())
    bottom = int(found[4]) - 1 if found[4] else top
    right = _column_index(found[3].decode()) if found[3] else left
    return [(r, c) for r in range(top, min(bottom, top + _ERRORS_REPEATED - 1) + 1)
            for c in range(left, min(right, left + _ERRORS_REPEATED - 1) + 1)]


class VolatileNames:
    """The defined names whose formula is on TODAY() or NOW(), directly or through another such name
    (=MyDate, MyDate being TODAY(): found by an audit, a drill dated so was stored under the day of the
    save), and whether a formula uses one.  A name is found as a formula names it: not inside a text, not
    a sheet's name (=Today!B2), not a function's (Today(...)), its case aside, a sheet's own name before the
    workbook's (found by a review: each of those was taken for the name)."""

    def __init__(self, volatile: set[tuple[str, str | None]], defined: set[tuple[str, str | None]]):
        self.volatile, self.defined = volatile, defined

    def resolve(self, name: str, sheet: str | None) -> tuple[str, str | None]:
        return (name, sheet) if (name, sheet) in self.defined else (name, None)

    def used_by(self, formula: str, sheet: str | None = None) -> bool:
        return any(self.resolve(name, sheet) in self.volatile for name in _names_in(formula))


def volatile_names(definitions: dict[tuple[str, str | None], str]) -> VolatileNames | None:
    """VolatileNames of `definitions` ((name, the sheet it belongs to or None) -> formula), None when no
    name is on TODAY() or NOW().  One walk from those names to the names that use them."""
    keys = {(name.casefold(), sheet): text for (name, sheet), text in definitions.items()}
    found = VolatileNames(set(), set(keys))
    users: dict[tuple, set] = {}
    for key, text in keys.items():
        if VOLATILE.search(_formula_code(text)):
            found.volatile.add(key)
        for name in _names_in(text):
            users.setdefault(found.resolve(name, key[1]), set()).add(key)
    waiting = list(found.volatile)
    while waiting:
        for user in users.get(waiting.pop(), ()):
            if user not in found.volatile:
                found.volatile.add(user)
                waiting.append(user)
    return found if found.volatile else None


# What of a formula names no defined name: its texts ("Today"), a sheet's name before "!" ('Today'!B2),
# an .ods reference ([$Today.B2])
_NOT_NAMES = re.compile(r'"(?:[^"]|"")*"|\'(?:[^\']|\'\')*\'!|\[[^\]]*\]')
_NAME_WORD = re.compile(r"(?<![\w.$!])([^\W\d][\w.]*)(?![\w.(!])")


def _formula_code(text: str) -> str:
    return _NOT_NAMES.sub(" ", text)


def _names_in(text: str) -> set[str]:
    return {word.casefold() for word in _NAME_WORD.findall(_formula_code(text))}


def _is_volatile(text: str, names: VolatileNames | None, sheet: str | None = None) -> bool:
    return VOLATILE.search(text) is not None or (names is not None and names.used_by(text, sheet))


def column_letter(idx: int) -> str:
    letters = ""
    idx += 1
    while idx:
        idx, rem = divmod(idx - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _column_index(letters: str) -> int:
    idx = 0
    for ch in letters.upper():  # calamine takes xfd1 for XFD1
        idx = idx * 26 + ord(ch) - 64
    return idx - 1


def put_errors(grid: list[list], errors) -> None:
    for r, c, text, *over in errors:
        if r >= len(grid) or c >= len(grid[r]):
            # A formula saved without its value gives calamine nothing to lay out: as a table's last row, or
            # right of its columns, it lies beyond the grid, and its row vanished unseen (found by a fuzz).
            # The sheet's extent, these cells included, was measured against its limits before opening.
            if r >= MAX_SHEET_ROWS or c >= MAX_SHEET_COLUMNS:
                continue
            grid.extend([] for _ in range(r + 1 - len(grid)))
            grid[r].extend([""] * (c + 1 - len(grid[r])))
        # A =TODAY() cell holds a value calamine reads as any date: it is put over it, not only into a blank;
        # so is an error cell of an .ods whatever value it caches (`over`).
        if is_empty(grid[r][c]) or text.__class__ is VolatileFormula or over:
            grid[r][c] = text if isinstance(text, (ExcelError, float)) else ExcelError(text)


HELD_IN_MEMORY_BYTES = 64_000_000  # a larger file (pictures, a video pasted in) is read from disk
# The used range calamine lays out cell by cell, empty ones included: one value at XFD1048576 of a 13 KB
# file would ask it for 512 GB and abort the whole process (a Rust allocation failure, which no Python
# code can catch).  So the extent of each sheet is read from the file first; a school's sheet has a few
# thousand cells, 100,000 rows of 20 columns are 2 million.
MAX_SHEET_CELLS = 2_000_000
MAX_SHEET_ROWS = 100_000  # each row is checked in Python: a county's largest sheet has a few thousand
MAX_SHEET_COLUMNS = 16_384  # XFD, the last column of any office suite's sheet
MAX_BOOK_CELLS = 6_000_000
MAX_SHEET_PART_BYTES = 100_000_000  # one sheet's XML: 100,000 rows of a wide table unpack to about 20 MB
MAX_UNPACKED_BYTES = 500_000_000  # 100,000 rows of a sheet unpack to about 20 MB
# The text calamine copies into a workbook's cells: one text repeated (an .ods's repeat counts) or referenced
# (an .xlsx's shared string) is copied into every cell, so a 4 KB file can ask for 6 GB (found by an audit).
# A school's workbook holds well under a million characters.
MAX_BOOK_TEXT = 50_000_000


class Package:
    """An .xlsx or .ods (a zip) held in memory, for the checks calamine cannot make: its unpacked size and
    the error cells.  Members are inflated with zlib straight from the bytes: zipfile's reader costs
    some 35 µs a member, which over a county's 14,000 sheets was most of the error-cell scan."""

    def __init__(self, data: bytes | None, archive: zipfile.ZipFile):
        self.data = data  # None for a file too large to hold: its members are read through zipfile
        self.archive = archive
        self.members = {info.filename: info for info in archive.infolist()}
        self.checked: dict[str, bytes] = {}  # parts read_checked inflated: read() gives them again, not inflated twice
        self._folded: dict[str, str] | None = None
        self._relationships: list[bytes] | None = None

    @classmethod
    def of(cls, source: Path | bytes) -> Package | None:
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

    def member(self, name: str) -> str | None:
        """The member `name` names, its case aside as calamine finds parts (xl/Worksheets/Sheet1.xml is
        xl/worksheets/sheet1.xml: found by an audit, a sheet so named went unmeasured); None if none."""
        if name in self.members:
            return name
        if self._folded is None:
            self._folded = {member.lower(): member for member in self.members}
        return self._folded.get(name.lower())

    def workbook_relationships(self) -> list[bytes]:
        """The attributes of each <Relationship> of an .xlsx's workbook (read once: the sheets, the styles
        and the shared texts are each found through them); KeyError when the part is missing."""
        if self._relationships is None:
            part = self.member("xl/_rels/workbook.xml.rels")
            if part is None:
                raise KeyError("xl/_rels/workbook.xml.rels")
            self._relationships = _RELATIONSHIP_TAG.findall(unprefixed(self.read(part)))
        return self._relationships

    def unpacked_size(self) -> int:
        """What it unpacks to, by its directory.  A small file that unpacks to gigabytes (a zip bomb)
        would take the sync's memory with it."""
        return sum(info.file_size for info in self.members.values())

    def read(self, name: str) -> bytes:
        if name in self.checked:
            return self.checked[name]
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

    def read_checked(self, name: str) -> bytes:
        """read(), the file refused when the part fails its checksum.  calamine checks the sheets' parts as
        it reads them, not the shared texts' or the styles': a bit flipped there (金玲 became 金鈴, a date
        format another) was read as written (found by a fuzz)."""
        info = self.members[name]
        try:
            data = self.read(name)
        except (zipfile.BadZipFile, zlib.error, EOFError):
            data = None
        if data is None or len(data) != info.file_size or zlib.crc32(data) != info.CRC:
            raise UnreadableWorkbook(
                f"無法讀取此文件:已損壞(其中的 {name} 校驗失敗);請用 Excel 或 WPS 打開後另存為 .xlsx 再提交",
                f"the file cannot be read: it is damaged ({name} fails its checksum); open it in Excel or WPS, save "
                "it as .xlsx and send it again",
            )
        self.checked[name] = data
        return data


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


def refuse_unreadable_packages(package: Package, source: Path | bytes) -> None:
    """A zip that unpacks far beyond any school workbook (a zip bomb would take the process's memory
    with it), or one that is neither an .xlsx nor an .ods, is refused before anything reads it."""
    unpacked = package.unpacked_size()
    if unpacked > MAX_UNPACKED_BYTES:
        raise UnreadableWorkbook(
            f"無法讀取此文件:解壓後有 {unpacked / 1e6:.0f} MB,遠超一個學校工作簿的大小(上限 "
            f"{MAX_UNPACKED_BYTES / 1e6:.0f} MB);請刪除多餘的工作表、圖片或空白行後另存再提交",
            f"the file cannot be read: it unpacks to {unpacked / 1e6:.0f} MB, far beyond any school workbook "
            f"(limit {MAX_UNPACKED_BYTES / 1e6:.0f} MB); remove extra sheets, pictures or empty rows and save again",
        )
    _refuse_other_packages(package, source)


def _refuse_other_packages(package: Package, source: Path | bytes) -> None:
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
    what = what_it_is(source) or (
        "這是一個壓縮包,但不是 .xlsx 或 .ods 工作簿;" + _SAVE_AS_XLSX[0],
        "this is a zip package, but not an .xlsx or .ods workbook; " + _SAVE_AS_XLSX[1])
    raise UnreadableWorkbook("無法讀取此文件:" + what[0], "the file cannot be read: " + what[1])


