"""Customer journeys and multi-touch attribution (issue 20; in progress, see
docs/journeys.md): Markov-chain removal effects computed exactly, and Shapley values over
channel coalitions."""

from .markov import markov_attribution
from .shapley import shapley_attribution

__all__ = ["markov_attribution", "shapley_attribution"]
