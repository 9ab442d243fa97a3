"""The dashboard's Altair charts, and the axes they share: counts in whole numbers, dates in
full (``2026-05-21``, never "May 21" or "Thu 21"), instants on a 24-hour clock
(``2026-05-21 18:30``, never "06 PM").

Each builder takes the display tables of :mod:`ledger.reports.views` and returns a chart;
``tests/test_dashboard_charts.py`` reads their specs (``to_dict()``).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import altair as alt
import pandas as pd

DATE_FORMAT = "%Y-%m-%d"
TIME_FORMAT = "%Y-%m-%d %H:%M"
#: At most this many labels on a date axis.
DATE_TICKS = 8


def count_axis(**kwargs: Any) -> alt.Axis:
    """An axis of counts: whole numbers only (no 0.5 forecasts)."""
    return alt.Axis(format="d", tickMinStep=1, **kwargs)


def count_legend(**kwargs: Any) -> alt.Legend:
    """A legend of counts (a size scale): whole numbers only."""
    return alt.Legend(format="d", tickMinStep=1, **kwargs)


def time_axis(**kwargs: Any) -> alt.Axis:
    """An axis of instants: the full date and a 24-hour clock on every label."""
    return alt.Axis(format=TIME_FORMAT, labelOverlap=True, **kwargs)


def date_ticks(days: Any, most: int = DATE_TICKS) -> list[str]:
    """Whole days to label on an axis spanning ``days`` (ISO dates or dates), at most
    ``most``: every day, every 2 days, weekly or fortnightly, else the first of every 1, 2, 3,
    6 or 12 months (or more years). Left to itself Vega-Lite puts ticks at noon on a span of a
    few days, which a date-only label would show as the same date twice."""
    parsed = sorted({d if isinstance(d, date) else date.fromisoformat(str(d)[:10])
                     for d in days if d is not None and str(d) != ""})
    if not parsed:
        return []
    first, last = parsed[0], parsed[-1]
    span = (last - first).days
    for step in (1, 2, 7, 14):
        if span // step + 1 <= most:
            return [(first + timedelta(days=k * step)).isoformat()
                    for k in range(span // step + 1)]
    months = (last.year - first.year) * 12 + last.month - first.month
    step = next((s for s in (1, 2, 3, 6, 12) if months // s + 1 <= most),
                12 * math.ceil(months / 12 / most))
    # Months numbered from year 0; the first of every step-th month within the span.
    m0, end = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    ticks = [date(k // 12, k % 12 + 1, 1) for k in range(m0 + (-m0) % step, end + 1, step)]
    ticks = [t.isoformat() for t in ticks if first <= t <= last]
    return ticks or [first.isoformat()]


def date_axis(days: Any, **kwargs: Any) -> alt.Axis:
    """An axis of calendar days: full dates, one label per chosen whole day
    (:func:`date_ticks`)."""
    return alt.Axis(format=DATE_FORMAT, values=date_ticks(days), labelOverlap=True, **kwargs)


# -- the overview's timeline --------------------------------------------------------------------

def timeline_chart(timeline: pd.DataFrame, today: str) -> alt.LayerChart:
    """The most overdue and next due questions on a resolve-by axis, with today's rule."""
    utc = alt.Scale(type="utc")
    axis = date_axis([*timeline["resolve_by"], today])
    base = alt.Chart(timeline).encode(
        x=alt.X("resolve_by:T", title="resolve by", scale=utc, axis=axis),
        y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=400)),
        color=alt.Color("status:N", title="status",
                        scale=alt.Scale(domain=["overdue", "open"],
                                        range=["#d62728", "#1f77b4"])),
        tooltip=["id", "question", alt.Tooltip("utcyearmonthdate(resolve_by):T",
                                               title="resolve by", format=DATE_FORMAT), "when"],
    )
    now = alt.Chart(pd.DataFrame({"today": [today]})).mark_rule(
        strokeDash=[4, 4], color="#888").encode(x=alt.X("today:T", scale=utc, axis=axis))
    return (now + base.mark_point(filled=True, size=140)
            + base.mark_text(align="left", dx=10).encode(text="when:N")).properties(
        height=max(160, 28 * len(timeline)))


# -- calibration ------------------------------------------------------------------------------

_PERCENT = alt.Axis(format="%")
_UNIT = alt.Scale(domain=[0, 1])


def reliability_chart(bins: pd.DataFrame, curve: pd.DataFrame | None = None) -> alt.LayerChart:
    """Each bin's mean forecast against how often yes happened, sized by its count (a whole
    number), with its Wilson interval; the CORP curve when ``curve`` is given."""
    diagonal = alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]})).mark_line(
        strokeDash=[5, 5], color="#888").encode(x="x:Q", y="y:Q")
    errors = alt.Chart(bins).mark_rule(color="#1f77b4").encode(
        x=alt.X("mean_forecast:Q", scale=_UNIT), y=alt.Y("wilson_low:Q", scale=_UNIT),
        y2="wilson_high:Q")
    points = alt.Chart(bins).mark_circle(color="#1f77b4", opacity=0.85).encode(
        x=alt.X("mean_forecast:Q", title="mean forecast in bin", scale=_UNIT, axis=_PERCENT),
        y=alt.Y("observed_frequency:Q", title="observed frequency of yes", scale=_UNIT,
                axis=_PERCENT),
        size=alt.Size("count:Q", title="forecasts", scale=alt.Scale(range=[40, 900]),
                      legend=count_legend()),
        tooltip=["bin", alt.Tooltip("count:Q", format="d"),
                 alt.Tooltip("mean_forecast:Q", format=".3f"),
                 alt.Tooltip("observed_frequency:Q", format=".3f"),
                 alt.Tooltip("wilson_low:Q", format=".3f"),
                 alt.Tooltip("wilson_high:Q", format=".3f")])
    layers = [diagonal, errors, points]
    if curve is not None and not curve.empty:
        layers.append(alt.Chart(curve).mark_line(color="#ff7f0e").encode(
            x="x:Q", y="y:Q", tooltip=[alt.Tooltip("x:Q", format=".3f", title="forecast"),
                                       alt.Tooltip("y:Q", format=".3f", title="recalibrated")]))
    return alt.layer(*layers).properties(height=420)


def sharpness_chart(sharpness: pd.DataFrame) -> alt.Chart:
    """How many forecasts gave each probability: a count axis of whole numbers."""
    return alt.Chart(sharpness).mark_bar(color="#7f7f7f").encode(
        x=alt.X("lower:Q", bin="binned", title="forecast probability", scale=_UNIT,
                axis=_PERCENT),
        x2="upper:Q", y=alt.Y("count:Q", title="forecasts", axis=count_axis()),
        tooltip=[alt.Tooltip("lower:Q", format=".0%"), alt.Tooltip("upper:Q", format=".0%"),
                 alt.Tooltip("count:Q", format="d")]).properties(height=180)


def over_time_chart(over: pd.DataFrame) -> alt.LayerChart:
    """The rolling Brier score and calibration-in-the-large by resolution date."""
    trend = alt.Chart(over).transform_fold(
        ["brier", "calibration_in_the_large"], as_=["measure", "value"]).mark_line(
        point=len(over) < 60).encode(
        x=alt.X("resolved_on:T", title="resolution date", scale=alt.Scale(type="utc"),
                axis=date_axis(over["resolved_on"])),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("measure:N", title=None, scale=alt.Scale(
            domain=["brier", "calibration_in_the_large"], range=["#1f77b4", "#d62728"])),
        tooltip=[alt.Tooltip("utcyearmonthdate(resolved_on):T", title="resolved on",
                             format=DATE_FORMAT), alt.Tooltip("n:Q", format="d"),
                 alt.Tooltip("brier:Q", format=".3f"),
                 alt.Tooltip("calibration_in_the_large:Q", format="+.3f")])
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#888").encode(y="y:Q")
    return (zero + trend).properties(height=260)
