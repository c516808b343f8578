"""Per-customer features computed as SQL: the one place heavy aggregation happens.

The SQL is written once, in DuckDB's dialect; ``engine=None`` runs it on embedded DuckDB,
``engine=spark_session`` (or a Spark Connect address) on Apache Spark, translated by
``spark_sql`` (see ``engine``). Models fit on the compact tables returned here. Every query
reads the single definition of a purchase in ``orders_view``.

- ``customer_summary`` / ``calibration_holdout``: lifetimes' frequency / recency / T /
  monetary_value, as a ``CustomerSummary`` that carries its ``as_of`` and ``time_unit``.
- ``churn_snapshots``: point-in-time churn features and labels (``Snapshots``);
  ``subscriber_snapshots``: the same from a one-row-per-subscriber table.
- ``experiment_units`` / ``sufficient_statistics`` / ``unit_checks``: per-unit outcomes of
  a campaign test, the per-arm sums every two-sample test needs, and the checks before;
  ``campaign_statistics``: the checks and sums of a campaign's units without the units.
- ``monthly_orders`` / ``monthly_new_customers`` / ``purchase_tracking``: calendar series.
- ``baskets``: order lines as a sparse order x item matrix (``Baskets``);
  ``purchase_lines``: order lines with customer, time and category.
- ``journeys``: the touchpoints before each purchase, and those before none (``Journeys``);
  ``retention_by_channel``: repeat buying by the channel of the first purchase.
"""

from __future__ import annotations

from .baskets import Baskets, baskets
from .calendar import monthly_new_customers, monthly_orders, purchase_tracking
from .experiment import (
    UnitChecks,
    campaign_statistics,
    experiment_units,
    sufficient_statistics,
    unit_checks,
)
from .journeys import Journeys, journeys
from .orders_view import OrdersSource, OrdersView
from .purchase_lines import purchase_lines
from .retention import retention_by_channel
from .snapshots import Snapshots, churn_snapshots, cutoff_schedule
from .subscribers import subscriber_snapshots
from .summary import CalibrationHoldout, CustomerSummary, calibration_holdout, customer_summary

__all__ = [
    "Baskets",
    "CalibrationHoldout",
    "CustomerSummary",
    "Journeys",
    "OrdersSource",
    "OrdersView",
    "Snapshots",
    "UnitChecks",
    "baskets",
    "calibration_holdout",
    "campaign_statistics",
    "churn_snapshots",
    "customer_summary",
    "cutoff_schedule",
    "experiment_units",
    "journeys",
    "monthly_new_customers",
    "monthly_orders",
    "purchase_lines",
    "purchase_tracking",
    "retention_by_channel",
    "subscriber_snapshots",
    "sufficient_statistics",
    "unit_checks",
]
