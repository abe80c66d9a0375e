"""A page's HTML parsed with html.parser into what the tests look at."""

import json
from html.parser import HTMLParser
from typing import Any

# Elements that start a new line of text, so that their words do not run together.
BLOCK_TAGS = {
    "address", "article", "br", "dd", "div", "dl", "dt", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "input", "label", "li", "main", "nav", "ol", "option", "p",
    "section", "select", "table", "td", "textarea", "th", "tr", "ul",
}  # fmt: skip
CAPTURED_TAGS = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "script"}


class Page(HTMLParser):
    """Every element with its attributes, the headings, links, scripts and the visible text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.headings: list[tuple[int, str]] = []
        self.anchors: list[tuple[dict[str, str], str]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._open: list[tuple[str, dict[str, str], list[str]]] = []
        self._text: list[str] = []
        self._in_body = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag == "body":
            self._in_body = True
        if tag in BLOCK_TAGS:
            self._text.append(" ")
        if tag in CAPTURED_TAGS:
            self._open.append((tag, attributes, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCK_TAGS:
            self._text.append(" ")
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                _, attributes, parts = self._open.pop(index)
                text = " ".join("".join(parts).split())
                if tag == "a":
                    self.anchors.append((attributes, text))
                elif tag == "script":
                    self.scripts.append((attributes, "".join(parts)))
                else:
                    self.headings.append((int(tag[1]), text))
                break

    def handle_data(self, data: str) -> None:
        if any(tag == "script" for tag, _, _ in self._open):
            self._open[-1][2].append(data)
            return
        if self._in_body:
            self._text.append(data)
        for _, _, parts in self._open:
            parts.append(data)

    @property
    def text(self) -> str:
        """The text a visitor reads in the body, whitespace collapsed."""
        return " ".join("".join(self._text).split())

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attributes for name, attributes in self.elements if name == tag]

    def meta(self, attribute: str, value: str) -> str | None:
        """The content of the <meta> whose `attribute` is `value` (name=..., property=...)."""
        for attributes in self.all("meta"):
            if attributes.get(attribute) == value:
                return attributes.get("content")
        return None

    def links(self, rel: str) -> list[dict[str, str]]:
        """The <link> elements whose rel includes `rel`."""
        return [a for a in self.all("link") if rel in a.get("rel", "").lower().split()]

    def hrefs(self) -> set[str]:
        return {attributes.get("href", "") for attributes, _ in self.anchors}

    def json_ld(self) -> list[Any]:
        return [
            json.loads(body)
            for attributes, body in self.scripts
            if attributes.get("type") == "application/ld+json"
        ]


def html_text(fragment: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    return Page(f"<body>{fragment}</body>").text
