"""What every platform importer shares: the registry of doors, the summary, and the one path
into the ledger.

A platform reader turns its files into forecast-file documents, the dicts a YAML file holds,
with the line of the file each question and forecast came from. From there on nothing is the
platform's own: the documents are validated by the models of ``ledger.format.models`` and
planned and written by ``ledger.ingest.importer.import_loaded``, so a platform import obeys the
same rules, is all or nothing, and a second import of the same file adds nothing.

What the ledger refuses and a platform routinely holds (multiple-choice questions, duplicate
rows, forecasts made after the question resolved, blank titles) is not an error: each reader
skips or adapts it by a documented policy and counts it under a reason, and the summary prints
every reason with its count. A row that is simply malformed (a probability that is not a
number, a date that is not a date) is an error: ``file:line: field: message``, nothing written.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ledger.errors import InvalidValue, Problem, ValidationFailed
from ledger.ingest.importer import ImportResult, import_loaded, model_problems
from ledger.ingest.platforms import PLATFORM_TITLES, PLATFORMS
from ledger.rules import before_opened, refused_after_outcome
from ledger.storage.store import Ledger

Progress = Callable[[str, int, int], None]

MAX_PROBLEMS = 50  # as bulk.py: a file wrong on every row names the first 50, not millions
MAX_QUESTION = 1000  # the models' limits, restated only to shorten text before validation
MAX_LONG = 5000
MIN_QUESTION = 5


class Notes(Counter):
    """Counts of what a reader skipped or adapted, by reason: ``(noun, what happened)``."""

    def add(self, noun: str, what: str, n: int = 1) -> None:
        if n:
            self[(noun, what)] += n

    def lines(self) -> list[str]:
        out = []
        for (noun, what), n in sorted(self.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"{n:,} {noun}{'' if n == 1 else 's'} {what}")
        return out


class RowsFile:
    """A platform file as the planner sees a parsed YAML file: a path, the document, and the
    line each part came from (for ``file:line: field: message``)."""

    def __init__(self, path: str, data: dict, lines: dict[tuple, int]) -> None:
        self.path = path
        self.data = data
        self._lines = lines

    def line_of(self, loc: tuple) -> int | None:
        for end in range(len(loc), -1, -1):  # the nearest enclosing part that has a line
            line = self._lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None

    key_line = line_of


@dataclass
class Built:
    """One platform file turned into a document: its source and questions, with lines."""

    path: str
    source: dict | None
    questions: list[dict] = field(default_factory=list)
    # (question's line, each forecast's line or None: see Gather)
    lines: list[tuple[int, list[int | None]]] = field(default_factory=list)

    def add(self, question: dict, line: int, forecast_lines: list[int | None]) -> None:
        self.questions.append(question)
        self.lines.append((line, forecast_lines))


@dataclass
class ReadContext:
    """What a reader is given and fills in."""

    forecaster: str
    notes: Notes = field(default_factory=Notes)
    problems: list[Problem] = field(default_factory=list)
    progress: Progress | None = None


@dataclass
class PlatformResult:
    platform: str
    result: ImportResult
    notes: Notes

    def summary(self) -> str:
        lines = [f"{PLATFORM_TITLES[self.platform]}: {self.result.summary()}"]
        lines += [f"  {line}" for line in self.notes.lines()]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"platform": self.platform, "files": self.result.files,
                "dry_run": self.result.dry_run, "counts": self.result.counts(),
                "notes": self.notes.lines()}


# -- helpers for readers ---------------------------------------------------------------------

def slug(text: str, limit: int = 40) -> str:
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return out[:limit].strip("-") or "x"


def digest(*parts: object, n: int = 10) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:n]


def file_source(platform: str, path: Path, url: str | None = None) -> dict:
    """One source per imported file: named after the file, its id fixed by the file's bytes,
    so importing the same file again finds the same source."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    title = f"{PLATFORM_TITLES[platform]} export {path.name}"
    src = {"id": f"{platform}-{slug(path.stem, 40)}-{h.hexdigest()[:8]}",
           "title": title[:500], "publisher": PLATFORM_TITLES[platform]}
    if url:
        src["url"] = url
    return src


def question_text(title: str, notes: Notes) -> str | None:
    """The title as a question, or None (counted) when the ledger cannot hold it as one."""
    title = " ".join((title or "").split())
    if not title:
        notes.add("question", "skipped: blank title")
        return None
    if len(title) < MIN_QUESTION:
        notes.add("question", f"skipped: title shorter than {MIN_QUESTION} characters")
        return None
    if len(title) > MAX_QUESTION:
        notes.add("question", f"with a title over {MAX_QUESTION} characters shortened "
                  "(the whole title is kept in its criteria)")
        return title[:MAX_QUESTION - 1] + "…"
    return title


def long_text(text: str | None, notes: Notes, what: str) -> str | None:
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > MAX_LONG:
        notes.add(what, f"longer than {MAX_LONG} characters shortened")
        return text[:MAX_LONG - 1] + "…"
    return text


def tag(text: str) -> str | None:
    out = re.sub(r"[\s,]+", "-", text.strip().lower()).strip("-")[:50]
    return out or None


@functools.lru_cache(maxsize=65536)
def _day(text: str) -> date:
    return date.fromisoformat(text[:10])


def open_by_first_fact(q: dict, notes: Notes) -> None:
    """A platform may take forecasts (GJP's first day) or settle a question before the day it
    says the question opened; the ledger refuses both, so the question is opened on the
    earliest of them (counted) instead of losing them."""
    days = [f["made_at"][:10] for f in q["forecasts"] if isinstance(f.get("made_at"), str)]
    res = q.get("resolution")
    if res:
        days.append(res["resolved_on"])
    try:
        first = min(days, default=None)
        if first is not None and before_opened(_day(first), _day(q["opened"])):
            notes.add("question", "opened earlier than the platform's date (a forecast or its "
                      "resolution came first)")
            q["opened"] = first[:10]
    except ValueError:  # a malformed date: the models name it at its line
        pass


def keep_forecasts(forecasts: list[tuple[dict, int]], resolved_on: str | None,
                   notes: Notes) -> tuple[list[dict], list[int]]:
    """One question's forecasts in file order, with the platform-data policy applied: a
    repeated (forecaster, moment) keeps its first row; a forecast made after the day the
    question resolved is skipped (the ledger refuses one; platforms let some through).

    Readers write every moment in one ISO form with the local date first (``2011-08-31T16:17:18
    -04:00``), so the text is the key and its first ten characters the day it was made on
    (what ``parse_moment`` gives, without parsing each of millions of rows again here).
    """
    seen: set[tuple] = set()
    kept, lines = [], []
    for f, line in forecasts:
        made_at = f["made_at"]
        key = (f["forecaster"], made_at)
        if key in seen:
            notes.add("duplicate forecast", "skipped (same forecaster, question and moment "
                      "as an earlier row)")
            continue
        seen.add(key)
        # Skipped whether or not this import would log it: once the ledger holds the
        # resolution (a newer export imported later), the rule refuses it.
        if resolved_on is not None and isinstance(made_at, str) and refused_after_outcome(
                _day(made_at), _day(resolved_on), logged_after_resolution=True):
            notes.add("forecast", "skipped: made after the question resolved")
            continue
        kept.append(f)
        lines.append(line)
    return kept, lines


class Gather:
    """An import's questions and forecasts gathered across its files.

    A question may appear in several files of one import (GJP's years, two Fatebook exports of
    one account): it goes into the document of the first file that has it (and so takes that
    file's source), with the forecasts of every file. Each forecast's probability is checked
    here, by the ledger's own parser, so a bad one is named at its own file and line; a
    forecast from another file than its question's has no line of its own in that document
    (a later message about it names the question's line).
    """

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.questions: dict[str, dict] = {}

    def add(self, key: str, built: Built, line: int, forecast: dict | None = None) -> None:
        g = self.questions.get(key)
        if g is None:
            g = self.questions[key] = {"built": built, "line": line, "forecasts": []}
        if forecast is None:
            return
        from ledger.format.probability import parse_probability

        try:
            parse_probability(forecast["probability"])
        except ValueError as exc:
            self.ctx.problems.append(Problem(built.path, line, "probability", str(exc)))
            return
        g["forecasts"].append((forecast, (built.path, line)))

    def finish(self, make: Callable[[str], dict | None]) -> None:
        """Make each question (``make(key)``: its document, or None when skipped) and add it
        with its forecasts, policy applied, to its file's document."""
        for key, g in self.questions.items():
            q = make(key)
            if q is None:
                self.ctx.notes.add("forecast", "on skipped questions not imported",
                                   len(g["forecasts"]))
                continue
            res = q.get("resolution")
            q["forecasts"], where = keep_forecasts(
                g["forecasts"], res["resolved_on"] if res else None, self.ctx.notes)
            open_by_first_fact(q, self.ctx.notes)
            b = g["built"]
            b.add(q, g["line"], [line if path == b.path else None for path, line in where])


# -- the door --------------------------------------------------------------------------------

def read_platform(platform: str, paths: list[Path], ctx: ReadContext) -> list[Built]:
    if platform not in PLATFORMS:
        raise InvalidValue(f"{platform!r} is not a platform forecast-ledger imports from",
                           f"use one of {', '.join(PLATFORMS)}")
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise ValidationFailed([Problem(str(p), None, "", "no such file") for p in missing])
    module = importlib.import_module(f"ledger.ingest.platforms.{platform}")
    return module.read(paths, ctx)


def _held_sources(ledger: Ledger, ids: list[str]) -> dict[str, str | None]:
    if not ids or not ledger.exists():
        return {}
    with ledger.connect() as con:
        return dict(con.execute(
            "SELECT id, source_id FROM current_questions WHERE id IN (SELECT unnest($1))",
            [ids]).fetchall())


def to_documents(built: list[Built], held: dict[str, str | None]
                 ) -> tuple[list[tuple[RowsFile, Any]], list[Problem]]:
    """Validate each file's document with the ledger's models.

    A question the ledger already holds keeps the source it came in with (so a newer export
    of the same account adds only what is new, not a new version of every question); a file's
    source is added only when the file brings a question the ledger does not hold.
    """
    from pydantic import ValidationError

    from ledger.format.models import ForecastFile

    loaded: list[tuple[RowsFile, Any]] = []
    problems: list[Problem] = []
    for b in built:
        new = [i for i, q in enumerate(b.questions) if q["id"] not in held]
        old = [i for i, q in enumerate(b.questions) if q["id"] in held]
        parts: list[tuple[dict | None, list[int]]] = [(b.source if new else None, new)]
        if old:
            parts.append((None, old))
        for source, picked in parts:
            if not picked and source is None:
                continue
            questions, lines = [], {}
            if source is not None:
                lines[("source",)] = 1
            for k, i in enumerate(picked):
                q = b.questions[i]
                if q["id"] in held and held[q["id"]]:
                    q = {**q, "source": held[q["id"]]}
                questions.append(q)
                qline, flines = b.lines[i]
                lines[("questions", k)] = qline
                lines[("questions", k, "resolution")] = qline
                for j, fl in enumerate(flines):
                    if fl is not None:
                        lines[("questions", k, "forecasts", j)] = fl
            data: dict[str, Any] = {"questions": questions}
            if source is not None:
                data["source"] = source
            parsed = RowsFile(b.path, data, lines)
            try:
                loaded.append((parsed, ForecastFile.model_validate(data)))
            except ValidationError as exc:
                problems.extend(model_problems(parsed, exc))
    return loaded, problems


def _capped(problems: list[Problem]) -> list[Problem]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = len(problems) - MAX_PROBLEMS
    return [*problems[:MAX_PROBLEMS],
            Problem(problems[MAX_PROBLEMS].file, None, "", f"and {more:,} more like these")]


def import_platform(ledger: Ledger, platform: str, paths: list[str | Path], *,
                    forecaster: str, dry_run: bool = False,
                    progress: Progress | None = None) -> PlatformResult:
    """Import ``paths``, exports of ``platform``, all or nothing; ``forecaster`` names the
    forecasts of an export that does not say whose they are (Metaculus' ``my_forecasts``)."""
    import gc

    ctx = ReadContext(forecaster=forecaster, progress=progress)
    # As in import_paths: the documents make no cycles worth collecting (see its note).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        built = read_platform(platform, [Path(p) for p in paths], ctx)
        if ctx.problems:
            raise ValidationFailed(_capped(ctx.problems))
        held = _held_sources(ledger, [q["id"] for b in built for q in b.questions])
        loaded, problems = to_documents(built, held)
        if problems:
            raise ValidationFailed(_capped(problems))
        result = import_loaded(ledger, loaded, dry_run=dry_run)
    finally:
        if was_enabled:
            gc.enable()
    result.files = len(paths)
    return PlatformResult(platform, result, ctx.notes)
