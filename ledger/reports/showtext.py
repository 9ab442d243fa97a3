"""The human text of ``forecast-ledger show``."""

from __future__ import annotations

from typing import Any

from ledger.format.dates import format_moment, to_local
from ledger.format.probability import format_probability
from ledger.reports.render import days_text, table


def show_text(q: dict[str, Any]) -> str:
    out = [q["question"], f"id: {q['id']}"]
    if q.get("requested_id") not in (None, q["id"]):
        out.append(f"({q['requested_id']} was merged into {q['id']})")
    status = q["status"] if q["status"] != "resolved" else f"resolved {q['outcome']}"
    when = days_text(q["status"], q["days_left"])
    out.append(f"status: {status}" + (f" ({when})" if when else ""))
    out.append(f"opened {q['opened']}, resolve by {q['resolve_by']}"
               + (f" (horizon as written: {q['horizon']!r})" if q["horizon"] else ""))
    if q["resolve_by_rule"]:
        out.append(f"resolve-by rule: {q['resolve_by_rule']}")
    if q["tags"]:
        out.append("tags: " + ", ".join(q["tags"]))
    if q["blind"]:
        out.append("blind: others' forecasts stay hidden until you log yours"
                   + (" (hidden now)" if q["hidden"] else ""))
    out += ["", "criteria:", "  " + q["criteria"]]
    if q["edited_after_forecast"] or len(q["versions"]) > 1:
        flag = "WARNING: edited after forecasts were made" if q["edited_after_forecast"] else \
            "edited"
        out += ["", f"{flag} ({len(q['versions'])} versions):"]
        for v in q["versions"]:
            kind = ("" if v["version"] == 1 else " clarification" if v["clarification"] else
                    " changed what it asks" if v["changes_meaning"] else "")
            out.append(f"  v{v['version']} recorded {to_local(v['recorded_at']):%Y-%m-%d %H:%M}"
                       + kind + (f": {v['edit_reason']}" if v["edit_reason"] else ""))
    for m in q["moved_goalposts"]:
        out.append(f"MOVED GOALPOSTS: v{m['version']} moved the resolve-by date from "
                   f"{m['from']} to {m['to']} after forecasts were made")
    if q["merged"]:
        out += ["", "merged into this question:"]
        out += [f"  {m['duplicate_id']} (#{m['seq']}): {m['reason']}" for m in q["merged"]]
    if q["source"]:
        s = q["source"]
        by = ", ".join(x for x in (s["author"], s["publisher"]) if x)
        out += ["", f"source: {s['title']}" + (f" ({by})" if by else "")
                + (f", {s['published']}" if s["published"] else "")]
        if s["url"]:
            out.append(f"  {s['url']}")
    if q["quote"]:
        out.append(f"  “{q['quote']}”")
    if q["reference_probability"] is not None:
        out.append(f"reference forecast: {format_probability(q['reference_probability'])}"
                   + (f" ({q['reference_note']})" if q["reference_note"] else ""))
    out += ["", "forecasts:"]
    if q["forecast_history"]:
        out.append(table(["made", "forecaster", "p", "basis", "note"], [[
            format_moment(f["made_at"], f["made_on"], f["utc_offset"])[:16],
            f["forecaster"], format_probability(f["probability"]) + _marks(f),
            f["basis"] + (f": {f['implied_from']}" if f["implied_from"] else ""),
            f["rationale"]] for f in q["forecast_history"]]))
    else:
        out.append("  none yet" + (" visible (blind question)" if q["hidden"] else ""))
    if any(f["older_text"] for f in q["forecast_history"]):
        out.append("  (older text: made before an edit that changed what the question asks)")
    for w in q["withdrawals"]:
        out.append(f"  {w['forecaster']} withdrew forecast #{w['forecast_seq']} (#{w['seq']}): "
                   f"{w['reason']}")
    if q["resolution_history"]:
        out += ["", "resolutions:"]
        current = q["resolution_history"][-1]["seq"]
        for r in q["resolution_history"]:
            mark = "current" if r["seq"] == current else "superseded"
            line = f"  {r['outcome']} on {r['resolved_on']} ({mark}, #{r['seq']}"
            line += f", by {r['resolved_by']})" if r["resolved_by"] else ")"
            if r["reason"]:
                line += f" correction: {r['reason']}"
            out.append(line)
            for extra in (r["evidence"], r["note"]):
                if extra:
                    out.append(f"    {extra}")
    out += ["", "ledger entries: " + ", ".join(f"#{e['seq']} {e['kind']}" for e in q["entries"])]
    # recorded_at is what a file said; logged_at the ledger's own clock (unknown before
    # schema 3). Where they differ, the recorded_at is a claim.
    for e in q["entries"]:
        if e.get("logged_at") is not None and e["recorded_at"] != e["logged_at"]:
            out.append(f"  #{e['seq']} {e['kind']}: recorded_at "
                       f"{to_local(e['recorded_at']):%Y-%m-%d %H:%M:%S} (claimed by the file; "
                       f"logged {to_local(e['logged_at']):%Y-%m-%d %H:%M:%S})")
    return "\n".join(out)


def _marks(f: dict[str, Any]) -> str:
    """The flags of a forecast in the table: late, withdrawn, older text; merged ones name the
    question they were logged on."""
    marks = [m for m, on in (("late", f["late"]), ("withdrawn", f["withdrawn"]),
                             ("older text", f["older_text"])) if on]
    if f["logged_on"] != f["question_id"]:
        marks.append(f"on {f['logged_on']}")
    return "".join(f" {m}" for m in marks)
