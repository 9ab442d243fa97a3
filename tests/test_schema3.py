"""Schema 3: the numbers, the pairs table and logged_at, kept by the store and checked by
verify; and the upgrade of schema-2 ledgers on first open."""

from __future__ import annotations

import json
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import DATA, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from old_schema import make_v2
from tampering import HINT, quick_verify_too, tamper  # noqa: F401 (an autouse fixture)

from ledger.format.dates import parse_moment, utc_now
from ledger.ingest.actions import add_forecast
from ledger.ingest.entries import forecast_entry, question_entry
from ledger.ingest.importer import import_paths
from ledger.storage import schema
from ledger.storage.store import Ledger, append


def _rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# -- the upgrade -----------------------------------------------------------------------------

def test_a_schema_2_ledger_is_verified_and_upgraded_when_first_opened(ledger, run):
    import_paths(ledger, [DATA / "good.yaml"])
    head = make_v2(ledger.path)
    bodies = _rows(ledger.path, "SELECT seq, body FROM entries ORDER BY seq")
    assert run("list").exit_code == 0  # any command: a read upgrades it too
    assert ledger.verify() == (len(bodies), head)
    assert _rows(ledger.path, "SELECT value FROM meta WHERE key = 'schema_version'") == [("3",)]
    # Bodies unchanged (so is the chain); the old entries' clock is unknown, not invented.
    assert _rows(ledger.path, "SELECT seq, body FROM entries ORDER BY seq") == bodies
    assert _rows(ledger.path, "SELECT count(*) FROM entries WHERE logged_at IS NOT NULL"
                 ) == [(0,)]
    assert _rows(ledger.path, "SELECT question_id, question_no FROM question_numbers "
                              "ORDER BY question_no") == [("sample-ships", 0),
                                                          ("sample-price-rises", 1)]
    assert _rows(ledger.path, "SELECT count(*) FROM pairs") == [(3,)]
    add_forecast(ledger, "sample-ships", "0.6", forecaster="later", made_at="2026-03-01")
    assert ledger.verify()[0] == len(bodies) + 1
    assert _rows(ledger.path, "SELECT count(*) FROM entries WHERE logged_at IS NOT NULL"
                 ) == [(1,)]
    assert _rows(ledger.path, "SELECT pair_no FROM pairs p JOIN forecaster_numbers f "
                              "USING (forecaster_no) WHERE f.forecaster = 'later'") == [(3,)]


def test_a_tampered_schema_2_ledger_is_refused_and_left_as_it_was(ledger, run):
    import_paths(ledger, [DATA / "good.yaml"])
    make_v2(ledger.path)
    tamper(ledger.path, "UPDATE forecasts SET probability = 0.9 WHERE seq = 5")
    before = ledger.path.read_bytes()
    result = run("list")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: entry #5 (forecast sample-ships): the forecasts table no longer matches the "
        "log (a row was changed, added or deleted outside forecast-ledger) " + HINT)
    assert ledger.path.read_bytes() == before
    assert _rows(ledger.path, "SELECT value FROM meta WHERE key = 'schema_version'") == [("2",)]


# -- the pairs table and the numbers against an oracle ---------------------------------------

QUESTIONS = ("q-a", "q-b", "q-c")
WHO = ("ann", "bob", "cy")
DAY0 = date(2026, 1, 1)

forecasts = st.lists(st.tuples(st.sampled_from(QUESTIONS), st.sampled_from(WHO),
                               st.integers(0, 4), st.integers(0, 2),
                               st.sampled_from([0.1, 0.5, 0.9])), min_size=1, max_size=25)


def _oracle(rows: list[tuple]) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Numbers and pairs worked out in Python from the forecasts table's rows
    ``(seq, question_id, forecaster, made_on, made_at, recorded_at, probability)`` and the
    questions' first entries."""
    pairs: dict[tuple[str, str], list[tuple]] = {}
    for row in rows:
        pairs.setdefault((row[1], row[2]), []).append(row)
    who: dict[str, int] = {}
    for row in sorted(rows):
        who.setdefault(row[2], len(who))
    qno = {q: i for i, q in enumerate(QUESTIONS)}
    out = []
    for n, ((q, f), held) in enumerate(sorted(pairs.items(), key=lambda kv: min(kv[1])[0])):
        ordered = sorted(held, key=lambda r: (r[3], r[4], r[0]))
        ends = [(r[0], r[3], r[4], r[5], r[6]) for r in (ordered[0], ordered[-1])]
        out.append((qno[q], who[f], n, len(held), *ends[0], *ends[1]))
    return sorted(out), sorted(who.items()), sorted(qno.items())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(forecasts, min_size=1, max_size=3))
def test_the_pairs_table_and_numbers_are_what_the_forecasts_define(batches):
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(Path(tmp) / "l.duckdb")
        with ledger.transaction(create=True) as con:
            append(con, [question_entry(q, 1, {"question": f"Will {q}?", "criteria": "c",
                                               "resolve_by": date(2027, 1, 1),
                                               "opened": DAY0}) for q in QUESTIONS])
        for batch in batches:  # later batches refresh pairs the ledger holds already
            with ledger.transaction() as con:
                append(con, [forecast_entry(q, f, p, parse_moment(
                    (datetime(2026, 1, 1 + d) + timedelta(hours=h)).isoformat() + "Z"))
                    for q, f, d, h, p in batch])
        rows = _rows(ledger.path, "SELECT seq, question_id, forecaster, made_on, made_at, "
                                  "recorded_at, probability FROM forecasts")
        pairs, who, qno = _oracle(rows)
        cols = ", ".join(schema.PAIR_COLUMNS)
        assert _rows(ledger.path, f"SELECT {cols} FROM pairs ORDER BY ALL") == pairs
        assert _rows(ledger.path, "SELECT * FROM forecaster_numbers ORDER BY ALL") == who
        assert _rows(ledger.path, "SELECT * FROM question_numbers ORDER BY ALL") == qno
        assert ledger.verify()[0] == len(QUESTIONS) + len(rows)


# -- verify checks what is derived -----------------------------------------------------------

@pytest.fixture
def made(ledger):
    import_paths(ledger, [DATA / "good.yaml"])
    return ledger.path


@pytest.mark.parametrize(("statement", "line"), [
    ("UPDATE pairs SET last_probability = 0.99 WHERE last_seq = 5",
     "entry #3 (forecast sample-ships): the pairs table no longer matches the forecasts (a row "
     "was changed, added or deleted outside forecast-ledger)"),
    ("INSERT INTO pairs SELECT * FROM pairs WHERE pair_no = 1",
     "entry #4 (forecast sample-ships): the pairs table no longer matches the forecasts (a row "
     "was changed, added or deleted outside forecast-ledger)"),
    ("DELETE FROM pairs WHERE pair_no = 1",
     "entry #4 (forecast sample-ships): the pairs table no longer matches the forecasts (a row "
     "was changed, added or deleted outside forecast-ledger)"),
    ("UPDATE pairs SET pair_no = 7 WHERE pair_no = 0",
     "entry #3 (forecast sample-ships): the pairs table no longer matches the forecasts (a row "
     "was changed, added or deleted outside forecast-ledger)"),
    ("UPDATE question_numbers SET question_no = 5 WHERE question_id = 'sample-ships'",
     "entry #2 (question sample-ships): the questions table no longer matches the log (a row "
     "was changed, added or deleted outside forecast-ledger)"),
    # Renumbered everywhere, consistently: only the definition of the numbers catches it.
    (";".join(f"UPDATE {t} SET question_no = 5 WHERE question_no = 0" for t in (
        "question_numbers", "questions", "forecasts", "resolutions", "pairs")),
     "entry #2 (question sample-ships): the question_numbers table no longer matches the log "
     "(a number was changed, added or deleted outside forecast-ledger)"),
    ("UPDATE forecasts SET forecaster_no = 1 WHERE seq = 3",
     "entry #3 (forecast sample-ships): the forecasts table no longer matches the log (a row "
     "was changed, added or deleted outside forecast-ledger)"),
    ("UPDATE entries SET logged_at = logged_at + INTERVAL 1 HOUR WHERE seq = 4",
     "entry #4 (forecast sample-ships): its columns differ from its hashed content"),
])
def test_verify_names_a_changed_number_pair_or_logged_at(run, made, statement, line):
    tamper(made, statement)
    result = run("verify")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {line} {HINT}"


# -- logged_at: the ledger's own clock beside a file's claim ---------------------------------

def test_a_restore_keeps_recorded_at_claims_and_logs_its_own_time(tmp_path, ledger, run):
    claimed = "2026-01-12T08:00:00"
    path = write(tmp_path / "claims.yaml", f"""
questions:
  - id: claimed
    question: Will the claim hold by 2026-06-30?
    criteria: Yes if it holds.
    resolve_by: 2026-06-30
    opened: 2026-01-10
    recorded_at: {claimed}
    forecasts:
      - forecaster: ann
        probability: 0.4
        made_at: 2026-01-11
        recorded_at: {claimed}
""")
    before = utc_now()
    assert run("import", str(path)).exit_code == 0
    after = utc_now()
    rows = _rows(ledger.path, "SELECT recorded_at, logged_at, body FROM entries ORDER BY seq")
    assert len(rows) == 2
    for recorded_at, logged_at, body in rows:
        assert recorded_at == datetime.fromisoformat(claimed)
        assert before <= logged_at <= after
        assert json.loads(body)["logged_at"] == logged_at.isoformat(timespec="microseconds")
    assert run("verify").exit_code == 0
    shown = run("show", "claimed", env={"FORECAST_LEDGER_TZ": "UTC"})
    assert shown.exit_code == 0
    logged = rows[0][1].strftime("%Y-%m-%d %H:%M:%S")
    assert [line for line in shown.stdout.splitlines() if "claimed by the file" in line] == [
        f"  #{n} {kind}: recorded_at 2026-01-12 08:00:00 (claimed by the file; logged {logged})"
        for n, kind in ((1, "question"), (2, "forecast"))]


# -- a bulk import says what it is doing from the start ----------------------------------------

def test_a_bulk_import_reports_each_stage_in_order_then_the_hashing(ledger, tmp_path, run):
    from test_store import bulk_csv

    from ledger.ingest.bulk import import_tables

    path = bulk_csv(tmp_path / "a.csv", 500)
    seen: list[tuple[str, int, int]] = []
    import_tables(ledger, [path], progress=lambda *event: seen.append(event))
    stages = [stage for stage, _n, total in seen if total == 0]
    assert stages == ["staging a.csv", "checking a.csv", "writing a.csv", "pairing",
                      "committing"]
    hashing = [(n, total) for stage, n, total in seen if stage == "hashing"]
    assert hashing == [(550, 550)]  # 50 questions and 500 forecasts, in one batch
    assert seen.index(("hashing", 550, 550)) < seen.index(("committing", 0, 0))
    # The command line's --json output holds the JSON alone.
    again = run("import", str(bulk_csv(tmp_path / "b.csv", 20, start=500)), "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["counts"]
    assert ledger.verify()[0] == 550 + 22
