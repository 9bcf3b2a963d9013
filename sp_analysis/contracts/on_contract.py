"""Spend against contracts: the share of influenceable spend paid within a contract's term, and the
supplier-years of spend with no contract in the register.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pandas as pd

from sp_analysis.contracts.register import staged
from sp_analysis.definitions import PLAN_THRESHOLD
from sp_analysis.sql import fetch_frame
from sp_analysis.workspace import Workspace

# --- spend against contracts ------------------------------------------------------------------------------

COVERAGE = """
SELECT financial_year, count(*) AS payments, coalesce(sum(amount), 0) AS influenceable,
       coalesce(sum(amount) FILTER (WHERE contracted), 0) AS contracted
FROM (
    SELECT p.financial_year, p.amount,
           EXISTS (SELECT 1 FROM cx_facts c WHERE c.supplier_key = p.supplier_key
                   AND p.payment_date >= coalesce(c.start_date, DATE '0001-01-01')
                   AND p.payment_date <= coalesce(c.term_end, DATE '9999-12-31')) AS contracted
    FROM spend_facts p WHERE p.influenceable
)
GROUP BY GROUPING SETS ((financial_year), ())
ORDER BY financial_year NULLS LAST
"""

OFF_CONTRACT = """
WITH sy AS (
    SELECT supplier_key, fy_start, any_value(financial_year) AS financial_year, sum(amount) AS total,
           count(*) AS payments
    FROM spend_facts WHERE influenceable
    GROUP BY supplier_key, fy_start
    HAVING sum(amount) >= $threshold
),
live AS (
    SELECT DISTINCT y.supplier_key, y.fy_start
    FROM sy y JOIN cx_facts c ON c.supplier_key = y.supplier_key
    WHERE coalesce(c.start_date, DATE '0001-01-01') <= make_date(CAST(y.fy_start AS BIGINT) + 1, 3, 31)
      AND coalesce(c.term_end, DATE '9999-12-31') >= make_date(CAST(y.fy_start AS BIGINT), 4, 1)
),
off AS (SELECT * FROM sy ANTI JOIN live USING (supplier_key, fy_start)),
parts AS (
    SELECT p.supplier_key, p.fy_start, p.category, p.impact_group, p.department, sum(p.amount) AS amount
    FROM spend_facts p SEMI JOIN off o ON o.supplier_key = p.supplier_key AND o.fy_start = p.fy_start
    WHERE p.influenceable
    GROUP BY ALL
),
cats AS (
    SELECT supplier_key, fy_start, category, any_value(impact_group) AS impact_group, sum(amount) AS amount
    FROM parts GROUP BY ALL
),
depts AS (
    SELECT supplier_key, fy_start, coalesce(department, '(not given)') AS department, sum(amount) AS amount
    FROM parts GROUP BY ALL
),
register AS (
    SELECT supplier_key, count(*) AS contracts_in_register,
           string_agg(coalesce(reference, title) || ': ' || coalesce(strftime(start_date, '%-d %b %Y'), 'no start date')
                      || ' to ' || coalesce(strftime(term_end, '%-d %b %Y'), 'no end date'), '; '
                      ORDER BY start_date NULLS FIRST, reference) AS contract_terms
    FROM cx_facts GROUP BY supplier_key
)
SELECT o.financial_year, o.supplier_key,
       (SELECT any_value(supplier) FROM spend_facts s WHERE s.supplier_key = o.supplier_key) AS supplier,
       o.total, o.payments,
       (SELECT string_agg(category, '; ' ORDER BY amount DESC, category) FROM cats c
        WHERE c.supplier_key = o.supplier_key AND c.fy_start = o.fy_start) AS categories,
       (SELECT first(impact_group ORDER BY amount DESC, category) FROM cats c
        WHERE c.supplier_key = o.supplier_key AND c.fy_start = o.fy_start) AS main_impact,
       (SELECT string_agg(department, '; ' ORDER BY amount DESC, department) FROM depts d
        WHERE d.supplier_key = o.supplier_key AND d.fy_start = o.fy_start) AS departments,
       coalesce(r.contracts_in_register, 0) AS contracts_in_register, r.contract_terms
FROM off o LEFT JOIN register r USING (supplier_key)
ORDER BY o.total DESC, o.financial_year, supplier
"""


@dataclass(frozen=True)
class ContractCoverage:
    """Influenceable spend and the part of it paid within a contract's term, overall and by financial year."""

    influenceable: Decimal
    contracted: Decimal
    by_year: pd.DataFrame

    @property
    def share(self) -> float | None:
        """Contracted share of influenceable spend; None when there is none."""
        return float(self.contracted / self.influenceable) if self.influenceable else None


def coverage_on(cur: duckdb.DuckDBPyConnection) -> ContractCoverage:
    frame = fetch_frame(cur, COVERAGE)
    overall = frame[frame["financial_year"].isna()]
    by_year = frame[frame["financial_year"].notna()].reset_index(drop=True)
    by_year["share"] = [float(c / i) if i else None for c, i in zip(by_year["contracted"], by_year["influenceable"],
                                                                    strict=True)]
    if overall.empty:
        return ContractCoverage(Decimal(0), Decimal(0), by_year)
    return ContractCoverage(Decimal(overall["influenceable"].iloc[0]), Decimal(overall["contracted"].iloc[0]), by_year)


def spend_against_contracts(ws: Workspace, *, include_extensions: bool = False) -> ContractCoverage:
    """The contracted share of influenceable spend (see DEFINITIONS['contracted_share'])."""
    with staged(ws, include_extensions=include_extensions) as cur:
        return coverage_on(cur)


def off_contract_supplier_years(ws: Workspace, *, include_extensions: bool = False,
                                threshold: Decimal = PLAN_THRESHOLD) -> pd.DataFrame:
    """The compliance list: supplier-years of £100k or more influenceable spend with no live contract, largest first,
    with their categories and departments (largest first) and the terms of the supplier's contracts, if any."""
    with staged(ws, include_extensions=include_extensions) as cur:
        return fetch_frame(cur, OFF_CONTRACT, {"threshold": threshold})
