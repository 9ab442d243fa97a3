"""The Draft page in a real browser: Debian's chromium through Playwright against a real
`streamlit run` server. Pastes an article, sees its quotes highlighted, drops one question,
saves and imports the rest, and finds them in the ledger."""

from __future__ import annotations

import pytest
import yaml

# browser and page are test_browser's fixtures, imported so pytest finds them here
from test_browser import browser, page, serve, settle  # noqa: F401
from test_draft_dashboard import ARTICLE

from ledger.draft import draft_article
from ledger.reports.queries import list_questions
from ledger.storage.store import Ledger

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_paste_review_save_and_import_in_a_browser(tmp_path, page):  # noqa: F811
    db = tmp_path / "ledger.duckdb"
    expected = draft_article(ARTICLE).candidates
    with serve(db, tmp_path) as url:
        page.goto(f"{url}/draft")
        page.get_by_role("heading", name="Draft", exact=True).wait_for()
        settle(page)
        page.get_by_label("Article text").fill(ARTICLE)
        page.get_by_role("heading", name="Draft", exact=True).click()  # blur: commits the text
        page.get_by_text("claims found in", exact=False).wait_for()
        settle(page)

        marks = page.locator("[data-testid=stHtml] mark")
        assert marks.count() == len(expected) == 3
        assert [m.inner_text() for m in marks.all()] == [c.quote for c in expected]
        assert page.evaluate("() => window.__pwned") is None  # the article's script is text

        page.get_by_test_id("stCheckbox").nth(2).click()    # drop the hedged claim
        settle(page)
        page.get_by_role("button", name="Save and import").click()
        page.get_by_text("and imported it", exact=False).wait_for()
        settle(page)
    saved = list((tmp_path / "forecasts").glob("*.yaml"))
    assert len(saved) == 1
    data = yaml.safe_load(saved[0].read_text())
    assert [q["quote"] for q in data["questions"]] == [c.quote for c in expected[:2]]
    with Ledger(db).connect() as con:
        assert sorted(q["id"] for q in list_questions(con)) == sorted(
            q["id"] for q in data["questions"])


def test_an_uploaded_file_is_drafted_like_pasted_text(tmp_path, page):  # noqa: F811
    article = tmp_path / "article.md"
    article.write_text(ARTICLE, encoding="utf-8")
    with serve(tmp_path / "ledger.duckdb", tmp_path) as url:
        page.goto(f"{url}/draft")
        page.get_by_role("heading", name="Draft", exact=True).wait_for()
        settle(page)
        page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(
            str(article))
        page.get_by_text("claims found in", exact=False).wait_for()
        settle(page)
        assert page.locator("[data-testid=stHtml] mark").count() == 3
