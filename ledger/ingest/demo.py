"""A synthetic demo ledger: a seeded, made-up forecasting history for the dashboard and tests.

``build_demo`` writes a separate ledger file whose every name says it is synthetic: sources
titled "SYNTHETIC DEMO ...", forecasters called "demo-alice (synthetic)" and so on, the tag
``synthetic`` on every question. Four forecasters of differing skill forecast a few hundred
made-up questions over time:

* demo-alice (synthetic): sharp and calibrated;
* demo-bob (synthetic): overconfident (too close to 0 and 1);
* demo-carol (synthetic): timid (hugs 50%);
* demo-dave (synthetic): noisy.

Most questions resolved (a few ambiguous or annulled, a few corrected), the rest are open or
overdue; a few are blind, one or two were edited after forecasts. Every value is validated by
the same models as forecast files and appended through :func:`ledger.storage.store.append` in one
transaction, so the hash chain verifies. The history is anchored on ``today`` and is otherwise
a pure function of ``seed``: the same seed on the same day gives the same history and export
(the hashes differ only by the ledger's own clock, ``logged_at``: when the file was built).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from ledger.errors import OutputExists
from ledger.ingest.entries import entry, link
from ledger.storage.store import Ledger, NewEntry, append

SYNTHETIC_TAG = "synthetic"
SOURCE_TITLE_PREFIX = "SYNTHETIC DEMO"


@dataclass(frozen=True)
class Persona:
    """How a synthetic forecaster turns the true chance into a stated probability."""

    name: str
    slope: float  # multiplies the log-odds: >1 overconfident, <1 timid
    noise: float  # standard deviation of noise added to the log-odds
    participation: float  # share of questions forecast
    note: str


PERSONAS = (
    Persona("demo-alice (synthetic)", 1.0, 0.25, 0.9, "sharp and calibrated"),
    Persona("demo-bob (synthetic)", 2.2, 0.35, 0.85, "overconfident"),
    Persona("demo-carol (synthetic)", 0.4, 0.15, 0.8, "timid"),
    Persona("demo-dave (synthetic)", 1.0, 1.3, 0.75, "noisy"),
)

SOURCES = (
    {"id": "synthetic-demo-weekly", "title": "SYNTHETIC DEMO: The Imaginary Tech Weekly",
     "publisher": "Synthetic Demo Press", "author": "demo-writer (synthetic)",
     "url": "https://example.org/synthetic-demo/weekly"},
    {"id": "synthetic-demo-almanac", "title": "SYNTHETIC DEMO: Almanac of Made-up Events",
     "publisher": "Synthetic Demo Press", "author": None,
     "url": "https://example.org/synthetic-demo/almanac"},
)

_TOPICS = {
    "ai": ("the imaginary lab Acme AI", ["release a model called Zephyr-{n}",
                                         "top the made-up benchmark FooBench-{n}",
                                         "open-source checkpoint {n}"]),
    "markets": ("the fictional index DEMO-{n}", ["close above {k}", "fall below {k}",
                                                 "gain {pct}% in a quarter"]),
    "science": ("the invented Project Quasar-{n}", ["report result {n}",
                                                    "publish its dataset",
                                                    "replicate experiment {n}"]),
    "policy": ("the make-believe city of Demoville", ["pass ordinance {n}",
                                                      "elect a mayor from party {k}",
                                                      "open bridge {n}"]),
    "sports": ("the imaginary team Synthetic FC", ["win match {n}", "score {pct} goals",
                                                   "sign player #{n}"]),
}


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _expit(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _stated(rng: random.Random, persona: Persona, p: float) -> float:
    x = persona.slope * _logit(p) + rng.gauss(0, persona.noise)
    return min(0.99, max(0.01, round(_expit(x), 2)))


def _at(day: date, rng: random.Random) -> datetime:
    """A moment on ``day`` between 08:00 and 20:00 UTC (naive UTC, as stored)."""
    return datetime.combine(day, time(8)) + timedelta(minutes=rng.randrange(0, 12 * 60))


class _Builder:
    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.cap = datetime.combine(today - timedelta(days=1), time(12))
        self.items: list[tuple[datetime, int, NewEntry]] = []  # (recorded_at, order, entry)
        self.stats = {"resolved": 0, "ambiguous": 0, "annulled": 0, "overdue": 0, "open": 0,
                      "forecasts": 0, "corrected": 0, "edited": 0, "blind": 0}

    def add(self, kind: str, subject: str, fields: dict[str, Any], recorded_at: datetime) -> None:
        recorded_at = min(recorded_at, self.cap)
        self.items.append((recorded_at, len(self.items),
                           entry(kind, subject, fields, recorded_at=recorded_at)))

    def sources(self) -> None:
        from ledger.format.models import Source

        first = self.today - timedelta(days=1000)
        for i, raw in enumerate(SOURCES):
            published = first + timedelta(days=30 * i)
            src = Source(**{k: v for k, v in raw.items() if v is not None}, published=published)
            self.add("source", src.id, {
                "id": src.id, "title": src.title, "publisher": src.publisher,
                "author": src.author, "url": src.url, "published": src.published},
                datetime.combine(published, time(7)))

    def question(self, n: int) -> None:
        from ledger.format.models import Question

        rng, today = self.rng, self.today
        roll = rng.random()
        kind = "resolved" if roll < 0.78 else ("overdue" if roll < 0.85 else "open")
        if kind == "resolved":
            resolve_by = today - timedelta(days=rng.randint(3, 700))
            opened = resolve_by - timedelta(days=rng.randint(30, 365))
            resolved_on = max(opened + timedelta(days=5),
                              resolve_by - timedelta(days=rng.randint(0, 30)))
        elif kind == "overdue":
            resolve_by = today - timedelta(days=rng.randint(1, 45))
            opened = resolve_by - timedelta(days=rng.randint(30, 365))
            resolved_on = None
        else:
            resolve_by = today + timedelta(days=rng.randint(0, 400))
            opened = today - timedelta(days=rng.randint(5, 300))
            resolved_on = None
        opened = max(opened, self.today - timedelta(days=990))
        topic = rng.choice(sorted(_TOPICS))
        subject, events = _TOPICS[topic]
        fill = {"n": rng.randint(2, 99), "k": rng.randint(100, 999), "pct": rng.randint(2, 30)}
        text = (f"SYNTHETIC: Will {subject.format(**fill)} "
                f"{rng.choice(events).format(**fill)} by {resolve_by.isoformat()}?")
        source = SOURCES[n % len(SOURCES)]["id"]
        blind = kind == "open" and rng.random() < 0.25
        qid = f"demo-q{n:05d}"
        q = Question(
            id=qid, question=text,
            criteria=(f"Synthetic demo question (not about the real world): resolves yes if the "
                      f"simulated event happens on or before {resolve_by.isoformat()}, "
                      "no otherwise."),
            resolve_by=resolve_by, opened=opened, tags=[SYNTHETIC_TAG, topic], source=source,
            quote=("made-up claim quoted for the demo" if n % 7 == 0 else None), blind=blind)
        fields = {"id": q.id, "version": 1, "question": q.question, "criteria": q.criteria,
                  "resolve_by": q.resolve_by, "opened": q.opened, "tags": list(q.tags),
                  "source_id": source, "quote": q.quote, "horizon": None,
                  "resolve_by_rule": None, "reference_probability": None,
                  "reference_note": None, "blind": q.blind, "edit_reason": None}
        self.add("question", qid, fields, datetime.combine(opened, time(6)))
        self.stats["blind"] += blind

        # The chance of yes is a martingale: news arrives at a few moments and moves it up or
        # down by a share of the way, in expectation nowhere. A forecaster who states it is
        # calibrated at every moment; the outcome is drawn from where it ends.
        chance = [(0.0, rng.betavariate(0.9, 0.9))]
        for moment in (0.25, 0.5, 0.75, 1.0):
            q_now = chance[-1][1]
            step = 0.35
            q_now = q_now + (1 - q_now) * step if rng.random() < q_now else q_now * (1 - step)
            chance.append((moment, q_now))
        happened = rng.random() < chance[-1][1]

        def chance_at(t: float) -> float:
            return next(q for moment, q in reversed(chance) if moment <= t)

        outcome = None
        if kind == "resolved":
            special = rng.random()
            outcome = ("annulled" if special < 0.025 else "ambiguous" if special < 0.045
                       else "yes" if happened else "no")
            self.stats[outcome if outcome in ("ambiguous", "annulled") else "resolved"] += 1
        else:
            self.stats[kind] += 1

        # Forecasts stop the day before the event (or two days before today), so none is late.
        last_day = min(resolved_on or today, today - timedelta(days=1)) - timedelta(days=1)
        span = max((last_day - opened).days, 0)
        first_forecast: datetime | None = None
        for persona in PERSONAS:
            if rng.random() > persona.participation:
                continue
            updates = sorted(rng.random() * 0.99 for _ in range(rng.choice((1, 1, 2, 3))))
            for t in updates:
                day = opened + timedelta(days=round(t * span))
                p = min(0.995, max(0.005, chance_at(t)))
                made_at = _at(day, rng)
                recorded = made_at + timedelta(minutes=rng.randint(1, 240))
                self.add("forecast", qid, {
                    "question_id": qid, "forecaster": persona.name,
                    "probability": _stated(rng, persona, p),
                    "rationale": ("synthetic rationale" if rng.random() < 0.2 else None),
                    "basis": "stated", "implied_from": None, "made_at": made_at,
                    "made_on": made_at.date(), "utc_offset": 0}, recorded)
                self.stats["forecasts"] += 1
                first_forecast = min(first_forecast or recorded, recorded)

        if first_forecast and n % 97 == 5:  # an edit after forecasts were made
            edited = first_forecast + timedelta(days=1)
            self.add("question", qid, {
                **fields, "version": 2,
                "criteria": fields["criteria"] + " Clarified: a partial event counts as no.",
                "edit_reason": "criteria changed (synthetic demo edit)"}, edited)
            self.stats["edited"] += 1

        if outcome is not None and resolved_on is not None:
            recorded = datetime.combine(resolved_on + timedelta(days=rng.randint(1, 3)), time(9))
            evidence = f"https://example.org/synthetic-demo/evidence/{qid}"
            if outcome in ("yes", "no") and rng.random() < 0.015:
                wrong = "no" if outcome == "yes" else "yes"
                self.add("resolution", qid, self._resolution(qid, wrong, resolved_on, evidence,
                                                             None), recorded)
                recorded += timedelta(days=2)
                self.stats["corrected"] += 1
                reason = "the first resolution misread the synthetic evidence"
                self.add("resolution", qid, self._resolution(qid, outcome, resolved_on,
                                                             evidence, reason), recorded)
            else:
                self.add("resolution", qid, self._resolution(qid, outcome, resolved_on,
                                                             evidence, None), recorded)

    @staticmethod
    def _resolution(qid: str, outcome: str, resolved_on: date, evidence: str,
                    reason: str | None) -> dict[str, Any]:
        note = {"ambiguous": "synthetic: the made-up evidence was unclear",
                "annulled": "synthetic: the premise of the question failed"}.get(outcome)
        return {"question_id": qid, "outcome": outcome, "resolved_on": resolved_on,
                "evidence": evidence, "note": note, "resolved_by": "demo-resolver (synthetic)",
                "supersedes": None, "reason": reason}

    def entries(self) -> list[NewEntry]:
        """All entries in recorded order; corrections point at the seq they supersede."""
        self.items.sort(key=lambda item: (item[0], item[1]))
        return link([e for _, _, e in self.items], 1, {})


def build_demo(path: str | Path, *, seed: int = 7, force: bool = False,
               n_questions: int = 300, today: date | None = None) -> str:
    """Build a synthetic demo ledger at ``path``; returns a one-line summary.

    Refuses to overwrite an existing file unless ``force``. ``today`` anchors the history
    (default: today in the user's zone).
    """
    from ledger.format.dates import today as local_today

    path = Path(path)
    if path.exists():
        if not force:
            raise OutputExists(f"{path} already exists",
                               "pass --force to replace it, or choose another --db")
        path.unlink()
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal.unlink()
    builder = _Builder(seed, today or local_today())
    builder.sources()
    for n in range(1, n_questions + 1):
        builder.question(n)
    entries = builder.entries()
    ledger = Ledger(path)
    with ledger.transaction(create=True) as con:
        append(con, entries)
    s = builder.stats
    return (f"{n_questions} synthetic questions ({s['resolved']} resolved yes/no, "
            f"{s['ambiguous']} ambiguous, {s['annulled']} annulled, {s['overdue']} overdue, "
            f"{s['open']} open), {s['forecasts']} forecasts by {len(PERSONAS)} synthetic "
            f"forecasters, {len(SOURCES)} sources, {len(entries)} entries (seed {seed})")
