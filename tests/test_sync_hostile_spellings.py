"""Every check made of an .xlsx before calamine opens it reads the XML as any valid writer may spell it.

Found by an audit that tried, against each byte pattern of sync.formats, the other spellings calamine
reads (element prefixes under a plain root, a long comment before the root, a part named in another
case, two relationship ids, a ">" inside an attribute's value, quotes and spaces about "=", comments
among the styles, character references, a styles part named otherwise, s="07").  Each spelling let a
file past a check: a cell at XFD1048576 reached calamine (which asks for 512 GB and aborts the process:
a failing case of the first group kills this test's worker), or an error cell read as empty, a bad
shared-text number read as the first text, an amount shown in 萬元 taken as yuan, a hidden column unsaid.
Each case starts from a demo school's workbook as the sync writes it and changes one part of it.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path

import pytest

from sync.report import check_file

TODAY = date(2026, 12, 1)
SML = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
S1, S2, S14 = "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet14.xml"
WORKBOOK, RELS, STYLES = "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    """A demo school's workbook: 填表說明 (sheet1), 學校概況 (sheet2, B2 the school's name as shared text),
    安全經費 (sheet14, C the amounts styled #,##0.00)."""
    from sync.demo import write_demo

    county = tmp_path_factory.mktemp("county")
    write_demo(county, schools=3, seed=1, today=TODAY)
    return sorted((county / "schools").rglob("*.xlsx"))[0]


def _rep(old: bytes, new: bytes):
    def change(data: bytes) -> bytes:
        assert old in data, old
        return data.replace(old, new, 1)
    return change


def _chain(*changes):
    def change(data: bytes) -> bytes:
        for one in changes:
            data = one(data)
        return data
    return change


def _sub(pattern: bytes, replacement):
    def change(data: bytes) -> bytes:
        changed, n = re.subn(pattern, replacement, data, count=1)
        assert n == 1, pattern
        return changed
    return change


_FAR_ROW = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
_FAR = _rep(b"</sheetData>", _FAR_ROW + b"</sheetData>")
_X_DECLARED = _rep(b"<worksheet ", b'<worksheet xmlns:x="' + SML + b'" ')
_Q_DECLARED = _rep(b"<worksheet ", b'<worksheet xmlns:q="urn:example:q" ')
_PREFIXED_FAR_ROW = _rep(b"</sheetData>",
                         b'<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row></sheetData>')
_AMOUNT_C2 = rb'<c r="C2" s="(\d+)"><v>([^<]*)</v></c>'
_IN_WAN = _rep(b'formatCode="#,##0.00"', 'formatCode="#,##0.00&quot;萬元&quot;"'.encode())
_COLUMN_C = rb'<col min="3" max="3"([^<>]*)/>'

FAR = "reaches cell XFD1048576"
IN_WAN = "formatted to show ten thousands"

# case: ({part: change}, {part: renamed to}, what the report must say)
CASES = {
    "prefixed cells under a plain root": ({S1: _chain(_X_DECLARED, _PREFIXED_FAR_ROW)}, {}, FAR),
    "a long comment before a prefixed root": ({S1: _chain(
        _rep(b'<worksheet xmlns="', b"<!--" + b"p" * 3000 + b'--><x:worksheet xmlns:x="'),
        _rep(b"</worksheet>", b"</x:worksheet>"), _PREFIXED_FAR_ROW)}, {}, FAR),
    "a sheet named in the relationships in another case": ({S1: _FAR, RELS: _rep(
        b'Target="worksheets/sheet1.xml"', b'Target="Worksheets/Sheet1.xml"')}, {}, FAR),
    "a decoy id before r:id": ({S1: _FAR, WORKBOOK: _chain(
        _rep(b"<workbook ", b'<workbook xmlns:foo="urn:example:foo" '),
        _rep(b'r:id="rId1"', b'foo:id="rId2" r:id="rId1"'))}, {}, FAR),
    "a sheet name holding >": ({S1: _FAR, WORKBOOK: _rep('name="填表說明"'.encode(), 'name="填表>說明"'.encode())},
                               {}, FAR),
    "a cell attribute holding />": ({S1: _chain(_Q_DECLARED, _rep(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" q:x="/>"><v>1</v></c></row></sheetData>'))}, {}, FAR),
    "a prefixed error cell": ({S14: _chain(_X_DECLARED, _sub(
        _AMOUNT_C2, rb'<x:c r="C2" s="\1" t="e"><v>#DIV/0!</v></x:c>'))}, {}, "#DIV/0!"),
    "a prefixed formula without a value": ({S14: _chain(_X_DECLARED, _sub(
        _AMOUNT_C2, rb'<c r="C2" s="\1"><x:f>A1/0</x:f></c>'))}, {}, "no calculated value"),
    "an error cell with > in another attribute": ({S14: _chain(_Q_DECLARED, _sub(
        _AMOUNT_C2, rb'<c r="C2" s="\1" q:note="a>b" t="e"><v>#DIV/0!</v></c>'))}, {}, "#DIV/0!"),
    "a prefixed value of a bad shared-text number": ({S2: _chain(_X_DECLARED, _sub(
        rb'<c r="B2" s="(\d+)" t="s"><v>\d+</v></c>', rb'<c r="B2" s="\1" t="s"><x:v>abc</x:v></c>'))}, {},
        "refers to text number"),
    "萬元 as character references": ({STYLES: _rep(
        b'formatCode="#,##0.00"', b'formatCode="#,##0.00&quot;&#33836;&#20803;&quot;"')}, {}, IN_WAN),
    "a style's format id in single quotes": ({STYLES: _chain(_IN_WAN, _rep(b'<xf numFmtId="166"',
                                                                           b"<xf numFmtId='166'"))}, {}, IN_WAN),
    "a style's format id with spaces about =": ({STYLES: _chain(_IN_WAN, _rep(
        b'<xf numFmtId="166"', b'<xf numFmtId = "166"'))}, {}, IN_WAN),
    "a comment among the cell styles": ({STYLES: _chain(_IN_WAN, _sub(
        rb'<cellXfs count="(\d+)">', rb'<cellXfs count="\1"><!-- <xf numFmtId="0"/> -->'))}, {}, IN_WAN),
    "a commented-out cell styles block first": ({STYLES: _chain(_IN_WAN, _rep(
        b"<numFmts", b"<!--<cellXfs></cellXfs>--><numFmts"))}, {}, IN_WAN),
    "the styles part named otherwise": ({STYLES: _IN_WAN, RELS: _rep(b'Target="styles.xml"', b'Target="Styles.xml"')},
                                        {STYLES: "xl/Styles.xml"}, IN_WAN),
    "a cell's style number with a leading zero": ({STYLES: _IN_WAN, S14: lambda data: data.replace(
        b's="%s"' % re.search(_AMOUNT_C2, data)[1], b's="0%s"' % re.search(_AMOUNT_C2, data)[1])}, {}, IN_WAN),
    "prefixed amount cells": ({STYLES: _IN_WAN, S14: _chain(_X_DECLARED, _sub(
        _AMOUNT_C2, rb'<x:c r="C2" s="\1"><v>\2</v></x:c>'))}, {}, IN_WAN),
    "a format holding > ": ({STYLES: _rep(b'formatCode="#,##0.00"',
                                          'formatCode="[>=0]#,##0.00&quot;萬元&quot;"'.encode())}, {}, IN_WAN),
    "hidden with spaces about =": ({S14: _sub(_COLUMN_C, rb'<col min="3" max="3"\1 hidden = "1"/>')}, {}, "is hidden"),
    "hidden with a newline before =": ({S14: _sub(_COLUMN_C, b'<col min="3" max="3"\\1 hidden\n="1"/>')}, {},
                                       "is hidden"),
    "a prefixed hidden column": ({S14: _chain(_X_DECLARED, _sub(_COLUMN_C, rb'<x:col min="3" max="3"\1 hidden="1"/>'))},
                                 {}, "is hidden"),
}


def _changed(base: Path, out: Path, changes: dict, renamed: dict) -> Path:
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(renamed.get(info.filename, info.filename), changes.get(info.filename, bytes)(data))
    return out


def test_the_demo_workbook_as_written_says_none_of_it(workbook):
    """The cases' starting point: none of what they must make the report say is said of it as written."""
    said = " ".join(p.reason_en for p in check_file(workbook, today=TODAY).problems)
    assert not any(says in said for _c, _r, says in CASES.values()), said


@pytest.mark.parametrize("case", list(CASES))
def test_a_workbook_spelt_otherwise_is_checked_as_excels_own(workbook, tmp_path, case):
    changes, renamed, says = CASES[case]
    path = _changed(workbook, tmp_path / "spelt.xlsx", changes, renamed)
    said = [p.reason_en for p in check_file(path, today=TODAY).problems]
    assert any(says in reason for reason in said), (case, said)
