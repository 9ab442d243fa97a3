"""Log / resolve: add a question, add or update a forecast, resolve or correct a resolution."""

from __future__ import annotations

from datetime import timedelta

import ledger_ui as ui
import streamlit as st
from ledger_messages import ADD_ANYWAY

from ledger.format.dates import today
from ledger.format.models import OUTCOMES
from ledger.format.probability import format_probability
from ledger.ingest import actions
from ledger.ingest.actions import slugify

st.title("Log / resolve")
ui.flash()
state = ui.current()
if state.get("error"):
    ui.require_ledger()
me = ui.viewer() or ""
has_ledger = state["exists"]
if not has_ledger:
    st.info(f"No ledger at `{state['path']}` yet: adding a first question below creates it. "
            "To start from forecast files instead, run `forecast-ledger import forecasts/`.")

opts = ui.load("filter_options") if has_ledger else {"sources": {}}
choices = ui.load("question_choices") if has_ledger else {}

tab_q, tab_f, tab_r = st.tabs(["Add a question", "Add or update a forecast",
                               "Resolve or correct"])

with tab_q, st.form("add_question"):
    text = st.text_area("Question", placeholder="Will X happen by 2027-05-21?",
                        key="add_text", height=80)
    criteria = st.text_area("Resolution criteria (default: the question itself)",
                            placeholder="Yes if ... No otherwise.", key="add_criteria",
                            height=100)
    c1, c2 = st.columns(2)
    resolve_by = c1.date_input("Resolve by", value=today() + timedelta(days=90),
                               key="add_resolve_by", format="YYYY-MM-DD")
    tags = c2.text_input("Tags (comma separated)", key="add_tags")
    c3, c4 = st.columns(2)
    source = c3.selectbox("Source", list(opts["sources"]), index=None, placeholder="none",
                          format_func=lambda s: opts["sources"].get(s, s), key="add_source")
    qid = c4.text_input("Id (optional)", placeholder="made from the question",
                        key="add_id")
    blind = st.checkbox("Blind: hide others' forecasts until each forecaster logs theirs",
                        key="add_blind")
    c5, c6 = st.columns(2)
    probability = c5.text_input("Your first forecast (optional)",
                                placeholder='0.7, "70%", "3:1" or "1 in 5"', key="add_probability")
    forecaster = c6.text_input("Forecaster", value=me, key="add_forecaster")
    rationale = st.text_input("Rationale (optional)", key="add_rationale")
    # Refused by default: the ledger is append-only, so a duplicate could never be taken back.
    allow_similar = st.checkbox(ADD_ANYWAY.strip("“”"), key="add_allow_similar",
                                help="A question whose text is the same or nearly the same as "
                                     "one in the ledger is refused unless this is ticked.")
    if st.form_submit_button("Add question", type="primary", key="add_submit"):
        ui.write(actions.add_question, text.strip(), resolve_by=resolve_by,
                 forecaster=forecaster.strip(), probability=probability.strip() or None,
                 criteria=criteria.strip() or None, tags=ui.split_tags(tags), source=source,
                 qid=qid.strip() or None, blind=blind, rationale=rationale.strip() or None,
                 allow_similar=allow_similar, form_keys="add_",
                 done=lambda new_id: f"Added question {ui.md(new_id)}"
                                     + (f" (the id {ui.md(slugify(text.strip()))} was taken)."
                                        if not qid.strip() and new_id != slugify(text.strip())
                                        else "."))

with tab_f:
    if not choices:
        st.info("Add a question first.")
    else:
        with st.form("add_forecast"):
            fq = st.selectbox("Question", list(choices), format_func=choices.get,
                              key="fc_question")
            c1, c2 = st.columns(2)
            fp = c1.text_input("Probability of yes", placeholder='0.7, "70%", "3:1" or "1 in 5"',
                               key="fc_probability")
            fwho = c2.text_input("Forecaster", value=me, key="fc_forecaster")
            fat = st.text_input("Made at (optional, default now)",
                                placeholder="2026-05-21 or 2026-05-21T18:30:00-07:00",
                                key="fc_made_at")
            frat = st.text_input("Rationale (optional)", key="fc_rationale")
            if st.form_submit_button("Log forecast", type="primary", key="fc_submit"):
                ui.write(actions.add_forecast, fq, fp.strip(), forecaster=fwho.strip(),
                         made_at=fat.strip() or None, rationale=frat.strip() or None,
                         form_keys="fc_",
                         done=lambda r: f"Logged {ui.md(format_probability(r['probability']))}"
                                        f" on {ui.md(fq)} (entry #{r['seq']})."
                                        + (" It came after the question resolved, so it is "
                                           "kept but never scored." if r["late"] else ""))

with tab_r:
    if not choices:
        st.info("Add a question first.")
    else:
        with st.form("resolve"):
            rq = st.selectbox("Question", list(choices), format_func=choices.get,
                              key="res_question")
            c1, c2 = st.columns(2)
            outcome = c1.selectbox("Outcome", OUTCOMES, key="res_outcome")
            resolved_on = c2.date_input("Resolved on", value=today(), key="res_resolved_on",
                                        format="YYYY-MM-DD")
            evidence = st.text_input("Evidence link", placeholder="https://...",
                                     key="res_evidence")
            note = st.text_input("Note (optional)", key="res_note")
            resolved_by = st.text_input("Resolved by", value=me, key="res_resolved_by")
            correct = st.checkbox("This corrects the current resolution", key="res_correct")
            reason = st.text_input("Reason for the correction", key="res_reason")
            if st.form_submit_button("Resolve", type="primary", key="res_submit"):
                ui.write(actions.resolve, rq, outcome, resolved_on=resolved_on,
                         evidence=evidence.strip() or None, note=note.strip() or None,
                         resolved_by=resolved_by.strip() or None, correct=correct,
                         reason=reason.strip() or None, form_keys="res_",
                         done=lambda r: f"{'Corrected' if r['supersedes'] else 'Resolved'} "
                                        f"{ui.md(rq)}: {r['outcome']} on {r['resolved_on']} "
                                        f"(entry #{r['seq']}).")

from app_pages.upload import platform_upload  # noqa: E402

platform_upload()  # Bring your history: another platform's export (app_pages/upload.py)
