"""The forecast-ledger dashboard: a Streamlit app served by `forecast-ledger dashboard`."""
