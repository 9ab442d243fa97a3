"""The cells of a CSV/Parquet row, checked by the very fields that check forecast files.

Each column of a bulk file is a field of a model in :mod:`ledger.format.models` (``forecaster``
is ``Forecast.forecaster``, ``question`` is ``Question.question``...). Its distinct values are
few even in millions of rows (forecasters, probabilities, dates, questions), so each distinct
value goes once through that field's own pydantic validator: the YAML door and the bulk door
accept, normalise (strip, NFC) and refuse exactly the same texts, with the same messages.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, get_args

from pydantic import ConfigDict, TypeAdapter, ValidationError

from ledger import rules
from ledger.format import models

# column -> (model, field) whose rules the column follows
FIELDS: dict[str, tuple[type, str]] = {
    "question_id": (models.Question, "id"),
    "question": (models.Question, "question"),
    "criteria": (models.Question, "criteria"),
    "resolve_by": (models.Question, "resolve_by"),
    "opened": (models.Question, "opened"),
    "tags": (models.Question, "tags"),
    "source_id": (models.Question, "source"),
    "forecaster": (models.Forecast, "forecaster"),
    "probability": (models.Forecast, "probability"),
    "made_at": (models.Forecast, "made_at"),
    "recorded_at": (models.Forecast, "recorded_at"),
    "question_recorded_at": (models.Resolution, "recorded_at"),  # the same kind of instant
    "resolution_recorded_at": (models.Resolution, "recorded_at"),
    "rationale": (models.Forecast, "rationale"),
    "basis": (models.Forecast, "basis"),
    "implied_from": (models.Forecast, "implied_from"),
    "outcome": (models.Resolution, "outcome"),
    "resolved_on": (models.Resolution, "resolved_on"),
    "evidence": (models.Resolution, "evidence"),
}
TAG_SEPARATOR = rules.TAG_SEPARATOR


@cache
def adapter(column: str) -> TypeAdapter:
    """The validator of ``column``'s model field, without its ``None`` (an empty cell is
    absent, not validated) and with the models' whitespace stripping."""
    model, name = FIELDS[column]
    info = model.model_fields[name]
    annotation = info.annotation
    args = [a for a in get_args(annotation) if a is not type(None)]
    if type(None) in get_args(annotation) and len(args) == 1:
        annotation = args[0]
    if info.metadata:
        annotation = Annotated[annotation, *info.metadata]
    return TypeAdapter(annotation, config=ConfigDict(str_strip_whitespace=True))


def check(column: str, text: str) -> Any:
    """The value ``text`` means in ``column`` (a float, a date, a stripped text...); raises
    ``ValueError`` with the message a forecast file gets for the same value."""
    value: Any = text
    if column == "tags":
        value = [t for t in text.split(TAG_SEPARATOR) if t.strip()]
    try:
        checked = adapter(column).validate_python(value)
    except ValidationError as exc:
        from ledger.ingest.importer import _message  # only for a refused value

        err = exc.errors(include_url=False)[0]
        raise ValueError(_message(err["type"], err, err.get("input"))) from None
    if column == "tags":
        return TAG_SEPARATOR.join(checked)
    return checked


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
