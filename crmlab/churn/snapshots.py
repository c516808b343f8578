"""Churn snapshots for modelling: the features layer's point-in-time table, plus P(alive).

The SQL lives in ``crmlab.features.snapshots`` (see its docstring for every definition and
the boundary rule). P(alive) is the BG/NBD probability at each cutoff, fitted on
``crmlab.features.customer_summary`` at that cutoff: the one definition of BG/NBD inputs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.container import CRMData
from ..features import Snapshots, churn_snapshots, customer_summary


def snapshots(
    data: CRMData,
    cutoffs,
    horizon_days: float = 90,
    active_within_days: float | None = 365,
    cancellations: pd.DataFrame | None = None,
    p_alive: bool = False,
    labelled: bool = True,
    channels: list[str] | tuple[str, ...] | None = None,
    engine=None,
) -> Snapshots:
    """``crmlab.features.churn_snapshots`` (same arguments), with ``p_alive=True`` adding the
    numeric feature p_alive: BG/NBD P(alive) at each cutoff, fitted on every customer's
    history at that cutoff (daily periods, time in days). engine: where the SQL runs (None:
    embedded DuckDB; a SparkSession or Spark Connect address; ``crmlab.engines``);
    the models fit here, on the per-customer results."""
    snaps = churn_snapshots(
        data, cutoffs, horizon_days, active_within_days, cancellations, labelled, channels, engine
    )
    if not p_alive:
        return snaps
    table = snaps.table.assign(p_alive=_p_alive(data, snaps.table, engine))
    return snaps.with_table(table, numeric=(*snaps.numeric, "p_alive"))


def _p_alive(data: CRMData, table: pd.DataFrame, engine) -> np.ndarray:
    from .. import clv

    out = np.full(len(table), np.nan)
    for cutoff, rows in table.groupby("cutoff").indices.items():
        summary = customer_summary(data, cutoff, time_unit="D", engine=engine)
        model = clv.fit(summary, "bgnbd", spend_model=None, penalizer=0.001)
        alive = model.p_alive()
        out[rows] = table["customer_id"].iloc[rows].map(alive).to_numpy(float)
    return out
