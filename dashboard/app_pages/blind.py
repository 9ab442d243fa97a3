"""Blind forecasting: others' probabilities stay hidden until you have logged your own."""

from __future__ import annotations

import ledger_ui as ui
import streamlit as st

from ledger.format.probability import format_probability
from ledger.ingest import actions

st.title("Blind forecasting")
ui.flash()
ui.require_ledger()

me = ui.viewer()
st.caption("On a blind question you see other forecasters' probabilities only after you have "
           "logged your own, so they cannot anchor you.")
if not me:
    st.warning("Enter your name under **You are** in the sidebar: until then every blind "
               "question hides everyone's probabilities.", icon=":material/person:")

table = ui.load("blind_table", viewer=me)
if table.empty:
    st.info("No open blind questions. Mark a question *blind* when you add it on the "
            "**Log / resolve** page (or `blind: true` in a forecast file).")
    st.stop()

st.dataframe(
    table, hide_index=True, width="stretch", key="blind_table",
    column_order=["id", "your_forecast", "others", "revealed", "when", "resolve_by", "question"],
    column_config={
        "question": st.column_config.TextColumn("question", width="large"),
        "resolve_by": "resolve by",
        "your_forecast": "your forecast",
        "others": st.column_config.TextColumn("others' latest forecasts", width="large"),
        "revealed": st.column_config.CheckboxColumn("revealed"),
    },
)
ui.csv_download(table, "blind-questions.csv")

st.subheader("Log your forecast")
if not me:
    st.caption("Enter your name in the sidebar first.")
    st.stop()
labels = dict(zip(table["id"], table["id"] + ": " + table["question"], strict=True))
pending = [qid for qid, shown in zip(table["id"], table["revealed"], strict=True) if not shown]
with st.form("blind_forecast"):
    qid = st.selectbox("Question", pending or list(labels), format_func=labels.get,
                       key="blind_question")
    probability = st.text_input("Your probability of yes", placeholder='0.7, "70%", "3:1"',
                                key="blind_probability")
    rationale = st.text_input("Rationale (optional)", key="blind_rationale")
    if st.form_submit_button(f"Log as {me}", type="primary", key="blind_submit"):
        ui.write(actions.add_forecast, qid, probability.strip(), forecaster=me,
                 rationale=rationale.strip() or None, form_keys="blind_",
                 done=lambda r: f"Logged {ui.md(me)}'s forecast of "
                                f"{ui.md(format_probability(r['probability']))} on "
                                f"{ui.md(qid)}: others' forecasts are now shown.")
