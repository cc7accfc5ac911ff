"""Helpers the admin, access, security and browser tests share: a store with schools, scores and accounts.

Scores are written to the `scores` table the way sync.results stores them
(publication_id NULL = the draft), so these tests read results through the
real `annual_results` and never through a stand-in.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from sync.migrate import upgrade
from sync.store import make_engine, publications, records, scores, sources

SCHOOLS = [
    {"school_code": "S001", "name": "第一中學", "type": "初中", "township": "城關鎮"},
    {"school_code": "S002", "name": "<script>alert(1)</script>", "type": "小學", "township": "東鄉"},
    {"school_code": "S003", "name": "=1+2 小學", "type": "小學", "township": "西鄉"},
]
INDICATOR_MAX = {"A1": 3, "B2": 4, "D1": 8, "E3": 2}


def make_store(url: str):
    engine = make_engine(url)
    upgrade(engine)
    return engine


def seed_registry(engine, schools=SCHOOLS) -> None:
    with engine.begin() as conn:
        source_id = conn.execute(
            sources.insert().values(source_key="file:bureau.xlsx", kind="bureau_workbook", status="loaded",
                                    first_seen_at=datetime.now())
        ).inserted_primary_key[0]
        conn.execute(records["registry"].insert(), [{"source_id": source_id, "row_no": i + 2, **s} for i, s in enumerate(schools)])


def result_for(school: dict, total: float, rank: int | None, qualified: bool = True, d1_ratio: float = 1.0) -> dict:
    indicators = {
        key: {"points": mx * (d1_ratio if key == "D1" else 1.0), "max": mx, "ratio": d1_ratio if key == "D1" else 1.0,
              "clause": "4.4.1" if key == "D1" else "4.1", "detail": f"detail {key}", "pending": False,
              "hint": f"hint {key}"}
        for key, mx in INDICATOR_MAX.items()
    }
    grade = "優秀" if total >= 90 else "良好" if total >= 80 else "合格" if total >= 60 else "不合格"
    return {**school, "total": total, "grade": grade if qualified else "不合格", "rank": rank, "qualified": qualified,
            "deduction": 0.0, "indicators": indicators, "campuses": [],
            "areas": {a: {"points": 10.0, "max": 15} for a in "ABCDEFG"}}


def seed_scores(engine, year: int, totals=(92.0, 81.5, 64.0), publication_id: int | None = None) -> list[dict]:
    pairs = list(zip(SCHOOLS, totals, strict=False))
    made = [result_for(s, t, 1 + sum(other > t for _, other in pairs)) for s, t in pairs]
    with engine.begin() as conn:
        conn.execute(scores.insert(), [
            {"publication_id": publication_id, "year": year, "kind": "annual", "as_of": date(year, 12, 31),
             "school_code": r["school_code"], "name": r["name"], "type": r["type"], "township": r["township"],
             "total": r["total"], "grade": r["grade"], "rank": r["rank"], "qualified": r["qualified"],
             "deduction": r["deduction"], "areas": r["areas"], "indicators": r["indicators"], "campuses": r["campuses"],
             "computed_at": datetime.now()}
            for r in made
        ])
    return made


def seed_publication(engine, year: int, totals=(90.0, 80.0, 70.0)) -> int:
    with engine.begin() as conn:
        pub_id = conn.execute(publications.insert().values(
            year=year, version=1, active=True, published_at=datetime(year + 1, 1, 10, 9, 0), published_by="admin",
        )).inserted_primary_key[0]
    seed_scores(engine, year, totals, publication_id=pub_id)
    return pub_id


def make_accounts(engine) -> dict[str, tuple[str, str]]:
    """admin, leader, school S001, school S002: {role key: (username, password)}."""
    from sync.accounts import create_user

    accounts = {"admin": ("boss", "admin-pass-1"), "leader": ("chief", "leader-pass-1"),
                "school": ("S001", "school-pass-1"), "other": ("S002", "school-pass-2")}
    create_user(engine, "boss", "admin-pass-1", "admin")
    create_user(engine, "chief", "leader-pass-1", "leader")
    create_user(engine, "S001", "school-pass-1", "school", "S001")
    create_user(engine, "S002", "school-pass-2", "school", "S002")
    return accounts


def count(engine, table, *where) -> int:
    from sqlalchemy import func

    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


def test_the_audit_page_lists_each_schools_workbook_refused_and_missing_first(tmp_path, monkeypatch):
    """Found by an audit: the sync runs said "refused 1" with no word of which school; the office
    tells the school what to fix from this list."""
    from dashboard import audit

    listed = audit.submissions(_synced_with_a_refusal_and_a_school_that_sent_nothing(tmp_path))
    assert [(r["school_code"], r["status"]) for r in listed] == [
        ("1002", "refused"), ("1003", "not submitted"), ("1001", "loaded")]
    assert "應急演練" in listed[0]["message"] and listed[2]["rows"] > 0


def _synced_with_a_refusal_and_a_school_that_sent_nothing(tmp_path):
    from sync.load import run_sync
    from sync.migrate import upgrade
    from sync.store import make_engine
    from tests.sync_helpers import bureau_book, school_book, write_xlsx

    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_xlsx(inbox / "bureau.xlsx", bureau_book(("1001", "1002", "1003")))
    write_xlsx(inbox / "1001.xlsx", school_book("1001"))
    broken = school_book("1002")
    del broken["應急演練"]
    write_xlsx(inbox / "1002.xlsx", broken)
    run_sync(engine, inbox, sql_sources=[], recompute=False)
    return engine


def test_a_school_that_sent_nothing_has_empty_cells_not_nan_on_the_audit_page(tmp_path):
    """Found by an audit: the file column read "nan" for a registered school that never submitted."""
    from dashboard import audit
    from dashboard.app import app  # noqa: F401  (pages register themselves on the app)
    from dashboard.pages.audit import submission_rows

    listed = audit.submissions(_synced_with_a_refusal_and_a_school_that_sent_nothing(tmp_path))
    for lang in ("zh-Hant", "zh-Hans", "en"):
        rows = {row[0]: row for row in submission_rows(listed, lang)}
        assert not any(str(cell).lower() in ("nan", "nat", "none") for row in rows.values() for cell in row), rows
        code, _name, _township, _status, file, loaded_at, count, rejected, message = rows["1003"]
        assert (file, loaded_at, count, rejected, message) == ("", "", "", "", "")
        assert rows["1001"][4] == "1001.xlsx" and rows["1002"][4] == "1002.xlsx"


def test_a_refused_workbooks_reason_is_in_the_readers_language_on_the_audit_page(tmp_path):
    """Found by an audit: the English audit page gave the refusal in Chinese only (the store keeps both)."""
    from dashboard import audit
    from dashboard.app import app  # noqa: F401  (pages register themselves on the app)
    from dashboard.pages.audit import submission_rows

    listed = audit.submissions(_synced_with_a_refusal_and_a_school_that_sent_nothing(tmp_path))
    reason = {lang: {row[0]: row[-1] for row in submission_rows(listed, lang)}["1002"]
              for lang in ("zh-Hant", "zh-Hans", "en")}
    assert reason["zh-Hant"].startswith("缺少工作表「應急演練」") and "請按模板補上" in reason["zh-Hant"]
    assert "请按模板补上" in reason["zh-Hans"] and "請" not in reason["zh-Hans"]
    assert reason["en"].startswith("the sheet '應急演練' (Emergency drills) is missing")
    assert "請" not in reason["en"] and "缺少" not in reason["en"]
