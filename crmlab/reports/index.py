"""``reports/index.html``: a gallery of every report, grouped by tag, with its status."""

from __future__ import annotations

import html
import os
from pathlib import Path

from .catalogue import Report

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>crmlab reports</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2rem auto; padding: 0 1rem;
  color: #1f2937; }}
h1 {{ border-bottom: 3px solid #2563eb; padding-bottom: .4rem; }}
h2 {{ margin-top: 2rem; color: #374151; }}
.cards {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 1rem; }}
.card {{ border: 1px solid #e5e7eb; border-radius: 8px; padding: 1rem; }}
.card h3 {{ margin: 0 0 .3rem 0; font-size: 1.1rem; }}
.card p {{ margin: .3rem 0; }}
.meta {{ color: #4b5563; font-size: .85rem; }}
.badge {{ display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .8rem;
  font-weight: 600; }}
.ok {{ background: #d1fae5; color: #065f46; }} .failed {{ background: #fee2e2; color: #991b1b; }}
.stale {{ background: #fef3c7; color: #92400e; }} .never {{ background: #e5e7eb; color: #374151; }}
code {{ font-size: .8rem; overflow-wrap: anywhere; }}
a {{ color: #2563eb; }}
</style></head><body>
<h1>crmlab reports</h1>
<p class="meta">{summary}</p>
{groups}
</body></html>
"""


def _card(report: Report, entry: dict, stale: bool, out_dir: Path) -> str:
    name = html.escape(report.name)
    title = html.escape(report.display_title)
    state = entry.get("status", "never")
    if state == "ok" and stale:
        state = "stale"
    label = {
        "ok": "ok",
        "failed": "failed",
        "stale": "stale (inputs changed)",
        "never": "not run yet",
    }.get(state, state)
    has_html = (out_dir / f"{report.name}.html").exists()
    heading = f'<a href="{name}.html">{title}</a>' if has_html else title
    links = []
    if has_html:
        links += [
            f'<a href="{name}.html">report</a>',
            f'<a href="{name}.ipynb">notebook</a>',
            f'<a href="{name}.provenance.json">provenance</a>',
        ]
    if state == "failed" and (out_dir / "_failed" / f"{report.name}.ipynb").exists():
        links.append(f'<a href="_failed/{name}.ipynb">failed notebook</a>')
    params = ", ".join(f"{k}={v}" for k, v in report.parameters.items())
    lines = [
        f'<div class="card" id="{name}"><h3>{heading}</h3>',
        f'<span class="badge {state}">{html.escape(label)}</span>',
        f"<p>{html.escape(report.description)}</p>" if report.description else "",
        f'<p class="meta">last success: {html.escape(entry.get("last_success", "never"))} UTC'
        + (f" &middot; took {entry['seconds']}s" if "seconds" in entry else "")
        + "</p>",
        f'<p class="meta">parameters: <code>{html.escape(params or "defaults")}</code></p>',
    ]
    if state == "failed":
        lines.append(f'<p class="meta">error: {html.escape(entry.get("error", ""))}</p>')
    if report.owner:
        lines.append(f'<p class="meta">owner: {html.escape(report.owner)}</p>')
    lines.append(f'<p class="meta">{" &middot; ".join(links)}</p></div>')
    return "\n".join(lines)


def write_index(
    reports: list[Report],
    status: dict[str, dict],
    out_dir: str | Path,
    stale: set[str] = frozenset(),
) -> Path:
    """Write index.html atomically; reports are grouped by their first tag."""
    out_dir = Path(out_dir)
    groups: dict[str, list[str]] = {}
    for report in reports:
        tag = report.tags[0] if report.tags else "other"
        card = _card(report, status.get(report.name, {}), report.name in stale, out_dir)
        groups.setdefault(tag, []).append(card)
    sections = "\n".join(
        f'<h2>{html.escape(tag)}</h2><div class="cards">{"".join(cards)}</div>'
        for tag, cards in groups.items()
    )
    states = [status.get(r.name, {}).get("status", "never") for r in reports]
    summary = (
        f"{len(reports)} reports: {states.count('ok')} ok, {states.count('failed')} "
        f"failed, {len(stale)} stale, {states.count('never')} not run yet"
    )
    path = out_dir / "index.html"
    tmp = out_dir / ".index.html.tmp"
    tmp.write_text(_PAGE.format(summary=summary, groups=sections), encoding="utf-8")
    os.replace(tmp, path)
    return path
