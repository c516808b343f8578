"""The synthetic world's products, baskets and loyalty program keep the contract and plant
what the analyses must find."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.basket import association_rules
from crmlab.data.synth_baskets import PAIR_CHANCE, PAIRS
from crmlab.data.synth_loyalty import TIERS
from crmlab.loyalty import balances


def test_lines_add_up_to_their_orders_and_balances_never_go_below_zero(world):
    assert not any("do not add up" in n or "below zero" in n for n in world.notes)
    lines = world.order_lines
    value = (lines["quantity"] * lines["unit_price"]).groupby(lines["order_id"]).sum()
    amounts = world.orders.set_index("order_id")["amount"]
    assert value.reindex(amounts.index).sub(amounts).abs().max() < 0.005
    refunds = world.orders.loc[world.orders["status"] == "refunded", "order_id"]
    assert (lines.loc[lines["order_id"].isin(refunds), "quantity"] < 0).all()
    units = lines["quantity"].abs().groupby(lines["order_id"]).sum()
    assert (world.orders.set_index("order_id")["n_items"] == units.reindex(amounts.index)).all()
    assert (balances(world.loyalty_events, world.as_of) >= 0).all()


def test_planted_pairs_are_the_confident_rules(world):
    rules = association_rules(world.order_lines, min_support=0.002, min_confidence=0.3, max_len=2)
    names = world.products.set_index("product_id")["name"]
    pairs = [
        (names[next(iter(a))], names[next(iter(c))])
        for a, c in zip(rules["antecedents"], rules["consequents"], strict=True)
    ]
    rules = rules.assign(pair=pairs)
    confident = rules[rules["confidence"] >= PAIR_CHANCE - 0.05]
    assert set(confident["pair"]) == set(PAIRS)  # and no pair that was not planted
    assert (confident["lift"] > 2).all()
    # a partner also bought without its anchor: the rule's confidence is above the chance
    assert (confident["confidence"] < PAIR_CHANCE + 0.2).all()


def test_frequent_buyers_lean_to_coffee_and_infrequent_ones_to_gifts(world):
    taste = world.truth.tables["taste"].set_index("customer_id")
    lines = world.order_lines.merge(world.orders[["order_id", "customer_id"]], on="order_id")
    lines = lines.merge(world.products[["product_id", "category"]], on="product_id")
    lines["frequency"] = taste["frequency"].reindex(lines["customer_id"]).to_numpy()
    share = pd.crosstab(lines["frequency"], lines["category"], normalize="index")
    assert share.loc["frequent", "coffee"] > share.loc["middle", "coffee"] + 0.05
    assert share.loc["infrequent", "gifts"] > share.loc["middle", "gifts"] + 0.05


def test_members_join_at_checkout_and_their_tiers_follow_the_rules(world):
    members = world.truth.tables["members"]
    spans = world.memberships
    first = spans.groupby("customer_id")["from_at"].min()
    joined = members.set_index("customer_id")["joined_at"]
    assert (first.reindex(joined.index) - joined).abs().max() <= pd.Timedelta(seconds=1)
    assert set(spans["tier"]) <= set(TIERS)
    welcome = world.loyalty_events[world.loyalty_events["kind"] == "adjust"]
    assert (welcome.groupby("customer_id")["points"].max() == 100).all()
    truth = world.truth.params["loyalty"]
    shares = truth["redeemed_share"] + truth["expired_share"] + truth["taken_back_share"]
    assert np.isclose(shares, 1) and np.isclose(truth["breakage"], 1 - truth["redeemed_share"])


def test_member_orders_are_worth_more_after_joining(world):
    joined = world.truth.tables["members"].set_index("customer_id")["joined_at"]
    sales = world.orders[world.orders["status"] == "completed"]
    sales = sales[sales["customer_id"].isin(joined.index)]
    after = sales["ordered_at"] >= joined.reindex(sales["customer_id"]).to_numpy()
    per = sales.assign(after=after).groupby(["customer_id", "after"])["amount"].mean().unstack()
    ratio = (per[True] / per[False]).dropna()
    assert 1.0 < np.exp(np.log(ratio).median()) < 1.25
