"""Good Judgment Project: ``ifps.csv`` (the questions) with survey forecast files.

Columns as normalised by niplav/iqisa (commit 78d3b46f; see ``../shared/data/gjp/README.md``):

- ``ifps.csv``: ``ifp_id, q_type, q_text, q_desc, q_status, date_start, date_suspend,
  date_to_close, date_closed, outcome, short_title, days_open, n_opts, options``; dates as
  ``M/D/YY`` (``date_suspend`` with a time), ``outcome`` the letter of the option that happened,
  ``q_status`` closed, voided or active.
- survey forecasts (``survey_fcasts.yr1.csv`` ...): ``ifp_id, ctt, cond, training, team,
  user_id, forecast_id, fcast_type, answer_option, value, fcast_date, expertise, q_status,
  viewtime, year, timestamp``; one row per option of a forecast, ``timestamp`` in US Eastern
  time. ``NA`` marks a missing value.

Policy: a two-option question whose ``options`` read ``(a) Yes, (b) No`` (or ``(a) No,
(b) Yes``) is a binary question, the yes option's value its probability (``1 - value`` of the
no option when only that row is there); a conditional question's condition (the text before
``(a)``) is added to its text. Questions with more options, or two that are not yes and no,
are skipped and counted. Voided questions are imported as annulled, active ones unresolved.
Only questions forecast in the files given are imported. Forecasters are named
``gjp-<user_id>``. Forecast files are read with DuckDB's CSV reader, grouped to one row per
forecast in SQL.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

from ledger.errors import Problem
from ledger.ingest.platforms.common import (
    Built,
    Gather,
    ReadContext,
    file_source,
    long_text,
    question_text,
)

QUESTION_COLUMNS = ("ifp_id", "q_type", "q_text", "q_desc", "q_status", "date_start",
                    "date_suspend", "date_to_close", "date_closed", "outcome", "n_opts",
                    "options")
FORECAST_COLUMNS = ("ifp_id", "user_id", "forecast_id", "answer_option", "value", "fcast_date",
                    "timestamp")
_YES_NO = re.compile(r"^(?P<cond>.*?)\(a\)\s*(?P<a>yes|no)\s*,\s*\(b\)\s*(?P<b>yes|no)\s*$",
                     re.IGNORECASE | re.DOTALL)
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return next(csv.reader(fh), [])


def _na(text: str | None) -> str | None:
    """GJP writes NA for a missing value."""
    return None if text is None or text.strip() in ("", "NA") else text


def us_date(text: str | None) -> date | None:
    """``9/1/11`` or ``12/30/11 0:00`` (GJP's dates) as a date; None when missing."""
    if text is None or text.strip() in ("", "NA"):
        return None
    m = _US_DATE.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a date (GJP writes M/D/YY)")
    month, day, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    return date(year + 2000 if year < 100 else year, month, day)


def _questions(path: Path, ctx: ReadContext) -> dict[str, tuple[dict, int]]:
    # Small (hundreds of rows) and holding quoted newlines: the csv module knows each row's
    # first line, which DuckDB's reader does not report.
    out: dict[str, tuple[dict, int]] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in QUESTION_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            ctx.problems += [Problem(str(path), 1, c, "missing column (GJP's ifps.csv has it)")
                             for c in missing]
            return out
        start = reader.line_num + 1
        for row in reader:
            out[row["ifp_id"].strip()] = (row, start)
            start = reader.line_num + 1
    return out


# One row per forecast (its options' rows grouped), with GJP's Eastern time turned into the
# moment with its UTC offset and the UTC time in SQL: millions of rows, no per-row Python zones.
_FORECASTS_SQL = """
CREATE OR REPLACE TEMP TABLE gjp_forecasts AS
WITH raw AS (
    SELECT row_number() OVER () + 1 AS line, *
    FROM read_csv($path, all_varchar = true, header = true, nullstr = 'NA')
), grouped AS (
    SELECT ifp_id, user_id, forecast_id, min(line) AS line, any_value("timestamp") AS ts,
           any_value(fcast_date) AS day,
           any_value(value) FILTER (WHERE lower(answer_option) = 'a') AS a,
           any_value(value) FILTER (WHERE lower(answer_option) = 'b') AS b
    FROM raw GROUP BY ifp_id, user_id, forecast_id
), timed AS (
    SELECT *, TRY_CAST(ts AS TIMESTAMP) AS loc,
           timezone('UTC', timezone('America/New_York', TRY_CAST(ts AS TIMESTAMP))) AS utc
    FROM grouped
)
SELECT ifp_id, user_id, line, ts, day, a, b,
       strftime(loc, '%Y-%m-%dT%H:%M:%S') || CASE WHEN date_diff('minute', utc, loc) < 0
           THEN '-' ELSE '+' END || lpad(CAST(abs(date_diff('minute', utc, loc)) // 60
           AS VARCHAR), 2, '0') || ':' || lpad(CAST(abs(date_diff('minute', utc, loc)) % 60
           AS VARCHAR), 2, '0') AS made_at,
       strftime(utc, '%Y-%m-%dT%H:%M:%S') || '+00:00' AS recorded_at
FROM timed
"""


def _binary(row: dict) -> tuple[str, str] | None:
    """(yes letter, condition) when the question is a yes/no one, else None."""
    if (row.get("n_opts") or "").strip() != "2":
        return None
    m = _YES_NO.match((row.get("options") or "").strip())
    if not m or {m.group("a").lower(), m.group("b").lower()} != {"yes", "no"}:
        return None
    yes = "a" if m.group("a").lower() == "yes" else "b"
    return yes, m.group("cond").strip().rstrip(":").strip()


def _question(ifp: str, row: dict, yes: str, cond: str, ctx: ReadContext,
              where: tuple[str, int]) -> dict | None:
    title = question_text(f"{row['q_text'].strip()} {cond}".strip(), ctx.notes)
    if title is None:
        return None
    try:
        opened = us_date(row["date_start"])
        to_close = us_date(row["date_to_close"])
        closed = us_date(row["date_closed"]) or us_date(row["date_suspend"])
    except ValueError as exc:
        ctx.problems.append(Problem(*where, "date", str(exc)))
        return None
    if opened is None or to_close is None:
        ctx.notes.add("question", "skipped: no start or close date")
        return None
    if to_close < opened:
        ctx.notes.add("question", "whose close date precedes its start: resolve-by set to "
                      "the start date")
        to_close = opened
    q: dict = {"id": f"gjp-{ifp.lower()}", "question": title,
               "criteria": long_text(_na(row["q_desc"]), ctx.notes, "criteria text") or title,
               "opened": opened.isoformat(), "resolve_by": to_close.isoformat(),
               "tags": ["gjp"], "forecasts": []}
    status = (_na(row["q_status"]) or "").strip().lower()
    outcome = (_na(row["outcome"]) or "").strip()
    note = f"Good Judgment Project question {ifp}, {status}"
    if status == "voided":
        ctx.notes.add("voided question", "imported as annulled")
        q["resolution"] = {"outcome": "annulled", "resolved_on": (closed or to_close).isoformat(),
                           "note": note}
    elif status == "closed" and outcome.lower() in ("a", "b"):
        q["resolution"] = {"outcome": "yes" if outcome.lower() == yes else "no",
                           "resolved_on": (closed or to_close).isoformat(),
                           "note": f"{note}, outcome ({outcome.lower()})"}
    elif status == "closed":
        ctx.notes.add("closed question", "without an outcome imported unresolved")
    return q


def read(paths: list[Path], ctx: ReadContext) -> list[Built]:
    import duckdb

    q_files = [p for p in paths if "q_text" in _header(p)]
    f_files = [p for p in paths if p not in q_files]
    if len(q_files) != 1:
        ctx.problems.append(Problem(", ".join(map(str, paths)), None, "",
                                    "give GJP's questions file (ifps.csv, with q_text) exactly "
                                    f"once with the forecast files; found {len(q_files)}"))
        return []
    questions = _questions(q_files[0], ctx)
    if not f_files:
        ctx.problems.append(Problem(str(q_files[0]), None, "",
                                    "give the survey forecast files to import with it"))
    built: list[Built] = []
    gather = Gather(ctx)
    kinds: dict[str, tuple[str, str] | None] = {}  # ifp -> (yes letter, condition) or skipped
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # it would draw on standard output
    try:
        for n, path in enumerate(f_files, 1):
            header = _header(path)
            missing = [c for c in FORECAST_COLUMNS if c not in header]
            if missing:
                ctx.problems += [Problem(str(path), 1, c, "missing column (GJP's survey "
                                         "forecasts have it)") for c in missing]
                continue
            built.append(_read_forecasts(con, path, questions, kinds, gather, ctx))
            if ctx.progress:
                ctx.progress("reading", n, len(f_files))
    finally:
        con.close()

    def make(ifp: str) -> dict | None:
        row, qline = questions[ifp]
        yes, cond = kinds[ifp]  # type: ignore[misc]
        return _question(ifp, row, yes, cond, ctx, (str(q_files[0]), qline))

    gather.finish(make)
    ctx.notes.add("question", "in ifps.csv without forecasts in these files not imported",
                  len(set(questions) - set(kinds)))
    return built


def _kind(ifp: str, row: dict, ctx: ReadContext) -> tuple[str, str] | None:
    kind = _binary(row)
    if kind is None:
        opts = (row.get("n_opts") or "").strip()
        if opts != "2":
            ctx.notes.add("multiple-choice question", "skipped: not supported yet")
        else:
            ctx.notes.add("two-option question", "skipped: its options are not yes and no")
    return kind


def _read_forecasts(con, path: Path, questions: dict[str, tuple[dict, int]],
                    kinds: dict[str, tuple[str, str] | None], gather: Gather,
                    ctx: ReadContext) -> Built:
    b = Built(str(path), file_source("gjp", path, "https://doi.org/10.7910/DVN/BPCDH5"))
    con.execute(_FORECASTS_SQL, {"path": str(path)})
    total = con.execute("SELECT count(*) FROM gjp_forecasts").fetchall()[0][0]
    cur = con.execute("SELECT * FROM gjp_forecasts ORDER BY ifp_id, line")
    unknown: set[str] = set()
    done = 0
    while rows := cur.fetchmany(50_000):  # streamed: one forecast a row, never the file
        done += len(rows)
        if ctx.progress and total >= 100_000:
            ctx.progress(f"reading {path.name}: forecasts", done, total)
        for ifp, user, line, ts, day, a, b_val, made_at, recorded_at in rows:
            ifp = (ifp or "").strip()
            if ifp not in kinds:
                if ifp not in questions:
                    if ifp not in unknown:
                        unknown.add(ifp)
                        ctx.problems.append(Problem(str(path), line, "ifp_id",
                                                    f"{ifp!r} is not a question in ifps.csv"))
                    continue
                kinds[ifp] = _kind(ifp, questions[ifp][0], ctx)
            kind = kinds[ifp]
            if kind is None:
                ctx.notes.add("forecast", "on skipped questions not imported")
                continue
            p = _probability(a, b_val, kind[0], ctx, path, line)
            if p is None:
                continue
            if made_at is None:
                if ts is not None or not day:
                    ctx.problems.append(Problem(str(path), line, "timestamp",
                                                f"{ts!r} is not a date and time"))
                    continue
                made_at = day.strip()  # a day alone: the models check it
            gather.add(ifp, b, line, {"forecaster": f"gjp-{(user or '').strip()}",
                                      "probability": p, "made_at": made_at,
                                      "recorded_at": recorded_at})
    return b


def _probability(a: str | None, b: str | None, yes: str, ctx: ReadContext, path: Path,
                 line: int) -> float | str | None:
    own, other = (a, b) if yes == "a" else (b, a)
    if own is None and other is None:
        ctx.problems.append(Problem(str(path), line, "value", "missing"))
        return None
    try:
        if own is not None:
            p = float(own)
            if other is not None and abs(p + float(other) - 1) > 1e-9:
                ctx.notes.add("forecast", "whose yes and no values do not sum to 1 kept as "
                              "the yes value")
            return p
        ctx.notes.add("forecast", "with only the no option's row taken as 1 - its value")
        return 1 - float(other)  # type: ignore[arg-type]
    except ValueError:
        return own if own is not None else other  # not a number: the models say so, at its line
