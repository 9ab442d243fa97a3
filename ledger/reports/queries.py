"""Read-side queries shared by the CLI and the dashboard: lists, question detail, status.

Status of a question: ``resolved`` (yes/no), ``ambiguous``, ``annulled``, ``overdue`` (unresolved
and today is after ``resolve_by``, in the user's zone) or ``open``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from ledger import rules
from ledger.errors import InvalidValue
from ledger.rules import STATUSES
from ledger.storage import order

__all__ = ["STATUSES", "counts", "list_questions", "question_columns", "question_detail",
           "question_titles", "rows"]

_STATUS_SQL = rules.status_sql("r.outcome", "q.resolve_by", "$today")


def rows(con: Any, sql: str, params: list | dict | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


# Current questions (latest version) with their current resolution, first source row,
# status and days left: what every list filters on. Read from the typed tables rather than
# the current_questions view, whose edited_after_forecast EXISTS scans every forecast; that
# flag comes from each pair's first recording, read with the pairs below.
_BASE_SQL = f"""
    SELECT q.id, q.question, q.criteria, q.resolve_by, q.opened, q.tags, q.source_id,
           q.blind, q.version, q.recorded_at,
           s.title AS source_title, s.publisher AS source_publisher,
           r.outcome, r.resolved_on, r.evidence, r.first_seq, r.first_recorded_at,
           {_STATUS_SQL} AS status,
           datediff('day', $today::DATE, q.resolve_by) AS days_left
    FROM ({rules.current_questions_sql()}) q
    LEFT JOIN current_resolutions r ON r.question_id = q.id
    LEFT JOIN (SELECT id, title, publisher FROM sources
               QUALIFY row_number() OVER (PARTITION BY id ORDER BY seq) = 1) s
           ON s.id = q.source_id
    -- a merged duplicate leaves every list: its id resolves to the question kept
    WHERE q.id NOT IN (SELECT duplicate_id FROM merges)"""

# Each (question, forecaster) pair's latest forecast (by ledger.storage.order's key) and the pair's
# first recording (for edited_after_forecast), by forecaster name. A flat aggregate instead of
# the window of latest_forecasts (about 3x faster on 1M forecasts), and flat rows rather than
# a list of structs per question: an ordered list() aggregate and nested values cost DuckDB and its
# conversion to Python more than these rows do.
_PAIRS_SQL = """
SELECT question_id, forecaster, arg_max(probability, k) AS probability,
       arg_max(made_on, k) AS made_on, arg_max(recorded_at, k) AS recorded_at,
       arg_max(seq, k) AS seq, min(recorded_at) AS first_recorded_at
FROM (SELECT question_id, forecaster, probability, made_on, recorded_at, seq, {key} AS k
      FROM {forecasts}{where})
GROUP BY question_id, forecaster
ORDER BY forecaster"""


def counted_forecasts(con: Any) -> str:
    """What to read forecasts from (:func:`ledger.rules.counted_forecasts_from`)."""
    return rules.counted_forecasts_from(con.execute(rules.HAS_FIXES_SQL).fetchall()[0][0])


def _where(con: Any, *, status: str | Sequence[str] | None, due_within: int | None,
           tag: str | None, forecaster: str | None, source: str | None,
           ids: Sequence[str] | None, today: date | None) -> tuple[list[str], dict[str, Any]]:
    """The conditions (on :data:`_BASE_SQL`'s rows) and parameters of :func:`list_questions`'s
    filters."""
    from ledger.format.dates import today as local_today

    wanted = (status,) if isinstance(status, str) else tuple(status or ())
    for s in wanted:
        if s not in STATUSES:
            raise InvalidValue(f"status: {s!r} is not one of {', '.join(STATUSES)}")
    params: dict[str, Any] = {"today": today or local_today()}
    where = []
    if wanted:
        where.append("status IN (SELECT unnest($statuses))")
        params["statuses"] = list(wanted)
    if due_within is not None:
        where.append("status IN ('open', 'overdue') AND days_left <= $due")
        params["due"] = due_within
    if tag:
        where.append("list_contains(tags, $tag)")
        params["tag"] = tag
    if source:
        where.append("source_id = $source")
        params["source"] = source
    if ids is not None:
        where.append("id IN (SELECT unnest($ids))")
        params["ids"] = list(ids)
    if forecaster:
        where.append(f"id IN (SELECT question_id FROM {counted_forecasts(con)} "
                     "WHERE forecaster = $forecaster)")
        params["forecaster"] = forecaster
    return where, params


def question_columns(con: Any, columns: Sequence[str], *,
                     status: str | Sequence[str] | None = None, tag: str | None = None,
                     forecaster: str | None = None, source: str | None = None,
                     today: date | None = None) -> dict[str, Any]:
    """The questions :func:`list_questions` lists with the same filters, as numpy arrays of
    ``columns`` (of :data:`_BASE_SQL`: ``id``, ``question``, ``status``, ...), without their
    forecasts: for a table of every resolved question, where a dict per question and the
    latest forecast of every pair would cost seconds."""
    where, params = _where(con, status=status, due_within=None, tag=tag,
                           forecaster=forecaster, source=source, ids=None, today=today)
    return con.execute(f"SELECT {', '.join(columns)} FROM ({_BASE_SQL}) "
                       f"WHERE {' AND '.join(where) or 'TRUE'} ORDER BY resolve_by, id",
                       params).fetchnumpy()


def list_questions(con: Any, *, status: str | Sequence[str] | None = None,
                   due_within: int | None = None, tag: str | None = None,
                   forecaster: str | None = None, source: str | None = None,
                   ids: Sequence[str] | None = None, limit: int | None = None,
                   today: date | None = None, viewer: str | None = None
                   ) -> list[dict[str, Any]]:
    """Questions with status, days left, source and each forecaster's latest probability.

    Sorted by resolve-by date. ``status`` keeps one status or any of several; ``due_within``
    keeps unresolved questions due within that many days (overdue ones included); ``ids``
    keeps those questions; ``limit`` the first that many. Others' probabilities on blind
    questions the ``viewer`` has not forecast yet are hidden (:func:`ledger.rules.hidden_from`;
    with no viewer, everyone's are).
    """
    where, params = _where(con, status=status, due_within=due_within, tag=tag,
                           forecaster=forecaster, source=source, ids=ids, today=today)
    sql = f"SELECT * FROM ({_BASE_SQL}) WHERE {' AND '.join(where) or 'TRUE'} " \
          "ORDER BY resolve_by, id"
    if limit is not None:
        sql += " LIMIT $limit"
        params["limit"] = int(limit)
    out = rows(con, sql, params)
    chosen = {q["id"]: q for q in out}
    for q in out:
        q["forecasts"] = []
    # Every question's forecasts when none was left out, else only the chosen ones'.
    key = order.key_for(con)["key"]
    source = counted_forecasts(con)
    # (before the pairs' query: a query on the connection drops the result of the one before)
    changed_at = dict(con.execute(rules.meaning_changes_sql()).fetchall())
    if where or limit is not None:
        pair_rows = con.execute(_PAIRS_SQL.format(
            key=key, forecasts=source, where=" WHERE question_id IN (SELECT unnest($ids))"),
            {"ids": list(chosen)})
    else:
        pair_rows = con.execute(_PAIRS_SQL.format(key=key, forecasts=source, where=""))
    first_forecast: dict[str, Any] = {}
    is_late = rules.is_late
    for qid, who, p, made_on, recorded_at, seq, first in pair_rows.fetchall():
        q = chosen.get(qid)
        if q is None:  # a forecast on a question with no question row: nothing to list
            continue
        late = is_late(seq=seq, recorded_at=recorded_at, made_on=made_on,
                       first_resolution_seq=q["first_seq"],
                       first_resolution_recorded_at=q["first_recorded_at"],
                       resolved_on=q["resolved_on"])
        q["forecasts"].append({"forecaster": who, "probability": p, "made_on": made_on,
                               "late": late})
        if qid not in first_forecast or first < first_forecast[qid]:
            first_forecast[qid] = first
    for q in out:
        # A version that changed what the question asks (ledger.rules.changes_meaning: not a
        # clarification) recorded after a forecast was: that forecast answers an older text.
        first, changed = first_forecast.get(q["id"]), changed_at.get(q["id"])
        q["edited_after_forecast"] = (changed is not None and first is not None
                                      and first < changed)
        q["forecasts"], q["hidden"] = rules.visible_forecasts(q["forecasts"], bool(q["blind"]),
                                                              viewer)
        del q["recorded_at"], q["first_recorded_at"], q["first_seq"]
    return [_in_order(q) for q in out]


_LIST_KEYS = ("id", "question", "criteria", "resolve_by", "opened", "tags", "source_id", "blind",
              "version", "edited_after_forecast", "source_title", "source_publisher", "outcome",
              "resolved_on", "evidence", "status", "days_left", "forecasts", "hidden")


def _in_order(q: dict[str, Any]) -> dict[str, Any]:
    """The row with its keys in the documented order (the order ``--json`` prints)."""
    return {k: q[k] for k in _LIST_KEYS}


def question_detail(con: Any, qid: str, *, viewer: str | None = None,
                    today: date | None = None) -> dict[str, Any]:
    """Everything about one question: versions, source, forecasts, resolutions, entries, and
    the fixes (withdrawals, merged duplicates, edits that changed what it asks, moved
    goalposts). A merged duplicate's id shows the question kept (``requested_id`` is the id
    asked for); an unknown id is refused with the nearest ones
    (:func:`ledger.ingest.lookup.find_question`)."""
    from ledger.ingest.lookup import duplicates_of, find_question

    kept = find_question(con, qid)
    found = list_questions(con, ids=[kept], today=today, viewer=viewer)
    current = found[0]
    dups = duplicates_of(con, kept)
    ids = [kept, *dups]
    # The typed tables' numbers are the ledger's own bookkeeping, not the question's.
    versions = rows(con, "SELECT * EXCLUDE (question_no) FROM questions WHERE id = $1 "
                         "ORDER BY version", [kept])
    for before, v in zip([None, *versions], versions, strict=False):
        v["changes_meaning"] = rules.changes_meaning(before, v)
    source = rows(con, "SELECT * FROM sources WHERE id = $1 ORDER BY seq LIMIT 1",
                  [current["source_id"]]) if current["source_id"] else []
    # Every forecast logged on the question or a duplicate merged into it; late by the kept
    # question's resolution (ledger.rules.late_sql), withdrawn ones flagged.
    forecasts = rows(con, f"""
        SELECT f.* EXCLUDE (question_no, forecaster_no), {rules.late_sql("f", "r")} AS late,
               {rules.withdrawn_sql("f")} AS withdrawn, f.question_id AS logged_on
        FROM forecasts f LEFT JOIN current_resolutions r ON r.question_id = $kept
        WHERE f.question_id IN (SELECT unnest($ids)) ORDER BY f.made_at, f.seq""",
                     {"kept": kept, "ids": ids})
    changed_at = rules.meaning_changed_at(versions)
    for f in forecasts:
        f["question_id"] = kept
        f["older_text"] = changed_at is not None and f["recorded_at"] < changed_at
    first_at = min((f["recorded_at"] for f in forecasts), default=None)
    if current["hidden"]:
        forecasts, _ = rules.visible_forecasts(forecasts, True, viewer)
    resolutions = rows(con, "SELECT * EXCLUDE (question_no) FROM resolutions "
                            "WHERE question_id = $1 ORDER BY seq", [kept])
    withdrawals = rows(con, "SELECT * FROM withdrawals WHERE question_id IN "
                            "(SELECT unnest($1)) ORDER BY seq", [ids])
    if current["hidden"]:
        withdrawals, _ = rules.visible_forecasts(withdrawals, True, viewer)
    merged = rows(con, "SELECT seq, recorded_at, duplicate_id, kept_id, reason FROM merges "
                       "WHERE duplicate_id IN (SELECT unnest($1)) ORDER BY seq", [dups])
    # Each entry with the hash of the block holding it (its own, unless bulk-imported). The
    # question's entries are chosen before the ASOF join, which would otherwise join every
    # entry of the ledger first (1 s at 10M entries, against 10 ms).
    entries = rows(con, "SELECT e.seq, e.kind, e.subject, e.recorded_at, e.logged_at, b.hash "
                        "FROM (SELECT seq, kind, subject, recorded_at, logged_at FROM entries "
                        "      WHERE subject IN (SELECT unnest($1))) e "
                        "ASOF JOIN (SELECT first_seq, hash FROM blocks) b "
                        "ON e.seq >= b.first_seq ORDER BY e.seq", [ids])
    return {**current, "requested_id": qid, "quote": versions[-1]["quote"],
            "horizon": versions[-1]["horizon"],
            "resolve_by_rule": versions[-1]["resolve_by_rule"],
            "reference_probability": versions[-1]["reference_probability"],
            "reference_note": versions[-1]["reference_note"],
            "versions": versions, "source": source[0] if source else None,
            "forecast_history": forecasts, "resolution_history": resolutions,
            "withdrawals": withdrawals, "merged": merged,
            "moved_goalposts": rules.moved_goalposts(versions, first_at),
            "entries": entries}


def counts(con: Any, today: date | None = None, due_days: int = 30) -> dict[str, int]:
    """How many questions are in each status, and how many are due within ``due_days``."""
    from ledger.format.dates import today as local_today

    found = con.execute(f"""
        SELECT status, count(*), count(*) FILTER (WHERE status = 'open' AND days_left <= $due)
        FROM ({_BASE_SQL}) GROUP BY status""",
                        {"today": today or local_today(), "due": due_days}).fetchall()
    out = {s: 0 for s in STATUSES}
    for status, n, _ in found:
        out[status] = n
    out["due_soon"] = sum(due for _, _, due in found)
    out["total"] = sum(n for _, n, _ in found)
    return out


def question_titles(con: Any, *, status: Sequence[str] | None = None, limit: int | None = None,
                    today: date | None = None, columns: Sequence[str] | None = None
                    ) -> list[Any]:
    """``id``, ``question``, ``status``, ``resolve_by`` and ``days_left`` of the current
    questions (optionally only those in ``status``, the first ``limit``), by resolve-by date:
    :func:`list_questions` without reading any forecast, for pickers and timelines. With
    ``columns``, tuples of just those columns instead of dicts (a picker of every question)."""
    from ledger.format.dates import today as local_today

    params: dict[str, Any] = {"today": today or local_today()}
    shown = ", ".join(columns or ("id", "question", "status", "resolve_by", "days_left"))
    sql = f"SELECT {shown} FROM ({_BASE_SQL})"
    if status is not None:
        sql += " WHERE status IN (SELECT unnest($statuses))"
        params["statuses"] = list(status)
    sql += " ORDER BY resolve_by, id"
    if limit is not None:
        sql += " LIMIT $limit"
        params["limit"] = int(limit)
    if columns is not None:
        return con.execute(sql, params).fetchall()
    return rows(con, sql, params)


def latest_seq(con: Any) -> int:
    """The newest entry's number: a cache key that changes with every write."""
    return con.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchall()[0][0]
