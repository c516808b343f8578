"""The synthetic world: deterministic, contract-valid, and its planted truth is recoverable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from scipy import stats

from crmlab.data import generate
from crmlab.data.synth import WorldParams
from crmlab.errors import ParameterError
from crmlab.features import customer_summary


@pytest.fixture(scope="module")
def big_world(sample_size_world):
    return sample_size_world


def test_same_seed_same_world_other_seed_other_world():
    a, b, c = (
        generate(300, random_state=5),
        generate(300, random_state=5),
        generate(300, random_state=6),
    )
    for name, frame in a.tables().items():
        pd.testing.assert_frame_equal(frame, b.tables()[name])
    assert not a.orders["amount"].equals(c.orders["amount"])
    assert a.truth.params["campaigns"] == b.truth.params["campaigns"]


def test_world_has_every_table_and_keeps_the_contract(world):
    assert set(world.tables()) == {
        "customers",
        "orders",
        "products",
        "order_lines",
        "loyalty_events",
        "memberships",
        "touchpoints",
        "campaigns",
        "assignments",
        "tickets",
        "surveys",
    }
    assert world.as_of == pd.Timestamp("2024-12-31", tz="UTC")
    assert (world.orders["ordered_at"] <= world.as_of).all()
    assert set(world.orders["channel"]) == {"web", "app", "store", "phone"}
    refunds = world.orders[world.orders["status"] == "refunded"]
    assert len(refunds) > 0 and (refunds["amount"] < 0).all()


def test_planted_bgnbd_and_gamma_gamma_parameters_are_recovered():
    """Without seasonality, lifetimes' fitters recover what was planted (within 15%)."""
    truth = WorldParams(seasonality=0.0, duplicate_share=0.0)
    world = generate(8_000, random_state=3, params=truth)
    summary = customer_summary(world, world.as_of, time_unit="W").table
    bg = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    for name in ("r", "alpha", "a", "b"):
        assert bg.params_[name] == pytest.approx(getattr(truth, name), rel=0.15), name
    repeat = summary[summary["frequency"] > 0]
    gg = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    assert gg.params_["p"] == pytest.approx(truth.p, rel=0.15)
    assert gg.params_["q"] == pytest.approx(truth.q, rel=0.15)
    assert gg.params_["v"] == pytest.approx(truth.gamma, rel=0.15)


def test_customers_who_drop_out_complain_more_and_score_lower(big_world):
    truth = big_world.truth.tables["customers"].set_index("customer_id")
    dropout = truth["dropout_at"]
    surveys = big_world.surveys[big_world.surveys["customer_id"].isin(truth.index)]
    gap = dropout.reindex(surveys["customer_id"]).to_numpy() - surveys["answered_at"].to_numpy()
    near = (gap >= pd.Timedelta(0)) & (gap <= pd.Timedelta(days=45))
    assert surveys["nps"][near].mean() < surveys["nps"][~near].mean() - 2
    tickets = big_world.tickets.groupby("customer_id").size()
    churned = truth.index[dropout.notna()]
    stayed = truth.index[dropout.isna()]
    assert (
        tickets.reindex(churned, fill_value=0).mean()
        > 2 * tickets.reindex(stayed, fill_value=0).mean()
    )


def _conversion(world, campaign: str) -> pd.DataFrame:
    """Per assigned customer: variant and whether they bought within the window."""
    a = world.assignments[world.assignments["campaign_id"] == campaign]
    o = world.orders[world.orders["status"] == "completed"].merge(a, on="customer_id")
    days = (o["ordered_at"] - o["assigned_at"]) / pd.Timedelta(days=1)
    buyers = set(o.loc[(days > 0) & (days <= 14), "customer_id"])
    return a.assign(converted=a["customer_id"].isin(buyers))


def test_campaign_effects_match_the_recorded_truth(big_world):
    for campaign in ("CMP01", "CMP02"):
        units = _conversion(big_world, campaign)
        rate = units.groupby("variant")["converted"].mean()
        n = units.groupby("variant").size()
        observed = rate["treatment"] - rate["control"]
        se = np.sqrt((rate * (1 - rate) / n).sum())
        true = big_world.truth.params["campaigns"][campaign]["true_conversion_effect"]
        assert abs(observed - true) < 4 * se, (campaign, observed, true, se)
        assert observed > 2 * se  # the planted effect is detectable


def test_one_campaign_has_a_sample_ratio_mismatch_and_the_others_do_not(big_world):
    counts = big_world.assignments.groupby(["campaign_id", "variant"]).size().unstack()
    p = {c: stats.chisquare(counts.loc[c]).pvalue for c in counts.index}
    assert p["CMP03"] < 0.001
    assert p["CMP01"] > 0.001 and p["CMP02"] > 0.001
    assert big_world.truth.params["campaigns"]["CMP03"]["lost_control_share"] > 0


def test_one_campaign_works_differently_by_segment(big_world):
    units = _conversion(big_world, "CMP02").merge(
        big_world.customers[["customer_id", "signup_channel"]], on="customer_id"
    )
    units["app"] = units["signup_channel"] == "app"
    lift = units.groupby(["app", "variant"])["converted"].mean().unstack()
    lift = lift["treatment"] - lift["control"]
    assert lift[True] > lift[False] + 0.04
    assert big_world.truth.params["campaigns"]["CMP02"]["heterogeneous_by"] == "signup_channel"


def test_duplicate_people_are_planted_with_variant_spellings(world):
    dups = world.truth.tables["duplicates"]
    assert len(dups) == round(0.03 * 2_000)
    customers = world.customers.set_index("customer_id")
    assert set(dups["customer_id"]) <= set(customers.index)
    original = customers.loc[dups["original_customer_id"]]
    copy = customers.loc[dups["customer_id"]]
    assert (original["name"].to_numpy() != copy["name"].to_numpy()).all()
    assert (original["phone"].to_numpy() != copy["phone"].to_numpy()).mean() > 0.9
    assert world.orders["customer_id"].isin(dups["customer_id"]).any()


def test_duplicates_carry_real_world_mistakes_recorded_in_the_truth(world):
    errors = world.truth.tables["identity_errors"]
    dups = world.truth.tables["duplicates"]
    customers = world.customers.set_index("customer_id")
    on_duplicates = errors[errors["error"] != "family_phone"]
    assert on_duplicates["customer_id"].isin(dups["customer_id"]).all()
    share = on_duplicates["customer_id"].nunique() / len(dups)
    assert 0.25 < share < 0.75  # share 0.6 of 60 duplicates; some errors cannot apply
    original = customers.loc[dups.set_index("customer_id")["original_customer_id"]]
    copy = customers.loc[dups["customer_id"]].set_axis(original.index)
    missing = on_duplicates.loc[on_duplicates["error"] == "email_missing", "customer_id"]
    assert customers.loc[missing, "email"].isna().all()
    moved = on_duplicates.loc[on_duplicates["error"].str.startswith("birth"), "customer_id"]
    changed = original["birth_date"] != copy["birth_date"]
    assert changed.sum() == len(moved) and len(moved) > 0
    family = errors.loc[errors["error"] == "family_phone", "customer_id"]
    shared = customers["phone"].duplicated(keep=False)
    assert len(family) > 0 and shared[family].all()  # each gave a household's number


def test_typos_are_one_keystroke():
    from crmlab.data.identity.agreement import typing_distance
    from crmlab.data.synth_identity import typo
    from crmlab.randomness import generator

    rng = generator(0)
    for word in ["katarzyna", "oscar", "07403871594", "sofia.martin251"]:
        for _ in range(50):
            assert typing_distance(word, typo(rng, word)) == 1


def test_personal_data_and_consent_columns_exist(world):
    c = world.customers
    emails = c["email"].dropna()  # planted errors leave some duplicates without one
    assert emails.str.contains("@").all() and len(emails) > 0.99 * len(c)
    assert c["phone"].notna().mean() > 0.99 and c["name"].notna().all()
    assert 0.7 < c["consent_marketing"].mean() < 0.9
    assert c["deletion_requested"].dtype == "boolean"


def test_bad_parameters():
    with pytest.raises(ParameterError, match="n_customers"):
        generate(3)
    with pytest.raises(ParameterError, match="90 days"):
        generate(100, start="2024-01-01", end="2024-02-01")


def test_the_win_back_campaign_changes_each_kind_of_customer_as_planted(big_world):
    """CMP04: persuadables come back, sleeping dogs buy less, lost causes do not move; the
    per-customer truth (both potential outcomes) agrees with what the arms show."""
    truth = big_world.truth.tables["uplift"].set_index("customer_id")
    units = _conversion(big_world, "CMP04").join(truth, on="customer_id")
    assert units["kind"].notna().all() and len(truth) == len(units)
    rates = units.groupby(["kind", "variant"])["converted"].mean().unstack()
    sizes = units.groupby(["kind", "variant"]).size().unstack()
    observed = rates["treatment"] - rates["control"]
    se = np.sqrt((rates * (1 - rates) / sizes).sum(axis=1))
    planted = big_world.truth.params["campaigns"]["CMP04"]["effect_by_kind"]
    assert planted["persuadable"] > 0.15 and planted["sleeping dog"] < -0.05
    assert planted["lost cause"] == 0
    for kind, effect in planted.items():
        assert abs(observed[kind] - effect) < 4 * se[kind] + 0.01, (kind, observed[kind], effect)
    recent = units[units["kind"] == "sleeping dog"]
    assert (recent["recency_days"] < 30).all() and (recent["n_orders"] >= 4).all()
