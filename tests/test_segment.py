"""Segmentation: RFM, ABC/Pareto/Gini, lifecycle, migration, profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlab import segment
from crmlab.data.privacy import suppress_small_cells
from crmlab.errors import ParameterError
from crmlab.features import customer_summary
from crmlab.segment.rfm import quantile_scores

AS_OF = "2024-12-31"


def orders_from(days_by_customer: dict[str, list[int]], amounts=None) -> pd.DataFrame:
    rows = []
    for customer, days in days_by_customer.items():
        for i, day in enumerate(days):
            rows.append(
                {
                    "order_id": f"{customer}-{i}",
                    "customer_id": customer,
                    "ordered_at": pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=day),
                    "amount": (amounts or {}).get(customer, 10.0),
                    "status": "completed",
                }
            )
    return pd.DataFrame(rows)


# ---------- RFM


def test_rfm_on_the_world(world):
    r = segment.rfm(world, AS_OF)
    assert r.index.is_unique and r["segment"].notna().all()
    assert set(r["segment"].cat.categories) == set(segment.SEGMENT_ORDER)
    assert r["rfm_code"].str.fullmatch(r"[1-5]{3}").all()
    # best recency/frequency/monetary customers are Champions, the opposite are Lost
    best, worst = r.loc[r["rfm_code"] == "555", "segment"], r.loc[r["rfm_code"] == "111", "segment"]
    assert len(best) > 10 and len(worst) > 10
    assert (best == "Champions").all() and (worst == "Lost").all()


def test_rfm_scores_follow_the_values():
    orders = orders_from(
        {"recent": [360], "old": [10], "mid": [200]},
        amounts={"recent": 5.0, "old": 50.0, "mid": 20.0},
    )
    r = segment.rfm(orders, AS_OF, bins=3)
    assert r.loc["recent", "r_score"] == 3 and r.loc["old", "r_score"] == 1
    assert r.loc["old", "m_score"] == 3 and r.loc["recent", "m_score"] == 1
    assert (r["f_score"] == r["f_score"].iloc[0]).all()  # all tie on one order: equal scores


def test_ties_get_equal_scores_and_scores_stay_in_range():
    values = pd.Series([1, 1, 1, 1, 2, 2, 3, 100])
    scores = quantile_scores(values, 5)
    assert scores.between(1, 5).all()
    assert scores[:4].nunique() == 1 and scores[4:6].nunique() == 1
    assert scores.is_monotonic_increasing


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.integers(0, 5), min_size=1, max_size=60), bins=st.integers(2, 9))
def test_quantile_scores_properties(values, bins):
    s = pd.Series(values, dtype=float)
    scores = quantile_scores(s, bins)
    assert scores.between(1, bins).all()
    # equal values, equal scores; larger value, never a lower score
    for v in set(values):
        assert scores[s == v].nunique() == 1
    order = s.sort_values(kind="stable").index
    assert scores[order].is_monotonic_increasing


@settings(max_examples=20, deadline=None)
@given(
    days=st.lists(st.lists(st.integers(0, 360), min_size=1, max_size=5), min_size=1, max_size=25),
    bins=st.integers(2, 9),
)
def test_every_customer_gets_exactly_one_segment(days, bins):
    orders = orders_from({f"c{i}": d for i, d in enumerate(days)})
    r = segment.rfm(orders, AS_OF, bins=bins)
    assert len(r) == len(days) and r["segment"].notna().all()
    assert r[["r_score", "f_score", "m_score"]].isin(range(1, bins + 1)).all().all()


def test_rfm_accepts_a_summary_and_checks_its_date(world):
    summary = customer_summary(world, AS_OF)
    pd.testing.assert_frame_equal(segment.rfm(summary), segment.rfm(world, AS_OF))
    with pytest.raises(ParameterError, match="differs from the summary"):
        segment.rfm(summary, "2024-06-30")
    # a bare table has lost its as_of: refused with a pointer, never a bare KeyError
    with pytest.raises(ParameterError, match="CustomerSummary"):
        segment.lifecycle(summary.table)
    with pytest.raises(ParameterError, match="CustomerSummary"):
        segment.rfm(summary.table)


def test_rfm_mapping_can_be_overridden_but_must_cover_the_grid(world):
    two = [("Good", 3, 5, 1, 5), ("Bad", 1, 2, 1, 5)]
    r = segment.rfm(world, AS_OF, segments=two)
    assert set(r["segment"]) == {"Good", "Bad"}
    with pytest.raises(ParameterError, match="without a name"):
        segment.rfm(world, AS_OF, segments=two[:1])


@pytest.mark.parametrize("bins", [1, 10, 2.5])
def test_rfm_bad_bins(world, bins):
    with pytest.raises(ParameterError, match="bins"):
        segment.rfm(world, AS_OF, bins=bins)


def test_rfm_as_of_before_all_data(world):
    with pytest.raises(ParameterError, match="before every order"):
        segment.rfm(world, "2000-01-01")
    with pytest.raises(ParameterError, match="as_of is required"):
        segment.rfm(world.orders)


# ---------- ABC, Pareto, Gini


def test_abc_by_count_is_the_classic_split():
    values = pd.Series(np.arange(100, 0, -1), index=[f"c{i}" for i in range(100)], dtype=float)
    classes = segment.abc(values)["abc_class"].value_counts()
    assert (classes["A"], classes["B"], classes["C"]) == (5, 15, 80)


def test_abc_by_value_puts_the_crossing_customer_in_a():
    values = pd.Series({"a": 50.0, "b": 40.0, "c": 6.0, "d": 4.0})
    table = segment.abc(values, basis="value")
    assert table["abc_class"].tolist() == ["A", "A", "B", "C"]  # 50% + 40% crosses 80%
    assert table["value_share"].iloc[-1] == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(0, 1e6), min_size=1, max_size=80),
    basis=st.sampled_from(["count", "value"]),
)
def test_abc_shares_are_consistent(values, basis):
    s = pd.Series(values, index=[f"c{i}" for i in range(len(values))])
    table = segment.abc(s, basis=basis)
    assert len(table) == len(s) and table["abc_class"].notna().all()
    assert table["customer_share"].iloc[-1] == pytest.approx(1.0)
    assert table["value_share"].is_monotonic_increasing
    assert table["value_share"].iloc[-1] == pytest.approx(1.0)
    assert table["abc_class"].is_monotonic_increasing  # A before B before C
    assert table["value"].sum() == pytest.approx(s.sum())


def test_pareto_and_gini_known_values():
    equal = pd.Series([5.0] * 10)
    assert segment.gini(equal) == pytest.approx(0.0)
    assert segment.pareto_table(equal)["value_share"].iloc[20] == pytest.approx(0.2)
    one_has_all = pd.Series([0.0] * 9 + [100.0])
    assert segment.gini(one_has_all) == pytest.approx(0.9)
    assert segment.pareto_table(one_has_all)["value_share"].iloc[10] == pytest.approx(1.0)
    # Gini of 1, 2, 3, 4: sum |xi - xj| / (2 n^2 mean) = 20 / (2 * 16 * 2.5) = 0.25
    assert segment.gini(pd.Series([1.0, 2.0, 3.0, 4.0])) == pytest.approx(0.25)


def test_abc_bad_input():
    s = pd.Series([3.0, 2.0, 1.0])
    with pytest.raises(ParameterError, match="cuts"):
        segment.abc(s, cuts=(0.3, 0.2))
    with pytest.raises(ParameterError, match="basis"):
        segment.abc(s, basis="revenue")
    with pytest.raises(ParameterError, match="negative"):
        segment.abc(pd.Series([1.0, -2.0]))
    with pytest.raises(ParameterError, match="non-empty"):
        segment.gini(pd.Series([], dtype=float))


# ---------- lifecycle


def test_lifecycle_stages_follow_the_thresholds():
    orders = orders_from(
        {"fresh": [355], "active": [0, 340], "risk": [0, 300], "lapsed": [0, 250], "gone": [0, 100]}
    )
    limits = {"new_days": 30, "active_days": 30, "at_risk_days": 90, "lapsed_days": 180}
    stages = segment.lifecycle(orders, AS_OF, **limits).stage
    assert stages.astype(str).to_dict() == {
        "active": "active",
        "fresh": "new",
        "gone": "churned",
        "lapsed": "lapsed",
        "risk": "at risk",
    }


def test_lifecycle_defaults_come_from_the_typical_gap(world):
    result = segment.lifecycle(world, AS_OF)
    t = result.thresholds_days
    assert t["active_days"] > 0 and t["at_risk_days"] == 2 * t["active_days"]
    assert t["lapsed_days"] == 4 * t["active_days"]
    assert t["new_days"] == t["active_days"]
    assert set(result.stage.unique()) == set(segment.STAGES)
    assert result.as_of == pd.Timestamp(AS_OF, tz="UTC")


def test_lifecycle_bad_thresholds_and_no_repeaters():
    orders = orders_from({"a": [10], "b": [20]})
    with pytest.raises(ParameterError, match="no customer has bought twice"):
        segment.lifecycle(orders, AS_OF)
    with pytest.raises(ParameterError, match="thresholds"):
        segment.lifecycle(
            orders, AS_OF, new_days=10, active_days=90, at_risk_days=30, lapsed_days=200
        )


# ---------- migration


def test_migration_rows_sum_to_one_and_newcomers_appear(world):
    table = segment.migration(world, "2024-06-30", AS_OF)
    sums = table.groupby("from_segment", observed=True)["row_share"].sum()
    np.testing.assert_allclose(sums, 1.0)
    assert "(not yet a customer)" in set(table["from_segment"].astype(str))
    n_to = len(segment.rfm(world, AS_OF))
    assert table["customers"].sum() == n_to


def test_lifecycle_migration_and_bad_dates(world):
    table = segment.migration(world, "2024-06-30", AS_OF, by="lifecycle")
    assert set(table["from_segment"].astype(str)) <= {*segment.STAGES, "(not yet a customer)"}
    with pytest.raises(ParameterError, match="must be after"):
        segment.migration(world, AS_OF, "2024-01-01")
    with pytest.raises(ParameterError, match="by="):
        segment.migration(world, "2024-06-30", AS_OF, by="abc")


# ---------- profiles and suppression


def test_profile_on_the_world(world):
    r = segment.rfm(world, AS_OF)
    table = segment.profile(r["segment"], world, AS_OF, min_cell_size=1)
    assert table["customers"].sum() == len(r)
    assert table["share_revenue"].sum() == pytest.approx(1.0)
    channels = [c for c in table.columns if c.startswith("channel_")]
    np.testing.assert_allclose(table[channels].sum(axis=1), 1.0)
    nps = table["last_nps"].dropna()  # a tiny segment may have no survey answers
    assert len(nps) >= len(table) - 2 and nps.between(0, 10).all()
    assert (table["tickets_per_customer"] >= 0).all()
    champions = table.set_index("segment").loc["Champions"]
    lost = table.set_index("segment").loc["Lost"]
    assert champions["revenue_mean"] > lost["revenue_mean"]


def test_small_segments_are_suppressed(world):
    r = segment.rfm(world, AS_OF)
    table = segment.profile(r["segment"], world, AS_OF, min_cell_size=100)
    small = table[table["suppressed"]]
    assert len(small) > 0 and small["customers"].isna().all() and small["revenue"].isna().all()
    assert small["segment"].notna().all()


def test_suppress_small_cells_rules():
    t = pd.DataFrame({"group": ["a", "b"], "customers": [3, 30], "revenue": [1.0, 2.0]})
    out = suppress_small_cells(t, min_size=10)
    assert out["suppressed"].tolist() == [True, False]
    assert np.isnan(out.loc[0, "revenue"]) and out.loc[1, "revenue"] == 2.0
    assert pd.isna(out.loc[0, "customers"]) and out["customers"].dtype == "Int64"
    with pytest.raises(ParameterError, match="min_size"):
        suppress_small_cells(t, min_size=0)


# ---------- clustering


def planted_blobs(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Three customer types with very different spend, frequency and recency."""
    rng = np.random.default_rng(seed)
    centers = [(5, 12, 900), (60, 3, 150), (300, 1, 40)]  # recency_days, n_orders, revenue
    truth = np.repeat([0, 1, 2], [150, 300, 450])
    rows = [rng.lognormal(np.log(centers[t]), 0.15) for t in truth]
    frame = pd.DataFrame(
        rows,
        columns=["recency_days", "n_orders", "revenue"],
        index=[f"c{i}" for i in range(len(truth))],
    )
    return frame, truth


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_cluster_recovers_planted_types(method):
    from sklearn.metrics import adjusted_rand_score

    features, truth = planted_blobs()
    result = segment.cluster(features, k=range(2, 6), method=method, n_bootstrap=3)
    assert result.k == 3
    assert adjusted_rand_score(truth, result.labels) > 0.95
    assert result.stability > 0.9
    assert list(result.silhouette["k"]) == [2, 3, 4, 5]
    assert result.profiles["customers"].tolist() == [450, 300, 150]  # numbered by size
    assert result.descriptions[2] == "recent, high frequency, high spend"


def test_cluster_is_reproducible():
    features, _ = planted_blobs(seed=1)
    a = segment.cluster(features, k=[2, 3], random_state=5, n_bootstrap=2)
    b = segment.cluster(features, k=[2, 3], random_state=5, n_bootstrap=2)
    pd.testing.assert_series_equal(a.labels, b.labels)
    assert a.stability_runs == b.stability_runs


def test_a_cluster_fitted_on_a_sample_assigns_every_customer():
    """Above fit_sample the models are fitted on a sample and every customer is assigned:
    the planted types are still found, for all 900 customers."""
    from sklearn.metrics import adjusted_rand_score

    features, truth = planted_blobs(seed=2)
    result = segment.cluster(features, k=range(2, 6), n_bootstrap=3, fit_sample=200)
    assert result.fitted_on == 200 and result.k == 3
    assert len(result.labels) == 900 and result.labels.index.equals(features.index)
    assert adjusted_rand_score(truth, result.labels) > 0.95
    assert result.profiles["customers"].tolist() == [450, 300, 150]
    again = segment.cluster(features, k=range(2, 6), n_bootstrap=3, fit_sample=200)
    pd.testing.assert_series_equal(result.labels, again.labels)
    assert segment.cluster(features, k=[2, 3], n_bootstrap=0).fitted_on == 900


def test_cluster_bad_parameters():
    features, _ = planted_blobs()
    with pytest.raises(ParameterError, match="k="):
        segment.cluster(features, k=[])
    with pytest.raises(ParameterError, match="k="):
        segment.cluster(features, k=[1, 2])
    with pytest.raises(ParameterError, match="method"):
        segment.cluster(features, method="dbscan")
    with pytest.raises(ParameterError, match=">= 0"):
        segment.cluster(features.assign(revenue=-features["revenue"]))
    with pytest.raises(ParameterError, match="too few"):
        segment.cluster(features.head(5), k=range(2, 9))
    with pytest.raises(ParameterError, match="fit_sample=3: a whole number of customers >= 5"):
        segment.cluster(features, k=range(2, 6), fit_sample=3)


def test_empty_rfm_scores_are_explained():
    """Most customers bought once: they tie at one percentile rank (mean rank 35.5 of 100:
    score 2 of 5) and the rest rank above 70 % (scores 4 and 5): no one gets F = 1 or 3."""
    counts = [1] * 70 + list(range(2, 32))
    rows = [
        (
            f"o{c}-{k}",
            f"c{c:03d}",
            pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=c + k),
            10.0 + c,
        )
        for c, n in enumerate(counts)
        for k in range(n)
    ]
    orders = pd.DataFrame(rows, columns=["order_id", "customer_id", "ordered_at", "amount"])
    scores = segment.rfm(orders, "2024-12-31")
    assert sorted(scores["f_score"].unique()) == [2, 4, 5]
    assert segment.empty_score_notes(scores) == [
        "No customer has F score 1 or 3: 70% share the same number of orders (1), and tied "
        "customers get one score (2)."
    ]
    steady = orders.groupby("customer_id").head(1)  # one order each, every day a new one
    assert [
        n.split(":")[0] for n in segment.empty_score_notes(segment.rfm(steady, "2024-12-31"))
    ] == ["No customer has F score 1 or 2 or 4 or 5"]


def test_silhouettes_match_scikit_learn_for_every_labeling():
    from sklearn.metrics import silhouette_score

    from crmlab.segment.cluster import silhouettes

    rng = np.random.default_rng(0)
    points = rng.normal(size=(2_500, 3))
    labelings = [rng.integers(0, k, len(points)) for k in (2, 3, 7)]
    labelings.append(np.r_[np.zeros(len(points) - 1, int), 1])  # a cluster of one
    ours = silhouettes(points, labelings, chunk=700)  # blocks that do not divide the rows
    assert ours == pytest.approx(
        [silhouette_score(points, labels) for labels in labelings], abs=1e-9
    )
    assert np.isnan(silhouettes(points, [np.zeros(len(points), int)])[0])
