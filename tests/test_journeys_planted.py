"""A planted journey world: exact truths of a known chain, and which attribution methods
recover them from simulated journeys (through the whole pipeline: touchpoints and orders
into features.journeys)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab.errors import ParameterError
from crmlab.features import journeys
from crmlab.journeys import PlantedJourneys, compare_attribution, markov_attribution
from crmlab.journeys.markov import CONVERSION, NULL, START


def _two_channels() -> PlantedJourneys:
    # A opens; from A, B (which converts half the time) or the end; B converts or ends
    return PlantedJourneys(
        {
            START: {"A": 1.0},
            "A": {"B": 0.5, CONVERSION: 0.1, NULL: 0.4},
            "B": {CONVERSION: 0.5, NULL: 0.5},
        }
    )


def test_truths_of_a_small_chain_by_hand():
    world = _two_channels()
    # P(conversion) = 0.1 + 0.5 * 0.5 = 0.35; without A nothing converts (effect 1); without
    # B only A -> conversion is left: 1 - 0.1 / 0.35 = 5/7
    assert world.conversion_probability() == pytest.approx(0.35)
    truth = world.truth().set_index("channel")
    assert truth.loc["A", "removal_effect"] == pytest.approx(1.0)
    assert truth.loc["B", "removal_effect"] == pytest.approx(5 / 7)
    assert truth.loc["A", "markov_credit"] == pytest.approx(1 / (1 + 5 / 7))
    # every journey starts on A; 0.1 of the 0.35 end right after A, 0.25 after B
    assert truth["first_touch_share"].to_dict() == pytest.approx({"A": 1.0, "B": 0.0})
    assert truth["last_touch_share"].to_dict() == pytest.approx({"A": 0.1 / 0.35, "B": 0.25 / 0.35})
    # journeys using exactly {A} convert 0.1 / 0.5; exactly {A, B}: 0.5
    rates = world.coalition_rates()
    assert rates == pytest.approx({frozenset({"A"}): 0.2, frozenset({"A", "B"}): 0.5})
    # Zhao: A = 0.2 + 0.5 / 2, B = 0.5 / 2, as shares of 0.7
    assert truth["shapley_share"].to_dict() == pytest.approx({"A": 0.45 / 0.7, "B": 0.25 / 0.7})


def test_a_long_simulation_matches_the_chain():
    world = PlantedJourneys()
    walker, step, channel, converted = world.walk(200_000, np.random.default_rng(1))
    assert converted.mean() == pytest.approx(world.conversion_probability(), abs=0.004)
    names = np.array(world.channels)
    paths = pd.Series(names[channel]).groupby(walker).agg(" > ".join)
    table = pd.DataFrame({"path": paths, "converted": converted})
    grouped = table.groupby("path")["converted"].agg(["sum", "size"])
    counts = pd.DataFrame(
        {
            "path": grouped.index,
            "conversions": grouped["sum"].to_numpy(),
            "non_conversions": (grouped["size"] - grouped["sum"]).to_numpy(),
        }
    )
    found = markov_attribution(counts).set_index("channel")["credit"]
    truth = world.truth().set_index("channel")["markov_credit"]
    assert found.reindex(truth.index).to_numpy() == pytest.approx(truth.to_numpy(), abs=0.01)
    assert (step[walker == 0] == np.arange((walker == 0).sum())).all()


@pytest.fixture(scope="module")
def compared():
    world = PlantedJourneys()
    data = world.simulate(20_000, random_state=3)
    found = journeys(data, lookback_days=60)
    # 99% intervals: five channels per method, so all five hold their truth with a
    # probability of at least 95% (Bonferroni)
    table = compare_attribution(found, n_boot=200, alpha=0.01, random_state=0)
    return world, data, found, table


def test_every_journey_is_found_from_the_data(compared):
    _, data, found, _ = compared
    assert len(found.table) == data.customers.shape[0]  # one journey per customer
    assert found.direct == 0 and found.open == 0
    assert found.table["converted"].sum() == len(data.orders)


def test_markov_and_shapley_recover_the_planted_truth_within_their_intervals(compared):
    world, _, _, table = compared
    truth = world.truth().set_index("channel")
    for method, column in (("markov", "markov_credit"), ("shapley", "shapley_share")):
        rows = table[table["method"] == method].set_index("channel")
        expected = truth[column].reindex(rows.index)
        inside = (rows["ci_low"] <= expected) & (expected <= rows["ci_high"])
        assert inside.all(), (method, rows.assign(truth=expected))
        assert rows["credit"].sum() == pytest.approx(1)
    # the two methods estimate different things: Zhao's worth weighs a channel set by its
    # rate, not by how many journeys use it, so store (rare, but in sets that convert
    # well) gets far more Shapley credit than removing it would cost
    assert truth.loc["store", "shapley_share"] > 4 * truth.loc["store", "markov_credit"]


def test_last_touch_misses_the_channel_that_opens_journeys(compared):
    world, _, _, table = compared
    truth = world.truth().set_index("channel")
    last = table[table["method"] == "last"].set_index("channel")
    # social opens 45% of journeys and removing it loses a large share of conversions,
    # but it closes almost none: last touch gives it next to nothing, well outside its
    # interval of the true credit
    assert truth.loc["social", "markov_credit"] > 0.2
    assert last.loc["social", "ci_high"] < truth.loc["social", "markov_credit"] / 4
    # what last touch does converge to is the chain's last-touch share
    inside = (last["ci_low"] <= truth["last_touch_share"]) & (
        truth["last_touch_share"] <= last["ci_high"]
    )
    assert inside.all()


def test_same_seed_same_numbers():
    world = _two_channels()
    first, again = (world.simulate(500, random_state=5) for _ in range(2))
    pd.testing.assert_frame_equal(first.touchpoints, again.touchpoints)
    one = compare_attribution(journeys(first), n_boot=20, random_state=1)
    two = compare_attribution(journeys(again), n_boot=20, random_state=1)
    pd.testing.assert_frame_equal(one, two)


def test_bad_worlds_and_arguments():
    with pytest.raises(ParameterError, match="add up to 1"):
        PlantedJourneys({START: {"A": 1.0}, "A": {CONVERSION: 0.5}})
    with pytest.raises(ParameterError, match="give each a row"):
        PlantedJourneys({START: {"A": 1.0}, "A": {"B": 0.5, NULL: 0.5}})
    with pytest.raises(ParameterError, match="channels only"):
        PlantedJourneys({START: {"A": 0.5, CONVERSION: 0.5}, "A": {NULL: 1.0}})
    found = journeys(_two_channels().simulate(300, random_state=0))
    with pytest.raises(ParameterError, match="choose from"):
        compare_attribution(found, methods=("magic",))
    with pytest.raises(ParameterError, match="n_boot"):
        compare_attribution(found, n_boot=-1)
