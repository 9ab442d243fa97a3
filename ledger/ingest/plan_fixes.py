"""Planning the fixes a forecast file carries: withdrawn forecasts and merged duplicates.

A forecast's ``withdrawn:`` and a question's ``merged_into:`` (as the YAML export writes them)
become withdrawal and merge entries, checked by the same rules as the CLI's ``withdraw`` and
``merge`` (:mod:`ledger.rules`): nothing is taken back, or merged, once the outcome is known;
a merge keeps a question that exists and makes no cycle. Entry numbers of the forecasts a
withdrawal names are known only when the import is written (:func:`link_withdrawals`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ledger import rules
from ledger.ingest.entries import merge_entry, withdrawal_entry
from ledger.storage.store import NewEntry

#: The message of a fix that came once the outcome was known.
AFTER_OUTCOME = ("{what} came after the question was resolved; forecasts are withdrawn, and "
                 "questions merged, only before the outcome is known")


def _after(claim: datetime | None, first_resolution: Any, resolution_held: bool) -> bool:
    """Whether a fix claiming ``claim`` (None: received now) came after the question's first
    resolution: one the ledger holds, or one in the files received before it."""
    if resolution_held:
        return True
    if first_resolution is None:
        return False
    return claim is None or (first_resolution.recorded_at is not None
                             and claim >= first_resolution.recorded_at)


def plan_withdrawal(planner: Any, parsed: Any, loc: tuple, qid: str, f: Any,
                    target: int | NewEntry, held: dict | None, resolution_held: bool,
                    first_new: Any) -> None:
    """Plan ``f.withdrawn`` of forecast ``f`` (``target``: its entry number when the ledger
    holds it, else its planned entry); one the ledger holds already is left as it is."""
    w = f.withdrawn
    if w is None or (isinstance(target, int) and target in planner.state.withdrawn):
        return
    at = (*loc, "withdrawn")
    if _after(w.recorded_at, first_new, resolution_held):
        planner.problem(parsed, at, "withdrawn", AFTER_OUTCOME.format(what="the withdrawal"))
        return
    made = held["recorded_at"] if held is not None else f.recorded_at
    if w.recorded_at is not None and (made is None or w.recorded_at < made):
        planner.problem(parsed, (*at, "recorded_at"), "recorded_at",
                        "the withdrawal is recorded before the forecast it withdraws")
        return
    planner.check_recorded_at(parsed, at, w.recorded_at)
    entry = withdrawal_entry(qid, f.forecaster, target if isinstance(target, int) else -1,
                             reason=w.reason, recorded_at=w.recorded_at)
    planner.result.targets[id(entry)] = target
    planner.add("withdrawal", qid, f"{parsed.path}:{parsed.line_of(at)}", entry)


def plan_merges(planner: Any, loaded: list[tuple[Any, Any]], known: set[str]) -> None:
    """Plan every question's ``merged_into`` (after all questions: the kept one may come in
    any file); ``known`` holds the ids the ledger has of the questions named as kept."""
    held = planner.state.merges
    questions = {q.id: q for _, doc in loaded for q in doc.questions}
    mapping = dict(held)
    for parsed, doc in loaded:
        for i, q in enumerate(doc.questions):
            m = q.merged_into
            if m is None:
                continue
            at = ("questions", i, "merged_into")
            if held.get(q.id) == m.id:
                continue
            problem = None
            if q.id in held:
                problem = (f"the ledger merged {q.id!r} into {held[q.id]!r}, the file says "
                           f"{m.id!r}; a merge is never undone")
            elif m.id == q.id:
                problem = f"{q.id!r} cannot be merged into itself"
            elif m.id not in questions and m.id not in known:
                problem = f"no question {m.id!r} in the ledger or in the files imported"
            elif q.id not in rules.merged_into({**mapping, q.id: m.id}.items()):
                problem = f"merging {q.id!r} into {m.id!r} would make a cycle of merges"
            else:
                for qid in (q.id, m.id):
                    other = questions.get(qid)
                    firsts = (other.resolutions[:1] if other is not None and other.resolutions
                              else [other.resolution] if other is not None and other.resolution
                              else [])
                    if _after(m.recorded_at, firsts[0] if firsts else None,
                              qid in planner.state.resolved):
                        problem = AFTER_OUTCOME.format(what=f"the merge (of {qid!r})")
                        break
            if problem:
                planner.problem(parsed, (*at, "id"), "merged_into", problem)
                continue
            planner.check_recorded_at(parsed, at, m.recorded_at)
            mapping[q.id] = m.id
            planner.add("merge", q.id, f"{parsed.path}:{parsed.line_of(at)}",
                        merge_entry(q.id, m.id, reason=m.reason, recorded_at=m.recorded_at))


def link_withdrawals(entries: list[NewEntry], first_seq: int,
                     targets: dict[int, int | NewEntry]) -> list[NewEntry]:
    """Entries numbered from ``first_seq``, each withdrawal's ``forecast_seq`` set to the
    entry number of the forecast it withdraws (planned in the same import, or held)."""
    if not targets:
        return entries
    number = {id(e): n for n, e in enumerate(entries, start=first_seq)}
    out = []
    for e in entries:
        target = targets.get(id(e)) if e.kind == "withdrawal" else None
        if target is not None:
            seq = target if isinstance(target, int) else number[id(target)]
            e = NewEntry(e.kind, e.subject, {**e.fields, "forecast_seq": seq}, e.recorded_at)
        out.append(e)
    return out
