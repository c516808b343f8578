"""Channel mix of segments over time: purchases (one definition) or touchpoints, per
calendar period, shares adding up per segment and period."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab import segment
from crmlab.data import CRMData, validate
from crmlab.errors import ParameterError


def _shop() -> CRMData:
    orders = pd.DataFrame(
        {
            "order_id": ["a1", "a2", "a3", "b1", "b2", "rb2", "c1"],
            "customer_id": ["a", "a", "a", "b", "b", "b", "c"],
            "ordered_at": [
                "2024-01-05", "2024-02-01", "2024-04-02", "2024-01-10", "2024-05-01",
                "2024-05-03", "2024-06-01",
            ],
            "amount": [10.0, 10.0, 10.0, 20.0, 20.0, -20.0, 5.0],
            "status": ["completed"] * 5 + ["refunded", "completed"],
            "channel": ["web", "store", "web", "app", "web", "web", None],
            "refund_of": [None] * 5 + ["b2", None],
        }
    )  # fmt: skip
    touchpoints = pd.DataFrame(
        {
            "touchpoint_id": ["t1", "t2", "t3"],
            "customer_id": ["a", "a", "b"],
            "occurred_at": ["2024-01-01", "2024-07-01", "2024-01-02"],
            "channel": ["email", "email", "phone"],
            "kind": "visit",
        }
    )
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "first_seen_at": ["2024-01-01"] * 3})
    return validate(
        CRMData(customers=customers, orders=orders, touchpoints=touchpoints, as_of="2024-07-31")
    )


SEGMENTS = pd.Series({"a": "loyal", "b": "new", "c": "new"})


def test_purchases_per_quarter_by_hand():
    mix = segment.channel_mix(_shop(), SEGMENTS, "2024-05-15", period="Q")
    rows = {(r.segment, r.period.strftime("%Y-%m"), r.channel): r for r in mix.itertuples()}
    # a: Q1 web + store (half each), Q2 web; b: Q1 app; b2 was refunded in full (rb2 names
    # it) and c1 comes after as_of: neither is a purchase here
    assert rows[("loyal", "2024-01", "web")].share == 0.5
    assert rows[("loyal", "2024-01", "store")].events == 1
    assert rows[("loyal", "2024-04", "web")].share == 1.0
    assert rows[("new", "2024-01", "app")].share == 1.0
    assert len(mix) == 4
    assert mix.groupby(["segment", "period"])["share"].sum().eq(1).all()
    assert mix.loc[mix["period"] == pd.Timestamp("2024-04-01", tz="UTC"), "partial"].all()
    assert not mix.loc[mix["period"] == pd.Timestamp("2024-01-01", tz="UTC"), "partial"].any()


def test_whole_history_and_missing_channels():
    later = _shop()
    mix = segment.channel_mix(later, SEGMENTS, "2024-06-30", period=None).set_index(
        ["segment", "channel"]
    )
    assert mix.loc[("new", "unknown"), "events"] == 1  # c1 has no channel
    assert mix.loc[("new", "app"), "share"] == 0.5
    assert mix["period"].isna().all() and not mix["partial"].any()
    profile = segment.profile(SEGMENTS, later, "2024-06-30", min_cell_size=1).set_index("segment")
    assert profile.loc["loyal", "channel_web"] == pytest.approx(2 / 3)  # the profile's mix


def test_touchpoints_as_the_source():
    mix = segment.channel_mix(_shop(), SEGMENTS, "2024-05-15", period="M", source="touchpoints")
    assert mix[["segment", "channel", "events"]].values.tolist() == [
        ["loyal", "email", 1],  # t2 is after as_of
        ["new", "phone", 1],
    ]


def test_the_sample_world_mix_adds_up(world):
    labels = segment.rfm(world.orders, world.as_of)["segment"]
    mix = segment.channel_mix(world, labels, period="Q")
    assert mix.groupby(["segment", "period"])["share"].sum().round(12).eq(1).all()
    assert set(mix["segment"]) == set(labels)


def test_bad_arguments():
    with pytest.raises(ParameterError, match="period='W'"):
        segment.channel_mix(_shop(), SEGMENTS, period="W")
    with pytest.raises(ParameterError, match="source="):
        segment.channel_mix(_shop(), SEGMENTS, source="tickets")
    with pytest.raises(ParameterError, match="non-empty Series"):
        segment.channel_mix(_shop(), pd.Series(dtype=str))
    data = _shop()
    with pytest.raises(ParameterError, match="no channel column"):
        segment.channel_mix(data.replace(orders=data.orders.drop(columns="channel")), SEGMENTS)
