"""Loading folders of CSV/Parquet files and DuckDB files, and clear errors for bad files."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from crmlab.cli import main as cli
from crmlab.data import generate, load, save, validate
from crmlab.errors import DataContractError


def _write_csv(folder, tiny, **kw):
    folder.mkdir(exist_ok=True)
    for name, frame in tiny.tables().items():
        frame.to_csv(folder / f"{name}.csv", index=False, **kw)
    return folder


def test_csv_folder_round_trips_through_parquet(tmp_path, tiny):
    folder = _write_csv(tmp_path / "csv", tiny)
    data = load(folder, as_of="2024-03-01")
    assert len(data.orders) == 5 and str(data.orders["ordered_at"].dt.tz) == "UTC"
    assert data.currency is None  # CSV files do not say
    save(data.replace(currency="EUR"), tmp_path / "pq")
    again = load(tmp_path / "pq")  # as_of and currency come back from crmlab.json
    assert again.as_of == data.as_of and again.currency == "EUR"
    pd.testing.assert_frame_equal(again.orders, data.orders)


def test_a_parquet_folder_of_part_files_is_one_table(tmp_path, tiny):
    # as Spark writes a table (run_import(..., engine=spark)): orders.parquet/part-*.parquet,
    # with _SUCCESS and checksum files beside them
    save(validate(tiny), tmp_path / "data")
    parts = tmp_path / "data" / "orders.parquet"
    orders = pd.read_parquet(parts)
    parts.unlink()
    parts.mkdir()
    orders.iloc[:2].to_parquet(parts / "part-00000.snappy.parquet", index=False)
    orders.iloc[2:].to_parquet(parts / "part-00001.snappy.parquet", index=False)
    (parts / "_SUCCESS").write_text("")
    (parts / ".part-00000.snappy.parquet.crc").write_bytes(b"\0")
    again = load(tmp_path / "data")
    assert sorted(again.orders["order_id"]) == sorted(tiny.orders["order_id"])
    assert str(again.orders["ordered_at"].dt.tz) == "UTC"


def test_duckdb_file(tmp_path, tiny):
    path = save(validate(tiny), tmp_path / "crm.duckdb")
    data = load(path, as_of="2024-03-01")
    assert sorted(data.orders["order_id"]) == ["o1", "o2", "o3", "o4", "r1"]
    assert str(data.orders["ordered_at"].dt.tz) == "UTC"


def test_synthetic_world_keeps_its_truth(tmp_path, world):
    save(world, tmp_path / "w")
    again = load(tmp_path / "w")
    assert again.truth.params["random_state"] == "7" and again.currency == "GBP"
    pd.testing.assert_frame_equal(
        again.truth.tables["duplicates"], world.truth.tables["duplicates"]
    )
    everything = load(tmp_path / "w", pii=True)
    assert list(everything.customers.columns)[:6] == list(world.customers.columns)[:6]
    erased = world.customers["deletion_requested"]
    assert len(again.customers) == len(world.customers) - erased.sum()
    kept = ~world.touchpoints["customer_id"].isin(world.customers["customer_id"][erased])
    assert len(again.touchpoints) == kept.sum()


def test_load_drops_personal_data_and_erased_customers(tmp_path, world):
    save(world, tmp_path / "w")
    data = load(tmp_path / "w")
    assert not {"name", "email", "phone", "birth_date"} & set(data.customers.columns)
    assert "comment" not in data.surveys
    assert set(data.customers["age_band"]) <= {
        "18-24",
        "25-34",
        "35-44",
        "45-54",
        "55-64",
        "65+",
        "under 18",
        "unknown",
    }
    erased = set(world.customers.loc[world.customers["deletion_requested"], "customer_id"])
    assert erased and not erased & set(data.orders["customer_id"])
    assert not erased & set(data.customers["customer_id"])
    assert any(f"removed {len(erased)} customers who asked for erasure" in n for n in data.notes)
    assert any("personal data not loaded" in n for n in data.notes)
    with_pii = load(tmp_path / "w", pii=True)
    assert {"name", "email", "phone", "birth_date"} <= set(with_pii.customers.columns)
    assert not erased & set(with_pii.customers["customer_id"])  # erasure applies regardless


def test_marketing_consent():
    from crmlab.data.privacy import marketable

    customers = pd.DataFrame(
        {"customer_id": ["a", "b", "c"], "consent_marketing": [True, False, None]}
    )
    assert marketable(customers).to_dict() == {"a": True, "b": False, "c": False}
    assert not marketable(customers.drop(columns="consent_marketing")).any()


def test_missing_path(tmp_path):
    with pytest.raises(DataContractError, match="no data at .*make sample-data"):
        load(tmp_path / "nowhere")


def test_unknown_table_suggests_the_right_name(tmp_path, tiny):
    folder = _write_csv(tmp_path / "d", tiny)
    (folder / "orders.csv").rename(folder / "order.csv")
    with pytest.raises(DataContractError, match="did you mean 'orders'"):
        load(folder)


def test_wrong_delimiter_is_named(tmp_path, tiny):
    folder = _write_csv(tmp_path / "d", tiny, sep=";")
    with pytest.raises(DataContractError, match="looks ';'-separated; pass sep=';'"):
        load(folder)
    assert len(load(folder, sep=";", as_of="2024-03-01").orders) == 5


def test_wrong_encoding_is_named(tmp_path, tiny):
    tiny.customers["city"] = ["Zürich", "Malmö", "Nîmes"]
    folder = _write_csv(tmp_path / "d", tiny, encoding="latin-1")
    with pytest.raises(DataContractError, match="not utf-8 text.*encoding='latin-1'"):
        load(folder)
    data = load(folder, encoding="latin-1", as_of="2024-03-01")
    assert data.customers["city"].tolist() == ["Zürich", "Malmö", "Nîmes"]


def test_empty_files_and_tables(tmp_path, tiny):
    folder = _write_csv(tmp_path / "d", tiny)
    (folder / "tickets.csv").write_text("")
    (folder / "surveys.csv").write_text("response_id,customer_id,answered_at,nps\n")
    with pytest.raises(DataContractError, match="tickets.csv is empty"):
        load(folder)
    (folder / "tickets.csv").unlink()
    with pytest.raises(DataContractError, match=r"surveys\s+\*\s+table is empty"):
        load(folder)


def test_unparseable_dates_name_column_and_values(tmp_path, tiny):
    tiny.orders.loc[1, "ordered_at"] = "31/31/2024"
    folder = _write_csv(tmp_path / "d", tiny)
    with pytest.raises(
        DataContractError, match=r"ordered_at cannot be read as a timestamp.*o2='31/31/2024'"
    ):
        load(folder, as_of="2024-03-01")


def test_all_file_problems_are_reported_together(tmp_path, tiny):
    folder = _write_csv(tmp_path / "d", tiny)
    (folder / "tickets.csv").write_text("")
    (folder / "custmers.parquet").write_text("x")
    with pytest.raises(DataContractError) as info:
        load(folder)
    assert len(info.value.violations) == 2


def test_relative_path_is_found_from_a_subfolder(tmp_path, tiny, monkeypatch):
    _write_csv(tmp_path / "data", tiny)
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert len(load("data", as_of="2024-03-01").orders) == 5


def test_cli_validate_exit_codes(tmp_path, tiny, capsys):
    folder = _write_csv(tmp_path / "d", tiny)
    assert cli(["data", "validate", str(folder), "--as-of", "2024-03-01"]) == 0
    tiny.orders.loc[0, "customer_id"] = "ghost"
    _write_csv(folder, tiny)
    assert cli(["data", "validate", str(folder), "--as-of", "2024-03-01"]) == 1
    err = capsys.readouterr().err
    assert "customer_id not found in customers" in err and "o1" in err


CUSTOMERS_CSV = (
    "customer_id,first_seen_at,deletion_requested\nc1,2024-01-01,false\nc2,2024-01-02,true\n"
)
ORDERS_CSV = "order_id,customer_id,ordered_at,amount\no1,c1,2024-01-02,5\no2,c2,2024-01-03,7\n"


@pytest.mark.parametrize("suffix", [".CSV", ".Csv", ".csv.gz", ".CSV.GZ", ".xlsx", ".Parquet"])
def test_table_files_load_whatever_the_case_or_compression(tmp_path, suffix):
    import gzip
    import io

    for table, text in (("customers", CUSTOMERS_CSV), ("orders", ORDERS_CSV)):
        frame = pd.read_csv(io.StringIO(text), dtype="str")
        path = tmp_path / f"{table}{suffix}"
        if suffix.lower() == ".xlsx":
            frame.to_excel(path, index=False)
        elif suffix.lower() == ".parquet":
            frame.to_parquet(path, index=False)
        elif suffix.lower().endswith(".gz"):
            path.write_bytes(gzip.compress(text.encode()))
        else:
            path.write_text(text)
    data = load(tmp_path, as_of="2024-02-01")
    # the customers file was read, so the erasure request was honoured
    assert data.customers["customer_id"].tolist() == ["c1"] and len(data.orders) == 1


def test_a_table_in_an_unsupported_format_is_an_error_not_ignored(tmp_path):
    (tmp_path / "customers.xls").write_text(CUSTOMERS_CSV)
    (tmp_path / "orders.csv").write_text(ORDERS_CSV)
    with pytest.raises(DataContractError, match=r"customers.xls has an unsupported format"):
        load(tmp_path, as_of="2024-02-01")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_duplicated_column_header_is_named(tmp_path, suffix):
    header = ["order_id", "customer_id", "customer_id", "ordered_at", "amount"]
    frame = pd.DataFrame([["o1", "c1", "c2", "2024-01-02", "5"]], columns=header)
    if suffix == ".csv":
        frame.to_csv(tmp_path / "orders.csv", index=False)
    else:
        frame.to_excel(tmp_path / "orders.xlsx", index=False)
    with pytest.raises(DataContractError, match=r"duplicated column header\(s\) 'customer_id'"):
        load(tmp_path, as_of="2024-02-01")


def test_customers_without_their_key_column_is_a_contract_error(tmp_path):
    (tmp_path / "customers.csv").write_text("id,first_seen_at\nc1,2024-01-01\n")
    (tmp_path / "orders.csv").write_text(ORDERS_CSV)
    with pytest.raises(DataContractError) as info:
        load(tmp_path, as_of="2024-02-01")
    report = info.value.report()
    assert ((report["column"] == "customer_id") & (report["table"] == "customers")).any()


def test_extra_personal_columns_are_dropped_for_analysis(tmp_path):
    (tmp_path / "customers.csv").write_text(
        "customer_id,first_seen_at,mobile,first_name,last_name,city\n"
        "c1,2024-01-01,07401 242486,Paul,Müller,Leeds\n"
    )
    (tmp_path / "orders.csv").write_text(ORDERS_CSV.replace("c2", "c1"))
    data = load(tmp_path, as_of="2024-02-01")
    assert set(data.customers.columns) >= {"customer_id", "city"}
    assert not {"mobile", "first_name", "last_name"} & set(data.customers.columns)
    assert any("customers.mobile" in note for note in data.notes)
    kept = load(tmp_path, as_of="2024-02-01", pii=True)
    assert "mobile" in kept.customers


def test_a_report_run_reads_each_data_set_once(tmp_path, monkeypatch):
    """Inside a run (CRMLAB_LOAD_CACHE set by the runner) the second load of the same data
    set with the same arguments is read back, not validated again; other arguments, or no
    run, load afresh; a folder that cannot be written only costs time."""
    import importlib

    from crmlab.data.load_cache import ENV, for_run

    loading = importlib.import_module("crmlab.data.load")  # the module, not the function

    folder = tmp_path / "world"
    save(generate(200, random_state=1), folder)
    calls = []
    real = loading._load
    monkeypatch.setattr(loading, "_load", lambda **kw: calls.append(kw) or real(**kw))
    cache = tmp_path / "run" / "cache"
    with for_run(cache):
        first, again = load(folder), load(folder)
        assert len(calls) == 1 and len(list(cache.glob("*.pickle"))) == 1
        pd.testing.assert_frame_equal(first.orders, again.orders)
        assert again.as_of == first.as_of and again.truth.params == first.truth.params
        load(folder, pii=True)
        assert len(calls) == 2 and len(list(cache.glob("*.pickle"))) == 2
    assert not cache.exists() and ENV not in os.environ  # the run cleans up after itself
    load(folder)
    assert len(calls) == 3  # outside a run nothing is cached
    monkeypatch.setenv(ENV, str(tmp_path / "missing" / "folder"))
    assert len(load(folder).orders) == len(first.orders) and len(calls) == 4
