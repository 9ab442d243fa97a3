"""ledger.rules: each rule's Python form and the SQL built from it agree on generated rows, and
the views of a real ledger are built from those rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import rules
from ledger.storage import schema

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31))
CON = duckdb.connect()  # one in-memory database for every example: opening one costs ~15 ms


@settings(max_examples=300, deadline=None)
@given(seq=st.integers(1, 100), recorded_at=instants, made_on=days,
       resolution=st.none() | st.tuples(st.integers(1, 100), instants, days))
def test_late_rule_in_python_and_in_sql_agree(seq, recorded_at, made_on, resolution):
    first_seq, first_recorded_at, resolved_on = resolution or (None, None, None)
    expected = rules.is_late(seq=seq, recorded_at=recorded_at, made_on=made_on,
                             first_resolution_seq=first_seq,
                             first_resolution_recorded_at=first_recorded_at,
                             resolved_on=resolved_on)
    got = CON.execute(
        f"""SELECT {rules.late_sql("f", "r")} FROM
            (SELECT $seq::BIGINT AS seq, $rec::TIMESTAMP AS recorded_at, $made::DATE AS made_on) f
            LEFT JOIN (SELECT $fs::BIGINT AS first_seq, $fr::TIMESTAMP AS first_recorded_at,
                              $ro::DATE AS resolved_on) r ON $fs IS NOT NULL""",
        {"seq": seq, "rec": recorded_at, "made": made_on, "fs": first_seq,
         "fr": first_recorded_at, "ro": resolved_on}).fetchall()[0][0]
    assert got == expected


@settings(max_examples=200, deadline=None)
@given(outcome=st.none() | st.sampled_from(rules.OUTCOMES), resolve_by=days, today=days)
def test_status_rule_in_python_and_in_sql_agree(outcome, resolve_by, today):
    got = CON.execute(f"SELECT {rules.status_sql('$o::VARCHAR', '$by::DATE', '$today::DATE')}",
                      {"o": outcome, "by": resolve_by, "today": today}).fetchall()[0][0]
    assert got == rules.status(outcome, resolve_by, today)
    assert got in rules.STATUSES


def test_the_views_of_a_ledger_are_built_from_the_rules():
    ddl = "\n".join(schema.DDL)
    assert rules.late_sql("f", "r") in ddl
    assert "first_seq" in ddl


def test_a_date_alone_is_in_the_future_only_once_it_has_begun_nowhere():
    now = datetime(2026, 5, 21, 9, 59)
    assert not rules.in_future(None, date(2026, 5, 21), False, now)
    assert rules.in_future(None, date(2026, 5, 22), False, now)  # 23:59 at UTC+14
    assert not rules.in_future(None, date(2026, 5, 22), False, now + timedelta(minutes=1))
    assert rules.in_future(now + timedelta(seconds=1), now.date(), True, now)


def test_a_kept_forecast_logged_before_a_backdated_resolution_is_not_refused():
    # logged before the resolution: kept (and flagged late); after it: refused
    assert not rules.refused_after_outcome(date(2026, 12, 1), date(2026, 11, 28), False)
    assert rules.refused_after_outcome(date(2026, 12, 1), date(2026, 11, 28), True)
    assert not rules.refused_after_outcome(date(2026, 11, 28), date(2026, 11, 28), True)


@given(blind=st.booleans(), viewer=st.none() | st.sampled_from(["a", "b", "c"]),
       who=st.lists(st.sampled_from(["a", "b", "c"]), max_size=4))
def test_the_blind_rule_shows_everything_or_only_the_viewers_own(blind, viewer, who):
    rows = [{"forecaster": w} for w in who]
    shown, hidden = rules.visible_forecasts(rows, blind, viewer)
    if hidden:
        assert blind and (viewer is None or viewer not in who)
        assert shown == [r for r in rows if r["forecaster"] == viewer]
    else:
        assert shown == rows
        assert not blind or viewer in who


@settings(max_examples=100, deadline=None)
@given(blind=st.booleans(), viewer=st.none() | st.sampled_from(["a", "b", "c"]),
       who=st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=4))
def test_the_blind_rule_in_python_and_in_sql_agree(blind, viewer, who):
    rows = [{"forecaster": w} for w in who]
    shown, _ = rules.visible_forecasts(rows, blind, viewer)
    con = duckdb.connect()
    con.execute("CREATE TABLE forecasts (question_id VARCHAR, forecaster VARCHAR)")
    con.executemany("INSERT INTO forecasts VALUES ('q', ?)", [[w] for w in who])
    kept = con.execute(
        f"SELECT f.forecaster FROM forecasts f, (SELECT $blind AS blind) q "
        f"WHERE NOT {rules.withheld_sql('q', 'f', '$viewer::VARCHAR')} ORDER BY rowid",
        {"blind": blind, "viewer": viewer}).fetchall()
    con.close()
    assert [w for (w,) in kept] == [r["forecaster"] for r in shown]


@settings(max_examples=200, deadline=None)
@given(made_on=days, resolved_on=st.none() | days, after=st.booleans())
def test_the_refusal_after_the_outcome_in_python_and_in_sql_agree(made_on, resolved_on, after):
    got = CON.execute(f"SELECT {rules.refused_after_outcome_sql('$m::DATE', '$r::DATE', '$a')}",
                      {"m": made_on, "r": resolved_on, "a": after}).fetchall()[0][0]
    assert got == rules.refused_after_outcome(made_on, resolved_on, after)


# -- fixes (issue #14): withdrawals, merges, edits ----------------------------------------------

def _table(name: str, columns: str, rows: list[tuple]) -> None:
    CON.execute(f"CREATE OR REPLACE TABLE {name} ({columns})")
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        CON.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)


IDS = ["a", "b", "c", "d", "e"]


@settings(max_examples=200, deadline=None)
@given(merges=st.dictionaries(st.sampled_from(IDS), st.sampled_from(IDS), max_size=5))
def test_the_merge_rule_in_python_and_in_sql_agree_even_on_cycles(merges):
    _table("m", "duplicate_id VARCHAR, kept_id VARCHAR", list(merges.items()))
    got = dict(CON.execute(rules.merged_into_sql("m")).fetchall())
    assert got == rules.merged_into(merges.items())
    for dup, kept in got.items():  # every id resolves to a question that is no duplicate
        assert kept not in merges and dup in merges


@settings(max_examples=200, deadline=None)
@given(seqs=st.lists(st.integers(1, 20), unique=True, max_size=8),
       gone=st.lists(st.integers(1, 20), max_size=4))
def test_the_withdrawal_rule_in_python_and_in_sql_agree(seqs, gone):
    _table("withdrawals", "forecast_seq BIGINT", [(g,) for g in gone])
    _table("f", "seq BIGINT", [(s,) for s in seqs])
    got = {s for (s,) in CON.execute(f"SELECT seq FROM f WHERE NOT {rules.withdrawn_sql('f')}"
                                     ).fetchall()}
    assert got == {f["seq"] for f in rules.standing([{"seq": s} for s in seqs], gone)}


versions_strategy = st.lists(st.tuples(st.sampled_from(["Will a?", "Will b?"]),
                                       st.sampled_from(["c1", "c2"]),
                                       st.sampled_from([date(2027, 1, 1), date(2027, 2, 1)]),
                                       st.sampled_from([None, True])),
                             min_size=1, max_size=4)


def _versions(qid: str, drawn: list[tuple], start: datetime) -> list[dict]:
    return [{"id": qid, "version": n, "question": q, "criteria": c, "resolve_by": by,
             "clarification": cl, "recorded_at": start + timedelta(days=n)}
            for n, (q, c, by, cl) in enumerate(drawn, start=1)]


@settings(max_examples=200, deadline=None)
@given(drawn=st.lists(versions_strategy, min_size=1, max_size=3),
       first=st.lists(st.none() | st.integers(0, 6), min_size=3, max_size=3))
def test_the_edit_rules_in_python_and_in_sql_agree(drawn, first):
    start = datetime(2026, 1, 1)
    by_id = {f"q{i}": _versions(f"q{i}", d, start) for i, d in enumerate(drawn)}
    rows = [(v["id"], v["version"], v["question"], v["criteria"], v["resolve_by"],
             v["clarification"], v["recorded_at"]) for vs in by_id.values() for v in vs]
    _table("qv", "id VARCHAR, version INTEGER, question VARCHAR, criteria VARCHAR, "
                 "resolve_by DATE, clarification BOOLEAN, recorded_at TIMESTAMP", rows)
    firsts = {f"q{i}": start + timedelta(days=d, hours=12)
              for i, d in enumerate(first) if d is not None and f"q{i}" in by_id}
    _table("fc", "question_id VARCHAR, recorded_at TIMESTAMP", list(firsts.items()))
    changed = dict(CON.execute(rules.meaning_changes_sql("qv")).fetchall())
    assert changed == {qid: at for qid, vs in by_id.items()
                       if (at := rules.meaning_changed_at(vs)) is not None}
    moved = [(r[0], r[1], r[2], r[3], r[4]) for r in CON.execute(
        rules.moved_goalposts_sql("qv", "fc")).fetchall()]
    assert moved == [(qid, m["version"], m["from"], m["to"], m["recorded_at"])
                     for qid, vs in sorted(by_id.items())
                     for m in rules.moved_goalposts(vs, firsts.get(qid))]


def test_a_clarification_never_changes_what_a_question_asks_and_tags_never_do():
    v1 = {"question": "Will a?", "criteria": "c", "resolve_by": date(2027, 1, 1), "tags": []}
    assert not rules.changes_meaning(v1, {**v1, "tags": ["x"]})
    assert rules.changes_meaning(v1, {**v1, "resolve_by": date(2027, 2, 1)})
    assert not rules.changes_meaning(v1, {**v1, "question": "Will b?", "clarification": True})
    assert not rules.changes_meaning(None, v1)
    assert rules.may_fix(False) and not rules.may_fix(True)
