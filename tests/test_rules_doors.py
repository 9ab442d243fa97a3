"""Defects where one door accepted what another refused, or a restore failed on what the ledger
had accepted: each rule now lives in ledger/rules.py and every door calls it.

Each test drives the real CLI on a real ledger file, asserts the exit code and the exact
message, and checks that a refused change left the ledger as it was.
"""

from __future__ import annotations

from datetime import date, timedelta

from conftest import Cli, snapshot, write

TODAY = date.today()
OPENED = TODAY - timedelta(days=30)


def _question(run: Cli, qid: str = "q1", *, blind: bool = False, forecaster: str = "alice",
              opened: date = OPENED) -> None:
    path = write(run.db.parent / f"{qid}-question.yaml", f"""questions:
  - id: {qid}
    question: Will {qid} happen by the end of next year?
    criteria: Yes if it happens.
    opened: {opened}
    resolve_by: {TODAY + timedelta(days=400)}
    blind: {str(blind).lower()}
""")
    result = run("import", str(path), forecaster=forecaster)
    assert result.exit_code == 0, result.stderr


def _file(tmp_path, body: str):
    return write(tmp_path / "in.yaml", f"""questions:
  - id: q1
    question: Will q1 happen by the end of next year?
    criteria: Yes if it happens.
    opened: {OPENED}
    resolve_by: {TODAY + timedelta(days=400)}
{body}""")


def test_a_resolution_dated_before_a_kept_forecast_still_restores_from_every_export(
        run, tmp_path):
    # The forecast is logged first; the resolution is recorded later with an earlier date, so
    # the forecast is kept and flagged late. The ledger's own YAML export must re-import.
    _question(run)
    made = TODAY - timedelta(days=1)
    assert run("forecast", "q1", "--p", "0.6", "--at", made.isoformat(),
               forecaster="alice").exit_code == 0
    resolved_on = TODAY - timedelta(days=4)
    assert run("resolve", "q1", "no", "--on", resolved_on.isoformat()).exit_code == 0
    shown = run.json("show", "q1", forecaster="alice")
    assert [f["late"] for f in shown["forecast_history"]] == [True]
    backup = tmp_path / "backup.yaml"
    assert run("export", "--out", str(backup), "--reveal-blind").exit_code == 0
    restored = Cli(tmp_path / "restored.duckdb")
    result = restored("import", str(backup))
    assert result.exit_code == 0, result.stderr
    again = restored.json("show", "q1", forecaster="alice")
    assert [f["late"] for f in again["forecast_history"]] == [True]
    assert restored.json("score") == run.json("score")


def test_a_forecast_made_after_the_resolution_date_is_still_refused_in_a_new_file(run, tmp_path):
    path = _file(tmp_path, f"""    forecasts:
      - {{forecaster: alice, probability: 0.6, made_at: {TODAY - timedelta(days=1)}}}
    resolution: {{outcome: no, resolved_on: {TODAY - timedelta(days=4)}}}
""")
    result = run("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{path}:8: made_at: {TODAY - timedelta(days=1)} is after the question resolved on "
        f"{TODAY - timedelta(days=4)}; a forecast made once the outcome was known cannot be "
        "logged")
    assert not run.db.exists()


def test_a_refused_first_import_leaves_no_ledger_file_behind(run, tmp_path):
    # Refused while planning, inside the transaction that creates the file.
    path = write(tmp_path / "in.yaml", f"""questions:
  - id: q1
    question: Will q1 happen by the end of next year?
    criteria: Yes if it happens.
    opened: {TODAY}
    resolve_by: {TODAY - timedelta(days=1)}
""")
    result = run("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{path}:6: resolve_by: {TODAY - timedelta(days=1)} is before the question was opened "
        f"({TODAY})")
    assert not run.db.exists()
    assert list(tmp_path.glob("ledger.duckdb*")) == []


def test_a_name_with_trailing_spaces_is_the_same_forecaster(run):
    _question(run)
    at = (TODAY - timedelta(days=2)).isoformat() + "T10:00:00+00:00"
    assert run("forecast", "q1", "--p", "0.3", "--at", at, forecaster="zed").exit_code == 0
    before = snapshot(run.db)
    result = run("forecast", "q1", "--p", "0.4", "--at", at, forecaster="zed ")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: made_at: zed already has a forecast made at {at} " \
                                    "on 'q1'"
    assert snapshot(run.db) == before


def test_a_forecast_before_the_question_opened_is_refused_by_the_cli(run):
    _question(run, opened=TODAY)
    before = snapshot(run.db)
    early = TODAY - timedelta(days=3)
    result = run("forecast", "q1", "--p", "0.5", "--at", early.isoformat())
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: made_at: {early} is before the question was opened ({TODAY})")
    assert snapshot(run.db) == before


def test_a_resolution_before_the_question_opened_is_refused_by_the_cli(run):
    _question(run, opened=TODAY)
    before = snapshot(run.db)
    early = TODAY - timedelta(days=3)
    result = run("resolve", "q1", "yes", "--on", early.isoformat())
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: resolved_on: {early} is before the question was opened ({TODAY})")
    assert snapshot(run.db) == before


def test_a_forecast_and_a_resolution_before_the_question_opened_are_refused_in_a_file(
        run, tmp_path):
    early = OPENED - timedelta(days=2)
    path = _file(tmp_path, f"""    forecasts:
      - {{forecaster: alice, probability: 0.6, made_at: {early}}}
    resolution: {{outcome: no, resolved_on: {early}}}
""")
    result = run("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        f"{path}:9: resolved_on: {early} is before the question was opened ({OPENED})",
        f"{path}:8: made_at: {early} is before the question was opened ({OPENED})",
    ]
    assert not run.db.exists()


def test_a_correction_that_changes_nothing_is_refused(run):
    _question(run)
    assert run("resolve", "q1", "annulled").exit_code == 0
    before = snapshot(run.db)
    result = run("resolve", "q1", "annulled", "--correct", "--reason", "again")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: 'q1' already resolved annulled on {TODAY} with the same evidence and note; "
        "a correction must change something")
    assert snapshot(run.db) == before


def test_a_correction_that_changes_nothing_is_refused_in_a_file(run, tmp_path):
    day = TODAY - timedelta(days=1)
    path = _file(tmp_path, f"""    resolutions:
      - {{outcome: annulled, resolved_on: {day}}}
      - {{outcome: annulled, resolved_on: {day}, reason: again}}
""")
    result = run("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{path}:9: outcome: this correction changes nothing (same outcome, date, evidence and "
        "note as the resolution before it)")


def test_blind_forecasts_stay_hidden_from_list_and_show_without_as(run, tmp_path):
    _question(run, blind=True, forecaster="bob")
    assert run("forecast", "q1", "--p", "0.9", forecaster="bob").exit_code == 0
    # No --as and no FORECAST_LEDGER_FORECASTER: the viewer is whoever the CLI writes as
    # (git's user.name, else the login), never "nobody in particular, show everything".
    from click.testing import CliRunner

    from ledger.faces.cli import cli

    def as_env(*args):
        result = CliRunner().invoke(cli, ["--db", str(run.db), *args, "--json"])
        assert result.exit_code == 0, result.stderr
        import json

        return json.loads(result.stdout)

    listed = as_env("list")
    assert listed[0]["hidden"] is True and listed[0]["forecasts"] == []
    shown = as_env("show", "q1")
    assert shown["hidden"] is True and shown["forecast_history"] == []
    assert run.json("show", "q1", forecaster="bob")["forecast_history"][0]["probability"] == 0.9


def test_export_withholds_blind_forecasts_unless_asked_for_a_full_backup(run, tmp_path):
    _question(run, blind=True, forecaster="bob")
    assert run("forecast", "q1", "--p", "0.9", forecaster="bob").exit_code == 0
    result = run("export", forecaster="carol")
    assert result.exit_code == 0
    assert "0.9" not in result.stdout
    assert result.stderr.strip() == ("withheld 1 forecast by others on blind questions carol "
                                     "has not forecast; add --reveal-blind for a full backup")
    full = run("export", "--reveal-blind", forecaster="carol")
    assert "probability: 0.9" in full.stdout and full.stderr == ""
    mine = run("export", forecaster="bob")
    assert "probability: 0.9" in mine.stdout and mine.stderr == ""


def test_a_recorded_at_in_the_future_is_refused_in_a_file(run, tmp_path):
    path = _file(tmp_path, f"""    forecasts:
      - forecaster: alice
        probability: 0.6
        made_at: {TODAY - timedelta(days=1)}
        recorded_at: 2999-01-01T00:00:00Z
""")
    result = run("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{path}:11: recorded_at: 2999-01-01T00:00:00 is in the future (the ledger cannot have "
        "received it yet)")


def test_a_forecast_appended_after_the_resolution_is_late_whatever_recorded_at_it_claims(
        run, tmp_path):
    _question(run)
    assert run("resolve", "q1", "yes").exit_code == 0
    # A file adds a forecast made before the resolution was recorded, claiming the ledger
    # received it then: it was appended after the resolution, so it is late all the same.
    path = write(tmp_path / "late.yaml", f"""questions:
  - id: q1
    question: Will q1 happen by the end of next year?
    criteria: Yes if it happens.
    opened: {TODAY}
    resolve_by: {TODAY + timedelta(days=400)}
    forecasts:
      - forecaster: mallory
        probability: 0.99
        made_at: {TODAY}
        recorded_at: {TODAY}T00:00:01Z
""")
    result = run("import", str(path))
    assert result.exit_code == 0, result.stderr
    shown = run.json("show", "q1")
    assert [(f["forecaster"], f["late"]) for f in shown["forecast_history"]] == [
        ("mallory", True)]


def test_csv_and_parquet_exports_withhold_blind_forecasts_as_yaml_does(run, tmp_path):
    _question(run, blind=True, forecaster="bob")
    assert run("forecast", "q1", "--p", "0.9", forecaster="bob").exit_code == 0
    result = run("export", "--format", "csv", forecaster="carol")
    assert result.exit_code == 0
    assert result.stdout.count("\n") == 1  # the header only
    assert result.stderr.strip() == ("withheld 1 forecast by others on blind questions carol "
                                     "has not forecast; add --reveal-blind for a full backup")
    out = tmp_path / "all.parquet"
    assert run("export", "--format", "parquet", "--out", str(out), "--reveal-blind",
               forecaster="carol").exit_code == 0
    import duckdb

    assert duckdb.connect().execute(f"SELECT forecaster, probability FROM '{out}'"
                                    ).fetchall() == [("bob", 0.9)]
