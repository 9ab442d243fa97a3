"""Benchmark runner: prints a table of medians and writes docs/benchmarks.md.

    .venv/bin/python benchmarks/run.py                 # 10k, 100k, 1M
    .venv/bin/python benchmarks/run.py --sizes 10k,100k,1m,10m --repeat 3

Not part of the test suite: figures are reported, never asserted. Every comparison is a ratio
measured in the same run on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
PY = sys.executable
CLI = str(Path(PY).parent / "forecast-ledger")
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}


def timed(cmd: list[str], repeat: int, env: dict | None = None) -> tuple[float, int]:
    """Median wall time of ``cmd`` over ``repeat`` runs, and the peak RSS (KiB) of the last."""
    times = []
    peak = 0
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ,
                                                                          **(env or {})})
        elapsed = time.perf_counter() - t
        if done.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{done.stderr[-2000:]}")
        times.append(elapsed)
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    return statistics.median(times), peak


def peak_rss(cmd: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one run, measured by a fresh wrapper process."""
    probe = ("import resource, subprocess, sys, time, json; t = time.perf_counter(); "
             "r = subprocess.run(sys.argv[1:], capture_output=True); "
             "print(json.dumps([time.perf_counter() - t, r.returncode, "
             "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))")
    out = subprocess.run([PY, "-c", probe, *cmd], capture_output=True, text=True, check=True)
    elapsed, code, kib = json.loads(out.stdout)
    if code:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return elapsed, kib


def ensure_data(label: str, n: int) -> Path:
    out = DATA / label
    flat = out / "flat" / "forecasts.parquet"
    yaml_dir = out / "yaml"
    if not flat.exists() or (n <= 100_000 and not yaml_dir.exists()):
        args = [PY, str(HERE / "generate.py"), str(n), str(out)]
        if n > 100_000:
            args.append("--no-yaml")
        print(f"generating {label} ...", file=sys.stderr)
        subprocess.run(args, check=True)
    return out


def ledger_for(label: str, data: Path, repeat: int) -> tuple[Path, float]:
    db = DATA / f"{label}.duckdb"
    for suffix in ("", ".wal"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    t = time.perf_counter()
    subprocess.run([CLI, "--db", str(db), "import", str(data / "flat" / "forecasts.parquet")],
                   check=True, capture_output=True)
    return db, time.perf_counter() - t


def baseline_pandas_sklearn(db: Path) -> float:
    """The same final-mode Brier, log score and 10-bin calibration table with pandas and
    scikit-learn on data already in memory (load time excluded)."""
    code = f"""
import time, duckdb, numpy as np
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.calibration import calibration_curve
con = duckdb.connect({str(db)!r}, read_only=True)
df = con.execute('''SELECT f.question_id, f.forecaster, f.probability, f.made_at, f.seq,
                           r.outcome FROM forecasts_flagged f JOIN current_resolutions r
                    USING (question_id) WHERE r.outcome IN ('yes','no') AND NOT f.late''').df()
t = time.perf_counter()
df = df.sort_values(['made_at', 'seq'])
final = df.groupby(['question_id', 'forecaster'], sort=False).tail(1)
y = (final['outcome'] == 'yes').to_numpy().astype(int)
p = final['probability'].to_numpy()
brier_score_loss(y, p); log_loss(y, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1])
calibration_curve(y, p, n_bins=10)
for _, g in final.groupby('forecaster'):
    yy = (g['outcome'] == 'yes').to_numpy().astype(int)
    brier_score_loss(yy, g['probability'].to_numpy())
print(time.perf_counter() - t)
"""
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def in_memory_ours(db: Path) -> float:
    """The library's numpy cores (``score_arrays`` and ``calibration_arrays``, every figure
    the CLI prints) on the arrays ``scored_forecasts`` returns; the SQL selection that fills
    those arrays is excluded, as loading is for pandas."""
    code = f"""
import time, duckdb
from ledger.report import calibration_arrays, score_arrays, scored_forecasts
con = duckdb.connect({str(db)!r}, read_only=True)
data = scored_forecasts(con, mode="final")
t = time.perf_counter()
score_arrays(data, by="forecaster", mode="final")
calibration_arrays(data, n_bins=10, mode="final")
print(time.perf_counter() - t)
"""
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def dashboard_render(db: Path, page: str) -> float:
    """Seconds for a page's first AppTest run (cold cache) on ``db``: the render, not the
    server start."""
    code = f"""
import os, time
os.environ["FORECAST_LEDGER_DB"] = {str(db)!r}
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({str(ROOT / "dashboard" / "streamlit_app.py")!r}, default_timeout=300)
at.run()
t = time.perf_counter()
at.switch_page("app_pages/{page}.py").run()
assert not at.exception, at.exception
print(time.perf_counter() - t)
"""
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10k,100k,1m")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = ap.parse_args()
    labels = [s.strip().lower() for s in args.sizes.split(",")]
    rows: list[tuple[str, str, str, str]] = []

    def record(what: str, size: str, seconds: float | None, note: str = "") -> None:
        shown = f"{seconds:.3f}" if seconds is not None else "-"
        rows.append((what, size, shown, note))
        print(f"{what:<48} {size:>6} {shown:>9} s  {note}", file=sys.stderr)

    # Cold start, against `python -c "import duckdb"` in the same run.
    base, _ = timed([PY, "-c", "import duckdb"], args.repeat * 2)
    record('python -c "import duckdb" (reference)', "-", base)
    helpt, _ = timed([CLI, "--help"], args.repeat * 2)
    record("forecast-ledger --help", "-", helpt, f"{helpt / base:.2f}x the reference")

    for label in labels:
        n = SIZES[label]
        data = ensure_data(label, n)
        db, import_s = ledger_for(label, data, args.repeat)
        record("import Parquet", label, import_s, f"{n / import_s:,.0f} forecasts/s")
        if label == "10k":
            listt, _ = timed([CLI, "--db", str(db), "list"], args.repeat * 2)
            record("forecast-ledger list", label, listt, f"{listt / base:.2f}x the reference")
        if (data / "yaml").exists():
            files = sorted((data / "yaml").glob("*.yaml"))
            parse_code = ("import sys, yaml\n"
                          "for f in sys.argv[1:]:\n"
                          "    yaml.load(open(f), Loader=yaml.CSafeLoader)")
            parse_s, _ = timed([PY, "-c", parse_code, *map(str, files)], max(args.repeat // 2, 1))
            ydb = DATA / f"{label}-yaml.duckdb"
            ytimes = []
            for _ in range(max(args.repeat // 2, 1)):
                ydb.unlink(missing_ok=True)
                t = time.perf_counter()
                subprocess.run([CLI, "--db", str(ydb), "import", str(data / "yaml")], check=True,
                               capture_output=True)
                ytimes.append(time.perf_counter() - t)
            yaml_s = statistics.median(ytimes)
            record("parse YAML only (CSafeLoader, reference)", label, parse_s)
            record("import YAML", label, yaml_s, f"{yaml_s / parse_s:.2f}x parse only")
        verify_s, _ = timed([CLI, "--db", str(db), "verify"], 1)
        record("verify", label, verify_s)
        final_score = 0.0
        for mode in ("final", "time-averaged"):
            s, kib = peak_rss([CLI, "--db", str(db), "score", "--mode", mode, "--json"])
            if mode == "final":
                final_score = s
            record(f"score --mode {mode}", label, s, f"peak RSS {kib / 1024:,.0f} MiB")
            c, kib = peak_rss([CLI, "--db", str(db), "calibration", "--mode", mode, "--json"]
                              if mode != "final" else
                              [CLI, "--db", str(db), "calibration", "--json"])
            record(f"calibration --mode {mode}", label, c, f"peak RSS {kib / 1024:,.0f} MiB")
        if label in ("100k", "1m"):
            for page in ("calibration", "open"):
                record(f"dashboard {page} page render (AppTest)", label,
                       dashboard_render(db, page))
        ours = in_memory_ours(db)
        theirs = baseline_pandas_sklearn(db)
        record("in memory: pandas + scikit-learn (final, reference)", label, theirs)
        record("in memory: our numpy cores (final, by forecaster)", label, ours,
               f"{theirs / ours:.1f}x faster than the reference")
        record("score --mode final, whole CLI run vs reference", label, final_score,
               f"{theirs / final_score:.2f}x the reference's speed")

    write_doc(Path(args.out), rows, args)


def write_doc(path: Path, rows: list, args: argparse.Namespace) -> None:
    import duckdb
    import numpy
    import yaml

    lines = [
        "# Benchmarks",
        "",
        "Produced by `.venv/bin/python benchmarks/run.py "
        f"--sizes {args.sizes} --repeat {args.repeat}` (medians; not part of the tests).",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        f"- Python {platform.python_version()}, duckdb {duckdb.__version__}, "
        f"numpy {numpy.__version__}, PyYAML {yaml.__version__} "
        f"(libyaml: {hasattr(yaml, 'CSafeLoader')})",
        "",
        "| what | size | seconds | note |",
        "| --- | --- | ---: | --- |",
        *(f"| {w} | {s} | {t} | {n} |" for w, s, t, n in rows),
        "",
    ]
    path.write_text("\n".join(lines))
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
