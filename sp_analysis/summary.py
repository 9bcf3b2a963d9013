"""Headline figures of a workspace, as plain data (the CLI's `summary --json`, the pages' captions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sp_analysis.definitions import IMPACT_GROUPS
from sp_analysis.ingest.report import loaded_files
from sp_analysis.settings import value_bands
from sp_analysis.spend import queries
from sp_analysis.spend.facts import ensure_current
from sp_analysis.spend.filters import SpendFilters
from sp_analysis.words import decimal_text
from sp_analysis.workspace import Workspace

SPEND_TOTALS = "SELECT count(*), coalesce(sum(amount), 0) FROM payments"
SPEND_BY_FINANCIAL_YEAR = """
SELECT financial_year, sum(amount) AS total, count(*) AS rows
FROM payments GROUP BY financial_year ORDER BY financial_year
"""
# The register's own contracts; those from notices are counted apart (contracts.notices).
CONTRACT_TOTALS = """
SELECT count(*) FILTER (WHERE source IS DISTINCT FROM 'notices'),
       coalesce(sum(value_whole_life) FILTER (WHERE source IS DISTINCT FROM 'notices'), 0),
       count(*) FILTER (WHERE source = 'notices'),
       coalesce(sum(value_whole_life) FILTER (WHERE source = 'notices'), 0)
FROM contracts
"""
SPEND_PERIOD = "SELECT min(payment_date), max(payment_date) FROM payments"


def spend_analysis_summary(ws: Workspace) -> dict[str, Any]:
    """Value bands, impact, coverage, influenceable and over-£100k spend, as in the pages (no filters)."""
    ensure_current(ws)
    filters = SpendFilters(bands=value_bands(ws))
    head = queries.headline(ws, filters)
    matrix = queries.band_impact_matrix(ws, filters)
    by_band = {band: decimal_text(sum(matrix.loc[matrix["value_band"] == band, "total"], Decimal(0)))
               for band in filters.bands.labels}
    by_impact = {group: decimal_text(sum(matrix.loc[matrix["impact_group"] == group, "total"], Decimal(0)))
                 for group in IMPACT_GROUPS}
    return {
        "by_value_band": by_band,
        "by_impact": by_impact,
        "classified_share": round(head.classified_share, 6) if head.classified_share is not None else None,
        "influenceable_total": decimal_text(head.influenceable),
        "over_100k_total": decimal_text(head.over_100k),
    }


def build_summary(ws: Workspace, as_at: dt.date | None = None) -> dict[str, Any]:
    """The workspace's figures as one JSON-able object, as at a date (default today); keys are kept stable."""
    from sp_analysis.contracts.act import act_summary
    from sp_analysis.contracts.reprocurement import contracts_summary
    from sp_analysis.contracts.supplier_types import sme_vcse_local_summary
    from sp_analysis.plan.framework import framework_summary, install_framework

    as_at = as_at or dt.date.today()
    install_framework(ws)  # a workspace made before the framework existed gets its criteria
    spend_extra = spend_analysis_summary(ws)
    with ws.read() as cur:
        rows, total = cur.execute(SPEND_TOTALS).fetchone()  # type: ignore[misc]
        by_year = cur.execute(SPEND_BY_FINANCIAL_YEAR).fetchall()
        first, last = cur.execute(SPEND_PERIOD).fetchone()  # type: ignore[misc]
        contract_rows, contract_total, notice_rows, notice_total = cur.execute(CONTRACT_TOTALS).fetchone()  # type: ignore[misc]
    files = loaded_files(ws)
    spend_files = files[files["kind"] == "spend"]
    from_notices = files["quality"].map(lambda q: q.get("source") == "notices").astype(bool)
    contract_files = files[(files["kind"] == "contracts") & ~from_notices]
    notice_files = files[(files["kind"] == "contracts") & from_notices]
    return {
        "workspace": str(ws.path),
        "spend": {
            "rows": int(rows),
            "total": decimal_text(total),
            "first_date": first.isoformat() if first else None,
            "last_date": last.isoformat() if last else None,
            "files": [_file_entry(r) for r in spend_files.itertuples()],
            "by_financial_year": {fy: decimal_text(t) for fy, t, _n in by_year},
            **spend_extra,
            **sme_vcse_local_summary(ws),
        },
        "contracts": {
            "rows": int(contract_rows),
            "total_value": decimal_text(contract_total),
            "files": [_file_entry(r) for r in contract_files.itertuples()],
            **contracts_summary(ws, as_at),
            "notices": _notices_summary(ws, as_at, int(notice_rows), notice_total,
                                        [_file_entry(r) for r in notice_files.itertuples()]),
        },
        "as_at": as_at.isoformat(),
        "framework": framework_summary(ws, as_at),
        "procurement_act": act_summary(ws, as_at),
    }


def _notices_summary(ws: Workspace, as_at: dt.date, rows: int, total: Decimal,
                     files: list[dict[str, Any]]) -> dict[str, Any]:
    """Contracts from notices (OCDS) and where they and the register disagree (sp_analysis/contracts/notices.py)."""
    from sp_analysis.contracts.compare import compare_register_and_notices

    seen = compare_register_and_notices(ws, as_at)
    return {
        "rows": rows, "total_value": decimal_text(total), "files": files, "matched": seen.matched,
        "register_without_notice": len(seen.register_without_notice),
        "notices_without_register": len(seen.notices_without_register),
    }


def _file_entry(row: Any) -> dict[str, Any]:
    return {
        "file_id": int(row.file_id),
        "name": row.name,
        "sha256": row.sha256,
        "rows": int(row.rows),
        "total": decimal_text(row.total),
        "skipped": dict(row.quality.get("skipped", {})),
    }
