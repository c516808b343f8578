"""Customer value: BG/NBD, Pareto/NBD and MBG/NBD purchase models with Gamma-Gamma spend
(fitted with the ``lifetimes`` package), P(alive), expected purchases and CLV."""

from .evaluate import Evaluation, compare, evaluate
from .explain import fit_notes, parameter_table, recency_frequency_grid, retention_targets
from .model import CLVModel, FitDiagnostics, fit
from .value import value_by_segment, value_table

__all__ = [
    "CLVModel",
    "Evaluation",
    "FitDiagnostics",
    "compare",
    "evaluate",
    "fit",
    "fit_notes",
    "parameter_table",
    "recency_frequency_grid",
    "retention_targets",
    "value_by_segment",
    "value_table",
]
