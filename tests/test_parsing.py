"""Amount and date parsing in SQL, checked against Python's own exact arithmetic."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sp_analysis import sql_macros


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    for statement in sql_macros.MACROS:
        connection.execute(statement)
    return connection


def parse_amount(con: duckdb.DuckDBPyConnection, text: str | None) -> Decimal | None:
    return con.execute("SELECT sp_parse_amount($t)", {"t": text}).fetchone()[0]


def parse_date(con: duckdb.DuckDBPyConnection, text: str | None) -> dt.date | None:
    return con.execute("SELECT sp_parse_date($t)", {"t": text}).fetchone()[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", "1234.50"),
        ("1,234.56", "1234.56"),
        ("£1,234.56", "1234.56"),
        (" 1,234.56 ", "1234.56"),
        ("-£9.9", "-9.90"),
        ("£-9.90", "-9.90"),
        ("(123.45)", "-123.45"),
        ("6.82121E-13", "0.00"),
        ("-1906.5800000000002", "-1906.58"),
        ("579.0799999999999", "579.08"),
        ("0.005", "0.01"),
        ("-0.005", "-0.01"),
        ("1234.5-", "-1234.50"),
        ("100.00 CR", "-100.00"),
        ("GBP 12", "12.00"),
        ("\u00a0530.00\u00a0", "530.00"),
        ("18,960.00", "18960.00"),
        ("1e3", "1000.00"),
        ("0.0049999999999999", "0.00"),  # rounded once, from the text (not via twelve places)
        ("9999999999999999.99", "9999999999999999.99"),
    ],
)
def test_amounts_councils_publish(con: duckdb.DuckDBPyConnection, text: str, expected: str) -> None:
    assert parse_amount(con, text) == Decimal(expected)


@pytest.mark.parametrize(
    "text", ["1.234,56", "12abc", "abc", "1,23", ".", "-", "£", "1 2 3,4", "N/A", "1_000", "NaN", "inf",
             "10000000000000000.00", "1e20"],
)
def test_text_that_is_not_money_is_refused(con: duckdb.DuckDBPyConnection, text: str) -> None:
    assert parse_amount(con, text) is None


@pytest.mark.parametrize("text", [None, "", "   ", "\u00a0"])
def test_empty_cells_are_null(con: duckdb.DuckDBPyConnection, text: str | None) -> None:
    assert parse_amount(con, text) is None
    assert parse_date(con, text) is None


def _grouped(value: Decimal) -> str:
    return f"{abs(value):,.2f}"


@settings(max_examples=300, deadline=None)
@given(
    pence=st.integers(min_value=-10**13, max_value=10**13),
    style=st.sampled_from(["plain", "grouped", "pound", "padded", "parens", "quoted_pound"]),
)
def test_any_amount_in_any_published_style_is_exact(con: duckdb.DuckDBPyConnection, pence: int, style: str) -> None:
    value = Decimal(pence) / 100
    sign = "-" if value < 0 else ""
    text = {
        "plain": f"{value:.2f}",
        "grouped": f"{sign}{_grouped(value)}",
        "pound": f"{sign}£{_grouped(value)}",
        "padded": f" {sign}{_grouped(value)} ",
        "parens": f"({_grouped(value)})" if value < 0 else _grouped(value),
        "quoted_pound": f"£{sign}{abs(value):.2f}",
    }[style]
    assert parse_amount(con, text) == value


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=-10**9, max_value=10**9, places=6, allow_nan=False, allow_infinity=False))
def test_float_artefacts_round_half_away_from_zero(con: duckdb.DuckDBPyConnection, value: Decimal) -> None:
    expected = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert parse_amount(con, str(value)) == expected


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2060, 12, 31)),
       st.sampled_from(["%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%d-%b-%y", "%d-%b-%Y", "%d-%B-%Y", "%Y-%m-%d",
                        "%d/%m/%y", "%d.%m.%Y", "%d %B %Y", "upper %d-%b-%Y", "serial"]))
def test_any_date_in_any_published_style(con: duckdb.DuckDBPyConnection, day: dt.date, style: str) -> None:
    if style == "serial":
        text = str((day - dt.date(1899, 12, 30)).days)
    elif style.startswith("upper "):
        text = day.strftime(style.removeprefix("upper ")).upper()
    else:
        text = dt.datetime.combine(day, dt.time()).strftime(style)
    if style in ("%d-%b-%y", "%d/%m/%y") and not 1969 <= day.year <= 2068:
        return  # two-digit years are read in the 1969-2068 window
    assert parse_date(con, text) == day


@pytest.mark.parametrize("text", ["31/02/2024", "2024-13-01", "yesterday", "13/13/13", "1/1"])
def test_text_that_is_not_a_date_is_refused(con: duckdb.DuckDBPyConnection, text: str) -> None:
    assert parse_date(con, text) is None


@pytest.mark.parametrize(
    ("day", "label"),
    [("2024-03-31", "2023/24"), ("2024-04-01", "2024/25"), ("2025-12-31", "2025/26"), ("1999-06-01", "1999/00")],
)
def test_financial_year_runs_april_to_march(con: duckdb.DuckDBPyConnection, day: str, label: str) -> None:
    assert con.execute("SELECT sp_fy_label(sp_fy_start(CAST($d AS DATE)))", {"d": day}).fetchone()[0] == label


@pytest.mark.parametrize(
    ("name", "redacted"),
    [("REDACTED UNDER DP ACT", True), ("Redacted", True), ("REDACTED PERSONAL DATA", True),
     ("Personal Data", True), ("Acme Care Ltd", False), ("Redactor Printing Ltd", False)],
)
def test_redacted_payees(con: duckdb.DuckDBPyConnection, name: str, redacted: bool) -> None:
    assert con.execute("SELECT sp_is_redacted($n)", {"n": name}).fetchone()[0] is redacted
