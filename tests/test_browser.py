"""The dashboard in a real browser: Debian's chromium driven by Playwright against a real
`forecast-ledger dashboard` server on a real ledger file.

Logs a forecast and resolves it through the forms and sees it scored; shows that question text
holding HTML stays text; saves a screenshot of every page (on the synthetic demo ledger) to
test-artifacts/screenshots/, or to docs/screenshots/ (the README's) with UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import ROOT, console_script
from playwright.sync_api import expect
from test_dashboard import HTML_TEXT, make_small

from ledger.ingest.demo import build_demo
from ledger.scoring.report import calibration_report
from ledger.storage.store import Ledger

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
# A normal run must not rewrite tracked files: docs/ only when asked to.
SHOTS = ROOT / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") else "test-artifacts")
SHOTS = SHOTS / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGES = {"overview": "", "open": "open", "resolved": "resolved", "calibration": "calibration",
         "question": "question", "blind": "blind", "log": "log"}
TITLES = {"overview": "Overview", "open": "Open / due / overdue",
          "resolved": "Resolved and scored", "calibration": "Calibration",
          "question": "Question", "blind": "Blind forecasting", "log": "Log / resolve"}

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) "
                "to run the browser tests", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(db: Path, tmp_path: Path, viewer: str = "") -> Iterator[str]:
    """`forecast-ledger dashboard` on ``db`` in its own process group; yields its URL."""
    port = _free_port()
    # Served from the ledger's folder, so the sidebar shows its name, as `dashboard` does.
    env = {**os.environ, "FORECAST_LEDGER_DB": os.path.relpath(db, tmp_path),
           "FORECAST_LEDGER_FORECASTER": viewer}
    log = open(tmp_path / f"streamlit-{port}.log", "w")  # noqa: SIM115 (closed below)
    # Through the CLI, as a user starts it: the Host/Origin guard of dashboard/asgi.py included.
    proc = subprocess.Popen(
        [console_script(), "--db", os.path.relpath(db, tmp_path), "dashboard", "--headless",
         "--port", str(port)],
        env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("streamlit did not start:\n"
                            + (tmp_path / f"streamlit-{port}.log").read_text())
            time.sleep(0.2)
        yield url
    finally:
        try:  # the CLI stops its Streamlit child (tests/test_serve.py checks that it does)
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1200, "height": 1400})
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()


def open_page(pg, url: str, name: str, query: str = "") -> None:
    pg.goto(f"{url}/{PAGES[name]}{query}")
    pg.get_by_role("heading", name=TITLES[name], exact=True).wait_for()
    settle(pg)


def settle(pg) -> None:
    """Wait until the script run finished (Streamlit's running indicator is gone)."""
    pg.wait_for_timeout(300)
    pg.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')",
                         timeout=30_000)
    pg.wait_for_timeout(300)


def hover_until(pg, chart, wanted: str) -> str:
    """Move the mouse over ``chart`` (bottom rows first) until Vega's tooltip shows
    ``wanted``; returns the tooltip's text, '' if it never did."""
    box = chart.bounding_box()
    read = "() => document.getElementById('vg-tooltip-element')?.innerText || ''"
    for y in range(int(box["y"] + box["height"]) - 40, int(box["y"]), -6):
        for x in range(int(box["x"] + box["width"] * 0.45), int(box["x"] + box["width"]), 7):
            pg.mouse.move(x, y)
            text = pg.evaluate(read)
            if wanted in text:
                return text
    return ""


def choose(scope, label: str, option: str) -> None:
    """Pick ``option`` (its text) in the Streamlit selectbox labelled ``label``."""
    box = scope.get_by_test_id("stSelectbox").filter(has_text=label)
    box.get_by_role("combobox").click()
    scope.page.get_by_role("option", name=option).first.click()


def metric(pg, label: str) -> str:
    card = pg.get_by_test_id("stMetric").filter(has_text=label)
    return card.get_by_test_id("stMetricValue").inner_text().strip()


def test_log_a_forecast_resolve_it_and_see_it_scored(tmp_path, page):
    led = make_small(tmp_path / "small.duckdb")
    with led.connect() as con:
        before = calibration_report(con)["n"]
    with serve(led.path, tmp_path, viewer="pat") as url:
        open_page(page, url, "calibration")
        assert metric(page, "Scored forecasts (n)") == str(before)

        open_page(page, url, "log")
        page.get_by_role("tab", name="Add or update a forecast").click()
        panel = page.get_by_role("tabpanel", name="Add or update a forecast")
        choose(panel, "Question", "alpha: Will alpha ship by the due date?")
        panel.get_by_label("Probability of yes").fill("80%")
        panel.get_by_role("button", name="Log forecast").click()
        page.get_by_text("Logged 80% on alpha").wait_for()
        settle(page)

        page.get_by_role("tab", name="Resolve or correct").click()
        panel = page.get_by_role("tabpanel", name="Resolve or correct")
        choose(panel, "Question", "alpha: Will alpha ship by the due date?")
        panel.get_by_label("Evidence link").fill("https://example.org/alpha-shipped")
        panel.get_by_role("button", name="Resolve").click()
        page.get_by_text("Resolved alpha: yes on").wait_for()
        settle(page)

        with led.connect() as con:
            after = calibration_report(con)["n"]
        assert after == before + 3  # ann, bob and pat's forecasts on alpha now count

        open_page(page, url, "resolved")
        scored = page.get_by_test_id("stDataFrame").last
        # the id (a link to its page), outcome, forecaster and p
        expect(scored).to_contain_text("question?id=alphayespat 80%")

        open_page(page, url, "calibration")
        assert metric(page, "Scored forecasts (n)") == str(after)
    led.verify()


def test_question_text_with_html_stays_text(tmp_path, page):
    led = make_small(tmp_path / "small.duckdb")
    with serve(led.path, tmp_path) as url:
        open_page(page, url, "question", "?id=html-q")
        page.get_by_text(HTML_TEXT, exact=True).first.wait_for()
        assert page.evaluate("() => window.__pwned") is None
        assert page.locator("b", has_text="bold").count() == 0
        assert page.locator("[data-testid=stMain] script").count() == 0

        open_page(page, url, "open")
        expect(page.get_by_test_id("stDataFrame").first).to_contain_text(HTML_TEXT)
        assert page.evaluate("() => window.__pwned") is None

        # the timeline's tooltip shows it escaped too
        open_page(page, url, "overview")
        chart = page.get_by_test_id("stVegaLiteChart").first
        chart.locator("canvas, svg").first.wait_for()
        page.wait_for_timeout(500)
        shown = hover_until(page, chart, "pwned")
        tip = page.locator("#vg-tooltip-element")
        assert HTML_TEXT in shown
        assert tip.locator("script, b").count() == 0
        assert page.evaluate("() => window.__pwned") is None


def test_screenshots_of_every_page_on_the_demo_ledger(tmp_path, page):
    db = tmp_path / "demo.duckdb"
    build_demo(db)
    with Ledger(db).connect() as con:
        edited = con.execute("SELECT id FROM current_questions WHERE edited_after_forecast "
                             "ORDER BY id LIMIT 1").fetchall()[0][0]
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serve(db, tmp_path, viewer="demo-alice (synthetic)") as url:
        for name in PAGES:
            open_page(page, url, name, f"?id={edited}" if name == "question" else "")
            if name == "calibration":
                page.get_by_text("CORP curve").click()
                settle(page)
            page.get_by_text("SYNTHETIC DEMO DATA").first.wait_for()
            charts = page.locator("[data-testid=stVegaLiteChart]")
            for i in range(charts.count()):
                charts.nth(i).locator("canvas, svg").first.wait_for()
            page.wait_for_timeout(800)
            path = SHOTS / f"{name}.png"
            page.screenshot(path=str(path))
            assert path.stat().st_size > 10_000


def test_the_resolved_pages_csv_holds_every_row_of_its_table(tmp_path, page):
    # The page builds only the rows it shows; the CSV is the whole table, built on the
    # download's own thread when the button is clicked.
    import csv
    import io

    from ledger.reports import views

    led = make_small(tmp_path / "small.duckdb")
    with led.connect() as con:
        whole = views.resolved_view(con)["table"]
    with serve(led.path, tmp_path) as url:
        open_page(page, url, "resolved")
        with page.expect_download() as info:
            page.get_by_role("button", name="Download CSV").click()
        got = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    assert info.value.suggested_filename == "resolved-and-scored.csv"
    assert len(got) == len(whole) > 0
    assert [r["id"] for r in got] == list(whole["id"])
    assert [r["probability"] for r in got] == list(whole["probability"])


def test_the_resolved_pages_csv_says_why_when_the_ledger_is_gone(tmp_path, page):
    # The CSV is built when clicked, after the page was drawn: a ledger moved away since is
    # said in the file, not lost in a thread.
    led = make_small(tmp_path / "small.duckdb")
    with serve(led.path, tmp_path) as url:
        open_page(page, url, "resolved")
        led.path.rename(tmp_path / "moved.duckdb")
        with page.expect_download() as info:
            page.get_by_role("button", name="Download CSV").click()
        text = Path(info.value.path()).read_text()
    assert text.splitlines()[0] == "error"
    assert f"no ledger at {led.path}" in text.splitlines()[1]
