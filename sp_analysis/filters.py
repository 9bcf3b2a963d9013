"""The analyst's spend filters: data objects that carry both their SQL and their wording (the value bands
they use are `definitions.ValueBands`).

The same object builds the WHERE clause of every query (values always bound, never formatted in),
the plain-words line under each chart, and the export file names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sp_analysis.definitions import ValueBands


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
        """The file-name part naming every active filter in full ('financial-year-2024-25_impact-high+medium'),
        or 'all'. Only a name past the file system's reach (over 200 characters) gives the longest lists as
        counts ('12-departments'), longest first, until it fits."""
        def words(text: str) -> str:
            return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")

        groups: list[tuple[str, str, tuple[str, ...]]] = [
            ("financial-year" + ("s" if len(self.financial_years) > 1 else ""), "financial-years", self.financial_years),
            ("department", "departments", self.departments), ("impact", "impacts", self.impacts),
            ("category", "categories", self.categories), ("supplier-year-value", "value-bands", self.value_bands)]
        parts = {label: f"{label}-" + "+".join(words(v) for v in values)
                 for label, _plural, values in groups if values}
        if self.supplier_search.strip():
            parts["supplier"] = "supplier-name-contains-" + (words(self.supplier_search) or "text")
        if self.influenceable_only:
            parts["influenceable"] = "influenceable-spend-only"
        plurals = {label: (plural, values) for label, plural, values in groups}
        while len("_".join(parts.values())) > 200:
            longest = max((k for k in parts if k in plurals and not parts[k].split("-")[0].isdigit()),
                          key=lambda k: len(parts[k]), default=None)
            if longest is None:
                break
            plural, values = plurals[longest]
            parts[longest] = f"{len(values)}-{plural}"
        return "_".join(parts.values()) or "all"
