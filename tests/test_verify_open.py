"""Every open checks the file: a ledger of another schema version, or a DuckDB file that is not
a ledger at all, is refused in one line by reading and writing commands alike, and nothing is
added to it."""

from __future__ import annotations

import duckdb
import pytest
from conftest import DATA

from ledger.ingest.importer import import_paths
from ledger.storage.store import Ledger

COMMANDS = [["list"], ["verify"], ["show", "sample-ships"], ["export"],
            ["forecast", "sample-ships", "--p", "0.5"]]


@pytest.fixture
def made(db):
    import_paths(Ledger(db), [DATA / "good.yaml"])
    return db


def set_version(db, value: str | None) -> None:
    con = duckdb.connect(str(db))
    if value is None:
        con.execute("DELETE FROM meta WHERE key = 'schema_version'")
    else:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [value])
    con.close()


@pytest.mark.parametrize(("version", "line"), [
    ("4", "error: {db} was made by a newer forecast-ledger (schema 4); this one reads schema 3 "
          "(upgrade forecast-ledger)"),
    ("x", "error: {db} has an unknown schema version ('x'); this forecast-ledger reads schema 3 "
          "(no forecast-ledger wrote it: it was changed outside forecast-ledger; restore it from "
          "a backup)"),
    (None, "error: {db} has an unknown schema version (none); this forecast-ledger reads schema "
           "3 (no forecast-ledger wrote it: it was changed outside forecast-ledger; restore it "
           "from a backup)"),
    ("1", "error: {db} says schema 1 but holds schema 3's tables: its meta was changed outside "
          "forecast-ledger (restore it from a backup)"),
    ("2", "error: {db} says schema 2 but holds schema 3's tables: its meta was changed outside "
          "forecast-ledger (restore it from a backup)"),
])
def test_another_schema_version_is_refused_on_every_open(run, made, version, line):
    set_version(made, version)
    before = made.read_bytes()
    for args in COMMANDS:
        result = run(*args)
        assert result.exit_code == 1, (args, result.stdout)
        assert result.stdout == ""
        assert result.stderr.strip() == line.format(db=made), args
    assert made.read_bytes() == before


def other_duckdb_file(path):
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE customers (id INTEGER, name VARCHAR)")
    con.execute("INSERT INTO customers VALUES (1, 'Ada')")
    con.close()
    return path


@pytest.mark.parametrize("args", [*COMMANDS, ["import", str(DATA / "good.yaml")],
                                  ["add", "Will it?", "--by", "2030-01-01", "--p", "0.5"]])
def test_a_duckdb_file_that_is_not_a_ledger_is_refused_and_left_alone(run, db, args):
    other_duckdb_file(db)
    before = db.read_bytes()
    result = run(*args)
    assert result.exit_code == 1, result.stdout
    assert result.stderr.strip() == (
        f"error: {db} is not a forecast-ledger ledger: it holds other tables (customers) and "
        "nothing was added to it (point --db at a ledger file)")
    assert db.read_bytes() == before
    con = duckdb.connect(str(db))
    try:
        tables = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    finally:
        con.close()
    assert tables == [("customers",)]


def test_a_duckdb_file_with_only_a_macro_is_not_made_a_ledger(run, db):
    con = duckdb.connect(str(db))
    con.execute("CREATE MACRO twice(x) AS 2 * x")
    con.close()
    result = run("add", "Will it?", "--by", "2030-01-01")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {db} is not a forecast-ledger ledger: it holds views or macros but no ledger "
        "tables (point --db at a ledger file)")


def test_an_empty_duckdb_file_becomes_a_ledger_on_the_first_write(run, db):
    duckdb.connect(str(db)).close()
    listed = run("list")
    assert listed.exit_code == 1
    assert listed.stderr.strip().startswith(f"error: {db} is not a forecast-ledger ledger: it "
                                            "is an empty DuckDB file")
    assert run("add", "Will it?", "--by", "2030-01-01", "--id", "will-it").exit_code == 0
    assert run("verify").exit_code == 0
