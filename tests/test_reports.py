"""The catalogue is checked before anything runs; reports publish atomically."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import nbformat
import pytest
import yaml
from papermill.translators import PythonTranslator

from crmlab.errors import ReportError
from crmlab.reports import load_catalogue, notebook_parameters
from crmlab.reports.catalogue import Expression

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_stored_clean_with_one_parameters_cell(path):
    nb = json.loads(path.read_text())
    assert not [c for c in nb["cells"] if c.get("outputs")], "strip outputs before committing"
    assert not [c for c in nb["cells"] if c.get("execution_count")]
    assert nb["metadata"]["kernelspec"]["name"] == "crmlab"
    params = notebook_parameters(path)  # raises unless exactly one tagged cell
    assert params, "the parameters cell declares nothing"
    # papermill must understand every line too (it cannot parse e.g. '=' inside a comment)
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    seen_by_papermill = PythonTranslator.inspect(
        nbformat.from_dict({**cell, "source": "".join(cell["source"])})
    )
    assert sorted(p.name for p in seen_by_papermill) == sorted(params)
    code = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "def " not in code, "notebooks stay thin: functions belong in crmlab"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_read_no_undeclared_names(path):
    """Every name a notebook reads is a parameter, an import or assigned in the notebook."""
    import ast
    import builtins

    nb = json.loads(path.read_text())
    tree = ast.parse(
        "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    )
    bound = set(dir(builtins)) | {"display", "get_ipython"}  # IPython injects these two
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    assert read <= bound, f"undeclared names: {sorted(read - bound)}"


def test_repository_catalogue_is_valid():
    reports = load_catalogue(ROOT / "reports.yaml")
    assert {r.name for r in reports} >= {"data_overview_sample", "data_overview_cdnow"}


def _catalogue(tmp_path, entries):
    (tmp_path / "notebooks").mkdir(exist_ok=True)
    shutil.copy(ROOT / "notebooks" / "data_overview.ipynb", tmp_path / "notebooks")
    path = tmp_path / "reports.yaml"
    path.write_text(yaml.safe_dump({"reports": entries}))
    return path


def test_catalogue_problems_are_listed_together(tmp_path):
    nb = "notebooks/data_overview.ipynb"
    path = _catalogue(
        tmp_path,
        [
            {"name": "a", "notebook": nb, "parameters": {"sourse": "cdnow"}},
            {"name": "a", "notebook": nb},
            {"name": "b", "notebook": "notebooks/missing.ipynb"},
            {"name": "c", "notebook": nb, "parameters": {"source": 3}},
            {"name": "d", "notebook": nb, "colour": "red"},
        ],
    )
    with pytest.raises(ReportError) as info:
        load_catalogue(path)
    text = str(info.value)
    assert "'sourse' is not declared" in text
    assert "duplicate name" in text
    assert "missing.ipynb does not exist" in text
    assert "'source'=3 is a int" in text
    assert "unknown keys ['colour']" in text


def test_a_catalogue_names_the_engine_its_reports_aggregate_on(tmp_path):
    """Top-level engine: given to every notebook that declares one, unless its entry says
    otherwise; engines are checked up front, and a literal token is refused."""
    nb, address = "notebooks/data_overview.ipynb", "sc://cluster:443/;token=${SPARK_TOKEN}"
    path = _catalogue(
        tmp_path,
        [
            {"name": "a", "notebook": nb},
            {"name": "b", "notebook": nb, "parameters": {"engine": None}},
        ],
    )
    raw = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({"engine": {"spark": address}, **raw}))
    catalogue = load_catalogue(path)
    assert catalogue.engine == {"spark": address}
    assert catalogue.reports[0].parameters == {"engine": {"spark": address}}
    assert catalogue.reports[1].parameters == {"engine": None}  # this one stays local
    raw["reports"][1]["parameters"] = {"engine": {"spark": "sc://h/;token=abc"}}
    path.write_text(yaml.safe_dump({"engine": "spark", **raw}))
    with pytest.raises(ReportError) as info:
        load_catalogue(path)
    assert "reports.yaml: engine='spark'" in str(info.value)
    assert "parameter engine: the Spark Connect address holds a literal token" in str(info.value)


def test_catalogue_is_read_once_and_selects_by_name_and_tag(tmp_path):
    from crmlab.reports.demo_policy import with_demo_mode

    nb = "notebooks/data_overview.ipynb"
    path = _catalogue(
        tmp_path,
        [
            {"name": "a", "notebook": nb, "tags": ["data"]},
            {"name": "b", "notebook": nb, "tags": ["value"]},
            {"name": "c", "notebook": nb, "tags": ["data", "value"]},
        ],
    )
    catalogue = load_catalogue(path)
    assert catalogue.names == ("a", "b", "c") and catalogue.demo is False
    assert catalogue.root == tmp_path.resolve()
    assert [r.name for r in catalogue.select(tags=["data"])] == ["a", "c"]
    assert [r.name for r in catalogue.select(["c", "b"], tags=["value"])] == ["b", "c"]
    assert [r.name for r in catalogue.select()] == ["a", "b", "c"]
    with pytest.raises(ReportError, match=r"unknown report\(s\) \['x'\].*known: a, b, c"):
        catalogue.select(["a", "x"])
    # the notebooks' parameters were read when loading: nothing reads them again
    (tmp_path / nb).unlink()
    first = catalogue.reports[0]
    assert with_demo_mode(first, demo=True) == first  # data_overview has no demo_mode
    told = replace(first, declared={**first.declared, "demo_mode": False})
    assert with_demo_mode(told, demo=True).parameters == {"demo_mode": True}


def test_parameters_cell_is_parsed(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("a = 1\nb: str = 'x'  # note\nk = range(2, 9)\n")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nbformat.write(nb, tmp_path / "n.ipynb")
    assert notebook_parameters(tmp_path / "n.ipynb") == {
        "a": 1,
        "b": "x",
        "k": Expression("range(2, 9)"),
    }
    twin = nbformat.v4.new_code_cell("c = 2")
    twin.metadata["tags"] = ["parameters"]
    nb.cells = [cell, twin]
    nbformat.write(nb, tmp_path / "n.ipynb")
    with pytest.raises(ReportError, match="2 cells are tagged 'parameters'"):
        notebook_parameters(tmp_path / "n.ipynb")
