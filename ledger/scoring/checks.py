"""Input checks shared by the scoring modules: each raises ``ValueError`` naming the argument.

Internal to :mod:`ledger.scoring`: the public functions of :mod:`~ledger.scoring.metrics`,
:mod:`~ledger.scoring.calibration`, :mod:`~ledger.scoring.decomposition` and
:mod:`~ledger.scoring.relative` call these at their top, so every refusal reads the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np


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



def _check_eps(eps: float) -> float:
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must be within (0, 0.5); got {eps!r}")
    return float(eps)

