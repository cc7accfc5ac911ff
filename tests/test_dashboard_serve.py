"""`safeschool serve`: gunicorn on dashboard.app:server, with one-line errors for bad options."""

from __future__ import annotations

import os

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


def _gated_server(monkeypatch, tmp_path, hosts: str | None):
    from flask import Flask

    from dashboard.access import install_gate
    from sync import settings

    if hosts is None:
        monkeypatch.delenv("SAFESCHOOL_HOSTS", raising=False)
    else:
        monkeypatch.setenv("SAFESCHOOL_HOSTS", hosts)
    monkeypatch.setenv("SAFESCHOOL_SECRET_KEY", "test-serve-key-0123456789abcdef")
    settings.reset_caches()
    server = Flask("gated")
    server.add_url_rule("/healthz", "healthz", lambda: "ok")
    install_gate(server, lambda: None)
    settings.reset_caches()
    return server.test_client()


REBOUND = "rebind.attacker.example:8050"


def test_a_server_given_its_names_refuses_a_request_under_any_other(monkeypatch, tmp_path):
    """SAFESCHOOL_HOSTS: a page elsewhere whose name is made to point at this server (DNS rebinding) was
    same-origin with it, and logged in (the Origin check compares the Origin with that same Host; found by
    an audit).  Under another name nothing is served, the log-in page included."""
    client = _gated_server(monkeypatch, tmp_path, "127.0.0.1, Bureau.example")
    assert client.get("/login", base_url="http://127.0.0.1:8050").status_code == 200
    assert client.get("/login", base_url="http://bureau.example").status_code == 200
    assert client.get("/login", base_url=f"http://{REBOUND}").status_code == 400
    refused = client.post("/login", base_url=f"http://{REBOUND}", headers={"Origin": f"http://{REBOUND}"},
                          data={"username": "admin", "password": "x"})
    assert refused.status_code == 400
    # a monitor or a load balancer checks health by the server's address (found by a regression audit)
    assert client.get("/healthz", base_url="http://10.0.0.5:8050").data == b"ok"


def test_a_server_not_given_names_answers_to_any(monkeypatch, tmp_path):
    """Behind a reverse proxy (its public name unknown here), as before: the proxy sends its Host."""
    client = _gated_server(monkeypatch, tmp_path, None)
    assert client.get("/login", base_url=f"http://{REBOUND}").status_code == 200


def test_serve_on_the_machines_own_address_answers_to_its_own_names_only(monkeypatch):
    from sync import settings
    from sync.cli_setup import LOOPBACK_NAMES, _answer_to_own_names

    for host, expected in (("127.0.0.1", LOOPBACK_NAMES), ("localhost", LOOPBACK_NAMES), ("0.0.0.0", None),
                           ("10.0.0.5", None)):
        monkeypatch.delenv("SAFESCHOOL_HOSTS", raising=False)
        settings.reset_caches()
        _answer_to_own_names(host)
        assert os.environ.get("SAFESCHOOL_HOSTS") == expected, host
    monkeypatch.setenv("SAFESCHOOL_HOSTS", "desk.bureau.example")  # configured: kept
    settings.reset_caches()
    _answer_to_own_names("127.0.0.1")
    assert os.environ["SAFESCHOOL_HOSTS"] == "desk.bureau.example"
    settings.reset_caches()


def test_a_fresh_worker_has_the_pages_scripts_ready_before_its_first_requests():
    """Found by the deployment audit: Dash registers the scripts it may serve in its first request's setup,
    after marking that setup done, so under the Procfile's four threads a fresh worker's first requests,
    made at once (a browser after a restart loads eleven scripts, the index served by the other worker),
    found none registered: 500 'dash is not a registered library' and a page that never drew."""
    from dashboard.app import create_app

    app = create_app()
    assert {"dash", "dash_bootstrap_components", "dash_ag_grid"} <= set(app.registered_paths)
