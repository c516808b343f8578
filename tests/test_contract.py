"""The data contract: every rule is enforced, all violations are reported at once."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from crmlab.data import CRMData, validate
from crmlab.data.contract import TABLES, contract_markdown
from crmlab.errors import DataContractError, ParameterError

from .conftest import ROOT


def _violations(data: CRMData) -> pd.DataFrame:
    with pytest.raises(DataContractError) as info:
        validate(data)
    return info.value.report()


def test_docs_show_the_contract_as_coded():
    doc = (ROOT / "docs" / "data_contract.md").read_text()
    assert contract_markdown() in doc, "regenerate docs/data_contract.md (see its header)"


def test_valid_data_passes_and_is_normalized(tiny):
    data = validate(tiny)
    assert str(data.orders["ordered_at"].dtype).startswith("datetime64")
    assert data.orders["ordered_at"].dt.tz is not None
    assert str(data.orders["ordered_at"].dt.tz) == "UTC"
    assert data.as_of == pd.Timestamp("2024-03-01", tz="UTC")
    assert data.orders["amount"].dtype == float
    assert data.rejected is None or data.rejected.empty


def test_naive_timestamps_are_utc_and_offsets_are_converted(tiny):
    tiny.orders.loc[0, "ordered_at"] = "2024-01-02T10:00:00+02:00"
    data = validate(tiny)
    assert data.orders.loc[0, "ordered_at"] == pd.Timestamp("2024-01-02 08:00", tz="UTC")
    assert data.orders.loc[1, "ordered_at"] == pd.Timestamp("2024-01-20 00:00", tz="UTC")


def test_ids_become_strings_without_float_artefacts():
    data = validate(
        CRMData(
            customers=pd.DataFrame(
                {"customer_id": [1.0, 2.0], "first_seen_at": ["2024-01-01"] * 2}
            ),
            orders=pd.DataFrame(
                {
                    "order_id": [10, 11],
                    "customer_id": [1, 2],
                    "ordered_at": ["2024-01-02"] * 2,
                    "amount": [1, 2],
                }
            ),
            as_of="2024-02-01",
        )
    )
    assert data.customers["customer_id"].tolist() == ["1", "2"]
    assert data.orders["order_id"].tolist() == ["10", "11"]


def test_every_violation_is_reported_at_once_with_examples():
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "b", None],
            "first_seen_at": ["2024-01-01", "x", "2024-01-01", "2024-01-01"],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o1", "o3", "o4", "o5", "o6"],
            "customer_id": ["a", "a", "zz", "a", "a", "a"],
            "ordered_at": [
                "2024-01-02",
                "2024-01-03",
                "2024-01-04",
                "2030-01-01",
                "bad",
                "2024-01-05",
            ],
            "amount": [1.0, np.inf, -5.0, 2.0, 3.0, 4.0],
            "status": ["completed", "completed", "completed", "completed", "completed", "refunded"],
        }
    )
    surveys = pd.DataFrame(
        {
            "response_id": ["s1", "s2"],
            "customer_id": ["a", "a"],
            "answered_at": ["2024-01-02"] * 2,
            "nps": [11, 3.5],
        }
    )
    report = _violations(
        CRMData(customers=customers, orders=orders, surveys=surveys, as_of="2024-06-01")
    )
    rules = set(zip(report["table"], report["rule"], strict=True))
    expected = {
        ("customers", "duplicate customer_id"),
        ("customers", "customer_id is missing"),
        ("customers", "first_seen_at cannot be read as a timestamp"),
        ("orders", "duplicate order_id"),
        ("orders", "amount must be a finite number"),
        ("orders", "customer_id not found in customers"),
        ("orders", "negative amount needs status 'refunded'"),
        ("orders", "status 'refunded' needs a negative amount"),
        ("orders", "ordered_at is after as_of (2024-06-01 00:00)"),
        ("orders", "ordered_at cannot be read as a timestamp"),
        ("surveys", "nps must be in 0..10"),
        ("surveys", "nps is not a whole number"),
    }
    assert expected <= rules, expected - rules
    bad_date = report[report["rule"] == "ordered_at cannot be read as a timestamp"].iloc[0]
    assert bad_date["n_rows"] == 1 and "o5='bad'" in bad_date["examples"]
    dup = report[report["rule"] == "duplicate order_id"].iloc[0]
    assert dup["n_rows"] == 2 and dup["examples"] == "o1, o1"


def test_message_names_table_column_rule_count_and_examples(tiny):
    tiny.orders.loc[2, "customer_id"] = "ghost"
    with pytest.raises(DataContractError) as info:
        validate(tiny)
    text = str(info.value)
    for part in ("orders", "customer_id", "not found in customers", "o3", "quarantine"):
        assert part in text


def test_examples_are_capped_at_five():
    n = 12
    customers = pd.DataFrame({"customer_id": ["a"], "first_seen_at": ["2024-01-01"]})
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "customer_id": ["nobody"] * n,
            "ordered_at": ["2024-01-02"] * n,
            "amount": [1.0] * n,
        }
    )
    report = _violations(CRMData(customers=customers, orders=orders, as_of="2024-02-01"))
    row = report.iloc[0]
    assert row["n_rows"] == n and len(row["examples"].split(", ")) == 5


def test_missing_required_column_and_table_are_reported():
    orders = pd.DataFrame({"order_id": ["o1"], "customer_id": ["a"], "amount": [1.0]})
    report = _violations(CRMData(orders=orders, as_of="2024-01-01"))
    assert ("orders", "ordered_at", "required column is missing") in set(
        zip(report["table"], report["column"], report["rule"], strict=True)
    )
    assert ("customers", "required table is missing") in set(
        zip(report["table"], report["rule"], strict=True)
    )


def test_customers_are_derived_from_orders_when_absent(tiny):
    data = validate(tiny.replace(customers=None))
    assert sorted(data.customers["customer_id"]) == ["c1", "c2", "c3"]
    assert any("derived" in n for n in data.notes)


def test_empty_table_is_an_error(tiny):
    report = _violations(tiny.replace(tickets=pd.DataFrame(columns=["ticket_id"])))
    assert "table is empty" in " ".join(report["rule"])


@pytest.mark.parametrize(
    ("table", "frame", "rule"),
    [
        (
            "assignments",
            {
                "campaign_id": ["k1", "k1"],
                "customer_id": ["c1", "c1"],
                "variant": ["a", "b"],
                "assigned_at": ["2024-01-10"] * 2,
            },
            "duplicate campaign_id/customer_id",
        ),
        (
            "campaigns",
            {
                "campaign_id": ["k1"],
                "name": ["x"],
                "channel": ["email"],
                "start_at": ["2024-01-10"],
                "end_at": ["2024-01-01"],
            },
            "end_at is before start_at",
        ),
        (
            "tickets",
            {
                "ticket_id": ["t1"],
                "customer_id": ["c1"],
                "opened_at": ["2024-01-10"],
                "category": ["billing"],
                "resolved_at": ["2024-01-09"],
            },
            "resolved_at is before opened_at",
        ),
        (
            "touchpoints",
            {
                "touchpoint_id": ["p1"],
                "customer_id": ["c1"],
                "occurred_at": ["2024-01-10"],
                "channel": ["web"],
                "kind": ["view"],
                "initiator": ["robot"],
            },
            "initiator must be one of: customer, company",
        ),
    ],
)
def test_table_rules(tiny, table, frame, rule):
    extra = {table: pd.DataFrame(frame)}
    if table == "assignments":
        extra["campaigns"] = pd.DataFrame(
            {
                "campaign_id": ["k1"],
                "name": ["x"],
                "channel": ["email"],
                "start_at": ["2024-01-01"],
                "end_at": ["2024-01-20"],
            }
        )
    report = _violations(tiny.replace(**extra))
    assert rule in set(report["rule"])


def test_assignments_must_point_at_known_campaigns(tiny):
    campaigns = pd.DataFrame(
        {
            "campaign_id": ["k1"],
            "name": ["x"],
            "channel": ["email"],
            "start_at": ["2024-01-01"],
            "end_at": ["2024-01-20"],
        }
    )
    assignments = pd.DataFrame(
        {
            "campaign_id": ["k2"],
            "customer_id": ["c1"],
            "variant": ["control"],
            "assigned_at": ["2024-01-02"],
        }
    )
    report = _violations(tiny.replace(campaigns=campaigns, assignments=assignments))
    assert "campaign_id not found in campaigns" in set(report["rule"])


def test_quarantine_sets_bad_rows_aside_and_says_how_many(tiny):
    tiny.orders.loc[2, "customer_id"] = "ghost"
    tiny.orders["amount"] = tiny.orders["amount"].astype(object)
    tiny.orders.loc[3, "amount"] = "n/a"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = validate(tiny, on_error="quarantine")
    assert any("orders: 2" in str(w.message) for w in caught)
    assert sorted(data.orders["order_id"]) == ["o1", "o2", "r1"]
    assert set(data.rejected["key"]) == {"o3", "o4"}
    assert set(data.rejected.columns) == {"table", "row", "key", "column", "rule"}


def test_quarantine_cannot_hide_a_missing_column(tiny):
    with pytest.raises(DataContractError, match="required column is missing"):
        validate(tiny.replace(orders=tiny.orders.drop(columns="amount")), on_error="quarantine")


def test_bad_parameters_are_named():
    with pytest.raises(ParameterError, match="on_error"):
        validate(CRMData(), on_error="ignore")
    with pytest.raises(ParameterError, match="as_of"):
        validate(CRMData(), as_of="yesterday-ish")


def test_every_table_has_its_key_among_required_columns():
    filled_by_validation = {"line_number"}  # numbered in row order when absent
    for spec in TABLES.values():
        assert set(spec.key) <= set(spec.required_columns) | filled_by_validation, spec.name
