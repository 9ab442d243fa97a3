"""Good Judgment Project import: the real sample in ../shared/data/gjp imports whole, its summary
counts equal what the CSV holds, a second import adds nothing, and the ledger's scores of the
imported set equal scikit-learn's computed here from the CSV directly."""

from __future__ import annotations

import csv
import json
import re
import time
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import ROOT, snapshot, write

GJP = ROOT.parent / "shared" / "data" / "gjp"
IFPS, SURVEY = GJP / "ifps.csv", GJP / "survey_fcasts_mini.yr1.csv"
needs_sample = pytest.mark.skipif(not SURVEY.is_file(), reason=f"the GJP sample is not at {GJP} "
                                  "(CI keeps a copy of shared/ beside the clone)")


def us_day(text: str) -> str:
    m, d, y = text.split()[0].split("/")
    return f"{2000 + int(y):04d}-{int(m):02d}-{int(d):02d}"


def expected_from_csv() -> dict:
    """What the sample holds, read with the csv module alone, by the policy in
    ledger/ingest/platforms/gjp.py: binary yes/no questions, one forecast per forecast_id
    (the yes option's value), none dated after the question closed, a repeated
    (user, question, timestamp) once."""
    with IFPS.open(newline="") as fh:
        ifps = {r["ifp_id"]: r for r in csv.DictReader(fh)}
    rows: dict[tuple, dict] = {}
    with SURVEY.open(newline="") as fh:
        for n, r in enumerate(csv.DictReader(fh)):
            f = rows.setdefault((r["ifp_id"], r["user_id"], r["forecast_id"]),
                                {"n": n, "ts": r["timestamp"], "day": r["fcast_date"]})
            f[r["answer_option"]] = float(r["value"])
    binary = {i for i, q in ifps.items() if q["n_opts"] == "2"
              and q["options"].strip().endswith("(a) Yes, (b) No")}
    forecast_ifps = {k[0] for k in rows}
    kept: dict[tuple, list] = defaultdict(list)
    seen = set()
    for (ifp, user, _), f in sorted(rows.items(), key=lambda kv: kv[1]["n"]):
        if ifp not in binary or f["day"] > us_day(ifps[ifp]["date_closed"]):
            continue
        if (ifp, user, f["ts"]) in seen:
            continue
        seen.add((ifp, user, f["ts"]))
        p = f["a"] if "a" in f else 1 - f["b"]
        kept[(ifp, user)].append((f["ts"], f["n"], p))
    questions = {ifp for ifp, _ in kept}
    # docs/scoring.md, mode final: each forecaster's last forecast (latest day, then moment);
    # Eastern timestamps order the same way as (local day, UTC moment).
    final = {k: max(v, key=lambda t: (t[0], -t[1]))[2] for k, v in kept.items()}
    y = [1 if ifps[ifp]["outcome"] == "a" else 0 for ifp, _ in final]
    # the ledger refuses a forecast before the question opened: such a question opens on its
    # first forecast's day (Eastern), the importer's policy
    early = {ifp for (ifp, _), v in kept.items() if min(t[0] for t in v)[:10]
             < us_day(ifps[ifp]["date_start"])}
    return {"questions": len(questions), "forecasts": sum(map(len, kept.values())),
            "early": len(early),
            "mc": len({i for i in forecast_ifps if i not in binary and ifps[i]["n_opts"] != "2"}),
            "mc_forecasts": sum(1 for k in rows if k[0] not in binary),
            "unforecast": len(set(ifps) - forecast_ifps),
            "y": y, "p": list(final.values()), "pairs": final, "outcome_of": {
                i: ("yes" if ifps[i]["outcome"] == "a" else "no") for i in questions}}


@needs_sample
def test_gjp_sample_imports_whole_with_its_counts_then_adds_nothing(run, db):
    exp = expected_from_csv()
    started = time.perf_counter()
    first = run("import", "--from", "gjp", str(IFPS), str(SURVEY))
    seconds = time.perf_counter() - started
    assert first.exit_code == 0, first.stderr
    q, f = exp["questions"], exp["forecasts"]
    assert first.stdout.splitlines() == [
        f"Good Judgment Project: 2 files read; added 1 new source, {q} new questions, "
        f"{f} new forecasts, {q} new resolutions",
        f"  {exp['mc_forecasts']:,} forecasts on skipped questions not imported",
        f"  {exp['unforecast']:,} questions in ifps.csv without forecasts in these files not "
        "imported",
        f"  {exp['early']} questions opened earlier than the platform's date (a forecast or "
        "its resolution came first)",
        f"  {exp['mc']} multiple-choice questions skipped: not supported yet",
    ]
    assert seconds < 10, f"the 9,999-row sample took {seconds:.1f} s"
    listed = run.json("list")
    assert sorted(x["id"] for x in listed) == sorted(f"gjp-{i}" for i in exp["outcome_of"])
    assert {x["id"]: x["outcome"] for x in listed} == {
        f"gjp-{i}": o for i, o in exp["outcome_of"].items()}
    before = snapshot(db)
    again = run("import", "--from", "gjp", str(IFPS), str(SURVEY))
    assert again.exit_code == 0, again.stderr
    assert "the ledger already holds everything in them, nothing changed" in again.stdout
    assert snapshot(db) == before
    assert run("verify").exit_code == 0


@needs_sample
def test_gjp_scores_equal_sklearn_on_the_csv_rows(run):
    from sklearn.metrics import brier_score_loss

    exp = expected_from_csv()
    assert run("import", "--from", "gjp", str(IFPS), str(SURVEY)).exit_code == 0
    report = run.json("score")
    assert report["overall"]["n"] == len(exp["y"])
    assert report["overall"]["brier"] == pytest.approx(brier_score_loss(exp["y"], exp["p"]),
                                                        abs=1e-12)
    by = {g["group"]: g for g in run.json("score", "--by", "forecaster")["groups"]}
    per_user: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for (ifp, user), p in exp["pairs"].items():
        per_user[f"gjp-{user}"][0].append(1 if exp["outcome_of"][ifp] == "yes" else 0)
        per_user[f"gjp-{user}"][1].append(p)
    assert set(by) == set(per_user)
    for user, (y, p) in per_user.items():
        assert by[user]["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-12), user


QUESTIONS_HEAD = ("ifp_id,q_type,q_text,q_desc,q_status,date_start,date_suspend,date_to_close,"
                  "date_closed,outcome,short_title,days_open,n_opts,options\n")
SURVEY_HEAD = ('"ifp_id","ctt","cond","training","team","user_id","forecast_id","fcast_type",'
               '"answer_option","value","fcast_date","expertise","q_status","viewtime","year",'
               '"timestamp"\n')


def fc(ifp: str, user: str, fid: int, a: str, b: str | None, when: str) -> str:
    day = when[:10]
    rows = [f'"{ifp}","1a",1,"a",NA,"{user}",{fid},0,"a",{a},"{day}",1,"closed",NA,1,"{when}"']
    if b is not None:
        rows.append(f'"{ifp}","1a",1,"a",NA,"{user}",{fid},0,"b",{b},"{day}",1,"closed",NA,1,'
                    f'"{when}"')
    return "\n".join(rows) + "\n"


def small_set(tmp_path: Path, bad_value: str = "0.3") -> tuple[Path, Path]:
    ifps = write(tmp_path / "ifps.csv", QUESTIONS_HEAD + (
        '2001-0,0,"Will X, with ""quotes"", happen?","Multi-line\ncriteria, text",voided,'
        '9/1/11,10/1/11 0:00,12/31/11,10/2/11,NA,X,30,2,"(a) Yes, (b) No"\n'
        '2002-0,1,Will Y happen?,Criteria,closed,9/1/11,10/1/11 0:00,12/31/11,10/5/11,b,Y,30,2,'
        '"If Z happens first? :  (a) Yes, (b) No"\n'
        '2003-0,0,Who wins?,Criteria,closed,9/1/11,10/1/11 0:00,12/31/11,10/5/11,b,W,30,3,'
        '"(a) A, (b) B, (c) C"\n'
        '2004-0,0,Will V happen?,Criteria,active,9/1/11,NA,12/31/30,NA,NA,V,30,2,'
        '"(a) Yes, (b) No"\n'))
    survey = write(tmp_path / "survey.csv", SURVEY_HEAD
                   + fc("2001-0", "7", 1, "0.2", "0.8", "2011-09-02 10:00:00")
                   + fc("2002-0", "7", 2, bad_value, "0.7", "2011-09-03 10:00:00")
                   + fc("2002-0", "7", 3, "0.1", "0.9", "2011-09-03 10:00:00")  # duplicate
                   + fc("2002-0", "8", 4, "0.6", None, "2011-10-09 10:00:00")  # after close
                   + fc("2003-0", "8", 5, "0.2", "0.5", "2011-09-04 10:00:00")
                   + fc("2004-0", "8", 6, "0.45", "0.55", "2011-09-04 10:00:00"))
    return ifps, survey


def test_gjp_policy_voided_conditional_multiple_choice_duplicates_and_late_rows(run, tmp_path):
    ifps, survey = small_set(tmp_path)
    done = run("import", "--from", "gjp", str(ifps), str(survey))
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Good Judgment Project: 2 files read; added 1 new source, 3 new questions, "
        "3 new forecasts, 2 new resolutions",
        "  1 duplicate forecast skipped (same forecaster, question and moment as an earlier row)",
        "  1 forecast on skipped questions not imported",
        "  1 forecast skipped: made after the question resolved",
        "  1 multiple-choice question skipped: not supported yet",
        "  1 voided question imported as annulled",
    ]
    shown = {x["id"]: x for x in run.json("list")}
    assert set(shown) == {"gjp-2001-0", "gjp-2002-0", "gjp-2004-0"}
    assert shown["gjp-2001-0"]["status"] == "annulled"
    assert shown["gjp-2002-0"]["question"] == "Will Y happen? If Z happens first?"
    assert shown["gjp-2004-0"]["status"] == "open"
    detail = run.json("show", "gjp-2001-0")
    assert detail["question"] == 'Will X, with "quotes", happen?'
    assert detail["criteria"] == "Multi-line\ncriteria, text"


def test_gjp_bad_value_refuses_the_import_naming_file_line_and_field(run, db, tmp_path):
    ifps, survey = small_set(tmp_path, bad_value="1.7")
    done = run("import", "--from", "gjp", str(ifps), str(survey))
    assert done.exit_code == 1
    assert done.stderr.splitlines() == [
        f"{survey}:4: probability: 1.7 is not between 0 and 1 ({_hint()})",
        "error: 1 problem found; nothing was written"]
    assert snapshot(db) == "<no ledger file>"


def _hint() -> str:
    from ledger.format.probability import HINT

    return HINT


def test_gjp_json_summary_is_only_json(run, tmp_path):
    ifps, survey = small_set(tmp_path)
    out = run("import", "--from", "gjp", "--dry-run", "--json", str(ifps), str(survey))
    assert out.exit_code == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["dry_run"] is True and data["counts"]["new question"] == 3
    assert any(re.match(r"1 voided question", n) for n in data["notes"])


@needs_sample
def test_readme_example_of_the_gjp_sample_is_what_the_command_prints(run):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ forecast-ledger import --from gjp ", 1)[1].split("```", 1)[0]
    printed = block.splitlines()[1:]
    done = run("import", "--from", "gjp", str(IFPS), str(SURVEY))
    assert done.stdout.splitlines() == printed


@needs_sample
def test_gjp_files_of_one_set_score_as_the_whole_in_one_import_late_in_two(run, db, tmp_path):
    """Both halves of the sample in one import score as the whole file; imported one after
    the other, the second half's forecasts on questions the first import resolved are logged
    after the resolution entry, so the ledger's rule keeps them flagged late (docs/scoring.md)."""
    import duckdb
    from conftest import Cli

    lines = SURVEY.read_text().splitlines(keepends=True)
    cut = len(lines) // 2
    while lines[cut].split(",")[6] == lines[cut - 1].split(",")[6]:  # a forecast's rows together
        cut += 1
    first = write(tmp_path / "yr1a.csv", "".join(lines[:cut]))
    second = write(tmp_path / "yr1b.csv", lines[0] + "".join(lines[cut:]))
    whole = Cli(tmp_path / "whole.duckdb")
    assert whole("import", "--from", "gjp", str(IFPS), str(SURVEY)).exit_code == 0
    both = Cli(tmp_path / "both.duckdb")
    done = both("import", "--from", "gjp", str(IFPS), str(first), str(second))
    assert done.exit_code == 0, done.stderr
    assert both.json("score", "--by", "forecaster") == whole.json("score", "--by", "forecaster")

    assert run("import", "--from", "gjp", str(IFPS), str(first)).exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    resolved_at = con.execute("SELECT max(seq) FROM entries").fetchall()[0][0]
    con.close()
    assert run("import", "--from", "gjp", str(IFPS), str(second)).exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    added, late = con.execute("SELECT count(*), count(*) FILTER (WHERE late) FROM "
                              "forecasts_flagged WHERE seq > $1 AND question_id IN (SELECT "
                              "question_id FROM resolutions WHERE seq <= $1)",
                              [resolved_at]).fetchall()[0]
    con.close()
    assert added > 0 and late == added


@needs_sample
def test_gjp_import_survives_export_and_restore(run, tmp_path):
    from conftest import Cli

    assert run("import", "--from", "gjp", str(IFPS), str(SURVEY)).exit_code == 0
    backup = tmp_path / "backup.yaml"
    assert run("export", "--out", str(backup)).exit_code == 0
    restored = Cli(tmp_path / "restored.duckdb")
    assert restored("import", str(backup)).exit_code == 0
    assert restored.json("list") == run.json("list")
    assert restored.json("score", "--by", "forecaster") == run.json("score", "--by", "forecaster")
