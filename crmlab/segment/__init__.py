"""Customer segmentation: RFM, ABC/Pareto, lifecycle stages, migration, profiles, and the
channel mix of segments over time.

Pure analysis: DataFrames in, tidy DataFrames out, no I/O; ``as_of`` is always explicit.
"""

from .abc import abc, abc_summary, gini, pareto_table
from .actions import SEGMENT_ACTIONS, action_table, headline_kpis
from .channel_mix import channel_mix
from .cluster import ClusterResult, cluster, projection, standardized_means
from .lifecycle import STAGES, Lifecycle, lifecycle
from .migration import migration
from .profile import profile
from .rfm import DEFAULT_SEGMENTS, SEGMENT_ORDER, empty_score_notes, rfm

__all__ = [
    "DEFAULT_SEGMENTS",
    "SEGMENT_ACTIONS",
    "SEGMENT_ORDER",
    "STAGES",
    "ClusterResult",
    "Lifecycle",
    "abc",
    "abc_summary",
    "action_table",
    "channel_mix",
    "cluster",
    "empty_score_notes",
    "gini",
    "headline_kpis",
    "lifecycle",
    "migration",
    "pareto_table",
    "profile",
    "projection",
    "rfm",
    "standardized_means",
]
