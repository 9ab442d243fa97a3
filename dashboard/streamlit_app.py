"""forecast-ledger dashboard: the router. Pages live in dashboard/app_pages/ (not pages/: a
folder named pages/ next to the main script switches Streamlit to its legacy multipage mode,
which runs page files without this router, e.g. under AppTest.switch_page).

Run it with ``forecast-ledger dashboard`` (or ``streamlit run dashboard/streamlit_app.py``);
the ledger file comes from env FORECAST_LEDGER_DB (default ``ledger.duckdb`` here).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import ledger_ui as ui  # noqa: E402

st.set_page_config(page_title="forecast-ledger", page_icon=":material/query_stats:",
                   layout="wide")

state = ui.refresh_state()
if ui.VIEWER_KEY not in st.session_state:
    st.session_state[ui.VIEWER_KEY] = os.environ.get("FORECAST_LEDGER_FORECASTER", "")

PAGES = [
    st.Page(HERE / "app_pages" / "overview.py", title="Overview", icon=":material/dashboard:",
            default=True),
    st.Page(HERE / "app_pages" / "open.py", title="Open / due / overdue",
            icon=":material/event_upcoming:"),
    st.Page(HERE / "app_pages" / "resolved.py", title="Resolved and scored",
            icon=":material/task_alt:"),
    st.Page(HERE / "app_pages" / "calibration.py", title="Calibration",
            icon=":material/insights:"),
    st.Page(HERE / "app_pages" / "question.py", title="Question", icon=":material/help:"),
    st.Page(HERE / "app_pages" / "blind.py", title="Blind forecasting",
            icon=":material/visibility_off:"),
    st.Page(HERE / "app_pages" / "log.py", title="Log / resolve", icon=":material/edit_note:"),
    st.Page(HERE / "app_pages" / "draft.py", title="Draft", icon=":material/article:"),
]
page = st.navigation(PAGES)

with st.sidebar:
    if state["demo"]:
        st.error("**SYNTHETIC DEMO DATA**: made-up questions, forecasters and outcomes.",
                 icon=":material/science:")
    st.caption("Ledger file", help=state["path"])
    st.code(ui.display_path(state["path"]), language=None, wrap_lines=True)
    if not state["exists"]:
        st.caption("(not created yet)")
    elif state["seq"] >= 0:
        st.caption(f"{state['seq']} ledger entries")
    if ui.team_url():  # who you are comes from the connection, not from a box
        st.caption("Team ledger", help="A PostgreSQL server; this page reads a local replica.")
        st.markdown(f"You are **{ui.md(ui.viewer() or '?')}** (your database role)")
    else:
        st.text_input("You are", key=ui.VIEWER_KEY,
                      help="Your forecaster name: used by the forms and to reveal blind "
                           "questions once you have logged your own forecast "
                           "(env FORECAST_LEDGER_FORECASTER).")

if state["demo"]:
    st.warning("**SYNTHETIC DEMO DATA**: this ledger was built by `forecast-ledger demo`; "
               "nothing in it is real.", icon=":material/science:")

page.run()
