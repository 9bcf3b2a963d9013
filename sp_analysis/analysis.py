"""Spend figures for the pages: named, parameterised queries returning DataFrames."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from sp_analysis.workspace import Workspace

SPEND_HEADLINE = """
SELECT count(*) AS payments, coalesce(sum(amount), 0) AS total,
       count(DISTINCT file_id) AS files, min(payment_date) AS first_date, max(payment_date) AS last_date,
       count(*) FILTER (WHERE amount < 0) AS credit_notes,
       count(*) FILTER (WHERE is_redacted) AS redacted
FROM payments
"""

SPEND_BY_FINANCIAL_YEAR = """
SELECT financial_year, count(*) AS payments, sum(amount) AS total,
       min(payment_date) AS first_date, max(payment_date) AS last_date
FROM payments GROUP BY financial_year ORDER BY financial_year
"""


@dataclass(frozen=True)
class SpendHeadline:
    """The workspace's spend in one line."""

    payments: int
    total: Decimal
    files: int
    first_date: dt.date | None
    last_date: dt.date | None
    credit_notes: int
    redacted: int


def spend_headline(ws: Workspace) -> SpendHeadline:
    """Payments, total, files and the period covered."""
    with ws.read() as cur:
        row = cur.execute(SPEND_HEADLINE).fetchone()
    assert row is not None
    return SpendHeadline(int(row[0]), Decimal(row[1]), int(row[2]), row[3], row[4], int(row[5]), int(row[6]))


def spend_by_financial_year(ws: Workspace) -> pd.DataFrame:
    """Spend per UK financial year (April to March): payments, exact total, first and last date."""
    with ws.read() as cur:
        return cur.execute(SPEND_BY_FINANCIAL_YEAR).df()
