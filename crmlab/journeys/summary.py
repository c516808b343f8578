"""How long and how many touches journeys take to convert, and the most frequent paths."""

from __future__ import annotations

import pandas as pd

from ..errors import ParameterError, whole_number

TOUCH_BANDS = ("1", "2", "3", "4-5", "6+")


def touches_to_conversion(journeys) -> pd.DataFrame:
    """Converting journeys by their number of touches (1, 2, 3, 4-5, 6+): ``touches``,
    ``journeys``, ``share``, and the median days from the first touch to the conversion
    (``median_days``)."""
    won = _converted(journeys)
    band = pd.cut(won["touches"], [0, 1, 2, 3, 5, float("inf")], labels=TOUCH_BANDS)
    grouped = won.assign(days=won["hours_to_conversion"] / 24).groupby(band, observed=False)
    out = pd.DataFrame(
        {"journeys": grouped.size(), "median_days": grouped["days"].median()}
    ).reset_index(names="touches")
    out["touches"] = out["touches"].astype(str)
    out["share"] = out["journeys"] / max(len(won), 1)
    return out[["touches", "journeys", "share", "median_days"]]


def top_paths(journeys, n: int = 10) -> pd.DataFrame:
    """The ``n`` most frequent paths: ``path``, ``journeys``, ``conversions``,
    ``conversion_rate``, ``value`` (of the conversions)."""
    whole_number("n", n, of="paths")
    paths = journeys.paths().head(n)
    return paths.assign(conversion_rate=paths["conversions"] / paths["journeys"])[
        ["path", "journeys", "conversions", "conversion_rate", "value"]
    ].reset_index(drop=True)


def _converted(journeys) -> pd.DataFrame:
    table = journeys.table
    if not {"converted", "touches", "hours_to_conversion"} <= set(table.columns):
        raise ParameterError("pass features.journeys(...): its table has the columns needed.")
    return table[table["converted"]]
