"""The YAML forecast-file format, defined once as pydantic v2 models.

One file per source (an article): its metadata under ``source:`` and its ``questions:``, each
with its ``forecasts:`` and, once known, its ``resolution:``. A file without ``source:`` holds
personal questions. The JSON Schema for editors is generated from these models
(``forecast-ledger schema``) and shipped as ``docs/forecast-file.schema.json``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from ledger import rules
from ledger.format.dates import parse_date, parse_moment
from ledger.format.probability import HINT, parse_probability
from ledger.rules import OUTCOMES

__all__ = ["OUTCOMES", "ForecastFile", "json_schema"]

SLUG_RE = re.compile(rules.ID_PATTERN)
MAX_QUOTE_WORDS = rules.QUOTE_WORDS_MAX


def check_slug(value: str) -> str:
    if not SLUG_RE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid id (use lowercase letters, digits, '-', '_' or '.', "
            "starting with a letter or digit, at most 100 characters)"
        )
    return value


# Characters that hide or disguise text: C0/C1 controls (NUL, BEL, bare CR...), bidirectional
# overrides and isolates (U+202A-U+202E, U+2066-U+2069), zero-width characters and the BOM
# (U+200B-U+200D, U+FEFF). One-line fields refuse them all; long texts (criteria, rationale,
# notes: paragraphs, possibly right-to-left) refuse only the controls other than tab and newline.
_HIDDEN = "\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff\x7f-\x9f"
LINE_FORBIDDEN = re.compile(f"[\x00-\x1f{_HIDDEN}]")
TEXT_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


def _refuse_hidden(value: str, pattern: re.Pattern[str]) -> str:
    for m in pattern.finditer(value):
        if m.group() == "\u200d" and _joins_emoji(value, m.start()):
            continue  # the zero-width joiner inside an emoji sequence (👩‍🔬) is visible
        raise ValueError(f"{value!r} holds an invisible or control character "
                         f"(U+{ord(m.group()[0]):04X}); remove it")
    return value


def _joins_emoji(value: str, at: int) -> bool:
    before, after = value[at - 1:at], value[at + 1:at + 2]
    return (bool(before) and bool(after) and unicodedata.category(after) == "So"
            and (unicodedata.category(before) in ("So", "Sk") or before == "\ufe0f"))


def check_line(value: str) -> str:
    """A one-line text (id, name, title, question): no control or invisible characters."""
    return _refuse_hidden(value, LINE_FORBIDDEN)


def check_text(value: str) -> str:
    """A long text (criteria, rationale, note): tab, newlines and bidirectional marks allowed,
    other controls not."""
    return _refuse_hidden(value, TEXT_FORBIDDEN)


def check_name(value: str) -> str:
    """A person's or outlet's name, compared as written: one line, in Unicode NFC (so the same
    name typed on two keyboards is one forecaster)."""
    return unicodedata.normalize("NFC", check_line(value))


def check_url(value: str) -> str:
    if re.match(r"https?://", value) and re.search(r"\s", value):
        raise ValueError(f"{value!r} is not a web address: it holds spaces (write them as %20)")
    if not re.fullmatch(r"https?://\S+", value):
        raise ValueError(f"{value!r} is not a web address (start it with https://)")
    return value


def check_quote(value: str) -> str:
    words = len(value.split())
    if words > MAX_QUOTE_WORDS:
        raise ValueError(
            f"the quote is {words} words; keep it to at most {MAX_QUOTE_WORDS} "
            "(quote the passage briefly, link the rest)"
        )
    return value


def _probability(value: object) -> float:
    if isinstance(value, float) and not math.isfinite(value):
        # YAML's .inf / .nan: parse_probability would fail inside Fraction with a bare message
        raise ValueError(f"{value} is not a probability ({HINT})")
    return parse_probability(value)


def _date(value: object) -> date:
    return parse_date(value)


def _moment(value: object) -> str:
    # Kept as written (date or ISO date-time) and resolved to UTC by the importer, so that a
    # file means the same on every machine and re-imports identically.
    if type(value) is str:  # as files hold it (dates stay text): one strip, not two
        text = value.strip()
        parse_moment(text)
        return text
    if isinstance(value, datetime | date):
        value = value.isoformat()
    parse_moment(value)
    return str(value).strip()


def _timestamp(value: object) -> datetime:
    return parse_moment(value)[0]


Slug = Annotated[str, AfterValidator(check_slug)]
Url = Annotated[str, AfterValidator(check_url)]
Probability = Annotated[
    float, BeforeValidator(_probability, json_schema_input_type=float | str)
]
CalendarDate = Annotated[date, BeforeValidator(_date, json_schema_input_type=date)]
Moment = Annotated[str, BeforeValidator(_moment, json_schema_input_type=date | datetime)]
Timestamp = Annotated[datetime, BeforeValidator(_timestamp, json_schema_input_type=datetime)]
Name = Annotated[str, Field(min_length=1, max_length=rules.NAME_MAX), AfterValidator(check_name)]
ShortText = Annotated[str, Field(min_length=1, max_length=rules.SHORT_TEXT_MAX),
                      AfterValidator(check_line)]
LongText = Annotated[str, Field(min_length=1, max_length=rules.LONG_TEXT_MAX),
                     AfterValidator(check_text)]
Tag = Annotated[str, Field(min_length=1, max_length=rules.TAG_MAX, pattern=rules.TAG_PATTERN),
                AfterValidator(check_line)]


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

    question: Annotated[str, Field(min_length=rules.QUESTION_MIN, max_length=rules.QUESTION_MAX),
                        AfterValidator(check_line)]
    criteria: LongText = Field(description="Precise enough that two people resolve it alike")
    resolve_by: CalendarDate
    opened: CalendarDate | None = Field(
        None, description="When the question was opened; defaults to the source's published date"
    )
    tags: list[Tag] = Field(default_factory=list, max_length=rules.TAGS_MAX)
    source: Slug | None = Field(
        None, description="Id of a source defined elsewhere (defaults to this file's source)"
    )
    quote: Annotated[ShortText, AfterValidator(check_quote)] | None = None
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
