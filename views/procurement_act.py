"""Procurement Act 2023: the pipeline notice, payment performance, £30,000 payments, KPIs and contract changes."""

import datetime as dt
from collections.abc import Callable

import streamlit as st

from sp_analysis import settings, ui
from sp_analysis.contracts import act, on_contract
from sp_analysis.contracts import register as contracts
from sp_analysis.words import count_of, pounds, total

st.title("Procurement Act 2023 duties")
st.write("The notices the Procurement Act 2023 asks of the council, answered from the spend and the contracts register "
         "in this workspace. Each figure cites the section of the Act or the Procurement Regulations 2024 it answers; "
         "the thresholds and dates are on the Settings page, each with its source.")
ui.show_flash("act_flash")
today = dt.date.today()
ws = ui.workspace()
editor = ui.can_edit()
limits = ui.query(act.load_thresholds)
council = ui.query(settings.get_setting, "council_name") or "The council"

tabs = st.tabs(["Pipeline notice", "Payments compliance", "Payments over £30,000", "Contracts over £5m",
                "Contract changes"])



def save(write: Callable[[], int], message: str, editor_key: str) -> None:
    """Write the rows; say how many after the rerun ('{count}' in `message`), or why they were refused."""
    try:
        count = write()
    except ValueError as exc:
        st.error(ui.md(exc))
    else:
        ui.saved("act_flash", message.format(count=count), editor_key)


with tabs[0]:
    st.subheader("Pipeline notice (section 93)")
    default_year = ui.query(act.default_notice_year, today)
    years = list(range(default_year - 1, default_year + 3))
    year = st.selectbox("Financial year of the notice", years, index=1, format_func=act.fy_label, key="act_year",
                        help="The notice is published within 56 days of 1 April of this year (s.93(2)). The default is "
                             "the year after the latest payment loaded.")
    trigger = ui.query(act.pipeline_trigger, year)
    # Two rows of two, so the exact pounds and pence fit: the years read, then the estimate and the verdict.
    years_row, verdict_row = st.columns(2), st.columns(2)
    years_row[0].metric(f"{trigger.last_year}: last complete year", pounds(trigger.last_year_total),
                        help=f"Influenceable spend, {trigger.last_year_months} months with payments.")
    years_row[1].metric(f"{trigger.this_year}: year in progress ({trigger.this_year_months} months loaded)",
                        pounds(trigger.this_year_total), help="Influenceable spend so far.")
    verdict_row[0].metric(f"Expected in {act.fy_label(year)}", pounds(trigger.estimate), help=trigger.basis)
    verdict_row[1].metric("Pipeline notice", "Required" if trigger.crossed else "Not required",
                          help=f"More than {pounds(trigger.line)} expected (s.93(1)).")
    verdict = "more than" if trigger.crossed else "not more than"
    st.markdown(f"**The council expects to pay {pounds(trigger.estimate)} in {act.fy_label(year)}, {verdict} "
                f"{pounds(trigger.line)}**" + (f": the pipeline notice is {trigger.due_wording(today)}, as at "
                                               f"{today:%-d %B %Y}." if trigger.crossed else "."))
    st.caption(f"Years used: {ui.md(trigger.years_used())} {act.DEFINITIONS['trigger']} The notice is published within "
               f"{limits.whole('pipeline_days')} days beginning with 1 April (s.93(2)).")

    listed = ui.query(act.pipeline_contracts, year)
    value = total(listed["estimated_value"])
    st.markdown(f"**{len(listed):,} contracts over {pounds(limits.amount('pipeline_contract'))} worth {pounds(value)}** "
                f"with a notice expected from {trigger.window_start:%-d %B %Y} to {trigger.window_end:%-d %B %Y}.")
    st.caption(act.DEFINITIONS["pipeline"] + " Estimated value: " + act.DEFINITIONS["estimated_value"])
    export = act.notice_export(listed)
    shown = export.copy()
    shown["Estimated value (£)"] = listed["estimated_value"].map(pounds)
    st.dataframe(shown, hide_index=True, key="act_pipeline_table", column_config={"Estimated value (£)": st.column_config.TextColumn(
        width=ui.fitted_width(shown["Estimated value (£)"], "Estimated value (£)"))})
    ui.downloads(export, f"pipeline-notice-{act.fy_label(year).replace('/', '-')}", key="act_pipeline_download")

    with st.expander("Planned procurements (add the new ones the register cannot know about)"):
        planned = ui.query(act.planned_procurements)
        st.caption("A saved procurement keeps its reference (PLAN-n) in the pipeline list however often you save; a new "
                   "row gets the next one when saved.")
        edited = st.data_editor(
            planned, num_rows="dynamic", hide_index=True, key="act_planned_editor",
            disabled=["planned_id"] if editor else True,
            column_config={
                "planned_id": st.column_config.NumberColumn("Reference", format="PLAN-%d",
                                                            help="Given when the row is first saved; it does not change."),
                "title": st.column_config.TextColumn("Title", required=True),
                "description": st.column_config.TextColumn("Description"),
                "department": st.column_config.TextColumn("Department"),
                "estimated_value": st.column_config.NumberColumn("Estimated value (£)", min_value=0, format="%.2f"),
                "notice_type": st.column_config.SelectboxColumn("Notice", options=list(act.NOTICE_TYPES),
                                                                default="tender"),
                "notice_date": st.column_config.DateColumn("Expected notice date", format="D MMM YYYY"),
                "contract_start": st.column_config.DateColumn("Contract start", format="D MMM YYYY"),
                "contract_end": st.column_config.DateColumn("Contract end", format="D MMM YYYY"),
                "cpv_code": st.column_config.TextColumn("CPV code"),
                "lots": st.column_config.NumberColumn("Lots (0: none)", min_value=0, step=1, default=0),
                "framework": st.column_config.CheckboxColumn("Framework", default=False),
                "note": st.column_config.TextColumn("Note"),
            })
        if editor and st.button("Save planned procurements", key="act_planned_save"):
            save(lambda: act.save_planned(ws, edited), "Saved {count:,} planned procurements.", "act_planned_editor")

with tabs[1]:
    st.subheader("Payments compliance notice (section 69, regulation 38)")
    periods = ui.query(act.reporting_periods)
    if not periods:
        st.info(f"No payment is loaded from {limits.date('payments_compliance_start'):%-d %B %Y}, when the first "
                "reporting period began (s.69(3)).")
    else:
        chosen = st.selectbox("Reporting period", periods, key="act_period",
                              format_func=lambda p: f"{p[0]:%-d %B %Y} to {p[1]:%-d %B %Y}")
        perf = ui.query(act.payment_performance, *chosen)
        shares = perf.shares
        if perf.average_days is None or shares is None:
            st.warning(ui.md(perf.missing))
        else:
            cols5 = st.columns(5)
            cols5[0].metric("Average days to pay", f"{perf.average_days}", help=act.DEFINITIONS["days_to_pay"])
            cols5[1].metric("Paid in 1 to 30 days", f"{shares[0]:.1%}")
            cols5[2].metric("Paid in 31 to 60 days", f"{shares[1]:.1%}")
            cols5[3].metric("Paid in 61 days or more", f"{shares[2]:.1%}")
            not_paid = perf.not_paid_share
            cols5[4].metric("Payable in the period, not paid in it",
                           "Not known" if not_paid is None else f"{not_paid:.1%}", help=act.DEFINITIONS["not_paid"])
            st.caption(f"{perf.paid:,} payments worth {pounds(perf.paid_value)} in {perf.label}; the notice is "
                       f"{act.due_wording(perf.due, today)} as at {today:%-d %B %Y} (30 days beginning with the "
                       "period's last day, s.69(1)). "
                       + act.DEFINITIONS["compliance_scope"]
                       + (f" {perf.without_received:,} payments without a received date are left out."
                          if perf.without_received else "")
                       + (f" {perf.paid_before_received:,} payments dated before their received date are left out."
                          if perf.paid_before_received else "")
                       + ("" if perf.seen_after else f" No payment after {perf.end:%-d %B %Y} is loaded, so the share "
                                                     "of sums payable in the period but paid after it is not known yet."))
            st.markdown("**Draft statement for the finance director's approval** (reg. 38(2)(e))")
            left, right = st.columns(2)
            name = left.text_input("Name", key="act_statement_name")
            role = right.text_input("Job title", key="act_statement_role", placeholder="Director of Finance")
            statement = act.draft_statement(perf, council, name, role)
            st.text_area("Statement", statement, height=220, key="act_statement_text", disabled=True)
            st.download_button("Download statement", statement.encode("utf-8"), file_name="payments-compliance-notice.txt",
                               mime="text/plain", key="act_statement_download", on_click="ignore")

with tabs[2]:
    st.subheader("Payments of more than £30,000 (section 70)")
    exclude_vat = st.toggle("The spend files' amounts exclude VAT", value=True, key="act_exclude_vat",
                            help="Spend files carry no VAT amount. On: VAT at the standard rate is added to each amount "
                                 "before the £30,000 test. Off: the amounts are tested as published.")
    over = ui.query(act.payments_over_30k, amounts_exclude_vat=exclude_vat)
    after, latest = ui.query(act.payments_after_commencement)
    st.caption(act.DEFINITIONS["over_30k"] + " Each quarter's list is published within 30 days beginning with the "
               "quarter's last day (s.70(2)); the first was due by 29 July 2026. VAT: "
               + ("the standard rate from Settings is added to each published amount before the test." if exclude_vat
                  else "amounts are tested as published."))
    if over.empty:
        if not after:
            st.info(f"No payment is dated on or after {limits.date('payment_over'):%-d %B %Y}; the latest payment "
                    f"loaded is {latest:%-d %B %Y}." if latest else "No spend is loaded.")
        else:
            st.info("No payment of more than £30,000 falls within the term of a contract in the register that started on "
                    f"or after {limits.date('payment_over'):%-d %B %Y}.")
    else:
        st.markdown("; ".join(f"**{r.quarter}: {count_of(r.payments, 'payment')} worth {pounds(r.value)}** under "
                              f"{count_of(r.contracts, 'contract')}, list {act.due_wording(r.publish_by, today)}"
                              for r in act.quarter_lists(over).itertuples()) + f" (as at {today:%-d %B %Y}).")
        table = ui.date_columns(ui.money_columns(over, "amount"), "payment_date", "publish_by", "contract_start", "contract_end")
        table = table.rename(columns={"quarter": "Quarter", "publish_by": "Publish by", "payment_date": "Payment date",
                                      "supplier": "Supplier", "amount": "Amount", "contract_reference": "Contract reference",
                                      "contract_title": "Contract", "contract_start": "Contract start",
                                      "contract_end": "Contract end", "matched_by": "Supplier matched by",
                                      "test": "Threshold test", "source_file": "Source file", "source_line": "Line"})
        st.dataframe(table, hide_index=True, key="act_over_30k_table")
        ui.downloads(table, "payments-over-30000", key="act_over_30k_download")
    st.caption("Matching: " + contracts.DEFINITIONS["matching"])

with tabs[3]:
    st.subheader("Contracts over £5m: KPIs and contract performance notices (sections 52 and 71)")
    notices = ui.query(act.kpi_notices, today)
    overdue = notices[notices["status"] == "Overdue"]
    due_next = notices[notices["status"].str.startswith("Due next quarter")]
    cols4 = st.columns(4)
    cols4[0].metric("Contracts over £5m in scope", f"{len(notices):,}")
    cols4[1].metric("Notices overdue", f"{len(overdue):,}")
    cols4[2].metric("Due next quarter", f"{len(due_next):,}")
    cols4[3].metric("With fewer than three KPIs", f"{int(notices['kpi_shortfall'].sum()):,}",
                   help="s.52(1): at least three KPIs for a contract over £5m.")
    st.caption(act.DEFINITIONS["kpi_due"] + " Ratings: good, approaching target, requires improvement, inadequate "
               "(or other), s.71.")
    shown = ui.date_columns(ui.money_columns(notices, "contract_value"), "start_date", "end_date", "last_rated", "next_due")
    shown["kpi_shortfall"] = notices["kpi_shortfall"].map({True: "Yes", False: "No"})
    shown = shown[["status", "next_due", "due_because", "reference", "title", "supplier_name", "contract_value",
                   "kpis", "kpi_shortfall", "last_rated", "latest_ratings", "start_date", "end_date"]].rename(columns={
        "status": "Status", "next_due": "Next notice due", "due_because": "Why", "reference": "Reference",
        "title": "Title", "supplier_name": "Supplier", "contract_value": "Value", "kpis": "KPIs",
        "kpi_shortfall": "Fewer than three KPIs", "last_rated": "Last rated", "latest_ratings": "Latest ratings",
        "start_date": "Start", "end_date": "End"})
    st.dataframe(shown, hide_index=True, key="act_kpi_notices")
    ui.downloads(shown, "contract-performance-notices", key="act_kpi_notices_download")

    st.markdown("**KPI register**")
    # A viewer is offered no uploader at all (the editors list decides who may change the workspace).
    upload = st.file_uploader("Replace the register with a file (CSV or XLSX: contract reference, KPI, target, rated on, "
                              "rating, note)", type=["csv", "xlsx"], key="act_kpi_upload") if editor else None
    if upload is not None and st.button("Load this KPI file", key="act_kpi_load"):
        data, name = upload.getvalue(), upload.name
        save(lambda: act.save_kpis(ws, act.read_kpi_file(data, name)),
             "Loaded {count:,} KPI rows from " + name.replace("{", "{{").replace("}", "}}") + ".", "act_kpi_editor")
    register = ui.query(act.kpi_register)
    edited_kpis = st.data_editor(
        register, num_rows="dynamic", hide_index=True, key="act_kpi_editor", disabled=not editor,
        column_config={
            "contract_reference": st.column_config.TextColumn("Contract reference", required=True),
            "kpi": st.column_config.TextColumn("KPI", required=True),
            "target": st.column_config.TextColumn("Target"),
            "rated_on": st.column_config.DateColumn("Rated on", format="D MMM YYYY"),
            "rating": st.column_config.SelectboxColumn("Rating", options=list(act.RATINGS)),
            "note": st.column_config.TextColumn("Note"),
        })
    if editor and st.button("Save KPI register", key="act_kpi_save"):
        save(lambda: act.save_kpis(ws, edited_kpis), "Saved {count:,} KPI rows.", "act_kpi_editor")

with tabs[4]:
    st.subheader("Possible contract change notices (section 75)")
    changes = ui.query(act.contract_changes, today)
    st.markdown(f"**{len(changes):,} contracts** have spend within their term above their value by more than "
                f"{limits.amount('change_goods_services').normalize():f}% (goods and services) or "
                f"{limits.amount('change_works').normalize():f}% (works).")
    st.caption(act.DEFINITIONS["change"] + " A change notice is needed before a modification of more than that "
               "(s.75(1) and (2)); spend above value is a sign one may have been made.")
    table = ui.money_columns(changes, "contract_value", "spend_in_term", "over_by")
    table["cpv_code"] = changes["cpv_code"].fillna("")
    table = ui.date_columns(table, "start_date", "end_date").rename(columns={
        "reference": "Reference", "title": "Title", "supplier_name": "Supplier", "category": "Category",
        "cpv_code": "CPV code", "contract_kind": "Kind", "contract_value": "Value", "value_basis": "Value basis",
        "start_date": "Start", "end_date": "End", "spend_in_term": "Spend in term", "payments": "Payments",
        "allowed_percent": "Allowed (%)", "over_by": "Over value by", "over_percent": "Over value (%)",
        "matched_by": "Supplier matched by"})
    st.dataframe(table, hide_index=True, key="act_changes_table")
    ui.downloads(table, "possible-contract-changes", key="act_changes_download")

    st.subheader("Suppliers paid £30,000 or more with no contract")
    below = ui.query(act.below_threshold_without_contract)
    compliance = ui.query(on_contract.off_contract_supplier_years)
    cols2 = st.columns(2)
    cols2[0].metric("£30,000 or more, no contract (supplier-years)", f"{len(below):,}",
                   help=act.DEFINITIONS["below_threshold"])
    cols2[1].metric("Of which £100k or more (the compliance list)", f"{len(compliance):,}",
                   help=contracts.DEFINITIONS["off_contract"])
    st.caption(act.DEFINITIONS["below_threshold"] + " The £30,000 is applied to influenceable spend as published.")
    table = ui.money_columns(below, "total")[["financial_year", "supplier", "total", "payments", "categories",
                                               "departments", "contracts_in_register"]].rename(columns={
        "financial_year": "Financial year", "supplier": "Supplier", "total": "Influenceable spend",
        "payments": "Payments", "categories": "Categories", "departments": "Departments",
        "contracts_in_register": "Contracts in the register (other years)"})
    st.dataframe(table, hide_index=True, key="act_below_table")
    ui.downloads(table, "suppliers-30000-without-contract", key="act_below_download")
