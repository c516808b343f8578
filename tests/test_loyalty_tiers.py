"""Member tiers: assignment by thresholds, migration between dates, re-scoring."""

from __future__ import annotations

import pandas as pd
import pytest

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
