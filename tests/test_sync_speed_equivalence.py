"""The sync's quick paths type every cell exactly as the full parser does.

`cells.cell_parser(column)` answers the clean, common cells of a column (a real date, a whole number,
plain text, the same 是 again) without the full parser, and remembers the outcome of each text it has
seen.  Whatever a cell is, the answer must be parse_cell's: same value, same problem."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import contract
from sync.cells import (
    MAX_AMOUNT,
    MAX_COUNT,
    ExcelError,
    FormulaWithoutValue,
    cell_parser,
    display,
    is_empty,
    parse_cell,
)

COLUMNS = [col for sheet in contract.SHEETS.values() for col in sheet.columns]

AWKWARD = [
    "", " ", "\u3000", None, 0, 0.0, -0.0, 1, 1.0, -1, -1.0, -3.0, -1.5, -0.01, 0.125, 12.5, 12.345, 3.0, 2026, 2026.0,
    MAX_COUNT - 1, MAX_COUNT, float(MAX_COUNT), MAX_AMOUNT - 0.01, float(MAX_AMOUNT), 1e300,
    math.nan, math.inf, -math.inf, True, False,
    "是", "否", " 是 ", "Y", "n", "✓", "1", "0", "1.0", "true", "有",
    "12", "１２", "1,200", "1 200", "12 34", "-3", "¥1,200.50", "1200元", "12.0", "12.5",
    "2026-03-05", "2026年3月5日", "2026/2/30", "2026-03-05 08:30", "3/5", "E1", "Err:502", "#N/A", " #N/A",
    "#DIV/0!", "Err:", "#hashtag", "Early", "=A1+1", "a\x00b", "tab\tin", "\u200b主校區", "主校區", "0123", "'0123",
    date(2026, 3, 5), datetime(2026, 3, 5), datetime(2026, 3, 5, 8, 30), date(1899, 12, 31), date(2099, 1, 1),
    time(8, 30), timedelta(hours=1),
    ExcelError("#N/A"), ExcelError("#DIV/0!"), FormulaWithoutValue("=SUM(A1:A3)"),
]


def _same(a, b) -> bool:
    """Equal outcomes; NaN never comes back as a value, so plain equality is enough for values."""
    return type(a[0]) is type(b[0]) and a == b


@pytest.mark.parametrize("column", COLUMNS, ids=lambda c: c.key)
def test_quick_parser_answers_as_the_full_parser_for_awkward_cells(column):
    parse = cell_parser(column)
    for value in AWKWARD:
        for _twice in range(2):  # the second time a text may come from what the parser remembered
            assert _same(parse(value), parse_cell(column, value)), (column.key, value)


_cells = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-100, 100).map(float), st.integers(-100_000, 100_000).map(lambda n: n / 100),
    st.text(max_size=12), st.dates(), st.datetimes(),
    st.sampled_from(["是", "否", "#N/A", "Err:502", " 12 ", "1,200", "2026年3月5日"]),
)


@settings(max_examples=300, deadline=None)
@given(value=_cells, column=st.sampled_from(COLUMNS))
def test_quick_parser_answers_as_the_full_parser_for_any_cell(value, column):
    assert _same(cell_parser(column)(value), parse_cell(column, value))


def test_a_remembered_text_is_not_mistaken_for_the_formula_error_that_looks_the_same():
    # ExcelError("#N/A") == "#N/A" and hashes alike: what was remembered for one must not answer the other.
    column = contract.SHEETS["drills"].column("classes")
    parse = cell_parser(column)
    as_text = parse("=A1")
    as_formula = parse(FormulaWithoutValue("=A1"))
    assert as_text == parse_cell(column, "=A1")
    assert as_formula == parse_cell(column, FormulaWithoutValue("=A1"))
    assert as_text != as_formula


# ---------------------------------------------------------------- the privacy scan's gathering and the picked cells

def _looked_into_as_written(rows, skip, numeric):
    """The privacy scan's text, gathered the plain way (a cell at a time), for comparison."""
    texts = []
    for _n, cells in rows:
        for i, c in enumerate(cells):
            if i in skip:
                continue
            if c.__class__ is str:
                texts.append(c)
            elif c.__class__ in (int, float) and c >= 1e6 and i not in numeric:
                texts.append(display(c))
    return "\n".join(texts)


PRIVATE_LOOKING = ["13800138000", "0371-12345678", "110101199003071234", "110101900307123", 13800138000.0,
                   13800138000, 1e6, 999_999.0, True, "138 0013 8000", "張三", "", None, date(2026, 3, 5), 1.5,
                   "１３８００１３８０００", "0086 138 0013 8000", "（0755）1234 5678"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PRIVATE_LOOKING), min_size=0, max_size=6), min_size=1, max_size=6),
       st.one_of(st.none(), st.integers(min_value=0, max_value=6)),
       st.sets(st.integers(min_value=0, max_value=6), max_size=3))
def test_the_privacy_scan_sees_the_same_cells_as_a_cell_by_cell_scan(grid, code_col, numeric):
    """The school-code column is never looked into; numeric columns only for their text."""
    from sync.validate import _looked_into, _private_kind, privacy_problems

    rows = [(n + 2, cells) for n, cells in enumerate(grid)]
    skip = {code_col} - {None}
    fast = _looked_into(rows, skip, numeric - skip)
    plain = _looked_into_as_written(rows, skip, numeric)
    # The same lines (in another order: lines are matched one by one, so order cannot matter).
    assert sorted(t for t in fast.split("\n") if t) == sorted(t for t in plain.split("\n") if t)
    assert (_private_kind(fast) is None) == (_private_kind(plain) is None)
    found = privacy_problems("guards", "保安人員", 1, ["姓名"] * 7, rows, code_col=code_col, skip_cols=numeric)
    expected = [(n, i + 1) for n, cells in rows for i, c in enumerate(cells)
                if i not in skip and not is_empty(c) and (i not in numeric or c.__class__ is str)
                and _private_kind(display(c))]
    assert [(p.row, p.col_no) for p in found] == expected


ROW_CELLS = ["主校區", "\u200b主校區", "本部\ufeff", "", 12.0, date(2026, 3, 5), "是", "abc", None]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(ROW_CELLS), min_size=1, max_size=10), min_size=1, max_size=8),
       st.booleans())
def test_cells_picked_from_a_sheet_are_the_cells_as_read_less_invisible_characters(body, rectangular):
    """Rectangular sheets (as calamine gives them) take the quick path when no cell holds an invisible
    character; ragged ones, and any with one, the cell-by-cell path.  Both pick the same."""
    from sync.cells import without_invisible
    from sync.reader import RawSheet, locate_table

    spec = contract.SHEETS["drills"]
    header = [c.zh for c in spec.columns]
    if rectangular:
        body = [(row + [""] * len(header))[:len(header)] for row in body]
    grid = [header, *body]
    table = locate_table(spec, RawSheet("應急演練", True, grid))
    assert table is not None
    for raw in table.rows:
        cells = grid[raw.row_no - 1]
        assert raw.cells == {key: (without_invisible(cells[i]) if i < len(cells) else "")
                             for key, i in table.columns.items()}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"t", b"=", b"e", b'"', b"'", b" ", b"\t", b"<c ", b"r=\"A1\"", b">", b"x"]),
                max_size=30).map(b"".join))
def test_the_quick_look_for_error_cells_never_misses_one_the_full_pattern_finds(part):
    """formats._may_hold_errors, run before _ERROR_TYPE on every sheet part, answers yes wherever the
    pattern finds t="e" in any of its spellings (t = 'e', t="e', ...): otherwise a cell saved as an
    error (#N/A) would be read as empty."""
    from sync import formats

    if formats._ERROR_TYPE.search(part):
        assert formats._may_hold_errors(part)
    for spelling in (b't="e"', b"t='e'", b't = "e\'', b"t\t=\t'e\"", b' t="e"'):
        assert formats._may_hold_errors(b'<c r="A1" ' + spelling + b"><v>#N/A</v></c>")
