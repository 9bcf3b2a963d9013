"""What each chart shared by a page and the Cabinet pack is called and says under its title, written once."""

from __future__ import annotations

import datetime as dt

from sp_analysis.contracts.terms import LeadTimes
from sp_analysis.output.charts import ChartStyle, ChartText
from sp_analysis.spend.filters import SpendFilters
from sp_analysis.words import long_day


def band_impact(filters: SpendFilters, period: str, source: str, style: ChartStyle) -> ChartText:
    """The value band x impact matrix."""
    return ChartText("Where the spend sits by supplier size and impact",
                     f"Net spend and number of supplier-years, {filters.describe()}, {period}", source, style=style)


def by_year(filters: SpendFilters, source: str, style: ChartStyle) -> ChartText:
    """The trend by financial year and impact."""
    return ChartText("Spend by financial year and impact", f"Net spend by impact of category, {filters.describe()}",
                     source, style=style)


def top_suppliers(count: int, filters: SpendFilters, period: str, source: str, style: ChartStyle) -> ChartText:
    """The largest suppliers bar chart."""
    return ChartText(f"The {count} largest suppliers by net spend", f"Net spend, {filters.describe()}, {period}",
                     source, style=style)


def high_over_100k(filters: SpendFilters, period: str, source: str, style: ChartStyle) -> ChartText:
    """High-impact spend with suppliers over the £100k line, by category (`filters` already narrowed to it)."""
    return ChartText("High-impact spend with suppliers over £100k, by category",
                     f"Net spend in supplier-years of £100,000 or more, {filters.describe()}, {period}", source,
                     style=style)


def renewals(shown: int, ending: int, window: str, whose_register: str, lead: LeadTimes,
             style: ChartStyle) -> ChartText:
    """The renewal timeline: `window` says which contracts ('ending by 30 June 2027 (all contracts)')."""
    return ChartText(
        "Contracts coming up for renewal: when re-procurement must start",
        f"The {shown} highest-ranked of {ending} contracts {window}",
        f"Source: {whose_register} loaded in this workspace. Bars run from the intervention date (end date minus the "
        f"lead time: {lead.describe()}) to the end date.", style=style)


def renewal_window(months: int, as_at: dt.date) -> str:
    """The pack's window: 'ending within 18 months of 2 December 2026, plan priority first'."""
    return f"ending within {months} months of {long_day(as_at)}, plan priority first"
