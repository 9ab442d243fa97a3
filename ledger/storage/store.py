"""The ledger file: opening DuckDB safely, appending hash-chained entries, verifying history.

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

from ledger.errors import BadEntry, LedgerBusy, LedgerError, LedgerMissing, TamperDetected
from ledger.format.dates import iso_utc, utc_now
from ledger.storage import schema

DEFAULT_DB = "ledger.duckdb"
GENESIS = "0" * 64
LOCK_TIMEOUT = float(os.environ.get("FORECAST_LEDGER_LOCK_TIMEOUT", "15"))


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
                 lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    def exists(self) -> bool:
        return self.path.exists()

    # -- connections -------------------------------------------------------------------

    def _open(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.01
        while True:
            try:
                con = duckdb.connect(str(self.path))
                # DuckDB draws a progress bar on standard output for queries over 2 s (a 10M
                # ledger's verify has some); it would land inside --json output.
                con.execute("SET enable_progress_bar = false")
                return con
            except duckdb.IOException as exc:
                text = str(exc)
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
                raise LedgerError(
                    f"cannot open {self.path}: {first}",
                    "is it a forecast-ledger file made with DuckDB 2?",
                ) from None

    @contextmanager
    def connect(self, *, create: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection; ``create`` makes the file and schema when missing."""
        if not create and not self.path.exists():
            raise LedgerMissing(
                f"no ledger at {self.path}",
                "create one with `forecast-ledger import forecasts/` or `forecast-ledger add`, "
                "or point --db at another file",
            )
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        con = self._open()
        try:
            if create:
                _ensure_schema(con)
            elif _schema_version(con) == 1:
                # A ledger of the older schema is checked and upgraded when first opened:
                # every command and page reads the chain as schema 2 keeps it.
                _migrate_v1(con)
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self, *, create: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: anything raised inside rolls the whole change back, and a ledger
        file this transaction was to create is not left behind empty."""
        fresh = create and not self.path.exists()
        try:
            with self.connect(create=create) as con:
                con.begin()
                try:
                    yield con
                except BaseException:
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

    def verify(self) -> tuple[int, str]:
        """Check the hash chain and that the typed tables equal the log.

        Returns ``(entries checked, head hash)``; raises :class:`TamperDetected` naming the first
        bad entry otherwise.
        """
        with self.connect() as con:
            return verify(con)


def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schema in an empty file; upgrade a version-1 ledger; refuse a newer one."""
    version = _schema_version(con)
    if version is not None:
        if version == 1:
            _migrate_v1(con)
        elif version != schema.SCHEMA_VERSION:
            raise LedgerError(f"ledger schema version {version} is newer than this "
                              f"forecast-ledger's ({schema.SCHEMA_VERSION})",
                              "upgrade forecast-ledger")
        return
    con.begin()
    for ddl in schema.DDL:
        con.execute(ddl)
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(schema.SCHEMA_VERSION)])
    con.commit()


def _migrate_v1(con: duckdb.DuckDBPyConnection) -> None:
    """Upgrade a schema-1 ledger (one hash per entry, in the entries table) to blocks.

    The old chain is verified first, so a tampered ledger is refused rather than blessed.
    Bodies are unchanged; every entry becomes a block of its own (so nothing is lost in
    precision), and the old head is kept in ``meta`` (``v1_head``) so a head anchored before
    the upgrade can still be compared.
    """
    _count, old_head = _verify_v1(con)
    bodies = [b for (b,) in con.execute("SELECT body FROM entries ORDER BY seq").fetchall()]
    con.begin()
    con.execute("ALTER TABLE entries DROP COLUMN prev_hash")
    con.execute("ALTER TABLE entries DROP COLUMN hash")
    for ddl in schema.DDL:  # the blocks table, and the views of this version
        con.execute(ddl)
    _insert_blocks(con, _single_blocks(GENESIS, 1, bodies))
    con.execute("INSERT INTO meta VALUES ('v1_head', ?)", [old_head])
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                [str(schema.SCHEMA_VERSION)])
    con.commit()


def _verify_v1(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """Check a schema-1 chain: ``(entries, head)``, or :class:`TamperDetected` at the first
    entry whose number, link or hash is off."""
    prev, expected = GENESIS, 1
    for seq, kind, subject, body, prev_hash, digest in con.execute(
            "SELECT seq, kind, subject, body, prev_hash, hash FROM entries ORDER BY seq"
    ).fetchall():
        if seq != expected or prev_hash != prev or chain_hash_v1(prev, body) != digest:
            raise TamperDetected(BadEntry(seq, kind, subject, (
                "its schema-1 hash chain is broken, so the ledger cannot be upgraded")), 1)
        prev, expected = digest, seq + 1
    return expected - 1, prev


def _schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    with suppress(duckdb.CatalogException):
        rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        return int(rows[0][0]) if rows else None
    return None


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
    joined = "encode(string_agg(body, chr(10) ORDER BY seq))"
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
    """Append ``entries`` to the log and the typed tables, a block each. Call inside a
    transaction.

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
                    recorded_at=now_text if recorded_at is now else iso_utc(recorded_at))
        for col, value in zip(cols, (i, entry.kind, entry.subject, recorded_at,
                                     canonical(body)), strict=True):
            col.append(value)
    # One statement over lists: ~100x faster than executemany in DuckDB's Python client.
    con.execute(
        "INSERT INTO entries SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5)",
        cols,
    )
    _insert_blocks(con, _single_blocks(prev, last_seq + 1, cols[4]))
    for kind in set(cols[1]):
        table = schema.KIND_TABLE[kind]
        con.execute(
            f"INSERT INTO {table} SELECT {_projection(table)} FROM entries "
            "WHERE seq > $1 AND kind = $2 ORDER BY seq",
            [last_seq, kind],
        )
    return cols[0]


def _projection(table: str) -> str:
    parts = ["seq", "recorded_at"]
    parts += [f"{_extract(c, t)} AS {c}" for c, t in schema.COLUMNS[table].items()]
    return ", ".join(parts)


def verify(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """See :meth:`Ledger.verify`."""
    sequence = _check_sequence(con)
    bad: list[BadEntry] = _check_envelope(con)
    for table in schema.COLUMNS:
        bad += _check_table(con, table)
    # Where two findings name one entry, the first listed is shown: a gap in the numbers, then
    # the chain, then the columns. A block of one entry names it exactly. A block of many (a
    # bulk import) says only that something in its range is wrong; an entry found wrong by
    # itself names the culprit better, so such a block is reported only when nothing in it is.
    bad = sequence + [b for b, first, last in _check_blocks(con)
                      if first == last or not any(first <= o.seq <= last for o in bad)] + bad
    if bad:
        first = min(bad, key=lambda b: b.seq)
        raise TamperDetected(first, len(bad))
    count = con.execute("SELECT count(*) FROM entries").fetchall()[0][0]
    return count, _head(con)[1]


def _named(con: duckdb.DuckDBPyConnection, seq: int) -> tuple[str, str]:
    rows = con.execute("SELECT kind, subject FROM entries WHERE seq = $1 LIMIT 1", [seq]
                       ).fetchall()
    return rows[0] if rows else ("entry", "?")


def _check_sequence(con: duckdb.DuckDBPyConnection) -> list[BadEntry]:
    rows = con.execute(
        """SELECT seq, kind, subject, prev FROM (
               SELECT seq, kind, subject, coalesce(lag(seq) OVER (ORDER BY seq), 0) AS prev
               FROM entries)
           WHERE seq <> prev + 1 ORDER BY seq LIMIT 1""").fetchall()
    out = []
    for seq, kind, subject, prev in rows:
        if seq > prev + 1:
            out.append(BadEntry(prev + 1, kind, subject,
                                f"sequence jumps from #{prev} to #{seq}: entries were deleted "
                                "or reordered"))
        else:
            out.append(BadEntry(seq, kind, subject,
                                f"entry number #{seq} appears twice: entries were inserted"))
    return out


LINK = ("its link to the previous entry is broken: an entry before it was changed, deleted, "
        "inserted or reordered")


def _check_blocks(con: duckdb.DuckDBPyConnection) -> list[tuple[BadEntry, int, int]]:
    """The first block that does not tile the log, match its entries or link to the one
    before: ``[(finding, first seq, last seq)]``, or ``[]``."""
    top = con.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchall()[0][0]
    blocks = con.execute("SELECT first_seq, last_seq, content, hash FROM blocks "
                         "ORDER BY first_seq, last_seq").fetchall()

    def found(first: int, last: int, reason: str) -> list[tuple[BadEntry, int, int]]:
        kind, subject = _named(con, first)
        return [(BadEntry(first, kind, subject, reason), first, last)]

    expected = 1
    for first, last, _content, _hash in blocks:
        if first != expected or last < first:
            return found(min(first, expected), max(last, expected),
                         f"the block of entries #{first}-#{last} does not follow the one that "
                         f"ended at #{expected - 1}: blocks were changed, deleted or inserted")
        expected = last + 1
    if expected <= top:
        return found(expected, top, f"it belongs to no block of the hash chain (the last ends "
                                    f"at #{expected - 1}): it was added outside forecast-ledger")
    if expected - 1 > top:
        return found(top + 1, expected - 1, f"the hash chain covers entries up to "
                                            f"#{expected - 1} but the log ends at #{top}: "
                                            "entries were deleted from the end")
    prev, i = GENESIS, 0
    for batch in _batches([(f, la) for f, la, _c, _h in blocks]):
        contents = _hash_texts(_block_texts(con, batch))
        for (first, last), content in zip(batch, contents, strict=True):
            stored, digest = blocks[i][2], blocks[i][3]
            i += 1
            if content != stored:
                return found(first, last, (
                    "its content does not match its hash: it was changed" if first == last else
                    f"entries #{first}-#{last}, sealed together by a bulk import, do not match "
                    "their hash: one of them was changed"))
            if link_hash(prev, first, last, content) != digest:
                return found(first, last, LINK)
            prev = digest
    return []


def _check_envelope(con: duckdb.DuckDBPyConnection) -> list[BadEntry]:
    rows = con.execute(
        """SELECT seq, kind, subject FROM entries
           WHERE TRY_CAST(body ->> 'seq' AS BIGINT) IS DISTINCT FROM seq
              OR body ->> 'kind' IS DISTINCT FROM kind
              OR body ->> 'subject' IS DISTINCT FROM subject
              OR TRY_CAST(body ->> 'recorded_at' AS TIMESTAMP) IS DISTINCT FROM recorded_at
           ORDER BY seq LIMIT 1"""
    ).fetchall()
    return [BadEntry(s, k, sub, "its columns differ from its hashed content") for s, k, sub in rows]


def _check_table(con: duckdb.DuckDBPyConnection, table: str) -> list[BadEntry]:
    kind = next(k for k, t in schema.KIND_TABLE.items() if t == table)
    cols = ["recorded_at", *schema.COLUMNS[table]]
    differs = " OR ".join(f"e.{c} IS DISTINCT FROM t.{c}" for c in cols)
    rows = con.execute(
        f"""SELECT coalesce(e.seq, t.seq) AS seq,
                   -- a row added to the table is named after the entry holding its seq, if any
                   coalesce(e.kind, (SELECT kind FROM entries WHERE seq = t.seq), $1),
                   coalesce(e.subject, (SELECT subject FROM entries WHERE seq = t.seq), '?')
            FROM (SELECT kind, subject, {_projection(table)} FROM entries WHERE kind = $1) e
            FULL OUTER JOIN {table} t ON e.seq = t.seq
            WHERE e.seq IS NULL OR t.seq IS NULL OR {differs}
            ORDER BY 1 LIMIT 1""",
        [kind],
    ).fetchall()
    return [
        BadEntry(seq, entry_kind, subject,
                 f"the {table} table no longer matches the log (a row was changed, added "
                 "or deleted outside forecast-ledger)")
        for seq, entry_kind, subject in rows
    ]
