"""Probabilities as people write them: ``0.7``, ``"70%"``, ``"0.1%"``, ``"3:1"``, ``"1 in 20"``,
``"1e-4"``.

Parsing goes through :class:`fractions.Fraction`, so ``"0.1%"`` is exactly 1/1000 before it
becomes the nearest double, and nothing is rounded to whole percents.
"""

from __future__ import annotations

import re
from fractions import Fraction

HINT = 'write 0.8, "80%", "3:1" or "1 in 5"'

# Scientific notation is read too ("1e-4", "2.5E-3"); the exponent has at most three digits, so
# a hostile "1e999999999" cannot make Fraction build a number of a billion digits.
_NUMBER = r"\s*((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d{1,3})?)\s*"
_PERCENT = re.compile(rf"^{_NUMBER}%$")
_ODDS = re.compile(rf"^{_NUMBER}:{_NUMBER}$")
_ONE_IN = re.compile(rf"^{_NUMBER}in{_NUMBER}$", re.IGNORECASE)
_PLAIN = re.compile(rf"^{_NUMBER}$")


def parse_probability(value: object) -> float:
    """Return the probability written as ``value``, a float in [0, 1].

    Raises ``ValueError`` with a message for people when it is not one.

    >>> parse_probability("0.1%")
    0.001
    >>> parse_probability("3:1"), parse_probability("1 in 20"), parse_probability(0.7)
    (0.75, 0.05, 0.7)
    >>> parse_probability("1e-4"), parse_probability("33.333333333333333333%")
    (0.0001, 0.3333333333333333)
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{value!r} is not a probability ({HINT})")
    if type(value) is float:
        # Fast path (the common case in files): a float literal already is the double nearest
        # what was written; going through Fraction would give the same number, 20x slower.
        if 0.0 <= value <= 1.0:
            return value
        if 2 <= value <= 100:
            raise ValueError(f"{value} is not between 0 and 1 (did you mean \"{value:g}%\"?)")
        raise ValueError(f"{value} is not between 0 and 1 ({HINT})")
    if isinstance(value, int | float):
        frac = Fraction(value)
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
        if (m := _PLAIN.match(text)) and 0.0 < (quick := float(m.group(1))) < 1.0:
            # A plain decimal strictly inside (0, 1) (most cells of a bulk file): float() is
            # the nearest double as float(Fraction) is, and rounding keeps the order, so the
            # exact number is inside too. Fraction is for the bounds and the other forms.
            return quick
        frac = _parse_text(text)
    else:
        raise ValueError(f"{value!r} is not a probability ({HINT})")
    if not 0 <= frac <= 1:
        if 2 <= frac <= 100 and "%" not in text and ":" not in text:
            raise ValueError(f"{text} is not between 0 and 1 (did you mean \"{text}%\"?)")
        raise ValueError(f"{text} is not between 0 and 1 ({HINT})")
    return float(frac)


def _parse_text(text: str) -> Fraction:
    if m := _PERCENT.match(text):
        return Fraction(m.group(1)) / 100
    if m := _ODDS.match(text):
        a, b = Fraction(m.group(1)), Fraction(m.group(2))
        if a + b == 0:
            raise ValueError(f"{text} is not a probability: odds 0:0 mean nothing ({HINT})")
        return a / (a + b)
    if m := _ONE_IN.match(text):
        k, n = Fraction(m.group(1)), Fraction(m.group(2))
        if n == 0:
            raise ValueError(f"{text} is not a probability: 'in 0' means nothing ({HINT})")
        return k / n
    if m := _PLAIN.match(text):
        return Fraction(m.group(1))
    raise ValueError(f"{text!r} is not a probability ({HINT})")


def format_probability(p: float) -> str:
    """Percent for people, exact to the digits stored: 0.001 -> '0.1%', 0.7 -> '70%'.

    >>> format_probability(0.001), format_probability(0.7), format_probability(1/3)
    ('0.1%', '70%', '33.33333%')
    """
    text = f"{p * 100:.5f}".rstrip("0").rstrip(".")
    return f"{text}%"
