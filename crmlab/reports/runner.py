"""Execute catalogue entries with papermill and publish them atomically into ``reports/``.

A report is rendered in a temporary folder and moved into place only when everything
succeeded, so a failed run never overwrites the last good HTML. The failed notebook (with
papermill's error cell) is kept in ``reports/_failed/<name>.ipynb``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from .catalogue import Report
from .index import write_index
from .render import to_html

KERNEL_NAME = "crmlab"  # registered in the project's venv by `make` (ipykernel --sys-prefix)
STATUS_FILE = "_status.json"


@dataclass
class RunResult:
    """What happened to one report."""

    name: str
    status: str  # "ok" or "failed"
    seconds: float
    finished: str  # UTC, ISO 8601
    error: str = ""


def run_report(
    report: Report,
    out_dir: str | Path = "reports",
    cwd: str | Path = ".",
    kernel: str = KERNEL_NAME,
    cell_timeout: int = 1800,
) -> RunResult:
    """Execute one report's notebook and publish <name>.ipynb and <name>.html into out_dir."""
    import papermill as pm

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=f".tmp-{report.name}-") as tmp:
        executed = Path(tmp) / f"{report.name}.ipynb"
        try:
            pm.execute_notebook(
                str(report.notebook),
                str(executed),
                parameters=report.parameters,
                kernel_name=kernel,
                cwd=str(cwd),
                progress_bar=False,
                execution_timeout=cell_timeout,
                log_output=False,
            )
            to_html(executed, Path(tmp) / f"{report.name}.html", report.display_title)
        except Exception as exc:  # papermill/nbconvert raise many kinds; all mean "failed"
            failed = out_dir / "_failed"
            failed.mkdir(exist_ok=True)
            if executed.exists():
                shutil.copy(executed, failed / executed.name)
            return RunResult(
                report.name, "failed", time.perf_counter() - started, _now(), error=_first_line(exc)
            )
        for suffix in (".ipynb", ".html"):
            os.replace(Path(tmp) / f"{report.name}{suffix}", out_dir / f"{report.name}{suffix}")
    stale = out_dir / "_failed" / f"{report.name}.ipynb"
    stale.unlink(missing_ok=True)
    return RunResult(report.name, "ok", time.perf_counter() - started, _now())


def run_catalogue(
    reports: list[Report],
    out_dir: str | Path = "reports",
    cwd: str | Path = ".",
    kernel: str = KERNEL_NAME,
    echo=print,
) -> list[RunResult]:
    """Run reports one after another, then rewrite the index page."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    status_path = out_dir / STATUS_FILE
    status = json.loads(status_path.read_text()) if status_path.exists() else {}
    results = []
    for report in reports:
        echo(f"{report.name}: running {report.notebook}")
        result = run_report(report, out_dir, cwd=cwd, kernel=kernel)
        echo(f"{report.name}: {result.status} in {result.seconds:.1f}s {result.error}".rstrip())
        status[report.name] = asdict(result)
        results.append(result)
    status_path.write_text(json.dumps(status, indent=2))
    write_index(reports, status, out_dir)
    return results


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}"[:300]
