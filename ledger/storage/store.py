"""The ledger file: opening DuckDB safely and appending hash-chained entries.

Verifying history is in :mod:`ledger.storage.verify`; what the file's catalog may hold, and how
each connection is pinned so nothing the file defines is called, in :mod:`ledger.storage.catalog`.

DuckDB lets one process hold a file read-write, or several hold it read-only, and a read-only
holder blocks writers too. So every operation, in the CLI and in the dashboard, opens a
short-lived read-write connection, retries with jittered backoff while another process holds
the lock, and closes it (about 13 ms; see shared/recipes). Nothing keeps a connection open
between commands or reruns, which is what lets the CLI and the dashboard share one file.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from ledger.errors import (
    ChainMismatch,
    LedgerBusy,
    LedgerError,
    LedgerMissing,
    NotALedger,
)
from ledger.format.dates import iso_utc, utc_now
from ledger.storage import catalog, opening, schema
from ledger.storage.derived import (  # noqa: F401  (numbers and pairs, for the store's callers)
    NUMBERS_SQL,
    extend_numbers,
    number_joins,
    number_values,
    pairs_sql,
    refresh_pairs,
    renumber,
    typed_columns,
)

DEFAULT_DB = "ledger.duckdb"
GENESIS = "0" * 64


#: Entries per block when a bulk import seals what it wrote (see :func:`link_hash`).
BLOCK = 4096
#: Entries whose bodies are fetched and hashed together while sealing or verifying.
BATCH = 262_144


# One encoder for every entry: json.dumps with options builds a new one per call.
_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical(body: dict[str, Any]) -> str:
    """The text of an entry written by Python: sorted keys, no spaces, UTF-8."""
    return _ENCODE(body)


def content_hash(bodies: str | bytes | Sequence[str]) -> str:
    """SHA-256 (hex) of a block's entry bodies in order, joined by newlines (UTF-8).

    A body is JSON, whose strings escape newlines, so the joined text splits back into the
    same bodies and no two blocks can hash alike by moving text across a boundary.
    """
    if isinstance(bodies, bytes):  # already joined and UTF-8, as DuckDB hands a BLOB over
        return hashlib.sha256(bodies).hexdigest()
    text = bodies if isinstance(bodies, str) else "\n".join(bodies)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def link_hash(prev_hash: str, first_seq: int, last_seq: int, content: str) -> str:
    """A block's hash: SHA-256 (hex) of ``prev_hash \\n first_seq \\n last_seq \\n content``.

    The log is a chain of blocks of consecutive entries, each hash covering the block before
    it, its range and its content, so the last hash (the head) pins the whole history. A few
    entries appended at a time get a block each, so ``verify`` names the exact entry that was
    changed; a bulk import seals blocks of :data:`BLOCK` entries, so its hashing runs over
    large texts at C speed (in threads) instead of once per entry in Python.
    """
    return hashlib.sha256(f"{prev_hash}\n{first_seq}\n{last_seq}\n{content}".encode("ascii")
                          ).hexdigest()


def chain_hash_v1(prev_hash: str, body_text: str) -> str:
    """Schema 1's per-entry chain: SHA-256 over the previous entry's hash and this body.

    Kept only to verify a version-1 ledger before it is upgraded (see :func:`_migrate_v1`).
    """
    return hashlib.sha256((prev_hash + body_text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewEntry:
    """A change to append: ``kind`` is source, question, forecast or resolution."""

    kind: str
    subject: str
    fields: dict[str, Any]
    recorded_at: Any = None  # naive UTC datetime; None means now


def _json_value(value: Any) -> Any:
    # By exact type first: this runs for every field of every entry an import writes.
    kind = type(value)
    if kind is str or kind is float or kind is int or value is None or kind is bool:
        return value
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _extract(column: str, typ: str) -> str:
    """SQL that reads ``column`` of type ``typ`` back out of an entry's JSON body."""
    if typ == "VARCHAR":
        return f"(body ->> '{column}')"
    if typ.endswith("[]"):
        return f"CAST(body -> '{column}' AS {typ})"
    return f"CAST(body ->> '{column}' AS {typ})"


class Ledger:
    """A ledger file. Cheap to create; every operation opens its own short connection."""

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_DB,
                 lock_timeout: float | None = None) -> None:
        self.path = Path(path)
        # Read when a ledger is made, not when this module is imported, so a bad value is one
        # line from the command that meets it.
        self.lock_timeout = (opening.lock_timeout_from_env() if lock_timeout is None
                             else lock_timeout)

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    def exists(self) -> bool:
        return self.path.exists()

    # -- connections -------------------------------------------------------------------

    def _writable(self) -> bool:
        # DuckDB needs the file and, for its write-ahead log, the folder. A read-only file
        # system or folder opens read-only, so reading commands still work there.
        folder = self.path.parent if str(self.path.parent) else Path(".")
        return os.access(folder, os.W_OK) and (
            not self.path.exists() or os.access(self.path, os.W_OK))

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.01
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
                # DuckDB draws a progress bar on standard output for queries over 2 s (a 10M
                # ledger's verify has some); it would land inside --json output.
                con.execute("SET enable_progress_bar = false")
                return con
            except duckdb.IOException as exc:
                text = str(exc)
                if not read_only and opening.READ_ONLY_FS.search(text) and self.path.exists():
                    read_only = True
                    continue
                if "lock" not in text.lower():
                    raise LedgerError(f"cannot open {self.path}: {text.splitlines()[0]}") from None
                if time.monotonic() >= deadline:
                    pid = re.search(r"PID (\d+)", text)
                    who = f" (PID {pid.group(1)})" if pid else ""
                    raise LedgerBusy(
                        f"another process{who} holds the ledger {self.path} "
                        f"and did not let go within {self.lock_timeout:g} s",
                        "close the other forecast-ledger command or dashboard, or try again",
                    ) from None
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.25)
            except duckdb.Error as exc:
                first = str(exc).splitlines()[0]
                raise NotALedger(
                    f"cannot open {self.path}: {first}",
                    "is it a forecast-ledger file made with DuckDB 2?",
                ) from None

    @contextmanager
    def connect(self, *, create: bool = False, write: bool = False
                ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection; ``create`` makes the file and schema when missing.

        Every open checks that the file is a ledger of this schema version, and pins the
        connection (see :mod:`ledger.storage.catalog`) so nothing the file defines is called.
        ``write`` refuses a ledger that can only be read, before anything is attempted.
        """
        if not create and not self.path.exists():
            raise LedgerMissing(
                f"no ledger at {self.path}",
                "create one with `forecast-ledger import forecasts/` or `forecast-ledger add`, "
                "or point --db at another file",
            )
        if create and not self.path.parent.is_dir():
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LedgerError(f"cannot create {self.path.parent}: {exc.strerror}") from None
        read_only = not self._writable()
        if read_only and (write or create and not self.path.exists()):
            raise opening.read_only_error(self.path)
        made = not self.path.exists()  # then DuckDB makes it: nothing can be in it yet
        con = self._open(read_only)
        read_only = opening.access_mode(con) == "read_only"
        try:
            try:
                opening.check_opened(con, self.path, create=create, read_only=read_only,
                                     write=write, made=made)
                if read_only and write:
                    raise opening.read_only_error(self.path)
                yield con
            except duckdb.Error as exc:
                raise opening.write_error(exc, self.path) from None
        finally:
            try:
                con.close()  # a checkpoint on close can meet a full disk too
            except duckdb.Error as exc:
                raise opening.write_error(exc, self.path) from None

    @contextmanager
    def transaction(self, *, create: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: anything raised inside rolls the whole change back, and a ledger
        file this transaction was to create is not left behind empty."""
        fresh = create and not self.path.exists()
        try:
            with self.connect(create=create, write=True) as con:
                con.begin()
                try:
                    yield con
                except BaseException:
                    with suppress(duckdb.Error):  # an aborted transaction may refuse even this
                        con.rollback()
                    raise
                con.commit()
        except BaseException:
            if fresh:  # closed by now: remove what opening it made
                for made in (self.path, self.path.with_name(self.path.name + ".wal")):
                    made.unlink(missing_ok=True)
            raise

    def head(self) -> tuple[int, str]:
        """``(number of the last entry, head hash)``: anchor it somewhere to pin history."""
        with self.connect() as con:
            return _head(con)

    def verify(self, *, expect_head: str | None = None,
               witness: str | os.PathLike[str] | None = None) -> tuple[int, str]:
        """Check the catalog, the hash chain, and that the typed tables equal the log; then
        that ``expect_head`` is the head and every head in the ``witness`` file is still on
        the chain (see :mod:`ledger.storage.verify`).

        Returns ``(entries checked, head hash)``; raises :class:`TamperDetected`,
        :class:`CatalogChanged` or :class:`WitnessMismatch` otherwise.
        """
        from ledger.storage.verify import verify_anchored

        with self.connect() as con:
            return verify_anchored(con, self.path, expect_head=expect_head, witness=witness)


def _migrate_v1(con: duckdb.DuckDBPyConnection, db: str) -> None:
    """Upgrade a schema-1 ledger (one hash per entry, in the entries table) to blocks, as
    schema 2 kept them (:func:`_migrate_v2` then takes it on to schema 3).

    The old chain is verified first, so a tampered ledger is refused rather than blessed.
    Bodies are unchanged; every entry becomes a block of its own (so nothing is lost in
    precision), and the old head is kept in ``meta`` (``v1_head``) so a head anchored before
    the upgrade can still be compared.
    """
    from ledger.storage.verify import verify_v1

    _count, old_head = verify_v1(con)
    bodies = [b for (b,) in con.execute("SELECT body FROM entries ORDER BY seq").fetchall()]
    con.begin()
    con.execute("ALTER TABLE entries DROP COLUMN prev_hash")
    con.execute("ALTER TABLE entries DROP COLUMN hash")
    catalog.create_schema(con, db, [d for d in schema.DDL if " blocks " in d])
    _insert_blocks(con, _single_blocks(GENESIS, 1, bodies))
    con.execute("DELETE FROM meta WHERE key = 'views'")
    con.execute("INSERT INTO meta VALUES ('v1_head', ?)", [old_head])
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.commit()


def _migrate_v2(con: duckdb.DuckDBPyConnection, db: str) -> None:
    """Upgrade a schema-2 ledger to schema 3: numbers, pairs and the ``logged_at`` column.

    The log is verified first as schema 2 kept it (chain, envelope, typed tables), so a
    tampered ledger is refused rather than blessed. Bodies are unchanged, so the chain and its
    head are too; entries written before the upgrade have no ``logged_at`` (NULL: unknown).
    """
    from ledger.storage.verify import verify_log

    con.begin()
    try:
        # A schema-2 ledger made before fixes (withdrawals, merges, clarifications) gets their
        # empty tables and column first, so that it verifies as this version's schema 2; in
        # the upgrade's transaction, so that a refused ledger is left as it was.
        con.execute("ALTER TABLE questions ADD COLUMN IF NOT EXISTS clarification BOOLEAN")
        catalog.create_schema(con, db, [d for d in schema.DDL if d.startswith(
            ("CREATE TABLE IF NOT EXISTS withdrawals", "CREATE TABLE IF NOT EXISTS merges"))])
        verify_log(con, schema_version=2)
    except BaseException:
        con.rollback()
        raise
    con.execute("ALTER TABLE entries ADD COLUMN logged_at TIMESTAMP")
    for table, numbers in schema.NUMBERS.items():
        for column, typ in numbers.items():
            con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {typ}")
    catalog.create_schema(con, db, schema.DDL)  # the new tables, and this version's views
    renumber(con)
    con.execute("DELETE FROM meta WHERE key = 'views'")
    con.execute("INSERT INTO meta VALUES ('views', ?)", [schema.VIEWS_REVISION])
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                [str(schema.SCHEMA_VERSION)])
    con.commit()


def _head(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """``(last seq, head hash)``: the last block's; ``(0, GENESIS)`` when empty."""
    rows = con.execute("SELECT last_seq, hash FROM blocks ORDER BY last_seq DESC LIMIT 1"
                       ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else (0, GENESIS)


Block = tuple[int, int, str, str]  # first_seq, last_seq, content, hash


def _single_blocks(prev: str, first_seq: int, bodies: Sequence[str]) -> list[Block]:
    """One block per entry, chained from ``prev``."""
    out = []
    for seq, body in enumerate(bodies, start=first_seq):
        content = content_hash(body)
        prev = link_hash(prev, seq, seq, content)
        out.append((seq, seq, content, prev))
    return out


def _insert_blocks(con: duckdb.DuckDBPyConnection, blocks: Sequence[Block]) -> None:
    if blocks:
        cols = [list(c) for c in zip(*blocks, strict=True)]
        con.execute("INSERT INTO blocks SELECT unnest($1), unnest($2), unnest($3), unnest($4)",
                    cols)


def _block_texts(con: duckdb.DuckDBPyConnection, spans: Sequence[tuple[int, int]]
                 ) -> list[bytes]:
    """The joined bodies of each ``(first_seq, last_seq)`` span, consecutive and in order.

    As BLOBs: UTF-8 bytes ready for hashing, never decoded into Python text and encoded back.
    """
    if not spans:
        return []
    first, last = spans[0][0], spans[-1][1]
    # encode() is the UTF-8 bytes; a CAST to BLOB would read backslashes as escapes.
    # System-qualified: a macro of the file named encode or string_agg cannot stand in.
    joined = ("system.main.encode(system.main.string_agg(body, system.main.chr(10) "
              "ORDER BY seq))")
    if all(hi - lo + 1 == BLOCK for lo, hi in spans[:-1]) and \
            all(lo == first + i * BLOCK for i, (lo, _) in enumerate(spans)):
        # Blocks a bulk import sealed: found by arithmetic, without a join.
        return [t for (t,) in con.execute(
            f"""SELECT {joined} FROM entries WHERE seq BETWEEN $1 AND $2
                GROUP BY (seq - $1) // {BLOCK} ORDER BY (seq - $1) // {BLOCK}""",
            [first, last]).fetchall()]
    rows = con.execute(
        f"""SELECT b.first_seq, {joined}
           FROM entries e ASOF JOIN (SELECT unnest($1) AS first_seq) b ON e.seq >= b.first_seq
           WHERE e.seq BETWEEN $2 AND $3
           GROUP BY b.first_seq ORDER BY b.first_seq""",
        [[f for f, _ in spans], first, last]).fetchall()
    found = dict(rows)
    return [found.get(f, b"") for f, _ in spans]


def _hash_texts(texts: list[bytes]) -> list[str]:
    """:func:`content_hash` of each text; two threads, since hashlib lets go of the GIL on
    large inputs."""
    if len(texts) < 4:
        return [content_hash(t) for t in texts]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return list(pool.map(content_hash, texts))


def _batches(spans: Sequence[tuple[int, int]]) -> Iterator[list[tuple[int, int]]]:
    """Consecutive spans grouped to about :data:`BATCH` entries each."""
    batch: list[tuple[int, int]] = []
    size = 0
    for span in spans:
        batch.append(span)
        size += span[1] - span[0] + 1
        if size >= BATCH:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def seal(con: duckdb.DuckDBPyConnection, first_seq: int, last_seq: int,
         progress: Callable[[str, int, int], None] | None = None) -> str:
    """Chain entries ``first_seq``..``last_seq``, already in ``entries``, in blocks of
    :data:`BLOCK`: the bulk path. Returns the new head."""
    _last, prev = _head(con)
    spans = [(lo, min(lo + BLOCK - 1, last_seq)) for lo in range(first_seq, last_seq + 1, BLOCK)]
    total = last_seq - first_seq + 1
    for batch in _batches(spans):
        contents = _hash_texts(_block_texts(con, batch))
        blocks = []
        for (lo, hi), content in zip(batch, contents, strict=True):
            prev = link_hash(prev, lo, hi, content)
            blocks.append((lo, hi, content, prev))
        _insert_blocks(con, blocks)
        if progress:
            progress("hashing", batch[-1][1] - first_seq + 1, total)
    return prev


def append(con: duckdb.DuckDBPyConnection, entries: Sequence[NewEntry]) -> list[int]:
    """Append ``entries`` to the log and the typed tables, a block each; number new questions
    and forecasters, and refresh the pairs of the questions forecast. Call inside a
    transaction.

    Every body carries ``logged_at``, the time of this append (the ledger's own clock), beside
    ``recorded_at``, which is the entry's claim or, without one, the same time.

    Returns the new sequence numbers.
    """
    if not entries:
        return []
    last_seq, prev = _head(con)
    now = utc_now()
    now_text = iso_utc(now)
    cols: list[list[Any]] = [[] for _ in range(5)]
    for i, entry in enumerate(entries, start=last_seq + 1):
        recorded_at = entry.recorded_at or now
        body = {k: _json_value(v) for k, v in entry.fields.items()}
        body.update(seq=i, kind=entry.kind, subject=entry.subject,
                    recorded_at=now_text if recorded_at is now else iso_utc(recorded_at),
                    logged_at=now_text)
        for col, value in zip(cols, (i, entry.kind, entry.subject, recorded_at,
                                     canonical(body)), strict=True):
            col.append(value)
    # One statement over lists: ~100x faster than executemany in DuckDB's Python client.
    con.execute(
        "INSERT INTO entries (seq, kind, subject, recorded_at, body, logged_at) "
        "SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5), $6",
        [*cols, now],
    )
    _insert_blocks(con, _single_blocks(prev, last_seq + 1, cols[4]))
    _project(con, last_seq, set(cols[1]))
    return cols[0]


def _project(con: duckdb.DuckDBPyConnection, after: int, kinds: set[str]) -> None:
    """Fill the typed tables from the entries after ``after`` (of ``kinds``): number new
    questions and forecasters, and refresh the pairs of the questions forecast."""
    new = "FROM entries WHERE seq > $since AND kind = '{0}'"
    extend_numbers(con, f"SELECT body ->> 'id', seq {new.format('question')}"
                   if "question" in kinds else None,
                   f"SELECT body ->> 'forecaster', seq {new.format('forecast')}"
                   if "forecast" in kinds else None, {"since": after})
    for kind in kinds:
        table = schema.KIND_TABLE[kind]
        con.execute(
            f"INSERT INTO {table} ({', '.join(typed_columns(table))}) "
            f"SELECT e.*{number_values(table, 'e')} FROM "
            f"(SELECT {_projection(table)} FROM entries WHERE seq > $1 AND kind = $2) e "
            f"{number_joins(table, 'e')} ORDER BY e.seq",
            [after, kind],
        )
    if "forecast" in kinds:
        refresh_pairs(con, since_seq=after)


def append_sealed(con: duckdb.DuckDBPyConnection,
                  rows: Sequence[tuple[int, str, str, Any, str]],
                  blocks: Sequence[Block], *, partial: bool = False) -> str:
    """Append entries numbered, written and chained elsewhere: a team ledger's replica.

    ``blocks`` follow this ledger's head and ``rows`` (``(seq, kind, subject, recorded_at,
    body)``, in order) are their entries. Each block's content and link are recomputed here
    before anything is written, so a replica never holds what does not chain onto what it held.
    With ``partial``, entries the server withholds (others' forecasts on a blind question) may
    be missing: a block missing some is checked by its link alone, and its content is checked
    once they are revealed. The typed tables are filled as :func:`append` fills them. Call
    inside a transaction. Returns the new head.
    """
    last_seq, prev = _head(con)
    if not blocks:
        return prev
    seqs = [r[0] for r in rows]
    if blocks[0][0] != last_seq + 1 or (rows and (
            seqs[0] < blocks[0][0] or seqs[-1] > blocks[-1][1]
            or any(b <= a for a, b in zip(seqs, seqs[1:], strict=False))
            or not partial and len(rows) != blocks[-1][1] - blocks[0][0] + 1)) \
            or not rows and not partial:
        raise ChainMismatch(f"entries do not fill blocks #{blocks[0][0]}..#{blocks[-1][1]} "
                            f"after the replica's head #{last_seq}")
    by_seq = {r[0]: r[4] for r in rows}
    whole = [all(s in by_seq for s in range(lo, hi + 1)) for lo, hi, _c, _h in blocks]
    texts = ["\n".join(by_seq[s] for s in range(lo, hi + 1)).encode()
             for (lo, hi, _c, _h), full in zip(blocks, whole, strict=True) if full]
    hashed = iter(_hash_texts(texts))
    for (lo, hi, content, digest), full in zip(blocks, whole, strict=True):
        got = next(hashed) if full else content
        if lo != last_seq + 1 or got != content or link_hash(prev, lo, hi, got) != digest:
            raise ChainMismatch(f"block #{lo}..#{hi} does not match its entries or does not "
                                "link to the block before")
        last_seq, prev = hi, digest
    if rows:
        cols = [list(c) for c in zip(*rows, strict=True)]
        # logged_at is the writer's clock, in the body (the chain covers it)
        con.execute("INSERT INTO entries (seq, kind, subject, recorded_at, body, logged_at) "
                    "SELECT *, TRY_CAST(b ->> 'logged_at' AS TIMESTAMP) FROM (SELECT "
                    "unnest($1), unnest($2), unnest($3), unnest($4), unnest($5) AS b)", cols)
    _insert_blocks(con, blocks)
    if rows:
        _project(con, blocks[0][0] - 1, set(cols[1]))
    return prev


def _projection(table: str) -> str:
    """The typed row of an entry (envelope and body columns), read out of its body."""
    parts = ["seq", "recorded_at"]
    parts += [f"{_extract(c, t)} AS {c}" for c, t in schema.COLUMNS[table].items()]
    return ", ".join(parts)
