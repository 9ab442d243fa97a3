"""A CLI that helps a new user: global options after the command, filters that match nothing
named as such, and `add` warning about questions that already exist. Through the real entry
point, on real ledger files."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA, snapshot

from ledger.faces.cli import cli


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


# -- global options after the command ------------------------------------------------------

def test_as_after_the_command_logs_the_forecast_under_that_name(db):
    assert invoke("--db", str(db), "import", str(DATA / "good.yaml")).exit_code == 0
    done = invoke("--db", str(db), "forecast", "sample-price-rises", "--p", "0.6", "--as", "alice")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.startswith("logged alice's forecast 60% on sample-price-rises")


def test_db_after_the_command_is_the_ledger_used(db):
    assert invoke("import", str(DATA / "good.yaml"), "--db", str(db)).exit_code == 0
    listed = invoke("list", "--db", str(db))
    assert listed.exit_code == 0
    assert "sample-ships" in listed.stdout


def test_option_after_the_command_overrides_the_one_before_and_the_env(db, tmp_path):
    other = tmp_path / "other.duckdb"
    assert invoke("--db", str(db), "import", str(DATA / "good.yaml")).exit_code == 0
    before = snapshot(db)
    done = invoke("--db", str(other), "--as", "bob", "forecast", "sample-price-rises", "--p", "0.2",
                  "--db", str(db), "--as", "carol",
                  env={"FORECAST_LEDGER_DB": str(other), "FORECAST_LEDGER_FORECASTER": "dan"})
    assert done.exit_code == 0, done.stderr
    assert done.stdout.startswith("logged carol's forecast 20% on sample-price-rises")
    assert not other.exists()
    assert snapshot(db) != before


def test_env_still_applies_when_no_option_is_given_after_the_command(db):
    env = {"FORECAST_LEDGER_DB": str(db), "FORECAST_LEDGER_FORECASTER": "erin"}
    assert invoke("import", str(DATA / "good.yaml"), env=env).exit_code == 0
    done = invoke("forecast", "sample-price-rises", "--p", "0.3", env=env)
    assert done.stdout.startswith("logged erin's forecast 30% on sample-price-rises")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_shows_db_and_as_in_its_help(command):
    shown = invoke(command, "--help")
    assert shown.exit_code == 0
    assert "--as NAME" in shown.stdout
    assert "--db" in shown.stdout


def test_demo_keeps_its_own_db_option():
    shown = invoke("demo", "--help").stdout
    assert "Where to build the demo ledger" in shown
    assert "The ledger file, as before the command" not in shown


# -- filters that match nothing ------------------------------------------------------------

NO_QUESTIONS = ("the ledger has no questions yet (forecast-ledger import forecasts/, or "
                "forecast-ledger add)")


@pytest.fixture
def sample(run):
    assert run("import", str(DATA / "good.yaml")).exit_code == 0
    return run


@pytest.mark.parametrize(("args", "message"), [
    (("score", "--forecaster", "nobody"),
     "error: no scored forecasts by 'nobody'; forecasters are: Sample Outlet, alice, bob"),
    (("calibration", "--tag", "nope"),
     "error: no scored forecasts tagged 'nope'; tags are: pricing, product, sample"),
    (("score", "--source", "elsewhere"),
     "error: no scored forecasts from source 'elsewhere'; sources are: sample-outlet-2026"),
    (("list", "--forecaster", "nobody"),
     "error: no questions forecast by 'nobody'; forecasters are: Sample Outlet, alice, bob"),
    (("list", "--tag", "Product"),
     "error: no questions tagged 'Product'; tags are: pricing, product, sample"),
])
def test_a_filter_naming_what_the_ledger_lacks_says_so_and_lists_the_values(sample, args,
                                                                             message):
    done = sample(*args)
    assert done.exit_code == 1
    assert done.stderr.splitlines() == [message]
    assert done.stdout == ""


def test_known_filters_that_match_nothing_together_say_which(sample):
    done = sample("score", "--forecaster", "bob", "--tag", "pricing")
    assert done.exit_code == 0
    assert done.stdout.strip() == ("no scored forecasts by 'bob' tagged 'pricing'; only "
                                   "forecasts on questions resolved yes or no are scored")
    done = sample("calibration", "--forecaster", "alice", "--until", "2026-01-01")
    assert done.stdout.strip() == ("no scored forecasts by 'alice' resolved on or before "
                                   "2026-01-01; calibration counts only forecasts on questions "
                                   "resolved yes or no")
    done = sample("list", "--status", "overdue", "--tag", "product")
    assert done.exit_code == 0
    assert done.stdout.strip() == "no questions with status overdue tagged 'product'"


def test_a_filter_that_matches_is_scored_as_before(sample):
    done = sample("score", "--forecaster", "alice")
    assert done.exit_code == 0
    assert done.stdout.splitlines()[0] == "mode final: 1 forecaster-question pairs on 1 questions"


def test_an_empty_ledger_is_not_a_filter_that_matched_nothing(run, ledger):
    from ledger.storage.store import Ledger

    with Ledger(ledger.path).transaction(create=True):
        pass
    for args in (("score", "--forecaster", "nobody"), ("list", "--tag", "x"), ("score",),
                 ("calibration",), ("list",)):
        done = run(*args)
        assert done.exit_code == 0, args
        assert done.stdout.strip() == NO_QUESTIONS, args


def test_nothing_resolved_yet_is_not_a_filter_that_matched_nothing(run):
    assert run("add", "Will it happen soon?", "--by", "2030-01-01", "--p", "0.4").exit_code == 0
    assert run("score").stdout.startswith("nothing to score yet: scores appear once")
    done = run("score", "--forecaster", "tester")
    assert done.stdout.strip() == ("no scored forecasts by 'tester'; only forecasts on questions "
                                   "resolved yes or no are scored")


def test_many_values_are_cut_with_the_close_ones_first(run, tmp_path):
    from conftest import write

    people = "".join(f"      - forecaster: person-{i:02d}\n        probability: 0.5\n"
                     f"        made_at: 2026-01-1{i % 10}\n" for i in range(20))
    path = write(tmp_path / "many.yaml", (
        "questions:\n  - id: many-people\n    question: Will many people agree?\n"
        "    criteria: Yes if they do.\n    resolve_by: 2026-06-30\n    opened: 2026-01-01\n"
        "    forecasts:\n" + people))
    assert run("import", str(path)).exit_code == 0, run("import", str(path)).stderr
    done = run("list", "--forecaster", "person-7")
    assert done.exit_code == 1
    assert done.stderr.strip() == (
        "error: no questions forecast by 'person-7'; forecasters are: person-17, person-07, "
        "person-19, person-00, person-01, person-02, person-03, person-04, person-05, "
        "person-06, person-08, person-09, ... (20 in all)")


# -- add: the same or nearly the same question, and ids cut at a word -------------------------

def test_add_refuses_the_same_text_naming_the_question_and_writes_nothing(run, db):
    assert run("add", "Will it rain in Paris?", "--by", "2030-01-01").exit_code == 0
    before = snapshot(db)
    done = run("add", "will it rain in PARIS", "--by", "2031-01-01")
    assert done.exit_code == 1
    assert done.stderr.splitlines() == [
        "error: question: the same text is already in the ledger as 'will-it-rain-in-paris' "
        '("Will it rain in Paris?") (add --allow-duplicate to add it anyway, or log a forecast '
        "on it with `forecast-ledger forecast will-it-rain-in-paris --p P`)"]
    assert snapshot(db) == before


def test_add_refuses_nearly_the_same_text_even_with_its_own_id(run, db):
    assert run("add", "Will the sample product ship by 2026-06-30?", "--by", "2030-01-01",
               "--id", "ships").exit_code == 0
    before = snapshot(db)
    done = run("add", "Will the sample prodcut ship by 2026-06-30?", "--by", "2030-01-01",
               "--id", "ships-again")
    assert done.exit_code == 1
    assert done.stderr.startswith("error: question: nearly the same text is already in the "
                                  "ledger as 'ships' (\"Will the sample product ship by "
                                  "2026-06-30?\")")
    assert snapshot(db) == before


def test_allow_duplicate_warns_then_says_the_id_is_taken_before_naming_the_new_one(run):
    assert run("add", "Will it rain?", "--by", "2030-01-01").exit_code == 0
    done = run("add", "Will it rain?", "--by", "2030-01-01", "--allow-duplicate")
    assert done.exit_code == 0
    assert done.stderr.splitlines()[:2] == [
        "warning: the ledger already holds a question with the same or nearly the same text: "
        "'will-it-rain'",
        "note: the id 'will-it-rain' is taken, so this question is 'will-it-rain-2'"]
    assert done.stdout.strip() == "added will-it-rain-2"


def test_a_taken_id_of_a_different_question_is_said_before_the_new_id(run):
    assert run("add", "Will it snow?", "--id", "will-it-rain", "--by", "2030-01-01").exit_code == 0
    done = run("add", "Will it rain?", "--by", "2030-01-01", "--criteria", "Yes if it rains.")
    assert done.exit_code == 0
    assert done.stderr.splitlines() == [
        "note: the id 'will-it-rain' is taken, so this question is 'will-it-rain-2'"]
    assert done.stdout.strip() == "added will-it-rain-2"


def test_sibling_questions_differing_in_a_number_or_a_name_are_added_without_a_word(run):
    texts = ["Was U.S. real GDP growth in Q3 2022 about 1.75% (annualized)?",
             "Was U.S. real GDP growth in Q4 2022 about 0.75% (annualized)?",
             "Will Venezuela experience an onset of domestic political crisis by April 2014?",
             "Will China experience an onset of domestic political crisis by April 2014?",
             "Will six-party talks with North Korea resume before 1 May 2014?",
             "Will six-party talks with North Korea resume before 1 June 2014?"]
    for text in texts:
        done = run("add", text, "--by", "2030-01-01", "--criteria", "Yes if so.")
        assert (done.exit_code, done.stderr) == (0, ""), text


def test_long_text_makes_an_id_cut_at_a_word():
    from ledger import rules
    from ledger.ingest.actions import slugify

    text = "Will the committee publish its final report on the pretraining accident by May?"
    assert slugify(text) == "will-the-committee-publish-its-final-report-on-the"
    assert slugify("Will " + "x" * 80 + "?") == "will"
    assert slugify("Supercalifragilistic" * 5) == ("supercalifragilistic" * 5)[:60]
    assert len(slugify("a " * 200)) <= 60 < rules.ID_MAX - 3


def real_questions() -> list[str]:
    import csv
    import glob

    import yaml
    from conftest import FORECASTS, ROOT

    texts = [q["question"] for f in sorted(FORECASTS.glob("*.yaml"))
             for q in yaml.safe_load(f.read_text())["questions"]]
    devset = ROOT.parent / "shared" / "draft-devset"
    for f in sorted(glob.glob(str(devset / "*.gold.yaml"))):
        texts += [c["claim"] for c in yaml.safe_load(Path(f).read_text("utf-8")) or []]
    gjp = ROOT.parent / "shared" / "data" / "gjp" / "ifps.csv"
    with open(gjp, encoding="utf-8") as fh:
        texts += sorted({r["q_text"] for r in csv.DictReader(fh)})
    return texts


def test_near_duplicates_among_real_questions_are_exactly_the_known_reposts():
    """Over the article questions, the draft devset's gold claims and GJP's 527 questions, only
    GJP's two re-posts of one question are nearly the same (siblings differ in a number, a
    month or a name)."""
    import itertools

    from ledger.ingest.similar import nearly_same, words

    texts = real_questions()
    if len(texts) < 600:
        pytest.skip("../shared (draft devset, GJP data) is not beside this checkout")
    found = [(a, b) for (a, wa), (b, wb) in itertools.combinations(
        [(t, words(t)) for t in texts], 2) if nearly_same(wa, wb)]
    assert sorted(sorted(pair)[0][:50] for pair in found) == [
        "Before 1 March 2014, will the U.S. and E.U. *offic",
        "When will Mariano Rajoy **vacate the office of Pri"]


@pytest.mark.parametrize(("a", "b", "near"), [
    ("Will the product ship by 2026-06-30?", "Will product ship by 2026-06-30?", True),
    ("Will it rain?", "Will it rain today?", True),
    ("Will X ship by May?", "will x ship by may", True),
    ("Will it rain?", "Will it snow?", False),
    ("Will X exceed 5%?", "Will X exceed 5.5%?", False),
    ("Will X ship by May?", "Will X ship by June?", False),
    ("Will a Syrian force enter Israel by 2013?", "Will an Israeli force enter Syria by 2013?",
     False),
])
def test_nearly_same_on_made_up_pairs(a, b, near):
    from ledger.ingest.similar import nearly_same, words

    assert nearly_same(words(a), words(b)) is near
    assert nearly_same(words(b), words(a)) is near

