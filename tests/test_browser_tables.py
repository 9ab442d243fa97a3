"""The open and resolved tables in a real browser at 1300 px wide (Debian's chromium through
Playwright, a real `forecast-ledger dashboard`): every column fits without scrolling sideways,
and a row's id opens that question's page."""

from __future__ import annotations

import pytest
from test_browser import browser as browser  # noqa: F401 (a fixture)
from test_browser import open_page, serve, settle

from ledger.ingest.demo import build_demo
from ledger.storage.store import Ledger

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTH = 1300


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    """One dashboard on the synthetic demo ledger for the module's tests (they only read)."""
    folder = tmp_path_factory.mktemp("tables")
    build_demo(str(folder / "demo.duckdb"), seed=7)
    with serve(Ledger(folder / "demo.duckdb").path, folder) as address:
        yield address


@pytest.fixture
def wide(browser):
    ctx = browser.new_context(viewport={"width": WIDTH, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()


SIDEWAYS = """(el) => { const s = el.querySelector('.dvn-scroller');
    return {scroll: s.scrollWidth, client: s.clientWidth, table: el.clientWidth}; }"""


def first_cell(table, left: int) -> tuple[float, float]:
    """A point inside the first data row, ``left`` px from the table's left edge (the grid is
    a canvas: its cells have no boxes of their own). Rows are 90 px under a 38 px header."""
    box = table.bounding_box()
    return box["x"] + left, box["y"] + 38 + 45


@pytest.mark.parametrize(("page_name", "table_index"), [("open", 0), ("resolved", 1)])
def test_table_fits_a_1300px_window_without_sideways_scroll(url, wide, page_name, table_index):
    open_page(wide, url, page_name)
    table = wide.get_by_test_id("stDataFrame").nth(table_index)
    table.locator(".dvn-scroller").wait_for()
    got = table.evaluate(SIDEWAYS)
    assert got["scroll"] <= got["client"], got
    table.locator("th[role=columnheader]").first.wait_for(state="attached")
    headers = table.locator("th[role=columnheader]").all_text_contents()
    assert "question" in headers, headers


# The id is the open table's first column, the resolved table's second (after 85 px).
@pytest.mark.parametrize(("page_name", "table_index", "left"), [("open", 0, 30),
                                                               ("resolved", 1, 85 + 30)])
def test_a_rows_id_opens_its_question_page(url, wide, page_name, table_index, left):
    open_page(wide, url, page_name)
    table = wide.get_by_test_id("stDataFrame").nth(table_index)
    table.locator(".dvn-scroller").wait_for()
    x, y = first_cell(table, left)
    wide.mouse.move(x, y)  # the grid opens a link under the pointer it has seen hover
    wide.wait_for_timeout(300)
    with wide.context.expect_page(timeout=10_000) as opened:
        wide.mouse.click(x, y)
    question = opened.value
    question.wait_for_load_state()
    assert "/question?id=demo-q" in question.url
    qid = question.url.split("id=")[1]
    question.get_by_role("heading", name="Question", exact=True).wait_for()
    settle(question)
    question.get_by_text(f"id {qid}").first.wait_for()
