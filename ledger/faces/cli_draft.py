"""``forecast-ledger draft``: draft a forecast file from an article, for review.

Kept apart from ledger/cli.py so the command stays one registration line there. Nothing heavy is
imported: the drafting engine is pure Python (regular expressions and dateutil).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from ledger.errors import InvalidValue, LedgerError

if TYPE_CHECKING:
    from ledger.draft.phrase import Proposal


@click.command()
@click.argument("article", metavar="ARTICLE")
@click.option("--published", metavar="DATE",
              help="Publication date, YYYY-MM-DD (default: the article's 'published:' header, "
                   "else today).")
@click.option("--source-id", "source_id", metavar="ID",
              help="The source's id in the file (default: made from the title and date).")
@click.option("--out", metavar="FILE.yaml",
              help="Write the draft to this file (never over an existing one) instead of "
                   "printing it.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the candidate claims as JSON on stdout (and nothing else).")
def draft(article: str, published: str | None, source_id: str | None, out: str | None,
          as_json: bool) -> None:
    """Draft forecast questions from an article (a text or Markdown file, or - for stdin).

    Finds the forecastable claims, quotes each verbatim, dates it from the publication date and
    the horizon as written, and writes a forecast file to review before `import`. A header of
    title:/url:/published:/author/outlet: lines before a blank line is read as the source.
    Stated probabilities become the source's forecasts; a firm "will" gets an implied forecast
    left commented out; hedged, conditional and paired claims get none.

    \b
    Example:
        forecast-ledger draft article.txt --published 2026-05-21 --out forecasts/draft.yaml
        forecast-ledger draft - --json < article.md
    """
    from pathlib import Path

    from ledger.draft import draft_article
    from ledger.draft.write import render, save
    from ledger.format.dates import parse_date
    from ledger.format.models import check_slug

    when = None
    if published is not None:
        try:
            when = parse_date(published)
        except ValueError as exc:
            raise InvalidValue(f"--published: {exc}") from None
    if source_id is not None:
        try:
            check_slug(source_id)
        except ValueError as exc:
            raise InvalidValue(f"--source-id: {exc}") from None
    if article == "-":
        text, name = sys.stdin.read(), "standard input"
    else:
        path = Path(article)
        if not path.is_file():
            raise LedgerError(f"no such file: {article}")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise LedgerError(f"{article} is not UTF-8 text") from None
        name = path.name
    if not text.strip():
        raise LedgerError(f"{name} is empty: there is nothing to draft from")
    result = draft_article(text, published=when, source_id=source_id)
    yaml_text = render(result, article_name=name)
    if out:
        save(yaml_text, out)
    if as_json:
        from ledger.draft.phrase import propose
        from ledger.reports.render import to_json

        click.echo(to_json({"source_id": result.source_id, "published": result.published,
                            "published_from": result.published_from, "file": out,
                            "claims": [_as_dict(p) for p in propose(
                                result.candidates, result.published, result.article.text)]}))
        return
    if out:
        n = len(result.candidates)
        click.echo(f"drafted {n} question{'s' if n != 1 else ''} from {name} into {out}; "
                   f"review it, then: forecast-ledger import {out}")
    else:
        click.echo(yaml_text, nl=False)


def _as_dict(p: Proposal) -> dict:
    c = p.candidate
    s = c.stance
    return {"id": p.id, "question": p.question, "criteria": p.criteria,
            "quote": c.quote, "start": c.start, "end": c.end, "kind": s.kind,
            "direction": s.direction, "probability": s.probability,
            "probability_text": s.probability_text, "horizon": c.horizon_text,
            "horizon_source": c.horizon_source, "resolve_by": c.resolve_by,
            "resolve_by_rule": c.resolve_by_rule, "confidence": c.confidence,
            "reasons": c.reasons, "tags": c.tags}
