"""The Contracts and Renewals pages under Streamlit's AppTest: no exception, the right numbers, filters changed.

The pages are run on their own (`AppTest.from_file("views/contracts.py")`), with the workspace in
$SP_WORKSPACE. The fixture's dates are relative to today, since the pages measure from today.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sp_analysis.contracts.reprocurement import add_months
from sp_analysis.ingest.load import load_file
from sp_analysis.spend.classify import import_categories_csv, import_rules_csv
from sp_analysis.workspace import open_workspace
from tests.conftest import ROOT, RULES_CSV, TAXONOMY_CSV

CONTRACTS_PAGE = str(ROOT / "views" / "contracts.py")
RENEWALS_PAGE = str(ROOT / "views" / "renewals.py")
T = dt.date.today()


def day(offset: int) -> dt.date:
    return T + dt.timedelta(days=offset)


def uk(value: dt.date) -> str:
    return f"{value:%d/%m/%Y}"


SPEND = (
    "Date,Supplier Name,Supplier ID,Amount,Expense Area,Expense Type,Creditor Type\n"
    f"{uk(day(-200))},Brightway Care Ltd,S1,\"60,000.00\",Adult Care,Residential Care,LTD\n"
    f"{uk(day(-100))},Brightway Care Ltd,S1,\"40,000.00\",Adult Care,Residential Care,LTD\n"
    f"{uk(day(-150))},Paperclip Stationers,S3,\"100,000.00\",Corporate,Stationery,\n"
    f"{uk(day(-50))},Hope Trust,S6,\"20,000.00\",Transport,Community Transport,CHTY\n"
)
REGISTER = (
    "Reference Number,Contract Title,Department,Supplier Name,Supplier ID,Contract Value (Whole Life),Start Date,"
    "End Date,Extension Options,Procurement Route,SME,VCSE,CPV Code\n"
    f"C1,Care homes,Adult Care,Brightway Care Ltd,S1,\"£200,000.00\",{uk(day(-365))},{uk(day(30))},12,Tender,Yes,No,"
    "85311000-2\n"
    f"C2,Advice,Corporate,Zeta Consulting,S7,\"£50,000.00\",{uk(day(-100))},{uk(day(400))},,Quote,,,79400000-8\n"
    f"C3,Office furniture,Corporate,Nobody Ltd,S99,\"£600,000.00\",{uk(day(10))},{uk(day(800))},,Framework,,,39100000\n"
)


@pytest.fixture
def loaded(workspace_path: Path) -> Path:
    ws = open_workspace(workspace_path)
    import_categories_csv(ws, TAXONOMY_CSV)
    import_rules_csv(ws, RULES_CSV)
    load_file(ws, "spend.csv", SPEND.encode(), "spend")
    load_file(ws, "register.csv", REGISTER.encode(), "contracts")
    return workspace_path


def run(page: str) -> AppTest:
    at = AppTest.from_file(page, default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def rerun(at: AppTest) -> None:
    at.run()
    assert not at.exception, [e.message for e in at.exception]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


@pytest.mark.parametrize("page", [CONTRACTS_PAGE, RENEWALS_PAGE])
def test_pages_run_on_an_empty_workspace(workspace_path: Path, page: str) -> None:
    at = run(page)
    assert any("no contracts register yet" in i.value for i in at.info)


def test_contracts_register_and_its_filters(loaded: Path) -> None:
    at = run(CONTRACTS_PAGE)
    shown = metrics(at)
    assert (shown["Contracts"], shown["Live today"], shown["£100k and over"]) == ("3", "2", "2")
    assert shown["Contract value"] == "£850k"
    register = table_with(at, "Paid to supplier within term")
    assert list(register["Reference"]) == ["C3", "C1", "C2"]  # largest first
    assert list(register["Category"]) == ["Furniture", "Health and social care", "Professional services and consultancy"]
    assert list(register["Paid to supplier within term"]) == ["£0.00", "£100,000.00", "£0.00"]
    assert list(register["Status"]) == ["Not started", "Live", "Live"]

    at.multiselect(key="contracts_f_status").set_value(["Live"])
    rerun(at)
    assert list(table_with(at, "Paid to supplier within term")["Reference"]) == ["C1", "C2"]
    at.multiselect(key="contracts_f_impact").set_value(["High"])
    rerun(at)
    assert list(table_with(at, "Paid to supplier within term")["Reference"]) == ["C1"]
    assert metrics(at)["Contracts"] == "1"

    # The payments behind the one contract shown: two within its term.
    assert metrics(at)["Within the term"] == "£100k"
    payments = table_with(at, "Against the contract")
    assert list(payments["Against the contract"]) == ["Within the term", "Within the term"]

    at.multiselect(key="contracts_f_status").set_value([])
    at.multiselect(key="contracts_f_impact").set_value([])
    at.multiselect(key="contracts_f_band").set_value(["£500k and over"])
    rerun(at)
    assert list(table_with(at, "Paid to supplier within term")["Reference"]) == ["C3"]


def test_spend_against_contracts_and_the_compliance_list(loaded: Path) -> None:
    at = run(CONTRACTS_PAGE)
    shown = metrics(at)
    # Influenceable £220,000: Brightway's £100,000 within C1's term.
    assert shown["Contracted share"] == "45.5%"
    assert shown["Supplier-years"] == "1"
    off = table_with(at, "Their terms (none overlaps the year)")
    assert list(off["Supplier"]) == ["Paperclip Stationers"]
    assert list(off["Influenceable spend"]) == ["£100,000.00"]
    at.toggle(key="contracts_with_options").set_value(True)
    rerun(at)
    assert metrics(at)["Contracted share"] == "45.5%"


def test_sme_vcse_local_and_the_supplier_list(loaded: Path) -> None:
    at = run(CONTRACTS_PAGE)
    sme = next(m for m in at.metric if m.label == "SMEs")
    assert sme.value == "45.5%"  # Brightway (its contract says SME) of £220,000
    assert "54.5%" in sme.proto.delta  # Paperclip and Hope Trust: nobody says
    vcse = next(m for m in at.metric if m.label == "VCSEs")
    assert vcse.value == "9.1%"  # Hope Trust, by its creditor type CHTY
    assert metrics(at)["Local suppliers"] == "not set"

    bad = b"Supplier ID,Supplier Name,SME\nS3,Paperclip Stationers,perhaps\n"
    at.file_uploader(key="contracts_list_file").set_value(("bad.csv", bad, "text/csv"))
    at.button(key="contracts_list_submit").click()
    rerun(at)
    errors = [e.value for e in at.error]
    assert any(e.startswith("bad.csv: ") and "line 2" in e for e in errors), errors

    good = b"Supplier ID,Supplier Name,Postcode,SME\nS3,Paperclip Stationers,ZZ1 1AA,no\n"
    at.file_uploader(key="contracts_list_file").set_value(("good.csv", good, "text/csv"))
    at.button(key="contracts_list_submit").click()
    rerun(at)
    assert any("loaded good.csv: 1 supplier " in s.value for s in at.success), [s.value for s in at.success]
    sme = next(m for m in at.metric if m.label == "SMEs")
    assert sme.value == "45.5%" and "9.1%" in sme.proto.delta  # only Hope Trust is unknown now


def test_renewal_pipeline_window_options_lead_times_and_ranking(loaded: Path) -> None:
    at = run(RENEWALS_PAGE)
    shown = metrics(at)
    assert shown["Contracts ending"] == "2"  # C1 in 30 days, C2 in 400
    assert next(v for k, v in shown.items() if k.startswith("To act on by the end of")) == "1"  # C1: 12 months' lead
    assert shown["Of which high impact, £100k and over"] == "1"
    table = table_with(at, "Start re-procurement by")
    assert list(table["Reference"]) == ["C1", "C2"]
    assert list(table["Start re-procurement by"]) == [f"{add_months(day(30), -12):%-d %b %Y}",
                                                      f"{add_months(day(400), -6):%-d %b %Y}"]
    assert at.get("plotly_chart")

    at.slider(key="renewals_months").set_value(3)
    rerun(at)
    assert metrics(at)["Contracts ending"] == "1"
    at.toggle(key="renewals_extensions").set_value(True)  # C1's option takes it past three months
    rerun(at)
    assert metrics(at)["Contracts ending"] == "0"
    assert any("No contract in the register ends in this window" in i.value for i in at.info)

    at.toggle(key="renewals_extensions").set_value(False)
    at.slider(key="renewals_months").set_value(36)
    at.number_input(key="renewals_lead_1").set_value(0)
    rerun(at)
    table = table_with(at, "Start re-procurement by")
    assert list(table["Reference"]) == ["C3", "C1", "C2"]  # plan priority, then value
    assert list(table["Start re-procurement by"])[1] == f"{day(30):%-d %b %Y}"  # no lead time in that band now
    at.multiselect(key="renewals_impacts").set_value(["Low"])
    rerun(at)
    assert list(table_with(at, "Start re-procurement by")["Reference"]) == ["C2"]
    at.multiselect(key="renewals_impacts").set_value([])
    at.checkbox(key="renewals_priority").check()
    rerun(at)
    assert list(table_with(at, "Start re-procurement by")["Reference"]) == ["C3", "C1"]
