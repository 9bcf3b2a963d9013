"""The analysis table: every payment with its category, impact, supplier key and supplier-year total.

Supplier keys are worked out once per published (name, id) spelling, a few thousand rows, not once per
payment; supplier-year totals come from a narrow GROUP BY joined back. At ten million lines that keeps
the rebuild to a few GB of memory rather than ten.

Pages query `spend_facts`, one wide table, rather than joining payments to their classes on every
chart: at ten million lines a join per chart is the difference between a page in half a second and
one in several. It is rebuilt in one statement whenever what it is built from changes (a spend file
loaded or removed, rules re-run, suppliers merged or split): `ensure_current` does that on demand.
"""

from __future__ import annotations

from sp_analysis.spend.classify import SUPPLIER_SPELLING_KEYS, ensure_classified
from sp_analysis.workspace import SPEND_FACTS_STALE, Workspace

REFRESH_SPEND_FACTS = f"""
CREATE OR REPLACE TABLE spend_facts AS
WITH spellings AS MATERIALIZED (
    -- one row per published (name, id) pair: ~25k rows, not 10M
    SELECT supplier_name, supplier_id, count(*) AS n
    FROM payments WHERE NOT is_redacted GROUP BY ALL
),
{SUPPLIER_SPELLING_KEYS},
-- redacted payees an analyst merged into a supplier (rare): their rows count towards its display name
merged_redacted AS MATERIALIZED (
    SELECT p.file_id, p.source_row, p.supplier_name, m.to_key AS supplier_key
    FROM payments p JOIN supplier_merges m ON m.from_key = 'redacted:' || p.file_id || ':' || p.source_row
    WHERE p.is_redacted
),
display AS MATERIALIZED (
    -- the spelling on most lines (of spellings on as many lines, the first in order: every run shows the same)
    SELECT supplier_key, CASE WHEN bool_and(is_redacted) THEN 'Redacted payee'
                              ELSE first(supplier_name ORDER BY n DESC, supplier_name) END AS supplier
    FROM (SELECT supplier_key, supplier_name, bool_and(is_redacted) AS is_redacted, sum(n) AS n
          FROM (SELECT supplier_key, supplier_name, false AS is_redacted, n FROM spelling_keys
                UNION ALL SELECT supplier_key, supplier_name, true, 1 FROM merged_redacted)
          GROUP BY ALL)
    GROUP BY supplier_key
),
facts AS (
    SELECT p.file_id, p.source_row, p.payment_date, p.date_end, p.financial_year, p.fy_start, p.month, p.amount,
           p.supplier_name, p.supplier_id, p.is_redacted, p.department, p.expense_type, p.expense_category,
           p.expense_code, p.creditor_type, p.transaction_ref,
           CASE WHEN p.is_redacted THEN 'redacted:' || p.file_id || ':' || p.source_row ELSE s.auto_key END AS auto_key,
           CASE WHEN p.is_redacted THEN coalesce(r.supplier_key, 'redacted:' || p.file_id || ':' || p.source_row)
                ELSE s.supplier_key END AS supplier_key,
           coalesce(c.category, 'Unclassified') AS category, c.rule_id
    FROM payments p
    LEFT JOIN spelling_keys s ON NOT p.is_redacted AND s.supplier_name = p.supplier_name
                              AND s.supplier_id IS NOT DISTINCT FROM p.supplier_id
    LEFT JOIN merged_redacted r ON p.is_redacted AND r.file_id = p.file_id AND r.source_row = p.source_row
    LEFT JOIN payment_classes c ON c.file_id = p.file_id AND c.source_row = p.source_row
),
-- supplier-year totals from a narrow pass (key, year, amount), so the wide rows stream straight to the table
years AS MATERIALIZED (
    SELECT CASE WHEN p.is_redacted THEN coalesce(r.supplier_key, 'redacted:' || p.file_id || ':' || p.source_row)
                ELSE s.supplier_key END AS supplier_key,
           p.fy_start, sum(p.amount) AS supplier_year_total
    FROM payments p
    LEFT JOIN spelling_keys s ON NOT p.is_redacted AND s.supplier_name = p.supplier_name
                              AND s.supplier_id IS NOT DISTINCT FROM p.supplier_id
    LEFT JOIN merged_redacted r ON p.is_redacted AND r.file_id = p.file_id AND r.source_row = p.source_row
    GROUP BY ALL
)
SELECT
    f.file_id, f.source_row, f.payment_date, f.date_end, f.financial_year, f.fy_start, f.month, f.amount,
    f.supplier_name, f.supplier_id, f.is_redacted, f.department, f.expense_type, f.expense_category,
    f.expense_code, f.creditor_type, f.transaction_ref, f.auto_key, f.supplier_key,
    CASE WHEN d.supplier_key IS NULL THEN 'Redacted payee' ELSE d.supplier END AS supplier,
    f.category, f.rule_id, coalesce(k.impact, 'Unclassified') AS impact,
    f.category <> 'Unclassified' AND coalesce(k.influenceable, false) AS influenceable,
    CASE WHEN f.category = 'Unclassified' OR k.category IS NULL THEN 'Unclassified'
         WHEN NOT k.influenceable THEN 'Non-procurement'
         ELSE k.impact END AS impact_group,
    y.supplier_year_total
FROM facts f
-- a line without a date in a file spanning years has no financial year: it still joins its supplier's total
JOIN years y ON y.supplier_key = f.supplier_key AND y.fy_start IS NOT DISTINCT FROM f.fy_start
LEFT JOIN display d ON d.supplier_key = f.supplier_key
LEFT JOIN categories k ON k.category = f.category
"""

# Spend summed by everything the filters and the spend queries group on: a tenth of the rows or less.
REFRESH_SPEND_CELLS = """
CREATE OR REPLACE TABLE spend_cells AS
SELECT supplier_key, supplier, financial_year, fy_start, department, category, impact_group, influenceable,
       supplier_year_total, sum(amount) AS amount, count(*) AS n
FROM spend_facts
GROUP BY ALL
"""

# Every published spelling and id of each supplier (a few thousand rows), for finding suppliers by name.
REFRESH_SUPPLIER_SPELLINGS = """
CREATE OR REPLACE TABLE supplier_spellings AS
SELECT supplier_key, any_value(supplier) AS supplier, supplier_name, supplier_id, count(*) AS payments,
       sum(amount) AS total
FROM spend_facts WHERE NOT is_redacted
GROUP BY supplier_key, supplier_name, supplier_id
"""

# The classified spend by expense type, by payee (as published: id, else name; not redacted payees) and by
# broad heading, each with its category: the evidence a suggested category rests on (`suggest`), a few
# tens of thousands of rows read instead of every classified payment.
REFRESH_CATEGORY_EVIDENCE = """
CREATE OR REPLACE TABLE category_evidence AS
SELECT expense_type, payee, expense_category, category, sum(abs(amount)) AS weight
FROM (SELECT expense_type, expense_category, category, amount,
             CASE WHEN is_redacted THEN NULL ELSE coalesce(supplier_id, supplier_name) END AS payee
      FROM spend_facts WHERE category <> 'Unclassified')
GROUP BY GROUPING SETS ((expense_type, category), (payee, category), (expense_category, category))
HAVING coalesce(expense_type, payee, expense_category) IS NOT NULL
"""

# Payments counted by published spelling and placement (category and rule, a few tens of thousands of rows):
# what a rule's effect before it is saved (`classify.rule_effect`) starts from.
REFRESH_SPELLING_PLACEMENTS = """
CREATE OR REPLACE TABLE spelling_placements AS
SELECT supplier_name, supplier_id, is_redacted, category, rule_id, count(*) AS n, sum(amount) AS total
FROM spend_facts GROUP BY ALL
"""

MARK_FRESH = "INSERT OR REPLACE INTO workspace_meta VALUES ('spend_facts_stale', '0')"


def refresh_spend_facts(ws: Workspace) -> None:
    """Rebuild the analysis table from payments, classes, categories and supplier merges."""
    with ws.write() as cur:
        cur.execute(REFRESH_SPEND_FACTS)
        cur.execute(REFRESH_SPEND_CELLS)
        cur.execute(REFRESH_SUPPLIER_SPELLINGS)
        cur.execute(REFRESH_CATEGORY_EVIDENCE)
        cur.execute(REFRESH_SPELLING_PLACEMENTS)
        cur.execute(MARK_FRESH)


def ensure_current(ws: Workspace) -> bool:
    """Classify new payments and rebuild the analysis table if anything it rests on changed."""
    classified = ensure_classified(ws)
    with ws.read() as cur:
        stale = bool(cur.execute(SPEND_FACTS_STALE).fetchone()[0])  # type: ignore[index]
    if classified or stale:
        refresh_spend_facts(ws)
        return True
    return False
