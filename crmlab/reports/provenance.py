"""Provenance of a published report: what ran, on what, with which versions, when, where."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

from .. import __version__
from .fingerprint import code_fingerprint, data_fingerprint

KEY_PACKAGES = (
    "pandas",
    "numpy",
    "duckdb",
    "lifetimes",
    "scikit-learn",
    "statsmodels",
    "papermill",
    "nbconvert",
)


def git_state(root: Path) -> dict[str, object]:
    """Commit and dirty flag of the repository at root (None outside a git checkout)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def provenance(report, root: Path, kernel: str, started: str, finished: str) -> dict:
    """A JSON-ready record, written next to the HTML and shown in its footer."""
    versions = {}
    for package in KEY_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "report": report.name,
        "notebook": str(
            report.notebook.relative_to(root)
            if report.notebook.is_relative_to(root)
            else report.notebook
        ),
        "parameters": report.parameters,
        "data_fingerprint": data_fingerprint(report.parameters, root),
        "git": git_state(root),
        "crmlab_version": __version__,
        "crmlab_code_hash": code_fingerprint()[:16],
        "packages": versions,
        "python": platform.python_version(),
        "kernel": kernel,
        "started_utc": started,
        "finished_utc": finished,
        "host": platform.node(),
    }
