"""The drafted forecast file: YAML in today's format, with a comment on every question.

A stated probability becomes a forecast by the source (``basis: stated``). A firm claim
without a number gets an ``implied`` forecast left commented out for the reviewer to accept,
change or delete. Hedged, conditional, paired, aim and watch claims get none; their kind is in
the tags and the comment. Strings are written double-quoted (JSON-escaped), which YAML reads as
written whatever they hold.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.draft.phrase import Proposal, plain, propose

if TYPE_CHECKING:
    from ledger.draft import Draft

#: The probability an unhedged "will" is read as, for the commented-out implied forecast.
IMPLIED_FIRM = 0.8


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def forecaster_name(draft: Draft) -> str:
    """Who the source's forecasts are by: the outlet, else the author, else the source's id."""
    name = draft.publisher or draft.author or draft.source_id
    return plain(name)[:100]


def _comment(p: Proposal) -> list[str]:
    c = p.candidate
    lines = [f"# confidence {c.confidence:.2f}: {'; '.join(c.reasons)}."]
    lines.append(f"# resolve-by: {c.resolve_by_rule}"[:300])
    return lines


def _horizon_text(p: Proposal) -> str:
    c = p.candidate
    if c.horizon is None:
        return "none given"
    text = plain(c.horizon.text)
    if c.horizon_source == "own":
        return text
    return f"none in the sentence ({text}, {c.horizon_source.replace('article', 'the article')})"


def render(draft: Draft, proposals: list[Proposal] | None = None, *, article_name: str = "",
           generated: date | None = None) -> str:
    """The forecast file for ``draft``: every kept proposal as a question."""
    if proposals is None:
        proposals = propose(draft.candidates, draft.published, draft.article.text)
    kept = [p for p in proposals if p.keep]
    origin = f" from {article_name}" if article_name else ""
    out = ["# yaml-language-server: $schema=../docs/forecast-file.schema.json", "#",
           f"# DRAFT written by `forecast-ledger draft`{origin}"
           f"{' on ' + generated.isoformat() if generated else ''}: review every question,",
           "# its criteria and its date before `forecast-ledger import`. Quotes are verbatim.",
           f"# Published {draft.published.isoformat()} ({draft.published_from}). "
           f"{len(kept)} claim{'s' if len(kept) != 1 else ''} drafted.",
           "# Firm claims carry an implied forecast commented out: uncomment it to keep it.",
           "source:",
           f"  id: {_q(draft.source_id)}",
           f"  title: {_q(plain(draft.title)[:500] or 'Untitled article')}"]
    if draft.publisher:
        out.append(f"  publisher: {_q(plain(draft.publisher))}")
    if draft.author:
        out.append(f"  author: {_q(plain(draft.author))}")
    if draft.url:
        out.append(f"  url: {draft.url}")
    out.append(f"  published: {draft.published.isoformat()}")
    out.append("")
    out.append("questions:" if kept else "questions: []")
    who = forecaster_name(draft)
    for p in kept:
        c = p.candidate
        out.extend("  " + line for line in _comment(p))
        out.append(f"  - id: {_q(p.id)}")
        out.append(f"    question: {_q(p.question)}")
        out.append(f"    criteria: {_q(p.criteria)}")
        out.append(f"    resolve_by: {p.resolve_by.isoformat()}")
        out.append(f"    horizon: {_q(_horizon_text(p))}")
        rule = c.resolve_by_rule if p.resolve_by == c.resolve_by else \
            f"set by the reviewer (the draft said {c.resolve_by.isoformat()}: {c.resolve_by_rule})"
        out.append(f"    resolve_by_rule: {_q(rule[:500])}")
        out.append(f"    quote: {_q(c.quote)}")
        out.append(f"    tags: [{', '.join(c.tags)}]")
        s = c.stance
        if s.kind == "stated" and s.probability_form:
            out.append("    forecasts:")
            out.append(f"      - forecaster: {_q(who)}")
            out.append(f"        probability: {_q(s.probability_form)}")
            out.append(f"        made_at: {draft.published.isoformat()}")
            out.append("        basis: stated")
            note = f"Stated in the text as \"{s.probability_text}\""
            if ":" in s.probability_form and " to " in (s.probability_text or ""):
                note += " (betting odds against)"
            out.append(f"        rationale: {_q(note + '.')}")
        elif s.kind == "firm":
            p_yes = IMPLIED_FIRM if s.direction == "yes" else round(1 - IMPLIED_FIRM, 2)
            out.append("    # forecasts:   # implied by a firm claim; uncomment to keep")
            out.append(f"    #   - forecaster: {_q(who)}")
            out.append(f"    #     probability: {p_yes}")
            out.append(f"    #     made_at: {draft.published.isoformat()}")
            out.append("    #     basis: implied")
            out.append(f"    #     implied_from: {_q(plain(c.quote)[:500])}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def save(text: str, path: str | Path) -> Path:
    """Write a drafted file; never over an existing one (it may hold a review's edits)."""
    from ledger.errors import OutputExists

    path = Path(path)
    if path.exists():
        raise OutputExists(f"{path} already exists; choose another file name or remove it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def save_and_import(text: str, path: str | Path, ledger_path: str | Path) -> Any:
    """Write the file (see :func:`save`) and import it into the ledger; all or nothing.

    The file is checked with a dry run first, so a file that would not import is not left
    behind. Returns the importer's result.
    """
    from ledger.ingest.importer import import_paths
    from ledger.storage.store import Ledger

    path = save(text, path)
    try:
        ledger = Ledger(ledger_path)
        import_paths(ledger, [path], dry_run=True)
        return import_paths(ledger, [path])
    except Exception:
        path.unlink(missing_ok=True)
        raise


def default_file_name(draft: Draft) -> str:
    """``YYYY-MM-DD-<source id>.yaml``, the forecasts/ folder's convention."""
    sid = draft.source_id
    stamp = draft.published.isoformat()
    return f"{sid if sid.startswith(stamp) else stamp + '-' + sid}.yaml"


def segments(draft: Draft) -> list[tuple[str, int | None]]:
    """The article's body cut into pieces, each a quote (with its candidate's index) or not.

    For showing the quotes highlighted in the text; overlapping quotes keep the first.
    """
    text, pos = draft.article.text, draft.article.body_start
    out: list[tuple[str, int | None]] = []
    for i, c in sorted(enumerate(draft.candidates), key=lambda ic: ic[1].start):
        if c.start < pos:
            continue
        if c.start > pos:
            out.append((text[pos:c.start], None))
        out.append((text[c.start:c.end], i))
        pos = c.end
    if pos < len(text):
        out.append((text[pos:], None))
    return out
