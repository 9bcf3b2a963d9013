"""Figures as words, the one home of formatting: money (exact pounds and pence for tables, short forms
for labels, GOV.UK style for prose), amounts typed by people, dates, percentages, counts and lists."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

# --- money ------------------------------------------------------------------------------------------------------


def pounds(value: Decimal | str | int | float) -> str:
    """£1,234,567.89 (or -£9.90): the exact figure, for tables, hover text and reports."""
    amount = Decimal(value)
    return f"-£{-amount:,.2f}" if amount < 0 else f"£{amount:,.2f}"


def decimal_text(value: Decimal | int | None) -> str:
    """Pounds as an exact decimal string with pence, for JSON and files: '1234.50' (nothing is '0.00')."""
    return f"{Decimal(value or 0):.2f}"


def total(values: Iterable[object]) -> Decimal:
    """The exact sum of amounts (Decimals, or their texts), leaving out missing ones (None, NaN)."""
    return sum((Decimal(str(v)) for v in values if v is not None and v == v), Decimal(0))


def _one_place(value: Decimal, keep_place: bool = False) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") and not keep_place else text


def short_money(value: Decimal | float | int, keep_place: bool = False) -> str:
    """£12.3m, £300m, £450k, £900 for labels and axes; the exact figure goes on hover and in tables. With
    `keep_place`, millions and billions keep their decimal place ('£34.0m'), to match others on a chart."""
    amount = Decimal(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1_000_000_000:
        return f"{sign}£{_one_place(amount / 1_000_000_000, keep_place)}bn"
    if amount >= 999_500:  # would round to "£1000k"
        return f"{sign}£{_one_place(amount / 1_000_000, keep_place)}m"
    if amount >= 1_000:
        return f"{sign}£{amount / 1_000:.0f}k"
    return f"{sign}£{amount:.0f}"


def govuk_money(value: Decimal | float | int, pence: bool = False, keep_place: bool = False) -> str:
    """GOV.UK style: '£12.3 million', '£1.2 billion', '£450,000' ('£450,000.50' with `pence` where there are
    some); 'million' is never shortened. With `keep_place`, '£34.0 million' beside '£64.3 million'."""
    amount = Decimal(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1_000_000_000:
        return f"{sign}£{_one_place(amount / 1_000_000_000, keep_place)} billion"
    if amount >= 1_000_000:
        return f"{sign}£{_one_place(amount / 1_000_000, keep_place)} million"
    if pence and amount != amount.to_integral_value():
        return f"{sign}£{amount:,.2f}"
    return f"{sign}£{amount:,.0f}"


def boundary_label(value: Decimal) -> str:
    """A threshold or band boundary, short and exact: '£100k', '£1m', '£1.25m', '£2,500.50'."""
    amount = Decimal(value)
    if amount >= 1_000_000 and amount % 1_000 == 0:
        millions = (amount / 1_000_000).normalize()
        return f"£{millions:,f}m"
    if amount >= 1_000 and amount % 1_000 == 0:
        return f"£{amount / 1_000:,.0f}k"
    return f"£{amount:,.2f}".removesuffix(".00")


AMOUNT = re.compile(r"£?([0-9]+(?:\.[0-9]+)?)([km]?)")


def parse_amount(text: str, example: str = "100000, 100k or 1m") -> Decimal:
    """'100000', '£100,000', '100k', '1.5m' -> Decimal; ValueError naming the text and the forms it may take."""
    match = AMOUNT.fullmatch(text.strip().lower().replace(",", ""))
    if match is None:
        raise ValueError(f"'{text.strip()}' is not an amount (write {example})")
    return Decimal(match.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2)]


# --- dates ------------------------------------------------------------------------------------------------------


def day(value: object, missing: str = "") -> str:
    """A date as '17 Jan 2025' (an ISO text is read first); `missing` (blank unless said) where there is none,
    never 'None' or 'NaT'."""
    if isinstance(value, str):
        try:
            return f"{dt.date.fromisoformat(value[:10]):%-d %b %Y}"
        except ValueError:
            return value
    # A missing date (NaT) is an instance of date too, and the only value not equal to itself.
    return f"{value:%-d %b %Y}" if isinstance(value, dt.date) and value == value else missing


def long_day(value: dt.date) -> str:
    """A date as '17 January 2025', for sentences."""
    return f"{value:%-d %B %Y}"


# --- shares, counts and lists -----------------------------------------------------------------------------------


def percent(part: Decimal | int, whole: Decimal | int, none: str = "no data") -> str:
    """'86.5%' of the whole (one place); `none` where the whole is nothing."""
    if not whole:
        return none
    return f"{Decimal(part) * 100 / Decimal(whole):.1f}%"


def count_of(count: int, noun: str, plural: str | None = None) -> str:
    """'1 payment', '2,345 payments' (or the plural given: '3 supplier-years')."""
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def and_list(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if not items:
        return ""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
