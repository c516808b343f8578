"""CDNOW as shipped by lifetimes, read through importlib.resources."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmlab.data import load
from crmlab.datasets import cdnow, cdnow_summary
from crmlab.features import calibration_holdout


def test_full_cdnow_log():
    data = cdnow()
    assert len(data.orders) == 69_659
    assert data.orders["customer_id"].nunique() == 23_570 == len(data.customers)
    assert data.orders["ordered_at"].min() == pd.Timestamp("1997-01-01", tz="UTC")
    assert data.orders["ordered_at"].max() == pd.Timestamp("1998-06-30", tz="UTC")
    assert data.orders["order_id"].is_unique
    assert round(data.orders["amount"].sum(), 2) == 2_500_315.63


def test_sample_is_the_published_2357_customer_cohort():
    data = cdnow(sample=True)
    assert len(data.orders) == 6_919
    assert data.orders["customer_id"].nunique() == 2_357
    assert set(data.orders["customer_id"]) == set(cdnow_summary().customers)


def test_our_calibration_summary_equals_the_one_lifetimes_ships():
    """lifetimes' cdnow_customers_summary.csv: 39-week calibration, weeks at daily resolution."""
    both = calibration_holdout(cdnow(sample=True), "1997-09-30", "1998-06-30", time_unit="W")
    shipped = cdnow_summary()
    assert shipped.time_unit == "W" and shipped.as_of == both.calibration_end
    ours = both.calibration.table.loc[shipped.customers]
    for col in ("frequency", "recency", "T"):
        np.testing.assert_allclose(ours[col].round(2), shipped.table[col], atol=1e-9)
    assert both.duration_holdout == 39


def test_load_accepts_the_builtin_names():
    assert len(load("cdnow-sample").orders) == 6_919


@pytest.mark.slow
def test_telco_loads_like_cdnow_and_every_builtin_name_is_fingerprinted():
    from crmlab.data.datasets import BUILTIN_DATASETS, TELCO_AS_OF
    from crmlab.reports.fingerprint import data_fingerprint

    telco = load("telco")
    assert telco.as_of == TELCO_AS_OF and len(telco.customers) == 7_043
    invoices = telco.orders.groupby("customer_id").size()
    tenure = telco.customers.set_index("customer_id")["tenure"]
    assert (invoices == tenure.reindex(invoices.index)).all()  # one invoice per month
    assert (telco.orders["ordered_at"] < TELCO_AS_OF).all()
    assert any("nominal as_of" in note for note in telco.notes)
    for name, builtin in BUILTIN_DATASETS.items():
        stamp = data_fingerprint({"source": name}, Path("."))["source"]
        assert stamp.startswith(f"{name}@{builtin.package}==")
