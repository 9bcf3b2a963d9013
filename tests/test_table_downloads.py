"""Tables download as a spreadsheet expects: money as numbers (a £ format in XLSX, plain in CSV), counts as
whole numbers, column names in words; settings saved all together or not at all; no 'None' in a date cell."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from sp_analysis import exports, settings
from sp_analysis.output import charts
from sp_analysis.workspace import Workspace


def table() -> pd.DataFrame:
    """A table as the pages show it: money as '£' text and Decimals, a count pandas widened to floats by a gap."""
    return pd.DataFrame({
        "financial_year": ["2024/25", "2025/26", "2026/27"],
        "Net spend": ["£1,234,567.89", "-£9.90", ""],
        "supplier_id": ["S1", "S2", None],
        "Payments": [5000.0, None, 3.0],
        "total": [Decimal("0.01"), Decimal("-100000.00"), None],
        "Share": ["12.5%", "0.1%", ""],
        "Ratio": [0.5, 1.25, None],
    })


def test_money_counts_and_names_for_a_spreadsheet() -> None:
    out, money = exports.for_spreadsheet(table())
    assert list(out.columns) == ["Financial year", "Net spend", "Supplier id", "Payments", "Total", "Share", "Ratio"]
    assert money == ["Net spend", "Total"]
    assert list(out.iloc[:, 1]) == [Decimal("1234567.89"), Decimal("-9.90"), None]
    assert list(out.iloc[:, 4]) == [Decimal("0.01"), Decimal("-100000.00"), None]
    assert str(out["Payments"].dtype) == "Int64" and list(out["Payments"].astype(object)) == [5000, pd.NA, 3]
    assert list(out["Ratio"].dropna()) == [0.5, 1.25]  # not whole numbers: left as they are


def test_csv_has_plain_numbers_with_pence_and_whole_counts() -> None:
    rows = list(csv.reader(io.StringIO(exports.to_csv_bytes(table()).decode("utf-8-sig"))))
    assert rows == [
        ["Financial year", "Net spend", "Supplier id", "Payments", "Total", "Share", "Ratio"],
        ["2024/25", "1234567.89", "S1", "5000", "0.01", "12.5%", "0.5"],
        ["2025/26", "-9.90", "S2", "", "-100000.00", "0.1%", "1.25"],
        ["2026/27", "", "", "3", "", "", ""],
    ]


def test_xlsx_has_money_as_numbers_in_pounds_format() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes(table()))).active
    assert [c.value for c in sheet[1]] == ["Financial year", "Net spend", "Supplier id", "Payments", "Total",
                                           "Share", "Ratio"]
    assert all(c.font.bold for c in sheet[1]) and sheet.freeze_panes == "A2"
    money = [sheet.cell(row=r, column=2) for r in (2, 3)] + [sheet.cell(row=r, column=5) for r in (2, 3)]
    assert [c.value for c in money] == [1234567.89, -9.9, 0.01, -100000]
    assert all(c.data_type == "n" and c.number_format == exports.XLSX_MONEY_FORMAT for c in money)
    assert sheet.cell(row=4, column=2).value is None
    assert [sheet.cell(row=r, column=4).value for r in (2, 3, 4)] == [5000, None, 3]
    assert isinstance(sheet.cell(row=2, column=4).value, int)


@pytest.mark.parametrize(("name", "words"), [
    ("financial_year", "Financial year"), ("supplier_id", "Supplier id"), ("supplier_name", "Payee as published"),
    ("value_whole_life", "Value whole life"), ("total", "Total"), ("Net spend", "Net spend"),
    ("april.csv", "april.csv"), ("2024/25", "2024/25"),
])
def test_column_names_in_words(name: str, words: str) -> None:
    assert exports.column_words(name) == words


def test_text_that_only_looks_like_money_in_some_cells_stays_text() -> None:
    frame = pd.DataFrame({"Check": ["Total", "Rows"], "april.csv": ["£10.50", "2"]})
    out, money = exports.for_spreadsheet(frame)
    assert money == [] and list(out["april.csv"]) == ["£10.50", "2"]


def test_settings_save_together_or_not_at_all(ws: Workspace) -> None:
    settings.save_settings(ws, {"money_style": "govuk", "year_style": "words", "council_name": " Devon County Council "})
    assert [settings.get_setting(ws, n) for n in ("money_style", "year_style", "council_name")] == [
        "govuk", "words", "Devon County Council"]
    with pytest.raises(ValueError, match="Value band boundaries: the £100k boundary") as error:
        settings.save_settings(ws, {"money_style": "short", "value_band_boundaries": "25k, 200k"})
    assert "Money style" not in str(error.value)
    assert settings.get_setting(ws, "money_style") == "govuk"  # nothing saved
    assert charts.choice_example("money_style", "short") == "short: £12.3m, £450k"
    assert charts.choice_example("money_style", "govuk") == "govuk: £12.3 million, £450,000"
    assert charts.choice_example("year_style", "words") == "words: 2024 to 2025"


def test_a_date_cell_never_reads_none() -> None:
    from sp_analysis.words import day

    assert day(dt.date(2025, 1, 17)) == "17 Jan 2025"
    assert day("2025-01-07") == "7 Jan 2025"
    assert [day(v) for v in (None, float("nan"), pd.NaT)] == ["", "", ""]
    assert day(None, "date not given") == "date not given"
