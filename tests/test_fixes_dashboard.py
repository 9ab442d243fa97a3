"""The question page's fixes under AppTest on real ledger files: "not found" for a bad ``?id=``
(with the nearest ids), a merged id showing the question kept, and the edit, withdraw and merge
forms writing through the library, resetting after a write and refusing in the dashboard's
words (its field labels, never a CLI flag)."""

from __future__ import annotations

import re

import pytest
from test_dashboard import goto, make_small, open_app

from ledger.ingest import fixes
from ledger.reports.queries import question_detail

FLAG = re.compile(r"(?<![\w-])--[a-z]")


@pytest.fixture
def small(tmp_path):
    return make_small(tmp_path / "small.duckdb")


def _errors(at) -> list[str]:
    return [str(e.value).replace("\\", "") for e in at.error]


def _page(monkeypatch, led, qid: str, viewer: str | None = None):
    at = open_app(monkeypatch, led, viewer=viewer)
    at.query_params["id"] = qid
    return goto(at, "question")


def test_a_bad_id_in_the_address_says_not_found_with_the_nearest_ids(monkeypatch, small):
    at = _page(monkeypatch, small, "alpah")
    assert _errors(at) == ["Question not found: no question 'alpah' in the ledger; did you "
                           "mean 'alpha'? Pick one below."]
    assert at.selectbox(key="question_id").value == "alpha"


def test_a_merged_id_in_the_address_shows_the_question_kept(monkeypatch, small):
    fixes.merge_questions(small, "alpha", "blind-one", reason="same")
    at = _page(monkeypatch, small, "alpha")
    assert not _errors(at)
    assert at.selectbox(key="question_id").value == "blind-one"
    assert "alpha was merged into this question." in [
        i.value.replace("\\", "") for i in at.info]
    assert "alpha" not in at.selectbox(key="question_id").options


def test_the_edit_form_saves_a_version_and_is_reset(monkeypatch, small):
    at = _page(monkeypatch, small, "alpha")
    at.text_area(key="fix_edit_criteria_alpha").input("Yes if alpha ships to everyone.")
    at.checkbox(key="fix_edit_clarification_alpha").check()
    at.text_input(key="fix_edit_reason_alpha").input("stricter wording")
    at.button(key="fix_edit_submit_alpha").click().run()
    assert not _errors(at), _errors(at)
    assert "Saved version 2 of alpha (criteria changed)." in at.success[0].value
    assert at.text_input(key="fix_edit_reason_alpha").value == ""
    assert at.text_area(key="fix_edit_criteria_alpha").value == "Yes if alpha ships to everyone."
    with small.connect() as con:
        q = question_detail(con, "alpha")
    assert [v["clarification"] for v in q["versions"]] == [None, True]
    assert q["versions"][-1]["edit_reason"] == "stricter wording"


def test_an_edit_without_a_reason_is_refused_in_the_pages_words(monkeypatch, small):
    at = _page(monkeypatch, small, "alpha")
    at.text_input(key="fix_edit_question_alpha").input("Will alpha ship at all?")
    at.button(key="fix_edit_submit_alpha").click().run()
    assert _errors(at) == ["Reason for the edit: an edit needs a reason"]
    assert not FLAG.search(_errors(at)[0])
    with small.connect() as con:
        assert len(question_detail(con, "alpha")["versions"]) == 1


def test_the_withdraw_form_takes_back_the_viewers_latest_forecast(monkeypatch, small):
    at = _page(monkeypatch, small, "alpha", viewer="ann")
    at.text_input(key="fix_withdraw_reason_alpha").input("wrong question")
    at.button(key="fix_withdraw_submit_alpha").click().run()
    assert not _errors(at), _errors(at)
    assert "Withdrew the forecast" in at.success[0].value
    assert at.text_input(key="fix_withdraw_reason_alpha").value == ""
    with small.connect() as con:
        q = question_detail(con, "alpha")
    assert [(f["forecaster"], f["withdrawn"]) for f in q["forecast_history"]] == [
        ("ann", True), ("bob", False)]
    at.text_input(key="fix_withdraw_reason_alpha").input("again")
    at.button(key="fix_withdraw_submit_alpha").click().run()
    (shown,) = _errors(at)
    assert shown.startswith("You are (sidebar): ann has no forecast on 'alpha' to withdraw")
    assert not FLAG.search(shown) and "`" not in shown


def test_the_merge_form_merges_and_the_page_shows_the_question_kept(monkeypatch, small):
    at = _page(monkeypatch, small, "alpha")
    at.selectbox(key="fix_merge_into_alpha").select("blind-one")
    at.text_input(key="fix_merge_reason_alpha").input("added twice")
    at.button(key="fix_merge_submit_alpha").click().run()
    assert not _errors(at), _errors(at)
    assert "Merged alpha into blind-one." in at.success[0].value
    assert at.selectbox(key="question_id").value == "blind-one"
    with small.connect() as con:
        assert question_detail(con, "alpha")["id"] == "blind-one"


def test_merging_into_a_resolved_question_is_refused_in_the_pages_words(monkeypatch, small):
    at = _page(monkeypatch, small, "alpha")
    at.selectbox(key="fix_merge_into_alpha").select("gamma")  # resolved
    at.text_input(key="fix_merge_reason_alpha").input("same")
    at.button(key="fix_merge_submit_alpha").click().run()
    (shown,) = _errors(at)
    assert shown.startswith("Keep this question: 'gamma' resolved yes on ")
    with small.connect() as con:
        assert question_detail(con, "alpha")["merged"] == []
