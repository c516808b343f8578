"""Borderline pairs for a data steward to review: what evidence links two records, masked.

Each scored pair's match weight is the sum of its fields' weights; ``evidence`` spells
that out ("email one keystroke +13.8, phone missing, birth_date different -6.7"), and
``borderline`` lists the pairs nearest the threshold with names as initials only.
"""

from __future__ import annotations

import math

import pandas as pd

from ..privacy import mask_name

REVIEW_COLUMNS = ["match_probability", "linked", "sources", "names", "evidence"]


def evidence(pair: pd.Series, model: pd.DataFrame) -> str:
    """One pair's evidence for each field of ``model``: level and weight (log2 m/u),
    strongest first; fields missing on either side are named once at the end."""
    labels = model.set_index(["field", "gamma"])["level"]
    parts, missing = [], []
    for name in model["field"].unique():
        gamma = int(pair[f"gamma_{name}"])
        if gamma < 0:
            missing.append(name)
            continue
        weight = pair[f"mw_{name}"]
        parts.append((weight, f"{name} {labels[(name, gamma)]} {weight:+.1f}"))
    text = ", ".join(t for _, t in sorted(parts, key=lambda p: -p[0]))
    return text + (f"; missing: {', '.join(missing)}" if missing else "")


def borderline(
    pairs: pd.DataFrame,
    model: pd.DataFrame,
    records: pd.DataFrame,
    names: pd.Series,
    threshold: float,
    n: int = 20,
) -> pd.DataFrame:
    """The ``n`` scored pairs whose match weight is nearest the threshold's, masked.

    pairs: ``ScoredPairs.pairs`` with a ``linked`` column; records: the source records
    (``source`` per position); names: normalized names per position (shown as initials).
    """
    if pairs.empty:
        return pd.DataFrame(columns=REVIEW_COLUMNS)
    cut = math.log2(threshold / (1 - threshold))
    near = pairs.assign(distance=(pairs["match_weight"] - cut).abs())
    near = near.sort_values(["distance", "left", "right"], kind="stable").head(n)
    source = records["source"].to_numpy()
    rows = []
    for _, pair in near.iterrows():
        a, b = int(pair["left"]), int(pair["right"])
        rows.append(
            {
                "match_probability": float(pair["match_probability"]),
                "linked": bool(pair["linked"]),
                "sources": f"{source[a]} / {source[b]}",
                "names": f"{mask_name(names.iloc[a]) or '-'} / {mask_name(names.iloc[b]) or '-'}",
                "evidence": evidence(pair, model),
            }
        )
    return pd.DataFrame(rows, columns=REVIEW_COLUMNS)
