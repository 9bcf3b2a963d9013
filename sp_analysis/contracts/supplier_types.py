"""Shares of spend and of contract value with SMEs, VCSE organisations and local suppliers, and where
each supplier's status comes from.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd

from sp_analysis.contracts.register import staged
from sp_analysis.contracts.terms import local_districts
from sp_analysis.sql import fetch_frame, row_dict
from sp_analysis.workspace import Workspace

# --- SME, VCSE and local ------------------------------------------------------------------------------------

SPEND_SHARES = """
SELECT financial_year, coalesce(sum(p.amount), 0) AS influenceable,
       coalesce(sum(p.amount) FILTER (WHERE s.sme), 0) AS sme,
       coalesce(sum(p.amount) FILTER (WHERE s.sme IS NULL), 0) AS sme_unknown,
       coalesce(sum(p.amount) FILTER (WHERE s.vcse), 0) AS vcse,
       coalesce(sum(p.amount) FILTER (WHERE s.vcse IS NULL), 0) AS vcse_unknown,
       coalesce(sum(p.amount) FILTER (WHERE s.local), 0) AS local,
       coalesce(sum(p.amount) FILTER (WHERE s.local IS NULL), 0) AS local_unknown
FROM spend_facts p LEFT JOIN cx_status s USING (supplier_key)
WHERE p.influenceable
GROUP BY GROUPING SETS ((financial_year), ())
ORDER BY financial_year NULLS LAST
"""
CONTRACT_SHARES = """
SELECT financial_year, count(*) AS contracts, coalesce(sum(contract_value), 0) AS influenceable,
       coalesce(sum(contract_value) FILTER (WHERE sme_status), 0) AS sme,
       coalesce(sum(contract_value) FILTER (WHERE sme_status IS NULL), 0) AS sme_unknown,
       coalesce(sum(contract_value) FILTER (WHERE vcse_status), 0) AS vcse,
       coalesce(sum(contract_value) FILTER (WHERE vcse_status IS NULL), 0) AS vcse_unknown,
       coalesce(sum(contract_value) FILTER (WHERE local), 0) AS local,
       coalesce(sum(contract_value) FILTER (WHERE local IS NULL), 0) AS local_unknown
FROM (SELECT *, sp_fy_label(sp_fy_start(start_date)) AS financial_year FROM cx_facts
      WHERE influenceable AND contract_value IS NOT NULL AND start_date IS NOT NULL)
GROUP BY GROUPING SETS ((financial_year), ())
ORDER BY financial_year NULLS LAST
"""
STATUS_SOURCES = """
SELECT measure, source, count(DISTINCT supplier_key) AS suppliers, coalesce(sum(amount), 0) AS spend
FROM (
    SELECT 'SME' AS measure, coalesce(s.sme_source, 'unknown') AS source, p.supplier_key, p.amount
    FROM spend_facts p LEFT JOIN cx_status s USING (supplier_key) WHERE p.influenceable
    UNION ALL
    SELECT 'VCSE', coalesce(s.vcse_source, 'unknown'), p.supplier_key, p.amount
    FROM spend_facts p LEFT JOIN cx_status s USING (supplier_key) WHERE p.influenceable
    UNION ALL
    SELECT 'Local', coalesce(s.local_source, 'unknown'), p.supplier_key, p.amount
    FROM spend_facts p LEFT JOIN cx_status s USING (supplier_key) WHERE p.influenceable
)
GROUP BY measure, source
ORDER BY list_position(['SME', 'VCSE', 'Local'], measure), spend DESC
"""
SUPPLIER_STATUS = """
SELECT s.supplier_key,
       (SELECT any_value(supplier) FROM spend_facts f WHERE f.supplier_key = s.supplier_key) AS supplier,
       s.sme, s.sme_source, s.vcse, s.vcse_source, s.postcode, s.district, s.local
FROM cx_status s
"""
MEASURES = ("sme", "vcse", "local")


def _with_shares(frame: pd.DataFrame) -> pd.DataFrame:
    for measure in MEASURES:
        for column in (measure, f"{measure}_unknown"):
            frame[f"{column}_share"] = [float(Decimal(v) / Decimal(t)) if t else None
                                        for v, t in zip(frame[column], frame["influenceable"], strict=True)]
    frame["financial_year"] = frame["financial_year"].fillna("All years")
    return frame


# Live contracts for the SME and VCSE shares: a contract's value is its whole-life value; where only the annual
# value is published it stands in (a lower bound).
# On a cursor holding the contracts as counted (contracts.staged: a notice matched to a register entry set aside).
LIVE_CONTRACTS = """
CREATE OR REPLACE TEMP TABLE live_contracts AS
SELECT coalesce(value_whole_life, value_annual) AS value, start_date, end_date, sme, vcse
FROM cx_contracts
WHERE (start_date IS NULL OR start_date <= $as_at) AND (end_date IS NULL OR end_date >= $as_at)
"""
SUPPLIER_TYPE_SHARES = """
SELECT count(*) AS live, coalesce(sum(value), 0) AS live_value, (SELECT count(*) FROM cx_contracts) AS register,
       count(*) FILTER (WHERE sme) AS sme, coalesce(sum(value) FILTER (WHERE sme), 0) AS sme_value,
       count(*) FILTER (WHERE sme IS NULL) AS sme_unknown, coalesce(sum(value) FILTER (WHERE sme IS NULL), 0) AS sme_unknown_value,
       count(*) FILTER (WHERE vcse) AS vcse, coalesce(sum(value) FILTER (WHERE vcse), 0) AS vcse_value,
       count(*) FILTER (WHERE vcse IS NULL) AS vcse_unknown,
       coalesce(sum(value) FILTER (WHERE vcse IS NULL), 0) AS vcse_unknown_value
FROM live_contracts
"""
REGISTER_FILES = "SELECT name, loaded_at FROM loaded_files WHERE kind = 'contracts' ORDER BY loaded_at"


def live_supplier_type_shares(ws: Workspace, as_at: dt.date) -> dict[str, Any]:
    """Live contracts on the date, as counted (a notice matched to a register entry set aside): their number
    and value, and how many (and how much) are with SMEs and VCSE organisations or of unknown status."""
    with staged(ws, as_at) as cur:
        cur.execute(LIVE_CONTRACTS, {"as_at": as_at})
        shares = row_dict(cur, SUPPLIER_TYPE_SHARES)
        cur.execute("DROP TABLE IF EXISTS live_contracts")
    return shares


def register_files(ws: Workspace) -> list[tuple[str, dt.datetime]]:
    """The contracts registers loaded (name, when), oldest first."""
    with ws.read() as cur:
        return [(name, at) for name, at in cur.execute(REGISTER_FILES).fetchall()]


def spend_shares(ws: Workspace) -> pd.DataFrame:
    """Influenceable spend with SMEs, VCSEs and local suppliers, and with suppliers of unknown status, by financial
    year and for all years ('All years', last): amounts and shares of influenceable spend."""
    with staged(ws) as cur:
        return _with_shares(fetch_frame(cur, SPEND_SHARES))


def contract_value_shares(ws: Workspace) -> pd.DataFrame:
    """Contract value (influenceable categories) with SMEs, VCSEs and local suppliers, by the financial year the
    contract starts, and for all years: amounts and shares; the column `influenceable` is the value in all."""
    with staged(ws) as cur:
        return _with_shares(fetch_frame(cur, CONTRACT_SHARES))


def status_sources(ws: Workspace) -> pd.DataFrame:
    """Which source decided each status: suppliers and influenceable spend per measure and source."""
    with staged(ws) as cur:
        return fetch_frame(cur, STATUS_SOURCES)


def supplier_status(ws: Workspace) -> pd.DataFrame:
    """Every supplier's SME, VCSE and local status with the source of each (for checking and download)."""
    with staged(ws) as cur:
        return fetch_frame(cur, SUPPLIER_STATUS)


# --- the figures behind `summary --json` ------------------------------------------------------------------


def sme_vcse_local_summary(ws: Workspace) -> dict[str, float | None]:
    """Shares (0-1) of all influenceable spend with SMEs, VCSEs and local suppliers; `unknown_status_share` is
    the share with suppliers whose SME status no source gives. `local_share` is None when no local postcode
    districts are set."""
    frame = spend_shares(ws)
    overall = frame[frame["financial_year"] == "All years"]
    if overall.empty or not overall["influenceable"].iloc[0]:
        return {"sme_share": None, "vcse_share": None, "local_share": None, "unknown_status_share": None}
    row = overall.iloc[0]
    try:
        local_set = local_districts(ws).is_set
    except ValueError:
        local_set = False

    def share(column: str) -> float | None:
        value = row[f"{column}_share"]
        return None if value is None else round(float(value), 6)

    return {
        "sme_share": share("sme"),
        "vcse_share": share("vcse"),
        "local_share": share("local") if local_set else None,
        "unknown_status_share": share("sme_unknown"),
    }
