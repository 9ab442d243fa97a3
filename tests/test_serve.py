"""`forecast-ledger dashboard` and `python3 dev.py run` as real processes: they start without any
prompt on a fresh machine, stop Streamlit when they are stopped (SIGTERM, SIGINT, even SIGKILL),
and the served dashboard answers only requests addressed to it (no DNS rebinding, no foreign
websocket)."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import pty
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from conftest import DATA, FORECASTS, ROOT, console_script

pytestmark = pytest.mark.skipif(not Path("/proc/self").exists(),
                                reason="reads processes from /proc (Linux)")

START_S = 90  # bounded wait for a server to answer (2 shared cores, Streamlit imports ~3 s)
STOP_S = 20  # bounded wait for it to stop


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
            return r.read() == b"ok"
    except OSError:
        return False


def answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (an orphan may wait for its reaper)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def streamlit_pids(port: int) -> list[int]:
    """Every live streamlit process serving ``port`` (found by its command line in /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in argv and b"--server.port" in argv and str(port).encode() in argv \
                and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def wait_for(check, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            text = log.read_text(errors="replace") if log and log.exists() else ""
            pytest.fail(f"{what} within {timeout} s\n{text}")
        time.sleep(0.2)


@contextmanager
def started(argv: list[str], tmp_path: Path, port: int, *, env: dict | None = None,
            stdin=subprocess.DEVNULL, cwd: Path | None = None,
            inherit_env: bool = True) -> Iterator[subprocess.Popen]:
    """Start ``argv`` (which serves ``port``), wait until it answers, always clean up.

    ``env`` is added to this process's environment, or replaces it without ``inherit_env``.
    """
    log = tmp_path / f"serve-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=subprocess.STDOUT,
                                env={**(os.environ if inherit_env else {}), **(env or {})},
                                cwd=cwd or tmp_path,
                                start_new_session=True)
    try:
        wait_for(lambda: healthy(port) or proc.poll() is not None, START_S,
                 "the dashboard did not answer", log)
        assert healthy(port), log.read_text(errors="replace")
        proc.log = log  # type: ignore[attr-defined]
        yield proc
    finally:
        for pid in [proc.pid, *streamlit_pids(port)]:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=STOP_S)


def dashboard_argv(db: Path, port: int, *extra: str) -> list[str]:
    return [console_script(), "--db", str(db), "dashboard", "--port", str(port), *extra]


@pytest.fixture
def fresh_home(tmp_path) -> dict[str, str]:
    """An empty HOME (no ~/.streamlit) and a BROWSER that records what it is asked to open."""
    home = tmp_path / "home"
    home.mkdir()
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "record-browser"
    browser.write_text(f"#!/bin/sh\necho \"$1\" >> {opened}\n")
    browser.chmod(0o755)
    return {"HOME": str(home), "BROWSER": str(browser), "XDG_CONFIG_HOME": str(home / ".config")}


# -- no prompt on a fresh machine ------------------------------------------------------------

def test_dashboard_without_headless_starts_on_a_fresh_home_with_no_terminal(tmp_path,
                                                                            fresh_home):
    port = free_port()
    with started(dashboard_argv(tmp_path / "l.duckdb", port), tmp_path, port, env=fresh_home):
        opened = tmp_path / "opened.txt"
        wait_for(opened.exists, 30, "no browser was opened")
        assert opened.read_text().split() == [f"http://127.0.0.1:{port}"]
    assert not (Path(fresh_home["HOME"]) / ".streamlit" / "credentials.toml").exists()


def test_dashboard_without_headless_starts_under_a_terminal_on_a_fresh_home(tmp_path,
                                                                           fresh_home):
    """Under a pseudo-terminal Streamlit would wait at its e-mail prompt; nobody answers."""
    port = free_port()
    primary, secondary = pty.openpty()
    try:
        with started(dashboard_argv(tmp_path / "l.duckdb", port), tmp_path, port,
                     env=fresh_home, stdin=secondary) as proc:
            assert os.isatty(secondary)
        assert "Email" not in proc.log.read_text(errors="replace")
    finally:
        os.close(secondary)
        os.close(primary)


def test_dashboard_headless_opens_no_browser(tmp_path, fresh_home):
    port = free_port()
    with started(dashboard_argv(tmp_path / "l.duckdb", port, "--headless"), tmp_path, port,
                 env=fresh_home):
        time.sleep(2)
    assert not (tmp_path / "opened.txt").exists()


# -- stopping --------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL],
                         ids=["SIGTERM", "SIGINT", "SIGKILL"])
def test_a_signal_to_dashboard_stops_streamlit(tmp_path, sig):
    port = free_port()
    with started(dashboard_argv(tmp_path / "l.duckdb", port, "--headless"), tmp_path,
                 port) as proc:
        children = streamlit_pids(port)
        assert children and proc.pid not in children
        t0 = time.monotonic()
        os.kill(proc.pid, sig)
        proc.wait(timeout=STOP_S)
        wait_for(lambda: not answers(port), STOP_S, "the port still answers", proc.log)
        wait_for(lambda: not any(alive(pid) for pid in children), STOP_S,
                 "streamlit is still running")
        print(f"{sig.name}: stopped in {time.monotonic() - t0:.2f} s")
        assert streamlit_pids(port) == []


@pytest.fixture
def dev_checkout(tmp_path) -> Path:
    """A checkout holding dev.py, pyproject.toml and forecasts/, whose .venv is this test
    environment (reached through symlinks and stamped as installed, so dev.py installs nothing).
    """
    root = tmp_path / "checkout"
    root.mkdir()
    shutil.copy(ROOT / "dev.py", root / "dev.py")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(FORECASTS, root / "forecasts")
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    (bin_dir / "forecast-ledger").symlink_to(console_script())
    stamp = hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest()
    (root / ".venv" / ".installed").write_text(stamp + "\n")
    return root


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_dev_py_run_stops_streamlit(dev_checkout, tmp_path, sig):
    port = free_port()
    db = tmp_path / "dev.duckdb"
    argv = [sys.executable, str(dev_checkout / "dev.py"), "run", "--headless", "--port",
            str(port)]
    with started(argv, tmp_path, port, env={"FORECAST_LEDGER_DB": str(db)},
                 cwd=dev_checkout) as proc:
        assert db.exists()  # forecasts/ were imported first
        children = streamlit_pids(port)
        assert children
        os.kill(proc.pid, sig)
        proc.wait(timeout=STOP_S)
        wait_for(lambda: not answers(port), STOP_S, "the port still answers", proc.log)
        wait_for(lambda: not any(alive(pid) for pid in children), STOP_S,
                 "streamlit is still running")


# -- only requests addressed to this server --------------------------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[int]:
    tmp = tmp_path_factory.mktemp("served")
    db = tmp / "l.duckdb"
    subprocess.run([console_script(), "--db", str(db), "import", str(DATA / "good.yaml")],
                   check=True, capture_output=True)
    port = free_port()
    with started(dashboard_argv(db, port, "--headless"), tmp, port):
        yield port


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        con.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            con.putheader(name, value)
        con.endheaders()
        resp = con.getresponse()
        resp.read() if resp.status != 101 else None
        return resp.status, dict(resp.getheaders())
    finally:
        con.close()


def upgrade(port: int, host: str, origin: str) -> int:
    key = base64.b64encode(os.urandom(16)).decode()
    status, _ = get(port, "/_stcore/stream", {
        "Host": host, "Origin": origin, "Connection": "Upgrade", "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": key})
    return status


def test_requests_addressed_to_the_server_are_served(served):
    for host in (f"127.0.0.1:{served}", f"localhost:{served}"):
        assert get(served, "/", {"Host": host})[0] == 200
        assert get(served, "/_stcore/health", {"Host": host})[0] == 200
        assert upgrade(served, host, f"http://{host}") == 101


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1",
                                  "127.0.0.1:1", "localhost.evil.example:{port}", ""])
def test_a_foreign_host_header_is_refused(served, host):
    host = host.format(port=served)
    for path in ("/", "/_stcore/health", "/open"):
        assert get(served, path, {"Host": host})[0] == 403, (host, path)
    assert upgrade(served, host, f"http://{host}") == 403


@pytest.mark.parametrize("origin", ["http://evil.example", "http://evil.example:{port}",
                                    "null", "https://127.0.0.1:{port}"])
def test_a_websocket_from_a_foreign_origin_is_refused(served, origin):
    assert upgrade(served, f"127.0.0.1:{served}", origin.format(port=served)) == 403


def test_a_write_from_a_foreign_origin_is_refused_before_streamlit(served):
    con = http.client.HTTPConnection("127.0.0.1", served, timeout=10)
    try:
        con.request("PUT", "/_stcore/upload_file/s/f", body=b"x",
                    headers={"Host": f"127.0.0.1:{served}", "Origin": "http://evil.example"})
        resp = con.getresponse()
        assert (resp.status, resp.read()) == (403, b"refused: requests from other sites are "
                                                   b"refused\n")
    finally:
        con.close()
