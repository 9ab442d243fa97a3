"""The quick pass of ``verify``: whether the whole log holds, in as little work as the checks
allow, without saying where it does not.

A ledger that holds (nearly every one) is checked here only. These checks are at least as
strict as those of :mod:`ledger.storage.verify`, which run only when one of them fails and then
name the entry: so a verdict and its message never depend on this module.

- The chain: the bodies are read once through Arrow, each with a newline after it, so the
  text of a run of consecutive entries is one slice of a buffer: no Python string per body,
  and :mod:`hashlib` hashes the slices in threads (it lets go of the GIL on large inputs).
  The file keeps rows in no particular order (a bulk import writes in parallel), so each range
  of entries is put in order by its runs of consecutive numbers.
- The envelope and the typed tables: each body is parsed once (one ``json_transform`` into a
  struct of the envelope and its table's columns) and compared whole with the entry's columns
  and its typed row, joined on ``seq`` a range at a time (so no join holds 10M rows).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import duckdb

from ledger.storage import catalog, schema
from ledger.storage.store import GENESIS, link_hash

#: About this many entries are joined per query (typed tables) ...
SPAN = 1 << 20
#: ... or read out and hashed (chain; two spans of bodies are held at a time).
CHAIN_SPAN = 1 << 19

#: An entry's envelope: the columns of ``entries`` its body repeats (``logged_at`` from
#: schema 3), with their types; the detailed checks read the same (verify._check_envelope).
ENVELOPE = {"seq": "BIGINT", "kind": "VARCHAR", "subject": "VARCHAR",
            "recorded_at": "TIMESTAMP", "logged_at": "TIMESTAMP"}


#: Entries from which the quick pass is worth its start: below, the detailed checks take well
#: under a second, and reading through Arrow would import pyarrow (and pandas) into every
#: small ``verify`` (tests/test_startup.py keeps the CLI path free of them).
QUICK_FROM = 100_000


def quick_from() -> int:
    """:data:`QUICK_FROM`, or ``FORECAST_LEDGER_QUICK_VERIFY_FROM`` when set: the tamper tests
    set 0, so every change they make meets the quick pass as well as the detailed checks."""
    text = os.environ.get("FORECAST_LEDGER_QUICK_VERIFY_FROM", "").strip()
    return int(text) if text.isdigit() else QUICK_FROM


def log_holds(con: duckdb.DuckDBPyConnection, v3: bool = True) -> bool:
    """Whether the entry numbers, the chain, the envelope and the typed tables all hold, as
    :func:`ledger.storage.verify.verify_log` checks them before the derived tables.

    The chain is read and hashed on a cursor of its own, in a thread, while ``con`` checks
    the typed tables: reading bodies out through Arrow and hashing them keep one core busy
    at most, the rest is DuckDB's.
    """
    cursor = con.cursor()
    try:
        catalog.pin(cursor, catalog.database(con))
        cursor.execute("SET enable_progress_bar = false")
        with ThreadPoolExecutor(max_workers=1) as pool:
            chain = pool.submit(quietly, chain_holds, cursor)
            typed = quietly(typed_hold, con, v3)
            return chain.result() and typed
    finally:
        cursor.close()


def quietly(check: Callable[..., bool], *args: object) -> bool:
    try:
        return check(*args)
    except Exception:
        # Any surprise in the file (a DuckDB error, an Arrow buffer not as expected) is the
        # detailed checks' to name: they meet the same rows and say what they are.
        return False


def chain_holds(con: duckdb.DuckDBPyConnection) -> bool:
    """Entries numbered 1..n, once each; blocks tiling them; every block's content and link
    as stored."""
    import numpy as np
    try:
        import pyarrow as pa  # a dependency (pyproject.toml); imported only here, when needed
    except ImportError:
        return False  # the detailed checks read the bodies without it

    blocks = con.execute("SELECT first_seq, last_seq, content, hash FROM blocks "
                         "ORDER BY first_seq, last_seq").fetchall()
    top, count = con.execute("SELECT coalesce(max(seq), 0), count(*) FROM entries"
                             ).fetchall()[0]
    expected = 1
    for first, last, _c, _h in blocks:
        if first != expected or last < first:
            return False
        expected = last + 1
    if expected - 1 != top or count != top:
        return False
    contents: list[str] = [""] * len(blocks)
    sql = ("SELECT seq, system.main.concat(body, system.main.chr(10)) AS text FROM entries "
           "WHERE seq BETWEEN $1 AND $2")
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        behind: list[tuple[int, Future[str]]] = []
        for lo_block, hi_block in _spans(blocks):
            table = con.sql(sql, params=[blocks[lo_block][0], blocks[hi_block][1]]
                            ).to_arrow_table()
            runs = _runs(table, np, pa)
            if runs is None or not _tiles(runs, blocks[lo_block][0], blocks[hi_block][1]):
                return False
            # This span is hashed while the next is read; the one before is waited for here,
            # so at most two spans' texts are held.
            for i, future in behind:
                contents[i] = future.result()
            behind = [(i, pool.submit(_sha256, text))
                      for i, text in _block_texts(runs, blocks, lo_block, hi_block)]
        for i, future in behind:
            contents[i] = future.result()
    prev = GENESIS
    for (first, last, stored, digest), content in zip(blocks, contents, strict=True):
        if content != stored or link_hash(prev, first, last, stored) != digest:
            return False
        prev = digest
    return True


def _sha256(text: bytes | memoryview) -> str:
    # content_hash of a block, its bodies already joined by newlines as UTF-8 (a slice of
    # Arrow's buffer, which content_hash would take only copied into bytes).
    return hashlib.sha256(text).hexdigest()


def _spans(blocks: list[tuple[int, int, str, str]]) -> Iterator[tuple[int, int]]:
    """``(first block, last block)`` index ranges of about :data:`CHAIN_SPAN` entries each."""
    start, size = 0, 0
    for i, (first, last, _c, _h) in enumerate(blocks):
        size += last - first + 1
        if size >= CHAIN_SPAN:
            yield start, i
            start, size = i + 1, 0
    if start < len(blocks):
        yield start, len(blocks) - 1


Run = tuple[int, int, object, object]  # first seq, last seq, offsets (numpy), data (memoryview)


def _runs(table: object, np: object, pa: object) -> list[Run] | None:
    """The table's rows as runs of consecutive entry numbers, in order of their first; None
    when a column is not of the Arrow type expected."""
    out: list[Run] = []
    seqs, texts = table.column(0), table.column(1)  # type: ignore[attr-defined]
    for seq_chunk, text_chunk in zip(seqs.chunks, texts.chunks, strict=True):
        if text_chunk.type not in (pa.string(), pa.large_string()) or not len(text_chunk):  # type: ignore[attr-defined]
            if len(text_chunk):
                return None
            continue
        if seq_chunk.type != pa.int64() or seq_chunk.null_count:  # type: ignore[attr-defined]
            return None
        # Read from the buffer: Array.to_numpy() imports pandas (0.2 s, and the CLI path
        # must not import it: tests/test_startup.py).
        seq = np.frombuffer(seq_chunk.buffers()[1], dtype=np.int64)[  # type: ignore[attr-defined]
            seq_chunk.offset:seq_chunk.offset + len(seq_chunk)]
        width = np.int32 if text_chunk.type == pa.string() else np.int64  # type: ignore[attr-defined]
        _validity, offsets, data = text_chunk.buffers()
        offsets = np.frombuffer(offsets, dtype=width)[  # type: ignore[attr-defined]
            text_chunk.offset:text_chunk.offset + len(text_chunk) + 1]
        breaks = np.flatnonzero(np.diff(seq) != 1) + 1  # type: ignore[attr-defined]
        starts = [0, *breaks.tolist()]
        ends = [*breaks.tolist(), len(seq)]
        view = memoryview(data)
        for a, b in zip(starts, ends, strict=True):
            out.append((int(seq[a]), int(seq[b - 1]), offsets[a:b + 1], view))
    out.sort(key=lambda r: r[0])
    return out


def _tiles(runs: list[Run], lo: int, hi: int) -> bool:
    expected = lo
    for first, last, _o, _d in runs:
        if first != expected:
            return False
        expected = last + 1
    return expected == hi + 1


def _block_texts(runs: list[Run], blocks: list[tuple[int, int, str, str]], lo_block: int,
                 hi_block: int) -> Iterator[tuple[int, bytes | memoryview]]:
    """Each block's joined bodies (the newline after its last cut off): a slice of one run's
    buffer, or the pieces of several joined."""
    r = 0
    for i in range(lo_block, hi_block + 1):
        first, last = blocks[i][0], blocks[i][1]
        pieces = []
        seq = first
        while seq <= last:
            while runs[r][1] < seq:
                r += 1
            run_first, run_last, offsets, data = runs[r]
            end = min(last, run_last)
            pieces.append(data[int(offsets[seq - run_first]):  # type: ignore[index]
                               int(offsets[end - run_first + 1])])  # type: ignore[index]
            seq = end + 1
        text = pieces[0] if len(pieces) == 1 else b"".join(pieces)
        yield i, text[:-1]


def json_structure(fields: dict[str, str]) -> str:
    """``json_transform``'s structure for ``fields`` (name -> DuckDB type, ``T[]`` a list)."""
    def shape(typ: str) -> object:
        return [typ.removesuffix("[]")] if typ.endswith("[]") else typ

    return json.dumps({c: shape(t) for c, t in fields.items()})


def typed_hold(con: duckdb.DuckDBPyConnection, v3: bool = True) -> bool:
    """Every entry's envelope columns are its body's, and each typed table holds exactly one
    row per entry of its kind, equal to the body (numbers included, for schema 3)."""
    kinds = {k: t for k, t in schema.KIND_TABLE.items()}
    counts = dict(con.execute("SELECT kind, count(*) FROM entries GROUP BY kind").fetchall())
    if set(counts) - set(kinds):
        return False  # an entry of no known kind: the detailed checks look at its envelope
    top = con.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchall()[0][0]
    envelope = {k: t for k, t in ENVELOPE.items() if v3 or k != "logged_at"}
    for kind, table in kinds.items():
        stored = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        if stored != counts.get(kind, 0):
            return False
        if not stored:
            continue
        columns = schema.COLUMNS[table]
        numbers = list(schema.NUMBERS[table]) if v3 else []
        fields = {**envelope, **columns}
        # One reference to the parse, so DuckDB runs it once a row (a field at a time, it
        # would parse again for each).
        expected = ", ".join(f"'{c}': e.{c}" if c in envelope else f"'{c}': t.{c}"
                             for c in fields)
        joins, differs = "", ""
        if numbers:
            key = "id" if table == "questions" else "question_id"
            joins = f" LEFT JOIN question_numbers qn ON qn.question_id = t.{key}"
            differs = " OR qn.question_no IS DISTINCT FROM t.question_no"
            if "forecaster_no" in numbers:
                joins += " LEFT JOIN forecaster_numbers fn ON fn.forecaster = t.forecaster"
                differs += " OR fn.forecaster_no IS DISTINCT FROM t.forecaster_no"
        sql = f"""SELECT count(*), count(*) FILTER (WHERE t.seq IS NULL
                     OR e.recorded_at IS DISTINCT FROM t.recorded_at{differs}
                     OR system.main.json_transform(e.body, '{json_structure(fields)}')
                        IS DISTINCT FROM {{{expected}}})
            FROM (SELECT * FROM entries WHERE kind = $kind AND seq BETWEEN $lo AND $hi) e
            LEFT JOIN (SELECT * FROM {table} WHERE seq BETWEEN $lo AND $hi) t
              ON e.seq = t.seq{joins}"""
        seen = 0
        for lo in range(1, top + 1, SPAN):
            n, bad = con.execute(sql, {"kind": kind, "lo": lo, "hi": lo + SPAN - 1}
                                 ).fetchall()[0]
            if bad:
                return False
            seen += n
        # One row joined per entry, none missing, as many rows as entries: one each.
        if seen != stored:
            return False
    return True
