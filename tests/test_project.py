"""Project hygiene: dependency lists agree, generated files stay out of git, CLI and docs."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import yaml

from .conftest import ROOT


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert set(pip) - {"-e ."} == declared


def test_no_generated_files_are_tracked():
    tracked = subprocess.run(
        ["git", "ls-files", "data", "reports", "*.ipynb"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    generated = [
        p
        for p in tracked
        if not p.endswith((".gitkeep", "README.md")) and not p.startswith("notebooks/")
    ]
    assert generated == []


def test_readme_carries_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make reports" in readme and "make test" in readme


def test_makefile_help_lists_every_documented_target():
    out = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    for target in ("reports", "test", "lab", "sample-data", "bench", "clean"):
        assert f"make {target}" in out


def test_import_is_light_and_modules_are_reachable():
    code = (
        "import sys, crmlab; assert 'pandas' not in sys.modules, 'import crmlab is heavy'; "
        "crmlab.segment.rfm; crmlab.clv.fit; crmlab.experiment.analyze; crmlab.data.load"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
