"""Spend lines: from a staged file to typed payments, with the rows that are not payments counted.

A payment is a published row with a readable amount, a date and a payee. Blank rows, rows with
only the body's name, totals rows and report footers are skipped and counted. Text that should be
a date or an amount but cannot be read refuses the whole file, naming the line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sp_analysis.ingest.source import StagedSource
from sp_analysis.sql import as_text_map, text_map_sql, text_struct_sql
from sp_analysis.sql_macros import DATE_FORMATS

# Dates outside this window are taken as typing errors, not payments.
EARLIEST_PLAUSIBLE_DATE = dt.date(1990, 1, 1)
LATEST_PLAUSIBLE_YEARS_AHEAD = 1

# Row kinds, in the order the CASE below decides them.
SKIP_REASONS = {
    "blank": "blank row",
    "header": "a header row repeated lower down",
    "totals": "totals row",
    "text_only": "text without an amount (titles, footers, the body's name alone)",
    "no_payee": "amount and date without a payee",
}
# Lines without a readable date are kept (their money counts) while they are at most this share of a
# file's payments; more than that means the date column is not one this tool can read, and refuses the file.
UNDATED_MAX_SHARE = 0.05


def parse_spend_sql(src: StagedSource, parsed: str, *, create: bool = True, file_column: bool = False) -> str:
    """CREATE TEMP TABLE `parsed` (or INSERT INTO it, for a file's later blocks): each staged row of
    the block typed and given a kind (payment or skip reason).

    Binds $date_format (the file's own: see DATE_FORMAT_COUNTS), $earliest, $latest, $not_delimiter,
    $row_cells, $first_line, $last_line and $header_lines. With `file_column`, `src.relation` holds several
    files of one header shape, each row with its file's number in `sp_file`, which the typed rows keep, with
    the line breaks inside their quoted cells in `sp_breaks`.
    """
    carried = "sp_file, sp_breaks, " if file_column else ""
    all_cells = ", ".join(f"c{i}" for i in range(src.width))
    # Whether any cell holds a line break, asked cell by cell (joining the cells first costs a string a row).
    any_break = "(" + " OR ".join(f"contains(c{i}, chr(10))" for i in range(src.width)) + ")"
    # With several files, each row's line breaks inside quoted cells are counted, so that a file whose records
    # are fewer than its lines can be numbered by its published lines afterwards (see load._number_by_lines).
    breaks = (f"sp_file, CASE WHEN {any_break} THEN length(concat({all_cells})) - "
              f"length(replace(concat({all_cells}), chr(10), '')) ELSE 0 END AS sp_breaks, " if file_column else "")
    unnamed = set(src.unnamed())
    named = [i for i in range(src.width) if i not in unnamed]
    # Each named cell is cleaned once, as k<position>; every later use reads that.
    cleaned = "".join(f"sp_clean(c{i}) AS k{i}, " for i in named)

    def cell(canonical: str) -> str:
        position = src.mapping.get(canonical)
        return "NULL::VARCHAR" if position is None or position not in named else f"k{position}"

    # The columns we do not map, kept under their header names (quoted as SQL literals).
    # Files typed together share one header shape, so a struct (made a map as the payments are inserted: see
    # `as_text_map`); a file typed on its own may add blocks of other columns to its table, so a map at once.
    unmapped = [(name, f"k{pos}") for name, pos in src.unmapped()]
    extra_sql = text_struct_sql(unmapped) if file_column else text_map_sql(unmapped)
    named_cells = ", ".join(f"k{i}" for i in named) or "NULL"
    has_any = f"coalesce({named_cells}) IS NOT NULL" if named else "false"
    # Cells past the header's last column mean a row was split (an unquoted comma, say).
    beyond = [f"sp_clean(c{i}) IS NOT NULL" for i in range(len(src.header), src.width)]
    overflow = " OR ".join(beyond) or "false"
    date_cell, payee_cell = src.column("payment_date"), src.column("supplier_name")
    payee_position = src.mapping.get("supplier_name")
    # A totals row says so outside the payee's cell ('Total Gas & Power Ltd' is a supplier), or its payee is 'Total'.
    not_payee = ", ".join(f"c{i}" for i in range(src.width) if i != payee_position) or "NULL"
    payee = cell("supplier_name")
    redaction = cell("payee_redaction")
    payee_sql = payee if redaction == "NULL::VARCHAR" else f"coalesce({payee}, {redaction})"
    sheet_sql = "sheet" if src.has_sheet_column else "NULL::VARCHAR"
    head = f"CREATE TEMP TABLE {parsed} AS" if create else f"INSERT INTO {parsed}"
    return f"""
    {head}
    WITH raw AS (
        SELECT
            {breaks}line,
            {sheet_sql} AS sheet,
            {cleaned}
            ({overflow}) AS overflow,
            -- A quote that never closes swallows the lines after it into one cell: a line break
            -- followed by what looks like whole rows (many delimiters) means broken quoting.
            CASE WHEN {any_break}
                 THEN length(regexp_replace(regexp_extract(concat_ws(' ', {all_cells}), '(?s)\\n(.*)$', 1),
                                            $not_delimiter, '', 'g')) >= $row_cells
                 ELSE false END AS broken_quote,
            -- Only rows lacking a date (or a readable one) or a payee can be totals rows: only they pay for this.
            CASE WHEN sp_clean({date_cell}) IS NULL OR sp_clean({payee_cell}) IS NULL
                      OR NOT regexp_matches(sp_clean({date_cell}), '[0-9]')
                 THEN regexp_matches(lower(concat_ws(' ', {not_payee})), '(^|\\W)(grand )?totals?(\\W|$)')
                      OR regexp_matches(lower(coalesce(sp_clean({payee_cell}), '')), '^(grand )?totals?\\W*$')
                 ELSE false END AS says_total,
            list_contains($header_lines, line) AS is_header
        FROM {src.relation}
        WHERE line BETWEEN $first_line AND $last_line
    ),
    cells AS (
        SELECT
            {carried}line, sheet,
            {cell('payment_date')} AS date_text,
            {cell('amount')} AS amount_text,
            replace(replace(replace(upper({cell('amount')}), '£', ''), 'GBP', ''), ' ', '') AS amount_stripped,
            {payee_sql} AS supplier_name,
            sp_known_id({cell('supplier_id')}) AS supplier_id,
            {cell('department')} AS department,
            {cell('expense_type')} AS expense_type,
            {cell('expense_code')} AS expense_code,
            {cell('transaction_ref')} AS transaction_ref,
            {cell('body')} AS body,
            {cell('creditor_type')} AS creditor_type,
            {cell('vat_number')} AS vat_number,
            {cell('invoice_ref')} AS invoice_ref,
            {cell('expense_category')} AS expense_category,
            {cell('proclass_code')} AS proclass_code,
            {cell('proclass_label')} AS proclass_label,
            {cell('invoice_date')} AS invoice_date_text,
            {cell('received_date')} AS received_date_text,
            {extra_sql} AS extra,
            {has_any} AS has_any,
            -- A row with no digit anywhere and no amount may be a second table's header (checked in Python).
            -- An amount cell with a digit rules that out at once, before the amount is parsed.
            CASE WHEN {has_any} AND NOT regexp_matches(coalesce({cell('amount')}, ''), '[0-9]')
                 THEN sp_parse_amount({cell('amount')}) IS NULL
                      AND NOT regexp_matches(concat_ws(' ', {named_cells}), '[0-9]')
                 ELSE false END AS maybe_header,
            overflow, broken_quote, says_total, is_header
        FROM raw
    ),
    -- sp_parse_amount's steps, one CTE each: a macro expands its argument at every use, so
    -- nesting them here would repeat the string work many times over on every line.
    signed AS (SELECT * EXCLUDE (amount_stripped), sp_amount_signed(amount_stripped) AS amount_signed FROM cells),
    days AS (
        SELECT * EXCLUDE (amount_signed, invoice_date_text, received_date_text),
            CAST(coalesce(try_strptime(date_text, $date_format), sp_parse_date(date_text)) AS DATE) AS day_date,
            sp_amount_decimal(amount_signed) AS amount,
            CAST(coalesce(try_strptime(invoice_date_text, $date_format), sp_parse_date(invoice_date_text)) AS DATE)
                AS invoice_date,
            CAST(coalesce(try_strptime(received_date_text, $date_format), sp_parse_date(received_date_text)) AS DATE)
                AS received_date
        FROM signed
    ),
    -- A month ('Sep 2014'), a quarter ('Q1 2014/15') or a period ('July 2010-September 2010'): only where
    -- the text is not a day.
    periods AS (
        SELECT *, CASE WHEN day_date IS NULL AND date_text IS NOT NULL THEN sp_parse_period(date_text) END AS period
        FROM days
    ),
    typed AS (
        SELECT * EXCLUDE (day_date, period),
            coalesce(day_date, period.first_day) AS payment_date,
            coalesce(day_date, period.last_day) AS date_end,
            CASE WHEN day_date IS NOT NULL THEN 'day' WHEN period IS NOT NULL THEN period.precision
                 ELSE 'none' END AS date_precision
        FROM periods
    )
    SELECT *,
        CASE
            WHEN broken_quote THEN 'broken_quote'
            WHEN NOT has_any THEN 'blank'
            WHEN is_header THEN 'header'
            WHEN amount_text IS NULL THEN 'text_only'
            WHEN amount IS NULL THEN 'bad_amount'
            WHEN date_text IS NULL AND supplier_name IS NULL THEN 'totals'
            WHEN says_total THEN 'totals'
            WHEN payment_date IS NULL AND date_text IS NOT NULL AND regexp_matches(date_text, '[0-9]') THEN 'bad_date'
            WHEN payment_date < $earliest OR payment_date > $latest THEN 'date_out_of_range'
            WHEN supplier_name IS NULL THEN 'no_payee'
            ELSE 'payment'
        END AS row_kind
    FROM typed
    """


# For each known date format, how many of the file's first dates ($dates, as published) it reads:
# the one that reads most is the file's own, tried first on every line.
DATE_FORMAT_COUNTS = f"""
SELECT {", ".join(f"count(try_strptime(d, '{fmt}'))" for fmt in DATE_FORMATS)}
FROM (SELECT sp_clean(d) AS d FROM unnest($dates::VARCHAR[]) AS t(d))
WHERE d IS NOT NULL
"""
# The same for several files in one statement: $files and $dates are parallel lists (file number, date as
# published); one row per file number with at least one date, the number first.
DATE_FORMAT_COUNTS_BY_FILE = f"""
SELECT f, {", ".join(f"count(try_strptime(d, '{fmt}'))" for fmt in DATE_FORMATS)}
FROM (SELECT f, sp_clean(d) AS d FROM (SELECT unnest($files::INTEGER[]) AS f, unnest($dates::VARCHAR[]) AS d))
WHERE d IS NOT NULL
GROUP BY f
"""


PROBLEM_KINDS = {
    "bad_amount": ("amount", "amount_text", "the amount is not a number"),
    "bad_date": ("payment_date", "date_text", "the date is not one this tool can read (day first, e.g. 31/03/2025)"),
    "date_out_of_range": ("payment_date", "date_text", "the date is implausible (before 1990 or more than a year ahead)"),
}

# Rows that refuse the file: unreadable amounts and dates, broken quoting, over-long rows.
_IS_PROBLEM = """
    (row_kind IN ('bad_amount', 'bad_date', 'date_out_of_range', 'broken_quote')
     OR (overflow AND row_kind NOT IN ('blank', 'text_only')))
"""


def problems_sql(parsed: str) -> str:
    """The first 50 rows, by line, that refuse the file."""
    return f"""
    SELECT line, row_kind, amount_text, date_text, overflow FROM {parsed}
    WHERE {_IS_PROBLEM}
    ORDER BY line
    LIMIT 50
    """


def quality_sql(parsed: str) -> str:
    """One row of figures for the quality report (and `problems`: how many rows refuse the file)."""
    # One home for the figures: `quality_by_file_sql` over the file as the only file of its table, joined to one
    # row so that a file with no rows still gets its figures (counts and sums of nothing are 0).
    return f"""
    SELECT q.* EXCLUDE (sp_file) REPLACE (
        coalesce(q.rows_read, 0) AS rows_read, coalesce(q.payments, 0) AS payments,
        coalesce(q.all_money, 0) AS all_money, coalesce(q.not_loaded_total, 0) AS not_loaded_total,
        coalesce(q.undated, 0) AS undated, coalesce(q.undated_total, 0) AS undated_total,
        coalesce(q.total, 0) AS total, coalesce(q.credit_notes, 0) AS credit_notes,
        coalesce(q.credit_total, 0) AS credit_total, coalesce(q.redacted, 0) AS redacted,
        coalesce(q.repeated_lines, 0) AS repeated_lines,
        coalesce(q.repeated_transaction_refs, 0) AS repeated_transaction_refs,
        coalesce(q.problems, 0) AS problems)
    FROM (SELECT 0 AS sp_file) one
    LEFT JOIN ({quality_by_file_sql(f"(SELECT 0 AS sp_file, * FROM {parsed})")}) q USING (sp_file)
    """


def quality_by_file_sql(parsed: str) -> str:
    """`quality_sql`'s figures for each file of a table typed from several (`sp_file` first, one row per file
    with at least one row; a file with none is measured on its own by `quality_sql`)."""
    return f"""
    WITH pay AS (SELECT * FROM {parsed} WHERE row_kind = 'payment'),
    dupes AS (
        SELECT sp_file, count(*) - count(DISTINCT (payment_date, amount, supplier_name, supplier_id,
               transaction_ref, department, expense_type, expense_code, invoice_ref)) AS repeated
        FROM pay GROUP BY sp_file
    ),
    refs AS (
        SELECT sp_file, count(*) AS repeated_refs FROM (
            SELECT sp_file, transaction_ref FROM pay WHERE transaction_ref IS NOT NULL
            GROUP BY sp_file, transaction_ref HAVING count(*) > 1)
        GROUP BY sp_file
    ),
    skipped_totals AS (
        SELECT sp_file, map(list(row_kind ORDER BY row_kind), list(t ORDER BY row_kind)) AS m FROM (
            SELECT sp_file, row_kind, sum(amount::DECIMAL(38, 2)) AS t FROM {parsed}
            WHERE row_kind NOT IN ('payment', 'totals') AND amount IS NOT NULL
            GROUP BY sp_file, row_kind)
        GROUP BY sp_file
    ),
    skipped_lines AS (
        SELECT sp_file, map(list(row_kind ORDER BY row_kind), list(lines ORDER BY row_kind)) AS m FROM (
            SELECT sp_file, row_kind, list(line ORDER BY line)[1:200] AS lines FROM {parsed}
            WHERE row_kind NOT IN ('payment', 'blank') GROUP BY sp_file, row_kind)
        GROUP BY sp_file
    ),
    skipped AS (
        SELECT sp_file, map(list(row_kind ORDER BY row_kind), list(n ORDER BY row_kind)) AS m FROM (
            SELECT sp_file, row_kind, count(*) AS n FROM {parsed} WHERE row_kind <> 'payment'
            GROUP BY sp_file, row_kind)
        GROUP BY sp_file
    ),
    figures AS (
        SELECT
            sp_file,
            count(*) AS rows_read,
            count(*) FILTER (WHERE row_kind = 'payment') AS payments,
            coalesce(sum(amount::DECIMAL(38, 2)) FILTER (WHERE row_kind <> 'totals'), 0) AS all_money,
            coalesce(sum(amount::DECIMAL(38, 2)) FILTER (WHERE row_kind NOT IN ('payment', 'totals')), 0)
                AS not_loaded_total,
            count(*) FILTER (WHERE row_kind = 'payment' AND date_precision = 'none') AS undated,
            coalesce(sum(amount) FILTER (WHERE row_kind = 'payment' AND date_precision = 'none'), 0) AS undated_total,
            list(line ORDER BY line) FILTER (WHERE row_kind = 'payment' AND date_precision = 'none') AS undated_lines,
            list(DISTINCT date_precision ORDER BY date_precision)
                FILTER (WHERE row_kind = 'payment' AND date_precision <> 'none') AS precisions,
            min(sp_fy_start(payment_date)) FILTER (WHERE row_kind = 'payment') AS first_fy,
            max(sp_fy_start(payment_date)) FILTER (WHERE row_kind = 'payment') AS last_fy,
            coalesce(sum(amount::DECIMAL(38, 2)) FILTER (WHERE row_kind = 'payment'), 0) AS total,
            count(*) FILTER (WHERE row_kind = 'payment' AND amount < 0) AS credit_notes,
            coalesce(sum(amount) FILTER (WHERE row_kind = 'payment' AND amount < 0), 0) AS credit_total,
            count(*) FILTER (WHERE row_kind = 'payment' AND sp_is_redacted(supplier_name)) AS redacted,
            min(payment_date) FILTER (WHERE row_kind = 'payment') AS first_date,
            max(date_end) FILTER (WHERE row_kind = 'payment') AS last_date,
            list(amount ORDER BY line) FILTER (WHERE row_kind = 'totals') AS published_totals,
            count(*) FILTER (WHERE {_IS_PROBLEM}) AS problems
        FROM {parsed}
        GROUP BY sp_file
    )
    SELECT
        f.sp_file, f.rows_read, f.payments, f.all_money, f.not_loaded_total, f.undated, f.undated_total,
        f.undated_lines, f.precisions, f.first_fy, f.last_fy, st.m AS skipped_totals, sl.m AS skipped_lines,
        f.total, f.credit_notes, f.credit_total, f.redacted, f.first_date, f.last_date,
        coalesce(d.repeated, 0) AS repeated_lines, coalesce(r.repeated_refs, 0) AS repeated_transaction_refs,
        f.published_totals, f.problems, sk.m AS skipped
    FROM figures f
    LEFT JOIN dupes d USING (sp_file)
    LEFT JOIN refs r USING (sp_file)
    LEFT JOIN skipped_totals st USING (sp_file)
    LEFT JOIN skipped_lines sl USING (sp_file)
    LEFT JOIN skipped sk USING (sp_file)
    """


def insert_payments_sql(parsed: str) -> str:
    """Append the payments of a parsed file to the workspace (binds $file_id and $undated_fy)."""
    return f"""
    INSERT INTO payments (file_id, source_row, payment_date, financial_year, fy_start, month, amount, supplier_name,
                          supplier_id, is_redacted, department, expense_type, expense_code, transaction_ref, body,
                          creditor_type, vat_number, invoice_ref, extra, date_precision, date_end, sheet,
                          invoice_date, received_date, expense_category, proclass_code, proclass_label)
    SELECT $file_id, line, payment_date, {FY_LABEL_SQL}, fy, date_trunc('month', payment_date), amount, supplier_name,
           supplier_id, sp_is_redacted(supplier_name), department, expense_type, expense_code,
           transaction_ref, body, creditor_type, vat_number, invoice_ref, {as_text_map("extra")}, date_precision,
           date_end, sheet, invoice_date, received_date, expense_category, proclass_code, proclass_label
    FROM (SELECT *, coalesce(sp_fy_start(payment_date), $undated_fy) AS fy FROM {parsed} WHERE row_kind = 'payment')
    ORDER BY line
    """


def insert_many_payments_sql(files: Sequence[tuple[int, str]],
                             groups: Sequence[tuple[str, Sequence[tuple[int, int, int | None]]]] = ()) -> str:
    """Append the payments of several parsed files in one statement, in order of file id.

    `files` are (file id, parsed table), binding $undated_fy_0, $undated_fy_1, ... for each file's undated
    year. `groups` are tables typed from several files (each row's file in `sp_file`) with the files of each
    to insert: (sp_file, file id, undated year); the table's other files are left out.
    """
    extra = as_text_map("extra")  # each table's own struct of the columns it does not map, as a map
    parts = [
        f"SELECT {int(file_id)} AS sp_file_id, * REPLACE ({extra} AS extra), "
        f"coalesce(sp_fy_start(payment_date), $undated_fy_{n}) AS fy "
        f"FROM {table} WHERE row_kind = 'payment'" for n, (file_id, table) in enumerate(files)]
    for table, members in groups:
        ids = ", ".join(f"({int(number)}, {int(file_id)}, CAST({'NULL' if fy is None else int(fy)} AS SMALLINT))"
                        for number, file_id, fy in members)
        parts.append(
            f"SELECT f.sp_file_id, t.* EXCLUDE (sp_file) REPLACE ({extra} AS extra), "
            f"coalesce(sp_fy_start(t.payment_date), f.undated_fy) AS fy "
            f"FROM {table} t JOIN (VALUES {ids}) AS f(sp_file, sp_file_id, undated_fy) ON t.sp_file = f.sp_file "
            f"WHERE t.row_kind = 'payment'")
    return f"""
    INSERT INTO payments (file_id, source_row, payment_date, financial_year, fy_start, month, amount, supplier_name,
                          supplier_id, is_redacted, department, expense_type, expense_code, transaction_ref, body,
                          creditor_type, vat_number, invoice_ref, extra, date_precision, date_end, sheet,
                          invoice_date, received_date, expense_category, proclass_code, proclass_label)
    SELECT sp_file_id, line, payment_date, {FY_LABEL_SQL}, fy, date_trunc('month', payment_date), amount, supplier_name,
           supplier_id, sp_is_redacted(supplier_name), department, expense_type, expense_code,
           transaction_ref, body, creditor_type, vat_number, invoice_ref, extra, date_precision, date_end, sheet,
           invoice_date, received_date, expense_category, proclass_code, proclass_label
    FROM ({" UNION ALL BY NAME ".join(parts)})
    ORDER BY sp_file_id, line
    """


# A payment's financial year label; 'Year not known' for a line without a date in a file spanning years.
YEAR_NOT_KNOWN = "Year not known"
FY_LABEL_SQL = f"coalesce(sp_fy_label(fy), '{YEAR_NOT_KNOWN}')"
