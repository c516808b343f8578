"""The house style for charts and the shared chart helpers (seaborn + matplotlib)."""

from __future__ import annotations

import hashlib

import matplotlib.colors
import matplotlib.dates
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
from cycler import cycler

from .escaping import html_text, markdown, markdown_text
from .units import RELATIVE_CHANGE, SHARE, format_quantity

PALETTE = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#64748b"]

# seaborn's set_theme(context="notebook", style="whitegrid", palette=PALETTE), written out:
# importing seaborn imports scipy.stats, 0.3 s in every report kernel that draws no heatmap.
# tests/test_plots.py checks it against seaborn's (all but image.cmap, seaborn's own map).
SEABORN_WHITEGRID_NOTEBOOK = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": ".8",
    "axes.labelcolor": ".15",
    "axes.axisbelow": True,
    "axes.grid": True,
    "axes.spines.left": True,
    "axes.spines.bottom": True,
    "axes.spines.right": True,
    "axes.spines.top": True,
    "grid.color": ".8",
    "grid.linestyle": "-",
    "text.color": ".15",
    "xtick.color": ".15",
    "ytick.color": ".15",
    "xtick.direction": "out",
    "ytick.direction": "out",
    "xtick.top": False,
    "ytick.right": False,
    "xtick.bottom": False,
    "ytick.left": False,
    "font.family": ["sans-serif"],
    "font.sans-serif": [
        "Arial",
        "DejaVu Sans",
        "Liberation Sans",
        "Bitstream Vera Sans",
        "sans-serif",
    ],
    "lines.solid_capstyle": "round",
    "patch.edgecolor": "w",
    "patch.force_edgecolor": True,
    "axes.linewidth": 1.25,
    "grid.linewidth": 1,
    "lines.linewidth": 1.5,
    "lines.markersize": 6,
    "patch.linewidth": 1,
    "xtick.major.width": 1.25,
    "ytick.major.width": 1.25,
    "xtick.minor.width": 1,
    "ytick.minor.width": 1,
    "xtick.major.size": 6,
    "ytick.major.size": 6,
    "xtick.minor.size": 4,
    "ytick.minor.size": 4,
    "font.size": 12,
    "axes.labelsize": 12,
    "axes.titlesize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "legend.title_fontsize": 12,
    "axes.prop_cycle": cycler(color=[matplotlib.colors.to_rgb(c) for c in PALETTE]),
    "patch.facecolor": "C0",
}


def use_house_style() -> None:
    """Apply the crmlab look to every following chart (readable in HTML reports)."""
    plt.rcParams.update(SEABORN_WHITEGRID_NOTEBOOK)
    plt.rcParams.update(
        {
            "figure.figsize": (9, 3.8),
            "figure.dpi": 96,
            "axes.titleweight": "bold",
            "axes.titlesize": 12,
            "axes.spines.top": False,
            "axes.spines.right": False,
            # labels come from data: "$...$" must print as typed, not parse as math
            "text.parse_math": False,
        }
    )


def compact_number(value: float) -> str:
    """A number short enough for an axis tick: 950, 1.2k, 35k, 1.2M, 3.4B (no overlap on
    big money amounts); small numbers keep up to three significant digits (0.25)."""
    size = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


COMPACT_TICKS = matplotlib.ticker.FuncFormatter(lambda v, _: compact_number(v))


def monthly_bars(
    monthly: pd.DataFrame, value: str, title: str, ylabel: str, ax=None, fmt: str | None = None
):
    """Bar chart of one column of a month-indexed table (e.g. ``features.monthly_orders``);
    ``fmt`` formats the y axis (``"{x:.0%}"`` for shares; default: compact, 1.2M)."""
    ax = ax or plt.subplots()[1]
    labels = pd.to_datetime(monthly["month"]).dt.strftime("%Y-%m")
    ax.bar(labels, monthly[value], color=PALETTE[0])
    step = max(1, len(labels) // 12)
    ax.set_xticks(range(0, len(labels), step))
    ax.set_xticklabels(labels[::step], rotation=45, ha="right")
    ax.set(title=title, ylabel=ylabel, xlabel="")
    ax.yaxis.set_major_formatter(
        matplotlib.ticker.StrMethodFormatter(fmt) if fmt else COMPACT_TICKS
    )
    return ax


P_VALUE_COLUMNS = ("p_value", "p_adjusted")  # printed with 3 significant digits


def styled(
    table: pd.DataFrame,
    percent: tuple[str, ...] = (),
    caption: str = "",
    money: tuple[str, ...] = (),
    currency: str | None = None,
):
    """A stakeholder table: no index, thousands separators, dates to the minute, shares in %.

    percent: columns shown as percentages. money: columns of amounts, whose headers carry
    the currency when it is known ("clv_total (GBP)", see ``in_currency``).

    Columns named in ``P_VALUE_COLUMNS`` (or ending in ``_p_value``) print with three
    significant digits, so a small p-value never shows as 0.00; other ``p_`` columns
    (p_alive, p_churn) are probabilities like any number.

    A metric table with a ``value`` and a ``unit`` column (``clv.evaluate(...).metrics``)
    prints each value in its own row's unit (``crmlab.units.format_quantity``): counts as
    integers, shares in %, no "300.00" next to a bare 0.02.

    Every cell, header and the caption are HTML-escaped (pandas' Styler does not escape by
    default), so values from data always show as text.
    """
    table = _as_text_labels(table)
    table = table.rename(columns={c: in_currency(c, currency) for c in money if c in table})
    if {"value", "unit"} <= set(table.columns) and pd.api.types.is_numeric_dtype(table["value"]):
        table = _values_in_units(table)
    formats = {}
    for column in table.columns:
        series = table[column]
        if column in percent:
            formats[column] = "{:.1%}"
        elif _is_p_value(column) and pd.api.types.is_float_dtype(series):
            formats[column] = "{:.3g}"  # p-values: small ones must not print as 0.00
        elif pd.api.types.is_datetime64_any_dtype(series):
            formats[column] = lambda v: "" if pd.isna(v) else f"{v:%Y-%m-%d %H:%M}"
        elif pd.api.types.is_integer_dtype(series):
            formats[column] = "{:,}"
        elif pd.api.types.is_float_dtype(series) and _whole(series):
            formats[column] = "{:,.0f}"  # counts kept as floats (holdout purchases): 21,387
        elif pd.api.types.is_float_dtype(series):
            formats[column] = "{:,.2f}"
        elif not pd.api.types.is_bool_dtype(series):
            # objects, categories, strings: escaping only applies to str values
            table[column] = series.map(lambda v: v if _missing(v) else str(v))
    styler = (
        table.style.set_uuid(_content_id(table))  # pandas' default id is random per run
        .hide(axis="index")
        .format(formats, na_rep="", escape="html")
        .format_index(escape="html", axis=1)
    )
    return styler.set_caption(html_text(caption)) if caption else styler


def styled_readout(table: pd.DataFrame, level: str = "95%"):
    """An experiment read-out table (``experiment.analyze(...).table``) for stakeholders, in
    the width of a page: per metric and arm the control and treatment values, the difference
    with its interval in one column, the relative lift, the adjusted p-value and the decision.
    Shares print in % with two decimals and their differences in percentage points (a
    0.3-point lift shows as +0.30 pt); means and ratios with thousands separators. Arm sizes,
    raw p-values and lift intervals stay in the data (the notebook shows sizes elsewhere).
    level: the intervals' level label."""
    cuped = "variance_reduction" in table and table["variance_reduction"].notna().any()
    rows = []
    for r in table.to_dict("records"):
        share = r.get("kind") == "proportion"
        value = (lambda v: f"{v:.2%}") if share else (lambda v: f"{v:,.2f}")
        change = (lambda v: f"{100 * v:+.2f}") if share else (lambda v: f"{v:+,.2f}")
        unit = " pt" if share else ""
        row = {
            "metric": r["metric"],
            "arm": r["arm"],
            "control": value(r["control_value"]),
            "treatment": value(r["treatment_value"]),
            "difference": change(r["difference"]) + unit,
            f"{level} CI": f"{change(r['ci_low'])} to {change(r['ci_high'])}{unit}",
            "relative_lift": f"{r['relative_lift']:+.1%}",
            "p_adjusted": f"{r['p_adjusted']:.3g}",
            "significant": "yes" if r["significant"] else "no",
        }
        if cuped:
            reduction = r.get("variance_reduction")
            row["CUPED variance cut"] = "" if _missing(reduction) else f"{reduction:.0%}"
        rows.append(row)
    return styled(pd.DataFrame(rows))


def _values_in_units(table: pd.DataFrame) -> pd.DataFrame:
    """Each row's value as text in its unit; shares carry their unit in the text (%)."""
    table = table.copy()
    table["value"] = [
        format_quantity(v, u) for v, u in zip(table["value"], table["unit"], strict=True)
    ]
    table["unit"] = table["unit"].map(lambda u: "" if u in (SHARE, RELATIVE_CHANGE) else u)
    return table


def _whole(series: pd.Series) -> bool:
    values = series.dropna().to_numpy()
    return len(values) > 0 and bool(np.all(np.isfinite(values) & (values == np.round(values))))


def in_currency(label: str, currency: str | None) -> str:
    """A label for amounts with their currency: "CLV (GBP)"; the label alone when the
    currency is not known (``CRMData.currency`` or a notebook's ``currency`` parameter)."""
    return f"{label} ({currency})" if currency else label


def amount(value: float, currency: str | None, decimals: int = 0) -> str:
    """An amount for a sentence: "12,345 GBP"; the number alone without a currency."""
    number = f"{value:,.{decimals}f}"
    return f"{number} {currency}" if currency else number


def currency_words(currency: str | None) -> str:
    """What the report says amounts are in: "GBP", or that the data did not say."""
    return currency or "the data's currency (not declared; set `currency`)"


def kpi_line(labels, values, separator: str = " &nbsp;·&nbsp; "):
    """Headline numbers on one line, ``**label:** value · ...``, labels and values escaped."""
    from IPython.display import Markdown

    pairs = [
        f"**{markdown_text(k)}:** {markdown_text(v)}" for k, v in zip(labels, values, strict=True)
    ]
    return Markdown(separator.join(pairs))


def _content_id(table: pd.DataFrame) -> str:
    """A short id derived from the table's content: the same table gets the same HTML."""
    digest = hashlib.sha256(table.to_csv().encode("utf-8", "replace"))
    return digest.hexdigest()[:10]


def _missing(value) -> bool:
    return value is None or (not isinstance(value, (list, tuple, dict, set)) and pd.isna(value))


def _is_p_value(column) -> bool:
    return column in P_VALUE_COLUMNS or str(column).endswith("_p_value")


def _as_text_labels(table: pd.DataFrame) -> pd.DataFrame:
    """A copy whose column labels are unique strings (a MultiIndex is joined with ' / ')."""
    table = table.copy()
    if isinstance(table.columns, pd.MultiIndex):
        table.columns = [" / ".join(map(str, label)) for label in table.columns]
    else:
        table.columns = [str(label) for label in table.columns]
    return table


def md(template: str, /, *args, **values):
    """Narrative from data: an IPython ``Markdown`` whose values are escaped.

    The template is the notebook author's Markdown; every value becomes literal text after
    its format spec (``{n:,}``), or a code span with ``!c`` (``{path!c}``). Use this instead of
    ``Markdown(f"...")``, which would render markup or links hidden in the data.
    """
    from IPython.display import Markdown

    return Markdown(markdown(template, *args, **values))


def _axes(ax, size=None):
    if ax is not None:
        return ax
    return plt.subplots(figsize=size)[1] if size else plt.subplots()[1]


def hbar(labels, values, title: str, xlabel: str, ax=None, fmt: str = "{:,.0f}"):
    """Horizontal bars with their values written at the end (``fmt``) and compact ticks
    (1.2M) unless ``fmt`` is a share or other custom format (one colour, largest on top)."""
    ax = _axes(ax, (9, 0.35 * len(labels) + 1.2))
    labels = [str(label) for label in labels]
    ax.barh(labels[::-1], list(values)[::-1], color=PALETTE[0])
    for y, v in enumerate(list(values)[::-1]):
        ax.text(v, y, " " + fmt.format(v), va="center", fontsize=9)
    ax.set(title=title, xlabel=xlabel)
    custom = matplotlib.ticker.StrMethodFormatter(fmt.replace("{:", "{x:"))
    ax.xaxis.set_major_formatter(COMPACT_TICKS if fmt == "{:,.0f}" else custom)
    # each bar carries its value, so a few ticks suffice; more overlap on big money amounts
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=4))
    ax.margins(x=0.15)
    return ax


def signed_bars(labels, values, title: str, xlabel: str, ax=None, fmt: str = "{:+.1f}"):
    """Horizontal bars around zero: evidence for (right, green) and against (left, red),
    each with its value written beside it; labels top to bottom in the order given."""
    values = list(values)
    ax = _axes(ax, (9, 0.32 * len(values) + 1.2))
    y = list(range(len(values)))[::-1]
    colors = [PALETTE[2] if v >= 0 else PALETTE[3] for v in values]
    ax.barh(y, values, color=colors)
    for row, v in zip(y, values, strict=True):
        ax.text(
            v,
            row,
            f" {fmt.format(v)} " if v >= 0 else f"{fmt.format(v)} ",
            va="center",
            ha="left" if v >= 0 else "right",
            fontsize=8,
        )
    ax.set_yticks(y, [str(label) for label in labels])
    ax.axvline(0, color="grey", lw=1)
    ax.set(title=title, xlabel=xlabel)
    ax.margins(x=0.15)
    return ax


def heatmap(
    matrix: pd.DataFrame,
    title: str,
    fmt: str = ",.0f",
    ax=None,
    cmap="Blues",
    xlabel: str = "",
    ylabel: str = "",
    center: float | None = None,
):
    """Annotated heatmap of a small matrix (rows x columns as given). center: the value
    drawn white in a diverging ``cmap`` (100 for an index)."""
    import seaborn as sns  # here, not at import (see SEABORN_WHITEGRID_NOTEBOOK)

    ax = _axes(ax, (1.1 * matrix.shape[1] + 3, 0.5 * matrix.shape[0] + 1.5))
    sns.heatmap(
        matrix, annot=True, fmt=fmt, cmap=cmap, cbar=False, ax=ax, linewidths=0.5, center=center
    )
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.tick_params(axis="x", rotation=30)
    ax.tick_params(axis="y", rotation=0)
    return ax


def pareto_curve(pareto: pd.DataFrame, highlight: float = 0.2, ax=None):
    """Share of value held by the top share of customers, with the 'top 20%' point marked."""
    ax = _axes(ax, (6, 4.5))
    ax.plot(
        pareto["customer_share"],
        pareto["value_share"],
        color=PALETTE[0],
        lw=2.5,
        label="customers ranked by value",
    )
    ax.plot([0, 1], [0, 1], color=PALETTE[5], ls="--", lw=1, label="everyone equal")
    at = float(
        pd.Series(pareto["value_share"].to_numpy(), index=pareto["customer_share"])
        .loc[highlight:]
        .iloc[0]
    )
    ax.scatter([highlight], [at], color=PALETTE[3], zorder=3)
    ax.annotate(
        f"top {highlight:.0%} of customers\n= {at:.0%} of value",
        (highlight, at),
        xytext=(highlight + 0.08, at - 0.15),
        arrowprops={"arrowstyle": "->"},
    )
    ax.set(
        title="Pareto curve",
        xlabel="share of customers (best first)",
        ylabel="share of value",
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.legend(loc="lower right")
    return ax


def snake_plot(standardized_means: pd.DataFrame, title: str = "Cluster profiles", ax=None):
    """One line per cluster across features (standardized means: 0 = average customer)."""
    ax = _axes(ax, (8, 4))
    for i, (label, row) in enumerate(standardized_means.iterrows()):
        ax.plot(
            row.index,
            row.to_numpy(),
            marker="o",
            lw=2,
            color=PALETTE[i % len(PALETTE)],
            label=str(label),
        )
    ax.axhline(0, color=PALETTE[5], lw=1, ls="--")
    ax.set(title=title, ylabel="standardized mean (0 = average)")
    ax.legend(title="cluster", bbox_to_anchor=(1.02, 1), loc="upper left")
    return ax


def scatter_2d(points: pd.DataFrame, labels: pd.Series, title: str, ax=None):
    """Scatter of a 2-D projection coloured by label (columns x and y)."""
    ax = _axes(ax, (7, 5))
    for i, label in enumerate(sorted(labels.unique())):
        mask = (labels == label).to_numpy()
        ax.scatter(
            points.loc[mask, "x"],
            points.loc[mask, "y"],
            s=6,
            alpha=0.5,
            color=PALETTE[i % len(PALETTE)],
            label=str(label),
        )
    ax.set(title=title, xlabel="component 1", ylabel="component 2")
    ax.legend(title="cluster", markerscale=3)
    return ax


def lines(
    frame: pd.DataFrame,
    x: str,
    columns: dict[str, str],
    title: str,
    xlabel: str,
    ylabel: str,
    vline=None,
    vline_label: str = "",
    ax=None,
    marker: str = "",
):
    """Line chart of several columns against x; ``columns`` maps column -> legend label."""
    ax = _axes(ax)
    for i, (column, label) in enumerate(columns.items()):
        ax.plot(
            frame[x],
            frame[column],
            lw=2,
            marker=marker,
            color=PALETTE[i % len(PALETTE)],
            label=label,
        )
    if vline is not None:
        ax.axvline(vline, color=PALETTE[5], ls="--", lw=1)
        # y in axes coordinates: the label sits at the top whatever the data's range
        top = ax.get_xaxis_transform()
        ax.text(vline, 0.97, " " + vline_label, color=PALETTE[5], va="top", transform=top)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.yaxis.set_major_formatter(COMPACT_TICKS)
    _readable_dates(ax, frame[x])
    ax.legend()
    return ax


def _readable_dates(ax, values: pd.Series) -> None:
    """A date axis with a few concise ticks: full dates side by side overlap."""
    if pd.api.types.is_datetime64_any_dtype(values):
        dates = matplotlib.dates.AutoDateLocator(minticks=3, maxticks=6)
        ax.xaxis.set_major_locator(dates)
        ax.xaxis.set_major_formatter(matplotlib.dates.ConciseDateFormatter(dates))


def histogram(values: pd.Series, title: str, xlabel: str, log: bool = True, ax=None):
    """Distribution of a positive quantity (log-spaced bins by default)."""
    import numpy as np

    ax = _axes(ax)
    # On a log axis, vanishing values (e.g. 1e-12 for customers almost surely gone) would
    # stretch the chart; everything below 1% of the median is drawn in the first bin.
    positive = values[values > 0]
    if log and len(positive) > 1:
        positive = positive.clip(lower=0.01 * positive.median())
    bins = np.geomspace(positive.min(), positive.max(), 40) if log and len(positive) > 1 else 40
    ax.hist(positive, bins=bins, color=PALETTE[0])
    if log and len(positive) > 1:
        ax.set_xscale("log")
        # the house style turns math text off (values from data must stay text), so the log
        # axis' default 10^k labels would print as raw math markup; plain numbers instead
        ax.xaxis.set_major_formatter(COMPACT_TICKS)
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set(title=title, xlabel=xlabel, ylabel="customers")
    return ax


def forest(
    table: pd.DataFrame,
    label: str,
    estimate: str,
    low: str,
    high: str,
    title: str,
    xlabel: str,
    ax=None,
    percent: bool = True,
):
    """Estimates with confidence intervals, one row each, and a line at zero effect."""
    ax = _axes(ax, (8, 0.55 * len(table) + 1.5))
    y = list(range(len(table)))[::-1]
    significant = (table[low] > 0) | (table[high] < 0)
    colors = [PALETTE[0] if s else PALETTE[5] for s in significant]
    ax.hlines(y, table[low], table[high], colors=colors, lw=2.5)
    ax.scatter(table[estimate], y, color=colors, zorder=3, s=40)
    ax.axvline(0, color=PALETTE[3], lw=1, ls="--")
    ax.set_yticks(y)
    ax.set_yticklabels(table[label].astype(str))
    ax.set(title=title, xlabel=xlabel)
    if percent:
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    return ax


def ranked_intervals(
    table: pd.DataFrame,
    estimate: str,
    low: str,
    high: str,
    group: str,
    cut: float,
    title: str,
    xlabel: str,
    first_rank: int = 1,
    ax=None,
):
    """Ranked estimates with their intervals, one row each (labelled by rank, counted from
    ``first_rank``, so no customer key reaches the chart), coloured by ``group`` and with a
    line at ``cut``."""
    ax = _axes(ax, (8, 0.22 * len(table) + 1.8))
    y = np.arange(len(table))[::-1]
    for i, name in enumerate(pd.unique(table[group])):
        rows = (table[group] == name).to_numpy()
        color = PALETTE[i % len(PALETTE)]
        ax.hlines(y[rows], table[low][rows], table[high][rows], colors=color, lw=2, label=name)
        ax.scatter(table[estimate][rows], y[rows], color=color, s=14, zorder=3)
    ax.axvline(cut, color=PALETTE[3], lw=1, ls="--")
    every = max(1, len(y) // 12)
    ax.set_yticks(y[::every])
    ax.set_yticklabels([f"#{rank:,}" for rank in (np.arange(len(y)) + first_rank)[::every]])
    ax.set(title=title, xlabel=xlabel, ylabel="rank by posterior mean")
    ax.xaxis.set_major_formatter(COMPACT_TICKS)
    ax.legend(loc="lower right")
    return ax


def grouped_intervals(
    tidy: pd.DataFrame,
    group: str,
    series: str,
    estimate: str,
    low: str,
    high: str,
    title: str,
    xlabel: str,
    reference: str | None = None,
    ax=None,
    percent: bool = True,
):
    """Estimates with intervals, one band of rows per ``group`` and one coloured row per
    ``series`` inside it (e.g. channels × attribution methods); ``reference`` draws a
    black cross per group (e.g. a planted truth)."""
    groups = list(pd.unique(tidy[group]))
    names = list(pd.unique(tidy[series]))
    ax = _axes(ax, (9, 0.15 * len(groups) * len(names) + 1.8))
    height = 0.8 / len(names)
    colors = [*PALETTE, "#0f172a", "#db2777", "#0891b2"]  # more series than the palette
    for i, name in enumerate(names):
        part = tidy[tidy[series] == name]
        y = [len(groups) - 1 - groups.index(g) + 0.4 - height * (i + 0.5) for g in part[group]]
        color = colors[i % len(colors)]
        ax.hlines(y, part[low], part[high], colors=color, lw=2)
        ax.scatter(part[estimate], y, color=color, s=22, zorder=3, label=str(name))
    if reference is not None:
        truth = tidy.drop_duplicates(group)
        y = [len(groups) - 1 - groups.index(g) for g in truth[group]]
        ax.scatter(truth[reference], y, marker="x", color="black", s=60, zorder=4,
                   label=reference.replace("_", " "))  # fmt: skip
    ax.set_yticks(range(len(groups)))
    ax.set_yticklabels([str(g) for g in groups[::-1]])
    ax.grid(False, axis="y")
    for edge in range(len(groups) - 1):  # a thin rule between groups
        ax.axhline(edge + 0.5, color="#e2e8f0", lw=1)
    ax.set_ylim(-0.5, len(groups) - 0.5)
    ax.set(title=title, xlabel=xlabel)
    if percent:
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    return ax


def curves(
    tidy: pd.DataFrame,
    x: str,
    y: str,
    group: str,
    title: str,
    xlabel: str,
    ylabel: str,
    band: tuple[str, str] | None = None,
    diagonal: bool = False,
    step: bool = False,
    ax=None,
):
    """One line per ``group`` from a tidy table (ROC, gains, calibration, survival curves).

    band: (low, high) columns drawn as a shaded interval; diagonal: the y = x reference
    (chance for ROC and gains, perfect calibration); step: a step function (Kaplan-Meier).
    """
    ax = _axes(ax)
    for i, (name, part) in enumerate(tidy.groupby(group, sort=False)):
        color = PALETTE[i % len(PALETTE)]
        draw = ax.step if step else ax.plot
        kwargs = {"where": "post"} if step else {}
        draw(part[x], part[y], lw=2, color=color, label=str(name), **kwargs)
        if band is not None:
            ax.fill_between(
                part[x],
                part[band[0]],
                part[band[1]],
                color=color,
                alpha=0.15,
                step="post" if step else None,
            )
    if diagonal:
        low = min(tidy[x].min(), tidy[y].min())
        high = max(tidy[x].max(), tidy[y].max())
        ax.plot([low, high], [low, high], color="grey", ls="--", lw=1, label="reference")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    _readable_dates(ax, tidy[x])
    ax.legend()
    return ax


def band_trend(
    table: pd.DataFrame,
    x: str,
    value: str,
    title: str,
    ylabel: str,
    group: str | None = None,
    low: str = "ci_low",
    high: str = "ci_high",
    ax=None,
):
    """A score over time with its interval as a band, one line per ``group``; periods with
    no value (suppressed for too few answers) leave a gap rather than a guess."""
    ax = _axes(ax)
    parts = [(None, table)] if group is None else list(table.groupby(group, sort=True))
    for i, (label, part) in enumerate(parts):
        part = part.sort_values(x)
        color = PALETTE[i % len(PALETTE)]
        ax.plot(
            part[x],
            part[value],
            lw=2,
            marker="o",
            ms=3,
            color=color,
            label=None if label is None else str(label),
        )
        ax.fill_between(part[x], part[low], part[high], color=color, alpha=0.15, lw=0)
    ax.set(title=title, xlabel="", ylabel=ylabel)
    _readable_dates(ax, table[x])
    if group is not None:
        ax.legend()
    return ax


def monitor(series: pd.DataFrame, alerts: pd.DataFrame, title: str, ylabel: str, ax=None):
    """One monitored series: what happened (grey), what was expected (blue), the spike
    limit (dashed) and the alert days (red dots)."""
    ax = _axes(ax, (9, 3.2))
    ax.plot(series["day"], series["observed"], color=PALETTE[5], lw=1, label="observed")
    ax.plot(series["day"], series["expected"], color=PALETTE[0], lw=1.5, label="expected")
    ax.plot(series["day"], series["upper"], color=PALETTE[3], lw=1, ls="--", label="alert limit")
    if len(alerts):
        ax.scatter(
            alerts["day"], alerts["observed"], color=PALETTE[3], zorder=3, s=25, label="alert"
        )
    ax.set(title=title, xlabel="", ylabel=ylabel)
    ax.yaxis.set_major_formatter(COMPACT_TICKS)
    _readable_dates(ax, series["day"])
    ax.legend(loc="upper left", fontsize=8)
    return ax
