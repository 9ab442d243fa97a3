"""Fixing mistakes without corrupting the record (issue #14): ``edit``, ``withdraw``, ``merge``
and id lookup with suggestions, through the CLI's entry point on real ledger files.

Every refusal is checked for its exit code, its exact line and a ledger left unchanged; every
fix for what it does to list, show, scores and calibration (scores against scikit-learn on the
corrected set, worked out here independently), to the YAML export and a restore, and to
``verify``.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from conftest import snapshot, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, log_loss

from ledger.ingest import actions, fixes
from ledger.storage.store import Ledger

TODAY = date.today()
OPENED = TODAY - timedelta(days=60)


def _day(n: int) -> str:
    return f"{OPENED + timedelta(days=n)}T12:00:00+00:00"


def _question(run, qid: str, by: int = 100) -> None:
    result = run("add", f"Will {qid} happen?", "--id", qid, "--by",
                 str(OPENED + timedelta(days=by)), "--criteria", f"Yes if {qid} happens.",
                 "--opened", str(OPENED))
    assert result.exit_code == 0, result.stderr


def _forecast(run, qid: str, p: str, day: int, who: str = "ann") -> None:
    result = run("forecast", qid, "--p", p, "--at", _day(day), forecaster=who)
    assert result.exit_code == 0, result.stderr


def _refused(run, db, args: list[str], line: str, who: str = "ann") -> None:
    before = snapshot(db)
    result = run(*args, forecaster=who)
    assert result.exit_code == 1, result.stdout
    assert result.stderr.strip() == line
    assert snapshot(db) == before


# -- withdraw -------------------------------------------------------------------------------

def test_withdraw_takes_back_the_latest_forecast_and_the_one_before_stands_again(run, db):
    _question(run, "q")
    _forecast(run, "q", "30%", 1)
    _forecast(run, "q", "90%", 2)
    result = run("withdraw", "q", "--reason", "meant for another question", forecaster="ann")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == (f"withdrew ann's forecast 90% of {OPENED + timedelta(2)} "
                                     f"on q; 30% of {OPENED + timedelta(1)} stands again")
    assert [f["probability"] for f in run.json("list")[0]["forecasts"]] == [0.3]
    shown = run.json("show", "q")
    assert [f["withdrawn"] for f in shown["forecast_history"]] == [False, True]
    assert shown["withdrawals"][0]["reason"] == "meant for another question"
    assert "90% withdrawn" in run("show", "q").stdout
    assert run("resolve", "q", "yes").exit_code == 0
    assert run.json("score")["overall"]["brier"] == pytest.approx(0.49)
    assert run("verify").exit_code == 0


def test_withdrawing_every_forecast_leaves_none_standing_and_a_third_is_refused(run, db):
    _question(run, "q")
    _forecast(run, "q", "30%", 1)
    _forecast(run, "q", "40%", 2)
    assert run("withdraw", "q", "--reason", "r1", forecaster="ann").exit_code == 0
    last = run("withdraw", "q", "--reason", "r2", forecaster="ann")
    assert last.stdout.strip().endswith("no forecast of yours stands on it now")
    assert run.json("list")[0]["forecasts"] == []
    _refused(run, db, ["withdraw", "q", "--reason", "r3"],
             "error: ann has no forecast on 'q' to withdraw (every one is withdrawn already) "
             "(see `forecast-ledger show q`)")


def test_withdrawing_someone_elses_forecast_is_refused(run, db):
    _question(run, "q")
    _forecast(run, "q", "30%", 1, who="bob")
    _refused(run, db, ["withdraw", "q", "--forecaster", "bob", "--reason", "wrong"],
             "error: ann cannot withdraw bob's forecast on 'q': only its forecaster can "
             "(ask bob to run `forecast-ledger --as bob withdraw q`)")
    _refused(run, db, ["withdraw", "q", "--reason", "wrong"],
             "error: ann has no forecast on 'q' to withdraw (see `forecast-ledger show q`)")


def test_a_forecast_cannot_be_withdrawn_once_the_outcome_is_known(run, db):
    _question(run, "q")
    _forecast(run, "q", "10%", 1)
    assert run("resolve", "q", "yes").exit_code == 0
    _refused(run, db, ["withdraw", "q", "--reason", "it was wrong"],
             f"error: 'q' resolved yes on {TODAY}; forecasts cannot be withdrawn once the "
             "outcome is known (a late correction of the resolution is `forecast-ledger "
             "resolve --correct`)")


def test_a_fix_without_a_reason_is_refused(run, db):
    _question(run, "q")
    _question(run, "r")
    _forecast(run, "q", "10%", 1)
    for args in (["withdraw", "q"], ["merge", "q", "r"], ["edit", "q", "--question", "Is q?!"]):
        what = {"withdraw": "a withdrawal", "merge": "a merge", "edit": "an edit"}[args[0]]
        _refused(run, db, args, f'error: reason: {what} needs a reason (--reason "why")')


# -- merge ----------------------------------------------------------------------------------

def test_a_merged_duplicate_counts_on_the_kept_question_and_leaves_every_list(run, db):
    _question(run, "kept")
    _question(run, "dup")
    _forecast(run, "kept", "20%", 1, who="ann")
    _forecast(run, "dup", "70%", 2, who="ann")  # ann's latest is on the duplicate
    _forecast(run, "dup", "40%", 3, who="bob")
    result = run("merge", "dup", "kept", "--reason", "added twice")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "merged dup into kept: 2 forecasts now count there"
    listed = run.json("list")
    assert [q["id"] for q in listed] == ["kept"]
    assert {f["forecaster"]: f["probability"] for f in listed[0]["forecasts"]} == {
        "ann": 0.7, "bob": 0.4}
    shown = run.json("show", "dup")  # the duplicate's id resolves to the kept question
    assert shown["id"] == "kept" and shown["requested_id"] == "dup"
    assert [m["duplicate_id"] for m in shown["merged"]] == ["dup"]
    assert "(dup was merged into kept)" in run("show", "dup").stdout
    logged = run("forecast", "dup", "--p", "50%", "--at", _day(4), forecaster="cy")
    assert logged.stdout.strip() == (  # logged on the kept question, and said so
        f"logged cy's forecast 50% on kept ({_day(4)[:10]})")
    assert run.json("show", "kept")["forecast_history"][-1]["logged_on"] == "kept"
    resolved = run("resolve", "dup", "no")  # resolves the kept question
    assert resolved.stdout.strip().startswith("resolved kept: no on ")
    assert run.json("show", "kept")["outcome"] == "no"
    report = run.json("score")
    assert report["overall"]["n"] == 3
    assert report["overall"]["brier"] == pytest.approx(
        brier_score_loss([0, 0, 0], [0.7, 0.4, 0.5]), abs=1e-12)
    assert run("verify").exit_code == 0


def test_merge_refusals_say_why_and_write_nothing(run, db):
    _question(run, "a")
    _question(run, "b")
    _question(run, "c")
    _refused(run, db, ["merge", "a", "a", "--reason", "x"],
             "error: into: 'a' is 'a' itself; merge a question into another one "
             "(give the id of the question to keep)")
    assert run("merge", "a", "b", "--reason", "same").exit_code == 0
    _refused(run, db, ["merge", "a", "c", "--reason", "x"],
             "error: duplicate: 'a' was already merged into 'b' (nothing to do)")
    _refused(run, db, ["merge", "b", "a", "--reason", "x"],
             "error: into: 'a' is 'b' itself (merged into 'b'); merge a question into another "
             "one (give the id of the question to keep)")
    assert run("resolve", "c", "no").exit_code == 0
    _refused(run, db, ["merge", "b", "c", "--reason", "x"],
             f"error: 'c' resolved no on {TODAY}; questions are merged only before either is "
             "resolved (keep both: a resolved question's scores stand as they are)")


def test_a_chain_of_merges_resolves_to_the_last_question_kept(run, db):
    for qid in ("a", "b", "c"):
        _question(run, qid)
    _forecast(run, "a", "10%", 1)
    assert run("merge", "a", "b", "--reason", "same").exit_code == 0
    assert run("merge", "b", "c", "--reason", "same").exit_code == 0
    assert run.json("show", "a")["id"] == "c"
    assert [q["id"] for q in run.json("list")] == ["c"]
    assert run.json("list")[0]["forecasts"][0]["probability"] == 0.1


# -- ids: a typo gets the nearest ------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["show", "will-x-shp"], ["forecast", "will-x-shp", "--p", "0.5"],
    ["resolve", "will-x-shp", "yes"], ["edit", "will-x-shp", "--question", "Will X ship?",
                                       "--reason", "r"],
    ["withdraw", "will-x-shp", "--reason", "r"], ["merge", "will-x-shp", "will-x-ship",
                                                  "--reason", "r"],
])
def test_every_command_taking_an_id_suggests_the_nearest_on_a_typo(run, db, args):
    _question(run, "will-x-ship")
    _question(run, "will-y-ship")
    _refused(run, db, args, "error: no question 'will-x-shp'; did you mean 'will-x-ship' or "
                            "'will-y-ship'? (see `forecast-ledger list` for ids)")


def test_an_id_like_none_held_gets_no_suggestion(run, db):
    _question(run, "will-x-ship")
    _refused(run, db, ["show", "zzzz"],
             "error: no question 'zzzz' (see `forecast-ledger list` for ids)")


# -- edit -----------------------------------------------------------------------------------

def test_an_edit_that_changes_the_question_flags_earlier_forecasts(run, db):
    _question(run, "q")
    _forecast(run, "q", "30%", 1)
    result = run("edit", "q", "--criteria", "Yes if q happens twice.", "--reason", "stricter")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "edited q: version 2 (criteria changed)"
    assert "answering an older text" in result.stderr
    shown = run.json("show", "q")
    assert shown["criteria"] == "Yes if q happens twice."
    assert [v["changes_meaning"] for v in shown["versions"]] == [False, True]
    assert [f["older_text"] for f in shown["forecast_history"]] == [True]
    assert shown["edited_after_forecast"] and run.json("list")[0]["edited_after_forecast"]
    assert "changed what it asks: stricter" in run("show", "q").stdout
    assert run("verify").exit_code == 0


def test_a_clarification_does_not_flag_earlier_forecasts(run, db):
    _question(run, "q")
    _forecast(run, "q", "30%", 1)
    assert run("edit", "q", "--question", "Will q happen at all?", "--clarification",
               "--reason", "wording").exit_code == 0
    shown = run.json("show", "q")
    assert [f["older_text"] for f in shown["forecast_history"]] == [False]
    assert not shown["edited_after_forecast"] and shown["moved_goalposts"] == []
    assert "v2 recorded" in run("show", "q").stdout and "clarification: wording" in \
        run("show", "q").stdout


def test_moving_the_resolve_by_date_after_forecasts_is_flagged_as_moved_goalposts(run, db):
    _question(run, "q", by=100)
    _question(run, "quiet", by=100)
    assert run("edit", "quiet", "--resolve-by", str(OPENED + timedelta(days=50)),
               "--reason", "no forecasts yet").exit_code == 0  # not flagged: nobody forecast
    _forecast(run, "q", "30%", 1)
    new = OPENED + timedelta(days=120)
    assert run("edit", "q", "--resolve-by", str(new), "--clarification",
               "--reason", "date put right").exit_code == 0
    shown = run.json("show", "q")
    assert [(m["version"], m["from"], m["to"]) for m in shown["moved_goalposts"]] == [
        (2, str(OPENED + timedelta(days=100)), str(new))]
    assert (f"MOVED GOALPOSTS: v2 moved the resolve-by date from {OPENED + timedelta(days=100)}"
            f" to {new} after forecasts were made") in run("show", "q").stdout
    report = run("verify", "--report")
    assert report.exit_code == 0, report.stderr
    assert (f"moved goalposts: q v2 moved the resolve-by date from "
            f"{OPENED + timedelta(days=100)} to {new}") in report.stdout
    assert "quiet" not in report.stdout


def test_edit_refusals_write_nothing(run, db):
    _question(run, "q")
    _refused(run, db, ["edit", "q", "--question", "Will q happen?", "--reason", "same"],
             "error: question: the edit changes nothing in 'q' (give a new question, criteria, "
             "resolve-by date or tags)")
    _refused(run, db, ["edit", "q", "--resolve-by", str(OPENED - timedelta(days=1)),
                       "--reason", "x"],
             f"error: resolve_by: {OPENED - timedelta(days=1)} is before the question was "
             f"opened ({OPENED})")
    _refused(run, db, ["edit", "q", "--question", "Is?", "--reason", "x"],
             "error: question: 'Is?' is too short (at least 5 characters)")


# -- restore: the fixes are in the export and come back --------------------------------------

def test_fixes_survive_export_and_restore_and_verify(run, db, tmp_path):
    _question(run, "kept")
    _question(run, "dup")
    _forecast(run, "kept", "20%", 1)
    _forecast(run, "kept", "60%", 2)
    _forecast(run, "dup", "45%", 3, who="bob")
    assert run("withdraw", "kept", "--reason", "typo", forecaster="ann").exit_code == 0
    assert run("edit", "kept", "--question", "Will kept really happen?", "--clarification",
               "--reason", "wording").exit_code == 0
    assert run("merge", "dup", "kept", "--reason", "twice").exit_code == 0
    backup = tmp_path / "backup.yaml"
    assert run("export", "--reveal-blind", "--out", str(backup)).exit_code == 0
    text = backup.read_text()
    assert "withdrawn:" in text and "merged_into:" in text and "clarification: true" in text
    restored = tmp_path / "restored.duckdb"
    from conftest import Cli

    again = Cli(restored)
    assert again("import", str(backup)).exit_code == 0
    assert again("verify").exit_code == 0
    drop = {"seq", "hash", "entries", "forecast_seq"}

    def plain(v):
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items() if k not in drop}
        return [plain(x) for x in v] if isinstance(v, list) else v

    for args in (["list"], ["show", "dup"], ["show", "kept"]):
        assert plain(again.json(*args)) == plain(run.json(*args)), args
    assert again("import", str(backup)).stdout.strip().endswith("nothing changed")


def test_a_file_withdrawing_after_the_outcome_is_refused_at_its_line(run, db, tmp_path):
    path = write(tmp_path / "late.yaml", f"""questions:
  - id: q
    question: Will q happen?
    criteria: Yes if q happens.
    opened: {OPENED}
    resolve_by: {OPENED + timedelta(days=10)}
    forecasts:
      - forecaster: ann
        probability: 0.2
        made_at: {OPENED + timedelta(days=1)}
        withdrawn: {{reason: wrong}}
    resolution: {{outcome: no, resolved_on: {OPENED + timedelta(days=5)}}}
""")
    result = run("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{path}:11: withdrawn: the withdrawal came after the question was resolved; "
        "forecasts are withdrawn, and questions merged, only before the outcome is known")
    assert not db.exists()


def test_a_file_merging_into_an_unknown_question_is_refused_at_its_line(run, db, tmp_path):
    path = write(tmp_path / "m.yaml", f"""questions:
  - id: q
    question: Will q happen?
    criteria: Yes if q happens.
    opened: {OPENED}
    resolve_by: {OPENED + timedelta(days=10)}
    merged_into: {{id: nowhere, reason: same}}
""")
    result = run("import", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{path}:7: merged_into: no question 'nowhere' in the ledger or in the files imported")


# -- scores honour the fixes: scikit-learn on the corrected set ------------------------------

@st.composite
def fixed_histories(draw):
    n = draw(st.integers(2, 4))
    logged = []  # (question, forecaster, probability, day)
    for q in range(n):
        for day in range(draw(st.integers(1, 4))):
            logged.append((f"q{q}", draw(st.sampled_from(["ann", "bo"])),
                           draw(st.sampled_from([0.1, 0.3, 0.5, 0.8, 0.95])), 1 + day * n + q))
    withdrawals = draw(st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from(["ann", "bo"])),
                                max_size=3))
    merge = draw(st.none() | st.tuples(st.integers(1, n - 1), st.integers(0, n - 1)))
    outcomes = [draw(st.sampled_from(["yes", "no"])) for _ in range(n)]
    return n, logged, withdrawals, merge, outcomes


@settings(max_examples=10, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(history=fixed_histories())
def test_scores_and_calibration_honour_withdrawals_and_merges(tmp_path_factory, history):
    from conftest import Cli

    n, logged, withdrawals, merge, outcomes = history
    db = tmp_path_factory.mktemp("fixed") / "ledger.duckdb"
    led = Ledger(db)
    for q in range(n):
        actions.add_question(led, f"Will q{q} happen?", qid=f"q{q}", forecaster="ann",
                             resolve_by=OPENED + timedelta(days=100), opened=OPENED,
                             criteria="Yes if it does.")
    # the test's own model of what stands: per (question, forecaster), a stack in time order
    stacks: dict[tuple[str, str], list[float]] = {}
    for qid, who, p, day in sorted(logged, key=lambda r: r[3]):
        actions.add_forecast(led, qid, p, forecaster=who, made_at=_day(day))
        stacks.setdefault((qid, who), []).append(p)
    kept_of = {f"q{q}": f"q{q}" for q in range(n)}
    if merge is not None and merge[0] != merge[1]:
        fixes.merge_questions(led, f"q{merge[0]}", f"q{merge[1]}", reason="same")
        kept_of[f"q{merge[0]}"] = f"q{merge[1]}"
    # after a merge, a pair's forecasts on both questions form one stack (every forecast has a
    # day of its own, so time order is day order)
    merged: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for qid, who, p, day in logged:
        merged.setdefault((kept_of[qid], who), []).append((day, p))
    for key in merged:
        merged[key].sort()
    for q, who in withdrawals:
        qid = kept_of[f"q{q}"]
        if merged.get((qid, who)):
            fixes.withdraw_forecast(led, qid, by=who, reason="taken back")
            merged[(qid, who)].pop()
    for q in range(n):
        if kept_of[f"q{q}"] == f"q{q}":
            actions.resolve(led, f"q{q}", outcomes[q], resolved_by="ann")
    y, p = [], []
    for (qid, _who), stack in sorted(merged.items()):
        if stack:
            y.append(1 if outcomes[int(qid[1:])] == "yes" else 0)
            p.append(stack[-1][1])
    report = Cli(db).json("score")
    assert report["overall"]["n"] == len(y)
    if y:
        assert report["overall"]["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-12)
        assert report["overall"]["log_score"] == pytest.approx(
            log_loss(y, p, labels=[0, 1]), abs=1e-12)
        # no probability drawn sits on an edge of 3 uniform bins, where sklearn's (a, b]
        # and our [a, b) differ
        cal = Cli(db).json("calibration", "--bins", "3")
        frac, mean = calibration_curve(y, p, n_bins=3, strategy="uniform")
        filled = [b for b in cal["bins"] if b["count"]]
        assert cal["n"] == len(y)
        assert np.allclose([b["observed_frequency"] for b in filled], frac)
        assert np.allclose([b["mean_forecast"] for b in filled], mean)


def test_a_ledger_made_before_fixes_is_given_their_tables_on_its_first_open(run, db):
    from old_schema import make_v2

    _question(run, "q")
    _forecast(run, "q", "30%", 1)
    make_v2(db, before_fixes=True)  # schema 2, as the version before fixes held it
    assert [q["id"] for q in run.json("list")] == ["q"]
    assert run("withdraw", "q", "--reason", "r", forecaster="ann").exit_code == 0
    assert run("edit", "q", "--question", "Will q happen at all?", "--clarification",
               "--reason", "wording").exit_code == 0
    result = run("verify")
    assert result.exit_code == 0, result.stderr
