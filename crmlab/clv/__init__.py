"""Customer value: BG/NBD, Pareto/NBD and MBG/NBD purchase models with Gamma-Gamma spend
(fitted with the ``lifetimes`` package, or sampled with PyMC-Marketing's likelihoods for
credible intervals: ``fit(..., method="bayes")``), P(alive), expected purchases and CLV."""

from .bayes import Sampling
from .bayes_model import BayesCLVModel
from .certainty import certainty_counts, segment_intervals, top_share_certainty
from .evaluate import Evaluation, compare, evaluate
from .explain import fit_notes, parameter_table, recency_frequency_grid, retention_targets
from .model import CLVModel, FitDiagnostics, fit
from .value import value_by_segment, value_table

__all__ = [
    "BayesCLVModel",
    "CLVModel",
    "Evaluation",
    "FitDiagnostics",
    "Sampling",
    "certainty_counts",
    "compare",
    "evaluate",
    "fit",
    "fit_notes",
    "parameter_table",
    "recency_frequency_grid",
    "retention_targets",
    "segment_intervals",
    "top_share_certainty",
    "value_by_segment",
    "value_table",
]
