"""Executed notebook -> stakeholder HTML: code, prompts, parameters and warnings removed;
a header (title, description, run date, data, as_of, link to the index) and a provenance
footer added. Every user-provided string is HTML-escaped.

The page has no script at all: nbconvert's template would load require.js, MathJax and
mermaid (from a CDN, and inline), none of which a report needs; a template of our own
leaves them out, and a Content-Security-Policy forbids any script that might still come.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..escaping import html_text
from .html_scan import CSP_META

if TYPE_CHECKING:
    import nbformat

_HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell"}

# nbconvert's lab template without its script blocks; JavaScript outputs render as nothing.
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block data_javascript scoped -%}{%- endblock data_javascript -%}
{%- block data_widget_view -%}{%- endblock data_widget_view -%}
"""
_FAVICON = '<link rel="icon" href="data:,">'  # no favicon request, no 404

_STYLE = """<style>
.crmlab-header, .crmlab-footer { font-family: system-ui, sans-serif; max-width: 1100px;
  margin: 0 auto; padding: 1rem 1.5rem; color: #1f2937; }
.crmlab-header { border-bottom: 3px solid #2563eb; }
.crmlab-header h1 { margin: .2rem 0; font-size: 1.6rem; }
.crmlab-header .meta { color: #4b5563; font-size: .9rem; }
.crmlab-header a, .crmlab-footer a { color: #2563eb; }
.crmlab-footer { border-top: 1px solid #e5e7eb; margin-top: 2rem; font-size: .8rem;
  color: #4b5563; }
.crmlab-footer table { border-collapse: collapse; }
.crmlab-footer td { padding: .1rem .6rem .1rem 0; vertical-align: top; }
.jp-Notebook { max-width: 1100px; margin: 0 auto; }
/* Wide tables wrap inside the page instead of running off it, on screen and on paper. */
.jp-OutputArea-output table { max-width: 100%; }
.jp-OutputArea-output td, .jp-OutputArea-output th { white-space: normal;
  overflow-wrap: anywhere; }
@media print {
  .jp-Notebook, .crmlab-header, .crmlab-footer { max-width: none; }
  .jp-OutputArea-output table { font-size: 8pt; }
  .jp-OutputArea-output img { max-width: 100%; height: auto; }
}
</style>"""


def stakeholder_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without parameter cells and without stderr output (warnings, progress bars)."""
    import nbformat

    nb = nbformat.from_dict(nb)
    nb.cells = [
        c for c in nb.cells if not _HIDDEN_TAGS & set(c.get("metadata", {}).get("tags", []))
    ]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    return nb


def _exporter():
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        extra_loaders=[DictLoader({"crmlab_report.html.j2": _TEMPLATE})],
        template_file="crmlab_report.html.j2",
    )


def _header(report, record: dict) -> str:
    params = report.parameters
    source = params.get("source", "the notebook's default data")
    as_of = params.get("as_of") or "the date the data declares"
    description = f"<p>{html_text(report.description)}</p>" if report.description else ""
    if params.get("demo_mode"):
        description += (
            '<p class="demo">Demo mode: customer keys use the public demo key; '
            "this report is for synthetic or public data only.</p>"
        )
    return (
        f'<header class="crmlab-header"><a href="index.html">&larr; All reports</a>'
        f"<h1>{html_text(report.display_title)}</h1>{description}"
        f'<div class="meta">Run {html_text(record["finished_utc"])} UTC &middot; data: '
        f"{html_text(str(source))} &middot; as of {html_text(str(as_of))}</div></header>"
    )


def _footer(record: dict) -> str:
    git = record["git"]
    commit = (git["commit"] or "not a git checkout")[:12] + (
        " (uncommitted changes)" if git["dirty"] else ""
    )
    versions = ", ".join(f"{k} {v}" for k, v in record["packages"].items() if v)
    rows = [
        ("parameters", json.dumps(record["parameters"], sort_keys=True, default=str)),
        (
            "data fingerprint",
            ", ".join(
                f"{k}: {v[:16] if len(v) == 64 else v}"
                for k, v in record["data_fingerprint"].items()
            )
            or "none",
        ),
        (
            "code",
            f"crmlab {record['crmlab_version']} (code {record['crmlab_code_hash']}), git {commit}",
        ),
        ("packages", f"python {record['python']}, {versions}"),
        ("checks", record.get("checks", "")),
        (
            "run",
            f"{record['started_utc']} to {record['finished_utc']} UTC on "
            f"{record['host']}, kernel {record['kernel']}",
        ),
    ]
    body = "".join(f"<tr><td>{html_text(k)}</td><td>{html_text(v)}</td></tr>" for k, v in rows)
    return (
        f'<footer class="crmlab-footer"><strong>Provenance</strong><table>{body}</table></footer>'
    )


def to_html(notebook: str | Path, html_path: str | Path, report, record: dict) -> Path:
    """Render an executed notebook as self-contained HTML (images embedded, code hidden)."""
    # imported here, not at the top: nbformat's schema checks take 0.7 s to import, which a
    # run whose reports are all cached would otherwise pay
    import nbformat

    nb = stakeholder_notebook(nbformat.read(str(notebook), as_version=4))
    body, _ = _exporter().from_notebook_node(
        nb, resources={"metadata": {"name": report.display_title}}
    )
    head = body.index(">", body.index("<head")) + 1
    body = body[:head] + CSP_META + body[head:]  # first in <head>: it governs all that follows
    body = body.replace("</head>", _FAVICON + _STYLE + "</head>", 1)
    start = body.index(">", body.index("<body")) + 1
    body = body[:start] + _header(report, record) + body[start:]
    end = body.rindex("</body>")
    body = body[:end] + _footer(record) + body[end:]
    html_path = Path(html_path)
    html_path.write_text(body, encoding="utf-8")
    return html_path
