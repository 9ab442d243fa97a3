"""The bulk door's cell checks (ledger.ingest.bulk_fields, plain functions) against the pydantic
fields of the models they stand for: the same value or the same message for every text."""

from __future__ import annotations

from typing import Annotated, Any, get_args

import pytest
from pydantic import ConfigDict, TypeAdapter, ValidationError

from ledger import rules
from ledger.format import fields, models
from ledger.ingest import bulk_fields
from ledger.ingest.importer import _message

# column -> (model, field): what each column of a bulk file is in a forecast file
MODEL_FIELDS: dict[str, tuple[type, str]] = {
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
    "question_recorded_at": (models.Resolution, "recorded_at"),
    "resolution_recorded_at": (models.Resolution, "recorded_at"),
    "rationale": (models.Forecast, "rationale"),
    "basis": (models.Forecast, "basis"),
    "implied_from": (models.Forecast, "implied_from"),
    "outcome": (models.Resolution, "outcome"),
    "resolved_on": (models.Resolution, "resolved_on"),
    "evidence": (models.Resolution, "evidence"),
}


def by_model(column: str, text: str) -> Any:
    """What the model's own field makes of ``text`` (a value, or a ValueError's message)."""
    model, name = MODEL_FIELDS[column]
    info = model.model_fields[name]
    annotation = info.annotation
    args = [a for a in get_args(annotation) if a is not type(None)]
    if type(None) in get_args(annotation) and len(args) == 1:
        annotation = args[0]
    if info.metadata:
        annotation = Annotated[annotation, *info.metadata]
    adapter = TypeAdapter(annotation, config=ConfigDict(str_strip_whitespace=True))
    # A flat file's tags cell: tags between separators, the blank ones (what the field
    # strips) dropped; each tag then goes through the model's field as a list item would.
    value: Any = [t for t in text.split(rules.TAG_SEPARATOR) if t.strip(fields.WHITE_SPACE)] \
        if column == "tags" else text
    try:
        checked = adapter.validate_python(value)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        return ("refused", _message(err["type"], err, err.get("input")))
    return rules.TAG_SEPARATOR.join(checked) if column == "tags" else checked


def by_cell(column: str, text: str) -> Any:
    try:
        return bulk_fields.check(column, text)
    except ValueError as exc:
        return ("refused", str(exc))


TEXTS = [
    "a", "ab", "abcde", "  padded  ", " ", "\t", "x\x1f", "\x1fx", "\x1c", "a\u200bb", "a\u2028",
    "\u3000wide\u3000", "\x85nel", "a\u00a0b", "tab\tin", "line\nbreak", "cr\rbare", "crlf\r\n",
    "Cafe\u0301", "👩\u200d🔬", "a,b", "a;b", "a b", "a\x1fb", "UPPER", "ok-id.1_2", "-bad",
    "x" * 50, "x" * 51, "x" * 100, "x" * 101, "x" * 500, "x" * 501, "x" * 1000, "x" * 1001,
    "x" * 5000, "x" * 5001, " " + "x" * 100 + " ", "0.7", "70%", "3:1", "1 in 20", "1.5", "2",
    "50", "-0.1", "nan", "inf", "", "0", "1", " 0.25 ", "2026-05-21", "2026-5-21", "1899-12-31",
    "3000-01-01", "2026-05-21T18:30:00-07:00", "2026-05-21T18:30:00", "2026-05-21 18:30",
    "2026-02-30", "yesterday", "yes", "no", " yes", "Yes", "ambiguous", "annulled", "stated",
    "implied", "https://example.com/a", "http://x", "https://a b", "ftp://x", "example.com",
    ";".join(f"t{i}" for i in range(20)), ";".join(f"t{i}" for i in range(21)), "a;;b; ;c",
    "a;b c", "a;" + "y" * 51, ";".join(["bad tag"] + [f"t{i}" for i in range(21)]),
    "q\x00", "\ufeffbom", "a\u202eb", "\u2066x", "a;\x1f", "\x1c;b", "a;\u3000;b",
]


@pytest.mark.parametrize("column", list(MODEL_FIELDS))
def test_a_cell_is_checked_as_its_model_field_checks_it(column: str) -> None:
    assert set(bulk_fields.FIELDS) == set(MODEL_FIELDS)
    for text in TEXTS:
        assert by_cell(column, text) == by_model(column, text), (column, text)


def test_the_bulk_door_does_not_import_pydantic() -> None:
    import subprocess
    import sys

    code = ("import sys; import ledger.ingest.bulk; "
            "print([m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
