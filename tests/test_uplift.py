"""Uplift targeting: curves by hand, learners on a campaign with planted per-customer
effects (persuadables, sleeping dogs, sure things, lost causes), targeting lists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LinearRegression

from crmlab import uplift
from crmlab.errors import ParameterError


def test_curves_by_hand():
    table = uplift.curves([1, 0, 0, 1], [1, 0, 1, 0], [4, 3, 2, 1])
    assert table["share_targeted"].tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert table["uplift"].tolist() == [0, 0, 0.5, 0.375, 0]
    assert table["qini"].tolist() == [0, 0.25, 0.25, 0.25, 0]


def test_tied_scores_enter_together_whatever_the_row_order():
    y, t = np.array([1, 0, 1, 0, 1, 1]), np.array([1, 1, 0, 0, 1, 0])
    score = np.array([2, 1, 1, 1, 2, 0])
    table = uplift.curves(y, t, score)
    assert table["share_targeted"].tolist() == pytest.approx([0, 2 / 6, 5 / 6, 1])
    order = [5, 3, 1, 4, 2, 0]
    assert uplift.curves(y[order], t[order], score[order]).equals(table)
    flat = uplift.curves(y, t, np.zeros(6))
    assert flat["uplift"].tolist() == pytest.approx([0, 2 / 3 - 2 / 3])


def test_evaluate_measures_the_areas_of_the_curves_it_publishes():
    """evaluate works on arrays (it runs once per bootstrap resample); its AUUC and Qini are
    the areas between ``curves``' columns, and uplift@k the gap among the top k."""
    rng = np.random.default_rng(4)
    t = rng.random(500) < 0.5
    y = (rng.random(500) < 0.2 + 0.1 * t).astype(float)
    score = rng.integers(0, 20, 500).astype(float)  # many ties
    row = uplift.evaluate(y, t, {"s": score}, k=0.3, n_boot=0).iloc[0]
    table = uplift.curves(y, t, score)
    x = table["share_targeted"]
    assert row["auuc"] == np.trapezoid(table["uplift"] - table["random_uplift"], x)
    assert row["qini"] == np.trapezoid(table["qini"] - table["random_qini"], x)
    top = np.argsort(-score, kind="stable")[:150]
    assert row["uplift_at_k"] == y[top][t[top]].mean() - y[top][~t[top]].mean()


@pytest.fixture(scope="module")
def campaign():
    units = uplift.planted_campaign(30_000, random_state=1).units
    train, test = units.iloc[:15_000], units.iloc[15_000:]
    fitted = {
        kind: uplift.fit_uplift(train[uplift.FEATURES], train["treated"], train["converted"],
                                learner=kind, random_state=0)
        for kind in uplift.LEARNERS
    }  # fmt: skip
    return train, test, fitted


def test_the_planted_campaign_has_the_four_kinds_of_customer():
    planted = uplift.planted_campaign(20_000, random_state=0)
    units, truth = planted.units, planted.truth
    assert set(units["segment"]) == {"persuadable", "sleeping dog", "sure thing", "lost cause"}
    assert truth["persuadable"] == pytest.approx(0.20, abs=0.01)
    assert truth["sleeping dog"] < -0.1 and truth["lost cause"] == pytest.approx(0, abs=0.01)
    seen = units.groupby(["segment", "treated"])["converted"].mean().unstack()
    observed = seen[1] - seen[0]
    for kind, effect in truth.items():
        n = (units["segment"] == kind).sum()
        assert abs(observed[kind] - effect) < 4 * np.sqrt(0.5 / n), kind
    assert units["customer_id"].is_unique and set(uplift.FEATURES) <= set(units)


def test_uplift_learners_recover_the_planted_effects(campaign):
    _, test, fitted = campaign
    for kind, model in fitted.items():
        predicted = model.predict(test[uplift.FEATURES])
        # the T-learner subtracts two noisy models: the X and DR learners do better
        assert np.corrcoef(predicted, test["effect"])[0, 1] > (0.6 if kind == "t" else 0.7), kind
        by_kind = pd.Series(predicted).groupby(test["segment"].to_numpy()).mean()
        assert by_kind["sleeping dog"] < 0 < by_kind["persuadable"], kind
        assert by_kind["persuadable"] == pytest.approx(0.20, abs=0.06), kind


def test_uplift_models_target_better_than_response_and_churn_risk(campaign):
    train, test, fitted = campaign
    treated = train[train["treated"] == 1]
    response = HistGradientBoostingClassifier(random_state=0).fit(
        treated[uplift.FEATURES], treated["converted"]
    )
    scores = {kind: model.predict(test[uplift.FEATURES]) for kind, model in fitted.items()}
    scores["response"] = response.predict_proba(test[uplift.FEATURES])[:, 1]
    scores["churn risk"] = test["recency_days"].to_numpy()
    table = uplift.evaluate(test["converted"], test["treated"], scores, n_boot=100).set_index(
        "score"
    )
    for kind in ("x", "dr"):
        assert table.loc[kind, "auuc_low"] > table.loc["response", "auuc_high"]
        assert table.loc[kind, "qini_low"] > table.loc["churn risk", "qini_high"]
        assert table.loc[kind, "uplift_at_k"] > table.loc["response", "uplift_at_k"]
    assert (table["auuc_low"] <= table["auuc"]).all() and (
        table["auuc"] <= table["auuc_high"]
    ).all()
    # the response model ranks sleeping dogs (who buy anyway, and less when contacted)
    # above the persuadables; the uplift models rank them last
    by_kind = pd.DataFrame(scores).groupby(test["segment"].to_numpy()).mean()
    assert by_kind.loc["sleeping dog", "response"] > by_kind.loc["persuadable", "response"]
    assert by_kind.loc["sleeping dog", "dr"] < by_kind.loc["persuadable", "dr"]
    reversed_ = uplift.evaluate(test["converted"], test["treated"], {"worst": -scores["dr"]},
                                n_boot=0)  # fmt: skip
    assert reversed_["auuc"].iloc[0] < 0 and np.isnan(reversed_["auuc_low"].iloc[0])


def test_same_data_and_random_state_give_the_same_model(campaign):
    train, test, fitted = campaign
    again = uplift.fit_uplift(train[uplift.FEATURES], train["treated"], train["converted"],
                              learner="dr", random_state=0)  # fmt: skip
    x = test[uplift.FEATURES]
    assert np.array_equal(again.predict(x), fitted["dr"].predict(x))
    linear = uplift.fit_uplift(train[uplift.FEATURES], train["treated"], train["converted"],
                               learner="t", base=LinearRegression())  # fmt: skip
    assert linear.predict(x).shape == (len(x),)


def test_profit_curves_and_the_targeting_list(campaign):
    _, test, fitted = campaign
    value = test["value"].to_numpy()
    scores = {"dr": fitted["dr"].predict(test[uplift.FEATURES]), "churn risk": test["recency_days"]}
    curves = uplift.profit_curves(test["converted"] * value, test["treated"], scores, cost=1.0)
    everyone = curves[curves["share_targeted"] == 1]
    assert np.ptp(everyone["profit"]) < 1e-9  # treating all: one number whatever the order
    best = curves.groupby("score")["profit"].max()
    assert best["dr"] > best["churn risk"] > 0
    ids = test["customer_id"]
    predicted = pd.Series(scores["dr"], index=ids.to_numpy())
    consent = pd.Series(np.arange(len(ids)) % 4 != 0, index=ids.to_numpy())
    listed = uplift.targeting_list(predicted, pd.Series(value, index=ids.to_numpy()), 1.0,
                                   consent, key="k")  # fmt: skip
    table = listed.table
    assert (table["uplift"] > 0).all() and (table["expected_gain"] > 0).all()
    assert table["expected_gain"].is_monotonic_decreasing
    assert "customer_id" not in table and not table["customer_key"].isin(ids).any()
    worth = (predicted * pd.Series(value, index=ids.to_numpy()) - 1.0) > 0
    assert listed.candidates == worth.sum() and listed.left_out == (worth & ~consent).sum()
    with pytest.raises(ParameterError, match="value has no entry"):
        uplift.targeting_list(predicted, pd.Series(1.0, index=ids[:10].to_numpy()), 1.0,
                              consent, key="k")  # fmt: skip
    with pytest.raises(ParameterError, match="cost"):
        uplift.expected_gain(predicted, 1.0, cost=-1)


def test_bad_input_is_refused():
    x = pd.DataFrame({"a": np.arange(100.0)})
    with pytest.raises(ParameterError, match="learner"):
        uplift.fit_uplift(x, np.arange(100) % 2, np.ones(100), learner="s")
    with pytest.raises(ParameterError, match="0/1"):
        uplift.fit_uplift(x, np.arange(100) % 3, np.ones(100))
    with pytest.raises(ParameterError, match="at least 20"):
        uplift.fit_uplift(x, (np.arange(100) < 10).astype(int), np.ones(100))
    with pytest.raises(ParameterError, match="one row per unit"):
        uplift.fit_uplift(x, np.arange(99) % 2, np.ones(100))
    with pytest.raises(ParameterError, match="missing"):
        uplift.fit_uplift(x, np.arange(100) % 2, np.r_[np.nan, np.ones(99)])
    with pytest.raises(ParameterError, match=r"features must be numbers; not \['channel'\]"):
        uplift.fit_uplift(x.assign(channel="web"), np.arange(100) % 2, np.ones(100))
    model = uplift.fit_uplift(x, np.arange(100) % 2, np.ones(100), learner="t")
    with pytest.raises(ParameterError, match="lack the column"):
        model.predict(pd.DataFrame({"b": [1.0]}))
    with pytest.raises(ParameterError, match="fit the learner"):
        uplift.UpliftLearner("t").predict(x)
    with pytest.raises(ParameterError, match="both arms"):
        uplift.curves([1, 0], [1, 1], [1, 2])
    with pytest.raises(ParameterError, match="k="):
        uplift.evaluate([1, 0], [1, 0], {"s": [1, 2]}, k=0)


def test_matches_causalml_when_it_is_installed(campaign):
    """causalml (heavy, not a dependency) computes the same uplift curve."""
    metrics = pytest.importorskip("causalml.metrics")
    _, test, fitted = campaign
    score = fitted["dr"].predict(test[uplift.FEATURES])
    frame = pd.DataFrame({"y": test["converted"].to_numpy(), "w": test["treated"].to_numpy(),
                          "dr": score})  # fmt: skip
    theirs = metrics.get_cumgain(frame, outcome_col="y", treatment_col="w", normalize=False)
    ours = uplift.curves(frame["y"], frame["w"], score)  # continuous scores: no ties
    assert len(ours) == len(frame) + 1
    later = slice(len(frame) // 10, None)  # past the first rows, where an arm may be empty
    expected = theirs["dr"].to_numpy()[-len(ours) :][later] / len(frame)
    assert np.allclose(ours["uplift"].to_numpy()[later], expected, atol=1e-9)


def test_compare_targeting_judges_every_rule_on_held_out_units():
    units = uplift.planted_campaign(12_000, random_state=4).units
    study = uplift.compare_targeting(
        units[uplift.FEATURES], units["treated"], units["converted"],
        value_outcome=units["converted"] * units["value"], cost=1.0, learners=("x", "dr"),
        rank_by={"churn risk": "recency_days"}, n_boot=50,
    )  # fmt: skip
    rules = set(study.evaluation["rule"])
    assert rules == {"uplift (X-learner)", "uplift (DR-learner)", "response model", "churn risk"}
    assert study.best in ("x", "dr") and set(study.models) == {"x", "dr"}
    held = study.scores
    assert 0.45 < len(held) / len(units) < 0.55 and held.index.is_unique
    assert np.array_equal(held["treated"], units["treated"].to_numpy()[held.index])
    assert set(study.curves["rule"]) == rules and set(study.profit["rule"]) == rules
    top = study.evaluation.iloc[0]["rule"]
    assert top.startswith("uplift (")
    again = uplift.compare_targeting(units[uplift.FEATURES], units["treated"], units["converted"],
                                     learners=("x",), n_boot=0)  # fmt: skip
    assert again.profit is None and again.best == "x"
    with pytest.raises(ParameterError, match="held_out"):
        uplift.compare_targeting(units[uplift.FEATURES], units["treated"], units["converted"],
                                 held_out=0.95)  # fmt: skip
    with pytest.raises(ParameterError, match="rank_by"):
        uplift.compare_targeting(units[uplift.FEATURES], units["treated"], units["converted"],
                                 rank_by={"risk": "churn_score"})  # fmt: skip


def test_unit_features_use_only_what_was_known(world):
    as_of = pd.Timestamp("2024-01-01", tz="UTC")
    ids = list(world.customers["customer_id"].iloc[::7])
    table = uplift.unit_features(world, ids, as_of)
    assert list(table.index) == ids and list(table.columns) == uplift.UNIT_FEATURES
    orders = world.orders
    before = orders[(orders["ordered_at"] < as_of) & (orders["status"] == "completed")]  # purchases
    counts = before.groupby("customer_id").size().reindex(ids, fill_value=0)
    assert table["n_orders"].tolist() == counts.astype(float).tolist()
    never = table[table["n_orders"] == 0]
    assert len(never) and (never["revenue"] == 0).all()
    assert (never["recency_days"] == never["tenure_days"]).all()  # days since first seen
    with pytest.raises(ParameterError, match="not in the customers table"):
        uplift.unit_features(world, ["nobody"], as_of)
