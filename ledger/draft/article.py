"""An article as the drafter reads it: its header, its blocks, its sentences, with offsets.

Every piece keeps its ``start``/``end`` offsets in :attr:`Article.text` (the whole input,
header included), so a quote cut from a sentence is always a verbatim substring of the input.
Markdown is read only as far as drafting needs: headings open sections, list items are their own
blocks, fenced code, HTML, images, tables and shortcodes are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ledger.format.dates import parse_date

HEADER_KEYS = ("title", "url", "published", "author/outlet", "author", "outlet", "publisher",
               "date")
_HEADER_LINE = re.compile(r"^(?P<key>[A-Za-z/]+):[ \t]*(?P<value>.*?)[ \t]*$")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,2}[.)])[ \t]+")
_HEADING = re.compile(r"^[ \t]*(#{1,6})[ \t]+")
_SKIP_LINE = re.compile(r"^[ \t]*(?:<|!\[|\[!\[|\{\{|\{%|\||---+\s*$|\*\*\*+\s*$)")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")

# Abbreviations after which a full stop does not end a sentence.
_ABBREV = {"mr", "mrs", "ms", "dr", "prof", "st", "inc", "ltd", "co", "corp", "jr", "sr", "vs",
           "etc", "e.g", "i.e", "no", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
           "sept", "oct", "nov", "dec", "approx", "fig", "est", "u.s", "u.k", "bp", "al"}
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]*_]*(?=\s+[\"'“‘(\[*_]*[A-Z0-9$£€])|"
                           r"[.!?…]+[\"'”’)\]*_]*$")


@dataclass(frozen=True)
class Sentence:
    """One sentence: its text and offsets in the article, and where it stands."""

    text: str
    start: int
    end: int
    block: int          # index of its block in Article.blocks
    index: int          # index in Article.sentences
    masked: str = ""    # text with link targets blanked (same length): what rules read


@dataclass(frozen=True)
class Block:
    """A paragraph, list item or heading of the body."""

    kind: str           # "heading", "paragraph" or "item"
    text: str
    start: int
    end: int
    level: int = 0      # heading level (1-6); for other blocks the level of their section
    section: str = ""   # the heading text of the section the block is in


@dataclass
class Article:
    """The input text split for drafting."""

    text: str
    body_start: int
    meta: dict[str, str]
    blocks: list[Block] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def title(self) -> str | None:
        return self.meta.get("title") or None

    @property
    def published(self) -> date | None:
        value = self.meta.get("published") or self.meta.get("date")
        if not value:
            return None
        try:
            return parse_date(value)
        except ValueError:
            return None

    def block_sentences(self, block: int) -> list[Sentence]:
        return [s for s in self.sentences if s.block == block]


def parse_header(text: str) -> tuple[dict[str, str], int]:
    """Read ``key: value`` lines before the first blank line as the source's metadata.

    Returns the metadata and the offset where the body starts. Text whose first line is not such
    a line (or which has no blank line after them) has no header.
    """
    meta: dict[str, str] = {}
    pos = 0
    if fence := re.match(r"(---|\+\+\+)[ \t]*\n", text):
        return _front_matter(text, fence.group(1))
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if not stripped:
            if meta:
                return meta, pos + len(line)
            return {}, 0
        m = _HEADER_LINE.match(stripped)
        if not m or m.group("key").lower() not in HEADER_KEYS:
            return {}, 0
        meta[m.group("key").lower()] = m.group("value").strip().strip("\"'")
        pos += len(line)
    return {}, 0


def _front_matter(text: str, fence: str) -> tuple[dict[str, str], int]:
    """A Markdown file's YAML (``---``) or TOML (``+++``) front matter, read for the same keys."""
    end = re.search(rf"^{re.escape(fence)}[ \t]*$\n?", text[3:], re.MULTILINE)
    if end is None:
        return {}, 0
    meta: dict[str, str] = {}
    for line in text[3:3 + end.start()].splitlines():
        m = re.match(r"^\s*([A-Za-z/_]+)\s*[:=]\s*(.*?)\s*$", line)
        if m and m.group(1).lower() in HEADER_KEYS + ("authors",):
            meta[m.group(1).lower().rstrip("s") if m.group(1).lower() == "authors"
                 else m.group(1).lower()] = m.group(2).strip("\"'[] ")
    if "date" in meta:
        meta["date"] = meta["date"][:10]
    return meta, 3 + end.end()


def _lines(text: str, start: int) -> list[tuple[int, str]]:
    out, pos = [], start
    for line in text[start:].splitlines(keepends=True):
        out.append((pos, line.rstrip("\r\n")))
        pos += len(line)
    return out


def _is_bare_heading(line: str, prev_blank: bool, next_blank_or_end: bool) -> bool:
    # Plain-text articles (no Markdown) mark headings as short lines without a full stop.
    words = line.split()
    return (0 < len(words) <= 7 and not re.search(r"[.!:;,]\s*$", line)
            and not (line.endswith("?") and len(words) > 5)
            and line[:1].isupper() and (prev_blank or next_blank_or_end or len(words) <= 4))


def split_blocks(text: str, start: int) -> list[Block]:
    """The body's blocks: headings, list items and paragraphs, with their section."""
    blocks: list[Block] = []
    section, level = "", 0
    in_fence = False
    para: list[tuple[int, str]] = []

    def flush() -> None:
        if para:
            s = para[0][0]
            e = para[-1][0] + len(para[-1][1])
            blocks.append(Block("paragraph", text[s:e], s, e, level, section))
            para.clear()

    lines = _lines(text, start)
    for i, (pos, line) in enumerate(lines):
        if _FENCE.match(line):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if not line.strip():
            flush()
            continue
        if _SKIP_LINE.match(line):
            flush()
            continue
        if m := _HEADING.match(line):
            flush()
            level = len(m.group(1))
            section = line[m.end():].strip().strip("#").strip()
            s = pos + m.end()
            blocks.append(Block("heading", section, s, pos + len(line), level, section))
            continue
        if m := _LIST_ITEM.match(line):
            flush()
            s = pos + m.end()
            blocks.append(Block("item", text[s:pos + len(line)], s, pos + len(line), level,
                                section))
            continue
        prev_blank = i == 0 or not lines[i - 1][1].strip()
        next_blank = i + 1 >= len(lines) or not lines[i + 1][1].strip()
        if not para and _is_bare_heading(line.strip(), prev_blank, next_blank):
            flush()
            s = pos + len(line) - len(line.lstrip())
            section = line.strip()
            level = 2
            blocks.append(Block("heading", section, s, pos + len(line.rstrip()), level, section))
            continue
        para.append((pos, line))
        if re.search(r"[.!?:\"”’)]\s*$", line) and not next_blank and \
                re.match(r"\s*[A-Z“\"‘]", lines[i + 1][1]):
            # Plain text with one paragraph a line and no blank lines between them.
            flush()
    flush()
    return blocks


def split_sentences(text: str, start: int = 0) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` (offsets shifted by ``start``), whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    begin = 0
    for m in _SENTENCE_END.finditer(text):
        word = re.search(r"([A-Za-z.]+)$", text[begin:m.start()])
        abbrev = word.group(1).lower().rstrip(".") if word else ""
        if m.group(0).startswith(".") and abbrev in _ABBREV and (
                abbrev != "no" or re.match(r"\s*\d", text[m.end():])):
            continue
        if m.group(0).startswith(".") and re.search(r"\b[A-Z]$", text[begin:m.start()]):
            continue  # an initial: "J. Smith"
        spans.append((begin, m.end()))
        begin = m.end()
    if text[begin:].strip():
        spans.append((begin, len(text)))
    out = []
    for s, e in spans:
        chunk = text[s:e]
        lead = len(chunk) - len(chunk.lstrip())
        trail = len(chunk) - len(chunk.rstrip())
        if chunk.strip():
            out.append((start + s + lead, start + e - trail))
    return out


_LINK_TARGET = re.compile(r"\]\((?:[^()\s]|\([^()]*\))*\)|<https?://[^>]*>|https?://\S+")


def mask_links(text: str) -> str:
    """``text`` with Markdown link targets and bare URLs blanked, offsets unchanged.

    Dates inside URLs ("/2023/10/06/") must not read as horizons.
    """
    def blank(m: re.Match) -> str:
        keep = "]" if m.group(0).startswith("]") else ""
        return keep + " " * (len(m.group(0)) - len(keep))
    return _LINK_TARGET.sub(blank, text)


def read_article(text: str) -> Article:
    """Split ``text`` (with an optional header) into blocks and sentences."""
    text = text.replace("\r\n", "\n")
    meta, body = parse_header(text)
    masked = mask_links(text)
    article = Article(text=text, body_start=body, meta=meta)
    article.blocks = split_blocks(text, body)
    for bi, block in enumerate(article.blocks):
        if block.kind == "heading":
            continue
        for s, e in split_sentences(block.text, block.start):
            article.sentences.append(Sentence(text[s:e], s, e, bi, len(article.sentences),
                                              masked[s:e]))
    return article
