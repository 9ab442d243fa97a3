"""The lexicons of the rule-based extractor: what is not a forecast, where clauses split.

Every pattern is a general cue (a word or construction of English), never a phrase of one
article; docs/drafting.md lists them in prose.
"""

from __future__ import annotations

import re

# Why a clause is not a forecast. Each pattern is a general cue, not a phrase of one article.
SKIP_RULES: list[tuple[str, re.Pattern]] = [(why, re.compile(p, re.IGNORECASE)) for why, p in [
    ("a personal plan", r"\bI\s*(?:will|['’]ll|am\s+going\s+to|['’]m\s+going\s+to|am\s+planning|"
                        r"['’]m\s+planning|plan\s+to|intend\s+to|want\s+to|probably\s+won['’]t|"
                        r"['’]m\s+bound\s+to|am\s+bound\s+to)"
                        r"(?!\s+(?:see|witness|be\s+surprised))|\bas\s+a\s+personal\s+note\b|"
                        r"^\s*personally\b|\bI\s+(?:will|['’]ll)\s+be\s+\w+ing\b"),
    ("a hope", r"\b(?:I\s+hope|hopeful|hoping|excited\s+to\s+see|curious\s+to\s+see|can['’]t\s+"
               r"wait|I\s+wish|if\s+only)\b"),
    ("about the reader", r"^\W*(?:and\s+|but\s+)?you\s+(?:will|['’]ll|won['’]t|may|might|could)\b|"
                         r"\b(?:if|when)\s+you\b"),
    ("normative or habitual", r"\bneeds?\s+to\b|\bevery\s+now\s+and\s+then\b|\btends?\s+to\b|"
                              r"^\W*every\s+\w+\s+(?:I|we)\b|"
                              r"\bnot\s+to\s+say\b|\bsomewhat\W*$|\bto\s+some\s+extent\b|"
                              r"\b(?:have|has|had)\s+claimed\b|\bclaimed\s+that\b|"
                              r"\bis\s+the\s+[\w\s-]{0,40}\bwhen\b"),
    ("advice", r"\byou\s+(?:should|need\s+to|must|['’]d\s+best|had\s+better|want\s+to)\b|"
               r"\b(?:neither|nor)\s+should\s+(?:you|we)\b|"
               r"\bit\s+would\s+be\s+wise\b|\bfeel\s+free\b|\bshould\s+be\s+(?:considered|"
               r"trained|treated|taken)\b|\byou\s+(?:can|may)\s+want\b|\bmay\s+want\s+to\b"),
    ("boilerplate", r"forward-looking|safe\s+harbor|risks\s+and\s+uncertainties|undertakes?\s+no"
                    r"\s+obligation|conference\s+call|webcast|\breplay\b|will\s+be\s+available|"
                    r"for\s+more\s+information|cautionary|press\s+release|will\s+host\b|"
                    r"\bsubscribe\b|\bnewsletter\b|differ\s+materially|\btrademarks?\b|"
                    r"not\s+meant\s+to\s+be\s+considered|non-GAAP\s+financial\s+measures"),
    ("about the text itself", r"\bthis\s+(?:post|article|blog|section|piece|essay|model\s+has)\b|"
                              r"\bthe\s+following\s+assumes\b|\bthe\s+conclusions\b|"
                              r"\bas\s+(?:discussed|mentioned|shown)\s+(?:above|below)\s*$"),
    ("about the predictions themselves", r"\bany\s+prediction\b|\bmy\s+predictions?\b"),
    ("a judgment with no checkable event", r"\ba\s+must\b|\bunstoppable\b|\bthan\s+you\s+think\b|"
                                           r"\bvery\s+different\b|\bwill\s+be\s+wrong\b|"
                                           r"\bnot\s+a\s+question\s+of\b"),
    ("a past judgment", r"\b(?:was|were|had\s+been|did)\s+(?:probably|likely|bound|destined|"
                        r"set\s+to|expected\s+to|going\s+to)\b|\b(?:could|may|might|would|"
                        r"should)\s+(?:not\s+)?have\s+\w+ed\b|\b(?:could|may|might)\s+have\b"),
    ("a comparison, not a forecast", r"\b(?:more|less|far\s+more|much\s+more)\s+likely\b|"
                                     r"\blikely[- ]voters?\b|\bas\s+\w+\s+should\b|"
                                     r"\bas\s+(?:I|one|you|we)['’]?d\s+expect\b"),
    ("about predicting, not a prediction", r"\bto\s+(?:try\s+(?:and|to)\s+)?(?:predict|forecast)\b|"
                                           r"\bforecasting\s+model\b|\bI\s+should\s+(?:note|"
                                           r"say|mention|add|point)\b|\breading\s+this\b|"
                                           r"\b(?:one|you|we|I)\s+could\s+(?:argue|say|claim)\b"),
    ("uncertainty about the answer", r"\b(?:difficult|hard|impossible|too\s+early)\s+to\s+"
                                     r"(?:say|know|tell)\b"),
    ("a judgment of the present", r"\b(?:probably|likely)_?\s+(?:is|are|has|have|doesn['’]t|"
                                  r"don['’]t|isn['’]t|aren['’]t|hasn['’]t|haven['’]t)\b"),
    ("a report of the past", r"^\W*(?:announced|revealed|unveiled|introduced|launched|reported|"
                             r"completed|released|expanded|partnered|raised|returned|posted)\b"),
]]
SENTENCE_RULES = {"about the text itself", "a judgment with no checkable event",
                   "about predicting, not a prediction", "boilerplate"}
IMPERATIVE = re.compile(r"^\W*(?:do|don['’]t|be|make|get|stop|try|keep|send|take|remember|"
                         r"consider|book|go|give|let['’]s|read|check|join)\b", re.IGNORECASE)
NOT_DISCLOSED = re.compile(
    r"\b(?:aren['’]t|isn['’]t|hasn['’]t|haven['’]t|has\s+not|have\s+not|is\s+not|are\s+not|"
    r"not\s+yet|remains?)\s+(?:yet\s+|been\s+|publicly\s+)*(?:disclosed|announced|confirmed|"
    r"described|published|released|revealed|made\s+public|undisclosed|unknown|unclear)\b",
    re.IGNORECASE)
WATCH_SECTION = re.compile(r"\b(?:watch|next|outlook|ahead|expect|predict|forecast|future)",
                            re.IGNORECASE)
# "I'd like to offer a qualitative forecast of the future": the subsections that follow are
# the forecast, written in the present tense ("Hospitals come under strain").
FRAME = re.compile(r"\b(?:offer|make|give|here\s+(?:is|are)|these\s+are|the\s+following\s+"
                    r"(?:is|are))\b[^.]{0,40}?\b(?:forecast|predictions?)\b", re.IGNORECASE)
NOW = re.compile(r"\b(?:right\s+now|currently|at\s+the\s+moment|we['’]re\s+in|we\s+are\s+in)\b",
                  re.IGNORECASE)
PAST_MARK = re.compile(r"\b(?:was|were|had|did|ago|last|yesterday)\b|\b(?:has|have)\s+(?:been|"
                        r"\w+ed|\w+en)\b|^\W*but\b|\bif\b|\bwhen\b", re.IGNORECASE)
FORECAST_NOUN = re.compile(r"\b(?:forecast|outlook|guidance|projection|estimate)s?\b",
                            re.IGNORECASE)
# Where a sentence splits into clauses; (pattern, whether the part after it continues the
# first part's verb and so takes its stance and horizon).
SPLITS: list[tuple[re.Pattern, bool, bool]] = [
    (re.compile(r";\s+"), False, False),
    (re.compile(r",?\s+but\s+also\s+"), True, True),
    (re.compile(r",\s+and\s+for\s+"), True, True),
    (re.compile(r",\s+having\s+"), True, False),
    (re.compile(r",\s+but\s+|\s+[-–—]\s+but\s+"), False, False),
    (re.compile(r",\s+though\s+"), False, False),
    (re.compile(r",\s+and\s+(?=(?:the|there|it|they|we|he|she|god|most|many|some|no)\b)"),
     False, False),
]
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+|\d[\d.,%-]*")
STOP = frozenset({
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "for", "with", "by", "at",
    "from", "as", "is", "are", "was", "were", "be", "been", "being", "will", "would", "shall",
    "should", "could", "might", "may", "can", "this", "that", "these", "those", "it", "its",
    "their", "there", "they", "we", "i", "you", "he", "she", "his", "her", "our", "my",
    "your", "them", "than", "then", "so", "also", "just", "very", "more", "most", "much",
    "many", "some", "any", "not", "no", "nor", "into", "over", "under", "about", "after",
    "before", "during", "until", "while", "if", "when", "which", "who", "whom", "what",
    "where", "how", "why", "have", "has", "had", "do", "does", "did", "going", "get", "got",
})

OPENER = re.compile(r"^\W*(?:for|given|with|after|despite|as|since|because|while|although|even|"
                     r"though|due\s+to|thanks\s+to|ultimately|still|however|so|and|but|yet|"
                     r"on\s+the\s+other\s+hand|horrific|sadly|unfortunately|fortunately)\b",
                     re.IGNORECASE)

# "Given so much of this roster will be playing ..., it's bad enough": a premise, not the claim.
SUBORDINATE_CUE = re.compile(r"^\W*(?:given(?:\s+that)?|since|because|while|"
                             r"whereas|now\s+that)\b[^,]+,", re.IGNORECASE)
