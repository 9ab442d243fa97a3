"""Question: criteria, source, forecast history, resolutions, ledger entries, edit flag."""

from __future__ import annotations

import altair as alt
import charts
import ledger_ui as ui
import streamlit as st

st.title("Question")
ui.flash()
ui.require_ledger()

choices = ui.load("question_choices")
if not choices:
    st.info("The ledger has no questions yet. Add one on the **Log / resolve** page.")
    st.stop()

ids = list(choices)
wanted = st.query_params.get("id")
if "question_id" not in st.session_state or st.session_state["question_id"] not in choices:
    st.session_state["question_id"] = wanted if wanted in choices else ids[0]
qid = st.selectbox("Question", ids, format_func=choices.get, key="question_id")
st.query_params["id"] = qid

q = ui.load("question_view", qid=qid, viewer=ui.viewer())

st.subheader(ui.md(q["question"]))
status = f"resolved {q['outcome']}" if q["status"] == "resolved" else q["status"]
facts = [f"**id** `{q['id']}`", f"**status** {status}" + (f" ({q['when']})" if q["when"] else ""),
         f"**opened** {q['opened']}", f"**resolve by** {q['resolve_by']}"]
if q["tags"]:
    facts.append("**tags** " + ", ".join(ui.md(t) for t in q["tags"]))
st.markdown(" · ".join(facts))
if q["edited_after_forecast"]:
    st.warning(f"This question was edited after forecasts were made ({len(q['versions'])} "
               "versions): forecasts made before the edit answered a different text. See the "
               "versions below.", icon=":material/edit_off:")
if q["blind"]:
    st.info("Blind question: others' forecasts stay hidden until you (sidebar: *You are*) log "
            "yours." + (" They are hidden now." if q["hidden"] else ""),
            icon=":material/visibility_off:")

st.markdown("**Criteria**")
st.text(q["criteria"])
if q["horizon"] or q["resolve_by_rule"]:
    st.caption("Horizon as written: " + ui.md(q["horizon"] or "none")
               + (f"; resolve-by rule: {ui.md(q['resolve_by_rule'])}"
                  if q["resolve_by_rule"] else ""))
if q["reference"]:
    st.caption(f"Reference forecast: {ui.md(q['reference'])}")

src = q["source"]
if src or q["quote"]:
    st.markdown("**Source**")
    if src:
        byline = ", ".join(x for x in (src.get("author"), src.get("publisher")) if x)
        st.text(src["title"] + (f" ({byline})" if byline else "")
                + (f", {src['published']}" if src["published"] else ""))
    if q["quote"]:
        st.text(f"“{q['quote']}”")
    if src and src["url"]:
        st.link_button("Open the source", src["url"], icon=":material/open_in_new:")

st.markdown("**Forecast history**")
fc = q["forecasts"]
if fc.empty:
    st.caption("No forecasts visible yet" + (" (blind question: log yours first)."
                                             if q["hidden"] else "."))
else:
    chart = alt.Chart(fc).mark_line(interpolate="step-after", point=True).encode(
        x=alt.X("made_at:T", title="made at", axis=charts.time_axis()),  # 24-hour clock
        y=alt.Y("probability:Q", title="probability of yes",
                scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("forecaster:N", title="forecaster"),
        tooltip=["forecaster", "shown", "made", "late", "rationale"],
    ).properties(height=280)
    st.altair_chart(chart, width="stretch")
    st.dataframe(fc.drop(columns=["made_at", "probability"]), hide_index=True, width="stretch",
                 column_config={"shown": "probability", "late": st.column_config.CheckboxColumn(
                     "late", help="Made after the outcome was known: kept, never scored")})
    ui.csv_download(fc.drop(columns=["made_at"]), f"{q['id']}-forecasts.csv")

st.markdown("**Resolution history**")
if q["resolutions"].empty:
    st.caption("Not resolved yet. Resolve it on the **Log / resolve** page.")
else:
    st.dataframe(q["resolutions"], hide_index=True, width="stretch", column_config={
        "evidence": st.column_config.LinkColumn("evidence"),
        "resolved_on": "resolved on"})
    if theirs := ui.load("platform_comparison", qid=qid):  # e.g. Fatebook's own Brier score
        from ledger.reports.platform_scores import comparison_text

        st.caption(ui.md(comparison_text(theirs)))

if len(q["versions"]) > 1:
    st.markdown("**Versions**")
    st.dataframe(q["versions"], hide_index=True, width="stretch")

st.markdown("**Ledger entries**")
st.dataframe(q["entries"], hide_index=True, width="stretch",
             column_config={"hash": st.column_config.TextColumn("hash", width="large")})
st.caption("Each entry's hash is that of its block in the chain, covering the previous block's "
           "hash and the block's content (the entry alone, unless it came in a bulk import); "
           "`forecast-ledger verify` checks the whole chain.")
