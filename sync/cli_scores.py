"""Scores from the command line: `score`, `explain`, `publish`, `rescore`.

`score` always evaluates afresh from the store's records and the configured
rubric (the draft), so it shows what the data says now; `--published` prints
the frozen published result of the year instead (rules.md: a published
evaluation does not change when data arrives later).
"""

from __future__ import annotations

import json
from datetime import date
from operator import itemgetter

import click

from sync.cli_common import operator, store_engine
from sync.errors import UserError
from sync.settings import county_today


def _parse_date(value: str | None, year: int) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"--as-of {value!r} is not a date; write it as YYYY-MM-DD, e.g. {year}-06-30",
                        zh=f"--as-of「{value}」不是日期，請寫成 年-月-日，如 {year}-06-30") from None
    if day.year != year:
        raise UserError(f"--as-of {day} is not in {year}; give a day of the evaluated year",
                        zh=f"--as-of {day} 不在 {year} 年內，請給出所考評年度內的一天")
    return day


def _check_year(year: int, today: date, years_with_records: list[int]) -> None:
    # a year ahead of this machine's clock is refused only when nothing is dated in it: data
    # prepared elsewhere (another clock, a held-out county) must still be scorable
    if year > today.year and year not in years_with_records:
        raise UserError(f"{year} has not started yet (today is {today}); give a year up to {today.year}",
                        zh=f"{year} 年尚未開始（今天是 {today}），請給出 {today.year} 年或以前的年度")
    plausible_year(year)


FIRST_YEAR = 1990  # no county evaluated school safety so before; an earlier year is a typo


def plausible_year(year: int) -> int:
    """`year` for a command that evaluates, publishes or exports it; a typo such as 1800 is refused."""
    if year < FIRST_YEAR:
        raise UserError(f"{year} is not a plausible evaluation year; give a year from {FIRST_YEAR}",
                        zh=f"{year} 不是合理的考評年度，請給出 {FIRST_YEAR} 年以後的年度")
    return year


def evaluate_from_store(year: int, as_of: date | None, today: date | None = None):
    """Evaluate `year` from the store's records with the configured rubric (a fresh draft)."""
    from scoring import evaluate
    from sync.frames import load_frames
    from sync.results import default_years, evaluation_date, record_years
    from sync.settings import configured_rubric

    today = today or county_today()
    frames = load_frames(store_engine())
    years = record_years(frames)
    _check_year(year, today, years)
    if frames["registry"].empty:
        raise UserError("the school registry (學校名冊) is empty; sync the bureau workbook first",
                        zh="學校名冊是空的，請先同步教育局工作簿")
    # The years a sync scores (and `rescore` takes): every year from the first record's to the running one.
    # The running year in January has no record dated in it yet, and the dashboard already ranks it: `score`
    # and `explain` refused it (found by an audit).
    if year not in years and year not in default_years(frames, today):
        raise UserError(f"no records are dated in {year}; choose a year the schools reported on",
                        zh=f"沒有 {year} 年的記錄，請選擇學校有填報的年度")
    # default: 31 Dec, or today in the running year.  An explicit --as-of later than today is
    # allowed (e.g. 31 Dec of the running year): only records dated on or before it count anyway.
    as_of = as_of or (evaluation_date(year, today) if year <= today.year else date(year, 12, 31))
    return evaluate(frames, year, as_of, configured_rubric(), today=today)


def _print_table(results: list[dict], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from scoring.engine import deduction_text

    table = Table(title=title)
    for name in ("名次 rank", "代碼 code", "學校 school", "類別 type", "鄉鎮 township", "總分 total", "等次 grade",
                 "扣分 ded.", "A", "B", "C", "D", "E", "F", "G"):
        table.add_column(name, justify="right" if len(name) <= 2 or "total" in name or "ded" in name else "left")
    for r in results:
        areas = r.get("areas") or {}
        table.add_row(
            str(r["rank"]) if r["rank"] is not None else "取消資格",
            r["school_code"], r["name"] or "", r["type"] or "", r["township"] or "",
            f"{r['total']:.1f}", r["grade"], deduction_text(r['deduction']),
            *[f"{(areas.get(a) or {}).get('points') or 0:.1f}" for a in "ABCDEFG"],
        )
    Console(width=200, markup=False, emoji=False).print(table)  # names are the schools' own text, never markup


@click.command(short_help="計算各校得分 / score every school for a year")
@click.option("--year", type=int, required=True, help="evaluation year")
@click.option("--as-of", "as_of", help="evaluation date YYYY-MM-DD (default 31 Dec, or today in the running year)")
@click.option("--json", "as_json", is_flag=True, help="print the JSON array of rules.md")
@click.option("--published", is_flag=True, help="print the frozen published result instead of computing afresh")
def score(year: int, as_of: str | None, as_json: bool, published: bool) -> None:
    """Score every registered school for a year (computed afresh from the data and the rubric)."""
    if published:
        if as_of:
            raise UserError("--published prints the frozen annual result; it takes no --as-of",
                            zh="--published 顯示已發布（凍結）的年度結果，不能與 --as-of 同用")
        from sync.results import annual_results, is_published

        engine = store_engine()
        if not is_published(engine, year):
            raise UserError(f"{year} has not been published; drop --published to see the draft, "
                            f"or run `safeschool publish --year {year}`",
                            zh=f"{year} 年度尚未發布：去掉 --published 查看草稿，或先運行 safeschool publish --year {year}")
        results = annual_results(engine, year, "active")
        title = f"{year} 已發布 published"
    else:
        ev = evaluate_from_store(year, _parse_date(as_of, year))
        results = ev.to_json()
        title = f"{year} 考評（草稿，截至 {ev.as_of}）draft as of {ev.as_of}"
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        _print_table(results, title)


@click.command(short_help="一校各指標的得分、依據與改進 / one school, indicator by indicator")
@click.argument("school_code")
@click.option("--year", type=int, required=True, help="evaluation year")
@click.option("--as-of", "as_of", help="evaluation date YYYY-MM-DD (default 31 Dec, or today in the running year)")
@click.option("--json", "as_json", is_flag=True, help="print the school's JSON object")
def explain(school_code: str, year: int, as_of: str | None, as_json: bool) -> None:
    """One school's indicators: points / max, the figures behind them, the clause, and what would raise them."""
    ev = evaluate_from_store(year, _parse_date(as_of, year))
    school_code = school_code.strip()
    match = [r for r in ev.to_json() if r["school_code"] == school_code]
    if not match:
        raise UserError(f"school {school_code!r} is not in the registry (學校名冊); check the code "
                        "(`safeschool score --year Y` lists every school)",
                        zh=f"學校代碼「{school_code}」不在學校名冊中，請核對（safeschool score --year 年度 列出每所學校）")
    result = match[0]
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    from scoring.engine import deduction_text

    rank = result["rank"] if result["qualified"] else f"取消資格（{result['veto']}）"
    console = Console(width=200, markup=False, emoji=False)  # names and details are the schools' own text
    about = "，".join(v for v in (result["type"], result["township"]) if v)  # a stand-in entry may have neither
    console.print(f"{result['school_code']} {result['name']}{f'（{about}）' if about else ''}"
                  f" {year} 草稿，截至 {ev.as_of}：總分 {result['total']:.1f}，等次 {result['grade']}，名次 {rank}，"
                  f"督查扣分 {deduction_text(result['deduction'])}")
    frozen = _published_result(year, school_code)
    if frozen is not None:
        # The draft is computed afresh; a published year's result is frozen and may differ (an audit: explain
        # printed a draft disqualified since publication as if it were the year's result).
        place = frozen["rank"] if frozen["qualified"] else "取消資格"
        console.print(f"{year} 年度已發布：已發布的結果為總分 {frozen['total']:.1f}，等次 {frozen['grade']}，名次 {place}"
                      f"（safeschool score --year {year} --published）；下表為按現有記錄計算的草稿")
    table = Table()
    for name in ("指標", "名稱", "得分/滿分", "條款", "情況 detail", "提升 hint"):
        # fold, not "…": Chinese has no spaces to wrap at, and a cut hint lost its "：+0.7" (an audit)
        table.add_column(name, overflow="fold")
    for ind, v in result["indicators"].items():
        if v["pending"]:
            pts = f"待定/{v['weight']:.2f}"
        elif not v.get("applicable", True):
            pts = "不適用"
        else:
            pts = f"{v['points']:.2f}/{v['max']:.2f}"
        table.add_row(ind, v["title"], pts, v["clause"], v["detail"], v["hint"])
    console.print(table)
    for c in result["campuses"]:
        console.print(f"校區 {c['campus']}：人數 {c['people']}，寄宿 {c['boarders']}，"
                      f"應配保安 {c['guards_required']}，在崗 {c['guards_active']}")


def _published_result(year: int, school_code: str) -> dict | None:
    """The school's frozen result when `year` is published, else None."""
    from sync.results import annual_results, is_published

    engine = store_engine()
    if not is_published(engine, year):
        return None
    return next((r for r in annual_results(engine, year, "active", indicators_of=school_code)
                 if r["school_code"] == school_code), None)


@click.command(short_help="發布（凍結）一年的考評結果 / freeze a year's results")
@click.option("--year", type=int, required=True, help="the year to freeze")
@click.option("--force", is_flag=True, help="publish again (a new version; the earlier one is kept)")
@click.option("--by", "by", help="who publishes (default: your login name)")
@click.option("--note", help="a note kept with the publication")
def publish(year: int, force: bool, by: str | None, note: str | None) -> None:
    """Freeze a year's draft results (scores, ranks, rubric version, data timestamp)."""
    from dashboard.downloads import publication_files
    from sync.audit import record
    from sync.results import publish as do_publish
    from sync.settings import PLACEHOLDER_ISSUER, get_file_config

    plausible_year(year)
    today = county_today()
    engine = store_engine()
    if year > today.year and not _has_results(engine, year):
        # it printed the county's outstanding schools, then "run safeschool sync", for a year not begun (an
        # audit); a year with stored results goes on to publish's own checks
        raise UserError(f"{year} has not begun (today is {today}, on the county's clock): there is nothing to publish",
                        zh=f"{year} 年度尚未開始（按本縣時間，今天是 {today}），沒有可發布的結果")
    who = (by or "").strip() or operator()  # --by "  " is nobody: the login name is kept instead
    _say_outstanding(engine)  # said first, as the publish page says it before its confirmation
    pub = do_publish(engine, year, files=publication_files, by=who, force=force, note=note)
    if get_file_config().circular.issuer == PLACEHOLDER_ISSUER:
        # the kept files carry it until the year is published again (a second version, marked 更正)
        click.echo(f"注意：通報的發文單位仍是「{PLACEHOLDER_ISSUER}」，本次發布保存的通報文件即以此落款，直到重新發布（新的版本）；"
                   "發布前請先在配置文件的 [circular] 中寫明 issuer / note: the issuer is still the placeholder, and the "
                   "circular's files kept with this publication are signed so until the year is published again (a "
                   "new version); set [circular] issuer in the configuration before publishing", err=True)
    record(engine, who, "publish", None, {"year": year, "version": pub["version"], "force": force, "via": "cli"})
    # the circular's files kept with it: what `export` and the exports page give for the year from now on
    click.echo(f"published {year} version {pub['version']}: {pub['schools']} schools, its circular kept as "
               f"{', '.join(pub['files'])}, rubric {pub['rubric_version']}, "
               f"data as of {str(pub['data_timestamp'] or '-')[:19]}")  # to the second


def _has_results(engine, year: int) -> bool:
    from sqlalchemy import select

    from sync.store import scores

    with engine.connect() as conn:
        return conn.execute(select(scores.c.id).where(scores.c.year == year).limit(1)).first() is not None


def _say_outstanding(engine) -> None:
    """The schools the year is frozen without (a workbook refused whole, none sent, rows refused), in the
    publish page's own words, with their codes: their scores count only what was accepted."""
    from dashboard.audit import outstanding_note, submissions

    listed = submissions(engine)
    zh = outstanding_note(listed, "zh-Hant", itemgetter("school_code"), CODES_SAID)
    if zh is not None:
        click.echo(f"{zh} / {outstanding_note(listed, 'en', itemgetter('school_code'), CODES_SAID)}", err=True)


CODES_SAID = 10  # school codes named a group; the audit page lists them all


@click.command(short_help="重算草稿分數與趨勢 / recompute the draft scores")
@click.option("--year", "years", type=int, multiple=True, help="year to recompute; give it again for more years (default: every year with records)")
def rescore(years: tuple[int, ...]) -> None:
    """Recompute the stored draft scores and trends (the sync does this after every run)."""
    from sync.frames import load_frames
    from sync.parallel import configured_workers
    from sync.results import default_years, recompute

    years = tuple(map(plausible_year, years))
    engine = store_engine()
    if years:
        # The years a sync scores: a year before every record made a full set of 3.0-point results
        # that could be published (found by an audit).
        scored = default_years(load_frames(engine), county_today())
        outside = [y for y in years if y not in scored]
        if outside:
            span = f"{scored[0]}-{scored[-1]}" if scored else "none: no records yet"
            raise UserError(f"沒有 {outside[0]} 年的記錄，不能重算 / no records make {outside[0]} a year to score "
                            f"(years with records up to the running year: {span})")
    summary = recompute(engine, years=list(years) or None, force=True, workers=configured_workers())
    click.echo(f"recomputed {', '.join(map(str, summary['years'])) or 'nothing'}: "
               f"{summary['annual_rows']} annual and {summary['trend_rows']} trend rows")


commands: list = [score, explain, publish, rescore]
