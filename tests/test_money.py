"""Money and counts as text."""

from __future__ import annotations

from decimal import Decimal

from sp_analysis.money import count_of, decimal_text, pounds


def test_pounds_and_pence_exactly() -> None:
    assert pounds(Decimal("1234567.891")) == "£1,234,567.89"
    assert pounds(Decimal("-9.9")) == "-£9.90"
    assert decimal_text(None) == "0.00"


def test_a_count_takes_the_plural_only_when_it_is_not_one() -> None:
    assert count_of(1, "payment") == "1 payment"
    assert count_of(0, "payment") == "0 payments"
    assert count_of(2345, "payment") == "2,345 payments"
    assert count_of(3, "supplier-year", "supplier-years") == "3 supplier-years"
