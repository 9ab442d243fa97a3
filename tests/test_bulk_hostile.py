"""Hostile CSV and Parquet files: names that look like patterns, columns of the wrong type,
invisible characters, broken quoting, a bad row far into the file, dates out of range."""

from __future__ import annotations

import duckdb
import pytest
from conftest import DATA, snapshot, write

COLS = "question_id,question,criteria,resolve_by,opened,forecaster,probability,made_at\n"
ROW = "q-h,Will H happen?,Yes if H.,2026-06-01,2026-01-01"


def _parquet(path, sql: str):
    duckdb.sql(f"COPY ({sql}) TO '{str(path).replace(chr(39), chr(39) * 2)}' (FORMAT parquet)")
    return path


def test_a_csv_name_with_a_star_is_that_file_and_no_other(run, tmp_path):
    starred = write(tmp_path / "a*.csv", COLS + f"{ROW},ann,0.5,2026-01-02\n")
    write(tmp_path / "ab.csv", COLS + f"{ROW},bob,0.6,2026-01-03\n")
    result = run("import", str(starred))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "1 file read; added 1 new question, 1 new forecast"
    assert [f["forecaster"] for f in run.json("show", "q-h")["forecast_history"]] == ["ann"]


def test_a_missing_file_whose_name_is_a_pattern_reads_nothing(run, tmp_path, db):
    write(tmp_path / "ab.csv", COLS + f"{ROW},bob,0.6,2026-01-03\n")
    result = run("import", str(tmp_path / "a?.csv"))
    assert result.exit_code == 2  # the command line checks the file is there (a usage error)
    assert f"no such file: {tmp_path / 'a?.csv'}" in result.stderr
    assert not db.exists()
    # and the library itself, as the dashboard or a script would call it
    from ledger.errors import ValidationFailed
    from ledger.ingest.bulk import import_tables
    from ledger.storage.store import Ledger

    with pytest.raises(ValidationFailed) as refused:
        import_tables(Ledger(db), [tmp_path / "a?.csv"])
    assert [str(p) for p in refused.value.problems] == [f"{tmp_path / 'a?.csv'}: no such file"]
    assert not db.exists()


def test_a_parquet_name_with_a_star_writes_each_entry_number_once(run, tmp_path):
    src = write(tmp_path / "rows.csv", COLS + f"{ROW},ann,0.5,2026-01-02\n")
    for name in ("p*.parquet", "p1.parquet", "p2.parquet"):
        _parquet(tmp_path / name, f"SELECT * FROM read_csv('{src}', all_varchar=true)")
    result = run("import", str(tmp_path / "p*.parquet"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "1 file read; added 1 new question, 1 new forecast"
    assert run("verify").exit_code == 0


@pytest.mark.parametrize(("column", "sql", "shown"), [
    ("tags", "['a', 'b']", "VARCHAR[]"),
    ("rationale", "'\\x00'::BLOB", "BLOB"),
    ("criteria", "{'a': 1}", "STRUCT(a INTEGER)"),
])
def test_parquet_columns_of_the_wrong_type_are_refused(run, tmp_path, db, column, sql, shown):
    pq = _parquet(tmp_path / "typed.parquet",
                  "SELECT 'q-h' AS question_id, 'Will H happen?' AS question, "
                  "'Yes if H.' AS criteria, '2026-06-01' AS resolve_by, '2026-01-01' AS opened, "
                  f"'ann' AS forecaster, 0.5 AS probability, '2026-01-02' AS made_at, "
                  f"{sql} AS {column}" if column != "criteria" else
                  "SELECT 'q-h' AS question_id, 'Will H happen?' AS question, "
                  "'2026-06-01' AS resolve_by, '2026-01-01' AS opened, 'ann' AS forecaster, "
                  f"0.5 AS probability, '2026-01-02' AS made_at, {sql} AS criteria")
    result = run("import", str(pq))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{pq}: {column}: is a {shown} column; it must hold text, numbers or dates",
        "error: 1 problem found; nothing was written"]
    assert not db.exists()


def test_numbers_and_dates_in_parquet_are_read_as_their_text(run, tmp_path):
    pq = _parquet(tmp_path / "typed.parquet",
                  "SELECT 'q-h' AS question_id, 'Will H happen?' AS question, "
                  "'Yes if H.' AS criteria, DATE '2026-06-01' AS resolve_by, "
                  "DATE '2026-01-01' AS opened, 'ann' AS forecaster, 0.3 AS probability, "
                  "DATE '2026-01-02' AS made_at")
    assert run("import", str(pq)).exit_code == 0
    shown = run.json("show", "q-h")
    assert (shown["forecast_history"][0]["probability"], shown["resolve_by"]) == (
        0.3, "2026-06-01")


@pytest.mark.parametrize(("value", "char"), [
    ("bob\u200b", "U+200B"), ("\u202ebob", "U+202E"), ("b\x00ob", "U+0000"),
    ("b\x07ob", "U+0007"), ("b\rob", "U+000D"), ("\ufeffbob", "U+FEFF"), ("bo\u2066b", "U+2066"),
])
def test_invisible_and_control_characters_in_a_name_are_refused(run, tmp_path, db, value, char):
    rows = write(tmp_path / "n.csv", COLS + f'{ROW},"{value}",0.5,2026-01-02\n')
    result = run("import", str(rows))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{rows}:2: forecaster: {value!r} holds an invisible or control character ({char}); "
        "remove it")
    assert not db.exists()


def test_an_emoji_sequence_is_not_an_invisible_character(run, tmp_path):
    rows = write(tmp_path / "e.csv", COLS
                 + "q-h,Will 👩\u200d🔬 publish?,Yes if so.,2026-06-01,2026-01-01,ann,0.5,"
                   "2026-01-02\n")
    assert run("import", str(rows)).exit_code == 0
    assert run.json("show", "q-h")["question"] == "Will 👩\u200d🔬 publish?"


def test_an_unterminated_quote_is_one_line_and_leaves_no_ledger(run, tmp_path, db):
    rows = write(tmp_path / "q.csv", COLS + f"{ROW},ann,0.5,2026-01-02\n"
                 + f'{ROW},"bob,0.5,2026-01-03\n' + f"{ROW},cy,0.5,2026-01-04\n")
    result = run("import", str(rows))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f'{rows}:3: a quoted cell is never closed (a " is missing)',
        "error: 1 problem found; nothing was written"]
    assert not db.exists()


def test_a_bad_row_after_the_sniffing_sample_is_one_line_and_leaves_no_ledger(run, tmp_path,
                                                                             db):
    good = "".join(f"{ROW},f{i % 7},0.5,2026-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}"
                   f":{(i // 60) % 60:02d}Z\n" for i in range(30_000))
    rows = write(tmp_path / "big.csv", COLS + good + f"{ROW},zed,0.5,2026-01-02,extra\n")
    result = run("import", str(rows))
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"{rows}:30002: this row has 9 cells, the header has 8",
        "error: 1 problem found; nothing was written"]
    assert not db.exists()


def test_a_refused_first_import_of_a_broken_parquet_leaves_no_ledger(run, tmp_path, db):
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not really parquet PAR1")
    result = run("import", str(broken))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(f"{broken}: cannot read it: ")
    assert not db.exists()


@pytest.mark.parametrize(("column", "value", "message"), [
    ("made_at", "0001-01-01", "0001-01-01 is out of range (1900-01-01 to 2999-12-31)"),
    ("made_at", "9999-12-31", "9999-12-31 is out of range (1900-01-01 to 2999-12-31)"),
    ("made_at", "2026-01-02T10:00:00+99:99", "'2026-01-02T10:00:00+99:99' is not a date or "
     "time (write 2027-05-21 or 2027-05-21T18:30:00-07:00)"),
    ("made_at", "2026-01-02T10:00:00+24:00", "'2026-01-02T10:00:00+24:00' is not a date or "
     "time (write 2027-05-21 or 2027-05-21T18:30:00-07:00)"),
    ("resolve_by", "9999-12-31", "9999-12-31 is out of range (1900-01-01 to 2999-12-31)"),
    ("opened", "0001-01-01", "0001-01-01 is out of range (1900-01-01 to 2999-12-31)"),
])
def test_dates_and_offsets_out_of_range_are_refused_and_the_ledger_still_shows(
        run, tmp_path, db, column, value, message):
    assert run("import", str(DATA / "good.yaml")).exit_code == 0
    before = snapshot(db)
    cells = {"resolve_by": "2026-06-01", "opened": "2026-01-01", "made_at": "2026-01-02",
             column: value}
    rows = write(tmp_path / "d.csv", COLS + f"q-h,Will H happen?,Yes if H.,{cells['resolve_by']},"
                 f"{cells['opened']},ann,0.5,{cells['made_at']}\n")
    result = run("import", str(rows))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"{rows}:2: {column}: {message}"
    assert snapshot(db) == before
    for args in (("list",), ("show", "sample-ships"), ("export", "--format", "ics")):
        assert run(*args).exit_code == 0
