"""The author's stance on a clause: cue and hedge lexicons, stated probabilities, direction.

A clause is a forecast when it holds a future cue (:data:`FIRM`, :data:`HEDGES`, :data:`AIMS`,
a stated probability, or a "watch for" item). Its stance is then one of

- ``stated``: a number is given ("55%", "two in three", "50/50", "8 to 1" odds);
- ``firm``: the author commits without a number ("will", "expect", "likely", "destined");
- ``hedged``: "could", "may", "might", "possibly", "very plausible";
- ``conditional``: "if X, Y" (also "unless", "so long as", "until");
- ``paired``: "either pays off or doesn't", "... or not";
- ``aim``: "aims to", "plans to", "work toward";
- ``watch``: "watch for", "whether X" in a what-to-watch passage; no direction.

Probabilities go through :func:`ledger.format.probability.parse_probability` for the forms it knows
(``"30%"``, ``"3:1"``, ``"1 in 5"``); words ("two in three"), "50/50" and betting odds ("8 to 1",
odds against) are read here and handed to it as one of those forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from ledger.format.probability import parse_probability

_W = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
      "nine": 9, "ten": 10, "a": 1, "an": 1, "twenty": 20, "hundred": 100, "a hundred": 100}
_NUMWORD = r"(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|twenty|an?|hundred)"

#: Words that make a probability out of a nearby percentage.
PROB_WORDS = (r"(?:probability|probabilities|chance|chances|odds|likelihood|risk|"
              r"(?:put|give|rate|peg|place)s?\s+(?:it|this|that|the\s+\w+)\s+(?:at|a))")
#: "I'd put it at 70%." on its own: the probability of the claim just before it.
FOLLOW_UP = re.compile(r"^\W*(?:(?:I['’]d|I\s+would|I)\s+(?:put|give|rate|peg|place)\s+(?:it|this|"
                       r"that|the\s+(?:odds|chances?))\b|(?:my\s+)?(?:odds|probability|"
                       r"confidence|chance)\s*[:=])", re.IGNORECASE)
#: Words that make a probability of a percentage right next to them ("70% likely").
NEAR_WORDS = r"(?:likely|probable|certain|sure|confident|confidence)"

#: Firm future cues: the author commits to a direction.
FIRM = [
    # "will", not the noun ("the political will to")
    r"(?<!to )(?<!the )(?<!political )(?<!free )(?<!good )(?<!own )\bwill\b(?!\s+to\b)",
    r"\bwon['’]t\b", r"(?<![Ii])['’]ll\b", r"\bshall\b", r"\bgoing to\b",
    r"\bgonna\b", r"\bset\s+to\s+(?!be\s+seen)[a-z]+", r"\bexpected\s+to\b",
    r"(?<!to )(?<!['’]d )(?<!\bd )\bexpects?\b", r"(?<!to )\bexpecting\b", r"\bpredicts?\b",
    r"\bprojected\s+to\b",
    r"\bforecasts?\s+(?:that|to)\b", r"\b(?:very\s+|most\s+|highly\s+)?likely\b",
    r"\bunlikely\b", r"\bis\s+the\s+favou?rite\b", r"\bprobably\b", r"\balmost\s+certainly\b",
    r"\bcertain\s+to\b",
    r"\bsure\s+to\b",
    r"(?:\b(?:is|are|was|were|be|been|likely|seems?|looks?)|['’]re|['’]s)\s+"
    r"bound\s+(?:for|to)\b", r"\bdestined\b", r"\binevitable\b",
    r"\ball\s+but\s+(?:assured|certain|guaranteed)\b", r"\bon\s+track\s+to\b",
    r"\bpoised\s+to\b", r"\bthe\s+favou?rite\s+to\b", r"\bout\s+of\s+the\s+question\b",
    r"\bno\s+chance\b", r"\bdoomed\b",
    # "should" predicts with a change of state ("should be resolved", "should peak"); with an
    # agent's action it is advice ("governments should regulate"), not a forecast
    r"\bshould(?:n['’]t)?\s+(?:(?:still|soon|easily|also)\s+)?(?:be|see|arrive|come|happen|"
    r"remain|reach|hit|improve|fall|rise|drop|grow|recover|return|peak|continue|start|begin|"
    r"ease|stabili[sz]e|follow|last|end|exceed|top|surpass|pass|double|halve|decline|increase|"
    r"decrease|slow|accelerate)\b",
    # reported future: "the company said it would open a plant in 2027"
    r"\b(?:said|says|announced|expected|predicted|told\s+\w+|warned|forecast|estimated|"
    r"promised|pledged)\b[^.,;]{0,40}\bwould\b",
    r"\bmy\s+(?:best\s+)?(?:guess|bet|prediction|forecast|expectation)\s+is\b",
]
#: Hedges: a forecast the author does not commit to.
HEDGES = [r"\bcould\b", r"\bmight\b", r"\bmay\b(?!\s+\d)", r"\bpossibly\b", r"\bperhaps\b",
          r"\bmaybe\b", r"\bplausible\b", r"\bpotentially\b", r"\bnecessarily\b",
          r"\bit['’]?s\s+possible\b", r"\bconceivably\b"]
#: Aims: what someone works toward, not a forecast of the outcome.
AIMS = [r"\baims?\s+to\b", r"\bplans?\s+to\b", r"\bintends?\s+to\b", r"\bwork(?:ing)?\s+toward",
        r"\bhopes?\s+to\b", r"\bseeks?\s+to\b", r"\b(?:is|are)\s+targeting\b",
        r"\bstriv(?:e|es|ing)\s+to\b"]
#: Watch items: the author names an event to watch for without taking a side.
WATCH = [r"^\s*(?:also\s+)?watch\b", r"\bworth\s+watching\b", r"\bkeep\s+an\s+eye\s+on\b",
         r"\blook\s+(?:out\s+)?for\b", r"^\s*(?:and\s+)?for\s+whether\b",
         ]
_CONDITIONAL = re.compile(r"^\W*(?:if|unless|until|so\s+long\s+as|as\s+long\s+as|provided|"
                          r"assuming)\b|^\W*should\b[^,]{3,80},|(?<!even)\s(?:if|unless)\s",
                          re.IGNORECASE)
_PAIRED = re.compile(r"\bor\s+(?:not|doesn['’]t|don['’]t|won['’]t|isn['’]t|aren['’]t|it\s+won['’]t)"
                     r"\b(?!\s+\w+\s+\w+)|\beither\b.*\bor\s+(?:doesn|don|won|not)", re.IGNORECASE)
_WHETHER_OR_NOT = re.compile(r"\bwhether\b[^,]*\bor\s+not\b", re.IGNORECASE)
# "No" is a negated belief ("I don't expect X", "X is out of the question"), not a negated
# event: "Y will not happen" is drafted as the question "Will Y not happen?" with "yes".
_NEGATED = re.compile(
    r"\b(?:unlikely|out\s+of\s+the\s+question|no\s+chance|"
    r"(?:do|does|did)\s*(?:n['’]t|\s+not)\s+(?:expect|believe|think|see|anticipate|foresee)|"
    r"(?:doesn['’]t|does\s+not|don['’]t|do\s+not)\s+seem\s+(?:to\s+be|likely)|"
    r"not\s+expected\s+to|nor\s+that|(?:is|are)\s+not\s+likely|I\s+doubt)\b", re.IGNORECASE)

_FIRM = re.compile("|".join(FIRM), re.IGNORECASE)
_HEDGE = re.compile("|".join(HEDGES), re.IGNORECASE)
_AIM = re.compile("|".join(AIMS), re.IGNORECASE)
_WATCH = re.compile("|".join(WATCH), re.IGNORECASE)
_WOULD = re.compile(r"\bwould\s+(?:predict|expect|be|have)\b", re.IGNORECASE)
_REPORTED_WOULD = re.compile(r"\b(?:said|says|announced|expected|predicted|told\s+\w+|warned|"
                             r"forecast|estimated|promised|pledged)\b[^.,;]{0,40}\bwould\b",
                             re.IGNORECASE)

_PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s?(?:%|per\s?cent\b|percent\b)",
                      re.IGNORECASE)
_IN = re.compile(rf"\b{_NUMWORD}[- ](?:in|out\s+of)[- ]{_NUMWORD}\b(?:\s+chance)?", re.IGNORECASE)
_FIFTY = re.compile(r"\b50\s?/\s?50\b|\bfifty[- ]fifty\b|\bcoin[- ]?flip\b|\beven\s+odds\b",
                    re.IGNORECASE)
# Betting odds "8 to 1" (odds against) near the word "odds".
_ODDS = re.compile(rf"\b{_NUMWORD}[- ](?:to|-)[- ]{_NUMWORD}\b(?=[^.]*\bodds\b)|"
                   rf"\bodds\b[^.]{{0,40}}?\b{_NUMWORD}[- ]to[- ]{_NUMWORD}\b", re.IGNORECASE)
# "3:1 odds", "odds of 3:1": written as ledger/format/probability.py reads "3:1" (odds for).
_COLON_ODDS = re.compile(r"\b(\d+)\s?:\s?(\d+)\s+odds\b|\bodds\b\s*(?:of|are|at|:)?\s*(\d+)\s?:\s?"
                         r"(\d+)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Stance:
    """How a clause commits: its kind, direction and any stated probability."""

    kind: str                     # stated, firm, hedged, conditional, paired, aim, watch
    direction: str                # "yes", "no" or "unclear"
    cue: str                      # the word or number that decided
    probability: float | None = None
    probability_text: str | None = None   # as written, e.g. "8 to 1"
    probability_form: str | None = None   # what parse_probability was given, e.g. "1:8"
    conditional: bool = False
    negated: bool = False


def _num(text: str) -> Fraction:
    text = text.lower()
    return Fraction(_W[text]) if text in _W else Fraction(text)


def stated_probability(text: str) -> tuple[float, str, str, int] | None:
    """A probability stated in ``text``: (value, as written, form parsed, offset), else None.

    A percentage counts only near a probability word ("a 30% chance", "the probability ... at
    30%"), so growth rates and margins are not read as probabilities.

    >>> stated_probability("the odds are two in three")[:3]
    (0.6666666666666666, 'two in three', '2 in 3')
    """
    try:
        return _stated(text)
    except (ValueError, ZeroDivisionError):
        return None  # "a 110% chance" is a figure of speech, not a probability


def _stated(text: str) -> tuple[float, str, str, int] | None:
    if m := _FIFTY.search(text):
        return parse_probability("50%"), m.group(0), "50%", m.start()
    if m := _ODDS.search(text):
        first, second = [g for g in m.groups() if g]
        a, b = _num(first), _num(second)
        if a + b > 0:
            # Betting odds "8 to 1" are odds against: 1 chance in 9.
            form = f"{b}:{a}"
            written = re.search(rf"{re.escape(first)}[- ](?:to|-)[- ]{re.escape(second)}",
                                m.group(0), re.IGNORECASE)
            return parse_probability(form), (written or m).group(0), form, m.start()
    if m := _COLON_ODDS.search(text):
        a, b = [g for g in m.groups() if g]
        if int(a) + int(b) > 0:
            return parse_probability(f"{a}:{b}"), f"{a}:{b}", f"{a}:{b}", m.start()
    for m in _IN.finditer(text):
        k, n = _num(m.group(1)), _num(m.group(2))
        if 0 < k <= n:
            form = f"{k} in {n}"
            written = m.group(0)
            return parse_probability(form), written.removesuffix(" chance"), form, m.start()
    words = [(w, 70) for w in re.finditer(PROB_WORDS, text, re.IGNORECASE)]
    words += [(w, 3) for w in re.finditer(NEAR_WORDS, text, re.IGNORECASE)]
    if not words:
        return None
    best = None
    for m in _PERCENT.finditer(text):
        if float(m.group(1)) > 100:
            continue
        for w, reach in words:
            distance = min(abs(m.start() - w.end()), abs(w.start() - m.end()))
            if distance <= reach and (best is None or distance < best[0]):
                best = (distance, m)
    if best is None:
        return None
    m = best[1]
    form = f"{m.group(1)}%"
    return parse_probability(form), m.group(0), form, m.start()


def has_future_cue(text: str) -> bool:
    """Whether ``text`` holds any cue that makes it a candidate forecast."""
    return bool(_FIRM.search(text) or _HEDGE.search(text) or _AIM.search(text)
                or _WATCH.search(text) or _PAIRED.search(text) or stated_probability(text))


def read_stance(text: str, *, inherited: Stance | None = None) -> Stance | None:
    """The stance of one clause, or None when it holds no future cue.

    ``inherited`` is the stance of the sentence a continuation clause belongs to ("I expect
    X, and Y" gives Y the "expect").
    """
    conditional = bool(_CONDITIONAL.search(text)) and not _WHETHER_OR_NOT.search(text)
    negated = bool(_NEGATED.search(text))
    prob = stated_probability(text)
    if prob:
        value, written, form, _ = prob
        direction = "yes" if value > 0.5 else "no" if value < 0.5 else "unclear"
        return Stance("stated", direction, written, value, written, form, conditional, negated)
    if _PAIRED.search(text) and not _WHETHER_OR_NOT.search(text):
        return Stance("paired", "unclear", _PAIRED.search(text).group(0), conditional=conditional)
    firm = _FIRM.search(text)
    hedge = _HEDGE.search(text)
    aim = _AIM.search(text)
    watch = _WATCH.search(text)
    if not (firm or hedge or aim or watch):
        if inherited is None:
            return None
        return Stance(inherited.kind, inherited.direction, inherited.cue,
                      conditional=conditional or inherited.conditional,
                      negated=inherited.negated)
    if watch and not (firm and firm.start() < watch.start()):
        return Stance("watch", "unclear", watch.group(0).strip(), conditional=conditional)
    if conditional:
        cue = (firm or hedge or aim).group(0) if (firm or hedge or aim) else "if"
        return Stance("conditional", "unclear", cue, conditional=True, negated=negated)
    if hedge:
        return Stance("hedged", "unclear", hedge.group(0), negated=negated)
    if aim and not firm:
        return Stance("aim", "unclear", aim.group(0))
    if firm is None:
        return None
    return Stance("firm", "no" if negated else "yes", firm.group(0), negated=negated)


def is_counterfactual(text: str) -> bool:
    """"this model would predict ...", "we would expect ...": illustrations, not forecasts."""
    return bool(_WOULD.search(text)) and not _REPORTED_WOULD.search(text)
