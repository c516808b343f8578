"""Reading contract tables from PostgreSQL, Arrow-native (ADBC), never row by row in Python.

The ADBC PostgreSQL driver streams a query's result with PostgreSQL's binary COPY protocol
straight into Arrow columns; DuckDB and pandas take those without a copy per value. It is a
plain wheel (libpq inside), so nothing but ``pip install crmlab[postgres]`` is needed.
"""

from __future__ import annotations

import re

import pyarrow as pa

from ..errors import DataContractError, MissingDependencyError
from ..sql import first_line, sql_identifier
from .contract import TABLE_NAMES

SCHEMES = ("postgresql://", "postgres://")


def is_database_url(text: str) -> bool:
    return str(text).startswith(SCHEMES)


def redact(url: str) -> str:
    """The URL without its password (never printed or written into reports)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", str(url))


def _connect(url: str):
    try:
        import adbc_driver_postgresql.dbapi as pg
    except ImportError:
        raise MissingDependencyError(
            "reading PostgreSQL needs the ADBC driver: pip install 'crmlab[postgres]'"
        ) from None
    try:
        return pg.connect(url)
    except Exception as exc:  # the driver raises its own DB-API error types
        raise DataContractError(
            f"cannot connect to {redact(url)}: {first_line(exc)} (check host, port, user, "
            "password and database name)"
        ) from None


def read_query(url: str, query: str, what: str) -> pa.Table:
    """The result of one SQL query as an Arrow table. what: named in errors."""
    conn = _connect(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(query)
            return _plain(cursor.fetch_arrow_table())
    except Exception as exc:
        raise DataContractError(f"{what} in {redact(url)}: {first_line(exc)}") from None
    finally:
        conn.close()


def _plain(table: pa.Table) -> pa.Table:
    """Extension columns (PostgreSQL NUMERIC arrives as an opaque type holding text) as their
    plain storage, which pandas and DuckDB read (the contract coerces the text to numbers)."""
    columns = [
        pa.chunked_array([chunk.storage for chunk in c.chunks], c.type.storage_type)
        if isinstance(c.type, pa.ExtensionType | pa.BaseExtensionType)
        else c
        for c in table.columns
    ]
    return pa.table(columns, names=table.column_names)


def quote_name(name: str) -> str:
    """A table name as a PostgreSQL identifier (schema.table allowed)."""
    return ".".join(sql_identifier(part) for part in str(name).split("."))


def contract_tables(url: str) -> dict[str, pa.Table]:
    """Every table of the connection's current schema that carries a contract name."""
    present = (
        read_query(
            url,
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()",
            "listing tables",
        )
        .column(0)
        .to_pylist()
    )
    found = [t for t in TABLE_NAMES if t in present]
    if not found:
        raise DataContractError(
            f"{redact(url)} has no table named like a contract table ({', '.join(TABLE_NAMES)}); "
            "name them so, or write an import spec with `database:` and a `query:` per table "
            "(docs/guide/your_data.md)."
        )
    return {
        t: read_query(url, f"SELECT * FROM {quote_name(t)}", f"reading table {t}") for t in found
    }
