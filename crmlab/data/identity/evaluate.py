"""How well identity resolution finds the synthetic world's planted duplicate records."""

from __future__ import annotations

from itertools import combinations

import pandas as pd

from ...errors import ParameterError
from ..container import CRMData
from .resolve import Resolution, resolve


def customer_records(data: CRMData, source_column: str = "signup_channel") -> pd.DataFrame:
    """A data set's customers as source records: source = ``source_column`` (the channel the
    record came from), source_key = customer_id, plus the identity fields present."""
    c = data.customers
    fields = [f for f in ("name", "email", "phone", "birth_date") if f in c]
    if not fields:
        raise ParameterError("the customers table has no identity fields (load with pii=True).")
    source = c[source_column] if source_column in c else pd.Series("crm", index=c.index)
    return pd.DataFrame(
        {"source": source, "source_key": c["customer_id"], **{f: c[f] for f in fields}}
    )


def _pairs(groups: pd.Series) -> set[tuple[str, str]]:
    """All unordered pairs of keys that share a group label."""
    out: set[tuple[str, str]] = set()
    for members in groups.groupby(groups).groups.values():
        if len(members) > 1:
            out.update(combinations(sorted(members), 2))
    return out


def evaluate(world: CRMData, resolution: Resolution | None = None, **resolve_options) -> dict:
    """Pairwise precision and recall of the links against ``world.truth`` duplicates.

    resolution: a ``resolve`` result on ``customer_records(world)`` to score (default:
    resolve here with ``resolve_options``).
    Returns a dict: precision, recall, true_pairs, found_pairs, correct_pairs, missed (a few
    missed pairs of customer ids), wrong (a few wrong ones), resolution (the ``Resolution``).
    """
    if world.truth is None or "duplicates" not in world.truth.tables:
        raise ParameterError("evaluate needs a synthetic world with truth (crmlab.data.generate).")
    if resolution is None:
        resolution = resolve(customer_records(world), **resolve_options)
    truth = world.truth.tables["duplicates"]
    present = set(world.customers["customer_id"])  # erased customers are gone from both
    truth = truth[truth["customer_id"].isin(present) & truth["original_customer_id"].isin(present)]
    person = pd.Series(
        world.customers["customer_id"].to_numpy(), index=world.customers["customer_id"]
    )
    person.loc[truth["customer_id"].to_numpy()] = truth["original_customer_id"].to_numpy()
    true_pairs = _pairs(person.rename_axis(None))
    found = _pairs(resolution.crosswalk.set_index("source_key")["customer_id"].rename_axis(None))
    correct = true_pairs & found
    return {
        "precision": len(correct) / len(found) if found else 1.0,
        "recall": len(correct) / len(true_pairs) if true_pairs else 1.0,
        "true_pairs": len(true_pairs),
        "found_pairs": len(found),
        "correct_pairs": len(correct),
        "missed": sorted(true_pairs - found)[:10],
        "wrong": sorted(found - true_pairs)[:10],
        "resolution": resolution,
    }
