"""What the store derives from the log and keeps beside it (schema 3): the integer numbers of
questions and forecasters, and each (question, forecaster) pair's first and last forecast.

Written by :func:`ledger.storage.store.append` in the log's transaction; ``verify`` recomputes
them from the typed tables by the same definitions (:data:`NUMBERS_SQL`, :func:`pairs_sql`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from ledger.storage import schema


def typed_columns(table: str) -> list[str]:
    """A typed table's columns in order: envelope, body, numbers."""
    return ["seq", "recorded_at", *schema.COLUMNS[table], *schema.NUMBERS[table]]


def number_joins(table: str, alias: str) -> str:
    """LEFT JOINs that find the numbers of rows of ``table`` (aliased ``alias``)."""
    out = ""
    if schema.NUMBERS[table]:
        key = "id" if table == "questions" else "question_id"
        out += (f" LEFT JOIN question_numbers qn ON qn.question_id = {alias}.{key}")
    if "forecaster_no" in schema.NUMBERS[table]:
        out += f" LEFT JOIN forecaster_numbers fn ON fn.forecaster = {alias}.forecaster"
    return out


def number_values(table: str, alias: str) -> str:
    """``, `` and the number columns of :func:`number_joins`, in :data:`schema.NUMBERS`
    order, to follow a SELECT list ("" for a table without numbers)."""
    found = {"question_no": "qn.question_no", "forecaster_no": "fn.forecaster_no"}
    return "".join(f", {found[c]} AS {c}" for c in schema.NUMBERS[table])


def extend_numbers(con: duckdb.DuckDBPyConnection, questions: str | None,
                   forecasters: str | None, params: dict[str, Any] | None = None) -> None:
    """Number the question ids and forecasters seen for the first time, after those numbered
    already, in the order of their first entry: so a question's number is its rank by its
    first version's entry, and a forecaster's by their first forecast's, which ``verify``
    recomputes (:data:`NUMBERS_SQL`). ``questions`` and ``forecasters`` are queries of
    ``(id or name, seq)`` rows (None: none new)."""
    for table, key, no, source in (("question_numbers", "question_id", "question_no", questions),
                                   ("forecaster_numbers", "forecaster", "forecaster_no",
                                    forecasters)):
        if source is None:
            continue
        used = {k: v for k, v in (params or {}).items() if f"${k}" in source}
        con.execute(f"""INSERT INTO {table}
            SELECT k, CAST((SELECT coalesce(max({no}), -1) FROM {table})
                           + row_number() OVER (ORDER BY s) AS INTEGER)
            FROM (SELECT k, min(s) AS s FROM ({source}) n(k, s)
                  WHERE k IS NOT NULL AND k NOT IN (SELECT {key} FROM {table}) GROUP BY k)""",
                    used)


#: Every number as the log defines it, for ``verify``: ``(key, number)`` rows.
NUMBERS_SQL = {
    "question_numbers": """SELECT id, CAST(row_number() OVER (ORDER BY min(seq)) - 1 AS INTEGER)
        FROM questions GROUP BY id""",
    "forecaster_numbers": """SELECT forecaster,
        CAST(row_number() OVER (ORDER BY min(seq)) - 1 AS INTEGER)
        FROM forecasts GROUP BY forecaster""",
}


def pairs_sql(con: duckdb.DuckDBPyConnection, where: str = "true") -> str:
    """Each (question, forecaster) pair's count and first and last forecast, with ``entry``
    (its first forecast's seq, which numbers the pairs), from the forecasts that ``where``
    keeps: the one definition of the pairs table, which ``refresh_pairs`` writes and
    ``verify`` recomputes."""
    from ledger.storage.order import key_for

    key = key_for(con)["key"]
    fields = ", ".join(f"'{k}': {k}" for k in schema.PAIR_END)
    ends = ", ".join(f"e.{end}.{k} AS {end}_{k}" for end in ("first", "last")
                     for k in schema.PAIR_END)
    return f"""SELECT e.question_no, e.forecaster_no, e.forecasts, e.entry, {ends} FROM (
        SELECT question_no, forecaster_no, CAST(count(*) AS INTEGER) AS forecasts,
               min(seq) AS entry,
               arg_min({{{fields}}}, {key}) AS first, arg_max({{{fields}}}, {key}) AS last
        FROM forecasts WHERE question_no IS NOT NULL AND forecaster_no IS NOT NULL
          AND ({where})
        GROUP BY question_no, forecaster_no) e"""


def _pair_cols(prefix: str = "") -> str:
    """The pairs table's columns after its key and number."""
    return ", ".join(f"{prefix}{c}" for c in list(schema.PAIR_COLUMNS)[3:])


def refresh_pairs(con: duckdb.DuckDBPyConnection, *, since_seq: int | None = None,
                  question_nos: Sequence[int] | None = None) -> None:
    """Recompute the pairs of some questions from their forecasts: those with a forecast
    after entry ``since_seq``, or those numbered ``question_nos``. Call inside the
    transaction that changed them.

    A pair keeps its ``pair_no``; a new one is numbered after every other, in the order of its
    first entry. Recomputed, not extended, so a change that makes an earlier forecast stand
    again (a withdrawal; a merge moving forecasts between questions) calls this with the
    questions it touched, after writing its typed rows.
    """
    if question_nos is not None:
        chosen, params = "SELECT unnest($qs)", {"qs": list(question_nos)}
    else:
        chosen, params = ("SELECT DISTINCT question_no FROM forecasts WHERE seq > $since",
                          {"since": since_seq or 0})
    pairs = f"""WITH chosen AS ({chosen}), a AS ({pairs_sql(con, "question_no IN (FROM chosen)")})
        SELECT a.question_no, a.forecaster_no,
               coalesce(p.pair_no, CAST((SELECT coalesce(max(pair_no), -1) FROM pairs)
                   + row_number() OVER (PARTITION BY p.pair_no IS NULL ORDER BY a.entry)
                   AS INTEGER)) AS pair_no, {_pair_cols('a.')}
        FROM a LEFT JOIN pairs p USING (question_no, forecaster_no)"""
    columns = ", ".join(schema.PAIR_COLUMNS)
    if not con.execute("SELECT EXISTS (FROM pairs)").fetchall()[0][0]:
        # Nothing to replace (a first import): written straight, without a copy aside.
        con.execute(f"INSERT INTO pairs SELECT {columns} FROM ({pairs})", params)
        return
    con.execute("DROP TABLE IF EXISTS temp.pairs_new")
    con.execute(f"CREATE TEMP TABLE pairs_new AS {pairs}", params)
    con.execute(f"DELETE FROM pairs WHERE question_no IN ({chosen})", params)
    con.execute(f"INSERT INTO pairs SELECT {columns} FROM pairs_new")
    con.execute("DROP TABLE temp.pairs_new")




def renumber(con: duckdb.DuckDBPyConnection) -> None:
    """Number every question and forecaster, and compute every pair, afresh from the typed
    tables (as :data:`NUMBERS_SQL` and :func:`pairs_sql` define them): for an upgrade, and for
    a replica given entries older than its head (a blind question's forecasts, revealed),
    whose numbers appending would give out of their entries' order. Call inside a
    transaction."""
    con.execute("DELETE FROM pairs")
    for table, sql in NUMBERS_SQL.items():
        con.execute(f"DELETE FROM {table}")
        con.execute(f"INSERT INTO {table} {sql}")
    for table, numbers in schema.NUMBERS.items():
        if numbers:
            key = "id" if table == "questions" else "question_id"
            sets = ["question_no = qn.question_no"]
            joins = f"FROM question_numbers qn WHERE qn.question_id = {table}.{key}"
            if "forecaster_no" in numbers:
                sets.append("forecaster_no = fn.forecaster_no")
                joins = (f"FROM question_numbers qn, forecaster_numbers fn "
                         f"WHERE qn.question_id = {table}.{key} "
                         f"AND fn.forecaster = {table}.forecaster")
            con.execute(f"UPDATE {table} SET {', '.join(sets)} {joins}")
    refresh_pairs(con, since_seq=0)
