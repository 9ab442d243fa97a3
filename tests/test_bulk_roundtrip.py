"""import(export(ledger)) through CSV and Parquet lists, shows, scores and calibrates the same,
on generated ledgers: forecasters across time zones, late forecasts, resolutions, annulled."""

from __future__ import annotations

import json
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NAMES = ["ann", "Bob Ray", "Zoë", "=cell", "-dash", "'quote", "محمد", "west coast"]
OFFSETS = ["Z", "-07:00", "+05:30", "+14:00", "-12:00", "+09:45", ""]
TEXT = st.text(st.characters(whitelist_categories=("L", "N", "P", "S", "Zs")), min_size=5,
               max_size=40).filter(lambda s: len(s.strip()) >= 5)
# what CSV/Parquet do not carry (README: "Millions of forecasts"): entry numbers and the log
BOOKKEEPING = ("seq", "supersedes", "entries")


@st.composite
def ledgers(draw: st.DrawFn) -> dict[str, Any]:
    questions = []
    for n in range(draw(st.integers(1, 2))):
        opened = date(2020, 1, 1) + timedelta(days=draw(st.integers(0, 1500)))
        resolve_by = opened + timedelta(days=draw(st.integers(1, 300)))
        q: dict[str, Any] = {"id": f"q-{n}", "question": draw(TEXT), "criteria": draw(TEXT),
                             "resolve_by": resolve_by, "opened": opened,
                             "tags": draw(st.lists(st.sampled_from(["a", "-b", "@c", "d.e"]),
                                                   max_size=3, unique=True))}
        resolved = draw(st.booleans())
        resolved_on = max(opened, resolve_by - timedelta(days=draw(st.integers(0, 5))))
        resolution_recorded = datetime(resolved_on.year, resolved_on.month, resolved_on.day,
                                       12) + timedelta(days=1)
        forecasts, seen = [], set()
        for _ in range(draw(st.integers(1, 6))):
            who = draw(st.sampled_from(NAMES))
            made = opened + timedelta(days=draw(st.integers(0, (resolved_on - opened).days)))
            zone = draw(st.sampled_from(OFFSETS))
            when = made.isoformat() if zone == "" else (
                f"{made}T{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}:00{zone}")
            if (who, when) in seen:
                continue
            seen.add((who, when))
            f: dict[str, Any] = {"forecaster": who,
                                 "probability": draw(st.sampled_from(
                                     ["0.1", "35%", "3:1", "1 in 7", "1e-3", "0.999", "50%"])),
                                 "made_at": when}
            late = resolved and draw(st.booleans())
            # a late forecast: made before the outcome, recorded after the resolution was
            f["recorded_at"] = (resolution_recorded + timedelta(hours=1) if late else
                                datetime(made.year, made.month, made.day) + timedelta(days=2))
            if draw(st.booleans()):
                f["rationale"] = draw(TEXT)
            if draw(st.booleans()):
                f["basis"], f["implied_from"] = "implied", draw(TEXT)
            forecasts.append(f)
        q["forecasts"] = forecasts
        if resolved:
            q["resolution"] = {
                "outcome": draw(st.sampled_from(["yes", "no", "ambiguous", "annulled"])),
                "resolved_on": resolved_on, "recorded_at": resolution_recorded}
            if draw(st.booleans()):
                q["resolution"]["evidence"] = "https://example.org/" + draw(
                    st.sampled_from(["a", "b?c=1"]))
        questions.append(q)
    return {"questions": questions}


def _without_bookkeeping(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_bookkeeping(v) for k, v in value.items() if k not in BOOKKEEPING}
    if isinstance(value, list):
        return [_without_bookkeeping(v) for v in value]
    return value


def _views(cli: Cli, ids: list[str]) -> dict[str, Any]:
    out = {"list": cli.json("list"), "score": cli.json("score"),
           "calibration": cli.json("calibration")}
    for qid in ids:
        out[f"show {qid}"] = _without_bookkeeping(cli.json("show", qid))
    return out


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=ledgers())
def test_a_flat_export_reimports_to_a_ledger_that_reads_the_same(fmt, doc):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "ledger.yaml"
        dumper = type("NoAliases", (yaml.SafeDumper,), {"ignore_aliases": lambda *_: True})
        source.write_text(yaml.dump(doc, Dumper=dumper, allow_unicode=True, sort_keys=False),
                          encoding="utf-8")
        first, second = Cli(folder / "a.duckdb"), Cli(folder / "b.duckdb")
        imported = first("import", str(source))
        assert imported.exit_code == 0, imported.stderr
        flat = folder / f"flat.{fmt}"
        assert first("export", "--format", fmt, "--out", str(flat)).exit_code == 0
        again = second("import", str(flat))
        assert again.exit_code == 0, again.stderr
        ids = [q["id"] for q in doc["questions"]]
        mine, theirs = _views(first, ids), _views(second, ids)
        for view in mine:
            assert json.dumps(theirs[view], sort_keys=True) == \
                json.dumps(mine[view], sort_keys=True), view
        assert second("verify").exit_code == 0
        assert second("import", str(flat)).stdout.strip().endswith("nothing changed")
