"""``reports/index.html``: a gallery of every report, grouped by tag, with its status."""

from __future__ import annotations

from pathlib import Path

from ..escaping import html_text
from .catalogue import Report
from .html_scan import CSP_META
from .paths import PRIVATE_DIR, OutputFolder, name_problem

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
{csp}
<title>crmlab reports</title>
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
    # Names are checked by the catalogue; checked again here because they become URLs.
    if problem := name_problem(report.name, "report name"):
        raise ValueError(problem)
    name = html_text(report.name)
    title = html_text(report.display_title)
    state = entry.get("status", "never")
    if state == "ok" and stale:
        state = "stale"
    label = {
        "ok": "ok",
        "failed": "failed",
        "stale": "stale (inputs changed)",
        "never": "not run yet",
    }.get(state, "unknown")
    state = state if state in ("ok", "failed", "stale", "never") else "never"
    has_html = (out_dir / f"{report.name}.html").is_file()
    heading = f'<a href="{name}.html">{title}</a>' if has_html else title
    links = []
    if has_html:
        links += [
            f'<a href="{name}.html">report</a>',
            f'<a href="{name}.ipynb">notebook</a>',
            f'<a href="{name}.provenance.json">provenance</a>',
        ]
    params = ", ".join(f"{k}={v}" for k, v in report.parameters.items())
    took = entry.get("seconds")
    lines = [
        f'<div class="card" id="{name}"><h3>{heading}</h3>',
        f'<span class="badge {state}">{html_text(label)}</span>',
        f"<p>{html_text(report.description)}</p>" if report.description else "",
        f'<p class="meta">{_last_success(entry)}'
        + (f" &middot; took {html_text(took)}s" if took is not None else "")
        + "</p>",
        f'<p class="meta">parameters: <code>{html_text(params or "defaults")}</code></p>',
    ]
    if state == "failed":
        lines.append(
            f'<p class="meta">error: {html_text(entry.get("error", ""))} (the failed notebook, '
            f"outputs removed, is kept in <code>{PRIVATE_DIR}/</code> where it ran)</p>"
        )
    if report.owner:
        lines.append(f'<p class="meta">owner: {html_text(report.owner)}</p>')
    lines.append(f'<p class="meta">{" &middot; ".join(links)}</p></div>')
    return "\n".join(lines)


def write_index(
    reports: list[Report],
    status: dict[str, dict],
    output: OutputFolder,
    stale: set[str] = frozenset(),
) -> Path:
    """Write index.html atomically; reports are grouped by their first tag."""
    groups: dict[str, list[str]] = {}
    for report in reports:
        tag = report.tags[0] if report.tags else "other"
        card = _card(report, status.get(report.name, {}), report.name in stale, output.root)
        groups.setdefault(tag, []).append(card)
    sections = "\n".join(
        f'<h2>{html_text(tag)}</h2><div class="cards">{"".join(cards)}</div>'
        for tag, cards in groups.items()
    )
    states = [status.get(r.name, {}).get("status", "never") for r in reports]
    summary = (
        f"{len(reports)} reports: {states.count('ok')} ok, {states.count('failed')} "
        f"failed, {len(stale)} stale, {states.count('never')} not run yet"
    )
    page = _PAGE.format(csp=CSP_META, summary=summary, groups=sections)
    return output.write_text("index.html", page)


def _last_success(entry: dict) -> str:
    """'last success: 2024-05-01 10:00 UTC', or 'never succeeded' (escaped)."""
    when = entry.get("last_success")
    return f"last success: {html_text(when)} UTC" if when else "never succeeded"
