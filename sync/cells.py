"""Cells as people type them, turned into the contract's values.

Every parser takes one raw cell (what python-calamine returns: str, float,
int, bool, date, datetime, or "" for an empty cell) and returns
`(value, problem)`: the typed value, or a problem `(reason_zh, reason_en)`
saying what is wrong with the cell in words the person who typed it can act
on.  Nothing is guessed: a cell that is not clearly one value is a problem,
never silently "fixed".

Labels (sheet names, headers, choices) are compared in a canonical form: NFKC
(full-width -> half-width), no whitespace, Simplified characters (opencc t2s
is many-to-one, so 牆/墻/墙 all meet), lower case.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Context, Decimal
from functools import cache, lru_cache
from itertools import product

from opencc import OpenCC

from sync import contract

# Hong Kong's forms of the Traditional characters too (衞 for 衛 in 安全保衞室, as a Hong Kong input
# method or OpenCC's t2hk writes it): the same word to every reader.
_HK_TO_SIMPLIFIED = OpenCC("hk2s")


class _ByCharacter(dict):
    """A str.translate table: each character as OpenCC converts it alone, looked up once.

    Character by character, never by phrase: OpenCC's phrase dictionaries read 沈靜 as the word 沉靜 (to
    sink) and made it 沉静, while 沈静, the same person written in Simplified, stayed 沈静: a guard or a
    campus compared across scripts must meet whatever words its characters happen to spell (found by a
    review when OpenCC's own binding replaced the pure-Python one)."""

    def __missing__(self, code: int) -> str:
        self[code] = converted = _HK_TO_SIMPLIFIED.convert(chr(code))
        return converted


_BY_CHARACTER = _ByCharacter()


def simplified(text: str) -> str:
    """`text` in Simplified characters, each converted alone (see _ByCharacter): the form labels, names and
    choices are compared in, and the form data is shown in on a Simplified page."""
    return text.translate(_BY_CHARACTER)

_SPACE = re.compile(r"\s+")

Problem = tuple[str, str]  # (reason_zh, reason_en)


# Characters nobody sees that come along when text is pasted from a web page or a chat: zero-width
# spaces and joiners, direction marks, the byte-order mark, the soft hyphen, the variation selectors a
# phone keyboard puts after a tick (✔️ is ✔ + U+FE0F).  They are stray spaces.  So are the direction
# embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): nothing a person sees, except that
# U+202E shows 「abc」 as 「cba」 and a campus carrying one matches no other row.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad\ufe0e\ufe0f"
                                   "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), None)


INVISIBLE_CHAR = re.compile("[" + "".join(map(chr, INVISIBLE)) + "]")  # found by C, not a dict look-up a character


def without_invisible(value):
    """`value` with the INVISIBLE characters taken out when it is text; anything else as it is.  Looked for
    first: most text holds none, and a sheet's text joined whole is checked so too (the privacy check)."""
    if value.__class__ is str and not value.isascii() and INVISIBLE_CHAR.search(value):
        return INVISIBLE_CHAR.sub("", value)
    return value


@lru_cache(maxsize=65536)
def canon(text) -> str:
    """The form two labels are compared in (學校代碼 == 学校代码 == ' 學校代碼 ' == 'ＳＣＨＯＯＬ_code')."""
    s = unicodedata.normalize("NFKC", str(text).translate(INVISIBLE))
    s = _SPACE.sub("", s).strip("*:：※★☆")  # ※演練日期, 日期★: a template's mark of a required column
    return simplified(s).lower()


_LINE_BREAK = re.compile(r"\s*[\r\n]+\s*")


def heading(value) -> str:
    """A header cell as one line, to name its column in a problem (one problem a line, in a log too): a
    heading wrapped as Chinese forms wrap theirs (演練⏎日期) is 演練日期; Drill⏎date is Drill date."""
    text = str(value).strip()
    if "\n" not in text and "\r" not in text:
        return text
    return _LINE_BREAK.sub(lambda m: " " if text[m.start() - 1].isascii() and text[m.end()].isascii() else "", text)


def is_empty(value) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def is_missing(value) -> bool:
    """Nothing stored: None, or the float NaN pandas leaves where a column held nothing (numpy's too)."""
    return value is None or (isinstance(value, float) and value != value)


def display(value) -> str:
    """A cell as the person sees it, for messages and the rejected-rows store."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # As Excel shows it: 15 significant digits, so 0.1+0.2 is 0.3, not 0.30000000000000004.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if (value.hour or value.minute or value.second) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):  # 7:20 as a cell formatted as a time shows it, not 07:20:00
        return value.strftime("%H:%M") if not (value.second or value.microsecond) else value.isoformat()
    if value.__class__ is int and not -_EXACT_DIGITS < value < _EXACT_DIGITS:
        # a database's numeric of hundreds of digits: quoted as 1E+400, not digit by digit (and past 4,300
        # digits str() refuses to write it at all; an audit)
        return str(Decimal(value).normalize(Context(prec=15)))
    return str(value).strip()


_EXACT_DIGITS = 10 ** 30  # a whole number below this is quoted digit for digit (9223372036854775808)


# ---------------------------------------------------------------- Excel errors

class ExcelError(str):
    """A cell whose formula failed (#DIV/0!, #N/A ...): the reader puts one where calamine gives ""."""


EXCEL_ERRORS = frozenset({
    "#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#GETTING_DATA", "#SPILL!", "#CALC!",
    "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
})
_LIBREOFFICE_ERROR = re.compile(r"^Err:\d{3}$")


class FormulaWithoutValue(ExcelError):
    """A formula saved with no calculated value (a file written by a program, never opened in Excel)."""


class ShownInAnotherUnit(float):
    """An amount whose cell's number format shows it in 萬元 or 千元 (1.5 shown as 1.50萬元): the
    reader of the sheet sees 1.5 萬元, the value stored is 1.5, and which the school meant cannot be
    told.  The report wraps such a cell of an amount column (the whole column so formatted refuses
    the file), and of a count column (1 shown as 100%); their parsers refuse it."""


class VolatileFormula(ExcelError):
    """=TODAY(), =NOW() and formulas built on them: the value saved is the day the file was last
    calculated, which moves with every save, not the day of the record."""


VOLATILE = re.compile(r"\b(?:TODAY|NOW)\s*\(", re.IGNORECASE)


class TextFormulaAsZero(float):
    """An .xls formula built of texts ("防踩踏"&"演練", IF(1,"","")) whose saved value is the number 0:
    LibreOffice saves a text formula's value so in an .xls, and every reader reads 0 (found by an audit:
    演練類型 stored as "0").  A number column reads it as the 0 it may well be (COUNTIF(..., "√")), and a
    yes/no column as the 否 of =IF(A2="是",1,0) saved by Excel (a review: refused as LibreOffice's); any other
    column refuses it, saying what to do."""


def _text_formula_in(column: contract.Column, value: TextFormulaAsZero) -> tuple:
    if column.kind in (contract.INT, contract.MONEY, contract.SCORE, contract.BOOL):
        return parse_cell(column, 0)
    return None, (
        "此單元格是公式，保存的值卻是 0（LibreOffice 把文字公式的結果存成 0）；請直接填寫內容，或用 Excel 或 WPS 打開後另存為 .xlsx 再提交",
        "this cell is a formula whose saved value is 0 (LibreOffice saves a text formula's result so in an .xls); "
        "type the text itself, or open the file in Excel or WPS, save it as .xlsx and send it again")


class MergedNumber(float):
    """A number shown over several rows by one cell merged down: the reader puts one in each row under
    the top one.  An amount or points merged over several records is one sum, not each record's own, so
    an amount or points column refuses it (saying so); any other column, counts included (參演班級數
    12 merged over four drills of the same classes, as WPS's 合併相同單元格 leaves it), reads the number
    as shown on each row."""

    top_row: int = 0

    @classmethod
    def below(cls, value: float, top_row: int) -> MergedNumber:
        merged = cls(value)
        merged.top_row = top_row
        return merged


def _merged_in(column: contract.Column, value: MergedNumber) -> tuple:
    """A MergedNumber read in `column`: refused in an amount or points column, else the number shown."""
    if column.kind in (contract.MONEY, contract.SCORE):
        return None, _merged_number(value)
    return parse_cell(column, float(value))


def _merged_number(value: MergedNumber) -> Problem:
    v = display(float(value))
    return (f"此單元格與第{value.top_row}行合併,「{v}」只是第{value.top_row}行的數;一個數不能同時算作幾條記錄,"
            "請取消合併,每行填寫自己的數",
            f"this cell is merged with row {value.top_row}, whose '{v}' it shows: one number cannot count for "
            "several records; unmerge the cells and write each row's own number")


def excel_error(value) -> str | None:
    """The error text when `value` is a failed formula (also one saved or pasted as text), else None."""
    if value.__class__ is ExcelError or value.__class__ is FormulaWithoutValue or value.__class__ is VolatileFormula:
        return str(value)
    if value.__class__ is str and value[:1] in "#E":
        text = value.strip()
        if text.upper() in EXCEL_ERRORS or _LIBREOFFICE_ERROR.match(text):
            return text
    return None


def _formula_error(text: str, volatile: bool = False, date_column: bool = True) -> Problem:
    """volatile: the formula is on TODAY() or NOW(), perhaps through a defined name (=MyDate) its text does
    not show; outside a date column (=YEAR(TODAY()) as the year) the school is asked for the value."""
    if text.startswith("=") and (volatile or VOLATILE.search(text)):
        if not date_column:
            return (f"公式「{text}」取決於打開或保存文件的當天(TODAY/NOW),每次保存都會變;請直接填寫數值",
                    f"the formula '{text}' depends on the day the file is opened or saved (TODAY/NOW), which "
                    "changes with every save; type the value itself")
        return (f"公式「{text}」給出的是打開或保存文件當天的日期,每次保存都會變,不是記錄的日期;請直接填寫日期",
                f"the formula '{text}' gives the day the file is opened or saved, which changes with every save, "
                "not the day of the record; type the date itself")
    if text.startswith("="):
        return (f"公式「{text}」沒有計算結果,請用 Excel 或 WPS 打開文件、保存後重新提交",
                f"the formula '{text}' has no calculated value; open the file in Excel or WPS, save it again "
                "and send it")
    return (f"單元格是公式錯誤「{text}」,請改正公式或直接填寫數值",
            f"the cell holds a formula error '{text}'; fix the formula or type the value")


# ---------------------------------------------------------------- messages

def _p(zh: str, en: str) -> Problem:
    return (zh, en)


def required_missing(label_zh: str, label_en: str) -> Problem:
    return _p(f"「{label_zh}」必須填寫", f"'{label_en}' must be filled in")


# ---------------------------------------------------------------- text

def _norm_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (date, datetime, time, bool, int)):
        return display(value)  # an int past 4,300 digits (a database's 1E+5000) str() will not write (a review)
    return str(value).strip()


# Control characters (a NUL from an old .xls or a database) cannot be stored in PostgreSQL text and
# are never meant: the cell is refused, not cleaned.  Tab, line feed and carriage return are text.  So are
# the non-characters U+FFFE/U+FFFF and a lone surrogate, which XML cannot hold: a school named with one
# stopped the Word circular and made the .xlsx exports files Excel repairs (an audit of the exports).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
CODE_MAX_LENGTH = 32  # the store's school-code column


def _control_problem(text: str) -> Problem:
    shown = _CONTROL.sub("?", text)
    return _p(f"「{shown}」含有不可見的控制字符,請重新輸入該單元格",
              f"'{shown}' holds an invisible control character; type the cell again")


# What people write in a cell to say "nothing here": read as the empty cell it stands for, so 保安公司
# 「無」 is a guard hired directly (E2) and 評定結果「/」 a drill without an evaluation (D4), never a
# company or a result called 無.
PLACEHOLDERS = frozenset({"無", "无", "沒有", "没有", "暫無", "暂无", "空", "/", "／", "-", "－", "—", "——", "--",
                          "n/a", "na", "none", "null", "nil", "未評定", "未评定", "未評", "未评"})


def _typed_forms(c: str) -> set[str]:
    """A character of a placeholder as it may be typed: either case, and full-width, as a Chinese input
    method in full-width mode types N/A (Ｎ／Ａ)."""
    forms = {c.lower(), c.upper()}
    return forms | {chr(ord(f) + 0xFEE0) for f in forms if "!" <= f <= "~"}


# Every case and width form of the Latin placeholders (N/A, Na, NONE, Ｎ／Ａ ...), for a lookup without
# .lower() or NFKC.  Half-width alone, 保安公司「Ｎ／Ａ」 was a security company (E2), 評定結果 a result (D4),
# 責任人 an owner (F2), and 完成日期「Ｎ／Ａ」 refused the hazard its half-width twin keeps open (an audit of
# twin counties).
_PLACEHOLDER_FORMS = frozenset(
    "".join(form) for word in PLACEHOLDERS
    for form in product(*(_typed_forms(c) for c in word)))

# （無）, 【無】, 無。: a placeholder in brackets or with a full stop is still one (a held-out county's
# forms wrote them so, and 保安公司「（無）」 was credited as a company).
_PLACEHOLDER_WRAPPING = "()（）[]［］【】〔〕「」『』<>＜＞《》\"'“”‘’.。,，;；!！、 \u3000"


def is_placeholder(text: str, placeholders: frozenset = PLACEHOLDERS) -> bool:
    """Whether `text` is one of `placeholders` (無, /, N/A), as typed or in brackets or with a full stop."""
    text = text.strip()
    if len(text) <= 4 and _half_width(text).lower() in placeholders:
        return True
    bare = text.strip(_PLACEHOLDER_WRAPPING)
    return bare != text and 0 < len(bare) <= 4 and _half_width(bare).lower() in placeholders


def _half_width(text: str) -> str:
    """Full-width letters, digits and signs made half-width (Ｎ／Ａ is N/A); ASCII as it is."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def parse_text(value, placeholders: bool = True, max_length: int = 5000):
    """Text as typed; with `placeholders` (an optional column), 無 or / is the empty cell it stands for.
    A required column keeps it as written: a campus called "/" is still a campus the guards refer to."""
    text = _norm_text(value)
    if _CONTROL.search(text):
        return None, _control_problem(_shown(text))
    if len(text) > max_length:
        # Refused here, as a row: at the store a value too long fails the whole source (found by an audit).
        return None, _p(f"內容太長({len(text):,} 個字),最多 {max_length:,} 個字;請精簡,詳細材料留在學校存檔中",
                        f"too long ({len(text):,} characters, at most {max_length:,}); shorten it and keep the "
                        "details in the school's own files")
    if placeholders and is_placeholder(text):
        return None, None
    return text, None


def parse_code(value):
    """School codes: full-width digits and stray spaces are the same code."""
    # A leading apostrophe is how people keep Excel from eating the zeros ('0123): not part of the code.
    code = _SPACE.sub("", unicodedata.normalize("NFKC", _norm_text(value))).lstrip("'‘’`")
    if _CONTROL.search(code):
        return _CONTROL.sub("", code)[:CODE_MAX_LENGTH], _control_problem(code)
    if len(code) > CODE_MAX_LENGTH:
        return code[:CODE_MAX_LENGTH], _p(f"「{code}」太長,不是學校代碼(最多{CODE_MAX_LENGTH}位);請填教育局名冊上的學校代碼",
                                          f"'{code}' is too long to be a school code (at most {CODE_MAX_LENGTH}); "
                                          "write the code the bureau's registry gives")
    return code, None


# ---------------------------------------------------------------- yes / no

# The contract's forms (是/否, Y/N, ✓/✗, 1/0, true/false), the spelled-out yes/no, and the other glyphs
# of the same tick and cross (✔ √ ☑ ✅ / ✘ × ✕ ✖ ☒ ❌: × in other weights, and a phone keyboard's tick and
# cross).  Nothing else: 有/無, 對, t/f are not guessed.
_YES = {"是", "y", "yes", "✓", "✔", "√", "☑", "✅", "1", "true"}
_NO = {"否", "n", "no", "✗", "✘", "×", "✕", "✖", "☒", "❌", "0", "false"}
YES_NO_WORDS = frozenset(_YES | _NO)


def parse_bool(value):
    if isinstance(value, bool):
        return value, None
    if isinstance(value, (int, float)):
        if value == 1:
            return True, None
        if value == 0:
            return False, None
    else:
        text = str(value)
        key = unicodedata.normalize("NFKC", text).strip().lower() if len(text) <= _LABEL_MAX else ""
        key = key.removesuffix(".0") if key in ("1.0", "0.0") else key
        if key in _YES:
            return True, None
        if key in _NO:
            return False, None
    v = _shown(display(value))
    return None, _p(f"「{v}」不是是/否,請填 是 或 否", f"'{v}' is not a yes/no answer; write 是 (yes) or 否 (no)")


# ---------------------------------------------------------------- dates

# The time of day a drill's or a lecture's date may carry, which the day does not depend on: 09:30,
# 9時30分, 下午3點, 上午 alone, and Chinese Windows' text of a date and time, 2026/3/5 下午 02:30:00.  Nothing
# else after a date: 2026-3-5 上午第二節 or 2026-3-5至3-8 may not be one day.
_HALF_DAY = r"(?:上午|下午|中午|晚上|早上|凌晨|傍晚)"
_CLOCK = (r"(?:(?:(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?|24:00(?::00)?)(?:\s*[AaPp][Mm])?"
          r"|(?:[01]?\d|2[0-4])\s*[時时點点](?:\s*(?:半|[0-5]?\d\s*分(?:\s*[0-5]?\d\s*秒)?))?)")
_TIME_OF_DAY = rf"(?:(?:\s+|T|(?<=[日號号)])){_CLOCK}|\s*{_HALF_DAY}(?:\s*{_CLOCK})?)"
_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日號号]?"
    # The weekday WPS's long date adds, pasted as text: 2026年3月5日 星期四, 2026-03-05(周四), and in
    # brackets alone, as a diary writes it: 2026-03-05（四）; before or after a time of day.
    r"(?:\s*(?:\((?:星期|周|週|禮拜|礼拜)?([一二三四五六日天])\)?|(?:星期|周|週|禮拜|礼拜)([一二三四五六日天])\)?))?"
    rf"(?P<time>{_TIME_OF_DAY})?"
    r"(?:\s*(?:\((?:星期|周|週|禮拜|礼拜)?([一二三四五六日天])\)?|(?:星期|周|週|禮拜|礼拜)([一二三四五六日天])\)?))?$"
)
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}


@lru_cache(maxsize=65536)
def _date_from_text(text: str):
    m = _DATE_TEXT.match(unicodedata.normalize("NFKC", text[:_LABEL_MAX]).strip()) if len(text) <= _LABEL_MAX else None
    if not m:
        text = _shown(text)
        return None, _p(
            f"「{text}」不是日期,請寫成 2026-03-05 或 2026年3月5日",
            f"'{text}' is not a date; write it like 2026-03-05 or 2026年3月5日",
        )
    try:
        day = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None, _p(f"「{text}」這一天不存在,請核對月份和日期", f"'{text}' is not a real calendar day; check the month and day")
    # a weekday before the time and one after it (a long date pasted beside a diary's): each must agree
    if any(_WEEKDAYS[w] != day.weekday() for w in (m[4] or m[5], m[7] or m[8]) if w):  # which was meant?
        text = _shown(text)
        return None, _p(f"「{text}」的日期與星期不符,請核對", f"'{text}': the date and the weekday disagree; check which is right")
    return day, None


def time_of_day(value) -> str | None:
    """The time a date cell carries besides its day (a real date-time, or text with 9:30 or 下午3點), as one
    clock reads it (15:00 for 下午3點, 15:00 and 3:00 PM alike); None for a day alone or midnight, as a real
    date's cell holds it.  Two drills the same day at 09:00 and 14:00 are two rows that differ; one at
    09:00 written again as 9:00, 上午9點 or as a real date-time is the same row (the duplicate check
    compared the text as written and counted such a copy twice; found by a regression audit)."""
    if isinstance(value, datetime):
        return _clock(value.hour, value.minute, value.second + value.microsecond / 1e6)
    if isinstance(value, str) and len(value) <= _LABEL_MAX:
        m = _DATE_TEXT.match(unicodedata.normalize("NFKC", value).strip())
        return _time_text(_SPACE.sub("", m["time"])) if m and m["time"] else None
    return None


_AFTERNOON = ("下午", "晚上", "傍晚")


def _time_text(text: str) -> str | None:
    """A time of day as written after a date (_TIME_OF_DAY, spaces taken out) on one clock."""
    half = re.match(_HALF_DAY, text)
    rest = text[half.end():] if half else text
    numbers = re.findall(r"\d+(?:\.\d+)?", rest)
    if not numbers:
        return half[0] if half else None  # 下午 alone: the half of the day is all it says
    hour = int(numbers[0])
    minute = 30 if "半" in rest else (int(numbers[1]) if len(numbers) > 1 else 0)
    second = float(numbers[2]) if len(numbers) > 2 else 0.0
    suffix = rest[-2:].lower()
    if hour < 12 and (suffix == "pm" or (half and half[0] in _AFTERNOON) or (half and half[0] == "中午" and hour < 11)):
        hour += 12  # 下午3點, 3:00 PM: 15:00; 中午1點: 13:00 (中午12點 stays noon)
    elif hour == 12 and (suffix == "am" or (half and half[0] == "凌晨")):
        hour = 0  # 12:30 AM is half past midnight
    return _clock(hour, minute, second)


def _clock(hour: int, minute: int, second: float) -> str | None:
    """09:00 (09:00:30 where the seconds say more); None at midnight, a date's own time."""
    if (hour, minute, second) == (0, 0, 0):
        return None
    return f"{hour:02d}:{minute:02d}" + (f":{second:06.3f}".rstrip("0").rstrip(".") if second else "")


def parse_date(value):
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, str):
        return _date_from_text(value)
    if isinstance(value, (timedelta, time)):
        v = display(value)
        if value in (time(0, 0), timedelta(0)):
            # calamine reads a date cell's serial 0 or below (a date before 1900 written by a program;
            # Excel itself shows #####) as midnight: not "a time of day" to the person who typed 1890.
            return None, _p(f"「{v}」不是日期:單元格存的是 0 或負數(1900 年以前的日期,Excel 顯示為 #####;或只填了時間 0:00);"
                            "請填寫如 2026-03-05 的日期",
                            f"'{v}' is not a date: the cell holds 0 or a negative number (a date before 1900, which Excel "
                            "shows as #####, or only the time 0:00); enter a date such as 2026-03-05")
        return None, _p(f"「{v}」是時間不是日期,請填寫日期,如 2026-03-05", f"'{v}' is a time of day, not a date; write the date, like 2026-03-05")
    v = display(value)
    if isinstance(value, bool):
        return None, _p(f"「{v}」是是/否(TRUE/FALSE)不是日期,請填寫日期,如 2026-03-05",
                        f"'{v}' is a yes/no (TRUE/FALSE) value, not a date; write a date like 2026-03-05")
    return None, _p(
        f"「{v}」是數字不是日期,請把單元格設為日期格式或寫成 2026-03-05",
        f"'{v}' is a number, not a date; format the cell as a date or write it like 2026-03-05",
    )


# ---------------------------------------------------------------- numbers

_WHOLE = re.compile(r"^\+?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.0*)?$")
_DECIMAL = re.compile(r"^\+?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(\.[0-9]*)?$")  # 100. is 100, as 600. is a count of 600


_NEGATIVE_ZERO = re.compile(r"^-0+(?:\.0*)?$")
_SPACED_THOUSANDS = re.compile(r"^[+-]?[0-9]{1,3}(?: [0-9]{3})+(?:\.[0-9]+)?$")
# Full-width digits and signs, as a Chinese input method types a number; nothing else is made a digit
# (NFKC would read a footnote mark 1200¹ as 12001 and ① as 1).
_FULL_WIDTH_NUMBER = str.maketrans({**{0xFF10 + i: str(i) for i in range(10)}, "，": ",", "．": ".", "－": "-",
                                    "＋": "+", "\u3000": " ", "￥": "¥", "\u00a0": " "})


def _number_text(value, currency: bool = False) -> str:
    """The number as typed, full-width made half-width; a space inside counts only as a thousands
    separator between groups of three (1 200), otherwise 12 34 stays not a number."""
    text = str(value).translate(INVISIBLE).translate(_FULL_WIDTH_NUMBER).strip()
    if currency:  # yuan only: $1200 is not 1200 yuan
        text = text.removeprefix("¥").removesuffix("元").strip()
    text = _SPACE.sub(" ", text)
    if _NEGATIVE_ZERO.match(text):  # -0, as a calculation or a habit writes "nothing": zero, not negative
        return "0"
    return text.replace(" ", "") if _SPACED_THOUSANDS.match(text) else text


def shortened(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, the cut shown by "…" (a hostile cell of thousands of them)."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _shown(v: str) -> str:
    """A cell's text as quoted in a message."""
    return shortened(v, 40)


def _not_number(v: str) -> Problem:
    v = _shown(v)
    return _p(f"「{v}」不是數字,請只填阿拉伯數字,如 12(不寫漢字、單位或說明)",
              f"'{v}' is not a number; write digits only, like 12 (no words, units or notes)")


def _not_whole(v: str) -> Problem:
    return _p(f"「{v}」不是整數,人數、班級數等請填整數,如 3",
              f"'{v}' is not a whole number; a count of people or classes is whole, like 3")


def _negative(v: str) -> Problem:
    return _p(f"「{v}」是負數,這裡不能小於 0,請填 0 或正數", f"'{v}' is negative; it cannot be below 0 here: write 0 or more")


MAX_COUNT = 10_000_000  # more than any school's people or classes; the store's INTEGER holds 2**31
MAX_AMOUNT = 10 ** 10  # ten billion yuan; the store's NUMERIC(14, 2) holds below 10**12
# Points: the evaluation has 100, and a deduction above a school's total takes it to 0 (rules.md "floor
# 0"), so 150 is a bureau's way of saying "nothing"; ten thousand is a slip of the keyboard.
MAX_POINTS = 10_000
_LABEL_MAX = 100  # characters: no choice, header or sheet name is longer
_MAX_DIGITS = 18


def _too_large(v: str, limit) -> Problem:
    v = _shown(v)
    return _p(f"「{v}」太大,不合理(應小於 {limit:,}),請核對數字",
              f"'{v}' is too large to be right (expected below {limit:,}); check the figure")


def parse_int(value):
    """A non-negative whole count: 12, '12', '１２', '1,200', 12.0 (below MAX_COUNT)."""
    if value.__class__ is ShownInAnotherUnit:
        v, shown = display(float(value)), f"{float(value) * 100:g}%"
        return None, _p(f"「{v}」的單元格格式顯示為百分數或其他單位(如顯示為 {shown}):請填寫人數或個數本身,並把單元格格式改為「常規」或「數值」",
                        f"'{v}' is formatted to show a percentage or another unit (e.g. {shown}): write the count "
                        "itself and set the cell's format to General or Number")
    count, problem = _parse_int(value)
    if problem is None and count >= MAX_COUNT:
        return None, _too_large(display(value), MAX_COUNT)
    return count, problem


def _parse_int(value):
    if isinstance(value, bool):
        v = display(value)
        return None, _not_number(v)
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            return None, _not_number(display(value))
        if value < 0:
            return None, _negative(display(value))
        # As Excel shows it (15 significant digits): a count it calculated (=G2*50.05-0.6) is saved
        # as 599.9999999999999 and shown, and meant, as 600.
        if isinstance(value, int):  # whole, however large (float() of 1E+400 overflows; an audit)
            return int(value), None
        shown = float(f"{value:.15g}")
        if shown.is_integer():
            return int(shown), None
        v = display(value)
        return None, _not_whole(v)
    text = _number_text(value)
    m = _WHOLE.match(text)
    if m:
        digits = m[1].replace(",", "")
        if len(digits) > _MAX_DIGITS:  # int() of thousands of digits raises; far beyond any count anyway
            return None, _too_large(display(value), MAX_COUNT)
        return int(digits), None
    v = display(value)
    if text.startswith("-") and _DECIMAL.match(text[1:]):
        return None, _negative(v)
    if _DECIMAL.match(text):
        return None, _not_whole(v)
    return None, _not_number(v)


def _parse_decimal(value, *, currency: bool):
    if isinstance(value, bool):
        return None, _not_number(display(value))
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            return None, _not_number(display(value))
        if value < 0:
            return None, _negative(display(value))
        if value.__class__ is int and value >= _EXACT_DIGITS:  # no float holds 1E+400 (a database's numeric)
            return None, _too_large(display(value), MAX_AMOUNT if currency else MAX_POINTS)
        return float(value) + 0.0, None  # -0.0 (a calculation's zero) would be shown as -0
    text = _number_text(value, currency)
    m = _DECIMAL.match(text)
    v = display(value)
    if m:
        number = float(m[1].replace(",", "") + (m[2] or ""))
        if number == _INFINITY:  # a text of hundreds of digits
            return None, _too_large(v, MAX_AMOUNT if currency else MAX_POINTS)
        return number, None
    if text.startswith("-") and _DECIMAL.match(text[1:]):
        return None, _negative(v)
    return None, _not_number(v)


def parse_money(value):
    if value.__class__ is ShownInAnotherUnit:
        v = display(float(value))
        return None, _p(f"「{v}」的單元格格式顯示為萬元、千元、外幣或百分數:請以元為單位填寫金額,並把單元格格式改為「常規」或「數值」",
                        f"'{v}' is formatted to show ten thousands or thousands of yuan, another currency or a "
                        "percentage: write the amount in yuan and set the cell's format to General or Number")
    amount, problem = _parse_decimal(value, currency=True)
    if problem is None and amount >= MAX_AMOUNT:
        return None, _too_large(display(value), MAX_AMOUNT)
    if problem is None:
        # What Excel shows and stores as typed: a sum like 100.1+200.2 is saved as 300.29999999999995
        # and shown as 300.3, which is the amount the person sees and means.
        shown = float(f"{amount:.15g}")
        if round(shown, 2) != shown:
            v = display(value)
            return None, _p(f"「{v}」金額最多兩位小數,請寫到分,如 1200.50",
                            f"'{v}': an amount has at most two decimals; write it to the fen, like 1200.50")
        return round(shown, 2), None
    return amount, problem


def parse_score(value):
    """Points (a deduction, assessed points), non-negative and below MAX_POINTS: assessed points are
    held to their indicator's maximum by the row checks, and a deduction above a school's total takes
    it to 0 (rules.md: "subtracted from the total, floor 0")."""
    points, problem = _parse_decimal(value, currency=False)
    if problem is not None and value.__class__ is str and _POINTS_WRITTEN.match(value.strip()):
        # 「2分」「6.5 分」「扣2分」: points as the bureau writes them, as 元 may follow an amount (扣2分 was
        # refused, found by an audit); a problem still quotes the cell as written.
        points, shorn = _parse_decimal(_POINTS_WRITTEN.match(value.strip())[1], currency=False)
        problem = None if shorn is None else problem
    if problem is not None and _looks_negative(value):
        # a deduction is what is taken off: 2, and -2 is no second way of writing it (nor are assessed points
        # below 0); the plain "write 0 or more" left the bureau guessing (an audit)
        return None, _p(f"「{display(value)}」是負數;扣分和考評得分請寫正數(扣 2 分寫 2,不寫 -2)",
                        f"'{display(value)}' is negative; deductions and assessed points are written as positive "
                        "numbers (a deduction of 2 is 2, not -2)")
    if problem is None and points >= MAX_POINTS:
        return None, _too_large(display(value), MAX_POINTS)
    return points, problem


# 扣2分, 2分, 扣 2: a number with the bureau's words about it (the number itself is checked as any other)
_POINTS_WRITTEN = re.compile(r"^扣?\s*([^分扣]+?)\s*分?$")


def _looks_negative(value) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value < 0
    return value.__class__ is str and unicodedata.normalize("NFKC", value).strip().startswith(("-", "−"))


# ---------------------------------------------------------------- choices

@lru_cache(maxsize=256)
def _choice_index(choices: tuple[str, ...]) -> dict[str, str]:
    return {canon(c): c for c in choices}


# A list's number before an item and a full stop after it, as an office numbers the fourteen 基礎工作
# items it copies from the plan (1.安全工作領導小組, 2、第一責任人, （三）責任清單, 醒目標牌。).
_LIST_NUMBER = re.compile(r"^(?:(?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})[.、)]|\((?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})\))")


def parse_choice(value, choices: tuple[str, ...]):
    text = _norm_text(value)
    # No choice is long: a page of text is not canonicalised (nor kept in canon's cache).
    found = _choice_index(choices).get(canon(text)) if len(text) <= _LABEL_MAX else None
    if found is None and len(text) <= _LABEL_MAX:
        bare = _LIST_NUMBER.sub("", unicodedata.normalize("NFKC", text).strip()).rstrip("。.")
        found = _choice_index(choices).get(canon(bare)) if bare else None
    if found is not None:
        return found, None
    listed = "、".join(choices)
    text = _shown(text)
    return None, _p(f"「{text}」不在可選項內,應為:{listed}", f"'{text}' is not one of the allowed values: {listed}")


_PARSERS = {
    contract.TEXT: parse_text,
    contract.INT: parse_int,
    contract.DATE: parse_date,
    contract.BOOL: parse_bool,
    contract.MONEY: parse_money,
    contract.SCORE: parse_score,
}


@cache
def cell_parser(column: contract.Column):
    """The parser of `column`'s cells (parse_cell without the dispatch, for the tight loop).

    Most cells of a county are the plain, clean case of their column (a real date, a whole number,
    是/否 again and again): a quick path types those in a few operations and hands everything else,
    unchanged, to the full parser, so what is accepted or refused is exactly parse_cell's."""
    if column.key == "school_code" or column.key == "year":
        return lambda value: parse_cell(column, value)
    if column.kind == contract.CHOICE:
        choices = column.choices

        def inner(value):
            return parse_choice(value, choices)
    elif column.kind == contract.TEXT:
        optional, longest = not column.required, column.max_length

        def inner(value):
            return parse_text(value, optional, longest)
    elif column.units:
        units = column.units

        def inner(value):
            return parse_count_with_unit(value, units)
    else:
        inner = _PARSERS[column.kind]
    blank = _placeholders_of(column)

    def full(value):
        if value == "" or value is None or (value.__class__ is str and not value.strip()):
            return None, None
        if blank and value.__class__ is str and is_placeholder(value, blank):
            return None, None
        error = excel_error(value)
        if error is not None:
            return None, _formula_error(error, value.__class__ is VolatileFormula, column.kind == contract.DATE)
        if value.__class__ is MergedNumber:
            return _merged_in(column, value)
        if value.__class__ is TextFormulaAsZero:
            return _text_formula_in(column, value)
        return inner(value)
    quick = _QUICK.get(column.kind)
    if quick is None:
        return _remembering_text(full)
    if column.kind == contract.TEXT:
        return quick(full, placeholders=not column.required, max_length=column.max_length)
    return quick(_remembering_text(full))


# A column's text cells repeat (是, 否, 已整改, the same date typed as text): their outcome depends on the
# text alone, so it is worked out once per distinct text.  Only plain str: an ExcelError is a str too.
_REMEMBERED_TEXTS = 1024  # per column: a few hundred kB at most, whatever a hostile file holds


def _remembering_text(full):
    seen: dict[str, tuple] = {}

    def parse(value):
        if value.__class__ is str:
            hit = seen.get(value)
            if hit is None:
                hit = full(value)
                if len(seen) < _REMEMBERED_TEXTS:
                    seen[value] = hit
            return hit
        return full(value)
    return parse


def _quick_text(full, placeholders: bool = True, max_length: int = 5000):
    forms = _PLACEHOLDER_FORMS if placeholders else frozenset()

    def parse(value):
        # Not empty, not a possible formula error ("#..." or "Err:..."), no control character, not too
        # long: the text.
        if value.__class__ is str and value[:1] not in "#E":
            text = value.strip()
            # isprintable is False for every _CONTROL character, so it answers the common case in C.
            if text and len(text) <= max_length and (text.isprintable() or _CONTROL.search(text) is None) and (
                    len(text) > 6 or (text not in forms and not (forms and (
                        text[0] in _PLACEHOLDER_WRAPPING or text[-1] in _PLACEHOLDER_WRAPPING)))):
                return text, None
        return full(value)
    return parse


def _quick_date(full):
    def parse(value):
        cls = value.__class__
        if cls is datetime:
            return value.date(), None
        if cls is date:
            return value, None
        return full(value)
    return parse


def _quick_int(full):
    def parse(value):
        if value.__class__ is float and 0 <= value < MAX_COUNT and value.is_integer():
            return int(value), None
        if value.__class__ is int and 0 <= value < MAX_COUNT:
            return value, None
        return full(value)
    return parse


def _quick_money(full):
    def parse(value):
        if value.__class__ is float and 0 <= value < MAX_AMOUNT and round(value, 2) == value:
            return value + 0.0, None  # -0.0 passes 0 <= value: made 0.0, as the full parser does
        return full(value)
    return parse


def _quick_score(full):
    def parse(value):
        if value.__class__ is float and 0 <= value < MAX_POINTS:
            return value + 0.0, None
        return full(value)
    return parse


_INFINITY = float("inf")
_QUICK = {
    contract.TEXT: _quick_text,
    contract.DATE: _quick_date,
    contract.INT: _quick_int,
    contract.MONEY: _quick_money,
    contract.SCORE: _quick_score,
}


def _placeholders_of(column: contract.Column) -> frozenset:
    """完成日期「/」 (not closed yet), 弄虛作假「無」, 離崗日期「—」: in an optional column, the empty cell they
    stand for, as in a text column (whose parser knows them itself)."""
    return PLACEHOLDERS if not column.required and column.kind != contract.TEXT else frozenset()


def parse_cell(column: contract.Column, value):
    """One cell of `column`: (value or None, problem or None). An empty cell is None (required is checked by the caller)."""
    if value == "" or value is None or (value.__class__ is str and not value.strip()):
        return None, None
    if value.__class__ is str and is_placeholder(value, _placeholders_of(column)):
        return None, None
    error = excel_error(value)
    if error is not None:
        return None, _formula_error(error, value.__class__ is VolatileFormula, column.kind == contract.DATE)
    if value.__class__ is MergedNumber:
        return _merged_in(column, value)
    if value.__class__ is TextFormulaAsZero:
        return _text_formula_in(column, value)
    if column.key == "school_code":
        return parse_code(value)
    if column.key == "year" and isinstance(value, str):
        year = value.strip().removesuffix("年度").removesuffix("年")  # 「2026年」 is the year 2026
        parsed, problem = _PARSERS[column.kind](year)
        # A problem quotes the year as it was written (「2026學年」), not what was left of it.
        return (parsed, None) if problem is None else _PARSERS[column.kind](value)
    if column.kind == contract.CHOICE:
        return parse_choice(value, column.choices)
    if column.kind == contract.TEXT:
        return parse_text(value, not column.required, column.max_length)
    if column.units:
        return parse_count_with_unit(value, column.units)
    return _PARSERS[column.kind](value)


def parse_count_with_unit(value, units: tuple[str, ...]):
    """A count that may carry one of its column's units (「600人」, 「12 個班」), as an amount may carry 元 and
    points 分; a problem quotes the cell as written."""
    count, problem = parse_int(value)
    if problem is None or value.__class__ is not str:
        return count, problem
    text = value.strip()
    unit = next((u for u in units if text.endswith(u)), None)
    if unit is None:
        return count, problem
    count, shorn = parse_int(text.removesuffix(unit))
    return (count, None) if shorn is None else (None, problem)
