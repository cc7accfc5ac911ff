"""Dashboard speed at 1,000 schools: callback server time as a ratio to an empty callback, and first render.

Server time is measured through Flask's test client POSTing to Dash's
/_dash-update-component, exactly as the browser calls it (log-in session,
JSON in and out), so Dash's own dispatch is in the baseline and in every
figure.  "cold" is the first call after the data changed (a sync empties
the caches); "warm" the calls after it.  The first render of the overview
is measured in Chromium against gunicorn, as a ratio to the log-in page; so
is the memory gunicorn takes on while it serves those pages (its caches;
tests/benchmarks/memory.py), as a ratio to what it held once booted: no goal.
And what one gunicorn worker holds (VmRSS) once the bureau has walked every page
(overview, trends, heatmaps, school pages, exports), as a ratio to the worker booted.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _median_time(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _post(client, output: str, outputs, inputs: list[dict]):
    response = client.post("/_dash-update-component", json={
        "output": output, "outputs": outputs, "inputs": inputs, "changedPropIds": [], "state": []})
    assert response.status_code in (200, 204), response.status_code
    return response


HEATMAP_OUTPUTS = ["hm-figure.figure", "hm-page.max_value", "hm-summary.children", "hm-hint.children",
                   "hm-text.children"]


def heatmap_request(lang: dict, year_input: dict, measure: str, view: str) -> tuple[str, list[dict], list[dict]]:
    """The heatmaps page's render callback as the browser posts it: (output, outputs, inputs)."""
    outputs = [dict(zip(("id", "property"), name.split("."), strict=True)) for name in HEATMAP_OUTPUTS]
    inputs = [lang, year_input, {"id": "hm-measure", "property": "value", "value": measure},
              {"id": "hm-group-by", "property": "value", "value": "township"},
              {"id": "hm-groups", "property": "value", "value": []},
              {"id": "hm-order", "property": "value", "value": "group"},
              {"id": "hm-page", "property": "active_page", "value": 1},
              {"id": "hm-view", "property": "value", "value": view}]
    return ".." + "...".join(HEATMAP_OUTPUTS) + "..", outputs, inputs


def _wait_until_serving(base: str, seconds: float = 30) -> None:
    """gunicorn answers /healthz once its worker has booted (a benchmark timed before that timed the boot)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)


def _row(name, value, baseline, goal=None, note="", unit="s"):
    return {"name": name, "value": value, "unit": unit, "baseline": baseline,
            "ratio": value / baseline if baseline else None, "goal": goal, "note": note}


def run(quick: bool = False) -> list[dict]:
    schools = 200 if quick else 1000
    repeat = 5 if quick else 15
    folder = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    url = f"sqlite:///{folder / 'store.db'}"
    os.environ["SAFESCHOOL_DATABASE_URL"] = url
    os.environ.setdefault("SAFESCHOOL_SECRET_KEY", "bench-secret-of-32-characters-or-more")
    from sync import settings

    settings.reset_caches()
    from sync.store import make_engine
    from tests.dashboard_fixtures import PASSWORD, build_county

    county = build_county(make_engine(url), n=schools)
    import dash
    from dash import Input, Output

    # The baseline: a callback that does nothing, on the same server, through the same dispatch.  Registered
    # before the app is imported: the app sets Dash up then (dashboard.app._set_up_before_serving), and the
    # server answers 400 to a callback it did not know by then (_callback_body_ok), which failed the module.
    @dash.callback(Output("bench-empty-out", "children"), Input("bench-empty-in", "value"))
    def _empty(value):
        return value

    from dashboard import queries
    from dashboard.app import app
    from dashboard.pages import heatmaps as heatmaps_page
    from dashboard.pages import overview as overview_page
    from dashboard.pages import school as school_page_module

    def clear_caches():
        """What a sync does to the caches (a new data version), without waiting for one."""
        queries.clear_caches()
        for page in (heatmaps_page, overview_page, school_page_module):
            page._rendered.cache_clear()

    client = app.server.test_client()
    assert client.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 302
    year = county.year
    lang = {"id": "lang-store", "property": "data", "value": "zh-Hant"}
    year_input = {"id": "year", "property": "value", "value": year}

    def empty():
        _post(client, "bench-empty-out.children", {"id": "bench-empty-out", "property": "children"},
              [{"id": "bench-empty-in", "property": "value", "value": 1}])

    def ranking_filter():
        _post(client, "ranking-grid.filterModel", {"id": "ranking-grid", "property": "filterModel"},
              [{"id": "filter-type", "property": "value", "value": "小學"},
               {"id": "filter-township", "property": "value", "value": "城關鎮"},
               {"id": "filter-grade", "property": "value", "value": None}])

    def overview():
        _post(client, "overview-content.children", {"id": "overview-content", "property": "children"}, [lang, year_input])

    codes = iter(county.codes * 3)

    def school_page():
        _post(client, "school-content.children", {"id": "school-content", "property": "children"},
              [lang, year_input, {"id": "school-code", "property": "data", "value": next(codes)}])

    def heatmap(view: str = "schools"):
        _post(client, *heatmap_request(lang, year_input, "classes", view))

    empty()  # first request sets the server up
    base = _median_time(empty, repeat * 3)
    rows = [_row("empty callback (baseline)", base, base, note="Flask+Dash dispatch")]
    rows.append(_row(f"ranking filter, {schools} schools", _median_time(ranking_filter, repeat), base, "< 3x",
                     "the grid filters in the browser; the server builds the filter model"))
    clear_caches()
    started = time.perf_counter()
    school_page()
    rows.append(_row(f"school page cold (after a sync), {schools} schools", time.perf_counter() - started, base,
                     note="loads the year's results and records once for every school"))
    # After a sync each gunicorn worker warms its caches (dashboard.warm) before anyone asks, and freezes
    # them for the collector: the first visitor then pays only for building the page.  The loads are
    # cached by the cold call above; the warm-up's freezing is what a worker adds.
    from dashboard import warm

    warm.warm_and_freeze()
    rows.append(_row(f"school page, first view of a school, {schools} schools", _median_time(school_page, repeat), base,
                     "< 3x", "county-wide loads cached and frozen by the warm-up, as in a gunicorn worker; this "
                             "school's page built"))
    # A median hides the collector: a full collection walked every cached load (165 ms at 1,000 schools, once
    # in a hundred pages) until the warm-up froze them.  The mean of many first views counts it.
    views = 40 if quick else 300
    started = time.perf_counter()
    for _ in range(views):
        school_page()
    rows.append(_row(f"school page, first views, mean of {views}, {schools} schools",
                     (time.perf_counter() - started) / views, base, note="the collector's pauses included"))

    after_warm = []
    for _ in range(3):  # one call each time (it is a first call), the median of three syncs
        clear_caches()
        warm.warm_and_freeze()
        started = time.perf_counter()
        school_page()
        after_warm.append(time.perf_counter() - started)
    rows.append(_row(f"school page after a sync with the worker's warm-up, {schools} schools",
                     statistics.median(after_warm), base, "< 3x",
                     "first call after each of 3 syncs (median): this school's page built from warm loads"))
    same = county.codes[0]

    def same_school():
        _post(client, "school-content.children", {"id": "school-content", "property": "children"},
              [lang, year_input, {"id": "school-code", "property": "data", "value": same}])

    same_school()
    rows.append(_row(f"school page, repeat view, {schools} schools", _median_time(same_school, repeat), base, "< 3x",
                     "rendered page cached per scope until the next sync; Dash still serialises it"))
    clear_caches()
    started = time.perf_counter()
    overview()
    rows.append(_row(f"overview + ranking cold, {schools} schools", time.perf_counter() - started, base))
    rows.append(_row(f"overview + ranking warm, {schools} schools", _median_time(overview, repeat), base,
                     note="sends every ranking row"))
    clear_caches()
    started = time.perf_counter()
    heatmap()
    rows.append(_row(f"heatmap page cold, {schools} schools", time.perf_counter() - started, base))
    rows.append(_row(f"heatmap page repeat, {schools} schools", _median_time(heatmap, repeat), base))
    rows.append(_row(f"heatmap by township, {schools} schools", _median_time(lambda: heatmap("groups"), repeat), base,
                     note="the bureau's first view: one row per township"))
    rows += _circular_exports(schools, year, repeat=2 if quick else 3)
    rows += _first_render(url, repeat=2 if quick else 3)
    rows += _worker_memory(url, year, county.codes)
    return rows


def _circular_exports(schools: int, year: int, repeat: int) -> list[dict]:
    """The circular's Word file against its Excel file, the year's draft of every school (the Word table was
    built cell by cell: 48-56 s at 3,000 schools through gunicorn on a busy machine; a scale audit)."""
    from dashboard import downloads, exports
    from sync.store import get_engine

    results, circular = downloads.circular_results(get_engine(), year, True)
    xlsx = _median_time(lambda: exports.circular_bytes(results, circular, "xlsx"), repeat)
    docx = _median_time(lambda: exports.circular_bytes(results, circular, "docx"), repeat)
    return [_row(f"circular .xlsx, {schools} schools (baseline)", xlsx, xlsx),
            _row(f"circular .docx, {schools} schools", docx, xlsx, "< 3x", "the table's rows copied from the first")]


def _first_render(url: str, repeat: int) -> list[dict]:
    """Time from navigation to the ranking's first row in Chromium, against the log-in page."""
    import socket

    chromium = os.environ.get("SAFESCHOOL_TEST_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        return [_row("overview first render in Chromium", float("nan"), None, note=f"{chromium} missing")]
    from playwright.sync_api import sync_playwright

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "SAFESCHOOL_DATABASE_URL": url, "SAFESCHOOL_SECRET_KEY": "bench-secret-of-32-characters-or-more"}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                             "dashboard.app:server"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base)
        from tests.benchmarks.memory import MemoryWatch
        from tests.dashboard_fixtures import PASSWORD

        with sync_playwright() as pw, MemoryWatch(root=proc.pid) as watch:
            browser = pw.chromium.launch(executable_path=chromium, args=[
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{base}/login")
            page.fill("#username", "admin")
            page.fill("#password", PASSWORD)
            page.click("#login-button")
            page.wait_for_selector("#ranking-grid .ag-row", timeout=120_000)  # warms the worker's caches
            login_times, overview_times = [], []
            for _ in range(repeat):
                started = time.perf_counter()
                page.goto(f"{base}/login")
                page.wait_for_selector("#login-button")
                login_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                page.goto(f"{base}/")
                page.wait_for_selector("#ranking-grid .ag-row", timeout=120_000)
                overview_times.append(time.perf_counter() - started)
            served_mb, booted_mb = watch.peak(), watch.start_mb
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    login, first = statistics.median(login_times), statistics.median(overview_times)
    rows = [_row("log-in page load in Chromium (baseline)", login, login),
            _row("overview first render in Chromium (to the first ranking row)", first, login,
                 note="warm server caches; gunicorn, 1 worker")]
    if served_mb is not None:
        rows.append(_row("peak memory: gunicorn serving the overview / the booted server", served_mb, booted_mb,
                         note=f"above the booted server (master and worker: {booted_mb:.0f} MB)", unit="MB"))
    return rows


def _worker_memory(url: str, year: int, codes: list[str]) -> list[dict]:
    """A gunicorn worker's resident memory after a bureau account has opened every page, through the same
    callback requests the browser sends, against the worker once booted (no warm-up thread: it would load
    the caches while the baseline is read).  What the caches keep per school shows here (a scale audit:
    1-1.5 GB a worker at 3,000 schools)."""
    import http.cookiejar
    import json
    import socket
    import urllib.parse

    from dashboard.queries import MEASURES
    from tests.dashboard_fixtures import PASSWORD

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SAFESCHOOL_DATABASE_URL": url, "SAFESCHOOL_SECRET_KEY": "bench-secret-of-32-characters-or-more", "SAFESCHOOL_WARM": "0",
           "SAFESCHOOL_HOSTS": "127.0.0.1,localhost"}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                             "--timeout", "300", "dashboard.app:server"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    opener.addheaders = [("Origin", base)]

    def post(output, outputs, inputs):
        body = json.dumps({"output": output, "outputs": outputs, "inputs": inputs, "changedPropIds": [],
                           "state": []}).encode()
        request = urllib.request.Request(f"{base}/_dash-update-component", body, {"Content-Type": "application/json"})
        with opener.open(request, timeout=300) as response:
            response.read()

    def resident_mb(pid: int) -> float:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    try:
        _wait_until_serving(base)
        worker = int(next(iter(Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split())))
        booted = resident_mb(worker)
        opener.open(f"{base}/login", urllib.parse.urlencode({"username": "leader", "password": PASSWORD}).encode())
        lang = {"id": "lang-store", "property": "data", "value": "zh-Hant"}
        for shown in (year, year - 1):
            post("overview-content.children", {"id": "overview-content", "property": "children"},
                 [lang, {"id": "year", "property": "value", "value": shown}])
        year_input = {"id": "year", "property": "value", "value": year}
        post("..trends-content.children...trends-title.children..",
             [{"id": "trends-content", "property": "children"}, {"id": "trends-title", "property": "children"}],
             [lang, year_input, {"id": "trends-group", "property": "value", "value": "type"}])
        for measure in MEASURES:  # as the bureau opens them: by township
            post(*heatmap_request(lang, year_input, measure, "groups"))
        for code in codes[:5]:
            post("school-content.children", {"id": "school-content", "property": "children"},
                 [lang, year_input, {"id": "school-code", "property": "data", "value": code}])
        post("..exp-links.children...exp-school-links.children..",
             [{"id": "exp-links", "property": "children"}, {"id": "exp-school-links", "property": "children"}],
             [year_input, lang, {"id": "exp-school", "property": "value", "value": codes[0]}])
        for path in (f"school/{codes[0]}/{year}.csv?draft=1", f"circular/{year}.csv?draft=1"):
            opener.open(f"{base}/download/{path}", timeout=300).read()
        walked = resident_mb(worker)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return [_row("a worker's memory after the bureau's walk / the worker booted", walked, booted, unit="MB",
                 note=f"VmRSS; booted {booted:.0f} MB; {len(codes)} schools; overview, trends, heatmaps, 5 school "
                      "pages, exports")]
