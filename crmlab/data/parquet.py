"""Parquet files read lazily by the SQL engine: how analyses over billions of rows see a
folder without loading it into pandas. Reading stays in ``crmlab.data``; the features
layer's engines ask for a view."""

from __future__ import annotations

import glob
import re
from pathlib import Path

import pyarrow as pa

from ..errors import DataContractError
from ..sql import sql_identifier

_TABLE_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*){0,2}$")
_FILE_ENDINGS = (".parquet", ".pq", ".csv", ".gz", ".json", ".xlsx")


def is_table_name(source) -> bool:
    """Does text name a catalogue table ("orders", "sales.orders", "main.sales.orders")
    rather than a file? Text that is an existing path or ends like a file is a file."""
    text = str(source)
    return (
        isinstance(source, str)
        and bool(_TABLE_NAME.match(text))
        and not text.lower().endswith(_FILE_ENDINGS)
        and not Path(text).exists()
    )


def check_parquet(path: str | Path) -> None:
    """DataContractError unless ``path`` (a file or glob) matches a file. Remote paths
    (``s3://...``, ``abfss://...``) are left to the engine that reads them."""
    if "://" not in str(path) and not glob.glob(str(path)):
        raise DataContractError(f"no Parquet files at {path}")


# pandas writes nanosecond timestamps; DuckDB cannot compare them with the microsecond
# timestamps of crmlab's parameters (a binder error), and crmlab works in microseconds.
# Truncated toward zero, as DuckDB and Arrow convert a pandas frame (a plain CAST rounds).
_MICROSECONDS = {
    "TIMESTAMPTZ_NS": "make_timestamp(epoch_ns({0}) // 1000) AT TIME ZONE 'UTC'",
    "TIMESTAMP_NS": "make_timestamp(epoch_ns({0}) // 1000)",
}


def parquet_view(con, path: str | Path, view: str) -> None:
    """Create ``view`` on a DuckDB connection over Parquet file(s) at ``path`` (a file, or a
    glob such as ``orders/*.parquet``); nanosecond timestamps are truncated to the
    microsecond."""
    check_parquet(path)
    relation = con.read_parquet(str(path))
    columns = []
    for name, kind in zip(relation.columns, relation.types, strict=True):
        quoted = sql_identifier(name)
        cast = _MICROSECONDS.get(str(kind))
        columns.append(f"{cast.format(quoted)} AS {quoted}" if cast else quoted)
    relation.project(", ".join(columns)).create_view(view)


def nanosecond_columns(path: str | Path) -> dict[str, bool]:
    """Columns of the local Parquet file(s) at ``path`` stored as nanosecond timestamps,
    each with whether it is UTC-adjusted. Remote paths give {} (their engine reads them)."""
    if "://" in str(path):
        return {}
    import pyarrow.parquet as pq

    found: dict[str, bool] = {}
    for file in sorted(glob.glob(str(path))):
        for field in pq.read_schema(file):
            kind = field.type
            if pa.types.is_timestamp(kind) and kind.unit == "ns":
                found[field.name] = kind.tz is not None
    return found
