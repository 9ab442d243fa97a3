#!/usr/bin/env python3
"""The project's two commands, from a fresh clone with only python3:

    python3 dev.py run    # set up if needed, import forecasts/, open the dashboard
    python3 dev.py test   # set up if needed (and chromium for browser tests), run all tests

Setup is a virtual environment in .venv with the project installed in editable mode; it is
redone only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"


def say(text: str) -> None:
    print(f"[dev] {text}", flush=True)


def ensure_venv() -> None:
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == want:
        return
    if not (BIN / "python").exists():
        say("creating .venv")
        venv.create(VENV, with_pip=True)
    say("installing forecast-ledger and its test tools into .venv (about a minute)")
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(want + "\n")


def ensure_chromium() -> None:
    """The browser tests drive Debian's chromium; install it when we can (root + apt)."""
    if Path("/usr/bin/chromium").exists():
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing Debian's chromium for the browser tests")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=False, env=env,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=False, env=env,
                       stdout=subprocess.DEVNULL)
    if not Path("/usr/bin/chromium").exists():
        say("chromium is not installed and cannot be installed here: browser tests will skip")


def run(args: list[str]) -> int:
    ensure_venv()
    cli = str(BIN / "forecast-ledger")
    db = os.environ.get("FORECAST_LEDGER_DB", str(ROOT / "ledger.duckdb"))
    say(f"importing forecasts/ into {db}")
    code = subprocess.run([cli, "--db", db, "import", str(ROOT / "forecasts")]).returncode
    if code:
        return code
    command = [cli, "--db", db, "dashboard", *args]
    if os.name == "posix":
        # Become the dashboard process: a signal sent to `dev.py run` (Ctrl+C, SIGTERM, even
        # SIGKILL) then reaches the process that stops Streamlit, with no launcher left between.
        sys.stdout.flush()
        os.execv(cli, command)
    return subprocess.run(command).returncode


def test(args: list[str]) -> int:
    ensure_venv()
    ensure_chromium()
    # Two workers (pytest-xdist): the machines this runs on have two cores. Tests that time
    # things or kill processes wait on events, not on the clock, so they hold under that load.
    workers = [] if any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in args) \
        else ["-n", "2"]
    return subprocess.run([str(BIN / "python"), "-m", "pytest", *workers, *args],
                          cwd=ROOT).returncode


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test"):
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    return run(rest) if command == "run" else test(rest)


if __name__ == "__main__":
    sys.exit(main())
