"""Channel effectiveness on the hand-made shop of test_journeys_build."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab.data import validate
from crmlab.features import journeys
from crmlab.journeys import channel_effectiveness, rule_based_attribution

from .test_journeys_build import _shop


def _with_campaign():
    data = _shop()
    campaigns = pd.DataFrame(
        {
            "campaign_id": ["e1", "late"],
            "name": ["Newsletter", "Next year"],
            "channel": ["email", "email"],
            "start_at": ["2024-01-01", "2024-06-20"],  # the second: after the journeys' as_of
            "end_at": ["2024-01-10", "2024-06-30"],
            "cost_per_contact": [1.0, 100.0],
            "fixed_cost": [10.0, 1000.0],
            "control_variant": ["control", "control"],
        }
    )
    assignments = pd.DataFrame(
        {
            "campaign_id": ["e1"] * 3,
            "customer_id": ["a", "b", "c"],
            "variant": ["mail", "control", "mail"],
            "assigned_at": ["2024-01-01"] * 3,
        }
    )
    return validate(data.replace(campaigns=campaigns, assignments=assignments))


def test_per_channel_numbers_by_hand():
    data = _with_campaign()
    found = journeys(data, as_of="2024-06-10", lookback_days=30)
    linear = rule_based_attribution(found, "linear")
    table = channel_effectiveness(found, data, attribution=linear).set_index("channel")
    # journeys: o1 web > email (50), o3 store > store > web (30), lost: web, app
    assert table.loc["web", ["journeys", "reach", "conversions"]].tolist() == [3, 2, 2]
    assert table.loc["web", "conversion_rate"] == pytest.approx(2 / 3)
    assert table.loc["web", "revenue_touched"] == 80  # both conversions touched web
    assert table.loc["store", "new_customer_share"] == 1  # o3 is b's first order
    assert np.isnan(table.loc["app", "new_customer_share"])  # no conversion
    credit = linear.set_index("channel")["credit"]
    expected = (credit * 80).reindex(table.index, fill_value=0.0)  # app converted nothing
    assert table["revenue_attributed"].to_dict() == pytest.approx(expected.to_dict())
    assert table.loc["email", "cost"] == 10 + 1 * 2  # two mailed, the control is not
    assert table.loc["email", "cost_per_conversion"] == 12
    assert table.loc["email", "roi"] == pytest.approx((credit["email"] * 80 - 12) / 12)
    assert np.isnan(table.loc["web", "cost"])  # no campaign on the web


def test_markov_credit_by_default():
    data = _with_campaign()
    found = journeys(data, lookback_days=30)
    table = channel_effectiveness(found, data)
    assert table["revenue_attributed"].sum() == pytest.approx(80)
