"""Read-side queries shared by the CLI and the dashboard: lists, question detail, status.

Status of a question: ``resolved`` (yes/no), ``ambiguous``, ``annulled``, ``overdue`` (unresolved
and today is after ``resolve_by``, in the user's zone) or ``open``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ledger.errors import InvalidValue, UnknownQuestion

STATUSES = ("open", "overdue", "resolved", "ambiguous", "annulled")

_STATUS_SQL = """CASE
    WHEN r.outcome IN ('yes', 'no') THEN 'resolved'
    WHEN r.outcome IS NOT NULL THEN r.outcome
    WHEN q.resolve_by < $today THEN 'overdue'
    ELSE 'open' END"""


def rows(con: Any, sql: str, params: list | dict | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def list_questions(con: Any, *, status: str | None = None, due_within: int | None = None,
                   tag: str | None = None, forecaster: str | None = None,
                   source: str | None = None, today: date | None = None,
                   viewer: str | None = None) -> list[dict[str, Any]]:
    """Questions with status, days left, source and each forecaster's latest probability.

    Sorted by resolve-by date. ``due_within`` keeps unresolved questions due within that many
    days (overdue ones included). ``viewer`` hides others' probabilities on blind questions the
    viewer has not forecast yet.
    """
    from ledger.dates import today as local_today

    if status is not None and status not in STATUSES:
        raise InvalidValue(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    params: dict[str, Any] = {"today": today or local_today()}
    where = ["TRUE"]
    if status:
        where.append("status = $status")
        params["status"] = status
    if due_within is not None:
        where.append("status IN ('open', 'overdue') AND days_left <= $due")
        params["due"] = due_within
    if tag:
        where.append("list_contains(tags, $tag)")
        params["tag"] = tag
    if source:
        where.append("source_id = $source")
        params["source"] = source
    if forecaster:
        where.append("id IN (SELECT question_id FROM forecasts WHERE forecaster = $forecaster)")
        params["forecaster"] = forecaster
    params["viewer"] = viewer
    sql = f"""
    WITH base AS (
        SELECT q.id, q.question, q.criteria, q.resolve_by, q.opened, q.tags, q.source_id,
               q.blind, q.version, q.edited_after_forecast,
               s.title AS source_title, s.publisher AS source_publisher,
               r.outcome, r.resolved_on, r.evidence,
               {_STATUS_SQL} AS status,
               datediff('day', $today::DATE, q.resolve_by) AS days_left
        FROM current_questions q
        LEFT JOIN current_resolutions r ON r.question_id = q.id
        LEFT JOIN (SELECT * FROM sources
                   QUALIFY row_number() OVER (PARTITION BY id ORDER BY seq) = 1) s
               ON s.id = q.source_id
    ),
    latest AS (
        SELECT question_id,
               list({{'forecaster': forecaster, 'probability': probability,
                     'made_on': made_on, 'late': late}} ORDER BY forecaster) AS latest
        FROM latest_forecasts GROUP BY question_id
    ),
    seen AS (
        SELECT DISTINCT question_id FROM forecasts WHERE forecaster = $viewer
    )
    SELECT base.*, coalesce(latest.latest, []) AS forecasts,
           base.blind AND $viewer IS NOT NULL AND seen.question_id IS NULL AS hidden
    FROM base
    LEFT JOIN latest ON latest.question_id = base.id
    LEFT JOIN seen ON seen.question_id = base.id
    WHERE {' AND '.join(where)}
    ORDER BY resolve_by, id
    """
    out = rows(con, sql, params)
    for row in out:
        if row["hidden"]:
            row["forecasts"] = [f for f in row["forecasts"] if f["forecaster"] == viewer]
    return out


def question_detail(con: Any, qid: str, *, viewer: str | None = None,
                    today: date | None = None) -> dict[str, Any]:
    """Everything about one question: versions, source, forecasts, resolutions, entries."""
    found = list_questions(con, today=today, viewer=viewer)
    current = next((q for q in found if q["id"] == qid), None)
    if current is None:
        raise UnknownQuestion(f"no question {qid!r}", "see `forecast-ledger list` for ids")
    versions = rows(con, "SELECT * FROM questions WHERE id = $1 ORDER BY version", [qid])
    source = rows(con, "SELECT * FROM sources WHERE id = $1 ORDER BY seq LIMIT 1",
                  [current["source_id"]]) if current["source_id"] else []
    forecasts = rows(con, "SELECT * FROM forecasts_flagged WHERE question_id = $1 "
                          "ORDER BY made_at, seq", [qid])
    if current["hidden"]:
        forecasts = [f for f in forecasts if f["forecaster"] == viewer]
    resolutions = rows(con, "SELECT * FROM resolutions WHERE question_id = $1 ORDER BY seq", [qid])
    # Each entry with the hash of the block holding it (its own, unless bulk-imported).
    entries = rows(con, "SELECT e.seq, e.kind, e.recorded_at, b.hash FROM entries e "
                        "ASOF JOIN blocks b ON e.seq >= b.first_seq WHERE e.subject = $1 "
                        "ORDER BY e.seq", [qid])
    return {**current, "quote": versions[-1]["quote"], "horizon": versions[-1]["horizon"],
            "resolve_by_rule": versions[-1]["resolve_by_rule"],
            "reference_probability": versions[-1]["reference_probability"],
            "reference_note": versions[-1]["reference_note"],
            "versions": versions, "source": source[0] if source else None,
            "forecast_history": forecasts, "resolution_history": resolutions,
            "entries": entries}


def counts(con: Any, today: date | None = None, due_days: int = 30) -> dict[str, int]:
    """How many questions are in each status, and how many are due within ``due_days``."""
    qs = list_questions(con, today=today)
    out = {s: 0 for s in STATUSES}
    for q in qs:
        out[q["status"]] += 1
    out["due_soon"] = sum(1 for q in qs if q["status"] == "open" and q["days_left"] <= due_days)
    out["total"] = len(qs)
    return out


def latest_seq(con: Any) -> int:
    """The newest entry's number: a cache key that changes with every write."""
    return con.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchall()[0][0]
