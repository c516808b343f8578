"""Member tiers: assignment by thresholds, migration between dates, re-scoring."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab import loyalty
from crmlab.errors import ParameterError
from crmlab.loyalty import assign_tiers, moves, rescore, tier_migration

TIERS = {"silver": 500, "bronze": 0, "gold": 2000}  # order of the dict does not matter


def test_the_highest_tier_reached_wins_and_edges_belong_to_the_upper_tier():
    values = pd.Series([0, 499.99, 500, 1999, 2000, -5, None], index=list("abcdefg"))
    tiers = assign_tiers(values, TIERS)
    assert tiers.tolist()[:5] == ["bronze", "bronze", "silver", "silver", "gold"]
    assert tiers[["f", "g"]].isna().all()


def test_migration_matrix_and_moves():
    before = pd.Series({"a": "bronze", "b": "silver", "c": "gold", "d": None, "e": "silver"})
    after = pd.Series({"a": "silver", "b": "silver", "c": "silver", "d": "bronze", "e": None})
    matrix = tier_migration(before, after, TIERS)
    assert list(matrix.index) == ["none", "bronze", "silver", "gold"]
    assert matrix.loc["bronze", "silver"] == 1 and matrix.loc["gold", "silver"] == 1
    assert matrix.loc["none", "bronze"] == 1 and matrix.loc["silver", "none"] == 1
    assert matrix.to_numpy().sum() == 5
    assert moves(before, after, TIERS).to_dict() == {
        "a": "up",
        "b": "stay",
        "c": "down",
        "d": "joined",
        "e": "left",
    }


def test_rescoring_under_a_stricter_silver_tier():
    spend = pd.Series([100, 600, 900, 2500], index=["a", "b", "c", "d"])
    matrix = rescore(spend, TIERS, {"bronze": 0, "silver": 800, "gold": 2000})
    assert matrix.loc["silver", "bronze"] == 1  # b falls back to bronze
    assert matrix.loc["silver", "silver"] == 1 and matrix.loc["gold", "gold"] == 1


def test_bad_threshold_tables_are_named():
    with pytest.raises(ParameterError, match="same value"):
        assign_tiers(pd.Series([1]), {"a": 0, "b": 0})
    with pytest.raises(ParameterError, match="give a number"):
        assign_tiers(pd.Series([1]), {"a": "zero"})
    with pytest.raises(ParameterError, match="differ from the current"):
        rescore(pd.Series([1]), TIERS, {"bronze": 0})
    with pytest.raises(ParameterError, match=r"tiers \['platinum'\]"):
        tier_migration(pd.Series({"a": "platinum"}), pd.Series({"a": "gold"}), TIERS)


def test_qualifying_points_reproduce_the_worlds_upgrades(program_world):
    """The synthetic program upgrades a member the moment the points earned in the last 365
    days reach a threshold (synth_loyalty.TIERS): at the start of every upgraded span, the
    qualifying points from the ledger put the member in exactly that tier."""
    events, spans = program_world.loyalty_events, program_world.memberships
    thresholds = program_world.truth.params["loyalty"]["tiers"]
    rank = {name: i for i, name in enumerate(thresholds)}
    spans = spans.sort_values(["customer_id", "from_at"])
    earlier = spans.groupby("customer_id")["tier"].shift()
    upgrades = spans[earlier.notna() & (spans["tier"].map(rank) > earlier.map(rank))]
    assert len(upgrades) > 100
    for _, span in upgrades.sample(60, random_state=0).iterrows():
        points = loyalty.qualifying_points(events, span["from_at"])
        assert loyalty.assign_tiers(points, thresholds)[span["customer_id"]] == span["tier"]


def test_held_tiers_never_lag_below_what_the_points_support(program_world):
    """Downgrades wait for the anniversary, upgrades do not: at as_of every member holds
    at least the tier their qualifying points support, and most hold exactly it."""
    data = program_world
    thresholds = data.truth.params["loyalty"]["tiers"]
    rank = {name: i for i, name in enumerate(thresholds)}
    held = loyalty.tiers_at(data.memberships, data.as_of)
    points = loyalty.qualifying_points(data.loyalty_events, data.as_of).reindex(held.index)
    supported = loyalty.assign_tiers(points.fillna(0), thresholds)
    assert (held.map(rank) >= supported.map(rank)).all()
    assert 0.5 < (held == supported).mean() < 1
    sizes = loyalty.tier_sizes(data.memberships, ["2024-06-30", data.as_of], thresholds)
    assert list(sizes.columns) == list(thresholds)
    assert (
        sizes.iloc[-1].tolist()
        == held.value_counts().reindex(list(thresholds), fill_value=0).tolist()
    )
    matrix = loyalty.tier_migration(
        loyalty.tiers_at(data.memberships, "2024-06-30"), held, thresholds
    )
    assert matrix.to_numpy().sum() == len(
        set(held.index) | set(loyalty.tiers_at(data.memberships, "2024-06-30").index)
    )


def test_qualifying_window_edges_and_bad_arguments():
    events = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "occurred_at": pd.to_datetime(
                ["2023-12-31", "2024-01-01", "2024-12-31", "2024-06-01"], utc=True
            ),
            "kind": ["earn", "earn", "earn", "adjust"],
            "points": [10.0, 20.0, 40.0, 100.0],
        }
    )
    points = loyalty.qualifying_points(events, "2024-12-31", window_days=366)
    assert points.to_dict() == {"a": 60.0}  # 2023-12-31 is exactly 366 days before: out
    assert loyalty.qualifying_points(events, "2024-12-31", kinds=("earn", "adjust"))["b"] == 100
    with pytest.raises(ParameterError, match="window_days=0"):
        loyalty.qualifying_points(events, "2024-12-31", window_days=0)
    with pytest.raises(ParameterError, match="loyalty_events lacks kind"):
        loyalty.qualifying_points(events.drop(columns="kind"), "2024-12-31")
    with pytest.raises(ParameterError, match="memberships has tiers"):
        spans = pd.DataFrame(
            {"customer_id": ["a"], "tier": ["platinum"], "from_at": events["occurred_at"][:1]}
        )
        loyalty.tier_sizes(spans, ["2024-12-31"], {"bronze": 0})
