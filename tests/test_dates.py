from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.format.dates import format_moment, parse_date, parse_duration, parse_moment


def test_late_evening_west_of_utc_keeps_its_calendar_day():
    m = parse_moment("2027-05-21T22:30:00-07:00")
    assert m.utc == datetime(2027, 5, 22, 5, 30)
    assert m.day == date(2027, 5, 21)
    assert m.offset == -420


def test_naive_time_is_read_in_the_users_zone(monkeypatch):
    monkeypatch.setenv("FORECAST_LEDGER_TZ", "America/Los_Angeles")
    m = parse_moment("2027-01-10T23:00:00")
    assert m.day == date(2027, 1, 10) and m.utc == datetime(2027, 1, 11, 7, 0)
    assert m.offset == -480


@pytest.mark.parametrize(("text", "message"), [
    ("2027-02-30", "2027-02-30 is not a real date (check the day and month)"),
    ("21/05/2027", "'21/05/2027' is not a date (write YYYY-MM-DD, e.g. 2027-05-21)"),
    ("1899-12-31", "1899-12-31 is out of range (1900-01-01 to 2999-12-31)"),
])
def test_parse_date_refuses(text, message):
    with pytest.raises(ValueError) as err:
        parse_date(text)
    assert str(err.value) == message


@given(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2999, 12, 30)),
       st.integers(-12 * 60, 14 * 60))
def test_moment_round_trips_through_its_text(moment, offset):
    from datetime import timedelta, timezone

    text = moment.replace(tzinfo=timezone(timedelta(minutes=offset))).isoformat()
    parsed = parse_moment(text)
    assert parse_moment(format_moment(*parsed)) == parsed


def test_duration():
    assert parse_duration("30d") == 30 and parse_duration("3m") == 90
    with pytest.raises(ValueError):
        parse_duration("soon")
