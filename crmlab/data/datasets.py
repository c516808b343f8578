"""Real public data shipped inside installed packages (no downloads at run time).

CDNOW: the transaction log of 23,570 customers who first bought at the CD retailer CDNOW
in the first quarter of 1997, followed until 30 June 1998 (Fader & Hardie). The ``lifetimes``
package ships it; we read its files with ``importlib.resources``.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

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
