"""The horizon grammar, phrase by phrase: each phrase, its reference (publication) date and the
resolve-by date it means."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.draft.horizon import (
    NO_HORIZON_DEFAULT,
    default_resolve_by,
    find_horizons,
    fiscal_calendar,
    resolve_phrase,
)

# (phrase, publication date, resolve-by date)
PHRASES = [
    ("within 12 months", date(2026, 5, 21), date(2027, 5, 21)),
    ("over the next 12 months", date(2026, 5, 21), date(2027, 5, 21)),
    ("over the next year", date(2022, 6, 21), date(2023, 6, 21)),
    ("in the next two years", date(2022, 6, 21), date(2024, 6, 21)),
    ("in two years", date(2026, 5, 21), date(2028, 5, 21)),
    ("in 3 weeks", date(2021, 12, 22), date(2022, 1, 12)),
    ("within 12 months", date(2024, 2, 29), date(2025, 2, 28)),  # no 29 February in 2025
    ("by 2030", date(2023, 10, 24), date(2030, 12, 31)),
    ("in 2024", date(2024, 1, 29), date(2024, 12, 31)),
    ("by the end of the decade", date(2023, 10, 24), date(2029, 12, 31)),
    ("later this decade", date(2023, 10, 24), date(2029, 12, 31)),
    ("around the middle of the decade", date(2023, 10, 24), date(2025, 12, 31)),
    ("by the 2030s", date(2026, 5, 21), date(2039, 12, 31)),
    ("next quarter", date(2026, 5, 21), date(2026, 9, 30)),
    ("next quarter", date(2026, 11, 2), date(2027, 3, 31)),
    ("in the third quarter of 2022", date(2022, 6, 21), date(2022, 9, 30)),
    ("second-quarter", date(2022, 6, 21), date(2022, 6, 30)),
    ("this year", date(2026, 5, 21), date(2026, 12, 31)),
    ("later this year", date(2026, 5, 21), date(2026, 12, 31)),
    ("late this year", date(2025, 5, 28), date(2025, 12, 31)),
    ("by mid-2027", date(2026, 5, 21), date(2027, 6, 30)),
    ("early 2022", date(2021, 12, 22), date(2022, 3, 31)),
    ("late January", date(2021, 12, 22), date(2022, 1, 31)),
    ("in February", date(2021, 1, 6), date(2021, 2, 28)),
    ("going into January", date(2021, 1, 6), date(2021, 1, 31)),
    ("on Friday", date(2024, 6, 30), date(2024, 7, 5)),
    ("the election on 4 July", date(2024, 6, 30), date(2024, 7, 4)),
    ("on July 3, 2025", date(2025, 5, 28), date(2025, 7, 3)),
    ("next year", date(2026, 5, 21), date(2027, 12, 31)),
    ("in December", date(2026, 5, 21), date(2026, 12, 31)),     # a month ahead, not behind
    ("by March", date(2026, 5, 21), date(2027, 3, 31)),
    ("this summer", date(2026, 5, 21), date(2026, 8, 31)),      # northern-hemisphere seasons
    ("by the fall", date(2026, 5, 21), date(2026, 11, 30)),
    ("next spring", date(2026, 5, 21), date(2027, 5, 31)),
    ("by Q3 2027", date(2026, 5, 21), date(2027, 9, 30)),
    ("in H2 2026", date(2026, 5, 21), date(2026, 12, 31)),
    ("by the end of 2027", date(2026, 5, 21), date(2027, 12, 31)),
    ("two years from now", date(2026, 5, 21), date(2028, 5, 21)),
    ("by June 30", date(2026, 3, 10), date(2026, 6, 30)),
    ("in the second half", date(2026, 3, 10), date(2026, 12, 31)),
    ("full-year profit", date(2026, 3, 10), date(2026, 12, 31)),
    ("in the first half of next year", date(2026, 3, 10), date(2027, 6, 30)),
]


@pytest.mark.parametrize(("phrase", "published", "expected"), PHRASES,
                         ids=[f"{p} @ {d}" for p, d, _ in PHRASES])
def test_phrase_resolves_to_the_date_it_means(phrase, published, expected):
    found = resolve_phrase(phrase, published)
    assert found is not None, f"{phrase!r} was not read as a horizon"
    assert found.resolve_by == expected
    assert not found.vague
    assert found.rule  # every date says how it was reached


# Vague phrases get a documented default, and their rule says it is one.
VAGUE = [
    ("in the coming weeks", date(2026, 5, 21), date(2026, 6, 21), "default of 1 month"),
    ("over the next few weeks", date(2021, 12, 22), date(2022, 1, 22), "default of 1 month"),
    ("in the coming months", date(2026, 5, 21), date(2026, 11, 21), "default of 6 months"),
    ("in the near term", date(2023, 10, 24), date(2024, 4, 24), "default of 6 months"),
    ("eventually", date(2026, 5, 21), date(2028, 5, 21), "default of 24 months"),
    ("for quite some time", date(2021, 12, 22), date(2022, 12, 22), "default of 12 months"),
    ("in a few years", date(2026, 5, 21), date(2029, 5, 21), "default of 3 years"),
    ("within weeks", date(2026, 5, 21), date(2026, 6, 21), "default of 1 month"),
    ("in the postseason", date(2021, 1, 6), date(2022, 1, 6), "no date in the text"),
]


@pytest.mark.parametrize(("phrase", "published", "expected", "says"), VAGUE,
                         ids=[p for p, *_ in VAGUE])
def test_vague_phrase_gets_the_documented_default_and_says_so(phrase, published, expected, says):
    found = resolve_phrase(phrase, published)
    assert found is not None and found.vague
    assert found.resolve_by == expected
    assert says in found.rule


def test_no_horizon_default_is_twelve_months_after_publication_and_says_so():
    when, rule = default_resolve_by(date(2026, 5, 21))
    assert NO_HORIZON_DEFAULT == 12
    assert when == date(2027, 5, 21)
    assert rule.startswith("no horizon in the text; default of 12 months")


@pytest.mark.parametrize("text", ["in a 1-2 week window", "in a week or two", "may be weeks",
                                  "from 2 days to 3 to 5", "2020/21 standards", "May be",
                                  "a fall in prices"])
def test_durations_and_non_dates_are_not_horizons(text):
    assert find_horizons(text, date(2021, 12, 22)) == []


def test_date_before_publication_is_marked_past():
    found = resolve_phrase("The start date is reported as May 19, 2026", date(2026, 5, 21))
    assert found.resolve_by == date(2026, 5, 19)
    assert found.past


def test_a_weekday_after_a_reporting_verb_is_the_one_before_publication():
    found = resolve_phrase("The group said on Monday that", date(2026, 3, 10))  # a Tuesday
    assert found.resolve_by == date(2026, 3, 9) and found.past
    ahead = resolve_phrase("Sunak will resign on Friday", date(2026, 3, 10))
    assert ahead.resolve_by == date(2026, 3, 13) and not ahead.past


def test_a_month_after_a_past_verb_is_the_last_one():
    found = resolve_phrase("projections I put together in April", date(2020, 11, 8))
    assert found.resolve_by == date(2020, 4, 30) and found.past
    ahead = resolve_phrase("the merger closes in April", date(2020, 11, 8))
    assert ahead.resolve_by == date(2021, 4, 30) and not ahead.past


def test_a_quarter_without_a_year_needs_a_financial_context():
    text = "two losses in which fourth quarter leads were lost"
    assert find_horizons(text, date(2021, 1, 6)) == []
    found = resolve_phrase("revenue in the third quarter will rise", date(2026, 5, 21))
    assert found.resolve_by == date(2026, 9, 30)


def test_year_in_a_url_is_blanked_before_reading():
    from ledger.draft.article import mask_links

    text = "Slowing [growth](https://example.com/2023/10/06/china) will depress demand."
    assert find_horizons(mask_links(text), date(2023, 10, 24)) == []


def test_fiscal_quarters_count_13_weeks_from_the_stated_quarter_end():
    text = ("Revenue for the first quarter ended April 27, 2025 was up. A charge in the first "
            "quarter of fiscal 2026.")
    fiscal = fiscal_calendar(text)
    assert fiscal is not None and (fiscal.quarter, fiscal.year) == (1, 2026)
    published = date(2025, 5, 28)
    q2 = resolve_phrase("the second quarter of fiscal 2026", published, fiscal)
    assert q2.resolve_by == date(2025, 7, 27)
    year = resolve_phrase("Full year fiscal 2026", published, fiscal)
    assert year.resolve_by == date(2026, 1, 25)


def test_fiscal_year_without_a_stated_calendar_is_the_calendar_year_and_says_so():
    found = resolve_phrase("fiscal 2027", date(2026, 5, 21))
    assert found.resolve_by == date(2027, 12, 31)
    assert "no fiscal calendar in the text" in found.rule


def test_several_horizons_in_one_text_come_back_in_order():
    text = "growth of 1.75% in the third quarter of 2022, at 0.75% in the fourth quarter of 2022"
    found = find_horizons(text, date(2022, 6, 21))
    assert [h.resolve_by for h in found] == [date(2022, 9, 30), date(2022, 12, 31)]
    assert [text[h.start:h.end] for h in found] == [h.text for h in found]
