"""`safeschool score / explain / publish` end to end on a real SQLite store."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from sync.cli import main
from sync.migrate import upgrade
from sync.store import make_engine
from tests.synthetic import Records, compliant_school
from tests.test_results_store import load

Y = 2025


@pytest.fixture
def store():
    engine = make_engine(os.environ["SAFESCHOOL_DATABASE_URL"])
    upgrade(engine)
    rec = Records()
    compliant_school(rec, "S1", Y, type="高中")
    compliant_school(rec, "S2", Y, type="小學").remove("checklist", "S2", item="年度演練計劃")
    rec.add("inspections", "S2", date="2025-06-01", kind="不定期", deduction=1.5)
    load(engine, rec.frames())
    yield engine
    engine.dispose()


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_score_json_is_the_rules_md_array_in_rank_order(store):
    result = run("score", "--year", str(Y), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert [(o["school_code"], o["total"], o["rank"]) for o in out] == [("S1", 100.0, 1), ("S2", 96.5, 2)]
    assert out[1]["deduction"] == 1.5 and out[1]["grade"] == "優秀"
    assert out[0]["indicators"]["E1"]["clause"] == "4.5.1"
    assert out[0]["campuses"][0]["guards_required"] == 2


def test_score_as_of_mid_year_and_readable_table(store):
    result = run("score", "--year", str(Y), "--as-of", f"{Y}-06-30")
    assert result.exit_code == 0, result.output
    assert "S1" in result.output and "S2" in result.output and f"{Y}-06-30" in result.output


def test_explain_prints_clauses_details_and_hints(store):
    result = run("explain", "S2", "--year", str(Y))
    assert result.exit_code == 0, result.output
    assert "年度演練計劃" in result.output and "4.4.1" in result.output and "+2.0" in result.output


@pytest.mark.parametrize("args,message", [
    (("explain", "NOPE", "--year", str(Y)), "not in the registry"),
    (("score", "--year", str(Y), "--as-of", "30/06/2025"), "is not a date"),
    (("score", "--year", str(Y), "--as-of", "2024-06-30"), "is not in 2025"),
    (("score", "--year", "2019"), "no records are dated in 2019"),
    (("score", "--year", "2999"), "has not started"),
    (("score", "--year", str(Y), "--published"), "has not been published"),
])
def test_user_mistakes_are_one_line_exit_2(store, args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_publish_then_published_score_is_frozen(store):
    from datetime import datetime

    from sync.store import sources

    with store.begin() as conn:  # a workbook loaded at a time with microseconds, as the sync stamps them
        conn.execute(sources.insert().values(source_key="file:s1.xlsx", kind="school_workbook", status="loaded",
                                             loaded_at=datetime(2026, 11, 30, 15, 31, 35, 860864)))
    assert run("rescore", "--year", str(Y)).exit_code == 0
    result = run("publish", "--year", str(Y), "--by", "局安全辦")
    assert result.exit_code == 0 and "version 1" in result.output
    # neither school's workbook is in the store: their scores count only what the store holds of them
    assert "2 所學校未提交工作簿（S1、S2）" in result.output and "2 school(s) that sent no workbook (S1, S2)" in result.output
    # the data's time to the second, as every other time the CLI prints (it printed microseconds)
    assert result.output.strip().endswith("data as of 2026-11-30 15:31:35"), result.output
    again = run("publish", "--year", str(Y))
    assert again.exit_code == 2 and "--force" in again.output
    assert run("publish", "--year", str(Y), "--force").exit_code == 0
    published = json.loads(run("score", "--year", str(Y), "--published", "--json").output)
    assert [o["school_code"] for o in published] == ["S1", "S2"]


def test_explain_of_a_published_year_says_its_table_is_the_draft_and_what_was_published(store):
    """5.4: a published year's result is frozen.  explain computes afresh: after a falsification found since
    publication it printed S2 disqualified as if that were the year's result, saying nothing of the
    published 96.5, 優秀, second (an audit)."""
    assert run("rescore", "--year", str(Y)).exit_code == 0
    assert run("publish", "--year", str(Y), "--by", "局安全辦").exit_code == 0
    rec = Records()
    compliant_school(rec, "S1", Y, type="高中")
    compliant_school(rec, "S2", Y, type="小學").remove("checklist", "S2", item="年度演練計劃")
    rec.add("inspections", "S2", date="2025-06-01", kind="不定期", deduction=1.5)
    rec.add("inspections", "S2", date="2025-12-15", kind="不定期", finding="演練簽到表代簽", falsification=True)
    load(store, rec.frames())
    result = run("explain", "S2", "--year", str(Y))
    assert result.exit_code == 0, result.output
    assert "草稿，截至 2025-12-31：總分 96.5，等次 不合格，名次 取消資格" in result.output, result.output
    assert f"{Y} 年度已發布：已發布的結果為總分 96.5，等次 優秀，名次 2" in result.output, result.output
    draft = json.loads(run("explain", "S2", "--year", str(Y), "--json").output)
    assert draft["qualified"] is False  # the JSON stays the draft's, as rules.md prints it


@pytest.fixture
def future_store():
    from sync.settings import county_today

    engine = make_engine(os.environ["SAFESCHOOL_DATABASE_URL"])
    upgrade(engine)
    year = county_today().year + 1  # ahead of the county's clock, which `score` reads (not the machine's)
    rec = compliant_school(Records(), "S1", year, type="高中")
    rec.remove("checklist", "S1", item="年度演練計劃")
    load(engine, rec.frames())
    yield engine, year
    engine.dispose()


def test_score_a_year_ahead_of_the_clock_or_a_later_as_of_when_records_are_dated_in_it(future_store):
    # a held-out county prepared under another clock: its year is scored (31 Dec by default), and an
    # explicit --as-of after today is honoured; stdout carries the JSON array and nothing else
    _, year = future_store
    result = CliRunner().invoke(main, ["score", "--year", str(year), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out[0]["total"], out[0]["as_of"], out[0]["indicators"]["D2"]["points"]) == (98.0, f"{year}-12-31", 0.0)
    mid = json.loads(CliRunner().invoke(main, ["score", "--year", str(year), "--as-of", f"{year}-06-30",
                                               "--json"]).stdout)
    assert mid[0]["as_of"] == f"{year}-06-30" and mid[0]["indicators"]["D1"]["pending"] is False


@pytest.mark.parametrize("args", [("rescore", "--year", "1800"), ("publish", "--year", "1800"),
                                  ("export", "--year", "1800", "--format", "csv", "--out", "x.csv", "--draft")])
def test_a_year_typed_wrong_is_refused_by_every_command_that_takes_one(store, args):
    """`score --year 1800` was refused, `rescore --year 1800` computed and stored drafts for 1800."""
    result = run(*args)
    assert result.exit_code == 2 and "not a plausible evaluation year" in result.output, result.output


def test_rescore_refuses_a_plausible_year_no_record_makes_one_to_score(store):
    """Found by an audit: `rescore --year 1999` stored 3.0-point results for every school, which could then
    be published and circulated, where `score --year 1999` said there were no records."""
    from sqlalchemy import func, select

    from sync.store import scores

    result = run("rescore", "--year", "1999")
    assert result.exit_code == 2 and "no records make 1999 a year to score" in result.output, result.output
    engine = make_engine(os.environ["SAFESCHOOL_DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(scores).where(scores.c.year == 1999)).scalar() == 0
    engine.dispose()
    assert run("rescore", "--year", str(Y)).exit_code == 0


def test_a_blank_publisher_name_is_the_login_name(store):
    from sqlalchemy import select

    from sync.store import publications

    assert run("rescore", "--year", str(Y)).exit_code == 0
    assert run("publish", "--year", str(Y), "--by", "   ").exit_code == 0
    engine = make_engine(os.environ["SAFESCHOOL_DATABASE_URL"])
    with engine.connect() as conn:
        by = conn.execute(select(publications)).mappings().one()
    engine.dispose()
    assert by["published_by"].startswith("cli")  # who ran it, as without --by


def test_a_command_whose_reader_went_away_ends_quietly():
    """Found by an audit: `safeschool ... | head` ended with 無權讀寫 / cannot use (Broken pipe), exit 2,
    the message for a folder it may not write."""
    import click

    from sync.cli import SafeschoolGroup

    @click.group(cls=SafeschoolGroup)
    def group():
        pass

    @group.command()
    def long_output():
        click.echo("一行")
        raise BrokenPipeError(32, "Broken pipe")

    result = CliRunner().invoke(group, ["long-output"])
    assert result.exit_code == 0 and "cannot use" not in result.output and "無權讀寫" not in result.output


def test_ctrl_c_says_what_became_of_the_store():
    """Found by an audit: Ctrl-C on `sync --once` printed only click's "Aborted!"."""
    import click

    from sync.cli import SafeschoolGroup

    @click.group(cls=SafeschoolGroup)
    def group():
        pass

    @group.command()
    def long_run():
        raise KeyboardInterrupt

    result = CliRunner().invoke(group, ["long-run"])
    assert result.exit_code == 130 and "wholly old or wholly new" in result.output and "已中斷" in result.output


def test_a_published_circular_keeps_the_grade_bands_it_was_graded_under(store, tmp_path, monkeypatch, request):
    """Found by an audit: the bands in the circular's footnote (and its area names) came from the rubric
    configured when it was exported, so a bureau that moved 優秀 to 85 after publishing 2025 re-issued a
    frozen table whose 良好 schools the footnote called 優秀.  The bands are kept with the results."""
    import openpyxl

    from scoring.rubric import DEFAULT_RUBRIC
    from sync import settings

    assert run("rescore", "--year", str(Y)).exit_code == 0
    assert run("publish", "--year", str(Y), "--by", "局安全辦").exit_code == 0
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(DEFAULT_RUBRIC.read_text(encoding="utf-8").replace("min = 90", "min = 85", 1)
                      .replace('name = "責任體系"', 'name = "責任落實"', 1), encoding="utf-8")
    config = tmp_path / "safeschool.toml"
    config.write_text(f'rubric = "{rubric.name}"\n', encoding="utf-8")
    monkeypatch.setenv("SAFESCHOOL_CONFIG", str(config))
    settings.reset_caches()
    request.addfinalizer(settings.reset_caches)
    out = tmp_path / "c.xlsx"
    assert run("export", "--year", str(Y), "--format", "xlsx", "--out", str(out)).exit_code == 0
    cells = [str(c.value) for row in openpyxl.load_workbook(out).worksheets[0].iter_rows() for c in row if c.value]
    assert any("優秀≥90" in c for c in cells) and not any("優秀≥85" in c for c in cells)
    assert "A 責任體系" in cells and "A 責任落實" not in cells


@pytest.mark.parametrize("fmt", ["xlsx", "docx", "csv"])
def test_a_republished_circular_says_it_corrects_the_first(store, tmp_path, fmt):
    """Schools hold the first circular: a second publication of the year says it replaces it (the ninth
    session left re-publishing without a 更正 mark); the first version's own circular says nothing of it."""
    import docx
    import openpyxl

    from sync.results import list_publications

    assert run("rescore", "--year", str(Y)).exit_code == 0
    assert run("publish", "--year", str(Y)).exit_code == 0

    def text_of(path) -> str:
        if fmt == "xlsx":
            return " ".join(str(c.value) for row in openpyxl.load_workbook(path).worksheets[0].iter_rows()
                            for c in row if c.value)
        if fmt == "docx":
            return " ".join(p.text for p in docx.Document(path).paragraphs)
        return path.read_text(encoding="utf-8-sig")

    first = tmp_path / f"first.{fmt}"
    assert run("export", "--year", str(Y), "--format", fmt, "--out", str(first)).exit_code == 0
    assert "更正" not in text_of(first)
    assert run("publish", "--year", str(Y), "--force").exit_code == 0
    second = tmp_path / f"second.{fmt}"
    assert run("export", "--year", str(Y), "--format", fmt, "--out", str(second)).exit_code == 0
    day = list_publications(store, Y)[0]["published_at"]
    assert f"更正：本通報為第2版，替代{day.year}年{day.month}月{day.day}日發布的第1版，以本版為準" in text_of(second)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_schools_table_of_a_republished_year_says_which_publication_it_is(store, tmp_path, fmt):
    """An audit of the circulated files: the circular of a second publication says 更正 under its title, but
    a school's own table said nothing of which publication it was (the first version's and the second's
    read alike); it now names the publication's day and version, from the same publication as the circular."""
    import openpyxl

    from sync.results import list_publications

    def text_of(path) -> str:
        if fmt == "xlsx":
            return " ".join(str(c.value) for row in openpyxl.load_workbook(path).worksheets[0].iter_rows()
                            for c in row if c.value)
        return path.read_text(encoding="utf-8-sig")

    assert run("rescore", "--year", str(Y)).exit_code == 0
    assert run("publish", "--year", str(Y)).exit_code == 0
    first = tmp_path / f"first.{fmt}"
    assert run("export", "--year", str(Y), "--format", fmt, "--school", "S2", "--out", str(first)).exit_code == 0
    day = list_publications(store, Y)[0]["published_at"]
    said = f"{day.year}年{day.month}月{day.day}日發布的考評結果"
    assert said in text_of(first) and "第2版" not in text_of(first)
    assert run("publish", "--year", str(Y), "--force").exit_code == 0
    second = tmp_path / f"second.{fmt}"
    assert run("export", "--year", str(Y), "--format", fmt, "--school", "S2", "--out", str(second)).exit_code == 0
    assert f"第2版考評結果（更正{day.year}年{day.month}月{day.day}日發布的第1版，以本版為準）" in text_of(second)
    draft = tmp_path / f"draft.{fmt}"
    assert run("export", "--year", str(Y), "--format", fmt, "--school", "S2", "--draft", "--out", str(draft)).exit_code == 0
    assert "日發布" not in text_of(draft) and "草稿" in text_of(draft)


def test_explain_folds_long_chinese_details_and_hints_rather_than_cutting_them_off():
    """An audit: rich cut a Chinese detail or hint at the console's width with "…" (an E6 hint lost its
    「：+0.7」, a C2 detail its missing weeks); Chinese has no spaces to wrap at, so a cell folds instead."""
    engine = make_engine(os.environ["SAFESCHOOL_DATABASE_URL"])
    upgrade(engine)
    rec = Records()
    compliant_school(rec, "S1", Y, type="高中")
    rec.remove("education", "S1", kind="安全教育課")  # every term week missing: a long 缺 list
    load(engine, rec.frames())
    engine.dispose()
    out = run("explain", "S1", "--year", str(Y))
    assert out.exit_code == 0, out.output
    assert "…" not in out.output
    assert "缺：" in out.output and f"{Y}-W" in out.output


def test_score_and_explain_take_the_running_year_before_anything_is_dated_in_it(store):
    """In January nothing is dated in the running year yet, but the sync scores it and the dashboard ranks it
    (every year from the first record's to the running one): `score` and `explain` refused it."""
    from sync.settings import county_today

    running = county_today().year  # the store's records are all of 2025
    result = run("score", "--year", str(running), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out[0]["as_of"] == county_today().isoformat() and out[0]["year"] == running
    assert run("explain", "S1", "--year", str(running)).exit_code == 0


def test_publishing_a_year_not_begun_is_refused_before_anything_is_said_of_it(store):
    """A configuration audit: `publish --year 2027` (today in 2026) printed the county's outstanding schools, then
    said to run a sync."""
    from sync.settings import county_today

    later = county_today().year + 1
    result = run("publish", "--year", str(later))
    assert result.exit_code == 2 and f"{later} has not begun" in result.output and "尚未開始" in result.output
    assert "safeschool sync" not in result.output



def test_the_cli_prints_a_deduction_as_the_dashboard_and_the_circular_do(tmp_path):
    """A whole deduction is 2.0 and a two-decimal one 10.05 in every place (scoring.engine.deduction_text):
    explain and the score table printed 2 while the school page and the circular said 2.0 (a diff review)."""
    engine = make_engine(os.environ["SAFESCHOOL_DATABASE_URL"])
    upgrade(engine)
    rec = Records()
    compliant_school(rec, "S1", Y, type="高中")
    compliant_school(rec, "S2", Y, type="小學")
    rec.add("inspections", "S1", date="2025-06-01", kind="不定期", deduction=2)
    rec.add("inspections", "S2", date="2025-06-01", kind="不定期", deduction=10.05)
    load(engine, rec.frames())
    engine.dispose()
    explained = run("explain", "S1", "--year", str(Y))
    assert explained.exit_code == 0, explained.output
    assert "督查扣分 2.0\n" in explained.output, explained.output
    table = run("score", "--year", str(Y))
    assert table.exit_code == 0, table.output
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in table.output.splitlines()
             if line.count("│") > 10]
    deductions = {row[1]: row[7] for row in cells if row[1] in ("S1", "S2")}  # 名次 代碼 … 等次 扣分
    assert deductions == {"S1": "2.0", "S2": "10.05"}, table.output
