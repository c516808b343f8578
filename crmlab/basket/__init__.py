"""Cross-sell: association rules over baskets and next-best-product lists with a time-split
check (issue 19; category affinity by segment to come). See docs/loyalty_cross_sell.md."""

from .recommend import evaluate_next_best, next_best_products
from .rules import association_rules, frequent_itemsets

__all__ = ["association_rules", "evaluate_next_best", "frequent_itemsets", "next_best_products"]
