"""Starting the Streamlit dashboard on a ledger file (the CLI's ``dashboard`` command).

Streamlit runs in a child process that never asks anything and stops with us:

* it is always started headless with the e-mail prompt off, so a first run on a fresh machine
  (no ``~/.streamlit/credentials.toml``) does not stop at Streamlit's prompt, with or without a
  terminal; we open the browser ourselves once the server answers;
* SIGTERM, SIGINT and SIGHUP sent to us are passed on to it and we wait for it to stop; it runs
  in its own process group so a Ctrl+C in the terminal reaches it once, through us;
* on Linux it also gets PR_SET_PDEATHSIG, so it is stopped even when we are killed outright.

Nothing here imports streamlit: the CLI's other commands stay light.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

FORWARDED = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, n))
STOP_GRACE_S = 10.0  # how long a forwarded signal may take before the child is killed
OPEN_WAIT_S = 60.0  # how long we wait for the server before giving up opening a browser


def app_path() -> Path:
    """``dashboard/asgi.py`` of the installed distribution (it ships next to ``ledger/``)."""
    spec = importlib.util.find_spec("dashboard")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            if (Path(folder) / "asgi.py").is_file() and (Path(folder) / "streamlit_app.py"
                                                         ).is_file():
                return Path(folder) / "asgi.py"
    # An editable install made before dashboard/ became a package maps only ledger/; its
    # dashboard is then the checkout's, next to ledger/.
    return Path(__file__).resolve().parents[2] / "dashboard" / "asgi.py"


def dashboard_command(db: str, *, port: int = 8501, address: str = "127.0.0.1",
                      headless: bool = False) -> list[str]:
    """The command line that serves the dashboard; it binds to 127.0.0.1 unless told otherwise.

    Streamlit itself is always headless (no prompt, no browser of its own): ``headless`` only
    decides whether :func:`run_dashboard` opens a browser.
    """
    return [sys.executable, "-m", "streamlit", "run", str(app_path()),
            "--server.address", address, "--server.port", str(port),
            "--server.headless", "true", "--server.showEmailPrompt", "false",
            "--browser.gatherUsageStats", "false", "--browser.serverAddress", address,
            "--theme.base", "light", "--client.toolbarMode", "minimal"]


def _die_with_parent(parent: int) -> None:
    """In the child before exec: ask Linux to SIGTERM us when our parent dies."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the forwarded signals still apply
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def url_of(address: str, port: int) -> str:
    host = f"[{address}]" if ":" in address else address
    if address in ("0.0.0.0", "::"):  # noqa: S104 (a wildcard bind is browsed on loopback)
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def _can_open_browser() -> bool:
    # Without a display, Python's webbrowser would start a text browser in this terminal.
    if os.environ.get("BROWSER") or not sys.platform.startswith(("linux", "freebsd")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _open_when_ready(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + OPEN_WAIT_S
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                if r.read() == b"ok":
                    break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        return
    import webbrowser

    if not webbrowser.open(url):
        print(f"open {url} in your browser", file=sys.stderr)


def run_dashboard(db: str, *, port: int = 8501, address: str = "127.0.0.1",
                  headless: bool = False, forecaster: str | None = None) -> int:
    """Serve the dashboard on ``db`` until stopped; returns streamlit's exit code.

    ``forecaster`` pre-fills the dashboard's "You are", as ``--as`` names you in the CLI.
    """
    # A team ledger's URL is passed as it is (the dashboard reads its replica).
    env = {**os.environ, "FORECAST_LEDGER_DB": db if "://" in db else str(Path(db).resolve())}
    if forecaster:
        env["FORECAST_LEDGER_FORECASTER"] = forecaster
    parent = os.getpid()
    posix = os.name == "posix"
    proc = subprocess.Popen(
        dashboard_command(db, port=port, address=address, headless=headless), env=env,
        stdin=subprocess.DEVNULL, start_new_session=posix,
        preexec_fn=(lambda: _die_with_parent(parent)) if posix else None)
    stopping: list[float] = []

    def forward(signum: int, _frame: object) -> None:
        stopping.append(time.monotonic())
        if proc.poll() is None:
            proc.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        if not headless and _can_open_browser():
            threading.Thread(target=_open_when_ready, args=(url_of(address, port), proc),
                             daemon=True).start()
        while True:
            try:
                return proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                if stopping and time.monotonic() - stopping[0] > STOP_GRACE_S:
                    proc.kill()
    finally:
        if proc.poll() is None:  # an unexpected error of ours: do not leave it serving
            proc.kill()
            proc.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
