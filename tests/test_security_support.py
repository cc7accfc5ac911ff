"""The real Dash app with a seeded store, a Flask test client per role, and hand-made callback requests.

A crafted request is built the way Dash's renderer builds it (output key,
outputs, inputs, state) from the app's own callback map, so a test can send
any value for any input, including another school's code.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
from pathlib import Path

from tests.test_admin_support import make_accounts, make_store, seed_publication, seed_registry, seed_scores

PUBLISHED_YEAR = 2025
DRAFT_YEAR = 2026


def seeded_store(url: str):
    """Three schools, 2025 published (and its draft), 2026 draft only, four accounts: (engine, accounts)."""
    engine = make_store(url)
    seed_registry(engine)
    seed_publication(engine, PUBLISHED_YEAR, totals=(90.0, 80.0, 70.0))
    seed_scores(engine, PUBLISHED_YEAR, totals=(90.0, 80.0, 70.0))
    seed_scores(engine, DRAFT_YEAR, totals=(92.0, 81.5, 64.0))
    return engine, make_accounts(engine)


def copied_store(template: Path, url: str):
    """The seeded store copied to this test's SQLite file (hashing four passwords once per module, not per test)."""
    from sqlalchemy.engine import make_url

    from sync.store import make_engine

    shutil.copyfile(template, make_url(url).database)
    return make_engine(url)


def dash_app():
    from dashboard.app import app

    return app


_sessions: dict[tuple[str, str], str] = {}


def client_for(app, account: tuple[str, str] | None, fresh: bool = False):
    """A test client logged in as `account` (None: not logged in).

    The first log-in of an account goes through /login; later clients reuse its
    signed session cookie (the same user ids exist in every copy of the
    seeded store), which keeps argon2's deliberate slowness out of each test.
    """
    client = app.server.test_client()
    if account is None:
        return client
    key = (account[0], app.server.config.get("SECRET_KEY", ""))
    if key in _sessions and not fresh:
        client.set_cookie("session", _sessions[key])
        return client
    response = client.post("/login", data={"username": account[0], "password": account[1], "next": "/"})
    assert response.status_code == 302, response.data[:300]
    _sessions[key] = client.get_cookie("session").value
    return client


def _callback_key(app, output: str) -> str:
    if not app.callback_map:
        app._setup_server()
    for key in app.callback_map:
        parts = key.strip(".").split("...")
        if any(p.split("@")[0] == output for p in parts):
            return key
    raise KeyError(f"no callback writes {output}")


def call(client, output: str, values: dict[str, object] | None = None, app=None):
    """POST a callback request for the callback writing `output`; `values` maps "id.prop" to the sent value."""
    app = app or dash_app()
    key = _callback_key(app, output)
    spec = app.callback_map[key]
    values = values or {}
    multi = key.startswith("..")
    outputs = []
    for part in key.strip(".").split("..."):
        ident, prop = part.rsplit(".", 1)
        outputs.append({"id": ident, "property": prop})

    def fill(items):
        return [{"id": i["id"], "property": i["property"], "value": values.get(f"{i['id']}.{i['property']}")}
                for i in items]

    body = {
        "output": key,
        "outputs": outputs if multi else outputs[0],
        "inputs": fill(spec["inputs"]),
        "state": fill(spec.get("state", [])),
        "changedPropIds": [k for k in values if any(f"{i['id']}.{i['property']}" == k for i in spec["inputs"])],
    }
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")


def response_text(response) -> str:
    """The body as text, JSON re-written without \\u escapes so Chinese can be searched for."""
    text = response.get_data(as_text=True)
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


def upload_contents(data: bytes) -> str:
    return "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64," + base64.b64encode(data).decode()


def school_workbook(school: dict, tmp_path) -> bytes:
    """A real template for `school`, written by the template writer."""
    from sync.template import write_template

    path = tmp_path / f"{school['school_code']}.xlsx"
    write_template(path, school=school)
    return path.read_bytes()


def xlsx_cells(data: bytes) -> list:
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
