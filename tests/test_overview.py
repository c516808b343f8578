"""The data-quality overview, the segment KPIs and actions, and the masking helpers,
checked against numbers worked out by hand on the ``tiny`` data set."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from crmlab import overview, segment
from crmlab.data import validate
from crmlab.data.contract import TABLES
from crmlab.data.privacy import mask_email, mask_name, mask_phone
from crmlab.features import customer_summary


def _ts(day: str) -> pd.Timestamp:
    return pd.Timestamp(day, tz="UTC")


def test_table_overview_counts_rows_customers_and_event_range(tiny):
    table = overview.table_overview(validate(tiny)).set_index("table")
    assert list(table.index) == list(TABLES)  # every canonical table, present or not
    orders = table.loc["orders"]
    assert (orders["present"], orders["rows"], orders["customers"]) == (True, 5, 3)
    assert orders["first_event"] == _ts("2024-01-02") and orders["last_event"] == _ts("2024-02-03")
    assert table.loc["customers", "rows"] == 3
    absent = table.drop(index=["orders", "customers"])
    assert len(absent) > 0 and not absent["present"].any() and (absent["rows"] == 0).all()


def test_date_ranges_and_missing_values(tiny):
    orders = tiny.orders.assign(channel=["web", None, "app", None, "web"])
    data = validate(dataclasses.replace(tiny, orders=orders))
    ranges = overview.date_ranges(data).set_index(["table", "column"])
    assert ranges.loc[("customers", "first_seen_at"), "latest"] == _ts("2024-02-01")
    assert ranges.loc[("orders", "ordered_at"), "earliest"] == _ts("2024-01-02")
    assert (ranges["missing"] == 0).all() and len(ranges) == 2
    missing = overview.missing_values(data).set_index(["table", "column"])
    assert missing.loc[("orders", "channel"), "n_missing"] == 2
    assert missing.loc[("orders", "channel"), "share_missing"] == pytest.approx(0.4)
    assert missing.drop(index=[("orders", "channel")])["n_missing"].eq(0).all()


def test_contract_violations_count_the_quarantined_rows_per_rule(tiny):
    assert overview.contract_violations(validate(tiny)).empty
    orders = tiny.orders.assign(amount=[10.0, float("inf"), 5.0, -7.5, -20.0])
    with pytest.warns(UserWarning):
        data = validate(dataclasses.replace(tiny, orders=orders), on_error="quarantine")
    found = overview.contract_violations(data)
    assert list(found.columns) == ["table", "column", "rule", "n_rows"]
    assert found["n_rows"].sum() == 2 and set(found["table"]) == {"orders"}
    assert len(data.orders) == 3


def test_headline_kpis_by_hand(tiny):
    summary = customer_summary(validate(tiny), tiny.as_of)
    kpis = segment.headline_kpis(summary).set_index("metric")["value"]
    # c1: 10 + 20 - 20 refunded = 10, c2: 5, c3: 7.5 -> 22.5 net over 4 purchases
    assert kpis["customers"] == 3 and kpis["active customers (last 90 days)"] == 3
    assert kpis["revenue"] == 22.5 and kpis["average order value"] == pytest.approx(22.5 / 4)
    assert kpis["repeat rate"] == pytest.approx(1 / 3)  # only c1 bought on two days
    recent = segment.headline_kpis(summary, active_days=30).set_index("metric")
    assert recent.loc["active customers (last 30 days)", "value"] == 1  # c3, 27 days ago
    assert recent.loc["repeat rate", "shown"] == "33.3%"
    assert recent.loc["revenue", "shown"] == "22.50" and recent.loc["customers", "shown"] == "3"
    pounds = segment.headline_kpis(summary, currency="GBP").set_index("metric")
    assert pounds.loc["revenue", "shown"] == "22.50 GBP"
    assert pounds.loc["average order value", "unit"] == "GBP"
    assert pounds.loc["customers", "shown"] == "3"  # counts carry no currency


def test_action_table_maps_every_segment_and_leaves_unknown_ones_blank():
    profiles = pd.DataFrame(
        {
            "segment": ["Champions", "Lost", "Our own"],
            "customers": [10, 30, 5],
            "share_customers": [0.2, 0.7, 0.1],
            "share_revenue": [0.6, 0.1, 0.3],
        }
    )
    table = segment.action_table(profiles)
    assert table["action"].tolist()[:2] == [
        segment.SEGMENT_ACTIONS["Champions"],
        segment.SEGMENT_ACTIONS["Lost"],
    ]
    assert table["action"].iloc[2] == ""
    own = segment.action_table(profiles, {"Our own": "call"})
    assert own["action"].tolist() == ["", "", "call"]


@pytest.mark.parametrize(
    ("mask", "value", "shown"),
    [
        (mask_email, "john.doe@gmail.com", "j***@gmail.com"),
        (mask_email, "a@b@example.org", "a***@example.org"),  # the domain is after the last @
        (mask_email, "not an address", "***"),
        (mask_email, None, None),
        (mask_phone, "+447400123456", "+44*******456"),
        (mask_phone, "12345", "***"),  # too short to show any digit
        (mask_phone, "", None),
        (mask_name, "john smith", "J. S."),
        (mask_name, "Émile  de la Tour", "É. D. L. T."),
        (mask_name, None, None),
    ],
)
def test_masks_keep_only_what_a_data_steward_needs(mask, value, shown):
    assert mask(value) == shown
