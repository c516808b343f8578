"""Campaign A/B analysis: sample-ratio checks, metric tests, corrections and power.

Part 1 (this module set): the statistics. Building experiment units from CRM tables,
CUPED, segments, ROI and the notebook follow (see docs/experiments.md).
"""

from .power import mde, sample_size
from .srm import SRMResult, srm
from .tests import (
    ProportionTest,
    WelchTest,
    adjust_pvalues,
    proportion_test,
    welch_test,
)

__all__ = [
    "ProportionTest",
    "SRMResult",
    "WelchTest",
    "adjust_pvalues",
    "mde",
    "proportion_test",
    "sample_size",
    "srm",
    "welch_test",
]
