"""The dashboard's charts (dashboard/charts.py) read as people read them: counts in whole
numbers, full dates, a 24-hour clock. Their Vega-Lite specs, and the pages that draw them under
AppTest on real ledger files."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta

import pandas as pd
import pytest
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st
from test_dashboard import goto, make_small, open_app

sys.path.insert(0, str(ROOT / "dashboard"))
import charts  # noqa: E402


def axes(spec: dict) -> list[tuple[str, str, dict]]:
    """Every (field, channel, axis or legend) of a chart spec, layers included."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for channel, enc in (node.get("encoding") or {}).items():
                if isinstance(enc, dict) and "field" in enc:
                    for key in ("axis", "legend"):
                        if isinstance(enc.get(key), dict):
                            found.append((enc["field"], channel, enc[key]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found


def axis_of(spec: dict, field: str) -> dict:
    got = [a for f, _, a in axes(spec) if f == field]
    assert got, (field, axes(spec))
    return got[0]


def test_sharpness_counts_are_whole_numbers():
    chart = charts.sharpness_chart(pd.DataFrame({"lower": [0.0, 0.5], "upper": [0.5, 1.0],
                                                 "count": [1, 2]}))
    assert axis_of(chart.to_dict(), "count") == {"format": "d", "tickMinStep": 1}


def test_reliability_size_legend_counts_whole_forecasts():
    bins = pd.DataFrame({"bin": ["[0%, 50%)"], "count": [3], "mean_forecast": [0.2],
                         "observed_frequency": [0.33], "wilson_low": [0.06],
                         "wilson_high": [0.79]})
    legend = axis_of(charts.reliability_chart(bins).to_dict(), "count")
    assert legend["format"] == "d" and legend["tickMinStep"] == 1


def test_timeline_shows_full_dates_on_whole_days():
    timeline = pd.DataFrame({"id": ["a", "b"], "label": ["A?", "B?"], "question": ["A?", "B?"],
                             "resolve_by": ["2026-05-20", "2026-05-23"],
                             "status": ["overdue", "open"], "when": ["1d overdue", "2d left"]})
    axis = axis_of(charts.timeline_chart(timeline, "2026-05-21").to_dict(), "resolve_by")
    assert axis["format"] == "%Y-%m-%d"
    assert axis["values"] == ["2026-05-20", "2026-05-21", "2026-05-22", "2026-05-23"]


def test_over_time_shows_full_dates():
    over = pd.DataFrame({"resolved_on": ["2026-01-01", "2026-03-01"], "n": [1, 2],
                         "brier": [0.1, 0.2], "calibration_in_the_large": [0.0, 0.1]})
    axis = axis_of(charts.over_time_chart(over).to_dict(), "resolved_on")
    assert axis["format"] == "%Y-%m-%d"
    assert axis["values"] == ["2026-01-01", "2026-01-15", "2026-01-29", "2026-02-12",
                              "2026-02-26"]  # fortnightly over two months


def test_time_axis_is_a_24_hour_clock_with_the_full_date():
    assert charts.time_axis().to_dict()["format"] == "%Y-%m-%d %H:%M"
    assert "%I" not in charts.TIME_FORMAT and "%p" not in charts.TIME_FORMAT


@given(st.dates(date(1990, 1, 1), date(2100, 1, 1)), st.integers(0, 20000))
def test_date_ticks_are_few_whole_days_within_the_span(first, span):
    last = first + timedelta(days=span)
    ticks = [date.fromisoformat(t) for t in charts.date_ticks([first, last])]
    assert 1 <= len(ticks) <= charts.DATE_TICKS
    assert ticks == sorted(set(ticks))
    assert all(first <= t <= last for t in ticks)
    if span < charts.DATE_TICKS:
        assert len(ticks) == span + 1  # every day of a short span


# -- the pages draw them -------------------------------------------------------------------------

def page_specs(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


@pytest.fixture
def small(tmp_path):
    return make_small(tmp_path / "small.duckdb")


def test_calibration_page_counts_whole_numbers_and_dates_in_full(monkeypatch, small):
    at = goto(open_app(monkeypatch, small), "calibration")
    found = [a for spec in page_specs(at) for a in axes(spec)]
    counts = [a for f, _, a in found if f == "count"]
    assert len(counts) == 2 and all(a["format"] == "d" for a in counts)
    dates = [a for f, _, a in found if f == "resolved_on"]
    assert dates and all(a["format"] == "%Y-%m-%d" for a in dates)


def test_overview_and_question_pages_show_full_dates_and_a_24_hour_clock(monkeypatch, small):
    at = goto(open_app(monkeypatch, small), "overview")
    found = [a for spec in page_specs(at) for a in axes(spec)]
    formats = [a["format"] for f, _, a in found if f in ("resolve_by", "today")]
    assert formats and set(formats) == {"%Y-%m-%d"}
    at.query_params["id"] = "alpha"
    goto(at, "question")
    found = [a for spec in page_specs(at) for a in axes(spec)]
    formats = [a["format"] for f, _, a in found if f == "made_at"]
    assert formats and set(formats) == {"%Y-%m-%d %H:%M"}
