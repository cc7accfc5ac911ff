"""`safeschool users ...`, `safeschool export` and `safeschool demo-accounts`, run as a person would."""

from __future__ import annotations

import io

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document
from sqlalchemy import select

from dashboard.access import authenticate
from sync.cli import main
from sync.store import audit_log, users
from tests.test_admin_support import count, make_store, seed_publication, seed_registry, seed_scores


@pytest.fixture
def engine(sqlite_url):
    engine = make_store(sqlite_url)
    seed_registry(engine)
    yield engine
    engine.dispose()


def run(*args, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin)


def test_users_add_with_password_on_stdin_creates_a_working_login(engine):
    result = run("users", "add", "S001", "--role", "school", "--school", "S001", "--password-stdin", stdin="sekret-123\n")
    assert result.exit_code == 0, result.output
    viewer = authenticate(engine, "S001", "sekret-123")
    assert viewer is not None and viewer.role == "school" and viewer.school_code == "S001"
    with engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar()
    assert stored.startswith("$argon2") and "sekret-123" not in stored
    assert count(engine, audit_log, audit_log.c.action == "users") == 1


def test_users_add_prompts_twice_when_no_stdin_flag(engine):
    result = run("users", "add", "boss", "--role", "admin", stdin="admin-pass-1\nadmin-pass-1\n")
    assert result.exit_code == 0, result.output
    assert authenticate(engine, "boss", "admin-pass-1").role == "admin"


@pytest.mark.parametrize(
    ("args", "stdin", "words"),
    [
        (("users", "add", "x", "--role", "school", "--password-stdin"), "long-enough-1\n", "--school"),
        (("users", "add", "x", "--role", "school", "--school", "S999", "--password-stdin"), "long-enough-1\n", "registry"),
        (("users", "add", "x", "--role", "leader", "--school", "S001", "--password-stdin"), "long-enough-1\n", "leave out"),
        (("users", "add", "x", "--role", "admin", "--password-stdin"), "short\n", "at least"),
        (("users", "add", "x", "--role", "admin", "--password-stdin"), "", "no password"),
        (("users", "disable", "ghost"), None, "no user"),
        # nothing scored in 2026 at all: not "export a draft", which would be refused in turn (an audit)
        (("export", "--year", "2026", "--format", "xlsx", "--out", "x.xlsx"), None, "no results, published or draft"),
        # an empty --school (a script's unset variable) wrote the whole county's circular
        (("export", "--year", "2026", "--format", "csv", "--out", "x.csv", "--draft", "--school", " "), None,
         "--school needs a school code"),
    ],
)
def test_user_mistakes_exit_2_with_one_line_and_no_traceback(engine, args, stdin, words):
    result = run(*args, stdin=stdin)
    assert result.exit_code == 2
    assert words in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("users", "add", "x", "--role", "school"), "--school"),
        (("users", "add", "x", "--role", "school", "--school", "S999"), "registry"),
        (("users", "add", "x", "--role", "leader", "--school", "S001"), "leave out"),
        (("users", "add", "taken", "--role", "admin"), "exists already"),
        (("users", "reset-password", "nobody"), "no user"),
    ],
)
def test_account_mistakes_are_told_before_a_password_is_asked_for(engine, args, words):
    """Found by an audit: `users reset-password nobody` had the officer type a password twice, then said no."""
    run("users", "add", "taken", "--role", "admin", "--password-stdin", stdin="admin-pass-1\n")
    result = run(*args)  # a terminal: the password would be prompted for
    assert result.exit_code == 2 and words in result.output
    assert "Password" not in result.output


def test_the_only_admin_is_not_disabled_and_the_cli_says_why_in_chinese_first(engine):
    run("users", "add", "boss", "--role", "admin", "--password-stdin", stdin="admin-pass-1\n")
    result = run("users", "disable", "boss")
    assert result.exit_code == 2, result.output
    assert "唯一可用的管理員" in result.output and "the only active admin" in result.output
    assert result.output.index("唯一") < result.output.index("only active")
    assert authenticate(engine, "boss", "admin-pass-1") is not None


def test_disable_stops_the_login_and_reset_password_changes_it(engine):
    run("users", "add", "chief", "--role", "leader", "--password-stdin", stdin="leader-pass-1\n")
    assert run("users", "disable", "chief").exit_code == 0
    assert authenticate(engine, "chief", "leader-pass-1") is None
    listing = run("users", "list").output
    assert "chief" in listing and "disabled" in listing
    assert run("users", "enable", "chief").exit_code == 0
    assert run("users", "reset-password", "chief", "--password-stdin", stdin="new-pass-22\n").exit_code == 0
    assert authenticate(engine, "chief", "leader-pass-1") is None
    assert authenticate(engine, "chief", "new-pass-22") is not None


def test_demo_accounts_are_idempotent_and_cover_three_schools(engine):
    first = run("demo-accounts")
    assert first.exit_code == 0, first.output
    second = run("demo-accounts")
    assert second.exit_code == 0, second.output
    assert count(engine, users) == 5
    assert authenticate(engine, "admin", "admin-demo-2026").role == "admin"
    assert authenticate(engine, "leader", "leader-demo-2026").role == "leader"
    for code in ("S001", "S002", "S003"):
        viewer = authenticate(engine, code, "school-demo-2026")
        assert viewer.role == "school" and viewer.school_code == code
    assert "admin-demo-2026" in first.output and "S003" in first.output


def test_demo_accounts_never_take_over_an_account_with_its_own_password(engine):
    """`safeschool demo-accounts` where `admin` was given a password of its own (a real store's): nothing is
    made (a review: the demo's leader and school log-ins, public passwords, were made beside it), and admin keeps
    its own password, disabled as it was."""
    run("users", "add", "admin", "--role", "admin", "--password-stdin", stdin="a-real-secret-9\n")
    with engine.begin() as conn:
        conn.execute(users.update().where(users.c.username == "admin").values(active=False))
    result = run("demo-accounts")
    assert result.exit_code == 2 and "accounts of its own (admin)" in result.output
    assert count(engine, users) == 1 and authenticate(engine, "admin", "admin-demo-2026") is None
    with engine.begin() as conn:
        assert not conn.execute(select(users.c.active)).scalar()
        conn.execute(users.update().where(users.c.username == "admin").values(active=True))
    assert authenticate(engine, "admin", "a-real-secret-9") is not None


def test_demo_accounts_are_not_made_on_a_store_with_accounts_of_its_own(engine):
    """A deployment audit: on a production store whose admins were chief and chief2, `demo-accounts` printed
    "never on a real server" and created admin / admin-demo-2026, a public password, beside them."""
    run("users", "add", "chief", "--role", "admin", "--password-stdin", stdin="a-real-secret-9\n")
    result = run("demo-accounts")
    assert result.exit_code == 2 and "this store has accounts of its own (chief)" in result.output
    assert "已有自己的賬號（chief）" in result.output
    assert count(engine, users) == 1 and authenticate(engine, "admin", "admin-demo-2026") is None


@pytest.mark.parametrize("name", ["safeschool.db", "circular.xlsx"])
def test_export_refuses_a_file_name_that_is_not_of_its_format(engine, tmp_path, name):
    """--out data/safeschool.db would overwrite the store with a circular."""
    seed_scores(engine, 2026, totals=(50.0, 60.0, 99.0))
    target = tmp_path / name
    target.write_bytes(b"the store")
    result = run("export", "--year", "2026", "--format", "csv", "--out", str(target), "--draft")
    assert result.exit_code == 2 and "must be a .csv file" in result.output
    assert target.read_bytes() == b"the store"


def test_export_to_standard_output_is_not_a_file_name_to_check(engine, capfd):
    seed_scores(engine, 2026, totals=(50.0, 60.0, 99.0))
    result = run("export", "--year", "2026", "--format", "csv", "--out", "/dev/stdout", "--draft")
    assert result.exit_code == 0, result.output


def test_one_demo_school_account_is_a_school_that_uploads(engine):
    """The demo keeps every fourth workbook in uploads/: one demo school account is such a school, so the
    upload page can be tried, and the list says which."""
    from datetime import datetime

    from sync.store import sources

    with engine.begin() as conn:
        conn.execute(sources.insert().values(source_key="file:uploads/S003.xlsx", kind="school_workbook",
                                             school_code="S003", status="loaded", first_seen_at=datetime.now()))
    result = run("demo-accounts")
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "S003" in line and "school" in line)
    assert "upload page" in line
    assert not [line for line in result.output.splitlines() if "S001" in line and "upload page" in line]


def test_export_of_a_year_without_results_is_refused_not_an_empty_circular(engine, tmp_path):
    result = run("export", "--year", "2023", "--format", "docx", "--out", str(tmp_path / "c.docx"), "--draft")
    assert result.exit_code != 0 and "2023 has no draft results to export" in result.output
    assert not (tmp_path / "c.docx").exists()


def test_export_writes_the_published_circular_and_a_marked_draft(engine, tmp_path):
    seed_publication(engine, 2026, totals=(91.0, 85.0, 70.0))
    seed_scores(engine, 2026, totals=(50.0, 60.0, 99.0))  # the draft moved on since publishing
    out = tmp_path / "circular.xlsx"
    result = run("export", "--year", "2026", "--format", "xlsx", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "發文單位仍是「XX縣教育和體育局」" in result.output  # nobody should circulate the placeholder
    sheet = openpyxl.load_workbook(out).worksheets[0]
    assert sheet["A1"].value == "關於2026年度學校本質安全考評結果的通報"
    total_col = [c.value for c in sheet[3]].index("總分") + 1  # after A-G and 督查扣分
    assert sheet["B4"].value == "第一中學" and sheet.cell(4, total_col).value == pytest.approx(91.0)
    assert "=1+2 小學" in [sheet.cell(r, 2).value for r in range(4, 7)]  # as registered, kept text (quote prefix)

    draft = tmp_path / "draft.docx"
    assert run("export", "--year", "2026", "--format", "docx", "--out", str(draft), "--draft").exit_code == 0
    document = Document(io.BytesIO(draft.read_bytes()))
    assert "草稿" in document.paragraphs[0].text
    first = document.tables[0].rows[1].cells
    header = [c.text for c in document.tables[0].rows[0].cells]
    assert first[1].text == "=1+2 小學" and first[header.index("總分")].text == "99.0"  # the draft, not the publication
    assert count(engine, audit_log, audit_log.c.action == "export") == 2


def test_export_of_an_unpublished_year_with_drafts_names_the_draft(engine, tmp_path):
    seed_scores(engine, 2026)
    result = run("export", "--year", "2026", "--format", "xlsx", "--out", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 2 and "not been published" in result.output and "--draft" in result.output


def test_export_of_one_school_table(engine, tmp_path):
    seed_scores(engine, 2026)
    out = tmp_path / "s.csv"
    result = run("export", "--year", "2026", "--format", "csv", "--out", str(out), "--draft", "--school", "S002")
    assert result.exit_code == 0, result.output
    text = out.read_bytes().decode("utf-8-sig")
    assert "<script>alert(1)</script>（S002）" in text and "D1" in text


def test_cli_publish_is_audited_like_the_dashboards(engine):
    seed_scores(engine, 2025)
    result = run("publish", "--year", "2025", "--by", "局安全辦")
    assert result.exit_code == 0, result.output
    assert "published 2025 version 1" in result.output
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.action == "publish")).mappings().all()
    assert len(rows) == 1
    assert rows[0]["username"] == "局安全辦"
    assert rows[0]["detail"]["year"] == 2025 and rows[0]["detail"]["version"] == 1
    refused = run("publish", "--year", "2025")  # already published, no --force: refused, nothing audited
    assert refused.exit_code == 2
    assert count(engine, audit_log, audit_log.c.action == "publish") == 1
    assert run("publish", "--help").output.count("--force") == 1


@pytest.mark.parametrize("command", ["disable", "enable"])
def test_disabling_or_enabling_an_account_that_is_not_there_says_so_in_chinese_first(engine, command):
    """Found by an audit: `users disable ghost` said it in English only, where reset-password says 沒有賬號."""
    result = run("users", command, "ghost")
    assert result.exit_code == 2 and "沒有賬號「ghost」" in result.output and "no user 'ghost'" in result.output
