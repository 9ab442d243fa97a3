"""The CLI starts fast: nothing heavy is imported on its path except by `dashboard`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import DATA

HEAVY = ("pandas", "streamlit", "altair", "pyarrow", "sklearn", "scipy")

PROBE = """
import json, sys
from ledger.faces.cli import cli
try:
    cli(sys.argv[1:], prog_name="forecast-ledger")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)), file=sys.stderr)
"""


def loaded_after(*args: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=heavy), *args],
                          capture_output=True, text=True, timeout=60)
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("startup") / "l.duckdb"
    subprocess.run([sys.executable, "-m", "ledger", "--db", str(path), "import",
                    str(DATA / "good.yaml")], check=True, capture_output=True)
    return str(path)


@pytest.mark.parametrize("args", [
    ["--help"], ["list"], ["list", "--json"], ["show", "sample-ships"], ["verify"],
    ["export", "--format", "csv"], ["import", str(DATA / "good.yaml")],
    ["forecast", "sample-price-rises", "--p", "0.2"], ["dashboard", "--help"],
])
def test_cli_path_imports_nothing_heavy(db, args):
    assert loaded_after("--db", db, *args) == []


def test_help_does_not_even_import_duckdb():
    assert loaded_after("--help", heavy=("duckdb",)) == []
