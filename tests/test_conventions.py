"""The public vocabulary (docs/guide/conventions.md), checked on every public function.

These tests walk the package with ``inspect`` and ``ast`` instead of listing functions by
hand, so a new module that speaks another dialect fails here without anyone remembering to
add it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crmlab

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "crmlab"

# Names that mean a duration: they need a time_unit argument beside them, or a unit suffix.
DURATION_NAMES = {"horizon", "window", "t", "duration", "durations", "lookback", "gap"}
DURATION_SUFFIXES = ("_weeks", "_months", "_hours", "_years", "_periods")
# The old dialects: each has one replacement in the conventions.
RETIRED = {
    "seed": "random_state",
    "freq": "time_unit / period",
    "freq_multiplier": "time_unit",
    "unit_days": "time_unit",
    "as_of_from": "start",
    "as_of_to": "end",
    "now": "as_of",
    "reference_date": "as_of",
    "consented": "marketable",
}


def _modules():
    yield crmlab
    for info in pkgutil.walk_packages(crmlab.__path__, "crmlab."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        yield importlib.import_module(info.name)


def _public_callables():
    """(qualified name, signature) of every public function and public method."""
    seen = set()
    for module in _modules():
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", "") != module.__name__:
                continue
            if inspect.isfunction(obj) and obj not in seen:
                seen.add(obj)
                yield f"{module.__name__}.{name}", inspect.signature(obj)
            elif inspect.isclass(obj):
                for method_name, method in vars(obj).items():
                    if method_name.startswith("_") and method_name != "__init__":
                        continue
                    function = getattr(method, "__func__", method)
                    if inspect.isfunction(function) and function not in seen:
                        seen.add(function)
                        label = f"{module.__name__}.{name}.{method_name}"
                        yield label, inspect.signature(function)


PUBLIC = list(_public_callables())


def test_the_walk_sees_the_whole_package():
    names = {name for name, _ in PUBLIC}
    for expected in (
        "crmlab.features.summary.customer_summary",
        "crmlab.clv.model.fit",
        "crmlab.churn.model.fit",
        "crmlab.experiment.analyze.analyze",
        "crmlab.data.activation.activation_list",
        "crmlab.clv.model.CLVModel.clv",
    ):
        assert expected in names
    assert len(PUBLIC) > 150


def test_no_retired_parameter_names():
    offenders = [
        f"{name}({p}) -> use {RETIRED[p]}"
        for name, sig in PUBLIC
        for p in sig.parameters
        if p in RETIRED
    ]
    assert offenders == []


def test_every_duration_has_a_unit():
    offenders = []
    for name, sig in PUBLIC:
        params = set(sig.parameters)
        for p in params:
            if p.endswith(DURATION_SUFFIXES):
                offenders.append(f"{name}({p}): use *_days or a time_unit argument")
            elif p in DURATION_NAMES and "time_unit" not in params:
                offenders.append(f"{name}({p}) has no time_unit beside it")
    assert offenders == []


def test_randomness_is_random_state_and_accepts_a_generator():
    from crmlab.randomness import generator, integer_seed

    stochastic = [name for name, sig in PUBLIC if "random_state" in sig.parameters]
    assert len(stochastic) >= 8
    rng = np.random.default_rng(5)
    assert generator(rng) is rng and isinstance(integer_seed(rng), int)
    assert integer_seed(7) == 7
    with pytest.raises(crmlab.errors.ParameterError, match="random_state"):
        integer_seed("7")


def _interval_columns(frame: pd.DataFrame) -> list[str]:
    bad = []
    for column in map(str, frame.columns):
        words = re.split(r"[ _]", column.lower())
        looks_like_bound = {"low", "high", "lower", "upper", "lo", "hi"} & set(words)
        if (looks_like_bound or "%" in column) and not re.fullmatch(
            r"(\w+_)?ci_(low|high)", column
        ):
            bad.append(column)
    return bad


def test_interval_columns_are_ci_low_and_ci_high():
    from crmlab import churn, clv, experiment
    from crmlab.datasets import cdnow_summary

    rng = np.random.default_rng(0)
    n = 400
    units = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "variant": np.where(np.arange(n) % 2, "treatment", "control"),
            "converted": rng.random(n) < 0.2,
            "revenue": rng.gamma(2, 10, n),
            "pre_revenue": rng.gamma(2, 10, n),
        }
    )
    metrics = [experiment.Proportion("converted"), experiment.Mean("revenue", "pre_revenue")]
    tables = {
        "experiment.analyze": experiment.analyze(units, metrics).table,
        "experiment.roi": experiment.roi(units, 1.0),
        "experiment.nonparametric": experiment.nonparametric(units, "revenue", n_boot=200),
        "clv.parameter_table": clv.parameter_table(clv.fit(cdnow_summary(), spend_model=None)),
        "churn.survival": churn.survival(
            pd.Series(rng.integers(1, 30, n)), pd.Series(rng.integers(0, 2, n)), "D"
        ).curves,
    }
    offenders = {name: _interval_columns(t) for name, t in tables.items()}
    assert {k: v for k, v in offenders.items() if v} == {}
    assert _interval_columns(pd.DataFrame(columns=["lower 95%", "boot_low"])) == [
        "lower 95%",
        "boot_low",
    ]


def test_results_keep_nothing_in_attrs():
    from crmlab import experiment, features
    from crmlab.data import generate

    world = generate(400, random_state=1)
    summary = features.customer_summary(world, world.as_of)
    units = features.experiment_units(world, "CMP01")
    readout = experiment.analyze(units, [experiment.Proportion("converted")])
    for frame in (summary.table, units, readout.table):
        assert frame.attrs == {}


def test_every_evaluate_returns_a_frozen_result_with_a_metrics_table():
    import dataclasses

    from crmlab import churn, clv
    from crmlab.data import identity

    for result_type in (churn.Evaluation, clv.Evaluation, identity.Evaluation):
        assert dataclasses.is_dataclass(result_type)
        assert result_type.__dataclass_params__.frozen
        assert "metrics" in {f.name for f in dataclasses.fields(result_type)}


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            yield node.module or "", [a.name for a in node.names], node.level


def test_no_package_imports_another_packages_private_names():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for module, names, level in _imports(path):
            if level < 2 and path.parent != PACKAGE:
                continue  # inside its own package
            private_module = any(part.startswith("_") for part in module.split("."))
            private_names = [n for n in names if n.startswith("_") and not n.endswith("__")]
            if private_module or private_names:
                offenders.append(f"{path.relative_to(ROOT)}: {module} {private_names}")
    assert offenders == []


def test_only_crmlab_data_reads_data_files():
    readers = re.compile(r"\b(read_csv|read_parquet|read_excel|read_json)\(|\bopen\(")
    # engines read files where the SQL runs (Parquet, CSV as text); reports read notebooks
    # and their own status files
    allowed = {"data", "engines", "reports"}
    offenders = [
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] not in allowed
        and path.name != "cli.py"
        and readers.search(path.read_text())
    ]
    assert offenders == []


def test_documentation_links_point_at_pages_that_exist():
    pattern = re.compile(r"docs/[\w/]+\.md")
    sources = [*PACKAGE.rglob("*.py"), ROOT / "README.md", *(ROOT / "notebooks").glob("*.ipynb")]
    sources += list((ROOT / "docs").rglob("*.md"))
    missing = sorted(
        {
            f"{path.relative_to(ROOT)} -> {link}"
            for path in sources
            for link in pattern.findall(path.read_text())
            if not (ROOT / link).exists()
        }
    )
    assert missing == []


def test_the_conventions_page_names_every_rule():
    page = (ROOT / "docs" / "guide" / "conventions.md").read_text()
    for word in ("as_of", "random_state", "time_unit", "ci_low", "ci_high", "alpha", "fit"):
        assert f"`{word}`" in page
    for retired in RETIRED:
        assert f"`{retired}`" in page  # what each old name became
