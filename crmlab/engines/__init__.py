"""Where crmlab's SQL runs: embedded DuckDB (the default) or Apache Spark.

Every crmlab function that runs SQL (the features, the import spec) takes ``engine=None``:

- ``None``: a fresh in-memory DuckDB connection per call (UTC, spilling to a temporary
  folder that is removed afterwards, never to the working directory);
- a ``pyspark.sql.SparkSession`` (classic or Spark Connect): the same SQL, translated to
  Spark's dialect (``spark_sql``), runs on that session; inputs already on the cluster (a
  Spark DataFrame, Parquet on its file system) stay there;
- a Spark Connect address such as ``"sc://host:15002"``: a session on that server;
- ``{"spark": "sc://host:15002"}`` or ``"duckdb"``: the same, as written in a report
  catalogue (``reports.yaml``: ``engine: {spark: "sc://..."}``). ``${NAME}`` in an address
  is read from the environment when the engine connects, so a token
  (``sc://host:443/;use_ssl=true;token=${SPARK_TOKEN}``) never appears in a catalogue,
  a report's parameters or its provenance.

The SQL is written once, in DuckDB's dialect, with ``$name`` parameters. An ``Engine``
registers inputs under a name, creates views and materialized tables from queries, and
returns results as ``pyarrow.Table``; crmlab converts to pandas once, in the caller.
"""

from .base import (
    DuckDBEngine,
    Engine,
    EngineLike,
    connect,
    engine_problem,
    expand_address,
    is_embedded,
    is_spark,
)

__all__ = [
    "DuckDBEngine",
    "Engine",
    "EngineLike",
    "connect",
    "engine_problem",
    "expand_address",
    "is_embedded",
    "is_spark",
]
