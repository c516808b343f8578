"""How well a score ranks customers by uplift, measured on held-out randomized units.

Customers are ranked by score (highest first); at each share x of them targeted, with
N_t, N_c treated and control units and Y_t, Y_c their summed outcomes:

- uplift curve  u(x) = (Y_t / N_t - Y_c / N_c) (N_t + N_c) / N: the incremental outcome
  per customer of the whole base from treating the top x (Rzepakowski & Jaroszewicz 2012);
- Qini curve    q(x) = (Y_t - Y_c N_t / N_c) / N (Radcliffe 2007), the same in units of
  the treated group.

Both reach the campaign's average effect at x = 1; a random ranking follows the straight
line to it. ``auuc`` and ``qini`` are the areas between the curve and that line (0 for a
random score, larger when the customers the campaign changes most come first; negative
when the score ranks them last). ``uplift_at_k`` is the treated minus control outcome among
the top share k. Customers with equal scores enter together (ties never depend on row
order). Intervals: percentile bootstrap over units, resampled within each arm.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError, whole_number
from ..intervals import check_alpha
from ..randomness import generator


def _arrays(outcome, treatment, score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(outcome, dtype=float)
    t = np.asarray(treatment).astype(int)
    s = np.asarray(score, dtype=float)
    if not len(y) == len(t) == len(s):
        raise ParameterError("outcome, treatment and score must have one value per unit.")
    if np.isnan(s).any() or np.isnan(y).any():
        raise ParameterError("scores and outcomes must not be missing.")
    if t.sum() == 0 or t.sum() == len(t):
        raise ParameterError("both arms need units: evaluation compares treated with control.")
    return y, t, s


def _cumulative(y, t, s, order: np.ndarray) -> tuple[np.ndarray, ...]:
    """N_t, N_c, Y_t, Y_c after each group of tied scores (best first, ``order``), from 0."""
    y, t, s = y[order], t[order], s[order]
    ends = np.append(np.flatnonzero(np.diff(s) != 0), len(s) - 1)
    counts = [np.cumsum(v)[ends] for v in (t, 1 - t, y * t, y * (1 - t))]
    return tuple(np.concatenate([[0.0], c]) for c in counts)


def _best_first(s: np.ndarray) -> np.ndarray:
    return np.argsort(-s, kind="stable")


def _points(y, t, s, order: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """share targeted, uplift curve and Qini curve after each group of tied scores."""
    n_t, n_c, y_t, y_c = _cumulative(y, t, s, order)
    n = n_t[-1] + n_c[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where((n_t > 0) & (n_c > 0), y_t / n_t - y_c / n_c, 0.0)
        qini = (y_t - np.where(n_c > 0, y_c * n_t / n_c, 0.0)) / n
    share = (n_t + n_c) / n
    return share, gap * share, qini


def score_points(outcome, treatment, score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``_points`` of one score given as columns: checked, then ranked best first."""
    y, t, s = _arrays(outcome, treatment, score)
    return _points(y, t, s, _best_first(s))


def curves(outcome, treatment, score) -> pd.DataFrame:
    """The uplift and Qini curves of one score: share_targeted, uplift, qini, random_uplift,
    random_qini (see the module docstring)."""
    share, uplift, qini = score_points(outcome, treatment, score)
    table = pd.DataFrame({"share_targeted": share, "uplift": uplift, "qini": qini})
    table["random_uplift"], table["random_qini"] = share * uplift[-1], share * qini[-1]
    return table


def _metrics(y, t, s, k: float) -> tuple[float, float, float]:
    """auuc, qini and uplift@k of one score, in arrays: run once per bootstrap resample."""
    order = _best_first(s)
    share, uplift, qini = _points(y, t, s, order)
    areas = [np.trapezoid(curve - share * curve[-1], share) for curve in (uplift, qini)]
    top = order[: max(1, int(np.ceil(k * len(s))))]
    tt, yt = t[top], y[top]
    at_k = yt[tt == 1].mean() - yt[tt == 0].mean() if 0 < tt.sum() < len(tt) else np.nan
    return float(areas[0]), float(areas[1]), float(at_k)


def _percentiles(values: np.ndarray, alpha: float) -> tuple[float, float]:
    """Percentile interval of the resamples that could be measured (uplift@k is undefined
    when the top share holds one arm only); NaN when none could."""
    kept = values[~np.isnan(values)]
    if not len(kept):
        return np.nan, np.nan
    low, high = np.quantile(kept, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def evaluate(
    outcome,
    treatment,
    scores: dict[str, np.ndarray] | pd.DataFrame,
    k: float = 0.3,
    n_boot: int = 200,
    alpha: float = 0.05,
    random_state: int = 0,
) -> pd.DataFrame:
    """AUUC, Qini and uplift@k of each score, with bootstrap intervals.

    outcome, treatment: held-out units of a randomized campaign (units the models did not
    learn from). scores: name -> one score per unit (an uplift model's prediction, a churn
    risk, a response probability; higher means "target first"). k: the targeted share for
    uplift@k. Returns one row per score: auuc, qini, uplift_at_k, each with _low / _high
    (percentile bootstrap at 1 - alpha, n_boot resamples within each arm), sorted by auuc.
    """
    check_alpha(alpha)
    whole_number("n_boot", n_boot, low=0)
    if not 0 < k <= 1:
        raise ParameterError(f"k={k!r}: the targeted share must be in (0, 1].")
    scores = dict(scores.items()) if isinstance(scores, pd.DataFrame) else dict(scores)
    if not scores:
        raise ParameterError("scores is empty: give at least one name -> score.")
    y, t, _ = _arrays(outcome, treatment, next(iter(scores.values())))
    rng = generator(random_state)
    arms = [np.flatnonzero(t == arm) for arm in (1, 0)]
    draws = [np.concatenate([rng.choice(a, len(a)) for a in arms]) for _ in range(n_boot)]
    rows = []
    for name, score in scores.items():
        s = _arrays(y, t, score)[2]
        point = _metrics(y, t, s, k)
        boot = np.array([_metrics(y[d], t[d], s[d], k) for d in draws]).reshape(-1, 3)
        row = {"score": name}
        for i, metric in enumerate(("auuc", "qini", "uplift_at_k")):
            row[metric] = point[i]
            low, high = _percentiles(boot[:, i], alpha)
            row[f"{metric}_low"], row[f"{metric}_high"] = low, high
        rows.append(row)
    return pd.DataFrame(rows).sort_values("auuc", ascending=False, ignore_index=True)
