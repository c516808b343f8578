"""Parquet files read lazily by the SQL engine: how analyses over billions of rows see a
folder without loading it into pandas. Reading stays in ``crmlab.data``; the features
layer's engines ask for a view."""

from __future__ import annotations

import glob
from pathlib import Path

from ..errors import DataContractError
from ..sql import sql_identifier


def check_parquet(path: str | Path) -> None:
    """DataContractError unless ``path`` (a file or glob) matches a file. Remote paths
    (``s3://...``, ``abfss://...``) are left to the engine that reads them."""
    if "://" not in str(path) and not glob.glob(str(path)):
        raise DataContractError(f"no Parquet files at {path}")


# pandas writes nanosecond timestamps; DuckDB cannot compare them with the microsecond
# timestamps of crmlab's parameters (a binder error), and crmlab works in microseconds
_MICROSECONDS = {"TIMESTAMPTZ_NS": "TIMESTAMPTZ", "TIMESTAMP_NS": "TIMESTAMP"}


def parquet_view(con, path: str | Path, view: str) -> None:
    """Create ``view`` on a DuckDB connection over Parquet file(s) at ``path`` (a file, or a
    glob such as ``orders/*.parquet``); nanosecond timestamps are read to the microsecond."""
    check_parquet(path)
    relation = con.read_parquet(str(path))
    columns = []
    for name, kind in zip(relation.columns, relation.types, strict=True):
        quoted = sql_identifier(name)
        cast = _MICROSECONDS.get(str(kind))
        columns.append(f"CAST({quoted} AS {cast}) AS {quoted}" if cast else quoted)
    relation.project(", ".join(columns)).create_view(view)


def spark_parquet(session, path: str | Path):
    """A Spark DataFrame over Parquet file(s) at ``path`` (read where the cluster is)."""
    check_parquet(path)
    return session.read.parquet(str(path))
