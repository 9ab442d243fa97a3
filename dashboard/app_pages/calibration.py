"""Calibration: reliability diagram, sharpness, Murphy / CORP decompositions, bins, over time."""

from __future__ import annotations

import charts
import ledger_ui as ui
import streamlit as st

from ledger.reports.views import CORP_NOTES, MURPHY_NOTES, score_text

st.title("Calibration")
ui.flash()
ui.require_ledger()

opts = ui.load("filter_options")
f1, f2, f3, f4, f5 = st.columns([4, 2, 3, 2, 2])
forecasters = f1.multiselect("Forecasters", opts["forecasters"], placeholder="everyone",
                             key="cal_forecasters")
tag = f2.selectbox("Tag", opts["tags"], index=None, placeholder="any tag", key="cal_tag")
source = f3.selectbox("Source", list(opts["sources"]), index=None, placeholder="any source",
                      format_func=lambda s: opts["sources"].get(s, s), key="cal_source")
since = f4.date_input("Resolved from", value=None, format="YYYY-MM-DD", key="cal_since")
until = f5.date_input("Resolved until", value=None, format="YYYY-MM-DD", key="cal_until")
o1, o2, o3, o4, o5 = st.columns([3, 3, 2, 2, 2])
n_bins = o1.slider("Bins", min_value=2, max_value=20, value=10, key="cal_bins")
strategy = o2.selectbox(
    "Binning", ["uniform", "quantile", "corp"], key="cal_strategy",
    format_func={"uniform": "uniform (equal width)", "quantile": "quantile (equal counts)",
                 "corp": "CORP blocks (isotonic, no bins to choose)"}.get)
mode = o3.selectbox("Forecast scored", ["final", "first", "time-averaged"], key="cal_mode")
window = o4.number_input("Rolling window", min_value=5, max_value=5000, value=50, step=5,
                         key="cal_window", help="Forecasts per point of the chart over time")
show_corp = o5.toggle("CORP curve", value=False, key="cal_corp",
                      help="Draw the isotonic (PAV) recalibration curve of CORP")

filters = {"forecaster": tuple(forecasters) or None, "tag": tag, "source": source,
           "since": since, "until": until, "mode": mode}
view = ui.load("calibration_view", n_bins=n_bins, strategy=strategy, window=int(window),
               **filters)
if view["n"] == 0:
    chosen = ui.filters_text(**{k: v for k, v in filters.items() if k != "mode"})
    if not ui.has_questions():
        st.info(ui.NO_QUESTIONS)
    elif chosen:
        st.info(f"No scored forecasts match these filters ({chosen}): only forecasts on "
                "questions resolved yes or no are scored. Widen them.")
    else:
        st.info("Calibration appears once some questions resolve yes or no. Resolve questions "
                "on the **Log / resolve** page, or try `forecast-ledger demo` for a populated "
                "synthetic ledger.")
    st.stop()

m = st.columns(4)
m[0].metric("Scored forecasts (n)", view["n"], help="Forecaster-question pairs")
m[1].metric("Questions", view["n_questions"])
m[2].metric("Bins shown", len(view["bins"]), help="Empty bins are not shown")
m[3].metric("Brier score", score_text(view["brier"]))

bins = view["bins"]
st.subheader("Reliability diagram")
st.altair_chart(charts.reliability_chart(bins, view["curve"] if show_corp else None),
                width="stretch")
st.caption("Each point is a bin: its mean forecast against how often yes happened, sized by "
           "the number of forecasts, with its 95% Wilson interval. Points on the dashed "
           "diagonal are calibrated" + ("; the orange line is the CORP isotonic "
                                        "recalibration." if show_corp else "."))
rule = ("CORP blocks are closed intervals [a, b] of the distinct forecasts PAV pooled."
        if strategy == "corp" else
        "Bins are half-open [a, b); the last bin is closed [a, b].")
st.caption(f"{rule} Bins shown: " + ", ".join(bins["bin"]))

st.subheader("Sharpness")
st.altair_chart(charts.sharpness_chart(view["sharpness"]), width="stretch")
st.caption("How often each probability was given: forecasts far from 50% are sharp.")

st.subheader("Decomposition of the Brier score")
d1, d2 = st.columns(2)
murphy, corp = view["murphy"], view["corp"]
with d1:
    st.markdown(f"**Murphy** ({murphy['strategy']} bins, {murphy['n_bins']} non-empty)")
    for key, note in MURPHY_NOTES.items():
        st.markdown(f"**{key.replace('_', ' ')}** `{murphy[key]:.4f}`: {note}")
with d2:
    st.markdown("**CORP** (isotonic recalibration)")
    for key, note in CORP_NOTES.items():
        st.markdown(f"**{key.upper()}** `{corp[key]:.4f}`: {note}")

st.subheader("Bins")
st.dataframe(bins.drop(columns=["lower", "upper", "closed"]), hide_index=True,
             width="stretch", key="cal_bins_table", column_config={
                 "mean_forecast": st.column_config.NumberColumn("mean forecast", format="%.3f"),
                 "observed_frequency": st.column_config.NumberColumn("observed", format="%.3f"),
                 "wilson_low": st.column_config.NumberColumn("Wilson low", format="%.3f"),
                 "wilson_high": st.column_config.NumberColumn("Wilson high", format="%.3f")})
ui.csv_download(bins, "calibration-bins.csv", label="Download bins (CSV)")

labels = list(bins["bin"])
chosen = st.selectbox("Forecasts in bin", labels, index=None, placeholder="choose a bin",
                      key="cal_bin")
if chosen is not None:
    row = bins.iloc[labels.index(chosen)]
    inside = ui.load("forecasts_in_bin", lower=float(row["lower"]), upper=float(row["upper"]),
                     closed=bool(row["closed"]), **filters)
    st.dataframe(inside, hide_index=True, width="stretch", key="cal_bin_table",
                 column_config={"question": st.column_config.TextColumn("question",
                                                                        width="large")})
    st.caption(f"{len(inside)} forecasts in {chosen}.")
    ui.csv_download(inside, "calibration-bin-forecasts.csv")

st.subheader("Calibration and Brier score over time")
over = view["over_time"]
if over.empty:
    st.caption("Appears once forecasts resolve on different days.")
else:
    st.altair_chart(charts.over_time_chart(over), width="stretch")
    st.caption(f"Rolling over the last {view['window']} scored forecasts at each resolution "
               "date. Brier: lower is better. Calibration-in-the-large: mean forecast minus "
               "how often yes happened (0 is calibrated; above 0, yes was over-forecast).")
