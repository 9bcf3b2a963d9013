"""Spend figures for the pages and the CLI: named, parameterised queries over `spend_facts`.

Every function takes the workspace and a SpendFilters; money comes back as exact Decimals.
Definitions (stated next to the figures on every page):
- influenceable spend: spend in categories procurement can influence (not grants, payments to
  individuals or other public bodies, taxes, pensions or refunds), classified spend only;
- a supplier-year is one supplier's total net spend in one financial year; its value band is that
  total's band, and "over £100k" means a supplier-year total of £100,000.00 or more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from sp_analysis.definitions import IMPACT_GROUPS, PLAN_LINE, PLAN_THRESHOLD
from sp_analysis.ingest.source import SHEET_SPAN
from sp_analysis.spend.filters import SpendFilters
from sp_analysis.sql import fetch_frame, row_dict, run
from sp_analysis.words import total
from sp_analysis.workspace import Workspace


# Most queries read `spend_cells` (spend summed by supplier-year, department and category, about a
# tenth of the rows); a search on published payee spellings needs the payments themselves. Either way
# `amount` sums money and `n` counts payments.
def _source(filters: SpendFilters) -> str:
    return "(SELECT *, 1 AS n FROM spend_facts)" if filters.supplier_search.strip() else "spend_cells"


DEFINITIONS = {
    "total": "All payments loaded, net of credit notes.",
    "influenceable": "Spend in categories procurement can influence: excludes grants, payments to individuals and to "
                     "other public bodies, taxes, levies, pensions, refunds and spend not yet classified.",
    "over_100k": "Influenceable spend with suppliers whose total net spend in that financial year is "
                 f"{PLAN_LINE} (the plan's £100k line).",
    "high_impact": "Influenceable spend in categories rated High impact (the Task Force's priority areas).",
    "coverage": "Share of net spend, by value, placed in a category other than Unclassified.",
    "cells": "A supplier-year with spend in two impact groups counts in both cells; each redacted payee counts as a "
             "supplier-year of its own, since their names are withheld.",
}

HEADLINE = """
SELECT count(*) AS payments,
       coalesce(sum(amount), 0) AS total,
       coalesce(sum(amount) FILTER (WHERE influenceable), 0) AS influenceable,
       coalesce(sum(amount) FILTER (WHERE influenceable AND supplier_year_total >= $threshold), 0) AS over_100k,
       coalesce(sum(amount) FILTER (WHERE influenceable AND impact_group = 'High'), 0) AS high_impact,
       coalesce(sum(amount) FILTER (WHERE influenceable AND impact_group = 'High'
                                     AND supplier_year_total >= $threshold), 0) AS high_over_100k,
       coalesce(sum(amount) FILTER (WHERE category <> 'Unclassified'), 0) AS classified,
       count(DISTINCT file_id) AS files,
       min(payment_date) AS first_date, max(coalesce(date_end, payment_date)) AS last_date,
       count(*) FILTER (WHERE amount < 0) AS credit_notes
FROM spend_facts WHERE {where}
"""

BY_FINANCIAL_YEAR = """
SELECT financial_year, impact_group, sum(n) AS payments, sum(amount) AS total
FROM {source} WHERE {where}
GROUP BY ALL ORDER BY financial_year, impact_group
"""

BAND_IMPACT_MATRIX = """
-- Per supplier-year and impact first (the band is the same for all of a supplier-year), then per cell:
-- one row per supplier-year in a cell, so counting rows counts supplier-years.
WITH sy AS (
    SELECT supplier_key, fy_start, impact_group, any_value(supplier_year_total) AS supplier_year_total,
           sum(amount) AS total, sum(n) AS payments
    FROM {source} WHERE {where}
    GROUP BY supplier_key, fy_start, impact_group
)
SELECT {band} AS value_band, impact_group, sum(total) AS total, count(*) AS supplier_years,
       sum(payments) AS payments
FROM sy GROUP BY ALL
"""

IMPACT_CATEGORY_SUPPLIER = """
WITH all_suppliers AS (
    SELECT *, row_number() OVER (PARTITION BY impact_group, category ORDER BY total DESC, supplier_key) AS rank
    FROM (SELECT impact_group, category, supplier_key, sum(amount) AS total, sum(n) AS payments
          FROM {source} WHERE {where} GROUP BY impact_group, category, supplier_key)
),
-- Beyond the top suppliers of each category, the rest become one 'Other suppliers' leaf.
top AS (SELECT * FROM all_suppliers WHERE $top IS NULL OR rank <= $top),
others AS (
    SELECT impact_group, category, 'other' AS supplier_key, sum(total) AS total, sum(payments) AS payments
    FROM all_suppliers WHERE $top IS NOT NULL AND rank > $top GROUP BY impact_group, category
),
names AS (
    SELECT DISTINCT ON (supplier_key) supplier_key, supplier FROM {source}
    WHERE supplier_key IN (SELECT supplier_key FROM top)
)
SELECT t.impact_group, t.category, t.supplier_key, n.supplier, t.total, t.payments
FROM top t JOIN names n USING (supplier_key)
UNION ALL
SELECT impact_group, category, supplier_key, 'Other suppliers', total, payments FROM others
ORDER BY total DESC, supplier_key
"""

CATEGORY_SUMMARY = """
SELECT * FROM (
    SELECT impact_group, category, sum(amount) AS total, sum(n) AS payments,
           count(DISTINCT supplier_key) AS suppliers,
           sum(amount) / nullif(sum(sum(amount)) OVER (), 0) AS share
    FROM {source} WHERE {where}
    GROUP BY ALL
)
ORDER BY list_position(['High', 'Medium', 'Low', 'Non-procurement', 'Unclassified'], impact_group), total DESC
"""

TOP_SUPPLIERS = """
-- Rank on a narrow aggregate of key and amount, then describe only the suppliers that made the list.
WITH s AS (SELECT supplier_key, sum(amount) AS total FROM {source} WHERE {where} GROUP BY supplier_key),
ranked AS (
    SELECT supplier_key, total, total / nullif(sum(total) OVER (), 0) AS share FROM s
    ORDER BY total DESC, supplier_key LIMIT $limit
),
details AS (
    SELECT supplier_key, any_value(supplier) AS supplier, sum(n) AS payments,
           count(DISTINCT category) AS categories, arg_max(category, amount) AS main_category
    FROM {source} WHERE ({where}) AND supplier_key IN (SELECT supplier_key FROM ranked)
    GROUP BY supplier_key
)
SELECT r.supplier_key, d.supplier, r.total, d.payments, d.categories, d.main_category, r.share
FROM ranked r JOIN details d USING (supplier_key)
ORDER BY r.total DESC, d.supplier
"""

SUPPLIER_YEARS = """
WITH sy AS (
    SELECT supplier_key, financial_year, sum(amount) AS total
    FROM {source} WHERE {where} GROUP BY supplier_key, financial_year
),
years AS (SELECT coalesce(list(DISTINCT financial_year ORDER BY financial_year), []) AS ys FROM sy),
-- Rank on the change first, then build year columns only for the suppliers kept.
changes AS (
    SELECT sy.supplier_key,
           CASE WHEN len(ys) >= 2
                THEN coalesce(sum(total) FILTER (WHERE financial_year = ys[-1]), 0)
                     - coalesce(sum(total) FILTER (WHERE financial_year = ys[-2]), 0) END AS change
    FROM sy, years GROUP BY sy.supplier_key, ys
),
chosen AS (SELECT * FROM changes ORDER BY abs(change) DESC NULLS LAST, supplier_key LIMIT $limit),
per AS (
    SELECT supplier_key, map(list(financial_year), list(total)) AS totals
    FROM sy WHERE supplier_key IN (SELECT supplier_key FROM chosen) GROUP BY supplier_key
),
names AS (
    SELECT supplier_key, any_value(supplier) AS supplier FROM {source}
    WHERE supplier_key IN (SELECT supplier_key FROM chosen) GROUP BY supplier_key
)
SELECT c.supplier_key, n.supplier, ys AS years,
       list_transform(ys, lambda y: coalesce(totals[y], 0::DECIMAL(18, 2))) AS totals, c.change
FROM chosen c JOIN per USING (supplier_key) JOIN names n USING (supplier_key), years
ORDER BY abs(c.change) DESC NULLS LAST, n.supplier, c.supplier_key
"""

CONCENTRATION = """
WITH s AS (SELECT supplier_key, sum(amount) AS total FROM {source} WHERE {where} GROUP BY supplier_key),
r AS (SELECT total, row_number() OVER (ORDER BY total DESC, supplier_key) AS rank FROM s)
SELECT coalesce(sum(total), 0), coalesce(sum(total) FILTER (WHERE rank <= 10), 0),
       coalesce(sum(total) FILTER (WHERE rank <= 20), 0), count(*)
FROM r
"""

# A workbook's sheet is looked up for the rows shown only; its rows are numbered k x 10,000,000 + row from
# the second sheet on (ingest.source.SHEET_SPAN), so the line shown is the sheet's own row.
# The largest payments are found first from the few columns they are ordered by, then only they are read whole:
# at 10 million lines, 3.6 million of them matching, 0.57 to 0.93 s against 0.75 to 1.13 s for reading every
# matching line whole before keeping the largest.
PAYMENTS = """
WITH largest AS (
    SELECT s.rowid AS fact_row
    FROM spend_facts s JOIN loaded_files f USING (file_id)
    WHERE {where}
    ORDER BY abs(s.amount) DESC, s.payment_date, f.name, s.source_row
    LIMIT $limit
),
shown AS (
    SELECT payment_date, supplier, supplier_name, amount, financial_year, department, expense_type,
           expense_code, category, impact_group AS impact, rule_id, transaction_ref, supplier_year_total,
           f.name AS source_file, file_id, source_row
    FROM spend_facts JOIN loaded_files f USING (file_id)
    WHERE spend_facts.rowid IN (SELECT fact_row FROM largest)
)
SELECT s.* EXCLUDE (file_id, source_row), p.sheet AS source_sheet, s.source_row % $sheet_span AS source_line
FROM shown s LEFT JOIN payments p USING (file_id, source_row)
ORDER BY abs(s.amount) DESC, s.payment_date, s.source_file, s.source_row
"""

PAYMENTS_COUNT = "SELECT count(*), coalesce(sum(amount), 0) FROM spend_facts WHERE {where}"

LARGEST_UNCLASSIFIED = """
SELECT {column} AS {column}, count(*) AS payments, sum(amount) AS total
FROM spend_facts WHERE category = 'Unclassified'
GROUP BY ALL ORDER BY total DESC NULLS LAST, {column} NULLS LAST
LIMIT $limit
"""
UNCLASSIFIED_BY = ("expense_type", "supplier_name", "department", "expense_code")

FILTER_OPTIONS = """
SELECT
    (SELECT list(DISTINCT financial_year ORDER BY financial_year) FROM spend_facts),
    (SELECT list(DISTINCT department ORDER BY department) FROM spend_facts WHERE department IS NOT NULL),
    (SELECT list(DISTINCT category ORDER BY category) FROM spend_facts)
"""


@dataclass(frozen=True)
class Headline:
    """The headline figures of the filtered spend, with their shares."""

    payments: int
    total: Decimal
    influenceable: Decimal
    over_100k: Decimal
    high_impact: Decimal
    high_over_100k: Decimal
    classified: Decimal
    files: int
    first_date: dt.date | None
    last_date: dt.date | None
    credit_notes: int

    @staticmethod
    def _share(part: Decimal, whole: Decimal) -> float | None:
        return float(part / whole) if whole else None

    @property
    def over_100k_share(self) -> float | None:
        """Over-£100k spend as a share of influenceable spend."""
        return self._share(self.over_100k, self.influenceable)

    @property
    def high_impact_share(self) -> float | None:
        """High-impact spend as a share of influenceable spend."""
        return self._share(self.high_impact, self.influenceable)

    @property
    def classified_share(self) -> float | None:
        """Classified spend as a share of all spend, by value."""
        return self._share(self.classified, self.total)


def headline(ws: Workspace, filters: SpendFilters) -> Headline:
    """Total, influenceable, over-£100k and high-impact spend, coverage and period."""
    where, params = filters.where_sql()
    with ws.read() as cur:
        row = run(cur, HEADLINE.format(where=where), params | {"threshold": PLAN_THRESHOLD}).fetchone()
    assert row is not None
    money = [Decimal(v) for v in row[1:7]]
    return Headline(int(row[0]), money[0], money[1], money[2], money[3], money[4], money[5], int(row[7]),
                    row[8], row[9], int(row[10]))


def spend_by_financial_year(ws: Workspace, filters: SpendFilters) -> pd.DataFrame:
    """Spend per financial year and impact group."""
    where, params = filters.where_sql()
    with ws.read() as cur:
        return fetch_frame(cur, BY_FINANCIAL_YEAR.format(where=where, source=_source(filters)), params)


# The latest financial year with payments on or before the as-at date, its influenceable spend and the high-impact part.
HIGH_IMPACT_SPEND = """
WITH year AS (SELECT max(financial_year) AS fy FROM payments WHERE payment_date <= $as_at)
SELECT (SELECT fy FROM year) AS financial_year,
       min(p.payment_date) AS first_date, max(p.payment_date) AS last_date,
       coalesce(sum(p.amount) FILTER (WHERE c.influenceable), 0) AS influenceable,
       coalesce(sum(p.amount) FILTER (WHERE c.influenceable AND c.impact = 'High'), 0) AS high_impact,
       coalesce(sum(p.amount) FILTER (WHERE c.category IS NULL OR c.impact = 'Unclassified'), 0) AS unclassified,
       coalesce(sum(p.amount), 0) AS total
FROM payments p
LEFT JOIN payment_classes pc ON pc.file_id = p.file_id AND pc.source_row = p.source_row
LEFT JOIN categories c ON c.category = pc.category
WHERE p.financial_year = (SELECT fy FROM year) AND p.payment_date <= $as_at
"""


def latest_year_high_impact(ws: Workspace, as_at: dt.date) -> dict[str, Any]:
    """The latest financial year with payments on or before the date: its dates, all spend, the influenceable
    part, the high-impact part of that, and the unclassified spend."""
    with ws.read() as cur:
        return row_dict(cur, HIGH_IMPACT_SPEND, {"as_at": as_at})


def year_by_impact(by_year: pd.DataFrame) -> pd.DataFrame:
    """`spend_by_financial_year` as a table: a row per financial year, a column per impact group present (in
    the groups' order) and 'All', each cell exact (None where a year has no spend in a group)."""
    groups = [g for g in IMPACT_GROUPS if g in set(by_year["impact_group"])]
    cells = {(r.financial_year, r.impact_group): Decimal(r.total) for r in by_year.itertuples()}
    years = sorted(set(by_year["financial_year"]))
    rows = [{"financial_year": y, **{g: cells.get((y, g)) for g in groups},
             "All": total(cells.get((y, g)) for g in groups)} for y in years]
    return pd.DataFrame(rows, columns=["financial_year", *groups, "All"])


def band_impact_matrix(ws: Workspace, filters: SpendFilters) -> pd.DataFrame:
    """Value band x impact: spend and count of supplier-years in each cell, every cell present.

    A supplier-year with spend in two impact groups counts once in each of their cells.
    """
    where, params = filters.where_sql()
    sql = BAND_IMPACT_MATRIX.format(where=where, source=_source(filters),
                                    band=filters.bands.case_sql("supplier_year_total"))
    with ws.read() as cur:
        found = fetch_frame(cur, sql, params | filters.bands.params())
    grid = pd.MultiIndex.from_product([filters.bands.labels, IMPACT_GROUPS], names=["value_band", "impact_group"])
    frame = found.set_index(["value_band", "impact_group"]).reindex(grid).reset_index()
    frame["total"] = frame["total"].map(lambda v: Decimal(0) if pd.isna(v) else Decimal(v))
    for column in ("supplier_years", "payments"):
        frame[column] = frame[column].fillna(0).astype("int64")
    frame["priority"] = frame["value_band"].isin(filters.bands.over_threshold) & (frame["impact_group"] == "High")
    return frame


def impact_category_supplier(ws: Workspace, filters: SpendFilters, top: int | None = None) -> pd.DataFrame:
    """Spend by impact group, category and supplier (the `top` largest per category, the rest as one)."""
    where, params = filters.where_sql()
    with ws.read() as cur:
        sql = IMPACT_CATEGORY_SUPPLIER.format(where=where, source=_source(filters))
        return fetch_frame(cur, sql, params | {"top": top})


def category_summary(ws: Workspace, filters: SpendFilters) -> pd.DataFrame:
    """Spend, payments, suppliers and share per category, High impact first."""
    where, params = filters.where_sql()
    with ws.read() as cur:
        return fetch_frame(cur, CATEGORY_SUMMARY.format(where=where, source=_source(filters)), params)


def top_suppliers(ws: Workspace, filters: SpendFilters, limit: int = 20) -> pd.DataFrame:
    """The largest suppliers by net spend, with their share of the filtered total."""
    where, params = filters.where_sql()
    with ws.read() as cur:
        return fetch_frame(cur, TOP_SUPPLIERS.format(where=where, source=_source(filters)), params | {"limit": limit})


def supplier_year_on_year(ws: Workspace, filters: SpendFilters, limit: int | None = None) -> pd.DataFrame:
    """Each supplier's spend per financial year as columns, with the change over the last two years.

    Largest changes first; `limit` keeps the top rows (the pivot is done in SQL, so a decade of
    twenty thousand suppliers stays fast).
    """
    where, params = filters.where_sql()
    with ws.read() as cur:
        sql = SUPPLIER_YEARS.format(where=where, source=_source(filters))
        found = fetch_frame(cur, sql, params | {"limit": limit})
    if found.empty:
        return pd.DataFrame(columns=["supplier_key", "supplier"])
    years = list(found["years"].iloc[0])
    wide = found[["supplier_key", "supplier"]].copy()
    for index, year in enumerate(years):
        wide[year] = [Decimal(row[index]) for row in found["totals"]]
    if len(years) >= 2:
        wide["change"] = [Decimal(v) for v in found["change"]]
    return wide.reset_index(drop=True)


@dataclass(frozen=True)
class Concentration:
    """How much of the spend the largest suppliers take."""

    total: Decimal
    top_10: Decimal
    top_20: Decimal
    suppliers: int

    @property
    def top_10_share(self) -> float | None:
        """Share of the top 10 suppliers."""
        return float(self.top_10 / self.total) if self.total else None

    @property
    def top_20_share(self) -> float | None:
        """Share of the top 20 suppliers."""
        return float(self.top_20 / self.total) if self.total else None


def concentration(ws: Workspace, filters: SpendFilters) -> Concentration:
    """Share of net spend with the top 10 and top 20 suppliers."""
    where, params = filters.where_sql()
    with ws.read() as cur:
        sql = CONCENTRATION.format(where=where, source=_source(filters))
        total, top10, top20, count = run(cur, sql, params).fetchone()  # type: ignore[misc]
    return Concentration(Decimal(total), Decimal(top10), Decimal(top20), int(count))


def payments_behind(ws: Workspace, filters: SpendFilters, limit: int = 5_000) -> tuple[pd.DataFrame, int, Decimal]:
    """The payments behind a figure (largest first, up to `limit`), with the full count and total."""
    where, params = filters.where_sql()
    with ws.read() as cur:
        frame = fetch_frame(cur, PAYMENTS.format(where=where), params | {"limit": limit, "sheet_span": SHEET_SPAN})
        count, total = run(cur, PAYMENTS_COUNT.format(where=where), params).fetchone()  # type: ignore[misc]
    return frame, int(count), Decimal(total)


def largest_unclassified(ws: Workspace, by: str = "expense_type", limit: int = 25) -> pd.DataFrame:
    """Unclassified spend grouped by one field, largest net total first: where a new rule pays most."""
    if by not in UNCLASSIFIED_BY:
        raise ValueError(f"cannot group unclassified spend by '{by}'")
    with ws.read() as cur:
        return fetch_frame(cur, LARGEST_UNCLASSIFIED.format(column=by), {"limit": limit})


def filter_options(ws: Workspace) -> dict[str, list[str]]:
    """What the sidebar filters can offer: financial years, departments, categories."""
    with ws.read() as cur:
        years, departments, categories = cur.execute(FILTER_OPTIONS).fetchone()  # type: ignore[misc]
    return {"financial_years": years or [], "departments": departments or [], "categories": categories or []}
