"""The Spark side of ``engine``: crmlab's SQL on a user's SparkSession (classic or Connect).

Inputs become temporary views with private names (``crmlab_<run>_<name>``), so a user's
own views of the same name are never replaced, and they are dropped when the computation
ends. pandas inputs travel as Arrow; results come back with ``toArrow()``, which keeps UTC
timestamps. The session's time zone is set to UTC for the duration of the computation and
restored afterwards (crmlab's day and month boundaries are UTC on both engines).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import re
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..errors import DataContractError, EngineLimitError, ParameterError
from .base import Engine, is_spark
from .parquet import check_parquet, is_table_name, nanosecond_columns
from .spark_sql import TranslationError, to_spark

_RUNS = itertools.count(1)
_TZ = "spark.sql.session.timeZone"
# Spark refuses nanosecond Parquet timestamps (pandas' default) unless read as integers
_NANOS_AS_LONG = "spark.sql.legacy.parquet.nanosAsLong"
_TIMESTAMP_TYPE = "spark.sql.parquet.outputTimestampType"
_CHARSETS = {"latin-1": "ISO-8859-1", "utf-8": "UTF-8"}  # the spec's names, Java's names


@contextlib.contextmanager
def _quiet():
    """pyspark warns about pandas 3 on every conversion; crmlab converts through Arrow."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas")
        yield


class SparkEngine(Engine):
    name = "spark"

    def __init__(self, session):
        # an address gets a Connect session of its own, stopped at close; a session the
        # caller made is theirs to stop
        self._owned = isinstance(session, str)
        if self._owned:
            session = connect_session(session)
        self.session = session
        self._prefix = f"crmlab_{os.getpid()}_{next(_RUNS)}_"
        self._names: dict[str, str] = {}
        # Spark Connect releases a checkpoint on the server when its DataFrame object is
        # collected, leaving the view over it dangling: the engine holds them until close
        self._checkpoints: dict[str, object] = {}
        self._settings: dict[str, str | None] = {}
        self._set(_TZ, "UTC")

    def _set(self, key: str, value: str) -> None:
        """Change a session setting until ``close()``, which restores it."""
        if key not in self._settings:
            self._settings[key] = self.session.conf.get(key)
        self.session.conf.set(key, value)

    def _own(self, name: str) -> str:
        self._names[name] = self._prefix + name
        return self._names[name]

    def register(self, name: str, source) -> list[str]:
        if isinstance(source, pd.DataFrame):
            source = pa.Table.from_pandas(source, preserve_index=False)
        if isinstance(source, pa.Table):
            with _quiet():
                frame = self.session.createDataFrame(_spark_ready(source))
        elif is_table_name(source):
            frame = self._table(source)
        elif isinstance(source, str | Path | list):
            frame = self._parquet(source)
        elif is_spark(source, "DataFrame"):
            frame = source
        else:
            raise ParameterError(
                f"cannot read {type(source).__name__} as table {name!r} with Spark: give a "
                "pandas or Spark DataFrame, or a Parquet path."
            )
        frame.createOrReplaceTempView(self._own(name))
        return list(frame.columns)

    def _table(self, name: str):
        """A catalogue table (``sales.orders``) or a view of the session, where it is."""
        try:
            return self.session.table(name)
        except Exception as error:  # AnalysisException, classic or Connect
            if "TABLE_OR_VIEW_NOT_FOUND" not in str(error):
                raise
            raise DataContractError(
                f"Spark has no table or view named {name!r} (nor is it a file path)."
            ) from None

    def _parquet(self, path: str | Path | list):
        """Parquet read where the cluster is (columns matched by name across files);
        nanosecond timestamps to the microsecond."""
        check_parquet(path)
        nanos = nanosecond_columns(path)
        if nanos:
            self._set(_NANOS_AS_LONG, "true")
        # the paths as given: Spark expands globs and finds a folder's partitions itself
        given = [str(p) for p in (path if isinstance(path, list) else [path])]
        try:
            frame = self.session.read.option("mergeSchema", "true").parquet(*given)
        except Exception as error:  # AnalysisException, classic or Connect
            if "TIMESTAMP(NANOS" not in str(error):
                raise
            raise DataContractError(
                f"Spark cannot read the nanosecond timestamps in {path} (pandas writes them "
                "by default). Rewrite the files with microseconds, e.g. pandas "
                "to_parquet(..., coerce_timestamps='us', allow_truncated_timestamps=True)."
            ) from None
        if not nanos:
            return frame
        # selectExpr, not pyspark.sql.functions: a function builds a classic or a Connect
        # column by the process's mode, which a process running both gets wrong
        return frame.selectExpr(
            *(
                f"{_microseconds(name, nanos[name])} AS {_quoted(name)}"
                if name in nanos
                else _quoted(name)
                for name in frame.columns
            )
        )

    def _sql(self, sql: str, params: dict | None = None):
        return self.session.sql(to_spark(sql, params, self._names))

    def create_view(self, name: str, sql: str) -> None:
        frame = self._sql(sql)
        frame.createOrReplaceTempView(self._own(name))

    def create_table(self, name: str, sql: str, params: dict | None = None) -> None:
        frame = _own_session(self._sql(sql, params).localCheckpoint(), self.session)
        frame.createOrReplaceTempView(self._own(name))
        self._checkpoints[name] = frame

    def query(self, sql: str, params: dict | None = None) -> pa.Table:
        with _quiet():
            try:
                return self._sql(sql, params).toArrow()
            except Exception as error:  # py4j, captured or Connect: told by the message
                limit = re.search(
                    r"bigger than spark\.driver\.maxResultSize \(([^)]*)\)", str(error)
                )
                if not limit:
                    raise
                raise EngineLimitError(
                    f"the result is larger than Spark lets its driver collect "
                    f"(spark.driver.maxResultSize, {limit.group(1)}). Start the session with "
                    "a larger limit (--conf spark.driver.maxResultSize=8g; it cannot change "
                    "once the session runs), or ask for less: fewer cutoffs, or a sample of "
                    "customers (models need no more than 1-2 million rows; see "
                    "docs/guide/scale.md)."
                ) from None

    def columns(self, sql: str) -> dict[str, str]:
        frame = self.session.table(self._names[sql]) if sql in self._names else self._sql(sql)
        return {field.name: _spark_kind(field.dataType) for field in frame.schema.fields}

    def read_csv(self, name: str, files: list[Path], sep: str, encoding: str) -> None:
        # RFC 4180 quoting (a doubled quote inside quotes), fields across lines, as DuckDB
        reader = self.session.read.options(
            header=True,
            sep=sep,
            encoding=_CHARSETS.get(encoding.lower(), encoding),
            quote='"',
            escape='"',
            multiLine=True,
        )
        frames = [reader.csv(str(f)) for f in files]
        frame = functools.reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)
        frame.createOrReplaceTempView(self._own(name))

    def write_parquet(self, sql: str, path: Path) -> None:
        self._set(_TIMESTAMP_TYPE, "TIMESTAMP_MICROS")  # not INT96, which Arrow reads naive
        self._sql(sql).write.mode("overwrite").parquet(str(path))

    @property
    def errors(self) -> tuple[type[Exception], ...]:
        from pyspark.errors import PySparkException

        return (PySparkException, TranslationError)

    def close(self) -> None:
        for view in self._names.values():
            self.session.catalog.dropTempView(view)
        self._names.clear()
        self._checkpoints.clear()
        for key, value in self._settings.items():
            if value is None:
                self.session.conf.unset(key)
            else:
                self.session.conf.set(key, value)
        self._settings.clear()
        if self._owned:
            self.session.stop()


def _own_session(checkpointed, session):
    """``checkpointed`` on ``session``. pyspark 4's Connect client binds a checkpoint to the
    process's *active* session, which is another one when the process has two (a user's
    and one crmlab opened for an address): the server then finds no such DataFrame."""
    connect = type(session).__module__.startswith("pyspark.sql.connect")
    if not connect or checkpointed.sparkSession is session:
        return checkpointed
    from pyspark.sql.connect.dataframe import DataFrame
    from pyspark.sql.connect.plan import CachedRemoteRelation

    relation = CachedRemoteRelation(checkpointed._plan._relation_id, session)
    checkpointed._plan._relation_id = None  # only the rebuilt frame releases it, at close
    return DataFrame(plan=relation, session=session)


def connect_session(address: str):
    """A new Spark Connect session on ``address`` ("sc://host:port/;token=..."). Built with
    Connect's own builder: pyspark's generic one refuses when the process also runs a
    classic Spark, and ``getOrCreate`` would hand back a session to another address."""
    try:
        from pyspark.sql.connect.session import SparkSession as ConnectSession
    except ImportError as error:  # grpc and friends come with pyspark[connect]
        raise ParameterError(
            f"engine={address!r} needs Spark Connect's client: pip install 'crmlab[spark]' "
            f"({error})"
        ) from None
    return ConnectSession.builder.remote(address).create()


def _spark_kind(kind) -> str:
    from pyspark.sql import types

    if isinstance(kind, types.StringType | types.VarcharType | types.CharType):
        return "text"
    if isinstance(kind, types.BooleanType):
        return "boolean"
    if isinstance(kind, types.TimestampType | types.TimestampNTZType | types.DateType):
        return "timestamp"
    if isinstance(kind, types.NumericType):
        return "number"
    return "other"


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _microseconds(name: str, utc: bool) -> str:
    """Spark SQL: a nanosecond count (read as an integer) as a timestamp, truncated to the
    microsecond as on DuckDB (``engines.parquet``)."""
    moment = f"timestamp_micros({_quoted(name)} div 1000)"
    return moment if utc else f"CAST({moment} AS TIMESTAMP_NTZ)"


def _spark_ready(table: pa.Table) -> pa.Table:
    """Arrow types Spark reads: large strings as strings, nanosecond timestamps as
    microseconds (Spark's resolution), all-null columns as strings."""
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_large_string(kind) or pa.types.is_null(kind):
            kind = pa.string()
        elif pa.types.is_timestamp(kind) and kind.unit == "ns":
            kind = pa.timestamp("us", tz=kind.tz)
        fields.append(pa.field(field.name, kind))
    return table.cast(pa.schema(fields), safe=False)
