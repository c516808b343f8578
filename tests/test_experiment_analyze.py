"""Experiment units from CRM tables, and the multi-metric read-out."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

from crmlab import experiment as ex
from crmlab.data import CRMData
from crmlab.errors import ParameterError
from crmlab.features import experiment_units

METRICS = [
    ex.Proportion("converted"),
    ex.Mean("revenue", covariate="pre_revenue", label="revenue"),
    ex.Ratio("n_orders", "sessions"),
]


@pytest.fixture(scope="module")
def world(sample_size_world):
    return sample_size_world


@pytest.fixture(scope="module")
def cmp01(world):
    """CMP01's units, built once (tests take a copy)."""
    return experiment_units(world, "CMP01")


def test_units_measure_the_window_and_the_pre_period(world, cmp01):
    units = cmp01.copy()
    a = world.assignments[world.assignments["campaign_id"] == "CMP01"]
    assert len(units) == len(a) and units["customer_id"].is_unique
    one = units[units["n_orders"] > 0].iloc[0]
    orders = world.orders[
        (world.orders["customer_id"] == one["customer_id"])
        & (world.orders["status"] == "completed")
    ]
    days = (orders["ordered_at"] - one["assigned_at"]) / pd.Timedelta(days=1)
    inside = orders[(days > 0) & (days <= 14)]
    assert one["n_orders"] == len(inside)
    assert one["revenue"] == pytest.approx(inside["amount"].sum())
    before = orders[(days <= 0) & (days > -90)]
    assert one["pre_revenue"] == pytest.approx(before["amount"].sum())
    assert set(units["converted"]) <= {0, 1}


def test_planted_effects_are_inside_the_intervals(world, cmp01):
    truth = world.truth.params["campaigns"]["CMP01"]
    readout = ex.analyze(cmp01.copy(), METRICS)
    table = readout.table.set_index("metric")
    conv, rev = table.loc["converted"], table.loc["revenue"]
    assert conv["ci_low"] < truth["true_conversion_effect"] < conv["ci_high"]
    assert rev["ci_low"] < truth["true_revenue_effect"] < rev["ci_high"]
    assert conv["significant"]
    assert rev["variance_reduction"] > 0  # CUPED made revenue more precise
    assert readout.srm.mismatch is False and readout.table.attrs == {}


def test_a_campaign_read_out_without_the_units_equals_the_read_out_of_the_units(world):
    """analyze_campaign sums the units where they are built; the numbers must be those of
    analyze on experiment_units (to the last bit: both sum exactly), fixed-horizon and
    always valid."""
    args = {"window_days": 10, "pre_days": 60}
    metrics = [*METRICS, ex.Mean("n_orders", covariate="pre_orders")]
    units = experiment_units(world, "CMP01", **args)
    for sequential in (False, True):
        direct = ex.analyze_campaign(world, "CMP01", metrics, sequential=sequential, **args)
        via_units = ex.analyze(units, metrics, sequential=sequential)
        pd.testing.assert_frame_equal(direct.table, via_units.table)
        assert direct.srm == via_units.srm and direct.tuning == via_units.tuning


def test_a_campaign_read_out_reads_parquet_files_where_they_are(world, tmp_path):
    """Orders and assignments as Parquet paths (a large campaign's usual home): the same
    read-out as from the frames, with the touchpoints' sessions absent (0)."""
    world.orders.to_parquet(tmp_path / "orders.parquet")
    world.assignments.to_parquet(tmp_path / "assignments.parquet")
    files = CRMData(
        orders=str(tmp_path / "orders.parquet"),
        assignments=str(tmp_path / "assignments.parquet"),
    )
    metrics = METRICS[:2]
    from_files = ex.analyze_campaign(files, "CMP01", metrics)
    from_frames = ex.analyze_campaign(world.replace(touchpoints=None), "CMP01", metrics)
    pd.testing.assert_frame_equal(from_files.table, from_frames.table)


def test_a_campaign_read_out_names_what_it_cannot_read(world):
    with pytest.raises(ParameterError, match="not experiment-unit columns.*pre_revenue"):
        ex.analyze_campaign(world, "CMP01", [ex.Mean("spend")])
    with pytest.raises(ParameterError, match="campaign_id='NOPE' is unknown"):
        ex.analyze_campaign(world, "NOPE", METRICS)
    with pytest.raises(ParameterError, match="no assignments table"):
        ex.analyze_campaign(world.replace(assignments=None), "CMP01", METRICS)
    with pytest.raises(ParameterError, match="control='holdout' is not an arm"):
        ex.analyze_campaign(world, "CMP01", METRICS, control="holdout")
    with pytest.raises(ParameterError, match="memory_limit='lots': give a size such as '1GB'"):
        ex.analyze_campaign(world, "CMP01", METRICS, memory_limit="lots")


def test_planted_srm_is_flagged_loudly(world):
    with pytest.warns(UserWarning, match="sample-ratio mismatch"):
        readout = ex.analyze(experiment_units(world, "CMP03"), METRICS[:1])
    assert readout.srm.mismatch


def test_cuped_variance_reduction_matches_the_correlation():
    rng = np.random.default_rng(1)
    n = 20_000
    pre = rng.normal(10, 2, n)
    y = pre + rng.normal(0, 2, n)  # corr(pre, y)^2 = 0.5
    units = pd.DataFrame(
        {"variant": np.where(np.arange(n) % 2, "treatment", "control"), "y": y, "pre": pre}
    )
    plain = ex.analyze(units, [ex.Mean("y")], unit=None).table.iloc[0]
    cuped = ex.analyze(units, [ex.Mean("y", covariate="pre")], unit=None).table.iloc[0]
    assert cuped["variance_reduction"] == pytest.approx(0.5, abs=0.03)
    width = lambda r: r["ci_high"] - r["ci_low"]  # noqa: E731
    assert width(cuped) == pytest.approx(width(plain) * np.sqrt(0.5), rel=0.05)


def test_ratio_with_unit_denominator_is_the_mean():
    rng = np.random.default_rng(2)
    units = pd.DataFrame(
        {"variant": ["control"] * 500 + ["treatment"] * 500, "x": rng.poisson(3, 1000), "one": 1}
    )
    ratio = ex.analyze(units, [ex.Ratio("x", "one")], unit=None).table.iloc[0]
    mean = ex.analyze(units, [ex.Mean("x")], unit=None).table.iloc[0]
    assert ratio["difference"] == pytest.approx(mean["difference"])
    assert ratio["ci_high"] - ratio["ci_low"] == pytest.approx(
        mean["ci_high"] - mean["ci_low"], rel=0.01
    )


def test_multi_arm_and_correction():
    rng = np.random.default_rng(3)
    units = pd.DataFrame(
        {"variant": rng.choice(["control", "a", "b"], 3000), "converted": rng.random(3000) < 0.1}
    )
    table = ex.analyze(units, [ex.Proportion("converted")], correction="holm", unit=None).table
    assert sorted(table["arm"]) == ["a", "b"]
    assert (table["p_adjusted"] >= table["p_value"]).all()


def test_bad_experiments_get_clear_errors():
    units = pd.DataFrame(
        {
            "customer_id": ["1", "2", "3", "4"],
            "variant": ["control", "control", "treatment", "treatment"],
            "converted": [0, 1, 0, 1],
            "revenue": [1.0, 2.0, np.nan, 3.0],
        }
    )
    with pytest.raises(ParameterError, match="control='ctrl' is not an arm"):
        ex.analyze(units, [ex.Proportion("converted")], control="ctrl")
    with pytest.raises(ParameterError, match="only one arm"):
        ex.analyze(units[units["variant"] == "control"], [ex.Proportion("converted")])
    with pytest.raises(ParameterError, match="missing values"):
        ex.analyze(units, [ex.Mean("revenue")])
    twice = units.assign(customer_id=["1", "2", "1", "4"])
    with pytest.raises(ParameterError, match="more than once"):
        ex.analyze(twice, [ex.Proportion("converted")])
    with pytest.raises(ParameterError, match="constant"):
        ex.analyze(units.assign(revenue=5.0), [ex.Mean("revenue")])
    with pytest.raises(ParameterError, match="not in the units"):
        ex.analyze(units, [ex.Proportion("clicked")])


def test_unknown_campaign(world):
    with pytest.raises(ParameterError, match="campaign_id='NOPE' is unknown"):
        experiment_units(world, "NOPE")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        experiment_units(world, "CMP02")  # no warnings on a valid call


def test_roi_follows_from_the_revenue_difference(world, cmp01):
    units = cmp01.copy()
    campaign = world.campaigns.set_index("campaign_id").loc["CMP01"]
    table = ex.roi(units, campaign["cost_per_contact"], campaign["fixed_cost"]).set_index(
        "quantity"
    )
    diff = ex.analyze(units, [ex.Mean("revenue")]).table.iloc[0]
    n = table.loc["treated units", "estimate"]
    cost = campaign["cost_per_contact"] * n + campaign["fixed_cost"]
    assert table.loc["campaign cost", "estimate"] == pytest.approx(cost)
    roi = table.loc["ROI (net return per unit of cost)"]
    assert roi["estimate"] == pytest.approx((diff["difference"] * n - cost) / cost)
    assert roi["ci_low"] == pytest.approx((diff["ci_low"] * n - cost) / cost)
    assert table.loc["break-even value per treated unit", "estimate"] == pytest.approx(cost / n)
    with pytest.raises(ParameterError, match="cost nothing"):
        ex.roi(units, 0.0, 0.0)


def test_planted_segment_difference_is_found(world):
    units = experiment_units(world, "CMP02")
    channel = world.customers.set_index("customer_id")["signup_channel"]
    app = channel.map(lambda c: "app" if c == "app" else "other")
    table = ex.by_segment(units, app, [ex.Proportion("converted")], min_cell_size=100)
    lift = table.set_index("segment")["difference"]
    assert lift["app"] > lift["other"] + 0.04  # planted: +12 points for app, +2 otherwise
    assert table.set_index("segment").loc["app", "significant"]
    mixed = app.copy()
    mixed[mixed.index.str.endswith("77")] = "rare"  # about 1% of customers
    with_small = ex.by_segment(units, mixed, [ex.Proportion("converted")], min_cell_size=200)
    assert with_small.set_index("segment").loc["rare", "too_small"]  # listed, not dropped
    none = ex.by_segment(units, app, [ex.Proportion("converted")], min_cell_size=10**6)
    assert none["too_small"].all() and set(none["segment"]) == {"app", "other"}


def test_readout_pieces(world, cmp01):
    units = cmp01.copy()
    metrics = ex.standard_metrics(["converted", "revenue"])
    assert metrics[1].covariate == "pre_revenue"
    with pytest.raises(ParameterError, match="not understood"):
        ex.standard_metrics(["clicks"])
    readout = ex.analyze(units, metrics)
    table = readout.table
    said, row = ex.verdict(readout, "converted"), table.iloc[0]
    shares = f"{row['treatment_value']:.2%} vs {row['control_value']:.2%} for control"
    assert said.startswith(f"Ship treatment: converted {shares}")
    assert f"({100 * row['difference']:+.2f} pt, 95% CI {100 * row['ci_low']:+.2f} to" in said
    means = ex.verdict(readout, "revenue")
    assert f"({table.iloc[1]['relative_lift']:+.1%}, 95% CI" in means
    flat = dataclasses.replace(readout, table=table.assign(significant=False))
    assert ex.verdict(flat, "converted").startswith("Inconclusive for treatment")
    worse = dataclasses.replace(readout, table=table.assign(difference=-table["difference"]))
    assert ex.verdict(worse, "converted").startswith("Don't ship treatment")
    with pytest.warns(UserWarning):
        broken = ex.analyze(experiment_units(world, "CMP03"), metrics)
    assert ex.verdict(broken, "converted").startswith("Do not decide")
    balance = ex.balance(units, ["pre_revenue", "pre_orders"])
    assert balance["balanced"].all()  # randomized: pre-period alike
    curve = ex.cumulative_conversion(units, 14)
    last = curve[curve["day"] == 14].set_index("arm")["converted_share"]
    observed = units.groupby("variant")["converted"].mean()
    assert last.to_dict() == pytest.approx(observed.to_dict())
    assert curve.groupby("arm")["converted_share"].apply(lambda s: s.is_monotonic_increasing).all()


def test_alpha_other_than_005_is_honoured_everywhere(world, cmp01):
    """Intervals and the words next to them follow alpha (a 90% read-out says 90%)."""
    units = cmp01.copy()
    metrics = ex.standard_metrics(["converted"])
    wide, narrow = ex.analyze(units, metrics), ex.analyze(units, metrics, alpha=0.10)
    w, n = wide.table.iloc[0], narrow.table.iloc[0]
    assert n["ci_high"] - n["ci_low"] == pytest.approx(
        (w["ci_high"] - w["ci_low"]) * 1.644854 / 1.959964, rel=1e-4
    )
    assert " pt, 90% CI " in ex.verdict(narrow, "converted")
    with pytest.raises(ParameterError, match="alpha"):
        ex.analyze(units, metrics, alpha=5)


def test_metrics_can_be_named_and_plain_and_cuped_means_do_not_collide(world, cmp01):
    units = cmp01.copy()
    both = [ex.Mean("revenue"), ex.Mean("revenue", covariate="pre_revenue")]
    names = ex.analyze(units, both).table["metric"].tolist()
    assert names == ["revenue", "revenue (CUPED on pre_revenue)"]
    named = ex.analyze(units, [ex.Proportion("converted", label="bought in 14 days")])
    assert named.table["metric"].tolist() == ["bought in 14 days"]
    with pytest.raises(ParameterError, match="used twice"):
        ex.analyze(units, [ex.Mean("revenue"), ex.Mean("revenue")])


def test_fractional_windows_are_honoured_not_truncated():
    """window_days=1.5 used to be cut to 1 day by int(); an order 30 hours after assignment
    is inside a 1.5-day window and outside a 1-day one."""
    from crmlab.data import CRMData, validate

    at = pd.Timestamp("2024-03-01 12:00", tz="UTC")
    data = validate(
        CRMData(
            customers=pd.DataFrame(
                {"customer_id": ["a", "b"], "first_seen_at": [at - pd.Timedelta(days=9)] * 2}
            ),
            orders=pd.DataFrame(
                {
                    "order_id": ["o1"],
                    "customer_id": ["a"],
                    "ordered_at": [at + pd.Timedelta(hours=30)],
                    "amount": [10.0],
                }
            ),
            campaigns=pd.DataFrame(
                {
                    "campaign_id": ["C"],
                    "name": ["c"],
                    "channel": ["email"],
                    "start_at": [at],
                    "end_at": [at + pd.Timedelta(days=5)],
                }
            ),
            assignments=pd.DataFrame(
                {
                    "campaign_id": "C",
                    "customer_id": ["a", "b"],
                    "variant": ["treatment", "control"],
                    "assigned_at": [at, at],
                }
            ),
            as_of=at + pd.Timedelta(days=10),
        )
    )
    one_day = experiment_units(data, "C", window_days=1).set_index("customer_id")
    day_and_half = experiment_units(data, "C", window_days=1.5).set_index("customer_id")
    assert one_day.loc["a", "n_orders"] == 0 and day_and_half.loc["a", "n_orders"] == 1
    assert day_and_half.loc["a", "days_to_first_order"] == pytest.approx(1.25)
    with pytest.raises(ParameterError, match="window_days"):
        experiment_units(data, "C", window_days="14")
