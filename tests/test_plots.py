"""Charts draw the numbers they are given (read back from the axes), in the house style."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from crmlab import plots
from crmlab.units import format_quantity


@pytest.fixture(autouse=True)
def _house_style():
    plots.use_house_style()
    yield
    plt.close("all")


def test_hbar_draws_each_value_largest_label_on_top():
    ax = plots.hbar(["a", "b", "c"], [30, 20, 10], "Revenue", "revenue")
    widths = [bar.get_width() for bar in ax.patches]
    assert widths == [10, 20, 30]  # drawn bottom-up: the first label ends on top
    assert [t.get_text() for t in ax.get_yticklabels()] == ["c", "b", "a"]
    assert [t.get_text().strip() for t in ax.texts] == ["10", "20", "30"]


def test_monthly_bars_label_months_and_format_the_axis():
    months = pd.DataFrame(
        {
            "month": pd.date_range("2024-01-01", periods=30, freq="MS"),
            "share": np.linspace(0, 1, 30),
        }
    )
    ax = plots.monthly_bars(months, "share", "Repeat share", "share", fmt="{x:.0%}")
    assert [bar.get_height() for bar in ax.patches] == pytest.approx(months["share"].tolist())
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "2024-01" and len(labels) <= 15  # thinned when there are many months
    assert ax.yaxis.get_major_formatter()(0.25, 0) == "25%"


def test_heatmap_annotates_every_cell_with_its_value():
    matrix = pd.DataFrame([[1200, 5], [0, 33]], index=["x", "y"], columns=["p", "q"])
    ax = plots.heatmap(matrix, "Migration")
    assert [t.get_text() for t in ax.texts] == ["1,200", "5", "0", "33"]


def test_pareto_curve_marks_the_share_held_by_the_top_customers():
    share = np.linspace(0, 1, 11)
    pareto = pd.DataFrame({"customer_share": share, "value_share": np.sqrt(share)})
    ax = plots.pareto_curve(pareto, highlight=0.2)
    [point] = ax.collections[0].get_offsets()
    assert point.tolist() == pytest.approx([0.2, np.sqrt(0.2)])
    assert "= 45% of value" in ax.texts[0].get_text()


def test_snake_plot_and_scatter_draw_one_series_per_cluster():
    means = pd.DataFrame({"recency": [1.0, -1.0], "revenue": [-0.5, 0.5]}, index=[0, 1])
    ax = plots.snake_plot(means)
    assert [line.get_ydata().tolist() for line in ax.lines[:2]] == [[1.0, -0.5], [-1.0, 0.5]]
    points = pd.DataFrame({"x": range(6), "y": range(6)})
    labels = pd.Series([1, 0, 1, 1, 0, 1])
    ax = plots.scatter_2d(points, labels, "Clusters")
    assert [len(c.get_offsets()) for c in ax.collections] == [2, 4]  # cluster 0, cluster 1


def test_forest_greys_out_intervals_that_cross_zero():
    table = pd.DataFrame(
        {"name": ["up", "flat"], "lift": [0.1, 0.01], "lo": [0.05, -0.02], "hi": [0.15, 0.04]}
    )
    ax = plots.forest(table, "name", "lift", "lo", "hi", "Lift", "relative lift")
    colors = [matplotlib.colors.to_hex(c) for c in ax.collections[0].get_colors()]
    assert colors == [plots.PALETTE[0], plots.PALETTE[5]]
    at = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)}
    assert at["up"] > at["flat"]  # the first row on top
    assert ax.xaxis.get_major_formatter()(0.1, 0).startswith("10")  # percent axis
    assert ax.xaxis.get_major_formatter()(0.1, 0).endswith("%")


def test_curves_draw_groups_bands_and_steps():
    tidy = pd.DataFrame(
        {
            "t": [0, 1, 2, 0, 1, 2],
            "s": [1.0, 0.8, 0.6, 1.0, 0.9, 0.7],
            "lo": [1.0, 0.7, 0.5, 1.0, 0.8, 0.6],
            "hi": [1.0, 0.9, 0.7, 1.0, 1.0, 0.8],
            "g": ["a"] * 3 + ["b"] * 3,
        }
    )
    ax = plots.curves(tidy, "t", "s", "g", "Survival", "t", "S", band=("lo", "hi"), step=True)
    assert [line.get_label() for line in ax.lines] == ["a", "b"]
    assert all(line.get_drawstyle() == "steps-post" for line in ax.lines)
    assert len(ax.collections) == 2  # one shaded band per group
    ax = plots.curves(tidy, "t", "s", "g", "ROC", "x", "y", diagonal=True)
    assert ax.lines[-1].get_label() == "reference"


def test_histogram_counts_every_positive_value_once():
    values = pd.Series([0.0, 1.0, 2.0, 5.0, 50.0, 500.0])
    ax = plots.histogram(values, "CLV", "CLV")
    assert sum(bar.get_height() for bar in ax.patches) == 5  # the zero cannot sit on a log axis
    linear = plots.histogram(values, "CLV", "CLV", log=False)
    assert sum(bar.get_height() for bar in linear.patches) == 5
    assert linear.get_xscale() == "linear"


def test_big_numbers_make_compact_ticks_that_never_overlap():
    assert [plots.compact_number(v) for v in (0.25, 950, 1200, 35_000, 1_234_567, 3.4e9)] == [
        "0.25",
        "950",
        "1.2k",
        "35k",
        "1.23M",
        "3.4B",
    ]
    assert plots.compact_number(-2_500_000) == "-2.5M"
    months = pd.DataFrame(
        {
            "month": pd.date_range("2024-01-01", periods=3, freq="MS"),
            "revenue": [1.1e6, 2.4e6, 3.9e6],
        }
    )
    ax = plots.monthly_bars(months, "revenue", "Revenue", "revenue")
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert ticks and all(t == "0" or (t[-1] in "kM" and len(t) <= 4) for t in ticks)
    ax = plots.hbar(["a", "b"], [2_500_000, 1_000_000], "Revenue", "revenue")
    ax.figure.canvas.draw()
    assert all(len(t.get_text()) <= 5 for t in ax.get_xticklabels())
    assert [t.get_text() for t in ax.texts] == [" 1,000,000", " 2,500,000"]  # exact on the bars
    plt.close("all")


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (23570.0, "customers", "23,570"),
        (1944.37, "purchases", "1,944.37"),
        (0.0213, "relative change", "+2.1%"),
        (-0.05, "relative change", "-5.0%"),
        (0.333, "share", "33.3%"),
        (float("nan"), "customers", ""),
    ],
)
def test_quantities_print_in_their_unit(value, unit, text):
    assert format_quantity(value, unit) == text


def test_metric_tables_print_each_row_in_its_own_unit():
    from tests.report_tables import report_tables

    metrics = pd.DataFrame(
        {
            "metric": ["customers", "holdout length (weeks)", "MAE", "relative error"],
            "value": [300.0, 26.0, 1.2345, 0.0213],
            "unit": ["customers", "weeks", "purchases per customer", "relative change"],
        }
    )
    (shown,) = report_tables(plots.styled(metrics).to_html())
    assert shown["value"].tolist() == ["300", "26", "1.23", "+2.1%"]
    assert shown["unit"].tolist() == ["customers", "weeks", "purchases per customer", ""]


def test_amounts_carry_the_currency_when_it_is_known():
    from tests.report_tables import report_tables

    assert (
        plots.in_currency("CLV", "GBP") == "CLV (GBP)" and plots.in_currency("CLV", None) == "CLV"
    )
    assert plots.amount(12345.6, "EUR") == "12,346 EUR" and plots.amount(12345.6, None) == "12,346"
    assert plots.currency_words("USD") == "USD"
    assert "not declared" in plots.currency_words(None)
    table = pd.DataFrame({"segment": ["a"], "clv_total": [1234.5], "customers": [3]})
    (shown,) = report_tables(plots.styled(table, money=("clv_total",), currency="GBP").to_html())
    assert shown.columns.tolist() == ["segment", "clv_total (GBP)", "customers"]
    assert shown.iloc[0].tolist() == ["a", "1,234.50", "3"]


def test_the_house_style_is_seaborns_whitegrid_theme_without_importing_seaborn():
    """use_house_style writes out seaborn's set_theme (importing seaborn costs every report
    kernel 0.3 s); the two must not drift apart. image.cmap is seaborn's own colour map,
    which exists only once seaborn is imported; crmlab's heatmaps name their map."""
    import subprocess
    import sys

    import matplotlib as mpl
    import seaborn as sns

    with mpl.rc_context():
        mpl.rcdefaults()
        sns.set_theme(context="notebook", style="whitegrid", palette=plots.PALETTE)
        expected = dict(mpl.rcParams)
    with mpl.rc_context():
        mpl.rcdefaults()
        plt.rcParams.update(plots.SEABORN_WHITEGRID_NOTEBOOK)
        ours = dict(mpl.rcParams)
    differ = {k for k in expected if expected[k] != ours[k]}
    assert differ == {"image.cmap"}
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, crmlab.plots as p; p.use_house_style(); "
         "print('seaborn' in sys.modules, 'scipy.stats' in sys.modules)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert loaded.stdout.split() == ["False", "False"]
