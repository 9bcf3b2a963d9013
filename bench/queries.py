"""Benchmark: the analysis pages' queries and server-side page runs on a 10-million-line workspace.

What it measures, and why
-------------------------
Issue 3 asks that every query behind the Overview, Impact areas and Suppliers pages take at most
0.5 s (median) on a 10-million-line workspace; issue 7 asks that every page run in under 2 s at that
size and that memory peak under 2 GB. Loading ten million lines through the file loader would take
several minutes and is measured by bench/run.py already, so this script builds the workspace
directly in SQL and measures what happens after a load.

Steps:
1. Build (a child process, skipped with --keep when bench/out/queries-N.duckdb matches the options):
   open a new workspace with `open_workspace` (the real schema), then one `INSERT INTO payments
   SELECT ... FROM range(N)` whose every column is a function of the line number through DuckDB's
   `hash` (so the same N gives the same workspace): 120 monthly pseudo-files over ten financial
   years (April 2015 to March 2025), ~20,000 suppliers drawn with a Zipf-like skew (large suppliers
   also pay larger invoices), 20% of suppliers published under a second spelling for a quarter of
   their lines (upper case, Limited, double spaces, masked bank digits, a dropped vowel), 2% redacted
   payees, supplier ids on most lines (some months publish none, some suppliers never have one), 12
   departments, expense types from the vocabulary the default rules classify (plus a little they do
   not), DECIMAL(18,2) amounts with ~3% credit notes and ~0.6% very large payments. One
   `loaded_files` row per pseudo-file carries its rows and total. Then, timed separately:
   classification (`install_default_taxonomy` + `classify_spend`), the analysis table
   (`facts.ensure_current`, which rebuilds `spend_facts`) and the closing checkpoint.
2. Serve (a second child process, as a freshly started dashboard server would be):
   a. every analysis page through Streamlit's AppTest (`SP_WORKSPACE` set, `app.py`, `switch_page`):
      a cold run (Streamlit's query cache cleared first, so every query runs), a warm run (the same
      page again, served from the cache) and a filtered run (one financial year and one impact level
      chosen in the sidebar: new cache keys, so the queries run again). The cold and filtered runs
      are the ones that count for the 2 s target; the warm run is shown for reference. Each run is
      split into time inside the page's queries and time building its download buttons' CSV and
      XLSX bytes (by wrapping `ui._cached` and `ui.downloads` in this process only).
   b. every query function behind the Overview, Impact areas and Suppliers pages, called directly,
      7 times each with no filters and 7 times with a typical filter (the latest financial year and
      High impact): median and max. Target: median <= 0.5 s. The Classification page's own
      queries are timed too, for reference.
   c. for each query over the target, EXPLAIN ANALYZE of every statement it ran, written to
      bench/out/explain/.
3. Peak memory: each child's own peak RSS (`resource.getrusage(RUSAGE_SELF).ru_maxrss`, confirmed by
   wait4 in the parent); the benchmark's peak is the larger of the two. Target: under 2 GB.
4. Results: a table on stdout, bench/out/queries-results.json, and bench/queries-results.md (full-size
   runs only; smaller runs write bench/out/queries-results.md so they never overwrite the recorded
   figures).

Usage:  python bench/queries.py [--lines N] [--keep]
Smoke:  python bench/queries.py --lines 200000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

OUT = BENCH / "out"
SERVE_JSON = OUT / "queries-serve.json"
RESULTS_JSON = OUT / "queries-results.json"
RESULTS_MD = BENCH / "queries-results.md"
SMALL_RESULTS_MD = OUT / "queries-results.md"
EXPLAIN_DIR = OUT / "explain"
APP = ROOT / "app.py"

DEFAULT_LINES = 10_000_000
FILES = 120                       # monthly pseudo-files: April 2015 to March 2025
FIRST_MONTH = dt.date(2015, 4, 1)
SUPPLIERS = 20_000
GENERATOR_VERSION = 1             # bump when the generated data changes, so --keep rebuilds
RUNS = 7
TARGET_QUERY_S = 0.5
TARGET_PAGE_S = 2.0
TARGET_PEAK_MB = 2 * 1024         # 2 GB, in MiB as ru_maxrss reports (KiB / 1024)
PAGES = ("views/overview.py", "views/impact_areas.py", "views/suppliers.py", "views/classification.py")
FILTERED_PAGES = frozenset(PAGES[:3])  # the Classification page has no sidebar filters

# ---------------------------------------------------------------------------------------------
# Generation: one INSERT ... SELECT over range(N); every value is a function of the line number
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trade:
    """What a supplier does: the last words of its name, its usual department and expense types."""

    name: str
    department: str
    creditor_type: str
    expense_types: tuple[str, ...]


DEPARTMENTS = ("Adult Social Care", "Children's Services", "Highways & Transport", "Waste & Environment",
               "Corporate Services", "Education & Learning", "Public Health", "Property & Capital", "Communities",
               "Housing", "Finance", "Digital & IT")
# Expense types are written in the vocabulary of sp_analysis/data/default_rules.csv (the keyword layer), with
# a few the rules do not place ("Miscellaneous", "Sundry Payments"), as real files have.
TRADES = (
    Trade("Care Homes Ltd", "Adult Social Care", "LTD", ("Residential Care", "Nursing Care Placements", "Respite Care")),
    Trade("Homecare Ltd", "Adult Social Care", "LTD", ("Home Care", "Domiciliary Care", "Supported Living")),
    Trade("Construction Ltd", "Property & Capital", "LTD",
          ("Building Repairs & Maintenance", "Capital Works - New Build", "Construction Contract Payments")),
    Trade("Civils Ltd", "Highways & Transport", "LTD",
          ("Highways Maintenance", "Road Resurfacing", "Street Lighting Maintenance", "Drainage Works")),
    Trade("Coaches", "Highways & Transport", "BUSN", ("Home to School Transport", "Contract Hire - Coaches", "Taxi Services")),
    Trade("Waste Services Ltd", "Waste & Environment", "LTD", ("Waste Disposal Contract", "Recycling Collection", "Landfill Tax")),
    Trade("Energy PLC", "Property & Capital", "PLC", ("Electricity", "Gas", "Heating Oil")),
    Trade("Foods Ltd", "Education & Learning", "LTD", ("Catering Provisions", "School Meals", "Food Supplies")),
    Trade("Office Supplies", "Corporate Services", "SOLE", ("Stationery", "Printing & Stationery", "Office Furniture")),
    Trade("Systems Ltd", "Digital & IT", "LTD", ("Software Licences", "IT Hardware", "ICT Support Services", "Mobile Phones")),
    Trade("Cleaning Services CIC", "Property & Capital", "CIC", ("Cleaning", "Security Services", "Grounds Maintenance")),
    Trade("Consulting LLP", "Corporate Services", "LLP", ("Consultancy", "Professional Fees", "Training Courses")),
    Trade("Community Trust", "Communities", "CHTY", ("Grants to Voluntary Bodies", "Contributions to Voluntary Organisations")),
    Trade("Academy Trust", "Education & Learning", "CHTY", ("Payments to Academies", "Dedicated Schools Grant")),
    Trade("Motors", "Highways & Transport", "LTD", ("Vehicle Repairs", "Fleet Fuel", "Vehicle Purchase")),
    Trade("Print & Design", "Communities", "BUSN", ("Printing", "Advertising & Publicity")),
    Trade("Fostering Ltd", "Children's Services", "LTD",
          ("Foster Care - Independent Agencies", "Residential Placements - Children")),
    Trade("Solicitors LLP", "Corporate Services", "LLP", ("Legal Fees", "Counsel Fees")),
    Trade("Recruitment Ltd", "Adult Social Care", "LTD", ("Agency Staff", "Interim Management")),
    Trade("Workwear Ltd", "Waste & Environment", "LTD", ("Protective Clothing", "Uniforms")),
    Trade("Leisure Trust", "Communities", "CHTY", ("Leisure Management Fee", "Library Services")),
    Trade("Borough Council", "Finance", "WGA", ("Payments to Other Local Authorities", "Joint Funding Contribution")),
    Trade("NHS Foundation Trust", "Public Health", "WGA", ("Health Services", "Hospital Discharge Services")),
    Trade("Water Ltd", "Property & Capital", "PLC", ("Water Charges", "Sewerage")),
    Trade("Property Holdings Ltd", "Property & Capital", "LTD", ("Rent", "Service Charges", "Business Rates")),
    Trade("Pension Fund", "Finance", "BUSN", ("Pension Contributions", "Pension Strain Costs")),
    Trade("Services Ltd", "Corporate Services", "LTD", ("Miscellaneous Expenses", "Sundry Payments", "General Supplies")),
    Trade("Partnership", "Finance", "BUSN", ("Miscellaneous", "Other Charges")),
)
# The 60 largest suppliers do what a council's largest suppliers do: care, works, transport, waste, energy.
# Names may repeat: a repeated trade is drawn more often.
BIG_TRADES = ("Care Homes Ltd", "Care Homes Ltd", "Care Homes Ltd", "Homecare Ltd", "Homecare Ltd", "Construction Ltd",
              "Construction Ltd", "Civils Ltd", "Civils Ltd", "Coaches", "Waste Services Ltd", "Energy PLC", "Academy Trust",
              "Fostering Ltd", "Borough Council")
REDACTED_NAMES = ("REDACTED UNDER DP ACT", "Redacted - Personal Data", "Personal data withheld")
REDACTED_EXPENSE_TYPES = ("Direct Payments", "Foster Carers Allowances", "Care Leavers Support", "Section 17 Payments",
                          "Refunds")
REDACTED_DEPARTMENTS = ("Adult Social Care", "Children's Services", "Housing")
# Supplier s is named [PLACE] STEM+ENDING TRADE: unique for s < 28 * 40 * 18 = 20,160.
PLACES = ("", "Riverside", "Highfield", "Westfield", "Oakwood", "Ashford", "Brookside", "Castle", "Church", "County",
          "Harbour", "Hillside", "Lakeside", "Meadowbank", "Millbrook", "Park", "Priory", "Queens", "Rosewood",
          "Southgate", "Stonebridge", "Abbey", "Beacon", "Valley", "North", "Wessex", "Kings", "Greenway")
STEMS = ("Alder", "Amber", "Bracken", "Briar", "Calder", "Cinder", "Cobble", "Copper", "Crane", "Elder", "Fen",
         "Flint", "Hazel", "Heron", "Holly", "Juniper", "Kestrel", "Lark", "Linnet", "Marl", "Meadow", "Moss",
         "Otter", "Pebble", "Plover", "Raven", "Reed", "Rowan", "Sedge", "Sorrel", "Swallow", "Tansy", "Wren",
         "Yarrow", "Bramble", "Clover", "Larch", "Sloe", "Gorse", "Mallow")
ENDINGS = ("bank", "brook", "combe", "croft", "dale", "gate", "holt", "hurst", "leigh", "mere", "moor", "stead",
           "wick", "worth", "way", "ridge", "well", "fold")
assert len(PLACES) * len(STEMS) * len(ENDINGS) >= SUPPLIERS


def sql_list(values: tuple[str, ...] | list[str]) -> str:
    """A DuckDB list literal of strings (values are our own constants; quotes doubled)."""
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def int_list(values: list[int]) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


EXPENSE_TYPES = [e for t in TRADES for e in t.expense_types] + list(REDACTED_EXPENSE_TYPES)
ETYPE_START = [sum(len(t.expense_types) for t in TRADES[:i]) for i in range(len(TRADES))]  # 0-based
REDACTED_ETYPE_START = len(EXPENSE_TYPES) - len(REDACTED_EXPENSE_TYPES)
BIG_TRADE_INDEX = [1 + [t.name for t in TRADES].index(name) for name in BIG_TRADES]  # 1-based, as SQL lists

# A uniform draw in [0, 1) for line (or supplier) i and stream k < 64: the top 53 bits of DuckDB's hash of
# one integer. (hash(i, k) will not do: its combined hashes of the same i are strongly correlated.)
UNIFORM_MACRO = "CREATE OR REPLACE TEMP MACRO bench_u(i, k) AS CAST(hash(i * 64 + k) >> 11 AS DOUBLE) / 9007199254740992.0"
HASH_MACRO = "CREATE OR REPLACE TEMP MACRO bench_pick(i, k, n) AS CAST(hash(i * 64 + k) % n AS INTEGER)"

# The columns are named: the payments table has grown columns since (date precision, sheet, ProClass ...),
# which keep their defaults (NULL, or 'day' for the date precision).
INSERT_PAYMENTS = f"""
INSERT INTO payments (file_id, source_row, payment_date, financial_year, fy_start, month, amount, supplier_name,
                      supplier_id, is_redacted, department, expense_type, expense_code, transaction_ref, body,
                      creditor_type, vat_number, invoice_ref, extra)
WITH draws AS (
    SELECT i, CAST(i // $per AS INTEGER) AS f, CAST(i % $per + 2 AS INTEGER) AS source_row,
           bench_u(i, 1) AS u_rank, bench_u(i, 2) AS u_day, bench_u(i, 3) AS u1, bench_u(i, 4) AS u2,
           bench_u(i, 5) AS u_kind, bench_u(i, 6) AS u_redact, bench_u(i, 7) AS u_variant,
           bench_u(i, 8) AS u_etype, bench_u(i, 9) AS u_dept, bench_u(i, 10) AS u_big
    FROM range($lines) AS r(i)
),
-- Zipf-like: P(rank r) ~ 1 / (r + 20), drawn by inverting its (continuous) distribution function.
ranked AS (
    SELECT *, CAST(DATE '{FIRST_MONTH.isoformat()}' + to_months(f) AS DATE) AS month_start,
           least(CAST(floor(20 * pow(($suppliers + 20) / 20.0, u_rank) - 20) AS INTEGER), $suppliers - 1) AS r,
           u_redact < 0.02 AS redacted
    FROM draws
),
-- The 2,000 largest keep their rank every year; the tail's ranks rotate yearly, so small suppliers'
-- year-on-year spend changes.
supplier AS (
    SELECT *, CASE WHEN r < 2000 THEN r ELSE 2000 + (r - 2000 + (f // 12) * 1777) % ($suppliers - 2000) END AS s
    FROM ranked
),
traded AS (
    SELECT *,
           CASE WHEN s < 60 THEN {int_list(BIG_TRADE_INDEX)}[1 + bench_pick(s, 20, {len(BIG_TRADES)})]
                ELSE 1 + bench_pick(s, 21, {len(TRADES)}) END AS trade,
           bench_pick(s, 22, 5) AS variant_kind,
           sqrt(-2 * ln(1 - u1)) * cos(2 * pi() * u2) AS z
    FROM supplier
),
named AS (
    SELECT *,
           concat_ws(' ', nullif({sql_list(PLACES)}[1 + (s // {len(STEMS) * len(ENDINGS)}) % {len(PLACES)}], ''),
                     {sql_list(STEMS)}[1 + s % {len(STEMS)}] || {sql_list(ENDINGS)}[1 + (s // {len(STEMS)}) % {len(ENDINGS)}],
                     {sql_list([t.name for t in TRADES])}[trade]) AS name,
           CASE WHEN redacted THEN greatest(exp(ln(700) + 0.6 * z), 500)
                WHEN u_kind < 0.03 THEN -greatest(exp(ln(250) + 1.2 * z), 1)
                WHEN u_big < 0.006 AND s < 2000 THEN 100000 + u1 * 2400000
                ELSE greatest(exp(ln(1200) + 2.0 * exp(-s / 300.0) + 1.1 * z), 500) END AS raw_amount,
           CASE WHEN redacted THEN {REDACTED_ETYPE_START} + CAST(floor(u_etype * {len(REDACTED_EXPENSE_TYPES)}) AS INTEGER)
                ELSE {int_list(ETYPE_START)}[trade]
                     + CAST(floor(u_etype * {int_list([len(t.expense_types) for t in TRADES])}[trade]) AS INTEGER) END AS etype
    FROM traded
)
SELECT
    f + 1 AS file_id,
    source_row,
    CAST(month_start + CAST(floor(u_day * (CAST(month_start + INTERVAL 1 MONTH AS DATE) - month_start)) AS INTEGER) AS DATE),
    CAST({FIRST_MONTH.year} + f // 12 AS VARCHAR) || '/' || lpad(CAST(({FIRST_MONTH.year} + f // 12 + 1) % 100 AS VARCHAR), 2, '0'),
    CAST({FIRST_MONTH.year} + f // 12 AS SMALLINT),
    month_start,
    CAST(round(raw_amount, CASE WHEN u_kind BETWEEN 0.03 AND 0.18 THEN 0 ELSE 2 END) AS DECIMAL(18, 2)),
    CASE WHEN redacted THEN {sql_list(REDACTED_NAMES)}[1 + CAST(floor(u_variant * {len(REDACTED_NAMES)}) AS INTEGER)]
         WHEN s % 5 = 0 AND u_variant < 0.25 THEN
             CASE variant_kind
                 WHEN 0 THEN upper(name)
                 WHEN 1 THEN CASE WHEN suffix(name, ' Ltd') THEN regexp_replace(name, ' Ltd$', ' Limited')
                                  ELSE name || ' Ltd' END
                 WHEN 2 THEN replace(name, ' ', '  ')
                 WHEN 3 THEN name || ' (****' || lpad(CAST(s * 37 % 10000 AS VARCHAR), 4, '0') || ')'
                 ELSE regexp_replace(name, '([a-z])[aeiou]', '\\1')  -- a typo: a different name key
             END
         ELSE name END,
    CASE WHEN redacted OR f % 9 = 4 OR s % 33 = 7 THEN NULL ELSE 'S' || lpad(CAST(s AS VARCHAR), 6, '0') END,
    redacted,
    CASE WHEN redacted THEN {sql_list(REDACTED_DEPARTMENTS)}[1 + CAST(floor(u_dept * {len(REDACTED_DEPARTMENTS)}) AS INTEGER)]
         WHEN u_dept < 0.8 THEN {sql_list([t.department for t in TRADES])}[trade]
         ELSE {sql_list(DEPARTMENTS)}[1 + bench_pick(i, 11, {len(DEPARTMENTS)})] END,
    {sql_list(EXPENSE_TYPES)}[1 + etype],
    CAST(5001 + etype AS VARCHAR),
    CAST((f + 1) * 1000000 + source_row AS VARCHAR),
    'Wrenford Borough Council',
    CASE WHEN redacted THEN 'INDV' ELSE {sql_list([t.creditor_type for t in TRADES])}[trade] END,
    NULL, NULL, NULL
FROM named
"""

INSERT_FILES = """
INSERT INTO loaded_files
SELECT file_id, 'wrenford-spend-' || strftime(min(month), '%Y-%m') || '.csv', sha256('bench/queries.py:' || file_id),
       'spend', count(*), sum(amount), current_localtimestamp(), NULL,
       json_object('encoding', 'utf-8', 'rows', count(*), 'total', CAST(sum(amount) AS VARCHAR),
                   'note', 'generated in SQL by bench/queries.py, not through the loader')
FROM payments GROUP BY file_id ORDER BY file_id
"""
# The next file loaded into this workspace gets the id after the last pseudo-file's.
ADVANCE_FILE_IDS = "SELECT max(nextval('file_id_seq')) FROM range($files)"
MISLABELLED_REDACTIONS = """
SELECT count(*) FROM (SELECT DISTINCT supplier_name, is_redacted FROM payments)
WHERE sp_is_redacted(supplier_name) <> is_redacted
"""
FIGURES = """
SELECT (SELECT count(*) FROM payments), (SELECT sum(amount) FROM payments),
       (SELECT sum(rows) FROM loaded_files), (SELECT sum(total) FROM loaded_files),
       (SELECT count(*) FROM spend_facts), (SELECT sum(amount) FROM spend_facts),
       (SELECT count(DISTINCT supplier_key) FROM spend_facts WHERE NOT is_redacted),
       (SELECT count(DISTINCT supplier_name) FROM spend_facts WHERE NOT is_redacted),
       (SELECT count(DISTINCT financial_year) FROM spend_facts),
       (SELECT sum(amount) FILTER (WHERE category <> 'Unclassified') / sum(amount) FROM spend_facts),
       (SELECT count(*) FILTER (WHERE amount < 0) / count(*) FROM spend_facts)
"""


@dataclass
class BuildFigures:
    """What the build took and what it made."""

    lines: int
    files: int
    seconds_generate: float
    seconds_classify: float
    seconds_facts: float
    seconds_checkpoint: float
    peak_mb: float
    peak_mb_by_step: dict[str, float]
    file_mb: float
    payments: int
    total: str
    suppliers: int
    spellings: int
    financial_years: int
    classified_share: float
    credit_note_share: float
    correct: bool
    problems: list[str]
    built_at: str
    params: dict[str, int] = field(default_factory=dict)


def workspace_file(lines: int) -> Path:
    """One workspace per size, so a smoke run never replaces the full-size one that --keep reuses."""
    return OUT / f"queries-{lines}.duckdb"


def build_json(lines: int) -> Path:
    return OUT / f"queries-build-{lines}.json"


def build_params(lines: int) -> dict[str, int]:
    return {"lines": lines, "files": FILES, "suppliers": SUPPLIERS, "generator": GENERATOR_VERSION}


def build(lines: int) -> BuildFigures:
    """Generate the workspace, classify it and build the analysis table, each step timed."""
    from sp_analysis.spend import classify, facts
    from sp_analysis.workspace import close_workspace, open_workspace

    path = workspace_file(lines)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    per_file = -(-lines // FILES)
    ws = open_workspace(path)

    started = time.perf_counter()
    cur = ws.cursor()
    try:
        cur.execute(UNIFORM_MACRO)
        cur.execute(HASH_MACRO)
        with ws.write_on(cur):
            cur.execute(INSERT_PAYMENTS, {"lines": lines, "per": per_file, "suppliers": SUPPLIERS})
            cur.execute(INSERT_FILES)
            cur.execute(ADVANCE_FILE_IDS, {"files": FILES})
    finally:
        cur.close()
    seconds_generate = time.perf_counter() - started
    peaks = {"generate": peak_rss_mb()}
    print(f"  generated {lines:,} payment lines in {seconds_generate:.1f} s (peak RSS so far {peaks['generate']:,.0f} MB)",
          flush=True)

    started = time.perf_counter()
    classify.install_default_taxonomy(ws)
    classify.classify_spend(ws)
    seconds_classify = time.perf_counter() - started
    peaks["classify"] = peak_rss_mb()
    print(f"  classified in {seconds_classify:.1f} s (peak RSS so far {peaks['classify']:,.0f} MB)", flush=True)

    started = time.perf_counter()
    rebuilt = facts.ensure_current(ws)
    seconds_facts = time.perf_counter() - started
    peaks["facts"] = peak_rss_mb()
    print(f"  built spend_facts in {seconds_facts:.1f} s (peak RSS so far {peaks['facts']:,.0f} MB)", flush=True)

    problems: list[str] = []
    if not rebuilt:
        problems.append("facts.ensure_current did not rebuild spend_facts")
    with ws.read() as reader:
        mislabelled = int(reader.execute(MISLABELLED_REDACTIONS).fetchone()[0])  # type: ignore[index]
        (payments, total, file_rows, file_total, fact_rows, fact_total, suppliers, spellings, years,
         classified_share, credit_share) = reader.execute(FIGURES).fetchone()  # type: ignore[misc]
    if mislabelled:
        problems.append(f"{mislabelled} payee names whose is_redacted differs from sp_is_redacted")
    if (payments, total) != (file_rows, file_total):
        problems.append(f"loaded_files says {file_rows:,} rows £{file_total}, payments hold {payments:,} £{total}")
    if (payments, total) != (fact_rows, fact_total):
        problems.append(f"spend_facts holds {fact_rows:,} rows £{fact_total}, payments {payments:,} £{total}")
    if payments != lines:
        problems.append(f"{payments:,} payments generated, {lines:,} asked for")

    started = time.perf_counter()
    close_workspace(path)
    seconds_checkpoint = time.perf_counter() - started
    return BuildFigures(
        lines=lines, files=FILES, seconds_generate=seconds_generate, seconds_classify=seconds_classify,
        seconds_facts=seconds_facts, seconds_checkpoint=seconds_checkpoint, peak_mb=peak_rss_mb(), peak_mb_by_step=peaks,
        file_mb=path.stat().st_size / 1e6, payments=int(payments), total=str(total), suppliers=int(suppliers),
        spellings=int(spellings), financial_years=int(years), classified_share=float(classified_share),
        credit_note_share=float(credit_share), correct=not problems, problems=problems,
        built_at=dt.datetime.now().isoformat(timespec="seconds"), params=build_params(lines),
    )


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True)
class Timing:
    """Repeated runs of one thing: every run's seconds, their median and max."""

    runs: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def max(self) -> float:
        return max(self.runs)


def timed(call: Callable[[], object], runs: int = RUNS) -> Timing:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return Timing(seconds)


@dataclass(frozen=True)
class Query:
    """One query function as the pages call it, without filters and with the typical filter."""

    name: str
    pages: str
    plain: Callable[[Any], object]
    typical: Callable[[Any], object] | None
    counts: bool = True  # against the 0.5 s target (the Classification page's are for reference)


@dataclass
class QueryResult:
    name: str
    pages: str
    counts: bool
    plain: dict[str, Any]
    typical: dict[str, Any] | None
    explain: list[str] = field(default_factory=list)

    def met(self) -> bool:
        return all(v["median"] <= TARGET_QUERY_S for v in (self.plain, self.typical) if v is not None)


def page_queries(largest_key: str, mid_key: str, typical_year: str) -> list[Query]:
    """Every query behind the Overview, Impact areas and Suppliers pages, and the Classification page's."""
    from sp_analysis.spend import classify, queries, suppliers
    from sp_analysis.spend.filters import SpendFilters

    none = SpendFilters()
    typical = SpendFilters(financial_years=(typical_year,), impacts=("High",))
    # What the pages ask for by default: the Overview's "payments behind a cell" (the last band, High) and
    # the Impact areas drill-down (High, the first High category).
    top_band = none.bands.labels[-1]
    cell = SpendFilters(value_bands=(top_band,), impacts=("High",))
    cell_typical = SpendFilters(financial_years=(typical_year,), value_bands=(top_band,), impacts=("High",))
    drill = SpendFilters(impacts=("High",), categories=("Construction",))
    drill_typical = SpendFilters(financial_years=(typical_year,), impacts=("High",), categories=("Construction",))

    def both(fn: Callable[..., object], *args: Any) -> tuple[Callable[[Any], object], Callable[[Any], object]]:
        return (lambda ws: fn(ws, none, *args)), (lambda ws: fn(ws, typical, *args))

    every = "Overview, Impact areas, Suppliers"
    return [
        Query("analysis.headline", every, *both(queries.headline)),
        Query("analysis.filter_options", f"{every} (sidebar)", queries.filter_options, None),
        Query("analysis.band_impact_matrix", "Overview", *both(queries.band_impact_matrix)),
        Query("analysis.spend_by_financial_year", "Overview", *both(queries.spend_by_financial_year)),
        Query("analysis.payments_behind(2000)", "Overview, Impact areas", *both(queries.payments_behind, 2_000)),
        Query("analysis.payments_behind, Overview cell", "Overview",
              lambda ws: queries.payments_behind(ws, cell, 2_000),
              lambda ws: queries.payments_behind(ws, cell_typical, 2_000)),
        Query("analysis.impact_category_supplier(top 8)", "Impact areas", *both(queries.impact_category_supplier, 8)),
        Query("analysis.category_summary", "Impact areas", *both(queries.category_summary)),
        Query("analysis.top_suppliers(20)", "Impact areas, Suppliers", *both(queries.top_suppliers, 20)),
        Query("analysis.top_suppliers, Impact drill-down", "Impact areas",
              lambda ws: queries.top_suppliers(ws, drill, 15), lambda ws: queries.top_suppliers(ws, drill_typical, 15)),
        Query("analysis.payments_behind, Impact drill-down", "Impact areas",
              lambda ws: queries.payments_behind(ws, drill, 2_000),
              lambda ws: queries.payments_behind(ws, drill_typical, 2_000)),
        Query("analysis.supplier_year_on_year(200)", "Suppliers", *both(queries.supplier_year_on_year, 200)),
        Query("analysis.concentration", "Suppliers", *both(queries.concentration)),
        Query("suppliers.search_suppliers('' / 'care')", "Suppliers",
              lambda ws: suppliers.search_suppliers(ws, "", 50), lambda ws: suppliers.search_suppliers(ws, "care", 50)),
        Query("suppliers.supplier_profile (largest / rank 100)", "Suppliers",
              lambda ws: suppliers.supplier_profile(ws, largest_key), lambda ws: suppliers.supplier_profile(ws, mid_key)),
        Query("suppliers.merges + splits", "Suppliers", lambda ws: (suppliers.merges(ws), suppliers.splits(ws)), None),
        Query("analysis.largest_unclassified(25)", "Classification",
              lambda ws: queries.largest_unclassified(ws, "expense_type", 25), None),
        Query("classify.load_rules + load_categories", "Classification",
              lambda ws: (classify.load_rules(ws), classify.load_categories(ws)), None, counts=False),
    ]


class RecordingCursor:
    """A cursor that notes each statement and its parameters, then runs it."""

    def __init__(self, cur: Any, log: list[tuple[str, dict[str, Any]]]) -> None:
        self._cur, self._log = cur, log

    def execute(self, sql: str, params: Any = None) -> Any:
        self._log.append((sql, dict(params or {})))
        return self._cur.execute(sql, params or {})

    def sql(self, query: str, *, params: Any = None, **kwargs: Any) -> Any:
        self._log.append((query, dict(params or {})))
        return self._cur.sql(query, params=params or {}, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)


class RecordingWorkspace:
    """Enough of a Workspace for the read-only query functions, recording their SQL."""

    def __init__(self, ws: Any) -> None:
        self._ws = ws
        self.log: list[tuple[str, dict[str, Any]]] = []

    @contextmanager
    def read(self) -> Iterator[RecordingCursor]:
        with self._ws.read() as cur:
            yield RecordingCursor(cur, self.log)


def explain(ws: Any, name: str, variant: str, call: Callable[[Any], object]) -> str:
    """EXPLAIN ANALYZE of every statement the call runs, written to bench/out/explain/; returns the path."""
    recorder = RecordingWorkspace(ws)
    call(recorder)
    parts = []
    with ws.read() as cur:
        for i, (sql, params) in enumerate(recorder.log, start=1):
            rows = cur.execute("EXPLAIN ANALYZE " + sql, params).fetchall()
            plan = "\n".join(str(r[-1]) for r in rows)
            parts.append(f"-- statement {i} of {len(recorder.log)}\n{sql.strip()}\n-- parameters: {params!r}\n\n{plan}\n")
    EXPLAIN_DIR.mkdir(parents=True, exist_ok=True)
    path = EXPLAIN_DIR / (re.sub(r"[^a-z0-9]+", "-", f"{name}-{variant}".lower()).strip("-") + ".txt")
    path.write_text("\n".join(parts))
    return str(path.relative_to(ROOT))


def time_queries(ws: Any, typical_year: str) -> list[QueryResult]:
    from sp_analysis.spend import queries
    from sp_analysis.spend.filters import SpendFilters

    ranked = queries.top_suppliers(ws, SpendFilters(), 100)
    largest_key, mid_key = str(ranked.at[0, "supplier_key"]), str(ranked.iloc[-1]["supplier_key"])
    results = []
    for query in page_queries(largest_key, mid_key, typical_year):
        plain = timed(lambda q=query: q.plain(ws))  # type: ignore[misc]
        typical = timed(lambda q=query: q.typical(ws)) if query.typical else None  # type: ignore[misc]
        result = QueryResult(query.name, query.pages, query.counts,
                             {"median": plain.median, "max": plain.max, "runs": plain.runs},
                             None if typical is None else {"median": typical.median, "max": typical.max, "runs": typical.runs})
        for variant, timing, call in (("no-filter", plain, query.plain), ("typical", typical, query.typical)):
            if timing is not None and call is not None and timing.median > TARGET_QUERY_S:
                result.explain.append(explain(ws, query.name, variant, call))
        shown = f"{plain.median:6.3f} / {plain.max:6.3f}"
        if typical is not None:
            shown += f"   typical {typical.median:6.3f} / {typical.max:6.3f}"
        print(f"  {query.name:<52} {shown}", flush=True)
        results.append(result)
    return results


@dataclass(frozen=True)
class PageRun:
    """One script run of a page: wall clock, and the parts of it spent in queries and in download files."""

    seconds: float
    queries: float    # inside ui.query's cached call (0 when served from the cache)
    downloads: float  # ui.downloads: building the CSV and XLSX bytes for every table's buttons
    errors: tuple[str, ...]


@dataclass
class PageResult:
    page: str
    cold: PageRun
    warm: PageRun
    filtered: PageRun | None

    def errors(self) -> list[str]:
        return [e for r in (self.cold, self.warm, self.filtered) if r is not None for e in r.errors]

    def met(self) -> bool:
        return (not self.errors() and self.cold.seconds < TARGET_PAGE_S
                and (self.filtered is None or self.filtered.seconds < TARGET_PAGE_S))


# Where a page's time goes, measured by wrapping these functions where the pages look them up (module
# globals, as bench/stages.py does for the loader); the pages and sp_analysis are not changed.
SPLITS = (("queries", "_cached"), ("downloads", "downloads"))


@contextmanager
def split_timers(spent: dict[str, float]) -> Iterator[None]:
    from sp_analysis import ui

    originals = {name: getattr(ui, name) for _, name in SPLITS}

    def timed_call(part: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[part] += time.perf_counter() - started
        return call

    for part, name in SPLITS:
        setattr(ui, name, timed_call(part, originals[name]))
    try:
        yield
    finally:
        for name, fn in originals.items():
            setattr(ui, name, fn)


def time_pages(typical_year: str) -> tuple[float, list[PageResult]]:
    """Each page through AppTest: cold (query cache cleared), warm (again), filtered (year + High chosen)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    spent = dict.fromkeys((part for part, _ in SPLITS), 0.0)

    def run(at: AppTest) -> PageRun:
        for part in spent:
            spent[part] = 0.0
        started = time.perf_counter()
        at.run()
        seconds = time.perf_counter() - started
        return PageRun(seconds, spent["queries"], spent["downloads"], tuple(e.message for e in at.exception))

    def shown(r: PageRun | None) -> str:
        return "" if r is None else f"{r.seconds:6.2f} s ({r.queries:4.2f} + {r.downloads:4.2f})"

    # AppTest runs outside a server, and clearing the cache between runs, warn harmlessly on every run;
    # a page's own errors are collected from at.exception.
    logging.disable(logging.WARNING)
    try:
        with split_timers(spent):
            # The server's first script run: imports, opening the workspace, checking the analysis table.
            first = run(AppTest.from_file(str(APP), default_timeout=120))
            if first.errors:
                raise SystemExit(f"app.py failed on its first run: {first.errors}")
            print("  page: seconds (of which queries + download files)", flush=True)
            results = []
            for page in PAGES:
                at = AppTest.from_file(str(APP), default_timeout=120)
                at.run()
                at.switch_page(page)
                st.cache_data.clear()
                cold = run(at)
                warm = run(at)
                filtered = None
                if page in FILTERED_PAGES:
                    at.multiselect(key="filter_years").set_value([typical_year])
                    at.multiselect(key="filter_impacts").set_value(["High"])
                    filtered = run(at)
                result = PageResult(page, cold, warm, filtered)
                print(f"  {page:<26} cold {shown(cold)}  warm {shown(warm)}  filtered {shown(filtered)}"
                      f"{'  ERRORS' if result.errors() else ''}", flush=True)
                results.append(result)
    finally:
        logging.disable(logging.NOTSET)
    return first.seconds, results


def serve(lines: int) -> dict[str, Any]:
    """Pages first (a fresh server: nothing cached, the file just opened), then each query function."""
    path = workspace_file(lines)
    os.environ["SP_WORKSPACE"] = str(path)
    from sp_analysis.spend import queries
    from sp_analysis.workspace import open_workspace

    for stale in EXPLAIN_DIR.glob("*.txt"):
        stale.unlink()
    last_year = FIRST_MONTH.year + FILES // 12 - 1
    typical_year = f"{last_year}/{(last_year + 1) % 100:02d}"  # the latest financial year in the workspace
    load_before = os.getloadavg()[0]
    print(f"pages (AppTest) ... (load average {load_before:.1f} on {len(os.sched_getaffinity(0))} CPUs)", flush=True)
    startup, pages = time_pages(typical_year)
    peak_after_pages = peak_rss_mb()
    ws = open_workspace(path)  # the same Workspace the pages used (one per file and process)
    if typical_year not in queries.filter_options(ws)["financial_years"]:
        raise SystemExit(f"the workspace has no financial year {typical_year}")
    print("queries (median / max of 7 runs, seconds) ...", flush=True)
    results = time_queries(ws, typical_year)
    return {
        "typical_filter": {"financial_years": [typical_year], "impacts": ["High"]},
        "startup_run": startup,
        "pages": [asdict(p) | {"met": p.met(), "errors": p.errors()} for p in pages],
        "queries": [asdict(q) | {"met": q.met()} for q in results],
        "peak_mb_after_pages": peak_after_pages,
        "load_average": [load_before, os.getloadavg()[0]],  # other work on a shared machine slows every figure
        "peak_mb": peak_rss_mb(),
    }


# ---------------------------------------------------------------------------------------------
# The phases as child processes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """One child process: wall clock, its peak RSS (from wait4) and exit code."""

    seconds: float
    peak_mb: float
    exit_code: int


def measure(phase: str, extra: list[str]) -> Measured:
    """Run this script's phase in a child, its output passed through; peak RSS from wait4."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--phase", phase, *extra], cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    return Measured(time.perf_counter() - started, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status))


def reusable_build(lines: int) -> BuildFigures | None:
    if not (build_json(lines).exists() and workspace_file(lines).exists()):
        return None
    figures = BuildFigures(**json.loads(build_json(lines).read_text()))
    return figures if figures.params == build_params(lines) and figures.correct else None


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import duckdb
    import streamlit

    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal:"))
    return {"nproc": len(os.sched_getaffinity(0)), "memory_gb": round(memory_kb / 1024 / 1024, 1),
            "platform": platform.platform(), "python": platform.python_version(), "duckdb": duckdb.__version__,
            "streamlit": streamlit.__version__}


def yes(met: bool) -> str:
    return "yes" if met else "**no**"


def markdown(results: dict[str, Any]) -> str:
    m, b, s = results["machine"], results["build"], results["serve"]
    peaks = b["peak_mb_by_step"]
    year = s["typical_filter"]["financial_years"][0]
    lines = [
        "# Benchmark: queries and pages on a large workspace",
        "",
        f"Run {results['date']} on {m['nproc']} CPUs, {m['memory_gb']} GB memory ({m['platform']}, Python {m['python']}, "
        f"DuckDB {m['duckdb']}, Streamlit {m['streamlit']}); `python bench/queries.py` (bench/queries.py). "
        f"Workspace: {b['payments']:,} payments in {b['files']} monthly pseudo-files over {b['financial_years']} financial "
        f"years, {b['suppliers']:,} suppliers after merging {b['spellings']:,} published spellings (plus redacted payees), "
        f"{b['classified_share']:.1%} of spend by value classified by the default rules, {b['file_mb']:,.0f} MB on disk; "
        "generated in SQL, not through the loader (bench/run.py measures loading).",
        "",
        "## Building the workspace" + (" (reused with --keep; figures from the run that built it)" if results["reused"] else ""),
        "",
        "| step | seconds | process peak RSS after it, MB |",
        "|---|---:|---:|",
        f"| generate payments in SQL (one INSERT ... FROM range) | {b['seconds_generate']:.1f} | {peaks['generate']:,.0f} |",
        f"| classify (`install_default_taxonomy` + `classify_spend`) | {b['seconds_classify']:.1f} | {peaks['classify']:,.0f} |",
        f"| analysis table (`facts.ensure_current` rebuilding `spend_facts`) | {b['seconds_facts']:.1f} | {peaks['facts']:,.0f} |",
        f"| checkpoint on close | {b['seconds_checkpoint']:.1f} | {b['peak_mb']:,.0f} |",
        "",
        f"## Queries: median and max of {RUNS} runs, seconds (target: median <= {TARGET_QUERY_S:g} s)",
        "",
        f"The machine is shared: its 1-minute load average was {s['load_average'][0]:.1f} when the pages started and "
        f"{s['load_average'][1]:.1f} when the queries ended ({m['nproc']} CPUs), and figures near a target move with it "
        "from run to run.",
        "",
        f"Called directly (no Streamlit cache). Typical filter: financial year {year} and High impact; for the supplier "
        "search it is the text 'care', for the profile the 100th largest supplier rather than the largest.",
        "",
        "| query | pages | no filter: median | max | typical filter: median | max | target met |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for q in s["queries"]:
        t = q["typical"]
        typical = "– | –" if t is None else f"{t['median']:.3f} | {t['max']:.3f}"
        met = yes(q["met"]) if q["counts"] else f"{'yes' if q['met'] else 'no'} (reference)"
        lines.append(f"| {q['name']} | {q['pages']} | {q['plain']['median']:.3f} | {q['plain']['max']:.3f} | {typical} | {met} |")
    explained = [p for q in s["queries"] for p in q["explain"]]
    if explained:
        lines += ["", "EXPLAIN ANALYZE of the queries over the target: " + ", ".join(f"`{p}`" for p in explained) + "."]
    lines += [
        "",
        f"## Pages: server-side run through AppTest, seconds (target: under {TARGET_PAGE_S:g} s)",
        "",
        "Cold: Streamlit's query cache cleared just before the run, so every query on the page runs. Warm: the same "
        f"page run again (cached). Filtered: financial year {year} and High impact then chosen in the sidebar (new "
        "cache keys: the page's queries run again). Cold and filtered runs count for the target. "
        "Each run is shown as total (time inside the page's queries + time building the CSV and XLSX bytes of its "
        "download buttons); the rest is the page's own Python, charts and tables. "
        f"The server's first run of all (imports, opening the workspace) took {s['startup_run']:.2f} s.",
        "",
        "| page | cold | warm | filtered | target met |",
        "|---|---:|---:|---:|---|",
    ]

    def run(r: dict[str, Any] | None) -> str:
        return "–" if r is None else f"{r['seconds']:.2f} ({r['queries']:.2f} + {r['downloads']:.2f})"

    for p in s["pages"]:
        lines.append(f"| {p['page']} | {run(p['cold'])} | {run(p['warm'])} | {run(p['filtered'])} | {yes(p['met'])} |")
    lines += [
        "",
        f"## Peak memory (target: under {TARGET_PEAK_MB / 1024:g} GB)",
        "",
        "| process | peak RSS MB | target met |",
        "|---|---:|---|",
        f"| build: generate, classify, build `spend_facts` | {b['peak_mb']:,.0f} | {yes(b['peak_mb'] < TARGET_PEAK_MB)} |",
        f"| serve: pages, then every query | {s['peak_mb']:,.0f} | {yes(s['peak_mb'] < TARGET_PEAK_MB)} |",
        "",
        f"Peak RSS is each process's `ru_maxrss`; the pages alone peaked at {s['peak_mb_after_pages']:,.0f} MB. "
        "A dashboard server that rebuilds `spend_facts` after an upload goes through both.",
        "",
    ]
    return "\n".join(lines)


def report(build_figures: BuildFigures, served: dict[str, Any], reused: bool) -> dict[str, Any]:
    results = {"date": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine(), "reused": reused,
               "build": asdict(build_figures), "serve": served}
    RESULTS_JSON.write_text(json.dumps(results, indent=2))
    md_path = RESULTS_MD if build_figures.lines >= DEFAULT_LINES else SMALL_RESULTS_MD
    md_path.write_text(markdown(results))

    missed = [q for q in served["queries"] if q["counts"] and not q["met"]]
    slow_pages = [p for p in served["pages"] if not p["met"]]
    peak = max(build_figures.peak_mb, served["peak_mb"])
    print()
    print(f"workspace        {build_figures.payments:,} payments, {build_figures.suppliers:,} suppliers, "
          f"{build_figures.classified_share:.1%} classified, {build_figures.file_mb:,.0f} MB")
    print(f"build            generate {build_figures.seconds_generate:.1f} s, classify {build_figures.seconds_classify:.1f} s, "
          f"spend_facts {build_figures.seconds_facts:.1f} s{' (reused)' if reused else ''}")
    counted = [q for q in served["queries"] if q["counts"]]
    print(f"queries          {len(counted) - len(missed)} of {len(counted)} meet median <= {TARGET_QUERY_S:g} s"
          + (": missed by " + ", ".join(q["name"] for q in missed) if missed else ""))
    print(f"pages            {len(served['pages']) - len(slow_pages)} of {len(served['pages'])} run under {TARGET_PAGE_S:g} s"
          + (": missed by " + ", ".join(p["page"] for p in slow_pages) if slow_pages else ""))
    print(f"peak memory      {peak:,.0f} MB (build {build_figures.peak_mb:,.0f}, serve {served['peak_mb']:,.0f}): "
          f"{'met' if peak < TARGET_PEAK_MB else 'NOT met'}")
    print(f"\nwrote {RESULTS_JSON.relative_to(ROOT)} and {md_path.relative_to(ROOT)}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=DEFAULT_LINES, help=f"payment lines (default {DEFAULT_LINES:,})")
    parser.add_argument("--keep", action="store_true", help="reuse bench/out/queries-N.duckdb if it was built with these options")
    parser.add_argument("--phase", choices=["build", "serve"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)

    if args.phase == "build":
        build_json(args.lines).write_text(json.dumps(asdict(build(args.lines)), indent=2))
        return 0
    if args.phase == "serve":
        SERVE_JSON.write_text(json.dumps(serve(args.lines), indent=2))
        return 0

    figures = reusable_build(args.lines) if args.keep else None
    reused = figures is not None
    if figures is None:
        print(f"building a {args.lines:,}-line workspace in {workspace_file(args.lines).relative_to(ROOT)} ...", flush=True)
        build_json(args.lines).unlink(missing_ok=True)
        child = measure("build", ["--lines", str(args.lines)])
        if child.exit_code != 0:
            raise SystemExit(f"the build failed (exit {child.exit_code})")
        figures = BuildFigures(**json.loads(build_json(args.lines).read_text()))
        figures.peak_mb = max(figures.peak_mb, child.peak_mb)
        build_json(args.lines).write_text(json.dumps(asdict(figures), indent=2))
    else:
        print(f"reusing {workspace_file(args.lines).relative_to(ROOT)} ({figures.payments:,} payments, built {figures.built_at}; --keep)")
    if not figures.correct:
        print("FAILED: the generated workspace is not what was asked for:", *figures.problems, sep="\n  ", file=sys.stderr)
        return 1

    child = measure("serve", ["--lines", str(args.lines)])
    if child.exit_code != 0:
        raise SystemExit(f"the serve phase failed (exit {child.exit_code})")
    served = json.loads(SERVE_JSON.read_text())
    served["peak_mb"] = max(served["peak_mb"], child.peak_mb)
    results = report(figures, served, reused)
    errors = [e for p in results["serve"]["pages"] for e in p["errors"]]
    if errors:
        print("\nFAILED: pages raised exceptions:", *errors[:10], sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
