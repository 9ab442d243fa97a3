"""What the tamper tests share: changing a ledger file with DuckDB as an attacker would, and the
hint every refusal of ``verify`` ends with."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

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


def rederive_pairs(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the pairs table from the forecasts as they now are, as an attacker who changes
    forecasts consistently would (with forecast-ledger's own code: the table is derived), and
    drop the number of a forecaster who has no forecast left (the last one's, when cut)."""
    from ledger.storage.store import refresh_pairs

    con.execute("DELETE FROM forecaster_numbers WHERE forecaster NOT IN "
                "(SELECT forecaster FROM forecasts)")
    con.execute("DELETE FROM pairs")
    refresh_pairs(con, since_seq=0)


@pytest.fixture(autouse=True, params=["0", "1000000000"], ids=["quick-pass", "detailed"])
def quick_verify_too(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each tamper test twice, in this process and the CLI's: with ``verify``'s quick pass
    first (the threshold at 0; it runs from 100,000 entries only, and these ledgers are small),
    where each change must be caught by the quick pass or verify would say ok, and named by the
    detailed checks that run after it; and with the detailed checks alone, as a small ledger
    is verified."""
    monkeypatch.setenv("FORECAST_LEDGER_QUICK_VERIFY_FROM", request.param)
