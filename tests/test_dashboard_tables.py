"""The dashboard's tables and empty pages under AppTest on real ledger files: the open and
resolved tables link each row to its question page and are sized to fit without sideways
scrolling; a page whose filters match nothing says which, apart from an empty ledger; the Log
page refuses a question already in the ledger until told to add it anyway."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from conftest import run_script, snapshot
from test_dashboard import goto, make_small, metrics, open_app, texts

from ledger.format.dates import today
from ledger.reports.queries import list_questions
from ledger.storage.store import Ledger

#: The width of the page's main column at a 1300 px window with the sidebar open
#: (measured in chromium: tests/test_browser_tables.py checks the real thing).
MAIN_WIDTH = 838


@pytest.fixture
def small(tmp_path):
    return make_small(tmp_path / "small.duckdb")


def shown_columns(el) -> dict[str, dict]:
    """The configuration of each column a dataframe shows, by name."""
    config = json.loads(el.proto.columns)
    return {name: config[name] for name in el.proto.column_order}


@pytest.mark.parametrize(("page", "index"), [("open", 0), ("resolved", 1)])
def test_every_row_links_to_its_question_page(monkeypatch, small, page, index):
    at = goto(open_app(monkeypatch, small), page)
    el = at.dataframe[index]
    link = shown_columns(el)["link"]
    assert link["label"] == "id"
    assert link["type_config"] == {"type": "link", "display_text": r"question\?id=(.*)"}
    df = el.value
    assert len(df) > 0
    assert list(df["link"]) == [f"question?id={qid}" for qid in df["id"]]


def test_the_link_opens_the_question_it_names(monkeypatch, small):
    at = open_app(monkeypatch, small)
    at.query_params["id"] = "delta"
    goto(at, "question")
    assert at.selectbox(key="question_id").value == "delta"
    assert "Will delta happen this quarter?" in texts(at)


@pytest.mark.parametrize(("page", "index"), [("open", 0), ("resolved", 1)])
def test_tables_are_sized_to_fit_1300px_and_wrap_their_text(monkeypatch, small, page, index):
    at = goto(open_app(monkeypatch, small), page)
    el = at.dataframe[index]
    columns = shown_columns(el)
    assert all(isinstance(c.get("width"), int) for c in columns.values()), columns
    assert sum(c["width"] for c in columns.values()) <= MAIN_WIDTH
    assert "question" in columns
    assert el.proto.row_height > 64  # Streamlit wraps text only in rows taller than 4rem


def test_probabilities_are_in_the_shown_columns(monkeypatch, small):
    at = goto(open_app(monkeypatch, small), "open")
    df = at.dataframe[0].value.set_index("id")
    assert "latest_forecasts" in shown_columns(at.dataframe[0])
    assert df.loc["alpha", "latest_forecasts"] == "ann 70%, bob 40%"
    assert df.loc["alpha", "due"] == f"{today() + timedelta(days=10)} (10d left)"
    at = goto(open_app(monkeypatch, small), "resolved")
    df = at.dataframe[1].value
    assert "forecast" in shown_columns(at.dataframe[1])
    assert set(df[df["id"] == "delta"]["forecast"]) == {"ann 10%", "bob 60%"}


# -- filters that match nothing, and an empty ledger --------------------------------------------

def test_open_page_names_the_filters_that_matched_nothing(monkeypatch, small):
    at = goto(open_app(monkeypatch, small), "open")
    at.selectbox(key="open_tag").select("science").run()  # delta, resolved
    assert at.info[0].value == ("No open or overdue questions tagged science. Clear a filter "
                                "to see more, or add a question on the **Log / resolve** page.")


def test_resolved_page_names_the_filters_that_matched_nothing(monkeypatch, small):
    at = goto(open_app(monkeypatch, small), "resolved")
    at.selectbox(key="res_tag").select("policy").run()
    at.selectbox(key="res_forecaster").select("ann").run()
    assert at.info[0].value == ("No resolved questions by ann, tagged policy. Clear a filter "
                                "to see more.")


def test_calibration_page_names_the_filters_that_matched_nothing(monkeypatch, small):
    at = goto(open_app(monkeypatch, small), "calibration")
    at.selectbox(key="cal_tag").select("policy").run()
    assert at.info[0].value == (
        "No scored forecasts match these filters (tagged policy): only forecasts on questions "
        "resolved yes or no are scored. Widen them.")


@pytest.mark.parametrize("page", ["open", "resolved", "calibration"])
def test_an_empty_ledger_is_not_a_filter_that_matched_nothing(monkeypatch, tmp_path, page):
    led = Ledger(tmp_path / "empty.duckdb")
    with led.transaction(create=True):
        pass
    at = goto(open_app(monkeypatch, led), page)
    assert at.info[0].value.startswith("The ledger has no questions yet.")


def test_everything_resolved_is_not_a_filter_that_matched_nothing(monkeypatch, tmp_path):
    from ledger.ingest import actions

    led = Ledger(tmp_path / "done.duckdb")
    actions.add_question(led, "Will it be over soon?", qid="over",
                         resolve_by=today() + timedelta(3), forecaster="ann",
                         opened=today() - timedelta(5))
    actions.resolve(led, "over", "yes", resolved_by="ann")
    at = goto(open_app(monkeypatch, led), "open")
    assert at.info[0].value.startswith("No open or overdue questions: every question has "
                                       "resolved.")


# -- the Log page: a question already in the ledger -------------------------------------------

def add(at, text: str, anyway: bool = False):
    at.text_area(key="add_text").input(text)
    if anyway:
        at.checkbox(key="add_allow_similar").check()
    at.button(key="add_submit").click().run()


def test_log_page_refuses_the_same_question_and_names_it(monkeypatch, small):
    before = snapshot(small.path)
    at = goto(open_app(monkeypatch, small, viewer="ann"), "log")
    add(at, "will alpha ship by the due date")
    shown = [str(e.value).replace("\\", "") for e in at.error]
    assert shown == [
        "Question: the same text is already in the ledger as 'alpha' (\"Will alpha ship by the "
        "due date?\") (tick “Add it even though a question with the same text exists” to add "
        "it anyway, or log a forecast on it under “Add or update a forecast”)"]
    assert snapshot(small.path) == before


def test_log_page_adds_it_anyway_when_ticked_and_says_the_id_was_taken(monkeypatch, small):
    at = goto(open_app(monkeypatch, small, viewer="ann"), "log")
    add(at, "Will alpha ship by the due date?", anyway=True)
    assert not at.error, [e.value for e in at.error]
    with small.connect() as con:
        ids = [q["id"] for q in list_questions(con)]
    assert "will-alpha-ship-by-the-due-date" in ids  # its own slug was free
    add(at, "Will alpha ship by the due date?", anyway=True)
    assert at.success[0].value.replace("\\", "") == (
        "Added question will-alpha-ship-by-the-due-date-2 (the id "
        "will-alpha-ship-by-the-due-date was taken).")


def test_resolved_page_shows_the_most_recent_rows_and_says_how_many_it_left_out(
        monkeypatch, tmp_path):
    """A ledger of more scored forecasts than the table shows: the page shows the first
    TABLE_ROWS rows (most recent resolution first), says so, and the metrics count them all."""
    rows = ["question_id,question,criteria,resolve_by,opened,forecaster,probability,made_at,"
            "outcome,resolved_on"]
    for q in range(3):  # question 2 resolves last: its rows come first
        rows += [f"q{q},Will event {q} happen?,Yes if event {q} happens.,2025-0{q + 1}-28,"
                 f"2024-01-01,f{i:04d},0.{i % 9 + 1},2024-06-01,yes,2025-0{q + 1}-28"
                 for i in range(2_000)]
    (tmp_path / "many.csv").write_text("\n".join(rows) + "\n")
    done = run_script("--db", str(tmp_path / "many.duckdb"), "import",
                      str(tmp_path / "many.csv"))
    assert done.returncode == 0, done.stderr
    at = goto(open_app(monkeypatch, tmp_path / "many.duckdb"), "resolved")
    df = at.dataframe[1].value
    assert len(df) == 5_000
    assert list(df["id"][:2_000]) == ["q2"] * 2_000 and set(df["id"][4_000:]) == {"q0"}
    assert ("Showing the 5,000 most recent of 6,000 rows: choose a forecaster, tag or source "
            "above to narrow them, or download the CSV for all.") in texts(at)
    assert metrics(at)["Scored forecasts (n)"] == "6000"
