"""Every door agrees: the same generated history fed through YAML import, CSV import, Parquet
import and the library's actions (what the CLI and the dashboard's forms call) gives ledgers
that list, show, score and calibrate identically; and every export format re-imports to the
same ledger.

A history is questions opened in the past, forecasts by several people written in every form
of the probability grammar and across time zones, resolutions (yes, no, ambiguous, annulled),
and forecasts logged after a resolution was recorded but made before its date (kept, flagged
late). Then the fixes of issue #14 (ledger.ingest.fixes): a question edited (its date moved,
as a clarification or not), a forecaster's latest forecast withdrawn, a duplicate merged into
the first question. It reaches each door in the steps a person would take: questions and their
forecasts; the fixes; resolutions; the late forecasts. CSV and Parquet carry no fixes (the
README says so): they get the history without them.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
from click.testing import CliRunner
from conftest import write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.faces.cli import cli
from ledger.format.dates import parse_moment
from ledger.format.probability import parse_probability
from ledger.ingest import actions, fixes
from ledger.ingest.bulk import import_tables
from ledger.ingest.importer import import_paths
from ledger.storage.store import Ledger

TODAY = date.today()
VIEWER = "ann"
PEOPLE = ["ann", "bo", "cy"]
OFFSETS = ["+00:00", "-07:00", "+05:30", "+14:00", "-12:00"]
# Every form of the grammar, with the probability each stands for exactly.
PROBABILITIES = ["0.7", "70%", "3:1", "1 in 20", "0.1%", "1e-3", "33.333333333333333333%",
                 "0.25", "99%", "2:3"]


@dataclass
class Forecast:
    who: str
    probability: str
    made_at: str  # a date alone, or a local time with its offset

    @property
    def day(self) -> date:
        return date.fromisoformat(self.made_at[:10])


@dataclass
class Question:
    qid: str
    opened: date
    resolve_by: date
    blind: bool
    tags: list[str]
    forecasts: list[Forecast]
    outcome: str | None = None
    resolved_on: date | None = None
    late: list[Forecast] = field(default_factory=list)  # logged after the resolution
    edit: tuple[int, bool] | None = None  # days the resolve-by date moves, a clarification?
    withdraw: str | None = None  # whose latest forecast is withdrawn
    merged_into: str | None = None  # the question this duplicate is merged into

    @property
    def edited_by(self) -> date:
        return self.resolve_by + timedelta(days=self.edit[0]) if self.edit else self.resolve_by

    def withdrawn(self) -> Forecast | None:
        """The forecast ``withdraw`` takes back: that forecaster's latest (ledger order)."""
        mine = [(parse_moment(f.made_at).day, parse_moment(f.made_at).utc, n, f)
                for n, f in enumerate(self.forecasts) if f.who == self.withdraw]
        return max(mine, key=lambda t: t[:3])[3] if mine else None


@st.composite
def moments(draw: Any, earliest: date, latest: date) -> str:
    day = earliest + timedelta(days=draw(st.integers(0, max(0, (latest - earliest).days))))
    if draw(st.booleans()):
        return day.isoformat()
    hh, mm = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    return f"{day}T{hh:02d}:{mm:02d}:00{draw(st.sampled_from(OFFSETS))}"


@st.composite
def histories(draw: Any) -> list[Question]:
    questions = []
    for n in range(draw(st.integers(1, 4))):
        opened = TODAY - timedelta(days=draw(st.integers(20, 300)))
        resolve_by = opened + timedelta(days=draw(st.integers(1, 400)))
        last = TODAY - timedelta(days=3)  # a local time east of UTC may be tomorrow in UTC
        forecasts, seen = [], set()
        # at least one: a CSV or Parquet row is a forecast, so a question without one has
        # no way in through those doors (the README says so)
        for _ in range(draw(st.integers(1, 4))):
            f = Forecast(draw(st.sampled_from(PEOPLE)), draw(st.sampled_from(PROBABILITIES)),
                         draw(moments(opened + timedelta(days=1), last)))
            # one forecast per person and instant: "2026-11-13" and
            # "2026-11-13T00:00:00+00:00" are one instant where local time is UTC: a duplicate
            if (f.who, parse_moment(f.made_at).utc) not in seen:
                seen.add((f.who, parse_moment(f.made_at).utc))
                forecasts.append(f)
        q = Question(f"q{n}", opened, resolve_by, draw(st.booleans()),
                     draw(st.lists(st.sampled_from(["ai", "econ", "x.y"]), max_size=2,
                                   unique=True)), forecasts)
        if draw(st.booleans()):
            latest_made = max([f.day for f in forecasts], default=opened)
            q.outcome = draw(st.sampled_from(["yes", "no", "ambiguous", "annulled"]))
            q.resolved_on = latest_made + timedelta(days=draw(st.integers(1, 2)))
            if draw(st.booleans()):  # logged after the resolution, made on its day: late
                late = Forecast(draw(st.sampled_from(PEOPLE)), "0.5",
                                q.resolved_on.isoformat())
                if (late.who, parse_moment(late.made_at).utc) not in seen:
                    q.late.append(late)
        if draw(st.booleans()):
            q.edit = (draw(st.integers(1, 30)), draw(st.booleans()))
        if q.outcome is None and draw(st.booleans()):
            q.withdraw = draw(st.sampled_from(sorted({f.who for f in forecasts})))
        if (n > 0 and q.outcome is None and questions[0].outcome is None
                and draw(st.booleans())):
            q.merged_into = questions[0].qid
        questions.append(q)
    return questions


def _unfixed(history: list[Question]) -> list[Question]:
    from dataclasses import replace

    return [replace(q, edit=None, withdraw=None, merged_into=None) for q in history]


def _text(q: Question, edited: bool = False) -> str:
    return f"Will {q.qid} happen by {q.edited_by if edited else q.resolve_by}?"


# -- the doors ------------------------------------------------------------------------------

def _yaml_step(q: Question, forecasts: list[Forecast], resolved: bool,
               fixed: bool = False) -> str:
    edited = fixed and q.edit is not None
    lines = [f"  - id: {q.qid}", f"    question: {_text(q, edited)}",
             "    criteria: Yes if it does.", f"    opened: {q.opened}",
             f"    resolve_by: {q.edited_by if edited else q.resolve_by}",
             f"    blind: {str(q.blind).lower()}", f"    tags: [{', '.join(q.tags)}]"]
    if edited:
        lines += ["    edit_reason: date put right",
                  f"    clarification: {str(q.edit[1]).lower()}"]
    if fixed and q.merged_into:
        lines.append(f"    merged_into: {{id: {q.merged_into}, reason: added twice}}")
    lines.append("    forecasts:")
    gone = q.withdrawn() if fixed else None
    lines += [f"      - {{forecaster: {f.who}, probability: \"{f.probability}\", "
              f"made_at: \"{f.made_at}\""
              + (", withdrawn: {reason: taken back}}" if f is gone else "}")
              for f in forecasts]
    if not forecasts:
        lines[-1] = "    forecasts: []"
    if resolved and q.outcome:
        lines.append(f"    resolution: {{outcome: {q.outcome}, resolved_on: {q.resolved_on}}}")
    return "\n".join(lines)


def through_yaml(db: Path, history: list[Question]) -> None:
    # questions and forecasts; the fixes; resolutions; late forecasts
    steps = [(False, False, False), (False, False, True), (True, False, True),
             (True, True, True)]
    for n, (resolved, late, fixed) in enumerate(steps):
        if n == 1 and history == _unfixed(history):
            continue
        body = "\n".join(_yaml_step(q, q.forecasts + (q.late if late else []), resolved,
                                    fixed and n == 1)
                         for q in history)
        path = write(db.parent / f"step{n}.yaml", "questions:\n" + body + "\n")
        import_paths(Ledger(db), [path])


def _rows(history: list[Question], resolved: bool, late: bool) -> list[dict[str, Any]]:
    out = []
    for q in history:
        for f in q.forecasts + (q.late if late else []):
            out.append({"question_id": q.qid, "forecaster": f.who, "probability": f.probability,
                        "made_at": f.made_at, "question": _text(q), "criteria": "Yes if it does.",
                        "resolve_by": q.resolve_by.isoformat(), "opened": q.opened.isoformat(),
                        "tags": ";".join(q.tags),
                        "outcome": q.outcome if resolved and q.outcome else "",
                        "resolved_on": q.resolved_on.isoformat()
                        if resolved and q.outcome else ""})
    return out


def _table_steps(history: list[Question]) -> list[list[dict[str, Any]]]:
    return [_rows(history, False, False), _rows(history, True, False), _rows(history, True, True)]


def through_csv(db: Path, history: list[Question]) -> None:
    for n, rows in enumerate(_table_steps(history)):
        if not rows:
            continue
        path = db.parent / f"step{n}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        import_tables(Ledger(db), [path])


def through_parquet(db: Path, history: list[Question]) -> None:
    for n, rows in enumerate(_table_steps(history)):
        if not rows:
            continue
        path = db.parent / f"step{n}.parquet"
        con = duckdb.connect()
        names = list(rows[0])
        values = ", ".join("(" + ", ".join(f"${i * len(names) + j + 1}" for j in range(len(names)))
                           + ")" for i in range(len(rows)))
        params = [None if r[k] == "" else r[k] for r in rows for k in names]
        con.execute(f"COPY (SELECT * FROM (VALUES {values}) AS t({', '.join(names)})) "
                    f"TO '{path}' (FORMAT parquet)", params)
        con.close()
        import_tables(Ledger(db), [path])


def through_actions(db: Path, history: list[Question]) -> None:
    led = Ledger(db)
    for q in history:
        actions.add_question(led, _text(q), resolve_by=q.resolve_by, forecaster=VIEWER,
                             criteria="Yes if it does.", tags=q.tags, qid=q.qid,
                             opened=q.opened, blind=q.blind)
        for f in q.forecasts:
            actions.add_forecast(led, q.qid, f.probability, forecaster=f.who,
                                 made_at=f.made_at)
    for q in history:  # the fixes, as the CLI's edit, withdraw and merge make them
        if q.edit is not None:
            fixes.edit_question(led, q.qid, question=_text(q, True), resolve_by=q.edited_by,
                                reason="date put right", clarification=q.edit[1])
        if q.withdraw is not None:
            fixes.withdraw_forecast(led, q.qid, by=q.withdraw, reason="taken back")
        if q.merged_into is not None:
            fixes.merge_questions(led, q.qid, q.merged_into, reason="added twice")
    for q in history:
        if q.outcome:
            actions.resolve(led, q.qid, q.outcome, resolved_by=None, resolved_on=q.resolved_on)
    for q in history:
        for f in q.late:
            actions.add_forecast(led, q.qid, f.probability, forecaster=f.who,
                                 made_at=f.made_at)


DOORS = {"yaml": through_yaml, "csv": through_csv, "parquet": through_parquet,
         "actions": through_actions}
#: CSV and Parquet rows carry no blind flag (the README lists what they carry).
FLAT_DOORS = ("csv", "parquet")


def _flat(history: list[Question]) -> list[Question]:
    from dataclasses import replace

    return [replace(q, blind=False) for q in _unfixed(history)]


# -- what a person sees ---------------------------------------------------------------------

def _json(db: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--db", str(db), "--as", VIEWER, *args, "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, (args, result.stderr)
    return json.loads(result.stdout)


# What a door cannot give the same: entry numbers, hashes and reception times.
_RENUMBERED = {"seq", "recorded_at", "hash", "entries", "supersedes", "first_recorded_at",
               "first_seq", "created_at", "edit_reason", "forecast_seq"}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in _RENUMBERED}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def seen(db: Path, history: list[Question]) -> dict[str, Any]:
    out = {"list": _plain(_json(db, "list")), "score": _json(db, "score"),
           "calibration": _json(db, "calibration")}
    for q in history:
        out[f"show {q.qid}"] = _plain(_json(db, "show", q.qid))
    return out


def _restore_dir(tmp: Path, name: str) -> Path:
    d = tmp / name
    d.mkdir()
    return d


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(history=histories())
def test_every_door_gives_the_same_ledger(tmp_path_factory, history):
    tmp = tmp_path_factory.mktemp("doors")
    views = {}
    for name, door in DOORS.items():
        db = _restore_dir(tmp, name) / "ledger.duckdb"
        door(db, _flat(history) if name in FLAT_DOORS else history)
        views[name] = seen(db, history)
    assert views["actions"] == views["yaml"]
    if history != _flat(history):  # the flat doors got it without blind questions, fixes
        db = _restore_dir(tmp, "yaml-flat") / "ledger.duckdb"
        through_yaml(db, _flat(history))
        views["yaml"] = seen(db, history)
    assert views["csv"] == views["yaml"]
    assert views["parquet"] == views["yaml"]
    # The probabilities are the grammar's exact values, whichever door they came through.
    stored = {(f["forecaster"], f["probability"]) for q in views["yaml"]["list"]
              for f in q["forecasts"]}
    allowed = {parse_probability(p) for p in [*PROBABILITIES, "0.5"]}
    assert {p for _, p in stored} <= allowed


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(history=histories())
def test_every_export_format_restores_the_same_ledger(tmp_path_factory, history):
    tmp = tmp_path_factory.mktemp("restore")
    for fmt in ("yaml", "csv", "parquet"):
        facts = _flat(history) if fmt in FLAT_DOORS else history
        db = _restore_dir(tmp, f"original-{fmt}") / "ledger.duckdb"
        through_actions(db, facts)
        original = seen(db, history)
        out = tmp / f"backup.{fmt}"
        result = CliRunner().invoke(cli, ["--db", str(db), "--as", VIEWER, "export",
                                          "--format", fmt, "--out", str(out),
                                          "--reveal-blind"], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        restored = _restore_dir(tmp, f"from-{fmt}") / "ledger.duckdb"
        result = CliRunner().invoke(cli, ["--db", str(restored), "import", str(out)],
                                    catch_exceptions=False)
        assert result.exit_code == 0, (fmt, result.stderr)
        assert seen(restored, history) == original, fmt


def test_the_generated_histories_hold_every_kind_of_fact():
    # The strategy can make what the doors must agree on: a guard against a generator that
    # quietly stopped producing late forecasts or corrections of time zones.
    found = {"late": False, "offset": False, "odds": False, "blind": False, "annulled": False,
             "clarification": False, "edit": False, "withdrawal": False, "merge": False}

    @settings(max_examples=200, deadline=None)
    @given(history=histories())
    def probe(history: list[Question]) -> None:
        for q in history:
            found["late"] |= bool(q.late)
            found["blind"] |= q.blind
            found["annulled"] |= q.outcome == "annulled"
            found["edit"] |= q.edit is not None and not q.edit[1]
            found["clarification"] |= q.edit is not None and q.edit[1]
            found["withdrawal"] |= q.withdraw is not None
            found["merge"] |= q.merged_into is not None
            for f in q.forecasts:
                found["offset"] |= "T" in f.made_at
                found["odds"] |= ":" in f.probability

    probe()
    assert all(found.values()), found


def test_a_kept_late_forecast_is_the_same_through_every_door(tmp_path):
    day = TODAY - timedelta(days=10)
    history = [Question("q0", day - timedelta(days=30), day + timedelta(days=30), False, [],
                        [Forecast("bo", "70%", f"{day - timedelta(days=5)}T23:30:00-07:00")],
                        outcome="yes", resolved_on=day,
                        late=[Forecast("cy", "0.5", day.isoformat())])]
    views = {}
    for name, door in DOORS.items():
        db = _restore_dir(tmp_path, name) / "ledger.duckdb"
        door(db, history)
        views[name] = seen(db, history)
        late = [f["late"] for f in views[name]["show q0"]["forecast_history"]]
        assert late == [False, True], name
    assert views["csv"] == views["yaml"] == views["parquet"] == views["actions"]
