"""Spend lines: from a staged file to typed payments, with the rows that are not payments counted.

A payment is a published row with a readable amount, a date and a payee. Blank rows, rows with
only the body's name, totals rows and report footers are skipped and counted. Text that should be
a date or an amount but cannot be read refuses the whole file, naming the line.
"""

from __future__ import annotations

import datetime as dt

from sp_analysis.ingest.source import StagedSource
from sp_analysis.sql_macros import DATE_FORMATS

# Dates outside this window are taken as typing errors, not payments.
EARLIEST_PLAUSIBLE_DATE = dt.date(1990, 1, 1)
LATEST_PLAUSIBLE_YEARS_AHEAD = 1

# Row kinds, in the order the CASE below decides them.
SKIP_REASONS = {
    "blank": "blank row",
    "totals": "totals row",
    "text_only": "text without an amount (titles, footers, the body's name alone)",
    "no_date": "amount without a date",
    "no_payee": "amount and date without a payee",
}


def parse_spend_sql(src: StagedSource, parsed: str) -> str:
    """CREATE TEMP TABLE `parsed`: each staged row typed and given a kind (payment or skip reason).

    Binds $date_format (the file's own, from `date_format_sql`), $earliest, $latest and, when the
    file has columns we do not map, $extra_keys.
    """
    all_cells = ", ".join(f"c{i}" for i in range(src.width))
    named_cells = [f"c{i}" for i in range(src.width) if i not in src.unnamed()]
    extra = src.unmapped()
    if extra:
        # Header names are bound as $extra_keys, never written into the SQL.
        values = ", ".join(f"sp_clean(c{pos})" for _, pos in extra)
        extra_sql = f"map($extra_keys, [{values}])"
    else:
        extra_sql = "NULL::MAP(VARCHAR, VARCHAR)"
    # Cells past the header's last column mean a row was split (an unquoted comma, say).
    beyond = [f"sp_clean(c{i}) IS NOT NULL" for i in range(len(src.header), src.width)]
    overflow = " OR ".join(beyond) or "false"
    col = src.column
    return f"""
    CREATE TEMP TABLE {parsed} AS
    WITH cells AS (
        SELECT
            line,
            sp_clean({col('payment_date')}) AS date_text,
            sp_clean({col('amount')}) AS amount_text,
            sp_amount_stripped({col('amount')}) AS amount_stripped,
            sp_clean({col('supplier_name')}) AS supplier_name,
            sp_clean({col('supplier_id')}) AS supplier_id,
            sp_clean({col('department')}) AS department,
            sp_clean({col('expense_type')}) AS expense_type,
            sp_clean({col('expense_code')}) AS expense_code,
            sp_clean({col('transaction_ref')}) AS transaction_ref,
            sp_clean({col('body')}) AS body,
            sp_clean({col('creditor_type')}) AS creditor_type,
            sp_clean({col('vat_number')}) AS vat_number,
            sp_clean({col('invoice_ref')}) AS invoice_ref,
            {extra_sql} AS extra,
            sp_clean(concat({", ".join(named_cells) or "NULL"})) IS NOT NULL AS has_any,
            ({overflow}) AS overflow,
            -- A quote that never closes swallows the lines after it into one cell: a line break
            -- followed by what looks like whole rows (many delimiters) means broken quoting.
            CASE WHEN contains(concat({all_cells}), chr(10))
                 THEN length(regexp_replace(regexp_extract(concat_ws(' ', {all_cells}), '(?s)\\n(.*)$', 1),
                                            $not_delimiter, '', 'g')) >= $row_cells
                 ELSE false END AS broken_quote,
            -- Only rows lacking a date or payee can be totals rows: only they pay for this.
            CASE WHEN sp_clean({col('payment_date')}) IS NULL OR sp_clean({col('supplier_name')}) IS NULL
                 THEN regexp_matches(lower(concat_ws(' ', {all_cells})), '(^|\\W)(grand )?totals?(\\W|$)')
                 ELSE false END AS says_total
        FROM {src.table}
    ),
    -- sp_parse_amount's steps, one CTE each: a macro expands its argument at every use, so
    -- nesting them here would repeat the string work many times over on every line.
    signed AS (SELECT * EXCLUDE (amount_stripped), sp_amount_signed(amount_stripped) AS amount_signed FROM cells),
    typed AS (
        SELECT * EXCLUDE (amount_signed),
            CAST(coalesce(try_strptime(date_text, $date_format), sp_parse_date(date_text)) AS DATE) AS payment_date,
            sp_amount_decimal(amount_signed) AS amount
        FROM signed
    )
    SELECT *,
        CASE
            WHEN broken_quote THEN 'broken_quote'
            WHEN NOT has_any THEN 'blank'
            WHEN amount_text IS NULL THEN 'text_only'
            WHEN amount IS NULL THEN 'bad_amount'
            WHEN date_text IS NULL AND supplier_name IS NULL THEN 'totals'
            WHEN says_total THEN 'totals'
            WHEN date_text IS NULL THEN 'no_date'
            WHEN payment_date IS NULL THEN 'bad_date'
            WHEN payment_date < $earliest OR payment_date > $latest THEN 'date_out_of_range'
            WHEN supplier_name IS NULL THEN 'no_payee'
            ELSE 'payment'
        END AS row_kind
    FROM typed
    """


def date_format_sql(src: StagedSource, sample_rows: int = 500) -> str:
    """One row: for each known date format, how many of the first dates it reads (to pick the file's)."""
    counts = ", ".join(
        f"count(try_strptime(d, '{fmt}'))" for fmt in DATE_FORMATS
    )
    return f"""
    SELECT {counts} FROM (
        SELECT sp_clean({src.column('payment_date')}) AS d FROM {src.table}
        WHERE sp_clean({src.column('payment_date')}) IS NOT NULL LIMIT {int(sample_rows)}
    )
    """


PROBLEM_KINDS = {
    "bad_amount": ("amount", "amount_text", "the amount is not a number"),
    "bad_date": ("payment_date", "date_text", "the date is not one this tool can read (day first, e.g. 31/03/2025)"),
    "date_out_of_range": ("payment_date", "date_text", "the date is implausible (before 1990 or more than a year ahead)"),
}


def problems_sql(parsed: str) -> str:
    """Rows that refuse the file: unreadable amounts and dates, over-long rows; first 50 by line."""
    return f"""
    SELECT line, row_kind, amount_text, date_text, overflow FROM {parsed}
    WHERE row_kind IN ('bad_amount', 'bad_date', 'date_out_of_range', 'broken_quote')
       OR (overflow AND row_kind NOT IN ('blank', 'text_only'))
    ORDER BY line
    LIMIT 50
    """


def quality_sql(parsed: str) -> str:
    """One row of figures for the quality report."""
    return f"""
    WITH pay AS (SELECT * FROM {parsed} WHERE row_kind = 'payment'),
    dupes AS (
        SELECT count(*) - count(DISTINCT (payment_date, amount, supplier_name, supplier_id,
               transaction_ref, department, expense_type, expense_code, invoice_ref)) AS repeated
        FROM pay
    ),
    refs AS (
        SELECT count(*) AS repeated_refs FROM (
            SELECT transaction_ref FROM pay WHERE transaction_ref IS NOT NULL
            GROUP BY transaction_ref HAVING count(*) > 1)
    )
    SELECT
        (SELECT count(*) FROM {parsed}) AS rows_read,
        count(*) AS payments,
        coalesce(sum(amount), 0) AS total,
        count(*) FILTER (WHERE amount < 0) AS credit_notes,
        coalesce(sum(amount) FILTER (WHERE amount < 0), 0) AS credit_total,
        count(*) FILTER (WHERE sp_is_redacted(supplier_name)) AS redacted,
        min(payment_date) AS first_date,
        max(payment_date) AS last_date,
        (SELECT repeated FROM dupes) AS repeated_lines,
        (SELECT repeated_refs FROM refs) AS repeated_transaction_refs,
        (SELECT list(amount ORDER BY line) FROM {parsed} WHERE row_kind = 'totals') AS published_totals,
        (SELECT map(list(row_kind), list(n)) FROM (
            SELECT row_kind, count(*) AS n FROM {parsed} WHERE row_kind <> 'payment'
            GROUP BY row_kind ORDER BY row_kind)) AS skipped
    FROM pay
    """


def insert_payments_sql(parsed: str) -> str:
    """Append the payments of a parsed file to the workspace."""
    return f"""
    INSERT INTO payments
    SELECT $file_id, line, payment_date, sp_fy_label(sp_fy_start(payment_date)),
           sp_fy_start(payment_date), date_trunc('month', payment_date), amount, supplier_name,
           supplier_id, sp_is_redacted(supplier_name), department, expense_type, expense_code,
           transaction_ref, body, creditor_type, vat_number, invoice_ref, extra
    FROM {parsed}
    WHERE row_kind = 'payment'
    ORDER BY line
    """
