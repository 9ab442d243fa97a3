"""Company fiscal calendars: quarters of 13 weeks from a quarter end the article states.

"NVIDIA ... reported revenue for the first quarter ended April 27, 2025" plus "the first quarter
of fiscal 2026" anchor the calendar, so "the second quarter of fiscal 2026" ends 2025-07-27 and
fiscal 2026 ends 2026-01-25 (52/53-week fiscal years).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTH_NAMES = (r"(?P<month>January|February|March|April|May|June|July|August|September|October|"
               r"November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?")
_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
           "sep": 9, "oct": 10, "nov": 11, "dec": 12}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4}


@dataclass(frozen=True)
class FiscalCalendar:
    """A company's fiscal calendar, anchored on one quarter end the article states."""

    quarter: int
    year: int
    end: date

    def quarter_end(self, quarter: int, year: int) -> date:
        # 52/53-week fiscal years: quarters of 13 weeks from the stated anchor.
        steps = (year - self.year) * 4 + (quarter - self.quarter)
        return self.end + timedelta(weeks=13 * steps)


_ANCHOR = re.compile(
    r"\b(?P<q>first|second|third|fourth)\s+quarter(?:\s+of)?(?:\s+fiscal(?:\s+year)?\s+"
    r"(?P<fy>20\d\d))?,?\s+(?:which\s+)?ended\s+" + MONTH_NAMES
    + r"\s+(?P<day>\d{1,2}),?\s+(?P<year>20\d\d|19\d\d)", re.IGNORECASE)


def fiscal_calendar(text: str) -> FiscalCalendar | None:
    """A fiscal calendar from a stated quarter end ("the first quarter ended April 27, 2025").

    The fiscal year is the one written with that quarter ("first quarter of fiscal 2026")
    elsewhere in the text when the sentence itself does not name it.
    """
    for m in _ANCHOR.finditer(text):
        q = _ORDINALS[m.group("q").lower()]
        fy = m.group("fy")
        if not fy:
            named = re.search(rf"\b{m.group('q')}\s+quarter(?:\s+of)?\s+fiscal(?:\s+year)?\s+"
                              r"(20\d\d)", text, re.IGNORECASE)
            if not named:
                continue
            fy = named.group(1)
        end = date(int(m.group("year")), _MONTHS[m.group("month").lower()[:3]],
                   int(m.group("day")))
        return FiscalCalendar(q, int(fy), end)
    return None
