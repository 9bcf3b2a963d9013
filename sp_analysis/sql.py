"""Running named SQL: the one place a name is quoted into a statement, and the helpers that fetch a count, a
row or a table with values always bound, never formatted in.

Statements name their parameters as `$name`. DuckDB refuses a parameter the statement does not name, so
the helpers pass each statement exactly the parameters it names: one dictionary can serve several statements.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def quote_identifier(name: str) -> str:
    """A table or column name as SQL: in double quotes, with any double quote in it doubled."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Text as an SQL string literal, where a statement cannot take a parameter (such as setval's name)."""
    return "'" + text.replace("'", "''") + "'"


def named_params(sql: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters the statement names, out of `params`."""
    used = set(_PARAM.findall(sql))
    return {k: v for k, v in (params or {}).items() if k in used}


def run(cur: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """Execute with exactly the parameters the statement names."""
    return cur.execute(sql, named_params(sql, params))


def scalar_int(cur: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None) -> int:
    """The first value of the one row a query returns (a count), as an int."""
    row = run(cur, sql, params).fetchone()
    if row is None:
        raise ValueError("the query returned no row")
    return int(row[0])


def row_dict(cur: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The one row a query returns, by column name."""
    run(cur, sql, params)
    names = [d[0] for d in cur.description or []]
    row = cur.fetchone()
    if row is None:
        raise ValueError("the query returned no row")
    return dict(zip(names, row, strict=True))


def fetch_frame(cur: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """A query's rows as a DataFrame with money kept as exact Decimals (DuckDB's .df() gives floats)."""
    return cur.sql(sql, params=named_params(sql, params)).to_arrow_table().to_pandas()
