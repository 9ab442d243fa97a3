"""CSV and Parquet import through DuckDB's readers, with the rules of forecast files."""

from __future__ import annotations

import json

import duckdb
import pytest
from conftest import DATA, Cli, snapshot, write

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
        made_on, offset = con.execute(
            "SELECT made_on, utc_offset FROM forecasts WHERE forecaster = 'west'").fetchall()[0]
    # 22:30 on the 21st in California is the 22nd in UTC: the day is where it was made
    assert (made_on.isoformat(), offset) == ("2026-05-21", -420)
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


def test_two_parquet_files_and_a_csv_in_one_import(run, tmp_path):
    # Each file is staged in turn (a Parquet file's cells as a view, a CSV's as a table), and
    # the one before is gone by then.
    paths = []
    for i, name in enumerate(("a.parquet", "b.parquet", "c.csv")):
        src = write(tmp_path / f"src{i}.csv", HEADER
                    + f"q-{i},Will {i} happen?,Yes if {i}.,2026-06-01,2026-01-01,x,ann,0.25,"
                      "2026-02-01,yes,2026-05-01\n")
        path = tmp_path / name
        if name.endswith(".csv"):
            path.write_text(src.read_text())
        else:
            duckdb.sql(f"COPY (SELECT * FROM read_csv('{src}', all_varchar=true)) TO '{path}' "
                       "(FORMAT parquet)")
        paths.append(str(path))
    result = run("import", *paths)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == ("3 files read; added 3 new questions, 3 new forecasts, "
                                     "3 new resolutions")
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
        "question, criteria, resolve_by and opened")


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


# -- one door's rules are the other's ------------------------------------------------------

Q_COLS = "question_id,question,criteria,resolve_by,opened,forecaster,probability,made_at\n"
Q_ROW = "q-p,Will P happen?,Yes if P.,2026-06-01,2026-01-01"


def _yaml_question(**forecast: str) -> str:
    lines = "".join(f"        {k}: {json.dumps(v)}\n" for k, v in forecast.items())
    return ("questions:\n  - id: q-p\n    question: Will P happen?\n    criteria: Yes if P.\n"
            "    resolve_by: 2026-06-01\n    opened: 2026-01-01\n    forecasts:\n"
            f"      - forecaster: ann\n{lines}")


def test_every_probability_notation_means_the_same_through_csv_and_yaml(run, tmp_path):
    texts = ["3:1", "1 in 20", "1e-3", "2.5E-2", "33.333333333333333333%", "0.7", "70%"]
    rows = write(tmp_path / "p.csv", Q_COLS + "".join(
        f"{Q_ROW},ann,{t},2026-01-{i + 2:02d}\n" for i, t in enumerate(texts)))
    result = run("import", str(rows))
    assert result.exit_code == 0, result.stderr
    yaml_db = Cli(tmp_path / "yaml.duckdb")
    doc = ("questions:\n  - id: q-p\n    question: Will P happen?\n    criteria: Yes if P.\n"
           "    resolve_by: 2026-06-01\n    opened: 2026-01-01\n    forecasts:\n" + "".join(
               f"      - {{forecaster: ann, probability: '{t}', made_at: 2026-01-{i + 2:02d}}}\n"
               for i, t in enumerate(texts)))
    assert yaml_db("import", str(write(tmp_path / "p.yaml", doc))).exit_code == 0
    through_csv = [f["probability"] for f in run.json("show", "q-p")["forecast_history"]]
    through_yaml = [f["probability"] for f in yaml_db.json("show", "q-p")["forecast_history"]]
    assert through_csv == through_yaml == [0.75, 0.05, 0.001, 0.025, 0.3333333333333333, 0.7,
                                           0.7]


@pytest.mark.parametrize(("column", "value"), [
    ("probability", "1.2"), ("probability", "likely"), ("probability", "0:0"),
    ("forecaster", "x" * 101), ("forecaster", "bob\u200b"), ("forecaster", "\u202ebob"),
    ("forecaster", "b\x07ob"), ("made_at", "0001-01-01"), ("made_at", "9999-12-31"),
    ("made_at", "2026-01-02T10:00:00+99:99"), ("made_at", "2026-01-02T10:00:00+24:00"),
    ("made_at", "2026-02-30"), ("rationale", "a\x00b"), ("implied_from", "x" * 501),
    ("basis", "guessed"), ("recorded_at", "2026-01-01T00:00:00Z"),
])
def test_a_forecast_cell_is_refused_by_csv_exactly_as_by_yaml(run, tmp_path, db, column, value):
    forecast = {"probability": "0.5", "made_at": "2026-01-02", column: value}
    if column == "forecaster":
        forecast.pop("forecaster")
    header = "question_id,question,criteria,resolve_by,opened,forecaster," + ",".join(
        k for k in forecast) + "\n"
    cells = [value if column == "forecaster" else "ann", *forecast.values()]
    rows = write(tmp_path / "f.csv", header + Q_ROW + "," + ",".join(
        '"' + c.replace('"', '""') + '"' for c in cells) + "\n")
    yaml_doc = _yaml_question(**forecast)
    if column == "forecaster":
        yaml_doc = yaml_doc.replace("forecaster: ann", f"forecaster: {json.dumps(value)}")
    yaml_path = write(tmp_path / "f.yaml", yaml_doc)
    by_csv = run("import", str(rows))
    assert not db.exists()  # a refused first import leaves no ledger file
    by_yaml = run("import", str(yaml_path))
    assert by_csv.exit_code == by_yaml.exit_code == 1
    csv_problem, yaml_problem = by_csv.stderr.splitlines()[0], by_yaml.stderr.splitlines()[0]
    assert csv_problem.startswith(f"{rows}:2: {column}: ")
    assert csv_problem.split(": ", 2)[2] == yaml_problem.split(": ", 2)[2]


@pytest.mark.parametrize(("column", "value"), [
    ("question", "hi"), ("question", "x" * 1001), ("question", "   "), ("question", "a\x07bcdef"),
    ("tags", "fine;two words"), ("tags", "a,b"), ("criteria", "x" * 5001),
    ("resolve_by", "2026-13-01"), ("opened", "0001-01-01"),
])
def test_a_question_cell_is_refused_by_csv_exactly_as_by_yaml(run, tmp_path, db, column, value):
    fields = {"question": "Will P happen?", "criteria": "Yes if P.", "resolve_by": "2026-06-01",
              "opened": "2026-01-01", "tags": "x", column: value}
    rows = write(tmp_path / "q.csv", "question_id," + ",".join(fields)
                 + ",forecaster,probability,made_at\nq-p," + ",".join(
                     f'"{v}"' for v in fields.values()) + ",ann,0.5,2026-01-02\n")
    yaml_fields = {**fields, "tags": fields["tags"].split(";")}
    yaml_path = write(tmp_path / "q.yaml", "questions:\n  - id: q-p\n" + "".join(
        f"    {k}: {json.dumps(v)}\n" for k, v in yaml_fields.items()))
    by_csv = run("import", str(rows))
    assert not db.exists()  # a refused first import leaves no ledger file
    by_yaml = run("import", str(yaml_path))
    assert by_csv.exit_code == by_yaml.exit_code == 1
    csv_problem, yaml_problem = by_csv.stderr.splitlines()[0], by_yaml.stderr.splitlines()[0]
    assert csv_problem.startswith(f"{rows}:2: {column}: ")
    assert csv_problem.split(": ", 2)[2] == yaml_problem.split(": ", 2)[2]


def test_recorded_before_made_and_implied_without_phrase_are_refused_as_in_yaml(run, tmp_path,
                                                                                db):
    rows = write(tmp_path / "r.csv", Q_COLS.strip() + ",recorded_at,basis,implied_from\n"
                 + f"{Q_ROW},ann,0.5,2026-01-05T10:00:00Z,2026-01-04T10:00:00Z,,\n"
                 + f"{Q_ROW},ann,0.6,2026-01-06,,implied,\n")
    result = run("import", str(rows))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{rows}:2: recorded_at: 2026-01-04 10:00:00 is before the forecast was made "
        "(2026-01-05 10:00:00)",
        f"{rows}:3: implied_from: missing: a forecast with basis: implied needs the phrase it "
        "was implied from",
        "error: 2 problems found; nothing was written",
    ]
    assert not db.exists()


def test_a_forecaster_is_trimmed_and_normalised_so_a_reimport_adds_nothing(run, tmp_path):
    rows = write(tmp_path / "t.csv", Q_COLS + f"{Q_ROW}, bob ,0.5,2026-01-02\n"
                 + f"{Q_ROW},Zoe\u0308,0.5,2026-01-02\n")
    assert run("import", str(rows)).exit_code == 0
    for _ in range(2):
        again = run("import", str(rows))
        assert again.stdout.strip() == (
            "1 file read; the ledger already holds everything in them, nothing changed")
    names = sorted(f["forecaster"] for f in run.json("show", "q-p")["forecast_history"])
    assert names == ["Zo\u00eb", "bob"]


def test_a_changed_question_text_becomes_a_new_version_as_in_yaml(run, tmp_path):
    first = write(tmp_path / "a.csv", Q_COLS + f"{Q_ROW},ann,0.5,2026-01-02\n")
    assert run("import", str(first)).exit_code == 0
    changed = write(tmp_path / "b.csv", Q_COLS + "q-p,Will P happen soon?,Yes if P.,2026-07-01,"
                    "2026-01-01,ann,0.6,2026-01-03\n")
    result = run("import", str(changed))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "1 file read; added 1 edited question, 1 new forecast"
    shown = run.json("show", "q-p")
    assert (shown["version"], shown["question"], shown["resolve_by"]) == (
        2, "Will P happen soon?", "2026-07-01")
    assert shown["versions"][-1]["edit_reason"] == f"question, resolve_by changed in {changed}"
    assert run("import", str(changed)).stdout.strip().endswith("nothing changed")
    # the YAML door, given the same two states of the question, plans the same version
    yaml_db = Cli(tmp_path / "yaml.duckdb")
    doc = _yaml_question(probability="0.5", made_at="2026-01-02")
    assert yaml_db("import", str(write(tmp_path / "a.yaml", doc))).exit_code == 0
    doc2 = doc.replace("Will P happen?", "Will P happen soon?").replace("2026-06-01",
                                                                         "2026-07-01")
    assert yaml_db("import", str(write(tmp_path / "b.yaml", doc2))).exit_code == 0
    other = yaml_db.json("show", "q-p")
    keep = ("version", "question", "criteria", "resolve_by", "opened", "tags")
    assert {k: shown[k] for k in keep} == {k: other[k] for k in keep}
    assert other["versions"][-1]["edit_reason"] == f"question, resolve_by changed in " \
        f"{tmp_path / 'b.yaml'}"
    assert run("verify").exit_code == 0


def test_lines_are_those_where_rows_start_after_a_multi_line_cell(run, tmp_path, db):
    rows = write(tmp_path / "m.csv", Q_COLS
                 + 'q-m,Will M happen?,"Yes if M.\nSecond line.\nThird line.",2026-06-01,'
                   "2026-01-01,ann,0.5,2026-01-02\n"
                 + "q-m,Will M happen?,\"Yes if M.\nSecond line.\nThird line.\",2026-06-01,"
                   "2026-01-01,ann,1.5,2026-01-03\n")
    result = run("import", str(rows))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f'{rows}:5: probability: 1.5 is not between 0 and 1 (write 0.8, "80%", "3:1" or '
        '"1 in 5")')
    assert not db.exists()


def test_a_forecast_made_after_the_ledgers_resolution_is_refused(run, tmp_path, db):
    assert run("import", str(DATA / "good.yaml")).exit_code == 0  # sample-ships: 2026-06-15
    before = snapshot(db)
    rows = write(tmp_path / "late.csv", "question_id,forecaster,probability,made_at\n"
                 "sample-ships,carol,0.9,2026-06-20\n")
    result = run("import", str(rows))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{rows}:2: made_at: 2026-06-20 is after the question resolved on 2026-06-15; a "
        "forecast made once the outcome was known cannot be logged")
    assert snapshot(db) == before


def test_a_time_without_offset_is_local_time_as_in_yaml(run, tmp_path):
    zone = {"FORECAST_LEDGER_TZ": "America/Los_Angeles"}
    rows = write(tmp_path / "z.csv", Q_COLS + f"{Q_ROW},ann,0.5,2026-01-02T22:30:00\n")
    assert run("import", str(rows), env=zone).exit_code == 0
    yaml_db = Cli(tmp_path / "yaml.duckdb")
    doc = write(tmp_path / "z.yaml", _yaml_question(probability="0.5",
                                                    made_at="2026-01-02T22:30:00"))
    assert yaml_db("import", str(doc), env=zone).exit_code == 0
    keys = ("made_at", "made_on", "utc_offset")
    csv_f = run.json("show", "q-p")["forecast_history"][0]
    yaml_f = yaml_db.json("show", "q-p")["forecast_history"][0]
    assert {k: csv_f[k] for k in keys} == {k: yaml_f[k] for k in keys} == {
        "made_at": "2026-01-03T06:30:00Z", "made_on": "2026-01-02", "utc_offset": -480}


def test_an_import_on_one_thread_or_several_writes_the_same_ledger(tmp_path, monkeypatch):
    """Below bulk_read.ONE_THREAD_BELOW rows DuckDB runs the import on one thread; above it on
    all: the entry numbers, typed rows, numbers and pairs must not depend on which."""
    from ledger.ingest import bulk_read
    from ledger.ingest.bulk import import_tables
    from ledger.storage.store import Ledger

    rows = [HEADER.rstrip("\n")]
    for q in range(40):
        for who in ("ann", "bob", "cy"):
            for month in (2, 3):
                rows.append(f"q-{q},Will {q} happen?,Yes if {q}.,2026-06-01,2026-01-01,x,{who},"
                            f"{(q * 7 + month + len(who)) % 97 + 1}%,2026-0{month}-0{1 + q % 9},"
                            f"{'yes' if q % 2 else 'no'},2026-05-01")
    src = write(tmp_path / "rows.csv", "\n".join(rows) + "\n")

    def ledger_of(name: str, below: int) -> list:
        monkeypatch.setattr(bulk_read, "ONE_THREAD_BELOW", below)
        db = tmp_path / f"{name}.duckdb"
        import_tables(Ledger(db), [src])
        with duckdb.connect(str(db)) as con:
            return [con.execute(sql).fetchall() for sql in (
                "SELECT seq, kind, subject FROM entries ORDER BY seq",
                "SELECT seq, question_id, forecaster, probability, made_at, question_no, "
                "forecaster_no FROM forecasts ORDER BY seq",
                "SELECT * FROM question_numbers ORDER BY 2",
                "SELECT * FROM forecaster_numbers ORDER BY 2",
                "SELECT question_no, forecaster_no, pair_no, forecasts, first_seq, last_seq "
                "FROM pairs ORDER BY pair_no")]

    one = ledger_of("one", 10**9)  # every import is "small": one thread
    several = ledger_of("several", 0)  # every import is "large": DuckDB's default threads
    assert len(one[1]) == 240 and len(one[4]) == 120
    assert several == one
