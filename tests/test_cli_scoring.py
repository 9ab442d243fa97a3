"""`score` and `calibration` through the real CLI, checked against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss

# (question, outcome, [(forecaster, probability, made_at)])
QUESTIONS = [
    ("q1", "yes", [("ann", 0.9, "2026-01-02"), ("ann", 0.8, "2026-01-05"),
                   ("ben", 0.3, "2026-01-03")]),
    ("q2", "no", [("ann", 0.2, "2026-01-02"), ("ben", 0.6, "2026-01-03")]),
    ("q3", "yes", [("ann", 0.65, "2026-01-02"), ("ben", 0.5, "2026-01-03")]),
    ("q4", "no", [("ann", 0.05, "2026-01-02")]),
    ("q5", "ambiguous", [("ann", 0.99, "2026-01-02")]),   # never scored
    ("q6", "annulled", [("ben", 0.01, "2026-01-02")]),    # never scored
]


@pytest.fixture
def scored(run, tmp_path):
    lines = ["questions:"]
    for qid, outcome, forecasts in QUESTIONS:
        lines += [f"  - id: {qid}", f"    question: Will {qid} happen?",
                  f"    criteria: Yes if {qid} happens.", "    opened: 2026-01-01",
                  "    resolve_by: 2026-02-01", "    forecasts:"]
        lines += [f"      - {{forecaster: {f}, probability: {p}, made_at: {d}}}"
                  for f, p, d in forecasts]
        lines += ["    resolution:", f"      outcome: {outcome}", "      resolved_on: 2026-01-20"]
    path = write(tmp_path / "scored.yaml", "\n".join(lines) + "\n")
    assert run("import", str(path)).exit_code == 0
    return run


def _final():
    # each forecaster's last forecast per yes/no question, written out by hand
    return [(1, 0.8), (1, 0.3), (0, 0.2), (0, 0.6), (1, 0.65), (1, 0.5), (0, 0.05)]


def test_score_matches_scikit_learn(scored):
    report = scored.json("score")
    y, p = map(np.array, zip(*_final(), strict=True))
    assert report["overall"]["n"] == 7
    assert report["overall"]["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    assert report["overall"]["log_score"] == pytest.approx(log_loss(y, p), abs=1e-12)
    # by hand: (0.04 + 0.49 + 0.04 + 0.36 + 0.1225 + 0.25 + 0.0025) / 7
    assert report["overall"]["brier"] == pytest.approx(1.305 / 7, abs=1e-12)
    base = y.mean()
    assert report["overall"]["brier_skill"] == pytest.approx(
        1 - brier_score_loss(y, p) / (base * (1 - base)), abs=1e-12)


def test_score_by_forecaster_and_first_mode(scored):
    groups = {g["group"]: g for g in scored.json("score", "--by", "forecaster")["groups"]}
    assert groups["ann"]["n"] == 4 and groups["ben"]["n"] == 3
    assert groups["ann"]["brier"] == pytest.approx(
        brier_score_loss([1, 0, 1, 0], [0.8, 0.2, 0.65, 0.05]), abs=1e-12)
    first = scored.json("score", "--mode", "first", "--forecaster", "ann")
    assert first["overall"]["brier"] == pytest.approx(
        brier_score_loss([1, 0, 1, 0], [0.9, 0.2, 0.65, 0.05]), abs=1e-12)


def test_calibration_matches_scikit_learn(scored):
    # 7 bins: no forecast sits on an edge, where sklearn's (a, b] and our [a, b) differ
    report = scored.json("calibration", "--bins", "7")
    y, p = map(np.array, zip(*_final(), strict=True))
    frac, mean = calibration_curve(y, p, n_bins=7, strategy="uniform")
    assert [b["observed_frequency"] for b in report["bins"]] == pytest.approx(frac, abs=1e-12)
    assert [b["mean_forecast"] for b in report["bins"]] == pytest.approx(mean, abs=1e-12)
    assert sum(b["count"] for b in report["bins"]) == 7
    m = report["murphy"]
    assert m["reliability"] - m["resolution"] + m["uncertainty"] + m["within_bin_variance"] \
        - m["within_bin_covariance"] == pytest.approx(report["brier"], abs=1e-12)


def test_human_output(scored):
    text = scored("score", "--by", "forecaster").stdout
    assert text.splitlines()[0] == "mode final: 7 forecaster-question pairs on 4 questions"
    assert "Brier 0.186 (0 best, 1 worst; always-50% scores 0.250)" in text
    cal = scored("calibration").stdout
    assert "[0.900, 1.000]" not in cal  # empty bins are not shown
    assert "Murphy: Brier" in cal and "CORP: Brier" in cal


def test_nothing_to_score_says_what_to_do(run):
    run("add", "Will it happen?", "--by", "2030-01-01")
    assert run("score").stdout.startswith("nothing to score yet")
    assert run("calibration").stdout.startswith("no resolved forecasts yet")


def test_final_is_the_latest_by_calendar_day_across_zones(run, tmp_path):
    """A forecast dated the 5th (a date alone) comes after one made on the 4th at 20:00 in
    California, although the latter's UTC instant (04:00 on the 5th) is later."""
    path = write(tmp_path / "z.yaml", """\
questions:
  - id: zones
    question: Will the zones agree?
    criteria: Yes if they do.
    opened: 2026-01-01
    resolve_by: 2026-02-01
    forecasts:
      - {forecaster: zed, probability: 0.9, made_at: "2026-01-04T20:00:00-08:00"}
      - {forecaster: zed, probability: 0.2, made_at: 2026-01-05}
    resolution: {outcome: yes, resolved_on: 2026-01-20}
""")
    assert run("import", str(path)).exit_code == 0
    assert run.json("score")["overall"]["brier"] == pytest.approx(0.64, abs=1e-12)
    assert run.json("score", "--mode", "first")["overall"]["brier"] == pytest.approx(0.01,
                                                                                     abs=1e-12)
    assert [f["probability"] for f in run.json("list")[0]["forecasts"]] == [0.2]
