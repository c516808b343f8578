"""One local Apache Spark for the tests: ``local[2]``, two partitions per shuffle (results
must not depend on how rows are split), UTC, no UI, a private warehouse,
and a Spark Connect server in the same JVM (on a free port) for the Connect path.

Started once per test process (Spark takes ~7 s to start). Needs pyspark (the ``spark``
extra) and a Java 17 runtime; ``unavailable()`` says which is missing. pyspark refuses a
second, Connect-mode local Spark next to a classic one in one process
(``SESSION_ALREADY_EXIST``), so the classic session runs the Connect plugin and Connect
clients reach it at ``sc://localhost:<port>``.
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import tempfile


def unavailable() -> str | None:
    """Why no local Spark can start here, or None."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None:
        return "no Java runtime (Debian: apt-get install openjdk-17-jre-headless)"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


QUICK_JVM = " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def start(
    cores: int = 2,
    memory: str = "1g",
    whole_stage: bool = False,
    partitions: int = 2,
    max_result: str = "1g",
    quick_jvm: bool = True,
):
    """(classic session, warehouse folder, Spark Connect address of the same Spark).
    cores: local[cores]; partitions: per shuffle; memory: the driver's heap (where local
    Spark does all its work);
    whole_stage: compile queries to Java (Spark's default, what a benchmark wants);
    max_result: the largest result the driver collects (Spark's default 1g; "0": no limit);
    quick_jvm: the JVM compiles hot code once, quickly (C1 only), and collects garbage on one
    thread: tests run many small queries once each, for which the optimizing compiler's and
    parallel collector's threads only compete with the other test worker for the 2 cores
    (a benchmark passes False)."""
    from pyspark.sql import SparkSession

    port = free_port()
    warehouse = tempfile.mkdtemp(prefix="crmlab-spark-")
    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("crmlab-tests")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.default.parallelism", str(partitions))
        .config("spark.driver.memory", memory)
        .config("spark.driver.maxResultSize", max_result)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", warehouse)
        .config(
            "spark.driver.extraJavaOptions", f"-Djava.io.tmpdir={warehouse}" + QUICK_JVM * quick_jvm
        )
        .config("spark.plugins", "org.apache.spark.sql.connect.SparkConnectPlugin")
        # interpreted, not compiled: faster on test-sized data, and stricter: it evaluates
        # expressions on rows a later filter drops (found a division by zero that
        # compiled code happened to skip)
        .config("spark.sql.codegen.wholeStage", str(whole_stage).lower())
        .config("spark.connect.grpc.binding.address", "127.0.0.1")
        .config("spark.connect.grpc.binding.port", str(port))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session, warehouse, f"sc://127.0.0.1:{port}"


def connect_client(address: str):
    """A Spark Connect session on ``address``, as crmlab makes one for an address."""
    from crmlab.engines.spark import connect_session

    return connect_session(address)
