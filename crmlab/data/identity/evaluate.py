"""How well identity resolution finds the synthetic world's planted duplicate records."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from ...errors import ParameterError
from ...units import SHARE
from ..container import CRMData
from .resolve import Resolution, _components, resolve


def customer_records(data: CRMData, source_column: str = "signup_channel") -> pd.DataFrame:
    """A data set's customers as source records: source = ``source_column`` (the channel the
    record came from), source_key = customer_id, plus the identity fields present (name,
    email, phone, birth_date, city, postcode)."""
    c = data.customers
    fields = [f for f in ("name", "email", "phone", "birth_date", "city", "postcode") if f in c]
    if not set(fields) - {"city", "postcode"}:
        raise ParameterError("the customers table has no identity fields (load with pii=True).")
    source = c[source_column] if source_column in c else pd.Series("crm", index=c.index)
    return pd.DataFrame(
        {"source": source, "source_key": c["customer_id"], **{f: c[f] for f in fields}}
    )


def _pairs(groups: pd.Series) -> set[tuple[str, str]]:
    """All unordered pairs of keys (the index) that share a group label (the values)."""
    # only labels held by several keys can pair: most groups are one customer, and asking
    # pandas for every group's members cost half a second per threshold on 20,000 customers
    frame = pd.DataFrame({"key": groups.index, "label": groups.to_numpy()})
    frame = frame[frame["label"].notna() & frame["label"].duplicated(keep=False)]
    out: set[tuple[str, str]] = set()
    for members in frame.groupby("label", sort=False)["key"].agg(list):
        out.update(combinations(sorted(members), 2))
    return out


@dataclass(frozen=True)
class Evaluation:
    """Pairwise scores of a resolution against planted duplicates.

    metrics: metric, value (precision, recall, true_pairs, found_pairs, correct_pairs).
    precision / recall: the same two numbers as attributes. missed / wrong: up to ten pairs
    of customer ids the resolution missed or linked wrongly. resolution: what was scored.
    """

    metrics: pd.DataFrame
    precision: float
    recall: float
    missed: list
    wrong: list
    resolution: Resolution


def _true_pairs(world: CRMData) -> set[tuple[str, str]]:
    """Pairs of customer ids that the synthetic world made one person."""
    if world.truth is None or "duplicates" not in world.truth.tables:
        raise ParameterError("evaluate needs a synthetic world with truth (crmlab.data.generate).")
    truth = world.truth.tables["duplicates"]
    present = set(world.customers["customer_id"])  # erased customers are gone from both
    truth = truth[truth["customer_id"].isin(present) & truth["original_customer_id"].isin(present)]
    person = pd.Series(
        world.customers["customer_id"].to_numpy(), index=world.customers["customer_id"]
    )
    person.loc[truth["customer_id"].to_numpy()] = truth["original_customer_id"].to_numpy()
    return _pairs(person.rename_axis(None))


def evaluate(world: CRMData, resolution: Resolution | None = None, **resolve_options) -> Evaluation:
    """Pairwise precision and recall of the links against ``world.truth`` duplicates.

    resolution: a ``resolve`` result on ``customer_records(world)`` to score (default:
    resolve here with ``resolve_options``). See ``Evaluation``.
    """
    true_pairs = _true_pairs(world)
    if resolution is None:
        resolution = resolve(customer_records(world), **resolve_options)
    found = _pairs(resolution.crosswalk.set_index("source_key")["customer_id"].rename_axis(None))
    correct = true_pairs & found
    precision, recall = _precision_recall(found, true_pairs)
    metrics = pd.DataFrame(
        {
            "metric": ["precision", "recall", "true_pairs", "found_pairs", "correct_pairs"],
            "value": [precision, recall, len(true_pairs), len(found), len(correct)],
            "unit": [SHARE, SHARE, "pairs", "pairs", "pairs"],
        }
    )
    return Evaluation(
        metrics,
        precision,
        recall,
        sorted(true_pairs - found)[:10],
        sorted(found - true_pairs)[:10],
        resolution,
    )


def _precision_recall(found: set, truth: set) -> tuple[float, float]:
    """Pairwise precision and recall (1.0 when there is nothing to find or nothing found)."""
    correct = len(found & truth)
    return (correct / len(found) if found else 1.0, correct / len(truth) if truth else 1.0)


THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 0.9999, 0.99999)


def threshold_tradeoff(
    resolution: Resolution, world: CRMData | None = None, thresholds=THRESHOLDS
) -> pd.DataFrame:
    """What each match-probability threshold would give (probabilistic resolutions).

    One row per threshold: links (pairs at or above it, contested ones left out),
    customers, largest_cluster (records), and with a synthetic ``world`` precision and
    recall against its planted duplicates (NaN without). Clusters here are the plain
    connected components: the chaining guard, which only splits, is not re-run.
    """
    if resolution.parameters.get("method") != "splink":
        raise ParameterError("threshold_tradeoff needs a resolution made with method='splink'.")
    pairs = resolution.pairs[~resolution.pairs["contested"]]
    keys = resolution.crosswalk["source_key"].to_numpy()
    truth = _true_pairs(world) if world is not None else None
    rows = []
    for threshold in thresholds:
        links = pairs[pairs["match_probability"] >= threshold]
        labels = _components(len(keys), [links["left"].to_numpy()], [links["right"].to_numpy()])
        row = {
            "threshold": threshold,
            "links": len(links),
            "customers": int(labels.max() + 1) if len(labels) else 0,
            "largest_cluster": int(np.bincount(labels).max()) if len(labels) else 0,
            "precision": np.nan,
            "recall": np.nan,
        }
        if truth is not None:
            found = _pairs(pd.Series(labels, index=keys))
            row["precision"], row["recall"] = _precision_recall(found, truth)
        rows.append(row)
    return pd.DataFrame(rows)
