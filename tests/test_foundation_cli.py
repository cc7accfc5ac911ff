"""The CLI: help on every command, and one readable line (exit 2) for a user mistake, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from sync.cli import main


def _run(*args, env=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "sync", *args], capture_output=True, text=True, env=full_env, timeout=120
    )


def test_every_command_has_help():
    runner = CliRunner()
    names = list(main.commands)
    assert {"init"} <= set(names)
    for name in names:
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage:" in result.output


def test_init_creates_then_reports_an_up_to_date_store(tmp_path):
    env = {"SAFESCHOOL_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"}
    first = _run("init", env=env)
    assert first.returncode == 0, first.stderr
    assert "upgraded from empty" in first.stdout
    again = _run("init", env=env)
    assert "up to date" in again.stdout


@pytest.mark.parametrize(
    "url, expected",
    [
        ("definitely not a url", "SAFESCHOOL_DATABASE_URL:"),
        ("postgresql+psycopg://postgres@127.0.0.1:1/none", "the store cannot be used"),
    ],
)
def test_a_bad_store_gives_one_line_and_exit_2(url, expected):
    result = _run("init", env={"SAFESCHOOL_DATABASE_URL": url})
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_bad_config_file_gives_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "c.toml"
    bad.write_text("rubric = [", encoding="utf-8")
    result = _run("init", env={"SAFESCHOOL_CONFIG": str(bad)})
    assert result.returncode == 2, result.stderr
    assert "SAFESCHOOL_CONFIG" in result.stderr and "Traceback" not in result.stderr
