"""Turning a candidate claim into a draft question: id, yes/no question, criteria.

The phrasing is mechanical on purpose (the reviewer rewrites it): the quote's attribution
("I predict that", "the agency said it expects") is dropped, the first modal verb is moved to
the front ("X will Y" -> "Will X Y"), the claim's own horizon phrase is replaced by the
resolve-by date, and the criteria say what counts in the article's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ledger.draft.extract import Candidate

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_LEAD = re.compile(
    r"^\W*(?:(?:and|but|so|yet|though|also|still|however|on\s+the\s+other\s+hand)\W+)*"
    r"(?:(?:but\s+also|and\s+for|for)\s+)?"
    r"(?:(?:I|we|they|he|she|it|the\s+\w+|\w+)\s+(?:predict|expect|believe|think|see|estimate|"
    r"forecast|project|reckon)s?\s+(?:that\s+)?|my\s+(?:best\s+)?guess\s+is\s+(?:that\s+)?|"
    r"(?:it\s+is|it['’]s|it\s+seems)\s+(?:very\s+|highly\s+|virtually\s+|almost\s+)?"
    r"(?:likely|certain|inevitable|plausible|possible|clear|probable)\s+that\s+|"
    r"what\s+is\s+certain\s+is\s+that\s+|(?:also\s+)?worth\s+watching:\s*|watch\s+for\s+|"
    r"watch\s+|expect\s+|whether\s+[^,]*\bor\s+not\s*,\s*|whether\s+|"
    r"according\s+to\s+[^,]+,\s*|"
    r"(?:[\w’'-]+\s+){1,4}(?:said|says|say|told\s+\w+|warned|warn|added)\s+(?:on\s+\w+\s+)?"
    r"(?:that\s+)?|"
    r"(?:it|it['’]s|it\s+is|that['’]s)\s+(?:seems?|looks?)\s+like\s+)*", re.IGNORECASE)
# ', chief executive Maria Lopez told reporters' / '," she said': who said it, not the event
_ATTRIBUTION = re.compile(r"[,\"”]*\s*[\"”]?,?\s*(?:[\w’'.-]+\s+){0,5}(?:said|says|told\s+\w+|"
                          r"added|noted|wrote)(?:\s+(?:on\s+\w+|in\s+a\s+\w+))?\s*$|"
                          r"[,\"”]+\s*(?:said|says|told|added|noted|wrote)\s+[^,\"“”]*$",
                          re.IGNORECASE)
_MODAL = re.compile(
    r"\b(?P<m>will\s+not|won['’]t|(?<!political )(?<!the )will(?!\s+to\b)|shall|"
    r"(?:is|are)\s+(?:not\s+)?(?:going|expected|likely|"
    r"set|projected|poised|bound|destined|due)\s+to|(?:is|are)\s+(?:un)?likely\s+to|"
    r"should(?:n['’]t)?|could|might|may|would\s+not|would|set\s+to|expected\s+to|likely\s+to)\s+",
    re.IGNORECASE)


@dataclass
class Proposal:
    """A candidate as a question for the forecast file, editable before it is written."""

    candidate: Candidate
    id: str
    question: str
    criteria: str
    resolve_by: date
    keep: bool = True
    notes: list[str] = field(default_factory=list)


def plain(text: str) -> str:
    """``text`` without Markdown links, emphasis and surplus spaces."""
    text = _LINK.sub(r"\1", text)
    text = re.sub(r"(\*\*|__|(?<!\w)[*_]|[*_](?!\w))", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _claim_text(c: Candidate) -> str:
    text = plain(c.quote).rstrip(" .;:,")
    if c.horizon is not None and c.horizon_source == "own":
        cut = re.sub(rf"(?<=\S)\s*(?:,\s*)?(?:\b(?:on|by|in|during|over|within|at|before|"
                     rf"until)\s+)?{re.escape(plain(c.horizon.text))}", "", text, count=1)
        # (not when the horizon is the subject: "Early 2022 is going to be bad")
        if len(cut.split()) >= 3 and not re.search(r"\b(?:is|guess\s+is|be)\W*$", cut):
            text = cut.strip(" ,")
    if re.match(r"\W*according\s+to\b", text, re.IGNORECASE) and (m := _MODAL.search(text)):
        comma = text.rfind(", ", 0, m.start())
        text = text[comma + 2:] if comma > 0 else text
    text = _ATTRIBUTION.sub("", text).strip(" ,")
    text = _LEAD.sub("", text, count=1).strip(" ,\"“”")
    # "I don't expect there to be riots" -> "there will be riots" (direction: no)
    if (m := re.match(r"(?:I|we)\s+(?:don['’]t|do\s+not)\s+(?:expect|believe|think|see)\s+"
                      r"(?:that\s+)?", text, re.IGNORECASE)):
        text = text[m.end():]
        if not _MODAL.search(text):
            text = re.sub(r"^(there|it|they|\w+(?:\s+\w+){0,4}?)\s+to\s+", r"\1 will ", text,
                          count=1)
    # "..., I'm fairly sure" / "..., I think": the author's confidence, not part of the event
    text = re.sub(r",\s*(?:I['’]m|I\s+am|I\s+think|I\s+believe|I\s+suspect|I\s+reckon)\b[^,]*$",
                  "", text)
    # "X will happen, or don't" / "either pays off or doesn't": the question asks the first half
    text = re.sub(r",?\s+or\s+(?:not|doesn['’]t|don['’]t|won['’]t|isn['’]t)\W*$", "", text)
    if len(text.split()) < 3:  # too little left: the whole sentence, for the reviewer to edit
        return plain(c.sentence).rstrip(" .;:,")
    return text


_THAT = re.compile(r"\b(?:fears?|think|thinks|believe|believes|predicts?|expects?|says?|said|is|"
                   r"was|certain|likely|clear|inevitable|warn(?:s|ed)?|not(?:e|es|ed)|suggests?|"
                   r"argues?|means?|sure|confident)\s+that\s+", re.IGNORECASE)
_CHANCE_OF = re.compile(r"\b(?:probability|chance|odds|likelihood|risk)\s+"
                        r"(?P<how>of|that|(?=(?:the|they|he|she|it|we|a|an)\s))\s*"
                        r"(?P<what>.+?)(?=\s+(?:at|is|was|are|were|stands?)\b|\s+\d|,|\s+compared|\s+versus|$)",
                        re.IGNORECASE)


def question_text(c: Candidate, context: str = "") -> str:
    """A yes/no question with the resolve-by date in it.

    ``context`` (the article) decides whether the subject's first word keeps its capital: it
    does when the article also writes it capitalized mid-sentence (a name).
    """
    when = c.resolve_by.isoformat()
    text = _claim_text(c)
    if c.stance.kind == "stated" and (m := _CHANCE_OF.search(text)):
        what = m.group("what").strip(" ,")
        if c.horizon is not None:
            what = re.sub(rf"\s*(?:\b(?:in|over|within|during|by)\s+)?"
                          rf"{re.escape(plain(c.horizon.text))}", "", what).strip()
        if m.group("how").lower() != "of":  # the whole clause: "that the Fed cuts at ..."
            return f"By {when}, will it be true that {text[m.start('what'):].strip(' ,.')}?"
        return f"Will {what} happen by {when}?"
    whole = text
    condition = ""
    if c.stance.conditional and (m := re.match(r"\W*((?:if|unless|so\s+long\s+as|as\s+long\s+"
                                               r"as|provided)\b[^,]+),\s*", text, re.I)):
        condition, text = m.group(1)[0].upper() + m.group(1)[1:] + ", ", text[m.end():]
    if (m := _MODAL.search(text)) and (that := list(_THAT.finditer(text, 0, m.start()))):
        text = text[that[-1].end():]  # the claim inside "we fear that the Fed will ..."
    if not _MODAL.search(text) and (likely := re.match(
            r"^(.+?)\s+(?:is|are)\s+(?:very\s+|highly\s+)?(?:un)?likely(?:\s+to\s+(.+))?$", text,
            re.IGNORECASE)):
        # "a recession is unlikely" -> "Will a recession happen"; the direction says "no"
        subject = likely.group(1)
        if not _proper(subject, context or c.sentence):
            subject = subject[0].lower() + subject[1:]
        return f"{condition}{'will' if condition else 'Will'} {subject} " \
               f"{likely.group(2) or 'happen'} by {when}?"
    if m := _MODAL.search(text):
        subject, rest = text[:m.start()].strip(" ,"), text[m.end():].strip()
        modal = m.group("m").lower()
        negative = "not" in modal or "n't" in modal or "n’t" in modal
        if subject and rest and len(subject.split()) <= 25:
            if not _proper(subject, context or c.sentence):
                subject = subject[0].lower() + subject[1:]
            will = "will" if condition else "Will"
            return f"{condition}{will} {subject} {'not ' if negative else ''}{rest} by {when}?"
    return f"By {when}, will this happen: {whole}?"


def _proper(subject: str, context: str) -> bool:
    """Whether the subject's first word keeps its capital: a name (camel case, digits, written
    capitalized mid-sentence elsewhere), or a word the article never writes in lowercase."""
    first = subject.split()[0]
    if not first[:1].isupper():
        return True
    bare = first.strip("“\"‘'")
    if bare.lower() in _COMMON:
        return False
    if re.search(r"[A-Z0-9]", bare[1:]) or re.search(rf"[a-z,;][ \t]+{re.escape(bare)}\b",
                                                     context):
        return True
    return not re.search(rf"\b{re.escape(bare.lower())}\b", context)


_COMMON = {"the", "a", "an", "this", "that", "these", "those", "it", "its", "there", "many",
           "more", "most", "some", "our", "their", "his", "her", "my", "we", "they", "you",
           "all", "every", "each", "no", "few", "several", "both", "other", "another", "such"}


def criteria_text(c: Candidate, published: date) -> str:
    """Draft criteria: the window, the article's words, the premise of a conditional."""
    parts = [f"Yes if, between {published.isoformat()} and {c.resolve_by.isoformat()}, the "
             f"event the article describes happens: \"{plain(c.quote).rstrip('.')}\"."]
    premise = re.search(r"\b(?:if|unless|so\s+long\s+as|as\s+long\s+as|until)\s+([^,]+)",
                        plain(c.quote), re.IGNORECASE)
    if c.stance.conditional and (m := premise):
        parts.append(f"Premise: {m.group(1).strip()}. If the premise fails, the question "
                     "is annulled.")
    parts.append("No otherwise. (Drafted from the text: make the event and any threshold "
                 "precise before importing.)")
    return " ".join(parts)


def question_id(c: Candidate, taken: set[str]) -> str:
    """A short unique id from the claim's words and its resolve-by year."""
    words = [w for w in re.findall(r"[a-z0-9]+", plain(_claim_text(c)).lower())
             if w not in {"the", "a", "an", "of", "to", "in", "on", "for", "and", "or", "will",
                          "be", "is", "are", "that", "this", "it", "its", "by", "with", "at"}]
    base = "-".join(words[:7])[:80].strip("-") or "claim"
    base = f"{base}-{c.resolve_by.year}"
    qid, n = base, 2
    while qid in taken:
        qid, n = f"{base}-{n}", n + 1
    taken.add(qid)
    return qid


def propose(candidates: list[Candidate], published: date, context: str = "") -> list[Proposal]:
    """One proposal per candidate, with unique ids; ``context`` is the article's text."""
    taken: set[str] = set()
    return [Proposal(c, question_id(c, taken), question_text(c, context),
                     criteria_text(c, published), c.resolve_by) for c in candidates]
