"""The analyst's filters: data objects that carry both their SQL and their wording (the value bands
they use are `definitions.ValueBands`).

Every filter of the product (spend, the contracts register, the action plan) is a `Filters`: it lists its
parts once, in `PARTS`, and from that one table come the WHERE clause of every query (values always
bound, never formatted in), the plain-words line under each chart, and the export file names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Self

from sp_analysis.definitions import ValueBands


@dataclass(frozen=True)
class Part:
    """One part of a filter: the field holding the chosen values and how it is put into SQL and words."""

    attribute: str  # the field of the filter holding the chosen values
    column: str  # the column it narrows in SQL ('' where the part is written by the filter itself)
    label: str  # 'department': the words before one chosen value
    labels: str = ""  # 'departments': before two or more (the label when not given)
    sep: str = ": "  # between the label and the values: 'department: Place' or 'theme People'
    joiner: str = ", "  # between values: 'Place, People' or 'JS or DB'
    counted: str = ""  # the plural of a count in a shortened file name: '12-departments'

    def words(self, values: tuple[Any, ...]) -> str:
        """'department: Place, People', 'financial years 2023/24, 2024/25', 'officers JS or DB'."""
        label = self.label if len(values) == 1 else (self.labels or self.label)
        return label + self.sep + self.joiner.join(str(v) for v in values)

    def slug(self, values: tuple[Any, ...]) -> str:
        """'department-place+people'."""
        label = self.label if len(values) == 1 else (self.labels or self.label)
        return _slug_words(label) + "-" + "+".join(_slug_words(str(v)) for v in values)


def _slug_words(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Filters:
    """What every filter does from its table of parts; a subclass is a frozen dataclass that gives `PARTS`,
    `ALL_WORDS` (its wording when nothing is chosen) and, for parts that are not lists of values, `_extras`."""

    PARTS: ClassVar[tuple[Part, ...]] = ()
    ALL_WORDS: ClassVar[str] = "all"
    ALL_SLUG: ClassVar[str] = "all"
    PREFIX: ClassVar[str] = "f"  # bound parameters are named $<prefix>_<attribute>

    def chosen(self) -> list[tuple[Part, tuple[Any, ...]]]:
        """The parts with values chosen, in table order."""
        return [(part, values) for part in self.PARTS if (values := getattr(self, part.attribute))]

    def _extras(self) -> list[tuple[str, str]]:
        """(words, slug) of each part set that is not a list of values: a search text, a tick box."""
        return []

    @property
    def narrowed(self) -> bool:
        """Whether any filter is set."""
        return bool(self.chosen() or self._extras())

    def narrow(self, **changes: Any) -> Self:
        """The same filter with some parts replaced: `filters.narrow(impacts=("High",))`."""
        return replace(self, **changes)  # type: ignore[type-var]

    def _list_where(self) -> tuple[list[str], dict[str, Any]]:
        """`list_contains` clauses for the parts with a column, with their bound values."""
        clauses, params = [], {}
        for part, values in self.chosen():
            if part.column:
                name = f"{self.PREFIX}_{part.attribute}"
                clauses.append(f"list_contains(${name}, {part.column})")
                params[name] = list(values)
        return clauses, params

    def describe(self) -> str:
        """The active filters in plain words, for chart subtitles, captions and table notes."""
        parts = [part.words(values) for part, values in self.chosen()] + [words for words, _ in self._extras()]
        return "; ".join(parts) if parts else self.ALL_WORDS

    def slug(self) -> str:
        """The file-name part naming every active filter in full ('financial-year-2024-25_impact-high+medium').
        Only a name past the file system's reach (over 200 characters) gives the longest lists as counts
        ('12-departments'), longest first, until it fits."""
        parts = {part.attribute: part.slug(values) for part, values in self.chosen()}
        parts |= {f"extra-{i}": slug for i, (_, slug) in enumerate(self._extras())}
        counts = {part.attribute: f"{len(values)}-{part.counted or _slug_words(part.labels or part.label)}"
                  for part, values in self.chosen()}
        while len("_".join(parts.values())) > 200:
            longest = max((k for k in counts if parts[k] != counts[k]), key=lambda k: len(parts[k]), default=None)
            if longest is None:
                break
            parts[longest] = counts[longest]
        return "_".join(parts.values()) or self.ALL_SLUG


@dataclass(frozen=True)
class SpendFilters(Filters):
    """What the analyst has narrowed the spend to; an empty tuple means 'all'."""

    financial_years: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    impacts: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    value_bands: tuple[str, ...] = ()
    supplier_search: str = ""
    influenceable_only: bool = False
    bands: ValueBands = field(default_factory=ValueBands)

    PARTS: ClassVar[tuple[Part, ...]] = (
        Part("financial_years", "financial_year", "financial year", "financial years", sep=" "),
        Part("departments", "department", "department", counted="departments"),
        Part("impacts", "impact_group", "impact", counted="impacts"),
        Part("categories", "category", "category", counted="categories"),
        # Bands are of each supplier's year total, named by the bands' own CASE (see where_sql).
        Part("value_bands", "", "supplier-year value", counted="value-bands"),
    )
    ALL_WORDS: ClassVar[str] = "all spend loaded"

    def _extras(self) -> list[tuple[str, str]]:
        extras = []
        if search := self.supplier_search.strip():
            extras.append((f"supplier name contains '{search}'",
                           "supplier-name-contains-" + (_slug_words(search) or "text")))
        if self.influenceable_only:
            extras.append(("influenceable spend only", "influenceable-spend-only"))
        return extras

    def where_sql(self) -> tuple[str, dict[str, Any]]:
        """A WHERE clause over `spend_facts` and its bound parameters."""
        clauses, params = self._list_where()
        if self.value_bands:
            clauses.append(f"list_contains($f_bands, {self.bands.case_sql('supplier_year_total')})")
            params["f_bands"] = list(self.value_bands)
            params |= self.bands.params()
        if search := self.supplier_search.strip():
            clauses.append("(contains(lower(supplier), $f_supplier) OR contains(lower(supplier_name), $f_supplier))")
            params["f_supplier"] = search.lower()
        if self.influenceable_only:
            clauses.append("influenceable")
        return (" AND ".join(clauses) or "true"), params
