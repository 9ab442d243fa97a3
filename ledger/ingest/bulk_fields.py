"""The cells of a CSV/Parquet row, checked by the very kinds of field that check forecast files.

Each column of a bulk file is a field of a model in :mod:`ledger.format.models` (``forecaster``
is ``Forecast.forecaster``, ``question`` is ``Question.question``...), and each such field is
built from a kind of :mod:`ledger.format.fields`. A cell is checked by that kind directly, not
through pydantic (whose import and validator building cost more than a small import's work):
the YAML door and the bulk door accept, normalise (strip, NFC) and refuse exactly the same
texts, with the same messages (tests/test_bulk_fields.py compares the two on many texts).
Distinct values are few even in millions of rows, so each goes through its check once.
"""

from __future__ import annotations

from typing import Any

from ledger import rules
from ledger.format import fields

# column -> the kind of the model field whose rules it follows (``(model, field)`` in the note)
FIELDS: dict[str, Any] = {
    "question_id": fields.SLUG,  # Question.id
    "question": fields.QUESTION,  # Question.question
    "criteria": fields.LONG_TEXT,  # Question.criteria
    "resolve_by": fields.CALENDAR_DATE,  # Question.resolve_by
    "opened": fields.CALENDAR_DATE,  # Question.opened
    "tags": fields.TAG,  # Question.tags: a list of them, at most rules.TAGS_MAX
    "source_id": fields.SLUG,  # Question.source
    "forecaster": fields.NAME,  # Forecast.forecaster
    "probability": fields.PROBABILITY,  # Forecast.probability
    "made_at": fields.MOMENT,  # Forecast.made_at
    "recorded_at": fields.TIMESTAMP,  # Forecast.recorded_at
    "question_recorded_at": fields.TIMESTAMP,  # Resolution.recorded_at: the same kind of instant
    "resolution_recorded_at": fields.TIMESTAMP,  # Resolution.recorded_at
    "rationale": fields.LONG_TEXT,  # Forecast.rationale
    "basis": None,  # Forecast.basis: Literal[rules.BASES] (CHOICES)
    "implied_from": fields.SHORT_TEXT,  # Forecast.implied_from
    "outcome": None,  # Resolution.outcome: Literal[OUTCOMES] (CHOICES)
    "resolved_on": fields.CALENDAR_DATE,  # Resolution.resolved_on
    "evidence": fields.URL,  # Resolution.evidence
}
# the columns that are a Literal of the models: their choices
CHOICES: dict[str, tuple[str, ...]] = {"basis": rules.BASES, "outcome": rules.OUTCOMES}
TAG_SEPARATOR = rules.TAG_SEPARATOR


def _refuse(err: dict) -> ValueError:
    from ledger.ingest.importer import _message  # only for a refused value

    return ValueError(_message(err["type"], {"msg": "", **err}, err.get("input")))


def _expected(choices: tuple[str, ...]) -> str:
    # as pydantic words a Literal's choices in its literal_error
    shown = [repr(c) for c in choices]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def check(column: str, text: str) -> Any:
    """The value ``text`` means in ``column`` (a float, a date, a stripped text...); raises
    ``ValueError`` with the message a forecast file gets for the same value."""
    if column in CHOICES:
        if text in CHOICES[column]:
            return text
        raise _refuse({"type": "literal_error", "input": text,
                       "ctx": {"expected": _expected(CHOICES[column])}})
    kind = FIELDS[column]
    if column == "tags":
        # An empty tag between separators is dropped; blank means what the field strips
        # (str.strip would drop U+001C..U+001F too, which a forecast file refuses).
        tags = [t for t in text.split(TAG_SEPARATOR) if t.strip(fields.WHITE_SPACE)]
        if len(tags) > rules.TAGS_MAX:
            raise _refuse({"type": "too_long", "input": tags,
                           "ctx": {"actual_length": len(tags), "max_length": rules.TAGS_MAX}})
        checked = []
        for tag in tags:
            value, err = fields.check_cell(kind, tag)
            if err is not None:
                raise _refuse(err)
            checked.append(value)
        return TAG_SEPARATOR.join(checked)
    value, err = fields.check_cell(kind, text)
    if err is not None:
        raise _refuse(err)
    return value


def check_all(column: str, texts: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """``(value by text, message by refused text)`` for the distinct ``texts`` of a column."""
    good: dict[str, Any] = {}
    bad: dict[str, str] = {}
    for text in texts:
        try:
            good[text] = check(column, text)
        except ValueError as exc:
            bad[text] = str(exc)
    return good, bad
