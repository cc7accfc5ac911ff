"""Store side of scoring: draft results after each sync, frozen publications, and their queries.

Scoring itself (scoring/) is pure; this module loads the frames, runs it,
and keeps the results in the `scores` table:
- draft rows (publication_id NULL) are replaced, in one transaction, after
  every sync that changed records (`recompute`): only the evaluations (a year's
  annual result, a month-end trend point) whose inputs changed (InputDigest);
- `publish` copies a year's draft rows under a new `publications` row, so a
  published year never changes when data or the rubric change later;
  re-publishing needs force=True and keeps the earlier version (inactive);
- the circular's files (each format of the exports page) are made once, when a year is published, and
  kept with the publication (`circular_files`): a published year's circular is the document the bureau
  circulated, byte for byte, whatever version of safeschool makes the download later.

Annual rows keep the full indicator objects of `safeschool score --json`;
trend rows (one per school and month end) keep only points and maxima.
The areas JSON holds {"A": {"points", "max"}, ...} plus "_meta" with what the
columns do not hold (veto reason, unrounded total, submitted, rubric version).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import zlib
from collections.abc import Callable
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import (
    JSON,
    String,
    TypeDecorator,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.engine import Connection, Engine

from scoring.rubric import AREA_IDS
from sync.errors import UserError
from sync.settings import county_now, county_today
from sync.store import circular_files, publications, scores, sources

ANNUAL = "annual"
TREND = "trend"
_ROW_FIELDS = ("school_code", "name", "type", "township", "total", "grade", "rank", "qualified", "deduction")


def _now() -> datetime:
    return county_now().replace(microsecond=0)


def evaluation_date(year: int, today: date) -> date:
    """31 Dec for a past year; today for the running year."""
    return date(year, 12, 31) if year < today.year else today


def month_ends(year: int, as_of: date) -> list[date]:
    ends = [(pd.Timestamp(year, m, 1) + pd.offsets.MonthEnd(0)).date() for m in range(1, 13)]
    return [d for d in ends if d <= as_of]


# Dated activity: what a school did (or the bureau found) on a day.  People's start, end and birth
# dates are not activity: a guard hired in 2010 does not make 2010 an evaluation year.
# The records whose dates make a year one the county scores.  Not the checklist's: its date is the day a
# standing arrangement was set up (a leadership group by a document of 2016), and a school writing it made
# every year since then a year to rank and publish (found by an audit); nor the start dates of staff and guards.
ACTIVITY_DATES = {
    "drills": "date", "education": "date", "guard_training": "start_date",
    "guard_drills": "date", "gate_duty": "date", "hazards": "found_date", "funds": "date", "inspections": "date",
}


def record_years(frames: dict[str, pd.DataFrame]) -> list[int]:
    """Years any activity record falls in (plus the years of responsibility agreements)."""
    years: set[int] = set()
    for key, col in ACTIVITY_DATES.items():
        frame = frames.get(key)
        if frame is not None and col in frame and len(frame):
            years.update(int(y) for y in pd.to_datetime(frame[col]).dropna().dt.year.unique())
    agreements = frames.get("agreements")
    if agreements is not None and len(agreements):
        years.update(int(y) for y in agreements["year"].dropna().unique())
    return sorted(years)


def default_years(frames: dict[str, pd.DataFrame], today: date) -> list[int]:
    """Every year from the earliest record year to the running year."""
    years = [y for y in record_years(frames) if y <= today.year]
    first = min(years) if years else today.year
    return list(range(first, today.year + 1))


def rubric_fingerprint(rubric) -> str:
    """A digest of everything in the rubric and the county calendar that scoring reads, of the area names
    the results keep for the circular (Rubric.wording: a renamed area was printed under its old name until
    a record changed, and would be published so; a rubric audit), and of the results' format."""
    from scoring.engine import JSON_FORMAT

    state = (JSON_FORMAT, rubric.version, sorted(rubric.points.items()), sorted(rubric.clauses.items()),
             repr(rubric.thresholds), rubric.themes, rubric.grades, rubric.spring, rubric.autumn,
             sorted(rubric.calendar_overrides.items()), sorted(rubric.areas.items()))
    return hashlib.sha256(repr(state).encode()).hexdigest()


def rubric_changed(engine: Engine, rubric=None) -> bool:
    """The newest draft scores were computed under another rubric or calendar than the configured one
    (the configuration was edited): a run with no new records still recomputes them."""
    from sync.settings import configured_rubric

    with engine.connect() as conn:
        areas = conn.execute(select(scores.c.areas).where(scores.c.publication_id.is_(None))
                             .order_by(scores.c.computed_at.desc()).limit(1)).scalar()
    if areas is None:
        return False
    return (areas.get("_meta") or {}).get("rubric") != rubric_fingerprint(rubric or configured_rubric())


class InputDigest:
    """What the evaluation on a given date depends on, as a digest: the rubric, and every record except
    those whose dates all lie after that date.

    Scoring never counts a record dated after the evaluation date (rules.md: "only records dated on
    or before the evaluation date count"; tests/test_scoring_properties.py pins it), so an upload that adds November's drills
    leaves every earlier month-end point, and every earlier year, as it was: only the evaluations whose
    digest changed are run again.  A record with no date, or an empty date column, counts for every
    date.  Row order, store ids and row numbers are left out: reloading a file changes nothing."""

    def __init__(self, frames: dict[str, pd.DataFrame], rubric):
        self.rubric = rubric_fingerprint(rubric).encode()
        self.parts: list[tuple[bytes, np.ndarray | None, np.ndarray | None]] = []
        for key in sorted(frames):
            frame = frames[key].drop(columns=["source_id", "row_no", "record_id"], errors="ignore")
            header = f"{key}:{','.join(map(str, frame.columns))}".encode()
            if not len(frame):
                self.parts.append((header, None, None))
                continue
            hashes = pd.util.hash_pandas_object(frame.astype("object"), index=False).to_numpy()
            dated = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
            first = frame[dated].min(axis=1, skipna=True).to_numpy() if dated else None
            self.parts.append((header, hashes, first))

    def at(self, as_of: date) -> str:
        digest = hashlib.sha256(self.rubric)
        limit = np.datetime64(as_of)
        for header, hashes, first in self.parts:
            digest.update(header)
            if hashes is None:
                continue
            kept = hashes if first is None else hashes[np.isnat(first) | (first <= limit)]
            digest.update(np.sort(kept).tobytes())
        return digest.hexdigest()


def _stored_points(conn: Connection, years: list[int]) -> dict[tuple[int, str, date], str | None]:
    """The fingerprint each draft evaluation (year, kind, as_of) was computed from, read off one of its rows."""
    firsts = select(func.min(scores.c.id)).where(
        scores.c.publication_id.is_(None), scores.c.year.in_(years)).group_by(scores.c.year, scores.c.kind,
                                                                             scores.c.as_of)
    found = {}
    for year, kind, as_of, areas in conn.execute(
            select(scores.c.year, scores.c.kind, scores.c.as_of, scores.c.areas).where(scores.c.id.in_(firsts))):
        found[(year, kind, as_of)] = (areas or {}).get("_meta", {}).get("fingerprint")
    return found


def _trend_rows(ev, computed_at: datetime, fingerprint: str = "") -> list[dict]:
    """The rows `_rows_for(ev, TREND, ..., full=False)` gives, built straight from the frames.

    A trend point keeps only totals and each indicator's points, max and pending: skipping the
    texts of `to_json` makes the twelve month-end evaluations of a year noticeably cheaper.
    """
    from scoring.engine import DIGITS, _clean

    ind = ev.indicators
    points = np.round(ind["points"].to_numpy(dtype=float, na_value=np.nan), DIGITS).tolist()
    maxima = np.round(ind["max"].to_numpy(dtype=float, na_value=np.nan), DIGITS).tolist()
    by_school: dict = {}
    for code, i, p, m, pending in zip(ind["school_code"].tolist(), ind["indicator"].tolist(), points, maxima,
                                      ind["pending"].astype(bool).tolist(), strict=True):
        by_school.setdefault(code, {})[i] = {"points": None if p != p else p,
                                             "max": None if m != m or pending else m, "pending": pending}
    rubric = rubric_fingerprint(ev.rubric)  # once: a digest per school was a tenth of storing a county's point
    rows = []
    for s in ev.schools.to_dict("records"):
        areas = {a: {"points": _clean(s[f"{a}_points"]), "max": _clean(s[f"{a}_max"])} for a in AREA_IDS}
        areas["_meta"] = {"veto": s["veto_reason"] or None, "raw_total": _clean(s["raw_total"]),
                          "submitted": bool(s["submitted"]), "rubric_version": ev.rubric.version,
                          "fingerprint": fingerprint, "rubric": rubric}
        rows.append({
            "publication_id": None, "year": ev.year, "kind": TREND, "as_of": ev.as_of,
            "school_code": s["school_code"], "name": s["name"], "type": s["type"], "township": s["township"],
            "total": _clean(s["total"], 1), "grade": s["grade"],
            "rank": None if pd.isna(s["rank"]) else int(s["rank"]), "qualified": bool(s["qualified"]),
            "deduction": _clean(s["deduction"]),
            "areas": areas, "indicators": by_school.get(s["school_code"], {}), "campuses": [],
            "computed_at": computed_at,
        })
    return rows


def _rows_for(ev, kind: str, computed_at: datetime, full: bool, fingerprint: str = "") -> list[dict]:
    # The grade bands and area names the grades were given under, kept with them: a published circular
    # states its bands, and a later rubric must not reword a frozen year (found by an audit).
    # (A trend point is no circular's: its rows stay lean.)
    wording = ev.rubric.wording() if full else None
    rubric = rubric_fingerprint(ev.rubric)
    rows = []
    for obj in ev.to_json(with_periods=full):
        indicators = obj["indicators"] if full else {
            k: {"points": v["points"], "max": v["max"], "pending": v["pending"]} for k, v in obj["indicators"].items()}
        areas = dict(obj["areas"])
        areas["_meta"] = {"veto": obj["veto"], "raw_total": obj["raw_total"], "submitted": obj["submitted"],
                          "rubric_version": obj["rubric_version"], "fingerprint": fingerprint,
                          "rubric": rubric, **({"wording": wording} if full else {})}
        rows.append({
            "publication_id": None, "year": ev.year, "kind": kind, "as_of": ev.as_of,
            **{f: obj[f] for f in _ROW_FIELDS},
            "areas": areas, "indicators": indicators, "campuses": obj["campuses"] if full else [],
            "computed_at": computed_at,
        })
    return rows


def recompute(engine: Engine, years: list[int] | None = None, today: date | None = None, rubric=None,
              trend: bool = True, force: bool = False, workers: int = 1) -> dict:
    """Re-evaluate the draft annual and trend scores whose inputs changed and replace them in one transaction.

    years: default every year from the earliest record year to the running year.
    today: the running day (default: the clock); a past year is evaluated on 31 Dec,
    the running year on today, and the trend at every month end up to then (trend=False skips it).
    Each evaluation (a year's annual result, each month-end trend point) whose inputs are the same
    as when its drafts were computed is kept as it is (InputDigest; force=True recomputes them
    anyway): a sync that changed nothing costs almost nothing, and an upload of this month's
    records reruns this month's point and the running year's result, not every year's twelve.
    workers: processes the evaluations run in when there are several (sync.parallel); the
    dashboard's own recomputes stay in-process.
    """
    from sync.lock import recompute_lock

    # One at a time, each reading the records after the one before it wrote (sync.lock.recompute_lock).
    with recompute_lock(engine):
        return _recompute(engine, years, today, rubric, trend, force, workers)


def _recompute(engine: Engine, years, today, rubric, trend: bool, force: bool, workers: int) -> dict:
    from sync.frames import load_frames
    from sync.parallel import ordered_map
    from sync.settings import configured_rubric

    today = today or county_today()
    rubric = rubric or configured_rubric()
    frames = load_frames(engine)
    years = sorted(set(years)) if years else default_years(frames, today)
    years = [y for y in years if y <= today.year]
    computed_at = _now()
    inputs = InputDigest(frames, rubric)
    with engine.connect() as conn:
        stored = _stored_points(conn, years) if years and not force else {}
    summary = {"years": years, "annual_rows": 0, "trend_rows": 0, "rubric_version": rubric.version, "as_of": {},
               "unchanged": [], "evaluations": 0}
    replaced = []  # (year, kinds and dates recomputed, the year's month ends)
    for year in years:
        as_of = evaluation_date(year, today)
        summary["as_of"][year] = as_of.isoformat()
        ends = month_ends(year, as_of) if trend else []
        points = [(ANNUAL, as_of)] + [(TREND, end) for end in ends]
        todo = [(kind, when, fp) for kind, when in points
                if stored.get((year, kind, when), "") != (fp := _fingerprint(inputs, kind, when, today))]
        if not todo:
            summary["unchanged"].append(year)
            continue
        summary["evaluations"] += len(todo)
        replaced.append((year, todo, ends))
    evaluations = [(year, kind, when, fp) for year, todo, _ends in replaced for kind, when, fp in todo]
    # Each evaluation's rows wait for the insert packed (_packed): as dicts, every year's and month end's rows
    # of 1,000 schools took this process over 500 MB, the recompute's peak 1,081 MB (293 at 250 schools);
    # packed they are 15 MB and the peak 579.  They are inserted together once all are computed, so that
    # SQLite's write lock is held for the insert alone (taken at the first delete), not while they compute.
    packed: list[bytes] = []
    for (_year, kind, _when, _fp), (count, done) in zip(evaluations, ordered_map(
            _evaluation_rows, evaluations, workers, _evaluation_context, (frames, rubric, computed_at, today),
            min_items=EVALUATIONS_WORTH_WORKERS), strict=True):
        summary["annual_rows" if kind == ANNUAL else "trend_rows"] += count
        packed.append(done)
    drafts = scores.c.publication_id.is_(None)
    with engine.begin() as conn:
        for year, todo, ends in replaced:
            if any(kind == ANNUAL for kind, _w, _f in todo):
                conn.execute(delete(scores).where(drafts, scores.c.year == year, scores.c.kind == ANNUAL))
            again = [when for kind, when, _f in todo if kind == TREND]
            if again:
                conn.execute(delete(scores).where(drafts, scores.c.year == year, scores.c.kind == TREND,
                                                  scores.c.as_of.in_(again)))
            if trend:  # month ends past the evaluation date (a clock set back) are no longer points
                conn.execute(delete(scores).where(drafts, scores.c.year == year, scores.c.kind == TREND,
                                                  scores.c.as_of.not_in(ends) if ends else true()))
        while packed:
            rows = _unpacked(packed.pop(0))
            for start in range(0, len(rows), 2000):
                conn.execute(_insert_packed(), rows[start:start + 2000])
            del rows
    return summary


EVALUATIONS_WORTH_WORKERS = 4  # each evaluation of a county takes about a second: a few are worth workers
_EVALUATING: dict = {}


def _fingerprint(inputs: InputDigest, kind: str, when: date, today: date) -> str:
    """The inputs of one evaluation; a year's result taken on today also depends on today not being over
    (its hints ask for the periods ending today): on 31 Dec it is taken again once the year is over."""
    return inputs.at(when) + ("+today" if kind == ANNUAL and when == today else "")


def _evaluation_context(frames, rubric, computed_at, today=None) -> None:
    _EVALUATING.update(frames=frames, rubric=rubric, computed_at=computed_at, today=today)


def _evaluation_rows(item: tuple[int, str, date, str]) -> tuple[int, bytes]:
    """The score rows of one evaluation (a year's annual result or one month-end trend point): (how many, the
    rows packed)."""
    from scoring import evaluate

    year, kind, when, fingerprint = item
    frames, rubric, computed_at = _EVALUATING["frames"], _EVALUATING["rubric"], _EVALUATING["computed_at"]
    if kind == ANNUAL:
        rows = _rows_for(evaluate(frames, year, when, rubric, today=_EVALUATING.get("today")), ANNUAL, computed_at,
                         full=True, fingerprint=fingerprint)
    else:
        rows = _trend_rows(evaluate(frames, year, when, rubric, with_periods=False), computed_at,
                           fingerprint=fingerprint)
    return len(rows), _packed(rows)


_JSON_COLUMNS = ("areas", "indicators", "campuses")


def _packed(rows: list[dict]) -> bytes:
    """Rows as they wait for the insert: their JSON columns as the text the store is given (json.dumps, as
    SQLAlchemy's JSON type writes them), the rows pickled and compressed (an annual row's indicators repeat
    the texts of every school's).  Unpacked, they are a few objects a row: the insert, in SQLite's write
    lock, neither builds a county's indicators again nor writes them out."""
    for row in rows:
        for column in _JSON_COLUMNS:
            row[column] = json.dumps(row[column])
    return zlib.compress(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL), 1)


def _unpacked(data: bytes) -> list[dict]:
    return pickle.loads(zlib.decompress(data))  # noqa: S301 - bytes this recompute's own workers made


class _JSONText(TypeDecorator):
    """A JSON column's value given as its text already (_packed): stored as it is."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect):
        if dialect.driver == "psycopg":  # psycopg sends a json parameter through its own Json wrapper
            from psycopg.types.json import Json

            return lambda text: Json(text, dumps=str)
        return None


def _insert_packed():
    """The insert of score rows whose JSON columns are text (_packed)."""
    return insert(scores).values({column: bindparam(column, type_=_JSONText()) for column in _JSON_COLUMNS})


def _draft_rows(conn: Connection, year: int, kind: str | None = None) -> list[dict]:
    query = select(scores).where(scores.c.publication_id.is_(None), scores.c.year == year)
    if kind:
        query = query.where(scores.c.kind == kind)
    return [dict(r) for r in conn.execute(query.order_by(scores.c.id)).mappings()]


def active_publication(engine_or_conn, year: int) -> dict | None:
    query = select(publications).where(publications.c.year == year, publications.c.active.is_(True)) \
        .order_by(publications.c.version.desc())
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            row = conn.execute(query).mappings().first()
    else:
        row = engine_or_conn.execute(query).mappings().first()
    return dict(row) if row else None


def list_publications(engine: Engine, year: int | None = None) -> list[dict]:
    query = select(publications).order_by(publications.c.year, publications.c.version)
    if year is not None:
        query = query.where(publications.c.year == year)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


CircularMaker = Callable[[int, list[dict], dict, "datetime | None"], list[dict]]


def publish(engine: Engine, year: int, *, files: CircularMaker, by: str | None = None, force: bool = False,
            note: str | None = None, today: date | None = None) -> dict:
    """Freeze the current draft results of `year` as a new publication (version n+1), with the circular's
    files that `files(year, annual results in rank order, publication, the time of the version it replaces)`
    makes (dashboard.downloads.publication_files: the formatting is the dashboard's, so it is handed in
    rather than imported, and the store never depends on the pages).

    The drafts are brought up to date first: a rubric changed since the last sync (grade bands, points)
    would otherwise be frozen into the year with results made under the old one.  Never while a sync
    runs: a county half reloaded is no state to freeze (found by an audit: 116 of 200 sources new)."""
    from sync.lock import SyncBusy, sync_lock

    try:
        with sync_lock(engine, wait=PUBLISH_WAIT_SECONDS, doing=f"publishing {year}"):
            return _publish(engine, year, files, by, force, note, today)
    except SyncBusy:
        raise UserError(f"{year} was not published: a sync is running; publish once it has finished (a few "
                        "minutes) so that the whole county is frozen as one",
                        zh=f"{year}年未發布:同步正在進行,請在同步完成後(幾分鐘)再發布,以免凍結一半新一半舊的數據",
                        key="pub.refused_syncing", values={"year": year}) from None


PUBLISH_WAIT_SECONDS = 10  # a sync ending this soon is waited for; a longer one is said


def _publish(engine: Engine, year: int, files: CircularMaker, by: str | None, force: bool, note: str | None,
             today: date | None) -> dict:
    with engine.connect() as conn:
        stored = {(kind, day): f for (y, kind, day), f in _stored_points(conn, [year]).items() if y == year}
    annual_days = {day for kind, day in stored if kind == ANNUAL}
    behind = bool(annual_days) and year_over(year, today) and date(year, 12, 31) not in annual_days
    if any(stored.values()) or behind:
        # Only the evaluations whose records, rubric or calendar changed since they were computed run
        # again (InputDigest): a corrected calendar or grade band is not frozen under the old one.  A
        # finished year whose last sync ran before 31 Dec is brought to 31 Dec, whatever wrote its drafts.
        recompute(engine, years=[year], today=today)
    with engine.begin() as conn:
        drafts = _draft_rows(conn, year)
        annual = [r for r in drafts if r["kind"] == ANNUAL]
        if not annual:
            raise UserError(f"{year} has no computed results to publish; run `safeschool sync` (or load data "
                            f"for {year}) first", zh=f"{year}年還沒有考評結果可發布;請先同步學校的工作簿")
        as_of = annual[0]["as_of"]
        if still_running(year, as_of, today) and not force:
            # the page names its box instead of --force (found by an audit): pub.refused_running
            raise UserError(
                f"{year} is still running (results as of {as_of}); publish after 31 Dec, or add --force to "
                "publish the year-to-date results",
                zh=f"{year}年尚未結束(結果截至{as_of});請在12月31日之後發布,或加 --force 提前發布截至今天的結果",
                key="pub.refused_running", values={"year": year, "as_of": str(as_of)})
        current = active_publication(conn, year)
        if current and not force:
            when = f"{current['published_at']:%Y-%m-%d %H:%M}"
            raise UserError(
                f"{year} is already published (version {current['version']}, {when}); add --force to publish a "
                "new version (the earlier one is kept)",
                zh=f"{year}年已發布(第{current['version']}版,{when});如要發布新版本,請加 --force(舊版本會保留)",
                key="pub.refused_published", values={"year": year, "version": current["version"], "when": when})
        last = conn.execute(select(func.max(publications.c.version)).where(publications.c.year == year)).scalar()
        meta = (annual[0]["areas"] or {}).get("_meta", {})
        data_timestamp = conn.execute(select(func.max(sources.c.loaded_at))).scalar()
        values = {
            "year": year, "version": (last or 0) + 1, "active": True, "published_at": _now(),
            "published_by": by, "rubric_version": meta.get("rubric_version"), "data_timestamp": data_timestamp,
            "note": note,
        }
        replaces = conn.execute(select(publications.c.published_at).where(
            publications.c.year == year, publications.c.version == last)).scalar() if last else None
        # Made before the first write: a county's Word circular takes seconds (20 s for 1,000 schools), and
        # SQLite's write lock, taken at the first write, would keep every other writer waiting meanwhile.
        made = files(year, [_json_object(r) for r in _rank_order(annual)], values, replaces)
        if current:
            conn.execute(update(publications).where(publications.c.year == year).values(active=False))
        publication_id = conn.execute(insert(publications).values(**values)).inserted_primary_key[0]
        copies = [{**{k: v for k, v in r.items() if k != "id"}, "publication_id": publication_id} for r in drafts]
        for start in range(0, len(copies), 2000):
            conn.execute(insert(scores), copies[start:start + 2000])
        conn.execute(insert(circular_files), [{**f, "publication_id": publication_id} for f in made])
    return {"publication_id": publication_id, **values, "schools": len(annual), "files": [f["format"] for f in made]}


def kept_circular(engine: Engine, year: int, fmt: str, language: str) -> dict | None:
    """The circular file kept with the year's active publication ({file_name, content, published_at,
    version, schools}), or None: a year not published, or published by a version that kept no files."""
    query = select(circular_files.c.file_name, circular_files.c.content, publications.c.published_at,
                   publications.c.version, publications.c.publication_id).join(publications).where(
        publications.c.year == year, publications.c.active.is_(True), circular_files.c.format == fmt,
        circular_files.c.language == language).order_by(publications.c.version.desc())
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
        if row is None:
            return None
        schools = conn.execute(select(func.count()).select_from(scores).where(
            scores.c.publication_id == row["publication_id"], scores.c.kind == ANNUAL)).scalar()
    return {**row, "schools": schools}


def kept_formats(engine: Engine, publication: dict) -> list[str]:
    """The formats of the circular kept with a publication (active_publication's row; none for a
    publication made before files were kept)."""
    with engine.connect() as conn:
        return sorted(set(conn.execute(select(circular_files.c.format).where(
            circular_files.c.publication_id == publication["publication_id"])).scalars()))


def draft_years(engine: Engine) -> list[int]:
    """The years that have draft results, latest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(scores.c.year).where(scores.c.publication_id.is_(None)).distinct()).scalars().all()
    return sorted(rows, reverse=True)


def still_running(year: int, as_of: date | None, today: date | None = None) -> bool:
    """The year's drafts are not its annual result yet: computed to a day before 31 Dec, or on 31 Dec
    itself, whose records may still come in that evening (publishing then froze the year without its
    last day, though the refusal said "publish after 31 Dec"; found by an audit)."""
    return as_of != date(year, 12, 31) or not year_over(year, today)


def year_over(year: int, today: date | None = None) -> bool:
    """The year's last day has passed in the county: publishing brings its draft to 31 Dec first."""
    return (today or county_today()) > date(year, 12, 31)


def draft_as_of(engine: Engine, year: int) -> date | None:
    """The day the year's draft results are computed to (31 Dec once the year is over), or None."""
    with engine.connect() as conn:
        return conn.execute(select(func.max(scores.c.as_of)).where(
            scores.c.publication_id.is_(None), scores.c.year == year, scores.c.kind == ANNUAL)).scalar()


def _rows(engine: Engine, year: int, kind: str, publication: str | int,
          indicators_of: str | None = None, indicator_fields: tuple[str, ...] | None = None) -> list[dict]:
    """indicators_of: a school whose indicators alone are read (every other row's are None).
    indicator_fields: each indicator keeps only these of its fields (annual_results)."""
    with engine.connect() as conn:
        if publication == "draft":
            condition = scores.c.publication_id.is_(None)
        else:
            if publication == "active":
                pub = active_publication(conn, year)
            else:
                pub = conn.execute(select(publications).where(
                    publications.c.year == year, publications.c.version == int(publication))).mappings().first()
            if pub is None:
                if publication != "active":
                    raise UserError(f"{year} has no published version {publication}")
                condition = scores.c.publication_id.is_(None)  # an unpublished year is a draft
            else:
                condition = scores.c.publication_id == pub["publication_id"]
        rows_of = and_(condition, scores.c.year == year, scores.c.kind == kind)
        if indicators_of is None and indicator_fields is not None:
            # CAST: PostgreSQL's driver parses a json column itself; each row's text is parsed and trimmed in
            # turn, so that no more than one school's whole indicators are ever held
            query = select(*(cast(c, String).label(c.name) if c.name == "indicators" else c for c in scores.columns))
            return [{**r, "indicators": _trimmed(r["indicators"], indicator_fields)}
                    for r in conn.execute(query.where(rows_of).order_by(scores.c.id)).mappings()]
        if indicators_of is None:
            return [dict(r) for r in conn.execute(select(scores).where(rows_of).order_by(scores.c.id)).mappings()]
        rows = [dict(r) for r in conn.execute(select(*(c for c in scores.columns if c.name != "indicators"))
                                              .where(rows_of).order_by(scores.c.id)).mappings()]
        own = dict(conn.execute(select(scores.c.id, scores.c.indicators).where(
            rows_of, scores.c.school_code == indicators_of)).all())
        return [{**r, "indicators": own.get(r["id"])} for r in rows]


def _trimmed(text: str | None, fields: tuple[str, ...]) -> dict | None:
    """A row's indicators (JSON text as stored) with only `fields` of each indicator."""
    indicators = json.loads(text) if isinstance(text, (str, bytes)) else text
    if not isinstance(indicators, dict):
        return indicators
    return {key: {f: value[f] for f in fields if f in value} if isinstance(value, dict) else value
            for key, value in indicators.items()}


def _json_object(row: dict) -> dict:
    areas = dict(row["areas"] or {})
    meta = areas.pop("_meta", {})
    return {
        **{f: row[f] for f in _ROW_FIELDS},
        "indicators": row["indicators"] or {},
        "campuses": row["campuses"] or [],
        "raw_total": meta.get("raw_total"),
        "veto": meta.get("veto"),
        "rank_label": None if row["qualified"] else "取消資格",
        "submitted": meta.get("submitted"),
        "areas": areas,
        "as_of": row["as_of"].isoformat(),
        "year": row["year"],
        "rubric_version": meta.get("rubric_version"),
        "wording": meta.get("wording"),
    }


def _rank_order(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (not r["qualified"], -(r["total"] or 0), r["school_code"]))


def annual_results(engine: Engine, year: int, publication: str | int = "active",
                   indicators_of: str | None = None, indicator_fields: tuple[str, ...] | None = None) -> list[dict]:
    """The `score --json` objects of `year`, in rank order.

    publication: "active" (the published version; the draft when the year is unpublished),
    "draft", or a version number.  indicators_of: a school whose indicators alone are read (every
    other school's are {}): one school's table needs the others' rows for the circular's wording only.
    indicator_fields: every school's indicators, each with only these fields (the circular reads a few
    numbers of each: the whole objects, texts and periods, were 100 MB parsed at 1,000 schools).
    """
    return [_json_object(r) for r in _rank_order(_rows(engine, year, ANNUAL, publication, indicators_of,
                                                       indicator_fields))]


def is_published(engine: Engine, year: int) -> bool:
    return active_publication(engine, year) is not None


def trend_frame(engine: Engine, year: int, publication: str | int = "active",
                school_code: str | None = None) -> pd.DataFrame:
    """Year-to-date series: one row per school and month end (as_of, total, grade, rank, area points)."""
    rows = _rows(engine, year, TREND, publication)
    if school_code is not None:
        rows = [r for r in rows if r["school_code"] == school_code]
    records = []
    for r in rows:
        areas = r["areas"] or {}
        rec = {"school_code": r["school_code"], "name": r["name"], "type": r["type"], "township": r["township"],
               "as_of": pd.Timestamp(r["as_of"]), "total": r["total"], "grade": r["grade"], "rank": r["rank"],
               "qualified": r["qualified"]}
        for area, v in areas.items():
            if not area.startswith("_"):
                rec[f"{area}_points"] = v.get("points")
                rec[f"{area}_max"] = v.get("max")
        records.append(rec)
    frame = pd.DataFrame(records, columns=None if records else
                         ["school_code", "name", "type", "township", "as_of", "total", "grade", "rank", "qualified"])
    return frame.sort_values(["school_code", "as_of"]).reset_index(drop=True) if len(frame) else frame


def publication_diff(engine: Engine, year: int) -> pd.DataFrame:
    """What changed between the active publication and the current draft (one row per school)."""
    cols = ["school_code", "name", "total", "grade", "rank", "qualified"]
    with engine.connect() as conn:
        pub = active_publication(conn, year)
    draft = pd.DataFrame([{c: r[c] for c in cols} for r in _rows(engine, year, ANNUAL, "draft")], columns=cols)
    before = pd.DataFrame([{c: r[c] for c in cols} for r in _rows(engine, year, ANNUAL, pub["version"])]
                          if pub else [], columns=cols)
    merged = before.merge(draft, on="school_code", how="outer", suffixes=("_before", "_after"))
    merged["name"] = merged["name_after"].fillna(merged["name_before"])
    merged = merged.drop(columns=["name_before", "name_after"])
    merged["changed"] = ~(
        (merged["total_before"] == merged["total_after"]) & (merged["grade_before"] == merged["grade_after"])
        & (merged["rank_before"].fillna(-1) == merged["rank_after"].fillna(-1))
        & (merged["qualified_before"] == merged["qualified_after"]))
    order = ["school_code", "name", "total_before", "total_after", "grade_before", "grade_after",
             "rank_before", "rank_after", "qualified_before", "qualified_after", "changed"]
    return merged[order].sort_values("school_code").reset_index(drop=True)
