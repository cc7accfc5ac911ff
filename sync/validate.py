"""Checks on whole rows and tables: ranges, cross-field rules, the registry, privacy.

`validate_rows` takes the raw rows of one contract sheet (from a workbook or
an SQL query), types every cell (sync.cells), applies the checks below and
splits the rows into accepted records and refused rows.  A refused row keeps
its raw values and every reason, in Chinese and English, so the school can
fix it; nothing is dropped or altered in silence.

What is checked, and why (data-contract.md "bad rows", rules.md):
- required cells filled; values of the column's kind;
- record dates between 2000-01-01 and today (a person's start or end of service from
  1960: a director in office since 1998 still counts); a record of what was done cannot
  be in the future); deadlines and planned end dates may lie ahead; birth
  dates from 1900, and a guard 16..80 years old when he started;
- counts are non-negative whole numbers; signed classes <= participating
  classes, signed staff <= staff, boarders <= students; ends not before starts;
- a guard's campus is one of the school's campuses (E1 counts per campus:
  a misspelt campus would lose the guard without a word);
- one row per campus, checklist item, agreement year, hazard number, guard
  and registered school (a second one is ambiguous, so it is refused);
- inspections: a registered school; an assessed indicator that exists, with
  points inside [0, that indicator's max] (rules.md);
- privacy: a header or a value that looks like an identity-card or phone
  number refuses the whole source (privacy_problems).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import chain
from operator import itemgetter

from sync import contract
from sync.cells import (
    canon,
    cell_parser,
    display,
    heading,
    is_empty,
    parse_code,
    required_missing,
    shortened,
    time_of_day,
    without_invisible,
)
from sync.errors import chinese_punctuation
from sync.formats import column_letter


@dataclass
class Problem:
    """One thing wrong in a source. level "file" refuses the source, "row" one row."""

    level: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    reason_zh: str
    reason_en: str
    sheet_key: str | None = None
    column_key: str | None = None
    col_no: int | None = None  # 1-based column in the sheet, for highlighting the cell

    def __post_init__(self) -> None:
        self.reason_zh = chinese_punctuation(self.reason_zh)

    def as_text(self, filename: str = "") -> str:
        where = " / ".join(
            p for p in (
                filename,
                self.sheet or "",
                f"row {self.row}" if self.row else "",
                self.column or "",
            ) if p
        )
        value = f" [{self.value}]" if self.value not in (None, "") else ""
        # Printed to a terminal: a cell's ESC or NUL must not clear the screen or retitle the window.
        return _CONTROL_SHOWN.sub(_escaped, f"{where}{value}: {self.reason_zh} | {self.reason_en}")


_CONTROL_SHOWN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escaped(m: re.Match) -> str:
    return f"\\x{ord(m.group()):02x}"


@dataclass
class RawRow:
    """One table row as read: its 1-based row number and raw cells by column key.

    `raw` (header as written -> value as shown, every non-empty cell, extra columns included) is
    what a refused row keeps; it is built only for the rows that need it."""

    row_no: int
    cells: dict[str, object]
    row_cells: list | None = None
    names: list[str] | None = None
    refused_because: tuple[str, str, str] | None = None  # (column key, zh, en): not read as it stands

    @property
    def raw(self) -> dict[str, str]:
        out = {}
        for i, c in enumerate(self.row_cells or ()):
            if not is_empty(c):
                name = self.names[i] if self.names and i < len(self.names) and self.names[i] else f"#{i + 1}"
                digits = _digits_of(c)  # a private number is kept as its first digits only
                out[name] = _masked(digits) if _private_kind(digits) else _cut(display(c))
        return out


@dataclass
class Context:
    """What a check needs beyond the row itself."""

    today: date
    school_code: str | None = None  # set for a school workbook
    registry: set[str] | None = None  # None: not known, not checked
    indicator_max: dict[str, float] = field(default_factory=dict)
    campuses: set[str] | None = None  # the school's campuses (a school workbook's 校區 sheet)
    campuses_by_school: dict[str, set[str]] | None = None  # each school's, for a query naming many schools
    school_types: dict[str, str] | None = None  # the registry's 學校類別 of each school, where known


@dataclass
class SheetResult:
    accepted: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


EARLIEST_RECORD = date(2000, 1, 1)
EARLIEST_BIRTH = date(1900, 1, 1)
# When a person took up the post: a director in office since 1998 still counts (B2 heads on the
# evaluation date), so these go back as far as a working life does.
EARLIEST_SERVICE = date(1960, 1, 1)
SERVICE_DATES = {("office_staff", "start_date"), ("office_staff", "end_date"), ("guards", "start_date"),
                 ("guards", "end_date")}
GUARD_AGE = (16, 80)
# People listed with the days they served (start_date .. end_date): one person may come back after
# leaving (a guard re-hired), but two rows for one person at once would count him twice (B2, E1).
STINTS = {"guards": ("name", "campus"), "office_staff": ("name",)}
# Dates that may lie ahead: a deadline, a planned end of service, the last day of a training under way
# (E7 counts its days up to the evaluation date only).
FUTURE_ALLOWED = {("hazards", "deadline"), ("guards", "end_date"), ("office_staff", "end_date"),
                  ("guard_training", "end_date")}
# How far ahead such a date may lie: a course under way ends within weeks, not in 2062 (which would
# credit the guard with every day until the evaluation date); a deadline within ten years (3026 typed
# for 2026 would keep a hazard inside its deadline for good, F3).  An end of service may lie any way
# ahead: a planned retirement, or 2099-12-31 / 9999-12-31 as personnel systems write "no end" (scoring
# reads a date past pandas' reach as its last day, sync.sheet_frames.day_column).
FUTURE_AHEAD = {("guard_training", "end_date"): timedelta(days=60), ("hazards", "deadline"): timedelta(days=3653)}
UNIQUE_KEYS = {
    "campuses": ("campus",),
    "checklist": ("item",),
    "agreements": ("year",),
    "hazards": ("id",),
    "guards": ("name", "campus", "start_date"),
    "office_staff": ("name", "start_date"),
    "registry": ("school_code",),
    "school": ("school_code",),  # a query's 學校概況: one row per school, as a workbook's sheet holds one
    # The same finding pasted twice deducted twice (found by an audit): a row the same in every cell.
    "inspections": ("date", "kind", "finding", "deduction", "falsification", "major_incident", "indicator",
                    "assessed_points"),
    # So did a drill or a lecture pasted twice count twice (a contract audit): D3-D5 are shares of the
    # drills, C3 of the parent meetings, C4 counts lectures.  Two rows that differ in any cell stand.
    "drills": tuple(contract.sheet("drills").keys),
    "education": tuple(contract.sheet("education").keys),
}
# Sheets whose rows are told apart by every cell, extra columns included: a duplicate there is the same
# in every column.  A school logging its safety class once per class (班級 in a column of its own) writes
# rows alike in every contract column, and none of them is a pasted copy.
_EXTRAS_TELL_APART = frozenset({"drills", "education"})
_EVERY_CELL = frozenset({"drills", "education", "inspections"})  # told apart by every column (UNIQUE_KEYS)
# A serial number (序號, No.) says where a row is, not which record: a copy pasted under it is numbered anew
# (typed, filled, =ROW()-1), and still the same record (found by an audit: it counted twice again).
_SERIAL_HEADING = re.compile(r"^(?:序号?|顺序号|行号|no\.?|#)$")


def _serial_columns(names: list | None) -> tuple[set[int], set[int]]:
    """(columns headed as a serial number, columns with no heading) of a table's header names (the
    reader names a column with no heading by its letter).  In one with no heading a whole number is a
    row's place too: pandas' to_excel writes its index there (0, 1, 2 ...) unless told not to."""
    headed, unheaded = set(), set()
    for i, name in enumerate(names or ()):
        if name.__class__ is not str:
            continue
        if _SERIAL_HEADING.match(canon(name).replace(" ", "")):
            headed.add(i)
        elif name == column_letter(i):
            unheaded.add(i)
    return headed, unheaded


def _whole_number(value) -> bool:
    if value.__class__ is bool:
        return False
    if isinstance(value, (int, float)):
        return float(value).is_integer()
    return value.__class__ is str and value.strip().isdigit()


def _label(sheet: contract.Sheet, key: str) -> tuple[str, str]:
    col = sheet.column(key)
    return col.zh, col.label_en


def date_range_problem(sheet_key: str, key: str, value: date, ctx: Context):
    if key == "birth_date":
        if value < EARLIEST_BIRTH or value > ctx.today:
            v = value.isoformat()
            return (f"出生日期「{v}」不合理,請核對年份", f"birth date '{v}' is not plausible; check the year")
        return None
    earliest = EARLIEST_SERVICE if (sheet_key, key) in SERVICE_DATES else EARLIEST_RECORD
    if value < earliest:
        v = value.isoformat()
        return (f"日期「{v}」早於{earliest.year}年,請檢查年份", f"date '{v}' is before {earliest.year}; check the year")
    if (sheet_key, key) in FUTURE_AHEAD and value > ctx.today + FUTURE_AHEAD[(sheet_key, key)]:
        v = value.isoformat()
        days = FUTURE_AHEAD[(sheet_key, key)].days
        ahead, ahead_en = (f"{days // 365}年", f"{days // 365} years") if days >= 365 else (f"{days}天", f"{days} days")
        return (f"日期「{v}」在今天({ctx.today.isoformat()}){ahead}之後,不合理,請檢查年份",
                f"date '{v}' is more than {ahead_en} after today ({ctx.today.isoformat()}); check the year")
    if value > ctx.today and (sheet_key, key) not in FUTURE_ALLOWED:
        v = value.isoformat()
        return (
            f"日期「{v}」在今天({ctx.today.isoformat()})之後,記錄不能是將來的;請核對日期,未發生的事等發生後再填",
            f"date '{v}' is after today ({ctx.today.isoformat()}); a record cannot be in the future: check the "
            "date, and record what is planned once it has happened",
        )
    return None


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _cross_checks(sheet_key: str, rec: dict, ctx: Context, campuses: set[str] | None) -> list[tuple[str, str, str]]:
    """Rules between cells of one row: list of (column key, reason_zh, reason_en).  campuses: those of the
    row's school, where known."""
    out = []

    def dates_in_order(earlier, later):
        # both dates said, in the sheet's own headings: 離崗/上崗 are a guard's, a training has 結束/開始 (an audit)
        if rec.get(earlier) and rec.get(later) and rec[later] < rec[earlier]:
            sheet = contract.sheet(sheet_key)
            first, then = sheet.column(earlier), sheet.column(later)
            was, is_ = rec[earlier].isoformat(), rec[later].isoformat()
            out.append((later, f"{then.zh}{is_}早於{first.zh}{was},請核對這兩個日期",
                        f"the {then.en} {is_} is before the {first.en} {was}; check the two dates"))

    def pair(a, b, fix_zh, fix_en):
        # both figures said, and where to look them up: "cannot exceed" alone left the school to guess
        # which of the two cells was wrong
        if rec.get(a) is not None and rec.get(b) is not None and rec[b] > rec[a]:
            sheet = contract.sheet(sheet_key)
            more, total = sheet.column(b), sheet.column(a)
            out.append((b, f"{more.zh}({rec[b]})不能多於{total.zh}({rec[a]});{fix_zh}",
                        f"{more.en} ({rec[b]}) cannot exceed {total.en} ({rec[a]}); {fix_en}"))

    if sheet_key == "drills":
        pair("classes", "signed_classes", "請按演練簽到表核對這兩欄", "check both against the drill's sign-in sheet")
    elif sheet_key == "agreements":
        pair("staff_total", "signed", "請核對這兩個數字", "check the two figures")
        year = rec.get("year")
        first, last = EARLIEST_RECORD.year, ctx.today.year + 1
        if year is not None and not (first <= year <= last):
            out.append(("year", f"年度「{year}」不合理,應在{first}年至{last}年之間,請填寫責任書簽訂的年度",
                        f"year '{year}' is not plausible: expected {first} to {last}, the year the agreements "
                        "were signed for"))
    elif sheet_key == "campuses":
        pair("students", "boarders", "請核對這兩個數字", "check the two figures")
    if sheet_key in ("guards", "office_staff", "guard_training"):
        dates_in_order("start_date", "end_date")
    if sheet_key == "guards":
        birth, start = rec.get("birth_date"), rec.get("start_date")
        if birth and start:
            age = _age_on(birth, start)
            if start < birth:
                out.append(("birth_date",
                            f"上崗日期{start.isoformat()}早於出生日期{birth.isoformat()},請核對這兩個日期",
                            f"the start date {start.isoformat()} is before the birth date {birth.isoformat()}; "
                            "check the two dates"))
            elif not GUARD_AGE[0] <= age <= GUARD_AGE[1]:
                out.append((
                    "birth_date",
                    f"按出生日期,上崗時年齡為{age}歲,不合理(應在{GUARD_AGE[0]}–{GUARD_AGE[1]}歲之間);"
                    "請核對出生日期和上崗日期",
                    f"this birth date makes the guard {age} at the start date; "
                    f"expected {GUARD_AGE[0]} to {GUARD_AGE[1]}: check the birth date and the start date",
                ))
        campus = rec.get("campus")
        # None or empty: not known here (a query's school without campuses; a 校區 sheet left at its header,
        # which report._check_school says once, as the campuses may come from the bureau's database).
        if campus is not None and campuses and campus not in campuses:
            # 本部(東區) for 本部（東區）, 东区 for 東區: the same campus as a person reads it (the contract
            # forgives width and script in names), stored in the campuses sheet's own spelling so E1
            # counts the guard there.
            same = {canon(c): c for c in campuses}.get(canon(campus))
            if same is not None:
                rec["campus"] = same
            else:
                listed = "、".join(sorted(campuses))
                if ctx.campuses_by_school is None:
                    out.append(("campus", f"校區「{campus}」不在「校區」表中(已有:{listed});請改用表中的校區名稱,"
                                "如是新校區請補入「校區」表",
                                f"campus '{campus}' is not listed on the campuses sheet (listed: {listed}); use "
                                "one of those names, or add the campus to the campuses sheet"))
                else:  # a query's guard: the school's campuses come from its workbook or a campuses query
                    out.append(("campus", f"校區「{campus}」不是該校已登記的校區(已有:{listed});請改用已登記的"
                                "校區名稱,或先登記該校區",
                                f"campus '{campus}' is not one of the school's campuses (listed: {listed}); use "
                                "one of those names, or register the campus first"))
    if sheet_key == "hazards":
        dates_in_order("found_date", "deadline")
        dates_in_order("found_date", "closed_date")
    if sheet_key == "inspections":
        out.extend(_inspection_checks(rec, ctx))
    return out


def _findings_not_in_force(rec: dict, wrong: set[str]) -> list[tuple[str, str, str]]:
    """A refused 督查記錄 row takes its veto and its deduction with it: said on their cells, so that a slip
    elsewhere on the row (C2指標 for C2, 專項 for a kind) is not taken for a finding in force (found by an
    audit: the school stood qualified and first, and nothing said why)."""
    out = []
    for key, zh, en in (("falsification", "弄虛作假", "falsification"), ("major_incident", "重大安全事故", "major incident")):
        if rec.get(key) is True and key not in wrong:
            out.append((key, f"本行其他欄有誤,改正前其中的{zh}(一票否決,取消資格)不生效",
                        f"until the rest of this row is corrected, its {en} finding (a veto: the school is "
                        "disqualified) does not count"))
    deduction = rec.get("deduction")
    if deduction and "deduction" not in wrong:
        out.append(("deduction", f"本行其他欄有誤,改正前其中的扣分({deduction:g} 分)不計",
                    f"until the rest of this row is corrected, its deduction of {deduction:g} points does not count"))
    return out


def _inspection_checks(rec: dict, ctx: Context) -> list[tuple[str, str, str]]:
    out = []
    indicator, points = rec.get("indicator"), rec.get("assessed_points")
    if indicator is not None:
        typed = shortened(indicator, 40)
        # 「Ｅ１」「 e 1 」 are E1: full-width forms and stray spaces are forgiven (data-contract.md)
        indicator = "".join(unicodedata.normalize("NFKC", indicator).split()).upper()
        rec["indicator"] = indicator
        if indicator not in ctx.indicator_max:
            # 「C2指標」「C2(每周安全課)」: the id with words after it, named for the bureau to write alone
            meant = re.match(r"[A-Z]\d", indicator)
            if meant is not None and meant[0] in ctx.indicator_max:
                out.append(("indicator", f"指標「{typed}」不存在;如指 {meant[0]},請只寫 {meant[0]}",
                            f"indicator '{typed}' does not exist; if {meant[0]} is meant, write {meant[0]} alone"))
            else:
                out.append(("indicator", f"指標「{typed}」不存在(應為 A1…G1)",
                            f"indicator '{typed}' does not exist (expected an id like A1 ... G1)"))
        elif points is None:
            out.append(("assessed_points", f"填了指標「{indicator}」但沒有考評得分;請填寫考評得分,或清空指標",
                        f"indicator '{indicator}' is given but no assessed points; fill in the points, or clear "
                        "the indicator"))
        elif points > ctx.indicator_max[indicator]:
            top = ctx.indicator_max[indicator]
            out.append(("assessed_points", f"考評得分{points:g}超出指標{indicator}的滿分{top:g};請填 0 至 {top:g}",
                        f"assessed points {points:g} exceed indicator {indicator}'s maximum of {top:g}; write 0 "
                        f"to {top:g}"))
        elif (reason := not_applicable_marks(indicator, points, (ctx.school_types or {}).get(rec.get("school_code")))):
            out.append(("assessed_points", *reason))
    elif points is not None:
        out.append(("indicator", "有考評得分但沒有填指標;請填寫得分所屬的指標(如 D1)",
                    "assessed points are given without an indicator; name the indicator they are for (like D1)"))
    return out


def not_applicable_marks(indicator: str, points: float, school_type: str | None) -> tuple[str, str] | None:
    """Why assessed points above 0 for C4 are outside a school's range when the school is below high
    school level (rules.md C4: high school level only; elsewhere its maximum is 0 and its points are the
    other C indicators', so marks given for it would count nowhere; found by an audit).  None when they
    are not, or when the school's type is not known."""
    if indicator != "C4" or not points or school_type is None or school_type in contract.HIGH_SCHOOL_TYPES:
        return None
    return (f"指標C4(每學期安全講座)只適用於高中、完全中學、中職,該校是{school_type},C4滿分為0;"
            "請刪除此考評得分,或填入其他指標",
            f"indicator C4 (lectures each semester) applies only to 高中, 完全中學 and 中職 (high school level); "
            f"this school is {school_type}, so its C4 maximum is 0: delete these assessed points or give them "
            "to another indicator")


def registered_code(code: str | None, registry: set[str] | None) -> str | None:
    """The registry's spelling of `code`: itself when registered, else the one registered code that
    differs only by leading zeros (Excel turns a typed 0123 into the number 123) or, for a code with
    letters, only by their case (hz001 for HZ001, as an input method left it), else `code`.

    Two registered codes that both fit (0123, 00123) leave `code` as it is: that is not guessed."""
    if code is None or not registry or code in registry:
        return code
    fits = _loose_spellings(registry).get(_loose(code), ())
    return fits[0] if len(fits) == 1 else code


def zero_dropped(codes) -> dict[str, str]:
    """Registered codes that are another registered code without its leading zeros, each mapped to
    that code: 101 beside 0101 (a registry query reading a number column drops the zeros the bureau
    workbook keeps).  Both registered, 101 was a second school that never sent anything, and a
    workbook whose code Excel made the number 101 was filed under it.  Not guessed when three forms
    of one number are registered."""
    by_digits: dict[str, list[str]] = {}
    for code in set(codes):
        if code and code.isdigit():
            by_digits.setdefault(code.lstrip("0"), []).append(code)
    return {short: long for forms in by_digits.values() if len(forms) == 2
            for short, long in [sorted(forms, key=len)]}


def _loose(code: str) -> str:
    return code.lstrip("0") if code.isdigit() else code.casefold()


_LOOSE_CACHE: dict[int, tuple[set, dict[str, list[str]]]] = {}


def _loose_spellings(registry: set[str]) -> dict[str, list[str]]:
    """Registered codes by their digits without leading zeros, or their letters in one case (cached for
    the registry object)."""
    hit = _LOOSE_CACHE.get(id(registry))
    if hit is not None and hit[0] is registry:
        return hit[1]
    index: dict[str, list[str]] = {}
    for c in registry:
        index.setdefault(_loose(c), []).append(c)
    _LOOSE_CACHE.clear()
    _LOOSE_CACHE[id(registry)] = (registry, index)
    return index


def _registry_problem(code: str) -> tuple[str, str]:
    return (f"學校代碼「{code}」不在教育局的學校名冊中;請核對學校代碼,新學校請聯繫教育局加入名冊",
            f"school code '{code}' is not in the bureau's school registry; check the code, or ask the bureau to "
            "register a new school")


def validate_rows(sheet: contract.Sheet, rows: list[RawRow], ctx: Context, sheet_name: str,
                  headers: dict[str, tuple[int, str]]) -> SheetResult:
    """Type and check every row of one sheet. headers: column key -> (1-based column, header as written)."""
    result = SheetResult()
    parsers = [(col, col.key, col.kind == contract.DATE, cell_parser(col)) for col in sheet.columns
               if col.key in headers]
    absent = {col.key: None for col in sheet.columns if col.key not in headers}  # optional columns left out
    names_the_school = ctx.school_code is None and "school_code" in headers
    duplicates = _Duplicates(sheet, ctx, headers)
    stints: dict[tuple, list[tuple[date, date | None, int]]] = {}
    respelt: dict[str, str] = {}  # a school code as written -> the registry's spelling of it
    for raw_row in rows:
        if raw_row.refused_because is not None:
            _reject(result, sheet, sheet_name, headers, raw_row, [raw_row.refused_because], ctx.school_code)
            continue
        rec, issues = _typed_record(sheet.key, parsers, absent, raw_row.cells, ctx)
        code = ctx.school_code
        if names_the_school:
            code = _row_school_code(raw_row, ctx, respelt)
            if code is None and "school_code" not in sheet.keys:
                issues.append(("school_code", *required_missing("學校代碼", "school code")))
        if not issues:
            campuses = ctx.campuses if ctx.campuses_by_school is None else ctx.campuses_by_school.get(code)
            issues = _cross_checks(sheet.key, rec, ctx, campuses)
        if issues and sheet.key == "inspections":
            issues.extend(_findings_not_in_force(rec, {issue[0] for issue in issues}))
        if (not issues and ctx.registry is not None and sheet.key != "registry"
                and code is not None and code not in ctx.registry):
            issues.append(("school_code", *_registry_problem(code)))
        if not issues and duplicates.unique:
            issues = duplicates.of_earlier(rec, raw_row, code)
        if not issues and sheet.key in STINTS:
            # A query lists every school's guards: 王強 at 本部 of two schools are two people.
            issues = _overlapping_stint(rec, raw_row.row_no, stints.setdefault(
                tuple(map(_same_words, (rec.get(k) for k in STINTS[sheet.key])))
                + ((code,) if ctx.school_code is None else ()), []))
        if issues:
            _reject(result, sheet, sheet_name, headers, raw_row, issues, code)
            continue
        rec["school_code"] = code
        rec["row_no"] = raw_row.row_no
        result.accepted.append(rec)
    if respelt:
        result.problems.append(_respelt_note(sheet, sheet_name, headers, respelt))
    return result


def _typed_record(sheet_key: str, parsers: list, absent: dict, cells: dict, ctx: Context) -> tuple[dict, list]:
    """One row's values typed by their columns, and the problems of its cells (a value that is not its
    column's type, a required one missing, a date out of range)."""
    rec: dict = dict(absent)
    issues: list[tuple[str, str, str]] = []
    earliest, today = EARLIEST_RECORD, ctx.today
    for col, key, is_date, parse in parsers:
        value, problem = parse(cells.get(key))
        if problem is not None:
            issues.append((key, *problem))
            continue
        if value is None:
            if col.required:
                issues.append((key, *required_missing(col.zh, col.label_en)))
        elif is_date and not (earliest <= value <= today and key != "birth_date"):
            bad = date_range_problem(sheet_key, key, value, ctx)
            if bad:
                issues.append((key, *bad))
        rec[key] = value
    return rec, issues


def _row_school_code(raw_row: RawRow, ctx: Context, respelt: dict[str, str]) -> str | None:
    """The school a row names (SQL sources and the bureau's sheets name it on every row), as the registry
    spells it; a code read in another spelling is noted in `respelt`."""
    raw = raw_row.cells.get("school_code")
    typed = None if is_empty(raw) else parse_code(raw)[0]
    code = registered_code(typed, ctx.registry)
    if code != typed:
        respelt.setdefault(typed, code)
    return code


class _Duplicates:
    """Tells a row that repeats an earlier one of its sheet (UNIQUE_KEYS)."""

    def __init__(self, sheet: contract.Sheet, ctx: Context, headers: dict[str, tuple[int, str]]):
        self.sheet = sheet
        # A workbook's 學校概況 holds one row (more refuses the file); a query's holds one row per school.
        self.unique = UNIQUE_KEYS.get(sheet.key) if sheet.key != "school" or ctx.school_code is None else None
        # A row the same in every cell is a paste; one dated 09:00 and one 14:00 the same day are two records.
        self.timed = ([k for k in self.unique if sheet.column(k).kind == contract.DATE]
                      if self.unique and sheet.key in _EVERY_CELL else [])
        self.by_school = ctx.school_code is None  # rows of many schools: the school is part of a row's identity
        self.read_cols = {col - 1 for col, _header in headers.values()} if sheet.key in _EXTRAS_TELL_APART else None
        self.serial_cols = self.unheaded = None  # extra columns headed as a serial number / with no heading
        self.seen: dict[tuple, int] = {}

    def of_earlier(self, rec: dict, raw_row: RawRow, code: str | None) -> list:
        """The issue when `rec` repeats an earlier row; else remembers it."""
        ident = self._identity(rec, raw_row, code)
        earlier = self.seen.get(ident)
        if earlier is None:
            self.seen[ident] = raw_row.row_no
            return []
        sheet, unique = self.sheet, self.unique
        if sheet.key in _EXTRAS_TELL_APART:  # named at its first cell: the last may well be empty
            key, what, what_en = unique[0], "每一列都相同", "the same in every column"
        else:
            # named at the last of its cells that holds something (an empty 考評得分 was highlighted)
            key = next((k for k in reversed(unique) if rec.get(k) not in (None, "")), unique[-1])
            what = "、".join(_label(sheet, k)[0] for k in unique) + "相同"
            what_en = "the same " + ", ".join(_label(sheet, k)[1] for k in unique)
        return [(key, f"與第{earlier}行重複({what});如是同一條記錄請刪除一行,否則請修改使兩行可區分",
                 f"duplicates row {earlier} ({what_en}); delete one if they are the same "
                 "record, or correct it so the two can be told apart")]

    def _identity(self, rec: dict, raw_row: RawRow, code: str | None) -> tuple:
        ident = tuple(map(_same_words, (rec.get(k) for k in self.unique))) + ((code,) if self.by_school else ())
        if self.timed:
            ident += tuple(time_of_day(raw_row.cells.get(k)) for k in self.timed)
        if self.read_cols is not None and raw_row.row_cells:
            # The school's own columns tell two rows apart too (the first row's names say which are serial numbers).
            if self.serial_cols is None:
                self.serial_cols, self.unheaded = _serial_columns(raw_row.names)
            ident += tuple((i, display(c)) for i, c in enumerate(raw_row.row_cells)
                           if i not in self.read_cols and i not in self.serial_cols and not is_empty(c)
                           and not (i in self.unheaded and _whole_number(c)))
        return ident


def _respelt_note(sheet: contract.Sheet, sheet_name: str, headers: dict[str, tuple[int, str]],
                  respelt: dict[str, str]) -> Problem:
    """School codes read as the registry spells them, never silently (data-contract.md): Excel makes a
    typed 0101 the number 101, a query's number column drops the zeros too (found by an audit: no word
    was said)."""
    pairs = sorted(respelt.items())
    shown = "、".join(f"{a} → {b}" for a, b in pairs[:10]) + ("…" if len(pairs) > 10 else "")
    col_no, header = headers.get("school_code", (None, "學校代碼"))
    return Problem(
        "note", sheet_name, None, header, None,
        f"學校代碼按名冊的寫法讀入:{shown}(Excel 把前導零去掉了,或字母大小寫不同);如有誤請改正",
        f"school codes read as the registry writes them: {shown.replace('、', ', ')} (Excel dropped their "
        "leading zeros, or the letters differ in case); correct them if that is wrong",
        sheet_key=sheet.key, column_key="school_code", col_no=col_no)


def _same_words(value):
    """A text as rows are told apart: 東區, 东区 and 東 區 are one campus, 吳保安 and 吴保安 one guard, as the
    scoring matches them across sheets (found by an audit: within a sheet they were two)."""
    return canon(value) if value.__class__ is str else value


def _overlapping_stint(rec: dict, row_no: int, earlier: list[tuple[date, date | None, int]]) -> list:
    """The issue when this person's days overlap an earlier row's for the same person; else records
    this row's days in `earlier`."""
    start, end = rec["start_date"], rec.get("end_date")
    for other_start, other_end, other_row in earlier:
        if start <= (other_end or date.max) and other_start <= (end or date.max):
            until = f"至 {other_end.isoformat()}" if other_end else "起,未填離崗日期"
            until_en = f"until {other_end.isoformat()}" if other_end else "on, with no end date"
            return [("start_date",
                     f"與第{other_row}行是同一人,在崗時間重疊(第{other_row}行 {other_start.isoformat()} {until});"
                     f"如已離崗後再返崗,請填寫第{other_row}行的離崗日期;如是同名的另一人,請在姓名中加以區分,如「{rec['name']}(二)」",
                     f"the same person as row {other_row}, whose days overlap ({other_start.isoformat()} {until_en}); "
                     f"if he left and came back, fill in row {other_row}'s end date; if this is another person of the "
                     f"same name, write the name so the two can be told apart, e.g. '{rec['name']} (2)'")]
    earlier.append((start, end, row_no))
    return []


def _reject(result, sheet, sheet_name, headers, raw_row, issues, code):
    reasons_zh, reasons_en = [], []
    for key, zh, en in issues:
        col_no, header = headers.get(key, (None, sheet.column(key).zh if key in sheet.keys else key))
        cell = raw_row.cells.get(key)
        value, digits = _cut(display(cell)), _digits_of(cell)
        if _private_kind(digits):  # a phone typed into a count: reported, but not kept or repeated
            zh, en = (_masked_in(_masked_in(text, value), digits) for text in (zh, en))
            value = _masked(digits)
        result.problems.append(Problem(
            "row", sheet_name, raw_row.row_no, header, value, zh, en,
            sheet_key=sheet.key, column_key=key, col_no=col_no,
        ))
        reasons_zh.append(f"{header}:{zh}")
        reasons_en.append(f"{header}: {en}")
    result.rejected.append({
        "sheet_key": sheet.key, "sheet": sheet_name, "row_no": raw_row.row_no, "school_code": code,
        "name": display(raw_row.cells.get("name")) if "name" in sheet.keys else None,  # whose row (a guard's)
        "raw": raw_row.raw,
        "reason_zh": ";".join(reasons_zh), "reason_en": "; ".join(reasons_en),
    })


RAW_VALUE_MAX = 500  # characters of a cell kept with a refused row: enough to find and fix it


def _cut(text: str) -> str:
    return shortened(text, RAW_VALUE_MAX)


def _masked(value: str) -> str:
    """An identity or phone number as a report may show it: enough to find the cell, not the number."""
    return value[:3] + "…"


# A run of digits as a phone or an identity number is written (138 0013 8000, (0755)-1234567, …X).
_NUMBER_RUN = re.compile(r"\d(?:[ \t\u00a0\u3000\-()+\u2010-\u2015\u2212\uff08\uff09\uff0d]*[\dXx]){6,}")


def masked_private(text: str) -> str:
    """A line of free text as a report or the store may keep it: each long run of digits cut to its first
    three when the line holds an identity or phone number ("聯繫電話:138…")."""
    if _private_kind(text) is None:
        return text
    # Only the runs that are themselves a phone or an identity number: a date or a document number on
    # the same line stays as written.
    kept = _NUMBER_RUN.sub(lambda m: _masked(m[0]) if _private_kind(m[0]) else m[0], text)
    # A number the runs alone do not show ((0755)1234567: its brackets): every long run goes.
    return kept if _private_kind(kept) is None else _NUMBER_RUN.sub(lambda m: _masked(m[0]), text)


def masked_cell(value):
    """A cell as a kept copy may hold it: an identity or phone number cut to its first digits, typed as
    text or as a number (Excel keeps an 18-digit one as the float 1.10101199801210E+17, which the
    annotated copy kept whole; found by an audit); any other value as it is."""
    shown = _digits_of(value)
    masked = masked_private(shown)
    return value if masked == shown else masked


def _masked_in(text: str, value: str) -> str:
    for shown in (value, value[:39] + "…"):
        text = text.replace(shown, _masked(value))
    return text


# ---------------------------------------------------------------- privacy

_PRIVATE_HEADERS = ("身份证", "身分证", "证件", "身份号", "电话", "手机", "座机", "固话", "联系方式", "联系号码", "联络号码",
                    "phone", "mobile", "telephone", "idcard", "id_card", "identity", "idnumber", "id_number",
                    "contactnumber")
_ID_CARD = re.compile(
    r"(?<!\d)[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dXx])"
)
# The old 15-digit card: area code, YYMMDD, three digits.  Only a cell that is nothing else is taken for
# one (15 digits alone are too common in serial numbers to look for inside longer text).
_OLD_ID_CARD = re.compile(r"^[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}$", re.M)
# A mobile number, with China's country code in any of its written forms (+86, 0086, 86).
_MOBILE = re.compile(r"(?<![\d.])(?:(?:\+|00)?86)?1[3-9]\d{9}(?!\d|\.\d)")  # not part of a decimal number
# A mobile written in its three groups with dots (138.0013.8000), as on some business cards; dots are
# otherwise no separator (1.3.5.7.9.11.13.15周 is a list), so only this exact shape.
_MOBILE_DOTTED = re.compile(r"(?<![\d.])1[3-9]\d\.\d{4}\.\d{4}(?![\d.])")
# A landline: an area code set off by a separator or brackets (0351-1234567, (0755)12345678), or after
# the country code (+86 755 12345678).  Bare runs of digits are not guessed at: too many codes look so.
# The local number in two groups (8888-8888) only after a bracketed area code or the country code, or
# after a phone's label (電話 0571-8888-8888): three zero-led groups are as often a hazard's or an
# archive's number (YH-012-2611-0001, 檔號 0301-2501-0003) or room and time ranges (0630-0700 2130-2200),
# and a privacy match refuses the whole file (found by an audit, after the groups were first let in).
_AREA = r"(?:\(0[1-9]\d{1,2}\)[ \t]?|(?:\+|00)86[- \t]?\(?0?[1-9]\d{1,2}\)?[- \t]?)"
_LANDLINE = re.compile(
    r"(?<!\d)(?:" + _AREA + r"|0[1-9]\d{1,2}[- \t])\d{7,8}(?!\d)"
    r"|(?<!\d)" + _AREA + r"[2-9]\d{2,3}[- \t]\d{4}(?![\d-])"
    r"|(?:電話|电话|座機|座机|固話|固话|聯繫|联系|傳真|传真|tel|phone|fax)\D{0,6}(?<!\d)0[1-9]\d{1,2}[- \t]?[2-9]\d{2,3}[- \t]\d{4}(?![\d-])",
    re.IGNORECASE,
)
# What people put between the groups of a number: spaces of every width (NFKC makes them " ") and dashes
# of every length.  Not dots or slashes (1.3.5.7.9.11.13.15周, 1410200001/2 are lists), not a line break.
_DASHES = str.maketrans(dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-"))
_SEPARATORS = re.compile(r"[ \t\-]")
# Header words, in canon's form, that name such a column on their own (Tel., ID No.): too short to be
# looked for inside other words.
_PRIVATE_HEADER_WORDS = {"tel", "telno", "idno", "idcardno", "phoneno", "mobileno", "contactno", "身份证号码", "身份证号"}
_HEADER_PUNCTUATION = re.compile(r"[.:#_\-]")


def header_is_private(header: str) -> bool:
    c = canon(header)
    return _HEADER_PUNCTUATION.sub("", c) in _PRIVATE_HEADER_WORDS or any(p in c for p in _PRIVATE_HEADERS)


# Ten digits, in any script (\d: full-width too), with only separators between them: every phone and
# identity number has that many, and most text of a county has no such run, so it is passed over whole.
_TEN_DIGITS = re.compile(r"\d(?:[ \t\u00a0\u3000\-.\u00b7_/()+\u2010-\u2015\u2212\uff08\uff09\uff0d\uff0e]*\d){9}")


def _private_kind(text: str) -> tuple[str, str] | None:
    # As the reader stores it: a zero-width space or a soft hyphen pasted inside a number (from WeChat, a web
    # page) hid it from the check, then was taken out and the number kept (found by an audit).
    text = without_invisible(text)
    if _TEN_DIGITS.search(text) is None:
        return None
    # Full-width digits and brackets (１３８…, （0755）) as a Chinese input method types them.
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    compact = _SEPARATORS.sub("", text)
    if _ID_CARD.search(compact) or _OLD_ID_CARD.search(compact):
        return ("身份證號碼", "an identity-card number")
    if _MOBILE.search(compact) or _MOBILE_DOTTED.search(text) or _LANDLINE.search(text):
        return ("電話號碼", "a phone number")
    return None


def numeric_columns(sheet_key: str | None, columns: dict[str, int]) -> set[int]:
    """The 0-based columns of `columns` (key -> column) that hold counts, amounts or points.

    Their numbers are checked as numbers (13800000000.00 there is an amount, too large to be right, and a
    count with a typo is a count); only their text is looked into for a phone or an identity number,
    which a person writes as text (138-0013-8000, an 18-character number ending in X)."""
    if sheet_key not in contract.SHEETS:
        return set()
    sheet = contract.SHEETS[sheet_key]
    kinds = (contract.INT, contract.MONEY, contract.SCORE)
    return {i for key, i in columns.items() if key in sheet.keys and sheet.column(key).kind in kinds}


def privacy_problems(sheet_key: str | None, sheet_name: str, header_row: int | None, header_cells: list,
                     rows: list[tuple[int, list]], code_col: int | None = None,
                     skip_cols: set[int] | frozenset = frozenset(),
                     contract_cols: set[int] | frozenset = frozenset()) -> list[Problem]:
    """File-level problems for every header or cell that looks like an identity-card or phone number.

    code_col: the 0-based school-code column, whose values are codes whatever they look like;
    skip_cols: the 0-based numeric columns (numeric_columns), whose numbers are not looked into;
    contract_cols: the 0-based columns read as contract columns, whose headers are not private."""
    problems = []
    for i, header in enumerate(header_cells):
        if i in contract_cols:
            continue  # 一鍵報警（電話聯網） is the contract's alarm column, whatever else its header says
        if not is_empty(header) and header_is_private(str(header)) and not _holds_no_number(rows, i, str(header)):
            problems.append(_privacy(sheet_key, sheet_name, header_row, heading(header), "", i + 1,
                                     ("身份證或電話號碼", "identity-card or phone numbers")))
    skip = {code_col} if code_col is not None else set()
    numeric = set(skip_cols) - skip
    if not rows or _private_kind(_looked_into(rows, skip, numeric)) is None:
        return problems
    for row_no, cells in rows:
        for i, cell in enumerate(cells):
            if i in skip or is_empty(cell) or (i in numeric and cell.__class__ is not str):
                continue
            text = _digits_of(cell)
            kind = _private_kind(text)
            if kind:
                header = header_cells[i] if i < len(header_cells) and not is_empty(header_cells[i]) else None
                problems.append(_privacy(sheet_key, sheet_name, row_no,
                                         heading(header) if header else None, text, i + 1, kind))
    return problems


# Under a phone or identity heading, seven digits in a row, as people group them (612 3456, 6512-3456,
# 138.0013.8000), are a number of that kind even where the patterns cannot tell (a local number without
# its area code, 值班室6123456); a code that letters lead (保安員證件號 BA2021001) is a certificate's
# number, not a person's, and a date (證件有效期 2027-06-30) is a date.
_NUMBER_UNDER_PRIVATE_HEADING = re.compile(r"(?<![A-Za-z\d])\d(?:[ \-.]?\d){6,}")
_DATE_LIKE = re.compile(r"^(?:19|20)\d{2}([-./]?)(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])$")


# A phone or papers heading that asks whether, how many, until when or what kind: a column of answers,
# counts, dates or kinds, empty or not (報警電話是否暢通, 值班電話數量, 證件有效期, 證件類型), in canon's form.
_ASKS_ABOUT = re.compile(r"是否|有无|有没有|数量|个数|台数|部数|有效期|类型|种类")
_BRACKETED = re.compile(r"\(.*?\)|\[.*?\]|【.*?】")


def _holds_no_number(rows: list[tuple[int, list]], column: int, header: str = "") -> bool:
    """Under a phone or identity heading, the column holds answers, counts or dates and no number of
    that kind (報警電話是否暢通: 是; 值班電話數量: 2; 證件有效期: 2027-06-30): a column about phones or
    papers, not a list of them.  An empty column under such a heading is asked for numbers, and refused
    as one, unless the heading itself asks about them (_ASKS_ABOUT)."""
    values = [cells[column] for _n, cells in rows if column < len(cells) and not is_empty(cells[column])]
    if not values:  # the heading's own words, not a bracket's (聯繫電話（是否公開） is a phone column)
        return _ASKS_ABOUT.search(_BRACKETED.sub("", canon(header))) is not None
    return not any(
        _DATE_LIKE.match(found) is None
        for v in values for found in _NUMBER_UNDER_PRIVATE_HEADING.findall(
            unicodedata.normalize("NFKC", without_invisible(_digits_of(v)))))


def paperwork_identity_problems(sheet_key: str, sheet_name: str, grid: list[list],
                                records: list[tuple[int, list]]) -> list[Problem]:
    """An identity-card number on a line of a contract sheet that is not a record (a title above the
    header, a note or a signature under the table): the file is kept as sent, and nobody signs a form
    with one (found by an audit: the same number on a sheet of its own refused the file).  A contact
    phone on such a line is the office's paperwork: masked wherever the line is shown, not refused."""
    looked_at = {row_no for row_no, _cells in records}
    lines = [(r + 1, cells) for r, cells in enumerate(grid) if cells and r + 1 not in looked_at]
    if not lines or _private_kind(_looked_into(lines, set())) is None:
        return []
    problems = []
    for row_no, cells in lines:
        for i, cell in enumerate(cells):
            if is_empty(cell):
                continue
            text = _digits_of(cell)
            kind = _private_kind(text)
            if kind is not None and kind[0] == "身份證號碼":
                problems.append(_privacy(sheet_key, sheet_name, row_no, None, text, i + 1, kind))
    return problems


def sheet_privacy_problems(sheet_name: str, rows: list[list], hidden: bool) -> list[Problem]:
    """Privacy problems on a sheet that is not one of the contract's (a roster kept beside the tables,
    a hidden lookup sheet): the file is kept as sent, so identity or phone numbers anywhere in it are
    collected.  Only values are looked for: a heading alone (手機) in free text is not one."""
    numbered = [(n + 1, cells) for n, cells in enumerate(rows) if cells]
    problems = privacy_problems(None, sheet_name, None, [], numbered)
    if hidden:
        for p in problems:
            p.reason_zh += "（該工作表是隱藏的：請在 Excel 或 WPS 中取消隱藏後刪除）"  # after Problem's punctuation
            p.reason_en += " (the sheet is hidden: unhide it in Excel or WPS to delete it)"
    return problems


def _looked_into(rows: list[tuple[int, list]], skip: set[int], numeric: set[int] = frozenset()) -> str:
    """The text of every cell outside `skip` that could hold an 11-digit phone or an 18-digit identity
    number (text, and outside `numeric` numbers of seven digits or more), one line each.  Gathered a
    sheet at a time with C-level steps (itemgetter, chain): this runs over every cell of a county."""
    grid = [cells for _n, cells in rows]
    width = max(map(len, grid))
    square = min(map(len, grid)) == width
    kept = [i for i in range(width) if i not in skip]
    texts = [c for c in _cells_of(grid, kept, square) if c.__class__ is str]
    flat = _cells_of(grid, [i for i in kept if i not in numeric], square) if numeric else _cells_of(grid, kept, square)
    texts += [_digits_of(c) for c in flat if (c.__class__ is float or c.__class__ is int) and c >= 1e6]
    return "\n".join(texts)


def _digits_of(cell) -> str:
    """A cell as its digits would be typed: an 18-digit identity number typed into a General cell is kept
    by Excel as the float 1.10105198001010E+17, which display() shows in that form (no date, no region
    to see), while its digits still are the person's."""
    if cell.__class__ is float and cell.is_integer() and abs(cell) >= 1e15:
        return str(int(cell))
    return display(cell)


def _cells_of(grid: list[list], columns: list[int], square: bool) -> list:
    if square and len(columns) >= 2:
        return list(chain.from_iterable(map(itemgetter(*columns), grid)))
    return [cells[i] for cells in grid for i in columns if i < len(cells)]


def _privacy(sheet_key, sheet_name, row, column, value, col_no, kind):
    masked = _masked(value) if value else value
    return Problem(
        "file", sheet_name, row, column, masked,
        f"疑似{kind[0]}:本系統不收集身份證號或電話號碼,請刪除該列或該內容後重新提交",
        f"looks like {kind[1]}: safeschool does not collect identity-card or phone numbers; "
        "delete the column or value and send the file again",
        sheet_key=sheet_key, col_no=col_no,
    )
