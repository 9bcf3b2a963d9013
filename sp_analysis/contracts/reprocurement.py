"""The renewal pipeline: contracts ending, when their re-procurement must start, and the contracts over the
plan's £100k line that come up for renewal.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd

from sp_analysis.contracts.on_contract import OFF_CONTRACT, coverage_on
from sp_analysis.contracts.register import ContractFilters, staged
from sp_analysis.contracts.terms import LeadTimes
from sp_analysis.definitions import IMPACT_GROUPS, PLAN_THRESHOLD
from sp_analysis.sql import fetch_frame, row_dict, run
from sp_analysis.words import decimal_text
from sp_analysis.workspace import Workspace

# --- the renewal pipeline ----------------------------------------------------------------------------------

PIPELINE = """
WITH p AS (
    SELECT *, term_end AS ends_on, {lead_months} AS lead_months, {lead_band} AS lead_band,
           coalesce(impact_group = 'High' AND contract_value >= $threshold, false) AS plan_priority
    FROM cx_facts
    WHERE {where} AND term_end BETWEEN $today AND CAST($today + to_months($months) AS DATE)
),
q AS (SELECT *, CAST(ends_on - to_months(lead_months) AS DATE) AS intervention_date FROM p)
SELECT row_number() OVER (ORDER BY plan_priority DESC, list_position($impacts, impact_group),
                          contract_value DESC NULLS LAST, ends_on, reference) AS rank,
       reference, title, supplier_name, department, category, impact_group, contract_value, value_basis, lead_band,
       start_date, end_date, extension_options, option_months, final_end, ends_on, lead_months, intervention_date,
       CASE WHEN intervention_date < $today THEN 'Overdue: should have started'
            WHEN intervention_date <= $quarter_end THEN 'Start this quarter'
            ELSE 'Start later' END AS action,
       plan_priority, route, sme_label, vcse_label, status, file_id, source_row, supplier_key, cpv_code, description
FROM q
ORDER BY rank
"""
NO_END_DATE = "SELECT count(*) FROM cx_facts WHERE {where} AND end_date IS NULL"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or that month's last day when it is shorter (as DuckDB adds months)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def financial_quarter(day: dt.date) -> tuple[str, dt.date, dt.date]:
    """The UK financial-year quarter holding `day`: its label ('Q3 2025/26'), first and last day."""
    first_month = ((day.month - 1) // 3) * 3 + 1
    start = dt.date(day.year, first_month, 1)
    end = (dt.date(day.year + (first_month == 10), (first_month + 3 - 1) % 12 + 1, 1) - dt.timedelta(days=1))
    fy_start = day.year - (1 if day.month < 4 else 0)
    number = {4: 1, 7: 2, 10: 3, 1: 4}[first_month]
    return f"Q{number} {fy_start}/{(fy_start + 1) % 100:02d}", start, end


def renewal_pipeline(ws: Workspace, today: dt.date, months: int = 18, *, include_extensions: bool = False,
                     lead: LeadTimes = LeadTimes(), filters: ContractFilters = ContractFilters()) -> pd.DataFrame:
    """Contracts ending within `months` of today (today included), ranked, with intervention dates and actions.

    'Ending' is the published end date, or the end of the last extension option when `include_extensions`.
    """
    if not 1 <= months <= 120:
        raise ValueError("the pipeline looks ahead between 1 and 120 months")
    where, params = filters.where_sql()
    _, _, quarter_end = financial_quarter(today)
    sql = PIPELINE.format(where=where, lead_months=lead.months_sql("contract_value"),
                          lead_band=lead.band_sql("contract_value"))
    with staged(ws, today, include_extensions=include_extensions, bands=filters.bands) as cur:
        return fetch_frame(cur, sql, params | lead.params() | {
            "today": today, "months": months, "quarter_end": quarter_end, "threshold": PLAN_THRESHOLD,
            "impacts": list(IMPACT_GROUPS)})


def contracts_without_end_date(ws: Workspace, today: dt.date, filters: ContractFilters = ContractFilters()) -> int:
    """How many contracts (in the filters) have no end date, so cannot be placed in the pipeline."""
    where, params = filters.where_sql()
    with staged(ws, today, bands=filters.bands) as cur:
        return int(run(cur, NO_END_DATE.format(where=where), params).fetchall()[0][0])


# Live contracts (on the published term) over the plan's £100k line: value as in DEFINITIONS['contract_value'],
# £100,000.00 or more, as the Renewals page's plan priority counts it.
OVER_THE_LINE = """
SELECT count(*) AS live,
       count(*) FILTER (WHERE contract_value >= $threshold) AS over,
       coalesce(sum(contract_value) FILTER (WHERE contract_value >= $threshold), 0) AS over_value,
       count(*) FILTER (WHERE contract_value >= $threshold AND end_date BETWEEN $window_start AND $window_end) AS ending,
       coalesce(sum(contract_value) FILTER (WHERE contract_value >= $threshold
                                            AND end_date BETWEEN $window_start AND $window_end), 0) AS ending_value,
       count(*) FILTER (WHERE contract_value >= $threshold AND end_date IS NULL) AS over_no_end,
       count(*) FILTER (WHERE contract_value >= $threshold AND value_whole_life IS NULL) AS over_annual_only,
       count(*) FILTER (WHERE contract_value IS NULL) AS no_value,
       (SELECT count(*) FROM contracts) AS register
FROM cx_facts WHERE status = 'Live'
"""


def contracts_over_the_line(ws: Workspace, as_at: dt.date, window_start: dt.date, window_end: dt.date) -> dict[str, Any]:
    """Contracts live on `as_at` valued at the plan's £100k line or more, and those of them whose published end
    date falls in the window; `over_annual_only` counts those valued from their annual value."""
    with staged(ws, as_at) as cur:
        return row_dict(cur, OVER_THE_LINE, {"threshold": PLAN_THRESHOLD, "window_start": window_start,
                                             "window_end": window_end})


# --- the figures behind `summary --json` -----------------------------------------------------------------

ENDING = """
SELECT count(*), coalesce(sum(contract_value), 0) FROM cx_facts
WHERE end_date BETWEEN $today AND CAST($today + to_months(12) AS DATE)
"""


def contracts_summary(ws: Workspace, today: dt.date) -> dict[str, Any]:
    """Contracts ending within 12 months of `today` (published end dates, today included; value as in
    DEFINITIONS['contract_value'], unknown values counting nothing), off-contract supplier-years of £100k or
    more, and the contracted share of influenceable spend (published terms, no extension options)."""
    with staged(ws, today) as cur:
        count, value = run(cur, ENDING, {"today": today}).fetchall()[0]
        off = fetch_frame(cur, OFF_CONTRACT, {"threshold": PLAN_THRESHOLD})
        coverage = coverage_on(cur)
    return {
        "ending_within_12_months": {"count": int(count), "value": decimal_text(value)},
        "off_contract_over_100k": {"count": len(off),
                                   "total": decimal_text(sum((Decimal(v) for v in off["total"]), Decimal(0)))},
        "contracted_share": None if coverage.share is None else round(coverage.share, 6),
    }
