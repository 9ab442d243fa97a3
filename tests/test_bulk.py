"""CSV and Parquet import through DuckDB's readers, with the rules of forecast files."""

from __future__ import annotations

import duckdb
from conftest import DATA, snapshot, write

HEADER = "question_id,question,criteria,resolve_by,opened,tags,forecaster,probability,made_at," \
         "outcome,resolved_on\n"


def test_csv_export_reimports_to_the_same_ledger(run, tmp_path):
    assert run("import", str(DATA / "good.yaml")).exit_code == 0
    run("forecast", "sample-price-rises", "--p", "0.3", "--at", "2026-05-21T22:30:00-07:00",
        forecaster="west")
    csv_path = tmp_path / "flat.csv"
    assert run("export", "--format", "csv", "--out", str(csv_path)).exit_code == 0
    from conftest import Cli

    other = Cli(tmp_path / "other.duckdb")
    # the source is defined in YAML; bulk rows refer to it by id
    write(tmp_path / "src.yaml", "source:\n  id: sample-outlet-2026\n  title: A sample article "
          "with two claims\n  publisher: Sample Outlet\n  author: Sam Ple\n  url: "
          "https://example.org/sample\n  published: 2026-01-10\n")
    assert other("import", str(tmp_path / "src.yaml")).exit_code == 0
    result = other("import", str(csv_path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == (
        "1 file read; added 2 new questions, 5 new forecasts, 1 new resolution")
    assert other("verify").exit_code == 0
    mine, theirs = run.json("list"), other.json("list")
    assert [(q["id"], q["status"], q["forecasts"]) for q in mine] == \
        [(q["id"], q["status"], q["forecasts"]) for q in theirs]
    # the west-of-UTC forecast keeps its calendar day and offset
    with duckdb.connect(str(tmp_path / "other.duckdb")) as con:
        assert con.execute("SELECT made_on, utc_offset FROM forecasts WHERE forecaster = 'west'"
                           ).fetchall()[0][1] == -420
    again = other("import", str(csv_path))
    assert again.stdout.strip() == (
        "1 file read; the ledger already holds everything in them, nothing changed")


def test_parquet_import(run, tmp_path):
    src = write(tmp_path / "rows.csv", HEADER
                + "q-a,Will A happen?,Yes if A.,2026-06-01,2026-01-01,x;y,ann,0.25,2026-02-01,yes,"
                  "2026-05-01\n"
                + "q-a,Will A happen?,Yes if A.,2026-06-01,2026-01-01,x;y,ann,35%,"
                  "2026-03-01T08:00:00+01:00,yes,2026-05-01\n")
    pq = tmp_path / "rows.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{src}', all_varchar=true)) TO '{pq}' "
               "(FORMAT parquet)")
    result = run("import", str(pq))
    assert result.exit_code == 0, result.stderr
    shown = run.json("show", "q-a")
    assert [f["probability"] for f in shown["forecast_history"]] == [0.25, 0.35]
    assert shown["tags"] == ["x", "y"] and shown["outcome"] == "yes"
    assert run("verify").exit_code == 0


def test_bad_rows_are_refused_with_file_line_field_and_nothing_written(run, tmp_path, db):
    assert run("import", str(DATA / "good.yaml")).exit_code == 0
    before = snapshot(db)
    bad = write(tmp_path / "bad.csv", HEADER
                + "q-b,Will B happen?,Yes if B.,2026-06-01,2026-01-01,,bea,1.2,2026-02-01,,\n"
                + "q-b,Will B happen?,Yes if B.,2026-06-01,2026-01-01,,bea,0.5,2026-02-30,,\n"
                + "Q B,Will B happen?,Yes if B.,2026-06-01,2026-01-01,,bea,0.5,2026-02-01,maybe,"
                  "2026-05-01\n"
                + "sample-ships,,,,,,alice,0.1,2026-01-10,,\n")
    result = run("import", str(bad))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f'{bad}:2: probability: 1.2 is not between 0 and 1 (write 0.8, "80%", "3:1" or "1 in 5")',
        f"{bad}:3: made_at: 2026-02-30 is not a real date (check the day and month)",
        f"{bad}:4: outcome: 'maybe' is not one of yes, no, ambiguous or annulled",
        f"{bad}:4: question_id: 'Q B' is not a valid id (use lowercase letters, digits, '-', "
        "'_' or '.', starting with a letter or digit, at most 100 characters)",
        "error: 4 problems found; nothing was written",
    ]
    assert snapshot(db) == before


def test_changed_probability_is_a_conflict(run, tmp_path, db):
    assert run("import", str(DATA / "good.yaml")).exit_code == 0
    before = snapshot(db)
    rows = write(tmp_path / "c.csv", "question_id,forecaster,probability,made_at\n"
                 "sample-ships,alice,0.6,2026-01-10\n")
    result = run("import", str(rows))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{rows}:2: probability: the ledger holds 0.7 for alice's forecast made at 2026-01-10, "
        "the file says 0.6; forecasts are never changed (log a new one with a later made_at)")
    assert snapshot(db) == before


def test_unknown_and_missing_columns(run, tmp_path):
    rows = write(tmp_path / "u.csv", "question_id,forcaster,probability\nq,a,0.5\n")
    result = run("import", str(rows))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:3] == [
        f"{rows}:1: forcaster: unknown column; did you mean 'forecaster'?",
        f"{rows}:1: forecaster: missing column (this field is required)",
        f"{rows}:1: made_at: missing column (this field is required)",
    ]


def test_new_question_needs_its_columns(run, tmp_path):
    rows = write(tmp_path / "n.csv", "question_id,forecaster,probability,made_at\n"
                 "brand-new,a,0.5,2026-01-01\n")
    result = run("import", str(rows))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{rows}:2: question: question 'brand-new' is not in the ledger, so its row needs "
        "question, resolve_by and opened")


def test_mixing_yaml_and_tables_is_a_usage_error(run, tmp_path):
    rows = write(tmp_path / "n.csv", "question_id,forecaster,probability,made_at\n")
    result = run("import", str(DATA / "good.yaml"), str(rows))
    assert result.exit_code == 2
    assert "import YAML files and CSV/Parquet tables in separate commands" in result.stderr


def test_future_dates_are_refused(run, tmp_path):
    rows = write(tmp_path / "f.csv", HEADER
                 + "q-f,Will F happen?,Yes if F.,2999-06-01,2026-01-01,,fay,0.5,2999-01-01,,\n"
                 + "q-g,Will G happen?,Yes if G.,2999-06-01,2026-01-01,,fay,0.5,2026-01-01,yes,"
                   "2999-01-01\n")
    result = run("import", str(rows))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        f"{rows}:2: made_at: 2999-01-01 is in the future (log a forecast once it is made)",
        f"{rows}:3: resolved_on: 2999-01-01 is in the future; resolve once it has happened",
    ]


def test_dry_run_on_a_missing_ledger_creates_nothing(run, tmp_path, db):
    rows = write(tmp_path / "d.csv", HEADER
                 + "q-d,Will D happen?,Yes if D.,2026-06-01,2026-01-01,,dee,0.4,2026-02-01,,\n")
    result = run("import", "--dry-run", str(rows))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "1 file read; would add 1 new question, 1 new forecast"
    assert not db.exists()


def test_unreadable_table_is_refused_with_the_file_named(run, tmp_path, db):
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not really parquet")
    result = run("import", str(broken))
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{broken}: cannot read it: ")
    assert "Traceback" not in result.stderr
    assert not db.exists() or snapshot(db).startswith("entries: []")


def test_parquet_rows_are_numbered_from_one_in_messages(run, tmp_path, db):
    """Parquet has no header line: the reader's own row numbers name the bad row."""
    src = write(tmp_path / "rows.csv", HEADER
                + "q-c,Will C happen?,Yes if C.,2026-06-01,2026-01-01,,cy,0.2,2026-02-01,,\n"
                + "q-c,Will C happen?,Yes if C.,2026-06-01,2026-01-01,,cy,0.3,2026-02-02,,\n"
                + "q-c,Will C happen?,Yes if C.,2026-06-01,2026-01-01,,cy,140%,2026-02-03,,\n")
    pq = tmp_path / "rows.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{src}', all_varchar=true)) TO '{pq}' "
               "(FORMAT parquet, ROW_GROUP_SIZE 1)")  # one row group a row: order still holds
    result = run("import", str(pq))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f'{pq}:3: probability: 140% is not between 0 and 1 (write 0.8, "80%", "3:1" or '
        '"1 in 5")')
    assert not db.exists()


def test_a_forecast_twice_and_a_question_that_disagrees_are_refused(run, tmp_path, db):
    bad = write(tmp_path / "twice.csv", HEADER
                + "q-d,Will D happen?,Yes if D.,2026-06-01,2026-01-01,,dee,0.2,2026-02-01,,\n"
                + "q-d,Will D happen?,Yes if D.,2026-06-01,2026-01-01,,eve,0.3,2026-02-01,,\n"
                + "q-d,Will D happen?,Yes if D.,2026-06-01,2026-01-01,,dee,0.4,2026-02-01,,\n"
                + "q-d,Will D happen?,Yes if D!,2026-06-01,2026-01-01,,eve,0.5,2026-02-02,,\n")
    result = run("import", str(bad))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{bad}:4: made_at: dee already has a forecast made at 2026-02-01 on this question "
        "(line 2)",
        f"{bad}:5: criteria: differs from the first row of question 'q-d' ('Yes if D.'); every "
        "row of a question must agree",
        "error: 2 problems found; nothing was written",
    ]
    assert not db.exists()
