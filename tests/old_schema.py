"""Ledgers as earlier schemas kept them, made here from a ledger of this version with hashlib
and DuckDB alone: what the upgrade tests start from."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

#: What schema 3 added to schema 2's tables (appended columns) and beside them.
V3_TABLES = ("pairs", "question_numbers", "forecaster_numbers")
V3_COLUMNS = {"entries": ("logged_at",), "questions": ("question_no",),
              "forecasts": ("question_no", "forecaster_no"), "resolutions": ("question_no",)}


#: What fixes (withdrawals, merges, clarifications) added while the schema was still 2.
FIX_TABLES = ("withdrawals", "merges")


def make_v2(path: Path, *, before_fixes: bool = False) -> str:
    """Turn a ledger into schema 2's layout: bodies without ``logged_at``, no numbers, no
    pairs, a block per entry (hashed here as schema 2 defined it); ``before_fixes``, also
    without the fixes' tables and the questions' ``clarification`` (a ledger with none).
    Returns its head."""
    con = duckdb.connect(str(path))
    try:
        if before_fixes:
            for table in FIX_TABLES:
                con.execute(f"DROP TABLE {table}")
            con.execute("ALTER TABLE questions DROP COLUMN clarification")
        rows = con.execute("SELECT seq, body FROM entries ORDER BY seq").fetchall()
        bodies = []
        for seq, body in rows:
            data = json.loads(body)
            data.pop("logged_at", None)
            if before_fixes:
                data.pop("clarification", None)
            text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            con.execute("UPDATE entries SET body = ? WHERE seq = ?", [text, seq])
            bodies.append((seq, text))
        for table in V3_TABLES:
            con.execute(f"DROP TABLE {table}")
        for table, columns in V3_COLUMNS.items():
            for column in columns:
                con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        con.execute("DELETE FROM blocks")
        prev = "0" * 64
        for seq, text in bodies:
            content = hashlib.sha256(text.encode()).hexdigest()
            prev = hashlib.sha256(f"{prev}\n{seq}\n{seq}\n{content}".encode()).hexdigest()
            con.execute("INSERT INTO blocks VALUES (?, ?, ?, ?)", [seq, seq, content, prev])
        con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        return prev
    finally:
        con.close()
