"""Retention by acquisition channel: months after the first purchase, censored at as_of."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab.data import CRMData, validate
from crmlab.errors import ParameterError
from crmlab.features import retention_by_channel


def _shop() -> CRMData:
    orders = pd.DataFrame(
        {
            "order_id": ["x1", "x2", "x3", "rx", "y1"],
            "customer_id": ["x", "x", "x", "x", "y"],
            "ordered_at": ["2024-01-01", "2024-02-10", "2024-04-10", "2024-03-11", "2024-05-01"],
            "amount": [10.0, 10.0, 10.0, -10.0, 5.0],
            "status": ["completed", "completed", "completed", "refunded", "completed"],
            "channel": ["web", "app", "app", "web", "app"],
        }
    )
    customers = pd.DataFrame({"customer_id": ["x", "y"], "first_seen_at": ["2024-01-01"] * 2})
    return validate(CRMData(customers=customers, orders=orders, as_of="2024-06-30"))


def test_months_after_the_first_purchase_by_its_channel():
    found = retention_by_channel(_shop(), months=6)
    # x came by web on 01-01 and bought on day 40 (month 1) and day 100 (month 3); the
    # refund on day 70 is no purchase; x's months 1-4 have ended by 06-30 (181 days later).
    # y came by app on 05-01: its first month ends on 06-30 at 21:00, after as_of.
    assert found["channel"].unique().tolist() == ["web"]
    assert found["month"].tolist() == [1, 2, 3, 4]
    assert found["buyers"].tolist() == [1, 0, 1, 0] and (found["customers"] == 1).all()
    assert (found["ci_low"] <= found["retention"]).all()
    assert (found["retention"] <= found["ci_high"]).all()


def test_a_first_order_refunded_in_full_acquires_no_one():
    # rx names x1 and undoes it: x's first purchase is x2 on 02-10, by app (one definition
    # of a purchase, features.orders_view)
    shop = _shop()
    orders = shop.orders.assign(refund_of=[None, None, None, "x1", None])
    found = retention_by_channel(shop.replace(orders=orders), months=6)
    assert found["channel"].unique().tolist() == ["app"]
    # x3 is 60 days after x2 (month 1); months 1-3 have ended by 06-30 (141 days later)
    assert found["month"].tolist() == [1, 2, 3]
    assert found["buyers"].tolist() == [1, 0, 0]


def test_the_sample_world_retains_fewer_as_months_pass(world):
    found = retention_by_channel(world, months=6)
    first = found[found["month"] == 1].set_index("channel")["retention"]
    sixth = found[found["month"] == 6].set_index("channel")["retention"]
    assert (sixth < first).all()


def test_bad_arguments():
    with pytest.raises(ParameterError, match="months=0"):
        retention_by_channel(_shop(), months=0)
    with pytest.raises(ParameterError, match="no channel column"):
        data = _shop()
        retention_by_channel(data.replace(orders=data.orders.drop(columns="channel")))
