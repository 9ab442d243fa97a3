"""Shared fixtures: real ledger files in tmp_path, the real CLI, real YAML files on disk."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pg_server import pg_server, team  # noqa: F401  (fixtures: a real PostgreSQL for team ledgers)

from ledger.faces.cli import cli
from ledger.storage.store import Ledger

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
FORECASTS = ROOT / "forecasts"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The user's own settings must not leak into tests.
    for var in ("FORECAST_LEDGER_DB", "FORECAST_LEDGER_FORECASTER", "FORECAST_LEDGER_TZ"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FORECAST_LEDGER_LOCK_TIMEOUT", "5")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "ledger.duckdb"


@pytest.fixture
def ledger(db: Path) -> Ledger:
    return Ledger(db)


class Cli:
    """The real click entry point on a real ledger file."""

    def __init__(self, db: Path) -> None:
        self.db = db

    def __call__(self, *args: str, forecaster: str = "tester", env: dict | None = None):
        runner = CliRunner()
        return runner.invoke(cli, ["--db", str(self.db), "--as", forecaster, *args],
                             env=env, catch_exceptions=False)

    def json(self, *args: str, **kw):
        result = self(*args, "--json", **kw)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def run(db: Path) -> Cli:
    return Cli(db)


def snapshot(db: Path) -> str:
    """Everything the ledger holds, as text: compared before and after a refused change."""
    if not db.exists():
        return "<no ledger file>"
    import duckdb

    con = duckdb.connect(str(db))
    try:
        parts = []
        for table in ("entries", "sources", "questions", "forecasts", "resolutions"):
            rows = con.execute(f"SELECT * FROM {table} ORDER BY seq").fetchall()
            parts.append(f"{table}: {rows!r}")
        return "\n".join(parts)
    finally:
        con.close()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def console_script() -> str:
    found = shutil.which("forecast-ledger", path=str(Path(sys.executable).parent))
    assert found, "the forecast-ledger console script is not installed in this environment"
    return found


def run_script(*args: str, env: dict | None = None, cwd: Path | None = None
               ) -> subprocess.CompletedProcess:
    return subprocess.run([console_script(), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=120)



_exit_status: int | None = None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    # DuckDB's binding (nanobind) prints "leaked instance" lists at interpreter exit after
    # some error paths; they are harmless but land after pytest's summary, which is the line
    # CI reads. Once everything else has unconfigured, leave without the finalisers.
    if _exit_status is not None and not hasattr(config, "workerinput"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status)
