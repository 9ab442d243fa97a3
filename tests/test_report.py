"""ledger.scoring.selection and .report on real ledger files built through the importer,
checked by hand, against scikit-learn and against the same figures computed as pure SQL over
the schema's views (tests/oracles.py)."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from oracles import base_sql, score_sql
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss

from ledger.errors import InvalidValue
from ledger.ingest.importer import import_paths
from ledger.scoring import report, selection
from ledger.scoring.grouping import GROUPINGS
from ledger.scoring.metrics import LOG_EPS
from ledger.storage import order
from ledger.storage.store import Ledger

# Two files: one article (source src-a) and personal questions without a source.
ARTICLE = """\
source:
  id: src-a
  title: An article with forecasts
  published: 2026-01-01
questions:
  - id: qa1
    question: Will the first thing happen?
    criteria: Yes if it happens.
    resolve_by: 2026-06-30
    tags: [ai]
    reference: {probability: 0.4}
    forecasts:
      - {forecaster: ann, probability: 0.9, made_at: 2026-01-02}
      - {forecaster: ann, probability: 0.8, made_at: 2026-01-05}
      - {forecaster: ben, probability: 0.3, made_at: 2026-01-03}
    resolution: {outcome: "yes", resolved_on: 2026-01-20}
  - id: qa2
    question: Will the second thing happen?
    criteria: Yes if it happens.
    resolve_by: 2026-06-30
    tags: [ai, policy]
    forecasts:
      - {forecaster: ann, probability: 0.2, made_at: 2026-01-02}
      - {forecaster: ben, probability: 0.6, made_at: 2026-01-03}
      - {forecaster: cy, probability: 0.5, made_at: 2026-02-01}
    resolution: {outcome: "no", resolved_on: 2026-02-10}
  - id: qa3
    question: Will the ambiguous thing happen?
    criteria: Yes if it happens.
    resolve_by: 2026-06-30
    tags: [policy]
    forecasts:
      - {forecaster: ann, probability: 0.99, made_at: 2026-01-02}
    resolution: {outcome: ambiguous, resolved_on: 2026-02-01}
  - id: qa4
    question: Will the annulled thing happen?
    criteria: Yes if it happens.
    resolve_by: 2026-06-30
    forecasts:
      - {forecaster: ben, probability: 0.01, made_at: 2026-01-02}
    resolution: {outcome: annulled, resolved_on: 2026-02-01}
"""

PERSONAL = """\
questions:
  - id: qb1
    question: Will the corrected thing happen?
    criteria: Yes if it happens.
    opened: 2026-01-01
    resolve_by: 2026-06-30
    forecasts:
      - {forecaster: ann, probability: 0.65, made_at: 2026-01-02}
      - {forecaster: ben, probability: 0.5, made_at: 2026-01-10}
    resolutions:
      - {outcome: "yes", resolved_on: 2026-03-01}
      - {outcome: "no", resolved_on: 2026-03-01, reason: the first reading was wrong}
  - id: qb2
    question: Will the late-forecast thing happen?
    criteria: Yes if it happens.
    opened: 2026-01-01
    resolve_by: 2026-06-30
    tags: [ai]
    forecasts:
      - {forecaster: ann, probability: 0.05, made_at: 2026-01-02,
         recorded_at: "2026-01-02T12:00:00"}
      # made before the resolution date but recorded after the resolution was: late
      - {forecaster: cy, probability: 0.95, made_at: 2026-04-30,
         recorded_at: "2026-05-03T00:00:00"}
    resolution: {outcome: "no", resolved_on: 2026-05-01, recorded_at: "2026-05-02T00:00:00"}
  - id: qb3
    question: Will the open thing happen?
    criteria: Yes if it happens.
    opened: 2026-01-01
    resolve_by: 2026-12-31
    forecasts:
      - {forecaster: ann, probability: 0.7, made_at: 2026-01-02}
      - {forecaster: dee, probability: 0.4, made_at: 2026-01-03}  # dee has nothing scored
  - id: qb4
    question: Will the same-day thing happen?
    criteria: Yes if it happens.
    opened: 2026-01-01
    resolve_by: 2026-06-30
    forecasts:
      - {forecaster: ann, probability: 0.6, made_at: 2026-01-02}
    resolution: {outcome: "yes", resolved_on: 2026-01-02}
"""

# Final forecasts, written out by hand: (question, forecaster, probability, outcome)
FINAL = [
    ("qa1", "ann", 0.8, 1), ("qa1", "ben", 0.3, 1),
    ("qa2", "ann", 0.2, 0), ("qa2", "ben", 0.6, 0), ("qa2", "cy", 0.5, 0),
    ("qb1", "ann", 0.65, 0), ("qb1", "ben", 0.5, 0),
    ("qb2", "ann", 0.05, 0),
    ("qb4", "ann", 0.6, 1),
]


def _import(tmp_path: Path, **files: str) -> Ledger:
    ledger = Ledger(tmp_path / "ledger.duckdb")
    paths = []
    for name, text in files.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    import_paths(ledger, paths)
    return ledger


@pytest.fixture
def con(tmp_path):
    ledger = _import(tmp_path, article=ARTICLE, personal=PERSONAL)
    with ledger.connect() as connection:
        yield connection


def _yp(rows):
    return np.array([r[3] for r in rows]), np.array([r[2] for r in rows])


def _brier(rows):
    y, p = _yp(rows)
    return brier_score_loss(y, p, labels=[0, 1])


# -- what is scored --------------------------------------------------------------------------

def test_final_mode_scores_each_forecasters_last_forecast(con):
    data = selection.scored_forecasts(con)
    got = list(zip(data["question_id"].tolist(), data["forecaster"].tolist(),
                   data["probability"].tolist(), data["outcome"].tolist(), strict=True))
    assert got == FINAL
    assert data["weight"].tolist() == [1.0] * 9
    # the open question, ambiguous and annulled questions and cy's late forecast are absent
    assert not {"qa3", "qa4", "qb3"} & set(data["question_id"].tolist())
    assert ("qb2", "cy") not in {(q, f) for q, f, *_ in got}
    late = con.execute("SELECT late FROM forecasts_flagged WHERE forecaster = 'cy' "
                       "AND question_id = 'qb2'").fetchall()
    assert late == [(True,)]


def test_first_mode_scores_the_first_forecast(con):
    data = selection.scored_forecasts(con, mode="first")
    qa1 = {f: p for q, f, p in zip(data["question_id"], data["forecaster"],
                                   data["probability"], strict=True) if q == "qa1"}
    assert qa1 == {"ann": 0.9, "ben": 0.3}
    rows = [("qa1", "ann", 0.9, 1), *FINAL[1:]]
    assert report.score_report(con, mode="first")["overall"]["brier"] == pytest.approx(
        _brier(rows), abs=1e-12)


def test_time_averaged_mode_weights_by_days_standing(con):
    data = selection.scored_forecasts(con, mode="time-averaged")
    rows = {(q, f, p): (d, w) for q, f, p, d, w in zip(
        data["question_id"], data["forecaster"], data["probability"], data["days"],
        data["weight"], strict=True)}
    # qa1 resolved 2026-01-20: ann 0.9 stood Jan 2-4 (3 days), 0.8 Jan 5-20 (16 days);
    # ben 0.3 Jan 3-20 (18 days). Days run through the resolution day, included.
    assert rows[("qa1", "ann", 0.9)] == (3, pytest.approx(3 / 19))
    assert rows[("qa1", "ann", 0.8)] == (16, pytest.approx(16 / 19))
    assert rows[("qa1", "ben", 0.3)] == (18, 1.0)
    # a forecast made on the resolution day counts for that one day
    assert rows[("qb4", "ann", 0.6)] == (1, 1.0)
    # qb2: ann 0.05 from Jan 2 through May 1 is 120 days; cy's late forecast is not there
    assert rows[("qb2", "ann", 0.05)][0] == (date(2026, 5, 1) - date(2026, 1, 2)).days + 1
    assert len(rows) == 10
    # each pair is its day-weighted mean, then pairs count once:
    per_pair = [(3 * 0.01 + 16 * 0.04) / 19] + [_brier([r]) for r in FINAL[1:]]
    overall = report.score_report(con, mode="time-averaged")["overall"]
    assert overall["brier"] == pytest.approx(np.mean(per_pair), abs=1e-12)
    assert overall["n"] == 9 and overall["n_forecasts"] == 10


def test_overall_scores_match_scikit_learn_and_hand(con):
    o = report.score_report(con)["overall"]
    y, p = _yp(FINAL)
    assert (o["n"], o["n_questions"], o["n_forecasts"]) == (9, 5, 9)
    assert o["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    # (0.04 + 0.49 + 0.04 + 0.36 + 0.25 + 0.4225 + 0.25 + 0.0025 + 0.16) / 9
    assert o["brier"] == pytest.approx(2.015 / 9, abs=1e-12)
    assert o["log_score"] == pytest.approx(log_loss(y, p), abs=1e-12)
    assert o["log_clipped"] == 0
    base = 3 / 9
    assert o["base_rate"] == pytest.approx(base)
    assert o["brier_skill"] == pytest.approx(1 - (2.015 / 9) / (base * (1 - base)), abs=1e-12)
    assert o["brier_skill_vs_50"] == pytest.approx(1 - (2.015 / 9) / 0.25, abs=1e-12)
    # only qa1 has a reference (0.4): pairs ann 0.8 and ben 0.3 on a yes
    assert o["n_reference"] == 2
    assert o["brier_skill_vs_reference"] == pytest.approx(1 - ((0.04 + 0.49) / 2) / 0.36)
    assert o["relative"] is None


def test_certain_forecasts_are_clipped_in_the_log_score(tmp_path):
    text = PERSONAL.replace("probability: 0.6, made_at: 2026-01-02}",
                            "probability: 0, made_at: 2026-01-02}")
    ledger = _import(tmp_path, personal=text)
    with ledger.connect() as con:
        o = report.score_report(con)["overall"]
    assert o["log_clipped"] == 1
    y = np.array([0, 0, 0, 1])
    p = np.array([0.65, 0.5, 0.05, 0.0])
    assert o["log_score"] == pytest.approx(
        log_loss(y, np.clip(p, LOG_EPS, 1 - LOG_EPS)), abs=1e-12)


# -- groups ----------------------------------------------------------------------------------

def _groups(con, by, **kw):
    return {g["group"]: g for g in report.score_report(con, by=by, **kw)["groups"]}


def test_by_forecaster_with_relative_scores(con):
    g = _groups(con, "forecaster")
    assert list(g) == ["ann", "ben", "cy"]
    assert [g[k]["n"] for k in g] == [5, 3, 1]
    assert g["ann"]["brier"] == pytest.approx(_brier([r for r in FINAL if r[1] == "ann"]))
    # Brier per question: qa1 ann .04 ben .49; qa2 ann .04 ben .36 cy .25; qb1 ann .4225 ben .25
    # ann: (.04 - .49) + (.04 - median(.36, .25)) + (.4225 - .25), over 3 shared questions
    assert g["ann"]["relative"] == pytest.approx((-0.45 - 0.265 + 0.1725) / 3, abs=1e-12)
    assert g["ben"]["relative"] == pytest.approx((0.45 + 0.215 - 0.1725) / 3, abs=1e-12)
    assert g["cy"]["relative"] == pytest.approx(0.25 - 0.2, abs=1e-12)
    assert [g[k]["n_shared"] for k in g] == [3, 3, 1]


def test_relative_score_of_one_forecaster_compares_with_everyone_else(con):
    # Filtering to cy must not drop the others he is compared with.
    o = report.score_report(con, forecaster="cy")["overall"]
    assert o["n"] == 1 and o["relative"] == pytest.approx(0.05, abs=1e-12)
    assert o["n_shared"] == 1
    both = report.score_report(con, forecaster=["ben", "cy"])["overall"]
    assert both["relative"] == pytest.approx((0.45 + 0.215 - 0.1725 + 0.05) / 4, abs=1e-12)
    # dee forecast only on an open question: nothing scored, nothing counted twice
    with_dee = report.score_report(con, forecaster=["cy", "dee"], by="forecaster")
    assert with_dee["overall"]["relative"] == pytest.approx(0.05, abs=1e-12)
    assert [g["group"] for g in with_dee["groups"]] == ["cy"]
    assert report.score_report(con, forecaster="dee")["overall"]["n"] == 0


def test_relative_log_scores(con):
    g = _groups(con, "forecaster", rule="log")
    ln = np.log
    ann = [-ln(0.8) + ln(0.3), -ln(0.8) - np.median([-ln(0.4), -ln(0.5)]),
           -ln(0.35) + ln(0.5)]
    assert g["ann"]["relative"] == pytest.approx(np.mean(ann), abs=1e-12)
    assert g["ann"]["score"] == g["ann"]["log_score"]


def test_by_tag_counts_a_question_under_each_tag(con):
    g = _groups(con, "tag")
    assert list(g) == ["(no tag)", "ai", "policy"]
    assert [g[k]["n"] for k in g] == [3, 6, 3]
    ai = [r for r in FINAL if r[0] in ("qa1", "qa2", "qb2")]
    assert g["ai"]["brier"] == pytest.approx(_brier(ai), abs=1e-12)
    assert g["ai"]["n_questions"] == 3


def test_by_source_month_and_horizon(con):
    src = _groups(con, "source")
    assert {k: v["n"] for k, v in src.items()} == {"(no source)": 4, "src-a": 5}
    month = _groups(con, "month")
    assert {k: v["n"] for k, v in month.items()} == {
        "2026-01": 3, "2026-02": 3, "2026-03": 2, "2026-05": 1}
    assert month["2026-02"]["brier"] == pytest.approx((0.04 + 0.36 + 0.25) / 3)
    horizon = _groups(con, "horizon")
    # made_on to resolved_on: qb4 0 days; qa1 15 and 17, cy 9; qa2 39, 38; qb1 58, 50; qb2 119
    assert list(horizon) == ["< 1 week", "1 week - 1 month", "1 - 3 months", "> 3 months"]
    assert [v["n"] for v in horizon.values()] == [1, 3, 4, 1]


def test_time_averaged_horizon_starts_at_the_first_forecast(con):
    horizon = _groups(con, "horizon", mode="time-averaged")
    # qa1 ann now counts from Jan 2 (18 days); still "1 week - 1 month"
    assert {k: v["n"] for k, v in horizon.items()} == {
        "< 1 week": 1, "1 week - 1 month": 3, "1 - 3 months": 4, "> 3 months": 1}
    assert horizon["1 week - 1 month"]["n_forecasts"] == 4


def test_filters(con):
    def n(**kw):
        return report.score_report(con, **kw)["overall"]["n"]

    assert n(forecaster="ann") == 5
    assert n(tag="ai") == 6 and n(tag="policy") == 3 and n(tag="nothing") == 0
    assert n(source="src-a") == 5
    assert n(since="2026-02-01") == 6 and n(until=date(2026, 1, 31)) == 3
    assert n(since="2026-01-20", until="2026-01-20") == 2  # both ends included
    assert n(tag="ai", forecaster="ben") == 2


@pytest.mark.parametrize("mode", selection.MODES)
@pytest.mark.parametrize("by", [None, *GROUPINGS])
def test_sql_and_numpy_agree(con, mode, by):
    sql = score_sql(con, by=by, mode=mode)
    numpy = report.score_report(con, by=by, mode=mode)
    for a, b in [(sql["overall"], numpy["overall"]),
                 *zip(sql["groups"], numpy["groups"], strict=True)]:
        assert a.get("group") == b.get("group")
        assert a["n"] == b["n"]
        assert a["brier"] == pytest.approx(b["brier"], abs=1e-12)
        assert a["log_score"] == pytest.approx(b["log_score"], abs=1e-12)


def test_reports_are_plain_json(con):
    for by in [None, *GROUPINGS]:
        json.dumps(report.score_report(con, by=by), allow_nan=False)
    for strategy in report.CALIBRATION_STRATEGIES:
        json.dumps(report.calibration_report(con, strategy=strategy, n_boot=20),
                   allow_nan=False)
    json.dumps(report.calibration_over_time(con), allow_nan=False)
    # an undefined skill score is None: qb4 alone (all yes) has no base-rate skill
    g = _groups(con, "month")
    assert g["2026-03"]["brier_skill"] is None


# -- calibration -----------------------------------------------------------------------------

def test_calibration_bins_by_hand(con):
    cal = report.calibration_report(con, n_bins=5)
    assert cal["n"] == 9 and cal["n_questions"] == 5
    bins = [(b["lower"], b["upper"], b["count"]) for b in cal["bins"]]
    # [0, .2): .05; [.2, .4): .2 .3; [.4, .6): .5 .5; [.6, .8): .6 .6 .65; [.8, 1]: .8
    assert bins == [(0.0, 0.2, 1), (0.2, 0.4, 2), (0.4, 0.6, 2), (0.6, 0.8, 3), (0.8, 1.0, 1)]
    assert [b["observed_frequency"] for b in cal["bins"]] == pytest.approx(
        [0, 0.5, 0, 1 / 3, 1])
    m = cal["murphy"]
    total = (m["reliability"] - m["resolution"] + m["uncertainty"] + m["within_bin_variance"]
             - m["within_bin_covariance"])
    assert total == pytest.approx(cal["brier"], abs=1e-12)
    assert cal["brier"] == pytest.approx(2.015 / 9, abs=1e-12)
    c = cal["corp"]
    assert c["mcb"] - c["dsc"] + c["unc"] == pytest.approx(cal["brier"], abs=1e-12)


def test_corp_strategy_shows_the_pav_blocks(con):
    cal = report.calibration_report(con, strategy="corp")
    # forecasts sorted: .05(0) .2(0) .3(1) .5(0) .5(0) .6(0) .6(1) .65(0) .8(1); PAV pools
    # .3 .5 .5 into 1/3, then .6 .6 .65 stay at 1/3 too, so one block .3 - .65 at 1/3.
    assert [(b["lower"], b["upper"], b["count"]) for b in cal["bins"]] == [
        (0.05, 0.2, 2), (0.3, 0.65, 6), (0.8, 0.8, 1)]
    assert [b["observed_frequency"] for b in cal["bins"]] == pytest.approx([0, 1 / 3, 1])
    curve = cal["corp"]["curve"]
    assert [pt["x"] for pt in curve] == [0.05, 0.2, 0.3, 0.5, 0.6, 0.65, 0.8]
    assert cal["murphy"]["strategy"] == "uniform"


def test_consistency_bands_in_the_curve(con):
    cal = report.calibration_report(con, strategy="corp", n_boot=50, seed=1)
    assert all(pt["lower"] <= pt["upper"] for pt in cal["corp"]["curve"])
    assert cal["corp"]["n_boot"] == 50


def test_time_averaged_calibration_weights_segments(con):
    cal = report.calibration_report(con, mode="time-averaged", n_bins=5)
    assert cal["n"] == 9 and cal["n_forecasts"] == 10
    assert sum(b["weight"] for b in cal["bins"]) == pytest.approx(9)
    assert sum(b["count"] for b in cal["bins"]) == 10
    over = report.score_report(con, mode="time-averaged")["overall"]
    assert cal["brier"] == pytest.approx(over["brier"], abs=1e-12)


def test_calibration_over_time_by_hand(con):
    points = report.calibration_over_time(con, window=2)["points"]
    # pairs by resolution date: qb4 ann .16 (Jan 2); qa1 ann .04, ben .49 (Jan 20);
    # qa2 ann .04, ben .36, cy .25 (Feb 10); qb1 ann .4225, ben .25 (Mar 1); qb2 ann .0025
    assert [p["resolved_on"] for p in points] == [
        "2026-01-02", "2026-01-20", "2026-02-10", "2026-03-01", "2026-05-01"]
    assert [p["n"] for p in points] == [1, 2, 2, 2, 2]
    assert [p["brier"] for p in points] == pytest.approx(
        [0.16, 0.265, 0.305, (0.4225 + 0.25) / 2, (0.25 + 0.0025) / 2])
    assert points[0]["calibration_in_the_large"] == pytest.approx(0.6 - 1)
    months = report.calibration_over_time(con, by="month")["points"]
    assert [(m["month"], m["n"]) for m in months] == [
        ("2026-01", 3), ("2026-02", 3), ("2026-03", 2), ("2026-05", 1)]
    assert months[0]["brier"] == pytest.approx((0.16 + 0.04 + 0.49) / 3)
    assert months[-1]["cumulative_brier"] == pytest.approx(2.015 / 9)


# -- nothing to score, and refusals ----------------------------------------------------------

def test_nothing_scored_yet(tmp_path):
    text = PERSONAL.split("  - id: qb3")[1].split("  - id: qb4")[0]
    ledger = _import(tmp_path, open="questions:\n  - id: qb3" + text)
    with ledger.connect() as con:
        o = report.score_report(con, by="forecaster")
        assert o["overall"]["n"] == 0 and o["overall"]["brier"] is None and o["groups"] == []
        cal = report.calibration_report(con)
        assert cal["n"] == 0 and cal["bins"] == [] and cal["corp"] is None
        assert report.calibration_over_time(con)["points"] == []
        assert score_sql(con)["overall"]["n"] == 0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"mode": "average"}, "mode: 'average' is not one of final, first, time-averaged"),
    ({"by": "weekday"}, "by: 'weekday' is not one of none, forecaster, tag"),
    ({"rule": "spherical"}, "rule: 'spherical' is not one of brier, log"),
    ({"since": "2026-13-01"}, "since: 2026-13-01 is not a real date"),
])
def test_bad_arguments_are_refused(con, kwargs, message):
    with pytest.raises(InvalidValue) as info:
        report.score_report(con, **kwargs)
    assert str(info.value).startswith(message)


def test_bad_calibration_arguments_are_refused(con):
    with pytest.raises(InvalidValue, match="strategy: 'kmeans' is not one of"):
        report.calibration_report(con, strategy="kmeans")
    with pytest.raises(InvalidValue, match="window: 0 is not"):
        report.calibration_over_time(con, window=0)
    with pytest.raises(InvalidValue, match="n_bins: 0 is not"):
        report.calibration_report(con, n_bins=0)


# -- a larger random ledger, checked against independent computations ------------------------

def _random_ledger(tmp_path: Path, n_questions: int = 60, seed: int = 11):
    rng = random.Random(seed)
    start = date(2025, 1, 1)
    lines = ["questions:"]
    truth = []
    for i in range(n_questions):
        opened = start + timedelta(days=rng.randrange(0, 200))
        resolved = opened + timedelta(days=rng.randrange(1, 150))
        outcome = rng.choice(["yes", "no", "yes", "no", "ambiguous"])
        tags = rng.sample(["ai", "bio", "geo"], rng.randrange(0, 3))
        lines += [f"  - id: r{i:03d}", f"    question: Will random event {i} happen?",
                  "    criteria: Yes if it happens.", f"    opened: {opened}",
                  f"    resolve_by: {resolved + timedelta(days=30)}", f"    tags: {tags}",
                  "    forecasts:"]
        for name in rng.sample(["ann", "ben", "cy", "dee"], rng.randrange(1, 5)):
            for _ in range(rng.randrange(1, 4)):
                made = opened + timedelta(days=rng.randrange(0, (resolved - opened).days + 1))
                # off the 0.1 grid so bins agree with scikit-learn's (a, b] edges
                prob = round(rng.randrange(0, 1000) / 1000 + 0.0005, 4)
                minute = rng.randrange(0, 24 * 60)  # of the day, UTC
                lines.append(f"      - {{forecaster: {name}, probability: {prob}, made_at: "
                             f"'{made}T{minute // 60:02d}:{minute % 60:02d}:00Z'}}")
                truth.append((f"r{i:03d}", name, prob, made, minute, outcome, resolved))
        lines += ["    resolution:", f"      outcome: {outcome}", f"      resolved_on: {resolved}"]
    path = tmp_path / "random.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ledger = Ledger(tmp_path / "random.duckdb")
    import_paths(ledger, [path])
    return ledger, truth


def _expected_final(truth):
    last = {}
    for q, f, p, made, minute, outcome, _resolved in truth:
        if outcome in ("yes", "no"):
            key = (q, f)
            if key not in last or (made, minute) > last[key][:2]:
                last[key] = (made, minute, p, int(outcome == "yes"))
    return [(k[0], k[1], v[2], v[3]) for k, v in sorted(last.items())]


def _expected_time_averaged(truth):
    # Literally score every day: from the first forecast through the resolution day, the
    # forecast standing that day is the last one made on or before it.
    per_pair = {}
    for q, f, p, made, minute, outcome, resolved in truth:
        if outcome in ("yes", "no"):
            per_pair.setdefault((q, f, resolved, int(outcome == "yes")), []).append(
                (made, minute, p))
    scores = []
    for (_, _, resolved, y), forecasts in sorted(per_pair.items()):
        forecasts.sort()
        day, daily = forecasts[0][0], []
        while day <= resolved:
            standing = [p for made, _, p in forecasts if made <= day][-1]
            daily.append((standing - y) ** 2)
            day += timedelta(days=1)
        scores.append(np.mean(daily))
    return np.mean(scores), len(scores)


def test_random_ledger_against_independent_computations(tmp_path):
    ledger, truth = _random_ledger(tmp_path)
    final = _expected_final(truth)
    y, p = _yp(final)
    with ledger.connect() as con:
        o = report.score_report(con)["overall"]
        assert o["n"] == len(final)
        assert o["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-12)
        assert o["log_score"] == pytest.approx(log_loss(y, p), abs=1e-12)
        expected, pairs = _expected_time_averaged(truth)
        ta = report.score_report(con, mode="time-averaged")["overall"]
        assert ta["n"] == pairs and ta["brier"] == pytest.approx(expected, abs=1e-12)
        cal = report.calibration_report(con, n_bins=10)
        frac, mean = calibration_curve(y, p, n_bins=10)
        assert [b["observed_frequency"] for b in cal["bins"]] == pytest.approx(frac, abs=1e-12)
        assert [b["mean_forecast"] for b in cal["bins"]] == pytest.approx(mean, abs=1e-12)
        for mode in selection.MODES:
            for by in [None, *GROUPINGS]:
                sql = score_sql(con, by=by, mode=mode)
                numpy = report.score_report(con, by=by, mode=mode)
                assert sql["overall"]["brier"] == pytest.approx(
                    numpy["overall"]["brier"], abs=1e-12)
                for a, b in zip(sql["groups"], numpy["groups"], strict=True):
                    assert (a["group"], a["n"]) == (b["group"], b["n"])
                    assert a["brier"] == pytest.approx(b["brier"], abs=1e-12)
                    assert a["log_score"] == pytest.approx(b["log_score"], abs=1e-12)


def test_demo_ledger_reports(tmp_path):
    from ledger.ingest.demo import build_demo

    path = tmp_path / "demo.duckdb"
    build_demo(path, n_questions=120, today=date(2026, 6, 1))
    with Ledger(path).connect() as con:
        for mode in selection.MODES:
            data = selection.scored_forecasts(con, mode=mode)
            numpy = report.score_report(con, by="forecaster", mode=mode)
            sql = score_sql(con, by="forecaster", mode=mode)
            assert numpy["overall"]["n"] == sql["overall"]["n"] > 0
            assert numpy["overall"]["brier"] == pytest.approx(sql["overall"]["brier"],
                                                              abs=1e-12)
            if mode != "time-averaged":
                assert numpy["overall"]["brier"] == pytest.approx(
                    brier_score_loss(data["outcome"], data["probability"]), abs=1e-12)
            cal = report.calibration_report(con, mode=mode, strategy="quantile")
            c = cal["corp"]
            assert c["mcb"] - c["dsc"] + c["unc"] == pytest.approx(c["brier"], abs=1e-12)


# -- the fast selection against the views ----------------------------------------------------

def _through_views(con, mode, **filters):
    """The scored rows as the views and the oracle's window SQL select them."""
    parts, params = selection._filters(filters.get("forecaster"), filters.get("tag"),
                                       filters.get("source"), filters.get("since"),
                                       filters.get("until"))
    sql = base_sql(mode, parts) + f"""
SELECT s.question_id, w.forecaster, sc.probability, sc.outcome, sc.weight, sc.days,
       sc.made_at, sc.made_on, sc.resolved_on, sc.horizon_days, s.source_id,
       s.reference_probability, sc.seq
FROM scored sc JOIN scope s USING (question_code) JOIN who w USING (forecaster_code)
ORDER BY sc.{selection._ORDER.replace(', ', ', sc.')}"""
    return con.execute(sql, params).fetchall()


def _through_arrays(con, mode, **filters):
    data = selection.scored_forecasts(con, mode=mode, **filters)
    keys = ["question_id", "forecaster", "probability", "outcome", "weight", "days", "made_at",
            "made_on", "resolved_on", "horizon_days", "source_id", "reference_probability",
            "seq"]
    cols = [data[k].tolist() for k in keys]
    # datetime64 to the Python values DuckDB hands out; nan to None as SQL's NULL
    for i, k in enumerate(keys):
        if k == "reference_probability":
            cols[i] = [None if x != x else x for x in cols[i]]
    return list(zip(*cols, strict=True))


def _assert_same_selection(con, **filters):
    for mode in selection.MODES:
        views = _through_views(con, mode, **filters)
        arrays = _through_arrays(con, mode, **filters)
        assert arrays == views, (mode, filters)


def test_selection_equals_the_views_and_their_window(con):
    # Late forecasts, corrected resolutions, ambiguous and annulled questions, every mode.
    _assert_same_selection(con)
    for filters in ({"forecaster": "ann"}, {"forecaster": ["ben", "cy"]}, {"tag": "ai"},
                    {"source": "src-a"}, {"since": "2026-02-01", "until": "2026-03-01"}):
        _assert_same_selection(con, **filters)


def test_selection_equals_the_views_with_same_day_forecasts(tmp_path):
    # The random ledger has several forecasts a day by one forecaster on one question: only
    # the day's last stands in time-averaged mode, decided by made_at and then entry number.
    ledger, truth = _random_ledger(tmp_path, n_questions=80, seed=5)
    same_day = len({(q, f, made) for q, f, _, made, *_ in truth}) < len(truth)
    assert same_day
    with ledger.connect() as con:
        _assert_same_selection(con)
        _assert_same_selection(con, tag="bio")


def test_an_edited_question_counts_in_its_current_version(tmp_path):
    ledger = _import(tmp_path, article=ARTICLE, personal=PERSONAL)
    edited = ARTICLE.replace("    tags: [ai]\n    reference: {probability: 0.4}",
                             "    tags: [policy]\n    reference: {probability: 0.5}")
    assert edited != ARTICLE
    path = tmp_path / "article.yaml"
    path.write_text(edited, encoding="utf-8")
    import_paths(ledger, [path])
    with ledger.connect() as con:
        assert con.execute("SELECT max(version) FROM questions WHERE id = 'qa1'"
                           ).fetchall() == [(2,)]
        _assert_same_selection(con)
        _assert_same_selection(con, tag="policy")
        tags = _groups(con, "tag")
        assert tags["policy"]["n"] == 5 and tags["ai"]["n"] == 4  # qa1 moved to policy
        o = report.score_report(con)["overall"]
        # the reference is now 0.5: ann 0.8 and ben 0.3 on a yes
        assert o["brier_skill_vs_reference"] == pytest.approx(1 - ((0.04 + 0.49) / 2) / 0.25)


def test_columns_fetch_only_what_is_asked(con):
    full = selection.scored_forecasts(con, mode="time-averaged")
    lean = selection.scored_forecasts(con, mode="time-averaged", columns=["made_on"])
    assert set(lean) == {"probability", "outcome", "weight", "question_code",
                         "forecaster_code", "pair", "made_on"}
    for key, values in lean.items():
        assert values.dtype == full[key].dtype
        assert values.tolist() == full[key].tolist()
    with pytest.raises(InvalidValue, match="columns: 'colour' is not one of"):
        selection.scored_forecasts(con, columns=["colour"])


def test_the_struct_key_picks_as_the_packed_key_does(tmp_path, monkeypatch):
    # Past 2**32 entries the packed (made_on, made_at, seq) key would overflow; the STRUCT key
    # then takes over and must pick the same forecasts.
    ledger, _ = _random_ledger(tmp_path, n_questions=60, seed=3)
    with ledger.connect() as con:
        packed = {m: _through_arrays(con, m) for m in ("final", "first")}
        assert order.key_for(con) is order.PACKED_KEY
        monkeypatch.setattr(order, "PACKED_SEQ_LIMIT", 1)
        assert order.key_for(con) is order.STRUCT_KEY
        for mode, rows in packed.items():
            assert _through_arrays(con, mode) == rows
            assert _through_views(con, mode) == rows


@pytest.mark.parametrize("mode", selection.MODES)
def test_reports_from_labels_by_code_equal_those_from_labels_per_row(tmp_path, mode):
    # Reports fetch names, sources and tags once per code; score_arrays on the full per-row
    # arrays of scored_forecasts must give the very same groups (a larger ledger with sources,
    # tags, references and several forecasters).
    from ledger.ingest.demo import build_demo

    path = tmp_path / "demo.duckdb"
    build_demo(path, n_questions=150, today=date(2026, 6, 1))
    with Ledger(path).connect() as con:
        names = [r[0] for r in con.execute("SELECT DISTINCT forecaster FROM forecasts "
                                           "ORDER BY 1").fetchall()]
        full = selection.scored_forecasts(con, mode=mode)
        assert len(set(full["source_id"].tolist())) >= 2
        for by in [None, *GROUPINGS]:
            lean = report.score_report(con, by=by, mode=mode)
            assert lean == report.score_arrays(full, by=by, mode=mode), by
            assert lean["groups"] or by is None
        mine = report.score_report(con, by="forecaster", mode=mode, forecaster=names[:2])
        others = selection.scored_forecasts(con, mode=mode)
        data = selection.scored_forecasts(con, mode=mode, forecaster=names[:2])
        assert mine == report.score_arrays(data, by="forecaster", mode=mode, others=others)
        assert mine["overall"]["n_shared"] > 0
        assert report.calibration_report(con, mode=mode) == report.calibration_arrays(
            full, mode=mode)
        assert report.calibration_over_time(con, mode=mode, by="month") == \
            report.over_time_arrays(full, mode=mode, by="month")


LATE_ENDS = """
questions:
  - id: qz
    question: Will the thing with late ends happen?
    criteria: Yes if it happens.
    opened: 2026-01-01
    resolve_by: 2026-06-30
    forecasts:
      - {forecaster: ann, probability: 0.3, made_at: 2026-01-05,
         recorded_at: "2026-01-05T12:00:00"}
      # ann's last and ann's first by made_on both reached the ledger after the resolution
      - {forecaster: ann, probability: 0.9, made_at: 2026-04-30,
         recorded_at: "2026-05-03T00:00:00"}
      - {forecaster: ann, probability: 0.2, made_at: 2026-01-03,
         recorded_at: "2026-05-04T00:00:00"}
      - {forecaster: ben, probability: 0.6, made_at: 2026-01-04,
         recorded_at: "2026-01-04T12:00:00"}
    resolution: {outcome: "no", resolved_on: 2026-05-01, recorded_at: "2026-05-02T00:00:00"}
"""


def test_a_pair_whose_last_or_first_forecast_is_late_scores_the_one_that_stands(tmp_path):
    # The pairs table holds each pair's ends; when an end is late the selection goes back to
    # the pair's forecasts, and must pick what the views pick.
    ledger = _import(tmp_path, late_ends=LATE_ENDS)
    with ledger.connect() as con:
        _assert_same_selection(con)
        for mode in ("final", "first"):
            data = selection.scored_forecasts(con, mode=mode)
            assert list(zip(data["forecaster"].tolist(), data["probability"].tolist(),
                            strict=True)) == [("ann", 0.3), ("ben", 0.6)], mode
