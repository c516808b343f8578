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


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pair_rules_are_mlxtends_rules(seed):
    """With max_len=2 the rules are counted by a sparse matrix product, not an FP-tree: the
    same rules and metrics as mlxtend's FP-growth + association_rules on a dense one-hot
    table (including pairs that never fail: infinite conviction)."""
    from mlxtend.frequent_patterns import association_rules as mlxtend_rules
    from mlxtend.frequent_patterns import fpgrowth

    rng = np.random.default_rng(seed)
    items = [f"i{k}" for k in range(25)]
    orders = [list(rng.choice(items, rng.integers(1, 6), p=_zipf(25))) for _ in range(600)]
    orders += [["always", "with"]] * 20 + [["always", "with", "i0"]] * 5
    found = basket.association_rules(orders, min_support=0.02, max_len=2)
    onehot = pd.DataFrame([{i: True for i in o} for o in orders]).fillna(False).astype(bool)
    frequent = fpgrowth(onehot, min_support=0.02, use_colnames=True, max_len=2)
    expected = mlxtend_rules(frequent, num_itemsets=len(orders), min_threshold=0.0)

    def keyed(rules):  # frozensets have no order: key the rules by their items as text
        names = {
            c: rules[c].map(lambda s: ",".join(sorted(s))) for c in ("antecedents", "consequents")
        }
        return (
            rules.assign(**names)
            .set_index(["antecedents", "consequents"])[
                ["support", "confidence", "lift", "leverage", "conviction"]
            ]
            .sort_index()
        )

    mine, theirs = keyed(found), keyed(expected)
    assert len(mine) == len(theirs) > 50 and (mine.index == theirs.index).all()
    assert np.allclose(mine.to_numpy(float), theirs.to_numpy(float), rtol=1e-12)
    assert np.isinf(mine.loc[("always", "with"), "conviction"])


def _zipf(n: int) -> np.ndarray:
    weights = 1 / np.arange(1, n + 1)
    return weights / weights.sum()
