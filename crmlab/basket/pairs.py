"""Rules between single items, counted directly: with ``max_len=2`` every frequent itemset is
an item or a pair, and the pair counts of all items at once are one sparse matrix product
(baskets' transpose times baskets), so no FP-tree is built. The result is the rule table
mlxtend's FP-growth + ``association_rules`` give (``tests/test_basket_rules.py`` compares
them), in a fraction of the time and memory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from ..features.baskets import Baskets


def pair_rules(basket: Baskets, min_support: float) -> pd.DataFrame:
    """Every rule {a} -> {c} whose pair is in at least ``min_support`` of the baskets, with
    mlxtend's metrics (see ``rules``); unsorted, unfiltered by confidence."""
    matrix = basket.matrix.astype(np.int32)
    n = matrix.shape[0]
    item_counts = np.asarray(matrix.sum(axis=0)).ravel()
    frequent = np.flatnonzero(item_counts >= min_support * n)
    kept = matrix[:, frequent].tocsc()
    together = sparse.triu(kept.T @ kept, k=1).tocoo()  # pairs i < j, counts of baskets
    enough = together.data >= min_support * n
    first, second = frequent[together.row[enough]], frequent[together.col[enough]]
    both = together.data[enough].astype(float) / n
    antecedent = np.concatenate([first, second])
    consequent = np.concatenate([second, first])
    support = np.concatenate([both, both])
    a_support = item_counts[antecedent] / n
    c_support = item_counts[consequent] / n
    confidence = support / a_support
    with np.errstate(divide="ignore", invalid="ignore"):
        conviction = np.where(confidence < 1, (1 - c_support) / (1 - confidence), np.inf)
    names = np.asarray(basket.items.astype(str), dtype=object)
    return pd.DataFrame(
        {
            "antecedents": [frozenset([names[i]]) for i in antecedent],
            "consequents": [frozenset([names[i]]) for i in consequent],
            "antecedent_support": a_support,
            "consequent_support": c_support,
            "support": support,
            "confidence": confidence,
            "lift": confidence / c_support,
            "leverage": support - a_support * c_support,
            "conviction": conviction,
        }
    )
