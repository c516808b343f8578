"""Time in the synthetic world: events are drawn as day numbers (floats) counted from the
world's origin, and become timestamps (to the second) only at the end."""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY = pd.Timedelta(days=1)


def stamp(origin: pd.Timestamp, days) -> pd.DatetimeIndex:
    """Calendar timestamps (to the second) for day numbers counted from origin."""
    return pd.DatetimeIndex(
        origin + pd.to_timedelta(np.asarray(days, dtype=float), unit="D")
    ).round("s")
