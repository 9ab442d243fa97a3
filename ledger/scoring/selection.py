"""What is scored: SQL selects the forecasts that count, as numpy arrays for the reports.

:func:`scored_forecasts` (and :func:`_select`, its core, which the reports call for just the
columns they read) is the one place the rules of what is scored are applied:

* only questions whose current resolution is ``yes`` (1) or ``no`` (0); ambiguous and annulled
  questions are never scored, and a corrected resolution counts as corrected;
* never a late forecast (recorded after the question's first resolution was recorded, or made
  after the date it resolved);
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

The three ledger rules the selection relies on are each written once, below, as SQL:
:data:`CURRENT_RESOLUTION_SQL` (which resolution of a question is current),
:data:`CURRENT_QUESTION_SQL` (which version of a question is current) and :func:`late_sql`
(which forecasts are late). The tests hold them equal to the schema's views
(``current_resolutions``, ``current_questions``, ``forecasts_flagged``). The reports built on
the selection are :mod:`ledger.scoring.report`; how rows fall into groups is
:mod:`ledger.scoring.grouping`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np

from ledger import rules
from ledger.errors import InvalidValue
from ledger.scoring.grouping import NO_TAG
from ledger.storage import order

__all__ = ["COLUMNS", "CURRENT_QUESTION_SQL", "CURRENT_RESOLUTION_SQL", "MODES", "late_sql",
           "scored_forecasts"]

MODES = rules.MODES

_ORDER = "question_code, forecaster_code, made_on, made_at, seq"


# -- the ledger's rules, each written once -------------------------------------------------
# The current resolution and the current question version are those of the
# current_resolutions and current_questions views, written as aggregates: the views'
# self-joins, and current_questions' edited_after_forecast subquery, which DuckDB still plans
# when unused, cost several times more. The tests hold all three rules equal to the views.

#: The current resolution of each resolved question
#: (:func:`ledger.rules.resolution_aggregates_sql`):
#: columns ``question_id``, ``outcome``, ``resolved_on``, ``first_seq``, ``first_recorded_at``.
CURRENT_RESOLUTION_SQL = f"""
        SELECT {rules.resolution_aggregates_sql()}
        FROM resolutions GROUP BY question_id"""

#: The current version of each question (its latest, of a question that has a first): columns
#: ``id``, ``tags``, ``source_id``, ``reference_probability``.
CURRENT_QUESTION_SQL = f"""
        SELECT id, arg_max(tags, {rules.QUESTION_VERSION_ORDER}) AS tags,
               arg_max(source_id, {rules.QUESTION_VERSION_ORDER}) AS source_id,
               arg_max(reference_probability, {rules.QUESTION_VERSION_ORDER})
                   AS reference_probability
        FROM questions GROUP BY id HAVING min(version) = 1"""

#: The late rule as a SQL boolean (:func:`ledger.rules.late_sql`), applied here to the in-scope
#: questions only: the ``forecasts_flagged`` view computes it for every forecast through a join
#: with every resolution, which at 10M forecasts costs seconds.
late_sql = rules.late_sql


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
# The questions in scope and the forecasters, each numbered in name order so that the forecasts
# carry small integers rather than strings (DuckDB sorts and hands over integers far faster);
# then the forecasts on those questions that are not late. Question and forecaster columns
# travel as small integers, never as text.
_SCOPE_SQL = """
WITH scope AS (
    SELECT r.question_id, n.question_no,
           CAST(row_number() OVER (ORDER BY r.question_id) - 1 AS INTEGER) AS question_code,
           CAST(r.outcome = 'yes' AS TINYINT) AS outcome, r.resolved_on, r.first_seq,
           r.first_recorded_at,
           q.tags, q.source_id, q.reference_probability
    FROM ({current_resolution}
    ) r JOIN ({current_question}
    ) q ON q.id = r.question_id
    JOIN question_numbers n ON n.question_id = r.question_id
    WHERE r.outcome IN ({scored}){question_filters}
      AND r.question_id NOT IN (SELECT duplicate_id FROM merges)
), who AS (
    SELECT forecaster, forecaster_no,
           CAST(row_number() OVER (ORDER BY forecaster) - 1 AS INTEGER) AS forecaster_code
    FROM forecaster_numbers WHERE true{forecaster_filter}
)"""

# The forecasts join the scope by the ledger's integer numbers (schema 3), not by text.
_ROWS_SQL = """, f AS (
    SELECT s.question_code, w.forecaster_code, f.probability, f.made_on, f.made_at, f.seq,
           s.outcome, s.resolved_on, s.reference_probability
    FROM {forecasts} f JOIN scope s USING (question_no) JOIN who w USING (forecaster_no)
    WHERE NOT {late}{only}
)"""

# Final and first: each pair's last or first forecast is in the pairs table the store keeps
# (schema.PAIR_COLUMNS). It is the pick unless it is late; only pairs whose end is late need
# their forecasts, to find the latest (or earliest) one that is not. The pairs hold the
# forecasts as logged: a ledger with fixes (withdrawals, merges) picks from its counted
# forecasts instead (:func:`_select`).
_ENDS_SQL = """, ends AS (
    SELECT s.question_code, w.forecaster_code, f.probability, s.outcome, f.made_on, f.made_at,
           f.seq, s.resolved_on, s.reference_probability, {late} AS late
    FROM (SELECT question_no, forecaster_no, {end}_seq AS seq, {end}_made_on AS made_on,
                 {end}_made_at AS made_at, {end}_recorded_at AS recorded_at,
                 {end}_probability AS probability FROM pairs) f
    JOIN scope s USING (question_no) JOIN who w USING (forecaster_no)
)"""


def _scope_sql(filters: dict[str, str]) -> str:
    """The ``scope`` (questions that can be scored) and ``who`` (forecasters) CTEs."""
    return _SCOPE_SQL.format(scored=", ".join(f"'{o}'" for o in rules.SCORED_OUTCOMES),
                             current_resolution=CURRENT_RESOLUTION_SQL,
                             current_question=CURRENT_QUESTION_SQL, **filters)


def _rows_cte(fixes: bool, only: str = "") -> str:
    """The ``f`` CTE: every forecast on an in-scope question that is not late (and, with
    ``only``, a further condition); in a ledger with ``fixes``, not withdrawn either, and a
    merged duplicate's counted on the kept question (:func:`ledger.rules.counted_forecasts_sql`).
    """
    return _ROWS_SQL.format(late=late_sql("f", "s"), only=only,
                            forecasts=rules.counted_forecasts_from(fixes))


def _ends_cte(mode: str) -> str:
    """The ``ends`` CTE: each in-scope pair's last (final) or first forecast, and whether it
    is late."""
    return _ENDS_SQL.format(late=late_sql("f", "s"), end="last" if mode == "final" else "first")


_DAYS = order.DAYS
_CORE = ("question_code", "forecaster_code", "probability", "outcome")
#: Time-averaged mode's per-question columns, by question code, when not fetched per row.
_PER_QUESTION_ROWS = (f"\nSELECT CAST(outcome AS TINYINT) AS outcome, "
                      f"{_DAYS.format('resolved_on')} AS resolved_on, reference_probability "
                      "FROM scope ORDER BY question_code")


def _rows_sql(con: Any, mode: str, need: set[str]) -> tuple[str, list[str]]:
    """The SELECT (after _SCOPE_SQL and _ROWS_SQL) of the rows that count, in _ORDER, and
    its columns. Only the columns in ``need`` beyond the core are selected."""
    days = _DAYS.format
    cols = ["question_code", "forecaster_code", "probability", "outcome"]
    if mode == "time-averaged":
        # Every forecast in order; which ones stand, and for how long, is worked out in numpy
        # from neighbouring rows (:func:`_segments`), which spares DuckDB a window's sort.
        # What is the question's (outcome, resolution day, reference) is fetched per question
        # instead when a report needs the reference (:data:`_PER_QUESTION_ROWS`): the sort of
        # every forecast then carries 13 bytes a row less.
        extra = [f"{days('made_on')} AS made_on"]
        if "reference_probability" in need:
            cols = ["question_code", "forecaster_code", "probability", "made_on"]
        else:
            extra.append(f"{days('resolved_on')} AS resolved_on")
            cols += ["made_on", "resolved_on"]
        for name in ("made_at", "seq"):
            if name in need:
                extra.append(name)
                cols.append(name)
        sql = (f"\nSELECT {', '.join(c for c in cols if c in _CORE)}, "
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


def _picked(con: Any, mode: str, need: set[str], scope: str, params: dict[str, Any]
            ) -> tuple[dict[str, np.ndarray], list[str]]:
    """Final and first mode's rows, one per pair, in ``question_code, forecaster_code``
    order, and their columns: from the pairs table, except for pairs whose end is late,
    which are picked from their forecasts as :func:`_rows_sql` picks."""
    days = _DAYS.format
    _sql, cols = _rows_sql(con, mode, need)
    shown = {"made_on": f"{days('made_on')} AS made_on",
             "resolved_on": f"{days('resolved_on')} AS resolved_on"}
    raw = con.execute(f"{scope}{_ends_cte(mode)}\nSELECT {', '.join(shown.get(c, c) for c in cols)}"
                      ", late FROM ends ORDER BY question_code, forecaster_code",
                      params).fetchnumpy()
    late = _filled(raw.pop("late"), False).astype(bool)
    if not late.any():
        return raw, cols
    qcode = _filled(raw["question_code"], 0).astype(np.int64)
    fcode = _filled(raw["forecaster_code"], 0).astype(np.int64)
    late_keys = (qcode[late] << 32) | fcode[late]
    sql, _ = _rows_sql(con, mode, need)
    slow = con.execute(scope + _rows_cte(False, "\n      AND s.question_code IN "
                                                "(SELECT unnest($late_q))")
                       + sql, {**params, "late_q": np.unique(qcode[late]).tolist()}
                       ).fetchnumpy()
    skeys = (_filled(slow["question_code"], 0).astype(np.int64) << 32) | _filled(
        slow["forecaster_code"], 0).astype(np.int64)
    took = np.isin(skeys, late_keys)
    keys = np.concatenate([((qcode << 32) | fcode)[~late], skeys[took]])
    at = np.argsort(keys, kind="stable")
    out = {}
    for c in cols:
        joined = np.ma.concatenate([np.ma.asarray(raw[c])[~late], np.ma.asarray(slow[c])[took]])
        out[c] = joined[at]
    return out, cols


def _segments(q: np.ndarray, f: np.ndarray, made_on: np.ndarray, resolved_on: np.ndarray
              ) -> np.ndarray | None:
    """Which of the non-late forecasts, in ``_ORDER``, stand in time-averaged mode.

    Of several forecasts a forecaster made on a question the same day only the last stands
    (from that day on); the others stand for no day and are dropped, as the window SQL of the
    test oracle (tests/oracles.py) drops them with ``until_on > made_on``. Returns the rows
    that stand, or None when all do.
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
    first forecast through the resolution day: what the window of the test oracle's
    time-averaged ``seg`` (tests/oracles.py) computes, from neighbouring rows, not a sort.
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
    scope = _scope_sql(filters)
    fixes = con.execute(rules.HAS_FIXES_SQL).fetchall()[0][0]
    if mode == "time-averaged" or fixes:
        sql, cols = _rows_sql(con, mode, need)
        raw = con.execute(scope + _rows_cte(fixes) + sql, params).fetchnumpy()
        if "outcome" not in raw:
            per_q = con.execute(scope + _PER_QUESTION_ROWS, params).fetchnumpy()
            at = _filled(raw["question_code"], 0)
            for c in ("outcome", "resolved_on", "reference_probability"):
                raw[c] = _filled(per_q[c], np.nan if c == "reference_probability" else 0)[at]
            cols += ["outcome", "resolved_on", "reference_probability"]
    else:
        raw, cols = _picked(con, mode, need, scope, params)
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

