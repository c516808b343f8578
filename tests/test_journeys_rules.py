"""Rule-based attribution on the hand-made shop of test_journeys_build."""

from __future__ import annotations

import pytest

from crmlab.errors import ParameterError
from crmlab.features import journeys
from crmlab.journeys import rule_based_attribution

from .test_journeys_build import _shop

# converting journeys: o1 (50): web 01-01 10:00, email 01-03 09:00, order 01-05 00:00;
# o3 (30): store 03-01 08:00, store 03-01 09:00, web 03-02 08:00, order 03-02 08:00
EXPECTED = {
    "first": {"web": 1, "store": 1},
    "last": {"email": 1, "web": 1},
    "linear": {"web": 1 / 2 + 1 / 3, "email": 1 / 2, "store": 2 / 3},
    "position": {"web": 0.5 + 0.4, "email": 0.5, "store": 0.4 + 0.2},
}


@pytest.fixture(scope="module")
def found():
    return journeys(_shop(), lookback_days=30)


@pytest.mark.parametrize("model", list(EXPECTED))
def test_each_rule_shares_the_conversions_as_defined(found, model):
    table = rule_based_attribution(found, model).set_index("channel")
    got = table["conversions_attributed"][table["conversions_attributed"] > 0]
    assert got.to_dict() == pytest.approx(EXPECTED[model])
    assert table["conversions_attributed"].sum() == pytest.approx(2)
    assert table["value_attributed"].sum() == pytest.approx(80)
    assert table["credit"].sum() == pytest.approx(1)


def test_time_decay_halves_per_half_life(found):
    table = rule_based_attribution(found, "time_decay", half_life_days=1).set_index("channel")
    web, email = 2 ** -(3 + 14 / 24), 2 ** -(1 + 15 / 24)  # days before o1
    store = [2**-(1.0), 2 ** -(23 / 24), 1.0]  # o3's touches: 24 h, 23 h and 0 h before
    o3 = sum(store)
    assert table.loc["email", "conversions_attributed"] == pytest.approx(email / (web + email))
    assert table.loc["web", "conversions_attributed"] == pytest.approx(web / (web + email) + 1 / o3)
    assert table.loc["store", "value_attributed"] == pytest.approx(30 * (store[0] + store[1]) / o3)


def test_bad_arguments(found):
    with pytest.raises(ParameterError, match="model='u_shaped'"):
        rule_based_attribution(found, "u_shaped")
    with pytest.raises(ParameterError, match="half_life_days=0"):
        rule_based_attribution(found, "time_decay", half_life_days=0)
    with pytest.raises(ParameterError, match="add up to at most 1"):
        rule_based_attribution(found, "position", position_weights=(0.6, 0.6))


def test_touches_and_days_to_conversion_and_top_paths(found):
    from crmlab.journeys import top_paths, touches_to_conversion

    table = touches_to_conversion(found).set_index("touches")
    # o1: two touches, 3 days 14 h from the first; o3: three touches, 24 h
    assert table["journeys"].to_dict() == {"1": 0, "2": 1, "3": 1, "4-5": 0, "6+": 0}
    assert table.loc["2", "median_days"] == pytest.approx(3 + 14 / 24)
    assert table.loc["3", "median_days"] == pytest.approx(1)
    assert table["share"].sum() == pytest.approx(1)
    paths = top_paths(found, n=2)
    assert len(paths) == 2 and paths["journeys"].is_monotonic_decreasing
    with pytest.raises(ParameterError, match="n=0"):
        top_paths(found, n=0)
