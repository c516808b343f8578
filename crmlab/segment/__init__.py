"""Customer segmentation: RFM, ABC/Pareto, lifecycle stages, migration, profiles.

Pure analysis: DataFrames in, tidy DataFrames out, no I/O; ``as_of`` is always explicit.
"""

from .abc import abc, gini, pareto_table
from .cluster import ClusterResult, cluster
from .lifecycle import STAGES, lifecycle
from .migration import migration
from .profile import profile
from .rfm import DEFAULT_SEGMENTS, SEGMENT_ORDER, rfm

__all__ = [
    "DEFAULT_SEGMENTS",
    "SEGMENT_ORDER",
    "STAGES",
    "ClusterResult",
    "abc",
    "cluster",
    "gini",
    "lifecycle",
    "migration",
    "pareto_table",
    "profile",
    "rfm",
]
