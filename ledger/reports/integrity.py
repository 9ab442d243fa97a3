"""What ``verify --report`` adds once the chain checks: the fixes a reader of the scores should
know about. Moving a question's resolve-by date after forecasts were made decides which events
count, so every such edit is listed (:func:`ledger.rules.moved_goalposts`), with how many
forecasts were withdrawn and questions merged."""

from __future__ import annotations

from typing import Any

from ledger import rules
from ledger.reports.queries import rows


def fixes_report(con: Any) -> dict[str, Any]:
    """``{"moved_goalposts": [{"id", "version", "from", "to", "recorded_at"}], "withdrawals":
    n, "merges": n}`` over the whole ledger."""
    moved = rows(con, rules.moved_goalposts_sql())
    withdrawals, merges = con.execute("SELECT (SELECT count(*) FROM withdrawals), "
                                      "(SELECT count(*) FROM merges)").fetchall()[0]
    return {"moved_goalposts": moved, "withdrawals": withdrawals, "merges": merges}


def fixes_text(report: dict[str, Any]) -> str:
    """The report as lines for people."""
    lines = [f"moved goalposts: {m['id']} v{m['version']} moved the resolve-by date from "
             f"{m['from']} to {m['to']} after forecasts were made"
             for m in report["moved_goalposts"]] or ["moved goalposts: none"]
    lines.append(f"withdrawn forecasts: {report['withdrawals']}; merged duplicates: "
                 f"{report['merges']}")
    return "\n".join(lines)
