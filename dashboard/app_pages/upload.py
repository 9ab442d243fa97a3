"""The Log page's "Bring your history" section: upload another platform's export, preview the
import (a dry run: the same summary as ``forecast-ledger import --from ... --dry-run``), then
import it. A function, called from log.py, so the section runs on every rerun of that page."""

from __future__ import annotations

import tempfile
from pathlib import Path

import ledger_ui as ui
import streamlit as st

from ledger.errors import LedgerError
from ledger.ingest.platforms import PLATFORM_TITLES, PLATFORMS
from ledger.ingest.platforms.common import import_platform
from ledger.storage.store import Ledger

HELP = {
    "fatebook": "The CSV from Fatebook's *Export all your forecasts*.",
    "predictionbook": "questions.csv and public.csv, as niplav/iqisa normalises PredictionBook.",
    "gjp": "ifps.csv (the questions) with the survey forecast files.",
    "metaculus": "The JSON Metaculus' API returns for posts with your forecasts (binary "
                 "questions); they are logged under your name (sidebar: *You are*).",
}


def platform_upload() -> None:
    st.divider()
    st.subheader("Bring your history: import from another platform")
    platform = st.selectbox("Platform", PLATFORMS, format_func=PLATFORM_TITLES.get,
                            key="up_platform")
    st.caption(HELP[platform] + " All or nothing; importing the same export again adds nothing.")
    files = st.file_uploader("Export files", accept_multiple_files=True, key="up_files",
                             type=["csv", "json"])
    if not files:
        return
    me = ui.viewer()
    if platform == "metaculus" and not me:
        st.warning("Metaculus' export does not say whose forecasts they are: enter your name "
                   "in the sidebar (*You are*) first.")
        return
    with tempfile.TemporaryDirectory() as tmp:
        # Saved under their own names: the source each import records is named after its file.
        paths = []
        for f in files:
            path = Path(tmp) / Path(f.name).name
            path.write_bytes(f.getvalue())
            paths.append(path)
        ledger = Ledger(ui.ledger_path())
        try:
            preview = import_platform(ledger, platform, paths, forecaster=me or "me",
                                      dry_run=True)
        except LedgerError as exc:
            # Messages name the files as uploaded, not the scratch folder they were saved in.
            st.error(ui.md(str(exc).replace(f"{tmp}/", "")))
            return
        st.markdown("**Preview** (nothing written yet)")
        st.code(preview.summary(), language=None)
        if preview.result.changes and st.button("Import", type="primary", key="up_import"):
            ui.write(import_platform, platform, paths, forecaster=me or "me", form_keys="up_",
                     done=lambda r: ui.md(r.summary()).replace("\n", "  \n"))
