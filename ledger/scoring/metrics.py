"""Scores for probability forecasts of yes/no questions: pure, vectorised numpy.

Every function takes outcomes ``y_true`` (0 = no, 1 = yes) and forecasts ``y_prob`` (the
probability given to yes), checks them at the top and raises ``ValueError`` naming the argument
and what it must be. Nothing here reads the ledger: :mod:`ledger.scoring.selection` selects
the forecasts with SQL and :mod:`ledger.scoring.report` calls these. The conventions (which
way is better, the Brier scale, the log base) are written in each docstring and, for
forecasters, in ``docs/scoring.md``. Calibration and its decompositions are
:mod:`ledger.scoring.calibration` and :mod:`ledger.scoring.decomposition`; comparing
forecasters is :mod:`ledger.scoring.relative`.

``sample_weight`` is accepted everywhere so that time-averaged scoring can weight each
forecast by the share of days it stood (see :func:`day_weights`). Weights must be > 0.

Everything is vectorised (``np.bincount``, in-place ufuncs); no Python loop runs over
forecasts. Only numpy is imported: the CLI's cold start and the dashboard depend on it.
"""

import numpy as np
import numpy.typing as npt

from ledger.scoring.checks import _check_eps, _checked, _mean, _one_d, _probabilities, _weights

__all__ = [
    "LOG_EPS",
    "SUM_KEYS",
    "brier_score",
    "brier_skill_score",
    "clipped_count",
    "day_weights",
    "group_sums",
    "grouped_scores",
    "log_score",
    "score_each",
    "summary",
    "time_averaged_brier",
]

#: Probabilities are clipped to ``[LOG_EPS, 1 - LOG_EPS]`` before taking logs, so a forecast of
#: 0% on something that happened costs ``-ln(1e-15)`` = 34.54 nats instead of infinity. The
#: value is scikit-learn's historical ``log_loss`` default, so cross-checks are exact.
LOG_EPS = 1e-15


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
    # (and as the SQL oracle in tests/oracles.py does), so all three agree to the last bit.
    # In place on one temporary (millions of forecasts): the same operations, bit for bit.
    out = np.clip(p, eps, 1.0 - eps)
    np.subtract(1.0, out, out=out, where=y != 1)
    np.log(out, out=out)
    return np.negative(out, out=out)


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
    # One scratch array for every weighted product: the same products, summed in the same
    # order, without a fresh allocation (and its page faults) for each of millions of rows.
    scratch = np.empty(y.size) if w is not None else None

    def total(values: np.ndarray | None) -> np.ndarray:
        if values is None:  # the weights themselves
            values = w if w is not None else np.ones(y.size)
        elif w is not None:
            values = np.multiply(values, w, out=scratch)
        if one:  # a single group: numpy's pairwise sum is faster and more exact than bincount
            return np.array([np.sum(values)])
        return np.bincount(g, weights=values, minlength=size)

    def count(flags: np.ndarray | None = None) -> np.ndarray:
        if one:
            return np.array([y.size if flags is None else int(np.count_nonzero(flags))])
        if flags is None:
            return np.bincount(g, minlength=size)
        return np.bincount(g, weights=flags, minlength=size).astype(np.int64)

    sq = np.subtract(p, y)
    np.square(sq, out=sq)  # what ** 2 computes, in place
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
    if has.all():  # as np.where would give, without its copies
        out["reference_brier"] = total(sq)
        np.subtract(ref, y, out=sq)
        np.square(sq, out=sq)
        out["reference_brier_ref"] = total(sq)
        return out
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
