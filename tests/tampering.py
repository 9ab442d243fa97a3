"""What the tamper tests share: changing a ledger file with DuckDB as an attacker would, and the
hint every refusal of ``verify`` ends with."""

from __future__ import annotations

from pathlib import Path

import duckdb

HINT = ("(the ledger file was changed outside forecast-ledger; restore it from a backup or an "
        "export)")


def tamper(db: Path, *statements: str) -> None:
    """Run ``statements`` on the ledger file directly, outside forecast-ledger."""
    con = duckdb.connect(str(db))
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()
