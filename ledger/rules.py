"""The ledger's domain rules, each defined once.

Every door (YAML import, CSV/Parquet import, the CLI and the dashboard's forms, restore) and
every reader (the views, listing, the fast scoring selection, export) calls these. Where a rule
is needed in SQL, the SQL is built here from the same definition, and ``tests/test_rules.py``
checks each Python form against its SQL form on generated rows.

This module imports nothing heavy (no duckdb, pydantic or numpy): ``list`` loads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

# -- outcomes and statuses -------------------------------------------------------------------

#: How a question can resolve. Only yes and no are scored: ambiguous (the facts cannot settle
#: it) and annulled (the premise failed) never are.
OUTCOMES = ("yes", "no", "ambiguous", "annulled")
SCORED_OUTCOMES = ("yes", "no")

#: A question's status, derived from its current resolution and its resolve-by date.
STATUSES = ("open", "overdue", "resolved", "ambiguous", "annulled")
#: The statuses of questions that have a resolution, and of those that have none.
RESOLVED_STATUSES = ("resolved", "ambiguous", "annulled")
UNRESOLVED_STATUSES = ("open", "overdue")

#: Where a forecast's probability came from.
BASES = ("stated", "implied")

# -- what the library offers, named once for the library and the faces' choices -------------

#: Which forecasts of a (question, forecaster) pair are scored.
MODES = ("final", "first", "time-averaged")
#: What scores and calibration can be grouped by.
GROUPINGS = ("forecaster", "tag", "source", "month", "horizon")
#: Scoring rules.
SCORE_RULES = ("brier", "log")
#: How calibration bins forecasts (corp: the CORP curve, no bins).
CALIBRATION_STRATEGIES = ("uniform", "quantile", "corp")
#: Export formats.
EXPORT_FORMATS = ("yaml", "json", "csv", "parquet", "ics")


def status(outcome: str | None, resolve_by: date, today: date) -> str:
    """The status of a question: resolved/ambiguous/annulled once resolved, else open until
    its resolve-by date has passed, overdue from the day after.

    >>> status(None, date(2026, 5, 21), date(2026, 5, 21))
    'open'
    >>> status(None, date(2026, 5, 21), date(2026, 5, 22))
    'overdue'
    >>> status("no", date(2026, 5, 21), date(2026, 5, 22))
    'resolved'
    """
    if outcome in SCORED_OUTCOMES:
        return "resolved"
    if outcome is not None:
        return outcome
    return "overdue" if resolve_by < today else "open"


def status_sql(outcome: str, resolve_by: str, today: str) -> str:
    """:func:`status` as a SQL expression over the named columns (``today`` a DATE)."""
    scored = ", ".join(f"'{o}'" for o in SCORED_OUTCOMES)
    return (f"CASE WHEN {outcome} IN ({scored}) THEN 'resolved' "
            f"WHEN {outcome} IS NOT NULL THEN {outcome} "
            f"WHEN {resolve_by} < {today} THEN 'overdue' ELSE 'open' END")


# -- ids and sizes ---------------------------------------------------------------------------

#: A question or source id: lowercase letters, digits, '-', '_' or '.'.
ID_PATTERN = r"[a-z0-9][a-z0-9._-]{0,99}"
ID_MAX = 100
NAME_MAX = 100          # forecaster, publisher, author
SHORT_TEXT_MAX = 500    # titles, reasons, notes of a reference
LONG_TEXT_MAX = 5000    # criteria, rationales, resolution notes
QUESTION_MIN, QUESTION_MAX = 5, 1000
TAG_MAX, TAGS_MAX = 50, 20
#: The flat formats (CSV, Parquet) hold a question's tags in one cell, joined by this; so a tag
#: may hold neither it nor a space or comma (what a person would read as two tags).
TAG_SEPARATOR = ";"
TAG_PATTERN = r"^[^\s,;]+$"
QUOTE_WORDS_MAX = 40


# -- time: what counts as the future ----------------------------------------------------------

#: The earliest UTC offset in use is -12:00 and the latest +14:00, so a calendar date alone may
#: already have begun somewhere up to 14 hours ahead of UTC.
AHEAD_OF_UTC = timedelta(hours=14)


def latest_day(now_utc: datetime) -> date:
    """The latest calendar date that may already have begun somewhere (UTC+14).

    A date alone (a forecast's ``made_at: 2026-05-22``, a ``resolved_on``) is in the future only
    when it is later than this.

    >>> latest_day(datetime(2026, 5, 21, 9, 0))
    datetime.date(2026, 5, 21)
    >>> latest_day(datetime(2026, 5, 21, 11, 0))
    datetime.date(2026, 5, 22)
    """
    return (now_utc + AHEAD_OF_UTC).date()


def in_future(utc: datetime | None, day: date, has_time: bool, now_utc: datetime) -> bool:
    """Whether a moment is in the future: an instant after now, or a date alone after
    :func:`latest_day`."""
    if has_time and utc is not None:
        return utc > now_utc
    return day > latest_day(now_utc)


# -- late forecasts -------------------------------------------------------------------------

def is_late(*, seq: int, recorded_at: datetime, made_on: date,
            first_resolution_seq: int | None, first_resolution_recorded_at: datetime | None,
            resolved_on: date | None) -> bool:
    """Whether a forecast is late: kept in history, flagged, never scored.

    A forecast is late when the ledger received it after the question's first resolution
    (its entry comes after that resolution's entry: what the ledger knew when it was appended,
    not what a file claims), or when a ``recorded_at`` claimed for it is after the one claimed
    for that resolution (a claim can only make a forecast later, never earlier), or when it was
    made after the day the event resolved (``resolved_on`` of the current resolution).

    >>> is_late(seq=5, recorded_at=datetime(2026, 1, 2), made_on=date(2026, 1, 1),
    ...         first_resolution_seq=4, first_resolution_recorded_at=datetime(2026, 1, 3),
    ...         resolved_on=date(2026, 1, 1))
    True
    """
    if first_resolution_seq is None:
        return False
    return (seq > first_resolution_seq
            or (first_resolution_recorded_at is not None
                and recorded_at > first_resolution_recorded_at)
            or (resolved_on is not None and made_on > resolved_on))


def late_sql(forecast: str, resolution: str) -> str:
    """:func:`is_late` in SQL, for a forecast row aliased ``forecast`` joined (LEFT) to a row
    aliased ``resolution`` holding ``first_seq``, ``first_recorded_at`` and ``resolved_on`` of
    the question's current resolution (see :func:`resolution_aggregates_sql`)."""
    f, r = forecast, resolution
    return (f"coalesce({f}.seq > {r}.first_seq OR {f}.recorded_at > {r}.first_recorded_at "
            f"OR {f}.made_on > {r}.resolved_on, false)")


def refused_after_outcome(made_on: date, resolved_on: date | None,
                          logged_after_resolution: bool) -> bool:
    """Whether a forecast must be refused: logged once the outcome was known, and made after
    the day the event resolved. (One logged before the resolution but made after its date,
    as when a resolution is recorded with an earlier ``resolved_on``, is kept and flagged
    late; refusing it on restore would make the ledger's own export unimportable.)"""
    return logged_after_resolution and resolved_on is not None and made_on > resolved_on


def refused_after_outcome_sql(made_on: str, resolved_on: str, logged_after_resolution: str
                              ) -> str:
    """:func:`refused_after_outcome` as a SQL boolean over the named expressions."""
    return (f"coalesce(({logged_after_resolution}) AND {resolved_on} IS NOT NULL "
            f"AND {made_on} > {resolved_on}, false)")


# -- which version and which resolution are current --------------------------------------------

#: A question's current version is its highest ``version``; its current resolution is its
#: latest resolution entry (highest ``seq``): a correction supersedes what came before.
QUESTION_VERSION_ORDER = "version"
RESOLUTION_ORDER = "seq"


def resolution_aggregates_sql(table: str = "resolutions") -> str:
    """SELECT list, per ``question_id`` (GROUP BY it), of the current resolution's outcome and
    ``resolved_on`` and the first resolution's ``first_seq`` and ``first_recorded_at``: what
    :func:`late_sql` and :func:`status_sql` need."""
    o = RESOLUTION_ORDER
    return (f"{table}.question_id, arg_max({table}.outcome, {table}.{o}) AS outcome, "
            f"arg_max({table}.resolved_on, {table}.{o}) AS resolved_on, "
            f"min({table}.seq) AS first_seq, min({table}.recorded_at) AS first_recorded_at")


def current_questions_sql(table: str = "questions") -> str:
    """Each question's current version (all columns) from ``table``."""
    return (f"SELECT * FROM {table} QUALIFY row_number() OVER "
            f"(PARTITION BY id ORDER BY {QUESTION_VERSION_ORDER} DESC) = 1")


#: What a question's version is made of: a change in any of these is a new version.
QUESTION_CONTENT = (
    "question", "criteria", "resolve_by", "opened", "tags", "source_id", "quote", "horizon",
    "resolve_by_rule", "reference_probability", "reference_note", "blind",
)
#: A correction must change at least one of these (a new reason alone changes nothing).
RESOLUTION_FACTS = ("outcome", "resolved_on", "evidence", "note")


def correction_changes(current: dict, new: dict) -> list[str]:
    """The facts a correction changes; an empty list means it corrects nothing."""
    return [k for k in RESOLUTION_FACTS if current.get(k) != new.get(k)]


def before_opened(day: date, opened: date | None) -> bool:
    """A forecast made, or an event resolved, before the question was opened, is refused."""
    return opened is not None and day < opened


# -- blind questions: who may see whose forecasts ------------------------------------------------

def hidden_from(blind: bool, viewer: str | None, forecasters: Iterable[str]) -> bool:
    """Whether others' forecasts on a question are hidden from ``viewer``.

    On a blind question others' forecasts stay hidden until the viewer has logged one of
    their own; with no viewer (nobody is known to be looking) they stay hidden too.

    >>> hidden_from(True, "alice", ["bob"]), hidden_from(True, "bob", ["bob"])
    (True, False)
    >>> hidden_from(True, None, ["bob"]), hidden_from(False, None, ["bob"])
    (True, False)
    """
    if not blind:
        return False
    return viewer is None or viewer not in set(forecasters)


def visible_forecasts(rows: list[dict], blind: bool, viewer: str | None,
                      key: str = "forecaster") -> tuple[list[dict], bool]:
    """``(the rows viewer may see, whether others' were hidden)`` for one question."""
    hidden = hidden_from(blind, viewer, (r[key] for r in rows))
    if not hidden:
        return rows, False
    return [r for r in rows if r[key] == viewer], True


def withheld_sql(question: str, forecast: str, viewer: str) -> str:
    """:func:`hidden_from` as a SQL boolean over a forecast row aliased ``forecast`` of a
    question row aliased ``question`` (with ``blind``): true where the row is someone else's
    on a blind question that ``viewer`` (a SQL expression, NULL for nobody) has not forecast."""
    q, f = question, forecast
    return (f"coalesce({q}.blind AND ({viewer} IS NULL OR ({f}.forecaster <> {viewer} "
            f"AND NOT EXISTS (SELECT 1 FROM forecasts seen WHERE seen.question_id = "
            f"{f}.question_id AND seen.forecaster = {viewer}))), false)")
