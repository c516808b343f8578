"""Customer value: BG/NBD, Pareto/NBD and MBG/NBD purchase models with Gamma-Gamma spend
(fitted with the ``lifetimes`` package), P(alive), expected purchases and CLV."""

from .model import CLVModel, fit
from .validate import ValidationResult, validate
from .value import value_by_segment, value_table

__all__ = [
    "CLVModel",
    "ValidationResult",
    "fit",
    "validate",
    "value_by_segment",
    "value_table",
]
