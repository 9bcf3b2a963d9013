"""The analyst's filters and value bands: data objects that carry both their SQL and their wording.

The same object builds the WHERE clause of every query (values always bound, never formatted in),
the plain-words line under each chart, and the export file names.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# The line the plan is built on: contracts and commissioning over £100k.
PLAN_THRESHOLD = Decimal(100_000)
DEFAULT_BOUNDARIES: tuple[Decimal, ...] = (Decimal(25_000), Decimal(100_000), Decimal(500_000))
IMPACT_GROUPS: tuple[str, ...] = ("High", "Medium", "Low", "Non-procurement", "Unclassified")


def _short_pounds(value: Decimal) -> str:
    if value >= 1_000_000:
        return f"£{value / 1_000_000:,.{0 if value % 1_000_000 == 0 else 1}f}m"
    if value >= 1_000 and value % 1_000 == 0:
        return f"£{value / 1_000:,.0f}k"
    return f"£{value:,.2f}".replace(".00", "")


@dataclass(frozen=True)
class ValueBands:
    """Bands of a supplier-year's total spend (or a contract's value), split at the boundaries.

    A value equal to a boundary belongs to the band above it: a supplier-year of exactly £100,000.00
    is '£100k to £500k', i.e. over the plan's £100k line.
    """

    boundaries: tuple[Decimal, ...] = DEFAULT_BOUNDARIES

    def __post_init__(self) -> None:
        ordered = tuple(sorted({Decimal(b) for b in self.boundaries}))
        if ordered != tuple(Decimal(b) for b in self.boundaries):
            raise ValueError("value band boundaries must be distinct and in ascending order")
        if PLAN_THRESHOLD not in ordered:
            raise ValueError("the £100k boundary the plan is built on must stay among the value bands")
        if any(b <= 0 for b in ordered):
            raise ValueError("value band boundaries must be above zero")

    @property
    def labels(self) -> tuple[str, ...]:
        """Band names, lowest first: 'Under £25k', '£25k to £100k', ..., '£500k and over'."""
        b = self.boundaries
        names = [f"Under {_short_pounds(b[0])}"]
        names += [f"{_short_pounds(lo)} to {_short_pounds(hi)}" for lo, hi in itertools.pairwise(b)]
        names.append(f"{_short_pounds(b[-1])} and over")
        return tuple(names)

    @property
    def over_threshold(self) -> tuple[str, ...]:
        """The bands at or above the plan's £100k line."""
        index = self.boundaries.index(PLAN_THRESHOLD) + 1
        return self.labels[index:]

    def case_sql(self, column: str) -> str:
        """A CASE expression naming the band of `column` (boundaries bound as $band_N)."""
        whens = " ".join(
            f"WHEN {column} < $band_{i} THEN '{label}'" for i, label in enumerate(self.labels[:-1])
        )
        return f"CASE {whens} ELSE '{self.labels[-1]}' END"

    def params(self) -> dict[str, Decimal]:
        """The boundaries as bound parameters for `case_sql`."""
        return {f"band_{i}": b for i, b in enumerate(self.boundaries)}

    def describe(self) -> str:
        """Plain words for a chart note."""
        return ("Value bands are of each supplier's total net spend in a financial year; a total equal "
                "to a boundary falls in the band above it.")

    @staticmethod
    def parse(text: str) -> ValueBands:
        """'25000, 100000, 500000' (or '25k, 100k, 1m') -> ValueBands; ValueError with the reason."""
        values = []
        # Thousands commas ('£25,000') are part of a number, not a separator.
        text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
        for part in re.split(r"[,\s;]+", text.strip()):
            if not part:
                continue
            match = re.fullmatch(r"£?([0-9]+(?:\.[0-9]+)?)([km]?)", part.lower().replace(",", ""))
            if match is None:
                raise ValueError(f"'{part}' is not an amount (write 25000, 25k or 1m)")
            number = Decimal(match.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2)]
            values.append(number)
        return ValueBands(tuple(values))


@dataclass(frozen=True)
class SpendFilters:
    """What the analyst has narrowed the spend to; an empty tuple means 'all'."""

    financial_years: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    impacts: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    value_bands: tuple[str, ...] = ()
    supplier_search: str = ""
    influenceable_only: bool = False
    bands: ValueBands = field(default_factory=ValueBands)

    @property
    def narrowed(self) -> bool:
        """Whether any filter is set (the value bands' boundaries are a setting, not a filter)."""
        return bool(self.financial_years or self.departments or self.impacts or self.categories
                    or self.value_bands or self.supplier_search.strip() or self.influenceable_only)

    def where_sql(self) -> tuple[str, dict[str, Any]]:
        """A WHERE clause over `spend_facts` and its bound parameters."""
        clauses: list[str] = []
        params: dict[str, Any] = {}
        for name, column, values in (
            ("f_years", "financial_year", self.financial_years),
            ("f_departments", "department", self.departments),
            ("f_impacts", "impact_group", self.impacts),
            ("f_categories", "category", self.categories),
        ):
            if values:
                clauses.append(f"list_contains(${name}, {column})")
                params[name] = list(values)
        if self.value_bands:
            clauses.append(f"list_contains($f_bands, {self.bands.case_sql('supplier_year_total')})")
            params["f_bands"] = list(self.value_bands)
            params |= self.bands.params()
        if self.supplier_search.strip():
            clauses.append("(contains(lower(supplier), $f_supplier) OR contains(lower(supplier_name), $f_supplier))")
            params["f_supplier"] = self.supplier_search.strip().lower()
        if self.influenceable_only:
            clauses.append("influenceable")
        return (" AND ".join(clauses) or "true"), params

    def describe(self) -> str:
        """The active filters in plain words, for chart subtitles and captions."""
        parts = []
        if self.financial_years:
            parts.append("financial year" + ("s " if len(self.financial_years) > 1 else " ")
                         + ", ".join(self.financial_years))
        if self.departments:
            parts.append("department: " + ", ".join(self.departments))
        if self.impacts:
            parts.append("impact: " + ", ".join(self.impacts))
        if self.categories:
            parts.append("category: " + ", ".join(self.categories))
        if self.value_bands:
            parts.append("supplier-year value: " + ", ".join(self.value_bands))
        if self.supplier_search.strip():
            parts.append(f"supplier name contains '{self.supplier_search.strip()}'")
        if self.influenceable_only:
            parts.append("influenceable spend only")
        return "; ".join(parts) if parts else "all spend loaded"

    def slug(self) -> str:
        """A short file-name part describing the filters."""
        text = "all" if self.describe() == "all spend loaded" else self.describe()
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "all"
