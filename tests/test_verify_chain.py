"""Rows that break the log's own shape are named in one line, never a traceback: duplicate entry
numbers, a typed row copied, rows outside the chain, a body that is not JSON, a forged
``meta`` row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA
from tampering import HINT, quick_verify_too, tamper  # noqa: F401 (an autouse fixture)

from ledger.ingest.importer import import_paths
from ledger.storage.store import Ledger

TABLE = ("the {} table no longer matches the log (a row was changed, added or deleted outside "
         "forecast-ledger)")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chain") / "template.duckdb"
    import_paths(Ledger(path), [DATA / "good.yaml"])  # entries 1-8, a block each
    return path


@pytest.fixture
def tampered(template: Path, db: Path) -> Path:
    shutil.copy(template, db)
    return db


def assert_line(run, line: str) -> None:
    result = run("verify")
    assert result.exit_code == 1, result.stdout
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == f"error: {line} {HINT}"


def test_a_copied_typed_row_is_named(run, tampered):
    # The copy doubles alice's forecast in every score; the log holds it once.
    tamper(tampered, "INSERT INTO forecasts SELECT * FROM forecasts WHERE seq = 3")
    assert_line(run, "entry #3 (forecast sample-ships): " + TABLE.format("forecasts"))
    as_json = json.loads(run("verify", "--json").stdout)
    assert (as_json["ok"], as_json["first_bad_entry"]) == (False, 3)


def test_an_entry_renumbered_onto_another_is_named(run, tampered):
    tamper(tampered, "UPDATE entries SET seq = 3 WHERE seq = 4")
    assert_line(run, "entry #3 (forecast sample-ships): entry number #3 appears twice: entries "
                     "were inserted")


def test_a_duplicate_entry_with_its_typed_row_and_block_is_named(run, tampered):
    tamper(tampered, "INSERT INTO entries SELECT * FROM entries WHERE seq = 5",
           "INSERT INTO forecasts SELECT * FROM forecasts WHERE seq = 5",
           "INSERT INTO blocks SELECT * FROM blocks WHERE first_seq = 5")
    assert_line(run, "entry #5 (forecast sample-ships): entry number #5 appears twice: entries "
                     "were inserted")


def test_an_entry_and_its_row_outside_the_chain_are_named(run, tampered):
    tamper(tampered,
           """INSERT INTO entries SELECT 9, kind, subject, recorded_at,
                  replace(body, '"seq":8', '"seq":9'), logged_at FROM entries WHERE seq = 8""",
           "INSERT INTO forecasts SELECT * REPLACE (9 AS seq) FROM forecasts WHERE seq = 8")
    assert_line(run, "entry #9 (forecast sample-price-rises): it belongs to no block of the hash "
                     "chain (the last ends at #8): it was added outside forecast-ledger")


def test_a_body_that_is_not_json_is_one_line(run, tampered):
    tamper(tampered, "UPDATE entries SET body = 'not json' WHERE seq = 4")
    result = run("verify")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: the ledger's rows cannot be checked: Invalid Input "
                                    "Error: Malformed JSON")
    assert result.stderr.strip().endswith(HINT)
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_forged_v1_head_is_named(run, tampered):
    tamper(tampered, f"INSERT INTO meta VALUES ('v1_head', '{'a' * 64}')")
    assert_line(run, "meta v1_head: it is the head of no schema-1 chain of this log")


# -- the quick pass: what verify runs first on a large ledger ------------------------------------

def _log_holds(db: Path) -> bool:
    import duckdb

    from ledger.storage.verify_quick import log_holds

    con = duckdb.connect(str(db), read_only=True)
    try:
        return log_holds(con)
    finally:
        con.close()


@pytest.mark.parametrize("statements", [
    (),
    ("UPDATE entries SET body = replace(body, '0.7', '0.9') WHERE seq = 3",),
    ("UPDATE forecasts SET probability = 0.9 WHERE seq = 3",),
    ("INSERT INTO forecasts SELECT * FROM forecasts WHERE seq = 3",),
    ("UPDATE blocks SET content = 'x' WHERE first_seq = 2",),
    ("UPDATE entries SET seq = 3 WHERE seq = 4",),
    ("DELETE FROM entries WHERE seq = 8", "DELETE FROM blocks WHERE first_seq = 8"),
], ids=["intact", "body", "typed row", "copied row", "block", "renumbered", "last cut"])
def test_the_quick_pass_holds_only_an_intact_ledger(tampered, statements):
    tamper(tampered, *statements)
    assert _log_holds(tampered) is (not statements)
