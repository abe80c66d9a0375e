"""The page a request shows, in every language: hreflang links, the canonical link, the switch.

Search engines find each language's address through the `hreflang` links, which every page
carries for each language and for `x-default` (English), absolute and alike on each of them.
"""

from urllib.parse import quote, urlencode

from flask import request, url_for

from openpositions.i18n import LANGUAGE, current_language, is_localized, language_of_path, languages
from openpositions.web.page_cache import rendering_shared_page
from openpositions.web.urls import absolute_url


def this_page_in(language: str, *, external: bool = False) -> str | None:
    """The address of the page being answered, in `language`; None where no page rule matched."""
    endpoint = request.endpoint
    if endpoint is None or not is_localized(endpoint):
        return None
    values = {**(request.view_args or {}), LANGUAGE: language}
    return absolute_url(endpoint, **values) if external else url_for(endpoint, **values)


def language_alternates() -> list[tuple[str, str]]:
    """(hreflang, absolute address) for each language, then x-default; none for an error page."""
    addresses = [(language, this_page_in(language, external=True)) for language in languages()]
    found = [(language, url) for language, url in addresses if url is not None]
    if not found:
        return []
    return [*found, ("x-default", found[0][1])]


def canonical_url() -> str | None:
    return this_page_in(current_language(), external=True)


def path_in(language: str, path: str) -> str:
    """`path` moved to `language`'s prefix: for an address no rule matched, such as a 404's."""
    default = languages()[0]
    current = language_of_path(path)
    bare = (path[len(current) + 1 :] or "/") if current != default else path
    return quote(bare if language == default else f"/{language}{bare}")


def language_switch_url(language: str) -> str:
    """The same page in `language`, with the query string (/enquiry?position=x, /de/enquiry?...).

    Not on a cached page: it is one page for every query string (?utm_source=...), so it must
    not carry the query of whoever asked for it first.
    """
    path = this_page_in(language) or path_in(language, request.path)
    if request.args and not rendering_shared_page():
        return f"{path}?{urlencode(list(request.args.items(multi=True)))}"
    return path
