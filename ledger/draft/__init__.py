"""Drafting forecast questions from an article: ``draft_article(text) -> Draft``.

The engine is deterministic and offline: :mod:`.article` splits the text, :mod:`.stance` reads
cues, hedges and stated probabilities, :mod:`.horizon` turns time phrases into dates,
:mod:`.extract` picks the claims (behind the :class:`~.extract.Extractor` protocol), and
:mod:`.write` writes a forecast file for review, with a comment on every question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ledger.draft.article import Article, read_article
from ledger.draft.extract import Candidate, Extractor, RuleExtractor

__all__ = ["Candidate", "Draft", "Extractor", "RuleExtractor", "draft_article"]


@dataclass
class Draft:
    """An article's drafted claims, with the source metadata the forecast file needs."""

    article: Article
    published: date
    published_from: str          # "--published", "the header" or "today (no date given)"
    source_id: str
    title: str
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def author(self) -> str | None:
        who = self.article.meta.get("author/outlet") or self.article.meta.get("author")
        return who.split(",")[0].strip()[:100] if who else None

    @property
    def publisher(self) -> str | None:
        who = self.article.meta.get("author/outlet")
        if who and "," in who:
            return who.split(",", 1)[1].strip()[:100] or None
        return (self.article.meta.get("outlet") or self.article.meta.get("publisher")
                or None)

    @property
    def url(self) -> str | None:
        url = self.article.meta.get("url")
        return url if url and re.fullmatch(r"https?://\S+", url) else None


def slug(text: str, limit: int = 60) -> str:
    """A lowercase id made from ``text``: letters and digits joined by '-'."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    out = ""
    for w in words:
        if len(out) + len(w) + 1 > limit:
            break
        out = f"{out}-{w}" if out else w
    return out or "article"


def draft_article(text: str, published: date | None = None, source_id: str | None = None,
                  extractor: Extractor | None = None, today: date | None = None) -> Draft:
    """Draft the forecastable claims of an article.

    Parameters
    ----------
    text
        The article, plain text or Markdown, optionally with a ``title:``/``url:``/
        ``published:``/``author/outlet:`` header before a blank line.
    published
        The publication date; overrides the header's. Without either, today is used (and
        every rule says so).
    source_id
        The source's id in the forecast file; default: made from the title and date.
    extractor
        Any :class:`Extractor`; default :class:`RuleExtractor`.

    Returns
    -------
    Draft
        The candidates in text order, with their quotes, stances and resolve-by dates.
    """
    from ledger.format.dates import today as local_today

    article = read_article(text)
    if published is not None:
        when, origin = published, "given"
    elif article.published is not None:
        when, origin = article.published, "the header"
    elif article.meta.get("published") or article.meta.get("date"):
        written = article.meta.get("published") or article.meta.get("date")
        when, origin = (today or local_today()), (f"today: the header's published: {written!r} "
                                                  "is not a date")
    else:
        when, origin = (today or local_today()), "today (no date given)"
    # Without a title: the first sentence with words in it, or the first heading.
    first_line = next((s.text for s in article.sentences if re.search(r"[A-Za-z]{2}", s.text)),
                      "") or next((b.text for b in article.blocks if b.kind == "heading"), "")
    title = (article.title or first_line or "Untitled article")[:300]
    sid = source_id or slug(f"{title[:50]} {when.isoformat()}", 90)
    candidates = (extractor or RuleExtractor()).extract(article, when)
    return Draft(article, when, origin, sid, title, candidates)
