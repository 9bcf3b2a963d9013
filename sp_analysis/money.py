"""Money as text: for people (exact pounds and pence, the sign before the pound sign) and for machines."""

from __future__ import annotations

from decimal import Decimal


def pounds(value: Decimal | str | int | float) -> str:
    """£1,234,567.89 (or -£9.90): the exact figure, for tables, hover text and reports."""
    amount = Decimal(value)
    return f"-£{-amount:,.2f}" if amount < 0 else f"£{amount:,.2f}"


def decimal_text(value: Decimal | int | None) -> str:
    """Pounds as an exact decimal string with pence, for JSON and files: '1234.50' (nothing is '0.00')."""
    return f"{Decimal(value or 0):.2f}"


def count_of(count: int, noun: str, plural: str | None = None) -> str:
    """'1 payment', '2,345 payments' (or the plural given: '3 supplier-years')."""
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"
