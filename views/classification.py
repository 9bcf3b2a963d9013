"""Classification: the categories, their impact levels, the rules that place each payment, and what is left."""

from decimal import Decimal

import pandas as pd
import streamlit as st

from sp_analysis import exports, ui
from sp_analysis.ingest.report import loaded_files
from sp_analysis.spend import classify, queries, suggest
from sp_analysis.spend.facts import refresh_spend_facts
from sp_analysis.spend.filters import SpendFilters
from sp_analysis.words import pounds

# The wordings by plain name, as the page's widgets give a column, layer or match back.
FIELD_WORDS: dict[str, str] = {str(k): v for k, v in classify.FIELD_WORDING.items()}
LAYER_WORDS: dict[str, str] = {str(k): v for k, v in classify.LAYER_WORDING.items()}
MATCH_WORDS: dict[str, str] = {str(k): v for k, v in classify.MATCH_WORDING.items()}


def wording(field: object) -> str:
    """A payment column's name in words: 'expense type', 'supplier name'."""
    return FIELD_WORDS.get(str(field), str(field).replace("_", " "))


def heading(field: object) -> str:
    """A payment column's name for a person: 'Expense type', 'Supplier name'."""
    words = wording(field)
    return words[0].upper() + words[1:]


st.title("Classification")
st.write("Each payment gets the category of the first rule that matches it. The evidence is weighed in "
         "order: rules about the payee first, then expense or ProClass codes, then the words that say what "
         "was bought (the expense type and other description columns), then who was paid and where. "
         "Each category has a sustainability impact level; non-procurement categories are left out of "
         "influenceable spend.")

ws = ui.workspace()
# From the analysis table (current before any figure is drawn), not a join over every payment.
head = ui.query(queries.headline, SpendFilters())
cols = st.columns(2)
cols[0].metric("Classified by value", "" if head.classified_share is None else f"{head.classified_share:.1%}",
               help=f"{pounds(head.classified)} of {pounds(head.total)} net spend. "
                    + queries.DEFINITIONS["coverage"])
cols[1].metric("Unclassified spend", pounds(head.total - head.classified),
               help="Net spend no rule has placed yet: it counts in no impact area and not in influenceable spend.")


def reclassify() -> None:
    """Re-run every rule and rebuild the analysis table, so every page shows the change at once."""
    classify.classify_spend(ws)
    refresh_spend_facts(ws)


ui.show_flash("classification_saved")
editor = ui.editors_only("change categories or rules")
st.subheader("Unclassified spend, largest first")
by = st.radio("Group by", ["expense_type", "supplier_name", "department", "expense_code"], horizontal=True,
              format_func=heading, key="unclassified_by")
unclassified = ui.query(queries.largest_unclassified, by, 25)
values = tuple(v for v in unclassified[by] if isinstance(v, str) and v.strip())
suggestions = ui.query(suggest.suggest_categories, values, by)
shown = ui.money_columns(unclassified, "total")
shown["suggested"] = [suggestions[v].category if v in suggestions else "" for v in unclassified[by]]
shown["why"] = ["; ".join(suggestions[v].evidence) if v in suggestions else "" for v in unclassified[by]]
shown = shown.rename(columns={by: heading(by), "payments": "Payments", "total": "Net spend",
                              "suggested": "Suggested category", "why": "Why that category"})
st.dataframe(shown, hide_index=True, key="unclassified_table", row_height=70, column_config={
    "Why that category": st.column_config.TextColumn("Why that category", width="large"),
})
st.caption("The suggested category is the one the other evidence on these payments points to: classified spend "
           "whose expense type shares their words, their payees' other classified spend, and the classified spend "
           "under the same broad heading.")

categories = ui.query(classify.load_categories)
names = [c.category for c in categories if c.category != classify.UNCLASSIFIED]
if editor and values:
    st.markdown(f"**Make a rule from this**: every payment whose {wording(by)} is the one chosen "
                "goes to the category. You see what it would change before it is saved.")
    left, right = st.columns(2)
    value = left.selectbox(heading(by), values, key="make_rule_value")
    suggestion = suggestions.get(value) if value else None
    category = right.selectbox(
        "Category", names, key=f"make_rule_category_{by}_{value}",
        index=names.index(suggestion.category) if suggestion and suggestion.category in names else None,
        placeholder="Choose a category (no evidence suggests one)")
    if suggestion:
        st.caption("Suggested: " + ui.md(suggestion.sentence()))
    if value and category:
        rule = classify.rule_from_value(by, value, category)  # type: ignore[arg-type]
        effect = ui.query(classify.rule_effect, rule)
        st.markdown(f"**The rule**: {ui.md(rule.in_words())} → {ui.md(category)}.")
        before, after = effect.share(effect.classified_before), effect.share(effect.classified_after)
        if effect.moves:
            st.markdown(f"**If saved**, it would move **{effect.payments_moved:,} payments, "
                        f"{ui.md(pounds(effect.total_moved))} net**. The rule itself would place "
                        f"{effect.placed_by_rule:,} payments ({ui.md(pounds(effect.placed_by_rule_total))}); "
                        "payments can also follow a supplier's usual category.")
            st.dataframe(pd.DataFrame({
                "From": [m.from_category for m in effect.moves],
                "To": [m.to_category for m in effect.moves],
                "Payments": [m.payments for m in effect.moves],
                "Net spend": [pounds(m.total) for m in effect.moves],
            }), hide_index=True, key="make_rule_effect")
            taken = [m for m in effect.moves if m.from_category != classify.UNCLASSIFIED]
            if taken:
                st.warning(f"{sum(m.payments for m in taken):,} of these payments "
                           f"({pounds(sum((m.total for m in taken), Decimal(0)))} net) are in "
                           "another category now: this rule would come before the rule that placed them.")
        else:
            st.info("Saving this rule would move no payment: an earlier rule already places them.")
        if before is not None and after is not None:
            st.caption(f"Classified by value: {before:.1%} now, {after:.1%} with this rule.")
        if st.button("Save this rule and re-classify", key="make_rule_submit", type="primary"):
            classify.save_rule(ws, rule)
            reclassify()
            ui.saved("classification_saved", f"Rule saved: {ui.md(rule.in_words())} goes to {ui.md(category)}.")

st.subheader("Categories")
category_frame = pd.DataFrame([c.__dict__ for c in categories])
edited = st.data_editor(
    category_frame, hide_index=True, key="categories_editor", num_rows="dynamic", row_height=90,  # four lines of a category's why
    column_config={
        "category": st.column_config.TextColumn("Category", required=True),
        "impact": st.column_config.SelectboxColumn("Impact", options=["High", "Medium", "Low"], required=True),
        "influenceable": st.column_config.CheckboxColumn("Procurement can influence it"),
        "reason": st.column_config.TextColumn("Why", width="large"),
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
show_patterns = st.toggle("Show the patterns", key="rules_show_patterns",
                          help="The exact text or regular expression each rule matches, and the rules as an "
                               "editable table.")
in_words = pd.DataFrame({
    "Order": range(1, len(rules) + 1),
    "Looks at": [classify.LAYER_WORDING[r.layer] for r in rules],
    "Rule": [r.in_words() for r in rules],
    "Category": [r.category for r in rules],
})
if show_patterns:
    in_words["Pattern"] = [r.describe() for r in rules]
    in_words["Rule id"] = [r.rule_id for r in rules]
# Rows tall enough for a long rule to wrap onto a second and third line instead of being cut.
st.dataframe(in_words, hide_index=True, key="rules_in_words", row_height=70, column_config={
    "Order": st.column_config.NumberColumn("Order", width="small"),
    "Looks at": st.column_config.TextColumn("Looks at", width="medium"),
    "Rule": st.column_config.TextColumn("Rule", width="large"),
    "Category": st.column_config.TextColumn("Category", width="medium"),
    "Pattern": st.column_config.TextColumn("Pattern", width="large"),
})
st.caption("Rules are tried in this order; the first that matches places the payment. Matching ignores case "
           "and runs of spaces. A rule on the expense type also reads the other description columns; a rule on the "
           "department also reads the service, section and cost centre columns.")
if show_patterns:
    rule_frame = pd.DataFrame([r.__dict__ for r in rules], columns=list(classify.RULE_COLUMNS))
    edited_rules = st.data_editor(
        rule_frame, hide_index=True, key="rules_editor", num_rows="dynamic",
        column_config={
            "rule_id": st.column_config.TextColumn("Rule id", required=True),
            "layer": st.column_config.SelectboxColumn("Looks at", options=list(classify.LAYERS), required=True,
                                                      format_func=lambda v: LAYER_WORDS.get(str(v), str(v))),
            "field": st.column_config.SelectboxColumn("Column", options=list(classify.FIELD_WORDING), required=True,
                                                      format_func=heading),
            "match": st.column_config.SelectboxColumn("How it matches", options=list(classify.MATCHES),
                                                      required=True,
                                                      format_func=lambda v: MATCH_WORDS.get(str(v), str(v))),
            "pattern": st.column_config.TextColumn("Pattern", required=True),
            "category": st.column_config.SelectboxColumn("Category", options=[*names, classify.UNCLASSIFIED],
                                                         required=True),
            "priority": st.column_config.NumberColumn("Priority (lower first)", step=1, required=True),
            "note": st.column_config.TextColumn("In words (for a pattern)"),
        },
    )
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
files = ui.query(loaded_files, "spend")
if files.empty:
    st.caption("Load a spend file to ask why one of its payments sits in its category.")
else:
    left, right = st.columns(2)
    file_names = dict(zip(files["file_id"], files["name"], strict=True))
    file_id = left.selectbox("File", list(files["file_id"]), key="explain_file", format_func=lambda i: str(file_names[i]))
    line = right.number_input("Line in the file", min_value=1, value=2, step=1, key="explain_line")  # line 1 is a header
    explanation = classify.explain_payment(ws, int(file_id), int(line or 1))
    st.markdown(ui.md(explanation.sentence()) if explanation else "No payment at that line of the file.")
