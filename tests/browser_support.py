"""What every browser test needs: the real dashboard under gunicorn, Debian's Chromium, and a watch
that turns any console error, failed request, HTTP error or dialog into a test failure."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from sync.cli_setup import LOOPBACK_NAMES

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def dashboard_server(store_url: str, inbox: Path, secret: str, timeout: int = 90):
    """gunicorn with two workers on a free loopback port, as `safeschool serve` runs it; yields the base URL."""
    port = free_port()
    env = {**os.environ, "SAFESCHOOL_DATABASE_URL": store_url, "SAFESCHOOL_SECRET_KEY": secret,
           "SAFESCHOOL_INBOX": str(inbox), "SAFESCHOOL_HOSTS": LOOPBACK_NAMES}  # as serve on 127.0.0.1 sets it
    env.pop("SAFESCHOOL_CONFIG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout",
         str(timeout), "dashboard.app:server"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"the dashboard did not start: {proc.stdout.read() if proc.stdout else ''}")
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class Watch:
    """Every console error or warning, failed request, HTTP error and dialog of a page, labelled with the test's
    step."""

    def __init__(self, page):
        self.problems: list[str] = []
        self.step = "start"
        self._page = page
        self._documents = 0  # documents the page has asked for: a goto, a reload, a link out of the app
        self._asked_in: dict = {}  # request -> the document it was asked for in
        self._callbacks: set = set()  # Dash callbacks asked and not yet answered
        page.on("console", self._console)
        page.on("pageerror", lambda err: self.note(f"page error: {err}"))
        page.on("request", self._asked)
        page.on("requestfailed", self._failed)
        page.on("requestfinished", self._answered)
        page.on("response", lambda resp: resp.status >= 400 and self.note(f"HTTP {resp.status}: {resp.url}"))
        page.on("dialog", lambda dialog: (self.note(f"dialog: {dialog.message}"), dialog.dismiss()))

    def _console(self, msg) -> None:
        # Warnings too: Plotly says "WARN: Invalid color specifier" (through console.trace) and draws black
        # where a colour was meant.
        if msg.type in ("error", "warning") or (msg.type == "trace" and msg.text.startswith("WARN")):
            self.note(f"console {msg.type}: {msg.text}")

    def note(self, problem: str) -> None:
        self.problems.append(f"[{self.step}] {problem}")

    def _asked(self, request) -> None:
        if request.is_navigation_request() and request.frame == self._page.main_frame:
            self._documents += 1
        self._asked_in[request] = self._documents
        if "/_dash-update-component" in request.url:
            self._callbacks.add(request)

    def _answered(self, request) -> None:
        self._callbacks.discard(request)

    def callbacks_answered(self, timeout_ms: int = 10_000) -> None:
        """Wait until every Dash callback the page has asked for is answered: a goto while one is on its way
        cancels it (net::ERR_ABORTED), and the browser may tell of the goto before it tells of the callback,
        so the count of documents above cannot always excuse it (a clean-clone run failed so: Enter opened a
        school, the navbar's callback was still out, the test went on to another school)."""
        waited = 0
        while self._callbacks and waited < timeout_ms:
            self._page.wait_for_timeout(50)
            waited += 50

    def _failed(self, request) -> None:
        self._answered(request)
        # A download is "aborted" as a navigation once the browser hands it to the download manager.
        if "/download/" in request.url:
            return
        # The test left the page while a callback or a script was still on its way: the browser cancels it
        # (net::ERR_ABORTED), the page's doing, not a resource that failed.  Waiting for "networkidle"
        # before each goto does not cover it: after a page opened within the app, networkidle is long past
        # (this failed a CI run: a goto just after Enter opened a school aborted the navbar's callback).
        if request.failure == "net::ERR_ABORTED" and self._asked_in.get(request, self._documents) < self._documents:
            return
        self.note(f"failed: {request.url} {request.failure} {request.post_data}")

    def check(self) -> None:
        assert not self.problems, "\n".join(self.problems)


# Every text under `selector` drawn at a contrast below WCAG AA against what it stands on (4.5:1; 3:1 for
# large text, 24 px or 18.7 px bold): "text, ratio" for each.  The background is the first opaque one from
# the element outwards (the badges and figures this is for sit on plain fills, not on pictures).
LOW_CONTRAST = """(selector) => {
    const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
    const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const back = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c; } return [255, 255, 255]; };
    const low = [];
    for (const el of document.querySelectorAll(selector)) {
        if (!el.offsetParent || !el.innerText.trim()) continue;
        const cs = getComputedStyle(el), size = parseFloat(cs.fontSize), bold = Number(cs.fontWeight) >= 700;
        const a = lum(rgb(cs.color)), b = lum(back(el));
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        if (ratio < (size >= 24 || (bold && size >= 18.66) ? 3 : 4.5)) low.push(el.innerText.trim() + ' ' + ratio.toFixed(2));
    }
    return low;
}"""
