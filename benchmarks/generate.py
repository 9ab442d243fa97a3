"""Seeded synthetic ledgers for the benchmarks: questions, forecasters of differing skill,
updates over time, resolutions; written as YAML forecast files and as one flat CSV / Parquet.

    python benchmarks/generate.py 100000 benchmarks/data/100k      # YAML + CSV + Parquet

Skill model: each question has a true probability t; a forecaster reports t passed through
their own distortion (sharp, overconfident, timid, noisy) plus noise; the outcome is drawn from t.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from datetime import date, timedelta
from pathlib import Path

FORECASTERS = {
    # name: (sharpness exponent on log-odds, noise sd on log-odds)
    "sharp": (1.0, 0.3),
    "overconfident": (1.8, 0.4),
    "timid": (0.5, 0.2),
    "noisy": (1.0, 1.2),
    "coin": (0.0, 0.0),
}
PER_FILE = 500  # questions per YAML file
START = date(2020, 1, 1)


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _expit(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def rows(n_forecasts: int, seed: int = 1):
    """Yield one dict per forecast, grouped by question (about 20 forecasts a question)."""
    rng = random.Random(seed)
    names = list(FORECASTERS)
    made = 0
    q = 0
    while made < n_forecasts:
        q += 1
        truth = min(max(rng.betavariate(0.7, 0.7), 0.01), 0.99)
        opened = START + timedelta(days=rng.randrange(0, 2000))
        resolve_by = opened + timedelta(days=rng.choice((7, 30, 90, 365)))
        resolved = resolve_by < date(2026, 1, 1) or rng.random() < 0.2
        outcome = ("yes" if rng.random() < truth else "no") if resolved else None
        if outcome and rng.random() < 0.02:
            outcome = rng.choice(("ambiguous", "annulled"))
        qid = f"q{q:08d}"
        updates = max(1, min(n_forecasts - made, 20))
        per = max(1, updates // len(names))
        k = 0
        for name in names:
            sharp, noise = FORECASTERS[name]
            for u in range(per):
                if k >= updates:
                    break
                day = opened + timedelta(days=int((resolve_by - opened).days * u / per))
                x = sharp * _logit(truth) + rng.gauss(0, noise)
                p = round(min(max(_expit(x), 0.001), 0.999), 3)
                yield {"question_id": qid, "question": f"Synthetic question {q}?",
                       "criteria": f"Resolves yes when synthetic event {q} happens.",
                       "resolve_by": resolve_by, "opened": opened,
                       "tags": f"synthetic;t{q % 7}", "forecaster": name, "probability": p,
                       "made_at": day, "outcome": outcome,
                       "resolved_on": resolve_by if outcome else None}
                k += 1
                made += 1


#: The second shape: many questions, many forecasters, one or two forecasts a pair (a platform
#: export): 50k questions and 200 forecasters from 1M forecasts on (fewer questions below).
WIDE_QUESTIONS, WIDE_FORECASTERS = 50_000, 200


def wide_rows(n_forecasts: int, seed: int = 1):
    """Yield one dict per forecast in the wide shape: each question has n / questions
    forecasts from forecasters drawn at random, each making one or two; skills as above."""
    rng = random.Random(seed)
    names = [f"f{i:03d}" for i in range(WIDE_FORECASTERS)]
    skill = {name: list(FORECASTERS.values())[i % len(FORECASTERS)]
             for i, name in enumerate(names)}
    n_questions = max(1, min(WIDE_QUESTIONS, n_forecasts // 20))
    made = 0
    for q in range(1, n_questions + 1):
        per_q = (n_forecasts - made) // (n_questions - q + 1)
        truth = min(max(rng.betavariate(0.7, 0.7), 0.01), 0.99)
        opened = START + timedelta(days=rng.randrange(0, 2000))
        resolve_by = opened + timedelta(days=rng.choice((7, 30, 90, 365)))
        resolved = resolve_by < date(2026, 1, 1) or rng.random() < 0.2
        outcome = ("yes" if rng.random() < truth else "no") if resolved else None
        qid = f"w{q:08d}"
        # One or two forecasts each: about two thirds as many forecasters as forecasts.
        who = rng.sample(names, min(len(names), max(1, math.ceil(per_q / 1.5))))
        counts = [1] * len(who)
        for i in range(per_q - len(who)):
            counts[i % len(who)] += 1
        for name, k in zip(who, counts, strict=True):
            sharp, noise = skill[name]
            for u in range(k):
                day = opened + timedelta(days=int((resolve_by - opened).days * u / 2))
                x = sharp * _logit(truth) + rng.gauss(0, noise)
                p = round(min(max(_expit(x), 0.001), 0.999), 3)
                yield {"question_id": qid, "question": f"Synthetic wide question {q}?",
                       "criteria": f"Resolves yes when synthetic event {q} happens.",
                       "resolve_by": resolve_by, "opened": opened,
                       "tags": f"synthetic;t{q % 7}", "forecaster": name, "probability": p,
                       "made_at": day, "outcome": outcome,
                       "resolved_on": resolve_by if outcome else None}
                made += 1


def write_yaml(all_rows: list[dict], out: Path) -> int:
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    dumper = type("NoAliasDumper", (base,), {"ignore_aliases": lambda self, data: True})
    questions: dict[str, dict] = {}
    for r in all_rows:
        q = questions.get(r["question_id"])
        if q is None:
            q = questions[r["question_id"]] = {
                "id": r["question_id"], "question": r["question"], "criteria": r["criteria"],
                "resolve_by": r["resolve_by"], "opened": r["opened"],
                "tags": r["tags"].split(";"), "forecasts": []}
            if r["outcome"]:
                q["resolution"] = {"outcome": r["outcome"], "resolved_on": r["resolved_on"]}
        q["forecasts"].append({"forecaster": r["forecaster"], "probability": r["probability"],
                               "made_at": r["made_at"]})
    items = list(questions.values())
    out.mkdir(parents=True, exist_ok=True)
    files = 0
    for i in range(0, len(items), PER_FILE):
        doc = {"questions": items[i:i + PER_FILE]}
        (out / f"part-{i // PER_FILE:05d}.yaml").write_text(
            yaml.dump(doc, Dumper=dumper, sort_keys=False, width=120))
        files += 1
    return files


def write_flat(n: int, out: Path, seed: int = 1, shape: str = "deep") -> None:
    """CSV and Parquet, streamed through DuckDB so 10M rows fit in little memory."""
    import csv

    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / "forecasts.csv"
    cols = ["question_id", "question", "criteria", "resolve_by", "opened", "tags", "forecaster",
            "probability", "made_at", "outcome", "resolved_on"]
    with csv_path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in (wide_rows if shape == "wide" else rows)(n, seed):
            w.writerow(["" if r[c] is None else r[c] for c in cols])
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv('{csv_path}', all_varchar=true)) "
                f"TO '{out / 'forecasts.parquet'}' (FORMAT parquet)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of forecasts")
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-yaml", action="store_true")
    ap.add_argument("--shape", choices=("deep", "wide"), default="deep",
                    help="deep: ~20 forecasts a question, 5 forecasters updating (default); "
                         "wide: 50k questions x 200 forecasters, one or two forecasts a pair")
    args = ap.parse_args()
    if not args.no_yaml:
        make = wide_rows if args.shape == "wide" else rows
        files = write_yaml(list(make(args.n, args.seed)), args.out / "yaml")
        print(f"wrote {files} YAML files", file=sys.stderr)
    write_flat(args.n, args.out / "flat", args.seed, args.shape)
    print(f"wrote {args.out / 'flat'}", file=sys.stderr)


if __name__ == "__main__":
    main()
