"""Experiments from a flat per-unit table, metric specs, and the non-parametric checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab import experiment as ex
from crmlab.errors import DataContractError, ParameterError


def _export(n: int = 4000, seed: int = 1) -> pd.DataFrame:
    """An experiment as another tool would export it (its own column names)."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["A", "B"], n)
    before = rng.gamma(2.0, 20.0, n)
    bought = rng.random(n) < np.where(group == "B", 0.25, 0.20)
    spend = np.where(bought, before * 0.5 + rng.gamma(2.0, 15.0, n), 0.0)
    return pd.DataFrame(
        {
            "user": [f"u{i}" for i in range(n)],
            "group": group,
            "purchased": bought,
            "spend": spend,
            "spend_before": before,
        }
    )


MAPPING = {
    "user": "customer_id",
    "group": "variant",
    "purchased": "converted",
    "spend": "revenue",
    "spend_before": "pre_revenue",
}


def test_csv_with_column_mapping_is_analysed_like_crm_units(tmp_path):
    path = tmp_path / "export.csv"
    _export().to_csv(path, index=False)
    units = ex.read_units(path, columns=MAPPING)
    assert list(units.columns) == list(MAPPING.values())
    assert units["converted"].dtype == "float64" and set(units["converted"]) == {0.0, 1.0}
    metrics = ex.standard_metrics(["converted", "mean(revenue, pre_revenue)"])
    result = ex.analyze(units, metrics, control="A").table
    direct = ex.analyze(ex.read_units(_export(), columns=MAPPING), metrics, control="A").table
    pd.testing.assert_frame_equal(result, direct)
    # The planted +5 points of conversion lie inside the interval.
    conv = result.iloc[0]
    assert conv["ci_low"] < 0.05 < conv["ci_high"]
    rho = units["revenue"].corr(units["pre_revenue"])
    assert result.iloc[1]["variance_reduction"] == pytest.approx(rho**2, rel=0.05)


def test_label_columns_stay_text():
    units = ex.read_units(_export(50).assign(device="ios"), columns=MAPPING)
    assert (units["device"] == "ios").all()


def test_parquet_is_read_too(tmp_path):
    path = tmp_path / "export.parquet"
    _export(200).to_parquet(path)
    assert len(ex.read_units(path, columns=MAPPING)) == 200


def test_flat_tables_get_clear_errors(tmp_path):
    with pytest.raises(ParameterError, match="does not exist"):
        ex.read_units(tmp_path / "nope.csv")
    with pytest.raises(ParameterError, match="lacks"):
        ex.read_units(_export(10), columns={"grp": "variant"})
    with pytest.raises(ParameterError, match="map the arm column"):
        ex.read_units(_export(10))
    broken = _export(10).astype({"spend": "object"})
    broken.loc[3, "spend"] = "n/a"
    broken.loc[[1, 2], "user"] = "u0"
    broken.loc[4, "group"] = None
    with pytest.raises(DataContractError) as err:
        ex.read_units(broken, columns=MAPPING)
    report = err.value.report().set_index("column")  # used to raise AttributeError
    assert list(report["table"].unique()) == ["units"]
    assert report.loc["revenue", "n_rows"] == 1 and report.loc["revenue", "examples"] == "n/a"
    assert report.loc["customer_id", "n_rows"] == 3  # u0 three times
    assert report.loc["customer_id", "examples"] == "u0"
    assert report.loc["variant", "rule"] == "every unit needs an arm"
    assert "3 data contract violation(s)" in str(err.value)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataContractError, match="not a readable"):
        ex.read_units(tmp_path / "empty.csv")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(DataContractError, match="not a readable parquet"):
        ex.read_units(tmp_path / "bad.parquet")
    (tmp_path / "x.xlsx").write_text("no")
    with pytest.raises(DataContractError, match="x.xlsx is not a readable xlsx file"):
        ex.read_units(tmp_path / "x.xlsx")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ParameterError, match=r"give a .csv, .parquet or .xlsx file"):
        ex.read_units(tmp_path / "x.json")


def test_missing_outcomes_stay_missing_and_analyze_names_them():
    units = ex.read_units(_export(100).assign(spend=np.nan), columns=MAPPING)
    assert units["revenue"].isna().all()
    with pytest.raises(ParameterError, match="missing values"):
        ex.analyze(units, [ex.Mean("revenue")], control="A")


def test_metric_specs():
    assert ex.standard_metrics(["proportion(bought)", " ratio(a , b) ", "mean(x)"]) == [
        ex.Proportion("bought"),
        ex.Ratio("a", "b"),
        ex.Mean("x"),
    ]
    assert ex.standard_metrics(["mean(spend, before)"]) == [ex.Mean("spend", "before")]
    for bad in ["ratio(a)", "mean()", "median(x)", "proportion(a, b)", "revenue2"]:
        with pytest.raises(ParameterError, match="not understood"):
            ex.standard_metrics([bad])
    with pytest.raises(ParameterError, match="at least one"):
        ex.standard_metrics([])


def test_mann_whitney_reproduces_r_wilcox_test():
    # R ?wilcox.test, two-sample example (permeability constants): W = 35, p-value = 0.1272
    # with alternative = "greater" (exact test).
    x = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
    y = [1.15, 0.88, 0.90, 0.74, 1.21]
    units = pd.DataFrame({"variant": ["t"] * 10 + ["c"] * 5, "y": x + y})
    row = ex.nonparametric(units, "y", control="c", alternative="greater").iloc[0]
    assert row["mann_whitney_u"] == 35
    assert row["mw_p_value"] == pytest.approx(0.1272, abs=5e-5)
    assert row["prob_superiority"] == pytest.approx(35 / 50)
    two_sided = ex.nonparametric(units, "y", control="c").iloc[0]
    assert two_sided["mw_p_value"] == pytest.approx(0.2544, abs=1e-4)


def test_bootstrap_interval_agrees_with_welch_and_is_reproducible():
    rng = np.random.default_rng(3)
    heavy = rng.lognormal(3, 1.2, 6000)  # heavy-tailed spend
    units = pd.DataFrame({"variant": np.repeat(["control", "t"], 3000), "revenue": heavy})
    units.loc[units["variant"] == "t", "revenue"] *= 1.2
    boot = ex.nonparametric(units, "revenue", n_boot=2000, random_state=7)
    again = ex.nonparametric(units, "revenue", n_boot=2000, random_state=7)
    pd.testing.assert_frame_equal(boot, again)
    welch = ex.analyze(units, [ex.Mean("revenue")], unit=None).table.iloc[0]
    row = boot.iloc[0]
    width = welch["ci_high"] - welch["ci_low"]
    assert row["difference"] == pytest.approx(welch["difference"])
    assert abs(row["boot_ci_low"] - welch["ci_low"]) < 0.1 * width
    assert abs(row["boot_ci_high"] - welch["ci_high"]) < 0.1 * width


def test_bootstrap_covers_the_truth_about_95_percent_of_the_time():
    rng = np.random.default_rng(11)
    hits = 0
    for i in range(200):
        values = rng.exponential(10.0, 400)  # true difference 0
        units = pd.DataFrame({"variant": np.repeat(["control", "t"], 200), "y": values})
        row = ex.nonparametric(units, "y", n_boot=400, random_state=i).iloc[0]
        hits += row["boot_ci_low"] <= 0 <= row["boot_ci_high"]
    assert 0.89 <= hits / 200 <= 0.99


def test_nonparametric_errors():
    units = pd.DataFrame({"variant": ["c", "t"], "y": [1.0, np.nan]})
    with pytest.raises(ParameterError, match="missing"):
        ex.nonparametric(units, "y", control="c")
    with pytest.raises(ParameterError, match="not an arm"):
        ex.nonparametric(units.fillna(0), "y")
    with pytest.raises(ParameterError, match="at least 100"):
        ex.nonparametric(units.fillna(0), "y", control="c", n_boot=10)
    with pytest.raises(ParameterError, match="must both be"):
        ex.nonparametric(units, "z", control="c")


def test_default_metrics_are_the_outcome_columns_present():
    units = ex.read_units(_export(400), columns={"group": "variant", "spend_before": "pre_spend"})
    units["account"] = range(1000, 1400)  # distinct whole numbers: an id, not an outcome
    units["segment"] = np.where(units.index % 2, "new", "returning")
    chosen = ex.default_metrics(units, unit="user")
    assert chosen == [ex.Proportion("purchased"), ex.Mean("spend", covariate="pre_spend")]
    renamed = units.rename(columns={"purchased": "bought", "spend": "converted"})
    renamed["converted"] = (renamed["converted"] > 0).astype(int)
    assert [m.name for m in ex.default_metrics(renamed, unit="user")] == ["converted", "bought"]
    with pytest.raises(ParameterError, match="no numeric outcome column"):
        ex.default_metrics(units[["variant", "segment"]])


def test_segments_by_a_column_of_a_table_without_customer_ids():
    units = ex.read_units(
        _export(4000),
        columns={"group": "variant", "group_": "x"} if False else {"group": "variant"},
    )
    units = units.drop(columns="user").assign(device=np.where(units.index % 3, "app", "web"))
    units.loc[5, "device"] = None
    metric = [ex.Proportion("purchased")]
    table = ex.by_segment(units, "device", metric, control="A", min_cell_size=50)
    assert set(table["segment"]) == {"app", "web", "unknown"}
    web = table.set_index("segment").loc["web"]
    direct = ex.analyze(units[units["device"] == "web"], metric, control="A", unit=None).table.iloc[
        0
    ]
    assert web["difference"] == pytest.approx(direct["difference"])
    with pytest.raises(ParameterError, match="segment column 'country' is not in the units"):
        ex.by_segment(units, "country", metric, control="A")
    by_id = pd.Series("all", index=[f"u{i}" for i in range(4000)])
    with pytest.raises(ParameterError, match="no 'customer_id' column to look segments up by"):
        ex.by_segment(units, by_id, metric, control="A")


def _three_arms(n: int = 30_000, rates=(0.030, 0.033, 0.040), seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = rng.choice(["control", "A", "B"], n)
    rate = np.select([arm == "control", arm == "A"], rates[:2], rates[2])
    return pd.DataFrame({"variant": arm, "bought": (rng.random(n) < rate).astype(int)})


def test_with_several_arms_the_verdict_ships_only_the_best_and_compares_it_head_to_head():
    units = _three_arms()
    metric = ex.Proportion("bought")
    readout = ex.analyze(units, [metric], unit=None)
    rows = readout.table.set_index("arm")
    said = ex.verdict(readout, metric, units)
    assert said.count("Ship ") == 1 and said.startswith("Ship B: bought ")
    b = rows.loc["B"]
    assert f"{b['treatment_value']:.2%} vs {b['control_value']:.2%} for control" in said
    assert f"({100 * b['difference']:+.2f} pt," in said
    pair = ex.analyze(units[units["variant"] != "control"], [metric], control="A", unit=None)
    head = pair.table.iloc[0]
    assert f"Head to head, B: bought {head['treatment_value']:.2%} vs " in said
    assert f"p = {head['p_value']:.3g}" in said
    better = "B is better than A." if head["significant"] else "cannot tell B and A apart."
    assert said.endswith(better)
    a = rows.loc["A"]
    expected_a = "A also beats control" if a["significant"] else "Inconclusive for A"
    assert expected_a in said
    # two arms that do the same: neither is shipped twice, the head-to-head says so
    same = _three_arms(rates=(0.03, 0.045, 0.045))
    readout = ex.analyze(same, [metric], unit=None)
    said = ex.verdict(readout, metric, same)
    assert said.count("Ship ") == 1 and "also beats control" in said
    assert said.endswith("apart.")
