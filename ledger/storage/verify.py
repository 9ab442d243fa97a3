"""Verifying a ledger: trusting nothing the file holds but its rows.

Order matters. First the catalog and ``meta`` are compared with what this version creates
(:mod:`ledger.storage.catalog`), so the file holds no macro, view, table or sequence of its
own; the connection is pinned besides, so built-in functions come first. Then the log is
checked: entry numbers, the hash chain recomputed from the raw bytes of the bodies with
:mod:`hashlib`, the envelope columns and the typed tables against the bodies. Last, heads kept
elsewhere (``--expect-head``, a witness file) must still be on the chain: a chain recomputed
from scratch, or one cut at the end, checks by itself but not against a witness.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from ledger.errors import BadEntry, CatalogChanged, LedgerError, TamperDetected, WitnessMismatch
from ledger.format.dates import utc_now
from ledger.storage import catalog, schema
from ledger.storage.store import (
    GENESIS,
    NUMBERS_SQL,
    _batches,
    _block_texts,
    _hash_texts,
    _head,
    chain_hash_v1,
    link_hash,
    number_joins,
    number_values,
    pairs_sql,
)
from ledger.storage.verify_quick import (
    ENVELOPE,
    json_structure,
    log_holds,
    quick_from,
    quietly,
    typed_hold,
)

#: The witness file kept next to a ledger unless ``--witness`` names another.
WITNESS_SUFFIX = ".witness"


def default_witness(path: Path) -> Path:
    """``ledger.duckdb`` -> ``ledger.duckdb.witness``, beside it."""
    return path.with_name(path.name + WITNESS_SUFFIX)


def verify_v1(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
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

def verify(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """The catalog and ``meta``, then the log: see :meth:`Ledger.verify`."""
    db = catalog.database(con)
    catalog.pin(con, db)
    problems = catalog.catalog_problems(con, db) + catalog.meta_problems(con, db)
    if problems:
        raise CatalogChanged(problems)
    try:
        count, head = verify_log(con)
        problems = _v1_head_problems(con)
        if problems:
            raise CatalogChanged(problems)
        return count, head
    except duckdb.Error as exc:
        # Rows no forecast-ledger writes (say, a body that is not JSON) can make a check's SQL
        # fail; that is tampering found, said in one line.
        raise LedgerError(f"the ledger's rows cannot be checked: {str(exc).splitlines()[0]}",
                          "the ledger file was changed outside forecast-ledger; restore it "
                          "from a backup or an export") from None


def _v1_head_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """An upgraded ledger keeps its schema-1 head in ``meta``: it must be the schema-1 chain
    over some first entries of the log (those before the upgrade), recomputed here."""
    rows = con.execute("SELECT value FROM meta WHERE key = 'v1_head'").fetchall()
    if not rows:
        return []
    prev = GENESIS
    cur = con.execute("SELECT body FROM entries ORDER BY seq")
    while batch := cur.fetchmany(65_536):
        for (body,) in batch:
            prev = chain_hash_v1(prev, body)
            if prev == rows[0][0]:
                return []
    return ["meta v1_head: it is the head of no schema-1 chain of this log"]


def verify_log(con: duckdb.DuckDBPyConnection, schema_version: int = schema.SCHEMA_VERSION
               ) -> tuple[int, str]:
    """The log: numbers, chain, envelope, typed tables and (schema 3) what is derived from
    them; ``schema_version`` 2 checks a schema-2 ledger before it is upgraded. Every check
    is SQL over the bodies (DuckDB's JSON reader, in threads); Python only hashes."""
    v3 = schema_version >= 3
    big = con.execute("SELECT count(*) FROM entries").fetchall()[0][0] >= quick_from()
    if big and log_holds(con, v3):
        # The quick pass found nothing (nearly always): only the derived tables are left,
        # checked after it (not beside it: with millions of pairs, the two peaks of memory
        # would add up, to 5.5 GB at 10M forecasts of the wide shape).
        bad = _check_numbers(con) + _check_pairs(con) if v3 else []
    else:
        bad = _log_findings(con, v3)
    if bad:
        first = min(bad, key=lambda b: b.seq)
        raise TamperDetected(first, len(bad))
    count = con.execute("SELECT count(*) FROM entries").fetchall()[0][0]
    return count, _head(con)[1]


def _log_findings(con: duckdb.DuckDBPyConnection, v3: bool) -> list[BadEntry]:
    """What is wrong with the log, each check naming its first culprit; then, if nothing is,
    with the derived tables."""
    sequence = _check_sequence(con)
    blocks = _check_blocks(con)
    bad: list[BadEntry] = []
    # With every entry numbered once and the chain whole, the quick pass's one parse of each
    # body for all typed tables (verify_quick.typed_hold) answers whether they hold in about
    # half the time of a query per table; only when they do not are they checked one by one,
    # so that the finding names its entry.
    if sequence or blocks or not quietly(typed_hold, con, v3):
        bad = _check_envelope(con, v3)
        for table in schema.COLUMNS:
            bad += _check_table(con, table, v3)

    # Where two findings name one entry, the first listed is shown: a gap in the numbers, then
    # the chain, then the columns. A block of one entry names it exactly. A block of many (a
    # bulk import) says only that something in its range is wrong; an entry found wrong by
    # itself names the culprit better, so such a block is reported only when nothing in it is.
    bad = sequence + [b for b, first, last in blocks
                      if first == last or not any(first <= o.seq <= last for o in bad)] + bad
    if v3 and not bad:
        # What is derived from the typed tables follows from them: checked once they hold,
        # so a finding here names a change to the derived tables themselves.
        bad = _check_numbers(con) + _check_pairs(con)
    return bad


def _named(con: duckdb.DuckDBPyConnection, seq: int,
           unknown: tuple[str, str] = ("entry", "?")) -> tuple[str, str]:
    rows = con.execute("SELECT kind, subject FROM entries WHERE seq = $1 LIMIT 1", [seq]
                       ).fetchall()
    return rows[0] if rows else unknown


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


def _parsed(columns: dict[str, str]) -> str:
    """SQL reading ``columns`` (name -> DuckDB type) out of an entry's body in one parse
    (``json_transform``, as ``j``): reading each with ``->>`` parses the body once a column,
    about 3x the time at 1M entries."""
    return f"system.main.json_transform(body, '{json_structure(columns)}') AS j"


def _check_envelope(con: duckdb.DuckDBPyConnection, v3: bool = True) -> list[BadEntry]:
    # An entry of a schema-2 ledger has no logged_at in its body, and NULL in the column: both
    # unknown, which IS DISTINCT FROM takes as equal. json_transform gives NULL for a value
    # that is not of its type, so such a body is found here too.
    fields = {c: t for c, t in ENVELOPE.items() if v3 or c != "logged_at"}
    logged = "\n              OR j.logged_at IS DISTINCT FROM logged_at" if v3 else ""
    rows = con.execute(
        # Materialized: else DuckDB inlines the parse into each comparison (3x the time).
        f"""WITH parsed AS MATERIALIZED (
               SELECT seq, kind, subject, recorded_at{', logged_at' if v3 else ''},
                      {_parsed(fields)} FROM entries)
           SELECT seq, kind, subject FROM parsed
           WHERE j.seq IS DISTINCT FROM seq
              OR j.kind IS DISTINCT FROM kind
              OR j.subject IS DISTINCT FROM subject
              OR j.recorded_at IS DISTINCT FROM recorded_at{logged}
           ORDER BY seq LIMIT 1"""
    ).fetchall()
    return [BadEntry(s, k, sub, "its columns differ from its hashed content") for s, k, sub in rows]


def _check_table(con: duckdb.DuckDBPyConnection, table: str, v3: bool = True
                 ) -> list[BadEntry]:
    kind = next(k for k, t in schema.KIND_TABLE.items() if t == table)
    numbers = list(schema.NUMBERS[table]) if v3 else []
    cols = ["recorded_at", *schema.COLUMNS[table], *numbers]
    differs = " OR ".join(f"e.{c} IS DISTINCT FROM t.{c}" for c in cols)
    # A row's numbers are those of question_numbers and forecaster_numbers, which are checked
    # against the log by _check_numbers.
    body = ", ".join(f"j.{c} AS {c}" for c in schema.COLUMNS[table])
    typed = "(SELECT kind, subject, seq, recorded_at, " + body + " FROM parsed)"
    entry = (f"""(SELECT x.*{number_values(table, 'x')} FROM {typed} x
                  {number_joins(table, 'x')})""" if numbers else typed)
    rows = con.execute(
        # Materialized: else DuckDB may inline the parse into each comparison.
        f"""WITH parsed AS MATERIALIZED (SELECT kind, subject, seq, recorded_at,
                   {_parsed(schema.COLUMNS[table])} FROM entries WHERE kind = $1)
            SELECT coalesce(e.seq, t.seq) AS seq, e.kind, e.subject
            FROM {entry} e
            FULL OUTER JOIN {table} t ON e.seq = t.seq
            WHERE e.seq IS NULL OR t.seq IS NULL OR {differs}
            ORDER BY 1 LIMIT 1""",
        [kind],
    ).fetchall()
    if not rows and con.execute(
            f"SELECT (SELECT count(*) FROM {table}) <> "
            "(SELECT count(*) FROM entries WHERE kind = $1)", [kind]).fetchall()[0][0]:
        # Every row matches an entry and back, yet the counts differ: a row was copied, the
        # one way left to add one (counting is cheap; the copy is looked for only then).
        rows = con.execute(
            f"""SELECT t.seq, e.kind, e.subject FROM (
                    SELECT seq FROM {table} GROUP BY seq HAVING count(*) > 1
                    ORDER BY seq LIMIT 1) t JOIN entries e USING (seq) LIMIT 1""").fetchall()
    # A row added to the table is named after the entry holding its seq, if any: looked up
    # here for the one row found (in the query, DuckDB ranks every entry to do it).
    return [
        BadEntry(seq, *((entry_kind, subject) if entry_kind is not None else
                        _named(con, seq, (kind, "?"))),
                 f"the {table} table no longer matches the log (a row was changed, added "
                 "or deleted outside forecast-ledger)")
        for seq, entry_kind, subject in rows
    ]


def _differences(derived: str, stored: str, columns: str) -> str:
    """Rows of ``derived`` missing from ``stored`` or the other way round (copies included),
    each marked with ``side`` ('derived' or 'stored')."""
    return f"""((SELECT 'derived' AS side, * FROM (SELECT {columns} FROM ({derived})
                 EXCEPT ALL SELECT {columns} FROM {stored}))
              UNION ALL (SELECT 'stored' AS side, * FROM (SELECT {columns} FROM {stored}
                 EXCEPT ALL SELECT {columns} FROM ({derived}))))"""


def _check_numbers(con: duckdb.DuckDBPyConnection) -> list[BadEntry]:
    """The question and forecaster numbers are those the log defines (:data:`NUMBERS_SQL`)."""
    out = []
    for table, sql in NUMBERS_SQL.items():
        key, no = ("question_id", "question_no") if table == "question_numbers" else \
            ("forecaster", "forecaster_no")
        derived = f"SELECT * FROM ({sql}) d({key}, {no})"
        rows = con.execute(f"""SELECT side, {key} FROM {_differences(derived, table,
                                                                      f'{key}, {no}')}
                               ORDER BY 2 LIMIT 1""").fetchall()
        for _side, value in rows:
            first = con.execute(
                "SELECT min(seq) FROM questions WHERE id = $1" if key == "question_id" else
                "SELECT min(seq) FROM forecasts WHERE forecaster = $1", [value]).fetchall()
            seq = first[0][0] or 0
            kind, subject = _named(con, seq) if seq else ("entry", "?")
            out.append(BadEntry(seq, kind, subject,
                                f"the {table} table no longer matches the log (a number was "
                                "changed, added or deleted outside forecast-ledger)"))
    return out


def _check_pairs(con: duckdb.DuckDBPyConnection) -> list[BadEntry]:
    """The pairs table is what the forecasts define (:func:`ledger.storage.derived.pairs_sql`),
    pair numbers included: dense, in the order of each pair's first entry."""
    derived = (f"SELECT *, CAST(row_number() OVER (ORDER BY entry) - 1 AS INTEGER) AS pair_no "
               f"FROM ({pairs_sql(con)})")
    key = ("question_no", "forecaster_no")
    differs = " OR ".join(f"d.{c} IS DISTINCT FROM p.{c}" for c in schema.PAIR_COLUMNS
                          if c not in key)
    # Joined on the pair (two integers) rather than compared whole with EXCEPT ALL: several
    # times cheaper at a million pairs. A copied row matches twice: looked for when all match.
    rows = con.execute(f"""WITH d AS MATERIALIZED ({derived})
        SELECT coalesce(d.first_seq, p.first_seq) FROM d FULL OUTER JOIN pairs p
          ON d.question_no = p.question_no AND d.forecaster_no = p.forecaster_no
        WHERE d.question_no IS NULL OR p.question_no IS NULL OR {differs}
        ORDER BY 1 NULLS FIRST LIMIT 1""").fetchall()
    if not rows:
        rows = con.execute("""SELECT min(first_seq) FROM pairs
            GROUP BY question_no, forecaster_no HAVING count(*) > 1
            ORDER BY 1 LIMIT 1""").fetchall()
    out = []
    for (first,) in rows:
        kind, subject = _named(con, first) if first is not None else ("entry", "?")
        out.append(BadEntry(first or 0, kind, subject,
                            "the pairs table no longer matches the forecasts (a row was "
                            "changed, added or deleted outside forecast-ledger)"))
    return out


def verify_anchored(con: duckdb.DuckDBPyConnection, path: Path, *,
                    expect_head: str | None = None,
                    witness: str | os.PathLike[str] | None = None) -> tuple[int, str]:
    """:func:`verify`, then the anchors: ``expect_head`` must be the head, and every head in
    ``witness`` (default: :func:`default_witness` when that file exists) still on the chain."""
    count, head = verify(con)
    if expect_head is not None and expect_head.strip().lower() != head:
        raise WitnessMismatch(f"the head is {head}, not the expected {expect_head.strip()}: "
                              "history was rewritten or cut, or entries were added since",
                              "compare with the backup the expected head came from")
    file = Path(witness) if witness is not None else default_witness(path)
    if witness is not None or file.exists():
        check_witness(con, file)
    return count, head


_LINE = re.compile(r"(\d+) ([0-9a-f]{64})(?: (\S+))?")


def read_witness(file: Path) -> list[tuple[int, int, str]]:
    """``[(line number, entry number, head)]`` of a witness file; blank and ``#`` lines are
    skipped."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LedgerError(f"no witness file at {file}",
                          "make one with `forecast-ledger witness`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"cannot read the witness file {file}: {exc}") from None
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        found = _LINE.fullmatch(line)
        if not found:
            raise LedgerError(f"{file}:{n}: not a witness line (expected: entry number, head "
                              "hash, UTC time)", "fix or remove that line")
        out.append((n, int(found.group(1)), found.group(2)))
    return out


def check_witness(con: duckdb.DuckDBPyConnection, file: Path) -> None:
    """Every witnessed head is still the hash of the block ending at its entry number. The
    blocks were recomputed by :func:`verify` first, so their stored hashes can be read."""
    last, _head_hash = _head(con)
    for n, seq, digest in read_witness(file):
        if seq > last:
            raise WitnessMismatch(
                f"{file}:{n}: the witnessed head at entry #{seq} is past the end of the "
                f"ledger (#{last}): entries were cut from the end",
                "restore the ledger from a backup")
        rows = [(GENESIS,)] if seq == 0 else con.execute(
            "SELECT hash FROM blocks WHERE last_seq = $1", [seq]).fetchall()
        if rows != [(digest,)]:
            raise WitnessMismatch(
                f"{file}:{n}: the chain no longer has the witnessed head {digest[:12]}... at "
                f"entry #{seq}: history up to there was rewritten",
                "restore the ledger from a backup")


def witness(ledger: object, file: str | os.PathLike[str] | None = None) -> tuple[int, str, Path]:
    """Verify ``ledger``, then append ``<entry number> <head hash> <UTC time>`` to ``file``
    (default :func:`default_witness`). Returns ``(entry number, head, file)``."""
    path = Path(ledger.path)  # type: ignore[attr-defined]
    target = Path(file) if file is not None else default_witness(path)
    with ledger.connect() as con:  # type: ignore[attr-defined]
        verify_anchored(con, path, witness=target if target.exists() else None)
        seq, head = _head(con)
    line = f"{seq} {head} {utc_now().strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
    try:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(line)
    except OSError as exc:
        raise LedgerError(f"cannot write the witness file {target}: {exc.strerror}") from None
    return seq, head, target
