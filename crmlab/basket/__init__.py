"""Cross-sell: association rules over baskets (issue 19; next-best-product and category
affinity to come). See docs/loyalty_cross_sell.md."""

from .rules import association_rules, frequent_itemsets

__all__ = ["association_rules", "frequent_itemsets"]
