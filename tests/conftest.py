"""Shared fixtures: small synthetic worlds and data folders written to temporary paths."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from crmlab.data import CRMData, generate

ROOT = Path(__file__).resolve().parents[1]

# pytest-xdist runs two workers, and each starts kernels (nbval, report runs): one OpenMP
# thread per process keeps them from busy-waiting against each other (crmlab.reports.kernels
# .share_cores does the same for `crmlab reports run --jobs N`).
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")


# Tests are handed to the two workers a file at a time (module fixtures are built once, on
# one worker), except the Spark files, handed out together: they share one local Spark (its
# JVM warms up once, and two JVMs do not fight over the 2 cores: the Spark files took 216 s
# of test time on two workers, 104 s together on one). xdist's own ``loadgroup`` cannot do
# this under pytest 9 (it renames node ids, which pytest 9 no longer allows).
SPARK_FILES = ("test_spark_parity.py", "test_spark_import.py")
# The longest groups, measured with --durations: a long group handed out last runs alone
# while the other worker idles, so they are handed out first (longest processing time
# first keeps both workers busy to the end).
LONG_FIRST = (
    "spark",
    "test_hostile_reports.py",
    "test_report_factory.py",
    "test_example_reports.py",
)


def _group(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return "spark" if name in SPARK_FILES else name


def pytest_xdist_make_scheduler(config, log):
    """Hand out files (see above), the Spark files as one, in the order of
    ``pytest_collection_modifyitems``."""
    from xdist.scheduler import LoadFileScheduling

    # xdist would otherwise sort files by their number of tests: the hostile reports (four
    # tests, 90 s) went last and ran alone while the other worker idled.
    config.option.loadscopereorder = False

    class SparkTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "spark" if _group(path) == "spark" else path

    return SparkTogether(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Hand out the longest groups first (``LONG_FIRST``), keeping the order within."""

    def rank(item: pytest.Item) -> int:
        group = _group(item.path.name)
        return LONG_FIRST.index(group) if group in LONG_FIRST else len(LONG_FIRST)

    items.sort(key=rank)


@pytest.fixture(scope="session")
def world() -> CRMData:
    """A small synthetic world (2,000 people, two years), shared read-only by tests."""
    return generate(2_000, random_state=7)


@pytest.fixture(scope="session")
def sample_size_world() -> CRMData:
    """A world the size of data/sample (20,000 people; random_state 11), shared read-only by
    the modules that check planted effects at that size (built once per worker)."""
    return generate(20_000, random_state=11)


@pytest.fixture(scope="session")
def program_world() -> CRMData:
    """A world large enough for the loyalty program's recovery tests (10,000 people)."""
    return generate(10_000, random_state=11)


@pytest.fixture
def tiny() -> CRMData:
    """A hand-written valid data set: three customers, five orders (one refund)."""
    customers = pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3"],
            "first_seen_at": ["2024-01-01", "2024-01-05", "2024-02-01"],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4", "r1"],
            "customer_id": ["c1", "c1", "c2", "c3", "c1"],
            "ordered_at": ["2024-01-02", "2024-01-20", "2024-01-06", "2024-02-03", "2024-01-25"],
            "amount": [10.0, 20.0, 5.0, 7.5, -20.0],
            "status": ["completed", "completed", "completed", "completed", "refunded"],
        }
    )
    return CRMData(customers=customers, orders=orders, as_of="2024-03-01")


@pytest.fixture
def orders_folder(tmp_path):
    """Make a data folder holding one orders.csv of the given columns (lists of values)."""

    def make(**columns) -> Path:
        folder = tmp_path / "d"
        folder.mkdir(exist_ok=True)
        pd.DataFrame(columns).to_csv(folder / "orders.csv", index=False)
        return folder

    return make


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server (tests/pg_server.py); skipped where none is installed,
    unless CRMLAB_REQUIRE_POSTGRES=1 (CI), where its absence fails the test."""
    from tests import pg_server

    try:
        server = pg_server.start()
    except FileNotFoundError as exc:
        if os.environ.get("CRMLAB_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"CRMLAB_REQUIRE_POSTGRES=1 but {exc}")
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def local_spark():
    """(classic session, Spark Connect address): one local Spark (tests/spark_session.py);
    skipped where pyspark or Java is missing, unless CRMLAB_REQUIRE_SPARK=1 (CI), where
    their absence fails the test."""
    import shutil

    from tests import spark_session

    reason = spark_session.unavailable()
    if reason:
        if os.environ.get("CRMLAB_REQUIRE_SPARK") == "1":
            pytest.fail(f"CRMLAB_REQUIRE_SPARK=1 but {reason}")
        pytest.skip(reason)
    session, warehouse, address = spark_session.start()
    yield session, address
    session.stop()
    shutil.rmtree(warehouse, ignore_errors=True)


@pytest.fixture(scope="session")
def spark(local_spark):
    """The classic (py4j) SparkSession."""
    return local_spark[0]


@pytest.fixture(scope="session")
def spark_connect(local_spark):
    """A Spark Connect session on the same local Spark."""
    from tests import spark_session

    session = spark_session.connect_client(local_spark[1])
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_address(local_spark) -> str:
    """The local Spark Connect server's address, "sc://127.0.0.1:<port>"."""
    return local_spark[1]
