"""The definitions every figure rests on, defined once: the plan's £100k line, the impact groups, the
default value bands, and the sentences that say what they mean (pages, pack, CLI and README use these).

The £100k line is one rule everywhere: a supplier-year's total, or a contract's value, is over the line when
it is £100,000.00 or more. A contract's value is its whole-life value as published; where only the annual
value is published, the annual value times the term in years (start to end date); with no dates, the annual
value alone (`contracts.DEFINITIONS['contract_value']`). The Overview, the Contracts and Renewals pages,
the compliance list and the action plan's "contracts of £100,000 or more" measure all apply it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal

from sp_analysis.words import boundary_label, parse_amount

# The line the plan is built on: contracts and commissioning over £100k.
PLAN_THRESHOLD = Decimal(100_000)
PLAN_LINE = "£100,000.00 or more"
# How each impact group is shown, in this order, on every page and chart.
IMPACT_GROUPS: tuple[str, ...] = ("High", "Medium", "Low", "Non-procurement", "Unclassified")
# Default value bands of a supplier-year's total (Settings may change them; the £100k line must stay).
DEFAULT_BOUNDARIES: tuple[Decimal, ...] = (Decimal(25_000), PLAN_THRESHOLD, Decimal(500_000))
DEFAULT_BOUNDARIES_TEXT = ", ".join(f"{b:.0f}" for b in DEFAULT_BOUNDARIES)  # '25000, 100000, 500000'



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
        names = [f"Under {boundary_label(b[0])}"]
        names += [f"{boundary_label(lo)} to {boundary_label(hi)}" for lo, hi in itertools.pairwise(b)]
        names.append(f"{boundary_label(b[-1])} and over")
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
            values.append(parse_amount(part, "25000, 25k or 1m"))
        return ValueBands(tuple(values))
