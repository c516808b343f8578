"""Voice of the customer: satisfaction scores (NPS, CSAT), service tickets, what customers
write, and surges of complaints (see docs/guide/voice.md).

Every function takes DataFrames (the contract's ``surveys`` and ``tickets`` tables, or
frames shaped like them) and returns tidy DataFrames; nothing here reads files.
"""

from .changes import compare, period_change, score_table, trend
from .complaints import ComplaintChurn, complaint_churn
from .context import survey_context
from .drivers import Drivers, drivers
from .scores import csat, mean_score, nps, nps_interval
from .sentiment import language_of, sentiment
from .service import backlog, ticket_durations, ticket_kpis, ticket_times
from .surge import Monitoring, daily_counts, daily_shares, surge_alerts
from .topics import Topics, examples, tokens, topics

__all__ = [
    "ComplaintChurn",
    "Drivers",
    "Monitoring",
    "Topics",
    "backlog",
    "compare",
    "complaint_churn",
    "csat",
    "daily_counts",
    "daily_shares",
    "drivers",
    "examples",
    "language_of",
    "mean_score",
    "nps",
    "nps_interval",
    "period_change",
    "score_table",
    "sentiment",
    "surge_alerts",
    "survey_context",
    "ticket_durations",
    "ticket_kpis",
    "ticket_times",
    "tokens",
    "topics",
    "trend",
]
