"""``verify`` trusts nothing the file defines, and readers are not fooled by what it defines.

Each ledger here is changed with DuckDB the way an attacker would: a macro that shadows a
built-in the hashing used, a replaced view, an extra table, sequence, index, type or schema, a
forged ``meta``. ``verify`` must exit 1 naming it in one line; ``list``, ``show`` and ``export``
must still show what the log says.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA
from tampering import HINT, quick_verify_too, tamper  # noqa: F401 (an autouse fixture)

from ledger.ingest.actions import add_forecast
from ledger.ingest.importer import import_paths
from ledger.storage.store import Ledger

# good.yaml holds entries 1-8; dave's 30% on sample-price-rises is entry 9.
DAVE = 9

# The view of current resolutions, as forecast-ledger writes it, but saying "no" everywhere.
FLIPPED_RESOLUTIONS = """CREATE OR REPLACE VIEW current_resolutions AS
SELECT r.* REPLACE ('no' AS outcome), first_r.first_recorded_at
FROM resolutions r
JOIN (SELECT question_id, max(seq) AS seq, min(recorded_at) AS first_recorded_at
      FROM resolutions GROUP BY question_id) first_r USING (question_id, seq)"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("catalog") / "template.duckdb"
    ledger = Ledger(path)
    import_paths(ledger, [DATA / "good.yaml"])
    add_forecast(ledger, "sample-price-rises", "30%", forecaster="dave", made_at="2026-02-01")
    return path


@pytest.fixture
def tampered(template: Path, db: Path) -> Path:
    shutil.copy(template, db)
    return db


def assert_refused(run, line: str) -> None:
    result = run("verify")
    assert result.exit_code == 1, result.stdout
    assert result.stdout == ""
    assert result.stderr.strip() == f"error: {line} {HINT}"
    as_json = run("verify", "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["reason"] == line.split(" (and ")[0]


def test_a_macro_named_encode_that_undoes_a_rewrite_is_named(run, tampered):
    # The attack found: dave's 0.3 rewritten to 0.99 in the log and the typed table, and a
    # macro that turns it back before the old verify hashed the bodies.
    tamper(tampered,
           f"""UPDATE entries SET body = replace(body, '"probability":0.3', '"probability":0.99')
               WHERE seq = {DAVE}""",
           f"UPDATE forecasts SET probability = 0.99 WHERE seq = {DAVE}",
           """CREATE MACRO encode(x) AS system.main.encode(
                  replace(x, '"probability":0.99', '"probability":0.3'))""")
    assert_refused(run, "macro encode: not created by forecast-ledger")


def test_the_rewrite_without_its_macro_is_named_at_its_entry(run, tampered):
    tamper(tampered,
           f"""UPDATE entries SET body = replace(body, '"probability":0.3', '"probability":0.99')
               WHERE seq = {DAVE}""",
           f"UPDATE forecasts SET probability = 0.99 WHERE seq = {DAVE}")
    result = run("verify")
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"error: entry #{DAVE} (forecast sample-price-rises): its "
                                     f"content does not match its hash: it was changed {HINT}")


def test_a_replaced_resolutions_view_is_named_and_list_still_says_yes(run, tampered):
    before = run.json("list")
    tamper(tampered, FLIPPED_RESOLUTIONS)
    assert run.json("list") == before
    assert [q["outcome"] for q in before if q["id"] == "sample-ships"] == ["yes"]
    assert run.json("show", "sample-ships") == run.json("show", "sample-ships")
    assert_refused(run, "view current_resolutions: its SQL differs from forecast-ledger's")


def test_an_emptied_questions_view_does_not_empty_the_backup(run, tampered, tmp_path):
    before = run("export").stdout
    tamper(tampered, """CREATE OR REPLACE VIEW current_questions AS
                        SELECT * FROM questions WHERE false""")
    after = run("export")
    assert after.exit_code == 0
    assert after.stdout == before
    assert "questions: []" not in after.stdout
    assert_refused(run, "view current_questions: its SQL differs from forecast-ledger's")


def test_a_macro_shadowing_max_does_not_fool_list(run, tampered):
    before = run.json("list")
    tamper(tampered, "CREATE MACRO max(x) AS 0")
    assert run.json("list") == before
    assert_refused(run, "macro max: not created by forecast-ledger")


def test_a_table_macro_shadowing_the_catalog_is_named(run, tampered):
    tamper(tampered, "CREATE MACRO duckdb_functions() AS TABLE SELECT 1 AS function_name")
    assert_refused(run, "macro duckdb_functions: not created by forecast-ledger")


@pytest.mark.parametrize(("statement", "line"), [
    ("CREATE TABLE notes (x INTEGER)", "table notes: not created by forecast-ledger"),
    ("CREATE VIEW extra AS SELECT 1 AS one", "view extra: not created by forecast-ledger"),
    ("CREATE SEQUENCE counter", "sequence counter: not created by forecast-ledger"),
    ("CREATE INDEX by_seq ON entries (seq)", "index by_seq: not created by forecast-ledger"),
    ("CREATE TYPE mood AS ENUM ('up', 'down')", "type mood: not created by forecast-ledger"),
    ("CREATE SCHEMA side", "schema side: not created by forecast-ledger"),
    ("ALTER TABLE forecasts ADD COLUMN weight DOUBLE",
     "table forecasts: its columns differ from forecast-ledger's"),
    ("ALTER TABLE blocks ALTER hash DROP NOT NULL",
     "table blocks: its columns differ from forecast-ledger's"),
    ("INSERT INTO meta VALUES ('note', 'hello')", "meta note: not written by forecast-ledger"),
    ("INSERT INTO meta VALUES ('v1_head', 'forged')", "meta v1_head: not a SHA-256 hash"),
])
def test_an_object_or_meta_row_forecast_ledger_did_not_create_is_named(run, tampered,
                                                                       statement, line):
    tamper(tampered, statement)
    assert_refused(run, line)


def test_several_changes_are_counted_in_one_line(run, tampered):
    tamper(tampered, "CREATE TABLE notes (x INTEGER)", "CREATE SEQUENCE counter")
    assert_refused(run, "sequence counter: not created by forecast-ledger (and 1 more)")
    assert run("verify", "--json").stdout and json.loads(run("verify", "--json").stdout)[
        "problems"] == ["sequence counter: not created by forecast-ledger",
                        "table notes: not created by forecast-ledger"]


def test_a_typed_table_replaced_by_a_view_is_refused_on_open(run, tampered):
    before = tampered.read_bytes()
    tamper(tampered, "CREATE TABLE forecasts_copy AS SELECT * FROM forecasts",
           "DROP TABLE forecasts",
           "CREATE VIEW forecasts AS SELECT * REPLACE (0.99 AS probability) FROM forecasts_copy")
    changed = tampered.read_bytes()
    assert changed != before
    for args in (["list"], ["verify"], ["forecast", "sample-ships", "--p", "0.5"]):
        result = run(*args)
        assert result.exit_code == 1, args
        assert result.stderr.strip() == f"error: table forecasts: missing {HINT}"
    assert tampered.read_bytes() == changed


def test_views_an_earlier_version_wrote_pass_verify_and_are_upgraded_on_the_next_write(
        tmp_path):
    # A ledger made before the late rule read entry order holds the older view texts (and a
    # latest_forecasts view this version no longer makes): older, not tampered with.
    import duckdb as _duckdb
    from conftest import Cli

    from ledger.storage import schema as _schema

    run = Cli(tmp_path / "old.duckdb")
    assert run("add", "Will the old views upgrade cleanly?", "--by", "2030-01-01",
               "--p", "0.4").exit_code == 0
    con = _duckdb.connect(str(run.db))
    for statement in _schema.PREVIOUS_VIEWS:
        con.execute(statement)
    con.execute("DELETE FROM meta WHERE key = 'views'")  # 0.1 kept no revision of its views
    con.close()
    assert run("verify").exit_code == 0
    assert run("forecast", "will-the-old-views-upgrade-cleanly", "--p", "0.5").exit_code == 0
    con = _duckdb.connect(str(run.db))
    views = dict(con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal"
                             ).fetchall())
    con.close()
    assert "latest_forecasts" not in views
    assert "first_seq" in views["current_resolutions"]
    assert run("verify").exit_code == 0


def test_a_view_changed_to_neither_this_nor_an_earlier_text_is_still_named(tmp_path):
    import duckdb as _duckdb
    from conftest import Cli

    run = Cli(tmp_path / "l.duckdb")
    assert run("add", "Will a changed view be caught?", "--by", "2030-01-01").exit_code == 0
    con = _duckdb.connect(str(run.db))
    con.execute("CREATE OR REPLACE VIEW current_resolutions AS SELECT * FROM resolutions")
    con.close()
    assert run("forecast", "will-a-changed-view-be-caught", "--p", "0.5").exit_code == 0
    result = run("verify")
    assert result.exit_code == 1
    assert "view current_resolutions: its SQL differs from forecast-ledger's" in result.stderr


def test_the_generated_expected_catalog_equals_one_built_from_the_ddl() -> None:
    # verify reads the expected catalog from a generated module (saving ~70 ms a run); a DDL
    # change without regenerating it would make expected() build the catalog every time.
    from ledger.storage import catalog, catalog_expected

    assert catalog.ddl_digest() == catalog_expected.DIGEST, (
        "schema.DDL changed: regenerate with `python -m ledger.storage.catalog`")
    assert catalog.built_catalog() == catalog_expected.CATALOG
    assert catalog.expected() == catalog.built_catalog()


def test_expected_catalog_is_built_when_the_generated_copy_is_for_another_ddl(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ledger.storage import catalog, catalog_expected

    monkeypatch.setattr(catalog_expected, "DIGEST", "0" * 64)
    monkeypatch.setattr(catalog_expected, "CATALOG", {"table forged": ""})
    catalog.expected.cache_clear()
    try:
        assert catalog.expected() == catalog.built_catalog()
    finally:
        catalog.expected.cache_clear()
