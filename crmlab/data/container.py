"""``CRMData``: the canonical tables of one data set, travelling together."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from .contract import TABLE_NAMES


@dataclass
class Truth:
    """What a synthetic world planted: scalar parameters and per-unit tables.

    ``params`` is JSON-like (model parameters, campaign effects, ...); ``tables`` holds
    DataFrames such as the per-customer latent rates or the duplicate-record map.
    """

    params: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass
class CRMData:
    """The canonical CRM tables of one data set (missing optional tables are None).

    Tables are pandas DataFrames, validated on load. For the SQL analyses on a Spark engine
    (``crmlab.features``, ``engine=spark``) they may instead be Spark DataFrames already on
    the cluster (e.g. ``spark.table("sales.orders")``): those are read where they are and
    are not validated by crmlab.

    Attributes beyond the tables:
      as_of     the data set's declared "now" (UTC); no event may be later.
      currency  the currency of every amount (ISO 4217 code such as "EUR"), or None when
                the data set does not declare it; reports then say "in the data's currency".
      source    where the data came from, for reports and error messages.
      truth     for synthetic worlds: what was planted (parameters, effects, duplicates).
      rejected  rows set aside by ``on_error="quarantine"``: table, row, key, column, rule.
      notes     human-readable remarks made while loading (e.g. a derived table).
    """

    customers: pd.DataFrame | None = None
    orders: pd.DataFrame | None = None
    products: pd.DataFrame | None = None
    order_lines: pd.DataFrame | None = None
    touchpoints: pd.DataFrame | None = None
    campaigns: pd.DataFrame | None = None
    assignments: pd.DataFrame | None = None
    tickets: pd.DataFrame | None = None
    surveys: pd.DataFrame | None = None
    loyalty_events: pd.DataFrame | None = None
    memberships: pd.DataFrame | None = None
    as_of: pd.Timestamp | None = None
    currency: str | None = None
    source: str = "in-memory data"
    truth: Any = None
    rejected: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables that are present, in contract order."""
        return {n: getattr(self, n) for n in TABLE_NAMES if getattr(self, n) is not None}

    def row_counts(self) -> pd.DataFrame:
        """One row per canonical table: table, rows (0 for an absent table), present."""
        return pd.DataFrame(
            [
                {
                    "table": n,
                    "rows": 0 if getattr(self, n) is None else len(getattr(self, n)),
                    "present": getattr(self, n) is not None,
                }
                for n in TABLE_NAMES
            ]
        )

    def replace(self, **changes: Any) -> CRMData:
        """A copy with some tables or attributes replaced (tables are not copied)."""
        return replace(self, **changes)

    def __repr__(self) -> str:
        parts = [  # a table may live on a Spark cluster, uncounted
            f"{n}={len(t):,}" if isinstance(t, pd.DataFrame) else f"{n}=<{type(t).__name__}>"
            for n, t in self.tables().items()
        ]
        if isinstance(self.as_of, pd.Timestamp):
            as_of = f"{self.as_of:%Y-%m-%d %H:%M} UTC"
        else:  # not validated yet: as the user gave it
            as_of = repr(self.as_of)
        return f"CRMData({', '.join(parts)}; as_of={as_of}; source={self.source!r})"
