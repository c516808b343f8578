"""Cross-sell: association rules over baskets, category affinity by segment, and
next-best-product lists with a time-split check (issue 19). See docs/guide/loyalty.md."""

from .affinity import affinity
from .recommend import evaluate_next_best, next_best_products
from .rules import association_rules, frequent_itemsets

__all__ = [
    "affinity",
    "association_rules",
    "evaluate_next_best",
    "frequent_itemsets",
    "next_best_products",
]
