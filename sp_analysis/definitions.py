"""The definitions every figure rests on, defined once: the plan's £100k line, the impact groups, the
default value bands, and the sentences that say what they mean (pages, pack, CLI and README use these).

The £100k line is one rule everywhere: a supplier-year's total, or a contract's value, is over the line when
it is £100,000.00 or more. A contract's value is its whole-life value as published; where only the annual
value is published, the annual value times the term in years (start to end date); with no dates, the annual
value alone (`contracts.DEFINITIONS['contract_value']`). The Overview, the Contracts and Renewals pages,
the compliance list and the action plan's "contracts over £100,000" measure all apply it.
"""

from __future__ import annotations

from decimal import Decimal

# The line the plan is built on: contracts and commissioning over £100k.
PLAN_THRESHOLD = Decimal(100_000)
PLAN_LINE = "£100,000.00 or more"
# How each impact group is shown, in this order, on every page and chart.
IMPACT_GROUPS: tuple[str, ...] = ("High", "Medium", "Low", "Non-procurement", "Unclassified")
# Default value bands of a supplier-year's total (Settings may change them; the £100k line must stay).
DEFAULT_BOUNDARIES: tuple[Decimal, ...] = (Decimal(25_000), PLAN_THRESHOLD, Decimal(500_000))
DEFAULT_BOUNDARIES_TEXT = ", ".join(f"{b:.0f}" for b in DEFAULT_BOUNDARIES)  # '25000, 100000, 500000'
