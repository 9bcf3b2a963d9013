"""Figures the pages show beside their tables, computed in the package (exact pence, missing values left out)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from sp_analysis.contracts.register import register_figures
from sp_analysis.spend.queries import year_by_impact
from sp_analysis.words import total

D = Decimal


def test_the_year_table_adds_its_groups_exactly_and_leaves_gaps_blank() -> None:
    by_year = pd.DataFrame({
        "financial_year": ["2024/25", "2024/25", "2025/26", "2024/25"],
        "impact_group": ["Low", "High", "High", "Unclassified"],
        "total": [D("0.10"), D("0.20"), D("100000.01"), D("-0.05")],
    })
    table = year_by_impact(by_year)
    assert list(table.columns) == ["financial_year", "High", "Low", "Unclassified", "All"]
    first, second = table.to_dict("records")
    assert first == {"financial_year": "2024/25", "High": D("0.20"), "Low": D("0.10"), "Unclassified": D("-0.05"),
                     "All": D("0.25")}
    assert second["All"] == D("100000.01") and second["Low"] is None and second["Unclassified"] is None


def test_the_register_figures() -> None:
    register = pd.DataFrame({
        "contract_value": [D("100000.00"), D("99999.99"), None, D("250000.50")],
        "status": ["Live", "Expired", "Live", "Not started"],
    })
    figures = register_figures(register)
    assert figures.contracts == 4 and figures.live == 2
    assert figures.value == D("450000.49")
    assert figures.over_line == 2  # £100,000.00 exactly is over the line


def test_a_total_is_exact_and_skips_what_is_missing() -> None:
    assert total([D("0.1")] * 10) == D("1.0")
    assert total(["1.10", None, float("nan"), D("2.20")]) == D("3.30")
    assert total([]) == D(0)
