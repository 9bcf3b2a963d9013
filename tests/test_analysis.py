"""Spend analysis figures, each checked against an independent computation in plain Python.

The fixture spend files below are written out row by row. Every row carries, by hand, the supplier key
it must get (or None for a redacted payee, who stands alone); its category follows from a small known
taxonomy whose only rules are exact expense types. The Python model then computes every figure from
those rows (sums, supplier-years, bands, impact groups) without touching DuckDB, and the tests compare
what `sp_analysis.spend.queries` returns with it, money as Decimal pence.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from sp_analysis.definitions import IMPACT_GROUPS, ValueBands
from sp_analysis.ingest.load import load_file, remove_file
from sp_analysis.spend import queries
from sp_analysis.spend.classify import import_categories_csv, import_rules_csv
from sp_analysis.spend.facts import ensure_current
from sp_analysis.spend.filters import SpendFilters
from sp_analysis.sql import recording
from sp_analysis.workspace import Workspace, close_workspace, open_workspace
from tests.conftest import taxonomy_csv

PENNY = Decimal("0.01")
HEADER = ("Date", "Supplier Name", "Supplier ID", "Expense Area", "Expense Type", "Transaction Number", "Amount")

# --- the taxonomy and rules: every payment's category is known by hand ------------------------------------

TAXONOMY = {
    # category: (impact, influenceable)
    "Construction": ("High", True),
    "Energy": ("High", True),
    "Consultancy": ("Medium", True),
    "Stationery": ("Low", True),
    "Grants": ("Low", False),
    "Unclassified": ("Unclassified", False),
}
TAXONOMY_CSV = taxonomy_csv(TAXONOMY)
# Exact expense type -> category; anything else ("Sundries") stays Unclassified.
EXPENSE_TYPES = {
    "Building works": "Construction",
    "Electricity": "Energy",
    "Advice": "Consultancy",
    "Paper": "Stationery",
    "Grant": "Grants",
}
RULES_CSV = (
    "rule_id,layer,field,match,pattern,category,priority,note\n"
    + "".join(f"K{i},keyword,expense_type,exact,{t},{c},1,test\n" for i, (t, c) in enumerate(EXPENSE_TYPES.items()))
).encode()

DEFAULT_LABELS = ("Under £25k", "£25k to £100k", "£100k to £500k", "£500k and over")
DEFAULT_BOUNDS = (Decimal(25_000), Decimal(100_000), Decimal(500_000))
CUSTOM_LABELS = ("Under £10k", "£10k to £100k", "£100k to £1m", "£1m and over")
CUSTOM_BOUNDS = (Decimal(10_000), Decimal(100_000), Decimal(1_000_000))
HOSTILE = "x'); DROP TABLE payments; --"

# (date, supplier name, supplier id, department, expense type, transaction ref, amount, expected supplier key)
Row = tuple[str, str, str, str, str, str, str, str | None]
SpendFile = tuple[str, list[Row]]


# --- the fixture files ----------------------------------------------------------------------------------

FILE_2023: SpendFile = (
    "spend-2023-24.csv",
    [
        ("15/06/2023", "Mystery Co", "", "Resources", "Sundries", "A1", "5000.00", "name:mystery"),
        ("01/09/2023", "Small Shop", "", "Resources", "Paper", "A2", "1234.56", "name:small shop"),
        # 31 March: the last day of 2023/24; the same supplier's 1 April payment is in the other file.
        ("31/03/2024", "Spanner Group", "", "Place", "Building works", "A3", "80000.00", "name:spanner group"),
        ("30/11/2023", "Redacted", "", "People", "Grant", "A4", "500.00", None),
        ("01/12/2023", "Redacted", "", "People", "Grant", "A5", "500.00", None),
        ("01/07/2023", "Exact Hundred Ltd", "", "Place", "Building works", "A6", "2500.00", "name:exact hundred"),
    ],
)
FILE_2024: SpendFile = (
    "spend-2024-25.csv",
    [
        ("01/04/2024", "Spanner Group", "", "Place", "Building works", "B1", "80000.00", "name:spanner group"),
        # exactly £100,000.00 in 2024/25, in two spellings
        ("10/05/2024", "Exact Hundred Ltd", "", "Place", "Building works", "B2", "60000.00", "name:exact hundred"),
        ("20/08/2024", "EXACT HUNDRED LIMITED", "", "Place", "Building works", "B3", "40000.00", "name:exact hundred"),
        # £99,999.99: a penny under the line
        ("01/06/2024", "Just Under Ltd", "", "Resources", "Electricity", "B4", "33333.33", "name:just under"),
        ("02/06/2024", "Just Under Ltd", "", "Resources", "Electricity", "B4a", "33333.33", "name:just under"),
        ("03/06/2024", "Just Under Ltd", "", "Resources", "Electricity", "B5", "33333.33", "name:just under"),
        # £120,000.00 less a credit note of £20,000.01: £99,999.99, under the line
        ("01/07/2024", "Credited Services", "", "People", "Advice", "B6", "120000.00", "name:credited services"),
        ("01/09/2024", "Credited Services", "", "People", "Advice", "B7", "-20000.01", "name:credited services"),
        # one supplier-year split across two impact groups (High and Low)
        ("01/10/2024", "Split Impact plc", "", "Place", "Building works", "B8", "300000.00", "name:split impact"),
        ("02/10/2024", "Split Impact plc", "", "Resources", "Paper", "B9", "250000.00", "name:split impact"),
        # non-procurement over £100k: never influenceable
        ("15/01/2025", "Community Trust", "", "People", "Grant", "B10", "150000.00", "name:community trust"),
        # a supplier-year over £100k only thanks to unclassified spend (in a hostile department name)
        ("11/11/2024", "Mixed Ltd", "", "Resources", "Advice", "B11", "90000.00", "name:mixed"),
        ("12/11/2024", "Mixed Ltd", "", HOSTILE, "Sundries", "B12", "20000.00", "name:mixed"),
        # a credit note that leaves the supplier-year negative
        ("31/03/2025", "Small Shop", "", "Resources", "Paper", "B13", "-34.56", "name:small shop"),
    ],
)

MERGING_FILE: SpendFile = (
    "merging.csv",
    [
        ("01/06/2024", "ACME Supplies Ltd", "", "Place", "Paper", "M1", "100.00", "name:acme supplies"),
        ("02/06/2024", "ACME Supplies Ltd", "", "Place", "Paper", "M2", "100.00", "name:acme supplies"),
        ("03/06/2024", "ACME Supplies Ltd", "", "Place", "Paper", "M3", "100.00", "name:acme supplies"),
        ("04/06/2024", "Acme Supplies Limited", "", "Place", "Paper", "M4", "10.00", "name:acme supplies"),
        ("05/06/2024", "acme supplies", "", "Place", "Paper", "M5", "10.00", "name:acme supplies"),
        ("06/06/2024", "ACME SUPPLIES PLC", "", "Place", "Paper", "M6", "10.00", "name:acme supplies"),
        ("07/06/2024", "Acme Supplies LLP", "", "Place", "Paper", "M7", "10.00", "name:acme supplies"),
        ("08/06/2024", "Acme Supplies ****1234", "", "Place", "Paper", "M8", "10.00", "name:acme supplies"),
        ("09/06/2024", "ACME SUPPLIES (****9936)", "", "Place", "Paper", "M9", "10.00", "name:acme supplies"),
        ("10/06/2024", "Acme Supplies, Limited", "", "Place", "Paper", "M10", "10.00", "name:acme supplies"),
        ("11/06/2024", "ACME-SUPPLIES", "", "Place", "Paper", "M11", "10.00", "name:acme supplies"),
        # a different business that shares a word
        ("12/06/2024", "Acme Services Ltd", "", "Place", "Paper", "M12", "7.00", "name:acme services"),
        ("13/06/2024", "Smith & Jones Ltd", "", "Place", "Advice", "M13", "20.00", "name:smith and jones"),
        ("14/06/2024", "Smith and Jones Limited", "", "Place", "Advice", "M14", "20.00", "name:smith and jones"),
        ("15/06/2024", "SMITH AND JONES", "", "Place", "Advice", "M15", "20.00", "name:smith and jones"),
        ("16/06/2024", "SMITH AND JONES", "", "Place", "Advice", "M16", "20.00", "name:smith and jones"),
        ("17/06/2024", "J Bloggs t/a Bloggs Plumbing", "", "Place", "Building works", "M17", "30.00", "name:j bloggs"),
        ("18/06/2024", "J Bloggs t/a Bloggs Plumbing", "", "Place", "Building works", "M18", "30.00", "name:j bloggs"),
        ("19/06/2024", "J Bloggs trading as Bloggs Plumbing", "", "Place", "Building works", "M19", "30.00",
         "name:j bloggs"),
        ("20/06/2024", "J. Bloggs", "", "Place", "Building works", "M20", "30.00", "name:j bloggs"),
        ("21/06/2024", "Café Nero Ltd", "", "People", "Sundries", "M21", "40.00", "name:cafe nero"),
        ("22/06/2024", "Café Nero Ltd", "", "People", "Sundries", "M22", "40.00", "name:cafe nero"),
        ("23/06/2024", "CAFE NERO", "", "People", "Sundries", "M23", "40.00", "name:cafe nero"),
        ("24/06/2024", "The Green Grocer", "", "People", "Sundries", "M24", "45.00", "name:green grocer"),
        ("25/06/2024", "Green Grocer Ltd", "", "People", "Sundries", "M25", "45.00", "name:green grocer"),
        ("26/06/2024", "The Green Grocer", "", "People", "Sundries", "M26", "45.00", "name:green grocer"),
        # the council's supplier id wins over the name; a name without an id joins the id it carries elsewhere
        ("27/06/2024", "North Water", "S100", "Place", "Electricity", "M27", "500.00", "id:S100"),
        ("28/06/2024", "North Water", "S100", "Place", "Electricity", "M28", "500.00", "id:S100"),
        ("29/06/2024", "Northern Water Services Ltd", "S100", "Place", "Electricity", "M29", "500.00", "id:S100"),
        ("30/06/2024", "North Water Ltd", "", "Place", "Electricity", "M30", "500.00", "id:S100"),
        # a name that is the same spelling as another supplier's, but under a different id
        ("01/07/2024", "South Water", "S200", "Place", "Electricity", "M31", "300.00", "id:S200"),
        ("02/07/2024", "South Water Ltd", "S201", "Place", "Electricity", "M32", "301.00", "id:S201"),
        ("03/07/2024", "South Water", "S200", "Place", "Electricity", "M33", "300.00", "id:S200"),
        # redacted payees each stand alone
        ("04/07/2024", "Redacted", "", "People", "Grant", "M34", "60.00", None),
        ("05/07/2024", "REDACTED", "", "People", "Grant", "M35", "61.00", None),
        ("06/07/2024", "Personal data", "", "People", "Grant", "M36", "62.00", None),
    ],
)

# A legal suffix followed by punctuation or masked bank digits: still the same supplier.
SUFFIX_THEN_MORE_FILE: SpendFile = (
    "suffix-then-more.csv",
    [
        ("01/06/2024", "Acme Ltd", "", "Place", "Paper", "S1", "100.00", "name:acme"),
        ("02/06/2024", "Acme Ltd", "", "Place", "Paper", "S2", "100.00", "name:acme"),
        ("03/06/2024", "Acme Ltd.", "", "Place", "Paper", "S3", "10.00", "name:acme"),
        ("04/06/2024", "Acme Ltd ****1234", "", "Place", "Paper", "S4", "10.00", "name:acme"),
        ("05/06/2024", "ACME LTD (****9936)", "", "Place", "Paper", "S5", "10.00", "name:acme"),
        ("06/06/2024", "Acme, Limited.", "", "Place", "Paper", "S6", "10.00", "name:acme"),
    ],
)

# 25 suppliers (more than 20), with ties at the 10/11 and 20/21 boundaries, a negative net supplier, in
# an order that is neither by value nor by name.
CONCENTRATION_AMOUNTS = {
    "Kilo": "9000.00", "Alpha": "12000.00", "Echo": "5000.00", "Zulu": "5000.00", "Bravo": "11000.00",
    "Golf": "7000.00", "Hotel": "6500.00", "Yankee": "5000.00", "India": "6000.00", "Lima": "4000.00",
    "Delta": "8000.00", "Mike": "3500.00", "Charlie": "10000.00", "Foxtrot": "7500.00", "November": "3000.00",
    "Oscar": "2500.00", "Papa": "2000.00", "Quebec": "1500.00", "Romeo": "1000.00", "Sierra": "700.00",
    "Tango": "700.00", "Uniform": "700.00", "Victor": "500.00", "Whiskey": "100.00", "Xray": "-50.00",
}
CONCENTRATION_FILE: SpendFile = (
    "concentration.csv",
    [
        (f"{1 + i % 28:02d}/05/2024", f"{name} Ltd", "", "Place", "Paper", f"C{i}", amount, f"name:{name.lower()}")
        for i, (name, amount) in enumerate(CONCENTRATION_AMOUNTS.items())
    ],
)


# --- the independent model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pay:
    file: str
    line: int
    date: dt.date
    name: str
    supplier_id: str
    department: str
    expense_type: str
    ref: str
    amount: Decimal
    key: str | None


def pays_of(file: SpendFile) -> list[Pay]:
    name, rows = file
    out = []
    for line, (date, supplier, sid, dept, etype, ref, amount, key) in enumerate(rows, start=2):
        day, month, year = (int(x) for x in date.split("/"))
        out.append(Pay(name, line, dt.date(year, month, day), supplier, sid, dept, etype, ref, Decimal(amount), key))
    return out


def csv_bytes(file: SpendFile) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(row[:7] for row in file[1])
    return out.getvalue().encode("utf-8")


def fy_start(d: dt.date) -> int:
    return d.year - 1 if d.month < 4 else d.year


def fy_label(d: dt.date) -> str:
    start = fy_start(d)
    return f"{start}/{(start + 1) % 100:02d}"


@dataclass
class Model:
    """Plain-Python figures over the fixture rows."""

    pays: list[Pay]
    file_ids: dict[str, int]
    merges: dict[str, str] = field(default_factory=dict)
    bounds: tuple[Decimal, ...] = DEFAULT_BOUNDS
    labels: tuple[str, ...] = DEFAULT_LABELS

    def key(self, p: Pay) -> str:
        base = p.key if p.key is not None else f"redacted:{self.file_ids[p.file]}:{p.line}"
        return self.merges.get(base, base)

    @staticmethod
    def category(p: Pay) -> str:
        return EXPENSE_TYPES.get(p.expense_type, "Unclassified")

    def impact_group(self, p: Pay) -> str:
        category = self.category(p)
        impact, influenceable = TAXONOMY[category]
        if category == "Unclassified":
            return "Unclassified"
        return impact if influenceable else "Non-procurement"

    def influenceable(self, p: Pay) -> bool:
        category = self.category(p)
        return category != "Unclassified" and TAXONOMY[category][1]

    def supplier_year(self, p: Pay) -> tuple[str, int]:
        return self.key(p), fy_start(p.date)

    def supplier_year_totals(self) -> dict[tuple[str, int], Decimal]:
        totals: dict[tuple[str, int], Decimal] = {}
        for p in self.pays:
            totals[self.supplier_year(p)] = totals.get(self.supplier_year(p), Decimal(0)) + p.amount
        return totals

    def sy_total(self, p: Pay) -> Decimal:
        return self.supplier_year_totals()[self.supplier_year(p)]

    def band(self, p: Pay) -> str:
        return self.labels[bisect.bisect_right(self.bounds, self.sy_total(p))]

    def display(self, key: str) -> str:
        names = Counter(p.name for p in self.pays if self.key(p) == key)
        if key.startswith("redacted:"):
            return "Redacted payee"
        (first, n1), *rest = names.most_common()
        assert not rest or rest[0][1] < n1, f"the fixture has a tie for the display name of {key}"
        return first

    def select(self, keep: Callable[[Pay], bool]) -> list[Pay]:
        return [p for p in self.pays if keep(p)]


def total(pays: list[Pay]) -> Decimal:
    return sum((p.amount for p in pays), Decimal(0))


def pence(value: object) -> Decimal:
    """A money value as Decimal pence, whatever type the frame holds it in (exactness is tested apart)."""
    return Decimal(value).quantize(PENNY)  # type: ignore[arg-type]


def build(path: Path, *files: SpendFile) -> tuple[Workspace, Model]:
    ws = open_workspace(path)
    import_categories_csv(ws, TAXONOMY_CSV)
    import_rules_csv(ws, RULES_CSV)
    ids = {f[0]: load_file(ws, f[0], csv_bytes(f), "spend").file_id for f in files}
    ensure_current(ws)
    return ws, Model([p for f in files for p in pays_of(f)], ids)


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Model]]:
    """Two years of spend, read-only for the tests that take it."""
    path = tmp_path_factory.mktemp("council") / "workspace.duckdb"
    yield build(path, FILE_2023, FILE_2024)
    close_workspace(path)


@pytest.fixture(scope="module")
def merging(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Model]]:
    path = tmp_path_factory.mktemp("merging") / "workspace.duckdb"
    yield build(path, MERGING_FILE)
    close_workspace(path)


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Model]]:
    path = tmp_path_factory.mktemp("many") / "workspace.duckdb"
    yield build(path, CONCENTRATION_FILE)
    close_workspace(path)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[tuple[Workspace, Model]]:
    """The council's two years in a workspace a test may change."""
    path = tmp_path / "workspace.duckdb"
    yield build(path, FILE_2023, FILE_2024)
    close_workspace(path)


def payment_count(ws: Workspace) -> int:
    with ws.read() as cur:
        return int(cur.execute("SELECT count(*) FROM payments").fetchone()[0])  # type: ignore[index]


# --- the model itself: the hand-stated edges hold in the fixture ----------------------------------------


def test_fixture_edges_hold_in_the_model(council: tuple[Workspace, Model]) -> None:
    _, model = council
    totals = model.supplier_year_totals()
    assert totals[("name:exact hundred", 2024)] == Decimal("100000.00")
    assert totals[("name:just under", 2024)] == Decimal("99999.99")
    assert totals[("name:credited services", 2024)] == Decimal("99999.99")
    assert totals[("name:spanner group", 2023)] == totals[("name:spanner group", 2024)] == Decimal("80000.00")
    assert totals[("name:small shop", 2024)] == Decimal("-34.56")


# --- headline figures -------------------------------------------------------------------------------------


def test_headline_figures_match_the_rows(council: tuple[Workspace, Model]) -> None:
    ws, model = council
    h = queries.headline(ws, SpendFilters())
    pays = model.pays
    influenceable = model.select(model.influenceable)
    over = [p for p in influenceable if model.sy_total(p) >= Decimal("100000.00")]
    high = [p for p in influenceable if model.impact_group(p) == "High"]
    high_over = [p for p in over if model.impact_group(p) == "High"]
    assert h.payments == len(pays) == 20
    assert h.total == total(pays) == Decimal("1279699.98")
    assert h.influenceable == total(influenceable)
    assert h.over_100k == total(over) == Decimal("740000.00")  # Exact Hundred, Split Impact, Mixed's Advice
    assert h.high_impact == total(high)
    assert h.high_over_100k == total(high_over) == Decimal("400000.00")
    assert h.classified == total([p for p in pays if model.category(p) != "Unclassified"])
    assert h.files == 2
    assert (h.first_date, h.last_date) == (dt.date(2023, 6, 15), dt.date(2025, 3, 31))
    assert h.credit_notes == len([p for p in pays if p.amount < 0]) == 2
    assert all(isinstance(v, Decimal) for v in (h.total, h.influenceable, h.over_100k, h.high_impact,
                                                  h.high_over_100k, h.classified))
    assert h.over_100k_share == float(total(over) / total(influenceable))
    assert h.high_impact_share == float(total(high) / total(influenceable))
    assert h.classified_share == float(h.classified / total(pays))


def test_headline_when_nothing_matches(council: tuple[Workspace, Model]) -> None:
    ws, _ = council
    h = queries.headline(ws, SpendFilters(financial_years=("1999/00",)))
    assert (h.payments, h.total, h.influenceable, h.over_100k, h.high_impact, h.classified) == (
        0, Decimal(0), Decimal(0), Decimal(0), Decimal(0), Decimal(0))
    assert (h.files, h.first_date, h.last_date, h.credit_notes) == (0, None, None, 0)
    assert (h.over_100k_share, h.high_impact_share, h.classified_share) == (None, None, None)


def test_unclassified_spend_is_never_influenceable_even_if_the_taxonomy_says_so(ws: Workspace) -> None:
    import_categories_csv(ws, TAXONOMY_CSV.replace(b"Unclassified,Unclassified,false", b"Unclassified,Unclassified,true"))
    import_rules_csv(ws, RULES_CSV)
    load_file(ws, FILE_2024[0], csv_bytes(FILE_2024), "spend")
    ensure_current(ws)
    model = Model(pays_of(FILE_2024), {FILE_2024[0]: 1})
    h = queries.headline(ws, SpendFilters())
    assert h.influenceable == total(model.select(model.influenceable))


def test_spend_by_financial_year(council: tuple[Workspace, Model]) -> None:
    ws, model = council
    frame = queries.spend_by_financial_year(ws, SpendFilters())
    got = {(r.financial_year, r.impact_group): (int(r.payments), pence(r.total)) for r in frame.itertuples()}
    expected: dict[tuple[str, str], tuple[int, Decimal]] = {}
    for p in model.pays:
        n, t = expected.get((fy_label(p.date), model.impact_group(p)), (0, Decimal(0)))
        expected[(fy_label(p.date), model.impact_group(p))] = (n + 1, t + p.amount)
    assert got == expected
    assert list(zip(frame["financial_year"], frame["impact_group"], strict=True)) == sorted(expected)


def test_impact_category_supplier(council: tuple[Workspace, Model]) -> None:
    ws, model = council
    frame = queries.impact_category_supplier(ws, SpendFilters())
    got = {(r.impact_group, r.category, r.supplier_key): (r.supplier, int(r.payments), pence(r.total))
           for r in frame.itertuples()}
    expected: dict[tuple[str, str, str], tuple[str, int, Decimal]] = {}
    for p in model.pays:
        k = (model.impact_group(p), model.category(p), model.key(p))
        _, n, t = expected.get(k, ("", 0, Decimal(0)))
        expected[k] = (model.display(model.key(p)), n + 1, t + p.amount)
    assert got == expected
    assert [pence(v) for v in frame["total"]] == sorted((v[2] for v in expected.values()), reverse=True)


# --- value bands and the band x impact matrix -------------------------------------------------------------


def bands_by_supplier_year(ws: Workspace, filters: SpendFilters, labels: tuple[str, ...]) -> dict[tuple[str, str], str]:
    """(supplier, financial year) -> band, as the value-band filter sees it."""
    out: dict[tuple[str, str], str] = {}
    for label in labels:
        frame, _, _ = queries.payments_behind(ws, SpendFilters(value_bands=(label,), bands=filters.bands))
        for supplier, year in zip(frame["supplier"], frame["financial_year"], strict=True):
            assert out.setdefault((supplier, year), label) == label
    return out


def test_band_edges(council: tuple[Workspace, Model]) -> None:
    ws, _ = council
    bands = bands_by_supplier_year(ws, SpendFilters(), DEFAULT_LABELS)
    # stated by hand, not by the model
    assert bands[("Exact Hundred Ltd", "2024/25")] == "£100k to £500k"  # exactly £100,000.00
    assert bands[("Exact Hundred Ltd", "2023/24")] == "Under £25k"
    assert bands[("Just Under Ltd", "2024/25")] == "£25k to £100k"  # £99,999.99
    assert bands[("Credited Services", "2024/25")] == "£25k to £100k"  # £120,000.00 less a £20,000.01 credit
    assert bands[("Spanner Group", "2023/24")] == "£25k to £100k"  # 31 March: £80k, not £160k
    assert bands[("Spanner Group", "2024/25")] == "£25k to £100k"  # 1 April
    assert bands[("Split Impact plc", "2024/25")] == "£500k and over"
    assert bands[("Community Trust", "2024/25")] == "£100k to £500k"
    assert bands[("Mixed Ltd", "2024/25")] == "£100k to £500k"
    assert bands[("Small Shop", "2024/25")] == "Under £25k"  # a negative net supplier-year
    frame, _, _ = queries.payments_behind(ws, SpendFilters(supplier_search="exact hundred"))
    assert sorted(pence(v) for v in frame["supplier_year_total"]) == [
        Decimal("2500.00"), Decimal("100000.00"), Decimal("100000.00")]


def test_a_credit_note_pulls_a_supplier_year_under_the_line(council: tuple[Workspace, Model]) -> None:
    ws, _ = council
    h = queries.headline(ws, SpendFilters(supplier_search="credited"))
    assert h.total == Decimal("99999.99")
    assert h.over_100k == Decimal(0)
    assert h.credit_notes == 1


def matrix_expected(model: Model, keep: Callable[[Pay], bool] = lambda p: True) -> dict[tuple[str, str], tuple]:
    cells: dict[tuple[str, str], tuple[Decimal, set, int]] = {
        (b, i): (Decimal(0), set(), 0) for b in model.labels for i in IMPACT_GROUPS}
    for p in model.select(keep):
        t, years, n = cells[(model.band(p), model.impact_group(p))]
        cells[(model.band(p), model.impact_group(p))] = (t + p.amount, years | {model.supplier_year(p)}, n + 1)
    return {cell: (t, len(years), n) for cell, (t, years, n) in cells.items()}


def matrix_got(frame: pd.DataFrame) -> dict[tuple[str, str], tuple]:
    return {(r.value_band, r.impact_group): (pence(r.total), int(r.supplier_years), int(r.payments))
            for r in frame.itertuples()}


def test_band_impact_matrix_has_every_cell_and_counts_supplier_years(council: tuple[Workspace, Model]) -> None:
    ws, model = council
    frame = queries.band_impact_matrix(ws, SpendFilters())
    assert list(zip(frame["value_band"], frame["impact_group"], strict=True)) == [
        (b, i) for b in DEFAULT_LABELS for i in IMPACT_GROUPS]
    assert matrix_got(frame) == matrix_expected(model)
    got = matrix_got(frame)
    # by hand: Split Impact's one supplier-year counts once in High and once in Low
    assert got[("£500k and over", "High")] == (Decimal("300000.00"), 1, 1)
    assert got[("£500k and over", "Low")] == (Decimal("250000.00"), 1, 1)
    # Mixed's supplier-year in Medium and in Unclassified; Community Trust's in Non-procurement
    assert got[("£100k to £500k", "Medium")] == (Decimal("90000.00"), 1, 1)
    assert got[("£100k to £500k", "Unclassified")] == (Decimal("20000.00"), 1, 1)
    assert got[("£100k to £500k", "Non-procurement")] == (Decimal("150000.00"), 1, 1)
    # Exact Hundred's exactly-£100k year: one supplier-year, two payments
    assert got[("£100k to £500k", "High")] == (Decimal("100000.00"), 1, 2)
    # Spanner (two years), Just Under: three supplier-years of High under £100k
    assert got[("£25k to £100k", "High")] == (Decimal("259999.99"), 3, 5)
    assert got[("£500k and over", "Medium")] == (Decimal(0), 0, 0)
    # the two redacted payees are two supplier-years
    assert got[("Under £25k", "Non-procurement")] == (Decimal("1000.00"), 2, 2)


def test_band_impact_matrix_marks_only_high_at_or_over_100k_as_priority(council: tuple[Workspace, Model]) -> None:
    ws, _ = council
    frame = queries.band_impact_matrix(ws, SpendFilters())
    priority = {(r.value_band, r.impact_group) for r in frame.itertuples() if r.priority}
    assert priority == {("£100k to £500k", "High"), ("£500k and over", "High")}
    assert frame["priority"].dtype == bool


def test_band_impact_matrix_with_nothing_matching_is_all_zeros(council: tuple[Workspace, Model]) -> None:
    ws, _ = council
    frame = queries.band_impact_matrix(ws, SpendFilters(departments=("Nowhere",)))
    assert len(frame) == len(DEFAULT_LABELS) * len(IMPACT_GROUPS)
    assert set(matrix_got(frame).values()) == {(Decimal(0), 0, 0)}


def test_band_impact_matrix_totals_are_exact_pence(council: tuple[Workspace, Model]) -> None:
    ws, model = council
    frame = queries.band_impact_matrix(ws, SpendFilters())
    got = {(r.value_band, r.impact_group): r.total for r in frame.itertuples()}
    assert got == {cell: t for cell, (t, _, _) in matrix_expected(model).items()}
    assert all(t == t.quantize(PENNY) for t in got.values())


def test_band_impact_matrix_respects_filters(council: tuple[Workspace, Model]) -> None:
    ws, model = council
    filters = SpendFilters(financial_years=("2024/25",), departments=("Place", "Resources"))
    frame = queries.band_impact_matrix(ws, filters)
    # the band is always of the whole supplier-year, even when the filter keeps only part of it
    assert matrix_got(frame) == matrix_expected(
        model, lambda p: fy_label(p.date) == "2024/25" and p.department in ("Place", "Resources"))


# --- custom value bands ------------------------------------------------------------------------------------


def test_custom_value_bands_label_and_band(council: tuple[Workspace, Model]) -> None:
    ws, model = council
    bands = ValueBands((Decimal(10_000), Decimal(100_000), Decimal(1_000_000)))
    assert bands.labels == CUSTOM_LABELS
    assert bands.over_threshold == ("£100k to £1m", "£1m and over")
    custom = Model(model.pays, model.file_ids, bounds=CUSTOM_BOUNDS, labels=CUSTOM_LABELS)
    frame = queries.band_impact_matrix(ws, SpendFilters(bands=bands))
    assert list(frame["value_band"].unique()) == list(CUSTOM_LABELS)
    assert matrix_got(frame) == matrix_expected(custom)
    assert {(r.value_band, r.impact_group) for r in frame.itertuples() if r.priority} == {
        ("£100k to £1m", "High"), ("£1m and over", "High")}
    # Exact Hundred's £2,500.00 year is under £10k; Spanner's £80k years are £10k to £100k
    by_year = bands_by_supplier_year(ws, SpendFilters(bands=bands), CUSTOM_LABELS)
    assert by_year[("Exact Hundred Ltd", "2023/24")] == "Under £10k"
    assert by_year[("Exact Hundred Ltd", "2024/25")] == "£100k to £1m"
    assert by_year[("Spanner Group", "2023/24")] == "£10k to £100k"
    assert by_year[("Split Impact plc", "2024/25")] == "£100k to £1m"
    for label in CUSTOM_LABELS:
        h = queries.headline(ws, SpendFilters(bands=bands, value_bands=(label,)))
        assert h.total == total([p for p in custom.pays if custom.band(p) == label]), label


def test_default_value_bands() -> None:
    assert ValueBands().labels == DEFAULT_LABELS
    assert ValueBands().over_threshold == ("£100k to £500k", "£500k and over")
    assert ValueBands((Decimal(12_500), Decimal(100_000))).labels == (
        "Under £12,500", "£12,500 to £100k", "£100k and over")
    # a boundary of a million or more is written in millions, to one place where needed
    assert ValueBands((Decimal(100_000), Decimal(2_500_000))).labels == (
        "Under £100k", "£100k to £2.5m", "£2.5m and over")
    assert ValueBands((Decimal(100_000), Decimal("250000.50"))).labels == (
        "Under £100k", "£100k to £250,000.50", "£250,000.50 and over")


@pytest.mark.parametrize("boundaries", [
    (Decimal(25_000), Decimal(500_000)),  # no £100k
    (Decimal(100_000), Decimal(25_000)),  # unordered
    (Decimal(25_000), Decimal(25_000), Decimal(100_000)),  # repeated
    (Decimal(0), Decimal(100_000)),  # not positive
    (Decimal(-5_000), Decimal(100_000)),
], ids=["no-100k", "unordered", "repeated", "zero", "negative"])
def test_value_bands_refuse_bad_boundaries(boundaries: tuple[Decimal, ...]) -> None:
    with pytest.raises(ValueError):
        ValueBands(boundaries)


def test_value_bands_parse() -> None:
    assert ValueBands.parse("25k, 100k, 1m").boundaries == (Decimal(25_000), Decimal(100_000), Decimal(1_000_000))
    assert ValueBands.parse("25000 100000;500000").boundaries == DEFAULT_BOUNDS
    assert ValueBands.parse("£10K, £100k").boundaries == (Decimal(10_000), Decimal(100_000))
    assert ValueBands.parse("2.5k, 100k").boundaries == (Decimal(2_500), Decimal(100_000))
    with pytest.raises(ValueError, match="not an amount"):
        ValueBands.parse("25k, lots, 100k")
    with pytest.raises(ValueError):
        ValueBands.parse("25k, 500k")
    with pytest.raises(ValueError):
        ValueBands.parse("")


# --- suppliers: keys, merging, display names -----------------------------------------------------------


def suppliers_expected(model: Model, keep: Callable[[Pay], bool] = lambda p: True) -> dict[str, tuple[str, int, Decimal]]:
    out: dict[str, tuple[str, int, Decimal]] = {}
    for p in model.select(keep):
        _, n, t = out.get(model.key(p), ("", 0, Decimal(0)))
        out[model.key(p)] = (model.display(model.key(p)), n + 1, t + p.amount)
    return out


def suppliers_got(frame: pd.DataFrame) -> dict[str, tuple[str, int, Decimal]]:
    return {r.supplier_key: (r.supplier, int(r.payments), pence(r.total)) for r in frame.itertuples()}


def test_supplier_keys_merge_spellings(merging: tuple[Workspace, Model]) -> None:
    ws, model = merging
    frame = queries.top_suppliers(ws, SpendFilters(), limit=100)
    assert suppliers_got(frame) == suppliers_expected(model)
    got = suppliers_got(frame)
    # by hand
    assert got["name:acme supplies"] == ("ACME Supplies Ltd", 11, Decimal("380.00"))
    assert got["name:acme services"] == ("Acme Services Ltd", 1, Decimal("7.00"))
    assert got["name:smith and jones"] == ("SMITH AND JONES", 4, Decimal("80.00"))
    assert got["name:j bloggs"] == ("J Bloggs t/a Bloggs Plumbing", 4, Decimal("120.00"))
    assert got["name:cafe nero"] == ("Café Nero Ltd", 3, Decimal("120.00"))
    assert got["name:green grocer"] == ("The Green Grocer", 3, Decimal("135.00"))


def test_a_suffix_followed_by_punctuation_or_masked_digits_is_still_stripped(ws: Workspace) -> None:
    import_categories_csv(ws, TAXONOMY_CSV)
    import_rules_csv(ws, RULES_CSV)
    file_id = load_file(ws, SUFFIX_THEN_MORE_FILE[0], csv_bytes(SUFFIX_THEN_MORE_FILE), "spend").file_id
    ensure_current(ws)
    model = Model(pays_of(SUFFIX_THEN_MORE_FILE), {SUFFIX_THEN_MORE_FILE[0]: file_id})
    got = suppliers_got(queries.top_suppliers(ws, SpendFilters(), limit=100))
    assert got == suppliers_expected(model) == {"name:acme": ("Acme Ltd", 6, Decimal("240.00"))}


def test_supplier_id_is_preferred_and_lent_to_the_same_name_without_one(merging: tuple[Workspace, Model]) -> None:
    ws, _ = merging
    got = suppliers_got(queries.top_suppliers(ws, SpendFilters(), limit=100))
    assert got["id:S100"] == ("North Water", 4, Decimal("2000.00"))
    assert got["id:S200"] == ("South Water", 2, Decimal("600.00"))
    assert got["id:S201"] == ("South Water Ltd", 1, Decimal("301.00"))
    assert not any(k.startswith("name:north") or k.startswith("name:south") for k in got)


def test_redacted_payees_each_stand_alone(merging: tuple[Workspace, Model]) -> None:
    ws, model = merging
    got = suppliers_got(queries.top_suppliers(ws, SpendFilters(), limit=100))
    file_id = model.file_ids["merging.csv"]
    redacted = {k: v for k, v in got.items() if k.startswith("redacted:")}
    assert redacted == {
        f"redacted:{file_id}:35": ("Redacted payee", 1, Decimal("60.00")),
        f"redacted:{file_id}:36": ("Redacted payee", 1, Decimal("61.00")),
        f"redacted:{file_id}:37": ("Redacted payee", 1, Decimal("62.00")),
    }
    assert queries.concentration(ws, SpendFilters()).suppliers == len(suppliers_expected(model)) == 12


def merge(ws: Workspace, from_key: str, to_key: str) -> None:
    with ws.write() as cur:
        cur.execute("INSERT INTO supplier_merges VALUES ($f, $t, 'test', current_localtimestamp())",
                    {"f": from_key, "t": to_key})
        cur.execute("INSERT OR REPLACE INTO workspace_meta VALUES ('spend_facts_stale', '1')")


def test_a_manual_merge_is_applied_everywhere(fresh: tuple[Workspace, Model]) -> None:
    ws, model = fresh
    merge(ws, "name:spanner group", "name:just under")
    assert ensure_current(ws) is True
    merged = Model(model.pays, model.file_ids, merges={"name:spanner group": "name:just under"})
    # top suppliers
    assert suppliers_got(queries.top_suppliers(ws, SpendFilters(), limit=100)) == suppliers_expected(merged)
    assert suppliers_got(queries.top_suppliers(ws, SpendFilters(), limit=100))["name:just under"] == (
        "Just Under Ltd", 5, Decimal("259999.99"))
    # supplier-years: 2024/25 is now £179,999.99, over the line
    yoy = queries.supplier_year_on_year(ws, SpendFilters())
    row = yoy.set_index("supplier_key").loc["name:just under"]
    assert (pence(row["2023/24"]), pence(row["2024/25"])) == (Decimal("80000.00"), Decimal("179999.99"))
    assert "name:spanner group" not in set(yoy["supplier_key"])
    # bands and the matrix
    assert matrix_got(queries.band_impact_matrix(ws, SpendFilters())) == matrix_expected(merged)
    bands = bands_by_supplier_year(ws, SpendFilters(), DEFAULT_LABELS)
    assert bands[("Just Under Ltd", "2024/25")] == "£100k to £500k"
    assert bands[("Just Under Ltd", "2023/24")] == "£25k to £100k"
    # headline: both merged lines of 2024/25 are now over £100k
    h = queries.headline(ws, SpendFilters())
    over = [p for p in merged.select(merged.influenceable) if merged.sy_total(p) >= Decimal(100_000)]
    assert h.over_100k == total(over) == Decimal("740000.00") + Decimal("179999.99")
    # and the search finds the merged lines under the display name
    assert queries.headline(ws, SpendFilters(supplier_search="just under")).total == Decimal("259999.99")


def test_top_suppliers_order_totals_share_and_limit(council: tuple[Workspace, Model]) -> None:
    ws, model = council
    expected = suppliers_expected(model)
    grand = total(model.pays)
    order = sorted(expected, key=lambda k: (-expected[k][2], expected[k][0]))
    frame = queries.top_suppliers(ws, SpendFilters(), limit=5)
    assert list(frame["supplier_key"]) == order[:5]
    assert [pence(v) for v in frame["total"]] == [expected[k][2] for k in order[:5]]
    for r in frame.itertuples():
        assert r.share == pytest.approx(float(expected[r.supplier_key][2] / grand), rel=1e-12)
    split = frame.set_index("supplier_key").loc["name:split impact"]
    assert (int(split["categories"]), split["main_category"]) == (2, "Construction")
    full = queries.top_suppliers(ws, SpendFilters(), limit=100)
    assert list(full["supplier_key"]) == order and len(order) == 11
    assert float(full["share"].sum()) == pytest.approx(1.0, rel=1e-12)


def test_top_suppliers_and_payments_money_are_exact_decimals(council: tuple[Workspace, Model]) -> None:
    ws, model = council
    frame = queries.top_suppliers(ws, SpendFilters(), limit=100)
    expected = suppliers_expected(model)
    assert {r.supplier_key: r.total for r in frame.itertuples()} == {k: v[2] for k, v in expected.items()}
    assert all(isinstance(v, Decimal) for v in frame["total"])
    payments, _, _ = queries.payments_behind(ws, SpendFilters())
    assert all(isinstance(v, Decimal) for v in payments["amount"])


def test_top_suppliers_break_ties_by_name(many: tuple[Workspace, Model]) -> None:
    ws, _ = many
    frame = queries.top_suppliers(ws, SpendFilters(), limit=25)
    # £5,000.00 three ways across ranks 10-12 (loaded as Echo, Zulu, Yankee); £700.00 three ways across 20-22
    names = list(frame["supplier"])
    assert names[9:12] == ["Echo Ltd", "Yankee Ltd", "Zulu Ltd"]
    assert names[19:22] == ["Sierra Ltd", "Tango Ltd", "Uniform Ltd"]
    assert names[-1] == "Xray Ltd"
    assert list(queries.top_suppliers(ws, SpendFilters(), limit=25)["supplier"]) == names


def test_concentration_top_10_and_top_20(many: tuple[Workspace, Model]) -> None:
    ws, _ = many
    amounts = sorted((Decimal(a) for a in CONCENTRATION_AMOUNTS.values()), reverse=True)
    c = queries.concentration(ws, SpendFilters())
    assert c.suppliers == 25
    assert c.total == sum(amounts) == Decimal("112150.00")
    assert c.top_10 == sum(amounts[:10]) == Decimal("82000.00")
    assert c.top_20 == sum(amounts[:20]) == Decimal("110200.00")
    assert c.top_10_share == float(c.top_10 / c.total)
    assert c.top_20_share == float(c.top_20 / c.total)
    small = queries.concentration(ws, SpendFilters(supplier_search="a ltd"))  # the names ending in 'a'
    names = [n for n in CONCENTRATION_AMOUNTS if f"{n} Ltd".lower().find("a ltd") >= 0]
    picked = sorted((Decimal(CONCENTRATION_AMOUNTS[n]) for n in names), reverse=True)
    assert small.suppliers == len(names) < 10
    assert small.top_10 == small.top_20 == small.total == sum(picked)
    empty = queries.concentration(ws, SpendFilters(supplier_search="nobody"))
    assert (empty.total, empty.top_10, empty.top_20, empty.suppliers) == (0, 0, 0, 0)
    assert (empty.top_10_share, empty.top_20_share) == (None, None)


def test_concentration_counts_merged_suppliers_once(council: tuple[Workspace, Model]) -> None:
    ws, model = council
    c = queries.concentration(ws, SpendFilters())
    totals = sorted((v[2] for v in suppliers_expected(model).values()), reverse=True)
    assert c.suppliers == len(totals) == 11
    assert (c.total, c.top_10, c.top_20) == (sum(totals), sum(totals[:10]), sum(totals))


def test_supplier_year_on_year(council: tuple[Workspace, Model]) -> None:
    ws, model = council
    frame = queries.supplier_year_on_year(ws, SpendFilters())
    assert list(frame.columns) == ["supplier_key", "supplier", "2023/24", "2024/25", "change"]
    expected: dict[str, dict[str, Decimal]] = {}
    for p in model.pays:
        years = expected.setdefault(model.key(p), {"2023/24": Decimal(0), "2024/25": Decimal(0)})
        years[fy_label(p.date)] += p.amount
    got = {r["supplier_key"]: (r["supplier"], pence(r["2023/24"]), pence(r["2024/25"]), pence(r["change"]))
           for _, r in frame.iterrows()}
    assert got == {k: (model.display(k), y["2023/24"], y["2024/25"], y["2024/25"] - y["2023/24"])
                   for k, y in expected.items()}
    # by hand
    assert got["name:spanner group"][1:] == (Decimal("80000.00"), Decimal("80000.00"), Decimal(0))
    assert got["name:small shop"][1:] == (Decimal("1234.56"), Decimal("-34.56"), Decimal("-1269.12"))
    one_year = queries.supplier_year_on_year(ws, SpendFilters(financial_years=("2024/25",)))
    assert list(one_year.columns) == ["supplier_key", "supplier", "2024/25"]
    assert queries.supplier_year_on_year(ws, SpendFilters(supplier_search="nobody")).empty


def test_supplier_year_on_year_is_exact_pence(council: tuple[Workspace, Model]) -> None:
    ws, _ = council
    frame = queries.supplier_year_on_year(ws, SpendFilters()).set_index("supplier_key")
    assert frame.loc["name:just under", "2024/25"] == Decimal("99999.99")
    assert frame.loc["name:credited services", "change"] == Decimal("99999.99")


def test_payments_behind(council: tuple[Workspace, Model]) -> None:
    ws, model = council
    filters = SpendFilters(financial_years=("2024/25",))
    frame, count, amount = queries.payments_behind(ws, filters, limit=4)
    kept = model.select(lambda p: fy_label(p.date) == "2024/25")
    assert (count, amount) == (len(kept), total(kept)) == (14, Decimal("1189965.42"))
    assert len(frame) == 4
    assert [(r.source_file, int(r.source_line), pence(r.amount)) for r in frame.itertuples()] == [
        ("spend-2024-25.csv", 10, Decimal("300000.00")),
        ("spend-2024-25.csv", 11, Decimal("250000.00")),
        ("spend-2024-25.csv", 12, Decimal("150000.00")),
        ("spend-2024-25.csv", 8, Decimal("120000.00")),
    ]
    first = frame.iloc[0]
    assert (first["supplier"], first["supplier_name"], first["category"], first["impact"], first["rule_id"],
            first["transaction_ref"], first["department"], first["expense_type"], first["financial_year"]) == (
        "Split Impact plc", "Split Impact plc", "Construction", "High", "K0", "B8", "Place", "Building works",
        "2024/25")
    assert first["payment_date"] == dt.date(2024, 10, 1)
    # every payment, largest by absolute value first, ties by date, then file and line
    frame, count, _ = queries.payments_behind(ws, SpendFilters())
    order = sorted(model.pays, key=lambda p: (-abs(p.amount), p.date, p.file, p.line))
    assert count == len(frame) == len(order)
    assert [(r.source_file, int(r.source_line)) for r in frame.itertuples()] == [(p.file, p.line) for p in order]
    assert [pence(v) for v in frame["amount"]] == [p.amount for p in order]
    # the two £80,000.00 Spanner payments: 31 March before 1 April
    spanner = frame[frame["supplier"] == "Spanner Group"]
    assert list(spanner["financial_year"]) == ["2023/24", "2024/25"]


def test_filter_options(council: tuple[Workspace, Model]) -> None:
    ws, model = council
    assert queries.filter_options(ws) == {
        "financial_years": ["2023/24", "2024/25"],
        "departments": sorted({p.department for p in model.pays}),
        "categories": sorted({model.category(p) for p in model.pays}),
    }
    assert queries.filter_options(ws)["departments"] == ["People", "Place", "Resources", HOSTILE]


# --- filters ----------------------------------------------------------------------------------------------

FILTER_CASES: list[tuple[str, SpendFilters, Callable[[Model, Pay], bool]]] = [
    ("year", SpendFilters(financial_years=("2023/24",)), lambda m, p: fy_label(p.date) == "2023/24"),
    ("years", SpendFilters(financial_years=("2023/24", "2024/25")), lambda m, p: True),
    ("department", SpendFilters(departments=("Place",)), lambda m, p: p.department == "Place"),
    ("departments", SpendFilters(departments=("People", "Resources")),
     lambda m, p: p.department in ("People", "Resources")),
    ("high", SpendFilters(impacts=("High",)), lambda m, p: m.impact_group(p) == "High"),
    ("non-procurement", SpendFilters(impacts=("Non-procurement",)), lambda m, p: m.impact_group(p) == "Non-procurement"),
    ("unclassified", SpendFilters(impacts=("Unclassified",)), lambda m, p: m.impact_group(p) == "Unclassified"),
    ("medium-low", SpendFilters(impacts=("Medium", "Low")), lambda m, p: m.impact_group(p) in ("Medium", "Low")),
    ("category", SpendFilters(categories=("Stationery",)), lambda m, p: m.category(p) == "Stationery"),
    ("categories", SpendFilters(categories=("Grants", "Unclassified")),
     lambda m, p: m.category(p) in ("Grants", "Unclassified")),
    ("band-100k", SpendFilters(value_bands=("£100k to £500k",)), lambda m, p: m.band(p) == "£100k to £500k"),
    ("bands-low", SpendFilters(value_bands=("Under £25k", "£25k to £100k")),
     lambda m, p: m.band(p) in ("Under £25k", "£25k to £100k")),
    ("search-display", SpendFilters(supplier_search="HUNDRED"), lambda m, p: "hundred" in m.display(m.key(p)).lower()),
    ("search-raw-name", SpendFilters(supplier_search=" limited "),
     lambda m, p: "limited" in p.name.lower() or "limited" in m.display(m.key(p)).lower()),
    ("search-redacted", SpendFilters(supplier_search="redacted payee"), lambda m, p: p.key is None),
    ("influenceable", SpendFilters(influenceable_only=True), lambda m, p: m.influenceable(p)),
    ("year-high-place", SpendFilters(financial_years=("2024/25",), impacts=("High",), departments=("Place",)),
     lambda m, p: fy_label(p.date) == "2024/25" and m.impact_group(p) == "High" and p.department == "Place"),
    ("band-influenceable", SpendFilters(value_bands=("£100k to £500k", "£500k and over"), influenceable_only=True),
     lambda m, p: m.band(p) in ("£100k to £500k", "£500k and over") and m.influenceable(p)),
    ("category-search-year", SpendFilters(categories=("Construction",), supplier_search="spanner",
                                          financial_years=("2024/25",)),
     lambda m, p: m.category(p) == "Construction" and "spanner" in p.name.lower() and fy_label(p.date) == "2024/25"),
    ("contradiction", SpendFilters(impacts=("High",), categories=("Grants",)), lambda m, p: False),
]


@pytest.mark.parametrize(("filters", "keep"), [(f, k) for _, f, k in FILTER_CASES], ids=[n for n, _, _ in FILTER_CASES])
def test_each_filter_narrows_exactly(council: tuple[Workspace, Model], filters: SpendFilters,
                                     keep: Callable[[Model, Pay], bool]) -> None:
    ws, model = council
    kept = model.select(lambda p: keep(model, p))
    h = queries.headline(ws, filters)
    assert (h.payments, h.total) == (len(kept), total(kept))
    assert h.influenceable == total([p for p in kept if model.influenceable(p)])
    assert h.over_100k == total([p for p in kept if model.influenceable(p) and model.sy_total(p) >= Decimal(100_000)])
    frame, count, amount = queries.payments_behind(ws, filters)
    assert (count, amount) == (len(kept), total(kept))
    assert sorted((r.source_file, int(r.source_line)) for r in frame.itertuples()) == sorted(
        (p.file, p.line) for p in kept)
    assert matrix_got(queries.band_impact_matrix(ws, filters)) == matrix_expected(model, lambda p: keep(model, p))
    assert suppliers_got(queries.top_suppliers(ws, filters, limit=100)) == suppliers_expected(
        model, lambda p: keep(model, p))


def test_filters_describe_and_slug() -> None:
    assert SpendFilters().describe() == "all spend loaded"
    assert SpendFilters().slug() == "all"
    assert SpendFilters(financial_years=("2024/25",)).describe() == "financial year 2024/25"
    two = SpendFilters(financial_years=("2023/24", "2024/25"))
    assert two.describe() == "financial years 2023/24, 2024/25"
    assert two.slug() == "financial-years-2023-24+2024-25"
    every = SpendFilters(
        financial_years=("2024/25",), departments=("Place", "People"), impacts=("High", "Non-procurement"),
        categories=("Construction",), value_bands=("£100k to £500k",), supplier_search="  Acme ",
        influenceable_only=True)
    assert every.describe() == (
        "financial year 2024/25; department: Place, People; impact: High, Non-procurement; "
        "category: Construction; supplier-year value: £100k to £500k; supplier name contains 'Acme'; "
        "influenceable spend only")
    # File names carry every filter in full.
    assert every.slug() == ("financial-year-2024-25_department-place+people_impact-high+non-procurement_"
                            "category-construction_supplier-year-value-100k-to-500k_supplier-name-contains-acme_"
                            "influenceable-spend-only")
    # Only a name too long for a file system gives its longest lists as counts.
    many = SpendFilters(departments=tuple(f"Department number {i}" for i in range(30)), impacts=("High",))
    assert many.slug() == "30-departments_impact-high"
    assert SpendFilters(supplier_search="   ").describe() == "all spend loaded"
    assert SpendFilters(influenceable_only=True).slug() == "influenceable-spend-only"
    assert SpendFilters(departments=(HOSTILE,)).slug() == "department-x-drop-table-payments"


def test_hostile_values_are_bound_not_written_into_the_sql(council: tuple[Workspace, Model]) -> None:
    ws, model = council
    before = payment_count(ws)
    kept = model.select(lambda p: p.department == HOSTILE)
    h = queries.headline(ws, SpendFilters(departments=(HOSTILE,)))
    assert (h.payments, h.total) == (1, Decimal("20000.00")) == (len(kept), total(kept))
    for filters in (
        SpendFilters(supplier_search="'; DROP TABLE payments; --"),
        SpendFilters(categories=("O'Brien'); DROP TABLE payments; --",)),
        SpendFilters(impacts=("High' OR '1'='1",)),
        SpendFilters(financial_years=("2024/25') OR true --",)),
        SpendFilters(value_bands=("x' END); DROP TABLE payments; --",)),
    ):
        assert queries.headline(ws, filters).payments == 0, filters
        assert queries.payments_behind(ws, filters)[1] == 0
        assert queries.top_suppliers(ws, filters).empty
        assert queries.band_impact_matrix(ws, filters)["payments"].sum() == 0
        with recording() as ran:
            queries.payments_behind(ws, filters)
        assert all("DROP" not in s.sql and "'1'='1" not in s.sql and "OR true" not in s.sql for s in ran)
    with recording() as ran:
        queries.headline(ws, SpendFilters(departments=(HOSTILE,)))
    [statement] = ran
    assert HOSTILE not in statement.sql
    assert statement.params["f_departments"] == [HOSTILE] and statement.params["threshold"] == Decimal(100_000)
    assert payment_count(ws) == before == len(model.pays)
    with ws.read() as cur:
        assert cur.execute("SELECT count(*) FROM spend_facts").fetchone() == (len(model.pays),)


def test_the_statement_shown_is_the_one_that_ran_with_its_values(council: tuple[Workspace, Model]) -> None:
    ws, model = council
    filters = SpendFilters(value_bands=("£25k to £100k",), influenceable_only=True)
    with recording() as ran:
        matrix = queries.band_impact_matrix(ws, filters)
    [statement] = ran
    assert statement.params == {"f_bands": ["£25k to £100k"], "band_0": Decimal(25_000), "band_1": Decimal(100_000),
                                "band_2": Decimal(500_000)}
    assert "influenceable" in statement.sql
    with recording() as ran:
        queries.top_suppliers(ws, filters, 7)
    assert "LIMIT $limit" in ran[0].sql and ran[0].params["limit"] == 7  # the value that ran, not a blank
    with ws.read() as cur:  # the shown SQL runs as shown, and gives the figures the page drew
        rows = cur.execute(statement.sql, statement.params).fetchall()
    assert sum(r[3] for r in rows) == matrix["supplier_years"].sum()
    assert sum(r[4] for r in rows) == len(model.select(
        lambda p: model.band(p) == "£25k to £100k" and model.influenceable(p)))


# --- keeping the analysis table current -------------------------------------------------------------------


def test_ensure_current_rebuilds_only_when_something_changed(ws: Workspace) -> None:
    import_categories_csv(ws, TAXONOMY_CSV)
    import_rules_csv(ws, RULES_CSV)
    first = load_file(ws, FILE_2023[0], csv_bytes(FILE_2023), "spend")
    assert ensure_current(ws) is True
    assert ensure_current(ws) is False
    assert queries.headline(ws, SpendFilters()).total == total(pays_of(FILE_2023))
    second = load_file(ws, FILE_2024[0], csv_bytes(FILE_2024), "spend")
    assert ensure_current(ws) is True
    assert ensure_current(ws) is False
    both = Model(pays_of(FILE_2023) + pays_of(FILE_2024), {FILE_2023[0]: first.file_id, FILE_2024[0]: second.file_id})
    h = queries.headline(ws, SpendFilters())
    assert (h.total, h.files, h.over_100k) == (total(both.pays), 2, Decimal("740000.00"))
    remove_file(ws, first.file_id)
    assert ensure_current(ws) is True
    assert ensure_current(ws) is False
    only = Model(pays_of(FILE_2024), {FILE_2024[0]: second.file_id})
    h = queries.headline(ws, SpendFilters())
    assert (h.payments, h.total, h.files, h.first_date) == (len(only.pays), total(only.pays), 1, dt.date(2024, 4, 1))
    assert queries.filter_options(ws)["financial_years"] == ["2024/25"]
    # Spanner's 2024/25 year stands alone and is still under the line
    assert matrix_got(queries.band_impact_matrix(ws, SpendFilters())) == matrix_expected(only)
    merge(ws, "name:spanner group", "name:just under")
    assert ensure_current(ws) is True
    assert ensure_current(ws) is False
