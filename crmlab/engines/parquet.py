"""Parquet files read lazily by the SQL engine: how analyses over billions of rows see a
folder without loading it into pandas. Both engines find, check and inspect files here,
so a glob, a folder of part files or a list means the same to each."""

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


def parquet_files(path: str | Path | list) -> list[str]:
    """The Parquet files at ``path``: a file, a glob, a folder of part files (as Spark
    writes a table: ``orders.parquet/part-*.parquet``, also in partition folders), or a
    list of these. Remote paths
    (``s3://...``, ``abfss://...``) are left as they are, for the engine that reads them.
    Raises DataContractError when a local path matches no file."""
    if isinstance(path, list):
        return [f for p in path for f in parquet_files(p)]
    text = str(path)
    if "://" in text:
        return [text]
    if Path(text).is_dir():  # part files, also in partition folders (year=2024/...)
        found = sorted(glob.glob(str(Path(text) / "**" / "*.parquet"), recursive=True))
    else:
        found = sorted(f for f in glob.glob(text) if Path(f).is_file())
    if not found:
        raise DataContractError(f"no Parquet files at {path}")
    return found


def check_parquet(path: str | Path | list) -> None:
    """DataContractError unless ``path`` (see ``parquet_files``) matches a file."""
    parquet_files(path)


# pandas writes nanosecond timestamps; DuckDB cannot compare them with the microsecond
# timestamps of crmlab's parameters (a binder error), and crmlab works in microseconds.
# Truncated toward zero, as DuckDB and Arrow convert a pandas frame (a plain CAST rounds).
_MICROSECONDS = {
    "TIMESTAMPTZ_NS": "make_timestamp(epoch_ns({0}) // 1000) AT TIME ZONE 'UTC'",
    "TIMESTAMP_NS": "make_timestamp(epoch_ns({0}) // 1000)",
}


def parquet_view(con, path: str | Path | list, view: str) -> None:
    """Create ``view`` on a DuckDB connection over Parquet file(s) at ``path`` (see
    ``parquet_files``; columns matched by name across files); nanosecond timestamps are
    truncated to the microsecond."""
    relation = con.read_parquet(parquet_files(path), union_by_name=True)
    columns = []
    for name, kind in zip(relation.columns, relation.types, strict=True):
        quoted = sql_identifier(name)
        cast = _MICROSECONDS.get(str(kind))
        columns.append(f"{cast.format(quoted)} AS {quoted}" if cast else quoted)
    relation.project(", ".join(columns)).create_view(view)


def nanosecond_columns(path: str | Path) -> dict[str, bool]:
    """Columns of the local Parquet file(s) at ``path`` stored as nanosecond timestamps,
    each with whether it is UTC-adjusted. Remote paths give {} (their engine reads them)."""
    import pyarrow.parquet as pq

    found: dict[str, bool] = {}
    for file in parquet_files(path):
        if "://" in file:
            continue
        for field in pq.read_schema(file):
            kind = field.type
            if pa.types.is_timestamp(kind) and kind.unit == "ns":
                found[field.name] = kind.tz is not None
    return found
