"""What drives the model: permutation importance and partial dependence on the test set."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.inspection import partial_dependence, permutation_importance
from sklearn.metrics import check_scoring
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

from ..errors import ParameterError
from ..features import Snapshots
from ..randomness import RandomState, integer_seed
from .model import ChurnModel, table_of


def _sample(test: Snapshots | pd.DataFrame, max_rows: int, random_state: int) -> pd.DataFrame:
    test = table_of(test)
    return test.sample(max_rows, random_state=random_state) if len(test) > max_rows else test


def importance(
    model: ChurnModel,
    test: Snapshots | pd.DataFrame,
    n_repeats: int = 5,
    max_rows: int = 20_000,
    random_state: RandomState = 0,
) -> pd.DataFrame:
    """Permutation importance: the drop in test ROC AUC when one feature is shuffled (mean and
    sd over ``n_repeats``), on at most ``max_rows`` rows; sorted, largest first.

    The numbers are scikit-learn's ``permutation_importance`` on the whole model, shuffle for
    shuffle. The rows are prepared (imputed, encoded) once, and each shuffle moves the
    prepared columns of one feature: preparing every shuffled copy again took three quarters
    of the time."""
    state = integer_seed(random_state)
    part = _sample(test, max_rows, state)
    rows, labels = part[model.features], part["churned"]
    prepared = _prepared_model(model)
    if prepared is None:  # a model put together by hand: shuffle and prepare every copy
        result = permutation_importance(
            model.estimator,
            rows,
            labels,
            scoring="roc_auc",
            n_repeats=n_repeats,
            random_state=state,
        )
        means, sds = result.importances_mean, result.importances_std
    else:
        drops = _shuffled_drops(*prepared, rows, labels, n_repeats, state)
        means, sds = drops.mean(axis=1), drops.std(axis=1)
    table = pd.DataFrame({"feature": model.features, "auc_drop": means, "auc_drop_sd": sds})
    return table.sort_values("auc_drop", ascending=False, ignore_index=True)


def _shuffled_drops(prepare, scored, blocks, rows, labels, n_repeats: int, state: int):
    """AUC drops, features x repeats, as scikit-learn's ``permutation_importance`` draws
    them: one seed for every feature, and each repeat shuffles the already shuffled column
    again with a further shuffled index."""
    matrix = prepare.transform(rows)
    scorer = check_scoring(scored, scoring="roc_auc")
    baseline = scorer(scored, matrix, labels)
    seed = check_random_state(state).randint(np.iinfo(np.int32).max + 1)
    drops = np.empty((len(blocks), n_repeats))
    for feature, block in enumerate(blocks):
        shuffler, shuffled = check_random_state(seed), matrix.copy()
        order = np.arange(len(matrix))
        for repeat in range(n_repeats):
            shuffler.shuffle(order)
            shuffled[:, block] = shuffled[np.ix_(order, block)]
            drops[feature, repeat] = baseline - scorer(scored, shuffled, labels)
    return drops


def _prepared_model(model: ChurnModel):
    """(preparation, the model from prepared columns on, each feature's prepared columns),
    or None when the model is not the shape ``fit`` builds."""
    raw = model.raw
    if [name for name, _ in raw.steps] != ["prepare", "model"]:
        return None
    prepare, learner = raw.named_steps["prepare"], raw.named_steps["model"]
    blocks = _feature_blocks(prepare, model.numeric, model.categorical)
    if blocks is None:
        return None
    if model.estimator is raw:
        return prepare, learner, blocks
    calibrated = model.estimator
    if not isinstance(calibrated, CalibratedClassifierCV) or not all(
        isinstance(c.estimator, FrozenEstimator) and c.estimator.estimator is raw
        for c in calibrated.calibrated_classifiers_
    ):
        return None
    # The same calibration maps, reading the learner's output on prepared columns.
    scored = copy.copy(calibrated)
    scored.calibrated_classifiers_ = []
    for pair in calibrated.calibrated_classifiers_:
        pair = copy.copy(pair)
        pair.estimator = learner
        scored.calibrated_classifiers_.append(pair)
    return prepare, scored, blocks


def _feature_blocks(prepare, numeric: list[str], categorical: list[str]):
    """The prepared columns of each feature (numeric first, as ``fit`` orders them): a numeric
    one's column and its missing-value indicator, if any; a categorical one's one-hot
    columns, an infrequent-category column included. None when the widths do not add up."""
    at = prepare.output_indices_
    blocks = []
    if numeric:
        steps = prepare.named_transformers_["numeric"]
        imputer = steps[0] if isinstance(steps, Pipeline) else None  # else passed through
        flagged = (
            [] if imputer is None or imputer.indicator_ is None else imputer.indicator_.features_
        )
        start = at["numeric"].start
        blocks += [[start + i] for i in range(len(numeric))]
        for j, i in enumerate(flagged):
            blocks[i].append(start + len(numeric) + j)
        if sum(map(len, blocks)) != at["numeric"].stop - start:
            return None
    if categorical:
        encoder = prepare.named_transformers_["categorical"][-1]
        start = at["categorical"].start
        for categories, rare in zip(
            encoder.categories_, encoder.infrequent_categories_, strict=True
        ):
            width = len(categories) - (0 if rare is None else len(rare) - 1)
            blocks.append(list(range(start, start + width)))
            start += width
        if start != at["categorical"].stop:
            return None
    return [np.array(block) for block in blocks]


def dependence(
    model: ChurnModel,
    test: Snapshots | pd.DataFrame,
    features: list[str],
    max_rows: int = 5_000,
    random_state: RandomState = 0,
) -> pd.DataFrame:
    """Partial dependence: average predicted P(churn) as each numeric feature moves across its
    5th-95th percentile range, others as observed. Tidy: feature, value, p_churn."""
    unknown = [f for f in features if f not in model.numeric]
    if unknown:
        raise ParameterError(f"partial dependence needs numeric model features; not {unknown}.")
    part = _sample(test, max_rows, integer_seed(random_state))[model.features]
    frames = []
    for feature in features:
        result = partial_dependence(
            model.estimator, part, [feature], grid_resolution=20, percentiles=(0.05, 0.95)
        )
        frames.append(
            pd.DataFrame(
                {
                    "feature": feature,
                    "value": result["grid_values"][0],
                    "p_churn": result["average"][0],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
