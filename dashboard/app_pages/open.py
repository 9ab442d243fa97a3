"""Open / due / overdue: unresolved questions by resolve-by date; resolve overdue ones here."""

from __future__ import annotations

import ledger_ui as ui
import pandas as pd
import streamlit as st

from ledger.format.dates import today
from ledger.reports.views import OUTCOMES

st.title("Open / due / overdue")
ui.flash()
ui.require_ledger()

opts = ui.load("filter_options")
f1, f2, f3 = st.columns(3)
tag = f1.selectbox("Tag", opts["tags"], index=None, placeholder="any tag", key="open_tag")
forecaster = f2.selectbox("Forecaster", opts["forecasters"], index=None,
                          placeholder="any forecaster", key="open_forecaster")
source = f3.selectbox("Source", list(opts["sources"]), index=None, placeholder="any source",
                      format_func=lambda s: opts["sources"].get(s, s), key="open_source")

table = ui.load("unresolved_table", tag=tag, forecaster=forecaster, source=source,
                viewer=ui.viewer())
if table.empty:
    chosen = ui.filters_text(forecaster=forecaster, tag=tag, source=source)
    if not ui.has_questions():
        st.info(ui.NO_QUESTIONS)
    elif chosen:
        st.info(f"No open or overdue questions {chosen}. Clear a filter to see more, or add a "
                "question on the **Log / resolve** page.")
    else:
        st.info("No open or overdue questions: every question has resolved. Add one on the "
                "**Log / resolve** page.")
    st.stop()

n_overdue = int((table["status"] == "overdue").sum())
if n_overdue:
    st.error(f"{n_overdue} question{'s are' if n_overdue != 1 else ' is'} overdue: resolve "
             f"{'them' if n_overdue != 1 else 'it'} with the form below.",
             icon=":material/alarm:")


def _highlight(df):  # overdue rows stand out
    # One call for the whole table: a call per row costs pandas a Series each, seconds on
    # thousands of rows.
    styles = pd.DataFrame("", index=df.index, columns=df.columns)
    styles.loc[df["status"] == "overdue", :] = "background-color: #fde2e1; color: #8a1c1c"
    return styles


# Sized to fit the page's 840 px at a 1300 px window (sidebar open) with no sideways scroll:
# text wraps in the tall rows; days left, tags, source and the raw date stay in the CSV.
shown = ui.with_question_links(table).assign(
    due=table["resolve_by"] + " (" + table["when"] + ")")
st.dataframe(
    shown.style.apply(_highlight, axis=None), hide_index=True, width="stretch", key="open_table",
    row_height=ui.WRAPPING_ROW_HEIGHT, height=ui.table_height(len(shown)),
    column_order=["link", "status", "due", "question", "latest_forecasts"],
    column_config={
        "link": ui.question_link_column(width=130),
        "status": st.column_config.TextColumn("status", width=70),
        "due": st.column_config.TextColumn("resolve by", width=100,
                                           help="The resolve-by date, and days left or overdue"),
        "question": st.column_config.TextColumn("question", width=330),
        "latest_forecasts": st.column_config.TextColumn(
            "latest forecasts", width=190, help="Each forecaster's latest probability"),
    },
)
st.caption(f"{len(table)} questions, sorted by resolve-by date. Blind questions show others' "
           "probabilities only once you (sidebar: *You are*) have logged yours.")
ui.csv_download(table, "open-questions.csv")

overdue = table[table["status"] == "overdue"]
st.subheader("Resolve an overdue question")
if overdue.empty:
    st.caption("Nothing is overdue. Other questions can be resolved on the **Log / resolve** "
               "page.")
else:
    labels = dict(zip(overdue["id"], overdue["id"] + ": " + overdue["question"], strict=True))
    with st.form("resolve_overdue"):
        qid = st.selectbox("Question", list(labels), format_func=labels.get,
                           key="overdue_question")
        c1, c2 = st.columns(2)
        outcome = c1.selectbox("Outcome", OUTCOMES, key="overdue_outcome")
        resolved_on = c2.date_input("Resolved on", value=today(), max_value=today(),
                                    key="overdue_resolved_on", format="YYYY-MM-DD")
        evidence = st.text_input("Evidence link", placeholder="https://...",
                                 key="overdue_evidence")
        note = st.text_input("Note (optional)", key="overdue_note")
        resolved_by = st.text_input("Resolved by", value=ui.viewer() or "",
                                    key="overdue_resolved_by")
        if st.form_submit_button("Resolve", type="primary", key="overdue_submit"):
            from ledger.ingest import actions  # its validation models load only for a write

            ui.write(actions.resolve, qid, outcome, resolved_on=resolved_on,
                     evidence=evidence.strip() or None, note=note.strip() or None,
                     resolved_by=resolved_by.strip() or None, form_keys="overdue_",
                     done=lambda r: f"Resolved {ui.md(qid)} as {r['outcome']} "
                                    f"on {r['resolved_on']} (entry #{r['seq']}).")
