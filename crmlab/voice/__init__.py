"""Voice of the customer: satisfaction scores (NPS, CSAT), service tickets, what customers
write, and surges of complaints (see docs/guide/voice.md).

Every function takes DataFrames (the contract's ``surveys`` and ``tickets`` tables, or
frames shaped like them) and returns tidy DataFrames; nothing here reads files.
"""

from .changes import compare, period_change, score_table, trend
from .context import survey_context
from .drivers import Drivers, drivers
from .scores import csat, mean_score, nps, nps_interval
from .service import backlog, ticket_durations, ticket_kpis, ticket_times
from .surge import Monitoring, daily_counts, daily_shares, surge_alerts

__all__ = [
    "Drivers",
    "Monitoring",
    "backlog",
    "compare",
    "csat",
    "daily_counts",
    "daily_shares",
    "drivers",
    "mean_score",
    "nps",
    "nps_interval",
    "period_change",
    "score_table",
    "surge_alerts",
    "survey_context",
    "ticket_durations",
    "ticket_kpis",
    "ticket_times",
    "trend",
]
