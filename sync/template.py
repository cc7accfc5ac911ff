"""The school workbook template, and the bureau workbook, as real spreadsheets.

`write_template` writes the workbook a school fills in all year: an
instructions sheet (填表說明) first, then one sheet per school sheet of the
data contract with the Traditional sheet names and header cells, dropdowns for
yes/no and for the fixed lists, and date formats on date columns.  Given the
school's registry data it pre-fills 學校概況 (the dashboard's "download my
pre-filled template"); given records it fills every sheet (the demo county's
workbooks are filled templates).

`write_bureau_workbook` writes the bureau's own workbook (學校名冊, 督查記錄).

The writers are also used by the demo generator with `Quirks`, the mistakes
and habits real people bring to a template (a title row, blank rows, a notes
line, Simplified headers, the .xls or .ods format, a sheet left out), so the
sync is exercised on the files it will really meet.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sync import contract
from sync.errors import UserError

# Fixed document timestamp: the same records always give the same bytes, so an
# unchanged re-sync is skipped by content hash.
FIXED_CREATED = datetime(2020, 1, 1, 0, 0, 0)
YES, NO = "是", "否"
INSTRUCTIONS_SHEET = "填表說明"
EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
DATE_FORMAT = "yyyy-mm-dd"
# Rows a blank template carries dropdowns and formats for.
TEMPLATE_ROWS = 1000

# What each school sheet is for, and which clause of the plan it serves.
SHEET_PURPOSE: dict[str, tuple[str, str]] = {
    "school": ("學校基本情況，只填一行：學校代碼、名稱、類別、所屬鄉鎮、是否寄宿制。", "4.3.4、4.5.1"),
    "campuses": ("每個校區一行：在校學生數、教職工數、寄宿生數，是否有安全保衛室和一鍵報警。", "4.2.2、4.5.1、4.5.2"),
    "checklist": (
        "基礎工作十四項，每項一行：是否完成、文號或說明、日期。項目名稱請從下拉清單選擇。",
        "4.1、4.2.1、4.2.3、4.3.1、4.4.1、5.2",
    ),
    "agreements": ("每年度一行：教職工總數和已簽訂安全責任書的人數。", "4.1"),
    "office_staff": ("安全辦公室人員，每人一行：職務（主任/工作人員）、到崗日期，離崗的填離崗日期。", "4.2.2"),
    "drills": (
        "每次學生應急疏散演練一行：日期、校區、類型、是否有預案、評定結果、參演班級數、"
        "班主任簽到的班級數、參演人數。",
        "4.4.1、4.4.2、4.4.3、4.4.4",
    ),
    "education": (
        "安全教育記錄，每次一行：類型為安全教育課、家長會、安全講座、專題教育或教職工培訓；"
        "{themes}教職工培訓請填參加人數和應參加人數。",
        "4.3.2、4.3.3、4.3.4、4.3.5、4.3.6",
    ),
    "guards": (
        "專職保安員，每人每校區一行：出生日期、保安公司（直接聘用的留空）、上崗和離崗日期、七件防護器械是否配齊。",
        "4.5.1、4.5.2",
    ),
    "guard_training": ("保安員崗位技能培訓，每人每次一行：開始和結束日期、是否脫產、內容。", "4.5.3"),
    "guard_drills": ("保安員應急演練，每次一行。", "4.5.1"),
    "gate_duty": ("護學崗（高峰勤務），每次一行：日期、校區、時段、民警是否到崗。", "4.5.4"),
    "hazards": ("隱患排查整改台賬，每個問題一行：發現日期、描述、責任人、整改時限、完成（銷號）日期。", "5.2、5.3"),
    "registry": ("縣教體局學校名冊：應當報送台賬的全部學校，每校一行。", "5.4"),
    "inspections": (
        "督查記錄（由教體局填寫）：定期、不定期檢查和考評發現的問題、扣分，弄虛作假或重大安全事故（一票否決），"
        "考評組對某項指標的評分（指標欄填考評細則中的指標編號，如 D1；考評得分不得超過該指標分值）。",
        "5.3、6.2、6.3",
    ),
    "funds": ("安全專項經費，每筆一行：用途為隱患整治、安全宣傳、應急救援或表彰獎勵，金額以元為單位。", "6.4"),
}


@dataclass
class Quirks:
    """How a person departed from the template when filling it (the demo's realistic mistakes)."""

    title_row: str | None = None  # a (merged) title line above every header
    blank_every: int = 0  # a blank row after every n records
    notes_line: str | None = None  # a notes or signature line under every table
    simplified: bool = False  # sheet names and headers in Simplified characters
    skip_sheets: tuple[str, ...] = ()  # sheet keys left out of the workbook
    fmt: str = "xlsx"  # xlsx, xls or ods


@dataclass
class SheetRows:
    """One sheet's records, column by column, as cell values ready to write.

    Each value is None (blank cell), a str, or a number; date columns hold
    Excel serial day numbers.  Built once per county and sliced per school by
    the demo, so no DataFrame work happens per workbook.
    """

    sheet: contract.Sheet
    keys: list[str]
    columns: list[list] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def slice(self, start: int, stop: int) -> SheetRows:
        return SheetRows(self.sheet, self.keys, [col[start:stop] for col in self.columns])


def cell_values(series: pd.Series, kind: str) -> list:
    """Turn one record column into the cell values a writer puts down (see SheetRows)."""
    if kind == contract.DATE and pd.api.types.is_datetime64_any_dtype(series):
        days = (series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]") - EXCEL_EPOCH).astype("float64")
        days[series.isna().to_numpy()] = np.nan
        return [None if d != d else d for d in days.tolist()]
    values = series.to_numpy(dtype=object, na_value=None).tolist()
    if kind == contract.BOOL:
        return [_yes_no(v) for v in values]
    if kind == contract.DATE:
        return [_date_cell(v) for v in values]
    if kind in (contract.INT, contract.MONEY, contract.SCORE):
        return [_number_cell(v) for v in values]
    return [None if v is None or v == "" else (v if isinstance(v, str) else str(v)) for v in values]


def _yes_no(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value or None  # a person's own spelling (✓, Y) is kept as typed
    return YES if bool(value) else NO


def _date_cell(value):
    if value is None:
        return None
    if isinstance(value, str):
        return value or None  # a date typed as text stays text
    if isinstance(value, (pd.Timestamp, datetime)):
        value = value.date()
    if isinstance(value, date):
        return float((np.datetime64(value, "D") - EXCEL_EPOCH).astype(int))
    return value


def _number_cell(value):
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    return float(value)


def sheet_rows(sheet_key: str, frame: pd.DataFrame | None) -> SheetRows:
    """A sheet's records from a DataFrame with English column keys (missing columns stay blank)."""
    sheet = contract.SHEETS[sheet_key]
    keys = list(sheet.keys)  # a school workbook names its school once, in 學校概況
    if frame is None or len(frame) == 0:
        return SheetRows(sheet, keys, [[] for _ in keys])
    columns = []
    for key in keys:
        if key in frame.columns:
            columns.append(cell_values(frame[key], sheet.column(key).kind))
        else:
            columns.append([None] * len(frame))
    return SheetRows(sheet, keys, columns)


def _headers(sheet: contract.Sheet, keys: Sequence[str], simplified: bool) -> tuple[str, list[str]]:
    name, headers = sheet.zh, [sheet.column(k).zh for k in keys]
    if simplified:
        convert = _to_simplified()
        name, headers = convert(name), [convert(h) for h in headers]
    return name, headers


def _to_simplified():
    from opencc import OpenCC

    return OpenCC("t2s").convert


def instructions_lines(sheets: Iterable[contract.Sheet]) -> list[tuple[str, str, str]]:
    """(sheet name, what it is for, plan clause) for the instructions sheet.  The seasonal themes C5 counts
    are the configured rubric's: a topic counts only when it names one, and the template named the
    default's whatever the bureau's rubric said (a rubric audit)."""
    from sync.settings import configured_rubric

    names = "、".join(theme.name for theme in configured_rubric().themes)
    themes = f"專題教育請在主題中寫明季節專題的名稱（{names}）；" if names else ""  # none: C5 counts 0 points
    return [(s.zh, SHEET_PURPOSE.get(s.key, ("", ""))[0].format(themes=themes), SHEET_PURPOSE.get(s.key, ("", ""))[1])
            for s in sheets]


GENERAL_RULES = (
    "本工作簿由縣教體局學校安全考評系統生成，請全年持續填寫，隨時保存上報。",
    "每個工作表是一張表格：第一行是表頭，每條記錄一行；請不要修改工作表名稱和表頭文字，不要合併單元格。",
    "是/否欄：填「是」或「否」（也接受 Y/N、✓/✗、1/0、true/false），可從下拉清單選擇。",
    "日期欄：填真實日期，或寫成 2026-03-05、2026/3/5、2026.3.5、2026年3月5日 之一；不要只寫月份或「下週三」。",
    "人數、金額欄只填數字，不要填負數，不要帶單位；簽到班級數不應多於參演班級數。",
    "請勿填寫身份證號碼或電話號碼：系統不收集這些信息，含有此類內容的欄目會被拒收。",
    "帶下拉清單的欄目（學校類別、項目、職務、類型、用途）請從清單選擇，不要自行改寫。",
    "本表只記錄事實，考評分數由系統按《實施方案》計算；弄虛作假（如代簽、替簽）將取消本年度考評資格。",
)


# ---------------------------------------------------------------- xlsx


def _xlsx_formats(book):
    return {
        "header": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}),
        "title": book.add_format({"bold": True, "font_size": 14, "align": "center"}),
        "date": book.add_format({"num_format": DATE_FORMAT}),
        "money": book.add_format({"num_format": "#,##0.00"}),
        "text": book.add_format({"num_format": "@"}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "bold": book.add_format({"bold": True}),
    }


def _column_format(fmts, col: contract.Column):
    if col.kind == contract.DATE:
        return fmts["date"]
    if col.kind == contract.MONEY:
        return fmts["money"]
    if col.kind in (contract.TEXT, contract.CHOICE):
        return fmts["text"]
    return None


def _column_width(col: contract.Column) -> float:
    if col.kind == contract.DATE:
        return 12
    if col.kind == contract.CHOICE:
        return max(12, 2.2 * max(len(c) for c in col.choices) + 2)
    if col.key in ("description", "topic", "reference", "finding", "name", "company", "content"):
        return 24
    return max(8, 2.2 * len(col.zh) + 2)


def _write_instructions_xlsx(book, fmts, sheets: Sequence[contract.Sheet], title: str) -> None:
    ws = book.add_worksheet(INSTRUCTIONS_SHEET)
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 90, fmts["wrap"])
    ws.set_column(2, 2, 28)
    ws.write_string(0, 0, title, fmts["title"])
    row = 2
    for n, rule in enumerate(GENERAL_RULES, start=1):
        ws.write_string(row, 0, f"{n}.", fmts["bold"])
        ws.write_string(row, 1, rule)
        row += 1
    row += 1
    for i, text in enumerate(("工作表", "用途", "對應《實施方案》條款")):
        ws.write_string(row, i, text, fmts["header"])
    row += 1
    for name, purpose, clause in instructions_lines(sheets):
        ws.write_string(row, 0, name, fmts["bold"])
        ws.write_string(row, 1, purpose)
        ws.write_string(row, 2, clause)
        row += 1


def _validation(col: contract.Column) -> dict | None:
    if col.kind == contract.BOOL:
        source = [YES, NO]
    elif col.kind == contract.CHOICE:
        source = list(col.choices)
    elif col.kind == contract.DATE:
        from sync.validate import EARLIEST_BIRTH, EARLIEST_RECORD, EARLIEST_SERVICE

        # The checker's own ranges: a guard's birth date or a director's start in 1998 is no mistake.
        earliest = {"birth_date": EARLIEST_BIRTH, "start_date": EARLIEST_SERVICE,
                    "end_date": EARLIEST_SERVICE}.get(col.key, EARLIEST_RECORD)
        return {
            "validate": "date", "criteria": "between",
            "minimum": earliest, "maximum": date(2099, 12, 31),
            "error_title": "日期", "error_message": "請填寫真實日期，例如 2026-03-05。",
            "error_type": "warning",
        }
    elif col.kind == contract.INT:
        # A count is whole: Excel warns at 3.5 as it is typed, before the sync refuses the row.
        return {
            "validate": "integer", "criteria": ">=", "value": 0,
            "error_title": col.zh, "error_message": "請填寫不小於 0 的整數。", "error_type": "warning",
        }
    elif col.kind in (contract.MONEY, contract.SCORE):
        return {
            "validate": "decimal", "criteria": ">=", "value": 0,
            "error_title": col.zh, "error_message": "請填寫不小於 0 的數字。", "error_type": "warning",
        }
    else:
        return None
    return {
        "validate": "list", "source": source,
        "error_title": col.zh, "error_message": "請從下拉清單中選擇：" + "、".join(source),
    }


def _write_sheet_xlsx(book, fmts, rows: SheetRows, quirks: Quirks) -> None:
    sheet = rows.sheet
    cols = [sheet.column(k) for k in rows.keys]
    name, headers = _headers(sheet, rows.keys, quirks.simplified)
    ws = book.add_worksheet(name)
    col_fmts = [_column_format(fmts, c) for c in cols]
    for i, c in enumerate(cols):
        ws.set_column(i, i, _column_width(c), col_fmts[i])
    r = 0
    if quirks.title_row:
        if len(cols) > 1:
            ws.merge_range(0, 0, 0, len(cols) - 1, quirks.title_row, fmts["title"])
        else:
            ws.write_string(0, 0, quirks.title_row, fmts["title"])
        r = 1
    header_row = r
    for i, h in enumerate(headers):
        ws.write_string(r, i, h, fmts["header"])
    ws.freeze_panes(header_row + 1, 0)
    r += 1
    first_data = r
    columns, n = rows.columns, len(rows)
    write_number, write_string = ws.write_number, ws.write_string
    for j in range(n):
        for i, values in enumerate(columns):
            v = values[j]
            if v is None:
                continue
            if isinstance(v, str):
                write_string(r, i, v, col_fmts[i])
            else:
                write_number(r, i, v, col_fmts[i])
        r += 1
        if quirks.blank_every and (j + 1) % quirks.blank_every == 0 and j + 1 < n:
            r += 1
    if quirks.notes_line:
        write_string(r + 1, 0, quirks.notes_line)
    last = max(r, first_data + TEMPLATE_ROWS if n == 0 else r + 200)
    for i, c in enumerate(cols):
        rule = _validation(c)
        if rule is not None:
            ws.data_validation(first_data, i, last, i, rule)


def _write_xlsx(path: Path, parts: Sequence[SheetRows], quirks: Quirks, title: str) -> None:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    book.set_properties({"title": title, "author": "safeschool", "created": FIXED_CREATED})
    fmts = _xlsx_formats(book)
    _write_instructions_xlsx(book, fmts, [p.sheet for p in parts], title)
    for rows in parts:
        _write_sheet_xlsx(book, fmts, rows, quirks)
    book.close()
    _replace_file(path, buffer.getvalue())


# ---------------------------------------------------------------- xls and ods (older/other suites)


def _plain_table(rows: SheetRows, quirks: Quirks) -> tuple[str, list[list]]:
    """A sheet as a grid of plain cells (dates as datetime.date) for the .xls and .ods writers."""
    cols = [rows.sheet.column(k) for k in rows.keys]
    name, headers = _headers(rows.sheet, rows.keys, quirks.simplified)
    grid: list[list] = []
    if quirks.title_row:
        grid.append([quirks.title_row])
    grid.append(list(headers))
    n = len(rows)
    for j in range(n):
        line = []
        for c, values in zip(cols, rows.columns, strict=True):
            v = values[j]
            if c.kind == contract.DATE and isinstance(v, float):
                v = (EXCEL_EPOCH + np.timedelta64(int(v), "D")).astype(date)
            line.append(v)
        grid.append(line)
        if quirks.blank_every and (j + 1) % quirks.blank_every == 0 and j + 1 < n:
            grid.append([])
    if quirks.notes_line:
        grid += [[], [quirks.notes_line]]
    return name, grid


def _write_xls(path: Path, parts: Sequence[SheetRows], quirks: Quirks, title: str) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    notes = book.add_sheet(INSTRUCTIONS_SHEET)
    notes.write(0, 0, title)
    for r, rule in enumerate(GENERAL_RULES, start=2):
        notes.write(r, 0, rule)
    for rows in parts:
        name, grid = _plain_table(rows, quirks)
        ws = book.add_sheet(name)
        for r, line in enumerate(grid):
            for c, v in enumerate(line):
                if v is None:
                    continue
                if isinstance(v, date):
                    ws.write(r, c, v, date_style)
                else:
                    ws.write(r, c, v)
    buffer = io.BytesIO()
    book.save(buffer)
    _replace_file(path, buffer.getvalue())


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" office:version="1.2"'
)
# An office suite keeps a date cell a date only when its style says how to show it: without one,
# LibreOffice opens 2025-04-05 as the number 45752 and saves it so.
_ODS_DATE_STYLE = (
    "<office:automatic-styles>"
    '<number:date-style style:name="N1"><number:year number:style="long"/><number:text>-</number:text>'
    '<number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/>'
    "</number:date-style>"
    '<style:style style:name="date" style:family="table-cell" style:data-style-name="N1"/>'
    "</office:automatic-styles>"
)
_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def _ods_cell(value) -> str:
    from xml.sax.saxutils import escape, quoteattr

    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, date):
        text = value.isoformat()
        return (f'<table:table-cell table:style-name="date" office:value-type="date" office:date-value="{text}">'
                f"<text:p>{text}</text:p></table:table-cell>")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (f'<table:table-cell office:value-type="float" office:value="{value!r}">'
                f"<text:p>{value!r}</text:p></table:table-cell>")
    text = str(value)
    return (f'<table:table-cell office:value-type="string" office:string-value={quoteattr(text)}>'
            f"<text:p>{escape(text)}</text:p></table:table-cell>")


def _ods_table(name: str, grid: list[list]) -> str:
    from xml.sax.saxutils import quoteattr

    rows = "".join("<table:table-row>" + "".join(_ods_cell(v) for v in line) + "</table:table-row>"
                   if line else "<table:table-row><table:table-cell/></table:table-row>" for line in grid)
    return f"<table:table table:name={quoteattr(name)}>{rows}</table:table>"


def _write_ods(path: Path, parts: Sequence[SheetRows], quirks: Quirks, title: str) -> None:
    """A plain OpenDocument spreadsheet, written directly so the bytes depend only on the records."""
    tables = [_ods_table(INSTRUCTIONS_SHEET, [[title], *[[r] for r in GENERAL_RULES]])]
    tables += [_ods_table(*_plain_table(rows, quirks)) for rows in parts]
    content = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_ODS_NS}>'
               f"{_ODS_DATE_STYLE}<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
               "</office:document-content>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        # The mimetype entry must come first and stay uncompressed for office suites to accept the file.
        for name, payload, method in (
            ("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED),
            ("META-INF/manifest.xml", _ODS_MANIFEST, zipfile.ZIP_DEFLATED),
            ("content.xml", content, zipfile.ZIP_DEFLATED),
        ):
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            book.writestr(info, payload.encode("utf-8"))
    _replace_file(path, out.getvalue())


# ---------------------------------------------------------------- files


def _replace_file(path: Path, content: bytes) -> None:
    """Write content unless the file already holds exactly these bytes (keeps its mtime for the sync)."""
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size == len(content) and path.read_bytes() == content:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(content)
        tmp.replace(path)
    except OSError as err:
        raise UserError(f"cannot write {path}: {err.strerror or err}. Choose a folder you may write to.",
                        zh=f"無法寫入 {path}（{err.strerror or err}）：請選擇一個可以寫入的文件夾") from None


_WRITERS = {"xlsx": _write_xlsx, "xls": _write_xls, "ods": _write_ods}


def write_workbook(path: Path, parts: Sequence[SheetRows], quirks: Quirks | None = None, title: str = "") -> None:
    """Write prepared sheets (instructions sheet first) in the format quirks.fmt asks for."""
    quirks = quirks or Quirks()
    parts = [p for p in parts if p.sheet.key not in quirks.skip_sheets]
    _WRITERS[quirks.fmt](Path(path), parts, quirks, title)


def _school_frame(school: dict) -> pd.DataFrame:
    known = {k: school.get(k) for k in contract.SHEETS["school"].keys if k in school}
    return pd.DataFrame([known], dtype=object)


def school_workbook_title(school: dict | None) -> str:
    name = (school or {}).get("name") or ""
    return f"{name}學校安全工作台賬".strip() if name else "學校安全工作台賬（填報模板）"


def write_template(
    path: str | Path,
    school: dict | None = None,
    records: dict[str, pd.DataFrame] | None = None,
) -> Path:
    """Write the school workbook: blank, pre-filled with the school's registry data, or filled with records.

    school: registry data (school_code, name, type, township) pre-filled into 學校概況.
    records: sheet key -> DataFrame with English column keys; each sheet is filled with its rows.
    Raises UserError when the path is not an .xlsx file or cannot be written.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise UserError(f"the template is an .xlsx workbook: give a file name ending in .xlsx, not {path.name!r}",
                        zh=f"模板是 .xlsx 工作簿：文件名請以 .xlsx 結尾，不能是「{path.name}」")
    records = dict(records or {})
    if school and "school" not in records:
        records["school"] = _school_frame(school)
    parts = [sheet_rows(s.key, records.get(s.key)) for s in contract.SCHOOL_SHEETS]
    if school is None and records.get("school") is not None and len(records["school"]):
        school = {"name": records["school"]["name"].iloc[0]}
    write_workbook(path, parts, Quirks(), school_workbook_title(school))
    return path


BUREAU_TITLE = "教體局學校名冊與督查記錄"


def write_bureau_workbook(path: str | Path, registry_df: pd.DataFrame, inspections_df: pd.DataFrame) -> Path:
    """Write the bureau workbook: 學校名冊 (the schools the bureau expects) and 督查記錄 (inspection findings)."""
    path = Path(path)
    parts = [sheet_rows("registry", registry_df), sheet_rows("inspections", inspections_df)]
    write_workbook(path, parts, Quirks(), BUREAU_TITLE)
    return path
