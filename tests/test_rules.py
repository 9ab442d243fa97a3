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
