"""Reading a CSV or Parquet file once into the staged table ``bulk_rows``, every cell checked.

The file is copied once to a private folder and only the copy is parsed: a file that changes
while it is imported is read as it was, and a name holding ``*`` or ``?`` is the exact file,
never a pattern DuckDB would expand. CSV is read with a fixed dialect (no sniffing, so a bad
row far into the file is an error, never a guess). Each cell is checked by the forecast-file
field it stands for (:mod:`ledger.ingest.bulk_fields`), once per distinct text.

A question's columns (its text, dates, tags, resolution...) repeat on each of its rows, so they
are staged once per question: ``bulk_rows`` holds each forecast's own columns, ``bulk_questions``
one row per question, and ``bulk_qnorm`` each distinct set of question columns the file gives a
question (more than one only when its rows disagree, which is refused). ``bulk_rows_all`` is a
view of every row with all its columns, for finding the lines of such a refusal.
"""

from __future__ import annotations

import csv
import difflib
import re
import shutil
from pathlib import Path
from typing import Any

import duckdb

from ledger.errors import Problem
from ledger.ingest.bulk_fields import FIELDS, check_all

REQUIRED = ("question_id", "forecaster", "probability", "made_at")
COLUMNS = (*REQUIRED, "question", "criteria", "resolve_by", "opened", "tags", "source_id",
           "outcome", "resolved_on", "evidence", "rationale", "basis", "implied_from",
           "recorded_at", "question_recorded_at", "resolution_recorded_at")
RECORDED = {"recorded_at": "rec", "question_recorded_at": "q_rec",
            "resolution_recorded_at": "r_rec"}  # instants, and their staged UTC columns
DERIVED = ("seq", "made_on", "utc_offset", "late")  # written by export, derived again on import
KNOWN = (*COLUMNS, *DERIVED)
# The columns that describe a question and its resolution: every row of a question agrees on
# them, so they are staged once per question (``bulk_questions``).
PER_QUESTION = ("question", "criteria", "resolve_by", "opened", "tags", "source_id", "outcome",
                "resolved_on", "evidence", "question_recorded_at", "resolution_recorded_at")
PER_ROW = tuple(c for c in COLUMNS if c not in PER_QUESTION)
MAX_PROBLEMS = 50
#: Below this many rows (staged so far in one import) DuckDB runs the import on one thread:
#: its statements are then small, and spreading each over the cores costs more than it gains
#: (measured on 2 cores: 10k rows 10% faster on one thread, 100k 10%, 300k even, 1M 25% slower).
ONE_THREAD_BELOW = 200_000
# A CSV cell the export protected from spreadsheet formulas starts with one quote: removed.
CSV_GUARD = "'"
# Parquet column types whose text is the value (anything else, e.g. LIST or BLOB, is refused).
# "NULL": a column that holds only nulls, as a writer types one it knows nothing of.
_SCALAR = re.compile(r'(VARCHAR|BOOLEAN|"NULL"|'
                     r"(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?)|FLOAT|DOUBLE|"
                     r"DECIMAL\(\d+,\d+\)|DATE|TIMESTAMP(_S|_MS|_NS)?( WITH TIME ZONE)?)")


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Staged:
    """A file read into ``bulk_rows``: its name as given, and where each record starts."""

    def __init__(self, path: Path, copy: Path, is_csv: bool) -> None:
        self.path, self.copy, self.is_csv = path, copy, is_csv
        self._starts: list[int] | None = None
        self.rows = 0
        self.rows_all_sql = ""

    def line(self, record: int) -> int:
        """The line a record (numbered from 1) is on: for CSV the physical line where it
        starts (a quoted cell may span lines), for Parquet its row number."""
        if not self.is_csv:
            return record
        if self._starts is None:  # only when a problem is shown: one pass over the copy
            self._starts = []
            with self.copy.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
                reader = csv.reader(fh)
                at = 1
                for row in reader:
                    if row:
                        self._starts.append(at)
                    at = reader.line_num + 1
        return self._starts[record] if record < len(self._starts) else record + 1

    def problem(self, record: int | None, field: str, message: str) -> Problem:
        return Problem(str(self.path), None if record is None else self.line(record), field,
                       message)


def copy_once(path: Path, folder: Path) -> Path:
    """The file's bytes, read once into ``folder`` under a plain name."""
    copy = folder / ("rows.csv" if path.suffix.lower() == ".csv" else "rows.parquet")
    shutil.copyfile(path, copy)
    return copy


def _csv_header(copy: Path) -> list[str]:
    with copy.open(newline="", encoding="utf-8-sig") as fh:
        return next(csv.reader(fh), [])


def _csv_reader(copy: Path, header: list[str]) -> str:
    cols = "{" + ", ".join(f"{_sql_text(c)}: 'VARCHAR'" for c in header) + "}"
    return (f"read_csv({_sql_text(str(copy))}, auto_detect = false, header = true, "
            f"columns = {cols}, delim = ',', quote = '\"', escape = '\"', strict_mode = true)")


def _csv_fault(staged: Staged, width: int) -> tuple[int | None, str] | None:
    """Where and why the CSV is malformed, as Python's strict reader sees it."""
    with staged.copy.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        reader = csv.reader(fh, strict=True)
        start = 1
        try:
            for row in reader:
                if row and len(row) != width and reader.line_num > 1:
                    return start, f"this row has {len(row)} cells, the header has {width}"
                start = reader.line_num + 1
        except csv.Error as exc:
            if "end of data" in str(exc) or "EOF" in str(exc):
                return start, "a quoted cell is never closed (a \" is missing)"
            return start, f"cannot read it: {exc}"
    return None


def stage(con: Any, path: Path, copy: Path, problems: list[Problem], rows_before: int = 0
          ) -> Staged | None:
    """Read ``copy`` (of ``path``) into ``bulk_rows``; ``None`` with ``problems`` if refused.
    ``rows_before``: the rows this import staged from earlier files (for :data:`ONE_THREAD_BELOW`).
    """
    is_csv = path.suffix.lower() == ".csv"
    staged = Staged(path, copy, is_csv)
    where = str(path)
    try:
        if is_csv:
            header = _csv_header(copy)
            source = _csv_reader(copy, header)
            types = dict.fromkeys(header, "VARCHAR")
        else:
            source = f"read_parquet({_sql_text(str(copy))}, file_row_number = true)"
            types = {d[0]: d[1] for d in con.execute(f"DESCRIBE SELECT * FROM {source}"
                                                     ).fetchall() if d[0] != "file_row_number"}
    except (duckdb.Error, UnicodeDecodeError, csv.Error) as exc:
        problems.append(Problem(where, None, "", f"cannot read it: {str(exc).splitlines()[0]}"))
        return None
    for c in types:
        if c not in KNOWN:
            near = difflib.get_close_matches(c, KNOWN, n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            problems.append(Problem(where, 1 if is_csv else None, c, f"unknown column{hint}"))
        elif not _SCALAR.fullmatch(types[c]):
            problems.append(Problem(where, None, c, f"is a {types[c]} column; it must hold "
                                                    "text, numbers or dates"))
    for c in REQUIRED:
        if c not in types:
            problems.append(Problem(where, 1 if is_csv else None, c,
                                    "missing column (this field is required)"))
    if problems:
        return None

    def cell(c: str) -> str:
        if c not in types:
            return f"CAST(NULL AS VARCHAR) AS {c}"
        text = f'CAST("{c}" AS VARCHAR)'
        if is_csv:  # the export's guard against spreadsheet formulas comes off
            guard = CSV_GUARD * 2  # quoted for SQL
            text = f"CASE WHEN starts_with({text}, '{guard}') THEN {text}[2:] ELSE {text} END"
        return f"{text} AS {c}"

    cells = ", ".join(cell(c) for c in COLUMNS)
    con.execute("DROP TABLE IF EXISTS bulk_raw")
    con.execute("DROP VIEW IF EXISTS bulk_raw")
    try:
        if is_csv:
            # One parse, numbered in file order (DuckDB keeps insertion order here).
            con.execute(f"CREATE TEMP TABLE bulk_raw AS SELECT {cells}, "
                        f"row_number() OVER () AS rn FROM {source}")
        else:
            # Parquet is columnar: reading it again per column costs less than a copy.
            con.execute(f"CREATE TEMP VIEW bulk_raw AS SELECT {cells}, "
                        f"file_row_number + 1 AS rn FROM {source}")
    except duckdb.Error as exc:
        fault = _csv_fault(staged, len(header)) if is_csv else None
        if fault is None:
            problems.append(Problem(where, None, "", f"cannot read it: {str(exc).splitlines()[0]}"))
        else:
            problems.append(Problem(where, fault[0], "", fault[1]))
        return None
    staged.rows = con.execute("SELECT count(*) FROM bulk_raw").fetchall()[0][0]
    # The connection's instance only (the import's own, closed after it).
    con.execute("SET threads = 1" if rows_before + staged.rows < ONE_THREAD_BELOW
                else "RESET threads")
    if not _check_cells(con, staged, [c for c in COLUMNS if c in types], problems):
        return None
    return staged


def _check_cells(con: Any, staged: Staged, present: list[str], problems: list[Problem]
                 ) -> bool:
    """Every distinct text of every column through its field's validator; ``bulk_rows`` holds
    the values they mean (stripped texts, probabilities, UTC instants with their day)."""
    found: list[tuple[int, str, str]] = []
    maps: dict[str, dict[str, Any]] = {}
    nulls = con.execute("SELECT " + ", ".join(f"count_if({c} IS NULL)" for c in REQUIRED)
                        + " FROM bulk_raw").fetchall()[0]
    for c, n in zip(REQUIRED, nulls, strict=True):
        if n:
            found += [(rn, c, "missing (this field is required)") for (rn,) in con.execute(
                f"SELECT rn FROM bulk_raw WHERE {c} IS NULL ORDER BY rn LIMIT {MAX_PROBLEMS}"
            ).fetchall()]
    # Each question's distinct columns, as the file gives them: one grouped pass, then the
    # question-level texts are read from this small table rather than from every row.
    con.execute("CREATE OR REPLACE TEMP TABLE bulk_qraw AS SELECT question_id, "
                f"{', '.join(PER_QUESTION)}, min(rn) AS line FROM bulk_raw GROUP BY ALL")
    checked = [c for c in present if c in FIELDS]
    # Every column's distinct texts in one statement (a statement costs a millisecond or two
    # even on a small file; each part is the DISTINCT it would be on its own).
    distinct: dict[str, list[str]] = {c: [] for c in checked}
    for c, t in con.execute(" UNION ALL ".join(
            f"(SELECT {i} AS c, v FROM (SELECT DISTINCT {c} AS v FROM "
            f"{'bulk_qraw' if c in (*PER_QUESTION, 'question_id') else 'bulk_raw'} "
            f"WHERE {c} IS NOT NULL))" for i, c in enumerate(checked))).fetchall():
        distinct[checked[c]].append(t)
    for c in checked:
        good, bad = check_all(c, distinct[c])
        maps[c] = good
        if bad:
            found += [(rn, c, bad[t]) for rn, t in con.execute(
                f"SELECT rn, {c} FROM bulk_raw WHERE {c} IN (SELECT unnest($1)) "
                f"ORDER BY rn LIMIT {MAX_PROBLEMS}", [list(bad)]).fetchall()]
    if found:
        found.sort()
        problems.extend(staged.problem(rn, c, m) for rn, c, m in found[:MAX_PROBLEMS])
        return False
    _build_rows(con, staged, maps)
    return True


def _build_rows(con: Any, staged: Staged, maps: dict[str, dict[str, Any]]) -> None:
    from ledger.format.dates import parse_moment

    moments = {t: parse_moment(v) for t, v in maps["made_at"].items()}
    con.execute("CREATE OR REPLACE TEMP TABLE bulk_m_made_at AS SELECT unnest($1) AS v, "
                "unnest($2) AS made_utc, unnest($3) AS made_on, "
                "CAST(unnest($4) AS INTEGER) AS utc_offset_min",
                [list(moments), [m.utc for m in moments.values()],
                 [m.day for m in moments.values()], [m.offset for m in moments.values()]])
    con.execute("CREATE OR REPLACE TEMP TABLE bulk_m_probability AS SELECT unnest($1) AS v, "
                "CAST(unnest($2) AS DOUBLE) AS p", [list(maps["probability"]),
                                                    list(maps["probability"].values())])
    for c in RECORDED:
        rec = maps.get(c) or {}
        con.execute(f"CREATE OR REPLACE TEMP TABLE bulk_m_{c} AS SELECT "
                    "CAST(unnest($1) AS VARCHAR) AS v, CAST(unnest($2) AS TIMESTAMP) AS t",
                    [list(rec), list(rec.values())])
    normalised = []
    for c, good in maps.items():
        if c in ("made_at", "probability", *RECORDED):
            continue
        changed = {t: str(v) for t, v in good.items() if str(v) != t}
        if changed:  # only texts the field normalises (spaces, NFC) are joined to their value
            con.execute(f"CREATE OR REPLACE TEMP TABLE bulk_m_{c} AS SELECT unnest($1) AS v, "
                        "unnest($2) AS norm", [list(changed), list(changed.values())])
            normalised.append(c)

    def values(cols: tuple[str, ...], source: str) -> str:
        """The values ``cols`` of ``source`` (aliased r) mean, with the joins that find them."""
        joins, exprs = [], {c: f"r.{c}" for c in cols}
        if "made_at" in cols:
            joins += ["JOIN bulk_m_made_at mm ON mm.v = r.made_at",
                      "JOIN bulk_m_probability mp ON mp.v = r.probability"]
        for c, staged_as in RECORDED.items():
            if c in cols:
                joins.append(f"LEFT JOIN bulk_m_{c} m_{c} ON m_{c}.v = r.{c}")
                exprs[staged_as] = f"m_{c}.t"
        for c in normalised:
            if c in cols:
                joins.append(f"LEFT JOIN bulk_m_{c} m_{c} ON m_{c}.v = r.{c}")
                exprs[c] = f"coalesce(m_{c}.norm, r.{c})"
        if "made_at" in cols:
            exprs.update(p="mp.p", made_utc="mm.made_utc", made_on="mm.made_on",
                         utc_offset_min="mm.utc_offset_min")
        return (", ".join(f"{e} AS {c}" for c, e in exprs.items())
                + f" FROM {source} r {' '.join(joins)}")

    con.execute("DROP VIEW IF EXISTS bulk_rows_all; " + "; ".join(
        f"DROP TABLE IF EXISTS {name}" for name in ("bulk_rows", "bulk_qnorm", "bulk_questions")))
    con.execute("CREATE TEMP TABLE bulk_rows AS SELECT r.rn AS line, "
                f"{values(PER_ROW, 'bulk_raw')}")
    con.execute("CREATE TEMP TABLE bulk_qnorm AS SELECT r.line, "
                f"{values(('question_id', *PER_QUESTION), 'bulk_qraw')}")
    # Taken as the question's only when its rows agree (checked before anything is written).
    per_q = [*PER_QUESTION, *(RECORDED[c] for c in PER_QUESTION if c in RECORDED)]
    con.execute(f"""CREATE TEMP TABLE bulk_questions AS
        SELECT question_id, min(line) AS line, {', '.join(f'any_value({c}) AS {c}' for c in per_q)}
        FROM bulk_qnorm GROUP BY question_id""")
    # Every row with its own question-level columns: read only when a question's rows
    # disagree (see :func:`rows_all`), so made only then.
    staged.rows_all_sql = f"SELECT r.rn AS line, {values(COLUMNS, 'bulk_raw')}"


def rows_all(con: Any, staged: Staged) -> str:
    """``bulk_rows_all``, made: each staged row with its own question-level columns."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW bulk_rows_all AS {staged.rows_all_sql}")
    return "bulk_rows_all"


def release_raw(con: Any, staged: Staged) -> None:
    """Drop the file's cells once every rule has passed: read from CSV they are a table of
    every column of every row (gigabytes at 10M), and nothing after the checks reads them."""
    con.execute("DROP VIEW IF EXISTS bulk_rows_all")
    # DROP names the type (another aborts the transaction): CSV is staged as a table,
    # Parquet as a view.
    con.execute(f"DROP {'TABLE' if staged.is_csv else 'VIEW'} IF EXISTS bulk_raw")
