"""Concurrent use: writers and a dashboard-style reader share one ledger file and lose nothing.

DuckDB lets one process at a time hold the file; every operation opens a short connection and
retries with backoff while another process holds it (store.py ``_open``). Two writer processes
log 200 forecasts each through the library (each call opens and closes its own connection, as a
CLI command does) while a third process reads the way the dashboard does; then the real console
script does the same with 2 x 20 invocations. A lock held for longer than
``FORECAST_LEDGER_LOCK_TIMEOUT`` gives one clear message naming the holder's PID.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import DATA, console_script, run_script

from ledger.ingest.importer import import_paths
from ledger.storage.store import Ledger

pytestmark = pytest.mark.slow

QID = "sample-price-rises"  # open in good.yaml, resolve-by 2027-12-31

WRITER = textwrap.dedent("""\
    import sys
    from datetime import datetime, timedelta
    from ledger.ingest.actions import add_forecast
    from ledger.storage.store import Ledger

    db, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    start = datetime(2026, 2, 1)
    for i in range(count):
        made_at = (start + timedelta(minutes=i)).isoformat() + "+00:00"
        add_forecast(Ledger(db), "__QID__", f"{(i % 99 + 1) / 100}", forecaster=name,
                     made_at=made_at, rationale=f"{name} #{i}")
    print("done", count)
""").replace("__QID__", QID)

READER = textwrap.dedent("""\
    import json, sys, time
    from pathlib import Path
    from ledger.reports.queries import list_questions
    from ledger.storage.store import Ledger
    from ledger.storage.verify import verify

    db, stop = sys.argv[1], Path(sys.argv[2])
    reads = verified = 0
    seen = []
    while not stop.exists():
        with Ledger(db).connect() as con:  # a short-lived connection, like each dashboard rerun
            found = list_questions(con)
            n = con.execute("SELECT count(*) FROM forecasts").fetchall()[0][0]
            if reads % 10 == 0:
                verify(con)  # a reader never sees half a write
                verified += 1
        assert {q["id"] for q in found} >= {"sample-ships", "__QID__"}, found
        seen.append(n)
        reads += 1
        if reads == 1:
            print("ready", flush=True)  # one verified read done: the test starts the writers
        time.sleep(0.05)  # a busy dashboard: some twenty reruns a second
    assert seen == sorted(seen), "a reader saw the number of forecasts go down"
    print(json.dumps({"reads": reads, "verified": verified, "first": seen[0], "last": seen[-1]}))
""").replace("__QID__", QID)


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "FORECAST_LEDGER_LOCK_TIMEOUT": "60", **extra}


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    db = tmp_path / "shared.duckdb"
    import_paths(Ledger(db), [DATA / "good.yaml"])
    return db


def _forecasts(db: Path) -> list[tuple]:
    with Ledger(db).connect() as con:
        return con.execute("SELECT forecaster, probability, rationale FROM forecasts "
                           "WHERE forecaster LIKE 'writer%' ORDER BY seq").fetchall()


def test_two_writers_and_a_reader_lose_nothing(shared, tmp_path):
    writer, reader = tmp_path / "writer.py", tmp_path / "reader.py"
    writer.write_text(WRITER)
    reader.write_text(READER)
    stop = tmp_path / "stop"
    started = time.monotonic()
    read = subprocess.Popen([sys.executable, str(reader), str(shared), str(stop)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    # Wait on the reader's signal, not on time: on a loaded machine it may take seconds to
    # start, and the writers could otherwise be done before it read anything.
    assert read.stdout.readline().strip() == "ready", read.stderr.read()
    writers = [subprocess.Popen([sys.executable, str(writer), str(shared), f"writer{w}", "200"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=_env()) for w in (1, 2)]
    try:
        outs = [w.communicate(timeout=300) for w in writers]
    finally:
        stop.touch()  # the writers are done (or failed): the reader stops after its next read
        read_out, read_err = read.communicate(timeout=120)
    elapsed = time.monotonic() - started
    for w, (out, err) in zip(writers, outs, strict=True):
        assert w.returncode == 0, err
        assert out.strip() == "done 200"
    assert read.returncode == 0, read_err
    reads = json.loads(read_out)
    assert reads["reads"] > 0 and reads["verified"] > 0
    assert 4 <= reads["first"] <= reads["last"] <= 4 + 400

    rows = _forecasts(shared)
    assert len(rows) == 400
    for w in ("writer1", "writer2"):
        mine = [r for r in rows if r[0] == w]
        assert [r[2] for r in mine] == [f"{w} #{i}" for i in range(200)]  # in order, no gaps
        assert [r[1] for r in mine] == [(i % 99 + 1) / 100 for i in range(200)]
    verified = run_script("--db", str(shared), "verify")
    assert verified.returncode == 0, verified.stderr
    # good.yaml holds 8 entries: a source, 2 questions, 4 forecasts, a resolution
    assert verified.stdout.startswith(f"ok: {8 + 400} entries, hash chain intact")
    print(f"\n400 library writes + {reads['reads']} reads ({reads['verified']} verified "
          f"mid-flight) in {elapsed:.1f} s")


def test_two_cli_writers_with_the_real_console_script(shared):
    def loop(name: str) -> list[subprocess.CompletedProcess]:
        return [run_script("--db", str(shared), "--as", name, "forecast", QID, "--p",
                           f"{i + 1}%", "--at", f"2026-03-01T10:{i:02d}:00+00:00",
                           env={"FORECAST_LEDGER_LOCK_TIMEOUT": "60"})
                for i in range(20)]

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(loop, ["writer-a", "writer-b"]))
    for name, done in zip(["writer-a", "writer-b"], results, strict=True):
        for i, r in enumerate(done):
            assert r.returncode == 0, r.stderr
            assert r.stdout.strip() == f"logged {name}'s forecast {i + 1}% on {QID} (2026-03-01)"
    with Ledger(shared).connect() as con:
        got = con.execute("SELECT forecaster, count(*) FROM forecasts WHERE forecaster LIKE "
                          "'writer-%' GROUP BY ALL ORDER BY 1").fetchall()
    assert got == [("writer-a", 20), ("writer-b", 20)]
    assert run_script("--db", str(shared), "verify").returncode == 0


HOLDER = textwrap.dedent("""\
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
    print("holding", flush=True)
    time.sleep(float(sys.argv[3]))
    con.close()
""")


def _hold(tmp_path: Path, db: Path, mode: str, seconds: float) -> subprocess.Popen:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    holder = subprocess.Popen([sys.executable, str(script), str(db), mode, str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


@pytest.mark.parametrize("mode", ["rw", "ro"])
def test_a_held_lock_fails_after_the_timeout_naming_the_holder(shared, tmp_path, mode):
    before = _forecasts(shared)
    holder = _hold(tmp_path, shared, mode, 60)
    try:
        started = time.monotonic()
        result = subprocess.run(
            [console_script(), "--db", str(shared), "--as", "x", "forecast", QID, "--p", "0.5"],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "FORECAST_LEDGER_LOCK_TIMEOUT": "1.5"})
        waited = time.monotonic() - started
        listed = run_script("--db", str(shared), "list",
                            env={"FORECAST_LEDGER_LOCK_TIMEOUT": "0.5"})
    finally:
        holder.terminate()
        holder.wait(timeout=30)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"error: another process (PID {holder.pid}) holds the ledger {shared} and did not let "
        "go within 1.5 s (close the other forecast-ledger command or dashboard, or try again)")
    assert 1.5 <= waited < 15  # bounded: it retried for the timeout, then gave up
    assert listed.returncode == 1
    assert re.fullmatch(rf"error: another process \(PID {holder.pid}\) holds the ledger .* "
                        r"within 0\.5 s \(.*\)", listed.stderr.strip())
    assert _forecasts(shared) == before


def test_a_lock_held_briefly_is_waited_for(shared, tmp_path):
    holder = _hold(tmp_path, shared, "rw", 1.0)
    try:
        result = run_script("--db", str(shared), "--as", "patient", "forecast", QID, "--p", "0.4",
                            env={"FORECAST_LEDGER_LOCK_TIMEOUT": "30"})
    finally:
        holder.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"logged patient's forecast 40% on {QID}")
