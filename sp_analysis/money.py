"""Money as people read it: exact pounds and pence, the sign before the pound sign."""

from __future__ import annotations

from decimal import Decimal


def pounds(value: Decimal | str | int | float) -> str:
    """£1,234,567.89 (or -£9.90): the exact figure, for tables, hover text and reports."""
    amount = Decimal(value)
    return f"-£{-amount:,.2f}" if amount < 0 else f"£{amount:,.2f}"
