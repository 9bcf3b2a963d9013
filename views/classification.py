"""Classification: the categories, their impact levels, the rules that place each payment, and what is left."""

import pandas as pd
import streamlit as st

from sp_analysis import analysis, classify, exports, ui
from sp_analysis.facts import refresh_spend_facts
from sp_analysis.filters import SpendFilters
from sp_analysis.money import pounds

st.title("Classification")
st.write("Each payment gets the category of the first rule that matches it: supplier rules first, then "
         "expense-code rules, then keyword rules (on the expense type, the payee's name, the creditor type or "
         "the department), in priority order. Each category has a sustainability impact level; "
         "non-procurement categories are left out of influenceable spend.")

ws = ui.workspace()
# From the analysis table (current before any figure is drawn), not a join over every payment.
head = ui.query(analysis.headline, SpendFilters())
cols = st.columns(2)
cols[0].metric("Classified by value", "" if head.classified_share is None else f"{head.classified_share:.1%}",
               help=f"{pounds(head.classified)} of {pounds(head.total)} net spend.")
cols[1].metric("Unclassified spend", pounds(head.total - head.classified))


def reclassify() -> None:
    """Re-run every rule and rebuild the analysis table, so every page shows the change at once."""
    classify.classify_spend(ws)
    refresh_spend_facts(ws)


editor = ui.editors_only("change categories or rules")
st.subheader("Unclassified spend, largest first")
by = st.radio("Group by", ["expense_type", "supplier_name", "department"], horizontal=True,
              format_func=lambda c: c.replace("_", " ").capitalize(), key="unclassified_by")
unclassified = ui.query(analysis.largest_unclassified, by, 25)
st.dataframe(ui.money_columns(unclassified, "total"), hide_index=True, key="unclassified_table")
categories = ui.query(classify.load_categories)
names = [c.category for c in categories if c.category != classify.UNCLASSIFIED]
if editor and not unclassified.empty and by == "expense_type":
    with st.form("make_rule_form"):
        st.markdown("**Make a rule from this**: every payment with this expense type goes to the category.")
        value = st.selectbox("Expense type", [v for v in unclassified[by] if v], key="make_rule_value")
        category = st.selectbox("Category", names, key="make_rule_category")
        if st.form_submit_button("Add rule and re-classify", key="make_rule_submit") and value:
            classify.save_rule(ws, classify.rule_from_expense_type(value, category))
            reclassify()
            st.success(f"Rule added: expense type '{ui.md(value)}' goes to {ui.md(category)}.")
            st.rerun()

st.subheader("Categories")
category_frame = pd.DataFrame([c.__dict__ for c in categories])
edited = st.data_editor(
    category_frame, hide_index=True, key="categories_editor", num_rows="dynamic",
    column_config={
        "impact": st.column_config.SelectboxColumn("impact", options=["High", "Medium", "Low"], required=True),
        "influenceable": st.column_config.CheckboxColumn("influenceable"),
    },
)
if st.button("Save categories", key="categories_save", disabled=not editor):
    try:
        classify.import_categories_csv(ws, edited.to_csv(index=False).encode())
        reclassify()
        st.success("Categories saved and spend re-classified.")
    except classify.ClassificationError as exc:
        st.error(ui.md(exc))

st.subheader("Rules")
rules = ui.query(classify.load_rules)
rule_frame = pd.DataFrame([r.__dict__ for r in rules])
edited_rules = st.data_editor(rule_frame, hide_index=True, key="rules_editor", num_rows="dynamic")
if st.button("Save rules and re-classify", key="rules_save", disabled=not editor):
    try:
        classify.import_rules_csv(ws, edited_rules.to_csv(index=False).encode())
        reclassify()
        st.success("Rules saved and spend re-classified.")
    except classify.ClassificationError as exc:
        st.error(ui.md(exc))

st.subheader("Import and export")
left, right = st.columns(2)
# Exports go through the formula neutraliser (sp_analysis/exports.py); an import takes the neutralising
# apostrophe off again, so an exported file imports unchanged.
left.download_button("Export categories (CSV)", exports.safe_csv_text(classify.export_categories_csv(ws)),
                     "categories.csv", "text/csv", key="categories_export", on_click="ignore")
right.download_button("Export rules (CSV)", exports.safe_csv_text(classify.export_rules_csv(ws)), "rules.csv",
                      "text/csv", key="rules_export", on_click="ignore")
if editor:  # the uploader is only offered to editors
    with st.form("classification_import_form", clear_on_submit=True):
        kind = st.radio("Import", ["Rules", "Categories"], horizontal=True, key="classification_import_kind")
        upload = st.file_uploader("CSV file", type=["csv"], key="classification_import_file")
        if st.form_submit_button("Import and re-classify", key="classification_import_submit") and upload:
            try:
                importer = classify.import_rules_csv if kind == "Rules" else classify.import_categories_csv
                count = importer(ws, exports.restore_csv_bytes(upload.getvalue()))
                reclassify()
                st.success(f"{count} {kind.lower()} imported and spend re-classified.")
            except classify.ClassificationError as exc:
                st.error(ui.md(exc))

st.subheader("Why is a payment here?")
left, right = st.columns(2)
file_id = left.number_input("File id", min_value=1, step=1, key="explain_file")
line = right.number_input("Line in the file", min_value=1, step=1, key="explain_line")
explanation = classify.explain_payment(ws, int(file_id), int(line))
st.markdown(ui.md(explanation.sentence()) if explanation else "No payment at that file and line.")
