"""The synthetic demo ledger: it verifies, has the promised shape, and is seeded."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.errors import OutputExists
from ledger.ingest.demo import PERSONAS, SYNTHETIC_TAG, build_demo
from ledger.reports.queries import counts, list_questions, rows
from ledger.storage.store import Ledger

TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    summary = build_demo(path, today=TODAY)
    return path, summary


def test_demo_ledger_verifies(demo):
    path, summary = demo
    count, head = Ledger(path).verify()
    assert count > 1000
    assert f"{count} entries" in summary
    assert "\n" not in summary and "synthetic" in summary


def test_demo_has_the_promised_shape(demo):
    path, _ = demo
    with Ledger(path).connect() as con:
        c = counts(con, today=TODAY)
        forecasters = [r["forecaster"] for r in rows(
            con, "SELECT DISTINCT forecaster FROM forecasts ORDER BY 1")]
        sources = rows(con, "SELECT title FROM sources")
        questions = list_questions(con, today=TODAY)
        corrections = rows(con, "SELECT count(*) AS n FROM resolutions "
                                "WHERE supersedes IS NOT NULL")[0]["n"]
        updated = rows(con, "SELECT count(*) AS n FROM (SELECT question_id, forecaster "
                            "FROM forecasts GROUP BY ALL HAVING count(*) > 1)")[0]["n"]
        late = rows(con, "SELECT count(*) AS n FROM forecasts_flagged WHERE late")[0]["n"]
        edited = rows(con, "SELECT count(*) AS n FROM current_questions "
                           "WHERE edited_after_forecast")[0]["n"]
    assert forecasters == sorted(p.name for p in PERSONAS)
    assert len(forecasters) >= 4 and all(f.endswith("(synthetic)") for f in forecasters)
    assert c["total"] == 300
    assert 200 <= c["resolved"] <= 260
    assert c["open"] > 10 and c["overdue"] > 5
    assert c["ambiguous"] + c["annulled"] >= 3
    assert sources and all(s["title"].startswith("SYNTHETIC DEMO") for s in sources)
    assert all(SYNTHETIC_TAG in q["tags"] and q["question"].startswith("SYNTHETIC")
               for q in questions)
    assert any(q["blind"] for q in questions if q["status"] == "open")
    assert corrections >= 1 and edited >= 1 and updated > 100
    assert late == 0  # every demo forecast was made before its question resolved


def test_forecasters_differ_in_sharpness(demo):
    """Overconfident bob is sharper (further from 50%) than calibrated alice; timid carol is
    the least sharp."""
    path, _ = demo
    with Ledger(path).connect() as con:
        sharp = {r["forecaster"]: r["s"] for r in rows(
            con, "SELECT forecaster, avg(abs(probability - 0.5)) AS s FROM forecasts GROUP BY 1")}
    assert (sharp["demo-bob (synthetic)"] > sharp["demo-alice (synthetic)"]
            > sharp["demo-carol (synthetic)"])


def test_same_seed_same_ledger_other_seed_other_ledger(tmp_path):
    from conftest import Cli

    a, b, c = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "c.duckdb"
    build_demo(a, seed=3, n_questions=40, today=TODAY)
    build_demo(b, seed=3, n_questions=40, today=TODAY)
    build_demo(c, seed=4, n_questions=40, today=TODAY)
    # The same history (every entry's claims and content); the hashes differ only by the
    # ledger's own clock, logged_at, which says when each file was built.
    exports = [Cli(p)("export", "--reveal-blind").stdout for p in (a, b, c)]
    assert exports[0] == exports[1] and exports[0] != exports[2]
    assert "recorded_at" in exports[0]


def test_refuses_to_overwrite_unless_forced(tmp_path):
    path = tmp_path / "demo.duckdb"
    build_demo(path, n_questions=5, today=TODAY)
    before = Ledger(path).head()
    with pytest.raises(OutputExists, match="already exists"):
        build_demo(path, n_questions=8, today=TODAY)
    assert Ledger(path).head() == before
    build_demo(path, n_questions=8, today=TODAY, force=True)
    with Ledger(path).connect() as con:
        assert counts(con, today=TODAY)["total"] == 8
