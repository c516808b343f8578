"""Customer journeys and multi-touch attribution (issue 20; in progress, see
docs/journeys.md): Markov-chain removal effects computed exactly, Shapley values over
channel coalitions, rule-based baselines, every method side by side with bootstrap
intervals, a planted journey world to check them against, and channel effectiveness."""

from .compare import compare_attribution
from .effectiveness import channel_effectiveness
from .markov import markov_attribution
from .planted import PlantedJourneys
from .rules import rule_based_attribution
from .shapley import shapley_attribution
from .summary import top_paths, touches_to_conversion

__all__ = [
    "PlantedJourneys",
    "channel_effectiveness",
    "compare_attribution",
    "markov_attribution",
    "rule_based_attribution",
    "shapley_attribution",
    "top_paths",
    "touches_to_conversion",
]
