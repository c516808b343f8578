"""Refunds and cancellations are never purchases; money is net of refunds by default."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from crmlab.data import CRMData, validate
from crmlab.errors import DataContractError
from crmlab.features import customer_summary
from crmlab.segment import rfm

AS_OF = "2024-06-30"


def _orders(rows, status=True):
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "ordered_at", "amount"])
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"], utc=True)
    if status:
        frame["status"] = ["refunded" if a < 0 else "completed" for a in frame["amount"]]
    return frame


def _valid(orders):
    return validate(CRMData(orders=orders, as_of=AS_OF))


def test_negative_amounts_without_status_are_refunds_and_said_so():
    data = _valid(
        _orders([("o1", "c1", "2024-01-02", 50.0), ("C1", "c1", "2024-01-03", -50.0)], status=False)
    )
    assert data.orders.set_index("order_id")["status"].to_dict() == {
        "o1": "completed",
        "C1": "refunded",
    }
    assert any("1 order(s) with a negative amount are refunds" in n for n in data.notes)


@pytest.mark.parametrize("status", [True, False])
def test_a_refund_never_raises_frequency(status):
    buys = [("o1", "c1", "2024-01-02", 50.0), ("o2", "c1", "2024-02-02", 30.0)]
    refund = [("r1", "c1", "2024-03-02", -30.0)]
    raw_before = _orders(buys, status)
    raw_after = _orders(buys + refund, status)
    for frame in (raw_after, _valid(raw_after).orders):  # raw frames too, without validation
        before = customer_summary(raw_before, AS_OF).table.loc["c1"]
        after = customer_summary(frame, AS_OF).table.loc["c1"]
        for column in ("frequency", "recency", "n_orders", "last_order_at", "revenue"):
            assert after[column] == before[column], column
        assert after["net_revenue"] == 50.0 and after["refund_amount"] == 30.0


def test_rfm_monetary_is_net_of_refunds_unless_gross_is_asked():
    orders = _orders(
        [
            ("o1", "c1", "2024-06-01", 100.0),
            ("r1", "c1", "2024-06-02", -80.0),
            ("o2", "c2", "2024-06-01", 40.0),
        ]
    )
    net = rfm(_valid(orders), AS_OF)
    gross = rfm(_valid(orders), AS_OF, monetary="gross")
    assert net.loc["c1", "revenue"] == 20.0 and gross.loc["c1", "revenue"] == 100.0
    assert net.loc["c1", "m_score"] < net.loc["c2", "m_score"]
    assert gross.loc["c1", "m_score"] > gross.loc["c2", "m_score"]


def _shop_with_a_canceller(linked: bool) -> pd.DataFrame:
    """20 ordinary customers, and c0 who ordered often and recently but cancelled it all."""
    rows = []
    for i in range(1, 21):
        for k in range(i % 4 + 1):
            rows.append((f"o{i}_{k}", f"c{i}", f"2024-0{k + 1}-1{i % 9}", 20.0 + i))
    refunds = []
    for k in range(6):
        rows.append((f"x{k}", "c0", f"2024-06-{10 + k}", 500.0))
        refunds.append((f"Cx{k}", "c0", f"2024-06-{10 + k}", -500.0, f"x{k}"))
    orders = _orders(rows + [r[:4] for r in refunds])
    if linked:
        orders["refund_of"] = [None] * len(rows) + [r[4] for r in refunds]
    return orders


@pytest.mark.parametrize("linked", [True, False])
def test_a_customer_whose_orders_were_all_cancelled_is_no_champion(linked):
    data = _valid(_shop_with_a_canceller(linked))
    scores = rfm(data, AS_OF)
    if linked:  # each cancellation nets its order away: no purchase left
        assert "c0" not in scores.index
    else:
        assert scores.loc["c0", "revenue"] == 0 and scores.loc["c0", "m_score"] == 1
        assert scores.loc["c0", "segment"] != "Champions"


def test_refund_of_nets_against_its_order_once_known():
    orders = _orders(
        [
            ("o1", "c1", "2024-01-02", 100.0),
            ("o2", "c1", "2024-02-02", 60.0),
            ("r1", "c1", "2024-03-01", -40.0),
            ("r2", "c1", "2024-05-01", -60.0),
        ]
    )
    orders["refund_of"] = [None, None, "o1", "o2"]
    orders = _valid(orders).orders
    april = customer_summary(orders, "2024-04-01").table.loc["c1"]
    assert april["n_orders"] == 2 and april["revenue"] == 60.0 + 60.0  # o1 netted to 60
    june = customer_summary(orders, AS_OF).table.loc["c1"]  # o2 refunded in full: no purchase
    assert june["n_orders"] == 1 and june["frequency"] == 0 and june["revenue"] == 60.0
    assert june["net_revenue"] == 60.0


def test_refund_of_must_name_an_order_and_sit_on_a_refund():
    orders = _orders([("o1", "c1", "2024-01-02", 100.0), ("r1", "c1", "2024-03-01", -40.0)])
    orders["refund_of"] = ["o1", "nope"]
    with pytest.raises(DataContractError) as info:
        _valid(orders)
    rules = set(info.value.report()["rule"])
    assert {"refund_of is not an order_id of orders", "refund_of needs status 'refunded'"} <= rules


def _linked(rows, links):
    """Orders (id, customer, date, amount) with refund_of taken from ``links`` {refund: order}."""
    orders = _orders(rows)
    orders["refund_of"] = orders["order_id"].map(links)
    return _valid(orders)


def test_churn_snapshots_net_refunds_known_at_each_cutoff():
    from crmlab.features import churn_snapshots

    data = _linked(
        [
            ("o1", "c1", "2024-01-10", 100.0),
            ("o2", "c1", "2024-02-10", 60.0),
            ("r2", "c1", "2024-03-01", -60.0),  # o2 refunded in full, known from March 1
            ("r1", "c1", "2024-03-05", -40.0),  # o1 partly refunded
            ("o3", "c2", "2024-01-20", 50.0),
            ("o4", "c2", "2024-02-25", 20.0),  # c2 buys after both cutoffs
            ("o5", "c2", "2024-03-20", 20.0),
        ],
        {"r2": "o2", "r1": "o1"},
    )
    snap = churn_snapshots(data, ["2024-02-20", "2024-03-10"], horizon_days=30)
    c1 = snap.table.set_index(["customer_id", "cutoff"]).xs("c1")
    feb, mar = c1.iloc[0], c1.iloc[1]
    # on Feb 20 nothing was refunded yet: two purchases, gross money
    assert (feb["n_orders"], feb["revenue"], feb["refund_rate"]) == (2, 160.0, 0.0)
    assert feb["ipt_mean_days"] == 31.0
    # on Mar 10 o2 is gone (refunded in full) and o1 is worth 60: one purchase, no gap
    assert (mar["n_orders"], mar["revenue"], mar["avg_order_value"]) == (1, 60.0, 60.0)
    assert mar["recency_days"] == mar["tenure_days"] == 60.0 and pd.isna(mar["ipt_mean_days"])
    assert mar["refund_rate"] == 0.5  # two of four order rows are refunds


def test_a_purchase_refunded_in_full_within_the_label_window_is_no_purchase():
    from crmlab.features import churn_snapshots

    data = _linked(
        [
            ("a0", "kept", "2024-01-05", 10.0),
            ("a1", "kept", "2024-02-10", 30.0),
            ("ra", "kept", "2024-04-01", -30.0),  # refunded after the window closed
            ("b0", "gone", "2024-01-05", 10.0),
            ("b1", "gone", "2024-02-10", 30.0),
            ("rb", "gone", "2024-02-20", -30.0),  # refunded within the window
            ("c0", "part", "2024-01-05", 10.0),
            ("c1", "part", "2024-02-10", 30.0),
            ("rc", "part", "2024-02-20", -10.0),  # partly refunded: still a purchase
        ],
        {"ra": "a1", "rb": "b1", "rc": "c1"},
    )
    snap = churn_snapshots(data, ["2024-02-01"], horizon_days=28)
    churned = snap.table.set_index("customer_id")["churned"].to_dict()
    assert churned == {"kept": 0, "gone": 1, "part": 0}


def test_refunds_that_add_up_to_the_order_cancel_it_exactly_in_features_and_label():
    from crmlab.features import churn_snapshots

    # 0.7 + 0.2 + 0.1 is 0.9999999999999999 in floating point: summed exactly, it is 1.0
    rows = [("a0", "kept", "2024-01-05", 10.0), ("a1", "kept", "2024-02-10", 30.0)]
    rows += [("b0", "gone", "2024-01-05", 10.0), ("b1", "gone", "2024-02-10", 1.0)]
    rows += [(f"r{k}", "gone", "2024-02-20", -v) for k, v in enumerate([0.7, 0.2, 0.1])]
    data = _linked(rows, {"r0": "b1", "r1": "b1", "r2": "b1"})
    label = churn_snapshots(data, ["2024-02-01"], horizon_days=28).table
    assert label.set_index("customer_id")["churned"].to_dict() == {"kept": 0, "gone": 1}
    later = churn_snapshots(data, ["2024-02-25"], horizon_days=28, labelled=False).table
    assert later.set_index("customer_id").loc["gone", "n_orders"] == 1  # b1 is no purchase


@pytest.mark.parametrize("linked", [True, False])
def test_net_revenue_is_the_exact_decimal_total_of_orders_and_refunds(linked):
    """Net revenue adds revenue and refunds as decimals when no refund names its order:
    the same double as summing every row exactly (what Python's Decimal gives)."""
    rng = np.random.default_rng(0)  # a seed where adding the two doubles is off by one bit
    amounts = [*np.round(rng.uniform(0.01, 1e6, 40), 9), 0.1, 0.2, 1 / 3]
    rows = [(f"o{k}", "c1", f"2024-0{k % 5 + 1}-1{k % 9}", a) for k, a in enumerate(amounts)]
    rows += [("r1", "c1", "2024-06-01", -amounts[0] / 7), ("r2", "c1", "2024-06-02", -1 / 3)]
    orders = _orders(rows)
    if linked:
        orders["refund_of"] = [None] * len(amounts) + ["o0", None]
    summary = customer_summary(_valid(orders), AS_OF).table.loc["c1"]
    exact = sum(Decimal(float(a)).quantize(Decimal("1e-9")) for a in orders["amount"])
    assert summary["net_revenue"] == float(exact)
