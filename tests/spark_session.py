"""One local Apache Spark for the tests: ``local[2]``, UTC, no UI, a private warehouse.

Started once per test process (Spark takes ~7 s to start). Needs pyspark (the ``spark``
extra) and a Java 17 runtime; ``unavailable()`` says which is missing.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile


def unavailable() -> str | None:
    """Why no local Spark can start here, or None."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None:
        return "no Java runtime (Debian: apt-get install openjdk-17-jre-headless)"
    return None


def start():
    from pyspark.sql import SparkSession

    warehouse = tempfile.mkdtemp(prefix="crmlab-spark-")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("crmlab-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.driver.extraJavaOptions", f"-Djava.io.tmpdir={warehouse}")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session, warehouse
