"""The feature SQL on a real local Spark equals DuckDB's result (relative tolerance 1e-9)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from pandas.testing import assert_frame_equal

from crmlab.data import CRMData, generate, load
from crmlab.errors import DataContractError, ParameterError
from crmlab.features import (
    calibration_holdout,
    campaign_statistics,
    churn_snapshots,
    customer_summary,
    cutoff_schedule,
    experiment_units,
    monthly_new_customers,
    monthly_orders,
    purchase_tracking,
    sufficient_statistics,
)
from crmlab.features.calendar import cohort_buyers

pytestmark = [pytest.mark.spark, pytest.mark.slow]
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def shop() -> CRMData:
    """A small world with refunds naming their orders, campaigns and touchpoints."""
    return generate(400, random_state=3)


@pytest.fixture(scope="module")
def linked_shop(shop) -> CRMData:
    """The same world with every refund naming the customer's latest order before it, some
    in full (the order is no purchase any more) and the label window's netting in play."""
    orders = shop.orders.sort_values("ordered_at", kind="stable").copy()
    orders["refund_of"] = None
    bought = orders[orders["status"] != "refunded"]
    for i, refund in orders[orders["status"] == "refunded"].iterrows():
        before = bought[
            (bought["customer_id"] == refund["customer_id"])
            & (bought["ordered_at"] < refund["ordered_at"])
        ]
        if len(before):
            order = before.iloc[-1]
            orders.at[i, "refund_of"] = order["order_id"]
            orders.at[i, "amount"] = -order["amount"] if i % 2 else refund["amount"]
    assert orders["refund_of"].notna().sum() > 10
    return shop.replace(orders=orders)


def same(duckdb_result: pd.DataFrame, spark_result: pd.DataFrame) -> None:
    assert_frame_equal(duckdb_result, spark_result, rtol=1e-9, check_dtype=True)
    assert len(duckdb_result) > 0


@pytest.mark.parametrize(("time_unit", "period"), [("D", "D"), ("W", "W")])
def test_customer_summary(spark, shop, time_unit, period):
    args = (shop, shop.as_of - pd.Timedelta(days=100), time_unit, period)
    same(customer_summary(*args).table, customer_summary(*args, engine=spark).table)


def test_calibration_holdout(spark, shop):
    args = (shop, shop.as_of - pd.Timedelta(days=200), shop.as_of, "W")
    local, remote = calibration_holdout(*args), calibration_holdout(*args, engine=spark)
    same(local.calibration.table, remote.calibration.table)
    same(local.holdout, remote.holdout)
    assert local.duration_holdout == remote.duration_holdout


def test_calendar_series(spark, shop):
    same(monthly_orders(shop), monthly_orders(shop, engine=spark))
    same(monthly_new_customers(shop), monthly_new_customers(shop, engine=spark))
    end = shop.as_of - pd.Timedelta(days=30)
    same(purchase_tracking(shop, end, "W"), purchase_tracking(shop, end, "W", engine=spark))
    same(cohort_buyers(shop, "month", 12), cohort_buyers(shop, "month", 12, engine=spark))


def test_experiment_units_and_sufficient_statistics(spark, shop):
    campaign = shop.assignments["campaign_id"].iloc[0]
    units = experiment_units(shop, campaign)
    same(units, experiment_units(shop, campaign, engine=spark))
    columns = ["converted", "revenue", "pre_revenue"]
    same(
        sufficient_statistics(units, "variant", columns),
        sufficient_statistics(units, "variant", columns, engine=spark),
    )
    local = campaign_statistics(shop, campaign, columns)
    remote = campaign_statistics(shop, campaign, columns, engine=spark)
    assert local[0] == remote[0]
    same(local[1], remote[1])


def test_churn_snapshots(spark, shop):
    """A subscription's label (cancellations) and unlabelled scoring rows. (Plain and
    linked-refund snapshots: test_the_analyses_pass_the_engine_on,
    test_a_data_set_on_the_cluster.)"""
    cuts = cutoff_schedule(shop.as_of, n_cutoffs=2, spacing_days=60)
    first = shop.orders.groupby("customer_id")["ordered_at"].min()
    cancellations = pd.DataFrame(
        {"customer_id": first.index[::3], "cancelled_at": first.iloc[::3] + pd.Timedelta(days=200)}
    )
    args = (shop, cuts)
    same(
        churn_snapshots(*args, cancellations=cancellations).table,
        churn_snapshots(*args, cancellations=cancellations, engine=spark).table,
    )
    same(
        churn_snapshots(shop, [shop.as_of], labelled=False).table,
        churn_snapshots(shop, [shop.as_of], labelled=False, engine=spark).table,
    )


def test_refunds_naming_their_orders(spark, linked_shop):
    args = (linked_shop, linked_shop.as_of - pd.Timedelta(days=90), "W")
    same(customer_summary(*args).table, customer_summary(*args, engine=spark).table)


def test_day_and_week_boundaries_are_utc(spark):
    """Orders at 23:30 UTC, across the British and US clock changes, on a Sunday night."""
    stamps = [
        "2024-03-09 23:30",
        "2024-03-10 07:30",  # US clocks go forward
        "2024-03-31 00:30",
        "2024-03-31 01:30",  # British clocks go forward
        "2024-10-27 00:59:59.999999",
        "2024-11-03 06:30",  # US clocks go back
        "2024-11-10 23:59:59",  # Sunday night: still the week of Monday 4 November
    ]
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "a", "b", "a"],
            "ordered_at": pd.to_datetime(stamps, utc=True, format="ISO8601"),
            "amount": [10.0, 0.1, 0.2, 3.3, 1 / 3, 2 / 3, 7.77],
        }
    )
    for period in ("D", "W"):
        args = (orders, "2024-11-11", "W", period)
        same(customer_summary(*args).table, customer_summary(*args, engine=spark).table)
    same(monthly_orders(orders), monthly_orders(orders, engine=spark))


def test_a_spark_dataframe_stays_on_the_cluster(spark, shop):
    """Orders already in Spark (here from pandas; in practice a table or Parquet) are read
    where they are."""
    remote = spark.createDataFrame(pa.Table.from_pandas(shop.orders, preserve_index=False))
    as_of = shop.as_of
    same(customer_summary(shop, as_of).table, customer_summary(remote, as_of, engine=spark).table)


@pytest.mark.parametrize("unit", ["us", "ns"])
def test_parquet_files_are_read_on_the_cluster(spark, shop, tmp_path, unit):
    """Microsecond files, and the nanosecond timestamps pandas writes by default (Spark
    refuses those unless read as integers): truncated to the microsecond on both engines,
    before 1970 too."""
    orders = shop.orders.copy()
    orders["ordered_at"] = orders["ordered_at"].astype(f"datetime64[{unit}, UTC]")
    if unit == "ns":
        orders["ordered_at"] += pd.Timedelta(nanoseconds=999)
        orders.loc[orders.index[::7], "ordered_at"] -= pd.Timedelta(days=365 * 60)
    half = len(orders) // 2
    orders.iloc[:half].to_parquet(tmp_path / "part1.parquet")
    orders.iloc[half:].to_parquet(tmp_path / "part2.parquet")
    files = str(tmp_path / "*.parquet")
    as_of = shop.as_of - pd.Timedelta(days=100)
    same(customer_summary(files, as_of).table, customer_summary(files, as_of, engine=spark).table)
    assert spark.conf.get("spark.sql.legacy.parquet.nanosAsLong") == "false"


def test_a_partitioned_parquet_folder_is_read_whole(spark, shop, tmp_path):
    # a folder as Spark and Hive write tables: part files in one folder per channel
    import pyarrow.parquet as pq

    orders = pa.Table.from_pandas(shop.orders, preserve_index=False)
    pq.write_to_dataset(orders, tmp_path / "orders", partition_cols=["channel"])
    folder = str(tmp_path / "orders")
    expected = customer_summary(shop, shop.as_of).table
    same(expected, customer_summary(folder, shop.as_of).table)
    same(expected, customer_summary(folder, shop.as_of, engine=spark).table)


def test_unreadable_nanoseconds_are_a_crmlab_error(spark, shop, tmp_path, monkeypatch):
    """Files crmlab cannot inspect first (object storage) reach Spark as they are; its
    refusal of nanoseconds becomes an error that says how to rewrite them."""
    import crmlab.engines.spark as spark_engine

    monkeypatch.setattr(spark_engine, "nanosecond_columns", lambda path: {})
    shop.orders.to_parquet(tmp_path / "orders.parquet")
    with pytest.raises(DataContractError, match="coerce_timestamps='us'"):
        customer_summary(str(tmp_path / "orders.parquet"), shop.as_of, engine=spark)


def test_no_orders_gives_the_same_empty_result(spark, shop):
    empty = shop.orders.iloc[:0]
    local = customer_summary(empty, shop.as_of).table
    remote = customer_summary(empty, shop.as_of, engine=spark).table
    assert local.empty and remote.empty
    assert list(local.columns) == list(remote.columns)


def test_the_analyses_pass_the_engine_on(spark, shop):
    """churn, CLV evaluation and retention aggregate on Spark and fit on the same tables."""
    from crmlab.churn import retention, snapshots
    from crmlab.clv import evaluate

    cuts = cutoff_schedule(shop.as_of, n_cutoffs=1, spacing_days=60)
    same(
        snapshots(shop, cuts, p_alive=True).table,
        snapshots(shop, cuts, p_alive=True, engine=spark).table,
    )
    same(retention.cohort_retention(shop), retention.cohort_retention(shop, engine=spark))
    same(
        retention.lifetimes_from_orders(shop, shop.as_of),
        retention.lifetimes_from_orders(shop, shop.as_of, engine=spark),
    )
    args = (shop, shop.as_of - pd.Timedelta(days=180), shop.as_of)
    local, remote = evaluate(*args), evaluate(*args, engine=spark)
    same(local.metrics, remote.metrics)
    same(local.tracking, remote.tracking)


def test_an_experiment_read_on_the_cluster(spark, shop):
    """Units as a Spark DataFrame: checks and sums run there; the read-out is the same."""
    from crmlab.experiment import Mean, Proportion, Ratio, analyze

    units = experiment_units(shop, shop.assignments["campaign_id"].iloc[0])
    remote = spark.createDataFrame(pa.Table.from_pandas(units, preserve_index=False))
    metrics = [
        Proportion("converted"),
        Mean("revenue", covariate="pre_revenue"),
        Ratio("n_orders", "sessions"),
    ]
    same(analyze(units, metrics).table, analyze(remote, metrics, engine=spark).table)
    twice = spark.createDataFrame(
        pa.Table.from_pandas(pd.concat([units, units.iloc[:1]]), preserve_index=False)
    )
    with pytest.raises(ParameterError, match="appears more than once"):
        analyze(twice, metrics, engine=spark)


# Spark Connect: the client most clusters offer (Databricks, a Connect server). Same Spark,
# reached over gRPC; crmlab's inputs, settings and views go through Connect's API.


def test_spark_connect_session(spark_connect, shop, tmp_path):
    """Summaries from pandas and from nanosecond Parquet through Connect (churn snapshots
    and remote tables through Connect: test_a_data_set_on_the_cluster)."""
    as_of = shop.as_of - pd.Timedelta(days=100)
    same(
        customer_summary(shop, as_of).table,
        customer_summary(shop, as_of, engine=spark_connect).table,
    )
    orders = shop.orders.astype({"ordered_at": "datetime64[ns, UTC]"})
    orders.to_parquet(tmp_path / "orders.parquet")
    files = str(tmp_path / "orders.parquet")
    same(
        customer_summary(files, as_of).table,
        customer_summary(files, as_of, engine=spark_connect).table,
    )
    assert spark_connect.conf.get("spark.sql.legacy.parquet.nanosAsLong") == "false"


def test_spark_connect_units_stay_on_the_server(spark_connect, shop):
    from crmlab.experiment import Mean, Proportion, analyze

    units = experiment_units(shop, shop.assignments["campaign_id"].iloc[0])
    same(
        units, experiment_units(shop, shop.assignments["campaign_id"].iloc[0], engine=spark_connect)
    )
    remote = spark_connect.createDataFrame(pa.Table.from_pandas(units, preserve_index=False))
    metrics = [Proportion("converted"), Mean("revenue", covariate="pre_revenue")]
    same(analyze(units, metrics).table, analyze(remote, metrics, engine=spark_connect).table)


def test_spark_connect_address(spark_address, shop):
    """An "sc://" address: crmlab opens its own Connect session and closes it after."""
    as_of = shop.as_of
    same(
        customer_summary(shop, as_of).table,
        customer_summary(shop, as_of, engine=spark_address).table,
    )


@pytest.mark.parametrize("client", ["spark", "spark_connect"])
def test_the_users_views_and_time_zone_are_left_alone(client, shop, request):
    """Classic and Connect: crmlab's private views are dropped, a user's view of the same
    name and the session time zone are as they were."""
    session = request.getfixturevalue(client)
    session.createDataFrame([(1,)], ["x"]).createOrReplaceTempView("purchases")
    session.conf.set("spark.sql.session.timeZone", "Asia/Tokyo")
    try:
        customer_summary(shop, shop.as_of, engine=session)
        assert session.table("purchases").columns == ["x"]
        assert session.conf.get("spark.sql.session.timeZone") == "Asia/Tokyo"
        names = [t.name for t in session.catalog.listTables()]
        assert not [n for n in names if n.startswith("crmlab_")]
    finally:
        session.conf.set("spark.sql.session.timeZone", "UTC")
        session.catalog.dropTempView("purchases")


@pytest.mark.notebook
def test_a_scheduled_report_aggregates_on_the_cluster(spark, spark_address, tmp_path, monkeypatch):
    """reports.yaml's `engine: {spark: ...}` reaches the notebook's kernel (another process),
    whose SQL then runs on the Spark Connect server; the published numbers do not change.
    The address is written with a ${NAME} placeholder, as a token would be."""
    import yaml

    from crmlab.data import save
    from crmlab.reports import load_catalogue, run_catalogue

    from .conftest import ROOT
    from .report_tables import report_tables

    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    save(generate(300, random_state=2), tmp_path / "data" / "small")
    monkeypatch.setenv("CRMLAB_TEST_SPARK", spark_address.removeprefix("sc://"))
    entry = {"notebook": "notebooks/data_overview.ipynb", "parameters": {"source": "data/small"}}
    local = {"engine": None, "source": "data/small"}
    path = tmp_path / "reports.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "engine": {"spark": "sc://${CRMLAB_TEST_SPARK}"},
                "reports": [
                    {"name": "on_spark", **entry},
                    {"name": "local", **entry, "parameters": local},
                ],
            }
        )
    )
    jobs = len(spark.sparkContext.statusTracker().getJobIdsForGroup())
    results = run_catalogue(
        load_catalogue(path), tmp_path / "out", echo=lambda *_: None, jobs=1, demo=True
    )
    assert [r.status for r in results] == ["ok", "ok"], [r.error for r in results]
    assert len(spark.sparkContext.statusTracker().getJobIdsForGroup()) > jobs
    on_spark = (tmp_path / "out" / "on_spark.html").read_text()
    assert "${CRMLAB_TEST_SPARK}" in on_spark and spark_address not in on_spark
    local_run = (tmp_path / "out" / "local.html").read_text()

    def data_tables(html):  # the provenance table names the engine, so differs
        return [t for t in report_tables(html) if "parameters" not in t.columns]

    for ours, theirs in zip(data_tables(on_spark), data_tables(local_run), strict=True):
        assert_frame_equal(ours, theirs)
    # the monthly series are charts: drawn from equal numbers, they are equal images
    charts = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")
    assert len(charts.findall(local_run)) >= 3
    assert charts.findall(on_spark) == charts.findall(local_run)


def on_the_cluster(session, data: CRMData) -> CRMData:
    """The data set with every table a Spark DataFrame, as if read with spark.table()."""
    from crmlab.engines.spark import _spark_ready

    def remote(table):
        return session.createDataFrame(
            _spark_ready(pa.Table.from_pandas(table, preserve_index=False))
        )

    return data.replace(**{name: remote(table) for name, table in data.tables().items()})


def test_a_data_set_on_the_cluster(spark_connect, linked_shop):
    """Churn snapshots, experiment units and summaries from tables that are Spark
    DataFrames, through Spark Connect: nothing comes back to pandas but the results, which
    equal DuckDB's."""
    spark = spark_connect
    remote = on_the_cluster(spark, linked_shop)
    assert "orders=<DataFrame>" in repr(remote)
    cuts = cutoff_schedule(linked_shop.as_of, n_cutoffs=2, spacing_days=60)
    same(
        churn_snapshots(linked_shop, cuts).table, churn_snapshots(remote, cuts, engine=spark).table
    )
    campaign = linked_shop.assignments["campaign_id"].iloc[0]
    same(experiment_units(linked_shop, campaign), experiment_units(remote, campaign, engine=spark))
    with pytest.raises(ParameterError, match="campaign_id='NOPE' is unknown"):
        experiment_units(remote, "NOPE", engine=spark)
    as_of = linked_shop.as_of - pd.Timedelta(days=30)
    same(
        customer_summary(linked_shop, as_of).table,
        customer_summary(remote, as_of, engine=spark).table,
    )


def test_a_catalogue_table_by_name(spark, shop, tmp_path):
    """Orders named as a table of the session's catalogue are read there; a name Spark
    does not know, and a table name on DuckDB, are crmlab errors."""
    spark.createDataFrame(
        pa.Table.from_pandas(shop.orders, preserve_index=False)
    ).createOrReplaceTempView("shop_orders")
    try:
        as_of = shop.as_of
        same(
            customer_summary(shop, as_of).table,
            customer_summary("shop_orders", as_of, engine=spark).table,
        )
    finally:
        spark.catalog.dropTempView("shop_orders")
    with pytest.raises(DataContractError, match="no table or view named 'sales.nothing'"):
        customer_summary("sales.nothing", shop.as_of, engine=spark)


@pytest.mark.parametrize("spec", ["online_retail/online_retail.yaml", "crm_export/crm_export.yaml"])
def test_an_imported_export(spark, spec):
    """Export-shaped files (cancelled invoices, placeholder customers, day-first dates,
    line items) imported by their spec: the same summary and snapshots on Spark."""
    data = load(EXAMPLES / spec)
    same(
        customer_summary(data, data.as_of).table,
        customer_summary(data, data.as_of, engine=spark).table,
    )
    cuts = cutoff_schedule(data.as_of, n_cutoffs=2, spacing_days=30, horizon_days=60)
    same(
        churn_snapshots(data, cuts, horizon_days=60).table,
        churn_snapshots(data, cuts, horizon_days=60, engine=spark).table,
    )
