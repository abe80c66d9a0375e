"""Markdown bodies to safe HTML."""

import functools
import threading
from html import unescape

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "dl", "dt", "em", "h3", "h4", "h5",
    "i", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "hreflang"}, "abbr": {"title"}, "th": {"scope"}}


# One parser per thread, reused for every file: making one loads its extensions, a cost paid
# per file otherwise. A parser holds the state of the text it converts, so threads that load
# at the same time (the content watcher, a request in debug mode) each need their own.
_parsers = threading.local()


def _parser() -> markdown.Markdown:
    parser: markdown.Markdown | None = getattr(_parsers, "parser", None)
    if parser is None:
        parser = markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")
        _parsers.parser = parser
    return parser


# Rendering is most of what a load costs (Python-Markdown takes milliseconds per body), and
# the same text always gives the same HTML: a reload after an edit renders only the bodies that
# changed. Enough entries for every body of a large group, English and German.
@functools.lru_cache(maxsize=4096)
def render_markdown(text: str) -> str:
    """Render Markdown to HTML that keeps the structure and drops anything executable."""
    # reset() forgets the previous text's footnotes, abbreviations and link references.
    html = _parser().reset().convert(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="noopener",
    )


def plain_summary(html: str, limit: int = 160) -> str:
    """The first words of an HTML text, without markup, for descriptions and previews."""
    text = " ".join(unescape(nh3.clean(html, tags=set())).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
