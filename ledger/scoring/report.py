"""Scores and calibration of the stored ledger: reports on the selected forecasts.

The CLI's ``score`` and ``calibration`` commands and the dashboard call these with an open
DuckDB connection and show what they return; they do no arithmetic of their own. What is
scored (resolved questions only, never a late forecast, the final / first / time-averaged
forecast of each pair) is :mod:`ledger.scoring.selection`; groups are
:mod:`ledger.scoring.grouping`; the maths is :mod:`ledger.scoring.metrics`,
:mod:`~ledger.scoring.calibration`, :mod:`~ledger.scoring.decomposition` and
:mod:`~ledger.scoring.relative`.

Every report is plain JSON: str, int, float, lists and dicts, ``None`` for a value that is
undefined (for example a skill score when every outcome in a group is the same); the
``*_arrays`` functions are the numpy cores of the reports, for callers holding the arrays of
:func:`ledger.scoring.selection.scored_forecasts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ledger import rules
from ledger.errors import InvalidValue
from ledger.scoring import metrics
from ledger.scoring.calibration import corp_decomposition, wilson_interval
from ledger.scoring.decomposition import binned_calibration
from ledger.scoring.grouping import (
    _NEEDS,
    GROUPINGS,
    _dense,
    _distinct_runs,
    _factorize,
    _forecaster_names,
    _group_codes,
    _question_rows,
    _question_tags,
    _stable_order,
    _starts,
)
from ledger.scoring.relative import relative_scores
from ledger.scoring.selection import _choice, _only, _select

__all__ = ["CALIBRATION_STRATEGIES", "RULES", "calibration_arrays", "calibration_over_time",
           "calibration_report", "over_time_arrays", "score_arrays", "score_report"]

RULES = rules.SCORE_RULES
CALIBRATION_STRATEGIES = rules.CALIBRATION_STRATEGIES


# -- JSON-safe values -----------------------------------------------------------------------

def _num(value: Any) -> float | None:
    """A plain float, or None for nan (JSON has no nan)."""
    if value is None:
        return None
    x = float(value)
    return None if np.isnan(x) else x


# -- the numpy core -------------------------------------------------------------------------

def _weights(data: dict[str, np.ndarray]) -> np.ndarray | None:
    """The weights, or None when all are 1 (final/first), keeping the plain-mean arithmetic."""
    w = data["weight"]
    return None if w.size == 0 or bool(np.all(w == 1.0)) else w


_EMPTY = {"n": 0, "n_questions": 0, "n_forecasts": 0, "brier": None, "log_score": None,
          "score": None, "log_clipped": 0, "base_rate": None, "mean_forecast": None,
          "brier_skill": None, "brier_skill_vs_50": None, "brier_skill_vs_reference": None,
          "n_reference": 0}


def _rows(sums: dict[str, np.ndarray], labels: Sequence[str | None], counts: dict[str, Any],
          rule: str) -> list[dict[str, Any]]:
    """A JSON row of counts and scores for each group holding forecasts."""
    scores = metrics.grouped_scores(sums)
    out = []
    for g in np.flatnonzero(sums["rows"] > 0).tolist():
        row: dict[str, Any] = {} if labels[g] is None else {"group": labels[g]}
        row.update(n=int(round(counts["n"][g])), n_questions=int(counts["n_questions"][g]),
                   n_forecasts=int(sums["rows"][g]))
        row.update({k: _num(scores[k][g]) for k in (
            "brier", "log_score", "base_rate", "mean_forecast", "brier_skill",
            "brier_skill_vs_50", "brier_skill_vs_reference")})
        row["score"] = row["brier"] if rule == "brier" else row["log_score"]
        row["log_clipped"] = int(scores["log_clipped"][g])
        row["n_reference"] = int(round(counts["n_reference"][g]))
        out.append(row)
    return out


def _score_table(data: dict[str, np.ndarray], by: str | None, rule: str, weighted: bool
                 ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``(overall, groups)``: counts and scores overall and per non-empty group.

    Group scores come from per-group sums (:func:`ledger.scoring.metrics.group_sums`): one pass over
    the forecasts, with no sorting or copying into groups. A question with several tags counts
    under each: its sums (taken per question) are added to each of its tags' sums.
    """
    y, p, ref = data["outcome"], data["probability"], data["reference_probability"]
    if not p.size:
        return dict(_EMPTY), []
    w = data["weight"] if weighted else None
    pair_first = _starts(data["pair"])
    has_ref = ~np.isnan(ref[pair_first])
    qstart, _, qrow = _question_rows(data)
    nq = qstart.size
    overall_counts = {"n": [pair_first.size], "n_questions": [nq],
                      "n_reference": [int(has_ref.sum())]}
    if by is None:
        sums = metrics.group_sums(np.zeros(p.size, dtype=np.intp), y, p, n_groups=1,
                                  reference=ref, sample_weight=w)
        return _rows(sums, [None], overall_counts, rule)[0], []
    if by == "tag":
        qsums = metrics.group_sums(qrow, y, p, n_groups=nq, reference=ref, sample_weight=w)
        qt, flat = _question_tags(data, qstart)  # the question of each (question, tag)
        tag_code, names = _factorize(flat)
        labels: list[str] = [str(x) for x in names]

        def spread(per_question: np.ndarray) -> np.ndarray:
            return np.bincount(tag_code, weights=per_question[qt], minlength=len(labels))

        pair_q = qrow[pair_first]
        per_q = {"n": np.bincount(pair_q, minlength=nq).astype(np.float64),
                 "n_reference": np.bincount(pair_q, weights=has_ref, minlength=nq)}
        group_sums = {k: spread(v) for k, v in qsums.items()}
        parts = qsums  # questions, unlike tags, do not overlap
        for k in ("rows", "clipped", "reference_rows"):
            group_sums[k] = np.rint(group_sums[k]).astype(np.int64)
        counts = {k: spread(v) for k, v in per_q.items()}
        counts["n_questions"] = np.bincount(tag_code, minlength=len(labels))
    else:
        codes, labels = _group_codes(data, by)
        size = len(labels)
        group_sums = parts = metrics.group_sums(codes, y, p, n_groups=size, reference=ref,
                                                sample_weight=w)
        pair_group = codes[pair_first]
        counts = {"n": np.bincount(pair_group, minlength=size),
                  "n_reference": np.bincount(pair_group, weights=has_ref, minlength=size)}
        if by == "forecaster":  # one pair per question
            counts["n_questions"] = counts["n"]
        elif by in ("source", "month"):  # a question is in one group
            counts["n_questions"] = np.bincount(codes[qstart], minlength=size)
        else:  # a question's pairs may fall in several horizons: count distinct ones
            seen = np.zeros((int(data["question_code"].max()) + 1) * size, dtype=bool)
            seen[data["question_code"][pair_first].astype(np.int64) * size + pair_group] = True
            counts["n_questions"] = np.bincount(np.flatnonzero(seen) % size, minlength=size)
    # Overall: the groups' sums added up (per question for tags, which overlap): the same
    # per-forecast sums whatever the grouping, equal up to rounding in the last digit.
    total = {k: np.array([v.sum()]) for k, v in parts.items()}
    overall = _rows(total, [None], overall_counts, rule)[0]
    return overall, _rows(group_sums, labels, counts, rule)


def _pair_scores(data: dict[str, np.ndarray], rule: str
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(question code, forecaster code, score)`` per pair; day-weighted when time-averaged."""
    each = metrics.score_each(data["outcome"], data["probability"], rule=rule)
    if _weights(data) is None:  # a row per pair
        return data["question_code"], data["forecaster_code"], each
    starts = _starts(data["pair"])
    w = data["weight"]
    score = np.add.reduceat(w * each, starts) / np.add.reduceat(w, starts)
    return data["question_code"][starts], data["forecaster_code"][starts], score


def _relative(data: dict[str, np.ndarray], rule: str) -> dict[str, tuple[float | None, int]]:
    """Forecaster name -> (relative score, questions shared) over ``data``."""
    if data["probability"].size == 0:
        return {}
    q, f, score = _pair_scores(data, rule)
    rel = relative_scores(q, f, score)
    names = _forecaster_names(data)
    return {str(names[code]): (_num(r), int(k))
            for code, r, k in zip(rel["forecaster"].tolist(), rel["relative"].tolist(),
                                  rel["n_shared"].tolist(), strict=True)}


def score_arrays(data: dict[str, np.ndarray], *, by: str | None = None, rule: str = "brier",
                 mode: str = "final", others: dict[str, np.ndarray] | None = None
                 ) -> dict[str, Any]:
    """:func:`score_report` on the arrays of :func:`~.selection.scored_forecasts` (the numpy core).

    ``others`` is the same selection without a forecaster filter: relative scores compare a
    forecaster with everyone else, so they are computed over it when given.
    """
    _choice("rule", rule, RULES)
    _choice("by", by, (None, *GROUPINGS))
    weighted = _weights(data) is not None
    overall, groups = _score_table(data, by, rule, weighted)
    relative = _relative(others if others is not None else data, rule) \
        if by == "forecaster" or others is not None else {}
    overall["relative"] = None
    overall["n_shared"] = 0
    if others is not None:
        # The selected forecasters' mean difference from the others' median, over every
        # question they shared (so a forecaster sharing more questions weighs more).
        names = _forecaster_names(data).tolist()
        mine = [relative[name] for name in names if name is not None and name in relative]
        shared = sum(k for _, k in mine)
        if shared:
            overall["relative"] = sum(r * k for r, k in mine if r is not None) / shared
        overall["n_shared"] = shared
    if by == "forecaster":
        for group in groups:
            group["relative"], group["n_shared"] = relative.get(group["group"], (None, 0))
    return {"mode": mode, "rule": rule, "by": by, "overall": overall, "groups": groups}


def score_report(con: Any, *, by: str | None = None, rule: str = "brier", mode: str = "final",
                 forecaster: str | Sequence[str] | None = None, tag: str | None = None,
                 source: str | None = None, since: Any = None, until: Any = None
                 ) -> dict[str, Any]:
    """Scores of the ledger's resolved questions, overall and per group.

    ``by`` groups by ``forecaster``, ``tag`` (a question counts under each of its tags),
    ``source``, ``month`` (of resolution, YYYY-MM) or ``horizon``
    (:data:`ledger.scoring.grouping.HORIZONS`).
    ``rule`` (``brier`` or ``log``) picks the headline ``score`` and the score that relative
    scores compare. Filters and ``mode`` are those of
    :func:`ledger.scoring.selection.scored_forecasts`.

    Returns ``{"mode", "rule", "by", "overall", "groups"}``. ``overall`` and each group hold
    ``n`` (forecaster-question pairs scored), ``n_questions``, ``n_forecasts`` (rows; more
    than ``n`` in time-averaged mode), ``brier`` (0 best .. 1 worst), ``log_score`` (nats),
    ``log_clipped`` (forecasts at 0 or 1 clipped), ``score``, ``base_rate``,
    ``mean_forecast``, ``brier_skill`` (vs the base rate), ``brier_skill_vs_50``,
    ``brier_skill_vs_reference`` (on the ``n_reference`` pairs whose question has a reference
    probability; None without any). Groups by forecaster add ``relative`` (their score minus
    the median of the others', averaged over the ``n_shared`` questions shared; negative is
    better) and ``overall`` has it when a forecaster filter is given.
    """
    _choice("rule", rule, RULES)
    _choice("by", by, (None, *GROUPINGS))
    need = {"reference_probability", *_NEEDS.get(by, ())}
    if forecaster is None:
        data = _select(con, mode, need, (None, tag, source, since, until))
        return score_arrays(data, by=by, rule=rule, mode=mode)
    # Relative scores need everyone's forecasts anyway: select them once, and the chosen
    # forecasters' rows from them (the same rows, in the same order, as their own selection).
    others = _select(con, mode, need | {"forecaster_names"}, (None, tag, source, since, until))
    data = _only(others, forecaster)
    return score_arrays(data, by=by, rule=rule, mode=mode, others=others)


# -- calibration ----------------------------------------------------------------------------

def _curve(corp: dict[str, Any], limit: int = 1000) -> list[dict[str, float | None]]:
    """The CORP curve: every distinct forecast, or (over ``limit``) the ends of PAV blocks.

    The recalibrated value is constant within a block, so the block ends draw the same
    piecewise-linear curve as every point does.
    """
    x, r = corp["x"], corp["recalibrated"]
    keep = np.arange(x.size)
    if x.size > limit:
        change = np.flatnonzero(r[1:] != r[:-1])
        keep = np.unique(np.concatenate(([0, x.size - 1], change, change + 1)))
    points = []
    for i in keep.tolist():
        point = {"x": float(x[i]), "y": float(r[i])}
        if "lower" in corp:
            point["lower"], point["upper"] = float(corp["lower"][i]), float(corp["upper"][i])
        points.append(point)
    return points


def _corp_bins(corp: dict[str, Any]) -> list[dict[str, Any]]:
    """PAV blocks as bins: the forecasts CORP pooled, with their observed frequency."""
    x, r, count, weight = corp["x"], corp["recalibrated"], corp["count"], corp["weight"]
    starts = _starts(r)
    ends = np.append(starts[1:], r.size)
    bw = np.add.reduceat(weight, starts)
    mean_forecast = np.add.reduceat(weight * x, starts) / bw
    freq = r[starts]
    low, high = wilson_interval(freq * bw, bw)
    return [{"lower": float(x[s]), "upper": float(x[e - 1]),
             "count": int(c), "weight": float(wt), "mean_forecast": float(m),
             "observed_frequency": float(f), "wilson_low": float(lo), "wilson_high": float(hi)}
            for s, e, c, wt, m, f, lo, hi in zip(
                starts.tolist(), ends.tolist(), np.add.reduceat(count, starts).tolist(),
                bw.tolist(), mean_forecast.tolist(), freq.tolist(), low.tolist(),
                high.tolist(), strict=True)]


def calibration_arrays(data: dict[str, np.ndarray], *, n_bins: int = 10,
                       strategy: str = "uniform", mode: str = "final", n_boot: int = 0,
                       seed: int = 0, alpha: float = 0.1) -> dict[str, Any]:
    """:func:`calibration_report` on the arrays of :func:`~.selection.scored_forecasts`
    (the numpy core)."""
    _choice("strategy", strategy, CALIBRATION_STRATEGIES)
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise InvalidValue(f"n_bins: {n_bins!r} is not a whole number of bins >= 1")
    y, p, w = data["outcome"], data["probability"], _weights(data)
    out: dict[str, Any] = {
        "mode": mode, "strategy": strategy, "n_bins": n_bins,
        "n": _distinct_runs(data["pair"]), "n_questions": _distinct_runs(data["question_code"]),
        "n_forecasts": int(p.size), "bins": [], "murphy": None, "corp": None,
    }
    if p.size == 0:
        return out
    binning = "uniform" if strategy == "corp" else strategy
    table, murphy = binned_calibration(y, p, n_bins=n_bins, strategy=binning,
                                               sample_weight=w)
    out["murphy"] = {"strategy": binning, **{k: (_num(v) if k != "n_bins" else int(v))
                                             for k, v in murphy.items()}}
    corp = corp_decomposition(y, p, n_boot=n_boot, seed=seed, alpha=alpha,
                                      sample_weight=w)
    out["corp"] = {"mcb": _num(corp["mcb"]), "dsc": _num(corp["dsc"]),
                   "unc": _num(corp["unc"]), "brier": _num(corp["brier"]),
                   "n_boot": int(n_boot), "alpha": float(alpha), "curve": _curve(corp)}
    out["brier"] = _num(corp["brier"])
    if strategy == "corp":
        out["bins"] = _corp_bins(corp)
    else:
        out["bins"] = [
            {"lower": float(a), "upper": float(b), "count": int(c), "weight": float(wt),
             "mean_forecast": float(m), "observed_frequency": float(f),
             "wilson_low": float(lo), "wilson_high": float(hi)}
            for a, b, c, wt, m, f, lo, hi in zip(
                *(table[k].tolist() for k in ("bin_lower", "bin_upper", "count", "weight",
                                              "mean_forecast", "observed_frequency",
                                              "wilson_low", "wilson_high")), strict=True)]
    return out


def calibration_report(con: Any, *, n_bins: int = 10, strategy: str = "uniform",
                       forecaster: str | Sequence[str] | None = None, tag: str | None = None,
                       source: str | None = None, since: Any = None, until: Any = None,
                       mode: str = "final", n_boot: int = 0, seed: int = 0,
                       alpha: float = 0.1) -> dict[str, Any]:
    """Calibration of the selected forecasts: bins, Murphy and CORP decompositions.

    ``strategy`` ``uniform`` or ``quantile`` bins as
    :func:`ledger.scoring.calibration.calibration_table`
    does; ``corp`` shows the CORP blocks (the forecasts PAV pooled) as the bins and uses
    uniform bins for the Murphy decomposition. In time-averaged mode every segment is
    weighted by its share of the pair's days (so ``weight`` sums to pairs, ``count`` counts
    segments, and Wilson intervals use the weights).

    Returns ``{"mode", "strategy", "n_bins", "n", "n_questions", "n_forecasts", "brier",
    "bins": [{"lower", "upper", "count", "weight", "mean_forecast", "observed_frequency",
    "wilson_low", "wilson_high"}], "murphy": {"reliability", "resolution", "uncertainty",
    "within_bin_variance", "within_bin_covariance", "brier", "n_bins", "strategy"},
    "corp": {"mcb", "dsc", "unc", "brier", "n_boot", "alpha", "curve": [{"x", "y"}, ...]}}``;
    with ``n_boot > 0`` curve points also carry the consistency band ``lower`` / ``upper``.
    ``murphy`` and ``corp`` are None when nothing is scored.
    """
    data = _select(con, mode, set(), (forecaster, tag, source, since, until))
    return calibration_arrays(data, n_bins=n_bins, strategy=strategy, mode=mode,
                              n_boot=n_boot, seed=seed, alpha=alpha)


def over_time_arrays(data: dict[str, np.ndarray], *, window: int = 50, by: str | None = None,
                     mode: str = "final") -> dict[str, Any]:
    """:func:`calibration_over_time` on the arrays of :func:`~.selection.scored_forecasts`."""
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise InvalidValue(f"window: {window!r} is not a whole number of forecasts >= 1")
    _choice("by", by, (None, "month"))
    out: dict[str, Any] = {"mode": mode, "window": None if by else window, "by": by,
                           "points": []}
    if data["probability"].size == 0:
        return out
    # One value per pair (day-weighted in time-averaged mode), in order of resolution.
    brier = metrics.score_each(data["outcome"], data["probability"])
    forecast, outcome, day = data["probability"], data["outcome"], data["resolved_on"]
    if _weights(data) is not None:  # several rows per pair
        starts = _starts(data["pair"])
        w = data["weight"]
        wsum = np.add.reduceat(w, starts)
        brier = np.add.reduceat(w * brier, starts) / wsum
        forecast = np.add.reduceat(w * forecast, starts) / wsum
        outcome, day = outcome[starts], day[starts]
    outcome = outcome.astype(np.float64)
    # Pairs come by question then forecaster; a stable sort by day keeps that within a day.
    by_day = _stable_order(_dense(day.astype(np.int64))[0])
    brier, forecast, outcome, day = brier[by_day], forecast[by_day], outcome[by_day], day[by_day]
    if by == "month":
        month = day.astype("datetime64[M]")
        first = _starts(month)
        n = np.diff(np.append(first, month.size))
        sums = [np.add.reduceat(v, first) for v in (brier, forecast, outcome)]
        cum_n, cum_brier = np.cumsum(n), np.cumsum(sums[0])
        labels = np.datetime_as_string(month[first], unit="M")
        for i, label in enumerate(labels.tolist()):
            mb, mf, mo = (s[i] / n[i] for s in sums)
            out["points"].append({
                "month": label, "n": int(n[i]), "brier": float(mb), "mean_forecast": float(mf),
                "observed_frequency": float(mo), "calibration_in_the_large": float(mf - mo),
                "cumulative_n": int(cum_n[i]),
                "cumulative_brier": float(cum_brier[i] / cum_n[i])})
        return out
    # Rolling window over the last ``window`` pairs, read at the last pair of each day.
    last = np.append(_starts(day)[1:], day.size) - 1
    lo = np.maximum(last + 1 - window, 0)
    cums = [np.concatenate(([0.0], np.cumsum(v))) for v in (brier, forecast, outcome)]
    n = last + 1 - lo
    mb, mf, mo = ((c[last + 1] - c[lo]) / n for c in cums)
    labels = np.datetime_as_string(day[last], unit="D")
    for i, label in enumerate(labels.tolist()):
        out["points"].append({
            "resolved_on": label, "n": int(n[i]), "brier": float(mb[i]),
            "mean_forecast": float(mf[i]), "observed_frequency": float(mo[i]),
            "calibration_in_the_large": float(mf[i] - mo[i])})
    return out


def calibration_over_time(con: Any, *, window: int = 50, by: str | None = None,
                          mode: str = "final", forecaster: str | Sequence[str] | None = None,
                          tag: str | None = None, source: str | None = None,
                          since: Any = None, until: Any = None) -> dict[str, Any]:
    """How scores moved as questions resolved: for the dashboard's improvement chart.

    Each (forecaster, question) pair is one value (its Brier score and forecast, day-weighted
    in time-averaged mode), ordered by resolution date. By default each point is the last
    ``window`` pairs up to and including that resolution day; ``by="month"`` gives one point
    per resolution month instead, with the cumulative Brier score so far. Every point has
    ``n``, ``brier``, ``mean_forecast``, ``observed_frequency`` and
    ``calibration_in_the_large`` (mean forecast minus observed frequency: positive means yes
    was forecast more often than it happened).
    """
    data = _select(con, mode, {"resolved_on"}, (forecaster, tag, source, since, until))
    return over_time_arrays(data, window=window, by=by, mode=mode)
