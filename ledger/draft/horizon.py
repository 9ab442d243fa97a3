"""The horizon grammar: time phrases as articles write them, and the date each one means.

:func:`find_horizons` finds every horizon phrase in a piece of text and reads it against the
publication date; :func:`resolve_phrase` reads one phrase (what the unit tests call). Dates are
computed with ``dateutil.relativedelta``, so "12 months" after 2026-05-21 is 2027-05-21 and a
month after 31 January is the end of February.

Calendar phrases resolve at the end of the period they name ("in 2024" -> 2024-12-31, "next
quarter" -> that quarter's last day, "late January" -> 31 January); spans count from the
publication date ("within 12 months" -> published + 12 months). Vague phrases ("eventually",
"in the coming weeks", "in the near term") get a documented default and say so in their rule
(:data:`VAGUE_DEFAULTS`); so does a claim with no horizon at all (:data:`NO_HORIZON_DEFAULT`).
A date before publication is not a horizon: it is returned with ``past=True`` so callers can
tell a report of the past from a forecast.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from ledger.draft.fiscal import FiscalCalendar, fiscal_calendar

__all__ = ["FiscalCalendar", "Horizon", "default_resolve_by", "find_horizons", "fiscal_calendar",
           "resolve_phrase"]

MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
MONTHS["sept"] = 9
WEEKDAYS = {d.lower(): i for i, d in enumerate(calendar.day_name)}
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
           "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
           "fifteen": 15, "eighteen": 18, "twenty": 20, "thirty": 30, "couple of": 2,
           "a couple of": 2}
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
            "4th": 4, "q1": 1, "q2": 2, "q3": 3, "q4": 4}

#: Documented defaults for phrases that name no date: (months after publication, why).
VAGUE_DEFAULTS: dict[str, tuple[int, str]] = {
    "weeks": (1, "a few / the coming weeks: default of 1 month"),
    "months": (6, "a few / the coming months: default of 6 months"),
    "years": (36, "a few / the coming years: default of 3 years"),
    "near": (6, "the near term / soon: default of 6 months"),
    "eventually": (24, "eventually / in the long run: default of 24 months"),
    "long": (12, "for some time: default of 12 months"),
    "season": (12, "a season or event with no date in the text: default of 12 months"),
}
#: A claim with no horizon and no article-wide window: published + 12 months.
NO_HORIZON_DEFAULT = 12

_NUM = (r"(?P<num>\d{1,3}(?:\.5)?|a couple of|couple of|a few|an?|one|two|three|four|five|six|"
        r"seven|eight|nine|ten|eleven|twelve|fifteen|eighteen|twenty|thirty|few|several|many)")
_UNIT = r"(?P<unit>day|week|month|quarter|year|decade)s?"
_MONTH = (r"(?P<month>January|February|March|April|May|June|July|August|September|October|"
          r"November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?")
_YEAR = r"(?P<year>20\d\d|19\d\d)"
_PART = (r"(?P<part>early|the beginning of|the start of|mid|the middle of|middle of|late|"
         r"the end of|end of|the first half of|first half of|the second half of|"
         r"second half of|h1|h2)")


@dataclass(frozen=True)
class Horizon:
    """A horizon phrase found in text, and the date it resolves at."""

    text: str
    start: int
    end: int
    resolve_by: date | None
    rule: str
    vague: bool = False
    past: bool = False

    def shifted(self, offset: int) -> Horizon:
        return replace(self, start=self.start + offset, end=self.end + offset)


def _n(text: str) -> float | None:
    text = text.lower()
    if text in NUMBERS:
        return NUMBERS[text]
    try:
        return float(text)
    except ValueError:
        return None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _quarter_end(year: int, quarter: int) -> date:
    return _month_end(year, quarter * 3)


def _add(published: date, n: float, unit: str) -> date:
    unit = unit.rstrip("s")
    if unit == "day":
        return published + timedelta(days=round(n))
    if unit == "week":
        return published + timedelta(weeks=n)
    months = {"month": 1, "quarter": 3, "year": 12, "decade": 120}[unit] * n
    return published + relativedelta(months=round(months))


#: A month or date named without a year that ended this many days before publication is the
#: recent past ("May 19" in an article of May 21); earlier ones mean next year's.
RECENT_PAST_DAYS = 45


_PAST_VERB = re.compile(
    r"\b(?:said|says|told|announced|reported|wrote|added|noted|confirmed|revealed|stated|"
    r"posted|was|were|had|did|went|came|got|made|put\s+together|began|began|rose|fell|\w+ed)\b"
    r"(?:\s+[\w’'-]+){0,3}\s*$", re.IGNORECASE)


def _past_context(m: re.Match) -> bool:
    """Whether a past-tense verb stands just before the phrase ("said on Monday", "put together
    in April"): then a weekday or month without a year is the last one, not the next."""
    return bool(_PAST_VERB.search(m.string[max(0, m.start() - 40):m.start()]))


def _closest_year(published: date, month: int, day: int | None = None) -> int:
    """The year of a month (or date) written without one: the next one on or after
    publication, unless it ended within RECENT_PAST_DAYS before it."""
    end = date(published.year, month, day or calendar.monthrange(published.year, month)[1]) \
        if not (month == 2 and day == 29) else date(published.year, 3, 1)
    if end >= published or (published - end).days <= RECENT_PAST_DAYS:
        return published.year
    return published.year + 1


def _part_of_year(part: str | None, year: int) -> tuple[date, str]:
    part = (part or "").lower()
    if part in ("early", "the beginning of", "the start of"):
        return date(year, 3, 31), f"early {year} = end of March {year}"
    if part in ("mid", "the middle of", "middle of", "the first half of", "first half of", "h1"):
        return date(year, 6, 30), f"{part or 'mid'} {year} = end of June {year}"
    if part in ("the second half of", "second half of", "h2"):
        return date(year, 12, 31), f"second half of {year} = {year}-12-31"
    return date(year, 12, 31), f"{year} ends {year}-12-31"


def _part_of_month(part: str | None, year: int, month: int) -> tuple[date, str]:
    part = (part or "").lower()
    name = calendar.month_name[month]
    if part in ("early", "the beginning of", "the start of"):
        return date(year, month, 10), f"early {name} {year} = {name} 10"
    if part in ("mid", "the middle of", "middle of"):
        return date(year, month, 20), f"mid-{name} {year} = {name} 20"
    end = _month_end(year, month)
    return end, f"{part + ' ' if part else ''}{name} {year} ends {end.isoformat()}"


FC = FiscalCalendar | None
Result = tuple[date | None, str, bool]  # (resolve-by, rule, vague)
Handler = Callable[[re.Match, date, FC], Result]
_RULES: list[tuple[re.Pattern, Handler]] = []


def _rule(pattern: str) -> Callable[[Handler], Handler]:
    def wrap(fn: Handler) -> Handler:
        _RULES.append((re.compile(pattern, re.IGNORECASE), fn))
        return fn
    return wrap


@_rule(rf"\b(?:(?:with)?in|over|during|for|across)\s+the\s+(?:next|coming|following|upcoming)\s+"
       rf"(?:{_NUM}\s+)?{_UNIT}")
def _next_span(m: re.Match, pub: date, fc: FC) -> Result:
    unit = m.group("unit").lower()
    num = m.group("num")
    n = _n(num) if num else (1 if not m.group(0).lower().endswith("s") else None)
    if n is None:
        return _vague(unit + "s", pub)
    return _add(pub, n, unit), f"published {pub.isoformat()} + {n:g} {_units(unit, n)}", False


@_rule(rf"\b(?:with)?in\s+(?:the\s+)?{_NUM}\s+{_UNIT}(?!\s+(?:or|to|window|period|span|-))"
       rf"(?:'?\s+time)?")
def _in_span(m: re.Match, pub: date, fc: FC) -> Result:
    unit = m.group("unit").lower()
    n = _n(m.group("num"))
    if n is None:
        return _vague(unit + "s", pub)
    return _add(pub, n, unit), f"published {pub.isoformat()} + {n:g} {_units(unit, n)}", False


@_rule(rf"\b{_NUM}\s+{_UNIT}\s+(?:from\s+(?:now|today)|later|hence)")
def _from_now(m: re.Match, pub: date, fc: FC) -> Result:
    return _in_span(m, pub, fc)


def _units(unit: str, n: float) -> str:
    return f"{unit}{'s' if n != 1 else ''}"


def _vague(kind: str, pub: date) -> tuple[date, str, bool]:
    months, why = VAGUE_DEFAULTS[kind]
    return pub + relativedelta(months=months), f"{why} ({pub.isoformat()} + {months} months)", True


@_rule(r"\b(?:in\s+the\s+|over\s+the\s+)?(?:near|short)[- ]term\b|\b(?:very\s+)?soon\b|"
       r"\bbefore\s+long\b|\bshortly\b")
def _near(m: re.Match, pub: date, fc: FC) -> Result:
    return _vague("near", pub)


@_rule(r"\beventually\b|\bin\s+the\s+long\s+(?:run|term)\b|\bover\s+the\s+long\s+term\b|"
       r"\bsooner\s+or\s+later\b|\bone\s+day\b|\bsomeday\b|\bin\s+the\s+(?:distant\s+)?future\b")
def _eventually(m: re.Match, pub: date, fc: FC) -> Result:
    return _vague("eventually", pub)


@_rule(r"\b(?:with)?in\s+(?P<unit>weeks|months|years)\b")
def _within_units(m: re.Match, pub: date, fc: FC) -> Result:
    return _vague(m.group("unit").lower(), pub)


_SEASONS = {"spring": (5, "spring ends 31 May"), "summer": (8, "summer ends 31 August"),
            "autumn": (11, "autumn ends 30 November"), "fall": (11, "fall ends 30 November"),
            "winter": (2, "winter ends in February")}


@_rule(r"\b(?:(?P<which>this|next|by|in|during|over|before|until)\s+(?:the\s+)?)?(?:(?P<part>early|"
       r"late|mid-?)\s*)?(?P<season>spring|summer|autumn|fall|winter)(?:\s+(?:of\s+)?"
       r"(?P<year>20\d\d))?\b")
def _season_of_year(m: re.Match, pub: date, fc: FC) -> Result:
    # Northern-hemisphere seasons, ending at the end of their last month.
    season = m.group("season").lower()
    if season == "fall" and not (m.group("which") or m.group("year")):
        return None, "not a horizon", False  # "a fall in prices"
    if not (m.group("which") or m.group("year") or m.group("part")):
        return None, "not a horizon", False
    month, why = _SEASONS[season]
    if m.group("year"):
        year = int(m.group("year")) + (1 if month == 2 else 0)
    else:
        year = pub.year if date(pub.year, month, 1) >= pub.replace(day=1) else pub.year + 1
        if month == 2 and pub.month >= 3:
            year = pub.year + 1
        if (m.group("which") or "").lower() == "next" and date(year, month, 1) <= pub + \
                relativedelta(months=3):
            year += 1
    end = _month_end(year, month)
    return end, f"{why} (northern hemisphere): {end.isoformat()}", False


@_rule(r"\bfor\s+(?:quite\s+)?(?:some|a\s+long)\s+time\b|\bfor\s+(?:a\s+number\s+of|many|several)"
       r"\s+(?:months|years|weeks)\b|\b(?:months|years)\s+to\s+come\b")
def _for_some_time(m: re.Match, pub: date, fc: FC) -> Result:
    return _vague("long", pub)


@_rule(r"\b(?:(?:later|late|earlier|early)\s+)?this\s+(?P<unit>year|quarter|month|week|decade)\b|"
       r"\b(?:by\s+)?(?:the\s+)?(?:end|rest)\s+of\s+(?:the|this)\s+(?P<unit2>year|quarter|month|"
       r"decade)\b|\b(?:by\s+)?year[- ]end\b|\b(?:the\s+)?current\s+(?P<unit3>year|quarter|"
       r"month|decade)\b|\blater\s+in\s+the\s+(?P<unit4>year|decade)\b")
def _this(m: re.Match, pub: date, fc: FC) -> Result:
    unit = (m.group("unit") or m.group("unit2") or m.group("unit3") or m.group("unit4")
            or "year").lower()
    if unit == "year":
        return date(pub.year, 12, 31), f"the year of publication ends {pub.year}-12-31", False
    if unit == "quarter":
        q = (pub.month - 1) // 3 + 1
        end = _quarter_end(pub.year, q)
        return end, f"the quarter of publication (Q{q} {pub.year}) ends {end.isoformat()}", False
    if unit == "month":
        end = _month_end(pub.year, pub.month)
        return end, f"the month of publication ends {end.isoformat()}", False
    if unit == "week":
        end = pub + timedelta(days=6 - pub.weekday())
        return end, f"the week of publication ends Sunday {end.isoformat()}", False
    end = date(pub.year - pub.year % 10 + 9, 12, 31)
    decade = pub.year - pub.year % 10
    return end, f"the decade of publication ({decade}s) ends {end.isoformat()}", False


@_rule(r"\b(?:(?:around|by|in|at)\s+)?(?:the\s+)?(?:middle\s+of\s+the|mid-?)\s*decade\b")
def _mid_decade(m: re.Match, pub: date, fc: FC) -> Result:
    year = pub.year - pub.year % 10 + 5
    return date(year, 12, 31), f"the middle of the decade = {year}, ends {year}-12-31", False


@_rule(r"\b(?:(?:the\s+)?(?P<half>first|second)\s+half\s+of\s+|early\s+|late\s+)?next\s+"
       r"(?P<unit>year|quarter|month|week|decade)\b")
def _next(m: re.Match, pub: date, fc: FC) -> Result:
    unit = m.group("unit").lower()
    if unit == "year" and (m.group("half") or "").lower() == "first":
        y = pub.year + 1
        return date(y, 6, 30), f"the first half of next year ends {y}-06-30", False
    if unit == "year":
        y = pub.year + 1
        if m.group(0).lower().startswith("early"):
            return date(y, 3, 31), f"early next year = end of March {y}", False
        return date(y, 12, 31), f"next year ends {y}-12-31", False
    if unit == "quarter":
        q = (pub.month - 1) // 3 + 2
        y = pub.year + (q - 1) // 4
        q = (q - 1) % 4 + 1
        end = _quarter_end(y, q)
        return end, f"next quarter (Q{q} {y}) ends {end.isoformat()}", False
    if unit == "month":
        first = (pub.replace(day=1) + relativedelta(months=1))
        end = _month_end(first.year, first.month)
        return end, f"next month ends {end.isoformat()}", False
    if unit == "week":
        end = pub + timedelta(days=13 - pub.weekday())
        return end, f"next week ends Sunday {end.isoformat()}", False
    start = pub.year - pub.year % 10 + 10
    return date(start + 9, 12, 31), f"the next decade ({start}s) ends {start + 9}-12-31", False


@_rule(r"\b(?:by\s+|in\s+|through\s+|during\s+|before\s+|until\s+)?(?:the\s+end\s+of\s+)?"
       r"the\s+(?P<dec>20\d0|19\d0)s\b")
def _decade(m: re.Match, pub: date, fc: FC) -> Result:
    start = int(m.group("dec"))
    return date(start + 9, 12, 31), f"the {start}s end {start + 9}-12-31", False


@_rule(r"\b(?:(?:by|in|during|for|through|throughout|until|before|of)\s+)?"
       r"(?:(?:the\s+)?(?:full|fiscal)\s+year\s+|full[- ]year\s+)?(?:fiscal(?:\s+year)?\s*|FY\s*)"
       r"(?P<fy>20\d\d|'?\d\d)\b")
def _fiscal_year(m: re.Match, pub: date, fc: FC) -> Result:
    fy = m.group("fy").lstrip("'")
    year = int(fy) if len(fy) == 4 else 2000 + int(fy)
    if fc:
        end = fc.quarter_end(4, year)
        return end, (f"fiscal {year} ends {end.isoformat()} (13-week quarters from the stated "
                     f"end of Q{fc.quarter} fiscal {fc.year}, {fc.end.isoformat()})"), False
    return date(year, 12, 31), (f"fiscal {year} taken as calendar {year} (no fiscal calendar "
                                "in the text)"), False


@_rule(r"\b(?:(?:by|in|during|for|through|until|before|of)\s+)?(?:the\s+)?"
       r"(?P<q>first|second|third|fourth|1st|2nd|3rd|4th)[- ]quarter"
       r"(?:\s+(?:of\s+)?(?:(?P<fiscal>fiscal(?:\s+year)?\s*)|(?:calendar\s+))?(?P<year>20\d\d)|"
       r"\s+of\s+(?:this|the)\s+year)?\b|"
       r"\b(?P<qq>Q[1-4])\s*(?P<fiscal2>FY\s*)?'?(?P<year2>20\d\d|\d\d)?\b")
def _quarter(m: re.Match, pub: date, fc: FC) -> Result:
    q = ORDINALS[(m.group("q") or m.group("qq")).lower()]
    ytext = m.group("year") or m.group("year2")
    if not ytext and m.group("q") and "-" not in m.group(0) and not _FINANCE.search(m.string):
        return None, "not a horizon", False  # "fourth quarter leads": a period of a game
    fiscal = bool(m.group("fiscal") or m.group("fiscal2"))
    year = (int(ytext) if len(ytext) == 4 else 2000 + int(ytext)) if ytext else pub.year
    if fiscal and fc:
        end = fc.quarter_end(q, year)
        return end, (f"Q{q} of fiscal {year} ends {end.isoformat()} (13-week quarters from the "
                     f"stated end of Q{fc.quarter} fiscal {fc.year}, {fc.end.isoformat()})"), False
    end = _quarter_end(year, q)
    note = "" if not fiscal else (" (fiscal quarter taken as calendar: no fiscal calendar in "
                                  "the text)")
    return end, f"Q{q} {year} ends {end.isoformat()}{note}", False


@_rule(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+{_YEAR})?\b")
def _month_day(m: re.Match, pub: date, fc: FC) -> Result:
    return _day(m, pub)


@_rule(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?\b")
def _day_month(m: re.Match, pub: date, fc: FC) -> Result:
    return _day(m, pub)


def _day(m: re.Match, pub: date) -> tuple[date | None, str, bool]:
    month = MONTHS[m.group("month").lower().rstrip(".")]
    day = int(m.group("day"))
    year = int(m.group("year")) if m.group("year") else _closest_year(pub, month, day)
    if not m.group("year") and _past_context(m) and date(year, month, min(day, 28)) > pub:
        year -= 1
    try:
        when = date(year, month, day)
    except ValueError:
        return None, "not a date", False
    how = "as written" if m.group("year") else "the next such date after publication"
    return when, f"{when.isoformat()} ({how})", False


@_rule(r"\b(?P<y>20\d\d)-(?P<m>\d\d)-(?P<d>\d\d)\b")
def _iso(m: re.Match, pub: date, fc: FC) -> Result:
    try:
        when = date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None, "not a date", False
    return when, f"{when.isoformat()} as written", False


@_rule(rf"\b(?:(?:by|in|during|until|before|through|from|into|for|of)\s+)?{_PART}?[- ]?"
       rf"(?<![A-Za-z]){_MONTH}(?:,?\s+{_YEAR})?\b(?!\s*\d{{1,2}}(?:st|nd|rd|th)?\b)")
def _month(m: re.Match, pub: date, fc: FC) -> Result:
    name = m.group("month")
    text = m.group(0).strip()
    # "May" and "March" are words too: a bare month needs a preposition, a part or a year.
    if text == name and not m.group("year"):
        return None, "not a horizon", False
    if name.lower() == "may" and not m.group("year") and not m.group("part") and \
            not re.match(r"(?i)(by|in|during|until|before|through|from|into)\s", text):
        return None, "not a horizon", False
    month = MONTHS[name.lower().rstrip(".")]
    year = int(m.group("year")) if m.group("year") else _closest_year(pub, month)
    if not m.group("year") and _past_context(m) and date(year, month, 1) > pub:
        year -= 1
    when, why = _part_of_month(m.group("part"), year, month)
    return when, why, False


@_rule(rf"\b(?:(?:by|in|during|for|through|throughout|until|before|of|over)\s+)?"
       rf"(?:{_PART}[- ]?\s*)?(?<![/\d])(?<!\d-){_YEAR}(?![-/]\d)(?!\s*(?:-|to)\s*\d)\b")
def _year(m: re.Match, pub: date, fc: FC) -> Result:
    year = int(m.group("year"))
    when, why = _part_of_year(m.group("part"), year)
    return when, why, False


@_rule(r"\b(?:on|by|this|next|until|before|coming)\s+(?P<wd>Monday|Tuesday|Wednesday|Thursday|"
       r"Friday|Saturday|Sunday)\b")
def _weekday(m: re.Match, pub: date, fc: FC) -> Result:
    wd = WEEKDAYS[m.group("wd").lower()]
    if _past_context(m):
        # "said on Monday" in a news story: the Monday before publication
        back = (pub.weekday() - wd) % 7 or 7
        when = pub - timedelta(days=back)
        return when, f"the {m.group('wd')} before publication, {when.isoformat()}", False
    ahead = (wd - pub.weekday()) % 7 or 7
    if m.group(0).lower().startswith("next") and ahead < 7:
        ahead += 7 if pub.weekday() >= wd else 0
    when = pub + timedelta(days=ahead)
    return when, f"the next {m.group('wd')} after publication is {when.isoformat()}", False


@_rule(r"\b(?:in\s+|during\s+|over\s+)?(?:the\s+)?(?P<half>first|second)\s+half(?:\s+of\s+(?:the|this)"
       r"\s+year)?\b(?!\s+of\s+(?:20\d\d|next))|\bfull[- ]year\b(?!\s+(?:fiscal|20\d\d))")
def _half(m: re.Match, pub: date, fc: FC) -> Result:
    if not m.group("half"):
        return date(pub.year, 12, 31), f"the full year of publication ends {pub.year}-12-31", False
    if m.group("half").lower() == "first":
        return date(pub.year, 6, 30), f"the first half of {pub.year} ends {pub.year}-06-30", False
    return date(pub.year, 12, 31), f"the second half of {pub.year} ends {pub.year}-12-31", False


@_rule(r"\btomorrow\b")
def _tomorrow(m: re.Match, pub: date, fc: FC) -> Result:
    return pub + timedelta(days=1), f"the day after publication, {pub + timedelta(days=1)}", False


@_rule(r"\b(?:this|the|next)\s+(?:post)?season\b|\b(?:the|this)\s+(?:playoffs|postseason)\b")
def _season(m: re.Match, pub: date, fc: FC) -> Result:
    return _vague("season", pub)


_FINANCE = re.compile(r"\b(?:revenue|growth|gdp|earnings|sales|profits?|results|margins?|guidance|"
                      r"outlook|forecasts?|economy|deliveries|inflation|income|expenses?|"
                      r"dividend|quarterly|fiscal)\b", re.IGNORECASE)
def find_horizons(text: str, published: date, fiscal: FiscalCalendar | None = None
                  ) -> list[Horizon]:
    """Every horizon phrase in ``text``, leftmost first, longest at a place.

    Phrases before the publication date come back with ``past=True``.
    """
    return list(_find(text, published, fiscal))


@lru_cache(maxsize=8192)
def _find(text: str, published: date, fiscal: FiscalCalendar | None) -> tuple[Horizon, ...]:
    # Cached: the extractor reads a paragraph's later sentences again for undated claims.
    found: list[Horizon] = []
    for pattern, handler in _RULES:
        for m in pattern.finditer(text):
            when, rule, vague = handler(m, published, fiscal)
            if when is None and not vague:
                continue
            s, e = m.start(), m.end()
            phrase = text[s:e].strip()
            lead = len(text[s:e]) - len(text[s:e].lstrip())
            found.append(Horizon(phrase, s + lead, s + lead + len(phrase), when, rule, vague,
                                 past=when is not None and when < published))
    found.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[Horizon] = []
    for h in found:
        if kept and h.start < kept[-1].end:
            continue
        kept.append(h)
    return tuple(kept)


def resolve_phrase(phrase: str, published: date, fiscal: FiscalCalendar | None = None
                   ) -> Horizon | None:
    """The first horizon in ``phrase`` (None when it has none), read against ``published``.

    >>> resolve_phrase("within 12 months", date(2026, 5, 21)).resolve_by
    datetime.date(2027, 5, 21)
    """
    found = [h for h in find_horizons(phrase, published, fiscal)]
    return found[0] if found else None


def default_resolve_by(published: date) -> tuple[date, str]:
    """The documented default for a claim with no horizon and no article-wide window."""
    when = published + relativedelta(months=NO_HORIZON_DEFAULT)
    return when, (f"no horizon in the text; default of {NO_HORIZON_DEFAULT} months applied "
                  f"({published.isoformat()} + {NO_HORIZON_DEFAULT} months)")
