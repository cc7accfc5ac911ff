"""`safeschool sync --once / --check` and `safeschool scheduler` as the bureau's operator uses them."""

from __future__ import annotations

import logging
import os
from datetime import UTC, date

import pytest
from click.testing import CliRunner

from sync.cli import main
from sync.migrate import upgrade
from sync.settings import reset_caches
from sync.store import make_engine
from tests.sync_helpers import bureau_book, school_book, write_xlsx


@pytest.fixture
def county(tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_xlsx(inbox / "bureau.xlsx", bureau_book(("1001", "1002")))
    write_xlsx(inbox / "1001.xlsx", school_book("1001"))
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", url)
    monkeypatch.setenv("SAFESCHOOL_INBOX", str(inbox))
    reset_caches()
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()
    return inbox


def test_sync_once_prints_a_summary_and_exits_zero_when_nothing_is_refused(county):
    result = CliRunner().invoke(main, ["sync", "--once", "--no-recompute"])
    assert result.exit_code == 0, result.output
    assert "1001.xlsx" in result.output and "loaded" in result.output
    assert "已導入" in result.output and "完成" in result.output  # the bureau office's clerk reads Chinese first


def test_sync_once_prints_every_problem_and_exits_non_zero_when_a_source_is_refused(county):
    book = school_book("1002")
    book["應急演練"][1][6] = 99
    del book["保安人員"]
    write_xlsx(county / "1002.xlsx", book)
    result = CliRunner().invoke(main, ["sync", "--once", "--quiet", "--no-recompute"])
    assert result.exit_code == 1
    assert "FILE 1002.xlsx / 保安人員" in result.output and "is missing" in result.output
    assert "1002.xlsx / 應急演練 / row 2 / 簽到班級數 [99]" in result.output and "cannot exceed" in result.output


def test_sync_check_validates_one_workbook_without_loading_it(county, tmp_path):
    from sqlalchemy import func, select

    from sync.store import records

    CliRunner().invoke(main, ["sync", "--once", "--no-recompute"])
    book = school_book("1002")
    book["應急演練"][1][0] = "三月"
    path = write_xlsx(tmp_path / "check.xlsx", book)
    result = CliRunner().invoke(main, ["sync", "--check", str(path)])
    assert result.exit_code == 1
    assert "check.xlsx / 應急演練 / row 2 / 演練日期 [三月]" in result.output
    eng = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with eng.connect() as conn:
        assert conn.execute(select(func.count()).select_from(records["drills"])
                            .where(records["drills"].c.school_code == "1002")).scalar() == 0
    eng.dispose()
    good = CliRunner().invoke(main, ["sync", "--check", str(write_xlsx(tmp_path / "ok.xlsx", school_book("1002")))])
    assert good.exit_code == 0 and "no problems found" in good.output


def test_sync_check_of_a_workbook_with_notes_only_exits_zero(county, tmp_path):
    """Found by a held-out county's audit: a note (here training of a name on no guard row) is never a
    refusal, yet `--check` exited 1 and a pre-send script held back a workbook the sync loads."""
    CliRunner().invoke(main, ["sync", "--once", "--no-recompute"])
    book = school_book("1002")
    book["保安培訓"].append(["錢保安", date(2026, 9, 1), date(2026, 9, 3), "是", "技能"])
    result = CliRunner().invoke(main, ["sync", "--check", str(write_xlsx(tmp_path / "notes.xlsx", book))])
    assert result.exit_code == 0, result.output
    assert "錢保安" in result.output and "nothing refused, but read the notes above" in result.output


def test_sync_check_lists_the_lines_it_passed_over_as_paperwork(county, tmp_path):
    """A record the reader takes for a signature or a totals line must not vanish unseen (a line-classification
    audit): `--check` lists the lines it passed over as paperwork, and still exits 0 for them."""
    book = school_book("1002")
    book["隱患整改"] += [["校長：王五"], ["合計", None, "共1項"]]
    result = CliRunner().invoke(main, ["sync", "--check", str(write_xlsx(tmp_path / "paper.xlsx", book))])
    assert result.exit_code == 0, result.output
    assert "2 line(s) passed over as paperwork" in result.output
    assert "隱患整改 / row 3 [簽名 a signature]: 校長：王五" in result.output
    assert "隱患整改 / row 4 [合計 a totals line]: 合計 共1項" in result.output


def test_text_from_a_workbook_is_printed_as_written_never_as_markup(county):
    """A school code `[/]` and a file named like rich markup are shown as they are: the run's summary and
    every problem are printed, with no traceback."""
    name = "[red]b[link=x].xlsx"
    write_xlsx(county / name, school_book("[/]"))
    ran = CliRunner().invoke(main, ["sync", "--once", "--no-recompute"])
    assert ran.exit_code == 1 and isinstance(ran.exception, SystemExit), ran.output
    assert name in ran.output and "refused" in ran.output and "學校代碼「[/]」" in ran.output
    checked = CliRunner().invoke(main, ["sync", "--check", str(county / name)])
    assert checked.exit_code == 1 and isinstance(checked.exception, SystemExit), checked.output
    assert f"{name}: school workbook, school [/]" in checked.output and "學校代碼「[/]」" in checked.output


def test_sync_check_of_a_refused_file_accepts_none_of_its_rows(county, tmp_path):
    """A refused file loads nothing: "27 accepted" under "the whole file is refused" misled the school."""
    book = school_book("1002")
    book["保安人員"][0].append("手機")  # a private column refuses the whole file
    result = CliRunner().invoke(main, ["sync", "--check", str(write_xlsx(tmp_path / "r.xlsx", book))])
    assert result.exit_code == 1 and "the whole file is refused" in result.output
    first, second = result.output.splitlines()[:2]
    assert first.endswith("29 rows read, 0 accepted, 29 refused") and "接受 0 行" in second, result.output


def test_sync_check_of_the_bureau_workbook_judges_its_inspections_by_its_own_registry_as_the_sync_does(
        county, tmp_path):
    """1002 is registered in the store by the bureau's previous workbook; the new one drops it from its
    學校名冊 and still inspects it: the sync refuses that row, so the check says so too."""
    CliRunner().invoke(main, ["sync", "--once", "--no-recompute"])
    book = bureau_book(("1001",))
    book["督查記錄"].append([date(2026, 6, 1), "1002", "定期", "滅火器過期", 1, "否", "否", None, None])
    result = CliRunner().invoke(main, ["sync", "--check", str(write_xlsx(tmp_path / "bureau-new.xlsx", book))])
    assert result.exit_code == 1 and "學校代碼「1002」不在教育局的學校名冊中" in result.output, result.output
    assert "未核對學校代碼" not in result.output


def test_sync_check_of_a_missing_file_is_a_one_line_error(county, tmp_path):
    result = CliRunner().invoke(main, ["sync", "--check", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 2 and "does not exist" in result.output and "Traceback" not in result.output


def test_the_scheduler_runs_one_sync_job_on_the_configured_cron_without_overlap(county, tmp_path, monkeypatch):
    from sync.scheduler import JOB_ID, build_scheduler

    config = tmp_path / "safeschool.toml"
    config.write_text('[schedule]\ncron = "*/10 7-18 * * 1-5"\ntimezone = "Asia/Shanghai"\n', encoding="utf-8")
    monkeypatch.setenv("SAFESCHOOL_CONFIG", str(config))
    reset_caches()
    sched = build_scheduler()
    (job,) = sched.get_jobs()
    assert job.id == JOB_ID and job.max_instances == 1 and job.coalesce is True
    assert str(job.trigger.fields[6]) == "*/10" and str(job.trigger.fields[5]) == "7-18"
    default = build_scheduler(cron="*/30 * * * *").get_jobs()[0]
    assert str(default.trigger.fields[6]) == "*/30"


def test_a_bad_cron_is_a_user_error(county):
    from sync.errors import UserError
    from sync.scheduler import build_scheduler

    with pytest.raises(UserError, match="not a valid cron"):
        build_scheduler(cron="every half hour")


def test_a_weekday_past_standard_crons_range_is_explained_in_standard_cron_terms_in_both_languages(county):
    """Found by an audit: '0 2 * * 8' was answered with APScheduler's "maximum value (6)" (its weekdays
    count from Monday as 0), wrong for a bureau writing standard cron, where 7 is Sunday too."""
    from sync.errors import UserError
    from sync.scheduler import build_scheduler

    with pytest.raises(UserError) as raised:
        build_scheduler(cron="0 2 * * 8")
    message = str(raised.value)
    assert "0 和 7 為星期日" in message and "0 and 7 are Sunday" in message and "(6)" not in message
    assert "--cron '0 2 * * 8'" in message


def test_a_scheduled_run_with_the_database_down_is_logged_and_does_not_raise(county, monkeypatch, caplog):
    from sync.scheduler import scheduled_sync

    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/x?connect_timeout=2")
    reset_caches()
    with caplog.at_level(logging.INFO):
        assert scheduled_sync(recompute=False) == "failed"
    assert "cannot be used" in caplog.text


def test_a_scheduled_run_logs_why_each_workbook_was_not_loaded(county, caplog):
    """The log named a refused workbook but not why: the IT person went to the audit page each time (a README
    audit: its Logs section says the scheduler logs each source refused and why)."""
    from sync.scheduler import scheduled_sync

    write_xlsx(county / "9999.xlsx", school_book("9999"))  # a code the registry does not hold
    with caplog.at_level(logging.INFO):
        assert scheduled_sync(recompute=False) == "refused"
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused 9999.xlsx: ")]
    assert "9999" in line and "registry" in line and "\n" not in line, line


def test_a_scheduled_run_whose_sqlite_store_moved_away_says_so_and_syncs_once_it_is_back(county, caplog):
    """An operations audit: the scheduler's pooled connection kept the moved store open and synced into it,
    "ok", while `sync --once` said there was no store; the lock recreated the folder besides."""
    from sync.scheduler import scheduled_sync

    store = county.parent / "store.db"
    assert scheduled_sync(recompute=False) == "ok"
    store.rename(county.parent / "store.away")
    with caplog.at_level(logging.INFO):
        assert scheduled_sync(recompute=False) == "failed"
    assert f"there is no store at {store}" in caplog.text and not store.exists()
    (county.parent / "store.away").rename(store)
    assert scheduled_sync(recompute=False) == "ok"
    # A store restored in its place (another file at the path) is the one synced into, not the file the
    # pool held open (a review: the test above passes with the pool too, the file being the same one).
    store.rename(county.parent / "store.old")
    restored = make_engine(f"sqlite:///{store}")
    upgrade(restored)
    assert scheduled_sync(recompute=False) == "ok"
    with restored.connect() as conn:  # the run is in the restored file (the held one would have taken it)
        assert conn.exec_driver_sql("SELECT count(*) FROM sync_runs").scalar() == 1
    restored.dispose()


def test_a_running_scheduler_syncs_nothing_into_a_store_a_newer_safeschool_has_upgraded(county, caplog):
    """Found by the deployment audit: the scheduler checked the store's schema when it started only, so
    one left running while another checkout ran `safeschool init` of a newer version went on syncing
    into that store with its older code, where started again it would have refused."""
    from alembic import command
    from sqlalchemy import func, select

    from sync.migrate import alembic_config
    from sync.scheduler import scheduled_sync
    from sync.store import get_engine, sync_runs

    engine = get_engine()
    with engine.begin() as conn:  # as `safeschool init` of a newer version leaves the store
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with caplog.at_level(logging.INFO):
        assert scheduled_sync(recompute=False) == "failed"
    assert "9999" in caplog.text and "newer safeschool" in caplog.text
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sync_runs)).scalar_one() == 0
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.stamp(cfg, "head", purge=True)
    assert scheduled_sync(recompute=False) == "ok"  # the next tick after the store is this version's again


def test_a_scheduled_run_that_refuses_a_file_names_it_in_the_log(county, caplog):
    """Found by the deployment audit: the scheduler's log said 'refused (loaded 1, refused 1, skipped 29)'
    every half hour, and which workbook it was the IT person had to look up on the audit page."""
    from sync.scheduler import scheduled_sync

    book = school_book("1002")
    del book["保安人員"]
    write_xlsx(county / "1002.xlsx", book)
    with caplog.at_level(logging.INFO):
        assert scheduled_sync(recompute=False) == "refused"
    assert "1002.xlsx" in caplog.text


def test_a_scheduled_run_loads_the_inbox(county):
    from sync.scheduler import scheduled_sync

    assert scheduled_sync(recompute=False) == "ok"


def test_sync_check_of_a_file_that_trips_the_reader_refuses_it_without_a_traceback(county, monkeypatch,
                                                                                    workers_see_patches):
    import sync.report

    def broken(*args, **kwargs):
        raise IndexError("a pathological sheet")

    monkeypatch.setattr(sync.report, "check_sheets", broken)
    result = CliRunner().invoke(main, ["sync", "--check", str(county / "1001.xlsx")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "IndexError" in result.output and "Traceback" not in result.output


def test_an_upload_that_trips_the_reader_is_refused_not_raised(county, monkeypatch, workers_see_patches):
    import sync.report
    from sync.store import make_engine as engine_for
    from sync.upload import load_upload

    monkeypatch.setattr(sync.report, "check_sheets", lambda *a, **k: 1 / 0)
    eng = engine_for(f"sqlite:///{county.parent / 'store.db'}")
    report = load_upload(eng, (county / "1001.xlsx").read_bytes(), "1001.xlsx", "1001", county, by="t")
    assert report.refused and "ZeroDivisionError" in report.file_problems[0].reason_en
    assert not (county / "uploads").exists()


@pytest.mark.parametrize(("cron", "weekday"), [("0 2 * * 1", "Monday"), ("0 2 * * 0", "Sunday"),
                                               ("0 2 * * 7", "Sunday"), ("0 2 * * 6", "Saturday"),
                                               ("0 2 * * */2", "Sunday"), ("0 2 * * 2/2", "Tuesday")])
def test_the_cron_day_of_week_is_cron_s_own_sunday_is_zero(county, cron, weekday):
    """APScheduler 3 counts weekday numbers from Monday = 0: `0 2 * * 1` must still mean Mondays."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sync.scheduler import build_scheduler

    job = build_scheduler(cron=cron, timezone="Asia/Shanghai").get_jobs()[0]
    start = datetime(2026, 11, 29, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Sunday
    fires = job.trigger.get_next_fire_time(None, start)
    assert fires.strftime("%A") == weekday


def test_a_misspelt_time_zone_is_named_as_the_time_zone(county):
    from sync.errors import UserError
    from sync.scheduler import build_scheduler

    with pytest.raises(UserError, match="schedule.timezone 'Asia/Shanghia' is not a time zone"):
        build_scheduler(cron="*/30 * * * *", timezone="Asia/Shanghia")


@pytest.mark.parametrize(("cron", "days"), [("*/2", "sun,tue,thu,sat"), ("1/2", "mon,wed,fri"), ("1-5/2", "mon,wed,fri"),
                                            ("0-6", "sun,mon,tue,wed,thu,fri,sat"), ("*", "*"),
                                            ("mon-fri", "mon,tue,wed,thu,fri"), ("MON", "mon"),
                                            ("SUN-SAT", "sun,mon,tue,wed,thu,fri,sat"), ("sun-thu", "sun,mon,tue,wed,thu")])
def test_cron_weekday_steps_and_ranges_mean_cron_s_days(cron, days):
    """Found by an audit: sun-thu (valid cron) was refused, backwards to APScheduler, whose week starts Monday."""
    from sync.scheduler import cron_trigger, standard_weekdays

    assert standard_weekdays(f"0 2 * * {cron}") == f"0 2 * * {days}"
    assert cron_trigger(f"0 2 * * {cron}", "UTC") is not None



@pytest.mark.parametrize("command", [["sync", "--once"], ["scheduler"]])
def test_a_calendar_that_does_not_load_stops_the_command_before_anything_runs(county, tmp_path, monkeypatch, command):
    """A reversed semester stops `sync --once` in one line before the run is recorded (a run left
    "running" was later called interrupted), and stops the scheduler at start-up rather than failing
    with a traceback at every tick."""
    from sqlalchemy import func, select

    from sync.store import sync_runs

    config = tmp_path / "c.toml"
    config.write_text("[calendar.2026]\nspring = [2026-07-03, 2026-02-23]\n", encoding="utf-8")
    monkeypatch.setenv("SAFESCHOOL_CONFIG", str(config))
    reset_caches()
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 2 and "calendar.2026.spring" in result.output, result.output
    eng = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with eng.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sync_runs)).scalar() == 0
    eng.dispose()


def test_a_source_name_with_an_emoji_code_is_printed_as_written(county):
    """`sis:school:` (a mapped query of the 學校概況 sheet) read as rich's :school: emoji named no source."""
    book = school_book("1009")  # unregistered: refused, so its name heads a list of problems
    write_xlsx(county / "sis:school:.xlsx", book)
    result = CliRunner().invoke(main, ["sync", "--once", "--no-recompute"])
    assert result.exit_code == 1 and "sis:school:.xlsx: 1 problem(s)" in result.output, result.output


def test_the_scheduler_stopped_with_sigterm_says_so_and_exits_cleanly(county):
    """systemd and Procfile runners stop a process with SIGTERM: the scheduler stops as on Ctrl-C (a sync
    under way finishes), says so, and exits 0, instead of dying with 143 in the middle of a sync."""
    import os
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    proc = subprocess.Popen([sys.executable, "-m", "sync", "scheduler", "--cron", "0 3 1 1 *"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        for line in proc.stdout:
            if "Ctrl-C to stop" in line or time.monotonic() > deadline:
                break
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "scheduler stopped" in out, out


def test_sync_check_refuses_a_csv_as_the_sync_does_whatever_it_holds(county, tmp_path):
    """Found by an audit: a real workbook named .csv passed `sync --check` ("no problems found") and was
    then refused by the sync ("a CSV file ... cannot stand for a school workbook")."""
    path = write_xlsx(tmp_path / "book.xlsx", school_book("1002"))
    renamed = path.rename(tmp_path / "book.csv")
    result = CliRunner().invoke(main, ["sync", "--check", str(renamed)])
    assert result.exit_code == 1 and "cannot stand for a school workbook" in result.output, result.output


def test_sync_check_of_a_file_the_sync_passes_over_says_so(county, tmp_path):
    """a.txt holding text was "a text (CSV) file with a workbook's name": it has none, and the sync passes it
    over unread, whatever it holds (a real workbook named .txt too).  A workbook with no extension at all (a
    chat app's download) is read by its content, as the sync reads it."""
    notes = tmp_path / "notes.txt"
    notes.write_text("校長：王五\n", encoding="utf-8")
    workbook = write_xlsx(tmp_path / "real.xlsx", school_book("1002"))
    said = {}
    for name, source in (("a.txt", notes), ("b.txt", workbook)):
        said[name] = CliRunner().invoke(main, ["sync", "--check", str(source.rename(tmp_path / name))])
    said["c"] = CliRunner().invoke(main, ["sync", "--check", str((tmp_path / "a.txt").rename(tmp_path / "c"))])
    said["d"] = CliRunner().invoke(main, ["sync", "--check", str((tmp_path / "b.txt").rename(tmp_path / "d"))])
    assert all(said[n].exit_code == 1 for n in ("a.txt", "b.txt", "c"))
    assert not [r.output for r in said.values() if "workbook's name" in r.output]
    assert "the sync does not read .txt files" in said["a.txt"].output and "同步不讀取 .txt 文件" in said["b.txt"].output
    assert "this file has no extension and does not start as a workbook does" in said["c"].output
    assert "school workbook, school 1002" in said["d"].output and "no extension" not in said["d"].output


def test_sync_check_reads_an_extension_after_a_full_width_dot_as_the_sync_does(county, tmp_path):
    """學校．csv is a .csv to the sync (its own message); `sync --check` took it for a file with no extension
    read by its content, and 學校．txt for one with none at all (a diff review)."""
    notes = tmp_path / "學校．txt"
    notes.write_text("校長：王五\n", encoding="utf-8")
    workbook = write_xlsx(tmp_path / "book.xlsx", school_book("1002")).rename(tmp_path / "學校．csv")
    said = {path.name: CliRunner().invoke(main, ["sync", "--check", str(path)]) for path in (notes, workbook)}
    assert all(result.exit_code == 1 for result in said.values()), said
    assert "the sync does not read .txt files" in said["學校．txt"].output, said["學校．txt"].output
    assert "a CSV file holds one sheet and cannot stand for a school workbook" in said["學校．csv"].output
    assert not [r.output for r in said.values() if "no extension" in r.output]


@pytest.mark.parametrize("option", [["--wait", "5"], ["--no-recompute"], ["--quiet"]])
def test_sync_check_refuses_the_options_of_a_sync_run(county, tmp_path, option):
    """`sync --check F --wait 5` ran with no complaint, the option doing nothing (a README audit)."""
    path = write_xlsx(tmp_path / "book.xlsx", school_book("1001"))
    result = CliRunner().invoke(main, ["sync", "--check", str(path), *option])
    assert result.exit_code == 2 and f"{option[0]} are for --once" in result.output, result.output


def test_sync_once_told_to_wait_behind_another_sync_says_so_at_once(county):
    from sync.lock import sync_lock

    engine = make_engine(os.environ["SAFESCHOOL_DATABASE_URL"])
    with sync_lock(engine):
        result = CliRunner().invoke(main, ["sync", "--once", "--quiet", "--wait", "1"])
    engine.dispose()
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())  # the console wraps at 80 columns
    assert said.index("waiting up to 1 s") < said.index("this one did not start"), result.output


def test_exporting_a_year_not_yet_published_names_the_option_for_a_draft(county, tmp_path):
    CliRunner().invoke(main, ["sync", "--once"])
    result = CliRunner().invoke(main, ["export", "--year", "2026", "--format", "csv", "--out", str(tmp_path / "c.csv")])
    assert result.exit_code == 2 and "safeschool export --draft" in result.output, result.output


def test_a_run_whose_database_was_down_is_not_headed_refused():
    """An audit: a run in which one source could not be read, and nothing was refused, was headed
    「有來源被拒收 refused»."""
    from datetime import datetime

    from rich.console import Console

    from sync.cli_sync import _print_summary
    from sync.load import RunSummary, SourceOutcome

    summary = RunSummary(7, "manual", "refused", datetime(2026, 11, 28, 9, 0), sources=[
        SourceOutcome("sql:sis:guards", "sql", "sis:guards", action="failed", message="connection refused")])
    console = Console(record=True, width=200)
    _print_summary(console, summary, quiet=False)
    heading = console.export_text().splitlines()[0]
    assert "有來源未能讀取" in heading and "被拒收" not in heading


@pytest.mark.parametrize(("args", "said"), [
    (["--wait", "-5"], "not in the range"), (["--wait", "nan"], "not a number of seconds"),
    (["--once", "--check", "1001.xlsx"], "cannot be given together"),
])
def test_a_sync_asked_something_it_cannot_do_says_so_and_does_nothing(county, args, said):
    """Found by the SQL/CLI audit: --wait -5 and --wait nan were taken, and --once --check F only checked,
    without a word that nothing was loaded."""
    result = CliRunner().invoke(main, ["sync", *args])
    assert result.exit_code == 2 and said in result.output and "（見 --help）" in result.output, result.output
    from sqlalchemy import func, select

    from sync.store import sync_runs

    eng = make_engine(f"sqlite:///{county.parent / 'store.db'}")
    with eng.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sync_runs)).scalar() == 0  # nothing was run
    eng.dispose()


def test_the_commands_log_lines_are_timed_on_the_county_clock_as_the_stored_runs_are(monkeypatch):
    """Found by the deployment audit: on a server kept on UTC the scheduler logged a run at 16:30 that the
    audit page, on the county's clock (Asia/Shanghai by default), showed at 00:30 the next day."""
    import logging
    from datetime import datetime

    from sync import settings
    from sync.cli_common import CountyClockFormatter

    monkeypatch.delenv("SAFESCHOOL_CONFIG", raising=False)
    settings.reset_caches()
    record = logging.LogRecord("safeschool.sync", logging.INFO, __file__, 1, "scheduled sync: ok", None, None)
    record.created = datetime(2026, 11, 30, 16, 30, tzinfo=UTC).timestamp()
    record.msecs = 0
    line = CountyClockFormatter("%(asctime)s %(message)s").format(record)
    assert line == "2026-12-01 00:30:00,000 scheduled sync: ok"
