"""Association rules: mlxtend's documented example, order-line tables, sparse baskets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab import basket
from crmlab.errors import ParameterError
from crmlab.features import baskets

# mlxtend's user guide example (frequent_patterns/association_rules)
DATASET = [
    ["Milk", "Onion", "Nutmeg", "Kidney Beans", "Eggs", "Yogurt"],
    ["Dill", "Onion", "Nutmeg", "Kidney Beans", "Eggs", "Yogurt"],
    ["Milk", "Apple", "Kidney Beans", "Eggs"],
    ["Milk", "Unicorn", "Corn", "Kidney Beans", "Yogurt"],
    ["Corn", "Onion", "Onion", "Kidney Beans", "Ice cream", "Eggs"],
]


def test_mlxtend_documented_example():
    assert len(basket.frequent_itemsets(DATASET, min_support=0.6)) == 11
    rules = basket.association_rules(DATASET, min_support=0.6, min_confidence=0.7)
    assert len(rules) == 12
    eggs_onion = rules[
        (rules["antecedents"] == frozenset({"Eggs"}))
        & (rules["consequents"] == frozenset({"Onion"}))
    ].iloc[0]
    assert eggs_onion["support"] == pytest.approx(0.6)
    assert eggs_onion["confidence"] == pytest.approx(0.75)
    assert eggs_onion["lift"] == pytest.approx(1.25)
    assert eggs_onion["leverage"] == pytest.approx(0.12)
    assert eggs_onion["conviction"] == pytest.approx(1.6)
    assert rules["confidence"].is_monotonic_decreasing


def test_order_lines_give_the_same_rules_as_lists():
    lines = pd.DataFrame(
        [(f"O{n}", item, 1) for n, items in enumerate(DATASET) for item in items],
        columns=["order_id", "product_id", "quantity"],
    )
    from_lines = basket.association_rules(lines, min_support=0.6, min_confidence=0.7)
    from_lists = basket.association_rules(DATASET, min_support=0.6, min_confidence=0.7)

    def as_set(rules):
        return {
            (r.antecedents, r.consequents, round(r.lift, 9), round(r.confidence, 9))
            for r in rules.itertuples()
        }

    assert as_set(from_lines) == as_set(from_lists) and len(from_lines) == 12


def test_baskets_are_sparse_and_count_an_item_once_per_order():
    lines = pd.DataFrame(
        {"order_id": ["a", "a", "a", "b", None], "product_id": ["x", "x", "y", "y", "z"]}
    )
    found = baskets(lines)
    assert found.matrix.shape == (2, 2) and found.matrix.nnz == 3
    assert list(found.items) == ["x", "y"] and list(found.orders) == ["a", "b"]


def test_rules_by_lift_and_bad_arguments():
    rng = np.random.default_rng(0)
    orders = [["bread", "butter"] if rng.random() < 0.3 else ["bread"] for _ in range(200)]
    orders += [["jam"] for _ in range(100)]
    rules = basket.association_rules(orders, min_support=0.05, metric="lift")
    assert rules.iloc[0]["lift"] >= rules.iloc[-1]["lift"]
    assert basket.association_rules([["a"], ["b"]], min_support=0.5).empty
    with pytest.raises(ParameterError, match="min_support=0"):
        basket.association_rules(DATASET, min_support=0)
    with pytest.raises(ParameterError, match="metric='zhang'"):
        basket.association_rules(DATASET, min_support=0.6, metric="zhang")
    with pytest.raises(ParameterError, match="list of item lists"):
        basket.association_rules("milk", min_support=0.6)
