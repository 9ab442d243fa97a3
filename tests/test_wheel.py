"""The built wheel is the whole product: it ships dashboard/ with every page, declares what the
dashboard imports, and `forecast-ledger dashboard` serves the app from the installed package in
a fresh virtual environment, from an empty folder, with no checkout in sight.

The fresh venv gets our wheel (with --no-deps) and reaches the third-party libraries of this test
environment through a .pth line naming its site-packages. A .pth line adds a folder without
running the .pth files inside it, so this environment's editable finder for the checkout is not
loaded: the test checks that ``ledger`` and ``dashboard`` are imported from the new venv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
from conftest import DATA, ROOT
from test_serve import free_port, started, streamlit_pids

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"


def shipped_sources() -> set[str]:
    """Every file of the checkout's dashboard/ (a wheel must hold each of them)."""
    return {p.relative_to(ROOT).as_posix() for p in (ROOT / "dashboard").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"  # a copy: building writes build/ and *.egg-info next to the sources
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("ledger", "dashboard"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    dist = tmp / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "-q", "-w", str(dist), str(src)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = dist.glob("forecast_ledger-*.whl")

    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env_dir)
    py = env_dir / "bin" / "python"
    purelib = Path(subprocess.run([str(py), "-c", "import sysconfig; "
                                   "print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    env = clean_env(env_dir)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps",
                    "--no-index", "--disable-pip-version-check", "-q", str(wheel)],
                   check=True, capture_output=True, timeout=300, env=env)
    # Third-party libraries only: this environment's site-packages, without running its .pth
    # files (one of them maps ``ledger`` to the checkout).
    (purelib / "shared_third_party.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return {"wheel": wheel, "venv": env_dir, "py": py, "purelib": purelib, "env": env,
            "tmp": tmp}


def clean_env(env_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_the_wheel_holds_ledger_and_every_file_of_the_dashboard(build):
    names = set(zipfile.ZipFile(build["wheel"]).namelist())
    assert "dashboard/streamlit_app.py" in names and "dashboard/asgi.py" in names
    pages = {p.name for p in (ROOT / "dashboard" / "app_pages").glob("*.py")}
    assert {"overview.py", "log.py", "open.py", "blind.py"} <= pages
    assert {f"dashboard/app_pages/{name}" for name in pages} <= names
    assert shipped_sources() <= names, shipped_sources() - names
    assert "ledger/faces/serve.py" in names and "ledger/faces/cli.py" in names


def test_the_wheel_declares_what_the_dashboard_imports(build):
    with zipfile.ZipFile(build["wheel"]) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        requires = [line.split(":", 1)[1].strip().split(";")[0]
                    for line in zf.read(meta).decode().splitlines()
                    if line.startswith("Requires-Dist:") and "extra ==" not in line]
    declared = {r.split(">")[0].split("<")[0].split("=")[0].strip().lower() for r in requires}
    assert {"pandas", "streamlit", "altair", "starlette", "duckdb"} <= declared


def test_the_installed_package_is_imported_from_the_new_venv(build):
    empty = build["tmp"] / "empty-cwd"
    empty.mkdir(exist_ok=True)
    probe = ("import json, ledger, dashboard, ledger.faces.serve as s; "
             "print(json.dumps([ledger.__file__, dashboard.__file__, str(s.app_path())]))")
    out = subprocess.run([str(build["py"]), "-c", probe], capture_output=True, text=True,
                         env=build["env"], cwd=empty, check=True).stdout
    for path in json.loads(out):
        assert Path(path).is_relative_to(build["purelib"]), path
    assert json.loads(out)[2] == str(build["purelib"] / "dashboard" / "asgi.py")


def test_the_installed_dashboard_serves_the_app_from_an_empty_folder(build, tmp_path):
    cli = str(build["venv"] / "bin" / "forecast-ledger")
    db = tmp_path / "l.duckdb"
    subprocess.run([cli, "--db", str(db), "import", str(DATA / "good.yaml")], check=True,
                   capture_output=True, env=build["env"], cwd=tmp_path, timeout=120)
    cwd = tmp_path / "empty"
    cwd.mkdir()
    port = free_port()
    with started([cli, "--db", str(db), "dashboard", "--headless", "--port", str(port)],
                 tmp_path, port, env=build["env"], inherit_env=False, cwd=cwd):
        (child,) = streamlit_pids(port)
        argv = Path(f"/proc/{child}/cmdline").read_bytes().decode().split("\0")
        assert str(build["purelib"] / "dashboard" / "asgi.py") in argv
        if not Path(CHROMIUM).exists():
            pytest.skip(f"{CHROMIUM} is missing: the page itself was not opened")
        from playwright.sync_api import expect, sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM,
                                        args=["--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page()
                page.set_default_timeout(60_000)
                page.goto(f"http://127.0.0.1:{port}/open")
                page.get_by_role("heading", name="Open / due / overdue", exact=True).wait_for()
                page.get_by_text("questions, sorted by resolve-by date").wait_for()
                # the table is drawn by a lazily loaded component: slow on busy cores
                expect(page.get_by_test_id("stDataFrame").first).to_contain_text(
                    "sample", timeout=60_000)
                page.get_by_role("link", name="Log / resolve").click()
                page.get_by_role("heading", name="Log / resolve", exact=True).wait_for()
            finally:
                browser.close()
