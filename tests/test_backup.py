"""Backup and restore: ``export --format yaml`` then ``import`` into an empty ledger restores it.

The restored ledger holds the same questions, forecasts (with when they were made and recorded)
and resolutions (with their corrections); it lists, shows and scores the same. Entry numbers
and the order of the log may differ: the export is grouped by source and question, not by time.
A hypothesis property generates random ledgers and checks export -> import -> export gives the
same text.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import DATA, FORECASTS, Cli, run_script, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import rules
from ledger.format.dates import parse_moment
from ledger.ingest.importer import import_paths
from ledger.reports.export import to_yaml
from ledger.storage.store import Ledger

TODAY = date.today()
PROPERTY_EXAMPLES = 40


def _build(run: Cli, tmp_path: Path) -> None:
    """A ledger with sources, personal questions, offsets, late forecasts and corrections."""
    assert run("import", str(DATA / "good.yaml")).exit_code == 0
    assert run("import", str(FORECASTS)).exit_code == 0
    add = run("add", "Will the backup test pass?", "--by", str(TODAY + timedelta(days=30)),
              "--p", "0.7", "--criteria", "Yes if it passes.", "--tag", "ci", "--opened",
              str(TODAY - timedelta(days=60)), forecaster="alice")
    assert add.exit_code == 0, add.stderr
    qid = "will-the-backup-test-pass"
    for who, p, at in (("bob", "3:1", f"{TODAY - timedelta(days=20)}T23:30:00-07:00"),
                       ("carol", "1 in 20", f"{TODAY - timedelta(days=10)}T06:00:00+05:30"),
                       ("bob", "0.1%", str(TODAY - timedelta(days=5)))):
        assert run("forecast", qid, "--p", p, "--at", at, "--note", f"{who} on {at}",
                   forecaster=who).exit_code == 0
    assert run("resolve", qid, "yes", "--on", str(TODAY - timedelta(days=3)), "--evidence",
               "https://example.org/ci", forecaster="dave").exit_code == 0
    # recorded after the resolution: kept, flagged late, never scored
    late = run("forecast", qid, "--p", "0.99", "--at", str(TODAY - timedelta(days=4)),
               forecaster="erin")
    assert late.exit_code == 0 and "flagged late" in late.stderr
    assert run("resolve", qid, "no", "--correct", "--reason", "the run was retried",
               forecaster="dave").exit_code == 0
    assert run("resolve", qid, "yes", "--correct", "--reason", "retry was not allowed",
               forecaster="frank").exit_code == 0
    for n, outcome in ((1, "ambiguous"), (2, "annulled")):
        q = f"odd-outcome-{n}"
        assert run("add", f"Will outcome {n} be odd?", "--by", str(TODAY), "--id", q, "--p",
                   "40%", "--opened", str(TODAY - timedelta(days=9)),
                   forecaster="alice").exit_code == 0
        assert run("resolve", q, outcome, "--on", str(TODAY)).exit_code == 0
    assert run("resolve", "sample-ships", "no", "--correct", "--reason", "recalled",
               "--on", "2026-06-20").exit_code == 0


def _restore(run: Cli, tmp_path: Path) -> tuple[Cli, str]:
    backup = tmp_path / "backup.yaml"
    assert run("export", "--out", str(backup)).exit_code == 0
    restored = Cli(tmp_path / "restored.duckdb")
    imported = restored("import", str(backup))
    assert imported.exit_code == 0, imported.stderr
    assert restored("verify").exit_code == 0
    return restored, backup.read_text(encoding="utf-8")


def _normal_show(q: dict) -> dict:
    """show --json without what a restore renumbers (entry numbers and hashes) and what a
    forecast file does not hold (when a source or a question version was recorded)."""
    out = {k: v for k, v in q.items() if k not in ("entries", "versions")}
    out["versions"] = [{k: v for k, v in ver.items() if k not in ("seq", "recorded_at")}
                       for ver in q["versions"]]
    history = q["resolution_history"]
    position = {r["seq"]: i for i, r in enumerate(history)}
    out["resolution_history"] = [
        {**{k: v for k, v in r.items() if k not in ("seq", "supersedes")},
         "supersedes": position.get(r["supersedes"])} for r in history]
    out["forecast_history"] = [{k: v for k, v in f.items() if k != "seq"}
                               for f in q["forecast_history"]]
    if q["source"]:  # when a source was recorded is not part of a forecast file
        out["source"] = {k: v for k, v in q["source"].items() if k not in ("seq", "recorded_at")}
    return out


def _normal_text(text: str) -> str:
    text = re.sub(r"^ledger entries: .*$", "", text, flags=re.MULTILINE)
    # A restore logs its entries at its own time and shows the file's times as claims
    # (tests/test_schema3.py); the facts shown are the same.
    text = re.sub(r"^  #\d+ \w+: recorded_at .* \(claimed by the file; logged .*\)\n?", "", text,
                  flags=re.MULTILINE)
    return re.sub(r"#\d+", "#N", text)


def test_export_then_import_restores_the_same_ledger(run, tmp_path):
    _build(run, tmp_path)
    restored, exported = _restore(run, tmp_path)

    listed = run.json("list")
    assert restored.json("list") == listed
    assert run("list").stdout == restored("list").stdout
    assert len(listed) == 2 + 7 + 3
    for q in listed:
        original = run.json("show", q["id"])
        again = restored.json("show", q["id"])
        assert _normal_show(again) == _normal_show(original), q["id"]
        assert _normal_text(restored("show", q["id"]).stdout) == \
            _normal_text(run("show", q["id"]).stdout)
    history = restored.json("show", "will-the-backup-test-pass")["resolution_history"]
    assert [(r["outcome"], r["reason"], r["resolved_by"]) for r in history] == [
        ("yes", None, "dave"), ("no", "the run was retried", "dave"),
        ("yes", "retry was not allowed", "frank")]
    assert [r["supersedes"] for r in history] == [None, history[0]["seq"], history[1]["seq"]]

    for args in (["score"], ["score", "--by", "forecaster"], ["score", "--mode", "first"],
                 ["score", "--mode", "time-averaged", "--by", "tag"], ["calibration"],
                 ["calibration", "--strategy", "quantile", "--bins", "3"]):
        assert restored.json(*args) == run.json(*args), args
    try:
        from ledger.scoring.report import score_report
    except ImportError:  # pragma: no cover - the CLI comparison above still stands
        score_report = None
    if score_report is not None:
        with Ledger(run.db).connect() as con:
            before = score_report(con, by="forecaster")
        with Ledger(restored.db).connect() as con:
            after = score_report(con, by="forecaster")
        assert json.dumps(after, default=str, sort_keys=True) == \
            json.dumps(before, default=str, sort_keys=True)

    # the typed tables, row for row apart from entry numbers
    def table(db: Path, sql: str) -> list:
        with Ledger(db).connect() as con:
            return sorted(con.execute(sql).fetchall(), key=repr)
    forecasts = ("SELECT question_id, forecaster, probability, made_at, made_on, utc_offset, "
                 "recorded_at, rationale, basis, implied_from, late FROM forecasts_flagged")
    resolutions = ("SELECT question_id, outcome, resolved_on, evidence, note, resolved_by, "
                   "reason, recorded_at, supersedes IS NULL FROM resolutions")
    questions = ("SELECT id, question, criteria, resolve_by, opened, tags, source_id, quote, "
                 "horizon, resolve_by_rule, reference_probability, reference_note, blind "
                 "FROM current_questions")
    sources = "SELECT id, title, publisher, author, url, published FROM sources"
    for sql in (forecasts, resolutions, questions, sources):
        assert table(restored.db, sql) == table(run.db, sql)

    # The restored ledger exports the same documents. Questions come out in the order they
    # were created, which a forecast file does not record: a restore lists those imported
    # together by id, so the first restore may order them differently; from then on the
    # text is identical.
    def by_id(text: str) -> list:
        docs = list(yaml.safe_load_all(text))
        for doc in docs:
            doc["questions"].sort(key=lambda q: q["id"])
        return docs
    second = restored("export").stdout
    assert by_id(second) == by_id(exported)
    third = Cli(tmp_path / "third.duckdb")
    assert third("import", str(write(tmp_path / "second.yaml", second))).exit_code == 0
    assert third("export").stdout == second


def test_restore_keeps_the_edit_history_of_a_question(run, tmp_path):
    text = (DATA / "good.yaml").read_text(encoding="utf-8")
    path = write(tmp_path / "f.yaml", text)
    assert run("import", str(path)).exit_code == 0
    write(path, text.replace("criteria: Yes if the list price is higher",
                             "criteria: Yes if the price is higher"))
    assert run("import", str(path)).stdout.strip() == "1 file read; added 1 edited question"
    restored, _ = _restore(run, tmp_path)
    original = run.json("show", "sample-price-rises")
    assert original["edited_after_forecast"] is True
    assert _normal_show(restored.json("show", "sample-price-rises")) == _normal_show(original)


def test_restore_with_the_console_script(tmp_path):
    db, restored = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    assert run_script("--db", str(db), "import", str(DATA / "good.yaml"),
                      str(FORECASTS)).returncode == 0
    backup = tmp_path / "backup.yaml"
    assert run_script("--db", str(db), "export", "--out", str(backup)).returncode == 0
    assert run_script("--db", str(restored), "import", str(backup)).returncode == 0
    verified = run_script("--db", str(restored), "verify")
    count = run_script("--db", str(db), "verify").stdout.split()[1]
    assert verified.returncode == 0 and verified.stdout.startswith(f"ok: {count} entries")
    assert run_script("--db", str(restored), "list", "--json").stdout == \
        run_script("--db", str(db), "list", "--json").stdout


# -- property: random ledgers survive export -> import -> export -----------------------------

# Control and invisible characters are refused (ledger/format/models.py: check_line).
text_chars = st.characters(blacklist_categories=("Cs", "Cc"),
                           blacklist_characters="\u200b\u200c\u200d\u202a\u202b\u202c"
                                                "\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
name = st.text(text_chars, min_size=1, max_size=30).filter(lambda s: s.strip())
words = st.text(text_chars, min_size=5, max_size=80).filter(lambda s: len(s.strip()) >= 5)
slug = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True)
# A tag may not hold a comma or the flat files' separator (ledger/rules.py: TAG_PATTERN).
tag = st.text(st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc"),
                            blacklist_characters="," + rules.TAG_SEPARATOR),
              min_size=1, max_size=12)
day = st.dates(min_value=date(1990, 1, 1), max_value=TODAY - timedelta(days=2))
offset = st.sampled_from(["Z", "+00:00", "-07:00", "+05:30", "+14:00", "-12:00", "+09:45"])
probability = st.one_of(
    st.floats(0, 1), st.integers(0, 100).map(lambda n: f"{n}%"),
    st.decimals(0, 100, places=3).map(lambda d: f"{d}%"),
    st.tuples(st.integers(0, 20), st.integers(1, 20)).map(lambda t: f"{t[0]}:{t[1]}"),
    st.integers(1, 1000).map(lambda n: f"1 in {n}"))


@st.composite
def ledgers(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Forecast-file documents that are valid: a source document, and personal questions."""
    docs = []
    ids = iter(draw(st.lists(slug, min_size=6, max_size=6, unique=True)))
    for with_source in (True, False):
        doc: dict[str, Any] = {}
        if with_source:
            doc["source"] = {"id": draw(slug), "title": draw(words), "author": draw(name),
                             "publisher": draw(name), "url": "https://example.org/" + draw(slug),
                             "published": draw(day)}
        questions = []
        for _ in range(draw(st.integers(0 if with_source else 1, 3))):
            opened = draw(day) if not with_source or draw(st.booleans()) else None
            start = opened or doc["source"]["published"]
            q: dict[str, Any] = {"id": next(ids), "question": draw(words),
                                 "criteria": draw(words),
                                 "resolve_by": start + timedelta(days=draw(st.integers(0, 900)))}
            if opened:
                q["opened"] = opened
            if draw(st.booleans()):
                q["tags"] = draw(st.lists(tag, max_size=3, unique=True))
            if draw(st.booleans()):
                q["quote"] = draw(words)
                q["horizon"] = draw(name)
                q["reference"] = {"probability": draw(probability), "note": draw(words)}
                q["blind"] = draw(st.booleans())
            forecasts, latest = [], start
            for who in draw(st.lists(name, max_size=3, unique_by=lambda s: s.strip())):
                for _ in range(draw(st.integers(1, 2))):
                    # made in the past: the ledger refuses forecasts from the future
                    made = start + timedelta(days=draw(st.integers(
                        0, min(400, (TODAY - timedelta(days=1) - start).days))))
                    if draw(st.booleans()):
                        when = f"{made}T{draw(st.integers(0, 23)):02d}:" \
                               f"{draw(st.integers(0, 59)):02d}:{draw(st.integers(0, 59)):02d}" \
                               f"{draw(offset)}"
                    else:
                        when = made.isoformat()
                    f: dict[str, Any] = {"forecaster": who, "probability": draw(probability),
                                         "made_at": when}
                    if draw(st.booleans()):
                        f["recorded_at"] = datetime(made.year, made.month, made.day) + \
                            timedelta(days=2, microseconds=draw(st.integers(0, 10**6)))
                    if draw(st.booleans()):
                        f["rationale"] = draw(words)
                    if draw(st.booleans()):
                        f["basis"], f["implied_from"] = "implied", draw(words)
                    # One forecast per forecaster and instant: a date alone is its midnight
                    # UTC, so "2000-01-01" and "2000-01-01T00:00:00Z" are the same one.
                    if f not in forecasts and (who.strip(), parse_moment(when).utc) not in {
                            (x["forecaster"].strip(), parse_moment(x["made_at"]).utc)
                            for x in forecasts}:
                        forecasts.append(f)
                    latest = max(latest, made)
            q["forecasts"] = forecasts
            resolutions = []
            for k in range(draw(st.integers(0, 3))):
                r: dict[str, Any] = {
                    "outcome": draw(st.sampled_from(["yes", "no", "ambiguous", "annulled"])),
                    "resolved_on": latest + timedelta(days=draw(st.integers(1, 60)))}
                if k:
                    r["reason"] = draw(words)
                for key in ("evidence", "note", "resolved_by"):
                    if draw(st.booleans()):
                        r[key] = ("https://example.org/" + draw(slug) if key == "evidence"
                                  else draw(words if key == "note" else name))
                if draw(st.booleans()):
                    # claimed as received after the event, never in the future
                    r["recorded_at"] = min(
                        datetime.combine(r["resolved_on"], datetime.min.time())
                        + timedelta(days=1 + k), datetime(TODAY.year, TODAY.month, TODAY.day))
                facts = {key: r.get(key) for key in ("outcome", "resolved_on", "evidence", "note")}
                if resolutions and facts == {key: resolutions[-1].get(key) for key in facts}:
                    continue  # a correction must change something
                resolutions.append(r)
            if len(resolutions) == 1 and draw(st.booleans()):
                q["resolution"] = resolutions[0]
            elif resolutions:
                q["resolutions"] = resolutions
            questions.append(q)
        doc["questions"] = questions
        docs.append(doc)
    return docs


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        with tempfile.TemporaryDirectory(dir=shm, prefix="ledger-backup-") as tmp:
            yield Path(tmp)
    else:
        yield tmp_path_factory.mktemp("backup")


def test_random_ledgers_export_import_export_identically(scratch):
    runs = []

    @settings(max_examples=PROPERTY_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                     HealthCheck.data_too_large])
    @given(ledgers())
    def check(docs: list[dict[str, Any]]) -> None:
        for old in scratch.iterdir():
            old.unlink()
        source = scratch / "source.yaml"
        source.write_text(yaml.safe_dump_all(docs, allow_unicode=True, sort_keys=False),
                          encoding="utf-8")
        first_db, second_db = Ledger(scratch / "first.duckdb"), Ledger(scratch / "second.duckdb")
        import_paths(first_db, [source])
        with first_db.connect() as con:
            first = to_yaml(con)
        backup = scratch / "backup.yaml"
        backup.write_text(first, encoding="utf-8")
        import_paths(second_db, [backup])
        with second_db.connect() as con:
            second = to_yaml(con)
            n = con.execute("SELECT count(*) FROM entries").fetchall()[0][0]
        assert second == first
        second_db.verify()
        again = import_paths(second_db, [backup])
        assert again.changes == []
        runs.append(n)

    check()
    print(f"\nbackup property: {len(runs)} random ledgers, {sum(runs)} entries in all")
    assert len(runs) == PROPERTY_EXAMPLES and sum(runs) > 0
