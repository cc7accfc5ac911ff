"""A small county written straight into the store, for the dashboard's tests and benchmark.

The dashboard reads stored results and records; these fixtures write them the
way the scoring and the sync do (same tables, same JSON shapes), so the page
tests do not depend on the other parts landing first.  Everything is dated
relative to `today` so the to-do list (this month's drill, this week's class)
has something to show whatever day the tests run.
"""

from __future__ import annotations

import json
import random
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import SimpleNamespace

from argon2 import PasswordHasher
from sqlalchemy.engine import Engine

from dashboard import access
from sync import store
from sync.settings import county_today

POINTS = {
    "A1": 3, "A2": 3, "A3": 3, "A4": 2, "A5": 4, "B1": 3, "B2": 4, "B3": 3,
    "C1": 2, "C2": 6, "C3": 3, "C4": 3, "C5": 3, "C6": 3,
    "D1": 8, "D2": 2, "D3": 3, "D4": 3, "D5": 4,
    "E1": 5, "E2": 2, "E3": 2, "E4": 2, "E5": 3, "E6": 2, "E7": 2, "E8": 2,
    "F1": 2, "F2": 3, "F3": 5, "G1": 5,
}
CLAUSES = {"A": "4.1", "B": "4.2", "C": "4.3", "D": "4.4", "E": "4.5", "F": "5.3", "G": "6.4"}
TYPES = ("小學", "初中", "幼兒園", "高中", "九年一貫制", "完全中學", "中職")
TOWNSHIPS = ("城關鎮", "東河鄉", "西山鎮", "南灣鄉")
TERM_MONTHS = (1, 3, 4, 5, 6, 9, 10, 11, 12)
PASSWORD = "correct horse 1"


@dataclass
class County:
    codes: list[str]
    names: dict[str, str]
    types: dict[str, str]
    year: int
    today: date
    disqualified: str
    not_submitted: str | None = None  # this year's school with no workbook (areas "_meta" submitted false)
    users: dict[str, access.Viewer] = field(default_factory=dict)


def grade_of(total: float, qualified: bool) -> str:
    if not qualified:
        return "不合格"
    return "優秀" if total >= 90 else "良好" if total >= 80 else "合格" if total >= 60 else "不合格"


def _term_weeks(year: int) -> list[str]:
    weeks = []
    day = date(year, 1, 4)
    while day.year == year or day.isocalendar()[0] == year:
        iso = day.isocalendar()
        if iso[0] == year and day.month in TERM_MONTHS:
            weeks.append(f"{year}-W{iso[1]:02d}")
        day += timedelta(days=7)
        if day.year > year:
            break
    return sorted(set(weeks))


def _periods(labels: list[str], ends: list[date], as_of: date, rng: random.Random, required: int = 1,
             keep_current_open: str | None = None) -> list[dict]:
    out = []
    for label, end in zip(labels, ends, strict=True):
        held = rng.choice([0, 1, 1, 1, 2]) * required if label != keep_current_open else 0
        covered = held >= required
        out.append({"period": label, "required": required, "held": held, "covered": covered,
                    "counted": end <= as_of or covered})
    return out


def _month_end(year: int, month: int) -> date:
    return (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1))


def _indicators(school_type: str, year: int, as_of: date, rng: random.Random, today: date) -> dict:
    cur_month = f"{today.year}-{today.month:02d}"
    cur_week = f"{today.isocalendar()[0]}-W{today.isocalendar()[1]:02d}"
    months = [m for m in TERM_MONTHS]
    month_labels = [f"{year}-{m:02d}" for m in months]
    month_ends = [_month_end(year, m) for m in months]
    quarters = [f"{year}-Q{q}" for q in (1, 2, 3, 4)]
    quarter_ends = [_month_end(year, 3 * q) for q in (1, 2, 3, 4)]
    weeks = _term_weeks(year)
    week_ends = [date.fromisocalendar(year, int(w.split("W")[1]), 7) for w in weeks]
    semesters = [f"{year}-spring", f"{year}-autumn"]
    semester_ends = [date(year, 7, 10), date(year + 1, 1, 20)]
    periods = {
        "D1": (_periods(quarters, quarter_ends, as_of, rng) if school_type == "幼兒園"
               else _periods(month_labels, month_ends, as_of, rng, keep_current_open=cur_month)),
        "C2": _periods(weeks, week_ends, as_of, rng, keep_current_open=cur_week),
        "C6": _periods(semesters, semester_ends, as_of, rng),
        # E7 is measured per (guard, semester), as the scoring stores it: 張三（2026-autumn）, days held of 3.
        "E7": _periods([f"{g}（{sem}）" for sem in semesters for g in ("張三", "李四", "王五")],
                       [end for end in semester_ends for _ in range(3)], as_of, rng, required=3),
        "E4": _periods(month_labels, month_ends, as_of, rng),
        "E8": _periods(month_labels, month_ends, as_of, rng),
    }
    indicators = {}
    for ind, points in POINTS.items():
        ratio = round(rng.choice([1.0, 1.0, 0.8, 0.5, 0.0]), 2)
        entry = {
            "points": round(points * ratio, 2), "max": points, "ratio": ratio, "clause": CLAUSES[ind[0]],
            "detail": f"{ind} 完成 {int(ratio * 100)}%", "detail_en": f"{ind} {int(ratio * 100)}% done",
            # as scoring.engine._hints words them: the step, then what it adds
            "pending": False, "hint": "" if ratio == 1 else f"補齊{ind}的記錄：+{points * (1 - ratio):.1f}",
            "hint_en": "" if ratio == 1 else f"complete the {ind} records: +{points * (1 - ratio):.1f}",
            "computed_points": round(points * ratio, 2), "assessed_points": None,
            "gain": None if ratio == 1 else round(points * (1 - ratio), 1),
        }
        if ind in periods:
            entry["periods"] = periods[ind]
        indicators[ind] = entry
    return indicators


def _areas(indicators: dict) -> dict:
    areas: dict[str, dict] = {}
    for ind, entry in indicators.items():
        area = areas.setdefault(ind[0], {"points": 0.0, "max": 0.0})
        area["points"] = round(area["points"] + entry["points"], 2)
        area["max"] += entry["max"]
    return areas


def _rank(totals: dict[str, float], qualified: dict[str, bool]) -> dict[str, int | None]:
    ordered = sorted((t, c) for c, t in totals.items() if qualified[c])
    ranks: dict[str, int | None] = {c: None for c in totals}
    values = sorted((-t for t, _ in ordered))
    for _t, code in ordered:
        ranks[code] = 1 + values.index(-totals[code])
    return ranks


def a_day_with_month_ends_behind_it() -> date:
    """The county's today, or in January and February (when the running year has fewer than two
    month-end results, as in the product) 1 March: the trend pages and their tests need two (they failed
    every January)."""
    today = county_today()
    return today if today.month > 2 else date(today.year, 3, 1)


def build_county(engine: Engine, n: int = 8, today: date | None = None, seed: int = 7,
                 publish_previous: bool = True, users: bool = True) -> County:
    """Write n schools' annual and trend results for last year (published) and this year (draft), plus records."""
    # the county's day, as the queries read it: the machine's (UTC) is the day before from 16:00, and on a
    # month's last evening the drills written for 'this month' were last month's to the queries
    today = today or county_today()
    year = today.year
    rng = random.Random(seed)
    store.metadata.create_all(engine)
    codes = [f"S{i:04d}" for i in range(1, n + 1)]
    types = {c: TYPES[i % len(TYPES)] for i, c in enumerate(codes)}
    towns = {c: TOWNSHIPS[i % len(TOWNSHIPS)] for i, c in enumerate(codes)}
    names = {c: f"{towns[c][:2]}第{i + 1}{'幼兒園' if types[c] == '幼兒園' else '學校'}" for i, c in enumerate(codes)}
    disqualified = codes[2 % n]
    not_submitted = codes[-1] if n >= 4 else None
    now = datetime.now()
    with engine.begin() as conn:
        run_id = conn.execute(store.sync_runs.insert().values(
            started_at=now - timedelta(minutes=5), finished_at=now, trigger="cli", status="ok")).inserted_primary_key[0]
        src_rows = [{"source_key": f"file:{c}.xlsx", "kind": "school_workbook", "school_code": c,
                     "display_name": f"{c}.xlsx", "status": "loaded", "rows": 40, "first_seen_at": now,
                     "last_seen_at": now, "loaded_at": now} for c in codes]
        conn.execute(store.sources.insert(), src_rows)
        source_ids = dict(conn.execute(store.sources.select().with_only_columns(
            store.sources.c.school_code, store.sources.c.source_id)).all())
        pub_id = None
        if publish_previous:
            pub_id = conn.execute(store.publications.insert().values(
                year=year - 1, version=1, active=True, published_at=now - timedelta(days=300),
                published_by="admin")).inserted_primary_key[0]
        score_rows = []
        for y, as_of, publication in ((year - 1, date(year - 1, 12, 31), pub_id), (year, today, None)):
            inds = {c: _indicators(types[c], y, as_of, rng, today) for c in codes}
            areas = {c: _areas(inds[c]) for c in codes}
            totals = {c: round(sum(a["points"] for a in areas[c].values()), 1) for c in codes}
            qualified = {c: not (y == year and c == disqualified) for c in codes}
            ranks = _rank(totals, qualified)
            for c in codes:
                campuses = [{"campus": "本部", "people": 900, "boarders": 0, "guards_required": 4,
                             "guards_active": 3 if c == codes[0] else 4}]
                score_rows.append({
                    "publication_id": publication, "year": y, "kind": "annual", "as_of": as_of, "school_code": c,
                    "name": names[c], "type": types[c], "township": towns[c], "total": totals[c],
                    "grade": grade_of(totals[c], qualified[c]), "rank": ranks[c], "qualified": qualified[c],
                    "deduction": 0.0, "indicators": inds[c], "campuses": campuses,
                    "areas": {**areas[c], "_meta": {"submitted": not (y == year and c == not_submitted),
                                                    "veto": "" if qualified[c] else "弄虛作假"}},
                    "computed_at": now})
            last_month = 12 if y < year else today.month - 1
            for month in range(1, last_month + 1):
                for c in codes:
                    score_rows.append({
                        "publication_id": None, "year": y, "kind": "trend", "as_of": _month_end(y, month),
                        "school_code": c, "name": names[c], "type": types[c], "township": towns[c],
                        "total": round(min(100.0, totals[c] * (0.6 + 0.4 * month / 12) + rng.uniform(-3, 3)), 1),
                        "grade": None, "rank": None, "qualified": True, "deduction": 0.0, "areas": {},
                        "indicators": {}, "campuses": [], "computed_at": now})
        conn.execute(store.scores.insert(), score_rows)
        _records(conn, codes, source_ids, today, run_id)
        _inspections(conn, codes, disqualified, today, now)
    county = County(codes, names, types, year, today, disqualified, not_submitted)
    if users:
        county.users["admin"] = add_user(engine, "admin", "admin", display_name="安全辦")
        county.users["leader"] = add_user(engine, "leader", "leader")
        county.users["school"] = add_user(engine, "school1", "school", codes[0], display_name=names[codes[0]])
    return county


@lru_cache(maxsize=1)
def _password_hash() -> str:
    # One argon2 hash for every fixture account: hashing is deliberately slow, the tests need it once.
    return PasswordHasher().hash(PASSWORD)


def add_user(engine: Engine, username: str, role: str, school_code: str | None = None,
             display_name: str | None = None) -> access.Viewer:
    """An account with PASSWORD (as accounts.create_user makes it, without hashing again)."""
    with engine.begin() as conn:
        user_id = conn.execute(store.users.insert().values(
            username=username, password_hash=_password_hash(), role=role, school_code=school_code,
            display_name=display_name, active=True, created_at=datetime.now())).inserted_primary_key[0]
    return access.Viewer(user_id, username, role, school_code, display_name)


def _inspections(conn, codes: list[str], disqualified: str, today: date, now: datetime) -> None:
    """The bureau's findings of the year: a deduction on the first school, the veto's grounds on the
    disqualified one, and a finding of last year (not shown with this year's)."""
    bureau = conn.execute(store.sources.insert().values(
        source_key="file:bureau.xlsx", kind="bureau_workbook", display_name="bureau.xlsx", status="loaded", rows=3,
        first_seen_at=now, last_seen_at=now, loaded_at=now)).inserted_primary_key[0]
    year = today.year
    conn.execute(store.records["inspections"].insert(), [
        {"source_id": bureau, "row_no": 2, "date": date(year, 1, 10), "school_code": codes[0], "kind": "定期",
         "finding": "消防通道堵塞", "deduction": 1.5, "falsification": False, "major_incident": False},
        {"source_id": bureau, "row_no": 3, "date": date(year, 1, 12), "school_code": disqualified, "kind": "不定期",
         "finding": "演練簽到表代簽", "deduction": None, "falsification": True, "major_incident": False},
        {"source_id": bureau, "row_no": 4, "date": date(year - 1, 6, 1), "school_code": codes[0], "kind": "定期",
         "finding": "去年的發現", "deduction": 1.0, "falsification": False, "major_incident": False},
    ])


def _records(conn, codes: list[str], source_ids: dict, today: date, run_id: int) -> None:
    first = codes[0]
    sid = source_ids[first]
    t = today
    hazards = [
        {"id": "H1", "found_date": t - timedelta(days=60), "description": "圍墻破損", "deadline": t - timedelta(days=5),
         "closed_date": None},
        {"id": "H2", "found_date": t - timedelta(days=20), "description": "消防通道堵塞", "deadline": t + timedelta(days=7),
         "closed_date": None},
        {"id": "H3", "found_date": t - timedelta(days=40), "description": "電線老化", "deadline": t - timedelta(days=30),
         "closed_date": t - timedelta(days=10)},
        {"id": "H4", "found_date": t - timedelta(days=50), "description": "護欄松動", "deadline": t - timedelta(days=20),
         "closed_date": t - timedelta(days=25)},
    ]
    rows = []
    for code in codes:
        for h in hazards:
            rows.append({**h, "source_id": source_ids[code], "school_code": code, "owner": "王主任", "category": "設施",
                         "found_date": max(h["found_date"], date(t.year, 1, 1))})
    conn.execute(store.records["hazards"].insert(), rows)
    drills = [{"source_id": source_ids[c], "school_code": c, "date": date(t.year, t.month, 1), "kind": "疏散",
               "has_plan": True, "classes": 10, "signed_classes": 10} for c in codes[1::2]]
    conn.execute(store.records["drills"].insert(), drills)
    birth_soon = date(t.year - 56, t.month, t.day) + timedelta(days=30) if not (t.month == 2 and t.day == 29) else date(t.year - 56, 3, 30)
    guards = [
        {"name": "張三", "birth_date": birth_soon, "start_date": date(t.year - 3, 1, 1)},
        {"name": "李四", "birth_date": date(t.year - 58, 1, 1), "start_date": date(t.year - 3, 1, 1)},
        {"name": "王五", "birth_date": date(t.year - 30, 1, 1), "start_date": date(t.year - 3, 1, 1)},
    ]
    conn.execute(store.records["guards"].insert(), [
        {**g, "source_id": sid, "school_code": first, "campus": "本部", "company": "平安保安公司"} for g in guards])
    conn.execute(store.rejected_rows.insert(), [
        {"source_id": sid, "run_id": run_id, "school_code": first, "level": "row", "sheet": "應急演練", "row_no": 7,
         "column": "演練日期", "value": "2026-13-40", "reason_zh": "日期無法識別", "reason_en": "the date cannot be read"},
        {"source_id": sid, "run_id": run_id, "school_code": first, "level": "row", "sheet": "保安人員", "row_no": 3,
         "column": "出生日期", "value": "", "reason_zh": "必填欄位為空", "reason_en": "a required cell is empty"},
        # a line passed over as paperwork (sync.load stores them so): listed apart, no problem counted
        {"source_id": sid, "run_id": run_id, "school_code": first, "level": "paperwork", "sheet": "隱患整改",
         "row_no": 12, "column": None, "value": "校長：王五", "reason_zh": "簽名", "reason_en": "a signature"},
    ])


# --- reading what a callback gives a viewer (test_dashboard_callbacks, test_dashboard_guidance) -------------

@contextmanager
def as_viewer(app_module, viewer):
    """A request by `viewer`: what a callback sees as current_user (server-side checks read it)."""
    from flask_login import login_user

    with app_module.server.test_request_context("/"):
        login_user(viewer)
        yield


def page_text(component) -> str:
    """Every string in a component tree (what the page would show)."""
    return json.dumps(component.to_plotly_json() if hasattr(component, "to_plotly_json") else component,
                      ensure_ascii=False, default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o))


def find_element(component, element_id):
    """The element with that id, in a component tree or in the dicts a cached page is kept as (props as attributes)."""
    if isinstance(component, dict) and "props" in component:
        props = component["props"]
        if props.get("id") == element_id:
            return SimpleNamespace(**props)
        children = props.get("children")
    else:
        if getattr(component, "id", None) == element_id:
            return component
        children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and (hasattr(child, "to_plotly_json") or isinstance(child, dict)):
            found = find_element(child, element_id)
            if found is not None:
                return found
    return None


@contextmanager
def dashboard_on_own_store(tmp_path, monkeypatch, with_registry: bool = False, n: int = 4, today: date | None = None):
    """The dashboard on a county of `n` schools in a store of the test's own: (app module, county,
    engine).  with_registry: the bureau's 學校名冊 of them too (build_county writes scores, not records)."""
    from sqlalchemy import select

    from dashboard import queries
    from sync import settings
    from sync.store import make_engine

    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    county = build_county(engine, n=n, today=today)
    if with_registry:
        with engine.begin() as conn:
            bureau = conn.execute(select(store.sources.c.source_id).where(
                store.sources.c.source_key == "file:bureau.xlsx")).scalar_one()
            conn.execute(store.records["registry"].insert(), [
                {"source_id": bureau, "row_no": i + 2, "school_code": code, "name": county.names[code],
                 "type": county.types[code], "township": "城關鎮"} for i, code in enumerate(county.codes)])
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", url)
    monkeypatch.setenv("SAFESCHOOL_SECRET_KEY", "test-secret-of-32-characters-or-more")
    monkeypatch.setenv("SAFESCHOOL_INBOX", str(tmp_path / "inbox"))
    settings.reset_caches()
    queries.clear_caches()
    from dashboard import app as app_module

    try:
        yield app_module, county, engine
    finally:
        queries.clear_caches()
        settings.reset_caches()
        engine.dispose()
