"""Churn models: scikit-learn pipelines fitted on snapshots, split by time, calibrated.

- ``split(snaps)``: train on the earlier cutoffs, test on the latest (never randomly across
  time: a customer's future would leak into the past). A single cutoff (a cross-sectional
  table such as Telco) falls back to a stratified random split, and says so.
- ``fit``: "logistic" (imputation + indicator, scaling, one-hot, L2 logistic regression) or
  "hgb" (HistGradientBoostingClassifier, missing values handled natively). Class imbalance is
  handled by class weights ("balanced" by default), which inflates raw probabilities; they
  are then recalibrated (isotonic or sigmoid) on data the model did not see: the latest
  training cutoff, or a 20% stratified slice with one cutoff. Both the calibrated and the raw
  model are kept, so the effect of calibration can be shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ..errors import ParameterError
from ..features import Snapshots
from ..randomness import RandomState, integer_seed

ModelKind = Literal["logistic", "hgb"]


@dataclass(frozen=True)
class ChurnModel:
    """A fitted churn model. ``predict_proba(table)`` gives P(churn) per row (calibrated)."""

    kind: str
    numeric: list[str]
    categorical: list[str]
    estimator: object  # calibrated
    raw: Pipeline  # before calibration (class-weighted)
    label: str = "churned"
    info: dict = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        return self.numeric + self.categorical

    def _frame(self, frame: pd.DataFrame | Snapshots) -> pd.DataFrame:
        frame = table_of(frame)
        missing = [c for c in self.features if c not in frame]
        if missing:
            raise ParameterError(f"the table lacks the model's feature column(s) {missing}.")
        return frame[self.features]

    def predict_proba(self, table: pd.DataFrame | Snapshots) -> pd.Series:
        """Calibrated probability of churn for each row of ``table``."""
        rows = self._frame(table)
        p = self.estimator.predict_proba(rows)[:, 1]
        return pd.Series(p, index=rows.index, name="p_churn")

    def predict_proba_uncalibrated(self, table: pd.DataFrame | Snapshots) -> pd.Series:
        """The class-weighted model's probability before calibration (ranks the same way)."""
        rows = self._frame(table)
        p = self.raw.predict_proba(rows)[:, 1]
        return pd.Series(p, index=rows.index, name="p_churn_uncalibrated")


def table_of(snaps: pd.DataFrame | Snapshots) -> pd.DataFrame:
    """The rows of snapshots given either as ``Snapshots`` or as a plain table."""
    return snaps.table if isinstance(snaps, Snapshots) else snaps


def as_snapshots(snaps: pd.DataFrame | Snapshots) -> Snapshots:
    """Snapshots as they are; a plain table (e.g. a subscriber export) described by its
    columns: every column but customer_id, cutoff and churned is a feature, numbers numeric,
    the rest categorical."""
    if isinstance(snaps, Snapshots):
        return snaps
    if not isinstance(snaps, pd.DataFrame):
        raise ParameterError(
            f"expected Snapshots or a DataFrame of snapshots, not {type(snaps).__name__}."
        )
    chosen = [c for c in snaps.columns if c not in ("customer_id", "cutoff", "churned")]
    numeric = [c for c in chosen if pd.api.types.is_numeric_dtype(snaps[c])]
    categorical = [c for c in chosen if c not in numeric]
    return Snapshots(snaps, tuple(numeric), tuple(categorical), label="churned")


def split(
    snaps: Snapshots | pd.DataFrame, test_share: float = 0.25, random_state: RandomState = 0
) -> tuple[Snapshots, Snapshots]:
    """(train, test): the latest cutoff is the test set; with one cutoff, a stratified random
    ``test_share`` (each part's ``split`` says which)."""
    label = "churned"
    described = as_snapshots(snaps)
    snaps = described.table
    cutoffs = described.cutoffs
    if len(cutoffs) > 1:
        test = snaps[snaps["cutoff"] == cutoffs[-1]]
        train = snaps[snaps["cutoff"] < cutoffs[-1]]
        how = f"by time: train on {len(cutoffs) - 1} earlier cutoff(s), test on the latest"
    else:
        _check_classes(snaps[label], "the snapshot")
        train, test = train_test_split(
            snaps,
            test_size=test_share,
            random_state=integer_seed(random_state),
            stratify=snaps[label],
        )
        how = f"one cutoff: stratified random split, {test_share:.0%} test"
    return described.with_table(train.copy(), split=how), described.with_table(
        test.copy(), split=how
    )


def fit(
    snaps: Snapshots | pd.DataFrame,
    model: ModelKind = "logistic",
    calibration: Literal["isotonic", "sigmoid"] | None = "isotonic",
    class_weight: Literal["balanced"] | None = "balanced",
    features: list[str] | None = None,
    random_state: RandomState = 0,
) -> ChurnModel:
    """Fit a churn model on snapshots (``churned`` 0/1 plus feature columns).

    features: default = the snapshots' numeric + categorical features (a plain table: every
        column except customer_id, cutoff and churned; text columns categorical).
    calibration: recalibrate probabilities on held-out training data (None to skip).
    Same data + parameters + random_state => the same model.
    """
    if model not in ("logistic", "hgb"):
        raise ParameterError(f"model={model!r}: use 'logistic' or 'hgb'.")
    if calibration not in ("isotonic", "sigmoid", None):
        raise ParameterError(f"calibration={calibration!r}: use 'isotonic', 'sigmoid' or None.")
    described = as_snapshots(snaps)
    snaps = described.table
    if "churned" not in snaps:
        raise ParameterError("the table has no 'churned' column (0/1 labels).")
    _check_classes(snaps["churned"], "the training data")
    numeric, categorical = _feature_lists(described, features)
    state = integer_seed(random_state)
    fit_part, calibrate_part = _calibration_split(snaps, calibration, state)
    raw = _pipeline(model, numeric, categorical, class_weight, state)
    raw.fit(fit_part[numeric + categorical], fit_part["churned"])
    estimator = raw
    if calibration:
        _check_classes(calibrate_part["churned"], "the calibration slice")
        estimator = CalibratedClassifierCV(FrozenEstimator(raw), method=calibration)
        estimator.fit(calibrate_part[numeric + categorical], calibrate_part["churned"])
    info = {
        "rows_fit": len(fit_part),
        "rows_calibration": len(calibrate_part) if calibration else 0,
        "churn_rate_train": float(snaps["churned"].mean()),
        "calibration": calibration,
        "class_weight": class_weight,
        "random_state": state,
    }
    return ChurnModel(model, numeric, categorical, estimator, raw, info=info)


def _check_classes(labels: pd.Series, what: str) -> None:
    values = set(pd.unique(labels.dropna()))
    if not values <= {0, 1}:
        raise ParameterError(f"churned must be 0/1; {what} holds {sorted(values)[:5]}.")
    if len(values) < 2:
        raise ParameterError(
            f"{what} has a single class (churned = {values.pop() if values else 'none'}): "
            "nothing to learn. Use more cutoffs, a different horizon or more customers."
        )


def _feature_lists(described: Snapshots, features: list[str] | None) -> tuple[list, list]:
    snaps = described.table
    if features is None:
        numeric = [c for c in described.numeric if c in snaps]
        categorical = [c for c in described.categorical if c in snaps]
    else:
        chosen = list(features)
        missing = [c for c in chosen if c not in snaps]
        if missing:
            raise ParameterError(f"feature column(s) {missing} are not in the table.")
        numeric = [c for c in chosen if pd.api.types.is_numeric_dtype(snaps[c])]
        categorical = [c for c in chosen if c not in numeric]
    if not numeric + categorical:
        raise ParameterError("no feature columns to learn from.")
    return numeric, categorical


def _calibration_split(snaps: pd.DataFrame, calibration, random_state: int):
    if not calibration:
        return snaps, snaps.iloc[:0]
    cutoffs = sorted(snaps["cutoff"].dropna().unique()) if "cutoff" in snaps else []
    if len(cutoffs) > 1:  # calibrate on the latest training cutoff: honest in time
        return snaps[snaps["cutoff"] < cutoffs[-1]], snaps[snaps["cutoff"] == cutoffs[-1]]
    return train_test_split(
        snaps, test_size=0.2, random_state=random_state, stratify=snaps["churned"]
    )


def _pipeline(model, numeric, categorical, class_weight, random_state: int) -> Pipeline:
    one_hot = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="missing"),
        OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20),
    )
    if model == "logistic":
        prepare = ColumnTransformer(
            [
                (
                    "numeric",
                    make_pipeline(
                        SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                    ),
                    numeric,
                ),
                ("categorical", one_hot, categorical),
            ],
            sparse_threshold=0,
        )
        learner = LogisticRegression(max_iter=2000, class_weight=class_weight, C=1.0)
    else:
        prepare = ColumnTransformer(
            [("numeric", "passthrough", numeric), ("categorical", one_hot, categorical)],
            sparse_threshold=0,
        )
        learner = HistGradientBoostingClassifier(
            # 150 trees at rate 0.15 reach the AUC of 300 at 0.08 (0.8885 vs 0.8889 on 100k
            # synthetic customers) in half the time, fitting and scoring
            max_iter=150,
            learning_rate=0.15,
            early_stopping=True,
            validation_fraction=0.1,
            class_weight=class_weight,
            random_state=random_state,
        )
    return Pipeline([("prepare", prepare), ("model", learner)])


def scores_frame(model: ChurnModel, snaps: Snapshots | pd.DataFrame) -> pd.DataFrame:
    """customer_id (and cutoff) with p_churn, for ranking and targeting."""
    frame = table_of(snaps)
    keep = [c for c in ("customer_id", "cutoff") if c in frame]
    out = frame[keep].copy()
    out["p_churn"] = model.predict_proba(frame).to_numpy()
    return out.reset_index(drop=True)
