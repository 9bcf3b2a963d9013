"""DuckDB macros that turn published text into money, dates and financial years, in bulk.

They are (re)created on every open of a workspace, so the file always runs this code's rules.
Each parser returns NULL for an empty cell and NULL for text it cannot read; the loaders tell
the two apart (an empty cell is skipped, unreadable text refuses the file with its line).
"""

from __future__ import annotations

# The date formats councils publish, day-first (UK). Two-digit-year forms come before their
# four-digit twins: '%Y' would read '24' as the year 24, while '%y' fails on '2024'.
DATE_FORMATS: tuple[str, ...] = (
    "%d/%m/%y",
    "%d/%m/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%d-%b-%y",
    "%d-%b-%Y",
    "%d-%B-%Y",
    "%d-%m-%y",
    "%d-%m-%Y",
    "%d.%m.%y",
    "%d.%m.%Y",
    "%d %b %y",
    "%d %b %Y",
    "%d %B %Y",
    "%Y/%m/%d",
    "%Y%m%d",
)

_FORMAT_LIST = "[" + ", ".join(f"'{fmt}'" for fmt in DATE_FORMATS) + "]"
# Months as published, tried where a cell is not a day ('.' is read as a space first: 'Sep.2014').
# Two-digit years first, as for DATE_FORMATS ('%Y' reads 'Sep-14' as the year 14).
MONTH_FORMATS: tuple[str, ...] = ("%b %y", "%b-%y", "%B %y", "%B-%y", "%b %Y", "%B %Y", "%b-%Y", "%B-%Y",
                                  "%m/%Y", "%Y-%m", "%Y/%m", "%b%Y", "%B%Y", "%m-%Y")
MONTH_FORMAT_LIST = "[" + ", ".join(f"'{fmt}'" for fmt in MONTH_FORMATS) + "]"

# What systems write in an identifier cell that has no identifier. Read as an id, 'N/A' would make
# every supplier published with it one supplier.
NO_ID_WORDS: tuple[str, ...] = (
    "-", "--", "0", "?", "n/a", "na", "n.a.", "nan", "null", "none", "#n/a", "unknown", "not known", "tbc", "tbd",
)

# A number with optional thousands commas in groups of three, decimals and an exponent.
# '1.234,56' (continental style) does not match, so it is refused rather than misread.
_NUMBER_PATTERN = r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d*)?([eE][+-]?\d+)?$"

MACROS: tuple[str, ...] = (
    # Whitespace-only and NULL cells are both "empty". Staging has already made no-break spaces
    # plain and dropped stray byte-order marks (ingest.text.plain_spaces).
    """
    CREATE OR REPLACE MACRO sp_clean(x) AS
        nullif(trim(x), '')
    """,
    # '£1,234.56', ' 1,234.56 ', '-£9.9', '(123.45)', '6.82121E-13', '1234.5-', '12.00 CR' -> exact
    # pence, or NULL when the text is not a number. Plain string functions, not regular
    # expressions, do the common work: this runs on every published line.
    """
    CREATE OR REPLACE MACRO sp_amount_stripped(x) AS
        replace(replace(replace(upper(sp_clean(x)), '£', ''), 'GBP', ''), ' ', '')
    """,
    """
    CREATE OR REPLACE MACRO sp_amount_signed(t) AS
        CASE
            WHEN starts_with(t, '(') AND ends_with(t, ')') THEN '-' || substr(t, 2, length(t) - 2)
            WHEN ends_with(t, '-') AND NOT starts_with(t, '-') THEN '-' || substr(t, 1, length(t) - 1)
            WHEN ends_with(t, 'CR') AND NOT starts_with(t, '-') THEN '-' || substr(t, 1, length(t) - 2)
            ELSE t
        END
    """,
    # Commas must group thousands ('1.234,56' is refused, not misread); '_' is refused although a
    # cast would read '1_000'. Rounded half away from zero from the text, never through a float.
    # The cast to pence rounds exactly, except for an exponent ('6.82121E-13'), which goes through
    # twelve places first; an amount beyond DECIMAL(18, 2) is not read (NULL), never an error.
    f"""
    CREATE OR REPLACE MACRO sp_amount_decimal(t) AS
        CASE WHEN NOT contains(t, '_') AND (NOT contains(t, ',') OR regexp_matches(t, '{_NUMBER_PATTERN}'))
             THEN CASE WHEN contains(t, 'E') OR contains(t, 'e')
                       THEN TRY_CAST(TRY_CAST(replace(t, ',', '') AS DECIMAL(38, 12)) AS DECIMAL(18, 2))
                       ELSE TRY_CAST(replace(t, ',', '') AS DECIMAL(18, 2)) END
        END
    """,
    """
    CREATE OR REPLACE MACRO sp_parse_amount(x) AS
        sp_amount_decimal(sp_amount_signed(sp_amount_stripped(x)))
    """,
    # An identifier (supplier id, company number), cleaned, or NULL when it is a placeholder (NO_ID_WORDS).
    f"""
    CREATE OR REPLACE MACRO sp_known_id(t) AS
        CASE WHEN lower(t) IN ({", ".join(f"'{w}'" for w in NO_ID_WORDS)}) THEN NULL ELSE t END
    """,
    # Day-first dates in the formats above, and Excel serial day numbers (1900 date system).
    f"""
    CREATE OR REPLACE MACRO sp_parse_date(x) AS (
        CASE
            WHEN sp_clean(x) IS NULL THEN NULL
            WHEN regexp_matches(sp_clean(x), '^[0-9]{{5}}(\\.[0-9]+)?$')
                THEN CAST(DATE '1899-12-30'
                          + CAST(floor(CAST(sp_clean(x) AS DOUBLE)) AS INTEGER) AS DATE)
            ELSE CAST(try_strptime(sp_clean(x), {_FORMAT_LIST}) AS DATE)
        END
    )
    """,
    # A month as published: 'Sep 2014', 'September 2014', 'Sep-14', '09/2014', '2014-09'. Its first day, or NULL.
    f"""
    CREATE OR REPLACE MACRO sp_month_start(t) AS
        CAST(try_strptime(regexp_replace(replace(lower(t), '.', ' '), '\\bsept\\b', 'sep'), {MONTH_FORMAT_LIST}) AS DATE)
    """,
    # A date that is not a day: a month, a financial quarter ('Q1 2014/15', '2014/15 Q1', UK quarters from
    # April), a calendar quarter ('Q3 2010') or a period of months ('July 2010-September 2010', 'Jul-Sep 2010').
    # A struct of its first and last day and its precision ('month', 'quarter' or 'period'), or NULL.
    r"""
    CREATE OR REPLACE MACRO sp_period_struct(first_day, last_day) AS
        CASE WHEN first_day IS NOT NULL AND last_day IS NOT NULL AND last_day >= first_day
             THEN struct_pack(first_day := first_day, last_day := last_day,
                              precision := CASE WHEN day(first_day) <> 1 OR last_day <> last_day(last_day) THEN 'period'
                                                WHEN date_diff('month', first_day, last_day) = 0 THEN 'month'
                                                WHEN date_diff('month', first_day, last_day) = 2 THEN 'quarter'
                                                ELSE 'period' END) END
    """,
    r"""
    CREATE OR REPLACE MACRO sp_fy_quarter_start(fy, q) AS
        CAST(make_date(CAST(fy AS BIGINT), 4, 1) + to_months(3 * (CAST(q AS INTEGER) - 1)) AS DATE)
    """,
    r"""
    CREATE OR REPLACE MACRO sp_parse_period(x) AS (
        WITH t AS (SELECT lower(trim(regexp_replace(x, '\s+', ' ', 'g'))) AS t)
        SELECT CASE
            WHEN sp_month_start(t) IS NOT NULL
                THEN sp_period_struct(sp_month_start(t), last_day(sp_month_start(t)))
            WHEN regexp_matches(t, '^(q|quarter|qtr) ?[1-4] ?,? (fy ?)?[0-9]{4} ?[/-] ?[0-9]{2,4}$')
                THEN sp_period_struct(
                    sp_fy_quarter_start(regexp_extract(t, '([0-9]{4})', 1), regexp_extract(t, '^[a-z]+ ?([1-4])', 1)),
                    last_day(sp_fy_quarter_start(regexp_extract(t, '([0-9]{4})', 1),
                                                 regexp_extract(t, '^[a-z]+ ?([1-4])', 1)) + INTERVAL 2 MONTH))
            WHEN regexp_matches(t, '^(fy ?)?[0-9]{4} ?[/-] ?[0-9]{2,4},? (q|quarter|qtr) ?[1-4]$')
                THEN sp_period_struct(
                    sp_fy_quarter_start(regexp_extract(t, '([0-9]{4})', 1), regexp_extract(t, '([1-4])$', 1)),
                    last_day(sp_fy_quarter_start(regexp_extract(t, '([0-9]{4})', 1),
                                                 regexp_extract(t, '([1-4])$', 1)) + INTERVAL 2 MONTH))
            WHEN regexp_matches(t, '^(q|quarter|qtr) ?[1-4],? [0-9]{4}$')
                THEN sp_period_struct(
                    make_date(CAST(regexp_extract(t, '([0-9]{4})', 1) AS BIGINT),
                              3 * CAST(regexp_extract(t, '^[a-z]+ ?([1-4])', 1) AS BIGINT) - 2, 1),
                    last_day(make_date(CAST(regexp_extract(t, '([0-9]{4})', 1) AS BIGINT),
                                       3 * CAST(regexp_extract(t, '^[a-z]+ ?([1-4])', 1) AS BIGINT), 1)))
            WHEN regexp_matches(t, '^(.+?) ?(-|–|to) ?(.+)$')
                THEN sp_period_struct(
                    coalesce(CAST(try_strptime(regexp_extract(t, '^(.+?) ?(-|–|to) ?(.+)$', 1), {FORMAT_LIST}) AS DATE),
                             sp_month_start(regexp_extract(t, '^(.+?) ?(-|–|to) ?(.+)$', 1)),
                             sp_month_start(regexp_extract(t, '^(.+?) ?(-|–|to) ?(.+)$', 1) || ' '
                                            || strftime(sp_month_start(regexp_extract(t, '^(.+?) ?(-|–|to) ?(.+)$', 3)), '%Y'))),
                    coalesce(CAST(try_strptime(regexp_extract(t, '^(.+?) ?(-|–|to) ?(.+)$', 3), {FORMAT_LIST}) AS DATE),
                             last_day(sp_month_start(regexp_extract(t, '^(.+?) ?(-|–|to) ?(.+)$', 3)))))
        END FROM t
    )
    """.replace("{FORMAT_LIST}", _FORMAT_LIST),
    # The UK public-sector financial year starts on 1 April.
    """
    CREATE OR REPLACE MACRO sp_fy_start(d) AS
        CAST(year(d) - CASE WHEN month(d) < 4 THEN 1 ELSE 0 END AS SMALLINT)
    """,
    """
    CREATE OR REPLACE MACRO sp_fy_label(start_year) AS
        CAST(start_year AS VARCHAR) || '/' || lpad(CAST((start_year + 1) % 100 AS VARCHAR), 2, '0')
    """,
    # Payees withheld under data protection law: the spend is real, the name is not published.
    """
    CREATE OR REPLACE MACRO sp_is_redacted(name) AS
        coalesce(regexp_matches(lower(name),
            '^\\W*(redacted|withheld|personal data|data protection)|redacted under|personal data\\W*$'),
            false)
    """,
    # Yes/No style flags from registers: Y, Yes, TRUE, 1 / N, No, FALSE, 0; anything else unknown.
    """
    CREATE OR REPLACE MACRO sp_parse_flag(x) AS
        CASE
            WHEN lower(sp_clean(x)) IN ('y', 'yes', 'true', '1', 'sme', 'vcse') THEN true
            WHEN lower(sp_clean(x)) IN ('n', 'no', 'false', '0', 'non-sme') THEN false
        END
    """,
    # A payee's name reduced to what identifies the business: case, punctuation, '&'/'and', masked bank
    # digits ('****1234', '(****9936)'), legal suffixes (Ltd, Limited, PLC, LLP ...) and a trailing
    # trading-as name do not make a different supplier.
    r"""
    CREATE OR REPLACE MACRO sp_supplier_name_key(name) AS
        regexp_replace(regexp_replace(trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
            strip_accents(lower(name)),
            '\(?\*{2,}\s*[0-9]*\)?', ' ', 'g'),
            '\s+(t/a|trading as)\s+.*$', '', 'g'),
            '&', ' and ', 'g'),
            '[^a-z0-9]+', ' ', 'g')),
            '^the ', ''),
            '( (ltd|limited|plc|llp|l l p|co|company|inc|cic|uk))+$', '')
    """,
)
