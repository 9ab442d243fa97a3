"""PredictionBook: its public data as normalised by niplav/iqisa.

Columns as ``iqisa/predictionbook.py`` (niplav/iqisa, commit 0481921f) writes them:

- forecasts (``public.csv``): ``question_id, user_id, team_id, probability, answer_option,
  timestamp, outcome, open_time, close_time, resolve_time, time_open, n_opts, options,
  q_status, q_type``; ``outcome`` 1.0 (right), 0.0 (wrong), -1.0 (unknown) or empty (open);
  ``q_status`` open, resolved or ambiguous.
- questions (``questions.csv``): ``question_id, q_title, q_status, open_time, close_time,
  resolve_time, outcome, time_open, n_opts, options``.

Times are pandas' text of UTC timestamps (``2011-05-09 12:34:56+00:00``). PredictionBook's own
CSV export is not read: its settings page links "Export my predictions as CSV"
(bellroy/predictionbook ``app/views/users/settings.html.erb``, ``mine_predictions_path``), but
the code writing that CSV was not found in its source, so its columns are unknown.

Policy: a question's id is ``pb-<question_id>``; ``-1`` (unknown) imports as ambiguous;
a deadline beyond the ledger's calendar (PredictionBook accepted year 9999) is set to
2999-12-31 and counted. The forecast file is read with DuckDB's CSV reader and streamed.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from ledger.errors import Problem
from ledger.ingest.platforms.common import Built, Gather, ReadContext, file_source, question_text

FORECAST_COLUMNS = ("question_id", "user_id", "probability", "timestamp")
QUESTION_COLUMNS = ("question_id", "q_title", "open_time", "close_time", "resolve_time",
                    "outcome")
LAST_DAY = "2999-12-31"
_OUTCOMES = {"1": "yes", "1.0": "yes", "0": "no", "0.0": "no", "-1": "ambiguous",
             "-1.0": "ambiguous"}

_FORECASTS_SQL = """
SELECT row_number() OVER () + 1 AS line, question_id, user_id, probability, "timestamp"
FROM read_csv($path, all_varchar = true, header = true)
"""


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return next(csv.reader(fh), [])


def moment(text: str | None) -> str | None:
    """pandas' ``2011-05-09 12:34:56+00:00`` (or without the offset: UTC) as an ISO moment."""
    text = (text or "").strip()
    if not text or text.lower() in ("nan", "nat", "none"):
        return None
    value = datetime.fromisoformat(text.replace(" UTC", "+00:00"))
    if value.tzinfo is None:
        return value.isoformat() + "+00:00"
    return value.isoformat()


def _day(text: str | None) -> str | None:
    m = moment(text)
    return m[:10] if m else None


def read(paths: list[Path], ctx: ReadContext) -> list[Built]:
    import duckdb

    q_files = [p for p in paths if "q_title" in _header(p)]
    f_files = [p for p in paths if p not in q_files]
    if not q_files or not f_files:
        ctx.problems.append(Problem(", ".join(map(str, paths)), None, "",
                                    "give PredictionBook's questions.csv (with q_title) and its "
                                    "forecasts (public.csv) together"))
        return []
    questions: dict[str, tuple[dict, int, str]] = {}
    for path in q_files:
        _questions(path, questions, ctx)
    built = []
    gather = Gather(ctx)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # it would draw on standard output
    try:
        for n, path in enumerate(f_files, 1):
            missing = [c for c in FORECAST_COLUMNS if c not in _header(path)]
            if missing:
                ctx.problems += [Problem(str(path), 1, c, "missing column") for c in missing]
                continue
            built.append(_forecasts(con, path, questions, gather, ctx))
            if ctx.progress:
                ctx.progress("reading", n, len(f_files))
    finally:
        con.close()

    def make(qid: str) -> dict | None:
        row, qline, where = questions[qid]
        return _question(qid, row, where, qline, ctx)

    gather.finish(make)
    return built


def _questions(path: Path, out: dict[str, tuple[dict, int, str]], ctx: ReadContext) -> None:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in QUESTION_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            ctx.problems += [Problem(str(path), 1, c, "missing column") for c in missing]
            return
        start = reader.line_num + 1
        for row in reader:
            out[(row["question_id"] or "").strip()] = (row, start, str(path))
            start = reader.line_num + 1


def _question(qid: str, row: dict, where: str, line: int, ctx: ReadContext) -> dict | None:
    text = question_text(row["q_title"] or "", ctx.notes)
    if text is None:
        return None
    try:
        opened, resolve_by = _day(row["open_time"]), _day(row["close_time"])
        resolved = _day(row["resolve_time"])
    except ValueError:
        ctx.problems.append(Problem(where, line, "open_time", "a time here is not a date "
                                    "and time (pandas writes 2011-05-09 12:34:56+00:00)"))
        return None
    except OverflowError:
        opened, resolve_by, resolved = _day(row["open_time"]), LAST_DAY, None
    if opened is None:
        ctx.notes.add("question", "skipped: no open_time")
        return None
    if resolve_by is None or resolve_by > LAST_DAY:
        ctx.notes.add("question", f"without a deadline in the ledger's calendar: resolve-by set "
                      f"to {LAST_DAY}")
        resolve_by = LAST_DAY
    if resolve_by < opened:
        ctx.notes.add("question", "whose deadline precedes its creation: resolve-by set to "
                      "the creation date")
        resolve_by = opened
    q: dict = {"id": f"pb-{qid.lower()}", "question": text, "criteria": text,
               "opened": opened, "resolve_by": resolve_by, "tags": ["predictionbook"],
               "forecasts": []}
    outcome = _OUTCOMES.get((row.get("outcome") or "").strip())
    if outcome is not None:
        if resolved is None:
            ctx.notes.add("judged question", "without a judgement time left unresolved")
        else:
            if outcome == "ambiguous":
                ctx.notes.add("question", "judged unknown imported as ambiguous")
            q["resolution"] = {"outcome": outcome, "resolved_on": resolved,
                               "recorded_at": moment(row["resolve_time"]),
                               "note": f"PredictionBook prediction {qid}"}
    return q


def _forecasts(con, path: Path, questions: dict[str, tuple[dict, int, str]], gather: Gather,
               ctx: ReadContext) -> Built:
    b = Built(str(path), file_source("predictionbook", path, "https://predictionbook.com"))
    cur = con.execute(_FORECASTS_SQL, {"path": str(path)})
    while rows := cur.fetchmany(50_000):  # streamed
        for line, qid, user, p, ts in rows:
            qid = (qid or "").strip()
            if qid not in questions:
                ctx.notes.add("forecast", "skipped: its question is not in questions.csv")
                continue
            who = " ".join((user or "").split())
            if not who:
                ctx.notes.add("forecast", "skipped: no user_id")
                continue
            try:
                made_at = moment(ts)
            except (ValueError, OverflowError):
                ctx.problems.append(Problem(str(path), line, "timestamp",
                                            f"{ts!r} is not a date and time"))
                continue
            if made_at is None:
                ctx.notes.add("forecast", "skipped: no timestamp")
                continue
            gather.add(qid, b, line, {"forecaster": who[:100],
                                      "probability": (p or "").strip() or None,
                                      "made_at": made_at, "recorded_at": made_at})
    return b
