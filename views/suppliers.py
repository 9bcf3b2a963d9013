"""Suppliers: the largest, how concentrated the spend is, year on year, one supplier's profile, merges."""

import pandas as pd
import streamlit as st

from sp_analysis import ui
from sp_analysis.output import chart_words, charts
from sp_analysis.spend import queries, suppliers
from sp_analysis.words import pounds

st.title("Suppliers")
st.write("Spellings of one supplier are merged automatically (case, punctuation, '&' and 'and', Ltd, Limited, "
         "PLC and LLP, masked bank digits); the council's supplier id is preferred where the file has one. "
         "Merge or split suppliers by hand at the foot of the page.")

filters, style, head, period = ui.spend_page_start()

spread = ui.query(queries.concentration, filters)
cols = st.columns(3)
cols[0].metric("Suppliers paid", f"{spread.suppliers:,}",
               help="Distinct suppliers after merging spellings; each redacted payee counts on its own.")
cols[1].metric("Top 10 suppliers' share", "" if spread.top_10_share is None else f"{spread.top_10_share:.1%}",
               help=f"{pounds(spread.top_10)} of {pounds(spread.total)} net spend.")
cols[2].metric("Top 20 suppliers' share", "" if spread.top_20_share is None else f"{spread.top_20_share:.1%}",
               help=f"{pounds(spread.top_20)} of {pounds(spread.total)} net spend.")

count = st.slider("How many suppliers", 5, 50, 20, step=5, key="suppliers_top_n")
top = ui.query(queries.top_suppliers, filters, count)
text = chart_words.top_suppliers(count, filters, period, ui.spend_source(filters).source, style)
ui.show_chart(charts.top_suppliers_bar(top, text), key="suppliers_top_chart")
ui.show_sql(queries.top_suppliers)
top_table = pd.DataFrame({
    "Supplier": top["supplier"], "Net spend": top["total"].map(pounds),
    "Share": top["share"].map(lambda s: f"{s:.1%}"), "Payments": top["payments"],
    "Main category": top["main_category"],
})
st.dataframe(top_table, hide_index=True, key="suppliers_top_table", column_config={"Payments": ui.COUNT_COLUMN})
ui.downloads(top_table, f"top-suppliers-{filters.slug()}", key="suppliers_top_download")

st.subheader("Year on year")
yoy = ui.query(queries.supplier_year_on_year, filters, 200)
year_columns = [c for c in yoy.columns if c not in ("supplier_key", "supplier", "change")]
if "change" in yoy.columns:
    st.caption(f"Change is {year_columns[-1]} against {year_columns[-2]}; the 200 largest changes, largest first.")
yoy_shown = ui.money_columns(yoy.drop(columns="supplier_key"), *year_columns,
                             *(["change"] if "change" in yoy.columns else []))
yoy_shown = yoy_shown.rename(columns={"supplier": "Supplier", "change": "Change"})
st.dataframe(yoy_shown, hide_index=True, key="suppliers_yoy_table")
ui.downloads(yoy_shown, f"suppliers-year-on-year-{filters.slug()}", key="suppliers_yoy_download")

st.subheader("Supplier profile")
search = st.text_input("Find a supplier (name or supplier id)", key="suppliers_search")
found = ui.query(suppliers.search_suppliers, search or "", 50)
if found.empty:
    st.caption("No supplier matches.")
    st.stop()
pick = st.selectbox("Supplier", found.index, format_func=lambda i: f"{found.at[i, 'supplier']} "
                    f"({pounds(found.at[i, 'total'])})", key="suppliers_pick")
key = str(found.at[pick, "supplier_key"])
profile = ui.query(suppliers.supplier_profile, key)
left, middle, right = st.columns(3)
left.markdown("**By financial year**")
left.dataframe(ui.in_words(ui.money_columns(profile.by_year, "total")), hide_index=True, key="profile_years")
middle.markdown("**By category**")
middle.dataframe(ui.in_words(ui.money_columns(profile.by_category, "total")), hide_index=True, key="profile_categories")
right.markdown("**By department**")
right.dataframe(ui.in_words(ui.money_columns(profile.by_department, "total")), hide_index=True, key="profile_departments")
st.markdown("**Published spellings and ids**")
st.dataframe(ui.in_words(ui.money_columns(profile.names, "total")), hide_index=True, key="profile_names")
st.markdown("**Payments** (latest first)")
profile_payments = ui.payments_table(profile.payments)
st.dataframe(profile_payments, hide_index=True, key="profile_payments")
ui.downloads(profile_payments, f"payments-{found.at[pick, 'supplier']}"[:60], key="profile_payments_download")

st.subheader("Merge and split")
if not ui.editors_only("merge or split suppliers"):
    st.stop()
with st.expander("Merge suppliers that are one business"):
    others = st.multiselect("Suppliers to show as the one above", [i for i in found.index if i != pick],
                            format_func=lambda i: str(found.at[i, "supplier"]), key="merge_pick")
    note = st.text_input("Why (kept with the merge)", key="merge_note")
    if st.button("Merge", disabled=not others, key="merge_button"):
        suppliers.merge_suppliers(ui.workspace(), [str(found.at[i, "supplier_key"]) for i in others], key, note)
        st.rerun()
with st.expander("Split a spelling out of this supplier"):
    spelling = st.selectbox("Published spelling", list(profile.names["supplier_name"]), key="split_pick")
    if st.button("Split it out", key="split_button", disabled=len(profile.names) < 2):
        suppliers.split_spelling(ui.workspace(), spelling)
        st.rerun()
with st.expander("Merges and splits made by hand"):
    merged = ui.query(suppliers.merges)
    st.dataframe(merged, hide_index=True, key="merges_table")
    if not merged.empty:
        undo = st.selectbox("Undo the merge of", list(merged["from_key"]), key="unmerge_pick")
        if st.button("Undo merge", key="unmerge_button"):
            suppliers.undo_merge(ui.workspace(), undo)
            st.rerun()
    split_rows = ui.query(suppliers.splits)
    st.dataframe(split_rows, hide_index=True, key="splits_table")
    if not split_rows.empty:
        rejoin = st.selectbox("Undo the split of", list(split_rows["supplier_name"]), key="unsplit_pick")
        if st.button("Undo split", key="unsplit_button"):
            suppliers.undo_split(ui.workspace(), rejoin)
            st.rerun()
