"""DuckDB helpers shared by crmlab.data and crmlab.features."""

from __future__ import annotations

import warnings

import pandas as pd


def to_pandas(result) -> pd.DataFrame:
    """A DuckDB result as pandas, without DuckDB's own pandas-3 deprecation warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The inplace keyword")
        return result.df()
