"""CDNOW as shipped by lifetimes, read through importlib.resources."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
    assert set(data.orders["customer_id"]) == set(cdnow_summary().index)


def test_our_calibration_summary_equals_the_one_lifetimes_ships():
    """lifetimes' cdnow_customers_summary.csv: 39-week calibration, weeks at daily resolution."""
    ours = calibration_holdout(
        cdnow(sample=True), "1997-09-30", "1998-06-30", freq="D", freq_multiplier=7
    )
    shipped = cdnow_summary()
    ours = ours.loc[shipped.index]
    for col in ("frequency", "recency", "T"):
        np.testing.assert_allclose(ours[f"{col}_cal"].round(2), shipped[col], atol=1e-9)
    assert (ours["duration_holdout"] == 39).all()


def test_load_accepts_the_builtin_names():
    assert len(load("cdnow-sample").orders) == 6_919
