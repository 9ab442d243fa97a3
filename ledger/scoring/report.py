"""Scores and calibration of the stored ledger: SQL selects what is scored, numpy scores it.

The CLI's ``score`` and ``calibration`` commands and the dashboard call these with an open
DuckDB connection and show what they return; they do no arithmetic of their own. The rules of
what is scored live in :func:`scored_forecasts`'s SQL (and, written a second way over the
views, in :func:`score_sql`'s, which the tests hold equal):

* only questions whose current resolution is ``yes`` (1) or ``no`` (0); ambiguous and annulled
  questions are never scored, and a corrected resolution counts as corrected;
* never a late forecast (the ``late`` flag of the ``forecasts_flagged`` view: recorded after
  the question's first resolution was recorded, or made after the date it resolved);
* per forecaster and question, by ``mode``:

  - ``final``: the last forecast (by calendar day ``made_on``, then ``made_at``, then entry
    number);
  - ``first``: the first one;
  - ``time-averaged``: every day from the forecaster's first forecast (``made_on``) through
    the resolution date, both included, is scored with the forecast standing that day (the
    last one made on or before it). Each forecast becomes a segment weighted by the share of
    those days it stood, so a (forecaster, question) pair counts once in every mean and its
    score is its day-weighted mean score. Including the resolution day means a forecast made
    on that day (which is not late) still counts for one day.

Every report is plain JSON: str, int, float, lists and dicts, ``None`` for a value that is
undefined (for example a skill score when every outcome in a group is the same); the
``*_arrays`` functions are the numpy cores of the reports, for callers holding the arrays of
:func:`scored_forecasts`. The maths
lives in :mod:`ledger.scoring.metrics`;
:func:`score_sql` recomputes the Brier and log scores as pure
SQL aggregates, which the tests hold equal to the numpy results.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import chain
from typing import Any

import numpy as np

from ledger.errors import InvalidValue
from ledger.scoring import metrics as scoring
from ledger.storage import order

MODES = ("final", "first", "time-averaged")
GROUPINGS = ("forecaster", "tag", "source", "month", "horizon")
RULES = ("brier", "log")
CALIBRATION_STRATEGIES = ("uniform", "quantile", "corp")
#: Horizon groups: days from the scored forecast's ``made_on`` (time-averaged: the pair's first
#: forecast) to ``resolved_on``, each bucket holding days below its bound.
HORIZONS: tuple[tuple[int | None, str], ...] = (
    (7, "< 1 week"), (31, "1 week - 1 month"), (92, "1 - 3 months"), (None, "> 3 months"),
)
NO_TAG = "(no tag)"  # tags cannot contain spaces, so this never collides with a real tag
NO_SOURCE = "(no source)"  # nor this with a source id (a slug)
NO_TAG_LIST = (NO_TAG,)

_ORDER = "question_code, forecaster_code, made_on, made_at, seq"

# The questions that can be scored (current resolution yes or no, passing the question
# filters) and the forecasters, each numbered in name order so that the forecasts carry small
# integers rather than strings (DuckDB sorts and hands over integers far faster); then every
# non-late forecast on those questions.
_BASE_SQL = """
WITH scope AS (
    SELECT q.id AS question_id, row_number() OVER (ORDER BY q.id) - 1 AS question_code,
           CAST(r.outcome = 'yes' AS INTEGER) AS outcome, r.resolved_on, q.tags, q.source_id,
           q.reference_probability
    FROM current_resolutions r JOIN current_questions q ON q.id = r.question_id
    WHERE r.outcome IN ('yes', 'no'){question_filters}
), who AS (
    SELECT forecaster, row_number() OVER (ORDER BY forecaster) - 1 AS forecaster_code
    FROM (SELECT DISTINCT forecaster FROM forecasts WHERE true{forecaster_filter})
), f AS (
    SELECT f.seq, s.question_code, w.forecaster_code, f.probability, f.made_at, f.made_on,
           s.outcome, s.resolved_on
    FROM forecasts_flagged f JOIN scope s USING (question_id) JOIN who w USING (forecaster)
    WHERE NOT f.late
)"""

_COLUMNS = """question_code, forecaster_code, seq, probability, outcome, made_at, made_on,
           resolved_on"""

# Per mode, ``scored``: the rows that count, with their weight, standing days and horizon.
# One forecast per (question, forecaster): the last (final) or the first, by calendar day, then
# instant, then entry. An aggregate per pair beats sorting all forecasts in a window.
_PICK_SQL = """, pick AS (
    SELECT {pick}(seq, (made_on, made_at, seq)) AS seq
    FROM f GROUP BY question_code, forecaster_code
), scored AS (
    SELECT {columns}, CAST(1 AS DOUBLE) AS weight, 0 AS days,
           date_diff('day', made_on, resolved_on) AS horizon_days
    FROM f SEMI JOIN pick USING (seq)
)"""

_MODE_SQL = {
    "final": _PICK_SQL.format(pick="arg_max", columns=_COLUMNS),
    "first": _PICK_SQL.format(pick="arg_min", columns=_COLUMNS),
    # A forecast stands from its made_on until the next one's (the last one through the
    # resolution day); one made the same day as a later one stands for no day and is dropped.
    # The pair's days add up to resolved_on - first made_on + 1, so that is the denominator.
    "time-averaged": f""", seg AS (
    SELECT *, coalesce(lead(made_on) OVER w, resolved_on + 1) AS until_on,
           first_value(made_on) OVER w AS first_on
    FROM f
    WINDOW w AS (PARTITION BY question_code, forecaster_code ORDER BY made_on, made_at, seq)
), scored AS (
    SELECT {_COLUMNS},
           date_diff('day', made_on, until_on) / (date_diff('day', first_on, resolved_on) + 1)
               AS weight,
           date_diff('day', made_on, until_on) AS days,
           date_diff('day', first_on, resolved_on) AS horizon_days
    FROM seg WHERE until_on > made_on
)""",
}


# -- selecting ------------------------------------------------------------------------------

def _choice(name: str, value: Any, allowed: Sequence[Any]) -> Any:
    if value not in allowed:
        shown = ", ".join("none" if a is None else str(a) for a in allowed)
        raise InvalidValue(f"{name}: {value!r} is not one of {shown}")
    return value


def _day(name: str, value: Any) -> date | None:
    if value is None:
        return None
    from ledger.format.dates import parse_date

    try:
        return parse_date(value)
    except ValueError as exc:
        raise InvalidValue(f"{name}: {exc}") from None


def _filters(forecaster: str | Sequence[str] | None, tag: str | None, source: str | None,
             since: Any, until: Any) -> tuple[dict[str, str], dict[str, Any]]:
    questions: list[str] = []
    params: dict[str, Any] = {}
    who = ""
    if forecaster is not None:
        who = "\n          AND list_contains($forecasters, forecaster)"
        params["forecasters"] = [forecaster] if isinstance(forecaster, str) else list(forecaster)
    if tag is not None:
        questions.append("list_contains(q.tags, $tag)")
        params["tag"] = tag
    if source is not None:
        questions.append("q.source_id = $source")
        params["source"] = source
    start, end = _day("since", since), _day("until", until)
    if start is not None:
        questions.append("r.resolved_on >= $since")
        params["since"] = start
    if end is not None:
        questions.append("r.resolved_on <= $until")
        params["until"] = end
    parts = {"question_filters": "".join(f"\n      AND {w}" for w in questions),
             "forecaster_filter": who}
    return parts, params


def _base_sql(mode: str, filters: dict[str, str]) -> str:
    return _BASE_SQL.format(**filters) + _MODE_SQL[_choice("mode", mode, MODES)]


def _filled(values: Any, fill: Any) -> np.ndarray:
    if isinstance(values, np.ma.MaskedArray):
        out = values.data.copy() if values.dtype != object else values.data.astype(object)
        out[np.ma.getmaskarray(values)] = fill
        return out
    return np.asarray(values)


#: Every key :func:`scored_forecasts` can return.
COLUMNS = ("question_id", "forecaster", "probability", "outcome", "weight", "days", "made_at",
           "made_on", "resolved_on", "horizon_days", "source_id", "tags",
           "reference_probability", "seq", "question_code", "forecaster_code", "pair")
_PER_QUESTION = ("question_id", "source_id", "tags")
# Integer keys that _select keeps at 32 bits and scored_forecasts hands out as int64.
_WIDE = ("question_code", "forecaster_code", "days", "horizon_days")
# Keys by code, not by row, that reports ask :func:`_select` for: ``forecaster_names`` (by
# forecaster code), ``question_source_ids`` (by question code), and the questions' tags as
# ``tag_question_codes`` / ``tag_labels``, one element per (question, tag).
_LABELS = ("forecaster_names", "question_source_ids", "tag_question_codes", "tag_labels")

# The questions in scope and the forecasters, numbered as in _BASE_SQL; then the forecasts on
# those questions that are not late. The current resolution (the latest entry, with the first
# one's recorded_at) and the current question version (the latest, of a question that has a
# first) are those of the current_resolutions and current_questions views, as aggregates:
# the views' self-joins, and current_questions' edited_after_forecast subquery, which DuckDB
# still plans when unused, cost several times more. ``late`` is the forecasts_flagged view's
# rule, written here over the in-scope questions only: the view computes it for every
# forecast through a join with every resolution, which at 10M forecasts cost seconds. The
# tests hold all three equal to the views. Question and forecaster columns travel as small
# integers, never as text.
_SCOPE_SQL = """
WITH scope AS (
    SELECT r.question_id,
           CAST(row_number() OVER (ORDER BY r.question_id) - 1 AS INTEGER) AS question_code,
           CAST(r.outcome = 'yes' AS TINYINT) AS outcome, r.resolved_on, r.first_recorded_at,
           q.tags, q.source_id, q.reference_probability
    FROM (
        SELECT question_id, arg_max(outcome, seq) AS outcome,
               arg_max(resolved_on, seq) AS resolved_on, min(recorded_at) AS first_recorded_at
        FROM resolutions GROUP BY question_id
    ) r JOIN (
        SELECT id, arg_max(tags, version) AS tags, arg_max(source_id, version) AS source_id,
               arg_max(reference_probability, version) AS reference_probability
        FROM questions GROUP BY id HAVING min(version) = 1
    ) q ON q.id = r.question_id
    WHERE r.outcome IN ('yes', 'no'){question_filters}
), who AS (
    SELECT forecaster,
           CAST(row_number() OVER (ORDER BY forecaster) - 1 AS INTEGER) AS forecaster_code
    FROM (SELECT DISTINCT forecaster FROM forecasts WHERE true{forecaster_filter})
)"""

_ROWS_SQL = """, f AS (
    SELECT s.question_code, w.forecaster_code, f.probability, f.made_on, f.made_at, f.seq,
           s.outcome, s.resolved_on, s.reference_probability
    FROM forecasts f JOIN scope s USING (question_id) JOIN who w USING (forecaster)
    WHERE NOT coalesce(f.recorded_at > s.first_recorded_at OR f.made_on > s.resolved_on, false)
)"""

_DAYS = order.DAYS


def _rows_sql(con: Any, mode: str, need: set[str]) -> tuple[str, list[str]]:
    """The SELECT (after _SCOPE_SQL and _ROWS_SQL) of the rows that count, in _ORDER, and
    its columns. Only the columns in ``need`` beyond the core are selected."""
    days = _DAYS.format
    cols = ["question_code", "forecaster_code", "probability", "outcome"]
    if mode == "time-averaged":
        # Every forecast in order; which ones stand, and for how long, is worked out in numpy
        # from neighbouring rows (:func:`_segments`), which spares DuckDB a window's sort.
        extra = [f"{days('made_on')} AS made_on", f"{days('resolved_on')} AS resolved_on"]
        cols += ["made_on", "resolved_on"]
        for name in ("made_at", "seq", "reference_probability"):
            if name in need:
                extra.append(name)
                cols.append(name)
        sql = (f"\nSELECT question_code, forecaster_code, probability, outcome, "
               f"{', '.join(extra)}\nFROM f ORDER BY {_ORDER}")
        return sql, cols
    key = order.key_for(con)
    pick, extreme = ("arg_max", "max") if mode == "final" else ("arg_min", "min")
    inner = [f"{pick}(probability, key) AS probability", "any_value(outcome) AS outcome"]
    outer = ["question_code", "forecaster_code", "probability", "outcome"]
    wants_key = [n for n in ("made_on", "made_at", "seq") if n in need or
                 (n == "made_on" and "horizon_days" in need)]
    if wants_key:
        inner.append(f"{extreme}(key) AS k")
        outer += [f"{key[n]} AS {n}" for n in wants_key]
        cols += wants_key
    if {"resolved_on", "horizon_days"} & need:
        inner.append("any_value(resolved_on) AS resolved_on")
        outer.append(f"{days('resolved_on')} AS resolved_on")
        cols.append("resolved_on")
    if "reference_probability" in need:
        # Carried along rather than fetched per question afterwards, which would compute
        # the scope a second time.
        inner.append("any_value(reference_probability) AS reference_probability")
        outer.append("reference_probability")
        cols.append("reference_probability")
    sql = (f", keyed AS (SELECT *, {key['key']} AS key FROM f), picked AS (\n"
           f"    SELECT question_code, forecaster_code, {', '.join(inner)}\n"
           f"    FROM keyed GROUP BY question_code, forecaster_code\n)\n"
           f"SELECT {', '.join(outer)} FROM picked ORDER BY question_code, forecaster_code")
    return sql, cols


def _segments(q: np.ndarray, f: np.ndarray, made_on: np.ndarray, resolved_on: np.ndarray
              ) -> np.ndarray | None:
    """Which of the non-late forecasts, in ``_ORDER``, stand in time-averaged mode.

    Of several forecasts a forecaster made on a question the same day only the last stands
    (from that day on); the others stand for no day and are dropped, as _MODE_SQL's
    ``until_on > made_on`` drops them. Returns the rows that stand, or None when all do.
    """
    if q.size < 2:
        return None
    replaced = made_on[1:] == made_on[:-1]
    replaced &= q[1:] == q[:-1]
    replaced &= f[1:] == f[:-1]
    if not replaced.any():
        return None
    return np.flatnonzero(~np.append(replaced, False))


def _weights_of(new_pair: np.ndarray, made_on: np.ndarray, resolved_on: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(weight, days, horizon_days)`` of standing forecasts in ``_ORDER`` (days as ints).

    Each stands from its ``made_on`` until the next one's in its pair, the last one through
    the resolution day included; its weight is those days over the pair's days, from its
    first forecast through the resolution day: what the window of _MODE_SQL's time-averaged
    ``seg`` computes, from neighbouring rows instead of a sort.
    """
    ends_pair = np.empty_like(new_pair)
    ends_pair[:-1] = new_pair[1:]
    ends_pair[-1:] = True
    days = np.empty_like(made_on)
    days[:-1] = made_on[1:]
    days[ends_pair] = resolved_on[ends_pair] + 1
    days -= made_on
    # The pair's first forecast's day is the made_on at the start of its run of rows.
    horizon = resolved_on - made_on[new_pair][np.cumsum(new_pair) - 1]
    return days / (horizon + 1.0), days, horizon


def _new_pairs(q: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Where each (question, forecaster) pair's rows start."""
    new_pair = np.empty(q.size, dtype=bool)
    new_pair[:1] = True
    np.not_equal(q[1:], q[:-1], out=new_pair[1:])
    new_pair[1:] |= f[1:] != f[:-1]
    return new_pair


def _select(con: Any, mode: str, need: set[str], filter_values: tuple[Any, ...]
            ) -> dict[str, np.ndarray]:
    """:func:`scored_forecasts`'s arrays for the keys in ``need``, plus, when asked for,
    :data:`_LABELS`: names by code rather than one per row (a question's source, a
    forecaster's name), which is what reports group by. One query selects the rows; a
    label is a further small query, run only when asked for."""
    _choice("mode", mode, MODES)
    filters, params = _filters(*filter_values)
    scope = _SCOPE_SQL.format(**filters)
    sql, cols = _rows_sql(con, mode, need)
    raw = con.execute(scope + _ROWS_SQL + sql, params).fetchnumpy()
    # Codes stay 32-bit here (DuckDB's INTEGER); scored_forecasts widens them for callers.
    qcode = _filled(raw["question_code"], 0)
    fcode = _filled(raw["forecaster_code"], 0)
    out: dict[str, np.ndarray] = {
        "probability": _filled(raw["probability"], np.nan).astype(np.float64, copy=False),
        "outcome": _filled(raw["outcome"], 0).astype(np.int8, copy=False),
    }
    made_on = _filled(raw["made_on"], 0) if "made_on" in raw else None
    resolved_on = _filled(raw["resolved_on"], 0) if "resolved_on" in raw else None
    if mode == "time-averaged":
        keep = _segments(qcode, fcode, made_on, resolved_on)
        if keep is not None:
            qcode, fcode, made_on, resolved_on = (v[keep] for v in (qcode, fcode, made_on,
                                                                    resolved_on))
            raw = {k: v[keep] for k, v in raw.items() if k in cols}
            out = {k: v[keep] for k, v in out.items()}
        new_pair = _new_pairs(qcode, fcode)
        out["weight"], days, horizon = _weights_of(new_pair, made_on, resolved_on)
        out["pair"] = np.cumsum(new_pair) - 1
        if "days" in need:
            out["days"] = days
        if "horizon_days" in need:
            out["horizon_days"] = horizon
    else:
        out["weight"] = np.ones(qcode.size)
        out["pair"] = np.arange(qcode.size)  # one row per pair
        if "days" in need:
            out["days"] = np.zeros(qcode.size, dtype=np.int64)
        if "horizon_days" in need:
            out["horizon_days"] = resolved_on - made_on
    if "made_on" in need:
        out["made_on"] = made_on.astype("datetime64[D]")
    if "resolved_on" in need:
        out["resolved_on"] = resolved_on.astype("datetime64[D]")
    if "made_at" in raw:
        out["made_at"] = _filled(raw["made_at"], np.datetime64("NaT")).astype("datetime64[us]")
    if "seq" in raw:
        out["seq"] = _filled(raw["seq"], 0).astype(np.int64)
    if "reference_probability" in raw:
        out["reference_probability"] = _filled(raw["reference_probability"], np.nan).astype(
            np.float64, copy=False)
    out["question_code"], out["forecaster_code"] = qcode, fcode
    # Per question and per forecaster once; rows pick theirs by code (sharing the objects).
    wanted = [c for c in _PER_QUESTION if c in need]
    if wanted:
        qs = con.execute(f"{scope}\nSELECT {', '.join(wanted)} FROM scope "
                         "ORDER BY question_code", params).fetchnumpy()
        for c in wanted:
            out[c] = _filled(qs[c], None).astype(object)[qcode]
    if {"forecaster", "forecaster_names"} & need:
        names = _filled(con.execute(f"{scope}\nSELECT forecaster FROM who ORDER BY "
                                    "forecaster_code", params).fetchnumpy()["forecaster"],
                        None).astype(object)
        out["forecaster_names"] = names
        if "forecaster" in need:
            out["forecaster"] = names[fcode]
    if "question_source_ids" in need:
        out["question_source_ids"] = _filled(con.execute(
            f"{scope}\nSELECT source_id FROM scope ORDER BY question_code",
            params).fetchnumpy()["source_id"], None).astype(object)
    if "tag_labels" in need:
        # Flat, one row per (question, tag): a LIST column would come back as one numpy
        # array per question. Only the question order matters (tags of one question go to
        # different groups), so the order within a question is left to DuckDB.
        flat = con.execute(f"""{scope}
SELECT question_code, unnest(CASE WHEN len(tags) > 0 THEN tags ELSE ['{NO_TAG}'] END) AS tag
FROM scope ORDER BY question_code""", params).fetchnumpy()
        out["tag_question_codes"] = _filled(flat["question_code"], 0).astype(np.int64)
        out["tag_labels"] = _filled(flat["tag"], None).astype(object)
    return out


def scored_forecasts(con: Any, *, mode: str = "final",
                     forecaster: str | Sequence[str] | None = None, tag: str | None = None,
                     source: str | None = None, since: Any = None, until: Any = None,
                     columns: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The forecasts that count, as numpy arrays, one element per scored forecast.

    ``mode`` is ``final``, ``first`` or ``time-averaged`` (see the module docstring). Filters:
    ``forecaster`` (a name or several), ``tag``, ``source`` (a source id), and ``since`` /
    ``until`` on the resolution date, both included (a ``date`` or ``YYYY-MM-DD``).
    ``columns`` names the keys wanted (all of :data:`COLUMNS` when None); the core keys
    ``probability``, ``outcome``, ``weight``, ``question_code``, ``forecaster_code`` and
    ``pair`` always come, and nothing else is fetched or built, which is what keeps reports
    on millions of forecasts fast and small.

    Rows are ordered by question, forecaster, then time. Keys: ``question_id``,
    ``forecaster`` (str), ``probability`` (float), ``outcome`` (1 yes, 0 no), ``weight`` (1, or
    in time-averaged mode the share of its pair's days it stood), ``days`` (time-averaged: the
    days it stood, resolution day included; 0 in the other modes), ``made_at`` (datetime64,
    UTC), ``made_on``, ``resolved_on`` (datetime64[D]), ``horizon_days`` (made_on, or the
    pair's first made_on when time-averaged, to resolved_on), ``source_id`` (None when none),
    ``tags`` (arrays of str), ``reference_probability`` (nan when none), ``seq`` (entry
    number), integer codes ``question_code`` / ``forecaster_code`` (numbering the questions in
    scope and the forecasters by id and name) and ``pair`` (numbering the (question,
    forecaster) pairs in row order). Strings are shared per question and forecaster, not
    copied per row.

    Raises
    ------
    InvalidValue
        For a mode, filter or column name that is not one of those above.
    """
    need = set(COLUMNS) if columns is None else {_choice("columns", c, COLUMNS) for c in columns}
    out = _select(con, mode, need, (forecaster, tag, source, since, until))
    return {k: out[k].astype(np.int64) if k in _WIDE else out[k] for k in COLUMNS if k in out}


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


_EMPTY = {"n": 0, "n_questions": 0, "n_forecasts": 0, "brier": None, "log_score": None,
          "score": None, "log_clipped": 0, "base_rate": None, "mean_forecast": None,
          "brier_skill": None, "brier_skill_vs_50": None, "brier_skill_vs_reference": None,
          "n_reference": 0}


def _rows(sums: dict[str, np.ndarray], labels: Sequence[str | None], counts: dict[str, Any],
          rule: str) -> list[dict[str, Any]]:
    """A JSON row of counts and scores for each group holding forecasts."""
    scores = scoring.grouped_scores(sums)
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
        sums = scoring.group_sums(np.zeros(p.size, dtype=np.intp), y, p, n_groups=1,
                                  reference=ref, sample_weight=w)
        return _rows(sums, [None], overall_counts, rule)[0], []
    if by == "tag":
        qsums = scoring.group_sums(qrow, y, p, n_groups=nq, reference=ref, sample_weight=w)
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
        group_sums = parts = scoring.group_sums(codes, y, p, n_groups=size, reference=ref,
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
    each = scoring.score_each(data["outcome"], data["probability"], rule=rule)
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
    rel = scoring.relative_scores(q, f, score)
    names = _forecaster_names(data)
    return {str(names[code]): (_num(r), int(k))
            for code, r, k in zip(rel["forecaster"].tolist(), rel["relative"].tolist(),
                                  rel["n_shared"].tolist(), strict=True)}


def score_arrays(data: dict[str, np.ndarray], *, by: str | None = None, rule: str = "brier",
                 mode: str = "final", others: dict[str, np.ndarray] | None = None
                 ) -> dict[str, Any]:
    """:func:`score_report` on arrays from :func:`scored_forecasts` (the numpy core).

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


def _only(data: dict[str, np.ndarray], forecaster: str | Sequence[str]
          ) -> dict[str, np.ndarray]:
    """The rows of ``data`` (from :func:`_select`, with ``forecaster_names``) of the named
    forecasters, numbered among themselves as their own selection numbers them (so that
    group sums add up in the same order, to the last bit)."""
    wanted = {forecaster} if isinstance(forecaster, str) else set(forecaster)
    names = data["forecaster_names"]
    chosen = np.array([n in wanted for n in names.tolist()], dtype=bool)
    fcode = data["forecaster_code"]
    rows = np.flatnonzero(chosen[fcode]) if chosen.size else np.zeros(0, dtype=np.intp)
    out = {k: v if k in _LABELS else v[rows] for k, v in data.items()}
    out["forecaster_code"] = (np.cumsum(chosen) - 1).astype(fcode.dtype)[fcode[rows]]
    out["forecaster_names"] = names[chosen]
    out["pair"] = np.cumsum(_new_pairs(out["question_code"], out["forecaster_code"])) - 1
    return out


# What each grouping reads beyond the core keys; nothing else is fetched.
_NEEDS = {"forecaster": ("forecaster_names",), "tag": ("tag_labels",),
          "source": ("question_source_ids",), "month": ("resolved_on",),
          "horizon": ("horizon_days",)}


def score_report(con: Any, *, by: str | None = None, rule: str = "brier", mode: str = "final",
                 forecaster: str | Sequence[str] | None = None, tag: str | None = None,
                 source: str | None = None, since: Any = None, until: Any = None
                 ) -> dict[str, Any]:
    """Scores of the ledger's resolved questions, overall and per group.

    ``by`` groups by ``forecaster``, ``tag`` (a question counts under each of its tags),
    ``source``, ``month`` (of resolution, YYYY-MM) or ``horizon`` (:data:`HORIZONS`).
    ``rule`` (``brier`` or ``log``) picks the headline ``score`` and the score that relative
    scores compare. Filters and ``mode`` are those of :func:`scored_forecasts`.

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


def score_sql(con: Any, *, by: str | None = None, mode: str = "final",
              forecaster: str | Sequence[str] | None = None, tag: str | None = None,
              source: str | None = None, since: Any = None, until: Any = None,
              eps: float = scoring.LOG_EPS) -> dict[str, Any]:
    """The Brier and log scores of :func:`score_report`, computed as pure SQL aggregates.

    An independent second path to the same numbers (the tests hold the two equal): the same
    rows, then ``sum(weight * (p - y)^2) / sum(weight)`` and the clipped log loss in SQL.
    Returns ``{"overall": {"n", "brier", "log_score"}, "groups": [{"group", ...}]}``.
    """
    _choice("by", by, (None, *GROUPINGS))
    filters, params = _filters(forecaster, tag, source, since, until)
    params["eps"] = float(eps)
    horizon = " ".join(f"WHEN horizon_days < {b} THEN '{name}'" for b, name in HORIZONS if b)
    keys = {
        None: "'all'",
        "forecaster": "forecaster",
        "source": f"coalesce(source_id, '{NO_SOURCE}')",
        "month": "strftime(resolved_on, '%Y-%m')",
        "horizon": f"CASE {horizon} ELSE '{HORIZONS[-1][1]}' END",
        "tag": f"unnest(CASE WHEN len(tags) > 0 THEN tags ELSE ['{NO_TAG}'] END)",
    }
    aggregates = """
        count(DISTINCT [question_code, forecaster_code]) AS n,
        sum(weight * power(probability - outcome, 2)) / sum(weight) AS brier,
        sum(weight * -ln(CASE WHEN outcome = 1
                              THEN greatest(least(probability, 1 - $eps), $eps)
                              ELSE 1 - greatest(least(probability, 1 - $eps), $eps) END))
            / sum(weight) AS log_score"""
    base = _base_sql(mode, filters)

    def run(key: str) -> list[dict[str, Any]]:
        sql = (base + f""", joined AS (
    SELECT sc.*, s.tags, s.source_id, w.forecaster
    FROM scored sc JOIN scope s USING (question_code) JOIN who w USING (forecaster_code)
), keyed AS (SELECT {key} AS grp, * FROM joined)
SELECT grp, {aggregates} FROM keyed GROUP BY grp ORDER BY grp""")
        cur = con.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    overall = run(keys[None])
    out: dict[str, Any] = {"overall": ({k: v for k, v in overall[0].items() if k != "grp"}
                                       if overall else {"n": 0, "brier": None,
                                                        "log_score": None}),
                           "groups": []}
    if by is not None:
        rows = run(keys[by])
        if by == "horizon":
            rank = {name: i for i, (_, name) in enumerate(HORIZONS)}
            rows.sort(key=lambda r: rank[r["grp"]])
        out["groups"] = [{"group": r.pop("grp"), **r} for r in rows]
    return out


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
    low, high = scoring.wilson_interval(freq * bw, bw)
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
    """:func:`calibration_report` on arrays from :func:`scored_forecasts` (the numpy core)."""
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
    table, murphy = scoring.binned_calibration(y, p, n_bins=n_bins, strategy=binning,
                                               sample_weight=w)
    out["murphy"] = {"strategy": binning, **{k: (_num(v) if k != "n_bins" else int(v))
                                             for k, v in murphy.items()}}
    corp = scoring.corp_decomposition(y, p, n_boot=n_boot, seed=seed, alpha=alpha,
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
    :func:`ledger.scoring.metrics.calibration_table`
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
    """:func:`calibration_over_time` on arrays from :func:`scored_forecasts`."""
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise InvalidValue(f"window: {window!r} is not a whole number of forecasts >= 1")
    _choice("by", by, (None, "month"))
    out: dict[str, Any] = {"mode": mode, "window": None if by else window, "by": by,
                           "points": []}
    if data["probability"].size == 0:
        return out
    # One value per pair (day-weighted in time-averaged mode), in order of resolution.
    brier = scoring.score_each(data["outcome"], data["probability"])
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
