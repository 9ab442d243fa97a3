"""Metaculus: the JSON its API returns for posts with the requesting user's forecasts.

The shape of ``GET /api/posts/`` (and ``/api2/questions/``, which now returns the same posts)
as the public API documentation (metaculus.com/api) gives it: ``{"count", "next",
"results": [post, ...]}`` (a bare list of posts, or one post, is read too). A post has ``id``,
``title``, ``slug`` and either ``question`` or ``group_of_questions`` (``{"questions": [...]}``).
A question has ``id``, ``title``, ``type`` (``binary``, ``numeric``, ``multiple_choice``,
...), ``description``, ``resolution_criteria``, ``fine_print``, ``created_at``, ``open_time``,
``scheduled_close_time``, ``scheduled_resolve_time``, ``actual_resolve_time``,
``resolution_set_time``, ``resolution`` (``yes``, ``no``, ``annulled``, ``ambiguous`` or
null) and, for the authenticated user, ``my_forecasts: {"history": [{"start_time",
"end_time", "forecast_values": [p_no, p_yes], ...}], "latest"}``; ``aggregations`` holds the
community's, which are not imported. Times are ISO 8601 text; ``start_time`` Unix seconds.

Policy: only binary questions are imported (others counted as not supported yet); a
question's id is ``metaculus-<question id>``; ``my_forecasts`` name no one, so they are
logged as the forecaster the command runs as (``--as``). JSON has no rows, so a problem is
located at the line where its post's ``"id"`` is written.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from ledger.errors import Problem
from ledger.ingest.platforms.common import (
    Built,
    Gather,
    ReadContext,
    file_source,
    long_text,
    question_text,
)

OUTCOMES = ("yes", "no", "annulled", "ambiguous")


def _posts(data: object) -> list | None:
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        return data["results"]
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and ("question" in data or "group_of_questions" in data):
        return [data]
    return None


def _time(value: object) -> str | None:
    """An ISO text or Unix seconds as an ISO moment in UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).isoformat()
    text = str(value).strip()
    return datetime.fromisoformat(text.replace("z", "Z")).isoformat()


def read(paths: list[Path], ctx: ReadContext) -> list[Built]:
    made: dict[str, dict] = {}  # question key -> its document, across the files
    gather = Gather(ctx)
    built = [_read_file(path, made, gather, ctx) for path in paths]
    gather.finish(made.get)
    return built


def _read_file(path: Path, made: dict[str, dict], gather: Gather, ctx: ReadContext) -> Built:
    b = Built(str(path), file_source("metaculus", path, "https://www.metaculus.com"))
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        ctx.problems.append(Problem(str(path), exc.lineno, "", f"not JSON: {exc.msg}"))
        return b
    posts = _posts(data)
    if posts is None:
        ctx.problems.append(Problem(str(path), 1, "results", "no list of posts (Metaculus' API "
                                    "returns {\"results\": [...]})"))
        return b
    for post in posts:
        if not isinstance(post, dict):
            continue
        line = _line_of(text, post.get("id"))
        group = post.get("group_of_questions")
        if isinstance(group, dict):
            subs = [q for q in group.get("questions") or [] if isinstance(q, dict)]
        elif isinstance(post.get("question"), dict):
            subs = [post["question"]]
        else:
            ctx.notes.add("post", "without a question (a notebook or a conditional pair) "
                          "skipped: not supported yet")
            continue
        for q in subs:
            _question(path, post, q, line, b, made, gather, ctx,
                      grouped=isinstance(group, dict))
    return b


def _line_of(text: str, post_id: object) -> int | None:
    m = re.search(rf'"id"\s*:\s*{re.escape(str(post_id))}\b', text)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _question(path: Path, post: dict, q: dict, line: int | None, b: Built,
              made: dict[str, dict], gather: Gather, ctx: ReadContext, grouped: bool) -> None:
    kind = str(q.get("type") or "?")
    if kind != "binary":
        ctx.notes.add(f"{kind.replace('_', '-')} question", "skipped: not supported yet")
        return
    title = str(q.get("title") or post.get("title") or "")
    if grouped and post.get("title") and post["title"] not in title:
        title = f"{post['title']}: {q.get('label') or title}"
    text = question_text(title, ctx.notes)
    if text is None:
        return
    try:
        opened = _time(q.get("open_time") or q.get("created_at") or post.get("created_at"))
        resolve_by = _time(q.get("scheduled_resolve_time") or q.get("scheduled_close_time"))
        resolved = _time(q.get("actual_resolve_time") or q.get("resolution_set_time"))
        set_at = _time(q.get("resolution_set_time"))
    except (ValueError, TypeError, OverflowError) as exc:
        ctx.problems.append(Problem(str(path), line, "time", f"not a date and time: {exc}"))
        return
    if opened is None or resolve_by is None:
        ctx.notes.add("question", "skipped: no open or resolve time")
        return
    opened, resolve_by = opened[:10], resolve_by[:10]
    if resolve_by < opened:
        ctx.notes.add("question", "whose resolve time precedes its opening: resolve-by set to "
                      "the opening date")
        resolve_by = opened
    criteria = "\n\n".join(str(x).strip() for x in (q.get("resolution_criteria"),
                                                   q.get("fine_print")) if x and str(x).strip())
    qid = q.get("id", post.get("id"))
    out: dict = {"id": f"metaculus-{qid}", "question": text,
                 "criteria": long_text(criteria or q.get("description") or text, ctx.notes,
                                       "criteria text") or text,
                 "opened": opened, "resolve_by": resolve_by, "tags": ["metaculus"],
                 "forecasts": []}
    resolution = q.get("resolution")
    if resolution is not None and str(resolution).lower() in OUTCOMES:
        if resolved is None:
            ctx.notes.add("resolved question", "without a resolve time left unresolved")
        else:
            out["resolution"] = {"outcome": str(resolution).lower(),
                                 "resolved_on": resolved[:10],
                                 "evidence": f"https://www.metaculus.com/questions/{post.get('id')}/",
                                 **({"recorded_at": set_at} if set_at else {})}
            if str(resolution).lower() == "annulled":
                ctx.notes.add("annulled question", "imported as annulled")
    elif resolution is not None:
        ctx.notes.add("question", f"resolved {resolution!r} left unresolved")
    key = out["id"]
    made.setdefault(key, out)
    gather.add(key, b, line or 1)
    n = 0
    history = ((q.get("my_forecasts") or {}).get("history")) or []
    for h in history:
        values = h.get("forecast_values") if isinstance(h, dict) else None
        p = values[1] if isinstance(values, list) and len(values) == 2 else \
            (h.get("centers") or [None])[0] if isinstance(h, dict) else None
        try:
            made_at = _time(h.get("start_time")) if isinstance(h, dict) else None
        except (ValueError, TypeError, OverflowError):
            made_at = None
        if made_at is None or p is None:
            ctx.problems.append(Problem(str(path), line, "my_forecasts",
                                        f"a forecast on question {qid} has no start_time or "
                                        "forecast_values"))
            continue
        gather.add(key, b, line or 1, {"forecaster": ctx.forecaster, "probability": p,
                                       "made_at": made_at, "recorded_at": made_at})
        n += 1
    ctx.notes.add("forecast", f"from my_forecasts logged as {ctx.forecaster} (--as)", n)
