"""Planning an import: what a set of parsed forecast files would append to the ledger.

The plan is made against the ledger's current state, applying the rules of
:mod:`ledger.rules` to each source, question version, forecast and resolution, and builds every
entry with :mod:`ledger.ingest.entries`. Nothing is written until :func:`write`, inside the
import's one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from ledger import rules
from ledger.errors import Conflict, Problem, ValidationFailed
from ledger.format.dates import parse_moment, utc_now
from ledger.format.yamlfile import ParsedFile
from ledger.ingest.entries import (
    SUPERSEDES_PREVIOUS,
    forecast_entry,
    link,
    question_entry,
    resolution_entry,
    source_entry,
)
from ledger.ingest.messages import (
    IMPLIED_NEEDS_PHRASE,
    before_opened_message,
    duplicate_message,
    future_forecast_message,
    future_recorded_message,
    future_resolution_message,
    late_message,
    recorded_before_message,
    unchanged_correction_message,
)
from ledger.ingest.plan_fixes import link_withdrawals, plan_merges, plan_withdrawal
from ledger.storage.store import NewEntry, append

QUESTION_CONTENT = rules.QUESTION_CONTENT
FORECAST_CONTENT = ("probability", "rationale", "basis", "implied_from")
RESOLUTION_CONTENT = ("outcome", "resolved_on", "evidence", "note", "resolved_by", "reason")
SOURCE_CONTENT = ("title", "publisher", "author", "url", "published")

ACTIONS = ("new source", "new question", "edited question", "new forecast", "new resolution",
           "correction", "withdrawal", "merge")
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
    targets: dict[int, Any] = field(default_factory=dict)  # withdrawal -> forecast withdrawn

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


# -- planning -------------------------------------------------------------------------------

@dataclass
class _Ledgered:
    """What the ledger holds already for the ids an import touches."""

    sources: dict[str, dict] = field(default_factory=dict)
    question_versions: dict[str, list[dict]] = field(default_factory=dict)
    forecasts: dict[tuple, dict] = field(default_factory=dict)
    resolutions: dict[str, list[dict]] = field(default_factory=dict)
    withdrawn: set[int] = field(default_factory=set)  # forecasts' entry numbers
    merges: dict[str, str] = field(default_factory=dict)  # duplicate -> kept
    resolved: set[str] = field(default_factory=set)  # ids with a resolution


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
    state.withdrawn = {s for (s,) in con.execute(
        "SELECT forecast_seq FROM withdrawals WHERE question_id IN (SELECT unnest($1))",
        [question_ids]).fetchall()}
    state.merges = dict(con.execute("SELECT duplicate_id, kept_id FROM merges").fetchall())
    state.resolved = {q for (q,) in con.execute("SELECT DISTINCT question_id FROM resolutions "
                                                "WHERE question_id IN (SELECT unnest($1))",
                                                [question_ids]).fetchall()}
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
        self.latest_day = rules.latest_day(self.now)

    def problem(self, parsed: ParsedFile, loc: tuple, name: str, msg: str,
                conflict: bool = False) -> None:
        target = self.conflicts if conflict else self.problems
        target.append(Problem(parsed.path, parsed.line_of(loc), name, msg))

    def add(self, action: str, subject: str, where: str | Callable[[], str],
            entry: NewEntry) -> None:
        self.result.changes.append(Change(action, subject, where))
        self.result.entries.append(entry)

    def check_recorded_at(self, parsed: ParsedFile, loc: tuple, recorded_at: Any) -> None:
        if recorded_at is not None and recorded_at > self.now:
            self.problem(parsed, (*loc, "recorded_at"), "recorded_at",
                         future_recorded_message(recorded_at))

    def plan_questions(self, parsed: ParsedFile, doc: Any) -> None:
        for i, q in enumerate(doc.questions):
            start = len(self.result.entries)
            self.plan_question(parsed, doc, i, q)
            self.in_recorded_order(start)

    def in_recorded_order(self, start: int) -> None:
        """A question's new entries in the order their ``recorded_at`` claims give (entries
        without one are received now, so last), so that a restore appends versions, forecasts
        and resolutions interleaved as the ledger first received them: which forecasts came
        after a resolution or an edit is decided by that order."""
        entries, changes = self.result.entries, self.result.changes
        if all(e.recorded_at is None for e in entries[start:]):
            return  # already in the order they are planned: versions, forecasts, resolutions
        # A version never comes before the one it follows, nor a correction before what it
        # corrects, whatever their claims say: within those two chains the keys only rise.
        keys, chain_max = [], {"question": datetime.min, "resolution": datetime.min}
        for e in entries[start:]:
            key = e.recorded_at or datetime.max
            if e.kind in chain_max:
                key = chain_max[e.kind] = max(chain_max[e.kind], key)
            keys.append(key)
        pairs = [(e, c) for _, e, c in sorted(
            zip(keys, entries[start:], changes[start:], strict=True), key=lambda t: t[0])]
        entries[start:] = [e for e, _ in pairs]
        changes[start:] = [c for _, c in pairs]

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
            self.add("new source", src.id, where, source_entry(src.id, **fields))
            return
        for key in SOURCE_CONTENT:
            if not _same(held[key], fields[key]):
                self.problem(parsed, ("source", key), key,
                             f"the ledger holds {_fmt(held[key])} for source {src.id!r}, the file "
                             f"says {_fmt(fields[key])}; sources are not edited in place "
                             "(give the source a new id)", conflict=True)

    def version_content(self, parsed: ParsedFile, doc: Any, loc: tuple, v: Any,
                        question_source: str | None) -> dict | None:
        """A question version's content, with the file's defaults applied (None: refused).
        An earlier version's source defaults to the question's, then the document's."""
        source_id = v.source or question_source or (doc.source.id if doc.source else None)
        if v.source and v.source not in self.seen_sources and v.source not in self.known_sources:
            self.problem(parsed, (*loc, "source"), "source",
                         f"no source {v.source!r} in the ledger or in the files imported "
                         "(define it under source: in a file, and import that file too)")
        opened = v.opened or (doc.source.published if doc.source and not v.source else None)
        if opened is None:
            self.problem(parsed, (*loc, "opened"), "opened",
                         "missing: when was the question opened? (e.g. opened: 2026-05-21; "
                         "it defaults to the source's published date when there is one)")
            return None
        if v.resolve_by < opened:
            self.problem(parsed, (*loc, "resolve_by"), "resolve_by",
                         before_opened_message(v.resolve_by, opened))
        self.check_recorded_at(parsed, loc, v.recorded_at)
        return {
            "question": v.question, "criteria": v.criteria, "resolve_by": v.resolve_by,
            "opened": opened, "tags": list(v.tags), "source_id": source_id, "quote": v.quote,
            "horizon": v.horizon, "resolve_by_rule": v.resolve_by_rule,
            "reference_probability": v.reference.probability if v.reference else None,
            "reference_note": v.reference.note if v.reference else None, "blind": v.blind,
        }

    def plan_versions(self, parsed: ParsedFile, doc: Any, at: tuple, q: Any) -> dict | None:
        """Plan the question's versions (its ``history:`` then itself); returns the content of
        the current one."""
        where = partial(_where, parsed, at)  # worked out only when shown (a tree walk)
        written = [((*at, "history", k), v) for k, v in enumerate(q.history)] + [(at, q)]
        contents = [self.version_content(parsed, doc, loc, v, q.source) for loc, v in written]
        if any(c is None for c in contents):
            return None
        held = self.state.question_versions.get(q.id, [])
        if not q.history:
            content = contents[-1]
            if not held:
                self.add("new question", q.id, where, question_entry(
                    q.id, 1, content, edit_reason=q.edit_reason,
                    clarification=q.clarification, recorded_at=q.recorded_at))
            elif not any(all(_same(v[k], content[k]) for k in QUESTION_CONTENT) for v in held):
                latest = held[-1]
                changed = [k for k in QUESTION_CONTENT if not _same(latest[k], content[k])]
                self.add("edited question", q.id, where, question_entry(
                    q.id, latest["version"] + 1, content,
                    edit_reason=q.edit_reason or f"{', '.join(changed)} changed in "
                                                 f"{parsed.path}",
                    clarification=q.clarification, recorded_at=q.recorded_at))
            return content
        # A history (as export writes it): version n of the file is version n of the ledger.
        for n, ((loc, v), content) in enumerate(zip(written, contents, strict=True), 1):
            if n <= len(held):
                changed = [k for k in QUESTION_CONTENT if not _same(held[n - 1][k], content[k])]
                if changed:
                    self.problem(parsed, loc, changed[0],
                                 f"the ledger holds {_fmt(held[n - 1][changed[0]])} for version "
                                 f"{n} of {q.id!r}, the file says {_fmt(content[changed[0]])}; "
                                 "earlier versions are never changed", conflict=True)
                continue
            self.add("new question" if n == 1 else "edited question", q.id,
                     partial(_where, parsed, loc),
                     question_entry(q.id, n, content, edit_reason=v.edit_reason,
                                    clarification=v.clarification,
                                    recorded_at=v.recorded_at))
        return contents[-1]

    def plan_question(self, parsed: ParsedFile, doc: Any, i: int, q: Any) -> None:
        at = ("questions", i)
        if q.id in self.seen_questions:
            self.problem(parsed, (*at, "id"), "id", f"question id {q.id!r} is already used at "
                         f"{_where(*self.seen_questions[q.id])}")
            return
        self.seen_questions[q.id] = (parsed, (*at, "id"))
        content = self.plan_versions(parsed, doc, at, q)
        if content is None:
            return
        if q.resolution is not None and q.resolutions:
            self.problem(parsed, (*at, "resolutions"), "resolutions",
                         "use either resolution: (one) or resolutions: (a history), not both")
            return
        resolutions = [q.resolution] if q.resolution is not None else list(q.resolutions)
        opened = content["opened"]
        for k, r in enumerate(resolutions):
            loc = (*at, "resolution") if q.resolution is not None else (*at, "resolutions", k)
            if r.resolved_on > self.latest_day:
                self.problem(parsed, (*loc, "resolved_on"), "resolved_on",
                             future_resolution_message(r.resolved_on))
            elif rules.before_opened(r.resolved_on, opened):
                self.problem(parsed, (*loc, "resolved_on"), "resolved_on",
                             before_opened_message(r.resolved_on, opened))
            self.check_recorded_at(parsed, loc, r.recorded_at)
        for k, r in enumerate(resolutions[1:], 1):
            if not r.reason:
                self.problem(parsed, (*at, "resolutions", k), "reason",
                             "missing: a resolution that corrects an earlier one needs a reason")
            elif not rules.correction_changes(_facts(resolutions[k - 1]), _facts(r)):
                self.problem(parsed, (*at, "resolutions", k), "outcome",
                             unchanged_correction_message())

        # Forecasts are planned before the resolution (the order they happened in, unless
        # recorded_at claims say otherwise: see in_recorded_order), checked against the final
        # outcome.
        held = self.state.resolutions.get(q.id, [])
        final = (_ResolutionView(held[-1]["outcome"], held[-1]["resolved_on"])
                 if len(held) > len(resolutions) else (resolutions[-1] if resolutions else None))
        first_new = resolutions[0] if resolutions and not held else None
        self.plan_forecasts(parsed, at, q, opened, final, bool(held), first_new)
        self.plan_resolutions(parsed, at, q.id, resolutions)

    def plan_resolutions(self, parsed: ParsedFile, at: tuple, qid: str,
                         resolutions: list[Any]) -> None:
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
            self.add(action, qid, partial(_where, parsed, loc), resolution_entry(
                qid, **fields, supersedes=None if k == 0 else SUPERSEDES_PREVIOUS,
                recorded_at=r.recorded_at))

    def plan_forecasts(self, parsed: ParsedFile, at: tuple, q: Any, opened: date, final: Any,
                       resolution_held: bool, first_new: Any) -> None:
        # The one loop run per forecast: what it looks up every time is looked up once here.
        seen: dict[tuple, int] = {}
        qid = q.id
        held_forecasts = self.state.forecasts
        final_day = final.resolved_on if final is not None else None
        first_claim = first_new.recorded_at if first_new is not None else None
        now, latest_day = self.now, self.latest_day
        changes, entries = self.result.changes, self.result.entries
        for j, f in enumerate(q.forecasts):
            loc = (*at, "forecasts", j)
            moment = parse_moment(f.made_at)
            made_at, made_on, offset = moment
            key = (qid, f.forecaster, made_at)
            if key in seen:
                self.problem(parsed, (*loc, "made_at"), "made_at", duplicate_message(
                    f.forecaster, f.made_at, parsed.line_of((*at, "forecasts", seen[key]))))
                continue
            seen[key] = j
            if f.basis == "implied" and not f.implied_from:
                self.problem(parsed, loc, "implied_from", IMPLIED_NEEDS_PHRASE)
            recorded_at = f.recorded_at
            # Was it received once the outcome was known? After a resolution the ledger holds,
            # always; after one in the same files, unless its own recorded_at says it came
            # first (a restore of a forecast logged before a backdated resolution).
            logged_after = resolution_held or (first_new is not None and (
                recorded_at is None or (first_claim is not None and recorded_at >= first_claim)))
            if (made_at > now if offset is not None else made_on > latest_day):
                self.problem(parsed, (*loc, "made_at"), "made_at",
                             future_forecast_message(f.made_at))
            elif rules.before_opened(made_on, opened):
                self.problem(parsed, (*loc, "made_at"), "made_at",
                             before_opened_message(made_on, opened))
            elif rules.refused_after_outcome(made_on, final_day, logged_after):
                self.problem(parsed, (*loc, "made_at"), "made_at",
                             late_message(made_on, final_day))
            if recorded_at is not None and recorded_at < made_at:
                self.problem(parsed, (*loc, "recorded_at"), "recorded_at",
                             recorded_before_message(recorded_at, made_at))
            else:
                self.check_recorded_at(parsed, loc, recorded_at)
            held = held_forecasts.get(key)
            if held is not None:
                for name in FORECAST_CONTENT:
                    value = getattr(f, name)
                    if not _same(held[name], value):
                        self.problem(parsed, (*loc, name), name,
                                     f"the ledger holds {_fmt(held[name])} for {f.forecaster}'s "
                                     f"forecast made at {f.made_at}, the file says "
                                     f"{_fmt(value)}; forecasts are never changed "
                                     "(log a new one with a later made_at)", conflict=True)
                        break
                plan_withdrawal(self, parsed, loc, qid, f, held["seq"], held, resolution_held,
                                first_new)
                continue
            # self.add, inlined
            changes.append(Change("new forecast", qid, partial(_where, parsed, loc)))
            entries.append(forecast_entry(
                qid, f.forecaster, f.probability, moment, rationale=f.rationale,
                basis=f.basis, implied_from=f.implied_from, recorded_at=recorded_at))
            if f.withdrawn is not None:
                plan_withdrawal(self, parsed, loc, qid, f, entries[-1], None, resolution_held,
                                first_new)


def _facts(r: Any) -> dict:
    return {k: getattr(r, k) for k in rules.RESOLUTION_FACTS}


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
    kept = [q.merged_into.id for _, doc in loaded for q in doc.questions if q.merged_into]
    planner = _Planner(load_state(con, qids + kept, sids), known_source_ids(con, refs))
    # Sources first, so a question may name a source defined in any file of the import.
    for parsed, doc in loaded:
        if doc.source is not None:
            planner.plan_source(parsed, doc.source)
    for parsed, doc in loaded:
        planner.plan_questions(parsed, doc)
    plan_merges(planner, loaded, set(planner.state.question_versions))
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
    linked = link(entries, last_seq + 1, latest_resolution)
    append(con, link_withdrawals(linked, last_seq + 1, result.targets))
