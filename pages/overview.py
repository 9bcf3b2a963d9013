"""Overview: what the workspace holds and spend by financial year."""

import streamlit as st

from sp_analysis import analysis, charts, ui
from sp_analysis.summary import loaded_files

st.title("Overview")

headline = ui.query(analysis.spend_headline)
if headline.payments == 0:
    st.info("The workspace holds no spend yet. Load your council's spend files on the Upload page.")
    st.page_link("pages/upload.py", label="Go to Upload", icon=":material/upload_file:")
    st.stop()

period = f"{headline.first_date:%-d %B %Y} to {headline.last_date:%-d %B %Y}"
first, second, third, fourth = st.columns([2, 1, 1, 1])
first.metric("Total net spend", ui.pounds(headline.total), help="Sum of every payment loaded, credit notes included.")
second.metric("Payments", f"{headline.payments:,}", help="Published lines with a date, a payee and an amount.")
third.metric("Files loaded", f"{headline.files:,}")
fourth.metric("Credit notes", f"{headline.credit_notes:,}", help="Payments with a negative amount.")
st.caption(f"Data period: {period}. Money is exact to the penny; totals include credit notes.")

by_year = ui.query(analysis.spend_by_financial_year)
files = ui.query(loaded_files, "spend")
source = f"Source: {len(files)} published spend file(s) loaded in this workspace; data {period}."
ui.show_chart(charts.spend_by_year_bar(by_year, source), key="overview_by_year")

table = by_year.assign(
    total=by_year["total"].map(ui.pounds),
    first_date=by_year["first_date"].map(lambda d: f"{d:%-d %b %Y}"),
    last_date=by_year["last_date"].map(lambda d: f"{d:%-d %b %Y}"),
).rename(columns={"financial_year": "Financial year", "payments": "Payments", "total": "Net spend",
                  "first_date": "First payment", "last_date": "Last payment"})
st.dataframe(table, hide_index=True, key="overview_by_year_table")
