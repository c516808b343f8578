"""Values from data, made inert before they reach a page: HTML text and Markdown narrative.

Reports are HTML that stakeholders open in a browser, and anything in the data (a campaign
name, a channel, a survey comment, a folder name) may hold markup. nbconvert renders
Markdown outputs *with* raw HTML and links, so a value pasted into Markdown is code. These
helpers are the only way data reaches narrative and tables (``crmlab.plots.md`` and
``crmlab.plots.styled`` build on them); ``crmlab.reports`` checks the rendered page again.
"""

from __future__ import annotations

import html
import re
import string
from typing import Any

# Every ASCII punctuation character may be backslash-escaped in CommonMark (and mistune,
# which nbconvert uses); escaping all of them disarms emphasis, links, images, autolinks
# (``http\://``), tables, headings, lists and MathJax's ``$``. ``&<>"'`` become entities
# instead, so they are handled by html.escape below.
_MARKDOWN_PUNCTUATION = re.compile(r"""([!#$%()*+,\-./:;=?@\[\\\]^_`{|}~])""")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")
_BACKTICKS = re.compile(r"`+")
_FIELD_IN_CODE_SPAN = re.compile(r"`\{[^{}]*\}`")


def html_text(value: Any) -> str:
    """``str(value)`` as HTML text: ``& < > " '`` become entities (safe in attributes too)."""
    return html.escape(str(value), quote=True)


def markdown_text(value: Any) -> str:
    """``str(value)`` as literal Markdown text: it renders as itself, never as markup.

    Line breaks become spaces (a value cannot start a heading, list or code block).
    """
    text = _LINE_BREAKS.sub(" ", str(value))
    return html_text(_MARKDOWN_PUNCTUATION.sub(r"\\\1", text))


def markdown_code(value: Any) -> str:
    """``str(value)`` as an inline code span (rendered verbatim and escaped by the renderer).

    The fence is one backtick longer than the longest run of backticks in the value.
    """
    text = _LINE_BREAKS.sub(" ", str(value))
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"


class _MarkdownFormatter(string.Formatter):
    """str.format where every field is escaped after its format spec is applied.

    ``{n:,}`` formats the number, then escapes the text; ``{path!c}`` renders a code span.
    """

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion == "c":
            return _Code(value)
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, _Code):
            return markdown_code(format(value.value, format_spec))
        return markdown_text(format(value, format_spec))


class _Code:
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


_FORMATTER = _MarkdownFormatter()


def markdown(template: str, /, *args: Any, **values: Any) -> str:
    """Fill a Markdown template with values from data, escaping every value.

    The template is trusted Markdown written by the notebook's author (``**bold**``,
    headings, links); the values are not: each becomes literal text after its format spec
    is applied (``{revenue:,.0f}``), or an inline code span with the conversion ``!c``
    (``{path!c}``). Example: ``markdown("Campaign **{name}**: {n:,} customers", name=..., n=...)``.
    A field written between backticks in the template is refused: escapes are literal inside
    a code span, so a bracket would show with its backslash; write ``{name!c}`` instead.
    """
    inside = _FIELD_IN_CODE_SPAN.search(template)
    if inside:
        field = inside.group(0).strip("`")
        name, colon, spec = field[1:-1].partition(":")  # the conversion goes before the spec
        raise ValueError(
            f"markdown template: write {{{name}!c{colon}{spec}}} instead of `{field}` (a value "
            "inside backticks would show its escapes)."
        )
    return _FORMATTER.format(template, *args, **values)
