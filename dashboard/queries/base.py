"""What every query stands on: who may see what (Scope), the data version the loads are keyed on, the
stored results as read, and the records the county's pages and a school's share (hazards, the reference day)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd
from sqlalchemy import String, cast, func, select
from sqlalchemy.engine import Engine

from dashboard.access import Viewer
from sync import contract
from sync.settings import configured_rubric, county_today
from sync.sheet_frames import day_column
from sync.store import get_engine, publications, records, scores, sync_runs

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


def county_groups(viewer: Viewer | None, year: int, group_by: str) -> tuple[str, ...]:
    """Every school type (the contract's order, then any other) or township (sorted) of the year's evaluated
    schools: what gives each group one colour on every chart, whoever looks (a type's line took its colour
    from its place among the groups shown, and a school, shown fewer, saw 初中 in another colour; a UX
    review).  Names of types and townships only, which every page shows."""
    Scope.of(viewer)
    engine = _engine()
    annual = _annual(engine, year, data_version(engine))
    column = "township" if group_by == "township" else "type"
    found = set() if annual.empty else {g for g in annual[column] if isinstance(g, str) and g}
    if column == "township":
        return tuple(sorted(found))
    return tuple(t for t in contract.SCHOOL_TYPES if t in found) + tuple(sorted(found - set(contract.SCHOOL_TYPES)))


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
_loads: list = []


def forget_on_new_data(cache_clear) -> None:
    """Have `cache_clear` called whenever the data version changes (a page's cache keyed on the version)."""
    _version_keyed_caches.append(cache_clear)


def version_cached(load):
    """A load cached on its arguments (the data version among them), forgotten with the rest on a new
    version: registered as it is defined, where a list kept by hand had missed one."""
    cached = lru_cache(maxsize=_CACHE_SIZE)(load)
    _loads.append(cached)
    return cached


def cached_loads() -> tuple:
    """Every load cached on the data version (version_cached)."""
    return tuple(_loads)


def clear_caches() -> None:
    """Forget every cached load and rendered page (tests; the data version already invalidates on change)."""
    for load in _loads:
        load.cache_clear()
    for cache_clear in _version_keyed_caches:
        cache_clear()


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


@version_cached
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


@version_cached
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


@version_cached
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


@version_cached
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


@version_cached
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


def _reference_day(year: int, today: date | None) -> date:
    """'Now' inside the year: today in the running year, 31 Dec for a past one."""
    today = today or county_today()
    return min(today, date(year, 12, 31)) if year <= today.year else date(year, 1, 1)


@version_cached
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


def _is_running(year: int, today: date | None) -> bool:
    return (today or county_today()).year == year


def _check_school(viewer: Viewer, school_code: str | None) -> Scope:
    scope = Scope.of(viewer)
    if not school_code:
        raise NotFound("school.none")
    if not viewer.can_see_school(school_code):
        raise Refused("refused.other_school")
    return scope


@version_cached
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


@version_cached
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


def _group_column(group_by: str) -> str:
    return "township" if group_by == "township" else "type"


def _by_school(engine: Engine, query) -> dict[str, list[dict]]:
    """A query's rows grouped by their school_code (which is left out of each row), in the query's order."""
    found: dict[str, list[dict]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query).mappings():
            entry = dict(row)
            found.setdefault(entry.pop("school_code"), []).append(entry)
    return found
