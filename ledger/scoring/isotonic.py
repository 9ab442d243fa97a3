"""Isotonic regression on blocks: pool-adjacent-violators (PAV) and its faster starts.

The isotonic (non-decreasing) weighted least-squares fit of block frequencies ``wyes /
weight`` is unique; three named paths reach it and :func:`isotonic_levels` chains them:
:func:`hull_starts` (the blocks read off a lower convex hull, for many values),
:func:`pav_passes` (vectorised passes that pool every run of violators at once) and
:func:`pav_stack` (the classic stack loop, which finishes what the passes leave). Each is
tested on its own against scikit-learn's ``IsotonicRegression`` and against the others.
"""

from __future__ import annotations

import numpy as np

__all__ = ["hull_starts", "isotonic_levels", "pav_passes", "pav_stack"]


# A vectorised PAV pass that leaves more than this share of the blocks unmerged hands over to
# the stack loop, so the passes stay O(n) in total (their work shrinks geometrically).
_PAV_SLOW_PASS = 0.9


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


def hull_starts(weight: np.ndarray, wyes: np.ndarray, chunk: int = 4096) -> np.ndarray | None:
    """First value of each block of the isotonic fit, from the cumulative sum diagram.

    The isotonic fit is the slope of the greatest convex minorant (lower convex hull) of the
    points ``(cumulative weight, cumulative yes)`` (Barlow et al. 1972, Statistical Inference
    under Order Restrictions), so the hull's vertices are where PAV's pooled blocks start.
    Only points where the observed frequency rises can be vertices; the hulls of chunks of
    them are found first and the hull of those vertices then, which keeps every round short.
    ``None`` means a pathological input took too many rounds (plain PAV then does the work).

    Examples
    --------
    >>> # frequencies 0, 1, 0, 1: blocks [0], [1, 2] (pooled to 0.5) and [3]
    >>> hull_starts(np.ones(4), np.array([0.0, 1.0, 0.0, 1.0])).tolist()
    [0, 1, 3]
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


def pav_passes(weight: np.ndarray, wyes: np.ndarray, size: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Vectorised pool-adjacent-violators passes over blocks, while they pay off.

    Each pass pools every maximal run of strictly decreasing adjacent block means at once
    (pooling adjacent violators in any order reaches the same unique fit, and a pooled run's
    mean stays above the next smaller mean, so the whole run belongs together). A pass that
    leaves more than ``_PAV_SLOW_PASS`` (90%) of the blocks unmerged is the last, so that the
    passes stay O(n) in total: a long rising chain with one drop at its end would otherwise
    take one pass per block.

    Parameters
    ----------
    weight, wyes : ndarray of shape (m,)
        Each block's weight and weighted count of yes, in order of the forecast value.
    size : ndarray of shape (m,), optional
        Distinct forecast values per block (ones by default).

    Returns
    -------
    weight, wyes, size : ndarray
        The blocks after the passes.
    finished : bool
        True when they are the isotonic fit (no violator left); False when the passes stopped
        paying off and :func:`pav_stack` must finish.

    Examples
    --------
    >>> w, s, z, done = pav_passes(np.ones(3), np.array([1.0, 0.0, 1.0]))
    >>> (s / w).tolist(), z.tolist(), done  # 1, 0 pool to 0.5
    ([0.5, 1.0], [2, 1], True)
    """
    bw, bs = weight.astype(np.float64), wyes.astype(np.float64)
    size = np.ones(bw.size, dtype=np.intp) if size is None else size
    while bw.size > 1:
        mean = bs / bw
        violated = mean[:-1] > mean[1:]
        if not violated.any():
            return bw, bs, size, True
        starts = np.flatnonzero(np.concatenate(([True], ~violated)))
        slow = starts.size > _PAV_SLOW_PASS * bw.size
        bw, bs = np.add.reduceat(bw, starts), np.add.reduceat(bs, starts)
        size = np.add.reduceat(size, starts)
        if slow:
            return bw, bs, size, bw.size <= 1
    return bw, bs, size, True


def pav_stack(weight: np.ndarray, wyes: np.ndarray, size: np.ndarray | None = None
              ) -> np.ndarray:
    """Pool-adjacent-violators by the classic stack loop: the fitted level of every value.

    Blocks are pushed in order; while the top of the stack has a higher mean than the block
    arriving, the two are pooled. Each block is pushed and popped at most once: O(m) in a
    Python loop, which :func:`isotonic_levels` keeps for what :func:`pav_passes` leaves.

    Parameters
    ----------
    weight, wyes : ndarray of shape (m,)
        Each block's weight and weighted count of yes, in order of the forecast value.
    size : ndarray of shape (m,), optional
        Distinct forecast values per block (ones by default); the result repeats each pooled
        block's level that many times.

    Returns
    -------
    ndarray of shape (size.sum(),)
        The isotonic fit at each distinct value.

    Examples
    --------
    >>> pav_stack(np.ones(4), np.array([0.0, 1.0, 0.0, 1.0])).tolist()
    [0.0, 0.5, 0.5, 1.0]
    """
    size = np.ones(weight.size, dtype=np.intp) if size is None else size
    sw: list[float] = []
    ss: list[float] = []
    sz: list[int] = []
    for wi, si, zi in zip(weight.tolist(), wyes.tolist(), size.tolist(), strict=True):
        while sw and ss[-1] / sw[-1] > si / wi:
            wi += sw.pop()
            si += ss.pop()
            zi += sz.pop()
        sw.append(wi)
        ss.append(si)
        sz.append(zi)
    return np.repeat(np.array(ss) / np.array(sw), np.array(sz))


def isotonic_levels(weight: np.ndarray, wyes: np.ndarray) -> np.ndarray:
    """Isotonic (non-decreasing) weighted least-squares fit of ``wyes / weight``.

    .. math:: \\hat r = \\arg\\min_{r_1 \\le \\dots \\le r_m}
              \\sum_j w_j (\\bar y_j - r_j)^2

    One block per distinct forecast value, in order. With many values (over 64) and a
    violator, the blocks of :func:`hull_starts` come first (the exact answer up to rounding,
    so PAV then only tidies up); then :func:`pav_passes`, and :func:`pav_stack` finishes
    when the passes stop paying off. All three paths are O(m) and reach the same unique fit.

    Examples
    --------
    >>> isotonic_levels(np.array([1.0, 1.0, 2.0]), np.array([1.0, 0.0, 2.0])).tolist()
    [0.5, 0.5, 1.0]
    """
    bw, bs = weight.astype(np.float64), wyes.astype(np.float64)
    size = np.ones(bw.size, dtype=np.intp)  # distinct values per block
    mean = bs / bw
    if bw.size > 64 and (mean[:-1] > mean[1:]).any():
        starts = hull_starts(bw, bs)
        if starts is not None:
            # Block sums from the values themselves, not from differences of cumulative sums,
            # which lose digits for short blocks late in a long weighted sum.
            bw, bs = np.add.reduceat(bw, starts), np.add.reduceat(bs, starts)
            size = np.diff(np.append(starts, weight.size))
    bw, bs, size, finished = pav_passes(bw, bs, size)
    if finished:
        return np.repeat(bs / bw, size)
    return pav_stack(bw, bs, size)
