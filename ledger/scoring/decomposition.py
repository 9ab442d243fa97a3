"""Murphy's decomposition of the Brier score over probability bins, made exact.

The bins are those of :func:`ledger.scoring.calibration.calibration_table`;
:func:`binned_calibration` gives the table and the decomposition from one binning. (CORP's
bin-free decomposition is :func:`ledger.scoring.calibration.corp_decomposition`.)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ledger.scoring.calibration import _Binned, _table
from ledger.scoring.checks import _checked, _mean, _n_bins

__all__ = ["binned_calibration", "murphy_decomposition"]


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

