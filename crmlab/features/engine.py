"""Where feature SQL runs: embedded DuckDB (the default) or Apache Spark.

Every function of ``crmlab.features`` that runs SQL takes ``engine=None``:

- ``None``: a fresh in-memory DuckDB connection per call (UTC, spilling to a temporary
  folder that is removed afterwards, never to the working directory);
- a ``pyspark.sql.SparkSession`` (classic or Spark Connect): the same SQL, translated to
  Spark's dialect (``spark_sql``), runs on that session; inputs already on the cluster (a
  Spark DataFrame, Parquet on its file system) stay there;
- a Spark Connect address such as ``"sc://host:15002"``: a session on that server.

The SQL is written once, in DuckDB's dialect, with ``$name`` parameters. An ``Engine``
registers inputs under a name, creates views and materialized tables from queries, and
returns results as ``pyarrow.Table``; crmlab converts to pandas once, in the caller.
"""

from __future__ import annotations

import shutil
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..data.parquet import parquet_view
from ..errors import ParameterError

EngineLike = object  # None, a SparkSession or an "sc://" address


class Engine(ABC):
    """A SQL engine holding named inputs, views and tables for one computation."""

    name: str

    @abstractmethod
    def register(self, name: str, source) -> list[str]:
        """Make ``source`` (a DataFrame, a Parquet path or glob, or an engine-native table)
        queryable as ``name``; returns its column names."""

    @abstractmethod
    def create_view(self, name: str, sql: str) -> None:
        """``name`` as a (replaceable) view over ``sql``."""

    @abstractmethod
    def create_table(self, name: str, sql: str, params: dict | None = None) -> None:
        """``name`` as the materialized result of ``sql``, computed once."""

    @abstractmethod
    def query(self, sql: str, params: dict | None = None) -> pa.Table:
        """The result of ``sql`` (``$name`` parameters from ``params``)."""

    def frame(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        """The result of ``sql`` as pandas (UTC timestamps stay UTC)."""
        return self.query(sql, params).to_pandas()

    @abstractmethod
    def close(self) -> None:
        """Release what the engine created (views, temporary files)."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DuckDBEngine(Engine):
    """A private in-memory DuckDB connection (session time zone UTC)."""

    name = "duckdb"

    def __init__(self) -> None:
        import duckdb

        self._scratch = tempfile.mkdtemp(prefix="crmlab-duckdb-")
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(f"SET temp_directory = '{self._scratch}'")

    def register(self, name: str, source) -> list[str]:
        if isinstance(source, pd.DataFrame | pa.Table):
            self.con.register(name, source)
        elif isinstance(source, str | Path):
            parquet_view(self.con, source, name)
        else:
            raise ParameterError(
                f"cannot read {type(source).__name__} as table {name!r} with DuckDB: give a "
                "DataFrame or a Parquet path."
            )
        return [row[0] for row in self.con.execute(f'DESCRIBE "{name}"').fetchall()]

    def create_view(self, name: str, sql: str) -> None:
        self.con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS {sql}')

    def create_table(self, name: str, sql: str, params: dict | None = None) -> None:
        self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {sql}', params)

    def query(self, sql: str, params: dict | None = None) -> pa.Table:
        return self.con.sql(sql, params=params).to_arrow_table()

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self._scratch, ignore_errors=True)


def connect(engine: EngineLike = None) -> Engine:
    """The ``Engine`` for an ``engine=`` argument (see the module docstring)."""
    if engine is None:
        return DuckDBEngine()
    if is_spark(engine, "SparkSession") or (isinstance(engine, str) and engine.startswith("sc://")):
        from .spark_engine import SparkEngine

        return SparkEngine(engine)
    raise ParameterError(
        f"engine={engine!r}: give None (embedded DuckDB), a pyspark SparkSession, or a Spark "
        "Connect address such as 'sc://localhost:15002'."
    )


def is_spark(value, kind: str) -> bool:
    """Is ``value`` a pyspark ``kind`` ("SparkSession", "DataFrame"), classic or Connect?
    (Told by name, so that nothing here imports pyspark.)"""
    cls = type(value)
    return cls.__name__ == kind and cls.__module__.startswith("pyspark.")
