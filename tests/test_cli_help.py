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
