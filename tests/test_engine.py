"""engine= as written in code and in a report catalogue: accepted forms, secrets, errors."""

from __future__ import annotations

import pytest

from crmlab.engines import DuckDBEngine, connect, engine_problem, expand_address
from crmlab.errors import ParameterError
from crmlab.features import customer_summary


@pytest.mark.parametrize("engine", [None, "duckdb"])
def test_the_embedded_engine_by_default_or_by_name(engine):
    with connect(engine) as sql:
        assert isinstance(sql, DuckDBEngine)
        assert sql.frame("SELECT 1 AS x")["x"].tolist() == [1]


@pytest.mark.parametrize(
    "engine",
    [
        "sc://localhost:15002",
        {"spark": "sc://cluster:443/;use_ssl=true;token=${SPARK_TOKEN}"},
    ],
)
def test_spark_connect_addresses_are_accepted(engine):
    assert engine_problem(engine) is None


@pytest.mark.parametrize(
    ("engine", "complaint"),
    [
        ({"spark": "sc://h:443/;token=abc123"}, r"literal token.*\$\{NAME\}"),
        ("sc://h:443/;user_id=me;PASSWORD=pw", "literal token or password"),
        ({"spark": "sc://h", "duckdb": None}, "one key, spark"),
        ({"spark": "localhost:15002"}, "Spark Connect address such as"),
        ("spark", "Spark Connect address such as"),
    ],
)
def test_unusable_engines_are_named_before_anything_runs(engine, complaint, tiny):
    assert engine_problem(engine) is not None
    with pytest.raises(ParameterError, match=complaint):
        customer_summary(tiny, tiny.as_of, engine=engine)


def test_placeholders_are_read_from_the_environment_when_connecting(monkeypatch):
    monkeypatch.setenv("SPARK_TOKEN", "s3cr3t")
    assert expand_address("sc://h:443/;token=${SPARK_TOKEN}") == "sc://h:443/;token=s3cr3t"
    monkeypatch.delenv("SPARK_TOKEN")
    with pytest.raises(ParameterError, match="SPARK_TOKEN, which are not set"):
        expand_address("sc://h:443/;token=${SPARK_TOKEN}")


def test_a_table_name_needs_spark(tmp_path, monkeypatch):
    from crmlab.engines.parquet import is_table_name

    monkeypatch.chdir(tmp_path)
    assert is_table_name("orders") and is_table_name("main.sales.orders")
    assert not is_table_name("orders.parquet") and not is_table_name("data/orders")
    (tmp_path / "exported").mkdir()
    assert not is_table_name("exported")  # a folder that exists is a path
    with pytest.raises(
        ParameterError, match="'sales.orders' is no file or folder here; read as a catalogue table"
    ):
        customer_summary("sales.orders", "2024-01-01")


class _Conf(dict):
    def get(self, key, default=None):
        return super().get(key, default)

    def set(self, key, value):
        self[key] = value

    def unset(self, key):
        self.pop(key, None)


class _TooLarge:
    """A stand-in Spark session whose every result is too large for its driver, with the
    message Spark 4 gives."""

    def __init__(self):
        self.conf = _Conf()

    def sql(self, text):
        return self

    def toArrow(self):  # pyspark's name
        raise RuntimeError(
            "Job aborted due to stage failure: Total size of serialized results of 1 tasks "
            "(1342.1 MiB) is bigger than spark.driver.maxResultSize (1024.0 MiB)"
        )


def test_a_result_too_large_for_the_spark_driver_says_what_to_change():
    from crmlab.engines.spark import SparkEngine
    from crmlab.errors import EngineLimitError

    engine = SparkEngine(_TooLarge())
    with pytest.raises(EngineLimitError, match=r"maxResultSize, 1024.0 MiB.*fewer cutoffs"):
        engine.query("SELECT 1 AS x")
    assert engine.session.conf["spark.sql.session.timeZone"] == "UTC"
    engine.close()
    assert "spark.sql.session.timeZone" not in engine.session.conf  # restored: it was unset
