"""The values the filters can take (forecasters, tags, sources), and why a filtered read came
back empty.

A face that got nothing back asks :func:`why_empty`: an empty ledger, a filter naming a value
the ledger does not hold (with the values it does hold, for the message), or filters that are
all known but match nothing together. The faces word the message; the values come from here.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: The filters this module knows, in the order :func:`why_empty` checks them.
FILTERS = ("forecaster", "tag", "source")


def forecasters(con: Any) -> list[str]:
    """Every forecaster with a forecast in the ledger, by name."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT forecaster FROM forecasts ORDER BY forecaster").fetchall()]


def tags(con: Any) -> list[str]:
    """Every tag of a question's current version, sorted."""
    # Read from questions: the current_questions view would also compute
    # edited_after_forecast, an EXISTS over every forecast.
    return [r[0] for r in con.execute(
        "SELECT DISTINCT unnest(tags) AS t FROM (SELECT tags FROM questions QUALIFY "
        "row_number() OVER (PARTITION BY id ORDER BY version DESC) = 1) ORDER BY t").fetchall()]


def sources(con: Any) -> dict[str, str]:
    """``{source id: title}`` of every source, by id."""
    return {r[0]: r[1] for r in con.execute(
        "SELECT id, title FROM sources QUALIFY row_number() OVER (PARTITION BY id ORDER BY seq)"
        " = 1 ORDER BY id").fetchall()}


def facets(con: Any) -> dict[str, Any]:
    """``{"forecasters": [...], "tags": [...], "sources": {id: title}}``."""
    return {"forecasters": forecasters(con), "tags": tags(con), "sources": sources(con)}


def question_count(con: Any) -> int:
    return con.execute("SELECT count(DISTINCT id) FROM questions").fetchall()[0][0]


@dataclass(frozen=True)
class Unknown:
    """A filter whose value the ledger does not hold: ``known`` are the values it holds,
    ``close`` those of them that look like the value given (closest first)."""

    filter: str
    value: str
    known: list[str]
    close: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Empty:
    """Why a filtered read found nothing: ``no_questions`` (the ledger holds none),
    ``unknown`` (a filter's value the ledger does not hold), else the filters' values are all
    known and match nothing together (or, with no filters, nothing qualifies yet)."""

    no_questions: bool
    unknown: Unknown | None
    filtered: bool


def _values(con: Any, name: str) -> list[str]:
    return {"forecaster": forecasters, "tag": tags,
            "source": lambda c: list(sources(c))}[name](con)


def unknown_filter(con: Any, **given: str | Sequence[str] | None) -> Unknown | None:
    """The first of ``forecaster``, ``tag``, ``source`` given whose value (or one of whose
    values) the ledger does not hold, else None."""
    for name in FILTERS:
        wanted = given.get(name)
        if not wanted:
            continue
        known = _values(con, name)
        held = set(known)
        for value in ([wanted] if isinstance(wanted, str) else list(wanted)):
            if value not in held:
                lowered = {k.lower(): k for k in known}
                close = ([lowered[value.lower()]] if value.lower() in lowered else [])
                close += [k for k in difflib.get_close_matches(value, known, n=3, cutoff=0.6)
                          if k not in close]
                return Unknown(name, value, known, close)
    return None


def why_empty(con: Any, **given: Any) -> Empty:
    """Why a read filtered by ``given`` (``forecaster``, ``tag``, ``source``, and any other
    filter, e.g. ``since``, ``status``, counted only as given or not) found nothing."""
    return Empty(no_questions=question_count(con) == 0,
                 unknown=unknown_filter(con, **{k: v for k, v in given.items() if k in FILTERS}),
                 filtered=any(v not in (None, "", (), []) for v in given.values()))


def shown_values(unknown: Unknown, limit: int = 12) -> str:
    """The values to offer instead, for a message: all when few, else the close ones first and
    how many there are in all."""
    known = unknown.known
    if not known:
        return "none yet"
    if len(known) <= limit:
        return ", ".join(known)
    first = unknown.close + [k for k in known if k not in unknown.close]
    return ", ".join(first[:limit]) + f", ... ({len(known)} in all)"
