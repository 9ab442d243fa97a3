"""Dates and times. Timestamps are stored as naive UTC; calendar dates stay calendar dates.

A forecast keeps both ``made_at`` (UTC instant, for ordering) and ``made_on`` (the calendar date
where it was made). Day-level rules (made after the resolution date, overdue, horizons) use
calendar dates, which is what keeps a forecast made at 22:30 in California on the 21st from
landing on the 22nd.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)


def local_zone() -> tzinfo:
    """The user's zone: ``FORECAST_LEDGER_TZ``, else ``TZ``, else the system's."""
    for var in ("FORECAST_LEDGER_TZ", "TZ"):
        name = os.environ.get(var, "").lstrip(":")
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                pass
    return datetime.now().astimezone().tzinfo or UTC


def utc_now() -> datetime:
    """Now, as naive UTC (how the ledger stores instants)."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Today in the user's zone: a question is overdue from the day after ``resolve_by``."""
    return datetime.now(local_zone()).date()


def to_local(ts: datetime) -> datetime:
    """A stored (naive UTC) instant shown in the user's zone."""
    return ts.replace(tzinfo=UTC).astimezone(local_zone())


def parse_date(value: object) -> date:
    """A calendar date from a ``date`` or ``YYYY-MM-DD`` text, within 1900..2999."""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return _date_text(str(value).strip())
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"{value} is out of range ({MIN_DATE} to {MAX_DATE})")
    return value


_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")


@lru_cache(maxsize=4096)
def _date_text(text: str) -> date:
    # Files repeat the same dates thousands of times (a refusal raises, and is not cached).
    if not _DATE_TEXT.fullmatch(text):
        raise ValueError(f"{text!r} is not a date (write YYYY-MM-DD, e.g. 2027-05-21)")
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text} is not a real date (check the day and month)") from None
    return parse_date(value)


class Moment(NamedTuple):
    """An instant as stored: naive UTC, the calendar date where it happened, the UTC offset
    in minutes it was written with (``None`` for a date alone)."""

    utc: datetime
    day: date
    offset: int | None


def parse_moment(value: object) -> Moment:
    """``(made_at as naive UTC, made_on, offset minutes)`` from a date or a date-time.

    A date alone is taken as that calendar day (stored at 00:00 UTC for ordering).
    A date-time with an offset keeps its own calendar date; one without an offset is read
    in the user's zone.

    >>> parse_moment("2027-05-21T22:30:00-07:00")
    Moment(utc=datetime.datetime(2027, 5, 22, 5, 30), day=datetime.date(2027, 5, 21), offset=-420)
    >>> parse_moment("2027-05-21")
    Moment(utc=datetime.datetime(2027, 5, 21, 0, 0), day=datetime.date(2027, 5, 21), offset=None)
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return Moment(datetime(value.year, value.month, value.day), parse_date(value), None)
    else:
        text = str(value).strip()
        if len(text) == 10:
            return _date_moment(text)
        try:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            raise ValueError(
                f"{text!r} is not a date or time (write 2027-05-21 or 2027-05-21T18:30:00-07:00)"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_zone())
    made_on = parse_date(moment.date())
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    return Moment(moment.astimezone(UTC).replace(tzinfo=None), made_on, minutes)


def format_moment(utc: datetime, day: date, offset: int | None) -> str:
    """The inverse of :func:`parse_moment`, as export writes it.

    >>> format_moment(*parse_moment("2027-05-21T22:30:00-07:00"))
    '2027-05-21T22:30:00-07:00'
    """
    if offset is None:
        return day.isoformat()
    zone = timezone(timedelta(minutes=offset))
    return utc.replace(tzinfo=UTC).astimezone(zone).isoformat()


@lru_cache(maxsize=4096)
def _date_moment(text: str) -> Moment:
    # Files repeat the same dates thousands of times; a date alone means the same everywhere,
    # so it is safe to cache (a time without an offset depends on the zone and is not cached).
    day = parse_date(text)
    return Moment(datetime(day.year, day.month, day.day), day, None)


def parse_duration(text: str) -> int:
    """Days in ``30d``, ``2w``, ``3m`` (30 days), ``1y`` (365 days) or a bare number of days.

    >>> parse_duration("30d"), parse_duration("2w"), parse_duration("1y")
    (30, 14, 365)
    """
    m = re.fullmatch(r"\s*(\d+)\s*([dwmy]?)\s*", text or "")
    if not m:
        raise ValueError(f"{text!r} is not a duration (write 30d, 2w, 3m or 1y)")
    n, unit = int(m.group(1)), m.group(2) or "d"
    return n * {"d": 1, "w": 7, "m": 30, "y": 365}[unit]


def iso_utc(ts: datetime) -> str:
    """The canonical text of a stored instant (naive UTC), microseconds always shown.

    ``isoformat`` writes what ``strftime("%Y-%m-%dT%H:%M:%S.%f")`` does for the years a ledger
    accepts, several times faster (it runs for every entry an import writes).
    """
    return ts.isoformat(timespec="microseconds")


__all__ = [
    "Moment",
    "format_moment",
    "iso_utc",
    "local_zone",
    "parse_date",
    "parse_duration",
    "parse_moment",
    "to_local",
    "today",
    "utc_now",
]
