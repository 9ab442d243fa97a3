"""The Streamlit dashboard under AppTest, on real DuckDB files: every page shows the library's
figures for the same ledger, forms write through the library and refuse bad input with the
library's message, empty states say what to do next."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import ROOT, snapshot
from streamlit.testing.v1 import AppTest

from ledger.errors import LedgerError
from ledger.format.dates import today
from ledger.ingest import actions
from ledger.ingest.demo import build_demo
from ledger.reports import views
from ledger.reports.queries import counts, list_questions, question_detail
from ledger.reports.render import days_text, forecasts_text
from ledger.storage.store import Ledger

sys.path.insert(0, str(ROOT / "dashboard"))
from ledger_messages import say  # noqa: E402
from ledger_ui import md  # noqa: E402

APP = ROOT / "dashboard" / "streamlit_app.py"
PAGES = ("overview", "open", "resolved", "calibration", "question", "blind", "log")
HTML_TEXT = "<script>window.__pwned=1</script><b>bold</b>"


# -- ledgers --------------------------------------------------------------------------------

def make_small(path: Path) -> Ledger:
    """A small ledger with every status, two forecasters, a blind and an HTML question."""
    led = Ledger(path)
    t = today()

    def day(n: int) -> str:
        return (t + timedelta(days=n)).isoformat()

    def q(text, qid, resolve_by, opened=-60, tags=(), blind=False, forecasts=()):
        actions.add_question(led, text, qid=qid, resolve_by=day(resolve_by), opened=day(opened),
                             forecaster="ann", tags=list(tags), blind=blind)
        for who, p, made in forecasts:
            actions.add_forecast(led, qid, p, forecaster=who, made_at=day(made))

    q("Will alpha ship by the due date?", "alpha", 10, tags=["tech"],
      forecasts=[("ann", "70%", -20), ("bob", 0.4, -10)])
    q("Will beta pass before its deadline?", "beta", -5, tags=["policy"],
      forecasts=[("ann", "20%", -30)])
    q("Will gamma happen this quarter?", "gamma", -3, tags=["tech"],
      forecasts=[("ann", 0.6, -40), ("ann", 0.8, -30), ("bob", 0.3, -30)])
    q("Will delta happen this quarter?", "delta", -2, tags=["science"],
      forecasts=[("ann", 0.1, -40), ("bob", 0.6, -35)])
    q("Will epsilon keep its premise?", "epsilon", -1, forecasts=[("bob", 0.5, -20)])
    q("Will the blind one happen?", "blind-one", 40, blind=True,
      forecasts=[("bob", 0.9, -5)])
    q(HTML_TEXT, "html-q", 100, tags=["tech"])
    actions.resolve(led, "gamma", "yes", resolved_by="ann", resolved_on=day(-4),
                    evidence="https://example.org/gamma")
    actions.resolve(led, "delta", "no", resolved_by="ann", resolved_on=day(-3),
                    evidence="https://example.org/delta")
    actions.resolve(led, "epsilon", "annulled", resolved_by="ann", resolved_on=day(-2))
    return led


@pytest.fixture
def small(tmp_path) -> Ledger:
    return make_small(tmp_path / "small.duckdb")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Ledger:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(path)
    return Ledger(path)


def open_app(monkeypatch, led_or_path, viewer: str | None = None) -> AppTest:
    path = led_or_path.path if isinstance(led_or_path, Ledger) else led_or_path
    monkeypatch.setenv("FORECAST_LEDGER_DB", str(path))
    if viewer is not None:
        monkeypatch.setenv("FORECAST_LEDGER_FORECASTER", viewer)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def goto(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart_data(el) -> dict:
    """The spec of an Altair chart element and its inline datasets as DataFrames."""
    import pyarrow as pa

    spec = json.loads(el.proto.spec)
    data = {}
    for ds in el.proto.datasets:
        data[ds.name] = pa.ipc.open_stream(ds.data.data).read_all().to_pandas()
    return {"spec": spec, "data": data}


def texts(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "text", "caption", "info", "warning", "error", "success",
                 "subheader", "title"):
        parts += [str(e.value) for e in at.get(kind)]
    return "\n".join(parts)


def library_error(fn, *args, **kwargs) -> str:
    """The library's refusal of this call in the dashboard's words (its field labels)."""
    with pytest.raises(LedgerError) as info:
        fn(*args, **kwargs)
    return say(info.value)


# -- router, label, empty states -------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_every_page_without_a_ledger_says_what_to_do(monkeypatch, tmp_path, page):
    at = open_app(monkeypatch, tmp_path / "none.duckdb")
    goto(at, page)
    shown = texts(at)
    assert "forecast-ledger import forecasts/" in shown
    assert not (tmp_path / "none.duckdb").exists()  # looking never creates a ledger


def test_sidebar_names_the_ledger_file_and_demo_label_only_on_demo(monkeypatch, small, demo):
    at = open_app(monkeypatch, small)
    assert at.sidebar.code[0].value == str(small.path.resolve())
    assert "SYNTHETIC DEMO DATA" not in texts(at) + str([e.value for e in at.sidebar.error])
    at = open_app(monkeypatch, demo)
    assert any("SYNTHETIC DEMO DATA" in e.value for e in at.sidebar.error)
    assert any("SYNTHETIC DEMO DATA" in w.value for w in at.warning)
    assert at.sidebar.code[0].value == str(demo.path.resolve())


def test_add_a_first_question_creates_the_ledger(monkeypatch, tmp_path):
    db = tmp_path / "new.duckdb"
    at = open_app(monkeypatch, db, viewer="ann")
    goto(at, "log")
    at.text_area(key="add_text").input("Will the first question work?")
    at.text_input(key="add_tags").input("meta, first")
    at.text_input(key="add_probability").input("3:1")
    at.button(key="add_submit").click().run()
    assert not at.exception
    assert "Added question will-the-first-question-work" in at.success[0].value.replace("\\", "")
    with Ledger(db).connect() as con:
        (q,) = list_questions(con)
    assert q["id"] == "will-the-first-question-work"
    assert list(q["tags"]) == ["meta", "first"]
    assert [(f["forecaster"], f["probability"]) for f in q["forecasts"]] == [("ann", 0.75)]
    Ledger(db).verify()


# -- overview --------------------------------------------------------------------------------

def test_overview_counts_equal_the_library(monkeypatch, demo):
    at = goto(open_app(monkeypatch, demo), "overview")
    with demo.connect() as con:
        c = counts(con)
        qs = list_questions(con)
    timeline = ([q for q in qs if q["status"] == "overdue"][:5]
                + [q for q in qs if q["status"] == "open"][:15])
    shown = metrics(at)
    assert shown["Open"] == str(c["open"])
    assert shown["Due within 30 days"] == str(c["due_soon"])
    assert shown["Overdue"] == str(c["overdue"])
    assert shown["Resolved"] == str(c["resolved"])
    assert shown["Annulled"] == str(c["annulled"])
    (chart,) = at.get("vega_lite_chart")
    data = next(df for df in chart_data(chart)["data"].values() if "id" in df)
    assert list(data["id"]) == [q["id"] for q in timeline]
    assert list(data["resolve_by"]) == [q["resolve_by"].isoformat() for q in timeline]
    assert set(data["status"]) == {"open", "overdue"}


def test_a_write_from_the_cli_shows_on_the_next_interaction(monkeypatch, small):
    at = goto(open_app(monkeypatch, small), "overview")
    assert metrics(at)["Open"] == "3"
    actions.add_question(small, "Will a CLI write show up?", resolve_by=today() + timedelta(5),
                         forecaster="ann")
    at.run()
    assert metrics(at)["Open"] == "4"


# -- open / due / overdue --------------------------------------------------------------------

def test_open_table_equals_the_library_and_filters(monkeypatch, small):
    at = goto(open_app(monkeypatch, small), "open")
    with small.connect() as con:
        expected = [q for q in list_questions(con) if q["status"] in ("open", "overdue")]
        tech = [q["id"] for q in list_questions(con, tag="tech")
                if q["status"] in ("open", "overdue")]
    df = at.dataframe[0].value
    assert list(df["id"]) == [q["id"] for q in expected]
    assert list(df["resolve_by"]) == [q["resolve_by"].isoformat() for q in expected]
    assert list(df["days_left"]) == [q["days_left"] for q in expected]
    assert list(df["when"]) == [days_text(q["status"], q["days_left"]) for q in expected]
    alpha = df.set_index("id").loc["alpha"]
    assert alpha["latest_forecasts"] == forecasts_text(expected[[q["id"] for q in expected]
                                                                .index("alpha")]["forecasts"])
    assert alpha["latest_forecasts"] == "ann 70%, bob 40%"
    assert alpha["tags"] == "tech"
    # the blind question hides bob's probability from a viewer with no forecast on it
    assert "bob" not in df.set_index("id").loc["blind-one"]["latest_forecasts"]
    assert "1 question is overdue" in at.error[0].value
    assert at.get("download_button")

    at.selectbox(key="open_tag").select("tech").run()
    assert list(at.dataframe[0].value["id"]) == tech
    at.selectbox(key="open_forecaster").select("bob").run()
    assert list(at.dataframe[0].value["id"]) == ["alpha"]


def test_open_table_colours_exactly_the_overdue_rows(monkeypatch, small):
    import re

    at = goto(open_app(monkeypatch, small), "open")
    df = at.dataframe[0].value
    css = at.dataframe[0].proto.arrow_data.styler.styles
    red = [rule for rule in css.split("}") if "#fde2e1" in rule]
    cells = {(int(r), int(c)) for rule in red
             for r, c in re.findall(r"row(\d+)_col(\d+)", rule)}
    overdue = [i for i, s in enumerate(df["status"]) if s == "overdue"]
    assert overdue and len(overdue) < len(df)
    assert cells == {(r, c) for r in overdue for c in range(len(df.columns))}


def test_the_open_pages_resolve_form_offers_the_ledgers_outcomes(monkeypatch, small):
    from ledger.rules import OUTCOMES

    at = goto(open_app(monkeypatch, small, viewer="carol"), "open")
    assert at.selectbox(key="overdue_outcome").options == list(OUTCOMES)


def test_resolve_an_overdue_question_from_the_open_page(monkeypatch, small):
    at = goto(open_app(monkeypatch, small, viewer="carol"), "open")
    assert at.selectbox(key="overdue_question").options == ["beta: Will beta pass before its "
                                                            "deadline?"]
    at.selectbox(key="overdue_outcome").select("yes")
    at.date_input(key="overdue_resolved_on").set_value(today() - timedelta(days=1))
    at.text_input(key="overdue_evidence").input("https://example.org/beta")
    at.button(key="overdue_submit").click().run()
    assert not at.exception and not at.error
    assert "Resolved beta as yes" in at.success[0].value
    with small.connect() as con:
        beta = question_detail(con, "beta")
    assert beta["status"] == "resolved" and beta["outcome"] == "yes"
    assert beta["resolved_on"] == today() - timedelta(days=1)
    assert beta["resolution_history"][-1]["resolved_by"] == "carol"
    assert "beta" not in list(at.dataframe[0].value["id"])


def test_resolve_form_shows_the_library_message_for_a_bad_link(monkeypatch, small):
    at = goto(open_app(monkeypatch, small), "open")
    before = snapshot(small.path)
    at.text_input(key="overdue_evidence").input("example.org/no-scheme")
    at.button(key="overdue_submit").click().run()
    expected = library_error(actions.resolve, small, "beta", "annulled", resolved_by=None,
                             evidence="example.org/no-scheme")
    assert [e.value for e in at.error][-1] == md(expected)
    assert snapshot(small.path) == before


# -- log / resolve ---------------------------------------------------------------------------

def test_bad_probability_shows_the_library_message_and_writes_nothing(monkeypatch, small):
    at = goto(open_app(monkeypatch, small, viewer="ann"), "log")
    before = snapshot(small.path)
    at.selectbox(key="fc_question").select("alpha")
    at.text_input(key="fc_probability").input("110%")
    at.button(key="fc_submit").click().run()
    expected = library_error(actions.add_forecast, small, "alpha", "110%", forecaster="ann")
    assert "110% is not between 0 and 1" in expected
    assert [e.value for e in at.error] == [md(expected)]
    assert snapshot(small.path) == before
    assert not at.success


def test_log_a_forecast_writes_through(monkeypatch, small):
    at = goto(open_app(monkeypatch, small, viewer="dee"), "log")
    at.selectbox(key="fc_question").select("alpha")
    at.text_input(key="fc_probability").input("1 in 4")
    at.text_input(key="fc_rationale").input("base rate")
    at.button(key="fc_submit").click().run()
    assert not at.error
    assert "Logged 25% on alpha" in at.success[0].value
    with small.connect() as con:
        alpha = question_detail(con, "alpha")
    dee = [f for f in alpha["forecast_history"] if f["forecaster"] == "dee"]
    assert [(f["probability"], f["rationale"]) for f in dee] == [(0.25, "base rate")]
    small.verify()


def test_resolve_and_correct_from_the_log_page(monkeypatch, small):
    at = goto(open_app(monkeypatch, small, viewer="ann"), "log")
    # correcting without a reason: the library's words
    at.selectbox(key="res_question").select("gamma")
    at.selectbox(key="res_outcome").select("no")
    at.date_input(key="res_resolved_on").set_value(today() - timedelta(days=4))
    at.checkbox(key="res_correct").check()
    at.button(key="res_submit").click().run()
    expected = library_error(actions.resolve, small, "gamma", "no", resolved_by="ann",
                             correct=True)
    assert [e.value for e in at.error] == [md(expected)]
    # resolving again without ticking "corrects": AlreadyResolved's message
    at.checkbox(key="res_correct").uncheck()
    at.button(key="res_submit").click().run()
    expected = library_error(actions.resolve, small, "gamma", "no", resolved_by="ann")
    assert [e.value for e in at.error] == [md(expected)]
    # with a reason the correction is written and supersedes the first resolution
    at.checkbox(key="res_correct").check()
    at.text_input(key="res_reason").input("misread the report")
    at.button(key="res_submit").click().run()
    assert not at.error and "Corrected gamma" in at.success[0].value
    with small.connect() as con:
        hist = question_detail(con, "gamma")["resolution_history"]
    assert [r["outcome"] for r in hist] == ["yes", "no"]
    assert hist[1]["supersedes"] == hist[0]["seq"] and hist[1]["reason"] == "misread the report"


def test_add_question_refusal_shows_the_library_message(monkeypatch, small):
    at = goto(open_app(monkeypatch, small, viewer="ann"), "log")
    before = snapshot(small.path)
    at.text_area(key="add_text").input("Will alpha ship by the due date?")
    at.text_input(key="add_id").input("alpha")
    at.button(key="add_submit").click().run()
    expected = library_error(actions.add_question, small, "Will alpha ship by the due date?",
                             qid="alpha", resolve_by=today() + timedelta(90), forecaster="ann")
    assert [e.value for e in at.error] == [md(expected)]
    assert snapshot(small.path) == before


# -- question page ---------------------------------------------------------------------------

def test_question_page_shows_the_library_detail(monkeypatch, small):
    at = open_app(monkeypatch, small)
    at.query_params["id"] = "gamma"
    goto(at, "question")
    with small.connect() as con:
        q = question_detail(con, "gamma")
    assert at.selectbox(key="question_id").value == "gamma"
    assert at.text[0].value == q["criteria"]
    forecasts, resolutions, entries = (d.value for d in at.dataframe)
    assert list(forecasts["forecaster"]) == [f["forecaster"] for f in q["forecast_history"]]
    assert list(forecasts["shown"]) == ["60%", "80%", "30%"]
    assert list(resolutions["outcome"]) == ["yes"]
    assert list(resolutions["resolved_on"]) == [(today() - timedelta(days=4)).isoformat()]
    assert list(resolutions["evidence"]) == ["https://example.org/gamma"]
    assert list(entries["seq"]) == [e["seq"] for e in q["entries"]]
    assert list(entries["hash"]) == [e["hash"] for e in q["entries"]]
    (chart,) = at.get("vega_lite_chart")
    c = chart_data(chart)
    assert c["spec"]["mark"]["interpolate"] == "step-after"
    data = next(iter(c["data"].values()))
    assert sorted(data["probability"]) == [0.3, 0.6, 0.8]
    assert not at.warning  # not edited after forecasts


def test_question_page_flags_an_edit_after_forecasts(monkeypatch, demo):
    with demo.connect() as con:
        edited = [r[0] for r in con.execute(
            "SELECT id FROM current_questions WHERE edited_after_forecast ORDER BY id")
            .fetchall()]
    at = open_app(monkeypatch, demo)
    at.query_params["id"] = edited[0]
    goto(at, "question")
    assert at.selectbox(key="question_id").value == edited[0]
    assert any("edited after forecasts" in w.value for w in at.warning)


def test_html_in_question_text_is_shown_as_text(monkeypatch, small):
    at = open_app(monkeypatch, small)
    at.query_params["id"] = "html-q"
    goto(at, "question")
    heading = at.subheader[0].value
    assert heading == md(HTML_TEXT)
    assert "<script>" not in heading  # escaped: markdown shows it literally
    assert at.text[0].value == HTML_TEXT  # criteria default to the question, as plain text
    goto(at, "open")
    assert HTML_TEXT in list(at.dataframe[0].value["question"])


# -- blind forecasting -----------------------------------------------------------------------

def test_blind_question_hides_others_until_the_viewer_logs(monkeypatch, small):
    at = goto(open_app(monkeypatch, small, viewer="zoe"), "blind")
    row = at.dataframe[0].value.set_index("id").loc["blind-one"]
    assert row["others"] == "hidden until you log yours" and not row["revealed"]
    with small.connect() as con:
        hidden = list_questions(con, viewer="zoe")
    assert next(q for q in hidden if q["id"] == "blind-one")["hidden"]
    at.selectbox(key="blind_question").select("blind-one")
    at.text_input(key="blind_probability").input("65%")
    at.button(key="blind_submit").click().run()
    assert not at.error and "Logged zoe" in at.success[0].value
    row = at.dataframe[0].value.set_index("id").loc["blind-one"]
    assert row["revealed"] and row["your_forecast"] == "65%"
    assert row["others"] == "bob 90%"


def test_blind_page_without_a_name_hides_everything(monkeypatch, small):
    at = goto(open_app(monkeypatch, small), "blind")
    assert "You are" in at.warning[0].value
    row = at.dataframe[0].value.set_index("id").loc["blind-one"]
    assert row["others"] == "hidden until you log yours"
    expected = views.run(small.path, "blind_table", viewer=None)
    assert at.dataframe[0].value.to_dict("list") == expected.to_dict("list")


# -- scores: overview, resolved, calibration -------------------------------------------------

def test_overview_scores_equal_the_report(monkeypatch, demo):
    from ledger.scoring.report import score_report

    at = goto(open_app(monkeypatch, demo), "overview")
    with demo.connect() as con:
        overall = score_report(con)["overall"]
    shown = metrics(at)
    assert shown["Brier score"] == f"{overall['brier']:.3f}"
    assert shown["Log score"] == f"{overall['log_score']:.3f}"
    assert shown["Scored forecasts (n)"] == str(overall["n"])


def test_overview_without_resolutions_says_what_to_do(monkeypatch, tmp_path):
    led = Ledger(tmp_path / "l.duckdb")
    actions.add_question(led, "Will anything resolve?", resolve_by=today() + timedelta(9),
                         forecaster="ann", probability="50%")
    at = goto(open_app(monkeypatch, led), "overview")
    assert "Brier score" not in metrics(at)
    assert any("forecast-ledger demo" in i.value for i in at.info)


def test_resolved_page_equals_the_report(monkeypatch, small):
    from ledger.scoring.report import score_report

    at = goto(open_app(monkeypatch, small), "resolved")
    with small.connect() as con:
        rep = score_report(con, by="forecaster")
    shown = metrics(at)
    assert shown["Resolved yes/no"] == "2"
    assert shown["Ambiguous or annulled"] == "1"
    assert shown["Scored forecasts (n)"] == str(rep["overall"]["n"]) == "4"
    assert shown["Brier score"] == f"{rep['overall']['brier']:.3f}"
    assert shown["Log score"] == f"{rep['overall']['log_score']:.3f}"
    by, table = (d.value for d in at.dataframe)
    assert list(by["forecaster"]) == [g["group"] for g in rep["groups"]]
    assert list(by["brier"]) == pytest.approx([g["brier"] for g in rep["groups"]])
    rows = {(r.id, r.forecaster): r for r in table.itertuples()}
    # ann's final forecast on gamma was 80% and gamma happened: Brier (0.8 - 1)^2
    assert rows[("gamma", "ann")].probability == "80%"
    assert rows[("gamma", "ann")].brier == pytest.approx(0.04)
    assert rows[("gamma", "bob")].brier == pytest.approx(0.49)
    assert rows[("delta", "bob")].log_score == pytest.approx(-__import__("math").log(0.4))
    assert rows[("gamma", "ann")].evidence == "https://example.org/gamma"
    assert rows[("gamma", "ann")].resolved_on == (today() - timedelta(days=4)).isoformat()
    assert rows[("epsilon", "")].outcome == "annulled"
    assert rows[("epsilon", "")].probability == "not scored"
    assert list(table["id"]) == ["epsilon", "delta", "delta", "gamma", "gamma"]

    at.selectbox(key="res_forecaster").select("bob").run()
    with small.connect() as con:
        bob = score_report(con, forecaster="bob")["overall"]
    assert metrics(at)["Brier score"] == f"{bob['brier']:.3f}"
    table = at.dataframe[-1].value
    assert set(table["forecaster"]) == {"bob", ""}  # "": bob's annulled question, not scored
    assert list(table[table["forecaster"] == ""]["id"]) == ["epsilon"]


@pytest.mark.parametrize("forecaster", [None, ("ann",), ("ann", "bob")])
def test_resolved_view_scores_equal_the_report_with_relative_scores(demo, forecaster):
    from ledger.scoring.report import score_report

    with demo.connect() as con:
        names = con.execute("SELECT DISTINCT forecaster FROM forecasts ORDER BY 1 LIMIT 2"
                            ).fetchall()
        chosen = None if forecaster is None else tuple(n for (n,) in names[:len(forecaster)])
        view = views.resolved_view(con, forecaster=chosen)
        rep = score_report(con, by="forecaster",
                           forecaster=None if chosen is None else list(chosen))
    assert view["overall"] == rep["overall"]
    if chosen is not None:
        assert view["overall"]["n_shared"] > 0  # relative scores against everyone else
    assert list(view["by_forecaster"]["forecaster"]) == [g["group"] for g in rep["groups"]]
    assert list(view["by_forecaster"]["relative"]) == pytest.approx(
        [g["relative"] for g in rep["groups"]], nan_ok=True)


def test_resolved_page_empty_state(monkeypatch, tmp_path):
    led = Ledger(tmp_path / "l.duckdb")
    actions.add_question(led, "Will anything resolve?", resolve_by=today() + timedelta(9),
                         forecaster="ann")
    at = goto(open_app(monkeypatch, led), "resolved")
    assert "No resolved questions yet" in at.info[0].value
    assert "forecast-ledger demo" in at.info[0].value


def _bins_chart(at):
    for el in at.get("vega_lite_chart"):
        c = chart_data(el)
        for df in c["data"].values():
            if "observed_frequency" in df.columns:
                return c, df
    raise AssertionError("no reliability diagram")


def test_calibration_page_equals_the_report(monkeypatch, demo):
    from ledger.scoring.report import calibration_over_time, calibration_report

    at = goto(open_app(monkeypatch, demo), "calibration")
    with demo.connect() as con:
        rep = calibration_report(con)
        over = calibration_over_time(con, window=50)
    shown = metrics(at)
    assert shown["Scored forecasts (n)"] == str(rep["n"])
    assert shown["Bins shown"] == str(len(rep["bins"]))
    assert shown["Brier score"] == f"{rep['brier']:.3f}"
    table = at.dataframe[0].value
    assert list(table["count"]) == [b["count"] for b in rep["bins"]]
    assert list(table["observed_frequency"]) == pytest.approx(
        [b["observed_frequency"] for b in rep["bins"]])
    assert table["bin"].iloc[0] == "[0%, 10%)" and table["bin"].iloc[-1] == "[90%, 100%]"
    spec, data = _bins_chart(at)
    assert list(data["wilson_low"]) == pytest.approx([b["wilson_low"] for b in rep["bins"]])
    assert list(data["count"]) == [b["count"] for b in rep["bins"]]
    layers = spec["spec"]["layer"]
    assert {"line", "rule", "circle"} <= {(lay["mark"]["type"] if isinstance(lay["mark"], dict)
                                           else lay["mark"]) for lay in layers}
    assert "half-open [a, b)" in texts(at)
    shown_text = texts(at)
    for key in ("reliability", "resolution", "uncertainty"):
        assert f"`{rep['murphy'][key]:.4f}`" in shown_text
    for key in ("mcb", "dsc", "unc"):
        assert f"**{key.upper()}** `{rep['corp'][key]:.4f}`" in shown_text
    trend = [chart_data(el) for el in at.get("vega_lite_chart")]
    over_df = next(df for c in trend for df in c["data"].values() if "resolved_on" in df)
    assert list(over_df["brier"]) == pytest.approx([p["brier"] for p in over["points"]])
    assert at.get("download_button")


def test_calibration_options_follow_the_report(monkeypatch, demo):
    from ledger.scoring.report import calibration_report

    at = goto(open_app(monkeypatch, demo), "calibration")
    alice = "demo-alice (synthetic)"
    at.multiselect(key="cal_forecasters").select(alice)
    at.selectbox(key="cal_strategy").select("quantile")
    at.slider(key="cal_bins").set_value(5)
    at.toggle(key="cal_corp").set_value(True)
    at.run()
    assert not at.exception
    with demo.connect() as con:
        rep = calibration_report(con, n_bins=5, strategy="quantile", forecaster=[alice])
    assert list(at.dataframe[0].value["count"]) == [b["count"] for b in rep["bins"]]
    assert metrics(at)["Scored forecasts (n)"] == str(rep["n"])
    assert at.dataframe[0].value["bin"].iloc[-1].endswith("]")
    curves = [df for el in at.get("vega_lite_chart")
              for df in chart_data(el)["data"].values() if list(df.columns) == ["x", "y"]]
    assert any(len(df) == len(rep["corp"]["curve"]) for df in curves)

    # choosing a bin lists exactly the forecasts counted in it
    chosen = at.dataframe[0].value["bin"].iloc[2]
    at.selectbox(key="cal_bin").select(chosen).run()
    inside = at.dataframe[1].value
    assert len(inside) == rep["bins"][2]["count"]
    assert set(inside["forecaster"]) == {alice}

    # a date range on the resolution date
    since = today() - timedelta(days=200)
    at.date_input(key="cal_since").set_value(since).run()
    with demo.connect() as con:
        rep = calibration_report(con, n_bins=5, strategy="quantile", forecaster=[alice],
                                 since=since)
    assert metrics(at)["Scored forecasts (n)"] == str(rep["n"])


def test_calibration_bins_partition_the_forecasts(monkeypatch, demo):
    """Every bin's listed forecasts number its count, for each strategy: the stated edges are
    the report's."""
    from ledger.scoring.report import calibration_report

    for strategy in ("uniform", "quantile", "corp"):
        view = views.run(demo.path, "calibration_view", strategy=strategy, n_bins=7)
        with demo.connect() as con:
            rep = calibration_report(con, strategy=strategy, n_bins=7)
        total = 0
        for row in view["bins"].itertuples():
            inside = views.run(demo.path, "forecasts_in_bin", lower=row.lower,
                               upper=row.upper, closed=row.closed)
            assert len(inside) == row.count
            total += row.count
        assert total == rep["n_forecasts"]


def test_calibration_empty_state(monkeypatch, small, tmp_path):
    led = Ledger(tmp_path / "l.duckdb")
    actions.add_question(led, "Will anything resolve?", resolve_by=today() + timedelta(9),
                         forecaster="ann", probability=0.5)
    at = goto(open_app(monkeypatch, led), "calibration")
    assert "Calibration appears once some questions resolve" in at.info[0].value
    assert "forecast-ledger demo" in at.info[0].value
    at = goto(open_app(monkeypatch, small), "calibration")
    at.selectbox(key="cal_tag").select("policy").run()
    assert "No scored forecasts match these filters" in at.info[0].value


@pytest.mark.parametrize("rows", [1, 7, 10_000])
def test_resolved_view_with_rows_builds_the_first_rows_of_the_whole_table(demo, rows):
    with demo.connect() as con:
        whole = views.resolved_view(con)
        some = views.resolved_view(con, rows=rows)
    assert whole["n_rows"] == some["n_rows"] == len(whole["table"]) > 7
    expected = whole["table"].head(rows).reset_index(drop=True)
    assert some["table"].reset_index(drop=True).equals(expected)
    assert some["overall"] == whole["overall"]
