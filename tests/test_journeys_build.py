"""Journeys from touchpoints and orders: sessions, the lookback, direct and open journeys."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab.data import CRMData, validate
from crmlab.errors import ParameterError
from crmlab.features import journeys
from crmlab.journeys import markov_attribution, shapley_attribution

T = pd.Timestamp


def _shop() -> CRMData:
    touch = [  # customer, when, channel
        ("a", "2024-01-01 10:00", "web"),
        ("a", "2024-01-01 10:10", "web"),  # same visit: one touch
        ("a", "2024-01-03 09:00", "email"),
        ("a", "2024-02-20 09:00", "web"),  # 41 days before a's next order: no journey of it
        ("a", "2024-04-01 12:00", "app"),  # a non-converting journey, ended by as_of
        ("a", "2024-06-25 12:00", "web"),  # open: 6 days before as_of
        ("b", "2024-03-01 08:00", "store"),
        ("b", "2024-03-01 09:00", "store"),  # an hour later: a second store touch
        ("b", "2024-03-02 08:00", "web"),  # same moment as b's order: it counts before it
    ]
    touchpoints = pd.DataFrame(touch, columns=["customer_id", "occurred_at", "channel"])
    touchpoints.insert(0, "touchpoint_id", [f"t{i}" for i in range(len(touch))])
    touchpoints["kind"] = "visit"
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "r3", "o4"],
            "customer_id": ["a", "a", "b", "b", "c"],
            "ordered_at": [
                "2024-01-05",
                "2024-04-01 08:00",
                "2024-03-02 08:00",
                "2024-03-05",
                "2024-05-01",
            ],
            "amount": [50.0, 20.0, 30.0, -30.0, 10.0],
            "status": ["completed", "completed", "completed", "refunded", "completed"],
        }
    )
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "first_seen_at": ["2023-12-01"] * 3})
    return validate(
        CRMData(customers=customers, orders=orders, touchpoints=touchpoints, as_of="2024-06-30")
    )


def test_journeys_follow_the_definitions():
    found = journeys(_shop(), lookback_days=30)
    table = found.table.set_index("journey_id")
    assert table.loc["O:o1", "path"] == "web > email"  # the visit's two views are one touch
    assert table.loc["O:o1", "hours_to_conversion"] == pytest.approx(4 * 24 - 10)
    assert table.loc["O:o1", "value"] == 50
    assert table.loc["O:o3", "path"] == "store > store > web" and table.loc["O:o3", "converted"]
    assert "O:o2" not in table.index  # the touch before o2 was 41 days earlier: direct
    assert found.direct == 2  # o2 and c's o4; the refund r3 is no conversion
    lost = table[~table["converted"]]
    assert lost["path"].tolist() == ["web", "app"]  # 2024-02-20 and 2024-04-01, 41 days apart
    assert found.open == 1  # a's last web touch may still convert
    paths = found.paths().set_index("path")
    assert paths.loc["web > email", "conversions"] == 1
    assert paths.loc["web", "non_conversions"] == 1
    sets = found.coalitions()
    rates = dict(zip(sets["channels"], sets["rate"], strict=True))
    assert rates == {
        frozenset({"web", "email"}): 1,
        frozenset({"store", "web"}): 1,
        frozenset({"web"}): 0,
        frozenset({"app"}): 0,
    }
    assert (
        found.touches.groupby("journey_id")["position"].max().to_dict()
        == table["touches"].to_dict()
    )


def test_an_order_refunded_in_full_is_no_conversion():
    # crmlab's one definition of a purchase (features.orders_view): r3 names o3 and undoes
    # it, so b's touches led to nothing; a refund after as_of is not known yet
    shop = _shop()
    orders = shop.orders.assign(refund_of=[None, None, None, "o3", None])
    table = journeys(shop.replace(orders=orders)).table.set_index("journey_id")
    assert "O:o3" not in table.index
    assert not table.loc[table["customer_id"] == "b", "converted"].any()
    assert table.loc[table["customer_id"] == "b", "path"].tolist() == ["store > store > web"]
    known_later = journeys(shop.replace(orders=orders), as_of="2024-03-04").table
    assert known_later.set_index("journey_id").loc["O:o3", "converted"]


def test_acquisition_journeys_end_at_the_first_purchase():
    found = journeys(_shop(), lookback_days=60, conversion="first_purchase")
    table = found.table.set_index("journey_id")
    # a's first purchase o1 converts; o2 is no conversion and a's later touches are left
    # out (a has been won); b's o3 converts; c's o4 is direct
    assert table.index[table["converted"]].tolist() == ["O:o1", "O:o3"]
    assert (table.loc[table["customer_id"] == "a", "ended_at"] <= T("2024-01-05", tz="UTC")).all()
    assert found.direct == 1 and found.open == 0 and found.conversion == "first_purchase"
    with pytest.raises(ParameterError, match="conversion='sale'"):
        journeys(_shop(), conversion="sale")


def test_first_purchases_are_marked():
    table = journeys(_shop(), lookback_days=60).table.set_index("journey_id")
    assert table.loc["O:o1", "first_purchase"] and table.loc["O:o3", "first_purchase"]
    assert not table.loc["O:o2", "first_purchase"]  # a's second purchase
    assert not table.loc[~table["converted"], "first_purchase"].any()


def test_a_longer_lookback_joins_more_touches():
    table = journeys(_shop(), lookback_days=60).table.set_index("journey_id")
    assert table.loc["O:o2", "path"] == "web"  # 2024-02-20 is within 60 days of o2
    assert table.loc[~table["converted"], "path"].tolist() == ["app"]  # ended by May 31


def test_the_sample_world_into_markov_attribution(sample_world_small):
    found = journeys(sample_world_small)
    paths = found.paths()
    # the synthetic world's refunds name no order: every completed order is a purchase
    assert "refund_of" not in sample_world_small.orders.columns
    assert paths["conversions"].sum() + found.direct == (
        (sample_world_small.orders["status"] == "completed").sum()
    )
    credit = markov_attribution(paths)
    assert credit["credit"].sum() == pytest.approx(1)
    sets = found.coalitions()
    assert sets["journeys"].sum() == len(found.table)
    values = shapley_attribution(dict(zip(sets["channels"], sets["rate"], strict=True)))
    assert values["shapley_value"].sum() == pytest.approx(sets["rate"].sum())


def test_channel_names_with_markup_and_the_separator():
    shop = _shop()
    odd = shop.touchpoints["channel"].replace({"web": "web <b>x</b>", "email": "a>b"})
    found = journeys(shop.replace(touchpoints=shop.touchpoints.assign(channel=odd)))
    credit = markov_attribution(found.paths())
    assert set(credit["channel"]) == {"web <b>x</b>", "a>b", "store", "app"}
    clash = shop.touchpoints.assign(channel=shop.touchpoints["channel"].replace({"web": "x > y"}))
    with pytest.raises(ParameterError, match=r"1 channel name\(s\) contain ' > '.*'x > y'"):
        journeys(shop.replace(touchpoints=clash))


def test_bad_arguments():
    with pytest.raises(ParameterError, match="lookback_days=0"):
        journeys(_shop(), lookback_days=0)
    with pytest.raises(ParameterError, match="embedded DuckDB engine only"):
        journeys(_shop(), engine="sc://localhost:15002")
    with pytest.raises(ParameterError, match="no touchpoints"):
        journeys(_shop().replace(touchpoints=None))


@pytest.fixture
def sample_world_small(world):
    return world
