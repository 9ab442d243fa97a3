"""Starting the Streamlit dashboard on a ledger file (the CLI's ``dashboard`` command)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "dashboard" / "streamlit_app.py"


def dashboard_command(db: str, *, port: int = 8501, address: str = "127.0.0.1",
                      headless: bool = False) -> list[str]:
    """The command line that serves the dashboard; it binds to 127.0.0.1 unless told otherwise."""
    return [sys.executable, "-m", "streamlit", "run", str(APP),
            "--server.address", address, "--server.port", str(port),
            "--server.headless", "true" if headless else "false",
            "--browser.gatherUsageStats", "false", "--browser.serverAddress", address,
            "--theme.base", "light", "--client.toolbarMode", "minimal"]


def run_dashboard(db: str, *, port: int = 8501, address: str = "127.0.0.1",
                  headless: bool = False, forecaster: str | None = None) -> int:
    """Serve the dashboard on ``db`` until interrupted; returns streamlit's exit code.

    ``forecaster`` pre-fills the dashboard's "You are", as ``--as`` names you in the CLI.
    """
    env = {**os.environ, "FORECAST_LEDGER_DB": str(Path(db).resolve())}
    if forecaster:
        env["FORECAST_LEDGER_FORECASTER"] = forecaster
    try:
        return subprocess.run(dashboard_command(db, port=port, address=address,
                                                headless=headless), env=env).returncode
    except KeyboardInterrupt:
        return 0
