"""Category affinity by segment: the index, its interval's coverage, and the planted taste
of the synthetic world."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab import basket, features, segment
from crmlab.errors import ParameterError

CATEGORIES = np.array(["coffee", "tea", "bakery", "gifts"])
GROUP_SHARES = {  # each group's expected category shares: the truth the index estimates
    "A": np.array([0.4, 0.2, 0.2, 0.2]),
    "B": np.array([0.2, 0.2, 0.2, 0.4]),
    "C": np.array([0.25, 0.25, 0.25, 0.25]),
}
SIZES = {"A": 150, "B": 150, "C": 300}


def _customers(rng) -> tuple[pd.DataFrame, pd.Series]:
    """Customers whose own shares scatter around their group's (Dirichlet), a few lines
    each: lines of one customer are not independent draws, which the interval must know."""
    names = np.repeat(list(SIZES), list(SIZES.values()))
    means = np.stack([GROUP_SHARES[g] for g in names])
    own = rng.gamma(8 * means)  # Dirichlet(8 x group shares), one row per customer
    own /= own.sum(axis=1, keepdims=True)
    counts = rng.multinomial(1 + rng.poisson(4, len(names)), own)  # lines per category
    customer = np.array([f"{g}{i}" for i, g in enumerate(names)])
    who, category = np.nonzero(counts)
    repeat = counts[who, category]
    lines = pd.DataFrame(
        {
            "customer_id": np.repeat(customer[who], repeat),
            "category": np.repeat(CATEGORIES[category], repeat),
            "quantity": 1.0,
            "amount": 1.0,
        }
    )
    return lines, pd.Series(names, index=customer)


def _true_index() -> pd.DataFrame:
    total = sum(SIZES.values())
    overall = sum(SIZES[g] / total * GROUP_SHARES[g] for g in SIZES)
    return pd.DataFrame(
        [
            (g, c, 100 * GROUP_SHARES[g][i] / overall[i])
            for g in SIZES
            for i, c in enumerate(CATEGORIES)
        ],
        columns=["group", "category", "truth"],
    )


def test_intervals_cover_the_true_index():
    """Over 60 simulated shops, the 95% intervals hold the true index about 95% of the
    time (a line-level binomial interval would cover far less: customers cluster)."""
    rng = np.random.default_rng(3)
    truth = _true_index()
    covered = []
    for _ in range(60):
        lines, groups = _customers(rng)
        found = basket.affinity(lines, groups, measure="lines").merge(truth)
        covered.append((found["ci_low"] <= found["truth"]) & (found["truth"] <= found["ci_high"]))
    rate = pd.concat(covered).mean()
    assert 0.92 <= rate <= 0.98


def test_index_definition_by_hand():
    lines = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "c", "c"],
            "category": ["coffee", "tea", "tea", "coffee", "coffee", "tea"],
            "quantity": [1, 1, 1, 2, 1, -1],  # c returned the tea: it counts against it
            "amount": [10.0, 30.0, 20.0, 8.0, 4.0, -5.0],
        }
    )
    lines.loc[5, "amount"] = -5.0
    groups = pd.Series({"a": "x", "b": "y", "c": "x"})
    spend = basket.affinity(lines, groups).set_index(["group", "category"])
    # x spent coffee 10 + 12, tea 30 + max(0, -5) -> 0 for c: 22 / 52; everyone 22 / 72
    assert spend.loc[("x", "coffee"), "share"] == pytest.approx(22 / 52)
    assert spend.loc[("x", "coffee"), "share_all"] == pytest.approx(22 / 72)
    assert spend.loc[("x", "coffee"), "index"] == pytest.approx(100 * (22 / 52) / (22 / 72))
    assert spend.loc[("x", "coffee"), "customers"] == 2
    buyers = basket.affinity(lines, groups, measure="buyers").set_index(["group", "category"])
    assert buyers.loc[("x", "tea"), "share"] == pytest.approx(0.5)  # c's tea went back
    assert buyers.loc[("y", "tea"), "index"] == pytest.approx(100 * 1 / (2 / 3))


def test_planted_taste_is_found(program_world):
    """Frequent buyers lean to coffee, infrequent ones to gifts (synth_baskets): grouped by
    the planted purchase-rate third, those are each third's strongest significant index;
    grouped by RFM segment, Champions under-index gifts and Hibernating over-index them."""
    lines = features.purchase_lines(program_world)
    taste = program_world.truth.tables["taste"].set_index("customer_id")["frequency"]
    found = basket.affinity(lines, taste)
    found = found[found["significant"]].sort_values("index", ascending=False)
    top = found.groupby("group")["category"].first()
    assert top["frequent"] == "coffee" and top["infrequent"] == "gifts"
    segments = segment.rfm(program_world, program_world.as_of)["segment"]
    by_segment = basket.affinity(lines, segments).set_index(["group", "category"])
    assert by_segment.loc[("Champions", "gifts"), "ci_high"] < 100
    assert by_segment.loc[("Hibernating", "gifts"), "ci_low"] > 100
    assert by_segment.loc[("Champions", "coffee"), "index"] > 100
    assert list(by_segment.index.get_level_values("group").unique())[:2] == ["Champions", "Loyal"]


def test_purchase_lines_join_customers_and_categories(program_world):
    lines = features.purchase_lines(program_world)
    assert len(lines) == len(program_world.order_lines)
    assert lines["category"].isin(program_world.products["category"]).all()
    orders = program_world.orders.set_index("order_id")["amount"]
    per_order = lines.groupby("order_id")["amount"].sum()
    assert np.allclose(per_order, orders.reindex(per_order.index), atol=0.01)
    early = features.purchase_lines(program_world, as_of="2023-06-30")
    assert early["ordered_at"].max() <= pd.Timestamp("2023-06-30", tz="UTC")


def test_bad_input(program_world):
    lines = features.purchase_lines(program_world)
    with pytest.raises(ParameterError, match="measure='units'"):
        basket.affinity(lines, pd.Series(dtype=str), measure="units")
    with pytest.raises(ParameterError, match=r"lines lack \['category'\]"):
        basket.affinity(lines.drop(columns="category"), pd.Series(dtype=str))
    with pytest.raises(ParameterError, match="no customer of groups"):
        basket.affinity(lines, pd.Series({"nobody": "x"}))
    with pytest.raises(ParameterError, match="no order_lines"):
        features.purchase_lines(program_world.replace(order_lines=None))
