"""Public data sets, re-exported from ``crmlab.data.datasets`` for a short import path."""

from .data.datasets import CDNOW_AS_OF, CDNOW_CALIBRATION_END, cdnow, cdnow_summary, telco

__all__ = ["CDNOW_AS_OF", "CDNOW_CALIBRATION_END", "cdnow", "cdnow_summary", "telco"]
