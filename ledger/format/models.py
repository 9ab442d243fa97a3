"""The YAML forecast-file format, defined once as pydantic v2 models.

One file per source (an article): its metadata under ``source:`` and its ``questions:``, each
with its ``forecasts:`` and, once known, its ``resolution:``. A file without ``source:`` holds
personal questions. The JSON Schema for editors is generated from these models
(``forecast-ledger schema``) and shipped as ``docs/forecast-file.schema.json``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from ledger import rules
from ledger.format import fields
from ledger.format.fields import (  # noqa: F401  (the checks, where callers have found them)
    LINE_FORBIDDEN,
    MAX_QUOTE_WORDS,
    SLUG_RE,
    TEXT_FORBIDDEN,
    check_line,
    check_name,
    check_quote,
    check_slug,
    check_text,
    check_url,
)
from ledger.rules import OUTCOMES

__all__ = ["OUTCOMES", "ForecastFile", "json_schema"]


def _text(kind: fields.Text) -> Any:
    """The pydantic field of a text kind of :mod:`ledger.format.fields` (its one home)."""
    limits = {k: v for k, v in (("min_length", kind.min_length),
                                ("max_length", kind.max_length),
                                ("pattern", kind.pattern)) if v is not None}
    checks = [AfterValidator(c) for c in kind.checks]
    return Annotated[str, Field(**limits), *checks] if limits else Annotated[str, *checks]


def _parsed(kind: fields.Parsed, written: Any) -> Any:
    return Annotated[kind.type, BeforeValidator(kind.parse, json_schema_input_type=written)]


Slug = _text(fields.SLUG)
Url = _text(fields.URL)
Probability = _parsed(fields.PROBABILITY, float | str)
CalendarDate = _parsed(fields.CALENDAR_DATE, date)
Moment = _parsed(fields.MOMENT, date | datetime)
Timestamp = _parsed(fields.TIMESTAMP, datetime)
Name = _text(fields.NAME)
ShortText = _text(fields.SHORT_TEXT)
LongText = _text(fields.LONG_TEXT)
Tag = _text(fields.TAG)
QuestionText = _text(fields.QUESTION)
Quote = _text(fields.QUOTE)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True,
                              defer_build=True)


class Source(_Model):
    """Where questions came from: an article, a report, a talk."""

    id: Slug = Field(description="Stable id, e.g. tjs-karpathy-anthropic-2026-05")
    title: ShortText
    publisher: Name | None = Field(None, description="Outlet or publisher")
    author: Name | None = None
    url: Url | None = None
    published: CalendarDate | None = Field(None, description="Publication date, YYYY-MM-DD")


class Forecast(_Model):
    """One probability, given by one forecaster at one moment."""

    forecaster: Name
    probability: Probability = Field(
        description='0.7, "70%", "0.1%", odds "3:1" or "1 in 20"; stored exactly'
    )
    made_at: Moment = Field(
        description="When the forecaster made it: 2026-05-21 or 2026-05-21T18:30:00-07:00"
    )
    recorded_at: Timestamp | None = Field(
        None, description="When the ledger received it (UTC); set by the ledger, kept by export"
    )
    rationale: LongText | None = None
    basis: Literal[rules.BASES] = Field(
        "stated",
        description="stated: the forecaster gave this number; implied: read from a source's claim",
    )
    implied_from: ShortText | None = Field(
        None, description="For basis: implied, the phrase the probability was read from"
    )
    withdrawn: Withdrawal | None = Field(
        None, description="Set when the forecaster withdrew it (never scored); kept by export")


class Withdrawal(_Model):
    """The forecaster took this forecast back: it stays in history and is never scored."""

    reason: ShortText = Field(description="Why it was withdrawn")
    recorded_at: Timestamp | None = Field(
        None, description="When the ledger received the withdrawal (UTC); kept by export")


class Merge(_Model):
    """This question is a duplicate of another: its forecasts count there, its id resolves
    to that one."""

    id: Slug = Field(description="The id of the question kept")
    reason: ShortText = Field(description="Why they are the same question")
    recorded_at: Timestamp | None = Field(
        None, description="When the ledger received the merge (UTC); kept by export")


class Resolution(_Model):
    """How a question resolved. A later entry in ``resolutions`` corrects an earlier one."""

    outcome: Literal[OUTCOMES]
    resolved_on: CalendarDate = Field(description="When the event resolved (may precede recording)")
    evidence: Url | None = None
    note: LongText | None = None
    resolved_by: Name | None = None
    reason: ShortText | None = Field(None, description="Why this corrects the previous resolution")
    recorded_at: Timestamp | None = None


class Reference(_Model):
    """A reference forecast recorded when the question opened (e.g. a market price)."""

    probability: Probability
    note: ShortText | None = None


class _QuestionContent(_Model):
    """What a version of a question says: a change in any of it is a new version."""

    question: QuestionText
    criteria: LongText = Field(description="Precise enough that two people resolve it alike")
    resolve_by: CalendarDate
    opened: CalendarDate | None = Field(
        None, description="When the question was opened; defaults to the source's published date"
    )
    tags: list[Tag] = Field(default_factory=list, max_length=rules.TAGS_MAX)
    source: Slug | None = Field(
        None, description="Id of a source defined elsewhere (defaults to this file's source)"
    )
    quote: Quote | None = None
    horizon: ShortText | None = Field(
        None, description='The horizon as written in the source, e.g. "within 12 months"'
    )
    resolve_by_rule: ShortText | None = Field(
        None, description="How resolve_by was derived from the horizon"
    )
    reference: Reference | None = None
    blind: bool = Field(False, description="Hide others' forecasts until you have logged yours")
    edit_reason: ShortText | None = Field(
        None, description="Why this version differs from the one before (kept by export)")
    clarification: bool = Field(
        False, description="This version only clarifies the one before (a wording fix, a date "
                           "put right): forecasts made before it are not flagged")
    recorded_at: Timestamp | None = Field(
        None, description="When the ledger received this version (UTC); kept by export")


class QuestionVersion(_QuestionContent):
    """An earlier version of a question, as export writes its history."""


class Question(_QuestionContent):
    """A question a third party could resolve, with its forecasts and resolution."""

    id: Slug
    history: list[QuestionVersion] = Field(
        default_factory=list,
        description="Earlier versions of the question, oldest first (kept by export)")
    forecasts: list[Forecast] = Field(default_factory=list)
    resolution: Resolution | None = None
    resolutions: list[Resolution] = Field(
        default_factory=list, description="Resolution history, oldest first (corrections)"
    )
    merged_into: Merge | None = Field(
        None, description="Set when this question was merged into another as a duplicate")


class ForecastFile(_Model):
    """A forecast file: an optional source and its questions."""

    source: Source | None = None
    questions: list[Question] = Field(default_factory=list)


def json_schema() -> dict:
    """The JSON Schema editors use to validate forecast files as they are typed."""
    schema = ForecastFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "forecast-ledger forecast file"
    return schema
