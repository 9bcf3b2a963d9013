"""The contracts register classified, valued and banded: the staged contract facts every question about
contracts starts from, the register's filters, its table and totals, and the payments behind a contract.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

import duckdb
import pandas as pd

from sp_analysis.contracts import notices
from sp_analysis.contracts.terms import NO_VALUE, LocalDistricts, local_districts, parse_extension_months
from sp_analysis.definitions import IMPACT_GROUPS, PLAN_THRESHOLD, ValueBands
from sp_analysis.settings import value_bands
from sp_analysis.spend.classify import NORMALISE_NAME, NORMALISE_TEXT
from sp_analysis.spend.facts import ensure_current
from sp_analysis.spend.filters import Filters, Part
from sp_analysis.sql import fetch_frame, run
from sp_analysis.words import total
from sp_analysis.workspace import Workspace

# --- classification maps ------------------------------------------------------------------------------------

# CPV (Common Procurement Vocabulary) prefixes: the division (two digits) and a few finer groups where a
# division spans priority areas. The longest matching prefix wins.
CPV_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("03", "Food and catering", "agricultural and farming products"),
    ("09", "Energy", "petroleum products, fuel and electricity"),
    ("15", "Food and catering", "food and drink"),
    ("18", "Uniforms, clothing and textiles", "clothing and footwear"),
    ("19", "Uniforms, clothing and textiles", "leather and textile fabrics"),
    ("22", "Pulp, paper and printing", "printed matter"),
    ("30", "Office machinery and computers (ICT)", "office and computing machinery"),
    ("30192", "Pulp, paper and printing", "office supplies"),
    ("30197", "Pulp, paper and printing", "small office equipment and paper"),
    ("30199", "Pulp, paper and printing", "paper stationery"),
    ("32", "Office machinery and computers (ICT)", "radio, television and telecommunications equipment"),
    ("33", "Health and social care", "medical equipment and pharmaceuticals"),
    ("34", "Transport and vehicles", "transport equipment"),
    ("35811", "Uniforms, clothing and textiles", "uniforms"),
    ("39", "Furniture", "furniture and furnishings"),
    ("39162", "Equipment and materials", "educational equipment"),
    ("3971", "Equipment and materials", "domestic appliances"),
    ("3983", "Facilities, cleaning and grounds", "cleaning products"),
    ("41", "Water", "collected and purified water"),
    ("44", "Construction", "construction structures and materials"),
    ("45", "Construction", "construction work"),
    ("48", "Software, IT services and telecoms", "software packages"),
    ("50", "Equipment and materials", "repair and maintenance services"),
    ("501", "Transport and vehicles", "repair and maintenance of vehicles"),
    ("5023", "Construction", "repair and maintenance of roads"),
    ("507", "Construction", "repair and maintenance of building installations"),
    ("555", "Food and catering", "canteen and catering services"),
    ("60", "Transport and vehicles", "transport services"),
    ("63", "Transport and vehicles", "supporting transport services"),
    ("641", "Communications and marketing", "postal and courier services"),
    ("642", "Software, IT services and telecoms", "telecommunications services"),
    ("651", "Water", "water distribution"),
    ("652", "Energy", "gas distribution"),
    ("653", "Energy", "electricity distribution"),
    ("66", "Insurance and finance", "financial and insurance services"),
    ("70", "Property rents and leases", "real estate services"),
    ("71", "Professional services and consultancy", "architectural, engineering and inspection services"),
    ("72", "Software, IT services and telecoms", "IT services"),
    ("73", "Professional services and consultancy", "research and development"),
    ("77", "Facilities, cleaning and grounds", "agricultural, forestry and horticultural services"),
    ("79", "Professional services and consultancy", "business services"),
    ("791", "Legal services", "legal services"),
    ("7934", "Communications and marketing", "advertising and marketing"),
    ("796", "Agency staff", "recruitment and supply of personnel"),
    ("797", "Facilities, cleaning and grounds", "investigation and security services"),
    ("798", "Pulp, paper and printing", "printing and related services"),
    ("80", "Education services", "education and training services"),
    ("85", "Health and social care", "health and social work services"),
    ("90", "Waste", "sewage, refuse and environmental services"),
    ("909", "Facilities, cleaning and grounds", "cleaning and sanitation services"),
    ("92", "Leisure and culture", "recreational, cultural and sporting services"),
    ("9831", "Uniforms, clothing and textiles", "laundry services"),
)

# ProClass top-level names (registers usually publish the name, not the code): the first pattern that
# matches the lower-case name wins.
PROCLASS_CATEGORIES: tuple[tuple[str, str], ...] = (
    (r"social community care|social care|healthcare|\bhealth\b", "Health and social care"),
    (r"construction|highways|road maintenance|\bbuilding", "Construction"),
    (r"catering|\bfood", "Food and catering"),
    (r"vehicle|transport", "Transport and vehicles"),
    (r"information communication technology|\bict\b|telecom", "Software, IT services and telecoms"),
    (r"facilities|cleaning|grounds|security", "Facilities, cleaning and grounds"),
    (r"consultancy|professional", "Professional services and consultancy"),
    (r"legal", "Legal services"),
    (r"waste", "Waste"),
    (r"utilities|energy|\bfuel", "Energy"),
    (r"clothing|textile|uniform", "Uniforms, clothing and textiles"),
    (r"education|schools", "Education services"),
    (r"furniture", "Furniture"),
    (r"insurance|financ", "Insurance and finance"),
    (r"human resources|recruitment|agency", "Agency staff"),
    (r"marketing|advertis|communications", "Communications and marketing"),
    (r"stationery|office products|print|paper", "Pulp, paper and printing"),
    (r"culture|leisure|sport|librar", "Leisure and culture"),
)

# Creditor-type codes in spend files (Devon's list and plain-word variants): (SME, VCSE); None = says nothing.
CREDITOR_TYPES: dict[str, tuple[bool | None, bool | None]] = {
    "CHTY": (None, True), "CHARITY": (None, True), "CIC": (None, True), "VCS": (None, True), "VCSE": (None, True),
    "SOLE": (True, None), "SOLE TRADER": (True, None),
    "WGA": (False, False),  # bodies in the Whole of Government Accounts: public sector
}

STATUSES: tuple[str, ...] = ("Live", "Not started", "Ended")
YES_NO_UNKNOWN: tuple[str, ...] = ("Yes", "No", "Unknown")

DEFINITIONS: dict[str, str] = {
    "contract_value": "Whole-life value as published; where only the annual value is published, the annual value times "
                      "the term in years (start to end date); with no dates, the annual value alone.",
    "value_band": "Bands of each contract's value; a value equal to a boundary falls in the band above.",
    "status": "On the published term as of today: Not started, Live (start to end date, both days included), Ended.",
    "matching": "A contract's supplier is found in the spend by supplier id, else company number (through the supplier "
                "list), else the supplier's name with case, punctuation and Ltd / Limited / PLC set aside. A payment "
                "is against a contract when it is to that supplier and dated within the contract's term.",
    "contracted_share": "Influenceable net spend paid to a supplier within the term of one of its contracts, as a "
                        "share of all influenceable net spend. Each payment counts once, however many contracts hold it.",
    "off_contract": "Supplier-years whose influenceable net spend in the financial year is £100,000.00 or more, with no "
                    "contract for that supplier (in the register, or in a notice with no register entry) whose term "
                    "overlaps the year (1 April to 31 March).",
    "sme": "Small and medium-sized enterprises: fewer than 250 staff (UK government definition).",
    "vcse": "Voluntary, community and social enterprise organisations: charities, community interest companies, "
            "community groups.",
    "local": "Suppliers whose postcode (from the supplier list) is in the local postcode districts set in Settings.",
    "unknown": "Share of influenceable spend with suppliers that no source (supplier list, contracts register, "
               "creditor type) gives a status for.",
    "sources": "Status comes from the supplier list uploaded here first, then the contracts register (the supplier's "
               "latest contract that says), then the creditor type in the spend files (CHTY and CIC: VCSE; SOLE: SME; "
               "WGA: public body, neither).",
    "intervention": "When re-procurement must start: the contract's end date minus the lead time for its value band. "
                    "A contract with no published value takes the longest lead time.",
}


# --- the register's filters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractFilters(Filters):
    """What the analyst has narrowed the register to; an empty tuple means 'all'."""

    departments: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    impacts: tuple[str, ...] = ()
    value_bands: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    sme: tuple[str, ...] = ()
    vcse: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    search: str = ""
    bands: ValueBands = field(default_factory=ValueBands)

    PARTS: ClassVar[tuple[Part, ...]] = (
        Part("departments", "department", "department", counted="departments"),
        Part("categories", "category", "category", counted="categories"),
        Part("impacts", "impact_group", "impact", counted="impacts"),
        Part("value_bands", "value_band", "contract value", counted="value-bands"),
        Part("routes", "route", "route", counted="routes"),
        Part("sme", "sme_label", "SME"),
        Part("vcse", "vcse_label", "VCSE"),
        Part("statuses", "status", "status", counted="statuses"),
    )
    ALL_WORDS: ClassVar[str] = "all contracts in the register"
    PREFIX: ClassVar[str] = "cf"

    def _extras(self) -> list[tuple[str, str]]:
        if not (search := self.search.strip()):
            return []
        return [(f"title, reference, supplier or description contains '{search}'",
                 "search-" + (re.sub(r"[^a-z0-9]+", "-", search.lower()).strip("-") or "text"))]

    def where_sql(self) -> tuple[str, dict[str, Any]]:
        """A WHERE clause over the staged contract facts, and its bound parameters."""
        clauses, params = self._list_where()
        if search := self.search.strip():
            clauses.append("(contains(lower(coalesce(title, '')), $cf_search) OR contains(lower(coalesce(reference, '')), "
                           "$cf_search) OR contains(lower(coalesce(supplier_name, '')), $cf_search) "
                           "OR contains(lower(coalesce(description, '')), $cf_search))")
            params["cf_search"] = search.lower()
        return (" AND ".join(clauses) or "true"), params


# --- staging: the contract facts, built on a cursor for each question ----------------------------------------


def _company_sql(column: str) -> str:
    cleaned = f"upper(regexp_replace({column}, '\\s+', '', 'g'))"
    return f"CASE WHEN regexp_full_match({cleaned}, '[0-9]{{1,8}}') THEN lpad({cleaned}, 8, '0') ELSE {cleaned} END"


STAGE_EXTENSIONS = """
CREATE OR REPLACE TEMP TABLE cx_extensions AS
SELECT unnest($ext_texts::VARCHAR[]) AS extension_options, unnest($ext_months::INTEGER[]) AS extension_months
"""
STAGE_MAPS = (
    """
    CREATE OR REPLACE TEMP TABLE cx_cpv AS
    SELECT unnest($cpv_prefixes::VARCHAR[]) AS prefix, unnest($cpv_categories::VARCHAR[]) AS category,
           unnest($cpv_wordings::VARCHAR[]) AS wording
    """,
    """
    CREATE OR REPLACE TEMP TABLE cx_proclass AS
    SELECT unnest($pc_patterns::VARCHAR[]) AS pattern, unnest($pc_categories::VARCHAR[]) AS category,
           generate_subscripts($pc_patterns::VARCHAR[], 1) AS position
    """,
    """
    CREATE OR REPLACE TEMP TABLE cx_creditor_types AS
    SELECT unnest($ct_codes::VARCHAR[]) AS code, unnest($ct_sme::BOOLEAN[]) AS sme, unnest($ct_vcse::BOOLEAN[]) AS vcse
    """,
)
STAGE_NAMES = (
    # Each spelling published in the spend, with its supplier key: contracts and the supplier list find
    # their suppliers through these.
    """
    CREATE OR REPLACE TEMP TABLE cx_names AS
    SELECT supplier_name, supplier_id, supplier_key, sp_supplier_name_key(supplier_name) AS name_key, total
    FROM (SELECT supplier_name, supplier_id, supplier_key, sum(amount) AS total
          FROM spend_facts WHERE NOT is_redacted GROUP BY ALL)
    """,
    """
    CREATE OR REPLACE TEMP TABLE cx_by_id AS
    SELECT supplier_id, first(supplier_key ORDER BY total DESC, supplier_key) AS supplier_key
    FROM cx_names WHERE supplier_id IS NOT NULL GROUP BY supplier_id
    """,
    """
    CREATE OR REPLACE TEMP TABLE cx_by_name AS
    SELECT name_key, first(supplier_key ORDER BY total DESC, supplier_key) AS supplier_key
    FROM cx_names WHERE name_key <> '' GROUP BY name_key
    """,
    """
    CREATE OR REPLACE TEMP TABLE cx_by_company AS
    SELECT a.company_number, first(coalesce(i.supplier_key, n.supplier_key) ORDER BY a.source_row) AS supplier_key
    FROM supplier_attributes a
    LEFT JOIN cx_by_id i ON i.supplier_id = a.supplier_id
    LEFT JOIN cx_by_name n ON n.name_key = sp_supplier_name_key(a.supplier_name)
    WHERE a.company_number IS NOT NULL AND coalesce(i.supplier_key, n.supplier_key) IS NOT NULL
    GROUP BY a.company_number
    """,
)
STAGE_CONTRACTS = f"""
CREATE OR REPLACE TEMP TABLE cx_contracts AS
WITH base AS (
    SELECT c.*, sp_supplier_name_key(c.supplier_name) AS name_key,
           {_company_sql("c.company_number")} AS company_key,
           regexp_extract(c.cpv_code, '[0-9]{{2,8}}') AS cpv_digits,
           e.extension_months,
           CASE WHEN c.start_date IS NOT NULL AND c.end_date IS NOT NULL
                THEN CAST(round((date_diff('day', c.start_date, c.end_date) + 1) / 365.25, 2) AS DECIMAL(9, 2))
           END AS term_years
    FROM contracts c LEFT JOIN cx_extensions e ON e.extension_options = c.extension_options
),
keyed AS (
    SELECT b.*,
        CASE WHEN i.supplier_key IS NOT NULL THEN 'supplier id'
             WHEN co.supplier_key IS NOT NULL THEN 'company number'
             WHEN n.supplier_key IS NOT NULL THEN 'supplier name'
             ELSE 'not found in the spend' END AS matched_by,
        coalesce(i.supplier_key, co.supplier_key, n.supplier_key) AS found_key,
        CASE WHEN b.supplier_id IS NOT NULL THEN 'id:' || b.supplier_id ELSE 'name:' || b.name_key END AS own_key
    FROM base b
    LEFT JOIN cx_by_id i ON i.supplier_id = b.supplier_id
    LEFT JOIN cx_by_company co ON co.company_number = b.company_key
    LEFT JOIN cx_by_name n ON n.name_key = b.name_key
)
SELECT k.* EXCLUDE (found_key, own_key, extension_months),
    coalesce(k.found_key, m.to_key, k.own_key) AS supplier_key,
    CASE WHEN k.value_whole_life IS NOT NULL THEN k.value_whole_life
         WHEN k.value_annual IS NOT NULL AND k.term_years IS NOT NULL
             THEN CAST(round(k.value_annual * k.term_years, 2) AS DECIMAL(18, 2))
         ELSE k.value_annual END AS contract_value,
    CASE WHEN k.value_whole_life IS NOT NULL THEN 'whole-life, as published'
         WHEN k.value_annual IS NOT NULL AND k.term_years IS NOT NULL
             THEN 'annual value × ' || rtrim(rtrim(CAST(k.term_years AS VARCHAR), '0'), '.') || ' years'
         WHEN k.value_annual IS NOT NULL THEN 'annual value only (no term dates)'
         ELSE '{NO_VALUE.lower()}' END AS value_basis,
    coalesce(k.extension_months, 0) AS option_months,
    k.extension_options IS NOT NULL AND k.extension_months IS NULL AS options_unread,
    CASE WHEN k.end_date IS NOT NULL
         THEN CAST(k.end_date + to_months(coalesce(k.extension_months, 0)) AS DATE) END AS final_end
FROM keyed k LEFT JOIN supplier_merges m ON m.from_key = k.own_key
"""
STAGE_STATUS = """
CREATE OR REPLACE TEMP TABLE cx_status AS
WITH listed_rows AS (
    SELECT coalesce(i.supplier_key, n.supplier_key,
                    CASE WHEN a.supplier_id IS NOT NULL THEN 'id:' || a.supplier_id
                         ELSE 'name:' || sp_supplier_name_key(a.supplier_name) END) AS supplier_key,
           a.source_row, a.sme, a.vcse, a.postcode, a.postcode_district
    FROM supplier_attributes a
    LEFT JOIN cx_by_id i ON i.supplier_id = a.supplier_id
    LEFT JOIN cx_by_name n ON n.name_key = sp_supplier_name_key(a.supplier_name)
),
listed AS (
    SELECT supplier_key,
           first(sme ORDER BY source_row) FILTER (WHERE sme IS NOT NULL) AS sme,
           first(vcse ORDER BY source_row) FILTER (WHERE vcse IS NOT NULL) AS vcse,
           first(postcode ORDER BY source_row) FILTER (WHERE postcode IS NOT NULL) AS postcode,
           first(postcode_district ORDER BY source_row) FILTER (WHERE postcode_district IS NOT NULL) AS district
    FROM listed_rows GROUP BY supplier_key
),
register AS (
    SELECT supplier_key,
           first(sme ORDER BY start_date DESC NULLS LAST, file_id DESC, source_row DESC)
               FILTER (WHERE sme IS NOT NULL) AS sme,
           first(vcse ORDER BY start_date DESC NULLS LAST, file_id DESC, source_row DESC)
               FILTER (WHERE vcse IS NOT NULL) AS vcse
    FROM cx_contracts GROUP BY supplier_key
),
creditor AS (
    SELECT s.supplier_key, s.code, t.sme, t.vcse
    FROM (SELECT supplier_key, first(code ORDER BY n DESC, code) AS code
          FROM (SELECT supplier_key, upper(trim(creditor_type)) AS code, count(*) AS n
                FROM spend_facts WHERE creditor_type IS NOT NULL GROUP BY ALL)
          GROUP BY supplier_key) s
    JOIN cx_creditor_types t USING (code)
),
keys AS (
    SELECT supplier_key FROM spend_facts UNION SELECT supplier_key FROM listed UNION SELECT supplier_key FROM register
)
SELECT k.supplier_key,
    coalesce(l.sme, r.sme, c.sme) AS sme,
    CASE WHEN l.sme IS NOT NULL THEN 'supplier list' WHEN r.sme IS NOT NULL THEN 'contracts register'
         WHEN c.sme IS NOT NULL THEN 'creditor type ' || c.code END AS sme_source,
    coalesce(l.vcse, r.vcse, c.vcse) AS vcse,
    CASE WHEN l.vcse IS NOT NULL THEN 'supplier list' WHEN r.vcse IS NOT NULL THEN 'contracts register'
         WHEN c.vcse IS NOT NULL THEN 'creditor type ' || c.code END AS vcse_source,
    l.postcode, l.district,
    CASE WHEN l.district IS NULL OR NOT $local_set THEN NULL
         ELSE list_contains($local_districts, l.district)
              OR list_contains($local_areas, regexp_extract(l.district, '^[A-Z]+')) END AS local,
    CASE WHEN l.district IS NOT NULL AND $local_set THEN 'supplier list' END AS local_source
FROM keys k
LEFT JOIN listed l USING (supplier_key)
LEFT JOIN register r USING (supplier_key)
LEFT JOIN creditor c USING (supplier_key)
"""
_NORM_VALUE = (f"CASE WHEN field = 'supplier_name' THEN {NORMALISE_NAME.format(x='value')} "
               f"ELSE {NORMALISE_TEXT.format(x='value')} END")
# The workspace's rules, ranked as classify_spend ranks them (layer, priority, rule_id).
STAGE_RULES = f"""
CREATE OR REPLACE TEMP TABLE cx_rules AS
SELECT rule_id, layer, field, match, pattern, category, {NORMALISE_TEXT.format(x="pattern")} AS norm_pattern,
       row_number() OVER (ORDER BY CASE layer WHEN 'supplier' THEN 1 WHEN 'code' THEN 2 ELSE 3 END,
                          priority, rule_id) AS rank
FROM classification_rules
"""
# The text of each contract a rule may look at, with the stage it is tried in: supplier rules (3), then the
# expense-type rules on the title (4), then on the description (5), then the other keyword rules (6). The title
# names this contract; registers often give a description shared by a whole service area.
STAGE_FIELDS = f"""
CREATE OR REPLACE TEMP TABLE cx_fields AS
SELECT *, {_NORM_VALUE} AS norm FROM (
    SELECT file_id, source_row, 3 AS stage, 'supplier' AS layer, 'supplier_id' AS field, 'supplier id' AS wording,
           supplier_id AS value FROM cx_contracts
    UNION ALL SELECT file_id, source_row, 3, 'supplier', 'supplier_name', 'supplier name', supplier_name FROM cx_contracts
    UNION ALL SELECT file_id, source_row, 4, 'keyword', 'expense_type', 'title', title FROM cx_contracts
    UNION ALL SELECT file_id, source_row, 5, 'keyword', 'expense_type', 'description', description FROM cx_contracts
    UNION ALL SELECT file_id, source_row, 6, 'keyword', 'supplier_name', 'supplier name', supplier_name FROM cx_contracts
    UNION ALL SELECT file_id, source_row, 6, 'keyword', 'department', 'department', department FROM cx_contracts
) WHERE value IS NOT NULL
"""
STAGE_VALUES = "CREATE OR REPLACE TEMP TABLE cx_values AS SELECT DISTINCT layer, field, norm FROM cx_fields"
REGEX_RULES = "SELECT rank, layer, field, pattern FROM cx_rules WHERE match = 'regex' ORDER BY rank"
# As in classify.py: each regex rule is its own branch with the pattern bound, so DuckDB compiles it once.
STAGE_RULE_HITS = """
CREATE OR REPLACE TEMP TABLE cx_rule_hits AS
SELECT layer, field, norm, min(rank) AS rank FROM (
    SELECT v.layer, v.field, v.norm, r.rank
    FROM cx_values v JOIN cx_rules r ON r.layer = v.layer AND r.field = v.field
    WHERE r.match <> 'regex' AND CASE r.match WHEN 'exact' THEN v.norm = r.norm_pattern
                                              WHEN 'prefix' THEN starts_with(v.norm, r.norm_pattern)
                                              ELSE contains(v.norm, r.norm_pattern) END
    {regex_branches}
) GROUP BY ALL
"""
REGEX_BRANCH = """
    UNION ALL SELECT layer, field, norm, $rx_rank_{i}::BIGINT FROM cx_values
    WHERE layer = $rx_layer_{i} AND field = $rx_field_{i} AND regexp_matches(norm, $rx_pattern_{i}, 'i')
"""
STAGE_CLASSES = """
CREATE OR REPLACE TEMP TABLE cx_classes AS
WITH rule_hits AS (
    SELECT f.file_id, f.source_row, r.category, f.stage, r.rank, 'rule ' || r.rule_id || ' on the ' || f.wording AS placed_by
    FROM cx_fields f JOIN cx_rule_hits h USING (layer, field, norm) JOIN cx_rules r ON r.rank = h.rank
),
cpv_hits AS (
    SELECT c.file_id, c.source_row, p.category, 1 AS stage, 100 - length(p.prefix) AS rank,
           'CPV ' || c.cpv_code || ' (' || p.wording || ')' AS placed_by
    FROM cx_contracts c JOIN cx_cpv p ON starts_with(c.cpv_digits, p.prefix)
),
proclass_hits AS (
    SELECT c.file_id, c.source_row, p.category, 2 AS stage, p.position AS rank,
           'ProClass ' || c.proclass_code AS placed_by
    FROM cx_contracts c JOIN cx_proclass p ON regexp_matches(lower(c.proclass_code), p.pattern)
),
hits AS (
    SELECT * FROM (SELECT * FROM cpv_hits UNION ALL SELECT * FROM proclass_hits UNION ALL SELECT * FROM rule_hits)
    WHERE category IN (SELECT category FROM categories)
)
SELECT file_id, source_row, first(category ORDER BY stage, rank) AS category,
       first(placed_by ORDER BY stage, rank) AS placed_by
FROM hits GROUP BY file_id, source_row
"""
STAGE_FACTS = """
CREATE OR REPLACE TEMP TABLE cx_facts AS
WITH f AS (
    SELECT c.*,
        coalesce(cl.category, 'Unclassified') AS category,
        coalesce(cl.placed_by, 'no rule matched') AS placed_by,
        CASE WHEN cl.category IS NULL OR cl.category = 'Unclassified' OR k.category IS NULL THEN 'Unclassified'
             WHEN NOT k.influenceable THEN 'Non-procurement' ELSE k.impact END AS impact_group,
        coalesce(cl.category <> 'Unclassified' AND k.influenceable, false) AS influenceable,
        CASE WHEN c.contract_value IS NULL THEN $no_value ELSE {band} END AS value_band,
        CASE WHEN c.start_date > $today THEN 'Not started' WHEN c.end_date < $today THEN 'Ended' ELSE 'Live' END AS status,
        CASE WHEN $include_extensions THEN c.final_end ELSE c.end_date END AS term_end,
        coalesce(c.sme, s.sme) AS sme_status,
        CASE WHEN c.sme IS NOT NULL THEN 'contracts register (this contract)' ELSE s.sme_source END AS sme_source,
        coalesce(c.vcse, s.vcse) AS vcse_status,
        CASE WHEN c.vcse IS NOT NULL THEN 'contracts register (this contract)' ELSE s.vcse_source END AS vcse_source,
        s.local, s.postcode
    FROM cx_contracts c
    LEFT JOIN cx_classes cl USING (file_id, source_row)
    LEFT JOIN categories k ON k.category = cl.category
    LEFT JOIN cx_status s USING (supplier_key)
)
SELECT *,
    CASE WHEN sme_status THEN 'Yes' WHEN NOT sme_status THEN 'No' ELSE 'Unknown' END AS sme_label,
    CASE WHEN vcse_status THEN 'Yes' WHEN NOT vcse_status THEN 'No' ELSE 'Unknown' END AS vcse_label
FROM f
"""
STAGED_TABLES = ("cx_extensions", "cx_cpv", "cx_proclass", "cx_creditor_types", "cx_names", "cx_by_id", "cx_by_name",
                 "cx_by_company", "cx_contracts", "cx_status", "cx_rules", "cx_fields", "cx_values", "cx_rule_hits",
                 "cx_classes", "cx_facts", "cx_notice_pairs", "cx_notices")
DISTINCT_EXTENSIONS = "SELECT DISTINCT extension_options FROM contracts WHERE extension_options IS NOT NULL"

def _stage(cur: duckdb.DuckDBPyConnection, today: dt.date, include_extensions: bool, bands: ValueBands,
           local: LocalDistricts) -> None:
    texts = [row[0] for row in cur.execute(DISTINCT_EXTENSIONS).fetchall()]
    months = [parse_extension_months(t) for t in texts]
    readable = [(t, m) for t, m in zip(texts, months, strict=True) if m is not None]
    params: dict[str, Any] = {
        "ext_texts": [t for t, _ in readable], "ext_months": [m for _, m in readable],
        "cpv_prefixes": [p for p, _, _ in CPV_CATEGORIES], "cpv_categories": [c for _, c, _ in CPV_CATEGORIES],
        "cpv_wordings": [w for _, _, w in CPV_CATEGORIES],
        "pc_patterns": [p for p, _ in PROCLASS_CATEGORIES], "pc_categories": [c for _, c in PROCLASS_CATEGORIES],
        "ct_codes": list(CREDITOR_TYPES), "ct_sme": [v[0] for v in CREDITOR_TYPES.values()],
        "ct_vcse": [v[1] for v in CREDITOR_TYPES.values()],
        "today": today, "include_extensions": include_extensions, "no_value": NO_VALUE,
        **local.params(), **bands.params(),
    }
    params |= notices.read_limits(cur).params()
    # Notices matched to a register entry are set aside before anything is counted (notices.py).
    for sql in (STAGE_EXTENSIONS, *STAGE_MAPS, *STAGE_NAMES, STAGE_CONTRACTS, *notices.STAGE_STATEMENTS, STAGE_STATUS,
                STAGE_RULES, STAGE_FIELDS, STAGE_VALUES):
        run(cur, sql, params)
    regex_rules = cur.execute(REGEX_RULES).fetchall()
    for i, (rank, layer, field_name, pattern) in enumerate(regex_rules):
        params |= {f"rx_rank_{i}": rank, f"rx_layer_{i}": layer, f"rx_field_{i}": field_name, f"rx_pattern_{i}": pattern}
    branches = "".join(REGEX_BRANCH.format(i=i) for i in range(len(regex_rules)))
    for sql in (STAGE_RULE_HITS.format(regex_branches=branches), STAGE_CLASSES,
                STAGE_FACTS.format(band=bands.case_sql("c.contract_value"))):
        run(cur, sql, params)


@contextmanager
def staged(ws: Workspace, today: dt.date | None = None, *, include_extensions: bool = False,
           bands: ValueBands | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor holding the contract facts as temp tables (cx_facts: each contract classified, valued and keyed to
    its supplier in the spend; cx_status, ...) for questions about contracts; the tables are dropped afterwards."""
    ensure_current(ws)
    try:
        local = local_districts(ws)
    except ValueError:
        local = LocalDistricts()  # an unreadable setting is reported on the page; no local share meanwhile
    bands = bands or value_bands(ws)
    with ws.read() as cur:
        try:
            _stage(cur, today or dt.date.today(), include_extensions, bands, local)
            yield cur
        finally:
            for table in STAGED_TABLES:
                cur.execute(f"DROP TABLE IF EXISTS {table}")


# --- the register ------------------------------------------------------------------------------------------

FILTER_OPTIONS = f"""
SELECT
    (SELECT list(DISTINCT department ORDER BY department) FILTER (WHERE department IS NOT NULL) FROM cx_facts),
    (SELECT list(DISTINCT category ORDER BY category) FROM cx_facts),
    (SELECT list(DISTINCT route ORDER BY route) FILTER (WHERE route IS NOT NULL) FROM cx_facts),
    (SELECT count(*) FROM cx_facts),
    (SELECT count(*) FILTER (WHERE value_band = '{NO_VALUE}') FROM cx_facts)
"""



def spend_in_term_sql(end: str) -> str:
    """A SELECT of each contract in `f` (rows of cx_facts) with its supplier's payments dated within its term:
    `spend_in_term` and `payments_in_term`, the term ending at the column `end` (term_end counts the extension
    options the analyst chose, end_date is the published end). An open start or end leaves that side open."""
    return f"""
    SELECT f.file_id, f.source_row, sum(p.amount) AS spend_in_term, count(*) AS payments_in_term
    FROM f JOIN spend_facts p ON p.supplier_key = f.supplier_key
        AND p.payment_date >= coalesce(f.start_date, p.payment_date)
        AND p.payment_date <= coalesce(f.{end}, p.payment_date)
    GROUP BY ALL"""


REGISTER = """
WITH f AS (SELECT * FROM cx_facts WHERE {where}),
in_term AS (""" + spend_in_term_sql("term_end") + """
),
supplier_spend AS (
    SELECT supplier_key, sum(amount) AS supplier_spend FROM spend_facts
    WHERE supplier_key IN (SELECT supplier_key FROM f) GROUP BY supplier_key
)
SELECT f.file_id, f.source_row, f.reference, f.title, f.supplier_name, f.department, f.category, f.impact_group,
       f.placed_by, f.contract_value, f.value_basis, f.value_band, f.value_whole_life, f.value_annual,
       f.start_date, f.end_date, f.extension_options, f.option_months, f.options_unread, f.final_end, f.term_end,
       f.status, f.route, f.sme_label, f.sme_source, f.vcse_label, f.vcse_source, f.cpv_code, f.proclass_code,
       f.description, f.matched_by, f.supplier_key, f.source, f.ocid,
       coalesce(t.spend_in_term, 0) AS spend_in_term, coalesce(t.payments_in_term, 0) AS payments_in_term,
       coalesce(s.supplier_spend, 0) AS supplier_spend,
       f.influenceable
FROM f LEFT JOIN in_term t USING (file_id, source_row) LEFT JOIN supplier_spend s USING (supplier_key)
ORDER BY f.contract_value DESC NULLS LAST, f.reference, f.file_id, f.source_row
"""

TOTALS = """
SELECT {columns}, count(*) AS contracts, coalesce(sum(contract_value), 0) AS value,
       count(*) FILTER (WHERE status = 'Live') AS live,
       count(*) FILTER (WHERE contract_value IS NULL) AS without_value
FROM cx_facts WHERE {where}
GROUP BY ALL ORDER BY value DESC, {first}
"""
TOTAL_COLUMNS = {
    "department": ("coalesce(department, '(not given)') AS department",),
    "category": ("impact_group", "category"),
    "impact": ("impact_group",),
}

CONTRACT_PAYMENTS = """
WITH c AS (SELECT * FROM cx_facts WHERE file_id = $file_id AND source_row = $source_row)
SELECT p.payment_date, p.supplier, p.supplier_name, p.amount, p.financial_year, p.department, p.expense_type,
       p.category, p.impact_group AS impact,
       CASE WHEN c.start_date IS NOT NULL AND p.payment_date < c.start_date THEN 'Before the start'
            WHEN c.end_date IS NOT NULL AND p.payment_date > c.end_date AND c.option_months > 0
                 AND p.payment_date <= c.final_end THEN 'In the extension options'
            WHEN c.end_date IS NOT NULL AND p.payment_date > c.end_date THEN 'After the end'
            ELSE 'Within the term' END AS against_contract,
       f.name AS source_file, p.source_row AS source_line
FROM c JOIN spend_facts p ON p.supplier_key = c.supplier_key JOIN loaded_files f ON f.file_id = p.file_id
ORDER BY p.payment_date DESC, source_file, source_line
"""
POSITIONS = ("Before the start", "Within the term", "In the extension options", "After the end")


def filter_options(ws: Workspace, today: dt.date) -> dict[str, Any]:
    """What the register's filters can offer, and how many contracts there are (with no value)."""
    with staged(ws, today) as cur:
        departments, categories, routes, count, no_value = cur.execute(FILTER_OPTIONS).fetchall()[0]
    return {"departments": departments or [], "categories": categories or [], "routes": routes or [],
            "contracts": int(count), "without_value": int(no_value)}


@dataclass(frozen=True)
class RegisterFigures:
    """The headline figures of a register table (`contract_register`'s rows)."""

    contracts: int
    value: Decimal  # the exact sum of the contract values published (contracts without one add nothing)
    live: int
    over_line: int  # contracts valued at the plan's £100k line or more


def register_figures(register: pd.DataFrame) -> RegisterFigures:
    """Count, value, live and over-the-line contracts of the rows of a register table."""
    values = [Decimal(v) for v in register["contract_value"] if v is not None and v == v]
    return RegisterFigures(len(register), total(values), int((register["status"] == "Live").sum()),
                           sum(1 for v in values if v >= PLAN_THRESHOLD))


def contract_register(ws: Workspace, today: dt.date, filters: ContractFilters = ContractFilters(), *,
                      include_extensions: bool = False) -> pd.DataFrame:
    """The register as classified and banded, each contract with the spend paid to its supplier within its term.

    `spend_in_term` counts every payment to the supplier dated within the term (any category), so a payment
    held by two contracts of one supplier counts in both rows; `supplier_spend` is all spend with the supplier.
    """
    where, params = filters.where_sql()
    with staged(ws, today, include_extensions=include_extensions, bands=filters.bands) as cur:
        return fetch_frame(cur, REGISTER.format(where=where), params)


def contract_totals(ws: Workspace, today: dt.date, filters: ContractFilters, by: str) -> pd.DataFrame:
    """Contracts, value, live contracts and contracts without a value, by department, category or impact."""
    if by not in TOTAL_COLUMNS:
        raise ValueError(f"cannot total by {by!r}: choose one of {', '.join(TOTAL_COLUMNS)}")
    where, params = filters.where_sql()
    columns = TOTAL_COLUMNS[by]
    first = columns[-1].split(" AS ")[-1]
    with staged(ws, today, bands=filters.bands) as cur:
        frame = fetch_frame(cur, TOTALS.format(columns=", ".join(columns), where=where, first=first), params)
    if by == "impact":
        frame["impact_group"] = pd.Categorical(frame["impact_group"], IMPACT_GROUPS, ordered=True)
        frame = frame.sort_values("impact_group").reset_index(drop=True)
        frame["impact_group"] = frame["impact_group"].astype(str)
    return frame


@dataclass(frozen=True)
class ContractPayments:
    """The payments to one contract's supplier, each placed against the contract's term."""

    payments: pd.DataFrame
    totals: dict[str, Decimal]
    counts: dict[str, int]


def contract_payments(ws: Workspace, file_id: int, source_row: int, *, include_extensions: bool = False,
                      limit: int = 2_000) -> ContractPayments:
    """Every payment to the contract's supplier (latest first, up to `limit` shown), and totals by where each
    falls: before the start, within the term, in the extension options, after the end."""
    with staged(ws, None, include_extensions=include_extensions) as cur:
        frame = fetch_frame(cur, CONTRACT_PAYMENTS, {"file_id": file_id, "source_row": source_row})
    totals = {p: sum((Decimal(v) for v in frame.loc[frame["against_contract"] == p, "amount"]), Decimal(0))
              for p in POSITIONS}
    counts = {p: int((frame["against_contract"] == p).sum()) for p in POSITIONS}
    return ContractPayments(frame.head(limit).reset_index(drop=True), totals, counts)
