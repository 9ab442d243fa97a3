"""The one builder of entry bodies: every door (YAML import, CSV/Parquet import, the CLI and the
dashboard's forms, the demo builder, restore) makes its entries here, so the same facts give
the same body, byte for byte, whichever way they came in.

A body holds exactly the columns of its typed table (:data:`ledger.storage.schema.COLUMNS`),
no more and no fewer, so ``verify`` can compare the log with the tables column by column.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ledger.format.dates import Moment
from ledger.storage.schema import COLUMNS, KIND_TABLE
from ledger.storage.store import NewEntry

__all__ = ["entry", "forecast_entry", "link", "merge_entry", "question_entry",
           "resolution_entry", "source_entry", "withdrawal_entry"]

#: ``supersedes`` of a correction planned before entry numbers are known: :func:`link` fills
#: in the entry number of the resolution it corrects.
SUPERSEDES_PREVIOUS = -1


def _body(table: str, values: dict[str, Any]) -> dict[str, Any]:
    columns = COLUMNS[table]
    unknown = set(values) - set(columns)
    if unknown:  # a programming error, not a user's: a door passed a field no table has
        raise TypeError(f"{table}: no column {', '.join(sorted(unknown))}")
    return {name: values.get(name) for name in columns}


def entry(kind: str, subject: str, fields: dict[str, Any],
          recorded_at: datetime | None = None) -> NewEntry:
    """An entry of ``kind`` whose body holds exactly its table's columns (missing ones empty):
    for builders, like the demo's, that hold the fields already."""
    return NewEntry(kind, subject, _body(KIND_TABLE[kind], fields), recorded_at)


def source_entry(source_id: str, *, title: str, publisher: str | None = None,
                 author: str | None = None, url: str | None = None,
                 published: date | None = None, recorded_at: datetime | None = None) -> NewEntry:
    """A new source (an article, a report)."""
    return NewEntry("source", source_id, _body("sources", {
        "id": source_id, "title": title, "publisher": publisher, "author": author, "url": url,
        "published": published}), recorded_at)


def question_entry(question_id: str, version: int, content: dict[str, Any], *,
                   edit_reason: str | None = None, clarification: bool = False,
                   recorded_at: datetime | None = None) -> NewEntry:
    """Version ``version`` of a question; ``content`` holds :data:`ledger.rules.QUESTION_CONTENT`
    (missing ones are empty). A ``clarification`` (a wording fix, a resolve-by date put right)
    does not change what the question asks (:func:`ledger.rules.changes_meaning`); it is kept
    as true or empty, so versions written by builders that do not know it (bulk, demo) hold
    the same body."""
    values = {"tags": [], "blind": False, **content, "id": question_id, "version": version,
              "edit_reason": edit_reason, "clarification": True if clarification else None}
    values["tags"] = list(values["tags"] or [])
    values["blind"] = bool(values["blind"])
    return NewEntry("question", question_id, _body("questions", values), recorded_at)


def forecast_entry(question_id: str, forecaster: str, probability: float, moment: Moment, *,
                   rationale: str | None = None, basis: str = "stated",
                   implied_from: str | None = None,
                   recorded_at: datetime | None = None) -> NewEntry:
    """A forecast made at ``moment`` (:func:`ledger.format.dates.parse_moment`)."""
    return NewEntry("forecast", question_id, _body("forecasts", {
        "question_id": question_id, "forecaster": forecaster, "probability": probability,
        "made_at": moment.utc, "made_on": moment.day, "utc_offset": moment.offset,
        "rationale": rationale, "basis": basis, "implied_from": implied_from}), recorded_at)


def resolution_entry(question_id: str, *, outcome: str, resolved_on: date,
                     evidence: str | None = None, note: str | None = None,
                     resolved_by: str | None = None, reason: str | None = None,
                     supersedes: int | None = None,
                     recorded_at: datetime | None = None) -> NewEntry:
    """A resolution; a correction names the entry it ``supersedes``."""
    return NewEntry("resolution", question_id, _body("resolutions", {
        "question_id": question_id, "outcome": outcome, "resolved_on": resolved_on,
        "evidence": evidence, "note": note, "resolved_by": resolved_by, "reason": reason,
        "supersedes": supersedes}), recorded_at)


def withdrawal_entry(question_id: str, forecaster: str, forecast_seq: int, *, reason: str,
                     recorded_at: datetime | None = None) -> NewEntry:
    """``forecaster`` takes back their forecast (entry ``forecast_seq``) on ``question_id``,
    the question it was logged on: it stays in history and is never scored."""
    return NewEntry("withdrawal", question_id, _body("withdrawals", {
        "question_id": question_id, "forecaster": forecaster, "forecast_seq": forecast_seq,
        "reason": reason}), recorded_at)


def merge_entry(duplicate_id: str, kept_id: str, *, reason: str,
                recorded_at: datetime | None = None) -> NewEntry:
    """Question ``duplicate_id`` is a duplicate of ``kept_id``: its forecasts count there, and
    its id resolves to the kept one."""
    return NewEntry("merge", duplicate_id, _body("merges", {
        "duplicate_id": duplicate_id, "kept_id": kept_id, "reason": reason}), recorded_at)


def link(entries: list[NewEntry], first_seq: int,
         latest_resolution: dict[str, int]) -> list[NewEntry]:
    """Entries as they will be numbered from ``first_seq``, each resolution's ``supersedes``
    set to the entry number of the question's resolution before it (``latest_resolution``:
    what the ledger holds, by question)."""
    latest = dict(latest_resolution)
    out = []
    for n, e in enumerate(entries, start=first_seq):
        if e.kind == "resolution":
            wanted = e.fields.get("supersedes")
            if wanted == SUPERSEDES_PREVIOUS or (wanted is None and e.subject in latest):
                e = NewEntry(e.kind, e.subject, {**e.fields, "supersedes": latest.get(e.subject)},
                             e.recorded_at)
            latest[e.subject] = n
        out.append(e)
    return out
