"""A writer process for the team-ledger concurrency test and benchmark: ``THREADS`` connections
(threads, each its own TeamLedger and replica) each add a question and log ``N`` forecasts.

    python tests/team_writer.py URL REPLICA_DIR N THREADS

Prints one JSON line: the role, the forecasts logged and the seconds taken.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from ledger.ingest.actions import add_forecast, add_question
from ledger.storage.replica import TeamLedger


def write(url: str, replica: Path, thread: int, n: int, out: list) -> None:
    led = TeamLedger(url, replica=replica)
    role = led.identity()
    qid = add_question(led, f"Will writer {role} thread {thread} finish?", qid=f"q-{role}-{thread}",
                       resolve_by="2030-01-01", forecaster=role, opened="2026-01-01")
    start = datetime(2026, 1, 1, 0, 0)
    for i in range(n):
        made = (start + timedelta(minutes=i)).isoformat() + "+00:00"
        add_forecast(led, qid, round(0.01 + (i % 98) / 100, 2), forecaster=role, made_at=made,
                     rationale=f"{role}/{thread}/{i}")
    led.close()
    out.append(n)


def main() -> None:
    url, replicas, n, threads = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    role = TeamLedger(url, replica=replicas / "probe.duckdb").identity()
    done: list = []
    started = time.perf_counter()
    workers = [threading.Thread(target=write, args=(url, replicas / f"{role}-{t}.duckdb", t, n,
                                                    done)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(json.dumps({"role": role, "forecasts": sum(done),
                      "seconds": time.perf_counter() - started}), flush=True)
    sys.exit(0 if len(done) == threads else 1)


if __name__ == "__main__":
    main()
