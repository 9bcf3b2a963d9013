"""Renewal pipeline: contracts coming up for renewal, when re-procurement must start, and what to act on this quarter."""

import datetime as dt

import streamlit as st

from sp_analysis import settings, ui
from sp_analysis.contracts import act, reprocurement, terms
from sp_analysis.contracts import register as contracts
from sp_analysis.contracts.register import DEFINITIONS, ContractFilters
from sp_analysis.contracts.terms import LeadTimes
from sp_analysis.definitions import IMPACT_GROUPS
from sp_analysis.output import chart_words, contract_charts
from sp_analysis.words import pounds, short_money, total

st.title("Renewal pipeline")
st.write("The plan addresses high-impact contracts over £100k \"when the contract comes up for renewal\". This page "
         "lists the contracts ending soon, ranked by the plan's priority, impact and value, with the date by which "
         "re-procurement must start so that sustainability can be written into the new contract.")

today = dt.date.today()
quarter, _, quarter_end = reprocurement.financial_quarter(today)
options = ui.query(contracts.filter_options, today)
if options["contracts"] == 0:
    st.info("The workspace holds no contracts register yet. Load your council's register on the Upload page "
            "(choose 'contracts').")
    st.stop()

left, right = st.columns([3, 2])
months = left.slider("Contracts ending within the next … months", 3, 36, 18, key="renewals_months")
with_options = right.toggle("Include extension options", key="renewals_extensions",
                            help="Off: each contract's published end date. On: the end of its last extension option, "
                                 "as if every option were taken up.")

try:
    default_lead = ui.query(terms.lead_times)
except ValueError as exc:
    st.error(f"The renewal lead times setting cannot be read ({ui.md(exc)}); the defaults are used. Fix it on the Settings page.")
    default_lead = LeadTimes()
with st.expander(f"Lead times: {default_lead.describe()}"):
    st.caption(DEFINITIONS["intervention"] + " Change them here for this session, or for everyone on the Settings page.")
    lead_cols = st.columns(len(default_lead.months))
    lead_months = tuple(
        int(col.number_input(f"{label} (months)", min_value=0, max_value=120, value=months_default, step=1,
                             key=f"renewals_lead_{index}"))
        for index, (col, label, months_default) in enumerate(
            zip(lead_cols, default_lead.labels, default_lead.months, strict=True)))
lead = default_lead.with_months(lead_months)

filter_cols = st.columns(3)
impacts = filter_cols[0].multiselect("Impact", IMPACT_GROUPS, key="renewals_impacts", placeholder="All impact levels")
departments = filter_cols[1].multiselect("Department", options["departments"], key="renewals_departments",
                                         placeholder="All departments")
categories = filter_cols[2].multiselect("Category", options["categories"], key="renewals_categories",
                                        placeholder="All categories")
priority_only = st.checkbox("Only the plan's priority: high-impact contracts of £100k and over", key="renewals_priority")
filters = ContractFilters(impacts=tuple(impacts), departments=tuple(departments), categories=tuple(categories),
                          bands=ui.query(settings.value_bands))

pipeline = ui.query(reprocurement.renewal_pipeline, today, months, include_extensions=with_options, lead=lead,
                    filters=filters)
if priority_only:
    pipeline = pipeline[pipeline["plan_priority"]].reset_index(drop=True)
ending = "end with all extension options taken" if with_options else "published end date"
window_end = reprocurement.add_months(today, months)
scope = filters.describe() + ("; plan priority only" if priority_only else "")
st.caption(f"Contracts ({ui.md(scope)}) whose {ending} falls from today, {today:%-d %B %Y}, to {window_end:%-d %B %Y}. "
           f"Lead times: {lead.describe()}.")

act_now = pipeline[pipeline["action"] != "Start later"]
priority_now = act_now[act_now["plan_priority"]]
value = total(pipeline["contract_value"])
cols = st.columns(4)
cols[0].metric("Contracts ending", f"{len(pipeline):,}")
cols[1].metric("Their value", short_money(value), help=f"{pounds(value)}. " + DEFINITIONS["contract_value"])
cols[2].metric(f"To act on by the end of {quarter}", f"{len(act_now):,}",
               help=f"Intervention date on or before {quarter_end:%-d %B %Y}, including those already overdue.")
cols[3].metric("Of which high impact, £100k and over", f"{len(priority_now):,}",
               help="The plan's short-term priority: high-impact contracts of £100,000.00 or more.")
overdue = int((priority_now["action"] == "Overdue: should have started").sum())
st.markdown(f"**{len(priority_now):,} high-impact contract{'s' if len(priority_now) != 1 else ''} of £100k or more "
            f"must be acted on this quarter ({quarter}, to {quarter_end:%-d %B %Y})**: {overdue:,} should already have "
            f"started re-procurement, {len(priority_now) - overdue:,} must start by the end of the quarter.")

notices = ui.query(act.kpi_notices, today)
due = notices[(notices["status"] == "Overdue") | notices["status"].str.startswith("Due next quarter")]
with st.expander(f"Contract performance notices (contracts over £5m, Procurement Act 2023 s.71): "
                 f"{int((notices['status'] == 'Overdue').sum()):,} overdue, "
                 f"{int(notices['status'].str.startswith('Due next quarter').sum()):,} due next quarter"):
    st.caption(act.DEFINITIONS["kpi_due"] + " The KPI register is on the Procurement Act page.")
    kpi_table = ui.money_columns(due, "contract_value")[["status", "next_due", "due_because", "reference", "title",
                                                        "supplier_name", "contract_value", "kpis", "last_rated"]]
    kpi_table = ui.date_columns(kpi_table, "next_due", "last_rated")
    st.dataframe(kpi_table.rename(columns={
        "status": "Status", "next_due": "Next notice due", "due_because": "Why", "reference": "Reference",
        "title": "Title", "supplier_name": "Supplier", "contract_value": "Value", "kpis": "KPIs",
        "last_rated": "Last rated"}), hide_index=True, key="renewals_kpi_notices")

if pipeline.empty:
    st.info("No contract in the register ends in this window. Widen the window or clear some filters.")
    st.stop()

shown_count = min(30, len(pipeline))
text = chart_words.renewals(shown_count, len(pipeline), f"ending by {window_end:%-d %B %Y} ({scope})",
                            ui.council().whose("contracts register"), lead, ui.chart_style())
ui.show_chart(contract_charts.renewal_timeline(pipeline, text, today, quarter_end, limit=30), key="renewals_timeline")

table = ui.money_columns(pipeline, "contract_value")
table = ui.date_columns(table, "start_date", "end_date", "final_end", "ends_on", "intervention_date")
table["plan_priority"] = pipeline["plan_priority"].map({True: "Yes", False: "No"})
table = table[["rank", "action", "intervention_date", "ends_on", "reference", "title", "supplier_name", "contract_value",
               "impact_group", "plan_priority", "category", "department", "value_basis", "lead_band", "lead_months",
               "end_date", "extension_options", "final_end", "route", "sme_label", "vcse_label"]].rename(columns={
    "rank": "Rank", "reference": "Reference", "title": "Title", "supplier_name": "Supplier", "department": "Department",
    "category": "Category", "impact_group": "Impact", "contract_value": "Value", "value_basis": "Value basis",
    "lead_band": "Value band (lead time)", "ends_on": "Ends", "lead_months": "Lead time (months)",
    "intervention_date": "Start re-procurement by", "action": "Action", "plan_priority": "Plan priority",
    "end_date": "Published end", "extension_options": "Extension options", "final_end": "End with all options",
    "route": "Route", "sme_label": "SME", "vcse_label": "VCSE"})
st.dataframe(table, hide_index=True, key="renewals_table", column_config=ui.fitted_columns(table))
ui.downloads(table, f"renewal-pipeline-{months}-months{'-with-options' if with_options else ''}-{filters.slug()}",
             key="renewals_download")
missing = ui.query(reprocurement.contracts_without_end_date, today, filters)
if missing:
    st.caption(f"{missing:,} contract{'s' if missing != 1 else ''} in the register "
               f"{'have' if missing != 1 else 'has'} no end date and cannot be placed in the pipeline.")
