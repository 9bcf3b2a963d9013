"""Contracts: the register, spend against contracts and the compliance list, SME / VCSE / local shares, and the
optional supplier list."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from sp_analysis import settings, ui
from sp_analysis.contracts import compare, on_contract, supplier_types, terms
from sp_analysis.contracts import register as contracts
from sp_analysis.contracts.register import DEFINITIONS, STATUSES, YES_NO_UNKNOWN, ContractFilters
from sp_analysis.definitions import IMPACT_GROUPS
from sp_analysis.ingest import supplier_list
from sp_analysis.ingest.errors import LoadError, NeedsSheet
from sp_analysis.output import charts, contract_charts
from sp_analysis.words import day, pounds, short_money, total

st.title("Contracts")
st.write("The contracts register classified into the same categories and impact levels as spend, the spend paid "
         "against each contract, the supplier-years over £100k with no live contract, the register beside the "
         "council's published contract notices, and how much of the spend goes to SMEs, the voluntary sector and "
         "local suppliers.")

today = dt.date.today()
style = ui.chart_style()
bands = ui.query(settings.value_bands)
options = ui.query(contracts.filter_options, today)


def share(value: float | None) -> str:
    return "n/a" if value is None or value != value else f"{value:.1%}"


register_tab, against_tab, notices_tab, sme_tab, list_tab = st.tabs(
    ["Register", "Spend against contracts", "Register and notices", "SME, VCSE and local", "Supplier list"])

with register_tab:
    if options["contracts"] == 0:
        st.info("The workspace holds no contracts register yet. Load your council's register on the Upload page "
                "(choose 'contracts'). The SME, VCSE and local shares need only spend files.")
    else:
        with st.expander("Filter the register", expanded=True):
            row1 = st.columns(4)
            departments = row1[0].multiselect("Department", options["departments"], key="contracts_f_department",
                                              placeholder="All departments")
            categories = row1[1].multiselect("Category", options["categories"], key="contracts_f_category",
                                             placeholder="All categories")
            impacts = row1[2].multiselect("Impact", IMPACT_GROUPS, key="contracts_f_impact", placeholder="All impact levels")
            value_bands = row1[3].multiselect("Contract value", [*bands.labels, terms.NO_VALUE],
                                              key="contracts_f_band", placeholder="All values")
            row2 = st.columns(4)
            routes = row2[0].multiselect("Procurement route", options["routes"], key="contracts_f_route",
                                         placeholder="All routes")
            sme = row2[1].multiselect("SME", YES_NO_UNKNOWN, key="contracts_f_sme", placeholder="Any")
            vcse = row2[2].multiselect("VCSE", YES_NO_UNKNOWN, key="contracts_f_vcse", placeholder="Any")
            statuses = row2[3].multiselect("Status", STATUSES, key="contracts_f_status", placeholder="Any status")
            search = st.text_input("Title, reference, supplier or description contains", key="contracts_f_search")
        filters = ContractFilters(
            departments=tuple(departments), categories=tuple(categories), impacts=tuple(impacts),
            value_bands=tuple(value_bands), routes=tuple(routes), sme=tuple(sme), vcse=tuple(vcse),
            statuses=tuple(statuses), search=search, bands=bands)
        register = ui.query(contracts.contract_register, today, filters)
        figures = contracts.register_figures(register)
        st.caption(f"Showing {ui.md(filters.describe())}: {len(register):,} of {options['contracts']:,} contracts; "
                   f"status as of {today:%-d %B %Y}.")
        cols: Sequence[Any] = st.columns(4)
        cols[0].metric("Contracts", f"{figures.contracts:,}")
        cols[1].metric("Contract value", short_money(figures.value),
                       help=f"{pounds(figures.value)}. " + DEFINITIONS["contract_value"])
        cols[2].metric("Live today", f"{figures.live:,}", help=DEFINITIONS["status"])
        cols[3].metric("£100k and over", f"{figures.over_line:,}", help=DEFINITIONS["value_band"])
        shown = ui.money_columns(register, "contract_value", "spend_in_term", "supplier_spend")
        for column in ("start_date", "end_date"):
            shown[column] = register[column].map(day)
        shown["extension_options"] = [
            "" if text is None else (f"{text} (not understood: counted as none)" if unread else f"{text} ({months} months)")
            for text, months, unread in zip(register["extension_options"], register["option_months"],
                                            register["options_unread"], strict=True)]
        table = shown[["reference", "title", "supplier_name", "department", "category", "impact_group", "contract_value",
                       "value_basis", "value_band", "start_date", "end_date", "extension_options", "status", "route",
                       "sme_label", "vcse_label", "spend_in_term", "supplier_spend", "matched_by", "placed_by", "source"]].rename(
            columns={"reference": "Reference", "title": "Title", "supplier_name": "Supplier", "department": "Department",
                     "category": "Category", "impact_group": "Impact", "contract_value": "Value",
                     "value_basis": "Value basis", "value_band": "Value band", "start_date": "Start",
                     "end_date": "End", "extension_options": "Extension options", "status": "Status",
                     "route": "Route", "sme_label": "SME", "vcse_label": "VCSE",
                     "spend_in_term": "Paid to supplier within term", "supplier_spend": "Paid to supplier (all loaded)",
                     "matched_by": "Supplier found in spend by", "placed_by": "Category from",
                     "source": "From"})
        st.dataframe(table, hide_index=True, key="contracts_register_table")
        ui.downloads(table, f"contracts-{filters.slug()}", key="contracts_register_download")
        st.caption(DEFINITIONS["contract_value"] + " " + DEFINITIONS["value_band"] + " " + DEFINITIONS["matching"])

        st.subheader("Totals")
        by_category = ui.query(contracts.contract_totals, today, filters, "category")
        if not by_category.empty:
            text = charts.ChartText("Contract value by category",
                                    f"Value of {filters.describe()}, coloured by impact",
                                    f"Source: {ui.council().whose('contracts register')} loaded in this workspace. "
                                    + DEFINITIONS["contract_value"], style=style)
            ui.show_chart(contract_charts.contract_value_by_category(by_category, text), key="contracts_by_category")
        # One above the other, each the page's width: side by side, a half-width table cuts its last columns.
        left = right = st.container()
        totals_names = {"contracts": "Contracts", "value": "Value", "live": "Live today", "without_value": "No value",
                        "impact_group": "Impact", "department": "Department", "category": "Category"}
        by_department = ui.query(contracts.contract_totals, today, filters, "department")
        left.markdown("**By department**")
        # Each count column at least as wide as its header, so 'No value' shows whole in the half-width tables.
        counts = {name: st.column_config.NumberColumn(format="localized", width=ui.fitted_width([], name))
                  for name in ("Contracts", "Live today", "No value")}
        left.dataframe(ui.money_columns(by_department, "value").rename(columns=totals_names), hide_index=True,
                       key="contracts_by_department_table", column_config=counts)
        by_impact = ui.query(contracts.contract_totals, today, filters, "impact")
        right.markdown("**By impact**")
        right.dataframe(ui.money_columns(by_impact, "value").rename(columns=totals_names), hide_index=True,
                        key="contracts_by_impact_table", column_config=counts)
        with st.expander("By category, as a table"):
            category_table = ui.money_columns(by_category, "value").rename(columns=totals_names)
            st.dataframe(category_table, hide_index=True, key="contracts_by_category_table", column_config=counts)
            ui.downloads(category_table, f"contracts-by-category-{filters.slug()}", key="contracts_by_category_download")

        st.subheader("Payments to a contract's supplier")
        if register.empty:
            st.caption("No contract matches the filters.")
        else:
            pick = st.selectbox(
                "Contract", register.index, key="contracts_pick",
                format_func=lambda i: f"{register.at[i, 'reference'] or ''} {register.at[i, 'title']} "
                                      f"({register.at[i, 'supplier_name']})")
            chosen = register.loc[pick]
            paid = ui.query(contracts.contract_payments, int(chosen["file_id"]), int(chosen["source_row"]))
            st.caption(f"{ui.md(chosen['title'])}: {day(chosen['start_date']) or 'no start date'} to "
                       f"{day(chosen['end_date']) or 'no end date'}"
                       + (f", extension options to {day(chosen['final_end'])}" if chosen["option_months"] else "")
                       + f". Supplier found in the spend by {ui.md(chosen['matched_by'])}.")
            cols = st.columns(len(contracts.POSITIONS))
            for col, position in zip(cols, contracts.POSITIONS, strict=True):
                col.metric(position, short_money(paid.totals[position]),
                           help=f"{pounds(paid.totals[position])} in {paid.counts[position]:,} payments.")
            payments = paid.payments.copy()
            payments["payment_date"] = payments["payment_date"].map(day)
            payments = ui.money_columns(payments, "amount").rename(columns={
                "payment_date": "Date", "supplier": "Supplier", "supplier_name": "Payee as published",
                "amount": "Amount", "financial_year": "Financial year", "department": "Department",
                "expense_type": "Expense type", "category": "Category", "impact": "Impact",
                "against_contract": "Against the contract", "source_file": "Source file", "source_line": "Line"})
            st.dataframe(payments, hide_index=True, key="contracts_payments_table", column_config=ui.fitted_columns(payments))
            ui.downloads(payments, f"payments-{chosen['reference'] or 'contract'}", key="contracts_payments_download")

with against_tab:
    st.write(DEFINITIONS["matching"])
    with_options = st.toggle("Count extension options as part of each contract's term", key="contracts_with_options",
                             help="Off: the published start and end dates. On: to the end of the last extension option, "
                                  "as if every option were taken up.")
    coverage = ui.query(on_contract.spend_against_contracts, include_extensions=with_options)
    if coverage.influenceable == 0:
        st.info("No influenceable spend is loaded yet. Load spend files on the Upload page.")
    else:
        cols = st.columns(3)
        cols[0].metric("Contracted share", share(coverage.share), help=DEFINITIONS["contracted_share"])
        cols[1].metric("Spend within a contract's term", short_money(coverage.contracted),
                       help=f"{pounds(coverage.contracted)} of influenceable net spend.")
        cols[2].metric("Influenceable spend", short_money(coverage.influenceable),
                       help=f"{pounds(coverage.influenceable)}. Spend in categories procurement can influence.")
        years = ", ".join(coverage.by_year["financial_year"])
        text = charts.ChartText("Influenceable spend within a contract's term, by year",
                                f"Net influenceable spend, financial years {years}; terms "
                                + ("with extension options" if with_options else "as published"),
                                "Source: spend files and contracts register loaded in this workspace.", style=style)
        ui.show_chart(contract_charts.contracted_share_by_year(coverage.by_year, text), key="contracts_coverage_chart")

        st.subheader("Supplier-years over £100k with no live contract")
        st.write(DEFINITIONS["off_contract"])
        off = ui.query(on_contract.off_contract_supplier_years, include_extensions=with_options)
        off_total = total(off["total"])
        cols = st.columns(2)
        cols[0].metric("Supplier-years", f"{len(off):,}")
        cols[1].metric("Their influenceable spend", short_money(off_total), help=pounds(off_total))
        off_shown = ui.money_columns(off, "total")
        off_table = off_shown[["financial_year", "supplier", "total", "contracts_in_register", "contract_terms",
                               "main_impact", "categories", "departments", "payments"]].rename(columns={
            "financial_year": "Financial year", "supplier": "Supplier", "total": "Influenceable spend",
            "payments": "Payments", "main_impact": "Main impact", "categories": "Categories (largest first)",
            "departments": "Departments (largest first)", "contracts_in_register": "Contracts in register",
            "contract_terms": "Their terms (none overlaps the year)"})
        off_table["Their terms (none overlaps the year)"] = off_table["Their terms (none overlaps the year)"].fillna("")
        off_table.insert(0, "Rank", range(1, len(off_table) + 1))
        st.dataframe(off_table, hide_index=True, key="contracts_off_contract_table",
                     column_config={"Payments": ui.COUNT_COLUMN, "Contracts in register": ui.COUNT_COLUMN})
        ui.downloads(off_table, "off-contract-supplier-years" + ("-with-options" if with_options else ""),
                     key="contracts_off_contract_download")

def blanks(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing cells shown (and downloaded) empty rather than as 'None'."""
    return frame.astype(object).where(frame.notna(), "")


with notices_tab:
    notice_words = ui.query(compare.notice_definitions)
    st.write("Contracts awarded in the notices your council publishes on Contracts Finder and Find a Tender (OCDS "
             "JSON, loaded on the Upload page as contracts), beside the register: where one has a contract the other "
             "lacks. " + notice_words["counting"])
    seen = ui.query(compare.compare_register_and_notices, today)
    if not seen.has_notices:
        st.info("No notices are loaded yet. Download your council's notices as OCDS JSON (release or record packages) "
                "from Contracts Finder or Find a Tender and load them on the Upload page, choosing 'contracts'.")
    else:
        st.caption(f"Notices loaded: {seen.notices:,} contracts (one per award and supplier), starting or awarded "
                   f"{day(seen.first) or 'no date'} to {day(seen.last) or 'no date'}. "
                   + ui.md(notice_words["matching"]))
        council = ui.query(settings.get_setting, "council_name")
        if len(seen.buyers) > 1 or (council and seen.buyers and seen.buyers[0][0].casefold() != council.casefold()):
            st.warning("The notices name " + ("these buyers" if len(seen.buyers) > 1 else "a buyer other than "
                       + ui.md(council)) + ": " + ui.md("; ".join(f"{b} ({n:,})" for b, n in seen.buyers))
                       + ". Every notice loaded is compared with the register; remove a notices file of another "
                       "body on the Upload page.")
        cols = st.columns(4)
        cols[0].metric("Contracts in notices", f"{seen.notices:,}")
        cols[1].metric("Matched to the register", f"{seen.matched:,}", help=notice_words["matching"])
        cols[2].metric("In the register, no notice", f"{len(seen.register_without_notice):,}",
                       help=notice_words["no_notice"])
        cols[3].metric("In a notice, not in the register", f"{len(seen.notices_without_register):,}",
                       help=notice_words["no_register"])

        st.subheader("In the register, with no notice")
        st.caption(ui.md(notice_words["no_notice"])
                   + (f" {seen.register_not_compared:,} register contracts of £30,000 or more have no start date, so "
                      "cannot be placed in the period: they are not compared." if seen.register_not_compared else ""))
        missing = ui.money_columns(seen.register_without_notice, "contract_value")
        for column in ("start_date", "end_date"):
            missing[column] = seen.register_without_notice[column].map(day)
        missing_table = blanks(missing).rename(columns={
            "reference": "Reference", "title": "Title", "supplier_name": "Supplier", "department": "Department",
            "category": "Category", "contract_value": "Value", "value_basis": "Value basis", "start_date": "Start",
            "end_date": "End", "route": "Route", "source_file": "Register file", "source_line": "Line"})
        st.dataframe(missing_table, hide_index=True, key="contracts_no_notice_table")
        ui.downloads(missing_table, "register-contracts-without-notice", key="contracts_no_notice_download")

        st.subheader("In a notice, not in the register")
        st.caption(ui.md(notice_words["no_register"]) + " They count as contracts on this page and on Renewals.")
        extra = ui.money_columns(seen.notices_without_register, "contract_value")
        for column in ("start_date", "end_date", "award_date"):
            extra[column] = seen.notices_without_register[column].map(day)
        extra_table = blanks(extra).rename(columns={
            "ocid": "Process id (ocid)", "notice_id": "Notice id", "title": "Title", "supplier_name": "Supplier",
            "company_number": "Company number", "buyer": "Buyer", "category": "Category", "contract_value": "Value",
            "start_date": "Start", "end_date": "End", "award_date": "Awarded", "cpv_code": "CPV",
            "source_file": "Notices file"})
        st.dataframe(extra_table, hide_index=True, key="contracts_no_register_table")
        ui.downloads(extra_table, "notices-without-register-entry", key="contracts_no_register_download")

        with st.expander(f"Matched: {seen.matched:,} register contracts with their notice"):
            pairs = ui.money_columns(seen.pairs, "register_value", "notice_value", "value_difference")
            for column in ("register_start", "notice_start", "register_end", "notice_end"):
                pairs[column] = seen.pairs[column].map(day)
            pairs_table = blanks(pairs).rename(columns={
                "matched_by": "Matched by", "reference": "Register reference", "ocid": "Process id (ocid)",
                "notice_id": "Notice id", "register_title": "Register title", "notice_title": "Notice title",
                "register_supplier": "Register supplier", "notice_supplier": "Notice supplier",
                "register_value": "Register value", "notice_value": "Notice value",
                "value_difference": "Notice minus register", "register_start": "Register start",
                "notice_start": "Notice start (or award)", "register_end": "Register end", "notice_end": "Notice end"})
            st.dataframe(pairs_table, hide_index=True, key="contracts_matched_table")
            ui.downloads(pairs_table, "register-matched-to-notices", key="contracts_matched_download")

with sme_tab:
    try:
        local = ui.query(terms.local_districts)
    except ValueError as exc:
        st.error(f"The local postcode districts setting cannot be read ({ui.md(exc)}); fix it on the Settings page.")
        local = terms.LocalDistricts()
    shares = ui.query(supplier_types.spend_shares)
    overall = shares[shares["financial_year"] == "All years"]
    if overall.empty or not overall["influenceable"].iloc[0]:
        st.info("No influenceable spend is loaded yet. Load spend files on the Upload page.")
    else:
        row = overall.iloc[0]
        st.caption(f"Shares of influenceable net spend ({pounds(row['influenceable'])}), all years loaded. "
                   + DEFINITIONS["sources"])
        cols = st.columns(3)
        for col, measure, label in zip(cols, ("sme", "vcse", "local"), ("SMEs", "VCSEs", "Local suppliers"),
                                       strict=True):
            if measure == "local" and not local.is_set:
                col.metric(label, "not set", help=DEFINITIONS["local"])
                col.caption("Set the local postcode districts on the Settings page to measure local spend.")
                continue
            col.metric(label, share(row[f"{measure}_share"]), f"status unknown: {share(row[f'{measure}_unknown_share'])}",
                       delta_color="off", delta_arrow="off",
                       help=f"{pounds(row[measure])} of influenceable spend. " + DEFINITIONS[measure])
            col.caption(DEFINITIONS[measure] + (f" Local: {ui.md(local.describe())}." if measure == "local" else "")
                        + f" Status unknown for {share(row[f'{measure}_unknown_share'])} "
                          f"({pounds(row[f'{measure}_unknown'])}).")
        measures = ("sme", "vcse", "local") if local.is_set else ("sme", "vcse")
        text = charts.ChartText("Influenceable spend with SMEs, VCSEs and local suppliers",
                                "Share of net influenceable spend by financial year; unknown = no source gives the status",
                                "Source: spend files, contracts register and supplier list loaded in this workspace.",
                                style=style)
        ui.show_chart(contract_charts.supplier_shares(shares, text, measures), key="contracts_shares_chart")

        def share_table(frame: pd.DataFrame, first: str, total: str) -> pd.DataFrame:
            out = pd.DataFrame({first: frame["financial_year"], total: frame["influenceable"].map(pounds)})
            for measure, name in (("sme", "SME"), ("vcse", "VCSE"), ("local", "Local")):
                if measure == "local" and not local.is_set:
                    continue
                out[name] = frame[f"{measure}_share"].map(share)
                out[f"{name} unknown"] = frame[f"{measure}_unknown_share"].map(share)
            return out

        st.markdown("**Share of influenceable spend, by financial year**")
        spend_table = share_table(shares, "Financial year", "Influenceable spend")
        st.dataframe(spend_table, hide_index=True, key="contracts_spend_shares_table")
        ui.downloads(spend_table, "sme-vcse-local-spend", key="contracts_spend_shares_download")

        value_shares = ui.query(supplier_types.contract_value_shares)
        st.markdown("**Share of contract value, by the financial year contracts start**")
        st.caption("Contracts in influenceable categories with a value. A contract's own SME / VCSE flag in the register "
                   "comes first, then its supplier's status. " + DEFINITIONS["contract_value"])
        value_table = share_table(value_shares, "Contracts starting in", "Contract value")
        st.dataframe(value_table, hide_index=True, key="contracts_value_shares_table")
        ui.downloads(value_table, "sme-vcse-local-contract-value", key="contracts_value_shares_download")

        with st.expander("Where each status comes from"):
            sources = ui.query(supplier_types.status_sources)
            st.dataframe(ui.money_columns(sources, "spend").rename(columns={
                "measure": "Measure", "source": "Source", "suppliers": "Suppliers", "spend": "Influenceable spend"}),
                hide_index=True, key="contracts_sources_table", column_config={"Suppliers": ui.COUNT_COLUMN})
            status = ui.query(supplier_types.supplier_status)
            ui.downloads(status, "supplier-status", key="contracts_status_download")

with list_tab:
    st.write("An optional list of your suppliers with their postcode, company number and SME and VCSE status (CSV or "
             "XLSX). Columns are found by their names: supplier id or name, and any of postcode, company number, SME, "
             "VCSE. Each list replaces the one before; a file with an unreadable line is refused whole, naming the line.")
    notice = st.session_state.pop("contracts_list_notice", None)
    if notice:
        st.success(ui.md(notice))
    current = ui.query(supplier_list.current_upload)
    if current is None:
        st.caption("No supplier list loaded.")
    else:
        st.caption(f"In force: {ui.md(current['name'])}, {current['rows']:,} suppliers, loaded {current['loaded_at']}.")
    sheets = st.session_state.get("contracts_list_sheets")
    upload, submitted, sheet = None, False, None
    if ui.can_edit():  # the uploader is only offered to editors
        with st.form("contracts_list_form", clear_on_submit=False):
            upload = st.file_uploader("Supplier list", type=["csv", "xlsx", "xls"], key="contracts_list_file")
            sheet = st.selectbox("Sheet", sheets, key="contracts_list_sheet") if sheets else None
            submitted = st.form_submit_button("Load the supplier list", key="contracts_list_submit")
    else:
        st.caption("Only the workspace's editors can load a supplier list.")
    if submitted and upload is not None:
        try:
            result = supplier_list.load_supplier_attributes(ui.workspace(), upload.name, upload.getvalue(),
                                                                  sheet=sheet)
        except NeedsSheet as exc:
            st.session_state["contracts_list_sheets"] = list(exc.sheets)
            st.warning(ui.md(exc.message) + " Choose the sheet and load again.")
        except LoadError as exc:
            st.error(ui.md(exc.message))
        else:
            st.session_state.pop("contracts_list_sheets", None)
            st.session_state["contracts_list_notice"] = result.describe() + "."
            st.rerun()
    elif submitted:
        st.warning("Choose a file first.")
    if current is not None:
        with st.expander("The supplier list in force"):
            listed = ui.query(supplier_list.supplier_attributes_table)
            st.dataframe(listed, hide_index=True, key="contracts_list_table")
        if st.button("Remove the supplier list", key="contracts_list_clear", disabled=not ui.can_edit()):
            removed = supplier_list.clear_supplier_attributes(ui.workspace())
            st.session_state["contracts_list_notice"] = f"Removed the supplier list ({removed:,} suppliers)."
            st.rerun()
