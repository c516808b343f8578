"""Guard against chaining: clusters whose members argue against each other are split.

Linking is transitive: A~B and B~C put A and C in one customer even when A and C clearly
differ (a household phone on one side, a shared e-mail on the other). ``split_chains``
rebuilds such a cluster greedily: links in order of decreasing match weight, each joining
two groups unless that would put a forbidden pair (``cannot``) in one group. What remains
unjoined becomes separate customers. The result depends only on the links and weights, not
on record order (ties broken by record position).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def split_chains(
    labels: np.ndarray, links: pd.DataFrame, cannot: set[tuple[int, int]]
) -> tuple[np.ndarray, pd.DataFrame]:
    """New cluster labels with every cluster holding a forbidden pair rebuilt.

    labels: cluster label per record (connected components of ``links``).
    links: left, right, match_weight: the links that formed the clusters.
    cannot: record pairs (left < right) that must not end in one cluster.
    Returns (labels, report) where report has one row per split cluster: records (before),
    parts (after), forbidden_pairs, weakest_link (lowest match weight among the links
    dropped).
    """
    labels = np.asarray(labels).copy()
    bad_clusters = sorted({labels[a] for a, b in cannot if labels[a] == labels[b]})
    rows = []
    if not bad_clusters:
        return labels, _report(rows)
    next_label = labels.max() + 1
    in_bad = np.isin(labels[links["left"].to_numpy()], bad_clusters)
    ordered = links[in_bad].sort_values(
        ["match_weight", "left", "right"], ascending=[False, True, True], kind="stable"
    )
    by_cluster = ordered.groupby(labels[ordered["left"].to_numpy()], sort=True)
    for cluster, edges in by_cluster:
        members = np.flatnonzero(labels == cluster)
        forbidden = {p for p in cannot if labels[p[0]] == cluster and labels[p[1]] == cluster}
        group = {int(r): frozenset([int(r)]) for r in members}
        dropped = []
        for left, right, weight in edges[["left", "right", "match_weight"]].itertuples(index=False):
            a, b = group[left], group[right]
            if a is b:
                continue
            if any((min(x, y), max(x, y)) in forbidden for x in a for y in b):
                dropped.append(weight)
                continue
            joined = a | b
            for r in joined:
                group[r] = joined
        parts = sorted({g for g in group.values()}, key=min)
        for part in parts[1:]:  # the part with the lowest record keeps the old label
            labels[sorted(part)] = next_label
            next_label += 1
        rows.append(
            {
                "records": len(members),
                "parts": len(parts),
                "forbidden_pairs": len(forbidden),
                "weakest_link": min(dropped) if dropped else np.nan,
            }
        )
    return labels, _report(rows)


def _report(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["records", "parts", "forbidden_pairs", "weakest_link"])
