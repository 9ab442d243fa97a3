"""The dashboard's Draft page under AppTest: it shows the library's draft, saves the reviewed
questions into a forecast file and imports it through the library."""

from __future__ import annotations

from datetime import date

import yaml
from conftest import write
from test_dashboard import goto, open_app, texts

from ledger.draft import draft_article
from ledger.reports.queries import list_questions
from ledger.storage.store import Ledger

ARTICLE = """title: What to expect in 2027
published: 2026-05-21
author/outlet: A. Writer, Example Outlet

The bank puts the probability of a recession over the next year at 30%.

The lab will release a new model next quarter.

Prices could fall in the near term.

<script>window.__pwned=1</script> Last year the lab shipped two models.
"""


def drafted_page(monkeypatch, tmp_path, text: str = ARTICLE, published: date | None = None):
    at = open_app(monkeypatch, tmp_path / "l.duckdb")
    goto(at, "draft")
    at.text_area(key="draft_text").set_value(text).run()
    if published is not None:
        at.date_input(key="draft_published").set_value(published).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def keyed(elements, prefix: str) -> list:
    return [e for e in elements if str(e.key).startswith(prefix)]


def test_draft_page_without_text_says_what_to_do(monkeypatch, tmp_path):
    at = open_app(monkeypatch, tmp_path / "none.duckdb")
    goto(at, "draft")
    assert "Paste an article or upload a file to draft questions from it." in texts(at)
    assert not (tmp_path / "none.duckdb").exists()


def test_draft_page_shows_the_librarys_candidates_with_quotes_highlighted(monkeypatch,
                                                                           tmp_path):
    at = drafted_page(monkeypatch, tmp_path)
    expected = draft_article(ARTICLE).candidates
    assert len(expected) == 3
    assert "**3 claims** found in" in texts(at)
    (shown,) = at.get("html")
    body = shown.proto.body
    assert body.count("<mark") == 3
    for c in expected:
        assert c.quote in body or c.quote.replace("’", "&#x27;") in body
    # the article's own HTML is shown as text, never run
    assert "<script>" not in body and "&lt;script&gt;" in body
    questions = keyed(at.text_input, "q-")
    assert [q.value for q in questions][1] == "Will the lab release a new model by 2026-09-30?"
    assert [d.value for d in keyed(at.date_input, "d-")] == [c.resolve_by for c in expected]


def test_reviewed_questions_are_saved_and_imported(monkeypatch, tmp_path):
    at = drafted_page(monkeypatch, tmp_path)
    keyed(at.checkbox, "keep-")[2].uncheck().run()           # drop the hedged one
    keyed(at.text_input, "q-")[1].set_value("Will the lab release a model by 2026-10-31?").run()
    keyed(at.date_input, "d-")[1].set_value(date(2026, 10, 31)).run()
    target = tmp_path / "forecasts" / "reviewed.yaml"
    keyed(at.text_input, "draft_target-")[0].set_value(str(target)).run()
    at.button(key="draft_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at).replace("\\", "")  # markdown escapes in the flash message
    assert f"Saved {target} and imported it: 1 file read; added 1 new source, 2 new " \
           "questions, 1 new forecast." in shown
    data = yaml.safe_load(target.read_text())
    assert len(data["questions"]) == 2
    ledger = Ledger(tmp_path / "l.duckdb")
    with ledger.connect() as con:
        listed = {q["question"]: q for q in list_questions(con)}
    assert set(listed) == {"Will the lab release a model by 2026-10-31?",
                           data["questions"][0]["question"]}
    edited = listed["Will the lab release a model by 2026-10-31?"]
    assert str(edited["resolve_by"]) == "2026-10-31"


def test_an_existing_file_is_refused_with_the_librarys_message(monkeypatch, tmp_path):
    at = drafted_page(monkeypatch, tmp_path)
    target = write(tmp_path / "mine.yaml", "# reviewed by hand\n")
    keyed(at.text_input, "draft_target-")[0].set_value(str(target)).run()
    at.button(key="draft_save").click().run()
    shown = [e.value for e in at.error]
    assert any("already exists; choose another file name or remove it" in e for e in shown)
    assert target.read_text() == "# reviewed by hand\n"
    assert not (tmp_path / "l.duckdb").exists()


def test_published_field_overrides_the_header(monkeypatch, tmp_path):
    at = drafted_page(monkeypatch, tmp_path, published=date(2026, 7, 1))
    assert "published 2026-07-01 (given)" in texts(at)
    dates = [d.value for d in keyed(at.date_input, "d-")]
    assert dates[1] == date(2026, 12, 31)  # "next quarter" from 2026-07-01


def test_an_article_with_no_claims_says_so(monkeypatch, tmp_path):
    at = drafted_page(monkeypatch, tmp_path, text="The lab shipped two models last year.\n")
    assert "No forecastable claim was found" in texts(at)
    assert [b.key for b in at.button] == []
