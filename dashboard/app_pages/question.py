"""Question: criteria, source, forecast history, resolutions, ledger entries, edit flags; and
the forms that fix mistakes by adding entries (edit, withdraw, merge: ledger.ingest.fixes)."""

from __future__ import annotations

from datetime import date
from typing import Any

import altair as alt
import charts
import ledger_messages
import ledger_ui as ui
import streamlit as st

from ledger.errors import LedgerError
from ledger.ingest import fixes
from ledger.storage.store import Ledger

# The labels of this page's form fields, by the library's field names.
FIX_LABELS = {
    "fix_edit_": {"question": "Question", "criteria": "Resolution criteria",
                  "resolve_by": "Resolve by", "tags": "Tags", "reason": "Reason for the edit"},
    "fix_withdraw_": {"reason": "Reason for withdrawing", "forecaster": "You are (sidebar)"},
    "fix_merge_": {"reason": "Why they are the same question", "into": "Keep this question",
                   "duplicate": "This question"},
}


def _say(exc: LedgerError, prefix: str) -> str:
    """A refusal in this page's words: its field labels; the library's hint only when it names
    no CLI flag or command."""
    name = FIX_LABELS[prefix].get(exc.field or "") or (
        ledger_messages.label(exc.field) if exc.field else None)
    text = f"{name}: {exc.detail}" if name else exc.detail
    hint = exc.hint if exc.hint and "--" not in exc.hint and "`" not in exc.hint else ""
    return f"{text} ({hint})" if hint else text


def _fix(prefix: str, action: Any, *args: Any, done: Any, **kwargs: Any) -> None:
    """Call a fix; on success reset its form and rerun with ``done(result)`` shown, as
    :func:`ledger_ui.write` does, with refusals in this page's words."""
    try:
        result = action(Ledger(ui.ledger_path()), *args, **kwargs)
    except LedgerError as exc:
        st.error(ui.md(_say(exc, prefix)))
        return
    st.session_state[ui.FLASH_KEY] = done(result)
    ui.reset_form(prefix)
    ui.refresh_state()
    st.rerun()

st.title("Question")
ui.flash()
ui.require_ledger()

choices = ui.load("question_choices")
if not choices:
    st.info("The ledger has no questions yet. Add one on the **Log / resolve** page.")
    st.stop()

ids = list(choices)
wanted = st.query_params.get("id")
merged_from = None
if wanted is not None and wanted not in choices:
    # a merged duplicate's id shows the question kept; an unknown one is "not found"
    found = ui.load("question_lookup", qid=wanted)
    if found["id"] in choices:
        merged_from, wanted = wanted, found["id"]
        st.session_state["question_id"] = wanted
    else:
        near = found["suggestions"]
        st.error(ui.md(f"Question not found: no question {wanted!r} in the ledger"
                       + (f"; did you mean {' or '.join(repr(i) for i in near)}?" if near
                          else ".") + " Pick one below."), icon=":material/search_off:")
        wanted = near[0] if near else None
        if wanted is not None:
            st.session_state["question_id"] = wanted
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
if merged_from is not None and merged_from != q["id"]:
    st.info(f"{ui.md(merged_from)} was merged into this question.",
            icon=":material/merge:")
if q["edited_after_forecast"]:
    st.warning(f"This question was edited after forecasts were made ({len(q['versions'])} "
               "versions): forecasts made before the edit answered a different text. See the "
               "versions below.", icon=":material/edit_off:")
for m in q["moved_goalposts"]:
    st.warning(f"Moved goalposts: version {m['version']} moved the resolve-by date from "
               f"{m['from']} to {m['to']} after forecasts were made.",
               icon=":material/sports_score:")
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
                     "late", help="Made after the outcome was known: kept, never scored"),
                     "withdrawn": st.column_config.CheckboxColumn(
                         "withdrawn", help="Taken back by its forecaster: kept, never scored"),
                     "older_text": st.column_config.CheckboxColumn(
                         "older text", help="Made before an edit that changed what the "
                                            "question asks"),
                     "logged_on": "logged on"})
    for w in q["withdrawals"]:
        st.caption(ui.md(f"{w['forecaster']} withdrew forecast #{w['forecast']} "
                         f"({w['recorded']}): {w['reason']}"))
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
if q["merged"]:
    st.markdown("**Merged into this question**")
    for m in q["merged"]:
        st.caption(ui.md(f"{m['duplicate_id']} ({m['recorded']}): {m['reason']}"))

st.markdown("**Ledger entries**")
st.dataframe(q["entries"], hide_index=True, width="stretch",
             column_config={"hash": st.column_config.TextColumn("hash", width="large")})
st.caption("Each entry's hash is that of its block in the chain, covering the previous block's "
           "hash and the block's content (the entry alone, unless it came in a bulk import); "
           "`forecast-ledger verify` checks the whole chain.")

st.markdown("**Fix a mistake**")
st.caption("Every fix is a new entry: the earlier text, the withdrawn forecast and the "
           "duplicate stay in history.")
# Widget keys end with the question's id: values typed for one question are never saved on
# another, and a form's defaults are the current question's.
with st.expander("Edit the question"), st.form(f"fix_edit_form_{qid}"):
    new_text = st.text_input("Question", value=q["question"], key=f"fix_edit_question_{qid}")
    new_criteria = st.text_area("Resolution criteria", value=q["criteria"],
                                key=f"fix_edit_criteria_{qid}")
    new_by = st.date_input("Resolve by", value=q["resolve_by_date"],
                           key=f"fix_edit_resolve_by_{qid}")
    new_tags = st.text_input("Tags", value=", ".join(q["tags"]), key=f"fix_edit_tags_{qid}")
    clarification = st.checkbox(
        "Only a clarification (a wording fix, a date put right): forecasts made before it are "
        "not flagged", key=f"fix_edit_clarification_{qid}")
    reason = st.text_input("Reason for the edit", key=f"fix_edit_reason_{qid}")
    if st.form_submit_button("Save a new version", key=f"fix_edit_submit_{qid}"):
        _fix("fix_edit_", fixes.edit_question, qid, question=new_text, criteria=new_criteria,
             resolve_by=new_by if isinstance(new_by, date) else None,
             tags=ui.split_tags(new_tags), reason=reason, clarification=clarification,
             done=lambda r: f"Saved version {r['version']} of {r['id']} "
                            f"({', '.join(r['changed'])} changed).")

with st.expander("Withdraw your latest forecast"), st.form(f"fix_withdraw_form_{qid}"):
    me = ui.viewer()
    st.caption(f"Withdraws {ui.md(me)}'s latest forecast on this question: it stays in history "
               "and is never scored; the one before it stands again." if me else
               "Set *You are* in the sidebar first: only your own forecast can be withdrawn.")
    reason = st.text_input("Reason for withdrawing", key=f"fix_withdraw_reason_{qid}")
    if st.form_submit_button("Withdraw", key=f"fix_withdraw_submit_{qid}", disabled=me is None):
        _fix("fix_withdraw_", fixes.withdraw_forecast, qid, by=me or "", reason=reason,
             done=lambda r: f"Withdrew the forecast of {r['withdrawn']['made_on']} on "
                            f"{r['id']}.")

others = [i for i in ids if i != qid]
with st.expander("Merge this question into another (a duplicate)"), \
        st.form(f"fix_merge_form_{qid}"):
    into = st.selectbox("Keep this question", others, format_func=choices.get,
                        key=f"fix_merge_into_{qid}")
    reason = st.text_input("Why they are the same question", key=f"fix_merge_reason_{qid}")
    if st.form_submit_button("Merge", key=f"fix_merge_submit_{qid}", disabled=not others):
        _fix("fix_merge_", fixes.merge_questions, qid, into, reason=reason,
             done=lambda r: f"Merged {r['duplicate']} into {r['kept']}.")
