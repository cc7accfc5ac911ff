"""The demo county's deliberate mistakes are exactly what the sync makes of them.

The demo (sync.demo) lists each departure from the template it wrote and what
should become of it: read as usual, the row refused, or the file refused.
The sync must agree on every one, and report nothing anywhere else.
"""

from __future__ import annotations

import pytest

from sync.demo import write_demo
from sync.load import run_sync, submission_status
from sync.migrate import upgrade
from sync.store import make_engine


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("demo")
    summary = write_demo(work / "inbox", schools=60, seed=2026)
    engine = make_engine(f"sqlite:///{work / 'store.db'}")
    upgrade(engine)
    run = run_sync(engine, work / "inbox", sql_sources=[], recompute=False, today=summary.today)
    yield summary, run, engine
    engine.dispose()


def test_every_deliberate_mistake_gets_what_the_demo_says(demo_run):
    demo, run, _engine = demo_run
    outcomes = {o.source_key: o for o in run.sources}
    assert demo.mistakes, "the demo county should carry mistakes to find"
    for m in demo.mistakes:
        o = outcomes[f"file:{m.file}"]
        if m.expected == "file refused":
            assert o.action == "refused", m.line()
        elif m.expected == "row refused":
            assert o.action == "loaded", m.line()
            assert [(p.sheet, p.row) for p in o.problems] == [(m.sheet, m.row)], m.line()
        else:
            assert (o.action, o.problems) == ("loaded", []), (m.line(), [p.as_text() for p in o.problems])


def test_files_without_a_mistake_load_without_a_problem(demo_run):
    demo, run, _engine = demo_run
    with_mistakes = {f"file:{m.file}" for m in demo.mistakes}
    clean = [o for o in run.sources if o.source_key not in with_mistakes]
    assert clean and all(o.action == "loaded" and not o.problems for o in clean), [
        p.as_text(o.display_name) for o in clean for p in o.problems][:5]


def test_the_school_that_never_sent_a_workbook_is_not_submitted(demo_run):
    demo, _run, engine = demo_run
    status = submission_status(engine).set_index("school_code")["status"]
    assert {code for code, _name in demo.never_submitted} == set(status[status == "not submitted"].index)


def test_the_demo_never_writes_into_an_inbox_holding_a_countys_own_workbooks(tmp_path):
    """`safeschool demo` in a shell whose SAFESCHOOL_INBOX is the county's share would overwrite the
    bureau workbook and remove schools' files: it refuses, naming a file it did not write; an earlier
    demo's folder is written again as before."""
    from sync.errors import UserError

    write_demo(tmp_path / "demo", schools=5, seed=1)
    write_demo(tmp_path / "demo", schools=5, seed=2)  # an earlier demo's folder
    real = tmp_path / "share"
    (real / "城關").mkdir(parents=True)
    (real / "城關" / "城關小學.xlsx").write_bytes(b"a school's own workbook")
    with pytest.raises(UserError, match="城關小學.xlsx"):
        write_demo(real, schools=5, seed=1)
    assert sorted(p.name for p in real.rglob("*") if p.is_file()) == ["城關小學.xlsx"]
