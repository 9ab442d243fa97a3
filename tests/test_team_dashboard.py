"""The dashboard on a team ledger (FORECAST_LEDGER_DB=postgresql://...), under AppTest, against
a real PostgreSQL 15: who you are comes from the connection, forms write to the server as that
role, other members' writes show on the next interaction, blind questions stay blind."""

from __future__ import annotations

import psycopg
from test_dashboard import goto, open_app

from ledger.ingest.actions import add_forecast, add_question
from ledger.storage.replica import TeamLedger


def test_the_sidebar_shows_the_connections_identity_and_no_name_box(monkeypatch, team):
    add_question(TeamLedger(team.url("alice")), "Will the dashboard know me?",
                 resolve_by="2030-01-01", forecaster="alice", qid="know-me")
    at = open_app(monkeypatch, team.url("bob"), viewer="alice")  # the env name is ignored
    assert "You are **bob** (your database role)" in [m.value for m in at.sidebar.markdown]
    assert not [t for t in at.sidebar.text_input if t.label == "You are"]


def test_a_form_writes_to_the_server_as_the_connection_and_sees_others_writes(monkeypatch,
                                                                             team):
    alice = TeamLedger(team.url("alice"))
    add_question(alice, "Will the team dashboard write?", resolve_by="2030-01-01",
                 forecaster="alice", qid="writes", opened="2026-01-01")
    at = goto(open_app(monkeypatch, team.url("bob")), "log")
    assert at.text_input(key="fc_forecaster").value == "bob"
    at.selectbox(key="fc_question").select("writes")
    at.text_input(key="fc_probability").input("30%")
    at.button(key="fc_submit").click().run()
    assert not at.error, [e.value for e in at.error]
    with psycopg.connect(team.url()) as con:
        assert con.execute("SELECT written_by, body::jsonb ->> 'probability' FROM "
                           "forecast_ledger.entries WHERE kind = 'forecast'").fetchall() == [
            ("bob", "0.3")]
    # Another member's question appears on the next interaction (the replica syncs).
    add_question(alice, "Will a second question show?", resolve_by="2030-01-01",
                 forecaster="alice", qid="second")
    at.run()
    assert "second: Will a second question show?" in at.selectbox(key="fc_question").options
    # Typing someone else's name is refused by the server, in one line; nothing written.
    at.selectbox(key="fc_question").select("writes")
    at.text_input(key="fc_probability").input("40%")
    at.text_input(key="fc_forecaster").input("alice")
    at.button(key="fc_submit").click().run()
    assert [e.value.replace("\\", "") for e in at.error] == [
        "the server refused: bob may not write a forecast as alice (on a team ledger you "
        "write as the database role you connected as: leave “Forecaster” as it is)"]
    with psycopg.connect(team.url()) as con:
        assert con.execute("SELECT count(*) FROM forecast_ledger.entries").fetchone() == (3,)


def test_blind_questions_stay_blind_across_members_on_the_dashboard(monkeypatch, team):
    alice = TeamLedger(team.url("alice"))
    add_question(alice, "Will the blind question stay blind?", resolve_by="2030-01-01",
                 forecaster="alice", probability="0.83", qid="blind-q", blind=True,
                 opened="2026-01-01")
    at = goto(open_app(monkeypatch, team.url("bob")), "blind")
    row = at.dataframe[0].value.set_index("id").loc["blind-q"]
    assert "83" not in str(row["others"]) and not row["revealed"]
    add_forecast(TeamLedger(team.url("bob")), "blind-q", 0.2, forecaster="bob")
    at.run()
    row = at.dataframe[0].value.set_index("id").loc["blind-q"]
    assert "83" in str(row["others"]) and row["revealed"]
