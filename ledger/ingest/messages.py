"""What the doors say when a rule of :mod:`ledger.rules` refuses something: one text per rule,
used by the YAML planner (:mod:`ledger.ingest.plan`) and the CSV/Parquet door
(:mod:`ledger.ingest.bulk`) alike, so the same bad fact is refused in the same words.
"""

from __future__ import annotations

from datetime import date, datetime

IMPLIED_NEEDS_PHRASE = ("missing: a forecast with basis: implied needs the phrase it was "
                        "implied from")


def late_message(made_on: date, resolved_on: date) -> str:
    return (f"{made_on} is after the question resolved on {resolved_on}; "
            "a forecast made once the outcome was known cannot be logged")


def recorded_before_message(recorded_at: datetime, made_at: datetime) -> str:
    return f"{recorded_at} is before the forecast was made ({made_at})"


def future_forecast_message(made_at: str) -> str:
    return f"{made_at} is in the future (log a forecast once it is made)"


def future_recorded_message(recorded_at: datetime) -> str:
    return f"{recorded_at.isoformat()} is in the future (the ledger cannot have received it yet)"


def future_resolution_message(resolved_on: date) -> str:
    return f"{resolved_on} is in the future; resolve once it has happened"


def before_opened_message(day: date, opened: date) -> str:
    return f"{day} is before the question was opened ({opened})"


def duplicate_message(forecaster: str, made_at: str, line: int | None) -> str:
    return f"{forecaster} already has a forecast made at {made_at} on this question (line {line})"


def unchanged_correction_message() -> str:
    return ("this correction changes nothing (same outcome, date, evidence and note as the "
            "resolution before it)")
