"""The dashboard's pages, run by the router in ../streamlit_app.py (each is a script)."""
