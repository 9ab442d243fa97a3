"""Single changes made by a person: add a question, log a forecast, resolve a question.

The CLI's ``add``, ``forecast`` and ``resolve`` and the dashboard's forms call these. Values are
validated by the same pydantic models as forecast files, so a probability or a date is accepted
or refused with the same words wherever it is typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from ledger import rules
from ledger.errors import (
    AlreadyResolved,
    DuplicateQuestion,
    InvalidValue,
    NotResolved,
    SimilarQuestion,
    UnknownSource,
)
from ledger.format.dates import parse_moment, today, utc_now
from ledger.ingest.entries import forecast_entry, question_entry, resolution_entry
from ledger.ingest.lookup import find_question
from ledger.rules import OUTCOMES
from ledger.storage.store import Ledger, append


def _validate(model: Any, **values: Any) -> Any:
    from pydantic import ValidationError

    from ledger.ingest.importer import _message

    try:
        return model(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        name = ".".join(str(p) for p in err["loc"])
        raise InvalidValue(f"{name}: {_message(err['type'], err, err.get('input'))}") from None


def slugify(text: str, limit: int = 60) -> str:
    """An id from question text: 'Will X ship by May?' -> 'will-x-ship-by-may'.

    Cut after the last whole word that fits in ``limit`` characters (a single word longer than
    that is cut at the limit), well inside :data:`ledger.rules.ID_MAX` so that a ``-2`` still
    fits.

    >>> slugify("Will Anthropic's next model cite AI-assisted pretraining?")
    'will-anthropic-s-next-model-cite-ai-assisted-pretraining'
    >>> slugify("Will the committee publish its final report on the pretraining accident by May?")
    'will-the-committee-publish-its-final-report-on-the'
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        cut = slug[:limit + 1]  # one more: a word that ends exactly at the limit is whole
        slug = cut.rsplit("-", 1)[0] if "-" in cut[:limit] else slug[:limit]
    return slug.strip("-") or "question"


def _quoted(found: list[tuple[str, str]]) -> str:
    def one(qid: str, text: str) -> str:
        short = text if len(text) <= 60 else text[:57].rstrip() + "..."
        return f'{qid!r} ("{short}")'

    return " and ".join(one(*f) for f in found)


def similar_questions(con: Any, text: str, limit: int = 3) -> list[tuple[str, str]]:
    """The ``(id, question)`` of current questions whose text is the same as or nearly the same
    as ``text`` (:mod:`ledger.ingest.similar`), the same text first."""
    from ledger.ingest.similar import similar

    found = con.execute(f"SELECT id, question FROM ({rules.current_questions_sql()}) "
                        "ORDER BY id").fetchall()
    return similar(text, found, limit=limit)


def _same_words(a: str, b: str) -> bool:
    from ledger.ingest.similar import words

    return words(a) == words(b)


def question_exists(con: Any, qid: str) -> bool:
    return bool(con.execute("SELECT 1 FROM questions WHERE id = $1 LIMIT 1", [qid]).fetchall())


def _current_resolution(con: Any, qid: str) -> dict | None:
    cur = con.execute("SELECT * FROM current_resolutions WHERE question_id = $1", [qid])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    return dict(zip(names, rows[0], strict=True)) if rows else None


def add_question(ledger: Ledger, text: str, *, resolve_by: Any, forecaster: str,
                 probability: Any = None, criteria: str | None = None,
                 tags: tuple[str, ...] | list[str] = (), source: str | None = None,
                 qid: str | None = None, opened: Any = None, blind: bool = False,
                 rationale: str | None = None, allow_similar: bool = False,
                 on_similar: Callable[[list[tuple[str, str]]], None] | None = None) -> str:
    """Add a question (and optionally the first forecast on it). Returns its id.

    A question whose text is the same as or nearly the same as one the ledger holds is
    refused with :class:`~ledger.errors.SimilarQuestion` naming them, unless ``allow_similar``
    (then ``on_similar`` is called with them, for a warning). Without ``qid`` the id is made
    from the text (:func:`slugify`); when that id is taken, ``-2`` (``-3``, ...) is added.
    """
    from ledger.format.models import Forecast, Question

    opened = opened or today()
    question = _validate(
        Question, id=qid or slugify(text), question=text, criteria=criteria or text,
        resolve_by=resolve_by, opened=opened, tags=list(tags), source=source, blind=blind)
    forecast = None
    if probability is not None:
        forecast = _validate(Forecast, forecaster=forecaster, probability=probability,
                             made_at=_now_local_iso(), rationale=rationale)
    if question.resolve_by < question.opened:
        raise InvalidValue(f"resolve_by: {question.resolve_by} is before the question was opened "
                           f"({question.opened})")
    with ledger.transaction(create=True) as con:
        new_id = question.id
        found = similar_questions(con, question.question)
        if found and not allow_similar:
            same = [f for f in found if _same_words(f[1], question.question)]
            raise SimilarQuestion(
                f"question: {'the same' if same else 'nearly the same'} text is already in "
                f"the ledger as {_quoted(found)}",
                "add --allow-duplicate to add it anyway, or log a forecast on it with "
                f"`forecast-ledger forecast {found[0][0]} --p P`", field="question",
                similar=found)
        if found and on_similar is not None:
            on_similar(found)
        if question_exists(con, new_id):
            if qid:
                raise DuplicateQuestion(f"question id {qid!r} is already taken",
                                        "choose another --id, or use `forecast` to update it",
                                        field="id")
            n = 2
            while question_exists(con, f"{question.id}-{n}"):
                n += 1
            new_id = f"{question.id}-{n}"
        if source and not con.execute("SELECT 1 FROM sources WHERE id = $1", [source]).fetchall():
            raise UnknownSource(f"no source {source!r} in the ledger",
                                "import the file that defines it first", field="source")
        entries = [question_entry(new_id, 1, {
            "question": question.question, "criteria": question.criteria,
            "resolve_by": question.resolve_by, "opened": question.opened,
            "tags": question.tags, "source_id": source, "blind": question.blind})]
        if forecast is not None:
            entries.append(_forecast_entry(new_id, forecast))
        append(con, entries)
    return new_id


def _now_local_iso() -> str:
    from datetime import datetime

    from ledger.format.dates import local_zone

    return datetime.now(local_zone()).isoformat()


def _forecast_entry(qid: str, f: Any) -> Any:
    return forecast_entry(qid, f.forecaster, f.probability, parse_moment(f.made_at),
                          rationale=f.rationale, basis=f.basis, implied_from=f.implied_from)


def _opened(con: Any, qid: str) -> Any:
    found = con.execute(f"SELECT opened FROM ({rules.current_questions_sql()}) WHERE id = $1",
                        [qid]).fetchall()
    return found[0][0] if found else None


def add_forecast(ledger: Ledger, qid: str, probability: Any, *, forecaster: str,
                 made_at: Any = None, rationale: str | None = None) -> dict:
    """Log a new or updated forecast on an existing question.

    Returns ``{"seq", "probability", "made_on", "late"}``; ``late`` is true when the question had
    already resolved (the forecast is kept, flagged, and never scored).
    """
    from ledger.format.models import Forecast

    forecast = _validate(Forecast, forecaster=forecaster, probability=probability,
                         made_at=made_at or _now_local_iso(), rationale=rationale)
    moment = parse_moment(forecast.made_at)
    made_at_utc, made_on = moment.utc, moment.day
    if rules.in_future(made_at_utc, made_on, moment.offset is not None, utc_now()):
        raise InvalidValue(f"made_at: {forecast.made_at} is in the future")
    # The name as stored (trimmed by the model), so "zed " is the same person as "zed".
    forecaster = forecast.forecaster
    with ledger.transaction() as con:
        qid = find_question(con, qid)  # a merged duplicate's id is the kept question's
        opened = _opened(con, qid)
        if rules.before_opened(made_on, opened):
            raise InvalidValue(f"made_at: {made_on} is before the question was opened "
                               f"({opened})")
        if con.execute("SELECT 1 FROM forecasts WHERE question_id = $1 AND forecaster = $2 "
                       "AND made_at = $3", [qid, forecaster, made_at_utc]).fetchall():
            raise InvalidValue(f"made_at: {forecaster} already has a forecast made at "
                               f"{forecast.made_at} on {qid!r}")
        res = _current_resolution(con, qid)
        if rules.refused_after_outcome(made_on, res and res["resolved_on"], res is not None):
            raise AlreadyResolved(
                f"{qid!r} resolved {res['outcome']} on {res['resolved_on']}; a forecast made "
                f"on {made_on} came after the outcome was known",
                "forecasts are for open questions; see `forecast-ledger list --status open`",
                field="made_at")
        (seq,) = append(con, [_forecast_entry(qid, forecast)])
    return {"id": qid, "seq": seq, "probability": forecast.probability, "made_on": made_on,
            "late": res is not None}


def resolve(ledger: Ledger, qid: str, outcome: str, *, resolved_by: str,
            resolved_on: Any = None, evidence: str | None = None, note: str | None = None,
            correct: bool = False, reason: str | None = None) -> dict:
    """Record how a question resolved, or (``correct=True``) correct its current resolution.

    The old resolution stays in history; the new entry names the one it supersedes.
    """
    from ledger.format.models import Resolution

    if outcome not in OUTCOMES:
        raise InvalidValue(f"outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}")
    if correct and not reason:
        raise InvalidValue("reason: a correction needs a reason", '--reason "..."')
    r = _validate(Resolution, outcome=outcome, resolved_on=resolved_on or today(),
                  evidence=evidence, note=note, resolved_by=resolved_by, reason=reason)
    if r.resolved_on > rules.latest_day(utc_now()):
        raise InvalidValue(f"resolved_on: {r.resolved_on} is in the future",
                           "resolve once it has happened; leave out --on for today")
    with ledger.transaction() as con:
        qid = find_question(con, qid)  # a merged duplicate's id is the kept question's
        opened = _opened(con, qid)
        if rules.before_opened(r.resolved_on, opened):
            raise InvalidValue(f"resolved_on: {r.resolved_on} is before the question was "
                               f"opened ({opened})")
        current = _current_resolution(con, qid)
        if current and not correct:
            raise AlreadyResolved(
                f"{qid!r} already resolved {current['outcome']} on {current['resolved_on']}",
                "to change it, add --correct --reason \"why\"", field="correct")
        if correct and not current:
            raise NotResolved(f"{qid!r} has no resolution to correct",
                              "resolve it first, without --correct", field="correct")
        if correct and not rules.correction_changes(current, r.model_dump()):
            raise InvalidValue(
                f"{qid!r} already resolved {current['outcome']} on {current['resolved_on']} "
                "with the same evidence and note; a correction must change something")
        (seq,) = append(con, [resolution_entry(
            qid, outcome=r.outcome, resolved_on=r.resolved_on, evidence=r.evidence,
            note=r.note, resolved_by=r.resolved_by, reason=r.reason,
            supersedes=current["seq"] if current else None)])
    return {"id": qid, "seq": seq, "outcome": r.outcome, "resolved_on": r.resolved_on,
            "supersedes": current["seq"] if current else None}
