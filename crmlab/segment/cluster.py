"""Clustering customers on behavioural features, with k chosen by silhouette and a stability check.

The model is a scikit-learn Pipeline: ``log1p`` (money and counts are right-skewed) ->
``StandardScaler`` -> ``KMeans`` or ``GaussianMixture``. k is the value in ``k`` with the best
silhouette score (computed on a sample of at most ``silhouette_sample`` customers). Stability
is the mean adjusted Rand index between the chosen model's labels and the labels of models
refitted on bootstrap resamples (1 = the same partition every time, 0 = chance).
Clusters are numbered by size, largest first, so labels are reproducible.

Beyond ``fit_sample`` customers (100,000 by default) the models are chosen, fitted and
refitted for stability on a random sample of that many, and every customer is then
assigned by the chosen model: a million customers take seconds, not minutes, and a
sample of 100,000 places the centres of a handful of clusters as well as all would
(bench/segmentation.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from ..errors import ParameterError, whole_number

# Words for a feature well above / below the average (in standardized log units).
FEATURE_WORDS = {
    "recency_days": ("not recent", "recent"),
    "days_since_last_order": ("not recent", "recent"),
    "n_orders": ("high frequency", "low frequency"),
    "revenue": ("high spend", "low spend"),
    "net_revenue": ("high spend", "low spend"),
}


@dataclass(frozen=True)
class ClusterResult:
    """Outcome of ``cluster``.

    labels: cluster per customer (0 = largest). k: the chosen number of clusters.
    silhouette: one row per tried k (k, silhouette). stability: mean adjusted Rand index
    across bootstrap refits (``stability_runs`` holds each). profiles: per cluster size, share
    and the mean of every feature. descriptions: a short phrase per cluster. pipeline: the
    fitted scikit-learn Pipeline (``pipeline.predict`` labels new customers in its own
    numbering; ``relabel`` maps it to ours). fitted_on: how many customers the models were
    fitted on (all of them, or ``fit_sample``).
    """

    labels: pd.Series
    k: int
    silhouette: pd.DataFrame
    stability: float
    stability_runs: list[float]
    profiles: pd.DataFrame
    descriptions: pd.Series
    pipeline: Pipeline
    relabel: dict[int, int]
    fitted_on: int = 0


def _pipeline(k: int, method: str, random_state: int) -> Pipeline:
    model = (
        KMeans(n_clusters=k, n_init=4, random_state=random_state)
        if method == "kmeans"
        else GaussianMixture(n_components=k, covariance_type="full", random_state=random_state)
    )
    return make_pipeline(FunctionTransformer(np.log1p), StandardScaler(), model)


def cluster(
    features: pd.DataFrame,
    k=range(2, 9),
    method: Literal["kmeans", "gmm"] = "kmeans",
    random_state: int = 0,
    n_bootstrap: int = 10,
    silhouette_sample: int = 10_000,
    fit_sample: int | None = 100_000,
) -> ClusterResult:
    """Cluster customers (rows of ``features``, numeric columns >= 0, indexed by customer).

    k: the numbers of clusters tried; method: "kmeans" or "gmm" (full covariances);
    n_bootstrap: refits for the stability score; silhouette_sample: customers the
    silhouette is computed on; fit_sample: customers the models are fitted on when there
    are more (None: all). Same features and random_state: the same result.
    """
    ks = sorted(set(k))
    if not ks or min(ks) < 2:
        raise ParameterError(f"k={k!r}: give at least one number of clusters >= 2.")
    if method not in ("kmeans", "gmm"):
        raise ParameterError(f"method={method!r}: use 'kmeans' or 'gmm'.")
    _check_features(features, max(ks))
    if fit_sample is not None:
        whole_number("fit_sample", fit_sample, low=max(ks), of="customers")
    x = features.to_numpy(float)
    rng = np.random.default_rng(random_state)
    x_fit = x
    if fit_sample is not None and len(x) > fit_sample:
        x_fit = x[np.sort(rng.choice(len(x), fit_sample, replace=False))]
    sample = rng.choice(len(x_fit), min(len(x_fit), silhouette_sample), replace=False)
    fitted = {}
    for n_clusters in ks:
        pipe = _pipeline(n_clusters, method, random_state).fit(x_fit)
        fitted[n_clusters] = (pipe, pipe.predict(x_fit))
    # the scaling steps do not depend on k: one set of sampled points serves every k
    points = fitted[ks[0]][0][:-1].transform(x_fit[sample])
    scores = silhouettes(points, [fitted[n][1][sample] for n in ks])
    silhouette = pd.DataFrame({"k": ks, "silhouette": scores})
    if silhouette["silhouette"].isna().all():
        raise ParameterError("no k gave more than one cluster: the features do not vary.")
    best = int(silhouette.loc[silhouette["silhouette"].idxmax(), "k"])
    pipe, raw_fit = fitted[best]
    raw = raw_fit if x_fit is x else pipe.predict(x)
    relabel = {old: new for new, old in enumerate(pd.Series(raw).value_counts().index)}
    labels = pd.Series(pd.Series(raw).map(relabel).to_numpy(), index=features.index, name="cluster")
    runs = []
    for _ in range(n_bootstrap):
        idx = rng.choice(len(x_fit), len(x_fit), replace=True)
        refit = _pipeline(best, method, int(rng.integers(1 << 31))).fit(x_fit[idx])
        runs.append(float(adjusted_rand_score(raw_fit, refit.predict(x_fit))))
    profiles = _profiles(features, labels)
    return ClusterResult(
        labels=labels,
        k=best,
        silhouette=silhouette,
        stability=float(np.mean(runs)) if runs else float("nan"),
        stability_runs=runs,
        profiles=profiles,
        descriptions=describe(features, labels, pipe),
        pipeline=pipe,
        relabel=relabel,
        fitted_on=len(x_fit),
    )


def silhouettes(points: np.ndarray, labelings: list[np.ndarray], chunk: int = 2_000) -> list[float]:
    """Mean silhouette coefficient of each labeling of the same points (Euclidean), as
    scikit-learn's ``silhouette_score`` (NaN when a labeling has a single cluster).

    The pairwise distances are computed once, in blocks of ``chunk`` rows, and each block
    gives every labeling's mean distance to each cluster by one product with the cluster
    indicator columns: one pass over the distances instead of one per labeling.
    """
    n = len(points)
    codes = [np.unique(labels, return_inverse=True) for labels in labelings]
    indicator = np.hstack([np.eye(len(values))[inverse] for values, inverse in codes])
    offsets = np.cumsum([0] + [len(values) for values, _ in codes])
    sums = np.empty((n, indicator.shape[1]))
    squared = np.einsum("ij,ij->i", points, points)
    for start in range(0, n, chunk):
        block = points[start : start + chunk]
        d2 = squared[start : start + chunk, None] + squared[None, :] - 2 * block @ points.T
        sums[start : start + chunk] = np.sqrt(np.maximum(d2, 0)) @ indicator
    results = []
    for (values, inverse), low, high in zip(codes, offsets[:-1], offsets[1:], strict=True):
        if len(values) < 2:
            results.append(float("nan"))
            continue
        counts = np.bincount(inverse, minlength=len(values)).astype(float)
        mean = sums[:, low:high] / counts
        own = np.arange(n), inverse
        a = sums[:, low:high][own] / np.maximum(counts[inverse] - 1, 1)
        mean[own] = np.inf
        b = mean.min(axis=1)
        score = (b - a) / np.maximum(a, b)
        score[counts[inverse] == 1] = 0.0  # a cluster of one scores 0, as scikit-learn
        results.append(float(np.nan_to_num(score).mean()))
    return results


def _check_features(features: pd.DataFrame, max_k: int) -> None:
    if not isinstance(features, pd.DataFrame) or features.empty:
        raise ParameterError("features must be a non-empty DataFrame (one row per customer).")
    non_numeric = [c for c in features if not pd.api.types.is_numeric_dtype(features[c])]
    if non_numeric:
        raise ParameterError(f"features must be numeric; not: {non_numeric}")
    if features.isna().any().any():
        bad = features.columns[features.isna().any()].tolist()
        raise ParameterError(f"features have missing values in {bad}; fill or drop them first.")
    negative = [c for c in features if (features[c] < 0).any()]
    if negative:
        raise ParameterError(f"features must be >= 0 (they are log1p-transformed): {negative}")
    if len(features) <= max_k:
        raise ParameterError(f"{len(features)} customers are too few for k up to {max_k}.")


def _profiles(features: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    grouped = features.groupby(labels)
    out = grouped.mean().add_suffix("_mean")
    out.insert(0, "share", grouped.size() / len(labels))
    out.insert(0, "customers", grouped.size())
    out.index.name = "cluster"
    return out.reset_index()


def standardized_means(features: pd.DataFrame, result: ClusterResult) -> pd.DataFrame:
    """Per cluster, the mean of each feature after log1p and scaling (0 = average customer)."""
    z = result.pipeline[:-1].transform(features.to_numpy(float))
    return (
        pd.DataFrame(z, columns=features.columns, index=features.index)
        .groupby(result.labels)
        .mean()
    )


def projection(
    features: pd.DataFrame, result: ClusterResult, n: int = 5_000, random_state: int = 0
) -> pd.DataFrame:
    """A 2-D PCA projection of (a sample of at most n) customers: columns x, y, cluster."""
    from sklearn.decomposition import PCA

    sample = features.sample(min(n, len(features)), random_state=random_state)
    z = result.pipeline[:-1].transform(sample.to_numpy(float))
    xy = PCA(n_components=2, random_state=random_state).fit_transform(z)
    return pd.DataFrame(
        {"x": xy[:, 0], "y": xy[:, 1], "cluster": result.labels.loc[sample.index].to_numpy()},
        index=sample.index,
    )


def describe(features: pd.DataFrame, labels: pd.Series, pipe: Pipeline) -> pd.Series:
    """A phrase per cluster from features whose standardized mean is beyond +-0.5."""
    z = (
        pd.DataFrame(
            pipe[:-1].transform(features.to_numpy(float)),
            columns=features.columns,
            index=features.index,
        )
        .groupby(labels)
        .mean()
    )
    phrases = {}
    for label, row in z.iterrows():
        words = []
        for column, value in row.items():
            high, low = FEATURE_WORDS.get(column, (f"high {column}", f"low {column}"))
            if value > 0.5:
                words.append(high)
            elif value < -0.5:
                words.append(low)
        phrases[label] = ", ".join(words) or "average on every feature"
    return pd.Series(phrases, name="description").rename_axis("cluster")
