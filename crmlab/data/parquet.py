"""Parquet files read lazily by the SQL engine: how analyses over billions of rows see a
folder without loading it into pandas. Reading stays in ``crmlab.data``; the features
layer's engines ask for a view."""

from __future__ import annotations

import glob
from pathlib import Path

from ..errors import DataContractError


def check_parquet(path: str | Path) -> None:
    """DataContractError unless ``path`` (a file or glob) matches a file. Remote paths
    (``s3://...``, ``abfss://...``) are left to the engine that reads them."""
    if "://" not in str(path) and not glob.glob(str(path)):
        raise DataContractError(f"no Parquet files at {path}")


def parquet_view(con, path: str | Path, view: str) -> None:
    """Create ``view`` on a DuckDB connection over Parquet file(s) at ``path`` (a file, or a
    glob such as ``orders/*.parquet``)."""
    check_parquet(path)
    con.read_parquet(str(path)).create_view(view)


def spark_parquet(session, path: str | Path):
    """A Spark DataFrame over Parquet file(s) at ``path`` (read where the cluster is)."""
    check_parquet(path)
    return session.read.parquet(str(path))
