"""Plain-text tables and JSON for the CLI (kept dependency-free: the CLI must start fast)."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date, datetime
from typing import Any

from ledger.format.probability import format_probability


def table(headers: list[str], rows: list[list[Any]], max_width: int | None = None) -> str:
    """A left-aligned text table. On a terminal, the widest columns after the first (which
    holds ids people copy) are cut to fit; piped output is never cut."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    if max_width is None and sys.stdout.isatty():
        max_width = shutil.get_terminal_size((120, 20)).columns
    while (max_width and sum(widths) + 2 * (len(widths) - 1) > max_width
           and max(widths[1:], default=0) > 12):
        widest = widths.index(max(widths[1:]), 1)
        widths[widest] -= 1
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for r in cells:
        lines.append("  ".join(_fit(c, w).ljust(w) for c, w in zip(r, widths, strict=True))
                     .rstrip())
    return "\n".join(lines)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return format_probability(value)
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value).replace("\n", " ")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(data: Any) -> str:
    return json.dumps(data, default=_default, ensure_ascii=False, indent=2)


def days_text(status: str, days_left: int | None) -> str:
    if days_left is None or status not in ("open", "overdue"):
        return ""
    if days_left < 0:
        return f"{-days_left}d overdue"
    return "due today" if days_left == 0 else f"{days_left}d left"


def forecasts_text(forecasts: list[dict]) -> str:
    return ", ".join(f"{f['forecaster']} {format_probability(f['probability'])}"
                     + (" (late)" if f.get("late") else "") for f in forecasts)
