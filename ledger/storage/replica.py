"""A team ledger: the log on a PostgreSQL server, read through a local DuckDB replica.

Each client keeps an ordinary DuckDB ledger file (the replica) built by the store's own code
(:func:`ledger.storage.store.append_sealed`) from the server's entries, so every reader (list,
show, score, calibration, export, verify, the dashboard) runs on it unchanged and at local
speed. Syncing fetches only the entries after the last one the replica holds, checking each
block's hash as it arrives. A replica whose head is not on the server's chain is refused: it is
moved aside (never merged) and rebuilt from the server.

Writes (:meth:`TeamLedger.transaction`) take the server's append lock first, bring the replica
to the server's head under it, let the library validate and build the entries on the replica as
for a ledger file, send exactly those entries and blocks to the server, and commit there before
the replica: the chain stays one line whatever the number of writers, and a writer that dies at
any point leaves the server without a half entry (the replica, rolled back or behind, catches up
on its next sync).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ledger.errors import IdentityRefused, ServerError
from ledger.storage import pg
from ledger.storage.store import Ledger, _head, append_sealed

#: Entries fetched and appended to the replica per transaction while syncing.
CHUNK = 65_536
REPLICA_DIR_ENV = "FORECAST_LEDGER_REPLICA_DIR"


def replica_dir() -> Path:
    """Where replicas live: env FORECAST_LEDGER_REPLICA_DIR, else ~/.cache/forecast-ledger."""
    if os.environ.get(REPLICA_DIR_ENV):
        return Path(os.environ[REPLICA_DIR_ENV])
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "forecast-ledger"


def replica_path(url: str) -> Path:
    """The replica file of ``url``: one per user, server and database."""
    import getpass
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    user = parts.username or os.environ.get("PGUSER") or getpass.getuser()
    name = f"{user}@{parts.hostname or 'local'}_{parts.port or 5432}_{parts.path.strip('/')}"
    return replica_dir() / (re.sub(r"[^A-Za-z0-9._@-]", "_", name) + ".duckdb")


@dataclass
class SyncReport:
    """How far a replica was behind its server, and what a sync fetched."""

    replica: str
    before: int
    server: int
    fetched: int
    seconds: float
    rebuilt_from: str | None = None  # where a replica that disagreed was moved

    def summary(self) -> str:
        behind = self.server - self.before
        text = (f"replica at entry {self.before + self.fetched:,} of {self.server:,} "
                f"(was {behind:,} behind); fetched {self.fetched:,} in {self.seconds:.2f} s")
        if self.rebuilt_from:
            text = (f"the replica disagreed with the server's chain: moved it to "
                    f"{self.rebuilt_from} and rebuilt it; {text}")
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"replica": self.replica, "before": self.before, "server": self.server,
                "fetched": self.fetched, "seconds": round(self.seconds, 3),
                "rebuilt_from": self.rebuilt_from}


def _fetch_chunk(server: Any, after: int) -> tuple[list, list]:
    blocks = server.execute(
        f"SELECT first_seq, last_seq, content, hash FROM {pg.SCHEMA}.blocks "
        "WHERE first_seq > %s AND first_seq <= %s ORDER BY first_seq",
        [after, after + CHUNK]).fetchall()
    if not blocks:  # a block longer than CHUNK (none are written so, but be safe), or the end
        blocks = pg.fetch_blocks(server, after, 1)
    if not blocks:
        return [], []
    # Under row-level security, entries the server withholds from this member are missing.
    return pg.fetch_entries(server, blocks[0][0], blocks[-1][1]), blocks


def _move_aside(path: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = path.with_name(f"{path.name}.diverged-{stamp}")
    path.rename(aside)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal.rename(aside.with_name(aside.name + ".wal"))
    return aside


class _Diverged(Exception):
    """The replica's head is not on the server's chain."""


def _withheld(con: Any) -> list[int]:
    """Entry numbers the replica's blocks cover but it does not hold: what the server
    withholds from this member (others' forecasts on blind questions not yet forecast)."""
    head = _head(con)[0]
    # Usually nothing is withheld: a count tells, without a scan of the numbers.
    if con.execute("SELECT count(*) FROM entries").fetchall()[0][0] == head:
        return []
    return [s for (s,) in con.execute(
        "SELECT t.s FROM range(1, $1 + 1) t(s) ANTI JOIN entries e ON e.seq = t.s ORDER BY 1",
        [head]).fetchall()]


def _reveal(server: Any, con: Any) -> int:
    """Fetch the withheld entries the server now shows (their member has since forecast the
    blind question), check each block they complete against its content, and add them.
    Returns how many were added."""
    from ledger.errors import ChainMismatch
    from ledger.storage import schema
    from ledger.storage.store import (
        _projection,
        content_hash,
        number_joins,
        number_values,
        renumber,
        typed_columns,
    )

    missing = _withheld(con)
    if not missing:
        return 0
    rows = server.execute(
        f"SELECT seq, kind, subject, recorded_at, body FROM {pg.SCHEMA}.entries "
        "WHERE seq = ANY(%s) ORDER BY seq", [missing]).fetchall()
    if not rows:
        return 0
    got = [r[0] for r in rows]
    cols = [list(c) for c in zip(*rows, strict=True)]
    con.execute("INSERT INTO entries (seq, kind, subject, recorded_at, body, logged_at) "
                "SELECT *, TRY_CAST(b ->> 'logged_at' AS TIMESTAMP) FROM (SELECT unnest($1), "
                "unnest($2), unnest($3), unnest($4), unnest($5) AS b)", cols)
    for lo, hi, content in con.execute(
            "SELECT DISTINCT b.first_seq, b.last_seq, b.content FROM blocks b "
            "JOIN (SELECT unnest($1) AS s) r ON r.s BETWEEN b.first_seq AND b.last_seq",
            [got]).fetchall():
        bodies = [b for (b,) in con.execute(
            "SELECT body FROM entries WHERE seq BETWEEN $1 AND $2 ORDER BY seq",
            [lo, hi]).fetchall()]
        if len(bodies) == hi - lo + 1 and content_hash(bodies) != content:
            raise ChainMismatch(f"entries #{lo}..#{hi} revealed by the server do not match "
                                "their block's hash")
    # The typed tables: the revealed rows only (they are not after the head); then numbers
    # and pairs afresh, since these rows come before others already numbered.
    for kind in set(cols[1]):
        table = schema.KIND_TABLE[kind]
        con.execute(f"INSERT INTO {table} ({', '.join(typed_columns(table))}) "
                    f"SELECT e.*{number_values(table, 'e')} FROM (SELECT {_projection(table)} "
                    "FROM entries WHERE seq IN (SELECT unnest($1)) AND kind = $2) e"
                    f"{number_joins(table, 'e')} ORDER BY e.seq", [got, kind])
    renumber(con)
    return len(rows)


def _catch_up(server: Any, con: Any) -> tuple[int, int]:
    """Append to the replica on ``con`` what ``server`` holds after its head, in chunks, each
    checked by :func:`append_sealed`, and what it has revealed since (the caller commits).
    Returns ``(before, entries covered)``; raises :class:`_Diverged` before writing anything
    when the replica is not on the chain."""
    before, head = _head(con)
    if before and pg.block_hash_at(server, before) != head:
        raise _Diverged
    _reveal(server, con)
    at = before
    while True:
        rows, blocks = _fetch_chunk(server, at)
        if not blocks:
            return before, at - before
        append_sealed(con, rows, blocks, partial=True)
        at = blocks[-1][1]


def sync_replica(server: Any, replica: Ledger, *, status_only: bool = False) -> SyncReport:
    """Bring ``replica`` (a ledger file) to the head of ``server`` (an open connection).

    Each chunk is committed on its own, so a sync cut short keeps what it checked. A replica
    whose head is not a block hash on the server is moved aside and rebuilt, never merged.
    """
    started = time.perf_counter()
    server_last, _ = pg.server_head(server)
    rebuilt = None
    for _attempt in range(2):
        with Ledger.connect(replica, create=True, write=not status_only) as con:
            before, head = _head(con)
            if before and pg.block_hash_at(server, before) != head:
                if status_only:
                    raise ServerError(
                        f"the replica {replica.path} disagrees with the server's chain at "
                        f"entry #{before}", "run `forecast-ledger sync` to rebuild it")
                diverged = True
            else:
                diverged = False
                at = before
                if not status_only:
                    _in_transaction(con, lambda: _reveal(server, con))
                while not status_only:
                    rows, blocks = _fetch_chunk(server, at)
                    if not blocks:
                        break
                    _in_transaction(con, lambda r=rows, b=blocks: append_sealed(
                        con, r, b, partial=True))
                    at = blocks[-1][1]
                return SyncReport(str(replica.path), before, max(server_last, at),
                                  at - before, time.perf_counter() - started, rebuilt)
        if diverged:  # closed by now: moved aside whole
            rebuilt = str(_move_aside(replica.path))
    raise ServerError(f"could not rebuild the replica {replica.path}")  # pragma: no cover


def _in_transaction(con: Any, work: Any) -> Any:
    con.begin()
    try:
        done = work()
    except BaseException:
        con.rollback()
        raise
    con.commit()
    return done


def verify_partial(con: Any) -> tuple[int, str]:
    """Verify a replica that lacks withheld entries: the catalog, the envelope and typed
    tables of what it holds, every block's link, and the content of every block it holds
    whole (the rest is checked by the server's ``verify_chain``)."""
    from ledger.errors import BadEntry, CatalogChanged, TamperDetected
    from ledger.storage import catalog, schema, verify
    from ledger.storage.store import GENESIS, content_hash, link_hash

    db = catalog.database(con)
    catalog.pin(con, db)
    problems = catalog.catalog_problems(con, db) + catalog.meta_problems(con, db)
    if problems:
        raise CatalogChanged(problems)
    bad = verify._check_envelope(con)
    for table in schema.COLUMNS:
        bad += verify._check_table(con, table)
    prev, last = GENESIS, 0
    for lo, hi, content, digest in con.execute(
            "SELECT first_seq, last_seq, content, hash FROM blocks ORDER BY first_seq"
            ).fetchall():
        bodies = [b for (b,) in con.execute(
            "SELECT body FROM entries WHERE seq BETWEEN $1 AND $2 ORDER BY seq",
            [lo, hi]).fetchall()]
        whole = len(bodies) == hi - lo + 1
        if lo != last + 1 or link_hash(prev, lo, hi, content) != digest or (
                whole and content_hash(bodies) != content):
            bad.append(BadEntry(lo, "block", f"#{lo}..#{hi}", "does not match its hash"))
        prev, last = digest, hi
    if bad:
        raise TamperDetected(min(bad, key=lambda b: b.seq), len(bad))
    return last, prev


class TeamLedger(Ledger):
    """A ledger whose log lives on a PostgreSQL server; ``path`` is the local replica."""

    def __init__(self, url: str, replica: str | os.PathLike[str] | None = None,
                 lock_timeout: float | None = None) -> None:
        super().__init__(replica or replica_path(url), lock_timeout)
        self.url = url
        self._inside = False  # within transaction(): the replica is synced already
        self._identity: str | None = None
        self._any_name: bool | None = None
        self._con: Any = None

    def __repr__(self) -> str:
        return f"TeamLedger({pg.safe_url(self.url)!r}, replica={str(self.path)!r})"

    def exists(self) -> bool:
        return True  # the server says otherwise on connecting, in one line

    def where(self) -> str:
        """The server, for messages (no password)."""
        return pg.safe_url(self.url)

    @contextmanager
    def _server(self) -> Iterator[Any]:
        """This client's server connection, opened once and kept (a TeamLedger is used by one
        thread); rolled back on any error and dropped when broken."""
        import psycopg

        if self._con is None or self._con.closed:
            self._con = pg.connect(self.url)
            try:
                with pg.errors(self.url):
                    pg.require_schema(self._con, self.url)
            except BaseException:
                self.close()
                raise
        try:
            yield self._con
        except BaseException:
            if not self._con.closed:
                try:
                    self._con.rollback()
                except psycopg.Error:
                    self.close()
            raise
        finally:
            if self._con is not None and self._con.broken:
                self.close()

    def close(self) -> None:
        """Close the server connection (a new one is opened when needed)."""
        if self._con is not None:
            self._con.close()
            self._con = None

    def _who(self) -> None:
        with self._server() as server:
            self._identity = pg.identity(server)
            self._any_name = pg.may_write_any_name(server)
            server.rollback()

    def identity(self) -> str:
        """The forecaster this client writes as: its database role on the server."""
        if self._identity is None:
            self._who()
        assert self._identity is not None
        return self._identity

    def check_writer(self, name: str | None) -> str:
        """The name to write as: the connection's role; ``name`` (``--as``) naming someone
        else is refused, unless this role is the ledger's maintenance role."""
        me = self.identity()
        if not name or name == me or self._any_name:
            return name or me
        raise IdentityRefused(
            f"you are {me} on the team ledger {self.where()}; you cannot write as {name}",
            f"leave out --as (and FORECAST_LEDGER_FORECASTER), or connect as {name}")

    def sync(self, *, status_only: bool = False) -> SyncReport:
        """Fetch what the server holds after the replica's last entry (see
        :func:`sync_replica`)."""
        with self._server() as server, pg.errors(self.url):
            try:
                return sync_replica(server, self, status_only=status_only)
            finally:
                server.rollback()

    @contextmanager
    def connect(self, *, create: bool = False, write: bool = False) -> Iterator[Any]:
        """The replica, synced first (reads see what the server holds when they start)."""
        if not self._inside:
            self.sync()
        with super().connect(create=True, write=write) as con:
            yield con

    @contextmanager
    def transaction(self, *, create: bool = False) -> Iterator[Any]:
        """Validate and build entries on the replica under the server's append lock, then
        append them on the server and commit there first (see the module's docstring).

        The replica is opened before the lock is taken, and brought to the server's head under
        it in the same replica transaction, so the lock is held only for validating, building
        and sending the entries.
        """
        import psycopg

        with self._server() as server, pg.errors(self.url), ExitStack() as stack:
            self._inside = True
            stack.callback(setattr, self, "_inside", False)
            for _attempt in range(2):
                replica = stack.enter_context(ExitStack())  # closed on any error too
                con = replica.enter_context(Ledger.transaction(self, create=True))
                pg.lock_head(server)
                try:
                    _catch_up(server, con)
                except _Diverged:
                    replica.close()  # nothing was written to it; closed before moving it
                    server.rollback()
                    _move_aside(self.path)
                    continue
                break
            else:  # pragma: no cover
                raise ServerError(f"could not rebuild the replica {self.path}")
            first, _ = _head(con)
            yield con
            rows = con.execute(
                "SELECT seq, kind, subject, recorded_at, body FROM entries "
                "WHERE seq > $1 ORDER BY seq", [first]).fetchall()
            if rows:
                blocks = con.execute(
                    "SELECT first_seq, last_seq, content, hash FROM blocks "
                    "WHERE first_seq > $1 ORDER BY first_seq", [first]).fetchall()
                pg.insert(server, rows, blocks)
            try:
                server.commit()
            except psycopg.Error as exc:
                raise ServerError(f"the server refused the append: {pg.first_line(exc)}",
                                  "try again; nothing was written") from None

    def verify(self, *, expect_head: str | None = None,
               witness: str | os.PathLike[str] | None = None) -> tuple[int, str]:
        """Recompute the server's chain (on the server), sync, verify the replica as a ledger
        file (or, when the server withholds blind forecasts from this member, what it holds:
        :func:`verify_partial`), and check both end at the same head."""
        from ledger.errors import WitnessMismatch

        with self._server() as server, pg.errors(self.url):
            count, head = pg.verify_server(server)
            sync_replica(server, self)
            server.rollback()
        self._inside = True
        try:
            with Ledger.connect(self) as con:
                withheld = _withheld(con)
                got = verify_partial(con) if withheld else None
            if got is None:
                got = super().verify(expect_head=expect_head, witness=witness)
            elif expect_head is not None and expect_head.strip().lower() != got[1]:
                raise WitnessMismatch(f"the head is {got[1]}, not the expected {expect_head}")
        finally:
            self._inside = False
        if got[0] < count or got[0] == count and got[1] != head:
            raise ServerError(f"the replica ends at #{got[0]}, the server at #{count}",
                              "run `forecast-ledger sync`")
        return got


def copy_ledger(src: str, dst: str, *, chunk: int = CHUNK) -> int:
    """Copy a whole log, bodies and blocks unchanged, from a ledger file to an empty team
    ledger, or from a team ledger to a new ledger file; returns the entries copied.

    Unchanged means the copy's chain has the same head, so its exports are identical. Into a
    server, the copy is written in one transaction by a role that may write every member's
    name (the maintenance role, or the administrator); the source file is verified first.
    """
    from ledger.errors import LedgerError, OutputExists

    if pg.is_url(src) == pg.is_url(dst):
        raise LedgerError("copy moves a ledger between a file and a team ledger",
                          "give one ledger file and one postgresql:// URL")
    if pg.is_url(src):
        if Path(dst).exists():
            raise OutputExists(f"{dst} exists", "copy into a new file")
        target = TeamLedger(src, replica=dst)
        target.verify()
        return target.head()[0]
    source = Ledger(src)
    count, _head_hash = source.verify()
    import psycopg

    with pg.session(dst) as server, Ledger.connect(source) as con:
        pg.require_schema(server, dst)
        pg.lock_head(server)
        if pg.server_head(server)[0]:
            raise LedgerError(f"{pg.safe_url(dst)} already holds entries",
                              "copy into a team ledger that was just created with `init`")
        done = 0
        while done < count:
            blocks = con.execute(
                "SELECT first_seq, last_seq, content, hash FROM blocks "
                "WHERE first_seq > $1 AND first_seq <= $2 ORDER BY first_seq",
                [done, done + chunk]).fetchall()
            rows = con.execute("SELECT seq, kind, subject, recorded_at, body FROM entries "
                               "WHERE seq BETWEEN $1 AND $2 ORDER BY seq",
                               [blocks[0][0], blocks[-1][1]]).fetchall()
            pg.insert(server, rows, blocks)
            done = blocks[-1][1]
        try:
            server.commit()
        except psycopg.Error as exc:
            raise ServerError(f"the server refused the copy: {exc}".splitlines()[0]) from None
    return count
