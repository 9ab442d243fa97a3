"""ledger.scoring's maths (metrics, calibration, decomposition, isotonic, relative):
cross-checked against scikit-learn, by hand, and by property."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.calibration import calibration_curve
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss, log_loss

from ledger.scoring import calibration
from ledger.scoring.calibration import (
    WILSON_Z,
    calibration_table,
    corp_decomposition,
    pav,
    wilson_interval,
)
from ledger.scoring.decomposition import binned_calibration, murphy_decomposition
from ledger.scoring.isotonic import hull_starts, isotonic_levels, pav_passes, pav_stack
from ledger.scoring.metrics import (
    LOG_EPS,
    brier_score,
    brier_skill_score,
    clipped_count,
    day_weights,
    group_sums,
    grouped_scores,
    log_score,
    score_each,
    summary,
    time_averaged_brier,
)
from ledger.scoring.relative import relative_scores

TOL = 1e-9


def _random_set(n: int, seed: int, *, extremes: bool = True, rounding: int | None = None):
    rng = np.random.default_rng(seed)
    p = rng.random(n)
    if rounding is not None:
        p = np.round(p, rounding)
    if extremes:  # forecasts of exactly 0 and 1, right and wrong
        p[:4] = [0.0, 1.0, 0.0, 1.0]
    y = (rng.random(n) < p ** 1.2).astype(int)  # a little miscalibrated
    if extremes:
        y[:4] = [0, 1, 1, 0]
    return y, p


SETS = {
    "small": _random_set(50, 1),
    "large": _random_set(100_000, 2),
    "rounded": _random_set(20_000, 3, rounding=2),
    "all-yes": (np.ones(30, dtype=int), np.linspace(0, 1, 30)),
    "all-no": (np.zeros(30, dtype=int), np.linspace(0, 1, 30)),
    "single": (np.array([1]), np.array([0.7])),
}


def _sklearn_log(y, p):
    # scikit-learn now clips at machine epsilon; clipping first at LOG_EPS (its old default)
    # leaves nothing for it to clip, so both compute the same thing.
    return log_loss(y, np.clip(p, LOG_EPS, 1 - LOG_EPS), labels=[0, 1])


# -- scikit-learn cross-checks ---------------------------------------------------------------

@pytest.mark.parametrize("name", SETS)
def test_brier_matches_scikit_learn(name):
    y, p = SETS[name]
    assert brier_score(y, p) == pytest.approx(brier_score_loss(y, p, labels=[0, 1]), abs=TOL)
    # The two-outcome convention is twice the one-outcome one: scikit-learn's unscaled score.
    assert brier_score(y, p, two_outcome=True) == pytest.approx(
        brier_score_loss(y, p, labels=[0, 1], scale_by_half=False), abs=TOL)


@pytest.mark.parametrize("name", SETS)
def test_log_score_matches_scikit_learn(name):
    y, p = SETS[name]
    assert log_score(y, p) == pytest.approx(_sklearn_log(y, p), abs=TOL)


def test_log_score_equals_scikit_learn_unclipped_away_from_0_and_1():
    y, p = _random_set(10_000, 4, extremes=False)
    p = np.clip(p, 0.001, 0.999)
    assert log_score(y, p) == pytest.approx(log_loss(y, p), abs=1e-12)


def test_weighted_scores_match_scikit_learn():
    y, p = SETS["small"]
    w = np.random.default_rng(5).random(y.size) + 0.1
    assert brier_score(y, p, sample_weight=w) == pytest.approx(
        brier_score_loss(y, p, sample_weight=w), abs=TOL)
    assert log_score(y, p, sample_weight=w) == pytest.approx(
        log_loss(y, np.clip(p, LOG_EPS, 1 - LOG_EPS), sample_weight=w, labels=[0, 1]), abs=TOL)


@pytest.mark.parametrize("name", SETS)
@pytest.mark.parametrize("n_bins", [1, 5, 10])
def test_uniform_calibration_matches_scikit_learn(name, n_bins):
    y, p = SETS[name]
    if name == "rounded" or name.startswith("all"):
        # scikit-learn's bins are (a, b] and ours [a, b): compare only where none lies on an
        # interior edge (see test_bins_are_half_open_unlike_scikit_learn).
        edges = np.arange(1, n_bins) / n_bins
        keep = ~np.isin(p, edges)
        y, p = y[keep], p[keep]
    frac, mean = calibration_curve(y, p, n_bins=n_bins, strategy="uniform")
    table = calibration_table(y, p, n_bins=n_bins)
    np.testing.assert_allclose(table["observed_frequency"], frac, atol=TOL, rtol=0)
    np.testing.assert_allclose(table["mean_forecast"], mean, atol=TOL, rtol=0)
    assert table["count"].sum() == y.size


@pytest.mark.parametrize("n", [1000, 20_000])
def test_quantile_calibration_matches_scikit_learn(n):
    # With (n - 1) * k / 10 never whole, no forecast lies exactly on a quantile edge, where
    # scikit-learn's (a, b] and our [a, b) would differ.
    y, p = _random_set(n, 6, extremes=False)
    frac, mean = calibration_curve(y, p, n_bins=10, strategy="quantile")
    table = calibration_table(y, p, n_bins=10, strategy="quantile")
    np.testing.assert_allclose(table["observed_frequency"], frac, atol=TOL, rtol=0)
    np.testing.assert_allclose(table["mean_forecast"], mean, atol=TOL, rtol=0)
    assert table["bin_lower"][0] == p.min() and table["bin_upper"][-1] == p.max()


@pytest.mark.parametrize("name", SETS)
def test_pav_matches_scikit_learn_isotonic_regression(name):
    y, p = SETS[name]
    x, r = pav(y, p)
    expected = IsotonicRegression(out_of_bounds="clip").fit(p, y).predict(x)
    np.testing.assert_allclose(r, expected, atol=TOL, rtol=0)
    np.testing.assert_array_equal(x, np.unique(p))


def test_weighted_pav_matches_scikit_learn():
    rng = np.random.default_rng(7)
    p = np.round(rng.random(5000), 3)
    y = (rng.random(5000) < p).astype(int)
    w = rng.random(5000) + 0.01
    x, r = pav(y, p, sample_weight=w)
    expected = IsotonicRegression().fit(p, y, sample_weight=w).predict(x)
    np.testing.assert_allclose(r, expected, atol=TOL, rtol=0)


def test_weighted_pav_with_many_distinct_values_matches_scikit_learn():
    # Over 65536 distinct values takes the argsort path rather than the lookup table.
    rng = np.random.default_rng(13)
    p = rng.random(70_000)
    y = (rng.random(70_000) < p**2).astype(int)
    w = rng.random(70_000) + 0.01
    d = corp_decomposition(y, p, sample_weight=w)
    assert d["x"].size == 70_000
    expected = IsotonicRegression().fit(p, y, sample_weight=w).predict(d["x"])
    np.testing.assert_allclose(d["recalibrated"], expected, atol=TOL, rtol=0)
    assert d["mcb"] - d["dsc"] + d["unc"] == pytest.approx(d["brier"], abs=1e-12)


def _one_block_per_value(seed: int, n: int = 30_000):
    """Outcomes far from monotone in the forecast, one block per (distinct) forecast value."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.random(n))
    assert np.unique(x).size == n
    wyes = (rng.random(n) < np.sin(6 * x) ** 2).astype(np.float64)
    return x, np.ones(n), wyes


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_pav_path_matches_scikit_learn(seed):
    # The hull start alone, the vectorised passes (finished by the stack loop when they hand
    # over), the stack loop alone, and isotonic_levels, which chains them, all reach the
    # isotonic fit.
    x, weight, wyes = _one_block_per_value(seed)
    expected = IsotonicRegression().fit(x, wyes).predict(x)
    starts = hull_starts(weight, wyes)
    assert starts is not None and 1 < starts.size < x.size
    size = np.diff(np.append(starts, x.size))
    hull = np.repeat(np.add.reduceat(wyes, starts) / np.add.reduceat(weight, starts), size)
    bw, bs, bsize, finished = pav_passes(weight, wyes)
    assert bw.size < x.size / 2  # far from monotone: the passes pool most blocks
    passes = np.repeat(bs / bw, bsize) if finished else pav_stack(bw, bs, bsize)
    for levels in (hull, passes, pav_stack(weight, wyes), isotonic_levels(weight, wyes)):
        np.testing.assert_allclose(levels, expected, atol=1e-12, rtol=0)
    np.testing.assert_allclose(pav(wyes, x)[1], expected, atol=1e-12, rtol=0)


def test_pav_passes_hand_a_long_rising_chain_to_the_stack_loop():
    # Rising frequencies then one drop: a vectorised pass pools only the last two blocks, so
    # the passes stop after one (more than 90% of the blocks left) and the stack loop, which
    # pools the drop back through the chain, finishes.
    weight = np.ones(500)
    wyes = np.append(np.linspace(0.1, 0.9, 499), 0.0)
    x = np.arange(500.0)
    expected = IsotonicRegression().fit(x, wyes, sample_weight=weight).predict(x)
    bw, bs, size, finished = pav_passes(weight, wyes)
    assert not finished
    assert bw.size == 499 and size.tolist() == [1] * 498 + [2]
    np.testing.assert_allclose(pav_stack(bw, bs, size), expected, atol=1e-12, rtol=0)
    np.testing.assert_allclose(pav_stack(weight, wyes), expected, atol=1e-12, rtol=0)
    np.testing.assert_allclose(isotonic_levels(weight, wyes), expected, atol=1e-12, rtol=0)


@pytest.mark.parametrize("name", ["large", "rounded"])
@pytest.mark.parametrize("weighted", [False, True])
def test_corp_matches_scikit_learn_recalibration(name, weighted):
    # CORP's recalibrated forecasts are scikit-learn's isotonic regression of the outcomes on
    # the forecasts (ties pooled first, weights honoured); MCB and DSC follow from them.
    y, p = SETS[name]
    w = np.random.default_rng(4).random(y.size) + 0.05 if weighted else None
    d = corp_decomposition(y, p, sample_weight=w)
    iso = IsotonicRegression().fit(p, y, sample_weight=w)
    np.testing.assert_array_equal(d["x"], np.unique(p))
    if name == "rounded":
        assert d["x"].size == 101  # two decimals: ties on every value
    np.testing.assert_allclose(d["recalibrated"], iso.predict(d["x"]), atol=1e-12, rtol=0)
    s_recal = brier_score_loss(y, iso.predict(p), sample_weight=w)
    base = np.average(y, weights=w)
    assert d["mcb"] == pytest.approx(brier_score_loss(y, p, sample_weight=w) - s_recal, abs=TOL)
    assert d["dsc"] == pytest.approx(base * (1 - base) - s_recal, abs=TOL)
    assert d["unc"] == pytest.approx(base * (1 - base), abs=1e-15)


# -- by hand ---------------------------------------------------------------------------------

def test_hand_computed_scores():
    y, p = [1, 0, 1, 0], [0.8, 0.3, 0.5, 0.0]
    # (0.2^2 + 0.3^2 + 0.5^2 + 0^2) / 4 = (0.04 + 0.09 + 0.25 + 0) / 4 = 0.095
    assert brier_score(y, p) == pytest.approx(0.095, abs=1e-15)
    assert brier_score(y, p, two_outcome=True) == pytest.approx(0.19, abs=1e-15)
    # -(ln 0.8 + ln 0.7 + ln 0.5 + ln(1 - 1e-15)) / 4
    expected = -(math.log(0.8) + math.log(0.7) + math.log(0.5) + math.log(1 - 1e-15)) / 4
    assert log_score(y, p) == pytest.approx(expected, abs=1e-15)
    # base rate 0.5: BS_ref = 0.25 and 1 - 0.095 / 0.25 = 0.62; always-50% is the same here
    assert brier_skill_score(y, p) == pytest.approx(0.62, abs=1e-12)
    assert brier_skill_score(y, p, reference=0.5) == pytest.approx(0.62, abs=1e-12)
    # against per-question references 0.6, 0.6, 0.6, 0.6: (0.16 + 0.36 + 0.16 + 0.36) / 4 = 0.26
    assert brier_skill_score(y, p, reference=[0.6] * 4) == pytest.approx(1 - 0.095 / 0.26)
    np.testing.assert_allclose(score_each(y, p), [0.04, 0.09, 0.25, 0.0], atol=1e-15)


def test_log_score_clips_certainty_at_eps():
    # A wrong certain forecast costs -ln(1e-15) = 34.539 nats, not infinity.
    assert log_score([1], [0.0]) == pytest.approx(-math.log(1e-15), abs=1e-12)
    assert log_score([0], [1.0]) == pytest.approx(-math.log(1 - (1 - 1e-15)), abs=1e-9)
    assert log_score([1], [1.0]) == pytest.approx(-math.log(1 - 1e-15), abs=1e-20)
    assert clipped_count([0.0, 1.0, 0.5, 1e-16, 1 - 1e-16, 1e-15]) == 4
    assert log_score([1], [0.0], eps=0.01) == pytest.approx(-math.log(0.01))


def test_hand_computed_calibration_table():
    y = [0, 0, 1, 1, 1, 0, 1]
    p = [0.05, 0.1, 0.3, 0.5, 0.7, 0.7, 1.0]
    t = calibration_table(y, p, n_bins=2)
    # [0, 0.5): 0.05, 0.1, 0.3 -> mean 0.15, 1 of 3 happened
    # [0.5, 1]: 0.5, 0.7, 0.7, 1.0 -> mean 0.725, 3 of 4 happened
    assert t["bin_lower"].tolist() == [0.0, 0.5] and t["bin_upper"].tolist() == [0.5, 1.0]
    assert t["count"].tolist() == [3, 4]
    np.testing.assert_allclose(t["mean_forecast"], [0.15, 0.725], atol=1e-15)
    np.testing.assert_allclose(t["observed_frequency"], [1 / 3, 3 / 4], atol=1e-15)
    # Wilson for 1 of 3 at z = 1.96: (1/3 + z^2/6 -+ z sqrt(2/27 + z^2/36)) / (1 + z^2/3)
    z = WILSON_Z
    centre = (1 / 3 + z * z / 6) / (1 + z * z / 3)
    half = z / (1 + z * z / 3) * math.sqrt((1 / 3) * (2 / 3) / 3 + z * z / 36)
    assert t["wilson_low"][0] == pytest.approx(centre - half, abs=1e-15)
    assert t["wilson_high"][0] == pytest.approx(centre + half, abs=1e-15)


def test_bins_are_half_open_unlike_scikit_learn():
    # 0.3 typed by a person is the double nearest 3/10, which is also the edge 3/10: it goes
    # up, into [0.3, 0.4). 1.0 goes in the last, closed, bin. scikit-learn puts edge values
    # in the lower bin.
    t = calibration_table([1, 0, 1], [0.3, 0.5, 1.0], n_bins=10)
    assert t["bin_lower"].tolist() == [0.3, 0.5, 0.9]
    assert t["bin_upper"].tolist() == [0.4, 0.6, 1.0]
    t2 = calibration_table([1, 0], [0.5, 0.5], n_bins=2)
    assert t2["bin_lower"].tolist() == [0.5]
    frac, mean = calibration_curve([1, 0, 0], [0.5, 0.5, 0.9], n_bins=2)
    assert mean.tolist() == [0.5, 0.9]  # scikit-learn: 0.5 alone in (0, 0.5]


def test_quantile_bins_with_ties_put_every_forecast_in_one_bin():
    p = [0.7] * 8 + [0.1, 0.9]
    y = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1]
    t = calibration_table(y, p, n_bins=4, strategy="quantile")
    assert t["count"].sum() == 10
    # Quantile edges are 0.1, 0.7, 0.7, 0.7, 0.9 -> bins [0.1, 0.7) and [0.7, 0.9]
    assert t["bin_lower"].tolist() == [0.1, 0.7] and t["count"].tolist() == [1, 9]
    same = calibration_table([1, 0], [0.4, 0.4], strategy="quantile")
    assert same["count"].tolist() == [2] and same["bin_lower"].tolist() == [0.4]
    assert same["bin_upper"].tolist() == [0.4]


def test_hand_computed_murphy():
    y = [0, 1, 1, 1]
    p = [0.1, 0.3, 0.35, 0.9]
    d = murphy_decomposition(y, p, n_bins=2)
    # bins: [0, .5): .1 .3 .35 (mean .25, freq 2/3); [.5, 1]: .9 (freq 1); base rate .75
    assert d["reliability"] == pytest.approx((3 * (0.25 - 2 / 3) ** 2 + (0.9 - 1) ** 2) / 4)
    assert d["resolution"] == pytest.approx((3 * (2 / 3 - 0.75) ** 2 + (1 - 0.75) ** 2) / 4)
    assert d["uncertainty"] == pytest.approx(0.75 * 0.25)
    # within-bin: forecasts' spread .1 .3 .35 around .25, and covariance with outcomes
    assert d["within_bin_variance"] == pytest.approx((0.15**2 + 0.05**2 + 0.1**2) / 4)
    cov = (-2 / 3) * (-0.15) + (1 / 3) * 0.05 + (1 / 3) * 0.1
    assert d["within_bin_covariance"] == pytest.approx(2 * cov / 4)
    assert d["brier"] == pytest.approx((0.01 + 0.49 + 0.4225 + 0.01) / 4)


def test_hand_computed_corp():
    y, p = [0, 1, 0, 1, 1], [0.2, 0.4, 0.6, 0.6, 0.8]
    d = corp_decomposition(y, p)
    # PAV: 0.4 (1 of 1) > 0.6 (1 of 2), so they pool to 2 of 3 = 2/3
    np.testing.assert_allclose(d["recalibrated"], [0, 2 / 3, 2 / 3, 1], atol=1e-15)
    assert d["count"].tolist() == [1, 1, 2, 1]
    # S(recal) = (0 + 1/9 + 4/9 + 1/9 + 0) / 5 = 2/15; S(p) = 0.96 / 5 = 0.192; UNC = 0.24
    assert d["brier"] == pytest.approx(0.192)
    assert d["mcb"] == pytest.approx(0.192 - 2 / 15)
    assert d["dsc"] == pytest.approx(0.24 - 2 / 15)
    assert d["unc"] == pytest.approx(0.24)


def test_calibrated_forecasts_have_no_miscalibration():
    # 0.25 happened 1 time in 4 and 0.75 3 times in 4: PAV changes nothing.
    y = [1, 0, 0, 0, 1, 1, 1, 0]
    p = [0.25] * 4 + [0.75] * 4
    d = corp_decomposition(y, p)
    assert d["mcb"] == pytest.approx(0.0, abs=1e-15)
    assert murphy_decomposition(y, p)["reliability"] == pytest.approx(0.0, abs=1e-15)


def test_consistency_bands():
    y, p = _random_set(2000, 8, extremes=False, rounding=1)
    d = corp_decomposition(y, p, n_boot=200, seed=3)
    assert d["lower"].shape == d["x"].shape == d["upper"].shape
    assert np.all(d["lower"] <= d["upper"])
    # Under calibration the bands surround the diagonal where there are many forecasts.
    busy = d["count"] > 100
    assert np.all((d["lower"][busy] <= d["x"][busy]) & (d["x"][busy] <= d["upper"][busy]))
    again = corp_decomposition(y, p, n_boot=200, seed=3)
    np.testing.assert_array_equal(d["lower"], again["lower"])  # seeded: reproducible
    w = corp_decomposition(y, p, n_boot=50, seed=3, sample_weight=np.ones(y.size))
    assert np.all(w["lower"] <= w["upper"])


def test_wilson_interval_edges():
    low, high = wilson_interval([0, 5, 0], [5, 5, 0])
    assert low[0] == 0.0 and 0 < high[0] < 1
    assert high[1] == 1.0 and 0 < low[1] < 1
    assert np.isnan(low[2]) and np.isnan(high[2])


def test_relative_scores_by_hand():
    q = ["a", "a", "a", "b", "b", "c"]
    f = ["ann", "ben", "cy", "ann", "ben", "ann"]
    s = [0.1, 0.3, 0.5, 0.4, 0.2, 0.9]
    r = relative_scores(q, f, s)
    # ann: a: 0.1 - median(0.3, 0.5) = -0.3; b: 0.4 - 0.2 = 0.2; c: nobody else -> (-0.3+0.2)/2
    # ben: a: 0.3 - median(0.1, 0.5) = 0.0; b: 0.2 - 0.4 = -0.2 -> -0.1
    # cy: a: 0.5 - median(0.1, 0.3) = 0.3
    assert r["forecaster"].tolist() == ["ann", "ben", "cy"]
    np.testing.assert_allclose(r["relative"], [-0.05, -0.1, 0.3], atol=1e-15)
    assert r["n_shared"].tolist() == [2, 2, 1] and r["n"].tolist() == [3, 2, 1]
    alone = relative_scores(["q"], ["solo"], [0.2])
    assert np.isnan(alone["relative"][0]) and alone["n_shared"][0] == 0


def test_time_averaged_brier_by_hand():
    # ann: 0.6 for 3 days then 0.9 for 1 day on a yes: (3 * 0.16 + 0.01) / 4 = 0.1225
    # ben: 0.2 for 2 days on the same yes: 0.64. Mean over the two pairs: 0.38125
    y, p, days = [1, 1, 1], [0.6, 0.9, 0.2], [3, 1, 2]
    groups = ["ann", "ann", "ben"]
    np.testing.assert_allclose(day_weights(groups, days), [0.75, 0.25, 1.0])
    assert time_averaged_brier(y, p, days, groups=groups) == pytest.approx(0.38125)
    assert time_averaged_brier(y, p, days) == pytest.approx((0.48 + 0.01 + 1.28) / 6)


def test_summary_agrees_with_the_single_scores():
    y, p = SETS["large"]
    ref = np.where(np.arange(y.size) % 3 == 0, 0.5, np.nan)
    s = summary(y, p, reference=ref)
    assert s["brier"] == brier_score(y, p) and s["log_score"] == log_score(y, p)
    assert s["log_clipped"] == clipped_count(p) == 4
    assert s["brier_skill"] == pytest.approx(brier_skill_score(y, p), abs=1e-15)
    assert s["brier_skill_vs_50"] == pytest.approx(brier_skill_score(y, p, reference=0.5))
    has = ~np.isnan(ref)
    assert s["brier_skill_vs_reference"] == brier_skill_score(y[has], p[has], reference=0.5)
    assert s["n_reference"] == has.sum()
    assert math.isnan(summary([1, 1], [0.5, 0.9])["brier_skill"])  # all yes: undefined


@pytest.mark.parametrize("weighted", [False, True])
def test_grouped_scores_equal_summary_of_each_group(weighted):
    y, p = SETS["large"]
    rng = np.random.default_rng(12)
    groups = rng.integers(0, 7, y.size)
    ref = np.where(rng.random(y.size) < 0.3, rng.random(y.size), np.nan)
    w = rng.random(y.size) + 0.1 if weighted else None
    scores = grouped_scores(group_sums(groups, y, p, reference=ref, sample_weight=w))
    for g in range(7):
        m = groups == g
        expected = summary(y[m], p[m], reference=ref[m],
                           sample_weight=None if w is None else w[m])
        for key, value in expected.items():
            assert scores[key][g] == pytest.approx(value, abs=1e-12, nan_ok=True), key
    # sums add up: a union of groups scores as the whole
    whole = grouped_scores(group_sums(np.zeros(y.size, dtype=int), y, p))
    assert whole["brier"][0] == pytest.approx(brier_score(y, p), abs=1e-12)
    empty = grouped_scores(group_sums([2], [1], [0.5], n_groups=3))
    assert np.isnan(empty["brier"][0]) and empty["n"].tolist() == [0, 0, 1]


def test_binned_calibration_is_table_and_murphy():
    y, p = SETS["small"]
    table, murphy = binned_calibration(y, p, n_bins=7, strategy="quantile")
    expected = calibration_table(y, p, n_bins=7, strategy="quantile")
    for key in expected:
        np.testing.assert_array_equal(table[key], expected[key])
    assert murphy == murphy_decomposition(y, p, n_bins=7, strategy="quantile")


def test_skill_is_nan_when_the_reference_is_perfect():
    assert math.isnan(brier_skill_score([1, 1, 1], [0.9, 0.8, 1.0]))  # base rate 1: BS_ref 0
    assert math.isnan(brier_skill_score([1, 0], [0.9, 0.2], reference=[1.0, 0.0]))


# -- properties ------------------------------------------------------------------------------

probabilities = st.floats(0, 1, allow_nan=False)


# scikit-learn's isotonic regression merges forecasts closer than 1e-15 (and then may return
# nan); ours keeps every distinct double apart. Compare on a grid of 1e-6 where they agree.
grid = st.integers(0, 10**6).map(lambda k: k / 10**6)


@st.composite
def forecast_sets(draw, min_size=1, max_size=60, weighted=False, values=None):
    n = draw(st.integers(min_size, max_size))
    # Few distinct values as people write them, or any double.
    if values is None:
        values = st.sampled_from([0.0, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]) | probabilities
    p = np.array(draw(st.lists(values, min_size=n, max_size=n)))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    w = None
    if weighted:
        w = np.array(draw(st.lists(st.floats(0.01, 10), min_size=n, max_size=n)))
    return y, p, w


@settings(max_examples=200, deadline=None)
@given(forecast_sets(weighted=True), st.integers(1, 12), st.sampled_from(["uniform",
                                                                           "quantile"]),
       st.booleans())
def test_murphy_reconciles_with_brier(data, n_bins, strategy, use_weights):
    y, p, w = data
    w = w if use_weights else None
    d = murphy_decomposition(y, p, n_bins=n_bins, strategy=strategy, sample_weight=w)
    total = (d["reliability"] - d["resolution"] + d["uncertainty"] + d["within_bin_variance"]
             - d["within_bin_covariance"])
    assert total == pytest.approx(d["brier"], abs=1e-12)
    assert d["brier"] == pytest.approx(brier_score(y, p, sample_weight=w), abs=1e-15)
    assert d["reliability"] >= 0 and d["resolution"] >= 0 and d["within_bin_variance"] >= 0
    table = calibration_table(y, p, n_bins=n_bins, strategy=strategy, sample_weight=w)
    assert table["count"].sum() == y.size and d["n_bins"] == table["count"].size
    assert np.all(table["bin_lower"] <= table["mean_forecast"] + 1e-12)
    assert np.all(table["mean_forecast"] <= table["bin_upper"] + 1e-12)
    assert np.all((table["wilson_low"] <= table["observed_frequency"])
                  & (table["observed_frequency"] <= table["wilson_high"]))


@settings(max_examples=200, deadline=None)
@given(forecast_sets(weighted=True), st.booleans())
def test_corp_reconciles_with_brier(data, use_weights):
    y, p, w = data
    w = w if use_weights else None
    d = corp_decomposition(y, p, sample_weight=w)
    assert d["mcb"] - d["dsc"] + d["unc"] == pytest.approx(d["brier"], abs=1e-12)
    assert d["mcb"] >= -1e-12 and d["dsc"] >= -1e-12
    assert np.all(np.diff(d["recalibrated"]) >= 0)
    assert np.all((d["recalibrated"] >= 0) & (d["recalibrated"] <= 1))


@settings(max_examples=200, deadline=None)
@given(forecast_sets(weighted=True, values=st.sampled_from([0.0, 0.3, 0.5, 1.0]) | grid),
       st.booleans())
def test_corp_matches_isotonic_regression(data, use_weights):
    y, p, w = data
    w = w if use_weights else None
    d = corp_decomposition(y, p, sample_weight=w)
    expected = IsotonicRegression().fit(p, y, sample_weight=w).predict(d["x"])
    np.testing.assert_allclose(d["recalibrated"], expected, atol=1e-9, rtol=0)


@settings(max_examples=100, deadline=None)
@given(forecast_sets(min_size=2), st.randoms(use_true_random=False))
def test_scores_do_not_depend_on_order(data, rnd):
    y, p, _ = data
    order = np.arange(y.size)
    rnd.shuffle(order)
    ys, ps = y[order], p[order]
    assert brier_score(ys, ps) == pytest.approx(brier_score(y, p), abs=1e-15)
    assert log_score(ys, ps) == pytest.approx(log_score(y, p), abs=1e-12)
    for key, value in murphy_decomposition(y, p).items():
        assert murphy_decomposition(ys, ps)[key] == pytest.approx(value, abs=1e-12)
    a, b = corp_decomposition(y, p), corp_decomposition(ys, ps)
    np.testing.assert_allclose(a["recalibrated"], b["recalibrated"], atol=1e-12)
    ta, tb = calibration_table(y, p), calibration_table(ys, ps)
    np.testing.assert_array_equal(ta["count"], tb["count"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=1, max_size=50))
def test_perfect_forecasts_score_zero(outcomes):
    y = np.array(outcomes)
    p = y.astype(float)
    assert brier_score(y, p) == 0.0
    assert log_score(y, p) == pytest.approx(-math.log(1 - LOG_EPS), abs=1e-20)
    d = corp_decomposition(y, p)
    assert d["mcb"] == pytest.approx(0.0, abs=1e-15)
    assert d["dsc"] == pytest.approx(d["unc"], abs=1e-15)


@settings(max_examples=100, deadline=None)
@given(forecast_sets())
def test_always_50_is_the_reference_for_skill(data):
    y, p, _ = data
    assert brier_score(y, np.full(y.size, 0.5)) == 0.25
    assert brier_skill_score(y, p, reference=0.5) == pytest.approx(1 - 4 * brier_score(y, p))
    assert brier_skill_score(y, p, reference=p) == pytest.approx(0.0) or \
        math.isnan(brier_skill_score(y, p, reference=p))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 4), st.sampled_from(
    [0.0, 0.1, 0.25, 0.5, 1.0])), min_size=1, max_size=30,
    unique_by=lambda t: (t[0], t[1])))
def test_relative_scores_match_brute_force(rows):
    q = np.array([r[0] for r in rows])
    f = np.array([f"f{r[1]}" for r in rows])
    s = np.array([r[2] for r in rows])
    out = relative_scores(q, f, s)
    for name, rel, shared in zip(out["forecaster"], out["relative"], out["n_shared"],
                                 strict=True):
        diffs = [s[i] - np.median(s[(q == q[i]) & (np.arange(q.size) != i)])
                 for i in np.flatnonzero(f == name) if np.sum(q == q[i]) > 1]
        assert shared == len(diffs)
        if diffs:
            assert rel == pytest.approx(np.mean(diffs), abs=1e-12)
        else:
            assert math.isnan(rel)


def test_large_group_relative_scores():
    # Questions with many forecasters each (a wider padded matrix) and uneven sizes.
    rng = np.random.default_rng(9)
    q = np.repeat(np.arange(40), rng.integers(1, 300, 40))
    f = np.concatenate([np.arange(k) for k in np.bincount(q)])
    s = rng.random(q.size)
    out = relative_scores(q, f, s)
    i = np.flatnonzero(f == 0)
    diffs = [s[j] - np.median(s[(q == q[j]) & (f != 0)]) for j in i if np.sum(q == q[j]) > 1]
    assert out["relative"][0] == pytest.approx(np.mean(diffs), abs=1e-12)


# -- refusals --------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "message"), [
    (lambda: brier_score([1, 0, 1, 0], [0.1, 0.2, 0.3, 1.2]),
     "y_prob must be within [0, 1]; got 1.2 at index 3"),
    (lambda: brier_score([1, 0], [0.1, float("nan")]),
     "y_prob must be within [0, 1]; got nan at index 1"),
    (lambda: brier_score([1, 2], [0.1, 0.2]), "y_true must hold only 0 and 1; got 2 at index 1"),
    (lambda: log_score(["yes"], [0.1]), "y_true must hold only 0 and 1; got values of type"),
    (lambda: brier_score([1, 0], [0.1]),
     "y_true and y_prob must have the same length; got 2 and 1"),
    (lambda: brier_score([], []), "y_true is empty; need at least one forecast"),
    (lambda: brier_score([[1]], [[0.5]]), "y_true must be one-dimensional; got shape (1, 1)"),
    (lambda: brier_score([1], [0.5], sample_weight=[-1]),
     "sample_weight must be finite and > 0; got -1 at index 0"),
    (lambda: brier_score([1], [0.5], sample_weight=[1, 2]),
     "sample_weight must have one weight per forecast; got 2 weights for 1 forecasts"),
    (lambda: log_score([1], [0.5], eps=0.7), "eps must be within (0, 0.5); got 0.7"),
    (lambda: brier_skill_score([1], [0.5], reference=1.5),
     "reference must be within [0, 1]; got 1.5"),
    (lambda: brier_skill_score([1, 0], [0.5, 0.5], reference=[0.5, -0.1]),
     "reference must be within [0, 1]; got -0.1 at index 1"),
    (lambda: calibration_table([1], [0.5], n_bins=0), "n_bins must be an integer >= 1; got 0"),
    (lambda: calibration_table([1], [0.5], strategy="kmeans"),
     "strategy must be one of uniform, quantile; got 'kmeans'"),
    (lambda: corp_decomposition([1], [0.5], n_boot=-1), "n_boot must be an integer >= 0"),
    (lambda: corp_decomposition([1], [0.5], alpha=1.5), "alpha must be within (0, 1); got 1.5"),
    (lambda: relative_scores(["q", "q"], ["a", "a"], [0.1, 0.2]),
     "each (question, forecaster) pair must appear once; got 'a' twice on question 'q'"),
    (lambda: relative_scores(["q"], ["a"], [float("inf")]),
     "scores must be finite numbers; got inf at index 0"),
    (lambda: group_sums([-1], [1], [0.5]),
     "groups must hold one group number >= 0 per forecast"),
    (lambda: score_each([1], [0.5], rule="spherical"),
     "rule must be one of brier, log; got 'spherical'"),
])
def test_refusals_name_the_argument_and_the_range(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value).startswith(message)


def test_outcomes_may_be_bool_or_float():
    assert brier_score([True, False], [0.9, 0.1]) == brier_score([1.0, 0.0], [0.9, 0.1])
    assert brier_score(np.array([1, 0], dtype=np.int8), [0.9, 0.1]) == pytest.approx(0.01)


@pytest.mark.parametrize("decimals", [2, 4, 6, None])
@pytest.mark.parametrize("weighted", [False, True])
def test_forecasts_on_a_decimal_grid_pool_as_the_sort_does(decimals, weighted):
    # Many forecasts written with few decimals are counted on a grid; the result must be the
    # very same, bit for bit, as sorting and searching them.
    rng = np.random.default_rng(8)
    p = rng.random(1 << 17)
    if decimals is not None:
        p = np.round(p, decimals)
    p[:2] = [0.0, 1.0]
    y = (rng.random(p.size) < p).astype(np.float64)
    w = rng.random(p.size) + 0.1 if weighted else None
    assert (calibration._on_grid(p) is None) == (decimals is None)
    # Everything CORP computes (the fit, the sums, the bootstrap) is a function of these.
    fast = calibration._distinct(y, p, w)
    slow = calibration._distinct(y, p, w, use_grid=False)
    names = ("x", "count", "weight", "wyes", "inverse")
    for name, a, b in zip(names, fast, slow, strict=True):
        assert (a is None) == (b is None), name
        if a is not None:
            assert np.array_equal(a, b), name
            assert a.dtype == b.dtype, name
