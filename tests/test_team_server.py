"""The team ledger's server keeps the log honest by itself: append-only for members and the
owner alike, the chain's continuity, and identity. Against a real PostgreSQL 15."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from pg_server import ADMIN, Team

from ledger.errors import IdentityRefused, ServerError
from ledger.ingest.actions import add_forecast, add_question
from ledger.storage import pg
from ledger.storage.replica import TeamLedger
from ledger.storage.store import content_hash, link_hash

QUESTION = "Will the team ledger hold?"


def _add(team: Team, user: str = "alice") -> tuple[TeamLedger, str]:
    led = TeamLedger(team.url(user))
    qid = add_question(led, QUESTION, resolve_by="2030-01-01", forecaster=user,
                       probability="60%", opened="2026-01-01")
    return led, qid


def _server_rows(team: Team) -> list[tuple]:
    with psycopg.connect(team.url()) as con:
        return con.execute("SELECT seq, body FROM forecast_ledger.entries ORDER BY seq"
                           ).fetchall() + con.execute(
            "SELECT * FROM forecast_ledger.blocks ORDER BY first_seq").fetchall()


def test_init_twice_leaves_the_same_schema_and_keeps_entries(team):
    _add(team)
    catalog = """SELECT string_agg(c.relname || ':' || c.relkind::text, ',' ORDER BY c.relname)
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'forecast_ledger'"""
    with psycopg.connect(team.url()) as con:
        before = con.execute(catalog).fetchone()
        triggers_before = con.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"
                                      ).fetchone()
    again = pg.init(team.url(), members=("alice",))
    with psycopg.connect(team.url()) as con:
        assert con.execute(catalog).fetchone() == before
        assert con.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"
                           ).fetchone() == triggers_before
    assert again["entries"] == 2


@pytest.mark.parametrize("statement", [
    "UPDATE forecast_ledger.entries SET body = body || ' ' WHERE seq = 1",
    "DELETE FROM forecast_ledger.entries WHERE seq = 2",
    "TRUNCATE forecast_ledger.entries",
    "UPDATE forecast_ledger.blocks SET hash = 'x' WHERE first_seq = 1",
    "DELETE FROM forecast_ledger.blocks",
])
@pytest.mark.parametrize("user", ["alice", ADMIN])
def test_member_and_owner_cannot_update_delete_or_truncate_the_log(team, user, statement):
    _add(team)
    before = _server_rows(team)
    with psycopg.connect(team.url(user)) as con, pytest.raises(
            psycopg.errors.InsufficientPrivilege):
        con.execute(statement)
    assert _server_rows(team) == before


def test_only_the_maintenance_role_set_explicitly_may_change_the_log(team):
    _add(team)
    with psycopg.connect(team.url()) as con:
        con.execute(f"SET ROLE {pg.MAINTENANCE}")
        con.execute("DELETE FROM forecast_ledger.blocks WHERE first_seq = 2")
        assert con.execute("SELECT count(*) FROM forecast_ledger.blocks").fetchone() == (1,)
        con.rollback()


def test_a_member_cannot_insert_a_forecast_under_another_members_name(team):
    led, qid = _add(team)
    before = _server_rows(team)
    bob = TeamLedger(team.url("bob"))
    with pytest.raises(IdentityRefused) as refused:
        add_forecast(bob, qid, 0.3, forecaster="alice")
    assert str(refused.value) == (
        "the server refused: bob may not write a forecast as alice "
        "(on a team ledger you write as your own database role)")
    assert _server_rows(team) == before
    # bob's replica was rolled back with the server: it still verifies at the server's head
    assert bob.verify()[0] == 2


def test_identity_is_checked_by_the_server_even_with_psql(team):
    _led, qid = _add(team)
    with psycopg.connect(team.url("bob")) as con:
        last, head = pg.server_head(con)
        body = ('{"basis":"stated","forecaster":"alice","kind":"forecast","seq":3,'
                f'"subject":"{qid}"}}')
        content = content_hash(body)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="may not write"):
            pg.lock_head(con)
            con.execute("INSERT INTO forecast_ledger.entries (seq, kind, subject, recorded_at, "
                        "body) VALUES (3, 'forecast', %s, now(), %s)", [qid, body])
            con.execute("INSERT INTO forecast_ledger.blocks VALUES (3, 3, %s, %s)",
                        [content, link_hash(head, 3, 3, content)])


def test_the_server_refuses_a_block_that_does_not_link_or_entries_without_a_block(team):
    _add(team)
    before = _server_rows(team)
    body = '{"kind":"source","seq":3}'
    with psycopg.connect(team.url("alice")) as con:
        con.execute("INSERT INTO forecast_ledger.entries (seq, kind, subject, recorded_at, body)"
                    " VALUES (3, 'source', 's', now(), %s)", [body])
        with pytest.raises(psycopg.errors.DataException, match="does not link"):
            con.execute("INSERT INTO forecast_ledger.blocks VALUES (3, 3, %s, %s)",
                        [content_hash(body), "0" * 64])
    with psycopg.connect(team.url("alice")) as con:
        con.execute("INSERT INTO forecast_ledger.entries (seq, kind, subject, recorded_at, body)"
                    " VALUES (3, 'source', 's', now(), %s)", [body])
        with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="without a block"):
            con.commit()
    with psycopg.connect(team.url("alice")) as con, pytest.raises(
            psycopg.errors.SerializationFailure, match="does not follow"):
        con.execute("INSERT INTO forecast_ledger.entries (seq, kind, subject, recorded_at, body)"
                    " VALUES (7, 'source', 's', now(), %s)", [body])
    assert _server_rows(team) == before


def test_a_role_that_is_not_a_member_cannot_append(team, pg_server):
    with psycopg.connect(pg_server.url(ADMIN, dbname=team.dbname), autocommit=True) as con:
        con.execute(f"REVOKE {pg.MEMBER} FROM carol")
    carol = TeamLedger(team.url("carol"))
    with pytest.raises(ServerError, match="permission denied"):
        add_question(carol, QUESTION, resolve_by="2030-01-01", forecaster="carol")


WRITER = """
import os, sys
from ledger.ingest.actions import add_forecast
from ledger.storage import pg
from ledger.storage.replica import TeamLedger

real_insert = pg.insert
def slow_insert(con, rows, blocks):
    # Entries reach the server, then the writer stalls before its blocks (and its commit).
    con.execute("INSERT INTO forecast_ledger.entries (seq, kind, subject, recorded_at, body) "
                "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::timestamp[], "
                "%s::text[])", [list(c) for c in zip(*rows)])
    print("entries sent", flush=True)
    sys.stdin.readline()  # killed here
pg.insert = slow_insert
add_forecast(TeamLedger(sys.argv[1]), sys.argv[2], 0.4, forecaster="alice")
"""


@pytest.mark.slow
def test_killing_a_writer_mid_append_leaves_no_half_entry(team, tmp_path):
    led, qid = _add(team)
    before = _server_rows(team)
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen([sys.executable, str(script), team.url("alice"), qid],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "entries sent"
        # While it holds the lock with its entries inserted, nobody else sees them...
        with psycopg.connect(team.url("bob")) as con:
            assert con.execute("SELECT max(seq) FROM forecast_ledger.entries").fetchone() == (2,)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    # ...and once it is killed the server has rolled it back: the next writer appends at #3.
    deadline = time.monotonic() + 30
    while True:
        try:
            got = add_forecast(led, qid, 0.45, forecaster="alice")
            break
        except ServerError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    assert got["seq"] == 3
    after = _server_rows(team)
    assert [r for r in after if len(r) == 2][:2] == [r for r in before if len(r) == 2]
    with psycopg.connect(team.url()) as con:
        assert pg.verify_server(con)[0] == 3
    assert led.verify()[0] == 3
