"""Whether two questions have the same or nearly the same text: what `add` warns about.

Questions in one article, or on one platform, often differ only in a number, a date, a month
or a name ("Was U.S. real GDP growth in Q3 2022 about 1.75%?" and "... in Q4 2022 about
0.75%?"; "Will Venezuela experience ..." and "Will China experience ..."): they are different
questions, and a measure over characters calls them 96% alike. So the texts are compared word
by word, after Unicode NFKC, case folding and dropping punctuation and markup:

* any difference in a word holding a digit, or in a month's name, makes them different;
* otherwise they are nearly the same when at most one word in five (at least one) was added,
  dropped or misspelt (a misspelt word is one at least 80% like its counterpart, by
  :class:`difflib.SequenceMatcher`); a word replaced by another word makes them different.

Measured on the 109 questions of ``forecasts/`` and ``../shared/draft-devset`` and the 527
distinct questions of the Good Judgment Project's ``ifps.csv``, this marks exactly two pairs,
both GJP's re-posts of one question ("... will the U.S. and E.U. *officially announce ..." and
"... **vacate the office ..."); ``tests/test_cli_help.py`` holds it to that.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence

_WORD = re.compile(r"\w+")
_MONTHS = frozenset((
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec"))

#: At most this share of the longer text's words may be added, dropped or misspelt.
CHANGED_SHARE = 1 / 5
#: A replaced word counts as misspelt (rather than another word) from this likeness on.
MISSPELT_RATIO = 0.8


def words(text: str) -> list[str]:
    """The words of ``text`` as compared: NFKC, case folded, without punctuation."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _pinned(ws: Sequence[str]) -> list[str]:
    # Numbers, dates and months: what tells apart a question's siblings.
    return sorted(w for w in ws if w in _MONTHS or any(c.isdigit() for c in w))


_DIGITS = re.compile(r"\d+")


def _digits(text: str) -> list[str]:
    return sorted(_DIGITS.findall(text if text.isascii()
                                  else unicodedata.normalize("NFKC", text)))


def nearly_same(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether two questions' :func:`words` are the same or nearly the same (see above)."""
    if a == b:
        return True
    if _pinned(a) != _pinned(b):
        return False
    allowed = max(1, int(max(len(a), len(b)) * CHANGED_SHARE))
    if abs(len(a) - len(b)) > allowed:
        return False
    changed = 0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and (i2 - i1 != j2 - j1 or any(
                difflib.SequenceMatcher(None, x, y).ratio() < MISSPELT_RATIO
                for x, y in zip(a[i1:i2], b[j1:j2], strict=True))):
            return False
        changed += max(i2 - i1, j2 - j1)
        if changed > allowed:
            return False
    return True


def similar(text: str, questions: Iterable[tuple[str, str]], limit: int = 3
            ) -> list[tuple[str, str]]:
    """The ``(id, question)`` of ``questions`` whose text is the same as or nearly the same
    as ``text``: the same text first, at most ``limit``."""
    mine, digits, n = words(text), _digits(text), len(text)
    same, near = [], []
    for qid, other in questions:
        # Two cheap tests first (about 10x faster on 100k questions): texts nearly the same
        # are of nearly the same length, and hold the same numbers (what _pinned compares).
        if abs(len(other) - n) > n // 2 + 10 or _digits(other) != digits:
            continue
        theirs = words(other)
        if theirs == mine:
            same.append((qid, other))
        elif nearly_same(mine, theirs):
            near.append((qid, other))
    return (same + near)[:limit]
