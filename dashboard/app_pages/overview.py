"""Overview: how many questions are open, due, overdue, resolved, annulled; scores; timeline."""

from __future__ import annotations

import charts
import ledger_ui as ui
import streamlit as st

st.title("Overview")
ui.flash()
ui.require_ledger()

data = ui.load("overview", due_days=30)
c = data["counts"]
if c["total"] == 0:
    st.info("The ledger has no questions yet. Add one on the **Log / resolve** page, or import "
            "forecast files with `forecast-ledger import forecasts/`.")
    st.stop()

cols = st.columns(5)
cols[0].metric("Open", c["open"], help="Unresolved and not past their resolve-by date")
cols[1].metric("Due within 30 days", c["due_soon"], help="Open questions due in 0 to 30 days")
cols[2].metric("Overdue", c["overdue"], help="Past their resolve-by date with no resolution")
cols[3].metric("Resolved", c["resolved"], help="Resolved yes or no")
cols[4].metric("Annulled", c["annulled"],
               help=f"Annulled (premise failed); {c['ambiguous']} more resolved ambiguous")

st.subheader("Scores")
score = ui.load("overall_scores")
if score is None:
    st.info("Scores appear once some questions resolve yes or no. Resolve a question on the "
            "**Log / resolve** page, or try `forecast-ledger demo` for a populated ledger.")
else:
    s1, s2, s3 = st.columns(3)
    s1.metric("Brier score", score["brier_text"],
              help="Mean squared error of the probabilities, 0 is perfect, always 50% scores "
                   "0.25; lower is better")
    s2.metric("Log score", score["log_text"],
              help="Mean negative log-likelihood (nats) of what happened; lower is better")
    s3.metric("Scored forecasts (n)", score["n"],
              help="Each forecaster's final forecast on each question resolved yes or no")

st.subheader("Next resolutions")
timeline = data["timeline"]
if timeline.empty:
    st.info("No open questions: everything has resolved. Add a new question on the "
            "**Log / resolve** page.")
else:
    st.altair_chart(charts.timeline_chart(timeline, data["today"]), width="stretch")
    st.caption("The most overdue questions (red, left of the dashed line: today), then the "
               "next ones due. Resolve them on **Open / due / overdue**.")
