"""The analysis table: every payment with its category, impact, supplier key and supplier-year total.

Pages query `spend_facts`, one wide table, rather than joining payments to their classes on every
chart: at ten million lines a join per chart is the difference between a page in half a second and
one in several. It is rebuilt in one statement whenever what it is built from changes (a spend file
loaded or removed, rules re-run, suppliers merged or split): `ensure_current` does that on demand.
"""

from __future__ import annotations

from sp_analysis.classify import ensure_classified
from sp_analysis.workspace import Workspace

REFRESH_SPEND_FACTS = """
CREATE OR REPLACE TABLE spend_facts AS
WITH names AS (
    SELECT supplier_name, sp_supplier_name_key(supplier_name) AS name_key
    FROM (SELECT DISTINCT supplier_name FROM payments)
),
keyed AS (
    SELECT p.*, n.name_key, coalesce(c.category, 'Unclassified') AS category, c.rule_id
    FROM payments p
    JOIN names n USING (supplier_name)
    LEFT JOIN payment_classes c USING (file_id, source_row)
),
-- A name seen without an id takes the id it most often carries elsewhere, so months published
-- without supplier ids join the same supplier.
id_for_name AS (
    SELECT name_key, arg_max(supplier_id, n) AS supplier_id
    FROM (SELECT name_key, supplier_id, count(*) AS n FROM keyed
          WHERE supplier_id IS NOT NULL AND NOT is_redacted GROUP BY ALL)
    GROUP BY name_key
),
auto AS (
    SELECT k.*,
        CASE
            -- Each redacted payee stands alone: their names are withheld, not the same person.
            WHEN k.is_redacted THEN 'redacted:' || k.file_id || ':' || k.source_row
            WHEN sp.supplier_name IS NOT NULL THEN 'split:' || k.supplier_name
            WHEN k.supplier_id IS NOT NULL THEN 'id:' || k.supplier_id
            WHEN i.supplier_id IS NOT NULL THEN 'id:' || i.supplier_id
            ELSE 'name:' || k.name_key
        END AS auto_key
    FROM keyed k
    LEFT JOIN id_for_name i USING (name_key)
    LEFT JOIN supplier_splits sp ON sp.supplier_name = k.supplier_name
),
merged AS (
    SELECT a.*, coalesce(m.to_key, a.auto_key) AS supplier_key
    FROM auto a LEFT JOIN supplier_merges m ON m.from_key = a.auto_key
),
display AS (
    SELECT supplier_key,
           CASE WHEN bool_and(is_redacted) THEN 'Redacted payee'
                ELSE arg_max(supplier_name, n) END AS supplier
    FROM (SELECT supplier_key, supplier_name, bool_and(is_redacted) AS is_redacted, count(*) AS n
          FROM merged GROUP BY ALL)
    GROUP BY supplier_key
)
SELECT
    m.file_id, m.source_row, m.payment_date, m.financial_year, m.fy_start, m.month, m.amount,
    m.supplier_name, m.supplier_id, m.is_redacted, m.department, m.expense_type, m.expense_code,
    m.creditor_type, m.transaction_ref, m.auto_key, m.supplier_key, d.supplier,
    m.category, m.rule_id, coalesce(k.impact, 'Unclassified') AS impact,
    -- Unclassified spend is never influenceable, whatever an imported taxonomy says of it.
    m.category <> 'Unclassified' AND coalesce(k.influenceable, false) AS influenceable,
    CASE WHEN m.category = 'Unclassified' OR k.category IS NULL THEN 'Unclassified'
         WHEN NOT k.influenceable THEN 'Non-procurement'
         ELSE k.impact END AS impact_group,
    sum(m.amount) OVER (PARTITION BY m.supplier_key, m.fy_start) AS supplier_year_total
FROM merged m
JOIN display d USING (supplier_key)
LEFT JOIN categories k ON k.category = m.category
"""

MARK_FRESH = "INSERT OR REPLACE INTO workspace_meta VALUES ('spend_facts_stale', '0')"
IS_STALE = """
SELECT coalesce((SELECT value FROM workspace_meta WHERE key = 'spend_facts_stale'), '1') = '1'
       OR NOT EXISTS (SELECT 1 FROM duckdb_tables() WHERE table_name = 'spend_facts' AND NOT temporary)
"""


def refresh_spend_facts(ws: Workspace) -> None:
    """Rebuild the analysis table from payments, classes, categories and supplier merges."""
    with ws.write() as cur:
        cur.execute(REFRESH_SPEND_FACTS)
        cur.execute(MARK_FRESH)


def ensure_current(ws: Workspace) -> bool:
    """Classify new payments and rebuild the analysis table if anything it rests on changed."""
    classified = ensure_classified(ws)
    with ws.read() as cur:
        stale = bool(cur.execute(IS_STALE).fetchone()[0])  # type: ignore[index]
    if classified or stale:
        refresh_spend_facts(ws)
        return True
    return False
