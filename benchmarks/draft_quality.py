"""How well `forecast-ledger draft` finds an article's forecastable claims, measured on the
hand-annotated development set in ../shared/draft-devset/ (next to the repository).

    .venv/bin/python benchmarks/draft_quality.py [--devset DIR] [--verbose] [--markdown]

A drafted claim matches a gold one when their quotes overlap by at least half of the shorter
(character spans in the article; each gold claim is matched at most once, best overlap first).
Per article and overall it prints recall and precision of drafted claims, the share of matched
claims whose resolve_by equals gold's (where gold has one), direction accuracy on matched
claims, and the gold stated probabilities found exactly (same value, on a matched claim). It
also times drafting each article and a first render of the dashboard's Draft page.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger.draft import draft_article  # noqa: E402
from ledger.draft.stance import stated_probability  # noqa: E402


@dataclass
class Score:
    name: str
    gold: int = 0
    drafted: int = 0
    matched: int = 0
    dated: int = 0
    dated_ok: int = 0
    direction_ok: int = 0
    probs: int = 0
    probs_ok: int = 0
    words: int = 0
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for k in ("gold", "drafted", "matched", "dated", "dated_ok", "direction_ok", "probs",
                  "probs_ok", "words"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.seconds += other.seconds


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def _span(body: str, offset: int, quote: str) -> tuple[int, int]:
    at = body.find(quote)
    return (offset + at, offset + at + len(quote)) if at >= 0 else (-1, -1)


def _gold_probability(text: str) -> float:
    found = stated_probability(f"odds {text}" if " to " in text else f"chance {text}")
    if found is None:
        raise ValueError(f"gold probability {text!r} does not parse")
    return found[0]


def score_article(txt: Path) -> Score:
    raw = txt.read_text(encoding="utf-8")
    gold = yaml.safe_load(txt.with_name(txt.name.replace(".txt", ".gold.yaml")).read_text()) or []
    started = time.perf_counter()
    draft = draft_article(raw)
    elapsed = time.perf_counter() - started
    text = draft.article.text
    body_at = draft.article.body_start
    body = text[body_at:]
    s = Score(txt.name.split(".")[0], gold=len(gold), drafted=len(draft.candidates),
              words=len(body.split()), seconds=elapsed)
    pairs = []
    for gi, g in enumerate(gold):
        gs, ge = _span(body, body_at, g["quote"])
        for ci, c in enumerate(draft.candidates):
            overlap = min(ge, c.end) - max(gs, c.start)
            shorter = min(ge - gs, c.end - c.start)
            if overlap > 0 and overlap >= shorter / 2:
                pairs.append((overlap / shorter, gi, ci))
    pairs.sort(reverse=True)
    used_g, used_c, matches = set(), set(), []
    for _, gi, ci in pairs:
        if gi in used_g or ci in used_c:
            continue
        used_g.add(gi)
        used_c.add(ci)
        matches.append((gold[gi], draft.candidates[ci]))
    s.matched = len(matches)
    for g, c in matches:
        if g["resolve_by"] is not None:
            s.dated += 1
            if str(g["resolve_by"]) == c.resolve_by.isoformat():
                s.dated_ok += 1
            else:
                s.wrong.append(f"resolve_by {c.resolve_by} != {g['resolve_by']}: {g['quote'][:70]}"
                               f"  [{c.resolve_by_rule[:80]}]")
        if g["direction"] == c.direction:
            s.direction_ok += 1
        else:
            s.wrong.append(f"direction {c.direction} != {g['direction']}: {g['quote'][:70]}")
    for g in gold:
        if g["probability"] is None:
            continue
        s.probs += 1
        match = next((c for gg, c in matches if gg is g), None)
        want = _gold_probability(str(g["probability"]))
        if match and match.stance.probability is not None and \
                Fraction(match.stance.probability).limit_denominator(1000) == \
                Fraction(want).limit_denominator(1000):
            s.probs_ok += 1
        else:
            s.wrong.append(f"probability {match.stance.probability if match else None} != "
                           f"{g['probability']}: {g['quote'][:70]}")
    s.misses = [g["quote"][:100] for i, g in enumerate(gold) if i not in used_g]
    s.extra = [f"[{c.stance.kind}:{c.stance.cue}|{c.horizon_source}] {c.quote[:100]}"
               for i, c in enumerate(draft.candidates) if i not in used_c]
    return s


def page_render_seconds(sample: str) -> tuple[float, float] | None:
    """Seconds for the first render of the dashboard's Draft page under Streamlit's AppTest,
    and for the rerun after ``sample`` is pasted (None without streamlit)."""
    try:
        from streamlit.testing.v1 import AppTest
    except ImportError:
        return None
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FORECAST_LEDGER_DB"] = str(Path(tmp) / "l.duckdb")
        at = AppTest.from_file(str(ROOT / "dashboard" / "streamlit_app.py"), default_timeout=60)
        at.run()
        started = time.perf_counter()
        at.switch_page("app_pages/draft.py")
        at.run()
        first = time.perf_counter() - started
        started = time.perf_counter()
        at.text_area(key="draft_text").set_value(sample).run()
        return first, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devset", type=Path, default=ROOT.parent / "shared" / "draft-devset")
    parser.add_argument("--verbose", action="store_true", help="list misses and extras")
    parser.add_argument("--no-page", action="store_true", help="skip the page render timing")
    args = parser.parse_args()
    files = sorted(args.devset.glob("*.txt"))
    if not files:
        print(f"no articles in {args.devset}", file=sys.stderr)
        return 1
    total = Score("all")
    rows = []
    for txt in files:
        s = score_article(txt)
        total.add(s)
        rows.append(s)
    print("| article | gold | drafted | matched | recall | precision | resolve-by exact | "
          "direction | stated p exact | words | draft ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for s in [*rows, total]:
        name = f"**{s.name}**" if s is total else s.name
        print(f"| {name} | {s.gold} | {s.drafted} | {s.matched} | {_ratio(s.matched, s.gold)} | "
              f"{_ratio(s.matched, s.drafted)} | {s.dated_ok}/{s.dated} = "
              f"{_ratio(s.dated_ok, s.dated)} | {_ratio(s.direction_ok, s.matched)} | "
              f"{s.probs_ok}/{s.probs} | {s.words} | {s.seconds * 1000:.0f} |")
    if args.verbose:
        for s in rows:
            print(f"\n## {s.name}")
            for m in s.misses:
                print(f"  MISS  {m}")
            for e in s.extra:
                print(f"  EXTRA {e}")
            for w in s.wrong:
                print(f"  WRONG {w}")
    # a 2,000-word article: the first 2,000 words of the longest article
    longest = max(files, key=lambda p: len(p.read_text().split()))
    words = longest.read_text(encoding="utf-8").split(" ")
    sample = " ".join(words[:2000])
    started = time.perf_counter()
    draft_article(sample)
    print(f"\ndrafting a 2,000-word article ({longest.name}, first 2,000 words): "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")
    if not args.no_page:
        seconds = page_render_seconds(sample)
        if seconds is not None:
            print(f"first render of the Draft page (AppTest): {seconds[0] * 1000:.0f} ms; "
                  f"with the 2,000-word article pasted: {seconds[1] * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
