"""A page of this site named by a request (`?next=/enquiry?position=x`), for a redirect to it.

A redirect never goes to an address taken from the request as it is: browsers read `/\\evil`,
`/<tab>/evil` and `https:evil` as other sites, and a line break in a Location header is an
error. So the text is parsed, matched against the site's own rules, and the address rebuilt
from what matched: anything that is not plainly a page of this site is refused.
"""

import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import current_app, request, url_for
from werkzeug.exceptions import HTTPException

from openpositions.i18n import LANGUAGE, is_localized

# Control and format characters, and every kind of space or line break: none is in a path the
# site makes, and browsers drop or reinterpret some of them.
UNSAFE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}


@dataclass(frozen=True)
class LocalPage:
    endpoint: str
    values: dict[str, Any]
    query: list[tuple[str, str]]

    def url_in(self, language: str) -> str:
        """The page's path in `language`, with its query string, built by the site itself."""
        path = url_for(self.endpoint, **{**self.values, LANGUAGE: language})
        return f"{path}?{urlencode(self.query)}" if self.query else path


def is_plain_path(target: str) -> bool:
    """One leading slash, then nothing a browser could read as another host or a new line."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(unicodedata.category(c) in UNSAFE_CATEGORIES or c.isspace() for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def local_page(target: str) -> LocalPage | None:
    """The page of this site `target` names, or None if it names no page of this site."""
    if not is_plain_path(target):
        return None
    parts = urlsplit(target)
    adapter = current_app.create_url_adapter(request)
    if adapter is None:
        return None
    try:
        endpoint, values = adapter.match(parts.path, method="GET")
    except HTTPException:  # No such page, or one reached by another method or address.
        return None
    if not isinstance(endpoint, str) or not is_localized(endpoint):
        return None  # Not a page: /static/..., /healthz, this switch itself.
    return LocalPage(endpoint, dict(values), parse_qsl(parts.query, keep_blank_values=True))
