"""The import spec and date parsing on a real local Spark: the same report, tables,
set-aside rows and timestamps as DuckDB."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from crmlab.data import CRMData, load
from crmlab.data.dates import DateColumnError, DateRule, timestamp_sql
from crmlab.data.importer import run_import
from crmlab.engines import connect
from crmlab.errors import DataContractError, ParameterError

pytestmark = [pytest.mark.spark, pytest.mark.slow]
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _imported(spec: Path, out: Path, engine=None) -> tuple[dict, CRMData]:
    report = run_import(spec, out, engine=engine).to_dict()
    report.pop("out")
    return report, load(out)


def same_import(spec: Path, tmp_path: Path, engine) -> dict:
    """Import ``spec`` on DuckDB and on ``engine``; assert reports, every loaded table and
    the set-aside rows are equal; return the report."""
    report, data = _imported(spec, tmp_path / "duckdb")
    spark_report, spark_data = _imported(spec, tmp_path / "spark", engine)
    assert spark_report == report
    assert list(spark_data.tables()) == list(data.tables())
    for name, table in data.tables().items():
        assert_frame_equal(table, spark_data.tables()[name], check_dtype=True)
    for aside in sorted((tmp_path / "duckdb" / "_import").glob("*.parquet")):
        expected = pd.read_parquet(aside)
        got = pd.read_parquet(tmp_path / "spark" / "_import" / aside.name)
        order = list(expected.columns)
        assert_frame_equal(
            got.sort_values(order, ignore_index=True),
            expected.sort_values(order, ignore_index=True),
        )
    return report


@pytest.mark.parametrize(
    "spec",
    ["online_retail/online_retail.yaml", "crm_export/crm_export.yaml", "wholesale/wholesale.yaml"],
)
def test_an_import_spec_runs_on_the_cluster(spark, spec, tmp_path):
    # invoice lines with cancellations, London time and a declared format; Excel clients and
    # ISO offsets; day-first credit notes: each imported by Spark, written as part files
    report = same_import(EXAMPLES / spec, tmp_path, spark)
    assert any(t["rows_written"] for t in report["tables"].values())
    assert (tmp_path / "spark" / "orders.parquet").is_dir()


HOSTILE_A = (
    "Invoice,When,Client,Qty,Price,Note\n"
    '1,03/01/2023 09:00,A1,2,2.5,"said ""hi"""\n'
    '1,03/01/2023 09:00,A1,1,4,"two\nlines"\n'
    "2,13/01/2023 10:15,(none),1,1,\n"
    "3,14/01/2023,B2,1,,\n"
    "4,not a date,B2,1,3,\n"
    "5,15/01/2023 11:00,,1,3,\n"
    "CN6,16/01/2023 12:00,A1,-1,2.5,credit\n"
    "7,16/01/2023 12:00,C3,1,inf,\n"
)
# a second file with its columns in another order and one column fewer
HOSTILE_B = "Client,Invoice,Price,Qty,When\nC3,8,10,2,17/01/2023 13:00\nD4,8,5,1,17/01/2023 13:00\n"
HOSTILE_SPEC = """as_of: latest
timezone: Europe/London
tables:
  orders:
    file: "lines_*.csv"
    columns: {order_id: Invoice, customer_id: Client, ordered_at: When}
    amount: "Qty * Price"
    lines: true
    refund_when: "starts_with(Invoice, 'CN')"
    missing_customer: ["(none)"]
    keep: [Note]
"""


def test_an_export_with_every_problem_imports_the_same_on_spark(spark, tmp_path):
    # quotes doubled and across lines, a placeholder and an empty customer, a missing price
    # and an infinite one, an unreadable date, two files in different column
    # orders (matched by name), a kept extra column, as_of from the data
    (tmp_path / "lines_a.csv").write_text(HOSTILE_A)
    (tmp_path / "lines_b.csv").write_text(HOSTILE_B)
    (tmp_path / "spec.yaml").write_text(HOSTILE_SPEC)
    report = same_import(tmp_path / "spec.yaml", tmp_path, spark)
    orders = report["tables"]["orders"]
    assert orders["rows_read"] == 10
    reasons = {a["reason"]: a["rows"] for a in orders["set_aside"]}
    assert sum(reasons.values()) == 7 and len(reasons) == 4  # and invoice 8: two customers


def test_a_catalogue_table_is_imported_where_it_is(spark, tmp_path):
    lines = pd.read_csv(EXAMPLES / "online_retail" / "invoices.csv", dtype="str")
    spark.createDataFrame(lines).createOrReplaceTempView("crmlab_test_invoice_lines")
    spec = (EXAMPLES / "online_retail" / "online_retail.yaml").read_text()
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(spec.replace("file: invoices.csv", "table: crmlab_test_invoice_lines"))
    try:
        report = run_import(spec_path, tmp_path / "out", engine=spark)
        on_file = run_import(EXAMPLES / "online_retail" / "online_retail.yaml", dry_run=True)
    finally:
        spark.catalog.dropTempView("crmlab_test_invoice_lines")
    assert report.tables["orders"].source == "table crmlab_test_invoice_lines"
    assert report.tables["orders"].rows_written == on_file.tables["orders"].rows_written
    with pytest.raises(ParameterError, match=r"line \d+ \(tables.orders.table\).*needs a Spark"):
        run_import(spec_path, dry_run=True)  # the embedded DuckDB has no catalogue


def test_an_expression_spark_cannot_run_names_the_spec_line(spark, tmp_path):
    spec = (EXAMPLES / "wholesale" / "wholesale.yaml").read_text()
    spec_path = tmp_path / "wholesale.yaml"
    spec_path.write_text(spec.replace("starts_with(Invoice, 'CN')", "prefix(Invoice, 'CN')"))
    shutil.copy(EXAMPLES / "wholesale" / "invoices.csv.gz", tmp_path)
    with pytest.raises(DataContractError, match=r"line 1\d \(tables.orders.refund_when\)"):
        run_import(spec_path, dry_run=True, engine=spark)
    with pytest.raises(ParameterError, match="both this machine and the engine"):
        run_import(spec_path, "s3://bucket/crm", engine=spark)


DATES = {
    "iso": [
        "2023-03-26 00:30",
        "2023-03-26 01:30",
        "2023-10-29 01:30",
        "2023-10-29 02:30",
        "2023-7-9 8:05:09.25",
        "2023-07-09T08:30:00Z",
        "2023-07-09 08:30+01",
        "2023-07-09 08:30:00-0530",
        "2023-07-09 08:30 +01:00",
        "2023-07-09",
        "n/a",
    ],
    "numeric": ["1/12/2010 08:26", "13/1/2011", "31/02/2011", "01.12.10", "5/6/99 23:59"],
    "year first": ["2010/12/01", "2010/1/2 7:00"],
    "compact": ["19970101", "20231029", "20240229"],
    "epoch": ["1300000000", "1300000000.5"],
    "epoch ms": ["1300000000123", "1698539400000"],
    "named": ["03-Jan-2011", "3 January 2011", "Jan 3, 1997", "sep 30 2023 01:30", "3 Foo 2011"],
}


@pytest.mark.parametrize(
    ("family", "zone"),
    [(family, "UTC") for family in DATES]
    # local times: the hour clocks skip and the hour they repeat, in two zones
    + [(f, z) for f in ("iso", "numeric", "named") for z in ("Europe/London", "America/New_York")],
)
def test_date_columns_read_the_same_on_spark(spark, family, zone):
    # every family, offsets in every spelling, the hour clocks skip and the hour they repeat
    # (read as the later instant on both engines), impossible dates (NULL on both)
    values = pd.DataFrame({"v": DATES[family]})
    rule = DateRule(timezone=zone, dayfirst=True)
    assert_frame_equal(_dates(spark, values, rule), _dates(None, values, rule))


@pytest.mark.parametrize(
    "layout", ["%d/%m/%Y %H:%M", "%Y%m%d %H%M%S", "%d %B %Y, %I:%M %p", "%m-%d-%Y %H:%M:%S.%f"]
)
def test_a_declared_date_format_reads_the_same_on_spark(spark, layout):
    moments = pd.Series(
        pd.to_datetime(["2011-01-03 08:05:09.5", "2011-12-25 17:00"], format="ISO8601")
    )
    values = pd.DataFrame({"v": [*moments.dt.strftime(layout), "garbage"]})
    rule = DateRule(date_format=layout, timezone="Europe/London")
    got = _dates(spark, values, rule)
    assert_frame_equal(got, _dates(None, values, rule))
    assert got["t"].notna().sum() == 2


def test_date_columns_are_refused_alike_on_spark(spark):
    for values, problem in [
        (["1/12/2010", "2/12/2010"], "ambiguous"),
        (["13/1/2011", "1/13/2011"], "mixed day/month"),
        (["2011-12-09", "1/12/2010"], "mixed date formats"),
    ]:
        frame = pd.DataFrame({"v": values})
        errors = []
        for engine in (None, spark):
            with pytest.raises(DateColumnError, match=problem) as info:
                _dates(engine, frame, DateRule())
            errors.append((info.value.problem, info.value.examples))
        assert errors[0] == errors[1]


def _dates(engine, values: pd.DataFrame, rule: DateRule) -> pd.DataFrame:
    with connect(engine) as sql:
        sql.register("dates", values)
        expression = timestamp_sql(sql, "dates", "v", rule)
        return sql.frame(f"SELECT v, {expression} AS t FROM dates ORDER BY v")


def test_the_command_line_imports_through_spark_connect(spark_address, tmp_path, capsys):
    from crmlab.cli import main as cli

    # the small export with every problem (the wholesaler's runs on the classic session)
    (tmp_path / "lines_a.csv").write_text(HOSTILE_A)
    (tmp_path / "lines_b.csv").write_text(HOSTILE_B)
    spec = tmp_path / "spec.yaml"
    spec.write_text(HOSTILE_SPEC)
    assert (
        cli(["data", "import", str(spec), str(tmp_path / "spark"), "--engine", spark_address]) == 0
    )
    assert "valid" in capsys.readouterr().out
    run_import(spec, tmp_path / "duckdb")
    assert_frame_equal(load(tmp_path / "spark").orders, load(tmp_path / "duckdb").orders)


def test_two_connect_sessions_in_one_process(spark_address, tmp_path):
    # pyspark binds a Connect checkpoint to the process's active session; crmlab's tables
    # must stay on the session it was given, whichever of the two is the active one
    from tests.spark_session import connect_client

    (tmp_path / "lines_a.csv").write_text(HOSTILE_A)
    (tmp_path / "lines_b.csv").write_text(HOSTILE_B)
    spec = tmp_path / "spec.yaml"
    spec.write_text(HOSTILE_SPEC)
    expected = run_import(spec, dry_run=True).to_dict()
    sessions = [connect_client(spark_address) for _ in range(2)]
    try:
        for session in sessions:
            assert run_import(spec, dry_run=True, engine=session).to_dict() == expected
    finally:
        for session in sessions:
            session.stop()


def test_values_recode_the_same_on_spark(spark, tmp_path):
    # an export's own words for the contract's (values:), one word left for validation
    from .test_import import LEDGER, LEDGER_SPEC, PEOPLE

    for name, text in {"ledger.csv": LEDGER, **PEOPLE}.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "spec.yaml").write_text(LEDGER_SPEC)
    report = same_import(tmp_path / "spec.yaml", tmp_path, spark)
    assert report["tables"]["loyalty_events"]["rows_written"] == 4
