"""Importing CSV and Parquet: millions of forecasts through DuckDB's own readers.

One row per forecast, the columns of ``export --format csv`` (so an export re-imports):
``question_id, forecaster, probability, made_at`` are required; ``question, criteria,
resolve_by, opened, tags`` (``;``-separated), ``source_id`` describe a new question;
``outcome, resolved_on, evidence`` its resolution; ``rationale, basis, implied_from,
recorded_at`` are optional, and ``question_recorded_at, resolution_recorded_at`` (written by the
export) keep when a question and its resolution were recorded. The rules are those of forecast
files: each cell goes through the field it stands for (:mod:`ledger.ingest.bulk_fields`), the
rules across cells, rows and the ledger are the importer's, found in SQL; every problem is
reported as ``file:line: field: message`` and nothing is written; rows the ledger already holds
are skipped, changed ones are conflicts, a changed question is a new version of it.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from contextlib import suppress
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

from ledger import rules
from ledger.errors import Conflict, DiskFull, Problem, ValidationFailed
from ledger.format.dates import utc_now
from ledger.ingest.bulk_read import (
    MAX_PROBLEMS,
    PER_QUESTION,
    Staged,
    copy_once,
    release_raw,
    rows_all,
    stage,
)
from ledger.ingest.importer import ImportResult
from ledger.ingest.messages import (
    IMPLIED_NEEDS_PHRASE,
    before_opened_message,
    duplicate_message,
    future_forecast_message,
    future_recorded_message,
    future_resolution_message,
    late_message,
    recorded_before_message,
)
from ledger.storage import schema
from ledger.storage.store import (
    Ledger,
    NewEntry,
    _head,
    append,
    extend_numbers,
    number_joins,
    number_values,
    refresh_pairs,
    seal,
    typed_columns,
)

TABLE_SUFFIXES = (".csv", ".parquet", ".pq")
# DuckDB's memory for one import (its default is 80% of RAM: 11 GB peak at 10M rows). Beyond
# it, staged tables spill to the folder beside the ledger (DuckDB's ``<ledger>.tmp``).
MEMORY_LIMIT = "2GB"
Progress = Callable[[str, int, int], None]


def is_table(path: str | Path) -> bool:
    return Path(path).suffix.lower() in TABLE_SUFFIXES


def _row_problems(con: Any, staged: Staged) -> list[Problem]:
    """The rules that join cells of a row, or rows, or the ledger: those forecast files apply
    in the importer's planner, with its messages and limits."""
    now = utc_now()
    latest_day = latest_made_on = rules.latest_day(now)
    found: list[tuple[int, str, Callable[[], str]]] = []

    def rows(sql: str, params: dict) -> list[tuple]:
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        return con.execute(sql + f" ORDER BY 1 LIMIT {MAX_PROBLEMS}", used).fetchall()

    # Each rule: the condition on a staged row ``b`` (with the ledger's current resolution
    # ``r``), the columns its message needs, and the message.
    final_day = "coalesce(r.resolved_on, CAST(b.resolved_on AS DATE))"
    opened = "coalesce(CAST(b.opened AS DATE), q.opened)"
    checks: list[tuple[str, str, str, Callable[..., str]]] = [
        ("resolved_on", "b.outcome IS NOT NULL AND b.resolved_on IS NULL", "NULL",
         lambda _: "missing (this field is required)"),
        ("outcome", "b.outcome IS NULL AND (b.resolved_on IS NOT NULL OR b.evidence IS NOT "
         "NULL)", "NULL", lambda _: "missing (this field is required)"),
        ("resolve_by", "CAST(b.resolve_by AS DATE) < CAST(b.opened AS DATE)",
         "CAST(b.resolve_by AS DATE), CAST(b.opened AS DATE)", before_opened_message),
        ("resolved_on", "CAST(b.resolved_on AS DATE) > $day", "CAST(b.resolved_on AS DATE)",
         future_resolution_message),
        # Recorded now, before it was made: refused like a file's (its export re-imports).
        ("made_at", "b.rec IS NULL AND CASE WHEN b.utc_offset_min IS NULL THEN "
         "b.made_on > $made_on ELSE b.made_utc > $now END", "b.made_at",
         lambda text: future_forecast_message(text.strip())),
        ("recorded_at", "b.rec < b.made_utc", "b.rec, b.made_utc", recorded_before_message),
        ("implied_from", "b.basis = 'implied' AND b.implied_from IS NULL", "NULL",
         lambda _: IMPLIED_NEEDS_PHRASE),
        ("recorded_at", "b.rec > $now", "b.rec", future_recorded_message),
        ("made_at", f"b.made_on < {opened}", f"b.made_on, {opened}", before_opened_message),
        ("resolved_on", f"CAST(b.resolved_on AS DATE) < {opened}",
         f"CAST(b.resolved_on AS DATE), {opened}", before_opened_message),
        # Made after the resolution date and logged once the outcome was known
        # (ledger.rules.refused_after_outcome): after the ledger's resolution, always; after
        # the file's, unless its recorded_at says it came first (a restore).
        ("made_at", rules.refused_after_outcome_sql(
            "b.made_on", final_day, "r.question_id IS NOT NULL OR b.rec IS NULL "
            "OR (b.r_rec IS NOT NULL AND b.rec >= b.r_rec)"), f"b.made_on, {final_day}",
         late_message),
    ]
    params = {"day": latest_day, "made_on": latest_made_on, "now": now}
    # Question-level columns must agree on every row of a question: their distinct sets per
    # question (bulk_qnorm, one row per question unless they disagree) say which disagree.
    # min <> max is count(DISTINCT) > 1 without a hash set per question and column.
    per_q = ", ".join(f"min(coalesce({c}, chr(0))) <> max(coalesce({c}, chr(0))) AS d{i}"
                      for i, c in enumerate(PER_QUESTION))
    flags = con.execute(f"SELECT {', '.join(f'bool_or(d{i})' for i in range(len(PER_QUESTION)))}"
                        f" FROM (SELECT {per_q} FROM bulk_qnorm GROUP BY question_id)"
                        ).fetchall()[0]
    # Each row with its question's columns; when some disagree, each row with its own.
    rows_of = (rows_all(con, staged) if any(flags) else
               f"(SELECT r.*, {', '.join(f'q.{c}' for c in (*PER_QUESTION, 'q_rec', 'r_rec'))} "
               "FROM bulk_rows r JOIN bulk_questions q ON q.question_id = r.question_id)")
    join = (f"FROM {rows_of} b LEFT JOIN current_resolutions r ON r.question_id = b.question_id "
            f"LEFT JOIN ({rules.current_questions_sql()}) q ON q.id = b.question_id")
    # One scan says which rules any row breaks; only those look for their rows.
    fired = con.execute("SELECT " + ", ".join(f"bool_or({cond})" for _, cond, _, _ in checks)
                        + f" {join}", params).fetchall()[0]
    for (field, cond, args, message), hit in zip(checks, fired, strict=True):
        if hit:
            found += [(line, field, partial(message, *values)) for line, *values in rows(
                f"SELECT b.line, {args} {join} WHERE {cond}", params)]
    # One forecaster, one moment, one question: a forecast appears once.
    # Grouping millions of rows on one 64-bit hash is several times cheaper than on three
    # columns; rows whose hash repeats are then grouped exactly, so a collision finds nothing.
    dup = con.execute("""
        WITH repeated AS (SELECT hash(question_id, forecaster, made_utc) AS k FROM bulk_rows
                          GROUP BY k HAVING count(*) > 1)
        SELECT max(line), min(line), forecaster, any_value(made_at) FROM bulk_rows
        WHERE hash(question_id, forecaster, made_utc) IN (SELECT k FROM repeated)
        GROUP BY question_id, forecaster, made_utc HAVING count(*) > 1
        ORDER BY 1 LIMIT 10""").fetchall()
    found += [(line, "made_at", lambda who=who, when=when, first=first: duplicate_message(
        who, when.strip(), staged.line(first))) for line, first, who, when in dup]
    # The lines of question-level columns that disagree: the slower search, only for those.
    for col, disagree in zip(PER_QUESTION, flags, strict=True):
        if not disagree:
            continue
        rows_ = con.execute(f"""
            SELECT min(line) FILTER (WHERE {col} IS DISTINCT FROM first_value),
                   question_id, any_value(first_value)
            FROM (SELECT line, question_id, {col},
                         first_value({col}) OVER (PARTITION BY question_id ORDER BY line)
                             AS first_value
                  FROM bulk_rows_all)
            GROUP BY question_id
            HAVING bool_or({col} IS DISTINCT FROM first_value)
            ORDER BY 1 LIMIT 5""").fetchall()
        found += [(line, col, partial(str, f"differs from the first row of question {qid!r} "
                                           f"({first!r}); every row of a question must agree"))
                  for line, qid, first in rows_]
    found.sort(key=lambda f: (f[0], f[1]))
    return [staged.problem(line, field, make()) for line, field, make in found[:MAX_PROBLEMS]]


def _ledger_problems(con: Any, staged: Staged) -> tuple[list[Problem], list[Problem]]:
    problems: list[Problem] = []
    conflicts: list[Problem] = []
    # A new question needs what a forecast file's question needs.
    needed = ("question", "criteria", "resolve_by", "opened")
    new_q = con.execute(f"""
        SELECT line, question_id, {', '.join(f'{c} IS NOT NULL' for c in needed)}
        FROM bulk_questions WHERE question_id NOT IN (SELECT id FROM questions)
          AND NOT ({' AND '.join(f'{c} IS NOT NULL' for c in needed)})
        ORDER BY 1 LIMIT 10""").fetchall()
    problems += [staged.problem(line, next(c for c, ok in zip(needed, has, strict=True)
                                           if not ok),
                                f"question {qid!r} is not in the ledger, so its row needs "
                                "question, criteria, resolve_by and opened")
                 for line, qid, *has in new_q]
    missing_src = con.execute("""
        SELECT min(line), source_id FROM bulk_questions
        WHERE source_id IS NOT NULL AND source_id NOT IN (SELECT id FROM sources)
        GROUP BY source_id ORDER BY 1 LIMIT 10""").fetchall()
    problems += [staged.problem(line, "source_id",
                                f"no source {sid!r} in the ledger (import the YAML file that "
                                "defines it first)") for line, sid in missing_src]
    # A forecast the ledger holds is compared field by field, as a forecast file's is.
    differs = " ".join(
        f"WHEN f.{c} IS DISTINCT FROM {e} THEN {{'name': '{c}', 'old': CAST(f.{c} AS VARCHAR), "
        f"'new': CAST({e} AS VARCHAR), 'num': {'true' if c == 'probability' else 'false'}}}"
        for c, e in _FORECAST_CONTENT.items())
    changed = con.execute(f"""
        SELECT line, d.name, d.old, d.new, d.num, forecaster, made_at FROM (
            SELECT b.line, b.forecaster, b.made_at, CASE {differs} END AS d
            FROM bulk_rows b JOIN forecasts f
              ON f.question_id = b.question_id AND f.forecaster = b.forecaster
             AND f.made_at = b.made_utc)
        WHERE d IS NOT NULL ORDER BY 1 LIMIT 10""").fetchall()
    conflicts += [staged.problem(
        line, name, f"the ledger holds {_shown(old, num)} for {who}'s forecast made at "
                    f"{when.strip()}, the file says {_shown(new, num)}; forecasts are never "
                    "changed (log a new one with a later made_at)")
        for line, name, old, new, num, who, when in changed]
    res = con.execute("""
        SELECT b.line, b.question_id, r.outcome, b.outcome
        FROM bulk_questions b JOIN current_resolutions r ON r.question_id = b.question_id
        WHERE b.outcome IS NOT NULL AND (r.outcome <> b.outcome
              OR r.resolved_on <> CAST(b.resolved_on AS DATE))
        ORDER BY 1 LIMIT 10""").fetchall()
    conflicts += [staged.problem(line, "outcome",
                                 f"the ledger holds {old!r} for {qid!r}, the file says {new!r}; "
                                 "use forecast-ledger resolve --correct")
                  for line, qid, old, new in res]
    return problems, conflicts


def _shown(text: str | None, number: bool) -> str:
    if text is None:
        return "nothing"
    return repr(float(text)) if number else repr(text)


_FORECAST_CONTENT = {"probability": "b.p", "rationale": "b.rationale",
                     "basis": "coalesce(b.basis, 'stated')", "implied_from": "b.implied_from"}


def _edited_questions(con: Any, staged: Staged) -> list[NewEntry]:
    """A question the ledger holds whose text, criteria, dates, tags or source the file
    changes becomes a new version, as a forecast file makes it (the columns a file leaves
    empty keep the held version's value; the rest of a version is not in a flat file)."""
    from ledger.ingest.plan import QUESTION_CONTENT, _same, load_state

    cols = ("question", "criteria", "resolve_by", "opened", "tags", "source_id")
    given = con.execute(f"""
        SELECT question_id, {', '.join(cols)} FROM bulk_questions
        WHERE question_id IN (SELECT id FROM questions)
          AND ({' OR '.join(f'{c} IS NOT NULL' for c in cols)})
        ORDER BY line""").fetchall()
    if not given:
        return []
    state = load_state(con, [g[0] for g in given], [])
    out = []
    for qid, *values in given:
        versions = state.question_versions[qid]
        latest = versions[-1]
        content = {k: latest[k] for k in QUESTION_CONTENT}
        for c, v in zip(cols, values, strict=True):
            if v is None:
                continue
            if c in ("resolve_by", "opened"):
                v = date.fromisoformat(v)
            elif c == "tags":
                v = [t for t in v.split(";") if t]
            content[c] = v
        if any(all(_same(ver[k], content[k]) for k in QUESTION_CONTENT) for ver in versions):
            continue
        changed = [k for k in QUESTION_CONTENT if not _same(latest[k], content[k])]
        out.append(NewEntry("question", qid, {
            "id": qid, "version": latest["version"] + 1, **content,
            "edit_reason": f"{', '.join(changed)} changed in {staged.path}",
            "clarification": None}))
    return out


# What is new, per kind: one row per entry to append, with the line it came from (a
# question's first).
_NEW = {
    "question": """SELECT question_id AS subject, question_id, line, question, criteria,
        resolve_by, opened, tags, source_id, q_rec AS rec
        FROM bulk_questions WHERE question_id NOT IN (SELECT id FROM questions)""",
    "forecast": """SELECT b.question_id AS subject, b.*
        FROM bulk_rows b WHERE NOT EXISTS (SELECT 1 FROM forecasts f
            WHERE f.question_id = b.question_id AND f.forecaster = b.forecaster
              AND f.made_at = b.made_utc)""",
    "resolution": """SELECT question_id AS subject, line, question_id, outcome, resolved_on,
        evidence, r_rec AS rec
        FROM bulk_questions WHERE outcome IS NOT NULL
          AND question_id NOT IN (SELECT question_id FROM resolutions)""",
}

# The typed row of each new entry, column by column (every column of its table, in order).
_TYPED = {
    "question": {
        "id": "question_id", "version": "1", "question": "question",
        "criteria": "criteria", "resolve_by": "resolve_by",
        "opened": "opened",
        "tags": "coalesce(list_filter(string_split(tags, ';'), lambda x: x <> ''), [])",
        "source_id": "source_id", "blind": "false",
    },
    "forecast": {
        "question_id": "question_id", "forecaster": "forecaster", "probability": "p",
        "made_at": "made_utc", "made_on": "made_on", "utc_offset": "utc_offset_min",
        "rationale": "rationale", "basis": "coalesce(basis, 'stated')",
        "implied_from": "implied_from",
    },
    "resolution": {
        "question_id": "question_id", "outcome": "outcome", "resolved_on": "resolved_on",
        "evidence": "evidence",
    },
}


def _json_of(column: str, typ: str) -> str:
    # Instants are written as Python's iso_utc writes them, so every body reads back the same.
    if typ == "TIMESTAMP":
        return f"strftime({column}, '%Y-%m-%dT%H:%M:%S.%f')"
    return column


def _write_kind(con: Any, kind: str, first_seq: int, now: Any) -> int:
    """Append the new entries of ``kind`` from the staged rows; returns how many.

    The typed rows are staged once; the log's bodies and the typed table are both written
    from them, so nothing is parsed back.
    """
    table = schema.KIND_TABLE[kind]
    columns = schema.COLUMNS[table]
    exprs = _TYPED[kind]
    typed = ", ".join(f"CAST({exprs.get(c, 'NULL')} AS {t}) AS {c}" for c, t in columns.items())
    source, seq = _NEW[kind], "$first + row_number() OVER (ORDER BY line) - 1"
    if kind == "forecast" and not _any_known_forecast(con):
        # Every row is new, and lines are numbered densely from the first, so each row's entry
        # number follows from its line: no anti-join, and no sort of millions of wide rows.
        source, seq = "SELECT question_id AS subject, * FROM bulk_rows", \
                      "$first + line - (SELECT min(line) FROM bulk_rows)"
    con.execute("DROP TABLE IF EXISTS bulk_new")
    # DuckDB answers CREATE TABLE AS with the number of rows it wrote.
    n = con.execute(f"""CREATE TEMP TABLE bulk_new AS
        SELECT {seq} AS seq, coalesce(rec, $now) AS recorded_at, subject, {typed}
        FROM ({source}) n""", {"first": first_seq, "now": now}).fetchall()[0][0]
    if not n:
        return 0
    # The body's keys in sorted order, as canonical() writes them from Python.
    keys = {**{c: _json_of(c, t) for c, t in columns.items()}, "seq": "seq",
            "kind": f"'{kind}'", "subject": "subject",
            "recorded_at": _json_of("recorded_at", "TIMESTAMP"),
            "logged_at": _json_of("$now", "TIMESTAMP")}
    body = "json_object(" + ", ".join(f"'{k}', {keys[k]}" for k in sorted(keys)) + ")"
    con.execute("INSERT INTO entries (seq, kind, subject, recorded_at, body, logged_at) "
                f"SELECT seq, '{kind}', subject, recorded_at, {body}, $now FROM bulk_new",
                {"now": now})
    if kind == "question":
        extend_numbers(con, "SELECT id, seq FROM bulk_new", None)
    elif kind == "forecast":
        extend_numbers(con, None, "SELECT forecaster, seq FROM bulk_new")
    con.execute(f"INSERT INTO {table} ({', '.join(typed_columns(table))}) "
                f"SELECT n.seq, n.recorded_at, {', '.join('n.' + c for c in columns)}"
                f"{number_values(table, 'n')} FROM bulk_new n{number_joins(table, 'n')}")
    # Temporary tables live in memory until the transaction ends: at 10M rows each holds
    # gigabytes, so what is written goes at once (a forecast's row has no later use).
    con.execute("DROP TABLE bulk_new")
    if kind == "forecast":
        con.execute("DROP TABLE bulk_rows")
    return n


def _write(con: Any, progress: Progress | None) -> dict[str, int]:
    """Append what is new in the staged rows, then seal it into the hash chain."""
    last_seq, _ = _head(con)
    now, seq, counts = utc_now(), last_seq + 1, {}
    # Every row carries its entry number and every read orders by it, so the storage need not
    # keep rows in insertion order: DuckDB then writes in parallel and its checkpoint has
    # nothing to rearrange (measured at 1M bodies: 4 s instead of 12, and a third smaller).
    # Only this session, only while writing (staging numbered the file's rows before this).
    con.execute("SET SESSION preserve_insertion_order = false")
    try:
        for kind in _NEW:
            counts[kind] = _write_kind(con, kind, seq, now)
            seq += counts[kind]
        if counts["forecast"]:
            if progress:
                progress("pairing", 0, 0)
            refresh_pairs(con, since_seq=last_seq)
        if seq > last_seq + 1:
            seal(con, last_seq + 1, seq - 1, progress)
    finally:
        with suppress(duckdb.Error):  # an aborted transaction refuses even this; it is closed
            con.execute("RESET SESSION preserve_insertion_order")
    return counts


def _any_known_forecast(con: Any) -> bool:
    """Whether the ledger already holds any staged forecast (then those rows are skipped)."""
    return bool(con.execute("""SELECT count(*) FROM (SELECT 1 FROM bulk_rows b SEMI JOIN
        forecasts f ON f.question_id = b.question_id AND f.forecaster = b.forecaster
        AND f.made_at = b.made_utc LIMIT 1)""").fetchall()[0][0])


def _count_new(con: Any) -> dict[str, int]:
    return {kind: con.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0][0]
            for kind, sql in _NEW.items()}


def import_tables(ledger: Ledger, paths: list[Path], *, dry_run: bool = False,
                  progress: Progress | None = None, _scratch: bool = False
                  ) -> ImportResult:
    """Validate CSV/Parquet files in SQL and append what is new, all or nothing."""
    if dry_run and not _scratch and not ledger.exists():
        # Plan against an empty scratch ledger, so the user's file is not created.
        import tempfile

        with tempfile.TemporaryDirectory() as scratch:
            return import_tables(Ledger(Path(scratch) / "dry-run.duckdb"), paths,
                                 dry_run=True, progress=progress, _scratch=True)
    result = ImportResult(files=len(paths), dry_run=dry_run)
    created = not ledger.exists()
    try:
        total_counts = _import(ledger, paths, dry_run, progress, _scratch)
    except BaseException:
        if created:  # the rules run in SQL inside the new file: a refused import leaves none
            for leftover in (ledger.path, ledger.path.with_name(ledger.path.name + ".wal")):
                leftover.unlink(missing_ok=True)
        raise
    names = {"edited": "edited question", "question": "new question",
             "forecast": "new forecast", "resolution": "new resolution"}
    from ledger.ingest.importer import Change

    for kind, n in total_counts.items():
        # One shared Change per kind (they are read, never changed): 11M objects at 10M rows
        # took seconds and most of a gigabyte.
        result.changes.extend([Change(names[kind], "", "")] * n)
    return result


def _import(ledger: Ledger, paths: list[Path], dry_run: bool, progress: Progress | None,
            _scratch: bool) -> dict[str, int]:
    import tempfile

    # The copies sit beside the ledger (a disk the import writes to anyway), not in a /tmp
    # that may be memory.
    with ledger.transaction(create=not dry_run or _scratch) as con, \
            tempfile.TemporaryDirectory(prefix=".import-", dir=ledger.path.parent) as folder:
        total_counts: dict[str, int] = {}
        staged_rows = 0
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")  # this connection's instance only
        for path in paths:
            problems: list[Problem] = []
            # Said before the copy: a file of gigabytes takes seconds to copy.
            _announce(progress, "staging", path)
            try:
                copy = copy_once(path, Path(folder))
            except OSError as exc:
                if exc.errno == errno.ENOSPC:  # the copy sits beside the ledger, on its disk
                    raise DiskFull(f"the disk holding {ledger.path} (or DuckDB's temporary "
                                   "folder) is full; the change was rolled back",
                                   "free some space and try again") from None
                raise ValidationFailed([Problem(str(path), None, "", "no such file" if
                                                isinstance(exc, FileNotFoundError) else
                                                f"cannot read it: {exc.strerror}")]) from None
            try:
                staged = stage(con, path, copy, problems, staged_rows)
            except duckdb.Error as exc:  # a Parquet page that cannot be decoded, say
                raise ValidationFailed([Problem(str(path), None, "", "cannot read it: "
                                                f"{str(exc).splitlines()[0]}")]) from None
            if staged is None:
                raise ValidationFailed(problems)
            staged_rows += staged.rows
            _announce(progress, "checking", path)
            problems = _row_problems(con, staged)
            if problems:
                raise ValidationFailed(problems)
            problems, conflicts = _ledger_problems(con, staged)
            if problems:
                raise ValidationFailed(problems + conflicts)
            if conflicts:
                raise Conflict(conflicts)
            edited = _edited_questions(con, staged)
            release_raw(con, staged)
            _announce(progress, "writing", path)
            if not dry_run:
                append(con, edited)
            counts = {"edited": len(edited),
                      **(_count_new(con) if dry_run else _write(con, progress))}
            for kind, n in counts.items():
                total_counts[kind] = total_counts.get(kind, 0) + n
            copy.unlink()
        if dry_run:
            con.rollback()
            con.begin()  # the context manager commits an empty transaction
        else:
            _announce(progress, "committing", None)
    return total_counts


def _announce(progress: Progress | None, stage: str, path: Path | None) -> None:
    """Say a stage has begun (``(stage, 0, 0)``): a 10M import spends seconds in each before
    the hashing counts entries, and the person waiting should see it from the first second."""
    if progress:
        progress(stage if path is None else f"{stage} {path.name}", 0, 0)

