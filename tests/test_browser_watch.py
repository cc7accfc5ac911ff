"""The browser tests' watch (tests.browser_support.Watch) fails a test on every request that fails, except
those the test itself cancelled by leaving the page: pinned on a tiny local site, so a change to the watch
that hides real failures, or that brings back the navigation flake, shows here."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser_support import Watch, free_port

PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>watch</title></head><body>
<p id="here">here</p>
<script>
window.ask = () => { window.asking = fetch('/slow').catch(() => null); };
window.askAndCancel = () => { const c = new AbortController();
    window.asking = fetch('/slow', {signal: c.signal}).catch(() => null); setTimeout(() => c.abort(), 100); };
window.askNowhere = port => fetch('http://127.0.0.1:' + port + '/').catch(() => null);
</script></body></html>"""


class _Site(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/slow":
            time.sleep(3)
        if self.path == "/favicon.ico":
            self.send_response(204)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        try:
            self.wfile.write(PAGE)
        except OSError:  # the browser has gone: what the test is about
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Site)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _page(browser, site):
    page = browser.new_page()
    watch = Watch(page)
    page.goto(f"{site}/first")
    page.wait_for_load_state("networkidle")
    return page, watch


def test_a_request_cancelled_because_the_test_left_the_page_is_not_a_failure(browser, site):
    page, watch = _page(browser, site)
    page.evaluate("ask()")
    page.goto(f"{site}/second")  # the slow answer has not come: the browser cancels it
    page.wait_for_selector("#here")
    watch.check()
    page.reload()  # a reload leaves the page as well
    watch.check()
    page.close()


def test_a_request_cancelled_while_the_page_stays_is_a_failure(browser, site):
    page, watch = _page(browser, site)
    with page.expect_event("requestfailed"):
        page.evaluate("askAndCancel()")
    assert any("/slow" in problem and "ERR_ABORTED" in problem for problem in watch.problems), watch.problems
    with pytest.raises(AssertionError):
        watch.check()
    page.close()


def test_a_request_that_reaches_nothing_is_a_failure_even_after_leaving(browser, site):
    page, watch = _page(browser, site)
    with page.expect_event("requestfailed"):
        page.evaluate(f"askNowhere({free_port()})")
    page.goto(f"{site}/second")
    assert any("failed:" in problem for problem in watch.problems), watch.problems
    page.close()
