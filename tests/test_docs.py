"""Docs cannot rot: every command is in the README with an example, and has help with one."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from conftest import ROOT

from ledger.faces.cli import cli
from ledger.format.models import json_schema

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def test_there_are_commands():
    assert {"import", "add", "forecast", "resolve", "list", "show", "export", "verify"} <= set(
        COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_command_is_in_readme_table_with_an_example(command):
    row = re.search(rf"^\| `{command}` \|(.+)\| `forecast-ledger [^`]*{command}[^`]*` \|$",
                    README, re.MULTILINE)
    assert row, f"README's command table has no row with an example for `{command}`"


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_has_text_and_an_example(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert cli.commands[command].help, f"{command} has no help text"
    assert "Example:" in result.stdout
    example = result.stdout.split("Example:", 1)[1]
    assert f"forecast-ledger {command}" in example or "forecast-ledger --db" in example


def test_readme_names_the_two_commands_and_ci_runs_the_test_one():
    assert "python3 dev.py run" in README
    assert "python3 dev.py test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.strip().splitlines()[-1] == "exec python3 dev.py test"


def test_shipped_json_schema_is_generated_from_the_models():
    shipped = json.loads((ROOT / "docs" / "forecast-file.schema.json").read_text())
    assert shipped == json_schema(), (
        "docs/forecast-file.schema.json is stale: run "
        "`forecast-ledger schema --out docs/forecast-file.schema.json`")


def test_readme_example_file_imports(tmp_path, run):
    block = README.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.yaml"
    path.write_text(block)
    result = run("import", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == (
        "1 file read; added 1 new source, 1 new question, 2 new forecasts, 1 new resolution")
