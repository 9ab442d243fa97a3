"""The ledger file: append-only entries, the hash chain, the typed tables kept in step."""

from __future__ import annotations

import hashlib

import duckdb
import pytest
from conftest import DATA, write
from old_schema import make_v2

from ledger.errors import LedgerMissing, TamperDetected
from ledger.ingest.actions import add_forecast
from ledger.ingest.importer import import_paths
from ledger.storage import schema, store
from ledger.storage.store import Ledger


def recomputed_chain(path) -> tuple[list[tuple[int, int]], str]:
    """The blocks and head of a ledger, recomputed here from the bodies with hashlib alone,
    as the README documents them (an independent check of ledger.storage.store)."""
    con = duckdb.connect(str(path))
    try:
        bodies = dict(con.execute("SELECT seq, body FROM entries").fetchall())
        blocks = con.execute("SELECT first_seq, last_seq, content, hash FROM blocks "
                             "ORDER BY first_seq").fetchall()
    finally:
        con.close()
    prev, spans = "0" * 64, []
    for first, last, content, digest in blocks:
        text = "\n".join(bodies[s] for s in range(first, last + 1))
        assert content == hashlib.sha256(text.encode()).hexdigest()
        prev = hashlib.sha256(f"{prev}\n{first}\n{last}\n{content}".encode()).hexdigest()
        assert digest == prev
        spans.append((first, last))
    assert sorted(bodies) == list(range(1, len(bodies) + 1))
    return spans, prev


def test_entries_chain_from_genesis_a_block_each(ledger):
    import_paths(ledger, [DATA / "good.yaml"])
    spans, head = recomputed_chain(ledger.path)
    assert spans == [(s, s) for s in range(1, 9)]  # appended by the library: one block each
    assert ledger.verify() == (8, head)
    assert ledger.head() == (8, head)


# a new question needs its criteria, as in a forecast file
HEADER = "question_id,question,resolve_by,opened,forecaster,probability,made_at,criteria\n"


def bulk_csv(path, n: int, start: int = 0):
    rows = (f"q-{i // 10:05d},Will event {i // 10} happen?,2026-06-01,2026-01-01,"
            f"f{i % 10},0.{i % 9 + 1},2026-02-01,Yes if so.\n" for i in range(start, start + n))
    return write(path, HEADER + "".join(rows))


def test_a_bulk_import_is_sealed_in_blocks(ledger, tmp_path):
    from ledger.ingest.bulk import import_tables

    import_paths(ledger, [DATA / "good.yaml"])
    n = 2 * store.BLOCK + 100  # 2 full blocks and a partial one of forecasts, plus questions
    import_tables(ledger, [bulk_csv(tmp_path / "a.csv", n)])
    add_forecast(ledger, "q-00000", "0.5", forecaster="after", made_at="2026-03-01")
    spans, head = recomputed_chain(ledger.path)
    questions = -(-n // 10)  # ten forecasts a question, the last one short
    first_bulk, last_bulk = 9, 8 + questions + n
    assert spans[:8] == [(s, s) for s in range(1, 9)]
    assert spans[8:-1] == [(lo, min(lo + store.BLOCK - 1, last_bulk))
                           for lo in range(first_bulk, last_bulk + 1, store.BLOCK)]
    assert spans[-1] == (last_bulk + 1, last_bulk + 1)
    assert ledger.verify() == (last_bulk + 1, head)


def test_a_changed_entry_inside_a_bulk_block(ledger, tmp_path):
    from ledger.ingest.bulk import import_tables

    import_tables(ledger, [bulk_csv(tmp_path / "a.csv", store.BLOCK + 10)])
    seq = 700  # inside the first block (entries 1-4096)
    con = duckdb.connect(str(ledger.path))
    con.execute("UPDATE entries SET body = replace(body, '\"probability\":0.', "
                "'\"probability\":0.0') WHERE seq = ?", [seq])
    con.close()
    with pytest.raises(TamperDetected) as err:  # the typed row still differs: named exactly
        ledger.verify()
    assert err.value.bad.seq == seq
    con = duckdb.connect(str(ledger.path))
    con.execute("UPDATE forecasts SET probability = probability / 10 WHERE seq = ?", [seq])
    con.close()
    with pytest.raises(TamperDetected) as err:  # consistent change: only the block knows
        ledger.verify()
    assert str(err.value).startswith(
        f"entry #1 (question q-00000): entries #1-#{store.BLOCK}, sealed together by a bulk "
        "import, do not match their hash: one of them was changed")


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


def make_v1(path) -> str:
    """Turn a fresh ledger into the schema-1 layout (a per-entry chain in the entries table),
    computed here with hashlib; returns its head."""
    make_v2(path)
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE entries ADD COLUMN prev_hash VARCHAR")
    con.execute("ALTER TABLE entries ADD COLUMN hash VARCHAR")
    prev = "0" * 64
    for seq, body in con.execute("SELECT seq, body FROM entries ORDER BY seq").fetchall():
        digest = hashlib.sha256((prev + body).encode()).hexdigest()
        con.execute("UPDATE entries SET prev_hash = ?, hash = ? WHERE seq = ?",
                    [prev, digest, seq])
        prev = digest
    con.execute("DROP TABLE blocks")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    return prev


def test_a_schema_1_ledger_is_checked_and_upgraded_when_first_opened(ledger, run):
    import_paths(ledger, [DATA / "good.yaml"])
    old_head = make_v1(ledger.path)
    shown = run.json("show", "sample-ships")  # any command: a read upgrades it too
    assert [e["seq"] for e in shown["entries"]] == [2, 3, 4, 5, 6]
    spans, head = recomputed_chain(ledger.path)
    assert spans == [(s, s) for s in range(1, 9)]
    assert [e["hash"] for e in shown["entries"]] == [
        _block_of(ledger.path, e["seq"]) for e in shown["entries"]]
    assert ledger.verify() == (8, head)
    add_forecast(ledger, "sample-ships", "0.6", forecaster="later", made_at="2026-03-01")
    assert ledger.verify()[0] == 9
    with ledger.connect() as con:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        columns = [d[0] for d in con.execute("SELECT * FROM entries LIMIT 0").description]
    assert meta == {"schema_version": str(schema.SCHEMA_VERSION), "v1_head": old_head,
                    "views": schema.VIEWS_REVISION}
    assert columns == ["seq", "kind", "subject", "recorded_at", "body", "logged_at"]


def _block_of(path, seq: int) -> str:
    con = duckdb.connect(str(path))
    try:
        return con.execute("SELECT hash FROM blocks WHERE ? BETWEEN first_seq AND last_seq",
                           [seq]).fetchall()[0][0]
    finally:
        con.close()


def test_a_tampered_schema_1_ledger_is_not_upgraded(ledger):
    import_paths(ledger, [DATA / "good.yaml"])
    make_v1(ledger.path)
    con = duckdb.connect(str(ledger.path))
    con.execute("UPDATE entries SET body = replace(body, '0.8', '0.9') WHERE seq = 5")
    con.close()
    message = ("entry #5 (forecast sample-ships): its schema-1 hash chain is broken, so the "
               "ledger cannot be upgraded")
    with pytest.raises(TamperDetected, match="^" + message.replace("(", r"\(").replace(
            ")", r"\)")):
        add_forecast(ledger, "sample-ships", "0.6", forecaster="later", made_at="2026-03-01")
    with pytest.raises(TamperDetected):
        ledger.verify()
    con = duckdb.connect(str(ledger.path))  # nothing was written or upgraded
    try:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                           ).fetchall() == [("1",)]
        assert con.execute("SELECT count(*) FROM entries").fetchall() == [(8,)]
    finally:
        con.close()


def test_bodies_with_escapes_and_non_ascii_hash_as_written(ledger, tmp_path):
    """JSON escapes quotes and backslashes; the chain hashes the stored text's UTF-8 bytes
    exactly, by the library's appends and by a bulk import's blocks alike."""
    from ledger.ingest.bulk import import_tables

    write(tmp_path / "q.yaml", 'questions:\n  - id: esc-yaml\n    question: Will "Ré\\sumé" '
          'ship by 2027?\n    criteria: Yes if a \\ and a " appear.\n    opened: 2026-01-01\n'
          '    resolve_by: 2027-01-01\n')
    import_paths(ledger, [tmp_path / "q.yaml"])
    import_tables(ledger, [write(tmp_path / "q.csv", HEADER + (
        'esc-csv,"Will ""Ré\\sumé"" ship, with a \\ backslash?",2027-01-01,2026-01-01,'
        'zoë,0.5,2026-02-01,Yes if so.\n') * 1)])
    with ledger.connect() as con:
        texts = [q for (q,) in con.execute("SELECT question FROM questions ORDER BY seq")
                 .fetchall()]
    assert texts == ['Will "Ré\\sumé" ship by 2027?',
                     'Will "Ré\\sumé" ship, with a \\ backslash?']
    spans, head = recomputed_chain(ledger.path)
    assert ledger.verify() == (spans[-1][1], head)
