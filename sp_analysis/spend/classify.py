"""Spend classification: categories with their sustainability impact, and layered rules that place each payment.

The evidence a line carries is weighed in this order, and the rule that placed each payment is recorded:

1. `supplier`: a rule an analyst made for one payee (its id or name);
2. `code`: the council's expense code or a ProClass code, exactly or by prefix. The bundled rules read a
   six-digit ProClass code by its heading: the top level (two digits), a second level whose spend belongs
   elsewhere (four digits: waste under Environmental Services), and the codes ProClass numbers outside
   their heading's range (six digits). The codes and headings are ProClass C17's, as published by its
   maintainer (proclass.org.uk) and kept as open data in northwestopendata/lgtc_refdata
   (proclass_17/proclass_17.csv, Open Government Licence); the categories they go to are this project's;
3. `keyword`: the words that say what was bought. A keyword rule on the expense type also reads the other
   detail columns a file may carry: an expense code written in words, the ProClass or procurement
   classification label, and unmapped columns whose header names a description (account description,
   subjective, cost element, purpose, narrative, merchant category ...);
4. `context`: who was paid and where, when the words say nothing specific: public bodies, individuals
   and redacted payees, sector words in the payee's name, then the file's broad heading (expense
   category), then the department;
5. the supplier's usual category: a supplier (counted as the pages count one: its id, the spellings that
   carry it or none, the analyst's merges; never a redacted payee) with more than half of its lines placed in
   one category by the rules gives that category to its remaining lines (rule id `USUAL`).

Within a layer the lower priority wins, then the rule_id, so the answer never depends on table order.
Matching ignores case and runs of spaces. No rule is a catch-all: a line that nothing names stays
Unclassified.

Classification runs in DuckDB in bulk: each rule is tried once against each distinct value of its
field (a few thousand strings, not a million lines), and the winners are joined back to the payments in
one statement. The result lands in `payment_classes`, one row per payment with the category and the
rule that placed it; a payment loaded after the last `classify_spend` has no row there yet and counts
as unclassified.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import duckdb

from sp_analysis.config import PACKAGE_DATA_DIR
from sp_analysis.spend.filters import SpendFilters
from sp_analysis.sql import quote_literal, scalar_int
from sp_analysis.workspace import MARK_SPEND_FACTS_STALE, SPEND_FACTS_STALE, Workspace

if TYPE_CHECKING:
    from sp_analysis.spend.queries import Headline

Layer = Literal["supplier", "code", "keyword", "context"]
Field = Literal[
    "supplier_id", "supplier_name", "expense_code", "expense_type", "department", "creditor_type",
    "expense_category", "proclass_code", "proclass_label",
]
Match = Literal["exact", "prefix", "contains", "regex"]
Impact = Literal["High", "Medium", "Low", "Unclassified"]

LAYERS: tuple[Layer, ...] = get_args(Layer)
MATCHES: tuple[Match, ...] = get_args(Match)
IMPACTS: tuple[Impact, ...] = get_args(Impact)
TEXT_FIELDS: tuple[Field, ...] = (
    "expense_type", "proclass_label", "expense_code", "expense_category", "supplier_name", "creditor_type", "department",
)
# Which payment columns each layer may look at.
LAYER_FIELDS: dict[Layer, tuple[Field, ...]] = {
    "supplier": ("supplier_id", "supplier_name"),
    "code": ("expense_code", "proclass_code"),
    "keyword": TEXT_FIELDS,
    "context": TEXT_FIELDS,
}
FIELD_WORDING: dict[Field, str] = {
    "supplier_id": "supplier id",
    "supplier_name": "supplier name",
    "expense_code": "expense code",
    "expense_type": "expense type",
    "department": "department",
    "creditor_type": "creditor type",
    "expense_category": "expense category (broad heading)",
    "proclass_code": "ProClass code",
    "proclass_label": "ProClass label",
}
# The payment columns rules are tried against. `extra_words` and `service_words` are not columns: they
# are the text of the unmapped columns whose header names a description (see EXTRA_WORD_KEYS) or a
# service, section or cost centre (see SERVICE_WORD_KEYS).
SOURCES: tuple[str, ...] = (*get_args(Field), "extra_words", "service_words")
# Expense-type rules also read these detail sources: the same kind of words, in another column.
EXPENSE_WORD_SOURCES: tuple[str, ...] = ("expense_code", "proclass_label", "extra_words")
# Department rules also read the service columns: the finer unit a file names beside its directorate
# ('Service', 'Cost Centre', 'Head of Service'), which says where the money was spent.
DEPARTMENT_WORD_SOURCES: tuple[str, ...] = ("service_words",)
# The other sources a rule on a field reads, besides the field itself.
ALSO_READS: dict[str, tuple[str, ...]] = {"expense_type": EXPENSE_WORD_SOURCES, "department": DEPARTMENT_WORD_SOURCES}
# Header names (lower case) of unmapped columns that describe what was bought.
EXTRA_WORD_KEYS = (r"descr|subjective|account|cost element|purpose|narrative|merchant|detail|analysis|"
                   r"expenditure|expense|spend type|nature|thomson|proclass|procurement|commodity|category")
# Header names (lower case) of unmapped columns that name where the money was spent: a service, section,
# division, cost centre or directorate ('Headserv' and 'Stratdir' are head of service and strategic
# directorate run together). A column whose header also names a description is read as a description;
# links (values starting 'http') are left out.
SERVICE_WORD_KEYS = (r"\bserv|head ?serv|cost ?cent|\bsection\b|\bdivision\b|directorate|strat ?dir|portfolio|"
                     r"business unit|\bteam\b|\bunit\b|responsibilit|\barea\b|department|\bdept\b")
# The other sources a rule can read, in words, for saying where its text was found.
SOURCE_WORDING: dict[str, str] = {
    "expense_code": "the expense code", "proclass_label": "the ProClass label",
    "extra_words": "a description column", "service_words": "a service or cost centre column",
}
USUAL_RULE_ID = "USUAL"
MATCH_WORDING: dict[Match, str] = {"exact": "is", "prefix": "starts with", "contains": "contains", "regex": "matches"}
LAYER_ORDER_SQL = "CASE layer WHEN 'supplier' THEN 1 WHEN 'code' THEN 2 WHEN 'keyword' THEN 3 ELSE 4 END"

UNCLASSIFIED = "Unclassified"
# Rules made from the unclassified list sit ahead of every default keyword rule (those start at 100).
USER_RULE_PRIORITY = 10

DATA_DIR = PACKAGE_DATA_DIR
DEFAULT_TAXONOMY = DATA_DIR / "taxonomy.csv"
DEFAULT_RULES = DATA_DIR / "default_rules.csv"
CATEGORY_COLUMNS = ("category", "impact", "influenceable", "reason")
RULE_COLUMNS = ("rule_id", "layer", "field", "match", "pattern", "category", "priority", "note")


class ClassificationError(ValueError):
    """A taxonomy, rule or rules file that cannot be used; the message names the row and the cause."""


@dataclass(frozen=True)
class Category:
    """A spend category and how much its spend matters for sustainability."""

    category: str
    impact: Impact
    influenceable: bool
    reason: str = ""


@dataclass(frozen=True)
class Rule:
    """One classification rule: where to look, how to match, and the category it gives."""

    rule_id: str
    layer: Layer
    field: Field
    match: Match
    pattern: str
    category: str
    priority: int
    note: str = ""

    def describe(self) -> str:
        """The rule exactly, pattern included: 'expense type matches "\\bcare\\b"'."""
        return f'{FIELD_WORDING[self.field]} {MATCH_WORDING[self.match]} "{self.pattern}"'

    def in_words(self) -> str:
        """The rule for a person, the regular expression left out: 'Expense type mentions waste ...'."""
        where = FIELD_WORDING[self.field]
        where = where[0].upper() + where[1:]
        if self.match == "regex" and self.layer == "code" and self.note:
            return f"{where} is {self.note}"
        if self.match == "regex":
            return f"{where} mentions {self.note}" if self.note else f"{where} matches a pattern"
        verb = {"exact": "is", "prefix": "starts with", "contains": "contains"}[self.match]
        return f"{where} {verb} '{self.pattern}'"


@dataclass(frozen=True)
class Coverage:
    """How much spend the rules place in a category other than Unclassified, by net value and by count."""

    payments: int
    classified_payments: int
    total: Decimal
    classified_total: Decimal
    not_yet_classified: int

    @property
    def unclassified_total(self) -> Decimal:
        """Net value of the payments still in Unclassified."""
        return self.total - self.classified_total

    @property
    def share_by_value(self) -> Decimal | None:
        """Classified net value over total net value; None when the total is zero."""
        return self.classified_total / self.total if self.total else None

    @property
    def share_by_count(self) -> Decimal | None:
        """Classified payments over all payments; None when there are none."""
        return Decimal(self.classified_payments) / Decimal(self.payments) if self.payments else None


@dataclass(frozen=True)
class Explanation:
    """Why a payment sits in its category: the rule that placed it and the text it matched."""

    file_id: int
    source_row: int
    category: str
    impact: str | None
    influenceable: bool | None
    rule_id: str | None
    rule: Rule | None
    matched_text: str | None
    classified: bool
    values: dict[str, str | None]
    usual: str | None = None
    # Where the matched text was found, when not in the rule's own column ('extra_words', 'service_words' ...).
    matched_in: str | None = None

    def sentence(self) -> str:
        """The explanation in words, for a tooltip or a detail panel."""
        if not self.classified:
            return "Not classified yet: run the classification to place this payment."
        if self.rule_id is None:
            return f"{self.category}: no rule matched this payment."
        if self.rule_id == USUAL_RULE_ID:
            return f"{self.category}: the supplier's usual category ({self.usual or 'most of its lines'})."
        if self.rule is None:
            return f"{self.category}, placed by rule {self.rule_id}, which has since been removed."
        where = f" in {SOURCE_WORDING.get(self.matched_in, self.matched_in)}" if self.matched_in else ""
        seen = f' (found "{self.matched_text}"{where})' if self.matched_text and self.rule.match != "exact" else ""
        return f"{self.category}, placed by {self.rule.layer} rule {self.rule_id}: {self.rule.in_words()}{seen}."


# --- SQL -------------------------------------------------------------------------------------------------

COUNT_CATEGORIES = "SELECT count(*) FROM categories"
COUNT_RULES = "SELECT count(*) FROM classification_rules"
SELECT_CATEGORIES = """
SELECT category, impact, influenceable, reason FROM categories
ORDER BY CASE impact WHEN 'High' THEN 1 WHEN 'Medium' THEN 2 WHEN 'Low' THEN 3 ELSE 4 END,
         NOT influenceable, category
"""
SELECT_RULES = """
SELECT rule_id, layer, field, match, pattern, category, priority, note FROM classification_rules
ORDER BY CASE layer WHEN 'supplier' THEN 1 WHEN 'code' THEN 2 WHEN 'keyword' THEN 3 ELSE 4 END, priority, rule_id
"""
INSERT_CATEGORY = "INSERT OR REPLACE INTO categories VALUES (?, ?, ?, ?)"
INSERT_RULE = "INSERT OR REPLACE INTO classification_rules VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
DELETE_CATEGORIES = "DELETE FROM categories"
DELETE_RULES = "DELETE FROM classification_rules"
RULES_WITH_UNKNOWN_CATEGORY = """
SELECT r.rule_id, r.category FROM classification_rules r ANTI JOIN categories c USING (category)
ORDER BY r.rule_id
"""
SELECT_RULE = """
SELECT rule_id, layer, field, match, pattern, category, priority, note FROM classification_rules
WHERE rule_id = $rule_id
"""
CHECK_REGEX = "SELECT regexp_matches('', $pattern, 'i')"

# How a value is compared: lower case, runs of white space as one space, and for payees' names the
# masked bank digits some councils print inside them ('(****1234)') taken out.
NORMALISE_TEXT = r"lower(trim(regexp_replace({x}, '\s+', ' ', 'g')))"
NORMALISE_NAME = r"lower(trim(regexp_replace(regexp_replace({x}, '\(?\*{{2,}}[0-9]*\)?', ' ', 'g'), '\s+', ' ', 'g')))"

# Which unmapped columns (the keys of a payment's `extra` map) are descriptions and which services: decided
# once per distinct header name, in SQL, not once per line. Keys come in the order they stand in the headers.
EXTRA_KEYS = f"""
WITH keys AS (
    SELECT key, min(position) AS position
    FROM (SELECT unnest(map_keys(extra)) AS key, generate_subscripts(map_keys(extra), 1) AS position
          FROM payments WHERE extra IS NOT NULL AND ($file_id IS NULL OR (file_id = $file_id AND source_row = $source_row)))
    GROUP BY key
)
SELECT key, regexp_matches(lower(key), '{EXTRA_WORD_KEYS}') AS description,
       regexp_matches(lower(key), '{SERVICE_WORD_KEYS}') AND NOT regexp_matches(lower(key), '{EXTRA_WORD_KEYS}') AS service
FROM keys ORDER BY position, key
"""
ExtraKeys = dict[str, tuple[str, ...]]
NO_EXTRA_KEYS: ExtraKeys = {"extra_words": (), "service_words": ()}


def _words_sql(source: str, keys: tuple[str, ...], column: str) -> str:
    """The text of a payment's description (or service) columns, joined with ' | ' in header order: one map
    lookup per column a workspace has of that kind; blank cells (and, for services, links) left out."""
    if not keys:
        return "NULL::VARCHAR"
    keep = "trim({v}) <> ''" + (" AND NOT starts_with(lower(trim({v})), 'http')" if source == "service_words" else "")
    cells = [f"CASE WHEN {keep.format(v=f'{column}[{quote_literal(k)}]')} THEN {column}[{quote_literal(k)}] END" for k in keys]
    return f"nullif(concat_ws(' | ', {', '.join(cells)}), '')"


def extra_keys(cur: duckdb.DuckDBPyConnection, present: set[str], file_id: int | None = None,
               source_row: int | None = None) -> ExtraKeys:
    """The unmapped columns the workspace's payments carry (or one payment's), by kind: descriptions
    (EXTRA_WORD_KEYS) and services (SERVICE_WORD_KEYS)."""
    if "extra" not in present:
        return NO_EXTRA_KEYS
    rows = cur.execute(EXTRA_KEYS, {"file_id": file_id, "source_row": source_row}).fetchall()
    return {"extra_words": tuple(k for k, description, _service in rows if description),
            "service_words": tuple(k for k, _description, service in rows if service)}


# Rank 1 is the rule tried first: layer, then priority, then rule_id.
RANKED_RULES = f"""
SELECT rule_id, field, match, pattern, category,
       {NORMALISE_TEXT.format(x="pattern")} AS norm_pattern,
       row_number() OVER (ORDER BY {LAYER_ORDER_SQL}, priority, rule_id) AS rank
FROM classification_rules
"""
DROP_FIELD_VALUES = "DROP TABLE IF EXISTS classify_field_values"
# A rule on a field is tried on that field's values; an expense-type rule also on the other detail sources.
RULE_READS_SOURCE = "(r.field = v.source OR " + " OR ".join(
    f"(r.field = '{field}' AND v.source IN (" + ", ".join(f"'{s}'" for s in sources) + "))"
    for field, sources in ALSO_READS.items()) + ")"
PLAIN_HITS = f"""
SELECT v.source, v.value, r.rank
FROM classify_field_values v JOIN ranked_rules r ON {RULE_READS_SOURCE}
WHERE r.match <> 'regex' AND CASE r.match
    WHEN 'exact' THEN v.norm = r.norm_pattern
    WHEN 'prefix' THEN starts_with(v.norm, r.norm_pattern)
    ELSE contains(v.norm, r.norm_pattern) END
"""
# One branch per regex rule, its pattern bound as a constant: DuckDB compiles a bound pattern once,
# but a pattern read from a table column is recompiled for every row it meets (seconds, not milliseconds).
REGEX_HIT = """
SELECT source, value, $rank_{i}::BIGINT AS rank FROM classify_field_values
WHERE source IN ({sources}) AND regexp_matches(norm, $pattern_{i}, 'i')
"""
CLEAR_CLASSES = "DELETE FROM payment_classes"
PLACE_TEMPLATE = """
CREATE OR REPLACE TEMP TABLE classify_placed AS
WITH ranked_rules AS MATERIALIZED ({ranked_rules}),
hits AS ({plain_hits} UNION ALL {regex_hits}),
best AS MATERIALIZED (SELECT source, value, min(rank) AS rank FROM hits GROUP BY source, value),
{per_source}
SELECT p.file_id, p.source_row, p.supplier_name, p.supplier_id, p.is_redacted, r.category, r.rule_id
FROM (SELECT *, {derived} FROM payments) p
{joins}
LEFT JOIN ranked_rules r ON r.rank = least({ranks})
"""
NO_REGEX_HITS = "SELECT NULL::VARCHAR, NULL::VARCHAR, NULL::BIGINT WHERE false"
REGEX_RULES = f"SELECT rank, field, pattern FROM ({RANKED_RULES}) WHERE match = 'regex' ORDER BY rank"
# One supplier as the pages count it: one row per published (name, id) spelling with its supplier key (the
# supplier id; else the id the same name carries on most lines elsewhere; else the name's key, `sp_supplier_name_key`), the
# analyst's merges and splits applied. The caller defines `spellings` (supplier_name, supplier_id, n). The
# analysis table (facts.py) and the supplier's usual category below both read suppliers through it.
SUPPLIER_SPELLING_KEYS = """
named AS (
    SELECT s.*, sp_supplier_name_key(s.supplier_name) AS name_key FROM spellings s
),
id_for_name AS (
    -- the id on most lines; of ids on as many lines, the first in order, so that every run chooses the same
    SELECT name_key, first(supplier_id ORDER BY n DESC, supplier_id) AS supplier_id
    FROM (SELECT name_key, supplier_id, sum(n) AS n FROM named WHERE supplier_id IS NOT NULL GROUP BY ALL)
    GROUP BY name_key
),
auto_keys AS (
    SELECT k.supplier_name, k.supplier_id, k.n,
           CASE WHEN sp.supplier_name IS NOT NULL THEN 'split:' || k.supplier_name
                WHEN k.supplier_id IS NOT NULL THEN 'id:' || k.supplier_id
                WHEN i.supplier_id IS NOT NULL THEN 'id:' || i.supplier_id
                ELSE 'name:' || k.name_key END AS auto_key
    FROM named k
    LEFT JOIN id_for_name i USING (name_key)
    LEFT JOIN supplier_splits sp ON sp.supplier_name = k.supplier_name
),
spelling_keys AS MATERIALIZED (
    SELECT a.*, coalesce(m.to_key, a.auto_key) AS supplier_key
    FROM auto_keys a LEFT JOIN supplier_merges m ON m.from_key = a.auto_key
)
"""
# A supplier (as SUPPLIER_SPELLING_KEYS counts one; redacted payees never) with more than half of its lines
# placed in one category by the rules gives that category to its lines no rule placed. Counted over the whole
# workspace, the council's own data: lines are counted per spelling first (a few thousand rows, not a line each).
USUAL_CATEGORIES_FROM = f"""
WITH by_spelling AS MATERIALIZED (
    SELECT supplier_name, supplier_id, category, {{lines}} AS n FROM {{placed}}
    WHERE NOT is_redacted AND supplier_name IS NOT NULL GROUP BY ALL
), spellings AS (SELECT supplier_name, supplier_id, sum(n) AS n FROM by_spelling GROUP BY ALL),
{SUPPLIER_SPELLING_KEYS},
counts AS (
    SELECT k.supplier_key, b.category, sum(b.n) AS n
    FROM by_spelling b JOIN spelling_keys k
      ON k.supplier_name = b.supplier_name AND k.supplier_id IS NOT DISTINCT FROM b.supplier_id
    GROUP BY ALL
), per_supplier AS (
    SELECT supplier_key, sum(n) AS lines, max(n) FILTER (WHERE category IS NOT NULL) AS top,
           arg_max(category, n) FILTER (WHERE category IS NOT NULL) AS category,
           count(*) FILTER (WHERE category IS NULL) AS has_unplaced
    FROM counts GROUP BY supplier_key
), usual AS (
    SELECT supplier_key, category FROM per_supplier WHERE has_unplaced > 0 AND top * 2 > lines AND top >= 2
)
SELECT k.supplier_name, k.supplier_id, u.category FROM usual u JOIN spelling_keys k USING (supplier_key)
"""
USUAL_CATEGORIES = USUAL_CATEGORIES_FROM.format(lines="count(*)", placed="classify_placed")
# Each payment's final category and rule: the rule's, else the supplier's usual category, else Unclassified.
CLASSES_SELECT = f"""
WITH usual AS MATERIALIZED ({USUAL_CATEGORIES})
SELECT p.file_id, p.source_row,
       coalesce(p.category, u.category, 'Unclassified') AS category,
       CASE WHEN p.category IS NOT NULL THEN p.rule_id WHEN u.category IS NOT NULL THEN '{USUAL_RULE_ID}' END AS rule_id
FROM classify_placed p
LEFT JOIN usual u ON p.category IS NULL AND NOT p.is_redacted AND u.supplier_name = p.supplier_name
                 AND u.supplier_id IS NOT DISTINCT FROM p.supplier_id
"""
INSERT_CLASSES = "INSERT INTO payment_classes" + CLASSES_SELECT
DROP_PLACED = "DROP TABLE IF EXISTS classify_placed"
PAYMENT_COLUMNS = "SELECT column_name FROM duckdb_columns() WHERE table_name = 'payments' AND schema_name = 'main'"

COVERAGE = """
SELECT count(*),
       count(*) FILTER (WHERE coalesce(c.category, 'Unclassified') <> 'Unclassified'),
       coalesce(sum(p.amount), 0),
       coalesce(sum(p.amount) FILTER (WHERE coalesce(c.category, 'Unclassified') <> 'Unclassified'), 0),
       count(*) FILTER (WHERE c.file_id IS NULL)
FROM payments p LEFT JOIN payment_classes c USING (file_id, source_row)
WHERE $file_id IS NULL OR p.file_id = $file_id
"""
EXPLAIN_PAYMENT = """
SELECT c.file_id IS NOT NULL, coalesce(c.category, 'Unclassified'), c.rule_id, k.impact, k.influenceable,
       p.is_redacted, p.supplier_name, p.supplier_id, {columns}
FROM payments p
LEFT JOIN payment_classes c USING (file_id, source_row)
LEFT JOIN categories k ON k.category = coalesce(c.category, 'Unclassified')
WHERE p.file_id = $file_id AND p.source_row = $source_row
"""
# For a line placed by the supplier's usual category: how many of the supplier's lines are in it.
USUAL_SHARE = f"""
WITH spellings AS (SELECT supplier_name, supplier_id, count(*) AS n FROM payments WHERE NOT is_redacted GROUP BY ALL),
{SUPPLIER_SPELLING_KEYS},
theirs AS (
    SELECT supplier_name, supplier_id FROM spelling_keys
    WHERE supplier_key IN (SELECT supplier_key FROM spelling_keys
                           WHERE supplier_name = $supplier_name AND supplier_id IS NOT DISTINCT FROM $supplier_id)
)
SELECT count(*) FILTER (WHERE c.category = $category AND c.rule_id IS DISTINCT FROM '{USUAL_RULE_ID}'), count(*)
FROM payments p JOIN payment_classes c USING (file_id, source_row)
SEMI JOIN theirs t ON t.supplier_name = p.supplier_name AND t.supplier_id IS NOT DISTINCT FROM p.supplier_id
WHERE NOT p.is_redacted
"""
REGEX_MATCHED_TEXT = f"""
SELECT regexp_extract(CASE WHEN $field = 'supplier_name' THEN {NORMALISE_NAME.format(x="$value")}
                           ELSE {NORMALISE_TEXT.format(x="$value")} END, $pattern, 0, 'i')
"""


# --- taxonomy and rules in the workspace --------------------------------------------------------------


def install_default_taxonomy(ws: Workspace) -> bool:
    """Install the bundled categories and rules into a workspace that has neither; True if it did."""
    categories = _parse_categories(DEFAULT_TAXONOMY.read_bytes(), DEFAULT_TAXONOMY.name)
    rules = _parse_rules(DEFAULT_RULES.read_bytes(), DEFAULT_RULES.name)
    with ws.write() as cur:
        if scalar_int(cur, COUNT_CATEGORIES) or scalar_int(cur, COUNT_RULES):
            return False
        _check_rules(cur, rules, {c.category for c in categories})
        _insert_categories(cur, categories)
        _insert_rules(cur, rules)
    return True


def load_categories(ws: Workspace) -> list[Category]:
    """The workspace's categories, High impact first and non-procurement last within each band."""
    with ws.read() as cur:
        return [Category(name, impact, bool(influenceable), reason or "") for name, impact, influenceable, reason
                in cur.execute(SELECT_CATEGORIES).fetchall()]


def load_rules(ws: Workspace) -> list[Rule]:
    """The workspace's rules in the order they are tried."""
    with ws.read() as cur:
        return [Rule(rule_id, layer, field, match, pattern, category, int(priority), note or "")
                for rule_id, layer, field, match, pattern, category, priority, note
                in cur.execute(SELECT_RULES).fetchall()]


def save_rule(ws: Workspace, rule: Rule) -> None:
    """Add a rule, or replace the rule with the same rule_id (run `classify_spend` afterwards)."""
    problems = _rule_problems(rule)
    if problems:
        raise ClassificationError(f"Rule {rule.rule_id or '(no id)'}: {'; '.join(problems)}.")
    with ws.write() as cur:
        _check_rules(cur, [rule], {c[0] for c in cur.execute(SELECT_CATEGORIES).fetchall()})
        _insert_rules(cur, [rule])


def rule_from_expense_type(
    expense_type: str, category: str, *, priority: int = USER_RULE_PRIORITY, rule_id: str | None = None, note: str = ""
) -> Rule:
    """A keyword rule that places every payment with exactly this expense type (any case) in `category`."""
    pattern = " ".join(expense_type.split())
    if not pattern:
        raise ClassificationError("An empty expense type cannot make a rule.")
    slug = re.sub(r"[^a-z0-9]+", "-", pattern.lower()).strip("-") or "rule"
    return Rule(
        rule_id=rule_id or f"U-{slug}",
        layer="keyword",
        field="expense_type",
        match="exact",
        pattern=pattern,
        category=category,
        priority=priority,
        note=note or f'made from the unclassified expense type "{pattern}"',
    )


# --- CSV import and export ----------------------------------------------------------------------------


def import_categories_csv(ws: Workspace, source: Path | bytes, *, replace: bool = True) -> int:
    """Load categories from CSV (columns category,impact,influenceable,reason); returns how many.

    With `replace` the file becomes the whole taxonomy; otherwise its rows are added or replace those of
    the same name. Refused whole if a row is invalid or a rule would be left naming a missing category.
    Unclassified is always kept.
    """
    data, name = _read_source(source)
    categories = _parse_categories(data, name)
    with ws.write() as cur:
        cur.execute(MARK_SPEND_FACTS_STALE)  # impact and influenceable feed the analysis table
        if replace:
            cur.execute(DELETE_CATEGORIES)
        _insert_categories(cur, categories)
        if not any(c.category == UNCLASSIFIED for c in categories):
            _insert_categories(cur, [_unclassified()])
        orphans = cur.execute(RULES_WITH_UNKNOWN_CATEGORY).fetchall()
        if orphans:
            listed = ", ".join(f"{rule_id} ({category})" for rule_id, category in orphans[:10])
            raise ClassificationError(
                f"{name}: {len(orphans)} rule(s) name categories this file does not have: {listed}. "
                "Change or remove those rules first, or add the categories to the file."
            )
    return len(categories)


def export_categories_csv(ws: Workspace, path: Path | None = None) -> str:
    """The categories as CSV text (the import format); also written to `path` when given."""
    rows = [(c.category, c.impact, "true" if c.influenceable else "false", c.reason) for c in load_categories(ws)]
    return _write_csv(CATEGORY_COLUMNS, rows, path)


def import_rules_csv(ws: Workspace, source: Path | bytes, *, replace: bool = True) -> int:
    """Load rules from CSV (columns rule_id,layer,field,match,pattern,category,priority,note); returns how many.

    With `replace` the file becomes the whole rule set; otherwise its rows are added or replace rules of
    the same rule_id. Refused whole if any row is invalid. Run `classify_spend` afterwards.
    """
    data, name = _read_source(source)
    rules = _parse_rules(data, name)
    with ws.write() as cur:
        _check_rules(cur, rules, {c[0] for c in cur.execute(SELECT_CATEGORIES).fetchall()}, name)
        if replace:
            cur.execute(DELETE_RULES)
        _insert_rules(cur, rules)
    return len(rules)


def export_rules_csv(ws: Workspace, path: Path | None = None) -> str:
    """The rules as CSV text in the order they are tried (the import format); also written to `path`."""
    rows = [(r.rule_id, r.layer, r.field, r.match, r.pattern, r.category, str(r.priority), r.note) for r in load_rules(ws)]
    return _write_csv(RULE_COLUMNS, rows, path)


# --- classification -----------------------------------------------------------------------------------


def classify_spend(ws: Workspace) -> None:
    """Recompute every payment's category and the rule that placed it, in one transaction."""
    with ws.write() as cur:
        _check_rules(cur, [], {c[0] for c in cur.execute(SELECT_CATEGORIES).fetchall()})
        regex_rules = cur.execute(REGEX_RULES).fetchall()
        params: dict[str, object] = {}
        for i, (rank, _field, pattern) in enumerate(regex_rules):
            params |= {f"rank_{i}": rank, f"pattern_{i}": pattern}
        present = {row[0] for row in cur.execute(PAYMENT_COLUMNS).fetchall()}
        keys = extra_keys(cur, present)
        cur.execute(field_values_sql(present, keys))
        cur.execute(CLEAR_CLASSES)
        cur.execute(classify_sql([field for _rank, field, _pattern in regex_rules], present, keys=keys), params)
        cur.execute(INSERT_CLASSES)
        cur.execute(DROP_PLACED)
        cur.execute(DROP_FIELD_VALUES)
        cur.execute(MARK_SPEND_FACTS_STALE)


def _source_sql(source: str, present: set[str], alias: str = "", keys: ExtraKeys = NO_EXTRA_KEYS) -> str:
    """The SQL for one source of a payment: its column, the descriptive (or service) unmapped columns
    named in `keys`, or NULL when the workspace's payments table has no such column yet."""
    if source in ("extra_words", "service_words"):
        return _words_sql(source, keys[source], f"{alias}extra") if "extra" in present else "NULL::VARCHAR"
    return f"{alias}{source}" if source in present else "NULL::VARCHAR"


def field_values_sql(present: set[str], keys: ExtraKeys = NO_EXTRA_KEYS,
                     sources: Sequence[str] = SOURCES) -> str:
    """Every distinct value of every source a rule can look at (or of `sources`), normalised: a temp table
    rather than a CTE, because DuckDB rescans a CTE slowly when each regex branch below reads it (4x the
    time on 1M lines)."""
    distinct = " UNION ALL ".join(
        f"SELECT DISTINCT '{source}' AS source, value FROM "
        f"(SELECT {_source_sql(source, present, keys=keys)} AS value FROM payments) WHERE value IS NOT NULL"
        for source in sources if source in present or keys.get(source)
    ) or "SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS value WHERE false"
    return f"""
CREATE OR REPLACE TEMP TABLE classify_field_values AS
SELECT source, value,
       CASE source WHEN 'supplier_name' THEN {NORMALISE_NAME.format(x="value")}
                   ELSE {NORMALISE_TEXT.format(x="value")} END AS norm
FROM ({distinct})
"""


CLASSIFICATION_STATE = """
SELECT (SELECT count(*) FROM categories), (SELECT count(*) FROM payments), (SELECT count(*) FROM payment_classes)
"""


def ensure_classified(ws: Workspace) -> bool:
    """Install the default taxonomy into a new workspace and classify payments loaded since the last
    run; True if it wrote. Cheap when nothing changed (three counts), so pages call it freely."""
    with ws.read() as cur:
        categories, payments, classes = cur.execute(CLASSIFICATION_STATE).fetchone()  # type: ignore[misc]
    if categories == 0:
        install_default_taxonomy(ws)
    if categories == 0 or payments != classes:
        classify_spend(ws)
        return True
    return False


def classify_sql(regex_fields: Sequence[str], present: set[str] | None = None,
                 rules_table: str = "classification_rules", keys: ExtraKeys = NO_EXTRA_KEYS) -> str:
    """The statement that places every payment by the rules, with one bound branch per regex rule
    (`regex_fields` names the field of each, in rank order); `present` names the payments columns;
    `rules_table` is where the rules are read (a temp table of rules not yet saved, for a preview)."""
    present = set(present) if present is not None else {*get_args(Field), "extra", "is_redacted"}
    branches = []
    for i, field in enumerate(regex_fields):
        sources = [field, *ALSO_READS.get(field, ())]
        branches.append(REGEX_HIT.format(i=i, sources=", ".join(f"'{s}'" for s in sources)))
    regex_hits = " UNION ALL ".join(branches) or NO_REGEX_HITS
    per_source = ",\n".join(
        f"best_{source} AS (SELECT value, rank FROM best WHERE source = '{source}')" for source in SOURCES
    )
    missing = [f"NULL::VARCHAR AS {field}" for field in get_args(Field) if field not in present]
    derived = ", ".join([*(f"{_source_sql(source, present, keys=keys)} AS {source}" for source in ("extra_words", "service_words")),
                         *missing])
    joins = "\n".join(f"LEFT JOIN best_{source} ON best_{source}.value = p.{source}" for source in SOURCES)
    return PLACE_TEMPLATE.format(
        ranked_rules=RANKED_RULES.replace("FROM classification_rules", f"FROM {rules_table}"),
        plain_hits=PLAIN_HITS,
        regex_hits=regex_hits,
        per_source=per_source,
        derived=derived,
        joins=joins,
        ranks=", ".join(f"best_{source}.rank" for source in SOURCES),
    )


def classification_coverage(ws: Workspace, file_id: int | None = None) -> Coverage:
    """How much spend (all payments, or one file's) sits in a category other than Unclassified.

    Value is net: credit notes count against their category, and nothing is left out, not even
    non-procurement spend (which is classified, as such). Payments loaded after the last
    `classify_spend` count as unclassified and are reported in `not_yet_classified`.
    """
    with ws.read() as cur:
        row = cur.execute(COVERAGE, {"file_id": file_id}).fetchone()
    assert row is not None
    payments, classified, total, classified_total, pending = row
    return Coverage(int(payments), int(classified), Decimal(total), Decimal(classified_total), int(pending))


def explain_payment(ws: Workspace, file_id: int, source_row: int) -> Explanation | None:
    """Which rule placed this payment, and on what text; None if there is no such payment."""
    with ws.read() as cur:
        present = {row[0] for row in cur.execute(PAYMENT_COLUMNS).fetchall()}
        keys = extra_keys(cur, present, file_id, source_row)
        columns = ", ".join(_source_sql(source, present, "p.", keys) for source in SOURCES)
        row = cur.execute(EXPLAIN_PAYMENT.format(columns=columns),
                          {"file_id": file_id, "source_row": source_row}).fetchone()
        if row is None:
            return None
        classified, category, rule_id, impact, influenceable, is_redacted, payee, payee_id, *source_values = row
        values = dict(zip(SOURCES, source_values, strict=True))
        rule = _rule_by_id(cur, rule_id) if rule_id and rule_id != USUAL_RULE_ID else None
        matched = None
        matched_in: str | None = None
        usual = None
        if rule is not None and rule.match != "regex":
            matched = rule.pattern
        elif rule is not None:
            sources = [rule.field, *ALSO_READS.get(rule.field, ())]
            for source in sources:
                if values.get(source) is None:
                    continue
                found = cur.execute(REGEX_MATCHED_TEXT, {
                    "pattern": rule.pattern, "field": source, "value": values[source],
                }).fetchone()
                if found and found[0]:
                    matched = found[0]
                    matched_in = None if source == rule.field else source
                    break
        elif rule_id == USUAL_RULE_ID and not is_redacted:
            share = cur.execute(USUAL_SHARE, {"category": category, "supplier_name": payee,
                                              "supplier_id": payee_id}).fetchone()
            if share:
                usual = f"{share[0]:,} of {share[1]:,} lines"
    return Explanation(
        file_id=file_id,
        source_row=source_row,
        category=category,
        impact=impact,
        influenceable=None if influenceable is None else bool(influenceable),
        rule_id=rule_id,
        rule=rule,
        matched_text=matched,
        classified=bool(classified),
        values=values,
        usual=usual,
        matched_in=matched_in,
    )


# --- a rule's effect before it is saved -----------------------------------------------------------------

LAYER_WORDING: dict[Layer, str] = {
    "supplier": "the payee", "code": "an expense or ProClass code", "keyword": "the words of what was bought",
    "context": "who was paid and where",
}
# A rule made from a value in the unclassified list: the layer it sits in, for each column it can look at.
RULE_LAYER_FOR: dict[Field, Layer] = {"expense_type": "keyword", "supplier_name": "supplier",
                                      "expense_code": "code", "department": "context"}

EFFECT_RULES = """
CREATE OR REPLACE TEMP TABLE effect_rules AS
SELECT * FROM classification_rules WHERE rule_id <> $rule_id
UNION ALL SELECT $rule_id, $layer, $field, $match, $pattern, $category, $priority, $note
"""
EFFECT_CLASSES = "CREATE OR REPLACE TEMP TABLE effect_classes AS" + CLASSES_SELECT
# A payment with no row in payment_classes (loaded after the last run) counts as Unclassified now.
EFFECT_MOVES = """
SELECT coalesce(c.category, 'Unclassified') AS from_category, n.category AS to_category,
       count(*) AS payments, sum(p.amount) AS total
FROM payments p JOIN effect_classes n USING (file_id, source_row)
LEFT JOIN payment_classes c USING (file_id, source_row)
WHERE coalesce(c.category, 'Unclassified') <> n.category
GROUP BY ALL ORDER BY abs(sum(p.amount)) DESC, count(*) DESC, from_category, to_category
"""
EFFECT_TOTALS = """
SELECT count(*) FILTER (WHERE n.rule_id = $rule_id),
       coalesce(sum(p.amount) FILTER (WHERE n.rule_id = $rule_id), 0),
       coalesce(sum(p.amount) FILTER (WHERE coalesce(c.category, 'Unclassified') <> 'Unclassified'), 0),
       coalesce(sum(p.amount) FILTER (WHERE n.category <> 'Unclassified'), 0),
       coalesce(sum(p.amount), 0)
FROM payments p JOIN effect_classes n USING (file_id, source_row)
LEFT JOIN payment_classes c USING (file_id, source_row)
"""
# The fast way to a rule's effect, when payment_classes holds every payment as the saved rules place it:
# only the new rule is tried, on the distinct values of the columns it reads; a payment moves to it when it
# matches and the rule comes before the one that placed it; the payments are then counted per published
# spelling and current placement (a few thousand rows), and the supplier's usual category and every total
# are taken from those counts. The same figures as classifying everything again, without doing so.
EFFECT_STATE = f"""
SELECT (SELECT count(*) FROM payments) = (SELECT count(*) FROM payment_classes)
       AND NOT EXISTS (SELECT 1 FROM classification_rules WHERE rule_id = $rule_id)
       AND NOT EXISTS (
           SELECT 1 FROM (SELECT DISTINCT rule_id, category FROM payment_classes
                          WHERE rule_id IS NOT NULL AND rule_id <> '{USUAL_RULE_ID}') c
           ANTI JOIN classification_rules r USING (rule_id, category))
"""
EFFECT_HITS = f"""
CREATE OR REPLACE TEMP TABLE effect_hits AS
SELECT source, value FROM classify_field_values
WHERE CASE $match WHEN 'exact' THEN norm = {NORMALISE_TEXT.format(x="$pattern")}
                  WHEN 'prefix' THEN starts_with(norm, {NORMALISE_TEXT.format(x="$pattern")})
                  WHEN 'contains' THEN contains(norm, {NORMALISE_TEXT.format(x="$pattern")})
                  ELSE regexp_matches(norm, $pattern, 'i') END
"""
# The payments the new rule takes (those it matches that no rule before it places) are found among the few
# it matches; the payments counted by published spelling and current placement come from `{placed}`
# (spelling_placements, built with the analysis table, when that is current: no pass over every payment),
# and those taken are moved to the rule.
EFFECT_GROUPS = f"""
CREATE OR REPLACE TEMP TABLE effect_groups AS
WITH rule_order AS (SELECT rule_id, {LAYER_ORDER_SQL} AS layer_order, priority FROM classification_rules),
new_rule AS (SELECT {LAYER_ORDER_SQL.replace("CASE layer", "CASE $layer")} AS layer_order),
placements AS (
    SELECT supplier_name, supplier_id, is_redacted, category AS now_category,
           CASE WHEN rule_id IS NOT NULL AND rule_id <> '{USUAL_RULE_ID}' THEN category END AS now_placed,
           sum(n) AS n, sum(total) AS total
    FROM {{placed}} GROUP BY ALL
),
matched AS MATERIALIZED (
    SELECT p.file_id, p.source_row, p.supplier_name, p.supplier_id, p.is_redacted, p.amount
    FROM (SELECT *, {{derived}} FROM payments) p WHERE {{hit}}
),
taken AS MATERIALIZED (
    SELECT p.supplier_name, p.supplier_id, p.is_redacted, p.amount, c.category AS now_category,
           CASE WHEN c.rule_id IS NOT NULL AND c.rule_id <> '{USUAL_RULE_ID}' THEN c.category END AS now_placed
    FROM matched p
    JOIN payment_classes c USING (file_id, source_row)
    LEFT JOIN rule_order r ON r.rule_id = c.rule_id
    CROSS JOIN new_rule n
    WHERE (r.rule_id IS NULL OR n.layer_order < r.layer_order
                       OR (n.layer_order = r.layer_order AND ($priority < r.priority
                           OR ($priority = r.priority AND $rule_id < r.rule_id))))
),
counted AS (
    SELECT supplier_name, supplier_id, is_redacted, now_category, false AS by_rule, now_placed AS category, n, total
    FROM placements
    UNION ALL
    SELECT supplier_name, supplier_id, is_redacted, now_category, false, now_placed, -1, -amount FROM taken
    UNION ALL
    SELECT supplier_name, supplier_id, is_redacted, now_category, true, $category, 1, amount FROM taken
)
SELECT supplier_name, supplier_id, is_redacted, now_category, by_rule, category, sum(n) AS n, sum(total) AS total
FROM counted GROUP BY ALL HAVING sum(n) <> 0
"""
# The payments counted by spelling and placement (as in spelling_placements), when the analysis tables are
# not current.
EFFECT_PLACED_BY_JOIN = """(SELECT p.supplier_name, p.supplier_id, p.is_redacted, c.category, c.rule_id, count(*) AS n,
           sum(p.amount) AS total
    FROM payments p JOIN payment_classes c USING (file_id, source_row) GROUP BY ALL)"""
EFFECT_GROUP_CLASSES = f"""
CREATE OR REPLACE TEMP TABLE effect_group_classes AS
WITH usual AS MATERIALIZED ({USUAL_CATEGORIES_FROM.format(lines="sum(n)", placed="effect_groups")})
SELECT g.now_category, g.by_rule, g.n, g.total,
       coalesce(g.category, CASE WHEN NOT g.is_redacted THEN u.category END, 'Unclassified') AS new_category
FROM effect_groups g
LEFT JOIN usual u ON g.category IS NULL AND u.supplier_name = g.supplier_name
                 AND u.supplier_id IS NOT DISTINCT FROM g.supplier_id
"""
EFFECT_GROUP_MOVES = """
SELECT now_category, new_category, sum(n), sum(total) FROM effect_group_classes
WHERE now_category <> new_category
GROUP BY ALL ORDER BY abs(sum(total)) DESC, sum(n) DESC, now_category, new_category
"""
EFFECT_GROUP_TOTALS = """
SELECT coalesce(sum(n) FILTER (WHERE by_rule), 0),
       coalesce(sum(total) FILTER (WHERE by_rule), 0),
       coalesce(sum(total) FILTER (WHERE now_category <> 'Unclassified'), 0),
       coalesce(sum(total) FILTER (WHERE new_category <> 'Unclassified'), 0),
       coalesce(sum(total), 0)
FROM effect_group_classes
"""
DROP_EFFECT_GROUPS = ("DROP TABLE IF EXISTS effect_hits", "DROP TABLE IF EXISTS effect_groups",
                      "DROP TABLE IF EXISTS effect_group_classes", DROP_FIELD_VALUES)
DROP_EFFECT = ("DROP TABLE IF EXISTS effect_classes", "DROP TABLE IF EXISTS effect_rules",
               DROP_PLACED, DROP_FIELD_VALUES)


@dataclass(frozen=True)
class Move:
    """Payments a change to the rules would take from one category to another."""

    from_category: str
    to_category: str
    payments: int
    total: Decimal


@dataclass(frozen=True)
class RuleEffect:
    """What saving a rule would do to the classification, computed without saving it."""

    rule: Rule
    moves: tuple[Move, ...]
    placed_by_rule: int
    placed_by_rule_total: Decimal
    classified_before: Decimal
    classified_after: Decimal
    total: Decimal

    @property
    def payments_moved(self) -> int:
        """Payments whose category would change (the rule's own, and any that follow the supplier's usual)."""
        return sum(m.payments for m in self.moves)

    @property
    def total_moved(self) -> Decimal:
        """Net value of the payments whose category would change."""
        return sum((m.total for m in self.moves), Decimal(0))

    def share(self, classified: Decimal) -> Decimal | None:
        """A classified total as a share of all spend, by net value."""
        return classified / self.total if self.total else None


def rule_effect(ws: Workspace, rule: Rule) -> RuleEffect:
    """Classify every payment as if `rule` were saved (replacing any rule with its rule_id) and compare
    with the categories they have now: which payments would move, from which category to which, and the
    money. Runs the same SQL as `classify_spend` on temp tables of this cursor; nothing is written."""
    problems = _rule_problems(rule)
    if problems:
        raise ClassificationError(f"Rule {rule.rule_id or '(no id)'}: {'; '.join(problems)}.")
    params = {"rule_id": rule.rule_id, "layer": rule.layer, "field": rule.field, "match": rule.match,
              "pattern": rule.pattern, "category": rule.category, "priority": rule.priority, "note": rule.note}
    with ws.read() as cur:
        _check_rules(cur, [rule], {c[0] for c in cur.execute(SELECT_CATEGORIES).fetchall()})
        state = cur.execute(EFFECT_STATE, {"rule_id": rule.rule_id}).fetchone()
        if state and state[0]:
            return _rule_effect_of_one_rule(cur, rule)
        try:
            cur.execute(EFFECT_RULES, params)
            regex_rules = cur.execute(REGEX_RULES.replace("FROM classification_rules", "FROM effect_rules")).fetchall()
            bound: dict[str, object] = {}
            for i, (rank, _field, pattern) in enumerate(regex_rules):
                bound |= {f"rank_{i}": rank, f"pattern_{i}": pattern}
            present = {row[0] for row in cur.execute(PAYMENT_COLUMNS).fetchall()}
            keys = extra_keys(cur, present)
            cur.execute(field_values_sql(present, keys))
            cur.execute(classify_sql([field for _rank, field, _pattern in regex_rules], present, "effect_rules", keys),
                        bound)
            cur.execute(EFFECT_CLASSES)
            moves = tuple(Move(a, b, int(n), Decimal(total))
                          for a, b, n, total in cur.execute(EFFECT_MOVES).fetchall())
            row = cur.execute(EFFECT_TOTALS, {"rule_id": rule.rule_id}).fetchone()
        finally:
            for sql in DROP_EFFECT:
                cur.execute(sql)
    assert row is not None
    placed, placed_total, before, after, total = row
    return RuleEffect(rule, moves, int(placed), Decimal(placed_total), Decimal(before), Decimal(after), Decimal(total))


def _rule_effect_of_one_rule(cur: duckdb.DuckDBPyConnection, rule: Rule) -> RuleEffect:
    """`rule_effect` when payment_classes is current and no saved rule has the rule's id: only the new rule
    is tried (EFFECT_GROUPS), in a few bulk statements over the payments rather than every rule again: on the
    few payments it matches, and on the counts by spelling built with the analysis table when it is current."""
    present = {row[0] for row in cur.execute(PAYMENT_COLUMNS).fetchall()}
    keys = extra_keys(cur, present)
    sources = [s for s in (rule.field, *ALSO_READS.get(rule.field, ())) if s in present or keys.get(s)]
    try:
        cur.execute(field_values_sql(present, keys, sources))
        cur.execute(EFFECT_HITS, {"match": rule.match, "pattern": rule.pattern})
        hit = " OR ".join(f"p.{s} IN (SELECT value FROM effect_hits WHERE source = '{s}')" for s in sources) or "false"
        missing = [f"NULL::VARCHAR AS {field}" for field in get_args(Field) if field not in present]
        derived = ", ".join([*(f"{_source_sql(s, present, keys=keys)} AS {s}" for s in ("extra_words", "service_words")),
                             *missing])
        stale = bool(cur.execute(SPEND_FACTS_STALE).fetchone()[0])  # type: ignore[index]
        placed = EFFECT_PLACED_BY_JOIN if stale else "spelling_placements"
        cur.execute(EFFECT_GROUPS.format(hit=hit, derived=derived, placed=placed),
                    {"rule_id": rule.rule_id, "layer": rule.layer, "priority": rule.priority,
                     "category": rule.category})
        cur.execute(EFFECT_GROUP_CLASSES)
        moves = tuple(Move(a, b, int(n), Decimal(total)) for a, b, n, total in cur.execute(EFFECT_GROUP_MOVES).fetchall())
        row = cur.execute(EFFECT_GROUP_TOTALS).fetchone()
    finally:
        for sql in DROP_EFFECT_GROUPS:
            cur.execute(sql)
    assert row is not None
    placed, placed_total, before, after, total = row
    return RuleEffect(rule, moves, int(placed), Decimal(placed_total), Decimal(before), Decimal(after), Decimal(total))


def rule_from_value(
    field: Field, value: str, category: str, *, priority: int = USER_RULE_PRIORITY, rule_id: str | None = None
) -> Rule:
    """A rule placing every payment whose `field` is exactly `value` (any case, any spacing) in `category`:
    a keyword rule for an expense type, a supplier rule for a payee's name, a code rule for an expense code,
    a context rule for a department."""
    if field == "expense_type":
        return rule_from_expense_type(value, category, priority=priority, rule_id=rule_id)
    if field not in RULE_LAYER_FOR:
        raise ClassificationError(f"A rule cannot be made from the {FIELD_WORDING.get(field, field)}.")
    pattern = " ".join(value.split())
    if not pattern:
        raise ClassificationError(f"An empty {FIELD_WORDING[field]} cannot make a rule.")
    slug = re.sub(r"[^a-z0-9]+", "-", pattern.lower()).strip("-") or "rule"
    prefix = {"supplier_name": "US", "expense_code": "UC", "department": "UD"}[field]
    return Rule(rule_id or f"{prefix}-{slug}", RULE_LAYER_FOR[field], field, "exact", pattern, category, priority,
                f'made from the unclassified {FIELD_WORDING[field]} "{pattern}"')


def coverage_scope(filters: SpendFilters) -> SpendFilters | None:
    """When the filters leave Unclassified spend out (an impact or category filter without it, or
    influenceable spend only), all spend in view is classified by construction: the same filters without
    those three, whose coverage says how much of that part of the spend the rules reach. Otherwise None."""
    drops = ((filters.impacts and UNCLASSIFIED not in filters.impacts)
             or (filters.categories and UNCLASSIFIED not in filters.categories) or filters.influenceable_only)
    if not drops:
        return None
    return filters.narrow(impacts=(), categories=(), influenceable_only=False)


def coverage_beside(ws: Workspace, filters: SpendFilters, head: Headline | None = None) -> str:
    """The classification coverage of the spend in view, in words, for beside an impact figure; when the
    filters leave Unclassified spend out, also that of the same spend without those filters. One home for
    every page and the pack: the classified and total net spend of `queries.headline` (SQL over the
    analysis table under the filters); pass `head` when the caller has it already."""
    from sp_analysis.spend import queries

    head = head or queries.headline(ws, filters)
    text = coverage_in_words(head.classified, head.total)
    wider = coverage_scope(filters)
    if wider is not None:
        whole = queries.headline(ws, wider)
        text += (", as the filters leave unclassified spend out; without the impact, category and influenceable "
                 f"filters {coverage_in_words(whole.classified, whole.total)}")
    return text


def coverage_in_words(classified: Decimal, total: Decimal) -> str:
    """'97.2% classified (£x of £y net spend in view)': the classification coverage beside a figure."""
    from sp_analysis.words import pounds

    if not total:
        return "no spend in view"
    return f"{classified / total:.1%} classified ({pounds(classified)} of {pounds(total)} net spend in view)"


# --- helpers ------------------------------------------------------------------------------------------


def _rule_by_id(cur: duckdb.DuckDBPyConnection, rule_id: str) -> Rule | None:
    row = cur.execute(SELECT_RULE, {"rule_id": rule_id}).fetchone()
    if row is None:
        return None
    rule_id, layer, field, match, pattern, category, priority, note = row
    return Rule(rule_id, layer, field, match, pattern, category, int(priority), note or "")


def _unclassified() -> Category:
    return Category(UNCLASSIFIED, "Unclassified", False, "No rule has placed this spend yet.")


def _insert_categories(cur: duckdb.DuckDBPyConnection, categories: list[Category]) -> None:
    if categories:
        cur.executemany(INSERT_CATEGORY, [(c.category, c.impact, c.influenceable, c.reason) for c in categories])


def _insert_rules(cur: duckdb.DuckDBPyConnection, rules: list[Rule]) -> None:
    if rules:
        cur.executemany(INSERT_RULE, [
            (r.rule_id, r.layer, r.field, r.match, r.pattern, r.category, r.priority, r.note) for r in rules
        ])


def _check_rules(cur: duckdb.DuckDBPyConnection, rules: list[Rule], categories: set[str], source: str = "") -> None:
    """Refuse rules naming unknown categories or holding patterns DuckDB cannot compile."""
    where = f"{source}: " if source else ""
    problems = [f"rule {r.rule_id} names the category {r.category!r}, which the taxonomy does not have"
                for r in rules if r.category not in categories]
    problems += [f"rule {rule_id} names the category {category!r}, which the taxonomy does not have"
                 for rule_id, category in cur.execute(RULES_WITH_UNKNOWN_CATEGORY).fetchall()]
    for r in rules:
        if r.match == "regex":
            try:
                cur.execute(CHECK_REGEX, {"pattern": r.pattern}).fetchall()
            except duckdb.Error as exc:
                problems.append(f"rule {r.rule_id} has a pattern that is not a valid regular expression ({exc})")
    if problems:
        raise ClassificationError(where + "; ".join(problems[:10]) + ".")


def _rule_problems(rule: Rule) -> list[str]:
    problems = []
    if not rule.rule_id.strip():
        problems.append("rule_id is empty")
    if rule.layer not in LAYERS:
        problems.append(f"layer {rule.layer!r} is not one of {', '.join(LAYERS)}")
    elif rule.field not in LAYER_FIELDS[rule.layer]:
        problems.append(f"a {rule.layer} rule looks at {', '.join(LAYER_FIELDS[rule.layer])}, not {rule.field!r}")
    if rule.match not in MATCHES:
        problems.append(f"match {rule.match!r} is not one of {', '.join(MATCHES)}")
    if not rule.pattern.strip():
        problems.append("pattern is empty")
    if not rule.category.strip():
        problems.append("category is empty")
    return problems


def _read_source(source: Path | bytes) -> tuple[bytes, str]:
    if isinstance(source, Path):
        try:
            return source.read_bytes(), source.name
        except OSError as exc:
            raise ClassificationError(f"{source.name} cannot be read ({exc.strerror or exc}).") from exc
    return source, "the uploaded file"


def _csv_rows(data: bytes, name: str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ClassificationError(f"{name}: the header lacks {', '.join(missing)} (expected {','.join(columns)}).")
    reader.fieldnames = header
    rows = []
    for line, raw in enumerate(reader, start=2):
        row = {c: (raw.get(c) or "").strip() for c in columns}
        if any(row.values()):
            rows.append((line, row))
    return rows


def _parse_categories(data: bytes, name: str) -> list[Category]:
    booleans = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
    impacts = {i.lower(): i for i in IMPACTS}
    categories: list[Category] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line, row in _csv_rows(data, name, CATEGORY_COLUMNS):
        category, impact, influenceable = row["category"], impacts.get(row["impact"].lower()), row["influenceable"].lower()
        if not category:
            problems.append(f"line {line}: the category is empty")
        elif category.lower() in seen:
            problems.append(f"line {line}: {category!r} appears twice")
        if impact is None:
            problems.append(f"line {line}: impact {row['impact']!r} is not one of {', '.join(IMPACTS)}")
        elif (impact == "Unclassified") != (category == UNCLASSIFIED):
            problems.append(f"line {line}: only the category {UNCLASSIFIED!r} has the impact 'Unclassified'")
        if influenceable not in booleans:
            problems.append(f"line {line}: influenceable {row['influenceable']!r} is not true or false")
        seen.add(category.lower())
        if impact is not None and influenceable in booleans:
            categories.append(Category(category, impact, booleans[influenceable], row["reason"]))  # type: ignore[arg-type]
    if problems:
        raise ClassificationError(f"{name}: " + "; ".join(problems[:10]) + ".")
    return categories


def _parse_rules(data: bytes, name: str) -> list[Rule]:
    rules: list[Rule] = []
    problems: list[str] = []
    seen: set[str] = set()
    for line, row in _csv_rows(data, name, RULE_COLUMNS):
        try:
            priority = int(row["priority"])
        except ValueError:
            problems.append(f"line {line}: priority {row['priority']!r} is not a whole number")
            continue
        rule = Rule(row["rule_id"], row["layer"].lower(), row["field"].lower(), row["match"].lower(),  # type: ignore[arg-type]
                    row["pattern"], row["category"], priority, row["note"])
        problems += [f"line {line}: {p}" for p in _rule_problems(rule)]
        if rule.rule_id in seen:
            problems.append(f"line {line}: rule_id {rule.rule_id!r} appears twice")
        seen.add(rule.rule_id)
        rules.append(rule)
    if problems:
        raise ClassificationError(f"{name}: " + "; ".join(problems[:10]) + ".")
    return rules


def _write_csv(columns: Sequence[str], rows: Sequence[Sequence[str]], path: Path | None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    text = buffer.getvalue()
    if path is not None:
        path.write_text(text, encoding="utf-8")
    return text
