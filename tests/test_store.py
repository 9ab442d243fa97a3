"""The ledger file: append-only entries, the hash chain, the typed tables kept in step."""

from __future__ import annotations

import duckdb
import pytest
from conftest import DATA

from ledger.errors import LedgerMissing, TamperDetected
from ledger.importer import import_paths
from ledger.store import GENESIS, Ledger, chain_hash


def test_entries_chain_from_genesis(ledger):
    import_paths(ledger, [DATA / "good.yaml"])
    with ledger.connect() as con:
        rows = con.execute("SELECT seq, prev_hash, hash, body FROM entries ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    prev = GENESIS
    for _seq, prev_hash, digest, body in rows:
        assert prev_hash == prev
        assert digest == chain_hash(prev, body)
        prev = digest
    assert ledger.verify() == (len(rows), prev)


def test_typed_tables_equal_the_log(ledger):
    import_paths(ledger, [DATA / "good.yaml"])
    with ledger.connect() as con:
        counts = dict(con.execute("SELECT kind, count(*) FROM entries GROUP BY kind").fetchall())
        assert counts == {"source": 1, "question": 2, "forecast": 4, "resolution": 1}
        (p,), = con.execute("SELECT probability FROM forecasts WHERE forecaster = 'Sample Outlet'"
                            ).fetchall()
    assert p == 0.001  # "0.1%" is stored exactly, not rounded to 0%


def test_changed_row_is_detected(ledger):
    import_paths(ledger, [DATA / "good.yaml"])
    con = duckdb.connect(str(ledger.path))
    con.execute("UPDATE forecasts SET probability = 0.9 WHERE seq = 4")
    con.close()
    with pytest.raises(TamperDetected) as err:
        ledger.verify()
    assert err.value.bad.seq == 4
    assert str(err.value).startswith("entry #4 (forecast sample-ships): the forecasts table")


def test_a_failed_append_leaves_nothing(ledger):
    import_paths(ledger, [DATA / "good.yaml"])
    with pytest.raises(RuntimeError), ledger.transaction() as con:
        con.execute("INSERT INTO meta VALUES ('x', 'y')")
        raise RuntimeError("boom")
    with ledger.connect() as con:
        assert con.execute("SELECT count(*) FROM meta WHERE key = 'x'").fetchall() == [(0,)]


def test_missing_ledger(tmp_path):
    with pytest.raises(LedgerMissing):
        Ledger(tmp_path / "none.duckdb").verify()
    assert not (tmp_path / "none.duckdb").exists()
