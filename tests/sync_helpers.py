"""Small workbooks for the sync tests, written by real writers (openpyxl, xlwt, odfpy through pandas).

A book is a dict: sheet name -> list of rows (the first row is the header).
`school_book` and `bureau_book` give a valid book to start from; a test
changes what it is about and writes it in the format it tests.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sync import contract

Book = dict[str, list[list]]


def _headers(key: str) -> list[str]:
    return [c.zh for c in contract.SHEETS[key].columns]


def school_book(code: str = "1001", name: str = "城關小學", campus: str = "本部") -> Book:
    book: Book = {contract.SHEETS[s.key].zh: [_headers(s.key)] for s in contract.SCHOOL_SHEETS}
    book["學校概況"].append([code, name, "小學", "城關鎮", "否"])
    book["校區"].append([campus, 600, 50, 0, "是", "是"])
    book["基礎工作"] += [[item, "是", "文號1", date(2026, 2, 1)] for item in contract.CHECKLIST_ITEMS]
    book["責任書"].append([2026, 50, 48])
    book["安全辦人員"] += [["張主任", "主任", date(2024, 9, 1), None], ["李幹事", "工作人員", date(2025, 3, 1), None]]
    book["應急演練"] += [
        [date(2026, 3, 10), campus, "消防疏散", "是", "良好", 12, 12, 600],
        [date(2026, 4, 14), campus, "地震避險", "是", "良好", 12, 11, 590],
    ]
    book["安全教育"] += [[date(2026, 3, 2), "安全教育課", "防溺水", "是", 600, 600]]
    book["保安人員"] += [
        ["王保安", campus, date(1975, 5, 1), "平安保安公司", date(2024, 1, 1), None] + ["是"] * 7,
        ["趙保安", campus, date(1980, 6, 1), "平安保安公司", date(2024, 1, 1), None] + ["是"] * 7,
    ]
    book["保安培訓"] += [["王保安", date(2026, 3, 1), date(2026, 3, 3), "是", "技能"]]
    book["保安演練"] += [[date(2026, 3, 5), campus, "防暴演練"]]
    book["護學崗"] += [[date(2026, 3, 6), campus, "早", "是"]]
    book["隱患整改"] += [["H1", date(2026, 3, 1), "圍墻破損", "設施", "張主任", date(2026, 4, 1), date(2026, 3, 20)]]
    book["安全經費"] += [[date(2026, 3, 1), "隱患整治", 1200.5]]
    return book


def bureau_book(codes=("1001", "1002")) -> Book:
    return {
        "學校名冊": [_headers("registry")] + [[c, f"學校{c}", "小學", "城關鎮"] for c in codes],
        "督查記錄": [_headers("inspections"), [date(2026, 5, 1), codes[0], "定期", "消防通道堵塞", 1, "否", "否", None, None]],
    }


def write_xlsx(path: Path, book: Book, *, title: str | None = None, hidden: dict[str, list[list]] | None = None,
               merge_title: bool = True) -> Path:
    """An .xlsx by openpyxl; `title` puts a (merged) title row above every header."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in book.items():
        ws = wb.create_sheet(name)
        if title:
            ws.append([title])
            if merge_title:
                ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(rows[0]), 2))
        for row in rows:
            ws.append(row)
    for name, rows in (hidden or {}).items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        ws.sheet_state = "hidden"
    wb.save(path)
    return path


def with_last_years_count_hidden(path: Path) -> Path:
    """A school's .xlsx whose 應急演練 keeps last year's 參演人數 hidden beside this year's 參演人數(實到)
    (openpyxl), as an office does; more formatting can be added to the workbook it returns open."""
    from openpyxl import load_workbook

    book = school_book()
    drills = book["應急演練"]
    drills[0] = drills[0] + ["參演人數(實到)"]
    for row in drills[1:]:
        row.append(row[7] - 10)
    write_xlsx(path, book)
    wb = load_workbook(path)
    wb["應急演練"].column_dimensions["H"].hidden = True
    wb.save(path)
    return path


class ErrorCell(str):
    """A cell holding an Excel error (#DIV/0!, #N/A ...), as a failed formula leaves it (write_xls)."""


def write_xls(path: Path, book: Book, *, hidden: dict[str, list[list]] | None = None,
              title: str | None = None) -> Path:
    """An .xls (BIFF8) by xlwt, real dates with a date format; `title` is merged above every header."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for name, rows in list(book.items()) + list((hidden or {}).items()):
        ws = wb.add_sheet(name)
        if name in (hidden or {}):
            ws.visibility = 1
        elif title:
            ws.write_merge(0, 0, 0, max(len(rows[0]) - 1, 1), title)
            rows = [[]] + rows  # the header goes below the merged title
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, date):
                    ws.write(r, c, value, date_style)
                elif isinstance(value, ErrorCell):
                    ws.row(r).set_cell_error(c, str(value))  # what Excel saves for a formula that failed
                else:
                    ws.write(r, c, value)
    wb.save(str(path))
    return path


def write_ods(path: Path, book: Book) -> Path:
    """An .ods by odfpy (pandas' odf engine), every row as given (title and blank rows included)."""
    import pandas as pd

    with pd.ExcelWriter(path, engine="odf") as writer:
        for name, rows in book.items():
            width = max(len(r) for r in rows)
            frame = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows], dtype=object)
            frame.to_excel(writer, sheet_name=name, index=False, header=False)
    return path


WRITERS = {"xlsx": write_xlsx, "xls": write_xls, "ods": write_ods}


def write(fmt: str, path_stem: Path, book: Book) -> Path:
    path = path_stem.with_suffix("." + fmt)
    WRITERS[fmt](path, book)
    return path


# A cell merged down: (sheet, 0-based column, first row, last row), rows counted in the book (0 = header).
MergeDown = tuple[str, int, int, int]


def write_merged(fmt: str, path_stem: Path, book: Book, merges: list[MergeDown]) -> Path:
    """The book with cells merged down over rows, as an office keeps one 責任人 for several hazards:
    the value stays in the top cell, the cells under it are covered (empty), in each format's own way."""
    path = path_stem.with_suffix("." + fmt)
    covered = {(s, c, r) for s, c, top, bottom in merges for r in range(top + 1, bottom + 1)}
    plain = {name: [[None if (name, c, r) in covered else v for c, v in enumerate(row)] for r, row in enumerate(rows)]
             for name, rows in book.items()}
    if fmt == "xlsx":
        from openpyxl import load_workbook

        write_xlsx(path, plain)
        wb = load_workbook(path)
        for sheet, col, top, bottom in merges:
            wb[sheet].merge_cells(start_row=top + 1, start_column=col + 1, end_row=bottom + 1, end_column=col + 1)
        wb.save(path)
    elif fmt == "xls":
        import xlwt

        wb = xlwt.Workbook(encoding="utf-8")
        date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
        bottoms = {(s, c, top): bottom for s, c, top, bottom in merges}
        for name, rows in plain.items():
            ws = wb.add_sheet(name)
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    if value is None:
                        continue
                    style = date_style if isinstance(value, date) else xlwt.Style.default_style
                    bottom = bottoms.get((name, c, r))
                    if bottom is not None:
                        ws.write_merge(r, bottom, c, c, value, style)
                    else:
                        ws.write(r, c, value, style)
        wb.save(str(path))
    else:
        _write_ods_merged(path, plain, merges)
    return path


def _write_ods_merged(path: Path, book: Book, merges: list[MergeDown]) -> None:
    """An .ods by odfpy itself (pandas' writer merges nothing): numbers, dates and text as LibreOffice
    writes them, covered cells under each merge."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    spans = {(s, c, top): bottom - top + 1 for s, c, top, bottom in merges}
    covered = {(s, c, r) for s, c, top, bottom in merges for r in range(top + 1, bottom + 1)}
    doc = OpenDocumentSpreadsheet()
    for name, rows in book.items():
        table = Table(name=name)
        for r, row in enumerate(rows):
            tr = TableRow()
            for c, value in enumerate(row):
                if (name, c, r) in covered:
                    tr.addElement(CoveredTableCell())
                    continue
                extra = {"numberrowsspanned": spans[(name, c, r)]} if (name, c, r) in spans else {}
                if value is None:
                    cell = TableCell(**extra)
                elif isinstance(value, date):
                    cell = TableCell(valuetype="date", datevalue=value.isoformat(), **extra)
                    cell.addElement(P(text=value.isoformat()))
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    cell = TableCell(valuetype="float", value=value, **extra)
                    cell.addElement(P(text=str(value)))
                else:
                    cell = TableCell(valuetype="string", **extra)
                    cell.addElement(P(text=str(value)))
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))
