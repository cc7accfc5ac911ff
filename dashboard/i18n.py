"""The message catalogue: every label the interface shows, in three languages.

Plain strings, no lazy objects (they break Dash's JSON).  The catalogue is the
JSON files in dashboard/messages/ (one per part of the interface, merged; a
key defined twice is an error).  Each entry gives Traditional Chinese
("zh-Hant", the plan's own script, the default) and English ("en");
Simplified ("zh-Hans") is converted from the Traditional text by OpenCC unless
an entry gives its own (for the few words where conversion is not enough).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from opencc import OpenCC

from sync.cells import simplified

LANGUAGES = ("zh-Hant", "zh-Hans", "en")
DEFAULT_LANGUAGE = "zh-Hant"
MESSAGES_DIR = Path(__file__).parent / "messages"
_t2s = OpenCC("t2s")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(MESSAGES_DIR.glob("*.json")):
        for key, entry in json.loads(path.read_text(encoding="utf-8")).items():
            if key in merged:
                raise ValueError(f"message {key!r} is defined twice (again in {path.name})")
            missing = {"zh-Hant", "en"} - set(entry)
            if missing:
                raise ValueError(f"message {key!r} in {path.name} lacks {', '.join(sorted(missing))}")
            merged[key] = {**entry, "zh-Hans": entry.get("zh-Hans") or _t2s.convert(entry["zh-Hant"])}
    return merged


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values) -> str:
    """The label for key in lang, with {placeholders} filled; an unknown key shows itself (and a test catches it)."""
    entry = catalogue().get(key)
    if entry is None:
        return key
    text = entry.get(lang if lang in LANGUAGES else DEFAULT_LANGUAGE) or entry[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


def to_language(text: str, lang: str) -> str:
    """Data written in Traditional Chinese (details, hints, names) shown in Simplified when asked: character by
    character, as the sync compares them (sync.cells.simplified), so a guard 沈靜 is 沈静 rather than the word
    沉静 that OpenCC's phrases read into the name."""
    if lang == "zh-Hans" and text:
        return simplified(text)
    return text


# A value the sync quotes from the workbook (「上週三」不是日期): kept as the cell holds it.
_QUOTED = re.compile(r"(「[^」]*」)")


def to_language_keeping_cell(text: str, lang: str, cell) -> str:
    """A sync reason in the reader's script, the cell it quotes as the workbook has it: 「上周三」不是日期
    sent the officer looking for a cell that holds 上週三.  Only the quote of `cell` is kept: the sheet and
    column names and Excel's menu words it quotes besides are the reader's (「常規」 is 常规 in a Simplified
    Excel; found by a regression audit)."""
    if lang != "zh-Hans" or not text:
        return text
    shown = "" if cell is None else str(cell).strip()
    return "".join(part if n % 2 and shown and part[1:-1].strip() == shown else _t2s.convert(part)
                   for n, part in enumerate(_QUOTED.split(text)))


# "中文 / English", as the sync writes a message both the dashboard and the log read: the first " / " after
# some Chinese and before an English letter parts the two (a path's "/" has no spaces around it).
_BILINGUAL = re.compile(r"^(?P<zh>[^\n]*?[\u3400-\u9fff][^\n]*?) / (?P<en>[A-Za-z].*)$", re.S)


def bilingual_text(text: str | None, lang: str) -> str:
    """A stored message in the reader's language: English readers get the English part of a "中文 / English"
    text; Chinese readers the text as stored (as the school page shows it), in Simplified when asked."""
    if not isinstance(text, str) or not text:
        return ""
    if lang == "en":
        parts = _BILINGUAL.match(text)
        return parts["en"] if parts else text
    return to_language(text, lang)
