"""The four real council files load with exactly the figures in ../shared/real-samples/README.md."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from sp_analysis.ingest.errors import AlreadyLoaded
from sp_analysis.ingest.load import load_path
from sp_analysis.ingest.report import describe
from sp_analysis.workspace import Workspace
from tests.conftest import DEVON_2026_03, real_sample, table_state

# name: (payment records, total £, credit notes, redacted payees) as the README states them.
PUBLISHED_FIGURES = {
    "devon-cc_spending-over-500_2024-03.csv": (10_690, Decimal("84455494.53"), 202, 648),
    "devon-cc_spending-over-500_2026-03.csv": (3_545, Decimal("57492900.67"), 0, 0),
    "warwickshire-cc_supplier-payments_2017-01.csv": (3_733, Decimal("24482862.10"), 53, 132),
    "warwickshire-cc_supplier-payments_2018-03.csv": (4_741, Decimal("38113213.97"), 88, 227),
}


@pytest.mark.real_samples
@pytest.mark.parametrize("name", sorted(PUBLISHED_FIGURES))
def test_real_file_loads_with_published_figures(ws: Workspace, name: str) -> None:
    rows, total, credits, redacted = PUBLISHED_FIGURES[name]
    result = load_path(ws, real_sample(name), "spend")
    assert result.rows == rows
    assert result.total == total
    assert result.quality["credit_notes"] == credits
    assert result.quality["redacted"] == redacted
    with ws.read() as cur:
        db_rows, db_total, db_credits, db_redacted = cur.execute(
            "SELECT count(*), sum(amount), count(*) FILTER (WHERE amount < 0), count(*) FILTER (WHERE is_redacted) "
            "FROM payments").fetchone()
    assert (db_rows, db_total, db_credits, db_redacted) == (rows, total, credits, redacted)


@pytest.mark.real_samples
def test_devon_totals_row_is_skipped_and_matches(ws: Workspace) -> None:
    quality = load_path(ws, real_sample("devon-cc_spending-over-500_2026-03.csv"), "spend").quality
    assert quality["skipped"] == {"totals": 1}
    assert quality["published_total"] == "57492900.67"
    assert quality["published_total_matches"] is True
    assert quality["unmapped_columns"] == ["Body", "Costcuk"]


@pytest.mark.real_samples
def test_real_file_dates_and_columns(ws: Workspace) -> None:
    quality = load_path(ws, real_sample("warwickshire-cc_supplier-payments_2017-01.csv"), "spend").quality
    assert quality["encoding"].startswith("Windows-1252")
    assert quality["columns"] == {
        "payment_date": "Pay Date", "supplier_name": "Supplier Name", "amount": "Amount",
        "supplier_id": "Supplier id", "department": "Group", "expense_type": "Description",
        "expense_code": "Account", "transaction_ref": "Transno",
    }
    assert (quality["first_date"], quality["last_date"]) == ("2017-01-03", "2017-02-08")
    with ws.read() as cur:
        assert cur.execute("SELECT DISTINCT financial_year FROM payments").fetchall() == [("2016/17",)]


@pytest.mark.real_samples
def test_the_copy_kept_with_the_tests_is_byte_for_byte_the_published_file() -> None:
    published = real_sample("devon-cc_spending-over-500_2026-03.csv")
    assert DEVON_2026_03.read_bytes() == published.read_bytes()


@pytest.mark.real_samples
def test_reloading_a_real_file_changes_nothing(ws: Workspace) -> None:
    path = real_sample("devon-cc_spending-over-500_2024-03.csv")
    load_path(ws, path, "spend")
    before = table_state(ws)
    with pytest.raises(AlreadyLoaded):
        load_path(ws, path, "spend")
    assert table_state(ws) == before


@pytest.mark.real_samples
def test_the_quality_report_in_words_on_a_real_file(ws: Workspace) -> None:
    # Independently: the published file read with Python's csv module and exact Decimal arithmetic.
    path = real_sample("devon-cc_spending-over-500_2024-03.csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.DictReader(handle))
    amounts = [Decimal(r["Amount"]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for r in records]
    credits = [a for a in amounts if a < 0]
    dates = sorted(r["Date"][:10] for r in records)
    result = load_path(ws, path, "spend")
    report = dict(describe(result.quality, "spend"))
    assert report["Payments loaded"] == f"{len(records):,}" == "10,690"
    assert report["Total"] == f"£{sum(amounts):,}" == "£84,455,494.53"
    assert report["Credit notes (negative amounts)"] == f"{len(credits):,}, totalling -£{-sum(credits):,}"
    assert report["Redacted payees (amounts kept)"] == f"{sum(r['Supplier Name'] == 'REDACTED UNDER DP ACT' for r in records):,}"
    first, last = (dt.date.fromisoformat(d) for d in (dates[0], dates[-1]))
    assert report["Payment dates"] == f"{first:%-d %b %Y} to {last:%-d %b %Y}"
    assert report["Rows read below the header"] == f"{len(records):,}"
    assert report["Skipped"] == "none"
    assert report["Published totals row"] == "none in the file"
    assert report["Read as"] == "UTF-8 with BOM, delimiter comma"
