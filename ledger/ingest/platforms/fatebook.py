"""Fatebook: the CSV its "Export all your forecasts" button writes.

Columns as Sage-Future/fatebook ``lib/web/export.ts`` writes them (commit 1a2bfdc8):
``Question title, Multiple choice option, Forecast created by, Forecast (scale = 0-1),
Forecast created at, Question created by, Question created at, Question resolve by,
Resolution, Resolved at, Your Brier score for this question, Your relative Brier score for this
question, Question notes, Question shared with, Question shared publicly, Question comments``.
Older exports (commit a745b3f8) wrote ``Question resolution`` and ``Question resolved at``
instead of ``Resolution`` and ``Resolved at``, and had no multiple-choice column; both are
read. A ``Question tags`` column, when there is one, is read as tags.

Its format, from the same code: one row per forecast; text in double quotes with quotes doubled
(commas and newlines inside); dates as ``getDateTimeYYYYMMDDHHMMSS`` writes them on the server,
``YYYY-MM-DD HH:MM:S`` in UTC with the seconds not zero-padded; a missing value is empty;
``Resolution`` is YES, NO or AMBIGUOUS (Prisma's enum).

Policy: a question's id is ``fatebook-<day created>-<hash of creator and creation time>``, so
a later export (even after the title was edited, which becomes a new version) finds it again.
Multiple-choice rows are skipped and counted. The account's own Brier scores are kept in the
resolution's note (:data:`SCORE_NOTE`), shown beside the ledger's on the question page.
"""

from __future__ import annotations

import contextlib
import csv
import re
from pathlib import Path

from ledger.errors import Problem
from ledger.ingest.platforms.common import (
    Built,
    Gather,
    ReadContext,
    digest,
    file_source,
    long_text,
    question_text,
    tag,
)

REQUIRED = ("Question title", "Forecast created by", "Forecast (scale = 0-1)",
            "Forecast created at", "Question created at", "Question resolve by")
# new name -> the name older exports used
RENAMED = {"Resolution": "Question resolution", "Resolved at": "Question resolved at"}
OUTCOMES = {"YES": "yes", "NO": "no", "AMBIGUOUS": "ambiguous"}
BRIER = "Your Brier score for this question"
RELATIVE = "Your relative Brier score for this question"
# Fatebook's own score, as kept in the resolution note (parsed back by fatebook_score).
SCORE_NOTE = "Fatebook's Brier score for the exporting account: {brier}"
_SCORE_RE = re.compile(r"Fatebook's Brier score for the exporting account: (?P<brier>[-\d.e]+)"
                       r"(?: \(relative: (?P<relative>[-\d.e]+)\))?")
_STAMP = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?$")


def fatebook_score(note: str | None) -> dict[str, float] | None:
    """Fatebook's Brier (and relative Brier) score kept in a resolution's note, if any."""
    m = _SCORE_RE.search(note or "")
    if not m:
        return None
    out = {"brier": float(m.group("brier"))}
    if m.group("relative"):
        out["relative"] = float(m.group("relative"))
    return out


def stamp(text: str) -> str:
    """Fatebook's ``2024-03-05 14:07:5`` (UTC) as an ISO moment ``2024-03-05T14:07:05Z``."""
    m = _STAMP.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a date and time (Fatebook writes YYYY-MM-DD HH:MM:SS)")
    y, mo, d, h, mi, s = (int(g) for g in m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z"


def _col(row: dict, name: str) -> str:
    value = row.get(name)
    if value is None and name in RENAMED:
        value = row.get(RENAMED[name])
    return (value or "").strip()


def read(paths: list[Path], ctx: ReadContext) -> list[Built]:
    groups: dict[str, dict] = {}  # question key -> its title and document, across the files
    gather = Gather(ctx)
    built = [_read_file(path, groups, gather, ctx) for path in paths]
    gather.finish(lambda key: groups[key]["question"])
    return built


def _read_file(path: Path, groups: dict[str, dict], gather: Gather, ctx: ReadContext) -> Built:
    b = Built(str(path), file_source("fatebook", path, "https://fatebook.io"))
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        names = reader.fieldnames or []
        missing = [c for c in REQUIRED if c not in names]
        missing += [new for new, old in RENAMED.items() if new not in names and old not in names]
        if missing:
            ctx.problems += [Problem(str(path), 1, c, "missing column (Fatebook's export has "
                                     "it)") for c in missing]
            return b
        start = reader.line_num + 1
        for row in reader:
            _row(b, row, start, groups, gather, ctx)
            start = reader.line_num + 1
    return b


def _row(b: Built, row: dict, line: int, groups: dict[str, dict], gather: Gather,
         ctx: ReadContext) -> None:
    path = Path(b.path)
    try:
        created = stamp(_col(row, "Question created at"))
    except ValueError as exc:
        ctx.problems.append(Problem(str(path), line, "Question created at", str(exc)))
        return
    creator = _col(row, "Question created by")
    title = " ".join(_col(row, "Question title").split())
    key = digest(creator, created)
    g = groups.get(key)
    if g is not None and g["title"] != title:
        # Two questions made by one person in one second: told apart by their titles.
        key = digest(creator, created, title)
        g = groups.get(key)
    if g is None:
        if _col(row, "Multiple choice option"):  # every row of such a question names one
            ctx.notes.add("multiple-choice question", "skipped: not supported yet")
            g = groups[key] = {"title": title, "question": None}
        else:
            g = groups[key] = {"title": title,
                               "question": _question(path, row, line, key, created, title, ctx)}
            if g["question"] is not None:
                gather.add(key, b, line)
    if g["question"] is None:
        ctx.notes.add("forecast", "on skipped questions not imported")
        return
    who = " ".join(_col(row, "Forecast created by").split())
    if not who:
        ctx.notes.add("forecast", "skipped: no forecaster name (a deleted account)")
        return
    try:
        made_at = stamp(_col(row, "Forecast created at"))
    except ValueError as exc:
        ctx.problems.append(Problem(str(path), line, "Forecast created at", str(exc)))
        return
    gather.add(key, b, line, {"forecaster": who[:100],
                              "probability": _col(row, "Forecast (scale = 0-1)"),
                              "made_at": made_at,
                              # Fatebook recorded it as it was made: the ledger keeps that time
                              "recorded_at": made_at})


def _question(path: Path, row: dict, line: int, key: str, created: str, title: str,
              ctx: ReadContext) -> dict | None:
    text = question_text(title, ctx.notes)
    if text is None:
        return None
    try:
        resolve_by = stamp(_col(row, "Question resolve by"))[:10]
    except ValueError as exc:
        ctx.problems.append(Problem(str(path), line, "Question resolve by", str(exc)))
        return None
    opened = created[:10]
    if resolve_by < opened:
        ctx.notes.add("question", "whose resolve-by date precedes its creation: resolve-by set "
                      "to the creation date")
        resolve_by = opened
    notes = _col(row, "Question notes")
    criteria = "\n\n".join(x for x in (title if text != title else "", notes) if x) or text
    tags = ["fatebook"]
    for t in re.split(r"[;,]", _col(row, "Question tags")):
        if (t := tag(t)) and t not in tags:
            tags.append(t)
    q: dict = {"id": f"fatebook-{opened}-{key[:8]}", "question": text,
               "criteria": long_text(criteria, ctx.notes, "question note") or text,
               "opened": opened, "resolve_by": resolve_by, "tags": tags[:20], "forecasts": []}
    outcome = _col(row, "Resolution").upper()
    if outcome:
        if outcome not in OUTCOMES:
            ctx.notes.add("question", f"resolved {outcome!r} left unresolved (not yes, no or "
                          "ambiguous)")
            return q
        try:
            resolved = stamp(_col(row, "Resolved at"))
        except ValueError:
            ctx.notes.add("resolved question", "without a valid resolution time left unresolved")
            return q
        note = _score_note(_col(row, BRIER), _col(row, RELATIVE))
        q["resolution"] = {"outcome": OUTCOMES[outcome], "resolved_on": resolved[:10],
                           "recorded_at": resolved, **({"note": note} if note else {})}
    return q


def _score_note(brier: str, relative: str) -> str | None:
    try:
        b = float(brier)
    except ValueError:
        return None
    note = SCORE_NOTE.format(brier=repr(b))
    with contextlib.suppress(ValueError):
        note += f" (relative: {float(relative)!r})"
    return note
