"""Overview: where the money goes by value band and impact, the plan's two short-term targets at a glance."""

import streamlit as st

from sp_analysis import sample, ui
from sp_analysis.definitions import IMPACT_GROUPS
from sp_analysis.ingest import council
from sp_analysis.output import chart_words, charts
from sp_analysis.spend import classify, provenance, queries
from sp_analysis.spend.filters import SpendFilters
from sp_analysis.words import count_of, pounds

st.title("Overview")

if ui.query(council.is_blank):
    # First run: nothing loaded and no council named. Explore the sample, or start the council's own workspace.
    st.write("This workspace is empty. Explore the fictional sample council to see what the dashboard does, or "
             "start your council's own workspace and load its files.")
    if not ui.editors_only("set up the workspace"):
        st.stop()
    own, sample_side = st.columns(2)
    with own.container(border=True):
        st.subheader("Start my council's workspace")
        st.write("An empty workspace with your council's name on every title page, chart source line and download. "
                 "Next, load your published spend files and contracts register on the Upload page.")
        with st.form("start_council_form"):
            name = st.text_input("Your council's name", placeholder="e.g. Devon County Council", key="start_council_name")
            start = st.form_submit_button("Start my council's workspace", type="primary", key="start_council")
        if start:
            try:
                council.start_workspace(ui.workspace(), name)
            except ValueError as exc:
                st.error(ui.md(str(exc)[:1].upper() + str(exc)[1:] + "."))
            else:
                st.switch_page("views/upload.py")
    with sample_side.container(border=True):
        st.subheader("Explore the sample")
        st.write(f"{council.SAMPLE_COUNCIL}, a fictional council: monthly spend from April 2024 to September "
                 "2026 (79,111 payments), a contracts register of 421 contracts, a supplier list and a 2010 action plan. Every "
                 "name is made up. Remove it in one step on the Upload page when you load your own files.")
        if st.button("Explore the sample council", key="explore_sample"):
            with st.spinner("Loading the sample council's 33 files (a few seconds)..."):
                sample.build_sample_workspace(ui.workspace())
            st.rerun()
    st.stop()

filters = ui.sidebar_filters()
style = ui.chart_style()
head = ui.query(queries.headline, filters)
if ui.query(queries.headline, SpendFilters()).payments == 0:
    st.info("The workspace holds no spend yet. Load your council's spend files on the Upload page.")
    st.page_link("views/upload.py", label="Go to Upload", icon=":material/upload_file:")
    st.stop()
if head.payments == 0:
    st.warning(f"No payments match the filters ({ui.md(filters.describe())}). Clear some filters in the sidebar.")
    st.stop()

view = ui.spend_source(filters)
period = view.period
st.caption(f"Showing {ui.md(filters.describe())}: {count_of(head.payments, 'payment')}, {period}.")


def share(value: float | None) -> str:
    return "" if value is None else f"{value:.1%} of influenceable"


# Every impact figure leaves out spend not yet classified: its coverage stands beside each one.
coverage = ui.query(classify.coverage_beside, filters, head)
beside = f" Classification coverage of the spend in view: {coverage}. {queries.DEFINITIONS['coverage']}"
cols = st.columns(5)
cols[0].metric("Total net spend", style.money(head.total), help=f"{pounds(head.total)}. "
               + queries.DEFINITIONS["total"])
cols[1].metric("Influenceable spend", style.money(head.influenceable),
               help=f"{pounds(head.influenceable)}. " + queries.DEFINITIONS["influenceable"] + beside)
cols[2].metric("Over £100k", style.money(head.over_100k), share(head.over_100k_share), delta_color="off",
               delta_arrow="off", help=f"{pounds(head.over_100k)}. " + queries.DEFINITIONS["over_100k"] + beside)
cols[3].metric("High-impact areas", style.money(head.high_impact), share(head.high_impact_share),
               delta_color="off", delta_arrow="off",
               help=f"{pounds(head.high_impact)}. " + queries.DEFINITIONS["high_impact"] + beside)
cols[4].metric("Classification coverage", "" if head.classified_share is None else f"{head.classified_share:.1%}",
               "of net spend in view", delta_color="off", delta_arrow="off",
               help=f"{coverage}. {queries.DEFINITIONS['coverage']} The influenceable, over £100k and "
                    "high-impact figures leave out the rest.")
st.caption(f"High-impact spend with suppliers over £100k, the plan's short-term target list: "
           f"**{pounds(head.high_over_100k)}**. Beside these figures, classification coverage: {coverage} "
           "(share of net spend, by value, placed in a category other than Unclassified; the Classification page "
           "places the rest). Hover over a figure's ? for its exact value and definition.")

source = view.source

st.subheader("Value band and impact")
matrix = ui.query(queries.band_impact_matrix, filters)
text = chart_words.band_impact(filters, period, source, style)
clicked = ui.show_chart(charts.band_impact_matrix(matrix, text, filters.bands.labels, IMPACT_GROUPS,
                                                  drop_empty=filters.narrowed), key="overview_matrix", clickable=True)
# A click on a cell opens its payments below: the cell's band and impact become the choices there (once per click,
# so the choices can still be changed by hand afterwards).
if clicked:
    cell_picked = (str(clicked[0].get("y")), str(clicked[0].get("x")))
    if cell_picked != st.session_state.get("overview_cell_clicked") and cell_picked[0] in filters.bands.labels \
            and cell_picked[1] in IMPACT_GROUPS:
        st.session_state["overview_cell_band"], st.session_state["overview_cell_impact"] = cell_picked
        st.session_state["overview_cell_clicked"] = cell_picked
st.caption(filters.bands.describe() + " " + queries.DEFINITIONS["cells"]
           + " Click a cell to see its payments below.")
ui.show_sql(queries.band_impact_matrix)
table = matrix.assign(total=matrix["total"].map(pounds)).rename(columns={
    "value_band": "Value band", "impact_group": "Impact", "total": "Net spend", "supplier_years": "Supplier-years",
    "payments": "Payments", "priority": "Plan priority (High, £100k and over)"})
with st.expander("The matrix as a table"):
    st.dataframe(table, hide_index=True, key="overview_matrix_table",
                 column_config={"Supplier-years": ui.COUNT_COLUMN, "Payments": ui.COUNT_COLUMN})
    ui.downloads(table, f"band-impact-{filters.slug()}", key="overview_matrix_download")

st.subheader("Trend by financial year")
by_year = ui.query(queries.spend_by_financial_year, filters)
year_text = chart_words.by_year(filters, source, style)
months = ui.query(provenance.data_months)
part_years = months.part_years(sorted(by_year["financial_year"].unique()))
ui.show_chart(charts.spend_by_year(by_year, year_text, part_years), key="overview_by_year")
year_table = queries.year_by_impact(by_year).set_index("financial_year")
shown_years = year_table.map(lambda v: "" if v is None else pounds(v)).reset_index().rename(
    columns={"financial_year": "Financial year"})
# A year with fewer than twelve months of data says which months it holds.
shown_years.insert(1, "Months of data", [part_years.get(y, "Full year") for y in shown_years["Financial year"]])
st.dataframe(shown_years, hide_index=True, key="overview_by_year_table")
ui.downloads(shown_years, f"spend-by-year-{filters.slug()}", key="overview_by_year_download")

st.subheader("The payments behind a cell", anchor="payments-behind-a-cell")
left, right = st.columns(2)
band = left.selectbox("Value band", filters.bands.labels, index=len(filters.bands.labels) - 1, key="overview_cell_band")
impact = right.selectbox("Impact", IMPACT_GROUPS, key="overview_cell_impact")
cell = filters.narrow(value_bands=(band,), impacts=(impact,))
ui.show_payments_behind(cell, key="overview_cell")
