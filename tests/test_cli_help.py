"""A CLI that helps a new user: global options after the command, filters that match nothing
named as such, and `add` warning about questions that already exist. Through the real entry
point, on real ledger files."""

from __future__ import annotations

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
