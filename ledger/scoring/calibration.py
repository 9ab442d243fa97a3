"""Calibration of probability forecasts: bins, Wilson intervals, and CORP's isotonic curve.

Every function takes outcomes ``y_true`` (0 = no, 1 = yes) and forecasts ``y_prob`` and checks
them at the top (:mod:`ledger.scoring.checks`). Binned tables put forecasts in bins
``[a, b)``, the last one closed, and give each bin's observed frequency with a 95% Wilson
interval; CORP (:func:`corp_decomposition`) needs no bins: pool-adjacent-violators
(:mod:`ledger.scoring.isotonic`) recalibrates every distinct forecast value, with bootstrap
consistency bands on request. Murphy's binned decomposition of the Brier score, which shares
the binning, is :mod:`ledger.scoring.decomposition`. Only numpy is imported.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ledger.scoring.checks import _checked, _mean, _n_bins
from ledger.scoring.isotonic import isotonic_levels

__all__ = [
    "STRATEGIES",
    "WILSON_Z",
    "calibration_table",
    "corp_decomposition",
    "pav",
    "wilson_interval",
]

#: The two-sided 95% normal quantile, ``Phi^-1(0.975)``, used by :func:`wilson_interval`.
WILSON_Z = 1.959963984540054

STRATEGIES = ("uniform", "quantile")


# -- binning and calibration -----------------------------------------------------------------

def _bins(p: np.ndarray, n_bins: int, strategy: str) -> tuple[np.ndarray, np.ndarray]:
    """``(bin index of each forecast, edges)``; bins are [a, b) except the last, [a, b]."""
    if strategy == "uniform":
        # k / n_bins is the double nearest k/n, so a typed 0.3 (the double nearest 3/10) sits
        # exactly on the edge and lands in [0.3, 0.4); np.linspace's 0.30000000000000004 would
        # put it in [0.2, 0.3).
        edges = np.arange(n_bins + 1) / n_bins
        # Arithmetic, not a search: p * n_bins is within a rounding of the bin number, and one
        # comparison with the true edges on each side settles forecasts on or near an edge.
        idx = (p * n_bins).astype(np.intp)  # truncation is floor for p >= 0
        np.minimum(idx, n_bins - 1, out=idx)  # p == 1 joins the last, closed, bin
        upper = np.append(edges[1:-1], np.inf)  # nothing moves up out of the last bin
        idx -= (p < edges[idx]).view(np.int8)
        idx += (p >= upper[idx]).view(np.int8)
        return idx, edges
    if strategy != "quantile":
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}; got {strategy!r}")
    # Repeated forecasts make repeated quantiles; dropping them keeps every bin non-empty in
    # width and, with [a, b), every forecast in exactly one bin.
    edges = np.unique(np.quantile(p, np.linspace(0.0, 1.0, n_bins + 1)))
    if edges.size == 1:  # every forecast the same: one closed bin [p, p]
        return np.zeros(p.size, dtype=np.intp), np.array([edges[0], edges[0]])
    idx = np.searchsorted(edges, p, side="right") - 1
    np.clip(idx, 0, edges.size - 2, out=idx)  # p == last edge joins the last, closed, bin
    return idx, edges


def wilson_interval(successes: npt.ArrayLike, n: npt.ArrayLike, z: float = WILSON_Z
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion ``successes / n`` (95% by default).

    .. math:: \\frac{\\hat p + \\frac{z^2}{2n} \\pm z \\sqrt{\\frac{\\hat p (1 - \\hat p)}{n}
              + \\frac{z^2}{4 n^2}}}{1 + \\frac{z^2}{n}}

    Unlike the normal approximation it stays within [0, 1] and is not zero-width at 0% or
    100%. ``n`` may be fractional (a sum of weights). ``n == 0`` gives ``nan``.

    Examples
    --------
    >>> low, high = wilson_interval([3], [10])
    >>> float(round(low[0], 4)), float(round(high[0], 4))
    (0.1078, 0.6032)
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        phat = k / n
        z2n = z * z / n
        centre = (phat + z2n / 2.0) / (1.0 + z2n)
        half = z / (1.0 + z2n) * np.sqrt(phat * (1.0 - phat) / n + z2n / (4.0 * n))
    # At 0 of n (n of n) the low (high) end is exactly 0 (1); rounding would miss it by a hair.
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    nothing = ~(n > 0)
    return np.where(nothing, np.nan, low), np.where(nothing, np.nan, high)


class _Binned:
    """Forecasts sorted into bins, with the per-bin sums both tables and Murphy need."""

    def __init__(self, y: np.ndarray, p: np.ndarray, w: np.ndarray | None, n_bins: int,
                 strategy: str) -> None:
        self.y, self.p, self.w = y, p, w
        self.idx, self.edges = _bins(p, n_bins, strategy)
        nb = self.edges.size - 1
        self.count = np.bincount(self.idx, minlength=nb)
        if w is None:
            self.weight = self.count.astype(np.float64)
            self.sum_p = np.bincount(self.idx, weights=p, minlength=nb)
            self.sum_y = np.bincount(self.idx, weights=y, minlength=nb)
        else:
            self.weight = np.bincount(self.idx, weights=w, minlength=nb)
            self.sum_p = np.bincount(self.idx, weights=p * w, minlength=nb)
            self.sum_y = np.bincount(self.idx, weights=y * w, minlength=nb)


def _table(b: _Binned) -> dict[str, np.ndarray]:
    keep = b.count > 0
    weight, sum_p, sum_y = b.weight[keep], b.sum_p[keep], b.sum_y[keep]
    low, high = wilson_interval(sum_y, weight)
    return {
        "bin_lower": b.edges[:-1][keep],
        "bin_upper": b.edges[1:][keep],
        "count": b.count[keep],
        "weight": weight,
        "mean_forecast": sum_p / weight,
        "observed_frequency": sum_y / weight,
        "wilson_low": low,
        "wilson_high": high,
    }


def calibration_table(y_true: npt.ArrayLike, y_prob: npt.ArrayLike, *, n_bins: int = 10,
                      strategy: str = "uniform",
                      sample_weight: npt.ArrayLike | None = None) -> dict[str, np.ndarray]:
    """Forecasts grouped into probability bins: how often what was given p% happened.

    Bins:

    * ``"uniform"``: ``n_bins`` bins of equal width with edges ``k / n_bins``, half-open
      ``[a, b)`` except the last, which is closed ``[a, 1]``. So 0.3 falls in [0.3, 0.4) and
      1.0 in [0.9, 1.0]. (scikit-learn's ``calibration_curve`` uses ``(a, b]``, so the two
      differ only for forecasts lying exactly on an interior edge.)
    * ``"quantile"``: edges are the quantiles of ``y_prob`` (so bins hold about equal numbers
      of forecasts); repeated edges are merged, so there may be fewer bins; the same [a, b) /
      last-closed rule puts every forecast in exactly one bin. Edges ignore ``sample_weight``.

    Only non-empty bins are returned. Each row has the bin edges, the number of forecasts, the
    mean forecast, the observed frequency of yes and its 95% Wilson score interval
    (:func:`wilson_interval`). A well-calibrated forecaster's observed frequencies lie near the
    mean forecasts.

    Returns
    -------
    dict of numpy arrays, one element per non-empty bin
        ``bin_lower``, ``bin_upper``, ``count`` (forecasts), ``weight`` (sum of weights; equal
        to ``count`` unweighted), ``mean_forecast``, ``observed_frequency``, ``wilson_low``,
        ``wilson_high``.

    Examples
    --------
    >>> t = calibration_table([0, 1, 1, 1], [0.1, 0.3, 0.35, 0.9], n_bins=2)
    >>> t["bin_lower"].tolist(), t["count"].tolist(), t["observed_frequency"].tolist()
    ([0.0, 0.5], [3, 1], [0.6666666666666666, 1.0])
    >>> t["mean_forecast"].tolist()  # (0.1 + 0.3 + 0.35) / 3 and 0.9
    [0.25, 0.9]
    """
    y, p, w = _checked(y_true, y_prob, sample_weight)
    return _table(_Binned(y, p, w, _n_bins(n_bins), strategy))


# -- CORP: isotonic recalibration ------------------------------------------------------------

_GRID = 10**6


def _on_grid(p: np.ndarray) -> np.ndarray | None:
    """``k`` with ``p == k / 10**6`` exactly for every forecast, or None when one is not.

    A probability written with at most six decimals is the double nearest k / 10**6, which is
    exactly what ``k / 10**6`` computes, so grouping by ``k`` is grouping by value, and the
    values come back bit for bit. (-0.0 would come back as 0.0, so it is left to the sort.)
    """
    if p.size < 1 << 16:  # not worth it; the sort is quick
        return None
    head = p[:4096]  # arbitrary doubles fail at once, before a pass over them all
    if not np.array_equal(np.rint(head * _GRID) / _GRID, head):
        return None
    k = np.rint(p * _GRID)
    if not np.array_equal(k / _GRID, p) or np.signbit(p).any():
        return None
    return k.astype(np.intp)


def _distinct(y: np.ndarray, p: np.ndarray, w: np.ndarray | None, *, use_grid: bool = True
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Per distinct forecast value: ``x, count, weight, weighted yes, row -> x index``.

    Forecasts written with at most six decimals (as people write them) are counted on that
    grid, with no sort or search at all. Otherwise, unweighted, one sort of integer keys is
    enough and is several times faster than an argsort; the row index is then not needed
    (``None``). ``use_grid=False`` skips the grid, so the tests can hold the two paths equal
    bit for bit.
    """
    grid = _on_grid(p) if use_grid else None
    if grid is not None:
        count = np.bincount(grid, minlength=_GRID + 1)
        present = count > 0
        # Weighted sums are added in row order, as the search below adds them; past its limit
        # of distinct values the sort adds them in another order, so that case is left to it.
        if w is None or np.count_nonzero(present) <= 1 << 16:
            x = np.flatnonzero(present) / _GRID
            count = count[present]
            if w is None:  # counts of yes are whole numbers: exact in any order
                n_yes = np.bincount(grid, weights=y, minlength=_GRID + 1)[present]
                return x, count, count.astype(np.float64), n_yes, None
            weight = np.bincount(grid, weights=w, minlength=_GRID + 1)[present]
            wyes = np.bincount(grid, weights=w * y, minlength=_GRID + 1)[present]
            return x, count, weight, wyes, (np.cumsum(present) - 1)[grid]
    if w is None:
        # The bits of a non-negative double, read as an int64, sort like the double (and stay
        # below 2**62 for p <= 1), which leaves the lowest bit free to carry the outcome.
        # Adding 0.0 turns -0.0, whose sign bit would sort it first, into 0.0.
        bits = (p + 0.0).view(np.int64)
        keys = np.sort((bits << 1) | y.astype(np.int64))
        xbits = keys >> 1
        starts = np.flatnonzero(np.concatenate(([True], xbits[1:] != xbits[:-1])))
        x = xbits[starts].view(np.float64)
        count = np.diff(np.append(starts, keys.size))
        n_yes = np.add.reduceat(keys & 1, starts)
        return x, count, count.astype(np.float64), n_yes.astype(np.float64), None
    ps = np.sort(p)
    x = ps[np.concatenate(([True], ps[1:] != ps[:-1]))]
    if x.size <= 1 << 16:
        # Few distinct values (as people write them): a binary search in a table that fits in
        # the cache beats moving every weight through an argsort.
        inverse = np.searchsorted(x, p)
        count = np.bincount(inverse, minlength=x.size)
        weight = np.bincount(inverse, weights=w, minlength=x.size)
        return x, count, weight, np.bincount(inverse, weights=w * y, minlength=x.size), inverse
    order = np.argsort(p, kind="stable")
    starts = np.flatnonzero(np.concatenate(([True], ps[1:] != ps[:-1])))
    count = np.diff(np.append(starts, ps.size))
    weight = np.add.reduceat(w[order], starts)
    wyes = np.add.reduceat((w * y)[order], starts)
    inverse = np.empty(p.size, dtype=np.intp)
    inverse[order] = np.repeat(np.arange(x.size), count)
    return x, count, weight, wyes, inverse


def pav(y_true: npt.ArrayLike, y_prob: npt.ArrayLike, *,
        sample_weight: npt.ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Isotonic recalibration of forecasts by pool-adjacent-violators (PAV).

    Forecasts with the same value are pooled first (one block per distinct value), then
    adjacent blocks whose observed frequencies decrease are pooled until the frequencies never
    decrease with the forecast. The result is the non-decreasing function of the forecast
    closest to the outcomes in squared error: the "recalibrated" probability that, judged by
    the outcomes themselves, each forecast value should have been.

    Returns
    -------
    x : ndarray
        The distinct forecast values, sorted.
    recalibrated : ndarray
        The recalibrated probability at each ``x`` (equal to scikit-learn's
        ``IsotonicRegression().fit(y_prob, y_true).predict(x)``).

    Examples
    --------
    >>> x, r = pav([0, 1, 0, 1, 1], [0.2, 0.4, 0.6, 0.6, 0.8])
    >>> x.tolist(), r.tolist()  # 0.4 (1 yes of 1) and 0.6 (1 of 2) pool to 2 of 3
    ([0.2, 0.4, 0.6, 0.8], [0.0, 0.6666666666666666, 0.6666666666666666, 1.0])
    """
    y, p, w = _checked(y_true, y_prob, sample_weight)
    x, _, weight, wyes, _ = _distinct(y, p, w)
    return x, isotonic_levels(weight, wyes)


def corp_decomposition(y_true: npt.ArrayLike, y_prob: npt.ArrayLike, *, n_boot: int = 0,
                       seed: int = 0, alpha: float = 0.1,
                       sample_weight: npt.ArrayLike | None = None) -> dict[str, Any]:
    """CORP reliability diagram and the exact decomposition of the Brier score it gives.

    Dimitriadis, Gneiting & Jordan (2021), "Stable reliability diagrams for probabilistic
    classifiers", PNAS 118(8) e2016191118: CORP (Consistent, Optimally binned, Reproducible,
    PAV-based). The recalibrated forecast ``r`` is :func:`pav`; with ``S`` the mean Brier score
    (one-outcome convention) and ``ybar`` the base rate,

    * miscalibration :math:`MCB = S(p) - S(r)` (>= 0, lower is better),
    * discrimination :math:`DSC = S(\\bar y) - S(r)` (>= 0, higher is better),
    * uncertainty :math:`UNC = S(\\bar y) = \\bar y (1 - \\bar y)`,

    so that :math:`BS = MCB - DSC + UNC` holds exactly, with no bins to choose.

    ``n_boot > 0`` adds consistency bands: under the hypothesis that the forecasts are
    calibrated, outcomes are redrawn ``n_boot`` times as Bernoulli(p), PAV is refitted each
    time, and the pointwise ``alpha / 2`` and ``1 - alpha / 2`` quantiles of the refitted values
    at each ``x`` are returned. A curve leaving the band is evidence of miscalibration there.
    Memory is ``n_boot`` times the number of distinct forecast values.

    Returns
    -------
    dict
        ``x``, ``recalibrated``, ``count`` (forecasts at each ``x``), ``weight`` (their summed
        weights), ``mcb``, ``dsc``, ``unc``, ``brier`` and, with ``n_boot``, ``lower`` and
        ``upper`` arrays aligned with ``x``.

    Examples
    --------
    >>> d = corp_decomposition([0, 1, 0, 1, 1], [0.2, 0.4, 0.6, 0.6, 0.8])
    >>> round(d["mcb"], 6), round(d["dsc"], 6), d["unc"], round(d["brier"], 6)
    (0.058667, 0.106667, 0.24, 0.192)
    >>> round(d["mcb"] - d["dsc"] + d["unc"], 12) == round(d["brier"], 12)
    True
    """
    y, p, w = _checked(y_true, y_prob, sample_weight)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise ValueError(f"n_boot must be an integer >= 0; got {n_boot!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be within (0, 1); got {alpha!r}")
    x, count, weight, wyes, inverse = _distinct(y, p, w)
    r = isotonic_levels(weight, wyes)
    total = np.sum(weight)
    base = np.sum(wyes) / total
    # S(r) from per-value sums: the yes part of the weight scores (1 - r)^2, the rest r^2.
    s_recal = float(np.sum(wyes * (1.0 - r) ** 2 + (weight - wyes) * r**2) / total)
    brier = _mean((p - y) ** 2, w)
    unc = float(base * (1.0 - base))
    out: dict[str, Any] = {
        "x": x, "recalibrated": r, "count": count, "weight": weight,
        "mcb": brier - s_recal, "dsc": unc - s_recal, "unc": unc, "brier": brier,
    }
    if n_boot:
        rng = np.random.default_rng(seed)
        boot = np.empty((int(n_boot), x.size))
        for b in range(int(n_boot)):
            if inverse is None:  # unweighted: the yes count at each x is Binomial(count, x)
                yes = rng.binomial(count, x).astype(np.float64)
            else:
                drawn = rng.random(p.size) < p
                yes = np.bincount(inverse, weights=w * drawn, minlength=x.size)
            boot[b] = isotonic_levels(weight, yes)
        out["lower"], out["upper"] = np.quantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
    return out

