"""Every read the dashboard makes: stored results and records, filtered by who is asking.

Callbacks call these functions and nothing else touches the database.  Each
public function takes the Viewer (from the session, never from the browser)
and returns only what that viewer may see:

- admin and leader (the bureau) see everything;
- a school sees its own school in full, the county aggregates, and other
  schools' totals only in a published year's ranking (what the circular makes
  public anyway).

Results are read as stored (no scoring here).  Loads are cached per viewer
scope and keyed by the store's data version (newest sync run, newest computed
score, newest publication), read once per request, so a sync or a publication
invalidates them without any explicit flush.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
from sqlalchemy import String, cast, func, select
from sqlalchemy.engine import Engine

from dashboard.access import Viewer
from scoring.calendar import term_months, term_quarters
from scoring.engine import round_half_up
from sync import contract
from sync.reader import column_key_of, sheet_key_of
from sync.report import PAPERWORK_LEVEL, SCHOOL_WORKBOOK
from sync.settings import configured_rubric, county_today
from sync.sheet_frames import day_column
from sync.store import get_engine, publications, records, rejected_rows, scores, sources, sync_runs

AREAS = ("A", "B", "C", "D", "E", "F", "G")
GRADES = ("優秀", "良好", "合格", "不合格")  # rules.md's four: the message catalogue's labels and colours are theirs
KINDERGARTEN = contract.KINDERGARTEN
# Heatmap measures: indicator whose stored periods feed it, and which schools it covers.
MEASURES = {
    "drills": ("D1", "schools"),
    "drills_kindergarten": ("D1", "kindergartens"),
    "classes": ("C2", "all"),
    "staff_training": ("C6", "all"),
    "guard_training": ("E7", "all"),
    "gate_duty": ("E8", "all"),
    "guard_drills": ("E4", "all"),
}
# A school viewer sees a group's mean or spread only over at least this many schools: a mean over
# two schools and one's own total would give away the other school's total.
MIN_GROUP_FOR_SCHOOLS = 3
HAZARD_SOON_DAYS = 14  # an open hazard this close to its deadline is on the to-do list
GUARD_BIRTHDAY_WARNING_DAYS = 90
_CACHE_SIZE = 256


def grade_names() -> tuple[str, ...]:
    """The configured rubric's grade bands, best first (rules.md: grades are configurable): a county's
    fifth band sorted after 不合格, and a county that renamed its bands saw four empty ones of rules.md's
    beside its own (a rubric audit)."""
    return tuple(grade.name for grade in configured_rubric().grades)


class Refused(Exception):
    """The viewer may not see what was asked; str(err) is a catalogue key."""


class NotFound(Exception):
    """No such school (or no results for it in that year); str(err) is a catalogue key."""


@dataclass(frozen=True)
class Scope:
    """What a viewer may see, as a hashable cache key."""

    bureau: bool
    school_code: str | None

    @classmethod
    def of(cls, viewer: Viewer | None) -> Scope:
        if viewer is None:
            raise Refused("refused.login")
        if viewer.is_bureau:
            return cls(True, None)
        return cls(False, viewer.school_code)


def scope_viewer(viewer: Viewer | None) -> Viewer:
    """One stand-in viewer per scope (the bureau, or one school), so pages rendered for one person are
    reused for everyone who may see the same (the render caches key on it)."""
    scope = Scope.of(viewer)
    if scope.bureau:
        return Viewer(0, "bureau", "leader", None)
    return Viewer(0, f"school:{scope.school_code}", "school", scope.school_code)


def _engine() -> Engine:
    return get_engine()


# --- data version: read once per request ------------------------------------------


def registered_schools(engine: Engine | None = None) -> list[tuple[str, str | None]]:
    """(code, name) of every registered school once, by code, as the sync checks against them: a school
    listed by the bureau workbook and by a mapped query too once, one on a registry row refused for
    another cell by its code alone (name None)."""
    from sync.report import registry_in_store

    registry = registry_in_store(engine or _engine()) or {}
    return [(code, (entry or {}).get("name")) for code, entry in sorted(registry.items())]


def data_version(engine: Engine | None = None) -> tuple:
    """Newest sync run, newest computed score and the publications: changes whenever the data does."""
    engine = engine or _engine()
    try:
        from flask import g, has_request_context
    except ImportError:  # pragma: no cover - flask is a dependency
        has_request_context = lambda: False  # noqa: E731
    if has_request_context():
        cached = getattr(g, "_safeschool_data_version", None)
        if cached is not None and cached[0] is engine:
            return cached[1]
    query = select(
        select(func.max(sync_runs.c.run_id)).scalar_subquery(),
        select(func.max(scores.c.computed_at)).scalar_subquery(),
        select(func.max(publications.c.publication_id)).scalar_subquery(),
        select(func.count()).select_from(publications).where(publications.c.active.is_(True)).scalar_subquery(),
    )
    with engine.connect() as conn:
        # The store's address leads: rendered pages cached on the version never cross two stores.
        version = (str(engine.url), *conn.execute(query).one())
    _forget_older_versions(version)
    if has_request_context():
        g._safeschool_data_version = (engine, version)
    return version


# The newest data version seen of each store, and what else is cached on the version (the pages' rendered
# pages register their caches here).
_newest_version: dict[str, tuple] = {}
_version_lock = threading.Lock()
_version_keyed_caches: list = []


def forget_on_new_data(cache_clear) -> None:
    """Have `cache_clear` called whenever the data version changes (a page's cache keyed on the version)."""
    _version_keyed_caches.append(cache_clear)


def _forget_older_versions(version: tuple) -> None:
    """Empty the caches once the data version changes: every entry is keyed on the version, so none made
    under an older one is asked for again, yet each stayed until 256 newer ones pushed it out; a gunicorn
    worker kept every sync's loads (found by a scale audit: about 180 MB more per sync at 300 schools, a
    worker past 1.5 GB after eight syncs).  A thread still building under the older version leaves at
    most that one version behind, until the next change."""
    with _version_lock:
        before = _newest_version.get(version[0])
        if before == version:
            return
        _newest_version[version[0]] = version
    if before is not None:
        clear_caches()


# --- stored results -------------------------------------------------------------------


@lru_cache(maxsize=_CACHE_SIZE)
def _publication(engine: Engine, year: int, version: tuple) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(publications)
            .where(publications.c.year == year, publications.c.active.is_(True))
            .order_by(publications.c.version.desc())
            .limit(1)
        ).first()
    return dict(row._mapping) if row else None


def _json(value):
    if isinstance(value, str):
        import json

        return json.loads(value)
    return value


_JSON_COLUMNS = ("areas", "campuses")


def _rows_of(year: int, kind: str, publication_id: int | None):
    """The condition picking one year's score rows of one kind (the draft when publication_id is None)."""
    pub = scores.c.publication_id.is_(None) if publication_id is None else scores.c.publication_id == publication_id
    return (scores.c.year == year, scores.c.kind == kind, pub)


@lru_cache(maxsize=_CACHE_SIZE)
def _score_rows(engine: Engine, year: int, kind: str, publication_id: int | None, version: tuple,
                lean: bool = False) -> pd.DataFrame:
    """Stored score rows of one year and kind (the draft when publication_id is None), never with their
    indicators (_annual_indicators).  lean: without the JSON columns (areas, campuses) either, for a reader of
    totals only: a year's month-end rows carry every indicator of every school, 180 MB of JSON at 3,000
    schools, 500 MB once parsed (a scale audit)."""
    columns = [c.name for c in scores.columns
               if c.name != "indicators" and not (lean and c.name in _JSON_COLUMNS)]
    query = select(*(scores.c[name] for name in columns)).where(*_rows_of(year, kind, publication_id))
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    frame = pd.DataFrame(rows, columns=columns)
    for col in _JSON_COLUMNS:
        if col in frame:
            frame[col] = [_json(v) for v in frame[col]]
    _shared_texts(frame, [c for c in ("kind", "school_code", "name", "type", "township", "grade") if c in frame])
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    frame["total"] = pd.to_numeric(frame["total"], errors="coerce").astype("float64")
    frame["qualified"] = frame["qualified"].astype("object").map(lambda v: bool(v) if v is not None else True)
    return frame


@lru_cache(maxsize=_CACHE_SIZE)
def _annual(engine: Engine, year: int, version: tuple) -> pd.DataFrame:
    """The year's annual results: the active publication's frozen rows, else the draft."""
    pub = _publication(engine, year, version)
    frame = _score_rows(engine, year, "annual", pub["publication_id"] if pub else None, version)
    if frame.empty:
        return frame
    # One evaluation per school: the newest as_of wins should older drafts linger.
    frame = frame.sort_values("as_of").drop_duplicates("school_code", keep="last")
    for area in AREAS:
        frame[area] = [float((a or {}).get(area, {}).get("points") or 0.0) for a in frame["areas"]]
    frame["submitted"] = [_submitted(a) for a in frame["areas"]]
    # what the first page says of each school beside its score: its campuses and its people (students and
    # staff of every campus, as E1 counts them)
    # (none for a school without a 校區 sheet: not sent, refused, or frozen before campuses were kept)
    frame["campus_count"] = [len(c) if c else None for c in frame["campuses"]]
    frame["people"] = [sum(int(x.get("people") or 0) for x in c) if c else None for c in frame["campuses"]]
    frame["rank_sort"] = frame["rank"].where(frame["qualified"], np.nan)
    frame = frame.sort_values(["qualified", "rank_sort", "total", "name"], ascending=[False, True, False, True])
    frame["position"] = np.arange(1, len(frame) + 1)
    return frame.set_index("school_code", drop=False)


def _annual_indicators(engine: Engine, year: int, version: tuple, school_code: str | None = None):
    """(school code, its indicators) of each school of the year's annual result, or of one school, as the store
    holds them, read when asked for and kept by no cache: every school's parsed were 63 KB a school in each
    worker, for every year the overview and trends read (their totals only): 190 MB at 1,000 schools (a scale
    audit).  Each school's row is the one _annual keeps; should a recompute have replaced the rows since
    _annual read them, the school's newest now."""
    annual = _annual(engine, year, version)
    if annual.empty or (school_code is not None and school_code not in annual.index):
        return
    pub = _publication(engine, year, version)
    if school_code is not None:  # one school's page: its row only, not a pass over the county's 1,000
        kept, order = {school_code: int(annual.at[school_code, "id"])}, [school_code]
    else:
        kept = dict(zip(annual["school_code"], annual["id"].astype("int64").tolist(), strict=True))
        order = annual["school_code"]
    # CAST: PostgreSQL's driver parses a json column itself; the text is parsed one school at a time below
    query = select(scores.c.id, scores.c.school_code, scores.c.as_of, cast(scores.c.indicators, String)).where(
        *_rows_of(year, "annual", pub["publication_id"] if pub else None))
    if school_code is not None:
        query = query.where(scores.c.school_code == school_code)
    best: dict[str, tuple] = {}  # code -> (the row _annual keeps, as_of, id, text): that row, else the newest
    with engine.connect() as conn:
        for row_id, code, as_of, text in conn.execute(query):
            if code in kept:
                candidate = (row_id == kept[code], as_of, row_id, text)
                if code not in best or candidate[:3] > best[code][:3]:
                    best[code] = candidate
    for code in order:
        if code in best:
            yield code, _json(best.pop(code)[3]) or {}


def _indicators(engine: Engine, year: int, version: tuple, school_code: str) -> dict:
    """One school's indicators in the year's annual result (school_result: its page, its guards)."""
    return next((found for _code, found in _annual_indicators(engine, year, version, school_code)), {})


def _shared_texts(frame: pd.DataFrame, columns) -> None:
    """Each text of `columns` held once, however many rows repeat it (the driver gives each row its own
    copy): a school's code, name, type and township on each of its month ends were 7 of the 9 MB a year's
    trend rows held at 1,000 schools (a scale audit), a school's code on each of its records."""
    for col in columns:
        seen: dict = {}
        frame[col] = pd.array([seen.setdefault(v, v) if isinstance(v, str) else v for v in frame[col]],
                              dtype=frame[col].dtype)


def _ranked(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of schools ranked in their evaluation: every mean, spread and trend line is theirs.

    rules.md (veto): a disqualified school "keeps its computed points for its own view" and is shown as
    取消資格 instead of a rank; counted in a county or group mean, its points come back as the mean
    times the schools less the ranked totals anyone can read.  The circular's county-wide figures are
    the ranked schools' too (exports.common_problems)."""
    return frame[frame["qualified"].astype(bool)]


def _submitted(areas: dict | None) -> bool:
    """The scoring's submitted flag kept in the areas' "_meta" (rows written before it existed: submitted)."""
    meta = (areas or {}).get("_meta") or {}
    return bool(meta.get("submitted", True))


@lru_cache(maxsize=_CACHE_SIZE)
def _years(engine: Engine, version: tuple) -> tuple[int, ...]:
    with engine.connect() as conn:
        found = conn.execute(select(scores.c.year).distinct()).scalars().all()
    return tuple(sorted({int(y) for y in found}, reverse=True))


def years(viewer: Viewer) -> list[int]:
    """Years with stored results, newest first."""
    Scope.of(viewer)
    engine = _engine()
    return list(_years(engine, data_version(engine)))


def year_status(viewer: Viewer, year: int) -> dict:
    """Whether the year's results are published (frozen) or a draft, and their evaluation date."""
    Scope.of(viewer)
    engine = _engine()
    return dict(_year_status(engine, year, data_version(engine)))


@lru_cache(maxsize=_CACHE_SIZE)
def _year_status(engine: Engine, year: int, version: tuple) -> dict:
    pub = _publication(engine, year, version)
    annual = _annual(engine, year, version)
    as_of = annual["as_of"].max().date() if not annual.empty else None
    return {
        "year": year,
        "published": pub is not None,
        "version": pub["version"] if pub else None,
        "published_at": pub["published_at"] if pub else None,
        "as_of": as_of,
        # the year so far (evaluated before 31 Dec): compared with last year only once it is over
        "running": as_of is not None and as_of < date(year, 12, 31),
        "schools": len(annual),
    }


# --- ranking and headline figures -----------------------------------------------------

RANKING_COLUMNS = ["position", "rank", "qualified", "submitted", "refused", "school_code", "name", "type", "township",
                   "campus_count", "people", *AREAS, "deduction", "total", "grade", "change"]


def _visible_codes(scope: Scope, published: bool, codes: pd.Index) -> pd.Index:
    if scope.bureau or published:
        return codes
    return codes[codes == scope.school_code]


@lru_cache(maxsize=_CACHE_SIZE)
def _ranking(engine: Engine, scope: Scope, year: int, version: tuple) -> pd.DataFrame:
    annual = _annual(engine, year, version)
    if annual.empty:
        return pd.DataFrame(columns=RANKING_COLUMNS)
    published = _publication(engine, year, version) is not None
    frame = annual.loc[_visible_codes(scope, published, annual.index)]
    if not scope.bureau:
        # rules.md: a disqualified school keeps its computed points for its own view; to other schools
        # it is 取消資格, as in the circular, without the points.
        hidden = ~frame["qualified"].astype(bool) & (frame.index != scope.school_code)
        others = frame.index != scope.school_code
        frame = frame.copy()
        if hidden.any():
            frame.loc[hidden, [*AREAS, "deduction", "total"]] = np.nan
        # another school's campuses and head count are its own records, not the circular's
        frame.loc[others, ["campus_count", "people"]] = np.nan
    # Not submitted because the one workbook it sent was refused, which the school can mend (a draft: the
    # workbooks as they stand now; a published year keeps what it was published with).
    refused = _refused_workbooks(engine, version) if not published else frozenset()
    frame = frame.assign(refused=~frame["submitted"].astype(bool) & frame.index.isin(list(refused)))
    # A running year's total is the year so far: against last year's whole year, every school "fell" by half
    # its points in January (found by a turn-of-the-year audit).  Compared once the year is over.
    previous = (_ranking(engine, scope, year - 1, version)
                if year > 2000 and not _year_status(engine, year, version)["running"]
                and not _annual(engine, year - 1, version).empty else None)
    if previous is not None and not previous.empty:
        frame = frame.assign(change=(frame["total"] - previous["total"].reindex(frame.index)).round(1))
    else:
        frame = frame.assign(change=np.nan)
    return frame[RANKING_COLUMNS]


@lru_cache(maxsize=_CACHE_SIZE)
def _refused_workbooks(engine: Engine, version: tuple) -> frozenset[str]:
    """Schools whose workbook was received and refused whole, none loaded (they show as not submitted)."""
    with engine.connect() as conn:
        status = conn.execute(select(sources.c.school_code, sources.c.status).where(
            sources.c.kind == SCHOOL_WORKBOOK, sources.c.school_code.is_not(None),
            sources.c.status.in_(("loaded", "refused")))).all()
    loaded = {code for code, st in status if st == "loaded"}
    return frozenset(code for code, st in status if st == "refused" and code not in loaded)


def ranking(viewer: Viewer, year: int) -> pd.DataFrame:
    """The year's ranking in circular order (qualified by rank, then 取消資格), with the change on last year.

    A school viewer gets every school only for a published year; for a draft, only its own row.
    """
    scope = Scope.of(viewer)
    engine = _engine()
    return _ranking(engine, scope, year, data_version(engine))


def _reference_day(year: int, today: date | None) -> date:
    """'Now' inside the year: today in the running year, 31 Dec for a past one."""
    today = today or county_today()
    return min(today, date(year, 12, 31)) if year <= today.year else date(year, 1, 1)


@lru_cache(maxsize=_CACHE_SIZE)
def _record_table(engine: Engine, sheet: str, columns: tuple[str, ...], version: tuple) -> pd.DataFrame:
    """Selected columns of one record table for every school (dates as Timestamps)."""
    table = records[sheet]
    with engine.connect() as conn:
        rows = conn.execute(select(*[table.c[c] for c in columns])).all()
    frame = pd.DataFrame(rows, columns=list(columns))
    sheet_def = contract.SHEETS[sheet]
    for col in columns:
        if col in sheet_def.keys and sheet_def.column(col).kind == contract.DATE:
            frame[col] = day_column(frame[col])
    frame["school_code"] = frame["school_code"].astype("object")
    _shared_texts(frame, [col for col in columns if not pd.api.types.is_datetime64_any_dtype(frame[col])])
    return frame


def _hazards(engine: Engine, version: tuple) -> pd.DataFrame:
    return _record_table(engine, "hazards", ("school_code", "id", "found_date", "description", "category", "owner",
                                             "deadline", "closed_date"), version)


@lru_cache(maxsize=_CACHE_SIZE)
def _hazards_by_school(engine: Engine, version: tuple) -> dict[str, pd.DataFrame]:
    hazards = _hazards(engine, version)
    return {code: part for code, part in hazards.groupby("school_code", sort=False)}


def hazard_status(hazards: pd.DataFrame, day: date) -> pd.Series:
    """closed / closed_late / closed_undated / overdue / due_soon / open on `day` (a hazard closed after `day`
    is open on it).  closed_undated: closed, with no deadline to be on time for (F2 wants one; it read
    「按時銷號」, found by a UX walk)."""
    ref = pd.Timestamp(day)
    closed = hazards["closed_date"].notna() & (hazards["closed_date"] <= ref)
    undated = closed & hazards["deadline"].isna()
    late = closed & hazards["deadline"].notna() & (hazards["closed_date"] > hazards["deadline"])
    overdue = ~closed & hazards["deadline"].notna() & (hazards["deadline"] < ref)
    soon = ~closed & ~overdue & hazards["deadline"].notna() & (hazards["deadline"] <= ref + pd.Timedelta(days=HAZARD_SOON_DAYS))
    status = np.select([undated, late, closed, overdue, soon],
                       ["closed_undated", "closed_late", "closed", "overdue", "due_soon"], "open")
    return pd.Series(status, index=hazards.index)


@lru_cache(maxsize=_CACHE_SIZE)
def _headline(engine: Engine, year: int, day: date, version: tuple) -> dict:
    annual = _annual(engine, year, version)
    # the county's four bands first, then any other a bureau's rubric graded by (rules.md: grades are
    # configurable; a school graded 待改進 fell out of the count)
    named = list(dict.fromkeys([*grade_names(), *(annual["grade"].dropna() if not annual.empty else ())]))
    grades = annual["grade"].value_counts().reindex(named, fill_value=0) if not annual.empty else pd.Series(0, index=named)
    codes = set(annual.index)
    hazards = _hazards(engine, version)
    hazards = hazards[hazards["school_code"].isin(codes) & (hazards["found_date"] <= pd.Timestamp(day))]
    overdue = int((hazard_status(hazards, day) == "overdue").sum())
    drills = _record_table(engine, "drills", ("school_code", "date"), version)
    drills = drills[drills["school_code"].isin(codes)]
    month_start = pd.Timestamp(day.year, day.month, 1)
    quarter_start = pd.Timestamp(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    kinder = set(annual.index[annual["type"] == KINDERGARTEN]) if not annual.empty else set()
    # Of the schools a drill is due from this period (D1: a term month, a kindergarten's quarter of a
    # semester): in August, no term month, "0 %" of the county read as every school behind (a rubric audit).
    labels, rubric = _current_labels(day), configured_rubric()
    month_due = labels["month"] in set(term_months(rubric, day.year)["period"])
    quarter_due = labels["quarter"] in set(term_quarters(rubric, day.year)["period"])
    due = {code for code in codes if (quarter_due if code in kinder else month_due)}
    is_kinder = drills["school_code"].isin(kinder)
    since = np.where(is_kinder, quarter_start, month_start).astype("datetime64[ns]")
    recent = drills[(drills["date"] >= since) & (drills["date"] <= pd.Timestamp(day))]
    held = recent["school_code"][recent["school_code"].isin(due)].nunique()
    ranked = _ranked(annual)
    return {
        "schools": len(annual),
        # halves up, as the totals it is the mean of (and the figures' labels): 77.0 and 77.1 make 77.1
        "mean": float(round_half_up(ranked["total"].mean())) if len(ranked) else None,
        "grades": {g: int(n) for g, n in grades.items()},
        "disqualified": int((~annual["qualified"].astype(bool)).sum()) if len(annual) else 0,
        "not_submitted": int((~annual["submitted"].astype(bool)).sum()) if len(annual) else 0,
        "overdue_hazards": overdue,
        "drill_share": round(held / len(due), 3) if due else None,
        "drill_due_schools": frozenset(due),  # for headline's check of who a school viewer could read off
        "drill_due": len(due) if codes else None,  # None: no school has a result this year
        "drill_term_month": month_due,
        "drill_month": f"{day.year}-{day.month:02d}",
        "day": day,
    }


def headline(viewer: Viewer, year: int, today: date | None = None) -> dict:
    """County figures for the year (every viewer may see these aggregates, but for the county mean that
    would give one other school's total: _annual_county_withheld)."""
    scope = Scope.of(viewer)
    engine = _engine()
    version = data_version(engine)
    head = dict(_headline(engine, year, _reference_day(year, today), version))  # (the cached one stays whole)
    due = head.pop("drill_due_schools")
    if _annual_county_withheld(scope, engine, year, version):
        head["mean"] = None
    if not scope.bureau:
        # The county's overdue hazards and drill share are counts of the schools' own records: with one other
        # school besides the viewer's and those that sent nothing, they are that school's (a privacy audit:
        # 2 overdue, none of them the viewer's, in a county of three).  Whatever the year: they are live.
        # The drill share is of the schools due this period: out of term, the kindergartens alone, one of
        # which is one school however large the county (a second audit).
        known = _known_to(scope, engine, year, version)
        annual = _annual(engine, year, version)
        if int((~annual.index.isin(list(known))).sum()) == 1:
            head["overdue_hazards"] = None
        if len(due - known) == 1:
            head["drill_share"] = None
    return head


# --- to-dos (待辦) ------------------------------------------------------------------

TODO_COLUMNS = ["drill_due", "class_due", "class_missed", "guards_untrained", "hazards_due_soon", "hazards_overdue",
                "guards_reaching_age_limit", "guards_over_age_limit"]


# The indicators whose stored periods a page reads for every school: the heatmaps' (MEASURES) and the to-dos'.
PERIOD_INDICATORS = ("D1", "C2", "C6", "E4", "E7", "E8")


@lru_cache(maxsize=_CACHE_SIZE)
def _year_periods(engine: Engine, year: int, version: tuple) -> dict[str, pd.DataFrame]:
    """The stored periods of each of PERIOD_INDICATORS for every school of the year (_annual's order), one
    row per (school, period): each school's indicators parsed once, for all of them, and not kept."""
    rows: dict[str, list] = {indicator: [] for indicator in PERIOD_INDICATORS}
    for code, ind in _annual_indicators(engine, year, version):
        for indicator, found in rows.items():
            found.extend(
                (code, p.get("period"), p.get("required"), p.get("held"), bool(p.get("covered")), bool(p.get("counted")))
                for p in (ind.get(indicator) or {}).get("periods") or [])
    return {indicator: _periods_frame(found) for indicator, found in rows.items()}


def _periods_long(engine: Engine, year: int, version: tuple, annual: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """The stored periods of one indicator for every school of `annual` (the year's, or some of them, in
    its order), one row per (school, period)."""
    every = _year_periods(engine, year, version)[indicator]
    part = every[every["school_code"].isin(annual.index)]
    return part.reset_index(drop=True) if len(part) else _periods_frame([])


def _periods_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["school_code", "period", "required", "held", "covered", "counted"])
    frame["period"] = frame["period"].astype("object")
    _shared_texts(frame, ["period"])  # a week's or a month's label on every school's row
    for col in ("required", "held"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    return frame


_GUARD_SEMESTER = r"^(?P<guard>.*)（(?P<semester>\d{4}-(?:spring|autumn))）$"


def _guard_semesters(e7: pd.DataFrame) -> pd.DataFrame:
    """E7's (guard, semester) periods, labelled 張三（2026-autumn）, summed per school and semester.

    required = guards employed in the semester, held = guards with their training days; the
    semester is covered when every guard has them.
    """
    parts = e7["period"].astype(str).str.extract(_GUARD_SEMESTER)
    e7 = e7.assign(semester=parts["semester"], trained=(e7["held"] >= e7["required"]).astype("int64"))
    e7 = e7[e7["semester"].notna()]
    out = e7.groupby(["school_code", "semester"], sort=False).agg(
        required=("trained", "size"), held=("trained", "sum"), counted=("counted", "all")).reset_index()
    out = out.rename(columns={"semester": "period"})
    out["covered"] = out["held"] >= out["required"]
    for col in ("required", "held"):
        out[col] = out[col].astype("float64")
    return out[["school_code", "period", "required", "held", "covered", "counted"]]


def _week_label(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso[0]}-W{iso[1]:02d}"


def _current_labels(day: date) -> dict[str, str | None]:
    return {
        "month": f"{day.year}-{day.month:02d}",
        "quarter": f"{day.year}-Q{(day.month - 1) // 3 + 1}",
        "week": _week_label(day),
        "last_week": _week_label(day - timedelta(days=7)),
        "semester": _semester_on(day),
    }


def _semester_on(day: date) -> str | None:
    """The county calendar's semester `day` is in (2026-autumn into January; the rubric's, with the
    configuration's per-year dates), None between two: training outside a semester counts for none (E7),
    and the month alone (February to July spring) asked on 20 July for the training of a spring semester
    over since 10 July, and on 25 January, a spring starting on the 21st, for last autumn's (two audits)."""
    rubric = configured_rubric()
    for year, which in ((day.year - 1, "autumn"), (day.year, "spring"), (day.year, "autumn")):
        start, end = rubric.semester(year, which)
        if start <= day <= end:
            return f"{year}-{which}"
    return None


@lru_cache(maxsize=_CACHE_SIZE)
def _todos(engine: Engine, year: int, day: date, running: bool, version: tuple, age_limit: int) -> pd.DataFrame:
    """What falls due, per school, on `day` of the running year (all zero for any other year)."""
    annual = _annual(engine, year, version)
    todo = pd.DataFrame(0, index=annual.index, columns=TODO_COLUMNS, dtype="int64")
    if annual.empty or not running:
        return todo
    labels = _current_labels(day)
    kinder = set(annual.index[annual["type"] == KINDERGARTEN])
    d1 = _periods_long(engine, year, version, annual, "D1")
    own_period = np.where(d1["school_code"].isin(kinder), labels["quarter"], labels["month"])
    drill_due = d1[(d1["period"] == own_period) & ~d1["covered"]]["school_code"].unique()
    todo.loc[todo.index.isin(drill_due), "drill_due"] = 1
    c2 = _periods_long(engine, year, version, annual, "C2")
    class_due = c2[(c2["period"] == labels["week"]) & ~c2["covered"]]["school_code"].unique()
    todo.loc[todo.index.isin(class_due), "class_due"] = 1
    # On a Monday "no class this week" names every school; the week just over names those that missed one
    # (a holiday week is no stored period: nobody missed it).
    class_missed = c2[(c2["period"] == labels["last_week"]) & ~c2["covered"]]["school_code"].unique()
    todo.loc[todo.index.isin(class_missed), "class_missed"] = 1
    e7 = _guard_semesters(_periods_long(engine, year, version, annual, "E7"))
    e7 = e7[e7["period"] == labels["semester"]]
    missing = (e7["required"] - e7["held"]).clip(lower=0)
    todo["guards_untrained"] = missing.groupby(e7["school_code"]).sum().reindex(todo.index, fill_value=0).astype("int64")
    hazards = _hazards(engine, version)
    hazards = hazards[hazards["school_code"].isin(set(annual.index)) & (hazards["found_date"] <= pd.Timestamp(day))]
    status = hazard_status(hazards, day)
    for name, key in (("hazards_due_soon", "due_soon"), ("hazards_overdue", "overdue")):
        todo[name] = (status == key).groupby(hazards["school_code"]).sum().reindex(todo.index, fill_value=0).astype("int64")
    guards = _active_guards(engine, day, version, age_limit)
    guards = guards[guards["school_code"].isin(set(annual.index))]
    for name in ("guards_reaching_age_limit", "guards_over_age_limit"):
        todo[name] = guards[name].groupby(guards["school_code"]).sum().reindex(todo.index, fill_value=0).astype("int64")
    return todo


@lru_cache(maxsize=_CACHE_SIZE)
def _guards_to_watch(engine: Engine, day: date, version: tuple, age_limit: int) -> dict[str, list[dict]]:
    """Per school, the guards on duty who are over the age limit or pass it soon, soonest first."""
    guards = _active_guards(engine, day, version, age_limit)
    guards = guards[(guards["guards_reaching_age_limit"] > 0) | (guards["guards_over_age_limit"] > 0)]
    guards = guards[["school_code", "name", "campus", "limit_day"]].sort_values(["school_code", "limit_day"], kind="stable")
    return {code: part[["name", "campus", "limit_day"]].to_dict("records")
            for code, part in guards.groupby("school_code", sort=False)}


@lru_cache(maxsize=_CACHE_SIZE)
def _active_guards(engine: Engine, day: date, version: tuple, age_limit: int) -> pd.DataFrame:
    guards = _record_table(engine, "guards", ("school_code", "name", "campus", "birth_date", "start_date", "end_date"), version)
    ref = pd.Timestamp(day)
    active = (guards["start_date"].isna() | (guards["start_date"] <= ref)) & (guards["end_date"].isna() | (guards["end_date"] >= ref))
    guards = guards[active & guards["birth_date"].notna()].copy()
    limit_day = guards["birth_date"] + pd.DateOffset(years=age_limit + 1)  # 4.5.1: over 55 from the 56th birthday
    guards["limit_day"] = limit_day
    guards["guards_over_age_limit"] = (limit_day <= ref).astype("int64")
    guards["guards_reaching_age_limit"] = ((limit_day > ref) & (limit_day <= ref + pd.Timedelta(days=GUARD_BIRTHDAY_WARNING_DAYS))).astype("int64")
    return guards


def guard_age_limit() -> int:
    """The age E3 holds guards to (4.5.1 不得超過55周歲), as the configured rubric sets it: the to-do list
    that warns of it must not count a guard the score passes (it said 56 whatever the rubric said)."""
    return int(configured_rubric().thresholds["guard_age"]["limit"])


def guard_training_days() -> float:
    """The off-duty training days E7 asks of each guard a semester, as the configured rubric sets them: the
    to-do that asks for them said 3 whatever the rubric said (a rubric audit)."""
    return float(configured_rubric().thresholds["guard_training"]["days"])


def county_todos(viewer: Viewer, year: int, today: date | None = None) -> dict:
    """The to-dos summed over the county (bureau only): schools owing each duty, and counts."""
    scope = Scope.of(viewer)
    if not scope.bureau:
        raise Refused("refused.bureau_only")
    engine = _engine()
    running = _is_running(year, today)
    age_limit = guard_age_limit()
    todo = _todos(engine, year, _reference_day(year, today), running, data_version(engine), age_limit)
    summary = {name: int(todo[name].sum()) for name in TODO_COLUMNS}
    summary["guard_age_limit"] = age_limit
    summary["schools_with_todos"] = int((todo.sum(axis=1) > 0).sum())
    summary["running_year"] = running
    return summary


def _is_running(year: int, today: date | None) -> bool:
    return (today or county_today()).year == year


def school_todos(viewer: Viewer, school_code: str, year: int, today: date | None = None) -> dict:
    """One school's to-dos: counts per kind, plus the guards and hazards behind them."""
    _check_school(viewer, school_code)
    engine = _engine()
    version = data_version(engine)
    day = _reference_day(year, today)
    running = _is_running(year, today)
    age_limit = guard_age_limit()
    counts = _todo_counts(engine, year, day, running, version, age_limit).get(school_code) or dict.fromkeys(TODO_COLUMNS, 0)
    labels = _current_labels(day)
    school = _results(engine, year, version).get(school_code)
    kinder = school is not None and school["type"] == KINDERGARTEN
    labels["drill_period"] = labels["quarter"] if kinder else labels["month"]
    return {
        "counts": dict(counts),
        "running_year": running,
        "labels": labels,
        "guards": list(_guards_to_watch(engine, day, version, age_limit).get(school_code, [])),
        "guard_age_limit": age_limit,
        "guard_training_days": guard_training_days(),
    }


@lru_cache(maxsize=_CACHE_SIZE)
def _todo_counts(engine: Engine, year: int, day: date, running: bool, version: tuple,
                 age_limit: int) -> dict[str, dict[str, int]]:
    """Every school's to-do counts as plain ints (one conversion per year and day, not one per page)."""
    todo = _todos(engine, year, day, running, version, age_limit)
    return {code: {k: int(v) for k, v in row.items()} for code, row in todo.to_dict("index").items()}


# --- one school ------------------------------------------------------------------------


def _check_school(viewer: Viewer, school_code: str | None) -> Scope:
    scope = Scope.of(viewer)
    if not school_code:
        raise NotFound("school.none")
    if not viewer.can_see_school(school_code):
        raise Refused("refused.other_school")
    return scope


@lru_cache(maxsize=_CACHE_SIZE)
def _results(engine: Engine, year: int, version: tuple) -> dict[str, dict]:
    """Every school's result as plain Python, built once per year and data version (a page reads one)."""
    annual = _annual(engine, year, version)
    if annual.empty:
        return {}
    ranked = int(annual["qualified"].astype(bool).sum())
    published = _publication(engine, year, version) is not None
    total = annual["total"].astype("float64")
    qualified = annual["qualified"].astype(bool)
    rank = annual["rank"].astype("float64").where(qualified)
    frame = pd.DataFrame({
        "school_code": annual["school_code"].to_numpy(), "name": annual["name"].to_numpy(),
        "type": annual["type"].to_numpy(), "township": annual["township"].to_numpy(),
        "total": total.astype("object").where(total.notna(), None).to_numpy(),
        "grade": annual["grade"].to_numpy(),
        "rank": rank.astype("object").where(rank.notna(), None).to_numpy(),
        "qualified": qualified.to_numpy(), "submitted": annual["submitted"].astype(bool).to_numpy(),
        "deduction": pd.to_numeric(annual["deduction"], errors="coerce").fillna(0.0).astype("float64").to_numpy(),
        "as_of": [d.date() for d in annual["as_of"]],
        "areas": annual["areas"].to_numpy(), "indicators": None,  # parsed when asked for (school_result)
        "campuses": annual["campuses"].to_numpy(),
    })
    out = {}
    for row in frame.to_dict("records"):
        row.update(
            total=None if row["total"] is None else float(row["total"]),
            rank=None if row["rank"] is None else int(row["rank"]),
            qualified=bool(row["qualified"]), submitted=bool(row["submitted"]), deduction=float(row["deduction"]),
            areas=row["areas"] or {}, campuses=row["campuses"] or [],
            ranked_schools=ranked, published=published)
        out[row["school_code"]] = row
    return out


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


@lru_cache(maxsize=_CACHE_SIZE)
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
    # findings_since: a veto or a deduction came since, which the findings listed (live records) show
    findings_since = (draft["qualified"] != bool(published["qualified"])
                      or round(draft["deduction"], 2) != round(float(published["deduction"]), 2))
    changed = (findings_since or round(draft["total"], 1) != round(float(published["total"]), 1)
               or draft["grade"] != published["grade"])
    return {**draft, "findings_since": findings_since} if changed else None


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


@lru_cache(maxsize=_CACHE_SIZE)
def _trend_means(engine: Engine, year: int, version: tuple) -> pd.DataFrame:
    """Year-to-date totals at each month end: every school's row.  A published year's are the frozen
    copies its publication keeps (rules.md: a published evaluation does not change when data arrives
    later); a draft year's are the draft rows."""
    pub = _publication(engine, year, version)
    frame = _score_rows(engine, year, "trend", pub["publication_id"] if pub else None, version, lean=True)
    if frame.empty and pub:  # published before trends were kept with it: the drafts are all there is
        frame = _score_rows(engine, year, "trend", None, version, lean=True)
    return frame[["school_code", "name", "type", "township", "as_of", "total", "qualified"]]


@lru_cache(maxsize=_CACHE_SIZE)
def _trend_parts(engine: Engine, year: int, version: tuple) -> tuple[pd.Series, dict, dict]:
    """County mean and each type's mean at every month end (of the ranked schools), and each school's own
    rows (computed once)."""
    trend = _trend_means(engine, year, version)
    ranked = _ranked(trend)
    county = ranked.groupby("as_of")["total"].mean().reindex(sorted(trend["as_of"].unique()))
    by_type = {ty: part.groupby("as_of")["total"].mean() for ty, part in ranked.groupby("type")}
    type_sizes = ranked.groupby("type")["school_code"].nunique().to_dict()
    # One column per school on the county's month ends: a school's line is one column, not a groupby per page.
    own = trend.pivot_table(index="as_of", columns="school_code", values="total", aggfunc="last").reindex(county.index)
    by_type = {ty: means.reindex(county.index) for ty, means in by_type.items()}
    types = dict(zip(trend["school_code"], trend["type"], strict=True))
    return county, by_type, {"own": own, "types": types, "sizes": type_sizes}


def _a_schools_draft(scope: Scope, engine: Engine, year: int, version: tuple) -> bool:
    """A school's viewer of a year not yet published (a published year is circulated whole)."""
    return not scope.bureau and _publication(engine, year, version) is None


@lru_cache(maxsize=_CACHE_SIZE)
def _not_submitted(engine: Engine, year: int, version: tuple) -> frozenset:
    """The schools that sent nothing in the year and that no assessor marked: 0 points at every month end,
    and known to score so (the overview counts them, a published ranking names them), so a mean gives
    nothing away about them but tells the rest apart (a privacy audit: a county of three, one silent, gave
    the third's draft total).  An assessor's points (督查 with an indicator) give a silent school points of
    its own: it stays unknown, and protected (a second audit)."""
    annual = _annual(engine, year, version)
    if annual.empty:
        return frozenset()
    findings = _inspections_by_school(engine, year, version)
    assessed = {code for code, listed in findings.items() if any(f["assessed_points"] is not None for f in listed)}
    return frozenset(code for code in annual.index[~annual["submitted"].astype(bool)] if code not in assessed)


def _known_to(scope: Scope, engine: Engine, year: int, version: tuple) -> frozenset:
    """The schools whose totals a school viewer knows: its own, and those that sent nothing (_not_submitted)."""
    return _not_submitted(engine, year, version) | {scope.school_code}


@lru_cache(maxsize=_CACHE_SIZE)
def _county_withheld_days(scope: Scope, engine: Engine, year: int, version: tuple) -> frozenset:
    """The month ends at which a school may not see the county mean: where the ranked schools besides its own
    and those that sent nothing are exactly one, the mean and what the school knows are that school's total.
    A published year too: its month-end totals are circulated nowhere (the September mean of two gave the
    other's year to date; a privacy audit).  (The group means hide such groups themselves, _group_means_for.)"""
    if scope.bureau:
        return frozenset()
    ranked = _ranked(_trend_means(engine, year, version))
    known = _known_to(scope, engine, year, version)
    others = ranked[~ranked["school_code"].isin(known)].groupby("as_of").size()
    return frozenset(others.index[others == 1])


def _annual_county_withheld(scope: Scope, engine: Engine, year: int, version: tuple) -> bool:
    """_county_withheld_days for the year's annual mean, in a draft year (a published one is circulated whole)."""
    if not _a_schools_draft(scope, engine, year, version):
        return False
    ranked, _blocks = _annual_groups(engine, year, version)
    known = _known_to(scope, engine, year, version)
    return int((~ranked["school_code"].isin(known)).sum()) == 1


def school_trend(viewer: Viewer, school_code: str, year: int) -> pd.DataFrame:
    """Month-end totals of the school beside the county mean and its type's mean (columns as_of, school, county, type)."""
    scope = _check_school(viewer, school_code)
    engine = _engine()
    county, by_type, schools = _trend_parts(engine, year, data_version(engine))
    if county.empty:
        return pd.DataFrame(columns=["as_of", "school", "county", "type"])
    missing = np.full(len(county), np.nan)
    own = schools["own"]
    type_means = by_type.get(schools["types"].get(school_code))
    type_line = missing
    if type_means is not None:
        shown = _type_line_shown(scope, engine, year, schools["types"].get(school_code), county.index)
        type_line = np.where(shown, type_means.to_numpy(dtype="float64"), np.nan)
    withheld = county.index.isin(list(_county_withheld_days(scope, engine, year, data_version(engine))))
    return pd.DataFrame({
        "as_of": county.index.to_numpy(),
        "school": own[school_code].to_numpy(dtype="float64") if school_code in own.columns else missing,
        "county": np.where(withheld, np.nan, county.to_numpy(dtype="float64")),
        "type": type_line,
    })


def _type_line_shown(scope: Scope, engine: Engine, year: int, school_type, days) -> np.ndarray:
    """At which of `days` (month ends) the school's page may draw its type's mean: wherever the trends
    page by type shows that type to the same viewer.  A check of the type's size alone drew a mean the
    trends page hid so that the groups it hides add up to no one school (_group_means_for)."""
    if scope.bureau:
        return np.ones(len(days), dtype=bool)
    shown = _groups_shown_to_a_school(engine, year, data_version(engine), "type", scope.school_code)
    return np.asarray(pd.Index(days).isin(shown.loc[shown["group"] == school_type, "as_of"]))


@lru_cache(maxsize=_CACHE_SIZE)
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
    """school_trend as plain lists for the page's figure: x, school, county, type (None where not known)."""
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


def guards_per_campus(viewer: Viewer, school_code: str, year: int) -> pd.DataFrame:
    """Per campus: people, boarders, guards required and active, and how many more are needed."""
    result = school_result(viewer, school_code, year)
    frame = pd.DataFrame(result["campuses"], columns=["campus", "people", "boarders", "guards_required", "guards_active"])
    required = pd.to_numeric(frame["guards_required"], errors="coerce").fillna(0)
    active = pd.to_numeric(frame["guards_active"], errors="coerce").fillna(0)
    return frame.assign(needs=(required - active).clip(lower=0).astype("int64"))


_LEDGER_ORDER = {"overdue": 0, "due_soon": 1, "open": 2, "closed_late": 3, "closed_undated": 4, "closed": 5}


@lru_cache(maxsize=_CACHE_SIZE)
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
    """guards_per_campus as plain rows (the school page's table: a campus or two, no frame needed)."""
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
    """hazard_ledger as plain rows (the school page's table), the school's converted when its page is built
    (the page is cached): every school's converted at once and kept were 8.7 MB a year at 1,000 schools in
    each worker, beside the ledgers they were converted from (a scale audit)."""
    _check_school(viewer, school_code)
    engine = _engine()
    found = _ledgers(engine, year, _reference_day(year, today), data_version(engine)).get(school_code)
    return [] if found is None else found.to_dict("records")


def hazard_ledger(viewer: Viewer, school_code: str, year: int, today: date | None = None) -> pd.DataFrame:
    """The school's hazards found in the year or still open, each with its status on the reference day."""
    _check_school(viewer, school_code)
    engine = _engine()
    version = data_version(engine)
    found = _ledgers(engine, year, _reference_day(year, today), version).get(school_code)
    if found is None:
        return _hazards(engine, version).iloc[0:0].assign(status=pd.Series(dtype="object"))
    return found


@lru_cache(maxsize=_CACHE_SIZE)
def _sources_by_school(engine: Engine, version: tuple) -> dict[str, list[dict]]:
    """Every school's sources, newest seen first (one query per data version, not one per page)."""
    query = (select(sources.c.school_code, sources.c.source_id, sources.c.display_name, sources.c.source_key,
                    sources.c.status, sources.c.message, sources.c.rows, sources.c.loaded_at, sources.c.last_seen_at)
             .where(sources.c.school_code.is_not(None)).order_by(sources.c.last_seen_at.desc()))
    return _by_school(engine, query)


@lru_cache(maxsize=_CACHE_SIZE)
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


def _by_school(engine: Engine, query) -> dict[str, list[dict]]:
    """A query's rows grouped by their school_code (which is left out of each row), in the query's order."""
    found: dict[str, list[dict]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query).mappings():
            entry = dict(row)
            found.setdefault(entry.pop("school_code"), []).append(entry)
    return found


@lru_cache(maxsize=_CACHE_SIZE)
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


@lru_cache(maxsize=_CACHE_SIZE)
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


@lru_cache(maxsize=_CACHE_SIZE)
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


@lru_cache(maxsize=_CACHE_SIZE)
def _inspections_by_school(engine: Engine, year: int, version: tuple) -> dict[str, list[dict]]:
    """The bureau's findings of the year, per school, in date order (one query per year and data version)."""
    table = records["inspections"]
    query = (select(table.c.school_code, table.c.date, table.c.kind, table.c.finding, table.c.deduction,
                    table.c.falsification, table.c.major_incident, table.c.indicator, table.c.assessed_points)
             .where(table.c.date >= date(year, 1, 1), table.c.date <= date(year, 12, 31))
             # in the order the scoring takes the latest assessment by (scoring.engine: date, then the row in
             # its sheet, a page's finding, which has none, after the sheet's, then as stored): the page says
             # which one was replaced, and named the one that counted so (a diff review)
             .order_by(table.c.date, table.c.row_no.is_(None), table.c.row_no, table.c.record_id))
    return _by_school(engine, query)


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


# --- trends ------------------------------------------------------------------------------


def _group_column(group_by: str) -> str:
    return "township" if group_by == "township" else "type"


def _small_groups_hidden(scope: Scope, groups: pd.DataFrame, sizes: pd.Series) -> pd.DataFrame:
    if scope.bureau:
        return groups
    return groups[sizes.to_numpy() >= MIN_GROUP_FOR_SCHOOLS]


def _group_means_for(scope: Scope, groups: pd.DataFrame, own_group) -> pd.DataFrame:
    """The group means (columns group, mean, size) of one month end or year a viewer may see beside
    the county mean.  A school sees no group under MIN_GROUP_FOR_SCHOOLS schools, and the groups it
    does not see must not add up to one or two other schools: the county mean times the county's
    schools, less every group shown, is their sum (one two-school township beside the county gave
    away the other school's draft total).  So the smallest groups shown are hidden as well until the
    hidden ones hold at least MIN_GROUP_FOR_SCHOOLS - 1 schools besides the viewer's own, or none."""
    if scope.bureau:
        return groups
    order = groups.sort_values("size", kind="stable")
    hidden = order["size"] < MIN_GROUP_FOR_SCHOOLS
    sizes = order["size"].to_numpy()
    own = (order["group"] == own_group).to_numpy()

    def others_hidden() -> int:
        return int(sizes[hidden.to_numpy()].sum()) - int((own & hidden.to_numpy()).any())

    while 0 < others_hidden() < MIN_GROUP_FOR_SCHOOLS - 1 and not hidden.all():
        hidden.iloc[int(np.flatnonzero(~hidden.to_numpy())[0])] = True
    return order[~hidden].sort_index()


GROUPINGS = ("type", "township")


def _shown_to_a_school(members: pd.DataFrame, own_code: str | None, blocks: dict[str, pd.DataFrame],
                       own_groups: dict, known: frozenset = frozenset()) -> dict[str, set]:
    """The groups of each grouping (type, township) whose mean a school sees at one month end or year.

    Each grouping by itself hides what would single a school out (_group_means_for), but the school asks
    for both: a township holding a three-school type and one school more, less that type, is that one
    school's total (found by an adversarial audit).  So the means seen in either grouping, the county's and
    the viewer's own total are put together, and while they still give some other school's total alone the
    smallest group shown is hidden too.  members: the ranked schools counted (school_code, type, township);
    blocks: each grouping's means (group, mean, size); own_groups: the viewer's group in each; known: other
    schools whose totals the viewer knows (those that sent nothing, _not_submitted)."""
    school = Scope(False, own_code)
    shown = {col: set(_group_means_for(school, blocks[col], own_groups.get(col))["group"]) for col in blocks}
    sizes = {col: dict(zip(block["group"], block["size"], strict=True)) for col, block in blocks.items()}
    while _one_school_worked_out(members, own_code, shown, known):
        left = sorted((sizes[col][group], col, str(group), group) for col, groups in shown.items() for group in groups)
        if not left:
            break  # the county mean alone gives it (one other ranked school): withheld, _county_withheld_days
        shown[left[0][1]].discard(left[0][3])
    return shown


def _one_school_worked_out(members: pd.DataFrame, own_code: str | None, shown: dict[str, set],
                           known: frozenset = frozenset()) -> bool:
    """Whether the sums a viewer knows (the county's, each group's shown, its own total and the `known`
    schools' each) give some other school's total alone: that school's column of them is then reproduced by
    a combination of the sums (its leverage on them is 1).  Schools in the same shown groups have the same
    column: worked out per distinct column, weighted by how many schools share it (a decomposition per
    school took 0.2 s a month end at 3,000)."""
    if members.empty:
        return False
    # each school whose total the viewer knows is a sum of its own (its column one of the sums)
    known_at = {code: i for i, code in enumerate(sorted({own_code, *known} - {None}), start=1)}
    keys = [members["school_code"].map(known_at).fillna(0).to_numpy(dtype="int64")]
    labels = []
    for col, groups in shown.items():
        number = {group: i for i, group in enumerate(sorted(groups, key=str), start=1)}
        keys.append(members[col].map(number).fillna(0).to_numpy(dtype="int64"))
        labels += [(len(keys) - 1, i) for i in number.values()]
    patterns, weights = np.unique(np.column_stack(keys), axis=0, return_counts=True)
    vectors = np.column_stack([np.ones(len(patterns)),
                               *((patterns[:, 0] == i).astype("float64") for i in sorted(set(known_at.values()))),
                               *((patterns[:, k] == i).astype("float64") for k, i in labels)])
    gram = (vectors * weights[:, None]).T @ vectors
    leverage = np.einsum("ij,jk,ik->i", vectors, np.linalg.pinv(gram), vectors)
    return bool(((leverage > 1 - 1e-6) & (weights == 1) & (patterns[:, 0] == 0)).any())


def _own_group(scope: Scope, group_of: pd.Series):
    """The viewer's school's group (its type or township) in `group_of`, indexed by school code."""
    if scope.bureau or scope.school_code not in group_of.index:
        return None
    found = group_of.loc[scope.school_code]
    return found.iloc[0] if isinstance(found, pd.Series) else found


def trend_by_month(viewer: Viewer, year: int, group_by: str = "type") -> pd.DataFrame:
    """Mean year-to-date total at each month end: the county and each type or township (long: as_of, group, mean)."""
    scope = Scope.of(viewer)
    engine = _engine()
    version = data_version(engine)
    trend = _trend_means(engine, year, version)
    if trend.empty:
        return pd.DataFrame(columns=["as_of", "group", "mean", "schools"])
    col = _group_column(group_by)
    if scope.bureau:
        groups = _group_means(engine, year, version, col)
    else:
        groups = _groups_shown_to_a_school(engine, year, version, col, scope.school_code)
    county = _ranked(trend).groupby("as_of")["total"].agg(["mean", "size"]).reset_index().assign(group=None)
    county = county[~county["as_of"].isin(list(_county_withheld_days(scope, engine, year, version)))]
    out = pd.concat([county, groups], ignore_index=True).rename(columns={"size": "schools"})
    # halves up, as the overview's mean and the year-on-year chart beside it (72.45 read 72.4 here, 72.5 there)
    out["mean"] = round_half_up(out["mean"].astype("float64"))
    return out[["as_of", "group", "mean", "schools"]]


@lru_cache(maxsize=_CACHE_SIZE)
def _group_means(engine: Engine, year: int, version: tuple, col: str) -> pd.DataFrame:
    """Each type's or township's mean of the ranked schools at each month end: as_of, group, mean, size."""
    trend = _ranked(_trend_means(engine, year, version))
    return trend.groupby(["as_of", col])["total"].agg(["mean", "size"]).reset_index().rename(columns={col: "group"})


def _groups_shown_to_a_school(engine: Engine, year: int, version: tuple, col: str, own_code: str | None) -> pd.DataFrame:
    """_group_means by `col` as the school `own_code` sees them, month end by month end (_shown_to_a_school:
    with the other grouping's means it sees at the same month end)."""
    return _month_ends_shown_to_a_school(engine, year, version, own_code)[col]


@lru_cache(maxsize=_CACHE_SIZE)
def _month_ends_shown_to_a_school(engine: Engine, year: int, version: tuple,
                                  own_code: str | None) -> dict[str, pd.DataFrame]:
    """Both groupings' means as the school sees them at each month end, worked out together (the trends
    page by type, by township and the school's own page read the same)."""
    own_groups, days = _month_end_groups(engine, year, version)
    own_groups = own_groups.get(own_code, {})
    known = _not_submitted(engine, year, version)
    parts: dict[str, list] = {c: [] for c in GROUPINGS}
    seen: dict[int, dict] = {}
    for members, blocks in days:
        # month ends whose ranked schools are the same (all but a school missing a month's row) hide the same
        if id(members) not in seen:
            seen[id(members)] = _shown_to_a_school(members, own_code, blocks, own_groups, known)
        shown = seen[id(members)]
        for c in GROUPINGS:
            parts[c].append(blocks[c][blocks[c]["group"].isin(shown[c])])
    return {c: pd.concat(parts[c], ignore_index=True) if parts[c]
            else _group_means(engine, year, version, c).iloc[0:0] for c in GROUPINGS}


@lru_cache(maxsize=_CACHE_SIZE)
def _month_end_groups(engine: Engine, year: int, version: tuple) -> tuple[dict, list]:
    """What _month_ends_shown_to_a_school reads for every school: each school's type and township, and per
    month end the ranked schools (one frame shared by consecutive month ends that have the same) and each
    grouping's means."""
    trend = _trend_means(engine, year, version)
    last = trend.drop_duplicates("school_code", keep="last")
    own_groups = {code: dict(zip(GROUPINGS, groups, strict=True))
                  for code, *groups in zip(last["school_code"], *(last[c] for c in GROUPINGS), strict=True)}
    by_day = {c: dict(tuple(_group_means(engine, year, version, c).groupby("as_of"))) for c in GROUPINGS}
    days, before = [], None
    for day, members in _ranked(trend).groupby("as_of"):
        members = members[["school_code", *GROUPINGS]].reset_index(drop=True)
        if before is not None and members.equals(before):
            members = before
        before = members
        days.append((members, {c: by_day[c].get(day, _group_means(engine, year, version, c).iloc[0:0])
                               for c in GROUPINGS}))
    return own_groups, days


def county_by_month_all_years(viewer: Viewer) -> pd.DataFrame:
    """County mean at each month end for every stored year (year on year): year, month, mean."""
    scope = Scope.of(viewer)
    engine = _engine()
    version = data_version(engine)
    parts = []
    for year in _years(engine, version):
        trend = _trend_means(engine, year, version)
        if trend.empty:
            continue
        means = _ranked(trend).groupby("as_of")["total"].mean().reset_index()
        means = means[~means["as_of"].isin(list(_county_withheld_days(scope, engine, year, version)))]
        means["total"] = round_half_up(means["total"])
        parts.append(pd.DataFrame({"year": year, "month": means["as_of"].dt.month, "mean": means["total"]}))
    if not parts:
        return pd.DataFrame(columns=["year", "month", "mean"])
    return pd.concat(parts, ignore_index=True)


def annual_by_year(viewer: Viewer, group_by: str = "type") -> pd.DataFrame:
    """Mean annual total per year, county and per group (long: year, group, mean)."""
    scope = Scope.of(viewer)
    engine = _engine()
    version = data_version(engine)
    col = _group_column(group_by)
    parts = []
    for year in _years(engine, version):
        annual = _annual(engine, year, version)
        ranked, blocks = _annual_groups(engine, year, version)
        if ranked.empty:
            continue
        if not _annual_county_withheld(scope, engine, year, version):
            parts.append(pd.DataFrame({"year": [year], "group": [None], "mean": [ranked["total"].mean()]}))
        groups = blocks[col]
        if not scope.bureau:
            own_groups = {c: _own_group(scope, annual[c]) for c in GROUPINGS}
            seen = _shown_to_a_school(ranked, scope.school_code, blocks, own_groups,
                                      _not_submitted(engine, year, version))[col]
            groups = groups[groups["group"].isin(seen)]
        parts.append(groups.drop(columns="size").assign(year=year))
    if not parts:
        return pd.DataFrame(columns=["year", "group", "mean"])
    out = pd.concat(parts, ignore_index=True)
    out["mean"] = round_half_up(out["mean"].astype("float64"))  # halves up, as every mean shown
    return out[["year", "group", "mean"]]


@lru_cache(maxsize=_CACHE_SIZE)
def _annual_groups(engine: Engine, year: int, version: tuple) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The year's ranked schools, and each grouping's means of them (group, mean, size)."""
    annual = _annual(engine, year, version)
    ranked = pd.DataFrame(columns=["school_code", "total", *GROUPINGS]) if annual.empty else _ranked(annual)
    return ranked, {c: ranked.groupby(c)["total"].agg(["mean", "size"]).reset_index().rename(columns={c: "group"})
                    for c in GROUPINGS}


def spread(viewer: Viewer, year: int, group_by: str = "type") -> pd.DataFrame:
    """The year's totals with each school's group (for the spread plots); no names for a school viewer,
    and for a school viewer nothing in a draft year: one total per school, asked once by type and once
    by township, would pair each total with its school's type and township, which name most schools."""
    scope = Scope.of(viewer)
    engine = _engine()
    version = data_version(engine)
    annual = _annual(engine, year, version)
    if annual.empty or (not scope.bureau and _publication(engine, year, version) is None):
        return pd.DataFrame(columns=["group", "total", "name"])
    col = _group_column(group_by)
    annual = _ranked(annual)
    out = pd.DataFrame({"group": annual[col].to_numpy(), "total": annual["total"].to_numpy(),
                        "name": annual["name"].to_numpy() if scope.bureau else None})
    return _small_groups_hidden(scope, out, out.groupby("group")["total"].transform("size"))


def risers_fallers(viewer: Viewer, year: int, n: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The n ranked schools whose total rose most and fell most on last year (only schools the viewer may
    rank)."""
    frame = ranking(viewer, year)
    # Ranked schools only: a disqualified school's rise is not one (取消資格, whatever its points did).
    frame = frame[frame["change"].notna() & frame["qualified"].astype(bool)]
    cols = ["school_code", "name", "type", "township", "total", "change"]
    risers = frame[frame["change"] > 0].sort_values("change", ascending=False).head(n)[cols]
    fallers = frame[frame["change"] < 0].sort_values("change").head(n)[cols]
    return risers.reset_index(drop=True), fallers.reset_index(drop=True)


# --- heatmaps ------------------------------------------------------------------------------


def _period_sort_key(period: pd.Series) -> pd.Series:
    return period.astype(str).str.replace("spring", "1", regex=False).str.replace("autumn", "2", regex=False)


@lru_cache(maxsize=_CACHE_SIZE)
def _heatmap_cells(engine: Engine, scope: Scope, year: int, measure: str, version: tuple) -> pd.DataFrame:
    indicator, who = MEASURES[measure]
    annual = _annual(engine, year, version)
    if annual.empty:
        return pd.DataFrame(columns=["school_code", "name", "type", "township", "period", "required", "held",
                                     "covered", "counted", "value", "total"])
    if not scope.bureau:
        annual = annual[annual.index == scope.school_code]
    if who == "kindergartens":
        annual = annual[annual["type"] == KINDERGARTEN]
    elif who == "schools":
        annual = annual[annual["type"] != KINDERGARTEN]
    long = _periods_long(engine, year, version, annual, indicator)
    if indicator == "E7":
        long = _guard_semesters(long)
    info = annual[["name", "type", "township", "total"]]
    long = long.join(info, on="school_code")
    share = (long["held"] / long["required"].where(long["required"] > 0)).clip(upper=1)
    share = share.where(share.notna(), long["covered"].astype("float64"))
    if indicator == "C6":
        # A staff training held without everyone present does not cover the semester: half tone at most.
        share = share.where(long["covered"], 0.5 * share)
    # A period not yet countable (still running, not yet covered) has no colour: nobody owes it yet.
    long["value"] = share.where(long["counted"] | long["covered"], np.nan)
    long = long.assign(_k=_period_sort_key(long["period"])).sort_values(["_k"]).drop(columns="_k")
    return long.reset_index(drop=True)


def heatmap_cells(viewer: Viewer, year: int, measure: str) -> pd.DataFrame:
    """One row per (school, period) of a measure: required, held, covered, counted, value 0..1 (NaN: not due yet).

    A school viewer sees only its own school's rows.
    """
    if measure not in MEASURES:
        raise NotFound("heatmap.unknown_measure")
    scope = Scope.of(viewer)
    engine = _engine()
    return _heatmap_cells(engine, scope, year, measure, data_version(engine))


def coverage(cells: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Periods due and covered per `keys` (a school, a school and period, a group and period), counted as
    the scoring counts them ("7 of 9 covered"): due is a period the scoring counts (over, or covered
    early), covered is one of those the school covered.  Columns: keys..., due, covered."""
    due = cells["counted"].astype(bool) | cells["covered"].astype(bool)
    frame = cells[keys].assign(due=due.astype("int64"), covered=(cells["covered"].astype(bool) & due).astype("int64"))
    return frame.groupby(keys, sort=False, dropna=False)[["due", "covered"]].sum().reset_index()


@dataclass(frozen=True)
class GroupCoverage:
    """A heatmap by group.  periods: group, period, schools, due, covered, share (covered / due, NaN
    while no school of the group is due); rows: group, schools, with_due (schools with a period due),
    on_track (of those, the ones that covered every period due).  group None: every school chosen."""

    periods: pd.DataFrame
    rows: pd.DataFrame


def group_coverage(cells: pd.DataFrame, group_by: str, chosen: tuple[str, ...] = ()) -> GroupCoverage:
    """heatmap_cells summed per group (township or type) and for the chosen groups together: the same
    cells the school-by-school heatmap draws, so a group's share is the share of its schools' cells
    covered among those due (the two views cannot disagree)."""
    col = _group_column(group_by)
    if chosen:
        cells = cells[cells[col].isin(chosen)]
    if not cells.empty:  # a school with no township (or type) is a group of its own, not the row of all
        cells = cells.assign(**{col: cells[col].where(cells[col].notna() & (cells[col] != ""), "–")})
    if cells.empty:
        return GroupCoverage(pd.DataFrame(columns=["group", "period", "schools", "due", "covered", "share"]),
                             pd.DataFrame(columns=["group", "schools", "with_due", "on_track"]))
    whole = cells.assign(_all="")
    periods, rows = [], []
    for key, group_col in ((col, col), ("_all", "_all")):
        by_period = coverage(whole, [key, "period"])
        by_period = by_period.merge(whole.groupby([key, "period"], sort=False)["school_code"].nunique()
                                    .rename("schools").reset_index(), on=[key, "period"])
        periods.append(by_period.rename(columns={key: "group"}))
        schools = coverage(whole, [group_col, "school_code"])
        schools["on_track"] = (schools["due"] > 0) & (schools["covered"] == schools["due"])
        rows.append(schools.groupby(group_col, sort=False).agg(
            schools=("school_code", "size"), with_due=("due", lambda d: int((d > 0).sum())),
            on_track=("on_track", "sum")).reset_index().rename(columns={group_col: "group"}))
    periods_frame = pd.concat(periods, ignore_index=True)
    periods_frame["share"] = periods_frame["covered"] / periods_frame["due"].where(periods_frame["due"] > 0)
    rows_frame = pd.concat(rows, ignore_index=True)
    # the row of every school chosen is group None, as in the trends' frames
    for frame in (periods_frame, rows_frame):
        frame["group"] = frame["group"].astype("object").where(frame["group"] != "", None)
    rows_frame[["schools", "with_due", "on_track"]] = rows_frame[["schools", "with_due", "on_track"]].astype("int64")
    return GroupCoverage(periods_frame[["group", "period", "schools", "due", "covered", "share"]], rows_frame)


def heatmap_groups(viewer: Viewer, year: int, measure: str, group_by: str,
                   chosen: tuple[str, ...] = ()) -> GroupCoverage:
    """The heatmap by group (group_coverage of heatmap_cells), for the bureau alone: a school sees its
    own school's row only, and a group's share over a township of two schools would be the other's."""
    scope = Scope.of(viewer)
    if not scope.bureau:
        raise Refused("refused.bureau_only")
    return group_coverage(heatmap_cells(viewer, year, measure), group_by, tuple(chosen))


def warm_year(engine: Engine, year: int, version: tuple, today: date | None = None) -> None:
    """Build one year's county-wide loads (what the overview and any school page read) for this version."""
    day = _reference_day(year, today)
    running = _is_running(year, today)
    bureau = Scope(True, None)
    _results(engine, year, version)
    _ranking(engine, bureau, year, version)
    _headline(engine, year, day, version)
    age_limit = guard_age_limit()
    _todo_counts(engine, year, day, running, version, age_limit)
    _ledgers(engine, year, day, version)
    _guards_to_watch(engine, day, version, age_limit)
    _trend_lists(engine, year, version)
    _year_status(engine, year, version)
    _inspections_by_school(engine, year, version)


def warm_school_loads(engine: Engine, version: tuple, limit: int = 200) -> None:
    """Build the loads of the school pages' data section (sources, refused rows, last run) for this version."""
    _sources_by_school(engine, version)
    _sheets_from_database(engine, version)
    _refused_by_school(engine, limit, version)
    _last_run(engine, version)


def clear_caches() -> None:
    """Forget every cached load (tests; the data version already invalidates on change)."""
    for fn in (_publication, _score_rows, _annual, _year_periods, _years, _ranking, _refused_workbooks, _record_table, _headline, _todos,
               _trend_means, _trend_parts, _group_means, _month_ends_shown_to_a_school, _month_end_groups, _annual_groups, _heatmap_cells,
               _hazards_by_school, _guards_to_watch, _active_guards, _results, _ledgers, _year_status, _trend_lists, _sources_by_school, _sheets_from_database, _refused_by_school, _last_run, _todo_counts,
               _registered_types, _inspections_by_school, _draft_results, _not_submitted):
        fn.cache_clear()
    for cache_clear in _version_keyed_caches:
        cache_clear()


__all__ = [
    "AREAS", "GRADES", "MEASURES", "grade_names", "NotFound", "Refused", "Scope", "annual_by_year", "clear_caches",
    "county_by_month_all_years", "county_todos", "data_state", "data_version",
    "GroupCoverage", "campus_guards", "coverage", "group_coverage", "guards_per_campus", "hazard_ledger", "hazard_rows",
    "hazard_status", "headline", "heatmap_cells", "heatmap_groups", "ranking",
    "risers_fallers", "school_choices", "school_result", "school_todos", "school_trend", "school_trend_lists", "spread",
    "trend_by_month", "year_status", "years",
]

