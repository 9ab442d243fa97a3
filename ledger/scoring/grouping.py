"""Which group each scored forecast falls in: by forecaster, tag, source, month or horizon.

Codes and labels for :mod:`ledger.scoring.report`'s per-group scores, from the arrays of
:func:`ledger.scoring.selection.scored_forecasts` (rows ordered by question, forecaster, then
time). Integer codes are built without sorting strings where that can be avoided.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

import numpy as np

from ledger import rules
from ledger.errors import InvalidValue

__all__ = ["GROUPINGS", "HORIZONS", "NO_SOURCE", "NO_TAG"]

GROUPINGS = rules.GROUPINGS
#: Horizon groups: days from the scored forecast's ``made_on`` (time-averaged: the pair's first
#: forecast) to ``resolved_on``, each bucket holding days below its bound.
HORIZONS: tuple[tuple[int | None, str], ...] = (
    (7, "< 1 week"), (31, "1 week - 1 month"), (92, "1 - 3 months"), (None, "> 3 months"),
)
NO_TAG = "(no tag)"  # tags cannot contain spaces, so this never collides with a real tag
NO_SOURCE = "(no source)"  # nor this with a source id (a slug)
NO_TAG_LIST = (NO_TAG,)

# What each grouping reads beyond the core keys of the selection; nothing else is fetched.
_NEEDS = {"forecaster": ("forecaster_names",), "tag": ("tag_labels",),
          "source": ("question_source_ids",), "month": ("resolved_on",),
          "horizon": ("horizon_days",)}


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, sorted distinct values)`` of an object array, in one pass through a dict.

    Sorting millions of Python strings (``np.unique``) is far slower than hashing them; only
    the few distinct values are sorted.
    """
    seen: dict[Any, int] = {}
    codes = np.fromiter((seen.setdefault(v, len(seen)) for v in values.tolist()),
                        dtype=np.int64, count=values.size)
    labels = np.empty(len(seen), dtype=object)
    labels[:] = list(seen)
    order = np.argsort(labels, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return rank[codes], labels[order]


def _starts(codes: np.ndarray) -> np.ndarray:
    """Where each run of equal codes starts."""
    if codes.size == 0:
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.concatenate(([True], codes[1:] != codes[:-1])))


def _distinct_runs(codes: np.ndarray) -> int:
    return int(_starts(codes).size)


def _stable_order(codes: np.ndarray) -> np.ndarray:
    """Stable argsort of non-negative integer codes; radix sort (O(n)) when they fit 16 bits."""
    if codes.size and int(codes.max()) < 1 << 16:
        return np.argsort(codes.astype(np.uint16), kind="stable")
    return np.argsort(codes, kind="stable")


def _dense(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, distinct values)`` of integers spanning a small range, without sorting."""
    low = int(values.min())
    present = np.bincount(values - low) > 0
    return (np.cumsum(present) - 1)[values - low], np.flatnonzero(present) + low


def _labels(codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The value behind each code; None for a code no row has (codes can skip numbers)."""
    size = int(codes.max()) + 1 if codes.size else 0
    row = np.full(size, -1, dtype=np.intp)
    row[codes] = np.arange(codes.size)  # some row with each code: they all hold the same value
    labels = np.full(size, None, dtype=object)
    present = row >= 0
    labels[present] = values[row[present]]
    return labels


def _forecaster_names(data: dict[str, np.ndarray]) -> np.ndarray:
    """The name behind each forecaster code (None for a code no row has, unless known)."""
    if "forecaster_names" in data:
        return data["forecaster_names"]
    return _labels(data["forecaster_code"], data["forecaster"])


def _question_tags(data: dict[str, np.ndarray], qstart: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``(question ordinal, tag)`` of every (question, tag) of the questions in ``data``, in
    question order; :data:`NO_TAG` for a question without tags."""
    nq = qstart.size
    if "tag_question_codes" in data:
        ordinal = np.full(int(data["question_code"].max()) + 1 if nq else 0, -1, dtype=np.int64)
        ordinal[data["question_code"][qstart]] = np.arange(nq)
        codes = data["tag_question_codes"]
        inside = codes < ordinal.size
        qt = np.full(codes.size, -1, dtype=np.int64)
        qt[inside] = ordinal[codes[inside]]
        keep = qt >= 0
        return qt[keep], data["tag_labels"][keep]
    tags = [NO_TAG_LIST if t is None or not len(t) else t
            for t in data["tags"][qstart].tolist()]
    lens = np.fromiter(map(len, tags), dtype=np.int64, count=nq)
    flat = np.empty(int(lens.sum()), dtype=object)
    flat[:] = list(chain.from_iterable(tags))
    return np.repeat(np.arange(nq), lens), flat


def _question_rows(data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(first row of each question, its row count, question ordinal of every row)``."""
    starts = _starts(data["question_code"])
    counts = np.diff(np.append(starts, data["question_code"].size))
    return starts, counts, np.repeat(np.arange(starts.size), counts)


def _group_codes(data: dict[str, np.ndarray], by: str) -> tuple[np.ndarray, list[str]]:
    """``(group code of every row, labels in display order)`` for one-group-per-row groupings."""
    if by == "forecaster":
        codes = data["forecaster_code"]
        return codes, [str(x) for x in _forecaster_names(data)]  # None: no rows
    if by == "source":
        qstart, _, qrow = _question_rows(data)
        if "question_source_ids" in data:
            ids = data["question_source_ids"][data["question_code"][qstart]]
        else:
            ids = data["source_id"][qstart]
        src = np.array([NO_SOURCE if s is None else s for s in ids.tolist()], dtype=object)
        qcode, names = _factorize(src)
        return qcode[qrow], [str(x) for x in names]
    if by == "month":
        codes, months = _dense(data["resolved_on"].astype("datetime64[M]").astype(np.int64))
        return codes, np.datetime_as_string(months.astype("datetime64[M]"), unit="M").tolist()
    if by == "horizon":
        bounds = np.array([b for b, _ in HORIZONS if b is not None])
        return (np.searchsorted(bounds, data["horizon_days"], side="right"),
                [name for _, name in HORIZONS])
    raise InvalidValue(f"by: {by!r} is not one of {', '.join(GROUPINGS)}")

