"""The resolved page's table, built with numpy from column arrays: one row per scored forecast
(millions at 10M), where a dict or a Python loop per row would cost seconds. Display strings
come from :mod:`ledger.reports.views` (one home each), computed once per distinct value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd


def objects(values: Any) -> np.ndarray:
    """A column of ``fetchnumpy`` as Python objects, None where NULL (dates as ``date``)."""
    mask = np.ma.getmaskarray(values)
    data = np.ma.getdata(values)
    if data.dtype.kind == "M":
        data = data.astype("datetime64[D]")
    out = data.astype(object)
    out[mask] = None
    return out


def each(values: np.ndarray, show: Any) -> np.ndarray:
    """``show(v)`` of each value, computed once per distinct value (dates, probabilities and
    such repeat across millions of rows)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    return np.array([show(u) for u in uniques.tolist()] + [None], dtype=object)[codes]


def resolved_table(found: dict[str, np.ndarray], data: dict[str, np.ndarray],
                   brier: np.ndarray, log: np.ndarray, *, date_text: Callable[[Any], str],
                   safe_url: Callable[[Any], str | None], percent: Callable[[float], str],
                   limit: int | None = None) -> tuple[pd.DataFrame, int]:
    """:func:`ledger.reports.views.resolved_view`'s table: for each question of ``found`` (most
    recent resolution first), its scored forecasts in ``data`` order, or one row saying why
    there is none; only its first ``limit`` rows when given (the rest are not built), and
    the number of rows of the whole table."""
    qorder = sorted(range(found["id"].size), key=lambda i: (found["resolved_on"][i],
                                                            found["id"][i]), reverse=True)
    q = {k: v[qorder] if v.size else v for k, v in found.items()}
    pos = pd.Index(q["id"]).get_indexer(data["question_id"])
    rows = np.flatnonzero(pos >= 0)
    bare = np.flatnonzero(np.bincount(pos[rows], minlength=q["id"].size) == 0)
    qpos = np.concatenate([pos[rows], bare])
    at = np.argsort(qpos, kind="stable")  # a question's forecasts keep data's order
    total = int(at.size)
    if limit is not None:
        at = at[:limit]
    qpos = qpos[at]
    src = np.concatenate([rows, np.full(bare.size, -1)])[at]
    scored = src >= 0
    taken = src[scored]
    unscored = np.where(q["status"][qpos[~scored]] != "resolved", "not scored",
                        "no forecast").astype(object)

    def per_row(scored_values: np.ndarray, bare_values: Any, dtype: Any = object) -> np.ndarray:
        out = np.empty(qpos.size, dtype=dtype)
        out[scored] = scored_values
        out[~scored] = bare_values
        return out

    p = data["probability"][taken]
    table = pd.DataFrame({
        "id": q["id"][qpos],
        "question": q["question"][qpos],
        "outcome": q["outcome"][qpos],
        "resolved_on": each(q["resolved_on"][qpos], date_text),
        "evidence": each(q["evidence"][qpos], safe_url),
        "forecaster": per_row(data["forecaster"][taken], ""),
        "probability": per_row(each(p, lambda v: percent(float(v))), unscored),
        "made_on": per_row(data["made_on"][taken].astype(str), ""),
        "brier": per_row(np.asarray(brier, dtype=np.float64)[taken], np.nan, np.float64),
        "log_score": per_row(np.asarray(log, dtype=np.float64)[taken], np.nan, np.float64),
    })
    table["brier"] = table["brier"].astype("float64")
    table["log_score"] = table["log_score"].astype("float64")
    return table, total
