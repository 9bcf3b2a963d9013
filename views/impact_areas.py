"""Impact areas: impact -> category -> supplier -> payments, for any part of the spend."""

import pandas as pd
import streamlit as st

from sp_analysis import ui
from sp_analysis.definitions import IMPACT_GROUPS
from sp_analysis.output import charts
from sp_analysis.spend import classify, queries
from sp_analysis.words import pounds

st.title("Impact areas")
st.write("Where the money goes by the sustainability impact of what was bought. High impact covers the Task "
         "Force's ten priority areas (construction, health and social care, food, textiles, waste, paper, "
         "energy, ICT, furniture, transport). Click a box in the chart to open it; the tables below drill down.")

filters, style, head, period = ui.spend_page_start(note_coverage=False)  # coverage is among the figures below
source = ui.spend_source(filters).source

# The impact figures, each with the classification coverage of the spend in view beside it.
coverage = ui.query(classify.coverage_beside, filters, head)
beside = f" Classification coverage of the spend in view: {coverage}. {queries.DEFINITIONS['coverage']}"
cols = st.columns(4)
cols[0].metric("High-impact spend", style.money(head.high_impact),
               help=f"{pounds(head.high_impact)}. " + queries.DEFINITIONS["high_impact"] + beside)
cols[1].metric("High-impact over £100k", style.money(head.high_over_100k),
               help=f"{pounds(head.high_over_100k)}. High-impact spend with suppliers whose year total is "
                    "£100,000 or more: the plan's short-term list." + beside)
cols[2].metric("Influenceable spend", style.money(head.influenceable),
               help=f"{pounds(head.influenceable)}. " + queries.DEFINITIONS["influenceable"] + beside)
cols[3].metric("Classification coverage", "" if head.classified_share is None else f"{head.classified_share:.1%}",
               "of net spend in view", delta_color="off", delta_arrow="off",
               help=f"{coverage}. {queries.DEFINITIONS['coverage']}")
st.caption(f"Classification coverage beside these figures: {coverage}. "
           + queries.DEFINITIONS["coverage"] + " Spend not yet classified is in no impact area but Unclassified: "
           "see the Classification page to place it.")

leaves = ui.query(queries.impact_category_supplier, filters, 8)
text = charts.ChartText("Spend by impact area, category and supplier",
                        f"Net spend, {filters.describe()}, {period}; boxes sized by spend", source, style=style)
ui.show_chart(charts.impact_treemap(leaves, text), key="impact_treemap")
st.caption("Credit notes that leave a supplier's net spend below zero cannot be drawn as boxes; the tables include them.")
ui.show_sql(queries.impact_category_supplier)

st.subheader("By category")
categories = ui.query(queries.category_summary, filters)
categories["share"] = categories["share"].map(lambda v: "" if v != v or v is None else f"{v:.1%}")
shown = ui.money_columns(categories, "total").rename(columns={
    "impact_group": "Impact", "category": "Category", "total": "Net spend", "payments": "Payments",
    "suppliers": "Suppliers", "share": "Share of spend shown"})
st.dataframe(shown, hide_index=True, key="impact_categories_table",
             column_config={"Payments": ui.COUNT_COLUMN, "Suppliers": ui.COUNT_COLUMN})
ui.downloads(shown, f"categories-{filters.slug()}", key="impact_categories_download")

st.subheader("Drill down")
left, right = st.columns(2)
impact = left.selectbox("Impact", [g for g in IMPACT_GROUPS if g in set(categories["impact_group"])],
                        key="impact_pick")
in_impact = categories[categories["impact_group"] == impact]
category = right.selectbox("Category", list(in_impact["category"]), key="impact_category_pick")
drill = filters.narrow(impacts=(impact,), categories=(category,))

suppliers = ui.query(queries.top_suppliers, drill, 15)
st.markdown(f"**Top suppliers in {ui.md(category)}** ({ui.md(drill.describe())})")
supplier_table = pd.DataFrame({
    "Supplier": suppliers["supplier"],
    "Net spend": suppliers["total"].map(pounds),
    "Share of category": suppliers["share"].map(lambda s: f"{s:.1%}"),
    "Payments": suppliers["payments"],
})
st.dataframe(supplier_table, hide_index=True, key="impact_suppliers_table", column_config={"Payments": ui.COUNT_COLUMN})
ui.downloads(supplier_table, f"suppliers-{drill.slug()}", key="impact_suppliers_download")

st.markdown("**The payments behind it**")
ui.show_payments_behind(drill, key="impact")
