"""The rule-based extractor: sentences and clauses in, candidate claims out.

Behind the :class:`Extractor` protocol (``extract(article, published) -> list[Candidate]``), so a
model-based extractor can replace it without touching the writer, the CLI or the dashboard.

For each sentence: split it into clauses (a sentence holding two checkable events is two
claims), read each clause's stance (:mod:`ledger.draft.stance`), drop what is not a forecast
(past facts, plans, hopes, advice, boilerplate, judgments, counterfactuals, questions), find its
horizon (:mod:`ledger.draft.horizon`), and drop duplicates of an earlier claim.

A clause with no horizon of its own takes, in order: the horizon of the clause it continues
("I expect X by 2030, and for Y to ..."), the lead-in of its list ("the outlook for the second
quarter is as follows:"), a later sentence of its paragraph, the article's own window (its title
or opening: "my predictions for 2025"; or a "watch ... over the next 12 months" line), and last
the documented default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from ledger.draft.article import Article, Sentence, mask_links
from ledger.draft.horizon import (
    VAGUE_DEFAULTS,
    FiscalCalendar,
    Horizon,
    default_resolve_by,
    find_horizons,
    fiscal_calendar,
)
from ledger.draft.rules import (
    FORECAST_NOUN,
    FRAME,
    IMPERATIVE,
    NOT_DISCLOSED,
    NOW,
    OPENER,
    PAST_MARK,
    SENTENCE_RULES,
    SKIP_RULES,
    SPLITS,
    STOP,
    SUBORDINATE_CUE,
    WATCH_SECTION,
    WORD,
)
from ledger.draft.stance import (
    FOLLOW_UP,
    Stance,
    has_future_cue,
    is_counterfactual,
    read_stance,
    stated_probability,
)
from ledger.format.models import MAX_QUOTE_WORDS  # the quote limit forecast files enforce


@dataclass
class Candidate:
    """One drafted claim: its quote, stance, horizon, and why the engine picked it."""

    quote: str
    start: int
    end: int
    sentence: str
    stance: Stance
    horizon: Horizon | None
    horizon_source: str          # own, continued clause, list lead-in, paragraph, article, default
    resolve_by: date
    resolve_by_rule: str
    confidence: float
    reasons: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def direction(self) -> str:
        return self.stance.direction

    @property
    def horizon_text(self) -> str | None:
        return self.horizon.text if self.horizon else None


class Extractor(Protocol):
    """Text in, candidate claims out; the one seam a model-based extractor plugs into."""

    def extract(self, article: Article, published: date) -> list[Candidate]: ...


def _content(text: str) -> set[str]:
    return {w.lower().rstrip("s") for w in WORD.findall(text) if w.lower() not in STOP}


def split_clauses(text: str) -> list[tuple[int, int, bool, bool]]:
    """Clause spans of one sentence: (start, end, continues-stance, continues-horizon)."""
    cuts: list[tuple[int, int, bool, bool]] = []
    for pattern, stance, horizon in SPLITS:
        for m in pattern.finditer(text):
            keep = m.group(0).lstrip(",; ").lstrip("-–— ")
            cut_at = m.end() - len(keep) if keep and pattern.pattern != r";\s+" else m.end()
            if pattern.pattern.startswith(",\\s+having"):
                cut_at = m.start() + 2
            if any(abs(cut_at - c[1]) < 3 for c in cuts):
                continue
            cuts.append((m.start(), cut_at, stance, horizon))
    cuts.sort()
    spans, begin, flags = [], 0, (False, False)
    for end_prev, start_next, stance, horizon in cuts:
        if len(text[begin:end_prev].split()) >= 3 and len(text[start_next:].split()) >= 3:
            spans.append((begin, end_prev, *flags))
            begin, flags = start_next, (stance, horizon)
    spans.append((begin, len(text), *flags))
    return spans


def _split_on_horizons(text: str, start: int, end: int, horizons: list[Horizon]
                       ) -> list[tuple[int, int]]:
    """A clause listing several dated figures ("1.75% in Q3, 0.75% in Q4 and 1% in Q1") splits
    into one claim per date, at the last comma or "and" before each later figure."""
    inside = [h for h in horizons if start <= h.start and h.end <= end and not h.vague]
    if len(inside) < 2:
        return [(start, end)]
    pieces, begin = [], start
    for prev, nxt in zip(inside, inside[1:], strict=False):
        gap = text[prev.end:nxt.start]
        seps = list(re.finditer(r",\s+(?:and\s+)?|\s+and\s+", gap))
        if not seps:
            continue
        sep = seps[-1]
        piece = text[prev.end + sep.end():nxt.start]
        if not re.search(r"\d", piece):
            continue  # "on July 3, to holders of record on June 11": one event, two dates
        pieces.append((begin, prev.end + sep.start()))
        begin = prev.end + sep.end()
    pieces.append((begin, end))
    return pieces


def _cut_quote(text: str) -> str:
    """At most MAX_QUOTE_WORDS words, cut at a clause boundary when there is one."""
    words = text.split()
    if len(words) <= MAX_QUOTE_WORDS:
        return text
    limit = len(" ".join(words[:MAX_QUOTE_WORDS]))
    # the offset in text where word MAX_QUOTE_WORDS ends (text may hold runs of spaces)
    pos = 0
    for count, m in enumerate(re.finditer(r"\S+", text), start=1):
        if count == MAX_QUOTE_WORDS:
            pos = m.end()
            break
    limit = pos
    boundary = max(text.rfind(sep, 0, limit) for sep in (", ", "; ", " - ", " — ", " – "))
    if boundary > limit // 3:
        return text[:boundary]
    return text[:limit]


class RuleExtractor:
    """The deterministic extractor: lexicons, clause splitting and the horizon grammar."""

    def extract(self, article: Article, published: date) -> list[Candidate]:
        fiscal = fiscal_calendar(article.text)
        window = self.article_window(article, published, fiscal)
        framed = self.framed_blocks(article)
        out: list[Candidate] = []
        seen: list[tuple[set[str], Candidate]] = []
        for sentence in article.sentences:
            if out and FOLLOW_UP.match(sentence.text) and (
                    prob := stated_probability(sentence.masked or sentence.text)) and \
                    article.sentences[sentence.index - 1].block == sentence.block and \
                    out[-1].sentence == article.sentences[sentence.index - 1].text:
                _attach_probability(out[-1], prob, sentence.text)
                continue
            for cand in self._sentence(article, sentence, published, fiscal, window,
                                       sentence.block in framed):
                words = _content(cand.quote)
                dup = next((c for w, c in seen if len(words) >= 3 and len(w) >= 3
                            and len(words & w) / min(len(words), len(w)) >= 0.7), None)
                if dup is not None:
                    dup.reasons.append(f"stated again later: {cand.quote[:60]!r}")
                    continue
                seen.append((words, cand))
                out.append(cand)
        return out

    def framed_blocks(self, article: Article) -> set[int]:
        """Blocks of the subsections that follow "I'd like to offer a forecast" (to the end of
        its section), except a subsection that says it describes the present ("right now")."""
        framed: set[int] = set()
        level = None
        for i, block in enumerate(article.blocks):
            if block.kind == "heading":
                if level is not None and block.level <= level:
                    level = None
                continue
            if level is not None:
                framed.add(i)
            elif block.kind == "paragraph" and FRAME.search(block.text):
                level = block.level
        for i in sorted(framed):
            first = next((s for s in article.sentences if s.block == i), None)
            prev = article.blocks[i - 1] if i else None
            if prev is not None and prev.kind == "heading" and first is not None and \
                    NOW.search(first.text):
                # the whole subsection is about the present
                j = i
                while j < len(article.blocks) and article.blocks[j].kind != "heading":
                    framed.discard(j)
                    j += 1
        return framed

    # -- the article's own window ------------------------------------------------------------

    def article_window(self, article: Article, published: date,
                       fiscal: FiscalCalendar | None) -> tuple[Horizon, str] | None:
        """The horizon that frames the whole article, and where it was found."""
        def future(text: str) -> Horizon | None:
            for h in find_horizons(text, published, fiscal):
                if not h.vague and not h.past and h.resolve_by and h.resolve_by > published:
                    return h
            return None

        if article.title and (h := future(article.title)):
            return h, "the title"
        intro = []
        for block in article.blocks:
            if block.kind == "heading":
                break
            intro.append(block)
            if len(intro) == 3:
                break
        for block in intro:
            if h := future(block.text):
                return h, "the opening paragraphs"
        for s in article.sentences:
            if re.match(r"\W*(?:watch|keep\s+an\s+eye)", s.text, re.IGNORECASE) and (
                    h := future(s.text)):
                return h, f"the watch line {s.text[:60]!r}"
        return None

    # -- one sentence ------------------------------------------------------------------------

    def _sentence(self, article: Article, sentence: Sentence, published: date,
                  fiscal: FiscalCalendar | None, window: tuple[Horizon, str] | None,
                  framed: bool = False) -> list[Candidate]:
        text = sentence.masked or sentence.text  # link targets blanked, same offsets
        if text.rstrip("*_ ").endswith(("?", ":")):
            return []  # questions to the reader; lead-ins of lists
        if not has_future_cue(text) and not NOT_DISCLOSED.search(text) and not (
                FORECAST_NOUN.search(text)) and not framed:
            return []
        if self._not_a_forecast_sentence(text):
            return []
        block = article.blocks[sentence.block]
        watch_section = bool(WATCH_SECTION.search(block.section or ""))
        horizons = find_horizons(text, published, fiscal)
        out: list[Candidate] = []
        previous: tuple[Stance, Horizon | None] | None = None
        for cs, ce, cont_stance, cont_horizon in split_clauses(text):
            for ps, pe in _split_on_horizons(text, cs, ce, horizons):
                clause = text[ps:pe].strip(" ,;")
                if not clause:
                    continue
                lead = text[ps:pe].find(clause)
                cstart = sentence.start + ps + lead
                own = [h for h in horizons if ps <= h.start and h.end <= pe]
                inherited = previous[0] if previous and (cont_stance or ps != cs) else None
                stance = read_stance(clause, inherited=inherited)
                reasons: list[str] = []
                if stance is None and watch_section and (
                        NOT_DISCLOSED.search(clause) or re.match(r"\W*whether\b", clause, re.I)):
                    cue = NOT_DISCLOSED.search(clause) or re.match(r"\W*whether", clause, re.I)
                    stance = Stance("watch", "unclear", cue.group(0).strip())
                    reasons.append(f"an open question in a {block.section!r} section")
                if stance is None and FORECAST_NOUN.search(clause) and _has_figure(
                        text, ps, pe, own) and (any(not h.past and not h.vague for h in own)
                                                or self._lead_in(article, sentence, published,
                                                                 fiscal)):
                    stance = Stance("firm", "yes", FORECAST_NOUN.search(clause).group(0))
                    reasons.append("a dated forecast figure")
                if stance is None and framed and not PAST_MARK.search(clause) and len(
                        clause.split()) >= 5:
                    stance = Stance("firm", "yes", "present tense")
                    reasons.append("in a section the author offers as a forecast")
                if stance is None:
                    continue
                front = _fronted(clause, stance)
                why_not = self._not_a_forecast(clause[front:], text, own, stance, published)
                if not why_not and stance.kind == "hedged" and re.match(
                        r"\W*even\s+if\b", clause, re.IGNORECASE):
                    why_not = "a hypothetical"
                if not why_not and SUBORDINATE_CUE.match(clause) and not has_future_cue(
                        clause[clause.find(",") + 1:] if "," in clause else ""):
                    why_not = "the cue is in a subordinate clause"  # "Given X will ..., Y is"
                if why_not:
                    continue
                continues = previous is not None and (cont_horizon or ps != cs)
                if stance.conditional and (cond := re.match(
                        r"\W*(?:if|unless|so\s+long\s+as|as\s+long\s+as|provided)\b[^,]+,",
                        clause, re.IGNORECASE)):
                    # "If X in November, Y by spring 2027": Y's date is the question's
                    after = ps + lead + cond.end()
                    own = sorted(own, key=lambda h: h.start < after)
                horizon, source, resolve_by, rule = self._horizon(
                    article, sentence, own, previous[1] if continues else None,
                    published, fiscal, window)
                previous = (stance, horizon if source in ("own", "continued clause") else None)
                trim = front if not any(h.start < ps + lead + front for h in own) else 0
                cstart += trim
                quote = _cut_quote(article.text[cstart:cstart + len(clause) - trim])
                out.append(Candidate(
                    quote=quote, start=cstart, end=cstart + len(quote), sentence=sentence.text,
                    stance=stance, horizon=horizon, horizon_source=source,
                    resolve_by=resolve_by, resolve_by_rule=rule,
                    confidence=_confidence(stance, source, horizon),
                    reasons=[_why(stance)] + reasons, tags=_tags(stance)))
        return out

    def _not_a_forecast_sentence(self, text: str) -> str | None:
        # Rules about the whole sentence: a "but a must" or "this post" anywhere rules it out.
        for why, pattern in SKIP_RULES:
            if why in SENTENCE_RULES and pattern.search(text):
                return why
        return None

    def _not_a_forecast(self, clause: str, sentence: str, own: list[Horizon],
                        stance: Stance, published: date) -> str | None:
        for why, pattern in SKIP_RULES:
            if pattern.search(clause):
                return why
        if IMPERATIVE.match(sentence) or is_counterfactual(clause):
            return "advice or a counterfactual"
        if len(_content(clause)) < 2:
            return "too little to check"
        future = [h for h in own if not h.past]
        if own and not future and not re.search(
                r"\bwill\b|\bexpected\b|\bexpects?\b|\bgoing\s+to\b", clause, re.IGNORECASE):
            return "a past fact"
        dated = [h for h in future if not h.vague or not h.rule.startswith(
            VAGUE_DEFAULTS["season"][1])]
        dated = [h for h in dated if not _weak_year(h, clause, published)]
        if stance.kind == "hedged":
            if re.search(r"\beven\s+if\b|\b(?:how|what|why|whether)\s+(?:\w+\s+){0,3}"
                         r"(?:might|could|may)\b", clause, re.IGNORECASE):
                return "a hypothetical"
            if not dated and not re.search(
                    r"\b(?:will|going\s+to)\b|\b(?:might|could|may)\s+(?:begin|start)\s+to\b",
                    clause, re.IGNORECASE):
                return "a hedge with no event or date to check"
        if stance.kind in ("hedged", "firm") and re.search(
                r"\b(?:was|were|had|did)\b", clause, re.IGNORECASE) and not re.search(
                r"\b(?:will|going\s+to|expects?|expected|predicts?|projected)\b", clause,
                re.IGNORECASE) and not dated:
            return "past narrative"
        return None

    def _lead_in(self, article: Article, sentence: Sentence, published: date,
                 fiscal: FiscalCalendar | None) -> Horizon | None:
        block = article.blocks[sentence.block]
        if block.kind != "item":
            return None
        lead_in = next((b for b in reversed(article.blocks[:sentence.block]) if b.kind != "item"),
                       None)
        if lead_in is None or not lead_in.text.rstrip().endswith(":"):
            return None
        hs = [h for h in find_horizons(mask_links(lead_in.text), published, fiscal) if not h.past]
        return hs[0] if hs else None

    def _horizon(self, article: Article, sentence: Sentence, own: list[Horizon],
                 continued: Horizon | None, published: date, fiscal: FiscalCalendar | None,
                 window: tuple[Horizon, str] | None) -> tuple[Horizon | None, str, date, str]:
        future = [h for h in own if not h.past]
        if future:
            h = next((x for x in future if not x.vague), future[0])
            return h, "own", h.resolve_by, _own_rule(h, published)
        if continued is not None:
            return continued, "continued clause", continued.resolve_by, \
                f"{_own_rule(continued, published)} (the horizon of the clause it continues)"
        block_index = sentence.block
        if (lead := self._lead_in(article, sentence, published, fiscal)) is not None:
            return lead, "list lead-in", lead.resolve_by, \
                f"{_own_rule(lead, published)} (from the list's lead-in)"
        later = [s for s in article.block_sentences(block_index) if s.index > sentence.index]
        for s in later:
            hs = [h for h in find_horizons(s.masked or s.text, published, fiscal) if not h.past]
            if hs:
                return hs[0], "paragraph", hs[0].resolve_by, \
                    f"{_own_rule(hs[0], published)} (from a later sentence of its paragraph)"
        if window is not None:
            h, where = window
            return h, "article", h.resolve_by, \
                f"no horizon in the sentence; the article's window from {where}: {h.rule}"
        when, rule = default_resolve_by(published)
        return None, "default", when, rule


def _fronted(clause: str, stance: Stance) -> int:
    """Characters of a fronted phrase to leave out of the quote ("For a pandemic that has been
    going on for two years, the peak will ..."), 0 when there is none. A condition ("If X, Y")
    stays: it is part of the claim."""
    if stance.kind == "conditional" or not OPENER.match(clause):
        return 0
    cue = re.search(re.escape(stance.cue), clause) if stance.cue else None
    if cue is None:
        return 0
    comma = clause.rfind(", ", 0, cue.start())
    if comma < 0 or len(clause[comma + 2:].split()) < 4:
        return 0
    return comma + 2


def _attach_probability(c: Candidate, prob: tuple[float, str, str, int], said: str) -> None:
    """"X will happen. I'd put it at 70%.": the number is the stated forecast of X."""
    value, written, form, _ = prob
    direction = "yes" if value > 0.5 else "no" if value < 0.5 else "unclear"
    c.stance = Stance("stated", direction, written, value, written, form, c.stance.conditional,
                      c.stance.negated)
    c.reasons = [f"a stated probability ({written}, in the next sentence: {said!r})"] + [
        r for r in c.reasons[1:]]
    c.tags = _tags(c.stance)
    c.confidence = max(c.confidence, 0.85)


def _has_figure(text: str, start: int, end: int, own: list[Horizon]) -> bool:
    """Whether text[start:end] holds a number that is not part of one of its horizons."""
    chars = list(text[start:end])
    for h in own:
        for i in range(h.start - start, h.end - start):
            if 0 <= i < len(chars):
                chars[i] = " "
    return bool(re.search(r"\d", "".join(chars)))


def _weak_year(h: Horizon, clause: str, published: date) -> bool:
    # "in 2020" in a post of 2020 is as often about the months gone as about the rest of the
    # year; it dates a claim only when the clause also holds a firm "will".
    return bool(re.fullmatch(r"(?:\w+\s+)?\d{4}", h.text)) and h.resolve_by is not None and \
        h.resolve_by.year == published.year and not re.search(r"\bwill\b", clause, re.I)


def _own_rule(h: Horizon, published: date) -> str:
    return f'"{h.text}": {h.rule}'


def _why(stance: Stance) -> str:
    return {
        "stated": f"a stated probability ({stance.probability_text})",
        "firm": f"a firm forecast ({stance.cue!r})",
        "hedged": f"hedged ({stance.cue!r}): no forecast drafted",
        "conditional": f"conditional ({stance.cue!r} under a condition): no forecast drafted",
        "paired": f"paired ({stance.cue!r}): the author takes no side",
        "aim": f"an aim ({stance.cue!r}), not a forecast of the outcome",
        "watch": f"a watch item ({stance.cue!r}): no side taken",
    }[stance.kind]


def _tags(stance: Stance) -> list[str]:
    tags = ["drafted", stance.kind]
    if stance.conditional and stance.kind != "conditional":
        tags.append("conditional")
    return tags


def _confidence(stance: Stance, source: str, horizon: Horizon | None) -> float:
    base = {"stated": 0.9, "firm": 0.75, "hedged": 0.6, "conditional": 0.55, "paired": 0.5,
            "aim": 0.5, "watch": 0.5}[stance.kind]
    if stance.kind == "firm" and stance.cue.lower().startswith("should"):
        base -= 0.1
    if source == "own" and horizon and not horizon.vague:
        base += 0.1
    elif source == "default":
        base -= 0.1
    return round(max(0.05, min(0.99, base)), 2)
