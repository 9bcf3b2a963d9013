"""Contracts-register lines: from a staged file to typed contracts.

A contract is a row with a title or reference and a supplier. Values and dates are optional (real
registers leave them blank), but text in them that cannot be read refuses the file, naming the line.
"""

from __future__ import annotations

from sp_analysis.ingest.source import StagedSource
from sp_analysis.sql import text_map_sql

MONEY_FIELDS = ("value_whole_life", "value_annual")
DATE_FIELDS = ("start_date", "end_date", "review_date")
TEXT_FIELDS = (
    "reference", "title", "department", "description", "supplier_name", "supplier_id",
    "company_number", "extension_options", "route", "charity_number", "cpv_code", "proclass_code",
)
FLAG_FIELDS = ("sme", "vcse")
# Identifiers: a placeholder ('N/A', '0', ...) in them means none (see sql_macros.NO_ID_WORDS).
ID_FIELDS = ("supplier_id", "company_number", "charity_number")


def parse_contracts_sql(src: StagedSource, parsed: str, *, in_block: bool = False, create: bool = True) -> str:
    """CREATE TEMP TABLE `parsed` (or, without `create`, append to it): each staged row typed, with a kind
    and a first problem if any.

    With `in_block`, only the lines $first_line to $last_line are read: one sheet of a workbook read as
    one file, mapped by its own header.
    """
    col = src.column
    text = ",\n".join(
        f"sp_known_id(sp_clean({col(f)})) AS {f}" if f in ID_FIELDS else f"sp_clean({col(f)}) AS {f}" for f in TEXT_FIELDS
    )
    money = ",\n".join(
        f"sp_clean({col(f)}) AS {f}_text, sp_parse_amount({col(f)}) AS {f}" for f in MONEY_FIELDS
    )
    dates = ",\n".join(
        f"sp_clean({col(f)}) AS {f}_text, sp_parse_date({col(f)}) AS {f}" for f in DATE_FIELDS
    )
    flags = ",\n".join(f"sp_parse_flag({col(f)}) AS {f}" for f in FLAG_FIELDS)
    named = [f"c{i}" for i in range(src.width) if i not in src.unnamed()]
    any_named = " OR ".join(f"sp_clean({c}) IS NOT NULL" for c in named) or "false"
    extra_sql = text_map_sql([(name, f"sp_clean(c{pos})") for name, pos in src.unmapped()])
    # A row whose mapped cells repeat the header's (a page header of a printed register) is skipped.
    positions = sorted(set(src.mapping.values()))
    repeated = "[" + ", ".join(f"lower(coalesce(sp_clean(c{i}), ''))" for i in positions) + "] = $header_cells"
    bad_money = " ".join(
        f"WHEN {f}_text IS NOT NULL AND {f} IS NULL THEN 'bad_{f}'" for f in MONEY_FIELDS
    )
    bad_dates = " ".join(
        f"WHEN {f}_text IS NOT NULL AND {f} IS NULL THEN 'bad_{f}'" for f in DATE_FIELDS
    )
    head = f"CREATE TEMP TABLE {parsed} AS" if create else f"INSERT INTO {parsed}"
    lines = "WHERE line BETWEEN $first_line AND $last_line" if in_block else ""
    return f"""
    {head}
    WITH typed AS (
        SELECT line, {text}, {money}, {dates}, {flags}, {extra_sql} AS extra,
               ({any_named}) AS has_any, coalesce({repeated}, false) AS repeats_header
        FROM {src.relation} {lines}
    )
    SELECT *,
        CASE
            WHEN NOT has_any THEN 'blank'
            WHEN repeats_header THEN 'repeated_header'
            WHEN title IS NULL AND reference IS NULL THEN 'no_title'
            WHEN supplier_name IS NULL THEN 'no_supplier'
            {bad_money}
            {bad_dates}
            WHEN end_date IS NOT NULL AND start_date IS NOT NULL AND end_date < start_date
                THEN 'end_before_start'
            ELSE 'contract'
        END AS row_kind
    FROM typed
    """


SKIP_REASONS = {
    "blank": "blank row",
    "no_title": "no title or reference (titles, footers, notes)",
    "no_supplier": "no supplier named",
    "repeated_header": "the header repeated lower down (page headers)",
}


def header_cells(src: StagedSource) -> list[str]:
    """The header's mapped cells as `parse_contracts_sql` compares rows with them (bound as $header_cells)."""
    return [src.header[i].strip().lower() if i < len(src.header) else "" for i in sorted(set(src.mapping.values()))]

PROBLEM_REASONS = {
    **{f"bad_{f}": (f, f"{f}_text", "is not an amount of money") for f in MONEY_FIELDS},
    **{f"bad_{f}": (f, f"{f}_text", "is not a date this tool can read (day first)") for f in DATE_FIELDS},
    "end_before_start": ("end_date", "end_date_text", "the end date is before the start date"),
}


def problems_sql(parsed: str) -> str:
    """Rows that refuse the file, first 50 by line."""
    kinds = ", ".join(f"'{k}'" for k in PROBLEM_REASONS)
    return f"""
    SELECT line, row_kind, value_whole_life_text, value_annual_text, start_date_text,
           end_date_text, review_date_text
    FROM {parsed} WHERE row_kind IN ({kinds}) ORDER BY line LIMIT 50
    """


def quality_sql(parsed: str) -> str:
    """One row of figures for the quality report (and `problems`: how many rows refuse the file)."""
    kinds = ", ".join(f"'{k}'" for k in PROBLEM_REASONS)
    return f"""
    SELECT
        (SELECT count(*) FROM {parsed}) AS rows_read,
        count(*) AS contracts,
        coalesce(sum(value_whole_life), 0) AS total,
        coalesce(sum(value_annual), 0) AS annual_total,
        count(*) FILTER (WHERE value_whole_life IS NULL AND value_annual IS NULL) AS no_value,
        count(*) FILTER (WHERE end_date IS NULL) AS no_end_date,
        count(*) FILTER (WHERE sme IS NULL) AS sme_unknown,
        count(*) FILTER (WHERE vcse IS NULL) AS vcse_unknown,
        min(start_date) AS first_date,
        max(end_date) AS last_date,
        (SELECT count(*) FROM {parsed} WHERE row_kind IN ({kinds})) AS problems,
        (SELECT map(list(row_kind), list(n)) FROM (
            SELECT row_kind, count(*) AS n FROM {parsed} WHERE row_kind <> 'contract'
            GROUP BY row_kind ORDER BY row_kind)) AS skipped
    FROM {parsed} WHERE row_kind = 'contract'
    """


def insert_contracts_sql(parsed: str) -> str:
    """Append the contracts of a parsed file to the workspace."""
    return f"""
    INSERT INTO contracts (file_id, source_row, reference, title, department, description, supplier_name,
        supplier_id, company_number, value_whole_life, value_annual, start_date, end_date, review_date,
        extension_options, route, sme, vcse, charity_number, cpv_code, proclass_code, extra, source)
    SELECT $file_id, line, reference, title, department, description, supplier_name, supplier_id,
           company_number, value_whole_life, value_annual, start_date, end_date, review_date,
           extension_options, route, sme, vcse, charity_number, cpv_code, proclass_code, extra, 'register'
    FROM {parsed}
    WHERE row_kind = 'contract'
    ORDER BY line
    """
