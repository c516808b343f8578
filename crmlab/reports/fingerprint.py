"""What a report depends on, reduced to hashes: the key that decides whether to re-run it.

A report is re-run when any of these change: the notebook file, its parameters, the data
its parameters point at (file contents), the crmlab source code, or the kernel name.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path

from ..data.datasets import BUILTIN_DATASETS
from ..data.spec import is_import_spec
from .catalogue import Report, is_data_parameter


def _hash_files(paths: list[Path]) -> str:
    """SHA-256 over the files' names and contents (in path order)."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.name).encode())
        digest.update(_hash_file(str(path), *_stamp(path)).encode())
    return digest.hexdigest()


def _stamp(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_size, info.st_mtime_ns


@cache
def _hash_file(path: str, size: int, mtime_ns: int) -> str:
    """Content hash of one file; memoized on (path, size, mtime) because several reports of a
    run usually read the same data folder (a changed file gets a new stamp, so a new hash)."""
    del size, mtime_ns  # part of the cache key only
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_fingerprint(parameters: dict, root: Path) -> dict[str, str]:
    """A hash per data parameter: a file, a folder (all files in it) or a built-in data set."""
    out = {}
    for key, value in sorted(parameters.items()):
        if not isinstance(value, str) or not is_data_parameter(key):
            continue
        if value in BUILTIN_DATASETS:
            package = BUILTIN_DATASETS[value].package
            out[key] = f"{value}@{package}=={metadata.version(package)}"
            continue
        path = root / value
        if is_import_spec(path):
            out[key] = _spec_fingerprint(path)
        elif path.is_file():
            out[key] = _hash_files([path])
        elif path.is_dir():
            out[key] = _hash_files([p for p in path.rglob("*") if p.is_file()])
    return out


def _spec_fingerprint(path: Path) -> str:
    """An import spec and the files it reads; a database source is always new (it cannot be
    fingerprinted without reading it), so such reports are always due."""
    from ..data.importer import spec_inputs
    from ..errors import CRMLabError

    try:
        inputs = spec_inputs(path)
    except CRMLabError as exc:  # a broken spec: due, and the run reports the error
        return f"unreadable spec: {exc}"
    if inputs is None:
        return f"database, read at {datetime.now(UTC).isoformat()}"
    return _hash_files(inputs)


@cache
def code_fingerprint() -> str:
    """Hash of every crmlab source file (so an edited analysis invalidates the cache)."""
    package = Path(__file__).resolve().parents[1]
    return _hash_files(list(package.rglob("*.py")))


def cache_parts(report: Report, root: Path, kernel: str) -> dict[str, str]:
    """A hash per thing the report's output depends on (notebook, parameters, data, code,
    kernel), so that a changed input can be named."""

    def digest(value) -> str:
        text = json.dumps(value, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    return {
        "notebook": _hash_files([report.notebook])[:16],
        "parameters": digest(report.parameters),
        "data": digest(data_fingerprint(report.parameters, root)),
        "code": code_fingerprint()[:16],
        "kernel": kernel,
    }


def key_of(parts: dict[str, str]) -> str:
    """One hash over the parts."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def cache_key(report: Report, root: Path, kernel: str) -> str:
    """One hash over everything the report's output depends on."""
    return key_of(cache_parts(report, root, kernel))
