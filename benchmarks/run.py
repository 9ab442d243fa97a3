"""Benchmark runner: prints a table of medians and writes docs/benchmarks.md.

    .venv/bin/python benchmarks/run.py                 # 10k, 100k, 1M
    .venv/bin/python benchmarks/run.py --sizes 10k,100k,1m,10m --repeat 3

Not part of the test suite: timings are reported, never asserted. Every comparison is a ratio
measured in the same run on the same machine; the pandas + scikit-learn reference's scores are
asserted equal to the CLI's (to 1e-9), so that the two compared did the same work.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


def interleaved(cmds: list[list[str]], repeat: int) -> list[float]:
    """Median wall time of each command, run round-robin so that a busy moment of the machine
    falls on all of them alike (the cold-start ratios compare commands measured this way)."""
    times: list[list[float]] = [[] for _ in cmds]
    for _ in range(repeat):
        for i, cmd in enumerate(cmds):
            t = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            times[i].append(time.perf_counter() - t)
    return [statistics.median(t) for t in times]


def peak_rss(cmd: list[str]) -> tuple[float, int, float]:
    """Wall time, peak RSS (KiB) and CPU seconds (user + system, all threads) of one run,
    measured by a fresh wrapper process."""
    probe = ("import resource, subprocess, sys, time, json; t = time.perf_counter(); "
             "r = subprocess.run(sys.argv[1:], capture_output=True); "
             "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
             "print(json.dumps([time.perf_counter() - t, r.returncode, u.ru_maxrss, "
             "u.ru_utime + u.ru_stime]))")
    out = subprocess.run([PY, "-c", probe, *cmd], capture_output=True, text=True, check=True)
    elapsed, code, kib, cpu = json.loads(out.stdout)
    if code:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return elapsed, kib, cpu


def measured(cmd: list[str], repeat: int) -> tuple[float, int, float]:
    """Median wall time, the largest peak RSS and the median CPU time of ``repeat`` runs."""
    runs = [peak_rss(cmd) for _ in range(repeat)]
    return (statistics.median(r[0] for r in runs), max(r[1] for r in runs),
            statistics.median(r[2] for r in runs))


#: The data shapes (benchmarks/generate.py): ``deep``, about 20 forecasts a question by 5
#: forecasters who update; ``wide``, 50k questions x 200 forecasters with one or two forecasts a
#: pair (a platform export). Measures of the wide shape are named with " (wide)".
SHAPES = ("deep", "wide")


def ensure_data(label: str, n: int, shape: str = "deep") -> Path:
    out = DATA / (label if shape == "deep" else f"{label}-{shape}")
    flat = out / "flat" / "forecasts.parquet"
    yaml_dir = out / "yaml"
    if not flat.exists() or (shape == "deep" and n <= 100_000 and not yaml_dir.exists()):
        args = [PY, str(HERE / "generate.py"), str(n), str(out), "--shape", shape]
        if n > 100_000 or shape != "deep":
            args.append("--no-yaml")
        print(f"generating {label} ...", file=sys.stderr)
        subprocess.run(args, check=True)
    return out


def ledger_for(label: str, data: Path, repeat: int) -> tuple[Path, float, int, float]:
    """A fresh ledger of ``label`` imported from Parquet ``repeat`` times: the last one, and
    the import's median wall time, largest peak RSS and median CPU time."""
    db = DATA / f"{label}.duckdb"
    runs = []
    for _ in range(repeat):
        for suffix in ("", ".wal"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        runs.append(peak_rss([CLI, "--db", str(db), "import",
                              str(data / "flat" / "forecasts.parquet")]))
    return (db, statistics.median(r[0] for r in runs), max(r[1] for r in runs),
            statistics.median(r[2] for r in runs))


#: The modes the ledger scores in; the reference selects each one itself.
MODES = ("final", "first", "time-averaged")

# The reference: pandas and scikit-learn doing the whole of `forecast-ledger score`'s work on
# the ledger's tables already loaded into DataFrames (loading is not timed): the current
# resolution and question version, the late rule, the pick of each (question, forecaster)'s
# final / first forecast or its time-averaged segments, then the scores. Its figures are held
# equal to the CLI's, so the two did the same work.
REFERENCE = r"""
import json, sys, time
import duckdb, numpy as np, pandas as pd
from sklearn.metrics import brier_score_loss, log_loss

EPS = 1e-15
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SET enable_progress_bar = false")  # it prints to stdout on long queries
forecasts = con.execute("SELECT question_id, forecaster, probability, made_on, made_at, seq, "
                        "recorded_at FROM forecasts").df()
resolutions = con.execute("SELECT question_id, seq, outcome, resolved_on, recorded_at "
                          "FROM resolutions").df()
questions = con.execute("SELECT id, version, reference_probability FROM questions").df()
con.close()


def select(mode):
    res = resolutions.sort_values("seq")
    current = res.drop_duplicates("question_id", keep="last").set_index("question_id")
    current = current[["outcome", "resolved_on"]].assign(
        first_recorded_at=res.groupby("question_id")["recorded_at"].min())
    qs = questions.sort_values("version")
    latest = qs.drop_duplicates("id", keep="last").set_index("id")
    latest = latest[qs.groupby("id")["version"].min() == 1]  # a question with a first version
    scope = current[current["outcome"].isin(["yes", "no"])].join(
        latest["reference_probability"], how="inner")
    f = forecasts.merge(scope, left_on="question_id", right_index=True)
    f = f[~((f["recorded_at"] > f["first_recorded_at"]) | (f["made_on"] > f["resolved_on"]))]
    f = f.sort_values(["question_id", "forecaster", "made_on", "made_at", "seq"])
    pair = ["question_id", "forecaster"]
    if mode != "time-averaged":
        f = f.drop_duplicates(pair, keep="last" if mode == "final" else "first")
        return f.assign(weight=1.0)
    # Of one day's forecasts the last stands; each stands until the next one's day, the last
    # through the resolution day; weight: its days over the pair's days.
    f = f.drop_duplicates([*pair, "made_on"], keep="last")
    by = f.groupby(pair, sort=False)["made_on"]
    until = by.shift(-1).fillna(f["resolved_on"] + pd.Timedelta(days=1))
    days = (until - f["made_on"]).dt.days
    pair_days = (f["resolved_on"] - by.transform("first")).dt.days + 1
    return f.assign(weight=days / pair_days)


def scores(f):
    y = (f["outcome"] == "yes").to_numpy().astype(int)
    p = f["probability"].to_numpy()
    w = f["weight"].to_numpy()
    brier = brier_score_loss(y, p, sample_weight=w)
    base = float(np.average(y, weights=w))
    ref = f["reference_probability"].to_numpy()
    has = ~np.isnan(ref)
    vs_ref = None
    if has.any():
        ref_brier = brier_score_loss(y[has], ref[has], sample_weight=w[has])
        if ref_brier > 0:
            vs_ref = 1 - brier_score_loss(y[has], p[has], sample_weight=w[has]) / ref_brier
    pairs = ["question_id", "forecaster"]
    return {
        "n": int(len(f.drop_duplicates(pairs))),
        "n_questions": int(f["question_id"].nunique()),
        "n_forecasts": int(len(f)),
        "brier": brier,
        "log_score": log_loss(y, np.clip(p, EPS, 1 - EPS), sample_weight=w, labels=[0, 1]),
        "log_clipped": int(np.count_nonzero((p < EPS) | (p > 1 - EPS))),
        "base_rate": base,
        "mean_forecast": float(np.average(p, weights=w)),
        "brier_skill": 1 - brier / (base * (1 - base)) if 0 < base < 1 else None,
        "brier_skill_vs_50": 1 - brier / 0.25,
        "brier_skill_vs_reference": vs_ref,
        "n_reference": int(len(f[has].drop_duplicates(pairs))),
    }


out = {}
for mode in sys.argv[3:]:
    times = []
    for _ in range(int(sys.argv[2])):  # a median: one run is at the mercy of a busy moment
        t = time.perf_counter()
        result = scores(select(mode))
        times.append(time.perf_counter() - t)
    out[mode] = {"seconds": sorted(times)[len(times) // 2], "overall": result}
print(json.dumps(out))
"""


def baseline_pandas_sklearn(db: Path, runs: int = 3,
                            modes: tuple[str, ...] = MODES) -> dict[str, dict]:
    """Per mode, the reference's median seconds over ``runs`` runs (selection and scores from
    data in memory) and its overall figures: ``{mode: {"seconds", "overall"}}``."""
    out = subprocess.run([PY, "-c", REFERENCE, str(db), str(runs), *modes], capture_output=True,
                         text=True)
    if out.returncode:
        raise SystemExit(f"reference failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def cli_overall(db: Path, mode: str) -> dict:
    """``forecast-ledger score --mode MODE --json``'s overall figures (not timed)."""
    done = subprocess.run([CLI, "--db", str(db), "score", "--mode", mode, "--json"],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["overall"]


def assert_same_scores(ours: dict, theirs: dict, where: str, tol: float = 1e-9) -> None:
    """Every figure of the reference equal to the CLI's (counts exactly, scores to ``tol``):
    the two did the same work, so their times compare."""
    for key, value in theirs.items():
        mine = ours[key]
        if mine is None or value is None:
            same = mine is None and value is None
        elif isinstance(value, int):
            same = mine == value
        else:
            same = abs(mine - value) <= tol
        if not same:
            raise SystemExit(f"{where}: the reference's {key} is {value!r}, the CLI's {mine!r}")


def in_memory_ours(db: Path) -> float:
    """The library's numpy cores (``score_arrays`` and ``calibration_arrays``, every figure
    the CLI prints) on the arrays ``scored_forecasts`` returns; the SQL selection that fills
    those arrays is excluded. Not like for like with the reference, which selects too."""
    code = f"""
import time, duckdb
from ledger.scoring.report import calibration_arrays, score_arrays
from ledger.scoring.selection import scored_forecasts
con = duckdb.connect({str(db)!r}, read_only=True)
con.execute("SET enable_progress_bar = false")
data = scored_forecasts(con, mode="final")
times = []
for _ in range(3):  # the median of three: one run is at the mercy of a busy moment
    t = time.perf_counter()
    score_arrays(data, by="forecaster", mode="final")
    calibration_arrays(data, n_bins=10, mode="final")
    times.append(time.perf_counter() - t)
print(sorted(times)[1])
"""
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


#: The dashboard's pages (dashboard/streamlit_app.py), each timed on its first render.
PAGES = ("overview", "open", "resolved", "calibration", "question", "blind", "log", "draft")


def dashboard_renders(db: Path) -> dict[str, float]:
    """Seconds for each page's first AppTest run on ``db`` with Streamlit's caches emptied
    before it, so that no page is timed on what another one read: the render, not the server
    start: one untimed run first imports what a running server has imported. The overview is
    the landing page (the app's first run); the others are switched to from it."""
    code = f"""
import json, os, time
os.environ["FORECAST_LEDGER_DB"] = {str(db)!r}
import streamlit as st
from streamlit.testing.v1 import AppTest
app = {str(ROOT / "dashboard" / "streamlit_app.py")!r}
AppTest.from_file(app, default_timeout=600).run()
out = {{}}
for page in {list(PAGES)!r}:
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(app, default_timeout=600)
    t = time.perf_counter()
    at.run()
    if page != "overview":
        st.cache_data.clear()
        st.cache_resource.clear()
        t = time.perf_counter()
        at.switch_page(f"app_pages/{{page}}.py").run()
    assert not at.exception, (page, at.exception)
    out[page] = time.perf_counter() - t
print(json.dumps(out))
"""
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10k,100k,1m")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--shapes", default=",".join(SHAPES),
                    help="data shapes to measure: deep, wide or both (default)")
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = ap.parse_args()
    # An installed forecast-ledger runs from cached bytecode; with PYTHONDONTWRITEBYTECODE set
    # (as on some CI machines) every run would compile its modules again, which adds ~100 ms
    # to each start and more to commands that import more (measured here: the bulk door).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    labels = [s.strip().lower() for s in args.sizes.split(",")]
    rows: list[tuple[str, str, float, str]] = []

    def record(what: str, size: str, seconds: float, note: str = "") -> None:
        rows.append((what, size, seconds, note))
        print(f"{what:<52} {size:>6} {seconds:>9.3f} s  {note}", file=sys.stderr)

    def usage(kib: int, cpu: float) -> str:
        return f"peak RSS {kib / 1024:,.0f} MiB, CPU {cpu:.1f} s"

    # Cold start, against `python -c "import duckdb"`, interleaved in the same run; `list`
    # on the 10k ledger once it exists.
    cold = [[PY, "-c", "import duckdb"], [CLI, "--help"]]

    shapes = [s.strip() for s in args.shapes.split(",")]
    for label in labels:
        for shape in shapes:
            measure(label, shape, args, record, usage, cold)
    write_doc(Path(args.out), rows, args)


def measure(label: str, shape: str, args: argparse.Namespace, record: Any, usage: Any,
            cold: list[list[str]]) -> None:
    """Every measure of one size and shape (the cold start, YAML and the dashboard on the deep
    shape only)."""
    n = SIZES[label]
    data = ensure_data(label, n, shape)
    deep = shape == "deep"

    def name(what: str) -> str:
        return what if deep else f"{what} ({shape})"

    labels = [s.strip().lower() for s in args.sizes.split(",")]
    # A 10M import takes a minute or more: once is enough there.
    db, import_s, kib, cpu = ledger_for(label if deep else f"{label}-{shape}", data,
                                        1 if n >= 10_000_000 else max(args.repeat // 2, 1))
    record(name("import Parquet"), label, import_s,
           f"{n / import_s:,.0f} forecasts/s; {usage(kib, cpu)}")
    if deep and (label == "10k" or label == labels[0]):
        with_list = [*cold, [CLI, "--db", str(db), "list"]] if label == "10k" else cold
        base, helpt, *listt = interleaved(with_list, args.repeat * 4)
        record('python -c "import duckdb" (reference)', "-", base)
        record("forecast-ledger --help", "-", helpt, f"{helpt / base:.2f}x the reference")
        if listt:
            record("forecast-ledger list", label, listt[0],
                   f"{listt[0] / base:.2f}x the reference")
    if deep and (data / "yaml").exists():
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
    verify_s, kib, cpu = measured([CLI, "--db", str(db), "verify"], 1)
    record(name("verify"), label, verify_s, usage(kib, cpu))
    cli_score: dict[str, float] = {}
    for mode in MODES:
        for command in ("score", "calibration"):
            if (command, mode) == ("calibration", "first"):
                continue  # as fast as final; only the score is compared with the reference
            secs, kib, cpu = measured([CLI, "--db", str(db), command, "--mode", mode,
                                       "--json"], args.repeat)
            if command == "score":
                cli_score[mode] = secs
            record(name(f"{command} --mode {mode}"), label, secs, usage(kib, cpu))
    if deep and label in ("100k", "1m", "10m"):
        for page, secs in dashboard_renders(db).items():
            record(f"dashboard {page} page render (AppTest)", label, secs)
    # At 10M one run of the reference takes most of a minute a mode: once is enough there.
    reference = baseline_pandas_sklearn(db, 1 if n >= 10_000_000 else 3)
    for mode in MODES:
        assert_same_scores(cli_overall(db, mode), reference[mode]["overall"],
                           f"{label} {shape} --mode {mode}")
        theirs, ours = reference[mode]["seconds"], cli_score[mode]
        record(name(f"in memory: pandas + scikit-learn, selection and scores ({mode}, "
                    "reference)"), label, theirs)
        record(name(f"score --mode {mode}, whole CLI run vs reference"), label, ours,
               f"{theirs / ours:.2f}x the reference's speed (process start, SQL "
               "selection and output included; scores equal to 1e-9)")
    cores = in_memory_ours(db)
    record(name("in memory: our numpy cores only (final; not a target)"), label, cores,
           f"{reference['final']['seconds'] / cores:.1f}x the reference's speed; not like "
           "for like: SQL selected the rows beforehand")


def _steps(rows: list) -> list[tuple[str, tuple[str, str], tuple[float, float]]]:
    """``(what, (size, next size), (seconds, next seconds))`` for each measure and each pair
    of consecutive sizes it was measured at."""
    order = list(SIZES)
    by_what: dict[str, dict[str, float]] = {}
    for what, size, secs, _ in rows:
        if size in SIZES:
            by_what.setdefault(what, {})[size] = secs
    return [(what, (a, b), (figures[a], figures[b]))
            for what, figures in by_what.items()
            for a, b in zip(order, order[1:], strict=False)
            if a in figures and b in figures and figures[a] > 0]


def growth(rows: list) -> list[str]:
    """Each measure across sizes, with how much it grew per 10x more forecasts (10 is linear;
    less is better than linear)."""
    order = [label for label in SIZES if any(r[1] == label for r in rows)]
    by_what: dict[str, dict[str, float]] = {}
    for what, size, secs, _ in rows:
        if size in SIZES:
            by_what.setdefault(what, {})[size] = secs
    lines = ["| what | " + " | ".join(order) + " | growth per 10x |",
             "| --- | " + " | ".join("---:" for _ in order) + " | --- |"]
    for what, figures in by_what.items():
        if len(figures) < 2:
            continue
        steps = [f"{figures[b] / figures[a]:.1f}x" for a, b in zip(order, order[1:], strict=False)
                 if a in figures and b in figures and figures[a] > 0]
        cells = [f"{figures[o]:.3f}" if o in figures else "-" for o in order]
        lines.append(f"| {what} | " + " | ".join(cells) + f" | {', '.join(steps)} |")
    return lines


def targets(rows: list) -> list[str]:
    """The issue's targets, each judged from this run's figures: met, missed (by how much), or
    not measured (a size left out of ``--sizes``)."""
    fig = {(what, size): (secs, note) for what, size, secs, note in rows}

    def ratio(what: str, size: str, word: str) -> float | None:
        note = fig.get((what, size), (None, ""))[1]
        found = re.search(rf"([0-9.]+)x {word}", note)
        return float(found.group(1)) if found else None

    def rss(what: str, size: str) -> float | None:
        found = re.search(r"peak RSS ([0-9,]+) MiB", fig.get((what, size), (None, ""))[1])
        return float(found.group(1).replace(",", "")) if found else None

    def seconds(what: str, size: str) -> float | None:
        return fig.get((what, size), (None, ""))[0]

    checks: list[tuple[str, float | None, str, float]] = [
        ("`--help` within 1.5x of `import duckdb`",
         ratio("forecast-ledger --help", "-", "the reference"), "<=", 1.5),
        ("`list` on 10k within 1.5x of `import duckdb`",
         ratio("forecast-ledger list", "10k", "the reference"), "<=", 1.5),
        ("YAML import of 100k within 1.5x of parsing only",
         ratio("import YAML", "100k", "parse only"), "<=", 1.5),
    ]
    for suffix in ("", " (wide)"):
        checks += [
            (f"Parquet import{suffix} of 10M within 30 s",
             seconds(f"import Parquet{suffix}", "10m"), "<=", 30.0),
            (f"Parquet import{suffix} of 10M under 3 GB peak RSS",
             rss(f"import Parquet{suffix}", "10m"), "<", 3072.0),
            (f"`verify`{suffix} on 10M within 15 s", seconds(f"verify{suffix}", "10m"),
             "<=", 15.0),
        ]
        for mode in ("final", "time-averaged"):
            for command in ("score", "calibration"):
                what = f"{command} --mode {mode}{suffix}"
                checks.append((f"`{what}` on 10M under 2 s", seconds(what, "10m"), "<", 2.0))
                checks.append((f"`{what}` on 10M under 1.5 GB peak RSS", rss(what, "10m"),
                               "<", 1536.0))
            checks.append((f"`score --mode {mode}`{suffix} on 10M, the whole run, at least 5x "
                           "faster than pandas + scikit-learn in memory",
                           ratio(f"score --mode {mode}, whole CLI run vs reference{suffix}",
                                 "10m", "the reference's speed"), ">=", 5.0))
    for page in PAGES:
        for size, bound in (("1m", 1.0), ("10m", 3.0)):
            checks.append((f"dashboard {page} page on {size.upper()} within {bound:g} s",
                           seconds(f"dashboard {page} page render (AppTest)", size), "<=",
                           bound))
    # Our own figures only: the references are not ours to bound, the "whole CLI run vs
    # reference" row repeats `score --mode final`, and the numpy cores alone are not a target
    # (at 10k they take 3 ms, all of it fixed cost, so their growth is noise).
    steps = [(b_secs / a_secs, what) for what, (a, b), (a_secs, b_secs) in _steps(rows)
             if "reference" not in what and "not a target" not in what]
    worst = max(steps, default=None)
    checks.append((f"nothing grows faster than linearly (largest growth per 10x: "
                   f"{worst[1] if worst else '-'})", worst[0] if worst else None, "<=", 10.0))
    lines = ["| target | measured | verdict |", "| --- | ---: | --- |"]
    for text, value, op, bound in checks:
        if value is None:
            lines.append(f"| {text} | - | not measured in this run |")
            continue
        met = value <= bound if op == "<=" else value < bound if op == "<" else value >= bound
        by = value / bound if op != ">=" else bound / value
        lines.append(f"| {text} | {value:,.3f} | "
                     f"{'met' if met else f'missed ({by:.2f}x the bound)'} |")
    return lines


def write_doc(path: Path, rows: list, args: argparse.Namespace) -> None:
    import duckdb
    import numpy
    import yaml

    load = os.getloadavg()
    lines = [
        "# Benchmarks",
        "",
        "Produced by `.venv/bin/python benchmarks/run.py "
        f"--sizes {args.sizes} --repeat {args.repeat}` (medians of wall time; not part of the "
        "tests). CPU is user + system time of all threads, which shows the work done when the "
        "machine is shared.",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
        f"load average at the end {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}",
        f"- Python {platform.python_version()}, duckdb {duckdb.__version__}, "
        f"numpy {numpy.__version__}, PyYAML {yaml.__version__} "
        f"(libyaml: {hasattr(yaml, 'CSafeLoader')})",
        "",
        "| what | size | seconds | note |",
        "| --- | --- | ---: | --- |",
        *(f"| {w} | {s} | {t:.3f} | {n} |" for w, s, t, n in rows),
        "",
        "## Targets",
        "",
        *targets(rows),
        "",
        "## Growth from 10k to 10M",
        "",
        *growth(rows),
        "",
    ]
    path.write_text("\n".join(lines))
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
