"""The engine seam: ``Engine``, the embedded ``DuckDBEngine``, and ``connect``."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..errors import ParameterError
from ..sql import sql_identifier, sql_literal
from .parquet import is_table_name, parquet_view

EngineLike = object  # None, "duckdb", a SparkSession, an "sc://" address, {"spark": address}
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET = re.compile(r"(token|password)=(?!\$\{)", re.IGNORECASE)


class Engine(ABC):
    """A SQL engine holding named inputs, views and tables for one computation."""

    name: str

    @abstractmethod
    def register(self, name: str, source) -> list[str]:
        """Make ``source`` (a DataFrame, a Parquet path or glob or a list of them, or an
        engine-native table) queryable as ``name``; returns its column names."""

    @abstractmethod
    def create_view(self, name: str, sql: str) -> None:
        """``name`` as a (replaceable) view over ``sql``."""

    @abstractmethod
    def create_table(self, name: str, sql: str, params: dict | None = None) -> None:
        """``name`` as the materialized result of ``sql``, computed now, once (a query
        that fails raises one of ``errors`` here)."""

    @abstractmethod
    def query(self, sql: str, params: dict | None = None) -> pa.Table:
        """The result of ``sql`` (``$name`` parameters from ``params``)."""

    def frame(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        """The result of ``sql`` as pandas (UTC timestamps stay UTC)."""
        return self.query(sql, params).to_pandas()

    @abstractmethod
    def columns(self, sql: str) -> dict[str, str]:
        """The columns ``sql`` (a query, or a registered name) returns, each with its kind:
        "text", "number", "boolean", "timestamp" or "other". A query the engine cannot
        compute raises one of ``errors``."""

    @abstractmethod
    def read_csv(self, name: str, files: list[Path], sep: str, encoding: str) -> None:
        """Register CSV ``files`` (plain or gzipped, a header row each) as ``name``, every
        column as text, columns matched by name across files."""

    @abstractmethod
    def write_parquet(self, sql: str, path: Path) -> None:
        """Write the result of ``sql`` as Parquet at ``path`` (timestamps in microseconds,
        UTC); rows in the query's order."""

    @property
    @abstractmethod
    def errors(self) -> tuple[type[Exception], ...]:
        """The exceptions this engine raises for a query it cannot compute."""

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

    def __init__(self, memory_limit: str | None = None) -> None:
        """memory_limit: DuckDB's working memory (e.g. "2GB"); beyond it, work spills to a
        temporary folder removed at close. None: DuckDB's default (80% of RAM)."""
        import duckdb

        self._scratch = tempfile.mkdtemp(prefix="crmlab-duckdb-")
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(f"SET temp_directory = {sql_literal(self._scratch)}")
        if memory_limit is not None:
            try:
                self.con.execute(f"SET memory_limit = {sql_literal(memory_limit)}")
            except duckdb.Error:
                self.close()
                raise ParameterError(
                    f"memory_limit={memory_limit!r}: give a size such as '1GB' or '500MB'."
                ) from None

    def register(self, name: str, source) -> list[str]:
        if isinstance(source, pd.DataFrame | pa.Table):
            self.con.register(name, source)
        elif is_table_name(source):
            raise ParameterError(
                f"{source!r} is no file or folder here; read as a catalogue table name it "
                "needs a Spark engine (engine=spark). On the embedded DuckDB give a "
                "DataFrame or a Parquet path."
            )
        elif isinstance(source, str | Path | list):
            parquet_view(self.con, source, name)
        else:
            raise ParameterError(
                f"cannot read {type(source).__name__} as table {name!r} with DuckDB: give a "
                "DataFrame or a Parquet path."
            )
        return list(self.columns(name))

    def create_view(self, name: str, sql: str) -> None:
        self.con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS {sql}')

    def create_table(self, name: str, sql: str, params: dict | None = None) -> None:
        self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {sql}', params)

    def query(self, sql: str, params: dict | None = None) -> pa.Table:
        return self.con.sql(sql, params=params).to_arrow_table()

    def columns(self, sql: str) -> dict[str, str]:
        relation = sql_identifier(sql) if _is_name(sql) else f"({sql})"
        rows = self.con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        return {name: _duckdb_kind(kind) for name, kind, *_ in rows}

    def read_csv(self, name: str, files: list[Path], sep: str, encoding: str) -> None:
        paths = "[" + ", ".join(sql_literal(f) for f in files) + "]"
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {sql_identifier(name)} AS SELECT * FROM "
            f"read_csv({paths}, all_varchar = true, header = true, delim = {sql_literal(sep)}, "
            f"encoding = {sql_literal(encoding)}, union_by_name = true)"
        )

    def write_parquet(self, sql: str, path: Path) -> None:
        self.con.execute(f"COPY ({sql}) TO {sql_literal(path)} (FORMAT parquet)")

    @property
    def errors(self) -> tuple[type[Exception], ...]:
        import duckdb

        return (duckdb.Error,)

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self._scratch, ignore_errors=True)


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_:]*$")


def _is_name(sql: str) -> bool:
    """Is ``sql`` a registered name rather than a query?"""
    return bool(_NAME.match(sql))


def _duckdb_kind(kind: str) -> str:
    if kind == "VARCHAR":
        return "text"
    if kind == "BOOLEAN":
        return "boolean"
    if kind.startswith("TIMESTAMP") or kind == "DATE":
        return "timestamp"
    numbers = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE")
    if kind.startswith(("U", "DECIMAL")) or kind in numbers:
        return "number"
    return "other"


def connect(engine: EngineLike = None) -> Engine:
    """The ``Engine`` for an ``engine=`` argument (see the module docstring)."""
    if is_embedded(engine):
        return DuckDBEngine()
    if problem := engine_problem(engine):
        raise ParameterError(problem)
    from .spark import SparkEngine

    if is_spark(engine, "SparkSession"):
        return SparkEngine(engine)
    address = engine["spark"] if isinstance(engine, dict) else engine
    return SparkEngine(expand_address(address))


def is_embedded(engine: EngineLike) -> bool:
    """None or "duckdb": the embedded DuckDB."""
    return engine is None or (isinstance(engine, str) and engine == "duckdb")


def engine_problem(engine: EngineLike) -> str | None:
    """Why ``engine`` (as written in a catalogue or passed as ``engine=``) is unusable, or
    None. A literal token or password in an address is refused: use ``${NAME}``."""
    if is_embedded(engine) or is_spark(engine, "SparkSession"):
        return None
    address = engine
    if isinstance(engine, dict):
        if set(engine) != {"spark"}:
            return (
                f'engine={engine!r}: write engine: {{spark: "sc://host:15002"}} (one key, '
                "spark), or leave it out for the embedded DuckDB."
            )
        address = engine["spark"]
    if not isinstance(address, str) or not address.startswith("sc://"):
        return (
            f"engine={engine!r}: give None or 'duckdb' (embedded DuckDB), a pyspark "
            "SparkSession, or a Spark Connect address such as 'sc://localhost:15002' "
            '(in a catalogue: engine: {spark: "sc://localhost:15002"}).'
        )
    if _SECRET.search(address):
        return (
            "the Spark Connect address holds a literal token or password; write it as "
            "${NAME} (e.g. token=${SPARK_TOKEN}) and set that environment variable, so the "
            "secret stays out of catalogues and published reports."
        )
    return None


def expand_address(address: str) -> str:
    """``address`` with each ``${NAME}`` replaced by that environment variable."""
    missing = [name for name in _PLACEHOLDER.findall(address) if name not in os.environ]
    if missing:
        raise ParameterError(
            f"the Spark Connect address needs environment variable(s) {', '.join(missing)}, "
            "which are not set."
        )
    return _PLACEHOLDER.sub(lambda m: os.environ[m.group(1)], address)


def is_spark(value, kind: str) -> bool:
    """Is ``value`` a pyspark ``kind`` ("SparkSession", "DataFrame"), classic or Connect?
    (Told by name, so that nothing here imports pyspark.)"""
    cls = type(value)
    return cls.__name__ == kind and cls.__module__.startswith("pyspark.")
