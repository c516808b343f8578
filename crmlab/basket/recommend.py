"""Next-best-product: for each customer, the products most often bought with what they
already bought and that they have not bought yet, with a time-split check against
recommending the best sellers.

Scoring: every pairwise rule {a} -> {c} (``association_rules`` with ``max_len=2``) with
lift at least ``min_lift`` whose ``a`` the customer bought proposes ``c`` with score lift(a -> c) x
margin(c) (margin 1 when none is given); a product proposed by several of the customer's
items keeps its best score, and ``because`` names that item. Places the rules leave empty
are filled with the best sellers (bought by most customers; ``because`` = "best seller",
score 0), so a customer the rules know nothing about still gets the sensible default.
Products the customer already bought are never proposed. Which customers may be contacted
is the caller's decision (``marketable``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.validate import resolve_as_of
from ..errors import ParameterError
from .rules import association_rules


def next_best_products(
    purchases: pd.DataFrame,
    rules: pd.DataFrame,
    k: int = 5,
    margin: pd.Series | None = None,
    marketable: pd.Series | None = None,
    min_lift: float = 1.5,
) -> pd.DataFrame:
    """Up to ``k`` products per customer, best first.

    purchases: what each customer bought (``customer_id``, ``product_id``; repeats are
        fine). rules: ``association_rules`` output; only one-item rules are used.
    margin: per product_id (a Series indexed by product), multiplies the lift.
    marketable: per customer_id True/False; customers marked False (or missing) get nothing.
    min_lift: rules weaker than this are noise more often than news (1.5: the pair is bought
        together half as often again as chance would have it).
    Returns ``customer_id``, ``rank`` (1 = best), ``product_id``, ``score``, ``because``.
    """
    _check_k(k)
    for column in ("customer_id", "product_id"):
        if column not in purchases.columns:
            raise ParameterError(f"purchases needs a {column} column.")
    if not {"antecedents", "consequents", "lift"} <= set(rules.columns):
        raise ParameterError(
            "rules must be a table from basket.association_rules (antecedents, consequents, "
            f"lift); its columns are {[str(c) for c in rules.columns]}."
        )
    single = (rules["antecedents"].map(len) == 1) & (rules["consequents"].map(len) == 1)
    pairs = rules[single & (rules["lift"] >= min_lift)]
    pairs = pd.DataFrame(
        {
            "because": pairs["antecedents"].map(lambda s: next(iter(s))).astype(str),
            "candidate": pairs["consequents"].map(lambda s: next(iter(s))).astype(str),
            "lift": pairs["lift"].astype(float),
        }
    )
    owned = purchases[["customer_id", "product_id"]].drop_duplicates()
    owned = owned.assign(product_id=owned["product_id"].astype(str))
    if marketable is not None:
        allowed = marketable.reindex(owned["customer_id"]).fillna(False).astype(bool).to_numpy()
        owned = owned[allowed]
    proposals = owned.merge(pairs, left_on="product_id", right_on="because").drop(
        columns="product_id"
    )
    proposals = proposals.merge(
        owned.rename(columns={"product_id": "candidate"}).assign(_owned=True),
        on=["customer_id", "candidate"],
        how="left",
    )
    proposals = proposals[proposals["_owned"].isna()]
    weight = 1.0 if margin is None else proposals["candidate"].map(margin.rename(str)).fillna(0)
    proposals = proposals.assign(score=proposals["lift"] * weight)
    fill = _best_sellers(owned, k)
    proposals = pd.concat([proposals[["customer_id", "candidate", "score", "because"]], fill])
    best = proposals.sort_values(
        ["customer_id", "score"], ascending=[True, False], kind="stable"
    )  # fill rows come after every rule, in best-seller order
    best = best.drop_duplicates(["customer_id", "candidate"])
    best = best.groupby("customer_id", sort=True).head(k)
    best = best.assign(rank=best.groupby("customer_id").cumcount() + 1)
    out = best.rename(columns={"candidate": "product_id"})
    return out[["customer_id", "rank", "product_id", "score", "because"]].reset_index(drop=True)


def evaluate_next_best(
    purchases: pd.DataFrame,
    split_at,
    k: int = 5,
    min_support: float = 0.001,
    margin: pd.Series | None = None,
) -> pd.DataFrame:
    """Hit rate at ``k`` on a time split: rules and recommendations from purchases at or
    before ``split_at``; a hit is a customer who bought, after ``split_at``, one of the
    products recommended to them. Counted over customers who bought something new after
    the split. The baseline recommends the ``k`` best sellers before the split that the
    customer had not bought.

    purchases: ``customer_id``, ``order_id``, ``product_id``, ``ordered_at``.
    Returns one row per method ("rules", "popularity"): ``customers``, ``hits``,
    ``hit_rate``.
    """
    _check_k(k)
    needed = {"customer_id", "order_id", "product_id", "ordered_at"}
    if not needed <= set(purchases.columns):
        raise ParameterError(f"purchases needs columns {sorted(needed)}.")
    split_at = resolve_as_of(split_at)
    moments = pd.to_datetime(purchases["ordered_at"], utc=True)
    before, after = purchases[moments <= split_at], purchases[moments > split_at]
    if before.empty or after.empty:
        raise ParameterError(f"split_at={split_at:%Y-%m-%d} leaves no purchases on one side.")
    owned_before = set(zip(before["customer_id"], before["product_id"].astype(str), strict=True))
    new = after[
        [
            (c, str(p)) not in owned_before
            for c, p in zip(after["customer_id"], after["product_id"], strict=True)
        ]
    ]
    bought_later = new.groupby("customer_id")["product_id"].agg(lambda s: set(map(str, s)))
    judged = bought_later.index.intersection(before["customer_id"].unique())
    rules = association_rules(
        before[["order_id", "product_id"]], min_support, min_confidence=None, max_len=2
    )
    recommended = next_best_products(before, rules, k, margin)
    by_rules = recommended.groupby("customer_id")["product_id"].agg(set)
    distinct = before.drop_duplicates(["customer_id", "product_id"])  # as the fill counts
    sellers = distinct["product_id"].astype(str).value_counts().index
    owned = before.groupby("customer_id")["product_id"].agg(lambda s: set(map(str, s)))
    rows = []
    for method, pick in (
        ("rules", lambda c: by_rules.get(c, set())),
        ("popularity", lambda c: set([p for p in sellers if p not in owned[c]][:k])),
    ):
        hits = sum(bool(pick(c) & bought_later[c]) for c in judged)
        rows.append({"method": method, "customers": len(judged), "hits": hits})
    table = pd.DataFrame(rows)
    return table.assign(
        hit_rate=np.where(
            table["customers"] > 0, table["hits"] / table["customers"].clip(lower=1), np.nan
        )
    )


def _best_sellers(owned: pd.DataFrame, k: int) -> pd.DataFrame:
    """For every customer, the k best sellers they have not bought, best first, score 0."""
    sellers = owned["product_id"].value_counts().index[: 2 * k + 20].tolist()
    customers = owned["customer_id"].unique()
    grid = pd.DataFrame(
        {
            "customer_id": np.repeat(customers, len(sellers)),
            "candidate": np.tile(np.asarray(sellers, dtype=object), len(customers)),
        }
    )
    mine = owned.rename(columns={"product_id": "candidate"}).assign(_owned=True)
    grid = grid.merge(mine, on=["customer_id", "candidate"], how="left")
    grid = grid[grid["_owned"].isna()].groupby("customer_id", sort=False).head(k)
    return grid.assign(score=0.0, because="best seller")[
        ["customer_id", "candidate", "score", "because"]
    ]


def _check_k(k) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ParameterError(f"k={k!r} must be a whole number of products >= 1.")
