"""Resolved and scored: outcomes, evidence, each forecaster's scored forecast and its scores."""

from __future__ import annotations

import ledger_ui as ui
import streamlit as st

from ledger.reports.views import score_text

#: The most rows the table shows (the CSV holds them all).
TABLE_ROWS = 5_000

st.title("Resolved and scored")
ui.flash()
ui.require_ledger()

opts = ui.load("filter_options")
f1, f2, f3, f4 = st.columns([3, 3, 3, 2])
forecaster = f1.selectbox("Forecaster", opts["forecasters"], index=None,
                          placeholder="any forecaster", key="res_forecaster")
tag = f2.selectbox("Tag", opts["tags"], index=None, placeholder="any tag", key="res_tag")
source = f3.selectbox("Source", list(opts["sources"]), index=None, placeholder="any source",
                      format_func=lambda s: opts["sources"].get(s, s), key="res_source")
mode = f4.selectbox("Forecast scored", ["final", "first"], key="res_mode",
                    help="final: each forecaster's last forecast before the outcome was known; "
                         "first: their first one")

chosen = {"forecaster": forecaster, "tag": tag, "source": source, "mode": mode}
view = ui.load("resolved_view", **chosen, rows=TABLE_ROWS)
table = view["table"]
if table.empty:
    said = ui.filters_text(forecaster=forecaster, tag=tag, source=source)
    if not ui.has_questions():
        st.info(ui.NO_QUESTIONS)
    elif said:
        st.info(f"No resolved questions {said}. Clear a filter to see more.")
    else:
        st.info("No resolved questions yet. Resolve one on the **Log / resolve** page or the "
                "**Open / due / overdue** page, or try `forecast-ledger demo` for a populated "
                "ledger.")
    st.stop()

overall = view["overall"]
m = st.columns(5)
m[0].metric("Resolved yes/no", view["n_resolved"])
m[1].metric("Ambiguous or annulled", view["n_unscored"], help="Never scored")
m[2].metric("Scored forecasts (n)", overall["n"],
            help="Forecaster-question pairs scored")
m[3].metric("Brier score", score_text(overall["brier"]),
            help="Mean of (p - outcome)^2: 0 is perfect, always 50% scores 0.25; lower is better")
m[4].metric("Log score", score_text(overall["log_score"]),
            help="Mean of -ln(probability given to what happened), in nats; lower is better")

if not view["by_forecaster"].empty:
    st.markdown("**By forecaster**")
    st.dataframe(view["by_forecaster"], hide_index=True, width="stretch",
                 key="res_by_forecaster", column_config={
                     "n": st.column_config.NumberColumn("n", help="Questions scored"),
                     "brier": st.column_config.NumberColumn("Brier", format="%.3f"),
                     "log_score": st.column_config.NumberColumn("log score", format="%.3f"),
                     "brier_skill": st.column_config.NumberColumn(
                         "Brier skill", format="%.3f",
                         help="1 - Brier / Brier of always forecasting the base rate; "
                              "higher is better"),
                     "relative": st.column_config.NumberColumn(
                         "relative", format="%+.3f",
                         help="Brier minus the median of the others' on shared questions; "
                              "negative is better")})

st.markdown("**Resolved questions and scored forecasts**")
# Sized to fit the page's 840 px at a 1300 px window (sidebar open) with no sideways scroll:
# text wraps in the tall rows; when each forecast was made stays in the CSV. A table of
# millions of rows takes seconds to build and send, and nobody scrolls it: the page shows the
# most recent rows, the filters narrow it, and the CSV (built when clicked) holds every row.
shown = ui.with_question_links(table).assign(
    forecast=(table["forecaster"] + " " + table["probability"]).str.strip())
st.dataframe(shown, hide_index=True, width="stretch", key="res_table",
             row_height=ui.WRAPPING_ROW_HEIGHT, height=ui.table_height(len(shown)),
             column_order=["resolved_on", "link", "outcome", "forecast", "brier", "log_score",
                           "evidence", "question"], column_config={
    "link": ui.question_link_column(width=110),
    "resolved_on": st.column_config.TextColumn("resolved on", width=85),
    "outcome": st.column_config.TextColumn("outcome", width=70),
    "forecast": st.column_config.TextColumn("scored forecast", width=110,
                                            help="Whose forecast was scored, and its probability"),
    "brier": st.column_config.NumberColumn("Brier", format="%.3f", width=55),
    "log_score": st.column_config.NumberColumn("log", format="%.3f", width=55,
                                               help="Log score, in nats"),
    "evidence": st.column_config.LinkColumn("evidence", display_text="link", width=60),
    "question": st.column_config.TextColumn("question", width=290),
})
if view["n_rows"] > len(table):
    st.caption(f"Showing the {len(table):,} most recent of {view['n_rows']:,} rows: choose a "
               "forecaster, tag or source above to narrow them, or download the CSV for all.")
st.caption("Most recent resolution first. Ambiguous and annulled questions, and forecasts made "
           "after the outcome was known, are never scored.")
whole = ui.deferred("resolved_view", **chosen)
ui.csv_download(lambda: whole()["table"], "resolved-and-scored.csv")
