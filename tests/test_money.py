"""Figures as words: money, amounts typed by people, dates, shares, counts and lists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from sp_analysis.definitions import ValueBands
from sp_analysis.words import and_list, boundary_label, count_of, day, decimal_text, govuk_money, long_day, parse_amount, percent, pounds


def test_pounds_and_pence_exactly() -> None:
    assert pounds(Decimal("1234567.891")) == "£1,234,567.89"
    assert pounds(Decimal("-9.9")) == "-£9.90"
    assert decimal_text(None) == "0.00"


def test_a_count_takes_the_plural_only_when_it_is_not_one() -> None:
    assert count_of(1, "payment") == "1 payment"
    assert count_of(0, "payment") == "0 payments"
    assert count_of(2345, "payment") == "2,345 payments"
    assert count_of(3, "supplier-year", "supplier-years") == "3 supplier-years"


@pytest.mark.parametrize(("value", "label"), [
    ("100000", "£100k"), ("1000000", "£1m"), ("1250000", "£1.25m"), ("1500000", "£1.5m"),
    ("207720", "£207,720"), ("2500.50", "£2,500.50"), ("999", "£999"), ("5000000", "£5m")])
def test_a_boundary_label_is_short_and_never_rounds_the_boundary(value: str, label: str) -> None:
    assert boundary_label(Decimal(value)) == label
    # What the label says is the boundary itself: read back, it is the same amount.
    assert parse_amount(label) == Decimal(value)


def test_band_names_read_their_boundaries_exactly() -> None:
    bands = ValueBands((Decimal(100_000), Decimal(1_250_000)))
    assert bands.labels == ("Under £100k", "£100k to £1.25m", "£1.25m and over")
    assert ValueBands.parse("100k, 1.25m") == bands


def test_an_amount_typed_by_a_person() -> None:
    assert parse_amount("£100,000") == Decimal(100_000)
    assert parse_amount(" 25K ") == Decimal(25_000)
    with pytest.raises(ValueError, match="'lots' is not an amount"):
        parse_amount("lots")


def test_govuk_money_in_sentences() -> None:
    assert govuk_money(Decimal("12300000")) == "£12.3 million"
    assert govuk_money(Decimal("12000000")) == "£12 million"
    assert govuk_money(Decimal("45000.50")) == "£45,000"
    assert govuk_money(Decimal("45000.50"), pence=True) == "£45,000.50"
    assert govuk_money(Decimal("45000.00"), pence=True) == "£45,000"
    assert govuk_money(Decimal("-1500000000")) == "-£1.5 billion"


def test_a_date_cell_is_a_date_or_blank() -> None:
    assert day(dt.date(2025, 1, 7)) == "7 Jan 2025"
    assert day("2025-01-07") == "7 Jan 2025"
    assert day(pd.Timestamp("2025-01-07")) == "7 Jan 2025"
    assert [day(v) for v in (None, float("nan"), pd.NaT)] == ["", "", ""]
    assert day(None, "date not given") == "date not given"
    assert long_day(dt.date(2026, 5, 26)) == "26 May 2026"


def test_shares_and_lists() -> None:
    assert percent(865, 1000) == "86.5%"
    assert percent(1, 0) == "no data"
    assert and_list(["a"]) == "a" and and_list(["a", "b", "c"]) == "a, b and c" and and_list([]) == ""
