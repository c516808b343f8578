"""Executed notebook -> stakeholder HTML: code, prompts, parameters and warnings removed;
a header (title, description, run date, data, as_of, link to the index) and a provenance
footer added. Every user-provided string is HTML-escaped."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

_HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell"}

# The nbconvert template loads require.js and MathJax from a CDN; reports must open offline
# (and have no widgets or formulas), so those script tags are removed.
_CDN_SCRIPT = re.compile(r'<script[^>]*src="https?://[^"]*"[^>]*>\s*</script>', re.S)
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
</style>"""


def stakeholder_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without parameter cells and without stderr output (warnings, progress bars)."""
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


def _header(report, record: dict) -> str:
    params = report.parameters
    source = params.get("source", "the notebook's default data")
    as_of = params.get("as_of") or "the date the data declares"
    description = f"<p>{html.escape(report.description)}</p>" if report.description else ""
    if params.get("demo_mode"):
        description += (
            '<p class="demo">Demo mode: customer keys use the public demo key; '
            "this report is for synthetic or public data only.</p>"
        )
    return (
        f'<header class="crmlab-header"><a href="index.html">&larr; All reports</a>'
        f"<h1>{html.escape(report.display_title)}</h1>{description}"
        f'<div class="meta">Run {html.escape(record["finished_utc"])} UTC &middot; data: '
        f"{html.escape(str(source))} &middot; as of {html.escape(str(as_of))}</div></header>"
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
        (
            "run",
            f"{record['started_utc']} to {record['finished_utc']} UTC on "
            f"{record['host']}, kernel {record['kernel']}",
        ),
    ]
    body = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return (
        f'<footer class="crmlab-footer"><strong>Provenance</strong><table>{body}</table></footer>'
    )


def to_html(notebook: str | Path, html_path: str | Path, report, record: dict) -> Path:
    """Render an executed notebook as self-contained HTML (images embedded, code hidden)."""
    nb = stakeholder_notebook(nbformat.read(str(notebook), as_version=4))
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(
        nb, resources={"metadata": {"name": html.escape(report.display_title)}}
    )
    body = _CDN_SCRIPT.sub("", body)
    body = body.replace("</head>", _FAVICON + _STYLE + "</head>", 1)
    start = body.index(">", body.index("<body")) + 1
    body = body[:start] + _header(report, record) + body[start:]
    end = body.rindex("</body>")
    body = body[:end] + _footer(record) + body[end:]
    html_path = Path(html_path)
    html_path.write_text(body, encoding="utf-8")
    return html_path
