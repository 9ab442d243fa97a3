"""Read helpers for the dashboard: the ledger's facts as display-ready tables and figures.

Every function here takes an open DuckDB connection (as
:mod:`ledger.reports.queries` does) and returns
plain data: dicts, lists and pandas DataFrames whose dates are ISO texts (pandas 3 would turn a
DATE into a datetime64 shown with ``00:00:00``). Nothing here imports streamlit, keeps a
connection, or computes a score: scores come from :mod:`ledger.scoring.report`. The dashboard calls
:func:`run`, which opens a short-lived connection per call, and caches the results keyed on the
ledger's path and newest entry number.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ledger import rules
from ledger.format.dates import to_local
from ledger.format.probability import format_probability
from ledger.reports.platform_scores import platform_comparison  # noqa: F401 (a view)
from ledger.reports.queries import (
    counts,
    latest_seq,
    list_questions,
    question_columns,
    question_detail,
    question_titles,
)
from ledger.reports.render import days_text, forecasts_text
from ledger.rules import OUTCOMES as OUTCOMES  # the forms offer them
from ledger.rules import RESOLVED_STATUSES
from ledger.storage.store import Ledger

UNRESOLVED = rules.UNRESOLVED_STATUSES
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

def question_count(con: Any) -> int:
    """How many questions the ledger holds."""
    from ledger.reports.facets import question_count as count

    return count(con)


def filter_options(con: Any) -> dict[str, Any]:
    """Values the filters offer: tags, forecasters, sources (id -> title)."""
    from ledger.reports.facets import facets

    return facets(con)


def question_choices(con: Any, *, statuses: tuple[str, ...] | None = None,
                     today: date | None = None) -> dict[str, str]:
    """``{id: label}`` of questions (optionally only those in ``statuses``), by resolve-by."""
    out = {}
    # Two columns as tuples, not question_titles' dict of five per question (500k at 10M).
    for qid, question in question_titles(con, status=statuses, today=today,
                                         columns=("id", "question")):
        text = question if len(question) <= 90 else question[:87] + "..."
        out[qid] = f"{qid}: {text}"
    return out


# -- overview -------------------------------------------------------------------------------

def overview(con: Any, *, today: date | None = None, due_days: int = 30,
             upcoming: int = 15, overdue: int = 5) -> dict[str, Any]:
    """Counts by status, and for the timeline the next ``upcoming`` open questions and the
    ``overdue`` most overdue ones."""
    from ledger.format.dates import today as local_today

    # Only the few questions the timeline shows are read, and no forecast.
    late = question_titles(con, status=("overdue",), limit=overdue, today=today)
    soon = question_titles(con, status=("open",), limit=upcoming, today=today)
    chosen = late + soon
    labels: list[str] = []
    for q in chosen:
        label = q["question"] if len(q["question"]) <= 60 else q["question"][:57] + "..."
        labels.append(f"{label} ({q['id']})" if label in labels else label)
    timeline = pd.DataFrame({
        "id": pd.Series([q["id"] for q in chosen], dtype=object),
        "label": labels,
        "question": [q["question"] for q in chosen],
        "resolve_by": [date_text(q["resolve_by"]) for q in chosen],
        "status": [q["status"] for q in chosen],
        "when": [days_text(q["status"], q["days_left"]) for q in chosen],
    })
    return {"counts": counts(con, today=today, due_days=due_days), "timeline": timeline,
            "today": (today or local_today()).isoformat()}


# -- open / due / overdue -------------------------------------------------------------------

def unresolved_table(con: Any, *, tag: str | None = None, forecaster: str | None = None,
                     source: str | None = None, viewer: str | None = None,
                     today: date | None = None) -> pd.DataFrame:
    """Open and overdue questions, by resolve-by, with days left and latest forecasts.

    ``viewer`` hides others' probabilities on blind questions the viewer has not forecast;
    with no viewer name, blind questions hide everyone's.
    """
    qs = list_questions(con, status=UNRESOLVED, tag=tag, forecaster=forecaster, source=source,
                        viewer=viewer, today=today)
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
    """:func:`ledger.reports.queries.question_detail` with its histories as display tables.

    On a blind question others' forecasts show once ``viewer`` has logged one; with no viewer
    name, none show.
    """
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
        "withdrawn": pd.Series([bool(f["withdrawn"]) for f in fh], dtype=bool),
        "older_text": pd.Series([bool(f["older_text"]) for f in fh], dtype=bool),
        "logged_on": [f["logged_on"] for f in fh],
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
        "resolve_by": [date_text(v["resolve_by"]) for v in q["versions"]],
        "edit_reason": [v["edit_reason"] or "" for v in q["versions"]],
        "kind": ["first" if v["version"] == 1 else "clarification" if v["clarification"]
                 else "changed what it asks" if v["changes_meaning"] else "edit"
                 for v in q["versions"]],
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
        # the fixes (ledger.ingest.fixes): the edit form starts from the current values
        "requested_id": q["requested_id"], "resolve_by_date": q["resolve_by"],
        "moved_goalposts": [{**m, "from": date_text(m["from"]), "to": date_text(m["to"])}
                            for m in q["moved_goalposts"]],
        "merged": [{"duplicate_id": m["duplicate_id"], "reason": m["reason"],
                    "recorded": time_text(m["recorded_at"])} for m in q["merged"]],
        "withdrawals": [{"forecaster": w["forecaster"], "forecast": w["forecast_seq"],
                         "reason": w["reason"], "recorded": time_text(w["recorded_at"])}
                        for w in q["withdrawals"]],
    }


def question_lookup(con: Any, qid: str) -> dict[str, Any]:
    """``{"id": the question qid stands for (through merges), or None, "suggestions": the
    nearest ids}`` (:func:`ledger.ingest.lookup.find_question`), for a page's ``?id=``."""
    from ledger.errors import UnknownQuestion
    from ledger.ingest.lookup import find_question

    try:
        return {"id": find_question(con, qid), "suggestions": []}
    except UnknownQuestion as exc:
        return {"id": None, "suggestions": list(exc.suggestions)}


# -- blind forecasting ----------------------------------------------------------------------

def blind_table(con: Any, *, viewer: str | None, today: date | None = None) -> pd.DataFrame:
    """Unresolved blind questions; others' probabilities stay hidden until ``viewer`` forecast.

    With no viewer name everyone else's probabilities are hidden.
    """
    qs = [q for q in list_questions(con, status=UNRESOLVED, viewer=viewer, today=today)
          if q["blind"]]
    mine = {q["id"]: next((f for f in q["forecasts"] if f["forecaster"] == viewer), None)
            for q in qs}
    return pd.DataFrame({
        "id": pd.Series([q["id"] for q in qs], dtype=object),
        "question": [q["question"] for q in qs],
        "resolve_by": [date_text(q["resolve_by"]) for q in qs],
        "when": [days_text(q["status"], q["days_left"]) for q in qs],
        "your_forecast": [percent(mine[q["id"]]["probability"]) if mine[q["id"]] else ""
                          for q in qs],
        "others": [("hidden until you log yours" if q["hidden"] else
                    forecasts_text([f for f in q["forecasts"] if f["forecaster"] != viewer])
                    or "none yet") for q in qs],
        "revealed": pd.Series([not q["hidden"] for q in qs], dtype=bool),
    })


# -- scores (computed by ledger.scoring.report and .metrics; only shaped for display here) ----

SCORED_STATUSES = RESOLVED_STATUSES


def score_text(value: float | None) -> str:
    """A score as shown on the dashboard: three decimals ('' when undefined)."""
    return "" if value is None else f"{value:.3f}"


def overall_scores(con: Any) -> dict[str, Any] | None:
    """Overall Brier and log score of final forecasts, or None when nothing is scored yet."""
    from ledger.scoring.report import score_report

    overall = score_report(con)["overall"]
    if not overall.get("n"):
        return None
    return {"n": int(overall["n"]), "brier": overall["brier"],
            "log_score": overall["log_score"], "brier_text": score_text(overall["brier"]),
            "log_text": score_text(overall["log_score"])}


def _names(value: Any) -> Any:
    """A forecaster filter: None, one name, or a tuple of names (as the cache passes them)."""
    if value is None or isinstance(value, str):
        return value
    return list(value) or None


def resolved_view(con: Any, *, forecaster: Any = None, tag: str | None = None,
                  source: str | None = None, mode: str = "final",
                  today: date | None = None, rows: int | None = None) -> dict[str, Any]:
    """Resolved questions with each forecaster's scored forecast and its own scores.

    ``table`` has one row per scored forecast (``mode`` final or first: see
    :func:`ledger.scoring.selection.scored_forecasts`), most recent resolution first, plus one row
    for each resolved question with no scored forecast (ambiguous, annulled, or nobody forecast);
    its first ``rows`` rows only when given, and ``n_rows`` the rows of the whole table.
    ``by_forecaster`` is :func:`ledger.scoring.report.score_report` grouped by forecaster, and
    ``overall`` its overall figures.
    """
    from ledger.reports import tables
    from ledger.scoring import metrics as scoring
    from ledger.scoring import report, selection

    names = _names(forecaster)
    filters = {"forecaster": names, "tag": tag, "source": source}
    # One selection feeds both the table and the scores by forecaster (score_report would
    # select the same rows again); relative scores need everyone's when forecasters are chosen.
    # Only the columns the table and the scores read (not tags, sources, instants per row).
    wanted = ("question_id", "forecaster", "made_on", "reference_probability")
    data = selection.scored_forecasts(con, mode=mode, columns=wanted, **filters)
    others = (selection.scored_forecasts(con, mode=mode, columns=wanted,
                                         **{**filters, "forecaster": None})
              if names is not None else None)
    rep = report.score_arrays(data, by="forecaster", mode=mode, others=others)
    n = data["probability"].size
    brier = scoring.score_each(data["outcome"], data["probability"]) if n else np.zeros(0)
    log = (scoring.score_each(data["outcome"], data["probability"], rule="log") if n
           else np.zeros(0))
    one = names[0] if isinstance(names, list) and len(names) == 1 else names
    keys = ("id", "question", "outcome", "resolved_on", "evidence", "status")
    if isinstance(names, list) and len(names) > 1:
        qs = list_questions(con, status=SCORED_STATUSES, tag=tag, source=source, today=today)
        keep = set(data["question_id"].tolist())
        qs = [q for q in qs if q["id"] in keep or any(f["forecaster"] in names
                                                      for f in q["forecasts"])]
        found = {k: np.array([q[k] for q in qs], dtype=object) for k in keys}
    else:
        # The same questions as list_questions lists, without the latest forecast of every
        # pair, which this table does not show (a dict per pair costs seconds at 10M).
        found = {k: tables.objects(v) for k, v in question_columns(
            con, keys, status=SCORED_STATUSES, tag=tag, source=source, today=today,
            forecaster=one if isinstance(one, str) else None).items()}
    table, n_rows = tables.resolved_table(found, data, brier, log, date_text=date_text,
                                          safe_url=safe_url, percent=percent, limit=rows)
    groups = rep["groups"]
    by_forecaster = pd.DataFrame({
        "forecaster": [g["group"] for g in groups],
        "n": pd.Series([g["n"] for g in groups], dtype="int64"),
        "brier": pd.Series([g["brier"] for g in groups], dtype="float64"),
        "log_score": pd.Series([g["log_score"] for g in groups], dtype="float64"),
        "brier_skill": pd.Series([g["brier_skill"] for g in groups], dtype="float64"),
        "relative": pd.Series([g.get("relative") for g in groups], dtype="float64"),
    })
    n_resolved = int(np.count_nonzero(found["status"] == "resolved"))
    return {"table": table, "n_rows": n_rows, "by_forecaster": by_forecaster,
            "overall": rep["overall"], "n_resolved": n_resolved,
            "n_unscored": found["status"].size - n_resolved}


# -- calibration ------------------------------------------------------------------------------

MURPHY_NOTES = {
    "reliability": "How far each bin's mean forecast is from how often it happened "
                   "(lower is better).",
    "resolution": "How much the bins' outcome rates differ from the overall base rate: "
                  "telling cases apart (higher is better).",
    "uncertainty": "Base rate x (1 - base rate): how hard the questions were; no forecaster "
                   "controls it.",
    "within_bin_variance": "Spread of forecasts inside the bins (a correction term of binning).",
    "within_bin_covariance": "Co-movement of forecasts and outcomes inside the bins "
                             "(a correction term of binning).",
    "brier": "Brier score = reliability - resolution + uncertainty + the two within-bin terms.",
}
CORP_NOTES = {
    "mcb": "Miscalibration: Brier score lost to calibration errors, measured against the "
           "isotonic (PAV) recalibration (lower is better).",
    "dsc": "Discrimination: Brier score gained over always forecasting the base rate after "
           "recalibration (higher is better).",
    "unc": "Uncertainty: base rate x (1 - base rate), the Brier score of always forecasting "
           "the base rate.",
    "brier": "Brier score = MCB - DSC + UNC exactly, with no bins to choose.",
}


def _interval(lower: float, upper: float, closed: bool) -> str:
    return f"[{percent(lower)}, {percent(upper)}{']' if closed else ')'}"


def _closed_flags(bins: list[dict[str, Any]], strategy: str) -> list[bool]:
    """Which bins include their upper edge: CORP blocks always; binned strategies only the
    last bin of the edges (upper edge 1 for uniform bins, the highest forecast for quantile)."""
    if strategy == "corp":
        return [True] * len(bins)
    top = 1.0 if strategy == "uniform" else (bins[-1]["upper"] if bins else 1.0)
    return [b["upper"] == top for b in bins]


def calibration_view(con: Any, *, n_bins: int = 10, strategy: str = "uniform",
                     forecaster: Any = None, tag: str | None = None, source: str | None = None,
                     since: Any = None, until: Any = None, mode: str = "final",
                     window: int = 50, hist_bins: int = 20) -> dict[str, Any]:
    """:func:`~ledger.scoring.report.calibration_report` and
    :func:`~ledger.scoring.report.calibration_over_time`
    shaped for the calibration page: bins as a table with their interval text, the CORP curve,
    a sharpness histogram (forecasts counted in ``hist_bins`` equal-width bins) and the
    rolling Brier score and calibration-in-the-large by resolution date.

    The forecasts are selected once (:func:`~ledger.scoring.selection.scored_forecasts`) and handed
    to the reports' numpy cores, rather than each report selecting the same rows again."""
    import numpy as np

    from ledger.scoring import report, selection

    # Only what the figures read: every column (ids, names, tags per row) costs seconds at 10M.
    data = selection.scored_forecasts(con, forecaster=_names(forecaster), tag=tag, source=source,
                                      since=since, until=until, mode=mode,
                                      columns=("resolved_on",))
    cal = report.calibration_arrays(data, n_bins=n_bins, strategy=strategy, mode=mode)
    over = report.over_time_arrays(data, window=window, mode=mode)
    probs = data["probability"]
    bins = cal["bins"]
    closed = _closed_flags(bins, strategy)
    table = pd.DataFrame({
        "bin": [_interval(b["lower"], b["upper"], c) for b, c in zip(bins, closed, strict=True)],
        "lower": pd.Series([b["lower"] for b in bins], dtype="float64"),
        "upper": pd.Series([b["upper"] for b in bins], dtype="float64"),
        "closed": pd.Series(closed, dtype=bool),
        "count": pd.Series([b["count"] for b in bins], dtype="int64"),
        "mean_forecast": pd.Series([b["mean_forecast"] for b in bins], dtype="float64"),
        "observed_frequency": pd.Series([b["observed_frequency"] for b in bins],
                                        dtype="float64"),
        "wilson_low": pd.Series([b["wilson_low"] for b in bins], dtype="float64"),
        "wilson_high": pd.Series([b["wilson_high"] for b in bins], dtype="float64"),
    })
    counts_, edges = np.histogram(probs, bins=hist_bins, range=(0.0, 1.0))
    sharpness = pd.DataFrame({"lower": edges[:-1], "upper": edges[1:],
                              "count": counts_.astype("int64")})
    curve = pd.DataFrame((cal["corp"] or {}).get("curve") or [], columns=["x", "y"])
    points = over["points"]
    over_time = pd.DataFrame({
        "resolved_on": [p["resolved_on"] for p in points],
        "n": pd.Series([p["n"] for p in points], dtype="int64"),
        "brier": pd.Series([p["brier"] for p in points], dtype="float64"),
        "calibration_in_the_large": pd.Series([p["calibration_in_the_large"] for p in points],
                                              dtype="float64"),
    })
    return {"n": cal["n"], "n_forecasts": cal["n_forecasts"], "n_questions": cal["n_questions"],
            "brier": cal.get("brier"), "strategy": strategy, "bins": table, "curve": curve,
            "murphy": cal["murphy"], "corp": cal["corp"], "sharpness": sharpness,
            "over_time": over_time, "window": window}


def forecasts_in_bin(con: Any, *, lower: float, upper: float, closed: bool,
                     forecaster: Any = None, tag: str | None = None, source: str | None = None,
                     since: Any = None, until: Any = None, mode: str = "final"
                     ) -> pd.DataFrame:
    """The scored forecasts whose probability lies in the bin [lower, upper) (or
    [lower, upper] when ``closed``), with their question and outcome."""
    from ledger.scoring import selection

    data = selection.scored_forecasts(con, forecaster=_names(forecaster), tag=tag, source=source,
                                      since=since, until=until, mode=mode)
    p = data["probability"]
    inside = (p >= lower) & ((p <= upper) if closed else (p < upper))
    ids = sorted(set(data["question_id"][inside].tolist()))
    text = dict(con.execute("SELECT id, question FROM current_questions "
                            "WHERE id IN (SELECT unnest($1))", [ids]).fetchall())
    return pd.DataFrame({
        "id": pd.Series(data["question_id"][inside], dtype=object),
        "question": [text.get(q, "") for q in data["question_id"][inside].tolist()],
        "forecaster": pd.Series(data["forecaster"][inside], dtype=object),
        "probability": [percent(float(x)) for x in p[inside].tolist()],
        "outcome": ["yes" if o else "no" for o in data["outcome"][inside].tolist()],
        "made_on": [str(d) for d in data["made_on"][inside]],
        "resolved_on": [str(d) for d in data["resolved_on"][inside]],
    })
