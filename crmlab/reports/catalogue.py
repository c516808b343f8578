"""``reports.yaml``: which notebook runs with which parameters, checked before anything runs.

papermill only warns about a parameter the notebook does not declare and then silently runs
with the default; the catalogue makes that (and other mistakes) an error up front.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..data.paths import relative_problem
from ..engines import engine_problem
from ..errors import ReportError
from .paths import name_problem

# Parameters the runner sets itself: the run's output folder and demo mode.
RUNNER_PARAMETERS = ("output_dir", "demo_mode")

_ALLOWED_KEYS = {"name", "notebook", "parameters", "title", "description", "owner", "tags"}


@dataclass(frozen=True)
class Report:
    """One entry of the catalogue: a notebook and the parameters to run it with.

    ``declared`` is the notebook's parameters cell (names and defaults), read once when the
    report is made; it is what the catalogue checks against and what the runner consults.
    """

    name: str
    notebook: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    description: str = ""
    owner: str = ""
    tags: tuple[str, ...] = ()
    declared: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.declared is None:
            object.__setattr__(self, "declared", notebook_parameters(self.notebook))

    @property
    def display_title(self) -> str:
        return self.title or self.name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Catalogue:
    """``reports.yaml``, read and checked once: its reports in order and its demo choice.

    ``demo``: the catalogue's top-level ``demo: true|false`` (default false) — whether its
    reports may use the public demo pseudonym key (synthetic or public data only).
    ``engine``: the top-level ``engine:`` (e.g. ``{spark: "sc://host:15002"}``), given as
    the ``engine`` parameter to every report whose notebook declares one and whose entry
    does not set its own; None: the embedded DuckDB.
    Relative paths in the catalogue (notebooks, data sources) are relative to ``root``,
    the folder that holds the file.
    """

    path: Path
    reports: tuple[Report, ...]
    demo: bool = False
    engine: Any = None

    @property
    def root(self) -> Path:
        return self.path.resolve().parent

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.reports)

    def __iter__(self) -> Iterator[Report]:
        return iter(self.reports)

    def __len__(self) -> int:
        return len(self.reports)

    def select(self, names: Iterable[str] = (), tags: Iterable[str] = ()) -> tuple[Report, ...]:
        """The reports named (all when none are), keeping those with one of ``tags`` (any
        when none are given), in catalogue order. ReportError for a name not in it."""
        names, tags = set(names), set(tags)
        unknown = names - set(self.names)
        if unknown:
            raise ReportError(
                f"unknown report(s) {sorted(unknown)} in {self.path} "
                f"(known: {', '.join(self.names)})"
            )
        return tuple(
            r
            for r in self.reports
            if (not names or r.name in names) and (not tags or tags & set(r.tags))
        )


def is_data_parameter(name: str) -> bool:
    """Inputs are parameters named ``source`` or ``*_source``; other paths are not inputs."""
    return name == "source" or name.endswith("_source")


def is_output_parameter(name: str) -> bool:
    """Outputs are parameters named ``export_path`` or ``*_export_path``: files a notebook
    writes, always relative to (and inside) the run's output folder."""
    return name == "export_path" or name.endswith("_export_path")


@dataclass(frozen=True)
class Expression:
    """A parameter default that is code, not a literal (e.g. ``range(2, 9)``)."""

    source: str


def _read_yaml(path: Path):
    if not path.is_file():
        raise ReportError(f"no report catalogue at {path}")
    try:
        return yaml.safe_load(path.read_bytes().decode("utf-8")) or {}
    except UnicodeDecodeError as exc:
        raise ReportError(
            f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    except yaml.YAMLError as exc:
        raise ReportError(f"{path} is not valid YAML: {exc}") from None


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


def load_catalogue(path: str | Path = "reports.yaml") -> Catalogue:
    """Read and check the catalogue; every problem found is listed in one ReportError.

    Checks: known keys, names and tags that are safe file names (``NAME_RULE``), unique
    names, notebook is an existing file, parameters form a mapping, every parameter is
    declared in the notebook's parameters cell and has the type of its default (None
    defaults accept anything; ints are accepted where floats are expected), parameters the
    runner sets are not set here, output paths stay inside the output folder, ``demo``
    (optional) is true or false, and ``engine`` (top-level or a report's parameter) is one
    crmlab can connect to, with no literal secret (``engines.engine_problem``).
    """
    path = Path(path)
    raw = _read_yaml(path)
    entries = raw.get("reports") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ReportError(f"{path} needs a non-empty list under the key 'reports'")
    demo = raw.get("demo", False)
    problems: list[str] = []
    if not isinstance(demo, bool):
        problems.append(f"{path}: 'demo' must be true or false, not {demo!r}")
    engine = raw.get("engine")
    if problem := engine_problem(engine):
        problems.append(f"{path}: {problem}")
        engine = None
    reports: list[Report] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, 1):
        report, found = _read_entry(entry, f"{path} entry {i}", path.parent, engine)
        if report is not None and report.name in seen:
            found.append(f"{path} report {report.name!r}: duplicate name")
        problems += found
        if report is not None:
            seen.add(report.name)
            reports.append(report)
    if problems:
        raise ReportError("the report catalogue has problems:\n  - " + "\n  - ".join(problems))
    return Catalogue(path, tuple(reports), demo, engine)


def _read_entry(entry, where: str, root: Path, engine=None) -> tuple[Report | None, list[str]]:
    """One catalogue entry as a Report (None when unusable) and the problems found in it.
    engine: the catalogue's engine, for a notebook that declares one the entry leaves unset."""
    if not isinstance(entry, dict) or "name" not in entry or "notebook" not in entry:
        return None, [f"{where}: needs at least 'name' and 'notebook'"]
    problems = []
    name = entry["name"]
    if problem := name_problem(name, "report name"):
        return None, [f"{where}: {problem}"]
    where = f"{where} ({name!r})"
    unknown = set(entry) - _ALLOWED_KEYS
    if unknown:
        problems.append(
            f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(_ALLOWED_KEYS)})"
        )
    tags = entry.get("tags") or []
    if not isinstance(tags, list):
        problems.append(f"{where}: tags must be a list, e.g. [data], not {tags!r}")
        tags = []
    problems += [f"{where}: {p}" for t in tags if (p := name_problem(t, "tag"))]
    for key in ("title", "description", "owner"):
        if not isinstance(entry.get(key, ""), str):
            problems.append(f"{where}: {key} must be text, not {entry[key]!r}")
    params = entry.get("parameters") or {}
    if not isinstance(params, dict):
        problems.append(f"{where}: parameters must be a mapping (name: value), not {params!r}")
        params = {}
    notebook = entry["notebook"]
    if not isinstance(notebook, str) or not (root / notebook).is_file():
        return None, [*problems, f"{where}: notebook {notebook} does not exist or is not a file"]
    notebook = root / notebook
    try:
        declared = notebook_parameters(notebook)
    except ReportError as exc:
        return None, [*problems, f"{where}: {exc}"]
    problems += [f"{where}: {p}" for p in _check_parameters(params, declared, notebook)]
    if engine is not None and "engine" in declared and "engine" not in params:
        params = {**params, "engine": engine}
    report = Report(
        name=name,
        notebook=notebook,
        parameters=dict(params),
        title=str(entry.get("title", "")),
        description=str(entry.get("description", "")),
        owner=str(entry.get("owner", "")),
        tags=tuple(t for t in tags if isinstance(t, str)),
        declared=declared,
    )
    return report, problems


def _check_parameters(params: dict, declared: dict, notebook: Path) -> list[str]:
    problems = []
    for key, value in params.items():
        if key in RUNNER_PARAMETERS:
            problems.append(f"parameter {key!r} is set by the report runner, not the catalogue")
            continue
        if key == "engine" and (problem := engine_problem(value)):
            problems.append(f"parameter engine: {problem}")
        if is_output_parameter(key) and value is not None:
            problem = relative_problem(value) if isinstance(value, str) else "is not text"
            if problem:
                problems.append(
                    f"parameter {key}={value!r} {problem}: outputs are written inside the "
                    "output folder (e.g. exports/segments.csv)"
                )
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
