"""Twin counties: one county's facts written in Traditional (the template as the contract spells it), in
Simplified (a mainland county: every sheet name, header and typed value), with the English keys, and
mixed as offices produce it (full-width digits, Y/N, ✓/✗, true/false, 1/0, every date form, numbers as
text with thousands separators, title rows, blank rows, notes lines, a hidden sheet), each in .xlsx by
openpyxl and xlsxwriter, .xls and .ods; the bureau workbook likewise.  Each twin is synced into a store
of its own and scored: the scores (annual, and a month end) and the rows refused are the same in every
twin, names apart.  tests/twin_county.py builds the county; the Traditional county's own figures are
checked against rules.md worked by hand.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from functools import cache

import pytest
from opencc import OpenCC

from sync import contract
from sync.cells import canon
from sync.report import check_file, indicator_max
from tests.twin_county import (
    BUREAU_KEYS,
    SCHOOL_KEYS,
    TODAY,
    Book,
    books,
    county,
    plain_book,
    write_as,
    write_book,
)

JUNE = date(2026, 6, 30)
# The schools whose workbooks the twins hold (the registry lists all): a kindergarten, a school of two
# campuses with a deduction, a boarding school with a guard turning 56 on TODAY, a junior middle school
# of two campuses with an assessed D1 and a guard turning 56 on JUNE, the refused drills, fund and guard,
# the veto (a high school); the others send nothing (a smaller county keeps the test near 20 s).
SENT = {"1410200101", "1410200201", "1410200202", "1410200301", "1410200302", "1410200401", "1410200402",
        "1410200502", "1410200601"}
# The format each twin's files are written in, in turn (the Traditional county as the template is filled).
FORMATS = {"trad": ["xlsx"], "simp": ["xlsxw", "xls", "ods", "xlsx"], "en": ["ods", "xlsx", "xls"],
           "mixed": ["xls", "xlsx", "ods", "xlsxw"]}
_T2S = OpenCC("t2s")


@cache
def _simplified(text: str) -> str:
    return _T2S.convert(text)


def _same_script(value):
    """`value` with every text in Simplified: the twins' names differ only so."""
    if isinstance(value, str):
        return _simplified(value)
    if isinstance(value, list):
        return [_same_script(v) for v in value]
    if isinstance(value, dict):
        return {k: _same_script(v) for k, v in value.items()}
    return value


def _sheet_key(name: str) -> str:
    from sync.reader import sheet_key_of

    return sheet_key_of(name) or name


def _synced(form: str, tmp_path_factory) -> dict:
    from scoring import evaluate
    from scoring.engine import to_json
    from sync.frames import load_frames
    from sync.load import run_sync
    from sync.migrate import upgrade
    from sync.settings import configured_rubric
    from sync.store import make_engine, rejected_rows

    work = tmp_path_factory.mktemp(f"twin-{form}")
    inbox = work / "inbox"
    inbox.mkdir()
    fmts = FORMATS[form]
    for n, (stem, book) in enumerate(b for b in books(form).items() if b[0] in SENT | {"bureau"}):
        write_as(fmts[n % len(fmts)], inbox / stem, book)
    engine = make_engine(f"sqlite:///{work / 'store.db'}")
    upgrade(engine)
    summary = run_sync(engine, inbox, sql_sources=[], today=TODAY, recompute=False, workers=1)
    frames = load_frames(engine)
    rubric = configured_rubric()
    scores = {when: {s["school_code"]: s for s in _same_script(to_json(evaluate(frames, 2026, when, rubric,
                                                                                  today=TODAY)))}
              for when in (TODAY, JUNE)}
    with engine.connect() as conn:
        refused = Counter(
            (r.school_code, r.level, _sheet_key(r.sheet or ""), re.sub(r"'[^']*'", "'…'", r.reason_en))
            # the mixed county's 「注：本表…」 lines are paperwork (listed for the school, no refusal)
            for r in conn.execute(rejected_rows.select().where(rejected_rows.c.level != "paperwork")))
    engine.dispose()
    return {"actions": sorted(o.action for o in summary.sources), "scores": scores, "refused": refused,
            "status": summary.status}


@pytest.fixture(scope="module")
def traditional(tmp_path_factory):
    return _synced("trad", tmp_path_factory)


def test_the_traditional_county_loads_and_refuses_what_rules_and_contract_refuse(traditional):
    assert traditional["status"] == "ok" and set(traditional["actions"]) == {"loaded"}
    rows = {(code, sheet) for code, level, sheet, _reason in traditional["refused"] if level == "row"}
    # signed classes above classes, a drill after today, a fund spent on no listed use, a guard born in
    # 2015, assessed points above D1's 8: refused rows, each where it was written
    assert rows == {("1410200302", "drills"), ("1410200401", "drills"), ("1410200402", "funds"),
                    ("1410200601", "guards"), ("1410200203", "inspections")}, traditional["refused"]


def test_the_traditional_county_scores_as_rules_md_reads_worked_by_hand(traditional):
    """Worked from rules.md on the facts of tests/twin_county.py, evaluated on TODAY (30 Nov, the running year)."""
    annual, june = traditional["scores"][TODAY], traditional["scores"][JUNE]
    kg = annual["1410200101"]
    # A 12 (A1 not done: 0; A2 3, A3 3, A4 2, A5 40 of 40: 4); B 9.25 (B3 3 of 4 items: 2.25);
    # C (4.3.4: C4 not applicable, its 3 points spread over 17): 20 x (2 + 6 x 33/37 + 3 + 3 + 3)/17 = 19.24;
    # D 20 (4.4.1: three quarters overlapping a semester held, Q4 still running and not covered);
    # E 16.5 (E2 1 of 2 from a company, E6 1 of 2 with the kit, E7 1 of 2 guard-semesters, E8 6 of 8
    # months); F 8.33 (F3 2 of 3 due closed in time, H4 still inside its deadline); G 5: 90.32
    assert kg["total"] == 90.3 and kg["grade"] == _T2S.convert("優秀")
    assert kg["indicators"]["C4"]["max"] == 0 and round(kg["indicators"]["C2"]["points"], 4) == round(
        20 * 6 * 33 / 37 / 17, 4)
    boarding = annual["1410200202"]
    # 4.5.1 E1: 900 students + 70 staff = 970 people -> 4, 300 boarders -> +2: 6 required, 5 on duty
    assert boarding["campuses"] == [{"campus": "本部", "people": 970, "boarders": 300, "guards_required": 6,
                                     "guards_active": 5}]
    assert boarding["indicators"]["E1"]["points"] == 0
    # 4.5.1 E3: the guard born 1970-11-30 is 56 on TODAY (over); the one born 1970-12-01 is not
    assert boarding["indicators"]["E3"]["points"] == pytest.approx(2 * 4 / 5)
    assert boarding["total"] == 77.7  # 11.83 + 10 + 15.10 + 17.33 + 12.98 + 6.67 + 3.75 = 77.66
    two = annual["1410200301"]
    # 4.4.1 assessors' D1 6.5 (15 Oct) replaces the computed 7 of 8 months; on 30 June it is not yet given
    assert (two["indicators"]["D1"]["points"], two["indicators"]["D1"]["computed_points"]) == (6.5, 7.0)
    assert june["1410200301"]["indicators"]["D1"]["points"] == pytest.approx(8 * 4 / 5)
    # E3: of 11 guards, the one born 1970-06-30 is over on 30 June, and the one born 1970-07-01 too by TODAY
    assert june["1410200301"]["indicators"]["E3"]["points"] == pytest.approx(2 * 10 / 11)
    assert two["indicators"]["E3"]["points"] == pytest.approx(2 * 9 / 11)
    # 5.3/6.3: the falsification found on 20 Sep disqualifies for the year, not yet on 30 June
    assert (annual["1410200502"]["rank"], annual["1410200502"]["qualified"]) == (None, False)
    assert june["1410200502"]["qualified"] is True
    # 5.3 the deduction of 12 May; a registered school that sent nothing ranks on 0
    assert annual["1410200201"]["deduction"] == 2.0 and annual["1410200703"]["total"] == 0


@pytest.mark.parametrize("form", ["simp", "en", "mixed"])
def test_a_twin_county_scores_and_refuses_as_the_traditional_one(traditional, form, tmp_path_factory):
    twin = _synced(form, tmp_path_factory)
    assert twin["actions"] == traditional["actions"]
    assert twin["refused"] == traditional["refused"]
    for when in (TODAY, JUNE):
        assert twin["scores"][when].keys() == traditional["scores"][when].keys()
        for code, theirs in traditional["scores"][when].items():
            assert twin["scores"][when][code] == theirs, f"{form} {code} on {when}"


# ---------------------------------------------------------------- what the twins found

def _one_school(tmp_path, book: Book, fmt: str = "xlsx"):
    schools, _bureau = county()
    path = write_as(fmt, tmp_path / "s", book)
    return check_file(path, registry={s.code for s in schools}, today=TODAY, maxima=indicator_max())


def _records(report) -> dict:
    return {k: [tuple(_same_script(str(v)) for v in row) for row in f.drop(columns="row_no").itertuples(index=False)]
            for k, f in report.records.items()}


@pytest.mark.parametrize("simplified", [False, True])
@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_a_bilingual_heading_with_its_english_first_is_its_column(tmp_path, simplified, fmt):
    """「classes signed in 簽到班級數」 was read as 參演班級數 (its first word is that column's key), and
    「guard's name 姓名」 as no column (the apostrophe): the workbook was refused."""
    schools, _ = county()
    school = schools[6]
    plain = plain_book(SCHOOL_KEYS, school.records, "simp" if simplified else "trad")
    bilingual = Book({name: [[f"{c.label_en} {h}" for c, h in zip(contract.SHEETS[key].columns, rows[0], strict=True)]]
                      + rows[1:] for (name, rows), key in zip(plain.sheets.items(), SCHOOL_KEYS, strict=True)})
    as_sent = _one_school(tmp_path, bilingual, fmt)
    assert not as_sent.refused, as_sent.lines()
    assert _records(as_sent) == _records(_one_school(tmp_path, plain, fmt))


@pytest.mark.parametrize("number", [int, str, "（{}）".format, lambda n: chr(ord("①") + n - 1)],
                         ids=["numbers", "texts", "bracketed", "circled"])
def test_a_row_numbering_the_columns_under_the_header_is_paperwork(tmp_path, number):
    """Official forms print the columns' numbers under the header (欄次 1 | 2 | 3 ...): it was a record, a
    second 學校概況 row that refused the workbook and a campus called 1."""
    schools, _ = county()
    plain = plain_book(SCHOOL_KEYS, schools[2].records, "simp")
    numbered = Book({name: [rows[0], [number(n) for n in range(1, len(rows[0]) + 1)]] + rows[1:]
                     for name, rows in plain.sheets.items()})
    as_sent = _one_school(tmp_path, numbered)
    assert not as_sent.refused and not as_sent.problems, as_sent.lines()
    assert _records(as_sent) == _records(_one_school(tmp_path, plain))


def test_a_record_under_the_header_that_only_starts_like_column_numbers_is_a_record(tmp_path):
    """Only a row numbering every cell it fills, 1, 2, 3 ... in turn, is paperwork."""
    schools, _ = county()
    plain = plain_book(SCHOOL_KEYS, schools[2].records, "trad")
    plain.sheets["校區"].insert(1, ["1", 200, 20, 0, "是", "是"])  # a campus numbered 1
    plain.sheets["責任書"].insert(1, [2024, 2, 3])
    report = _one_school(tmp_path, plain)
    assert "1" in set(report.records["campuses"]["campus"])
    assert [(p.sheet_key, p.row, p.column_key) for p in report.problems] == [("agreements", 2, "signed")]


def test_every_value_a_mainland_school_types_is_the_contracts_choice():
    """The fixed lists in Simplified, as a person types them, and the standard Traditional forms of the
    contract's own 專用檔案柜 and 安全制度上墻 (櫃, 牆), meet the contract's spelling."""
    from sync.cells import parse_choice
    from tests.twin_county import SIMP_VALUES

    choices = {c for s in contract.SHEETS.values() for col in s.columns for c in col.choices}
    for traditional, simplified in SIMP_VALUES.items():
        if traditional in choices:
            column = next(col for s in contract.SHEETS.values() for col in s.columns if traditional in col.choices)
            assert parse_choice(simplified, column.choices) == (traditional, None)
    items = contract.SHEETS["checklist"].column("item").choices
    for typed, meant in (("專用檔案櫃", "專用檔案柜"), ("专用档案柜", "專用檔案柜"), ("安全制度上牆", "安全制度上墻"),
                         ("安全制度上墙", "安全制度上墻"), ("九年一贯制", "九年一貫制")):
        assert parse_choice(typed, items + contract.SCHOOL_TYPES)[0] == meant
    assert canon("專用檔案柜") == canon("專用檔案櫃") == canon("专用档案柜")


def test_the_twin_books_are_written_with_every_form_the_contract_lists(tmp_path):
    """The mixed twin really holds what it claims (a builder that lost its quirks would compare nothing)."""
    mixed = books("mixed")
    cells = [c for b in mixed.values() for rows in b.sheets.values() for r in rows for c in r if c is not None]
    texts = {c for c in cells if isinstance(c, str)}
    for form in ("Y", "✓", "true", "1", "N", "✗", "false", "0", "2026/3/15", "2026.3.15", "2026年3月15日",
                 "12,800.50", "１２，８００．５０"):
        assert form in texts, form
    assert any(isinstance(c, date) for c in cells) and any(b.hidden for b in mixed.values())
    assert {_sheet_key(n) for n in books("simp")["bureau"].sheets} == set(BUREAU_KEYS)
    write_book(tmp_path / "m.xlsx", mixed["1410200101"])


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_placeholder_typed_full_width_is_the_empty_cell_its_half_width_twin_is(tmp_path, fmt):
    """保安公司, 評定結果, 責任人 「Ｎ／Ａ」 (a Chinese input method in full-width mode) were a company (E2), a
    result (D4) and an owner (F2), and 完成日期「ｎｏｎｅ」 refused the hazard that 「none」 keeps open (F3)."""
    schools, _ = county()
    twins = {}
    for width, (na, none) in {"half": ("N/A", "none"), "full": ("Ｎ／Ａ", "ｎｏｎｅ")}.items():
        book = plain_book(SCHOOL_KEYS, schools[2].records, "trad")
        book.sheets["保安人員"][1][3] = na
        book.sheets["應急演練"][1][4] = f"（{na}）"
        book.sheets["隱患整改"][1][4] = na
        book.sheets["隱患整改"][1][6] = none
        (tmp_path / width).mkdir()
        twins[width] = _one_school(tmp_path / width, book, fmt)
    assert not twins["full"].problems, twins["full"].lines()
    assert _records(twins["full"]) == _records(twins["half"])
    first = twins["full"].records
    assert first["guards"]["company"].isna().iloc[0] and first["drills"]["evaluation"].isna().iloc[0]
    assert first["hazards"][["owner", "closed_date"]].iloc[0].isna().all()


@pytest.mark.parametrize("numbering", ["{}.", "{}、", "（{}）", "({})"])
@pytest.mark.parametrize("form", ["trad", "simp"])
def test_checklist_items_numbered_as_an_office_lists_them_are_the_contracts_items(tmp_path, numbering, form):
    """1.安全工作領導小組, 2、第一责任人, （3）責任清單, 醒目標牌。: the fourteen items as an office copies them from
    the plan were refused row by row, each item then counting as not done (A1-A4, B1, B3, C1, D2, F1)."""
    schools, _ = county()
    plain = plain_book(SCHOOL_KEYS, schools[2].records, form)
    numbered = plain_book(SCHOOL_KEYS, schools[2].records, form)
    name = next(n for n in numbered.sheets if _sheet_key(n) == "checklist")
    for n, row in enumerate(numbered.sheets[name][1:], start=1):
        row[0] = numbering.format(n) + row[0] + ("。" if n % 2 else "")
    as_sent = _one_school(tmp_path, numbered)
    assert not as_sent.problems, as_sent.lines()
    assert _records(as_sent) == _records(_one_school(tmp_path, plain))


@pytest.mark.parametrize("form", ["trad", "simp"])
def test_points_written_with_their_unit_are_the_points(tmp_path, form):
    """扣分「2分」, 考評得分「6.5 分」 as the bureau writes them were refused rows: the deduction was not taken
    and the assessment not given until retyped.  A fen (分) after an amount stays refused: 2分 is not 2 yuan."""
    _schools, bureau = county()
    plain = plain_book(BUREAU_KEYS, bureau, form)
    written = plain_book(BUREAU_KEYS, bureau, form)
    name = next(n for n in written.sheets if _sheet_key(n) == "inspections")
    for row in written.sheets[name][1:]:
        row[4] = None if row[4] is None else f"{row[4]}分"
        row[8] = None if row[8] is None else f"{row[8]} 分"
    reports = [check_file(write_book(tmp_path / f"{n}.xlsx", b), today=TODAY, maxima=indicator_max())
               for n, b in (("plain", plain), ("written", written))]
    assert _records(reports[1]) == _records(reports[0])
    assert [p.reason_en for p in reports[1].problems] == [p.reason_en for p in reports[0].problems]
    assert sorted(reports[1].records["inspections"]["deduction"].dropna()) == [1.5, 2.0]
    from sync.cells import parse_money

    assert parse_money("2分")[0] is None
