"""Blind questions stay blind across members of a team ledger, even with psql: the server's
row-level security withholds others' forecasts on a blind question from a member until they
have logged their own, so their replica never holds them either; the chain still verifies
(on the server for all of it, in the replica for what it holds). Real PostgreSQL 15."""

from __future__ import annotations

import json

import duckdb
import psycopg
from test_team_cli import ok

from ledger.ingest.actions import add_forecast, add_question
from ledger.storage import pg
from ledger.storage.replica import TeamLedger, replica_path

FORECASTS = "SELECT body::jsonb ->> 'forecaster' FROM forecast_ledger.entries " \
            "WHERE kind = 'forecast' ORDER BY seq"


def _blind(team) -> None:
    add_question(TeamLedger(team.url("alice")), "Will the blind question stay blind?",
                 resolve_by="2030-01-01", forecaster="alice", probability="0.83",
                 qid="blind-q", blind=True, opened="2026-01-01")
    add_question(TeamLedger(team.url("alice")), "Will the open question be seen?",
                 resolve_by="2030-01-01", forecaster="alice", probability="0.61",
                 qid="open-q", opened="2026-01-01")


def _psql(team, user: str) -> list[str]:
    with psycopg.connect(team.url(user)) as con:
        return [who for (who,) in con.execute(FORECASTS).fetchall()]


def test_a_member_cannot_read_others_blind_forecasts_with_psql_until_forecasting(team):
    _blind(team)
    assert _psql(team, "bob") == ["alice"]  # open-q's only: blind-q's is withheld
    with psycopg.connect(team.url("bob")) as con:
        assert con.execute("SELECT count(*) FROM forecast_ledger.entries WHERE body LIKE "
                           "'%0.83%'").fetchone() == (0,)
    add_forecast(TeamLedger(team.url("bob")), "blind-q", 0.2, forecaster="bob")
    assert _psql(team, "bob") == ["alice", "alice", "bob"]
    assert _psql(team, "carol") == ["alice"]  # carol has not forecast it: still blind to her
    assert _psql(team, "fl_admin") == ["alice", "alice", "bob"]


def test_a_members_replica_never_holds_withheld_forecasts_and_still_verifies(team):
    _blind(team)
    bob = team.url("bob")
    ok(bob, "verify")
    con = duckdb.connect(str(replica_path(bob)), read_only=True)
    try:
        bodies = [b for (b,) in con.execute("SELECT body FROM entries").fetchall()]
        assert not [b for b in bodies if '"probability":0.83' in b]
        assert con.execute("SELECT count(*) FROM blocks").fetchone() == (4,)
    finally:
        con.close()
    listed = {q["id"]: q["forecasts"] for q in json.loads(ok(bob, "list", "--json"))}
    assert listed["blind-q"] == [] and [f["probability"] for f in listed["open-q"]] == [0.61]
    # Once bob forecasts, his next sync fetches what is now revealed, checked against its
    # block, and the replica is whole again: an ordinary ledger file that verifies.
    ok(bob, "forecast", "blind-q", "--p", "0.2")
    ok(bob, "sync")
    listed = {q["id"]: q["forecasts"] for q in json.loads(ok(bob, "list", "--json"))}
    assert sorted(f["probability"] for f in listed["blind-q"]) == [0.2, 0.83]
    from ledger.storage.store import Ledger

    assert Ledger(replica_path(bob)).verify()[0] == 5


def test_the_server_verifies_the_whole_chain_for_a_member_who_cannot_see_all_of_it(team):
    _blind(team)
    with psycopg.connect(team.url("carol")) as con:
        assert pg.verify_server(con)[0] == 4
    with psycopg.connect(team.url(), autocommit=True) as con:  # a superuser edits a hidden body
        con.execute("ALTER TABLE forecast_ledger.entries DISABLE TRIGGER append_only")
        con.execute("UPDATE forecast_ledger.entries SET body = replace(body, '0.83', '0.84') "
                    "WHERE seq = 2")
        con.execute("ALTER TABLE forecast_ledger.entries ENABLE TRIGGER append_only")
    from click.testing import CliRunner

    from ledger.faces.cli import cli

    result = CliRunner().invoke(cli, ["--db", team.url("carol"), "verify"])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: server chain: entries #2..#2 do not match their block's hash (")
