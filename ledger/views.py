"""Read helpers for the dashboard: the ledger's facts as display-ready tables and figures.

Every function here takes an open DuckDB connection (as :mod:`ledger.queries` does) and returns
plain data: dicts, lists and pandas DataFrames whose dates are ISO texts (pandas 3 would turn a
DATE into a datetime64 shown with ``00:00:00``). Nothing here imports streamlit, keeps a
connection, or computes a score: scores come from :mod:`ledger.report`. The dashboard calls
:func:`run`, which opens a short-lived connection per call, and caches the results keyed on the
ledger's path and newest entry number.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ledger.dates import to_local
from ledger.probability import format_probability
from ledger.queries import counts, latest_seq, list_questions, question_detail
from ledger.render import days_text, forecasts_text
from ledger.store import Ledger

UNRESOLVED = ("open", "overdue")
DEMO_TITLE_PREFIX = "SYNTHETIC DEMO"

#: Shown when there is no ledger file yet.
NO_LEDGER_HINT = ("Run `forecast-ledger import forecasts/` to create it from forecast files, "
                  "add a first question on the Log / resolve page, or try "
                  "`forecast-ledger demo` and open `demo.duckdb`.")


# -- plumbing -------------------------------------------------------------------------------

def run(path: str | Path, name: str, /, **kwargs: Any) -> Any:
    """Call the helper ``name`` of this module on a short-lived connection to ``path``."""
    fn = globals()[name]
    with Ledger(path).connect() as con:
        return fn(con, **kwargs)


def ledger_state(path: str | Path) -> dict[str, Any]:
    """Which ledger is open: its path, whether it exists, its newest entry, demo or not."""
    ledger = Ledger(path)
    out: dict[str, Any] = {"path": str(Path(path).resolve()), "exists": ledger.exists(),
                           "seq": 0, "demo": False}
    if out["exists"]:
        with ledger.connect() as con:
            out["seq"] = latest_seq(con)
            out["demo"] = is_demo(con)
    return out


def is_demo(con: Any) -> bool:
    """True when the ledger holds synthetic demo data (a source titled "SYNTHETIC DEMO ...")."""
    return bool(con.execute("SELECT count(*) FROM sources WHERE starts_with(title, $1)",
                            [DEMO_TITLE_PREFIX]).fetchall()[0][0])


def date_text(value: Any) -> str:
    """A date (or the date of a datetime / pandas Timestamp) as YYYY-MM-DD; '' for nothing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def time_text(value: Any) -> str:
    """A stored instant (naive UTC) in the user's zone, to the minute."""
    if value is None:
        return ""
    return to_local(value).strftime("%Y-%m-%d %H:%M")


def safe_url(url: Any) -> str | None:
    """``url`` when it is a plain http(s) address, else None (never a javascript: link)."""
    if isinstance(url, str) and re.fullmatch(r"https?://[^\s<>\"']+", url):
        return url
    return None


def percent(p: float | None) -> str:
    return "" if p is None else format_probability(p)


# -- filters and pickers --------------------------------------------------------------------

def filter_options(con: Any) -> dict[str, Any]:
    """Values the filters offer: tags, forecasters, sources (id -> title)."""
    tags = [r[0] for r in con.execute(
        "SELECT DISTINCT unnest(tags) AS t FROM current_questions ORDER BY t").fetchall()]
    forecasters = [r[0] for r in con.execute(
        "SELECT DISTINCT forecaster FROM forecasts ORDER BY forecaster").fetchall()]
    sources = {r[0]: r[1] for r in con.execute(
        "SELECT id, title FROM sources QUALIFY row_number() OVER (PARTITION BY id ORDER BY seq)"
        " = 1 ORDER BY id").fetchall()}
    return {"tags": tags, "forecasters": forecasters, "sources": sources}


def question_choices(con: Any, *, statuses: tuple[str, ...] | None = None,
                     today: date | None = None) -> dict[str, str]:
    """``{id: label}`` of questions (optionally only those in ``statuses``), by resolve-by."""
    out = {}
    for q in list_questions(con, today=today):
        if statuses is None or q["status"] in statuses:
            text = q["question"] if len(q["question"]) <= 90 else q["question"][:87] + "..."
            out[q["id"]] = f"{q['id']}: {text}"
    return out


# -- overview -------------------------------------------------------------------------------

def overview(con: Any, *, today: date | None = None, due_days: int = 30,
             timeline_rows: int = 15) -> dict[str, Any]:
    """Counts by status and the next unresolved questions (overdue first) for a timeline."""
    qs = [q for q in list_questions(con, today=today) if q["status"] in UNRESOLVED]
    upcoming = qs[:timeline_rows]
    labels: list[str] = []
    for q in upcoming:
        label = q["question"] if len(q["question"]) <= 70 else q["question"][:67] + "..."
        labels.append(f"{label} ({q['id']})" if label in labels else label)
    timeline = pd.DataFrame({
        "id": [q["id"] for q in upcoming],
        "label": labels,
        "question": [q["question"] for q in upcoming],
        "resolve_by": [date_text(q["resolve_by"]) for q in upcoming],
        "status": [q["status"] for q in upcoming],
        "when": [days_text(q["status"], q["days_left"]) for q in upcoming],
    })
    return {"counts": counts(con, today=today, due_days=due_days), "timeline": timeline}


# -- open / due / overdue -------------------------------------------------------------------

def unresolved_table(con: Any, *, tag: str | None = None, forecaster: str | None = None,
                     source: str | None = None, viewer: str | None = None,
                     today: date | None = None) -> pd.DataFrame:
    """Open and overdue questions, by resolve-by, with days left and latest forecasts.

    ``viewer`` hides others' probabilities on blind questions the viewer has not forecast.
    """
    qs = [q for q in list_questions(con, tag=tag, forecaster=forecaster, source=source,
                                    viewer=viewer, today=today) if q["status"] in UNRESOLVED]
    return pd.DataFrame({
        "id": pd.Series([q["id"] for q in qs], dtype=object),
        "question": [q["question"] for q in qs],
        "status": [q["status"] for q in qs],
        "resolve_by": [date_text(q["resolve_by"]) for q in qs],
        "days_left": pd.Series([q["days_left"] for q in qs], dtype="int64"),
        "when": [days_text(q["status"], q["days_left"]) for q in qs],
        "latest_forecasts": [_latest_text(q) for q in qs],
        "tags": [", ".join(q["tags"] or []) for q in qs],
        "source": [q["source_title"] or "" for q in qs],
    })


def _latest_text(q: dict[str, Any]) -> str:
    text = forecasts_text(q["forecasts"])
    if q["hidden"]:
        return (text + "; " if text else "") + "others hidden (blind: log yours first)"
    return text


# -- one question ---------------------------------------------------------------------------

def question_view(con: Any, qid: str, *, viewer: str | None = None,
                  today: date | None = None) -> dict[str, Any]:
    """:func:`ledger.queries.question_detail` with its histories as display tables."""
    q = question_detail(con, qid, viewer=viewer, today=today)
    fh = q["forecast_history"]
    forecasts = pd.DataFrame({
        "made_at": pd.to_datetime(pd.Series([to_local(f["made_at"]).replace(tzinfo=None)
                                             for f in fh], dtype=object)),
        "made": [time_text(f["made_at"]) for f in fh],
        "forecaster": [f["forecaster"] for f in fh],
        "probability": pd.Series([f["probability"] for f in fh], dtype="float64"),
        "shown": [percent(f["probability"]) for f in fh],
        "late": pd.Series([bool(f["late"]) for f in fh], dtype=bool),
        "rationale": [f["rationale"] or "" for f in fh],
        "seq": pd.Series([f["seq"] for f in fh], dtype="int64"),
    })
    rh = q["resolution_history"]
    current = rh[-1]["seq"] if rh else None
    resolutions = pd.DataFrame({
        "seq": pd.Series([r["seq"] for r in rh], dtype="int64"),
        "outcome": [r["outcome"] for r in rh],
        "resolved_on": [date_text(r["resolved_on"]) for r in rh],
        "state": ["current" if r["seq"] == current else "superseded" for r in rh],
        "evidence": [safe_url(r["evidence"]) for r in rh],
        "note": [r["note"] or "" for r in rh],
        "resolved_by": [r["resolved_by"] or "" for r in rh],
        "correction_reason": [r["reason"] or "" for r in rh],
        "recorded": [time_text(r["recorded_at"]) for r in rh],
    })
    entries = pd.DataFrame({
        "seq": pd.Series([e["seq"] for e in q["entries"]], dtype="int64"),
        "kind": [e["kind"] for e in q["entries"]],
        "recorded": [time_text(e["recorded_at"]) for e in q["entries"]],
        "hash": [e["hash"] for e in q["entries"]],
    })
    versions = pd.DataFrame({
        "version": pd.Series([v["version"] for v in q["versions"]], dtype="int64"),
        "recorded": [time_text(v["recorded_at"]) for v in q["versions"]],
        "question": [v["question"] for v in q["versions"]],
        "criteria": [v["criteria"] for v in q["versions"]],
        "edit_reason": [v["edit_reason"] or "" for v in q["versions"]],
    })
    source = q["source"]
    if source is not None:
        source = {**source, "published": date_text(source["published"]),
                  "url": safe_url(source["url"])}
    return {
        "id": q["id"], "question": q["question"], "criteria": q["criteria"],
        "status": q["status"], "outcome": q["outcome"], "when": days_text(q["status"],
                                                                          q["days_left"]),
        "opened": date_text(q["opened"]), "resolve_by": date_text(q["resolve_by"]),
        "resolved_on": date_text(q["resolved_on"]), "evidence": safe_url(q["evidence"]),
        "tags": list(q["tags"] or []), "blind": bool(q["blind"]), "hidden": bool(q["hidden"]),
        "horizon": q["horizon"], "resolve_by_rule": q["resolve_by_rule"], "quote": q["quote"],
        "reference": (percent(q["reference_probability"])
                      + (f" ({q['reference_note']})" if q["reference_note"] else ""))
        if q["reference_probability"] is not None else None,
        "source": source, "edited_after_forecast": bool(q["edited_after_forecast"]),
        "versions": versions, "forecasts": forecasts, "resolutions": resolutions,
        "entries": entries,
    }


# -- blind forecasting ----------------------------------------------------------------------

def blind_table(con: Any, *, viewer: str | None, today: date | None = None) -> pd.DataFrame:
    """Unresolved blind questions; others' probabilities stay hidden until ``viewer`` forecast.

    With no viewer name everyone else's probabilities are hidden.
    """
    who = viewer or ""  # an empty name has logged nothing, so nothing of others shows
    qs = [q for q in list_questions(con, viewer=who, today=today)
          if q["blind"] and q["status"] in UNRESOLVED]
    mine = {q["id"]: next((f for f in q["forecasts"] if f["forecaster"] == who), None)
            for q in qs}
    return pd.DataFrame({
        "id": pd.Series([q["id"] for q in qs], dtype=object),
        "question": [q["question"] for q in qs],
        "resolve_by": [date_text(q["resolve_by"]) for q in qs],
        "when": [days_text(q["status"], q["days_left"]) for q in qs],
        "your_forecast": [percent(mine[q["id"]]["probability"]) if mine[q["id"]] else ""
                          for q in qs],
        "others": [("hidden until you log yours" if q["hidden"] else
                    forecasts_text([f for f in q["forecasts"] if f["forecaster"] != who])
                    or "none yet") for q in qs],
        "revealed": pd.Series([not q["hidden"] for q in qs], dtype=bool),
    })


# -- scores (computed by ledger.report; only shaped for display here) -----------------------

def score_text(value: float | None) -> str:
    """A score as shown on the dashboard: three decimals."""
    return "" if value is None else f"{value:.3f}"


def overall_scores(con: Any) -> dict[str, Any] | None:
    """Overall Brier and log score of final forecasts, or None when nothing is scored yet."""
    from ledger.report import score_report

    overall = score_report(con)["overall"]
    if not overall or not overall.get("n"):
        return None
    return {"n": int(overall["n"]), "brier": overall["brier"],
            "log_score": overall["log_score"], "brier_text": score_text(overall["brier"]),
            "log_text": score_text(overall["log_score"])}
