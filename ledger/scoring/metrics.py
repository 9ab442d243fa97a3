"""Scores for probability forecasts of yes/no questions: pure, vectorised numpy.

Every function takes outcomes ``y_true`` (0 = no, 1 = yes) and forecasts ``y_prob`` (the
probability given to yes), checks them at the top and raises ``ValueError`` naming the argument
and what it must be. Nothing here reads the ledger:
:mod:`ledger.scoring.report` selects the forecasts
with SQL and calls these. The conventions (which way is better, the Brier scale, the log base,
bin edges) are written in each docstring and, for forecasters, in ``docs/scoring.md``.

``sample_weight`` is accepted everywhere so that time-averaged scoring can weight each
forecast by the share of days it stood (see :func:`day_weights`). Weights must be > 0.

Everything is vectorised (sorting, ``np.bincount``, ``np.searchsorted``); no Python loop runs
over forecasts. Only numpy is imported: the CLI's cold start and the dashboard depend on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "LOG_EPS",
    "WILSON_Z",
    "SUM_KEYS",
    "binned_calibration",
    "brier_score",
    "brier_skill_score",
    "calibration_table",
    "clipped_count",
    "corp_decomposition",
    "day_weights",
    "group_sums",
    "grouped_scores",
    "log_score",
    "murphy_decomposition",
    "pav",
    "relative_scores",
    "score_each",
    "summary",
    "time_averaged_brier",
    "wilson_interval",
]

#: Probabilities are clipped to ``[LOG_EPS, 1 - LOG_EPS]`` before taking logs, so a forecast of
#: 0% on something that happened costs ``-ln(1e-15)`` = 34.54 nats instead of infinity. The
#: value is scikit-learn's historical ``log_loss`` default, so cross-checks are exact.
LOG_EPS = 1e-15

#: The two-sided 95% normal quantile, ``Phi^-1(0.975)``, used by :func:`wilson_interval`.
WILSON_Z = 1.959963984540054

STRATEGIES = ("uniform", "quantile")

# A vectorised PAV pass that leaves more than this share of the blocks unmerged hands over to
# the stack loop, so the passes stay O(n) in total (their work shrinks geometrically).
_PAV_SLOW_PASS = 0.9


# -- input checks ----------------------------------------------------------------------------

def _one_d(name: str, values: Any) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty; need at least one forecast")
    return arr


def _outcomes(y_true: Any, name: str = "y_true") -> np.ndarray:
    arr = _one_d(name, y_true)
    if arr.dtype == bool:
        return arr.astype(np.float64)
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold only 0 and 1; got values of type {arr.dtype}")
    bad = (arr != 0) & (arr != 1)  # NaN is != everything, so it is caught too
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{name} must hold only 0 and 1; got {arr[i].item()!r} at index {i}")
    return arr.astype(np.float64, copy=False)


def _probabilities(y_prob: Any, name: str = "y_prob") -> np.ndarray:
    arr = _one_d(name, y_prob)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be within [0, 1]; got values of type {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    bad = ~((arr >= 0) & (arr <= 1))  # written this way round so that NaN is bad
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{name} must be within [0, 1]; got {arr[i].item()!r} at index {i}")
    return arr


def _weights(sample_weight: Any, n: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    w = _one_d("sample_weight", sample_weight)
    if w.dtype.kind not in "biuf":
        raise ValueError(f"sample_weight must be numbers > 0; got values of type {w.dtype}")
    raw, w = w, w.astype(np.float64, copy=False)
    if w.size != n:
        raise ValueError(f"sample_weight must have one weight per forecast; got {w.size} "
                         f"weights for {n} forecasts")
    bad = ~((w > 0) & np.isfinite(w))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"sample_weight must be finite and > 0; got {raw[i].item()!r} "
                         f"at index {i}")
    return w


def _checked(y_true: Any, y_prob: Any, sample_weight: Any = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    y = _outcomes(y_true)
    p = _probabilities(y_prob)
    if y.size != p.size:
        raise ValueError(f"y_true and y_prob must have the same length; got {y.size} and {p.size}")
    return y, p, _weights(sample_weight, y.size)


def _n_bins(n_bins: Any) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise ValueError(f"n_bins must be an integer >= 1; got {n_bins!r}")
    return int(n_bins)


def _mean(values: np.ndarray, w: np.ndarray | None) -> float:
    # np.average(values, weights=w) spelled out: sum(w * x) / sum(w), as scikit-learn does.
    if w is None:
        return float(np.mean(values))
    return float(np.sum(values * w) / np.sum(w))


# -- scores ----------------------------------------------------------------------------------

def brier_score(y_true: npt.ArrayLike, y_prob: npt.ArrayLike, *, two_outcome: bool = False,
                sample_weight: npt.ArrayLike | None = None) -> float:
    """Brier score: the mean squared difference between forecast and outcome.

    .. math:: BS = \\frac{1}{n} \\sum_i (p_i - y_i)^2

    Lower is better. In the one-outcome convention used by default (and by scikit-learn's
    ``brier_score_loss``) it ranges from 0 (certain and right every time) to 1 (certain and
    wrong every time); always saying 50% scores 0.25. ``two_outcome=True`` gives the original
    Brier (1950) convention that sums over both outcomes, yes and no, which is exactly twice as
    large and ranges from 0 to 2 (always 50% scores 0.5; Good Judgment Open uses this one).

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Outcomes, 1 for yes and 0 for no.
    y_prob : array-like of shape (n,)
        Probabilities given to yes, within [0, 1].
    two_outcome : bool, default False
        Report on the 0..2 scale instead of 0..1.
    sample_weight : array-like of shape (n,), optional
        Weights > 0; the score is then the weighted mean.

    Returns
    -------
    float

    Examples
    --------
    >>> brier_score([1, 0, 1], [0.9, 0.2, 0.4])  # (0.01 + 0.04 + 0.36) / 3
    0.13666666666666666
    >>> brier_score([1, 0, 1], [0.9, 0.2, 0.4], two_outcome=True)
    0.2733333333333333
    """
    y, p, w = _checked(y_true, y_prob, sample_weight)
    score = _mean((p - y) ** 2, w)
    return 2.0 * score if two_outcome else score


def _log_losses(y: np.ndarray, p: np.ndarray, eps: float) -> np.ndarray:
    # Clip p first and take 1 - p afterwards, as scikit-learn's log_loss did with eps=1e-15
    # (and as the SQL in ledger.scoring.report does), so all three agree to the last bit.
    # In place on one temporary (millions of forecasts): the same operations, bit for bit.
    out = np.clip(p, eps, 1.0 - eps)
    np.subtract(1.0, out, out=out, where=y != 1)
    np.log(out, out=out)
    return np.negative(out, out=out)


def _check_eps(eps: float) -> float:
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must be within (0, 0.5); got {eps!r}")
    return float(eps)


def log_score(y_true: npt.ArrayLike, y_prob: npt.ArrayLike, *, eps: float = LOG_EPS,
              sample_weight: npt.ArrayLike | None = None) -> float:
    """Log score: the mean negative natural log of the probability given to what happened.

    .. math:: LS = -\\frac{1}{n} \\sum_i \\left[ y_i \\ln p_i + (1 - y_i) \\ln(1 - p_i) \\right]

    Lower is better; measured in nats (natural log; divide by ln 2 = 0.693 for bits). It ranges
    from 0 (certain and right) upwards without bound; always saying 50% scores ln 2 = 0.693.
    Probabilities are first clipped to ``[eps, 1 - eps]`` (:data:`LOG_EPS` = 1e-15) so a
    forecast of exactly 0 or 1 that turns out wrong costs ``-ln(1e-15)`` = 34.54 nats rather
    than infinity; :func:`clipped_count` says how many forecasts that touched.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        Outcomes, 1 for yes and 0 for no.
    y_prob : array-like of shape (n,)
        Probabilities given to yes, within [0, 1].
    eps : float, default LOG_EPS
        Clipping constant, within (0, 0.5).
    sample_weight : array-like of shape (n,), optional
        Weights > 0; the score is then the weighted mean.

    Returns
    -------
    float

    Examples
    --------
    >>> round(log_score([1, 0], [0.8, 0.4]), 6)  # (0.223144 + 0.510826) / 2
    0.366985
    >>> round(log_score([1], [0.0]), 4)  # clipped: -ln(1e-15)
    34.5388
    """
    y, p, w = _checked(y_true, y_prob, sample_weight)
    return _mean(_log_losses(y, p, _check_eps(eps)), w)


def score_each(y_true: npt.ArrayLike, y_prob: npt.ArrayLike, *, rule: str = "brier",
               eps: float = LOG_EPS) -> np.ndarray:
    """Each forecast's own score: ``(p - y)^2`` for ``rule="brier"``, or the log score's
    ``-ln`` of the (clipped) probability given to what happened for ``rule="log"``.

    The means of these are :func:`brier_score` and :func:`log_score`.

    Examples
    --------
    >>> score_each([1, 0], [0.9, 0.2]).round(6).tolist()
    [0.01, 0.04]
    >>> score_each([1, 0], [0.9, 0.2], rule="log").round(6).tolist()  # -ln 0.9, -ln 0.8
    [0.105361, 0.223144]
    """
    y, p, _ = _checked(y_true, y_prob)
    if rule == "brier":
        return (p - y) ** 2
    if rule == "log":
        return _log_losses(y, p, _check_eps(eps))
    raise ValueError(f"rule must be one of brier, log; got {rule!r}")


def clipped_count(y_prob: npt.ArrayLike, eps: float = LOG_EPS) -> int:
    """How many forecasts :func:`log_score` clips: those below ``eps`` or above ``1 - eps``.

    Examples
    --------
    >>> clipped_count([0.0, 0.5, 1.0, 1e-16])
    3
    """
    p = _probabilities(y_prob)
    eps = _check_eps(eps)
    return int(np.count_nonzero((p < eps) | (p > 1.0 - eps)))


def brier_skill_score(y_true: npt.ArrayLike, y_prob: npt.ArrayLike, *,
                      reference: float | npt.ArrayLike | None = None,
                      sample_weight: npt.ArrayLike | None = None) -> float:
    """Brier skill score: the share of a reference forecast's Brier score that was removed.

    .. math:: BSS = 1 - BS / BS_{ref}

    Higher is better: 1 is perfect, 0 is no better than the reference, negative is worse
    (unbounded below). The reference is

    * ``None`` (default): climatology, the base rate ``ybar`` of this very set of questions
      forecast every time, so :math:`BS_{ref} = \\bar y (1 - \\bar y)` (the uncertainty term
      of the Murphy decomposition). It is in-sample: the base rate was not known in advance.
    * a float ``c``: the constant forecast ``c`` every time (``0.5`` is "always 50%").
    * an array: one reference forecast per question (e.g. a market price at opening).

    When :math:`BS_{ref} = 0` (every outcome the same under climatology, or a reference that
    was perfect) the skill is undefined and ``nan`` is returned.

    Examples
    --------
    >>> y, p = [1, 0, 1, 1], [0.9, 0.2, 0.4, 0.7]
    >>> brier_score(y, p), 0.75 * 0.25  # BS and BS_ref = ybar (1 - ybar)
    (0.125, 0.1875)
    >>> round(brier_skill_score(y, p), 6)  # 1 - 0.125 / 0.1875
    0.333333
    >>> brier_skill_score(y, p, reference=0.5)  # 1 - 0.125 / 0.25
    0.5
    """
    y, p, w = _checked(y_true, y_prob, sample_weight)
    bs = _mean((p - y) ** 2, w)
    if reference is None:
        ybar = _mean(y, w)
        bs_ref = ybar * (1.0 - ybar)
    elif np.ndim(reference) == 0:
        c = float(reference)  # type: ignore[arg-type]
        if not 0 <= c <= 1:
            raise ValueError(f"reference must be within [0, 1]; got {reference!r}")
        bs_ref = _mean((c - y) ** 2, w)
    else:
        ref = _probabilities(reference, "reference")
        if ref.size != y.size:
            raise ValueError(f"reference must have one forecast per question; got {ref.size} "
                             f"for {y.size} questions")
        bs_ref = _mean((ref - y) ** 2, w)
    if bs_ref == 0:
        return float("nan")
    return float(1.0 - bs / bs_ref)


def summary(y_true: npt.ArrayLike, y_prob: npt.ArrayLike, *,
            reference: npt.ArrayLike | None = None, eps: float = LOG_EPS,
            sample_weight: npt.ArrayLike | None = None) -> dict[str, float | int]:
    """The headline numbers of a set of forecasts at once, checking the inputs once.

    ``reference`` holds one reference forecast per row, ``nan`` where there is none; the
    skill against it uses only the rows that have one. Skill scores are ``nan`` when
    undefined (see :func:`brier_skill_score`).

    Returns
    -------
    dict
        ``n``, ``brier`` (:func:`brier_score`), ``log_score`` (:func:`log_score`),
        ``log_clipped`` (:func:`clipped_count`), ``base_rate`` (mean outcome),
        ``mean_forecast``, ``brier_skill`` (vs the base rate), ``brier_skill_vs_50``,
        ``brier_skill_vs_reference`` and ``n_reference``.

    Examples
    --------
    >>> s = summary([1, 0, 1, 1], [0.9, 0.2, 0.4, 0.7], reference=[0.5, 0.5, float("nan"), 0.5])
    >>> s["brier"], s["brier_skill_vs_50"], s["n_reference"]
    (0.125, 0.5, 3)
    """
    y, p, w = _checked(y_true, y_prob, sample_weight)
    eps = _check_eps(eps)
    brier = _mean((p - y) ** 2, w)
    base = _mean(y, w)
    out: dict[str, float | int] = {
        "n": int(y.size),
        "brier": brier,
        "log_score": _mean(_log_losses(y, p, eps), w),
        "log_clipped": int(np.count_nonzero((p < eps) | (p > 1.0 - eps))),
        "base_rate": base,
        "mean_forecast": _mean(p, w),
        "brier_skill": float(1.0 - brier / (base * (1.0 - base))) if 0 < base < 1 else np.nan,
        # Always-50% scores (0.5 - y)^2 = 0.25 on every question, whatever happened.
        "brier_skill_vs_50": float(1.0 - brier / 0.25),
        "brier_skill_vs_reference": np.nan,
        "n_reference": 0,
    }
    if reference is not None:
        ref = _one_d("reference", reference).astype(np.float64, copy=False)
        if ref.size != y.size:
            raise ValueError(f"reference must have one forecast per question; got {ref.size} "
                             f"for {y.size} questions")
        has = ~np.isnan(ref)
        out["n_reference"] = int(np.count_nonzero(has))
        if out["n_reference"]:
            out["brier_skill_vs_reference"] = brier_skill_score(
                y[has], p[has], reference=ref[has], sample_weight=None if w is None else w[has])
    return out


#: The keys of :func:`group_sums`.
SUM_KEYS = ("rows", "weight", "brier", "log", "clipped", "yes", "forecast",
            "reference_rows", "reference_weight", "reference_brier", "reference_brier_ref")


def group_sums(groups: npt.ArrayLike, y_true: npt.ArrayLike, y_prob: npt.ArrayLike, *,
               n_groups: int | None = None, reference: npt.ArrayLike | None = None,
               eps: float = LOG_EPS, sample_weight: npt.ArrayLike | None = None
               ) -> dict[str, np.ndarray]:
    """Per-group sums from which :func:`grouped_scores` computes every score of
    :func:`summary`, in one pass over the forecasts (``np.bincount``, no sorting).

    ``groups`` holds each forecast's group number (0 .. ``n_groups`` - 1). The sums add up:
    the sums of a union of groups are the sums of their sums, which is how a question counted
    under several tags is scored without copying its forecasts. Keys: :data:`SUM_KEYS`
    (``rows`` and ``clipped`` count forecasts; the others are weighted sums of the weight, the
    Brier and log losses, yes outcomes, forecasts, and over forecasts with a reference, the
    weight, the Brier loss and the reference's Brier loss).

    Examples
    --------
    >>> sums = group_sums([0, 0, 1], [1, 0, 1], [0.9, 0.2, 0.4])
    >>> grouped_scores(sums)["brier"].round(6).tolist()  # (0.01 + 0.04) / 2 and 0.36
    [0.025, 0.36]
    """
    y, p, w = _checked(y_true, y_prob, sample_weight)
    g = _one_d("groups", groups)
    if g.dtype.kind not in "iu" or g.size != y.size or (g.size and g.min() < 0):
        raise ValueError("groups must hold one group number >= 0 per forecast")
    size = int(g.max()) + 1 if n_groups is None else int(n_groups)
    eps = _check_eps(eps)

    one = size == 1 and (g.size == 0 or g.max() == 0)

    def total(values: np.ndarray | None) -> np.ndarray:
        if values is None:  # the weights themselves
            values = w if w is not None else np.ones(y.size)
        elif w is not None:
            values = values * w
        if one:  # a single group: numpy's pairwise sum is faster and more exact than bincount
            return np.array([np.sum(values)])
        return np.bincount(g, weights=values, minlength=size)

    def count(flags: np.ndarray | None = None) -> np.ndarray:
        if one:
            return np.array([y.size if flags is None else int(np.count_nonzero(flags))])
        if flags is None:
            return np.bincount(g, minlength=size)
        return np.bincount(g, weights=flags, minlength=size).astype(np.int64)

    sq = (p - y) ** 2
    rows = count()
    out = {
        "rows": rows,
        "weight": total(None) if w is not None else rows.astype(np.float64),
        "brier": total(sq),
        "log": total(_log_losses(y, p, eps)),
        "clipped": count((p < eps) | (p > 1.0 - eps)),
        "yes": total(y),
        "forecast": total(p),
    }
    if reference is None:
        zeros = np.zeros(size)
        out.update(reference_rows=np.zeros(size, dtype=np.int64), reference_weight=zeros,
                   reference_brier=zeros, reference_brier_ref=zeros)
        return out
    ref = _one_d("reference", reference).astype(np.float64, copy=False)
    if ref.size != y.size:
        raise ValueError(f"reference must have one forecast per question; got {ref.size} "
                         f"for {y.size} questions")
    has = ~np.isnan(ref)
    out["reference_rows"] = count(has)
    out["reference_weight"] = total(has.astype(np.float64))
    out["reference_brier"] = total(np.where(has, sq, 0.0))
    out["reference_brier_ref"] = total(np.where(has, (np.where(has, ref, 0.0) - y) ** 2, 0.0))
    return out


def grouped_scores(sums: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The scores of :func:`summary`, per group, from :func:`group_sums` (nan when undefined).

    Keys: ``n``, ``brier``, ``log_score``, ``log_clipped``, ``base_rate``,
    ``mean_forecast``, ``brier_skill``, ``brier_skill_vs_50``, ``brier_skill_vs_reference``,
    ``n_reference``.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = sums["weight"]
        brier = sums["brier"] / weight
        base = sums["yes"] / weight
        uncertainty = base * (1.0 - base)
        ref_bs = sums["reference_brier_ref"]
        return {
            "n": sums["rows"],
            "brier": brier,
            "log_score": sums["log"] / weight,
            "log_clipped": sums["clipped"],
            "base_rate": base,
            "mean_forecast": sums["forecast"] / weight,
            "brier_skill": np.where(uncertainty > 0, 1.0 - brier / uncertainty, np.nan),
            "brier_skill_vs_50": 1.0 - brier / 0.25,
            "brier_skill_vs_reference": np.where(
                ref_bs > 0, 1.0 - sums["reference_brier"] / ref_bs, np.nan),
            "n_reference": sums["reference_rows"],
        }


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


def _murphy(b: _Binned) -> dict[str, float]:
    y, p, w, idx = b.y, b.p, b.w, b.idx
    keep = b.count > 0
    wk = np.where(keep, b.weight, 1.0)
    fbar = np.where(keep, b.sum_p / wk, 0.0)
    obar = np.where(keep, b.sum_y / wk, 0.0)
    total = float(np.sum(b.weight))
    base = float(np.sum(b.sum_y)) / total
    # Deviations from each forecast's own bin means, computed directly rather than as
    # E[x^2] - E[x]^2, which would cancel catastrophically for narrow bins; np.dot sums
    # them without another temporary array and more accurately than a running sum.
    df = p - fbar[idx]
    do = y - obar[idx]
    if w is not None:
        do *= w
    wdf = df if w is None else w * df
    return {
        "reliability": float(np.sum(b.weight * (fbar - obar) ** 2) / total),
        "resolution": float(np.sum(b.weight * (obar - base) ** 2) / total),
        "uncertainty": float(base * (1.0 - base)),
        "within_bin_variance": float(np.dot(wdf, df) / total),
        "within_bin_covariance": float(2.0 * np.dot(do, df) / total),
        "brier": _mean((p - y) ** 2, w),
        "n_bins": int(np.count_nonzero(keep)),
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


def murphy_decomposition(y_true: npt.ArrayLike, y_prob: npt.ArrayLike, *, n_bins: int = 10,
                         strategy: str = "uniform",
                         sample_weight: npt.ArrayLike | None = None) -> dict[str, float]:
    """Murphy's decomposition of the Brier score over probability bins, made exact.

    With forecasts grouped into bins ``k`` (as in :func:`calibration_table`) holding ``n_k``
    forecasts with mean forecast :math:`\\bar f_k` and observed frequency :math:`\\bar o_k`,
    and overall base rate :math:`\\bar o`, the generalised decomposition of Stephenson, Coelho
    & Jolliffe (2008, "Two extra components in the Brier score decomposition", Weather and
    Forecasting 23, 752-757) is

    .. math:: BS = REL - RES + UNC + WBV - WBC

    * reliability :math:`REL = \\frac1n \\sum_k n_k (\\bar f_k - \\bar o_k)^2` (lower is
      better: miscalibration),
    * resolution :math:`RES = \\frac1n \\sum_k n_k (\\bar o_k - \\bar o)^2` (higher is better:
      telling apart questions that happen from those that do not),
    * uncertainty :math:`UNC = \\bar o (1 - \\bar o)` (the questions' difficulty, not the
      forecaster's doing),
    * within-bin variance :math:`WBV = \\frac1n \\sum_k \\sum_{i \\in k} (f_i - \\bar f_k)^2`,
    * within-bin covariance
      :math:`WBC = \\frac2n \\sum_k \\sum_{i \\in k} (o_i - \\bar o_k)(f_i - \\bar f_k)`.

    The classic three-term decomposition (REL - RES + UNC) is exact only when every forecast
    in a bin is the same; the two within-bin terms make it exact always. With weights, every
    :math:`\\frac1n \\sum` becomes a weighted mean and the bin means are weighted too.

    Returns
    -------
    dict
        ``reliability``, ``resolution``, ``uncertainty``, ``within_bin_variance``,
        ``within_bin_covariance``, ``brier`` (computed directly, one-outcome convention) and
        ``n_bins`` (the non-empty bins).

    Examples
    --------
    >>> d = murphy_decomposition([0, 1, 1, 1], [0.1, 0.3, 0.35, 0.9], n_bins=2)
    >>> total = (d["reliability"] - d["resolution"] + d["uncertainty"]
    ...          + d["within_bin_variance"] - d["within_bin_covariance"])
    >>> round(total, 12) == round(d["brier"], 12), d["brier"]  # (.01 + .49 + .4225 + .01) / 4
    (True, 0.233125)
    """
    y, p, w = _checked(y_true, y_prob, sample_weight)
    return _murphy(_Binned(y, p, w, _n_bins(n_bins), strategy))


def binned_calibration(y_true: npt.ArrayLike, y_prob: npt.ArrayLike, *, n_bins: int = 10,
                       strategy: str = "uniform", sample_weight: npt.ArrayLike | None = None
                       ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """``(calibration_table(...), murphy_decomposition(...))`` with one check and one binning.

    Examples
    --------
    >>> table, murphy = binned_calibration([0, 1, 1, 1], [0.1, 0.3, 0.35, 0.9], n_bins=2)
    >>> table["count"].tolist(), murphy["n_bins"]
    ([3, 1], 2)
    """
    y, p, w = _checked(y_true, y_prob, sample_weight)
    binned = _Binned(y, p, w, _n_bins(n_bins), strategy)
    return _table(binned), _murphy(binned)


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


def _distinct(y: np.ndarray, p: np.ndarray, w: np.ndarray | None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Per distinct forecast value: ``x, count, weight, weighted yes, row -> x index``.

    Forecasts written with at most six decimals (as people write them) are counted on that
    grid, with no sort or search at all. Otherwise, unweighted, one sort of integer keys is
    enough and is several times faster than an argsort; the row index is then not needed
    (``None``).
    """
    grid = _on_grid(p)
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


def _lower_hulls(cw: np.ndarray, cs: np.ndarray, cand: np.ndarray, seg: np.ndarray,
                     sa: np.ndarray, sb: np.ndarray) -> np.ndarray | None:
    """Lower-hull vertices of the points ``cand``, separately between each ``sa[k], sb[k]``.

    Quickhull, all segments at once per round: the point furthest below each segment's chord
    becomes a vertex and splits the segment in two; points on or above a chord can never be
    vertices and are dropped. ``seg[i]`` is the segment of ``cand[i]``; both are sorted.
    Returns the sorted vertices (segment ends included), or ``None`` after too many rounds.
    """
    found = [sa, sb[-1:]]
    for _ in range(200):
        if not cand.size:
            return np.unique(np.concatenate(found))
        slope = (cs[sb] - cs[sa]) / (cw[sb] - cw[sa])
        # Measured from each segment's start, so rounding is relative to the segment, not to
        # the whole cumulative sum (exact for unweighted counts).
        a = sa[seg]
        d = (cs[cand] - cs[a]) - slope[seg] * (cw[cand] - cw[a])
        below = d < 0
        cand, seg, d = cand[below], seg[below], d[below]
        if not cand.size:
            continue
        starts = np.flatnonzero(np.concatenate(([True], seg[1:] != seg[:-1])))
        sizes = np.diff(np.append(starts, cand.size))
        hit = np.flatnonzero(d == np.repeat(np.minimum.reduceat(d, starts), sizes))
        run = np.repeat(np.arange(starts.size), sizes)
        vertex = cand[hit[np.concatenate(([True], run[hit][1:] != run[hit][:-1]))]]
        found.append(vertex)
        old = seg[starts]
        sa = np.column_stack((sa[old], vertex)).ravel()
        sb = np.column_stack((vertex, sb[old])).ravel()
        at = vertex[run]
        keep = cand != at
        cand, seg = cand[keep], (2 * run + (cand > at))[keep]
    return None


def _hull_starts(weight: np.ndarray, wyes: np.ndarray, chunk: int = 4096) -> np.ndarray | None:
    """First value of each block of the isotonic fit, from the cumulative sum diagram.

    The isotonic fit is the slope of the greatest convex minorant (lower convex hull) of the
    points ``(cumulative weight, cumulative yes)`` (Barlow et al. 1972, Statistical Inference
    under Order Restrictions), so the hull's vertices are where PAV's pooled blocks start.
    Only points where the observed frequency rises can be vertices; the hulls of chunks of
    them are found first and the hull of those vertices then, which keeps every round short.
    ``None`` means a pathological input took too many rounds (plain PAV then does the work).
    """
    m = weight.size
    cw = np.concatenate(([0.0], np.cumsum(weight)))
    cs = np.concatenate(([0.0], np.cumsum(wyes)))
    mean = wyes / weight
    cand = np.flatnonzero(mean[:-1] < mean[1:]) + 1
    bounds = np.append(np.arange(0, m, chunk), m)
    found = _lower_hulls(cw, cs, cand, cand // chunk, bounds[:-1], bounds[1:])
    if found is None:
        return None
    cand = found[1:-1]
    found = _lower_hulls(cw, cs, cand, np.zeros(cand.size, dtype=np.intp),
                             np.array([0]), np.array([m]))
    return None if found is None else found[:-1]


def _pav_levels(weight: np.ndarray, wyes: np.ndarray) -> np.ndarray:
    """Isotonic (non-decreasing) weighted least-squares fit of ``wyes / weight``.

    Pool-adjacent-violators on blocks, started from the blocks of :func:`_hull_starts` when
    there are many values (the exact answer up to rounding, so PAV then only tidies up).
    Vectorised passes pool every maximal run of strictly decreasing adjacent block means at
    once (pooling adjacent violators in any order reaches the same unique fit, and a pooled
    run's mean stays above the next smaller mean, so the whole run belongs together). When a
    pass stops paying off, a stack loop over the remaining blocks finishes; both are O(n).
    """
    bw, bs = weight.astype(np.float64), wyes.astype(np.float64)
    size = np.ones(bw.size, dtype=np.intp)  # distinct values per block
    mean = bs / bw
    if bw.size > 64 and (mean[:-1] > mean[1:]).any():
        starts = _hull_starts(bw, bs)
        if starts is not None:
            # Block sums from the values themselves, not from differences of cumulative sums,
            # which lose digits for short blocks late in a long weighted sum.
            bw, bs = np.add.reduceat(bw, starts), np.add.reduceat(bs, starts)
            size = np.diff(np.append(starts, weight.size))
    while bw.size > 1:
        mean = bs / bw
        violated = mean[:-1] > mean[1:]
        if not violated.any():
            return np.repeat(mean, size)
        starts = np.flatnonzero(np.concatenate(([True], ~violated)))
        slow = starts.size > _PAV_SLOW_PASS * bw.size
        bw, bs = np.add.reduceat(bw, starts), np.add.reduceat(bs, starts)
        size = np.add.reduceat(size, starts)
        if slow:
            break
    if bw.size <= 1:
        return np.repeat(bs / bw, size)
    sw: list[float] = []
    ss: list[float] = []
    sz: list[int] = []
    for wi, si, zi in zip(bw.tolist(), bs.tolist(), size.tolist(), strict=True):
        while sw and ss[-1] / sw[-1] > si / wi:
            wi += sw.pop()
            si += ss.pop()
            zi += sz.pop()
        sw.append(wi)
        ss.append(si)
        sz.append(zi)
    return np.repeat(np.array(ss) / np.array(sw), np.array(sz))


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
    return x, _pav_levels(weight, wyes)


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
    r = _pav_levels(weight, wyes)
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
            boot[b] = _pav_levels(weight, yes)
        out["lower"], out["upper"] = np.quantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
    return out


# -- comparing forecasters and time-averaging ------------------------------------------------

def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (for messages: 'a', not np.str_('a'))."""
    return value.item() if isinstance(value, np.generic) else value


def _factor(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, sorted distinct values)``; small non-negative integers skip the sort."""
    if values.dtype.kind in "iu" and values.size and values.min() >= 0 \
            and values.max() < 4 * values.size:
        present = np.bincount(values) > 0
        return (np.cumsum(present) - 1)[values], np.flatnonzero(present)
    distinct, codes = np.unique(values, return_inverse=True)
    return codes.ravel(), distinct


def _others_median(scores: np.ndarray, first: np.ndarray, size: np.ndarray) -> np.ndarray:
    """For each score, the median of the other scores of its group (nan when alone).

    ``scores`` are grouped (group ``g`` is ``scores[first[g]:first[g] + size[g]]``). Groups
    of similar size are laid out as the rows of a matrix padded with +inf and sorted along
    rows, which is far faster than sorting all scores by (group, score). Removing one score
    from a sorted group of ``k`` leaves a median that depends only on which side of the
    middle it was: with ``v`` the sorted scores and ``h = k // 2``,

    * ``k`` even: ``v[h]`` if the score is <= ``v[h - 1]``, else ``v[h - 1]``;
    * ``k`` odd: ``(v[h] + v[h + 1]) / 2`` below ``v[h]``, ``(v[h - 1] + v[h]) / 2`` above
      it, ``(v[h - 1] + v[h + 1]) / 2`` equal to it.

    Ties do not matter: removing any of several equal scores leaves the same others.
    """
    out = np.full(scores.size, np.nan)
    size_class = np.ceil(np.log2(np.maximum(size, 1))).astype(np.intp)  # pad at most 2x
    for c in np.unique(size_class).tolist():
        groups = np.flatnonzero((size_class == c) & (size > 1))
        if not groups.size:
            continue  # nobody else on these questions
        gsize = size[groups]
        k = int(gsize.max())
        starts = first[groups]
        if np.all(gsize == k):  # no padding: the matrix cells are the scores in order
            cell = None
            where = (starts[:, None] + np.arange(k)).ravel()
            matrix = scores[where].reshape(-1, k)
        else:
            offset = np.arange(int(gsize.sum())) - np.repeat(np.cumsum(gsize) - gsize, gsize)
            where = np.repeat(starts, gsize) + offset
            cell = np.repeat(np.arange(groups.size) * k, gsize) + offset
            matrix = np.full(groups.size * k, np.inf)
            matrix[cell] = scores[where]
            matrix = matrix.reshape(-1, k)
        ranked = np.sort(matrix, axis=1)
        h = (gsize // 2)[:, None]
        below = np.take_along_axis(ranked, h - 1, axis=1)
        mid = np.take_along_axis(ranked, h, axis=1)
        above = np.take_along_axis(ranked, np.minimum(h + 1, k - 1), axis=1)
        odd = (gsize & 1).astype(bool)[:, None]
        # Every cell at once, broadcasting the group's middle values along its row.
        median = np.where(odd, (below + above) / 2.0, below)  # a score equal to the middle
        median = np.where(np.where(odd, matrix < mid, matrix <= below),
                          np.where(odd, (mid + above) / 2.0, mid), median)
        median = np.where(np.where(odd, matrix > mid, matrix > below),
                          np.where(odd, (below + mid) / 2.0, below), median)
        out[where] = median.ravel() if cell is None else median.ravel()[cell]
    return out


def relative_scores(question_ids: Sequence[Any] | np.ndarray,
                    forecasters: Sequence[Any] | np.ndarray,
                    scores: npt.ArrayLike) -> dict[str, np.ndarray]:
    """Each forecaster's score relative to the median of the others on the same questions.

    For each question forecast by two or more forecasters, a forecaster's relative score on it
    is their score minus the median of the other forecasters' scores on that question. Their
    relative score is the mean of these over the questions they shared. For Brier and log
    scores (lower is better) negative means better than the crowd. A forecaster who shared no
    question gets ``nan``. Each (question, forecaster) pair must appear once.

    Returns
    -------
    dict of numpy arrays, one element per forecaster (sorted)
        ``forecaster``, ``relative`` (nan when none shared), ``n_shared`` (questions shared),
        ``n`` (questions scored).

    Examples
    --------
    >>> r = relative_scores(["q1", "q1", "q1", "q2"], ["ann", "bob", "cy", "ann"],
    ...                     [0.1, 0.3, 0.5, 0.2])
    >>> r["forecaster"].tolist(), r["relative"].tolist(), r["n_shared"].tolist()
    (['ann', 'bob', 'cy'], [-0.30000000000000004, 0.0, 0.3], [1, 1, 1])
    """
    q = _one_d("question_ids", question_ids)
    f = _one_d("forecasters", forecasters)
    s = _one_d("scores", scores)
    if not q.size == f.size == s.size:
        raise ValueError("question_ids, forecasters and scores must have the same length; "
                         f"got {q.size}, {f.size} and {s.size}")
    if s.dtype.kind not in "biuf":
        raise ValueError(f"scores must be finite numbers; got values of type {s.dtype}")
    s = s.astype(np.float64, copy=False)
    bad = ~np.isfinite(s)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"scores must be finite numbers; got {s[i].item()!r} at index {i}")
    qc, _ = _factor(q)
    fc, names = _factor(f)
    # Group rows by question (already so when they come from the ledger).
    order = np.arange(qc.size) if np.all(qc[1:] >= qc[:-1]) else np.argsort(qc, kind="stable")
    qs, fs = qc[order], fc[order]
    first = np.flatnonzero(np.concatenate(([True], qs[1:] != qs[:-1])))
    size = np.diff(np.append(first, qs.size))
    pair = qs.astype(np.int64) * names.size + fs
    if not np.all(pair[1:] > pair[:-1]):  # rows from the ledger are already in pair order
        pair.sort()
    dup = pair[1:] == pair[:-1]
    if dup.any():
        code = int(pair[1:][np.argmax(dup)])
        at = int(np.argmax(qc.astype(np.int64) * names.size + fc == code))
        raise ValueError("each (question, forecaster) pair must appear once; got "
                         f"{_plain(f[at])!r} twice on question {_plain(q[at])!r}")
    median = _others_median(s[order], first, size)
    shared = ~np.isnan(median)
    diff = np.where(shared, s[order] - np.where(shared, median, 0.0), 0.0)
    total = np.bincount(fs, weights=diff, minlength=names.size)
    n_shared = np.bincount(fs, weights=shared, minlength=names.size).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = np.where(n_shared > 0, total / n_shared, np.nan)
    return {
        "forecaster": names,
        "relative": relative,
        "n_shared": n_shared,
        "n": np.bincount(fc, minlength=names.size),
    }


def day_weights(groups: npt.ArrayLike, days: npt.ArrayLike) -> np.ndarray:
    """Day counts turned into weights summing to 1 within each group.

    In time-averaged scoring each forecast is weighted by the days it stood; normalising per
    (forecaster, question) group makes each group count once in a mean over forecasts.

    Examples
    --------
    >>> day_weights(["a", "a", "b"], [3, 1, 5]).tolist()
    [0.75, 0.25, 1.0]
    """
    g = _one_d("groups", groups)
    d = _one_d("days", days)
    if g.size != d.size:
        raise ValueError(f"groups and days must have the same length; got {g.size} and {d.size}")
    d = _weights(d, d.size)  # same rule as weights: finite and > 0
    assert d is not None
    _, inv = np.unique(g, return_inverse=True)
    inv = inv.ravel()
    return d / np.bincount(inv, weights=d)[inv]


def time_averaged_brier(y_true: npt.ArrayLike, y_prob: npt.ArrayLike, days: npt.ArrayLike, *,
                        groups: npt.ArrayLike | None = None, two_outcome: bool = False) -> float:
    """Brier score with each forecast counted for the days it stood, each group counting once.

    For each group (a forecaster's forecasts on one question) the day-weighted mean Brier score
    over the days from its first forecast to the resolution is taken; the result is the mean
    of these over groups. ``groups=None`` means all forecasts form one group.

    Examples
    --------
    >>> # 0.6 stood 3 days, then 0.9 for 1 day; it happened: (3 * 0.16 + 1 * 0.01) / 4
    >>> round(time_averaged_brier([1, 1], [0.6, 0.9], [3, 1]), 6)
    0.1225
    """
    d = _one_d("days", days)
    g = np.zeros(d.size, dtype=np.intp) if groups is None else groups
    return brier_score(y_true, y_prob, two_outcome=two_outcome,
                       sample_weight=day_weights(g, d))
