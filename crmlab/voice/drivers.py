"""Driver analysis: which factors move a score, and how much of what the model explains
each one carries.

The importance of a driver is its Shapley share of R² in a linear model, the "LMG" measure
of Lindeman, Merenda and Gold (1980) that Grömping's R package relaimpo recommends and that
dominance analysis calls general dominance: the R² gained by adding the driver, averaged
over every order in which drivers can enter. The shares are never negative for a single
column, add up to the full model's R², and equal each driver's own r² when drivers are
uncorrelated. A categorical driver (ticket category, channel) enters as one block of
indicator columns. Exact for up to 15 drivers (2^15 small regressions, each from the one
covariance matrix); more is refused with a pointer to grouping.

The dominance-analysis package does not import on numpy 2; this is the same measure on
numpy alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np
import pandas as pd

from ..errors import ParameterError

MAX_DRIVERS = 15


@dataclass(frozen=True)
class Drivers:
    """A driver analysis.

    table: one row per driver, most important first: ``driver``, ``importance`` (its share
        of R², in R² units), ``share`` (importance / R², summing to 1), ``rank``,
        ``direction`` ("+" raises the score, "-" lowers it; for a categorical driver the sign
        of its largest level effect), ``kind`` (number / category).
    effects: the full model's coefficients: ``driver``, ``level`` (for categories, against
        ``reference``), ``coefficient`` (score units per unit or against the reference level).
    r_squared: R² of the full linear model. n: rows used. dropped: rows left out because the
        score or a driver was empty (counted, never silent).
    """

    table: pd.DataFrame
    effects: pd.DataFrame
    r_squared: float
    n: int
    dropped: int


def drivers(frame: pd.DataFrame, target: str, features) -> Drivers:
    """Shapley decomposition of R² for ``target`` (e.g. "nps") over ``features`` (column
    names; text, category and boolean columns are categorical, numbers are numeric)."""
    features = _checked(frame, target, features)
    used = frame[[target, *features]].dropna()
    if len(used) < len(features) + 2:
        raise ParameterError(
            f"only {len(used):,} rows have {target!r} and every driver filled: too few for "
            f"{len(features)} drivers."
        )
    blocks, design, effects_index = _design(used, features)
    y = pd.to_numeric(used[target], errors="coerce").to_numpy(float)
    if np.isnan(y).any():
        examples = used.loc[np.isnan(y), target].head(3).tolist()
        raise ParameterError(
            f"target {target!r} holds {int(np.isnan(y).sum()):,} values that are not numbers "
            f"(e.g. {examples}); drivers explain a numeric score."
        )
    covariance = np.cov(np.column_stack([design, y]), rowvar=False)
    r2 = _subset_r2(covariance, blocks)
    importance = _shapley(r2, len(blocks))
    full = r2[(1 << len(blocks)) - 1]
    coefficients = _coefficients(design, y)
    effects = effects_index.assign(coefficient=coefficients)
    table = pd.DataFrame(
        {
            "driver": features,
            "importance": importance,
            "share": importance / full if full > 0 else np.nan,
            "direction": [_direction(effects, f) for f in features],
            "kind": [kind for kind, _ in (_kind(used[f]) for f in features)],
        }
    )
    table = table.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    table.insert(3, "rank", np.arange(1, len(table) + 1))
    return Drivers(table, effects, float(full), len(used), len(frame) - len(used))


def _checked(frame: pd.DataFrame, target: str, features) -> list[str]:
    features = [features] if isinstance(features, str) else list(features)
    absent = [c for c in [target, *features] if c not in frame.columns]
    if absent:
        raise ParameterError(
            f"{absent} are not columns of the table; its columns are "
            f"{[str(c) for c in frame.columns]}."
        )
    if not features or target in features or len(set(features)) < len(features):
        raise ParameterError(
            f"features={features!r}: name one or more distinct columns other than {target!r}."
        )
    if len(features) > MAX_DRIVERS:
        raise ParameterError(
            f"{len(features)} drivers: the exact decomposition is limited to {MAX_DRIVERS} "
            "(2^n regressions); group related columns into one categorical driver."
        )
    return features


def _kind(values: pd.Series) -> tuple[str, bool]:
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    return ("number", True) if numeric else ("category", False)


def _design(used: pd.DataFrame, features: list[str]):
    """Design columns per driver (a block of indicator columns for a category, its most
    common level as reference) and a table naming each column."""
    columns, blocks, names = [], [], []
    for feature in features:
        _, numeric = _kind(used[feature])
        start = sum(c.shape[1] for c in columns)
        if numeric:
            columns.append(used[[feature]].to_numpy(float))
            names.append((feature, "", ""))
        else:
            labels = used[feature].astype(str)
            counts = labels.value_counts()
            if len(counts) < 2:
                raise ParameterError(
                    f"driver {feature!r} has one value only ({counts.index[0]!r})."
                )
            # the most common level is the reference: effects read "delivery vs none"
            reference = sorted(counts.index[counts == counts.max()])[0]
            levels = sorted(level for level in counts.index if level != reference)
            dummies = np.column_stack([(labels == level).to_numpy(float) for level in levels])
            columns.append(dummies)
            names.extend((feature, level, reference) for level in levels)
        blocks.append(list(range(start, start + columns[-1].shape[1])))
    design = np.column_stack(columns)
    effects = pd.DataFrame(names, columns=["driver", "level", "reference"])
    return blocks, design, effects


def _subset_r2(covariance: np.ndarray, blocks: list[list[int]]) -> np.ndarray:
    """R² of the regression on every subset of blocks, indexed by bit mask."""
    k = len(blocks)
    y = covariance.shape[0] - 1
    var_y = covariance[y, y]
    r2 = np.zeros(1 << k)
    if var_y <= 0:
        raise ParameterError("the score is the same for every row: there is nothing to explain.")
    for mask in range(1, 1 << k):
        cols = [c for j in range(k) if mask >> j & 1 for c in blocks[j]]
        sxx = covariance[np.ix_(cols, cols)]
        sxy = covariance[cols, y]
        beta = np.linalg.lstsq(sxx, sxy, rcond=None)[0]  # collinear columns: least norm
        r2[mask] = float(sxy @ beta) / var_y
    return r2


def _shapley(r2: np.ndarray, k: int) -> np.ndarray:
    """Shapley value of each block: the sum over subsets S without j of
    |S|! (k - |S| - 1)! / k! x [R²(S + j) - R²(S)], over all bit masks at once."""
    masks = np.arange(1 << k)
    sizes = np.array([bin(m).count("1") for m in masks])
    weight = np.array([factorial(s) * factorial(k - s - 1) / factorial(k) for s in range(k)])
    values = np.zeros(k)
    for j in range(k):
        without = masks[(masks >> j & 1) == 0]
        gain = r2[without | 1 << j] - r2[without]
        values[j] = float(np.sum(weight[sizes[without]] * gain))
    return values


def _coefficients(design: np.ndarray, y: np.ndarray) -> np.ndarray:
    with_intercept = np.column_stack([np.ones(len(y)), design])
    return np.linalg.lstsq(with_intercept, y, rcond=None)[0][1:]


def _direction(effects: pd.DataFrame, feature: str) -> str:
    values = effects.loc[effects["driver"] == feature, "coefficient"].to_numpy()
    strongest = values[np.argmax(np.abs(values))]
    return "+" if strongest > 0 else "-"
