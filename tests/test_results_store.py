"""sync.results on real stores (SQLite and PostgreSQL): drafts, trends, frozen publications."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import func, insert, select

from dashboard.downloads import publication_files
from sync import results, settings
from sync.errors import UserError
from sync.store import publications, records, scores, sources
from tests.conftest import sqlite_only
from tests.synthetic import Records, compliant_school

Y = 2025


def _value(v):
    if v is None or (not isinstance(v, (list, dict)) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    return v.item() if hasattr(v, "item") else v


def load(engine, frames: dict[str, pd.DataFrame], source_key="test:county") -> None:
    """Write frames into the record tables as one source (what a sync would leave)."""
    with engine.begin() as conn:
        existing = conn.execute(select(sources.c.source_id).where(sources.c.source_key == source_key)).scalar()
        if existing:
            for table in records.values():
                conn.execute(table.delete().where(table.c.source_id == existing))
            source_id = existing
        else:
            source_id = conn.execute(insert(sources).values(
                source_key=source_key, kind="manual", status="loaded", loaded_at=datetime(2026, 1, 2, 3, 4, 5),
            )).inserted_primary_key[0]
        for key, frame in frames.items():
            table = records[key]
            rows = []
            for rec in frame.drop(columns=["source_id"]).to_dict("records"):
                rows.append({k: _value(v) for k, v in rec.items() if k in table.c} | {"source_id": source_id})
            if rows:
                conn.execute(insert(table), rows)


def county() -> Records:
    rec = Records()
    compliant_school(rec, "S1", Y, type="高中")
    compliant_school(rec, "S2", Y, type="小學").remove("checklist", "S2", item="年度演練計劃")
    rec.school("S3", type="初中", submitted=False)
    return rec


def test_recompute_stores_annual_and_trend_drafts(engine):
    load(engine, county().frames())
    summary = results.recompute(engine, today=date(Y + 1, 3, 1))
    assert summary["years"] == [Y, Y + 1]  # from the first activity year to the running year
    assert summary["as_of"][Y] == f"{Y}-12-31" and summary["as_of"][Y + 1] == f"{Y + 1}-03-01"
    out = results.annual_results(engine, Y, "draft")
    assert [o["school_code"] for o in out] == ["S1", "S2", "S3"]
    assert [o["total"] for o in out[:2]] == [100.0, 98.0]
    assert out[0]["indicators"]["D1"]["clause"] == "4.4.1" and len(out[0]["indicators"]["D1"]["periods"]) == 9
    assert out[0]["areas"]["D"] == {"points": 20.0, "max": 20.0}
    trend = results.trend_frame(engine, Y, "draft")
    assert len(trend) == 3 * 12
    assert trend[trend["school_code"] == "S1"]["as_of"].dt.month.tolist() == list(range(1, 13))
    assert trend[(trend["school_code"] == "S1")].iloc[-1]["total"] == 100.0
    from scoring import evaluate

    june = evaluate(county().frames(), Y, date(Y, 6, 30)).schools.set_index("school_code")
    stored = trend[trend["as_of"] == pd.Timestamp(Y, 6, 30)].set_index("school_code")
    assert stored.loc["S2", "total"] == june.loc["S2", "total"]
    assert stored.loc["S2", "D_points"] == pytest.approx(june.loc["S2", "D_points"])
    running = results.trend_frame(engine, Y + 1, "draft")
    assert sorted(running["as_of"].dt.month.unique()) == [1, 2]


@sqlite_only
def test_a_checklist_document_of_years_ago_does_not_make_those_years_evaluation_years(engine):
    """A school's leadership group set up by a document of 2016 (基礎工作 日期 2016-09-01) is a standing fact,
    not activity of 2016: the years scored run from the first year with activity records (drills, classes,
    findings, funds...), not from 2016 (nine empty drafts 2016-2024, each with twelve month ends, listed to
    the bureau as years to rank and publish; the recompute took a minute for 17 schools)."""
    rec = county()
    rec.remove("checklist", "S1", item="安全工作領導小組")
    rec.add("checklist", "S1", item="安全工作領導小組", done=True, reference="校安〔2016〕3號", date=date(2016, 9, 1))
    load(engine, rec.frames())
    summary = results.recompute(engine, today=date(Y + 1, 3, 1))
    assert summary["years"] == [Y, Y + 1]
    assert results.draft_years(engine) == [Y + 1, Y]
    s1 = next(o for o in results.annual_results(engine, Y, "draft") if o["school_code"] == "S1")
    assert s1["indicators"]["A1"]["points"] == 3.0  # the document still counts, in every year after it


def test_recompute_replaces_drafts_only_for_its_years(engine):
    load(engine, county().frames())
    results.recompute(engine, years=[Y], today=date(Y, 2, 10))
    results.recompute(engine, years=[Y], today=date(Y, 2, 10))
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(scores).where(scores.c.year == Y)).scalar()
    assert n == 3 * 2  # annual on 10 Feb + trend at 31 Jan, once


def test_publish_freezes_a_year_against_later_data(engine):
    rec = county()
    load(engine, rec.frames())
    results.recompute(engine, years=[Y], today=date(Y + 1, 3, 1), trend=False)
    pub = results.publish(engine, Y, files=publication_files, by="admin")
    assert results.is_published(engine, Y)
    assert (pub["version"], pub["schools"], pub["rubric_version"]) == (1, 3, "2026.1")
    assert pub["data_timestamp"] == datetime(2026, 1, 2, 3, 4, 5)
    rec.remove("checklist", "S1", item="安全工作領導小組")
    load(engine, rec.frames())
    results.recompute(engine, years=[Y], today=date(Y + 1, 3, 1), trend=False)
    assert results.annual_results(engine, Y, "active")[0]["total"] == 100.0
    assert {o["school_code"]: o["total"] for o in results.annual_results(engine, Y, "draft")}["S1"] == 97.0
    diff = results.publication_diff(engine, Y).set_index("school_code")
    assert diff.loc["S1", "total_before"] == 100.0 and diff.loc["S1", "total_after"] == 97.0
    assert diff.loc["S1", "changed"] and not diff.loc["S3", "changed"]
    assert bool(diff.loc["S1", "qualified_before"]) and bool(diff.loc["S1", "qualified_after"])
    rec.add("inspections", "S2", date=date(Y, 6, 1), kind="不定期", finding="簽到表代簽", falsification=True)
    load(engine, rec.frames())
    results.recompute(engine, years=[Y], today=date(Y + 1, 3, 1), trend=False)
    diff = results.publication_diff(engine, Y).set_index("school_code")
    # the veto shows in what publishing would change, though the school's points stay its own
    assert diff.loc["S2", "changed"] and not bool(diff.loc["S2", "qualified_after"])


@sqlite_only
def test_publishing_after_a_rubric_change_freezes_results_made_with_the_new_rubric(engine, monkeypatch):
    """rules.md: grades use the published total under the configured bands; a rubric changed since the
    last sync (no record changed, so nothing was recomputed) must not be frozen with the old grades."""
    from dataclasses import replace

    from scoring.rubric import Grade, load_rubric

    load(engine, county().frames())
    results.recompute(engine, years=[Y], today=date(Y + 1, 3, 1), trend=False)
    assert {o["school_code"]: o["grade"] for o in results.annual_results(engine, Y, "draft")}["S2"] == "優秀"
    base = load_rubric()
    stricter = replace(base, version="2026.2", grades=(Grade("優秀", "excellent", 99.0), *base.grades[1:]))
    monkeypatch.setattr(settings, "configured_rubric", lambda: stricter)
    pub = results.publish(engine, Y, files=publication_files, by="admin", today=date(Y + 1, 3, 1))
    published = {o["school_code"]: o for o in results.annual_results(engine, Y, "active")}
    assert pub["rubric_version"] == "2026.2"
    assert (published["S2"]["total"], published["S2"]["grade"]) == (98.0, "良好")  # 98 < 99 now


def test_republishing_needs_force_and_keeps_the_earlier_version(engine):
    load(engine, county().frames())
    results.recompute(engine, years=[Y], today=date(Y + 1, 3, 1), trend=False)
    results.publish(engine, Y, files=publication_files, by="admin")
    with pytest.raises(UserError, match="already published"):
        results.publish(engine, Y, files=publication_files, by="admin")
    second = results.publish(engine, Y, files=publication_files, by="admin", force=True, note="corrected")
    assert second["version"] == 2
    pubs = results.list_publications(engine, Y)
    assert [(p["version"], p["active"]) for p in pubs] == [(1, False), (2, True)]
    assert len(results.annual_results(engine, Y, 1)) == 3


@sqlite_only
def test_publishing_an_uncomputed_or_running_year_is_a_user_error(engine):
    with pytest.raises(UserError, match="no computed results"):
        results.publish(engine, Y, files=publication_files, by="admin")
    load(engine, county().frames())
    results.recompute(engine, years=[Y], today=date(Y, 6, 30), trend=False)
    with pytest.raises(UserError, match="still running"):
        results.publish(engine, Y, files=publication_files, by="admin", today=date(Y, 6, 30))  # the clock of a running year
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(publications)).scalar() == 0


@sqlite_only
def test_publishing_after_the_year_brings_a_draft_left_mid_year_up_to_date(engine):
    """Drafts last computed on 30 June (no record changed since) are of the running year's day; once
    the year is over, publishing evaluates it on 31 Dec, as rules.md's annual result is."""
    load(engine, county().frames())
    results.recompute(engine, years=[Y], today=date(Y, 6, 30), trend=False)
    pub = results.publish(engine, Y, files=publication_files, by="admin", today=date(Y + 1, 1, 5))
    assert pub["version"] == 1
    assert {r["as_of"] for r in results.annual_results(engine, Y, "active")} == {f"{Y}-12-31"}


def test_recompute_on_an_empty_store_stores_nothing_and_does_not_fail(engine):
    summary = results.recompute(engine, today=date(Y, 3, 1))
    assert summary["years"] == [Y] and summary["annual_rows"] == 0
    assert results.annual_results(engine, Y) == []
    assert results.trend_frame(engine, Y).empty


@sqlite_only
def test_recompute_skips_years_whose_records_and_rubric_did_not_change(engine):
    rec = county()
    load(engine, rec.frames())
    first = results.recompute(engine, years=[Y], today=date(Y + 1, 3, 1), trend=False)
    assert first["unchanged"] == [] and first["annual_rows"] == 3
    again = results.recompute(engine, years=[Y], today=date(Y + 1, 3, 1), trend=False)
    assert again["unchanged"] == [Y] and again["annual_rows"] == 0
    assert len(results.annual_results(engine, Y, "draft")) == 3
    rec.remove("checklist", "S1", item="安全工作領導小組")
    load(engine, rec.frames())
    changed = results.recompute(engine, years=[Y], today=date(Y + 1, 3, 1), trend=False)
    assert changed["unchanged"] == [] and results.annual_results(engine, Y, "draft")[1]["total"] == 97.0
    forced = results.recompute(engine, years=[Y], today=date(Y + 1, 3, 1), trend=False, force=True)
    assert forced["annual_rows"] == 3


def test_trend_rows_equal_the_lean_json_rows():
    from datetime import date as _date
    from datetime import datetime as _dt

    from scoring import evaluate
    from sync.results import TREND, _rows_for, _trend_rows
    from tests.synthetic import county_frames

    frames = county_frames(40, 7, 2026)
    ev = evaluate(frames, 2026, _date(2026, 6, 30), with_periods=False)
    at = _dt(2026, 7, 1)
    assert _trend_rows(ev, at, "fp") == _rows_for(ev, TREND, at, full=False, fingerprint="fp")


def _stored_trend(engine, year):
    frame = results.trend_frame(engine, year, "draft")
    return frame.sort_values(["as_of", "school_code"])[["as_of", "school_code", "total", "D_points"]] \
        .reset_index(drop=True)


@sqlite_only
def test_new_records_rerun_only_the_evaluations_on_or_after_their_dates(engine):
    """An upload of June's drills reruns the running year's result, not January to May again."""
    rec = county()
    load(engine, rec.frames())
    first = results.recompute(engine, years=[Y], today=date(Y, 6, 15))
    assert first["evaluations"] == 1 + 5  # the annual result on 15 June, month ends January to May
    rec.add("drills", "S2", date=date(Y, 6, 10), campus="本部", kind="疏散", has_plan=True, evaluation="良好",
            classes=8, signed_classes=8)
    load(engine, rec.frames())
    june = results.recompute(engine, years=[Y], today=date(Y, 6, 15))
    assert june["evaluations"] == 1 and june["unchanged"] == []
    rec.add("drills", "S2", date=date(Y, 3, 5), campus="本部", kind="地震", has_plan=True, evaluation="良好",
            classes=8, signed_classes=8)
    load(engine, rec.frames())
    march = results.recompute(engine, years=[Y], today=date(Y, 6, 15))
    assert march["evaluations"] == 1 + 3  # March, April and May see the March drill; January and February do not
    kept = _stored_trend(engine, Y)
    results.recompute(engine, years=[Y], today=date(Y, 6, 15), force=True)
    assert kept.equals(_stored_trend(engine, Y))  # what was kept is what a full recompute gives
    assert results.recompute(engine, years=[Y], today=date(Y, 6, 15))["unchanged"] == [Y]


@sqlite_only
def test_a_clock_set_back_removes_the_month_ends_after_the_new_evaluation_date(engine):
    load(engine, county().frames())
    results.recompute(engine, years=[Y], today=date(Y, 6, 15))
    results.recompute(engine, years=[Y], today=date(Y, 3, 15))
    assert sorted(results.trend_frame(engine, Y, "draft")["as_of"].dt.month.unique()) == [1, 2]


def test_load_frames_gives_back_the_stored_records_with_their_types(engine):
    """Dates come back as datetime64 (parsed a column at a time), yes/no as booleans, counts as integers."""
    from sync import contract
    from sync.frames import load_frames

    frames = county().frames()
    load(engine, frames)
    back = load_frames(engine)
    for key in ("drills", "hazards", "guards", "checklist", "education", "campuses"):
        cols = [k for k in contract.SHEETS[key].keys if k in frames[key]]
        assert len(back[key]) == len(frames[key]) > 0
        assert sorted(map(tuple, back[key][cols].astype(str).to_numpy())) == \
            sorted(map(tuple, frames[key][cols].astype(str).to_numpy())), key
    assert str(back["drills"]["date"].dtype) == "datetime64[ns]"
    assert str(back["hazards"]["closed_date"].dtype) == "datetime64[ns]"
    assert str(back["drills"]["has_plan"].dtype) == "boolean" and str(back["drills"]["classes"].dtype) == "Int64"


@sqlite_only
def test_evaluations_run_in_worker_processes_store_the_same_scores(engine):
    load(engine, county().frames())

    def stored():
        with engine.connect() as conn:
            cols = [c for c in scores.columns if c.name not in ("id", "computed_at")]
            return sorted(tuple(str(v) for v in row) for row in conn.execute(select(*cols)))

    alone = results.recompute(engine, today=date(Y + 1, 3, 1), force=True, workers=1)
    in_process = stored()
    shared = results.recompute(engine, today=date(Y + 1, 3, 1), force=True, workers=2)
    assert shared["evaluations"] == alone["evaluations"] == (1 + 12) + (1 + 2)
    assert stored() == in_process and len(in_process) == 3 * 16


def _everything_stored(engine, year):
    annual = [{k: v for k, v in r.items() if k != "computed_at"} for r in results.annual_results(engine, year, "draft")]
    return annual, results.trend_frame(engine, year, "draft")


def test_after_any_run_of_edits_the_kept_evaluations_are_what_a_full_recompute_gives(sqlite_url):
    """The per-evaluation digests (sync.results.InputDigest) let a sync rerun only the evaluations whose
    inputs changed.  After each of a run of edits in random order (records added or deleted, dated in any
    month, a finding with points, a veto, a school's type in the registry, a guard leaving), what is
    stored must equal a recompute of everything.  (The digests are the same on every store: SQLite.)"""
    import random

    from sync.migrate import upgrade
    from sync.store import make_engine
    from tests.synthetic import county_frames, typed

    engine = make_engine(sqlite_url)
    upgrade(engine)
    rng = random.Random(2025)
    frames = county_frames(6, seed=5, year=Y)
    today = date(Y, 3, 20)  # the running year: its result and two month ends, edits dated either side of them
    codes = list(frames["registry"]["school_code"])

    def edit(frames, kind):
        code = rng.choice(codes)
        day = date(Y, rng.randint(1, 3), rng.randint(1, 28))
        if kind == "drop_row":
            sheet = rng.choice(["drills", "education", "checklist", "hazards", "guards", "funds", "gate_duty"])
            if len(frames[sheet]):
                frames[sheet] = typed(sheet, frames[sheet].drop(index=rng.randrange(len(frames[sheet]))))
            return
        add = {
            "add_drill": ("drills", dict(date=day, campus="本部", kind="疏散", has_plan=True, evaluation="良好",
                                         classes=10, signed_classes=rng.choice([9, 10]))),
            "add_class": ("education", dict(date=day, kind="安全教育課", topic="防溺水", safety_content=True)),
            "finding": ("inspections", dict(date=day, kind="考評", indicator=rng.choice(["C2", "D1", "E7"]),
                                            assessed_points=1.0, deduction=rng.choice([0.0, 2.5]),
                                            falsification=False, major_incident=False)),
            "veto": ("inspections", dict(date=day, kind="不定期", falsification=True)),
        }
        if kind in add:
            sheet, values = add[kind]
            frames[sheet] = typed(sheet, pd.concat([frames[sheet], pd.DataFrame([{"school_code": code, **values}])],
                                                   ignore_index=True))
        elif kind == "registry_type":
            registry = frames["registry"].copy()
            registry.loc[registry["school_code"] == code, "type"] = rng.choice(["小學", "高中", "幼兒園"])
            frames["registry"] = typed("registry", registry)
        else:
            guards = frames["guards"].copy()
            guards.loc[guards["school_code"] == code, "end_date"] = pd.Timestamp(day)
            frames["guards"] = typed("guards", guards)

    load(engine, frames)
    results.recompute(engine, years=[Y], today=today)
    kinds = ["add_drill", "drop_row", "finding", "veto", "registry_type", "add_class", "guard_leaves", "drop_row"]
    rng.shuffle(kinds)
    for kind in kinds:
        edit(frames, kind)
        load(engine, frames)
        results.recompute(engine, years=[Y], today=today)
        kept_annual, kept_trend = _everything_stored(engine, Y)
        results.recompute(engine, years=[Y], today=today, force=True)
        full_annual, full_trend = _everything_stored(engine, Y)
        assert kept_annual == full_annual, kind
        pd.testing.assert_frame_equal(kept_trend, full_trend)
    engine.dispose()


@sqlite_only
def test_publishing_on_the_years_last_day_needs_force(engine):
    """On 31 Dec the drafts are computed to 31 Dec, but the day is still running: a drill held or entered
    that evening would be left out of a frozen year.  The refusal itself said "publish after 31 Dec"."""
    load(engine, county().frames())
    results.recompute(engine, years=[Y], today=date(Y, 12, 31), trend=False)
    with pytest.raises(UserError, match="still running"):
        results.publish(engine, Y, files=publication_files, by="admin", today=date(Y, 12, 31))
    assert results.publish(engine, Y, files=publication_files, by="admin", force=True, today=date(Y, 12, 31))["version"] == 1
    assert results.publish(engine, Y, files=publication_files, by="admin", force=True, today=date(Y + 1, 1, 1))["version"] == 2


def _recompute_stores_what_the_scoring_gave(engine) -> None:
    from scoring import evaluate
    from sync.frames import load_frames

    load(engine, county().frames())
    today = date(Y + 1, 3, 1)
    summary = results.recompute(engine, years=[Y], today=today)
    frames, at = load_frames(engine), datetime(Y + 1, 3, 1)
    expected = {(r["kind"], r["as_of"], r["school_code"]): r for r in
                results._rows_for(evaluate(frames, Y, date(Y, 12, 31), today=today), results.ANNUAL, at, full=True)
                + results._trend_rows(evaluate(frames, Y, date(Y, 6, 30), with_periods=False), at)}
    with engine.connect() as conn:
        stored = {(r["kind"], r["as_of"], r["school_code"]): r for r in conn.execute(
            select(scores).where(scores.c.year == Y)).mappings()}
    assert summary["evaluations"] == 13 and len(stored) == 3 * 13
    for key, row in expected.items():
        got = stored[key]
        for column in ("indicators", "campuses"):
            assert got[column] == row[column], (key, column)
        assert {a: v for a, v in got["areas"].items() if a != "_meta"} == \
            {a: v for a, v in row["areas"].items() if a != "_meta"}
        assert got["areas"]["_meta"]["raw_total"] == row["areas"]["_meta"]["raw_total"]
    assert any(r["indicators"] for r in stored.values()) and any(r["campuses"] for r in stored.values())


def test_the_recompute_stores_indicators_areas_and_campuses_as_json_objects_as_the_scoring_gave_them(engine):
    """Each evaluation's rows wait for the insert with their JSON columns as text (at 1,000 schools the rows as
    dicts held half the recompute's memory): the store holds them as the JSON objects the scoring gave, not
    as text, read back through the JSON type on SQLite and PostgreSQL."""
    _recompute_stores_what_the_scoring_gave(engine)


def test_the_recompute_stores_its_rows_json_columns_as_objects_on_mariadb(mariadb_url):
    from sync.migrate import upgrade
    from sync.store import make_engine

    engine = make_engine(mariadb_url)
    upgrade(engine)
    try:
        _recompute_stores_what_the_scoring_gave(engine)
    finally:
        engine.dispose()
