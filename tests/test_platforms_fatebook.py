"""Fatebook import from a CSV in the shape of its lib/web/export.ts: doubled quotes, commas and
newlines in titles, unpadded seconds, multiple choice skipped, Fatebook's Brier kept; a second
import adds nothing; a bad row refuses everything with file:line: field."""

from __future__ import annotations

import csv
import io

from conftest import snapshot, write

from ledger.ingest.platforms.fatebook import fatebook_score

COLUMNS = ["Question title", "Multiple choice option", "Forecast created by",
           "Forecast (scale = 0-1)", "Forecast created at", "Question created by",
           "Question created at", "Question resolve by", "Resolution", "Resolved at",
           "Your Brier score for this question", "Your relative Brier score for this question",
           "Question notes", "Question shared with", "Question shared publicly",
           "Question comments"]


def export_csv(rows: list[dict]) -> str:
    """As export.ts writes: strings quoted with doubled quotes, numbers and dates bare."""
    def cell(v):
        if isinstance(v, str) and not v[:4].isdigit():
            return '"' + v.replace('"', '""') + '"'
        return "" if v is None else str(v)
    return ",".join(COLUMNS) + "\n" + "\n".join(
        ",".join(cell(r.get(c)) for c in COLUMNS) for r in rows)


LAUNCH = 'Will "the" launch, finally,\nhappen by March?'
BASE = {"Question title": LAUNCH, "Question created by": "Alice",
        "Question created at": "2024-01-05 10:07:1", "Question resolve by": "2024-03-01 00:00:0",
        "Resolution": "YES", "Resolved at": "2024-02-20 12:00:0",
        "Your Brier score for this question": 0.0625,
        "Your relative Brier score for this question": -0.01, "Question notes": 'Notes, "quoted"',
        "Question shared publicly": "false"}
ROWS = [
    {**BASE, "Forecast created by": "Alice", "Forecast (scale = 0-1)": 0.7,
     "Forecast created at": "2024-01-05 10:07:5"},
    {**BASE, "Forecast created by": "Bob", "Forecast (scale = 0-1)": 0.4,
     "Forecast created at": "2024-01-06 11:00:00"},
    {**BASE, "Forecast created by": "Bob", "Forecast (scale = 0-1)": 0.4,
     "Forecast created at": "2024-01-06 11:00:00"},  # the same row twice
    {**BASE, "Forecast created by": "Bob", "Forecast (scale = 0-1)": 0.9,
     "Forecast created at": "2024-02-21 09:00:00"},  # after it resolved
    {"Question title": "Which colour wins?", "Multiple choice option": "Red",
     "Forecast created by": "Alice", "Forecast (scale = 0-1)": 0.2,
     "Forecast created at": "2024-01-07 10:00:00", "Question created by": "Alice",
     "Question created at": "2024-01-07 09:00:00", "Question resolve by": "2024-03-01 00:00:0"},
    {"Question title": "   ", "Forecast created by": "Alice", "Forecast (scale = 0-1)": 0.2,
     "Forecast created at": "2024-01-07 10:00:00", "Question created by": "Alice",
     "Question created at": "2024-01-08 09:00:00", "Question resolve by": "2024-03-01 00:00:0"},
    {"Question title": "Will it stay open?", "Forecast created by": "Alice",
     "Forecast (scale = 0-1)": 0.5, "Forecast created at": "2024-01-09 10:00:00",
     "Question created by": "Alice", "Question created at": "2024-01-09 09:00:00",
     "Question resolve by": "2099-03-01 00:00:0", "Resolution": None},
]


def test_fatebook_export_imports_by_its_policy_then_adds_nothing(run, db, tmp_path):
    path = write(tmp_path / "fatebook.csv", export_csv(ROWS))
    assert len(list(csv.DictReader(io.StringIO(path.read_text())))) == len(ROWS)
    done = run("import", "--from", "fatebook", str(path))
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Fatebook: 1 file read; added 1 new source, 2 new questions, 3 new forecasts, "
        "1 new resolution",
        "  2 forecasts on skipped questions not imported",
        "  1 duplicate forecast skipped (same forecaster, question and moment as an earlier row)",
        "  1 forecast skipped: made after the question resolved",
        "  1 multiple-choice question skipped: not supported yet",
        "  1 question skipped: blank title",
    ]
    listed = {x["question"]: x for x in run.json("list")}
    assert set(listed) == {'Will "the" launch, finally, happen by March?', "Will it stay open?"}
    launch = run.json("show", listed['Will "the" launch, finally, happen by March?']["id"])
    assert launch["criteria"] == 'Notes, "quoted"'
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    made = con.execute("SELECT forecaster, probability, made_at FROM forecasts "
                       "WHERE question_id = $1 ORDER BY made_at", [launch["id"]]).fetchall()
    note = con.execute("SELECT note FROM resolutions").fetchall()[0][0]
    con.close()
    assert [(w, p, str(t)) for w, p, t in made] == [("Alice", 0.7, "2024-01-05 10:07:05"),
                                                    ("Bob", 0.4, "2024-01-06 11:00:00")]
    assert fatebook_score(note) == {"brier": 0.0625, "relative": -0.01}
    before = snapshot(db)
    again = run("import", "--from", "fatebook", str(path))
    assert again.exit_code == 0 and "nothing changed" in again.stdout
    assert snapshot(db) == before


def test_fatebook_newer_export_adds_only_the_new_forecast(run, tmp_path):
    old = write(tmp_path / "old.csv", export_csv(ROWS[:2]))
    new = write(tmp_path / "new.csv", export_csv([*ROWS[:2], {
        **BASE, "Forecast created by": "Carol", "Forecast (scale = 0-1)": 0.8,
        "Forecast created at": "2024-01-10 08:00:00"}]))
    assert run("import", "--from", "fatebook", str(old)).exit_code == 0
    done = run("import", "--from", "fatebook", str(new))
    assert done.stdout.splitlines() == ["Fatebook: 1 file read; added 1 new forecast"]


def test_fatebook_old_and_new_export_in_one_import_hold_each_question_once(run, tmp_path):
    old = write(tmp_path / "old.csv", export_csv(ROWS[:1]))
    new = write(tmp_path / "new.csv", export_csv(ROWS[:2]))
    done = run("import", "--from", "fatebook", str(old), str(new))
    assert done.stdout.splitlines()[0] == ("Fatebook: 2 files read; added 1 new source, "
                                           "1 new question, 2 new forecasts, 1 new resolution")
    assert done.stdout.splitlines()[1:] == ["  1 duplicate forecast skipped (same forecaster, "
                                            "question and moment as an earlier row)"]


def test_fatebook_bad_probability_names_file_line_and_field_and_writes_nothing(run, db, tmp_path):
    bad = [ROWS[0], {**ROWS[1], "Forecast (scale = 0-1)": "lots"}]
    path = write(tmp_path / "fb.csv", export_csv(bad))
    done = run("import", "--from", "fatebook", str(path))
    assert done.exit_code == 1
    # the first row's title spans lines 2-3, so the second row starts on line 4
    assert done.stderr.splitlines()[0].startswith(f"{path}:4: probability: 'lots' is not a "
                                                  "probability")
    assert done.stderr.splitlines()[-1] == "error: 1 problem found; nothing was written"
    assert snapshot(db) == "<no ledger file>"


def test_fatebook_file_without_its_columns_is_refused(run, tmp_path):
    path = write(tmp_path / "other.csv", "title,probability\nx,0.5\n")
    done = run("import", "--from", "fatebook", str(path))
    assert done.exit_code == 1
    assert f"{path}:1: Question title: missing column" in done.stderr


def test_show_sets_fatebooks_brier_beside_the_ledgers_with_the_reason(run, tmp_path):
    path = write(tmp_path / "fatebook.csv", export_csv(ROWS[:2]))
    assert run("import", "--from", "fatebook", str(path)).exit_code == 0
    qid = run.json("list")[0]["id"]
    from ledger.reports.platform_scores import REASON

    # Alice said 70%, Bob 40%, and it happened: final-forecast Brier 0.09 and 0.36
    last = run("show", qid).stdout.strip().splitlines()[-1]
    assert last.startswith("Fatebook's Brier score for the exporting account: 0.0625 "
                           "(relative -0.01); the ledger's: Alice 0.090 (time-averaged ")
    assert last.endswith(f"They differ because {REASON}.")
    assert run.json("show", qid)["platform_score"]["brier"] == 0.0625


def test_fatebooks_score_survives_export_and_restore(run, tmp_path):
    from conftest import Cli

    path = write(tmp_path / "fatebook.csv", export_csv(ROWS))
    assert run("import", "--from", "fatebook", str(path)).exit_code == 0
    backup = tmp_path / "backup.yaml"
    assert run("export", "--out", str(backup)).exit_code == 0
    restored = Cli(tmp_path / "restored.duckdb")
    assert restored("import", str(backup)).exit_code == 0
    qid = next(q["id"] for q in run.json("list") if q["status"] == "resolved")
    assert restored.json("show", qid)["platform_score"] == run.json("show", qid)["platform_score"]
    # and the newer export still adds nothing to the restored ledger
    again = restored("import", "--from", "fatebook", str(path))
    assert again.exit_code == 0 and "nothing changed" in again.stdout
