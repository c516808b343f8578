"""The choices a report on a subscriber table makes: which column to compare groups by,
which column is time as a customer, what a subscriber is worth, and who is still here."""

from __future__ import annotations

import pandas as pd

from ..errors import ParameterError
from ..features import Snapshots

MAX_GROUPS = 8  # a default comparison column needs few enough groups to read


def default_group(snaps: Snapshots, max_groups: int = MAX_GROUPS) -> str | None:
    """The first categorical feature with 2 to ``max_groups`` values (e.g. a contract type),
    or None when there is none."""
    for column in snaps.categorical:
        if 2 <= snaps.table[column].nunique() <= max_groups:
            return column
    return None


def feature_column(snaps: Snapshots, parameter: str, column: str | None, numeric: bool = False):
    """``column`` if it is a feature of the snapshots (a numeric one when ``numeric``), else a
    ``ParameterError`` naming the parameter, the features and why excluded columns were."""
    if column is None:
        return None
    allowed = snaps.numeric if numeric else snaps.features
    if column in allowed:
        return column
    why = dict(snaps.excluded).get(column)
    reason = f" (it is excluded: {why})" if why else ""
    kind = "numeric feature" if numeric else "feature"
    raise ParameterError(
        f"{parameter}={column!r} is not a {kind} of the table{reason}; {kind}s: {list(allowed)}."
    )


def subscriber_value(
    snaps: Snapshots, value_column: str | None = None, multiplier: float = 1.0
) -> pd.Series | None:
    """Value per customer_id, in the data's currency: ``value_column`` x ``multiplier`` (12
    turns a monthly charge into a year; missing counts as 0), or None when ``value_column``
    is None (``churn.targets`` then ranks by risk alone)."""
    if value_column is None:
        return None
    feature_column(snaps, "value_column", value_column, numeric=True)
    if not multiplier > 0:
        raise ParameterError(f"value_multiplier={multiplier!r} must be a positive number.")
    table = snaps.table.set_index("customer_id")
    return (table[value_column].fillna(0.0) * float(multiplier)).rename("value")


def still_subscribed(snaps: Snapshots) -> Snapshots:
    """The subscribers who have not churned: the ones a retention contact can still reach."""
    return snaps.with_table(snaps.table[snaps.table["churned"] == 0])
