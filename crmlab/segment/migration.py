"""How customers move between segments from one date to another."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from ..data.validate import resolve_as_of
from ..errors import ParameterError
from .lifecycle import lifecycle
from .rfm import rfm

NOT_YET = "(not yet a customer)"
GONE = "(gone)"


def migration(
    orders,
    start,
    end,
    by: Literal["rfm_segment", "lifecycle"] = "rfm_segment",
    **options,
) -> pd.DataFrame:
    """Transition table between the segments at ``start`` and at ``end`` (two as_of's).

    by: "rfm_segment" (``rfm``; options such as bins are passed on) or "lifecycle" (the
        thresholds found at start are used at both dates, so stages mean the same).
    Customers first buying after start begin in "(not yet a customer)"; customers
    missing at end (e.g. deleted) end in "(gone)".
    Returns one row per (from_segment, to_segment) with customers and row_share (the share
    of the from_segment's customers; row shares sum to 1).
    """
    start, end = resolve_as_of(start), resolve_as_of(end)
    if end <= start:
        raise ParameterError(f"end ({end:%Y-%m-%d}) must be after start ({start:%Y-%m-%d}).")
    if by == "rfm_segment":
        before = rfm(orders, start, **options)["segment"]
        after = rfm(orders, end, **options)["segment"]
    elif by == "lifecycle":
        first = lifecycle(orders, start, **options)
        before = first.stage
        after = lifecycle(orders, end, **first.thresholds_days).stage
    else:
        raise ParameterError(f"by={by!r}: use 'rfm_segment' or 'lifecycle'.")
    pairs = pd.DataFrame(
        {"from_segment": before.astype("object"), "to_segment": after.astype("object")}
    )
    pairs = pairs.fillna({"from_segment": NOT_YET, "to_segment": GONE})
    counts = pairs.groupby(["from_segment", "to_segment"]).size().rename("customers")
    table = counts.reset_index()
    table["row_share"] = table["customers"] / table.groupby("from_segment")["customers"].transform(
        "sum"
    )
    order = [*before.cat.categories, NOT_YET, GONE]
    for col in ("from_segment", "to_segment"):
        table[col] = pd.Categorical(table[col], categories=order, ordered=True)
    return table.sort_values(["from_segment", "to_segment"]).reset_index(drop=True)
