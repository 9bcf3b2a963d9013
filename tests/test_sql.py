"""The SQL helpers: names quoted so no name can break out of its quotes, and parameters bound by name."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from sp_analysis.sql import fetch_frame, named_params, quote_identifier, quote_literal, row_dict, run, scalar_int

HOSTILE = ['plain', 'with space', 'a"b', '"; DROP TABLE keep; --', "it's", '"', '""', 'x" , "y', "é—\N{EM DASH}",
           "tab\there", "line\nbreak", "semi;colon", "$name"]


@pytest.fixture
def cur() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE keep (n INTEGER)")
    con.execute("INSERT INTO keep VALUES (1), (2)")
    return con


@pytest.mark.parametrize("name", HOSTILE)
def test_a_quoted_name_is_exactly_that_name(cur: duckdb.DuckDBPyConnection, name: str) -> None:
    cur.execute(f"CREATE TABLE {quote_identifier(name)} ({quote_identifier(name + ' col')} INTEGER)")
    cur.execute(f"INSERT INTO {quote_identifier(name)} VALUES (7)")
    assert cur.execute(f"SELECT {quote_identifier(name + ' col')} FROM {quote_identifier(name)}").fetchall() == [(7,)]
    tables = {row[0] for row in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"keep", name}  # the name made one table, and the other is untouched
    assert cur.execute("SELECT count(*) FROM keep").fetchone() == (2,)


@pytest.mark.parametrize("text", [*HOSTILE, "'); DROP TABLE keep; --", "''", "\\'"])
def test_a_quoted_literal_is_exactly_that_text(cur: duckdb.DuckDBPyConnection, text: str) -> None:
    assert cur.execute(f"SELECT {quote_literal(text)}").fetchone() == (text,)
    assert cur.execute("SELECT count(*) FROM keep").fetchone() == (2,)


def test_each_statement_gets_only_the_parameters_it_names(cur: duckdb.DuckDBPyConnection) -> None:
    params = {"low": 1, "high": 2, "unused": "x"}
    assert named_params("SELECT $low, $high", params) == {"low": 1, "high": 2}
    assert scalar_int(cur, "SELECT count(*) FROM keep WHERE n >= $low", params) == 2
    assert row_dict(cur, "SELECT min(n) AS least, max(n) AS most FROM keep WHERE n <= $high", params) == {
        "least": 1, "most": 2}
    assert run(cur, "SELECT n FROM keep WHERE n = $high", params).fetchall() == [(2,)]
    frame = fetch_frame(cur, "SELECT CAST(n AS DECIMAL(18, 2)) / 4 AS quarter FROM keep ORDER BY n", params)
    assert list(frame["quarter"]) == [Decimal("0.25"), Decimal("0.50")]  # exact Decimals, not floats
    # A bound value is data, never SQL.
    assert scalar_int(cur, "SELECT count(*) FROM keep WHERE CAST(n AS VARCHAR) = $low",
                      {"low": "1' OR '1'='1"}) == 0


def test_a_query_with_no_row_is_an_error_not_a_zero(cur: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match="no row"):
        row_dict(cur, "SELECT n FROM keep WHERE false")


def test_a_frame_is_readable_in_the_statements_and_released_even_when_one_fails() -> None:
    import pandas as pd

    from sp_analysis.sql import run_with_frame

    con = duckdb.connect()
    con.execute("CREATE TABLE kept (n INTEGER)")
    run_with_frame(con, "rows_in", pd.DataFrame({"n": [1, 2]}), ("INSERT INTO kept SELECT n FROM rows_in",))
    assert con.execute("SELECT sum(n) FROM kept").fetchone() == (3,)
    with pytest.raises(duckdb.Error):
        run_with_frame(con, "rows_in", pd.DataFrame({"n": [5]}), ("INSERT INTO kept SELECT n FROM rows_in", "SELECT nope"))
    assert "rows_in" not in {name for (name,) in con.execute("SHOW TABLES").fetchall()}
