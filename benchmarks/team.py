"""Team ledger benchmarks on a real PostgreSQL 15 started for the run (not tests):

- append throughput with 1, 4 and 8 writer processes (one connection each, each logging
  ``--each`` forecasts through the library, as `forecast-ledger forecast` does);
- the time to sync a fresh replica of a ledger of about ``--sync-size`` entries (a Parquet
  import into a ledger file, moved to the server with `copy`).

    .venv/bin/python benchmarks/team.py --each 100 --sync-size 1000000

Figures go to docs/team.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from pg_server import ADMIN, PgServer  # noqa: E402

from ledger.storage import pg  # noqa: E402
from ledger.storage.replica import TeamLedger, copy_ledger  # noqa: E402


def throughput(server: PgServer, writers: int, each: int, work: Path) -> dict:
    import psycopg

    db = server.new_database()
    url = server.url(ADMIN, dbname=db)
    roles = [f"bw{i}" for i in range(writers)]
    with psycopg.connect(url, autocommit=True) as con:
        for role in roles:
            con.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
                        f"'{role}') THEN CREATE ROLE {role} LOGIN PASSWORD '{role}-secret'; "
                        "END IF; END $$")
    pg.init(url, members=roles)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    procs = []
    for role in roles:
        folder = work / f"{db}-{role}"
        folder.mkdir()
        member = url.replace(f"{ADMIN}:admin-secret", f"{role}:{role}-secret")
        procs.append(subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "team_writer.py"), member, str(folder),
             str(each), "1"], stdout=subprocess.PIPE, text=True, env=env))
    results = [json.loads(p.communicate()[0]) for p in procs]
    wall = time.perf_counter() - started
    total = sum(r["forecasts"] for r in results)
    # Each writer's own time excludes interpreter start-up (about a second each).
    busy = max(r["seconds"] for r in results)
    return {"writers": writers, "forecasts": total, "wall_s": round(wall, 1),
            "writing_s": round(busy, 1), "forecasts_per_s": round(total / busy, 1)}


def sync_time(server: PgServer, size: int, work: Path) -> dict:
    sys.path.insert(0, str(HERE))
    from generate import write_flat

    data = work / "flat"
    write_flat(size, data)
    src = work / "src.duckdb"
    cli = Path(sys.executable).parent / "forecast-ledger"
    subprocess.run([str(cli), "--db", str(src), "import", str(data / "forecasts.parquet")],
                   check=True, capture_output=True)
    db = server.new_database()
    url = server.url(ADMIN, dbname=db)
    pg.init(url)
    started = time.perf_counter()
    entries = copy_ledger(str(src), url)
    copied = time.perf_counter() - started
    replica = TeamLedger(url, replica=work / "replica.duckdb")
    report = replica.sync()
    started = time.perf_counter()
    verified = replica.verify()[0]
    verify_s = time.perf_counter() - started
    # An incremental sync with nothing new: what every read pays.
    started = time.perf_counter()
    replica.sync()
    noop = time.perf_counter() - started
    # A member's sync goes through row-level security (the administrator's does not).
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bsync') "
                    "THEN CREATE ROLE bsync LOGIN PASSWORD 'bsync-secret'; END IF; END $$")
    pg.init(url, members=["bsync"])
    member = TeamLedger(url.replace(f"{ADMIN}:admin-secret", "bsync:bsync-secret"),
                        replica=work / "member.duckdb")
    member_sync = member.sync()
    return {"entries": entries, "copy_to_server_s": round(copied, 1),
            "sync_s": round(report.seconds, 1), "member_sync_s": round(member_sync.seconds, 1),
            "member_entries": member_sync.fetched, "verify_s": round(verify_s, 1),
            "verified": verified, "noop_sync_ms": round(noop * 1000, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--each", type=int, default=100, help="forecasts per writer")
    ap.add_argument("--writers", default="1,4,8")
    ap.add_argument("--sync-size", type=int, default=1_000_000,
                    help="forecasts in the ledger to sync (0: skip)")
    args = ap.parse_args()
    server = PgServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            for n in [int(w) for w in args.writers.split(",") if w]:
                print(json.dumps(throughput(server, n, args.each, work)), flush=True)
            if args.sync_size:
                print(json.dumps(sync_time(server, args.sync_size, work)), flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
