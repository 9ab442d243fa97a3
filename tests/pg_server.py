"""A real PostgreSQL 15 server for the team-ledger tests, started in a temporary folder.

As ``../shared/recipes/postgresql.md`` measured: the server refuses to run as root, so as root
(tests and CI) it runs as the ``postgres`` system user in a folder that user owns. Password
authentication (scram-sha-256) is on, so each member connects as their own role and the
server's identity checks are tested for real. One server per test process (pytest-xdist
worker); each test gets a fresh database.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN = Path("/usr/lib/postgresql/15/bin")
ADMIN, ADMIN_PASSWORD = "fl_admin", "admin-secret"
MEMBERS = ("alice", "bob", "carol")
_counter = itertools.count(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """A throwaway cluster: ``url(user)`` for any of its roles, ``new_database()`` per test."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="fl-pg-"))
        self.port = _free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(a) for a in args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> PgServer:
        if self.as_root:
            shutil.chown(self.dir, "postgres")
        pwfile = self.dir / "pw"
        pwfile.write_text(ADMIN_PASSWORD + "\n")
        if self.as_root:
            shutil.chown(pwfile, "postgres")
        self._run(BIN / "initdb", "-D", self.dir / "data", "-A", "scram-sha-256", "-U", ADMIN,
                  f"--pwfile={pwfile}")
        self._run(BIN / "pg_ctl", "-D", self.dir / "data", "-l", self.dir / "log", "-w", "-o",
                  f"-k {self.dir} -c listen_addresses=127.0.0.1 -p {self.port} "
                  "-c max_connections=100 -c fsync=off", "start")
        import psycopg

        with psycopg.connect(self.url(ADMIN, dbname="postgres"), autocommit=True) as con:
            for name in MEMBERS:
                con.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{name}-secret'")
        return self

    def stop(self) -> None:
        try:
            self._run(BIN / "pg_ctl", "-D", self.dir / "data", "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, user: str, *, dbname: str = "postgres") -> str:
        password = ADMIN_PASSWORD if user == ADMIN else f"{user}-secret"
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        import psycopg

        name = f"team{os.getpid()}_{next(_counter)}"
        with psycopg.connect(self.url(ADMIN), autocommit=True) as con:
            con.execute(f"CREATE DATABASE {name}")
        return name


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    if not (BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL 15 is not installed ({BIN / 'initdb'} is missing): "
                    "apt-get install -y postgresql")
    server = PgServer().start()
    try:
        yield server
    finally:
        server.stop()


class Team:
    """One fresh team ledger database on the test server, initialised, with members."""

    def __init__(self, server: PgServer, replicas: Path) -> None:
        self.server = server
        self.dbname = server.new_database()
        self.replicas = replicas

    def url(self, user: str = ADMIN) -> str:
        return self.server.url(user, dbname=self.dbname)


@pytest.fixture
def team(pg_server: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Team:
    """A team ledger initialised by the administrator, alice, bob and carol its members."""
    from ledger.storage import pg

    replicas = tmp_path / "replicas"
    monkeypatch.setenv("FORECAST_LEDGER_REPLICA_DIR", str(replicas))
    t = Team(pg_server, replicas)
    pg.init(t.url(), members=MEMBERS)
    return t
