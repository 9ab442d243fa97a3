"""Tamper evidence: history changed in the DuckDB file is caught by ``verify``, at the right entry.

The ledger is changed directly with DuckDB, the way someone bypassing forecast-ledger would:
a probability, a date or an outcome in the typed table, in the hashed entry body, or in both
consistently; an entry deleted, two entries swapped, a forged entry inserted. ``forecast-ledger
verify`` must exit 1 and name the first bad entry exactly. What a hash chain cannot see by
itself (an entry removed from the end, an entire chain recomputed) is caught by comparing the
head with one kept elsewhere, as the README says.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import DATA
from tampering import quick_verify_too  # noqa: F401 (an autouse fixture)

from ledger.ingest.importer import import_paths
from ledger.storage.store import GENESIS, Ledger, canonical, content_hash, link_hash

HINT = ("(the ledger file was changed outside forecast-ledger; restore it from a backup or an "
        "export)")
CHANGED = "its content does not match its hash: it was changed"
LINK = ("its link to the previous entry is broken: an entry before it was changed, deleted, "
        "inserted or reordered")
TABLE = ("the {} table no longer matches the log (a row was changed, added or deleted outside "
         "forecast-ledger)")
ENVELOPE = "its columns differ from its hashed content"
# Every entry below was appended through the library, a few at a time, so each is a block of
# its own in the hash chain and verify names it exactly.

# The ledger built below, by seq:
#  1 source sample-outlet-2026     5 forecast sample-ships (alice)    9 resolution sample-ships
#  2 question sample-ships         6 resolution sample-ships (yes)      (correction: no)
#  3 forecast sample-ships (alice) 7 question sample-price-rises     10 forecast sample-price-rises
#  4 forecast sample-ships (bob)   8 forecast sample-price-rises     11 question dave-question
ENTRIES = 11


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ledger.ingest.actions import add_forecast, add_question, resolve

    path = tmp_path_factory.mktemp("tamper") / "template.duckdb"
    ledger = Ledger(path)
    import_paths(ledger, [DATA / "good.yaml"])
    resolve(ledger, "sample-ships", "no", resolved_by="carol", resolved_on="2026-07-01",
            correct=True, reason="the release was withdrawn")
    add_forecast(ledger, "sample-price-rises", "30%", forecaster="dave",
                 made_at="2026-02-01T09:00:00+01:00")
    add_question(ledger, "Will dave's question resolve?", resolve_by="2030-01-01",
                 forecaster="dave", qid="dave-question", opened="2026-01-01")
    assert ledger.verify()[0] == ENTRIES
    return path


@pytest.fixture
def tampered(template: Path, db: Path) -> Path:
    shutil.copy(template, db)
    return db


def tamper(db: Path, *statements: str, params: list | None = None) -> None:
    con = duckdb.connect(str(db))
    try:
        for sql in statements:
            con.execute(sql, params or [])
    finally:
        con.close()


def body_replace(seq: int, old: str, new: str) -> str:
    return f"UPDATE entries SET body = replace(body, '{old}', '{new}') WHERE seq = {seq}"


def assert_first_bad(run, n: int, kind: str, subject: str, reason: str) -> None:
    result = run("verify")
    assert result.exit_code == 1, result.stdout
    assert result.stdout == ""
    assert result.stderr.strip() == f"error: entry #{n} ({kind} {subject}): {reason} {HINT}"
    as_json = run("verify", "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["first_bad_entry"] == n


def test_untouched_ledger_verifies(run, tampered):
    result = run("verify")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"ok: {ENTRIES} entries, hash chain intact; head ")


# -- a probability ---------------------------------------------------------------------------

def test_probability_changed_in_the_typed_table(run, tampered):
    tamper(tampered, "UPDATE forecasts SET probability = 0.95 WHERE seq = 5")
    assert_first_bad(run, 5, "forecast", "sample-ships", TABLE.format("forecasts"))


def test_probability_changed_in_the_entry_body(run, tampered):
    tamper(tampered, body_replace(5, '"probability":0.8', '"probability":0.95'))
    assert_first_bad(run, 5, "forecast", "sample-ships", CHANGED)


def test_probability_changed_in_both_consistently(run, tampered):
    tamper(tampered, body_replace(3, '"probability":0.7', '"probability":0.95'),
           "UPDATE forecasts SET probability = 0.95 WHERE seq = 3")
    assert_first_bad(run, 3, "forecast", "sample-ships", CHANGED)


def block_hash(con: duckdb.DuckDBPyConnection, seq: int) -> str:
    return con.execute("SELECT hash FROM blocks WHERE last_seq = ?", [seq]).fetchall()[0][0]


def test_probability_changed_and_its_hash_recomputed(run, tampered):
    """A forger who re-hashes the changed entry breaks the next entry's link."""
    con = duckdb.connect(str(tampered))
    body = con.execute("SELECT body FROM entries WHERE seq = 3").fetchall()[0][0]
    forged = body.replace('"probability":0.7', '"probability":0.95')
    content = content_hash(forged)
    con.execute("UPDATE entries SET body = ? WHERE seq = 3", [forged])
    con.execute("UPDATE blocks SET content = ?, hash = ? WHERE first_seq = 3",
                [content, link_hash(block_hash(con, 2), 3, 3, content)])
    con.execute("UPDATE forecasts SET probability = 0.95 WHERE seq = 3")
    con.close()
    assert_first_bad(run, 4, "forecast", "sample-ships", LINK)


# -- dates -----------------------------------------------------------------------------------

def test_made_at_changed_in_the_typed_table(run, tampered):
    tamper(tampered, "UPDATE forecasts SET made_at = made_at - INTERVAL 1 DAY WHERE seq = 10")
    assert_first_bad(run, 10, "forecast", "sample-price-rises", TABLE.format("forecasts"))


def test_made_at_changed_in_the_entry_body(run, tampered):
    tamper(tampered, body_replace(4, '"made_at":"2026-01-12T05:30:00.000000"',
                                  '"made_at":"2026-01-11T05:30:00.000000"'))
    assert_first_bad(run, 4, "forecast", "sample-ships", CHANGED)


def test_resolve_by_changed_in_the_typed_table(run, tampered):
    tamper(tampered, "UPDATE questions SET resolve_by = DATE '2028-12-31' WHERE seq = 7")
    assert_first_bad(run, 7, "question", "sample-price-rises", TABLE.format("questions"))


def test_resolve_by_changed_in_both_consistently(run, tampered):
    tamper(tampered, body_replace(2, '"resolve_by":"2026-06-30"', '"resolve_by":"2026-12-31"'),
           "UPDATE questions SET resolve_by = DATE '2026-12-31' WHERE seq = 2")
    assert_first_bad(run, 2, "question", "sample-ships", CHANGED)


def test_resolved_on_changed_in_both_consistently(run, tampered):
    tamper(tampered,
           body_replace(9, '"resolved_on":"2026-07-01"', '"resolved_on":"2026-06-20"'),
           "UPDATE resolutions SET resolved_on = DATE '2026-06-20' WHERE seq = 9")
    assert_first_bad(run, 9, "resolution", "sample-ships", CHANGED)


def test_recorded_at_changed_in_the_entries_column(run, tampered):
    tamper(tampered, "UPDATE entries SET recorded_at = recorded_at - INTERVAL 1 HOUR "
                     "WHERE seq = 8")
    assert_first_bad(run, 8, "forecast", "sample-price-rises", ENVELOPE)


# -- outcomes --------------------------------------------------------------------------------

def test_outcome_changed_in_the_typed_table(run, tampered):
    tamper(tampered, "UPDATE resolutions SET outcome = 'no' WHERE seq = 6")
    assert_first_bad(run, 6, "resolution", "sample-ships", TABLE.format("resolutions"))


def test_outcome_changed_in_the_entry_body(run, tampered):
    tamper(tampered, body_replace(9, '"outcome":"no"', '"outcome":"yes"'))
    assert_first_bad(run, 9, "resolution", "sample-ships", CHANGED)


def test_outcome_changed_in_both_consistently(run, tampered):
    tamper(tampered, body_replace(6, '"outcome":"yes"', '"outcome":"annulled"'),
           "UPDATE resolutions SET outcome = 'annulled' WHERE seq = 6")
    assert_first_bad(run, 6, "resolution", "sample-ships", CHANGED)


# -- deleting, reordering, inserting ---------------------------------------------------------

def test_entry_deleted_from_the_middle(run, tampered):
    tamper(tampered, "DELETE FROM entries WHERE seq = 4", "DELETE FROM forecasts WHERE seq = 4")
    assert_first_bad(run, 4, "forecast", "sample-ships",
                     "sequence jumps from #3 to #5: entries were deleted or reordered")


def test_typed_row_deleted(run, tampered):
    tamper(tampered, "DELETE FROM resolutions WHERE seq = 9")
    assert_first_bad(run, 9, "resolution", "sample-ships", TABLE.format("resolutions"))


def test_entries_swapped(run, tampered):
    swap = "UPDATE {} SET seq = CASE seq WHEN 3 THEN 4 ELSE 3 END WHERE seq IN (3, 4)"
    tamper(tampered, swap.format("entries"), swap.format("forecasts"))
    assert_first_bad(run, 3, "forecast", "sample-ships", CHANGED)


def test_entries_swapped_with_their_bodies_renumbered(run, tampered):
    con = duckdb.connect(str(tampered))
    rows = {seq: body for seq, body in con.execute(
        "SELECT seq, body FROM entries WHERE seq IN (3, 4)").fetchall()}
    for old, new in ((3, 4), (4, 3)):
        body = json.loads(rows[old])
        body["seq"] = new
        con.execute("UPDATE entries SET body = ? WHERE body = ?", [canonical(body), rows[old]])
    swap = "UPDATE {} SET seq = CASE seq WHEN 3 THEN 4 ELSE 3 END WHERE seq IN (3, 4)"
    con.execute(swap.format("entries"))
    con.execute(swap.format("forecasts"))
    con.close()
    assert_first_bad(run, 3, "forecast", "sample-ships", CHANGED)


def test_entries_swapped_with_their_blocks(run, tampered):
    """Moving the blocks along with the entries breaks the links instead."""
    swap = "UPDATE {} SET {} = CASE {} WHEN 3 THEN 4 ELSE 3 END WHERE {} IN (3, 4)"
    tamper(tampered, swap.format("entries", "seq", "seq", "seq"),
           swap.format("forecasts", "seq", "seq", "seq"),
           "UPDATE blocks SET first_seq = CASE first_seq WHEN 3 THEN 4 ELSE 3 END, "
           "last_seq = CASE last_seq WHEN 3 THEN 4 ELSE 3 END WHERE first_seq IN (3, 4)")
    assert_first_bad(run, 3, "forecast", "sample-ships", LINK)


def _forged_forecast(seq: int, prev: str, recorded_at: str = "2026-11-01T00:00:00.000000"
                     ) -> tuple[str, str, str]:
    """A forged forecast's body, and the content and hash of a block holding just it."""
    body = canonical({
        "basis": "stated", "forecaster": "mallory", "implied_from": None, "kind": "forecast",
        "made_at": "2026-01-05T00:00:00.000000", "made_on": "2026-01-05", "probability": 0.99,
        "question_id": "sample-ships", "rationale": "forged", "recorded_at": recorded_at,
        "seq": seq, "subject": "sample-ships", "utc_offset": None})
    return body, content_hash(body), link_hash(prev, seq, seq, content_hash(body))


FORGED_ENTRY = "INSERT INTO entries VALUES (?, 'forecast', 'sample-ships', " \
               "TIMESTAMP '2026-11-01', ?, NULL)"


FORGED_ROW = ("INSERT INTO forecasts VALUES (?, TIMESTAMP '2026-11-01', 'sample-ships', "
              "'mallory', 0.99, TIMESTAMP '2026-01-05', DATE '2026-01-05', NULL, 'forged', "
              "'stated', NULL, (SELECT question_no FROM question_numbers "
              "WHERE question_id = 'sample-ships'), NULL)")


def test_forged_entry_inserted_in_the_middle(run, tampered):
    """Renumbering everything after it, with a correct hash of its own and a typed row."""
    con = duckdb.connect(str(tampered))
    prev = block_hash(con, 3)
    for table in ("entries", "sources", "questions", "forecasts", "resolutions"):
        con.execute(f"UPDATE {table} SET seq = seq + 1 WHERE seq >= 4")
    con.execute("UPDATE blocks SET first_seq = first_seq + 1, last_seq = last_seq + 1 "
                "WHERE first_seq >= 4")
    body, content, digest = _forged_forecast(4, prev)
    con.execute(FORGED_ENTRY, [4, body])
    con.execute("INSERT INTO blocks VALUES (4, 4, ?, ?)", [content, digest])
    con.execute(FORGED_ROW, [4])
    con.close()
    assert_first_bad(run, 5, "forecast", "sample-ships", LINK)


def test_forged_entry_with_a_made_up_hash(run, tampered):
    con = duckdb.connect(str(tampered))
    prev = block_hash(con, ENTRIES)
    body, _, _ = _forged_forecast(ENTRIES + 1, prev)
    con.execute(FORGED_ENTRY, [ENTRIES + 1, body])
    con.execute("INSERT INTO blocks VALUES (?, ?, ?, ?)",
                [ENTRIES + 1, ENTRIES + 1, "f" * 64, link_hash(prev, ENTRIES + 1, ENTRIES + 1,
                                                               "f" * 64)])
    con.execute(FORGED_ROW, [ENTRIES + 1])
    con.close()
    assert_first_bad(run, ENTRIES + 1, "forecast", "sample-ships", CHANGED)


def test_forged_entry_without_its_typed_row(run, tampered):
    con = duckdb.connect(str(tampered))
    prev = block_hash(con, ENTRIES)
    body, content, digest = _forged_forecast(ENTRIES + 1, prev)
    con.execute(FORGED_ENTRY, [ENTRIES + 1, body])
    con.execute("INSERT INTO blocks VALUES (?, ?, ?, ?)",
                [ENTRIES + 1, ENTRIES + 1, content, digest])
    con.close()
    assert_first_bad(run, ENTRIES + 1, "forecast", "sample-ships", TABLE.format("forecasts"))


def test_forged_entry_outside_the_chain(run, tampered):
    """An entry (and typed row) added without a block of the chain is caught by itself."""
    con = duckdb.connect(str(tampered))
    body, _, _ = _forged_forecast(ENTRIES + 1, block_hash(con, ENTRIES))
    con.execute(FORGED_ENTRY, [ENTRIES + 1, body])
    con.execute(FORGED_ROW, [ENTRIES + 1])
    con.close()
    assert_first_bad(run, ENTRIES + 1, "forecast", "sample-ships",
                     f"it belongs to no block of the hash chain (the last ends at #{ENTRIES}): "
                     "it was added outside forecast-ledger")


def test_forged_typed_row_without_an_entry(run, tampered):
    tamper(tampered, FORGED_ROW, params=[6])
    assert_first_bad(run, 6, "resolution", "sample-ships", TABLE.format("forecasts"))
    tamper(tampered, "DELETE FROM forecasts WHERE seq = 6")
    tamper(tampered, FORGED_ROW, params=[99])  # a seq no entry has
    assert_first_bad(run, 99, "forecast", "?", TABLE.format("forecasts"))


# -- what only an anchored head shows --------------------------------------------------------

def test_a_removed_last_entry_is_caught_by_the_chain(run, tampered):
    tamper(tampered, f"DELETE FROM entries WHERE seq = {ENTRIES}",
           f"DELETE FROM questions WHERE seq = {ENTRIES}")
    assert_first_bad(run, ENTRIES, "entry", "?",
                     f"the hash chain covers entries up to #{ENTRIES} but the log ends at "
                     f"#{ENTRIES - 1}: entries were deleted from the end")


def test_a_cut_or_recomputed_chain_changes_the_head(run, tampered):
    """The chain cannot know it was cut short with its blocks, or rebuilt; a head kept
    elsewhere does."""
    anchored = Ledger(tampered).head()
    tamper(tampered, f"DELETE FROM entries WHERE seq = {ENTRIES}",
           f"DELETE FROM questions WHERE seq = {ENTRIES}",
           "DELETE FROM question_numbers WHERE question_id NOT IN (SELECT id FROM questions)",
           f"DELETE FROM blocks WHERE first_seq = {ENTRIES}")
    assert run("verify").exit_code == 0
    assert Ledger(tampered).head() != anchored

    con = duckdb.connect(str(tampered))  # rewrite a probability and re-hash the whole chain
    con.execute(body_replace(3, '"probability":0.7', '"probability":0.95'))
    con.execute("UPDATE forecasts SET probability = 0.95 WHERE seq = 3")
    con.execute("UPDATE pairs SET first_probability = 0.95 WHERE first_seq = 3")
    con.execute("UPDATE pairs SET last_probability = 0.95 WHERE last_seq = 3")
    con.execute("DELETE FROM blocks")
    prev = GENESIS
    for seq, body in con.execute("SELECT seq, body FROM entries ORDER BY seq").fetchall():
        content = content_hash(body)
        prev = link_hash(prev, seq, seq, content)
        con.execute("INSERT INTO blocks VALUES (?, ?, ?, ?)", [seq, seq, content, prev])
    con.close()
    result = run("verify")
    assert result.exit_code == 0
    assert anchored[1] not in result.stdout


def test_a_block_removed_from_the_chain(run, tampered):
    tamper(tampered, "DELETE FROM blocks WHERE first_seq = 4")
    assert_first_bad(run, 4, "forecast", "sample-ships",
                     "the block of entries #5-#5 does not follow the one that ended at #3: "
                     "blocks were changed, deleted or inserted")


def test_an_entry_copied_under_its_own_number(run, tampered):
    tamper(tampered, "INSERT INTO entries SELECT * FROM entries WHERE seq = 5")
    assert_first_bad(run, 5, "forecast", "sample-ships",
                     "entry number #5 appears twice: entries were inserted")
