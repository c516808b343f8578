"""Public data sets, re-exported from ``crmlab.data.datasets`` for a short import path.
``crmlab.data.load(name)`` loads any of ``BUILTIN_DATASETS`` as contract tables."""

from .data.datasets import (
    BUILTIN_DATASETS,
    CDNOW_AS_OF,
    CDNOW_CALIBRATION_END,
    TELCO_AS_OF,
    cdnow,
    cdnow_summary,
    telco,
    telco_data,
)

__all__ = [
    "BUILTIN_DATASETS",
    "CDNOW_AS_OF",
    "CDNOW_CALIBRATION_END",
    "TELCO_AS_OF",
    "cdnow",
    "cdnow_summary",
    "telco",
    "telco_data",
]
