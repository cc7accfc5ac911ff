"""The report on one source: what was accepted, what was refused and why.

`check_file` (and `check_bytes` for an upload) reads one workbook, tells a
school workbook from the bureau workbook by its sheets, validates it without
touching the store, and returns a FileReport.  `annotate_workbook` gives the
school its own workbook back with every bad cell highlighted and a comment
carrying the reason, plus a first sheet listing the file-level problems.

Structural problems refuse the whole file (level "file"): unreadable, not a
safeschool workbook, a missing sheet or column, a column twice, no or several
school rows, an unregistered or wrong school, identity-card or phone numbers.
Row problems refuse one row (level "row") and keep it with its reasons.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import pandas as pd

from sync import contract
from sync.cells import ShownInAnotherUnit, canon, display, is_empty, parse_code, without_invisible
from sync.formats import UnreadableWorkbook, column_letter
from sync.reader import (
    Table,
    column_key_of,
    duplicate_columns,
    locate_table,
    match_sheets,
    read_workbook,
    sheet_key_of,
)
from sync.settings import county_today
from sync.validate import (
    Context,
    Problem,
    SheetResult,
    masked_cell,
    masked_private,
    numeric_columns,
    paperwork_identity_problems,
    privacy_problems,
    registered_code,
    sheet_privacy_problems,
    validate_rows,
    zero_dropped,
)

SCHOOL_WORKBOOK = "school_workbook"
BUREAU_WORKBOOK = "bureau_workbook"


@dataclass
class FileReport:
    """What check_file found in one source (see the module docstring)."""

    filename: str
    kind: str | None = None
    school_code: str | None = None
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, list[dict]] = field(default_factory=dict)  # sheet key -> accepted records
    rejected: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)  # lines under a table taken as notes
    rows_read: int = 0
    run: object | None = None  # the RunSummary when the report came with a load (an upload)
    # The accepted records column by column when a sync worker sent them so (sync.load.pack_records),
    # `rows` then empty; None otherwise.
    packed: dict[str, dict[str, list]] | None = None
    busy: bool = False  # an upload not kept because the school's previous one was still loading
    for_another_school: bool = False  # an upload of a workbook naming another registered school

    @property
    def refused(self) -> bool:
        return any(p.level == "file" for p in self.problems)

    @property
    def file_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "file"]

    @property
    def row_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "row"]

    @cached_property
    def records(self) -> dict[str, pd.DataFrame]:
        """Accepted rows per sheet key: English keys + school_code + row_no."""
        out = {}
        for key, rows in self.rows.items():
            sheet = contract.SHEETS[key]
            cols = ["school_code", *[k for k in sheet.keys if k != "school_code"], "row_no"]
            out[key] = pd.DataFrame(rows, columns=cols) if rows else pd.DataFrame(columns=cols)
        return out

    def add_file_problem(self, zh: str, en: str, sheet: str | None = None, column: str | None = None,
                         value: str | None = None, row: int | None = None, sheet_key: str | None = None) -> None:
        self.problems.append(Problem("file", sheet, row, column, value, zh, en, sheet_key=sheet_key))

    def lines(self) -> list[str]:
        return [p.as_text(self.filename) for p in self.problems]

    def masked(self) -> FileReport:
        """The report with every identity or phone number a problem repeats cut to its first digits:
        a note naming the guards trained (王五13800138000), a township the registry spells otherwise,
        a value refused for another reason.  The file is refused for the number; its problems are
        shown and stored, the number never."""
        for p in self.problems:
            p.reason_zh, p.reason_en = masked_private(p.reason_zh), masked_private(p.reason_en)
            if p.value:
                p.value = masked_private(p.value)
        return self


# ---------------------------------------------------------------- context

def indicator_max() -> dict[str, float]:
    """Each indicator's maximum points, from the configured rubric (rules.md defaults as fallback)."""
    try:
        from sync.settings import configured_rubric

        return {k: float(v) for k, v in configured_rubric().points.items()}
    except ImportError:
        return dict(DEFAULT_POINTS)


DEFAULT_POINTS = {
    "A1": 3, "A2": 3, "A3": 3, "A4": 2, "A5": 4, "B1": 3, "B2": 4, "B3": 3,
    "C1": 2, "C2": 6, "C3": 3, "C4": 3, "C5": 3, "C6": 3, "D1": 8, "D2": 2, "D3": 3, "D4": 3, "D5": 4,
    "E1": 5, "E2": 2, "E3": 2, "E4": 2, "E5": 3, "E6": 2, "E7": 2, "E8": 2, "F1": 2, "F2": 3, "F3": 5, "G1": 5,
}


def registry_in_store(engine, kinds: tuple[str, ...] = (BUREAU_WORKBOOK, "sql")) -> dict[str, dict | None] | None:
    """The schools registered in the store, code -> their registry entry (name, type, township; None
    for a code on a registry row refused for another cell), or None when no registry was ever loaded.
    Used as the set of registered codes, and to tell a school where its 學校概況 and the registry differ.
    kinds: the sources asked (("sql",): the mapped queries' registry alone)."""
    from sqlalchemy import case, select

    from sync.store import records, sources

    table = records["registry"]
    # The bureau workbook's entry last, so it stands where a mapped query lists the school otherwise
    # (as sync.frames gives the registry to scoring).
    from_query = case((sources.c.kind == "sql", 0), else_=1)
    with engine.connect() as conn:
        entries = {code: {"name": name, "type": kind, "township": township} for code, name, kind, township in
                   conn.execute(select(table.c.school_code, table.c.name, table.c.type, table.c.township)
                                .join(sources, sources.c.source_id == table.c.source_id)
                                .where(sources.c.kind.in_(kinds))
                                .order_by(from_query, table.c.record_id))}
        for code in codes_on_refused_registry_rows(conn, kinds) - entries.keys():
            entries[code] = None
    for short in zero_dropped(entries):
        del entries[short]  # the zero-padded code stands; 101 reads as it (registered_code)
    return entries or None


def registry_entry_digest(registry, code: str | None) -> str:
    """What of the registry a school's check depends on: whether its code is registered, and its entry."""
    if registry is None or code not in registry:
        return "unregistered"
    entry = registry.get(code) if isinstance(registry, dict) else None
    return "registered" if not entry else "registered:" + "|".join(str(entry.get(k) or "") for k in _COMPARED)


# The type decides what is measured (C4, drills by quarter), the township where a school is ranked;
# a name is written many ways (城關一小, 城關鎮第一小學) and the registry's is simply the one shown.
_COMPARED = ("type", "township")
_COMPARED_LABELS = {"type": ("學校類別", "type"), "township": ("所屬鄉鎮", "township")}


def codes_on_refused_registry_rows(conn, kinds: tuple[str, ...] = (BUREAU_WORKBOOK, "sql")) -> set[str]:
    """Codes on registry rows refused for another cell (學校類別 typed 九年制): still registered, so the
    bureau's typo does not refuse the school's workbook or its inspections; the bureau is shown the row."""
    from sqlalchemy import select

    from sync.store import rejected_rows, sources

    rows = conn.execute(
        select(rejected_rows.c.sheet, rejected_rows.c.school_code)
        .join(sources, sources.c.source_id == rejected_rows.c.source_id)
        .where(sources.c.kind.in_(kinds), rejected_rows.c.level == "row",
               rejected_rows.c.school_code.is_not(None))
    ).all()
    return {code for sheet, code in rows if sheet == "registry" or sheet_key_of(sheet or "") == "registry"}


# ---------------------------------------------------------------- checking

def check_file(path: Path, registry: set[str] | None = None, engine=None, today: date | None = None,
               display_name: str | None = None, maxima: dict[str, float] | None = None) -> FileReport:
    """Validate one workbook (school or bureau) without loading it.

    registry: the registered school codes (None: taken from `engine`'s store if given, else not checked).
    maxima: each indicator's maximum points (default: the configured rubric)."""
    path = Path(path)
    return _check(path, display_name or path.name, registry, engine, today, maxima)


def check_bytes(data: bytes, filename: str, registry: set[str] | None = None, engine=None,
                today: date | None = None) -> FileReport:
    """check_file for a workbook held in memory (an upload)."""
    return _check(bytes(data), filename, registry, engine, today, None)


def _check(source, filename, registry, engine, today, maxima) -> FileReport:
    report = FileReport(filename)
    if registry is None and engine is not None:
        registry = registry_in_store(engine)
    try:
        sheets = read_workbook(source, filename)
    except UnreadableWorkbook as err:
        report.add_file_problem(*err.args)
        return report
    return check_sheets(sheets, report, registry, today or county_today(), maxima or indicator_max())


def check_sheets(sheets, report: FileReport, registry: set[str] | None, today: date,
                 maxima: dict[str, float]) -> FileReport:
    chosen, conflicts = match_sheets(sheets)
    # The kind comes from the visible sheets; a hidden copy of the other kind's sheet does not count.
    visible = {k for k, sh in chosen.items() if sh.visible}
    kinds = visible if visible & {"registry", "school"} else set(chosen)
    if "registry" in kinds and "school" in kinds:
        registry, school = chosen["registry"].name, chosen["school"].name
        report.add_file_problem(
            f"同一文件中既有學校名冊「{registry}」又有學校概況「{school}」,無法判斷是學校工作簿還是教育局工作簿;"
            f"學校的工作簿請刪除「{registry}」表,教育局的工作簿請刪除「{school}」表",
            f"the file has both a school registry ('{registry}') and a school sheet ('{school}'); it cannot be both "
            f"a school's and the bureau's: in a school's workbook delete the '{registry}' sheet, in the bureau's "
            f"the '{school}' sheet",
        )
        return report
    if "registry" in kinds:
        report.kind = BUREAU_WORKBOOK
        specs = contract.BUREAU_SHEETS
    elif "school" in kinds:
        report.kind = SCHOOL_WORKBOOK
        specs = contract.SCHOOL_SHEETS
    else:
        names = "、".join(s.name for s in sheets) or "(無)"
        report.add_file_problem(
            f"這不是安全考評工作簿:找不到「學校概況」或「學校名冊」工作表(現有:{names})。請用系統提供的模板",
            f"not a safeschool workbook: no 學校概況 (school) or 學校名冊 (registry) sheet (found: {names}); "
            "use the template",
        )
        return report
    named_in_a_conflict = set()
    for key, names in conflicts:
        if key in {s.key for s in specs}:
            sh = contract.SHEETS[key]
            # 安全教育（上學期） beside 安全教育（下學期）: one table split in two, not two to choose from.
            report.add_file_problem(
                f"有多個工作表都是「{sh.zh}」:{'、'.join(names)};請把記錄都放在一個工作表「{sh.zh}」中"
                "(把其餘工作表的記錄移過去,再刪除或改名其餘工作表)",
                f"several sheets are '{sh.zh}' ({sh.en}): {', '.join(names)}; put all its records on one sheet "
                f"'{sh.zh}' (move the others' records there, then delete or rename the other sheets)",
                sheet=names[1], sheet_key=key,
            )
            named_in_a_conflict.update(names)
    # Keys another sheet of the workbook also stands for (安全經費統計表, a hidden copy): a blank chosen
    # sheet of such a key is not read as no records, the other one may hold them.
    rivalled = {sheet_key_of(sh.name) for sh in sheets if sh is not chosen.get(sheet_key_of(sh.name))}
    tables = {}
    for spec in specs:
        table = _table_or_problem(spec, chosen.get(spec.key), report, blank_is_empty=spec.key not in rivalled)
        if table is not None:
            tables[spec.key] = table
            report.problems.extend(privacy_problems(
                spec.key, table.sheet.name, table.header_idx + 1, table.header_cells, table.region,
                code_col=table.columns.get("school_code"), skip_cols=numeric_columns(spec.key, table.columns),
                contract_cols=set(table.columns.values()),
            ))
            report.problems.extend(paperwork_identity_problems(spec.key, table.sheet.name, table.sheet.grid,
                                                               table.region))
            # Nothing private of a line not read as a record goes into the report or the store.
            notes = [(r, masked_private(t), k) for r, t, k in table.notes]
            report.notes.extend({"sheet": table.sheet.name, "row": r, "text": t, "kind": k} for r, t, k in notes)
            report.problems.extend(unread_lines(spec, table.sheet.name, notes))
            report.rows_read += len(table.rows)
    spec_keys = {spec.key for spec in specs}
    # A sheet of the other kind of workbook (督查記錄 in a school's, 保安人員 in the bureau's) is not
    # read, but the file is kept as sent: it is looked into for private numbers like any other.
    used = {id(sh) for key, sh in chosen.items() if key in spec_keys}
    for sh in sheets:
        if id(sh) not in used and sh.grid:
            report.problems.extend(sheet_privacy_problems(sh.name, sh.grid, hidden=not sh.visible))
            key = sheet_key_of(sh.name)
            if (key in spec_keys and key in chosen and sh.name not in named_in_a_conflict
                    and _holds_records(contract.SHEETS[key], sh)):
                # a second sheet of one table: what it holds is not read, and said so
                report.problems.append(_second_sheet_note(sh, key, chosen[key].name, tables))
    if report.kind == SCHOOL_WORKBOOK:
        _check_school(report, tables, registry, today, maxima)
    else:
        _check_bureau(report, tables, today, maxima, registry)
    return report.masked()


def _second_sheet_note(sheet, key: str, read: str, tables: dict) -> Problem:
    """The note on a second sheet of one table, not read.  A second registry sheet listing schools the one
    read does not names them: an archive, or this year's schools split over two sheets."""
    unlisted = _schools_only_on(sheet, tables["registry"]) if key == "registry" and "registry" in tables else []
    if unlisted:
        shown = "、".join(unlisted[:10]) + ("…" if len(unlisted) > 10 else "")
        zh = (f"工作表「{sheet.name}」未讀入,其中有 {len(unlisted)} 所學校不在「{read}」中({shown});"
              f"如它們是今年的學校,請移到「{read}」:在此之前它們不在名冊中,其工作簿會被拒收")
        en = (f"sheet '{sheet.name}' was not read, and it lists {len(unlisted)} school(s) that '{read}' does not "
              f"({shown.replace('、', ', ')}); if they are this year's schools, move them to '{read}': until then "
              "they are not registered and their workbooks are refused")
    else:
        zh = (f"工作表「{sheet.name}」未讀入:「{contract.SHEETS[key].zh}」從工作表「{read}」讀取;"
              f"如「{sheet.name}」是往年的存檔,可不理會;如是今年的記錄,請移到「{read}」")
        en = (f"sheet '{sheet.name}' was not read: '{contract.SHEETS[key].zh}' is read from sheet '{read}'; if "
              f"'{sheet.name}' is an earlier year's archive, nothing to do; if it holds this year's records, move "
              f"them to '{read}'")
    return Problem("note", sheet.name, None, None, None, zh, en, sheet_key=key)


def _schools_only_on(sheet, registry_table) -> list[str]:
    """The school codes a second registry sheet lists that the registry read does not (found by an audit: a
    registry split over 學校名冊 and 學校名冊（二） lost the second sheet's schools with only "not read")."""
    other = locate_table(contract.SHEETS["registry"], sheet)
    return [] if other is None else sorted(_school_codes(other) - _school_codes(registry_table))


def _school_codes(table) -> set[str]:
    return {parse_code(row.cells["school_code"])[0] for row in table.rows
            if not is_empty(row.cells.get("school_code"))} - {None}


# Lines that are not read as records and could have been meant as one: shown to the school (level
# "note"), so nothing it wrote is dropped unseen.  Totals, signature and seal lines and 備註 are
# paperwork and stay quiet.
_SHOWN_NOTES = {
    "long": ("此行只有一段文字,作為備註處理,未作為記錄讀入;如是記錄,請把各項分列填寫",
             "this line holds only one text and was read as a note, not a record; if it is a record, "
             "put each value in its own column"),
    "nothing": ("此行只寫了沒有可填的內容,未作為記錄讀入;沒有記錄時保留表頭即可,此行可刪除",
                "this line only says there is nothing to record and was not read as a record; with nothing "
                "to record, keep just the header (the line may be deleted)"),
    "example": ("此行是表格中的示例行,未作為記錄讀入;填好自己的記錄後可刪除此行",
                "this is the form's example line and was not read as a record; delete it once your own "
                "records are in"),
    "extra": ("此行只在模板以外的列中有內容,未作為記錄讀入;如是記錄,請填在模板的各列中",
              "this line holds something only in columns outside the template's, which are not read, and was "
              "not read as a record; if it is a record, fill it in under the template's columns"),
    "above": ("此行在表頭之上,未作為記錄讀入;記錄請填在表頭下方",
              "this line is above the header and was not read as a record; records go under the header"),
    "subtitle": ("此行只寫了校區名稱,作為表中的小標題,未作為記錄讀入;其下各行的「校區」列請逐行填寫",
                 "this line names a campus alone, a heading inside the table, and was not read as a record; "
                 "fill the campus column on each row under it"),
}


PAPERWORK_LEVEL = "paperwork"  # rejected_rows' level for a line passed over as paperwork: no problem, counted as none
# What each kind of line passed over quietly is, as the school is told (the upload, the school page, --check).
PAPERWORK_KINDS = {"note": ("備註", "a note"), "signature": ("簽名", "a signature"), "totals": ("合計", "a totals line"),
                   "header": ("重複的表頭", "the header again")}


def paperwork_lines(report: FileReport) -> list[dict]:
    """The lines passed over as paperwork without a note to the school (a note, a signature, a totals line,
    the header printed again): {sheet, row, text, kind_zh, kind_en}.  Listed apart on the upload page, the
    school page (stored with level "paperwork") and by `sync --check`, so that a record the reader took for
    paperwork is never dropped unseen (an audit found a hazard numbered 說明2 taken for a note)."""
    lines = []
    for note in report.notes:
        if note["kind"] not in _SHOWN_NOTES:
            kind_zh, kind_en = PAPERWORK_KINDS.get(note["kind"], (note["kind"], note["kind"]))
            lines.append({"sheet": note["sheet"], "row": note["row"], "text": note["text"], "kind_zh": kind_zh,
                          "kind_en": kind_en})
    return lines


def unread_lines(spec: contract.Sheet, sheet_name: str, notes: list[tuple[int, str, str]]) -> list[Problem]:
    """Problems of level note for the lines shown to the school; `notes` are already masked (a contact
    phone on the signature line is not a column of phone numbers, so it refuses nothing)."""
    return [Problem("note", sheet_name, row, None, text[:200], *_SHOWN_NOTES[kind], sheet_key=spec.key)
            for row, text, kind in notes if kind in _SHOWN_NOTES]


def _holds_records(spec: contract.Sheet, sheet) -> bool:
    """A whole table of `spec` with rows (not a summary of two of its columns, not an empty copy)."""
    table = locate_table(spec, sheet)
    return bool(table and table.rows and all(c.key in table.columns for c in spec.columns if c.required))


# Sheets that say whose the source is (學校概況: the school; 學校名冊: the schools the bureau expects):
# blank, they leave nothing to read the rest by, and refuse the file as a sheet without its header does.
_NAMES_THE_SOURCE = {"school", "registry"}


def _wholly_blank(sheet) -> bool:
    # a zero-width space or a BOM left in a cleared cell is no text, as everywhere in the reader (an audit)
    return all(is_empty(without_invisible(cell)) for row in sheet.grid for cell in row)


def _empty_table(spec: contract.Sheet, sheet) -> Table:
    """The table of a blank sheet: the contract's header, no rows."""
    header = [c.zh for c in spec.columns]
    return Table(spec, sheet, 0, {c.key: i for i, c in enumerate(spec.columns)},
                 {c.key: (i + 1, c.zh) for i, c in enumerate(spec.columns)}, header, [], [], [])


def _table_or_problem(spec: contract.Sheet, sheet, report: FileReport, blank_is_empty: bool = False):
    if sheet is None:
        report.add_file_problem(
            f"缺少工作表「{spec.zh}」,請按模板補上(沒有記錄也要保留表頭)",
            f"the sheet '{spec.zh}' ({spec.en}) is missing; add it as in the template (keep the header even with no records)",
            sheet=spec.zh, sheet_key=spec.key,
        )
        return None
    table = locate_table(spec, sheet)
    if table is None and blank_is_empty and spec.key not in _NAMES_THE_SOURCE and _wholly_blank(sheet):
        # A sheet with no cell at all (a script's pd.DataFrame([]).to_excel, the header deleted with the
        # rows) holds no record to drop: read as none, as a header alone is, and said (found by an audit:
        # a school with no hazards all year was refused whole).
        report.problems.append(Problem(
            "note", sheet.name, None, None, None,
            f"工作表「{sheet.name}」是空的,讀作沒有記錄;請按模板在第一行保留表頭({'、'.join(c.zh for c in spec.columns)})",
            f"sheet '{sheet.name}' is blank and was read as holding no records; keep the template's header on "
            f"its first line ({', '.join(c.zh for c in spec.columns)})",
            sheet_key=spec.key))
        return _empty_table(spec, sheet)
    if table is None:
        report.add_file_problem(
            f"工作表「{sheet.name}」中找不到表頭行(應有:{'、'.join(c.zh for c in spec.columns)});請按模板在記錄上方"
            "寫一行表頭",
            f"no header row found on sheet '{sheet.name}' (expected: {', '.join(c.zh for c in spec.columns)}); "
            "put a header row above the records, as in the template",
            sheet=sheet.name, sheet_key=spec.key,
        )
        return None
    missing = [c for c in spec.columns if not c.may_be_absent and c.key not in table.columns]
    unread = _unread_headings(table) if missing else []
    for col in missing:
        alike = _alike(col, unread)
        if alike:  # 整改完成日期 where the contract says 完成日期: most likely that column, named otherwise
            report.add_file_problem(
                f"工作表「{sheet.name}」缺少「{col.zh}」列;如「{alike}」就是「{col.zh}」,請把表頭改為「{col.zh}」",
                f"sheet '{sheet.name}' has no '{col.zh}' ({col.label_en}) column; if '{alike}' is that column, "
                f"name it '{col.zh}'",
                sheet=sheet.name, column=col.zh, row=table.header_idx + 1, sheet_key=spec.key,
            )
            continue
        report.add_file_problem(
            f"工作表「{sheet.name}」缺少「{col.zh}」列,請按模板補上(該列沒有內容的記錄可留空)",
            f"sheet '{sheet.name}' has no '{col.zh}' ({col.label_en}) column; add it as in the template "
            "(its cells may stay empty where a record has nothing to say)",
            sheet=sheet.name, column=col.zh, row=table.header_idx + 1, sheet_key=spec.key,
        )
    unit = _amount_unit_problem(spec, table)
    if unit is not None:
        report.problems.append(unit)
    else:
        _mark_amounts_shown_in_another_unit(spec, table)
    duplicates = duplicate_columns(spec, table)
    for key, headers in duplicates:
        # One of the two may be a column the person cannot see: said, or "keep one" makes no sense to them.
        hidden = ", ".join(column_letter(i) for i, cell in enumerate(table.header_cells)
                           if i in table.sheet.hidden_columns and column_key_of(spec, cell) == key)
        unhide = (f"(工作表隱藏了 {hidden} 列,取消隱藏即可看到)" if hidden else "",
                  f" (the sheet hides column {hidden}: unhide it to see both)" if hidden else "")
        report.add_file_problem(
            f"「{spec.column(key).zh}」列出現了{len(headers)}次({'、'.join(headers)}),請只保留一列{unhide[0]}",
            f"the '{spec.column(key).label_en}' column appears {len(headers)} times ({', '.join(headers)}); keep "
            f"one{unhide[1]}",
            sheet=sheet.name, column=headers[1], row=table.header_idx + 1, sheet_key=spec.key,
        )
    if not missing and unit is None:
        report.problems.extend(_unread_columns(spec, table))
        if not duplicates:
            report.problems.extend(_hidden_column_notes(spec, table))
        report.problems.extend(_hidden_record_notes(spec, table))
    return None if missing or unit is not None else table


def _hidden_column_notes(spec: contract.Sheet, table) -> list[Problem]:
    """A note for each contract column read from a column the sheet hides: what the school sees is not
    what was read (last year's 參演人數 hidden beside this year's 實際參演人數)."""
    notes = []
    for key, (col_no, header) in table.headers.items():
        if col_no - 1 in table.sheet.hidden_columns:
            col = spec.column(key)
            notes.append(Problem(
                "note", table.sheet.name, table.header_idx + 1, header, None,
                f"「{header}」列是隱藏的,其中的數值已讀入;如這是不用的舊列,請刪除它,把數據填在顯示的「{col.zh}」列中",
                f"the column '{header}' is hidden, and its values were read: if it is an old column, delete it and "
                f"keep the values in a visible '{col.zh}' column",
                sheet_key=spec.key, column_key=key, col_no=col_no))
    return notes


def _hidden_record_notes(spec: contract.Sheet, table) -> list[Problem]:
    """A note when records were read from a sheet the workbook hides, or from rows it hides (by hand, in a
    collapsed group, filtered out): a hidden row is how people put an old record away, and it still
    counts (found by an audit: read and scored, nothing said, as for a hidden column)."""
    sheet, notes = table.sheet, []
    if not sheet.visible and table.rows:
        notes.append(Problem(
            "note", sheet.name, None, None, None,
            f"工作表「{sheet.name}」是隱藏的,其中的記錄已讀入;請取消隱藏核對,如是不用的舊表請刪除",
            f"the sheet '{sheet.name}' is hidden, and its records were read: unhide it to check them, or delete it "
            "if it is old", sheet_key=spec.key))
    rows = [r.row_no for r in table.rows if r.row_no - 1 in sheet.hidden_rows] if sheet.hidden_rows else []
    if rows:
        shown = _row_list(rows)
        notes.append(Problem(
            "note", sheet.name, rows[0], None, None,
            f"工作表「{sheet.name}」的第 {shown} 行是隱藏的,其中的記錄已讀入;如是不用的舊記錄,請刪除這些行",
            f"rows {shown.replace('、', ', ')} of sheet '{sheet.name}' are hidden, and their records were read: if "
            "they are old records, delete the rows", sheet_key=spec.key))
    record_columns = set(table.columns.values())
    rows = sorted({r + 1 for r, c in sheet.unshown if c in record_columns} & {row.row_no for row in table.rows})
    if rows:
        shown = _row_list(rows)
        notes.append(Problem(
            "note", sheet.name, rows[0], None, None,
            f"工作表「{sheet.name}」第 {shown} 行有單元格的格式不顯示其內容(如 ;;;),看似空白,其中的值已讀入;"
            "請把這些單元格的格式改為「常規」核對",
            f"rows {shown.replace('、', ', ')} of sheet '{sheet.name}' hold cells whose format shows nothing (such as "
            ";;;): they look empty, and their values were read; set the cells' format to General to check them",
            sheet_key=spec.key))
    return notes


def _row_list(rows: list[int], most: int = 20) -> str:
    """Row numbers as a note lists them: 5、7、9, the first `most` and an ellipsis."""
    return "、".join(map(str, rows[:most])) + ("…" if len(rows) > most else "")


# Headings of a printed form's own that stand for no contract column (a serial number, remarks).
_FORM_HEADINGS = {"序号", "no", "no.", "备注", "说明", "签名", "签字"}


def _unread_columns(spec: contract.Sheet, table) -> list[Problem]:
    """A note when the sheet leaves out a column it may leave out (指標, 考評得分) and heads a column of its
    own much like it (評分指標): that column is not read, so the bureau is told.  Columns unlike any
    missing one are the unknown extra columns the contract lets be."""
    absent = [c for c in spec.columns if c.may_be_absent and c.key not in table.columns]
    unread = _unread_headings(table) if absent else []
    notes = []
    for col in absent:
        alike = _alike(col, unread)
        if alike:
            notes.append(Problem(
                "note", table.sheet.name, table.header_idx + 1, alike[:100], None,
                f"列「{alike}」未讀入,本表也沒有「{col.zh}」列;如「{alike}」就是「{col.zh}」,請把表頭改為"
                f"「{col.zh}」,否則這些記錄的「{col.zh}」都是空的",
                f"column '{alike}' was not read, and this sheet has no '{col.zh}' ({col.label_en}) column; if "
                f"'{alike}' is '{col.zh}', name it so, or every record's '{col.zh}' stays empty",
                sheet_key=spec.key, column_key=col.key))
    return notes


def _unread_headings(table) -> list[str]:
    """The headings of the columns not read as any contract column (a form's 序號 and 備註 left out)."""
    read = set(table.columns.values())
    return [str(h).strip() for i, h in enumerate(table.header_cells)
            if i not in read and not is_empty(h) and canon(h) not in _FORM_HEADINGS]


def _alike(col: contract.Column, headings: list[str]) -> str | None:
    """The first heading sharing at least two characters with the column's name (整改完成日期, 完成日期)."""
    name = set(canon(col.zh))
    return next((h for h in headings if len(set(canon(h)) & name) >= 2), None)


_OTHER_UNITS = ("万", "千", "百")  # 金額（萬元）: every amount would be stored 10,000 times too small
# 「單位：萬元」, 「（單位：萬元）」 in a title, 「注：本表金額單位為萬元」 under the table, 「以萬元為單位」; not
# 本單位/各單位 (an organisation) nor 萬元以上 (a threshold): 「本單位萬元以上設備已登記」 says nothing of the amounts.
_UNIT_LINE = re.compile(r"(?<![本各该每我全下])单位(?:为|是)?:?(?:人民币)?(?:万|千|百)元(?!以上|以下|以内)"
                        r"|(?:万|千|百)元为单位|以(?:万|千|百)元计")


def _amount_unit_problem(spec: contract.Sheet, table) -> Problem | None:
    """A file problem when an amount column's header, a 「單位：萬元」 anywhere on the sheet (above the
    table, beside its header, in a note under it), or the amount cells' number format (0.00"萬元")
    names a unit other than yuan: read as yuan, every amount would be 10,000 times too small."""
    for col in spec.columns:
        if col.kind != contract.MONEY or col.key not in table.headers:
            continue
        col_no, header = table.headers[col.key]
        for r, cells in enumerate(table.sheet.grid):
            for cell in cells:
                if cell.__class__ is str and _UNIT_LINE.search(canon(cell[:200])):
                    where = ("表格上方", "the line above the table") if r < table.header_idx else (
                        ("表頭旁", "the header row") if r == table.header_idx else ("表格中", "the sheet"))
                    return Problem(
                        "file", table.sheet.name, r + 1, None, cell.strip()[:100],
                        f"{where[0]}寫明「{cell.strip()[:40]}」:金額請以元為單位填寫(不要用萬元或千元),並刪去這個單位說明",
                        f"{where[1]} says '{cell.strip()[:40]}': amounts are in yuan (元), not in ten "
                        "thousands or thousands; write them in yuan and remove that unit line",
                        sheet_key=spec.key, column_key=col.key, col_no=col_no,
                    )
        column = table.columns[col.key]
        # The amounts as a school formats them, not one odd line (a sum under them shown in 萬元 is that
        # line's own problem): more than half of the records' amounts.
        amounts = {row.row_no - 1 for row in table.rows if not is_empty(row.cells.get(col.key))}
        shown = sorted(r for r, c in table.sheet.unit_formatted if c == column and r in amounts)
        if shown and 2 * len(shown) > len(amounts):
            return Problem(
                "file", table.sheet.name, shown[0] + 1, header, None,
                f"「{header}」列的單元格格式顯示為萬元、千元、外幣或百分數:金額請以元為單位填寫,並把單元格格式改為「常規」或「數值」",
                f"the cells of '{header}' are formatted to show ten thousands or thousands of yuan, another "
                "currency or a percentage: write amounts in yuan and set the cells' format to General or Number",
                sheet_key=spec.key, column_key=col.key, col_no=col_no,
            )
        if any(u in canon(header).replace(canon(col.zh), "") for u in _OTHER_UNITS):
            return Problem(
                "file", table.sheet.name, table.header_idx + 1, header, header,
                f"「{header}」:金額請以元為單位填寫(不要用萬元或千元),並把表頭改為「{col.zh}」",
                f"'{header}': amounts are in yuan (元), not in ten thousands or thousands; write them in yuan "
                f"and name the column '{col.zh}'",
                sheet_key=spec.key, column_key=col.key, col_no=col_no,
            )
    return None


def _mark_amounts_shown_in_another_unit(spec: contract.Sheet, table) -> None:
    """Wraps each amount cell formatted to show 萬元 or 千元 (fewer than half of them: more refuses the
    file) so that its row is refused with the reason, not stored as 1.5 yuan where the sheet shows
    1.50萬元; and each count cell formatted to show a percentage or a unit (1 shown as 100% in 已簽訂人數
    was stored as 1 of 20 signed: found by an audit)."""
    for col in spec.columns:
        if col.kind not in (contract.MONEY, contract.INT) or col.key not in table.columns:
            continue
        column = table.columns[col.key]
        shown = {r for r, c in table.sheet.unit_formatted if c == column}
        for row in table.rows:
            value = row.cells.get(col.key)
            if row.row_no - 1 in shown and value.__class__ in (int, float):
                row.cells[col.key] = ShownInAnotherUnit(value)


def _school_code_of(report: FileReport, table) -> str | None:
    if table is None:
        return None
    rows = table.rows
    if not rows:
        report.add_file_problem(
            "「學校概況」沒有填寫學校信息;請在表頭下填寫本校一行(學校代碼、學校名稱、學校類別、所屬鄉鎮、寄宿制)",
            "the school sheet (學校概況) has no row; fill in the school's row under the header (school code, "
            "name, type, township, boarding)", sheet=table.sheet.name, sheet_key="school")
        return None
    if len(rows) > 1:
        report.add_file_problem(
            f"「學校概況」只能有一行,現有{len(rows)}行(第{', '.join(str(r.row_no) for r in rows)}行);"
            "請只保留本校的一行,刪除其餘各行",
            f"the school sheet (學校概況) must have one row; it has {len(rows)} (rows "
            f"{', '.join(str(r.row_no) for r in rows)}): keep your school's one row and delete the others",
            sheet=table.sheet.name, sheet_key="school",
        )
    raw = rows[0].cells.get("school_code")
    if is_empty(raw):
        report.add_file_problem(
            "「學校概況」沒有填寫學校代碼;請填寫教育局學校名冊中本校的代碼",
            "the school code is missing on the school sheet; fill in the school code the bureau's registry "
            "gives the school", sheet=table.sheet.name, row=rows[0].row_no, column="學校代碼", sheet_key="school")
        return None
    code, problem = parse_code(raw)
    if problem is not None:
        report.add_file_problem(*problem, sheet=table.sheet.name, row=rows[0].row_no, column="學校代碼",
                                value=code, sheet_key="school")
    return code


def _check_school(report, tables, registry, today, maxima):
    typed = _school_code_of(report, tables.get("school"))
    code = registered_code(typed, registry)
    report.school_code = code
    if code != typed and typed is not None:  # never silently (data-contract.md; found by an audit)
        report.problems.append(Problem(
            "note", tables["school"].sheet.name, tables["school"].rows[0].row_no, "學校代碼", typed,
            f"學校代碼「{typed}」按名冊的寫法讀作「{code}」(Excel 把前導零去掉了,或字母大小寫不同);"
            "請在工作簿中改正,以免誤認",
            f"school code '{typed}' was read as the registry writes it, '{code}' (Excel dropped its leading "
            "zeros, or the letters differ in case); correct it in the workbook",
            sheet_key="school", column_key="school_code"))
    if code is not None and registry is not None and not registry:
        # A county's first sync before the bureau workbook is in (or with it refused): no school is
        # to blame, and the next sync after the registry is loaded checks this workbook again.
        report.add_file_problem(
            "教育局的學校名冊尚未導入(收件夾中還沒有教育局工作簿,或它被拒收),無法核對學校代碼;本工作簿暫不導入,"
            "名冊導入後的下一次同步會自動重新檢查,學校無需操作",
            "the bureau's school registry is not loaded yet (no bureau workbook in the inbox, or it was refused), "
            "so the school code cannot be checked; this workbook waits, and the first sync after the registry "
            "is loaded checks it again: nothing for the school to do",
            sheet=tables["school"].sheet.name, column="學校代碼", value=code, sheet_key="school",
            row=tables["school"].rows[0].row_no,
        )
    elif code is not None and registry is not None and code not in registry:
        report.add_file_problem(
            f"學校代碼「{code}」不在教育局的學校名冊中,請核對代碼(或請教育局先登記本校)",
            f"school code '{code}' is not in the bureau's school registry; check the code "
            "(or ask the bureau to register the school)",
            sheet=tables["school"].sheet.name, column="學校代碼", value=code, sheet_key="school",
            row=tables["school"].rows[0].row_no,
        )
    ctx = Context(today=today, school_code=code, registry=None, indicator_max=maxima)
    if "campuses" in tables:
        ctx.campuses = {
            display(r.cells.get("campus")) for r in tables["campuses"].rows if not is_empty(r.cells.get("campus"))
        }
    for spec in contract.SCHOOL_SHEETS:
        if spec.key in tables:
            result = validate_rows(spec, tables[spec.key].rows, ctx, tables[spec.key].sheet.name,
                                   tables[spec.key].headers)
            if spec.key == "school" and code is None:  # the missing code is the file's problem, said once
                result.problems = [p for p in result.problems if p.column_key != "school_code"]
            _add(report, spec, tables[spec.key], result)
    if "guard_training" in tables and "guards" in tables:
        report.problems.extend(_training_of_nobody(report, tables["guard_training"]))
    if "education" in tables:
        report.problems.extend(_more_than_expected(report, tables["education"]))
    if "campuses" in tables and not ctx.campuses and report.rows.get("guards"):
        report.problems.append(_guards_of_no_listed_campus(tables["guards"]))
    if ctx.campuses:
        for key in ("drills", "guard_drills", "gate_duty"):
            if key in tables:
                report.problems.extend(_unlisted_campus(report, tables[key], ctx.campuses))
    if isinstance(registry, dict) and registry.get(code) and report.rows.get("school"):
        report.problems.extend(_registry_differs(registry[code], report.rows["school"][0], tables["school"]))
    if "campuses" in tables and report.rows.get("school"):
        report.problems.extend(_boarding_disagrees(report, tables["school"], tables["campuses"]))


def _registry_differs(entry: dict, school: dict, table) -> list[Problem]:
    """Notes where the school's 學校概況 and the bureau's registry disagree: the registry is what the
    evaluation uses (a 學校類別 decides C4 and the drill periods), and the school should know."""
    notes = []
    for key in _COMPARED:
        mine, theirs = school.get(key), entry.get(key)
        if mine and theirs and canon(mine) != canon(theirs):
            zh, en = _COMPARED_LABELS[key]
            notes.append(Problem(
                "note", table.sheet.name, school.get("row_no"), table.headers.get(key, (None, zh))[1], str(mine),
                f"{zh}「{mine}」與教育局學校名冊的「{theirs}」不同;考評按名冊的「{theirs}」計算,如名冊有誤請聯繫教育局",
                f"the {en} '{mine}' differs from the bureau's registry, which says '{theirs}'; the evaluation uses "
                f"the registry's '{theirs}': if the registry is wrong, tell the bureau",
                sheet_key="school", column_key=key, col_no=table.headers.get(key, (None,))[0]))
    return notes


def _boarding_disagrees(report: FileReport, school_table, campus_table) -> list[Problem]:
    """寄宿制 and the campuses' 寄宿生數 saying two things: E1 adds guards for the boarders a campus counts
    (4.5.1), whatever 寄宿制 says, so the school is told which figure counts and to make the two agree (an
    audit of E1: a day school with 300 boarders needed two guards more, unsaid).  Notes, not refusals; no
    figure of the rubric's (boarders_step, boarders_guards) is written into them, as the bureau may change it."""
    boarding = report.rows["school"][0].get("boarding")
    campuses = report.rows.get("campuses", [])
    with_boarders = [r for r in campuses if (r.get("boarders") or 0) > 0]
    if boarding is False and with_boarders:
        column = campus_table.headers.get("boarders", (None, "寄宿生數"))
        return [Problem("note", campus_table.sheet.name, r["row_no"], column[1], display(r["boarders"]),
                        f"學校概況的寄宿制是「否」，本校區卻有寄宿生{r['boarders']}人；應配保安人數按寄宿生數增加，"
                        "請核對寄宿制或寄宿生數",
                        f"the school is not a boarding school (寄宿制 否), yet this campus has {r['boarders']} "
                        "boarders; the guards a campus needs rise with the boarders counted: check "
                        "寄宿制 or the boarders",
                        sheet_key="campuses", column_key="boarders", col_no=column[0])
                for r in with_boarders]
    if boarding is True and campuses and not with_boarders:
        column = school_table.headers.get("boarding", (None, "寄宿制"))
        return [Problem("note", school_table.sheet.name, report.rows["school"][0]["row_no"], column[1], "是",
                        "寄宿制是「是」，但「校區」表中各校區的寄宿生數都沒有填或是0；應配保安人數按寄宿生數增加，"
                        "請在「校區」表填寫各校區的寄宿生數",
                        "the school is a boarding school (寄宿制 是), but no campus on the campuses sheet has "
                        "boarders; the guards a campus needs rise with the boarders counted: fill in "
                        "each campus's boarders",
                        sheet_key="school", column_key="boarding", col_no=column[0])]
    return []


def _training_of_nobody(report: FileReport, table) -> list[Problem]:
    """Training under a name on no 保安人員 row counts for no guard (E7): shown, as a misspelt campus is.
    A name is matched as the scoring matches it (張　強 and 张强 are the guard 張強).  Not when the
    workbook lists no guard at all: its guards then come from the shared database, or are missing,
    which E1 says."""
    guards = {str(r.get("name") or "").strip() for r in report.rows.get("guards", [])}
    guards |= {str(r.get("name") or "").strip() for r in report.rejected if r["sheet_key"] == "guards"}
    guards.discard("")
    if not guards:
        return []
    read = {canon(g) for g in guards}
    listed = "、".join(sorted(guards))
    return [
        Problem("note", table.sheet.name, r["row_no"], table.headers.get("name", (None, "姓名"))[1], r["name"],
                f"「{r['name']}」不在「保安人員」表中,這次培訓不計入任何保安;保安姓名為:{listed};"
                "如姓名寫法不同請改成一致,如是新保安請補入「保安人員」表",
                f"'{r['name']}' is on no row of the guards sheet, so this training counts for no guard; the "
                f"guards are: {listed.replace('、', ', ')}; spell the name as there, or add a new guard to that "
                "sheet",
                sheet_key="guard_training", column_key="name", col_no=table.headers.get("name", (None,))[0])
        for r in report.rows.get("guard_training", []) if canon(str(r.get("name") or "").strip()) not in read
    ]


def _more_than_expected(report: FileReport, table) -> list[Problem]:
    """More attended than were expected (400 of 40) is kept, a visitor or two may come, but said: a
    slip of a zero, or the two columns swapped, turns 40 of 400 staff into everyone (C6; an audit)."""
    column = table.headers.get("attendees", (None, "參加人數"))
    return [
        Problem("note", table.sheet.name, r["row_no"], column[1], display(r["attendees"]),
                f"參加人數{r['attendees']}多於應參加人數{r['expected']};如有誤請改正(出席率按不超過100%計)",
                f"{r['attendees']} attended where {r['expected']} were expected; correct it if it is a slip "
                "(attendance counts at most 100%)",
                sheet_key="education", column_key="attendees", col_no=column[0])
        for r in report.rows.get("education", [])
        if r.get("attendees") is not None and r.get("expected") and r["attendees"] > r["expected"]
    ]


def _guards_of_no_listed_campus(table) -> Problem:
    """Guards beside a 校區 sheet left at its header: E1 counts guards by campus, so a campus listed nowhere
    counts them nowhere (a contract audit: the school was told nothing).  Said once, not a refusal: where the
    bureau's database gives the campuses, the school leaves the sheet so (refusing its guards took a school
    from 60.1 合格 to 53.1 不合格; the audit of that change)."""
    return Problem("note", table.sheet.name, None, "校區", None,
                   "「校區」表中還沒有任何校區:E1-E3 按校區計算保安人數,請先填寫學校的校區(如校區由教育局的數據庫提供,"
                   "可不理會)",
                   "the campuses sheet lists no campus yet: E1-E3 count guards by campus, so fill in the school's "
                   "campuses (if the bureau's database gives them, nothing to do)",
                   sheet_key="guards")


def _unlisted_campus(report: FileReport, table, campuses: set[str]) -> list[Problem]:
    """A drill or gate duty at a campus the 校區 sheet does not list still counts for the school (they
    are counted per school), but the name is said, as a guard's is refused: a typo or a campus missing
    from the 校區 sheet, where E1 counts guards (an audit)."""
    read = {canon(c) for c in campuses}
    listed = "、".join(sorted(campuses))
    column = table.headers.get("campus", (None, "校區"))
    return [
        Problem("note", table.sheet.name, r["row_no"], column[1], r["campus"],
                f"校區「{r['campus']}」不在「校區」表中(已有:{listed});本行仍計入學校,如校區名稱有誤請改正,"
                "如是新校區請補入「校區」表",
                f"campus '{r['campus']}' is not listed on the campuses sheet (listed: {listed.replace('、', ', ')}); "
                "this row still counts for the school: correct the name, or add the campus to the campuses sheet",
                sheet_key=table.spec.key, column_key="campus", col_no=column[0])
        for r in report.rows.get(table.spec.key, [])
        if r.get("campus") and canon(str(r["campus"])) not in read
    ]


def _check_bureau(report, tables, today, maxima, elsewhere=None):
    """elsewhere: codes registered by other sources (a mapped registry query): the inspections are
    checked against the registry of every source, as scoring reads it."""
    ctx = Context(today=today, school_code=None, registry=None, indicator_max=maxima)
    if "registry" in tables:
        t = tables["registry"]
        if not t.rows and not elsewhere:
            # Loaded, an empty list would unregister every school: each workbook refused in the same run.
            report.add_file_problem(
                f"工作表「{t.sheet.name}」中沒有任何學校;學校名冊是全縣每所學校的檢查和考評依據,請填好後再放入收件夾",
                f"sheet '{t.sheet.name}' lists no school; every school is checked and scored against the "
                "registry: fill it in before putting the workbook in the inbox",
                sheet=t.sheet.name, sheet_key="registry")
            return
        _add(report, t.spec, t, validate_rows(t.spec, t.rows, ctx, t.sheet.name, t.headers))
        ctx.registry = {r["school_code"] for r in report.rows.get("registry", [])} | {
            r["school_code"] for r in report.rejected if r["sheet_key"] == "registry" and r["school_code"]} | set(
            elsewhere or ())
        ctx.school_types = {r["school_code"]: r["type"] for r in report.rows.get("registry", []) if r.get("type")}
    if "inspections" in tables:
        t = tables["inspections"]
        _add(report, t.spec, t, validate_rows(t.spec, t.rows, ctx, t.sheet.name, t.headers))
        report.problems.extend(_same_day_assessments(t.sheet.name, report.rows["inspections"]))


def _same_day_assessments(sheet_name: str, findings: list[dict]) -> list[Problem]:
    """Notes for two assessments of one school's indicator on one day with different points: the latest
    finding wins (rules.md), a day cannot tell which is later, so the lower row does; said, not silently
    (found by an audit)."""
    earlier: dict[tuple, tuple[int, float]] = {}
    notes = []
    for f in findings:
        if not f.get("indicator") or f.get("assessed_points") is None:
            continue
        key = (f["school_code"], f["date"], f["indicator"])
        if key in earlier and earlier[key][1] != f["assessed_points"]:
            row, points = earlier[key]
            notes.append(Problem(
                "note", sheet_name, f["row_no"], "考評得分", display(f["assessed_points"]),
                f"同一天對同一學校的指標{f['indicator']}有兩個考評得分(第{row}行{points:g}分、本行"
                f"{f['assessed_points']:g}分):按本行計;如應以第{row}行為準,請刪除本行或改正日期",
                f"two assessments of indicator {f['indicator']} for this school on one day (row {row}: {points:g}, "
                f"this row: {f['assessed_points']:g}): this row counts; if row {row} is right, delete this row or "
                "correct its date", sheet_key="inspections", column_key="assessed_points"))
        earlier[key] = (f["row_no"], f["assessed_points"])
    return notes


def _add(report: FileReport, spec, table, result: SheetResult) -> None:
    report.rows[spec.key] = result.accepted
    report.rejected.extend(result.rejected)
    report.problems.extend(result.problems)


# ---------------------------------------------------------------- the annotated workbook

BAD_FILL = "FFC7CE"
ANNOTATE_MAX_BYTES = 40_000_000  # unpacked; a school's workbook is well under 1 MB, 100,000 rows about 20 MB


_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_NAME_ILLEGAL = re.compile(r"[\\/?*\[\]:\x00-\x1f]")
_LAST_ROW, _LAST_COLUMN = 1_048_576, 16_384  # what an .xlsx can hold


def _put(ws, row: int, col: int, value) -> None:
    """Write a value as data: text that starts like a formula stays text (no formula injection); a
    control character (a NUL from an old .xls), which .xlsx cannot hold, is shown as "?"; a cell
    beyond what an .xlsx holds is left out (it is in the problem list)."""
    if row > _LAST_ROW or col > _LAST_COLUMN:
        return
    if isinstance(value, str):
        value = _XML_ILLEGAL.sub("?", value)
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        cell.data_type = "s"


def _sheet_title(name: str, taken: list[str]) -> str:
    """A sheet name an .xlsx accepts (no / ? * [ ] :, at most 31 characters), unique in the book."""
    base = _SHEET_NAME_ILLEGAL.sub("_", str(name)).strip("'")[:31] or "Sheet"
    title, n = base, 1
    while title.lower() in (t.lower() for t in taken):
        n += 1
        title = f"{base[:31 - len(str(n)) - 1]}_{n}"
    return title


# A comment is a drawing to openpyxl: 99,000 of them took 104 s and a web worker with it.  The first
# ones are what a school fixes first; the list holds many more, and the dashboard says so.
MARKED_PROBLEMS = 2_000
LISTED_PROBLEMS = 20_000


def annotate_workbook(path_or_bytes, report: FileReport) -> bytes:
    """The school's own workbook (.xlsx) with each bad cell filled red and a comment giving the reason.

    .xls and .ods are copied cell by cell into a new .xlsx first (openpyxl writes .xlsx only).
    A first sheet 「問題 Problems」 lists every problem, file-level ones included (the first
    LISTED_PROBLEMS; the first MARKED_PROBLEMS are marked in their sheets)."""
    data = Path(path_or_bytes).read_bytes() if not isinstance(path_or_bytes, (bytes, bytearray)) else bytes(path_or_bytes)
    book, titles = _as_xlsx_book(data)
    _mark_problems(book, titles, report.problems[:MARKED_PROBLEMS])
    _list_problems(book, report.problems)
    book.active = 0
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _as_xlsx_book(data: bytes):
    """The workbook as openpyxl holds it, and each sheet's name in it where it was rebuilt (an .xls or
    .ods copied cell by cell from what calamine reads, a name Excel refuses made one it takes)."""
    from openpyxl import Workbook, load_workbook

    from sync.formats import Package

    package = Package.of(data)
    if max(len(data), package.unpacked_size() if package else 0) > ANNOTATE_MAX_BYTES:
        # openpyxl holds every cell as an object: a file that unpacks this large would take a web
        # worker's memory (the check itself reads it with calamine, which does not).
        raise UnreadableWorkbook("文件太大,無法標註;請按問題列表逐項修改", "the file is too large to annotate; "
                                 "fix the problems from the list")
    try:
        return load_workbook(io.BytesIO(data)), {}
    except Exception:  # not an .xlsx: rebuild it from what calamine reads
        pass
    book = Workbook()
    book.remove(book.active)
    titles: dict[str, str] = {}  # the sheet's own name -> its name in the rebuilt .xlsx
    try:
        for sheet in read_workbook(data):
            titles[sheet.name] = _sheet_title(sheet.name, list(titles.values()))
            ws = book.create_sheet(titles[sheet.name])
            for r, row in enumerate(sheet.grid, start=1):
                for c, value in enumerate(row, start=1):
                    if not is_empty(value):
                        _put(ws, r, c, value)
            _merge_again(ws, sheet.merged, len(sheet.grid), max(map(len, sheet.grid), default=0))
            if not sheet.visible:
                ws.sheet_state = "hidden"
    except UnreadableWorkbook:
        pass
    return book, titles


def _mark_problems(book, titles: dict[str, str], problems: list[Problem]) -> None:
    """Each problem's cell filled red, with the reasons as its comment (a privacy refusal's value masked)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    bad = PatternFill("solid", fgColor=BAD_FILL)
    for p in problems:
        sheet_name = titles.get(p.sheet, p.sheet)
        if sheet_name not in book.sheetnames or not p.row or p.row > _LAST_ROW or (p.col_no or 1) > _LAST_COLUMN:
            continue
        cell = _owning_cell(book[sheet_name], p.row, p.col_no or 1)
        masked = masked_cell(cell.value) if isinstance(cell.value, (str, int, float)) else cell.value
        if masked != cell.value:
            # The copy is kept on the server for the school to download: an identity or phone number
            # refused for privacy is not kept in it.  Written as text: openpyxl would make text that
            # starts with "=" a live formula, in a copy the bureau downloads too (found by an audit).
            cell.value = masked
            cell.data_type = "s" if isinstance(masked, str) else cell.data_type
        cell.fill = bad
        text = f"{p.reason_zh}\n{p.reason_en}"
        if cell.comment is not None:
            text = cell.comment.text + "\n\n" + text
        cell.comment = Comment(text, "safeschool", width=320, height=140)


def _list_problems(book, problems: list[Problem]) -> None:
    """The first sheet, 「問題 Problems」: every problem (the first LISTED_PROBLEMS), one a line."""
    listing = book.create_sheet(_sheet_title("問題 Problems", book.sheetnames), 0)
    listing.append(["級別 level", "工作表 sheet", "行 row", "列 column", "值 value", "原因", "reason"])
    levels = {"file": "整個文件 file", "note": "提示 note"}
    for r, p in enumerate(problems[:LISTED_PROBLEMS], start=2):
        values = (levels.get(p.level, "行 row"), p.sheet, p.row, p.column, p.value, p.reason_zh, p.reason_en)
        for c, value in enumerate(values, start=1):
            _put(listing, r, c, value)
    if len(problems) > min(LISTED_PROBLEMS, MARKED_PROBLEMS):
        listing.append(["", "", "", "", "",
                        f"問題太多:本表列出前 {min(len(problems), LISTED_PROBLEMS):,} 個、工作表中標出前 "
                        f"{MARKED_PROBLEMS:,} 個,共 {len(problems):,} 個;請先改正這些再上傳",
                        f"too many problems: this list holds the first {min(len(problems), LISTED_PROBLEMS):,}"
                        f" and the sheets mark the first {MARKED_PROBLEMS:,} of {len(problems):,}; fix "
                        "these and upload again"])
    if not problems:
        listing.append(["", "", "", "", "", "沒有發現問題", "no problems found"])
    for letter, width in zip("ABCDEFG", (12, 14, 6, 14, 18, 50, 60), strict=True):
        listing.column_dimensions[letter].width = width


def _merge_again(ws, merged, height: int, width: int) -> None:
    """The rebuilt copy of an .xls or .ods merges what the school merged: the grid it is written from
    holds a merged value in each row (2,000 yuan merged over two purchases read 2,000 on both rows),
    and a copy uploaded back unchanged counted it twice (found by an audit).  Within the grid read
    (height x width): a merge reaching past the last value read is not laid out cell by cell (the
    reader refuses a sheet laid out far beyond any table, so this only trims)."""
    for (top, left), (bottom, right) in merged:
        bottom, right = min(bottom, height - 1), min(right, width - 1)
        if bottom <= top and right <= left:
            continue
        for r in range(top + 2, bottom + 2):
            for c in range(left + 1, right + 2):
                ws.cell(row=r, column=c).value = None
        ws.merge_cells(start_row=top + 1, start_column=left + 1, end_row=bottom + 1, end_column=right + 1)


def _owning_cell(ws, row: int, col: int):
    """The cell that holds (row, col): itself, or the top-left cell of the merged range it lies in (a
    merged cell takes no comment: openpyxl refused, and the whole annotated copy was lost)."""
    from openpyxl.cell.cell import MergedCell

    cell = ws.cell(row=row, column=col)
    if not isinstance(cell, MergedCell):
        return cell
    for span in ws.merged_cells.ranges:
        if span.min_row <= row <= span.max_row and span.min_col <= col <= span.max_col:
            return ws.cell(row=span.min_row, column=span.min_col)
    return cell


def peek(source) -> tuple[str | None, str | None]:
    """(kind, school code) of a workbook from its sheet names and its 學校概況 sheet only.

    About a tenth of a full read: the sync uses it to find two files of one school, and the bureau
    workbook, before reading anything in full.  (None, None) when the file is not readable."""
    from sync.formats import measure_before_opening, open_book, reader_panicked
    from sync.reader import RawSheet, is_chart

    try:
        # an .xls or .ods laid out too far would abort calamine as it opens
        package = measure_before_opening(source)
        book = open_book(source)
        # The sheets check_sheets would choose (match_sheets): a second 「學校概況表」 naming another
        # school must not make the sync file this workbook under that school.
        sheets = [RawSheet(m.name, str(m.visible).endswith(".Visible"), []) for m in book.sheets_metadata
                  if not is_chart(m)]
        chosen, conflicts = match_sheets(sheets)
        visible = {k for k, sh in chosen.items() if sh.visible}
        keys = visible if visible & {"registry", "school"} else set(chosen)
        if "registry" in keys and "school" not in keys:
            return BUREAU_WORKBOOK, None
        if "school" not in keys or "registry" in keys:
            return None, None
        if any(key == "school" for key, _names in conflicts):
            return SCHOOL_WORKBOOK, None  # refused by the check for its two school sheets
        name = chosen["school"].name
        measure_before_opening(source, name, package)
        grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except BaseException as err:  # unreadable or too large: the full check says why
        if not isinstance(err, Exception) and not reader_panicked(err):
            raise
        return None, None
    table = locate_table(contract.SHEETS["school"], RawSheet(name, True, grid))
    if table is None or not table.rows or is_empty(table.rows[0].cells.get("school_code")):
        return SCHOOL_WORKBOOK, None
    return SCHOOL_WORKBOOK, parse_code(table.rows[0].cells["school_code"])[0]
