"""Campaign A/B analysis: sample-ratio checks, metric tests, corrections and power.

Experiment units are built from CRM tables by ``crmlab.features.experiment_units``;
flat per-unit tables exported from elsewhere are read by ``read_units``
(see docs/experiments.md).
"""

from ..data.flat_units import read_units
from .analyze import Mean, Proportion, Ratio, Readout, analyze, metric_kind
from .business import by_segment, roi
from .power import mde, sample_size
from .readout import (
    STANDARD_METRICS,
    balance,
    cumulative_conversion,
    default_metrics,
    standard_metrics,
    verdict,
)
from .robust import nonparametric
from .srm import SRMResult, srm
from .tests import (
    ProportionTest,
    WelchTest,
    adjust_pvalues,
    proportion_test,
    welch_test,
)

__all__ = [
    "STANDARD_METRICS",
    "Mean",
    "Proportion",
    "ProportionTest",
    "Ratio",
    "Readout",
    "SRMResult",
    "WelchTest",
    "adjust_pvalues",
    "analyze",
    "balance",
    "by_segment",
    "cumulative_conversion",
    "default_metrics",
    "mde",
    "metric_kind",
    "nonparametric",
    "proportion_test",
    "read_units",
    "roi",
    "sample_size",
    "srm",
    "standard_metrics",
    "verdict",
    "welch_test",
]
