"""The dashboard's forms under AppTest on real ledger files: a form that wrote is reset (what was
typed for one question is never saved on the next), and every refusal they show names the
dashboard's fields, never a CLI flag."""

from __future__ import annotations

import ast
import re
from datetime import timedelta

import pytest
from conftest import ROOT
from test_dashboard import goto, make_small, open_app

from ledger.format.dates import today
from ledger.ingest import actions
from ledger.reports.queries import question_detail

FLAG = re.compile(r"(?<![\w-])--[a-z]")  # a CLI flag such as --correct or --on


def day(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


@pytest.fixture
def small(tmp_path):
    return make_small(tmp_path / "small.duckdb")


@pytest.fixture
def two_overdue(small):
    """``small`` plus a second overdue question, so the open page's form offers two."""
    actions.add_question(small, "Will zeta be done?", qid="zeta", resolve_by=day(-2),
                         opened=day(-30), forecaster="ann")
    return small


def resolution(led, qid: str) -> dict:
    with led.connect() as con:
        return question_detail(con, qid)["resolution_history"][-1]


def forecasts_of(led, qid: str, who: str) -> list[dict]:
    with led.connect() as con:
        return [f for f in question_detail(con, qid)["forecast_history"]
                if f["forecaster"] == who]


def errors(at) -> list[str]:
    """The refusals shown (not the open page's "overdue" banner), markdown escapes removed."""
    return [str(e.value).replace("\\", "") for e in at.error if e.icon != ":material/alarm:"]


# -- a form that wrote is reset ---------------------------------------------------------------

def test_open_page_evidence_for_one_question_is_not_saved_on_the_next(monkeypatch, two_overdue):
    at = goto(open_app(monkeypatch, two_overdue, viewer="carol"), "open")
    assert at.selectbox(key="overdue_question").options == [
        "beta: Will beta pass before its deadline?", "zeta: Will zeta be done?"]
    at.selectbox(key="overdue_question").select("beta")
    at.text_input(key="overdue_evidence").input("https://example.org/beta")
    at.text_input(key="overdue_note").input("seen in the gazette")
    at.button(key="overdue_submit").click().run()
    assert not errors(at) and "Resolved beta" in at.success[0].value
    assert at.text_input(key="overdue_evidence").value == ""
    assert at.text_input(key="overdue_note").value == ""

    at.selectbox(key="overdue_question").select("zeta")
    at.selectbox(key="overdue_outcome").select("no")
    at.button(key="overdue_submit").click().run()
    assert not errors(at) and "Resolved zeta" in at.success[0].value
    beta, zeta = resolution(two_overdue, "beta"), resolution(two_overdue, "zeta")
    assert (beta["evidence"], beta["note"]) == ("https://example.org/beta", "seen in the gazette")
    assert (zeta["outcome"], zeta["evidence"], zeta["note"]) == ("no", None, None)
    assert zeta["resolved_by"] == "carol"  # the name comes back from "You are"


def test_log_page_resolve_form_is_reset_after_a_write(monkeypatch, two_overdue):
    at = goto(open_app(monkeypatch, two_overdue, viewer="ann"), "log")
    at.selectbox(key="res_question").select("gamma")
    at.selectbox(key="res_outcome").select("no")
    at.date_input(key="res_resolved_on").set_value(today() - timedelta(days=4))
    at.text_input(key="res_evidence").input("https://example.org/gamma-2")
    at.checkbox(key="res_correct").check()
    at.text_input(key="res_reason").input("misread the report")
    at.button(key="res_submit").click().run()
    assert not at.error and "Corrected gamma" in at.success[0].value
    assert at.text_input(key="res_evidence").value == ""
    assert at.text_input(key="res_reason").value == ""
    assert at.checkbox(key="res_correct").value is False
    assert at.date_input(key="res_resolved_on").value == today()

    at.selectbox(key="res_question").select("zeta")
    at.button(key="res_submit").click().run()
    assert not at.error and "Resolved zeta" in at.success[0].value
    zeta = resolution(two_overdue, "zeta")
    assert (zeta["evidence"], zeta["reason"], zeta["supersedes"]) == (None, None, None)
    assert zeta["resolved_on"] == today()


def test_log_page_forecast_and_question_forms_are_reset_after_a_write(monkeypatch, small):
    at = goto(open_app(monkeypatch, small, viewer="dee"), "log")
    at.selectbox(key="fc_question").select("alpha")
    at.text_input(key="fc_probability").input("30%")
    at.text_input(key="fc_rationale").input("a reason for alpha")
    at.button(key="fc_submit").click().run()
    assert not at.error
    assert at.text_input(key="fc_probability").value == ""
    assert at.text_input(key="fc_rationale").value == ""
    at.selectbox(key="fc_question").select("html-q")
    at.text_input(key="fc_probability").input("60%")
    at.button(key="fc_submit").click().run()
    assert not at.error
    assert [f["rationale"] for f in forecasts_of(small, "alpha", "dee")] == ["a reason for alpha"]
    assert [f["rationale"] for f in forecasts_of(small, "html-q", "dee")] == [None]

    at.text_area(key="add_text").input("Will theta ship?")
    at.text_input(key="add_tags").input("tech")
    at.text_input(key="add_probability").input("0.4")
    at.button(key="add_submit").click().run()
    assert not at.error and "Added question will\\-theta\\-ship" in at.success[0].value
    assert at.text_area(key="add_text").value == ""
    assert at.text_input(key="add_tags").value == ""
    assert at.text_input(key="add_probability").value == ""


def test_every_form_that_writes_names_the_keys_to_reset():
    """A form added later (e.g. another tab of Log / resolve) must reset itself too."""
    calls = 0
    for page in sorted((ROOT / "dashboard" / "app_pages").glob("*.py")):
        tree = ast.parse(page.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "ui.write":
                calls += 1
                keys = {kw.arg: kw.value for kw in node.keywords}
                assert "form_keys" in keys, f"{page.name}:{node.lineno}: ui.write without form_keys"
                assert isinstance(keys["form_keys"], ast.Constant) and keys["form_keys"].value
    assert calls >= 5


def test_blind_form_is_reset_after_a_write(monkeypatch, small):
    at = goto(open_app(monkeypatch, small, viewer="eve"), "blind")
    at.text_input(key="blind_probability").input("35%")
    at.text_input(key="blind_rationale").input("my own view")
    at.button(key="blind_submit").click().run()
    assert not at.error and "Logged eve" in at.success[0].value
    assert at.text_input(key="blind_probability").value == ""
    assert at.text_input(key="blind_rationale").value == ""


# -- refusals name the dashboard's fields -----------------------------------------------------

def log_resolve(at, qid: str, *, correct=False, reason="", on=None, evidence=""):
    at.selectbox(key="res_question").select(qid)
    at.date_input(key="res_resolved_on").set_value(on or today())
    at.text_input(key="res_evidence").input(evidence)
    at.checkbox(key="res_correct").set_value(correct)
    at.text_input(key="res_reason").input(reason)
    at.button(key="res_submit").click().run()


def log_forecast(at, qid: str, p: str, made_at: str = ""):
    at.selectbox(key="fc_question").select(qid)
    at.text_input(key="fc_probability").input(p)
    at.text_input(key="fc_made_at").input(made_at)
    at.button(key="fc_submit").click().run()


def add_question(at, text: str, qid: str = "", tags: str = ""):
    at.text_area(key="add_text").input(text)
    at.text_input(key="add_id").input(qid)
    at.text_input(key="add_tags").input(tags)
    at.button(key="add_submit").click().run()


LOG_CASES = {
    # name: (how to drive the log page, words the message must hold)
    "correct without a reason": (lambda at: log_resolve(at, "gamma", correct=True),
                                 ["Reason for the correction"]),
    "resolve a resolved question": (lambda at: log_resolve(at, "gamma"),
                                    ["This corrects the current resolution",
                                     "Reason for the correction"]),
    "correct an unresolved question": (lambda at: log_resolve(at, "alpha", correct=True,
                                                              reason="why"),
                                       ["This corrects the current resolution"]),
    "resolved in the future": (lambda at: log_resolve(at, "alpha", on=today() + timedelta(3)),
                               ["Resolved on", "pick today or an earlier date"]),
    "a link without a scheme": (lambda at: log_resolve(at, "alpha", evidence="example.org/x"),
                                ["Evidence link"]),
    "a bad probability": (lambda at: log_forecast(at, "alpha", "110%"), ["Probability"]),
    "made in the future": (lambda at: log_forecast(at, "alpha", "0.3", day(5)), ["Made at"]),
    "the same moment twice": (lambda at: log_forecast(at, "alpha", "0.3", day(-20)),
                              ["Made at"]),
    "after the outcome": (lambda at: log_forecast(at, "gamma", "0.3"),
                          ["Open / due / overdue page"]),
    "an id that is taken": (lambda at: add_question(at, "Will alpha ship?", qid="alpha"),
                            ["Id", "Add or update a forecast"]),
    "no question text": (lambda at: add_question(at, ""), ["Question"]),
    "a tag too long": (lambda at: add_question(at, "Will kappa ship?", tags="t" * 51),
                       ["Tags (item 1)"]),
}


@pytest.mark.parametrize("case", list(LOG_CASES))
def test_log_page_refusals_name_its_fields_not_cli_flags(monkeypatch, small, case):
    drive, words = LOG_CASES[case]
    at = goto(open_app(monkeypatch, small, viewer="ann"), "log")
    drive(at)
    shown = errors(at)
    assert len(shown) == 1, shown
    assert not FLAG.search(shown[0]), shown[0]
    for word in words:
        assert word in shown[0], (word, shown[0])
    assert not at.success


def test_open_page_refusals_name_its_fields_not_cli_flags(monkeypatch, small):
    at = goto(open_app(monkeypatch, small, viewer="ann"), "open")
    at.text_input(key="overdue_evidence").input("example.org/x")
    at.button(key="overdue_submit").click().run()
    shown = errors(at)
    assert len(shown) == 1 and "Evidence link" in shown[0], shown
    assert not FLAG.search(shown[0]), shown[0]
    assert at.text_input(key="overdue_evidence").value == "example.org/x"  # kept to fix


def test_blind_page_refusals_name_its_fields_not_cli_flags(monkeypatch, small):
    at = goto(open_app(monkeypatch, small, viewer="eve"), "blind")
    at.text_input(key="blind_probability").input("lots")
    at.button(key="blind_submit").click().run()
    shown = errors(at)
    assert len(shown) == 1 and "Probability" in shown[0], shown
    assert not FLAG.search(shown[0]), shown[0]
