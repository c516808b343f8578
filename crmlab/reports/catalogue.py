"""``reports.yaml``: which notebook runs with which parameters, checked before anything runs.

papermill only warns about a parameter the notebook does not declare and then silently runs
with the default; the catalogue makes that (and other mistakes) an error up front.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ReportError

_ALLOWED_KEYS = {"name", "notebook", "parameters", "title", "description", "owner", "tags"}


@dataclass(frozen=True)
class Report:
    """One entry of the catalogue: a notebook and the parameters to run it with."""

    name: str
    notebook: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    description: str = ""
    owner: str = ""
    tags: tuple[str, ...] = ()

    @property
    def display_title(self) -> str:
        return self.title or self.name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Expression:
    """A parameter default that is code, not a literal (e.g. ``range(2, 9)``)."""

    source: str


def catalogue_demo_mode(path: str | Path = "reports.yaml") -> bool:
    """The catalogue's top-level ``demo: true|false`` (default false): whether its reports may
    use the public demo pseudonym key (synthetic or public data only)."""
    raw = yaml.safe_load(Path(path).read_text()) or {}
    demo = raw.get("demo", False) if isinstance(raw, dict) else False
    if not isinstance(demo, bool):
        raise ReportError(f"{path}: 'demo' must be true or false, not {demo!r}")
    return demo


def notebook_parameters(notebook: str | Path) -> dict[str, Any]:
    """Names and default values assigned in the notebook's cell tagged ``parameters``.

    Raises ReportError unless exactly one cell carries the tag. Defaults that are not plain
    literals are returned as ``Expression``.
    """
    path = Path(notebook)
    cells = json.loads(path.read_text())["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise ReportError(
            f"{path}: {len(tagged)} cells are tagged 'parameters'; exactly one is needed "
            "(papermill injects values after it)."
        )
    source = "".join(tagged[0]["source"])
    params: dict[str, Any] = {}
    for node in ast.parse(source).body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else (
                [node.target] if isinstance(node, ast.AnnAssign) and node.value is not None else []
            )
        )
        for target in targets:
            if isinstance(target, ast.Name):
                try:
                    params[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    params[target.id] = Expression(ast.get_source_segment(source, node.value))
    return params


def load_catalogue(path: str | Path = "reports.yaml") -> list[Report]:
    """Read and check the catalogue; every problem found is listed in one ReportError.

    Checks: known keys, unique names, notebook exists, every parameter is declared in the
    notebook's parameters cell and has the type of its default (None defaults accept
    anything; ints are accepted where floats are expected).
    """
    path = Path(path)
    if not path.exists():
        raise ReportError(f"no report catalogue at {path}")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ReportError(f"{path} is not valid YAML: {exc}") from exc
    entries = raw.get("reports") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ReportError(f"{path} needs a non-empty list under the key 'reports'")
    root = path.parent
    problems: list[str] = []
    reports: list[Report] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, 1):
        where = f"{path} entry {i}"
        if not isinstance(entry, dict) or "name" not in entry or "notebook" not in entry:
            problems.append(f"{where}: needs at least 'name' and 'notebook'")
            continue
        name = str(entry["name"])
        where = f"{path} report {name!r}"
        unknown = set(entry) - _ALLOWED_KEYS
        if unknown:
            problems.append(
                f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(_ALLOWED_KEYS)})"
            )
        if name in seen:
            problems.append(f"{where}: duplicate name")
        seen.add(name)
        notebook = root / entry["notebook"]
        if not notebook.exists():
            problems.append(f"{where}: notebook {entry['notebook']} does not exist")
            continue
        params = entry.get("parameters") or {}
        try:
            declared = notebook_parameters(notebook)
        except ReportError as exc:
            problems.append(f"{where}: {exc}")
            continue
        problems += [f"{where}: {p}" for p in _check_parameters(params, declared, notebook)]
        reports.append(
            Report(
                name=name,
                notebook=notebook,
                parameters=dict(params),
                title=str(entry.get("title", "")),
                description=str(entry.get("description", "")),
                owner=str(entry.get("owner", "")),
                tags=tuple(entry.get("tags", ()) or ()),
            )
        )
    if problems:
        raise ReportError("the report catalogue has problems:\n  - " + "\n  - ".join(problems))
    return reports


def _check_parameters(params: dict, declared: dict, notebook: Path) -> list[str]:
    problems = []
    for key, value in params.items():
        if key not in declared:
            problems.append(
                f"parameter {key!r} is not declared in {notebook.name}'s parameters cell "
                f"(declared: {', '.join(sorted(declared))})"
            )
            continue
        default = declared[key]
        if default is None or value is None or isinstance(default, Expression):
            continue
        expected = (int, float) if isinstance(default, float) else type(default)
        if isinstance(default, bool) != isinstance(value, bool) or not isinstance(value, expected):
            problems.append(
                f"parameter {key!r}={value!r} is a {type(value).__name__}; the notebook's "
                f"default is a {type(default).__name__} ({default!r})"
            )
    return problems
