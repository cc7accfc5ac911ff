"""The dashboard's reads: what each role may see, the figures behind the pages, and cache invalidation."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import event, func, select, update

from dashboard import queries
from scoring.engine import round_half_up
from sync import store
from sync.store import make_engine
from tests.dashboard_fixtures import a_day_with_month_ends_behind_it, build_county


@contextmanager
def statements_run():
    """Every SQL statement the dashboard's engine runs inside the block, with its parameters: (statement,
    parameters) pairs, the caches emptied first so that nothing is answered without a read."""
    read = []

    def note(_conn, _cursor, statement, parameters, _context, _many):
        read.append((statement, str(parameters)))

    queries.clear_caches()
    engine_used = queries.base._engine()
    event.listen(engine_used, "before_cursor_execute", note)
    try:
        yield read
    finally:
        event.remove(engine_used, "before_cursor_execute", note)

def _county_store(url: str, today: date | None = None):
    engine = make_engine(url)
    return url, build_county(engine, n=8, today=today), engine


def _read_from(monkeypatch, url: str, c, engine):
    """The queries pointed at the county's store, their caches empty before and after."""
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", url)
    queries.clear_caches()
    yield c, engine
    queries.clear_caches()



def _trend_drawn(viewer, school_code: str, year: int) -> pd.DataFrame:
    """The school page's trend lines (queries.school_trend_lists) as a frame: as_of, school, county, type."""
    lists = queries.school_trend_lists(viewer, school_code, year)
    frame = pd.DataFrame({col: pd.array(lists[col], dtype="Float64") for col in ("school", "county", "type")})
    return frame.assign(as_of=pd.to_datetime(lists["x"])).astype({c: "float64" for c in ("school", "county", "type")})


@pytest.fixture(scope="module")
def shared_county(tmp_path_factory):
    """One county for the tests that only read (built once: the page tests must stay fast)."""
    url, c, engine = _county_store(f"sqlite:///{tmp_path_factory.mktemp('county') / 'store.db'}")
    yield url, c, engine
    engine.dispose()


@pytest.fixture(scope="module")
def shared_trend_county(tmp_path_factory):
    """The same, as it stands on a day with month-end results of the running year behind it (in January
    there is none, as in the product, and the trend tests failed every January)."""
    url, c, engine = _county_store(f"sqlite:///{tmp_path_factory.mktemp('trend') / 'store.db'}",
                                   a_day_with_month_ends_behind_it())
    yield url, c, engine
    engine.dispose()


@pytest.fixture
def county(monkeypatch, shared_county):
    yield from _read_from(monkeypatch, *shared_county)


@pytest.fixture
def trend_county(monkeypatch, shared_trend_county):
    yield from _read_from(monkeypatch, *shared_trend_county)


@pytest.fixture
def own_county(monkeypatch, sqlite_url):
    """A county of its own, for a test that changes the store."""
    url, c, engine = _county_store(sqlite_url)
    yield from _read_from(monkeypatch, url, c, engine)
    engine.dispose()


@pytest.fixture
def own_trend_county(monkeypatch, sqlite_url):
    """A county of its own with month-end results of the running year, for a trend test that changes it."""
    url, c, engine = _county_store(sqlite_url, a_day_with_month_ends_behind_it())
    yield from _read_from(monkeypatch, url, c, engine)
    engine.dispose()


def test_ranking_lists_qualified_schools_by_rank_then_the_disqualified(county):
    c, _ = county
    frame = queries.ranking(c.users["admin"], c.year)
    assert len(frame) == 8
    assert list(frame["school_code"])[-1] == c.disqualified
    ranks = frame[frame["qualified"]]["rank"].tolist()
    assert ranks == sorted(ranks)
    assert pd.isna(frame.loc[c.disqualified, "rank"])


def _year_over(engine, year: int) -> None:
    """The year's draft as it stands once the year is over: evaluated on 31 Dec."""
    from sync.store import scores

    with engine.begin() as conn:
        conn.execute(scores.update().where(scores.c.year == year, scores.c.kind == "annual",
                                           scores.c.publication_id.is_(None)).values(as_of=date(year, 12, 31)))
    queries.clear_caches()


def test_ranking_change_is_this_year_minus_last_year_once_the_year_is_over(own_county):
    c, engine = own_county
    _year_over(engine, c.year)
    admin = c.users["admin"]
    now, before = queries.ranking(admin, c.year), queries.ranking(admin, c.year - 1)
    code = c.codes[3]
    assert now.loc[code, "change"] == pytest.approx(round(now.loc[code, "total"] - before.loc[code, "total"], 1))


def test_a_running_year_is_not_compared_with_last_years_whole_year(county):
    """A turn-of-the-year audit: in January every school's year so far "fell" by half its points against last
    year's whole year (▼ 17.2 on the overview; every school among the biggest fallers)."""
    c, _ = county
    leader = c.users["leader"]
    assert queries.year_status(leader, c.year)["as_of"] < date(c.year, 12, 31)
    assert queries.ranking(leader, c.year)["change"].isna().all()
    risers, fallers = queries.risers_fallers(leader, c.year)
    assert risers.empty and fallers.empty


def test_school_sees_only_itself_in_a_draft_year_and_everyone_in_a_published_year(county):
    c, _ = county
    school = c.users["school"]
    assert list(queries.ranking(school, c.year)["school_code"]) == [c.codes[0]]
    assert len(queries.ranking(school, c.year - 1)) == 8  # last year is published
    assert queries.year_status(school, c.year - 1)["published"] is True
    assert queries.year_status(school, c.year)["published"] is False


@pytest.mark.parametrize("ask", [
    lambda v, code, year: queries.school_result(v, code, year),
    lambda v, code, year: queries.data_state(v, code),
    lambda v, code, year: queries.school_todos(v, code, year),
    # what the school page itself calls
    lambda v, code, year: queries.school_trend_lists(v, code, year),
    lambda v, code, year: queries.campus_guards(v, code, year),
    lambda v, code, year: queries.hazard_rows(v, code, year),
    lambda v, code, year: queries.school_inspections(v, code, year),
])
def test_school_is_refused_another_schools_details(county, ask):
    c, _ = county
    with pytest.raises(queries.Refused):
        ask(c.users["school"], c.codes[1], c.year)
    assert ask(c.users["leader"], c.codes[1], c.year) is not None


def test_school_heatmap_rows_are_its_own_only_and_county_todos_are_bureau_only(county):
    c, _ = county
    cells = queries.heatmap_cells(c.users["school"], c.year, "classes")
    assert set(cells["school_code"]) == {c.codes[0]}
    assert set(queries.heatmap_cells(c.users["admin"], c.year, "classes")["school_code"]) == set(c.codes)
    with pytest.raises(queries.Refused):
        queries.county_todos(c.users["school"], c.year)
    with pytest.raises(queries.Refused):
        queries.ranking(None, c.year)


def _hand_cells() -> pd.DataFrame:
    """Five schools, three months: 甲鎮 has A, B, C and 乙鄉 D, E.  (covered, counted) per school and month;
    May is over for nobody, B covered it early (counted, as the scoring counts a period covered early)."""
    marks = {"A": ((True, True), (False, True), (False, False)),
             "B": ((True, True), (True, True), (True, True)),
             "C": ((False, True), (True, True), (False, False)),
             "D": ((True, True), (False, True), (False, False)),
             "E": ((False, True), (False, True), (False, False))}
    rows = [{"school_code": code, "name": code, "type": "小學", "township": "甲鎮" if code in "ABC" else "乙鄉",
             "period": period, "required": 1.0, "held": float(covered), "covered": covered, "counted": counted,
             "value": float(covered) if counted else None, "total": 80.0}
            for code, months in marks.items()
            for period, (covered, counted) in zip(("2026-03", "2026-04", "2026-05"), months, strict=True)]
    return pd.DataFrame(rows)


def test_a_groups_share_is_its_schools_that_covered_the_period_among_those_due_worked_by_hand():
    found = queries.group_coverage(_hand_cells(), "township")
    share = {(g, p): s for g, p, s in zip(found.periods["group"], found.periods["period"], found.periods["share"],
                                          strict=True)}
    # 甲鎮 March: A and B of A, B, C = 2/3; April: B and C = 2/3; May: B alone is due (early), 1/1
    assert share[("甲鎮", "2026-03")] == pytest.approx(2 / 3) and share[("甲鎮", "2026-04")] == pytest.approx(2 / 3)
    assert share[("甲鎮", "2026-05")] == 1.0
    # 乙鄉 March: D of D, E = 1/2; April: neither = 0; May: nobody due, no share (a blank cell, not 0%)
    assert share[("乙鄉", "2026-03")] == 0.5 and share[("乙鄉", "2026-04")] == 0.0
    assert pd.isna(share[("乙鄉", "2026-05")])
    # every school (group None): March A, B, D of 5 = 3/5; April B, C of 5 = 2/5; May 1/1
    assert share[(None, "2026-03")] == pytest.approx(0.6) and share[(None, "2026-04")] == pytest.approx(0.4)
    assert share[(None, "2026-05")] == 1.0
    rows = found.rows.set_index(found.rows["group"].fillna("all"))
    # "covered every period due": B only (3 of 3); A and C 1 of 2 each; D 1 of 2, E 0 of 2
    assert rows.loc["甲鎮", ["schools", "with_due", "on_track"]].tolist() == [3, 3, 1]
    assert rows.loc["乙鄉", ["schools", "with_due", "on_track"]].tolist() == [2, 2, 0]
    assert rows.loc["all", ["schools", "with_due", "on_track"]].tolist() == [5, 5, 1]
    # chosen groups: the row of every school is theirs alone
    only = queries.group_coverage(_hand_cells(), "township", ("乙鄉",))
    assert set(only.rows["group"].dropna()) == {"乙鄉"}
    assert only.rows.loc[only.rows["group"].isna(), "schools"].item() == 2
    # a school's own count is the scoring's "v of c covered": B 3 of 3, A 1 of 2
    per_school = queries.coverage(_hand_cells(), ["school_code"]).set_index("school_code")
    assert per_school.loc["B"].tolist() == [3, 3] and per_school.loc["A"].tolist() == [2, 1]


def test_the_heatmap_by_group_is_the_bureaus_alone(county):
    """A school sees its own school's row; a township's share over two schools would be the other one's."""
    c, _ = county
    with pytest.raises(queries.Refused):
        queries.heatmap_groups(c.users["school"], c.year, "drills", "township")
    found = queries.heatmap_groups(c.users["leader"], c.year, "drills", "township")
    kinder = sum(ty == "幼兒園" for ty in c.types.values())
    assert found.rows.loc[found.rows["group"].isna(), "schools"].item() == len(c.codes) - kinder


def test_heatmap_splits_drills_between_schools_by_month_and_kindergartens_by_quarter(county):
    c, _ = county
    admin = c.users["admin"]
    kinder = {code for code, ty in c.types.items() if ty == "幼兒園"}
    months = queries.heatmap_cells(admin, c.year, "drills")
    quarters = queries.heatmap_cells(admin, c.year, "drills_kindergarten")
    assert set(quarters["school_code"]) == kinder
    assert not set(months["school_code"]) & kinder
    assert quarters["period"].str.contains("-Q").all()
    # A period not yet due and not covered has no colour.
    open_cells = months[~months["counted"] & ~months["covered"]]
    assert open_cells["value"].isna().all()


def test_headline_counts_schools_disqualified_overdue_hazards_and_drills_this_period(county):
    c, _ = county
    head = queries.headline(c.users["school"], c.year)
    assert head["schools"] == 8
    assert head["disqualified"] == 1
    assert head["overdue_hazards"] == 8  # H1 of every school is past its deadline and still open
    # D1 (4.4.1): in a term month every school owes this month's drill, else only a kindergarten its quarter's
    # (the suite runs in any month: the county is built around today)
    from scoring.calendar import term_months
    from sync.settings import configured_rubric

    due = c.codes if f"{c.today:%Y-%m}" in set(term_months(configured_rubric(), c.today.year)["period"]) else \
        [code for code in c.codes if c.types[code] == "幼兒園"]
    drilled = set(c.codes[1::2])
    assert head["drill_share"] == pytest.approx(len(drilled.intersection(due)) / len(due), abs=0.001)
    assert sum(head["grades"].values()) == 8


def test_4_4_1_the_headline_drill_share_counts_the_schools_a_drill_is_due_from_this_period(county):
    """D1 (4.4.1): a drill each term month, a kindergarten's each quarter of a semester.  On 15 August (the
    default calendar's summer: no term month) the share is of the kindergartens alone, Q3 overlapping the
    autumn semester; the county's other schools owe none, and were counted as behind (a rubric audit)."""
    from datetime import date

    from dashboard.pages import overview
    from tests.dashboard_fixtures import find_element, page_text

    c, _ = county
    kinder = [code for code, kind in c.types.items() if kind == "幼兒園"]
    assert kinder and len(kinder) < len(c.codes)
    august = queries.headline(c.users["admin"], c.year, today=date(c.year, 8, 15))
    assert august["drill_due"] == len(kinder) and august["drill_month"] == f"{c.year}-08"
    assert f"{c.year}-08不是教學月：僅計幼兒園（按季度）" in page_text(overview.headline_cards(august, "zh-Hant"))
    nobody = overview.headline_cards({**august, "drill_due": 0, "drill_share": None}, "zh-Hant")
    assert find_element(nobody, "stat-overview.drill_share").children == "–"
    assert f"{c.year}-08不是教學月，本期無須演練" in page_text(nobody)
    # February of the default calendar: 9 days of spring, no term month (the audit: not "outside the semesters")
    february = queries.headline(c.users["admin"], c.year, today=date(c.year, 2, 25))
    assert february["drill_term_month"] is False and february["drill_due"] == len(kinder)
    november = queries.headline(c.users["admin"], c.year, today=date(c.year, 11, 16))
    assert november["drill_term_month"] is True and november["drill_due"] == len(c.codes)
    assert f"{c.year}-11（幼兒園按季度）" in page_text(overview.headline_cards(november, "zh-Hant"))
    # a year no school has a result for says what the share would be of, not that no drill is due
    empty = overview.headline_cards({**august, "drill_due": None, "drill_share": None}, "zh-Hant")
    assert "不是教學月" not in page_text(empty) and "（幼兒園按季度）" in page_text(empty)


def test_hazard_status_on_a_day(county):
    frame = pd.DataFrame({
        "deadline": pd.to_datetime(["2026-05-10", "2026-05-10", "2026-05-10", "2026-05-20", "2026-07-01", "2026-05-10",
                                    None, None]),
        "closed_date": pd.to_datetime(["2026-05-10", "2026-05-11", None, None, None, "2026-06-01", "2026-05-01", None]),
    })
    status = queries.hazard_status(frame, date(2026, 5, 12))
    # closed on the deadline: on time; a day late: late; open past it: overdue; 8 days left: soon;
    # far off: open; closed after the day asked about: still overdue on that day; closed without a
    # deadline: not "on time", there was none; open without one: open.
    assert list(status) == ["closed", "closed_late", "overdue", "due_soon", "open", "overdue", "closed_undated", "open"]


def test_school_todos_count_what_falls_due(county):
    c, _ = county
    todo = queries.school_todos(c.users["school"], c.codes[0], c.year, today=c.today)
    counts = todo["counts"]
    assert counts["hazards_overdue"] == 1 and counts["hazards_due_soon"] == 1
    assert counts["guards_reaching_age_limit"] == 1 and counts["guards_over_age_limit"] == 1
    d1_periods = {p["period"] for p in queries.school_result(c.users["school"], c.codes[0], c.year)["indicators"]["D1"]["periods"]}
    assert counts["drill_due"] == (1 if todo["labels"]["month"] in d1_periods else 0)
    assert todo["labels"]["drill_period"] == todo["labels"]["month"]  # a school owes a drill per term month
    kinder = next(code for code, ty in c.types.items() if ty == "幼兒園")
    assert queries.school_todos(c.users["admin"], kinder, c.year, today=c.today)["labels"]["drill_period"].count("-Q") == 1
    assert [g["name"] for g in todo["guards"]] == ["李四", "張三"]
    e7 = queries.school_result(c.users["school"], c.codes[0], c.year)["indicators"]["E7"]["periods"]
    semester = todo["labels"]["semester"]
    assert counts["guards_untrained"] == sum(p["held"] < p["required"] for p in e7 if p["period"].endswith(f"（{semester}）"))
    county_todo = queries.county_todos(c.users["admin"], c.year, today=c.today)
    assert county_todo["hazards_overdue"] == 8 and county_todo["guards_over_age_limit"] == 1


def test_a_week_just_over_without_a_class_is_a_todo_of_its_own(county):
    """On a Monday "no safety class this week" names every school (C2's week has just begun): the to-dos
    also name the schools whose week just over, a term week, has no class on record, and the county counts
    them; a school whose last week was covered owes nothing for it."""
    c, _ = county
    covered = {code: {p["period"]: p["covered"] for p in
                      queries.school_result(c.users["admin"], code, c.year)["indicators"]["C2"]["periods"]}
               for code in c.codes}
    # a week some schools covered and others did not (the county's records are random), seen from the
    # Monday after it, a day of the running year
    week = next(w for w in sorted(covered[c.codes[0]])
                if len({covered[code].get(w) for code in c.codes} - {None}) == 2 and not w.endswith(("W52", "W53")))
    monday = date.fromisocalendar(c.year, int(week.split("W")[1]), 1) + timedelta(days=7)
    missed = {code for code in c.codes if covered[code].get(week) is False}
    for code in c.codes:
        todo = queries.school_todos(c.users["admin"], code, c.year, today=monday)
        assert todo["labels"]["last_week"] == week
        assert todo["counts"]["class_missed"] == (code in missed), code
    assert queries.county_todos(c.users["admin"], c.year, today=monday)["class_missed"] == len(missed)


def test_between_semesters_no_guard_is_owed_this_semesters_training(county):
    """The to-do "guards still owed 3 days this semester" took the semester from the month alone (February to
    July spring): on 20 July, the spring semester over (the county calendar ends it on 10 July), it still
    asked for spring's training, which no longer counts.  The semester is the county calendar's."""
    c, _ = county
    summer = queries.school_todos(c.users["school"], c.codes[0], c.year, today=date(c.year, 7, 20))
    assert summer["labels"]["semester"] is None and summer["counts"]["guards_untrained"] == 0
    assert queries.school_todos(c.users["school"], c.codes[0], c.year,
                                today=date(c.year, 7, 10))["labels"]["semester"] == f"{c.year}-spring"
    assert queries.school_todos(c.users["school"], c.codes[0], c.year,
                                today=date(c.year, 9, 1))["labels"]["semester"] == f"{c.year}-autumn"


def test_todos_are_empty_for_a_past_year(county):
    c, _ = county
    todo = queries.school_todos(c.users["school"], c.codes[0], c.year - 1, today=c.today)
    assert not todo["running_year"]
    assert sum(todo["counts"].values()) == 0


def test_school_trend_sets_the_school_against_county_and_type_means(trend_county):
    c, engine = trend_county
    trend = _trend_drawn(c.users["leader"], c.codes[0], c.year)
    assert len(trend) == c.today.month - 1
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(store.scores.select().where(
            store.scores.c.kind == "trend", store.scores.c.year == c.year)).mappings().all())
    first = rows[rows["as_of"] == rows["as_of"].min()]
    ranked = first[first["qualified"].astype(bool)]  # a disqualified school's points count in no mean
    if len(trend):
        # drawn as every mean is shown: to one decimal, halves up
        assert trend["county"].iloc[0] == float(round_half_up(ranked["total"].mean()))
        assert trend["school"].iloc[0] == float(round_half_up(first[first["school_code"] == c.codes[0]]["total"].iloc[0]))
        same = ranked[ranked["type"] == c.types[c.codes[0]]]
        assert trend["type"].iloc[0] == float(round_half_up(same["total"].mean()))


def test_campus_guards_says_how_many_more_are_needed(county):
    c, _ = county
    guards = queries.campus_guards(c.users["school"], c.codes[0], c.year)
    assert guards[0]["needs"] == 1


def test_data_state_shows_sources_and_refused_rows(county):
    c, _ = county
    state = queries.data_state(c.users["school"], c.codes[0])
    assert state["refused_total"] == 2
    assert {r["sheet"] for r in state["refused"]} == {"應急演練", "保安人員"}
    # the line passed over as paperwork is listed apart, and counts as no problem
    assert state["paperwork"] == [{"sheet": "隱患整改", "row": 12, "text": "校長：王五", "kind_zh": "簽名",
                                   "kind_en": "a signature"}]
    assert state["sources"][0]["status"] == "loaded"
    assert state["last_run"]["status"] == "ok"


def test_a_school_is_told_which_sheets_come_from_the_shared_database(own_county):
    """Found by an audit: where a mapped query gives a school's guards, its workbook's guard rows are set
    aside, and the school (3 guards listed, 1 counted) was never told why."""
    from sqlalchemy import insert

    c, engine = own_county
    code = c.codes[0]
    assert queries.data_state(c.users["school"], code)["from_database"] == []
    with engine.begin() as conn:
        source = conn.execute(insert(store.sources).values(source_key="sql:county-sis:guards", kind="sql",
                                                           status="loaded")).inserted_primary_key[0]
        conn.execute(update(store.records["guards"]).where(store.records["guards"].c.school_code == code)
                     .values(source_id=source))
        conn.execute(update(store.sources).where(store.sources.c.source_id == source).values(rows=1))
    queries.clear_caches()
    state = queries.data_state(c.users["school"], code)
    assert state["from_database"] == [{"sheet_key": "guards", "source": "county-sis"}]
    assert queries.data_state(c.users["admin"], c.codes[1])["from_database"] == []


def test_a_new_computation_invalidates_the_cache(own_county):
    c, engine = own_county
    admin = c.users["admin"]
    assert queries.ranking(admin, c.year).loc[c.codes[4], "total"] != 12.5
    with engine.begin() as conn:
        conn.execute(update(store.scores).where(store.scores.c.school_code == c.codes[4], store.scores.c.year == c.year,
                                                store.scores.c.kind == "annual")
                     .values(total=12.5, computed_at=datetime.now() + timedelta(seconds=5)))
    assert queries.ranking(admin, c.year).loc[c.codes[4], "total"] == 12.5


@pytest.mark.parametrize("server", ["postgresql", "mariadb"])
def test_the_same_reads_work_on_postgresql_and_mariadb(monkeypatch, request, server):
    url = request.getfixturevalue("pg_url" if server == "postgresql" else "mariadb_url")
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", url)
    queries.clear_caches()
    engine = make_engine(url)
    try:
        c = build_county(engine, n=5)
        frame = queries.ranking(c.users["admin"], c.year)
        assert len(frame) == 5 and frame["school_code"].iloc[-1] == c.disqualified
        assert queries.school_result(c.users["school"], c.codes[0], c.year)["indicators"]["D1"]["max"] == 8
        assert len(queries.heatmap_cells(c.users["admin"], c.year, "gate_duty")) > 0
        # The window query behind the data section (newest refused rows per school) on this server too.
        state = queries.data_state(c.users["school"], c.codes[0], limit=1)
        assert state["refused_total"] == 2 and len(state["refused"]) == 1 and len(state["paperwork"]) == 1
    finally:
        queries.clear_caches()
        engine.dispose()
        from sync.store import engine_for

        engine_for.cache_clear()


def test_a_school_gets_no_school_by_school_spread_of_a_draft_year(county, monkeypatch):
    """Each total, asked by type and again by township, would pair with its school's type and township
    (public in the published ranking): in a draft year only the bureau sees the spread."""
    c, _ = county
    school, leader = c.users["school"], c.users["leader"]
    monkeypatch.setattr(queries.privacy, "MIN_GROUP_FOR_SCHOOLS", 1)  # this county's groups are all small
    assert queries.spread(school, c.year, "type").empty and queries.spread(school, c.year, "township").empty
    assert len(queries.spread(leader, c.year, "type")) == 7  # the ranked schools: one of 8 is disqualified
    published = queries.spread(school, c.year - 1, "township")  # last year is published
    assert len(published) == 8 and published["name"].isna().all()


def test_a_school_sees_no_group_mean_over_fewer_than_three_schools(trend_county):
    c, _ = trend_county
    school, leader = c.users["school"], c.users["leader"]
    # Eight schools over seven types: every type but one has a single school.
    sizes = pd.Series(c.types).value_counts()
    small = set(sizes[sizes < queries.privacy.MIN_GROUP_FOR_SCHOOLS].index)
    seen = set(queries.trend_by_month(school, c.year, "type")["group"].dropna())
    assert not seen & small
    assert set(queries.trend_by_month(leader, c.year, "type")["group"].dropna()) == set(c.types.values())
    assert not set(queries.annual_by_year(school, "type")["group"].dropna()) & small
    assert not set(queries.spread(school, c.year, "type")["group"]) & small
    assert queries.spread(school, c.year, "township")["name"].isna().all()  # never names for a school
    if c.types[c.codes[0]] in small:
        assert _trend_drawn(school, c.codes[0], c.year)["type"].isna().all()
        assert _trend_drawn(leader, c.codes[0], c.year)["type"].notna().any()


def test_guard_training_heatmap_sums_guards_per_semester(county):
    c, _ = county
    cells = queries.heatmap_cells(c.users["admin"], c.year, "guard_training")
    assert set(cells["period"]) == {f"{c.year}-spring", f"{c.year}-autumn"}
    assert (cells["required"] == 3).all()  # three guards in every fixture school
    periods = queries.school_result(c.users["admin"], c.codes[0], c.year)["indicators"]["E7"]["periods"]
    spring = [p for p in periods if p["period"].endswith(f"（{c.year}-spring）")]
    own = cells[(cells["school_code"] == c.codes[0]) & (cells["period"] == f"{c.year}-spring")].iloc[0]
    assert own["held"] == sum(p["held"] >= p["required"] for p in spring)


def test_a_running_semester_one_guard_has_trained_for_is_not_yet_due_on_the_heatmap():
    """rules.md: a period that ends after the evaluation date counts only once covered, "a guard's three days"
    for each guard.  One guard trained made the running autumn "due" and three quarters met (a heatmap
    audit: 8 schools marked down in the middle of the semester); once every guard has trained, or the
    semester is over, it is."""
    import pandas as pd

    def pairs(counted_of_the_untrained: bool):
        return pd.DataFrame({
            "school_code": ["S1"] * 3, "period": ["張三（2026-autumn）", "李四（2026-autumn）", "王五（2026-autumn）"],
            "required": [3.0] * 3, "held": [3.0, 0.0, 1.0], "covered": [True, False, False],
            "counted": [True, counted_of_the_untrained, counted_of_the_untrained]})

    running = queries.todos._guard_semesters(pairs(False)).iloc[0]
    assert (running["required"], running["held"], bool(running["covered"]), bool(running["counted"])) == (3, 1, False, False)
    over = queries.todos._guard_semesters(pairs(True)).iloc[0]
    assert (bool(over["covered"]), bool(over["counted"])) == (False, True)


def test_not_submitted_schools_are_flagged_in_ranking_headline_and_school_result(county):
    c, _ = county
    admin = c.users["admin"]
    ranking = queries.ranking(admin, c.year)
    assert list(ranking.index[~ranking["submitted"]]) == [c.not_submitted]
    assert queries.headline(admin, c.year)["not_submitted"] == 1
    assert queries.school_result(admin, c.not_submitted, c.year)["submitted"] is False
    assert queries.school_result(admin, c.codes[0], c.year)["submitted"] is True
    # Last year every school sent its workbook.
    assert queries.headline(admin, c.year - 1)["not_submitted"] == 0


def test_a_published_years_trend_is_the_frozen_one_whatever_the_drafts_say(tmp_path, monkeypatch):
    """rules.md: "a published annual evaluation is frozen and does not change when data arrives later":
    after a late finding the draft trend of a published year moves; the dashboard shows the frozen copy."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    c = build_county(engine, n=4)
    published = c.year - 1
    with engine.begin() as conn:
        pub_id = conn.execute(store.publications.select().with_only_columns(store.publications.c.publication_id)
                              .where(store.publications.c.year == published)).scalar_one()
        drafts = conn.execute(store.scores.select().where(
            store.scores.c.year == published, store.scores.c.kind == "trend",
            store.scores.c.publication_id.is_(None))).mappings().all()
        frozen = [{**{k: v for k, v in row.items() if k != "id"}, "publication_id": pub_id, "total": 50.0}
                  for row in drafts]
        conn.execute(store.scores.insert(), frozen)
        conn.execute(update(store.scores).where(store.scores.c.publication_id.is_(None),
                                                 store.scores.c.year == published).values(total=99.0))
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", url)
    queries.clear_caches()
    try:
        line = _trend_drawn(c.users["leader"], c.codes[0], published)
        assert set(line["school"]) == {50.0} and set(line["county"]) == {50.0}
    finally:
        from sync.store import engine_for

        queries.clear_caches()
        engine.dispose()
        engine_for.cache_clear()


def test_other_schools_see_a_disqualified_school_without_its_points(tmp_path, monkeypatch):
    """rules.md: a disqualified school "keeps its computed points for its own view, is shown as 取消資格
    instead of a rank": in a published ranking other schools see 取消資格, not 80.2 不合格."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    c = build_county(engine, n=4)
    published, vetoed = c.year - 1, c.codes[1]
    with engine.begin() as conn:
        conn.execute(update(store.scores).where(store.scores.c.year == published,
                                                 store.scores.c.school_code == vetoed).values(qualified=False, rank=None))
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", url)
    queries.clear_caches()
    try:
        seen_by_school = queries.ranking(c.users["school"], published).set_index("school_code")
        assert pd.isna(seen_by_school.loc[vetoed, "total"]) and pd.isna(seen_by_school.loc[vetoed, "A"])
        assert seen_by_school.loc[c.codes[0], "total"] > 0  # the others' points stay public
        assert queries.ranking(c.users["leader"], published).set_index("school_code").loc[vetoed, "total"] > 0
    finally:
        from sync.store import engine_for

        queries.clear_caches()
        engine.dispose()
        engine_for.cache_clear()


def test_no_figure_a_school_sees_gives_back_a_disqualified_schools_points(tmp_path, monkeypatch):
    """rules.md veto: a disqualified school keeps its computed points "for its own view".  Counted in the
    county mean, they came back as the mean times the schools less the ranked totals, and the spread
    plot sent them as they were: every mean, spread and trend another school sees must stay the same
    whatever the disqualified school's points are."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    c = build_county(engine, n=6)
    published, vetoed = c.year - 1, c.codes[1]
    school = c.users["school"]
    assert school.school_code != vetoed
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", url)
    monkeypatch.setattr(queries.privacy, "MIN_GROUP_FOR_SCHOOLS", 1)  # every group shown: none hides the difference

    def figures_with_vetoed_total(total: float) -> list:
        with engine.begin() as conn:
            conn.execute(update(store.scores).where(store.scores.c.year == published,
                                                     store.scores.c.school_code == vetoed).values(
                qualified=False, rank=None, total=total))
        queries.clear_caches()
        return [queries.headline(school, published)["mean"],
                sorted(queries.spread(school, published, "type")["total"]),
                sorted(queries.spread(school, published, "township")["total"]),
                queries.annual_by_year(school, "type").to_dict("records"),
                queries.trend_by_month(school, published, "type").to_dict("records"),
                queries.county_by_month_all_years(school).to_dict("records"),
                queries.school_trend_lists(school, school.school_code, published)]

    try:
        low = figures_with_vetoed_total(10.0)
        assert low[1] and low[4]  # a published year: the spread and the trend are there to compare
        assert figures_with_vetoed_total(95.0) == low
        own = queries.school_trend_lists(c.users["leader"], vetoed, published)["school"]
        assert 95.0 in own  # the school's own line still shows its points (to itself and the bureau)
    finally:
        from sync.store import engine_for

        queries.clear_caches()
        engine.dispose()
        engine_for.cache_clear()


def test_risers_and_fallers_are_ranked_schools_only(own_county):
    """Found by an audit: a disqualified school was listed among the biggest risers (+5.8) with no mark;
    取消資格 is not a rise.  The others are there, by their change."""
    c, engine = own_county
    _year_over(engine, c.year)
    leader = c.users["leader"]
    ranking = queries.ranking(leader, c.year)
    vetoed = set(ranking.loc[~ranking["qualified"].astype(bool), "school_code"])
    assert vetoed
    risers, fallers = queries.risers_fallers(leader, c.year, n=10)
    listed = set(risers["school_code"]) | set(fallers["school_code"])
    assert not listed & vetoed
    ranked = ranking[ranking["qualified"].astype(bool) & ranking["change"].notna() & (ranking["change"] != 0)]
    assert listed == set(ranked["school_code"])
    assert list(risers["change"]) == sorted(risers["change"], reverse=True)


def test_the_groups_a_school_does_not_see_never_add_up_to_one_other_school():
    """The county mean times its schools, less every group mean shown, is the sum of the hidden groups:
    with a two-school township (the viewer's) hidden and the rest shown, that sum less the viewer's
    own total was the other school's draft total.  The smallest shown group is hidden as well."""
    from dashboard.queries import Scope
    from dashboard.queries.privacy import _group_means_for

    school = Scope(False, "S1")
    groups = pd.DataFrame({"group": ["東鄉", "西鄉", "城關", "南鄉"], "mean": [80.0, 70.0, 90.0, 60.0],
                           "size": [2, 4, 6, 5]})
    assert list(_group_means_for(school, groups, own_group="東鄉")["group"]) == ["城關", "南鄉"]  # 西鄉 (4) too
    assert list(_group_means_for(school, groups, own_group="城關")["group"]) == ["西鄉", "城關", "南鄉"]  # 2 others hidden
    assert list(_group_means_for(Scope(True, None), groups, own_group=None)["group"]) == list(groups["group"])
    lone = pd.DataFrame({"group": ["東鄉", "西鄉"], "mean": [80.0, 70.0], "size": [1, 5]})
    assert list(_group_means_for(school, lone, own_group="西鄉")["group"]) == []  # 1 other: hide it all
    assert list(_group_means_for(school, lone, own_group="東鄉")["group"]) == ["西鄉"]  # only the viewer's own


def test_no_county_figure_a_school_sees_leaves_one_other_schools_total_to_work_out(own_trend_county):
    """The viewer's township has two schools, the two others three each: every figure by township a
    school sees (the year's means, each month end's) hides a three-school township too."""
    from sqlalchemy import update

    from sync.store import scores

    c, engine = own_trend_county
    school = c.users["school"]
    others = [code for code in c.codes if code != school.school_code]
    towns = {school.school_code: "東鄉", others[0]: "東鄉", **dict.fromkeys(others[1:4], "西鄉"),
             **dict.fromkeys(others[4:7], "城關")}
    with engine.begin() as conn:
        for code, town in towns.items():
            conn.execute(update(scores).where(scores.c.school_code == code).values(township=town))
    queries.clear_caches()
    annual = queries.annual_by_year(school, "township")
    trend = queries.trend_by_month(school, c.year, "township")
    views = [set(annual[annual["year"] == c.year]["group"].dropna()),
             *[set(part["group"].dropna()) for _d, part in trend.groupby("as_of")]]
    assert len(views) > 2
    for shown in views:
        hidden_others = sum(1 for code, town in towns.items() if town not in shown and code != school.school_code)
        assert hidden_others >= queries.privacy.MIN_GROUP_FOR_SCHOOLS - 1, shown
        assert len(shown) == 1  # one three-school township of the two
    assert set(queries.annual_by_year(c.users["leader"], "township")["group"].dropna()) == {"東鄉", "西鄉", "城關"}


@pytest.mark.parametrize("others_ranked", [1, 2])
def test_a_county_of_one_other_ranked_school_shows_a_school_no_county_mean_in_a_draft_year(own_trend_county,
                                                                                          others_ranked):
    """The county mean of the viewer's school and one other, less the viewer's own total, is the other's
    total: in a draft year a school sees no county figure then (its page's line, the trends page's
    monthly line, the year-on-year line, the annual bar).  With two others it sees them; the bureau always
    does, and the published year (circulated whole) stays as it was."""
    from sqlalchemy import update

    from sync.store import scores

    c, engine = own_trend_county
    school, leader = c.users["school"], c.users["leader"]
    # the rest disqualified this year: the county's ranked are the viewer and others_ranked more
    ranked = [school.school_code] + [code for code in c.codes if code not in (school.school_code, c.disqualified)][:others_ranked]
    with engine.begin() as conn:
        conn.execute(update(scores).where(scores.c.year == c.year, scores.c.school_code.not_in(ranked))
                     .values(qualified=False, rank=None))
    queries.clear_caches()
    hidden = others_ranked == 1
    lists = queries.school_trend_lists(school, school.school_code, c.year)
    assert lists["x"] and (lists["county"] == [None] * len(lists["x"])) == hidden
    assert _trend_drawn(school, school.school_code, c.year)["county"].isna().all() == hidden
    assert queries.trend_by_month(school, c.year, "type")["group"].isna().any() != hidden
    yoy = queries.county_by_month_all_years(school)
    assert (c.year in set(yoy["year"])) != hidden and c.year - 1 in set(yoy["year"])
    annual = queries.annual_by_year(school, "type")
    county_years = set(annual[annual["group"].isna()]["year"])
    assert (c.year in county_years) != hidden and c.year - 1 in county_years
    assert (queries.headline(school, c.year)["mean"] is None) == hidden
    assert queries.headline(school, c.year - 1)["mean"] is not None
    # and the pages draw what is left
    from dashboard import app as app_module
    from dashboard.pages import overview, trends
    from dashboard.pages import school as school_page
    from tests.dashboard_fixtures import as_viewer, find_element

    with as_viewer(app_module, school):
        assert find_element(trends.render_trends("zh-Hant", c.year, "type")[0], "trend-monthly") is not None
        drawn = find_element(school_page.render_school_page("zh-Hant", c.year, school.school_code), "school-trend")
        assert find_element(overview.render_overview("zh-Hant", c.year), "ranking-grid") is not None
    county_line = drawn.figure["data"][1]["y"]
    assert (county_line == [None] * len(county_line)) == hidden
    # the bureau's figures are whole
    assert all(v is not None for v in queries.school_trend_lists(leader, school.school_code, c.year)["county"])
    assert c.year in set(queries.county_by_month_all_years(leader)["year"])


def test_a_school_that_sent_nothing_counts_as_known_so_the_county_mean_of_it_and_one_other_is_withheld(
        own_trend_county):
    """A privacy audit: in a county of three, one of which sent nothing (0 points, which the overview's
    未提交 count tells), the county mean less the viewer's total was the third school's draft total, month by
    month: one other school is hidden behind the mean only if the silent one counts as unknown."""
    from sqlalchemy import update

    from sync.store import scores

    c, engine = own_trend_county
    school = c.users["school"]
    other = next(code for code in c.codes if code not in (school.school_code, c.disqualified, c.not_submitted))
    ranked = [school.school_code, other, c.not_submitted]
    with engine.begin() as conn:
        conn.execute(update(scores).where(scores.c.year == c.year, scores.c.school_code.not_in(ranked))
                     .values(qualified=False, rank=None))
    queries.clear_caches()
    lists = queries.school_trend_lists(school, school.school_code, c.year)
    assert lists["x"] and lists["county"] == [None] * len(lists["x"])
    assert queries.headline(school, c.year)["mean"] is None
    assert not queries.trend_by_month(school, c.year, "type")["group"].isna().any()
    # the county's counts of records (overdue hazards, drill share) are that one school's too, when it is
    # the only other besides the viewer's and the silent one: the registry of three, here
    with engine.begin() as conn:
        conn.execute(scores.delete().where(scores.c.school_code.not_in(ranked)))
    queries.clear_caches()
    head = queries.headline(school, c.year)
    assert (head["overdue_hazards"], head["drill_share"]) == (None, None)
    assert queries.headline(c.users["leader"], c.year)["overdue_hazards"] is not None
    assert all(v is not None for v in queries.school_trend_lists(c.users["leader"], school.school_code, c.year)["county"])


def test_a_silent_school_an_assessor_marked_is_not_counted_as_known(own_trend_county):
    """A second privacy audit: a school that sent nothing but was assessed (督查 with an indicator) has points
    of its own; counted as a known 0, the county mean of it and the viewer gave its total away."""
    from sqlalchemy import select, update

    from sync.store import records, scores, sources

    c, engine = own_trend_county
    school = c.users["school"]
    with engine.begin() as conn:
        conn.execute(update(scores).where(scores.c.year == c.year,
                                          scores.c.school_code.not_in([school.school_code, c.not_submitted]))
                     .values(qualified=False, rank=None))
    queries.clear_caches()
    assert queries.headline(school, c.year)["mean"] is not None  # the silent school's 0 is known: nothing to hide
    with engine.begin() as conn:
        bureau = conn.execute(select(sources.c.source_id).where(sources.c.source_key == "file:bureau.xlsx")).scalar_one()
        conn.execute(records["inspections"].insert().values(
            source_id=bureau, row_no=9, date=date(c.year, 6, 1), school_code=c.not_submitted, kind="考評",
            indicator="G1", assessed_points=5.0, falsification=False, major_incident=False))
    queries.clear_caches()
    assert queries.headline(school, c.year)["mean"] is None
    assert queries.school_trend_lists(school, school.school_code, c.year)["county"] == [None] * len(
        queries.school_trend_lists(school, school.school_code, c.year)["x"])


def test_the_drill_share_out_of_term_is_withheld_from_a_school_when_one_kindergarten_is_due(county):
    """A second privacy audit: in July no term month is due, only the kindergartens' quarter; with one
    kindergarten in the county the share (0 % or 100 %) said whether that kindergarten had drilled."""
    c, _ = county
    july = date(c.year, 7, 20)
    kindergartens = [code for code in c.codes if c.types[code] == "幼兒園"]
    assert len(kindergartens) == 1 and c.users["school"].school_code not in kindergartens
    assert queries.headline(c.users["school"], c.year, today=july)["drill_share"] is None
    assert queries.headline(c.users["leader"], c.year, today=july)["drill_share"] is not None
    assert queries.headline(c.users["school"], c.year, today=date(c.year, 11, 20))["drill_share"] is not None


def test_a_group_mean_beside_the_county_mean_gives_a_school_away_once_a_silent_school_is_known():
    """A privacy audit: county mean over five, 小學 over three; county less 小學 is the kindergarten plus the
    school that sent nothing (0 points): the kindergarten's total.  Counted as unknown, the silent school hid
    it; counted as known (it is), the 小學 mean must go."""
    import pandas as pd

    members = pd.DataFrame({"school_code": ["OWN", "A", "B", "K", "N"],
                            "type": ["小學", "小學", "小學", "幼兒園", "初中"], "township": ["甲"] * 5})
    shown = {"type": {"小學"}, "township": set()}
    assert not queries.privacy._one_school_worked_out(members, "OWN", shown)
    assert queries.privacy._one_school_worked_out(members, "OWN", shown, frozenset({"N"}))
    assert not queries.privacy._one_school_worked_out(members, "OWN", {"type": set(), "township": set()}, frozenset({"N"}))


def test_a_published_years_month_end_county_mean_of_the_viewer_and_one_other_is_withheld(own_trend_county):
    """A privacy audit: a published year is circulated as annual totals, not month ends; its September mean of
    two schools, less the viewer's, was the other's year to date (that school disqualified in the circular,
    its points blank there).  The annual mean of a published year stays (the circular gives the totals)."""
    from sqlalchemy import update

    from sync.store import scores

    c, engine = own_trend_county
    school, year = c.users["school"], c.year - 1  # last year is published
    other = next(code for code in c.codes if code not in (school.school_code, c.disqualified, c.not_submitted))
    with engine.begin() as conn:
        conn.execute(update(scores).where(scores.c.year == year,
                                          scores.c.school_code.not_in([school.school_code, other]))
                     .values(qualified=False, rank=None))
    queries.clear_caches()
    lists = queries.school_trend_lists(school, school.school_code, year)
    assert lists["x"] and lists["county"] == [None] * len(lists["x"])
    assert year not in set(queries.county_by_month_all_years(school)["year"])
    assert queries.headline(school, year)["mean"] is not None
    assert year in set(queries.county_by_month_all_years(c.users["leader"])["year"])


def test_a_schools_page_draws_its_types_mean_only_where_the_trends_page_shows_it(own_trend_county):
    """The viewer's type has three schools, one other type a single school: the trends page hides the
    lone school's type and, so that the hidden types add up to more than one school, the viewer's
    three-school type too.  The school's own page drew that type's mean (three schools is enough on
    its own), and with it the county mean gave the lone school's total month by month."""
    from sqlalchemy import update

    from sync.store import scores

    c, engine = own_trend_county
    school = c.users["school"]
    others = [code for code in c.codes if code != school.school_code]
    types = {school.school_code: "初中", **dict.fromkeys(others[:2], "初中"), others[2]: "中職",
             **dict.fromkeys(others[3:], "小學")}
    assert len(others[3:]) >= 4
    with engine.begin() as conn:
        for code, school_type in types.items():
            conn.execute(update(scores).where(scores.c.school_code == code).values(type=school_type))
    queries.clear_caches()
    trends = queries.trend_by_month(school, c.year, "type")
    assert len(trends) and set(trends["group"].dropna()) == {"小學"}
    lists = queries.school_trend_lists(school, school.school_code, c.year)
    assert lists["x"] and lists["type"] == [None] * len(lists["x"])
    assert _trend_drawn(school, school.school_code, c.year)["type"].isna().all()
    for_bureau = queries.school_trend_lists(c.users["leader"], school.school_code, c.year)["type"]
    assert all(v is not None for v in for_bureau)  # the bureau sees every mean


def test_the_first_page_gives_each_school_its_campuses_and_people_to_the_bureau_only(own_county):
    """Foundation issue: the first page lists the schools with their type, township, campuses, people, total
    and grade.  A school with 東區 (1,200 people) and 西區 (350) has 2 campuses and 1,550 people; another
    school's officer reads the published ranking without them (its own records)."""
    c, engine = own_county
    published, code = c.year - 1, c.codes[2]
    two = [{"campus": "東區", "people": 1200, "boarders": 0, "guards_required": 6, "guards_active": 6},
           {"campus": "西區", "people": 350, "boarders": 0, "guards_required": 2, "guards_active": 2}]
    annual = (store.scores.c.year == published) & (store.scores.c.kind == "annual")
    with engine.begin() as conn:
        conn.execute(update(store.scores).where(annual, store.scores.c.school_code == code).values(campuses=two))
        conn.execute(update(store.scores).where(annual, store.scores.c.school_code == c.codes[3]).values(campuses=[]))
    queries.clear_caches()
    seen = queries.ranking(c.users["leader"], published).set_index("school_code")
    assert (seen.loc[code, "campus_count"], seen.loc[code, "people"]) == (2, 1550)
    assert (seen.loc[c.codes[0], "campus_count"], seen.loc[c.codes[0], "people"]) == (1, 900)
    # no 校區 sheet (not sent, refused): nothing to say, not "0 · 0"
    assert pd.isna(seen.loc[c.codes[3], "campus_count"]) and pd.isna(seen.loc[c.codes[3], "people"])
    by_school = queries.ranking(c.users["school"], published).set_index("school_code")
    assert pd.isna(by_school.loc[code, "campus_count"]) and pd.isna(by_school.loc[code, "people"])
    assert (by_school.loc[c.codes[0], "campus_count"], by_school.loc[c.codes[0], "people"]) == (1, 900)


def test_a_date_past_what_pandas_holds_in_the_store_is_read_as_the_far_future_not_a_crash(own_county):
    """Found by an audit: a guard's 離崗日期 9999-12-31 (stored before the sync refused dates that far ahead)
    stopped the scoring of the whole county and the pages that read records.  It still means "in post"."""
    from datetime import date

    from scoring import evaluate
    from sync.frames import load_frames
    from tests.synthetic import typed

    c, engine = own_county
    with engine.begin() as conn:
        conn.execute(update(store.records["guards"]).where(store.records["guards"].c.name == "王五")
                     .values(end_date=date(9999, 12, 31)))
        conn.execute(update(store.records["hazards"]).where(store.records["hazards"].c.id == "H2")
                     .values(deadline=date(9999, 12, 31)))
    queries.clear_caches()
    frames = load_frames(engine)
    guards = frames["guards"].set_index("name")
    assert guards.loc["王五", "end_date"] == pd.Timestamp("2262-04-11")
    frames["registry"] = typed("registry", [{"school_code": code, "name": c.names[code], "type": c.types[code],
                                              "township": "城關鎮"} for code in c.codes])  # the fixture has none
    e3 = evaluate(frames, c.year, c.today).indicators.set_index(["school_code", "indicator"]).loc[(c.codes[0], "E3")]
    assert e3["ratio"] == pytest.approx(2 / 3)  # 李四 is over 55; 王五 still counts among the guards on duty
    ledger = queries.hazard_rows(c.users["admin"], c.codes[0], c.year)
    assert "H2" in {row["id"] for row in ledger}


def test_the_guard_age_todos_follow_the_rubrics_limit_as_e3_does(county, bureau_rubric):
    """4.5.1 不得超過55周歲, with a bureau's rubric that sets the limit at 59: E3 passes a guard of 57, so the
    to-do list must not tell the school to replace him, nor count the days to his 56th birthday."""
    c, _ = county
    bureau_rubric(("limit = 55", "limit = 59"))
    todo = queries.school_todos(c.users["school"], c.codes[0], c.year, today=c.today)
    county_todo = queries.county_todos(c.users["admin"], c.year, today=c.today)
    assert todo["counts"]["guards_over_age_limit"] == 0 and todo["counts"]["guards_reaching_age_limit"] == 0
    assert todo["guards"] == [] and county_todo["guards_over_age_limit"] == 0
    assert todo["guard_age_limit"] == county_todo["guard_age_limit"] == 59


def test_the_guard_training_todo_asks_for_the_rubrics_days_as_e7_counts_them(county, bureau_rubric):
    """4.5.3 (E7), with a bureau's rubric asking 5 off-duty days a semester: a guard trained 3 days fails E7,
    so the to-do must ask for 5 days, not the default's 3 (it said 3 whatever the rubric said: a rubric audit)."""
    from dashboard.pages import school
    from tests.dashboard_fixtures import page_text

    c, _ = county
    bureau_rubric(("days = 3 ", "days = 5 "))
    todo = queries.school_todos(c.users["school"], c.codes[0], c.year, today=c.today)
    todo["running_year"], todo["counts"]["guards_untrained"] = True, 2
    assert "2 人次保安未完成5天脫產培訓" in page_text(school.todo_list(todo, "zh-Hant"))
    assert "owed 5 days of off-duty training" in page_text(school.todo_list(todo, "en"))


def test_the_todos_semester_is_the_calendars_not_a_guess_from_the_month(county, tmp_path, monkeypatch):
    """rules.md: term dates come from the county calendar, overridable per year.  A spring semester that
    starts on 21 January (the autumn before ends on the 20th) is the semester of 25 January, whose guard
    training the to-do counts."""
    from sync import settings

    c, _ = county
    (tmp_path / "safeschool.toml").write_text(
        f"[calendar.{c.year}]\nspring = [{c.year}-01-21, {c.year}-06-30]\n", encoding="utf-8")
    monkeypatch.setenv("SAFESCHOOL_CONFIG", str(tmp_path / "safeschool.toml"))
    settings.reset_caches()
    try:
        in_spring = queries.school_todos(c.users["school"], c.codes[0], c.year, today=date(c.year, 1, 25))
        between = queries.school_todos(c.users["school"], c.codes[0], c.year, today=date(c.year, 7, 15))
    finally:
        monkeypatch.delenv("SAFESCHOOL_CONFIG")
        settings.reset_caches()
    assert in_spring["labels"]["semester"] == f"{c.year}-spring"
    assert between["labels"]["semester"] is None  # between two semesters: training then counts for neither (E7)
    # the county default: 20 January is still the autumn semester that started the year before
    assert queries.school_todos(c.users["school"], c.codes[0], c.year,
                                today=date(c.year, 1, 20))["labels"]["semester"] == f"{c.year - 1}-autumn"


def test_the_headline_counts_every_school_under_a_rubrics_own_grade_names(own_county):
    """rules.md: grades are configurable.  A school graded 待改進 by a bureau's rubric (a band the county
    default does not have) is still one of the schools the grade strip counts."""
    c, engine = own_county
    admin = c.users["admin"]
    with engine.begin() as conn:
        conn.execute(update(store.scores).where(store.scores.c.school_code == c.codes[4], store.scores.c.year == c.year,
                                                store.scores.c.kind == "annual").values(grade="待改進"))
    queries.clear_caches()
    head = queries.headline(admin, c.year, today=c.today)
    assert head["grades"].get("待改進") == 1
    assert sum(head["grades"].values()) == head["schools"]


def test_5_4_the_grade_strip_and_filter_follow_the_bands_of_the_bureaus_rubric(own_county, bureau_rubric):
    """rules.md 5.4: grades are configurable.  Under a rubric with a fifth band 基本合格 (50 to 60), the strip
    lists it before 不合格, in its own colour, and in English by its name_en (a rubric audit: after 不合格, grey,
    and in Chinese on an English page); under bands renamed A-D, rules.md's four are not listed empty beside them."""
    from dashboard.layout import grade_label
    from dashboard.pages import overview

    c, engine = own_county
    admin = c.users["admin"]
    bureau_rubric(('[[grades]]\nname = "不合格"', '[[grades]]\nname = "基本合格"\nname_en = "basic pass"\nmin = 50\n\n'
                                                   '[[grades]]\nname = "不合格"'))
    with engine.begin() as conn:
        conn.execute(update(store.scores).where(store.scores.c.school_code == c.codes[4], store.scores.c.year == c.year,
                                                store.scores.c.kind == "annual").values(grade="基本合格"))
    queries.clear_caches()
    head = queries.headline(admin, c.year, today=c.today)
    assert list(head["grades"]) == ["優秀", "良好", "合格", "基本合格", "不合格"] and head["grades"]["基本合格"] == 1
    strip = overview.grade_strip(head["grades"], "en")
    colours = [dot.children[0].style["background"] for dot in strip.children[1].children]
    assert len(set(colours)) == 4 and "#999" not in colours  # five bands over the four shades, best to worst
    assert grade_label("基本合格", "en") == "basic pass" and grade_label("基本合格", "zh-Hans") == "基本合格"
    bureau_rubric(*[(f'name = "{old}"', f'name = "{new}"') for old, new in
                    (("優秀", "A等"), ("良好", "B等"), ("合格", "C等"), ("不合格", "D等"))])
    queries.clear_caches()
    renamed = queries.headline(admin, c.year, today=c.today)
    assert list(renamed["grades"])[:4] == ["A等", "B等", "C等", "D等"]
    # the stored results still carry the old names (graded before the rename): listed with their schools, no
    # name of rules.md's listed empty
    assert all(renamed["grades"][g] > 0 for g in renamed["grades"] if g in queries.GRADES)


def test_a_new_data_version_lets_go_of_the_loads_cached_under_the_older_one(own_county, monkeypatch):
    """Every load is cached on the data version; once a sync makes a new one, nothing asks for the older
    entries again, and a gunicorn worker kept every sync's loads until 256 newer ones pushed them out (a
    scale audit: 180 MB more per sync at 300 schools).  After a change the caches hold one version's loads,
    the pages' rendered pages too, and they read the new data."""
    from dashboard import (
        app,  # noqa: F401 - the pages register with the app
        warm,
    )
    from dashboard.pages import overview, school

    c, engine = own_county
    monkeypatch.setattr("dashboard.queries.base.county_today", lambda: c.today)
    monkeypatch.setattr("dashboard.warm.county_today", lambda: c.today)
    admin = c.users["admin"]

    def cached() -> dict[str, int]:
        sizes = {fn.__name__: fn.cache_info().currsize for fn in (
            queries.base._annual, queries.base._score_rows, queries.base._results, queries.county._ranking, queries.school._trend_lists,
            queries.county._headline, queries.base._year_status, queries.todos._year_periods,
            overview._rendered)}
        sizes["school._rendered"] = school._rendered.cache_info().currsize
        return sizes

    def load_everything() -> None:
        warm.warm_once()
        queries.school_result(admin, c.codes[0], c.year)
        school._rendered(queries.scope_viewer(admin), c.codes[0], c.year, "zh-Hant", c.today, queries.data_version())

    load_everything()
    once = cached()
    assert all(once.values()), once  # every cache above was filled
    for _sync in range(3):  # three scheduled syncs: three new versions
        with engine.begin() as conn:
            conn.execute(store.sync_runs.insert().values(started_at=datetime.now(), finished_at=datetime.now(),
                                                         trigger="scheduler", status="ok"))
        load_everything()
    assert cached() == once
    # and what the caches hold is the new data: a total changed by the next computation is read
    with engine.begin() as conn:
        conn.execute(update(store.scores).where(store.scores.c.school_code == c.codes[4], store.scores.c.year == c.year,
                                                store.scores.c.kind == "annual")
                     .values(total=12.5, computed_at=datetime.now() + timedelta(seconds=5)))
    assert queries.ranking(admin, c.year).loc[c.codes[4], "total"] == 12.5
    assert cached()["_annual"] <= once["_annual"]


def test_the_trend_lines_read_the_month_end_totals_without_their_indicators(trend_county):
    """The trends page and every school page's trend line need each month end's totals only; the month-end
    rows also carry every indicator of every school, which were read, parsed and kept in each worker (500 MB a
    year at 3,000 schools; a scale audit).  The lines stay as they were; no JSON column is read for them."""
    c, engine = trend_county
    admin = c.users["admin"]
    with statements_run() as read:
        monthly = queries.trend_by_month(admin, c.year, "type")
        lines = queries.school_trend_lists(admin, c.codes[0], c.year)
    trend_reads = [s for s, p in read if "FROM scores" in s and "'trend'" in p]
    assert trend_reads, read  # the month-end rows were read ...
    assert not [s for s in trend_reads if "indicators" in s or "areas" in s or "campuses" in s], trend_reads
    # ... and they make the lines: the county's mean at each month end is the mean of the ranked schools' totals
    county = monthly[monthly["group"].isna()]
    assert len(county) == len(lines["x"]) > 0
    with engine.connect() as conn:
        rows = conn.execute(store.scores.select().where(
            store.scores.c.year == c.year, store.scores.c.kind == "trend", store.scores.c.publication_id.is_(None),
            store.scores.c.qualified.is_(True))).mappings().all()
    first_day = min(r["as_of"] for r in rows)
    totals = [r["total"] for r in rows if r["as_of"] == first_day]
    assert county["mean"].iloc[0] == float(round_half_up(sum(totals) / len(totals)))


def test_every_trend_mean_rounds_halves_up_as_the_year_on_year_chart_beside_it(own_trend_county):
    """A heatmap-and-trends audit: a county mean of 72.45 read 72.4 on the monthly chart (pandas rounds halves
    to even) and 72.5 on the year-on-year chart of the same page and the overview."""
    c, engine = own_trend_county
    admin = c.users["admin"]
    with engine.connect() as conn:
        first_day = conn.execute(select(func.min(store.scores.c.as_of)).where(
            store.scores.c.year == c.year, store.scores.c.kind == "trend")).scalar()
    with engine.begin() as conn:
        conn.execute(update(store.scores).where(
            store.scores.c.year == c.year, store.scores.c.kind == "trend", store.scores.c.as_of == first_day)
            .values(total=72.45, computed_at=datetime.now() + timedelta(seconds=5)))
    monthly = queries.trend_by_month(admin, c.year, "type")
    county = monthly[monthly["group"].isna() & (pd.to_datetime(monthly["as_of"]) == pd.Timestamp(first_day))]
    year_on_year = queries.county_by_month_all_years(admin)
    beside = year_on_year[(year_on_year["year"] == c.year) & (year_on_year["month"] == first_day.month)]
    of_a_type = monthly[monthly["group"].notna() & (pd.to_datetime(monthly["as_of"]) == pd.Timestamp(first_day))]
    assert (county["mean"].tolist(), beside["mean"].tolist()) == ([72.5], [72.5])
    assert set(of_a_type["mean"]) == {72.5}
    assert queries.school_trend_lists(admin, c.codes[0], c.year)["county"][0] == 72.5


def test_a_schools_findings_come_in_the_order_the_scoring_takes_the_latest_assessment_by(own_county):
    """scoring.engine takes the latest of a day's assessments by the row in its sheet, a finding entered on
    the page (no row) after the sheet's.  The school page marks the others "replaced": listed by record id
    it named the one that counted so, when the workbook was loaded after the page's finding (a diff review)."""
    from dashboard.pages import school
    from scoring import evaluate
    from sync.frames import load_frames
    from sync.settings import configured_rubric
    from tests.dashboard_fixtures import page_text

    c, engine = own_county
    day = date(c.year, 3, 2)
    with engine.begin() as conn:
        bureau = conn.execute(select(store.sources.c.source_id).where(
            store.sources.c.source_key == "file:bureau.xlsx")).scalar_one()
        conn.execute(store.records["inspections"].insert(), [  # the page's first, then the workbook's
            {"source_id": bureau, "row_no": None, "date": day, "school_code": c.codes[1], "kind": "考評",
             "indicator": "D1", "assessed_points": 5.0, "falsification": False, "major_incident": False},
            {"source_id": bureau, "row_no": 7, "date": day, "school_code": c.codes[1], "kind": "考評",
             "indicator": "D1", "assessed_points": 2.0, "falsification": False, "major_incident": False}])
        conn.execute(store.records["registry"].insert().values(  # (the fixture writes scores, not the registry)
            source_id=bureau, row_no=2, school_code=c.codes[1], name="第二學校", type="小學", township="城關鎮"))
    queries.clear_caches()
    listed = queries.school_inspections(c.users["admin"], c.codes[1], c.year)
    assert [f["assessed_points"] for f in listed] == [2.0, 5.0]
    shown = page_text(school.inspection_table(listed, "zh-Hant"))
    assert shown.index("D1 考評得分 2") < shown.index("已被本年較後的考評取代") < shown.index("D1 考評得分 5")
    evaluation = evaluate(load_frames(engine), c.year, date(c.year, 12, 31), configured_rubric())
    [counted] = [r for r in evaluation.to_json() if r["school_code"] == c.codes[1]]
    assert counted["indicators"]["D1"]["assessed_points"] == 5.0  # the scoring's own choice: the 5 counts


def test_a_published_years_newer_draft_is_read_without_the_drafts_indicators(own_county):
    """A school page of a published year says when the draft since differs (newer_draft); it needs the
    drafts' totals, and read every draft's indicators besides (285 MB parsed at 3,000 schools; a scale
    audit).  The total said is the draft's; a draft equal to the published total to one decimal says
    nothing, unless a veto or a deduction came since (an audit: a falsification found after publication
    left the total as it was, and the page said nothing of it)."""
    c, engine = own_county
    admin, year = c.users["admin"], c.year - 1  # last year is published
    with engine.connect() as conn:
        published = {row.school_code: row for row in conn.execute(store.scores.select().with_only_columns(
            store.scores.c.school_code, store.scores.c.total, store.scores.c.grade, store.scores.c.qualified,
            store.scores.c.deduction).where(store.scores.c.year == year, store.scores.c.kind == "annual"))}
    later = datetime.now() + timedelta(seconds=5)
    draft = {"publication_id": None, "year": year, "kind": "annual", "as_of": date(year, 12, 31),
             "indicators": {"D1": {"points": 1}}, "areas": {}, "campuses": [], "computed_at": later}

    def as_published(code, **changed):
        row = published[code]
        return {**draft, "school_code": code, "total": row.total, "grade": row.grade, "qualified": row.qualified,
                "deduction": row.deduction, **changed}

    first, second, third, fourth = c.codes[:4]
    with engine.begin() as conn:
        conn.execute(store.scores.insert(), [
            as_published(first, total=published[first].total - 2.5),
            as_published(second, total=published[second].total + 0.04),
            as_published(fourth, qualified=False)])
    with statements_run() as read:
        assert queries.newer_draft(admin, first, year)["total"] == published[first].total - 2.5
        assert queries.newer_draft(admin, second, year) is None  # the same to one decimal
        assert queries.newer_draft(admin, third, year) is None  # no draft since
        vetoed = queries.newer_draft(admin, fourth, year)
        assert (vetoed["total"], vetoed["qualified"], vetoed["findings_since"]) == (published[fourth].total, False, True)
        assert queries.newer_draft(admin, first, year)["findings_since"] is False
    drafts = [s for s, _p in read if "FROM scores" in s and "publication_id IS NULL" in s]
    assert drafts and not [s for s in drafts if "indicators" in s], drafts


def test_an_assessment_entered_since_publication_is_said_to_be_since_as_a_veto_is(own_county):
    """5.4: the published result is frozen.  A D1 assessment entered after publication, a draft the same
    total to one decimal, deduction and veto unchanged: findings_since was False, and the page listed the new
    5 under the frozen result with nothing said, marking what it replaced "not counted" (a diff review).  An
    assessment the frozen result already counted is no change."""
    c, engine = own_county
    admin, year, code = c.users["admin"], c.year - 1, c.codes[1]  # last year is published
    with engine.connect() as conn:
        frozen = conn.execute(store.scores.select().where(
            store.scores.c.year == year, store.scores.c.kind == "annual", store.scores.c.school_code == code,
            store.scores.c.publication_id.is_not(None))).mappings().one()
        bureau = conn.execute(select(store.sources.c.source_id).where(
            store.sources.c.source_key == "file:bureau.xlsx")).scalar_one()
    assert frozen["indicators"]["D1"].get("assessed_points") is None  # nothing assessed when it was published
    with engine.begin() as conn:
        conn.execute(store.scores.insert().values(
            publication_id=None, year=year, kind="annual", as_of=date(year, 12, 31), school_code=code,
            total=frozen["total"], grade=frozen["grade"], qualified=frozen["qualified"], deduction=frozen["deduction"],
            indicators={}, areas={}, campuses=[], computed_at=datetime.now() + timedelta(seconds=5)))
        conn.execute(store.records["inspections"].insert().values(
            source_id=bureau, row_no=40, date=date(year, 11, 2), school_code=code, kind="考評", indicator="D1",
            assessed_points=float(frozen["indicators"]["D1"]["max"]), falsification=False, major_incident=False))
    queries.clear_caches()
    newer = queries.newer_draft(admin, code, year)
    assert newer is not None and newer["findings_since"] is True, newer
    counted = {**frozen["indicators"], "D1": {**frozen["indicators"]["D1"],
                                              "assessed_points": float(frozen["indicators"]["D1"]["max"])}}
    with engine.begin() as conn:  # as if the frozen result had counted the same assessment
        conn.execute(update(store.scores).where(store.scores.c.id == frozen["id"]).values(
            indicators=counted))
    queries.clear_caches()
    assert queries.newer_draft(admin, code, year) is None


def test_no_countywide_page_reads_the_schools_indicators_and_a_school_page_reads_its_own(county):
    """The overview, ranking, headline and trends need each school's totals and area points; every school's
    indicators were read and parsed with them and kept (63 KB a school in each worker, for every year shown:
    190 MB at 1,000 schools; a scale audit).  They are read when a page asks: a school's page its own row's,
    as stored; a heatmap every school's periods of its indicator, once per data version."""
    import json

    c, engine = county
    admin = c.users["admin"]
    with statements_run() as read:
        queries.ranking(admin, c.year)  # this year's, and last year's for the change
        queries.headline(admin, c.year, today=c.today)
        queries.annual_by_year(admin, "type")
        queries.spread(admin, c.year, "township")
        countywide = [s for s, _p in read if "indicators" in s]
        first = queries.school_result(admin, c.codes[0], c.year)
        second = queries.school_result(admin, c.codes[1], c.year)
        queries.heatmap_cells(admin, c.year, "classes")
        queries.heatmap_cells(admin, c.year, "gate_duty")
    assert not countywide, countywide
    reads = [p for s, p in read if "indicators" in s]
    assert len(reads) == 3 and c.codes[0] in reads[0] and c.codes[1] in reads[1], reads
    with engine.connect() as conn:
        stored = dict(conn.execute(store.scores.select().with_only_columns(
            store.scores.c.school_code, store.scores.c.indicators).where(
            store.scores.c.year == c.year, store.scores.c.kind == "annual",
            store.scores.c.publication_id.is_(None))).all())
    for code, result in ((c.codes[0], first), (c.codes[1], second)):
        want = stored[code] if isinstance(stored[code], dict) else json.loads(stored[code])
        assert result["indicators"] == want and result["indicators"]["D1"]["periods"]


def test_a_school_page_reads_the_schools_row_a_recompute_put_in_place_of_the_one_the_ranking_read(own_county):
    """A school's indicators are read when its page asks, after the year's rows were: should the rows have
    been replaced in between (a recompute that left the totals as they were), the page shows the school's
    row as it now stands, not no indicators at all."""
    from sqlalchemy import delete, insert, select

    c, engine = own_county
    admin, code = c.users["admin"], c.codes[0]
    queries.ranking(admin, c.year)
    scores = store.scores
    mine = (scores.c.school_code == code, scores.c.year == c.year, scores.c.kind == "annual",
            scores.c.publication_id.is_(None))
    with engine.begin() as conn:
        row = dict(conn.execute(select(scores).where(*mine)).mappings().one())
        row["indicators"]["D1"]["detail"] = "replaced"
        conn.execute(delete(scores).where(*mine))
        conn.execute(insert(scores).values({k: v for k, v in row.items() if k != "id"}))
    assert queries.school_result(admin, code, c.year)["indicators"]["D1"]["detail"] == "replaced"


def test_the_month_end_rows_and_records_hold_each_repeated_text_once(trend_county):
    """A school's code, name, type and township come with each of its month-end rows, its code with each of its
    records, each row's a copy of its own from the driver: 7 of the 9 MB a year's month ends held at 1,000
    schools, in each worker (a scale audit).  One object per text, the same texts."""
    c, engine = trend_county
    version = queries.data_version()
    trend = queries.privacy._trend_means(engine, c.year, version)
    guards = queries.base._record_table(engine, "guards", ("school_code", "name", "birth_date"), version)
    for frame, col in [(trend, "school_code"), (trend, "name"), (trend, "type"), (trend, "township"),
                       (guards, "school_code")]:
        values = frame[col].to_numpy(dtype=object)
        assert len(values) > frame[col].nunique() >= 1 and len({id(v) for v in values}) == frame[col].nunique(), col
    assert set(trend["school_code"]) == set(c.codes)


def test_the_bureau_pages_reads_refuse_whoever_the_page_would_refuse(county):
    """Every page reads through dashboard.queries (an architecture review: the publish, exports, inspections,
    audit, accounts and upload pages read the store themselves, each behind its own page check).  The reads
    ask who is asking again: a school's session gets no county list, a leader no accounts, the bureau no
    'own school' of an upload."""
    c, _ = county
    school, leader, admin = c.users["school"], c.users["leader"], c.users["admin"]
    bureau_only = [lambda v: queries.admin.publication_state(v, c.year), queries.admin.draft_years,
                   lambda v: queries.admin.draft_as_of(v, c.year), queries.admin.submissions,
                   queries.admin.inspection_list, queries.admin.inspection_history, queries.admin.registry_names,
                   queries.admin.audit_trail, queries.admin.sync_runs]
    for read in bureau_only:
        with pytest.raises(queries.Refused, match="refused.bureau_only"):
            read(school)
        read(leader)  # a leader reads everything the bureau has
    with pytest.raises(queries.Refused):
        queries.admin.accounts(leader)
    assert {a["username"] for a in queries.admin.accounts(admin)} >= {admin.username, school.username}
    for own in (queries.admin.shared_folder_copy, queries.admin.uploaded_copy_too,
                lambda v: queries.admin.own_draft_score(v, c.year)):
        with pytest.raises(queries.Refused):
            own(admin)
        own(school)
    assert queries.admin.own_draft_score(school, c.year)["school_code"] == school.school_code
    with pytest.raises(queries.Refused):  # no session: nothing, not even what the circular prints
        queries.admin.publication(None, c.year)


def test_a_school_is_shown_every_group_mean_that_gives_no_other_school_away():
    """Seven schools: the viewer's 初中 and two more, all in 城關鎮; three 小學 and one 幼兒園 in 東鄉.  The lone
    幼兒園's mean is hidden (one school), and with it the smallest type shown first, the viewer's own (else the
    hidden ones would be that one school).  Shown 小學, 城關鎮 and 東鄉, 東鄉 less 小學 is the 幼兒園's total.
    Hiding the smallest group first hid 城關鎮 (which closed nothing), then 小學: the school saw 東鄉 alone.
    Hiding 小學 alone closes it (城關鎮 less the viewer's own is two schools, 東鄉 four), so both townships
    stay shown."""
    from dashboard.queries.privacy import _one_school_worked_out, _shown_to_a_school

    members = pd.DataFrame({
        "school_code": ["OWN", "P2", "P3", "M1", "M2", "M3", "K1"],
        "type": ["初中"] * 3 + ["小學"] * 3 + ["幼兒園"],
        "township": ["城關鎮"] * 3 + ["東鄉"] * 4,
    })
    blocks = {col: members.groupby(col).size().reset_index(name="size").rename(columns={col: "group"})
              .assign(mean=80.0) for col in ("type", "township")}
    shown = _shown_to_a_school(members, "OWN", blocks, {"type": "初中", "township": "城關鎮"})
    assert shown == {"type": set(), "township": {"城關鎮", "東鄉"}}
    assert not _one_school_worked_out(members, "OWN", shown)
    assert _one_school_worked_out(members, "OWN", {"type": {"小學"}, "township": {"東鄉"}})  # the leak closed
