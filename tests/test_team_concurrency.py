"""Many writers on one team ledger at once, against a real PostgreSQL 15: 8 writer processes on
2 connections each, 100 forecasts per connection, while a replica syncs and the dashboard reads.
Every forecast is there exactly once, and the chain verifies on the server and in every
replica."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from pg_server import ADMIN
from test_dashboard import goto, open_app

from ledger.storage import pg
from ledger.storage.replica import TeamLedger

WRITERS, CONNECTIONS, EACH = 8, 2, 100
HERE = Path(__file__).resolve().parent


@pytest.mark.slow
def test_eight_writers_on_two_connections_each_append_every_forecast_once(team, tmp_path,
                                                                          monkeypatch):
    roles = [f"w{i}" for i in range(WRITERS)]
    with psycopg.connect(team.url(ADMIN), autocommit=True) as con:
        for role in roles:
            con.execute(f"DROP ROLE IF EXISTS {role}")
    with psycopg.connect(team.url(ADMIN), autocommit=True) as con:
        for role in roles:
            con.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{role}-secret'")
    pg.init(team.url(), members=roles)
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    writers = []
    for role in roles:
        folder = tmp_path / role
        folder.mkdir()
        url = team.url().replace(f"{ADMIN}:admin-secret", f"{role}:{role}-secret")
        writers.append(subprocess.Popen(
            [sys.executable, str(HERE / "team_writer.py"), url, str(folder), str(EACH),
             str(CONNECTIONS)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env))
    # Meanwhile a replica syncs and the dashboard reads, over and over.
    syncing = TeamLedger(team.url("alice"), replica=tmp_path / "syncing.duckdb")
    at = goto(open_app(monkeypatch, team.url("bob")), "open")
    syncs = reads = 0
    seen = []
    while any(w.poll() is None for w in writers):
        seen.append(syncing.sync().server)
        syncs += 1
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        reads += 1
        time.sleep(0.2)
    outputs = [w.communicate(timeout=60) for w in writers]
    for w, (out, err) in zip(writers, outputs, strict=True):
        assert w.returncode == 0, err
        assert json.loads(out)["forecasts"] == CONNECTIONS * EACH
    assert syncs > 1 and reads > 1 and seen == sorted(seen)

    with psycopg.connect(team.url()) as con:
        rows = con.execute("SELECT body::jsonb ->> 'rationale', written_by FROM "
                           "forecast_ledger.entries WHERE kind = 'forecast'").fetchall()
        total, _head = pg.verify_server(con)
    expected = {f"{r}/{t}/{i}" for r in roles for t in range(CONNECTIONS) for i in range(EACH)}
    assert sorted(r for r, _ in rows) == sorted(expected)  # each exactly once
    assert all(r.split("/")[0] == who for r, who in rows)  # each by its own writer
    assert total == WRITERS * CONNECTIONS * (EACH + 1)
    replicas = [(team.url().replace(f"{ADMIN}:admin-secret", f"{p.parent.name}:"
                                    f"{p.parent.name}-secret"), p)
                for p in tmp_path.glob("w*/w*-*.duckdb")]
    assert len(replicas) == WRITERS * CONNECTIONS
    for url, path in [*replicas, (team.url("alice"), tmp_path / "syncing.duckdb")]:
        assert TeamLedger(url, replica=path).verify()[0] == total
