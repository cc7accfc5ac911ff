"""Inspections (督查) the bureau enters in the dashboard, with every change kept.

The bureau workbook's 督查記錄 sheet is one source of inspections; the
dashboard form is another: its records belong to the source
"manual:inspections" (kind "manual"), live in the same `inspections` table
and are scored exactly alike.  Each insert, edit or removal writes one row to
`inspection_changes` (who, when, the record before and after) in the same
transaction, so the history can never disagree with the table.

Records a workbook owns are not edited here: the next sync would silently
undo the edit.  The form refuses them and says to change the workbook.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import desc, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from sync import contract
from sync.cells import parse_score
from sync.errors import UserError, chinese_punctuation
from sync.settings import county_now, county_today
from sync.store import inspection_changes, records, sources
from sync.validate import Context, date_range_problem, not_applicable_marks

MANUAL_SOURCE_KEY = "manual:inspections"
MANUAL_SOURCE_KIND = "manual"
FIELDS = ("date", "school_code", "kind", "finding", "deduction", "falsification", "major_incident",
          "indicator", "assessed_points")
_table = records["inspections"]


def _fail(zh: str, en: str) -> UserError:
    """English for the CLI and an English reader, Chinese for the dashboard's Chinese readers."""
    return UserError(en, zh=zh)


def indicator_maxima() -> dict[str, float]:
    """Points possible per indicator, from the configured rubric."""
    from sync.settings import configured_rubric

    return dict(configured_rubric().points)


def _as_date(value) -> date:
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value or "").strip()[:10])
        except ValueError:
            raise _fail(f"日期「{value}」無法識別，請用 YYYY-MM-DD", f"date {value!r} is not a date; use YYYY-MM-DD") from None
    # As the bureau workbook's 督查記錄 is checked: the page took 2026-12-20 (counted from that day on, by
    # itself), 1999 (a draft computed for every year since) and 0202 (every recompute failed on it after)
    # (an inspections audit).
    wrong = date_range_problem("inspections", "date", day, Context(today=county_today()))
    if wrong:
        raise _fail(chinese_punctuation(wrong[0]), wrong[1])
    return day


def _as_points(value, zh_name: str, en_name: str) -> float | None:
    """Points typed in the page's box, read as the bureau workbook's cells are (sync.cells.parse_score:
    2分 and 扣2分 taken, full-width digits, a minus sign refused as negative, 10,000 or more refused)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    points, problem = parse_score(value)
    if problem is not None:
        raise _fail(f"{zh_name}：{chinese_punctuation(problem[0])}", f"{en_name}: {problem[1]}")
    return float(points)


def clean_inspection(values: dict, registered: set[str], maxima: dict[str, float],
                     school_types: dict[str, str | None] | None = None) -> dict:
    """The record to store, or a UserError saying (in Chinese and English) which field is wrong and why.

    school_types: each registered school's 學校類別 (or None), where C4's range depends on it."""
    school_code = str(values.get("school_code") or "").strip()
    if not school_code:
        raise _fail("請選擇學校", "choose a school")
    if school_code not in registered:
        raise _fail(f"學校代碼 {school_code} 不在學校名冊中", f"school code {school_code} is not in the registry")
    kind = str(values.get("kind") or "").strip()
    if kind not in contract.INSPECTION_KINDS:
        raise _fail(f"類型須為{'、'.join(contract.INSPECTION_KINDS)}之一",
                    f"kind must be one of {', '.join(contract.INSPECTION_KINDS)}")
    deduction = _as_points(values.get("deduction"), "扣分", "deduction")
    if deduction is not None and deduction < 0:
        raise _fail("扣分不能為負數", "a deduction cannot be negative")
    indicator = str(values.get("indicator") or "").strip().upper() or None
    assessed = _as_points(values.get("assessed_points"), "考評得分", "assessed points")
    if indicator is None and assessed is not None:
        raise _fail("填寫考評得分時須選擇指標", "assessed points need an indicator")
    if indicator is not None:
        if indicator not in maxima:
            raise _fail(f"指標「{indicator}」不存在", f"indicator {indicator!r} does not exist")
        if assessed is None:
            raise _fail(f"指標 {indicator} 須填寫考評得分", f"indicator {indicator} needs assessed points")
        if not 0 <= assessed <= maxima[indicator]:
            raise _fail(
                f"{indicator} 的考評得分須在 0 至 {maxima[indicator]:g} 之間",
                f"assessed points for {indicator} must lie between 0 and {maxima[indicator]:g}",
            )
        outside = not_applicable_marks(indicator, assessed, (school_types or {}).get(school_code))
        if outside:
            raise _fail(*outside)
    finding = str(values.get("finding") or "").strip() or None
    return {
        "date": _as_date(values.get("date")),
        "school_code": school_code,
        "kind": kind,
        "finding": finding,
        "deduction": deduction,
        "falsification": bool(values.get("falsification")),
        "major_incident": bool(values.get("major_incident")),
        "indicator": indicator,
        "assessed_points": assessed,
    }


def _jsonable(row: dict | None) -> dict | None:
    if row is None:
        return None
    out = {}
    for key in FIELDS:
        value = row.get(key)
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = float(value)
        out[key] = value
    return out


def _manual_source_id(conn: Connection) -> int:
    found = conn.execute(select(sources.c.source_id).where(sources.c.source_key == MANUAL_SOURCE_KEY)).scalar()
    if found is not None:
        return found
    now = county_now()
    return conn.execute(
        sources.insert().values(
            source_key=MANUAL_SOURCE_KEY, kind=MANUAL_SOURCE_KIND, display_name="督查記錄（儀表板錄入）",
            status="loaded", rows=0, first_seen_at=now, last_seen_at=now, loaded_at=now,
        )
    ).inserted_primary_key[0]


def registered_schools(engine: Engine) -> dict[str, str]:
    """school_code -> name of every registered school, as the sync checks a code (registry_in_store: the
    bureau's entry over a query's, 0101 not also 101, a code on a registry row refused for another cell)."""
    return {code: (entry or {}).get("name") or "" for code, entry in sorted(_registry_entries(engine).items())}


def _registered_types(engine: Engine) -> dict[str, str | None]:
    """school_code -> 學校類別 (None where the registry gives none) of every registered school."""
    return {code: (entry or {}).get("type") for code, entry in _registry_entries(engine).items()}


def _registry_entries(engine: Engine) -> dict[str, dict | None]:
    # the page's findings are checked against the registry the workbook's 督查記錄 is (an architecture review:
    # the page read the table alone, and its school list differed from the accounts page's)
    from sync.report import registry_in_store

    return registry_in_store(engine) or {}


def _existing(conn: Connection, record_id: int, manual_id: int) -> dict:
    row = conn.execute(select(_table).where(_table.c.record_id == record_id)).mappings().first()
    if row is None:
        raise _fail(f"督查記錄 {record_id} 不存在", f"inspection {record_id} does not exist")
    if row["source_id"] != manual_id:
        raise _fail("這條記錄來自教體局工作簿，請在工作簿中修改後同步",
                    "this record comes from the bureau workbook: change it there and sync")
    return dict(row)


def save_inspection(engine: Engine, values: dict, by: str, record_id: int | None = None, recompute: bool = True) -> int:
    """Add (record_id None) or change one dashboard inspection; returns its record id.

    The change and its history row are one transaction; the year's draft
    scores are recomputed afterwards so the school sees the effect at once.
    """
    if not by:
        raise _fail("缺少操作人", "who made the change is required")
    types = _registered_types(engine)
    record = clean_inspection(values, set(types), indicator_maxima(), types)
    for attempt in range(SQLITE_ATTEMPTS):
        try:
            record_id, before = _write(engine, record, by, record_id)
            break
        except IntegrityError:
            # SQLite: two findings saved at once both took the number after the largest (_fresh_id reads
            # it before either writes), and the later one failed on it (found by a test of two admins
            # saving together): it is written again, with the next number.
            if engine.dialect.name != "sqlite" or attempt == SQLITE_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    if recompute:
        _recompute(engine, {record["date"].year, *([before["date"].year] if before and before.get("date") else [])})
    return record_id


SQLITE_ATTEMPTS = 5


def _write(engine: Engine, record: dict, by: str, record_id: int | None) -> tuple[int, dict | None]:
    """The finding and its history row, in one transaction: (its record id, what it was before)."""
    with engine.begin() as conn:
        manual_id = _manual_source_id(conn)
        before = None
        if record_id is None:
            record_id = conn.execute(_table.insert().values(
                source_id=manual_id, **_fresh_id(conn), **record)).inserted_primary_key[0]
        else:
            before = _existing(conn, record_id, manual_id)
            conn.execute(_table.update().where(_table.c.record_id == record_id).values(**record))
        conn.execute(
            inspection_changes.insert().values(
                record_id=record_id, changed_at=county_now(), changed_by=by,
                before=_jsonable(before), after=_jsonable(record),
            )
        )
        _count_rows(conn, manual_id)
    return record_id, before


def _fresh_id(conn) -> dict:
    """A number no finding ever had, for SQLite: it gives a deleted last row's number to the next row,
    and the history of changes (inspection_changes) would show two findings as one.  PostgreSQL and
    MariaDB never reuse one (and PostgreSQL's sequence must not be passed by)."""
    if conn.dialect.name != "sqlite":
        return {}
    used = max(conn.execute(select(func.max(_table.c.record_id))).scalar() or 0,
               conn.execute(select(func.max(inspection_changes.c.record_id))).scalar() or 0)
    return {"record_id": used + 1}


def delete_inspection(engine: Engine, record_id: int, by: str, recompute: bool = True) -> None:
    """Remove one dashboard inspection; the history keeps what it was."""
    with engine.begin() as conn:
        manual_id = _manual_source_id(conn)
        before = _existing(conn, record_id, manual_id)
        conn.execute(_table.delete().where(_table.c.record_id == record_id))
        conn.execute(
            inspection_changes.insert().values(
                record_id=record_id, changed_at=county_now(), changed_by=by, before=_jsonable(before), after=None,
            )
        )
        _count_rows(conn, manual_id)
    if recompute and before.get("date"):
        _recompute(engine, {before["date"].year})


def _count_rows(conn: Connection, manual_id: int) -> None:
    from sqlalchemy import func

    count = conn.execute(select(func.count()).select_from(_table).where(_table.c.source_id == manual_id)).scalar()
    conn.execute(sources.update().where(sources.c.source_id == manual_id).values(rows=count, loaded_at=county_now()))


def _recompute(engine: Engine, years: set[int]) -> None:
    from sync.lock import SyncBusy
    from sync.results import recompute

    try:
        recompute(engine, years=sorted(years))
    except SyncBusy:  # another recompute held on past the wait: the finding itself is saved
        raise UserError("the finding is saved; the scores were being recomputed elsewhere too long: they take it "
                        "in at tomorrow's first sync, or at once with `safeschool rescore`",
                        zh="督查記錄已保存;分數正由另一處重算,久未完成:本記錄將在明天第一次同步時計入分數,"
                           "或由安全辦運行 safeschool rescore 立即計入") from None


def list_inspections(engine: Engine, year: int | None = None) -> list[dict]:
    """Every inspection (workbook and dashboard), newest first, with `editable` for dashboard ones."""
    with engine.connect() as conn:
        manual_id = conn.execute(select(sources.c.source_id).where(sources.c.source_key == MANUAL_SOURCE_KEY)).scalar()
        query = (
            select(_table, sources.c.display_name.label("source"))
            .join(sources, sources.c.source_id == _table.c.source_id)
            .order_by(desc(_table.c.date), desc(_table.c.record_id))
        )
        if year is not None:
            query = query.where(_table.c.date.between(date(year, 1, 1), date(year, 12, 31)))
        rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        row["editable"] = row["source_id"] == manual_id
        if isinstance(row.get("deduction"), Decimal):
            row["deduction"] = float(row["deduction"])
    return rows


def changes(engine: Engine, record_id: int | None = None, limit: int = 500) -> list[dict]:
    """The change history, newest first (of one record, or of all)."""
    query = select(inspection_changes).order_by(desc(inspection_changes.c.changed_at), desc(inspection_changes.c.id))
    if record_id is not None:
        query = query.where(inspection_changes.c.record_id == record_id)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query.limit(limit)).mappings()]
