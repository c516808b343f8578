"""Parquet files read lazily by DuckDB: how analyses over billions of rows see a folder
without loading it into pandas. Reading stays in ``crmlab.data``; the features layer asks
for a view."""

from __future__ import annotations

import glob
from pathlib import Path

from ..errors import DataContractError


def parquet_view(con, path: str | Path, view: str) -> set[str]:
    """Create ``view`` on a DuckDB connection over Parquet file(s) at ``path`` (a file, or a
    glob such as ``orders/*.parquet``); returns the column names."""
    if not glob.glob(str(path)):
        raise DataContractError(f"no Parquet files at {path}")
    con.read_parquet(str(path)).create_view(view)
    return {row[0] for row in con.execute(f"DESCRIBE {view}").fetchall()}
