"""The Spark side of ``engine``: crmlab's SQL on a user's SparkSession (classic or Connect).

Inputs become temporary views with private names (``crmlab_<run>_<name>``), so a user's
own views of the same name are never replaced, and they are dropped when the computation
ends. pandas inputs travel as Arrow; results come back with ``toArrow()``, which keeps UTC
timestamps. The session's time zone is set to UTC for the duration of the computation and
restored afterwards (crmlab's day and month boundaries are UTC on both engines).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..data.parquet import spark_parquet
from ..errors import ParameterError
from .engine import Engine, is_spark
from .spark_sql import to_spark

_RUNS = itertools.count(1)
_TZ = "spark.sql.session.timeZone"


@contextlib.contextmanager
def _quiet():
    """pyspark warns about pandas 3 on every conversion; crmlab converts through Arrow."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas")
        yield


class SparkEngine(Engine):
    name = "spark"

    def __init__(self, session):
        if isinstance(session, str):
            from pyspark.sql import SparkSession

            session = SparkSession.builder.remote(session).getOrCreate()
        self.session = session
        self._prefix = f"crmlab_{os.getpid()}_{next(_RUNS)}_"
        self._names: dict[str, str] = {}
        self._zone = session.conf.get(_TZ)
        session.conf.set(_TZ, "UTC")

    def _own(self, name: str) -> str:
        self._names[name] = self._prefix + name
        return self._names[name]

    def register(self, name: str, source) -> list[str]:
        if isinstance(source, pd.DataFrame):
            source = pa.Table.from_pandas(source, preserve_index=False)
        if isinstance(source, pa.Table):
            with _quiet():
                frame = self.session.createDataFrame(_spark_ready(source))
        elif isinstance(source, str | Path):
            frame = spark_parquet(self.session, source)
        elif is_spark(source, "DataFrame"):
            frame = source
        else:
            raise ParameterError(
                f"cannot read {type(source).__name__} as table {name!r} with Spark: give a "
                "pandas or Spark DataFrame, or a Parquet path."
            )
        frame.createOrReplaceTempView(self._own(name))
        return list(frame.columns)

    def _sql(self, sql: str, params: dict | None = None):
        return self.session.sql(to_spark(sql, params, self._names))

    def create_view(self, name: str, sql: str) -> None:
        frame = self._sql(sql)
        frame.createOrReplaceTempView(self._own(name))

    def create_table(self, name: str, sql: str, params: dict | None = None) -> None:
        frame = self._sql(sql, params).localCheckpoint()
        frame.createOrReplaceTempView(self._own(name))

    def query(self, sql: str, params: dict | None = None) -> pa.Table:
        with _quiet():
            return self._sql(sql, params).toArrow()

    def close(self) -> None:
        for view in self._names.values():
            self.session.catalog.dropTempView(view)
        self._names.clear()
        if self._zone is not None:
            self.session.conf.set(_TZ, self._zone)


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
