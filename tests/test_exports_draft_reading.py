"""The draft circular reads a few numbers of each school's indicators, and makes the files the whole objects made.

Measured at 1,000 schools (a demo county): the draft circular parsed every school's indicators whole (texts,
hints, periods), about 100 MB at the export's peak, where it prints an area's points (a row that keeps none
for it) and each indicator's compliance for the common problems.  A demo county synced and scored here; the
files compared with those made from its whole results.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pytest
from sqlalchemy import text

from dashboard import exports

TODAY = date(2025, 11, 30)
YEAR = TODAY.year
FORMATS = ("xlsx", "docx", "csv")


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    from sync import results
    from sync.demo import write_demo
    from sync.load import run_sync
    from sync.migrate import upgrade
    from sync.store import make_engine

    folder = tmp_path_factory.mktemp("draft-circular")
    write_demo(folder / "inbox", schools=12, seed=2026, today=TODAY)
    engine = make_engine(f"sqlite:///{folder / 'store.db'}")
    upgrade(engine)
    run_sync(engine, folder / "inbox", sql_sources=[], recompute=False, today=TODAY)
    results.recompute(engine, years=[YEAR], today=TODAY, trend=False)
    yield engine
    engine.dispose()


def _contents(data: bytes, fmt: str) -> dict[str, bytes]:
    """A file's contents, part by part for .xlsx and .docx, without the time xlsxwriter stamps the book with."""
    if fmt == "csv":
        return {"csv": data}
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return {name: re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\1", book.read(name))
                for name in book.namelist()}


def test_the_draft_circular_reads_a_few_numbers_of_each_indicator_and_makes_the_same_files(scored):
    from dashboard.downloads import circular_file, circular_results
    from sync.results import annual_results

    engine = scored
    with engine.begin() as conn:
        # A row that keeps no points for area C (as rows stored before the areas were kept): the circular sums
        # that area from the indicators' points.
        code = conn.execute(text("SELECT school_code FROM scores WHERE qualified AND kind = 'annual' "
                                 "ORDER BY school_code LIMIT 1")).scalar()
        conn.execute(text("UPDATE scores SET areas = json_remove(areas, '$.C') WHERE school_code = :code"),
                      {"code": code})
        # An indicator not yet measurable is left out of the common problems, whatever its compliance so far.
        conn.execute(text("UPDATE scores SET indicators = json_set(indicators, '$.C1.pending', json('true'), "
                          "'$.C1.ratio', 0.0) WHERE school_code = :code"), {"code": code})
    whole = annual_results(engine, YEAR, "draft")
    assert exports.common_problems(whole), "the Word circular's common problems come from the indicators"
    assert any(value.get("pending") and value.get("ratio") == 0.0 for r in whole for value in r["indicators"].values())
    assert "C" not in next(r for r in whole if r["school_code"] == code)["areas"]

    results, circular = circular_results(engine, YEAR, draft=True)
    assert {field for r in results for value in r["indicators"].values() for field in value} \
        == set(exports.CIRCULAR_INDICATOR_FIELDS)
    for fmt in FORMATS:
        made = circular_file(engine, YEAR, True, fmt)
        assert _contents(made.data, fmt) == _contents(exports.circular_bytes(whole, circular, fmt), fmt), fmt
