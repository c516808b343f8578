"""One pass over a rendered page: the text a reader (or a scraper) can get out of it, and any
*active content* in it — markup that could run script, navigate or load something.

Reports have no script of their own, so active content can only come from data that
escaped escaping; the runner refuses to publish a page that has any. The page also carries
a Content-Security-Policy, so a browser would block script even if a check missed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# default-src 'none': no script, no frames, no fetches; images and fonts only inline.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
    "base-uri 'none'; form-action 'none'"
)
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'

_FORBIDDEN_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "base",
    "portal", "noscript", "template",
}  # fmt: skip
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background"}
_URL_ATTRIBUTES |= {"data", "codebase", "cite", "srcset", "ping"}
_SAFE_SCHEMES = {"http", "https"}
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
# Browsers ignore ASCII whitespace and control characters inside a URL's scheme.
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]+")


@dataclass
class PageScan:
    """What one page holds: ``text`` (visible text and attribute values, images excluded)
    and ``active`` (a description of each piece of active content found)."""

    text: str
    active: list[str] = field(default_factory=list)


def _url_problem(tag: str, attribute: str, value: str) -> str | None:
    url = _IGNORED_IN_URLS.sub("", value).lower()
    match = _SCHEME.match(url)
    if match is None or match.group(1) in _SAFE_SCHEMES:
        return None  # relative, fragment or web link
    if url.startswith("data:image/") and tag == "img" and attribute == "src":
        return None  # embedded chart
    if url == "data:," and tag == "link":
        return None  # the empty favicon
    return f"<{tag} {attribute}={match.group(1)}:...>"


class _Scanner(HTMLParser):
    def __init__(self, allowed_meta: set[str]):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.active: list[str] = []
        self.allowed_meta = allowed_meta
        self.hidden = 0  # inside <script> or <style>: not text a reader sees

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)
        if tag in ("script", "style"):
            self.hidden += 1

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.chunks.append(data)

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _FORBIDDEN_TAGS:
            self.active.append(f"<{tag}>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.active.append(f"<{tag} {name}=...>")
            elif name == "srcdoc":
                self.active.append(f"<{tag} srcdoc=...>")
            elif name in _URL_ATTRIBUTES and (problem := _url_problem(tag, name, value)):
                self.active.append(problem)
            if not value.startswith("data:"):
                self.chunks.append(value)
        if tag == "meta":
            equiv = (dict(attrs).get("http-equiv") or "").lower()
            if equiv and equiv not in self.allowed_meta:
                self.active.append(f'<meta http-equiv="{equiv}">')


def scan_page(page: str) -> PageScan:
    """Scan an HTML page (linear time); see the module docstring."""
    scanner = _Scanner(allowed_meta={"content-security-policy", "content-type"})
    scanner.feed(page)
    scanner.close()
    return PageScan(text=" ".join(scanner.chunks), active=scanner.active)
