"""Importing forecast files: validate everything first, then append only what is new.

The import is planned against the ledger's current state and written in one transaction, so it
is all or nothing. Importing the same files again changes nothing; a forecast or resolution whose
recorded value differs from the file is a conflict (history is never rewritten); a question whose
text or criteria changed becomes a new version of that question.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from ledger.errors import Conflict, Problem, ValidationFailed
from ledger.format.dates import parse_moment, utc_now
from ledger.format.yamlfile import ParsedFile, read_yaml
from ledger.storage.store import Ledger, NewEntry, append

QUESTION_CONTENT = (
    "question", "criteria", "resolve_by", "opened", "tags", "source_id", "quote", "horizon",
    "resolve_by_rule", "reference_probability", "reference_note", "blind",
)
FORECAST_CONTENT = ("probability", "rationale", "basis", "implied_from")
RESOLUTION_CONTENT = ("outcome", "resolved_on", "evidence", "note", "resolved_by", "reason")
SOURCE_CONTENT = ("title", "publisher", "author", "url", "published")

ACTIONS = ("new source", "new question", "edited question", "new forecast", "new resolution",
           "correction")
Progress = Callable[[str, int, int], None]


class Change:
    """One change an import makes; ``where`` (file:line) is worked out only when asked for,
    since finding a line costs a walk of the node tree (composed again from the file's text
    the first time) and most imports never show it."""

    __slots__ = ("_where", "action", "subject")

    def __init__(self, action: str, subject: str, where: str | Callable[[], str]) -> None:
        self.action = action  # one of ACTIONS
        self.subject = subject
        self._where = where

    @property
    def where(self) -> str:
        return self._where() if callable(self._where) else self._where

    def as_dict(self) -> dict[str, str]:
        return {"action": self.action, "subject": self.subject, "where": self.where}


def _where(parsed: ParsedFile, loc: tuple) -> str:
    return f"{parsed.path}:{parsed.line_of(loc)}"


@dataclass
class ImportResult:
    files: int = 0
    changes: list[Change] = field(default_factory=list)
    entries: list[NewEntry] = field(default_factory=list)
    dry_run: bool = False

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(ACTIONS, 0)
        for c in self.changes:
            out[c.action] += 1
        return {k: v for k, v in out.items() if v}

    def summary(self) -> str:
        files = f"{self.files} file{'s' if self.files != 1 else ''}"
        if not self.changes:
            return f"{files} read; the ledger already holds everything in them, nothing changed"
        parts = ", ".join(f"{n} {action}{'s' if n != 1 else ''}"
                          for action, n in self.counts().items())
        verb = "would add" if self.dry_run else "added"
        return f"{files} read; {verb} {parts}"


# -- reading --------------------------------------------------------------------------------

def collect_paths(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Problem]]:
    """YAML files named, or found below the folders named (sorted, so imports are repeatable)."""
    found: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")
                           and p.is_file() and not any(part.startswith(".") for part in p.parts))
            if not files:
                problems.append(Problem(str(path), None, "",
                                        "no .yaml or .yml files in this folder"))
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            problems.append(Problem(str(path), None, "", "no such file or folder"))
    return found, problems


def parse_files(paths: Sequence[Path], progress: Progress | None = None
                ) -> tuple[list[tuple[ParsedFile, Any]], list[Problem]]:
    """Read and validate each file against the models; problems of every file are gathered."""
    from pydantic import ValidationError

    from ledger.format.models import ForecastFile

    loaded: list[tuple[ParsedFile, Any]] = []
    problems: list[Problem] = []
    for n, path in enumerate(paths, 1):
        docs, found = read_yaml(path, display=_display(path))
        problems.extend(found)
        for parsed in docs:
            try:
                loaded.append((parsed, ForecastFile.model_validate(parsed.data)))
            except ValidationError as exc:
                problems.extend(model_problems(parsed, exc))
        if progress:
            progress("reading", n, len(paths))
    return loaded, problems


def _display(path: Path) -> str:
    # As the user typed it (a folder's files below the folder as typed): what they can open.
    return str(path)


def model_problems(parsed: ParsedFile, exc: Any) -> list[Problem]:
    """Pydantic's errors as ``file:line: field: message`` problems for people."""
    from ledger.format.yamlfile import suggest_key

    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
        kind, value = err["type"], err.get("input")
        if kind == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            msg = f"unknown key{suggest_key(str(loc[-1]), allowed)}"
            line = parsed.key_line(loc)
        else:
            line = parsed.line_of(loc)
            msg = _message(kind, err, value)
        out.append(Problem(parsed.path, line, name, msg))
    return out


def _message(kind: str, err: dict, value: Any) -> str:
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "missing (this field is required)"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"])).removeprefix("Value error, ")
    if kind == "literal_error":
        return f"{value!r} is not one of {ctx.get('expected', '').replace(chr(39), '')}"
    if kind == "string_too_long":
        return f"is {len(value)} characters long; at most {ctx['max_length']} are allowed"
    if kind == "string_too_short":
        if not value:
            return "is empty"
        return f"{value!r} is too short (at least {ctx['min_length']} characters)"
    if kind == "too_long":
        return f"has {ctx.get('actual_length')} items; at most {ctx.get('max_length')} are allowed"
    if kind in ("list_type", "dict_type", "model_type"):
        want = {"list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping"}[kind]
        return f"should be {want}, not {_show(value)}"
    if kind == "string_type":
        return f"should be text, not {_show(value)} (put it in quotes)"
    if kind in ("bool_type", "bool_parsing"):
        return f"should be true or false, not {_show(value)}"
    if kind == "string_pattern_mismatch":
        return f"{value!r} may not contain spaces or commas"
    return f"{err['msg']} (got {_show(value)})"


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed_keys(loc: tuple) -> list[str]:
    from ledger.format import models

    model: Any = models.ForecastFile
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return []
        ann = info.annotation
        inner = getattr(ann, "__args__", None)
        candidates = [ann, *(inner or ())]
        for c in candidates:
            args = getattr(c, "__args__", None) or (c,)
            nxt = next((a for a in args if isinstance(a, type)
                        and issubclass(a, models.BaseModel)), None)
            if nxt:
                model = nxt
                break
    return list(model.model_fields)


# -- planning -------------------------------------------------------------------------------

@dataclass
class _Ledgered:
    """What the ledger holds already for the ids an import touches."""

    sources: dict[str, dict] = field(default_factory=dict)
    question_versions: dict[str, list[dict]] = field(default_factory=dict)
    forecasts: dict[tuple, dict] = field(default_factory=dict)
    resolutions: dict[str, list[dict]] = field(default_factory=dict)


def _rows(con: Any, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def load_state(con: Any, question_ids: list[str], source_ids: list[str]) -> _Ledgered:
    state = _Ledgered()
    if con is None:
        return state
    for row in _rows(con, "SELECT * FROM sources WHERE id IN (SELECT unnest($1))", [source_ids]):
        state.sources[row["id"]] = row
    for row in _rows(con, "SELECT * FROM questions WHERE id IN (SELECT unnest($1)) "
                          "ORDER BY version", [question_ids]):
        state.question_versions.setdefault(row["id"], []).append(row)
    for row in _rows(con, "SELECT * FROM forecasts WHERE question_id IN (SELECT unnest($1))",
                     [question_ids]):
        state.forecasts[(row["question_id"], row["forecaster"], row["made_at"])] = row
    for row in _rows(con, "SELECT * FROM resolutions WHERE question_id IN (SELECT unnest($1)) "
                          "ORDER BY seq", [question_ids]):
        state.resolutions.setdefault(row["question_id"], []).append(row)
    return state


def known_source_ids(con: Any, ids: list[str]) -> set[str]:
    if con is None or not ids:
        return set()
    return {r[0] for r in con.execute(
        "SELECT DISTINCT id FROM sources WHERE id IN (SELECT unnest($1))", [ids]).fetchall()}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and float(a) == float(b)
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        return list(a or []) == list(b or [])
    return a == b


def _fmt(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return repr(value)


# -- rules both doors apply (YAML here, CSV/Parquet in bulk.py): one text, one limit each ----

IMPLIED_NEEDS_PHRASE = ("missing: a forecast with basis: implied needs the phrase it was "
                        "implied from")


def future_limits(now: datetime) -> tuple[date, date]:
    """``(latest resolved_on, latest made_on of a forecast dated alone)`` accepted at ``now``
    (naive UTC): tomorrow, and the calendar day where it began (UTC+14)."""
    return date.fromordinal(now.date().toordinal() + 1), (now + timedelta(hours=14)).date()


def late_message(made_on: date, resolved_on: date) -> str:
    return (f"{made_on} is after the question resolved on {resolved_on}; "
            "a forecast made once the outcome was known cannot be logged")


def recorded_before_message(recorded_at: datetime, made_at: datetime) -> str:
    return f"{recorded_at} is before the forecast was made ({made_at})"


def future_forecast_message(made_at: str) -> str:
    return f"{made_at} is in the future (log a forecast once it is made)"


def future_resolution_message(resolved_on: date) -> str:
    return f"{resolved_on} is in the future; resolve once it has happened"


def before_opened_message(resolve_by: date, opened: date) -> str:
    return f"{resolve_by} is before the question was opened ({opened})"


def duplicate_message(forecaster: str, made_at: str, line: int | None) -> str:
    return f"{forecaster} already has a forecast made at {made_at} on this question (line {line})"


class _Planner:
    def __init__(self, state: _Ledgered, known_sources: set[str]) -> None:
        self.state = state
        self.known_sources = known_sources
        self.problems: list[Problem] = []
        self.conflicts: list[Problem] = []
        self.result = ImportResult()
        self.seen_questions: dict[str, tuple[ParsedFile, tuple]] = {}  # where each id is
        self.seen_sources: dict[str, tuple[Callable[[], str], dict]] = {}
        self.now = utc_now()
        self.latest_day, self.latest_made_on = future_limits(self.now)

    def problem(self, parsed: ParsedFile, loc: tuple, name: str, msg: str,
                conflict: bool = False) -> None:
        target = self.conflicts if conflict else self.problems
        target.append(Problem(parsed.path, parsed.line_of(loc), name, msg))

    def add(self, action: str, subject: str, where: str | Callable[[], str],
            entry: NewEntry) -> None:
        self.result.changes.append(Change(action, subject, where))
        self.result.entries.append(entry)

    def plan_questions(self, parsed: ParsedFile, doc: Any) -> None:
        for i, q in enumerate(doc.questions):
            self.plan_question(parsed, doc, i, q)

    def plan_source(self, parsed: ParsedFile, src: Any) -> None:
        fields = {k: getattr(src, k) for k in SOURCE_CONTENT}
        where = partial(_where, parsed, ("source",))  # worked out only when shown
        if src.id in self.seen_sources:
            other_where, other = self.seen_sources[src.id]
            if other != fields:
                self.problem(parsed, ("source", "id"), "id",
                             f"source {src.id!r} is also defined at {other_where()} with "
                             "different details; give one of them another id")
            return
        self.seen_sources[src.id] = (where, fields)
        held = self.state.sources.get(src.id)
        if held is None:
            self.add("new source", src.id, where,
                     NewEntry("source", src.id, {"id": src.id, **fields}))
            return
        for key in SOURCE_CONTENT:
            if not _same(held[key], fields[key]):
                self.problem(parsed, ("source", key), key,
                             f"the ledger holds {_fmt(held[key])} for source {src.id!r}, the file "
                             f"says {_fmt(fields[key])}; sources are not edited in place "
                             "(give the source a new id)", conflict=True)

    def plan_question(self, parsed: ParsedFile, doc: Any, i: int, q: Any) -> None:
        at = ("questions", i)
        # file:line is worked out only when shown (a walk of the node tree per question)
        where = partial(_where, parsed, at)
        if q.id in self.seen_questions:
            self.problem(parsed, (*at, "id"), "id", f"question id {q.id!r} is already used at "
                         f"{_where(*self.seen_questions[q.id])}")
            return
        self.seen_questions[q.id] = (parsed, (*at, "id"))
        source_id = q.source or (doc.source.id if doc.source else None)
        if q.source and q.source not in self.seen_sources and q.source not in self.known_sources:
            self.problem(parsed, (*at, "source"), "source",
                         f"no source {q.source!r} in the ledger or in the files imported "
                         "(define it under source: in a file, and import that file too)")
        opened = q.opened or (doc.source.published if doc.source and not q.source else None)
        if opened is None:
            self.problem(parsed, (*at, "opened"), "opened",
                         "missing: when was the question opened? (e.g. opened: 2026-05-21; "
                         "it defaults to the source's published date when there is one)")
            return
        if q.resolve_by < opened:
            self.problem(parsed, (*at, "resolve_by"), "resolve_by",
                         before_opened_message(q.resolve_by, opened))
        if q.resolution is not None and q.resolutions:
            self.problem(parsed, (*at, "resolutions"), "resolutions",
                         "use either resolution: (one) or resolutions: (a history), not both")
            return
        resolutions = [q.resolution] if q.resolution is not None else list(q.resolutions)
        for k, r in enumerate(resolutions):
            if r.resolved_on > self.latest_day:
                loc = (*at, "resolution") if q.resolution is not None else (*at, "resolutions", k)
                self.problem(parsed, (*loc, "resolved_on"), "resolved_on",
                             future_resolution_message(r.resolved_on))
        for k, r in enumerate(resolutions[1:], 1):
            if not r.reason:
                self.problem(parsed, (*at, "resolutions", k), "reason",
                             "missing: a resolution that corrects an earlier one needs a reason")

        content = {
            "question": q.question, "criteria": q.criteria, "resolve_by": q.resolve_by,
            "opened": opened, "tags": list(q.tags), "source_id": source_id, "quote": q.quote,
            "horizon": q.horizon, "resolve_by_rule": q.resolve_by_rule,
            "reference_probability": q.reference.probability if q.reference else None,
            "reference_note": q.reference.note if q.reference else None, "blind": q.blind,
        }
        versions = self.state.question_versions.get(q.id, [])
        if not versions:
            self.add("new question", q.id, where, NewEntry(
                "question", q.id, {"id": q.id, "version": 1, **content, "edit_reason": None}))
        elif not any(all(_same(v[k], content[k]) for k in QUESTION_CONTENT) for v in versions):
            latest = versions[-1]
            changed = [k for k in QUESTION_CONTENT if not _same(latest[k], content[k])]
            self.add("edited question", q.id, where, NewEntry("question", q.id, {
                "id": q.id, "version": latest["version"] + 1, **content,
                "edit_reason": f"{', '.join(changed)} changed in {parsed.path}"}))

        # Forecasts are appended before the resolution (the order they happened in, and the
        # order a restore from an export must reproduce), checked against the final outcome.
        held = self.state.resolutions.get(q.id, [])
        final = (_ResolutionView(held[-1]["outcome"], held[-1]["resolved_on"])
                 if len(held) > len(resolutions) else (resolutions[-1] if resolutions else None))
        self.plan_forecasts(parsed, at, q, final)
        self.plan_resolutions(parsed, at, q.id, resolutions)

    def plan_resolutions(self, parsed: ParsedFile, at: tuple, qid: str,
                         resolutions: list[Any]) -> Any:
        held = self.state.resolutions.get(qid, [])
        key = "resolution" if _has_key(parsed, at, "resolution") else "resolutions"
        for k, r in enumerate(resolutions):
            loc = (*at, key) if key == "resolution" else (*at, key, k)
            fields = {f: getattr(r, f) for f in RESOLUTION_CONTENT}
            if k < len(held):
                for f in RESOLUTION_CONTENT:
                    if not _same(held[k][f], fields[f]):
                        self.problem(parsed, (*loc, f), f,
                                     f"the ledger holds {_fmt(held[k][f])} for resolution "
                                     f"{k + 1} of {qid!r}, the file says {_fmt(fields[f])}; "
                                     "resolutions are corrected by a new entry "
                                     "(forecast-ledger resolve --correct --reason ...)",
                                     conflict=True)
                        break
                continue
            action = "new resolution" if k == 0 else "correction"
            self.add(action, qid, partial(_where, parsed, loc), NewEntry(
                "resolution", qid,
                {"question_id": qid, **fields, "supersedes": None if k == 0 else -1},
                recorded_at=r.recorded_at))
        if len(held) > len(resolutions):
            return _ResolutionView(held[-1]["outcome"], held[-1]["resolved_on"])
        return resolutions[-1] if resolutions else None

    def plan_forecasts(self, parsed: ParsedFile, at: tuple, q: Any, final: Any) -> None:
        # The one loop run per forecast: what it looks up every time is looked up once here.
        seen: dict[tuple, int] = {}
        qid = q.id
        held_forecasts = self.state.forecasts
        final_day = final.resolved_on if final is not None else None
        now, latest_made_on = self.now, self.latest_made_on
        changes, entries = self.result.changes, self.result.entries
        for j, f in enumerate(q.forecasts):
            loc = (*at, "forecasts", j)
            made_at, made_on, offset = parse_moment(f.made_at)
            key = (qid, f.forecaster, made_at)
            if key in seen:
                self.problem(parsed, (*loc, "made_at"), "made_at", duplicate_message(
                    f.forecaster, f.made_at, parsed.line_of((*at, "forecasts", seen[key]))))
                continue
            seen[key] = j
            if f.basis == "implied" and not f.implied_from:
                self.problem(parsed, loc, "implied_from", IMPLIED_NEEDS_PHRASE)
            if final_day is not None and made_on > final_day:
                self.problem(parsed, (*loc, "made_at"), "made_at",
                             late_message(made_on, final_day))
            recorded_at = f.recorded_at
            if recorded_at is not None and recorded_at < made_at:
                self.problem(parsed, (*loc, "recorded_at"), "recorded_at",
                             recorded_before_message(recorded_at, made_at))
            elif recorded_at is None and (
                    made_at > now if offset is not None else made_on > latest_made_on):
                # It would be recorded now, before it was made: refused like `forecast --at`
                # (and an export of it could not be imported again).
                self.problem(parsed, (*loc, "made_at"), "made_at",
                             future_forecast_message(f.made_at))
            content = {"probability": f.probability, "rationale": f.rationale,
                       "basis": f.basis, "implied_from": f.implied_from}
            held = held_forecasts.get(key)
            if held is not None:
                for name in FORECAST_CONTENT:
                    if not _same(held[name], content[name]):
                        self.problem(parsed, (*loc, name), name,
                                     f"the ledger holds {_fmt(held[name])} for {f.forecaster}'s "
                                     f"forecast made at {f.made_at}, the file says "
                                     f"{_fmt(content[name])}; forecasts are never changed "
                                     "(log a new one with a later made_at)", conflict=True)
                        break
                continue
            # self.add, inlined
            changes.append(Change("new forecast", qid, partial(_where, parsed, loc)))
            entries.append(NewEntry(
                "forecast", qid,
                {"question_id": qid, "forecaster": f.forecaster, **content,
                 "made_at": made_at, "made_on": made_on, "utc_offset": offset},
                recorded_at=recorded_at))


@dataclass(frozen=True)
class _ResolutionView:
    outcome: str
    resolved_on: date


def _has_key(parsed: ParsedFile, at: tuple, key: str) -> bool:
    data = parsed.data
    try:
        for part in at:
            data = data[part]
        return key in data
    except (KeyError, IndexError, TypeError):
        return False


def plan(con: Any, loaded: list[tuple[ParsedFile, Any]]) -> ImportResult:
    """What importing ``loaded`` would append to the ledger on ``con`` (``None``: empty)."""
    qids = [q.id for _, doc in loaded for q in doc.questions]
    sids = [doc.source.id for _, doc in loaded if doc.source]
    refs = [q.source for _, doc in loaded for q in doc.questions if q.source]
    planner = _Planner(load_state(con, qids, sids), known_source_ids(con, refs))
    # Sources first, so a question may name a source defined in any file of the import.
    for parsed, doc in loaded:
        if doc.source is not None:
            planner.plan_source(parsed, doc.source)
    for parsed, doc in loaded:
        planner.plan_questions(parsed, doc)
    planner.result.files = len({parsed.path for parsed, _ in loaded})  # files, not documents
    if planner.problems:
        raise ValidationFailed(planner.problems + planner.conflicts)
    if planner.conflicts:
        raise Conflict(planner.conflicts)
    return planner.result


def write(con: Any, result: ImportResult) -> None:
    """Append the planned entries, linking corrections to the resolution they supersede."""
    entries = result.entries
    if not entries:
        return
    # Corrections point at the seq of the entry they supersede, known only once seqs are given.
    last_seq = con.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchall()[0][0]
    latest_resolution: dict[str, int] = dict(con.execute(
        "SELECT question_id, max(seq) FROM resolutions WHERE question_id IN (SELECT unnest($1)) "
        "GROUP BY question_id",
        [sorted({e.subject for e in entries if e.kind == "resolution"})]).fetchall())
    fixed = []
    for n, e in enumerate(entries, start=last_seq + 1):
        if e.kind == "resolution":
            if e.fields.get("supersedes") == -1 or (
                    e.fields.get("supersedes") is None and e.subject in latest_resolution):
                e = NewEntry(e.kind, e.subject, {**e.fields,
                             "supersedes": latest_resolution.get(e.subject)}, e.recorded_at)
            latest_resolution[e.subject] = n
        fixed.append(e)
    append(con, fixed)


def import_paths(ledger: Ledger, paths: Sequence[str | os.PathLike[str]], *,
                 dry_run: bool = False, progress: Progress | None = None) -> ImportResult:
    """Validate ``paths`` (files or folders) and append what is new, all or nothing."""
    # The parsed documents, models and planned entries hold millions of objects and every full
    # collection walks them all (measured, when node trees were kept too: 100k forecasts
    # import in 9.6 s with the collector paused, 13.9 s without); an import makes no
    # reference cycles worth collecting, so the collector waits.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _import_paths(ledger, paths, dry_run=dry_run, progress=progress)
    finally:
        if was_enabled:
            gc.enable()


def _import_paths(ledger: Ledger, paths: Sequence[str | os.PathLike[str]], *,
                  dry_run: bool, progress: Progress | None) -> ImportResult:
    files, problems = collect_paths(paths)
    loaded, more = parse_files(files, progress)
    problems += more
    if problems:
        raise ValidationFailed(problems)
    return import_loaded(ledger, loaded, dry_run=dry_run)


def import_loaded(ledger: Ledger, loaded: list[tuple[ParsedFile, Any]], *,
                  dry_run: bool = False) -> ImportResult:
    if dry_run:
        if not ledger.exists():
            result = plan(None, loaded)
        else:
            with ledger.connect() as con:
                result = plan(con, loaded)
        result.dry_run = True
        return result
    with ledger.transaction(create=True) as con:
        result = plan(con, loaded)
        write(con, result)
    return result
