"""Phone and identity numbers written so that a plain search misses them are refused all the same.

data-contract.md 1: "No identity-card numbers or phone numbers are asked for; a column that looks like
one is refused with a privacy message."  Found by an audit:

1. An invisible character inside the number (a zero-width space or a soft hyphen, as text pasted from
   WeChat or a web page carries them) hid it from the check; the reader then took the character out and
   the store kept 13800138000 whole.
2. A landline written in groups ((010)6552-9988, 電話 0571-8888-8888) was not taken for one.  Without
   brackets, a country code or a phone's label, three zero-led groups are as often a hazard's or an
   archive's number: those are not refused (test_sync_contract_clauses)."""

from __future__ import annotations

from datetime import date

import pytest

from sync.report import check_file
from tests.sync_helpers import school_book, write_xlsx

TODAY = date(2026, 11, 28)


def _guards_with(tmp_path, company=None, name=None):
    book = school_book()
    if company is not None:
        book["保安人員"][1][3] = company  # 保安公司
    if name is not None:
        book["保安人員"][2][0] = name  # 姓名
    return check_file(write_xlsx(tmp_path / "s.xlsx", book), registry={"1001"}, today=TODAY)


def _stored(report):
    return [(g["name"], g["company"]) for g in report.rows.get("guards", [])]


@pytest.mark.parametrize("typed", [
    "1\u200b3800138000",            # zero-width space
    "138\u200b0013\u200b8000",      # zero-width spaces between the groups
    "1380013\u00ad8000",            # soft hyphen
    "138\u20600013\u20608000",      # word joiner
    "１３８\u200b００１３８０００",  # full-width, as a Chinese input method types it
    "11010119900307\u200b123X",     # an identity-card number
])
def test_a_phone_or_identity_number_with_an_invisible_character_refuses_the_file(tmp_path, typed):
    report = _guards_with(tmp_path, company=typed, name="趙" + typed)
    assert report.refused, f"accepted; stored {_stored(report)}"
    assert any("privacy" in p.reason_en or "phone" in p.reason_en or "identity" in p.reason_en
               for p in report.problems), [p.as_text() for p in report.problems]


@pytest.mark.parametrize("typed", ["電話 0571-8888-8888", "Tel: 0571 8888 8888", "(0571) 8888-8888", "(010)6552-9988",
                                   "联系电话：010 6552 9988", "+86 571 8888 8888"])
def test_a_landline_written_in_groups_refuses_the_file(tmp_path, typed):
    report = _guards_with(tmp_path, company="平安保安公司 " + typed)
    assert report.refused, f"accepted; stored {_stored(report)}"
    assert any("phone" in p.reason_en for p in report.problems), [p.as_text() for p in report.problems]
