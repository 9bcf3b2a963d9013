"""The contracts register beside the published notices (OCDS files from Contracts Finder and Find a Tender).

Decisions (said again on the Contracts page, beside the figures):

- **Matching a notice to a register entry.** First by reference: the register's reference, or its Open
  Contracting ID column, equals the notice's ocid or notice (release) id, spaces and case ignored. Otherwise by
  supplier, dates and value: the same supplier (company number, else the supplier name with case, punctuation
  and Ltd / Limited / PLC set aside, else the same supplier found in the spend), start dates no more than
  the days set in Settings apart (a notice without a contract start uses its award date), and values within
  the share set in Settings of the larger where both publish one. Each notice row pairs with at most one register
  contract and each register contract with at most one notice row: reference matches first, then the same
  supplier, then the nearest start date, then the nearest value.
- **Which contracts count.** A register contract always counts. A notice matched to it is set aside (the
  register's own entry stands, so nothing is counted twice); a notice with no register entry counts as a
  contract in every contracts figure (register, renewals, spend against contracts), marked as from a notice.
- **Register contracts with no notice.** Register contracts of £30,000 or more (the notifiable below-threshold row in Settings, their
  value as in contracts.DEFINITIONS['contract_value'], as published: registers usually give values without
  VAT, while the Procurement Act's thresholds include it) that start within the period the notices loaded
  cover (first to last start or award date in them), with no notice matched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pandas as pd

SOURCE = "notices"
# The comparison's three figures are rows of the workspace's act_thresholds table (Settings), each with its source:
# the £30,000 line is the notifiable below-threshold value (Procurement Act 2023, s.87: for a contracting
# authority other than a central government one, a contract of £30,000 or more, VAT included); the two matching
# tolerances are this tool's rules.
THRESHOLD_KEY = "notifiable_below_threshold"
DAYS_APART_KEY = "notice_match_days"
VALUE_TOLERANCE_KEY = "notice_match_value"
LIMITS = """
SELECT key, amount FROM act_thresholds WHERE key IN ($threshold_key, $days_key, $value_key)
"""


@dataclass(frozen=True)
class NoticeLimits:
    """The £30,000 line and the matching tolerances, as the workspace holds them."""

    threshold: Decimal
    days_apart: int
    value_tolerance: Decimal  # a fraction: 0.10 for 10%

    def params(self) -> dict[str, object]:
        """The bound values the staging statements use."""
        return {"days_apart": self.days_apart, "tolerance": self.value_tolerance}


def read_limits(cur: duckdb.DuckDBPyConnection) -> NoticeLimits:
    """The comparison's figures from the thresholds table; a row missing is an error that names it."""
    rows = dict(cur.execute(LIMITS, {"threshold_key": THRESHOLD_KEY, "days_key": DAYS_APART_KEY,
                                     "value_key": VALUE_TOLERANCE_KEY}).fetchall())
    lacking = [k for k in (THRESHOLD_KEY, DAYS_APART_KEY, VALUE_TOLERANCE_KEY) if rows.get(k) is None]
    if lacking:
        raise ValueError("the thresholds table has no value for " + ", ".join(lacking))
    return NoticeLimits(Decimal(rows[THRESHOLD_KEY]), int(rows[DAYS_APART_KEY]), Decimal(rows[VALUE_TOLERANCE_KEY]) / 100)


def definitions(limits: NoticeLimits) -> dict[str, str]:
    """The comparison's rules in words, with the workspace's figures."""
    tolerance = f"{(limits.value_tolerance * 100).normalize():f}%"
    return {
        "matching": "A notice matches a register entry by reference first (the register's reference or Open Contracting "
                    "ID equals the notice's ocid or notice id, spaces and case ignored); otherwise by the same supplier "
                    f"(company number, else name), start dates no more than {limits.days_apart} days apart (a notice "
                    f"without a contract start uses its award date) and values within {tolerance} of the larger where "
                    "both give one. Each notice pairs with at most one register entry, and each entry with one notice. "
                    "The days and the share are set in Settings.",
        "counting": "A notice matched to a register entry is set aside, so nothing counts twice; a notice with no "
                    "register entry counts as a contract everywhere on the Contracts and Renewals pages.",
        "no_notice": f"Register contracts of £{limits.threshold:,.0f} or more (value as published; registers usually "
                     "give values without VAT, while the Procurement Act's £30,000 includes it, s.87) starting within "
                     "the period the loaded notices cover, with no notice matched.",
        "no_register": "Contracts awarded in a notice (one row per award and supplier) that match no register entry.",
    }


def _ref(column: str) -> str:
    return f"nullif(upper(regexp_replace(coalesce({column}, ''), '\\s+', '', 'g')), '')"


# Run on a cursor holding cx_contracts (contracts._stage): pairs, the notices as loaded, and then the matched
# notices set aside from cx_contracts.
STAGE_PAIRS = f"""
CREATE OR REPLACE TEMP TABLE cx_notice_pairs AS
WITH n AS (
    SELECT file_id, source_row, {_ref("ocid")} AS ocid_key, {_ref("notice_id")} AS notice_key, supplier_key,
           name_key, company_key, contract_value AS value, coalesce(start_date, award_date) AS day
    FROM cx_contracts WHERE source = '{SOURCE}'
),
r AS (
    SELECT file_id, source_row, {_ref("reference")} AS ref_key,
           {_ref("list_filter(map_entries(coalesce(extra, MAP {}::MAP(VARCHAR, VARCHAR))), "
                 "lambda e: regexp_matches(lower(e.key), 'open contracting|ocid'))[1].value")} AS ocid_key,
           supplier_key, name_key, company_key, contract_value AS value, start_date AS day
    FROM cx_contracts WHERE source IS DISTINCT FROM '{SOURCE}'
),
candidates AS (
    SELECT n.file_id AS notice_file_id, n.source_row AS notice_row, r.file_id AS register_file_id,
           r.source_row AS register_row,
           CASE WHEN list_contains([n.ocid_key, n.notice_key], r.ref_key)
                  OR list_contains([n.ocid_key, n.notice_key], r.ocid_key) THEN 1 ELSE 2 END AS how,
           (n.company_key IS NOT NULL AND n.company_key = r.company_key)
             OR (coalesce(n.name_key, '') <> '' AND n.name_key = r.name_key)
             OR n.supplier_key = r.supplier_key AS same_supplier,
           abs(date_diff('day', n.day, r.day)) AS days,
           abs(n.value - r.value) AS gap
    FROM n JOIN r ON list_contains([n.ocid_key, n.notice_key], r.ref_key)
                  OR list_contains([n.ocid_key, n.notice_key], r.ocid_key)
                  OR (((n.company_key IS NOT NULL AND n.company_key = r.company_key)
                        OR (coalesce(n.name_key, '') <> '' AND n.name_key = r.name_key)
                        OR n.supplier_key = r.supplier_key)
                      AND abs(date_diff('day', n.day, r.day)) <= $days_apart
                      AND (n.value IS NULL OR r.value IS NULL
                           OR abs(n.value - r.value) <= $tolerance * greatest(n.value, r.value)))
),
ranked AS (
    SELECT *,
        row_number() OVER (PARTITION BY notice_file_id, notice_row
                           ORDER BY how, same_supplier DESC, days NULLS LAST, gap NULLS LAST, register_file_id,
                                    register_row) AS notice_rank,
        row_number() OVER (PARTITION BY register_file_id, register_row
                           ORDER BY how, same_supplier DESC, days NULLS LAST, gap NULLS LAST, notice_file_id,
                                    notice_row) AS register_rank
    FROM candidates
)
SELECT notice_file_id, notice_row, register_file_id, register_row,
       CASE how WHEN 1 THEN 'reference' ELSE 'supplier, start date and value' END AS matched_by
FROM ranked WHERE notice_rank = 1 AND register_rank = 1
"""
STAGE_NOTICES = f"CREATE OR REPLACE TEMP TABLE cx_notices AS SELECT * FROM cx_contracts WHERE source = '{SOURCE}'"
SET_ASIDE = """
DELETE FROM cx_contracts c USING cx_notice_pairs p
WHERE c.file_id = p.notice_file_id AND c.source_row = p.notice_row
"""
STAGE_STATEMENTS = (STAGE_PAIRS, STAGE_NOTICES, SET_ASIDE)
STAGED_TABLES = ("cx_notice_pairs", "cx_notices")


PERIOD = """
SELECT count(*), min(coalesce(start_date, award_date)), max(coalesce(start_date, award_date)),
       (SELECT count(*) FROM cx_notice_pairs)
FROM cx_notices
"""
BUYERS = "SELECT coalesce(buyer, '(not named)'), count(*) FROM cx_notices GROUP BY ALL ORDER BY 2 DESC, 1"
REGISTER_WITHOUT_NOTICE = f"""
SELECT f.reference, f.title, f.supplier_name, f.department, f.category, f.contract_value, f.value_basis,
       f.start_date, f.end_date, f.route, lf.name AS source_file, f.source_row AS source_line
FROM cx_facts f JOIN loaded_files lf ON lf.file_id = f.file_id
WHERE f.source IS DISTINCT FROM '{SOURCE}' AND f.contract_value >= $threshold
  AND f.start_date BETWEEN $first AND $last
  AND NOT EXISTS (SELECT 1 FROM cx_notice_pairs p WHERE p.register_file_id = f.file_id AND p.register_row = f.source_row)
ORDER BY f.contract_value DESC, f.start_date, f.reference
"""
REGISTER_NOT_COMPARED = f"""
SELECT count(*) FROM cx_facts f
WHERE f.source IS DISTINCT FROM '{SOURCE}' AND f.contract_value >= $threshold AND f.start_date IS NULL
"""
NOTICES_WITHOUT_REGISTER = f"""
SELECT f.ocid, f.notice_id, f.title, f.supplier_name, f.company_number, f.buyer, f.category, f.contract_value,
       f.start_date, f.end_date, f.award_date, f.cpv_code, lf.name AS source_file
FROM cx_facts f JOIN loaded_files lf ON lf.file_id = f.file_id
WHERE f.source = '{SOURCE}'
ORDER BY f.contract_value DESC NULLS LAST, f.start_date, f.ocid, f.source_row
"""
MATCHED = """
SELECT p.matched_by, r.reference, n.ocid, n.notice_id, r.title AS register_title, n.title AS notice_title,
       r.supplier_name AS register_supplier, n.supplier_name AS notice_supplier,
       r.contract_value AS register_value, n.contract_value AS notice_value,
       n.contract_value - r.contract_value AS value_difference,
       r.start_date AS register_start, coalesce(n.start_date, n.award_date) AS notice_start,
       r.end_date AS register_end, n.end_date AS notice_end
FROM cx_notice_pairs p
JOIN cx_facts r ON r.file_id = p.register_file_id AND r.source_row = p.register_row
JOIN cx_notices n ON n.file_id = p.notice_file_id AND n.source_row = p.notice_row
ORDER BY r.contract_value DESC NULLS LAST, r.reference, n.ocid
"""


@dataclass(frozen=True)
class NoticeComparison:
    """The register and the notices side by side (see the module's decisions)."""

    notices: int
    matched: int
    first: dt.date | None
    last: dt.date | None
    register_without_notice: pd.DataFrame
    register_not_compared: int
    notices_without_register: pd.DataFrame
    pairs: pd.DataFrame
    buyers: tuple[tuple[str, int], ...] = ()

    @property
    def has_notices(self) -> bool:
        """Whether any notice is loaded."""
        return self.notices > 0
