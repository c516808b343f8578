"""``reports/index.html``: one page linking every report, with its status."""

from __future__ import annotations

import html
from pathlib import Path

from .catalogue import Report

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>crmlab reports</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 960px; margin: 2rem auto; color: #1f2937; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .5rem; border-bottom: 1px solid #e5e7eb; }}
.ok {{ color: #047857; }} .failed {{ color: #b91c1c; font-weight: bold; }}
</style></head><body>
<h1>crmlab reports</h1>
<table><thead><tr><th>report</th><th>description</th><th>status</th><th>finished (UTC)</th>
<th>notebook</th></tr></thead><tbody>
{rows}
</tbody></table></body></html>
"""


def write_index(reports: list[Report], status: dict[str, dict], out_dir: str | Path) -> Path:
    """Write index.html; ``status`` maps report name -> {"status", "finished", ...}."""
    rows = []
    for report in reports:
        info = status.get(report.name, {"status": "not run"})
        state = info.get("status", "not run")
        name = html.escape(report.name)
        title = html.escape(report.display_title)
        link = f'<a href="{name}.html">{title}</a>' if state == "ok" else title
        notebook = f'<a href="{name}.ipynb">ipynb</a>' if state == "ok" else ""
        rows.append(
            f"<tr><td>{link}</td><td>{html.escape(report.description)}</td>"
            f'<td class="{html.escape(state)}">{html.escape(state)}</td>'
            f"<td>{html.escape(str(info.get('finished', '')))}</td><td>{notebook}</td></tr>"
        )
    path = Path(out_dir) / "index.html"
    path.write_text(_PAGE.format(rows="\n".join(rows)), encoding="utf-8")
    return path
