"""SQL helpers shared by crmlab.data, crmlab.features and crmlab.churn."""

from __future__ import annotations

import warnings

import pandas as pd


def sql_identifier(name: str) -> str:
    """A name (column, table) as a double-quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """Text as a single-quoted SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def first_line(exc: Exception) -> str:
    """The first line of an exception's message (drivers append long context below it)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def to_pandas(result) -> pd.DataFrame:
    """A DuckDB result as pandas, without DuckDB's own pandas-3 deprecation warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The inplace keyword")
        return result.df()


def query_frame(con, sql: str, params: dict | None = None) -> pd.DataFrame:
    """A large query result as pandas through Arrow: about 3x faster than ``.df()`` for
    millions of rows (nullable integers arrive as float64 with NaN)."""
    return con.sql(sql, params=params).to_arrow_table().to_pandas()
