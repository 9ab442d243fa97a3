"""The CLI through its real entry point, on real ledger files and real YAML files."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta

from conftest import DATA, FORECASTS, run_script, snapshot, write
from oracles import LATEST_FORECASTS_SQL

from ledger.reports.queries import list_questions
from ledger.storage.store import Ledger

TODAY = date.today()


def test_article_forecasts_import_as_open_questions(run, ledger):
    result = run("import", str(FORECASTS))
    assert result.exit_code == 0, result.stderr
    assert "7 new questions" in result.stdout
    listed = run.json("list")
    assert len(listed) == 7
    assert {q["status"] for q in listed} == {"open"}
    assert {q["resolve_by"] for q in listed} == {"2027-05-21", "2028-05-21"}
    assert all(q["source_id"] == "tjs-karpathy-anthropic-2026-05" for q in listed)
    # the outlet commits to a direction once; everything else is tracked with no forecast
    with_forecasts = [q for q in listed if q["forecasts"]]
    assert [q["forecasts"][0]["forecaster"] for q in with_forecasts] == ["TJS (outlet)"]
    human = run("list")
    assert "anthropic-paper-cites-claude-accelerated-pretraining" in human.stdout
    assert "no forecast yet" in human.stdout


def test_reimport_is_idempotent(run, db):
    assert run("import", str(DATA / "good.yaml")).exit_code == 0
    before = snapshot(db)
    again = run("import", str(DATA / "good.yaml"))
    assert again.exit_code == 0
    assert again.stdout.strip() == (
        "1 file read; the ledger already holds everything in them, nothing changed")
    assert snapshot(db) == before


def test_dry_run_writes_nothing(run, db, tmp_path):
    result = run("import", "--dry-run", str(DATA / "good.yaml"))
    assert result.exit_code == 0
    assert "would add new question sample-ships" in result.stdout
    assert "would add 1 new source, 2 new questions, 4 new forecasts, 1 new resolution" \
        in result.stdout
    assert not db.exists()


def test_new_forecast_in_edited_file_is_appended(run, tmp_path, ledger):
    text = (DATA / "good.yaml").read_text()
    path = write(tmp_path / "f.yaml", text)
    assert run("import", str(path)).exit_code == 0
    write(path, text.replace("        implied_from: prices will hold\n",
                             "        implied_from: prices will hold\n"
                             "      - forecaster: carol\n        probability: 0.4\n"
                             "        made_at: 2026-02-01\n"))
    result = run("import", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "1 file read; added 1 new forecast"
    with ledger.connect() as con:
        rows = con.execute("SELECT forecaster, probability FROM forecasts "
                           "WHERE question_id = 'sample-price-rises' ORDER BY seq").fetchall()
    assert rows == [("Sample Outlet", 0.001), ("carol", 0.4)]


def test_changed_forecast_value_is_a_conflict_naming_both_values(run, tmp_path, db):
    text = (DATA / "good.yaml").read_text()
    path = write(tmp_path / "f.yaml", text)
    assert run("import", str(path)).exit_code == 0
    before = snapshot(db)
    write(path, text.replace("probability: 70%", "probability: 65%"))
    result = run("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:17: probability: the ledger holds 0.7 for alice's forecast made at "
        "2026-01-10, the file says 0.65; forecasts are never changed (log a new one with a "
        "later made_at)",
        "error: 1 problem found; nothing was written",
    ]
    assert snapshot(db) == before


def test_bad_yaml_is_refused_with_file_line_field_and_nothing_written(run, tmp_path, db):
    assert run("import", str(DATA / "good.yaml")).exit_code == 0
    before = snapshot(db)
    bad = write(tmp_path / "x.yaml", """\
questions:
  - id: bad-one
    question: Is this a bad file?
    criteria: It is.
    resolve_by: 2027-02-30
    opened: 2026-01-01
    forecasts:
      - forecaster: me
        probability: 1.2
        made_at: 2026-01-01
        probabilty: 0.3
""")
    result = run("import", str(bad))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{bad}:5: resolve_by: 2027-02-30 is not a real date (check the day and month)",
        f'{bad}:9: probability: 1.2 is not between 0 and 1 (write 0.8, "80%", "3:1" or '
        '"1 in 5")',
        f"{bad}:11: probabilty: unknown key; did you mean 'probability'?",
        "error: 3 problems found; nothing was written",
    ]
    assert "Traceback" not in result.stderr
    assert snapshot(db) == before


def test_one_bad_file_among_good_ones_writes_nothing(run, tmp_path, db):
    folder = tmp_path / "forecasts"
    write(folder / "a.yaml", (DATA / "good.yaml").read_text())
    write(folder / "b.yaml", "questions:\n  - id: x\n    question: [not, text]\n")
    result = run("import", str(folder))
    assert result.exit_code == 1
    assert not db.exists() or snapshot(db).startswith("entries: []")


def test_add_forecast_resolve_show_roundtrip(run, ledger):
    result = run("add", "Will the test suite pass on CI?", "--p", "80%", "--by",
                 str(TODAY + timedelta(days=10)), "--criteria", "Yes if CI is green.",
                 "--tag", "ci", forecaster="alice")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "added will-the-test-suite-pass-on-ci with alice's forecast 80%"
    qid = "will-the-test-suite-pass-on-ci"
    result = run("forecast", qid, "--p", "3:1", "--note", "more evidence", forecaster="bob")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"logged bob's forecast 75% on {qid}")
    listed = run.json("list", "--tag", "ci")
    assert [(f["forecaster"], f["probability"]) for f in listed[0]["forecasts"]] == [
        ("alice", 0.8), ("bob", 0.75)]
    assert listed[0]["status"] == "open" and listed[0]["days_left"] == 10

    result = run("resolve", qid, "yes", "--on", str(TODAY), "--evidence",
                 "https://example.org/ci", forecaster="carol")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"resolved {qid}: yes on {TODAY}"
    again = run("resolve", qid, "no")
    assert again.exit_code == 1
    assert again.stderr.strip() == (
        f"error: '{qid}' already resolved yes on {TODAY} "
        "(to change it, add --correct --reason \"why\")")
    no_reason = run("resolve", qid, "no", "--correct")
    assert no_reason.exit_code == 1
    assert no_reason.stderr.strip() == 'error: reason: a correction needs a reason (--reason "...")'
    fixed = run("resolve", qid, "no", "--correct", "--reason", "CI was red after all")
    assert fixed.exit_code == 0, fixed.stderr
    shown = run.json("show", qid)
    assert shown["status"] == "resolved" and shown["outcome"] == "no"
    history = shown["resolution_history"]
    assert [r["outcome"] for r in history] == ["yes", "no"]
    assert history[1]["supersedes"] == history[0]["seq"]
    assert history[1]["reason"] == "CI was red after all"
    text = run("show", qid).stdout
    assert "yes on" in text and "(superseded" in text and "correction: CI was red after all" in text
    assert run("verify").exit_code == 0


def test_add_refuses_bad_probability_with_the_library_message(run, db):
    result = run("add", "Will it work?", "--p", "110%", "--by", "2030-01-01")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        'error: probability: 110% is not between 0 and 1 (write 0.8, "80%", "3:1" or "1 in 5")')
    assert snapshot(db) in ("<no ledger file>",) or "entries: []" in snapshot(db)


def test_add_refuses_resolve_by_before_opened(run):
    result = run("add", "Will it have happened?", "--by", "2001-01-01")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: resolve_by: 2001-01-01 is before the question was opened ({TODAY})")


def test_add_same_text_twice_needs_allow_duplicate_and_explicit_duplicate_is_refused(run):
    assert run("add", "Will it rain?", "--by", "2030-01-01").exit_code == 0
    assert run("add", "Will it rain?", "--by", "2030-01-01").exit_code == 1
    second = run("add", "Will it rain?", "--by", "2030-01-01", "--allow-duplicate")
    assert second.stdout.strip() == "added will-it-rain-2"
    dup = run("add", "Will it snow?", "--by", "2030-01-01", "--id", "will-it-rain")
    assert dup.exit_code == 1
    assert dup.stderr.strip() == ("error: question id 'will-it-rain' is already taken "
                                  "(choose another --id, or use `forecast` to update it)")


def test_forecast_on_unknown_question(run):
    run("add", "Will it rain?", "--by", "2030-01-01")
    result = run("forecast", "nope", "--p", "0.5")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: no question 'nope' (see `forecast-ledger list` for ids)"


def test_missing_ledger_says_how_to_start(run):
    result = run("list")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: no ledger at {run.db} (create one with "
                                    "`forecast-ledger import forecasts/`")


def test_usage_error_exits_2(run):
    result = run("resolve", "x", "maybe")
    assert result.exit_code == 2
    assert "'maybe' is not one of" in result.stderr


def test_list_filters(run):
    run("import", str(DATA / "good.yaml"))
    run("add", "Will the overdue thing happen?", "--by", str(TODAY - timedelta(days=3)),
        "--opened", str(TODAY - timedelta(days=30)), "--tag", "late")
    assert run.json("list", "--status", "overdue")[0]["days_left"] == -3
    statuses = {q["id"]: q["status"] for q in run.json("list")}
    assert statuses["sample-ships"] == "resolved"
    assert statuses["sample-price-rises"] == "open"
    assert [q["id"] for q in run.json("list", "--status", "resolved")] == ["sample-ships"]
    assert [q["id"] for q in run.json("list", "--forecaster", "bob")] == ["sample-ships"]
    assert [q["id"] for q in run.json("list", "--tag", "pricing")] == ["sample-price-rises"]
    bad = run("list", "--due-within", "soon")
    assert bad.exit_code == 2
    assert "'soon' is not a duration (write 30d, 2w, 3m or 1y)" in bad.stderr


def test_overdue_and_due_within(ledger):
    from ledger.ingest.importer import import_paths

    import_paths(ledger, [DATA / "good.yaml"])
    with ledger.connect() as con:
        on_time = list_questions(con, today=date(2027, 12, 31))
        late = list_questions(con, today=date(2028, 1, 1))
        due = list_questions(con, today=date(2027, 12, 1), due_within=30)
        not_due = list_questions(con, today=date(2027, 12, 1), due_within=29)
    status = {q["id"]: q["status"] for q in on_time}
    assert status["sample-price-rises"] == "open"  # due today is not overdue
    assert {q["id"]: q["status"] for q in late}["sample-price-rises"] == "overdue"
    assert [q["id"] for q in due] == ["sample-price-rises"]
    assert not_due == []


def test_json_output_is_only_json(run):
    run("import", str(DATA / "good.yaml"))
    for args in (["list"], ["show", "sample-ships"], ["verify"],
                 ["import", str(DATA / "good.yaml")]):
        result = run(*args, "--json")
        assert result.exit_code == 0
        json.loads(result.stdout)


def test_export_refuses_to_overwrite_without_force(run, tmp_path):
    run("import", str(DATA / "good.yaml"))
    out = write(tmp_path / "backup.yaml", "keep me")
    result = run("export", "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {out} exists (add --force to overwrite it, or choose another --out)")
    assert out.read_text() == "keep me"
    assert run("export", "--out", str(out), "--force").exit_code == 0
    assert out.read_text().startswith("# forecast-ledger export")


def test_export_formats(run, tmp_path):
    import duckdb

    run("import", str(DATA / "good.yaml"))
    csv_text = run("export", "--format", "csv").stdout
    assert csv_text.splitlines()[0].startswith("seq,question_id,question,criteria,resolve_by")
    assert len(csv_text.splitlines()) == 1 + 4
    data = json.loads(run("export", "--format", "json").stdout)
    assert data["documents"][0]["source"]["id"] == "sample-outlet-2026"
    parquet = tmp_path / "f.parquet"
    assert run("export", "--format", "parquet", "--out", str(parquet)).exit_code == 0
    rows = duckdb.sql(f"SELECT question_id, probability FROM '{parquet}' ORDER BY seq").fetchall()
    assert rows[0] == ("sample-ships", 0.7) and len(rows) == 4
    no_out = run("export", "--format", "parquet")
    assert no_out.exit_code == 1
    ics = run("export", "--format", "ics").stdout_bytes.decode()
    assert ics.startswith("BEGIN:VCALENDAR\r\n")
    assert "DTSTART;VALUE=DATE:20271231" in ics  # the unresolved question only
    assert "20260630" not in ics
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))


def test_forecast_late_in_the_evening_west_of_utc(run, ledger):
    """22:30 in California on the 21st is 05:30 UTC on the 22nd: it still counts as the 21st."""
    write_q = DATA / "good.yaml"
    run("import", str(write_q))
    run("add", "Will the west coast event happen?", "--by", "2026-05-21", "--id", "west",
        "--opened", "2026-05-01")
    # made on the resolve-by day, late in the evening in Los Angeles
    ok = run("forecast", "west", "--p", "0.6", "--at", "2026-05-21T22:30:00-07:00")
    assert ok.exit_code == 0, ok.stderr
    assert ok.stdout.strip() == "logged tester's forecast 60% on west (2026-05-21)"
    run("resolve", "west", "yes", "--on", "2026-05-21")
    with ledger.connect() as con:
        (made_on, late), = con.execute(
            "SELECT made_on, late FROM forecasts_flagged WHERE question_id = 'west'").fetchall()
        listed = list_questions(con, today=date(2026, 5, 21))
    assert made_on == date(2026, 5, 21)
    assert late is False  # made on the resolution date, recorded before the resolution
    assert {q["id"]: q["status"] for q in listed}["west"] == "resolved"
    # 00:30 on the 22nd in Los Angeles is after the question resolved: refused
    after = run("forecast", "west", "--p", "0.9", "--at", "2026-05-22T00:30:00-07:00")
    assert after.exit_code == 1
    assert after.stderr.strip() == (
        "error: 'west' resolved yes on 2026-05-21; a forecast made on 2026-05-22 came after the "
        "outcome was known (forecasts are for open questions; see `forecast-ledger list "
        "--status open`)")


def test_overdue_uses_the_users_zone(run, tmp_path):
    """At 23:00 on the 21st in Los Angeles a question due the 21st is not overdue yet."""
    from ledger.format.dates import local_zone

    path = write(tmp_path / "q.yaml", """\
questions:
  - id: zone-check
    question: Will the zone check pass?
    criteria: Yes if it passes.
    opened: 2020-01-01
    resolve_by: 2026-05-21
""")
    run("import", str(path))
    with Ledger(run.db).connect() as con:
        assert list_questions(con, today=date(2026, 5, 21))[0]["status"] == "open"
        assert list_questions(con, today=date(2026, 5, 22))[0]["status"] == "overdue"
    import os

    os.environ["FORECAST_LEDGER_TZ"] = "America/Los_Angeles"
    try:
        assert str(local_zone()) == "America/Los_Angeles"
    finally:
        del os.environ["FORECAST_LEDGER_TZ"]


def test_console_script_and_python_m(tmp_path):
    import subprocess

    result = run_script("--help")
    assert result.returncode == 0
    for command in ("import", "add", "forecast", "resolve", "list", "show", "export", "verify"):
        assert command in result.stdout
    as_module = subprocess.run([sys.executable, "-m", "ledger", "--db", str(tmp_path / "x"),
                                "list"], capture_output=True, text=True)
    assert as_module.returncode == 1
    assert as_module.stderr.startswith("error: no ledger at")
    assert "Traceback" not in as_module.stderr


def test_console_script_end_to_end(tmp_path):
    db = str(tmp_path / "l.duckdb")
    imported = run_script("--db", db, "import", str(FORECASTS))
    assert imported.returncode == 0, imported.stderr
    listed = run_script("--db", db, "list", "--status", "open", "--json")
    assert len(json.loads(listed.stdout)) == 7
    bad = run_script("--db", db, "forecast", "nope", "--p", "2")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    verified = run_script("--db", db, "verify")
    assert verified.returncode == 0 and verified.stdout.startswith("ok: 9 entries")


def test_resolution_in_the_future_is_refused_in_files(run, tmp_path):
    path = write(tmp_path / "r.yaml", """\
questions:
  - id: future-res
    question: Will the future resolve early?
    criteria: Yes if it does.
    opened: 2026-01-01
    resolve_by: 2999-01-01
    resolution:
      outcome: yes
      resolved_on: 2999-01-01
""")
    result = run("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{path}:9: resolved_on: 2999-01-01 is in the future; resolve once it has happened")


def test_multi_document_file_counts_as_one_file(run, tmp_path):
    run("import", str(DATA / "good.yaml"))
    out = tmp_path / "backup.yaml"
    run("add", "Will a personal question survive?", "--by", "2030-01-01")
    assert run("export", "--out", str(out)).exit_code == 0
    assert out.read_text().count("\n---\n") == 2
    from conftest import Cli

    restored = Cli(tmp_path / "restored.duckdb")
    result = restored("import", str(out))
    assert result.stdout.startswith("1 file read; added 1 new source, 3 new questions")
    # forecasts come before the resolution in the restored log, as they did in the original
    kinds = [e["kind"] for e in restored.json("show", "sample-ships")["entries"]]
    assert kinds == ["question", "forecast", "forecast", "forecast", "resolution"]


# The list as the schema's views define it (current_questions, current_resolutions, and
# latest_forecasts over forecasts_flagged): list_questions reads the typed tables directly for
# speed and must agree.
VIEWS_LIST_SQL = f"WITH latest_forecasts AS ({LATEST_FORECASTS_SQL})" + """
, latest AS (
    SELECT question_id, list({'forecaster': forecaster, 'probability': probability,
                              'made_on': made_on, 'late': late} ORDER BY forecaster) AS latest
    FROM latest_forecasts GROUP BY question_id
), seen AS (SELECT DISTINCT question_id FROM forecasts WHERE forecaster = $viewer)
SELECT q.id, q.question, q.criteria, q.resolve_by, q.opened, q.tags, q.source_id, q.blind,
       q.version, q.edited_after_forecast, s.title AS source_title,
       s.publisher AS source_publisher, r.outcome, r.resolved_on, r.evidence,
       CASE WHEN r.outcome IN ('yes', 'no') THEN 'resolved'
            WHEN r.outcome IS NOT NULL THEN r.outcome
            WHEN q.resolve_by < $today THEN 'overdue' ELSE 'open' END AS status,
       datediff('day', $today::DATE, q.resolve_by) AS days_left,
       coalesce(latest.latest, []) AS forecasts,
       q.blind AND ($viewer IS NULL OR seen.question_id IS NULL) AS hidden
FROM current_questions q
LEFT JOIN current_resolutions r ON r.question_id = q.id
LEFT JOIN (SELECT * FROM sources
           QUALIFY row_number() OVER (PARTITION BY id ORDER BY seq) = 1) s ON s.id = q.source_id
LEFT JOIN latest ON latest.question_id = q.id
LEFT JOIN seen ON seen.question_id = q.id
ORDER BY q.resolve_by, q.id
"""


def _views_list(con, today, viewer=None):
    from ledger.reports.queries import rows

    out = rows(con, VIEWS_LIST_SQL, {"today": today, "viewer": viewer})
    for q in out:
        if q["hidden"]:
            q["forecasts"] = [f for f in q["forecasts"] if f["forecaster"] == viewer]
    return out


def test_list_questions_agrees_with_the_views(tmp_path):
    from ledger.ingest import actions
    from ledger.ingest.demo import build_demo
    from ledger.reports.queries import counts, question_titles

    path = tmp_path / "demo.duckdb"
    build_demo(path, n_questions=200, today=TODAY)
    led = Ledger(path)
    with led.connect() as con:
        resolved = con.execute("SELECT question_id, resolved_on FROM current_resolutions "
                               "WHERE outcome = 'yes' ORDER BY question_id LIMIT 1").fetchone()
        blind = con.execute("SELECT id FROM current_questions WHERE blind "
                            "ORDER BY id LIMIT 1").fetchone()[0]
    # A late forecast (recorded after the resolution) and two forecasts on one day, the later
    # one by the clock winning.
    actions.add_forecast(led, resolved[0], 0.42, forecaster="latecomer",
                         made_at=resolved[1].isoformat())
    day = TODAY - timedelta(days=1)
    actions.add_forecast(led, blind, 0.2, forecaster="twice", made_at=f"{day}T09:00:00")
    actions.add_forecast(led, blind, 0.3, forecaster="twice", made_at=f"{day}T08:00:00")
    with led.connect() as con:
        for viewer in (None, "", "twice", "nobody"):
            assert list_questions(con, today=TODAY, viewer=viewer) == _views_list(
                con, TODAY, viewer)
        everything = _views_list(con, TODAY)
        assert any(q["edited_after_forecast"] for q in everything)
        assert any(f["late"] for q in everything for f in q["forecasts"])
        assert [f["probability"] for q in _views_list(con, TODAY, "twice") if q["id"] == blind
                for f in q["forecasts"] if f["forecaster"] == "twice"] == [0.2]
        unresolved = list_questions(con, status=("open", "overdue"), today=TODAY)
        assert unresolved == [q for q in everything if q["status"] in ("open", "overdue")]
        assert unresolved and {q["status"] for q in unresolved} == {"open", "overdue"}
        ids = [everything[5]["id"], everything[2]["id"]]
        assert list_questions(con, ids=ids, today=TODAY) == [everything[2], everything[5]]
        assert list_questions(con, status="resolved", limit=3, today=TODAY) == [
            q for q in everything if q["status"] == "resolved"][:3]
        assert list_questions(con, forecaster="latecomer", today=TODAY) == [
            q for q in everything if q["id"] == resolved[0]]
        n = counts(con, today=TODAY, due_days=30)
        assert n["total"] == len(everything)
        for status in ("open", "overdue", "resolved", "ambiguous", "annulled"):
            assert n[status] == sum(q["status"] == status for q in everything)
        assert n["due_soon"] == sum(q["status"] == "open" and q["days_left"] <= 30
                                    for q in everything)
        keys = ("id", "question", "status", "resolve_by", "days_left")
        assert question_titles(con, today=TODAY) == [{k: q[k] for k in keys}
                                                     for q in everything]
        assert question_titles(con, status=("open",), limit=2, today=TODAY) == [
            {k: q[k] for k in keys} for q in everything if q["status"] == "open"][:2]
        assert [q["id"] for q in question_titles(con, status=("overdue",), today=TODAY)] == [
            q["id"] for q in everything if q["status"] == "overdue"]


def test_list_questions_refuses_an_unknown_status_among_several(ledger):
    import pytest

    from ledger.errors import InvalidValue

    with ledger.connect(create=True) as con, pytest.raises(InvalidValue, match="'later'"):
        list_questions(con, status=("open", "later"))
