"""The --from door on the command line: its choices are the library's registry, its path stays
light (no pandas, streamlit or altair), progress never lands in --json, and an unknown
platform or a missing file is a one-line error."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import write
from test_platforms_gjp import small_set
from test_startup import loaded_after

from ledger.ingest.platforms import PLATFORMS


def test_from_choices_are_the_registry(run):
    shown = run("import", "--help").stdout
    assert f"[{'|'.join(PLATFORMS)}]" in " ".join(shown.split())


def test_platform_import_path_imports_nothing_heavy(tmp_path):
    ifps, survey = small_set(tmp_path)
    db = str(tmp_path / "l.duckdb")
    assert loaded_after("--db", db, "import", "--from", "gjp", str(ifps), str(survey)) == []


def test_unknown_platform_is_a_usage_error(run, tmp_path):
    done = run("import", "--from", "kalshi", str(write(tmp_path / "x.csv", "a\n")))
    assert done.exit_code == 2 and "'kalshi' is not one of" in done.stderr


def test_missing_file_is_one_line_and_exit_1(run, tmp_path):
    done = run("import", "--from", "fatebook", str(tmp_path / "nope.csv"))
    assert done.exit_code == 1
    assert done.stderr.splitlines() == [f"{tmp_path / 'nope.csv'}: no such file",
                                        "error: 1 problem found; nothing was written"]


def test_json_output_of_a_platform_import_is_only_json(tmp_path):
    ifps, survey = small_set(tmp_path)
    done = subprocess.run([sys.executable, "-m", "ledger", "--db", str(tmp_path / "l.duckdb"),
                           "import", "--from", "gjp", "--json", str(ifps), str(survey)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["new forecast"] == 3


def test_a_file_bad_on_every_row_names_the_first_50_problems(run, tmp_path):
    from test_platforms_gjp import QUESTIONS_HEAD, SURVEY_HEAD, fc

    ifps = write(tmp_path / "ifps.csv", QUESTIONS_HEAD + (
        '3001-0,0,Will it happen?,Criteria,closed,9/1/11,10/1/11 0:00,12/31/11,10/5/11,b,X,30,'
        '2,"(a) Yes, (b) No"\n'))
    survey = write(tmp_path / "survey.csv", SURVEY_HEAD + "".join(
        fc("3001-0", str(u), u, "7", "0.5", "2011-09-02 10:00:00") for u in range(80)))
    done = run("import", "--from", "gjp", str(ifps), str(survey))
    lines = done.stderr.splitlines()
    assert done.exit_code == 1 and len(lines) == 52
    assert lines[0].startswith(f"{survey}:2: probability: 7.0 is not between 0 and 1")
    assert lines[50] == f"{survey}: and 30 more like these"
    assert lines[51] == "error: 51 problems found; nothing was written"


def test_dry_run_prints_what_would_be_added_and_creates_no_ledger(run, db, tmp_path):
    ifps, survey = small_set(tmp_path)
    done = run("import", "--from", "gjp", "--dry-run", str(ifps), str(survey))
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        "Good Judgment Project: 2 files read; would add 1 new source, 3 new questions, "
        "3 new forecasts, 2 new resolutions")
    assert not db.exists()
