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


# -- fixing mistakes: edits, withdrawals, merges (issue #14) -------------------------------------
# Every fix is a new entry; nothing is changed in place. These rules say what each fix means for
# the forecasts that count, and each has an SQL form for the readers (list, show, scoring).

#: What a question asks: an edit that changes one of these makes the forecasts made before it
#: answer an older text (flagged), unless the edit is marked a clarification (a wording fix, or
#: a resolve-by date put right). Tags or a quote do not change what is asked.
MEANING_FIELDS = ("question", "criteria", "resolve_by")


def changes_meaning(before: dict | None, after: dict) -> bool:
    """Whether version ``after`` changes what version ``before`` asked (a first version, with
    no ``before``, changes nothing); a version marked ``clarification`` never does.

    >>> changes_meaning({"question": "a", "criteria": "c", "resolve_by": 1},
    ...                 {"question": "b", "criteria": "c", "resolve_by": 1})
    True
    >>> changes_meaning({"question": "a", "criteria": "c", "resolve_by": 1},
    ...                 {"question": "b", "criteria": "c", "resolve_by": 1, "clarification": True})
    False
    """
    if before is None or after.get("clarification"):
        return False
    return any(before[k] != after[k] for k in MEANING_FIELDS)


def meaning_changed_at(versions: list[dict]) -> datetime | None:
    """When the question last changed what it asks (``recorded_at`` of the latest version that
    :func:`changes_meaning`), or None: a forecast recorded before it answers an older text."""
    out = None
    for before, after in zip([None, *versions], versions, strict=False):
        if changes_meaning(before, after):
            out = after["recorded_at"] if out is None else max(out, after["recorded_at"])
    return out


def meaning_changes_sql(table: str = "questions") -> str:
    """:func:`meaning_changed_at` per question: rows ``(id, meaning_changed_at)``, only of
    questions whose meaning changed."""
    lags = " OR ".join(f"{c} IS DISTINCT FROM lag({c}) OVER w" for c in MEANING_FIELDS)
    return (f"SELECT id, max(recorded_at) AS meaning_changed_at FROM ("
            f"SELECT id, recorded_at, version > 1 AND NOT coalesce(clarification, false) "
            f"AND ({lags}) AS changed FROM {table} "
            f"WINDOW w AS (PARTITION BY id ORDER BY {QUESTION_VERSION_ORDER})) "
            f"WHERE changed GROUP BY id")


def moved_goalposts(versions: list[dict], first_forecast_at: datetime | None) -> list[dict]:
    """The versions that moved the resolve-by date after a forecast was made (recorded after
    the question's first forecast was): ``{"version", "from", "to", "recorded_at"}`` each.
    Flagged whether or not the edit was marked a clarification: moving the date decides which
    events count, and a reader of the scores should see it."""
    out = []
    for before, after in zip(versions, versions[1:], strict=False):
        if (before["resolve_by"] != after["resolve_by"] and first_forecast_at is not None
                and first_forecast_at < after["recorded_at"]):
            out.append({"version": after["version"], "from": before["resolve_by"],
                        "to": after["resolve_by"], "recorded_at": after["recorded_at"]})
    return out


def moved_goalposts_sql(questions: str = "questions", forecasts: str = "forecasts") -> str:
    """:func:`moved_goalposts` of every question: rows ``(id, version, from, to,
    recorded_at)``, ordered by id and version."""
    return (f"SELECT v.id, v.version, v.prev AS \"from\", v.resolve_by AS \"to\", v.recorded_at "
            f"FROM (SELECT id, version, resolve_by, recorded_at, lag(resolve_by) OVER "
            f"(PARTITION BY id ORDER BY {QUESTION_VERSION_ORDER}) AS prev FROM {questions}) v "
            f"JOIN (SELECT question_id, min(recorded_at) AS first_at FROM {forecasts} "
            f"GROUP BY question_id) f ON f.question_id = v.id "
            f"WHERE v.prev IS NOT NULL AND v.prev <> v.resolve_by AND f.first_at < v.recorded_at "
            f"ORDER BY v.id, v.version")


def merged_into(merges: Iterable[tuple[str, str]], limit: int = 100) -> dict[str, str]:
    """Each merged duplicate's id -> the id it resolves to, following chains (a question kept
    once and merged later): the question that is no duplicate. Every door refuses a merge
    that would make a cycle; a cycle in an edited file maps none of its ids (and ``limit``
    bounds the walk)."""
    into = dict(merges)
    out = {}
    for dup in into:
        kept, steps = into[dup], 0
        while kept in into and steps < limit:
            kept, steps = into[kept], steps + 1
        if kept not in into:
            out[dup] = kept
    return out


def merged_into_sql(table: str = "merges", limit: int = 100) -> str:
    """:func:`merged_into` as rows ``(duplicate, kept)``."""
    return (f"SELECT duplicate, kept FROM (WITH RECURSIVE chain(duplicate, kept, steps) AS ("
            f"SELECT duplicate_id, kept_id, 0 FROM {table} UNION ALL "
            f"SELECT c.duplicate, m.kept_id, c.steps + 1 FROM chain c "
            f"JOIN {table} m ON m.duplicate_id = c.kept WHERE c.steps < {limit}) "
            f"SELECT DISTINCT duplicate, kept FROM chain "
            f"WHERE kept NOT IN (SELECT duplicate_id FROM {table})) merged")


def withdrawn_sql(forecast: str) -> str:
    """Whether the forecast row aliased ``forecast`` was withdrawn (an entry of ``withdrawals``
    names its entry number): it stays in history and is never scored."""
    return (f"({forecast}.seq IN (SELECT forecast_seq FROM withdrawals "
            f"WHERE forecast_seq IS NOT NULL))")


def standing(forecasts: list[dict], withdrawn: Iterable[int]) -> list[dict]:
    """The forecasts that were not withdrawn: the one before a withdrawn forecast stands again.

    >>> [f["seq"] for f in standing([{"seq": 1}, {"seq": 2}], {2})]
    [1]
    """
    gone = set(withdrawn)
    return [f for f in forecasts if f["seq"] not in gone]


def forecast_order(f: dict) -> tuple:
    """The order of a forecaster's forecasts on a question (:mod:`ledger.storage.order`)."""
    return (f["made_on"], f["made_at"], f["seq"])


def withdrawal_target(forecasts: list[dict], withdrawn: Iterable[int]) -> dict | None:
    """The forecast a withdrawal takes back: the forecaster's latest one still standing."""
    left = standing(forecasts, withdrawn)
    return max(left, key=forecast_order) if left else None


def counted_forecasts_sql(table: str = "forecasts") -> str:
    """The forecasts as the readers count them: withdrawn ones left out, and those logged on a
    merged duplicate counted on the question it was merged into (``question_id`` is the kept
    question's; ``logged_on`` the question it was logged on)."""
    return (f"SELECT f.* REPLACE (coalesce(m.kept, f.question_id) AS question_id), "
            f"f.question_id AS logged_on FROM {table} f "
            f"LEFT JOIN ({merged_into_sql()}) m ON m.duplicate = f.question_id "
            f"WHERE NOT {withdrawn_sql('f')}")


def may_fix(resolved: bool) -> bool:
    """Forecasts are withdrawn, and questions merged, only while the outcome is unknown: once a
    question has a resolution, taking a forecast back (or adding a duplicate's) would choose
    what is scored knowing the answer."""
    return not resolved


#: Whether a ledger holds any withdrawal or merge: most hold none, and readers then read the
#: forecasts table as it is (cheaper than :func:`counted_forecasts_sql` on millions of rows).
HAS_FIXES_SQL = ("SELECT EXISTS (SELECT 1 FROM withdrawals) OR EXISTS (SELECT 1 FROM merges)")


def counted_forecasts_from(has_fixes: bool) -> str:
    """What readers select forecasts from: the table, or :func:`counted_forecasts_sql`."""
    return f"({counted_forecasts_sql()})" if has_fixes else "forecasts"
