"""Customer value: BG/NBD, Pareto/NBD and MBG/NBD purchase models with Gamma-Gamma spend
(fitted with the ``lifetimes`` package), P(alive), expected purchases and CLV."""

from .explain import parameter_table, recency_frequency_grid, retention_targets
from .model import CLVModel, fit
from .validate import ValidationResult, validate
from .value import value_by_segment, value_table

__all__ = [
    "CLVModel",
    "ValidationResult",
    "fit",
    "parameter_table",
    "recency_frequency_grid",
    "retention_targets",
    "validate",
    "value_by_segment",
    "value_table",
]
