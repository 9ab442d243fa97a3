"""Test oracles for the scoring layer: the same numbers reached a second, slower way.

Not part of the library (nothing in ``ledger/`` reads them):

* :func:`base_sql` selects the scored rows over the schema's views (``current_resolutions``,
  ``current_questions``, ``forecasts_flagged``) with a window per pair, where
  :mod:`ledger.scoring.selection` uses aggregates over the typed tables;
* :func:`score_sql` computes the Brier and log scores from those rows as pure SQL
  aggregates, where :mod:`ledger.scoring.report` uses numpy;
* :data:`LATEST_FORECASTS_SQL` is each forecaster's latest forecast on each question (late
  flag included), as a CTE body for tests that compare a faster reader with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.scoring.grouping import GROUPINGS, HORIZONS, NO_SOURCE, NO_TAG
from ledger.scoring.metrics import LOG_EPS
from ledger.scoring.selection import MODES, _choice, _filters

#: Each (question, forecaster)'s latest forecast, by made_on, made_at, then entry number, with
#: the forecasts_flagged view's columns; use as ``WITH latest_forecasts AS (...)``.
LATEST_FORECASTS_SQL = """SELECT * FROM forecasts_flagged
QUALIFY row_number() OVER (PARTITION BY question_id, forecaster
                           ORDER BY made_on DESC, made_at DESC, seq DESC) = 1"""

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



def base_sql(mode: str, filters: dict[str, str]) -> str:
    """The ``scope``, ``who``, ``f`` and ``scored`` CTEs of ``mode`` over the views."""
    return _BASE_SQL.format(**filters) + _MODE_SQL[_choice("mode", mode, MODES)]


def score_sql(con: Any, *, by: str | None = None, mode: str = "final",
              forecaster: str | Sequence[str] | None = None, tag: str | None = None,
              source: str | None = None, since: Any = None, until: Any = None,
              eps: float = LOG_EPS) -> dict[str, Any]:
    """The Brier and log scores of ``score_report``, computed as pure SQL aggregates.

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
    base = base_sql(mode, filters)

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

