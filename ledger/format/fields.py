"""The kinds of field forecast files hold, defined once without pydantic.

Each kind (a name, a one-line text, a tag, a probability, a date...) is its limits and the plain
function that checks it. :mod:`ledger.format.models` builds its pydantic fields from these kinds,
and the bulk door (:mod:`ledger.ingest.bulk_fields`) checks CSV/Parquet cells with them directly,
so importing a bulk file does not import pydantic (a tenth of a second at every small import).
The cell check does what the pydantic field does (strip, lengths, pattern, then the check) in the
same order, and refuses with the same error kinds; tests/test_bulk_fields.py holds the two equal.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple

from ledger import rules
from ledger.format.dates import parse_date, parse_moment
from ledger.format.probability import HINT, parse_probability

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


def probability(value: object) -> float:
    if isinstance(value, float) and not math.isfinite(value):
        # YAML's .inf / .nan: parse_probability would fail inside Fraction with a bare message
        raise ValueError(f"{value} is not a probability ({HINT})")
    return parse_probability(value)


def calendar_date(value: object) -> date:
    return parse_date(value)


def moment(value: object) -> str:
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


def timestamp(value: object) -> datetime:
    return parse_moment(value)[0]


class Text(NamedTuple):
    """A text kind: its length limits and pattern (pydantic's constraints) and its check."""

    min_length: int | None
    max_length: int | None
    pattern: str | None
    checks: tuple[Callable[[str], str], ...]


class Parsed(NamedTuple):
    """A kind parsed from what was written (pydantic's before-validator) into ``type``."""

    type: type
    parse: Callable[[object], Any]


SLUG = Text(None, None, None, (check_slug,))
URL = Text(None, None, None, (check_url,))
NAME = Text(1, rules.NAME_MAX, None, (check_name,))
SHORT_TEXT = Text(1, rules.SHORT_TEXT_MAX, None, (check_line,))
LONG_TEXT = Text(1, rules.LONG_TEXT_MAX, None, (check_text,))
TAG = Text(1, rules.TAG_MAX, rules.TAG_PATTERN, (check_line,))
QUESTION = Text(rules.QUESTION_MIN, rules.QUESTION_MAX, None, (check_line,))
QUOTE = Text(1, rules.SHORT_TEXT_MAX, None, (check_line, check_quote))
PROBABILITY = Parsed(float, probability)
CALENDAR_DATE = Parsed(date, calendar_date)
MOMENT = Parsed(str, moment)
TIMESTAMP = Parsed(datetime, timestamp)

# What pydantic strips (str_strip_whitespace: Rust's str::trim, Unicode White_Space), which is
# not str.strip(): that one strips U+001C..U+001F too, which one-line fields refuse.
WHITE_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


@cache
def _rust_pattern(pattern: str) -> re.Pattern[str]:
    # pydantic matches a field's pattern with Rust's regex, whose \s is Unicode White_Space
    return re.compile(pattern.replace(r"\s", re.escape(WHITE_SPACE)))


def check_cell(kind: Text | Parsed, text: str) -> tuple[Any, dict | None]:
    """``(value, None)`` for a cell's ``text`` of ``kind``, or ``(None, error)`` with the error
    pydantic's field would report (``type``, ``ctx``, ``input``: importer._message words it)."""
    if isinstance(kind, Parsed):
        try:
            return kind.parse(text), None
        except ValueError as exc:
            return None, {"type": "value_error", "ctx": {"error": exc}, "input": text}
    value = text.strip(WHITE_SPACE)
    if kind.min_length is not None and len(value) < kind.min_length:
        return None, {"type": "string_too_short", "ctx": {"min_length": kind.min_length},
                      "input": text}
    if kind.max_length is not None and len(value) > kind.max_length:
        return None, {"type": "string_too_long", "ctx": {"max_length": kind.max_length},
                      "input": text}
    if kind.pattern is not None and not _rust_pattern(kind.pattern).search(value):
        return None, {"type": "string_pattern_mismatch", "ctx": {"pattern": kind.pattern},
                      "input": text}
    try:
        for check in kind.checks:
            value = check(value)
    except ValueError as exc:
        return None, {"type": "value_error", "ctx": {"error": exc}, "input": value}
    return value, None
