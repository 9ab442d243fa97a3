"""PredictionBook import from files in niplav/iqisa's normalised shape (public.csv and
questions.csv): right/wrong/unknown outcomes, year-9999 deadlines, open questions; a second
import adds nothing; a bad timestamp refuses everything with file:line: field."""

from __future__ import annotations

from conftest import snapshot, write

FORECAST_HEAD = ("question_id,user_id,team_id,probability,answer_option,timestamp,outcome,"
                 "open_time,close_time,resolve_time,time_open,n_opts,options,q_status,q_type\n")
QUESTION_HEAD = ("question_id,q_title,q_status,open_time,close_time,resolve_time,outcome,"
                 "time_open,n_opts,options\n")
OPTS = '"(0) No, (1) Yes, (-1) Ambiguous, (None) Still open"'


def files(tmp_path, ts="2010-01-02 10:00:00+00:00"):
    questions = write(tmp_path / "questions.csv", QUESTION_HEAD + (
        f'101,"The sun, as ""usual"", will rise",resolved,2010-01-01 09:00:00+00:00,'
        f"2010-06-01 00:00:00+00:00,2010-06-02 08:00:00+00:00,1.0,151 days,2,{OPTS}\n"
        f"102,Someone will settle on Mars,open,2010-01-01 09:00:00+00:00,"
        f"9999-12-31 00:00:00+00:00,,,99 days,2,{OPTS}\n"
        f"103,A coin lands on its edge,ambiguous,2010-01-01 09:00:00+00:00,"
        f"2010-02-01 00:00:00+00:00,2010-02-03 00:00:00+00:00,-1.0,31 days,2,{OPTS}\n"))
    row = "{q},{u},0,{p},1,{ts},,x,x,x,x,2,{o},x,0\n"
    forecasts = write(tmp_path / "public.csv", FORECAST_HEAD + "".join(
        row.format(q=q, u=u, p=p, ts=t, o=OPTS) for q, u, p, t in [
            ("101", "gwern", 0.99, ts),
            ("101", "kevin", 0.9, "2010-01-03 10:00:00+00:00"),
            ("101", "kevin", 0.8, "2010-07-01 10:00:00+00:00"),  # after it was judged
            ("102", "gwern", 0.05, "2010-01-04 10:00:00"),
            ("103", "gwern", 0.01, "2010-01-05 10:00:00+00:00"),
        ]))
    return questions, forecasts


def test_predictionbook_imports_by_its_policy_then_adds_nothing(run, db, tmp_path):
    questions, forecasts = files(tmp_path)
    done = run("import", "--from", "predictionbook", str(questions), str(forecasts))
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines() == [
        "PredictionBook: 2 files read; added 1 new source, 3 new questions, 4 new forecasts, "
        "2 new resolutions",
        "  1 forecast skipped: made after the question resolved",
        "  1 question judged unknown imported as ambiguous",
        "  1 question without a deadline in the ledger's calendar: resolve-by set to 2999-12-31",
    ]
    shown = {x["id"]: x for x in run.json("list")}
    assert shown["pb-101"]["question"] == 'The sun, as "usual", will rise'
    assert shown["pb-101"]["outcome"] == "yes" and shown["pb-103"]["status"] == "ambiguous"
    assert shown["pb-102"]["resolve_by"] == "2999-12-31"
    before = snapshot(db)
    again = run("import", "--from", "predictionbook", str(questions), str(forecasts))
    assert again.exit_code == 0 and "nothing changed" in again.stdout
    assert snapshot(db) == before


def test_predictionbook_bad_timestamp_refuses_with_file_line_field(run, db, tmp_path):
    questions, forecasts = files(tmp_path, ts="yesterday")
    done = run("import", "--from", "predictionbook", str(questions), str(forecasts))
    assert done.exit_code == 1
    assert done.stderr.splitlines() == [
        f"{forecasts}:2: timestamp: 'yesterday' is not a date and time",
        "error: 1 problem found; nothing was written"]
    assert snapshot(db) == "<no ledger file>"
