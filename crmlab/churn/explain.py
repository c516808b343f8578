"""What drives the model: permutation importance and partial dependence on the test set."""

from __future__ import annotations

import pandas as pd
from sklearn.inspection import partial_dependence, permutation_importance

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
    sd over ``n_repeats``), on at most ``max_rows`` rows; sorted, largest first."""
    state = integer_seed(random_state)
    part = _sample(test, max_rows, state)
    result = permutation_importance(
        model.estimator,
        part[model.features],
        part["churned"],
        scoring="roc_auc",
        n_repeats=n_repeats,
        random_state=state,
    )
    table = pd.DataFrame(
        {
            "feature": model.features,
            "auc_drop": result.importances_mean,
            "auc_drop_sd": result.importances_std,
        }
    )
    return table.sort_values("auc_drop", ascending=False, ignore_index=True)


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
