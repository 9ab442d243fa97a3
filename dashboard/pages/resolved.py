import streamlit as st

st.title("resolved")
