"""The run status of every report (``_status.json``) and why a report is due to run again."""

from __future__ import annotations

import json
from pathlib import Path

from .catalogue import Report
from .fingerprint import cache_parts, key_of
from .kernels import KERNEL_NAME
from .paths import OutputFolder

STATUS_FILE = "_status.json"
FOOTER_MARK = '<footer class="crmlab-footer">'  # a complete report has its footer and </html>


def read_status(out_dir: str | Path, echo=None) -> dict[str, dict]:
    """The status of every report ever run into out_dir (empty when none).

    A damaged file (not JSON, not a mapping of mappings) is reported through ``echo`` and
    treated as empty — every report is then due, and the next run rewrites the file.
    """
    path = Path(out_dir) / STATUS_FILE
    if not path.exists():
        return {}
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        status = None
    if isinstance(status, dict) and all(isinstance(v, dict) for v in status.values()):
        return status
    if echo is not None:
        echo(f"{path} is damaged; every report counts as due and the file will be rewritten")
    return {}


def write_status(output: OutputFolder, status: dict) -> None:
    """Rewrite the status file atomically (never a half-written file)."""
    output.write_text(STATUS_FILE, json.dumps(status, indent=2, default=str))


def why_due(
    report: Report,
    out_dir: Path,
    root: Path,
    kernel: str,
    status: dict | None = None,
    parts: dict | None = None,
) -> str | None:
    """Why the report must run again, in a few words, or None when its last result stands.

    Due when it never succeeded, its last run failed, an input changed (which one is
    named), or its published files are missing or damaged (HTML without its footer or
    closing tag, provenance that does not parse). ``status`` and ``parts``
    (``fingerprint.cache_parts``) may be passed when the caller already has them.
    """
    entry = (read_status(out_dir) if status is None else status).get(report.name)
    if not entry:
        return "never run"
    if entry.get("status") not in ("ok", "cached"):
        return "last run failed"
    now = parts if parts is not None else cache_parts(report, root, kernel)
    if entry.get("cache_key") != key_of(now):
        before = entry.get("cache_parts") or {}
        changed = [part for part in now if before.get(part) != now[part]]
        return f"{', '.join(changed) or 'inputs'} changed"
    return _damage(Path(out_dir), report.name)


def due(report: Report, out_dir: Path, root: Path, kernel: str = KERNEL_NAME) -> bool:
    """True when the report has never succeeded, something it depends on changed, or its
    published files are missing or damaged (``why_due`` says which)."""
    return why_due(report, Path(out_dir), Path(root), kernel) is not None


def _damage(out_dir: Path, name: str) -> str | None:
    page = out_dir / f"{name}.html"
    if not page.is_file():
        return "HTML missing"
    text = page.read_text(encoding="utf-8", errors="replace")
    if FOOTER_MARK not in text or not text.rstrip().endswith("</html>"):
        return "HTML incomplete"
    try:
        record = json.loads((out_dir / f"{name}.provenance.json").read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return "provenance missing or damaged"
    return None if isinstance(record, dict) else "provenance missing or damaged"
