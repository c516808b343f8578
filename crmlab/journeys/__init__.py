"""Customer journeys and multi-touch attribution (issue 20; in progress, see
docs/journeys.md): Markov-chain removal effects computed exactly, Shapley values over
channel coalitions, rule-based baselines, and channel effectiveness."""

from .effectiveness import channel_effectiveness
from .markov import markov_attribution
from .rules import rule_based_attribution
from .shapley import shapley_attribution
from .summary import top_paths, touches_to_conversion

__all__ = [
    "channel_effectiveness",
    "markov_attribution",
    "rule_based_attribution",
    "shapley_attribution",
    "top_paths",
    "touches_to_conversion",
]
