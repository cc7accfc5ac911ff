"""One school: its result and what would raise it, its trend, guards, hazard ledger, inspections and data."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from dashboard.access import Viewer
from dashboard.queries.base import (
    NotFound,
    Scope,
    _annual,
    _by_school,
    _check_school,
    _engine,
    _hazards,
    _indicators,
    _inspections_by_school,
    _publication,
    _reference_day,
    _results,
    _score_rows,
    data_version,
    hazard_status,
    registered_schools,
    version_cached,
)
from dashboard.queries.privacy import _county_withheld_days, _groups_shown_to_a_school, _trend_parts
from scoring.engine import round_half_up
from sync import contract
from sync.reader import column_key_of, sheet_key_of
from sync.report import PAPERWORK_LEVEL
from sync.store import records, rejected_rows, scores, sources, sync_runs


def school_result(viewer: Viewer, school_code: str, year: int) -> dict:
    """The school's stored annual result: total, grade, rank, areas, indicators, campuses."""
    result, engine, version = _stored_result(viewer, school_code, year)
    return {**result, "indicators": _indicators(engine, year, version, school_code)}


def _stored_result(viewer: Viewer, school_code: str, year: int) -> tuple[dict, Engine, tuple]:
    """The school's row of _results (indicators not read), with the engine and data version it was read at."""
    _check_school(viewer, school_code)
    engine = _engine()
    version = data_version(engine)
    result = _results(engine, year, version).get(school_code)
    if result is None:
        raise NotFound("school.no_result")
    return result, engine, version


@version_cached
def _draft_results(engine: Engine, year: int, version: tuple) -> dict[str, dict]:
    # the totals, grades and vetoes only: the drafts' indicators (24 KB a school) are for no page of a published year
    frame = _score_rows(engine, year, "annual", None, version, lean=True)
    if frame.empty:
        return {}
    frame = frame.sort_values("as_of").drop_duplicates("school_code", keep="last")
    deduction = pd.to_numeric(frame["deduction"], errors="coerce").fillna(0.0)
    return {code: {"total": float(total), "grade": grade, "qualified": bool(qualified), "deduction": float(points)}
            for code, total, grade, qualified, points in zip(
                frame["school_code"], frame["total"], frame["grade"], frame["qualified"], deduction, strict=True)
            if total == total}


def newer_draft(viewer: Viewer, school_code: str, year: int) -> dict | None:
    """In a published year, the school's draft (total, grade, qualified, deduction, findings_since) when data since
    publication changed what the page shows of it (the page shows the frozen result, and says a newer
    one exists); None otherwise.  A veto or a deduction since counts though the total is the same (an
    audit: a falsification found since publication was listed under the frozen result, unexplained)."""
    _check_school(viewer, school_code)
    engine = _engine()
    version = data_version(engine)
    if _publication(engine, year, version) is None:
        return None
    published = _results(engine, year, version).get(school_code)
    draft = _draft_results(engine, year, version).get(school_code)
    if published is None or draft is None or published["total"] is None:
        return None
    # findings_since: a veto, a deduction or an assessment came since, which the findings listed (live
    # records) show
    findings_since = (draft["qualified"] != bool(published["qualified"])
                      or round(draft["deduction"], 2) != round(float(published["deduction"]), 2)
                      or _assessments_since(engine, year, version, school_code))
    changed = (findings_since or round(draft["total"], 1) != round(float(published["total"]), 1)
               or draft["grade"] != published["grade"])
    return {**draft, "findings_since": findings_since} if changed else None


def _assessments_since(engine: Engine, year: int, version: tuple, school_code: str) -> bool:
    """Whether the assessors' points that count now (the latest of each indicator, as the scoring takes them)
    differ from those the published result used: a D1 of 5 entered since publication marked the 2 the frozen
    result counted "replaced, not counted" under it, unexplained (a diff review)."""
    frozen = {ind: v.get("assessed_points") for ind, v in _indicators(engine, year, version, school_code).items()}
    counted = {ind: points for ind, points in frozen.items() if points is not None and points == points}
    now = {f["indicator"]: float(f["assessed_points"]) for f in _inspections_by_school(engine, year, version).get(
        school_code, []) if f["indicator"] in frozen and f["assessed_points"] is not None}
    return now != counted


def published_total(viewer: Viewer, year: int) -> float | None:
    """The viewer's own school's total as published for the year, or None while the year is a draft
    (the school page shows the published result; the upload page says how a new draft differs)."""
    if viewer.is_bureau or not viewer.school_code:
        return None
    engine = _engine()
    version = data_version(engine)
    if _publication(engine, year, version) is None:
        return None
    result = _results(engine, year, version).get(viewer.school_code)
    return None if result is None else result["total"]


def _type_line_shown(scope: Scope, engine: Engine, year: int, school_type, days) -> np.ndarray:
    """At which of `days` (month ends) the school's page may draw its type's mean: wherever the trends
    page by type shows that type to the same viewer.  A check of the type's size alone drew a mean the
    trends page hid so that the groups it hides add up to no one school (_group_means_for)."""
    if scope.bureau:
        return np.ones(len(days), dtype=bool)
    shown = _groups_shown_to_a_school(engine, year, data_version(engine), "type", scope.school_code)
    return np.asarray(pd.Index(days).isin(shown.loc[shown["group"] == school_type, "as_of"]))


@version_cached
def _trend_lists(engine: Engine, year: int, version: tuple) -> dict:
    """The trend lines as plain lists (month ends as text, NaN as None), converted once for every school."""
    county, by_type, schools = _trend_parts(engine, year, version)

    def listed(values) -> list:
        return [None if pd.isna(v) else float(round_half_up(float(v))) for v in values]

    own = schools["own"]
    return {
        "x": [d.strftime("%Y-%m-%d") for d in county.index],
        "county": listed(county.to_numpy()),
        "types": {ty: listed(means.to_numpy()) for ty, means in by_type.items()},
        "own": {code: listed(own[code].to_numpy()) for code in own.columns},
        "school_types": schools["types"],
        "sizes": schools["sizes"],
    }


def school_trend_lists(viewer: Viewer, school_code: str, year: int) -> dict:
    """Month-end totals of the school beside the county mean and its type's mean, as plain lists for the page's
    figure: x, school, county, type (None where not known or withheld from the viewer)."""
    scope = _check_school(viewer, school_code)
    engine = _engine()
    lists = _trend_lists(engine, year, data_version(engine))
    school_type = lists["school_types"].get(school_code)
    missing = [None] * len(lists["x"])
    type_line = lists["types"].get(school_type, missing)
    if not scope.bureau and type_line is not missing:
        shown = _type_line_shown(scope, engine, year, school_type, pd.to_datetime(lists["x"]))
        type_line = [mean if show else None for mean, show in zip(type_line, shown, strict=True)]
    county = lists["county"]
    withheld = _county_withheld_days(scope, engine, year, data_version(engine))
    if withheld:
        county = [None if day in withheld else mean for day, mean in zip(pd.to_datetime(lists["x"]), county, strict=True)]
    return {"x": lists["x"], "school": lists["own"].get(school_code, missing), "county": county, "type": type_line}


_LEDGER_ORDER = {"overdue": 0, "due_soon": 1, "open": 2, "closed_late": 3, "closed_undated": 4, "closed": 5}


@version_cached
def _ledgers(engine: Engine, year: int, day: date, version: tuple) -> dict[str, pd.DataFrame]:
    """Every school's hazard ledger on `day`, computed over the whole table once, then split by school."""
    hazards = _hazards(engine, version)
    hazards = hazards[hazards["found_date"].isna() | (hazards["found_date"] <= pd.Timestamp(day))]
    status = hazard_status(hazards, day)
    keep = (hazards["found_date"].dt.year == year) | status.isin(["overdue", "due_soon", "open"])
    out = hazards[keep].assign(status=status[keep])
    out = out.assign(_o=out["status"].map(_LEDGER_ORDER)).sort_values(["school_code", "_o", "deadline"], kind="stable")
    out = out.drop(columns="_o")
    return {code: part.reset_index(drop=True) for code, part in out.groupby("school_code", sort=False)}


def campus_guards(viewer: Viewer, school_code: str, year: int) -> list[dict]:
    """Per campus: people, boarders, guards required and active, and how many more are needed (needs)."""
    rows = []
    # not school_result: its indicators (a query and 24 KB of JSON a school) are not needed here
    for campus in _stored_result(viewer, school_code, year)[0]["campuses"]:
        required, active = _count(campus.get("guards_required")), _count(campus.get("guards_active"))
        rows.append({**campus, "needs": max(required - active, 0)})
    return rows


def _count(value) -> int:
    try:
        return int(float(value)) if value is not None and not pd.isna(value) else 0
    except (TypeError, ValueError):
        return 0


def hazard_rows(viewer: Viewer, school_code: str, year: int, today: date | None = None) -> list[dict]:
    """The school's hazards found in the year or still open, each with its status on the reference day, as
    plain rows (the school page's table), the school's converted when its page is built
    (the page is cached): every school's converted at once and kept were 8.7 MB a year at 1,000 schools in
    each worker, beside the ledgers they were converted from (a scale audit)."""
    _check_school(viewer, school_code)
    engine = _engine()
    found = _ledgers(engine, year, _reference_day(year, today), data_version(engine)).get(school_code)
    return [] if found is None else found.to_dict("records")


@version_cached
def _sources_by_school(engine: Engine, version: tuple) -> dict[str, list[dict]]:
    """Every school's sources, newest seen first (one query per data version, not one per page)."""
    query = (select(sources.c.school_code, sources.c.source_id, sources.c.display_name, sources.c.source_key,
                    sources.c.status, sources.c.message, sources.c.rows, sources.c.loaded_at, sources.c.last_seen_at)
             .where(sources.c.school_code.is_not(None)).order_by(sources.c.last_seen_at.desc()))
    return _by_school(engine, query)


@version_cached
def _sheets_from_database(engine: Engine, version: tuple) -> dict[str, list[dict]]:
    """Per school, the sheets a mapped query gives its records of: {"sheet_key", "source"}.  Where one
    does, the school's workbook rows of that sheet are set aside (sync.frames.load_frames), which the
    school was never told (found by an audit: its 3 guards listed, 1 counted, no word why)."""
    found: dict[str, list[dict]] = {}
    with engine.connect() as conn:
        for sheet in contract.SCHOOL_SHEETS:
            table = records[sheet.key]
            query = (select(table.c.school_code, sources.c.source_key).distinct()
                     .join(sources, table.c.source_id == sources.c.source_id).where(sources.c.kind == "sql"))
            for code, key in conn.execute(query).all():
                found.setdefault(code, []).append({"sheet_key": sheet.key, "source": key.split(":")[1]})
    return found


@version_cached
def _refused_by_school(engine: Engine, limit: int, version: tuple) -> tuple[dict[str, int], dict[str, list[dict]],
                                                                             dict[str, list[dict]]]:
    """Per school: how many rows were refused, the newest `limit` of them (a window query, once per version),
    and the lines passed over as paperwork (up to `limit`)."""
    problem = rejected_rows.c.level != PAPERWORK_LEVEL
    numbered = select(
        rejected_rows.c.school_code, rejected_rows.c.level, rejected_rows.c.sheet, rejected_rows.c.row_no,
        rejected_rows.c.column, rejected_rows.c.value, rejected_rows.c.reason_zh, rejected_rows.c.reason_en,
        rejected_rows.c.id,
        func.row_number().over(partition_by=(rejected_rows.c.school_code, problem),
                               order_by=rejected_rows.c.id.desc()).label("n"),
    ).where(rejected_rows.c.school_code.is_not(None)).subquery()
    with engine.connect() as conn:
        counts = dict(conn.execute(select(rejected_rows.c.school_code, func.count()).where(problem)
                                   .group_by(rejected_rows.c.school_code)).all())
        rows = conn.execute(select(numbered).where(numbered.c.n <= limit)
                            .order_by(numbered.c.school_code, numbered.c.id.desc())).mappings().all()
    newest: dict[str, list[dict]] = {}
    paperwork: dict[str, list[dict]] = {}
    for row in rows:
        if row["level"] == PAPERWORK_LEVEL:
            paperwork.setdefault(row["school_code"], []).append(
                {"sheet": row["sheet"], "row": row["row_no"], "text": row["value"], "kind_zh": row["reason_zh"],
                 "kind_en": row["reason_en"]})
        else:
            newest.setdefault(row["school_code"], []).append({**{c: row[c] for c in _REFUSED_COLUMNS},
                                                              **_contract_keys(row["sheet"], row["column"])})
    for lines in paperwork.values():
        lines.sort(key=lambda line: (line["sheet"] or "", line["row"] or 0))  # as the workbook has them
    return {code: int(n) for code, n in counts.items() if code is not None}, newest, paperwork


_REFUSED_COLUMNS = ["level", "sheet", "row_no", "column", "value", "reason_zh", "reason_en"]


def _contract_keys(sheet: str | None, column: str | None) -> dict:
    """The contract's keys of a refused row's sheet and column, read from the names the store keeps as the
    workbook had them (as the sync matched them): in English the school page names them as the upload
    report does, 「保安人員 (Security guards)」, not in Chinese only (found by an audit)."""
    sheet_key = sheet_key_of(sheet) if isinstance(sheet, str) and sheet else None
    column_key = column_key_of(contract.SHEETS[sheet_key], column) if sheet_key else None
    return {"sheet_key": sheet_key, "column_key": column_key}


@version_cached
def _last_run(engine: Engine, version: tuple) -> dict | None:
    with engine.connect() as conn:
        last_run = conn.execute(
            select(sync_runs.c.run_id, sync_runs.c.finished_at, sync_runs.c.status)
            .where(sync_runs.c.finished_at.is_not(None))
            .order_by(sync_runs.c.run_id.desc()).limit(1)
        ).mappings().first()
    return dict(last_run) if last_run else None


def data_state(viewer: Viewer, school_code: str, limit: int = 200) -> dict:
    """The school's sources (last loaded, status), the last sync run, and the rows refused from its files.

    "refused" is a list of rows (level, sheet, row_no, column, value, reason_zh, reason_en, and the
    contract's sheet_key and column_key where the names match), newest first; "paperwork" the lines of its
    files passed over as paperwork ({sheet, row, text, kind_zh, kind_en}), as the workbook has them.
    """
    _check_school(viewer, school_code)
    engine = _engine()
    version = data_version(engine)
    counts, newest, paperwork = _refused_by_school(engine, limit, version)
    return {
        "sources": _sources_by_school(engine, version).get(school_code, []),
        "from_database": _sheets_from_database(engine, version).get(school_code, []),
        "last_run": _last_run(engine, version),
        "refused_total": counts.get(school_code, 0),
        "refused": newest.get(school_code, []),
        "paperwork": paperwork.get(school_code, []),
    }


@version_cached
def _registered_types(engine: Engine, version: tuple) -> dict[str, str]:
    """Each school's type as its newest draft result has it (the registry's, which the evaluation used)."""
    query = (select(scores.c.school_code, scores.c.type)
             .where(scores.c.publication_id.is_(None), scores.c.kind == "annual").order_by(scores.c.year))
    with engine.connect() as conn:
        return dict(conn.execute(query).all())


def own_school_type(viewer: Viewer | None) -> str | None:
    """A school viewer's school type (幼兒園 opens the kindergartens' drill heatmap); None for the bureau."""
    if viewer is None or viewer.is_bureau or not viewer.school_code:
        return None
    engine = _engine()
    return _registered_types(engine, data_version(engine)).get(viewer.school_code)


@version_cached
def _registered_names(engine: Engine, version: tuple) -> dict[str, str]:
    return {code: name for code, name in registered_schools(engine) if name}


def own_school_name(viewer: Viewer | None) -> str | None:
    """A school viewer's school as the registry names it (the navbar says whose account is signed in: a
    school's log-in is often its code, 1410200989 said nothing to the officer); None for the bureau."""
    if viewer is None or viewer.is_bureau or not viewer.school_code:
        return None
    engine = _engine()
    return _registered_names(engine, data_version(engine)).get(viewer.school_code)


def school_inspections(viewer: Viewer, school_code: str, year: int) -> list[dict]:
    """The inspectors' findings on the school in the year: what each deduction, assessed mark or veto
    was for (rules.md: a school sees why).  The school's own only."""
    _check_school(viewer, school_code)
    engine = _engine()
    return _inspections_by_school(engine, year, data_version(engine)).get(school_code, [])


def school_choices(viewer: Viewer, year: int) -> list[dict]:
    """Schools the viewer may open (for the school picker): code, name, type, township."""
    scope = Scope.of(viewer)
    engine = _engine()
    annual = _annual(engine, year, data_version(engine))
    if annual.empty:
        return []
    if not scope.bureau:
        annual = annual[annual.index == scope.school_code]
    return annual.sort_values(["township", "name"])[["school_code", "name", "type", "township"]].to_dict("records")
