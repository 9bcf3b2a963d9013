"""Sustainable procurement dashboard: the router. Pages live in views/, logic in sp_analysis/."""

import duckdb
import streamlit as st

from sp_analysis import ui
from sp_analysis.ingest.source import sweep_stale_copies
from sp_analysis.workspace import WorkspaceError

# An emoji icon is drawn in the page itself; a ':material/...:' icon would be fetched from a font server.
st.set_page_config(page_title="Sustainable procurement", page_icon="🌿", layout="wide")


@st.cache_resource(show_spinner=False)
def _swept_stale_copies() -> int:
    """Once a process: remove the staging copies a killed load left in the temp folder."""
    return sweep_stale_copies()


_swept_stale_copies()

pages = {
    "Spend": [
        st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("views/impact_areas.py", title="Impact areas", icon=":material/eco:", url_path="impact-areas"),
        st.Page("views/suppliers.py", title="Suppliers", icon=":material/storefront:"),
        st.Page("views/contracts.py", title="Contracts", icon=":material/contract:", url_path="contracts"),
        st.Page("views/renewals.py", title="Renewals", icon=":material/event_repeat:", url_path="renewals"),
        st.Page("views/procurement_act.py", title="Procurement Act", icon=":material/gavel:",
                url_path="procurement-act"),
        st.Page("views/cabinet_pack.py", title="Cabinet pack", icon=":material/description:", url_path="cabinet-pack"),
    ],
    "Plan": [
        st.Page("views/framework.py", title="Flexible Framework", icon=":material/grid_view:", url_path="framework"),
        st.Page("views/action_plan.py", title="Action plan", icon=":material/checklist:", url_path="action-plan"),
    ],
    "Data": [
        st.Page("views/upload.py", title="Upload", icon=":material/upload_file:"),
        st.Page("views/classification.py", title="Classification", icon=":material/category:"),
        st.Page("views/settings.py", title="Settings", icon=":material/settings:"),
    ],
}

# Presentation mode: no sidebar or app chrome, charts at a fixed 16:9 size (1280 x 720) with large text, for
# clean screenshots and projectors; the column is as wide as the charts. The CSS is a constant of ours; no data
# goes through it.
PRESENTATION_CSS = """
<style>
section[data-testid="stSidebar"], header[data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stSidebarCollapsedControl"] { display: none !important; }
.block-container { padding: 1rem 2rem !important; max-width: calc(1280px + 4rem + 2px) !important; }
</style>
"""

# A figure's label is never cut short with '…': it wraps onto a second line in a narrow column. A constant of ours.
LABEL_CSS = """
<style>
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; height: auto !important;
}
</style>
"""

rules = ui.access()
if not rules.can_view(ui.signed_in()):
    # Sign-in is configured and this visitor has not signed in: no data, no pages.
    st.title("Sustainable procurement")
    st.write("Sign in to see the council's spend and contracts.")
    st.button("Sign in", type="primary", on_click=st.login, key="sign_in")
    st.stop()

try:
    ui.workspace().data_version()  # opens the file and reads from it: a file cut short fails here
except (WorkspaceError, duckdb.Error) as exc:
    # Held by the command line, or a damaged file: say which, and what to do, instead of a generic error.
    st.title("Sustainable procurement")
    st.error(ui.md(ui.workspace_problem(exc)))
    st.stop()

ui.keep_filters()  # the sidebar's filters follow the analyst from page to page
navigation = st.navigation(pages, position="hidden" if st.session_state.get("presentation_mode") else "sidebar")
st.markdown(LABEL_CSS, unsafe_allow_html=True)
if st.session_state.get("presentation_mode"):
    st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
    st.button("Leave presentation mode", key="leave_presentation",
              on_click=lambda: st.session_state.update(presentation_mode=False))
with st.sidebar:
    st.caption(f"Workspace: {ui.md(ui.workspace().path.name)}")
    # Whose data this is, by the rule in sp_analysis/ingest/council.py; a sample mixed with other files is said plainly.
    who = ui.council()
    if who.holding == "mixed":
        st.warning(f"This workspace mixes the fictional sample ({who.sample_files} files) with {who.other_files} other "
                   "file(s), so titles and source lines name no council. Remove the sample data on the Upload page.")
    elif who.holding == "sample":
        st.caption(f"Council: {ui.md(who.label)} (fictional sample). Remove the sample data on the Upload page "
                   "when you load your own files.")
    elif who.name:
        st.caption(f"Council: {ui.md(who.name)}")
    if rules.sign_in_required:
        st.caption(f"Signed in as {ui.md(st.user.get('email', ''))}" + ("" if ui.can_edit() else " (read only)"))
        st.button("Sign out", on_click=st.logout, key="sign_out")
    st.toggle("Presentation mode", key="presentation_mode",
              help="Hides the sidebar and the app's chrome and draws charts at 16:9 with large text, "
                   "for screenshots and projectors.")
    st.checkbox("Leave chart titles out of image downloads", key="downloads_without_title",
                help="For papers that set the chart title in their own text, as the Analysis Function advises.")
navigation.run()
