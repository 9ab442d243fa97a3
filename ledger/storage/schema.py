"""The ledger's DuckDB schema: one append-only log and typed tables written with it.

``entries`` is the log: each row holds the JSON ``body`` of one change. ``blocks`` chains it:
each block is a run of consecutive entries with the SHA-256 of their bodies (``content``) and
a ``hash`` over the previous block's hash, its range and that content (see
:func:`ledger.storage.store.link_hash`),
so history cannot be rewritten unseen. Entries appended a few
at a time get a block each; a bulk import seals blocks of thousands.
The typed tables (``sources``, ``questions``, ``forecasts``, ``resolutions``) hold the same
facts in columns for fast queries; they are written in the same transaction as the log and
``verify`` checks that they still equal it. Nothing is ever updated or deleted: current state
comes from the views below.

Schema 3 adds what the readers of millions of forecasts need, all derived from the log and
checked against it by ``verify``: integer numbers for questions and forecasters
(``question_numbers``, ``forecaster_numbers``, and the ``question_no`` / ``forecaster_no``
columns of the typed tables), so scoring joins integers rather than text; and ``pairs``, each
(question, forecaster) pair's first and last forecast with a dense ``pair_no``, kept by the store
in the same transaction as the log (:func:`ledger.storage.derived.refresh_pairs`). Every entry
also carries the ledger's own clock, ``logged_at`` (naive UTC, the time of the append), in its
body and as a column: ``recorded_at`` is what a file may claim. Entries of a schema-2 ledger,
upgraded, have none (NULL: unknown).
"""

from __future__ import annotations

from ledger import rules

SCHEMA_VERSION = 3  # 1 chained every entry in its own row; 2 had no numbers, pairs or
# logged_at (both upgraded when first opened)

# column name -> DuckDB type, per typed table; every table also has seq and recorded_at.
# Body keys equal column names, which is what lets verify compare the two in SQL.
COLUMNS: dict[str, dict[str, str]] = {
    "sources": {
        "id": "VARCHAR", "title": "VARCHAR", "publisher": "VARCHAR", "author": "VARCHAR",
        "url": "VARCHAR", "published": "DATE",
    },
    "questions": {
        "id": "VARCHAR", "version": "INTEGER", "question": "VARCHAR", "criteria": "VARCHAR",
        "resolve_by": "DATE", "opened": "DATE", "tags": "VARCHAR[]", "source_id": "VARCHAR",
        "quote": "VARCHAR", "horizon": "VARCHAR", "resolve_by_rule": "VARCHAR",
        "reference_probability": "DOUBLE", "reference_note": "VARCHAR", "blind": "BOOLEAN",
        "edit_reason": "VARCHAR", "clarification": "BOOLEAN",
    },
    "forecasts": {
        "question_id": "VARCHAR", "forecaster": "VARCHAR", "probability": "DOUBLE",
        "made_at": "TIMESTAMP", "made_on": "DATE",
        "utc_offset": "INTEGER", "rationale": "VARCHAR", "basis": "VARCHAR",
        "implied_from": "VARCHAR",
    },
    "resolutions": {
        "question_id": "VARCHAR", "outcome": "VARCHAR", "resolved_on": "DATE",
        "evidence": "VARCHAR", "note": "VARCHAR", "resolved_by": "VARCHAR",
        "supersedes": "BIGINT", "reason": "VARCHAR",
    },
    # Fixes (ledger.rules): a forecast taken back by its forecaster, a duplicate question
    # merged into the one kept.
    "withdrawals": {
        "question_id": "VARCHAR", "forecaster": "VARCHAR", "forecast_seq": "BIGINT",
        "reason": "VARCHAR",
    },
    "merges": {
        "duplicate_id": "VARCHAR", "kept_id": "VARCHAR", "reason": "VARCHAR",
    },
}

# Columns derived from the log, not in the bodies (after the body columns, as an upgrade's
# ALTER TABLE adds them): the integer numbers of ``question_numbers`` and
# ``forecaster_numbers``.
NUMBERS: dict[str, dict[str, str]] = {
    "sources": {},
    "questions": {"question_no": "INTEGER"},
    "forecasts": {"question_no": "INTEGER", "forecaster_no": "INTEGER"},
    "resolutions": {"question_no": "INTEGER"},
    "withdrawals": {},  # readers find the forecast by its seq
    "merges": {},
}

#: Each (question, forecaster) pair's first and last forecast by the order of
#: :mod:`ledger.storage.order` (made_on, made_at, seq): what the final and first modes score,
#: and what the late rule needs to know of them. ``pair_no`` numbers pairs densely by their
#: first entry; ``forecasts`` counts the pair's forecasts.
PAIR_END = {"seq": "BIGINT", "made_on": "DATE", "made_at": "TIMESTAMP",
            "recorded_at": "TIMESTAMP", "probability": "DOUBLE"}
PAIR_COLUMNS: dict[str, str] = {
    "question_no": "INTEGER", "forecaster_no": "INTEGER", "pair_no": "INTEGER",
    "forecasts": "INTEGER",
    **{f"first_{k}": t for k, t in PAIR_END.items()},
    **{f"last_{k}": t for k, t in PAIR_END.items()},
}

# entry kind -> typed table
KIND_TABLE = {
    "source": "sources",
    "question": "questions",
    "forecast": "forecasts",
    "resolution": "resolutions",
    "withdrawal": "withdrawals",
    "merge": "merges",
}


def _table_ddl(table: str) -> str:
    cols = ",\n    ".join(f"{name} {typ}" for name, typ in
                           {**COLUMNS[table], **NUMBERS[table]}.items())
    return (
        f"CREATE TABLE IF NOT EXISTS {table} (\n    seq BIGINT NOT NULL,\n    "
        f"recorded_at TIMESTAMP NOT NULL,\n    {cols}\n)"
    )


DDL = [
    """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS entries (
    seq BIGINT NOT NULL,
    kind VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    body VARCHAR NOT NULL,
    logged_at TIMESTAMP
)""",
    """CREATE TABLE IF NOT EXISTS blocks (
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    content VARCHAR NOT NULL,
    hash VARCHAR NOT NULL
)""",
    *(_table_ddl(t) for t in COLUMNS),
    """CREATE TABLE IF NOT EXISTS question_numbers (
    question_id VARCHAR NOT NULL,
    question_no INTEGER NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS forecaster_numbers (
    forecaster VARCHAR NOT NULL,
    forecaster_no INTEGER NOT NULL
)""",
    "CREATE TABLE IF NOT EXISTS pairs (\n    " + ",\n    ".join(
        f"{c} {t}" for c, t in PAIR_COLUMNS.items()) + "\n)",
    # Current state, derived from the log.
    """CREATE OR REPLACE VIEW current_questions AS
SELECT q.*, first_version.recorded_at AS created_at,
       q.version > 1 AND EXISTS (
           SELECT 1 FROM forecasts f
           WHERE f.question_id = q.id AND f.recorded_at < q.recorded_at
       ) AS edited_after_forecast
FROM questions q
JOIN (SELECT id, max(version) AS version FROM questions GROUP BY id) latest USING (id, version)
JOIN (SELECT id, recorded_at FROM questions WHERE version = 1) first_version USING (id)""",
    # The current resolution (ledger.rules.RESOLUTION_ORDER) with the first one's entry number
    # and recorded_at, which decide whether a forecast is late.
    f"""CREATE OR REPLACE VIEW current_resolutions AS
SELECT r.*, first_r.first_seq, first_r.first_recorded_at
FROM resolutions r
JOIN (SELECT question_id, max({rules.RESOLUTION_ORDER}) AS {rules.RESOLUTION_ORDER},
             min(seq) AS first_seq, min(recorded_at) AS first_recorded_at
      FROM resolutions GROUP BY question_id) first_r
  USING (question_id, {rules.RESOLUTION_ORDER})""",
    # Late forecasts (never scored): ledger.rules.is_late.
    f"""CREATE OR REPLACE VIEW forecasts_flagged AS
SELECT f.*, {rules.late_sql("f", "r")} AS late
FROM forecasts f LEFT JOIN current_resolutions r USING (question_id)""",
]

#: The revision of the views below, kept in ``meta`` as ``views``: a ledger without it holds
#: views an earlier version wrote (:data:`PREVIOUS_VIEWS`), upgraded on its next write.
VIEWS_REVISION = "2"

#: Views as earlier versions of forecast-ledger wrote them (0.1, schema 2 before the rules gave
#: the late rule entry order). A ledger holding one of these texts is older, not tampered
#: with: ``verify`` accepts it, and the next write replaces it with this version's view (or
#: drops it, for a view this version no longer has). Readers never use a file's views anyway
#: (:func:`ledger.storage.catalog.pin`).
PREVIOUS_VIEWS = [
    """CREATE OR REPLACE VIEW current_resolutions AS
SELECT r.*, first_r.first_recorded_at
FROM resolutions r
JOIN (SELECT question_id, max(seq) AS seq, min(recorded_at) AS first_recorded_at
      FROM resolutions GROUP BY question_id) first_r USING (question_id, seq)""",
    """CREATE OR REPLACE VIEW forecasts_flagged AS
SELECT f.*,
       coalesce(f.recorded_at > r.first_recorded_at OR f.made_on > r.resolved_on, false)
           AS late
FROM forecasts f LEFT JOIN current_resolutions r USING (question_id)""",
    """CREATE OR REPLACE VIEW latest_forecasts AS
SELECT * FROM forecasts_flagged
QUALIFY row_number() OVER (PARTITION BY question_id, forecaster
                           ORDER BY made_on DESC, made_at DESC, seq DESC) = 1""",
]

#: The base tables of a schema-3 ledger.
TABLES = ("meta", "entries", "blocks", *COLUMNS, "question_numbers", "forecaster_numbers",
          "pairs")
