"""Churn from a one-row-per-subscriber export: label spellings, typing, and what is kept out."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmlab import churn, features
from crmlab.data import read_flat
from crmlab.errors import DataContractError, ParameterError

EXAMPLE = Path(__file__).parent.parent / "examples" / "subscribers" / "subscribers.csv.gz"


def _table(n: int = 200, seed: int = 0, **extra) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    calls = rng.poisson(2, n)
    churned = rng.random(n) < np.where(calls > 2, 0.5, 0.15)
    churned[:10], churned[10:20] = True, False  # both classes, whatever the seed
    frame = pd.DataFrame(
        {
            "calls": calls,
            "plan": rng.choice(["basic", "plus", "max"], n),
            "label": np.where(churned, "T", "F"),
        }
    )
    return frame.assign(**extra)


def test_the_example_export_keeps_identifiers_personal_data_dates_and_leaks_out():
    raw = read_flat(EXAMPLE)
    snaps = features.subscriber_snapshots(raw, "Churn", ["T"])
    reasons = dict(snaps.excluded)
    assert set(reasons) == {"Account No", "Phone", "Signup Date", "Churn Reason"}
    assert "identifier" in reasons["Account No"] and "personal" in reasons["Phone"]
    assert "date" in reasons["Signup Date"] and "leak" in reasons["Churn Reason"]
    assert not set(reasons) & set(snaps.features)
    labelled = raw["Churn"].notna()
    assert snaps.unlabelled == int((~labelled).sum()) == 4
    assert len(snaps) == int(labelled.sum())
    assert snaps.table["churned"].sum() == (raw["Churn"] == "T").sum()
    # "Total Charges" is text with a blank for brand-new subscribers: numbers, blanks missing
    assert "Total Charges" in snaps.numeric
    new = (raw.loc[labelled, "Account Length (months)"] == 0).to_numpy()
    assert new.sum() > 0 and snaps.table["Total Charges"].isna().to_numpy().tolist() == new.tolist()
    assert set(snaps.categorical) == {"State", "Contract", "Intl Plan", "VMail Plan"}


def test_the_example_export_trains_a_model_that_finds_the_planted_drivers():
    snaps = features.subscriber_snapshots(read_flat(EXAMPLE), "Churn", ["T"])
    train, test = churn.split(snaps, random_state=0)
    model = churn.fit(train, "logistic", random_state=0)
    auc = churn.evaluate(model, test, n_boot=20).metrics.set_index("scorer").loc["model", "auc"]
    assert auc > 0.7
    top = churn.importance(model, test, random_state=0)["feature"].head(4).tolist()
    assert "CustServ Calls" in top and "Contract" in top


@pytest.mark.parametrize(
    ("churned", "stayed", "churned_values"),
    [
        ("T", "F", None),
        ("True.", "False.", None),
        ("Yes", "No", None),
        (" yes ", "no", None),
        (1, 0, None),
        (1.0, 0.0, None),
        (True, False, None),
        ("Churned", "Active", None),
        ("gone", "here", ["gone"]),  # unusual words: say which means churned
        ("T", "F", ["t", 1]),  # compared as trimmed, case-insensitive text
    ],
)
def test_label_spellings(churned, stayed, churned_values):
    table = _table()
    table["label"] = np.where(table["label"] == "T", churned, stayed).astype(
        type(churned) if not isinstance(churned, str) else object
    )
    snaps = features.subscriber_snapshots(table, "label", churned_values)
    assert snaps.table["churned"].tolist() == (_table()["label"] == "T").astype(int).tolist()


def test_a_constant_label_is_a_clear_error():
    table = _table().assign(label="F")
    with pytest.raises(DataContractError, match=r"one value \(\['F'\]\) in all 200 labelled rows"):
        features.subscriber_snapshots(table, "label")


def test_unknown_label_values_are_named_with_their_rows():
    table = _table()
    table.loc[[3, 7, 9], "label"] = "maybe"
    with pytest.raises(DataContractError) as error:
        features.subscriber_snapshots(table, "label")
    report = error.value.report()
    assert report.loc[0, "column"] == "label" and report.loc[0, "n_rows"] == 3
    assert report.loc[0, "examples"] == "maybe" and "churned_values" in report.loc[0, "rule"]
    # saying what the odd value means resolves it
    snaps = features.subscriber_snapshots(table, "label", ["T"], stayed_values=["F", "maybe"])
    assert len(snaps) == 200


def test_churned_values_that_never_occur_and_too_few_churners():
    with pytest.raises(
        DataContractError, match=r"none of churned_values \{'Y'\}.*\['F', 'T'\]|'T', 'F'"
    ):
        features.subscriber_snapshots(_table(), "label", ["Y"])
    table = _table()
    table["label"] = "F"
    table.loc[:4, "label"] = "T"
    with pytest.raises(DataContractError, match="5 churned and 195 stayed; .* at least 10 of each"):
        features.subscriber_snapshots(table, "label")


def test_ids_must_be_unique_and_present_and_names_must_exist():
    table = _table(id=[f"S{i % 150}" for i in range(200)])
    with pytest.raises(DataContractError) as error:
        features.subscriber_snapshots(table, "label", id_column="id")
    assert error.value.report().loc[0, "n_rows"] == 100
    with pytest.raises(ParameterError, match=r"label names \['churn'\].*'calls'"):
        features.subscriber_snapshots(table, "churn")
    with pytest.raises(ParameterError, match=r"exclude_columns names \['phone'\]"):
        features.subscriber_snapshots(table, "label", exclude_columns=["phone"])
    snaps = features.subscriber_snapshots(table, "label", exclude_columns=["id", "plan"])
    assert snaps.features == ["calls"] and dict(snaps.excluded)["plan"].startswith(
        "excluded by you"
    )
    assert snaps.table["customer_id"].tolist() == [str(i + 1) for i in range(200)]


def test_automatic_exclusions_each_with_its_reason():
    n = 200
    rng = np.random.default_rng(3)
    base = _table(n)
    churned = base["label"] == "T"
    table = base.assign(
        contact=[f"person{i}@example.com" for i in range(n)],
        phone_service=rng.choice([0, 1], n),  # named like a phone, but a yes/no service flag
        note=[f"free text {i}" for i in range(n)],
        city=[f"city{i % 80}" for i in range(n)],
        region="north",
        blank=np.nan,
        cancel_note=np.where(churned, "asked to leave", None),
        retention_offer=np.where(churned, "offer A", "none"),
        joined=pd.date_range("2020-01-01", periods=n, freq="D"),
        flag=rng.random(n) < 0.5,
    )
    snaps = features.subscriber_snapshots(table, "label")
    reasons = dict(snaps.excluded)
    assert "e-mail addresses or phone numbers" in reasons["contact"]
    assert "near-unique text" in reasons["note"]
    assert "80 distinct values: too many for a category" in reasons["city"]
    assert reasons["region"] == "the same value in every row" and reasons["blank"] == "empty"
    assert "filled in for one outcome only" in reasons["cancel_note"]
    assert "every value seen with one outcome only" in reasons["retention_offer"]
    assert "a date" in reasons["joined"]
    assert {"phone_service", "flag", "calls"} <= set(snaps.numeric)
    assert snaps.table["flag"].isin([0.0, 1.0]).all()


def test_read_flat_reads_every_export_kind_and_names_problems(tmp_path):
    table = _table(20)
    table.to_parquet(tmp_path / "t.parquet")
    table.to_excel(tmp_path / "t.xlsx", index=False)
    with gzip.open(tmp_path / "t.tsv.gz", "wt") as f:
        table.to_csv(f, sep="\t", index=False)
    for name, sep in [("t.parquet", ","), ("t.xlsx", ","), ("t.tsv.gz", "\t")]:
        assert read_flat(tmp_path / name, sep=sep)["calls"].tolist() == table["calls"].tolist()
    with pytest.raises(ParameterError, match="subscriber table 'nope.csv' does not exist"):
        read_flat("nope.csv", what="subscriber table")
    (tmp_path / "t.json").write_text("{}")
    with pytest.raises(ParameterError, match="give a .csv, .parquet or .xlsx file"):
        read_flat(tmp_path / "t.json")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(DataContractError, match="bad.parquet is not a readable parquet file"):
        read_flat(tmp_path / "bad.parquet")


def test_report_choices_on_a_subscriber_table():
    snaps = features.subscriber_snapshots(
        _table(amount=np.linspace(10, 30, 200), account=[f"A{i}" for i in range(200)]),
        "label",
        id_column="account",
    )
    assert churn.default_group(snaps) == "plan"
    assert churn.feature_column(snaps, "group_by", "plan") == "plan"
    with pytest.raises(ParameterError, match=r"tenure_column='plan' is not a numeric feature"):
        churn.feature_column(snaps, "tenure_column", "plan", numeric=True)
    with pytest.raises(ParameterError, match=r"it is excluded: subscriber id"):
        churn.feature_column(snaps, "group_by", "account")
    value = churn.subscriber_value(snaps, "amount", 12)
    assert value.loc["A0"] == 120 and value.loc["A199"] == 360
    assert churn.subscriber_value(snaps) is None
    with pytest.raises(ParameterError, match="value_multiplier"):
        churn.subscriber_value(snaps, "amount", 0)
    current = churn.still_subscribed(snaps)
    assert (
        len(current) == (snaps.table["churned"] == 0).sum() and current.excluded == snaps.excluded
    )


def test_consent_column_decides_who_may_be_contacted_and_is_no_feature():
    table = _table(opt_in=["yes", "no", None, "Y"] * 50)
    snaps = features.subscriber_snapshots(table, "label", consent_column="opt_in")
    assert "opt_in" not in snaps.features and "consent" in dict(snaps.excluded)["opt_in"]
    assert snaps.table["consent_marketing"].tolist() == [True, False, False, True] * 50


def test_without_a_value_contacts_are_ranked_by_risk_within_the_budget():
    scores = pd.DataFrame({"customer_id": list("abcde"), "p_churn": [0.2, 0.9, 0.5, 0.7, 0.1]})
    everyone = pd.Series(True, index=list("abcde"))
    contact = churn.targets(
        scores, None, budget=6, cost_per_contact=2, save_rate=0.5, key="k", marketable=everyone
    )
    assert contact.contacted == 3 and contact.cost == 6 and contact.saved_unit == "customers"
    assert contact.table["p_churn"].tolist() == [0.9, 0.7, 0.5]
    assert contact.expected_saved == pytest.approx((0.9 + 0.7 + 0.5) * 0.5)
    assert np.isnan(contact.expected_net) and np.isnan(contact.roi)
