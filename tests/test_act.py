"""The Procurement Act 2023 duties (sp_analysis/contracts/act.py): every figure against a computation in plain Python over the
fixture's own rows, with the edges the Act draws (day 30 and day 31, the £100m line, the 18-month window, £2m,
£30,000 with and without VAT, 10% and 15%), and the page under AppTest."""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sp_analysis.contracts import act
from sp_analysis.ingest.columns import map_header
from sp_analysis.ingest.load import load_file
from sp_analysis.spend.classify import import_categories_csv, import_rules_csv
from sp_analysis.summary import build_summary
from sp_analysis.workspace import Workspace, close_workspace, open_workspace
from tests.conftest import ROOT, RULES_CSV, TAXONOMY, TAXONOMY_CSV

PAGE = str(ROOT / "views" / "procurement_act.py")
TODAY = dt.date(2026, 12, 2)

# (payment date, received date or None, supplier id, name, amount, expense type)
LINES: list[tuple[dt.date, dt.date | None, str, str, str, str]] = [
    # the payments compliance period 1 January to 31 March 2026
    (dt.date(2026, 2, 1), dt.date(2026, 1, 2), "S1", "Brightway Care Ltd", "1000.00", "Residential Care"),  # Friday, day 30
    (dt.date(2026, 2, 2), dt.date(2026, 1, 2), "S1", "Brightway Care Ltd", "2000.00", "Residential Care"),  # day 31
    (dt.date(2026, 1, 10), dt.date(2026, 1, 10), "S1", "Brightway Care Ltd", "500.00", "Residential Care"),  # day 0
    (dt.date(2026, 3, 2), dt.date(2026, 1, 1), "S2", "Paperclip Stationers", "300.00", "Stationery"),  # day 60
    (dt.date(2026, 3, 3), dt.date(2026, 1, 1), "S2", "Paperclip Stationers", "400.00", "Stationery"),  # day 61
    (dt.date(2026, 3, 20), dt.date(2026, 3, 1), "S2", "Paperclip Stationers", "-50.00", "Stationery"),  # credit note
    (dt.date(2026, 3, 21), dt.date(2026, 3, 1), "S9", "County Pension Fund", "9000.00", "Pension Contributions"),
    (dt.date(2026, 3, 25), None, "S2", "Paperclip Stationers", "700.00", "Stationery"),  # no received date
    # received 1 March, payable 31 March (in the period), paid in April: not paid in the period
    (dt.date(2026, 4, 15), dt.date(2026, 3, 1), "S2", "Paperclip Stationers", "800.00", "Stationery"),
    # payments over £30,000 under C30K (started 1 April 2026)
    (dt.date(2026, 5, 1), dt.date(2026, 4, 20), "S3", "Northfield Consulting", "30000.00", "Consultancy Fees"),
    (dt.date(2026, 5, 2), dt.date(2026, 4, 20), "S3", "Northfield Consulting", "30000.01", "Consultancy Fees"),
    (dt.date(2026, 6, 30), dt.date(2026, 6, 1), "S3", "Northfield Consulting", "25000.00", "Consultancy Fees"),
    (dt.date(2026, 7, 1), dt.date(2026, 6, 1), "S3", "Northfield Consulting", "25000.01", "Consultancy Fees"),
    (dt.date(2026, 3, 31), dt.date(2026, 3, 1), "S3", "Northfield Consulting", "40000.00", "Consultancy Fees"),
    # contract changes: CG (goods, £100,000) paid exactly 10% over; CG2 1p more; CW (works, CPV 45) 15% + 1p
    (dt.date(2025, 6, 1), None, "S4", "Goodsco Ltd", "110000.00", "Stationery"),
    (dt.date(2025, 6, 1), None, "S5", "Goodsmore Ltd", "110000.01", "Stationery"),
    (dt.date(2025, 6, 1), None, "S6", "Buildwell Ltd", "115000.01", "Building Repairs"),
    # the renewal with no value: its supplier's run rate (12 months to the latest payment) is £2,500,000.00
    (dt.date(2025, 8, 1), None, "S7", "Bigbin Waste Ltd", "2500000.00", "Waste Collection"),
]
REGISTER = (
    "Reference Number,Contract Title,Supplier Name,Supplier ID,Contract Value (Whole Life),Start Date,End Date,"
    "Procurement Route,CPV Code\n"
    "C30K,Advice,Northfield Consulting,S3,\"£500,000.00\",01/04/2026,31/03/2028,Tender,79400000-8\n"
    "CG,Paper,Goodsco Ltd,S4,\"£100,000.00\",01/04/2025,31/03/2026,Quote,30192000-1\n"
    "CG2,Paper,Goodsmore Ltd,S5,\"£100,000.00\",01/04/2025,31/03/2026,Quote,30192000-1\n"
    "CW,Repairs,Buildwell Ltd,S6,\"£100,000.00\",01/04/2025,31/03/2026,Quote,45453000-7\n"
    # pipeline: ends 30 Sep 2027, £500k+ lead time 18 months -> intervention 31 Mar 2026 (before the window)
    "PA,Care homes,Brightway Care Ltd,S1,\"£3,000,000.00\",01/10/2020,30/09/2027,Framework,85311000-2\n"
    # ends 1 Oct 2027 -> intervention 1 Apr 2026: the window's first day
    "PB,Waste,Bigbin Waste Ltd,S7,,01/10/2020,01/10/2027,Tender,90500000-2\n"
    # ends 31 Mar 2029 -> intervention 30 Sep 2027: the window's last day; exactly £2m is not more than £2m
    "PC,Stationery,Paperclip Stationers,S2,\"£2,000,000.01\",01/04/2024,31/03/2029,Tender,30192000-1\n"
    "PD,Stationery 2,Paperclip Stationers,S2,\"£2,000,000.00\",01/04/2024,31/03/2029,Tender,30192000-1\n"
    # ends 1 Apr 2029 -> intervention 1 Oct 2027: after the window
    "PE,Transport,Brightway Care Ltd,S1,\"£9,000,000.00\",01/04/2024,01/04/2029,Tender,60130000-8\n"
    # a contract over £5m under the Act, rated 15 January 2026; one ending before 12 months are up
    "K1,Big care,Brightway Care Ltd,S1,\"£6,000,000.00\",01/03/2025,28/02/2030,Tender,85311000-2\n"
    "K2,Big waste,Bigbin Waste Ltd,S7,\"£7,000,000.00\",01/06/2025,31/05/2026,Tender,90500000-2\n"
    "K3,Old big,Bigbin Waste Ltd,S7,\"£8,000,000.00\",01/06/2020,31/05/2030,Tender,90500000-2\n"
)


def spend_csv(lines: list[tuple[dt.date, dt.date | None, str, str, str, str]], with_received: bool = True) -> bytes:
    head = "Date,Supplier Name,Supplier ID,Amount,Expense Type" + (",Invoice Received Date" if with_received else "")
    rows = [head]
    for paid, received, sid, name, amount, etype in lines:
        row = f"{paid:%d/%m/%Y},{name},{sid},{amount},{etype}"
        if with_received:
            row += f",{received:%d/%m/%Y}" if received else ","
        rows.append(row)
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture
def loaded(workspace_path: Path) -> Workspace:
    ws = open_workspace(workspace_path)
    import_categories_csv(ws, TAXONOMY_CSV)
    import_rules_csv(ws, RULES_CSV)
    load_file(ws, "spend.csv", spend_csv(LINES), "spend")
    load_file(ws, "register.csv", REGISTER.encode(), "contracts")
    return ws


def influenceable(etype: str) -> bool:
    from tests.conftest import EXPENSE_TYPES

    return TAXONOMY[EXPENSE_TYPES[etype]][1]


# --- thresholds ---------------------------------------------------------------------------------------------------


def test_thresholds_are_seeded_with_their_sources(ws: Workspace) -> None:
    table = act.thresholds_table(ws).set_index("key")
    assert table.loc["threshold_goods_services", "amount"] == Decimal("207720.00")
    assert table.loc["threshold_goods_services", "effective_from"] == dt.date(2026, 1, 1)
    assert "SI 2025/1200" in table.loc["threshold_goods_services", "source"]
    assert table.loc["pipeline_trigger", "amount"] == Decimal("100000000.00")
    assert table.loc["pipeline_trigger", "source"] == "Procurement Act 2023, s.93(1)"
    assert table.loc["payments_compliance_start", "effective_from"] == dt.date(2026, 1, 1)
    assert (table["source"].str.len() > 0).all()


def test_a_threshold_change_is_a_data_change(ws: Workspace) -> None:
    act.set_threshold(ws, "pipeline_contract", "2,500,000", dt.date(2027, 1, 1), "A later instrument, reg. 1")
    limits = act.load_thresholds(ws)
    assert limits.amount("pipeline_contract") == Decimal("2500000.00")
    assert limits.date("pipeline_contract") == dt.date(2027, 1, 1)
    with pytest.raises(ValueError, match="comes from"):
        act.set_threshold(ws, "pipeline_contract", "1", None, " ")
    with pytest.raises(ValueError, match="not a number"):
        act.set_threshold(ws, "pipeline_contract", "lots", None, "x")
    with pytest.raises(ValueError, match="whole number"):
        act.set_threshold(ws, "pipeline_days", "56.5", None, "x")


def test_a_version_8_workspace_gains_the_notice_matching_rows(tmp_path: Path) -> None:
    """Migration 9 adds the comparison's two matching tolerances to the thresholds and keeps the rows already
    there as the council left them."""
    import duckdb

    from sp_analysis.workspace import MIGRATIONS, SCHEMA_VERSION

    assert SCHEMA_VERSION >= 9
    path = tmp_path / "v8.duckdb"
    raw = duckdb.connect(str(path))
    raw.execute("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)")
    for version in range(1, 9):
        raw.execute(MIGRATIONS[version])
        raw.execute("INSERT INTO schema_version VALUES ($v, now())", {"v": version})
    raw.execute("UPDATE act_thresholds SET amount = 2500000, source = 'changed before' WHERE key = 'pipeline_contract'")
    raw.close()
    ws = open_workspace(path)
    try:
        table = act.thresholds_table(ws).set_index("key")
        assert table.loc["notice_match_days", "amount"] == Decimal("31.00")
        assert table.loc["notice_match_days", "unit"] == "days"
        assert table.loc["notice_match_value", "amount"] == Decimal("10.00")
        assert table.loc["notice_match_value", "unit"] == "percent"
        assert "not set in law" in table.loc["notice_match_value", "source"]
        assert table.loc["pipeline_contract", "amount"] == Decimal("2500000.00")  # kept
        assert list(table.index)[-2:] == ["notice_match_days", "notice_match_value"] and len(table) == 21
    finally:
        close_workspace(path)


def test_received_and_invoice_date_headers_map() -> None:
    for header in ("Invoice Received Date", "Date Received", "Received Date", "Date Invoice Received"):
        assert map_header(["Payment Date", "Supplier Name", "Amount", header], "spend").get("received_date") == 3, header
    mapped = map_header(["Payment Date", "Supplier Name", "Amount", "Invoice Date"], "spend")
    assert mapped.get("invoice_date") == 3 and mapped.get("payment_date") == 0


# --- 2. payments compliance ----------------------------------------------------------------------------------------


def expected_performance(start: dt.date, end: dt.date) -> dict[str, object]:
    scope = [(p, r, Decimal(a)) for p, r, _s, _n, a, e in LINES
             if influenceable(e) and Decimal(a) > 0]
    paid = [(p - r).days for p, r, _a in scope if r is not None and start <= p <= end]
    payable = [(p, r) for p, r, _a in scope if r is not None and start <= r + dt.timedelta(days=30) <= end]
    return {
        "paid": len(paid), "total_days": sum(paid),
        "bands": (sum(d <= 30 for d in paid), sum(31 <= d <= 60 for d in paid), sum(d >= 61 for d in paid)),
        "without": sum(1 for p, r, _a in scope if r is None and start <= p <= end),
        "payable": len(payable), "not_paid": sum(1 for p, _r in payable if p > end),
    }


def test_payment_performance_counts_days_from_the_day_after_receipt(loaded: Workspace) -> None:
    start, end = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
    assert act.reporting_periods(loaded)[-1] == (start, end)  # the first period: January to March 2026
    assert act.reporting_periods(loaded)[0] == (dt.date(2026, 4, 1), dt.date(2026, 9, 30))
    perf = act.payment_performance(loaded, start, end)
    want = expected_performance(start, end)
    assert perf.paid == want["paid"] == 6  # 30, 31, 0, 60, 61 (Jan-Mar) and the £40,000 line (day 30)
    assert perf.total_days == want["total_days"]
    assert perf.bands == want["bands"] == (3, 2, 1)  # day 30 is in 1-30, day 31 in 31-60, day 61 in 61+
    assert perf.without_received == want["without"] == 1
    assert perf.average_days == (Decimal(want["total_days"]) / 6).quantize(Decimal("0.1"))  # type: ignore[operator]
    assert (perf.became_payable, perf.not_paid_in_period) == (want["payable"], want["not_paid"])
    assert perf.not_paid_in_period == 1  # received 1 March, payable 31 March, paid 15 April
    assert perf.not_paid_share == 1 / want["payable"]  # type: ignore[operator]
    assert perf.due == dt.date(2026, 4, 29)  # 30 days beginning with 31 March
    statement = act.draft_statement(perf, "Testshire Council", "A. Person", "Director of Finance")
    assert "Name: A. Person" in statement and "Job title: Director of Finance" in statement
    assert f"{perf.bands[0] / 6:.1%} were paid within 30 days" in statement


def test_the_day_count_on_a_friday_receipt() -> None:
    friday = dt.date(2026, 1, 2)
    assert friday.weekday() == 4
    assert (dt.date(2026, 2, 1) - friday).days == 30 and (dt.date(2026, 2, 2) - friday).days == 31


def test_a_file_without_received_dates_says_which_column_is_missing(workspace_path: Path) -> None:
    ws = open_workspace(workspace_path)
    import_categories_csv(ws, TAXONOMY_CSV)
    import_rules_csv(ws, RULES_CSV)
    load_file(ws, "no-received.csv", spend_csv(LINES[:5], with_received=False), "spend")
    perf = act.payment_performance(ws, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert perf.average_days is None and perf.shares is None
    assert "invoice received date is missing" in perf.missing and "no-received.csv" in perf.missing
    assert "Invoice Received Date" in perf.missing


# --- 1. the pipeline notice ----------------------------------------------------------------------------------------


def test_the_pipeline_trigger_line_exactly(loaded: Workspace) -> None:
    trigger = act.pipeline_trigger(loaded, 2026)
    this_year = [Decimal(a) for p, _r, _s, _n, a, e in LINES if influenceable(e) and dt.date(2025, 4, 1) <= p
                 <= dt.date(2026, 3, 31)]
    months = {(p.year, p.month) for p, _r, _s, _n, _a, e in LINES if influenceable(e)
              and dt.date(2025, 4, 1) <= p <= dt.date(2026, 3, 31)}
    estimate = (sum(this_year, Decimal(0)) * 12 / len(months)).quantize(Decimal("0.01"))
    assert trigger.this_year_months == len(months) and trigger.estimate == estimate
    assert (trigger.window_start, trigger.window_end) == (dt.date(2026, 4, 1), dt.date(2027, 9, 30))
    assert trigger.due == dt.date(2026, 5, 26)  # 56 days beginning with 1 April
    act.set_threshold(loaded, "pipeline_trigger", str(estimate), dt.date(2025, 2, 24), "test")
    assert not act.pipeline_trigger(loaded, 2026).crossed  # exactly on the line is not more than it
    act.set_threshold(loaded, "pipeline_trigger", str(estimate - Decimal("0.01")), dt.date(2025, 2, 24), "test")
    assert act.pipeline_trigger(loaded, 2026).crossed
    # no month of the year in progress loaded: last year's total stands
    later = act.pipeline_trigger(loaded, 2028)
    assert later.this_year_months == 0 and later.estimate == later.last_year_total


def test_due_by_and_overdue_since() -> None:
    due = dt.date(2026, 5, 26)  # 56 days beginning with 1 April 2026
    assert act.due_wording(due, dt.date(2026, 4, 1)) == "due by 26 May 2026"
    assert act.due_wording(due, due) == "due by 26 May 2026"  # the last day is still in time
    assert act.due_wording(due, dt.date(2026, 5, 27)) == "past its deadline of 26 May 2026 (check that it was published)"
    assert act.due_wording(due, TODAY) == "past its deadline of 26 May 2026 (check that it was published)"


def test_the_trigger_says_which_years_it_reads_and_why(loaded: Workspace) -> None:
    # the fixture's payments run from June 2025 to July 2026
    months_2026 = len({(p.year, p.month) for p, _r, _s, _n, _a, e in LINES if influenceable(e)
                       and dt.date(2026, 4, 1) <= p <= dt.date(2027, 3, 31)})
    words = act.pipeline_trigger(loaded, 2027).years_used()
    assert words.startswith("The 2027/28 notice is prepared before 1 April 2027, while 2026/27 is in progress: "
                            "2025/26 is then the last complete financial year")
    assert f"over the {months_2026} months loaded, x 12 / {months_2026}." in words
    later = act.pipeline_trigger(loaded, 2029).years_used()
    assert later.endswith("but no month of it is loaded, so 2027/28's total stands in for it.")


def test_the_page_says_due_by_or_overdue_since_as_at_today(loaded: Workspace) -> None:
    act.set_threshold(loaded, "pipeline_trigger", "1", None, "test: a line the fixture crosses")
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    today = dt.date.today()  # the page's as-at date
    for year in (2026, 2027):
        at.selectbox(key="act_year").set_value(year)
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        trigger = act.pipeline_trigger(loaded, year)
        wording = act.due_wording(trigger.due, today)
        assert wording.startswith("past its deadline" if today > trigger.due else "due by")
        text = " ".join(m.value for m in at.markdown)
        assert f"the pipeline notice is {wording}, as at {today:%-d %B %Y}." in text
        captions = " ".join(c.value for c in at.caption)
        assert f"{act.fy_label(year - 2)} is then the last complete financial year" in captions
        labels = {m.label for m in at.metric}
        assert f"{act.fy_label(year - 2)}: last complete year" in labels
        assert f"{act.fy_label(year - 1)}: year in progress ({trigger.this_year_months} months loaded)" in labels
    # the £30,000 tab sums each quarter's list: from the fixture's lines under C30K (VAT added before the test)
    quarters: dict[str, list[Decimal]] = {}
    for p, _r, sid, _n, a, _e in LINES:
        if sid == "S3" and p >= dt.date(2026, 4, 1) and Decimal(a) * Decimal("1.2") > 30000:
            quarters.setdefault(f"Q{(p.month - 4) // 3 + 1} 2026/27", []).append(Decimal(a))
    due = {"Q1 2026/27": dt.date(2026, 7, 29), "Q2 2026/27": dt.date(2026, 10, 29)}
    text = " ".join(m.value for m in at.markdown)
    for quarter, amounts in quarters.items():
        assert (f"**{quarter}: {len(amounts)} payment{'s' if len(amounts) != 1 else ''} worth "
                f"£{sum(amounts, Decimal(0)):,.2f}** under 1 contract, list {act.due_wording(due[quarter], today)}"
                in text), quarter


def test_the_pipeline_list_and_its_window_edges(loaded: Workspace) -> None:
    planned = pd.DataFrame([
        {"title": "First day", "estimated_value": "3000000", "notice_date": dt.date(2026, 4, 1), "lots": 2,
         "framework": True, "cpv_code": "45000000-7"},
        {"title": "Last day", "estimated_value": "3000000", "notice_date": dt.date(2027, 9, 30)},
        {"title": "Day before", "estimated_value": "3000000", "notice_date": dt.date(2026, 3, 31)},
        {"title": "Day after", "estimated_value": "3000000", "notice_date": dt.date(2027, 10, 1)},
        {"title": "Exactly 2m", "estimated_value": "2000000.00", "notice_date": dt.date(2026, 6, 1)},
    ])
    assert act.save_planned(loaded, planned) == 5
    listed = act.pipeline_contracts(loaded, 2026)
    assert list(listed["reference"]) == ["PB", "PLAN-1", "PC", "PLAN-2"]
    rows = listed.set_index("reference")
    assert rows.loc["PB", "estimated_value"] == Decimal("2500000.00")  # no register value: the run rate
    assert rows.loc["PB", "value_basis"].startswith("run rate of actual spend with the supplier")
    assert rows.loc["PB", "expected_notice_date"] == dt.date(2026, 4, 1)
    assert rows.loc["PC", "expected_notice_date"] == dt.date(2027, 9, 30)
    assert rows.loc["PC", "value_basis"].startswith("contract register")
    assert rows.loc["PLAN-1", "lots"] == 2 and rows.loc["PLAN-1", "framework"]
    export = act.notice_export(listed)
    assert list(export.columns) == list(act.NOTICE_FIELDS.values())
    assert export.loc[0, "Estimated value (£)"] == Decimal("2500000.00")
    assert export.loc[1, "Framework"] == "Yes" and export.loc[1, "Main CPV code"] == "45000000-7"
    with pytest.raises(ValueError, match=r"line 1 .*notice date"):
        act.save_planned(loaded, pd.DataFrame([{"title": "No date", "estimated_value": "1"}]))
    assert len(act.planned_procurements(loaded)) == 5  # a refused save keeps what was there


def test_planned_references_are_stable_across_saves(loaded: Workspace) -> None:
    first = pd.DataFrame([
        {"title": "Depot", "estimated_value": "4000000", "notice_date": dt.date(2026, 6, 1)},
        {"title": "Fleet", "estimated_value": "3000000", "notice_date": dt.date(2026, 7, 1)},
        {"title": "Libraries", "estimated_value": "2500000", "notice_date": dt.date(2026, 8, 1)},
    ])
    act.save_planned(loaded, first)
    saved = act.planned_procurements(loaded).set_index("title")["planned_id"].to_dict()
    assert sorted(saved.values()) == [1, 2, 3]
    # saved again as the page sends it (each saved row with its planned_id): nothing is renumbered
    again = act.planned_procurements(loaded)
    act.save_planned(loaded, again)
    assert act.planned_procurements(loaded).set_index("title")["planned_id"].to_dict() == saved
    # a row edited, one deleted and one added: the kept rows keep their numbers, only the new row draws one
    edited = act.planned_procurements(loaded)
    edited = edited[edited["title"] != "Fleet"].copy()
    edited.loc[edited["title"] == "Depot", "estimated_value"] = Decimal("4500000.00")
    edited = pd.concat([edited, pd.DataFrame([{"title": "Schools", "estimated_value": "6000000",
                                               "notice_date": dt.date(2026, 9, 1)}])], ignore_index=True)
    act.save_planned(loaded, edited)
    after = act.planned_procurements(loaded).set_index("title")["planned_id"].to_dict()
    assert after == {"Depot": saved["Depot"], "Libraries": saved["Libraries"], "Schools": 4}
    listed = act.pipeline_contracts(loaded, 2026).set_index("title")
    assert listed.loc["Depot", "reference"] == f"PLAN-{saved['Depot']}"
    assert listed.loc["Depot", "estimated_value"] == Decimal("4500000.00")
    assert listed.loc["Schools", "reference"] == "PLAN-4"
    with pytest.raises(ValueError, match="PLAN-99 is not one this workspace gave"):
        act.save_planned(loaded, pd.DataFrame([{"planned_id": 99, "title": "X", "estimated_value": "1",
                                                "notice_date": dt.date(2026, 9, 1)}]))
    with pytest.raises(ValueError, match="appears twice"):
        act.save_planned(loaded, pd.concat([act.planned_procurements(loaded)] * 2, ignore_index=True))
    assert act.planned_procurements(loaded).set_index("title")["planned_id"].to_dict() == after  # refused: kept


# --- 3. payments over £30,000 --------------------------------------------------------------------------------------


def test_payments_over_30000_with_and_without_vat(loaded: Workspace) -> None:
    with_vat = act.payments_over_30k(loaded, amounts_exclude_vat=True)
    as_published = act.payments_over_30k(loaded, amounts_exclude_vat=False)
    under_c30k = [(p, Decimal(a)) for p, _r, s, _n, a, _e in LINES if s == "S3" and p >= dt.date(2026, 4, 1)]
    assert list(as_published["amount"]) == [a for _p, a in under_c30k if a > 30000]
    assert list(with_vat["amount"]) == [a for _p, a in under_c30k if a * Decimal("1.2") > 30000]
    assert list(with_vat["amount"]) == [Decimal("30000.00"), Decimal("30000.01"), Decimal("25000.01")]
    assert list(with_vat["test"]) == ["more than £30,000 once VAT at 20% is added", "more than £30,000 as published",
                                      "more than £30,000 once VAT at 20% is added"]
    assert set(with_vat["contract_reference"]) == {"C30K"} and set(with_vat["matched_by"]) == {"supplier id"}
    assert list(with_vat["quarter"]) == ["Q1 2026/27", "Q1 2026/27", "Q2 2026/27"]
    assert list(with_vat["publish_by"]) == [dt.date(2026, 7, 29), dt.date(2026, 7, 29), dt.date(2026, 10, 29)]


# --- 4. contracts over £5m -----------------------------------------------------------------------------------------


def test_kpi_notices_due_and_overdue(loaded: Workspace) -> None:
    kpis = pd.DataFrame([
        {"contract_reference": "K1", "kpi": k, "target": "t", "rated_on": dt.date(2026, 1, 15), "rating": "good"}
        for k in ("A", "B", "C")] + [
        {"contract_reference": "K3", "kpi": "A", "target": "", "rated_on": None, "rating": None}])
    assert act.save_kpis(loaded, kpis) == 4
    notices = act.kpi_notices(loaded, TODAY).set_index("reference")
    assert notices.loc["K1", "next_due"] == dt.date(2027, 1, 15) and notices.loc["K1", "kpis"] == 3
    assert notices.loc["K1", "status"] == "Due next quarter (Q4 2026/27)" and not notices.loc["K1", "kpi_shortfall"]
    assert notices.loc["K2", "next_due"] == dt.date(2026, 5, 31)  # on termination, before 12 months are up
    assert notices.loc["K2", "due_because"] == "on termination (end date)" and notices.loc["K2", "status"] == "Overdue"
    assert notices.loc["K3", "next_due"] == dt.date(2027, 1, 1)  # older contract, KPI registered: from 1 Jan 2026
    assert notices.loc["K3", "kpi_shortfall"]
    assert "C30K" not in notices.index  # under £5m
    with pytest.raises(ValueError, match="not one of"):
        act.save_kpis(loaded, pd.DataFrame([{"contract_reference": "K1", "kpi": "A", "rated_on": TODAY,
                                             "rating": "Excellent"}]))


def test_kpi_file_upload(loaded: Workspace) -> None:
    data = b"Contract Reference,KPI,Target,Rated On,Rating\nK1,On time,95%,15/01/2026,Good\nK1,Complaints,90%,,\n"
    frame = act.read_kpi_file(data, "kpis.csv")
    assert list(frame["rated_on"]) == [dt.date(2026, 1, 15), None]
    with pytest.raises(ValueError, match="no column for rating"):
        act.read_kpi_file(b"Contract Reference,KPI,Rated On\nK1,A,2026-01-01\n", "bad.csv")


# --- 5. contract changes and the below-threshold line -------------------------------------------------------------


def test_contract_changes_over_10_and_15_per_cent(loaded: Workspace) -> None:
    changes = act.contract_changes(loaded, TODAY).set_index("reference")
    assert "CG" not in changes.index  # exactly 10% over is not more than 10%
    assert changes.loc["CG2", "over_by"] == Decimal("10000.01") and changes.loc["CG2", "contract_kind"] == "goods or services"
    assert changes.loc["CW", "over_by"] == Decimal("15000.01") and changes.loc["CW", "contract_kind"] == "works"
    assert changes.loc["CW", "allowed_percent"] == Decimal("15.00")


def test_suppliers_over_30000_without_a_contract(loaded: Workspace) -> None:
    below = act.below_threshold_without_contract(loaded)
    years: dict[tuple[str, int], Decimal] = {}
    for p, _r, s, _n, a, e in LINES:
        if influenceable(e):
            fy = p.year if p.month >= 4 else p.year - 1
            years[(s, fy)] = years.get((s, fy), Decimal(0)) + Decimal(a)
    # S3 in 2025/26 (£40,000 on 31 March 2026, before C30K starts) is the only supplier-year of £30,000 or more
    # with no contract whose term overlaps the year
    assert years[("S3", 2025)] == Decimal("40000.00")
    assert list(zip(below["financial_year"], below["total"], strict=True)) == [("2025/26", Decimal("40000.00"))]


# --- summary, pack and page ----------------------------------------------------------------------------------------


def test_summary_json_carries_the_act_figures(loaded: Workspace) -> None:
    summary = json.loads(json.dumps(build_summary(loaded, TODAY)))
    figures = summary["procurement_act"]
    assert figures["pipeline_trigger"]["notice_financial_year"] == "2027/28"  # after the latest payment's year
    assert figures["payment_performance"]["period_start"] == "2026-04-01"
    listed = act.pipeline_contracts(loaded, 2027)
    assert figures["pipeline_contracts"]["count"] == len(listed)


def test_pack_table(loaded: Workspace) -> None:
    table = act.pack_table(loaded, TODAY)
    assert table["Duty"].iloc[0] == "Pipeline notice (s.93)"
    rows = table.set_index("Duty")["Basis"]
    trigger, perf = act.pipeline_trigger(loaded, 2027), act.latest_performance(loaded)
    assert perf is not None
    assert f"If required, {act.due_wording(trigger.due, TODAY)} as at 2 December 2026." in rows["Pipeline notice (s.93)"]
    assert "due by 26 May 2027" in rows["Pipeline notice (s.93)"]  # 2027/28's notice, after the fixture's 2026/27 spend
    assert f"the notice is {act.due_wording(perf.due, TODAY)}" in rows["Payments compliance (s.69)"]
    assert "past its deadline of 29 October 2026" in rows["Payments compliance (s.69)"]  # April to September 2026's notice
    assert "Contracts over £5m: performance notices (s.71)" in list(table["Duty"])
    notices = act.pack_kpi_notices(loaded, TODAY)
    # K2 ended 31 May 2026 unrated: overdue; K1 (no KPI recorded here) is due 12 months after 1 January 2026;
    # K3 started before the Act with no KPIs registered: not in scope
    assert list(notices["Contract"]) == ["K2: Big waste", "K1: Big care"]
    assert list(notices["Next notice due"]) == ["31 May 2026", "1 Jan 2027"]


def test_the_page_runs(loaded: Workspace) -> None:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    labels = {m.label: m.value for m in at.metric}
    assert labels["Pipeline notice"] in ("Required", "Not required")
    assert "Notices overdue" in labels
    at.selectbox(key="act_period").set_value((dt.date(2026, 1, 1), dt.date(2026, 3, 31)))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    labels = {m.label: m.value for m in at.metric}
    assert labels["Paid in 61 days or more"] == f"{1 / 6:.1%}"


def test_the_page_on_an_empty_workspace(workspace_path: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]


# --- the sample council ----------------------------------------------------------------------------------------------


@pytest.fixture
def sample_ws(sample_council: Workspace) -> Workspace:
    """The session's sample council (conftest), read only here."""
    return sample_council


def _sample_received_lines(sample_ws: Workspace) -> list[tuple[dt.date, dt.date, Decimal]]:
    """(payment date, invoice received date, amount) of every line of the sample's published CSVs that carry a
    received date (Shape E, January to September 2026; the earlier shapes have none), read with csv, among the
    lines the classification puts in influenceable categories; credit notes are left out (not payments)."""
    import csv

    from sp_analysis.config import SAMPLE_DATA_DIR
    from sp_analysis.spend.facts import ensure_current
    from sp_analysis.sql import fetch_frame

    ensure_current(sample_ws)
    with sample_ws.read() as cur:
        scope = fetch_frame(cur, "SELECT f.name, s.source_row FROM spend_facts s JOIN loaded_files f USING (file_id) "
                                 "WHERE s.influenceable")
    in_scope = set(zip(scope["name"], scope["source_row"], strict=True))
    lines: list[tuple[dt.date, dt.date, Decimal]] = []
    for path in sorted((SAMPLE_DATA_DIR / "spend").glob("harrowdale-spend-2026-*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            assert "INVOICE RECEIVED DATE" in (reader.fieldnames or []), path.name
            for line, row in enumerate(reader, start=2):
                if (path.name, line) in in_scope and Decimal(row["AMOUNT"]) > 0:
                    lines.append((dt.datetime.strptime(row["PAYMENT DATE"], "%d-%b-%Y").date(),
                                  dt.datetime.strptime(row["INVOICE RECEIVED DATE"], "%d-%b-%Y").date(),
                                  Decimal(row["AMOUNT"])))
    return lines


SAMPLE_PERIODS = [(dt.date(2026, 1, 1), dt.date(2026, 3, 31)), (dt.date(2026, 4, 1), dt.date(2026, 9, 30))]


@pytest.mark.parametrize("period", SAMPLE_PERIODS, ids=["2026-01-to-03", "2026-04-to-09"])
def test_sample_payment_performance_against_its_files(sample_ws: Workspace, period: tuple[dt.date, dt.date]) -> None:
    """Days to pay counted in Python from the published CSVs, for the first period (January to March 2026) and
    the first half-year of 2026/27 (April to September 2026)."""
    start, end = period
    lines = _sample_received_lines(sample_ws)
    days = [(paid - received).days for paid, received, _a in lines if start <= paid <= end]
    payable = [paid for paid, received, _a in lines if start <= received + dt.timedelta(days=30) <= end]
    perf = act.payment_performance(sample_ws, start, end)
    assert perf.paid == len(days) > 5000
    assert perf.total_days == sum(days)
    assert perf.average_days == (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert perf.bands == (sum(d <= 30 for d in days), sum(31 <= d <= 60 for d in days), sum(d > 60 for d in days))
    assert perf.paid_value == sum((a for paid, _r, a in lines if start <= paid <= end), Decimal(0))
    assert perf.without_received == 0 and perf.paid_before_received == 0
    assert perf.became_payable == len(payable)
    assert perf.not_paid_in_period == sum(paid > end for paid in payable)
    latest = max(paid for paid, _r, _a in lines)
    if latest > end:  # the files after the period are loaded: the share of sums payable, not paid, is known
        assert perf.not_paid_share == sum(paid > end for paid in payable) / len(payable)
    else:  # no file after September 2026: a late payment would not be seen
        assert perf.not_paid_share is None


def test_sample_reporting_periods_and_the_latest_half_year(sample_ws: Workspace) -> None:
    # the months before January 2026 publish no received date; the first period is January to March 2026 (s.69(3))
    assert act.reporting_periods(sample_ws) == SAMPLE_PERIODS[::-1]
    latest = act.latest_performance(sample_ws)
    assert latest is not None and (latest.start, latest.end) == SAMPLE_PERIODS[1]
    assert latest.due == dt.date(2026, 10, 29)  # 30 days beginning with 30 September
    assert latest.average_days is not None and latest.missing == ""


def _sample_over_30k(vat: Decimal | None) -> list[tuple[str, dt.date, str, Decimal, str, int]]:
    """The s.70 list computed from the sample's CSVs: payments to the supplier (by supplier id) of a register
    contract starting on or after 1 April 2026, dated within its term, of more than £30,000 (after adding VAT at
    `vat` when given). (quarter, payment date, contract reference, amount, file, line)."""
    import csv

    from sp_analysis.config import SAMPLE_DATA_DIR

    with (SAMPLE_DATA_DIR / "contracts" / "harrowdale-contracts-register.csv").open(encoding="utf-8") as handle:
        register = [row for row in csv.DictReader(handle)
                    if dt.datetime.strptime(row["Start Date"], "%d/%m/%Y").date() >= dt.date(2026, 4, 1)]
    assert len(register) >= 3
    rows = []
    for path in sorted((SAMPLE_DATA_DIR / "spend").glob("harrowdale-spend-2026-*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                if not row["PAYMENT DATE"]:
                    continue  # the totals line
                paid = dt.datetime.strptime(row["PAYMENT DATE"], "%d-%b-%Y").date()
                amount = Decimal(row["AMOUNT"])
                tested = amount * (1 + vat) if vat is not None else amount
                for c in register:
                    c_start = dt.datetime.strptime(c["Start Date"], "%d/%m/%Y").date()
                    c_end = dt.datetime.strptime(c["End Date"], "%d/%m/%Y").date()
                    if row["SUPPLIER ID"] == c["Supplier ID"] and c_start <= paid <= c_end and tested > 30000:
                        quarter = f"Q{(paid.month - 4) // 3 + 1} 2026/27"
                        rows.append((quarter, paid, c["Reference Number"], amount, path.name, line))
    return sorted(rows, key=lambda r: (r[1], r[2], r[4], r[5]))


@pytest.mark.parametrize("exclude_vat", [True, False], ids=["vat-added", "as-published"])
def test_sample_payments_over_30000_against_its_files(sample_ws: Workspace, exclude_vat: bool) -> None:
    want = _sample_over_30k(Decimal("0.20") if exclude_vat else None)
    got = act.payments_over_30k(sample_ws, amounts_exclude_vat=exclude_vat)
    have = list(zip(got["quarter"], got["payment_date"], got["contract_reference"], got["amount"],
                    got["source_file"], got["source_line"], strict=True))
    assert have == want
    assert {q for q, *_ in want} == {"Q1 2026/27", "Q2 2026/27"}  # both quarters of the half-year have a list
    assert len({r for _q, _d, r, *_ in want}) >= 3
    assert set(got["matched_by"]) == {"supplier id"}
    due = {"Q1 2026/27": dt.date(2026, 7, 29), "Q2 2026/27": dt.date(2026, 10, 29)}  # 30 days from the quarter's end
    assert [due[q] for q in got["quarter"]] == list(got["publish_by"])
    if exclude_vat:
        assert set(got["test"]) == {"more than £30,000 as published", "more than £30,000 once VAT at 20% is added"}


def test_sample_pipeline_takes_the_planned_edges(sample_ws: Workspace) -> None:
    listed = act.pipeline_contracts(sample_ws, 2026)
    planned = listed[listed["source"] == "Planned procurement"]
    assert list(planned["title"]) == ["Highways Term Maintenance 2027", "Library Management System",
                                      "Home to School Transport Framework"]
    assert (listed["estimated_value"].map(lambda v: v > Decimal(2_000_000))).all()
    assert listed["expected_notice_date"].between(dt.date(2026, 4, 1), dt.date(2027, 9, 30)).all()
    assert act.pipeline_trigger(sample_ws, 2026).crossed
    notices = act.kpi_notices(sample_ws, TODAY)
    assert int(notices["kpi_shortfall"].sum()) >= 1 and (notices["status"] == "Overdue").any()


def test_a_real_file_without_received_dates(ws: Workspace) -> None:
    from tests.conftest import real_sample

    path = real_sample("devon-cc_spending-over-500_2026-03.csv")
    load_file(ws, path.name, path.read_bytes(), "spend")
    perf = act.payment_performance(ws, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert perf.paid == 0 and perf.average_days is None
    assert perf.missing.startswith("The invoice received date is missing: devon-cc_spending-over-500_2026-03.csv")


def test_settings_change_a_threshold(loaded: Workspace) -> None:
    at = AppTest.from_file(str(ROOT / "views" / "settings.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    shown = next(d.value for d in at.dataframe if "Source" in d.value.columns)
    row = shown[shown["Key"] == "threshold_goods_services"].iloc[0]
    assert (row["Value"], row["Applies from"]) == ("£207,720.00", "1 January 2026")
    at.selectbox(key="act_threshold_key").set_value("pipeline_contract")
    at.text_input(key="act_threshold_value").set_value("2,500,000")
    at.text_input(key="act_threshold_source").set_value("A later instrument, reg. 2")
    next(b for b in at.button if b.key == "act_threshold_save").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(s.value == "Saved." for s in at.success)
    assert act.load_thresholds(loaded).amount("pipeline_contract") == Decimal("2500000.00")
    assert act.load_thresholds(loaded).date("pipeline_contract") == dt.date(2025, 2, 24)  # no date given: kept


def test_the_page_saves_the_planned_procurements_and_kpis_as_shown(loaded: Workspace) -> None:
    act.save_planned(loaded, pd.DataFrame([{"title": "Depot", "estimated_value": "4000000", "notice_type": "tender",
                                            "notice_date": dt.date(2026, 6, 1), "framework": True, "lots": 2}]))
    act.save_kpis(loaded, pd.DataFrame([{"contract_reference": "K1", "kpi": "A", "rated_on": dt.date(2026, 1, 15),
                                         "rating": "Good"}, {"contract_reference": "K1", "kpi": "B"}]))
    before = (act.planned_procurements(loaded), act.kpi_register(loaded))
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    next(b for b in at.button if b.key == "act_planned_save").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    next(b for b in at.button if b.key == "act_kpi_save").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Saved 2 KPI rows." in s.value for s in at.success)
    pd.testing.assert_frame_equal(act.planned_procurements(loaded), before[0])  # the reference (planned_id) kept
    pd.testing.assert_frame_equal(act.kpi_register(loaded), before[1])
