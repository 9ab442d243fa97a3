from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.format.probability import format_probability, parse_probability


@pytest.mark.parametrize(("text", "expected"), [
    (0.7, 0.7), ("70%", 0.7), ("0.1%", 0.001), (" 12.5 % ", 0.125), ("3:1", 0.75),
    ("1:3", 0.25), ("1 in 20", 0.05), ("1 IN 3", 1 / 3), ("0", 0.0), (1, 1.0), ("100%", 1.0),
    (".5", 0.5), ("0.001%", 0.00001),
])
def test_parse(text, expected):
    assert parse_probability(text) == expected


@pytest.mark.parametrize(("value", "message"), [
    ("110%", '110% is not between 0 and 1 (write 0.8, "80%", "3:1" or "1 in 5")'),
    (1.2, '1.2 is not between 0 and 1 (write 0.8, "80%", "3:1" or "1 in 5")'),
    (-0.1, '-0.1 is not between 0 and 1 (write 0.8, "80%", "3:1" or "1 in 5")'),
    ("likely", "'likely' is not a probability (write 0.8, \"80%\", \"3:1\" or \"1 in 5\")"),
    ("0:0", '0:0 is not a probability: odds 0:0 mean nothing (write 0.8, "80%", "3:1" or '
            '"1 in 5")'),
    (True, 'True is not a probability (write 0.8, "80%", "3:1" or "1 in 5")'),
    (None, 'None is not a probability (write 0.8, "80%", "3:1" or "1 in 5")'),
])
def test_refuse(value, message):
    with pytest.raises(ValueError) as err:
        parse_probability(value)
    assert str(err.value) == message


@given(st.integers(0, 100_000))
def test_percent_is_exact_to_the_nearest_double(k):
    # "k/1000 %" must be the double nearest k/100000: nothing rounded to whole percents
    text = f"{Fraction(k, 1000).numerator / Fraction(k, 1000).denominator:.3f}%"
    assert parse_probability(text) == float(Fraction(text[:-1]) / 100)


@given(st.integers(0, 1000), st.integers(0, 1000))
def test_odds(a, b):
    if a + b == 0:
        return
    assert parse_probability(f"{a}:{b}") == float(Fraction(a, a + b))


def test_format():
    assert [format_probability(p) for p in (0.001, 0.7, 0.12345, 1.0, 0.0)] == [
        "0.1%", "70%", "12.345%", "100%", "0%"]


@pytest.mark.parametrize(("value", "message"), [
    ("70", '70 is not between 0 and 1 (did you mean "70%"?)'),
    (55.5, '55.5 is not between 0 and 1 (did you mean "55.5%"?)'),
])
def test_whole_percent_without_sign_gets_a_suggestion(value, message):
    with pytest.raises(ValueError) as err:
        parse_probability(value)
    assert str(err.value) == message
