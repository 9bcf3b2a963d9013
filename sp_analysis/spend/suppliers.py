"""Suppliers: the analyst's merges and splits, and one supplier's profile.

Automatic keys (sp_analysis/spend/facts.py) merge the spellings of one supplier; an analyst can merge
further (two keys shown as one) or split a published spelling out to stand alone. Both are stored
in the workspace and applied everywhere through the analysis table.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sp_analysis.sql import fetch_frame
from sp_analysis.workspace import MARK_SPEND_FACTS_STALE, Workspace

SEARCH_SUPPLIERS = """
-- Match on the spellings table (a few thousand rows), total from spend_cells, largest first.
WITH matched AS (
    SELECT DISTINCT supplier_key FROM supplier_spellings
    WHERE $q = '' OR contains(lower(supplier), $q) OR contains(lower(supplier_name), $q) OR supplier_id = $raw
),
ranked AS (
    SELECT supplier_key, sum(amount) AS total, sum(n) AS payments FROM spend_cells
    WHERE supplier_key IN (SELECT supplier_key FROM matched)
    GROUP BY supplier_key ORDER BY total DESC, supplier_key LIMIT $limit
),
details AS (
    SELECT supplier_key, any_value(supplier) AS supplier,
           list(DISTINCT supplier_name ORDER BY supplier_name)[:8] AS spellings, min(supplier_id) AS supplier_id
    FROM supplier_spellings WHERE supplier_key IN (SELECT supplier_key FROM ranked) GROUP BY supplier_key
)
SELECT r.supplier_key, d.supplier, r.total, r.payments, d.spellings, d.supplier_id
FROM ranked r JOIN details d USING (supplier_key)
ORDER BY r.total DESC, d.supplier
"""
MERGES = """
SELECT m.from_key, m.to_key, m.note, m.created_at,
       (SELECT any_value(supplier) FROM spend_facts f WHERE f.supplier_key = m.to_key) AS shown_as,
       (SELECT list(DISTINCT supplier_name) FROM spend_facts f WHERE f.auto_key = m.from_key) AS spellings
FROM supplier_merges m ORDER BY m.created_at DESC
"""
SPLITS = "SELECT supplier_name, note, created_at FROM supplier_splits ORDER BY created_at DESC"
RETARGET = "UPDATE supplier_merges SET to_key = $into WHERE to_key = $key"
ADD_MERGE = "INSERT OR REPLACE INTO supplier_merges VALUES ($key, $into, $note, current_localtimestamp())"
REMOVE_MERGE = "DELETE FROM supplier_merges WHERE from_key = $key"
ADD_SPLIT = "INSERT OR REPLACE INTO supplier_splits VALUES ($name, $note, current_localtimestamp())"
REMOVE_SPLIT = "DELETE FROM supplier_splits WHERE supplier_name = $name"
AUTO_KEYS_OF = "SELECT DISTINCT auto_key FROM spend_facts WHERE supplier_key = $key"
TARGET_OF = "SELECT to_key FROM supplier_merges WHERE from_key = $key"

# The profile's summaries come from spend_cells and supplier_spellings (small); only the latest
# payments are read from the analysis table itself.
PROFILE_BY = """
SELECT {column} AS {column}, sum(amount) AS total, sum(n) AS payments
FROM spend_cells WHERE supplier_key = $key GROUP BY ALL ORDER BY {order}
"""
PROFILE_NAMES = """
SELECT supplier_name, supplier_id, sum(payments) AS payments, sum(total) AS total
FROM supplier_spellings WHERE supplier_key = $key GROUP BY ALL ORDER BY payments DESC, supplier_name
"""
PROFILE_PAYMENTS = """
SELECT payment_date, supplier, supplier_name, amount, financial_year, department, expense_type, expense_code,
       category, impact_group AS impact, rule_id, transaction_ref, supplier_year_total,
       f.name AS source_file, source_row AS source_line
FROM spend_facts JOIN loaded_files f USING (file_id)
WHERE supplier_key = $key ORDER BY payment_date DESC, source_file, source_line LIMIT $limit
"""


def search_suppliers(ws: Workspace, text: str, limit: int = 50) -> pd.DataFrame:
    """Suppliers whose name (shown or published) contains the text, or whose id is it; largest first."""
    with ws.read() as cur:
        return fetch_frame(cur, SEARCH_SUPPLIERS, {"q": text.strip().lower(), "raw": text.strip(), "limit": limit})


def merge_suppliers(ws: Workspace, keys: list[str], into: str, note: str = "") -> None:
    """Show every supplier in `keys` as the supplier `into`, everywhere."""
    with ws.write() as cur:
        target = cur.execute(TARGET_OF, {"key": into}).fetchone()
        into = target[0] if target else into
        for key in keys:
            if key == into:
                continue
            # Every automatic key now shown under `key` moves with it.
            autos = [row[0] for row in cur.execute(AUTO_KEYS_OF, {"key": key}).fetchall()] or [key]
            cur.execute(RETARGET, {"key": key, "into": into})
            for auto in autos:
                if auto != into:
                    cur.execute(ADD_MERGE, {"key": auto, "into": into, "note": note})
        cur.execute(MARK_SPEND_FACTS_STALE)


def undo_merge(ws: Workspace, from_key: str) -> None:
    """Show a merged key as its own supplier again."""
    with ws.write() as cur:
        cur.execute(REMOVE_MERGE, {"key": from_key})
        cur.execute(MARK_SPEND_FACTS_STALE)


def split_spelling(ws: Workspace, supplier_name: str, note: str = "") -> None:
    """Take one published spelling out of the supplier it was keyed to, to stand alone."""
    with ws.write() as cur:
        cur.execute(ADD_SPLIT, {"name": supplier_name, "note": note})
        cur.execute(MARK_SPEND_FACTS_STALE)


def undo_split(ws: Workspace, supplier_name: str) -> None:
    """Let a split spelling join its automatic supplier again."""
    with ws.write() as cur:
        cur.execute(REMOVE_SPLIT, {"name": supplier_name})
        cur.execute(MARK_SPEND_FACTS_STALE)


def merges(ws: Workspace) -> pd.DataFrame:
    """The analyst's merges, newest first."""
    with ws.read() as cur:
        if not cur.execute("SELECT count(*) FROM supplier_merges").fetchone()[0]:  # type: ignore[index]
            # Nothing to describe: skip the lookups into the analysis table.
            return pd.DataFrame(columns=["from_key", "to_key", "note", "created_at", "shown_as", "spellings"])
        return fetch_frame(cur, MERGES)


def splits(ws: Workspace) -> pd.DataFrame:
    """The analyst's splits, newest first."""
    with ws.read() as cur:
        return fetch_frame(cur, SPLITS)


@dataclass(frozen=True)
class SupplierProfile:
    """One supplier's spend by year, category and department, its spellings and latest payments."""

    by_year: pd.DataFrame
    by_category: pd.DataFrame
    by_department: pd.DataFrame
    names: pd.DataFrame
    payments: pd.DataFrame


def supplier_profile(ws: Workspace, key: str, limit: int = 2_000) -> SupplierProfile:
    """Everything about one supplier key."""
    with ws.read() as cur:
        def by(column: str, order: str) -> pd.DataFrame:
            return fetch_frame(cur, PROFILE_BY.format(column=column, order=order), {"key": key})

        return SupplierProfile(
            by_year=by("financial_year", "financial_year"),
            by_category=by("category", "total DESC"),
            by_department=by("department", "total DESC"),
            names=fetch_frame(cur, PROFILE_NAMES, {"key": key}),
            payments=fetch_frame(cur, PROFILE_PAYMENTS, {"key": key, "limit": limit}),
        )
