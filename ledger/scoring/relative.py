"""Comparing forecasters: each one's score relative to the others' on the same questions.

Pure, vectorised numpy like :mod:`ledger.scoring.metrics`; :mod:`ledger.scoring.report` calls
:func:`relative_scores` with per-(question, forecaster) scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ledger.scoring.checks import _one_d

__all__ = ["relative_scores"]


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

