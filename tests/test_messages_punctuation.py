"""The Chinese the commands and the sync's run print is punctuated as Chinese is (，；：（）), as the
dashboard's catalogue and every refusal (sync.errors.chinese_punctuation at Problem and UserError) are.
These modules write their own lines; a Latin comma slipped into a new one fails here, naming it."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

from sync.errors import chinese_punctuation

ROOT = Path(__file__).resolve().parent.parent
WRITE_THEIR_OWN_LINES = sorted([*ROOT.glob("sync/cli*.py"), ROOT / "sync/load.py"])
_CJK = re.compile(r"[\u4e00-\u9fff]")
_STRING_START = re.compile(r"([a-zA-Z]*)('''|\"\"\"|'|\")")
_STAND_IN = "\ue000"  # an f-string's {expression}: neither Chinese nor Latin, as its value may be either


def _text_of(literal: str) -> str | None:
    """The text of a one-line string literal holding Chinese, f-string expressions stood in for; None for
    a docstring, a raw or bytes literal (patterns, not messages) or a literal without Chinese."""
    m = _STRING_START.match(literal)
    prefix, quote = m[1].lower(), m[2]
    if len(quote) == 3 or "r" in prefix or "b" in prefix or not _CJK.search(literal):
        return None
    body = literal[len(m[0]):-len(quote)]
    return re.sub(r"\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}", _STAND_IN, body.replace("{{", "").replace("}}", "")) \
        if "f" in prefix else body


def _chinese_literals(path: Path) -> list[tuple[int, str]]:
    source = path.read_text(encoding="utf-8")
    return [(token.start[0], text) for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.STRING and (text := _text_of(token.string)) is not None]


@pytest.mark.parametrize("path", WRITE_THEIR_OWN_LINES, ids=lambda p: p.name)
def test_the_chinese_a_module_prints_itself_is_punctuated_as_chinese(path):
    written = [(line, text, chinese_punctuation(text)) for line, text in _chinese_literals(path)]
    assert written, "no Chinese found: the scan reads nothing"
    latin = [f"{path.name}:{line}: {text!r} -> {shown!r}" for line, text, shown in written if shown != text]
    assert not latin, "\n".join(latin)


def test_the_scan_finds_a_latin_comma_in_chinese(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('x = f"文件{name}不存在,請核對"\ny = r"(?:序号)"\n', encoding="utf-8")
    [(line, text)] = _chinese_literals(module)
    assert line == 1 and chinese_punctuation(text) != text


def test_a_message_made_chinese_slash_english_is_printed_with_chinese_punctuation(tmp_path, monkeypatch):
    """A deployment audit: the lock's 已有同步在進行,本次未啟動, the store's 數據庫尚未建立:請先運行 and the
    configuration's 配置有誤:環境變量 were printed with ASCII commas and colons (each made "中文 / English"
    in one string, which no UserError punctuated)."""
    from click.testing import CliRunner

    from sync.cli import main
    from sync.settings import reset_caches

    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", "sqlite:///")
    reset_caches()
    said = CliRunner().invoke(main, ["score", "--year", "2026"]).output
    assert said.startswith("safeschool: 配置有誤：環境變量"), said
    zh = said.split(" / ")[0]
    assert "只在內存中，命令結束即消失）；請寫上文件名，如" in zh and "configuration: SAFESCHOOL_DATABASE_URL: " in said


def test_a_value_quoted_as_python_writes_it_is_kept_as_written():
    """A review: a source named 'sis:學校' was said as 'sis：學校' in the message saying a name may not hold ':'."""
    assert chinese_punctuation("'sis:學校':數據源名稱不能含有「:」") == "'sis:學校'：數據源名稱不能含有「:」"
    assert chinese_punctuation('請寫成 "a,b",再試') == '請寫成 "a,b"，再試'
