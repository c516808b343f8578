"""The product and loyalty tables of the contract: order_lines, products, loyalty_events,
memberships. Rules that reject rows, and the cross-table rules that are only reported."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from crmlab.data import CRMData, load
from crmlab.data.cross_checks import running_balances
from crmlab.data.importer import ORPHAN_LINES, run_import
from crmlab.data.privacy import for_analysis
from crmlab.data.validate import validate
from crmlab.errors import DataContractError, ParameterError

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2024-06-01"


def _shop(**tables) -> CRMData:
    base = {
        "customers": pd.DataFrame(
            {"customer_id": ["a", "b"], "first_seen_at": ["2024-01-01", "2024-01-02"]}
        ),
        "orders": pd.DataFrame(
            {
                "order_id": ["o1", "o2", "o3"],
                "customer_id": ["a", "b", "a"],
                "ordered_at": ["2024-02-01", "2024-02-02", "2024-02-03"],
                "amount": [30.0, 10.0, -10.0],
            }
        ),
        "products": pd.DataFrame(
            {"product_id": ["p1", "p2"], "name": ["Tea", "Cup"], "category": ["food", "home"]}
        ),
    }
    return CRMData(**{**base, **tables}, as_of=AS_OF)


def _lines(**changes) -> pd.DataFrame:
    lines = pd.DataFrame(
        {
            "order_id": ["o1", "o1", "o1", "o2", "o3"],
            "product_id": ["p1", "p1", "p2", "p2", "p2"],
            "quantity": [1, 1, 2, 2, -2],
            "unit_price": [10.0, 10.0, 5.0, 5.0, 5.0],
        }
    )
    return lines.assign(**changes)


def _violations(data: CRMData) -> pd.DataFrame:
    with pytest.raises(DataContractError) as err:
        validate(data)
    return err.value.report()


def _rules(data: CRMData) -> set[tuple[str, str, str]]:
    v = _violations(data)
    return set(zip(v["table"], v["column"], v["rule"], strict=True))


def test_lines_are_numbered_in_row_order_and_a_repeated_product_stays_two_lines():
    data = validate(_shop(order_lines=_lines()))
    lines = data.order_lines
    assert lines["line_number"].tolist() == [1, 2, 3, 1, 1]
    assert (lines["order_id"] + lines["product_id"]).tolist().count("o1p1") == 2
    assert any("numbered 1, 2, ..." in n for n in data.notes)
    # the lines add up to every order: nothing to report
    assert not any("do not add up" in n or "have no lines" in n for n in data.notes)


def test_given_line_numbers_must_be_unique_within_the_order_and_positive():
    rules = _rules(_shop(order_lines=_lines(line_number=[1, 1, 2, 1, 0])))
    assert ("order_lines", "order_id/line_number", "duplicate order_id/line_number") in rules
    assert ("order_lines", "line_number", "line_number must be >= 1") in rules


def test_lines_point_at_known_orders_and_products():
    lines = _lines(
        order_id=["o1", "o1", "o1", "o2", "o9"], product_id=["p1", "p1", "p2", "p7", "p2"]
    )
    v = _violations(_shop(order_lines=lines)).set_index("rule")
    assert v.loc["order_id not found in orders", "n_rows"] == 1
    assert v.loc["product_id not found in products", "n_rows"] == 1
    assert v.loc["product_id not found in products", "examples"] == "o2/1 ('p7')"  # key (value)
    # without a products table, any product_id is accepted
    validate(_shop(order_lines=lines.assign(order_id=["o1"] * 5), products=None))


def test_negative_unit_price_and_missing_quantity_are_rejected():
    lines = _lines(unit_price=[10.0, -10.0, 5.0, 5.0, 5.0], quantity=[1, 1, None, 2, -2])
    rules = _rules(_shop(order_lines=lines))
    assert ("order_lines", "unit_price", "unit_price must be >= 0") in rules
    assert ("order_lines", "quantity", "quantity is missing") in rules


def test_lines_that_do_not_add_up_are_reported_not_rejected():
    lines = _lines(unit_price=[10.0, 10.0, 5.0, 5.04, 5.0])  # o2 within 1%: not reported
    orders = _shop().orders.assign(amount=[33.0, 10.0, -10.0])  # o1 includes 3.00 shipping
    orders = pd.concat([orders, orders.iloc[[0]].assign(order_id="o4")], ignore_index=True)
    data = validate(_shop(orders=orders, order_lines=lines))
    (added,) = [n for n in data.notes if "do not add up" in n]
    assert "1 of 3 orders" in added and "'o1' (lines 30.00, amount 33.00)" in added
    (empty,) = [n for n in data.notes if "have no lines" in n]
    assert "1 of 4 orders" in empty and "'o4'" in empty
    assert len(data.order_lines) == 5


def _events(**changes) -> pd.DataFrame:
    events = pd.DataFrame(
        {
            "event_id": ["e1", "e2", "e3", "e4", "e5"],
            "customer_id": ["a", "a", "a", "b", "b"],
            "occurred_at": ["2024-02-01", "2024-03-01", "2024-04-01", "2024-02-02", "2024-03-01"],
            "kind": ["earn", "redeem", "expire", "earn", "adjust"],
            "points": [100.0, -60.0, -40.0, 50.0, -5.0],
            "order_id": ["o1", None, None, "o2", None],
        }
    )
    return events.assign(**changes)


def _memberships(**changes) -> pd.DataFrame:
    spans = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "tier": ["bronze", "silver", "bronze"],
            "from_at": ["2024-01-01", "2024-03-01", "2024-01-05"],
            "to_at": ["2024-03-01", None, None],
        }
    )
    return spans.assign(**changes)


def test_a_consistent_loyalty_program_validates_without_notes():
    data = validate(_shop(loyalty_events=_events(), memberships=_memberships()))
    assert not any("loyalty" in n for n in data.notes)
    balances = running_balances(data.loyalty_events).groupby("customer_id")["balance"].last()
    assert balances.to_dict() == {"a": 0.0, "b": 45.0}


def test_point_rules_name_kind_and_sign():
    # one redeem given as a positive size among negative ones: a mix, so not repaired
    events = _events(kind=["earn", "redeem", "redeem", "earn", "burn"], points=[-1, 5, -1, 50, 5])
    rules = _rules(_shop(loyalty_events=events))
    assert ("loyalty_events", "kind", "kind must be one of: earn, redeem, expire, adjust") in rules
    assert ("loyalty_events", "kind/points", "earn needs points > 0") in rules
    assert ("loyalty_events", "kind/points", "redeem and expire need points < 0") in rules
    assert ("loyalty_events", "order_id", "order_id not found in orders") not in rules


def test_points_taken_away_as_positive_sizes_are_made_negative_and_said():
    data = validate(_shop(loyalty_events=_events(points=[100.0, 60.0, 40.0, 50.0, -5.0])))
    assert data.loyalty_events["points"].tolist() == [100.0, -60.0, -40.0, 50.0, -5.0]
    assert any("2 redeem/expire row(s) gave points as positive sizes" in n for n in data.notes)


def test_a_balance_below_zero_is_reported_with_the_lowest_value():
    events = _events(points=[100.0, -160.0, -40.0, 50.0, -5.0])
    data = validate(_shop(loyalty_events=events))
    (note,) = [n for n in data.notes if "below zero" in n]
    assert "1 customer(s)" in note and "'a' (-100)" in note


def test_earn_counts_before_a_redeem_at_the_same_moment():
    events = _events(occurred_at=["2024-02-01"] * 5, event_id=["e9", "e1", "e2", "e8", "e3"])
    data = validate(_shop(loyalty_events=events))
    assert not any("below zero" in n for n in data.notes)


def test_membership_spans_may_not_overlap_or_end_before_they_start():
    overlapping = _memberships(from_at=["2024-01-01", "2024-02-15", "2024-01-05"])
    assert ("memberships", "customer_id/from_at", "spans of one customer overlap") in _rules(
        _shop(memberships=overlapping)
    )
    backwards = _memberships(to_at=["2023-12-01", None, None])
    assert ("memberships", "from_at/to_at", "to_at is not after from_at") in _rules(
        _shop(memberships=backwards)
    )
    # an open span followed by another, also without a to_at column at all
    two_open = _memberships().drop(columns="to_at")
    v = _violations(_shop(memberships=two_open)).set_index("rule")
    assert v.loc["spans of one customer overlap", "examples"] == "a/2024-03-01 00:00:00+00:00"


def test_quarantine_sets_bad_lines_and_points_aside():
    lines = _lines(product_id=["p1", "p1", "p2", "p7", "p2"])
    events = _events(kind=["earn", "redeem", "burn", "earn", "adjust"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = validate(_shop(order_lines=lines, loyalty_events=events), on_error="quarantine")
    assert "order_lines: 1" in str(caught[0].message)
    assert sorted(data.rejected["table"]) == ["loyalty_events", "order_lines"]
    assert len(data.order_lines) == 4 and len(data.loyalty_events) == 4


def test_erasure_removes_the_lines_of_erased_customers_orders():
    customers = _shop().customers.assign(deletion_requested=[True, False])
    data = validate(_shop(customers=customers, order_lines=_lines()))
    kept = for_analysis(data)
    assert set(kept.order_lines["order_id"]) == {"o2"}
    assert any("and their 2 orders, 4 order_lines" in n for n in kept.notes)


def test_a_folder_with_the_new_tables_loads(tmp_path):
    shop = _shop(order_lines=_lines(), loyalty_events=_events(), memberships=_memberships())
    for name, frame in shop.tables().items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    data = load(tmp_path, as_of=AS_OF)
    assert len(data.order_lines) == 5 and len(data.memberships) == 3
    assert str(data.loyalty_events["occurred_at"].dtype) == "datetime64[us, UTC]"


def test_online_retail_lines_import_beside_their_orders(tmp_path):
    spec = ROOT / "examples" / "online_retail" / "online_retail.yaml"
    report = run_import(spec, tmp_path / "out")
    lines_report = report.tables["order_lines"]
    (orphans,) = [a for a in lines_report.set_aside if a["reason"] == ORPHAN_LINES]
    raw = pd.read_csv(spec.parent / "invoices.csv", dtype="str")
    guests = raw["CustomerID"].isna() | raw["CustomerID"].eq("(blank)")
    assert orphans["rows"] == guests.sum()
    data = load(tmp_path / "out")
    totals = (
        (data.order_lines["quantity"] * data.order_lines["unit_price"])
        .groupby(data.order_lines["order_id"])
        .sum()
    )
    amounts = data.orders.set_index("order_id")["amount"]
    assert totals.reindex(amounts.index).sub(amounts).abs().max() < 1e-9
    refund_lines = data.order_lines[data.order_lines["order_id"].str.startswith("C")]
    assert len(refund_lines) and (refund_lines["quantity"] < 0).all()
    assert not any("do not add up" in n for n in data.notes)


def test_a_line_export_sets_aside_rows_without_product_or_number(tmp_path):
    (tmp_path / "lines.csv").write_text(
        "Receipt,Sku,Qty,Price\nR1,A,1,2.5\nR1,,1,2.5\nR2,B,x,1.0\nR2,B,2,1.0\n"
    )
    (tmp_path / "spec.yaml").write_text(
        'as_of: "2024-01-01"\ntables:\n  order_lines:\n    file: lines.csv\n'
        "    columns: {order_id: Receipt, product_id: Sku, quantity: Qty, unit_price: Price}\n"
    )
    report = run_import(tmp_path / "spec.yaml", dry_run=True).tables["order_lines"]
    reasons = {a["reason"]: a["rows"] for a in report.set_aside}
    assert reasons == {
        "rows without product_id": 1,
        "rows whose quantity is missing or not a number": 1,
    }
    assert report.rows_written == 2


def test_amount_and_lines_belong_to_orders_only(tmp_path):
    (tmp_path / "spec.yaml").write_text(
        'as_of: "2024-01-01"\ntables:\n  order_lines:\n    file: lines.csv\n'
        '    amount: "Qty * Price"\n'
    )
    with pytest.raises(ParameterError, match="line 5: `amount` applies to orders only"):
        run_import(tmp_path / "spec.yaml", dry_run=True)
