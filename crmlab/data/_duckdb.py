"""DuckDB helpers shared by crmlab.data and crmlab.features."""

from __future__ import annotations

import warnings

import pandas as pd


def to_pandas(result) -> pd.DataFrame:
    """A DuckDB result as pandas, without DuckDB's own pandas-3 deprecation warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The inplace keyword")
        return result.df()


def query_frame(con, sql: str, params: dict | None = None) -> pd.DataFrame:
    """A large query result as pandas through Arrow: about 3x faster than ``.df()`` for
    millions of rows (nullable integers arrive as float64 with NaN)."""
    return con.sql(sql, params=params).to_arrow_table().to_pandas()
