"""`safeschool serve`: gunicorn on dashboard.app:server, with one-line errors for bad options."""

from __future__ import annotations

from click.testing import CliRunner

from sync.cli import main


def test_serve_is_a_command_with_host_port_and_workers():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workers"):
        assert option in result.output
    assert "127.0.0.1" in result.output and "8050" in result.output


def test_serve_refuses_a_port_out_of_range_without_a_traceback():
    result = CliRunner().invoke(main, ["serve", "--port", "70000"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "70000" in result.output


def test_serve_stops_on_a_bad_database_url_before_starting_workers(monkeypatch):
    monkeypatch.setenv("SAFESCHOOL_DATABASE_URL", "nonsense://")
    from sync import settings

    settings.reset_caches()
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2
    assert "SAFESCHOOL_DATABASE_URL" in result.output
