"""Values from data reach pages only as text: Markdown narrative, tables, and notebook code."""

from __future__ import annotations

import ast
import html
import itertools
import json
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlab import plots
from crmlab.escaping import markdown, markdown_code

from .conftest import ROOT

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(3)>",
    "<svg onload=alert(10)>",
    '<meta http-equiv="refresh" content="0;url=https://example.org">',
    "[click](javascript:alert(4))",
    "![x](javascript:alert(5))",
    "<javascript:alert(6)>",
    "https://example.org/phish",
    "**bold** _it_ `code` ~~gone~~",
    "$x^2$ and $$y$$",
    "line one\n# heading\n\n<script>alert(7)</script>",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "back\\slash \\<b>",
    "&lt;already escaped&gt; &amp; &#x27;",
    "'\"quotes\"'",
]


def _render(markdown_source: str) -> str:
    """What nbconvert makes of a Markdown output in a report."""
    # imported here: each test worker imports every test module, and nbconvert's Markdown
    # costs 1.5 s (only the worker that runs these tests should pay it)
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(markdown_source)


def _tags(rendered: str) -> set[str]:
    return set(re.findall(r"<\s*([a-zA-Z][\w-]*)", rendered))


@pytest.mark.parametrize("value", HOSTILE)
def test_a_value_renders_as_its_own_text(value):
    rendered = _render(markdown("Campaign: {name}.", name=value))
    assert _tags(rendered) <= {"p"}  # no script, image, link, heading, table, emphasis
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert text.split() == f"Campaign: {value}.".split()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"])))
def test_any_text_renders_verbatim(value):
    rendered = _render(markdown("x {v} y", v=value))
    assert _tags(rendered) <= {"p"}
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    squash = lambda s: " ".join(s.split())  # noqa: E731 - Markdown folds whitespace
    assert squash(text) == squash(f"x {value} y")


def test_format_specs_apply_before_escaping_and_code_spans_are_fenced():
    assert _render(markdown("{n:,} and {share:.1%}", n=1234567, share=0.25)).strip() == (
        "<p>1,234,567 and 25.0%</p>"
    )
    rendered = _render(markdown("file {p!c}", p="a`b``<i>c</i>"))
    assert "<code>a`b``&lt;i&gt;c&lt;/i&gt;</code>" in rendered
    assert markdown_code("x") == "` x `"
    with pytest.raises(ValueError, match=r"write \{label!c\} instead"):
        markdown("blank `{label}` rows", label="Account (no.)")
    assert _render(markdown("blank {label!c} rows", label="a (b)")).count("a (b)") == 1
    # the template itself is the author's Markdown
    assert "<strong>5</strong>" in _render(markdown("**{n}**", n=5))


def test_plots_md_returns_escaped_markdown():
    shown = plots.md("Campaign **{name}**", name="<b>x</b>")
    assert shown.data == "Campaign **&lt;b&gt;x&lt;\\/b&gt;**"
    line = plots.kpi_line(["<i>customers</i>", "revenue"], ["1,200", "[x](javascript:y)"])
    rendered = _render(line.data)
    assert _tags(rendered) <= {"p", "strong"} and "javascript:y" in html.unescape(rendered)


def test_styled_escapes_cells_headers_and_caption():
    table = pd.DataFrame(
        {
            "<b>channel</b>": ["<script>alert(1)</script>", "web"],
            "segment": pd.Categorical(["<img src=x onerror=alert(2)>", "b"]),
            "pair": [("<i>", 1), None],
            "n": [1200, 3],
            "p_value": [0.0001, 0.5],
        }
    )
    page = plots.styled(table, caption="<u>caption</u>").to_html()
    assert _tags(page) <= {"style", "table", "thead", "tbody", "tr", "th", "td", "caption"}
    for text in ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x", "&lt;b&gt;channel"):
        assert text in page
    assert "&lt;u&gt;caption&lt;/u&gt;" in page and "1,200" in page and "0.0001" in page
    wide = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("<a>", "x"), ("b", "y")]))
    assert "&lt;a&gt; / x" in plots.styled(wide).to_html()


# Calls that put text on the page. Markdown/HTML must get literal text; plots.md gets a
# literal template (values go in as arguments, where they are escaped).
_DISPLAY_CALLS = {"Markdown", "HTML", "Latex", "Javascript", "SVG", "md"}


def _is_literal(node: ast.AST) -> bool:
    """A constant string, possibly joined with + or chosen with if/else from constants."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_literal(node.left) and _is_literal(node.right)
    if isinstance(node, ast.IfExp):
        return _is_literal(node.body) and _is_literal(node.orelse)
    return False


def _unsafe_calls(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("style", "to_html"):
            found.append(f"uses .{node.attr} (show tables with plots.styled)")
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in _DISPLAY_CALLS:
            continue
        first = node.args[0] if node.args else None
        template_ok = first is not None and _is_literal(first)
        if not template_ok or (name != "md" and len(node.args) > 1):
            found.append(ast.get_source_segment(source, node)[:80])
    return found


def test_the_scan_catches_unescaped_narrative():
    assert _unsafe_calls('display(Markdown(f"Campaign: {name}"))')
    assert _unsafe_calls('display(Markdown("Campaign: " + name))')
    assert _unsafe_calls("HTML(table)")
    assert _unsafe_calls('plots.md(f"{name}")')
    assert _unsafe_calls("frame.style.format()")
    assert not _unsafe_calls('plots.md("Campaign {name}", name=name)')
    assert not _unsafe_calls('Markdown("No data." if empty else "Done.")')


@pytest.mark.parametrize(
    "notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem
)
def test_notebooks_write_narrative_from_data_only_through_escaping_helpers(notebook):
    cells = json.loads(notebook.read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    problems = [call for source in code for call in _unsafe_calls(source)]
    assert problems == [], f"{notebook.name}: use plots.md / plots.styled for {problems}"


def test_only_p_values_print_as_p_values():
    """p_alive and p_churn are probabilities like any number; p_value / p_adjusted keep three
    significant digits so that a tiny p-value never prints as 0.00."""
    table = pd.DataFrame(
        {"p_value": [0.000123], "p_adjusted": [0.000456], "p_alive": [0.123456], "p_churn": [0.5]}
    )
    page = plots.styled(table).to_html()
    assert "0.000123" in page and "0.000456" in page
    assert "0.12" in page and "0.123" not in page  # two decimals, like other floats
    assert "0.50" in page


def test_log_histogram_ticks_are_plain_numbers_under_the_house_style():
    """Math text is off in the house style, so log-axis labels must not be math markup
    (the CLV histogram used to show "$\\mathdefault{10^{2}}$" under its axis)."""
    import matplotlib.pyplot as plt

    plots.use_house_style()
    ax = plots.histogram(pd.Series([0.5, 3.0, 40.0, 900.0, 12_000.0]), "CLV", "CLV")
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    plt.close(ax.figure)
    assert labels and not any("$" in text or "mathdefault" in text for text in labels)
    assert "1,000" in labels or "100" in labels


def test_tick_labels_do_not_overlap_on_money_bars_and_date_lines():
    """Revenue per segment (big amounts) and the cumulative tracking chart (dates) used to
    print their tick labels on top of each other in a half-width panel."""
    import matplotlib.pyplot as plt

    plots.use_house_style()

    def overlapping(ax) -> bool:
        ax.figure.canvas.draw()
        renderer = ax.figure.canvas.get_renderer()
        boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
        return any(a.overlaps(b) for a, b in itertools.pairwise(boxes))

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5))
    plots.hbar(list("abc"), [1_953_198, 1_757_200, 130_592], "Revenue", "revenue", ax=left)
    months = pd.DataFrame(
        {"period": pd.date_range("2023-01-01", periods=24, freq="MS", tz="UTC"), "y": range(24)}
    )
    plots.lines(months, "period", {"y": "actual"}, "Tracking", "", "purchases", ax=right)
    assert not overlapping(left) and not overlapping(right)
    plt.close(fig)
