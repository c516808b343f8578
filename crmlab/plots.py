"""The house style for charts and the shared chart helpers (seaborn + matplotlib)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker
import pandas as pd
import seaborn as sns

PALETTE = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#64748b"]


def use_house_style() -> None:
    """Apply the crmlab look to every following chart (readable in HTML reports)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    plt.rcParams.update(
        {
            "figure.figsize": (9, 3.8),
            "figure.dpi": 96,
            "axes.titleweight": "bold",
            "axes.titlesize": 12,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )


def monthly_bars(monthly: pd.DataFrame, value: str, title: str, ylabel: str, ax=None):
    """Bar chart of one column of a month-indexed table (e.g. ``features.monthly_orders``)."""
    ax = ax or plt.subplots()[1]
    labels = pd.to_datetime(monthly["month"]).dt.strftime("%Y-%m")
    ax.bar(labels, monthly[value], color=PALETTE[0])
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step))
    ax.set_xticklabels(labels[::step], rotation=45, ha="right")
    ax.set(title=title, ylabel=ylabel, xlabel="")
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    return ax


def styled(table: pd.DataFrame, percent: tuple[str, ...] = (), caption: str = ""):
    """A stakeholder table: no index, thousands separators, dates to the minute, shares in %."""
    formats = {}
    for column in table.columns:
        series = table[column]
        if column in percent:
            formats[column] = "{:.1%}"
        elif pd.api.types.is_datetime64_any_dtype(series):
            formats[column] = lambda v: "" if pd.isna(v) else f"{v:%Y-%m-%d %H:%M}"
        elif pd.api.types.is_integer_dtype(series):
            formats[column] = "{:,}"
        elif pd.api.types.is_float_dtype(series):
            formats[column] = "{:,.2f}"
    styler = table.style.hide(axis="index").format(formats, na_rep="")
    return styler.set_caption(caption) if caption else styler
