"""The same commands on a team ledger (--db postgresql://...), through the CLI's entry point,
against a real PostgreSQL 15: init, identity, sync, verify, copy and export/import round trips."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from click.testing import CliRunner
from conftest import FORECASTS
from pg_server import ADMIN, Team
from test_startup import loaded_after

from ledger.faces.cli import cli
from ledger.storage.replica import replica_path


def fl(db: str, *args: str, who: str | None = None):
    runner = CliRunner()
    extra = ["--as", who] if who else []
    return runner.invoke(cli, ["--db", db, *extra, *args], catch_exceptions=False)


def ok(db: str, *args: str, who: str | None = None) -> str:
    result = fl(db, *args, who=who)
    assert result.exit_code == 0, result.output
    return result.stdout


def server_log(team: Team) -> list[tuple]:
    with psycopg.connect(team.url()) as con:
        return con.execute("SELECT seq, body, written_by FROM forecast_ledger.entries "
                           "ORDER BY seq").fetchall()


def test_init_from_the_cli_is_idempotent_and_refused_on_a_file(team, tmp_path):
    first = ok(team.url(), "init", "--member", "alice")
    assert first == f"team ledger ready on {team.url()[:13]}{ADMIN}@{team.url().split('@')[1]}" \
                    ": 0 entries; members added: alice\n"
    assert ok(team.url(), "init", "--member", "alice") == first
    result = fl(str(tmp_path / "l.duckdb"), "init")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: `init` is for a team ledger; {tmp_path / 'l.duckdb'} is a ledger file "
        "(give --db postgresql://user@host:port/dbname (or FORECAST_LEDGER_DB))\n")
    assert not (tmp_path / "l.duckdb").exists()


def test_members_write_as_their_role_and_read_each_other(team):
    alice, bob = team.url("alice"), team.url("bob")
    assert ok(alice, "add", "Will the team ship by 2030?", "--by", "2030-01-01", "--p", "30%",
              "--id", "ship").startswith("added ship with alice's forecast 30%")
    assert ok(bob, "forecast", "ship", "--p", "0.6").startswith("logged bob's forecast 60%")
    listed = json.loads(ok(alice, "list", "--json"))
    assert {f["forecaster"]: f["probability"] for f in listed[0]["forecasts"]} == {
        "alice": 0.3, "bob": 0.6}
    assert [who for _s, _b, who in server_log(team)] == ["alice", "alice", "bob"]
    assert ok(alice, "resolve", "ship", "yes").startswith("resolved ship: yes")
    shown = json.loads(ok(bob, "show", "ship", "--json"))
    assert shown["resolution_history"][0]["resolved_by"] == "alice"
    verified = ok(bob, "verify")
    assert "4 entries" in verified


def test_as_someone_else_on_a_team_ledger_is_refused_and_nothing_is_written(team):
    alice = team.url("alice")
    ok(alice, "add", "Will the team ship by 2030?", "--by", "2030-01-01", "--id", "ship")
    before = server_log(team)
    result = fl(alice, "forecast", "ship", "--p", "0.6", who="bob")
    assert result.exit_code == 1
    where = alice.replace(":alice-secret", "")
    assert result.stderr == (
        f"error: you are alice on the team ledger {where}; you cannot write as bob "
        "(leave out --as (and FORECAST_LEDGER_FORECASTER), or connect as bob)\n")
    assert server_log(team) == before
    # --as naming yourself is fine
    assert ok(alice, "forecast", "ship", "--p", "0.6", who="alice").startswith("logged alice's")


def test_sync_says_how_far_behind_the_replica_was(team):
    alice, bob = team.url("alice"), team.url("bob")
    ok(alice, "add", "Will the team ship by 2030?", "--by", "2030-01-01", "--id", "ship",
       "--opened", "2026-01-01")
    ok(bob, "sync")
    for p in ("0.1", "0.2", "0.3"):
        ok(alice, "forecast", "ship", "--p", p, "--at", f"2026-01-0{int(float(p) * 10)}")
    status = json.loads(ok(bob, "sync", "--status", "--json"))
    assert (status["before"], status["server"], status["fetched"]) == (1, 4, 0)
    text = ok(bob, "sync")
    assert text.startswith("replica at entry 4 of 4 (was 3 behind); fetched 3 in ")
    assert ok(bob, "sync").startswith("replica at entry 4 of 4 (was 0 behind); fetched 0 in ")


def test_a_replica_that_disagrees_with_the_server_is_moved_aside_and_rebuilt(team, pg_server,
                                                                             monkeypatch):
    alice = team.url("alice")
    ok(alice, "add", "Will the team ship by 2030?", "--by", "2030-01-01", "--id", "ship")
    # Another team ledger's replica (another chain) put where alice's replica lives.
    other = Team(pg_server, team.replicas)
    from ledger.storage import pg

    pg.init(other.url(), members=("alice",))
    ok(other.url("alice"), "add", "Will the other team ship?", "--by", "2030-01-01",
       "--id", "other")
    ok(other.url("alice"), "forecast", "other", "--p", "0.5")
    mine = replica_path(alice)
    mine.unlink()
    replica_path(other.url("alice")).rename(mine)
    text = ok(alice, "sync")
    assert text.startswith("the replica disagreed with the server's chain: moved it to "
                           f"{mine}.diverged-")
    assert text.rstrip().endswith("and rebuilt it; replica at entry 1 of 1 (was 1 behind); "
                                  f"fetched 1 in {text.split('fetched 1 in ')[1].strip()}")
    aside = next(Path(team.replicas).glob("*.diverged-*"))
    assert aside.stat().st_size > 0
    assert [q["id"] for q in json.loads(ok(alice, "list", "--json"))] == ["ship"]


def test_copy_a_ledger_file_to_postgresql_and_back_gives_identical_exports(team, tmp_path):
    src = tmp_path / "src.duckdb"
    ok(str(src), "import", str(FORECASTS))
    ok(str(src), "forecast", "--help")
    exported = ok(str(src), "export", "--reveal-blind")
    assert ok("", "copy", str(src), team.url()).startswith("copied ")
    back = tmp_path / "back.duckdb"
    ok("", "copy", team.url(), str(back))
    assert ok(str(back), "export", "--reveal-blind") == exported
    assert ok(team.url(), "export", "--reveal-blind") == exported
    assert ok(str(back), "verify").split("head")[1] == ok(str(src), "verify").split("head")[1]


def test_a_yaml_export_imported_into_a_team_ledger_exports_back_identically(team, tmp_path):
    src = tmp_path / "src.duckdb"
    ok(str(src), "import", str(FORECASTS))
    backup = tmp_path / "backup.yaml"
    ok(str(src), "export", "--reveal-blind", "--out", str(backup))
    ok(team.url(), "import", str(backup))
    assert ok(team.url(), "export", "--reveal-blind") == backup.read_text()
    # and a member cannot import others' forecasts: the server names who
    other = Team(team.server, team.replicas)
    from ledger.storage import pg

    pg.init(other.url(), members=("alice",))
    result = fl(other.url("alice"), "import", str(backup))
    assert result.exit_code == 1
    assert "may not write a forecast as" in result.stderr
    assert server_log(other) == []


def test_a_file_ledger_never_imports_psycopg(tmp_path):
    db = str(tmp_path / "l.duckdb")
    ok(db, "add", "Will psycopg stay out?", "--by", "2030-01-01", "--id", "out")
    for args in (["list"], ["verify"], ["forecast", "out", "--p", "0.2"], ["--help"]):
        assert loaded_after("--db", db, *args, heavy=("psycopg",)) == []


def test_a_csv_import_on_a_team_ledger_is_sealed_on_the_server_and_verifies(team, tmp_path):
    rows = ["question_id,forecaster,probability,made_at,question,criteria,resolve_by,opened"]
    rows += [f"bulk-{i},alice,0.{i + 1},2026-02-0{i + 1},Will bulk question {i} hold?,"
             f"Yes if it holds,2030-01-01,2026-01-01" for i in range(5)]
    csv = tmp_path / "rows.csv"
    csv.write_text("\n".join(rows) + "\n")
    alice = team.url("alice")
    assert "5 new forecasts" in ok(alice, "import", str(csv))
    with psycopg.connect(team.url()) as con:
        assert con.execute("SELECT first_seq, last_seq FROM forecast_ledger.blocks").fetchall() \
            == [(1, 10)]  # one bulk block, sealed by the same code as in a file
    assert "10 entries" in ok(team.url("bob"), "verify")
    # a row in someone else's name is refused by the server, and nothing is written
    csv.write_text(rows[0] + "\nbulk-9,bob,0.5,2026-02-01,Will bulk question 9 hold?,"
                   "Yes if it holds,2030-01-01,2026-01-01\n")
    result = fl(alice, "import", str(csv))
    assert result.exit_code == 1
    assert result.stderr == ("error: the server refused: alice may not write a forecast as bob "
                             "(on a team ledger you write as your own database role)\n")
    assert len(server_log(team)) == 10


def test_verify_on_a_team_ledger_names_a_body_changed_on_the_server(team):
    alice = team.url("alice")
    ok(alice, "add", "Will the server be tampered with?", "--by", "2030-01-01", "--id", "t",
       "--p", "0.4")
    ok(team.url("bob"), "sync")
    with psycopg.connect(team.url(), autocommit=True) as con:  # a superuser can do anything
        con.execute("ALTER TABLE forecast_ledger.entries DISABLE TRIGGER append_only")
        con.execute("UPDATE forecast_ledger.entries SET body = replace(body, '0.4', '0.9') "
                    "WHERE seq = 2")
        con.execute("ALTER TABLE forecast_ledger.entries ENABLE TRIGGER append_only")
    result = fl(team.url("bob"), "verify")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: server chain: entries #2..#2 do not match their block's hash (the server's log "
        "was changed outside forecast-ledger (by a superuser or the maintenance role); compare "
        "it with a replica, restore it with `copy`)\n")


def test_a_write_on_a_replica_that_disagrees_moves_it_aside_and_appends_on_the_server(
        team, pg_server):
    alice = team.url("alice")
    ok(alice, "add", "Will the team ship by 2030?", "--by", "2030-01-01", "--id", "ship")
    other = Team(pg_server, team.replicas)
    from ledger.storage import pg

    pg.init(other.url(), members=("alice",))
    ok(other.url("alice"), "add", "Will the other team ship?", "--by", "2030-01-01",
       "--id", "other")
    mine = replica_path(alice)
    mine.unlink()
    replica_path(other.url("alice")).rename(mine)
    assert ok(alice, "forecast", "ship", "--p", "0.7").startswith("logged alice's forecast 70%")
    assert [p.name.split(".diverged-")[0] for p in team.replicas.glob("*.diverged-*")] == [
        mine.name]
    assert [q["id"] for q in json.loads(ok(alice, "list", "--json"))] == ["ship"]
    assert "2 entries" in ok(alice, "verify")
