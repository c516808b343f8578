"""Import specs: users' exports -> contract folder, every rule counted, errors name the line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from crmlab.cli import main as cli
from crmlab.data import load
from crmlab.data.importer import REPORT_FILE, run_import
from crmlab.errors import DataContractError, ParameterError
from crmlab.features import customer_summary
from crmlab.segment import rfm

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def _copy_example(name: str, tmp_path: Path) -> Path:
    """Work on a copy, so tests never write next to the shipped examples."""
    return Path(shutil.copytree(EXAMPLES / name, tmp_path / name))


def _spec(tmp_path: Path, text: str, files: dict[str, str]) -> Path:
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


LINES = """InvoiceNo,InvoiceDate,CustomerID,Quantity,UnitPrice,Country
100,1/12/2010 08:26,17850,2,2.50,United Kingdom
100,1/12/2010 08:26,17850,1,10.00,United Kingdom
101,13/1/2011 09:00,17850,4,1.25,France
C101,14/1/2011 10:00,17850,-4,1.25,France
102,14/1/2011 11:00,(blank),1,5.00,France
103,15/1/2011 11:00,,1,5.00,France
104,16/1/2011 12:00,13047,3,3.00,EIRE
"""

SPEC = """as_of: "2011-12-09"
tables:
  orders:
    file: lines.csv
    columns: {order_id: InvoiceNo, customer_id: CustomerID, ordered_at: InvoiceDate}
    amount: "Quantity * UnitPrice"
    lines: true
    refund_when: "starts_with(InvoiceNo, 'C')"
    missing_customer: ["", "(blank)"]
"""


def test_invoice_lines_become_orders_and_every_rule_is_counted(tmp_path):
    spec = _spec(tmp_path, SPEC, {"lines.csv": LINES})
    report = run_import(spec, tmp_path / "out")
    orders = report.tables["orders"]
    assert (orders.rows_read, orders.rows_written) == (7, 4)
    (aside,) = orders.set_aside
    assert aside["rows"] == 2 and set(aside["examples"]) == {"'(blank)'", "'(empty)'"}
    assert any("1 row(s) match refund_when" in n for n in orders.notes)
    assert any("5 line(s) merged into 4 order(s)" in n for n in orders.notes)
    data = load(tmp_path / "out")
    got = data.orders.set_index("order_id")
    assert got.loc["100", "amount"] == 15.0  # 2 x 2.50 + 1 x 10.00, one order
    assert got.loc["100", "ordered_at"] == pd.Timestamp("2010-12-01 08:26", tz="UTC")  # day-first
    assert got.loc["C101", "status"] == "refunded" and got.loc["C101", "amount"] == -5.0
    summary = customer_summary(data, data.as_of).table.loc["17850"]
    assert summary["n_orders"] == 2 and summary["net_revenue"] == 15.0
    written = json.loads((tmp_path / "out" / REPORT_FILE).read_text())
    assert written["tables"]["orders"]["rows_written"] == 4
    set_aside = pd.read_parquet(tmp_path / "out" / "_import" / "orders_set_aside.parquet")
    assert sorted(set_aside["order_id"]) == ["102", "103"]


def test_a_catalogue_table_needs_a_spark_engine(tmp_path):
    spec = _spec(tmp_path, SPEC.replace("file: lines.csv", "table: sales.lines"), {})
    with pytest.raises(ParameterError, match=r"line 4 \(tables.orders.table\).*Spark engine"):
        run_import(spec, dry_run=True)
    with pytest.raises(ParameterError, match="both this machine and the engine"):
        run_import(spec, "s3://bucket/crm")


def test_a_repeated_order_id_without_lines_is_refused(tmp_path):
    spec = _spec(tmp_path, SPEC.replace("    lines: true\n", ""), {"lines.csv": LINES})
    with pytest.raises(DataContractError, match=r"order_id value\(s\) repeat.*'100'.*lines: true"):
        run_import(spec, tmp_path / "out")


def test_ambiguous_dates_name_the_spec_line_and_the_key(tmp_path):
    text = LINES.replace("13/1/2011", "12/1/2011").replace("14/1", "1/1").replace("15/1", "2/1")
    text = text.replace("16/1", "3/1")
    spec = _spec(tmp_path, SPEC, {"lines.csv": text})
    with pytest.raises(DataContractError, match=r"spec.yaml line 5 .*ambiguous.*dayfirst"):
        run_import(spec, tmp_path / "out")
    spec.write_text(SPEC.replace("    lines: true", "    lines: true\n    dayfirst: false"))
    run_import(spec, tmp_path / "out")
    first = load(tmp_path / "out").orders.set_index("order_id").loc["100", "ordered_at"]
    assert first == pd.Timestamp("2010-01-12 08:26", tz="UTC")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("lines: true", "line: true"), r"line 7: unknown key 'line'; did you mean 'lines'"),
        (
            ("CustomerID,", "CustomerId,"),
            r"line 5 .*'CustomerId' is not in the source; did you mean 'CustomerID'",
        ),
        (("Quantity * UnitPrice", "Quantity * Price"), r"line 6 .*amount.*cannot be computed"),
        (("file: lines.csv", "file: nothing.csv"), r"line 4 .*no file matches 'nothing.csv'"),
        (("orders:", "oders:"), r"line 3: unknown key 'oders'; did you mean 'orders'"),
        (('as_of: "2011-12-09"\n', ""), r"declare `as_of:`"),
        (("lines: true", "lines: yes please"), r"line 7: `lines` must be true or false"),
        (("starts_with(InvoiceNo, 'C')", "InvoiceNo"), r"line 8 .*text values.*condition"),
        (("starts_with(InvoiceNo, 'C')", "Quantity > 'x'"), r"line 3 .*cannot be computed"),
        (("Quantity * UnitPrice", "InvoiceDate::DATE"), r"line 6 .*timestamp values, not numbers"),
        (("tables:", "currency: pounds\ntables:"), r"line 2: currency: 'pounds' .*ISO 4217"),
        (("order_id: InvoiceNo", "order_id: No"), r"line 5: columns.order_id is False.*quote it"),
    ],
)
def test_spec_errors_name_the_line(tmp_path, change, message):
    spec = _spec(tmp_path, SPEC.replace(*change), {"lines.csv": LINES})
    with pytest.raises((ParameterError, DataContractError), match=message):
        run_import(spec, dry_run=True)


def test_dry_run_writes_nothing_and_the_cli_reports(tmp_path, capsys):
    spec = _spec(tmp_path, SPEC, {"lines.csv": LINES})
    assert cli(["data", "import", str(spec), "--dry-run"]) == 0
    assert "2 rows without a customer" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lines.csv", "spec.yaml"]
    assert cli(["data", "import", str(spec), str(tmp_path / "out")]) == 0
    assert "valid" in capsys.readouterr().out
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "keep.txt").write_text("precious")
    assert cli(["data", "import", str(spec), str(tmp_path / "mine")]) == 1
    assert (tmp_path / "mine" / "keep.txt").exists()  # never replaces a folder it did not write


def test_load_of_a_spec_imports_once_per_version(tmp_path):
    spec = _spec(tmp_path, SPEC, {"lines.csv": LINES})
    first = load(spec)
    assert len(first.orders) == 4
    cached = list((tmp_path / ".crmlab-import").iterdir())
    load(spec)
    assert list((tmp_path / ".crmlab-import").iterdir()) == cached
    (tmp_path / "lines.csv").write_text(LINES + "105,17/1/2011 12:00,13047,1,1.00,EIRE\n")
    assert len(load(spec).orders) == 5


def test_load_maps_columns_for_quick_use(orders_folder):
    folder = orders_folder(
        Order=["a", "b"], Who=["c1", "c2"], When=["2024-01-02", "2024-01-03"], Total=[5.0, -5.0]
    )
    data = load(
        folder,
        as_of="2024-02-01",
        columns={
            "order_id": "Order",
            "customer_id": "Who",
            "ordered_at": "When",
            "amount": "Total",
        },
    )
    assert data.orders["status"].tolist() == ["completed", "refunded"]
    with pytest.raises(ParameterError, match=r"amount='Totl' matched no column"):
        load(folder, columns={"order_id": "Order", "amount": "Totl"})


def test_missing_columns_point_to_mapping_not_quarantine(orders_folder):
    folder = orders_folder(Order=["a"], customer_id=["c1"], ordered_at=["2024-01-02"], amount=[5.0])
    with pytest.raises(DataContractError, match=r"load\(columns=") as info:
        load(folder, as_of="2024-02-01")
    assert "quarantine" not in str(info.value)


# The three recipes of docs/guide/your_data.md, on the files shipped under examples/.


def test_recipe_online_retail(tmp_path):
    folder = _copy_example("online_retail", tmp_path)
    report = run_import(folder / "online_retail.yaml", tmp_path / "out")
    orders = report.tables["orders"]
    assert orders.rows_read == len(pd.read_csv(folder / "invoices.csv"))
    aside = sum(a["rows"] for a in orders.set_aside)
    assert aside > 0 and orders.rows_written > 0
    data = load(tmp_path / "out")
    assert data.currency == "GBP"  # declared in the spec, kept in crmlab.json
    refunds = data.orders[data.orders["status"] == "refunded"]
    assert len(refunds) > 0 and (refunds["amount"] < 0).all()
    assert refunds["order_id"].str.startswith("C").all()
    scores = rfm(data, data.as_of)
    assert scores["n_orders"].sum() == (data.orders["status"] == "completed").sum()


def test_recipe_crm_export(tmp_path):
    folder = _copy_example("crm_export", tmp_path)
    run_import(folder / "crm_export.yaml", tmp_path / "out")
    data = load(tmp_path / "out")
    assert "email" not in data.customers and "Plan" in data.customers
    assert load(tmp_path / "out", pii=True).customers["email"].str.endswith("@example.org").all()
    linked = data.orders.dropna(subset=["refund_of"])
    assert len(linked) == 8 and (linked["status"] == "refunded").all()
    assert str(data.orders["ordered_at"].dt.tz) == "UTC"


def test_recipe_postgres_and_load_from_a_database(tmp_path, postgres, monkeypatch):
    postgres.psql(command="DROP TABLE IF EXISTS shop_orders, shop_customers, orders, customers")
    postgres.psql(EXAMPLES / "postgres" / "shop.sql")
    monkeypatch.setenv("CRMLAB_DATABASE_URL", postgres.url())
    folder = _copy_example("postgres", tmp_path)
    report = run_import(folder / "shop.yaml", tmp_path / "out")
    assert "s3cret" not in json.dumps(report.to_dict())  # the password is never written
    data = load(tmp_path / "out")
    returned = data.orders["status"] == "refunded"
    assert returned.any() and (data.orders.loc[returned, "amount"] < 0).all()
    assert "country" in data.customers
    # load() straight from the database: tables carrying contract names.
    postgres.psql(
        command="CREATE TABLE customers AS SELECT id::text AS customer_id, signed_up AS "
        "first_seen_at FROM shop_customers; CREATE TABLE orders AS SELECT id AS order_id, "
        "customer AS customer_id, created AS ordered_at, total AS amount FROM shop_orders"
    )
    direct = load(postgres.url(), as_of="2024-12-31")
    assert len(direct.orders) == len(data.orders)
    assert direct.orders["amount"].dtype == float
    assert direct.source.count("***") == 1 and "s3cret" not in direct.source


def test_database_errors_are_one_clear_crmlab_error(postgres):
    with pytest.raises(DataContractError, match=r"cannot connect to .*\*\*\*@.*password"):
        load(postgres.url(password="wrong"))
    with pytest.raises(DataContractError, match="no table named like a contract table"):
        load(postgres.url().rsplit("/", 1)[0] + "/template1")
    postgres.psql(command="DROP TABLE IF EXISTS orders, customers")
    postgres.psql(
        command="CREATE TABLE orders (order_id text, customer_id text, ordered_at boolean, "
        "amount text); INSERT INTO orders VALUES ('o1', 'c1', true, 'ten')"
    )
    with pytest.raises(DataContractError) as info:
        load(postgres.url(), as_of="2024-12-31")
    rules = " ".join(info.value.report()["rule"])
    assert "amount is not a number" in rules and "ordered_at" in " ".join(
        info.value.report()["column"]
    )


def test_a_report_source_may_be_an_import_spec(tmp_path):
    from crmlab.reports.fingerprint import data_fingerprint

    spec = _spec(tmp_path, SPEC, {"lines.csv": LINES})
    before = data_fingerprint({"source": "spec.yaml"}, tmp_path)["source"]
    assert data_fingerprint({"source": "spec.yaml"}, tmp_path)["source"] == before
    (tmp_path / "lines.csv").write_text(LINES + "105,17/1/2011 12:00,13047,1,1.00,EIRE\n")
    assert data_fingerprint({"source": "spec.yaml"}, tmp_path)["source"] != before
    database = spec.read_text().replace("file: lines.csv", "database: postgresql://x@h/db")
    spec.write_text(database)
    always = data_fingerprint({"source": "spec.yaml"}, tmp_path)["source"]
    assert always.startswith("database") and always != before


def test_the_guide_shows_the_example_specs_as_they_are():
    guide = (ROOT / "docs" / "guide" / "your_data.md").read_text()
    for spec in (
        "online_retail/online_retail.yaml",
        "crm_export/crm_export.yaml",
        "postgres/shop.yaml",
        "wholesale/wholesale.yaml",
        "service_desk/service_desk.yaml",
        "loyalty/loyalty.yaml",
    ):
        assert (EXAMPLES / spec).read_text() in guide, f"docs/guide/your_data.md: update {spec}"
    assert "docs/guide/your_data.md" in (ROOT / "README.md").read_text()


def test_unreadable_files_and_as_of_latest(tmp_path):
    spec = _spec(tmp_path, SPEC.replace("lines.csv", "lines.parquet"), {"lines.parquet": "junk"})
    with pytest.raises(DataContractError, match=r"line 4 .*cannot read lines.parquet"):
        run_import(spec, dry_run=True)
    spec = _spec(tmp_path, SPEC.replace('"2011-12-09"', "latest"), {"lines.csv": LINES})
    report = run_import(spec, tmp_path / "out")
    assert report.as_of == "2011-01-16T12:00:00+00:00"  # the latest order in the file
    assert load(tmp_path / "out").as_of == pd.Timestamp("2011-01-16 12:00", tz="UTC")


def test_an_amount_column_of_text_sets_non_numbers_aside(tmp_path):
    spec = _spec(tmp_path, SPEC.replace('"Quantity * UnitPrice"', "Country"), {"lines.csv": LINES})
    (aside,) = [
        a
        for a in run_import(spec, dry_run=True).tables["orders"].set_aside
        if a["reason"] == "rows whose amount is missing or not a number"
    ]
    assert aside["rows"] == 5  # every row with a customer: country names are not amounts


def test_unreadable_dates_are_set_aside_with_the_value_shown(tmp_path):
    text = LINES.replace("16/1/2011 12:00", "soon")
    spec = _spec(tmp_path, SPEC, {"lines.csv": text})
    report = run_import(spec, dry_run=True)
    reasons = {a["reason"]: a for a in report.tables["orders"].set_aside}
    assert reasons["rows whose ordered_at is not a date"]["examples"] == ["'soon'"]
    assert report.to_dict() == run_import(spec, dry_run=True).to_dict()  # reproducible


LEDGER = """Ref,Member,When,Type,Pts
1,a,2024-01-01 10:00,Accrual,100
2,a,2024-02-01 10:00,Redemption,40
3,b,2024-02-01 11:00,Bonus,50
4,b,2024-03-01 11:00,earn,10
"""
PEOPLE = {
    "people.csv": "Member,Since\na,2023-06-01\nb,2023-06-01\n",
    "sales.csv": "Receipt,Member,When,Total\n1,a,2024-01-01 10:00,100\n2,b,2024-03-01 11:00,10\n",
}
LEDGER_SPEC = """as_of: "2024-12-31"
tables:
  customers:
    file: people.csv
    columns: {customer_id: Member, first_seen_at: Since}
  orders:
    file: sales.csv
    columns: {order_id: Receipt, customer_id: Member, ordered_at: When, amount: Total}
  loyalty_events:
    file: ledger.csv
    columns: {event_id: Ref, customer_id: Member, occurred_at: When, kind: Type, points: Pts}
    values:
      kind: {Accrual: earn, Redemption: redeem, Bonus: adjust}
"""


def test_values_put_an_exports_words_into_the_contracts(tmp_path):
    spec = _spec(tmp_path, LEDGER_SPEC, {"ledger.csv": LEDGER, **PEOPLE})
    run_import(spec, tmp_path / "out")
    data = load(tmp_path / "out")
    events = data.loyalty_events.set_index("event_id")
    assert events["kind"].tolist() == ["earn", "redeem", "adjust", "earn"]  # 'earn' kept
    assert events.loc["2", "points"] == -40  # a positive redemption, turned round
    assert any("redeem/expire row(s) gave points as positive sizes" in n for n in data.notes)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("kind: {Accrual", "knd: {Accrual"), r"line 12 \(values\): unknown key 'knd'.*'kind'"),
        (
            ("kind: {Accrual: earn, Redemption: redeem, Bonus: adjust}", "kind: earn"),
            r"line 12: `values` maps a contract column",
        ),
        (
            ("kind: {Accrual", "points: {1: 2}\n      kind: {Accrual"),
            r"values.points: only text, id and yes/no columns",
        ),
    ],
)
def test_values_mistakes_name_the_line(tmp_path, change, message):
    spec = _spec(tmp_path, LEDGER_SPEC.replace(*change), {"ledger.csv": LEDGER, **PEOPLE})
    with pytest.raises(ParameterError, match=message):
        run_import(spec, dry_run=True)


def test_an_unlisted_code_is_named_by_validation(tmp_path):
    spec = _spec(
        tmp_path, LEDGER_SPEC, {"ledger.csv": LEDGER.replace("Bonus", "Goodwill"), **PEOPLE}
    )
    run_import(spec, tmp_path / "out")
    with pytest.raises(DataContractError, match=r"kind must be one of.*3 \('Goodwill'\)"):
        load(tmp_path / "out")


def test_recipe_loyalty(tmp_path):
    folder = _copy_example("loyalty", tmp_path)
    report = run_import(folder / "loyalty.yaml", tmp_path / "out")
    assert all(not t.set_aside for t in report.tables.values())
    data = load(tmp_path / "out")
    assert set(data.loyalty_events["kind"]) == {"earn", "redeem", "expire", "adjust"}
    assert set(data.memberships["tier"]) == {"bronze", "silver", "gold"}
    assert (data.loyalty_events.loc[data.loyalty_events["kind"] == "redeem", "points"] < 0).all()
    assert data.customers["consent_marketing"].isin([True, False]).all()
    returns = data.orders[data.orders["status"] == "refunded"]
    assert len(returns) > 0 and (returns["amount"] < 0).all()
    lines = data.order_lines.merge(data.orders[["order_id", "amount"]], on="order_id")
    total = (lines["quantity"] * lines["unit_price"]).groupby(lines["order_id"]).sum()
    amount = lines.groupby("order_id")["amount"].first()
    assert (total - amount).abs().max() < 0.01  # every receipt adds up
