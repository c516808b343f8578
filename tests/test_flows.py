"""The path flow chart: one box per channel and step, one band per step taken."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.patches import PathPatch, Rectangle

from crmlab.errors import ParameterError
from crmlab.flows import path_flow


def test_boxes_and_bands_follow_the_paths():
    table = pd.DataFrame(
        {
            "path": ["web", "web", "web > email", "<b>app</b> > web > web > web", "email"],
            "converted": [True, False, True, False, True],
        }
    )
    ax = path_flow(table, top=10, max_steps=3)
    boxes = [p for p in ax.patches if isinstance(p, Rectangle)]
    bands = [p for p in ax.patches if isinstance(p, PathPatch)]
    # step 1: web, email, <b>app</b>; step 2: conversion, no conversion, email, web;
    # step 3: conversion, "…"; step 4: no conversion
    assert len(boxes) == 3 + 4 + 2 + 1
    assert len(bands) == 1 + 1 + 1 + 2 + 3  # web>outcome x2, web>email>conv, email>conv, app...
    labels = {t.get_text() for t in ax.texts}
    assert "<b>app</b> (1)" in labels and "web (3)" in labels  # text, as given
    assert [t.get_text() for t in ax.get_xticklabels()] == ["step 1", "step 2", "step 3", "step 4"]
    plt.close("all")


def test_a_table_without_paths_is_refused():
    with pytest.raises(ParameterError, match="path and converted"):
        path_flow(pd.DataFrame({"x": [1]}))
