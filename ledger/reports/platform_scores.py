"""A platform's own score for a question beside the ledger's (Fatebook's, for now).

Fatebook's export gives the exporting account's Brier score per question; the importer keeps
it in the resolution's note (``ledger.ingest.platforms.fatebook.SCORE_NOTE``). Here it is read
back and set beside the ledger's Brier score of each forecaster on that question, in the
ledger's default mode (``final``) and ``time-averaged``, with the reason when they differ.
"""

from __future__ import annotations

from typing import Any

REASON = ("Fatebook averages each forecast over the time it stood from the question's creation "
          "to its resolution, and scores the account alone; the ledger scores each forecaster's "
          "final forecast (mode final; see docs/scoring.md), or averages from their first "
          "forecast day through the resolution day (mode time-averaged)")
CLOSE = 0.0005  # both printed to 3 decimals: within this they read the same


def platform_comparison(con: Any, qid: str) -> dict[str, Any] | None:
    """``{"platform", "brier", "relative", "ours": {forecaster: {mode: brier}}, "reason"}``
    for a question imported with a platform's own score, else None."""
    from ledger.ingest.platforms.fatebook import fatebook_score

    row = con.execute("""SELECT r.note, q.source_id, q.blind FROM current_resolutions r
                         JOIN current_questions q ON q.id = r.question_id
                         WHERE r.question_id = $1""", [qid]).fetchall()
    if not row or row[0][2]:  # a blind question's per-forecaster scores are not shown here
        return None
    theirs = fatebook_score(row[0][0])
    if theirs is None:
        return None
    from ledger.scoring.selection import scored_forecasts  # only for a question that has one

    ours: dict[str, dict[str, float]] = {}
    for mode in ("final", "time-averaged"):
        # Scoped to the question's source, so a big ledger is not selected whole for one page.
        data = scored_forecasts(con, mode=mode, source=row[0][1],
                                columns=("question_id", "forecaster"))
        sums: dict[str, list[float]] = {}
        for q, who, p, y, w in zip(data["question_id"], data["forecaster"],
                                   data["probability"], data["outcome"], data["weight"],
                                   strict=True):
            if q == qid:
                s = sums.setdefault(str(who), [0.0, 0.0])
                s[0] += float(w) * (float(p) - float(y)) ** 2
                s[1] += float(w)
        for who, (total, weight) in sums.items():
            ours.setdefault(who, {})[mode] = total / weight
    differs = not any(abs(v - theirs["brier"]) < CLOSE for m in ours.values() for v in m.values())
    return {"platform": "Fatebook", "brier": theirs["brier"], "relative": theirs.get("relative"),
            "ours": ours, "reason": REASON if differs else None}


def comparison_text(c: dict[str, Any]) -> str:
    """One line for ``show`` and the question page: theirs, ours per forecaster, why."""
    ours = ", ".join(f"{who} {m['final']:.3f}" + (f" (time-averaged {m['time-averaged']:.3f})"
                                                  if "time-averaged" in m else "")
                     for who, m in sorted(ours_items(c)))
    text = (f"{c['platform']}'s Brier score for the exporting account: {c['brier']:.4g}"
            + (f" (relative {c['relative']:+.4g})" if c["relative"] is not None else "")
            + f"; the ledger's: {ours or 'none scored'}")
    if c["reason"]:
        text += f". They differ because {c['reason']}."
    return text


def ours_items(c: dict[str, Any]) -> list[tuple[str, dict[str, float]]]:
    return [(who, m) for who, m in c["ours"].items() if "final" in m]
