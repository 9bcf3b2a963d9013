"""Contracts analysis and the supplier list, each figure checked against an independent computation.

The fixture below is a small council: eight suppliers, fourteen payments, six contracts and a supplier list,
on a known taxonomy whose rules are exact expense types (and one regular expression), with "today" fixed at
15 June 2025. `PAYMENTS` and `CONTRACTS` carry, by hand, what each row must be (its supplier, category, and
whether procurement can influence it); the Python model in this file computes every figure from them with plain
date comparisons and Decimal sums, and the tests compare what `sp_analysis.contracts.register` returns.

Edge cases placed on purpose: a contract ending today (C2b); a payment on a contract's last day (C1, C2b);
spend before a contract starts (S1, S6); one supplier with two overlapping contracts (S2); a supplier-year of
exactly £100,000.00 with no contract (S3) and one of £99,999.99 (S4); a contract of exactly £100,000.00 (C1,
C9) and one of £99,999.99 (C7); extension options '12', '2 x 12 months', '1+1 years' and 'TBC'; a supplier
whose SME status nobody gives (S4, S6, S8); matching by supplier id, company number and name.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
import pytest

from sp_analysis.contracts import on_contract, reprocurement, supplier_types, terms
from sp_analysis.contracts import register as C
from sp_analysis.definitions import ValueBands
from sp_analysis.ingest import supplier_list as sa
from sp_analysis.ingest.errors import AlreadyLoaded, LoadError
from sp_analysis.ingest.load import load_file
from sp_analysis.settings import set_setting
from sp_analysis.spend.classify import import_categories_csv, import_rules_csv
from sp_analysis.workspace import Workspace
from tests.conftest import EXPENSE_TYPES, RULES_CSV, TAXONOMY, TAXONOMY_CSV

TODAY = dt.date(2025, 6, 15)
HUNDRED_K = Decimal(100_000)


@dataclass(frozen=True)
class Payment:
    day: dt.date
    supplier: str  # the supplier id, which is also what the model keys on
    name: str
    amount: Decimal
    expense_type: str
    creditor_type: str = ""

    @property
    def category(self) -> str:
        return EXPENSE_TYPES[self.expense_type]

    @property
    def influenceable(self) -> bool:
        return TAXONOMY[self.category][1]

    @property
    def financial_year(self) -> str:
        start = self.day.year - (1 if self.day.month < 4 else 0)
        return f"{start}/{(start + 1) % 100:02d}"


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


PAYMENTS = [
    Payment(d("2024-03-15"), "S1", "Brightway Care Ltd", Decimal("1000.00"), "Residential Care"),  # before C1 starts
    Payment(d("2024-06-01"), "S1", "Brightway Care Ltd", Decimal("60000.00"), "Residential Care"),
    Payment(d("2025-03-31"), "S1", "BRIGHTWAY CARE LIMITED", Decimal("40000.00"), "Residential Care"),  # C1's last day
    Payment(d("2025-04-10"), "S1", "Brightway Care Ltd", Decimal("5000.00"), "Residential Care"),  # in C1's option
    Payment(d("2024-09-15"), "S2", "Greenfield Waste Services", Decimal("20000.00"), "Waste Collection"),  # C2a and C2b
    Payment(d("2025-01-10"), "S2", "Greenfield Waste Services", Decimal("30000.00"), "Waste Collection"),
    Payment(d("2025-06-15"), "S2", "Greenfield Waste Services", Decimal("10000.00"), "Waste Collection"),  # C2b ends today
    Payment(d("2024-05-01"), "S3", "Paperclip Stationers", Decimal("60000.00"), "Stationery"),
    Payment(d("2024-11-01"), "S3", "Paperclip Stationers", Decimal("40000.00"), "Stationery"),  # 2024/25: £100,000.00
    Payment(d("2024-07-01"), "S4", "Quill Office Supplies", Decimal("99999.99"), "Stationery"),
    Payment(d("2024-07-04"), "S5", "Harrowdale Pension Fund", Decimal("200000.00"), "Pension Contributions"),
    Payment(d("2024-10-01"), "S6", "Oak Community Trust", Decimal("150000.00"), "Community Transport", "CHTY"),
    Payment(d("2025-05-01"), "S6", "Oak Community Trust", Decimal("10000.00"), "Community Transport", "CHTY"),
    Payment(d("2025-05-01"), "S7", "Zeta Consulting", Decimal("8000.00"), "Consultancy Fees", "LTD"),
    Payment(d("2025-05-20"), "S8", "Unknown Builder", Decimal("50000.00"), "Building Repairs"),
]


@dataclass(frozen=True)
class Contract:
    reference: str
    title: str
    supplier_name: str
    supplier_id: str
    company_number: str
    whole_life: str
    annual: str
    start: dt.date
    end: dt.date
    options: str
    route: str
    sme: str
    vcse: str
    cpv: str
    proclass: str
    # What it must become, by hand:
    key: str  # the supplier it matches in the spend (by id here)
    matched_by: str
    value: Decimal
    option_months: int
    category: str
    placed_by: str


CONTRACTS = [
    Contract("C1", "Residential care for older people", "Brightway Care Ltd", "S1", "", "£100,000.00", "",
             d("2024-04-01"), d("2025-03-31"), "12", "Tender", "Yes", "No", "85311000-2", "",
             "S1", "supplier id", Decimal("100000.00"), 12, "Health and social care",
             "CPV 85311000-2 (health and social work services)"),
    # Only the annual value: 1 April to 30 September 2024 is 183 days, 0.50 years, so £25,000.00.
    Contract("C2a", "Waste collection", "Greenfield Waste Services", "S2", "", "", "£50,000.00",
             d("2024-04-01"), d("2024-09-30"), "", "Quote", "No", "No", "", "",
             "S2", "supplier id", Decimal("25000.00"), 0, "Waste", "rule K1 on the title"),
    Contract("C2b", "Waste collection and recycling", "Greenfield Waste Services", "S2", "", "£499,999.99", "",
             d("2024-09-01"), TODAY, "2 x 12 months", "Tender", "", "No", "90500000-2", "",
             "S2", "supplier id", Decimal("499999.99"), 24, "Waste",
             "CPV 90500000-2 (sewage, refuse and environmental services)"),
    # No supplier id: found by its name (Limited set aside); starts after the 2024/25 spend.
    Contract("C6", "Community transport", "OAK COMMUNITY TRUST LIMITED", "", "", "£500,000.00", "",
             d("2025-04-01"), d("2027-03-31"), "1+1 years", "Direct Award", "", "Yes", "", "Transport Services",
             "S6", "supplier name", Decimal("500000.00"), 24, "Transport and vehicles", "ProClass Transport Services"),
    # Another name, no id: found by company number through the supplier list (leading zero dropped here).
    Contract("C7", "Management advice", "Zeta Advisory Group", "", "1234567", "£99,999.99", "",
             d("2025-01-01"), d("2025-12-20"), "", "Quote", "Yes", "No", "79400000-8", "",
             "S7", "company number", Decimal("99999.99"), 0, "Professional services and consultancy",
             "CPV 79400000-8 (business services)"),
    Contract("C9", "Office furniture", "Nobody Ltd", "S99", "", "£100,000.00", "",
             d("2026-01-01"), d("2026-12-31"), "TBC", "Framework", "", "", "", "",
             "S99", "not found in the spend", Decimal("100000.00"), 0, "Furniture", "rule R1 on the title"),
]

SUPPLIER_LIST = (
    "Supplier ID,Supplier Name,Postcode,Company Number,SME,VCSE\n"
    "S7,Zeta Consulting,ZZ1 1AA,01234567,Yes,No\n"
    "S3,Paperclip Stationers,QX4 7TT,,No,\n"
    "S1,Brightway Care Ltd,zz2 3bb,,,\n"
)
# Each supplier's status as the sources give it, worked out by hand (None = unknown):
# S1: SME yes and VCSE no from its contract C1; local from the list (ZZ2). S2: SME no (C2a, its latest contract
# with a flag), VCSE no (C2b); no postcode. S3: SME no from the list, VCSE unknown, not local (QX4).
# S4, S8: nothing known. S6: VCSE yes from its contract C6 (the creditor type CHTY agrees, but the register comes
# first); SME unknown. S7: from the list, SME yes, VCSE no, local (ZZ1).
STATUS = {
    "S1": (True, False, True), "S2": (False, False, None), "S3": (False, None, False), "S4": (None, None, None),
    "S6": (None, True, None), "S7": (True, False, True), "S8": (None, None, None),
}
SME_SOURCE = {"S1": "contracts register", "S2": "contracts register", "S3": "supplier list", "S7": "supplier list"}


def spend_csv() -> bytes:
    lines = ["Date,Supplier Name,Supplier ID,Amount,Expense Area,Expense Type,Creditor Type"]
    lines += [f"{p.day:%d/%m/%Y},{p.name},{p.supplier},{p.amount},Dept {p.supplier},{p.expense_type},{p.creditor_type}"
              for p in PAYMENTS]
    return ("\n".join(lines) + "\n").encode()


def register_csv() -> bytes:
    lines = ["Reference Number,Contract Title,Department,Description of Goods and Services,Supplier Name,Supplier ID,"
             "Companies House Number,Contract Value (Whole Life),Estimated Annual Value,Start Date,End Date,"
             "Extension Options,Procurement Route,SME,VCSE,CPV Code,ProClass"]
    for c in CONTRACTS:
        lines.append(",".join([c.reference, c.title, "Dept", "Goods", c.supplier_name, c.supplier_id, c.company_number,
                               f'"{c.whole_life}"', f'"{c.annual}"', f"{c.start:%d/%m/%Y}", f"{c.end:%d/%m/%Y}",
                               c.options, c.route, c.sme, c.vcse, c.cpv, c.proclass]))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def council(ws: Workspace) -> Workspace:
    import_categories_csv(ws, TAXONOMY_CSV)
    import_rules_csv(ws, RULES_CSV)
    load_file(ws, "spend.csv", spend_csv(), "spend")
    load_file(ws, "register.csv", register_csv(), "contracts")
    sa.load_supplier_attributes(ws, "suppliers.csv", SUPPLIER_LIST.encode())
    set_setting(ws, "local_postcode_districts", "ZZ1, ZZ2")
    return ws


# --- the independent model ------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    import calendar

    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def term_end(c: Contract, with_options: bool) -> dt.date:
    return add_months(c.end, c.option_months) if with_options else c.end


def in_term(p: Payment, c: Contract, with_options: bool = False) -> bool:
    return p.supplier == c.key and c.start <= p.day <= term_end(c, with_options)


def model_contracted(with_options: bool = False) -> tuple[Decimal, Decimal]:
    influenceable = [p for p in PAYMENTS if p.influenceable]
    contracted = [p for p in influenceable if any(in_term(p, c, with_options) for c in CONTRACTS)]
    return sum((p.amount for p in influenceable), Decimal(0)), sum((p.amount for p in contracted), Decimal(0))


def model_off_contract() -> list[tuple[str, str, Decimal]]:
    years: dict[tuple[str, str], Decimal] = {}
    for p in PAYMENTS:
        if p.influenceable:
            years[(p.supplier, p.financial_year)] = years.get((p.supplier, p.financial_year), Decimal(0)) + p.amount
    result = []
    for (supplier, year), total in years.items():
        start = int(year[:4])
        fy_first, fy_last = dt.date(start, 4, 1), dt.date(start + 1, 3, 31)
        live = any(c.key == supplier and c.start <= fy_last and c.end >= fy_first for c in CONTRACTS)
        if total >= HUNDRED_K and not live:
            result.append((year, supplier, total))
    return sorted(result, key=lambda r: -r[2])


def model_share(index: int, unknown: bool) -> float:
    influenceable = [p for p in PAYMENTS if p.influenceable]
    total = sum((p.amount for p in influenceable), Decimal(0))
    part = sum((p.amount for p in influenceable if (STATUS[p.supplier][index] is None) == unknown
                and (unknown or STATUS[p.supplier][index])), Decimal(0))
    return float(part / total)


# --- parsers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "months"), [
    ("12", 12), ("0", 0), ("", 0), (None, 0), ("none", 0), ("N/A", 0), ("2 x 12 months", 24), ("24 months", 24),
    ("2 years", 24), ("1+1 years", 24), ("1 + 1", 24), ("12 + 12", 24), ("1+1+1", 36), ("18 mths", 18),
    ("Option to extend for 2 x 1 year", 24), ("up to 6 months", 6), ("12 months + 12 months", 24), ("two years", 24),
    ("TBC", None), ("yes", None), ("until the new service starts", None),
])
def test_extension_options_are_read_as_months(text: str | None, months: int | None) -> None:
    assert terms.parse_extension_months(text) == months


def test_lead_times_parse_band_and_refuse() -> None:
    lead = terms.LeadTimes.parse("6, 100k: 12, 500k: 18")
    assert lead == terms.LeadTimes()
    assert lead.labels == ("Under £100k", "£100k to £500k", "£500k and over")
    assert [lead.months_for(Decimal(v)) for v in ("99999.99", "100000.00", "499999.99", "500000.00")] == [6, 12, 12, 18]
    assert lead.months_for(None) == 18  # no published value: the longest lead time
    assert terms.LeadTimes.parse(lead.text()) == lead
    assert lead.with_months((3, 9, 24)).months == (3, 9, 24)
    for bad in ("", "six", "6, 100k 12", "6, 500k: 12, 100k: 18", "6, 100k: x"):
        with pytest.raises(ValueError):
            terms.LeadTimes.parse(bad)


def test_local_districts_parse() -> None:
    local = terms.LocalDistricts.parse("zz1, ZZ2; QX ZZ1")
    assert local.districts == ("ZZ1", "ZZ2") and local.areas == ("QX",) and local.is_set
    assert not terms.LocalDistricts.parse("").is_set
    with pytest.raises(ValueError, match="'1AA' is not a postcode district"):
        terms.LocalDistricts.parse("ZZ1 1AA")


def test_financial_quarters_and_months() -> None:
    assert reprocurement.financial_quarter(d("2025-06-15")) == ("Q1 2025/26", d("2025-04-01"), d("2025-06-30"))
    assert reprocurement.financial_quarter(d("2026-03-31")) == ("Q4 2025/26", d("2026-01-01"), d("2026-03-31"))
    assert reprocurement.financial_quarter(d("2025-12-01")) == ("Q3 2025/26", d("2025-10-01"), d("2025-12-31"))
    assert reprocurement.add_months(d("2025-01-31"), 1) == d("2025-02-28")
    assert reprocurement.add_months(d("2025-06-15"), 18) == d("2026-12-15")


# --- the register ---------------------------------------------------------------------------------------------


def test_register_values_classes_keys_and_spend_in_term(council: Workspace) -> None:
    register = C.contract_register(council, TODAY).set_index("reference")
    assert sorted(register.index) == sorted(c.reference for c in CONTRACTS)
    for c in CONTRACTS:
        row = register.loc[c.reference]
        assert row["contract_value"] == c.value, c.reference
        assert row["option_months"] == c.option_months, c.reference
        assert row["category"] == c.category, c.reference
        assert row["placed_by"] == c.placed_by, c.reference
        assert row["matched_by"] == c.matched_by, c.reference
        assert row["supplier_key"] == f"id:{c.key}", c.reference
        expected_in_term = sum((p.amount for p in PAYMENTS if in_term(p, c)), Decimal(0))
        assert row["spend_in_term"] == expected_in_term, c.reference
        assert row["supplier_spend"] == sum((p.amount for p in PAYMENTS if p.supplier == c.key), Decimal(0))
        status = "Not started" if c.start > TODAY else "Ended" if c.end < TODAY else "Live"
        assert row["status"] == status, c.reference
    assert register.loc["C2a", "value_basis"] == "annual value × 0.5 years"
    assert register.loc["C2b", "status"] == "Live"  # it ends today
    assert bool(register.loc["C9", "options_unread"]) and not bool(register.loc["C1", "options_unread"])
    # The £100k edge: a contract of exactly £100,000.00 is in the band from £100k.
    bands = dict(zip(register.index, register["value_band"], strict=True))
    assert bands == {"C1": "£100k to £500k", "C2a": "£25k to £100k", "C2b": "£100k to £500k",
                     "C6": "£500k and over", "C7": "£25k to £100k", "C9": "£100k to £500k"}
    # One supplier, two overlapping contracts: the payment of 15 September 2024 is in both.
    assert register.loc["C2a", "spend_in_term"] == Decimal("20000.00")
    assert register.loc["C2b", "spend_in_term"] == Decimal("60000.00")


def test_register_with_extension_options_counts_spend_in_the_options(council: Workspace) -> None:
    register = C.contract_register(council, TODAY, include_extensions=True).set_index("reference")
    assert register.loc["C1", "spend_in_term"] == Decimal("105000.00")
    assert register.loc["C1", "final_end"] == d("2026-03-31")
    assert register.loc["C6", "final_end"] == d("2029-03-31")  # '1+1 years'


@pytest.mark.parametrize(("filters", "expected"), [
    (C.ContractFilters(impacts=("High",)), {"C1", "C2a", "C2b", "C6", "C9"}),
    (C.ContractFilters(statuses=("Live",)), {"C2b", "C6", "C7"}),
    (C.ContractFilters(value_bands=("£100k to £500k",)), {"C1", "C2b", "C9"}),
    (C.ContractFilters(sme=("Unknown",)), {"C6", "C9"}),  # C2b's blank flag takes its supplier's 'no'
    (C.ContractFilters(vcse=("Yes",)), {"C6"}),
    (C.ContractFilters(routes=("Quote",), search="waste"), {"C2a"}),
    (C.ContractFilters(search="x'); DROP TABLE contracts; --"), set()),
])
def test_register_filters(council: Workspace, filters: C.ContractFilters, expected: set[str]) -> None:
    assert set(C.contract_register(council, TODAY, filters)["reference"]) == expected
    assert C.contract_register(council, TODAY)["reference"].size == len(CONTRACTS)


def test_register_bands_follow_the_workspace_bands(council: Workspace) -> None:
    filters = C.ContractFilters(bands=ValueBands.parse("50k, 100k, 1m"), value_bands=("Under £50k",))
    assert set(C.contract_register(council, TODAY, filters)["reference"]) == {"C2a"}


def test_totals_by_impact_department_and_category(council: Workspace) -> None:
    by_impact = C.contract_totals(council, TODAY, C.ContractFilters(), "impact")
    high = [c for c in CONTRACTS if TAXONOMY[c.category][0] == "High"]
    assert list(by_impact["impact_group"]) == ["High", "Low"]
    assert by_impact.loc[0, "contracts"] == len(high)
    assert by_impact.loc[0, "value"] == sum((c.value for c in high), Decimal(0))
    by_category = C.contract_totals(council, TODAY, C.ContractFilters(), "category").set_index("category")
    assert by_category.loc["Waste", "value"] == Decimal("524999.99")
    assert by_category.loc["Waste", "live"] == 1
    by_department = C.contract_totals(council, TODAY, C.ContractFilters(), "department")
    assert by_department["value"].sum() == sum((c.value for c in CONTRACTS), Decimal(0))


def test_payments_to_a_contracts_supplier_are_placed_against_its_term(council: Workspace) -> None:
    row = C.contract_register(council, TODAY).set_index("reference").loc["C1"]
    paid = C.contract_payments(council, int(row["file_id"]), int(row["source_row"]))
    assert paid.totals == {"Before the start": Decimal("1000.00"), "Within the term": Decimal("100000.00"),
                           "In the extension options": Decimal("5000.00"), "After the end": Decimal(0)}
    assert paid.counts == {"Before the start": 1, "Within the term": 2, "In the extension options": 1, "After the end": 0}
    assert len(paid.payments) == 4


# --- spend against contracts ------------------------------------------------------------------------------


@pytest.mark.parametrize("with_options", [False, True])
def test_contracted_share(council: Workspace, with_options: bool) -> None:
    coverage = on_contract.spend_against_contracts(council, include_extensions=with_options)
    influenceable, contracted = model_contracted(with_options)
    assert (coverage.influenceable, coverage.contracted) == (influenceable, contracted)
    assert contracted == (Decimal("183000.00") if with_options else Decimal("178000.00"))
    assert coverage.share == pytest.approx(float(contracted / influenceable))
    by_year = coverage.by_year.set_index("financial_year")
    for year in ("2023/24", "2024/25", "2025/26"):
        in_year = [p for p in PAYMENTS if p.influenceable and p.financial_year == year]
        assert by_year.loc[year, "influenceable"] == sum((p.amount for p in in_year), Decimal(0))
        assert by_year.loc[year, "contracted"] == sum(
            (p.amount for p in in_year if any(in_term(p, c, with_options) for c in CONTRACTS)), Decimal(0))


def test_off_contract_supplier_years(council: Workspace) -> None:
    off = on_contract.off_contract_supplier_years(council)
    expected = model_off_contract()
    assert expected == [("2024/25", "S6", Decimal("150000.00")), ("2024/25", "S3", Decimal("100000.00"))]
    assert list(zip(off["financial_year"], off["supplier_key"], off["total"], strict=True)) == [
        (year, f"id:{supplier}", total) for year, supplier, total in expected]
    s6 = off.iloc[0]
    assert s6["categories"] == "Transport and vehicles" and s6["main_impact"] == "High"
    assert s6["departments"] == "Dept S6"
    assert s6["contracts_in_register"] == 1 and s6["contract_terms"] == "C6: 1 Apr 2025 to 31 Mar 2027"
    assert off.iloc[1]["contracts_in_register"] == 0
    # S1's 2024/25 is exactly £100,000.00 but C1 was live; S4's £99,999.99 is under the line; the pension is
    # not influenceable.
    assert not {"id:S1", "id:S4", "id:S5"} & set(off["supplier_key"])


# --- the renewal pipeline ---------------------------------------------------------------------------------


def test_pipeline_published_end_dates_include_a_contract_ending_today(council: Workspace) -> None:
    pipeline = reprocurement.renewal_pipeline(council, TODAY, 18)
    assert list(pipeline["reference"]) == ["C2b", "C7"]
    c2b, c7 = pipeline.iloc[0], pipeline.iloc[1]
    assert c2b["ends_on"] == TODAY and c2b["lead_months"] == 12 and c2b["intervention_date"] == d("2024-06-15")
    assert c2b["action"] == "Overdue: should have started" and bool(c2b["plan_priority"])
    # £99,999.99: the lowest band, six months; 20 June is before the quarter ends on 30 June.
    assert c7["lead_months"] == 6 and c7["intervention_date"] == d("2025-06-20")
    assert c7["action"] == "Start this quarter" and not bool(c7["plan_priority"])


def test_pipeline_with_extension_options(council: Workspace) -> None:
    pipeline = reprocurement.renewal_pipeline(council, TODAY, 18, include_extensions=True)
    # C1 ended on 31 March 2025 but its 12-month option runs to 31 March 2026; C2b's options run past the window.
    assert list(pipeline["reference"]) == ["C1", "C7"]
    c1 = pipeline.set_index("reference").loc["C1"]
    assert c1["ends_on"] == d("2026-03-31") and c1["intervention_date"] == d("2025-03-31")


def test_pipeline_ranking_and_lead_times(council: Workspace) -> None:
    pipeline = reprocurement.renewal_pipeline(council, TODAY, 36)
    # Plan priority (High, £100k and over) first, then impact, then value: C6 £500k, C2b £499,999.99, C9 £100k
    # (the £100k edge is in), then C7 (Low).
    assert list(pipeline["reference"]) == ["C6", "C2b", "C9", "C7"]
    assert list(pipeline["rank"]) == [1, 2, 3, 4]
    assert list(pipeline["plan_priority"]) == [True, True, True, False]
    assert list(pipeline["lead_months"]) == [18, 12, 12, 6]
    assert list(pipeline["intervention_date"]) == [d("2025-09-30"), d("2024-06-15"), d("2025-12-31"), d("2025-06-20")]
    edited = reprocurement.renewal_pipeline(council, TODAY, 36, lead=terms.LeadTimes().with_months((1, 2, 3)))
    assert list(edited["intervention_date"]) == [d("2026-12-31"), d("2025-04-15"), d("2026-10-31"), d("2025-11-20")]
    high_only = reprocurement.renewal_pipeline(council, TODAY, 36, filters=C.ContractFilters(impacts=("Low",)))
    assert list(high_only["reference"]) == ["C7"]
    assert reprocurement.renewal_pipeline(council, TODAY, 3).empty is False  # C2b, today
    with pytest.raises(ValueError):
        reprocurement.renewal_pipeline(council, TODAY, 0)


# --- SME, VCSE and local ----------------------------------------------------------------------------------


def test_spend_shares_with_unknown_beside_each(council: Workspace) -> None:
    shares = supplier_types.spend_shares(council).set_index("financial_year")
    overall = shares.loc["All years"]
    for index, measure in enumerate(("sme", "vcse", "local")):
        assert overall[f"{measure}_share"] == pytest.approx(model_share(index, unknown=False)), measure
        assert overall[f"{measure}_unknown_share"] == pytest.approx(model_share(index, unknown=True)), measure
    assert overall["influenceable"] == Decimal("583999.99")
    assert overall["sme"] == Decimal("114000.00") and overall["sme_unknown"] == Decimal("309999.99")
    assert shares.loc["2023/24", "sme_share"] == pytest.approx(1.0)  # S1's one early payment


def test_status_sources(council: Workspace) -> None:
    status = supplier_types.supplier_status(council).set_index("supplier_key")
    for supplier, (sme, vcse, local) in STATUS.items():
        row = status.loc[f"id:{supplier}"]
        assert (None if row["sme"] is None else bool(row["sme"])) == sme, supplier
        assert (None if row["vcse"] is None else bool(row["vcse"])) == vcse, supplier
        assert (None if row["local"] is None else bool(row["local"])) == local, supplier
        assert (None if pd.isna(row["sme_source"]) else row["sme_source"]) == SME_SOURCE.get(supplier), supplier
    assert status.loc["id:S6", "vcse_source"] == "contracts register"
    sources = supplier_types.status_sources(council)
    assert set(sources["measure"]) == {"SME", "VCSE", "Local"}
    sme = sources[sources["measure"] == "SME"].set_index("source")
    assert sme.loc["unknown", "spend"] == Decimal("309999.99") and sme.loc["unknown", "suppliers"] == 3


def test_creditor_type_decides_when_nothing_else_does(ws: Workspace) -> None:
    load_file(ws, "s.csv", (b"Date,Supplier Name,Supplier ID,Amount,Expense Type,Creditor Type\n"
                            b"01/05/2024,Hope Charity,H1,100.00,Residential Care,CHTY\n"
                            b"01/05/2024,Jo Plumber,J1,300.00,Building Repairs,SOLE\n"), "spend")
    status = supplier_types.supplier_status(ws).set_index("supplier_key")
    assert bool(status.loc["id:H1", "vcse"]) and status.loc["id:H1", "vcse_source"] == "creditor type CHTY"
    assert bool(status.loc["id:J1", "sme"]) and status.loc["id:J1", "sme_source"] == "creditor type SOLE"


def test_contract_value_shares(council: Workspace) -> None:
    shares = supplier_types.contract_value_shares(council).set_index("financial_year")
    overall = shares.loc["All years"]
    # The contract's own flag first, then its supplier's: C1 and C7 yes; C2a no; C2b blank -> S2 no; C6 and C9 unknown.
    assert overall["influenceable"] == sum((c.value for c in CONTRACTS), Decimal(0))
    assert overall["sme"] == Decimal("199999.99")
    assert overall["sme_unknown"] == Decimal("600000.00")
    assert shares.loc["2025/26", "influenceable"] == Decimal("600000.00")  # C6 and C9 start in 2025/26


def test_summaries_for_the_command_line(council: Workspace) -> None:
    influenceable, contracted = model_contracted()
    off = model_off_contract()
    assert reprocurement.contracts_summary(council, TODAY) == {
        "ending_within_12_months": {"count": 2, "value": "599999.98"},  # C2b (today) and C7
        "off_contract_over_100k": {"count": len(off), "total": f"{sum(t for _, _, t in off):.2f}"},
        "contracted_share": round(float(contracted / influenceable), 6),
    }
    assert supplier_types.sme_vcse_local_summary(council) == {
        "sme_share": round(model_share(0, False), 6), "vcse_share": round(model_share(1, False), 6),
        "local_share": round(model_share(2, False), 6), "unknown_status_share": round(model_share(0, True), 6),
    }
    set_setting(council, "local_postcode_districts", "")
    assert supplier_types.sme_vcse_local_summary(council)["local_share"] is None


def test_empty_workspace_summaries(ws: Workspace) -> None:
    assert reprocurement.contracts_summary(ws, TODAY) == {
        "ending_within_12_months": {"count": 0, "value": "0.00"},
        "off_contract_over_100k": {"count": 0, "total": "0.00"},
        "contracted_share": None,
    }
    assert supplier_types.sme_vcse_local_summary(ws) == {"sme_share": None, "vcse_share": None, "local_share": None,
                                            "unknown_status_share": None}
    assert reprocurement.renewal_pipeline(ws, TODAY).empty


# --- the supplier list upload ------------------------------------------------------------------------------


def attribute_rows(ws: Workspace) -> list[tuple[object, ...]]:
    frame = sa.supplier_attributes_table(ws).drop(columns="line")
    return [tuple(None if pd.isna(v) else v for v in r) for r in frame.itertuples(index=False)]


def test_supplier_list_with_title_lines_semicolons_and_windows_1252(ws: Workspace) -> None:
    data = ("Harrowdale supplier list\n\nSupplier No;Name;Post Code;Company No;SME status;VCSE?\n"
            "7;Café Nero Ltd;zz19lg;123;y;Unknown\n\n8;Bé Trust;ZZ1;SC123456;no;yes\n").encode("cp1252")
    result = sa.load_supplier_attributes(ws, "list.csv", data)
    assert result.rows == 2 and result.quality["header_line"] == 3 and result.quality["blank_rows"] == 1
    assert "Windows-1252" in result.quality["encoding"]
    assert attribute_rows(ws) == [("7", "Café Nero Ltd", "ZZ1 9LG", "ZZ1", "00000123", True, None),
                                  ("8", "Bé Trust", "ZZ1", "ZZ1", "SC123456", False, True)]


def test_supplier_list_from_a_workbook(ws: Workspace) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Supplier ID", "Supplier Name", "Postcode", "SME"])
    sheet.append([101, "Acme", "ZZ2 1AB", "Yes"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert sa.load_supplier_attributes(ws, "list.xlsx", buffer.getvalue()).rows == 1
    assert attribute_rows(ws) == [("101", "Acme", "ZZ2 1AB", "ZZ2", None, True, None)]


@pytest.mark.parametrize(("data", "line", "words"), [
    ("Supplier ID,Supplier Name,SME\n1,A,yes\n2,B,maybe\n", 3, "'SME': is not yes or no"),
    ("Supplier ID,Supplier Name,Postcode\n1,A,ZZ1 1AA\n2,B,not a postcode\n", 3, "is not a UK postcode"),
    ("Supplier ID,Supplier Name,Company Number\n1,A,12-34\n", 2, "is not a Companies House number"),
    ("Supplier ID,Supplier Name,VCSE\n1,A,yes\n,,no\n", 3, "no supplier id or name"),
    ("Supplier ID,Supplier Name,VCSE\n1,A,yes\n2,B,no,extra\n", 3, "more cells than the header"),
    ("Supplier ID,Supplier Name,SME\n1,A,yes\n1,A again,no\n", 3, "different details for a supplier already on line 2"),
])
def test_supplier_list_refused_whole_naming_file_and_line(council: Workspace, data: str, line: int, words: str) -> None:
    before = attribute_rows(council)
    with pytest.raises(LoadError) as refused:
        sa.load_supplier_attributes(council, "bad.csv", data.encode())
    assert refused.value.message.startswith("bad.csv: ")
    assert refused.value.line == line and words in refused.value.message
    assert attribute_rows(council) == before


def test_supplier_list_without_a_usable_header_is_refused(ws: Workspace) -> None:
    with pytest.raises(LoadError, match="no header row"):
        sa.load_supplier_attributes(ws, "odd.csv", b"Who,Where\nA,ZZ1\n")
    with pytest.raises(LoadError, match="empty"):
        sa.load_supplier_attributes(ws, "empty.csv", b"  \n")


def test_supplier_list_replaces_the_last_and_refuses_the_same_bytes(ws: Workspace) -> None:
    first = b"Supplier ID,Supplier Name,SME\n1,A,yes\n1,A,Yes\n2,B,no\n"
    result = sa.load_supplier_attributes(ws, "one.csv", first)
    assert result.rows == 2 and result.quality["repeated_rows"] == 1  # the same details twice are kept once
    with pytest.raises(AlreadyLoaded):
        sa.load_supplier_attributes(ws, "one-again.csv", first)
    sa.load_supplier_attributes(ws, "two.csv", b"Supplier ID,Supplier Name,VCSE\n3,C,yes\n")
    assert [r[0] for r in attribute_rows(ws)] == ["3"]
    assert sa.current_upload(ws)["name"] == "two.csv"  # type: ignore[index]
    assert sa.clear_supplier_attributes(ws) == 1
    assert sa.current_upload(ws) is None


def test_sample_supplier_list_and_local_districts(ws: Workspace) -> None:
    result = sa.install_sample_attributes(ws)
    assert result is not None and result.rows == 300
    assert terms.local_districts(ws).districts == tuple(f"ZZ{n}" for n in range(1, 10))
    assert sa.install_sample_attributes(ws) is None


def test_renewal_timeline_draws_contracts_without_a_reference_or_title(council: Workspace) -> None:
    from sp_analysis.output.charts import ChartText
    from sp_analysis.output.contract_charts import renewal_timeline

    pipeline = reprocurement.renewal_pipeline(council, TODAY, 18)
    pipeline["reference"] = pd.Series([None, pd.NA], dtype="object")
    pipeline["title"] = pd.Series([pd.NA, "Cleaning"], dtype="object")
    figure = renewal_timeline(pipeline, ChartText("Renewals", "next 18 months", "Source"), TODAY)
    labels = [str(t) for t in figure.layout.yaxis.ticktext or ()] or [
        str(y) for trace in figure.data for y in (trace.y or ())]
    assert any("untitled contract" in label for label in labels) and any("Cleaning" in label for label in labels)
