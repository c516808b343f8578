"""A flow chart of journey paths (Sankey-like), drawn with matplotlib: no scripts, so it is
safe in a shared report.

Columns are the steps of a journey: its touches, then its outcome (conversion or not) right
after the last one. A box is a channel (or an outcome) at a step, as tall as the journeys
through it; bands join consecutive steps, as wide as the journeys that took that way. Only
the most frequent paths are drawn, cut after ``max_steps`` touches ("…" marks the cut).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path

from .errors import ParameterError
from .features.journeys import split_path
from .plots import PALETTE

OUTCOMES = {True: "conversion", False: "no conversion"}
_GAP = 0.04  # between boxes of one column, as a share of the column's height
_BOX = 0.12  # box width, in steps


def path_flow(table: pd.DataFrame, top: int = 12, max_steps: int = 4, title: str = "", ax=None):
    """Draw the ``top`` most frequent paths of a journeys table (``path``, ``converted``;
    ``features.journeys(...).table``) as flows from touch to touch to the outcome."""
    steps = _steps(table, top, max_steps)
    columns = [c for c in steps.columns if c != "journeys" and (steps[c] != "").any()]
    ax = ax or plt.subplots(figsize=(2.4 * len(columns) + 1, 5))[1]
    total = steps["journeys"].sum()
    colours = _colours(pd.unique(steps[columns].to_numpy().ravel()))
    slots: dict[tuple[int, str], list[float]] = {}  # (column, node): bottom, top, out, in
    for x, column in enumerate(columns):
        sizes = steps.groupby(column, sort=False)["journeys"].sum().sort_values()  # big on top
        sizes = sizes[sizes.index != ""]
        gap = _GAP * total
        bottom = 0.0
        for node, size in sizes.items():
            slots[(x, node)] = [bottom, bottom + size, bottom, bottom]
            colour = colours.get(node, "#94a3b8")
            ax.add_patch(Rectangle((x - _BOX / 2, bottom), _BOX, size, color=colour, lw=0))
            ax.text(
                x + _BOX / 2 + 0.03,
                bottom + size / 2,
                f"{node} ({size:,.0f})",
                va="center",
                fontsize=8,
            )
            bottom += size + gap
    for _, row in steps.sort_values("journeys", ascending=False).iterrows():
        for x in range(len(columns) - 1):
            source, target = row[columns[x]], row[columns[x + 1]]
            if source == "" or target == "":
                continue
            out, into = slots[(x, source)], slots[(x + 1, target)]
            width = row["journeys"]
            _band(
                ax,
                x + _BOX / 2,
                out[2],
                x + 1 - _BOX / 2,
                into[3],
                width,
                colours.get(source, "#94a3b8"),
            )
            out[2] += width
            into[3] += width
    ax.set_xlim(-0.3, len(columns) - 0.2)
    ax.set_ylim(0, max(s[1] for s in slots.values()) * 1.02)
    ax.set_xticks(range(len(columns)), [f"step {i + 1}" for i in range(len(columns))])
    ax.set_yticks([])
    ax.grid(False)
    ax.set_title(title or f"The {len(steps)} most frequent paths ({total:,.0f} journeys)")
    for side in ("left", "right", "top", "bottom"):
        ax.spines[side].set_visible(False)
    return ax


def _steps(table: pd.DataFrame, top: int, max_steps: int) -> pd.DataFrame:
    """One row per drawn path: its channels step by step, then its outcome right after the
    last touch, then "" (columns step 1 .. max_steps + 1), and its journeys."""
    if not {"path", "converted"} <= set(table.columns):
        raise ParameterError("path_flow needs a journeys table with path and converted.")
    counts = table.groupby(["path", "converted"]).size().rename("journeys").reset_index()
    counts = counts.sort_values(["journeys", "path"], ascending=[False, True]).head(top)
    rows = []
    for path, converted, n in counts.itertuples(index=False):
        channels = split_path(path)
        if len(channels) > max_steps:
            channels = [*channels[: max_steps - 1], "…"]
        cells = [*channels, OUTCOMES[bool(converted)]]
        rows.append([*cells, *[""] * (max_steps + 1 - len(cells)), n])
    return pd.DataFrame(
        rows, columns=[*[f"step {i + 1}" for i in range(max_steps + 1)], "journeys"]
    )


def _colours(nodes) -> dict[str, str]:
    channels = sorted(n for n in nodes if n and n not in OUTCOMES.values())
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(channels)}
    colours.update({"conversion": "#10b981", "no conversion": "#cbd5e1", "…": "#94a3b8"})
    return colours


def _band(ax, x0: float, y0: float, x1: float, y1: float, width: float, colour: str) -> None:
    """A band of constant width from (x0, y0) up to (x1, y1), curved like an S."""
    mid = (x0 + x1) / 2
    top = [(x0, y0 + width), (mid, y0 + width), (mid, y1 + width), (x1, y1 + width)]
    bottom = [(x1, y1), (mid, y1), (mid, y0), (x0, y0)]
    vertices = [*top, (x1, y1), *bottom[1:], (x0, y0 + width)]
    codes = [
        Path.MOVETO,
        Path.CURVE4,
        Path.CURVE4,
        Path.CURVE4,
        Path.LINETO,
        Path.CURVE4,
        Path.CURVE4,
        Path.CURVE4,
        Path.CLOSEPOLY,
    ]
    ax.add_patch(PathPatch(Path(vertices, codes), facecolor=colour, alpha=0.35, lw=0))
