"""Executed notebook -> stakeholder HTML: code, prompts, parameters and warnings removed."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

_HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell"}


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


def to_html(notebook: str | Path, html_path: str | Path, title: str) -> Path:
    """Render an executed notebook as self-contained HTML (images embedded, code hidden)."""
    nb = stakeholder_notebook(nbformat.read(str(notebook), as_version=4))
    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    html_path = Path(html_path)
    html_path.write_text(body, encoding="utf-8")
    return html_path
