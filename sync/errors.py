"""Errors a user can cause; the CLI and the dashboard show their text."""

import re


def first_line(err: BaseException) -> str:
    """The driver's own first line of a database error (not SQLAlchemy's SQL and parameter dump), or the
    error's kind."""
    lines = str(getattr(err, "orig", None) or err).strip().splitlines()
    return lines[0][:300] if lines else type(err).__name__


class UserError(Exception):
    """Something the person can fix: str(err) says what, where, and how (English, for the CLI and the
    log); `zh`, when given, says it in Chinese for the dashboard, in the dashboard's own words; `key`
    (with `values`), when given, names the dashboard catalogue's label that says it on a page, where the
    CLI's words (its options, --force) mean nothing (dashboard.layout.user_error_text)."""

    def __init__(self, message: str, zh: str | None = None, key: str | None = None, values: dict | None = None):
        super().__init__(message)
        self.zh, self.key, self.values = zh and chinese_punctuation(zh), key, values or {}


class ConfigError(Exception):
    """A configuration value is wrong; str(err) is the one line shown to the user, `zh` (when given) the
    same in Chinese, which the CLI prints first.  Here, not in sync.settings, so that scoring's rubric can
    raise it without loading the settings' database driver checks (scoring is pure)."""

    def __init__(self, message: str, zh: str | None = None):
        super().__init__(message)
        self.zh = zh and chinese_punctuation(zh)


_WIDE = re.compile(r"[\u2014\u2026\u201c\u201d\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")  # CJK text and its punctuation
# 「…」 and “…” quote a cell; '…' and "…" a value as Python writes it ({value!r}: a source named 'sis:學校'
# was shown as 'sis：學校' in the message saying it may not hold ':', found by a review)
_QUOTED = re.compile(r"「[^「」]*」|“[^“”]*”|'[^'\n]*'|\"[^\"\n]*\"")
_BRACKETED = re.compile(r" ?\(([^()]*)\)")
_MARK = re.compile(r"[,;:] *")
_LATIN = re.compile(r"[A-Za-z]")
_FULL_WIDTH = {",": "，", ";": "；", ":": "："}


def chinese_punctuation(text: str) -> str:
    """A Chinese message's commas, semicolons, colons and brackets in the full-width forms Chinese text is
    written with (請核對,或 -> 請核對，或), as the dashboard's own messages are: the sync's reasons are shown
    beside them.  A quoted value (「…」) is the cell as written and is kept; so are a comma or colon between
    digits (1,000; 09:30) and punctuation among Latin words (sqlite:///x.db, Excel (.xlsx))."""
    out, last = [], 0
    for quoted in _QUOTED.finditer(text):
        out += [_outside_quotes(text[last:quoted.start()]), quoted[0]]
        last = quoted.end()
    out.append(_outside_quotes(text[last:]))
    return "".join(out)


def _outside_quotes(part: str) -> str:
    def bracket(m: re.Match) -> str:
        before, after = _around(m)
        # "the registry (學校名冊) is empty" is English with a Chinese gloss; "請填 0 至 5 (含)" is Chinese
        a_gloss = _LATIN.match(before) or (m[0].startswith(" ") and after.isascii() and after.isalpha())
        if _WIDE.match(before) or _WIDE.match(after) or (_WIDE.search(m[1]) and not a_gloss):
            return f"（{m[1]}）"
        return m[0]

    def mark(m: re.Match) -> str:
        before, after = _around(m)
        if before.isdigit() and after.isdigit() and m[0] in (",", ":"):
            return m[0]  # 1,000 and 09:30
        if _WIDE.match(before) or (_WIDE.match(after) and (not _LATIN.match(before) or len(m[0]) == 1)):
            return _FULL_WIDTH[m[0][0]]  # 只能導出為 xlsx 或 csv，不能 too: Chinese goes on right after it
        return m[0]  # "safeschool: 已中斷" is a program's name, then its message

    return _MARK.sub(mark, _BRACKETED.sub(bracket, part))


def _around(m: re.Match) -> tuple[str, str]:
    """The characters just before and just after a match in the text it was found in (empty at either end)."""
    return m.string[max(m.start() - 1, 0):m.start()], m.string[m.end():m.end() + 1]
