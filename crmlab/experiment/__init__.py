"""Campaign A/B analysis: sample-ratio checks, metric tests, corrections and power;
sequential designs (always-valid intervals, group-sequential boundaries).

Experiment units are built from CRM tables by ``crmlab.features.experiment_units``;
flat per-unit tables exported from elsewhere are read by ``read_units``
(see docs/experiments.md).
"""

from ..data.flat_units import read_units
from .analyze import Mean, Proportion, Ratio, Readout, analyze, analyze_campaign, metric_kind
from .business import by_segment, roi
from .group_sequential import (
    GroupSequentialDesign,
    group_sequential_bounds,
    group_sequential_design,
)
from .monitor import sequential_monitor
from .peeking import peeking_simulation
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
from .sequential import SequentialTest, always_valid, sequential_test
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
    "GroupSequentialDesign",
    "Mean",
    "Proportion",
    "ProportionTest",
    "Ratio",
    "Readout",
    "SRMResult",
    "SequentialTest",
    "WelchTest",
    "adjust_pvalues",
    "always_valid",
    "analyze",
    "analyze_campaign",
    "balance",
    "by_segment",
    "cumulative_conversion",
    "default_metrics",
    "group_sequential_bounds",
    "group_sequential_design",
    "mde",
    "metric_kind",
    "nonparametric",
    "peeking_simulation",
    "proportion_test",
    "read_units",
    "roi",
    "sample_size",
    "sequential_monitor",
    "sequential_test",
    "srm",
    "standard_metrics",
    "verdict",
    "welch_test",
]
