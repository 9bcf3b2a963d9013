"""Sustainable procurement dashboard: the router. Pages live in pages/, logic in sp_analysis/."""

import streamlit as st

from sp_analysis import ui

st.set_page_config(page_title="Sustainable procurement", page_icon=":material/eco:", layout="wide")

pages = {
    "Spend": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    ],
    "Data": [
        st.Page("pages/upload.py", title="Upload", icon=":material/upload_file:"),
    ],
}

navigation = st.navigation(pages)
with st.sidebar:
    st.caption(f"Workspace: `{ui.workspace().path.name}`")
navigation.run()
